#!/usr/bin/env bash
# ferrosim --save/--load continue a run exactly; damaged state and bad units files give exit 2.
set -u
BIN="$1/ferrosim"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

"$BIN" --n 300 --t-end 0.2 --dt 0.01 --particles-out "$T/p1.csv" >/dev/null
"$BIN" --n 300 --t-end 0.1 --dt 0.01 --save "$T/s.bin" >/dev/null
"$BIN" --load "$T/s.bin" --t-end 0.1 --particles-out "$T/p2.csv" >/dev/null
check "save at 0.1 + load + 0.1 == straight run to 0.2" 'cmp -s "$T/p1.csv" "$T/p2.csv"'

# a loaded state runs t-end more with its own dt, or with the --dt given (as the keys change it)
"$BIN" --load "$T/s.bin" --t-end 0.1 --out "$T/l.csv" >/dev/null
check "--load runs t-end more with the saved dt" '[ "$(tail -1 "$T/l.csv" | cut -d, -f1)" = "0.2" ] && [ "$(wc -l <"$T/l.csv")" -eq 12 ]'
"$BIN" --load "$T/s.bin" --dt 0.03 --t-end 0.1 --out "$T/l.csv" >/dev/null
check "--load --dt 0.03: rows at 0.1, 0.13, 0.16, 0.19, 0.2" '[ "$(cut -d, -f1 "$T/l.csv" | tr "\n" " ")" = "t 0.1 0.13 0.16 0.19 0.2 " ]'
"$BIN" --load "$T/s.bin" --switch-off 0 --t-end 0.02 --out "$T/l.csv" >/dev/null
check "--load --switch-off 0: the field is off from the saved time on" '[ "$(tail -1 "$T/l.csv" | cut -d, -f2-4)" = "0.0,0.0,0.0" ]'
"$BIN" --n 30 --H 0,1,0 --t-end 0.01 --save "$T/h.bin" >/dev/null
"$BIN" --load "$T/h.bin" --t-end 0.01 --particles-out "$T/k.csv" >/dev/null
"$BIN" --load "$T/h.bin" --grad 1 --t-end 0.01 --out "$T/l.csv" --particles-out "$T/g.csv" >/dev/null
check "--load --grad: adds to the saved H (0,1,0), which stays" '[ "$(tail -1 "$T/l.csv" | cut -d, -f2-4)" = "0.0,1.0,0.0" ]'
check "--load --grad: the gradient acts (other particles than without it)" '! cmp -s "$T/k.csv" "$T/g.csv"'
"$BIN" --load "$T/h.bin" --sweep 2,1 --t-end 0.01 --dt 0.01 --out "$T/l.csv" >/dev/null
check "--load --sweep: starts at the loaded time (H = 0 there, no jump)" '[ "$(sed -n 2p "$T/l.csv" | cut -d, -f2-4)" = "0.0,0.0,0.0" ]'
"$BIN" --load "$T/s.bin" --n 5 --out "$T/o.csv" 2>"$T/err"; rc=$?
check "--load --n 5: exit 2, one line naming n, no output" '[ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^ferrosim: --load: n cannot change" "$T/err" && [ ! -e "$T/o.csv" ]'

# a field beyond the supported amplitude is refused (it used to hang the integrator)
timeout 20 "$BIN" --H 3e6,0,0 --n 20 2>"$T/err"; rc=$?
check "--H 3e6: exit 2 with one line naming |H|" '[ $rc -eq 2 ] && grep -q "|H|" "$T/err"'
timeout 60 "$BIN" --H 1000,0,0 --n 100 --dt 1 --t-end 1 --out "$T/h.csv" >/dev/null; rc=$?
check "--H 1000 with dt 1: finishes, no nan" '[ $rc -eq 0 ] && ! grep -qi nan "$T/h.csv"'

cp "$T/s.bin" "$T/bad.bin"
printf '\x00\x01\x02' | dd of="$T/bad.bin" bs=1 seek=3000 conv=notrunc status=none
"$BIN" --load "$T/bad.bin" --out "$T/o.csv" 2>"$T/err"; rc=$?
check "damaged state file: exit 2" '[ $rc -eq 2 ]'
check "damaged state file: one line naming the problem" '[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "damaged" "$T/err"'
check "damaged state file: no output left" '[ ! -e "$T/o.csv" ] && ! ls "$T"/o.csv.tmp.* >/dev/null 2>&1'

printf 'r = 1e-8\nHbar = 1000\n' >"$T/si.txt"
out=$("$BIN" --units "$T/si.txt"); rc=$?
check "--units: exit 0 and prints T, b, eps, Neel and Brownian times" \
  '[ $rc -eq 0 ] && echo "$out" | grep -q "^eps" && echo "$out" | grep -q "Neel time" && echo "$out" | grep -q "Brownian time"'
printf 'r = -1e-8\n' >"$T/bad.txt"
"$BIN" --units "$T/bad.txt" 2>"$T/err"; rc=$?
check "--units with r < 0: exit 2, one line naming r" '[ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "r = " "$T/err"'
printf 'colour = 3\n' >"$T/bad2.txt"
"$BIN" --units "$T/bad2.txt" 2>"$T/err"; rc=$?
check "--units with unknown key: exit 2" '[ $rc -eq 2 ] && grep -q "unknown key" "$T/err"'
exit $fail

#!/usr/bin/env bash
# Every bad input to ferrosim: exit code 2, exactly one line on stderr naming the problem,
# nothing on stdout and no output file (or temporary) left behind.
# Usage: bash cli_bad_input.sh BUILD_DIR
set -u
BIN="$(cd "${1:?usage: cli_bad_input.sh BUILD_DIR}" && pwd)/ferrosim"
[ -x "$BIN" ] || { echo "no ferrosim in $1"; exit 1; }
source "$(dirname "$0")/lib.sh"
IN="$TMP/in" # scenario files
mkdir -p "$IN"
printf '# a scenario with a typo\nn = 100\nfoo = 1\n' > "$IN/unknown_key.scenario"
printf 'n = 100\n\neps = nan\n' > "$IN/bad_value.scenario"
printf 'n = 100\nphi = 0.5\n' > "$IN/bad_range.scenario"
printf 'n = 100\njust some words\n' > "$IN/no_equals.scenario"
printf 'n = 100\n' > "$IN/unreadable.scenario"
printf 'n = 100\nphi = 0.1\n' > "$IN/good.scenario"
printf 'eps = 0.1\nn = 100\neps = 0.2\n' > "$IN/twice.scenario"
chmod 000 "$IN/unreadable.scenario"
"$BIN" --n 20 --t-end 0.01 --save "$IN/state.bin" >/dev/null

# bad PATTERN ARGS...: refused with both outputs asked for (out/ is where they would go).
bad() {
    local pattern=$1
    shift
    refuse "$pattern" "$@" --out out/series.csv --particles-out out/p.csv
}

bad 'unknown option --foo'              --foo
bad 'unknown option --foo'              --foo=1
bad 'unexpected argument'               stray
bad '--n: missing value'             --n
bad '--eps: missing value'           --eps --b 1
bad '--eps: missing value'           --eps=
bad '--n: .*out of range'            --n 0
bad '--n: .*out of range'            --n -5
bad '--n: .*out of range'            --n 20000000
bad '--n: not an integer'            --n 1.5
bad '--phi: .*out of range'          --phi 0
bad '--phi: .*out of range'          --phi 0.31
bad '--phi: not a finite'            --phi nan
bad '--eps: .*out of range'          --eps 0
bad '--eps: .*out of range'          --eps -1
bad '--eps: not a finite'            --eps nan
bad '--eps: not a finite'            --eps inf
bad '--eps: not a finite'            --eps 1e999
bad '--eps: not a number'            --eps 0.1x
bad '--b: not a finite'              --b NaN
bad '--b: not a finite'              --b -inf
bad '--b: .*out of range'            --b -1
bad '--H: component 2: not a finite' --H 1,nan,0
bad '--H: component 3: not a finite' --H=0,0,inf
bad '--H: expected 3'                --H 1,2
bad '--H: expected 3'                --H 1,2,3,4
bad '--dt: not a finite'             --dt nan
bad '--dt: not a finite'             --dt inf
bad '--dt: .*out of range'           --dt 0
bad '--t-end: .*out of range'        --t-end -1
bad '--t-end: not a finite'          --t-end inf
bad '--rotating: .*not a finite'     --rotating 1,nan
bad '--rotating: expected 2'         --rotating 1
bad '--grad: not a finite'           --grad inf
bad '--switch-off: not a finite'     --switch-off nan
bad '--magnet: .*inside the cloud'   --magnet 1,0,0@0.2,0,0
bad '--magnet: position: .*finite'   --magnet 1,0,0@nan,0,3
bad '--magnet: expected'             --magnet 1,0,0
bad '--init: unknown value .foo.'    --init foo
bad '--every: .*out of range'        --every 0
bad '--grid: .*out of range'         --grid 1
bad '--grid: .*out of range'         --grid 300
bad '--threads: .*out of range'      --threads -1
bad '--seed: not an unsigned'        --seed -1
bad '--no-interactions: not a boolean' --no-interactions=maybe
bad '--c0: value 5 out of range'      --c0 5
bad 'same file'                         --field-out out/series.csv
bad "scenario file '.*nonexistent.scenario': cannot read: No such file" \
    --scenario "$IN/nonexistent.scenario"
bad "scenario file '.*': cannot read: Is a directory" --scenario "$IN"
if [ "$(id -u)" -ne 0 ]; then # root reads anything
    bad "scenario file '.*unreadable.scenario': cannot read" --scenario "$IN/unreadable.scenario"
fi
bad "scenario file '.*unknown_key.scenario' line 3: unknown key 'foo'" \
    --scenario "$IN/unknown_key.scenario"
bad "scenario file '.*bad_value.scenario' line 3: eps: not a finite number 'nan'" \
    --scenario "$IN/bad_value.scenario"
bad "scenario file '.*bad_range.scenario' line 2: phi: value 0.5 out of range" \
    --scenario "$IN/bad_range.scenario"
bad "scenario file '.*no_equals.scenario' line 2: expected 'key = value'" \
    --scenario "$IN/no_equals.scenario"
# An error on the command line is reported whether it comes before or after --scenario, and
# an error in the file is reported even when the command line overrides that key.
bad '--phi: .*out of range'             --scenario "$IN/good.scenario" --phi 0.4
bad '--phi: .*out of range'             --phi 0.4 --scenario "$IN/good.scenario"
bad "bad_range.scenario' line 2: phi:"  --scenario "$IN/bad_range.scenario" --phi 0.2
bad '--scenario: given more than once' --scenario a --scenario b
bad "twice.scenario' line 3: key 'eps' was already set on line 1" --scenario "$IN/twice.scenario"
bad '--load: n cannot change'           --load "$IN/state.bin" --n 21
bad '--load: seed cannot change'        --load "$IN/state.bin" --seed 7

# An unwritable output is an I/O error: exit 1, one line, nothing left behind.
checks=$((checks + 1))
rm -rf out && mkdir out
"$BIN" --n 10 --t-end 0 --particles-out out/p.csv --out out/no/such/dir/x.csv >/dev/null 2>stderr.txt
rc=$?
if [ $rc -ne 1 ] || [ "$(wc -l <stderr.txt)" -ne 1 ] ||
    ! grep -q "^ferrosim: --out '.*x.csv': cannot open: No such file" stderr.txt ||
    [ -n "$(ls -A out)" ]; then
    fail "unwritable --out: rc=$rc, stderr: $(cat stderr.txt), left: $(ls -A out)"
fi

chmod 600 "$IN/unreadable.scenario"
finish cli_bad_input

#!/usr/bin/env bash
# viz_xvfb.sh BUILD_DIR — ferroviz under Xvfb: keys through xdotool and the "set" lines they
# print, a scripted screenshot checked pixel by pixel (both spin colours, the streamlines'
# viridis colours, not blank), clean quit; no display -> exit 2 with one line; bad input -> exit 2;
# the lecture tools (M, D, U, K, L, V, F5/F9, picking by a click, X), dt (, and .), the arrow drawing (T,
# --arrow-draw impostor: a screenshot with both spin colours), --save/--load and a
# damaged state file (exit 2, one line). VIZ_KEEP_TMP=1 keeps the temporary directory.
# Starts its own Xvfb when DISPLAY is unset. Skips (exit 0) when ferroviz was not built or a tool
# is missing. Takes ~20-40 s on 2 cores.
set -u
BUILD_DIR=${1:?usage: viz_xvfb.sh BUILD_DIR}
EXE="$BUILD_DIR/ferroviz"
if [ ! -x "$EXE" ]; then
    echo "viz_xvfb: SKIP: $EXE not built (FERRO_BUILD_VIZ=OFF?)"
    exit 0
fi
for tool in xdotool convert timeout; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "viz_xvfb: SKIP: $tool not installed"
        exit 0
    fi
done

SUITE=viz_xvfb
source "$(dirname "$0")/viz_lib.sh"
# Under AddressSanitizer (scripts/test sets FERRO_SANITIZED) memory errors are still fatal, but
# the leak check is off for the GUI process: Mesa's dlopen'ed driver and X11 leave blocks that
# LeakSanitizer reports from "<unknown module>" frames, which no suppression can name. ferroviz's
# own threading/queue code is leak-checked in test_viz_sync, the core in the other tests.
if [ -n "${FERRO_SANITIZED:-}" ]; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
fi

one_line_err() { # file: exactly one line, starting with "ferroviz: "
    [ "$(wc -l <"$1")" -eq 1 ] && head -1 "$1" | grep -q '^ferroviz: '
}

# ---- 1. no display: exit 2 and a one-line error, never a crash ----
env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER timeout 20 "$EXE" --n 50 --frames 5 \
    >"$T/nodisp.out" 2>"$T/nodisp.err"
rc=$?
if [ $rc -eq 2 ] && one_line_err "$T/nodisp.err"; then
    pass "no display -> exit 2: $(cat "$T/nodisp.err")"
else
    fail "no display: rc=$rc, stderr: $(cat "$T/nodisp.err")"
fi

env -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER DISPLAY=:7777 timeout 20 "$EXE" --n 50 --frames 5 \
    >"$T/nodisp.out" 2>"$T/nodisp.err"
rc=$?
if [ $rc -eq 2 ] && one_line_err "$T/nodisp.err"; then
    pass "unreachable display -> exit 2: $(cat "$T/nodisp.err")"
else
    fail "unreachable display: rc=$rc, stderr: $(cat "$T/nodisp.err")"
fi

# ---- 2. bad command-line input: exit 2 and one line, before any window ----
printf 'nu = x\n' >"$T/bad.units"
printf 'not a state file at all\n' >"$T/bad.state"
for args in "--size 10x" "--frames 0" "--preset nope" "--eps -1" "--bogus" "--rate x" \
    "--aspect 20" "--brownian -1" "--units $T/bad.units" "--load $T/bad.state" "--load $T/none.bin" \
    "--arrow-draw nope" "--sim-nice 20"; do
    # shellcheck disable=SC2086
    env -u DISPLAY timeout 20 "$EXE" $args >"$T/bad.out" 2>"$T/bad.err"
    rc=$?
    if [ $rc -eq 2 ] && one_line_err "$T/bad.err" && [ ! -s "$T/bad.out" ]; then
        pass "bad input '$args' -> exit 2: $(cat "$T/bad.err")"
    else
        fail "bad input '$args': rc=$rc stderr=$(cat "$T/bad.err")"
    fi
done

# ---- a display ----
if ! viz_display; then
    echo "viz_xvfb: SKIP (rest): no DISPLAY and no Xvfb"
    [ $FAILS -eq 0 ] && exit 0 || exit 1
fi

# ---- 3. missing shader / font: a message naming the file ----
mkdir -p "$T/empty"
FERROVIZ_SHADER_DIR="$T/empty" timeout 20 "$EXE" --n 50 --frames 2 >/dev/null 2>"$T/sh.err"
rc=$?
if [ $rc -ne 0 ] && grep -q 'arrow.vert' "$T/sh.err" && one_line_err "$T/sh.err"; then
    pass "missing shader -> rc=$rc: $(cut -c1-120 "$T/sh.err")"
else
    fail "missing shader: rc=$rc: $(cat "$T/sh.err")"
fi
FERROVIZ_FONT="$T/nofont.ttf" timeout 20 "$EXE" --n 50 --frames 2 >/dev/null 2>"$T/font.err"
rc=$?
if [ $rc -ne 0 ] && grep -q 'nofont.ttf' "$T/font.err" && one_line_err "$T/font.err"; then
    pass "missing font -> rc=$rc: $(cat "$T/font.err")"
else
    fail "missing font: rc=$rc: $(cat "$T/font.err")"
fi

# ---- 4. keys ----
# (in $T: F5 writes ferroviz-state.bin, V a ferroviz-rec-* directory into the working directory)
mkdir -p "$T/run"
(cd "$T/run" && exec "$EXE" --n 500 --seed 7 --size 900x600 >"$T/keys.out" 2>"$T/keys.err") &
VIZ_PID=$!
# generous: under ASan on a loaded 2-core machine the first frame can take a while
WIN=$(viz_window 90)
if [ -z "$WIN" ]; then
    fail "no ferroviz window appeared: $(cat "$T/keys.err")"
else
    xdotool windowfocus --sync "$WIN" 2>/dev/null || xdotool windowactivate "$WIN" 2>/dev/null
    # Sync point: under ASan the first frame comes late, and keys sent before the window is
    # ready are lost or read with the wrong modifiers (SDL reconciles Shift with the live
    # keyboard when it handles the focus event). Press space until a pause line shows up, then
    # make the number of pause lines even (running again); the checks below skip these lines.
    npause() { grep -c '^set paused=' "$T/keys.out" 2>/dev/null; }
    for _ in $(seq 1 60); do
        xdotool key space
        for _ in $(seq 1 20); do [ "$(npause)" -ge 1 ] && break; sleep 0.1; done
        [ "$(npause)" -ge 1 ] && break
    done
    sleep 1
    if [ $(($(npause) % 2)) -eq 1 ]; then
        want=$(($(npause) + 1))
        xdotool key space
        for _ in $(seq 1 100); do [ "$(npause)" -ge "$want" ] && break; sleep 0.1; done
    fi
    SYNC=$(grep -c '^set ' "$T/keys.out")
    xdotool key --delay 60 e shift+e b shift+b shift+h f f i space n n space Down
    sleep 1
    # robustness: hold keys down (auto-repeat), pause, reset, presets while paused
    xdotool key space
    xdotool keydown e; sleep 1.2; xdotool keyup e
    xdotool key --delay 30 r 4 r n n 1
    xdotool keydown h; sleep 1.0; xdotool keyup h
    xdotool keydown shift+b; sleep 0.8; xdotool keyup shift+b
    xdotool key --delay 30 space r c c c s s z z a a F1 F1
    sleep 1
    # lecture tools: M(H) sweep, Brownian, units panel, aspect while paused, lecture mode,
    # recording, save / load, picking at the window's centre and deselecting
    xdotool key --delay 60 m d shift+d u u space k shift+k space l l t t t comma period v
    sleep 1.5
    xdotool key --delay 60 v F5
    sleep 1
    xdotool key F9
    # the load is done by the simulation thread (niced): on a loaded machine it can take longer
    # than a fixed second, and a quit before it drops the queued command
    for _ in $(seq 1 100); do grep -q '^loaded t=' "$T/keys.out" && break; sleep 0.1; done
    xdotool mousemove --window "$WIN" 450 300 click 1 2>/dev/null || xdotool mousemove 640 400 click 1
    # the pick is resolved by a later frame: wait for its line before X deselects (on a
    # loaded machine a fixed 0.5 s was sometimes too short and X found nothing to clear)
    for _ in $(seq 1 100); do grep -q '^set select=[0-9]' "$T/keys.out" && break; sleep 0.1; done
    xdotool key x
    for _ in $(seq 1 50); do grep -q '^set select=none$' "$T/keys.out" && break; sleep 0.1; done
    xdotool key m
    sleep 0.5
    if ! kill -0 "$VIZ_PID" 2>/dev/null; then
        fail "ferroviz died while keys were pressed: $(tail -3 "$T/keys.err")"
    fi
    xdotool key q
fi
rc=124
for _ in $(seq 150); do
    if ! kill -0 "$VIZ_PID" 2>/dev/null; then
        wait "$VIZ_PID"
        rc=$?
        break
    fi
    sleep 0.1
done
[ $rc -eq 124 ] && { kill "$VIZ_PID" 2>/dev/null; wait "$VIZ_PID" 2>/dev/null; }
VIZ_PID=""
[ $rc -eq 0 ] && pass "q quits with exit 0" || fail "quit: rc=$rc, stderr: $(tail -3 "$T/keys.err")"
expected="set eps=0.02
set eps=0.01
set b=3
set b=2
set H=0,0,0.8
set H=0,0,0
set H=0,0,0.8
set interactions=0
set paused=1
set paused=0"
got=$(grep '^set ' "$T/keys.out" | tail -n +$((${SYNC:-0} + 1)) | head -10) # after the sync lines
if [ "$got" = "$expected" ]; then
    pass "set lines of e E b B H f f i space space"
else
    fail "set lines: expected
$expected
got
$got"
fi
DOWN=$((${SYNC:-0} + 11))
grep -Eq "^set H=[0-9.e-]+,[0-9.e-]+,0.772741\$" <(sed -n ${DOWN}p "$T/keys.out") &&
    pass "Down turns H: $(sed -n ${DOWN}p "$T/keys.out")" ||
    fail "Down: line $DOWN is '$(sed -n ${DOWN}p "$T/keys.out")'"
for want in '^set eps=' '^set reset=1$' '^set preset=aligned$' '^set preset=switch-off$' \
    '^set colour=spin-average$' '^set colour=m0$' '^set streamlines=0$' '^set slice=1$' \
    '^set arrows=0$' '^set init=aligned$' '^set switch-off=1$' '^set sweep=[0-9.]*,20$' \
    '^set brownian=0.1$' '^set brownian=0.05$' '^set units-panel=1$' '^set units-panel=0$' \
    '^set aspect=1.25$' '^set aspect=1$' '^set lecture=1$' '^set lecture=0$' \
    '^set recording=on ferroviz-rec-' '^set recording=off [0-9]* frames$' \
    '^set save=ferroviz-state.bin$' '^set load=ferroviz-state.bin$' '^loaded t=' \
    '^set select=[0-9][0-9]*$' '^set select=none$' '^set sweep=none$' \
    '^set arrow-draw=mesh$' '^set arrow-draw=impostor$' '^set arrow-draw=auto$' \
    '^set dt=0.0025$' '^set dt=0.005$'; do
    grep -q "$want" "$T/keys.out" || fail "no line matching $want"
done
# held keys clamp: b never below 0, eps within [1e-6, 1e6], |H| <= 100
awk -F= '/^set b=/{ if ($2 < 0) bad=1 } /^set eps=/{ if ($2 <= 0 || $2 > 1e6) bad=1 }
    END { exit bad }' "$T/keys.out" && pass "held keys stay in range" || fail "values out of range"
if tail -1 "$T/keys.out" | grep -Eq '^frames=[0-9]+ fps=[0-9.]+ sim_steps=[0-9]+ sim_time=[0-9.e+-]+$'; then
    pass "final line: $(tail -1 "$T/keys.out")"
else
    fail "final line: '$(tail -1 "$T/keys.out")'"
fi
[ -s "$T/run/ferroviz-state.bin" ] && pass "F5 wrote ferroviz-state.bin" || fail "F5: no state file"
nrec=$(ls "$T"/run/ferroviz-rec-*/frame_*.png 2>/dev/null | wc -l)
[ -s "$T/run/$(ls "$T/run" | grep ferroviz-rec- | head -1)/frame_000000.png" ] &&
    pass "V recorded $nrec PNG frames" || fail "V: no frame_000000.png"
[ -s "$T/keys.err" ] && echo "viz_xvfb: note: stderr of the key run: $(head -3 "$T/keys.err")"

# ---- 5. scripted screenshot, checked pixel by pixel ----
timeout 60 "$EXE" --n 500 --seed 3 --size 960x600 --frames 6 --sim-steps 25 --rate 0 \
    --screenshot "$T/shot.png" >"$T/shot.out" 2>"$T/shot.err"
rc=$?
if [ $rc -ne 0 ] || [ ! -s "$T/shot.png" ]; then
    fail "scripted screenshot: rc=$rc $(cat "$T/shot.err")"
else
    tail -1 "$T/shot.out" | grep -Eq '^frames=[0-9]+ fps=[0-9.]+ sim_steps=25 sim_time=0.25$' &&
        pass "scripted run: $(tail -1 "$T/shot.out")" || fail "scripted final line: $(tail -1 "$T/shot.out")"
    # histogram lines: "  count: (r,g,b) #RRGGBB srgb(...)"
    convert "$T/shot.png" -format %c histogram:info:- 2>/dev/null |
        sed -n 's/^ *\([0-9]*\): *(\([0-9.]*\), *\([0-9.]*\), *\([0-9.]*\).*/\1 \2 \3 \4/p' >"$T/hist.txt"
    read -r red blue green yellow distinct <<<"$(awk '
        { n=$1; r=$2; g=$3; b=$4; d++ }
        r > 150 && g < 150 && b < 100 && r > g + 50      { red += n }
        b > 140 && b > r + 80 && b > g + 50              { blue += n }
        g > 100 && g > r + 20 && g >= b - 10 && !(b > g + 50) { green += n }
        r > 170 && g > 170 && b < 110                    { yellow += n }
        END { printf "%d %d %d %d %d\n", red, blue, green, yellow, d }' "$T/hist.txt")"
    echo "viz_xvfb: pixels: spin+1 (red/orange) $red, spin-1 (blue) $blue, viridis green/teal $green, viridis yellow $yellow, distinct colours $distinct"
    [ "${red:-0}" -ge 1000 ] && pass "red/orange spin +1 pixels" || fail "too few red pixels ($red)"
    [ "${blue:-0}" -ge 1000 ] && pass "blue spin -1 pixels" || fail "too few blue pixels ($blue)"
    [ "${green:-0}" -ge 1000 ] && pass "viridis streamline pixels" || fail "too few viridis pixels ($green)"
    [ "${distinct:-0}" -ge 500 ] && pass "not blank" || fail "only $distinct colours"
    if [ -n "${VIZ_KEEP_SHOT:-}" ]; then cp "$T/shot.png" "$VIZ_KEEP_SHOT"; fi
fi

# ---- 5b. the same with ray-cast impostor arrows (auto picks them too at this N) and the
# arrow cache (N >= 4000: from the second frame of an unchanged state on, copied back); at
# N = 4000 the impostors write the exact depth of the hit, at 6000 (above IMPOSTOR_EXACT_N in
# render.c) they keep their triangle's depth and are drawn front to back ----
impostor_shot() { # N: a screenshot with both spin colours
    local n=$1
    timeout 60 "$EXE" --n "$n" --seed 3 --size 960x600 --frames 24 --sim-steps 1 --rate 0 \
        --arrow-draw impostor --screenshot "$T/imp$n.png" >"$T/imp$n.out" 2>"$T/imp$n.err"
    local rc=$?
    if [ $rc -ne 0 ] || [ ! -s "$T/imp$n.png" ]; then
        fail "impostor screenshot N=$n: rc=$rc $(cat "$T/imp$n.err")"
        return
    fi
    grep -q "^frame_ms=.* arrows=impostor n=$n " "$T/imp$n.out" ||
        fail "impostor run: no 'arrows=impostor n=$n' in $(grep frame_ms "$T/imp$n.out")"
    local red blue
    read -r red blue <<<"$(convert "$T/imp$n.png" -format %c histogram:info:- 2>/dev/null |
        sed -n 's/^ *\([0-9]*\): *(\([0-9.]*\), *\([0-9.]*\), *\([0-9.]*\).*/\1 \2 \3 \4/p' | awk '
        { n=$1; r=$2; g=$3; b=$4 }
        r > 150 && g < 150 && b < 100 && r > g + 50 { red += n }
        b > 140 && b > r + 80 && b > g + 50         { blue += n }
        END { printf "%d %d\n", red, blue }')"
    echo "viz_xvfb: impostor pixels N=$n: spin+1 $red, spin-1 $blue"
    [ "${red:-0}" -ge 3000 ] && [ "${blue:-0}" -ge 3000 ] &&
        pass "impostor arrows in both spin colours (N=$n)" ||
        fail "impostor arrows N=$n: red $red, blue $blue"
}
impostor_shot 4000
impostor_shot 6000

# ---- 6. --save on exit, --load continues from there; a damaged state file: exit 2, one line ----
timeout 60 "$EXE" --n 200 --seed 5 --frames 3 --sim-steps 10 --rate 0 --save "$T/s.bin" \
    >"$T/save.out" 2>"$T/save.err"
rc=$?
timeout 60 "$EXE" --load "$T/s.bin" --frames 3 --sim-steps 5 --rate 0 >"$T/load.out" 2>"$T/load.err"
rc2=$?
if [ $rc -eq 0 ] && [ $rc2 -eq 0 ] && grep -q "^saved $T/s.bin\$" "$T/save.out" &&
    tail -1 "$T/load.out" | grep -q 'sim_steps=5 sim_time=0.15$'; then
    pass "--save / --load: $(tail -1 "$T/load.out")"
else
    fail "--save/--load: rc=$rc/$rc2 $(tail -1 "$T/load.out") $(cat "$T/save.err" "$T/load.err")"
fi
head -c 2000 "$T/s.bin" >"$T/cut.bin"
timeout 20 "$EXE" --load "$T/cut.bin" --frames 3 >"$T/cut.out" 2>"$T/cut.err"
rc=$?
[ $rc -eq 2 ] && one_line_err "$T/cut.err" && pass "truncated state -> exit 2: $(cat "$T/cut.err")" ||
    fail "truncated state: rc=$rc $(cat "$T/cut.err")"

if [ $FAILS -ne 0 ]; then
    echo "viz_xvfb: $FAILS failure(s)"
    exit 1
fi
echo "viz_xvfb: all passed"

#!/usr/bin/env bash
# viz_capture.sh BUILD_DIR — what ferroviz's pictures contain: --clean-capture (key O) gives
# screenshots and recorded frames of the scene alone (no HUD panel, no plot), and the help box
# and the REC label are never captured although they are on screen (checked against a grab of
# the window itself). Pixels are counted with ImageMagick: "HUD text" = near #e8e8e8 (the
# overlay's text colour; the scene has no such grey), "REC red" = the label's pure red.
# Starts its own Xvfb when DISPLAY is unset; skips (exit 0) without ferroviz or the tools.
set -u
BUILD_DIR=${1:?usage: viz_capture.sh BUILD_DIR}
EXE="$(cd "$BUILD_DIR" && pwd)/ferroviz"
if [ ! -x "$EXE" ]; then
    echo "viz_capture: SKIP: $EXE not built"
    exit 0
fi
# Under ASan (scripts/test sets FERRO_SANITIZED) this file is skipped to keep the suite's time:
# the frame loop and its captures (P, V, --screenshot) already run under ASan in viz_xvfb.sh;
# what is checked here is which layers are in the pictures, the same in both builds.
if [ -n "${FERRO_SANITIZED:-}" ]; then
    echo "viz_capture: SKIP under ASan (captures covered by viz_xvfb.sh there)"
    exit 0
fi
for tool in xdotool convert import timeout; do
    command -v "$tool" >/dev/null 2>&1 || { echo "viz_capture: SKIP: no $tool"; exit 0; }
done
SUITE=viz_capture
source "$(dirname "$0")/viz_lib.sh"
viz_display || { echo "viz_capture: SKIP: no DISPLAY, no Xvfb"; exit 0; }

# count FILE GEOMETRY COLOUR FUZZ: pixels of the crop within FUZZ of COLOUR
count() {
    convert "$1" -crop "$2" +repage -fuzz "$4" -fill black +opaque "$3" -fill white -opaque "$3" \
        -format '%[fx:round(mean*w*h)]' info:
}
text_px() { count "$1" "$2" '#e8e8e8' 12%; }
# the label's red (1, 0.25, 0.2): R over 3.3 G; the orange-red arrows keep R/G = 2.7 however lit
red_px() {
    convert "$1" -crop "$2" +repage -fx '(r > 0.55 && r > 3.3 * g && r > 3.3 * b) ? 1 : 0' \
        -format '%[fx:round(mean*w*h)]' info:
}

# ---- 1. scripted screenshots: normal and clean, the same state ----
cd "$T" || exit 1
common=(--n 200 --seed 3 --size 800x500 --frames 8 --sim-steps 10)
timeout 120 "$EXE" "${common[@]}" --screenshot normal.png >/dev/null 2>"$T/n.err" || fail "normal run: $(cat n.err)"
timeout 120 "$EXE" "${common[@]}" --clean-capture --screenshot clean.png >/dev/null 2>"$T/c.err" ||
    fail "clean run: $(cat c.err)"
HUD=300x110+0+0
if [ -s normal.png ] && [ -s clean.png ]; then
    n_hud=$(text_px normal.png $HUD) c_hud=$(text_px clean.png $HUD)
    c_orange=$(count clean.png 400x300+200+100 '#f25926' 20%)
    c_blue=$(count clean.png 400x300+200+100 '#3a73f2' 20%)
    if [ "$n_hud" -gt 100 ] && [ "$c_hud" -eq 0 ]; then
        pass "--clean-capture screenshot: no HUD text ($c_hud px; normal: $n_hud)"
    else
        fail "clean screenshot: HUD text px clean $c_hud, normal $n_hud"
    fi
    if [ "$c_orange" -gt 200 ] && [ "$c_blue" -gt 200 ]; then
        pass "clean screenshot shows the scene (orange $c_orange, blue $c_blue px)"
    else
        fail "clean screenshot without the scene? orange $c_orange, blue $c_blue"
    fi
fi
# The same scripted run twice (a swept field, 30 steps after 10 frames: the last frame waits for
# step 30 a number of frames that depends on the machine) gives the same file: the streamlines'
# dashes of the last frame stand where frame K - 1 puts them, however long it waited.
again=(--n 200 --seed 3 --size 800x500 --frames 10 --sim-steps 30 --sweep 2,1 --clean-capture)
timeout 120 "$EXE" "${again[@]}" --screenshot r1.png >/dev/null 2>"$T/r.err" &&
    timeout 120 "$EXE" "${again[@]}" --screenshot r2.png >/dev/null 2>>"$T/r.err" ||
    fail "reproducibility runs: $(cat r.err)"
if [ -s r1.png ] && cmp -s r1.png r2.png; then
    pass "a scripted --sim-steps screenshot is the same file in two runs"
else
    fail "two scripted runs gave different screenshots ($(compare -metric AE r1.png r2.png null: 2>&1) px differ)"
fi

# ---- 2. interactive: help (F1) and REC on screen, never in a P screenshot or a V frame ----
mkdir -p run
(cd run && exec "$EXE" --n 300 --seed 3 --size 800x500 >"$T/keys.out" 2>"$T/keys.err") &
VIZ_PID=$!
WIN=$(viz_window 90)
if [ -z "$WIN" ]; then
    fail "no window: $(cat "$T/keys.err")"
    echo "viz_capture: $FAILS failure(s)"
    exit 1
fi
xdotool windowfocus --sync "$WIN" 2>/dev/null || xdotool windowactivate "$WIN" 2>/dev/null
grab() { # OUT: what the window shows now (the root window, cropped to it; no window manager)
    local X=0 Y=0 WIDTH=0 HEIGHT=0 SCREEN WINDOW w
    # searched again: SDL may replace the first window it maps (GL set-up)
    w=$(xdotool search --onlyvisible --name '^ferroviz' 2>/dev/null | tail -1)
    eval "$(xdotool getwindowgeometry --shell "$w")"
    import -window root -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage "$1"
}
lines() { grep -c "$1" "$T/keys.out" 2>/dev/null; }
wait_for() { # PATTERN COUNT: until COUNT lines match (at most ~30 s)
    for _ in $(seq 300); do [ "$(lines "$1")" -ge "$2" ] && return 0; sleep 0.1; done
    return 1
}
# sync: keys sent before the window is ready are lost, so press O until its line appears
for _ in $(seq 60); do
    xdotool key o
    wait_for '^set clean-capture=' 1 && break
done
wait_for '^set clean-capture=1' 1 || fail "O did not print set clean-capture=1"
xdotool key o
wait_for '^set clean-capture=0' 1 || fail "O again did not print set clean-capture=0"
CENTRE=280x250+320+150 RECBAR=500x60+150+400
for mode in 0 1; do
    if [ $mode -eq 1 ]; then
        xdotool key o
        wait_for '^set clean-capture=1' 2 || fail "O: no second clean-capture=1"
    fi
    # F1 toggles the help (it also shows for 6 s at start): on screen before going on
    for _ in 1 2; do
        xdotool key F1
        sleep 1
        grab "$T/win_help$mode.png"
        [ "$(text_px "$T/win_help$mode.png" $CENTRE)" -gt 100 ] && break
    done
    xdotool key p
    wait_for '^screenshot ' $((mode + 1)) || fail "P: no screenshot line (mode $mode)"
    shot="$T/run/$(grep '^screenshot ' "$T/keys.out" | tail -1 | cut -d' ' -f2)"
    xdotool key F1 # help off: the REC label below it in view
    sleep 0.3
    xdotool key v
    wait_for '^set recording=on' $((mode + 1)) || fail "V: no recording line (mode $mode)"
    sleep 1
    grab "$T/win_rec$mode.png"
    xdotool key v
    wait_for '^set recording=off' $((mode + 1)) || fail "V again: no recording=off (mode $mode)"
    dir="$T/run/$(grep '^set recording=on' "$T/keys.out" | tail -1 | cut -d' ' -f3)"
    frame=$(ls "$dir"/frame_*.png 2>/dev/null | tail -1)
    w_help=$(text_px "$T/win_help$mode.png" $CENTRE) s_help=$(text_px "$shot" $CENTRE)
    w_rec=$(red_px "$T/win_rec$mode.png" $RECBAR)
    if [ -z "$frame" ]; then
        fail "mode $mode: no recorded frame in $dir"
        continue
    fi
    f_help=$(text_px "$frame" $CENTRE) f_rec=$(red_px "$frame" $RECBAR)
    if [ "$w_help" -gt 100 ] && [ "$s_help" -lt 10 ] && [ "$f_help" -lt 10 ]; then
        pass "clean-capture=$mode: help on screen ($w_help text px), not in the screenshot ($s_help) nor in a frame ($f_help)"
    else
        fail "clean-capture=$mode: help text px: window $w_help, screenshot $s_help, frame $f_help"
    fi
    if [ "$w_rec" -gt 20 ] && [ "$f_rec" -lt 5 ]; then
        pass "clean-capture=$mode: REC label on screen ($w_rec red px), not in the frames ($f_rec)"
    else
        fail "clean-capture=$mode: REC red px: window $w_rec, frame $f_rec"
    fi
    if [ $mode -eq 1 ]; then
        s_hud=$(text_px "$shot" $HUD) f_hud=$(text_px "$frame" $HUD)
        [ "$s_hud" -eq 0 ] && [ "$f_hud" -eq 0 ] && pass "clean-capture=1: no HUD in P and V" ||
            fail "clean-capture=1: HUD text px screenshot $s_hud, frame $f_hud"
    fi
done
xdotool key q
for _ in $(seq 100); do kill -0 "$VIZ_PID" 2>/dev/null || break; sleep 0.1; done
wait "$VIZ_PID"
rc=$?
VIZ_PID=""
[ $rc -eq 0 ] && pass "quit with Q" || fail "exit status $rc: $(cat "$T/keys.err")"
echo "viz_capture: $FAILS failure(s)"
[ $FAILS -eq 0 ]

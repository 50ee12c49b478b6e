# Shared by the GUI suites viz_xvfb.sh and viz_capture.sh (sourced, not run). Set SUITE first.
# A temporary directory $T (kept with VIZ_KEEP_TMP=1), a cleanup that stops the ferroviz ($VIZ_PID)
# and the Xvfb ($XVFB_PID) a suite started, pass/fail counting into $FAILS, and viz_display:
# a display for the rest of the suite.
T=$(mktemp -d "/tmp/$SUITE.XXXXXX")
XVFB_PID=""
VIZ_PID=""
cleanup() {
    [ -n "$VIZ_PID" ] && kill "$VIZ_PID" 2>/dev/null
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
    [ -z "${VIZ_KEEP_TMP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT
FAILS=0
fail() { echo "$SUITE: FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "$SUITE: ok: $*"; }
export LIBGL_ALWAYS_SOFTWARE=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

# viz_display: keep $DISPLAY, or start an Xvfb of our own (1280x800) and wait until it accepts
# clients. Returns 1 when there is neither (the caller decides whether that is a skip).
viz_display() {
    [ -n "${DISPLAY:-}" ] && return 0
    command -v Xvfb >/dev/null 2>&1 || return 1
    # -displayfd: Xvfb picks a free display itself (no race with other X servers on the
    # machine) and writes its number once it accepts connections; -noreset: no server reset
    # when the last client leaves (a client connecting during one is refused, seen under load)
    Xvfb -displayfd 5 -noreset -screen 0 1280x800x24 -nolisten tcp 5>"$T/dnum" >"$T/xvfb.log" 2>&1 &
    XVFB_PID=$!
    for _ in $(seq 100); do
        [ -s "$T/dnum" ] && break
        sleep 0.1
    done
    export DISPLAY=":$(head -1 "$T/dnum")"
    for _ in $(seq 50); do
        xdotool getmouselocation >/dev/null 2>&1 && break
        sleep 0.1
    done
}

# viz_window SECONDS: print the ferroviz window's id once it is visible (1 when it is not within
# SECONDS, or $VIZ_PID has exited). Polled rather than `xdotool search --sync`: a window that
# goes away during a search (one that starts and closes while ferroviz opens its own) makes that
# search exit with an X error, and --sync then gives up at once instead of searching again
# (viz_capture failed so once in four parallel ctest runs: "no window" after 6 s, no error).
viz_window() {
    local w end=$((SECONDS + $1))
    while [ "$SECONDS" -lt "$end" ]; do
        w=$(xdotool search --onlyvisible --name '^ferroviz' 2>/dev/null | head -1)
        [ -n "$w" ] && { echo "$w"; return 0; }
        kill -0 "$VIZ_PID" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}

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

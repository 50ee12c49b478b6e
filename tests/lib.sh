# Shared by the shell test suites (sourced, not run): a temporary working directory removed on
# exit, `check DESCRIPTION COMMAND...` counting passes and failures (`fail MESSAGE` for a check
# written out by hand), `run ARGS...` for a ferrosim ($BIN) that must succeed with nothing on
# stderr, `refuse PATTERN ARGS...` for bad input, and `finish NAME` printing the summary line
# and giving the suite's exit status. SLOW scales time limits (sanitized builds are ~10x slower).
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
fails=0
checks=0
SLOW=1
[ -n "${FERRO_SANITIZED:-}" ] && SLOW=10
fail() { # fail MESSAGE: a failed check (the caller counted it in checks)
    echo "FAIL: $*"
    fails=$((fails + 1))
}
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    checks=$((checks + 1))
    if ! "$@"; then
        echo "FAIL: $what"
        fails=$((fails + 1))
    fi
}
run() { # run ARGS...: ferrosim must succeed silently on stderr (not a terminal here)
    if ! "$BIN" "$@" >stdout.txt 2>stderr.txt || [ -s stderr.txt ]; then
        echo "FAIL: ferrosim $* (exit/stderr):"
        cat stderr.txt
        fails=$((fails + 1))
        return 1
    fi
}
refuse() { # refuse PATTERN ARGS...: ferrosim ARGS is bad input
    # Exit 2 within 10 s (x SLOW), exactly one line on stderr, "ferrosim: " and the extended
    # regex PATTERN, nothing on stdout and nothing left in out/ (where the outputs must go).
    local pattern=$1 why="" rc lines
    shift
    checks=$((checks + 1))
    rm -rf out && mkdir out
    timeout $((10 * SLOW)) "$BIN" "$@" >stdout.txt 2>stderr.txt
    rc=$?
    lines=$(wc -l <stderr.txt)
    [ "$rc" -eq 2 ] || why="exit code $rc, expected 2"
    [ -z "$why" ] && [ "$lines" -ne 1 ] && why="$lines lines on stderr, expected 1"
    [ -z "$why" ] && ! grep -q '^ferrosim: ' stderr.txt && why="stderr lacks the 'ferrosim: ' prefix"
    [ -z "$why" ] && ! grep -Eq -- "$pattern" stderr.txt && why="stderr does not match /$pattern/"
    [ -z "$why" ] && [ -s stdout.txt ] && why="wrote to stdout"
    [ -z "$why" ] && [ -n "$(ls -A out)" ] && why="left files: $(ls -A out | tr '\n' ' ')"
    [ -z "$why" ] && return 0
    fail "ferrosim $*: $why"
    sed 's/^/    stderr: /' stderr.txt
    return 1
}
finish() { # finish SUITE: the summary line; the exit status is the verdict
    echo "$1: $checks checks, $fails failed"
    [ "$fails" -eq 0 ]
}

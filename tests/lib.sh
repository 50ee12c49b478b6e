# Shared by the shell test suites (sourced, not run): a temporary working directory removed on
# exit, `check DESCRIPTION COMMAND...` counting passes and failures, `run ARGS...` for a ferrosim
# ($BIN) that must succeed with nothing on stderr, and `finish NAME` printing the summary line
# and giving the suite's exit status.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
fails=0
checks=0
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
finish() { # finish SUITE: the summary line; the exit status is the verdict
    echo "$1: $checks checks, $fails failed"
    [ "$fails" -eq 0 ]
}

#!/usr/bin/env bash
# Every bad input to ferrosim: exit code 2, exactly one line on stderr naming the problem,
# nothing on stdout and no output file (or temporary) left behind.
# Usage: bash cli_bad_input.sh BUILD_DIR
set -u
BIN="$(cd "${1:?usage: cli_bad_input.sh BUILD_DIR}" && pwd)/ferrosim"
[ -x "$BIN" ] || { echo "no ferrosim in $1"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT="$TMP/out"       # the only place ferrosim may write to; must stay empty
IN="$TMP/in"         # scenario files
mkdir -p "$OUT" "$IN"
printf '# a scenario with a typo\nn = 100\nfoo = 1\n' > "$IN/unknown_key.scenario"
printf 'n = 100\n\neps = nan\n' > "$IN/bad_value.scenario"
printf 'n = 100\nphi = 0.5\n' > "$IN/bad_range.scenario"
printf 'n = 100\njust some words\n' > "$IN/no_equals.scenario"
printf 'n = 100\n' > "$IN/unreadable.scenario"
printf 'n = 100\nphi = 0.1\n' > "$IN/good.scenario"
chmod 000 "$IN/unreadable.scenario"
fails=0
count=0

# bad PATTERN ARGS...: PATTERN is an extended regex the stderr line must match.
bad() {
    local pattern=$1
    shift
    count=$((count + 1))
    "$BIN" "$@" --out "$OUT/series.csv" --particles-out "$OUT/p.csv" \
        >"$TMP/stdout" 2>"$TMP/stderr"
    local rc=$? why=""
    local lines
    lines=$(wc -l <"$TMP/stderr")
    [ "$rc" -eq 2 ] || why="exit code $rc, expected 2"
    [ -z "$why" ] && [ "$lines" -ne 1 ] && why="$lines lines on stderr, expected 1"
    [ -z "$why" ] && ! grep -Eq -- "$pattern" "$TMP/stderr" && why="stderr does not match /$pattern/"
    [ -z "$why" ] && ! grep -q '^ferrosim: ' "$TMP/stderr" && why="stderr lacks the 'ferrosim: ' prefix"
    [ -z "$why" ] && [ -s "$TMP/stdout" ] && why="wrote to stdout"
    [ -z "$why" ] && [ -n "$(ls -A "$OUT")" ] && why="left files: $(ls -A "$OUT" | tr '\n' ' ')"
    if [ -n "$why" ]; then
        echo "FAIL: ferrosim $*: $why"
        sed 's/^/    stderr: /' "$TMP/stderr"
        fails=$((fails + 1))
        rm -rf "${OUT:?}"/* "$OUT"/.[!.]* 2>/dev/null
    fi
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
bad 'same file'                         --field-out "$OUT/series.csv"
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

# An unwritable output is an I/O error: exit 1, one line, nothing left behind.
count=$((count + 1))
"$BIN" --n 10 --t-end 0 --particles-out "$OUT/p.csv" --out "$OUT/no/such/dir/x.csv" \
    >/dev/null 2>"$TMP/stderr"
rc=$?
if [ $rc -ne 1 ] || [ "$(wc -l <"$TMP/stderr")" -ne 1 ] ||
    ! grep -q "^ferrosim: --out '.*x.csv': cannot open: No such file" "$TMP/stderr" ||
    [ -n "$(ls -A "$OUT")" ]; then
    echo "FAIL: unwritable --out: rc=$rc, stderr: $(cat "$TMP/stderr"), left: $(ls -A "$OUT")"
    fails=$((fails + 1))
fi

chmod 600 "$IN/unreadable.scenario"
echo "cli_bad_input: $((count - fails))/$count passed"
[ $fails -eq 0 ]

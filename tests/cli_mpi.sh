#!/usr/bin/env bash
# ferrosim-mpi under mpirun: the same bytes for 1, 2 and 3 ranks and as ferrosim alone, a
# failing rank (one line, non-zero exit, no file), bad input (exit 2, one line from rank 0),
# the progress bar from rank 0 only, and ferrosim-mpi started without mpirun runs alone.
# Skipped (exit 77) when ferrosim-mpi was not built (no OpenMPI, or a sanitizer build:
# OpenMPI's own allocations are reported by LeakSanitizer, so MPI is tested in Release only).
# Usage: bash cli_mpi.sh BUILD_DIR
set -u
DIR="$(cd "${1:?usage: cli_mpi.sh BUILD_DIR}" && pwd)"
MPIBIN="$DIR/ferrosim-mpi"
BIN="$DIR/ferrosim"
if [ ! -x "$MPIBIN" ] || ! command -v mpirun >/dev/null; then
    echo "SKIP: no ferrosim-mpi or mpirun in this build"
    exit 77
fi
source "$(dirname "$0")/lib.sh"
# --allow-run-as-root: CI runs as root; --oversubscribe: more ranks than cores;
# --bind-to none: each rank keeps every core for its OpenMP threads; no single-copy (CMA)
# transfers between ranks: they need ptrace rights that containers often withhold ("Read -1,
# expected ..., errno = 1"), and plain copies are as good for these few messages.
mpi() { # mpi R ARGS...
    local r=$1
    shift
    mpirun --allow-run-as-root --oversubscribe --bind-to none \
        --mca btl_vader_single_copy_mechanism none -np "$r" "$@"
}
ferro_lines() { grep -c '^ferrosim' "$1"; } # our lines, not mpirun's banners

STUDY=(--n 120 --t-end 0.1 --dt 0.02 --seed 5 --ensemble 5 --vary eps=0.04,0.01 --vary b=1,2)
"$BIN" "${STUDY[@]}" --out alone.csv 2>alone_err.txt
check "ferrosim alone succeeds" [ -s alone.csv -a ! -s alone_err.txt ]
for r in 1 2 3; do
    mpi "$r" "$MPIBIN" "${STUDY[@]}" --out "np$r.csv" >"np$r.out" 2>"np$r.err"
    rc=$?
    check "np $r: exit 0 (got $rc; $(head -c 300 "np$r.err"))" [ "$rc" -eq 0 ]
    check "np $r: the same bytes as ferrosim alone" cmp -s alone.csv "np$r.csv"
done
# a thread count per rank changes nothing either
OMP_NUM_THREADS=1 mpi 2 -x OMP_NUM_THREADS "$MPIBIN" "${STUDY[@]}" --out np2t1.csv 2>/dev/null
check "np 2, one thread per rank: the same bytes" cmp -s alone.csv np2t1.csv

# ferrosim-mpi without mpirun: runs alone (no MPI_Init), as ferrosim.
"$MPIBIN" "${STUDY[@]}" --out single.csv
check "ferrosim-mpi without mpirun = ferrosim" cmp -s alone.csv single.csv
"$MPIBIN" --n 50 --t-end 0.05 --out plain_mpi.csv && "$BIN" --n 50 --t-end 0.05 --out plain.csv
check "ferrosim-mpi plain run = ferrosim plain run" cmp -s plain.csv plain_mpi.csv

# A failing rank: task 4 runs on rank 1 of 3 (task j on rank j mod R).
mkdir -p out
FERROSIM_FAIL_TASK=4 mpi 3 -x FERROSIM_FAIL_TASK "$MPIBIN" --n 80 --t-end 0.5 --ensemble 6 \
    --vary eps=0.04,0.01 --out out/f.csv >fail.out 2>fail.err
rc=$?
check "failing rank: non-zero exit (got $rc)" [ "$rc" -ne 0 ]
check "failing rank: one line of ours" [ "$(ferro_lines fail.err)" -eq 1 ]
check "failing rank: the line names the rank and run" \
    grep -q '^ferrosim: rank 1: member 4 eps=0.04: failure injected' fail.err
check "failing rank: no output file" [ -z "$(ls -A out)" ]

# Bad input: every rank finds it, rank 0 alone says so.
mpi 2 "$MPIBIN" --n 10 --vary eps=0.1,-1 --out out/b.csv >bad.out 2>bad.err
rc=$?
check "bad --vary under mpirun: non-zero exit (got $rc)" [ "$rc" -ne 0 ]
check "bad --vary under mpirun: one line of ours" [ "$(ferro_lines bad.err)" -eq 1 ]
check "bad --vary under mpirun: names the problem" grep -q "^ferrosim: --vary eps=-1: eps: value -1 out of range" bad.err
check "bad --vary under mpirun: no output file" [ -z "$(ls -A out)" ]
mpi 2 "$MPIBIN" --n 10 --out out/c.csv >one.out 2>one.err
check "2 ranks without a study: refused" grep -q "^ferrosim: 2 ranks but no --ensemble or --vary" one.err

# --progress: one bar, drawn by rank 0, reaching 100% (stderr is a pipe here: lines).
mpi 2 "$MPIBIN" "${STUDY[@]}" --progress --out prog.csv >prog.out 2>prog.err
check "progress: the same bytes" cmp -s alone.csv prog.csv
check "progress: one final line at 100% ($(tail -n 1 prog.err))" \
    [ "$(grep -c '100% 20 runs on 2 ranks' prog.err)" -eq 1 ]

finish cli_mpi

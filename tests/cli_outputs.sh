#!/usr/bin/env bash
# ferrosim's outputs: CSV layout and row counts, --every, particles and field files (CSV and
# VTK), --t-end 0, scenario files and command-line overrides, reproducibility across runs and
# thread counts.  Usage: bash cli_outputs.sh BUILD_DIR
set -u
BIN="$(cd "${1:?usage: cli_outputs.sh BUILD_DIR}" && pwd)/ferrosim"
[ -x "$BIN" ] || { echo "no ferrosim in $1"; exit 1; }
EXAMPLE="$(cd "$(dirname "$0")/.." && pwd)/assets/example.scenario"
source "$(dirname "$0")/lib.sh"
rows() { tail -n +2 "$1" | wc -l; } # data rows after the header
differ() { ! cmp -s "$1" "$2"; }
line() { sed -n "$2p" "$1"; }
col() { # col FILE ROW NAME: the value in data row ROW (1 = first) of column NAME
    awk -F, -v r="$2" -v name="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
        NR == r + 1 { print $c }' "$1"
}

SMALL=(--n 200 --t-end 0.05 --dt 0.01 --seed 7)
HEADER='t,Hx,Hy,Hz,mx,my,mz,mean_spin,flips,ex,ey,ez,msd'

# Time series: header, t = 0 plus one row per step.
run "${SMALL[@]}" --out a.csv --particles-out p.csv --field-out f.csv --grid 6
check "series header" [ "$(line a.csv 1)" = "$HEADER" ]
check "series rows = 6 (t=0 + 5 steps)" [ "$(rows a.csv)" -eq 6 ]
check "series first t = 0.0" [ "$(col a.csv 1 t)" = 0.0 ]
check "series last t = 0.05" [ "$(col a.csv 6 t)" = 0.05 ]
check "every float column is written as a float in every row (flips an integer)" \
    awk -F, 'NR > 1 { for (i = 1; i <= NF; i++) if (i == 9 ? $i !~ /^[0-9]+$/ : $i !~ /[.en]/) bad = 1 }
        END { exit bad }' a.csv
check "no temporaries left" [ -z "$(ls | grep '\.tmp\.')" ]
check "nothing on stdout with outputs" [ ! -s stdout.txt ]

# Particles: header and n rows of 16 columns, spins +-1.
check "particles header" [ "$(line p.csv 1)" = \
    'x,y,z,xi_x,xi_y,xi_z,sigma,ux,uy,uz,omega_x,omega_y,omega_z,xis_x,xis_y,xis_z' ]
check "particles rows = n" [ "$(rows p.csv)" -eq 200 ]
check "particles 16 columns, sigma +-1" awk -F, 'NR > 1 && (NF != 16 || ($7 != 1 && $7 != -1)) { bad = 1 }
    END { exit bad }' p.csv

# Field CSV: "# delta=" line, header, grid^3 rows.
check "field delta line" grep -Eq '^# delta=[0-9.e+-]+$' <(line f.csv 1)
check "field header" [ "$(line f.csv 2)" = 'x,y,z,ux,uy,uz' ]
check "field rows = grid^3" [ "$(tail -n +3 f.csv | wc -l)" -eq 216 ]
check "field grid spans [-1.5,1.5]" [ "$(line f.csv 3 | cut -d, -f1-3)" = '-1.5,-1.5,-1.5' ] 
check "field last point (1.5,1.5,1.5)" [ "$(tail -n 1 f.csv | cut -d, -f1-3)" = '1.5,1.5,1.5' ]

# Field VTK.
run "${SMALL[@]}" --field-out f.vtk --grid 4
check "vtk magic line" [ "$(line f.vtk 1 | cut -c1-22)" = '# vtk DataFile Version' ]
check "vtk delta in title" grep -q 'delta=' <(line f.vtk 2)
check "vtk dimensions" grep -qx 'DIMENSIONS 4 4 4' f.vtk
check "vtk vectors" grep -qx 'VECTORS velocity double' f.vtk
check "vtk 64 vectors" [ "$(sed -n '/^VECTORS/,$p' f.vtk | tail -n +2 | wc -l)" -eq 64 ]

# --every 2: rows 0, 2, 4 and the last (5).
run "${SMALL[@]}" --out e.csv --every 2
check "--every 2 rows" [ "$(tail -n +2 e.csv | cut -d, -f1 | tr '\n' ' ')" = '0.0 0.02 0.04 0.05 ' ]
check "--every 2 rows equal to the full series" \
    [ "$(sed -n '2p;4p;6p;7p' a.csv)" = "$(tail -n +2 e.csv)" ]

# t-end not a multiple of dt: floor steps plus a shorter final one.
run --n 50 --t-end 0.035 --dt 0.01 --out r.csv
check "t-end 0.035 / dt 0.01: 5 rows ending at 0.035" \
    [ "$(tail -n +2 r.csv | cut -d, -f1 | tr '\n' ' ')" = '0.0 0.01 0.02 0.03 0.035 ' ]

# --t-end 0: the initial state.
run --n 50 --t-end 0 --out z.csv --particles-out zp.csv --field-out zf.csv --grid 3
check "t-end 0: one row" [ "$(rows z.csv)" -eq 1 ]
check "t-end 0: flips 0" [ "$(col z.csv 1 flips)" = 0 ]
check "t-end 0: particles" [ "$(rows zp.csv)" -eq 50 ]
check "t-end 0: field" [ "$(tail -n +3 zf.csv | wc -l)" -eq 27 ]

# No output options: a summary on stdout.
run --n 50 --t-end 0.02
check "summary on stdout" grep -q 'mean_spin=' stdout.txt

# Scenario file values are used, and the command line overrides them whatever the order.
cat >s.scenario <<'SC'
# test scenario
n = 100          # particles
H = 0.5,0,2
t-end = 0.02
dt = 0.01
no-interactions = 1
SC
run --scenario s.scenario --out s.csv --particles-out sp.csv
check "scenario H used" [ "$(col s.csv 1 Hx),$(col s.csv 1 Hy),$(col s.csv 1 Hz)" = '0.5,0.0,2.0' ]
check "scenario t-end/dt used" [ "$(rows s.csv)" -eq 3 ]
check "scenario n used" [ "$(rows sp.csv)" -eq 100 ]
run --H 0,3,0 --scenario s.scenario --out o.csv
check "command line overrides scenario (before)" [ "$(col o.csv 1 Hy)" = 3.0 ]
run --scenario s.scenario --H 0,3,0 --out o2.csv
check "command line overrides scenario (after)" [ "$(col o2.csv 1 Hy)" = 3.0 ]
check "other scenario values kept" [ "$(rows o2.csv)" -eq 3 ]
echo 'rotating = 2,1' >>s.scenario
run --scenario s.scenario --out rot.csv
check "scenario rotating field" [ "$(col rot.csv 1 Hx),$(col rot.csv 1 Hz)" = '2.0,0.0' ]
run --scenario s.scenario --H 0,0,1 --out rot2.csv
check "command-line H overrides the scenario's rotating field" \
    [ "$(col rot2.csv 2 Hx),$(col rot2.csv 2 Hz)" = '0.0,1.0' ]
run --H 0,0,1 --rotating 2,1 --n 50 --t-end 0 --out rot3.csv
check "--rotating replaces --H on the command line" [ "$(col rot3.csv 1 Hx)" = 2.0 ]

# The example scenario shipped in assets/ parses and runs.
if [ -f "$EXAMPLE" ]; then
    run --scenario "$EXAMPLE" --n 100 --t-end 0.02 --out ex.csv
    check "example scenario runs" [ "$(rows ex.csv)" -ge 2 ]
fi

# Reproducibility: same seed -> byte-identical; other seed -> different; threads don't matter.
run "${SMALL[@]}" --out b.csv --threads 1 --particles-out b1.csv
check "same seed, byte-identical CSV" cmp -s a.csv b.csv
run "${SMALL[@]}" --out c.csv --threads 2 --particles-out c2.csv
check "--threads 1 vs 2: identical series" cmp -s b.csv c.csv
check "--threads 1 vs 2: identical particles" cmp -s b1.csv c2.csv
run "${SMALL[@]}" --seed 8 --out d.csv
check "another seed differs" differ a.csv d.csv

# --no-effective: the microscopic columns are unchanged, the effective model's are nan.
run "${SMALL[@]}" --no-interactions --out m1.csv --particles-out p1.csv
run "${SMALL[@]}" --no-interactions --no-effective --out m2.csv --particles-out p2.csv
check "--no-effective: same micro series" \
    cmp -s <(cut -d, -f1-9 m1.csv) <(cut -d, -f1-9 m2.csv)
check "--no-effective: same particles" cmp -s <(cut -d, -f1-13 p1.csv) <(cut -d, -f1-13 p2.csv)
check "--no-effective: msd is nan, ex unchanged (built on xi)" \
    [ "$(col m2.csv 3 msd),$(col m2.csv 3 ex)" = "nan,$(col m1.csv 3 ex)" ]
check "--no-effective: xis_x is nan" [ "$(col p2.csv 1 xis_x)" = nan ]
check "with the effective model: ex is a number" [ "$(col m1.csv 3 ex)" != nan ]

# An existing output is replaced only at the end, atomically.
echo old >keep.csv
run --n 20 --t-end 0.01 --out keep.csv
check "existing output replaced" [ "$(line keep.csv 1)" = "$HEADER" ]

finish cli_outputs

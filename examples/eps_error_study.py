#!/usr/bin/python3
"""The effective model's error is linear in eps (MODEL.md, (3.3)): one ferrosim study.

Runs `ferrosim --ensemble 16 --vary eps=...` twice (interactions off, then on with phi = 0.05),
prints a Markdown table of msd(t = 1) = (1/N) sum |xi - xi*|^2 with standard errors and
msd/eps, and plots msd/eps against t (collapsing curves = linear in eps) and msd(1) against
eps with error bars (slope 1 on log axes).

    /usr/bin/python3 examples/eps_error_study.py [FERROSIM] [PNG] [CSV_PREFIX]
    (defaults: build/ferrosim, docs/eps-error.png, docs/eps-error; ferrosim-mpi under mpirun
    works the same: set FERROSIM="mpirun -np 4 build/ferrosim-mpi")
"""
import csv
import os
import shlex
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

EPS = "0.08,0.04,0.02,0.01,0.005"
COMMON = ["--n", "2000", "--b", "1", "--H", "0,0,3", "--t-end", "1", "--dt", "0.05",
          "--seed", "1", "--ensemble", "16", "--vary", "eps=" + EPS]
CASES = [("no interactions", ["--no-interactions"]),
         ("interactions, phi = 0.05", ["--phi", "0.05", "--stokes", "direct"])]


def run_study(ferrosim, extra, out):
    cmd = shlex.split(os.environ.get("FERROSIM", ferrosim)) + COMMON + extra + ["--out", out]
    subprocess.run(cmd, check=True)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    by_eps = {}
    for r in rows:
        by_eps.setdefault(float(r["eps"]), []).append(
            (float(r["t"]), float(r["msd"]), float(r["msd_se"])))
    return by_eps


def main():
    ferrosim = sys.argv[1] if len(sys.argv) > 1 else "build/ferrosim"
    png = sys.argv[2] if len(sys.argv) > 2 else "docs/eps-error.png"
    prefix = sys.argv[3] if len(sys.argv) > 3 else "docs/eps-error"
    results = []
    for k, (name, extra) in enumerate(CASES):
        results.append((name, run_study(ferrosim, extra, f"{prefix}-{k}.csv")))

    print("| eps | " + " | ".join(f"msd(1), {n} | msd/eps" for n, _ in results) + " |")
    print("|---|" + "---|---|" * len(results))
    for eps in sorted(results[0][1], reverse=True):
        cells = []
        for _, by_eps in results:
            t, m, se = by_eps[eps][-1]
            cells.append(f"{m:.3e} ± {se:.1e} | {m / eps:.4f} ± {se / eps:.4f}")
        print(f"| {eps:g} | " + " | ".join(cells) + " |")

    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = plt.cm.viridis([0.0, 0.25, 0.5, 0.75, 0.95])
    for (name, by_eps), style in zip(results, ["-", "--"]):
        for c, eps in zip(colours, sorted(by_eps, reverse=True)):
            t = [r[0] for r in by_eps[eps]]
            y = [r[1] / eps for r in by_eps[eps]]
            s = [2 * r[2] / eps for r in by_eps[eps]]
            ax[0].plot(t, y, style, color=c, label=f"eps = {eps:g}" if style == "-" else None)
            ax[0].fill_between(t, [a - b for a, b in zip(y, s)], [a + b for a, b in zip(y, s)],
                               color=c, alpha=0.2)
        e = sorted(by_eps)
        m = [by_eps[x][-1][1] for x in e]
        se = [2 * by_eps[x][-1][2] for x in e]
        ax[1].errorbar(e, m, yerr=se, fmt="o" + style, capsize=3, label=name)
    e = sorted(results[0][1])
    slope = results[0][1][e[0]][-1][1] / e[0]
    ax[1].plot(e, [slope * x for x in e], ":", color="grey", label="C eps (slope 1)")
    ax[0].set(xlabel="t", ylabel="msd / eps",
              title="msd/eps: the curves collapse (solid: no interactions,\n"
                    "dashed: phi = 0.05); bands: ±2 standard errors")
    ax[0].legend(fontsize=8)
    ax[1].set(xscale="log", yscale="log", xlabel="eps", ylabel="msd at t = 1",
              title="the error is linear in eps (error bars: ±2 se,\n"
                    "16 members of N = 2000 each)")
    ax[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    print(f"wrote {png}")


if __name__ == "__main__":
    main()

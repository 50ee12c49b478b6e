#!/usr/bin/env python3
"""Néel relaxation through the Python API: after the field is switched off, M·Ĥ decays like
e^{-2(t - t_off)/ε} (MODEL.md, (1.2): with H = 0 every spin flips at rate 1/ε, and without
interactions the orientations stay where they are).

R independent runs (seeds 1..R) of N particles; the plot shows the mean over the runs of
m_z(t)/m_z(t_off) with error bars of two standard errors of that mean (about 95%), against the
prediction. Run from the repository root after the build:

    PYTHONPATH=python /usr/bin/python3 examples/neel_decay.py [docs/neel-decay.png]
"""
import math
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import ferro  # noqa: E402

EPS, T_OFF, N, RUNS = 0.2, 0.5, 20000, 8
OUT = sys.argv[1] if len(sys.argv) > 1 else "neel-decay.png"

ratios, t = [], None
for seed in range(1, RUNS + 1):
    sim = ferro.Simulation(n=N, eps=EPS, b=3, H=(0, 0, 1), switch_off=T_OFF, dt=0.025,
                           seed=seed, interactions=False, init="aligned")
    s = sim.run(T_OFF + 4 * EPS)
    off = np.searchsorted(s["t"], T_OFF - 1e-12)
    t = s["t"][off:] - T_OFF
    ratios.append(s["mz"][off:] / s["mz"][off])
ratios = np.array(ratios)
mean = ratios.mean(axis=0)
err = 2 * ratios.std(axis=0, ddof=1) / math.sqrt(RUNS)
theory = np.exp(-2 * t / EPS)
z = np.abs(mean - theory)[1:] / (err[1:] / 2)  # t = t_off itself is 1 exactly
print("t - t_off   mean ratio   2 s.e.     theory     |z|")
for k in range(4, len(t), 4):
    print("%8.3f   %9.5f   %8.5f   %9.5f   %5.2f" % (t[k], mean[k], err[k], theory[k], z[k - 1]))
print("largest |z| over %d times: %.2f" % (len(z), z.max()))

fig, (ax, axl) = plt.subplots(1, 2, figsize=(10, 4))
tt = np.linspace(0, t[-1], 200)
for a, log in ((ax, False), (axl, True)):
    a.plot(tt, np.exp(-2 * tt / EPS), "k-", lw=1.2, label=r"$e^{-2(t-t_{off})/\varepsilon}$")
    a.errorbar(t, mean, yerr=err, fmt="o", ms=3, color="tab:red", capsize=2,
               label="simulation, mean of %d runs ± 2 s.e." % RUNS)
    a.set_xlabel(r"$t - t_{off}$")
    if log:
        a.set_yscale("log")
        a.set_ylim(1e-4, 1.5)
a.legend(loc="lower left", fontsize=8)
ax.set_ylabel(r"$M\cdot\hat H(t)\,/\,M\cdot\hat H(t_{off})$")
fig.suptitle(r"Néel relaxation after the switch-off: N = %d, $\varepsilon$ = %g, no interactions"
             % (N, EPS))
fig.tight_layout()
fig.savefig(OUT, dpi=110)
print("wrote", OUT)

/* The predictions of MODEL.md that a correct simulation reproduces.
 *
 * Statistical checks: every tolerance is z standard errors of the quantity, with the
 * standard error computed from the sample size N (and the exact variance of the estimator
 * where it is known). z = 4.5 gives a two-sided false-alarm probability of 7e-6 per check;
 * with fewer than 40 checks in this file the chance of any false alarm is below 3e-4.
 * The runs are seeded, so a pass or fail is reproducible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "dynamics.h"
#include "effective_map.h"
#include "simd.h"
#include "ferro/sim.h"

#include <gsl/gsl_randist.h>

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define Z 4.5

/* Smaller runs under the sanitizers (slow); the tolerances follow N automatically. */
static int scaled(int n) { return test_scaled(n, 4); }

static fr_sim *make(const fr_params *p) { return test_make(p); }

static double mean_spin(const fr_sim *s)
{
    fr_diag d;
    fr_sim_diag(s, &d);
    return d.mean_spin;
}

/* Néel relaxation: after the switch-off λ± = 1, every spin flips with rate 1/ε and
 * E[σ(t) | σ(t_off)] = σ(t_off) e^{−2(t−t_off)/ε}, with conditional variance
 * 1 − e^{−4(t−t_off)/ε} per spin. Two ε, two b. */
static void test_neel_decay_after_switch_off(void **state)
{
    (void)state;
    const double eps_b[2][2] = {{0.01, 1.0}, {0.04, 3.0}};
    for (int c = 0; c < 2; c++) {
        const double eps = eps_b[c][0], b = eps_b[c][1];
        fr_params p = fr_params_default();
        p.n = scaled(20000);
        p.eps = eps;
        p.b = b;
        p.init = FR_INIT_ALIGNED;
        p.interactions = 0;
        p.field.H0[2] = 1.0;
        p.field.has_switch_off = 1;
        p.field.t_off = 10.0 * eps; /* equilibrate first: mean spin → tanh(b) */
        p.seed = 11 + c;
        fr_sim *s = make(&p);
        fr_sim_advance(s, p.field.t_off);
        const double m_off = mean_spin(s);
        const double se_eq = sqrt((1 - tanh(b) * tanh(b)) / p.n);
        printf("  eps=%g b=%g  mean spin at t_off %.5f, tanh(b) = %.5f (%.1f SE)\n", eps, b, m_off,
               tanh(b), (m_off - tanh(b)) / se_eq);
        assert_true(fabs(m_off - tanh(b)) <= Z * se_eq);
        double rate_num = 0.0, rate_den = 0.0;
        for (int k = 1; k <= 4; k++) {
            fr_sim_advance(s, 0.25 * eps);
            const double dt = 0.25 * eps * k;
            const double decay = exp(-2.0 * dt / eps);
            const double m = mean_spin(s);
            const double se = sqrt((1.0 - decay * decay) / p.n);
            printf("  eps=%g b=%g  t-t_off=%.3g eps  mean spin %.5f  theory %.5f  (%.1f SE)\n", eps,
                   b, dt / eps, m, m_off * decay, (m - m_off * decay) / se);
            assert_true(fabs(m - m_off * decay) <= Z * se);
            /* least-squares slope of −ln(m/m_off) against Δt, through the origin */
            rate_num += dt * (-log(m / m_off));
            rate_den += dt * dt;
        }
        const double rate = rate_num / rate_den;
        printf("  eps=%g b=%g  measured decay rate %.4f /eps (theory 2)\n", eps, b, rate * eps);
        /* orientations frozen after the switch-off (no torque, no flow) */
        fr_view v = fr_sim_view(s);
        for (int i = 0; i < v.n; i++)
            assert_true(fabs(v.xi[2][i] - 1.0) < 1e-12);
        fr_sim_free(s);
    }
}

/* Equilibrium spin law (1.6)–(1.8): with orientations held, the mean spin at ξ tends to
 * tanh(b H·ξ) within a time of order ε, from any start (here all −1). Two directions. */
static void test_equilibrium_spin_law(void **state)
{
    (void)state;
    fr_params p = fr_params_default();
    p.n = scaled(20000);
    p.eps = 0.02;
    p.b = 2.0;
    p.hold_orientations = 1;
    p.interactions = 0;
    p.field.H0[0] = 0.0;
    p.field.H0[2] = 1.5;
    fr_sim *s = make(&p);
    const double c[2] = {0.4, -0.15}; /* cos of the angle to H */
    for (int i = 0; i < p.n; i++) {
        const double ct = c[i % 2], xi[3] = {sqrt(1 - ct * ct), 0.0, ct};
        fr_sim_set_orientation(s, i, xi);
        fr_sim_set_spin(s, i, -1);
    }
    fr_sim_advance(s, 15.0 * p.eps); /* relaxation rate ≥ 2/ε: e^{−30} left */
    fr_view v = fr_sim_view(s);
    for (int g = 0; g < 2; g++) {
        double sum = 0.0;
        int cnt = 0;
        for (int i = g; i < v.n; i += 2) {
            sum += v.sigma[i];
            cnt++;
        }
        const double m = sum / cnt, m0 = tanh(p.b * 1.5 * c[g]);
        const double se = sqrt((1 - m0 * m0) / cnt);
        printf("  H.xi=%.3f: mean spin %.5f, tanh(b H.xi) = %.5f (%.1f SE)\n", 1.5 * c[g], m, m0,
               (m - m0) / se);
        assert_true(fabs(m - m0) <= Z * se);
    }
    fr_sim_free(s);
}

/* Saturation: all aligned with a uniform H, M·Ĥ/φ = (1/N)Σσ ξ·Ĥ → tanh(b|H|), with and
 * without interactions (aligned particles feel no torque and make no flow). */
static void test_saturation_aligned(void **state)
{
    (void)state;
    for (int inter = 0; inter < 2; inter++) {
        fr_params p = fr_params_default();
        p.n = inter ? scaled(2000) : scaled(20000);
        p.eps = 0.01;
        p.b = 1.0;
        p.init = FR_INIT_ALIGNED;
        p.interactions = inter;
        p.field.H0[0] = 0.6;
        p.field.H0[1] = 0.0;
        p.field.H0[2] = 0.8; /* |H| = 1 */
        p.dt = 0.02;
        fr_sim *s = make(&p);
        for (int k = 0; k < 10; k++)
            fr_sim_step(s);
        fr_diag d;
        fr_sim_diag(s, &d);
        const double MH = (d.m[0] * 0.6 + d.m[2] * 0.8); /* M·Ĥ/φ */
        const double m0 = tanh(p.b * 1.0), se = sqrt((1 - m0 * m0) / p.n);
        printf("  interactions=%d: M.H/phi = %.5f, tanh(b|H|) = %.5f (%.1f SE)\n", inter, MH, m0,
               (MH - m0) / se);
        assert_true(fabs(MH - m0) <= Z * se);
        fr_sim_free(s);
    }
}

/* Frozen spins (ε huge): the angle θ to a uniform H obeys tan(θ/2) = tan(θ0/2) e^{−σγ|H|t}.
 * Deterministic: compared to 1e-7, far above RK4's error at these steps. */
static void test_frozen_spins_follow_closed_form(void **state)
{
    (void)state;
    fr_params p = fr_params_default();
    p.n = 200;
    p.eps = 1e12;
    p.b = 1.0;
    p.interactions = 0;
    p.field.H0[2] = 2.0;
    p.dt = 0.05;
    fr_sim *s = make(&p);
    fr_view v0 = fr_sim_view(s);
    double *th0 = malloc(sizeof(double) * p.n);
    int *sg = malloc(sizeof(int) * p.n);
    for (int i = 0; i < p.n; i++) {
        th0[i] = acos(v0.xi[2][i]);
        sg[i] = v0.sigma[i];
    }
    const double T = 4.0, gamma = 1.0 / 6.0;
    fr_sim_advance(s, 1.0);
    fr_sim_advance(s, 1.5);
    fr_sim_advance(s, 1.5);
    fr_view v = fr_sim_view(s);
    double maxerr = 0.0;
    for (int i = 0; i < p.n; i++) {
        assert_int_equal(v.sigma[i], sg[i]);
        const double th = 2.0 * atan(tan(th0[i] / 2.0) * exp(-sg[i] * gamma * 2.0 * T));
        maxerr = fmax(maxerr, fabs(acos(fmax(-1.0, fmin(1.0, v.xi[2][i]))) - th));
    }
    printf("  max |theta - closed form| = %.3g rad\n", maxerr);
    assert_true(maxerr < 1e-7);
    fr_diag d;
    fr_sim_diag(s, &d);
    assert_int_equal(d.flips, 0);
    free(th0);
    free(sg);
    fr_sim_free(s);
}

/* Fast-flip limit with interactions off, (3.3): (1/N) E Σ|ξ_i − ξ*_i|² ≈ C ε t, so halving ε
 * halves the error. Ratio of the two sample means, standard error by the delta method from
 * the per-particle sample variances (the runs share initial orientations, which correlates
 * them positively; treating them as independent overestimates the error: conservative). */
static void msd_stats(double eps, int n, double *mean, double *se)
{
    fr_params p = fr_params_default();
    p.n = n;
    p.eps = eps;
    p.b = 1.0;
    p.interactions = 0;
    p.field.H0[2] = 3.0;
    p.dt = 0.02;
    p.seed = 7;
    fr_sim *s = make(&p);
    fr_sim_advance(s, 1.0);
    fr_view v = fr_sim_view(s);
    double sum = 0.0, sum2 = 0.0;
    for (int i = 0; i < v.n; i++) {
        double e = 0.0;
        for (int k = 0; k < 3; k++)
            e += (v.xi[k][i] - v.xis[k][i]) * (v.xi[k][i] - v.xis[k][i]);
        sum += e;
        sum2 += e * e;
    }
    *mean = sum / n;
    *se = sqrt((sum2 / n - *mean * *mean) / (n - 1));
    fr_sim_free(s);
}

static void test_error_linear_in_eps(void **state)
{
    (void)state;
    const int n = scaled(12000);
    double a, sa, b, sb, c, sc;
    msd_stats(0.004, n, &a, &sa);
    msd_stats(0.002, n, &b, &sb);
    msd_stats(0.001, n, &c, &sc);
    const double r1 = a / b, r2 = b / c;
    const double se1 = r1 * sqrt(pow(sa / a, 2) + pow(sb / b, 2));
    const double se2 = r2 * sqrt(pow(sb / b, 2) + pow(sc / c, 2));
    printf("  msd(t=1): eps=0.004 %.4g  eps=0.002 %.4g  eps=0.001 %.4g\n", a, b, c);
    printf("  ratios %.3f +- %.3f and %.3f +- %.3f (linear in eps: 2)\n", r1, se1, r2, se2);
    printf("  slope msd/(eps t) = %.3f, %.3f, %.3f\n", a / 0.004, b / 0.002, c / 0.001);
    assert_true(fabs(r1 - 2.0) <= Z * se1);
    assert_true(fabs(r2 - 2.0) <= Z * se2);
}

/* No NaN and the right spins at b|H| = 1e4, where exp(b|H|) would overflow. */
static void test_no_nan_at_huge_bH(void **state)
{
    (void)state;
    fr_params p = fr_params_default();
    p.n = scaled(1000);
    p.b = 1e4;
    p.eps = 0.01;
    p.field.H0[2] = 1.0;
    p.field.grad_g = 0.3;
    p.dt = 0.02;
    fr_sim *s = make(&p);
    for (int k = 0; k < 5; k++)
        fr_sim_step(s);
    fr_view v = fr_sim_view(s);
    int wrong = 0;
    for (int i = 0; i < v.n; i++) {
        const double nn = v.xi[0][i] * v.xi[0][i] + v.xi[1][i] * v.xi[1][i] + v.xi[2][i] * v.xi[2][i];
        assert_true(isfinite(nn) && fabs(nn - 1.0) < 1e-12);
        assert_true(isfinite(v.xis[0][i] + v.xis[1][i] + v.xis[2][i]));
        /* H.xi well away from 0: the spin sits in its favourable state (the other one
         * would flip back within e^{-100} of a unit time) */
        const double hz = 1.0 + 0.3 * v.X[2][i], hx = -0.15 * v.X[0][i], hy = -0.15 * v.X[1][i];
        const double hxi = hx * v.xi[0][i] + hy * v.xi[1][i] + hz * v.xi[2][i];
        if (fabs(hxi) > 0.01 && v.sigma[i] * hxi < 0)
            wrong++;
    }
    assert_int_equal(wrong, 0);
    fr_diag d;
    fr_sim_diag(s, &d);
    assert_true(isfinite(d.msd) && isfinite(d.m[0] + d.m[1] + d.m[2] + d.e[0] + d.e[1] + d.e[2]));
    double *u = malloc(sizeof(double) * 3 * v.n), *w = malloc(sizeof(double) * 3 * v.n);
    fr_sim_ambient(s, u, w);
    for (int i = 0; i < 3 * v.n; i++)
        assert_true(isfinite(u[i]) && isfinite(w[i]));
    free(u);
    free(w);
    fr_sim_free(s);
}

/* Same seed and options give bit-identical state whatever the thread count: the general path
 * (rotating field plus gradient, interactions) and the static-field sampler (interactions off,
 * N not a multiple of the chunk size). */
static void test_determinism_across_threads(void **state)
{
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        fr_params p = fr_params_default();
        p.eps = 0.01;
        p.dt = 0.01;
        if (variant == 0) {
            p.n = 400;
            p.field.rotating = 1;
            p.field.rot_H0 = 2.0;
            p.field.rot_omega = 3.0;
            p.field.grad_g = 0.5;
        } else {
            p.n = 1000;
            p.interactions = 0;
            p.field.grad_g = variant == 1 ? 0.5 : 0.0; /* a different field at every particle,
                                                       * or a uniform one (tabulated ξ* step) */
        }
        fr_sim *ref = NULL;
        const int threads[3] = {1, 2, 3};
        for (int t = 0; t < 3; t++) {
            omp_set_num_threads(threads[t]);
            fr_sim *s = make(&p);
            for (int k = 0; k < 10; k++)
                fr_sim_step(s);
            if (!ref) {
                ref = s;
                continue;
            }
            test_same_state(ref, s);
            fr_sim_free(s);
        }
        fr_sim_free(ref);
    }
}

/* The effective model's tabulated step (effective_map.h) against fine integrations: the scalar
 * map c ↦ c' against RK4 of ċ = k tanh(Bc)(1 − c²) with 400 substeps, anywhere in [−1, 1]
 * and next to the poles, to a few units of rounding of c; the whole step of ξ* (c' and the
 * shrunk perpendicular part, azimuth kept) against RK4 of the 3-D ODE (1.9) with substeps
 * of λh ≤ 2e-4; and the simulation's static step uses exactly this map. */
static void rk4_eff3(double k, double B, const double u[3], double h, int ms, double y[3])
{
    /* in long double: the reference's own rounding over many substeps stays ~1e-18 */
    const long double Hn = (long double)k / FR_GAMMA_SPHERE, g = FR_GAMMA_SPHERE, b = B / Hn;
    const long double H[3] = {Hn * u[0], Hn * u[1], Hn * u[2]}, hs = (long double)h / ms;
    long double Y[3] = {y[0], y[1], y[2]};
    for (int s = 0; s < ms; s++) {
        long double kk[4][3], z[3];
        for (int st = 0; st < 4; st++) {
            const long double f = st == 0 ? 0.0L : st == 3 ? 1.0L : 0.5L;
            for (int q = 0; q < 3; q++)
                z[q] = Y[q] + (st ? f * hs * kk[st - 1][q] : 0.0L);
            const long double Hz = H[0] * z[0] + H[1] * z[1] + H[2] * z[2];
            for (int q = 0; q < 3; q++) /* (1.9): γ tanh(b H·ξ) P_ξ⊥ H */
                kk[st][q] = g * tanhl(b * Hz) * (H[q] - Hz * z[q]);
        }
        for (int q = 0; q < 3; q++)
            Y[q] += hs / 6.0L * (kk[0][q] + 2.0L * kk[1][q] + 2.0L * kk[2][q] + kk[3][q]);
        const long double nn = sqrtl(Y[0] * Y[0] + Y[1] * Y[1] + Y[2] * Y[2]);
        for (int q = 0; q < 3; q++)
            Y[q] /= nn;
    }
    for (int q = 0; q < 3; q++)
        y[q] = (double)Y[q];
}

static void test_effective_map(void **state)
{
    (void)state;
    const double cases[4][3] = {{1.0 / 6.0, 2.0, 1e-3}, {1.0 / 6.0, 2.0, 0.05},
                                {0.5, 30.0, 0.01}, {2.0 / 6.0, 300.0, 1e-4}};
    uint64_t st = 12345;
    for (int q = 0; q < 4; q++) {
        const double k = cases[q][0], B = cases[q][1], h = cases[q][2];
        fr_eff_map m = {0};
        assert_int_equal(fr_eff_map_prepare(&m, k, B, h), 0);
        double e1 = 0.0;
        for (int i = 0; i < 3000; i++) {
            double c;
            if (i < 30) /* 1 ∓ 10^-j: next to the fixed points */
                c = (i % 2 ? -1.0 : 1.0) * (1.0 - pow(10.0, -1.0 - i / 2));
            else
                c = 2.0 * ((double)((st = st * 6364136223846793005ULL + 1442695040888963407ULL) >> 11) /
                           9007199254740992.0) - 1.0;
            e1 = fmax(e1, fabs(fr_eff_map_c(&m, c) - fr_eff_flow_c(k, B, h, c, 400)));
        }
        /* 3-D: random ξ* about a tilted Ĥ */
        const double u[3] = {0.48, -0.6, 0.64};
        double e3 = 0.0, x[3][64];
        for (int i = 0; i < 64; i++) {
            double v[3], nn = 0.0;
            for (int c = 0; c < 3; c++) {
                st = st * 6364136223846793005ULL + 1442695040888963407ULL;
                v[c] = (double)(st >> 11) / 9007199254740992.0 - 0.5;
                nn += v[c] * v[c];
            }
            for (int c = 0; c < 3; c++)
                x[c][i] = v[c] / sqrt(nn);
        }
        if (q < 3) /* one on the pole */
            for (int c = 0; c < 3; c++)
                x[c][0] = u[c];
        double ref[3][64];
        /* substeps with λh ≤ 2e-4 (error ~1e-21 each): more would only add rounding */
        const int ms = (int)fmax(4.0, ceil(k * (1.0 + 2.0 * B) * h / 2e-4));
        for (int i = 0; i < 64; i++) {
            double y[3] = {x[0][i], x[1][i], x[2][i]};
            rk4_eff3(k, B, u, h, ms, y);
            for (int c = 0; c < 3; c++)
                ref[c][i] = y[c];
        }
        double xs[3][64]; /* the same through the portable kernel */
        memcpy(xs, x, sizeof xs);
        fr_eff_map_apply(&m, 64, u, x[0], x[1], x[2]);
        const int isa = m.isa;
        m.isa = FR_ISA_SCALAR;
        fr_eff_map_apply(&m, 64, u, xs[0], xs[1], xs[2]);
        m.isa = isa;
        /* the AVX-512 table read (permutes) does the same operations: the same bits */
        assert_memory_equal(xs, x, sizeof xs);
        for (int i = 0; i < 64; i++)
            for (int c = 0; c < 3; c++)
                e3 = fmax(e3, fabs(x[c][i] - ref[c][i]));
        printf("  k=%g B=%g h=%g: %d intervals, c' max error %.1e, xi* max error %.1e\n", k, B, h,
               m.nint, e1, e3);
        assert_true(e1 <= 4.5e-16);
        assert_true(e3 <= 1e-15);
        fr_eff_map_free(&m);
    }
    /* a b|H| too large for a table: refused (the sampler then integrates by RK4) */
    fr_eff_map big = {0};
    assert_int_equal(fr_eff_map_prepare(&big, 1.0 / 6.0, 1e5, 1e-3), -1);
    assert_int_equal(big.nint, 0);

    /* the simulation's static step is this map, bit for bit */
    fr_params p = fr_params_default();
    p.n = 600;
    p.interactions = 0;
    p.dt = 0.02;
    p.field.H0[0] = 1.0;
    p.field.H0[2] = 2.0;
    fr_sim *s = make(&p);
    const double Hn = sqrt(5.0), kk = FR_GAMMA_SPHERE * Hn, BB = p.b * Hn;
    const int ns = fr_static_eff_substeps(kk, BB, p.dt);
    fr_eff_map m = {0};
    assert_int_equal(fr_eff_map_prepare(&m, kk, BB, p.dt / ns), 0);
    const fr_view v = fr_sim_view(s);
    double *y[3];
    for (int c = 0; c < 3; c++) {
        y[c] = malloc(sizeof(double) * p.n);
        memcpy(y[c], v.xis[c], sizeof(double) * p.n);
    }
    const double inv = 1.0 / Hn, u[3] = {inv, 0.0, 2.0 * inv}; /* Ĥ as the sampler forms it */
    for (int i0 = 0; i0 < p.n; i0 += FR_CHUNK)
        for (int r = 0; r < ns; r++)
            fr_eff_map_apply(&m, p.n - i0 < FR_CHUNK ? p.n - i0 : FR_CHUNK, u, y[0] + i0,
                             y[1] + i0, y[2] + i0);
    fr_sim_step(s);
    for (int c = 0; c < 3; c++) {
        assert_memory_equal(y[c], v.xis[c], sizeof(double) * p.n);
        free(y[c]);
    }
    fr_eff_map_free(&m);
    fr_sim_free(s);
}

/* The particles' counter-based streams (rng.h): Philox4x32-10 gives the known-answer vectors
 * of its authors (Random123's kat_vectors), the gsl_rng face of a stream hands out the same
 * numbers as the static sampler's block draws and moves the counter on by the blocks it
 * opened, and 1e6 uniforms from 1000 neighbouring streams have mean 1/2 and no correlation
 * between neighbouring streams or consecutive blocks (within Z standard errors). */
static void test_philox_streams(void **state)
{
    (void)state;
    const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
        {~0u, ~0u, ~0u, ~0u, ~0u, ~0u, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu},
        {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u,
         0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}};
    for (int q = 0; q < 3; q++) {
        uint32_t c[4] = {kat[q][0], kat[q][1], kat[q][2], kat[q][3]};
        fr_philox4x32(c, (fr_rng_key){kat[q][4], kat[q][5]});
        for (int j = 0; j < 4; j++)
            assert_true(c[j] == kat[q][6 + j]);
    }
    const fr_rng_key key = fr_rng_key_from_seed(42);
    gsl_rng r;
    fr_rng_stream st;
    fr_rng_open(&r, &st, key, 7, 5);
    for (uint64_t b = 5; b < 9; b++) {
        uint32_t w[4];
        fr_philox(key, b, 7, w);
        assert_true(gsl_rng_uniform(&r) == fr_rng_u53(w[0], w[1]));
        assert_true(gsl_rng_uniform(&r) == fr_rng_u53(w[2], w[3]));
    }
    assert_true(fr_rng_close(&st) == 9);
    fr_rng_open(&r, &st, key, 7, 5);
    uint32_t w[4];
    fr_philox(key, 5, 7, w);
    for (int j = 0; j < 4; j++)
        assert_true(gsl_rng_get(&r) == w[j]);
    gsl_rng_get(&r); /* opens block 6 */
    assert_true(fr_rng_close(&st) == 7);

    const int ns = 1000, nb = 1000;
    double sum = 0.0, cs = 0.0, cb = 0.0;
    for (int i = 0; i < ns; i++) {
        double prev = 0.0;
        for (int b = 0; b < nb; b++) {
            uint32_t a[4], c[4];
            fr_philox(key, (uint64_t)b, (uint32_t)i, a);
            fr_philox(key, (uint64_t)b, (uint32_t)i + 1, c);
            const double u = fr_rng_u53(a[0], a[1]) - 0.5, v = fr_rng_u53(c[0], c[1]) - 0.5;
            sum += u;
            cs += u * v;
            if (b)
                cb += u * prev;
            prev = u;
        }
    }
    const double n = (double)ns * nb;
    /* mean: SE √(1/12 / n); products of independent centred uniforms: SE (1/12)/√n */
    printf("  philox: mean-1/2 %+.1f SE, neighbour streams %+.1f SE, consecutive blocks %+.1f SE\n",
           sum / n / sqrt(1.0 / 12.0 / n), cs / n / (1.0 / 12.0 / sqrt(n)),
           cb / n / (1.0 / 12.0 / sqrt(n)));
    assert_true(fabs(sum / n) <= Z * sqrt(1.0 / 12.0 / n));
    assert_true(fabs(cs / n) <= Z * (1.0 / 12.0) / sqrt(n));
    assert_true(fabs(cb / n) <= Z * (1.0 / 12.0) / sqrt(n));
}

/* fr_sim_diag sums fixed blocks (diag.h): the sums the static-field step leaves behind equal,
 * bit for bit, those taken afresh (here after a no-op fr_sim_set_spin, which invalidates
 * them), at 1 and 3 threads; and both agree with plain serial sums over the particles to
 * rounding (1e-12 relative: ~3000 terms of size 1, each sum ~1e-16 per term). */
static void test_diagnostics_blocks(void **state)
{
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        fr_params p = fr_params_default();
        p.n = 3001; /* 12 blocks, the last one short */
        p.eps = 0.05;
        p.interactions = 0;
        if (variant == 1)
            p.field.grad_g = 0.5;
        fr_diag d[2][2];
        for (int th = 0; th < 2; th++) {
            omp_set_num_threads(th ? 3 : 1);
            fr_sim *s = make(&p);
            for (int k = 0; k < 5; k++)
                fr_sim_step(s);
            fr_sim_diag(s, &d[th][0]);
            fr_view v = fr_sim_view(s);
            fr_sim_set_spin(s, 0, v.sigma[0]);
            fr_sim_diag(s, &d[th][1]);
            assert_memory_equal(&d[th][0], &d[th][1], sizeof d[th][0]);
            double m[3] = {0}, e[3] = {0}, msd = 0, spin = 0;
            for (int i = 0; i < p.n; i++) {
                double H[3];
                const double X[3] = {v.X[0][i], v.X[1][i], v.X[2][i]};
                fr_field_eval(&p.field, v.t, X, H, NULL);
                /* e on the particles' orientations, as the effective velocity (README) */
                const double m0 =
                    tanh(p.b * (H[0] * v.xi[0][i] + H[1] * v.xi[1][i] + H[2] * v.xi[2][i]));
                for (int k = 0; k < 3; k++) {
                    m[k] += v.sigma[i] * v.xi[k][i];
                    e[k] += m0 * v.xi[k][i];
                    msd += (v.xi[k][i] - v.xis[k][i]) * (v.xi[k][i] - v.xis[k][i]);
                }
                spin += v.sigma[i];
            }
            for (int k = 0; k < 3; k++) {
                assert_true(fabs(d[th][0].m[k] - m[k] / p.n) < 1e-12);
                assert_true(fabs(d[th][0].e[k] - e[k] / p.n) < 1e-12);
            }
            assert_true(fabs(d[th][0].msd - msd / p.n) < 1e-12 * (1.0 + msd / p.n));
            assert_true(d[th][0].mean_spin == spin * (1.0 / p.n)); /* exact: integer sum */
            fr_sim_free(s);
        }
        assert_memory_equal(&d[0][0], &d[1][0], sizeof d[0][0]);
    }
    omp_set_num_threads(2);
}

/* The fast interaction sum, too, is bit-identical for any thread count, and it agrees with
 * the direct sum to its tolerance over a few coupled steps (frozen spins: deterministic). */
static void test_fast_stokes_determinism_and_agreement(void **state)
{
    (void)state;
    fr_params p = fr_params_default();
    p.n = getenv("FERRO_SANITIZED") ? 1000 : 3000;
    p.eps = 1e12;
    p.phi = 0.2;
    p.field.grad_g = 1.0;
    p.dt = 0.05;
    p.stokes = FR_STOKES_FAST;
    fr_sim *a = NULL, *b = NULL, *c = NULL;
    omp_set_num_threads(1);
    a = make(&p);
    omp_set_num_threads(2);
    b = make(&p);
    p.stokes = FR_STOKES_DIRECT;
    c = make(&p);
    assert_string_equal(fr_sim_stokes_name(a), "fast 1e-3");
    assert_string_equal(fr_sim_stokes_name(c), "direct");
    for (int k = 0; k < 4; k++) {
        omp_set_num_threads(1);
        fr_sim_step(a);
        omp_set_num_threads(2);
        fr_sim_step(b);
        fr_sim_step(c);
    }
    fr_view va = fr_sim_view(a), vb = fr_sim_view(b), vc = fr_sim_view(c), v0;
    double maxd = 0.0, maxturn = 0.0;
    fr_sim *d = make(&p); /* no step: the initial orientations */
    v0 = fr_sim_view(d);
    for (int k = 0; k < 3; k++) {
        assert_memory_equal(va.xi[k], vb.xi[k], sizeof(double) * p.n);
        for (int i = 0; i < p.n; i++) {
            maxd = fmax(maxd, fabs(va.xi[k][i] - vc.xi[k][i]));
            maxturn = fmax(maxturn, fabs(vc.xi[k][i] - v0.xi[k][i]));
        }
    }
    /* the flow turns the particles by O(φ) relative to their own torque; the fast method's
     * error (1e-3 of the flow) must leave the orientations within 1e-3 of the total turn */
    printf("  fast vs direct after 4 steps: max |dxi| = %.3g (total turn %.3g)\n", maxd, maxturn);
    assert_true(maxd <= 1e-3 * maxturn);
    fr_sim_free(a);
    fr_sim_free(b);
    fr_sim_free(c);
    fr_sim_free(d);
}

/* Bad parameters are refused with a message naming them. */
/* The two samplers of the jump process agree in law, in a transient where orientations turn a
 * lot between flips: the general path (RK4 for ξ and the integrated hazard Λ, flips where Λ
 * reaches an Exp(1) threshold, located on the Hermite interpolant) and the static-field path
 * (closed-form orientations, flips by thinning). The same initial ensemble (ξ uniform on S²,
 * σ = ±1) is run through both with independent random streams, H = 3 e_z, ε = 0.5, b = 1,
 * γ = 1/6 (rates between e^{-3}/ε and e^{3}/ε, turning rate γ|H| = 0.5); the means of σ,
 * c = Ĥ·ξ and σc and the flip count are compared at three times by a two-sample test,
 * tolerance Z standard errors from the sample variances. Coupling steps of 0.5 (neither
 * sampler has a step-size error) make the test sensitive: evaluating the acceptance ratio at
 * the last event instead of at the candidate time shows up as +8.8 SE in the flip count. */
typedef struct ens {
    int n;
    double *X[3], *xi[3], *xis[3], *hazard, *thresh;
    int8_t *sigma;
    long long *flips;
    gsl_rng *rng;              /* GSL taus2 streams: the general path (any gsl_rng) */
    unsigned char *rng_state;
    uint64_t *ctr;             /* counter-based streams: the static sampler (rng.h) */
    fr_rng_key key;
} ens;

static void ens_init(ens *e, int n, uint64_t seed)
{
    e->n = n;
    for (int k = 0; k < 3; k++) {
        e->X[k] = calloc((size_t)n, sizeof(double));
        e->xi[k] = calloc((size_t)n, sizeof(double));
        e->xis[k] = calloc((size_t)n, sizeof(double));
    }
    e->hazard = calloc((size_t)n, sizeof(double));
    e->thresh = calloc((size_t)n, sizeof(double));
    e->sigma = calloc((size_t)n, 1);
    e->flips = calloc((size_t)n, sizeof(long long));
    e->rng = calloc((size_t)n, sizeof(gsl_rng));
    e->rng_state = calloc((size_t)n, gsl_rng_taus2->size);
    e->ctr = calloc((size_t)n, sizeof(uint64_t));
    e->key = fr_rng_key_from_seed(seed);
    gsl_rng *init = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(init, 99); /* the same initial ensemble for both samplers */
    for (int i = 0; i < n; i++) {
        double u[3];
        gsl_ran_dir_3d(init, &u[0], &u[1], &u[2]);
        for (int k = 0; k < 3; k++)
            e->xi[k][i] = e->xis[k][i] = u[k];
        e->sigma[i] = gsl_rng_uniform(init) < 0.5 ? 1 : -1;
        e->rng[i].type = gsl_rng_taus2;
        e->rng[i].state = e->rng_state + (size_t)i * gsl_rng_taus2->size;
        gsl_rng_set(&e->rng[i], (unsigned long)(seed * 1000003u + (uint64_t)i + 1));
        e->thresh[i] = gsl_ran_exponential(&e->rng[i], 1.0);
    }
    gsl_rng_free(init);
}

static void ens_free(ens *e)
{
    for (int k = 0; k < 3; k++) {
        free(e->X[k]);
        free(e->xi[k]);
        free(e->xis[k]);
    }
    free(e->hazard);
    free(e->thresh);
    free(e->sigma);
    free(e->flips);
    free(e->rng);
    free(e->rng_state);
    free(e->ctr);
}

/* means and variances of σ, c, σc, flips */
static void ens_stats(const ens *e, double m[4], double v[4])
{
    for (int q = 0; q < 4; q++)
        m[q] = v[q] = 0.0;
    for (int i = 0; i < e->n; i++) {
        const double c = e->xi[2][i], x[4] = {e->sigma[i], c, e->sigma[i] * c, (double)e->flips[i]};
        for (int q = 0; q < 4; q++) {
            m[q] += x[q];
            v[q] += x[q] * x[q];
        }
    }
    for (int q = 0; q < 4; q++) {
        m[q] /= e->n;
        v[q] = (v[q] / e->n - m[q] * m[q]) * e->n / (e->n - 1.0);
    }
}

static void test_thinning_matches_hazard_path(void **state)
{
    (void)state;
    const int n = scaled(20000);
    fr_field f = {.H0 = {0.0, 0.0, 3.0}};
    const fr_dyn_ctx c = {.field = &f, .eps = 3.0, .b = 1.0, .gamma = FR_GAMMA_SPHERE};
    /* the static path with the tabulated effective step, as the simulation runs it */
    fr_eff_map em = {0};
    const double kk = FR_GAMMA_SPHERE * 3.0, BB = 1.0 * 3.0;
    fr_dyn_ctx cs = c;
    ens A, B;
    ens_init(&A, n, 1);
    ens_init(&B, n, 2);
    const double G[9] = {0};
    const double dt = 0.5; /* both samplers are exact or adaptive: no step-size error */
    assert_int_equal(fr_eff_map_prepare(&em, kk, BB, dt / fr_static_eff_substeps(kk, BB, dt)), 0);
    cs.eff = &em;
    const int checks[3] = {1, 4, 10}; /* t = 0.5, 2, 5 */
    int step = 0;
    for (int ci = 0; ci < 3; ci++) {
        for (; step < checks[ci]; step++) {
            const double t0 = step * dt, t1 = (step + 1) * dt;
            for (int i = 0; i < n; i++) { /* general path */
                fr_particle_state p = {.X = {0, 0, 0},
                                       .xi = {A.xi[0][i], A.xi[1][i], A.xi[2][i]},
                                       .xis = {A.xis[0][i], A.xis[1][i], A.xis[2][i]},
                                       .sigma = A.sigma[i],
                                       .hazard = A.hazard[i],
                                       .thresh = A.thresh[i]};
                fr_particle_advance(&c, &p, G, t0, t1, &A.rng[i]);
                for (int k = 0; k < 3; k++) {
                    A.xi[k][i] = p.xi[k];
                    A.xis[k][i] = p.xis[k];
                }
                A.sigma[i] = (int8_t)p.sigma;
                A.hazard[i] = p.hazard;
                A.thresh[i] = p.thresh;
                A.flips[i] += p.flips;
            }
            for (int i0 = 0; i0 < n; i0 += FR_CHUNK) { /* static-field path */
                const fr_block blk = {.cnt = n - i0 < FR_CHUNK ? n - i0 : FR_CHUNK,
                                      .X = {B.X[0] + i0, B.X[1] + i0, B.X[2] + i0},
                                      .xi = {B.xi[0] + i0, B.xi[1] + i0, B.xi[2] + i0},
                                      .xis = {B.xis[0] + i0, B.xis[1] + i0, B.xis[2] + i0},
                                      .hazard = B.hazard + i0,
                                      .thresh = B.thresh + i0,
                                      /* the clocks stay in the candidate form from the
                                       * first step on, as in the simulation */
                                      .clock_cand = step > 0,
                                      .sigma = B.sigma + i0,
                                      .flips = B.flips + i0,
                                      .rng_ctr = B.ctr + i0,
                                      .first = (uint32_t)i0,
                                      .rng_key = B.key};
                fr_block_advance_static(&cs, &blk, t0, t1);
            }
        }
        double ma[4], va[4], mb[4], vb[4];
        ens_stats(&A, ma, va);
        ens_stats(&B, mb, vb);
        const char *name[4] = {"sigma", "c", "sigma c", "flips"};
        for (int q = 0; q < 4; q++) {
            const double se = sqrt((va[q] + vb[q]) / n);
            printf("  t=%.2f %-7s hazard path %.5f  thinning %.5f  (%+.1f SE)\n", step * dt, name[q],
                   ma[q], mb[q], (mb[q] - ma[q]) / se);
            assert_true(fabs(mb[q] - ma[q]) <= Z * se);
        }
        /* the effective model is deterministic and the same ODE on both paths: the general
         * path's RK4 (20 substeps of 0.025 here, local error ~(k(1 + 2B)h)⁵/120 ≈ 4e-8)
         * against the static path's tabulated exact step (test_effective_map) */
        double dmax = 0.0;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < 3; k++)
                dmax = fmax(dmax, fabs(A.xis[k][i] - B.xis[k][i]));
        printf("  t=%.2f effective model: max |xi*_A - xi*_B| = %.1e\n", step * dt, dmax);
        assert_true(dmax < 1e-7);
    }
    fr_eff_map_free(&em);
    ens_free(&A);
    ens_free(&B);
}

static void test_validation(void **state)
{
    (void)state;
    char err[256];
    fr_sim *s = NULL;
    fr_params p = fr_params_default();
    p.phi = 0.31;
    assert_int_equal(fr_sim_create(&p, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "phi"));
    p = fr_params_default();
    p.eps = NAN;
    assert_int_equal(fr_params_validate(&p, err, sizeof err), -1);
    assert_non_null(strstr(err, "eps"));
    p = fr_params_default();
    p.field.has_magnet = 1;
    p.field.magnet_p[0] = 0.5;
    p.field.magnet_m[2] = 1.0;
    assert_int_equal(fr_params_validate(&p, err, sizeof err), -1);
    assert_non_null(strstr(err, "inside the cloud"));
    p = fr_params_default();
    p.n = 0;
    assert_int_equal(fr_params_validate(&p, err, sizeof err), -1);
    p = fr_params_default();
    p.field.H0[1] = INFINITY;
    assert_int_equal(fr_params_validate(&p, err, sizeof err), -1);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_neel_decay_after_switch_off),
        cmocka_unit_test(test_equilibrium_spin_law),
        cmocka_unit_test(test_saturation_aligned),
        cmocka_unit_test(test_frozen_spins_follow_closed_form),
        cmocka_unit_test(test_thinning_matches_hazard_path),
        cmocka_unit_test(test_effective_map),
        cmocka_unit_test(test_error_linear_in_eps),
        cmocka_unit_test(test_no_nan_at_huge_bH),
        cmocka_unit_test(test_determinism_across_threads),
        cmocka_unit_test(test_diagnostics_blocks),
        cmocka_unit_test(test_philox_streams),
        cmocka_unit_test(test_fast_stokes_determinism_and_agreement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

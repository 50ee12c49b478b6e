/* Stokes point-source kernels (2.2) and the external fields: analytic gradients against
 * finite differences, the rotlet identity, divergence-free flows, curl/div-free fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ferro/kernels.h"
#include "ferro/params.h"
#include "stokes.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double urand(unsigned *st) { return (double)rand_r(st) / RAND_MAX * 2.0 - 1.0; }

static void random_source(unsigned *st, double d[3], double F[3], double S[9])
{
    for (int k = 0; k < 3; k++) {
        d[k] = urand(st);
        F[k] = urand(st);
    }
    for (int k = 0; k < 9; k++)
        S[k] = urand(st);
}

/* Analytic ∂_m u_i against central differences (error O(h²) ≈ 1e-10 relative, plus rounding). */
static void test_gradient_vs_finite_differences(void **state)
{
    (void)state;
    unsigned st = 12345;
    for (int trial = 0; trial < 200; trial++) {
        double d[3], F[3], S[9], G[9] = {0};
        random_source(&st, d, F, S);
        fr_point_source_add(d, F, S, NULL, G);
        double scale = 0.0;
        for (int k = 0; k < 9; k++)
            scale = fmax(scale, fabs(G[k]));
        const double h = 1e-5;
        for (int m = 0; m < 3; m++) {
            double dp[3], dm[3], up[3] = {0}, um[3] = {0};
            memcpy(dp, d, sizeof dp);
            memcpy(dm, d, sizeof dm);
            dp[m] += h;
            dm[m] -= h;
            fr_point_source_add(dp, F, S, up, NULL);
            fr_point_source_add(dm, F, S, um, NULL);
            for (int i = 0; i < 3; i++) {
                const double fd = (up[i] - um[i]) / (2 * h);
                assert_true(fabs(fd - G[i * 3 + m]) <= 1e-6 * scale + 1e-12);
            }
        }
    }
}

/* For a sphere S = v σ ξ∧H is antisymmetric and the flow is the rotlet T×d/(8π|d|³),
 * T = v σ ξ×H (MODEL.md, check after (2.2)). */
static void test_rotlet_identity(void **state)
{
    (void)state;
    unsigned st = 777;
    for (int trial = 0; trial < 200; trial++) {
        double d[3], xi[3], H[3], S[9], u[3] = {0}, F0[3] = {0};
        for (int k = 0; k < 3; k++) {
            d[k] = urand(&st);
            xi[k] = urand(&st);
            H[k] = urand(&st);
        }
        const double c = 0.37; /* v σ */
        for (int l = 0; l < 3; l++)
            for (int k = 0; k < 3; k++)
                S[l * 3 + k] = 0.5 * c * (xi[l] * H[k] - H[l] * xi[k]);
        fr_point_source_add(d, F0, S, u, NULL);
        const double T[3] = {c * (xi[1] * H[2] - xi[2] * H[1]), c * (xi[2] * H[0] - xi[0] * H[2]),
                             c * (xi[0] * H[1] - xi[1] * H[0])};
        const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        const double k = 1.0 / (8 * M_PI * r * r * r);
        const double ref[3] = {k * (T[1] * d[2] - T[2] * d[1]), k * (T[2] * d[0] - T[0] * d[2]),
                               k * (T[0] * d[1] - T[1] * d[0])};
        const double sc = fabs(ref[0]) + fabs(ref[1]) + fabs(ref[2]) + 1e-300;
        for (int i = 0; i < 3; i++)
            assert_true(fabs(u[i] - ref[i]) <= 1e-13 * sc);
    }
}

static void test_divergence_free(void **state)
{
    (void)state;
    unsigned st = 99;
    for (int trial = 0; trial < 200; trial++) {
        double d[3], F[3], S[9], G[9] = {0};
        random_source(&st, d, F, S);
        fr_point_source_add(d, F, S, NULL, G);
        double scale = 0.0;
        for (int k = 0; k < 9; k++)
            scale = fmax(scale, fabs(G[k]));
        assert_true(fabs(G[0] + G[4] + G[8]) <= 1e-13 * scale);
    }
}

static void test_smoothed_equals_point_source_far(void **state)
{
    (void)state;
    unsigned st = 5;
    const double delta = 0.3;
    for (int trial = 0; trial < 500; trial++) {
        double d[3], F[3], S[9], u[3] = {0}, us[3] = {0};
        random_source(&st, d, F, S);
        const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        fr_point_source_add(d, F, S, u, NULL);
        fr_point_source_smoothed_add(d, F, S, delta, us);
        for (int i = 0; i < 3; i++) {
            assert_true(isfinite(us[i]));
            if (r >= delta)
                assert_true(us[i] == u[i]);
            else
                assert_true(fabs(us[i]) <= fabs(u[i]) + 1e-15);
        }
    }
    double z[3] = {0, 0, 0}, F[3] = {1, 2, 3}, S[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, u[3] = {0};
    fr_point_source_smoothed_add(z, F, S, delta, u);
    assert_true(u[0] == 0.0 && u[1] == 0.0 && u[2] == 0.0);
}

/* Every field: gradient vs finite differences, curl-free (∇H symmetric), divergence-free. */
static void test_fields(void **state)
{
    (void)state;
    fr_field fs[3];
    memset(fs, 0, sizeof fs);
    fs[0].H0[0] = 0.3; fs[0].H0[2] = 1.0; fs[0].grad_g = 0.8;
    fs[1].rotating = 1; fs[1].rot_H0 = 2.0; fs[1].rot_omega = 3.0; fs[1].grad_g = -0.5;
    fs[2].has_magnet = 1;
    fs[2].magnet_m[0] = 1.0; fs[2].magnet_m[1] = -0.5; fs[2].magnet_m[2] = 3.0;
    fs[2].magnet_p[0] = 0.2; fs[2].magnet_p[1] = 0.1; fs[2].magnet_p[2] = 1.6;
    unsigned st = 4242;
    for (int f = 0; f < 3; f++) {
        for (int trial = 0; trial < 100; trial++) {
            double x[3] = {urand(&st) * 0.6, urand(&st) * 0.6, urand(&st) * 0.6}, H[3], dH[9];
            const double t = 0.7;
            fr_field_eval(&fs[f], t, x, H, dH);
            double scale = 1e-12;
            for (int k = 0; k < 9; k++)
                scale = fmax(scale, fabs(dH[k]));
            for (int k = 0; k < 3; k++) {
                double xp[3], xm[3], Hp[3], Hm[3];
                memcpy(xp, x, sizeof xp);
                memcpy(xm, x, sizeof xm);
                xp[k] += 1e-6;
                xm[k] -= 1e-6;
                fr_field_eval(&fs[f], t, xp, Hp, NULL);
                fr_field_eval(&fs[f], t, xm, Hm, NULL);
                for (int i = 0; i < 3; i++)
                    assert_true(fabs((Hp[i] - Hm[i]) / 2e-6 - dH[i * 3 + k]) <= 1e-6 * scale);
            }
            assert_true(fabs(dH[0] + dH[4] + dH[8]) <= 1e-12 * scale);
            for (int i = 0; i < 3; i++)
                for (int k = 0; k < 3; k++)
                    assert_true(fabs(dH[i * 3 + k] - dH[k * 3 + i]) <= 1e-12 * scale);
        }
    }
    /* switch-off: zero from t_off on */
    fr_field off = fs[0];
    off.has_switch_off = 1;
    off.t_off = 1.0;
    double H[3], x0[3] = {0.1, 0.2, 0.3};
    fr_field_eval(&off, 0.999, x0, H, NULL);
    assert_true(H[2] != 0.0);
    fr_field_eval(&off, 1.0, x0, H, NULL);
    assert_true(H[0] == 0.0 && H[1] == 0.0 && H[2] == 0.0);
    assert_true(fr_field_next_jump(&off, 0.5) == 1.0);
    assert_true(isinf(fr_field_next_jump(&off, 1.0)));
}

/* The vectorised sphere path of the direct sum equals the general kernel summed pair by pair,
 * for each kernel this CPU runs (AVX-512, AVX2, scalar; FERRO_DIRECT_ISA caps the choice), and
 * does not depend on the number of threads. N = 301: the last block of 8 targets is partial
 * (5 targets, both AVX2 halves). Tolerance: each of the N − 1 terms of a sum is computed with
 * ~10 roundings of relative size ε ≈ 1.1e-16 in both paths (rsqrt14 + Newton gives 1/r to
 * ~1.5 ε, like 1/√r²), in a different association (the factored G); these errors add like a
 * random walk, ~ √N · 10 ε · (largest term) ≲ 2e-14 of the largest |u| or |G| (the nearest
 * source dominates); measured ~3e-15. 1e-13 leaves a margin but catches any wrong term
 * (a wrong sign or a lost factor shows at 1e-3 and above) and any 1/r short of ~44 bits. */
static void test_direct_sum_sphere_path(void **state)
{
    (void)state;
    enum { N = 301 };
    unsigned st = 31;
    static double x[N], y[N], z[N], F[3 * N], S[9 * N], u1[3 * N], G1[9 * N], u2[3 * N], G2[9 * N],
        u3[3 * N], G3[9 * N];
    for (int j = 0; j < N; j++) {
        x[j] = urand(&st);
        y[j] = urand(&st);
        z[j] = urand(&st);
        double xi[3], H[3];
        for (int k = 0; k < 3; k++) {
            F[3 * j + k] = urand(&st);
            xi[k] = urand(&st);
            H[k] = urand(&st);
        }
        for (int l = 0; l < 3; l++)
            for (int k = 0; k < 3; k++)
                S[9 * j + 3 * l + k] = 0.5 * (xi[l] * H[k] - H[l] * xi[k]);
    }
    memset(u2, 0, sizeof u2);
    memset(G2, 0, sizeof G2);
    fr_stokes_direct_general(N, x, y, z, F, S, u2, G2);
    double su = 0, sg = 0;
    for (int k = 0; k < 3 * N; k++)
        su = fmax(su, fabs(u2[k]));
    for (int k = 0; k < 9 * N; k++)
        sg = fmax(sg, fabs(G2[k]));
    assert_true(su > 0 && sg > 0);
    const int threads = omp_get_max_threads();
    const char *isa[] = {NULL, "avx2", "scalar"};
    for (int p = 0; p < 3; p++) {
        if (isa[p])
            setenv("FERRO_DIRECT_ISA", isa[p], 1);
        else
            unsetenv("FERRO_DIRECT_ISA");
        memset(u1, 0, sizeof u1);
        memset(G1, 0, sizeof G1);
        omp_set_num_threads(2);
        fr_stokes_direct(N, x, y, z, F, S, u1, G1);
        double eu = 0, eg = 0;
        for (int k = 0; k < 3 * N; k++)
            eu = fmax(eu, fabs(u1[k] - u2[k]));
        for (int k = 0; k < 9 * N; k++)
            eg = fmax(eg, fabs(G1[k] - G2[k]));
        printf("  direct sum (%s) vs general kernel: u %.2g, G %.2g (relative to max)\n",
               isa[p] ? isa[p] : "best", eu / su, eg / sg);
        assert_true(eu <= 1e-13 * su);
        assert_true(eg <= 1e-13 * sg);
        /* bit-identical for 1 and 3 threads */
        for (int nt = 1; nt <= 3; nt += 2) {
            memset(u3, 0, sizeof u3);
            memset(G3, 0, sizeof G3);
            omp_set_num_threads(nt);
            fr_stokes_direct(N, x, y, z, F, S, u3, G3);
            assert_memory_equal(u1, u3, sizeof u1);
            assert_memory_equal(G1, G3, sizeof G1);
        }
    }
    unsetenv("FERRO_DIRECT_ISA");
    omp_set_num_threads(threads);
}

/* The vectorised smoothed grid sum equals the smoothed kernel summed point by point. */
static void test_grid_smoothed_path(void **state)
{
    (void)state;
    enum { N = 200, NG = 7 };
    unsigned st = 8;
    static double x[N], y[N], z[N], F[3 * N], S[9 * N], u1[3 * NG * NG * NG];
    for (int j = 0; j < N; j++) {
        x[j] = urand(&st);
        y[j] = urand(&st);
        z[j] = urand(&st);
        double xi[3], H[3];
        for (int k = 0; k < 3; k++) {
            F[3 * j + k] = urand(&st);
            xi[k] = urand(&st);
            H[k] = urand(&st);
        }
        for (int l = 0; l < 3; l++)
            for (int k = 0; k < 3; k++)
                S[9 * j + 3 * l + k] = 0.5 * (xi[l] * H[k] - H[l] * xi[k]);
    }
    const double lo = -1.2, hi = 1.2, delta = 0.35, h = (hi - lo) / (NG - 1);
    assert_int_equal(fr_stokes_grid_smoothed(N, x, y, z, F, S, NG, lo, hi, delta, u1), 0);
    double scale = 0.0, err = 0.0;
    for (int g = 0; g < NG * NG * NG; g++) {
        const double p[3] = {lo + (g % NG) * h, lo + ((g / NG) % NG) * h, lo + (g / (NG * NG)) * h};
        double u2[3] = {0, 0, 0};
        for (int j = 0; j < N; j++) {
            const double d[3] = {p[0] - x[j], p[1] - y[j], p[2] - z[j]};
            fr_point_source_smoothed_add(d, F + 3 * j, S + 9 * j, delta, u2);
        }
        for (int c = 0; c < 3; c++) {
            scale = fmax(scale, fabs(u2[c]));
            err = fmax(err, fabs(u2[c] - u1[3 * g + c]));
        }
    }
    assert_true(scale > 0.0);
    assert_true(err <= 1e-12 * scale);
    /* a symmetric moment (stresslet) is refused, for the general path */
    S[0] = 1.0;
    assert_int_equal(fr_stokes_grid_smoothed(N, x, y, z, F, S, NG, lo, hi, delta, u1), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_vs_finite_differences),
        cmocka_unit_test(test_rotlet_identity),
        cmocka_unit_test(test_divergence_free),
        cmocka_unit_test(test_smoothed_equals_point_source_far),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_direct_sum_sphere_path),
        cmocka_unit_test(test_grid_smoothed_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

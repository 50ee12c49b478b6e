/* The fast Stokes summation (stokes_fast.h) against the direct sum: accuracy at tol 1e-3 and
 * 1e-6 (max and RMS relative errors of u and G; 1e-4, the single-precision real space's
 * lowest; 1e-3 at the neighbour-count floor), the rotation-only sums, bit-identical results for
 * 1 and 2 threads, the "adds / may be NULL" contract, the stresslet fallback, tiny n, the grid
 * evaluation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include "ferro/kernels.h"
#include "stokes.h"
#include "stokes_fast.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int scaled(int n) { return test_scaled(n, 3); }

static double urand(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return (double)(*st >> 11) * (1.0 / 9007199254740992.0);
}


/* Random forces and sphere moments S = ξ∧H (antisymmetric); sym adds a symmetric part. */
static void sources(int n, uint64_t seed, int sym, double *F, double *S)
{
    uint64_t st = seed;
    for (int j = 0; j < n; j++) {
        double xi[3], H[3];
        for (int k = 0; k < 3; k++) {
            F[3 * j + k] = 2.0 * urand(&st) - 1.0;
            xi[k] = 2.0 * urand(&st) - 1.0;
            H[k] = 2.0 * urand(&st) - 1.0;
        }
        for (int l = 0; l < 3; l++)
            for (int k = 0; k < 3; k++)
                S[9 * j + 3 * l + k] = 0.5 * (xi[l] * H[k] - H[l] * xi[k]) +
                                       (sym ? 0.25 * (xi[l] * xi[k] + H[l] * H[k]) : 0.0);
    }
}

typedef struct errs {
    double umax, urms, gmax, grms;
} errs;

/* The error measures of stokes_fast.h: max_i |Δ_i| / max_i |ref_i| and rms|Δ| / rms|ref|. */
static errs compare(int n, const double *u, const double *G, const double *ud, const double *Gd)
{
    double mu = 0, eu = 0, su = 0, seu = 0, mg = 0, eg = 0, sg = 0, seg = 0;
    for (int i = 0; i < n; i++) {
        double a = 0, b = 0, c = 0, d = 0;
        for (int k = 0; k < 3; k++) {
            a += ud[3 * i + k] * ud[3 * i + k];
            b += (u[3 * i + k] - ud[3 * i + k]) * (u[3 * i + k] - ud[3 * i + k]);
        }
        for (int k = 0; k < 9; k++) {
            c += Gd[9 * i + k] * Gd[9 * i + k];
            d += (G[9 * i + k] - Gd[9 * i + k]) * (G[9 * i + k] - Gd[9 * i + k]);
        }
        mu = fmax(mu, sqrt(a));
        eu = fmax(eu, sqrt(b));
        mg = fmax(mg, sqrt(c));
        eg = fmax(eg, sqrt(d));
        su += a;
        seu += b;
        sg += c;
        seg += d;
    }
    errs e = {eu / mu, sqrt(seu / su), eg / mg, sqrt(seg / sg)};
    return e;
}

typedef struct problem {
    int n;
    double *x, *y, *z, *F, *S, *ud, *Gd;
} problem;

static problem make_problem(int n, uint64_t seed, int sym)
{
    problem p = {n, malloc(8 * (size_t)n), malloc(8 * (size_t)n), malloc(8 * (size_t)n),
                 malloc(24 * (size_t)n), malloc(72 * (size_t)n), calloc(3 * (size_t)n, 8),
                 calloc(9 * (size_t)n, 8)};
    assert_true(p.x && p.y && p.z && p.F && p.S && p.ud && p.Gd);
    test_place(n, seed, p.x, p.y, p.z); /* centres as the simulator places them */
    sources(n, seed * 7 + 1, sym, p.F, p.S);
    fr_stokes_direct(n, p.x, p.y, p.z, p.F, p.S, p.ud, p.Gd);
    return p;
}

static void free_problem(problem *p)
{
    free(p->x);
    free(p->y);
    free(p->z);
    free(p->F);
    free(p->S);
    free(p->ud);
    free(p->Gd);
}

static void check_tol(double tol, int sym)
{
    problem pb = make_problem(scaled(3000), 2024, sym);
    const int n = pb.n;
    char err[256] = "";
    fr_stokes_plan *p = fr_stokes_plan_create(n, pb.x, pb.y, pb.z, tol, err, sizeof err);
    if (!p)
        fprintf(stderr, "%s\n", err);
    assert_non_null(p);
    double *u = calloc(3 * (size_t)n, 8), *G = calloc(9 * (size_t)n, 8);
    assert_int_equal(fr_stokes_fast(p, pb.F, pb.S, u, G), 0);
    const errs e = compare(n, u, G, pb.ud, pb.Gd);
    fr_stokes_plan_info in;
    fr_stokes_plan_get_info(p, &in);
    printf("tol %.0e%s (N=%d, grid %d^3, P=%d, %.0f neighbours): u max %.2e rms %.2e, G max %.2e "
           "rms %.2e\n",
           tol, sym ? " stresslets" : "", n, in.M[0], in.P, in.neighbours, e.umax, e.urms, e.gmax,
           e.grms);
    assert_true(e.umax <= tol && e.urms <= tol && e.gmax <= tol && e.grms <= tol);
    free(u);
    free(G);
    fr_stokes_plan_free(p);
    free_problem(&pb);
}

static void test_accuracy_1e3(void **state)
{
    (void)state;
    check_tol(1e-3, 0);
}

/* The lowest tol of the single-precision real space (FR_F32_MIN_TOL). */
static void test_accuracy_1e4(void **state)
{
    (void)state;
    check_tol(1e-4, 0);
}

/* W (zeroed by the caller) from fr_stokes_fast_rotation with 1 thread, and the same with 2
 * and with 3 threads (an odd count: the colours' blocks split unevenly) into W2: bit-identical. */
static void rotation_1_2_3_threads(fr_stokes_plan *p, const problem *pb, double *W, double *W2)
{
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    assert_int_equal(fr_stokes_fast_rotation(p, pb->F, pb->S, W, NULL), 0);
    for (int t = 2; t <= 3; t++) {
        memset(W2, 0, 72 * (size_t)pb->n);
        omp_set_num_threads(t);
        assert_int_equal(fr_stokes_fast_rotation(p, pb->F, pb->S, W2, NULL), 0);
        assert_memory_equal(W, W2, 72 * (size_t)pb->n);
    }
    omp_set_num_threads(saved);
}

/* max_i |ΔW_i| / max_i |W_i| and rms, W = ½(G − Gᵀ) of the reference (Frobenius norms). */
static void rot_errors(int n, const double *W, const double *Gd, double *emax, double *erms)
{
    double m = 0, e = 0, s = 0, se = 0;
    for (int i = 0; i < n; i++) {
        double a = 0, b = 0;
        for (int k = 0; k < 3; k++)
            for (int l = 0; l < 3; l++) {
                const double w = 0.5 * (Gd[9 * i + 3 * k + l] - Gd[9 * i + 3 * l + k]);
                const double d = W[9 * i + 3 * k + l] - w;
                a += w * w;
                b += d * d;
            }
        m = fmax(m, sqrt(a));
        e = fmax(e, sqrt(b));
        s += a;
        se += b;
    }
    *emax = e / m;
    *erms = sqrt(se / s);
}

/* Rotlets alone (F = 0: a uniform field, ferroviz's default; the float near field then drops
 * the F terms): within tol 1e-3 of the direct sum, bit-identical for 1 and 2 threads. */
static void rotation_no_forces(void)
{
    problem pb = make_problem(scaled(3000), 77, 0);
    const int n = pb.n;
    memset(pb.F, 0, 24 * (size_t)n);
    memset(pb.Gd, 0, 72 * (size_t)n);
    fr_stokes_direct(n, pb.x, pb.y, pb.z, pb.F, pb.S, NULL, pb.Gd);
    char err[256];
    fr_stokes_plan *p = fr_stokes_plan_create(n, pb.x, pb.y, pb.z, 1e-3, err, sizeof err);
    assert_non_null(p);
    double *W = calloc(9 * (size_t)n, 8), *W2 = calloc(9 * (size_t)n, 8), emax, erms;
    assert_true(W && W2);
    rotation_1_2_3_threads(p, &pb, W, W2);
    rot_errors(n, W, pb.Gd, &emax, &erms);
    printf("rotation tol 1e-03, F = 0: W max %.2e rms %.2e\n", emax, erms);
    assert_true(emax <= 1e-3 && erms <= 1e-3);
    free(W);
    free(W2);
    fr_stokes_plan_free(p);
    free_problem(&pb);
}

/* fr_stokes_fast_rotation: the antisymmetric part of the gradient within tol of the direct
 * sum's (sphere sources: the vorticity kernel in single precision at tol >= 1e-4; stresslets:
 * the general path), exactly antisymmetric, added to G, and bit-identical for 1 and 2 threads.
 * Below 400 sources: the direct sum's antisymmetric part, to rounding. */
static void test_rotation(void **state)
{
    (void)state;
    const double tols[3] = {1e-3, 1e-4, 1e-6};
    for (int c = 0; c < 4; c++) {
        const int sym = c == 3;
        const double tol = sym ? 1e-3 : tols[c];
        problem pb = make_problem(scaled(3000), 99, sym);
        const int n = pb.n;
        char err[256];
        fr_stokes_plan *p = fr_stokes_plan_create(n, pb.x, pb.y, pb.z, tol, err, sizeof err);
        assert_non_null(p);
        double *W = calloc(9 * (size_t)n, 8), *W2 = calloc(9 * (size_t)n, 8);
        assert_true(W && W2);
        rotation_1_2_3_threads(p, &pb, W, W2);
        for (size_t k = 0; k < 9 * (size_t)n; k++)
            W2[k] = 0.25;
        assert_int_equal(fr_stokes_fast_rotation(p, pb.F, pb.S, W2, NULL), 0);
        for (size_t k = 0; k < 9 * (size_t)n; k++)
            assert_true(W2[k] == 0.25 + W[k]);
        for (int i = 0; i < n; i++)
            for (int k = 0; k < 3; k++)
                for (int l = 0; l < 3; l++)
                    assert_true(W[9 * i + 3 * k + l] == -W[9 * i + 3 * l + k]);
        double emax, erms;
        rot_errors(n, W, pb.Gd, &emax, &erms);
        printf("rotation tol %.0e%s: W max %.2e rms %.2e\n", tol, sym ? " stresslets" : "", emax,
               erms);
        assert_true(emax <= tol && erms <= tol);
        free(W);
        free(W2);
        fr_stokes_plan_free(p);
        free_problem(&pb);
    }
    rotation_no_forces();
    problem pb = make_problem(300, 5, 0);
    char err[256];
    fr_stokes_plan *p = fr_stokes_plan_create(300, pb.x, pb.y, pb.z, 1e-3, err, sizeof err);
    assert_non_null(p);
    double *W = calloc(9 * 300, 8), emax, erms;
    assert_int_equal(fr_stokes_fast_rotation(p, pb.F, pb.S, W, NULL), 0);
    rot_errors(300, W, pb.Gd, &emax, &erms);
    assert_true(emax <= 1e-12);
    free(W);
    fr_stokes_plan_free(p);
    free_problem(&pb);
}

static void test_accuracy_1e6(void **state)
{
    (void)state;
    check_tol(1e-6, 0);
}

/* Moments with a symmetric part (spheroids: stresslets, and a trace) take the general kernel. */
static void test_accuracy_stresslets(void **state)
{
    (void)state;
    check_tol(1e-3, 1);
    check_tol(1e-6, 1);
}

/* Same plan with 1 and 2 threads, and a second plan: bit-identical. */
static void test_determinism(void **state)
{
    (void)state;
    const int n = scaled(4000);
    problem pb = make_problem(n, 77, 0);
    char err[256];
    const int saved = omp_get_max_threads();
    fr_stokes_plan *p = fr_stokes_plan_create(n, pb.x, pb.y, pb.z, 1e-3, err, sizeof err);
    assert_non_null(p);
    double *u1 = calloc(3 * (size_t)n, 8), *G1 = calloc(9 * (size_t)n, 8);
    double *u2 = calloc(3 * (size_t)n, 8), *G2 = calloc(9 * (size_t)n, 8);
    omp_set_num_threads(1);
    assert_int_equal(fr_stokes_fast(p, pb.F, pb.S, u1, G1), 0);
    omp_set_num_threads(2);
    assert_int_equal(fr_stokes_fast(p, pb.F, pb.S, u2, G2), 0);
    assert_memory_equal(u1, u2, 24 * (size_t)n);
    assert_memory_equal(G1, G2, 72 * (size_t)n);
    fr_stokes_plan *q = fr_stokes_plan_create(n, pb.x, pb.y, pb.z, 1e-3, err, sizeof err);
    assert_non_null(q);
    memset(u2, 0, 24 * (size_t)n);
    memset(G2, 0, 72 * (size_t)n);
    assert_int_equal(fr_stokes_fast(q, pb.F, pb.S, u2, G2), 0);
    assert_memory_equal(u1, u2, 24 * (size_t)n);
    assert_memory_equal(G1, G2, 72 * (size_t)n);
    /* the grid evaluation too */
    const int ng = 12;
    double *g1 = malloc(24 * (size_t)ng * ng * ng), *g2 = malloc(24 * (size_t)ng * ng * ng);
    omp_set_num_threads(1);
    assert_int_equal(fr_stokes_fast_grid_smoothed(p, pb.F, pb.S, ng, -1.1, 1.1, 0.1, g1), 0);
    omp_set_num_threads(2);
    assert_int_equal(fr_stokes_fast_grid_smoothed(p, pb.F, pb.S, ng, -1.1, 1.1, 0.1, g2), 0);
    assert_memory_equal(g1, g2, 24 * (size_t)ng * ng * ng);
    omp_set_num_threads(saved);
    free(g1);
    free(g2);
    free(u1);
    free(G1);
    free(u2);
    free(G2);
    fr_stokes_plan_free(p);
    fr_stokes_plan_free(q);
    free_problem(&pb);
}

/* Adds to u and G; either may be NULL and the other is unchanged by that; abortable. */
static void test_adds_and_null(void **state)
{
    (void)state;
    const int n = scaled(1500);
    problem pb = make_problem(n, 5, 0);
    char err[256];
    fr_stokes_plan *p = fr_stokes_plan_create(n, pb.x, pb.y, pb.z, 1e-3, err, sizeof err);
    assert_non_null(p);
    double *u = calloc(3 * (size_t)n, 8), *G = calloc(9 * (size_t)n, 8);
    double *u0 = malloc(24 * (size_t)n), *G0 = malloc(72 * (size_t)n);
    assert_int_equal(fr_stokes_fast(p, pb.F, pb.S, u, G), 0);
    for (size_t k = 0; k < 3 * (size_t)n; k++)
        u0[k] = 1.5;
    for (size_t k = 0; k < 9 * (size_t)n; k++)
        G0[k] = -2.0;
    assert_int_equal(fr_stokes_fast(p, pb.F, pb.S, u0, NULL), 0);
    assert_int_equal(fr_stokes_fast(p, pb.F, pb.S, NULL, G0), 0);
    for (size_t k = 0; k < 3 * (size_t)n; k++)
        assert_true(u0[k] == 1.5 + u[k]);
    for (size_t k = 0; k < 9 * (size_t)n; k++)
        assert_true(G0[k] == -2.0 + G[k]);
    assert_int_equal(fr_stokes_fast(p, pb.F, pb.S, NULL, NULL), 0);
    /* an abort flag raised: 1, outputs untouched; lowered: the same sums as before */
    atomic_int flag = 1;
    assert_int_equal(fr_stokes_fast_abortable(p, pb.F, pb.S, u0, G0, &flag), 1);
    for (size_t k = 0; k < 3 * (size_t)n; k++)
        assert_true(u0[k] == 1.5 + u[k]);
    atomic_store(&flag, 0);
    memset(u0, 0, 24 * (size_t)n);
    memset(G0, 0, 72 * (size_t)n);
    assert_int_equal(fr_stokes_fast_abortable(p, pb.F, pb.S, u0, G0, &flag), 0);
    assert_memory_equal(u0, u, 24 * (size_t)n);
    assert_memory_equal(G0, G, 72 * (size_t)n);
    free(u);
    free(G);
    free(u0);
    free(G0);
    fr_stokes_plan_free(p);
    free_problem(&pb);
}

/* n = 1 gives nothing; n = 2 the pair interaction; bad arguments are reported. */
static void test_small_and_bad(void **state)
{
    (void)state;
    char err[256] = "";
    double x1 = 0.3, y1 = -0.2, z1 = 0.1, F1[3] = {1, 2, 3}, S1[9] = {0, 1, 0, -1, 0, 0, 0, 0, 0};
    fr_stokes_plan *p = fr_stokes_plan_create(1, &x1, &y1, &z1, 1e-3, err, sizeof err);
    assert_non_null(p);
    double u[6] = {0}, G[18] = {0};
    assert_int_equal(fr_stokes_fast(p, F1, S1, u, G), 0);
    for (int k = 0; k < 3; k++)
        assert_true(fabs(u[k]) < 1e-12);
    for (int k = 0; k < 9; k++)
        assert_true(fabs(G[k]) < 1e-12);
    fr_stokes_plan_free(p);

    const double x[2] = {0.1, -0.4}, y[2] = {0.2, 0.3}, z[2] = {-0.3, 0.5};
    const double F[6] = {1, -1, 0.5, 0.2, 0.3, -0.7};
    const double S[18] = {0, 0.4, -0.1, -0.4, 0, 0.3, 0.1, -0.3, 0, 0, -0.2, 0, 0.2, 0, 0.5, 0, -0.5, 0};
    double ud[6] = {0}, Gd[18] = {0};
    fr_stokes_direct(2, x, y, z, F, S, ud, Gd);
    memset(u, 0, sizeof u);
    memset(G, 0, sizeof G);
    p = fr_stokes_plan_create(2, x, y, z, 1e-6, err, sizeof err);
    assert_non_null(p);
    assert_int_equal(fr_stokes_fast(p, F, S, u, G), 0);
    const errs e = compare(2, u, G, ud, Gd);
    assert_true(e.umax <= 1e-6 && e.gmax <= 1e-6);
    assert_int_equal(fr_stokes_fast_grid(p, F, S, 1, -1, 1, u), -1);
    assert_int_equal(fr_stokes_fast_grid(p, F, S, 4, 1, -1, u), -1);
    fr_stokes_plan_free(p);

    err[0] = 0;
    assert_null(fr_stokes_plan_create(0, x, y, z, 1e-3, err, sizeof err));
    assert_true(strlen(err) > 0);
    const double bad[2] = {0.0, NAN};
    err[0] = 0;
    assert_null(fr_stokes_plan_create(2, bad, y, z, 1e-3, err, sizeof err));
    assert_true(strlen(err) > 0);
}

/* The grid velocity of plan p (fr_stokes_fast_grid_smoothed) against the brute-force sum of
 * fr_point_source_add (delta = 0, exact) or fr_point_source_smoothed_add, at every stride-th
 * grid point: asserts max and rms errors relative to the reference's within 1e-3 (the plan's
 * tol), and returns the plan's info after the call. */
static fr_stokes_plan_info check_grid(fr_stokes_plan *p, const problem *pb, int n, int ng,
                                      double lo, double hi, double delta, int stride)
{
    const double h = (hi - lo) / (ng - 1);
    double *ug = malloc(24 * (size_t)ng * ng * ng);
    assert_non_null(ug);
    assert_int_equal(fr_stokes_fast_grid_smoothed(p, pb->F, pb->S, ng, lo, hi, delta, ug), 0);
    fr_stokes_plan_info info;
    fr_stokes_plan_get_info(p, &info);
    double mx = 0, me = 0, s2 = 0, e2 = 0;
    for (int idx = 0; idx < ng * ng * ng; idx += stride) {
        const int i = idx % ng, j = (idx / ng) % ng, k = idx / (ng * ng);
        const double v[3] = {lo + i * h, lo + j * h, lo + k * h};
        double ref[3] = {0, 0, 0};
        for (int s = 0; s < n; s++) {
            const double d[3] = {v[0] - pb->x[s], v[1] - pb->y[s], v[2] - pb->z[s]};
            if (d[0] == 0.0 && d[1] == 0.0 && d[2] == 0.0)
                continue;
            if (delta > 0.0)
                fr_point_source_smoothed_add(d, pb->F + 3 * s, pb->S + 9 * s, delta, ref);
            else
                fr_point_source_add(d, pb->F + 3 * s, pb->S + 9 * s, ref, NULL);
        }
        double a = 0, b = 0;
        for (int c = 0; c < 3; c++) {
            a += ref[c] * ref[c];
            b += (ug[3 * idx + c] - ref[c]) * (ug[3 * idx + c] - ref[c]);
        }
        mx = fmax(mx, sqrt(a));
        me = fmax(me, sqrt(b));
        s2 += a;
        e2 += b;
    }
    printf("N %d, grid %d, delta %.2f: xi %.1f (plan %.1f), Fourier grid %d (plan %d): max %.2e "
           "rms %.2e\n",
           n, ng, delta, info.grid_xi, info.xi, info.grid_M[0], info.M[0], me / mx,
           sqrt(e2 / s2));
    assert_true(me <= 1e-3 * mx && e2 <= 1e-6 * s2);
    assert_true(info.grid_xi > 0.0 && info.grid_xi <= info.xi);
    free(ug);
    return info;
}

/* A fine grid over the cloud, exact and smoothed, with a source exactly on a grid point. */
static void test_grid(void **state)
{
    (void)state;
    const int n = scaled(2000);
    problem pb = make_problem(n, 31, 0);
    pb.x[0] = pb.y[0] = pb.z[0] = 0.0; /* a source exactly on a grid point */
    char err[256];
    fr_stokes_plan *p = fr_stokes_plan_create(n, pb.x, pb.y, pb.z, 1e-3, err, sizeof err);
    assert_non_null(p);
    check_grid(p, &pb, n, 17, -1.2, 1.2, 0.0, 3);
    check_grid(p, &pb, n, 17, -1.2, 1.2, 0.15, 3);
    fr_stokes_plan_free(p);
    free_problem(&pb);
}

/* The rotation's float near field evaluates each pair once for both particles and colours
 * the groups that write the same particles (stokes_fast_real32.c). Above FR_PAR_MIN_N, where
 * the threads really share it: the same bits for 1 and 2 threads, with forces and without
 * (F = 0, the kernel's other variant); and the kernels of the other CPU levels (FERRO_ISA:
 * AVX2 and portable, which pair over the whole buffer instead of compacting it) within tol of
 * the direct sum. */
static void rotation_parallel(fr_stokes_plan *p, const problem *pb)
{
    const int n = pb->n;
    double *W = calloc(9 * (size_t)n, 8), *W2 = calloc(9 * (size_t)n, 8), emax, erms;
    double *F0 = calloc(3 * (size_t)n, 8);
    assert_true(W && W2 && F0);
    rotation_1_2_3_threads(p, pb, W, W2);
    problem pz = *pb;
    pz.F = F0;
    memset(W, 0, 72 * (size_t)n);
    memset(W2, 0, 72 * (size_t)n);
    rotation_1_2_3_threads(p, &pz, W, W2);
    const char *isa[2] = {"avx2", "scalar"}, *was = getenv("FERRO_ISA");
    char saved[64] = "";
    if (was)
        snprintf(saved, sizeof saved, "%s", was);
    for (int k = 0; k < 2; k++) {
        setenv("FERRO_ISA", isa[k], 1);
        char err[256];
        fr_stokes_plan *q = fr_stokes_plan_create(n, pb->x, pb->y, pb->z, 1e-3, err, sizeof err);
        assert_non_null(q);
        memset(W, 0, 72 * (size_t)n);
        assert_int_equal(fr_stokes_fast_rotation(q, pb->F, pb->S, W, NULL), 0);
        rot_errors(n, W, pb->Gd, &emax, &erms);
        printf("rotation N %d, FERRO_ISA=%s: W max %.2e rms %.2e\n", n, isa[k], emax, erms);
        assert_true(emax <= 1e-3 && erms <= 1e-3);
        fr_stokes_plan_free(q);
    }
    if (was)
        setenv("FERRO_ISA", saved, 1);
    else
        unsetenv("FERRO_ISA");
    free(W);
    free(W2);
    free(F0);
}

/* The display's grid (ferroviz: 24³ over [−1.5, 1.5]³, δ = 2h as fr_sim_delta gives it) at
 * N = 2e4: its own, coarser splitting (ξ 9 against the plan's 12; at N = 1e5 12 against 21) keeps
 * the tolerance, with the default plan's splitting and with a finer one. Also the rotation
 * update at this N, ferroviz's default cloud (the cost model gives it ~600 neighbours). */
static void test_grid_display(void **state)
{
    (void)state;
    const int n = scaled(20000);
    problem pb = make_problem(n, 32, 0);
    char err[256];
    fr_stokes_plan *p = fr_stokes_plan_create(n, pb.x, pb.y, pb.z, 1e-3, err, sizeof err);
    assert_non_null(p);
    double *W = calloc(9 * (size_t)n, 8), emax, erms;
    assert_non_null(W);
    assert_int_equal(fr_stokes_fast_rotation(p, pb.F, pb.S, W, NULL), 0);
    rot_errors(n, W, pb.Gd, &emax, &erms);
    fr_stokes_plan_info pi;
    fr_stokes_plan_get_info(p, &pi);
    printf("rotation N %d (grid %d^3, %.0f neighbours): W max %.2e rms %.2e\n", n, pi.M[0],
           pi.neighbours, emax, erms);
    assert_true(emax <= 1e-3 && erms <= 1e-3);
    free(W);
    rotation_parallel(p, &pb);
    check_grid(p, &pb, n, 24, -1.5, 1.5, 6.0 / 23.0, 5);
    fr_stokes_plan_free(p);
    /* the plan's own ξ (9.7) is near the grid's best at this N; a plan with the finer splitting
     * of ~300 neighbours (ξ 12, as at N = 1e5 relative to its spacing): the grid's is coarser */
    fr_stokes_fast_opts o = {.tol = 1e-3, .nb = 300};
    p = fr_stokes_plan_create_opts(n, pb.x, pb.y, pb.z, &o, err, sizeof err);
    assert_non_null(p);
    const fr_stokes_plan_info info = check_grid(p, &pb, n, 24, -1.5, 1.5, 6.0 / 23.0, 5);
    if (n >= 10000)
        assert_true(info.grid_xi < 0.8 * info.xi);
    fr_stokes_plan_free(p);
    free_problem(&pb);
}

/* tol 1e-3's calibration where it is tightest: the neighbour count at the floor the grid fit
 * allows (0.85 x 300: at N = 1e5 and 1e6 the fitted grid leaves ~270-300, and fewer neighbours
 * put more of the sum, with its relative error, into the Fourier part). The default x_c, q, P, η
 * with nb fixed at 255, N = 3000, random forces and moments (spheres) and stresslets: u, G of
 * fr_stokes_fast and W of fr_stokes_fast_rotation, max and rms, within tol (measured: W rms
 * ~6.8e-4; ~7e-4 at N = 1e5 with the fitted grid). */
static void test_accuracy_neighbour_floor(void **state)
{
    (void)state;
    for (int sym = 0; sym < 2; sym++) {
        problem pb = make_problem(scaled(3000), 4242, sym);
        const int n = pb.n;
        const fr_stokes_fast_opts o = {.tol = 1e-3, .nb = 255};
        char err[256] = "";
        fr_stokes_plan *p = fr_stokes_plan_create_opts(n, pb.x, pb.y, pb.z, &o, err, sizeof err);
        assert_non_null(p);
        double *u = calloc(3 * (size_t)n, 8), *G = calloc(9 * (size_t)n, 8),
               *W = calloc(9 * (size_t)n, 8);
        assert_true(u && G && W);
        assert_int_equal(fr_stokes_fast(p, pb.F, pb.S, u, G), 0);
        assert_int_equal(fr_stokes_fast_rotation(p, pb.F, pb.S, W, NULL), 0);
        const errs e = compare(n, u, G, pb.ud, pb.Gd);
        double wmax, wrms;
        rot_errors(n, W, pb.Gd, &wmax, &wrms);
        fr_stokes_plan_info in;
        fr_stokes_plan_get_info(p, &in);
        printf("tol 1e-03%s, nb fixed 255 (N=%d, grid %d^3, eta %.2f): u max %.2e rms %.2e, G max "
               "%.2e rms %.2e, W max %.2e rms %.2e\n",
               sym ? " stresslets" : "", n, in.M[0], in.eta, e.umax, e.urms, e.gmax, e.grms, wmax,
               wrms);
        assert_true(e.umax <= 1e-3 && e.urms <= 1e-3 && e.gmax <= 1e-3 && e.grms <= 1e-3);
        assert_true(wmax <= 1e-3 && wrms <= 1e-3);
        free(u);
        free(G);
        free(W);
        fr_stokes_plan_free(p);
        free_problem(&pb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accuracy_1e3),    cmocka_unit_test(test_accuracy_1e6),
        cmocka_unit_test(test_determinism),     cmocka_unit_test(test_adds_and_null),
        cmocka_unit_test(test_accuracy_stresslets), cmocka_unit_test(test_small_and_bad),
        cmocka_unit_test(test_grid),            cmocka_unit_test(test_accuracy_1e4),
        cmocka_unit_test(test_rotation),        cmocka_unit_test(test_grid_display),
        cmocka_unit_test(test_accuracy_neighbour_floor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

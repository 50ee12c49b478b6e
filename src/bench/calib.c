/* The fast Stokes method's calibration set (FERRO_BENCH_CALIB=1): the errors against the direct
 * sum at the default tol 1e-3, on the clouds and sources the simulation meets and on harder ones,
 * so that a change of the splitting (stokes_fast_plan.c's table) or of a kernel can be checked
 * against the error budget in one command. FERRO_CALIB_OPTS="xc q P eta" evaluates another
 * splitting (zeros keep the defaults) for scans. Cases: N = 3e3 (all targets), 2e4 (2000),
 * 1e5 (400), 1e6 (200, when FERRO_BENCH_MAX_N allows); clouds as the simulation places them
 * (unit ball), six dense clusters, a ball flattened 5x; sources: random F and antisymmetric S
 * (spheres), a uniform field's rotlets (F = 0, S = ξ∧H with the same H up to sign), and
 * stresslets (the double-precision general path). Errors: u and G of fr_stokes_fast, W of
 * fr_stokes_fast_rotation, each max_i |Δ_i| / max_i |ref_i| and rms (stokes_fast.h). */
#include "calib.h"

#include "ferro/kernels.h"
#include "ferro/params.h"
#include "ferro/sim.h"
#include "stokes_fast.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CLOUD_BALL, CLOUD_CLUSTERS, CLOUD_SLAB };
enum { SRC_RANDOM, SRC_UNIFORM, SRC_STRESSLET };

typedef struct calib_case {
    int n, cloud, src, targets; /* targets 0: all */
} calib_case;

static const calib_case CASES[] = {
    {3000, CLOUD_BALL, SRC_RANDOM, 0},          {3000, CLOUD_BALL, SRC_UNIFORM, 0},
    {3000, CLOUD_BALL, SRC_STRESSLET, 0},       {20000, CLOUD_BALL, SRC_UNIFORM, 2000},
    {20000, CLOUD_CLUSTERS, SRC_UNIFORM, 2000}, {100000, CLOUD_BALL, SRC_RANDOM, 400},
    {100000, CLOUD_BALL, SRC_UNIFORM, 400},     {100000, CLOUD_BALL, SRC_STRESSLET, 400},
    {100000, CLOUD_SLAB, SRC_UNIFORM, 400},     {100000, CLOUD_CLUSTERS, SRC_RANDOM, 400},
    {1000000, CLOUD_BALL, SRC_UNIFORM, 200},
};
static const char *const CLOUD_NAME[] = {"ball", "clusters", "slab"};
static const char *const SRC_NAME[] = {"random F, S", "uniform field", "stresslets"};

static double urand(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return (double)(*st >> 11) * (1.0 / 9007199254740992.0);
}

/* n centres as the simulator places them (seeded), written at x, y, z. */
static int place(int n, unsigned long seed, double *x, double *y, double *z)
{
    fr_params p = fr_params_default();
    p.n = n;
    p.seed = seed;
    p.interactions = 0;
    fr_sim *s;
    char err[256];
    if (fr_sim_create(&p, &s, err, sizeof err)) {
        fprintf(stderr, "ferrobench: %s\n", err);
        return -1;
    }
    const fr_view v = fr_sim_view(s);
    memcpy(x, v.X[0], (size_t)n * sizeof *x);
    memcpy(y, v.X[1], (size_t)n * sizeof *y);
    memcpy(z, v.X[2], (size_t)n * sizeof *z);
    fr_sim_free(s);
    return 0;
}

/* Six clusters (five of n/8 particles at 0.2 scale, the rest at 0.35) about random centres:
 * locally far denser than the mean density the plan's neighbour guess uses. */
static int place_clusters(int n, double *x, double *y, double *z, uint64_t *st)
{
    int k0 = 0;
    for (int c = 0; c < 6; c++) {
        const int m = c < 5 ? n / 8 : n - k0;
        const double r = c < 5 ? 0.2 : 0.35;
        const double o[3] = {2 * urand(st) - 1, 2 * urand(st) - 1, 2 * urand(st) - 1};
        if (place(m, 100 + (unsigned long)c, x + k0, y + k0, z + k0))
            return -1;
        for (int j = k0; j < k0 + m; j++) {
            x[j] = o[0] + r * x[j];
            y[j] = o[1] + r * y[j];
            z[j] = o[2] + r * z[j];
        }
        k0 += m;
    }
    return 0;
}

static void make_sources(int n, int src, uint64_t *st, double *F, double *S)
{
    const double H0[3] = {0.3, -0.5, 0.81};
    for (int j = 0; j < n; j++) {
        double xi[3], H[3], nr = 0.0;
        for (int k = 0; k < 3; k++) {
            F[3 * j + k] = src == SRC_UNIFORM ? 0.0 : 2 * urand(st) - 1;
            xi[k] = 2 * urand(st) - 1;
            H[k] = 2 * urand(st) - 1;
            nr += xi[k] * xi[k];
        }
        if (src == SRC_UNIFORM) { /* unit ξ, H = ±H0 (the spin's sign) */
            const double sg = urand(st) < 0.5 ? 1.0 : -1.0;
            for (int k = 0; k < 3; k++) {
                xi[k] /= sqrt(nr);
                H[k] = sg * H0[k];
            }
        }
        const double sym = src == SRC_STRESSLET ? 0.25 : 0.0;
        for (int l = 0; l < 3; l++)
            for (int k = 0; k < 3; k++)
                S[9 * j + 3 * l + k] =
                    0.5 * (xi[l] * H[k] - H[l] * xi[k]) + sym * (xi[l] * xi[k] + H[l] * H[k]);
    }
}

/* The direct sums u, G at the targets ti[0..nt). */
static void reference(int n, const double *x, const double *y, const double *z, const double *F,
                      const double *S, int nt, const int *ti, double *ud, double *Gd)
{
#pragma omp parallel for schedule(dynamic, 1)
    for (int q = 0; q < nt; q++) {
        const int i = ti[q];
        for (int j = 0; j < n; j++) {
            if (j == i)
                continue;
            const double d[3] = {x[i] - x[j], y[i] - y[j], z[i] - z[j]};
            fr_point_source_add(d, F + 3 * (size_t)j, S + 9 * (size_t)j, ud + 3 * (size_t)q,
                                Gd + 9 * (size_t)q);
        }
    }
}

/* The six measures: u max, rms; G max, rms; W max, rms (W = ½(G − Gᵀ) of the reference). */
static void measures(int nt, const int *ti, const double *u, const double *G, const double *W,
                     const double *ud, const double *Gd, double e[6])
{
    double m[3] = {0}, em[3] = {0}, s[3] = {0}, es[3] = {0};
    for (int q = 0; q < nt; q++) {
        const size_t i = (size_t)ti[q];
        double a[3] = {0}, b[3] = {0};
        for (int k = 0; k < 3; k++) {
            const double r = ud[3 * q + k], d = u[3 * i + k] - r;
            a[0] += r * r;
            b[0] += d * d;
            for (int l = 0; l < 3; l++) {
                const double g = Gd[9 * q + 3 * k + l], dg = G[9 * i + 3 * k + l] - g;
                const double w = 0.5 * (g - Gd[9 * q + 3 * l + k]), dw = W[9 * i + 3 * k + l] - w;
                a[1] += g * g;
                b[1] += dg * dg;
                a[2] += w * w;
                b[2] += dw * dw;
            }
        }
        for (int c = 0; c < 3; c++) {
            m[c] = fmax(m[c], sqrt(a[c]));
            em[c] = fmax(em[c], sqrt(b[c]));
            s[c] += a[c];
            es[c] += b[c];
        }
    }
    for (int c = 0; c < 3; c++) {
        e[2 * c] = em[c] / m[c];
        e[2 * c + 1] = sqrt(es[c] / s[c]);
    }
}

typedef struct arrays {
    double *x, *y, *z, *F, *S, *u, *G, *W, *ud, *Gd;
    int *ti;
} arrays;

static void free_arrays(arrays *a)
{
    double *d[] = {a->x, a->y, a->z, a->F, a->S, a->u, a->G, a->W, a->ud, a->Gd};
    for (size_t k = 0; k < sizeof d / sizeof d[0]; k++)
        free(d[k]);
    free(a->ti);
}

/* One case: its six errors in e; -1 on failure. */
static int run_case(const calib_case *c, const fr_stokes_fast_opts *o, double e[6],
                    fr_stokes_plan_info *info)
{
    const int n = c->n, nt = c->targets > 0 && c->targets < n ? c->targets : n;
    const size_t nn = (size_t)n;
    arrays a = {malloc(8 * nn),
                malloc(8 * nn),
                malloc(8 * nn),
                malloc(24 * nn),
                malloc(72 * nn),
                calloc(3 * nn, 8),
                calloc(9 * nn, 8),
                calloc(9 * nn, 8),
                calloc(3 * (size_t)nt, 8),
                calloc(9 * (size_t)nt, 8),
                malloc(sizeof(int) * (size_t)nt)};
    int rc = -1;
    if (!a.x || !a.y || !a.z || !a.F || !a.S || !a.u || !a.G || !a.W || !a.ud || !a.Gd || !a.ti)
        goto out;
    uint64_t st = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    const int placed = c->cloud == CLOUD_CLUSTERS
                           ? place_clusters(n, a.x, a.y, a.z, &st)
                           : place(n, c->cloud == CLOUD_SLAB ? 12 : 11, a.x, a.y, a.z);
    if (placed)
        goto out;
    if (c->cloud == CLOUD_SLAB)
        for (int j = 0; j < n; j++)
            a.z[j] *= 0.2;
    make_sources(n, c->src, &st, a.F, a.S);
    for (int q = 0; q < nt; q++) /* spread over the storage order, which follows the placement */
        a.ti[q] = nt == n ? q : (int)((uint64_t)q * 2654435761ULL % (uint64_t)n);
    reference(n, a.x, a.y, a.z, a.F, a.S, nt, a.ti, a.ud, a.Gd);
    char err[256];
    fr_stokes_plan *p = fr_stokes_plan_create_opts(n, a.x, a.y, a.z, o, err, sizeof err);
    if (!p) {
        fprintf(stderr, "ferrobench: %s\n", err);
        goto out;
    }
    if (!fr_stokes_fast(p, a.F, a.S, a.u, a.G) &&
        !fr_stokes_fast_rotation(p, a.F, a.S, a.W, NULL)) {
        measures(nt, a.ti, a.u, a.G, a.W, a.ud, a.Gd, e);
        fr_stokes_plan_get_info(p, info);
        rc = 0;
    }
    fr_stokes_plan_free(p);
out:
    free_arrays(&a);
    return rc;
}

int bench_calib(long maxn)
{
    fr_stokes_fast_opts o = {.tol = 1e-3};
    const char *ov = getenv("FERRO_CALIB_OPTS");
    if (ov && sscanf(ov, "%lf %lf %d %lf", &o.xc, &o.q, &o.P, &o.eta) != 4) {
        fprintf(stderr, "ferrobench: FERRO_CALIB_OPTS needs \"xc q P eta\" (0 = default)\n");
        return 1;
    }
    printf("Fast Stokes calibration set, tol 1e-3%s: relative errors against the direct sum "
           "(max, rms)\n%-8s %-9s %-14s %7s %4s %5s  %-19s %-19s %-19s\n",
           ov ? " (FERRO_CALIB_OPTS)" : "", "N", "cloud", "sources", "targets", "M", "nb", "u", "G",
           "W (rotation)");
    double worst = 0.0;
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        const calib_case *c = &CASES[k];
        if (c->n > maxn)
            continue;
        double e[6];
        fr_stokes_plan_info in;
        if (run_case(c, &o, e, &in))
            return 1;
        printf("%-8d %-9s %-14s %7d %4d %5.0f  %.2e %.2e  %.2e %.2e  %.2e %.2e\n", c->n,
               CLOUD_NAME[c->cloud], SRC_NAME[c->src], c->targets ? c->targets : c->n, in.M[0],
               in.neighbours, e[0], e[1], e[2], e[3], e[4], e[5]);
        fflush(stdout);
        for (int m = 0; m < 6; m++)
            worst = fmax(worst, e[m]);
        if (k + 1 == sizeof CASES / sizeof CASES[0] || CASES[k + 1].n > maxn)
            printf("splitting: x_c %.2f, q %.2f, P %d, eta %.2f\n", in.xc, in.q, in.P, in.eta);
    }
    printf("worst %.2e (tol 1e-3)\n", worst);
    return 0;
}

/* The general per-particle path (interactions on: RK4 of (ξ, Λ) with exact flips, ξ* of
 * (1.9)), the scalar fr_particle_advance against its chunked form fr_block_advance, in the same
 * run: N particles at the defaults (ε = 0.01, b = 2, H = e_z, spheres), 10 steps of 0.01, with
 * synthetic ambient rotations W (random antisymmetric, entries of size 0.02) in place of the
 * Stokes sum, which is timed elsewhere. Both start from the same state; the results must be
 * bit-identical (printed and in the JSON). Best of 3, alternating. */
#include "general_path.h"

#include "dynamics.h"
#include "rng.h"

#include <gsl/gsl_randist.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct gp_state {
    int n;
    double *X[3], *xi[3], *xis[3], *hazard, *thresh, *G;
    int8_t *sigma;
    long long *flips;
    uint64_t *ctr;
} gp_state;

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void *xmalloc(size_t n, int *fail)
{
    void *p = malloc(n ? n : 1);
    *fail |= !p;
    return p;
}

static void gp_free(gp_state *s)
{
    for (int k = 0; k < 3; k++) {
        free(s->X[k]);
        free(s->xi[k]);
        free(s->xis[k]);
    }
    free(s->hazard);
    free(s->thresh);
    free(s->G);
    free(s->sigma);
    free(s->flips);
    free(s->ctr);
}

/* Allocates s's arrays (0, or -1 when out of memory, nothing left allocated); src NULL: a
 * random state, else a copy. */
static int gp_alloc(gp_state *s, int n, const gp_state *src)
{
    int fail = 0;
    const size_t d = sizeof(double) * (size_t)n;
    s->n = n;
    for (int k = 0; k < 3; k++) {
        s->X[k] = xmalloc(d, &fail);
        s->xi[k] = xmalloc(d, &fail);
        s->xis[k] = xmalloc(d, &fail);
    }
    s->hazard = xmalloc(d, &fail);
    s->thresh = xmalloc(d, &fail);
    s->G = xmalloc(9 * d, &fail);
    s->sigma = xmalloc((size_t)n, &fail);
    s->flips = xmalloc(sizeof(long long) * (size_t)n, &fail);
    s->ctr = xmalloc(sizeof(uint64_t) * (size_t)n, &fail);
    if (fail) {
        gp_free(s);
        return -1;
    }
    if (!src)
        return 0;
    for (int k = 0; k < 3; k++) {
        memcpy(s->X[k], src->X[k], d);
        memcpy(s->xi[k], src->xi[k], d);
        memcpy(s->xis[k], src->xis[k], d);
    }
    memcpy(s->hazard, src->hazard, d);
    memcpy(s->thresh, src->thresh, d);
    memcpy(s->G, src->G, 9 * d);
    memcpy(s->sigma, src->sigma, (size_t)n);
    memcpy(s->flips, src->flips, sizeof(long long) * (size_t)n);
    memcpy(s->ctr, src->ctr, sizeof(uint64_t) * (size_t)n);
    return 0;
}

static void gp_random(gp_state *s)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12);
    for (int i = 0; i < s->n; i++) {
        double v[3];
        gsl_ran_dir_3d(r, &v[0], &v[1], &v[2]);
        const double rad = cbrt(gsl_rng_uniform(r));
        for (int k = 0; k < 3; k++) {
            s->X[k][i] = rad * v[k];
            s->xi[k][i] = v[k];
        }
        gsl_ran_dir_3d(r, &v[0], &v[1], &v[2]);
        for (int k = 0; k < 3; k++)
            s->xis[k][i] = v[k];
        s->sigma[i] = gsl_rng_uniform(r) < 0.5 ? 1 : -1;
        s->hazard[i] = 0.0;
        s->thresh[i] = gsl_ran_exponential(r, 1.0);
        s->flips[i] = 0;
        s->ctr[i] = 0;
        double *g = s->G + 9 * (size_t)i;
        for (int a = 0; a < 3; a++) {
            g[4 * a] = 0.0;
            for (int m = a + 1; m < 3; m++) {
                g[3 * a + m] = 0.02 * gsl_ran_gaussian(r, 1.0);
                g[3 * m + a] = -g[3 * a + m];
            }
        }
    }
    gsl_rng_free(r);
}

static void step_scalar(const fr_dyn_ctx *c, gp_state *s, fr_rng_key key, double t0, double t1)
{
#pragma omp parallel for schedule(dynamic, 256)
    for (int i = 0; i < s->n; i++) {
        fr_particle_state p = {.X = {s->X[0][i], s->X[1][i], s->X[2][i]},
                               .xi = {s->xi[0][i], s->xi[1][i], s->xi[2][i]},
                               .xis = {s->xis[0][i], s->xis[1][i], s->xis[2][i]},
                               .sigma = s->sigma[i],
                               .hazard = s->hazard[i],
                               .thresh = s->thresh[i]};
        gsl_rng r;
        fr_rng_stream rs;
        fr_rng_open(&r, &rs, key, (uint32_t)i, s->ctr[i]);
        fr_particle_advance(c, &p, s->G + 9 * (size_t)i, t0, t1, &r);
        s->ctr[i] = fr_rng_close(&rs);
        for (int k = 0; k < 3; k++) {
            s->xi[k][i] = p.xi[k];
            s->xis[k][i] = p.xis[k];
        }
        s->sigma[i] = (int8_t)p.sigma;
        s->hazard[i] = p.hazard;
        s->thresh[i] = p.thresh;
        s->flips[i] += p.flips;
    }
}

static void step_chunked(const fr_dyn_ctx *c, gp_state *s, fr_rng_key key, double t0, double t1)
{
    const fr_block all = {.cnt = s->n,
                          .X = {s->X[0], s->X[1], s->X[2]},
                          .xi = {s->xi[0], s->xi[1], s->xi[2]},
                          .xis = {s->xis[0], s->xis[1], s->xis[2]},
                          .hazard = s->hazard,
                          .thresh = s->thresh,
                          .sigma = s->sigma,
                          .flips = s->flips,
                          .rng_ctr = s->ctr,
                          .rng_key = key,
                          .G = s->G};
    fr_blocks_advance(c, &all, t0, t1); /* as sim.c runs it */
}

static int gp_equal(const gp_state *a, const gp_state *b)
{
    const size_t d = sizeof(double) * (size_t)a->n;
    int eq = 1;
    for (int k = 0; k < 3; k++)
        eq &= !memcmp(a->xi[k], b->xi[k], d) && !memcmp(a->xis[k], b->xis[k], d);
    return eq && !memcmp(a->hazard, b->hazard, d) && !memcmp(a->thresh, b->thresh, d) &&
           !memcmp(a->sigma, b->sigma, (size_t)a->n) &&
           !memcmp(a->flips, b->flips, sizeof(long long) * (size_t)a->n) &&
           !memcmp(a->ctr, b->ctr, sizeof(uint64_t) * (size_t)a->n);
}

#define GP_STEPS 10

/* Ten steps from init by one path; wall and CPU seconds; the final state stays in s. */
static int gp_run(const gp_state *init, int chunked, gp_state *s, double *wall, double *cpu)
{
    if (gp_alloc(s, init->n, init))
        return -1;
    const fr_field f = {.H0 = {0.0, 0.0, 1.0}};
    const fr_dyn_ctx c = {.field = &f, .eps = 0.01, .b = 2.0, .gamma = FR_GAMMA_SPHERE};
    const fr_rng_key key = fr_rng_key_from_seed(1);
    const double w0 = omp_get_wtime(), c0 = cpu_s();
    for (int st = 0; st < GP_STEPS; st++) {
        const double t0 = 0.01 * st, t1 = 0.01 * (st + 1);
        if (chunked)
            step_chunked(&c, s, key, t0, t1);
        else
            step_scalar(&c, s, key, t0, t1);
    }
    *wall = omp_get_wtime() - w0;
    *cpu = cpu_s() - c0;
    return 0;
}

int bench_general_path(long maxn, FILE *json)
{
    const int n = maxn < 200000 ? (int)maxn : 200000;
    gp_state init;
    if (n < 1 || gp_alloc(&init, n, NULL))
        return -1;
    gp_random(&init);
    double w[2] = {1e300, 1e300}, cp[2] = {1e300, 1e300};
    int same = 1;
    long long flips = 0;
    for (int rep = 0; rep < 3; rep++) {
        gp_state s[2];
        for (int k = 0; k < 2; k++) {
            double wk, ck;
            if (gp_run(&init, k, &s[k], &wk, &ck)) {
                if (k)
                    gp_free(&s[0]);
                gp_free(&init);
                return -1;
            }
            w[k] = wk < w[k] ? wk : w[k];
            cp[k] = ck < cp[k] ? ck : cp[k];
        }
        same &= gp_equal(&s[0], &s[1]);
        flips = 0;
        for (int i = 0; i < n; i++)
            flips += s[1].flips[i];
        gp_free(&s[0]);
        gp_free(&s[1]);
    }
    gp_free(&init);
    const double ps = (double)n * GP_STEPS;
    printf("\nGeneral path (interactions on; W synthetic), N = %d, %d steps, %.2f flips per "
           "particle-step: scalar fr_particle_advance %.0f ns CPU (%.0f wall) per particle-step, "
           "chunked fr_block_advance %.0f (%.0f): %.2fx CPU, %.2fx wall; bit-identical: %s\n",
           n, GP_STEPS, (double)flips / ps, 1e9 * cp[0] / ps, 1e9 * w[0] / ps, 1e9 * cp[1] / ps,
           1e9 * w[1] / ps, cp[0] / cp[1], w[0] / w[1], same ? "yes" : "NO");
    fflush(stdout);
    fprintf(json,
            "  \"general_path\": {\"N\": %d, \"steps\": %d, \"flips_per_particle_step\": %.4g, "
            "\"scalar_cpu_ns\": %.4g, \"scalar_wall_ns\": %.4g, \"chunked_cpu_ns\": %.4g, "
            "\"chunked_wall_ns\": %.4g, \"cpu_ratio\": %.4g, \"wall_ratio\": %.4g, "
            "\"bit_identical\": %s},\n",
            n, GP_STEPS, (double)flips / ps, 1e9 * cp[0] / ps, 1e9 * w[0] / ps, 1e9 * cp[1] / ps,
            1e9 * w[1] / ps, cp[0] / cp[1], w[0] / w[1], same ? "true" : "false");
    return same ? 0 : -1;
}

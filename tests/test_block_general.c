/* The general path's chunked form (fr_block_advance, dynamics_block.c) against the scalar path
 * (fr_particle_advance), particle by particle: the chunk vectorises the RK4 stages across
 * particles but performs each particle's operations in the same order with the same portable
 * exp, so the two must agree bit for bit — for every field kind, with flow, Jeffery's term,
 * Brownian motion, held orientations, several substeps and many flips, and for any chunking
 * (which is what makes the results independent of the thread count). Also: the portable exp
 * against libm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dynamics.h"
#include "rng.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NP 150 /* two whole chunks of FR_GCHUNK and a partial one */

typedef struct state {
    double X[3][NP], xi[3][NP], xis[3][NP], hazard[NP], thresh[NP], G[9 * NP];
    int8_t sigma[NP];
    long long flips[NP];
    uint64_t ctr[NP];
} state;

static void unit(gsl_rng *r, double v[3])
{
    gsl_ran_dir_3d(r, &v[0], &v[1], &v[2]);
}

/* Random particles: centres in the unit ball, orientations, spins, thresholds; G of size
 * gscale (a few particles 40 times more, so that they take several substeps), antisymmetric
 * for spheres. */
static void make_state(state *s, double gscale, int sphere, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (int i = 0; i < NP; i++) {
        double v[3];
        unit(r, v);
        const double rad = cbrt(gsl_rng_uniform(r));
        for (int k = 0; k < 3; k++)
            s->X[k][i] = rad * v[k];
        unit(r, v);
        for (int k = 0; k < 3; k++)
            s->xi[k][i] = v[k];
        unit(r, v);
        for (int k = 0; k < 3; k++)
            s->xis[k][i] = v[k];
        s->sigma[i] = gsl_rng_uniform(r) < 0.5 ? 1 : -1;
        s->hazard[i] = 0.0;
        s->thresh[i] = gsl_ran_exponential(r, 1.0);
        s->flips[i] = 0;
        s->ctr[i] = (uint64_t)(i % 7);
        const double gs = i % 23 == 5 ? 40.0 * gscale : gscale;
        for (int k = 0; k < 9; k++)
            s->G[9 * i + k] = gs * gsl_ran_gaussian(r, 1.0);
        if (sphere)
            for (int a = 0; a < 3; a++) {
                s->G[9 * i + 4 * a] = 0.0;
                for (int m = a + 1; m < 3; m++)
                    s->G[9 * i + 3 * m + a] = -s->G[9 * i + 3 * a + m];
            }
    }
    gsl_rng_free(r);
}

static void advance_scalar(const fr_dyn_ctx *c, state *s, fr_rng_key key, double t0, double t1)
{
    for (int i = 0; i < NP; i++) {
        fr_particle_state p = {.X = {s->X[0][i], s->X[1][i], s->X[2][i]},
                               .xi = {s->xi[0][i], s->xi[1][i], s->xi[2][i]},
                               .xis = {s->xis[0][i], s->xis[1][i], s->xis[2][i]},
                               .sigma = s->sigma[i],
                               .hazard = s->hazard[i],
                               .thresh = s->thresh[i]};
        gsl_rng r;
        fr_rng_stream rs;
        fr_rng_open(&r, &rs, key, (uint32_t)i, s->ctr[i]);
        fr_particle_advance(c, &p, s->G + 9 * i, t0, t1, &r);
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

static void advance_chunks(const fr_dyn_ctx *c, state *s, fr_rng_key key, double t0, double t1,
                           int chunk)
{
    const fr_block all = {.X = {s->X[0], s->X[1], s->X[2]},
                          .xi = {s->xi[0], s->xi[1], s->xi[2]},
                          .xis = {s->xis[0], s->xis[1], s->xis[2]},
                          .hazard = s->hazard,
                          .thresh = s->thresh,
                          .sigma = s->sigma,
                          .flips = s->flips,
                          .rng_ctr = s->ctr,
                          .rng_key = key,
                          .G = s->G};
    for (int i0 = 0; i0 < NP; i0 += chunk) {
        const fr_block blk = fr_block_chunk(&all, i0, NP - i0 < chunk ? NP - i0 : chunk);
        fr_block_advance(c, &blk, t0, t1);
    }
}

typedef struct config {
    const char *name;
    fr_field field;
    double eps, b, beta, brownian, gscale;
    int hold, no_effective;
} config;

/* Ten steps of dt by the scalar path and by chunks of FR_GCHUNK and of 13: the same bits. */
static void check_config(const config *cf)
{
    static state a, b, d;
    make_state(&a, cf->gscale, cf->beta == 0.0, 7);
    b = a;
    d = a;
    const fr_dyn_ctx c = {.field = &cf->field,
                          .eps = cf->eps,
                          .b = cf->b,
                          .gamma = 1.0 / 6.0,
                          .beta = cf->beta,
                          .brownian = cf->brownian,
                          .hold = cf->hold,
                          .no_effective = cf->no_effective};
    const fr_rng_key key = fr_rng_key_from_seed(42);
    const double dt = 0.01;
    for (int step = 0; step < 10; step++) {
        const double t0 = step * dt, t1 = (step + 1) * dt;
        advance_scalar(&c, &a, key, t0, t1);
        advance_chunks(&c, &b, key, t0, t1, FR_GCHUNK);
        advance_chunks(&c, &d, key, t0, t1, 13);
    }
    long long flips = 0;
    for (int i = 0; i < NP; i++)
        flips += a.flips[i];
    print_message("%-28s %lld flips over %d particles\n", cf->name, flips, NP);
    assert_true(flips > 2 * NP); /* the crossing rounds were exercised */
    assert_memory_equal(&a, &b, sizeof a);
    assert_memory_equal(&a, &d, sizeof a);
}

static void test_bit_identical(void **st)
{
    (void)st;
    const fr_field uni = {.H0 = {0.3, -0.2, 1.0}};
    fr_field grad = uni;
    grad.grad_g = 0.7;
    grad.has_magnet = 1;
    grad.magnet_m[2] = 3.0;
    grad.magnet_p[0] = 2.5;
    const fr_field rot = {.rotating = 1, .rot_H0 = 2.0, .rot_omega = 30.0};
    fr_field sweep = {.H0 = {0.0, 0.0, 1.0}, .sweep = 1, .sweep_H0 = 3.0, .sweep_period = 0.2};
    sweep.has_switch_off = 1;
    sweep.t_off = 0.055; /* inside a step: the field depends on time there */
    const config cfs[] = {
        {"uniform, spheres", uni, 0.01, 2.0, 0.0, 0.0, 0.3, 0, 0},
        {"gradient + magnet, Jeffery", grad, 0.01, 2.0, 0.6, 0.0, 0.3, 0, 0},
        {"rotating, Brownian", rot, 0.02, 1.0, 0.0, 0.5, 0.3, 0, 0},
        {"sweep + switch-off", sweep, 0.005, 3.0, -0.3, 0.0, 1.0, 0, 0},
        {"held orientations", uni, 0.01, 2.0, 0.0, 0.0, 0.3, 1, 0},
        {"no effective, large flow", uni, 0.003, 0.5, 0.0, 0.0, 20.0, 0, 1},
    };
    for (size_t k = 0; k < sizeof cfs / sizeof cfs[0]; k++)
        check_config(&cfs[k]);
}

/* A NaN in one particle's flow gradient (garbage in): both paths return (a NaN hazard never
 * counts as a crossing; before, it flipped the spin at ever smaller time steps forever) and the
 * other particles come out as before, the same bits by either path. */
static void test_nan_flow_returns(void **st)
{
    (void)st;
    static state a, b, ref;
    make_state(&a, 0.3, 1, 11);
    ref = a;
    a.G[9 * 3 + 1] = NAN;
    b = a;
    const fr_field uni = {.H0 = {0.3, -0.2, 1.0}};
    const fr_dyn_ctx c = {.field = &uni, .eps = 0.01, .b = 2.0, .gamma = 1.0 / 6.0};
    const fr_rng_key key = fr_rng_key_from_seed(42);
    advance_scalar(&c, &a, key, 0.0, 0.01);
    advance_chunks(&c, &b, key, 0.0, 0.01, FR_GCHUNK);
    advance_scalar(&c, &ref, key, 0.0, 0.01);
    for (int i = 0; i < NP; i++) {
        if (i == 3)
            continue;
        assert_true(a.xi[0][i] == ref.xi[0][i] && a.thresh[i] == ref.thresh[i]);
        assert_true(b.xi[0][i] == ref.xi[0][i] && b.thresh[i] == ref.thresh[i]);
        assert_true(a.flips[i] == ref.flips[i] && b.flips[i] == ref.flips[i]);
    }
}

/* The portable exp against libm over the range the rates use: within 2 ulp (it measures about
 * 1.2), 0 below −708, finite at the 700 cap. */
static void test_portable_exp(void **st)
{
    (void)st;
    double worst = 0.0;
    for (int i = 0; i <= 200000; i++) {
        const double x = -708.0 + 1408.0 * i / 200000.0 + 1e-3 * sin(i);
        const double e = exp(x), p = fr_exp_portable(x);
        const double ulp = nextafter(e, INFINITY) - e;
        worst = fmax(worst, fabs(p - e) / ulp);
    }
    print_message("portable exp: max %.2f ulp from libm\n", worst);
    assert_true(worst <= 2.5); /* libm's own error (<= 0.5 ulp) plus ours */
    assert_true(fr_exp_portable(-709.0) == 0.0 && fr_exp_portable(0.0) == 1.0);
    assert_true(isfinite(fr_exp_portable(700.0)) && fr_exp_portable(700.0) > 1e304);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bit_identical),
        cmocka_unit_test(test_portable_exp),
        cmocka_unit_test(test_nan_flow_returns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Helpers shared by the cmocka tests (include after <cmocka.h>). */
#ifndef FERRO_TEST_UTIL_H
#define FERRO_TEST_UTIL_H

#include "ferro/sim.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Smaller runs under the sanitizers (slow, FERRO_SANITIZED set by scripts/test): n / div. The
 * statistical tolerances follow n, so they stay honest. */
static inline int test_scaled(int n, int div) { return getenv("FERRO_SANITIZED") ? n / div : n; }

/* A simulation, or the test fails with the core's message. */
static inline fr_sim *test_make(const fr_params *p)
{
    char err[256];
    fr_sim *s = NULL;
    if (fr_sim_create(p, &s, err, sizeof err)) {
        fprintf(stderr, "fr_sim_create: %s\n", err);
        fail();
    }
    return s;
}

/* n centres placed as the simulator places them (random sequential addition in the unit ball,
 * minimal distance n^(-1/3)): taken from a simulation of that n and seed, not a copy of its
 * placement loop. */
static inline void test_place(int n, uint64_t seed, double *x, double *y, double *z)
{
    fr_params p = fr_params_default();
    p.n = n;
    p.seed = seed;
    fr_sim *s = test_make(&p);
    const fr_view v = fr_sim_view(s);
    memcpy(x, v.X[0], (size_t)n * sizeof *x);
    memcpy(y, v.X[1], (size_t)n * sizeof *y);
    memcpy(z, v.X[2], (size_t)n * sizeof *z);
    fr_sim_free(s);
}

/* a and b are the same state, bit for bit: centres, ξ, ξ*, σ and the diagnostics (flips, m, ...). */
static inline void test_same_state(const fr_sim *a, const fr_sim *b)
{
    const fr_view va = fr_sim_view(a), vb = fr_sim_view(b);
    assert_int_equal(va.n, vb.n);
    const size_t bytes = sizeof(double) * (size_t)va.n;
    for (int k = 0; k < 3; k++) {
        assert_memory_equal(va.X[k], vb.X[k], bytes);
        assert_memory_equal(va.xi[k], vb.xi[k], bytes);
        assert_memory_equal(va.xis[k], vb.xis[k], bytes);
    }
    assert_memory_equal(va.sigma, vb.sigma, (size_t)va.n);
    fr_diag da, db;
    fr_sim_diag(a, &da);
    fr_sim_diag(b, &db);
    assert_memory_equal(&da, &db, sizeof da);
}

#endif

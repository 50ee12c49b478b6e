/* The fast Stokes sum when a table built on first use (fr_ks_k_tables, fr_ks_omega_tables:
 * during a call, not at plan time) cannot be allocated: that call fails with -1, and the next
 * call on the same plan builds them afresh and gives the same bits as a plan that never
 * failed. Every fr_big_alloc of the first call is made to fail in turn (the link wraps
 * fr_big_alloc: CMakeLists.txt). Before, a failure part-way left the velocity tables half
 * built and taken for built: the next call crashed or returned wrong numbers with rc 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stokes_fast.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define N 4000 /* above the fast method's direct-sum threshold, small enough for many plans */

void *__real_fr_big_alloc(size_t bytes);
void *__wrap_fr_big_alloc(size_t bytes);

/* count is atomic: the convolution's threads allocate their scratch concurrently, and a lost
 * increment would skip the allocation meant to fail (the call then returned 0, ~1 run in 12). */
typedef struct {
    int armed, fail_at;
    atomic_int count;
} oom_ctl;
static oom_ctl ctl; /* the wrap has no argument to carry it: test-only state */

void *__wrap_fr_big_alloc(size_t bytes)
{
    if (ctl.armed && atomic_fetch_add(&ctl.count, 1) + 1 == ctl.fail_at)
        return NULL;
    return __real_fr_big_alloc(bytes);
}

typedef struct {
    double x[3 * N], F[3 * N], S[9 * N], u[3 * N], G[9 * N];
} problem;

static void setup(problem *q)
{
    uint64_t st = 88172645463325252ULL;
    for (int i = 0; i < 3 * N; i++) {
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        q->x[i] = 2.0 * (double)(st >> 11) / 9007199254740992.0 - 1.0;
    }
    for (int i = 0; i < 3 * N; i++)
        q->F[i] = q->x[(i * 7) % (3 * N)];
    memset(q->S, 0, sizeof q->S);
}

/* One call on a fresh plan with the fail_at-th big allocation failing (0: none); then, if
 * that call failed, one more. Returns the number of big allocations the first call made. */
static int run(problem *q, int fail_at, int rot, int *rc1)
{
    char err[256];
    fr_stokes_plan *p = fr_stokes_plan_create(N, q->x, q->x + N, q->x + 2 * N, 1e-3, err, sizeof err);
    assert_non_null(p);
    memset(q->u, 0, sizeof q->u);
    memset(q->G, 0, sizeof q->G);
    ctl.fail_at = fail_at;
    atomic_store(&ctl.count, 0);
    ctl.armed = 1;
    *rc1 = rot ? fr_stokes_fast_rotation(p, q->F, q->S, q->G, NULL) : fr_stokes_fast(p, q->F, q->S, q->u, q->G);
    const int made = atomic_load(&ctl.count);
    ctl.armed = 0;
    if (*rc1) {
        memset(q->u, 0, sizeof q->u);
        memset(q->G, 0, sizeof q->G);
        assert_int_equal(rot ? fr_stokes_fast_rotation(p, q->F, q->S, q->G, NULL)
                             : fr_stokes_fast(p, q->F, q->S, q->u, q->G), 0);
    }
    fr_stokes_plan_free(p);
    return made;
}

static void check_each_failure(int rot)
{
    problem *ref = malloc(sizeof *ref), *q = malloc(sizeof *q);
    assert_non_null(ref);
    assert_non_null(q);
    setup(ref);
    setup(q);
    int rc;
    const int made = run(ref, 0, rot, &rc);
    assert_int_equal(rc, 0);
    assert_true(made > 0); /* the tables are built on first use: the call allocates */
    for (int k = 1; k <= made; k++) {
        run(q, k, rot, &rc);
        assert_int_equal(rc, -1);
        assert_memory_equal(q->u, ref->u, sizeof q->u);
        assert_memory_equal(q->G, ref->G, sizeof q->G);
    }
    free(ref);
    free(q);
}

static void test_velocity_tables(void **state)
{
    (void)state;
    check_each_failure(0);
}

static void test_vorticity_tables(void **state)
{
    (void)state;
    check_each_failure(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_velocity_tables),
                                       cmocka_unit_test(test_vorticity_tables)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

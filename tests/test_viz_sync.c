/* test_viz_sync.c — the threaded parts of ferroviz without SDL or GL: the snapshot triple
 * buffer and the command queue under two threads hammering them (run it under ThreadSanitizer:
 * cmake -DFERRO_SANITIZE=thread), and the streamline tracer on fields with known streamlines. */
#include "../src/viz/colormap.c"
#include "../src/viz/streamlines.c"
#include "../src/viz/sync.c"

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- triple buffer: every slot the reader sees is complete and never older ---- */

#define SLOT_INTS 256
#define PUBLISHES 100000

typedef struct slot {
    long seq;
    int v[SLOT_INTS];
} slot;

typedef struct tb_ctx {
    viz_tribuf tb;
    slot s[3];
    atomic_int done;
    long bad, seen, last;
} tb_ctx;

static void *tb_writer(void *arg)
{
    tb_ctx *c = arg;
    for (long k = 1; k <= PUBLISHES; k++) {
        slot *s = tribuf_back(&c->tb);
        s->seq = k;
        for (int i = 0; i < SLOT_INTS; i++)
            s->v[i] = (int)(k * 7 + i);
        tribuf_publish(&c->tb);
    }
    atomic_store(&c->done, 1);
    return NULL;
}

static void *tb_reader(void *arg)
{
    tb_ctx *c = arg;
    for (;;) {
        const int fin = atomic_load(&c->done);
        if (tribuf_acquire(&c->tb)) {
            const slot *s = tribuf_front(&c->tb);
            for (int i = 0; i < SLOT_INTS; i++)
                if (s->v[i] != (int)(s->seq * 7 + i))
                    c->bad++;
            if (s->seq < c->last)
                c->bad++;
            c->last = s->seq;
            c->seen++;
        } else if (fin) {
            break;
        }
    }
    return NULL;
}

static void test_tribuf_two_threads(void **state)
{
    (void)state;
    tb_ctx *c = calloc(1, sizeof *c);
    assert_non_null(c);
    tribuf_init(&c->tb, &c->s[0], &c->s[1], &c->s[2]);
    atomic_init(&c->done, 0);
    pthread_t w, r;
    assert_int_equal(pthread_create(&r, NULL, tb_reader, c), 0);
    assert_int_equal(pthread_create(&w, NULL, tb_writer, c), 0);
    pthread_join(w, NULL);
    pthread_join(r, NULL);
    assert_int_equal(c->bad, 0);
    assert_true(c->seen > 0);
    assert_int_equal(c->last, PUBLISHES); /* the newest is always seen in the end */
    free(c);
}

static void test_tribuf_single_thread(void **state)
{
    (void)state;
    int a = 0, b = 0, z = 0;
    viz_tribuf t;
    tribuf_init(&t, &a, &b, &z);
    assert_ptr_equal(tribuf_front(&t), &z);
    assert_int_equal(tribuf_acquire(&t), 0);
    *(int *)tribuf_back(&t) = 1;
    tribuf_publish(&t);
    *(int *)tribuf_back(&t) = 2;
    tribuf_publish(&t); /* overwrites: the reader skips 1 */
    assert_int_equal(tribuf_acquire(&t), 1);
    assert_int_equal(*(int *)tribuf_front(&t), 2);
    assert_int_equal(tribuf_acquire(&t), 0);
    /* the writer never gets the reader's slot */
    for (int k = 0; k < 10; k++) {
        assert_ptr_not_equal(tribuf_back(&t), tribuf_front(&t));
        tribuf_publish(&t);
        if (k % 3 == 0)
            tribuf_acquire(&t);
    }
}

/* ---- command queue: coalescing, ordering, bounded, wake-up ---- */

#define PUSHES 50000

typedef struct q_ctx {
    viz_cmdqueue q;
    atomic_int done;
    double last_eps;
    long popped, steps, bad;
    unsigned long long last_id;
} q_ctx;

static void *q_producer(void *arg)
{
    q_ctx *c = arg;
    for (int k = 1; k <= PUSHES; k++) {
        viz_cmd m;
        memset(&m, 0, sizeof m);
        m.kind = k % 97 == 0 ? CMD_RESET : k % 3 == 0 ? CMD_STEP : k % 3 == 1 ? CMD_PARAMS : CMD_VIEW;
        if (m.kind == CMD_STEP)
            m.u.steps = 1;
        else if (m.kind == CMD_VIEW)
            m.u.view.rate = k;
        else
            m.u.params.p.eps = k;
        if (!cmdq_push(&c->q, &m))
            c->bad++; /* coalescing keeps the queue from ever filling here */
    }
    atomic_store(&c->done, 1);
    cmdq_set_quit(&c->q);
    return NULL;
}

static void *q_consumer(void *arg)
{
    q_ctx *c = arg;
    for (;;) {
        viz_cmd m;
        int got = 0;
        while (cmdq_pop(&c->q, &m)) {
            got = 1;
            c->popped++;
            c->last_id = m.id > c->last_id ? m.id : c->last_id;
            if (m.kind == CMD_PARAMS)
                c->last_eps = m.u.params.p.eps;
            if (m.kind == CMD_STEP) {
                if (m.u.steps < 1 || m.u.steps > 1000)
                    c->bad++;
                c->steps += m.u.steps;
            }
        }
        if (!got && atomic_load(&c->done) && cmdq_quit(&c->q)) {
            if (!cmdq_pop(&c->q, &m))
                break;
            c->popped++;
            if (m.kind == CMD_PARAMS)
                c->last_eps = m.u.params.p.eps;
        }
        cmdq_wait(&c->q, 0.01);
    }
    return NULL;
}

static void test_cmdqueue_two_threads(void **state)
{
    (void)state;
    q_ctx *c = calloc(1, sizeof *c);
    assert_non_null(c);
    assert_int_equal(cmdq_init(&c->q), 0);
    atomic_init(&c->done, 0);
    pthread_t p, k;
    assert_int_equal(pthread_create(&k, NULL, q_consumer, c), 0);
    assert_int_equal(pthread_create(&p, NULL, q_producer, c), 0);
    pthread_join(p, NULL);
    pthread_join(k, NULL);
    assert_int_equal(c->bad, 0);
    assert_true(c->popped > 0 && c->popped <= PUSHES);
    /* the newest eps always arrives: the last k with k % 3 == 1 and k % 97 != 0 */
    int last = PUSHES;
    while (!(last % 3 == 1 && last % 97 != 0))
        last--;
    assert_true(fabs(c->last_eps - last) < 0.5);
    cmdq_destroy(&c->q);
    free(c);
}

static void test_cmdqueue_coalescing(void **state)
{
    (void)state;
    viz_cmdqueue q;
    assert_int_equal(cmdq_init(&q), 0);
    viz_cmd m, out = {0};
    memset(&m, 0, sizeof m);
    m.kind = CMD_PARAMS;
    for (int k = 0; k < 1000; k++) { /* a held key: one entry, the newest value */
        m.u.params.p.eps = k;
        assert_true(cmdq_push(&q, &m) > 0);
    }
    assert_int_equal(q.count, 1);
    memset(&m, 0, sizeof m);
    m.kind = CMD_STEP;
    m.u.steps = 600;
    cmdq_push(&q, &m);
    cmdq_push(&q, &m); /* steps add up, capped at 1000 */
    m.kind = CMD_RESET;
    cmdq_push(&q, &m);
    memset(&m, 0, sizeof m);
    m.kind = CMD_PARAMS;
    m.u.params.p.eps = -5;
    m.u.params.off = CMD_OFF_NOW;
    cmdq_push(&q, &m); /* after a reset: a new entry, not merged across it */
    m.u.params.p.eps = -6;
    m.u.params.off = CMD_OFF_KEEP; /* newer parameters keep a pending switch-off */
    cmdq_push(&q, &m);
    m.kind = CMD_VIEW;
    m.u.view.sel = 3;
    cmdq_push(&q, &m);
    m.u.view.sel = 4; /* the newest view wins */
    cmdq_push(&q, &m);
    assert_int_equal(q.count, 5);
    assert_int_equal(cmdq_pop(&q, &out), 1);
    assert_int_equal(out.kind, CMD_PARAMS);
    assert_true(out.u.params.p.eps == 999);
    assert_int_equal(cmdq_pop(&q, &out), 1);
    assert_int_equal(out.kind, CMD_STEP);
    assert_int_equal(out.u.steps, 1000);
    assert_int_equal(cmdq_pop(&q, &out), 1);
    assert_int_equal(out.kind, CMD_RESET);
    assert_int_equal(cmdq_pop(&q, &out), 1);
    assert_true(out.kind == CMD_PARAMS && out.u.params.p.eps == -6 &&
                out.u.params.off == CMD_OFF_NOW);
    assert_int_equal(cmdq_pop(&q, &out), 1);
    assert_true(out.kind == CMD_VIEW && out.u.view.sel == 4);
    assert_int_equal(cmdq_pop(&q, &out), 0);
    /* a reset drops the parameter changes queued after a queued reset, keeps the view */
    memset(&m, 0, sizeof m);
    m.kind = CMD_RESET;
    cmdq_push(&q, &m);
    m.kind = CMD_PARAMS;
    cmdq_push(&q, &m);
    m.kind = CMD_VIEW;
    cmdq_push(&q, &m);
    m.kind = CMD_RESET;
    m.u.params.p.n = 7;
    cmdq_push(&q, &m);
    assert_int_equal(q.count, 2);
    assert_int_equal(cmdq_pop(&q, &out), 1);
    assert_true(out.kind == CMD_RESET && out.u.params.p.n == 7);
    assert_int_equal(cmdq_pop(&q, &out), 1);
    assert_int_equal(out.kind, CMD_VIEW);
    assert_int_equal(cmdq_pop(&q, &out), 0);
    /* bounded: any sequence of pushes keeps at most two entries per kind */
    srand(5);
    for (int k = 0; k < 20000; k++) {
        m.kind = (viz_cmd_kind)(1 + rand() % (CMD_KINDS - 1));
        m.u.steps = 1;
        assert_true(cmdq_push(&q, &m) > 0);
        assert_true(q.count <= 2 * CMD_KINDS);
    }
    /* wait returns at once after quit */
    cmdq_set_quit(&q);
    cmdq_wait(&q, 10.0);
    assert_int_equal(cmdq_quit(&q), 1);
    cmdq_destroy(&q);
}

/* ---- streamlines ---- */

static double *grid_of(int n, double lo, double hi, void (*f)(const double x[3], double u[3]))
{
    double *u = malloc((size_t)n * n * n * 3 * sizeof *u);
    const double h = (hi - lo) / (n - 1);
    for (int k = 0; k < n; k++)
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++) {
                const double x[3] = {lo + i * h, lo + j * h, lo + k * h};
                f(x, u + (((size_t)k * n + j) * n + i) * 3);
            }
    return u;
}

static void linear_field(const double x[3], double u[3])
{
    u[0] = 1.0 + 2.0 * x[0] - x[1];
    u[1] = 0.5 * x[2] + 3.0;
    u[2] = x[0] + x[1] + x[2];
}

static void rotation_field(const double x[3], double u[3])
{
    u[0] = -x[1];
    u[1] = x[0];
    u[2] = 0.0;
}

static void test_trilinear_exact_for_linear(void **state)
{
    (void)state;
    double *u = grid_of(9, -1.5, 1.5, linear_field);
    const double pts[4][3] = {{0.1, 0.2, 0.3}, {-1.2, 0.77, 1.4}, {1.5, -1.5, 0.0}, {0.33, 0.0, -0.9}};
    for (int p = 0; p < 4; p++) {
        double v[3], w[3];
        stream_sample(u, 9, -1.5, 1.5, pts[p], v);
        linear_field(pts[p], w);
        for (int c = 0; c < 3; c++)
            assert_true(fabs(v[c] - w[c]) < 1e-12);
    }
    free(u);
}

static void rotation_about_n(const double x[3], double u[3])
{
    /* rotation about n = (cos 0.3, sin 0.3, 0), plus a component along n (removed by the slice) */
    const double n[3] = {cos(0.3), sin(0.3), 0.0};
    u[0] = n[1] * x[2] - n[2] * x[1] + 0.7 * n[0];
    u[1] = n[2] * x[0] - n[0] * x[2] + 0.7 * n[1];
    u[2] = n[0] * x[1] - n[1] * x[0];
}

/* Every line keeps its distance to the axis (a circle) and its height along it; arc length
 * grows downstream; the flow turns counter-clockwise about the axis. */
static void check_circles(const viz_streams *s, const double axis[3], int in_plane)
{
    double worst = 0.0;
    for (int l = 0; l < s->nlines; l++) {
        const float *v0 = s->verts + 5 * (size_t)s->first[l];
        const double a0 = v0[0] * axis[0] + v0[1] * axis[1] + v0[2] * axis[2];
        const double r0 = sqrt(v0[0] * v0[0] + v0[1] * v0[1] + v0[2] * v0[2] - a0 * a0);
        for (int q = 1; q < s->count[l]; q++) {
            const float *v = v0 + 5 * q;
            const double a = v[0] * axis[0] + v[1] * axis[1] + v[2] * axis[2];
            const double r = sqrt(fmax(0.0, v[0] * v[0] + v[1] * v[1] + v[2] * v[2] - a * a));
            if (r0 >= 0.3)
                worst = fmax(worst, fabs(r - r0) / r0);
            assert_true(fabs(a - a0) < 1e-5);
            if (in_plane)
                assert_true(fabs(a) < 1e-5);
            assert_true(v[4] >= v[-1]);
            /* (previous point x current point) . axis > 0: counter-clockwise */
            const double c[3] = {(double)v[-4] * v[2] - (double)v[-3] * v[1],
                                 (double)v[-3] * v[0] - (double)v[-5] * v[2],
                                 (double)v[-5] * v[1] - (double)v[-4] * v[0]};
            if (r0 > 0.2)
                assert_true(c[0] * axis[0] + c[1] * axis[1] + c[2] * axis[2] > 0.0);
        }
    }
    print_message("%d lines, radius drift %.2g\n", s->nlines, worst);
    assert_true(worst < 2e-3);
}

static void free_streams(viz_streams *s)
{
    free(s->verts);
    free(s->first);
    free(s->count);
    free(s->heads);
}

static void test_streamlines_of_a_rotation_are_circles(void **state)
{
    (void)state;
    double *u = grid_of(24, -1.5, 1.5, rotation_field);
    viz_streams s;
    memset(&s, 0, sizeof s);
    assert_int_equal(stream_trace(u, 24, -1.5, 1.5, NULL, &s), 0);
    assert_true(s.nlines > 50);
    assert_true(s.vmax > 0.5 && s.vmax < 1.5);
    const double z[3] = {0.0, 0.0, 1.0};
    check_circles(&s, z, 0);
    for (int k = 0; k < s.nheads; k++) { /* arrowheads point along the flow */
        const float *hh = s.heads + 7 * k;
        const double r = hypot(hh[0], hh[1]);
        if (r > 0.2)
            assert_true((-hh[1] * hh[3] + hh[0] * hh[4]) / r > 0.99);
    }
    free_streams(&s);
    free(u);

    /* slice: the plane through z with normal n; the field rotates about n */
    u = grid_of(24, -1.5, 1.5, rotation_about_n);
    memset(&s, 0, sizeof s);
    const double n[3] = {cos(0.3), sin(0.3), 0.0};
    assert_int_equal(stream_trace(u, 24, -1.5, 1.5, n, &s), 0);
    assert_true(s.nlines > 30);
    check_circles(&s, n, 1);
    free_streams(&s);
    free(u);
}

static void zero_field(const double x[3], double u[3])
{
    (void)x;
    u[0] = u[1] = u[2] = 0.0;
}

static void test_zero_field_gives_no_lines(void **state)
{
    (void)state;
    double *u = grid_of(8, -1.5, 1.5, zero_field);
    viz_streams s;
    memset(&s, 0, sizeof s);
    assert_int_equal(stream_trace(u, 8, -1.5, 1.5, NULL, &s), 0);
    assert_int_equal(s.nlines, 0);
    assert_true(s.vmax == 0.0);
    free(u);
}

/* ---- colour maps: the shaders' GLSL is generated from the same numbers as the C maps ---- */

static void test_colormap_glsl_from_the_c_tables(void **state)
{
    (void)state;
    char g[4096];
    const int n = cmap_glsl(g, sizeof g);
    assert_true(n > 0 && n < (int)sizeof g - 16); /* fits gl.c's prelude buffer with #line */
    char want[128];
    snprintf(want, sizeof want, "vec3(%#.9g, %#.9g, %#.9g)", VIRIDIS[0][0], VIRIDIS[0][1],
             VIRIDIS[0][2]);
    assert_non_null(strstr(g, want));
    snprintf(want, sizeof want, "CMAP_SPIN_UP = vec3(%#.9g, %#.9g, %#.9g)", CMAP_SPIN_UP[0],
             CMAP_SPIN_UP[1], CMAP_SPIN_UP[2]);
    assert_non_null(strstr(g, want));
    static const char *fns[] = {"vec3 viridis(float t)", "vec3 diverging(float v)",
                                "vec3 spin_colour(float s)"};
    for (int k = 0; k < 3; k++)
        assert_non_null(strstr(g, fns[k]));
    /* the C side: the ends of the maps */
    float c[3];
    cmap_viridis(0.0f, c);
    assert_true(fabsf(c[0] - VIRIDIS[0][0]) < 1e-6f && fabsf(c[2] - VIRIDIS[0][2]) < 1e-6f);
    cmap_diverging(1.0f, c);
    assert_true(fabsf(c[0] - DIVERGING[D_WARM][0]) < 1e-6f);
    cmap_diverging(0.0f, c);
    assert_true(fabsf(c[1] - DIVERGING[D_MID][1]) < 1e-6f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tribuf_single_thread),
        cmocka_unit_test(test_tribuf_two_threads),
        cmocka_unit_test(test_cmdqueue_coalescing),
        cmocka_unit_test(test_cmdqueue_two_threads),
        cmocka_unit_test(test_trilinear_exact_for_linear),
        cmocka_unit_test(test_streamlines_of_a_rotation_are_circles),
        cmocka_unit_test(test_zero_field_gives_no_lines),
        cmocka_unit_test(test_colormap_glsl_from_the_c_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

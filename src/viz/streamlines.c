/* streamlines.c — RK4 streamlines on a trilinear-interpolated grid (see streamlines.h). */
#include "streamlines.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SEEDS_3D 140
#define SLICE_SPACING 0.22
#define SEED_RADIUS 1.2
#define TRACE_RADIUS 1.45  /* lines stop when they leave this ball */
#define MAX_HALF_STEPS 26  /* per direction */
#define STEP_FRAC 0.6      /* arc-length step in grid spacings */
#define MIN_REL_SPEED 1e-3 /* stop where |u| < this * vmax */

void stream_sample(const double *u, int n, double lo, double hi, const double x[3], double v[3])
{
    const double h = (hi - lo) / (n - 1);
    int i0[3];
    double f[3];
    for (int c = 0; c < 3; c++) {
        double g = (x[c] - lo) / h;
        if (g < 0.0)
            g = 0.0;
        if (g > n - 1)
            g = n - 1;
        int i = (int)g;
        if (i > n - 2)
            i = n - 2;
        i0[c] = i;
        f[c] = g - i;
    }
    v[0] = v[1] = v[2] = 0.0;
    for (int dz = 0; dz < 2; dz++)
        for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++) {
                const double w = (dx ? f[0] : 1.0 - f[0]) * (dy ? f[1] : 1.0 - f[1]) *
                                 (dz ? f[2] : 1.0 - f[2]);
                const long g = (((long)(i0[2] + dz) * n + (i0[1] + dy)) * n + (i0[0] + dx)) * 3;
                v[0] += w * u[g];
                v[1] += w * u[g + 1];
                v[2] += w * u[g + 2];
            }
}

typedef struct tracer {
    const double *u;
    int n, slice;
    double nrm[3]; /* slice normal */
    double lo, hi, vmax;
} tracer;

static void project(const tracer *t, double v[3])
{
    if (!t->slice)
        return;
    const double d = v[0] * t->nrm[0] + v[1] * t->nrm[1] + v[2] * t->nrm[2];
    for (int c = 0; c < 3; c++)
        v[c] -= d * t->nrm[c];
}

/* Unit direction of the (in-plane, in slice mode) field at x; 0 where the field is too weak. */
static int direction(const tracer *t, const double x[3], double d[3], double *speed)
{
    double v[3];
    stream_sample(t->u, t->n, t->lo, t->hi, x, v);
    project(t, v);
    const double s = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (speed)
        *speed = s;
    if (!(s > MIN_REL_SPEED * t->vmax))
        return 0;
    for (int c = 0; c < 3; c++)
        d[c] = v[c] / s;
    return 1;
}

/* One RK4 step of length ds along sign * direction. */
static int rk4(const tracer *t, double x[3], double ds, double sign)
{
    double k1[3], k2[3], k3[3], k4[3], y[3];
    if (!direction(t, x, k1, NULL))
        return 0;
    for (int c = 0; c < 3; c++)
        y[c] = x[c] + 0.5 * ds * sign * k1[c];
    if (!direction(t, y, k2, NULL))
        return 0;
    for (int c = 0; c < 3; c++)
        y[c] = x[c] + 0.5 * ds * sign * k2[c];
    if (!direction(t, y, k3, NULL))
        return 0;
    for (int c = 0; c < 3; c++)
        y[c] = x[c] + ds * sign * k3[c];
    if (!direction(t, y, k4, NULL))
        return 0;
    for (int c = 0; c < 3; c++)
        x[c] += ds * sign * (k1[c] + 2.0 * k2[c] + 2.0 * k3[c] + k4[c]) / 6.0;
    return x[0] * x[0] + x[1] * x[1] + x[2] * x[2] < TRACE_RADIUS * TRACE_RADIUS;
}

/* Points of the half line from seed along sign; returns the count (seed excluded). */
static int half_line(const tracer *t, const double seed[3], double sign, double ds,
                     double pts[][3])
{
    double x[3] = {seed[0], seed[1], seed[2]};
    int m = 0;
    while (m < MAX_HALF_STEPS && rk4(t, x, ds, sign)) {
        memcpy(pts[m], x, sizeof x);
        m++;
    }
    return m;
}

static double halton(int i, int base)
{
    double f = 1.0, r = 0.0;
    while (i > 0) {
        f /= base;
        r += f * (i % base);
        i /= base;
    }
    return r;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int grow(void **p, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* The speed mapped to the top of the colour bar: the 95th percentile of the (in-plane) speed
 * inside radius 1.3; -1 when out of memory. */
static double speed_scale(const tracer *t, double h)
{
    const int n = t->n;
    const long npts = (long)n * n * n;
    double *sp = malloc((size_t)npts * sizeof *sp);
    if (!sp)
        return -1.0;
    long m = 0;
    for (int k = 0; k < n; k++)
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++) {
                const double x = t->lo + i * h, y = t->lo + j * h, z = t->lo + k * h;
                if (x * x + y * y + z * z > 1.3 * 1.3)
                    continue;
                const double *g = t->u + (((long)k * n + j) * n + i) * 3;
                double v[3] = {g[0], g[1], g[2]};
                project(t, v);
                sp[m++] = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            }
    double vmax = 0.0;
    if (m > 0) {
        qsort(sp, (size_t)m, sizeof *sp, cmp_double);
        vmax = sp[(long)(0.95 * (double)(m - 1))];
    }
    free(sp);
    return vmax;
}

/* Seeds: a grid in the slice plane (horizontal e1 = z x n, vertical z), or Halton points in
 * the ball of radius SEED_RADIUS. Returns the count (at most MAX_SEEDS). */
#define MAX_SEEDS 1024
static int make_seeds(const tracer *t, double seeds[MAX_SEEDS][3])
{
    int ns = 0;
    if (t->slice) {
        const double e1[3] = {-t->nrm[1], t->nrm[0], 0.0};
        for (double z = -1.3; z <= 1.3 + 1e-9; z += SLICE_SPACING)
            for (double x = -1.3; x <= 1.3 + 1e-9; x += SLICE_SPACING)
                if (x * x + z * z <= 1.3 * 1.3 && ns < MAX_SEEDS) {
                    seeds[ns][0] = x * e1[0];
                    seeds[ns][1] = x * e1[1];
                    seeds[ns][2] = z;
                    ns++;
                }
        return ns;
    }
    for (int i = 1; ns < SEEDS_3D && i < 100000; i++) {
        const double x = SEED_RADIUS * (2.0 * halton(i, 2) - 1.0);
        const double y = SEED_RADIUS * (2.0 * halton(i, 3) - 1.0);
        const double z = SEED_RADIUS * (2.0 * halton(i, 5) - 1.0);
        if (x * x + y * y + z * z > SEED_RADIUS * SEED_RADIUS)
            continue;
        seeds[ns][0] = x;
        seeds[ns][1] = y;
        seeds[ns][2] = z;
        ns++;
    }
    return ns;
}

/* Room for one more line of len vertices (first and count share the capacity). */
static int reserve_line(viz_streams *out, int len)
{
    if (grow((void **)&out->verts, &out->vcap, (out->nverts + len) * 5, sizeof(float)))
        return -1;
    if (out->nlines + 1 <= out->lcap)
        return 0;
    const int c = out->lcap ? 2 * out->lcap : 256;
    int *f = realloc(out->first, (size_t)c * sizeof(int));
    if (!f)
        return -1;
    out->first = f;
    int *k = realloc(out->count, (size_t)c * sizeof(int));
    if (!k)
        return -1;
    out->count = k;
    out->lcap = c;
    return 0;
}

/* Appends the line back (reversed), seed, fwd: vertices x, y, z, speed/vmax, arc length;
 * and its arrowhead at the middle. */
static int append_line(const tracer *t, viz_streams *out, const double seed[3],
                       double back[][3], int nb, double fwd[][3], int nf)
{
    const int len = nb + 1 + nf;
    if (reserve_line(out, len))
        return -1;
    float *v = out->verts + (size_t)out->nverts * 5;
    double arc = 0.0, prev[3];
    for (int q = 0; q < len; q++) {
        const double *x = q < nb ? back[nb - 1 - q] : (q == nb ? seed : fwd[q - nb - 1]);
        if (q > 0)
            arc += sqrt((x[0] - prev[0]) * (x[0] - prev[0]) + (x[1] - prev[1]) * (x[1] - prev[1]) +
                        (x[2] - prev[2]) * (x[2] - prev[2]));
        memcpy(prev, x, sizeof prev);
        double d[3], speed = 0.0;
        direction(t, x, d, &speed);
        v[5 * q + 0] = (float)x[0];
        v[5 * q + 1] = (float)x[1];
        v[5 * q + 2] = (float)x[2];
        v[5 * q + 3] = (float)fmin(speed / t->vmax, 1.0);
        v[5 * q + 4] = (float)arc;
    }
    out->first[out->nlines] = out->nverts;
    out->count[out->nlines] = len;
    out->nlines++;
    out->nverts += len;

    const float *a = v + 5 * (len / 2);
    double x[3] = {a[0], a[1], a[2]}, d[3], speed;
    if (!direction(t, x, d, &speed))
        return 0;
    if (grow((void **)&out->heads, &out->hcap, (out->nheads + 1) * 7, sizeof(float)))
        return -1;
    float *hh = out->heads + (size_t)out->nheads * 7;
    for (int c = 0; c < 3; c++) {
        hh[c] = (float)x[c];
        hh[3 + c] = (float)d[c];
    }
    hh[6] = (float)fmin(speed / t->vmax, 1.0);
    out->nheads++;
    return 0;
}

int stream_trace(const double *u, int n, double lo, double hi, const double *slice_normal,
                 viz_streams *out)
{
    out->nverts = out->nlines = out->nheads = 0;
    const int slice = slice_normal != NULL;
    out->slice = slice;
    const double h = (hi - lo) / (n - 1);
    tracer t = {u, n, slice, {0.0, 0.0, 0.0}, lo, hi, 0.0};
    if (slice)
        memcpy(t.nrm, slice_normal, sizeof t.nrm);
    const double vmax = speed_scale(&t, h);
    if (vmax < 0.0)
        return -1;
    out->vmax = vmax;
    if (!(vmax > 1e-300) || !isfinite(vmax))
        return 0;
    t.vmax = vmax;
    const double ds = STEP_FRAC * h;
    double seeds[MAX_SEEDS][3];
    const int ns = make_seeds(&t, seeds);
    double back[MAX_HALF_STEPS][3], fwd[MAX_HALF_STEPS][3];
    for (int s = 0; s < ns; s++) {
        double d0[3];
        if (!direction(&t, seeds[s], d0, NULL))
            continue;
        const int nb = half_line(&t, seeds[s], -1.0, ds, back);
        const int nf = half_line(&t, seeds[s], +1.0, ds, fwd);
        if (nb + 1 + nf < 4)
            continue;
        if (append_line(&t, out, seeds[s], back, nb, fwd, nf))
            return -1;
    }
    return 0;
}

/* The plan of the fast Stokes summation (stokes_fast.h): everything that depends only on the
 * positions, built once — the density and the cost model that choose the splitting ξ and the
 * grid, the cell list (the storage order), the Fourier engine and the per-call buffers. No
 * neighbour lists: the real-space sum finds the neighbours from the cell list on the fly. */
#include "stokes_fast_impl.h"

#include "bigmem.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

/* Chebyshev coefficients of erfcx(x) = e^{x²} erfc(x) on [0, X]. */
static void cheb_erfcx(double X, double *c)
{
    enum { NN = 64 };
    double f[NN];
    for (int j = 0; j < NN; j++) {
        const double th = M_PI * (j + 0.5) / NN;
        const double x = 0.5 * X * (cos(th) + 1.0);
        f[j] = exp(x * x) * erfc(x);
    }
    for (int k = 0; k < NCHEB; k++) {
        double s = 0.0;
        for (int j = 0; j < NN; j++)
            s += f[j] * cos(k * M_PI * (j + 0.5) / NN);
        c[k] = 2.0 * s / NN;
    }
}

/* Defaults calibrated per decade of tol against the direct sum (random points in the unit
 * ball with minimal distance N^(-1/3), random F and antisymmetric S; N = 3e3 .. 1e5), with a
 * margin of ~2x on the worst of the four error measures; linear in log10(tol) in between.
 * tol = 1e-3 (the simulation's default) was recalibrated for speed on 2026-11-30 with
 * `FERRO_BENCH_CALIB=1 build/ferrobench` (src/bench/calib.c: N = 3e3 .. 1e6, the simulation's
 * cloud, dense clusters and a flattened ball; random F and S, a uniform field's rotlets and
 * stresslets, the double-precision path; u, G and the rotation path's W, max and rms): η = 0.66
 * instead of 0.7 lowers the Fourier part's error (with q 3.4 the set's worst goes 7.3e-4 ->
 * 6.5e-4; η 0.6 is worse again; P = 8 truncates nothing there), and that gain pays for
 * q 3.4 -> 3.37: ~2.7% fewer near-field neighbours on the same grid (N = 1e5: 285 -> 277,
 * N = 1e6: 311 -> 303) at the same worst error, 7.2e-4 (7.3e-4 before; margin 1.4x): the rms of
 * W at N = 1e5, where the fitted grid leaves the neighbour count nearest its floor; N = 1e6
 * 6.9e-4. The errors move with the random realisation by ~±15% (the max measures on a few
 * hundred targets): ferrobench's 3a lines give u, G 5.9e-4 and W 7.4e-4 (5.3e-4, 6.1e-4 before).
 * Rejected: q 3.35 (worst 8.3e-4), q 3.3 or x_c 2.9-2.95 (W 7.8e-4 .. 9.2e-4), P = 7 (u 1.9e-3
 * at N = 1e5 even with η 0.62). */
static void default_opts(double tol, fr_stokes_fast_opts *o)
{
    static const double cal[5][4] = {
        /* xc,  q,    P,   η    at tol = 1e-2 .. 1e-6 */
        {2.5, 2.9, 7, 0.7},
        {3.0, 3.37, 8, 0.66},
        {3.5, 3.8, 11, 0.7},
        {4.1, 4.3, 14, 0.7},
        {4.6, 4.6, 15, 0.7},
    };
    if (!(tol > 0.0))
        tol = 1e-3;
    tol = fmin(1e-2, fmax(1e-6, tol));
    o->tol = tol;
    const double l = -log10(tol) - 2.0; /* 0 .. 4 */
    int i = (int)floor(l);
    if (i > 3)
        i = 3;
    const double f = l - i;
    o->nb = 300.0;
    o->xc = (1 - f) * cal[i][0] + f * cal[i + 1][0];
    o->q = (1 - f) * cal[i][1] + f * cal[i + 1][1];
    o->P = (int)ceil((1 - f) * cal[i][2] + f * cal[i + 1][2] - 1e-9);
    o->eta = (1 - f) * cal[i][3] + f * cal[i + 1][3];
}

static int fill_opts(const fr_stokes_fast_opts *in, fr_stokes_fast_opts *o)
{
    default_opts(in ? in->tol : 1e-3, o);
    if (!in)
        return 0;
    if (in->nb > 0)
        o->nb = in->nb;
    if (in->xc > 0)
        o->xc = in->xc;
    if (in->q > 0)
        o->q = in->q;
    if (in->P > 0)
        o->P = in->P;
    if (in->eta > 0)
        o->eta = in->eta;
    if (o->P > 32 || o->P < 3 || !(o->eta < 0.99) || !(o->eta > 0.01))
        return -1;
    return 0;
}

void fr_stokes_plan_free(fr_stokes_plan *p)
{
    if (!p)
        return;
    fr_ks_free(&p->ks);
    if (p->g_have)
        fr_ks_free(&p->gks);
    free(p->perm);
    free(p->X);
    free(p->Y);
    free(p->Z);
    free(p->cstart);
    for (int a = 0; a < 3; a++) {
        fr_big_free(p->sF[a]);
        fr_big_free(p->sT[a]);
    }
    for (int a = 0; a < 9; a++)
        free(p->sS[a]);
    for (int a = 0; a < 3; a++) {
        fr_big_free(p->qX[a]);
        fr_big_free(p->fF[a]);
        fr_big_free(p->fT[a]);
        fr_big_free(p->om[a]);
    }
    fr_big_free(p->wu);
    fr_big_free(p->wG);
    free(p);
}

static int cell_of(const fr_stokes_plan *p, double x, double y, double z, int c[3])
{
    const double v[3] = {x, y, z};
    for (int a = 0; a < 3; a++) {
        int i = (int)floor((v[a] - p->clo[a]) / p->ca[a]);
        if (i < 0)
            i = 0;
        if (i >= p->nc[a])
            i = p->nc[a] - 1;
        c[a] = i;
    }
    return (c[2] * p->nc[1] + c[1]) * p->nc[0] + c[0];
}

int fr_sf_cell_ranges(const fr_stokes_plan *p, const double v[3], double rad, int *rg, int cap)
{
    int lo[3], hi[3];
    for (int a = 0; a < 3; a++) {
        lo[a] = (int)floor((v[a] - rad - p->clo[a]) / p->ca[a]);
        hi[a] = (int)floor((v[a] + rad - p->clo[a]) / p->ca[a]);
        if (lo[a] < 0)
            lo[a] = 0;
        if (hi[a] > p->nc[a] - 1)
            hi[a] = p->nc[a] - 1;
        if (lo[a] > hi[a])
            return 0;
    }
    int nr = 0;
    for (int cz = lo[2]; cz <= hi[2]; cz++) {
        const double z0 = p->clo[2] + cz * p->ca[2], z1 = z0 + p->ca[2];
        const double gz = v[2] < z0 ? z0 - v[2] : (v[2] > z1 ? v[2] - z1 : 0.0);
        for (int cy = lo[1]; cy <= hi[1]; cy++) {
            const double y0 = p->clo[1] + cy * p->ca[1], y1 = y0 + p->ca[1];
            const double gy = v[1] < y0 ? y0 - v[1] : (v[1] > y1 ? v[1] - y1 : 0.0);
            const double rem = rad * rad - gy * gy - gz * gz;
            if (rem < 0.0)
                continue;
            const double w = sqrt(rem);
            int xa = (int)floor((v[0] - w - p->clo[0]) / p->ca[0]);
            int xb = (int)floor((v[0] + w - p->clo[0]) / p->ca[0]);
            if (xa < 0)
                xa = 0;
            if (xb > p->nc[0] - 1)
                xb = p->nc[0] - 1;
            if (xa > xb)
                continue;
            const int c0 = (cz * p->nc[1] + cy) * p->nc[0];
            const int t0 = p->cstart[c0 + xa], t1 = p->cstart[c0 + xb + 1];
            if (t0 == t1 || nr >= cap)
                continue;
            rg[2 * nr] = t0;
            rg[2 * nr + 1] = t1;
            nr++;
        }
    }
    return nr;
}

int fr_sf_ranges_cap(const fr_stokes_plan *p, double rad)
{
    int c = 1;
    for (int a = 1; a < 3; a++) {
        int m = 2 * (int)ceil(rad / p->ca[a]) + 3;
        c *= m < p->nc[a] ? m : p->nc[a];
    }
    return c;
}

typedef struct sortkey {
    int cell, idx;
} sortkey;

static int cmp_key(const void *a, const void *b)
{
    const sortkey *x = a, *y = b;
    if (x->cell != y->cell)
        return x->cell < y->cell ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* The cloud as the cost model sees it: bounding box, largest extent, radius of the ball about
 * the box centre, number density. */
typedef struct cloud {
    double lo[3], hi[3], ext, rad, dens;
} cloud;

static cloud cloud_of(int n, const double *x, const double *y, const double *z)
{
    cloud g = {.lo = {x[0], y[0], z[0]}, .hi = {x[0], y[0], z[0]}};
    for (int j = 1; j < n; j++) {
        const double v[3] = {x[j], y[j], z[j]};
        for (int a = 0; a < 3; a++) {
            g.lo[a] = fmin(g.lo[a], v[a]);
            g.hi[a] = fmax(g.hi[a], v[a]);
        }
    }
    double ctr[3], rad2 = 0.0, ext = 0.0;
    for (int a = 0; a < 3; a++) {
        ctr[a] = 0.5 * (g.lo[a] + g.hi[a]);
        ext = fmax(ext, g.hi[a] - g.lo[a]);
    }
    for (int j = 0; j < n; j++) {
        const double d[3] = {x[j] - ctr[0], y[j] - ctr[1], z[j] - ctr[2]};
        rad2 = fmax(rad2, d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    }
    const double rad = fmax(sqrt(rad2), 1e-300);
    double vol = 4.0 / 3.0 * M_PI * rad * rad * rad;
    double bvol = 1.0;
    for (int a = 0; a < 3; a++)
        bvol *= fmax(g.hi[a] - g.lo[a], 1e-3 * ext + 1e-300);
    vol = fmin(vol, bvol);
    g.ext = ext;
    g.rad = rad;
    g.dens = n / vol;
    return g;
}

/* Fit ξ to an FFT-friendly grid: the grid needs M = 2 (floor(ext/h) + P) points per axis
 * (Hockney–Eastwood doubling of the box the windows cover). Among the friendly sizes not finer
 * than the neighbour-count guess (fewer neighbours move near-field weight into the Fourier part
 * and raise its relative error) pick the one of least modelled cost, grid points (6 FFT passes;
 * 1.3× for sizes with a factor 3) against real-space pairs, and set h (so ξ) to fill it exactly.
 * A grid point costs FFT_PAIRS pair evaluations: 2.2 for the double-precision real space, 6 for
 * the single-precision one (sphere sources at tol ≥ FR_F32_MIN_TOL, the simulation's step):
 * measured with one thread, alternating plans in one process, an FFT point ~15 ns at M = 100..200
 * against ~2 ns per extra pair at N = 2e4 and ~3 ns at N = 1e5. N = 2e4: M 120 → 100 (ξ 11.9 →
 * 9.7, ~590 neighbours instead of ~310), the rotation update 0.083 → 0.071 CPU-s and its error
 * lower (more of the sum in the near field); N = 1e5 and 1e6 keep their grids (200, 400).
 * Re-checked 2026-11-30 after the faster AVX-512 near field and FFTs (tol 1e-3, alternating
 * plans in one process, min of 4-12 calls, load 3-7): the fit keeps M = 200 at N = 1e5 and
 * 400 at 1e6 for any constant in 2..6 (≥ 8 and ≥ 10 would take 160 and 320); 160 would make the
 * full update (u and G, ferrobench 3a) 16-35% dearer and the rotation update 3-6% cheaper, and
 * 320 the N = 1e6 rotation update 20% dearer, so 6 stays. */
static void fit_grid(fr_stokes_plan *p, const cloud *g)
{
    const double ext = g->ext, rad = g->rad, dens = g->dens;
    const int P = p->P, n = p->n;
    const int mreq = 2 * ((int)floor(ext / p->h) + P);
    const double fft_pairs = p->f32 ? 6.0 : 2.2;
    double best = HUGE_VAL;
    int mbest = 0;
    for (int m = fr_ks_nice_size(mreq / 2 > 2 * P + 8 ? mreq / 2 : 2 * P + 8); m <= 2 * mreq + 8;
         m = fr_ks_nice_size(m + 2)) {
        const double hm = ext / (m / 2 - P - 0.5);
        if (!(hm > 0.0))
            continue;
        const double xim = M_PI / (2.0 * p->q * hm), rcm = fmin(p->xc / xim, 2.0 * rad);
        const double nbm = dens * 4.0 / 3.0 * M_PI * rcm * rcm * rcm;
        if (nbm < 0.85 * p->opt.nb && rcm < 2.0 * rad) /* the calibration's neighbour count */
            continue;
        const double cost = fft_pairs * (m % 3 ? 1.0 : 1.3) * (double)m * m * m +
                            (p->opt.tol >= 1e-4 ? 1.0 : 1.2) * n * nbm;
        if (cost < best) {
            best = cost;
            mbest = m;
        }
    }
    if (mbest > 0) {
        p->h = ext / (mbest / 2 - P - 0.5);
        p->xi = M_PI / (2.0 * p->q * p->h);
        p->rc = fmin(p->xc / p->xi, 2.0 * rad + 1e-12);
        p->xi = p->xc / p->rc; /* (only differs when r_c is capped) */
        p->h = fmax(p->h, M_PI / (2.0 * p->q * p->xi));
    }
}

/* The splitting: r_c from the neighbour count (capped by the cloud size), ξ = x_c/r_c,
 * h = π/(2qξ); then, unless the caller fixed the neighbour count, ξ fitted to the grid. */
static void choose_splitting(fr_stokes_plan *p, const cloud *g, const fr_stokes_fast_opts *o)
{
    p->xc = p->opt.xc;
    p->q = p->opt.q;
    p->P = p->opt.P;
    p->eta = p->opt.eta;
    p->rc = cbrt(3.0 * p->opt.nb / (4.0 * M_PI * g->dens));
    p->rc = fmin(p->rc, 2.0 * g->rad + 1e-12);
    if (!(p->rc > 0.0))
        p->rc = 1.0;
    p->xi = p->xc / p->rc;
    p->h = M_PI / (2.0 * p->q * p->xi);
    p->f32 = p->opt.tol >= FR_F32_MIN_TOL * (1.0 - 1e-9);
    if (!(o && o->nb > 0) && g->ext > 0.0)
        fit_grid(p, g);
    p->rc2 = p->rc * p->rc;
    p->chebX = p->xc * (1.0 + 1e-9);
    cheb_erfcx(p->chebX, p->cheb);
    fr_sf_poly_from_cheb(p->cheb, p->poly);
}

/* Cell list (cells of size >= r_c/3) and storage order: cell order (row-major, x fastest),
 * then index, so that the sources within r_c of any point are a few contiguous runs of
 * storage (one per row of cells) — the near field reads them with plain vector loads, and
 * consecutive targets share their runs in cache. Fills perm, X/Y/Z (+ the far-away dummy
 * source n), cstart. */
static int build_cells(fr_stokes_plan *p, const cloud *g, const double *x, const double *y,
                       const double *z)
{
    const int n = p->n;
    for (int a = 0; a < 3; a++) {
        const double L = g->hi[a] - g->lo[a];
        int m = (int)floor(L / (p->rc / 3.0));
        if (m < 1)
            m = 1;
        if (m > 1024)
            m = 1024;
        p->nc[a] = m;
        p->clo[a] = g->lo[a];
        p->ca[a] = L > 0 ? L / m : 1.0;
    }
    const int ncell = p->nc[0] * p->nc[1] * p->nc[2];
    sortkey *key = malloc((size_t)n * sizeof *key);
    p->perm = malloc((size_t)n * sizeof(int));
    p->X = malloc(((size_t)n + 1) * sizeof(double));
    p->Y = malloc(((size_t)n + 1) * sizeof(double));
    p->Z = malloc(((size_t)n + 1) * sizeof(double));
    p->cstart = calloc((size_t)ncell + 1, sizeof(int));
    if (!key || !p->perm || !p->X || !p->Y || !p->Z || !p->cstart) {
        free(key);
        return -1;
    }
    for (int j = 0; j < n; j++) {
        int c[3];
        key[j].cell = cell_of(p, x[j], y[j], z[j], c);
        key[j].idx = j;
    }
    qsort(key, (size_t)n, sizeof *key, cmp_key);
    for (int s = 0; s < n; s++) {
        const int j = key[s].idx;
        p->perm[s] = j;
        p->X[s] = x[j];
        p->Y[s] = y[j];
        p->Z[s] = z[j];
        p->cstart[key[s].cell + 1]++;
    }
    for (int c = 0; c < ncell; c++)
        p->cstart[c + 1] += p->cstart[c];
    free(key);
    p->X[n] = p->Y[n] = p->Z[n] = 1e150; /* dummy source padding the neighbour lists */
    p->ncell = ncell;
    return 0;
}

/* The float real space's lattice (f32 plans): each coordinate as an integer multiple of qun
 * about the box centre, |q| <= 2^29, so that differences of two coordinates are exact int32
 * and the cell buffers are filled from 4-byte integers (one subtraction, one conversion)
 * instead of 8-byte doubles. The rounding to the lattice, qun/2 = 2^-30 of the half extent
 * (~3e-9 at N = 1e6), is below the float rounding of the relative coordinates it replaces. */
static int build_lattice(fr_stokes_plan *p, const cloud *g)
{
    const size_t nn = (size_t)p->n;
    double half = 0.0;
    for (int a = 0; a < 3; a++) {
        p->qorg[a] = 0.5 * (g->lo[a] + g->hi[a]);
        half = fmax(half, 0.5 * (g->hi[a] - g->lo[a]));
    }
    p->qun = fmax(half, 1e-300) / 536870912.0; /* 2^29 */
    const double *v[3] = {p->X, p->Y, p->Z};
    for (int a = 0; a < 3; a++) {
        /* FR_F32_SLACK zeros at the end: the cell buffers copy whole chunks (real32.c) */
        const size_t len = nn + FR_F32_SLACK;
        p->qX[a] = fr_big_alloc(len * sizeof(int32_t));
        p->fF[a] = fr_big_alloc(len * sizeof(float));
        p->fT[a] = fr_big_alloc(len * sizeof(float));
        p->om[a] = fr_big_alloc(nn * sizeof(double));
        if (!p->qX[a] || !p->fF[a] || !p->fT[a] || !p->om[a])
            return -1;
        for (size_t s = 0; s < nn; s++)
            p->qX[a][s] = (int32_t)lrint((v[a][s] - p->qorg[a]) / p->qun);
        for (size_t s = nn; s < len; s++) {
            p->qX[a][s] = 0;
            p->fF[a][s] = p->fT[a][s] = 0.0f;
        }
    }
    return 0;
}

/* Per-call work arrays (storage order; the sources with one extra zero entry for the dummy). */
static int alloc_buffers(fr_stokes_plan *p)
{
    const size_t nn = (size_t)p->n;
    p->wu = fr_big_alloc(3 * nn * sizeof(double));
    p->wG = fr_big_alloc(9 * nn * sizeof(double));
    if (!p->wu || !p->wG)
        return -1;
    for (int a = 0; a < 3; a++) {
        p->sF[a] = fr_big_alloc((nn + 1) * sizeof(double));
        p->sT[a] = fr_big_alloc((nn + 1) * sizeof(double));
        if (!p->sF[a] || !p->sT[a])
            return -1;
        memset(p->sF[a], 0, (nn + 1) * sizeof(double));
        memset(p->sT[a], 0, (nn + 1) * sizeof(double));
    }
    return 0;
}

static size_t plan_bytes(const fr_stokes_plan *p)
{
    const size_t nn = (size_t)p->n;
    return sizeof *p + p->ks.bytes + nn * sizeof(int) + (nn + 1) * 3 * sizeof(double) +
           nn * 12 * sizeof(double) + (nn + 1) * 6 * sizeof(double) +
           (p->f32 ? (nn + FR_F32_SLACK) * 3 * (sizeof(int32_t) + 2 * sizeof(float)) + nn * 3 * sizeof(double) : 0) +
           (size_t)(p->ncell + 1) * sizeof(int);
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        if (err && errlen)                                                                         \
            snprintf(err, errlen, __VA_ARGS__);                                                    \
        fr_stokes_plan_free(p);                                                                    \
        return NULL;                                                                               \
    } while (0)

fr_stokes_plan *fr_stokes_plan_create_opts(int n, const double *x, const double *y,
                                           const double *z, const fr_stokes_fast_opts *o,
                                           char *err, size_t errlen)
{
    const double t_start = omp_get_wtime();
    fr_stokes_plan *p = calloc(1, sizeof *p);
    if (!p)
        FAIL("fast Stokes plan: out of memory");
    if (n < 1 || !x || !y || !z)
        FAIL("fast Stokes plan: need n >= 1 positions (got %d)", n);
    if (fill_opts(o, &p->opt))
        FAIL("fast Stokes plan: invalid options (P in [3,32], eta in (0.01,0.99))");
    p->n = n;
    p->lvl = cpu_level();
    p->par = n >= FR_PAR_MIN_N;
    for (int j = 0; j < n; j++)
        if (!isfinite(x[j]) || !isfinite(y[j]) || !isfinite(z[j]))
            FAIL("fast Stokes plan: position %d is not finite", j);
    const cloud g = cloud_of(n, x, y, z);
    choose_splitting(p, &g, o);
    if (build_cells(p, &g, x, y, z))
        FAIL("fast Stokes plan: out of memory (%d particles)", n);
    p->neighbours = fmin(g.dens * 4.0 / 3.0 * M_PI * p->rc * p->rc * p->rc, n - 1.0);
    /* Fourier engine for targets = sources */
    const double none_lo[3] = {1, 1, 1}, none_hi[3] = {0, 0, 0};
    if (fr_ks_init(&p->ks, n, p->X, p->Y, p->Z, none_lo, none_hi, p->xi, p->eta, p->h, p->P, 0))
        FAIL("fast Stokes plan: out of memory building the Fourier grid");
    p->ks.par = p->par;
    if (alloc_buffers(p) || (p->f32 && build_lattice(p, &g)))
        FAIL("fast Stokes plan: out of memory (%d particles)", n);
    p->bytes = plan_bytes(p);
    p->build_s = omp_get_wtime() - t_start;
    return p;
}

fr_stokes_plan *fr_stokes_plan_create(int n, const double *x, const double *y, const double *z,
                                      double tol, char *err, size_t errlen)
{
    fr_stokes_fast_opts o;
    memset(&o, 0, sizeof o);
    o.tol = tol;
    return fr_stokes_plan_create_opts(n, x, y, z, &o, err, errlen);
}

void fr_stokes_plan_get_info(const fr_stokes_plan *p, fr_stokes_plan_info *info)
{
    memset(info, 0, sizeof *info);
    info->n = p->n;
    info->tol = p->opt.tol;
    info->xi = p->xi;
    info->rc = p->rc;
    info->h = p->h;
    info->eta = p->eta;
    info->q = p->q;
    info->xc = p->xc;
    info->P = p->P;
    for (int a = 0; a < 3; a++) {
        info->M[a] = p->ks.M[a];
        info->box[a] = p->ks.s1[a] - p->ks.s0[a];
    }
    info->neighbours = p->neighbours;
    info->bytes = plan_bytes(p) + (p->g_have ? p->gks.bytes : 0) + /* (tables built since) */
                  (p->sS[0] ? 9 * ((size_t)p->n + 1) * sizeof(double) : 0);
    info->build_seconds = p->build_s;
    info->t_spread = p->tph[0];
    info->t_fft = p->tph[1];
    info->t_interp = p->tph[2];
    info->t_real = p->tph[3];
    info->t_other = p->tph[4];
    if (p->g_have) {
        info->grid_xi = p->g_xi;
        for (int a = 0; a < 3; a++)
            info->grid_M[a] = p->gks.M[a];
    }
}

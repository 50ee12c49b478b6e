/* The fast Stokes sums (stokes_fast.h): at the particles (fr_stokes_fast: Fourier part,
 * real-space part, self terms) and on a grid (fr_stokes_fast_grid*: Fourier part plus the
 * near-field correction from the cell list). The plan is built in stokes_fast_plan.c. */
#include "stokes_fast_impl.h"

#include "stokes.h"

#include <omp.h>
#include <stdlib.h>

/* The SoA moments S, allocated when first needed (general S, grid evaluation): for spheres
 * T = 2 axial(S) says everything and ~72 MB at N = 1e6 are saved. */
static int need_moments(fr_stokes_plan *p)
{
    for (int a = 0; a < 9; a++)
        if (!p->sS[a] && !(p->sS[a] = calloc((size_t)p->n + 1, sizeof(double))))
            return -1;
    return 0;
}

/* What load_sources found out about the sources on the way: whether every S is antisymmetric
 * (spheres: rotlets, the cheaper kernels) and every F zero (a uniform field: the vorticity
 * path drops F). */
typedef struct source_kind {
    int antisym, no_force;
} source_kind;

/* The caller's arrays are in its own order, storage order visits them at random: each
 * particle's F, S and G are a few cache lines the hardware cannot predict, so the loops below
 * fetch them PF_AHEAD particles early (N = 1e6: the loads' latency was most of their time). */
#define PF_AHEAD 12
static inline void prefetch_source(const fr_stokes_plan *p, const double *F, const double *S,
                                   int s)
{
    if (s >= p->n)
        return;
    const size_t j = (size_t)p->perm[s];
    __builtin_prefetch(F + 3 * j);
    __builtin_prefetch(S + 9 * j);
    __builtin_prefetch(S + 9 * j + 8);
}

/* F and T = 2 axial(S) in storage order, structure of arrays, in one parallel pass that also
 * classifies the sources (exact boolean reductions: the same answer for any thread count). */
static source_kind load_sources(fr_stokes_plan *p, const double *F, const double *S)
{
    int antisym = 1, no_force = 1;
#pragma omp parallel for schedule(static) if (p->par) reduction(&& : antisym, no_force)
    for (int s = 0; s < p->n; s++) {
        const int j = p->perm[s];
        prefetch_source(p, F, S, s + PF_AHEAD);
        const double *sj = S + 9 * (size_t)j, *fj = F + 3 * (size_t)j;
        for (int a = 0; a < 3; a++)
            p->sF[a][s] = fj[a];
        p->sT[0][s] = sj[5] - sj[7];
        p->sT[1][s] = sj[6] - sj[2];
        p->sT[2][s] = sj[1] - sj[3];
        if (p->f32) /* the float real space's copy (its cell buffers are filled from it) */
            for (int a = 0; a < 3; a++) {
                p->fF[a][s] = (float)p->sF[a][s];
                p->fT[a][s] = (float)p->sT[a][s];
            }
        antisym = antisym && sj[1] + sj[3] == 0.0 && sj[2] + sj[6] == 0.0 &&
                  sj[5] + sj[7] == 0.0 && sj[0] == 0.0 && sj[4] == 0.0 && sj[8] == 0.0;
        no_force = no_force && fj[0] == 0.0 && fj[1] == 0.0 && fj[2] == 0.0;
    }
    return (source_kind){antisym, no_force};
}

/* The general moments S in storage order (need_moments first). */
static void load_moments(fr_stokes_plan *p, const double *S)
{
#pragma omp parallel for schedule(static) if (p->par)
    for (int s = 0; s < p->n; s++) {
        const double *sj = S + 9 * (size_t)p->perm[s];
        for (int a = 0; a < 9; a++)
            p->sS[a][s] = sj[a];
    }
}

static inline int stop(const atomic_int *abort)
{
    return abort && atomic_load_explicit(abort, memory_order_relaxed);
}

int fr_stokes_fast(fr_stokes_plan *p, const double *F, const double *S, double *u, double *G)
{
    return fr_stokes_fast_abortable(p, F, S, u, G, NULL);
}

/* Below FR_FAST_MIN_N sources: the direct sum (rot: its gradient's antisymmetric part). */
static int small_direct(const fr_stokes_plan *p, const double *F, const double *S, double *u,
                        double *G, int rot)
{
    const int n = p->n;
    double *X = calloc(3 * (size_t)n, sizeof(double)); /* (calloc: GCC's may-be-uninitialised) */
    double *Gt = rot ? calloc(9 * (size_t)n, sizeof(double)) : NULL;
    if (!X || (rot && !Gt)) {
        free(X);
        return -1;
    }
    for (int s = 0; s < n; s++) {
        const int j = p->perm[s];
        X[j] = p->X[s];
        X[n + j] = p->Y[s];
        X[2 * n + j] = p->Z[s];
    }
    fr_stokes_direct(n, X, X + n, X + 2 * n, F, S, u, rot ? Gt : G);
    if (rot)
        for (size_t j = 0; j < (size_t)n; j++)
            for (int i = 0; i < 3; i++)
                for (int m = 0; m < 3; m++)
                    G[9 * j + 3 * i + m] += 0.5 * (Gt[9 * j + 3 * i + m] - Gt[9 * j + 3 * m + i]);
    free(X);
    free(Gt);
    return 0;
}

/* Self terms (the Fourier part holds Φ_F(0) F and the second derivatives of Φ_F at 0) and the
 * output in the caller's order; rot: only the antisymmetric part of G. */
static void finish(const fr_stokes_plan *p, int general, int rot, double *u, double *G)
{
    const int n = p->n;
    const double A0 = p->xi / (2.0 * pow(M_PI, 1.5));
    const double g0 = 5.0 * p->xi * p->xi * p->xi / (2.0 * pow(M_PI, 1.5));
#pragma omp parallel for schedule(static) if (p->par)
    for (int s = 0; s < n; s++) {
        const int j = p->perm[s];
        if (s + PF_AHEAD < n) {
            const size_t jn = (size_t)p->perm[s + PF_AHEAD];
            if (u)
                __builtin_prefetch(u + 3 * jn, 1);
            if (G) {
                __builtin_prefetch(G + 9 * jn, 1);
                __builtin_prefetch(G + 9 * jn + 8, 1);
            }
        }
        const double f[3] = {p->sF[0][s], p->sF[1][s], p->sF[2][s]};
        double sm[9];
        if (general) {
            for (int a = 0; a < 9; a++)
                sm[a] = p->sS[a][s];
        } else { /* antisymmetric: from T, exactly */
            const double h0 = 0.5 * p->sT[0][s], h1 = 0.5 * p->sT[1][s], h2 = 0.5 * p->sT[2][s];
            const double a[9] = {0.0, h2, -h1, -h2, 0.0, h0, h1, -h0, 0.0};
            memcpy(sm, a, sizeof sm);
        }
        if (u)
            for (int a = 0; a < 3; a++)
                u[3 * (size_t)j + a] += p->wu[3 * (size_t)s + a] - A0 * f[a];
        if (!G)
            continue;
        const double tr = sm[0] + sm[4] + sm[8];
        double g[9];
        for (int i = 0; i < 3; i++)
            for (int m = 0; m < 3; m++) {
                const double self =
                    -g0 * (sm[3 * i + m] / 3.0 -
                           (sm[3 * i + m] + sm[3 * m + i] + (i == m ? tr : 0.0)) / 15.0);
                g[3 * i + m] = p->wG[9 * (size_t)s + 3 * i + m] - self;
            }
        for (int i = 0; i < 3; i++)
            for (int m = 0; m < 3; m++)
                G[9 * (size_t)j + 3 * i + m] +=
                    rot ? 0.5 * (g[3 * i + m] - g[3 * m + i]) : g[3 * i + m];
    }
}

/* The sums at the particles: u and G, or (rot) only G's antisymmetric part. */
static int fast_sums(fr_stokes_plan *p, const double *F, const double *S, double *u, double *G,
                     int rot, const atomic_int *abort)
{
    const int n = p->n;
    if (!u && !G)
        return 0;
    if (n < FR_FAST_MIN_N)
        return small_direct(p, F, S, u, G, rot);
    double tt[6];
    tt[0] = omp_get_wtime();
    const source_kind sk = load_sources(p, F, S);
    const int general = !sk.antisym;
    if (general) {
        if (need_moments(p))
            return -1;
        load_moments(p, S);
    }
    kspace *k = &p->ks;
    if (rot ? fr_ks_omega_tables(k) : fr_ks_k_tables(k))
        return -1;
    tt[1] = omp_get_wtime();
    fr_ks_spread(k, p->X, p->Y, p->Z, (const double *const *)p->sF,
                 (const double *const *)p->sT, general ? (const double *const *)p->sS : NULL);
    tt[2] = omp_get_wtime();
    if (stop(abort))
        return 1;
    if (fr_ks_convolve(k, rot))
        return -1;
    tt[3] = omp_get_wtime();
    if (stop(abort))
        return 1;
    const int nchunk = (n + 255) / 256;
#pragma omp parallel for schedule(dynamic, 1) if (p->par)
    for (int b = 0; b < nchunk; b++) {
        const int s0 = b * 256, m = (n - s0) < 256 ? n - s0 : 256;
        fr_ks_interp(k, rot ? KS_OMEGA : KS_UG, m, p->X + s0, p->Y + s0, p->Z + s0, p->wu + 3 * (size_t)s0,
                     p->wG + 9 * (size_t)s0);
    }
    tt[4] = omp_get_wtime();
    if (stop(abort))
        return 1;
    const int f32 = p->f32 && !general;
    const int rc = f32 ? fr_sf_real_space_f32(p, rot, rot && sk.no_force, abort)
                       : fr_sf_real_space(p, general, abort);
    if (rc && !stop(abort))
        return -1;
    tt[5] = omp_get_wtime();
    if (stop(abort))
        return 1;
    finish(p, general, rot, u, G);
    const double t_end = omp_get_wtime();
    p->tph[0] = tt[2] - tt[1];
    p->tph[1] = tt[3] - tt[2];
    p->tph[2] = tt[4] - tt[3];
    p->tph[3] = tt[5] - tt[4];
    p->tph[4] = (tt[1] - tt[0]) + (t_end - tt[5]);
    return 0;
}

int fr_stokes_fast_abortable(fr_stokes_plan *p, const double *F, const double *S, double *u,
                             double *G, const atomic_int *abort)
{
    return fast_sums(p, F, S, u, G, 0, abort);
}

int fr_stokes_fast_rotation(fr_stokes_plan *p, const double *F, const double *S, double *G,
                            const atomic_int *abort)
{
    return fast_sums(p, F, S, NULL, G, 1, abort);
}

int fr_stokes_fast_grid(fr_stokes_plan *p, const double *F, const double *S, int n, double lo,
                        double hi, double *ugrid)
{
    return fr_stokes_fast_grid_smoothed(p, F, S, n, lo, hi, 0.0, ugrid);
}

int fr_stokes_fast_grid_smoothed(fr_stokes_plan *p, const double *F, const double *S, int n,
                                 double lo, double hi, double delta, double *ugrid)
{
    return fr_stokes_fast_grid_smoothed_abortable(p, F, S, n, lo, hi, delta, ugrid, NULL);
}

/* The grid's window: one point wider than the tolerance's. Its targets fill a box 1.5× the
 * cloud where the field is the Fourier part's alone, and the relative rms over such a grid
 * came out at 1.1e-3 with the calibrated P (tol 1e-3; N = 2e4 and 1e5 against the direct grid
 * sum), 5e-4 with P + 1, for ~20% more time. */
#define GRID_P(p) ((p)->P + 1)

/* The splitting of a grid evaluation. The plan's ξ is chosen for targets at the particles'
 * spacing; a display grid is much coarser (24³ points over [−1.5, 1.5]³: spacing 0.13, against
 * ~0.02 between particles at N = 1e5) over a larger box, and the plan's splitting there took a
 * 250³ Fourier grid (N = 1e5: 2.3 CPU-s for the first call, 0.6 for each further one, more
 * than a step). The accuracy of the split depends on x_c = ξ r_c, q = π/(2ξh), P and η, not
 * on ξ itself, which only trades Fourier points (h = π/(2qξ)) against near-field pairs
 * (r_c = x_c/ξ); a ξ below the plan's keeps more neighbours in the near field, the safe side
 * of the calibration (stokes_fast.h). Candidates ξ = ξ_plan / 1.15^i while r_c fits the box;
 * the least modelled cost wins: FFT points as in the plan's cost model (6 passes, ~2.2 pair
 * evaluations each, 1.3× with a factor 3) plus ~1 for the engine build (once per cache)
 * against near-field pairs at ~4 points each (measured: the list is built per grid point),
 * every source meeting the grid points within max(r_c, δ), at most all n³ of them.
 * N = 1e5, 24³, δ = 0.26: ξ 21 → 12, Fourier grid 250³ → 150³ (N = 1e6: 44 → 13). */
static double grid_splitting(const fr_stokes_plan *p, int n, double lo, double hi, double delta)
{
    double slo[3] = {p->X[0], p->Y[0], p->Z[0]}, shi[3] = {p->X[0], p->Y[0], p->Z[0]};
    for (int s = 1; s < p->n; s++) {
        const double v[3] = {p->X[s], p->Y[s], p->Z[s]};
        for (int a = 0; a < 3; a++) {
            slo[a] = fmin(slo[a], v[a]);
            shi[a] = fmax(shi[a], v[a]);
        }
    }
    double reach = 0.0; /* largest source-target offset per axis */
    for (int a = 0; a < 3; a++)
        reach = fmax(reach, fmax(hi - slo[a], shi[a] - lo));
    const double hg = (hi - lo) / (n - 1), npts = (double)n * n * n;
    double best = HUGE_VAL, xbest = p->xi;
    for (double xi = p->xi; p->xc / xi <= reach; xi /= 1.15) {
        const double h = M_PI / (2.0 * p->q * xi), rad = fmax(p->xc / xi, delta);
        const int m = fr_ks_nice_size(2 * ((int)ceil(reach / h) + GRID_P(p) + 2));
        const double fft = (2.2 * (m % 3 ? 1.0 : 1.3) + 1.0) * (double)m * m * m;
        const double pairs = p->n * fmin(npts, 4.0 / 3.0 * M_PI * rad * rad * rad / (hg * hg * hg));
        const double cost = fft + 4.0 * pairs;
        if (cost < best) {
            best = cost;
            xbest = xi;
        }
    }
    return xbest;
}

int fr_stokes_fast_grid_smoothed_abortable(fr_stokes_plan *p, const double *F, const double *S,
                                           int n, double lo, double hi, double delta,
                                           double *ugrid, const atomic_int *abort)
{
    if (n < 2 || !(hi > lo) || !isfinite(lo) || !isfinite(hi) || !(delta >= 0.0) ||
        !isfinite(delta))
        return -1;
    /* Fourier engine for targets in [lo, hi]³ with the grid's splitting, cached */
    const double xi = grid_splitting(p, n, lo, hi, delta);
    const double rc = p->xc / xi, hk = M_PI / (2.0 * p->q * xi);
    if (!p->g_have || p->g_lo != lo || p->g_hi != hi || p->g_xi != xi) {
        if (p->g_have)
            fr_ks_free(&p->gks);
        p->g_have = 0;
        const double tlo[3] = {lo, lo, lo}, thi[3] = {hi, hi, hi};
        if (fr_ks_init(&p->gks, p->n, p->X, p->Y, p->Z, tlo, thi, xi, p->eta, hk, GRID_P(p), 1)) {
            fr_ks_free(&p->gks);
            return -1;
        }
        p->g_have = 1;
        p->g_lo = lo;
        p->g_hi = hi;
        p->g_xi = xi;
    }
    kspace *k = &p->gks;
    if (need_moments(p))
        return -1;
    load_sources(p, F, S);
    load_moments(p, S);
    fr_ks_spread(k, p->X, p->Y, p->Z, (const double *const *)p->sF,
                 (const double *const *)p->sT, (const double *const *)p->sS);
    if (fr_ks_convolve(k, 0))
        return -1;
    if (stop(abort))
        return 2;
    const double hg = (hi - lo) / (n - 1);
    const double rad = fmax(rc, delta);
    const nf_ctx ctx = {.xi = xi,
                        .rc2 = rc * rc,
                        .c = 2.0 * xi / sqrt(M_PI),
                        .cxi2 = 2.0 * xi / sqrt(M_PI) * xi * xi,
                        .tscale = 2.0 / p->chebX,
                        .delta = delta,
                        .idelta = delta > 0.0 ? 1.0 / delta : 0.0,
                        .cheb = p->cheb,
                        .nc = p->opt.tol >= 1e-4 ? NCHEB_LO : NCHEB};
    const double A0 = xi / (2.0 * pow(M_PI, 1.5));
    const int rcap = fr_sf_ranges_cap(p, rad);
    int fail = 0;
#pragma omp parallel
    {
        double *buf = malloc((size_t)n * 6 * sizeof(double));
        int *rg = malloc(2 * (size_t)rcap * sizeof(int));
        int cap = 1024, *lst = malloc((size_t)cap * sizeof(int));
        if (!buf || !rg || !lst) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 4)
        for (int row = 0; row < n * n; row++) {
            if (!buf || !rg || !lst || stop(abort))
                continue; /* out of memory or aborted: the rest of the grid is skipped */
            const int jy = row % n, kz = row / n;
            double *tx = buf, *ty = buf + n, *tz = buf + 2 * n, *uu = buf + 3 * n;
            for (int i = 0; i < n; i++) {
                tx[i] = lo + i * hg;
                ty[i] = lo + jy * hg;
                tz[i] = lo + kz * hg;
            }
            fr_ks_interp(k, KS_U, n, tx, ty, tz, uu, NULL);
            for (int i = 0; i < n; i++) {
                const double v[3] = {tx[i], ty[i], tz[i]};
                const int nr = fr_sf_cell_ranges(p, v, rad, rg, rcap);
                int m = 0;
                double self[3] = {0, 0, 0};
                for (int q = 0; q < nr && lst; q++)
                    for (int tq = rg[2 * q]; tq < rg[2 * q + 1]; tq++) {
                        const int t = tq;
                        const double dx = v[0] - p->X[t], dy = v[1] - p->Y[t], dz = v[2] - p->Z[t];
                        const double r2 = dx * dx + dy * dy + dz * dz;
                        if (r2 == 0.0) { /* the Fourier part holds Φ_F(0) F_t: remove it */
                            for (int a = 0; a < 3; a++)
                                self[a] -= A0 * p->sF[a][t];
                            continue;
                        }
                        if (r2 >= rad * rad)
                            continue;
                        if (m + VL >= cap) {
                            int *nl = realloc(lst, 2 * (size_t)cap * sizeof(int));
                            if (!nl) {
                                free(lst);
                                lst = NULL;
                                break;
                            }
                            lst = nl;
                            cap *= 2;
                        }
                        lst[m++] = t;
                    }
                if (!lst)
                    break;
                while (m % VL)
                    lst[m++] = p->n; /* dummy source far away */
                double nf[3];
                fr_sf_near_point(p->lvl, &ctx, v[0], v[1], v[2], lst, m, p->X, p->Y, p->Z,
                         (const double *const *)p->sF, (const double *const *)p->sS, nf);
                double *o = ugrid + 3 * ((size_t)row * n + i);
                for (int a = 0; a < 3; a++)
                    o[a] = (uu[3 * (size_t)i + a] + self[a]) + nf[a];
            }
            if (!lst) {
#pragma omp atomic write
                fail = 1;
            }
        }
        free(buf);
        free(rg);
        free(lst);
    }
    return fail ? -1 : stop(abort) ? 2 : 0;
}

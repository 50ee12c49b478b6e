/* The Fourier engine of the fast Stokes summation (stokes_fast.h, notation in
 * stokes_fast_impl.h): the octant transform of the mid kernel K, spreading of the force
 * density with the Gaussian window, the aperiodic FFT convolution with K, and interpolation of
 * the velocity and its gradient back at the targets. */
#include "stokes_fast_impl.h"

#include "bigmem.h"

#include <omp.h>
#include <stdlib.h>


int fr_ks_nice_size(int m)
{
    if (m < 8)
        m = 8;
    for (int v = m + (m & 1);; v += 2) {
        int r = v;
        while (r % 2 == 0)
            r /= 2;
        while (r % 5 == 0)
            r /= 5;
        if (r % 3 == 0)
            r /= 3; /* 3² and higher powers make slow ESTIMATE plans */
        if (r == 1)
            return v;
    }
}

/* Window weights along one axis: w[k] = ψ1(g_k − x), dw[k] = ψ1'(g_k − x), g_k = grid point
 * i0 + k, for k < P, and 0 for P <= k < PV (padding to a vector width). Returns i0. */
FR_BODY int window1(double x, double org, double h, int P, int PV, double aw, ks_real *w,
                     ks_real *dw)
{
    const double t = (x - org) / h;
    const int i0 = win_start(t, P);
    const double off = (double)i0 - t;
#pragma omp simd
    for (int k = 0; k < PV; k++) {
        const double y = (off + k) * h;
        const double e = exp_neg(-aw * y * y) * (double)(k < P);
        w[k] = (ks_real)e;
        dw[k] = (ks_real)(-2.0 * aw * y * e);
    }
    return i0;
}

/* (a/π)⁶ of the mid kernel (ψ̂² normalisation), once per table rather than per sample. */
static double mid_scale(double aw)
{
    const double sc = pow(aw / M_PI, 1.5);
    return sc * sc;
}

/* Mid kernel K = α Id + β g⊗g at |g| = r (see header comment); scale = mid_scale(aw). */
static void mid_kernel(double r, double xi, double eta, double scale, double *alpha, double *beta)
{
    const double zeta = xi / sqrt(1.0 - eta), c2 = eta / (4.0 * xi * xi);
    const double cz = 2.0 * zeta / sqrt(M_PI);
    if (r == 0.0) {
        const double a1 = cz / (4.0 * M_PI);
        const double a2 = c2 * cz * (4.0 * zeta * zeta / 3.0) / (4.0 * M_PI);
        *alpha = scale * (a1 + a2);
        *beta = 0.0;
        return;
    }
    const double x = zeta * r, E = erf(x), g = cz * exp(-x * x), ir = 1.0 / r;
    const double Er = E * ir;
    const double q = (Er - g) * ir * ir; /* (E/r − g)/r² */
    const double a1 = (g + Er) * INV8PI, b1 = q * INV8PI;
    const double z2g = 2.0 * zeta * zeta * g;
    const double a2 = -c2 * (-z2g + q) / (4.0 * M_PI);
    const double b2 = c2 * (-z2g + 3.0 * q) * ir * ir / (4.0 * M_PI);
    *alpha = scale * (a1 + a2);
    *beta = scale * (b1 + b2);
}

/* The vorticity's mid kernel (fr_ks_omega_tables): the curl of K = α Id + β g⊗g acting on f is
 * (∇×(K f))_i = ε_imj ∂_m K_nj... = γ(r) (g × f)_i with γ = α'/r − β (the g⊗g term's derivative
 * is symmetric in m, n and drops out). With Er' = −q r and q' = (2ζ²g − 3q)/r (notation of
 * mid_kernel): γ = −scale [(ζ² g + q)/4π + c2 ζ⁴ g/π]. Unscreened (g → 0, q → 1/r³):
 * γ → −1/(4π r³), the Stokeslet's vorticity −2 d×F/(8π r³). At r = 0 it multiplies g = 0. */
static double mid_gamma(double r, double xi, double eta, double scale)
{
    if (r == 0.0)
        return 0.0;
    const double zeta = xi / sqrt(1.0 - eta), c2 = eta / (4.0 * xi * xi);
    const double cz = 2.0 * zeta / sqrt(M_PI);
    const double x = zeta * r, E = erf(x), g = cz * exp(-x * x), ir = 1.0 / r;
    const double q = (E * ir - g) * ir * ir, z2 = zeta * zeta;
    return -scale * ((z2 * g + q) / (4.0 * M_PI) + c2 * z2 * z2 * g / M_PI);
}

/* Samples of one component c of K = α Id + β g⊗g on the octant (len, offset lo per axis) from
 * the radial α, β at the grid points (ix, iy, iz) of the octant. */
static void component_samples(int c, const int len[3], const int lo[3], int hx, int hy, double h,
                              const double *al, const double *be, double *buf)
{
    static const int ax[6][2] = {{0, 0}, {1, 1}, {2, 2}, {0, 1}, {0, 2}, {1, 2}};
#pragma omp parallel for schedule(static)
    for (int iz = 0; iz < len[2]; iz++)
        for (int iy = 0; iy < len[1]; iy++)
            for (int ix = 0; ix < len[0]; ix++) {
                const int i[3] = {ix + lo[0], iy + lo[1], iz + lo[2]};
                const size_t o = ((size_t)i[2] * (hy + 1) + i[1]) * (hx + 1) + i[0];
                const double ga = i[ax[c][0]] * h, gb = i[ax[c][1]] * h;
                buf[((size_t)iz * len[1] + iy) * len[0] + ix] =
                    (c < 3 ? al[o] : 0.0) + be[o] * ga * gb;
            }
}

/* The octant layout of component c: per axis its length, its first index (odd axes drop the
 * zero samples) and its r2r kind; returns the number of odd axes. */
static int component_layout(int c, const int hh[3], int len[3], int lo[3], fftw_r2r_kind kind[3])
{
    /* parity per axis (x, y, z): 1 = odd */
    static const int par[9][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {1, 1, 0}, {1, 0, 1},
                                  {0, 1, 1}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    int nodd = 0;
    for (int a = 0; a < 3; a++) {
        if (par[c][a]) {
            len[a] = hh[a] - 1;
            lo[a] = 1;
            kind[a] = FFTW_RODFT00;
            nodd++;
        } else {
            len[a] = hh[a] + 1;
            lo[a] = 0;
            kind[a] = FFTW_REDFT00;
        }
    }
    return nodd;
}

/* A transformed octant buf (len[] samples from lo[], x fastest), times scale, into the table
 * tc of nt floats, stored as [fy][fx][fz]: a ky-slice is one contiguous block, z fastest; the
 * samples an odd axis drops stay 0. */
static void store_octant(float *tc, size_t nt, const double *buf, const int len[3],
                         const int lo[3], int hx, int hz, double scale)
{
    memset(tc, 0, nt * sizeof(float));
    for (int iz = 0; iz < len[2]; iz++)
        for (int iy = 0; iy < len[1]; iy++)
            for (int ix = 0; ix < len[0]; ix++)
                tc[((size_t)(iy + lo[1]) * (hx + 1) + ix + lo[0]) * (hz + 1) + iz + lo[2]] =
                    (float)(scale * buf[((size_t)iz * len[1] + iy) * len[0] + ix]);
}

/* Octant transform tables of the 6 components of K (see header comment). The components are
 * transformed in parallel (one serial FFTW transform each, executed on the thread's own buffer;
 * the plans, one per layout, are made beforehand: the planner is not thread-safe). */
static int build_tables(kspace *k)
{
    const double xi = k->xi, eta = k->eta;
    const int hx = k->M[0] / 2, hy = k->M[1] / 2, hz = k->M[2] / 2;
    const int hh[3] = {hx, hy, hz};
    const size_t nt = (size_t)(hz + 1) * (hy + 1) * (hx + 1);
    /* built into locals and handed to k only when all six are done: fr_ks_k_tables builds
     * them lazily during a call and takes k->tab[0] != NULL for "built" */
    float *tab[6] = {0};
    int rc = 0;
    for (int c = 0; c < 6 && !rc; c++)
        rc = !(tab[c] = fr_big_alloc(nt * sizeof(float)));
    double *al = fr_big_alloc(nt * sizeof(double)), *be = fr_big_alloc(nt * sizeof(double));
    /* layouts: xx, yy, zz share one (component 0); xy, xz, yz one each (3, 4, 5) */
    fftw_plan plan[6] = {0};
    double *scratch = fftw_malloc(nt * sizeof(double));
    rc = (rc || !al || !be || !scratch) ? -1 : 0;
    for (int c = 0; c < 6 && !rc; c++) {
        int len[3], lo[3];
        fftw_r2r_kind kind[3];
        component_layout(c, hh, len, lo, kind);
        if (c == 1 || c == 2 || (size_t)len[0] * len[1] * len[2] == 0) {
            plan[c] = c ? plan[0] : NULL;
            continue;
        }
        /* fftw dims are slowest first */
        plan[c] = fftw_plan_r2r_3d(len[2], len[1], len[0], scratch, scratch, kind[2], kind[1],
                                   kind[0], FFTW_ESTIMATE);
        if (!plan[c])
            rc = -1;
    }
    fftw_free(scratch);
    const double h = k->h, scale = mid_scale(k->aw);
    if (!rc) {
#pragma omp parallel for schedule(static)
        for (int iz = 0; iz <= hz; iz++)
            for (int iy = 0; iy <= hy; iy++)
                for (int ix = 0; ix <= hx; ix++) {
                    const double gx = ix * h, gy = iy * h, gz = iz * h;
                    const size_t o = ((size_t)iz * (hy + 1) + iy) * (hx + 1) + ix;
                    mid_kernel(sqrt(gx * gx + gy * gy + gz * gz), xi, eta, scale, &al[o], &be[o]);
                }
    }
    const double norm = pow(h, 6) / ((double)k->M[0] * k->M[1] * k->M[2]);
    int fail = 0;
#pragma omp parallel for schedule(dynamic, 1) if (!rc)
    for (int c = 0; c < 6; c++) {
        if (rc)
            continue;
        int len[3], lo[3];
        fftw_r2r_kind kind[3];
        const int nodd = component_layout(c, hh, len, lo, kind);
        const size_t nb = (size_t)len[0] * len[1] * len[2];
        double *buf = fr_big_alloc((nb ? nb : 1) * sizeof(double));
        if (!buf) {
#pragma omp atomic write
            fail = 1;
            continue;
        }
        component_samples(c, len, lo, hx, hy, h, al, be, buf);
        if (nb)
            fftw_execute_r2r(plan[c], buf, buf);
        /* (−i) per odd axis: two odd axes give −1 */
        const double sg = (nodd == 2) ? -norm : norm;
        store_octant(tab[c], nt, buf, len, lo, hx, hz, sg);
        fr_big_free(buf);
    }
    for (int c = 0; c < 6; c++)
        if (plan[c] && (c == 0 || plan[c] != plan[0]))
            fftw_destroy_plan(plan[c]);
    fr_big_free(al);
    fr_big_free(be);
    for (int c = 0; c < 6; c++) {
        if (rc || fail)
            fr_big_free(tab[c]);
        else
            k->tab[c] = tab[c];
    }
    if (rc || fail)
        return -1;
    k->bytes += 6 * nt * sizeof(float);
    return 0;
}

/* The vorticity kernel's octant tables: v_m = γ(r) g_m (m = x, y, z; odd in axis m alone), so
 * that the vorticity of the Fourier part is ω̂ = v̂ × f̂, the interpolation then needs the
 * window alone (3 sums a row instead of the 6 of W from the window's derivatives). Built on the
 * first rotation call; stored [fy][fx][fz] like tab, the DFT's factor −i (one odd axis) left to
 * the multiplication. */
int fr_ks_omega_tables(kspace *k)
{
    const double xi = k->xi, eta = k->eta;
    if (k->otab[0])
        return 0;
    const int hx = k->M[0] / 2, hy = k->M[1] / 2, hz = k->M[2] / 2;
    const int hh[3] = {hx, hy, hz};
    const size_t nt = (size_t)(hz + 1) * (hy + 1) * (hx + 1);
    float *tab[3] = {0};
    fftw_plan plan[3] = {0};
    double *gam = fr_big_alloc(nt * sizeof(double)), *scratch = fftw_malloc(nt * sizeof(double));
    int rc = (!gam || !scratch) ? -1 : 0;
    for (int c = 0; c < 3 && !rc; c++) {
        int len[3], lo[3];
        fftw_r2r_kind kind[3];
        component_layout(6 + c, hh, len, lo, kind);
        if (!(tab[c] = fr_big_alloc(nt * sizeof(float))))
            rc = -1;
        else if ((size_t)len[0] * len[1] * len[2] > 0 &&
                 !(plan[c] = fftw_plan_r2r_3d(len[2], len[1], len[0], scratch, scratch, kind[2],
                                              kind[1], kind[0], FFTW_ESTIMATE)))
            rc = -1;
    }
    fftw_free(scratch);
    const double h = k->h, scale = mid_scale(k->aw);
    const double norm = pow(h, 6) / ((double)k->M[0] * k->M[1] * k->M[2]);
    if (!rc) {
#pragma omp parallel for schedule(static)
        for (int iz = 0; iz <= hz; iz++)
            for (int iy = 0; iy <= hy; iy++)
                for (int ix = 0; ix <= hx; ix++) {
                    const double gx = ix * h, gy = iy * h, gz = iz * h;
                    gam[((size_t)iz * (hy + 1) + iy) * (hx + 1) + ix] =
                        mid_gamma(sqrt(gx * gx + gy * gy + gz * gz), xi, eta, scale);
                }
    }
    int fail = 0;
#pragma omp parallel for schedule(dynamic, 1) if (!rc)
    for (int c = 0; c < 3; c++) {
        if (rc)
            continue;
        int len[3], lo[3];
        fftw_r2r_kind kind[3];
        component_layout(6 + c, hh, len, lo, kind);
        const size_t nb = (size_t)len[0] * len[1] * len[2];
        double *buf = fr_big_alloc((nb ? nb : 1) * sizeof(double));
        if (!buf) {
#pragma omp atomic write
            fail = 1;
            continue;
        }
        for (int iz = 0; iz < len[2]; iz++)
            for (int iy = 0; iy < len[1]; iy++)
                for (int ix = 0; ix < len[0]; ix++) {
                    const int i[3] = {ix + lo[0], iy + lo[1], iz + lo[2]};
                    const size_t o = ((size_t)i[2] * (hy + 1) + i[1]) * (hx + 1) + i[0];
                    buf[((size_t)iz * len[1] + iy) * len[0] + ix] = gam[o] * (i[c] * h);
                }
        if (nb)
            fftw_execute_r2r(plan[c], buf, buf);
        store_octant(tab[c], nt, buf, len, lo, hx, hz, norm);
        fr_big_free(buf);
    }
    for (int c = 0; c < 3; c++)
        if (plan[c])
            fftw_destroy_plan(plan[c]);
    fr_big_free(gam);
    if (rc || fail) {
        for (int c = 0; c < 3; c++)
            fr_big_free(tab[c]);
        return -1;
    }
    for (int c = 0; c < 3; c++)
        k->otab[c] = tab[c];
    k->bytes += 3 * nt * sizeof(float);
    return 0;
}

void fr_ks_free(kspace *k)
{
    if (k->xf)
        KS(destroy_plan)(k->xf);
    for (int q = 0; q < 8; q++) {
        ks_plan pl = k->col[q >> 2][(q >> 1) & 1][q & 1];
        if (pl)
            KS(destroy_plan)(pl);
    }
    if (k->xb)
        KS(destroy_plan)(k->xb);
    for (int c = 0; c < 6; c++)
        fr_big_free(k->tab[c]);
    for (int c = 0; c < 3; c++)
        fr_big_free(k->otab[c]);
    for (int c = 0; c < 3; c++) {
        fr_big_free(k->C[c]);
    }
    free(k->slab_start);
    free(k->slab_idx);
    memset(k, 0, sizeof *k);
}

static inline size_t ks_clen(const kspace *k)
{
    return (size_t)(k->u1[2] - k->u0[2]) * k->M[1] * k->Cs;
}

/* The x transforms' scratch (complex rows of Cs): the source or the target rows of a plane. */
static inline size_t ks_xs_len(const kspace *k)
{
    const int nsy = k->s1[1] - k->s0[1], nty = k->t1[1] - k->t0[1];
    return (size_t)(nsy > nty ? nsy : nty) * k->Cs;
}

/* Grid geometry: origin, source/target/union boxes of the windows and the padded FFT sizes
 * (≥ 2× the largest source–target offset per axis: the aperiodic convolution). −1 if the x rows
 * cannot hold the padded windows. */
static int ks_geometry(kspace *k, int ns, const double *sx, const double *sy, const double *sz,
                       const double tlo[3], const double thi[3])
{
    const double h = k->h;
    const int P = k->P;
    const double *src[3] = {sx, sy, sz};
    double lo[3], hi[3];
    for (int a = 0; a < 3; a++) {
        lo[a] = hi[a] = src[a][0];
        for (int j = 1; j < ns; j++) {
            lo[a] = fmin(lo[a], src[a][j]);
            hi[a] = fmax(hi[a], src[a][j]);
        }
        const double l = tlo[a] <= thi[a] ? fmin(lo[a], tlo[a]) : lo[a];
        k->org[a] = l - (0.5 * P + 2.0) * h;
    }
    for (int a = 0; a < 3; a++) {
        k->s0[a] = win_start((lo[a] - k->org[a]) / h, P);
        k->s1[a] = win_start((hi[a] - k->org[a]) / h, P) + P;
        if (tlo[a] <= thi[a]) {
            k->t0[a] = win_start((tlo[a] - k->org[a]) / h, P);
            k->t1[a] = win_start((thi[a] - k->org[a]) / h, P) + P;
        } else {
            k->t0[a] = k->s0[a];
            k->t1[a] = k->s1[a];
        }
        k->u0[a] = k->s0[a] < k->t0[a] ? k->s0[a] : k->t0[a];
        k->u1[a] = k->s1[a] > k->t1[a] ? k->s1[a] : k->t1[a];
        const int o1 = k->t1[a] - 1 - k->s0[a], o2 = k->s1[a] - 1 - k->t0[a];
        const int maxoff = o1 > o2 ? o1 : o2;
        int m = fr_ks_nice_size(2 * maxoff + 2);
        if (m < k->u1[a] + (k->PV - P))
            m = fr_ks_nice_size(k->u1[a] + (k->PV - P));
        if (a == 0 && k->u1[0] + (k->PV - P) > ((m + 7) / 8 * 8))
            return -1;
        k->M[a] = m;
    }
    k->Mxh = k->M[0] / 2 + 1;
    k->Cs = (k->Mxh + KS_ROW - 1) / KS_ROW * KS_ROW;
    k->Rs = 2 * k->Cs;
    k->Ms = (k->M[2] + KS_ROW - 1) / KS_ROW * KS_ROW;
    k->Ys = (k->M[1] + KS_ROW - 1) / KS_ROW * KS_ROW;
    return 0;
}

/* The grids of the three components, only the union box in z: complex rows of Cs, each row
 * also holding the real row (2 Cs reals) it comes from or goes to, so that the real grid R
 * costs no memory of its own (the x-transforms go out of place, to and from a per-thread
 * scratch: ESTIMATE's in-place plans for these rows are 1.5-2.5x slower). */
static int ks_alloc_grids(kspace *k)
{
    const size_t cl = ks_clen(k);
    for (int c = 0; c < 3; c++) {
        k->C[c] = fr_big_alloc(cl * sizeof(ks_complex));
        if (!k->C[c])
            return -1;
        k->R[c] = (ks_real *)k->C[c];
    }
    k->bytes += 3 * cl * sizeof(ks_complex);
    return 0;
}

/* FFTW plans: serial, ESTIMATE (deterministic). Every row and plane starts on a 64-byte
 * boundary (padded strides, fftw_malloc), so one plan serves every row/plane/thread. The x
 * transforms are out of place (grid rows <-> a per-thread scratch of complex rows that the
 * y pass reads or writes): for these batches ESTIMATE picks a plan 1.5x (r2c) and 2.5x (c2r)
 * faster than its in-place one, as fast as MEASURE's (400-point rows, this machine). */
static int ks_fftw_plans(kspace *k)
{
    const unsigned fl = FFTW_ESTIMATE;
    const int Mx = k->M[0], My = k->M[1], Mz = k->M[2], Mxh = k->Mxh, Cs = k->Cs, Rs = k->Rs;
    const int nsy = k->s1[1] - k->s0[1], nty = k->t1[1] - k->t0[1];
    ks_complex *xs = fr_big_alloc(ks_xs_len(k) * sizeof(ks_complex)); /* 64-byte aligned */
    if (!xs)
        return -1;
    k->xf = KS(plan_many_dft_r2c)(1, &Mx, nsy, k->R[0], NULL, 1, Rs, xs, NULL, 1, Cs, fl);
    k->xb = KS(plan_many_dft_c2r)(1, &Mx, nty, xs, NULL, 1, Cs, k->R[0], NULL, 1, Rs, fl);
    fr_big_free(xs);
    /* columns: a block of KS_CB columns (distance Ys or Ms, 64-byte multiples) in one buffer,
     * out of place into another (ESTIMATE's out-of-place plan for these is 15% faster than its
     * in-place one, which buffers) */
    const int Ms = k->Ms, Ys = k->Ys, Mlen[2] = {My, Mz}, dist[2] = {Ys, Ms};
    const size_t cb = (size_t)KS_CB * (Ys > Ms ? Ys : Ms);
    ks_complex *a = fr_big_alloc(2 * cb * sizeof(ks_complex));
    if (!a)
        return -1;
    int rc = 0;
    for (int q = 0; q < 8; q++) {
        const int ax = q >> 2, dir = (q >> 1) & 1, hm = (q & 1) ? Mxh % KS_CB : KS_CB;
        if (!hm)
            continue;
        ks_plan *pl = &k->col[ax][dir][q & 1];
        *pl = KS(plan_many_dft)(1, &Mlen[ax], hm, a, NULL, 1, dist[ax], a + cb, NULL, 1,
                                dist[ax], dir ? FFTW_BACKWARD : FFTW_FORWARD, fl);
        if (!*pl)
            rc = -1;
    }
    fr_big_free(a);
    if (rc || !k->xf || !k->xb)
        return -1;
    return 0;
}

/* Spreading colouring: sources by the z-slab (P planes) of their window start, so slabs of
 * one parity never write the same grid rows (deterministic parallel spreading). */
static int ks_slabs(kspace *k, int ns, const double *sz)
{
    const double h = k->h;
    const int P = k->P;
    k->slabT = P;
    const int nzs = k->s1[2] - k->s0[2];
    k->nslab = (nzs + k->slabT - 1) / k->slabT;
    k->slab_start = calloc((size_t)k->nslab + 1, sizeof(int));
    k->slab_idx = malloc((size_t)(ns > 0 ? ns : 1) * sizeof(int));
    if (!k->slab_start || !k->slab_idx)
        return -1;
    for (int j = 0; j < ns; j++) {
        const int s = (win_start((sz[j] - k->org[2]) / h, P) - k->s0[2]) / k->slabT;
        k->slab_start[s + 1]++;
    }
    for (int s = 0; s < k->nslab; s++)
        k->slab_start[s + 1] += k->slab_start[s];
    int *fill = calloc((size_t)k->nslab, sizeof(int));
    if (!fill)
        return -1;
    for (int j = 0; j < ns; j++) {
        const int s = (win_start((sz[j] - k->org[2]) / h, P) - k->s0[2]) / k->slabT;
        k->slab_idx[k->slab_start[s] + fill[s]++] = j;
    }
    free(fill);
    k->bytes += (size_t)ns * sizeof(int);
    return 0;
}

int fr_ks_k_tables(kspace *k)
{
    return k->tab[0] ? 0 : build_tables(k);
}

int fr_ks_init(kspace *k, int ns, const double *sx, const double *sy, const double *sz,
               const double tlo[3], const double thi[3], double xi, double eta, double h, int P,
               int ktab)
{
    memset(k, 0, sizeof *k);
    k->xi = xi;
    k->eta = eta;
    k->lvl = cpu_level();
    k->par = 1;
    k->h = h;
    k->P = P;
    k->PV = P <= 8 ? 8 : (P <= 16 ? 16 : 24);
    k->aw = 2.0 * xi * xi / eta;
    if (ks_geometry(k, ns, sx, sy, sz, tlo, thi) || ks_alloc_grids(k) ||
        (ktab && build_tables(k)) || ks_fftw_plans(k) || ks_slabs(k, ns, sz))
        return -1;
    return 0;
}

/* The moments of source j: F and S (S from T = 2 axial(S) when S is NULL: exact halving). */
static inline void source_moments(int j, const double *const *F, const double *const *T,
                                  const double *const *S, ks_real f[3], ks_real s[9])
{
    for (int a = 0; a < 3; a++)
        f[a] = (ks_real)F[a][j];
    if (S) {
        for (int a = 0; a < 9; a++)
            s[a] = (ks_real)S[a][j];
        return;
    }
    const ks_real h0 = (ks_real)(0.5 * T[0][j]), h1 = (ks_real)(0.5 * T[1][j]),
                  h2 = (ks_real)(0.5 * T[2][j]);
    s[0] = s[4] = s[8] = 0;
    s[1] = h2;
    s[3] = -h2;
    s[2] = -h1;
    s[6] = h1;
    s[5] = h0;
    s[7] = -h0;
}

/* Spread the force densities of the sources listed in idx[0..m) into R. PV (a constant after
 * inlining) is the padded window width: rows are updated PV wide (zero weights past P). Per
 * z-plane the row coefficients a, b of the P rows are computed as vectors over y first: the
 * row loop is then one broadcast and two FMAs per row and component. */
FR_BODY void spread_list_body(const kspace *k, const int *idx, int m, const double *sx,
                              const double *sy, const double *sz, const double *const *F,
                              const double *const *T, const double *const *S, const int PV)
{
    const int P = k->P, Rs = k->Rs, My = k->M[1];
    ks_real wx[PVMAX], dwx[PVMAX], wy[PVMAX], dwy[PVMAX], wz[PVMAX], dwz[PVMAX];
    ks_real a[3][PVMAX], b[3][PVMAX];
    for (int q = 0; q < m; q++) {
        const int j = idx[q];
        const int ix = window1(sx[j], k->org[0], k->h, P, PV, k->aw, wx, dwx);
        const int iy = window1(sy[j], k->org[1], k->h, P, PV, k->aw, wy, dwy);
        const int iz = window1(sz[j], k->org[2], k->h, P, PV, k->aw, wz, dwz);
        ks_real f[3], s[9];
        source_moments(j, F, T, S, f, s);
        for (int kz = 0; kz < P; kz++) {
            for (int c = 0; c < 3; c++) {
                const ks_real fc = f[c], s0 = s[3 * c], s1 = s[3 * c + 1], s2 = s[3 * c + 2];
                const ks_real z = wz[kz], dz = dwz[kz];
#pragma omp simd
                for (int ky = 0; ky < PV; ky++) {
                    a[c][ky] = (fc * wy[ky] + s1 * dwy[ky]) * z + s2 * wy[ky] * dz;
                    b[c][ky] = s0 * wy[ky] * z;
                }
            }
            const size_t row0 = ((size_t)(iz + kz - k->u0[2]) * My + iy) * Rs + ix;
            for (int ky = 0; ky < P; ky++)
                for (int c = 0; c < 3; c++) {
                    const ks_real ac = a[c][ky], bc = b[c][ky];
                    ks_real *restrict r = k->R[c] + row0 + (size_t)ky * Rs;
#pragma omp simd
                    for (int kx = 0; kx < PV; kx++)
                        r[kx] += ac * wx[kx] + bc * dwx[kx];
                }
        }
    }
}

/* What an interpolation computes (fr_ks_interp): sums it does not need are skipped. */
static inline int need_s0(int out, int c) { return out != KS_W || c != 0; } /* u (ω), ∂x */
static inline int need_s1(int out, int c) { return out == KS_UG || (out == KS_W && c != 1); }
static inline int need_s2(int out, int c) { return out == KS_UG || (out == KS_W && c != 2); }
/* KS_OMEGA: the grid holds the vorticity (fr_ks_convolve with omega): its values alone, then W. */

/* Target i's u and/or G from the row sums s0, s1, s2 (interp_range_body): along x. */
FR_BODY void interp_finish(int i, const ks_real *wx, const ks_real *dwx,
                           ks_real s0[3][PVMAX], ks_real s1[3][PVMAX], ks_real s2[3][PVMAX],
                           double *u, double *G, const int PV, const int out)
{
    if (out == KS_OMEGA) { /* W_im = −½ ε_imk ω_k */
        double w[3];
        for (int c = 0; c < 3; c++) {
            double uu = 0.0;
            for (int kx = 0; kx < PV; kx++)
                uu += wx[kx] * s0[c][kx];
            w[c] = 0.5 * uu;
            u[3 * (size_t)i + c] = 0.0;
        }
        double *g = G + 9 * (size_t)i;
        g[0] = g[4] = g[8] = 0.0;
        g[1] = -w[2], g[3] = w[2];
        g[2] = w[1], g[6] = -w[1];
        g[5] = -w[0], g[7] = w[0];
        return;
    }
    for (int c = 0; c < 3; c++) {
        double uu = 0.0, g0 = 0.0, g1 = 0.0, g2 = 0.0;
        for (int kx = 0; kx < PV; kx++) {
            uu += wx[kx] * s0[c][kx];
            g0 += dwx[kx] * s0[c][kx];
            g1 += wx[kx] * s1[c][kx];
            g2 += wx[kx] * s2[c][kx];
        }
        u[3 * (size_t)i + c] = out == KS_W ? 0.0 : uu; /* (later sums add to it) */
        if (out == KS_U)
            continue;
        /* ∂_m ψ(x − g) = −ψ'(g − x); KS_W: the diagonal is not summed (0) */
        G[9 * (size_t)i + 3 * c] = need_s0(out, c) ? -g0 : 0.0;
        G[9 * (size_t)i + 3 * c + 1] = need_s1(out, c) ? -g1 : 0.0;
        G[9 * (size_t)i + 3 * c + 2] = need_s2(out, c) ? -g2 : 0.0;
    }
}

/* Velocity and/or gradient (out, a constant after inlining) at targets tx.. [0..m) from the
 * convolved field in R: contract the P² rows (y, z weights) into PV-wide vectors, then along
 * x. KS_W computes only the off-diagonal ∂_m u_c (what W needs), KS_U only u. */
FR_BODY void interp_range_body(const kspace *k, int m, const double *tx, const double *ty,
                               const double *tz, double *u, double *G, const int PV,
                               const int out)
{
    const int P = k->P, Rs = k->Rs, My = k->M[1];
    ks_real wx[PVMAX], dwx[PVMAX], wy[PVMAX], dwy[PVMAX], wz[PVMAX], dwz[PVMAX];
    for (int i = 0; i < m; i++) {
        const int ix = window1(tx[i], k->org[0], k->h, P, PV, k->aw, wx, dwx);
        const int iy = window1(ty[i], k->org[1], k->h, P, PV, k->aw, wy, dwy);
        const int iz = window1(tz[i], k->org[2], k->h, P, PV, k->aw, wz, dwz);
        ks_real s0[3][PVMAX], s1[3][PVMAX], s2[3][PVMAX];
        for (int c = 0; c < 3; c++)
            for (int kx = 0; kx < PV; kx++)
                s0[c][kx] = s1[c][kx] = s2[c][kx] = 0.0;
        for (int kz = 0; kz < P; kz++)
            for (int ky = 0; ky < P; ky++) {
                const ks_real wyz = wy[ky] * wz[kz], dyz = dwy[ky] * wz[kz], ydz = wy[ky] * dwz[kz];
                const size_t row =
                    ((size_t)(iz + kz - k->u0[2]) * My + (iy + ky)) * Rs + ix;
#pragma GCC unroll 3
                for (int c = 0; c < 3; c++) {
                    const ks_real *restrict r = k->R[c] + row;
                    const int n0 = need_s0(out, c), n1 = need_s1(out, c), n2 = need_s2(out, c);
#pragma omp simd
                    for (int kx = 0; kx < PV; kx++) {
                        const ks_real v = r[kx];
                        if (n0)
                            s0[c][kx] += wyz * v;
                        if (n1)
                            s1[c][kx] += dyz * v;
                        if (n2)
                            s2[c][kx] += ydz * v;
                    }
                }
            }
        interp_finish(i, wx, dwx, s0, s1, s2, u, G, PV, out);
    }
}

#if defined(FR_MV) && defined(FERRO_KS_FLOAT)
/* AVX-512 interpolation, window width PV = 8 (P <= 8): two grid rows of 8 floats per 16-lane
 * register, so the row loop takes half the arithmetic instructions (the previous row loop was
 * bound by instruction throughput). Lanes 0-7 hold row ky, lanes 8-15 row ky + 1; pair_sel(p)
 * picks elements 2p, 2p + 1 of a row coefficient vector into those halves. */
FR_V4 static inline __m512i pair_sel(int p)
{
    return _mm512_add_epi32(_mm512_set1_epi32(2 * p),
                            _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0));
}

FR_V4 static inline __m512 load_rows(const float *r0, const float *r1)
{
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(r0)), _mm256_loadu_ps(r1),
                              1);
}

/* interp_range_body for PV = 8: rows ky and ky + 1 are summed in separate halves, added at the
 * end (a different order of the P² row sums than the other paths: last bits differ). With odd
 * P the last row pairs with itself at the zero padding weight. */
FR_V4 static inline void interp_p8_v4(const kspace *k, int m, const double *tx, const double *ty,
                                      const double *tz, double *u, double *G, const int out)
{
    const int P = k->P, Rs = k->Rs, My = k->M[1];
    ks_real wx[PVMAX], dwx[PVMAX], wy[PVMAX], dwy[PVMAX], wz[PVMAX], dwz[PVMAX];
    for (int i = 0; i < m; i++) {
        const int ix = window1(tx[i], k->org[0], k->h, P, 8, k->aw, wx, dwx);
        const int iy = window1(ty[i], k->org[1], k->h, P, 8, k->aw, wy, dwy);
        const int iz = window1(tz[i], k->org[2], k->h, P, 8, k->aw, wz, dwz);
        __m512 S0[3], S1[3], S2[3];
        for (int c = 0; c < 3; c++)
            S0[c] = S1[c] = S2[c] = _mm512_setzero_ps();
        const __m512 WY = _mm512_castps256_ps512(_mm256_loadu_ps(wy));
        const __m512 DWY = _mm512_castps256_ps512(_mm256_loadu_ps(dwy));
        for (int kz = 0; kz < P; kz++) {
            const __m512 z = _mm512_set1_ps(wz[kz]), dz = _mm512_set1_ps(dwz[kz]);
            const __m512 WYZ = _mm512_mul_ps(WY, z), DYZ = _mm512_mul_ps(DWY, z),
                         YDZ = _mm512_mul_ps(WY, dz);
            const size_t row0 = ((size_t)(iz + kz - k->u0[2]) * My + iy) * Rs + ix;
            for (int ky = 0; ky < P; ky += 2) {
                const __m512i sel = pair_sel(ky >> 1);
                const __m512 wyz = _mm512_permutexvar_ps(sel, WYZ);
                const __m512 dyz = _mm512_permutexvar_ps(sel, DYZ);
                const __m512 ydz = _mm512_permutexvar_ps(sel, YDZ);
                const size_t d = ky + 1 < P ? (size_t)Rs : 0;
#pragma GCC unroll 3
                for (int c = 0; c < 3; c++) {
                    const float *r = k->R[c] + row0 + (size_t)ky * Rs;
                    const __m512 v = load_rows(r, r + d);
                    if (need_s0(out, c))
                        S0[c] = _mm512_fmadd_ps(wyz, v, S0[c]);
                    if (need_s1(out, c))
                        S1[c] = _mm512_fmadd_ps(dyz, v, S1[c]);
                    if (need_s2(out, c))
                        S2[c] = _mm512_fmadd_ps(ydz, v, S2[c]);
                }
            }
        }
        ks_real s0[3][PVMAX], s1[3][PVMAX], s2[3][PVMAX];
        for (int c = 0; c < 3; c++) {
            _mm256_storeu_ps(s0[c], _mm256_add_ps(_mm512_castps512_ps256(S0[c]),
                                                  _mm512_extractf32x8_ps(S0[c], 1)));
            _mm256_storeu_ps(s1[c], _mm256_add_ps(_mm512_castps512_ps256(S1[c]),
                                                  _mm512_extractf32x8_ps(S1[c], 1)));
            _mm256_storeu_ps(s2[c], _mm256_add_ps(_mm512_castps512_ps256(S2[c]),
                                                  _mm512_extractf32x8_ps(S2[c], 1)));
        }
        interp_finish(i, wx, dwx, s0, s1, s2, u, G, 8, out);
    }
}

FR_V4 static void interp_range_p8_v4(const kspace *k, int out, int m, const double *tx,
                                     const double *ty, const double *tz, double *u, double *G)
{
    if (out == KS_UG)
        interp_p8_v4(k, m, tx, ty, tz, u, G, KS_UG);
    else if (out == KS_W)
        interp_p8_v4(k, m, tx, ty, tz, u, G, KS_W);
    else if (out == KS_OMEGA)
        interp_p8_v4(k, m, tx, ty, tz, u, G, KS_OMEGA);
    else
        interp_p8_v4(k, m, tx, ty, tz, u, G, KS_U);
}
#define KS_P8_V4 1
#else
#define KS_P8_V4 0
#endif

#define SPREAD_ARGS                                                                                \
    const kspace *k, const int *idx, int m, const double *sx, const double *sy, const double *sz, \
        const double *const *F, const double *const *T, const double *const *S
#define SPREAD_CALL(PV) spread_list_body(k, idx, m, sx, sy, sz, F, T, S, PV)
#define INTERP_ARGS                                                                                \
    const kspace *k, int out, int m, const double *tx, const double *ty, const double *tz,       \
        double *u, double *G
#define INTERP_OUT(PV, OUT) interp_range_body(k, m, tx, ty, tz, u, G, PV, OUT)
#define INTERP_CALL(PV)                                                                            \
    (out == KS_UG      ? INTERP_OUT(PV, KS_UG)                                                    \
     : out == KS_W     ? INTERP_OUT(PV, KS_W)                                                     \
     : out == KS_OMEGA ? INTERP_OUT(PV, KS_OMEGA)                                                 \
                       : INTERP_OUT(PV, KS_U))
#define PV_SWITCH(CALL)                                                                            \
    do {                                                                                           \
        if (k->PV == 8)                                                                            \
            CALL(8);                                                                               \
        else if (k->PV == 16)                                                                      \
            CALL(16);                                                                              \
        else                                                                                       \
            CALL(24);                                                                              \
    } while (0)
#ifdef FR_MV
FR_V4 static void spread_list_v4(SPREAD_ARGS) { PV_SWITCH(SPREAD_CALL); }
FR_V3 static void spread_list_v3(SPREAD_ARGS) { PV_SWITCH(SPREAD_CALL); }
FR_V4 static void interp_range_v4(INTERP_ARGS) { PV_SWITCH(INTERP_CALL); }
FR_V3 static void interp_range_v3(INTERP_ARGS) { PV_SWITCH(INTERP_CALL); }
#endif
static void spread_list_v0(SPREAD_ARGS) { PV_SWITCH(SPREAD_CALL); }
static void interp_range_v0(INTERP_ARGS) { PV_SWITCH(INTERP_CALL); }

static void spread_list(int lvl, SPREAD_ARGS)
{
#ifdef FR_MV
    if (lvl == 2)
        spread_list_v4(k, idx, m, sx, sy, sz, F, T, S);
    else if (lvl == 1)
        spread_list_v3(k, idx, m, sx, sy, sz, F, T, S);
    else
#endif
        spread_list_v0(k, idx, m, sx, sy, sz, F, T, S);
    (void)lvl;
}

void fr_ks_interp(INTERP_ARGS)
{
    const int lvl = k->lvl;
#ifdef FR_MV
#if KS_P8_V4
    if (lvl == 2 && k->PV == 8)
        interp_range_p8_v4(k, out, m, tx, ty, tz, u, G);
    else
#endif
        if (lvl == 2)
        interp_range_v4(k, out, m, tx, ty, tz, u, G);
    else if (lvl == 1)
        interp_range_v3(k, out, m, tx, ty, tz, u, G);
    else
#endif
        interp_range_v0(k, out, m, tx, ty, tz, u, G);
    (void)lvl;
}

/* One column (kz in [z0, z1), 2 reals each) times the kernel tables at fz = fz0 + dir (kz − z0),
 * with the signs sy, sz of the odd components: a loop GCC vectorises (dir = ±1 a constant). */
FR_BODY void kernel_col(const float *restrict Txx, const float *restrict Tyy,
                        const float *restrict Tzz, const float *restrict Txy,
                        const float *restrict Txz, const float *restrict Tyz, ks_real sy,
                        ks_real sz, ks_real *restrict a, ks_real *restrict b, ks_real *restrict c,
                        int z0, int z1, int fz0, const int dir)
{
    const ks_real syz = sy * sz;
#pragma omp simd
    for (int kz = z0; kz < z1; kz++) {
        const int fz = fz0 + dir * (kz - z0);
        const ks_real xx = Txx[fz], yy = Tyy[fz], zz = Tzz[fz], xy = sy * Txy[fz],
                      xz = sz * Txz[fz], yz = syz * Tyz[fz];
        const ks_real fxr = a[2 * kz], fyr = b[2 * kz], fzr = c[2 * kz];
        const ks_real fxi = a[2 * kz + 1], fyi = b[2 * kz + 1], fzi = c[2 * kz + 1];
        a[2 * kz] = xx * fxr + xy * fyr + xz * fzr;
        b[2 * kz] = xy * fxr + yy * fyr + yz * fzr;
        c[2 * kz] = xz * fxr + yz * fyr + zz * fzr;
        a[2 * kz + 1] = xx * fxi + xy * fyi + xz * fzi;
        b[2 * kz + 1] = xy * fxi + yy * fyi + yz * fzi;
        c[2 * kz + 1] = xz * fxi + yz * fyi + zz * fzi;
    }
}

/* Multiply a block of one ky-slice, columns kx in [kx0, kx0 + nb), by the kernel tables. The
 * block is stored transposed: component c at t_c[(kx − kx0) * Ms + kz] (z contiguous, for
 * contiguous batched z-transforms). The tables hold
 * fz = |kz| (kz ≤ Mz/2: fz = kz, the odd components' sign +; above: fz = Mz − kz, sign −), in
 * two loops so that each vectorises (the scalar loop with the fold inside took ~10% of the
 * convolution). */
FR_BODY void kernel_mult_body(const kspace *k, int ky, int kx0, int nb, ks_complex *t0,
                              ks_complex *t1, ks_complex *t2)
{
    const int My = k->M[1], Mz = k->M[2], Mxh = k->Mxh, Ms = k->Ms;
    const int hy = My / 2, hz = Mz / 2;
    const int fy = ky <= hy ? ky : My - ky;
    const ks_real sy = ky <= hy ? 1.0 : -1.0;
    for (int j = 0; j < nb; j++) {
        const size_t o = ((size_t)fy * Mxh + kx0 + j) * (hz + 1);
        const float *Txx = k->tab[0] + o, *Tyy = k->tab[1] + o, *Tzz = k->tab[2] + o,
                    *Txy = k->tab[3] + o, *Txz = k->tab[4] + o, *Tyz = k->tab[5] + o;
        ks_real *a = t0[(size_t)j * Ms], *b = t1[(size_t)j * Ms], *c = t2[(size_t)j * Ms];
        kernel_col(Txx, Tyy, Tzz, Txy, Txz, Tyz, sy, 1.0, a, b, c, 0, hz + 1, 0, 1);
        kernel_col(Txx, Tyy, Tzz, Txy, Txz, Tyz, sy, -1.0, a, b, c, hz + 1, Mz, Mz - hz - 1, -1);
    }
}
/* The vorticity kernel on one column: ω̂ = −i (V × f̂) with V the tables' values (signs sy, sz
 * of the y- and z-odd components at negative frequencies), (−i)(a + ib) = b − ia. */
FR_BODY void omega_col(const float *restrict Vx, const float *restrict Vy,
                       const float *restrict Vz, ks_real sy, ks_real sz, ks_real *restrict a,
                       ks_real *restrict b, ks_real *restrict c, int z0, int z1, int fz0,
                       const int dir)
{
#pragma omp simd
    for (int kz = z0; kz < z1; kz++) {
        const int fz = fz0 + dir * (kz - z0);
        const ks_real vx = Vx[fz], vy = sy * Vy[fz], vz = sz * Vz[fz];
        const ks_real fxr = a[2 * kz], fyr = b[2 * kz], fzr = c[2 * kz];
        const ks_real fxi = a[2 * kz + 1], fyi = b[2 * kz + 1], fzi = c[2 * kz + 1];
        a[2 * kz] = vy * fzi - vz * fyi;
        b[2 * kz] = vz * fxi - vx * fzi;
        c[2 * kz] = vx * fyi - vy * fxi;
        a[2 * kz + 1] = vz * fyr - vy * fzr;
        b[2 * kz + 1] = vx * fzr - vz * fxr;
        c[2 * kz + 1] = vy * fxr - vx * fyr;
    }
}

FR_BODY void omega_mult_body(const kspace *k, int ky, int kx0, int nb, ks_complex *t0,
                             ks_complex *t1, ks_complex *t2)
{
    const int My = k->M[1], Mz = k->M[2], Mxh = k->Mxh, Ms = k->Ms;
    const int hy = My / 2, hz = Mz / 2;
    const int fy = ky <= hy ? ky : My - ky;
    const ks_real sy = ky <= hy ? 1.0 : -1.0;
    for (int j = 0; j < nb; j++) {
        const size_t o = ((size_t)fy * Mxh + kx0 + j) * (hz + 1);
        const float *Vx = k->otab[0] + o, *Vy = k->otab[1] + o, *Vz = k->otab[2] + o;
        ks_real *a = t0[(size_t)j * Ms], *b = t1[(size_t)j * Ms], *c = t2[(size_t)j * Ms];
        omega_col(Vx, Vy, Vz, sy, 1.0, a, b, c, 0, hz + 1, 0, 1);
        omega_col(Vx, Vy, Vz, sy, -1.0, a, b, c, hz + 1, Mz, Mz - hz - 1, -1);
    }
}

#define KMULT_ARGS                                                                                 \
    const kspace *k, int ky, int kx0, int nb, ks_complex *t0, ks_complex *t1, ks_complex *t2
#define KMULT_PASS k, ky, kx0, nb, t0, t1, t2
#ifdef FR_MV
FR_V4 static void kernel_mult_v4(KMULT_ARGS) { kernel_mult_body(KMULT_PASS); }
FR_V3 static void kernel_mult_v3(KMULT_ARGS) { kernel_mult_body(KMULT_PASS); }
FR_V4 static void omega_mult_v4(KMULT_ARGS) { omega_mult_body(KMULT_PASS); }
FR_V3 static void omega_mult_v3(KMULT_ARGS) { omega_mult_body(KMULT_PASS); }
#endif
static void omega_mult(KMULT_ARGS)
{
#ifdef FR_MV
    if (k->lvl == 2)
        omega_mult_v4(KMULT_PASS);
    else if (k->lvl == 1)
        omega_mult_v3(KMULT_PASS);
    else
#endif
        omega_mult_body(KMULT_PASS);
}
static void kernel_mult(KMULT_ARGS)
{
#ifdef FR_MV
    if (k->lvl == 2)
        kernel_mult_v4(KMULT_PASS);
    else if (k->lvl == 1)
        kernel_mult_v3(KMULT_PASS);
    else
#endif
        kernel_mult_body(KMULT_PASS);
}

/* Block [kx0, kx0 + nb) of the rows src + y ss, y in [0, ny), into the columns
 * dst[(kx − kx0) ds + y] (ks_scatter: back): the transposes around the column FFTs. */
static void ks_gather_c(ks_complex *src, size_t ss, int kx0, int nb, int y0, int ny,
                        ks_complex *dst, int ds)
{
    for (int y = y0; y < ny; y++) {
        ks_complex *row = src + (size_t)y * ss + kx0;
        for (int j = 0; j < nb; j++) {
            dst[(size_t)j * ds + y][0] = row[j][0];
            dst[(size_t)j * ds + y][1] = row[j][1];
        }
    }
}

static void ks_scatter_c(ks_complex *src, int ds, int kx0, int nb, int y0, int ny,
                         ks_complex *dst, size_t ss)
{
    for (int y = y0; y < ny; y++) {
        ks_complex *row = dst + (size_t)y * ss + kx0;
        for (int j = 0; j < nb; j++) {
            row[j][0] = src[(size_t)j * ds + y][0];
            row[j][1] = src[(size_t)j * ds + y][1];
        }
    }
}

#if defined(FR_MV) && defined(FERRO_KS_FLOAT)
#define KS_TR_V4 (KS_CB == 16) /* AVX-512 transposes of 8 x 8 complex floats (64-bit each) */
/* r[i] (row i, 8 elements) → r[j] (column j), in registers: pairs, then 128-bit lanes. */
FR_V4 static inline void tr8x8(__m512d r[8])
{
    __m512d t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
    }
    for (int h = 0; h < 2; h++) {
        u[4 * h] = _mm512_shuffle_f64x2(t[4 * h], t[4 * h + 2], 0x88);
        u[4 * h + 1] = _mm512_shuffle_f64x2(t[4 * h], t[4 * h + 2], 0xDD);
        u[4 * h + 2] = _mm512_shuffle_f64x2(t[4 * h + 1], t[4 * h + 3], 0x88);
        u[4 * h + 3] = _mm512_shuffle_f64x2(t[4 * h + 1], t[4 * h + 3], 0xDD);
    }
    r[0] = _mm512_shuffle_f64x2(u[0], u[4], 0x88);
    r[4] = _mm512_shuffle_f64x2(u[0], u[4], 0xDD);
    r[2] = _mm512_shuffle_f64x2(u[1], u[5], 0x88);
    r[6] = _mm512_shuffle_f64x2(u[1], u[5], 0xDD);
    r[1] = _mm512_shuffle_f64x2(u[2], u[6], 0x88);
    r[5] = _mm512_shuffle_f64x2(u[2], u[6], 0xDD);
    r[3] = _mm512_shuffle_f64x2(u[3], u[7], 0x88);
    r[7] = _mm512_shuffle_f64x2(u[3], u[7], 0xDD);
}

/* ks_gather_c for a full block (16 columns), 8 rows at a time; returns the rows done. */
FR_V4 static int ks_gather_v4(ks_complex *src, size_t ss, int kx0, int ny, ks_complex *dst,
                              int ds)
{
    int y = 0;
    for (; y + 8 <= ny; y += 8)
        for (int h = 0; h < 2; h++) {
            __m512d r[8];
            for (int i = 0; i < 8; i++)
                r[i] = _mm512_loadu_pd(src + (size_t)(y + i) * ss + kx0 + 8 * h);
            tr8x8(r);
            for (int j = 0; j < 8; j++)
                _mm512_storeu_pd(dst + (size_t)(8 * h + j) * ds + y, r[j]);
        }
    return y;
}

FR_V4 static int ks_scatter_v4(ks_complex *src, int ds, int kx0, int ny, ks_complex *dst,
                               size_t ss)
{
    int y = 0;
    for (; y + 8 <= ny; y += 8)
        for (int h = 0; h < 2; h++) {
            __m512d r[8];
            for (int j = 0; j < 8; j++)
                r[j] = _mm512_loadu_pd(src + (size_t)(8 * h + j) * ds + y);
            tr8x8(r);
            for (int i = 0; i < 8; i++)
                _mm512_storeu_pd(dst + (size_t)(y + i) * ss + kx0 + 8 * h, r[i]);
        }
    return y;
}
#else
#define KS_TR_V4 0
#endif

static void ks_gather(const kspace *k, ks_complex *src, size_t ss, int kx0, int nb, int ny,
                      ks_complex *dst, int ds)
{
    int y0 = 0;
#if KS_TR_V4
    if (k->lvl == 2 && nb == KS_CB)
        y0 = ks_gather_v4(src, ss, kx0, ny, dst, ds);
#endif
    ks_gather_c(src, ss, kx0, nb, y0, ny, dst, ds);
    (void)k;
}

static void ks_scatter(const kspace *k, ks_complex *src, int ds, int kx0, int nb, int ny,
                       ks_complex *dst, size_t ss)
{
    int y0 = 0;
#if KS_TR_V4
    if (k->lvl == 2 && nb == KS_CB)
        y0 = ks_scatter_v4(src, ds, kx0, ny, dst, ss);
#endif
    ks_scatter_c(src, ds, kx0, nb, y0, ny, dst, ss);
    (void)k;
}

/* The column FFT of a block of nb columns (KS_CB, or the last: Mxh % KS_CB), in → out. */
static void ks_cols(const kspace *k, int axis, int backward, int nb, ks_complex *in,
                    ks_complex *out)
{
    KS(execute_dft)(k->col[axis][backward][nb < KS_CB], in, out);
}

/* A thread's buffers in one pass: nbuf column blocks of KS_CB × dist, zeroed (the forward
 * FFTs' zero padding: the rows outside the source box are never written), and the x scratch. */
typedef struct ks_work {
    ks_complex *a, *xs;
} ks_work;

static int ks_work_alloc(const kspace *k, ks_work *w, int nbuf, int dist, int xs)
{
    const size_t n = (size_t)nbuf * KS_CB * dist;
    w->a = fr_big_alloc(n * sizeof(ks_complex));
    w->xs = xs ? fr_big_alloc(ks_xs_len(k) * sizeof(ks_complex)) : NULL;
    if (!w->a || (xs && !w->xs))
        return -1;
    memset(w->a, 0, n * sizeof(ks_complex));
    return 0;
}

static void ks_work_free(ks_work *w)
{
    fr_big_free(w->a);
    fr_big_free(w->xs);
}

/* Forward x and y of one source plane: its real source rows → xs (x), then per block of
 * columns: xs → a (the source rows; the others stay zero), FFT → b, → every row of the plane. */
static void ks_xy_forward(const kspace *k, ks_complex *plane, const ks_work *w)
{
    const int My = k->M[1], Mxh = k->Mxh, Cs = k->Cs, Ys = k->Ys;
    const int y0 = k->s0[1], y1 = k->s1[1];
    ks_complex *a = w->a, *b = w->a + (size_t)KS_CB * Ys;
    KS(execute_dft_r2c)(k->xf, (ks_real *)(plane + (size_t)y0 * Cs), w->xs);
    for (int kx0 = 0; kx0 < Mxh; kx0 += KS_CB) {
        const int nb = Mxh - kx0 < KS_CB ? Mxh - kx0 : KS_CB;
        ks_gather(k, w->xs, Cs, kx0, nb, y1 - y0, a + y0, Ys);
        ks_cols(k, 0, 0, nb, a, b);
        ks_scatter(k, b, Ys, kx0, nb, My, plane, Cs);
    }
}

/* Backward y and x of one target plane: per block of columns, every row → a, FFT → b, the
 * target rows → xs; then xs → the plane's real target rows (x). */
static void ks_xy_backward(const kspace *k, ks_complex *plane, const ks_work *w)
{
    const int My = k->M[1], Mxh = k->Mxh, Cs = k->Cs, Ys = k->Ys;
    const int y0 = k->t0[1], y1 = k->t1[1];
    ks_complex *a = w->a, *b = w->a + (size_t)KS_CB * Ys;
    for (int kx0 = 0; kx0 < Mxh; kx0 += KS_CB) {
        const int nb = Mxh - kx0 < KS_CB ? Mxh - kx0 : KS_CB;
        ks_gather(k, plane, Cs, kx0, nb, My, a, Ys);
        ks_cols(k, 0, 1, nb, a, b);
        ks_scatter(k, b + y0, Ys, kx0, nb, y1 - y0, w->xs, Cs);
    }
    KS(execute_dft_c2r)(k->xb, w->xs, (ks_real *)(plane + (size_t)y0 * Cs));
}

/* z forward, kernel, z backward of one block of columns at one ky: the source rows (z) of the
 * three components → a_c (the other rows stay zero), FFT → b_c, the kernel in place, FFT →
 * d_c, the target rows → the grid. */
static void ks_z_block(const kspace *k, int ky, int kx0, int omega, const ks_work *w)
{
    const int My = k->M[1], Mxh = k->Mxh, Cs = k->Cs, Ms = k->Ms;
    const int nb = Mxh - kx0 < KS_CB ? Mxh - kx0 : KS_CB;
    const size_t blk = (size_t)KS_CB * Ms, zs = (size_t)My * Cs;
    ks_complex *b[3], *d[3];
    for (int c = 0; c < 3; c++) {
        ks_complex *a = w->a + (size_t)c * blk;
        b[c] = w->a + (size_t)(3 + c) * blk;
        d[c] = w->a + (size_t)(6 + c) * blk;
        ks_complex *rows = k->C[c] + (size_t)(k->s0[2] - k->u0[2]) * zs + (size_t)ky * Cs;
        ks_gather(k, rows, zs, kx0, nb, k->s1[2] - k->s0[2], a + k->s0[2], Ms);
        ks_cols(k, 1, 0, nb, a, b[c]);
    }
    if (omega)
        omega_mult(k, ky, kx0, nb, b[0], b[1], b[2]);
    else
        kernel_mult(k, ky, kx0, nb, b[0], b[1], b[2]);
    for (int c = 0; c < 3; c++) {
        ks_cols(k, 1, 1, nb, b[c], d[c]);
        ks_complex *rows = k->C[c] + (size_t)(k->t0[2] - k->u0[2]) * zs + (size_t)ky * Cs;
        ks_scatter(k, d[c] + k->t0[2], Ms, kx0, nb, k->t1[2] - k->t0[2], rows, zs);
    }
}

/* R (source rows, spread) → R (target rows, convolved): x and y forward per source plane, z
 * and the kernel per (ky, block of columns), y and x backward per target plane. The jobs of a
 * pass write disjoint memory: the same bits for any thread count. */
int fr_ks_convolve(kspace *k, int omega)
{
    const int My = k->M[1], Cs = k->Cs, Ys = k->Ys, Ms = k->Ms;
    const int nzs = k->s1[2] - k->s0[2], nzt = k->t1[2] - k->t0[2];
    const int nblk = (k->Mxh + KS_CB - 1) / KS_CB;
    int fail = 0;
    for (int pass = 0; pass < 3 && !fail; pass++) {
#pragma omp parallel if (k->par)
        {
            ks_work w = {0};
            if (ks_work_alloc(k, &w, pass == 1 ? 9 : 2, pass == 1 ? Ms : Ys, pass != 1)) {
#pragma omp atomic write
                fail = 1;
            }
            const int njob = pass == 0 ? 3 * nzs : pass == 1 ? My * nblk : 3 * nzt;
#pragma omp for schedule(dynamic, 1)
            for (int job = 0; job < njob; job++) {
                if (!w.a || (pass != 1 && !w.xs))
                    continue;
                if (pass == 1) {
                    ks_z_block(k, job / nblk, (job % nblk) * KS_CB, omega, &w);
                    continue;
                }
                const int nz = pass == 0 ? nzs : nzt, z0 = pass == 0 ? k->s0[2] : k->t0[2];
                const int c = job / nz, z = z0 + job % nz;
                ks_complex *plane = k->C[c] + (size_t)(z - k->u0[2]) * My * Cs;
                if (pass == 0)
                    ks_xy_forward(k, plane, &w);
                else
                    ks_xy_backward(k, plane, &w);
            }
            ks_work_free(&w);
        }
    }
    return fail ? -1 : 0;
}

void fr_ks_spread(kspace *k, const double *sx, const double *sy, const double *sz,
                  const double *const F[3], const double *const T[3], const double *const S[9])
{
    /* zero the source rows (the only rows spreading writes and the x-transform reads) */
    const size_t nrow = (size_t)(k->s1[1] - k->s0[1]) * k->Rs;
    for (int c = 0; c < 3; c++)
        for (int z = k->s0[2]; z < k->s1[2]; z++)
            memset(k->R[c] + ((size_t)(z - k->u0[2]) * k->M[1] + k->s0[1]) * k->Rs, 0,
                   nrow * sizeof(ks_real));
    for (int phase = 0; phase < 2; phase++) {
#pragma omp parallel for schedule(dynamic, 1) if (k->par)
        for (int s = phase; s < k->nslab; s += 2)
            spread_list(k->lvl, k, k->slab_idx + k->slab_start[s],
                        k->slab_start[s + 1] - k->slab_start[s], sx, sy, sz, F, T, S);
    }
}

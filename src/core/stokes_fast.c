/* Fast summation of the point-source flows (2.2): Hasimoto-split Ewald summation in free
 * space with a Gaussian-window particle mesh (see stokes_fast.h for the method and contract).
 *
 * Notation (all kernels carry the 1/8π of Φ = (Id/r + d⊗d/r³)/8π):
 *   B(r) = r/8π is the biharmonic potential, Φ = (Id Δ − ∇∇) B. Hasimoto's split is
 *   B = B_R + B_F with B_R'(r) = erfc(ξr)/8π, B_F'(r) = erf(ξr)/8π, so that
 *   Φ̂_F(k) = Φ̂(k) (1 + k²/4ξ²) e^{−k²/4ξ²}. With x = ξr, E = erfc x, e = e^{−x²}, c = 2ξ/√π:
 *     Φ_R = A Id + B2 d⊗d,   A = (E/r − c e)/8π,   B2 = (E/r + c e)/(8π r²)
 *     rotlet (S antisymmetric, T = 2 axial S): u = R T×d,   R = B2 − c ξ² e/8π
 *     A'/r = −B2 + 2cξ² e/8π,  B2'/r = −(3 B2 + 2cξ² e/8π)/r²,  R'/r = B2'/r + 2cξ⁴ e/8π
 *   Fourier part: force density f = Σ_j F_j ψ(·−X_j) + S_j·∇ψ(·−X_j) (div(S δ) smoothed),
 *   ψ(y) = Π_c exp(−a y_c²), a = 2ξ²/η, so ψ̂² = (π/a)³ e^{−η k²/4ξ²}; the mid kernel
 *   K = F⁻¹[Φ̂_F/ψ̂²] = (a/π)³ [Φ_F^(ζ) + (η/4ξ²)(∇∇ − Id Δ)(erf(ζr)/4πr)], ζ = ξ/√(1−η),
 *   is smooth. u_F(x) = h⁶ Σ_g Σ_g' ψ(x−g) K(g−g') f(g'), the aperiodic grid convolution done
 *   exactly by FFT on a grid of ≥ 2× the box with the exact samples of K (Hockney–Eastwood;
 *   no periodic images, no truncated Green's function with its large oscillating transform).
 *   K is even, so each of its 6 components has a definite parity per axis and its DFT is real:
 *   stored on the octant (r2r REDFT00/RODFT00 transforms at plan time).
 *   Self terms: Φ_F(0) = ξ/(2π^{3/2}) Id, ∇Φ_F(0) = 0, ∂_m∂_kΦ_F,il(0) S_lk =
 *   −g0 [S_im/3 − (S_im + S_mi + δ_im tr S)/15], g0 = 5ξ³/(2π^{3/2}). */
#include "stokes_fast.h"

#include "ferro/kernels.h"
#include "stokes.h"

#include <fftw3.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hot kernels are always_inline bodies compiled three times: x86-64-v4 (AVX-512, 512-bit
 * vectors), x86-64-v3 (AVX2 + FMA) and the baseline, chosen once per plan from the CPU.
 * Results differ between these variants in the last bits but each is deterministic. ISO C mode
 * disables FMA contraction; it is enabled for this file. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=fast")
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                            \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define FR_MV 1
#define FR_V4 __attribute__((target("arch=x86-64-v4,prefer-vector-width=512")))
#define FR_V3 __attribute__((target("arch=x86-64-v3")))
#endif
#define FR_BODY static inline __attribute__((always_inline))

static int cpu_level(void)
{
#ifdef FR_MV
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4"))
        return 2;
    if (__builtin_cpu_supports("x86-64-v3"))
        return 1;
#endif
    return 0;
}

#define NCHEB 24   /* Chebyshev terms for erfcx on [0, ξ r_c] (tol < 1e-4) */
#define NCHEB_LO 14 /* enough for tol >= 1e-4 (tail < 1e-7) */
#define PVMAX 24    /* padded window widths: 8, 16 or 24 */
#define FR_FAST_MIN_N 400 /* below this the direct sum is faster: fr_stokes_fast uses it */
#define FR_PAR_MIN_N 4000 /* below this fr_stokes_fast runs on one thread (same results) */
#define VL 8       /* neighbour lists are padded to a multiple of VL */

static const double INV8PI = 1.0 / (8.0 * M_PI);

/* ------------------------------------------------------------------ small vector math */

/* e^y for −700 < y <= 0, vectorisable (no calls, no branches), relative error ~1e-15. */
static inline double exp_neg(double y)
{
    const double L2E = 1.4426950408889634, LN2H = 6.93147180369123816490e-01,
                 LN2L = 1.90821492927058770002e-10, SH = 6755399441055744.0; /* 1.5·2^52 */
    const double t = y * L2E + SH;
    const double kf = t - SH;
    const double r = y - kf * LN2H - kf * LN2L;
    double p = 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t tb, pb;
    memcpy(&tb, &t, 8);
    memcpy(&pb, &p, 8);
    pb += tb << 52;
    double s;
    memcpy(&s, &pb, 8);
    return s;
}

/* 1/√x for normal x > 0 without libm (sqrt keeps errno semantics, which blocks vectorisation):
 * bit-trick seed (relative error < 3.5e-2) and four Newton steps (~1e-16). */
static inline double rsqrt_nr(double x)
{
    uint64_t i;
    memcpy(&i, &x, 8);
    i = 0x5FE6EB50C7B537A9ULL - (i >> 1);
    double y;
    memcpy(&y, &i, 8);
    const double hx = 0.5 * x;
    y = y * (1.5 - hx * y * y);
    y = y * (1.5 - hx * y * y);
    y = y * (1.5 - hx * y * y);
    y = y * (1.5 - hx * y * y);
    return y;
}

/* Σ' c_k T_k(t) (first term halved), Clenshaw, fixed length. */
static inline double cheb_eval(const double *c, double t, const int nc)
{
    double b1 = 0.0, b2 = 0.0;
    const double t2 = 2.0 * t;
#pragma GCC unroll 32
    for (int k = nc - 1; k >= 1; k--) {
        const double b0 = c[k] + t2 * b1 - b2;
        b2 = b1;
        b1 = b0;
    }
    return 0.5 * c[0] + t * b1 - b2;
}

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

/* ------------------------------------------------------------------ Fourier engine */

typedef struct kspace {
    int M[3], Mxh;              /* grid and M[0]/2 + 1 */
    int Cs, Rs, Ms, Ys;         /* row strides of C (complex), R (real), z/y-columns: 64 bytes */
    double h, org[3];           /* grid point (i,j,k) at org + h (i,j,k) */
    int P;
    double aw;                  /* ψ1(y) = exp(−aw y²) */
    int s0[3], s1[3];           /* source box [s0, s1) (grid indices) */
    int t0[3], t1[3];           /* target box */
    int u0[3], u1[3];           /* union */
    double *tab[6];             /* xx yy zz xy xz yz on the octant, [fy][fx][fz] */
    double *R[3];               /* real rows: z in [u0z,u1z), y in [u0y,u1y), x in [0, Mx) */
    fftw_complex *C[3];         /* z in [u0z,u1z), ky in [0,My), kx in [0,Mxh) */
    fftw_plan xf, yf, yb, zf, zb, xb;
    int lvl;                    /* CPU level of the hot kernels */
    int par;                    /* run the per-call loops in parallel (enough work) */
    int PV;                     /* padded window width (8, 16, 24) */
    int slabT, nslab;           /* spreading colouring: z-slabs of slabT planes */
    int *slab_start, *slab_idx; /* sources per slab (increasing index) */
    size_t bytes;
} kspace;

static int nice_even(int m)
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

static inline int win_start(double t, int P) { return (int)floor(t - 0.5 * P + 1.0); }

/* Window weights along one axis: w[k] = ψ1(g_k − x), dw[k] = ψ1'(g_k − x), g_k = grid point
 * i0 + k, for k < P, and 0 for P <= k < PV (padding to a vector width). Returns i0. */
static inline int window1(double x, double org, double h, int P, int PV, double aw, double *w,
                          double *dw)
{
    const double t = (x - org) / h;
    const int i0 = win_start(t, P);
    const double off = (double)i0 - t;
#pragma omp simd
    for (int k = 0; k < PV; k++) {
        const double y = (off + k) * h;
        const double e = exp_neg(-aw * y * y) * (double)(k < P);
        w[k] = e;
        dw[k] = -2.0 * aw * y * e;
    }
    return i0;
}

/* Mid kernel K = α Id + β g⊗g at |g| = r (see header comment). */
static void mid_kernel(double r, double xi, double eta, double aw, double *alpha, double *beta)
{
    const double zeta = xi / sqrt(1.0 - eta), c2 = eta / (4.0 * xi * xi);
    const double cz = 2.0 * zeta / sqrt(M_PI);
    const double sc = pow(aw / M_PI, 1.5);
    const double scale = sc * sc;
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

/* Octant transform tables of the 6 components of K (see header comment). */
static int build_tables(kspace *k, double xi, double eta)
{
    const int hx = k->M[0] / 2, hy = k->M[1] / 2, hz = k->M[2] / 2;
    const size_t nt = (size_t)(hz + 1) * (hy + 1) * (hx + 1);
    double *samp[6];
    for (int c = 0; c < 6; c++) {
        k->tab[c] = fftw_malloc(nt * sizeof(double));
        samp[c] = fftw_malloc(nt * sizeof(double));
        if (!k->tab[c] || !samp[c]) {
            for (int d = 0; d <= c; d++)
                fftw_free(samp[d]);
            return -1;
        }
    }
    k->bytes += 6 * nt * sizeof(double);
    const double h = k->h;
#pragma omp parallel for schedule(static)
    for (int iz = 0; iz <= hz; iz++)
        for (int iy = 0; iy <= hy; iy++)
            for (int ix = 0; ix <= hx; ix++) {
                const double gx = ix * h, gy = iy * h, gz = iz * h;
                double al, be;
                mid_kernel(sqrt(gx * gx + gy * gy + gz * gz), xi, eta, k->aw, &al, &be);
                const size_t o = ((size_t)iz * (hy + 1) + iy) * (hx + 1) + ix;
                samp[0][o] = al + be * gx * gx;
                samp[1][o] = al + be * gy * gy;
                samp[2][o] = al + be * gz * gz;
                samp[3][o] = be * gx * gy;
                samp[4][o] = be * gx * gz;
                samp[5][o] = be * gy * gz;
            }
    /* parity per axis (x, y, z): 1 = odd */
    static const int par[6][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {1, 1, 0}, {1, 0, 1}, {0, 1, 1}};
    const double norm = pow(h, 6) / ((double)k->M[0] * k->M[1] * k->M[2]);
    int rc = 0;
    for (int c = 0; c < 6 && !rc; c++) {
        const int hh[3] = {hx, hy, hz};
        int len[3], lo[3];
        fftw_r2r_kind kind[3];
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
        const size_t nb = (size_t)len[0] * len[1] * len[2];
        double *buf = fftw_malloc((nb ? nb : 1) * sizeof(double));
        if (!buf) {
            rc = -1;
            break;
        }
        for (int iz = 0; iz < len[2]; iz++)
            for (int iy = 0; iy < len[1]; iy++)
                for (int ix = 0; ix < len[0]; ix++)
                    buf[((size_t)iz * len[1] + iy) * len[0] + ix] =
                        samp[c][((size_t)(iz + lo[2]) * (hy + 1) + iy + lo[1]) * (hx + 1) + ix +
                                lo[0]];
        if (nb) {
            /* fftw dims are slowest first */
            fftw_plan pl = fftw_plan_r2r_3d(len[2], len[1], len[0], buf, buf, kind[2], kind[1],
                                            kind[0], FFTW_ESTIMATE);
            if (!pl) {
                fftw_free(buf);
                rc = -1;
                break;
            }
            fftw_execute(pl);
            fftw_destroy_plan(pl);
        }
        /* (−i) per odd axis: two odd axes give −1 */
        const double sg = (nodd == 2) ? -norm : norm;
        /* stored as [fy][fx][fz]: a ky-slice is one contiguous block, z fastest */
        memset(k->tab[c], 0, nt * sizeof(double));
        for (int iz = 0; iz < len[2]; iz++)
            for (int iy = 0; iy < len[1]; iy++)
                for (int ix = 0; ix < len[0]; ix++)
                    k->tab[c][((size_t)(iy + lo[1]) * (hx + 1) + ix + lo[0]) * (hz + 1) + iz + lo[2]] =
                        sg * buf[((size_t)iz * len[1] + iy) * len[0] + ix];
        fftw_free(buf);
    }
    for (int c = 0; c < 6; c++)
        fftw_free(samp[c]);
    return rc;
}

static void ks_free(kspace *k)
{
    if (k->xf)
        fftw_destroy_plan(k->xf);
    if (k->yf)
        fftw_destroy_plan(k->yf);
    if (k->yb)
        fftw_destroy_plan(k->yb);
    if (k->zf)
        fftw_destroy_plan(k->zf);
    if (k->zb)
        fftw_destroy_plan(k->zb);
    if (k->xb)
        fftw_destroy_plan(k->xb);
    for (int c = 0; c < 6; c++)
        fftw_free(k->tab[c]);
    for (int c = 0; c < 3; c++) {
        fftw_free(k->R[c]);
        fftw_free(k->C[c]);
    }
    free(k->slab_start);
    free(k->slab_idx);
    memset(k, 0, sizeof *k);
}

static inline size_t ks_rlen(const kspace *k)
{
    return (size_t)(k->u1[2] - k->u0[2]) * (k->u1[1] - k->u0[1]) * k->Rs;
}
static inline size_t ks_clen(const kspace *k)
{
    return (size_t)(k->u1[2] - k->u0[2]) * k->M[1] * k->Cs;
}

/* Build the engine for sources (sx,sy,sz)[0..ns) and targets in the box [tlo, thi] (coordinates;
 * tlo > thi in an axis means: targets = sources). */
static int ks_init(kspace *k, int ns, const double *sx, const double *sy, const double *sz,
                   const double tlo[3], const double thi[3], double xi, double eta, double h, int P)
{
    memset(k, 0, sizeof *k);
    k->lvl = cpu_level();
    k->par = 1;
    k->h = h;
    k->P = P;
    k->PV = P <= 8 ? 8 : (P <= 16 ? 16 : 24);
    k->aw = 2.0 * xi * xi / eta;
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
        int m = nice_even(2 * maxoff + 2);
        if (m < k->u1[a] + (k->PV - P))
            m = nice_even(k->u1[a] + (k->PV - P));
        if (a == 0 && k->u1[0] + (k->PV - P) > ((m + 7) / 8 * 8))
            return -1;
        k->M[a] = m;
    }
    k->Mxh = k->M[0] / 2 + 1;
    k->Cs = (k->Mxh + 3) / 4 * 4;
    k->Rs = (k->M[0] + 7) / 8 * 8;
    k->Ms = (k->M[2] + 3) / 4 * 4;
    k->Ys = (k->M[1] + 3) / 4 * 4;
    const size_t rl = ks_rlen(k), cl = ks_clen(k);
    for (int c = 0; c < 3; c++) {
        k->R[c] = fftw_malloc(rl * sizeof(double));
        k->C[c] = fftw_malloc(cl * sizeof(fftw_complex));
        if (!k->R[c] || !k->C[c])
            return -1;
    }
    k->bytes += 3 * (rl * sizeof(double) + cl * sizeof(fftw_complex));
    if (build_tables(k, xi, eta))
        return -1;

    /* FFTW plans: serial, ESTIMATE (deterministic). Every row and plane starts on a 64-byte
     * boundary (padded strides, fftw_malloc), so one plan serves every row/plane/thread. */
    const unsigned fl = FFTW_ESTIMATE;
    const int Mx = k->M[0], My = k->M[1], Mz = k->M[2], Mxh = k->Mxh, Cs = k->Cs, Rs = k->Rs;
    const int nsy = k->s1[1] - k->s0[1], nty = k->t1[1] - k->t0[1];
    k->xf = fftw_plan_many_dft_r2c(1, &Mx, nsy, k->R[0], NULL, 1, Rs, k->C[0], NULL, 1, Cs, fl);
    k->xb = fftw_plan_many_dft_c2r(1, &Mx, nty, k->C[0], NULL, 1, Cs, k->R[0], NULL, 1, Rs, fl);
    const int Ys = k->Ys;
    fftw_complex *ytmp = fftw_malloc((size_t)Mxh * Ys * sizeof(fftw_complex));
    if (!ytmp)
        return -1;
    k->yf = fftw_plan_many_dft(1, &My, Mxh, ytmp, NULL, 1, Ys, ytmp, NULL, 1, Ys, FFTW_FORWARD, fl);
    k->yb = fftw_plan_many_dft(1, &My, Mxh, ytmp, NULL, 1, Ys, ytmp, NULL, 1, Ys, FFTW_BACKWARD, fl);
    fftw_free(ytmp);
    const int Ms = k->Ms;
    fftw_complex *tmp = fftw_malloc((size_t)Mxh * Ms * sizeof(fftw_complex));
    if (!tmp)
        return -1;
    k->zf = fftw_plan_many_dft(1, &Mz, Mxh, tmp, NULL, 1, Ms, tmp, NULL, 1, Ms, FFTW_FORWARD, fl);
    k->zb = fftw_plan_many_dft(1, &Mz, Mxh, tmp, NULL, 1, Ms, tmp, NULL, 1, Ms, FFTW_BACKWARD, fl);
    fftw_free(tmp);
    if (!k->xf || !k->xb || !k->yf || !k->yb || !k->zf || !k->zb)
        return -1;

    /* Spreading colouring: sources by the z-slab of their window start. */
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

/* Spread the force densities of the sources listed in idx[0..m) into R. PV (a constant after
 * inlining) is the padded window width: rows are updated PV wide (zero weights past P). */
FR_BODY void spread_list_body(const kspace *k, const int *idx, int m, const double *sx,
                              const double *sy, const double *sz, const double *F, const double *S,
                              const int PV)
{
    const int P = k->P, Rs = k->Rs;
    const int nyu = k->u1[1] - k->u0[1];
    double wx[PVMAX], dwx[PVMAX], wy[PVMAX], dwy[PVMAX], wz[PVMAX], dwz[PVMAX];
    for (int q = 0; q < m; q++) {
        const int j = idx[q];
        const int ix = window1(sx[j], k->org[0], k->h, P, PV, k->aw, wx, dwx);
        const int iy = window1(sy[j], k->org[1], k->h, P, PV, k->aw, wy, dwy);
        const int iz = window1(sz[j], k->org[2], k->h, P, PV, k->aw, wz, dwz);
        const double *f = F + 3 * (size_t)j, *s = S + 9 * (size_t)j;
        for (int kz = 0; kz < P; kz++)
            for (int ky = 0; ky < P; ky++) {
                const double wyz = wy[ky] * wz[kz], dyz = dwy[ky] * wz[kz], ydz = wy[ky] * dwz[kz];
                const size_t row =
                    ((size_t)(iz + kz - k->u0[2]) * nyu + (iy + ky - k->u0[1])) * Rs + ix;
                for (int c = 0; c < 3; c++) {
                    const double a = f[c] * wyz + s[3 * c + 1] * dyz + s[3 * c + 2] * ydz;
                    const double b = s[3 * c] * wyz;
                    double *restrict r = k->R[c] + row;
#pragma omp simd
                    for (int kx = 0; kx < PV; kx++)
                        r[kx] += a * wx[kx] + b * dwx[kx];
                }
            }
    }
}

/* Velocity (and gradient) at targets tx.. [0..m) from the convolved field in R: contract the
 * P² rows (y, z weights) into PV-wide vectors, then along x. */
FR_BODY void interp_range_body(const kspace *k, int m, const double *tx, const double *ty,
                               const double *tz, double *u, double *G, const int PV)
{
    const int P = k->P, Rs = k->Rs;
    const int nyu = k->u1[1] - k->u0[1];
    double wx[PVMAX], dwx[PVMAX], wy[PVMAX], dwy[PVMAX], wz[PVMAX], dwz[PVMAX];
    for (int i = 0; i < m; i++) {
        const int ix = window1(tx[i], k->org[0], k->h, P, PV, k->aw, wx, dwx);
        const int iy = window1(ty[i], k->org[1], k->h, P, PV, k->aw, wy, dwy);
        const int iz = window1(tz[i], k->org[2], k->h, P, PV, k->aw, wz, dwz);
        double s0[3][PVMAX], s1[3][PVMAX], s2[3][PVMAX];
        for (int c = 0; c < 3; c++)
            for (int kx = 0; kx < PV; kx++)
                s0[c][kx] = s1[c][kx] = s2[c][kx] = 0.0;
        for (int kz = 0; kz < P; kz++)
            for (int ky = 0; ky < P; ky++) {
                const double wyz = wy[ky] * wz[kz], dyz = dwy[ky] * wz[kz], ydz = wy[ky] * dwz[kz];
                const size_t row =
                    ((size_t)(iz + kz - k->u0[2]) * nyu + (iy + ky - k->u0[1])) * Rs + ix;
                for (int c = 0; c < 3; c++) {
                    const double *restrict r = k->R[c] + row;
#pragma omp simd
                    for (int kx = 0; kx < PV; kx++) {
                        const double v = r[kx];
                        s0[c][kx] += wyz * v;
                        s1[c][kx] += dyz * v;
                        s2[c][kx] += ydz * v;
                    }
                }
            }
        for (int c = 0; c < 3; c++) {
            double uu = 0.0, g0 = 0.0, g1 = 0.0, g2 = 0.0;
            for (int kx = 0; kx < PV; kx++) {
                uu += wx[kx] * s0[c][kx];
                g0 += dwx[kx] * s0[c][kx];
                g1 += wx[kx] * s1[c][kx];
                g2 += wx[kx] * s2[c][kx];
            }
            u[3 * (size_t)i + c] = uu;
            /* ∂_m ψ(x − g) = −ψ'(g − x) */
            G[9 * (size_t)i + 3 * c] = -g0;
            G[9 * (size_t)i + 3 * c + 1] = -g1;
            G[9 * (size_t)i + 3 * c + 2] = -g2;
        }
    }
}

#define SPREAD_ARGS                                                                                \
    const kspace *k, const int *idx, int m, const double *sx, const double *sy, const double *sz, \
        const double *F, const double *S
#define SPREAD_CALL(PV) spread_list_body(k, idx, m, sx, sy, sz, F, S, PV)
#define INTERP_ARGS                                                                                \
    const kspace *k, int m, const double *tx, const double *ty, const double *tz, double *u,      \
        double *G
#define INTERP_CALL(PV) interp_range_body(k, m, tx, ty, tz, u, G, PV)
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
        spread_list_v4(k, idx, m, sx, sy, sz, F, S);
    else if (lvl == 1)
        spread_list_v3(k, idx, m, sx, sy, sz, F, S);
    else
#endif
        spread_list_v0(k, idx, m, sx, sy, sz, F, S);
    (void)lvl;
}

static void interp_range(int lvl, INTERP_ARGS)
{
#ifdef FR_MV
    if (lvl == 2)
        interp_range_v4(k, m, tx, ty, tz, u, G);
    else if (lvl == 1)
        interp_range_v3(k, m, tx, ty, tz, u, G);
    else
#endif
        interp_range_v0(k, m, tx, ty, tz, u, G);
    (void)lvl;
}

/* Multiply one ky-slice by the kernel tables. The slice is stored transposed: component c at
 * t_c[kx * Ms + kz] (z contiguous, for contiguous batched z-transforms). */
static void kernel_mult(const kspace *k, int ky, fftw_complex *t0, fftw_complex *t1,
                        fftw_complex *t2)
{
    const int My = k->M[1], Mz = k->M[2], Mxh = k->Mxh, Ms = k->Ms;
    const int hy = My / 2, hz = Mz / 2;
    const int fy = ky <= hy ? ky : My - ky;
    const double sy = ky <= hy ? 1.0 : -1.0;
    for (int kx = 0; kx < Mxh; kx++) {
        const size_t o = ((size_t)fy * Mxh + kx) * (hz + 1);
        const double *Txx = k->tab[0] + o, *Tyy = k->tab[1] + o, *Tzz = k->tab[2] + o,
                     *Txy = k->tab[3] + o, *Txz = k->tab[4] + o, *Tyz = k->tab[5] + o;
        double *a = t0[(size_t)kx * Ms], *b = t1[(size_t)kx * Ms], *c = t2[(size_t)kx * Ms];
        for (int kz = 0; kz < Mz; kz++) {
            const int fz = kz <= hz ? kz : Mz - kz;
            const double sz = kz <= hz ? 1.0 : -1.0;
            const double xx = Txx[fz], yy = Tyy[fz], zz = Tzz[fz], xy = sy * Txy[fz],
                         xz = sz * Txz[fz], yz = sy * sz * Tyz[fz];
            const double fxr = a[2 * kz], fyr = b[2 * kz], fzr = c[2 * kz];
            const double fxi = a[2 * kz + 1], fyi = b[2 * kz + 1], fzi = c[2 * kz + 1];
            a[2 * kz] = xx * fxr + xy * fyr + xz * fzr;
            b[2 * kz] = xy * fxr + yy * fyr + yz * fzr;
            c[2 * kz] = xz * fxr + yz * fyr + zz * fzr;
            a[2 * kz + 1] = xx * fxi + xy * fyi + xz * fzi;
            b[2 * kz + 1] = xy * fxi + yy * fyi + yz * fzi;
            c[2 * kz + 1] = xz * fxi + yz * fyi + zz * fzi;
        }
    }
}

/* One z-plane of component c: y-transform through a transposed (y-contiguous) buffer tb.
 * Forward: rows y in [s0y, s1y) are the input (others zero); backward: only rows [t0y, t1y) are
 * written back. */
static void ks_ypass(const kspace *k, fftw_complex *plane, fftw_complex *tb, int forward)
{
    const int My = k->M[1], Mxh = k->Mxh, Cs = k->Cs, Ys = k->Ys;
    const int y0 = forward ? k->s0[1] : 0, y1 = forward ? k->s1[1] : My;
    if (forward)
        for (int kx = 0; kx < Mxh; kx++) {
            if (y0 > 0)
                memset(tb + (size_t)kx * Ys, 0, (size_t)y0 * sizeof(fftw_complex));
            if (y1 < My)
                memset(tb + (size_t)kx * Ys + y1, 0, (size_t)(My - y1) * sizeof(fftw_complex));
        }
    for (int y = y0; y < y1; y++) {
        fftw_complex *row = plane + (size_t)y * Cs;
        for (int kx = 0; kx < Mxh; kx++) {
            tb[(size_t)kx * Ys + y][0] = row[kx][0];
            tb[(size_t)kx * Ys + y][1] = row[kx][1];
        }
    }
    fftw_execute_dft(forward ? k->yf : k->yb, tb, tb);
    const int w0 = forward ? 0 : k->t0[1], w1 = forward ? My : k->t1[1];
    for (int y = w0; y < w1; y++) {
        fftw_complex *row = plane + (size_t)y * Cs;
        for (int kx = 0; kx < Mxh; kx++) {
            row[kx][0] = tb[(size_t)kx * Ys + y][0];
            row[kx][1] = tb[(size_t)kx * Ys + y][1];
        }
    }
}

/* R (source rows, spread) → R (target rows, convolved). */
static int ks_convolve(kspace *k)
{
    const int My = k->M[1], Mz = k->M[2], Mxh = k->Mxh, Cs = k->Cs, Rs = k->Rs;
    const int nyu = k->u1[1] - k->u0[1];
    const int nzs = k->s1[2] - k->s0[2], nzt = k->t1[2] - k->t0[2];
    int fail = 0;
    /* forward x (source rows) and y (source planes) */
#pragma omp parallel if (k->par)
    {
        fftw_complex *tb = fftw_malloc((size_t)Mxh * k->Ys * sizeof(fftw_complex));
        if (!tb) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int job = 0; job < 3 * nzs; job++) {
            if (!tb)
                continue;
            const int c = job / nzs, z = k->s0[2] + job % nzs;
            double *rin = k->R[c] + ((size_t)(z - k->u0[2]) * nyu + (k->s0[1] - k->u0[1])) * Rs;
            fftw_complex *plane = k->C[c] + (size_t)(z - k->u0[2]) * My * Cs;
            fftw_execute_dft_r2c(k->xf, rin, plane + (size_t)k->s0[1] * Cs);
            ks_ypass(k, plane, tb, 1);
        }
        fftw_free(tb);
    }
    if (fail)
        return -1;
    /* z forward, kernel, z backward, per ky slice (transposed: z contiguous) */
#pragma omp parallel if (k->par)
    {
        const int Ms = k->Ms;
        const size_t col = (size_t)Mxh * Ms;
        fftw_complex *tmp = fftw_malloc(3 * col * sizeof(fftw_complex));
        if (!tmp) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int ky = 0; ky < My; ky++) {
            if (!tmp)
                continue;
            fftw_complex *t[3] = {tmp, tmp + col, tmp + 2 * col};
            for (int c = 0; c < 3; c++) {
                fftw_complex *tc = t[c];
                for (int kx = 0; kx < Mxh; kx++) {
                    if (k->s0[2] > 0)
                        memset(tc + (size_t)kx * Ms, 0, (size_t)k->s0[2] * sizeof(fftw_complex));
                    if (k->s1[2] < Mz)
                        memset(tc + (size_t)kx * Ms + k->s1[2], 0,
                               (size_t)(Mz - k->s1[2]) * sizeof(fftw_complex));
                }
                for (int z = k->s0[2]; z < k->s1[2]; z++) {
                    fftw_complex *row = k->C[c] + ((size_t)(z - k->u0[2]) * My + ky) * Cs;
                    for (int kx = 0; kx < Mxh; kx++) {
                        tc[(size_t)kx * Ms + z][0] = row[kx][0];
                        tc[(size_t)kx * Ms + z][1] = row[kx][1];
                    }
                }
                fftw_execute_dft(k->zf, tc, tc);
            }
            kernel_mult(k, ky, t[0], t[1], t[2]);
            for (int c = 0; c < 3; c++) {
                fftw_complex *tc = t[c];
                fftw_execute_dft(k->zb, tc, tc);
                for (int z = k->t0[2]; z < k->t1[2]; z++) {
                    fftw_complex *row = k->C[c] + ((size_t)(z - k->u0[2]) * My + ky) * Cs;
                    for (int kx = 0; kx < Mxh; kx++) {
                        row[kx][0] = tc[(size_t)kx * Ms + z][0];
                        row[kx][1] = tc[(size_t)kx * Ms + z][1];
                    }
                }
            }
        }
        fftw_free(tmp);
    }
    if (fail)
        return -1;
    /* backward y (target planes) and x (target rows) */
#pragma omp parallel if (k->par)
    {
        fftw_complex *tb = fftw_malloc((size_t)Mxh * k->Ys * sizeof(fftw_complex));
        if (!tb) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int job = 0; job < 3 * nzt; job++) {
            if (!tb)
                continue;
            const int c = job / nzt, z = k->t0[2] + job % nzt;
            fftw_complex *plane = k->C[c] + (size_t)(z - k->u0[2]) * My * Cs;
            ks_ypass(k, plane, tb, 0);
            double *rout = k->R[c] + ((size_t)(z - k->u0[2]) * nyu + (k->t0[1] - k->u0[1])) * Rs;
            fftw_execute_dft_c2r(k->xb, plane + (size_t)k->t0[1] * Cs, rout);
        }
        fftw_free(tb);
    }
    return fail ? -1 : 0;
}

/* Spread all sources (deterministic slab colouring) into a zeroed R. */
static void ks_spread(kspace *k, const double *sx, const double *sy, const double *sz,
                      const double *F, const double *S)
{
    const size_t rl = ks_rlen(k);
    for (int c = 0; c < 3; c++)
        memset(k->R[c], 0, rl * sizeof(double));
    for (int phase = 0; phase < 2; phase++) {
#pragma omp parallel for schedule(dynamic, 1) if (k->par)
        for (int s = phase; s < k->nslab; s += 2)
            spread_list(k->lvl, k, k->slab_idx + k->slab_start[s], k->slab_start[s + 1] - k->slab_start[s],
                        sx, sy, sz, F, S);
    }
}

/* ------------------------------------------------------------------ the plan */

struct fr_stokes_plan {
    int n, lvl;
    int par; /* per-call loops in parallel: n large enough that thread start-up pays off */
    fr_stokes_fast_opts opt;
    double xi, rc, rc2, h, eta, q, xc;
    int P;
    int *perm;              /* sorted index → original index */
    double *X, *Y, *Z;      /* sorted positions */
    int nc[3];              /* cell grid */
    double clo[3], ca[3];   /* cell origin and sizes */
    int *cstart;            /* particles of cell c: clist[cstart[c] .. cstart[c+1]) */
    int *clist;             /* storage indices, cells in row-major order (x fastest) */
    size_t *nbr_off;        /* neighbours of sorted target s: nbr[nbr_off[s] .. nbr_off[s+1]) */
    int *nbr;               /* storage indices, padded to VL with the dummy source n */
    double cheb[NCHEB], chebX;
    double neighbours;
    kspace ks;
    /* per-call work (sorted order) */
    double *wF, *wT, *wS, *wu, *wG, *wur, *wGr;
    double *sF[3], *sT[3];  /* SoA copies for the real-space sum, n + 1 entries (dummy) */
    double *sS[9];          /* SoA moments (general S only) */
    /* grid engine cache */
    kspace gks;
    int g_have, g_n;
    double g_lo, g_hi;
    size_t bytes;
    double build_s;
    double tph[5];
};

/* Defaults calibrated per decade of tol against the direct sum (random points in the unit
 * ball with minimal distance N^(-1/3), random F and antisymmetric S; N = 3e3 .. 1e5), with a
 * margin of ~2x on the worst of the four error measures; linear in log10(tol) in between. */
static void default_opts(double tol, fr_stokes_fast_opts *o)
{
    static const double cal[5][4] = {
        /* xc,  q,    P,   at tol = 1e-2 .. 1e-6 */
        {2.5, 2.9, 7, 0},
        {3.0, 3.4, 8, 0},
        {3.5, 3.8, 11, 0},
        {4.1, 4.3, 14, 0},
        {4.6, 4.6, 15, 0},
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
    o->eta = 0.7;
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
    ks_free(&p->ks);
    if (p->g_have)
        ks_free(&p->gks);
    free(p->perm);
    free(p->X);
    free(p->Y);
    free(p->Z);
    free(p->cstart);
    free(p->clist);
    free(p->nbr_off);
    free(p->nbr);
    for (int a = 0; a < 3; a++) {
        free(p->sF[a]);
        free(p->sT[a]);
    }
    for (int a = 0; a < 9; a++)
        free(p->sS[a]);
    free(p->wF);
    free(p->wT);
    free(p->wS);
    free(p->wu);
    free(p->wG);
    free(p->wur);
    free(p->wGr);
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

/* Ranges [rg[2q], rg[2q+1]) of clist (cells along x are contiguous there) holding the sources
 * that can lie within rad of v (v anywhere). Returns the number of ranges (at most cap). */
static int cell_ranges(const fr_stokes_plan *p, const double v[3], double rad, int *rg, int cap)
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

static int ranges_cap(const fr_stokes_plan *p, double rad)
{
    int c = 1;
    for (int a = 1; a < 3; a++) {
        int m = 2 * (int)ceil(rad / p->ca[a]) + 3;
        c *= m < p->nc[a] ? m : p->nc[a];
    }
    return c;
}

typedef struct sortkey {
    uint64_t key;
    int cell, idx;
} sortkey;

/* Morton (Z-order) interleaving of three 21-bit cell coordinates. */
static uint64_t morton3(unsigned a, unsigned b, unsigned c)
{
    uint64_t k = 0;
    for (int i = 0; i < 21; i++)
        k |= ((uint64_t)((a >> i) & 1u) << (3 * i)) | ((uint64_t)((b >> i) & 1u) << (3 * i + 1)) |
             ((uint64_t)((c >> i) & 1u) << (3 * i + 2));
    return k;
}
static int cmp_key(const void *a, const void *b)
{
    const sortkey *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

fr_stokes_plan *fr_stokes_plan_create(int n, const double *x, const double *y, const double *z,
                                      double tol, char *err, size_t errlen)
{
    fr_stokes_fast_opts o;
    memset(&o, 0, sizeof o);
    o.tol = tol;
    return fr_stokes_plan_create_opts(n, x, y, z, &o, err, errlen);
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

    /* geometry: bounding box and ball, density */
    double lo[3] = {x[0], y[0], z[0]}, hi[3] = {x[0], y[0], z[0]};
    for (int j = 1; j < n; j++) {
        const double v[3] = {x[j], y[j], z[j]};
        for (int a = 0; a < 3; a++) {
            lo[a] = fmin(lo[a], v[a]);
            hi[a] = fmax(hi[a], v[a]);
        }
    }
    double ctr[3], rad2 = 0.0, ext = 0.0;
    for (int a = 0; a < 3; a++) {
        ctr[a] = 0.5 * (lo[a] + hi[a]);
        ext = fmax(ext, hi[a] - lo[a]);
    }
    for (int j = 0; j < n; j++) {
        const double d[3] = {x[j] - ctr[0], y[j] - ctr[1], z[j] - ctr[2]};
        rad2 = fmax(rad2, d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    }
    const double rad = fmax(sqrt(rad2), 1e-300);
    double vol = 4.0 / 3.0 * M_PI * rad * rad * rad;
    double bvol = 1.0;
    for (int a = 0; a < 3; a++)
        bvol *= fmax(hi[a] - lo[a], 1e-3 * ext + 1e-300);
    vol = fmin(vol, bvol);
    const double dens = n / vol;

    /* splitting: r_c from the neighbour count, capped by the cloud size */
    p->xc = p->opt.xc;
    p->q = p->opt.q;
    p->P = p->opt.P;
    p->eta = p->opt.eta;
    p->rc = cbrt(3.0 * p->opt.nb / (4.0 * M_PI * dens));
    p->rc = fmin(p->rc, 2.0 * rad + 1e-12);
    if (!(p->rc > 0.0))
        p->rc = 1.0;
    p->xi = p->xc / p->rc;
    p->h = M_PI / (2.0 * p->q * p->xi);
    if (!(o && o->nb > 0) && ext > 0.0) {
        /* Fit ξ to an FFT-friendly grid: the grid needs M = 2 (floor(ext/h) + P) points per
         * axis (Hockney–Eastwood doubling of the box the windows cover). Among the friendly
         * sizes not finer than the neighbour-count guess (fewer neighbours move near-field
         * weight into the Fourier part and raise its relative error) pick the one of least
         * modelled cost,
         * grid points (6 FFT passes, ~2.2 pair-evaluations each; 1.3× for sizes with a factor 3)
         * against real-space pairs, and set h (so ξ) to fill it exactly. */
        const int P = p->P;
        const int mreq = 2 * ((int)floor(ext / p->h) + P);
        double best = HUGE_VAL;
        int mbest = 0;
        for (int m = nice_even(mreq / 2 > 2 * P + 8 ? mreq / 2 : 2 * P + 8); m <= 2 * mreq + 8;
             m = nice_even(m + 2)) {
            const double hm = ext / (m / 2 - P - 0.5);
            if (!(hm > 0.0))
                continue;
            const double xim = M_PI / (2.0 * p->q * hm), rcm = fmin(p->xc / xim, 2.0 * rad);
            const double nbm = dens * 4.0 / 3.0 * M_PI * rcm * rcm * rcm;
            if (nbm < 0.85 * p->opt.nb && rcm < 2.0 * rad) /* the calibration's neighbour count */
                continue;
            const double cost = 2.2 * (m % 3 ? 1.0 : 1.3) * (double)m * m * m +
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
    p->rc2 = p->rc * p->rc;
    p->chebX = p->xc * (1.0 + 1e-9);
    cheb_erfcx(p->chebX, p->cheb);

    /* cell list: cells of size >= r_c/3, particles sorted by cell (then index) */
    for (int a = 0; a < 3; a++) {
        const double L = hi[a] - lo[a];
        int m = (int)floor(L / (p->rc / 3.0));
        if (m < 1)
            m = 1;
        if (m > 1024)
            m = 1024;
        p->nc[a] = m;
        p->clo[a] = lo[a];
        p->ca[a] = L > 0 ? L / m : 1.0;
    }
    const int ncell = p->nc[0] * p->nc[1] * p->nc[2];
    sortkey *key = malloc((size_t)n * sizeof *key);
    p->perm = malloc((size_t)n * sizeof(int));
    p->X = malloc(((size_t)n + 1) * sizeof(double));
    p->Y = malloc(((size_t)n + 1) * sizeof(double));
    p->Z = malloc(((size_t)n + 1) * sizeof(double));
    p->cstart = calloc((size_t)ncell + 1, sizeof(int));
    p->clist = malloc((size_t)n * sizeof(int));
    if (!key || !p->perm || !p->X || !p->Y || !p->Z || !p->cstart || !p->clist) {
        free(key);
        FAIL("fast Stokes plan: out of memory (%d particles)", n);
    }
    /* storage order: Morton order of the cells (then index), so that neighbours in space are
     * near in memory for the gathers of the real-space sum and the window sweeps */
    for (int j = 0; j < n; j++) {
        int c[3];
        key[j].cell = cell_of(p, x[j], y[j], z[j], c);
        key[j].key = morton3((unsigned)c[0], (unsigned)c[1], (unsigned)c[2]);
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
    {
        int *fill = calloc((size_t)ncell, sizeof(int));
        if (!fill) {
            free(key);
            FAIL("fast Stokes plan: out of memory (%d particles)", n);
        }
        for (int s = 0; s < n; s++) { /* increasing storage index within each cell */
            const int c = key[s].cell;
            p->clist[p->cstart[c] + fill[c]++] = s;
        }
        free(fill);
    }
    free(key);
    p->X[n] = p->Y[n] = p->Z[n] = 1e150; /* dummy source padding the neighbour lists */
    /* exact neighbour lists (0 < r < r_c), storage indices, padded to VL with the dummy n: one
     * pass into per-chunk buffers, then concatenated */
    p->nbr_off = malloc(((size_t)n + 1) * sizeof(size_t));
    if (!p->nbr_off)
        FAIL("fast Stokes plan: out of memory");
    p->nbr_off[0] = 0;
    const int rcap = ranges_cap(p, p->rc);
    const int CH = 1024, nch = (n + CH - 1) / CH;
    const double nb_est = fmin(dens * 4.0 / 3.0 * M_PI * p->rc * p->rc * p->rc, (double)n);
    int **cbuf = calloc((size_t)nch, sizeof(int *));
    if (!cbuf)
        FAIL("fast Stokes plan: out of memory");
    int oom = 0;
    long long npairs = 0;
#pragma omp parallel reduction(+ : npairs)
    {
        int *rg = malloc(2 * (size_t)rcap * sizeof(int));
        if (!rg) {
#pragma omp atomic write
            oom = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int ch = 0; ch < nch; ch++) {
            if (!rg)
                continue;
            size_t cap = (size_t)CH * (size_t)(1.25 * nb_est + 2 * VL), len = 0;
            int *buf = malloc(cap * sizeof(int));
            for (int s2 = ch * CH; s2 < n && s2 < (ch + 1) * CH && buf; s2++) {
                const double v[3] = {p->X[s2], p->Y[s2], p->Z[s2]};
                const int nr = cell_ranges(p, v, p->rc, rg, rcap);
                const size_t start = len;
                for (int q = 0; q < nr && buf; q++)
                    for (int tq = rg[2 * q]; tq < rg[2 * q + 1]; tq++) {
                        const int t = p->clist[tq];
                        const double dx = v[0] - p->X[t], dy = v[1] - p->Y[t], dz = v[2] - p->Z[t];
                        const double r2 = dx * dx + dy * dy + dz * dz;
                        if (!(r2 > 0.0 && r2 < p->rc2))
                            continue;
                        if (len + VL + 1 > cap) {
                            int *nb2 = realloc(buf, 2 * cap * sizeof(int));
                            if (!nb2) {
                                free(buf);
                                buf = NULL;
                                break;
                            }
                            buf = nb2;
                            cap *= 2;
                        }
                        buf[len++] = t;
                    }
                if (!buf)
                    break;
                npairs += (long long)(len - start);
                while ((len - start) % VL)
                    buf[len++] = n;
                p->nbr_off[s2 + 1] = len - start;
            }
            if (!buf) {
#pragma omp atomic write
                oom = 1;
            }
            cbuf[ch] = buf;
        }
        free(rg);
    }
    if (!oom) {
        for (int s2 = 0; s2 < n; s2++)
            p->nbr_off[s2 + 1] += p->nbr_off[s2];
        p->nbr = malloc((p->nbr_off[n] ? p->nbr_off[n] : 1) * sizeof(int));
        oom = !p->nbr;
    }
    if (!oom) {
#pragma omp parallel for schedule(dynamic, 1)
        for (int ch = 0; ch < nch; ch++) {
            const int s0 = ch * CH, s1 = (ch + 1) * CH < n ? (ch + 1) * CH : n;
            memcpy(p->nbr + p->nbr_off[s0], cbuf[ch],
                   (p->nbr_off[s1] - p->nbr_off[s0]) * sizeof(int));
        }
    }
    for (int ch = 0; ch < nch; ch++)
        free(cbuf[ch]);
    free(cbuf);
    if (oom)
        FAIL("fast Stokes plan: out of memory building neighbour lists");
    p->neighbours = (double)npairs / n;

    /* Fourier engine for targets = sources */
    const double none_lo[3] = {1, 1, 1}, none_hi[3] = {0, 0, 0};
    if (ks_init(&p->ks, n, p->X, p->Y, p->Z, none_lo, none_hi, p->xi, p->eta, p->h, p->P))
        FAIL("fast Stokes plan: out of memory building the Fourier grid");
    p->ks.par = p->par;

    const size_t nn = (size_t)n;
    p->wF = calloc(3 * (nn + 1), sizeof(double)); /* + the dummy source n (zero) */
    p->wT = malloc(3 * nn * sizeof(double));
    p->wS = calloc(9 * (nn + 1), sizeof(double));
    p->wu = malloc(3 * nn * sizeof(double));
    p->wG = malloc(9 * nn * sizeof(double));
    p->wur = malloc(3 * nn * sizeof(double));
    p->wGr = malloc(9 * nn * sizeof(double));
    if (!p->wF || !p->wT || !p->wS || !p->wu || !p->wG || !p->wur || !p->wGr)
        FAIL("fast Stokes plan: out of memory (%d particles)", n);
    for (int a = 0; a < 3; a++) {
        p->sF[a] = calloc(nn + 1, sizeof(double));
        p->sT[a] = calloc(nn + 1, sizeof(double));
        if (!p->sF[a] || !p->sT[a])
            FAIL("fast Stokes plan: out of memory (%d particles)", n);
    }
    for (int a = 0; a < 9; a++) {
        p->sS[a] = calloc(nn + 1, sizeof(double));
        if (!p->sS[a])
            FAIL("fast Stokes plan: out of memory (%d particles)", n);
    }
    p->bytes = sizeof *p + p->ks.bytes + nn * (4 * sizeof(int) + 3 * sizeof(double)) +
               nn * 51 * sizeof(double) + (size_t)(ncell + 1 + n) * sizeof(int) +
               (nn + 1) * sizeof(size_t) + p->nbr_off[n] * sizeof(int);
    p->build_s = omp_get_wtime() - t_start;
    return p;
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
    info->bytes = p->bytes + (p->g_have ? p->gks.bytes : 0);
    info->build_seconds = p->build_s;
    info->t_spread = p->tph[0];
    info->t_fft = p->tph[1];
    info->t_interp = p->tph[2];
    info->t_real = p->tph[3];
    info->t_other = p->tph[4];
}

/* ------------------------------------------------------------------ real space */

typedef struct rs_ctx {
    double xi, rc2, c, cxi2, cxi4, tscale; /* c = 2ξ/√π, tscale = 2/(ξ r_c) for the Chebyshev map */
    const double *cheb;
    int nc;      /* Chebyshev terms used */
    int general; /* moments with a symmetric part: rs_general_body */
} rs_ctx;

/* Screened Stokeslet + rotlet velocity and gradient at (px,py,pz) from the m sources listed in
 * idx (a neighbour list, padded with the far-away dummy); pairs with r = 0 or r >= r_c are
 * masked. acc[0..2] u, acc[3..11] G (×8π). One reduction loop over the list: vectorised with
 * gathers; masks are arithmetic so GCC if-converts it. */
FR_BODY void rs_target_body(const rs_ctx *c, double px, double py, double pz,
                            const int *restrict idx, int m, const double *restrict bx,
                            const double *restrict by, const double *restrict bz,
                            const double *const *bf, const double *const *bt, double *acc,
                            const int nc)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0,
           a10 = 0, a11 = 0;
    const double xi = c->xi, rc2 = c->rc2, cc = c->c, cxi2 = c->cxi2, cxi4 = c->cxi4,
                 ts = c->tscale;
    double cheb[NCHEB];
    memcpy(cheb, c->cheb, sizeof cheb);
    const double *restrict fx = bf[0], *restrict fy = bf[1], *restrict fz = bf[2],
                           *restrict tx = bt[0], *restrict ty = bt[1], *restrict tz = bt[2];
#pragma omp simd reduction(+ : a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)
    for (int q = 0; q < m; q++) {
        const int j = idx[q];
        const double dx = px - bx[j], dy = py - by[j], dz = pz - bz[j];
        const double r2 = dx * dx + dy * dy + dz * dz;
        const int in = (r2 > 0.0) & (r2 < rc2);
        const double r2s = in ? r2 : rc2;
        const double msk = (double)in;
        const double ir = rsqrt_nr(r2s), r = r2s * ir, ir2 = ir * ir;
        const double x = xi * r;
        const double e = exp_neg(-x * x);
        const double E = e * cheb_eval(cheb, x * ts - 1.0, nc);
        const double irE = E * ir, ce = cc * e;
        const double B2 = msk * (irE + ce) * ir2;
        const double A = msk * (irE - ce);
        const double e2 = msk * cxi2 * e, e4 = msk * cxi4 * e;
        const double R = B2 - e2;
        const double Ap = -B2 + 2.0 * e2;
        const double B2p = -(3.0 * B2 + 2.0 * e2) * ir2;
        const double Rp = B2p + 2.0 * e4;
        const double Fx = fx[j], Fy = fy[j], Fz = fz[j], Tx = tx[j], Ty = ty[j], Tz = tz[j];
        const double dF = dx * Fx + dy * Fy + dz * Fz;
        const double cx = Ty * dz - Tz * dy, cy = Tz * dx - Tx * dz, cz = Tx * dy - Ty * dx;
        a0 += A * Fx + B2 * dx * dF + R * cx;
        a1 += A * Fy + B2 * dy * dF + R * cy;
        a2 += A * Fz + B2 * dz * dF + R * cz;
        const double Px = Ap * Fx + B2p * dx * dF + Rp * cx;
        const double Py = Ap * Fy + B2p * dy * dF + Rp * cy;
        const double Pz = Ap * Fz + B2p * dz * dF + Rp * cz;
        const double bdF = B2 * dF;
        a3 += dx * Px + bdF + B2 * dx * Fx;
        a4 += dy * Px + B2 * dx * Fy - R * Tz;
        a5 += dz * Px + B2 * dx * Fz + R * Ty;
        a6 += dx * Py + B2 * dy * Fx + R * Tz;
        a7 += dy * Py + bdF + B2 * dy * Fy;
        a8 += dz * Py + B2 * dy * Fz - R * Tx;
        a9 += dx * Pz + B2 * dz * Fx - R * Ty;
        a10 += dy * Pz + B2 * dz * Fy + R * Tx;
        a11 += dz * Pz + bdF + B2 * dz * Fz;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    acc[4] = a4;
    acc[5] = a5;
    acc[6] = a6;
    acc[7] = a7;
    acc[8] = a8;
    acc[9] = a9;
    acc[10] = a10;
    acc[11] = a11;
}

/* The same for general moments S (stresslets too): with a = S d, b = Sᵀd, q = dᵀS d, τ = tr S,
 *   u = A F + B2 d (d·F) + Ap a + B2 b + d (B2 τ + B2p q)
 *   G_im = d_m P_i + B2 (δ_im d·F + d_i F_m) + B2p d_i (a + b)_m + Ap S_im + B2 S_mi
 *          + δ_im (B2 τ + B2p q),
 *   P = Ap F + App a + B2p b + d (B2p (d·F + τ) + B2pp q),
 * App = (A'/r)'/r = −B2p − 4cξ⁴e, B2pp = (B2'/r)'/r = (−5 B2p + 4cξ⁴e)/r² (×8π). */
FR_BODY void rs_general_body(const rs_ctx *c, double px, double py, double pz,
                             const int *restrict idx, int m, const double *restrict bx,
                             const double *restrict by, const double *restrict bz,
                             const double *const *bf, const double *const *bs, double *acc,
                             const int nc)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0,
           a10 = 0, a11 = 0;
    const double xi = c->xi, rc2 = c->rc2, cc = c->c, cxi2 = c->cxi2, cxi4 = c->cxi4,
                 ts = c->tscale;
    double cheb[NCHEB];
    memcpy(cheb, c->cheb, sizeof cheb);
    const double *restrict fx = bf[0], *restrict fy = bf[1], *restrict fz = bf[2];
    const double *restrict s0 = bs[0], *restrict s1 = bs[1], *restrict s2 = bs[2],
                           *restrict s3 = bs[3], *restrict s4 = bs[4], *restrict s5 = bs[5],
                           *restrict s6 = bs[6], *restrict s7 = bs[7], *restrict s8 = bs[8];
#pragma omp simd reduction(+ : a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)
    for (int q = 0; q < m; q++) {
        const int j = idx[q];
        const double dx = px - bx[j], dy = py - by[j], dz = pz - bz[j];
        const double r2 = dx * dx + dy * dy + dz * dz;
        const int in = (r2 > 0.0) & (r2 < rc2);
        const double r2s = in ? r2 : rc2;
        const double msk = (double)in;
        const double ir = rsqrt_nr(r2s), r = r2s * ir, ir2 = ir * ir;
        const double x = xi * r;
        const double e = exp_neg(-x * x);
        const double E = e * cheb_eval(cheb, x * ts - 1.0, nc);
        const double irE = E * ir, ce = cc * e;
        const double B2 = msk * (irE + ce) * ir2;
        const double A = msk * (irE - ce);
        const double e2 = msk * cxi2 * e, e4 = msk * cxi4 * e;
        const double Ap = -B2 + 2.0 * e2;
        const double B2p = -(3.0 * B2 + 2.0 * e2) * ir2;
        const double App = -B2p - 4.0 * e4;
        const double B2pp = (-5.0 * B2p + 4.0 * e4) * ir2;
        const double Fx = fx[j], Fy = fy[j], Fz = fz[j];
        const double S0 = s0[j], S1 = s1[j], S2 = s2[j], S3 = s3[j], S4 = s4[j], S5 = s5[j],
                     S6 = s6[j], S7 = s7[j], S8 = s8[j];
        const double dF = dx * Fx + dy * Fy + dz * Fz;
        const double ax = S0 * dx + S1 * dy + S2 * dz, ay = S3 * dx + S4 * dy + S5 * dz,
                     az = S6 * dx + S7 * dy + S8 * dz;
        const double bxv = S0 * dx + S3 * dy + S6 * dz, byv = S1 * dx + S4 * dy + S7 * dz,
                     bzv = S2 * dx + S5 * dy + S8 * dz;
        const double qq = dx * ax + dy * ay + dz * az, tau = S0 + S4 + S8;
        const double g = B2 * (dF + tau) + B2p * qq;
        a0 += A * Fx + Ap * ax + B2 * bxv + g * dx;
        a1 += A * Fy + Ap * ay + B2 * byv + g * dy;
        a2 += A * Fz + Ap * az + B2 * bzv + g * dz;
        const double h = B2p * (dF + tau) + B2pp * qq;
        const double Px = Ap * Fx + App * ax + B2p * bxv + h * dx;
        const double Py = Ap * Fy + App * ay + B2p * byv + h * dy;
        const double Pz = Ap * Fz + App * az + B2p * bzv + h * dz;
        const double wx = ax + bxv, wy = ay + byv, wz = az + bzv;
        const double dg = B2 * (dF + tau) + B2p * qq; /* δ_im term */
        const double ux = B2 * Fx + B2p * wx, uy = B2 * Fy + B2p * wy, uz = B2 * Fz + B2p * wz;
        a3 += dx * Px + dx * ux + Ap * S0 + B2 * S0 + dg;
        a4 += dy * Px + dx * uy + Ap * S1 + B2 * S3;
        a5 += dz * Px + dx * uz + Ap * S2 + B2 * S6;
        a6 += dx * Py + dy * ux + Ap * S3 + B2 * S1;
        a7 += dy * Py + dy * uy + Ap * S4 + B2 * S4 + dg;
        a8 += dz * Py + dy * uz + Ap * S5 + B2 * S7;
        a9 += dx * Pz + dz * ux + Ap * S6 + B2 * S2;
        a10 += dy * Pz + dz * uy + Ap * S7 + B2 * S5;
        a11 += dz * Pz + dz * uz + Ap * S8 + B2 * S8 + dg;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    acc[4] = a4;
    acc[5] = a5;
    acc[6] = a6;
    acc[7] = a7;
    acc[8] = a8;
    acc[9] = a9;
    acc[10] = a10;
    acc[11] = a11;
}

#define RS_ARGS                                                                                    \
    const rs_ctx *c, double px, double py, double pz, const int *idx, int m, const double *bx,    \
        const double *by, const double *bz, const double *const *bf, const double *const *bt,     \
        double *acc
#define RS_CALL(NC) rs_target_body(c, px, py, pz, idx, m, bx, by, bz, bf, bt, acc, NC)
#define RG_CALL(NC) rs_general_body(c, px, py, pz, idx, m, bx, by, bz, bf, bt, acc, NC)
#define NC_SWITCH(CALL)                                                                            \
    do {                                                                                           \
        if (c->nc == NCHEB_LO)                                                                     \
            CALL(NCHEB_LO);                                                                        \
        else                                                                                       \
            CALL(NCHEB);                                                                           \
    } while (0)
/* bt: the rotlet strengths T (3 arrays) for spheres, or the moments S (9 arrays) if general */
#define RS_BOTH(NC)                                                                                \
    do {                                                                                           \
        if (c->general)                                                                            \
            RG_CALL(NC);                                                                           \
        else                                                                                       \
            RS_CALL(NC);                                                                           \
    } while (0)
#ifdef FR_MV
FR_V4 static void rs_target_v4(RS_ARGS) { NC_SWITCH(RS_BOTH); }
FR_V3 static void rs_target_v3(RS_ARGS) { NC_SWITCH(RS_BOTH); }
#endif
static void rs_target_v0(RS_ARGS) { NC_SWITCH(RS_BOTH); }
static void rs_target(int lvl, RS_ARGS)
{
#ifdef FR_MV
    if (lvl == 2)
        rs_target_v4(c, px, py, pz, idx, m, bx, by, bz, bf, bt, acc);
    else if (lvl == 1)
        rs_target_v3(c, px, py, pz, idx, m, bx, by, bz, bf, bt, acc);
    else
#endif
        rs_target_v0(c, px, py, pz, idx, m, bx, by, bz, bf, bt, acc);
    (void)lvl;
}

static int real_space(fr_stokes_plan *p, int general, const atomic_int *abort)
{
    const rs_ctx ctx = {.xi = p->xi,
                        .rc2 = p->rc2,
                        .c = 2.0 * p->xi / sqrt(M_PI),
                        .cxi2 = 2.0 * p->xi / sqrt(M_PI) * p->xi * p->xi,
                        .cxi4 = 2.0 * p->xi / sqrt(M_PI) * pow(p->xi, 4),
                        .tscale = 2.0 / p->chebX,
                        .cheb = p->cheb,
                        .nc = p->opt.tol >= 1e-4 ? NCHEB_LO : NCHEB,
                        .general = general};
    const double *const bf[3] = {p->sF[0], p->sF[1], p->sF[2]};
    const double *const btT[3] = {p->sT[0], p->sT[1], p->sT[2]};
    const double *const *bt = general ? (const double *const *)p->sS : btT;
#pragma omp parallel for schedule(dynamic, 64) if (p->par)
    for (int s = 0; s < p->n; s++) {
        if (abort && atomic_load_explicit(abort, memory_order_relaxed))
            continue; /* the caller sees the flag and drops the result */
        double acc[12];
        const size_t o = p->nbr_off[s];
        rs_target(p->lvl, &ctx, p->X[s], p->Y[s], p->Z[s], p->nbr + o, (int)(p->nbr_off[s + 1] - o),
                  p->X, p->Y, p->Z, bf, bt, acc);
        for (int a = 0; a < 3; a++)
            p->wur[3 * (size_t)s + a] = INV8PI * acc[a];
        for (int a = 0; a < 9; a++)
            p->wGr[9 * (size_t)s + a] = INV8PI * acc[3 + a];
    }
    return 0;
}

/* ------------------------------------------------------------------ the sum */

static int is_antisymmetric(int n, const double *S)
{
    for (int j = 0; j < n; j++) {
        const double *s = S + 9 * (size_t)j;
        if (s[1] + s[3] != 0.0 || s[2] + s[6] != 0.0 || s[5] + s[7] != 0.0 || s[0] != 0.0 ||
            s[4] != 0.0 || s[8] != 0.0)
            return 0;
    }
    return 1;
}

/* F, S, T = 2 axial(S) in sorted order (AoS for spreading, SoA for the real-space sum). */
static void load_sources(fr_stokes_plan *p, const double *F, const double *S)
{
#pragma omp parallel for schedule(static) if (p->par)
    for (int s = 0; s < p->n; s++) {
        const int j = p->perm[s];
        const double *sj = S + 9 * (size_t)j;
        for (int a = 0; a < 3; a++)
            p->wF[3 * (size_t)s + a] = F[3 * (size_t)j + a];
        for (int a = 0; a < 9; a++)
            p->wS[9 * (size_t)s + a] = sj[a];
        p->wT[3 * (size_t)s] = sj[5] - sj[7];
        p->wT[3 * (size_t)s + 1] = sj[6] - sj[2];
        p->wT[3 * (size_t)s + 2] = sj[1] - sj[3];
        for (int a = 0; a < 3; a++) {
            p->sF[a][s] = p->wF[3 * (size_t)s + a];
            p->sT[a][s] = p->wT[3 * (size_t)s + a];
        }
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

int fr_stokes_fast_abortable(fr_stokes_plan *p, const double *F, const double *S, double *u,
                             double *G, const atomic_int *abort)
{
    const int n = p->n;
    if (!u && !G)
        return 0;
    const int general = !is_antisymmetric(n, S);
    if (n < FR_FAST_MIN_N) {
        double *X = malloc(3 * (size_t)n * sizeof(double));
        if (!X)
            return -1;
        for (int s = 0; s < n; s++) {
            const int j = p->perm[s];
            X[j] = p->X[s];
            X[n + j] = p->Y[s];
            X[2 * n + j] = p->Z[s];
        }
        fr_stokes_direct(n, X, X + n, X + 2 * n, F, S, u, G);
        free(X);
        return 0;
    }
    double tt[6];
    tt[0] = omp_get_wtime();
    load_sources(p, F, S);
    kspace *k = &p->ks;
    tt[1] = omp_get_wtime();
    ks_spread(k, p->X, p->Y, p->Z, p->wF, p->wS);
    tt[2] = omp_get_wtime();
    if (stop(abort))
        return 1;
    if (ks_convolve(k))
        return -1;
    tt[3] = omp_get_wtime();
    if (stop(abort))
        return 1;
    const int nchunk = (n + 255) / 256;
#pragma omp parallel for schedule(dynamic, 1) if (p->par)
    for (int b = 0; b < nchunk; b++) {
        const int s0 = b * 256, m = (n - s0) < 256 ? n - s0 : 256;
        interp_range(k->lvl, k, m, p->X + s0, p->Y + s0, p->Z + s0, p->wu + 3 * (size_t)s0,
                     p->wG + 9 * (size_t)s0);
    }
    tt[4] = omp_get_wtime();
    if (stop(abort))
        return 1;
    if (real_space(p, general, abort))
        return -1;
    tt[5] = omp_get_wtime();
    if (stop(abort))
        return 1;
    /* self terms and output */
    const double A0 = p->xi / (2.0 * pow(M_PI, 1.5));
    const double g0 = 5.0 * p->xi * p->xi * p->xi / (2.0 * pow(M_PI, 1.5));
#pragma omp parallel for schedule(static) if (p->par)
    for (int s = 0; s < n; s++) {
        const int j = p->perm[s];
        const double *f = p->wF + 3 * (size_t)s, *sm = p->wS + 9 * (size_t)s;
        if (u)
            for (int a = 0; a < 3; a++)
                u[3 * (size_t)j + a] += (p->wu[3 * (size_t)s + a] - A0 * f[a]) + p->wur[3 * (size_t)s + a];
        if (G) {
            const double tr = sm[0] + sm[4] + sm[8];
            for (int i = 0; i < 3; i++)
                for (int m = 0; m < 3; m++) {
                    const double self =
                        -g0 * (sm[3 * i + m] / 3.0 -
                               (sm[3 * i + m] + sm[3 * m + i] + (i == m ? tr : 0.0)) / 15.0);
                    G[9 * (size_t)j + 3 * i + m] +=
                        (p->wG[9 * (size_t)s + 3 * i + m] - self) + p->wGr[9 * (size_t)s + 3 * i + m];
                }
        }
    }
    const double t_end = omp_get_wtime();
    p->tph[0] = tt[2] - tt[1];
    p->tph[1] = tt[3] - tt[2];
    p->tph[2] = tt[4] - tt[3];
    p->tph[3] = tt[5] - tt[4];
    p->tph[4] = (tt[1] - tt[0]) + (t_end - tt[5]);
    return 0;
}

/* ------------------------------------------------------------------ grid evaluation */

/* Near-field velocity correction at (px,py,pz) from the m listed sources (general S):
 *   Σ_j (w_j − 1) Φ(d) + Φ_R(d)   [Φ_R only for r < r_c; w = C² cutoff(r/δ) for r < δ, else 1],
 * so that the Fourier part (Φ_F = Φ − Φ_R of every source) plus this is the smoothed (or, δ = 0,
 * the exact) point-source flow. Pairs with r = 0 are masked (handled by the caller). */
typedef struct nf_ctx {
    double xi, rc2, c, cxi2, tscale, delta, idelta;
    const double *cheb;
    int nc;
} nf_ctx;

FR_BODY void nf_point_body(const nf_ctx *c, double px, double py, double pz,
                           const int *restrict idx, int m, const double *restrict bx,
                           const double *restrict by, const double *restrict bz,
                           const double *const *F, const double *const *S, double *out,
                           const int nc)
{
    double u0 = 0, u1 = 0, u2 = 0;
    const double xi = c->xi, rc2 = c->rc2, cc = c->c, cxi2 = c->cxi2, ts = c->tscale,
                 delta = c->delta, idl = c->idelta;
    double cheb[NCHEB];
    memcpy(cheb, c->cheb, sizeof cheb);
    const double *restrict f0 = F[0], *restrict f1 = F[1], *restrict f2 = F[2];
    const double *restrict m0 = S[0], *restrict m1 = S[1], *restrict m2 = S[2], *restrict m3 = S[3],
                           *restrict m4 = S[4], *restrict m5 = S[5], *restrict m6 = S[6],
                           *restrict m7 = S[7], *restrict m8 = S[8];
#pragma omp simd reduction(+ : u0, u1, u2)
    for (int q = 0; q < m; q++) {
        const int j = idx[q];
        const double dx = px - bx[j], dy = py - by[j], dz = pz - bz[j];
        const double r2 = dx * dx + dy * dy + dz * dz;
        const int ok = (r2 > 0.0) & (r2 < 1e200);
        const double r2s = ok ? r2 : rc2; /* a run-time value: a constant would let GCC fold and branch */
        const double ir = rsqrt_nr(r2s), r = r2s * ir, ir2 = ir * ir, ir3 = ir * ir2;
        /* screened part, r < r_c (arithmetic masks keep the loop branch-free: vectorised) */
        const int inr = ok & (r2 < rc2);
        const double mr = (double)inr;
        const double xr = xi * r * mr;
        const double e = exp_neg(-xr * xr);
        const double E = e * cheb_eval(cheb, xr * ts - 1.0, nc);
        const double ce = cc * e;
        const double B2 = mr * (E * ir + ce) * ir2;
        const double A = mr * (E * ir - ce);
        const double Ap = -B2 + 2.0 * mr * cxi2 * e;
        const double B2p = -(3.0 * B2 + 2.0 * mr * cxi2 * e) * ir2;
        /* smoothing weight − 1 on the bare kernel, r < δ */
        const double rho = r * idl;
        const double wc = rho * rho * rho * (10.0 + rho * (-15.0 + 6.0 * rho));
        const double wm1 = (wc - 1.0) * (double)(ok & (r < delta));
        const double cA = A + wm1 * ir, cB2 = B2 + wm1 * ir3, cAp = Ap - wm1 * ir3,
                     cB2p = B2p - 3.0 * wm1 * ir3 * ir2;
        const double Fx = f0[j], Fy = f1[j], Fz = f2[j];
        const double S0 = m0[j], S1 = m1[j], S2 = m2[j], S3 = m3[j], S4 = m4[j], S5 = m5[j],
                     S6 = m6[j], S7 = m7[j], S8 = m8[j];
        const double dF = dx * Fx + dy * Fy + dz * Fz;
        /* Sd, Sᵀd, dᵀSd, tr S */
        const double Sd0 = S0 * dx + S1 * dy + S2 * dz;
        const double Sd1 = S3 * dx + S4 * dy + S5 * dz;
        const double Sd2 = S6 * dx + S7 * dy + S8 * dz;
        const double St0 = S0 * dx + S3 * dy + S6 * dz;
        const double St1 = S1 * dx + S4 * dy + S7 * dz;
        const double St2 = S2 * dx + S5 * dy + S8 * dz;
        const double dSd = dx * Sd0 + dy * Sd1 + dz * Sd2, tr = S0 + S4 + S8;
        const double g = cB2 * dF + cB2p * dSd + cB2 * tr;
        u0 += cA * Fx + cAp * Sd0 + cB2 * St0 + g * dx;
        u1 += cA * Fy + cAp * Sd1 + cB2 * St1 + g * dy;
        u2 += cA * Fz + cAp * Sd2 + cB2 * St2 + g * dz;
    }
    out[0] = INV8PI * u0;
    out[1] = INV8PI * u1;
    out[2] = INV8PI * u2;
}

#define NF_ARGS                                                                                    \
    const nf_ctx *c, double px, double py, double pz, const int *idx, int m, const double *bx,    \
        const double *by, const double *bz, const double *const *F, const double *const *S,       \
        double *out
#define NF_CALL(NC) nf_point_body(c, px, py, pz, idx, m, bx, by, bz, F, S, out, NC)
#ifdef FR_MV
FR_V4 static void nf_point_v4(NF_ARGS) { NC_SWITCH(NF_CALL); }
FR_V3 static void nf_point_v3(NF_ARGS) { NC_SWITCH(NF_CALL); }
#endif
static void nf_point_v0(NF_ARGS) { NC_SWITCH(NF_CALL); }
static void nf_point(int lvl, NF_ARGS)
{
#ifdef FR_MV
    if (lvl == 2)
        nf_point_v4(c, px, py, pz, idx, m, bx, by, bz, F, S, out);
    else if (lvl == 1)
        nf_point_v3(c, px, py, pz, idx, m, bx, by, bz, F, S, out);
    else
#endif
        nf_point_v0(c, px, py, pz, idx, m, bx, by, bz, F, S, out);
    (void)lvl;
}

int fr_stokes_fast_grid(fr_stokes_plan *p, const double *F, const double *S, int n, double lo,
                        double hi, double *ugrid)
{
    return fr_stokes_fast_grid_smoothed(p, F, S, n, lo, hi, 0.0, ugrid);
}

int fr_stokes_fast_grid_smoothed(fr_stokes_plan *p, const double *F, const double *S, int n,
                                 double lo, double hi, double delta, double *ugrid)
{
    if (n < 2 || !(hi > lo) || !isfinite(lo) || !isfinite(hi) || !(delta >= 0.0) ||
        !isfinite(delta))
        return -1;
    /* Fourier engine for targets in [lo, hi]³, cached */
    if (!p->g_have || p->g_lo != lo || p->g_hi != hi) {
        if (p->g_have)
            ks_free(&p->gks);
        p->g_have = 0;
        const double tlo[3] = {lo, lo, lo}, thi[3] = {hi, hi, hi};
        if (ks_init(&p->gks, p->n, p->X, p->Y, p->Z, tlo, thi, p->xi, p->eta, p->h, p->P)) {
            ks_free(&p->gks);
            return -1;
        }
        p->g_have = 1;
        p->g_lo = lo;
        p->g_hi = hi;
    }
    kspace *k = &p->gks;
    load_sources(p, F, S);
    ks_spread(k, p->X, p->Y, p->Z, p->wF, p->wS);
    if (ks_convolve(k))
        return -1;
    const double hg = (hi - lo) / (n - 1);
    const double rad = fmax(p->rc, delta);
    const nf_ctx ctx = {.xi = p->xi,
                        .rc2 = p->rc2,
                        .c = 2.0 * p->xi / sqrt(M_PI),
                        .cxi2 = 2.0 * p->xi / sqrt(M_PI) * p->xi * p->xi,
                        .tscale = 2.0 / p->chebX,
                        .delta = delta,
                        .idelta = delta > 0.0 ? 1.0 / delta : 0.0,
                        .cheb = p->cheb,
                        .nc = p->opt.tol >= 1e-4 ? NCHEB_LO : NCHEB};
    const double A0 = p->xi / (2.0 * pow(M_PI, 1.5));
    const int rcap = ranges_cap(p, rad);
    int fail = 0;
#pragma omp parallel
    {
        double *buf = malloc((size_t)n * 15 * sizeof(double));
        int *rg = malloc(2 * (size_t)rcap * sizeof(int));
        int cap = 1024, *lst = malloc((size_t)cap * sizeof(int));
        if (!buf || !rg || !lst) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 4)
        for (int row = 0; row < n * n; row++) {
            if (!buf || !rg || !lst)
                continue;
            const int jy = row % n, kz = row / n;
            double *tx = buf, *ty = buf + n, *tz = buf + 2 * n, *uu = buf + 3 * n,
                   *gg = buf + 6 * n;
            for (int i = 0; i < n; i++) {
                tx[i] = lo + i * hg;
                ty[i] = lo + jy * hg;
                tz[i] = lo + kz * hg;
            }
            interp_range(k->lvl, k, n, tx, ty, tz, uu, gg);
            for (int i = 0; i < n; i++) {
                const double v[3] = {tx[i], ty[i], tz[i]};
                const int nr = cell_ranges(p, v, rad, rg, rcap);
                int m = 0;
                double self[3] = {0, 0, 0};
                for (int q = 0; q < nr && lst; q++)
                    for (int tq = rg[2 * q]; tq < rg[2 * q + 1]; tq++) {
                        const int t = p->clist[tq];
                        const double dx = v[0] - p->X[t], dy = v[1] - p->Y[t], dz = v[2] - p->Z[t];
                        const double r2 = dx * dx + dy * dy + dz * dz;
                        if (r2 == 0.0) { /* the Fourier part holds Φ_F(0) F_t: remove it */
                            for (int a = 0; a < 3; a++)
                                self[a] -= A0 * p->wF[3 * (size_t)t + a];
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
                nf_point(p->lvl, &ctx, v[0], v[1], v[2], lst, m, p->X, p->Y, p->Z,
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
    return fail ? -1 : 0;
}

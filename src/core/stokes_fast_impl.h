/* Internal to the fast Stokes summation (stokes_fast*.c): the plan, the Fourier engine and the
 * small vector math they share. The method and the contract are in stokes_fast.h; the files:
 *   stokes_fast_plan.c    plan build: density and cost model, cell list (the storage
 *                         order), buffers; options, info, free
 *   stokes_fast_kspace.c  Fourier engine: mid-kernel transform, spreading, FFT convolution,
 *                         interpolation
 *   stokes_fast_real.c    real-space kernels: screened Stokeslet/rotlet/stresslet sums at the
 *                         particles, near-field correction at grid points
 *   stokes_fast.c         the sums: fr_stokes_fast (particles) and fr_stokes_fast_grid*
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
 *   stored on the octant (r2r REDFT00/RODFT00 transforms, on first use).
 *   The vorticity ω = ∇×u_F (all a sphere's rotation W = −½ ε ω needs) comes from the curl of
 *   K instead, (∇×K f)_i = γ(r) (g × f)_i, γ = α'/r − β (stokes_fast_kspace.c: mid_gamma):
 *   three tables, each odd in one axis, and the window's values alone at the targets.
 *   Self terms: Φ_F(0) = ξ/(2π^{3/2}) Id, ∇Φ_F(0) = 0, ∂_m∂_kΦ_F,il(0) S_lk =
 *   −g0 [S_im/3 − (S_im + S_mi + δ_im tr S)/15], g0 = 5ξ³/(2π^{3/2}). */
#ifndef FERRO_STOKES_FAST_IMPL_H
#define FERRO_STOKES_FAST_IMPL_H

#include "simd.h"
#include "stokes_fast.h"

#include <fftw3.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Hot kernels are always_inline bodies compiled three times: x86-64-v4 (AVX-512, 512-bit
 * vectors), x86-64-v3 (AVX2 + FMA) and the baseline, chosen once per plan from the CPU.
 * Results differ between these variants in the last bits but each is deterministic. ISO C mode
 * disables FMA contraction; it is enabled for these files (the pragma reaches every file that
 * includes this header, so all of them contract the same way). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=fast")
#endif
/* (Unlike FR_TARGET_CLONES (simd.h), plain target attributes need no ifunc resolver, so the
 * sanitizer builds keep these variants and test them too.) */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FR_MV 1
#define FR_V4 __attribute__((target("arch=x86-64-v4,prefer-vector-width=512")))
#define FR_V3 __attribute__((target("arch=x86-64-v3")))
#endif
#define FR_BODY static inline __attribute__((always_inline))

/* 2 = v4, 1 = v3, 0 = portable: simd.h's one test of the CPU (0 when not multiversioned). */
static inline int cpu_level(void)
{
#ifdef FR_MV
    return fr_cpu_level();
#else
    return 0;
#endif
}

#define NCHEB 24   /* Chebyshev terms for erfcx on [0, ξ r_c] (tol < 1e-4) */
#define NCHEB_LO 14 /* enough for tol >= 1e-4 (tail < 1e-7) */
#define PVMAX 24    /* padded window widths: 8, 16 or 24 */
#define FR_FAST_MIN_N 400 /* below this the direct sum is faster: fr_stokes_fast uses it */
#define FR_PAR_MIN_N 4000 /* below this fr_stokes_fast runs on one thread (same results) */
#define VL 8       /* near-field lists are padded to a multiple of VL */
#define FR_F32_NPOLY 13      /* erfcx polynomial of the single-precision real space */
#define FR_F32_MIN_TOL 1e-4  /* from this tol up, sphere sources take the float real space */
#define FR_F32_SLACK 16      /* entries past n in the float real space's inputs */

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

/* ------------------------------------------------------------------ Fourier engine */

/* The engine's grids and FFTs in single precision where FFTW's float library is linked
 * (FERRO_KS_FLOAT, set by CMake for native builds): half the memory traffic and the memory of
 * the largest arrays. The budget allows it: FFT round-off ~1e-7 log M relative to the grid's
 * values, the window sums ~1e-6 of their magnitudes, three orders below tol >= 1e-4 (tests
 * compare with the direct sum at every tolerance). The browser's FFTW is double only: there
 * the same code compiles with ks_real = double. The plan-time kernel transform (build_tables)
 * stays in double either way. */
#ifdef FERRO_KS_FLOAT
typedef float ks_real;
typedef fftwf_complex ks_complex;
typedef fftwf_plan ks_plan;
#define KS(name) fftwf_##name
#else
typedef double ks_real;
typedef fftw_complex ks_complex;
typedef fftw_plan ks_plan;
#define KS(name) fftw_##name
#endif
#define KS_ROW (64 / (int)sizeof(ks_complex)) /* complex values per 64 bytes: row padding */
#define KS_CB 16 /* kx columns per block of the y and z passes: a block's buffers stay in L2 */

typedef struct kspace {
    int M[3], Mxh;              /* grid and M[0]/2 + 1 */
    int Cs, Rs, Ms, Ys;         /* row strides of C (complex), R (real), z/y-columns: 64 bytes */
    double h, org[3];           /* grid point (i,j,k) at org + h (i,j,k) */
    int P;
    double aw;                  /* ψ1(y) = exp(−aw y²) */
    double xi, eta;             /* the splitting the tables are built for */
    int s0[3], s1[3];           /* source box [s0, s1) (grid indices) */
    int t0[3], t1[3];           /* target box */
    int u0[3], u1[3];           /* union */
    float *otab[3];             /* the vorticity kernel's (fr_ks_omega_tables), or NULL */
    float *tab[6];              /* xx yy zz xy xz yz on the octant, [fy][fx][fz]: single
                                 * precision (relative 6e-8, far below tol) halves them */
    ks_real *R[3];              /* real rows, the same memory as C: z in [u0z,u1z), y in [0,My),
                                 * x in [0, Mx), row stride Rs = 2 Cs reals */
    ks_complex *C[3];           /* z in [u0z,u1z), ky in [0,My), kx in [0,Mxh) */
    ks_plan xf, xb;             /* x rows, out of place (grid rows <-> complex scratch rows) */
    ks_plan col[2][2][2];       /* y (0) or z (1) columns, forward (0) or backward (1), a block
                                 * of KS_CB (0) or the last Mxh % KS_CB (1); out of place */
    int lvl;                    /* CPU level of the hot kernels */
    int par;                    /* run the per-call loops in parallel (enough work) */
    int PV;                     /* padded window width (8, 16, 24) */
    int slabT, nslab;           /* spreading colouring: z-slabs of slabT planes */
    int *slab_start, *slab_idx; /* sources per slab (increasing index) */
    size_t bytes;
} kspace;

static inline int win_start(double t, int P) { return (int)floor(t - 0.5 * P + 1.0); }

/* Smallest FFT-friendly even size >= max(m, 8): 2^a 3^{0,1} 5^c. */
int fr_ks_nice_size(int m);
/* Build the engine for sources (sx,sy,sz)[0..ns) and targets in the box [tlo, thi] (coordinates;
 * tlo > thi in an axis means: targets = sources); ktab = 0 leaves K's tables to the first
 * fr_ks_k_tables (a sphere's step needs only the vorticity kernel's: 195 MB and ~1 s of the
 * plan at N = 1e6). 0, or −1 out of memory / grid too large. */
int fr_ks_init(kspace *k, int ns, const double *sx, const double *sy, const double *sz,
               const double tlo[3], const double thi[3], double xi, double eta, double h, int P,
               int ktab);
/* K's tables, once (fr_ks_convolve with KS_CONV_K needs them). 0, or −1 out of memory. */
int fr_ks_k_tables(kspace *k);
void fr_ks_free(kspace *k);
/* Spread all sources (deterministic slab colouring) into a zeroed R; F[3] and S[9] per source
 * (structure of arrays), or S = NULL for antisymmetric moments given by T = 2 axial(S). */
void fr_ks_spread(kspace *k, const double *sx, const double *sy, const double *sz,
                  const double *const F[3], const double *const T[3], const double *const S[9]);
/* R (source rows, spread) → R (target rows, convolved). 0, or −1 out of memory. */
int fr_ks_convolve(kspace *k, int omega);
/* The vorticity kernel's tables (once; fr_ks_convolve with omega = 1 needs them). 0, or −1 out
 * of memory. */
int fr_ks_omega_tables(kspace *k);
/* What fr_ks_interp computes: u and G; u only (G may be NULL); only G's off-diagonal entries,
 * all W = ½(G − Gᵀ) needs, with a third fewer sums (G's diagonal and u set to 0). */
enum { KS_UG, KS_U, KS_W, KS_OMEGA };
/* Velocity u[3i..] and gradient G[9i..] at targets tx.. [0..m) from the convolved R. */
void fr_ks_interp(const kspace *k, int out, int m, const double *tx, const double *ty,
                  const double *tz, double *u, double *G);

/* ------------------------------------------------------------------ the plan */

struct fr_stokes_plan {
    int n, lvl;
    int par; /* per-call loops in parallel: n large enough that thread start-up pays off */
    fr_stokes_fast_opts opt;
    double xi, rc, rc2, h, eta, q, xc;
    int P;
    int *perm;              /* storage index → original index */
    double *X, *Y, *Z;      /* positions in storage order (+ a far-away dummy at n) */
    int nc[3], ncell;       /* cell grid, cells of size >= r_c/3 */
    double clo[3], ca[3];   /* cell origin and sizes */
    int *cstart;            /* storage order is cell order (row-major, x fastest, then index):
                             * the particles of cell c are cstart[c] .. cstart[c+1] − 1 */
    double cheb[NCHEB], chebX;
    double poly[FR_F32_NPOLY]; /* erfcx as a power series in t (float real space) */
    int f32;                /* tol >= FR_F32_MIN_TOL: sphere sources take the float real space */
    double neighbours;      /* mean real-space neighbours: estimate, exact after a call */
    kspace ks;
    /* per-call work (storage order), sources with one extra zero entry for the dummy */
    double *wu, *wG;        /* u (3n), G (9n): Fourier part, then + the real-space part */
    double *sF[3], *sT[3];  /* F and the rotlet strengths T = 2 axial(S) */
    double *sS[9];          /* the moments S: allocated on the first general S or grid call */
    /* the float real space's inputs (f32 plans), storage order: positions on an integer
     * lattice of spacing qun about qorg (plan time; differences exact, 4 bytes a coordinate),
     * and the sources in float (per call, by load_sources) */
    int32_t *qX[3];
    double qorg[3], qun;
    float *fF[3], *fT[3];
    double *om[3];          /* the vorticity's near field, storage order (f32 rotation) */
    /* grid engine cache */
    kspace gks;
    int g_have, g_n;
    double g_lo, g_hi, g_xi; /* its box and splitting (stokes_fast.c: grid_splitting) */
    size_t bytes;
    double build_s;
    double tph[5];
};

/* Ranges [rg[2q], rg[2q+1]) of storage indices (cells along x are contiguous there) holding the
 * sources that can lie within rad of v (v anywhere). Returns the number of ranges (<= cap). */
int fr_sf_cell_ranges(const fr_stokes_plan *p, const double v[3], double rad, int *rg, int cap);
/* An upper bound on fr_sf_cell_ranges' count for radius rad. */
int fr_sf_ranges_cap(const fr_stokes_plan *p, double rad);

/* ------------------------------------------------------------------ real space */

/* Screened (real-space) sums at every particle, added to p->wu, p->wG (storage order), from
 * the sources p->sF and p->sT (rotlets; general = 0) or p->sS (general = 1); the neighbours
 * within r_c are found on the fly from the cell list (nothing stored per pair). Gives up early
 * once *abort is set (the caller then drops the result). 0, or −1 out of memory. */
int fr_sf_real_space(fr_stokes_plan *p, int general, const atomic_int *abort);

/* The same in single precision for sphere sources (F, T; stokes_fast_real32.c), a target cell
 * at a time: rot = 0 adds u and G to wu, wG; rot = 1 adds only the antisymmetric part of G
 * (from the vorticity) to wG; nof (with rot only): every F is zero (a uniform field, ferroviz's
 * default), the kernel skips F and the buffers do not carry it (a third of the per-target
 * compaction's stores). 0, or −1 out of memory. */
int fr_sf_real_space_f32(fr_stokes_plan *p, int rot, int nof, const atomic_int *abort);
/* The power coefficients of the plan's erfcx series, truncated to FR_F32_NPOLY terms. */
void fr_sf_poly_from_cheb(const double *cheb, double *poly);

/* Near-field velocity correction at (px,py,pz) from the m listed sources (general S):
 *   Σ_j (w_j − 1) Φ(d) + Φ_R(d)   [Φ_R only for r < r_c; w = C² cutoff(r/δ) for r < δ, else 1],
 * so that the Fourier part (Φ_F = Φ − Φ_R of every source) plus this is the smoothed (or, δ = 0,
 * the exact) point-source flow. Pairs with r = 0 are masked (handled by the caller). */
typedef struct nf_ctx {
    double xi, rc2, c, cxi2, tscale, delta, idelta;
    const double *cheb;
    int nc;
} nf_ctx;
void fr_sf_near_point(int lvl, const nf_ctx *c, double px, double py, double pz, const int *idx,
                      int m, const double *bx, const double *by, const double *bz,
                      const double *const *F, const double *const *S, double *out);

#endif

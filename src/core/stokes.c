/* Direct O(N²) summation of the point-source flows (2.2) — the reference method.
 *
 * Sphere sources (S antisymmetric, the paper's case R = 0) take a structure-of-arrays path:
 * Stokeslet F plus rotlet T = 2 axial(S), vectorised across a block of targets (AVX-512 or
 * AVX2 kernels picked at run time, a portable scalar loop otherwise) so that each target still
 * sums its sources in index order: the result does not depend on the number of OpenMP threads
 * (it may differ in the last bits between the kernels, i.e. between CPUs). Sources with a
 * symmetric moment part (stresslets) take the general kernel of kernels.c. */
#include "stokes.h"
#include "simd.h"

#include "ferro/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLK 8

static const double INV8PI = 1.0 / (8.0 * M_PI);

/* The pair sum below, per target i and source j (d = x_i − x_j, r = |d|, c = T×d, all /8π later):
 *   u_i  += F/r + (d (d·F) + c)/r³                                   [Stokeslet + rotlet, (2.2)]
 *   G_im += (−F_i d_m + d_i F_m + δ_im d·F + ε_ijm T_j)/r³ − 3 d_m (d_i d·F + c_i)/r⁵
 * is factored (−F_i d_m + d_i F_m = ε_imk (d×F)_k, ε_ijm T_j = −ε_imk T_k) as
 *   q = d (d·F) + c,   u += F/r + q/r³,
 *   G_im = δ_im P + ε_imk W_k + g_im  with the sums  P = Σ (d·F)/r³,  W = Σ (d×F − T)/r³,
 *   g_im = −Σ 3 q_i d_m/r⁵,
 * i.e. 16 accumulators (u: 3, P: 1, W: 3, g: 9), combined into G after the loop: ~60 vector
 * operations per pair instead of ~70 term by term. Self (and any coincident pair) excluded by
 * giving d = 0 a zero 1/r. */

/* The 12 sums of the factored form, combined: acc[0..2] = u, acc[3..11] = G row-major. */
#define FR_COMBINE_G(STORE, ADD, SUB, u0, u1, u2, P, W0, W1, W2, g)                               \
    do {                                                                                        \
        STORE(acc[0], u0);                                                                      \
        STORE(acc[1], u1);                                                                      \
        STORE(acc[2], u2);                                                                      \
        STORE(acc[3], ADD(P, g[0]));                                                            \
        STORE(acc[4], ADD(W2, g[1]));                                                           \
        STORE(acc[5], SUB(g[2], W1));                                                           \
        STORE(acc[6], SUB(g[3], W2));                                                           \
        STORE(acc[7], ADD(P, g[4]));                                                            \
        STORE(acc[8], ADD(W0, g[5]));                                                           \
        STORE(acc[9], ADD(W1, g[6]));                                                           \
        STORE(acc[10], SUB(g[7], W0));                                                          \
        STORE(acc[11], ADD(P, g[8]));                                                           \
    } while (0)

/* Portable version: one target at a time, sources in index order. */
static void block_sphere_scalar(int n, double t[3][BLK], int nt, const double *restrict x,
                                const double *restrict y, const double *restrict z,
                                const double *restrict Fs, const double *restrict Ts,
                                double acc[12][BLK])
{
    for (int l = 0; l < nt; l++) {
        double u0 = 0, u1 = 0, u2 = 0, P = 0, W0 = 0, W1 = 0, W2 = 0, g[9] = {0};
        for (int j = 0; j < n; j++) {
            const double dx = t[0][l] - x[j], dy = t[1][l] - y[j], dz = t[2][l] - z[j];
            const double r2 = dx * dx + dy * dy + dz * dz;
            const double ir = r2 > 0.0 ? 1.0 / sqrt(r2) : 0.0;
            const double ir2 = ir * ir, ir3 = ir2 * ir, b = 3.0 * ir2 * ir3;
            const double Fx = Fs[3 * j], Fy = Fs[3 * j + 1], Fz = Fs[3 * j + 2];
            const double Tx = Ts[3 * j], Ty = Ts[3 * j + 1], Tz = Ts[3 * j + 2];
            const double dF = dx * Fx + dy * Fy + dz * Fz;
            const double qx = dx * dF + (Ty * dz - Tz * dy), qy = dy * dF + (Tz * dx - Tx * dz),
                         qz = dz * dF + (Tx * dy - Ty * dx);
            u0 += Fx * ir + qx * ir3;
            u1 += Fy * ir + qy * ir3;
            u2 += Fz * ir + qz * ir3;
            P += dF * ir3;
            W0 += (dy * Fz - (dz * Fy + Tx)) * ir3;
            W1 += (dz * Fx - (dx * Fz + Ty)) * ir3;
            W2 += (dx * Fy - (dy * Fx + Tz)) * ir3;
            const double ax = b * qx, ay = b * qy, az = b * qz;
            g[0] -= ax * dx, g[1] -= ax * dy, g[2] -= ax * dz;
            g[3] -= ay * dx, g[4] -= ay * dy, g[5] -= ay * dz;
            g[6] -= az * dx, g[7] -= az * dy, g[8] -= az * dz;
        }
#define FR_STORE_L(dst, v) ((dst)[l] = (v))
#define FR_ADD_S(a, b) ((a) + (b))
#define FR_SUB_S(a, b) ((a) - (b))
        FR_COMBINE_G(FR_STORE_L, FR_ADD_S, FR_SUB_S, u0, u1, u2, P, W0, W1, W2, g);
#undef FR_STORE_L
#undef FR_ADD_S
#undef FR_SUB_S
    }
}

#ifdef FR_X86_SIMD
/* AVX-512: the BLK = 8 targets in one register per quantity; the 16 accumulators and the
 * temporaries fit the 32 zmm registers (no spills in the loop). 1/r from the 14-bit estimate
 * vrsqrt14pd and two Newton steps y ← y (3/2 − r²y²/2), the last written as y + y (1/2 − r²y²/2)
 * so that it rounds like a correctly rounded 1/√r² up to ~1 ulp (r² = 0 gives y = 0 throughout). */
FR_TARGET_AVX512
static void block_sphere_avx512(int n, double t[3][BLK], const double *restrict x,
                                const double *restrict y, const double *restrict z,
                                const double *restrict Fs, const double *restrict Ts,
                                double acc[12][BLK])
{
    const __m512d tx = _mm512_loadu_pd(t[0]), ty = _mm512_loadu_pd(t[1]),
                  tz = _mm512_loadu_pd(t[2]);
    const __m512d zero = _mm512_setzero_pd(), half = _mm512_set1_pd(0.5),
                  three_half = _mm512_set1_pd(1.5), three = _mm512_set1_pd(3.0);
    __m512d u0 = zero, u1 = zero, u2 = zero, P = zero, W0 = zero, W1 = zero, W2 = zero;
    __m512d g[9];
    for (int k = 0; k < 9; k++)
        g[k] = zero;
    for (int j = 0; j < n; j++) {
        const __m512d dx = _mm512_sub_pd(tx, _mm512_set1_pd(x[j])),
                      dy = _mm512_sub_pd(ty, _mm512_set1_pd(y[j])),
                      dz = _mm512_sub_pd(tz, _mm512_set1_pd(z[j]));
        const __m512d r2 =
            _mm512_fmadd_pd(dz, dz, _mm512_fmadd_pd(dy, dy, _mm512_mul_pd(dx, dx)));
        const __mmask8 nz = _mm512_cmp_pd_mask(r2, zero, _CMP_GT_OQ);
        const __m512d h = _mm512_mul_pd(half, r2);
        __m512d ir = _mm512_maskz_rsqrt14_pd(nz, r2);
        ir = _mm512_mul_pd(ir, _mm512_fnmadd_pd(h, _mm512_mul_pd(ir, ir), three_half));
        ir = _mm512_fmadd_pd(ir, _mm512_fnmadd_pd(_mm512_mul_pd(h, ir), ir, half), ir);
        const __m512d ir2 = _mm512_mul_pd(ir, ir), ir3 = _mm512_mul_pd(ir2, ir),
                      b = _mm512_mul_pd(_mm512_mul_pd(three, ir2), ir3);
        const __m512d Fx = _mm512_set1_pd(Fs[3 * j]), Fy = _mm512_set1_pd(Fs[3 * j + 1]),
                      Fz = _mm512_set1_pd(Fs[3 * j + 2]);
        const __m512d Tx = _mm512_set1_pd(Ts[3 * j]), Ty = _mm512_set1_pd(Ts[3 * j + 1]),
                      Tz = _mm512_set1_pd(Ts[3 * j + 2]);
        const __m512d dF = _mm512_fmadd_pd(dz, Fz, _mm512_fmadd_pd(dy, Fy, _mm512_mul_pd(dx, Fx)));
        const __m512d qx = _mm512_fmadd_pd(dx, dF, _mm512_fmsub_pd(Ty, dz, _mm512_mul_pd(Tz, dy))),
                      qy = _mm512_fmadd_pd(dy, dF, _mm512_fmsub_pd(Tz, dx, _mm512_mul_pd(Tx, dz))),
                      qz = _mm512_fmadd_pd(dz, dF, _mm512_fmsub_pd(Tx, dy, _mm512_mul_pd(Ty, dx)));
        u0 = _mm512_fmadd_pd(qx, ir3, _mm512_fmadd_pd(Fx, ir, u0));
        u1 = _mm512_fmadd_pd(qy, ir3, _mm512_fmadd_pd(Fy, ir, u1));
        u2 = _mm512_fmadd_pd(qz, ir3, _mm512_fmadd_pd(Fz, ir, u2));
        P = _mm512_fmadd_pd(dF, ir3, P);
        W0 = _mm512_fmadd_pd(_mm512_fmsub_pd(dy, Fz, _mm512_fmadd_pd(dz, Fy, Tx)), ir3, W0);
        W1 = _mm512_fmadd_pd(_mm512_fmsub_pd(dz, Fx, _mm512_fmadd_pd(dx, Fz, Ty)), ir3, W1);
        W2 = _mm512_fmadd_pd(_mm512_fmsub_pd(dx, Fy, _mm512_fmadd_pd(dy, Fx, Tz)), ir3, W2);
        const __m512d ax = _mm512_mul_pd(b, qx), ay = _mm512_mul_pd(b, qy),
                      az = _mm512_mul_pd(b, qz);
        g[0] = _mm512_fnmadd_pd(ax, dx, g[0]);
        g[1] = _mm512_fnmadd_pd(ax, dy, g[1]);
        g[2] = _mm512_fnmadd_pd(ax, dz, g[2]);
        g[3] = _mm512_fnmadd_pd(ay, dx, g[3]);
        g[4] = _mm512_fnmadd_pd(ay, dy, g[4]);
        g[5] = _mm512_fnmadd_pd(ay, dz, g[5]);
        g[6] = _mm512_fnmadd_pd(az, dx, g[6]);
        g[7] = _mm512_fnmadd_pd(az, dy, g[7]);
        g[8] = _mm512_fnmadd_pd(az, dz, g[8]);
    }
    FR_COMBINE_G(_mm512_storeu_pd, _mm512_add_pd, _mm512_sub_pd, u0, u1, u2, P, W0, W1, W2, g);
}

/* AVX2 + FMA: 4 targets per register, the BLK block in two passes over the sources (16
 * accumulators already fill the 16 ymm registers; the compiler keeps a few in L1). 1/r as
 * 1/√r² (vsqrtpd, vdivpd), masked to 0 at r² = 0: measured faster here than a float rsqrt
 * estimate + 3 Newton steps, and valid for any r² (no float range). */
FR_TARGET_AVX2
static void half_block_avx2(int n, double t[3][BLK], int off, const double *restrict x,
                            const double *restrict y, const double *restrict z,
                            const double *restrict Fs, const double *restrict Ts,
                            double acc[12][BLK])
{
    const __m256d tx = _mm256_loadu_pd(t[0] + off), ty = _mm256_loadu_pd(t[1] + off),
                  tz = _mm256_loadu_pd(t[2] + off);
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0),
                  three = _mm256_set1_pd(3.0);
    __m256d u0 = zero, u1 = zero, u2 = zero, P = zero, W0 = zero, W1 = zero, W2 = zero;
    __m256d g[9];
    for (int k = 0; k < 9; k++)
        g[k] = zero;
    for (int j = 0; j < n; j++) {
        const __m256d dx = _mm256_sub_pd(tx, _mm256_set1_pd(x[j])),
                      dy = _mm256_sub_pd(ty, _mm256_set1_pd(y[j])),
                      dz = _mm256_sub_pd(tz, _mm256_set1_pd(z[j]));
        const __m256d r2 =
            _mm256_fmadd_pd(dz, dz, _mm256_fmadd_pd(dy, dy, _mm256_mul_pd(dx, dx)));
        const __m256d ir = _mm256_and_pd(_mm256_cmp_pd(r2, zero, _CMP_GT_OQ),
                                         _mm256_div_pd(one, _mm256_sqrt_pd(r2)));
        const __m256d ir2 = _mm256_mul_pd(ir, ir), ir3 = _mm256_mul_pd(ir2, ir),
                      b = _mm256_mul_pd(_mm256_mul_pd(three, ir2), ir3);
        const __m256d Fx = _mm256_set1_pd(Fs[3 * j]), Fy = _mm256_set1_pd(Fs[3 * j + 1]),
                      Fz = _mm256_set1_pd(Fs[3 * j + 2]);
        const __m256d Tx = _mm256_set1_pd(Ts[3 * j]), Ty = _mm256_set1_pd(Ts[3 * j + 1]),
                      Tz = _mm256_set1_pd(Ts[3 * j + 2]);
        const __m256d dF = _mm256_fmadd_pd(dz, Fz, _mm256_fmadd_pd(dy, Fy, _mm256_mul_pd(dx, Fx)));
        const __m256d qx = _mm256_fmadd_pd(dx, dF, _mm256_fmsub_pd(Ty, dz, _mm256_mul_pd(Tz, dy))),
                      qy = _mm256_fmadd_pd(dy, dF, _mm256_fmsub_pd(Tz, dx, _mm256_mul_pd(Tx, dz))),
                      qz = _mm256_fmadd_pd(dz, dF, _mm256_fmsub_pd(Tx, dy, _mm256_mul_pd(Ty, dx)));
        u0 = _mm256_fmadd_pd(qx, ir3, _mm256_fmadd_pd(Fx, ir, u0));
        u1 = _mm256_fmadd_pd(qy, ir3, _mm256_fmadd_pd(Fy, ir, u1));
        u2 = _mm256_fmadd_pd(qz, ir3, _mm256_fmadd_pd(Fz, ir, u2));
        P = _mm256_fmadd_pd(dF, ir3, P);
        W0 = _mm256_fmadd_pd(_mm256_fmsub_pd(dy, Fz, _mm256_fmadd_pd(dz, Fy, Tx)), ir3, W0);
        W1 = _mm256_fmadd_pd(_mm256_fmsub_pd(dz, Fx, _mm256_fmadd_pd(dx, Fz, Ty)), ir3, W1);
        W2 = _mm256_fmadd_pd(_mm256_fmsub_pd(dx, Fy, _mm256_fmadd_pd(dy, Fx, Tz)), ir3, W2);
        const __m256d ax = _mm256_mul_pd(b, qx), ay = _mm256_mul_pd(b, qy),
                      az = _mm256_mul_pd(b, qz);
        g[0] = _mm256_fnmadd_pd(ax, dx, g[0]);
        g[1] = _mm256_fnmadd_pd(ax, dy, g[1]);
        g[2] = _mm256_fnmadd_pd(ax, dz, g[2]);
        g[3] = _mm256_fnmadd_pd(ay, dx, g[3]);
        g[4] = _mm256_fnmadd_pd(ay, dy, g[4]);
        g[5] = _mm256_fnmadd_pd(ay, dz, g[5]);
        g[6] = _mm256_fnmadd_pd(az, dx, g[6]);
        g[7] = _mm256_fnmadd_pd(az, dy, g[7]);
        g[8] = _mm256_fnmadd_pd(az, dz, g[8]);
    }
#define FR_STORE_OFF(dst, v) _mm256_storeu_pd((dst) + off, v)
    FR_COMBINE_G(FR_STORE_OFF, _mm256_add_pd, _mm256_sub_pd, u0, u1, u2, P, W0, W1, W2, g);
#undef FR_STORE_OFF
}
#endif

/* The kernels this CPU runs (simd.h's fr_cpu_level). */
enum { ISA_SCALAR = FR_ISA_SCALAR, ISA_AVX2 = FR_ISA_AVX2, ISA_AVX512 = FR_ISA_AVX512 };
static int direct_isa(void) { return fr_cpu_level(); }

/* u and G = ∇u (unscaled, see above) at targets i0..i0+BLK−1, those past n−1 clamped to n−1. */
static void block_sphere(int isa, int n, int i0, const double *restrict x,
                         const double *restrict y, const double *restrict z,
                         const double *restrict Fs, const double *restrict Ts, double acc[12][BLK])
{
    double t[3][BLK];
    for (int l = 0; l < BLK; l++) {
        const int i = i0 + l < n ? i0 + l : n - 1;
        t[0][l] = x[i];
        t[1][l] = y[i];
        t[2][l] = z[i];
    }
#ifdef FR_X86_SIMD
    if (isa == ISA_AVX512) {
        block_sphere_avx512(n, t, x, y, z, Fs, Ts, acc);
        return;
    }
    if (isa == ISA_AVX2) {
        half_block_avx2(n, t, 0, x, y, z, Fs, Ts, acc);
        if (n - i0 > BLK / 2)
            half_block_avx2(n, t, BLK / 2, x, y, z, Fs, Ts, acc);
        return;
    }
#endif
    (void)isa;
    block_sphere_scalar(n, t, n - i0 < BLK ? n - i0 : BLK, x, y, z, Fs, Ts, acc);
}

static void direct_general(int n, const double *x, const double *y, const double *z,
                           const double *F, const double *S, double *u, double *G)
{
#pragma omp parallel for schedule(dynamic, 64)
    for (int i = 0; i < n; i++) {
        double ui[3] = {0.0, 0.0, 0.0}, Gi[9];
        memset(Gi, 0, sizeof Gi);
        for (int j = 0; j < n; j++) {
            if (j == i)
                continue;
            const double d[3] = {x[i] - x[j], y[i] - y[j], z[i] - z[j]};
            fr_point_source_add(d, F + 3 * j, S + 9 * j, u ? ui : NULL, G ? Gi : NULL);
        }
        if (u)
            for (int k = 0; k < 3; k++)
                u[3 * i + k] += ui[k];
        if (G)
            for (int k = 0; k < 9; k++)
                G[9 * i + k] += Gi[k];
    }
}

void fr_stokes_direct_general(int n, const double *x, const double *y, const double *z,
                              const double *F, const double *S, double *u, double *G)
{
    direct_general(n, x, y, z, F, S, u, G);
}

void fr_stokes_direct(int n, const double *x, const double *y, const double *z, const double *F,
                      const double *S, double *u, double *G)
{
    fr_stokes_direct_abortable(n, x, y, z, F, S, u, G, NULL);
}

/* Rotlet strengths T_j = 2 axial(S_j) of sphere sources, in *T (malloc'ed, caller frees).
 * Returns 0; 1 if some S_j has a symmetric part (stresslets: the general kernel is needed);
 * −1 out of memory. *T is NULL unless 0 is returned. */
static int rotlet_strengths(int n, const double *S, double **T)
{
    *T = NULL;
    double *t = malloc(sizeof(double) * 3 * (size_t)(n > 0 ? n : 1));
    if (!t)
        return -1;
    for (int j = 0; j < n; j++) {
        const double *s = S + 9 * j;
        if (s[1] + s[3] != 0.0 || s[2] + s[6] != 0.0 || s[5] + s[7] != 0.0 || s[0] != 0.0 ||
            s[4] != 0.0 || s[8] != 0.0) {
            free(t);
            return 1;
        }
        t[3 * j] = s[5] - s[7];
        t[3 * j + 1] = s[6] - s[2];
        t[3 * j + 2] = s[1] - s[3];
    }
    *T = t;
    return 0;
}

void fr_stokes_direct_abortable(int n, const double *x, const double *y, const double *z,
                                const double *F, const double *S, double *u, double *G,
                                const atomic_int *abort)
{
    /* any symmetric part means stresslets (or no memory for T): the general path */
    double *T;
    if (rotlet_strengths(n, S, &T) != 0) {
        direct_general(n, x, y, z, F, S, u, G);
        return;
    }
    const int nblk = (n + BLK - 1) / BLK, isa = direct_isa();
#pragma omp parallel for schedule(dynamic, 4)
    for (int b = 0; b < nblk; b++) {
        if (abort && atomic_load_explicit(abort, memory_order_relaxed))
            continue;
        double acc[12][BLK];
        block_sphere(isa, n, b * BLK, x, y, z, F, T, acc);
        for (int l = 0; l < BLK && b * BLK + l < n; l++) {
            const int i = b * BLK + l;
            if (u)
                for (int k = 0; k < 3; k++)
                    u[3 * i + k] += INV8PI * acc[k][l];
            if (G)
                for (int k = 0; k < 9; k++)
                    G[9 * i + k] += INV8PI * acc[3 + k][l];
        }
    }
    free(T);
}

/* Velocity only, at arbitrary targets, from sphere sources (Stokeslet F + rotlet T), each pair
 * multiplied by the C² cutoff ψ(|d|/δ) of kernels.c (ψ = 1 for |d| ≥ δ, so far from every
 * source this is the point-source sum). Vectorised over blocks of targets; deterministic. */
FR_TARGET_CLONES
static void block_targets_smoothed(int n, const double *restrict x, const double *restrict y,
                                   const double *restrict z, const double *restrict Fs,
                                   const double *restrict Ts, const double *restrict tx,
                                   const double *restrict ty, const double *restrict tz,
                                   double inv_delta, double acc[3][BLK])
{
    for (int c = 0; c < 3; c++)
        for (int l = 0; l < BLK; l++)
            acc[c][l] = 0.0;
    for (int j = 0; j < n; j++) {
        const double xj = x[j], yj = y[j], zj = z[j];
        const double Fx = Fs[3 * j], Fy = Fs[3 * j + 1], Fz = Fs[3 * j + 2];
        const double Tx = Ts[3 * j], Ty = Ts[3 * j + 1], Tz = Ts[3 * j + 2];
#pragma omp simd
        for (int l = 0; l < BLK; l++) {
            const double dx = tx[l] - xj, dy = ty[l] - yj, dz = tz[l] - zj;
            const double r2 = dx * dx + dy * dy + dz * dz;
            const double ir = r2 > 0.0 ? 1.0 / sqrt(r2) : 0.0;
            const double ir3 = ir * ir * ir;
            /* ψ(ρ) = ρ³(10 − 15ρ + 6ρ²) with ρ = min(r/δ, 1), written branch-free */
            const double rho = r2 * ir * inv_delta;
            const double rc = 0.5 * (rho + 1.0 - fabs(rho - 1.0));
            const double psi = rc * rc * rc * (10.0 + rc * (-15.0 + 6.0 * rc));
            const double dF = dx * Fx + dy * Fy + dz * Fz;
            acc[0][l] += psi * (Fx * ir + (dx * dF + Ty * dz - Tz * dy) * ir3);
            acc[1][l] += psi * (Fy * ir + (dy * dF + Tz * dx - Tx * dz) * ir3);
            acc[2][l] += psi * (Fz * ir + (dz * dF + Tx * dy - Ty * dx) * ir3);
        }
    }
}

int fr_stokes_grid_smoothed(int n, const double *x, const double *y, const double *z,
                            const double *F, const double *S, int ng, double lo, double hi,
                            double delta, double *u)
{
    return fr_stokes_grid_smoothed_abortable(n, x, y, z, F, S, ng, lo, hi, delta, u, NULL);
}

int fr_stokes_grid_smoothed_abortable(int n, const double *x, const double *y, const double *z,
                                      const double *F, const double *S, int ng, double lo,
                                      double hi, double delta, double *u, const atomic_int *abort)
{
    double *T;
    const int rc = rotlet_strengths(n, S, &T);
    if (rc != 0)
        return rc; /* 1: stresslets, the caller uses the general kernel; −1: out of memory */
    const double h = (hi - lo) / (ng - 1), inv_delta = 1.0 / delta;
    const long npts = (long)ng * ng * ng, nblk = (npts + BLK - 1) / BLK;
#pragma omp parallel for schedule(dynamic, 8)
    for (long b = 0; b < nblk; b++) {
        if (abort && atomic_load_explicit(abort, memory_order_relaxed))
            continue; /* the rest of the grid is skipped */
        double tx[BLK], ty[BLK], tz[BLK], acc[3][BLK];
        for (int l = 0; l < BLK; l++) {
            long g = b * BLK + l;
            if (g >= npts)
                g = npts - 1;
            tx[l] = lo + (g % ng) * h;
            ty[l] = lo + ((g / ng) % ng) * h;
            tz[l] = lo + (g / ((long)ng * ng)) * h;
        }
        block_targets_smoothed(n, x, y, z, F, T, tx, ty, tz, inv_delta, acc);
        for (int l = 0; l < BLK && b * BLK + l < npts; l++)
            for (int c = 0; c < 3; c++)
                u[3 * (b * BLK + l) + c] = INV8PI * acc[c][l];
    }
    free(T);
    return abort && atomic_load_explicit(abort, memory_order_relaxed) ? 2 : 0;
}

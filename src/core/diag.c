/* The series diagnostics (fr_sim_diag) as sums over fixed blocks of FR_CHUNK particles: each
 * block's partial sums in index order, the blocks added in block order — the same bits for any
 * thread count, and cheap enough to compute inside the step while a block is in cache. */
#include "diag.h"

#include "dynamics.h"
#include "simd.h"

/* m0 = tanh(b H·ξ) (1.8) as 1 − 2/(e^{2x} + 1): one vector exp (libmvec), ~1e-16 absolute
 * (what a mean needs), no overflow (e^{2x} = inf gives 1). */
static inline double tanh_exp(double x) { return 1.0 - 2.0 / (exp(2.0 * x) + 1.0); }

/* The loop of block_sums with the field at particle l given by HX, HY, HZ. */
#define BLOCK_SUMS(HX, HY, HZ)                                                                     \
    for (int l = 0; l < cnt; l++) {                                                                \
        const double sg = sigma[l];                                                                \
        const double y0 = s0[l], y1 = s1[l], y2 = s2[l];                                           \
        /* the effective magnetization on the particles' own orientations, as the effective     \
         * velocity (1.10): σ replaced by m0 = tanh(b H·ξ) (README, "Which orientations") */     \
        const double m0 = tanh_exp(b * ((HX) * x0[l] + (HY) * x1[l] + (HZ) * x2[l]));            \
        m0s += sg * x0[l];                                                                         \
        m1s += sg * x1[l];                                                                         \
        m2s += sg * x2[l];                                                                         \
        e0s += m0 * x0[l];                                                                         \
        e1s += m0 * x1[l];                                                                         \
        e2s += m0 * x2[l];                                                                         \
        const double d0 = x0[l] - y0, d1 = x1[l] - y1, d2 = x2[l] - y2;                            \
        msd += d0 * d0 + d1 * d1 + d2 * d2;                                                        \
    }

FR_TARGET_CLONES
static void block_sums(int cnt, int stride, const double *restrict hx, const double *restrict hy,
                       const double *restrict hz, double b, const double *restrict x0,
                       const double *restrict x1, const double *restrict x2,
                       const double *restrict s0, const double *restrict s1,
                       const double *restrict s2, const int8_t *restrict sigma, double out[7])
{
    double m0s = 0, m1s = 0, m2s = 0, e0s = 0, e1s = 0, e2s = 0, msd = 0;
    if (stride == 0) { /* uniform: the field as loop invariants (no gathers) */
        const double h0 = hx[0], h1 = hy[0], h2 = hz[0];
#pragma omp simd reduction(+ : m0s, m1s, m2s, e0s, e1s, e2s, msd)
        BLOCK_SUMS(h0, h1, h2)
    } else {
#pragma omp simd reduction(+ : m0s, m1s, m2s, e0s, e1s, e2s, msd)
        BLOCK_SUMS(hx[l], hy[l], hz[l])
    }
    out[0] = m0s;
    out[1] = m1s;
    out[2] = m2s;
    out[3] = e0s;
    out[4] = e1s;
    out[5] = e2s;
    out[6] = msd;
}
#undef BLOCK_SUMS

/* Σ σ and Σ flips: integers, exact in any order, so one vector loop. */
FR_TARGET_CLONES
static void block_counts(int cnt, const int8_t *restrict sigma, const long long *restrict flips,
                         long long *spin, long long *fl)
{
    long long sp = 0, f = 0;
#pragma omp simd reduction(+ : sp, f)
    for (int l = 0; l < cnt; l++) {
        sp += sigma[l];
        f += flips[l];
    }
    *spin = sp;
    *fl = f;
}

void fr_diag_block(const fr_field *f, double t, double b, int i0, int cnt, double *const X[3],
                   double *const xi[3], double *const xis[3], const int8_t *sigma,
                   const long long *flips, fr_diag_part *out)
{
    /* the uniform part alone (the common case) is the same at every particle */
    const int uniform = f->grad_g == 0.0 && !f->has_magnet;
    double H[3][FR_CHUNK];
    for (int l = 0; l < (uniform ? 1 : cnt); l++) {
        /* a uniform field is the same anywhere: the centres are not read (a cache miss less) */
        const double x[3] = {uniform ? 0.0 : X[0][i0 + l], uniform ? 0.0 : X[1][i0 + l],
                             uniform ? 0.0 : X[2][i0 + l]};
        double h[3];
        fr_field_eval(f, t, x, h, NULL);
        H[0][l] = h[0];
        H[1][l] = h[1];
        H[2][l] = h[2];
    }
    double s[7];
    block_sums(cnt, uniform ? 0 : 1, H[0], H[1], H[2], b, xi[0] + i0, xi[1] + i0, xi[2] + i0,
               xis[0] + i0, xis[1] + i0, xis[2] + i0, sigma + i0, s);
    long long spin, fl;
    block_counts(cnt, sigma + i0, flips + i0, &spin, &fl);
    for (int k = 0; k < 3; k++) {
        out->m[k] = s[k];
        out->e[k] = s[3 + k];
    }
    out->msd = s[6];
    out->spin = spin;
    out->flips = fl;
}

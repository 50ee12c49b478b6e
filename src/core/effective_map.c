/* The effective model's step in a static uniform field as a tabulated scalar map
 * (effective_map.h has the reduction of (1.9) to c = Ĥ·ξ*). */
#include "effective_map.h"

#include "simd.h"

#include <math.h>
#include <stdlib.h>

/* ċ = k tanh(Bc)(1 − c²) for c = c0 + Δ, written in Δ with 1 ∓ c0 exact (Sterbenz for the
 * node values): Δ keeps its relative precision near the poles, where it is tiny. */
static double rate(double k, double B, double c0, double om, double op, double d)
{
    return k * tanh(B * (c0 + d)) * ((om - d) * (op + d));
}

/* Δ = c(h) − c0 by ms RK4 substeps: the reference the table is fitted to. */
static double flow_delta(double k, double B, double h, double c0, int ms)
{
    const double om = 1.0 - c0, op = 1.0 + c0, hs = h / ms;
    double d = 0.0;
    for (int s = 0; s < ms; s++) {
        const double a1 = rate(k, B, c0, om, op, d);
        const double a2 = rate(k, B, c0, om, op, d + 0.5 * hs * a1);
        const double a3 = rate(k, B, c0, om, op, d + 0.5 * hs * a2);
        const double a4 = rate(k, B, c0, om, op, d + hs * a3);
        d += hs / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4);
    }
    return d;
}

/* Fine substeps: RK4's local error ~ (λ hs)⁵/120 with λ ≤ k(1 + 2B) the largest rate of change
 * of ċ; λ hs ≤ 5e-4 keeps it ~1e-19 relative, below the rounding of Δ. */
static int fine_substeps(double k, double B, double h)
{
    const double ms = ceil(k * (1.0 + 2.0 * B) * h / 5e-4);
    return ms < 2.0 ? 2 : ms > 1e6 ? 1000000 : (int)ms;
}

double fr_eff_flow_c(double k, double B, double h, double c, int ms)
{
    return c + flow_delta(k, B, h, c, ms);
}

/* D(c) = Δ/(1 − c²) from the reference. */
static double ref_D(double k, double B, double h, double c, int ms)
{
    return flow_delta(k, B, h, c, ms) / ((1.0 - c) * (1.0 + c));
}

static double table_D(const fr_eff_map *m, double c)
{
    const int n = m->nint;
    const double u = (c + 1.0) * (0.5 * n);
    int i = (int)u;
    i = i < 0 ? 0 : i >= n ? n - 1 : i;
    const double t = 2.0 * (u - i) - 1.0;
    double D = m->coef[FR_EFF_DEG * n + i];
    for (int j = FR_EFF_DEG - 1; j >= 0; j--)
        D = D * t + m->coef[j * n + i];
    return D;
}

double fr_eff_map_c(const fr_eff_map *m, double c)
{
    return c + (1.0 - c) * (1.0 + c) * table_D(m, c);
}

/* Interval i: D at the FR_EFF_DEG + 1 Chebyshev points, the Chebyshev series through them,
 * and that series in powers of the local t ∈ [−1, 1] (degree 7: well conditioned). */
static void fit_interval(fr_eff_map *m, int i, int ms)
{
    enum { NP = FR_EFF_DEG + 1 };
    const int n = m->nint;
    const double lo = -1.0 + 2.0 * i / n, w = 2.0 / n;
    double f[NP], a[NP], T[NP][NP] = {{0}}, b[NP] = {0};
    for (int q = 0; q < NP; q++) {
        const double x = cos(M_PI * (q + 0.5) / NP);
        f[q] = ref_D(m->k, m->B, m->h, lo + 0.5 * w * (x + 1.0), ms);
    }
    for (int j = 0; j < NP; j++) {
        double s = 0.0;
        for (int q = 0; q < NP; q++)
            s += f[q] * cos(M_PI * j * (q + 0.5) / NP);
        a[j] = (j ? 2.0 : 1.0) * s / NP;
    }
    T[0][0] = 1.0; /* monomial coefficients of T_j: T_{j+1} = 2t T_j − T_{j−1} */
    T[1][1] = 1.0;
    for (int j = 1; j + 1 < NP; j++)
        for (int p = 0; p < NP; p++)
            T[j + 1][p] = (p ? 2.0 * T[j][p - 1] : 0.0) - T[j - 1][p];
    for (int j = 0; j < NP; j++)
        for (int p = 0; p < NP; p++)
            b[p] += a[j] * T[j][p];
    for (int p = 0; p < NP; p++)
        m->coef[p * n + i] = b[p];
}

/* Largest |Δc'| against fresh integrations at two points inside each interval (not nodes). */
static double check(const fr_eff_map *m, int ms)
{
    double e = 0.0;
    for (int i = 0; i < m->nint; i++)
        for (int q = 0; q < 2; q++) {
            const double t = q ? 0.71 : -0.43;
            const double c = -1.0 + (2.0 * i + t + 1.0) / m->nint;
            const double w = (1.0 - c) * (1.0 + c);
            e = fmax(e, fabs(w * (table_D(m, c) - ref_D(m->k, m->B, m->h, c, ms))));
        }
    return e;
}

void fr_eff_map_free(fr_eff_map *m)
{
    free(m->coef);
    m->coef = NULL;
    m->nint = 0;
}

int fr_eff_map_prepare(fr_eff_map *m, double k, double B, double h)
{
    if (m->k == k && m->B == B && m->h == h && (m->nint > 0 || m->failed))
        return m->nint > 0 ? 0 : -1; /* made (or found impossible) for these already */
    fr_eff_map_free(m);
    m->k = k;
    m->B = B;
    m->h = h;
    m->failed = 1;
    const int ms = fine_substeps(k, B, h);
    /* tanh(Bc) has its poles at distance π/(2B) from the real axis: intervals ∝ B */
    int n = 8;
    while (n <= FR_EFF_MAX_INT && n < 4.0 * B)
        n *= 2;
    for (; n <= FR_EFF_MAX_INT; n *= 2) {
        /* the fit and the check cost (FR_EFF_DEG + 3) n fine integrations of ms RK4 substeps:
         * beyond ~1e8 rate evaluations (a second) the blocks' RK4 is the better deal */
        if ((double)(FR_EFF_DEG + 3) * n * ms * 4.0 > 1e8)
            break;
        m->coef = malloc((size_t)(FR_EFF_DEG + 1) * n * sizeof(double));
        if (!m->coef)
            break;
        m->nint = n;
        for (int i = 0; i < n; i++)
            fit_interval(m, i, ms);
        m->err = check(m, ms);
        if (m->err <= FR_EFF_TOL) {
            m->failed = 0;
            m->isa = fr_cpu_level();
            for (int j = 0; j <= FR_EFF_DEG; j++)
                for (int i = 0; i < 32; i++)
                    m->perm[j][i] = i < n ? m->coef[j * n + i] : 0.0;
            return 0;
        }
        fr_eff_map_free(m);
    }
    m->nint = 0;
    return -1;
}

FR_TARGET_CLONES
static void apply_kernel(int n, int nint, const double *restrict coef, double ux, double uy,
                         double uz, double *restrict e0, double *restrict e1, double *restrict e2)
{
    const double half = 0.5 * nint;
#pragma omp simd
    for (int l = 0; l < n; l++) {
        const double x0 = e0[l], x1 = e1[l], x2 = e2[l];
        const double c = ux * x0 + uy * x1 + uz * x2;
        const double p0 = x0 - c * ux, p1 = x1 - c * uy, p2 = x2 - c * uz;
        const double u = (c + 1.0) * half;
        int i = (int)u;
        i = i < 0 ? 0 : i >= nint ? nint - 1 : i;
        const double t = 2.0 * (u - i) - 1.0;
        const double *q = coef + i; /* Horner, written out for FR_EFF_DEG = 7 (vectorises) */
        const double D =
            ((((((q[7 * nint] * t + q[6 * nint]) * t + q[5 * nint]) * t + q[4 * nint]) * t +
               q[3 * nint]) * t + q[2 * nint]) * t + q[nint]) * t + q[0];
        const double w = (1.0 - c) * (1.0 + c); /* |p|² */
        const double cn = c + w * D;
        const double s2 = 1.0 - D * (2.0 * c + w * D); /* |p'|²/|p|², see the header */
        const double s = sqrt(fabs(s2)); /* s2 < 0 only by rounding; fabs: no errno branch */
        const double y0 = cn * ux + s * p0, y1 = cn * uy + s * p1, y2 = cn * uz + s * p2;
        /* |y|² = 1 up to rounding: one Newton step of 1/√ puts it back on S² */
        const double f = 1.5 - 0.5 * (y0 * y0 + y1 * y1 + y2 * y2);
        e0[l] = y0 * f;
        e1[l] = y1 * f;
        e2[l] = y2 * f;
    }
}

#ifdef FR_X86_SIMD
/* apply_kernel for tables of at most 32 intervals (b|H| ≤ 8): each coefficient's 32 values sit
 * in four registers and two permutes and a blend read them for 8 particles, where the
 * compiler's vectorisation of the table reads is 8 scalar loads and inserts per coefficient.
 * The same operations in the same order, no FMA: the same bits as apply_kernel. */
FR_TARGET_AVX512
static int apply_perm512(int n, int nint, const double (*perm)[32], double ux, double uy,
                         double uz, double *restrict e0, double *restrict e1, double *restrict e2)
{
    const __m512d vux = _mm512_set1_pd(ux), vuy = _mm512_set1_pd(uy), vuz = _mm512_set1_pd(uz);
    const __m512d one = _mm512_set1_pd(1.0), two = _mm512_set1_pd(2.0);
    const __m512d half = _mm512_set1_pd(0.5 * nint);
    const __m512d c15 = _mm512_set1_pd(1.5), c05 = _mm512_set1_pd(0.5);
    const __m256i lo = _mm256_setzero_si256(), hi = _mm256_set1_epi32(nint - 1);
    const __m512i sixteen = _mm512_set1_epi64(16);
    int l = 0;
    for (; l + 8 <= n; l += 8) {
        const __m512d x0 = _mm512_loadu_pd(e0 + l), x1 = _mm512_loadu_pd(e1 + l),
                      x2 = _mm512_loadu_pd(e2 + l);
        const __m512d c = _mm512_add_pd(
            _mm512_add_pd(_mm512_mul_pd(vux, x0), _mm512_mul_pd(vuy, x1)), _mm512_mul_pd(vuz, x2));
        const __m512d p0 = _mm512_sub_pd(x0, _mm512_mul_pd(c, vux)),
                      p1 = _mm512_sub_pd(x1, _mm512_mul_pd(c, vuy)),
                      p2 = _mm512_sub_pd(x2, _mm512_mul_pd(c, vuz));
        const __m512d u = _mm512_mul_pd(_mm512_add_pd(c, one), half);
        const __m256i i32 = _mm256_min_epi32(_mm256_max_epi32(_mm512_cvttpd_epi32(u), lo), hi);
        const __m512d t =
            _mm512_sub_pd(_mm512_mul_pd(two, _mm512_sub_pd(u, _mm512_cvtepi32_pd(i32))), one);
        const __m512i i = _mm512_cvtepi32_epi64(i32);
        const __mmask8 upper = _mm512_test_epi64_mask(i, sixteen); /* intervals 16..31 */
#define COEF(j)                                                                                    \
    _mm512_mask_blend_pd(upper,                                                                    \
                         _mm512_permutex2var_pd(_mm512_loadu_pd(perm[j]), i,                        \
                                                _mm512_loadu_pd(perm[j] + 8)),                      \
                         _mm512_permutex2var_pd(_mm512_loadu_pd(perm[j] + 16), i,                   \
                                                _mm512_loadu_pd(perm[j] + 24)))
        __m512d D = COEF(7);
        for (int j = 6; j >= 0; j--)
            D = _mm512_add_pd(_mm512_mul_pd(D, t), COEF(j));
#undef COEF
        const __m512d w = _mm512_mul_pd(_mm512_sub_pd(one, c), _mm512_add_pd(one, c));
        const __m512d cn = _mm512_add_pd(c, _mm512_mul_pd(w, D));
        const __m512d s2 = _mm512_sub_pd(
            one, _mm512_mul_pd(D, _mm512_add_pd(_mm512_mul_pd(two, c), _mm512_mul_pd(w, D))));
        const __m512d sq = _mm512_sqrt_pd(_mm512_abs_pd(s2));
        const __m512d y0 = _mm512_add_pd(_mm512_mul_pd(cn, vux), _mm512_mul_pd(sq, p0)),
                      y1 = _mm512_add_pd(_mm512_mul_pd(cn, vuy), _mm512_mul_pd(sq, p1)),
                      y2 = _mm512_add_pd(_mm512_mul_pd(cn, vuz), _mm512_mul_pd(sq, p2));
        const __m512d nn = _mm512_add_pd(
            _mm512_add_pd(_mm512_mul_pd(y0, y0), _mm512_mul_pd(y1, y1)), _mm512_mul_pd(y2, y2));
        const __m512d f = _mm512_sub_pd(c15, _mm512_mul_pd(c05, nn));
        _mm512_storeu_pd(e0 + l, _mm512_mul_pd(y0, f));
        _mm512_storeu_pd(e1 + l, _mm512_mul_pd(y1, f));
        _mm512_storeu_pd(e2 + l, _mm512_mul_pd(y2, f));
    }
    return l;
}
#endif

void fr_eff_map_apply(const fr_eff_map *m, int n, const double u[3], double *restrict e0,
                      double *restrict e1, double *restrict e2)
{
    int l = 0;
#ifdef FR_X86_SIMD
    if (m->isa == FR_ISA_AVX512 && m->nint <= 32)
        l = apply_perm512(n, m->nint, (const double(*)[32])m->perm, u[0], u[1], u[2], e0, e1, e2);
#endif
    apply_kernel(n - l, m->nint, m->coef, u[0], u[1], u[2], e0 + l, e1 + l, e2 + l);
}

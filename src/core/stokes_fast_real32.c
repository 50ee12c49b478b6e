/* Real-space part of the fast Stokes summation in single precision, for sphere sources
 * (Stokeslets + rotlets) at tol >= FR_F32_MIN_TOL (stokes_fast.h; notation in
 * stokes_fast_impl.h). The double-precision path (stokes_fast_real.c) stays for general moments
 * and tighter tolerances.
 *
 * Why it is accurate enough: every pair is evaluated in float (relative rounding ~1e-7 per
 * operation), but on coordinates taken relative to the target cells' centre exactly (integer
 * lattice positions, plan time) before the conversion, so d = x_i − x_j keeps ~1e-7 relative
 * accuracy even for the closest pairs (|d| ≥ the minimal distance, |x − centre| ≤ ~1.2 r_c); erfc by a degree-12 polynomial of
 * erfcx (relative 1.3e-6 on [0, ξ r_c]), e^{−x²} and 1/r to ~2e-7. The ~300 terms per target
 * are summed in float over 16 (8) lanes, the lanes in double (in float in the AVX-512
 * rotation kernel, rot_list_body: ~2e-7 more): ~1e-6 of the sum of magnitudes,
 * three orders below tol. The tests compare with the direct sum at the same bounds as the
 * double path (test_stokes_fast.c).
 *
 * Why it is fast: targets are taken a cell at a time (cells of ~r_c/3, 2–3 particles); the
 * sources that can lie within r_c of any point of the cell are a few contiguous runs of the
 * storage order, copied once per cell into a structure-of-arrays buffer (floats, relative
 * coordinates) that every target of the cell then reads with plain vector loads: no per-target
 * cell search, no index lists, no gathers; pairs beyond r_c are masked (~40% of the buffer).
 *
 * Two kernels: velocity and full gradient (fr_stokes_fast), or only the vorticity ω = ∇×u
 * (fr_stokes_fast_rotation: what a sphere's rotation W = ½(∇u − ∇uᵀ) needs), with
 *   ω = (A'/r − B2) d×F + R'/r (r² T − d (d·T)) + 2 R T   (the curl of A F + B2 d(d·F) + R T×d).
 * The vorticity path evaluates each pair once for both particles (real_space_rot, below).
 * With every F zero (a uniform field) the vorticity path neither copies, compacts nor sums F.
 * Deterministic: every sum runs in a fixed order whatever the thread count. */
#include "stokes_fast_impl.h"

#include <omp.h>
#include <stdlib.h>

#define LANES 16 /* buffer padding: a multiple of every vector width used */
_Static_assert(FR_F32_SLACK >= LANES, "copy_run reads whole chunks of LANES past a run's end");
#define GX 2       /* target cells per group along x */
/* targets per compacted list (AVX-512 rotation path): the compaction and the expansion of the
 * source terms are shared by TPL targets, the kernel masks the pairs of the union of their balls
 * that lie beyond r_c of each. At N = 1e6 (one thread, five alternating rounds) the near field
 * took 0.54 s (median) with 4, 0.57 with 3 and 2 */
#define TPL 4
#define FAR 1e10f /* padding sources: far beyond r_c, finite squares */

/* e^y, −88 < y <= 0, float: 2^k by the exponent bits and a degree-6 polynomial (~2e-7). */
static inline float expf_neg(float y)
{
    const float t = y * 1.44269504f + 12582912.0f; /* 1.5·2^23: round to integer */
    const float kf = t - 12582912.0f;
    const float r = (y - kf * 0.693145752f) - kf * 1.42860677e-6f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    uint32_t tb, pb;
    memcpy(&tb, &t, 4);
    memcpy(&pb, &p, 4);
    pb += tb << 23;
    float s;
    memcpy(&s, &pb, 4);
    return s;
}

/* 1/√x for normal x > 0, float: bit-trick seed and three Newton steps (~1e-7). */
static inline float rsqrtf_nr(float x)
{
    uint32_t i;
    memcpy(&i, &x, 4);
    i = 0x5F375A86u - (i >> 1);
    float y;
    memcpy(&y, &i, 4);
    const float hx = 0.5f * x;
    y = y * (1.5f - hx * y * y);
    y = y * (1.5f - hx * y * y);
    y = y * (1.5f - hx * y * y);
    return y;
}

/* The per-cell source buffer: relative positions, F, T (structure of arrays). */
typedef struct cellbuf {
    float *x, *y, *z, *fx, *fy, *fz, *tx, *ty, *tz;
    int cap;
} cellbuf;

typedef struct r32_ctx {
    float xi, rc2, c, cxi2, cxi4, ts;
    float xits, nxl2e; /* ξ ts and −ξ² log₂e (the AVX-512 vorticity kernel) */
    float poly[FR_F32_NPOLY]; /* erfcx(x) ≈ Σ poly[k] t^k, t = x ts − 1 */
} r32_ctx;

/* The radial coefficients of one pair at squared distance r2, shared by both kernels
 * (notation of stokes_fast_impl.h); all zero outside 0 < r < r_c, where r2s = r_c² keeps the
 * arithmetic finite. Inlined into the vector loops. */
typedef struct radial {
    float r2s, ir2, B2, A, e2, e4, R;
} radial;

FR_BODY radial pair_radial(const r32_ctx *c, const float *P, float r2)
{
    const int in = (r2 > 0.0f) & (r2 < c->rc2);
    const float r2s = in ? r2 : c->rc2, msk = (float)in;
    const float ir = rsqrtf_nr(r2s), r = r2s * ir, ir2 = ir * ir;
    const float x = c->xi * r, t = x * c->ts - 1.0f;
    const float e = expf_neg(-x * x);
    float pe = P[FR_F32_NPOLY - 1];
#pragma GCC unroll 16
    for (int k = FR_F32_NPOLY - 2; k >= 0; k--)
        pe = pe * t + P[k];
    const float irE = e * pe * ir, ce = c->c * e;
    const float B2 = msk * (irE + ce) * ir2, e2 = msk * c->cxi2 * e;
    return (radial){r2s, ir2, B2, msk * (irE - ce), e2, msk * c->cxi4 * e, B2 - e2};
}

/* Velocity (acc[0..2]) and gradient (acc[3..11], G_im = ∂_m u_i) ×8π at (px,py,pz) from the
 * m buffered sources (m a multiple of LANES); r = 0 and r >= r_c masked. */
FR_BODY void full_body(const r32_ctx *c, float px, float py, float pz, const cellbuf *b, int m,
                       double *acc)
{
    float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0,
          a10 = 0, a11 = 0;
    float P[FR_F32_NPOLY];
    memcpy(P, c->poly, sizeof P);
    const float *restrict bx = b->x, *restrict by = b->y, *restrict bz = b->z;
    const float *restrict fx = b->fx, *restrict fy = b->fy, *restrict fz = b->fz;
    const float *restrict tx = b->tx, *restrict ty = b->ty, *restrict tz = b->tz;
#pragma omp simd reduction(+ : a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)
    for (int q = 0; q < m; q++) {
        const float dx = px - bx[q], dy = py - by[q], dz = pz - bz[q];
        const float r2 = dx * dx + dy * dy + dz * dz;
        const radial k = pair_radial(c, P, r2);
        const float ir2 = k.ir2, B2 = k.B2, A = k.A, e2 = k.e2, e4 = k.e4, R = k.R;
        const float Ap = -B2 + 2.0f * e2;
        const float B2p = -(3.0f * B2 + 2.0f * e2) * ir2;
        const float Rp = B2p + 2.0f * e4;
        const float Fx = fx[q], Fy = fy[q], Fz = fz[q], Tx = tx[q], Ty = ty[q], Tz = tz[q];
        const float dF = dx * Fx + dy * Fy + dz * Fz;
        const float cx = Ty * dz - Tz * dy, cy = Tz * dx - Tx * dz, cz = Tx * dy - Ty * dx;
        a0 += A * Fx + B2 * dx * dF + R * cx;
        a1 += A * Fy + B2 * dy * dF + R * cy;
        a2 += A * Fz + B2 * dz * dF + R * cz;
        const float Px = Ap * Fx + B2p * dx * dF + Rp * cx;
        const float Py = Ap * Fy + B2p * dy * dF + Rp * cy;
        const float Pz = Ap * Fz + B2p * dz * dF + Rp * cz;
        const float bdF = B2 * dF;
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
    const float a[12] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11};
    for (int k = 0; k < 12; k++)
        acc[k] = a[k];
}

/* Vorticity ω = ∇×u (×8π) at the target (px,py,pz) from the buffered sources q0 ≤ q < m (see
 * the file comment) into acc, and each pair's term for its source, the same formula with the
 * target's T, F and d → −d: k0 T_i − Rp (d·T_i) d − S d×F_i (only the F term is odd in d),
 * stored at o[q] (add = 0) or added to it (add = 1). nof: every F is zero (a uniform field
 * exerts no force on a dipole), the F terms dropped. */
FR_BODY void rot_pair_body(const r32_ctx *c, float px, float py, float pz, const float Ti[3],
                           const float Fi[3], const cellbuf *b, int q0, int m, double *acc,
                           float *restrict ox, float *restrict oy, float *restrict oz,
                           const int add, const int nof)
{
    float w0 = 0, w1 = 0, w2 = 0;
    float P[FR_F32_NPOLY];
    memcpy(P, c->poly, sizeof P);
    const float *restrict bx = b->x, *restrict by = b->y, *restrict bz = b->z;
    const float *restrict fx = b->fx, *restrict fy = b->fy, *restrict fz = b->fz;
    const float *restrict tx = b->tx, *restrict ty = b->ty, *restrict tz = b->tz;
    const float tix = Ti[0], tiy = Ti[1], tiz = Ti[2], fix = Fi[0], fiy = Fi[1], fiz = Fi[2];
#pragma omp simd reduction(+ : w0, w1, w2)
    for (int q = q0; q < m; q++) {
        const float dx = px - bx[q], dy = py - by[q], dz = pz - bz[q];
        const float r2 = dx * dx + dy * dy + dz * dz;
        const radial k = pair_radial(c, P, r2);
        const float r2s = k.r2s, ir2 = k.ir2, B2 = k.B2, e2 = k.e2, e4 = k.e4, R = k.R;
        const float S = 2.0f * (e2 - B2);                            /* A'/r − B2 */
        const float Rp = -(3.0f * B2 + 2.0f * e2) * ir2 + 2.0f * e4; /* R'/r */
        const float Tx = tx[q], Ty = ty[q], Tz = tz[q];
        const float dT = dx * Tx + dy * Ty + dz * Tz, dTi = dx * tix + dy * tiy + dz * tiz;
        const float k0 = Rp * r2s + 2.0f * R, k1 = Rp * dT, k1i = Rp * dTi;
        float o0 = k0 * tix - k1i * dx, o1 = k0 * tiy - k1i * dy, o2 = k0 * tiz - k1i * dz;
        if (nof) {
            w0 += k0 * Tx - k1 * dx;
            w1 += k0 * Ty - k1 * dy;
            w2 += k0 * Tz - k1 * dz;
        } else {
            const float Fx = fx[q], Fy = fy[q], Fz = fz[q];
            w0 += S * (dy * Fz - dz * Fy) + k0 * Tx - k1 * dx;
            w1 += S * (dz * Fx - dx * Fz) + k0 * Ty - k1 * dy;
            w2 += S * (dx * Fy - dy * Fx) + k0 * Tz - k1 * dz;
            o0 -= S * (dy * fiz - dz * fiy);
            o1 -= S * (dz * fix - dx * fiz);
            o2 -= S * (dx * fiy - dy * fix);
        }
        if (add) {
            ox[q] += o0;
            oy[q] += o1;
            oz[q] += o2;
        } else {
            ox[q] = o0;
            oy[q] = o1;
            oz[q] = o2;
        }
    }
    acc[0] = w0;
    acc[1] = w1;
    acc[2] = w2;
}

/* A float array of cap entries on a 64-byte boundary holding the first keep of old (freed):
 * the kernels' whole-vector accesses at multiples of LANES then never straddle two cache lines
 * (realloc's 16-byte boundary made nearly every one do so). NULL (old kept) out of memory. */
static float *grow64(float *old, int keep, int cap)
{
    float *q = aligned_alloc(64, ((size_t)cap * sizeof(float) + 63) / 64 * 64);
    if (!q)
        return NULL;
    if (old)
        memcpy(q, old, (size_t)keep * sizeof(float));
    free(old);
    return q;
}

static int buf_grow(cellbuf *b, int need)
{
    if (need <= b->cap)
        return 0;
    const int cap = 2 * need;
    float **arr[9] = {&b->x, &b->y, &b->z, &b->fx, &b->fy, &b->fz, &b->tx, &b->ty, &b->tz};
    for (int a = 0; a < 9; a++) {
        float *q = grow64(*arr[a], b->cap, cap);
        if (!q)
            return -1;
        *arr[a] = q;
    }
    b->cap = cap;
    return 0;
}

static void buf_free(cellbuf *b)
{
    free(b->x);
    free(b->y);
    free(b->z);
    free(b->fx);
    free(b->fy);
    free(b->fz);
    free(b->tx);
    free(b->ty);
    free(b->tz);
}

/* Lattice coordinate (plan's qX) relative to the lattice point c, in float: the difference
 * is exact, the conversion and the scaling round once each (relative ~1e-7). */
FR_BODY float rel_coord(int32_t q, int32_t c, float qun) { return (float)(q - c) * qun; }

/* One run of sources [t0, t0 + len) appended at m: whole chunks of LANES, the last one
 * running past the run's end (the next run or the padding overwrites it; the plan's arrays
 * have LANES entries of slack). A run holds ~30 sources: per-array loops with remainders
 * cost more than the copying. */
FR_BODY void copy_run(const fr_stokes_plan *p, int t0, int len, const int32_t c[3], float qun,
                      cellbuf *b, int m, const int nof)
{
    for (int q = 0; q < len; q += LANES) {
        const int s = t0 + q, d = m + q;
#pragma omp simd
        for (int l = 0; l < LANES; l++) {
            b->x[d + l] = rel_coord(p->qX[0][s + l], c[0], qun);
            b->y[d + l] = rel_coord(p->qX[1][s + l], c[1], qun);
            b->z[d + l] = rel_coord(p->qX[2][s + l], c[2], qun);
            b->tx[d + l] = p->fT[0][s + l];
            b->ty[d + l] = p->fT[1][s + l];
            b->tz[d + l] = p->fT[2][s + l];
        }
        if (!nof)
#pragma omp simd
            for (int l = 0; l < LANES; l++) {
                b->fx[d + l] = p->fF[0][s + l];
                b->fy[d + l] = p->fF[1][s + l];
                b->fz[d + l] = p->fF[2][s + l];
            }
    }
}

/* The rows of cells that can hold sources within r_c of a cell: offsets (dy, dz) in
 * [−ky, ky] × [−kz, kz] and for each the half-width wx in cells along x (−1: none). Cell
 * offsets d along an axis leave a gap of (|d| − 1) ca between the cells' boxes. */
typedef struct rowtab {
    int ky, kz;
    int *wx;
} rowtab;

static int rowtab_make(const fr_stokes_plan *p, rowtab *t)
{
    const double *ca = p->ca, rc2 = p->rc2;
    t->kz = 1 + (int)ceil(p->rc / ca[2]);
    t->ky = 1 + (int)ceil(p->rc / ca[1]);
    t->wx = malloc((size_t)(2 * t->ky + 1) * (2 * t->kz + 1) * sizeof(int));
    if (!t->wx)
        return -1;
    for (int dz = -t->kz; dz <= t->kz; dz++)
        for (int dy = -t->ky; dy <= t->ky; dy++) {
            const double gz = (abs(dz) > 1 ? abs(dz) - 1 : 0) * ca[2];
            const double gy = (abs(dy) > 1 ? abs(dy) - 1 : 0) * ca[1];
            const double rem = rc2 - gy * gy - gz * gz;
            t->wx[(dz + t->kz) * (2 * t->ky + 1) + dy + t->ky] =
                rem <= 0.0 ? -1 : 1 + (int)floor(sqrt(rem) / ca[0]);
        }
    return 0;
}

/* The buffer's m entries padded to a multiple of LANES with far-away zero sources. Returns the
 * padded count, or −1 out of memory. */
static int pad_buf(cellbuf *b, int m)
{
    if (buf_grow(b, m + LANES))
        return -1;
    while (m % LANES) {
        b->x[m] = b->y[m] = b->z[m] = FAR;
        b->fx[m] = b->fy[m] = b->fz[m] = b->tx[m] = b->ty[m] = b->tz[m] = 0.0f;
        m++;
    }
    return m;
}

/* The centre of the cells (ix..ix1, iy, iz) on the lattice: the buffers' coordinates are
 * relative to it. */
static void group_centre(const fr_stokes_plan *p, int ix, int ix1, int iy, int iz, int32_t qc[3])
{
    const double ctr[3] = {p->clo[0] + 0.5 * (ix + ix1 + 1) * p->ca[0],
                           p->clo[1] + (iy + 0.5) * p->ca[1], p->clo[2] + (iz + 0.5) * p->ca[2]};
    for (int a = 0; a < 3; a++)
        qc[a] = (int32_t)lrint((ctr[a] - p->qorg[a]) / p->qun);
}

/* The sources of cells xa..xb of one cell row (first cell index row) appended to b at slot m
 * (copy_run); their first storage index in *t0. The new count (m for an empty run), or -1 out
 * of memory. */
FR_BODY int append_run(const fr_stokes_plan *p, int row, int xa, int xb, const int32_t ctr[3],
                       cellbuf *b, int m, const int nof, int *t0)
{
    *t0 = p->cstart[row + xa];
    const int len = p->cstart[row + xb + 1] - *t0;
    if (len == 0)
        return m;
    if (buf_grow(b, m + len + LANES))
        return -1;
    copy_run(p, *t0, len, ctr, (float)p->qun, b, m, nof);
    return m + len;
}

/* Copy the sources that may lie within r_c of cells (ix..ix1, iy, iz) into b, positions relative to
 * ctr (nof: without F, all zero); padded to LANES. Returns the padded count, or −1 out of
 * memory. */
FR_BODY int fill_cell(const fr_stokes_plan *p, const rowtab *rt, int ix, int ix1, int iy,
                      int iz, const int32_t ctr[3], cellbuf *b, const int nof)
{
    const int *nc = p->nc;
    const int ky = rt->ky, kz = rt->kz;
    const int z0 = iz - kz < 0 ? -iz : -kz, z1 = iz + kz >= nc[2] ? nc[2] - 1 - iz : kz;
    const int y0 = iy - ky < 0 ? -iy : -ky, y1 = iy + ky >= nc[1] ? nc[1] - 1 - iy : ky;
    int m = 0;
    for (int dz = z0; dz <= z1; dz++)
        for (int dy = y0; dy <= y1; dy++) {
            const int wx = rt->wx[(dz + kz) * (2 * ky + 1) + dy + ky];
            if (wx < 0)
                continue;
            const int xa = ix - wx < 0 ? 0 : ix - wx, xb = ix1 + wx >= nc[0] ? nc[0] - 1 : ix1 + wx;
            int t0;
            m = append_run(p, ((iz + dz) * nc[1] + iy + dy) * nc[0], xa, xb, ctr, b, m, nof, &t0);
            if (m < 0)
                return -1;
        }
    return pad_buf(b, m);
}

#ifdef FR_MV
#include <immintrin.h>
/* AVX-512: the buffered sources q0 ≤ q < m within r_c of any of the nt (≤ TPL) targets
 * (0 < r² < r_c², the kernel's own mask), compressed in buffer order into o and padded to LANES;
 * returns the padded count. The masks per chunk of LANES slots go to mk (unless NULL). The cell
 * buffer covers ~3× the ball's volume: the kernels then do a third of the work. */
FR_V4 static int compact_v4(const cellbuf *b, int q0, int m, const float (*pos)[3], int nt,
                            float rc2, cellbuf *o, uint16_t *mk, int nof)
{
    const __m512 vr = _mm512_set1_ps(rc2), zero = _mm512_setzero_ps();
    const float *src[9] = {b->x, b->y, b->z, b->fx, b->fy, b->fz, b->tx, b->ty, b->tz};
    float *dst[9] = {o->x, o->y, o->z, o->fx, o->fy, o->fz, o->tx, o->ty, o->tz};
    int k = 0;
    for (int q = q0 / LANES * LANES; q < m; q += 16) {
        const __m512 bx = _mm512_loadu_ps(b->x + q), by = _mm512_loadu_ps(b->y + q),
                     bz = _mm512_loadu_ps(b->z + q);
        __mmask16 ok = 0;
        for (int t = 0; t < nt; t++) {
            const __m512 dx = _mm512_sub_ps(_mm512_set1_ps(pos[t][0]), bx);
            const __m512 dy = _mm512_sub_ps(_mm512_set1_ps(pos[t][1]), by);
            const __m512 dz = _mm512_sub_ps(_mm512_set1_ps(pos[t][2]), bz);
            const __m512 r2 =
                _mm512_fmadd_ps(dz, dz, _mm512_fmadd_ps(dy, dy, _mm512_mul_ps(dx, dx)));
            ok |= _mm512_cmp_ps_mask(r2, zero, _CMP_GT_OQ) & _mm512_cmp_ps_mask(r2, vr, _CMP_LT_OQ);
        }
        if (q < q0)
            ok &= (__mmask16)(0xFFFFu << (q0 - q));
        if (mk)
            mk[q / LANES] = ok;
        if (!ok)
            continue;
        for (int a = 0; a < 9; a++)
            if (!nof || a < 3 || a > 5)
                _mm512_storeu_ps(dst[a] + k,
                                 _mm512_maskz_compress_ps(ok, _mm512_loadu_ps(src[a] + q)));
        k += __builtin_popcount(ok);
    }
    const __m512 far = _mm512_set1_ps(FAR);
    for (int a = 0; a < 9; a++)
        if (!nof || a < 3 || a > 5)
            _mm512_storeu_ps(dst[a] + k, a < 3 ? far : zero);
    return (k + LANES - 1) / LANES * LANES;
}

/* A target of the vorticity pairs: position (buffer coordinates), torque, force. */
typedef struct rot_tgt {
    float p[3], T[3], F[3];
    int skip; /* the list's first entries that are the group's targets up to this one */
} rot_tgt;

/* rot_pair_body (add = 0) for nt (≤ TPL) targets over one compacted list, by hand in AVX-512:
 * the same terms, but 1/√r² from rsqrt14 (relative 2^−14) and one Newton step (~5e-9, below
 * float rounding; the portable bit-trick seed needs three), and the polynomials' coefficients
 * held in registers. A list serves TPL targets (the union of their balls, each pair masked for
 * each target by 0 < r < r_c and by its skip): the compaction and the expansion of the source
 * terms are shared, at more pairs than a list per target (~15% for two targets: those of a
 * group lie ~r_c/5 apart). Each target's ω to acc[3t..3t+2]; the source terms, summed over the
 * targets (target 0 first), to o[q]. */
FR_V4 FR_BODY void rot_list_body(const r32_ctx *c, const rot_tgt *tg, const int nt,
                                 const cellbuf *b, int m, double *acc, float *restrict ox,
                                 float *restrict oy, float *restrict oz, const int nof)
{
    __m512 P[FR_F32_NPOLY];
    for (int k = 0; k < FR_F32_NPOLY; k++)
        P[k] = _mm512_set1_ps(c->poly[k]);
    /* 2^f, |f| ≤ ½: Taylor series of e^{f ln 2} to degree 6 (~2e-7, as expf_neg) */
    __m512 X2[7];
    for (int k = 0; k < 7; k++) {
        double ck = 1.0;
        for (int j = 1; j <= k; j++)
            ck *= M_LN2 / j;
        X2[k] = _mm512_set1_ps((float)ck);
    }
    const __m512 rc2 = _mm512_set1_ps(c->rc2), zero = _mm512_setzero_ps();
    const __m512 xits = _mm512_set1_ps(c->xits), nxl2e = _mm512_set1_ps(c->nxl2e),
                 one = _mm512_set1_ps(1.0f), cc = _mm512_set1_ps(c->c),
                 half = _mm512_set1_ps(0.5f), three = _mm512_set1_ps(3.0f),
                 threehalf = _mm512_set1_ps(1.5f);
    /* k0 = −B2 + e (2cξ⁴ r² − 4cξ²), Rp = −3 B2/r² + e (2cξ⁴ − 2cξ²/r²), S = 2(cξ² e − B2):
     * rot_pair_body's k0 = Rp r² + 2R and Rp with e2 = cξ² e, e4 = cξ⁴ e, R = B2 − e2 expanded */
    const __m512 c4x2 = _mm512_set1_ps(2.0f * c->cxi4), c2x4 = _mm512_set1_ps(4.0f * c->cxi2),
                 c2x2 = _mm512_set1_ps(2.0f * c->cxi2);
    __m512 w[TPL][3];
    for (int t = 0; t < TPL; t++)
        w[t][0] = w[t][1] = w[t][2] = zero;
    for (int q = 0; q < m; q += 16) {
        const __m512 bx = _mm512_loadu_ps(b->x + q), by = _mm512_loadu_ps(b->y + q),
                     bz = _mm512_loadu_ps(b->z + q);
        const __m512 Tx = _mm512_loadu_ps(b->tx + q), Ty = _mm512_loadu_ps(b->ty + q),
                     Tz = _mm512_loadu_ps(b->tz + q);
        __m512 o0 = zero, o1 = zero, o2 = zero;
        for (int t = 0; t < nt; t++) {
            const rot_tgt *g = tg + t;
            const __m512 dx = _mm512_sub_ps(_mm512_set1_ps(g->p[0]), bx),
                         dy = _mm512_sub_ps(_mm512_set1_ps(g->p[1]), by),
                         dz = _mm512_sub_ps(_mm512_set1_ps(g->p[2]), bz);
            const __m512 r2 =
                _mm512_fmadd_ps(dz, dz, _mm512_fmadd_ps(dy, dy, _mm512_mul_ps(dx, dx)));
            const __mmask16 in = _mm512_cmp_ps_mask(r2, zero, _CMP_GT_OQ) &
                                 _mm512_cmp_ps_mask(r2, rc2, _CMP_LT_OQ) &
                                 (__mmask16)(q ? 0xFFFFu : 0xFFFFu << g->skip);
            const __m512 r2s = _mm512_mask_blend_ps(in, rc2, r2);
            __m512 ir = _mm512_rsqrt14_ps(r2s);
            ir = _mm512_mul_ps(ir, _mm512_fnmadd_ps(_mm512_mul_ps(half, r2s),
                                                    _mm512_mul_ps(ir, ir), threehalf));
            const __m512 r = _mm512_mul_ps(r2s, ir), ir2 = _mm512_mul_ps(ir, ir);
            /* e^{−x²} = 2^y, y = −ξ² r² log₂e: y = k + f, k integer, |f| ≤ ½ (exact) */
            const __m512 y = _mm512_mul_ps(r2s, nxl2e);
            const __m512 kf =
                _mm512_roundscale_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            const __m512 f = _mm512_sub_ps(y, kf);
            __m512 pe = X2[6];
            for (int k = 5; k >= 0; k--)
                pe = _mm512_fmadd_ps(pe, f, X2[k]);
            const __m512 e = _mm512_scalef_ps(pe, kf);
            /* erfcx(ξ r) by the polynomial in t = ξ r ts − 1 */
            const __m512 tt = _mm512_fmsub_ps(r, xits, one);
            __m512 pc = P[FR_F32_NPOLY - 1];
            for (int k = FR_F32_NPOLY - 2; k >= 0; k--)
                pc = _mm512_fmadd_ps(pc, tt, P[k]);
            /* B2 = (erfc(ξr)/r + c e)/r², zero outside 0 < r < r_c (as every e term) */
            const __m512 B2 =
                _mm512_maskz_mul_ps(in, _mm512_mul_ps(_mm512_fmadd_ps(pc, ir, cc), e), ir2);
            const __m512 k0 =
                _mm512_sub_ps(_mm512_maskz_mul_ps(in, e, _mm512_fmsub_ps(c4x2, r2s, c2x4)), B2);
            const __m512 Rp =
                _mm512_fnmadd_ps(three, _mm512_mul_ps(B2, ir2),
                                 _mm512_maskz_mul_ps(in, e, _mm512_fnmadd_ps(c2x2, ir2, c4x2)));
            const __m512 dT =
                _mm512_fmadd_ps(dz, Tz, _mm512_fmadd_ps(dy, Ty, _mm512_mul_ps(dx, Tx)));
            const __m512 tix = _mm512_set1_ps(g->T[0]), tiy = _mm512_set1_ps(g->T[1]),
                         tiz = _mm512_set1_ps(g->T[2]);
            const __m512 dTi =
                _mm512_fmadd_ps(dz, tiz, _mm512_fmadd_ps(dy, tiy, _mm512_mul_ps(dx, tix)));
            const __m512 k1 = _mm512_mul_ps(Rp, dT), k1i = _mm512_mul_ps(Rp, dTi);
            /* o += k0 T_i − k1i d; ω += k0 T − k1 d */
            o0 = _mm512_fnmadd_ps(k1i, dx, _mm512_fmadd_ps(k0, tix, o0));
            o1 = _mm512_fnmadd_ps(k1i, dy, _mm512_fmadd_ps(k0, tiy, o1));
            o2 = _mm512_fnmadd_ps(k1i, dz, _mm512_fmadd_ps(k0, tiz, o2));
            w[t][0] = _mm512_fnmadd_ps(k1, dx, _mm512_fmadd_ps(k0, Tx, w[t][0]));
            w[t][1] = _mm512_fnmadd_ps(k1, dy, _mm512_fmadd_ps(k0, Ty, w[t][1]));
            w[t][2] = _mm512_fnmadd_ps(k1, dz, _mm512_fmadd_ps(k0, Tz, w[t][2]));
            if (!nof) {
                const __m512 S = _mm512_sub_ps(_mm512_maskz_mul_ps(in, c2x2, e),
                                               _mm512_add_ps(B2, B2));
                const __m512 Fx = _mm512_loadu_ps(b->fx + q), Fy = _mm512_loadu_ps(b->fy + q),
                             Fz = _mm512_loadu_ps(b->fz + q);
                const __m512 fix = _mm512_set1_ps(g->F[0]), fiy = _mm512_set1_ps(g->F[1]),
                             fiz = _mm512_set1_ps(g->F[2]);
                w[t][0] =
                    _mm512_fmadd_ps(S, _mm512_fmsub_ps(dy, Fz, _mm512_mul_ps(dz, Fy)), w[t][0]);
                w[t][1] =
                    _mm512_fmadd_ps(S, _mm512_fmsub_ps(dz, Fx, _mm512_mul_ps(dx, Fz)), w[t][1]);
                w[t][2] =
                    _mm512_fmadd_ps(S, _mm512_fmsub_ps(dx, Fy, _mm512_mul_ps(dy, Fx)), w[t][2]);
                o0 = _mm512_fnmadd_ps(S, _mm512_fmsub_ps(dy, fiz, _mm512_mul_ps(dz, fiy)), o0);
                o1 = _mm512_fnmadd_ps(S, _mm512_fmsub_ps(dz, fix, _mm512_mul_ps(dx, fiz)), o1);
                o2 = _mm512_fnmadd_ps(S, _mm512_fmsub_ps(dx, fiy, _mm512_mul_ps(dy, fix)), o2);
            }
        }
        _mm512_storeu_ps(ox + q, o0);
        _mm512_storeu_ps(oy + q, o1);
        _mm512_storeu_ps(oz + q, o2);
    }
    for (int t = 0; t < nt; t++)
        for (int a = 0; a < 3; a++)
            acc[3 * t + a] = _mm512_reduce_add_ps(w[t][a]);
}
#define ROT_LIST(NT, NOF)                                                                          \
    FR_V4 static void rot_list_##NT##_##NOF(const r32_ctx *c, const rot_tgt *tg, const cellbuf *b, \
                                            int m, double *acc, halfbuf *h)                        \
    {                                                                                              \
        rot_list_body(c, tg, NT, b, m, acc, h->ox, h->oy, h->oz, NOF);                             \
    }
#endif

/* One group of GX target cells along x (a cell holds ~2.7 particles: the buffer is shared by
 * ~5, at ~15% more candidates than one cell's): its buffer, then each of its particles' u and
 * G added to wu/wG. 0, or −1 out of memory. */
FR_BODY int cell_body(fr_stokes_plan *p, const r32_ctx *ctx, const rowtab *rt, int grp,
                      cellbuf *b, cellbuf *o, const int v4)
{
    const int ngx = (p->nc[0] + GX - 1) / GX;
    const int ix = grp % ngx * GX, iy = (grp / ngx) % p->nc[1], iz = grp / (ngx * p->nc[1]);
    const int ix1 = ix + GX - 1 < p->nc[0] ? ix + GX - 1 : p->nc[0] - 1;
    const int row = (iz * p->nc[1] + iy) * p->nc[0];
    const int s0 = p->cstart[row + ix], s1 = p->cstart[row + ix1 + 1];
    if (s0 == s1)
        return 0;
    int32_t qc[3];
    group_centre(p, ix, ix1, iy, iz, qc);
    const int m = fill_cell(p, rt, ix, ix1, iy, iz, qc, b, 0);
    if (m < 0 || (v4 && buf_grow(o, m + LANES)))
        return -1;
    const float qun = (float)p->qun;
    for (int s = s0; s < s1; s++) {
        const float px = rel_coord(p->qX[0][s], qc[0], qun),
                    py = rel_coord(p->qX[1][s], qc[1], qun),
                    pz = rel_coord(p->qX[2][s], qc[2], qun);
        const cellbuf *src = b;
        int mm = m;
#ifdef FR_MV
        if (v4) {
            const float pos[1][3] = {{px, py, pz}};
            mm = compact_v4(b, 0, m, pos, 1, ctx->rc2, o, NULL, 0);
            src = o;
        }
#endif
        double acc[12];
        full_body(ctx, px, py, pz, src, mm, acc);
        for (int a = 0; a < 3; a++)
            p->wu[3 * (size_t)s + a] += INV8PI * acc[a];
        for (int a = 0; a < 9; a++)
            p->wG[9 * (size_t)s + a] += INV8PI * acc[3 + a];
    }
    return 0;
}

/* ---- The vorticity with each pair evaluated once (Newton's third law), for the step ------
 * A group's buffer holds only the sources after its targets in storage order: its own row of
 * cells from the group on (first, so that target s pairs with the slots after s − s0), then
 * the rows above (dz > 0, or dz = 0 and dy > 0). Each pair (i < j) is thus evaluated once, in
 * i's group: ω_i from T_j (rot_pair_body's acc), and j's term from T_i summed in float per
 * buffer slot over the group's targets, then added to om[j]. Groups that could write the same
 * particle never run at the same time: a task is a block of 2ky + 1 rows of groups (one z),
 * done in order by one thread; the blocks are coloured by (y-block mod 2, z mod kz + 1), the
 * extent of their write regions, and the colours run in a fixed order with a barrier between
 * them, so every particle receives its terms in the same order whatever the thread count:
 * bit-identical for any number of threads. */
typedef struct halfbuf {
    float *ax, *ay, *az; /* the sources' terms, per buffer slot */
    float *ox, *oy, *oz; /* the same per compacted pair (v4) */
    uint16_t *mk;        /* the compaction's mask per chunk of LANES slots (v4) */
    int cap;
    int *sid;            /* the source (storage index) in each buffer slot */
    int scap;
    int nsl;             /* slots filled (before the padding) */
} halfbuf;

static int half_grow(halfbuf *h, int need)
{
    if (need <= h->cap)
        return 0;
    const int cap = 2 * need;
    float **arr[6] = {&h->ax, &h->ay, &h->az, &h->ox, &h->oy, &h->oz};
    for (int a = 0; a < 6; a++) {
        float *q = grow64(*arr[a], h->cap, cap);
        if (!q)
            return -1;
        *arr[a] = q;
    }
    uint16_t *mk = realloc(h->mk, (size_t)(cap / LANES + 1) * sizeof(uint16_t));
    if (!mk)
        return -1;
    h->mk = mk;
    h->cap = cap;
    return 0;
}

static void half_free(halfbuf *h)
{
    float *arr[6] = {h->ax, h->ay, h->az, h->ox, h->oy, h->oz};
    for (int a = 0; a < 6; a++)
        free(arr[a]);
    free(h->mk);
    free(h->sid);
}

static int sid_grow(halfbuf *h, int need)
{
    if (need <= h->scap)
        return 0;
    int *q = realloc(h->sid, (size_t)(2 * need) * sizeof(int));
    if (!q)
        return -1;
    h->sid = q;
    h->scap = 2 * need;
    return 0;
}

/* The box [lo, hi] of the group's targets s0 ≤ s < s1 (buffer coordinates relative to ctr). */
static void target_box(const fr_stokes_plan *p, int s0, int s1, const int32_t ctr[3], float lo[3],
                       float hi[3])
{
    const float qun = (float)p->qun;
    for (int a = 0; a < 3; a++) {
        lo[a] = hi[a] = rel_coord(p->qX[a][s0], ctr[a], qun);
        for (int s = s0 + 1; s < s1; s++) {
            const float v = rel_coord(p->qX[a][s], ctr[a], qun);
            lo[a] = v < lo[a] ? v : lo[a];
            hi[a] = v > hi[a] ? v : hi[a];
        }
    }
}

/* The squared distance from (x,y,z) to the box, float. */
FR_BODY float box_d2(float x, float y, float z, const float lo[3], const float hi[3])
{
    const float v[3] = {x, y, z};
    float d2 = 0.0f;
    for (int a = 0; a < 3; a++) {
        const float g = v[a] < lo[a] ? lo[a] - v[a] : v[a] > hi[a] ? v[a] - hi[a] : 0.0f;
        d2 += g * g;
    }
    return d2;
}

#ifdef FR_MV
/* append_run and cut_run in one pass (AVX-512): the run's sources converted (rel_coord),
 * tested against the targets' box (box_d2's arithmetic: the same sources kept) and compressed
 * straight to the buffer's end m, their storage indices to h->sid; the sources the cut drops are
 * never copied. Whole chunks of LANES from the plan's arrays (LANES entries of slack), the last
 * one masked. The new end, or −1 out of memory. */
FR_V4 static int append_cut_v4(const fr_stokes_plan *p, int row, int xa, int xb,
                               const int32_t ctr[3], cellbuf *b, halfbuf *h, int m,
                               const float lo[3], const float hi[3], float lim2, int nof)
{
    const int t0 = p->cstart[row + xa], len = p->cstart[row + xb + 1] - t0;
    if (len == 0)
        return m;
    if (buf_grow(b, m + len + LANES) || sid_grow(h, m + len + LANES))
        return -1;
    float *dst[9] = {b->x, b->y, b->z, b->tx, b->ty, b->tz, b->fx, b->fy, b->fz};
    const float *src[6] = {p->fT[0], p->fT[1], p->fT[2], p->fF[0], p->fF[1], p->fF[2]};
    const int ns = nof ? 3 : 6;
    const __m512 vl = _mm512_set1_ps(lim2), z = _mm512_setzero_ps(),
                 qun = _mm512_set1_ps((float)p->qun);
    const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m512i c[3];
    __m512 l[3], u[3];
    for (int a = 0; a < 3; a++) {
        c[a] = _mm512_set1_epi32(ctr[a]);
        l[a] = _mm512_set1_ps(lo[a]);
        u[a] = _mm512_set1_ps(hi[a]);
    }
    int k = m;
    for (int q = 0; q < len; q += LANES) {
        const int s = t0 + q;
        __m512 v[3], d2 = z;
        for (int a = 0; a < 3; a++) {
            v[a] = _mm512_mul_ps(
                _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_loadu_si512(p->qX[a] + s), c[a])), qun);
            const __m512 g = _mm512_max_ps(
                _mm512_max_ps(_mm512_sub_ps(l[a], v[a]), _mm512_sub_ps(v[a], u[a])), z);
            d2 = _mm512_fmadd_ps(g, g, d2);
        }
        __mmask16 ok = _mm512_cmp_ps_mask(d2, vl, _CMP_LT_OQ);
        if (len - q < LANES)
            ok &= (__mmask16)((1u << (len - q)) - 1u);
        for (int a = 0; a < 3; a++)
            _mm512_storeu_ps(dst[a] + k, _mm512_maskz_compress_ps(ok, v[a]));
        for (int a = 0; a < ns; a++)
            _mm512_storeu_ps(dst[3 + a] + k,
                             _mm512_maskz_compress_ps(ok, _mm512_loadu_ps(src[a] + s)));
        _mm512_storeu_si512(h->sid + k, _mm512_maskz_compress_epi32(
                                            ok, _mm512_add_epi32(iota, _mm512_set1_epi32(s))));
        k += __builtin_popcount(ok);
    }
    return k;
}
#endif

/* The run just appended at slots [m, m1) (sources t0, t0 + 1, ...) cut to the sources within
 * √lim2 of the targets' box, moved down in order from slot m, their sources to h->sid; returns
 * the new end. The rows of cells the buffer takes cover ~3.5× the volume of a target's ball,
 * the box's neighbourhood ~2.3×: every target's scan (compaction, or the masked kernel)
 * shrinks by a third. lim2 exceeds r_c² by far more than the rounding of either distance, so
 * no pair within r_c of any target is lost (the v4 compaction keeps the same pairs). The
 * AVX-512 path cuts while it copies (append_cut_v4). */
FR_BODY int cut_run(cellbuf *b, halfbuf *h, int m, int m1, int t0, const float lo[3],
                    const float hi[3], float lim2, const int nof)
{
    float *arr[9] = {b->x, b->y, b->z, b->tx, b->ty, b->tz, b->fx, b->fy, b->fz};
    const int na = nof ? 6 : 9;
    int k = m;
    for (int q = m; q < m1; q++) {
        const int keep = box_d2(arr[0][q], arr[1][q], arr[2][q], lo, hi) < lim2;
        for (int a = 0; a < na; a++)
            arr[a][k] = arr[a][q];
        h->sid[k] = t0 + q - m;
        k += keep;
    }
    return k;
}

/* The half buffer of group (ix..ix1, iy, iz): see above; its runs recorded in h. Returns the
 * padded count, or −1 out of memory. */
FR_BODY int fill_half(const fr_stokes_plan *p, const rowtab *rt, int ix, int ix1, int iy, int iz,
                      const int32_t ctr[3], int s0, int s1, cellbuf *b, halfbuf *h, const int nof,
                      const int v4)
{
    const int *nc = p->nc;
    const int ky = rt->ky, kz = rt->kz;
    const int z1 = iz + kz >= nc[2] ? nc[2] - 1 - iz : kz;
    const int y0 = iy - ky < 0 ? -iy : -ky, y1 = iy + ky >= nc[1] ? nc[1] - 1 - iy : ky;
    float lo[3], hi[3];
    target_box(p, s0, s1, ctr, lo, hi);
    const float lim2 = (float)(p->rc2 * (1.0 + 1e-4));
    int m = 0;
    for (int dz = 0; dz <= z1; dz++)
        for (int dy = dz ? y0 : 0; dy <= y1; dy++) {
            const int wx = rt->wx[(dz + kz) * (2 * ky + 1) + dy + ky];
            if (wx < 0)
                continue;
            const int xa = (dz || dy) && ix - wx > 0 ? ix - wx : (dz || dy) ? 0 : ix;
            const int xb = ix1 + wx >= nc[0] ? nc[0] - 1 : ix1 + wx;
            const int row = ((iz + dz) * nc[1] + iy + dy) * nc[0];
#ifdef FR_MV
            if (v4) {
                m = append_cut_v4(p, row, xa, xb, ctr, b, h, m, lo, hi, lim2, nof);
                if (m < 0)
                    return -1;
                continue;
            }
#endif
            (void)v4;
            int t0;
            const int m1 = append_run(p, row, xa, xb, ctr, b, m, nof, &t0);
            if (m1 < 0 || sid_grow(h, m1 + LANES))
                return -1;
            m = cut_run(b, h, m, m1, t0, lo, hi, lim2, nof);
        }
    h->nsl = m;
    return pad_buf(b, m);
}

#ifdef FR_MV
/* The compacted pairs' source terms (o) added back to their buffer slots (a) with the masks
 * the compaction kept, from slot q0 on. */
FR_V4 static void expand_v4(halfbuf *h, int q0, int m)
{
    float *acc[3] = {h->ax, h->ay, h->az};
    const float *src[3] = {h->ox, h->oy, h->oz};
    int k = 0;
    for (int q = q0 / LANES * LANES; q < m; q += 16) {
        const __mmask16 ok = h->mk[q / LANES];
        if (!ok)
            continue;
        for (int a = 0; a < 3; a++)
            _mm512_storeu_ps(acc[a] + q,
                             _mm512_add_ps(_mm512_loadu_ps(acc[a] + q),
                                           _mm512_maskz_expand_ps(ok, _mm512_loadu_ps(src[a] + k))));
        k += __builtin_popcount(ok);
    }
}

ROT_LIST(1, 0)
ROT_LIST(1, 1)
ROT_LIST(2, 0)
ROT_LIST(2, 1)
ROT_LIST(3, 0)
ROT_LIST(3, 1)
ROT_LIST(4, 0)
ROT_LIST(4, 1)
typedef void rot_list_fn(const r32_ctx *, const rot_tgt *, const cellbuf *, int, double *,
                         halfbuf *);
_Static_assert(TPL == 4, "rot_list has a row for each list size 1..TPL");
static rot_list_fn *const rot_list[TPL][2] = {{rot_list_1_0, rot_list_1_1},
                                               {rot_list_2_0, rot_list_2_1},
                                               {rot_list_3_0, rot_list_3_1},
                                               {rot_list_4_0, rot_list_4_1}};

/* half_body's targets s0 ≤ s < s1 (buffer of m slots) TPL at a time over one compacted list
 * (rot_list_body). */
FR_V4 static void half_targets_v4(fr_stokes_plan *p, const r32_ctx *ctx, const int32_t qc[3],
                                  int s0, int s1, const cellbuf *b, int m, cellbuf *o, halfbuf *h,
                                  int nof)
{
    const float qun = (float)p->qun;
    for (int s = s0; s < s1; s += TPL) {
        const int nt = s + TPL <= s1 ? TPL : s1 - s;
        rot_tgt tg[TPL];
        float pos[TPL][3];
        for (int t = 0; t < nt; t++)
            for (int a = 0; a < 3; a++) {
                tg[t].p[a] = pos[t][a] = rel_coord(p->qX[a][s + t], qc[a], qun);
                tg[t].T[a] = p->fT[a][s + t];
                tg[t].F[a] = p->fF[a][s + t];
            }
        const int q0 = s - s0 + 1; /* the sources after s (s + 1 is its own slot: r = 0) */
        const int mm = compact_v4(b, q0, m, (const float(*)[3])pos, nt, ctx->rc2, o, h->mk, nof);
        /* target t pairs with the slots after its own (q0 + t − 1): the kept ones among
         * q0 ... q0 + t − 1 open the list */
        tg[0].skip = 0;
        for (int t = 1; t < nt; t++) {
            const int q = q0 + t - 1;
            tg[t].skip = tg[t - 1].skip + (h->mk[q / LANES] >> (q % LANES) & 1);
        }
        double acc[3 * TPL];
        rot_list[nt - 1][nof](ctx, tg, o, mm, acc, h);
        expand_v4(h, q0, m);
        for (int t = 0; t < nt; t++)
            for (int a = 0; a < 3; a++)
                p->om[a][s + t] += acc[3 * t + a];
    }
}
#endif

/* Group (gx, iy, iz): its half buffer, each target's ω (to om) and its sources' terms (summed
 * per slot, then to om). 0, or −1 out of memory. */
FR_BODY int half_body(fr_stokes_plan *p, const r32_ctx *ctx, const rowtab *rt, int gx, int iy,
                      int iz, cellbuf *b, cellbuf *o, halfbuf *h, const int v4, const int nof)
{
    const int ix = gx * GX, ix1 = ix + GX - 1 < p->nc[0] ? ix + GX - 1 : p->nc[0] - 1;
    const int row = (iz * p->nc[1] + iy) * p->nc[0];
    const int s0 = p->cstart[row + ix], s1 = p->cstart[row + ix1 + 1];
    if (s0 == s1)
        return 0;
    int32_t qc[3];
    group_centre(p, ix, ix1, iy, iz, qc);
    const int m = fill_half(p, rt, ix, ix1, iy, iz, qc, s0, s1, b, h, nof, v4);
    if (m < 0 || half_grow(h, m + LANES) || (v4 && buf_grow(o, m + LANES)))
        return -1;
    memset(h->ax, 0, (size_t)m * sizeof(float));
    memset(h->ay, 0, (size_t)m * sizeof(float));
    memset(h->az, 0, (size_t)m * sizeof(float));
    const float qun = (float)p->qun;
#ifdef FR_MV
    if (v4)
        half_targets_v4(p, ctx, qc, s0, s1, b, m, o, h, nof);
    else
#endif
        for (int s = s0; s < s1; s++) {
            const float px = rel_coord(p->qX[0][s], qc[0], qun),
                        py = rel_coord(p->qX[1][s], qc[1], qun),
                        pz = rel_coord(p->qX[2][s], qc[2], qun);
            const float Ti[3] = {p->fT[0][s], p->fT[1][s], p->fT[2][s]};
            const float Fi[3] = {p->fF[0][s], p->fF[1][s], p->fF[2][s]};
            const int q0 = s - s0 + 1; /* the sources after s */
            double acc[3];
            rot_pair_body(ctx, px, py, pz, Ti, Fi, b, q0, m, acc, h->ax, h->ay, h->az, 1, nof);
            for (int a = 0; a < 3; a++)
                p->om[a][s] += acc[a];
        }
    for (int q = 0; q < h->nsl; q++) {
        const int j = h->sid[q];
        p->om[0][j] += h->ax[q];
        p->om[1][j] += h->ay[q];
        p->om[2][j] += h->az[q];
    }
    return 0;
}

#define CELL_ARGS                                                                                  \
    fr_stokes_plan *p, const r32_ctx *ctx, const rowtab *rt, int cell, cellbuf *b, cellbuf *o
#define HALF_ARGS                                                                                  \
    fr_stokes_plan *p, const r32_ctx *ctx, const rowtab *rt, int gx, int iy, int iz, cellbuf *b,   \
        cellbuf *o, halfbuf *h, int nof
#define HALF_CALL(V4)                                                                              \
    nof ? half_body(p, ctx, rt, gx, iy, iz, b, o, h, V4, 1)                                         \
        : half_body(p, ctx, rt, gx, iy, iz, b, o, h, V4, 0)
#ifdef FR_MV
FR_V4 static int cell_v4(CELL_ARGS) { return cell_body(p, ctx, rt, cell, b, o, 1); }
FR_V3 static int cell_v3(CELL_ARGS) { return cell_body(p, ctx, rt, cell, b, o, 0); }
FR_V4 static int half_v4(HALF_ARGS) { return HALF_CALL(1); }
FR_V3 static int half_v3(HALF_ARGS) { return HALF_CALL(0); }
#endif
static int cell_v0(CELL_ARGS) { return cell_body(p, ctx, rt, cell, b, o, 0); }
static int half_v0(HALF_ARGS) { return HALF_CALL(0); }
static int do_cell(int lvl, CELL_ARGS)
{
#ifdef FR_MV
    if (lvl == 2)
        return cell_v4(p, ctx, rt, cell, b, o);
    if (lvl == 1)
        return cell_v3(p, ctx, rt, cell, b, o);
#endif
    (void)lvl;
    return cell_v0(p, ctx, rt, cell, b, o);
}
static int do_half(int lvl, HALF_ARGS)
{
#ifdef FR_MV
    if (lvl == 2)
        return half_v4(p, ctx, rt, gx, iy, iz, b, o, h, nof);
    if (lvl == 1)
        return half_v3(p, ctx, rt, gx, iy, iz, b, o, h, nof);
#endif
    (void)lvl;
    return half_v0(p, ctx, rt, gx, iy, iz, b, o, h, nof);
}

/* erfcx on [0, X] as a polynomial in t = 2x/X − 1 (the plan's Chebyshev series, truncated to
 * FR_F32_NPOLY terms and expanded in powers of t, in double). */
void fr_sf_poly_from_cheb(const double *cheb, double *poly)
{
    double Tk[FR_F32_NPOLY][FR_F32_NPOLY] = {{0}}; /* power coefficients of T_k */
    Tk[0][0] = 1.0;
    Tk[1][1] = 1.0;
    for (int k = 2; k < FR_F32_NPOLY; k++)
        for (int j = 0; j < FR_F32_NPOLY; j++)
            Tk[k][j] = (j ? 2.0 * Tk[k - 1][j - 1] : 0.0) - Tk[k - 2][j];
    for (int j = 0; j < FR_F32_NPOLY; j++) {
        double s = 0.5 * cheb[0] * Tk[0][j];
        for (int k = 1; k < FR_F32_NPOLY; k++)
            s += cheb[k] * Tk[k][j];
        poly[j] = s;
    }
}

static int stopped(const int *fail, const atomic_int *abort)
{
    int failed;
#pragma omp atomic read
    failed = *fail;
    return failed || (abort && atomic_load_explicit(abort, memory_order_relaxed));
}

/* u and G at every particle, a group of target cells at a time (any order: each writes its
 * own targets only). */
static int real_space_full(fr_stokes_plan *p, const r32_ctx *ctx, const rowtab *rt,
                           const atomic_int *abort)
{
    const int ngrp = (p->nc[0] + GX - 1) / GX * p->nc[1] * p->nc[2];
    int fail = 0;
#pragma omp parallel if (p->par)
    {
        cellbuf b = {0}, o = {0};
#pragma omp for schedule(dynamic, 16)
        for (int grp = 0; grp < ngrp; grp++) {
            if (stopped(&fail, abort))
                continue;
            if (do_cell(p->lvl, p, ctx, rt, grp, &b, &o)) {
#pragma omp atomic write
                fail = 1;
            }
        }
        buf_free(&b);
        buf_free(&o);
    }
    return fail ? -1 : 0;
}

/* ω at every particle with each pair once (see half_body), colour by colour, then W from it
 * into wG (W_im = −½ ε_imk ω_k). */
static int real_space_rot(fr_stokes_plan *p, const r32_ctx *ctx, const rowtab *rt, int nof,
                          const atomic_int *abort)
{
    const int ky = rt->ky, kz = rt->kz, ngx = (p->nc[0] + GX - 1) / GX;
    const int yb = 2 * ky + 1;                   /* rows of groups per task */
    const int per[2] = {2, kz + 1};              /* tasks' write regions: 2 yb − 1 rows in y */
    const int ng[2] = {(p->nc[1] + yb - 1) / yb, p->nc[2]};
    const int ncol = per[0] * per[1];
    const size_t n = (size_t)p->n;
    int fail = 0;
#pragma omp parallel if (p->par)
    {
#pragma omp for schedule(static)
        for (size_t s = 0; s < n; s++)
            p->om[0][s] = p->om[1][s] = p->om[2][s] = 0.0;
        cellbuf b = {0}, o = {0};
        halfbuf h = {0};
        for (int col = 0; col < ncol; col++) {
            const int c[2] = {col % per[0], col / per[0]};
            int cnt[2];
            for (int a = 0; a < 2; a++)
                cnt[a] = c[a] < ng[a] ? (ng[a] - c[a] + per[a] - 1) / per[a] : 0;
            /* a task: yb rows of groups along x, each in order, so that consecutive groups
             * share most of their buffers' runs in cache (colouring along x as well, or
             * tasks of one row, cost ~30% and ~10%: the runs came from memory) */
#pragma omp for schedule(dynamic, 1)
            for (int k = 0; k < cnt[0] * cnt[1]; k++) {
                const int y0 = (c[0] + k % cnt[0] * per[0]) * yb, iz = c[1] + k / cnt[0] * per[1];
                for (int iy = y0; iy < y0 + yb && iy < p->nc[1]; iy++)
                    for (int gx = 0; gx < ngx && !stopped(&fail, abort); gx++)
                        if (do_half(p->lvl, p, ctx, rt, gx, iy, iz, &b, &o, &h, nof)) {
#pragma omp atomic write
                            fail = 1;
                        }
            }
        }
        buf_free(&b);
        buf_free(&o);
        half_free(&h);
        const double hh = 0.5 * INV8PI;
#pragma omp for schedule(static)
        for (size_t s = 0; s < n; s++) {
            double *g = p->wG + 9 * s;
            const double w0 = p->om[0][s], w1 = p->om[1][s], w2 = p->om[2][s];
            g[1] -= hh * w2, g[3] += hh * w2;
            g[2] += hh * w1, g[6] -= hh * w1;
            g[5] -= hh * w0, g[7] += hh * w0;
        }
    }
    return fail ? -1 : 0;
}

int fr_sf_real_space_f32(fr_stokes_plan *p, int rot, int nof, const atomic_int *abort)
{
    r32_ctx ctx = {.xi = (float)p->xi,
                   .rc2 = (float)p->rc2,
                   .c = (float)(2.0 * p->xi / sqrt(M_PI)),
                   .cxi2 = (float)(2.0 * p->xi / sqrt(M_PI) * p->xi * p->xi),
                   .cxi4 = (float)(2.0 * p->xi / sqrt(M_PI) * pow(p->xi, 4)),
                   .ts = (float)(2.0 / p->chebX),
                   .xits = (float)(p->xi * 2.0 / p->chebX),
                   .nxl2e = (float)(-p->xi * p->xi / M_LN2)};
    for (int k = 0; k < FR_F32_NPOLY; k++)
        ctx.poly[k] = (float)p->poly[k];
    rowtab rt;
    if (rowtab_make(p, &rt))
        return -1;
    const int rc = rot ? real_space_rot(p, &ctx, &rt, nof, abort)
                       : real_space_full(p, &ctx, &rt, abort);
    free(rt.wx);
    return rc;
}

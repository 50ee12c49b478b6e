/* Real-space part of the fast Stokes summation in single precision, for sphere sources
 * (Stokeslets + rotlets) at tol >= FR_F32_MIN_TOL (stokes_fast.h; notation in
 * stokes_fast_impl.h). The double-precision path (stokes_fast_real.c) stays for general moments
 * and tighter tolerances.
 *
 * Why it is accurate enough: every pair is evaluated in float (relative rounding ~1e-7 per
 * operation), but on coordinates taken relative to the target cell's centre in double before
 * the conversion, so d = x_i − x_j keeps ~1e-7 relative accuracy even for the closest pairs
 * (|d| ≥ the minimal distance, |x − centre| ≤ ~1.2 r_c); erfc by a degree-12 polynomial of
 * erfcx (relative 1.3e-6 on [0, ξ r_c]), e^{−x²} and 1/r to ~2e-7. The ~300 terms per target
 * are summed in float over 16 (8) lanes, the lanes in double: ~1e-6 of the sum of magnitudes,
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
 * With every F zero (a uniform field) the vorticity path neither copies, compacts nor sums F.
 * Deterministic: each target sums its buffer in a fixed order whatever the thread count. */
#include "stokes_fast_impl.h"

#include <omp.h>
#include <stdlib.h>

#define LANES 16 /* buffer padding: a multiple of every vector width used */
#define GX 2       /* target cells per group along x */
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

/* Vorticity ω = ∇×u (×8π) at (px,py,pz) from the buffered sources (see the file comment);
 * nof: every F is zero (a uniform field exerts no force on a dipole), the F terms dropped. */
FR_BODY void rot_body(const r32_ctx *c, float px, float py, float pz, const cellbuf *b, int m,
                      double *acc, const int nof)
{
    float w0 = 0, w1 = 0, w2 = 0;
    float P[FR_F32_NPOLY];
    memcpy(P, c->poly, sizeof P);
    const float *restrict bx = b->x, *restrict by = b->y, *restrict bz = b->z;
    const float *restrict fx = b->fx, *restrict fy = b->fy, *restrict fz = b->fz;
    const float *restrict tx = b->tx, *restrict ty = b->ty, *restrict tz = b->tz;
#pragma omp simd reduction(+ : w0, w1, w2)
    for (int q = 0; q < m; q++) {
        const float dx = px - bx[q], dy = py - by[q], dz = pz - bz[q];
        const float r2 = dx * dx + dy * dy + dz * dz;
        const radial k = pair_radial(c, P, r2);
        const float r2s = k.r2s, ir2 = k.ir2, B2 = k.B2, e2 = k.e2, e4 = k.e4, R = k.R;
        const float S = 2.0f * (e2 - B2);                    /* A'/r − B2 */
        const float Rp = -(3.0f * B2 + 2.0f * e2) * ir2 + 2.0f * e4; /* R'/r */
        const float Tx = tx[q], Ty = ty[q], Tz = tz[q];
        const float dT = dx * Tx + dy * Ty + dz * Tz;
        const float k0 = Rp * r2s + 2.0f * R, k1 = Rp * dT;
        if (nof) {
            w0 += k0 * Tx - k1 * dx;
            w1 += k0 * Ty - k1 * dy;
            w2 += k0 * Tz - k1 * dz;
        } else {
            const float Fx = fx[q], Fy = fy[q], Fz = fz[q];
            w0 += S * (dy * Fz - dz * Fy) + k0 * Tx - k1 * dx;
            w1 += S * (dz * Fx - dx * Fz) + k0 * Ty - k1 * dy;
            w2 += S * (dx * Fy - dy * Fx) + k0 * Tz - k1 * dz;
        }
    }
    acc[0] = w0;
    acc[1] = w1;
    acc[2] = w2;
}

static int buf_grow(cellbuf *b, int need)
{
    if (need <= b->cap)
        return 0;
    const int cap = 2 * need;
    float **arr[9] = {&b->x, &b->y, &b->z, &b->fx, &b->fy, &b->fz, &b->tx, &b->ty, &b->tz};
    for (int a = 0; a < 9; a++) {
        float *q = realloc(*arr[a], (size_t)cap * sizeof(float));
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
            const int row = ((iz + dz) * nc[1] + iy + dy) * nc[0];
            const int t0 = p->cstart[row + xa], t1 = p->cstart[row + xb + 1];
            if (t0 == t1)
                continue;
            const int len = t1 - t0;
            if (buf_grow(b, m + len + LANES))
                return -1;
            copy_run(p, t0, len, ctr, (float)p->qun, b, m, nof);
            m += len;
        }
    if (buf_grow(b, m + LANES))
        return -1;
    while (m % LANES) {
        b->x[m] = b->y[m] = b->z[m] = FAR;
        b->fx[m] = b->fy[m] = b->fz[m] = b->tx[m] = b->ty[m] = b->tz[m] = 0.0f;
        m++;
    }
    return m;
}

#ifdef FR_MV
#include <immintrin.h>
/* AVX-512: the buffered sources within r_c of (px,py,pz) (0 < r² < r_c², the kernel's own
 * mask), compressed in buffer order into o and padded to LANES; returns the padded count. The
 * cell buffer covers ~3× the ball's volume: the kernels then do a third of the work. */
FR_V4 static int compact_v4(const cellbuf *b, int m, float px, float py, float pz, float rc2,
                            cellbuf *o, int nof)
{
    const __m512 vx = _mm512_set1_ps(px), vy = _mm512_set1_ps(py), vz = _mm512_set1_ps(pz);
    const __m512 vr = _mm512_set1_ps(rc2), zero = _mm512_setzero_ps();
    const float *src[9] = {b->x, b->y, b->z, b->fx, b->fy, b->fz, b->tx, b->ty, b->tz};
    float *dst[9] = {o->x, o->y, o->z, o->fx, o->fy, o->fz, o->tx, o->ty, o->tz};
    int k = 0;
    for (int q = 0; q < m; q += 16) {
        const __m512 dx = _mm512_sub_ps(vx, _mm512_loadu_ps(b->x + q));
        const __m512 dy = _mm512_sub_ps(vy, _mm512_loadu_ps(b->y + q));
        const __m512 dz = _mm512_sub_ps(vz, _mm512_loadu_ps(b->z + q));
        const __m512 r2 = _mm512_fmadd_ps(dz, dz, _mm512_fmadd_ps(dy, dy, _mm512_mul_ps(dx, dx)));
        const __mmask16 ok = _mm512_cmp_ps_mask(r2, zero, _CMP_GT_OQ) &
                             _mm512_cmp_ps_mask(r2, vr, _CMP_LT_OQ);
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
#endif

/* One group of GX target cells along x (a cell holds ~2.7 particles: the buffer is shared by
 * ~5, at ~15% more candidates than one cell's): its buffer, then each of its particles' sums added to wu/wG (rot: the
 * antisymmetric G from ω, W_im = −½ ε_imk ω_k). 0, or −1 out of memory. */
FR_BODY int cell_body(fr_stokes_plan *p, const r32_ctx *ctx, const rowtab *rt, int grp,
                      cellbuf *b, cellbuf *o, const int rot, const int v4, const int nof)
{
    const int ngx = (p->nc[0] + GX - 1) / GX;
    const int ix = grp % ngx * GX, iy = (grp / ngx) % p->nc[1], iz = grp / (ngx * p->nc[1]);
    const int ix1 = ix + GX - 1 < p->nc[0] ? ix + GX - 1 : p->nc[0] - 1;
    const int row = (iz * p->nc[1] + iy) * p->nc[0];
    const int s0 = p->cstart[row + ix], s1 = p->cstart[row + ix1 + 1];
    if (s0 == s1)
        return 0;
    const double ctr[3] = {p->clo[0] + 0.5 * (ix + ix1 + 1) * p->ca[0],
                           p->clo[1] + (iy + 0.5) * p->ca[1], p->clo[2] + (iz + 0.5) * p->ca[2]};
    int32_t qc[3]; /* the group's centre on the lattice */
    for (int a = 0; a < 3; a++)
        qc[a] = (int32_t)lrint((ctr[a] - p->qorg[a]) / p->qun);
    const int m = fill_cell(p, rt, ix, ix1, iy, iz, qc, b, nof);
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
            mm = compact_v4(b, m, px, py, pz, ctx->rc2, o, nof);
            src = o;
        }
#endif
        double acc[12];
        if (rot) {
            rot_body(ctx, px, py, pz, src, mm, acc, nof);
            double *g = p->wG + 9 * (size_t)s;
            const double h = 0.5 * INV8PI;
            g[1] -= h * acc[2], g[3] += h * acc[2];
            g[2] += h * acc[1], g[6] -= h * acc[1];
            g[5] -= h * acc[0], g[7] += h * acc[0];
        } else {
            full_body(ctx, px, py, pz, src, mm, acc);
            for (int a = 0; a < 3; a++)
                p->wu[3 * (size_t)s + a] += INV8PI * acc[a];
            for (int a = 0; a < 9; a++)
                p->wG[9 * (size_t)s + a] += INV8PI * acc[3 + a];
        }
    }
    return 0;
}

#define CELL_ARGS                                                                                  \
    fr_stokes_plan *p, const r32_ctx *ctx, const rowtab *rt, int cell, cellbuf *b, cellbuf *o,     \
        int rot, int nof
#define CELL_CALL(V4)                                                                              \
    rot ? (nof ? cell_body(p, ctx, rt, cell, b, o, 1, V4, 1)                                        \
               : cell_body(p, ctx, rt, cell, b, o, 1, V4, 0))                                       \
        : cell_body(p, ctx, rt, cell, b, o, 0, V4, 0)
#ifdef FR_MV
FR_V4 static int cell_v4(CELL_ARGS) { return CELL_CALL(1); }
FR_V3 static int cell_v3(CELL_ARGS) { return CELL_CALL(0); }
#endif
static int cell_v0(CELL_ARGS) { return CELL_CALL(0); }
static int do_cell(int lvl, CELL_ARGS)
{
#ifdef FR_MV
    if (lvl == 2)
        return cell_v4(p, ctx, rt, cell, b, o, rot, nof);
    if (lvl == 1)
        return cell_v3(p, ctx, rt, cell, b, o, rot, nof);
#endif
    (void)lvl;
    return cell_v0(p, ctx, rt, cell, b, o, rot, nof);
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

int fr_sf_real_space_f32(fr_stokes_plan *p, int rot, int nof, const atomic_int *abort)
{
    r32_ctx ctx = {.xi = (float)p->xi,
                   .rc2 = (float)p->rc2,
                   .c = (float)(2.0 * p->xi / sqrt(M_PI)),
                   .cxi2 = (float)(2.0 * p->xi / sqrt(M_PI) * p->xi * p->xi),
                   .cxi4 = (float)(2.0 * p->xi / sqrt(M_PI) * pow(p->xi, 4)),
                   .ts = (float)(2.0 / p->chebX)};
    for (int k = 0; k < FR_F32_NPOLY; k++)
        ctx.poly[k] = (float)p->poly[k];
    rowtab rt;
    if (rowtab_make(p, &rt))
        return -1;
    const int ngrp = (p->nc[0] + GX - 1) / GX * p->nc[1] * p->nc[2];
    int fail = 0;
#pragma omp parallel if (p->par)
    {
        cellbuf b = {0}, o = {0};
#pragma omp for schedule(dynamic, 16)
        for (int grp = 0; grp < ngrp; grp++) {
            int failed;
#pragma omp atomic read
            failed = fail;
            if (failed || (abort && atomic_load_explicit(abort, memory_order_relaxed)))
                continue;
            if (do_cell(p->lvl, p, &ctx, &rt, grp, &b, &o, rot, nof)) {
#pragma omp atomic write
                fail = 1;
            }
        }
        buf_free(&b);
        buf_free(&o);
    }
    free(rt.wx);
    return fail ? -1 : 0;
}

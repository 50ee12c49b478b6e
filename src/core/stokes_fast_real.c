/* Real-space part of the fast Stokes summation (stokes_fast.h, notation in
 * stokes_fast_impl.h): the screened kernels Φ_R summed over the neighbours within r_c — at the
 * particles (velocity and gradient; rotlets or general moments) and, for the grid evaluation,
 * the near-field correction at arbitrary points (velocity, optionally smoothed). */
#include "stokes_fast_impl.h"

#include <omp.h>
#include <stdlib.h>

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

/* Compaction of the runs rg[0..nr) to the sources with 0 < r² < r_c² (storage order). */
static int compact(const fr_stokes_plan *p, const double v[3], const int *rg, int nr, int *l)
{
    const double *restrict X = p->X, *restrict Y = p->Y, *restrict Z = p->Z;
    const double rc2 = p->rc2;
    int m = 0;
    for (int q = 0; q < nr; q++)
        for (int t = rg[2 * q]; t < rg[2 * q + 1]; t++) {
            const double dx = v[0] - X[t], dy = v[1] - Y[t], dz = v[2] - Z[t];
            const double r2 = dx * dx + dy * dy + dz * dz;
            l[m] = t;
            m += (r2 > 0.0) & (r2 < rc2);
        }
    return m;
}

#ifdef FR_MV
#include <immintrin.h>
/* The same with AVX-512: 8 candidates per step, compress-stored (same list, same order). */
FR_V4 static int compact_v4(const fr_stokes_plan *p, const double v[3], const int *rg, int nr,
                            int *l)
{
    const __m512d vx = _mm512_set1_pd(v[0]), vy = _mm512_set1_pd(v[1]), vz = _mm512_set1_pd(v[2]);
    const __m512d rc2 = _mm512_set1_pd(p->rc2), zero = _mm512_setzero_pd();
    const __m256i step = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int m = 0;
    for (int q = 0; q < nr; q++) {
        const int t1 = rg[2 * q + 1];
        for (int t = rg[2 * q]; t < t1; t += 8) {
            const __mmask8 in = (__mmask8)(t1 - t >= 8 ? 0xff : (1u << (t1 - t)) - 1u);
            const __m512d dx = _mm512_sub_pd(vx, _mm512_maskz_loadu_pd(in, p->X + t));
            const __m512d dy = _mm512_sub_pd(vy, _mm512_maskz_loadu_pd(in, p->Y + t));
            const __m512d dz = _mm512_sub_pd(vz, _mm512_maskz_loadu_pd(in, p->Z + t));
            const __m512d r2 = _mm512_fmadd_pd(dz, dz, _mm512_fmadd_pd(dy, dy, _mm512_mul_pd(dx, dx)));
            const __mmask8 ok = in & _mm512_cmp_pd_mask(r2, zero, _CMP_GT_OQ) &
                                _mm512_cmp_pd_mask(r2, rc2, _CMP_LT_OQ);
            _mm256_mask_compressstoreu_epi32(l + m, ok, _mm256_add_epi32(_mm256_set1_epi32(t), step));
            m += __builtin_popcount(ok);
        }
    }
    return m;
}
#else
#define compact_v4 compact
#endif

/* The sources within r_c of (v) other than itself, from the cell runs: storage indices into
 * idx (grown as needed), padded to VL with the dummy n. Branch-free compaction over contiguous
 * loads. Returns the count before padding, or −1 out of memory. */
static int near_list(const fr_stokes_plan *p, const double v[3], int *rg, int rcap, int **idx,
                     int *cap)
{
    const int nr = fr_sf_cell_ranges(p, v, p->rc, rg, rcap);
    int need = VL;
    for (int q = 0; q < nr; q++)
        need += rg[2 * q + 1] - rg[2 * q];
    if (need > *cap) {
        int *b = realloc(*idx, (size_t)need * 2 * sizeof(int));
        if (!b)
            return -1;
        *idx = b;
        *cap = need * 2;
    }
    const int cnt = p->lvl == 2 ? compact_v4(p, v, rg, nr, *idx) : compact(p, v, rg, nr, *idx);
    int m = cnt;
    int *restrict l = *idx;
    while (m % VL)
        l[m++] = p->n;
    return cnt;
}

int fr_sf_real_space(fr_stokes_plan *p, int general, const atomic_int *abort)
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
    const int rcap = fr_sf_ranges_cap(p, p->rc);
    long long npairs = 0;
    int fail = 0;
#pragma omp parallel if (p->par) reduction(+ : npairs)
    {
        int cap = 1024;
        int *idx = malloc((size_t)cap * sizeof(int));
        int *rg = malloc(2 * (size_t)rcap * sizeof(int));
        if (!idx || !rg) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 64)
        for (int s = 0; s < p->n; s++) {
            if (!idx || !rg || (abort && atomic_load_explicit(abort, memory_order_relaxed)))
                continue; /* the caller sees the flag (or the failure) and drops the result */
            const double v[3] = {p->X[s], p->Y[s], p->Z[s]};
            const int cnt = near_list(p, v, rg, rcap, &idx, &cap);
            if (cnt < 0) {
#pragma omp atomic write
                fail = 1;
                continue;
            }
            npairs += cnt;
            double acc[12];
            rs_target(p->lvl, &ctx, v[0], v[1], v[2], idx, (cnt + VL - 1) / VL * VL, p->X, p->Y,
                      p->Z, bf, bt, acc);
            for (int a = 0; a < 3; a++)
                p->wu[3 * (size_t)s + a] += INV8PI * acc[a];
            for (int a = 0; a < 9; a++)
                p->wG[9 * (size_t)s + a] += INV8PI * acc[3 + a];
        }
        free(idx);
        free(rg);
    }
    if (fail)
        return -1;
    p->neighbours = (double)npairs / p->n;
    return 0;
}

/* Near-field correction at a grid point (fr_sf_near_point in stokes_fast_impl.h). */
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
void fr_sf_near_point(int lvl, NF_ARGS)
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

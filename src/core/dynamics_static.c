/* The static sampler: fr_block_advance_static. */
#include "dynamics.h"
#include "dynamics_pt.h"
#include "effective_map.h"
#include "rng.h"
#include "simd.h"

#include <string.h>

/* ---- Static field, no ambient flow, no Brownian motion: exact in law, vectorised --------
 * This is the common large-N case (interactions off, a field constant in time at each
 * particle). Two facts make it cheap.
 *
 * 1. Exact orientations. With σ frozen, ξ̇ = σγP H has the closed form c = Ĥ·ξ = tanh(a + σkt),
 *    k = γ|H|, the part p = ξ − cĤ shrinking by sech: after a time τ, with q = e^{−kτ},
 *        c' = (c(1+q²) + σ(1−q²)) / D,   p' = 2q p / D,   D = (1+q²) + σc(1−q²) ≥ 2q²
 *    (the addition theorem of tanh; no cancellation near the poles c = ±1).
 * 2. The flip rate falls between flips. λ^σ/ε = exp(−σb|H|c)/ε (1.2), and c moves towards σ,
 *    so the rate at the last event bounds it until the next flip. The jump process is then
 *    sampled exactly by thinning (Lewis & Shedler 1979): candidate times at the bound's rate
 *    λ̄, each accepted with probability λ(t)/λ̄, evaluated on the exact orientation; a rejected
 *    candidate lowers the bound to λ(t). No step size enters the flip times at all.
 *
 * The bound stays valid across steps (the rate keeps falling until the next flip), so a
 * particle's clock is kept between calls in the candidate form: its bound λ̄ and the absolute
 * time t_c of its next candidate (hazard[] and thresh[] hold them; fr_block.clock_cand). A step
 * touches only the particles with t_c in it (about λ̄·dt of them: ~10% at ε = 0.01,
 * dt = 0.001); the others just turn, with no random number, no exp and no clock write. The
 * conversions to and from the integrated-hazard form (hazard Λ, Exp(1) threshold E) used
 * everywhere else are exact in law and use no random numbers: from it, the residual
 * R = E − Λ ~ Exp(1) gives the first candidate at t0 + R/λ̄(t0); back (fr_clocks_to_hazard),
 * the untouched candidate time t_c > t gives R = λ̄(t_c − t) ~ Exp(1) by memorylessness, stored
 * as Λ = 0, E = R. (t_c − t is a difference of absolute times: R loses relative accuracy
 * ~1e-16·t·λ̄, irrelevant unless a particle's rate exceeds ~1e13/t.)
 *
 * Particles go in chunks of FR_CHUNK; each round of candidates is compacted to the particles
 * that have one and run as one SIMD loop (libmvec's vector exp and log). Each particle draws
 * from its own stream only, so results do not depend on the thread count. The effective model
 * (1.9) is integrated alongside (effective_map.h in a uniform field, else RK4). */

static inline double cap700(double x) { return 0.5 * (x + 700.0 - fabs(x - 700.0)); } /* min(x, 700) */

/* ξ turned by the closed form above with q = e^{−kτ} given, in the field direction Ĥ; also
 * c' = Ĥ·ξ'. Written branch-free so lane loops vectorise. */
static inline void exact_turn_q(double hx, double hy, double hz, double q, double sg, double *x0,
                                double *x1, double *x2, double *cout)
{
    const double c = hx * *x0 + hy * *x1 + hz * *x2;
    const double p0 = *x0 - c * hx, p1 = *x1 - c * hy, p2 = *x2 - c * hz;
    const double q2 = q * q;
    const double D0 = (1.0 + q2) + sg * c * (1.0 - q2);
    /* D0 = 0 only at the unstable pole c = −σ after q underflowed: ξ stays there */
    const int ok = D0 > 0.0;
    const double iD = ok ? 1.0 / D0 : 1.0;
    const double cn = ok ? (c * (1.0 + q2) + sg * (1.0 - q2)) * iD : c;
    const double sp = ok ? 2.0 * q * iD : 1.0;
    const double y0 = cn * hx + sp * p0, y1 = cn * hy + sp * p1, y2 = cn * hz + sp * p2;
    /* |y| = 1 up to rounding (the addition theorem keeps c'² + |p'|² = 1): one Newton step of
     * 1/√ puts it back on S² */
    const double nn = 1.5 - 0.5 * (y0 * y0 + y1 * y1 + y2 * y2);
    *x0 = y0 * nn;
    *x1 = y1 * nn;
    *x2 = y2 * nn;
    *cout = cn * nn;
}

/* The same after a time with kτ = kt. */
static inline void exact_turn(double hx, double hy, double hz, double kt, double sg, double *x0,
                              double *x1, double *x2, double *cout)
{
    exact_turn_q(hx, hy, hz, exp(-kt), sg, x0, x1, x2, cout);
}

/* tanh from one exp, to ~1e-16 absolute (all the effective model needs) and cheaper than
 * libmvec's vector tanh; cannot overflow: exp(2x) = inf gives 1, exp(2x) = 0 gives −1. */
static inline double tanh_abs(double x) { return 1.0 - 2.0 / (exp(2.0 * x) + 1.0); }

/* Effective model (1.9), ξ̇* = γ tanh(b H·ξ*) P H: ns RK4 steps of hs for n particles, field
 * (hx, hy, hz)[l * stride] (stride 0: the same field for all). Used where the field differs
 * between particles; a uniform field takes the tabulated map of effective_map.h. */
FR_TARGET_CLONES
static void chunk_effective(int n, int ns, double hs, double gam, double b, const double *restrict hx,
                            const double *restrict hy, const double *restrict hz, int stride,
                            double *restrict e0, double *restrict e1, double *restrict e2)
{
    for (int s = 0; s < ns; s++) {
#pragma omp simd
        for (int l = 0; l < n; l++) {
            const double Hx = hx[l * stride], Hy = hy[l * stride], Hz = hz[l * stride];
            const double y0 = e0[l], y1 = e1[l], y2 = e2[l];
#define EFF_STAGE(k, z0, z1, z2)                                                                   \
    const double hxi##k = Hx * (z0) + Hy * (z1) + Hz * (z2);                                     \
    const double g##k = gam * tanh_abs(b * hxi##k);                                              \
    const double a0##k = g##k * (Hx - hxi##k * (z0)), a1##k = g##k * (Hy - hxi##k * (z1)),        \
                 a2##k = g##k * (Hz - hxi##k * (z2));
            EFF_STAGE(1, y0, y1, y2)
            EFF_STAGE(2, y0 + 0.5 * hs * a01, y1 + 0.5 * hs * a11, y2 + 0.5 * hs * a21)
            EFF_STAGE(3, y0 + 0.5 * hs * a02, y1 + 0.5 * hs * a12, y2 + 0.5 * hs * a22)
            EFF_STAGE(4, y0 + hs * a03, y1 + hs * a13, y2 + hs * a23)
#undef EFF_STAGE
            const double f0 = y0 + hs / 6.0 * (a01 + 2.0 * a02 + 2.0 * a03 + a04);
            const double f1 = y1 + hs / 6.0 * (a11 + 2.0 * a12 + 2.0 * a13 + a14);
            const double f2 = y2 + hs / 6.0 * (a21 + 2.0 * a22 + 2.0 * a23 + a24);
            const double nf = 1.0 / sqrt(f0 * f0 + f1 * f1 + f2 * f2);
            e0[l] = f0 * nf;
            e1[l] = f1 * nf;
            e2[l] = f2 * nf;
        }
    }
}

/* The compacted lanes of a chunk's candidates: one per particle with a candidate in the step. */
typedef struct lanes {
    double ux[FR_CHUNK], uy[FR_CHUNK], uz[FR_CHUNK]; /* Ĥ */
    double k[FR_CHUNK], B[FR_CHUNK];                 /* γ|H|, b|H| */
    double x0[FR_CHUNK], x1[FR_CHUNK], x2[FR_CHUNK]; /* ξ at the particle's last event time te */
    double sg[FR_CHUNK], te[FR_CHUNK];
    double lam[FR_CHUNK]; /* the rate bound λ̄ */
    double tc[FR_CHUNK];  /* next candidate time */
    double u1[FR_CHUNK], u2[FR_CHUNK], nfl[FR_CHUNK];
} lanes;

/* A lower floor for the rate bound: any λ̄ ≥ λ is a valid bound, and with λ̄ > 0 every candidate
 * time and every residual λ̄(t_c − t) stays finite (E ≤ 37 for 53-bit uniforms). */
#define FR_BOUND_MIN 1e-300

/* One candidate for each of the m compacted lanes: turn ξ to tc, accept with λ(tc)/λ̄ (u1),
 * flip if accepted, then the next candidate from a fresh Exp(1) = −ln(1 − u2) at the new bound;
 * a lane whose next candidate falls after t1 is turned on to t1 here (te = t1). */
FR_TARGET_CLONES
static void lanes_candidate(int m, lanes *restrict z, double le, double t1)
{
#pragma omp simd
    for (int l = 0; l < m; l++) {
        double n0 = z->x0[l], n1 = z->x1[l], n2 = z->x2[l], cn;
        exact_turn(z->ux[l], z->uy[l], z->uz[l], z->k[l] * (z->tc[l] - z->te[l]), z->sg[l], &n0,
                   &n1, &n2, &cn);
        const double sg = z->sg[l], B = z->B[l];
        const double ep = exp(cap700(-sg * B * cn - le)); /* λ(tc) (1.2) */
        const double ef = exp(cap700(sg * B * cn - le));  /* the rate (and bound) after a flip */
        const int acc = z->u1[l] * z->lam[l] < ep;        /* u1 < λ(tc)/λ̄ */
        const double E = -log(1.0 - z->u2[l]);
        const double lr = acc ? ef : ep;
        const double lam = lr > FR_BOUND_MIN ? lr : FR_BOUND_MIN;
        const double tn = z->tc[l] + E / lam, sn = acc ? -sg : sg;
        const int out = tn > t1;
        double m0 = n0, m1 = n1, m2 = n2, cm;
        exact_turn(z->ux[l], z->uy[l], z->uz[l], out ? z->k[l] * (t1 - z->tc[l]) : 0.0, sn, &m0,
                   &m1, &m2, &cm);
        z->x0[l] = out ? m0 : n0;
        z->x1[l] = out ? m1 : n1;
        z->x2[l] = out ? m2 : n2;
        z->te[l] = out ? t1 : z->tc[l];
        z->tc[l] = tn;
        z->sg[l] = sn;
        z->lam[l] = lam;
        z->nfl[l] += acc;
    }
}

/* The field's part of the chunk, nh entries (1 for a uniform field): Ĥ, k = γ|H|, B = b|H| and
 * the turn factor e^{−k dt} over the whole step. */
FR_TARGET_CLONES
static void field_lanes(int nh, const double *restrict hx, const double *restrict hy,
                        const double *restrict hz, double gam, double bb, double dt,
                        double (*restrict u)[FR_CHUNK], double *restrict k, double *restrict B,
                        double *restrict q)
{
#pragma omp simd
    for (int l = 0; l < nh; l++) {
        const double Hn = sqrt(hx[l] * hx[l] + hy[l] * hy[l] + hz[l] * hz[l]);
        const double inv = Hn > 0.0 ? 1.0 / Hn : 0.0;
        u[0][l] = hx[l] * inv;
        u[1][l] = hy[l] * inv;
        u[2][l] = Hn > 0.0 ? hz[l] * inv : 1.0; /* any axis when H = 0: k = 0 then */
        k[l] = gam * Hn;
        B[l] = bb * Hn;
        q[l] = exp(-k[l] * dt);
    }
}

/* From the hazard form (Λ, E) to the candidate form at t0: the residual R = E − Λ ~ Exp(1)
 * (memorylessness) at the bound λ̄ = λ(t0) gives the next candidate t0 + R/λ̄. hazard[] is not
 * read when hazard_zero. Afterwards hazard[] holds λ̄ and thresh[] the candidate time. */
FR_TARGET_CLONES
static void clocks_begin(int n, int stride, const double (*restrict u)[FR_CHUNK],
                         const double *restrict B, const double *restrict x0,
                         const double *restrict x1, const double *restrict x2,
                         const int8_t *restrict sigma, int hazard_zero, double *restrict hazard,
                         double *restrict thresh, double le, double t0)
{
#pragma omp simd
    for (int l = 0; l < n; l++) {
        const int f = l * stride;
        const double cc = u[0][f] * x0[l] + u[1][f] * x1[l] + u[2][f] * x2[l];
        const double lr = exp(cap700(-sigma[l] * B[f] * cc - le)); /* (1.2) */
        const double lam = lr > FR_BOUND_MIN ? lr : FR_BOUND_MIN;
        const double R0 = thresh[l] - (hazard_zero ? 0.0 : hazard[l]);
        const double R = R0 > 0.0 ? R0 : 0.0;
        hazard[l] = lam;
        thresh[l] = t0 + R / lam;
    }
}

void fr_clocks_to_hazard(int n, double *restrict hazard, double *restrict thresh, double t)
{
    /* R = λ̄(t_c − t) ~ Exp(1) given the past (memorylessness of the candidate stream) */
#pragma omp simd
    for (int l = 0; l < n; l++) {
        const double R = hazard[l] * (thresh[l] - t);
        thresh[l] = R > 0.0 ? R : 0.0;
        hazard[l] = 0.0;
    }
}

/* The particles of the chunk without a candidate in [t0, t1] (t_c > t1) turned to t1 by the
 * closed form with their own spin: one factor q = e^{−k dt} per field entry, no exp per
 * particle. The others keep ξ(t0) for their candidate lanes. One sequential pass: it is the
 * chunk's first touch of ξ, t_c and σ. */
#define TURN_QUIET(UX, UY, UZ, Q)                                                                 \
    for (int l = 0; l < n; l++) {                                                              \
        double y0 = x0[l], y1 = x1[l], y2 = x2[l], cn;                                         \
        exact_turn_q(UX, UY, UZ, Q, sigma[l], &y0, &y1, &y2, &cn);                             \
        const int quiet = tc[l] > t1;                                                          \
        x0[l] = quiet ? y0 : x0[l];                                                            \
        x1[l] = quiet ? y1 : x1[l];                                                            \
        x2[l] = quiet ? y2 : x2[l];                                                            \
    }
FR_TARGET_CLONES
static void turn_quiet(int n, int nh, const double (*restrict u)[FR_CHUNK],
                       const double *restrict q, const int8_t *restrict sigma,
                       const double *restrict tc, double t1, double *restrict x0,
                       double *restrict x1, double *restrict x2)
{
    if (nh == 1) { /* uniform: the field's values as loop invariants (no gathers) */
        const double ux = u[0][0], uy = u[1][0], uz = u[2][0], q0 = q[0];
#pragma omp simd
        TURN_QUIET(ux, uy, uz, q0)
    } else {
#pragma omp simd
        TURN_QUIET(u[0][l], u[1][l], u[2][l], q[l])
    }
}
#undef TURN_QUIET

/* The candidates' lanes from the chunk's arrays (state at t0). */
static void lanes_load(int m, const int *restrict idx, int stride, lanes *restrict a,
                       const fr_block *blk, const double (*restrict u)[FR_CHUNK],
                       const double *restrict k, const double *restrict B, double t0)
{
    for (int j = 0; j < m; j++) {
        const int l = idx[j], f = l * stride;
        a->ux[j] = u[0][f];
        a->uy[j] = u[1][f];
        a->uz[j] = u[2][f];
        a->k[j] = k[f];
        a->B[j] = B[f];
        a->x0[j] = blk->xi[0][l];
        a->x1[j] = blk->xi[1][l];
        a->x2[j] = blk->xi[2][l];
        a->sg[j] = blk->sigma[l];
        a->te[j] = t0;
        a->lam[j] = blk->hazard[l];
        a->tc[j] = blk->thresh[l];
        a->nfl[j] = 0.0;
    }
}

/* ... and back: ξ at t1, the spin, the flips and the clock. */
static void lanes_store(int m, const int *restrict idx, const lanes *restrict a, const fr_block *blk)
{
    for (int j = 0; j < m; j++) {
        const int l = idx[j];
        blk->xi[0][l] = a->x0[j];
        blk->xi[1][l] = a->x1[j];
        blk->xi[2][l] = a->x2[j];
        blk->sigma[l] = (int8_t)a->sg[j];
        blk->flips[l] += (long long)a->nfl[j];
        blk->hazard[l] = a->lam[j];
        blk->thresh[l] = a->tc[j];
    }
}

/* Gather the m lanes idx[] of z into a (compacted), and scatter them back: the fields the
 * candidate step reads or writes. Vector gathers (and scatters with AVX-512). */
#define LANE_FIELDS(X) X(ux) X(uy) X(uz) X(k) X(B) X(x0) X(x1) X(x2) X(sg) X(te) X(lam) X(tc) X(nfl)
FR_TARGET_CLONES
static void lanes_gather(int m, const int *restrict idx, lanes *restrict a, const lanes *restrict z)
{
#define G(f) a->f[j] = z->f[idx[j]];
#pragma omp simd
    for (int j = 0; j < m; j++) {
        LANE_FIELDS(G)
    }
#undef G
}

FR_TARGET_CLONES
static void lanes_scatter(int m, const int *restrict idx, lanes *restrict z, const lanes *restrict a)
{
#define S(f) z->f[idx[j]] = a->f[j];
#pragma omp simd
    for (int j = 0; j < m; j++) {
        LANE_FIELDS(S)
    }
#undef S
}

/* Lanes [m, m8) as copies of lane 0 (m8: m rounded up to the vector width FR_PAD), so the
 * candidate loop has no scalar remainder (whose exp and log would be libm's scalar calls);
 * their results are never read. */
#define FR_PAD 8
static int lanes_pad(lanes *z, int m)
{
    const int m8 = (m + FR_PAD - 1) / FR_PAD * FR_PAD;
#define P(f) z->f[j] = z->f[0];
    for (int j = m; j < m8; j++) {
        LANE_FIELDS(P) P(u1) P(u2)
    }
#undef P
    return m8;
}

/* Two uniforms for each of the m listed particles, from block ctr[idx] of the particle's own
 * stream (rng.h: u1 from words 0, 1, u2 from words 2, 3), one vector loop for all of them;
 * the counters then move on by one block. */
FR_TARGET_CLONES
static void draw_philox(int m, const uint32_t *restrict cw, const uint32_t *restrict st,
                        fr_rng_key key, double *restrict u1, double *restrict u2)
{
#pragma omp simd
    for (int j = 0; j < m; j++) {
        uint32_t w[4] = {cw[2 * j], cw[2 * j + 1], st[j], 0};
        fr_philox4x32(w, key);
        u1[j] = fr_rng_u53(w[0], w[1]);
        u2[j] = fr_rng_u53(w[2], w[3]);
    }
}

static void draw_uniforms(const fr_block *blk, const int *idx, int m, double *u1, double *u2)
{
    uint32_t cw[2 * FR_CHUNK], st[FR_CHUNK];
    for (int j = 0; j < m; j++) {
        const uint64_t c = blk->rng_ctr[idx[j]]++;
        cw[2 * j] = (uint32_t)c;
        cw[2 * j + 1] = (uint32_t)(c >> 32);
        st[j] = blk->first + (uint32_t)idx[j];
    }
    draw_philox(m, cw, st, blk->rng_key, u1, u2);
}

/* The candidate rounds of the m lanes of a (particles pid[]): every lane has a candidate in
 * [t0, t1] at first; each round draws for the lanes that still have one (from those particles'
 * own streams), and the ones whose next candidate falls after t1 drop out, at t1. */
static void candidate_rounds(const fr_dyn_ctx *c, const fr_block *blk, lanes *a, const int *pid,
                             int m, double le, double t1)
{
    lanes b; /* 35 kB: the lanes still active after the first round */
    int act[FR_CHUNK], who[FR_CHUNK];
    draw_uniforms(blk, pid, m, a->u1, a->u2);
    lanes_candidate(lanes_pad(a, m), a, le, t1);
    int na = 0;
    for (int j = 0; j < m; j++) { /* branch-free compaction */
        act[na] = j;
        na += a->tc[j] <= t1;
    }
    while (na > 0 && !fr_dyn_aborted(c)) {
        for (int j = 0; j < na; j++)
            who[j] = pid[act[j]];
        lanes_gather(na, act, &b, a);
        draw_uniforms(blk, who, na, b.u1, b.u2);
        lanes_candidate(lanes_pad(&b, na), &b, le, t1);
        lanes_scatter(na, act, a, &b);
        int n2 = 0;
        for (int j = 0; j < na; j++) {
            act[n2] = act[j];
            n2 += b.tc[j] <= t1;
        }
        na = n2;
    }
}

int fr_static_eff_substeps(double k, double B, double dt)
{
    return substep_rule(dt, k * (1.0 + B), k, 0.0); /* as substeps() without flow */
}

/* The effective model (1.9) of the chunk over [t0, t0 + dt]. Uniform field: the tabulated exact
 * step of effective_map.h when the caller prepared it for these rates and this substep; H = 0:
 * ξ* stays. Else RK4, substeps as substeps() with a static field and no flow. */
static void chunk_effective_step(const fr_dyn_ctx *c, const fr_block *blk, int nh,
                                 const double (*H)[FR_CHUNK], const double (*u)[FR_CHUNK],
                                 const double *k, const double *B, double dt)
{
    const int n = blk->cnt;
    if (nh == 1) {
        if (!(k[0] > 0.0))
            return;
        const int ns = fr_static_eff_substeps(k[0], B[0], dt);
        const fr_eff_map *em = c->eff;
        if (em && em->nint > 0 && em->k == k[0] && em->B == B[0] && em->h == dt / ns) {
            const double uu[3] = {u[0][0], u[1][0], u[2][0]};
            for (int s = 0; s < ns; s++)
                fr_eff_map_apply(em, n, uu, blk->xis[0], blk->xis[1], blk->xis[2]);
            return;
        }
    }
    double kmax = 0.0, gmax = 0.0;
    for (int l = 0; l < nh; l++) {
        kmax = fmax(kmax, k[l] * (1.0 + B[l]));
        gmax = fmax(gmax, k[l]);
    }
    const int ns = substep_rule(dt, kmax, gmax, 0.0);
    chunk_effective(n, ns, dt / ns, c->gamma, c->b, H[0], H[1], H[2], nh == 1 ? 0 : 1,
                    blk->xis[0], blk->xis[1], blk->xis[2]);
}

void fr_block_advance_static(const fr_dyn_ctx *c, const fr_block *blk, double t0, double t1)
{
    const int n = blk->cnt;
    const double le = log(c->eps), dt = t1 - t0;
    const fr_field *f = c->field;
    /* the uniform part alone (the common case) is the same at every particle */
    const int uniform = f->grad_g == 0.0 && !f->has_magnet;
    const int nh = uniform || n < 1 ? 1 : n, stride = nh == 1 ? 0 : 1;
    double H[3][FR_CHUNK], u[3][FR_CHUNK], k[FR_CHUNK], B[FR_CHUNK], q[FR_CHUNK];
    for (int l = 0; l < nh; l++) {
        /* a uniform field is the same anywhere: the centres are not read (a cache miss less) */
        const double X[3] = {uniform ? 0.0 : blk->X[0][l], uniform ? 0.0 : blk->X[1][l],
                             uniform ? 0.0 : blk->X[2][l]};
        double h[3];
        fr_field_eval(f, t0, X, h, NULL);
        H[0][l] = h[0];
        H[1][l] = h[1];
        H[2][l] = h[2];
    }
    field_lanes(nh, H[0], H[1], H[2], c->gamma, c->b, dt, u, k, B, q);
    if (!blk->clock_cand)
        clocks_begin(n, stride, (const double(*)[FR_CHUNK])u, B, blk->xi[0], blk->xi[1],
                     blk->xi[2], blk->sigma, blk->hazard_zero, blk->hazard, blk->thresh, le, t0);

    /* the particles with a candidate in the step (thresh[] holds the candidate times) go into
     * compacted lanes; the others only turn, with no random number and no exp */
    int idx[FR_CHUNK], m = 0;
    for (int l = 0; l < n; l++) { /* branch-free compaction */
        idx[m] = l;
        m += blk->thresh[l] <= t1;
    }
    /* the candidates' scattered reads (bound, stream counter, flip counter) would each miss
     * the cache at large N: ask for them now, the turn of the chunk hides the latency */
    for (int j = 0; j < m; j++) {
        __builtin_prefetch(blk->hazard + idx[j], 0);
        __builtin_prefetch(blk->rng_ctr + idx[j], 1);
        __builtin_prefetch(blk->flips + idx[j], 1);
    }
    turn_quiet(n, nh, (const double(*)[FR_CHUNK])u, q, blk->sigma, blk->thresh, t1,
               blk->xi[0], blk->xi[1], blk->xi[2]);
    lanes a; /* 35 kB */
    lanes_load(m, idx, stride, &a, blk, (const double(*)[FR_CHUNK])u, k, B, t0);
    if (m > 0 && !fr_dyn_aborted(c)) {
        candidate_rounds(c, blk, &a, idx, m, le, t1);
        lanes_store(m, idx, &a, blk);
    }
    if (!c->no_effective)
        chunk_effective_step(c, blk, nh, (const double(*)[FR_CHUNK])H,
                             (const double(*)[FR_CHUNK])u, k, B, dt);
}

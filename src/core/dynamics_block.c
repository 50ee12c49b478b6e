/* The general path over a chunk of particles: fr_block_advance, the chunked form of
 * fr_particle_advance (dynamics.c).
 *
 * fr_particle_advance's control flow for up to FR_GCHUNK particles at once: the RK4 stages run
 * as SIMD loops over the lanes (micro_rhs_pt, micro_rk4_pt, eff_rk4_pt of dynamics_pt.h), the
 * rest — the substep counts, the field where it depends on time, the crossings located on the
 * Hermite interpolant, the flips and their fresh thresholds, the Brownian increments — lane by lane
 * with fr_particle_advance's own functions and each particle's own stream. Every particle goes
 * through the same operations in the same order as there (the exp is the portable one), so the
 * results are bit-identical to it, whatever the lane, the chunk, the thread or the ISA level.
 *
 * A substep is done in rounds: every lane still inside its substep takes one RK4 step to the
 * substep's end; the lanes whose Λ stays below the threshold are done, the others (about half
 * of them at the defaults, ε = 0.01, b|H| = 2) are compacted, redone to their crossing, flip,
 * and go round again from the flip time. */
#include "dynamics.h"
#include "dynamics_pt.h"
#include "rng.h"
#include "simd.h"

#include <gsl/gsl_randist.h>
#include <string.h>

#define GL FR_GCHUNK

/* What the RK4 stages read per lane: (ξ, Λ), σ, W, E and the field when it is constant on
 * [t0, t1]. */
typedef struct glanes {
    double y[4][GL], sg[GL], W[9][GL], E[9][GL], H[3][GL];
} glanes;

/* A round's lanes: start, step and substep end, k1, the RK4 result and the result redone to
 * the crossing, the stage fields when the field depends on time, and the chunk lane of each. */
typedef struct ground {
    double t[GL], tb[GL], h[GL], hp[GL], sf[GL], tt[GL];
    double k1[4][GL], y1[4][GL], yf[4][GL];
    double f1[3][GL], fm[3][GL], fe[3][GL];
    int lane[GL];
} ground;

typedef struct gchunk {
    glanes a; /* in particle order: the chunk's state */
    double xs[3][GL], th[GL], hs[GL], bsd[GL];
    int ns[GL], n, tdep;
    long long nfl[GL];
    const double *X[3];
    const fr_field *field;
    fr_rng_stream rs[GL];
    gsl_rng rng[GL];
} gchunk;

FR_TARGET_CLONES
static void lanes_k1(int m, const mpar *restrict P, const glanes *restrict a,
                     const double (*restrict f1)[GL], double (*restrict k1)[GL])
{
#pragma omp simd
    for (int j = 0; j < m; j++)
        micro_rhs_pt(P, &a->W[0][j], &a->E[0][j], GL, a->sg[j], f1[0][j], f1[1][j], f1[2][j],
                     a->y[0][j], a->y[1][j], a->y[2][j], &k1[0][j], &k1[1][j], &k1[2][j],
                     &k1[3][j]);
}

FR_TARGET_CLONES
static void lanes_rk4(int m, const mpar *restrict P, const glanes *restrict a,
                      const double (*restrict fm)[GL], const double (*restrict fe)[GL],
                      const double *restrict h, const double (*restrict k1)[GL],
                      double (*restrict out)[GL])
{
#pragma omp simd
    for (int j = 0; j < m; j++)
        micro_rk4_pt(P, &a->W[0][j], &a->E[0][j], GL, a->sg[j], fm[0][j], fm[1][j], fm[2][j],
                     fe[0][j], fe[1][j], fe[2][j], h[j], a->y[0][j], a->y[1][j], a->y[2][j],
                     a->y[3][j], k1[0][j], k1[1][j], k1[2][j], k1[3][j], &out[0][j], &out[1][j],
                     &out[2][j], &out[3][j]);
}

FR_TARGET_CLONES
static void lanes_eff(int m, const mpar *restrict P, double *restrict x0, double *restrict x1,
                      double *restrict x2, const double (*restrict f1)[GL],
                      const double (*restrict fm)[GL], const double (*restrict fe)[GL],
                      const double *restrict h)
{
#pragma omp simd
    for (int j = 0; j < m; j++)
        eff_rk4_pt(P, &f1[0][j], &fm[0][j], &fe[0][j], GL, h[j], &x0[j], &x1[j], &x2[j]);
}

/* The field at the round's lanes at times t + frac·h (frac 0, 1/2, 1: the RK4 stage times,
 * written as fr_particle_advance writes them). */
static void lanes_field(const gchunk *g, int m, const int *lane, const double *t, const double *h,
                        int frac2, double *tt, double (*out)[GL])
{
    for (int j = 0; j < m; j++) {
        tt[j] = frac2 == 0 ? t[j] : frac2 == 1 ? t[j] + 0.5 * h[j] : t[j] + h[j];
        const int l = lane[j];
        const double X[3] = {g->X[0][l], g->X[1][l], g->X[2][l]};
        double H[3];
        fr_field_eval(g->field, tt[j], X, H, NULL);
        out[0][j] = H[0];
        out[1][j] = H[1];
        out[2][j] = H[2];
    }
}

static void copy_lane(glanes *d, int jd, const glanes *s, int js)
{
    for (int k = 0; k < 4; k++)
        d->y[k][jd] = s->y[k][js];
    d->sg[jd] = s->sg[js];
    for (int k = 0; k < 9; k++) {
        d->W[k][jd] = s->W[k][js];
        d->E[k][jd] = s->E[k][js];
    }
    for (int k = 0; k < 3; k++)
        d->H[k][jd] = s->H[k][js];
}

/* The round's lanes keep[0..nk) (ascending) moved to the front of cx, from cur (cx itself or
 * the chunk's lanes). */
static glanes *compact(const glanes *cur, glanes *cx, ground *r, const int *keep, int nk)
{
    for (int i = 0; i < nk; i++) {
        const int j = keep[i];
        if (cur != cx || i != j)
            copy_lane(cx, i, cur, j);
        r->t[i] = r->t[j];
        r->tb[i] = r->tb[j];
        r->h[i] = r->h[j];
        r->lane[i] = r->lane[j];
        for (int k = 0; k < 4; k++) {
            r->k1[k][i] = r->k1[k][j];
            r->y1[k][i] = r->y1[k][j];
        }
    }
    return cx;
}

/* The stage fields of a round at t + frac·h for frac = 0, 1/2, 1 (time-dependent field), or
 * the lanes' own constant field. */
static void round_fields(const gchunk *g, const glanes *cur, ground *r, int m, const double *h,
                         const double (**f1)[GL], const double (**fm)[GL],
                         const double (**fe)[GL])
{
    if (!g->tdep) {
        if (f1)
            *f1 = (const double(*)[GL])cur->H;
        *fm = *fe = (const double(*)[GL])cur->H;
        return;
    }
    if (f1) {
        lanes_field(g, m, r->lane, r->t, h, 0, r->tt, r->f1);
        *f1 = (const double(*)[GL])r->f1;
    }
    lanes_field(g, m, r->lane, r->t, h, 1, r->tt, r->fm);
    lanes_field(g, m, r->lane, r->t, h, 2, r->tt, r->fe);
    *fm = (const double(*)[GL])r->fm;
    *fe = (const double(*)[GL])r->fe;
}

/* hermite_crossing for m lanes: the same iterations per lane. The first HERMITE_VEC iterations
 * run across the lanes (most lanes converge within them); a lane still unconverged goes on
 * alone, so that a few slow lanes do not hold the others. */
#ifndef HERMITE_VEC
#define HERMITE_VEC 4
#endif
FR_TARGET_CLONES
static void hermite_lanes(int m, const double *restrict L0, const double *restrict L1,
                          const double *restrict r0h, const double *restrict r1h,
                          const double *restrict E, double *restrict s)
{
    double lo[GL], hi[GL];
    int done[GL];
#pragma omp simd
    for (int j = 0; j < m; j++) {
        s[j] = hermite_start(L0[j], L1[j], E[j]);
        lo[j] = 0.0;
        hi[j] = 1.0;
        done[j] = 0;
    }
    for (int it = 0; it < HERMITE_VEC; it++) {
#pragma omp simd
        for (int j = 0; j < m; j++) {
            double S = s[j], LO = lo[j], HI = hi[j];
            const int d = hermite_iter(L0[j], L1[j], r0h[j], r1h[j], E[j], &S, &LO, &HI);
            const int was = done[j];
            s[j] = was ? s[j] : S;
            lo[j] = was ? lo[j] : LO;
            hi[j] = was ? hi[j] : HI;
            done[j] = was | d;
        }
    }
    for (int j = 0; j < m; j++)
        for (int it = HERMITE_VEC; it < 100 && !done[j]; it++)
            done[j] = hermite_iter(L0[j], L1[j], r0h[j], r1h[j], E[j], &s[j], &lo[j], &hi[j]);
}

/* The rate at the substep's end and the Hermite data of the crossing lanes (cx, round r). */
FR_TARGET_CLONES
static void crossing_data(int m, const mpar *restrict P, const glanes *restrict cx,
                          const double (*restrict fb)[GL], ground *restrict r,
                          const double *restrict th, double *restrict L0, double *restrict r0h,
                          double *restrict r1h, double *restrict E)
{
#pragma omp simd
    for (int j = 0; j < m; j++) {
        const double Hxi = fb[0][j] * r->y1[0][j] + fb[1][j] * r->y1[1][j] + fb[2][j] * r->y1[2][j];
        const double kend = fr_flip_rate(cx->sg[j], P->b, Hxi, P->le);
        const double h = r->h[j];
        L0[j] = cx->y[3][j];
        r0h[j] = r->k1[3][j] * h;
        r1h[j] = kend * h;
        E[j] = th[r->lane[j]];
    }
}

/* Where the crossing lanes (cx, round r) reach their thresholds: micro_substep's location. */
static void locate_crossings(const mpar *P, const gchunk *g, const glanes *cx, ground *r, int m)
{
    const double(*fb)[GL] = (const double(*)[GL])cx->H;
    if (g->tdep) { /* the field at the substep's end */
        lanes_field(g, m, r->lane, r->tb, r->tb, 0, r->tt, r->f1);
        fb = (const double(*)[GL])r->f1;
    }
    double L0[GL], r0h[GL], r1h[GL], E[GL];
    crossing_data(m, P, cx, fb, r, g->th, L0, r0h, r1h, E);
    hermite_lanes(m, L0, r->y1[3], r0h, r1h, E, r->sf);
#pragma omp simd
    for (int j = 0; j < m; j++)
        r->hp[j] = r->sf[j] * r->h[j];
}

/* (1.2): the crossing lanes flip at their crossing times, with fresh thresholds. */
static void flip_lanes(gchunk *g, glanes *cx, ground *r, int m)
{
    for (int j = 0; j < m; j++) {
        const int l = r->lane[j];
        const int inside = r->sf[j] < 1.0;
        const double tf = inside ? r->t[j] + r->sf[j] * r->h[j] : r->tb[j];
        for (int k = 0; k < 3; k++)
            g->a.y[k][l] = cx->y[k][j] = inside ? r->yf[k][j] : r->y1[k][j];
        g->a.y[3][l] = cx->y[3][j] = 0.0;
        g->a.sg[l] = cx->sg[j] = -cx->sg[j];
        g->nfl[l]++;
        g->th[l] = gsl_ran_exponential(&g->rng[l], 1.0);
        r->t[j] = tf;
    }
}

/* micro_substep for the m lanes lane[] (all the chunk's, in order, when identity) over their
 * substep s: rounds of RK4 steps to the substep's end, compacted to the lanes that flipped. */
static void micro_rounds(const fr_dyn_ctx *c, const mpar *P, gchunk *g, int m, const int *lane,
                         int identity, double t0, int s, glanes *cx, ground *r)
{
    const glanes *cur = &g->a;
    int keep[GL];
    for (int j = 0; j < m; j++) {
        const int l = lane[j];
        r->t[j] = t0 + s * g->hs[l];
        r->tb[j] = t0 + (s + 1) * g->hs[l];
        r->lane[j] = l;
    }
    if (!identity) {
        for (int j = 0; j < m; j++)
            copy_lane(cx, j, &g->a, lane[j]);
        cur = cx;
    }
    while (m > 0 && !fr_dyn_aborted(c)) {
        int nk = 0;
        for (int j = 0; j < m; j++) { /* the lanes at their substep's end leave */
            r->h[j] = r->tb[j] - r->t[j];
            keep[nk] = j;
            nk += r->h[j] > 0.0;
        }
        if (nk < m) {
            cur = compact(cur, cx, r, keep, nk);
            m = nk;
            if (m == 0)
                break;
        }
        const double(*f1)[GL], (*fm)[GL], (*fe)[GL];
        round_fields(g, cur, r, m, r->h, &f1, &fm, &fe);
        lanes_k1(m, P, cur, f1, r->k1);
        lanes_rk4(m, P, cur, fm, fe, r->h, (const double(*)[GL])r->k1, r->y1);
        int nx = 0;
        for (int j = 0; j < m; j++) {
            const int l = r->lane[j];
            if (!(r->y1[3][j] >= g->th[l])) { /* no flip in this step (or NaN): done */
                for (int k = 0; k < 4; k++)
                    g->a.y[k][l] = r->y1[k][j];
            } else {
                keep[nx++] = j;
            }
        }
        if (nx == 0)
            break;
        glanes *x = compact(cur, cx, r, keep, nx);
        cur = x;
        m = nx;
        locate_crossings(P, g, x, r, m);
        round_fields(g, x, r, m, r->hp, NULL, &fm, &fe);
        lanes_rk4(m, P, x, fm, fe, r->hp, (const double(*)[GL])r->k1, r->yf);
        flip_lanes(g, x, r, m);
    }
}

/* rk4_eff for the m lanes lane[] over their substep s (identity: all the chunk's, in order). */
static void eff_lanes(const mpar *P, gchunk *g, int m, const int *lane, int identity, double t0,
                      int s, ground *r)
{
    for (int j = 0; j < m; j++) {
        const int l = lane[j];
        r->lane[j] = l;
        r->h[j] = g->hs[l];
        r->t[j] = t0 + s * g->hs[l];
    }
    double *x[3] = {g->xs[0], g->xs[1], g->xs[2]};
    const double(*f1)[GL] = (const double(*)[GL])g->a.H;
    if (!identity) {
        for (int k = 0; k < 3; k++) {
            x[k] = r->y1[k];
            for (int j = 0; j < m; j++) {
                r->y1[k][j] = g->xs[k][lane[j]];
                r->f1[k][j] = g->a.H[k][lane[j]];
            }
        }
        f1 = (const double(*)[GL])r->f1;
    }
    const double(*fm)[GL] = f1, (*fe)[GL] = f1;
    if (g->tdep) {
        lanes_field(g, m, r->lane, r->t, r->h, 0, r->tt, r->f1);
        lanes_field(g, m, r->lane, r->t, r->h, 1, r->tt, r->fm);
        lanes_field(g, m, r->lane, r->t, r->h, 2, r->tt, r->fe);
        f1 = (const double(*)[GL])r->f1;
        fm = (const double(*)[GL])r->fm;
        fe = (const double(*)[GL])r->fe;
    }
    lanes_eff(m, P, x[0], x[1], x[2], f1, fm, fe, r->h);
    if (!identity)
        for (int j = 0; j < m; j++)
            for (int k = 0; k < 3; k++)
                g->xs[k][lane[j]] = r->y1[k][j];
}

/* fr_particle_advance's Brownian step for the m lanes lane[]. */
static void brownian_lanes(gchunk *g, int m, const int *lane)
{
    for (int j = 0; j < m; j++) {
        const int l = lane[j];
        if (!(g->bsd[l] > 0.0))
            continue;
        const double w[3] = {gsl_ran_gaussian_ziggurat(&g->rng[l], g->bsd[l]),
                             gsl_ran_gaussian_ziggurat(&g->rng[l], g->bsd[l]),
                             gsl_ran_gaussian_ziggurat(&g->rng[l], g->bsd[l])};
        double y[3] = {g->a.y[0][l], g->a.y[1][l], g->a.y[2][l]};
        double e[3] = {g->xs[0][l], g->xs[1][l], g->xs[2][l]};
        rotate(y, w);
        rotate(e, w);
        for (int k = 0; k < 3; k++) {
            g->a.y[k][l] = y[k];
            g->xs[k][l] = e[k];
        }
    }
}

/* W, E and |G| of the lanes from their gradients (9 per particle), as fr_particle_advance. */
FR_TARGET_CLONES
static void lanes_flow(int n, const double *restrict G, glanes *restrict a, double *restrict gnorm)
{
#pragma omp simd
    for (int l = 0; l < n; l++) {
        const double *g = G + 9 * (size_t)l;
        double gn = 0.0;
        for (int i = 0; i < 3; i++)
            for (int m = 0; m < 3; m++) {
                a->W[3 * i + m][l] = 0.5 * (g[3 * i + m] - g[3 * m + i]);
                a->E[3 * i + m][l] = 0.5 * (g[3 * i + m] + g[3 * m + i]);
                gn += g[3 * i + m] * g[3 * i + m];
            }
        gnorm[l] = sqrt(gn);
    }
}

/* Substeps, their length and the Brownian increments' size per lane, as fr_particle_advance. */
FR_TARGET_CLONES
static void lanes_substeps(int n, const subpar *restrict q, const glanes *restrict a,
                           const double *restrict gnorm, double brownian, int *restrict ns,
                           double *restrict hs, double *restrict bsd)
{
    const double dt = q->dt;
    const int brown = brownian > 0.0 && !q->hold;
    double nsd[GL];
#pragma omp simd
    for (int l = 0; l < n; l++) {
        nsd[l] = substeps_for(q, a->H[0][l], a->H[1][l], a->H[2][l], gnorm[l]);
        hs[l] = dt / nsd[l]; /* (t1 − t0) / ns: ns converts exactly */
        bsd[l] = brown ? sqrt(2.0 * brownian * hs[l]) : 0.0;
    }
    for (int l = 0; l < n; l++)
        ns[l] = (int)nsd[l];
}

/* The chunk's lanes from the block, with fr_particle_advance's set-up per particle. */
static void chunk_load(const fr_dyn_ctx *c, const fr_block *blk, gchunk *g, double t0, double t1)
{
    const int n = g->n = blk->cnt;
    g->field = c->field;
    const fr_field *f = c->field;
    /* the field is constant on [t0, t1] unless it rotates, sweeps or may switch off in it */
    g->tdep = f->rotating || f->sweep || (f->has_switch_off && !(t0 >= f->t_off));
    for (int k = 0; k < 3; k++)
        g->X[k] = blk->X[k];
    /* H(t0) at each lane (the stages read it only when it is constant on [t0, t1]); without a
     * gradient or a magnet it is the same everywhere: one evaluation */
    const int same = f->grad_g == 0.0 && !f->has_magnet;
    for (int l = 0; l < n; l++) {
        double H[3];
        if (l == 0 || !same) {
            const double X[3] = {blk->X[0][l], blk->X[1][l], blk->X[2][l]};
            fr_field_eval(f, t0, X, H, NULL);
        } else {
            H[0] = g->a.H[0][0];
            H[1] = g->a.H[1][0];
            H[2] = g->a.H[2][0];
        }
        for (int k = 0; k < 3; k++)
            g->a.H[k][l] = H[k];
    }
    double gnorm[GL];
    lanes_flow(n, blk->G, &g->a, gnorm);
    const subpar q = subpar_of(c, t0, t1);
    lanes_substeps(n, &q, &g->a, gnorm, c->brownian, g->ns, g->hs, g->bsd);
    for (int k = 0; k < 3; k++)
        for (int l = 0; l < n; l++) {
            g->a.y[k][l] = blk->xi[k][l];
            g->xs[k][l] = blk->xis[k][l];
        }
    for (int l = 0; l < n; l++) {
        g->a.y[3][l] = blk->hazard[l];
        g->a.sg[l] = blk->sigma[l];
        g->th[l] = blk->thresh[l];
        g->nfl[l] = 0;
        fr_rng_open(&g->rng[l], &g->rs[l], blk->rng_key, blk->first + (uint32_t)l, blk->rng_ctr[l]);
    }
}

static void chunk_store(const gchunk *g, const fr_block *blk)
{
    for (int l = 0; l < g->n; l++) {
        for (int k = 0; k < 3; k++) {
            blk->xi[k][l] = g->a.y[k][l];
            blk->xis[k][l] = g->xs[k][l];
        }
        blk->hazard[l] = g->a.y[3][l];
        blk->sigma[l] = (int8_t)g->a.sg[l];
        blk->thresh[l] = g->th[l];
        blk->flips[l] += g->nfl[l];
        blk->rng_ctr[l] = fr_rng_close(&g->rs[l]);
    }
}

void fr_block_advance(const fr_dyn_ctx *c, const fr_block *blk, double t0, double t1)
{
    const double le = log(c->eps);
    const mpar P = mpar_of(c, le);
    gchunk g;
    glanes cx;
    ground r;
    chunk_load(c, blk, &g, t0, t1);
    int nsmax = 0, lane[GL];
    for (int l = 0; l < g.n; l++)
        nsmax = g.ns[l] > nsmax ? g.ns[l] : nsmax;
    for (int s = 0; s < nsmax && !fr_dyn_aborted(c); s++) {
        int m = 0; /* the lanes with a substep s */
        for (int l = 0; l < g.n; l++) {
            lane[m] = l;
            m += s < g.ns[l];
        }
        const int identity = m == g.n;
        if (!c->no_effective)
            eff_lanes(&P, &g, m, lane, identity, t0, s, &r);
        micro_rounds(c, &P, &g, m, lane, identity, t0, s, &cx, &r);
        brownian_lanes(&g, m, lane);
    }
    chunk_store(&g, blk);
}

void fr_blocks_advance(const fr_dyn_ctx *c, const fr_block *all, double t0, double t1)
{
    const int n = all->cnt, nb = (n + FR_GCHUNK - 1) / FR_GCHUNK;
#pragma omp parallel for schedule(dynamic, 4)
    for (int b = 0; b < nb; b++) {
        const int i0 = b * FR_GCHUNK;
        const fr_block blk = fr_block_chunk(all, i0, n - i0 < FR_GCHUNK ? n - i0 : FR_GCHUNK);
        fr_block_advance(c, &blk, t0, t1);
    }
}

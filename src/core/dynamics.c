/* One particle over [t0, t1]: orientation (1.3) in the dilute form of MODEL.md,
 *   ξ̇ = σ γ P_ξ⊥ H(t, X) + W ξ,
 * the exact jump process (1.2) for σ, and the effective orientation (1.9)/(3.1),
 *   ξ̇* = γ m0(t, X, ξ*) P_ξ*⊥ H(t, X).
 *
 * Spin flips follow the paper's construction: the integrated hazard Λ = ∫ λ^σ/ε ds is
 * integrated as a fourth ODE component together with ξ (RK4), and the spin flips when Λ
 * reaches an Exp(1) threshold E. Inside the RK4 step where Λ crosses E, the crossing time
 * is located on the cubic Hermite interpolant of Λ (values and rates at both ends, error
 * O(h⁴) like the step itself), the step is redone up to that time, σ flips, Λ restarts
 * from 0 with a fresh threshold, and integration goes on from the flip time.
 *
 * For a field constant in time without flow or Brownian motion, fr_block_advance_static (at
 * the end of this file) samples the same process exactly in law by thinning, on closed-form
 * orientations, vectorised over chunks of particles.
 *
 * We write RK4 by hand rather than drive GSL's odeiv2: the system is 4-dimensional, runs
 * N times per step inside OpenMP, and needs the event handling above, where the per-call
 * overhead of the GSL driver would dominate.
 */
#include "dynamics.h"
#include "effective_map.h"
#include "rng.h"
#include "param_limits.h"
#include "simd.h"

#include <gsl/gsl_randist.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    const fr_dyn_ctx *c;
    const double *X;
    double W[9], E[9]; /* rotation and strain rate of the ambient flow, ½(G ∓ Gᵀ) */
    double Gnorm;
    double log_eps;
} rhs_ctx;

/* ---- The arithmetic of one particle, shared by the scalar path (fr_particle_advance) and its
 * chunked form (fr_block_advance): the same expressions in the same order, so the two agree
 * bit for bit. W and E are read at W[k * st] (st = 1: a particle's own 3×3 matrices; st = the
 * lane count: a column of the lanes' matrices); the field values at the stage times are given. */
#if defined(__GNUC__)
#define PT_INLINE static inline __attribute__((always_inline)) /* into the lane loops */
#else
#define PT_INLINE static inline
#endif
typedef struct mpar {
    double gamma, beta, b, le; /* γ, Jeffery's β, b, ln ε */
    int hold;
} mpar;

/* y = (ξ, Λ), σ fixed: ξ̇ = σγP_ξ⊥H + Wξ + β(Eξ − (ξ·Eξ)ξ) (own torque (1.15), rotation by the
 * ambient flow, Jeffery's strain term), Λ̇ = λ^σ/ε (1.2). */
PT_INLINE void micro_rhs_pt(const mpar *P, const double *W, const double *E, ptrdiff_t st,
                                double sg, double Hx, double Hy, double Hz, double y0, double y1,
                                double y2, double *d0, double *d1, double *d2, double *d3)
{
    const double Hxi = Hx * y0 + Hy * y1 + Hz * y2;
    const double g = sg * P->gamma, beta = P->beta;
    const double Ey0 = E[0] * y0 + E[st] * y1 + E[2 * st] * y2;
    const double Ey1 = E[3 * st] * y0 + E[4 * st] * y1 + E[5 * st] * y2;
    const double Ey2 = E[6 * st] * y0 + E[7 * st] * y1 + E[8 * st] * y2;
    double yEy = 0.0;
    yEy += y0 * Ey0;
    yEy += y1 * Ey1;
    yEy += y2 * Ey2;
    const double a0 = g * (Hx - Hxi * y0) + W[0] * y0 + W[st] * y1 + W[2 * st] * y2 +
                      beta * (Ey0 - yEy * y0);
    const double a1 = g * (Hy - Hxi * y1) + W[3 * st] * y0 + W[4 * st] * y1 + W[5 * st] * y2 +
                      beta * (Ey1 - yEy * y1);
    const double a2 = g * (Hz - Hxi * y2) + W[6 * st] * y0 + W[7 * st] * y1 + W[8 * st] * y2 +
                      beta * (Ey2 - yEy * y2);
    *d0 = P->hold ? 0.0 : a0;
    *d1 = P->hold ? 0.0 : a1;
    *d2 = P->hold ? 0.0 : a2;
    *d3 = fr_flip_rate(sg, P->b, Hxi, P->le);
}

/* Classical RK4 for (ξ, Λ) over h, k1 given, field Hm at t + h/2 and He at t + h; ξ
 * renormalised onto S². Scalars only (no local arrays), so the lane loops vectorise. */
PT_INLINE void micro_rk4_pt(const mpar *P, const double *W, const double *E, ptrdiff_t st,
                            double sg, double Hm0, double Hm1, double Hm2, double He0, double He1,
                            double He2, double h, double y0, double y1, double y2, double y3,
                            double k10, double k11, double k12, double k13, double *o0,
                            double *o1, double *o2, double *o3)
{
    double k20, k21, k22, k23, k30, k31, k32, k33, k40, k41, k42, k43;
    micro_rhs_pt(P, W, E, st, sg, Hm0, Hm1, Hm2, y0 + 0.5 * h * k10, y1 + 0.5 * h * k11,
                 y2 + 0.5 * h * k12, &k20, &k21, &k22, &k23);
    micro_rhs_pt(P, W, E, st, sg, Hm0, Hm1, Hm2, y0 + 0.5 * h * k20, y1 + 0.5 * h * k21,
                 y2 + 0.5 * h * k22, &k30, &k31, &k32, &k33);
    micro_rhs_pt(P, W, E, st, sg, He0, He1, He2, y0 + h * k30, y1 + h * k31, y2 + h * k32, &k40,
                 &k41, &k42, &k43);
    const double u0 = y0 + h / 6.0 * (k10 + 2.0 * k20 + 2.0 * k30 + k40);
    const double u1 = y1 + h / 6.0 * (k11 + 2.0 * k21 + 2.0 * k31 + k41);
    const double u2 = y2 + h / 6.0 * (k12 + 2.0 * k22 + 2.0 * k32 + k42);
    *o3 = y3 + h / 6.0 * (k13 + 2.0 * k23 + 2.0 * k33 + k43);
    const double n = sqrt(u0 * u0 + u1 * u1 + u2 * u2);
    *o0 = u0 / n;
    *o1 = u1 / n;
    *o2 = u2 / n;
}

/* tanh from one exp, to ~1e-16 absolute (all the effective model needs), in the portable exp:
 * exp(2x) capped at e^700 gives 1, below e^−708 it is 0 and gives −1. */
PT_INLINE double tanh_portable(double x)
{
    const double z = 2.0 * x;
    return 1.0 - 2.0 / (fr_exp_portable(z < 700.0 ? z : 700.0) + 1.0);
}

/* (1.9): ξ̇* = γ m0 P_ξ*⊥ H, m0 = tanh(b H·ξ*) (1.8). */
PT_INLINE void eff_rhs_pt(const mpar *P, double H0, double H1, double H2, double y0, double y1,
                          double y2, double *d0, double *d1, double *d2)
{
    const double Hxi = H0 * y0 + H1 * y1 + H2 * y2;
    const double g = P->gamma * tanh_portable(P->b * Hxi);
    *d0 = P->hold ? 0.0 : g * (H0 - Hxi * y0);
    *d1 = P->hold ? 0.0 : g * (H1 - Hxi * y1);
    *d2 = P->hold ? 0.0 : g * (H2 - Hxi * y2);
}

/* RK4 of (1.9) over h with the field H1, Hm, He at t, t + h/2, t + h; y renormalised. */
PT_INLINE void eff_rk4_pt(const mpar *P, const double *H1, const double *Hm, const double *He,
                          ptrdiff_t st, double h, double *y0, double *y1, double *y2)
{
    double k10, k11, k12, k20, k21, k22, k30, k31, k32, k40, k41, k42;
    const double a0 = *y0, a1 = *y1, a2 = *y2;
    eff_rhs_pt(P, H1[0], H1[st], H1[2 * st], a0, a1, a2, &k10, &k11, &k12);
    eff_rhs_pt(P, Hm[0], Hm[st], Hm[2 * st], a0 + 0.5 * h * k10, a1 + 0.5 * h * k11,
               a2 + 0.5 * h * k12, &k20, &k21, &k22);
    eff_rhs_pt(P, Hm[0], Hm[st], Hm[2 * st], a0 + 0.5 * h * k20, a1 + 0.5 * h * k21,
               a2 + 0.5 * h * k22, &k30, &k31, &k32);
    eff_rhs_pt(P, He[0], He[st], He[2 * st], a0 + h * k30, a1 + h * k31, a2 + h * k32, &k40, &k41,
               &k42);
    const double u0 = a0 + h / 6.0 * (k10 + 2.0 * k20 + 2.0 * k30 + k40);
    const double u1 = a1 + h / 6.0 * (k11 + 2.0 * k21 + 2.0 * k31 + k41);
    const double u2 = a2 + h / 6.0 * (k12 + 2.0 * k22 + 2.0 * k32 + k42);
    const double n = sqrt(u0 * u0 + u1 * u1 + u2 * u2);
    *y0 = u0 / n;
    *y1 = u1 / n;
    *y2 = u2 / n;
}

static mpar mpar_of(const fr_dyn_ctx *c, double le)
{
    return (mpar){.gamma = c->gamma, .beta = c->beta, .b = c->b, .le = le, .hold = c->hold};
}

/* ---- The scalar path: one particle ------------------------------------------------------ */

static void rhs_micro(const rhs_ctx *r, int sigma, double t, const double y[4], double dy[4])
{
    double H[3];
    fr_field_eval(r->c->field, t, r->X, H, NULL);
    const mpar P = mpar_of(r->c, r->log_eps);
    micro_rhs_pt(&P, r->W, r->E, 1, sigma, H[0], H[1], H[2], y[0], y[1], y[2], &dy[0], &dy[1],
                 &dy[2], &dy[3]);
}

static void normalise(double v[3])
{
    const double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    v[0] /= n;
    v[1] /= n;
    v[2] /= n;
}

/* Classical RK4 for the 4-component micro system; k1 = dy(t, y) given. */
static void rk4_micro(const rhs_ctx *r, int sigma, double t, const double y[4], const double k1[4],
                      double h, double out[4])
{
    double Hm[3], He[3];
    fr_field_eval(r->c->field, t + 0.5 * h, r->X, Hm, NULL);
    fr_field_eval(r->c->field, t + h, r->X, He, NULL);
    const mpar P = mpar_of(r->c, r->log_eps);
    micro_rk4_pt(&P, r->W, r->E, 1, sigma, Hm[0], Hm[1], Hm[2], He[0], He[1], He[2], h, y[0],
                 y[1], y[2], y[3], k1[0], k1[1], k1[2], k1[3], &out[0], &out[1], &out[2],
                 &out[3]);
}

static void rk4_eff(const rhs_ctx *r, double t, double y[3], double h)
{
    double H1[3], Hm[3], He[3];
    fr_field_eval(r->c->field, t, r->X, H1, NULL);
    fr_field_eval(r->c->field, t + 0.5 * h, r->X, Hm, NULL);
    fr_field_eval(r->c->field, t + h, r->X, He, NULL);
    const mpar P = mpar_of(r->c, r->log_eps);
    eff_rk4_pt(&P, H1, Hm, He, 1, h, &y[0], &y[1], &y[2]);
}

/* One safeguarded Newton step for the crossing of the cubic Hermite interpolant p of Λ
 * (values L0, L1, rates times the step r0h, r1h) with E, bracket [lo, hi]; 1 when converged
 * (s then final). Shared by the scalar and the lane loops (same bits). */
PT_INLINE int hermite_iter(double L0, double L1, double r0h, double r1h, double E, double *s,
                           double *lo, double *hi)
{
    const double S = *s, s2 = S * S, s3 = s2 * S;
    const double p = (2 * s3 - 3 * s2 + 1) * L0 + (s3 - 2 * s2 + S) * r0h +
                     (-2 * s3 + 3 * s2) * L1 + (s3 - s2) * r1h - E;
    const double dp = (6 * s2 - 6 * S) * L0 + (3 * s2 - 4 * S + 1) * r0h +
                      (-6 * s2 + 6 * S) * L1 + (3 * s2 - 2 * S) * r1h;
    const int up = p >= 0.0;
    const double nlo = up ? *lo : S, nhi = up ? S : *hi;
    *lo = nlo;
    *hi = nhi;
    const int tight = nhi - nlo <= 1e-15;
    const double sn0 = S - p / dp;
    const double sn = (sn0 > nlo && sn0 < nhi) ? sn0 : 0.5 * (nlo + nhi);
    *s = tight ? S : sn;
    return tight || fabs(sn - S) <= 1e-15;
}

/* The linear interpolant's crossing, the start of the iteration. */
PT_INLINE double hermite_start(double L0, double L1, double E)
{
    const double s = (E - L0) / (L1 - L0);
    return (s > 0.0 && s < 1.0) ? s : 0.5;
}

/* s in (0, 1] where the cubic Hermite interpolant p of Λ reaches E: safeguarded Newton
 * (bisection whenever a Newton step leaves the bracket), robust even when the rate changes
 * by many orders of magnitude across the step. Converges to 1e-15 in a few iterations. */
static double hermite_crossing(double L0, double L1, double r0h, double r1h, double E)
{
    double lo = 0.0, hi = 1.0, s = hermite_start(L0, L1, E);
    for (int it = 0; it < 100; it++)
        if (hermite_iter(L0, L1, r0h, r1h, E, &s, &lo, &hi))
            break;
    return s;
}

/* The substep rule, one for both paths: resolve the rate kappa (0.05 per substep), at least 1
 * and at most FR_MAX_SUBSTEPS substeps for it or for the Brownian splitting (want_brownian
 * substeps; 0 = none) (fr_params_validate refuses time-dependent fields
 * that would need more); but RK4 stability of the orientation itself is never traded away:
 * γ|H|h <= 0.5 (k_xi = γ|H| + |∇w|). */
PT_INLINE double substep_count(double dt, double kappa, double k_xi, double want_brownian)
{
    /* the maxima as fmax would take them (a NaN rate is ignored), written as selects so that
     * the lane loop of the chunked path vectorises */
    const double c = ceil(dt * kappa / 0.05);
    double steps = c > want_brownian ? c : want_brownian;
    steps = steps < 1.0 ? 1.0 : steps > FR_MAX_SUBSTEPS ? FR_MAX_SUBSTEPS : steps;
    const double x = ceil(dt * k_xi / 0.5);
    steps = x > steps ? x : steps;
    return steps > 1e7 ? 1e7 : steps; /* a whole number */
}

static int substep_rule(double dt, double kappa, double k_xi, double want_brownian)
{
    return (int)substep_count(dt, kappa, k_xi, want_brownian);
}

/* Number of RK4 substeps on [t0, t1]: resolve the orientation rate, the change of the
 * log-rate b H·ξ (which sets how fast the hazard varies) and a rotating field. */
/* What the substep count needs besides the particle's field and flow. */
typedef struct subpar {
    double gamma, b, omega, brown, dt;
    int hold;
} subpar;

static subpar subpar_of(const fr_dyn_ctx *c, double t0, double t1)
{
    const fr_field *f = c->field;
    /* Brownian splitting error per unit time ~ (2/3) D_r² h: keep D_r h <= 0.002 */
    return (subpar){.gamma = c->gamma,
                    .b = c->b,
                    .omega = f->rotating ? fabs(f->rot_omega) : 0.0,
                    .brown = c->brownian > 0.0 && !c->hold ? ceil((t1 - t0) * c->brownian / 0.002) : 0.0,
                    .dt = t1 - t0,
                    .hold = c->hold};
}

PT_INLINE double substeps_for(const subpar *q, double H0, double H1, double H2, double Gnorm)
{
    const double Hn = sqrt(H0 * H0 + H1 * H1 + H2 * H2);
    const double Wn = Gnorm, omega = q->omega;
    const double k_xi = q->hold ? 0.0 : q->gamma * Hn + Wn;
    const double kappa = k_xi + q->b * (Hn * k_xi + omega * Hn) + omega;
    return substep_count(q->dt, kappa, k_xi, q->brown);
}

static int substeps(const rhs_ctx *r, double t0, double t1)
{
    double H[3];
    fr_field_eval(r->c->field, t0, r->X, H, NULL);
    const subpar q = subpar_of(r->c, t0, t1);
    return (int)substeps_for(&q, H[0], H[1], H[2], r->Gnorm);
}

/* The microscopic state y = (ξ, Λ) from t to tb (one substep), with exact flips: RK4 over
 * the rest of the substep; if Λ reaches the threshold the crossing is located on the Hermite
 * interpolant, the step is redone to that instant, σ flips, and integration goes on. */
static void micro_substep(const rhs_ctx *r, fr_particle_state *p, double y[4], double t, double tb,
                          gsl_rng *rng)
{
    for (;;) {
        const double h = tb - t;
        if (!(h > 0.0) || fr_dyn_aborted(r->c))
            break;
        double k1[4], y1[4];
        rhs_micro(r, p->sigma, t, y, k1);
        rk4_micro(r, p->sigma, t, y, k1, h, y1);
        if (!(y1[3] >= p->thresh)) { /* no flip; a NaN hazard (NaN flow) too: no endless flips */
            memcpy(y, y1, 4 * sizeof(double));
            break;
        }
        double k_end[4];
        rhs_micro(r, p->sigma, tb, y1, k_end);
        const double sf = hermite_crossing(y[3], y1[3], k1[3] * h, k_end[3] * h, p->thresh);
        double tf = t + sf * h;
        if (sf < 1.0) {
            double yf[4];
            rk4_micro(r, p->sigma, t, y, k1, sf * h, yf);
            memcpy(y, yf, 4 * sizeof(double));
        } else {
            memcpy(y, y1, 4 * sizeof(double));
            tf = tb;
        }
        /* (1.2): the spin flips at tf; a fresh Exp(1) threshold for the next flip. */
        p->sigma = -p->sigma;
        p->flips++;
        y[3] = 0.0;
        p->thresh = gsl_ran_exponential(rng, 1.0);
        t = tf;
    }
}

/* Rotate v by the rotation vector w (Rodrigues). */
static void rotate(double v[3], const double w[3])
{
    const double th = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
    if (!(th > 0.0))
        return;
    const double k[3] = {w[0] / th, w[1] / th, w[2] / th}, c = cos(th), s = sin(th);
    const double kv = k[0] * v[0] + k[1] * v[1] + k[2] * v[2];
    const double kxv[3] = {k[1] * v[2] - k[2] * v[1], k[2] * v[0] - k[0] * v[2], k[0] * v[1] - k[1] * v[0]};
    for (int i = 0; i < 3; i++)
        v[i] = v[i] * c + kxv[i] * s + k[i] * kv * (1.0 - c);
    normalise(v);
}

void fr_particle_advance(const fr_dyn_ctx *c, fr_particle_state *p, const double G[9], double t0,
                         double t1, gsl_rng *rng)
{
    rhs_ctx r = {.c = c, .X = p->X, .log_eps = log(c->eps)};
    double gn = 0.0;
    for (int a = 0; a < 3; a++)
        for (int m = 0; m < 3; m++) {
            r.W[3 * a + m] = 0.5 * (G[3 * a + m] - G[3 * m + a]);
            r.E[3 * a + m] = 0.5 * (G[3 * a + m] + G[3 * m + a]);
            gn += G[3 * a + m] * G[3 * a + m];
        }
    r.Gnorm = sqrt(gn);
    const int ns = substeps(&r, t0, t1);
    const double hs = (t1 - t0) / ns;
    const double brown_sd = (c->brownian > 0.0 && !c->hold) ? sqrt(2.0 * c->brownian * hs) : 0.0;

    /* Microscopic model with exact flips. Substep boundaries are t0 + s·hs; a flip splits
     * the substep it falls in. */
    double y[4] = {p->xi[0], p->xi[1], p->xi[2], p->hazard};
    for (int s = 0; s < ns && !fr_dyn_aborted(c); s++) {
        /* Effective model (1.9): deterministic, no spins. */
        if (!c->no_effective)
            rk4_eff(&r, t0 + s * hs, p->xis, hs);
        const double tb = t0 + (s + 1) * hs; /* end of this substep */
        micro_substep(&r, p, y, t0 + s * hs, tb, rng);
        if (brown_sd > 0.0) {
            /* Rotational Brownian motion, Lie splitting: a rotation by a Gaussian rotation
             * vector of variance 2 D_r h per component. Exact on the sphere's geometry, it
             * gives E[ξ(t)·ξ(0)] = e^{−2 D_r t} up to O(D_r² h) per unit time (Stratonovich
             * limit; no Itô drift correction is needed). ξ* gets the same increments, so the
             * effective model is the Brownian one driven by the same noise. */
            const double w[3] = {gsl_ran_gaussian_ziggurat(rng, brown_sd),
                                 gsl_ran_gaussian_ziggurat(rng, brown_sd),
                                 gsl_ran_gaussian_ziggurat(rng, brown_sd)};
            rotate(y, w);
            rotate(p->xis, w);
        }
    }
    memcpy(p->xi, y, 3 * sizeof(double));
    p->hazard = y[3];
}

/* ---- The general path over a chunk of particles (fr_block_advance) ------------------------
 * fr_particle_advance's control flow for up to FR_GCHUNK particles at once: the RK4 stages run
 * as SIMD loops over the lanes (micro_rhs_pt, micro_rk4_pt, eff_rk4_pt above), the rest — the
 * substep counts, the field where it depends on time, the crossings located on the Hermite
 * interpolant, the flips and their fresh thresholds, the Brownian increments — lane by lane
 * with fr_particle_advance's own functions and each particle's own stream. Every particle goes
 * through the same operations in the same order as there (the exp is the portable one), so the
 * results are bit-identical to it, whatever the lane, the chunk, the thread or the ISA level.
 *
 * A substep is done in rounds: every lane still inside its substep takes one RK4 step to the
 * substep's end; the lanes whose Λ stays below the threshold are done, the others (about half
 * of them at the defaults, ε = 0.01, b|H| = 2) are compacted, redone to their crossing, flip,
 * and go round again from the flip time. */

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

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
 * For a field constant in time without flow or Brownian motion, fr_block_advance_static
 * (dynamics_static.c) samples the same process exactly in law by thinning, on closed-form
 * orientations, vectorised over chunks of particles.
 *
 * We write RK4 by hand rather than drive GSL's odeiv2: the system is 4-dimensional, runs
 * N times per step inside OpenMP, and needs the event handling above, where the per-call
 * overhead of the GSL driver would dominate.
 */
#include "dynamics.h"
#include "dynamics_pt.h"

#include <gsl/gsl_randist.h>
#include <string.h>

typedef struct {
    const fr_dyn_ctx *c;
    const double *X;
    double W[9], E[9]; /* rotation and strain rate of the ambient flow, ½(G ∓ Gᵀ) */
    double Gnorm;
    double log_eps;
} rhs_ctx;

/* ---- The scalar path: one particle ------------------------------------------------------ */

static void rhs_micro(const rhs_ctx *r, int sigma, double t, const double y[4], double dy[4])
{
    double H[3];
    fr_field_eval(r->c->field, t, r->X, H, NULL);
    const mpar P = mpar_of(r->c, r->log_eps);
    micro_rhs_pt(&P, r->W, r->E, 1, sigma, H[0], H[1], H[2], y[0], y[1], y[2], &dy[0], &dy[1],
                 &dy[2], &dy[3]);
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

/* Number of RK4 substeps on [t0, t1]: resolve the orientation rate, the change of the
 * log-rate b H·ξ (which sets how fast the hazard varies) and a rotating field. */
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

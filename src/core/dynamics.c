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
 * We write RK4 by hand rather than drive GSL's odeiv2: the system is 4-dimensional, runs
 * N times per step inside OpenMP, and needs the event handling above, where the per-call
 * overhead of the GSL driver would dominate.
 */
#include "dynamics.h"

#include <gsl/gsl_randist.h>
#include <string.h>

typedef struct {
    const fr_dyn_ctx *c;
    const double *X, *W;
    double log_eps;
} rhs_ctx;

/* y = (ξ, Λ); σ fixed during a step. */
static void rhs_micro(const rhs_ctx *r, int sigma, double t, const double y[4], double dy[4])
{
    double H[3];
    fr_field_eval(r->c->field, t, r->X, H, NULL);
    const double Hxi = H[0] * y[0] + H[1] * y[1] + H[2] * y[2];
    if (r->c->hold) {
        dy[0] = dy[1] = dy[2] = 0.0;
    } else {
        const double g = sigma * r->c->gamma;
        const double *W = r->W;
        for (int k = 0; k < 3; k++)
            dy[k] = g * (H[k] - Hxi * y[k]) + W[3 * k] * y[0] + W[3 * k + 1] * y[1] + W[3 * k + 2] * y[2];
    }
    dy[3] = fr_flip_rate(sigma, r->c->b, Hxi, r->log_eps);
}

static void rhs_eff(const rhs_ctx *r, double t, const double y[3], double dy[3])
{
    double H[3];
    fr_field_eval(r->c->field, t, r->X, H, NULL);
    const double Hxi = H[0] * y[0] + H[1] * y[1] + H[2] * y[2];
    if (r->c->hold) {
        dy[0] = dy[1] = dy[2] = 0.0;
        return;
    }
    const double g = r->c->gamma * fr_mean_spin_eq(r->c->b, Hxi);
    for (int k = 0; k < 3; k++)
        dy[k] = g * (H[k] - Hxi * y[k]);
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
    double k2[4], k3[4], k4[4], tmp[4];
    for (int i = 0; i < 4; i++)
        tmp[i] = y[i] + 0.5 * h * k1[i];
    rhs_micro(r, sigma, t + 0.5 * h, tmp, k2);
    for (int i = 0; i < 4; i++)
        tmp[i] = y[i] + 0.5 * h * k2[i];
    rhs_micro(r, sigma, t + 0.5 * h, tmp, k3);
    for (int i = 0; i < 4; i++)
        tmp[i] = y[i] + h * k3[i];
    rhs_micro(r, sigma, t + h, tmp, k4);
    for (int i = 0; i < 4; i++)
        out[i] = y[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    normalise(out);
}

static void rk4_eff(const rhs_ctx *r, double t, double y[3], double h)
{
    double k1[3], k2[3], k3[3], k4[3], tmp[3];
    rhs_eff(r, t, y, k1);
    for (int i = 0; i < 3; i++)
        tmp[i] = y[i] + 0.5 * h * k1[i];
    rhs_eff(r, t + 0.5 * h, tmp, k2);
    for (int i = 0; i < 3; i++)
        tmp[i] = y[i] + 0.5 * h * k2[i];
    rhs_eff(r, t + 0.5 * h, tmp, k3);
    for (int i = 0; i < 3; i++)
        tmp[i] = y[i] + h * k3[i];
    rhs_eff(r, t + h, tmp, k4);
    for (int i = 0; i < 3; i++)
        y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    normalise(y);
}

/* First s in (0, 1] where the cubic Hermite interpolant of Λ reaches E, by bisection
 * (robust even when the rate changes by many orders of magnitude across the step). */
static double hermite_crossing(double L0, double L1, double r0h, double r1h, double E)
{
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 64; it++) {
        const double s = 0.5 * (lo + hi), s2 = s * s, s3 = s2 * s;
        const double p = (2 * s3 - 3 * s2 + 1) * L0 + (s3 - 2 * s2 + s) * r0h + (-2 * s3 + 3 * s2) * L1 +
                         (s3 - s2) * r1h;
        if (p >= E)
            hi = s;
        else
            lo = s;
    }
    return hi;
}

/* Number of RK4 substeps on [t0, t1]: resolve the orientation rate, the change of the
 * log-rate b H·ξ (which sets how fast the hazard varies) and a rotating field. */
static int substeps(const rhs_ctx *r, double t0, double t1)
{
    double H[3];
    fr_field_eval(r->c->field, t0, r->X, H, NULL);
    const double Hn = sqrt(H[0] * H[0] + H[1] * H[1] + H[2] * H[2]);
    double Wn = 0.0;
    for (int k = 0; k < 9; k++)
        Wn += r->W[k] * r->W[k];
    Wn = sqrt(Wn);
    const fr_field *f = r->c->field;
    const double omega = f->rotating ? fabs(f->rot_omega) : 0.0;
    const double k_xi = r->c->hold ? 0.0 : r->c->gamma * Hn + Wn;
    const double kappa = k_xi + r->c->b * (Hn * k_xi + omega * Hn) + omega;
    const double steps = ceil((t1 - t0) * kappa / 0.05);
    return steps < 1.0 ? 1 : steps > 1000.0 ? 1000 : (int)steps;
}

void fr_particle_advance(const fr_dyn_ctx *c, fr_particle_state *p, const double W[9], double t0,
                         double t1, gsl_rng *rng)
{
    const rhs_ctx r = {.c = c, .X = p->X, .W = W, .log_eps = log(c->eps)};
    const int ns = substeps(&r, t0, t1);
    const double hs = (t1 - t0) / ns;

    /* Effective model: deterministic, no spins. */
    for (int s = 0; s < ns; s++)
        rk4_eff(&r, t0 + s * hs, p->xis, hs);

    /* Microscopic model with exact flips. Substep boundaries are t0 + s·hs; a flip splits
     * the substep it falls in. */
    double y[4] = {p->xi[0], p->xi[1], p->xi[2], p->hazard};
    for (int s = 0; s < ns; s++) {
        const double tb = t0 + (s + 1) * hs; /* end of this substep */
        double t = t0 + s * hs;
        for (;;) {
            const double h = tb - t;
            if (!(h > 0.0))
                break;
            double k1[4], y1[4];
            rhs_micro(&r, p->sigma, t, y, k1);
            rk4_micro(&r, p->sigma, t, y, k1, h, y1);
            if (y1[3] < p->thresh) {
                memcpy(y, y1, sizeof y);
                break;
            }
            double k_end[4];
            rhs_micro(&r, p->sigma, tb, y1, k_end);
            const double sf = hermite_crossing(y[3], y1[3], k1[3] * h, k_end[3] * h, p->thresh);
            double tf = t + sf * h;
            if (sf < 1.0) {
                double yf[4];
                rk4_micro(&r, p->sigma, t, y, k1, sf * h, yf);
                memcpy(y, yf, sizeof y);
            } else {
                memcpy(y, y1, sizeof y);
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
    memcpy(p->xi, y, 3 * sizeof(double));
    p->hazard = y[3];
}

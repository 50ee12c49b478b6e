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
    const double *X;
    double W[9], E[9]; /* rotation and strain rate of the ambient flow, ½(G ∓ Gᵀ) */
    double Gnorm;
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
        /* own torque (1.15), rotation by the ambient flow, and Jeffery's strain term */
        const double g = sigma * r->c->gamma, beta = r->c->beta;
        const double *W = r->W, *E = r->E;
        double Ey[3], yEy = 0.0;
        for (int k = 0; k < 3; k++) {
            Ey[k] = E[3 * k] * y[0] + E[3 * k + 1] * y[1] + E[3 * k + 2] * y[2];
            yEy += y[k] * Ey[k];
        }
        for (int k = 0; k < 3; k++)
            dy[k] = g * (H[k] - Hxi * y[k]) + W[3 * k] * y[0] + W[3 * k + 1] * y[1] +
                    W[3 * k + 2] * y[2] + beta * (Ey[k] - yEy * y[k]);
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

/* s in (0, 1] where the cubic Hermite interpolant p of Λ reaches E: safeguarded Newton
 * (bisection whenever a Newton step leaves the bracket), robust even when the rate changes
 * by many orders of magnitude across the step. Converges to 1e-15 in a few iterations. */
static double hermite_crossing(double L0, double L1, double r0h, double r1h, double E)
{
    double lo = 0.0, hi = 1.0;
    /* start from the linear interpolant's crossing */
    double s = (E - L0) / (L1 - L0);
    if (!(s > 0.0 && s < 1.0))
        s = 0.5;
    for (int it = 0; it < 100; it++) {
        const double s2 = s * s, s3 = s2 * s;
        const double p = (2 * s3 - 3 * s2 + 1) * L0 + (s3 - 2 * s2 + s) * r0h +
                         (-2 * s3 + 3 * s2) * L1 + (s3 - s2) * r1h - E;
        const double dp = (6 * s2 - 6 * s) * L0 + (3 * s2 - 4 * s + 1) * r0h +
                          (-6 * s2 + 6 * s) * L1 + (3 * s2 - 2 * s) * r1h;
        if (p >= 0.0)
            hi = s;
        else
            lo = s;
        if (hi - lo <= 1e-15)
            break;
        double sn = s - p / dp;
        if (!(sn > lo && sn < hi))
            sn = 0.5 * (lo + hi);
        const int done = fabs(sn - s) <= 1e-15;
        s = sn;
        if (done)
            break;
    }
    return s;
}

/* Number of RK4 substeps on [t0, t1]: resolve the orientation rate, the change of the
 * log-rate b H·ξ (which sets how fast the hazard varies) and a rotating field. */
static int substeps(const rhs_ctx *r, double t0, double t1)
{
    double H[3];
    fr_field_eval(r->c->field, t0, r->X, H, NULL);
    const double Hn = sqrt(H[0] * H[0] + H[1] * H[1] + H[2] * H[2]);
    const double Wn = r->Gnorm;
    const fr_field *f = r->c->field;
    const double omega = f->rotating ? fabs(f->rot_omega) : 0.0;
    const double k_xi = r->c->hold ? 0.0 : r->c->gamma * Hn + Wn;
    const double kappa = k_xi + r->c->b * (Hn * k_xi + omega * Hn) + omega;
    double steps = ceil((t1 - t0) * kappa / 0.05);
    /* Brownian splitting error per unit time ~ (2/3) D_r² h: keep D_r h <= 0.002 */
    if (r->c->brownian > 0.0 && !r->c->hold)
        steps = fmax(steps, ceil((t1 - t0) * r->c->brownian / 0.002));
    return steps < 1.0 ? 1 : steps > 1000.0 ? 1000 : (int)steps;
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
    for (int s = 0; s < ns; s++) {
        /* Effective model (1.9): deterministic, no spins. */
        rk4_eff(&r, t0 + s * hs, p->xis, hs);
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

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
#include "simd.h"

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
    steps = steps < 1.0 ? 1.0 : steps > 1000.0 ? 1000.0 : steps;
    /* RK4 stability of the orientation itself is never traded away: γ|H|h <= 0.5 */
    steps = fmax(steps, ceil((t1 - t0) * k_xi / 0.5));
    return steps > 1e7 ? 10000000 : (int)steps;
}

/* The microscopic state y = (ξ, Λ) from t to tb (one substep), with exact flips: RK4 over
 * the rest of the substep; if Λ reaches the threshold the crossing is located on the Hermite
 * interpolant, the step is redone to that instant, σ flips, and integration goes on. */
static void micro_substep(const rhs_ctx *r, fr_particle_state *p, double y[4], double t, double tb,
                          gsl_rng *rng)
{
    for (;;) {
        const double h = tb - t;
        if (!(h > 0.0))
            break;
        double k1[4], y1[4];
        rhs_micro(r, p->sigma, t, y, k1);
        rk4_micro(r, p->sigma, t, y, k1, h, y1);
        if (y1[3] < p->thresh) {
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
    for (int s = 0; s < ns; s++) {
        /* Effective model (1.9): deterministic, no spins. */
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

/* ---- Vectorised path: FR_BLOCK particles at a time ------------------------------------
 * For the common large-N case — field constant in time at each particle, no ambient flow,
 * no Brownian motion — the same RK4 runs for FR_BLOCK lanes at once in SIMD registers
 * (glibc's libmvec supplies vector exp and tanh). A lane whose hazard reaches its threshold
 * inside a substep redoes that substep through the scalar path above, which locates the
 * flip exactly; the other lanes keep the vector result. Blocks are fixed index ranges, so
 * results do not depend on the thread count. */

FR_TARGET_CLONES
static void block_rk4(int ns, double hs, double gam, double b, double le, const double *restrict hx,
                      const double *restrict hy, const double *restrict hz, const double *restrict sg,
                      double *restrict x0, double *restrict x1, double *restrict x2, double *restrict L,
                      double *restrict e0, double *restrict e1, double *restrict e2, int s_idx)
{
    (void)ns;
    (void)s_idx;
#pragma omp simd
    for (int l = 0; l < FR_BLOCK; l++) {
        const double Hx = hx[l], Hy = hy[l], Hz = hz[l], sgl = sg[l];
        /* effective model (1.9): ξ̇* = γ tanh(b H·ξ*) P H — four RK4 stages, straight-line so
         * the loop over lanes vectorises */
        const double y0 = e0[l], y1 = e1[l], y2 = e2[l];
#define EFF_STAGE(k, z0, z1, z2)                                                                   \
    const double hxi##k = Hx * (z0) + Hy * (z1) + Hz * (z2);                                     \
    const double g##k = gam * tanh(b * hxi##k);                                                  \
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
        /* microscopic: ξ̇ = σγ P H, Λ̇ = λ^σ/ε (1.2), rate capped as in fr_flip_rate; the cap
         * is written min(x, 700) = (x + 700 − |x − 700|)/2, which vectorises (a ternary
         * feeding a vector call does not) at a cost of ~1e-13 relative in the rate */
        const double q0 = x0[l], q1 = x1[l], q2 = x2[l];
        const double gs = sgl * gam;
#define MIC_STAGE(k, z0, z1, z2)                                                                   \
    const double mh##k = Hx * (z0) + Hy * (z1) + Hz * (z2);                                      \
    const double c0##k = gs * (Hx - mh##k * (z0)), c1##k = gs * (Hy - mh##k * (z1)),             \
                 c2##k = gs * (Hz - mh##k * (z2));                                               \
    const double xr##k = -sgl * b * mh##k - le;                                                  \
    const double cl##k = exp(0.5 * (xr##k + 700.0 - fabs(xr##k - 700.0))); /* min(xr, 700) */
        MIC_STAGE(1, q0, q1, q2)
        MIC_STAGE(2, q0 + 0.5 * hs * c01, q1 + 0.5 * hs * c11, q2 + 0.5 * hs * c21)
        MIC_STAGE(3, q0 + 0.5 * hs * c02, q1 + 0.5 * hs * c12, q2 + 0.5 * hs * c22)
        MIC_STAGE(4, q0 + hs * c03, q1 + hs * c13, q2 + hs * c23)
#undef MIC_STAGE
        const double m0 = q0 + hs / 6.0 * (c01 + 2.0 * c02 + 2.0 * c03 + c04);
        const double m1 = q1 + hs / 6.0 * (c11 + 2.0 * c12 + 2.0 * c13 + c14);
        const double m2 = q2 + hs / 6.0 * (c21 + 2.0 * c22 + 2.0 * c23 + c24);
        const double nm = 1.0 / sqrt(m0 * m0 + m1 * m1 + m2 * m2);
        x0[l] = m0 * nm;
        x1[l] = m1 * nm;
        x2[l] = m2 * nm;
        L[l] += hs / 6.0 * (cl1 + 2.0 * cl2 + 2.0 * cl3 + cl4);
    }
}

void fr_block_advance_static(const fr_dyn_ctx *c, const fr_block *blk, double t0, double t1)
{
    const int cnt = blk->cnt;
    double hx[FR_BLOCK], hy[FR_BLOCK], hz[FR_BLOCK], sg[FR_BLOCK];
    double x0[FR_BLOCK], x1[FR_BLOCK], x2[FR_BLOCK], L[FR_BLOCK];
    double e0[FR_BLOCK], e1[FR_BLOCK], e2[FR_BLOCK];
    double n0[FR_BLOCK], n1[FR_BLOCK], n2[FR_BLOCK], nL[FR_BLOCK];
    double kmax = 0.0, hmax = 0.0;
    for (int l = 0; l < FR_BLOCK; l++) {
        const int i = l < cnt ? l : cnt - 1;
        const double X[3] = {blk->X[0][i], blk->X[1][i], blk->X[2][i]};
        double H[3];
        fr_field_eval(c->field, t0, X, H, NULL);
        hx[l] = H[0];
        hy[l] = H[1];
        hz[l] = H[2];
        /* substeps as in substeps() with a static field and no flow */
        const double Hn = sqrt(H[0] * H[0] + H[1] * H[1] + H[2] * H[2]);
        const double k = c->gamma * Hn * (1.0 + c->b * Hn);
        kmax = k > kmax ? k : kmax;
        hmax = Hn > hmax ? Hn : hmax;
    }
    double steps = ceil((t1 - t0) * kmax / 0.05);
    steps = steps < 1.0 ? 1.0 : steps > 1000.0 ? 1000.0 : steps;
    steps = fmax(steps, ceil((t1 - t0) * c->gamma * hmax / 0.5)); /* RK4 stability, as substeps() */
    const int ns = steps > 1e7 ? 10000000 : (int)steps;
    const double hs = (t1 - t0) / ns, le = log(c->eps);
    for (int l = 0; l < FR_BLOCK; l++) {
        const int i = l < cnt ? l : cnt - 1;
        x0[l] = blk->xi[0][i];
        x1[l] = blk->xi[1][i];
        x2[l] = blk->xi[2][i];
        L[l] = blk->hazard[i];
        e0[l] = blk->xis[0][i];
        e1[l] = blk->xis[1][i];
        e2[l] = blk->xis[2][i];
        sg[l] = blk->sigma[i];
    }
    for (int s = 0; s < ns; s++) {
        for (int l = 0; l < FR_BLOCK; l++) {
            n0[l] = x0[l];
            n1[l] = x1[l];
            n2[l] = x2[l];
            nL[l] = L[l];
        }
        block_rk4(ns, hs, c->gamma, c->b, le, hx, hy, hz, sg, n0, n1, n2, nL, e0, e1, e2, s);
        const double ta = t0 + s * hs, tb = t0 + (s + 1) * hs;
        for (int l = 0; l < cnt; l++) {
            if (nL[l] < blk->thresh[l]) {
                x0[l] = n0[l];
                x1[l] = n1[l];
                x2[l] = n2[l];
                L[l] = nL[l];
                continue;
            }
            /* the hazard reaches its threshold in this substep: redo it on the scalar path */
            fr_particle_state p = {.X = {blk->X[0][l], blk->X[1][l], blk->X[2][l]},
                                   .sigma = (int)sg[l],
                                   .thresh = blk->thresh[l]};
            const rhs_ctx r = {.c = c, .X = p.X, .log_eps = le};
            double y[4] = {x0[l], x1[l], x2[l], L[l]};
            micro_substep(&r, &p, y, ta, tb, &blk->rng[l]);
            x0[l] = y[0];
            x1[l] = y[1];
            x2[l] = y[2];
            L[l] = y[3];
            sg[l] = p.sigma;
            blk->thresh[l] = p.thresh;
            blk->flips[l] += p.flips;
        }
    }
    for (int l = 0; l < cnt; l++) {
        blk->xi[0][l] = x0[l];
        blk->xi[1][l] = x1[l];
        blk->xi[2][l] = x2[l];
        blk->hazard[l] = L[l];
        blk->xis[0][l] = e0[l];
        blk->xis[1][l] = e1[l];
        blk->xis[2][l] = e2[l];
        blk->sigma[l] = (int8_t)sg[l];
    }
}

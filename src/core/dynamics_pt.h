/* Internal to dynamics*.c: the arithmetic of one particle and the substep rule, shared by the
 * scalar general path (dynamics.c), its chunked form (dynamics_block.c) and the static sampler
 * (dynamics_static.c). Every file that includes it is compiled without FMA contraction
 * (CMakeLists.txt), so the same expressions give the same bits in all of them. */
#ifndef FERRO_DYNAMICS_PT_H
#define FERRO_DYNAMICS_PT_H

#include "dynamics.h"
#include "param_limits.h"

#include <math.h>
#include <stddef.h>

/* ---- The arithmetic of one particle: the same expressions in the same order in the scalar
 * path and its chunked form, so the two agree bit for bit. W and E are read at W[k * st]
 * (st = 1: a particle's own 3×3 matrices; st = the lane count: a column of the lanes'
 * matrices); the field values at the stage times are given. */
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

static inline mpar mpar_of(const fr_dyn_ctx *c, double le)
{
    return (mpar){.gamma = c->gamma, .beta = c->beta, .b = c->b, .le = le, .hold = c->hold};
}


static inline void normalise(double v[3])
{
    const double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    v[0] /= n;
    v[1] /= n;
    v[2] /= n;
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

static inline int substep_rule(double dt, double kappa, double k_xi, double want_brownian)
{
    return (int)substep_count(dt, kappa, k_xi, want_brownian);
}

/* What the substep count needs besides the particle's field and flow. */
typedef struct subpar {
    double gamma, b, omega, brown, dt;
    int hold;
} subpar;

static inline subpar subpar_of(const fr_dyn_ctx *c, double t0, double t1)
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

/* Rotate v by the rotation vector w (Rodrigues). */
static inline void rotate(double v[3], const double w[3])
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

#endif

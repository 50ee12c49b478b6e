/* Point-source Stokes flow of (2.2)–(2.4): Stokeslet for the Kelvin force F and the first
 * derivative of the Stokeslet contracted with the moment S (rotlet for its antisymmetric
 * part, stresslet for its symmetric part).
 *
 * With d = x − X, r = |d|, Φ_il = (δ_il/r + d_i d_l/r³)/8π:
 *   u^F = (F/r + d (d·F)/r³)/8π
 *   u^S = ((Sᵀ − S) d + d tr S)/(8π r³) − 3 d (dᵀS d)/(8π r⁵)      (∂_kΦ_il S_lk)
 * For antisymmetric S = ξ∧H this is the rotlet T × d/(8π r³), T = 2 axial(S) = ξ × H
 * (tested). The gradient G_im = ∂_m u_i is differentiated by hand below and checked
 * against finite differences in the tests. */
#include "ferro/kernels.h"

#include <math.h>
#include <stddef.h>

static const double INV8PI = 1.0 / (8.0 * M_PI);

void fr_point_source_add(const double d[3], const double F[3], const double S[9], double u[3],
                         double G[9])
{
    const double r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    const double ir2 = 1.0 / r2, ir = sqrt(ir2), ir3 = ir * ir2, ir5 = ir3 * ir2, ir7 = ir5 * ir2;
    const double dF = d[0] * F[0] + d[1] * F[1] + d[2] * F[2];
    const double trS = S[0] + S[4] + S[8];
    double a[3], Ssym_d[3], q = 0.0;
    for (int i = 0; i < 3; i++) {
        /* a = (Sᵀ − S) d + d tr S;  Ssym_d = (S + Sᵀ) d */
        double st = 0.0, s = 0.0;
        for (int l = 0; l < 3; l++) {
            st += S[l * 3 + i] * d[l];
            s += S[i * 3 + l] * d[l];
        }
        a[i] = st - s + d[i] * trS;
        Ssym_d[i] = st + s;
        q += d[i] * s; /* dᵀ S d */
    }
    if (u) {
        for (int i = 0; i < 3; i++)
            u[i] += INV8PI * (F[i] * ir + d[i] * dF * ir3 + a[i] * ir3 - 3.0 * d[i] * q * ir5);
    }
    if (G) {
        for (int i = 0; i < 3; i++) {
            for (int m = 0; m < 3; m++) {
                const double dim = (i == m) ? 1.0 : 0.0;
                /* Stokeslet */
                double g = -F[i] * d[m] * ir3 + (dim * dF + d[i] * F[m]) * ir3 -
                           3.0 * d[i] * dF * d[m] * ir5;
                /* ∂_m a_i = (Sᵀ − S)_im + δ_im tr S */
                g += (S[m * 3 + i] - S[i * 3 + m] + dim * trS) * ir3 - 3.0 * a[i] * d[m] * ir5;
                /* −3 ∂_m (d_i q / r⁵) */
                g += -3.0 * ((dim * q + d[i] * Ssym_d[m]) * ir5 - 5.0 * d[i] * q * d[m] * ir7);
                G[i * 3 + m] += INV8PI * g;
            }
        }
    }
}

/* C² radial cutoff: ψ(ρ) = ρ³(10 − 15ρ + 6ρ²) for ρ < 1, 1 beyond ("smootherstep"). */
static double cutoff(double rho)
{
    if (rho >= 1.0)
        return 1.0;
    return rho * rho * rho * (10.0 + rho * (-15.0 + 6.0 * rho));
}

void fr_point_source_smoothed_add(const double d[3], const double F[3], const double S[9],
                                  double delta, double u[3])
{
    const double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    if (r >= delta) {
        fr_point_source_add(d, F, S, u, NULL);
        return;
    }
    if (!(r > 0.0))
        return; /* ψ(0) = 0 and ψ(ρ)·kernel → 0 as ρ → 0 */
    double v[3] = {0.0, 0.0, 0.0};
    fr_point_source_add(d, F, S, v, NULL);
    const double w = cutoff(r / delta);
    for (int i = 0; i < 3; i++)
        u[i] += w * v[i];
}

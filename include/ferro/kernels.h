/* ferro/kernels.h — the point-source Stokes flow of (2.2):
 *   -Δv + ∇p = F δ_X + div(S δ_X),  div v = 0,
 *   v(x)_i = Φ_il(d) F_l + ∂_kΦ_il(d) S_lk,  d = x - X,  Φ = (1/8π)(Id/|d| + d⊗d/|d|^3).
 */
#ifndef FERRO_KERNELS_H
#define FERRO_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Velocity u[i] and gradient G[i*3+m] = ∂_m u_i at offset d = x - X (d != 0) of a source
 * with force F[3] and moment S[l*3+k]. Adds to u and G (either may be NULL). */
void fr_point_source_add(const double d[3], const double F[3], const double S[9], double u[3],
                         double G[9]);

/* The same smoothed over a length delta: multiplied by a C^2 radial cutoff that is exactly 1
 * for |d| >= delta, so it equals the point-source flow away from the source. */
void fr_point_source_smoothed_add(const double d[3], const double F[3], const double S[9],
                                  double delta, double u[3]);

#ifdef __cplusplus
}
#endif
#endif

/* Internal: summation of the point-source flows (2.2) of all particles at all particles.
 * One interface, so the direct O(N²) sum and a fast method can be swapped and compared. */
#ifndef FERRO_STOKES_H
#define FERRO_STOKES_H

#include <stdatomic.h>

/* Sources j = 0..n−1 at (x, y, z)[j] with force F[3j..3j+2] and moment S[9j..9j+8].
 * For every target i (the same points) adds Σ_{j≠i} of the velocity to u[3i..] and of its
 * gradient G[9i + 3a + m] = ∂_m u_a. u or G may be NULL. Deterministic for any thread count. */
void fr_stokes_direct(int n, const double *x, const double *y, const double *z, const double *F,
                      const double *S, double *u, double *G);

/* The same, skipping the remaining work once *abort is non-zero (abort may be NULL). */
void fr_stokes_direct_abortable(int n, const double *x, const double *y, const double *z,
                                const double *F, const double *S, double *u, double *G,
                                const atomic_int *abort);

/* The same through the general kernel (any S), for testing the fast sphere path. */
void fr_stokes_direct_general(int n, const double *x, const double *y, const double *z,
                              const double *F, const double *S, double *u, double *G);

/* Smoothed point-source velocity of sphere sources on an ng³ grid over [lo, hi]³ (index
 * ((k*ng + j)*ng + i)*3 + c), as fr_point_source_smoothed_add summed over sources. Returns 0,
 * 1 if some source has a symmetric moment (use the general kernel), −1 out of memory. */
int fr_stokes_grid_smoothed(int n, const double *x, const double *y, const double *z,
                            const double *F, const double *S, int ng, double lo, double hi,
                            double delta, double *u);
/* The same, skipping the rest of the grid once *abort is non-zero (then returns 2). */
int fr_stokes_grid_smoothed_abortable(int n, const double *x, const double *y, const double *z,
                                      const double *F, const double *S, int ng, double lo,
                                      double hi, double delta, double *u, const atomic_int *abort);

#endif

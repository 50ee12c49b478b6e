/* streamlines.h — streamlines of a velocity field given on a grid (CPU).
 *
 * The field is sampled by trilinear interpolation and traced with classical RK4 along its
 * direction (constant arc-length steps), from well-spread seeds: a Halton set in the ball of
 * radius 1.2 (3D mode), or a regular grid in a plane through the z axis with the in-plane
 * component of the field (slice mode). Each line carries per vertex its speed relative to vmax (the 95th
 * percentile of the speed on the grid points inside radius 1.3) and its arc length in the flow
 * direction (for the moving dashes), plus one arrowhead at its middle.
 */
#ifndef VIZ_STREAMLINES_H
#define VIZ_STREAMLINES_H

#include "simthread.h"

/* u: n^3 grid over [lo, hi]^3, index ((k*n + j)*n + i)*3 + c. slice_normal: NULL for 3D, else
 * the unit normal (horizontal) of the slice plane through the z axis. Fills the geometry of out
 * (vertices, lines, heads, vmax); returns 0, or -1 on allocation failure. */
int stream_trace(const double *u, int n, double lo, double hi, const double *slice_normal,
                 viz_streams *out);

/* Trilinear interpolation of the grid at x (clamped to the box); exposed for tests. */
void stream_sample(const double *u, int n, double lo, double hi, const double x[3], double v[3]);

#endif

/* Internal: fast O(N log N) summation of the point-source flows (2.2) — the same semantics as
 * fr_stokes_direct (stokes.h): sources j at fixed centres with force F[3j..] and moment
 * S[9j..]; at every centre i it ADDS Σ_{j≠i} of the velocity to u[3i..] and of its gradient
 * G[9i + 3a + m] = ∂_m u_a (u or G may be NULL).
 *
 * Method: Hasimoto-split Ewald summation in free space (spectral Ewald / particle mesh).
 *   Φ = Φ_R + Φ_F with Φ̂_F(k) = Φ̂(k) (1 + k²/4ξ²) e^{−k²/4ξ²}.
 *   Real space: the screened kernels Φ_R (Stokeslet and rotlet, with gradients; closed forms in
 *   erfc and exp) summed over the neighbours within r_c = x_c/ξ, found on the fly from the cell
 *   list (particles stored in cell order: a few contiguous runs per target; no per-pair storage,
 *   which at N = 1e6 would take ~1 GB).
 *   Fourier space: the force density f = Σ_j F_j ψ(·−X_j) + S_j ∇ψ(·−X_j) (any S, so rotlets and
 *   stresslets alike) is spread with a Gaussian window ψ onto a grid of spacing h, convolved
 *   with the mid kernel K (ψ*K*ψ = Φ_F) by FFT, and read back with ψ (velocity) and ∇ψ
 *   (gradient). Free space: the grid convolution is the aperiodic (Hockney–Eastwood) discrete
 *   convolution with the exact samples of K, whose transform is computed once per plan; the
 *   padded grid is ≥ 2× the particle box. The self term Φ_F(0) is subtracted analytically.
 *
 * Accuracy: with u_d, G_d the direct sums, the plan's tolerance tol bounds (tested at N≈3000,
 * measured by ferrobench up to N=1e6)
 *     max_i |u_i − u_d,i| / max_i |u_d,i|   and   rms_i |u_i − u_d,i| / rms_i |u_d,i|
 * and the same for G with the Frobenius norm. tol in [1e-6, 1e-2]; default 1e-3. The Fourier
 * grids are in single precision (stokes_fast_impl.h: FERRO_KS_FLOAT): their round-off (tests,
 * N = 3000, tol 1e-6: u max 4.9e-7, rms 7.2e-7, against 6e-8 with double grids) takes most of
 * tol 1e-6's budget and a negligible part of the others'.
 *
 * Parameters (calibrated per decade, ~2x margin on the worst of the four measures, 1.4x at
 * 1e-3, tuned for speed: stokes_fast_plan.c; linear in log10 tol in between): real-space
 * cutoff r_c = x_c/ξ, grid spacing h = π/(2qξ), window ψ(y) = exp(−2ξ²|y|²/η) on P grid points
 * per axis:
 *     tol    x_c   q     P   η
 *     1e-2   2.5  2.9    7  0.7
 *     1e-3   3.0  3.37   8  0.66
 *     1e-4   3.5  3.8   11  0.7
 *     1e-5   4.1  4.3   14  0.7
 *     1e-6   4.6  4.6   15  0.7
 * ξ itself only trades real-space pairs against grid points: it is chosen so that about 255 or
 * more neighbours fall within r_c (fewer would shift near-field weight into the Fourier part and
 * raise its relative error) and so that the padded grid (2× the box the windows cover, per
 * axis) is an FFT-friendly size 2^a 3^{0,1} 5^c, the one of least modelled cost. erfc in the
 * screened kernels is a Chebyshev expansion of erfcx (14 terms for tol >= 1e-4, else 24). Cost is
 * O(N) for the real space, spreading and interpolation (per particle: ~nb pairs, P³ grid points)
 * and O(M³ log M) ~ O(N log N) for the FFTs.
 *
 * Any S: antisymmetric S (spheres: rotlets, T = 2 axial S) takes a cheaper real-space kernel;
 * S with a symmetric part (spheroids: stresslets, also a trace) the general one. Below n = 400
 * sources, where the direct sum is faster, fr_stokes_fast uses it (exact; the grid evaluation
 * still uses the fast method).
 *
 * Memory: the plan holds the positions, the cell list, 27 doubles of work per particle, the
 * complex grids of the three components (z over the box the windows cover, all of y, half of
 * x; the real grids live inside them) and the kernel transform on the
 * octant in single precision (relative 6e-8, far below tol): ~0.8 GB at N = 1e6, tol 1e-3
 * (the grids in single precision; ~1.2 GB with FERRO_KS_DOUBLE).
 *
 * Determinism: results are bit-identical for any number of OpenMP threads (each output is
 * accumulated in a fixed order; spreading is coloured by grid slabs; FFTW plans are serial
 * FFTW_ESTIMATE plans, each 1-D transform executed whole by one thread).
 *
 * Thread safety: a plan is used by one thread at a time (fr_stokes_fast parallelises
 * internally). Creating/freeing plans calls the FFTW planner, which is not thread-safe: do not
 * create plans concurrently with other FFTW planning in the process.
 *
 *   char err[256];
 *   fr_stokes_plan *p = fr_stokes_plan_create(n, x, y, z, 1e-3, err, sizeof err);
 *   if (!p) { fprintf(stderr, "%s\n", err); ... }
 *   for (each step) { memset(G, 0, ...); fr_stokes_fast(p, F, S, NULL, G); }
 *   fr_stokes_plan_free(p);
 */
#ifndef FERRO_STOKES_FAST_H
#define FERRO_STOKES_FAST_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct fr_stokes_plan fr_stokes_plan;

/* Tuning knobs; zero fields take the defaults for tol. */
typedef struct fr_stokes_fast_opts {
    double tol; /* relative error target (see above), clamped to [1e-6, 1e-2] */
    double nb;  /* mean number of real-space neighbours per particle (sets ξ) */
    double xc;  /* ξ r_c */
    double q;   /* π/(2 ξ h): grid resolution relative to the splitting */
    int P;      /* window support in grid points per axis */
    double eta; /* window width: ψ = exp(−2ξ²|y|²/η), 0 < η < 1 */
} fr_stokes_fast_opts;

typedef struct fr_stokes_plan_info {
    int n;
    double tol, xi, rc, h, eta, q, xc;
    int P;
    int M[3];           /* FFT grid */
    int box[3];         /* grid points covered by the particles' windows */
    double neighbours;  /* mean real-space neighbours per particle (excluding self): an
                         * estimate from the density, exact after a call that took the
                         * double-precision real space (general moments, tol < 1e-4) */
    size_t bytes;       /* memory held by the plan */
    double build_seconds;
    /* phase times of the last fr_stokes_fast call (s): spreading, FFTs + kernel, interpolation,
     * real-space sum, the rest (permutations, self terms, output) */
    double t_spread, t_fft, t_interp, t_real, t_other;
    /* the grid evaluation's own splitting (0 before the first fr_stokes_fast_grid*): a ξ at
     * most the plan's, chosen for the grid's spacing and box, and its Fourier grid */
    double grid_xi;
    int grid_M[3];
} fr_stokes_plan_info;

/* Everything that depends only on the positions (cell lists, grid, window geometry, kernel
 * transform, FFTW plans) is built here once. Positions are copied. NULL on failure, with a
 * message in err. n >= 1. */
fr_stokes_plan *fr_stokes_plan_create(int n, const double *x, const double *y, const double *z,
                                      double tol, char *err, size_t errlen);
fr_stokes_plan *fr_stokes_plan_create_opts(int n, const double *x, const double *y,
                                           const double *z, const fr_stokes_fast_opts *o,
                                           char *err, size_t errlen);
void fr_stokes_plan_free(fr_stokes_plan *p);
void fr_stokes_plan_get_info(const fr_stokes_plan *p, fr_stokes_plan_info *info);

/* Adds the interaction sums to u and G (either may be NULL), as fr_stokes_direct does.
 * F[3j..], S[9j..] in the original order of the positions given to the plan. Returns 0, or −1
 * on allocation failure (u, G then untouched). */
int fr_stokes_fast(fr_stokes_plan *p, const double *F, const double *S, double *u, double *G);

/* The same, giving up between phases (and within the real-space sum) once *abort is non-zero
 * (abort may be NULL): then returns 1 and leaves u and G untouched. */
int fr_stokes_fast_abortable(fr_stokes_plan *p, const double *F, const double *S, double *u,
                             double *G, const atomic_int *abort);

/* Only the antisymmetric part W = ½(∇u − ∇uᵀ) of the gradient, added to G[9i..] (W_am at
 * 3a + m, so that G − Gᵀ = 2W): all a sphere's rotation needs (Jeffery's equation with β = 0);
 * u is not computed. For sphere sources at tol >= 1e-4 the real-space part sums the vorticity
 * directly (3 sums per pair instead of 12); otherwise it equals the antisymmetric part of
 * fr_stokes_fast's G. Returns as fr_stokes_fast_abortable. */
int fr_stokes_fast_rotation(fr_stokes_plan *p, const double *F, const double *S, double *G,
                            const atomic_int *abort);

/* The point-source velocity Σ_j ṽ_j(x) of all sources at the n³ points of the grid over
 * [lo, hi]³ (x_i = lo + i (hi − lo)/(n − 1)), written (not added) at ugrid[((k*n + j)*n + i)*3 + c].
 * This is the exact singular sum (to tol): smooth Fourier part + screened near-field correction
 * over the sources within r_c of each point; a source exactly at a grid point is skipped.
 * Uses a second Fourier engine sized for the union of the grid box and the particles, with a
 * splitting of its own (a ξ at most the plan's, of least modelled cost for the grid's spacing:
 * a coarse grid takes a coarse Fourier grid and a longer near field, at the same tolerance),
 * built on the first call and kept while lo, hi and that ξ stay the same (so the grid may
 * extend beyond the particles). Any S. Returns 0, or −1 if n < 2, hi <= lo or out of memory.
 * Cost: the spreading and FFTs of an update plus n³ window interpolations and the near-field
 * pairs (N = 1e5, 64³: ~0.5 s on 2 cores; 24³ smoothed as ferroviz draws it: ~0.2 CPU-s). */
int fr_stokes_fast_grid(fr_stokes_plan *p, const double *F, const double *S, int n, double lo,
                        double hi, double *ugrid);

/* The same with every source smoothed over delta > 0 exactly as fr_point_source_smoothed_add
 * (kernels.h) does: the flow multiplied by the C² cutoff ρ³(10 − 15ρ + 6ρ²), ρ = |d|/delta < 1.
 * Equal to fr_stokes_fast_grid at distance >= delta from every source; bounded near them. */
int fr_stokes_fast_grid_smoothed(fr_stokes_plan *p, const double *F, const double *S, int n,
                                 double lo, double hi, double delta, double *ugrid);
/* The same, stopping early when *abort becomes non-zero (a signal, a reset in the viewer):
 * returns 2 then, with the grid incomplete. */
int fr_stokes_fast_grid_smoothed_abortable(fr_stokes_plan *p, const double *F, const double *S,
                                           int n, double lo, double hi, double delta,
                                           double *ugrid, const atomic_int *abort);

#endif

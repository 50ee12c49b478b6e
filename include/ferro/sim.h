/* ferro/sim.h — the simulation: jump process (1.2), orientations (1.3) with the dilute
 * interactions (2.2), and the effective model (1.9) integrated alongside.
 *
 *   fr_sim *s; char err[256];
 *   if (fr_sim_create(&p, &s, err, sizeof err)) { fprintf(stderr, "%s\n", err); ... }
 *   while (fr_sim_time(s) < t_end) fr_sim_step(s);
 *   fr_sim_free(s);
 *
 * The core never prints, never exits and has no global mutable state. One fr_sim must be
 * used from one thread at a time; fr_sim_step parallelises internally with OpenMP, and its
 * results do not depend on the number of threads.
 */
#ifndef FERRO_SIM_H
#define FERRO_SIM_H

#include "ferro/params.h"
#include "ferro/shape.h"
#include <stdio.h>
#include <stdatomic.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fr_sim fr_sim;

/* Read-only view of the state, structure of arrays. Valid until the next call that changes s. */
typedef struct fr_view {
    int n;
    double t;
    double r, v;                /* particle radius and volume v = r^3 |B| = phi / N */
    const double *X[3];         /* centres X_i (never move) */
    const double *xi[3];        /* orientations xi_i on S^2 */
    const double *xis[3];       /* effective-model orientations xi*_i, (1.9)/(3.1) */
    const int8_t *sigma;        /* spins +-1 */
} fr_view;

/* Diagnostics at the current time; H is the field at the origin. */
typedef struct fr_diag {
    double t;
    double H[3];
    double m[3];                /* (1/N) sum sigma_i xi_i; M = phi * m */
    double mean_spin;           /* (1/N) sum sigma_i */
    long long flips;            /* cumulative number of flips */
    double e[3];                /* (1/N) sum m0(xi_i) xi_i, m0 = tanh(b H.xi_i): the effective
                                 * magnetization of the sources of the effective velocity (1.10) */
    double msd;                 /* (1/N) sum |xi_i - xi*_i|^2 */
} fr_diag;

int fr_sim_create(const fr_params *p, fr_sim **out, char *err, size_t errlen);
void fr_sim_free(fr_sim *s);

/* An abort flag the caller may set from another thread (e.g. a window being closed): a step
 * in progress then stops early and returns 1; the state is then only fit for fr_sim_free.
 * NULL (the default) disables it. */
void fr_sim_set_abort(fr_sim *s, const atomic_int *flag);

/* Advance by p.dt (one coupling step). Returns 0 (1 if aborted). */
int fr_sim_step(fr_sim *s);
/* Advance by an arbitrary dt > 0 (one coupling step of that length). */
int fr_sim_advance(fr_sim *s, double dt);

double fr_sim_time(const fr_sim *s);
const fr_params *fr_sim_params(const fr_sim *s);
fr_view fr_sim_view(const fr_sim *s);
void fr_sim_diag(const fr_sim *s, fr_diag *d);

/* Live change, effective from the next step: every parameter that a running simulation can
 * take (eps, b, the field, dt, interactions, aspect — the radius follows at the same φ —,
 * Brownian D_r, hold_orientations), validated once by fr_params_validate. Returns -1 with a
 * message, and changes nothing, when p is invalid or differs in a parameter that needs a new
 * simulation (n, phi, c0, seed, init, stokes, stokes-tol, no-effective: named in err). */
int fr_sim_set_params(fr_sim *s, const fr_params *p, char *err, size_t errlen);
fr_shape fr_sim_shape(const fr_sim *s);
/* Which interaction sum runs: "direct" or "fast 1e-3" (its tolerance). */
const char *fr_sim_stokes_name(fr_sim *s);

/* Direct access for tests and for loading a state: spins and orientations (renormalised). */
void fr_sim_set_spin(fr_sim *s, int i, int sigma);
void fr_sim_set_orientation(fr_sim *s, int i, const double xi[3]);

/* Save the whole state (binary, checksummed) / load it into a new simulation. A damaged,
 * truncated or foreign file, or one whose contents are not a state the simulation can reach
 * (|ξ| != 1, σ != ±1, t < 0, an invalid RNG state, ...), gives -1 and a one-line message;
 * nothing else changes. fr_sim_save writes a temporary in the same directory and renames it;
 * fr_sim_write writes the same bytes to an open stream (0, or -1 with a message). */
int fr_sim_save(const fr_sim *s, const char *path, char *err, size_t errlen);
int fr_sim_write(const fr_sim *s, FILE *f, char *err, size_t errlen);
int fr_sim_load(const char *path, fr_sim **out, char *err, size_t errlen);

/* Ambient flow of all other particles' microscopic point sources (2.2) at each X_i:
 * u[3i+k] and omega[3i+k] = half its curl. Either may be NULL. */
void fr_sim_ambient(fr_sim *s, double *u, double *omega);
/* The same, with effective != 0 for the effective sources of (1.10) (σ_j → m0): e.g. the
 * fluid's mean rotation (spin-up flow) in a rotating field. Returns -1 when out of memory. */
int fr_sim_ambient_ex(fr_sim *s, int effective, double *u, double *omega);

/* The fluid's mean rotation ⟨½ curl u⟩ over the cloud (the ball of radius 1) for the
 * effective velocity u of (1.10): the spin-up flow of a rotating field. */
int fr_sim_fluid_rotation(fr_sim *s, double omega[3]);

/* The box both front ends show the effective velocity in: [FR_FIELD_LO, FR_FIELD_HI]^3, the
 * cloud (the unit ball) with a margin of half its radius. */
#define FR_FIELD_LO (-1.5)
#define FR_FIELD_HI 1.5

/* Effective velocity field (1.10) on an n^3 grid over [lo, hi]^3, index ((k*n + j)*n + i)*3 + c
 * for the point (x_i, y_j, z_k). Sources smoothed over delta (returned). Returns -1 if n < 2,
 * 1 if the abort flag (fr_sim_set_abort) stopped it (u is then incomplete). */
int fr_sim_effective_velocity(fr_sim *s, int n, double lo, double hi, double *u, double *delta);

/* Smoothing length used for a grid of spacing h: max(c0 N^(-1/3) / 2, 2 h). */
double fr_sim_delta(const fr_sim *s, double h);

#ifdef __cplusplus
}
#endif
#endif

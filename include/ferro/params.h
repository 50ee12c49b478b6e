/* ferro/params.h — every parameter of a ferroviz/ferrosim run, with defaults and validation.
 *
 * Nondimensional units of MODEL.md / Appendix A of the paper: length in the cloud size,
 * time in T = nu/(mu0 m_s Hbar), field in Hbar, viscosity 1.
 */
#ifndef FERRO_PARAMS_H
#define FERRO_PARAMS_H

#include "ferro/field.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif


typedef enum { FR_INIT_RANDOM = 0, FR_INIT_ALIGNED = 1 } fr_init;

/* How the interaction sum (2.2) is computed: the direct O(N²) sum, or the fast O(N log N)
 * spectral Ewald method (relative error <= stokes_tol); auto picks fast from N >= 4000, about
 * where the two cost the same (README, "Performance", has the measurements). */
typedef enum { FR_STOKES_AUTO = 0, FR_STOKES_DIRECT = 1, FR_STOKES_FAST = 2 } fr_stokes_method;
#define FR_STOKES_AUTO_N 4000

typedef struct fr_params {
    int n;                /* number of particles, >= 1 */
    double phi;           /* volume fraction, in (0, 0.3] */
    double eps;           /* spin-flip time scale epsilon > 0: rates are lambda/eps, (1.2) */
    double b;             /* b >= 0: lambda^{+-} = exp(-+ b H.xi), (1.2) */
    double c0;            /* minimal distance of centres is c0 N^(-1/3), (H3) */
    fr_field field;
    double dt;            /* coupling step: interactions are recomputed once per dt */
    uint64_t seed;
    fr_init init;
    int interactions;     /* 1: hydrodynamic interactions (2.2) on, 0: off */
    int hold_orientations;/* 1: orientations frozen (tests of the spin law only) */
    double aspect;        /* spheroid aspect ratio a (axial/transverse): 1 sphere, > 1 prolate,
                           * < 1 oblate; 0 means 1. Range [0.1, 10]. */
    double brownian;      /* rotational diffusion D_r >= 0 (off by default; the paper omits it) */
    int stokes;           /* fr_stokes_method, default auto */
    double stokes_tol;    /* fast method's relative error target in [1e-6, 1e-2]; 0 means 1e-3 */
    int no_effective;     /* 1: the effective model (1.9) is not integrated (micro-only runs,
                           * about half the cost without interactions): ξ* is NaN, and so is
                           * msd; the effective velocity (1.10) and magnetization are built on
                           * ξ and stay available */
} fr_params;

/* Documented defaults: n 1000, phi 0.05, eps 0.01, b 2, c0 1, H (0,0,1), dt 0.01, seed 1,
 * init random, interactions on, sphere (aspect 1), no Brownian motion. */
fr_params fr_params_default(void);

/* 0 if p is valid; otherwise -1 and a one-line message "option: problem" in err (the option
 * is the command line's name of the parameter blamed). Besides the ranges, refuses overlapping
 * particles, a magnet inside the cloud, and a rotating or sweeping field too fast for dt. */
int fr_params_validate(const fr_params *p, char *err, size_t errlen);

/* The documented range [lo, hi] of a scalar parameter by its option name ("eps", "b", ...) and,
 * for options of two numbers, the part ("H0", "omega", "amplitude", "period"; NULL: the first).
 * 0, or -1 if there is no such range. For front ends that clamp live changes to it. */
int fr_params_range(const char *option, const char *part, double *lo, double *hi);

#ifdef __cplusplus
}
#endif
#endif

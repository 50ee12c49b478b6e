/* Internal: the simulation struct, shared by sim.c and state_io.c. */
#ifndef FERRO_SIM_INTERNAL_H
#define FERRO_SIM_INTERNAL_H

#include "ferro/shape.h"
#include "ferro/sim.h"
#include "diag.h"
#include "effective_map.h"
#include "rng.h"

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* What the static sampler's candidate-form clocks were made for (dynamics.h): the static field
 * (normalised: the parts that are off are zero), ε, b and γ. All doubles, no padding, so two
 * keys compare with memcmp. */
typedef struct fr_clock_key {
    double H0[3], grad_g, magnet_m[3], magnet_p[3];
    double eps, b, gamma;
} fr_clock_key;

struct fr_sim {
    fr_params p;
    double t;
    int n;
    double r, v;
    fr_shape shape;
    double *X[3], *xi[3], *xis[3];
    int8_t *sigma;
    double *hazard, *thresh; /* integrated hazard since the last flip, its Exp(1) threshold */
    long long *flips;        /* per particle, cumulative */
    uint64_t *rng_ctr;       /* per particle: its counter-based stream's next block (rng.h) */
    fr_rng_key rng_key;      /* the streams' key, from the seed */
    double *F, *S, *G; /* scratch: 3n, 9n; ambient flow gradient at each particle: 9n */
    int G_zero;        /* G is known to be all zero (interactions off) */
    int hazard_zero;   /* every hazard is 0 (hazard form only): not read by the static sampler */
    /* 1: the clocks (hazard[], thresh[]) are in the static sampler's candidate form, made for
     * clock_key (dynamics.h); anything else converts them back first (clocks_to_hazard in sim.c) */
    int clock_cand;
    fr_clock_key clock_key;
    const atomic_int *abort; /* set by another thread: stop the step early */
    struct fr_stokes_plan *plan; /* fast method: built once (positions never move), lazily */
    int plan_failed;             /* building it failed: direct sum from then on */
    fr_eff_map eff; /* the effective model's tabulated step in a static uniform field (cache) */
    /* Diagnostics per block of FR_CHUNK particles (diag.h), filled by the static-field step
     * while each block is in cache. Valid for the state at time diag_t in the field diag_field
     * with diag_b; anything else that changes ξ, ξ*, σ or the flip counters must clear
     * diag_valid (fr_sim_diag then sums the blocks afresh, in parallel). */
    fr_diag_part *diag_part;
    fr_diag_part *diag_scratch; /* fr_sim_diag's own blocks when diag_part does not fit */
    int diag_nblk, diag_valid;
    double diag_t, diag_b;
    fr_field diag_field;
};

#endif

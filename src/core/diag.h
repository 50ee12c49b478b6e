/* Internal: the diagnostics of fr_sim_diag summed over fixed blocks of FR_CHUNK particles.
 * Block b holds particles [b·FR_CHUNK, min((b+1)·FR_CHUNK, n)); its partial sums are taken in
 * index order and the blocks are added in block order, so the result does not depend on how
 * the blocks are spread over threads, nor on whether a block was summed inside the step (while
 * in cache) or afterwards. */
#ifndef FERRO_DIAG_H
#define FERRO_DIAG_H

#include "ferro/params.h"

#include <stdint.h>

typedef struct fr_diag_part {
    double m[3], e[3], msd; /* Σ σξ, Σ m0(ξ*)ξ*, Σ |ξ − ξ*|² over the block */
    long long spin, flips;  /* Σ σ, Σ flips: integers, exact in any order */
} fr_diag_part;

/* Partial sums of particles i0 .. i0 + cnt − 1 (cnt <= FR_CHUNK) at time t in field f. */
void fr_diag_block(const fr_field *f, double t, double b, int i0, int cnt, double *const X[3],
                   double *const xi[3], double *const xis[3], const int8_t *sigma,
                   const long long *flips, fr_diag_part *out);

#endif

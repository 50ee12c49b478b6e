/* ferrosim's outputs at one time: the particles (with the ambient flow at each) and the
 * effective velocity on a grid, gathered once and written by every format (csv_out.c,
 * vtk_out.c). */
#ifndef FERROSIM_SNAPSHOT_H
#define FERROSIM_SNAPSHOT_H

#include "ferro/sim.h"

#include <stdio.h>

typedef struct particles {
    fr_view v;             /* X, xi, xis, sigma: the core's arrays */
    const long long *flips;/* per particle, cumulative */
    double *u, *omega;     /* 3n interleaved: ambient flow of the others (2.2) and half its curl */
    double *m0;            /* n: tanh(b H(X_i)·xi_i) */
} particles;

typedef struct field {
    int n;                 /* n^3 points, x fastest */
    double lo, h, delta, t;
    double *u;             /* 3 n^3 interleaved: the effective velocity (1.10) */
} field;

/* 0, or -1 when out of memory. */
int particles_gather(particles *p, fr_sim *s);
void particles_free(particles *p);
int field_gather(field *f, fr_sim *s, int n);
void field_free(field *f);

#endif

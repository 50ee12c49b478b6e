/* Which file formats each ferrosim output accepts, chosen by the name's extension: one table
 * serves the check at start (an unknown extension is bad input) and the writing. */
#ifndef FERROSIM_FORMATS_H
#define FERROSIM_FORMATS_H

#include "ferro/scenario.h"
#include "ferro/sim.h"

#include <stdio.h>

/* 0, or -1 with "--field-out 'x.dat': unknown extension (use .csv, .vtk or .vti)". */
int formats_check(const fr_options *o, char *err, size_t errlen);

/* Write the particles / the field at the current time in the format path's extension names.
 * 0, or -1 when out of memory. */
int write_particles(FILE *fp, const char *path, fr_sim *s);
int write_field(FILE *fp, const char *path, fr_sim *s, int grid);

#endif

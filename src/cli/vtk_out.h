/* ferrosim's files for ParaView/VTK: particles as XML PolyData (.vtp), the field as XML
 * ImageData (.vti) or legacy VTK (.vtk), and a collection (.pvd) naming a file per time.
 * The XML files are binary: raw appended data, 64-bit block headers, native byte order
 * (declared in the file), so a reader gets the doubles bit for bit. */
#ifndef FERROSIM_VTK_OUT_H
#define FERROSIM_VTK_OUT_H

#include "snapshot.h"

#include <stdio.h>

/* Points X_i with one vertex each; point data xi, xi_star, u, omega (3-vectors, xi the active
 * vectors), sigma (the active scalars), m0, flips; field data TimeValue. 0, or -1 when out of
 * memory. */
int vtk_particles_vtp(FILE *fp, const particles *p);
/* The grid with the effective velocity as the active vectors; field data TimeValue, delta. */
int vtk_field_vti(FILE *fp, const field *f);
int vtk_field_legacy(FILE *fp, const field *f);

/* A ParaView collection: one DataSet per (time, part, file). */
typedef struct pvd_entry {
    double t;
    int part;
    char file[64];
} pvd_entry;
void vtk_pvd(FILE *fp, const pvd_entry *e, size_t count);

#endif

/* ferrosim's CSV files: the series (--out), the particles and the field. One format for every
 * number (%.12g: same seed, byte-identical files), and a float column always looks like a
 * float ("0.0", "1.0", "nan"), so a reader such as pandas gets the same column types in every
 * scenario; counts (flips, sigma) are integers. */
#ifndef FERROSIM_CSV_OUT_H
#define FERROSIM_CSV_OUT_H

#include "snapshot.h"

#include <stdio.h>

/* One float as every CSV column writes it (the study's tables too). */
void csv_float(FILE *fp, double x);
void csv_series_header(FILE *fp);
void csv_series_row(FILE *fp, const fr_sim *s);
int csv_particles(FILE *fp, const particles *p);
int csv_field(FILE *fp, const field *f);

#endif

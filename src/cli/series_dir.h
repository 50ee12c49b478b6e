/* ferrosim --series-out DIR: at every row of the series (thinned by --every) the particles as
 * DIR/particles_NNNNNN.vtp and the field as DIR/field_NNNNNN.vti, and at the end
 * DIR/series.pvd, a ParaView collection whose timesteps are the simulation times (part 0 the
 * particles, part 1 the field). Each file goes through a temporary renamed when complete; a
 * failed or interrupted run removes what it wrote (and DIR, if it created it), so series.pvd
 * exists only for a complete run. */
#ifndef FERROSIM_SERIES_DIR_H
#define FERROSIM_SERIES_DIR_H

#include "vtk_out.h"

typedef struct series_dir {
    const char *dir;       /* NULL: not requested */
    int grid;
    int created;           /* we made DIR */
    pvd_entry *entries;    /* the files written so far */
    size_t count, cap;
} series_dir;

/* Create DIR if missing (an existing directory is reused). 0, or -1 with a message. */
int series_dir_open(series_dir *d, const char *dir, int grid, char *err, size_t errlen);
/* Write the particles and the field at the current time. 0, or -1 with a message. */
int series_dir_row(series_dir *d, fr_sim *s, char *err, size_t errlen);
/* Write series.pvd. 0, or -1 with a message. */
int series_dir_commit(series_dir *d, char *err, size_t errlen);
/* Remove every file written (after a failure or an interruption); frees the list. */
void series_dir_abandon(series_dir *d);
void series_dir_free(series_dir *d);

#endif

/* study.h — ensembles and parameter studies of ferrosim (--ensemble K, --vary NAME=v1,v2,...),
 * in one process (OpenMP) or spread over MPI ranks (ferrosim-mpi, through par.h).
 *
 * A study is a list of tasks (point, member): a point is one combination of the --vary values
 * (the first --vary slowest), a member one seed. Member k of every point runs with the seed
 * study_member_seed(seed, k), so member 0 is the plain run and the points share their random
 * numbers (common random numbers: differences between points are less noisy). The table has
 * one row per point and output time: the --vary values, t, and per column the mean over the
 * members (with --ensemble also its standard error in <name>_se), summed in member order on
 * rank 0, so the bytes do not depend on the number of ranks or threads.
 */
#ifndef FERRO_STUDY_H
#define FERRO_STUDY_H

#include "ferro/scenario.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define STUDY_MAX_AXES 2

typedef struct study_axis {
    char name[64]; /* option name without "--" */
    int nval;
    char **val;    /* the values as given (each a finite number) */
} study_axis;

typedef struct study_spec {
    int ensemble;  /* K members per point; 0 = --ensemble not given (one member, no _se) */
    int naxes;
    study_axis axis[STUDY_MAX_AXES];
    int progress;  /* --progress: draw the progress bar even when stderr is not a terminal */
} study_spec;

/* Writes the printf-style message into err and returns -1: the failure return of every study
 * function that reports through (err, errlen). */
__attribute__((format(printf, 3, 4))) int study_fail(char *err, size_t errlen, const char *fmt,
                                                     ...);

/* The options a front end passes to fr_options_parse to accept --ensemble, --vary and
 * --progress, and the callback (ctx: a study_spec, zeroed before; NULL: check only). */
const fr_extra_option *study_extra_options(void);
int study_option(void *ctx, const char *name, const char *value, char *err, size_t errlen);
void study_spec_free(study_spec *sp);

/* Usage lines for --help. */
const char *study_usage(void);

/* Member k's seed: seed + k * 0x9E3779B97F4A7C15 (mod 2^64), the golden-ratio increment of
 * splitmix64: member 0 is the plain run, and ensembles whose --seed differ by less than 1e12
 * share no member for K <= 1e6 (the core hashes every seed, so nearby seeds are independent). */
uint64_t study_member_seed(uint64_t seed, long k);

#define STUDY_NOT_A_STUDY (-1)

/* Run the study described by o (the parsed command line) and sp, writing the table to o->out
 * (or stdout). abort_flag is set by the front end's signal handler (and by the study to stop
 * its own runs). Returns the exit status (0, 1 I/O or run failure, 2 bad input, 130
 * interrupted), or STUDY_NOT_A_STUDY when there is no study to run (no --ensemble/--vary and
 * not started by an MPI launcher with more than one rank): run the plain way. */
int study_main(const fr_options *o, const study_spec *sp, int *argc, char ***argv,
               atomic_int *abort_flag);

#endif

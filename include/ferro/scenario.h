/* ferro/scenario.h — the options shared by ferrosim and ferroviz: command line and scenario
 * files ("key = value" lines, '#' comments; keys are the long option names without "--").
 * Command-line options override the scenario file, wherever --scenario appears.
 */
#ifndef FERRO_SCENARIO_H
#define FERRO_SCENARIO_H

#include "ferro/params.h"
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fr_options {
    fr_params p;              /* physics */
    double t_end;             /* default 1 */
    int every;                /* write every K-th CSV row, default 1 */
    int grid;                 /* field grid size n (n^3 points), default 24 */
    int threads;              /* 0 = OpenMP default */
    char out[1024];           /* "" = none */
    char particles_out[1024];
    char field_out[1024];
    char series_out[1024];    /* directory: .vtp/.vti per row and series.pvd, "" = none */
    char scenario[1024];      /* the scenario file read, "" = none */
    char save[1024];          /* save the whole state at the end, "" = none */
    char load[1024];          /* start from a saved state (its parameters and time), "" = none */
    char units[1024];         /* SI parameter file: print T, b, eps, Néel/Brownian times */
    int help, version;
} fr_options;

/* Extra options of a front end (e.g. ferroviz's --size WxH). */
typedef struct fr_extra_option {
    const char *name;         /* without "--" */
    int takes_value;
} fr_extra_option;

/* Called for each extra option found; returns 0 if the value is fine, -1 with a message. */
typedef int (*fr_extra_fn)(void *ctx, const char *name, const char *value, char *err,
                           size_t errlen);

/* Defaults as documented (fr_params_default() for physics). */
void fr_options_default(fr_options *o);

/* Parse argv (argv[0] is the program). extra may be NULL (terminated by a {NULL,0} entry).
 * Returns 0, or -1 with a one-line message naming the problem (unknown flag, missing value,
 * NaN/inf, out of range, unreadable scenario file, magnet inside the cloud, ...). Validates
 * the physics with fr_params_validate. */
int fr_options_parse(fr_options *o, int argc, char **argv, const fr_extra_option *extra,
                     fr_extra_fn fn, void *ctx, char *err, size_t errlen);

/* Usage text of the shared options (for --help). */
const char *fr_options_usage(void);

#ifdef __cplusplus
}
#endif
#endif

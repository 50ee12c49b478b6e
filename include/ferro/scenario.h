/* ferro/scenario.h — the options shared by ferrosim and ferroviz: command line and scenario
 * files ("key = value" lines, '#' comments; keys are the long option names without "--").
 * Command-line options override the scenario file, wherever --scenario appears.
 */
#ifndef FERRO_SCENARIO_H
#define FERRO_SCENARIO_H

#include "ferro/params.h"
#include "ferro/sim.h"
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
    unsigned long long given; /* bit i: option i (fr_options_info) was given, file or command line */
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
 * NaN/inf, out of range, unreadable scenario file, magnet inside the cloud, ...), naming the
 * option and its source (command line, or scenario file and line). Ranges are checked once,
 * after all values are in: the physics by fr_params_validate. */
int fr_options_parse(fr_options *o, int argc, char **argv, const fr_extra_option *extra,
                     fr_extra_fn fn, void *ctx, char *err, size_t errlen);

/* The simulation o describes: a new one from o->p, or with --load the saved state, its
 * parameters changed by every physics option o was given, as ferroviz's keys would change them
 * (a field option changes its part of the saved field: --grad adds to the saved H). What a state
 * cannot change (n, phi, c0, seed, ...) is refused. 0, or -1 with one line ("--load: ..."). */
int fr_options_sim(const fr_options *o, fr_sim **out, char *err, size_t errlen);

/* Usage text of the shared options (for --help), generated from the option table with the
 * ranges fr_params_validate checks and the defaults. */
const char *fr_options_usage(void);

/* One option by its name (the command line's without "--", a scenario file's key, ferroviz's
 * "set NAME=VALUE"): the value's type is checked, its range is not (fr_options_check or
 * fr_params_validate do that). value is NULL for a bare flag. 0, or -1 with a message. */
int fr_options_set(fr_options *o, const char *name, const char *value, char *err, size_t errlen);

/* The same for the options that are fields of fr_params ("eps", "H", "rotating", ...). */
int fr_params_set(fr_params *p, const char *name, const char *value, char *err, size_t errlen);

/* Every range of o (run options and physics): 0, or -1 with "name: problem". */
int fr_options_check(const fr_options *o, char *err, size_t errlen);

/* The option table, for front ends that list or look up the options. */
typedef struct fr_option_info {
    const char *name;  /* without "--" */
    const char *arg;   /* the value's name in --help, NULL for a flag */
    const char *help;  /* may span lines ('\n'); NULL for --help/--version */
    int is_param;      /* a field of fr_params (settable with fr_params_set) */
    int in_file;       /* allowed in a scenario file */
} fr_option_info;
size_t fr_options_count(void);
int fr_options_info(size_t i, fr_option_info *info); /* 0, or -1 if i is out of range */

#ifdef __cplusplus
}
#endif
#endif

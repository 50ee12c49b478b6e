/* ferro/flat.h — the core for foreign-function callers (the Python package, through ctypes).
 *
 * Only ints, doubles, strings and pointers cross this interface: no struct layout has to be
 * mirrored in another language. Options are passed by NAME through the shared parser
 * (scenario.c, fr_options_parse), as on the command line ("--eps=0.01", "--H=0,0,1"), so the
 * names, ranges and messages are those of ferrosim, written once.
 */
#ifndef FERRO_FLAT_H
#define FERRO_FLAT_H

#include "ferro/sim.h"
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The run options a caller may keep beside a simulation (run[] of fr_flat_create). */
enum { FR_RUN_T_END, FR_RUN_EVERY, FR_RUN_GRID, FR_RUN_THREADS, FR_RUN_N };

/* A simulation from command-line style options (argv[0] is ignored; "--scenario=FILE" and
 * "--load=FILE" work as in ferrosim). The run options t-end, every, grid, threads are returned
 * in run[] (threads > 0 is also applied with omp_set_num_threads); the output options (out,
 * particles-out, field-out, save, units, help, version) are refused: they belong to ferrosim.
 * Returns 0, or -1 with the parser's one-line message. */
int fr_flat_create(int argc, char **argv, fr_sim **out, double run[FR_RUN_N], char *err,
                   size_t errlen);

/* Live changes by option name, effective from the next step: each (names[i], values[i]) is
 * applied to a copy of the parameters with fr_params_set (the option table's lookup by name;
 * values[i] NULL for a bare flag), then fr_sim_set_params validates the whole and names what
 * needs a new simulation. Run and output options are unknown parameters. On error nothing
 * changes. */
int fr_flat_set(fr_sim *s, int count, const char *const *names, const char *const *values,
                char *err, size_t errlen);

/* The state arrays (valid until fr_sim_free; they never move): "X", "xi", "xis" give the
 * first of 3n doubles, component k of particle i at [k n + i]; "sigma" n int8; "flips" n
 * long long (cumulative flips per particle). NULL for an unknown name. */
const void *fr_flat_array(const fr_sim *s, const char *name);
int fr_flat_n(const fr_sim *s);

/* The series CSV: its header (without the newline), its number of columns, and the current
 * diagnostics as one row in that order (flips as a double: exact below 2^53). */
#define FR_SERIES_NCOLS 13
#define FR_SERIES_FLIPS 8 /* the one column that is a count; the others are floats */
const char *fr_series_columns(void);
void fr_series_row(const fr_sim *s, double row[FR_SERIES_NCOLS]);

/* m0_i = tanh(b H(t, X_i)·ξ_i) for every particle, (1.10)'s effective spin. */
void fr_sim_mean_spin_eq_all(const fr_sim *s, double *m0);

/* How ferrosim covers [t, t + span]: nfull steps of the simulation's dt, then one shorter
 * step of rest > 0 when span is not a multiple of dt (within 1e-9 relative; the only step when
 * dt > span). One place, so
 * the Python package produces the same rows as ferrosim. */
void fr_plan_steps(const fr_sim *s, double span, long long *nfull, double *rest);

#ifdef __cplusplus
}
#endif
#endif

/* The core for foreign-function callers (ferro/flat.h): options by name through the shared
 * parser, the state arrays as plain pointers, the diagnostics as one row of the series CSV. */
#include "ferro/flat.h"

#include "ferro/scenario.h"
#include "dynamics.h"
#include "sim_internal.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *what, const char *why)
{
    snprintf(err, errlen, "%s: %s", what, why);
    return -1;
}

/* Options of ferrosim's command line that a simulation object has no use for. */
static int refuse_outputs(const fr_options *o, char *err, size_t errlen)
{
    static const char why[] = "an output option of ferrosim, not of a simulation";
    const struct {
        const char *name, *value;
    } outs[] = {{"--out", o->out},   {"--particles-out", o->particles_out},
                {"--field-out", o->field_out}, {"--series-out", o->series_out}, {"--save", o->save},
                {"--units", o->units}};
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++)
        if (outs[i].value[0])
            return fail(err, errlen, outs[i].name, why);
    if (o->help || o->version)
        return fail(err, errlen, o->help ? "--help" : "--version", "for the command line only");
    return 0;
}

int fr_flat_create(int argc, char **argv, fr_sim **out, double run[FR_RUN_N], char *err,
                   size_t errlen)
{
    *out = NULL;
    fr_options o;
    fr_options_default(&o);
    if (fr_options_parse(&o, argc, argv, NULL, NULL, NULL, err, errlen) ||
        refuse_outputs(&o, err, errlen))
        return -1;
    run[FR_RUN_T_END] = o.t_end;
    run[FR_RUN_EVERY] = o.every;
    run[FR_RUN_GRID] = o.grid;
    run[FR_RUN_THREADS] = o.threads;
    if (o.threads > 0)
        omp_set_num_threads(o.threads);
    return fr_options_sim(&o, out, err, errlen);
}

int fr_flat_set(fr_sim *s, int count, const char *const *names, const char *const *values,
                char *err, size_t errlen)
{
    fr_params p = *fr_sim_params(s);
    for (int i = 0; i < count; i++) /* the core's lookup by name: parameters only */
        if (fr_params_set(&p, names[i], values[i], err, errlen))
            return -1;
    return fr_sim_set_params(s, &p, err, errlen); /* validates; names what needs a new sim */
}

const void *fr_flat_array(const fr_sim *s, const char *name)
{
    const struct {
        const char *name;
        const void *p;
    } arrays[] = {{"X", s->X[0]},         {"xi", s->xi[0]},       {"xis", s->xis[0]},
                  {"sigma", s->sigma},    {"flips", s->flips}};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        if (!strcmp(arrays[i].name, name))
            return arrays[i].p;
    return NULL;
}

int fr_flat_n(const fr_sim *s)
{
    return s->n;
}

const char *fr_series_columns(void)
{
    return "t,Hx,Hy,Hz,mx,my,mz,mean_spin,flips,ex,ey,ez,msd";
}

void fr_series_row(const fr_sim *s, double row[FR_SERIES_NCOLS])
{
    fr_diag d;
    fr_sim_diag(s, &d);
    const double r[FR_SERIES_NCOLS] = {d.t,    d.H[0], d.H[1], d.H[2],         d.m[0],
                                       d.m[1], d.m[2], d.mean_spin, (double)d.flips, d.e[0],
                                       d.e[1], d.e[2], d.msd};
    memcpy(row, r, sizeof r);
}

void fr_sim_mean_spin_eq_all(const fr_sim *s, double *m0)
{
    for (int i = 0; i < s->n; i++) {
        const double X[3] = {s->X[0][i], s->X[1][i], s->X[2][i]};
        double H[3];
        fr_field_eval(&s->p.field, s->t, X, H, NULL);
        m0[i] = fr_mean_spin_eq(s->p.b, H[0] * s->xi[0][i] + H[1] * s->xi[1][i] + H[2] * s->xi[2][i]);
    }
}

void fr_plan_steps(const fr_sim *s, double span, long long *nfull, double *rest)
{
    const double dt = s->p.dt;
    const double q = span / dt;
    const double k = nearbyint(q);
    if (fabs(q - k) <= 1e-9 * fmax(1.0, q) && (k >= 1.0 || span == 0.0)) { /* dt > span: one
                                                                             * step of span */
        *nfull = (long long)k;
        *rest = 0.0;
    } else {
        *nfull = (long long)floor(q);
        *rest = span - (double)*nfull * dt;
    }
}

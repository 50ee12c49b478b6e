/* Options shared by ferrosim and ferroviz: the command line and scenario files.
 *
 * One table (OPTS) says, for every option: its name (the command line's "--name", the
 * scenario file's key and ferroviz's "set name=" name), the type of its value, where it goes
 * in fr_options, and its help text. The parsers only check a value's type; every range is
 * checked once, by fr_params_validate (params.c) for the physics and by RUN_LIMITS below for
 * the run options, after all values are in, and a failure is reported against the source
 * that gave the value (command line, or scenario file and line). The ranges print in --help
 * from the same tables.
 *
 * The command line is tokenised first, then the scenario file (if any) is applied and
 * checked, then the command-line options in order: so the command line overrides the file
 * wherever --scenario appears; on the command line the last occurrence wins, in a file a key
 * given twice is refused.
 */
#include "ferro/scenario.h"
#include "ferro/sim.h"

#include "param_limits.h"
#include "textfile.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

/* ---- messages and value parsers: each writes a message without the option name ---- */

static int msg(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    fr_text_one_line(err); /* a newline inside a value must not split the message */
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

/* A finite double with nothing after it (strtod alone accepts "nan", "inf" and "1x"). */
static int parse_double(const char *s, double *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    const double v = strtod(s, &end);
    if (end == s || *s == ' ' || *s == '\t' || *end != '\0')
        return msg(err, errlen, "not a number '%s'", s);
    if (!isfinite(v))
        return msg(err, errlen, "not a finite number '%s'", s);
    *out = v;
    return 0;
}

/* An int (the type's range only; the option's range is checked by validation). */
static int parse_int(const char *s, int *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    const long v = strtol(s, &end, 10);
    if (end == s || *s == ' ' || *s == '\t' || *end != '\0')
        return msg(err, errlen, "not an integer '%s'", s);
    if (errno == ERANGE || v < INT_MIN || v > INT_MAX)
        return msg(err, errlen, "value %s out of range [%d, %d]", s, INT_MIN, INT_MAX);
    *out = (int)v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *s < '0' || *s > '9' || *end != '\0')
        return msg(err, errlen, "not an unsigned integer '%s'", s);
    if (errno == ERANGE)
        return msg(err, errlen, "value %s out of range [0, 2^64-1]", s);
    *out = (uint64_t)v;
    return 0;
}

/* Exactly k comma-separated finite numbers. */
static int parse_vec(const char *s, int k, double *out, const char *form, char *err, size_t errlen)
{
    const char *p = s;
    for (int c = 0; c < k; c++) {
        const char *comma = strchr(p, ',');
        const size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if ((c < k - 1 && !comma) || (c == k - 1 && comma))
            return msg(err, errlen, "expected %d comma-separated numbers %s, got '%s'", k, form, s);
        char buf[128];
        if (len >= sizeof buf)
            return msg(err, errlen, "component %d too long in '%s'", c + 1, s);
        memcpy(buf, p, len);
        buf[len] = '\0';
        char sub[192];
        if (parse_double(trim(buf), &out[c], sub, sizeof sub)) /* "0, 0, 1" is fine */
            return msg(err, errlen, "component %d: %s", c + 1, sub);
        p = comma ? comma + 1 : p + len;
    }
    return 0;
}

static int parse_bool(const char *s, int *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcmp(s, yes[i])) {
            *out = 1;
            return 0;
        }
        if (!strcmp(s, no[i])) {
            *out = 0;
            return 0;
        }
    }
    return msg(err, errlen, "not a boolean '%s' (use 1/0, true/false, yes/no, on/off)", s);
}

/* A flag's value: on for the bare flag (v NULL), else the boolean given as "--flag=<bool>". */
static int parse_flag(const char *v, int *out, char *err, size_t errlen)
{
    *out = 1;
    return v ? parse_bool(v, out, err, errlen) : 0;
}

static int parse_path(const char *s, char *dst, size_t cap, char *err, size_t errlen)
{
    if (!*s)
        return msg(err, errlen, "empty file name");
    if (strlen(s) >= cap)
        return msg(err, errlen, "file name longer than %zu characters", cap - 1);
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return msg(err, errlen, "file name '%s' contains a control character", s);
    strcpy(dst, s);
    return 0;
}

/* ---- the options whose value is more than one number ---- */

/* Where each option was last set, and where the field type (uniform or rotating) was: later
 * sources override earlier ones, but within one source --rotating wins over --H whatever the
 * order. */
enum { SRC_DEFAULT = 0, SRC_FILE = 1, SRC_CMDLINE = 2 };
typedef struct parse_state {
    int source;          /* SRC_FILE or SRC_CMDLINE while applying */
    int line;            /* the file's line being applied */
    int rotating_source; /* source that set field.rotating, 0 = none */
    int *where;          /* per option: 0 default, > 0 the file's line, -1 the command line */
} parse_state;

static int set_H(fr_options *o, parse_state *st, const char *v, char *err, size_t errlen)
{
    fr_field *f = &o->p.field;
    if (parse_vec(v, 3, f->H0, "'hx,hy,hz'", err, errlen))
        return -1;
    if (f->rotating && st->rotating_source < st->source) {
        f->rotating = 0; /* a uniform H given here overrides a rotating field of the file */
        st->rotating_source = st->source;
    }
    return 0;
}

static int set_rotating(fr_options *o, parse_state *st, const char *v, char *err, size_t errlen)
{
    fr_field *f = &o->p.field;
    double vec[2];
    if (parse_vec(v, 2, vec, "'H0,omega'", err, errlen))
        return -1;
    f->rotating = 1;
    f->rot_H0 = vec[0];
    f->rot_omega = vec[1];
    st->rotating_source = st->source;
    return 0;
}

static int set_switch_off(fr_options *o, parse_state *st, const char *v, char *err, size_t errlen)
{
    (void)st;
    fr_field *f = &o->p.field;
    f->has_switch_off = strcmp(v, "none") != 0;
    return f->has_switch_off ? parse_double(v, &f->t_off, err, errlen) : 0;
}

static int set_sweep(fr_options *o, parse_state *st, const char *v, char *err, size_t errlen)
{
    (void)st;
    fr_field *f = &o->p.field;
    double vec[2];
    f->sweep = strcmp(v, "none") != 0;
    if (!f->sweep)
        return 0;
    if (parse_vec(v, 2, vec, "'H0,period'", err, errlen))
        return -1;
    f->sweep_H0 = vec[0];
    f->sweep_period = vec[1];
    return 0;
}

static int set_magnet(fr_options *o, parse_state *st, const char *v, char *err, size_t errlen)
{
    (void)st;
    fr_field *f = &o->p.field;
    if (!strcmp(v, "none")) {
        f->has_magnet = 0;
        return 0;
    }
    const char *at = strchr(v, '@');
    char mbuf[256], sub[200];
    if (!at || (size_t)(at - v) >= sizeof mbuf)
        return msg(err, errlen, "expected 'mx,my,mz@px,py,pz', got '%s'", v);
    memcpy(mbuf, v, (size_t)(at - v));
    mbuf[at - v] = '\0';
    if (parse_vec(mbuf, 3, f->magnet_m, "'mx,my,mz'", sub, sizeof sub))
        return msg(err, errlen, "moment: %s", sub);
    if (parse_vec(at + 1, 3, f->magnet_p, "'px,py,pz'", sub, sizeof sub))
        return msg(err, errlen, "position: %s", sub);
    f->has_magnet = 1; /* outside the cloud and not too strong: fr_params_validate */
    return 0;
}

/* ---- the table ---- */

typedef enum {
    T_INT,      /* int */
    T_DOUBLE,   /* double */
    T_U64,      /* uint64_t */
    T_BOOL,     /* int 0/1 from a boolean */
    T_FLAG,     /* int 0/1: bare = 1, or "--flag=<bool>" */
    T_NOT_FLAG, /* as T_FLAG, stored negated ("no-interactions") */
    T_ENUM,     /* int: the index of the value in names */
    T_PATH,     /* char[1024] */
    T_CUSTOM,   /* parse */
    T_SPECIAL,  /* --help, --version, --scenario: handled by fr_options_parse */
    T_EXTRA,    /* a front end's option with a value */
    T_EXTRA_FLAG,
} opt_type;

enum { S_PHYSICS, S_FIELD, S_RUN, S_OUTPUT, S_STATE, S_OTHER };
static const char *const SECTION[] = {
    "Physics (nondimensional units, see MODEL.md):", "Field H(t, x) (the parts add up):", "Run:",
    "Output:", "State and units:", NULL};

typedef int (*custom_fn)(fr_options *o, parse_state *st, const char *v, char *err, size_t errlen);

typedef struct opt_def {
    const char *name;
    opt_type type;
    size_t off;                /* of the value in fr_options */
    const char *arg;           /* the value's name in --help; NULL for a flag */
    const char *help;          /* '\n' continues on the next line of --help */
    int section;
    int in_file;               /* allowed as a key of a scenario file */
    const char *const *names;  /* T_ENUM */
    custom_fn parse;           /* T_CUSTOM */
} opt_def;

static const char *const INIT_NAMES[] = {"random", "aligned", NULL};
static const char *const STOKES_NAMES[] = {"auto", "direct", "fast", NULL};

#define P(m) offsetof(fr_options, p.m)
#define O(m) offsetof(fr_options, m)
static const opt_def OPTS[] = {
    {"n", T_INT, P(n), "N", "number of particles", S_PHYSICS, 1, NULL, NULL},
    {"phi", T_DOUBLE, P(phi), "PHI", "volume fraction", S_PHYSICS, 1, NULL, NULL},
    {"eps", T_DOUBLE, P(eps), "EPS", "spin-flip time scale epsilon", S_PHYSICS, 1, NULL, NULL},
    {"b", T_DOUBLE, P(b), "B", "b in lambda = exp(-+ b H.xi)", S_PHYSICS, 1, NULL, NULL},
    {"c0", T_DOUBLE, P(c0), "C0", "minimal centre distance c0 N^(-1/3)", S_PHYSICS, 1, NULL, NULL},
    {"init", T_ENUM, P(init), "random|aligned", "initial orientations and spins", S_PHYSICS, 1,
     INIT_NAMES, NULL},
    {"no-interactions", T_NOT_FLAG, P(interactions), NULL,
     "switch the hydrodynamic interactions (2.2) off", S_PHYSICS, 1, NULL, NULL},
    {"interactions", T_BOOL, P(interactions), "0|1", "the same as a boolean", S_PHYSICS, 1, NULL,
     NULL},
    {"hold-orientations", T_FLAG, P(hold_orientations), NULL,
     "freeze the orientations (tests of the spin law)", S_PHYSICS, 1, NULL, NULL},
    {"no-effective", T_FLAG, P(no_effective), NULL,
     "do not integrate the effective model (1.9): about half the cost\n"
     "without interactions; msd and xis_* are then nan",
     S_PHYSICS, 1, NULL, NULL},
    {"aspect", T_DOUBLE, P(aspect), "A", "spheroid aspect ratio: 1 sphere, > 1 prolate", S_PHYSICS,
     1, NULL, NULL},
    {"brownian", T_DOUBLE, P(brownian), "DR",
     "rotational diffusion D_r (0: off, as in the paper)", S_PHYSICS, 1, NULL, NULL},
    {"H", T_CUSTOM, P(field.H0), "HX,HY,HZ", "uniform field, |H| <= 1000 (default 0,0,1)", S_FIELD,
     1, NULL, set_H},
    {"rotating", T_CUSTOM, P(field), "H0,OMEGA", "rotating field H0 (cos wt, sin wt, 0), replaces --H",
     S_FIELD, 1, NULL, set_rotating},
    {"grad", T_DOUBLE, P(field.grad_g), "G", "add the gradient field G (-x/2, -y/2, z)", S_FIELD, 1,
     NULL, NULL},
    {"magnet", T_CUSTOM, P(field), "MX,MY,MZ@PX,PY,PZ",
     "add a point dipole of moment M at P, 1 < |P| <= 1e6, its field\n"
     "at the cloud <= 1000 ('none' removes it)",
     S_FIELD, 1, NULL, set_magnet},
    {"switch-off", T_CUSTOM, P(field), "T", "H = 0 for t >= T ('none' removes it)", S_FIELD, 1, NULL,
     set_switch_off},
    {"sweep", T_CUSTOM, P(field), "H0,PERIOD",
     "magnetisation curve: H0 sin(2 pi t / PERIOD) along --H, replaces\n"
     "the uniform part ('none' removes it)",
     S_FIELD, 1, NULL, set_sweep},
    {"t-end", T_DOUBLE, O(t_end), "T", "final time", S_RUN, 1, NULL, NULL},
    {"dt", T_DOUBLE, P(dt), "DT",
     "coupling step; with --rotating or --sweep at most 1000 RK4\n"
     "substeps per step (a field too fast for dt is refused)",
     S_RUN, 1, NULL, NULL},
    {"seed", T_U64, P(seed), "S", "random seed, unsigned 64-bit", S_RUN, 1, NULL, NULL},
    {"threads", T_INT, O(threads), "K", "OpenMP threads, 0 = default (results do not depend on K)",
     S_RUN, 1, NULL, NULL},
    {"stokes", T_ENUM, P(stokes), "auto|direct|fast",
     "interaction sum: direct O(N^2) or fast spectral Ewald O(N log N);\n"
     "auto = fast from N >= 4000",
     S_RUN, 1, STOKES_NAMES, NULL},
    {"stokes-tol", T_DOUBLE, P(stokes_tol), "TOL", "fast method's relative error (0: 1e-3)", S_RUN, 1, NULL,
     NULL},
    {"scenario", T_SPECIAL, O(scenario), "FILE",
     "read 'key = value' lines (keys = option names without --);\n"
     "command-line options override the file",
     S_RUN, 0, NULL, NULL},
    {"out", T_PATH, O(out), "FILE",
     "time series CSV: t,Hx,Hy,Hz,mx,my,mz,mean_spin,flips,ex,ey,ez,msd", S_OUTPUT, 1, NULL, NULL},
    {"every", T_INT, O(every), "K", "write every K-th row of --out (first and last always)",
     S_OUTPUT, 1, NULL, NULL},
    {"particles-out", T_PATH, O(particles_out), "FILE",
     "particles at t-end: FILE.csv, or FILE.vtp (VTK XML PolyData:\n"
     "xi, xi_star, u, omega vectors; sigma, m0, flips scalars)",
     S_OUTPUT, 1, NULL, NULL},
    {"field-out", T_PATH, O(field_out), "FILE",
     "effective velocity on a grid over [-1.5,1.5]^3 at t-end:\n"
     "FILE.csv, FILE.vtk (legacy VTK) or FILE.vti (VTK XML ImageData)",
     S_OUTPUT, 1, NULL, NULL},
    {"series-out", T_PATH, O(series_out), "DIR",
     "particles (.vtp) and field (.vti) at every row of --out (thinned by\n"
     "--every) and DIR/series.pvd listing them with their times (ParaView)",
     S_OUTPUT, 1, NULL, NULL},
    {"grid", T_INT, O(grid), "N", "field grid size", S_OUTPUT, 1, NULL, NULL},
    {"save", T_PATH, O(save), "FILE", "save the whole state at the end (binary, checksummed)",
     S_STATE, 1, NULL, NULL},
    {"load", T_PATH, O(load), "FILE",
     "start from a saved state: its parameters (the physics options\n"
     "given change them) and time; runs t-end more", S_STATE, 1, NULL, NULL},
    {"units", T_PATH, O(units), "FILE",
     "SI parameters (nu, K, m_s, r, Theta, Hbar, tau0, aspect as\n"
     "'key = value'): print T, b, eps, Neel and Brownian times, exit",
     S_STATE, 1, NULL, NULL},
    {"help", T_SPECIAL, O(help), NULL, NULL, S_OTHER, 0, NULL, NULL},
    {"version", T_SPECIAL, O(version), NULL, NULL, S_OTHER, 0, NULL, NULL},
};
#define N_OPTS (sizeof OPTS / sizeof OPTS[0])
_Static_assert(N_OPTS <= 8 * sizeof(unsigned long long), "fr_options.given has a bit per option");

/* The ranges of the run options (those of the physics are fr_params_limits()). */
#define MAX_STEPS 1e12 /* t_end / dt: beyond this the step count itself is meaningless */
static const fr_limit RUN_LIMITS[] = {
    {"t-end", "value", O(t_end), 'd', 0.0, INFINITY, 0, -1},
    {"every", "value", O(every), 'i', 1, INT_MAX, 0, -1},
    {"grid", "value", O(grid), 'i', 2, 256, 0, -1},
    {"threads", "value", O(threads), 'i', 0, 4096, 0, -1},
};
#undef P
#undef O
#define N_RUN_LIMITS (sizeof RUN_LIMITS / sizeof RUN_LIMITS[0])

void fr_options_default(fr_options *o)
{
    memset(o, 0, sizeof *o);
    o->p = fr_params_default();
    o->t_end = 1.0;
    o->every = 1;
    o->grid = 24;
    o->threads = 0;
}

/* ---- applying one option ---- */

static int apply_option(fr_options *o, parse_state *st, const opt_def *d, const char *v, char *err,
                        size_t errlen)
{
    char *at = (char *)o + d->off;
    int iv = 0;
    switch (d->type) {
    case T_INT:
        return parse_int(v, (int *)at, err, errlen);
    case T_DOUBLE:
        return parse_double(v, (double *)at, err, errlen);
    case T_U64:
        return parse_u64(v, (uint64_t *)at, err, errlen);
    case T_BOOL:
        return parse_bool(v, (int *)at, err, errlen);
    case T_FLAG:
    case T_NOT_FLAG:
        if (parse_flag(v, &iv, err, errlen))
            return -1;
        *(int *)at = d->type == T_FLAG ? iv : !iv;
        return 0;
    case T_ENUM: {
        char list[128] = "";
        for (int i = 0; d->names[i]; i++) {
            if (!strcmp(v, d->names[i])) {
                *(int *)at = i;
                return 0;
            }
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     i ? (d->names[i + 1] ? ", " : " or ") : "", d->names[i]);
        }
        return msg(err, errlen, "unknown value '%s' (use %s)", v, list);
    }
    case T_PATH:
    case T_SPECIAL:
        return parse_path(v, at, 1024, err, errlen);
    case T_CUSTOM:
        return d->parse(o, st, v, err, errlen);
    case T_EXTRA:
    case T_EXTRA_FLAG:
        break;
    }
    return 0;
}

/* The option sets a field of fr_params (unsigned arithmetic: an offset before p wraps). */
static int in_params(const opt_def *d) { return d->off - offsetof(fr_options, p) < sizeof(fr_params); }

static const opt_def *find_core(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (strlen(OPTS[i].name) == len && !strncmp(OPTS[i].name, name, len))
            return &OPTS[i];
    return NULL;
}

/* The option called name (core table first, then the front end's extras), or NULL. */
static const opt_def *find_option(const char *name, size_t len, const fr_extra_option *extra,
                                  opt_def *extra_def)
{
    const opt_def *d = find_core(name, len);
    if (d)
        return d;
    for (const fr_extra_option *e = extra; e && e->name; e++)
        if (strlen(e->name) == len && !strncmp(e->name, name, len)) {
            *extra_def = (opt_def){.name = e->name,
                                   .type = e->takes_value ? T_EXTRA : T_EXTRA_FLAG,
                                   .arg = e->takes_value ? "V" : NULL,
                                   .in_file = 1};
            return extra_def;
        }
    return NULL;
}

static int apply_extra(const opt_def *d, const char *v, fr_extra_fn fn, void *ctx, char *err,
                       size_t errlen)
{
    if (!fn)
        return 0;
    err[0] = '\0';
    if (fn(ctx, d->name, v, err, errlen)) {
        if (!err[0])
            snprintf(err, errlen, "invalid value");
        fr_text_one_line(err);
        return -1;
    }
    return 0;
}

/* One option from either source; v is NULL only for a bare flag on the command line, and a
 * flag given a value takes a boolean. Extra options go to the front end's callback. */
static int apply_any(fr_options *o, parse_state *st, const opt_def *d, const char *v,
                     fr_extra_fn fn, void *ctx, char *err, size_t errlen)
{
    if (d >= OPTS && d < OPTS + N_OPTS) {
        st->where[d - OPTS] = st->source == SRC_CMDLINE ? -1 : st->line;
        o->given |= 1ull << (d - OPTS);
        return apply_option(o, st, d, v, err, errlen);
    }
    if (d->type == T_EXTRA)
        return apply_extra(d, v, fn, ctx, err, errlen);
    int on;
    if (parse_flag(v, &on, err, errlen))
        return -1;
    return on ? apply_extra(d, NULL, fn, ctx, err, errlen) : 0;
}

/* ---- checking all values: the ranges, reported against the source of the value ---- */

static int options_check(const fr_options *o, const char **key, char *err, size_t errlen)
{
    if (fr_limits_check(RUN_LIMITS, N_RUN_LIMITS, o, key, err, errlen) ||
        fr_params_check(&o->p, key, err, errlen))
        return -1;
    if (o->t_end / o->p.dt > MAX_STEPS) {
        *key = "t-end";
        return msg(err, errlen, "%g / --dt %g: more than %g steps", o->t_end, o->p.dt, MAX_STEPS);
    }
    return 0;
}

/* Check everything; on failure name the source of the value blamed. */
static int check_all(const fr_options *o, const parse_state *st, const char *file, char *err,
                     size_t errlen)
{
    const char *key = "";
    char sub[512];
    if (!options_check(o, &key, sub, sizeof sub))
        return 0;
    const opt_def *d = find_core(key, strlen(key));
    const int w = d ? st->where[d - OPTS] : 0;
    if (w < 0)
        return msg(err, errlen, "--%s: %s", key, sub);
    if (w > 0)
        return msg(err, errlen, "scenario file '%s' line %d: %s: %s", file, w, key, sub);
    if (file && st->source == SRC_FILE)
        return msg(err, errlen, "scenario file '%s': %s: %s", file, key, sub);
    return msg(err, errlen, "%s: %s", key, sub);
}

/* ---- the scenario file ---- */

/* A '#' at the start of a line or after white space begins a comment (so "run#1.csv" is a
 * file name, "1  # comment" a value with a comment). */
static void strip_comment(char *s)
{
    for (char *c = s; *c; c++)
        if (*c == '#' && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
            *c = '\0';
            return;
        }
}

static int scenario_line(fr_options *o, parse_state *st, const char *path, char *s,
                         const fr_extra_option *extra, fr_extra_fn fn, void *ctx, char *err,
                         size_t errlen)
{
    const int ln = st->line;
    strip_comment(s);
    s = trim(s);
    if (!*s)
        return 0;
    char *eq = strchr(s, '=');
    if (!eq)
        return msg(err, errlen, "scenario file '%s' line %d: expected 'key = value', got '%.80s'",
                   path, ln, s);
    *eq = '\0';
    const char *key = trim(s), *val = trim(eq + 1);
    opt_def xdef;
    const opt_def *d = find_option(key, strlen(key), extra, &xdef);
    if (!d)
        return msg(err, errlen, "scenario file '%s' line %d: unknown key '%s'", path, ln, key);
    if (!d->in_file)
        return msg(err, errlen, "scenario file '%s' line %d: key '%s' is for the command line only",
                   path, ln, key);
    if (!*val)
        return msg(err, errlen, "scenario file '%s' line %d: %s: missing value", path, ln, key);
    /* A key given twice is most often an edit that forgot the first line: which one was meant
     * cannot be known, so neither is taken (the command line is the place to override). */
    const int first = d >= OPTS && d < OPTS + N_OPTS ? st->where[d - OPTS] : 0;
    if (first > 0)
        return msg(err, errlen, "scenario file '%s' line %d: key '%s' was already set on line %d",
                   path, ln, key, first);
    char sub[512];
    if (apply_any(o, st, d, val, fn, ctx, sub, sizeof sub))
        return msg(err, errlen, "scenario file '%s' line %d: %s: %s", path, ln, key, sub);
    return 0;
}

static int read_scenario(fr_options *o, parse_state *st, const char *path,
                         const fr_extra_option *extra, fr_extra_fn fn, void *ctx, char *err,
                         size_t errlen)
{
    fr_text t;
    if (fr_text_read(path, "scenario file", &t, err, errlen))
        return -1;
    st->source = SRC_FILE;
    int rc = 0;
    for (char *s; !rc && (s = fr_text_next(&t));) {
        st->line = t.lineno;
        rc = scenario_line(o, st, path, s, extra, fn, ctx, err, errlen);
    }
    fr_text_free(&t);
    return rc ? rc : check_all(o, st, path, err, errlen);
}

/* ---- the command line ---- */

typedef struct token {
    const opt_def *def;
    opt_def xdef;      /* storage when def is an extra option */
    const char *value; /* NULL for a bare flag */
} token;

/* One argument (and its value, taking the next one if needed): 0, 1 if ignored, or -1. */
static int tokenise_one(int argc, char **argv, int *a, const fr_extra_option *extra, token *t,
                        char *err, size_t errlen)
{
    const char *arg = argv[*a];
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
        return msg(err, errlen, "unexpected argument '%s' (options start with --)", arg);
    const char *name = arg + 2, *eq = strchr(name, '=');
    const size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const opt_def *d = find_option(name, len, extra, &t->xdef);
    if (!d)
        return msg(err, errlen, "unknown option --%.*s", (int)len, name);
    const int is_help = d == find_core("help", 4) || d == find_core("version", 7);
    t->def = d;
    t->value = NULL;
    if (d->arg) {
        if (eq)
            t->value = eq + 1;
        else if (*a + 1 < argc && strncmp(argv[*a + 1], "--", 2) != 0)
            t->value = argv[++*a]; /* "--x -1" is a value; "--x --y" a missing value */
        if (!t->value || !*t->value)
            return msg(err, errlen, "--%s: missing value", d->name);
    } else if (eq) {
        t->value = eq + 1; /* "--flag=<bool>" */
        if (is_help)
            return msg(err, errlen, "--%s: takes no value", d->name);
    }
    return 0;
}

/* All arguments; the first problem is reported, but --help and --version are still found. */
static int tokenise(int argc, char **argv, const fr_extra_option *extra, token *tok, int *ntok,
                    fr_options *o, char *err, size_t errlen)
{
    int rc = 0;
    char sub[512];
    *ntok = 0;
    for (int a = 1; a < argc; a++) {
        token *t = &tok[*ntok];
        t->def = NULL;
        if (tokenise_one(argc, argv, &a, extra, t, sub, sizeof sub)) {
            if (!rc)
                rc = msg(err, errlen, "%s", sub);
        }
        if (!t->def)
            continue;
        if (!strcmp(t->def->name, "help") && t->def == find_core("help", 4))
            o->help = 1;
        if (!strcmp(t->def->name, "version") && t->def == find_core("version", 7))
            o->version = 1;
        (*ntok)++;
    }
    return rc;
}

int fr_options_parse(fr_options *o, int argc, char **argv, const fr_extra_option *extra,
                     fr_extra_fn fn, void *ctx, char *err, size_t errlen)
{
    char sub[512];
    if (errlen)
        err[0] = '\0';
    token *tok = calloc((size_t)(argc > 0 ? argc : 1), sizeof *tok);
    if (!tok)
        return msg(err, errlen, "out of memory");
    int ntok = 0, rc = -1, where[N_OPTS] = {0};
    const int bad = tokenise(argc, argv, extra, tok, &ntok, o, err, errlen);
    if (o->help || o->version) { /* --help and --version win over any other problem */
        rc = 0;
        goto done;
    }
    if (bad)
        goto done;

    parse_state st = {SRC_DEFAULT, 0, 0, where};
    const opt_def *scen = find_core("scenario", 8);
    const char *scenario = NULL;
    for (int i = 0; i < ntok; i++)
        if (tok[i].def == scen) {
            if (scenario) {
                msg(err, errlen, "--scenario: given more than once");
                goto done;
            }
            scenario = tok[i].value;
        }
    if (scenario) {
        if (parse_path(scenario, o->scenario, sizeof o->scenario, sub, sizeof sub)) {
            msg(err, errlen, "--scenario: %s", sub);
            goto done;
        }
        if (read_scenario(o, &st, o->scenario, extra, fn, ctx, err, errlen))
            goto done;
    }
    st.source = SRC_CMDLINE;
    for (int i = 0; i < ntok; i++) {
        const opt_def *d = tok[i].def;
        if (d == scen)
            continue;
        if (apply_any(o, &st, d, tok[i].value, fn, ctx, sub, sizeof sub)) {
            msg(err, errlen, "--%s: %s", d->name, sub);
            goto done;
        }
    }
    if (check_all(o, &st, o->scenario[0] ? o->scenario : NULL, err, errlen))
        goto done;
    rc = 0;
done:
    free(tok);
    return rc;
}

/* ---- a run from a saved state ---- */

/* The part of fr_field each custom field option sets (one span of members), so that given with
 * --load it changes only that part of the saved field; --H owns `rotating` too, as a --H given
 * after a file's --rotating replaces it. */
#define SPAN(a, b) offsetof(fr_field, a), offsetof(fr_field, b) + sizeof(((fr_field *)0)->b)
static const struct {
    const char *name;
    size_t from, to;
} FIELD_PART[] = {{"H", SPAN(H0, rotating)},
                  {"rotating", SPAN(rotating, rot_omega)},
                  {"magnet", SPAN(has_magnet, magnet_p)},
                  {"switch-off", SPAN(has_switch_off, t_off)},
                  {"sweep", SPAN(sweep, sweep_t0)}};
#undef SPAN

/* Where option d writes in fr_params, as [*from, *to). */
static void param_span(const opt_def *d, size_t *from, size_t *to)
{
    static const size_t plain[] = {[T_INT] = sizeof(int),       [T_DOUBLE] = sizeof(double),
                                   [T_U64] = sizeof(uint64_t),  [T_BOOL] = sizeof(int),
                                   [T_FLAG] = sizeof(int),      [T_NOT_FLAG] = sizeof(int),
                                   [T_ENUM] = sizeof(int)};
    *from = *to = d->off - offsetof(fr_options, p);
    if (d->type < sizeof plain / sizeof plain[0] && plain[d->type]) {
        *to += plain[d->type];
        return;
    }
    for (size_t i = 0; i < sizeof FIELD_PART / sizeof FIELD_PART[0]; i++)
        if (!strcmp(FIELD_PART[i].name, d->name)) {
            *from = offsetof(fr_params, field) + FIELD_PART[i].from;
            *to = offsetof(fr_params, field) + FIELD_PART[i].to;
        }
    assert(*to > *from && "a custom option of fr_params needs its FIELD_PART row");
}

/* The saved parameters with every physics option o was given on top. */
static void over_saved(const fr_options *o, const fr_params *saved, fr_params *out)
{
    *out = *saved;
    for (size_t i = 0; i < N_OPTS; i++) {
        if (!(o->given >> i & 1) || !in_params(&OPTS[i]))
            continue;
        size_t from, to;
        param_span(&OPTS[i], &from, &to);
        memcpy((char *)out + from, (const char *)&o->p + from, to - from);
    }
}

int fr_options_sim(const fr_options *o, fr_sim **out, char *err, size_t errlen)
{
    if (!o->load[0])
        return fr_sim_create(&o->p, out, err, errlen);
    char sub[512];
    if (fr_sim_load(o->load, out, sub, sizeof sub))
        return msg(err, errlen, "--load: %s", sub);
    fr_params p;
    over_saved(o, fr_sim_params(*out), &p);
    const size_t sweep = (size_t)(find_core("sweep", 5) - OPTS);
    if (o->given >> sweep & 1) /* a sweep given now starts now (no jump), as ferroviz's key */
        p.field.sweep_t0 = fr_sim_time(*out);
    if (fr_sim_set_params(*out, &p, sub, sizeof sub)) {
        fr_sim_free(*out);
        *out = NULL;
        return msg(err, errlen, "--load: %s", sub);
    }
    return 0;
}

/* ---- one option by name: ferroviz's "set", the Python package ---- */

int fr_options_set(fr_options *o, const char *name, const char *value, char *err, size_t errlen)
{
    const opt_def *d = find_core(name, strlen(name));
    if (!d || d->type == T_SPECIAL)
        return msg(err, errlen, "unknown option '%s'", name);
    if (!value && d->arg)
        return msg(err, errlen, "%s: missing value", name);
    int where[N_OPTS] = {0};
    parse_state st = {SRC_CMDLINE, 0, 0, where};
    char sub[512];
    if (apply_option(o, &st, d, value, sub, sizeof sub))
        return msg(err, errlen, "%s: %s", name, sub);
    return 0;
}

int fr_params_set(fr_params *p, const char *name, const char *value, char *err, size_t errlen)
{
    const opt_def *d = find_core(name, strlen(name));
    if (!d || !in_params(d))
        return msg(err, errlen, "unknown parameter '%s'", name);
    fr_options o;
    fr_options_default(&o);
    o.p = *p;
    if (fr_options_set(&o, name, value, err, errlen))
        return -1;
    *p = o.p;
    return 0;
}

int fr_options_check(const fr_options *o, char *err, size_t errlen)
{
    const char *key = "";
    char sub[512];
    if (!options_check(o, &key, sub, sizeof sub))
        return 0;
    return msg(err, errlen, "%s: %s", key, sub);
}

size_t fr_options_count(void) { return N_OPTS; }

int fr_options_info(size_t i, fr_option_info *info)
{
    if (i >= N_OPTS)
        return -1;
    const opt_def *d = &OPTS[i];
    *info = (fr_option_info){.name = d->name,
                             .arg = d->arg,
                             .help = d->help,
                             .is_param = in_params(d),
                             .in_file = d->in_file};
    return 0;
}

/* ---- --help, generated from the tables ---- */

/* ", VALUE in RANGE" for each limit of the option, or "". */
static void ranges_of(const char *name, const fr_limit *l, size_t n, char *buf, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(l[i].option, name) || !strcmp(l[i].what, "start"))
            continue;
        char r[96];
        fr_limit_format(&l[i], 1, r, sizeof r);
        const size_t k = strlen(buf);
        if (!strcmp(l[i].what, "value"))
            snprintf(buf + k, len - k, ", %s", r);
        else
            snprintf(buf + k, len - k, ", %s in %s", l[i].what, r);
    }
}

/* " (default X)" for the types whose default prints by itself, else "". */
static void default_of(const opt_def *d, const fr_options *def, char *buf, size_t len)
{
    const char *at = (const char *)def + d->off;
    buf[0] = '\0';
    if (d->type == T_INT)
        snprintf(buf, len, " (default %d)", *(const int *)at);
    else if (d->type == T_DOUBLE)
        snprintf(buf, len, " (default %g)", *(const double *)at);
    else if (d->type == T_U64)
        snprintf(buf, len, " (default %llu)", (unsigned long long)*(const uint64_t *)at);
    else if (d->type == T_BOOL)
        snprintf(buf, len, " (default %d)", *(const int *)at);
    else if (d->type == T_ENUM)
        snprintf(buf, len, " (default %s)", d->names[*(const int *)at]);
}

static size_t append(char *buf, size_t len, size_t k, const char *fmt, ...)
{
    if (k >= len)
        return k;
    va_list ap;
    va_start(ap, fmt);
    const int w = vsnprintf(buf + k, len - k, fmt, ap);
    va_end(ap);
    return w < 0 ? k : k + (size_t)w;
}

#define HELP_COL 24
static size_t usage_row(const opt_def *d, const fr_options *def, char *buf, size_t len, size_t k)
{
    size_t n;
    char head[80], extra[256] = "", dflt[64];
    snprintf(head, sizeof head, "  --%s%s%s", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
    size_t nl;
    fr_params_limits(&nl);
    ranges_of(d->name, fr_params_limits(&nl), nl, extra, sizeof extra);
    ranges_of(d->name, RUN_LIMITS, N_RUN_LIMITS, extra, sizeof extra);
    default_of(d, def, dflt, sizeof dflt);
    k = append(buf, len, k, "%s", head);
    n = strlen(head);
    if (n + 1 >= HELP_COL) {
        k = append(buf, len, k, "\n");
        n = 0;
    }
    k = append(buf, len, k, "%*s", (int)(HELP_COL - n), "");
    const char *h = d->help;
    size_t col = HELP_COL;
    for (const char *e; (e = strchr(h, '\n')); h = e + 1)
        k = append(buf, len, k, "%.*s\n%*s", (int)(e - h), h, HELP_COL, "");
    col += strlen(h);
    k = append(buf, len, k, "%s", h);
    const char *tail = extra[0] == ',' ? extra + 1 : extra; /* " RANGE" after the text */
    if (extra[0] || dflt[0]) {
        if (col + strlen(extra) + strlen(dflt) > 98)
            k = append(buf, len, k, "%s\n%*s%s%s", extra[0] ? "," : "", HELP_COL - 1, "", tail, dflt);
        else
            k = append(buf, len, k, "%s%s", extra, dflt);
    }
    return append(buf, len, k, "\n");
}

static char USAGE[6144]; /* written once, by build_usage under call_once; read-only after */
static once_flag USAGE_ONCE = ONCE_FLAG_INIT;

static void build_usage(void)
{
    fr_options def;
    fr_options_default(&def);
    size_t k = 0;
    int section = -1;
    for (size_t i = 0; i < N_OPTS; i++) {
        const opt_def *d = &OPTS[i];
        if (!d->help)
            continue;
        if (d->section != section)
            k = append(USAGE, sizeof USAGE, k, "%s\n", SECTION[section = d->section]);
        k = usage_row(d, &def, USAGE, sizeof USAGE, k);
    }
    k = append(USAGE, sizeof USAGE, k, "  --help, --version\n");
    append(USAGE, sizeof USAGE, k, "Values may follow as the next argument or as --name=value.\n");
}

const char *fr_options_usage(void)
{
    call_once(&USAGE_ONCE, build_usage);
    return USAGE;
}

/* Options shared by ferrosim and ferroviz: the command line and scenario files.
 *
 * Both sources go through one table of options and one function (apply_option) that turns a
 * value string into fields of fr_options, so a key means exactly the same thing in a scenario
 * file and on the command line. The command line is tokenised first, then the scenario file
 * (if any) is applied, then the command-line options in order: so the command line overrides
 * the file wherever --scenario appears, and within one source the last occurrence wins.
 */
#include "ferro/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_id {
    O_N,
    O_PHI,
    O_EPS,
    O_B,
    O_C0,
    O_H,
    O_SWITCH_OFF,
    O_ROTATING,
    O_GRAD,
    O_MAGNET,
    O_T_END,
    O_DT,
    O_EVERY,
    O_SEED,
    O_INIT,
    O_NO_INTERACTIONS,
    O_INTERACTIONS,
    O_HOLD_ORIENTATIONS,
    O_NO_EFFECTIVE,
    O_ASPECT,
    O_BROWNIAN,
    O_SWEEP,
    O_OUT,
    O_PARTICLES_OUT,
    O_FIELD_OUT,
    O_SERIES_OUT,
    O_GRID,
    O_THREADS,
    O_SCENARIO,
    O_SAVE,
    O_STOKES,
    O_STOKES_TOL,
    O_LOAD,
    O_UNITS,
    O_HELP,
    O_VERSION,
    O_EXTRA
};

typedef struct opt_def {
    const char *name;
    enum opt_id id;
    int takes_value; /* 0: a flag (on the command line "--flag" or "--flag=<bool>") */
    int in_file;     /* allowed as a key of a scenario file */
} opt_def;

static const opt_def OPTS[] = {
    {"n", O_N, 1, 1},
    {"phi", O_PHI, 1, 1},
    {"eps", O_EPS, 1, 1},
    {"b", O_B, 1, 1},
    {"c0", O_C0, 1, 1},
    {"H", O_H, 1, 1},
    {"switch-off", O_SWITCH_OFF, 1, 1},
    {"rotating", O_ROTATING, 1, 1},
    {"grad", O_GRAD, 1, 1},
    {"magnet", O_MAGNET, 1, 1},
    {"t-end", O_T_END, 1, 1},
    {"dt", O_DT, 1, 1},
    {"every", O_EVERY, 1, 1},
    {"seed", O_SEED, 1, 1},
    {"init", O_INIT, 1, 1},
    {"no-interactions", O_NO_INTERACTIONS, 0, 1},
    {"interactions", O_INTERACTIONS, 1, 1},
    {"hold-orientations", O_HOLD_ORIENTATIONS, 0, 1},
    {"no-effective", O_NO_EFFECTIVE, 0, 1},
    {"aspect", O_ASPECT, 1, 1},
    {"brownian", O_BROWNIAN, 1, 1},
    {"sweep", O_SWEEP, 1, 1},
    {"out", O_OUT, 1, 1},
    {"particles-out", O_PARTICLES_OUT, 1, 1},
    {"field-out", O_FIELD_OUT, 1, 1},
    {"series-out", O_SERIES_OUT, 1, 1},
    {"grid", O_GRID, 1, 1},
    {"threads", O_THREADS, 1, 1},
    {"scenario", O_SCENARIO, 1, 0},
    {"save", O_SAVE, 1, 1},
    {"stokes", O_STOKES, 1, 1},
    {"stokes-tol", O_STOKES_TOL, 1, 1},
    {"load", O_LOAD, 1, 1},
    {"units", O_UNITS, 1, 1},
    {"help", O_HELP, 0, 0},
    {"version", O_VERSION, 0, 0},
};
#define N_OPTS (sizeof OPTS / sizeof OPTS[0])

#define MAX_N 10000000
#define MAX_GRID 256
#define MAX_THREADS 4096
#define MAX_STEPS 1e12 /* t_end / dt: beyond this the step count itself is meaningless */

static const char USAGE[] =
    "Physics (nondimensional units, see MODEL.md):\n"
    "  --n N                 number of particles, 1..10000000 (default 1000)\n"
    "  --phi PHI             volume fraction, (0, 0.3] (default 0.05)\n"
    "  --eps EPS             spin-flip time scale epsilon, 1e-6..1e12 (default 0.01)\n"
    "  --b B                 b in lambda = exp(-+ b H.xi), 0..1e6 (default 2)\n"
    "  --c0 C0               minimal centre distance c0 N^(-1/3) (default 1)\n"
    "  --init random|aligned initial orientations and spins (default random)\n"
    "  --no-interactions     switch the hydrodynamic interactions (2.2) off\n"
    "  --interactions 0|1    the same as a boolean (default 1)\n"
    "  --hold-orientations   freeze the orientations (tests of the spin law)\n"
    "  --no-effective        do not integrate the effective model (1.9): about half the cost\n"
    "                        without interactions; ex,ey,ez,msd and xis_* are then nan\n"
    "  --aspect A            spheroid aspect ratio, 0.1..10: 1 sphere, > 1 prolate (default 1)\n"
    "  --brownian DR         rotational diffusion D_r >= 0 (default 0: off, as in the paper)\n"
    "Field H(t, x) (the parts add up):\n"
    "  --H HX,HY,HZ          uniform field (default 0,0,1)\n"
    "  --rotating H0,OMEGA   rotating field H0 (cos wt, sin wt, 0), replaces --H\n"
    "  --grad G              add the gradient field G (-x/2, -y/2, z) (default 0)\n"
    "  --magnet MX,MY,MZ@PX,PY,PZ\n"
    "                        add a point dipole of moment M at P, |P| > 1 ('none' removes it)\n"
    "  --switch-off T        H = 0 for t >= T ('none' removes it)\n"
    "  --sweep H0,PERIOD     magnetisation curve: H0 sin(2 pi t / PERIOD) along --H, replaces\n"
    "                        the uniform part ('none' removes it)\n"
    "Run:\n"
    "  --t-end T             final time >= 0 (default 1)\n"
    "  --dt DT               coupling step > 0 (default 0.01)\n"
    "  --seed S              random seed, unsigned 64-bit (default 1)\n"
    "  --threads K           OpenMP threads, 0 = default (results do not depend on K)\n"
    "  --stokes auto|direct|fast\n"
    "                        interaction sum: direct O(N^2) or fast spectral Ewald O(N log N);\n"
    "                        auto = fast from N >= 4000 (default auto)\n"
    "  --stokes-tol TOL      fast method's relative error, 1e-6..1e-2 (default 1e-3)\n"
    "  --scenario FILE       read 'key = value' lines (keys = option names without --);\n"
    "                        command-line options override the file\n"
    "Output:\n"
    "  --out FILE            time series CSV: t,Hx,Hy,Hz,mx,my,mz,mean_spin,flips,ex,ey,ez,msd\n"
    "  --every K             write every K-th row of --out (first and last always) (default 1)\n"
    "  --particles-out FILE  particles at t-end: FILE.csv, or FILE.vtp (VTK XML PolyData:\n"
    "                        xi, xi_star, u, omega vectors; sigma, m0, flips scalars)\n"
    "  --field-out FILE      effective velocity on a grid over [-1.5,1.5]^3 at t-end:\n"
    "                        FILE.csv, FILE.vtk (legacy VTK) or FILE.vti (VTK XML ImageData)\n"
    "  --series-out DIR      particles (.vtp) and field (.vti) at every row of --out (thinned by\n"
    "                        --every) and DIR/series.pvd listing them with their times (ParaView)\n"
    "  --grid N              field grid size, 2..256 (default 24)\n"
    "State and units:\n"
    "  --save FILE           save the whole state at the end (binary, checksummed)\n"
    "  --load FILE           start from a saved state: its parameters and time; runs t-end more\n"
    "  --units FILE          SI parameters (nu, K, m_s, r, Theta, Hbar, tau0, aspect as\n"
    "                        'key = value'): print T, b, eps, Neel and Brownian times, exit\n"
    "  --help, --version\n"
    "Values may follow as the next argument or as --name=value.\n";

const char *fr_options_usage(void)
{
    return USAGE;
}

void fr_options_default(fr_options *o)
{
    memset(o, 0, sizeof *o);
    o->p = fr_params_default();
    o->t_end = 1.0;
    o->every = 1;
    o->grid = 24;
    o->threads = 0;
}

/* ---- value parsers: each writes a message without the option name on failure ---- */

static int msg(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

/* A finite double with nothing after it (strtod alone accepts "nan", "inf" and "1x"). */
static int parse_double(const char *s, double *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    const double v = strtod(s, &end);
    if (end == s || isspace((unsigned char)*s) || *end != '\0')
        return msg(err, errlen, "not a number '%s'", s);
    if (!isfinite(v))
        return msg(err, errlen, "not a finite number '%s'", s);
    *out = v;
    return 0;
}

static int parse_int(const char *s, long lo, long hi, int *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    const long v = strtol(s, &end, 10);
    if (end == s || isspace((unsigned char)*s) || *end != '\0')
        return msg(err, errlen, "not an integer '%s'", s);
    if (errno == ERANGE || v < lo || v > hi)
        return msg(err, errlen, "value %s out of range [%ld, %ld]", s, lo, hi);
    *out = (int)v;
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
    static const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};
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
    strcpy(dst, s);
    return 0;
}

/* ---- applying one option ---- */

/* Where the field type (uniform or rotating) was last set: later sources override earlier
 * ones, but within one source --rotating wins over --H whatever the order. */
typedef struct parse_state {
    int source;          /* 1 = scenario file, 2 = command line */
    int rotating_source; /* source that set field.rotating, 0 = none */
} parse_state;

static int apply_option(fr_options *o, parse_state *st, const opt_def *d, const char *v, char *err,
                        size_t errlen)
{
    fr_params *p = &o->p;
    fr_field *f = &p->field;
    double x, vec[3];
    int iv = 0;
    switch (d->id) {
    case O_N:
        return parse_int(v, 1, MAX_N, &p->n, err, errlen);
    case O_PHI:
        if (parse_double(v, &x, err, errlen))
            return -1;
        if (!(x > 0.0 && x <= 0.3))
            return msg(err, errlen, "value %s out of range (0, 0.3]", v);
        p->phi = x;
        return 0;
    case O_EPS:
        if (parse_double(v, &x, err, errlen))
            return -1;
        if (!(x > 0.0))
            return msg(err, errlen, "value %s out of range (must be > 0)", v);
        p->eps = x;
        return 0;
    case O_B:
        if (parse_double(v, &x, err, errlen))
            return -1;
        if (!(x >= 0.0))
            return msg(err, errlen, "value %s out of range (must be >= 0)", v);
        p->b = x;
        return 0;
    case O_C0:
        if (parse_double(v, &x, err, errlen))
            return -1;
        if (!(x > 0.0))
            return msg(err, errlen, "value %s out of range (must be > 0)", v);
        p->c0 = x;
        return 0;
    case O_H:
        if (parse_vec(v, 3, vec, "'hx,hy,hz'", err, errlen))
            return -1;
        memcpy(f->H0, vec, sizeof f->H0);
        if (f->rotating && st->rotating_source < st->source) {
            f->rotating = 0; /* a uniform H given here overrides a rotating field of the file */
            st->rotating_source = st->source;
        }
        return 0;
    case O_ROTATING:
        if (parse_vec(v, 2, vec, "'H0,omega'", err, errlen))
            return -1;
        f->rotating = 1;
        f->rot_H0 = vec[0];
        f->rot_omega = vec[1];
        st->rotating_source = st->source;
        return 0;
    case O_SWITCH_OFF:
        if (!strcmp(v, "none")) {
            f->has_switch_off = 0;
            return 0;
        }
        if (parse_double(v, &x, err, errlen))
            return -1;
        if (!(x >= 0.0))
            return msg(err, errlen, "value %s out of range (must be >= 0)", v);
        f->has_switch_off = 1;
        f->t_off = x;
        return 0;
    case O_GRAD:
        if (parse_double(v, &x, err, errlen))
            return -1;
        f->grad_g = x;
        return 0;
    case O_MAGNET: {
        if (!strcmp(v, "none")) {
            f->has_magnet = 0;
            return 0;
        }
        const char *at = strchr(v, '@');
        char mbuf[256];
        double m[3], q[3];
        if (!at || (size_t)(at - v) >= sizeof mbuf)
            return msg(err, errlen, "expected 'mx,my,mz@px,py,pz', got '%s'", v);
        memcpy(mbuf, v, (size_t)(at - v));
        mbuf[at - v] = '\0';
        char sub[200];
        if (parse_vec(mbuf, 3, m, "'mx,my,mz'", sub, sizeof sub))
            return msg(err, errlen, "moment: %s", sub);
        if (parse_vec(at + 1, 3, q, "'px,py,pz'", sub, sizeof sub))
            return msg(err, errlen, "position: %s", sub);
        if (sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]) <= 1.0)
            return msg(err, errlen, "position (%g,%g,%g) is inside the cloud (|p| <= 1)", q[0],
                       q[1], q[2]);
        f->has_magnet = 1;
        memcpy(f->magnet_m, m, sizeof m);
        memcpy(f->magnet_p, q, sizeof q);
        return 0;
    }
    case O_T_END:
        if (parse_double(v, &x, err, errlen))
            return -1;
        if (!(x >= 0.0))
            return msg(err, errlen, "value %s out of range (must be >= 0)", v);
        o->t_end = x;
        return 0;
    case O_DT:
        if (parse_double(v, &x, err, errlen))
            return -1;
        if (!(x > 0.0))
            return msg(err, errlen, "value %s out of range (must be > 0)", v);
        p->dt = x;
        return 0;
    case O_EVERY:
        return parse_int(v, 1, 2147483647L, &o->every, err, errlen);
    case O_SEED: {
        char *end;
        errno = 0;
        const unsigned long long s = strtoull(v, &end, 10);
        if (end == v || *v < '0' || *v > '9' || *end != '\0')
            return msg(err, errlen, "not an unsigned integer '%s'", v);
        if (errno == ERANGE)
            return msg(err, errlen, "value %s out of range [0, 2^64-1]", v);
        p->seed = (uint64_t)s;
        return 0;
    }
    case O_INIT:
        if (!strcmp(v, "random"))
            p->init = FR_INIT_RANDOM;
        else if (!strcmp(v, "aligned"))
            p->init = FR_INIT_ALIGNED;
        else
            return msg(err, errlen, "unknown value '%s' (use random or aligned)", v);
        return 0;
    case O_NO_INTERACTIONS:
        if (parse_flag(v, &iv, err, errlen))
            return -1;
        p->interactions = !iv;
        return 0;
    case O_INTERACTIONS:
        if (parse_bool(v, &iv, err, errlen))
            return -1;
        p->interactions = iv;
        return 0;
    case O_HOLD_ORIENTATIONS:
        if (parse_flag(v, &iv, err, errlen))
            return -1;
        p->hold_orientations = iv;
        return 0;
    case O_NO_EFFECTIVE:
        if (parse_flag(v, &iv, err, errlen))
            return -1;
        p->no_effective = iv;
        return 0;
    case O_ASPECT:
        if (parse_double(v, &x, err, errlen))
            return -1;
        if (!(x >= 0.1 && x <= 10.0))
            return msg(err, errlen, "value %s out of range [0.1, 10]", v);
        p->aspect = x;
        return 0;
    case O_STOKES:
        if (!strcmp(v, "auto"))
            p->stokes = FR_STOKES_AUTO;
        else if (!strcmp(v, "direct"))
            p->stokes = FR_STOKES_DIRECT;
        else if (!strcmp(v, "fast"))
            p->stokes = FR_STOKES_FAST;
        else
            return msg(err, errlen, "unknown value '%s' (use auto, direct or fast)", v);
        return 0;
    case O_STOKES_TOL:
        if (parse_double(v, &x, err, errlen))
            return -1;
        if (!(x >= 1e-6 && x <= 1e-2))
            return msg(err, errlen, "value %s out of range [1e-6, 1e-2]", v);
        p->stokes_tol = x;
        return 0;
    case O_BROWNIAN:
        if (parse_double(v, &x, err, errlen))
            return -1;
        if (!(x >= 0.0))
            return msg(err, errlen, "value %s out of range (must be >= 0)", v);
        p->brownian = x;
        return 0;
    case O_SWEEP:
        if (!strcmp(v, "none")) {
            f->sweep = 0;
            return 0;
        }
        if (parse_vec(v, 2, vec, "'H0,period'", err, errlen))
            return -1;
        if (!(vec[1] > 0.0))
            return msg(err, errlen, "period %g must be > 0", vec[1]);
        f->sweep = 1;
        f->sweep_H0 = vec[0];
        f->sweep_period = vec[1];
        return 0;
    case O_OUT:
        return parse_path(v, o->out, sizeof o->out, err, errlen);
    case O_PARTICLES_OUT:
        return parse_path(v, o->particles_out, sizeof o->particles_out, err, errlen);
    case O_FIELD_OUT:
        return parse_path(v, o->field_out, sizeof o->field_out, err, errlen);
    case O_SERIES_OUT:
        return parse_path(v, o->series_out, sizeof o->series_out, err, errlen);
    case O_GRID:
        return parse_int(v, 2, MAX_GRID, &o->grid, err, errlen);
    case O_THREADS:
        return parse_int(v, 0, MAX_THREADS, &o->threads, err, errlen);
    case O_SCENARIO:
        return parse_path(v, o->scenario, sizeof o->scenario, err, errlen);
    case O_SAVE:
        return parse_path(v, o->save, sizeof o->save, err, errlen);
    case O_LOAD:
        return parse_path(v, o->load, sizeof o->load, err, errlen);
    case O_UNITS:
        return parse_path(v, o->units, sizeof o->units, err, errlen);
    case O_HELP:
    case O_VERSION:
    case O_EXTRA:
        break;
    }
    return 0;
}

/* The option called name (core table first, then the front end's extras), or NULL. */
static const opt_def *find_option(const char *name, size_t len, const fr_extra_option *extra,
                                  opt_def *extra_def)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (strlen(OPTS[i].name) == len && !strncmp(OPTS[i].name, name, len))
            return &OPTS[i];
    for (const fr_extra_option *e = extra; e && e->name; e++)
        if (strlen(e->name) == len && !strncmp(e->name, name, len)) {
            *extra_def = (opt_def){e->name, O_EXTRA, e->takes_value, 1};
            return extra_def;
        }
    return NULL;
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

static int apply_extra(const opt_def *d, const char *v, fr_extra_fn fn, void *ctx, char *err,
                       size_t errlen)
{
    if (!fn)
        return 0;
    err[0] = '\0';
    if (fn(ctx, d->name, v, err, errlen)) {
        if (!err[0])
            snprintf(err, errlen, "invalid value");
        return -1;
    }
    return 0;
}

/* One option from either source; v is NULL only for a bare flag on the command line, and a
 * flag given a value takes a boolean. Extra options go to the front end's callback. */
static int apply_any(fr_options *o, parse_state *st, const opt_def *d, const char *v,
                     fr_extra_fn fn, void *ctx, char *err, size_t errlen)
{
    if (d->id != O_EXTRA)
        return apply_option(o, st, d, v, err, errlen);
    if (d->takes_value)
        return apply_extra(d, v, fn, ctx, err, errlen);
    int on;
    if (parse_flag(v, &on, err, errlen))
        return -1;
    return on ? apply_extra(d, NULL, fn, ctx, err, errlen) : 0;
}

static int read_scenario(fr_options *o, parse_state *st, const char *path,
                         const fr_extra_option *extra, fr_extra_fn fn, void *ctx, char *err,
                         size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return msg(err, errlen, "scenario file '%s': cannot read: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    char sub[512];
    st->source = 1;
    for (;;) {
        errno = 0;
        if (getline(&line, &cap, fp) < 0) {
            if (ferror(fp))
                rc = msg(err, errlen, "scenario file '%s': cannot read: %s", path,
                         strerror(errno ? errno : EIO));
            break;
        }
        lineno++;
        strip_comment(line);
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = msg(err, errlen, "scenario file '%s' line %d: expected 'key = value', got '%s'",
                     path, lineno, s);
            break;
        }
        *eq = '\0';
        const char *key = trim(s), *val = trim(eq + 1);
        opt_def xdef;
        const opt_def *d = find_option(key, strlen(key), extra, &xdef);
        if (!d) {
            rc =
                msg(err, errlen, "scenario file '%s' line %d: unknown key '%s'", path, lineno, key);
            break;
        }
        if (!d->in_file) {
            rc = msg(err, errlen,
                     "scenario file '%s' line %d: key '%s' is for the command line only", path,
                     lineno, key);
            break;
        }
        if (!*val) {
            rc = msg(err, errlen, "scenario file '%s' line %d: %s: missing value", path, lineno,
                     key);
            break;
        }
        if (apply_any(o, st, d, val, fn, ctx, sub, sizeof sub)) {
            rc = msg(err, errlen, "scenario file '%s' line %d: %s: %s", path, lineno, key, sub);
            break;
        }
    }
    free(line);
    fclose(fp);
    return rc;
}

/* ---- the command line ---- */

typedef struct token {
    const opt_def *def;
    opt_def xdef;      /* storage when def is an extra option */
    const char *value; /* NULL for a bare flag */
} token;

static int tokenise(int argc, char **argv, const fr_extra_option *extra, token *tok, int *ntok,
                    int *help, int *version, char *err, size_t errlen)
{
    int rc = 0;
    *ntok = 0;
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (!rc)
                rc = msg(err, errlen, "unexpected argument '%s' (options start with --)", arg);
            continue;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        const size_t len = eq ? (size_t)(eq - name) : strlen(name);
        token *t = &tok[*ntok];
        const opt_def *d = find_option(name, len, extra, &t->xdef);
        if (!d) {
            if (!rc)
                rc = msg(err, errlen, "unknown option --%.*s", (int)len, name);
            continue;
        }
        const char *value = NULL;
        if (d->takes_value) {
            if (eq) {
                value = eq + 1;
            } else if (a + 1 < argc && strncmp(argv[a + 1], "--", 2) != 0) {
                value = argv[++a]; /* "--x -1" is a value; "--x --y" a missing value */
            } else {
                if (!rc)
                    rc = msg(err, errlen, "--%s: missing value", d->name);
                continue;
            }
            if (!*value && !rc)
                rc = msg(err, errlen, "--%s: missing value", d->name);
        } else if (eq) {
            value = eq + 1; /* "--flag=<bool>" */
            if ((d->id == O_HELP || d->id == O_VERSION) && !rc)
                rc = msg(err, errlen, "--%s: takes no value", d->name);
        }
        if (d->id == O_HELP)
            *help = 1;
        if (d->id == O_VERSION)
            *version = 1;
        t->def = d;
        t->value = value;
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
    int ntok = 0, help = 0, version = 0, rc = -1;
    const int bad = tokenise(argc, argv, extra, tok, &ntok, &help, &version, err, errlen);
    o->help = help;
    o->version = version;
    if (help || version) { /* --help and --version win over any other problem */
        rc = 0;
        goto done;
    }
    if (bad)
        goto done;

    parse_state st = {0, 0};
    const char *scenario = NULL;
    for (int i = 0; i < ntok; i++)
        if (tok[i].def->id == O_SCENARIO) {
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
    st.source = 2;
    for (int i = 0; i < ntok; i++) {
        const opt_def *d = tok[i].def;
        if (d->id == O_SCENARIO)
            continue;
        if (apply_any(o, &st, d, tok[i].value, fn, ctx, sub, sizeof sub)) {
            msg(err, errlen, "--%s: %s", d->name, sub);
            goto done;
        }
    }

    /* Consistency of the run options. */
    if (o->t_end / o->p.dt > MAX_STEPS) {
        msg(err, errlen, "--t-end %g / --dt %g: more than %g steps", o->t_end, o->p.dt, MAX_STEPS);
        goto done;
    }
    const char *names[3] = {"--out", "--particles-out", "--field-out"};
    const char *paths[3] = {o->out, o->particles_out, o->field_out};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (paths[i][0] && !strcmp(paths[i], paths[j])) {
                msg(err, errlen, "%s and %s name the same file '%s'", names[i], names[j], paths[i]);
                goto done;
            }
    if (fr_params_validate(&o->p, err, errlen))
        goto done;
    rc = 0;
done:
    free(tok);
    return rc;
}

/* ferrosim — the headless front end: run a scenario, write CSV/VTK.
 *
 * Every output is written to "<name>.tmp.<pid>" in the same directory and renamed over
 * <name> only when the whole run succeeded, so an interrupted or failed run never leaves a
 * truncated file behind. The temporaries are opened before the simulation starts, so an
 * unwritable path fails at once. Exit codes: 0 ok, 1 I/O error, 2 bad input, 130 interrupted.
 */
#include "ferro/flat.h"
#include "ferro/scenario.h"
#include "ferro/units.h"
#include "ferro/sim.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "ferrosim"
#define NUM "%.12g" /* one format for every number: same seed, byte-identical files */

/* The only mutable global: set by SIGINT/SIGTERM, polled between steps (front end only). */
static volatile sig_atomic_t g_interrupted;
/* Also handed to the core (fr_sim_set_abort), so Ctrl-C stops a long step at once; a lock-free
 * atomic store is async-signal-safe. */
static atomic_int g_abort;

static void on_signal(int sig)
{
    (void)sig;
    g_interrupted = 1;
    atomic_store(&g_abort, 1);
}

typedef struct output {
    const char *option; /* "--out", ... */
    const char *path;   /* "" = not requested */
    char tmp[1100];
    FILE *fp;
} output;

enum { OUT_SERIES, OUT_PARTICLES, OUT_FIELD, N_OUT };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void remove_temporaries(output *out)
{
    for (int i = 0; i < N_OUT; i++) {
        if (out[i].fp) {
            fclose(out[i].fp);
            out[i].fp = NULL;
        }
        if (out[i].tmp[0]) {
            remove(out[i].tmp);
            out[i].tmp[0] = '\0';
        }
    }
}

/* Open the temporary of every requested output; 0 or -1 after printing one line. */
static int open_outputs(output *out)
{
    for (int i = 0; i < N_OUT; i++) {
        if (!out[i].path[0])
            continue;
        struct stat sb;
        if (stat(out[i].path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            fprintf(stderr, PROG ": %s '%s': cannot open: %s\n", out[i].option, out[i].path,
                    strerror(EISDIR));
            return -1;
        }
        snprintf(out[i].tmp, sizeof out[i].tmp, "%s.tmp.%ld", out[i].path, (long)getpid());
        out[i].fp = fopen(out[i].tmp, "wx"); /* C11 exclusive mode: never clobber a file */
        if (!out[i].fp) {
            fprintf(stderr, PROG ": %s '%s': cannot open: %s\n", out[i].option, out[i].path,
                    strerror(errno));
            out[i].tmp[0] = '\0';
            return -1;
        }
    }
    return 0;
}

/* Close and rename every temporary over its final name; 0 or -1 after printing one line. */
static int commit_outputs(output *out)
{
    for (int i = 0; i < N_OUT; i++) {
        if (!out[i].fp)
            continue;
        const int bad = ferror(out[i].fp);
        const int err = errno;
        const int cl = fclose(out[i].fp);
        out[i].fp = NULL;
        if (bad || cl) {
            fprintf(stderr, PROG ": %s '%s': write failed: %s\n", out[i].option, out[i].path,
                    strerror(cl    ? errno
                             : err ? err
                                   : EIO));
            return -1;
        }
    }
    for (int i = 0; i < N_OUT; i++) {
        if (!out[i].tmp[0])
            continue;
        if (rename(out[i].tmp, out[i].path)) {
            fprintf(stderr, PROG ": %s '%s': cannot rename: %s\n", out[i].option, out[i].path,
                    strerror(errno));
            return -1;
        }
        out[i].tmp[0] = '\0';
    }
    return 0;
}

static void write_series_header(FILE *fp)
{
    fputs("t,Hx,Hy,Hz,mx,my,mz,mean_spin,flips,ex,ey,ez,msd\n", fp);
}

static void write_series_row(FILE *fp, const fr_diag *d)
{
    fprintf(fp,
            NUM "," NUM "," NUM "," NUM "," NUM "," NUM "," NUM "," NUM ",%lld," NUM "," NUM "," NUM
                "," NUM "\n",
            d->t, d->H[0], d->H[1], d->H[2], d->m[0], d->m[1], d->m[2], d->mean_spin, d->flips,
            d->e[0], d->e[1], d->e[2], d->msd);
}

/* Particles at the current time, with the ambient flow of the others (2.2) at each centre. */
static int write_particles(FILE *fp, fr_sim *s)
{
    const fr_view v = fr_sim_view(s);
    double *u = calloc(3 * (size_t)v.n, sizeof *u), *om = calloc(3 * (size_t)v.n, sizeof *om);
    if (!u || !om) {
        free(u);
        free(om);
        return -1;
    }
    fr_sim_ambient(s, u, om);
    const fr_view w = fr_sim_view(s); /* (ambient may not change the state; be safe) */
    fputs("x,y,z,xi_x,xi_y,xi_z,sigma,ux,uy,uz,omega_x,omega_y,omega_z,xis_x,xis_y,xis_z\n", fp);
    for (int i = 0; i < w.n; i++) {
        fprintf(fp,
                NUM "," NUM "," NUM "," NUM "," NUM "," NUM ",%d," NUM "," NUM "," NUM "," NUM
                    "," NUM "," NUM "," NUM "," NUM "," NUM "\n",
                w.X[0][i], w.X[1][i], w.X[2][i], w.xi[0][i], w.xi[1][i], w.xi[2][i],
                (int)w.sigma[i], u[3 * i], u[3 * i + 1], u[3 * i + 2], om[3 * i], om[3 * i + 1],
                om[3 * i + 2], w.xis[0][i], w.xis[1][i], w.xis[2][i]);
    }
    free(u);
    free(om);
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    const size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

#define FIELD_LO (-1.5)
#define FIELD_HI 1.5

/* Effective velocity (1.10) on the grid: CSV, or legacy VTK when the name ends in .vtk. */
static int write_field(FILE *fp, const char *path, fr_sim *s, int n)
{
    const size_t npts = (size_t)n * n * n;
    double *u = malloc(3 * npts * sizeof *u), delta = 0.0;
    if (!u)
        return -1;
    if (fr_sim_effective_velocity(s, n, FIELD_LO, FIELD_HI, u, &delta)) {
        free(u);
        return -1;
    }
    const double h = (FIELD_HI - FIELD_LO) / (n - 1);
    if (ends_with(path, ".vtk")) {
        fprintf(fp,
                "# vtk DataFile Version 3.0\n"
                "ferrosim effective velocity t=" NUM " delta=" NUM "\n"
                "ASCII\nDATASET STRUCTURED_POINTS\nDIMENSIONS %d %d %d\n"
                "ORIGIN " NUM " " NUM " " NUM "\nSPACING " NUM " " NUM " " NUM "\n"
                "POINT_DATA %zu\nVECTORS velocity double\n",
                fr_sim_time(s), delta, n, n, n, FIELD_LO, FIELD_LO, FIELD_LO, h, h, h, npts);
        for (size_t g = 0; g < npts; g++) /* VTK order: x fastest, as the core's index */
            fprintf(fp, NUM " " NUM " " NUM "\n", u[3 * g], u[3 * g + 1], u[3 * g + 2]);
    } else {
        fprintf(fp, "# delta=" NUM "\nx,y,z,ux,uy,uz\n", delta);
        for (size_t g = 0; g < npts; g++) {
            const int i = (int)(g % (size_t)n), j = (int)(g / (size_t)n % (size_t)n),
                      k = (int)(g / ((size_t)n * n));
            fprintf(fp, NUM "," NUM "," NUM "," NUM "," NUM "," NUM "\n", FIELD_LO + i * h,
                    FIELD_LO + j * h, FIELD_LO + k * h, u[3 * g], u[3 * g + 1], u[3 * g + 2]);
        }
    }
    free(u);
    return 0;
}

/* "\r[#####     ]  50% t=0.5" on a terminal, at most ~10 times a second. */
static void progress(double t, double t_end, double *last, int force)
{
    const double tw = now();
    if (!force && tw - *last < 0.1)
        return;
    *last = tw;
    const double f = t_end > 0.0 ? fmin(1.0, fmax(0.0, t / t_end)) : 1.0;
    char bar[31];
    const int w = (int)(f * 30.0 + 0.5);
    for (int i = 0; i < 30; i++)
        bar[i] = i < w ? '#' : ' ';
    bar[30] = '\0';
    fprintf(stderr, "\r[%s] %3d%% t=%.6g", bar, (int)(100.0 * f + 0.5), t);
    fflush(stderr);
}

static int run(const fr_options *o, output *out, int tty)
{
    fr_sim *s = NULL;
    char err[512];
    if (o->load[0] ? fr_sim_load(o->load, &s, err, sizeof err)
                   : fr_sim_create(&o->p, &s, err, sizeof err)) {
        fprintf(stderr, PROG ": %s\n", err);
        return 2;
    }
    const double t0 = now();
    long long nfull;
    double rest;
    fr_sim_set_abort(s, &g_abort);
    fr_plan_steps(s, o->t_end, &nfull, &rest); /* with the sim's dt: a loaded state brings its own */
    const long long nrows = nfull + (rest > 0.0); /* rows after t = 0 */
    FILE *series = out[OUT_SERIES].fp;
    fr_diag d;
    if (series) {
        write_series_header(series);
        fr_sim_diag(s, &d);
        write_series_row(series, &d);
    }
    double last = -1.0;
    int status = 0;
    for (long long r = 1; r <= nrows; r++) {
        if (g_interrupted) {
            status = 130;
            break;
        }
        if (r <= nfull)
            fr_sim_step(s);
        else
            fr_sim_advance(s, rest);
        if (series && (r % o->every == 0 || r == nrows)) {
            fr_sim_diag(s, &d);
            write_series_row(series, &d);
        }
        if (tty)
            progress(fr_sim_time(s), o->t_end, &last, 0);
    }
    if (tty) {
        progress(fr_sim_time(s), o->t_end, &last, 1);
        fputc('\n', stderr);
    }
    if (status) {
        fprintf(stderr, PROG ": interrupted at t=%g; no output written\n", fr_sim_time(s));
        fr_sim_free(s);
        return status;
    }
    if (out[OUT_PARTICLES].fp && write_particles(out[OUT_PARTICLES].fp, s)) {
        fprintf(stderr, PROG ": --particles-out: out of memory\n");
        status = 1;
    }
    if (!status && out[OUT_FIELD].fp &&
        write_field(out[OUT_FIELD].fp, out[OUT_FIELD].path, s, o->grid)) {
        fprintf(stderr, PROG ": --field-out: out of memory for a %d^3 grid\n", o->grid);
        status = 1;
    }
    if (!status && o->save[0] && fr_sim_save(s, o->save, err, sizeof err)) {
        fprintf(stderr, PROG ": --save: %s\n", err);
        status = 1;
    }
    if (!status && commit_outputs(out))
        status = 1;
    if (!status) {
        fr_sim_diag(s, &d);
        const double wall = now() - t0;
        const double mabs = sqrt(d.m[0] * d.m[0] + d.m[1] * d.m[1] + d.m[2] * d.m[2]);
        const int any_out = out[0].path[0] || out[1].path[0] || out[2].path[0];
        FILE *sum = !any_out ? stdout : tty ? stderr : NULL;
        if (sum)
            fprintf(sum, "t=%g n=%d mean_spin=%.6g |m|=%.6g flips=%lld wall=%.3fs\n", d.t, o->p.n,
                    d.mean_spin, mabs, d.flips, wall);
    }
    fr_sim_free(s);
    return status;
}

int main(int argc, char **argv)
{
    fr_options o;
    char err[1024];
    fr_options_default(&o);
    if (fr_options_parse(&o, argc, argv, NULL, NULL, NULL, err, sizeof err)) {
        fprintf(stderr, PROG ": %s\n", err);
        return 2;
    }
    if (o.help) {
        printf("Usage: " PROG " [options]\n"
               "Run the ferrofluid simulation headless and write CSV/VTK.\n\n%s",
               fr_options_usage());
        return 0;
    }
    if (o.version) {
        printf(PROG " %s\n", FERRO_VERSION);
        return 0;
    }
    if (o.threads > 0)
        omp_set_num_threads(o.threads);
    if (o.units[0]) {
        fr_units_si u = fr_units_default();
        fr_units_derived d;
        if (fr_units_read(o.units, &u, err, sizeof err) || fr_units_derive(&u, &d, err, sizeof err)) {
            fprintf(stderr, PROG ": --units: %s\n", err);
            return 2;
        }
        char buf[2048];
        fr_units_format(&u, &d, buf, sizeof buf);
        fputs(buf, stdout);
        return 0;
    }

    output out[N_OUT] = {
        [OUT_SERIES] = {.option = "--out", .path = o.out},
        [OUT_PARTICLES] = {.option = "--particles-out", .path = o.particles_out},
        [OUT_FIELD] = {.option = "--field-out", .path = o.field_out},
    };
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (open_outputs(out)) {
        remove_temporaries(out);
        return 1;
    }
    const int status = run(&o, out, isatty(STDERR_FILENO));
    remove_temporaries(out);
    return status;
}

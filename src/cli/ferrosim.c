/* ferrosim — the headless front end: run a scenario, write CSV/VTK and the state.
 *
 * Every output is written to a temporary ".ferrosim.<pid>.<k>.tmp" in its directory (a short
 * name, so any legal output name works) and renamed over its name only when the whole run
 * succeeded, so an interrupted or failed run never leaves a truncated file behind. The
 * temporaries are opened before the simulation starts, so an unwritable path (--save
 * included) fails at once, and two options naming one file (also as "./x" and "x") are
 * refused. Exit codes: 0 ok, 1 I/O error, 2 bad input, 130 interrupted (SIGINT, SIGTERM or
 * SIGHUP).
 */
#include "ferro/flat.h"
#include "ferro/scenario.h"
#include "study.h"
#include "ferro/units.h"
#include "ferro/sim.h"
#include "csv_out.h"
#include "formats.h"
#include "series_dir.h"

#include <errno.h>
#include <limits.h>
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

/* The only mutable global: set by SIGINT/SIGTERM/SIGHUP, polled between steps and rows, and
 * handed to the core (fr_sim_set_abort) so a signal also stops a long step or grid sum at
 * once; a lock-free atomic store is async-signal-safe. */
static atomic_int g_abort;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&g_abort, 1);
}

static int interrupted(void) { return atomic_load_explicit(&g_abort, memory_order_relaxed); }

typedef struct output {
    const char *option; /* "--out", ... */
    const char *path;   /* "" = not requested */
    char tmp[1100];
    FILE *fp;
} output;

enum { OUT_SERIES, OUT_PARTICLES, OUT_FIELD, OUT_SAVE, N_OUT };

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

/* The file a path names, for comparing outputs: its directory resolved (realpath) and its
 * last component; the path itself if the directory does not exist (opening fails then). */
static void canonical(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX], real[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
             slash ? path : ".");
    if (realpath(dir, real))
        snprintf(buf, len, "%s/%s", real, slash ? slash + 1 : path);
    else
        snprintf(buf, len, "%s", path);
}

/* Two outputs naming one file: 0, or 2 after printing one line. */
static int check_distinct(const output *out)
{
    char a[2 * PATH_MAX], b[2 * PATH_MAX];
    for (int i = 0; i < N_OUT; i++)
        for (int j = i + 1; j < N_OUT; j++) {
            if (!out[i].path[0] || !out[j].path[0])
                continue;
            canonical(out[i].path, a, sizeof a);
            canonical(out[j].path, b, sizeof b);
            if (!strcmp(a, b)) {
                fprintf(stderr, PROG ": %s and %s name the same file '%s'\n", out[i].option,
                        out[j].option, out[j].path);
                return 2;
            }
        }
    return 0;
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
        const char *slash = strrchr(out[i].path, '/');
        snprintf(out[i].tmp, sizeof out[i].tmp, "%.*s.ferrosim.%ld.%d.tmp",
                 slash ? (int)(slash - out[i].path + 1) : 0, out[i].path, (long)getpid(), i);
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

/* The steps and the rows: 0, 1 on a failed series write (err says why), 130 when interrupted. */
static int run_steps(const fr_options *o, fr_sim *s, FILE *series, series_dir *sdir, int tty,
                     char *err, size_t errlen)
{
    long long nfull;
    double rest;
    fr_plan_steps(s, o->t_end, &nfull, &rest); /* with the sim's dt (a saved one, or --dt) */
    const long long nrows = nfull + (rest > 0.0); /* rows after t = 0 */
    int status = 0;
    if (series) {
        csv_series_header(series);
        csv_series_row(series, s);
    }
    if (sdir->dir && series_dir_row(sdir, s, err, errlen))
        status = 1;
    double last = -1.0;
    for (long long r = 1; r <= nrows && !status; r++) {
        if ((r <= nfull ? fr_sim_step(s) : fr_sim_advance(s, rest)) || interrupted()) {
            status = 130;
            break;
        }
        const int row = r % o->every == 0 || r == nrows;
        if (series && row)
            csv_series_row(series, s);
        if (sdir->dir && row && series_dir_row(sdir, s, err, errlen))
            status = 1;
        if (tty)
            progress(fr_sim_time(s), o->t_end, &last, 0);
    }
    if (tty) {
        progress(fr_sim_time(s), o->t_end, &last, 1);
        fputc('\n', stderr);
    }
    if (status == 1)
        fprintf(stderr, PROG ": %s\n", err);
    if (status == 130)
        fprintf(stderr, PROG ": interrupted at t=%g; no output written\n", fr_sim_time(s));
    return status;
}

/* The files written at t-end, then every output committed: 0, 1 (I/O) or 130 (interrupted). */
static int write_outputs(const fr_options *o, fr_sim *s, output *out, series_dir *sdir)
{
    char err[512];
    if (out[OUT_PARTICLES].fp && write_particles(out[OUT_PARTICLES].fp, out[OUT_PARTICLES].path, s)) {
        fprintf(stderr, PROG ": --particles-out: out of memory\n");
        return 1;
    }
    if (out[OUT_FIELD].fp && write_field(out[OUT_FIELD].fp, out[OUT_FIELD].path, s, o->grid) &&
        !interrupted()) {
        fprintf(stderr, PROG ": --field-out: out of memory for a %d^3 grid\n", o->grid);
        return 1;
    }
    if (interrupted()) { /* the grid sum gives up at once */
        fprintf(stderr, PROG ": interrupted writing the outputs; no output written\n");
        return 130;
    }
    if (out[OUT_SAVE].fp && fr_sim_write(s, out[OUT_SAVE].fp, err, sizeof err)) {
        fprintf(stderr, PROG ": --save '%s': %s\n", o->save, err);
        return 1;
    }
    if (sdir->dir && series_dir_commit(sdir, err, sizeof err)) {
        fprintf(stderr, PROG ": %s\n", err);
        return 1;
    }
    return commit_outputs(out) ? 1 : 0;
}

/* The one-line summary: on stdout when nothing else is written, on a terminal's stderr. */
static void summary(const fr_sim *s, const output *out, const series_dir *sdir, int tty,
                    double wall)
{
    const int any_out = out[0].path[0] || out[1].path[0] || out[2].path[0] || sdir->dir;
    FILE *sum = !any_out ? stdout : tty ? stderr : NULL;
    if (!sum)
        return;
    fr_diag d;
    fr_sim_diag(s, &d);
    const double mabs = sqrt(d.m[0] * d.m[0] + d.m[1] * d.m[1] + d.m[2] * d.m[2]);
    const int n = fr_sim_params(s)->n; /* a loaded state's, not the command line's */
    fprintf(sum, "t=%g n=%d mean_spin=%.6g |m|=%.6g flips=%lld wall=%.3fs\n", d.t, n, d.mean_spin,
            mabs, d.flips, wall);
}

static int run(const fr_options *o, output *out, series_dir *sdir, int tty)
{
    fr_sim *s = NULL;
    char err[512];
    if (fr_options_sim(o, &s, err, sizeof err)) {
        fprintf(stderr, PROG ": %s\n", err);
        return 2;
    }
    const double t0 = now();
    fr_sim_set_abort(s, &g_abort);
    int status = run_steps(o, s, out[OUT_SERIES].fp, sdir, tty, err, sizeof err);
    if (!status)
        status = write_outputs(o, s, out, sdir);
    if (!status)
        summary(s, out, sdir, tty, now() - t0);
    fr_sim_free(s);
    return status;
}

/* --units FILE: the derived quantities on stdout; 0, or 2 with one line. */
static int print_units(const char *path)
{
    fr_units_si u = fr_units_default();
    fr_units_derived d;
    char err[1024], buf[2048];
    if (fr_units_read(path, &u, err, sizeof err) || fr_units_derive(&u, &d, err, sizeof err)) {
        fprintf(stderr, PROG ": --units: %s\n", err);
        return 2;
    }
    fr_units_format(&u, &d, buf, sizeof buf);
    fputs(buf, stdout);
    return 0;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int main(int argc, char **argv)
{
    fr_options o;
    study_spec study = {0};
    char err[1024];
    fr_options_default(&o);
    if (fr_options_parse(&o, argc, argv, study_extra_options(), study_option, &study, err,
                         sizeof err) ||
        formats_check(&o, err, sizeof err)) {
        fprintf(stderr, PROG ": %s\n", err);
        study_spec_free(&study);
        return 2;
    }
    if (o.help) {
        printf("Usage: " PROG " [options]\n"
               "Run the ferrofluid simulation headless and write CSV/VTK.\n\n%s%s",
               fr_options_usage(), study_usage());
        study_spec_free(&study);
        return 0;
    }
    if (o.version || o.units[0])
        study_spec_free(&study); /* neither runs anything */
    if (o.version) {
        printf(PROG " %s\n", FERRO_VERSION);
        return 0;
    }
    if (o.threads > 0)
        omp_set_num_threads(o.threads);
    if (o.units[0])
        return print_units(o.units);

    output out[N_OUT] = {
        [OUT_SERIES] = {.option = "--out", .path = o.out},
        [OUT_PARTICLES] = {.option = "--particles-out", .path = o.particles_out},
        [OUT_FIELD] = {.option = "--field-out", .path = o.field_out},
        [OUT_SAVE] = {.option = "--save", .path = o.save},
    };
    if (check_distinct(out)) {
        study_spec_free(&study);
        return 2;
    }
    catch_signals();

    /* --ensemble / --vary (or started by mpirun): study.c runs it */
    const int study_status = study_main(&o, &study, &argc, &argv, &g_abort);
    study_spec_free(&study);
    if (study_status != STUDY_NOT_A_STUDY)
        return study_status;

    series_dir sdir = {0};
    if (open_outputs(out)) {
        remove_temporaries(out);
        return 1;
    }
    if (o.series_out[0] && series_dir_open(&sdir, o.series_out, o.grid, err, sizeof err)) {
        fprintf(stderr, PROG ": %s\n", err);
        remove_temporaries(out);
        return 1;
    }
    const int status = run(&o, out, &sdir, isatty(STDERR_FILENO) || study.progress);
    remove_temporaries(out);
    if (status)
        series_dir_abandon(&sdir);
    series_dir_free(&sdir);
    return status;
}

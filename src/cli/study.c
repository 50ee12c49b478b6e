/* study.c — ensembles and parameter studies (see study.h), over OpenMP and par.h.
 *
 * Parallelism, decided per task: a task whose run is small (N below STUDY_MEMBER_N, and not
 * using the fast Stokes method, whose FFTW planning is not thread-safe) runs whole on one
 * thread, several tasks at once ("over members": no per-step synchronisation, which dominates
 * small runs); a larger run uses every thread of its rank inside each step ("over particles",
 * as a plain run: memory for one run at a time). Tasks are dealt round-robin to the ranks
 * (task j to rank j mod R), which mixes the points, so ranks get similar work. None of this
 * changes a bit of the output: every run is deterministic for its seed whatever the thread
 * count, and rank 0 sums the members in member order.
 */
#include "study.h"

#include "csv_out.h"
#include "par.h"
#include "ferro/flat.h"
#include "ferro/sim.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "ferrosim"

/* Below this N runs go whole on one thread each, several at once: faster at every N measured
 * (100 .. 1e4, docs/STUDIES.md); above, one state per thread would cost too much memory
 * (~3.8 KB per particle). */
#define STUDY_MEMBER_N 100000
#define MAX_TASKS 10000000L
#define MAX_ROWS 1e7 /* per run: 1 GB */

/* The columns of a row: ferrosim's --out (ferro/flat.h), t first. */
enum { NCOL = FR_SERIES_NCOLS, COL_T = 0, COL_FLIPS = FR_SERIES_FLIPS };

/* Failure codes carried by a worker's final message (par.h): -code, or STOPPED when it
 * stopped because rank 0 asked it to. */
#define FINAL_STOPPED (-1000LL)

/* ---- the study's plan ---- */

typedef struct point {
    fr_params p;
    double t_end;
    int every;
} point;

typedef struct task_result {
    double *rows;     /* nout * NCOL */
    long long nrows;  /* rows filled */
} task_result;

typedef struct study {
    const study_spec *sp;
    par_ctx par;
    int npoints, K;
    long ntasks;
    point *pts;
    int *point_of_axis[STUDY_MAX_AXES]; /* index of the value of each axis, per point */
    task_result *res;                   /* by task; only this rank's tasks are filled */
    atomic_int *abort_flag;
    atomic_int stopping;                /* the study itself stopped its runs */
    atomic_llong done;                  /* work units done on this rank */
    long long *work;                    /* work units of each rank */
    long long total_work;
    long fail_task;                     /* FERROSIM_FAIL_TASK (tests), -1 = none */
    int status;                         /* this rank's first failure, 0 = fine */
    char errmsg[1300];                  /* its one line */
    /* rank 0's view of everybody, for the progress bar and failures */
    long long *rdone, *rfinal;
    int *rgot;
    int show_progress, tty, last_pct;
    double t_start, last_draw, last_send;
} study;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Work units of a task, for the progress bar: (about) steps times particles. */
static long long task_work(const study *st, long j)
{
    const point *q = &st->pts[j / st->K];
    return (long long)ceil(q->t_end / q->p.dt - 1e-9) * (long long)q->p.n;
}

static int task_rank(const study *st, long j)
{
    return (int)(j % st->par.size);
}

/* This point's options: the command line's with each --vary value set through the option
 * table's setter, then every range checked, so a varied option means exactly what it means
 * on the command line. */
static int point_options(study *st, int pidx, const fr_options *o, fr_options *op, char *err,
                         size_t errlen)
{
    const study_spec *sp = st->sp;
    int rem = pidx;
    *op = *o;
    char at[300] = "", sub[600];
    for (int a = sp->naxes - 1; a >= 0; a--) { /* the first axis varies slowest */
        const study_axis *ax = &sp->axis[a];
        const int vi = rem % ax->nval;
        rem /= ax->nval;
        st->point_of_axis[a][pidx] = vi;
        if (fr_options_set(op, ax->name, ax->val[vi], sub, sizeof sub))
            return study_fail(err, errlen, "--vary %s=%s: %s", ax->name, ax->val[vi], sub);
    }
    if (!fr_options_check(op, sub, sizeof sub))
        return 0;
    for (int a = 0; a < sp->naxes; a++)
        snprintf(at + strlen(at), sizeof at - strlen(at), "%s%s=%s", a ? " " : "",
                 sp->axis[a].name, sp->axis[a].val[st->point_of_axis[a][pidx]]);
    return sp->naxes ? study_fail(err, errlen, "--vary %s: %s", at, sub) : study_fail(err, errlen, "%s", sub);
}

static int check_whole_options(const fr_options *o, char *err, size_t errlen)
{
    const char *per_run[][2] = {{"--particles-out", o->particles_out},
                                {"--field-out", o->field_out},
                                {"--series-out", o->series_out},
                                {"--save", o->save},
                                {"--load", o->load}};
    for (size_t i = 0; i < sizeof per_run / sizeof per_run[0]; i++)
        if (per_run[i][1][0])
            return study_fail(err, errlen, "%s belongs to one run; not with --ensemble/--vary",
                        per_run[i][0]);
    return 0;
}

static int make_plan(study *st, const fr_options *o, char *err, size_t errlen)
{
    const study_spec *sp = st->sp;
    if (check_whole_options(o, err, errlen))
        return -1;
    long np = 1;
    for (int a = 0; a < sp->naxes; a++)
        np *= sp->axis[a].nval;
    st->K = sp->ensemble ? sp->ensemble : 1;
    if (np * (long)st->K > MAX_TASKS)
        return study_fail(err, errlen, "more than 1e7 runs in one study");
    st->npoints = (int)np;
    st->ntasks = np * st->K;
    st->pts = calloc((size_t)np, sizeof *st->pts);
    for (int a = 0; a < sp->naxes; a++)
        st->point_of_axis[a] = calloc((size_t)np, sizeof(int));
    if (!st->pts || (sp->naxes > 0 && !st->point_of_axis[0]) ||
        (sp->naxes > 1 && !st->point_of_axis[1]))
        return study_fail(err, errlen, "out of memory");
    fr_options *op = malloc(sizeof *op);
    if (!op)
        return study_fail(err, errlen, "out of memory");
    int rc = 0;
    for (int i = 0; i < st->npoints && !rc; i++) {
        rc = point_options(st, i, o, op, err, errlen);
        if (!rc)
            rc = check_whole_options(op, err, errlen);
        if (!rc) {
            point *q = &st->pts[i];
            q->p = op->p;
            q->t_end = op->t_end;
            q->every = op->every;
            const double rows = ceil(q->t_end / q->p.dt - 1e-9) / q->every + 2.0;
            if (rows > MAX_ROWS)
                rc = study_fail(err, errlen,
                          "a study keeps its rows in memory: %.3g rows per run (more than 1e7); "
                          "thin them with --every", rows);
        }
    }
    free(op);
    return rc;
}

/* ---- progress and messages ---- */

static void draw_progress(study *st, int force)
{
    if (!st->show_progress || st->par.rank != 0)
        return;
    const double t = now();
    if (!force && t - st->last_draw < (st->tty ? 0.1 : 5.0))
        return;
    st->last_draw = t;
    long long sum = atomic_load(&st->done);
    for (int r = 1; r < st->par.size; r++)
        sum += st->rdone[r];
    const double f = st->total_work > 0 ? fmin(1.0, (double)sum / (double)st->total_work) : 1.0;
    const int pct = (int)(100.0 * f + 0.5);
    if (!st->tty && pct == st->last_pct)
        return; /* a log gets no repeated lines */
    st->last_pct = pct;
    char bar[31];
    const int w = (int)(f * 30.0 + 0.5);
    for (int i = 0; i < 30; i++)
        bar[i] = i < w ? '#' : ' ';
    bar[30] = '\0';
    fprintf(stderr, "%s[%s] %3d%% %ld runs on %d rank%s, %.0fs", st->tty ? "\r" : "", bar, pct,
            st->ntasks, st->par.size, st->par.size > 1 ? "s" : "",
            t - st->t_start);
    fputs(st->tty ? "" : "\n", stderr);
    fflush(stderr);
}

/* A run failed on this rank: keep the first message, stop the others. */
static void record_failure(study *st, int code, const char *msg)
{
    int first = 0;
#pragma omp critical(study_failure)
    {
        if (!st->status) {
            st->status = code;
            snprintf(st->errmsg, sizeof st->errmsg, "%s", msg);
            first = 1;
        }
    }
    if (first) {
        atomic_store(&st->stopping, 1);
        atomic_store(st->abort_flag, 1);
    }
}

/* Between steps, on the main thread: MPI traffic, stop requests, the progress bar. */
static void tick(study *st)
{
    if (omp_get_thread_num() != 0)
        return;
    const double t = now();
    if (st->par.rank == 0) {
        if (st->par.size > 1 && par_progress_poll(&st->par, st->rdone, st->rfinal, st->rgot, 0)) {
            for (int r = 1; r < st->par.size; r++)
                if (st->rgot[r] && st->rfinal[r] < 0 && !atomic_load(&st->stopping)) {
                    atomic_store(&st->stopping, 1);
                    atomic_store(st->abort_flag, 1);
                }
        }
        if (atomic_load(&st->stopping) || atomic_load(st->abort_flag))
            par_stop_all(&st->par);
        draw_progress(st, 0);
    } else {
        if (par_stop_poll(&st->par) && !atomic_load(&st->stopping)) {
            atomic_store(&st->stopping, 1);
            atomic_store(st->abort_flag, 1);
        }
        if (t - st->last_send > 0.25) {
            st->last_send = t;
            par_progress_send(&st->par, atomic_load(&st->done));
        }
    }
}

/* ---- one task ---- */

static void task_label(const study *st, long j, char *buf, size_t len)
{
    const int pi = (int)(j / st->K);
    int off = snprintf(buf, len, "member %ld", j % st->K);
    for (int a = 0; a < st->sp->naxes && off > 0 && (size_t)off < len; a++)
        off += snprintf(buf + off, len - (size_t)off, " %s=%s", st->sp->axis[a].name,
                        st->sp->axis[a].val[st->point_of_axis[a][pi]]);
}

/* Run task j; serialise_setup: creation and freeing in a critical section (several runs at
 * once: GSL's error handler is a process-wide setting changed while a spheroid is set up). */
static void run_task(study *st, long j, int serialise_setup)
{
    if (atomic_load(st->abort_flag))
        return;
    const point *q = &st->pts[j / st->K];
    fr_params p = q->p;
    p.seed = study_member_seed(q->p.seed, j % st->K);
    char label[300], err[512], line[900];
    task_label(st, j, label, sizeof label);
    task_result *r = &st->res[j];
    if (j == st->fail_task) {
        snprintf(line, sizeof line, "%s: failure injected (FERROSIM_FAIL_TASK)", label);
        record_failure(st, 1, line);
        return;
    }
    fr_sim *s = NULL;
    int bad = 0;
    if (serialise_setup) {
#pragma omp critical(study_setup)
        bad = fr_sim_create(&p, &s, err, sizeof err);
    } else {
        bad = fr_sim_create(&p, &s, err, sizeof err);
    }
    if (bad) {
        snprintf(line, sizeof line, "%s: %s", label, err);
        record_failure(st, 2, line);
        return;
    }
    fr_sim_set_abort(s, st->abort_flag);
    long long nfull; /* the steps and rows of a plain run */
    double rest;
    fr_plan_steps(s, q->t_end, &nfull, &rest);
    const long long nsteps = nfull + (rest > 0.0);
    const long long nout = 1 + nsteps / q->every + (nsteps % q->every != 0);
    r->rows = malloc((size_t)nout * NCOL * sizeof *r->rows);
    if (!r->rows) {
        snprintf(line, sizeof line, "%s: out of memory for %lld rows", label, nout);
        record_failure(st, 1, line);
        nfull = rest = 0; /* (still freed below) */
    } else {
        fr_series_row(s, r->rows);
        r->nrows = 1;
    }
    for (long long k = 1; r->rows && k <= nsteps; k++) {
        if (atomic_load(st->abort_flag))
            break;
        if (k <= nfull)
            fr_sim_step(s);
        else
            fr_sim_advance(s, rest);
        if (k % q->every == 0 || k == nsteps)
            fr_series_row(s, r->rows + NCOL * r->nrows++);
        atomic_fetch_add(&st->done, (long long)p.n);
        tick(st);
    }
    if (serialise_setup) {
#pragma omp critical(study_setup)
        fr_sim_free(s);
    } else {
        fr_sim_free(s);
    }
}

/* Small runs whole on one thread each; larger ones (or fast-method ones) over the particles. */
static int runs_alone(const study *st, long j)
{
    const fr_params *p = &st->pts[j / st->K].p;
    const int fast = p->interactions && (p->stokes == FR_STOKES_FAST ||
                                         (p->stokes == FR_STOKES_AUTO && p->n >= FR_STOKES_AUTO_N));
    const char *force = getenv("FERROSIM_STUDY_PARALLEL"); /* "members" / "particles": bench */
    if (force && !strcmp(force, "particles"))
        return 0;
    if (force && !strcmp(force, "members"))
        return !fast;
    return !fast && p->n < STUDY_MEMBER_N;
}

static void compute(study *st)
{
    const int R = st->par.size, me = st->par.rank;
    long nmine = 0, nalone = 0;
    for (long j = me; j < st->ntasks; j += R)
        nmine++;
    long *alone = malloc((size_t)(nmine ? nmine : 1) * sizeof *alone);
    if (!alone) {
        record_failure(st, 1, "out of memory");
        return;
    }
    for (long j = me; j < st->ntasks; j += R) {
        if (runs_alone(st, j) && omp_get_max_threads() > 1)
            alone[nalone++] = j;
        else
            run_task(st, j, 0);
    }
    omp_set_max_active_levels(1); /* each run's own parallel regions: one thread */
#pragma omp parallel for schedule(dynamic, 1)
    for (long i = 0; i < nalone; i++)
        run_task(st, alone[i], 1);
    free(alone);
    tick(st);
}

/* ---- the table (rank 0) ---- */

/* As a plain run writes: floats through csv_float, the flip count as an integer while the
 * mean is one (always for K = 1). */
static void put_num(FILE *fp, double v, int count)
{
    if (count && v == floor(v) && fabs(v) < 9007199254740992.0)
        fprintf(fp, "%lld", (long long)v);
    else
        csv_float(fp, v);
}

static void write_header(const study *st, FILE *fp)
{
    for (int a = 0; a < st->sp->naxes; a++)
        fprintf(fp, "%s,", st->sp->axis[a].name);
    /* the plain header, each column after t followed by its _se with --ensemble */
    const char *h = fr_series_columns();
    for (int c = 0; c < NCOL; c++) {
        const size_t len = strcspn(h, ",");
        if (c)
            fputc(',', fp);
        fwrite(h, 1, len, fp);
        if (c && st->sp->ensemble)
            fprintf(fp, ",%.*s_se", (int)len, h);
        h += len + (h[len] == ',');
    }
    fputc('\n', fp);
}

/* Mean and standard error of K values x[k*stride], summed in member order (k = 0, 1, ...):
 * mean = Σx/K, se = sqrt(Σ(x - mean)² / (K - 1) / K); equal values give exactly (x, 0). */
static void mean_se(const double *x, size_t stride, int K, double *mean, double *se)
{
    int equal = 1;
    double sum = 0.0;
    for (int k = 0; k < K; k++) {
        sum += x[k * stride];
        equal &= x[k * stride] == x[0];
    }
    if (equal) {
        *mean = x[0];
        *se = K > 1 ? 0.0 : NAN;
        return;
    }
    const double m = sum / K;
    double ss = 0.0;
    for (int k = 0; k < K; k++)
        ss += (x[k * stride] - m) * (x[k * stride] - m);
    *mean = m;
    *se = sqrt(ss / (K - 1) / K);
}

/* One point's rows from its K members (rows[k], nrows each, NCOL columns). */
static void write_point(const study *st, FILE *fp, int pi, double **rows, long long nrows,
                        double *col)
{
    const int K = st->K;
    for (long long i = 0; i < nrows; i++) {
        for (int a = 0; a < st->sp->naxes; a++)
            fprintf(fp, "%s,", st->sp->axis[a].val[st->point_of_axis[a][pi]]);
        put_num(fp, rows[0][i * NCOL + COL_T], 0);
        for (int c = 1; c < NCOL; c++) {
            for (int k = 0; k < K; k++)
                col[k] = rows[k][i * NCOL + c];
            double m, se;
            mean_se(col, 1, K, &m, &se);
            fputc(',', fp);
            put_num(fp, m, c == COL_FLIPS);
            if (st->sp->ensemble) {
                fputc(',', fp);
                put_num(fp, se, 0);
            }
        }
        fputc('\n', fp);
    }
}

/* Rank 0: every point in order, its members from wherever they ran. */
static int gather_and_write(study *st, FILE *fp, char *err, size_t errlen)
{
    const int K = st->K;
    double **rows = calloc((size_t)K, sizeof *rows);
    long long *n = calloc((size_t)K, sizeof *n);
    double *col = malloc((size_t)K * sizeof *col);
    int rc = rows && n && col ? 0 : study_fail(err, errlen, "out of memory");
    if (fp && !rc)
        write_header(st, fp);
    for (int pi = 0; pi < st->npoints && !rc; pi++) {
        for (int k = 0; k < K && !rc; k++) {
            const long j = (long)pi * K + k;
            const int owner = task_rank(st, j);
            if (owner == 0) {
                rows[k] = st->res[j].rows;
                n[k] = st->res[j].nrows;
                st->res[j].rows = NULL;
            } else {
                size_t cnt = 0;
                if (par_rows_recv(&st->par, owner, (int)j, &rows[k], &cnt))
                    rc = study_fail(err, errlen, "out of memory receiving results");
                n[k] = (long long)(cnt / NCOL);
            }
            if (!rc && n[k] != n[0])
                rc = study_fail(err, errlen, "members gave different numbers of rows");
        }
        if (!rc && fp)
            write_point(st, fp, pi, rows, n[0], col);
        for (int k = 0; k < K; k++) {
            free(rows[k]);
            rows[k] = NULL;
        }
    }
    free(rows);
    free(n);
    free(col);
    return rc;
}

/* Workers: this rank's tasks, in increasing task order. */
static int send_results(study *st)
{
    for (long j = st->par.rank; j < st->ntasks; j += st->par.size)
        if (par_rows_send(&st->par, (int)j, st->res[j].rows, (size_t)st->res[j].nrows * NCOL))
            return -1;
    return 0;
}

/* ---- the output file: a temporary renamed at the end, as in a plain run ---- */

typedef struct outfile {
    const char *path; /* NULL: stdout */
    char tmp[1100];
    FILE *fp;
} outfile;

static int out_open(outfile *f, char *err, size_t errlen)
{
    if (!f->path) {
        f->fp = stdout;
        return 0;
    }
    struct stat sb;
    if (stat(f->path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return study_fail(err, errlen, "--out '%s': cannot open: %s", f->path, strerror(EISDIR));
    snprintf(f->tmp, sizeof f->tmp, "%s.tmp.%ld", f->path, (long)getpid());
    f->fp = fopen(f->tmp, "wx");
    if (!f->fp) {
        f->tmp[0] = '\0';
        return study_fail(err, errlen, "--out '%s': cannot open: %s", f->path, strerror(errno));
    }
    return 0;
}

static int out_commit(outfile *f, char *err, size_t errlen)
{
    if (!f->path)
        return fflush(stdout) ? study_fail(err, errlen, "stdout: %s", strerror(errno)) : 0;
    const int bad = ferror(f->fp), cl = fclose(f->fp);
    f->fp = NULL;
    if (bad || cl)
        return study_fail(err, errlen, "--out '%s': write failed: %s", f->path, strerror(errno ? errno : EIO));
    if (rename(f->tmp, f->path))
        return study_fail(err, errlen, "--out '%s': cannot rename: %s", f->path, strerror(errno));
    f->tmp[0] = '\0';
    return 0;
}

static void out_discard(outfile *f)
{
    if (f->fp && f->fp != stdout)
        fclose(f->fp);
    f->fp = NULL;
    if (f->tmp[0])
        remove(f->tmp);
    f->tmp[0] = '\0';
}

/* ---- the whole study ---- */

static void study_free(study *st)
{
    if (st->res)
        for (long j = 0; j < st->ntasks; j++)
            free(st->res[j].rows);
    free(st->res);
    free(st->pts);
    for (int a = 0; a < STUDY_MAX_AXES; a++)
        free(st->point_of_axis[a]);
    free(st->work);
    free(st->rdone);
    free(st->rfinal);
    free(st->rgot);
}

static int alloc_rank_tables(study *st)
{
    const int R = st->par.size;
    st->res = calloc((size_t)st->ntasks, sizeof *st->res);
    st->work = calloc((size_t)R, sizeof *st->work);
    st->rdone = calloc((size_t)R, sizeof *st->rdone);
    st->rfinal = calloc((size_t)R, sizeof *st->rfinal);
    st->rgot = calloc((size_t)R, sizeof *st->rgot);
    if (!st->res || !st->work || !st->rdone || !st->rfinal || !st->rgot)
        return -1;
    for (long j = 0; j < st->ntasks; j++) {
        st->work[task_rank(st, j)] += task_work(st, j);
        st->total_work += task_work(st, j);
    }
    return 0;
}

/* Rank 0 after its own runs: wait for every worker's final message; the study's status. */
static int collect_finals(study *st)
{
    int status = st->status;
    if (status || atomic_load(st->abort_flag))
        par_stop_all(&st->par);
    for (;;) {
        int all = 1;
        for (int r = 1; r < st->par.size; r++)
            all &= st->rgot[r];
        if (all)
            break;
        par_progress_poll(&st->par, st->rdone, st->rfinal, st->rgot, 1);
        for (int r = 1; r < st->par.size; r++)
            if (st->rgot[r] && st->rfinal[r] < 0)
                par_stop_all(&st->par);
        draw_progress(st, 0);
    }
    /* the first real failure in rank order (0 first); "stopped on request" is not one */
    for (int r = 1; r < st->par.size && !status; r++)
        if (st->rgot[r] && st->rfinal[r] < 0 && st->rfinal[r] != FINAL_STOPPED)
            status = (int)-st->rfinal[r];
    if (!status && atomic_load(st->abort_flag))
        status = 130; /* a signal, not a failure of ours */
    return status;
}

static int finish(study *st, int status, outfile *out, par_ctx *par)
{
    out_discard(out);
    study_free(st);
    par_finalize(par);
    return status;
}

/* Bad input, the tables, the test hook and the output file: 0, or the status to finish with.
 * Every rank parses the same command line and finds the same problem. */
static int study_prepare(study *st, const fr_options *o, outfile *out)
{
    char err[1200];
    const int root = st->par.rank == 0;
    if (make_plan(st, o, err, sizeof err)) {
        if (root)
            fprintf(stderr, PROG ": %s\n", err);
        return 2;
    }
    if (alloc_rank_tables(st)) {
        fprintf(stderr, PROG ": out of memory for a study of %ld runs\n", st->ntasks);
        return 1; /* (every rank allocates the same) */
    }
    const char *ft = getenv("FERROSIM_FAIL_TASK"); /* tests: make one run fail */
    if (ft && *ft)
        st->fail_task = strtol(ft, NULL, 10);
    /* (mpirun gives its ranks a pipe for stderr, and a pseudo-terminal for stdout whether or
     * not anyone watches: under mpirun the bar needs --progress) */
    st->tty = isatty(STDERR_FILENO);
    st->show_progress = st->tty || st->sp->progress;
    st->t_start = now();
    if (root && out_open(out, err, sizeof err))
        record_failure(st, 1, err);
    return 0;
}

/* After the runs: every rank's outcome to rank 0, the verdict back to all; the failure's one
 * line from the rank that failed, an interrupt's once from rank 0. */
static int study_verdict(study *st)
{
    par_ctx *par = &st->par;
    const int root = par->rank == 0;
    int status = 0;
    if (root) {
        status = collect_finals(st);
        draw_progress(st, 1);
        if (st->show_progress && st->tty)
            fputc('\n', stderr);
    } else {
        const long long fin = st->status                    ? -(long long)st->status
                              : atomic_load(&st->stopping)  ? FINAL_STOPPED
                              : atomic_load(st->abort_flag) ? -130LL
                                                            : st->work[par->rank];
        par_final_send(par, fin);
    }
    status = par_status_bcast(par, status);
    par_stop_drain(par);
    if (st->status && st->status != 130) {
        if (par->size > 1)
            fprintf(stderr, PROG ": rank %d: %s\n", par->rank, st->errmsg);
        else
            fprintf(stderr, PROG ": %s\n", st->errmsg);
    }
    if (status == 130 && root)
        fprintf(stderr, PROG ": interrupted; no output written\n");
    return status;
}

/* The table written by rank 0 from every rank's rows; 0 or 1. */
static int study_output(study *st, outfile *out)
{
    char err[1200];
    par_ctx *par = &st->par;
    if (par->rank != 0) {
        if (!send_results(st))
            return 0;
        fprintf(stderr, PROG ": rank %d: sending results failed\n", par->rank);
        return 1;
    }
    if (gather_and_write(st, out->fp, err, sizeof err) || out_commit(out, err, sizeof err)) {
        fprintf(stderr, PROG ": %s\n", err);
        return 1;
    }
    if (st->tty && out->path)
        fprintf(stderr, "%d point%s x %d member%s = %ld runs on %d rank%s x %d threads, "
                        "wall=%.3fs\n", st->npoints, st->npoints > 1 ? "s" : "", st->K,
                st->K > 1 ? "s" : "", st->ntasks, par->size, par->size > 1 ? "s" : "",
                omp_get_max_threads(), now() - st->t_start);
    return 0;
}

int study_main(const fr_options *o, const study_spec *sp, int *argc, char ***argv,
               atomic_int *abort_flag)
{
    const int is_study = sp->ensemble > 0 || sp->naxes > 0;
    if (!is_study && !par_launched())
        return STUDY_NOT_A_STUDY;
    study st = {.sp = sp, .abort_flag = abort_flag, .fail_task = -1, .last_pct = -1};
    atomic_init(&st.stopping, 0);
    atomic_init(&st.done, 0);
    char err[1200];
    outfile out = {.path = o->out[0] ? o->out : NULL};
    if (par_init(&st.par, argc, argv, err, sizeof err)) {
        fprintf(stderr, PROG ": %s\n", err);
        return 1;
    }
    if (!is_study) {
        if (st.par.size == 1) {
            par_finalize(&st.par);
            return STUDY_NOT_A_STUDY;
        }
        if (st.par.rank == 0)
            fprintf(stderr, PROG ": %d ranks but no --ensemble or --vary: one run is not split "
                            "over ranks\n", st.par.size);
        return finish(&st, 2, &out, &st.par);
    }
    int status = study_prepare(&st, o, &out);
    if (status)
        return finish(&st, status, &out, &st.par);
    compute(&st);
    status = study_verdict(&st);
    if (!status)
        status = study_output(&st, &out);
    return finish(&st, status, &out, &st.par);
}

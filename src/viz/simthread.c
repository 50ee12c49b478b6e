/* simthread.c — the simulation thread: steps, commands, snapshots, field and streamlines. */
#define _GNU_SOURCE /* syscall(SYS_gettid): the nice value of one thread */
#include "simthread.h"

#include "ferro/field.h"
#include "streamlines.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define AVG_WINDOW_EPS 3.0   /* time-averaged spin: exponential window of 3 eps */
/* The effective-velocity field and its streamlines are a display of a slowly changing field:
 * it follows the orientations (m0 = tanh(b H.xi)), which turn on the time scale 1/(gamma |H|)
 * = 6 time units at |H| = 1, so ten steps of dt = 0.01 change it by ~2%, less than a
 * streamline's width shows. While the simulation runs the field is therefore refreshed at most
 * once per wall second (N = 2e4: ~3% of the field between refreshes at 15 steps/s) and with at
 * most ~1/8 of the thread's time (it waits 7 times its own cost), so that the time goes to the
 * steps (twice a second took ~10% of a core at N = 2e4); after a command (a key: H, eps, a
 * reset, the slice) the next one comes as soon as 0.1 s and twice its cost allow, so the
 * streamlines answer a key at once. */
#define FIELD_REFRESH 1.0    /* s: at most 1 routine recomputation per second */
#define FIELD_SHARE 7.0      /* routine: wait >= FIELD_SHARE * cost between recomputations */
#define FIELD_MIN_PERIOD 0.1 /* s: after a command */
#define FIELD_SHARE_CMD 2.0  /* after a command: wait >= FIELD_SHARE_CMD * cost */

/* Thread-private state beyond simthread. */
/* In a page the thread cannot be niced below the renderer (no priorities for workers), and a
 * software WebGL rasteriser needs the CPU: after each step the thread rests SIM_REST times as
 * long as the step took (1: at most half of one core while stepping flat out). */
#ifdef __EMSCRIPTEN__
#define SIM_REST 1.0
#else
#define SIM_REST 0.0
#endif
#define RATE_CATCHUP 0.1 /* s, without a thread: see sim_pass */


typedef struct worker {
    viz_simthread *st;
    uint64_t gen, seq, stream_seq;
    unsigned long long applied_id;
    long long steps, total_steps;
    int pending_steps;
    float *avg;
    int avg_cap;
    /* plot history (ring) */
    float ht[VIZ_HIST], hmh[VIZ_HIST], hma[VIZ_HIST];
    int hhead, hn;
    double hdir[3];
    int has_off;
    double t_off, y_off, y_prev;
    /* rates */
    double rate_wall0, rate_t0;
    long long rate_steps0, rate_flips0;
    double steps_per_s, flips_per_s, flips_per_t;
    /* field */
    double *u;
    int field_dirty, field_urgent; /* urgent: a command came since the last field */
    double field_cost, field_end;
    double radius;
    double last_step_wall;
    double rest_until;        /* no step before this wall time (SIM_REST, a page) */
    double step_cost;         /* predicted wall time of the next step (sim_pass) */
    double pass_t0;           /* when this pass began */
    int streams_were_on;      /* -1 before the first field */
    /* magnetisation curve (ring) */
    float mhh[VIZ_MH], mhm[VIZ_MH];
    int mhhead, mhn;
    int sweep_prev;
    double sweep_e[3];
    /* rotating field: mean omega_z */
    int omega_valid;
    double omega_z, omega_t, omega_wall;
    long long omega_steps;
    /* picked particle (ring) */
    int sel, seln, selhead;
    long long sel_flips;
    float selt[VIZ_SEL], selxi[VIZ_SEL][3];
    int8_t selsg[VIZ_SEL];
    /* save / load */
    unsigned io_seq;
    int io_kind, io_ok;
    char io_msg[VIZ_MSG];
} worker;

static void fail(viz_simthread *st, const char *msg)
{
    snprintf(st->err, sizeof st->err, "%s", msg);
    atomic_store(&st->failed, 1);
}

static double m_dot_h(const worker *w, const fr_diag *d, double phi, double *mabs)
{
    const double M[3] = {phi * d->m[0], phi * d->m[1], phi * d->m[2]};
    *mabs = sqrt(M[0] * M[0] + M[1] * M[1] + M[2] * M[2]);
    return M[0] * w->hdir[0] + M[1] * w->hdir[1] + M[2] * w->hdir[2];
}

static void sel_push(worker *w)
{
    const fr_view v = fr_sim_view(w->st->sim);
    const int i = w->sel;
    if (i < 0 || i >= v.n)
        return;
    if (w->seln > 0) {
        const int last = (w->selhead + w->seln - 1) % VIZ_SEL;
        if (w->selsg[last] != v.sigma[i])
            w->sel_flips++;
    }
    const int k = (w->selhead + w->seln) % VIZ_SEL;
    w->selt[k] = (float)v.t;
    w->selsg[k] = v.sigma[i];
    for (int c = 0; c < 3; c++)
        w->selxi[k][c] = (float)v.xi[c][i];
    if (w->seln < VIZ_SEL)
        w->seln++;
    else
        w->selhead = (w->selhead + 1) % VIZ_SEL;
}

static void update_hdir(worker *w, const fr_diag *d)
{
    const fr_field *f = &fr_sim_params(w->st->sim)->field;
    if (fr_field_sweeping(f)) { /* M.e along the fixed sweep direction (H changes sign) */
        fr_field_sweep_dir(f, w->hdir);
        return;
    }
    const double hn = sqrt(d->H[0] * d->H[0] + d->H[1] * d->H[1] + d->H[2] * d->H[2]);
    if (hn > 0.0)
        for (int c = 0; c < 3; c++)
            w->hdir[c] = d->H[c] / hn;
}

/* After a reset: fresh averages, history, counters. */
static int reset_state(worker *w)
{
    viz_simthread *st = w->st;
    const fr_view v = fr_sim_view(st->sim);
    if (v.n > w->avg_cap) {
        float *a = realloc(w->avg, (size_t)v.n * sizeof *a);
        if (!a)
            return -1;
        w->avg = a;
        w->avg_cap = v.n;
    }
    double r2 = 0.0;
    for (int i = 0; i < v.n; i++) {
        w->avg[i] = (float)v.sigma[i];
        const double q = v.X[0][i] * v.X[0][i] + v.X[1][i] * v.X[1][i] + v.X[2][i] * v.X[2][i];
        if (q > r2)
            r2 = q;
    }
    w->radius = sqrt(r2);
    w->gen++;
    w->steps = 0;
    w->hn = w->hhead = 0;
    w->hdir[0] = w->hdir[1] = 0.0;
    w->hdir[2] = 1.0;
    w->has_off = 0;
    fr_diag d;
    fr_sim_diag(st->sim, &d);
    update_hdir(w, &d);
    double ma;
    w->y_prev = m_dot_h(w, &d, fr_sim_params(st->sim)->phi, &ma);
    w->rate_wall0 = viz_now();
    w->rate_t0 = d.t;
    w->rate_steps0 = w->total_steps;
    w->rate_flips0 = d.flips;
    w->field_dirty = 1;
    w->mhn = w->mhhead = 0;
    w->sweep_prev = 0;
    w->omega_valid = 0;
    w->omega_wall = -1e30;
    w->seln = w->selhead = 0;
    w->sel_flips = 0;
    if (w->sel >= v.n)
        w->sel = -1;
    sel_push(w);
    return 0;
}

static void hist_push(worker *w, double t, double mh, double ma)
{
    const int k = (w->hhead + w->hn) % VIZ_HIST;
    w->ht[k] = (float)t;
    w->hmh[k] = (float)mh;
    w->hma[k] = (float)ma;
    if (w->hn < VIZ_HIST)
        w->hn++;
    else
        w->hhead = (w->hhead + 1) % VIZ_HIST;
}

/* CPU time of the calling thread (s): the profile's clock, so that a machine shared with other
 * work shows what the thread did, apart from how long it waited for a core. */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void publish_snapshot(worker *w)
{
    viz_simthread *st = w->st;
    const double w0 = thread_cpu();
    viz_snapshot *s = tribuf_back(&st->snap_tb);
    const fr_view v = fr_sim_view(st->sim);
    const fr_params *p = fr_sim_params(st->sim);
    if (v.n > s->cap) {
        float *pos = realloc(s->pos, (size_t)v.n * 3 * sizeof(float));
        if (pos)
            s->pos = pos;
        float *xi = realloc(s->xi, (size_t)v.n * 3 * sizeof(float));
        if (xi)
            s->xi = xi;
        int8_t *sg = realloc(s->sigma, (size_t)v.n);
        if (sg)
            s->sigma = sg;
        float *avg = realloc(s->avg, (size_t)v.n * sizeof(float));
        if (avg)
            s->avg = avg;
        float *m0 = realloc(s->m0, (size_t)v.n * sizeof(float));
        if (m0)
            s->m0 = m0;
        if (!pos || !xi || !sg || !avg || !m0) {
            fail(st, "out of memory for a snapshot");
            return;
        }
        s->cap = v.n;
    }
    s->n = v.n;
    for (int i = 0; i < v.n; i++) {
        const double X[3] = {v.X[0][i], v.X[1][i], v.X[2][i]};
        const double xi[3] = {v.xi[0][i], v.xi[1][i], v.xi[2][i]};
        double H[3];
        fr_field_eval(&p->field, v.t, X, H, NULL);
        for (int c = 0; c < 3; c++) {
            s->pos[3 * i + c] = (float)X[c];
            s->xi[3 * i + c] = (float)xi[c];
        }
        s->sigma[i] = v.sigma[i];
        s->avg[i] = w->avg[i];
        s->m0[i] = (float)tanh(p->b * (H[0] * xi[0] + H[1] * xi[1] + H[2] * xi[2]));
    }
    s->r = v.r;
    s->radius = w->radius;
    fr_sim_diag(st->sim, &s->diag);
    s->params = *p;
    s->steps = w->steps;
    s->total_steps = w->total_steps;
    s->gen = w->gen;
    s->applied_id = w->applied_id;
    s->paused = st->paused;
    s->at_limit = st->step_limit > 0 && w->total_steps >= st->step_limit;
    s->steps_per_s = w->steps_per_s;
    s->flips_per_s = w->flips_per_s;
    s->flips_per_t = w->flips_per_t;
    s->rate = st->rate;
    s->hist_n = w->hn;
    for (int k = 0; k < w->hn; k++) {
        const int q = (w->hhead + k) % VIZ_HIST;
        s->hist_t[k] = w->ht[q];
        s->hist_mh[k] = w->hmh[q];
        s->hist_mabs[k] = w->hma[q];
    }
    memcpy(s->hdir, w->hdir, sizeof s->hdir);
    s->mh_n = w->mhn;
    for (int k = 0; k < w->mhn; k++) {
        const int q = (w->mhhead + k) % VIZ_MH;
        s->mh_h[k] = w->mhh[q];
        s->mh_m[k] = w->mhm[q];
    }
    memcpy(s->sweep_e, w->sweep_e, sizeof s->sweep_e);
    snprintf(s->stokes, sizeof s->stokes, "%s", fr_sim_stokes_name(st->sim));
    s->omega_valid = w->omega_valid && fr_field_active(&p->field) == FR_FIELD_ROTATING;
    s->omega_z = w->omega_z;
    s->omega_t = w->omega_t;
    s->sel = w->sel;
    s->sel_n = w->sel >= 0 ? w->seln : 0;
    s->sel_flips = w->sel_flips;
    for (int k = 0; k < s->sel_n; k++) {
        const int q = (w->selhead + k) % VIZ_SEL;
        s->sel_t[k] = w->selt[q];
        s->sel_sigma[k] = w->selsg[q];
        memcpy(s->sel_xi[k], w->selxi[q], sizeof s->sel_xi[k]);
    }
    s->io_seq = w->io_seq;
    s->io_kind = w->io_kind;
    s->io_ok = w->io_ok;
    memcpy(s->io_msg, w->io_msg, sizeof s->io_msg);
    s->has_off = w->has_off;
    s->t_off = w->t_off;
    s->y_off = w->y_off;
    s->seq = ++w->seq;
    tribuf_publish(&st->snap_tb);
    st->prof[VIZ_PROF_SNAP] += thread_cpu() - w0;
}

static void do_step(worker *w)
{
    viz_simthread *st = w->st;
    const double t0 = fr_sim_time(st->sim), w0 = thread_cpu();
    if (fr_sim_step(st->sim)) {
        st->aborted = 1; /* quitting: the state is only fit for fr_sim_free */
        return;
    }
    const double w1 = thread_cpu();
    st->prof[VIZ_PROF_STEP] += w1 - w0;
    if (st->prof[VIZ_PROF_FIRST] == 0.0)
        st->prof[VIZ_PROF_FIRST] = viz_now() - st->prof_t0;
    w->steps++;
    w->total_steps++;
    const fr_view v = fr_sim_view(st->sim);
    const fr_params *p = fr_sim_params(st->sim);
    const double a = 1.0 - exp(-(v.t - t0) / (AVG_WINDOW_EPS * p->eps));
    for (int i = 0; i < v.n; i++)
        w->avg[i] += (float)(a * (v.sigma[i] - w->avg[i]));
    fr_diag d;
    fr_sim_diag(st->sim, &d);
    update_hdir(w, &d);
    double ma;
    const double mh = m_dot_h(w, &d, p->phi, &ma);
    /* a switch-off inside this step: the theory curve starts from the value before it */
    const fr_field *f = &p->field;
    if (fr_field_next_jump(f, t0 - 1e-12) <= v.t + 1e-12 && !(w->has_off && w->t_off == f->t_off)) {
        w->has_off = 1;
        w->t_off = f->t_off;
        w->y_off = fabs(f->t_off - v.t) < 1e-9 * fmax(1.0, v.t) ? mh : w->y_prev;
    }
    w->y_prev = mh;
    hist_push(w, v.t, mh, ma);
    const int sweeping = fr_field_sweeping(f);
    if (sweeping) { /* magnetisation curve: (H.e, M.e/phi) */
        if (!w->sweep_prev)
            w->mhn = w->mhhead = 0;
        fr_field_sweep_dir(f, w->sweep_e);
        const double he = d.H[0] * w->sweep_e[0] + d.H[1] * w->sweep_e[1] + d.H[2] * w->sweep_e[2];
        const double me = d.m[0] * w->sweep_e[0] + d.m[1] * w->sweep_e[1] + d.m[2] * w->sweep_e[2];
        const int k = (w->mhhead + w->mhn) % VIZ_MH;
        w->mhh[k] = (float)he;
        w->mhm[k] = (float)me;
        if (w->mhn < VIZ_MH)
            w->mhn++;
        else
            w->mhhead = (w->mhhead + 1) % VIZ_MH;
    }
    w->sweep_prev = sweeping;
    sel_push(w);
    w->field_dirty = 1;

    const double now = viz_now();
    st->prof[VIZ_PROF_BOOK] += thread_cpu() - w1;
    if (now - w->rate_wall0 >= 0.5) {
        const double dw = now - w->rate_wall0, dt = v.t - w->rate_t0;
        w->steps_per_s = (double)(w->total_steps - w->rate_steps0) / dw;
        w->flips_per_s = (double)(d.flips - w->rate_flips0) / dw;
        w->flips_per_t = dt > 0.0 ? (double)(d.flips - w->rate_flips0) / dt : 0.0;
        w->rate_wall0 = now;
        w->rate_t0 = v.t;
        w->rate_steps0 = w->total_steps;
        w->rate_flips0 = d.flips;
    }
}

/* The live parameters; the switch-off state as the command asks (see viz_off_mode). */
static void apply_params(worker *w, const viz_cmd *c)
{
    viz_simthread *st = w->st;
    fr_params p = c->u.params.p;
    const fr_field *cur = &fr_sim_params(st->sim)->field;
    const double t = fr_sim_time(st->sim);
    switch (c->u.params.off) {
    case CMD_OFF_NOW:
        p.field.has_switch_off = 1;
        p.field.t_off = t;
        break;
    case CMD_OFF_CLEAR:
        p.field.has_switch_off = 0;
        break;
    case CMD_OFF_KEEP:
        p.field.has_switch_off = cur->has_switch_off;
        p.field.t_off = cur->t_off;
        break;
    }
    char err[256];
    if (fr_sim_set_params(st->sim, &p, err, sizeof err)) {
        fprintf(stderr, "ferroviz: parameters not changed: %s\n", err);
        return;
    }
    if (c->u.params.off == CMD_OFF_NOW) { /* off at the current time: theory from the current value */
        fr_diag d;
        fr_sim_diag(st->sim, &d);
        double ma;
        w->has_off = 1;
        w->t_off = t;
        w->y_off = m_dot_h(w, &d, fr_sim_params(st->sim)->phi, &ma);
    }
}

static void apply_view(worker *w, const viz_view *v)
{
    viz_simthread *st = w->st;
    st->streams_on = v->streams;
    st->slice = v->slice;
    st->slice_phi = v->slice_phi;
    st->rate = v->rate;
    const int sel = v->sel < fr_sim_view(st->sim).n ? v->sel : -1;
    if (sel != w->sel) {
        w->sel = sel;
        w->seln = w->selhead = 0;
        w->sel_flips = 0;
        sel_push(w);
    }
}

/* The simulation is replaced by s (a reset or a load). */
static void replace_sim(worker *w, fr_sim *s, const char *when)
{
    viz_simthread *st = w->st;
    fr_sim_free(st->sim);
    st->sim = s;
    fr_sim_set_abort(s, &st->abort);
    w->pending_steps = 0;
    if (reset_state(w))
        fail(st, when);
}

static void apply_io(worker *w, const viz_cmd *c)
{
    viz_simthread *st = w->st;
    char path[VIZ_PATH], err[256];
    memcpy(path, c->u.path, sizeof path);
    path[sizeof path - 1] = '\0';
    w->io_seq++;
    w->io_kind = c->kind;
    w->io_ok = 0;
    if (c->kind == CMD_SAVE) {
        if (fr_sim_save(st->sim, path, err, sizeof err)) {
            snprintf(w->io_msg, sizeof w->io_msg, "save failed: %s", err);
        } else {
            w->io_ok = 1;
            snprintf(w->io_msg, sizeof w->io_msg, "saved %s (t = %.6g)", path, fr_sim_time(st->sim));
        }
    } else {
        fr_sim *s = NULL;
        if (fr_sim_load(path, &s, err, sizeof err)) {
            snprintf(w->io_msg, sizeof w->io_msg, "load failed, state kept: %s", err);
        } else {
            replace_sim(w, s, "out of memory at load");
            w->io_ok = 1;
            snprintf(w->io_msg, sizeof w->io_msg, "loaded %s (t = %.6g, N = %d)", path,
                     fr_sim_time(s), fr_sim_view(s).n);
        }
    }
    if (!w->io_ok) {
        fprintf(stderr, "ferroviz: %s\n", w->io_msg);
        fflush(stderr);
    }
}

static void apply(worker *w, const viz_cmd *c)
{
    viz_simthread *st = w->st;
    switch (c->kind) {
    case CMD_PAUSE:
        st->paused = c->u.paused;
        if (!c->u.paused)
            w->pending_steps = 0;
        break;
    case CMD_STEP:
        if (st->paused || (st->step_limit > 0 && w->total_steps >= st->step_limit))
            w->pending_steps += c->u.steps;
        break;
    case CMD_PARAMS:
        apply_params(w, c);
        break;
    case CMD_VIEW:
        apply_view(w, &c->u.view);
        break;
    case CMD_SAVE:
    case CMD_LOAD:
        apply_io(w, c);
        break;
    case CMD_RESET: {
        char err[256];
        fr_sim *s = NULL;
        if (fr_sim_create(&c->u.params.p, &s, err, sizeof err)) {
            fprintf(stderr, "ferroviz: reset failed: %s\n", err);
            break;
        }
        replace_sim(w, s, "out of memory at reset");
        break;
    }
    case CMD_NONE:
    case CMD_KINDS:
        break;
    }
    w->applied_id = c->id;
    w->field_dirty = 1;
    w->field_urgent = 1;
}

static void compute_streams(worker *w)
{
    viz_simthread *st = w->st;
    viz_streams *s = tribuf_back(&st->stream_tb);
    const double t0 = viz_now(), c0 = thread_cpu();
    double cf = c0, delta = 0.0;
    s->enabled = st->streams_on;
    if (st->streams_on) {
        fr_sim_effective_velocity(st->sim, st->grid, FR_FIELD_LO, FR_FIELD_HI, w->u, &delta);
        cf = thread_cpu();
        st->prof[VIZ_PROF_FIELD] += cf - c0;
        const double nrm[3] = {cos(st->slice_phi), sin(st->slice_phi), 0.0};
        if (stream_trace(w->u, st->grid, FR_FIELD_LO, FR_FIELD_HI, st->slice ? nrm : NULL, s)) {
            fail(st, "out of memory for streamlines");
            return;
        }
    } else {
        s->nverts = s->nlines = s->nheads = 0;
    }
    s->delta = delta;
    s->grid = st->grid;
    s->gen = w->gen;
    s->total_steps = w->total_steps;
    s->t = fr_sim_time(st->sim);
    s->slice = st->slice;
    const double t1 = viz_now();
    s->compute_s = t1 - t0;
    st->prof[VIZ_PROF_TRACE] += thread_cpu() - cf;
    s->seq = ++w->stream_seq;
    tribuf_publish(&st->stream_tb);
    if (st->streams_on)
        w->field_cost = t1 - t0;
    w->field_end = t1;
    w->field_dirty = w->field_urgent = 0;
}

/* Rotating field: the fluid's mean rotation <omega_z> over the cloud, from the effective
 * velocity (fr_sim_fluid_rotation: O(N) per surface point), every 0.5 s of wall time. */
static void update_omega(worker *w)
{
    viz_simthread *st = w->st;
    const fr_params *p = fr_sim_params(st->sim);
    if (fr_field_active(&p->field) != FR_FIELD_ROTATING) {
        w->omega_valid = 0;
        return;
    }
    const double now = viz_now();
    if ((w->omega_valid && w->omega_steps == w->total_steps) || now - w->omega_wall < 0.5)
        return;
    double om[3];
    if (fr_sim_fluid_rotation(st->sim, om))
        return;
    w->omega_z = om[2];
    w->omega_t = fr_sim_time(st->sim);
    w->omega_valid = 1;
    w->omega_steps = w->total_steps;
    w->omega_wall = viz_now();
}

/* The simulation's side before the first pass, in the thread that runs the passes. */
static int sim_begin(worker *w)
{
    viz_simthread *st = w->st;
    st->prof_t0 = viz_now();
    /* The window comes first: the simulation thread (and the OpenMP threads it starts, which
     * inherit its nice value and policy) yields the CPU to the render thread and llvmpipe's
     * threads, so the frame rate does not depend on the cost of a step. SCHED_BATCH keeps the
     * nice value's share but never preempts a running thread when it wakes: with passive
     * OpenMP waits (main.c) the threads wake at every barrier, and preempting llvmpipe cost
     * the window ~2 frames/s at N = 1e5 (29.0-29.9 fps nice 10 alone, 31.0-31.3 in the idle or
     * batch class, alternating runs at load 3-5). Best effort (Linux). */
#ifndef __EMSCRIPTEN__ /* a browser's workers have no priorities */
    if (st->nice > 0) {
        const pid_t tid = (pid_t)syscall(SYS_gettid);
        const struct sched_param sp = {0};
        (void)sched_setscheduler(tid, SCHED_BATCH, &sp);
        errno = 0;
        const int cur = getpriority(PRIO_PROCESS, (id_t)tid);
        if (errno == 0 && cur < st->nice)
            (void)setpriority(PRIO_PROCESS, (id_t)tid, st->nice);
    }
#endif
#ifdef _OPENMP
    if (st->threads > 0)
        omp_set_num_threads(st->threads); /* this thread's parallel regions (the core's) */
#endif
    if (reset_state(w)) {
        fail(st, "out of memory");
        return -1;
    }
    publish_snapshot(w);
    w->streams_were_on = -1;
    return 0;
}

/* One pass of the simulation's loop: the queued commands, at most one step (when running and
 * due, and when it fits the budget), the snapshot, the field and streamlines when due. The
 * thread runs passes without a budget (INFINITY); a page without threads runs them from its main
 * loop within a time budget per frame (simthread_run). Returns how long the caller may wait for
 * a command before the next pass is worth running (0: at once). */
static double sim_pass(worker *w, double budget)
{
    viz_simthread *st = w->st;
    viz_cmd c;
    int changed = 0;
    while (cmdq_pop(&st->q, &c)) {
        apply(w, &c);
        changed = 1;
    }
    if (atomic_load(&st->failed))
        return 0.0;
    const int limited = st->step_limit > 0 && w->total_steps >= st->step_limit;
    int stepped = 0, later = 0; /* later: a step is due but does not fit the budget */
    if (w->pending_steps > 0) {
        w->pending_steps--;
        do_step(w);
        stepped = 1;
    } else if (!st->paused && !limited) {
        const double now = viz_now();
        const double next = fmax(st->rate > 0.0 ? w->last_step_wall + 1.0 / st->rate : 0.0,
                                 w->rest_until);
        if (now < next) {
            if (changed)
                publish_snapshot(w);
            return next - now;
        }
        if (w->step_cost <= budget) { /* the predicted cost fits (always in the thread) */
            /* the step's slot in the --rate schedule: the thread steps when due; passes from a
             * main loop come once a frame, so they catch up with the schedule by up to
             * RATE_CATCHUP s (several steps in one frame when they fit) */
            w->last_step_wall = st->inline_sim && st->rate > 0.0
                                    ? fmax(now - RATE_CATCHUP, w->last_step_wall + 1.0 / st->rate)
                                    : now;
            do_step(w);
            const double end = viz_now(), cost = end - now;
            /* the prediction follows a costlier step at once and a cheaper one slowly (a
             * step's cost varies with the flips and the field; overrunning costs a frame) */
            w->step_cost = cost > w->step_cost ? cost : 0.8 * w->step_cost + 0.2 * cost;
            w->rest_until = end + st->rest * cost;
            stepped = 1;
        } else {
            later = 1;
        }
    }
    if (stepped || changed) {
        update_omega(w);
        publish_snapshot(w);
    }
    /* Field and streamlines: right away when nothing else is to be done (paused, at the step
     * limit), otherwise with a time budget (FIELD_REFRESH above). Within a frame's budget: when
     * its cost fits, after a command (a key must answer), or when twice overdue. */
    const int idle = (st->paused || limited) && w->pending_steps == 0;
    const int need = w->field_dirty && (st->streams_on || w->streams_were_on != 0);
    if (need) {
        const double now = viz_now();
        const double wait = w->field_urgent
                                ? fmax(FIELD_MIN_PERIOD, FIELD_SHARE_CMD * w->field_cost)
                                : fmax(FIELD_REFRESH, FIELD_SHARE * w->field_cost);
        const double since = now - w->field_end;
        const int fits = w->field_cost <= budget - (now - w->pass_t0) || w->field_urgent ||
                         since >= 2.0 * wait;
        if (idle || (since >= wait && fits)) {
            compute_streams(w);
            w->streams_were_on = st->streams_on;
        }
    }
    if (later) /* nothing more until the budget grows */
        return 1e-3;
    if (idle && (!w->field_dirty || !st->streams_on))
        return 0.25;
    return 0.0;
}

static void sim_end(viz_simthread *st)
{
    st->prof[VIZ_PROF_WALL] = viz_now() - st->prof_t0;
    st->prof[VIZ_PROF_CPU] = thread_cpu();
}

static void *thread_main(void *arg)
{
    worker *w = arg;
    viz_simthread *st = w->st;
    if (sim_begin(w))
        return NULL;
    while (!cmdq_quit(&st->q) && !atomic_load(&st->failed)) {
        w->pass_t0 = viz_now();
        const double wait = sim_pass(w, INFINITY);
        if (wait > 0.0)
            cmdq_wait(&st->q, wait);
    }
    sim_end(st);
    return NULL;
}

double simthread_run(viz_simthread *st, double budget)
{
    worker *w = st->worker;
    if (!st->inline_sim || atomic_load(&st->failed))
        return 0.0;
    const double t0 = viz_now();
    if (!st->began) {
        st->began = 1;
        if (sim_begin(w))
            return viz_now() - t0;
    }
    /* The first pass runs even without budget left (a long step can leave the caller in debt
     * for several frames): its commands (keys) are applied at once; it steps only if it fits. */
    for (int first = 1;; first = 0) {
        w->pass_t0 = viz_now();
        const double left = budget - (w->pass_t0 - t0);
        if ((left <= 0.0 && !first) || sim_pass(w, left) > 0.0 || atomic_load(&st->failed))
            break;
    }
    return viz_now() - t0;
}

double simthread_step_cost(const viz_simthread *st)
{
    const worker *w = st->worker;
    return w->step_cost;
}

int simthread_start(viz_simthread *st, const fr_params *p, fr_sim *loaded, int grid,
                    long long step_limit, double rate, int threads, int nice, char *err,
                    size_t errlen)
{
    memset(st, 0, sizeof *st);
    atomic_init(&st->failed, 0);
    atomic_init(&st->abort, 0);
    if (loaded)
        st->sim = loaded;
    else if (fr_sim_create(p, &st->sim, err, errlen))
        return -1;
    /* quitting stops a long step (N = 20000 with interactions) at once */
    fr_sim_set_abort(st->sim, &st->abort);
    st->grid = grid;
    st->step_limit = step_limit;
    st->rate = rate;
    st->threads = threads;
    st->nice = nice;
    st->streams_on = 1;
    st->slice_phi = M_PI / 2; /* plane y = 0 */
    if (cmdq_init(&st->q)) {
        snprintf(err, errlen, "cannot create a mutex");
        fr_sim_free(st->sim);
        return -1;
    }
    tribuf_init(&st->snap_tb, &st->snap[0], &st->snap[1], &st->snap[2]);
    tribuf_init(&st->stream_tb, &st->streams[0], &st->streams[1], &st->streams[2]);
    worker *w = calloc(1, sizeof *w);
    if (w)
        w->u = malloc((size_t)grid * grid * grid * 3 * sizeof(double));
    if (!w || !w->u) {
        if (w)
            free(w);
        snprintf(err, errlen, "out of memory");
        cmdq_destroy(&st->q);
        fr_sim_free(st->sim);
        return -1;
    }
    w->st = st;
    w->sel = -1;
    w->last_step_wall = -1e30;
    w->field_end = -1e30;
    st->worker = w;
    st->inline_sim = VIZ_SIM_INLINE;
    st->rest = st->inline_sim ? 0.0 : SIM_REST; /* inline: the frame's budget is the rest */
    st->running = 1;
    if (st->inline_sim)
        return 0; /* simthread_run does the passes */
    if (pthread_create(&st->th, NULL, thread_main, w)) {
        st->running = 0;
        snprintf(err, errlen, "cannot start the simulation thread");
        free(w->u);
        free(w);
        cmdq_destroy(&st->q);
        fr_sim_free(st->sim);
        return -1;
    }
    return 0;
}

int simthread_stop(viz_simthread *st, const char *save_path, char *err, size_t errlen)
{
    if (!st->running)
        return 0;
    if (!save_path) /* with --save the last step must finish: no abort */
        atomic_store(&st->abort, 1);
    cmdq_set_quit(&st->q);
    if (st->inline_sim)
        sim_end(st);
    else
        pthread_join(st->th, NULL);
    st->running = 0;
    int rc = 0;
    if (save_path) {
        if (st->aborted || atomic_load(&st->failed)) {
            snprintf(err, errlen, "--save: not written, the simulation stopped on an error");
            rc = -1;
        } else if (fr_sim_save(st->sim, save_path, err, errlen)) {
            rc = -1;
        }
    }
    worker *w = st->worker;
    free(w->u);
    free(w->avg);
    free(w);
    fr_sim_free(st->sim);
    cmdq_destroy(&st->q);
    for (int k = 0; k < 3; k++) {
        viz_snapshot *s = &st->snap[k];
        free(s->pos);
        free(s->xi);
        free(s->sigma);
        free(s->avg);
        free(s->m0);
        viz_streams *r = &st->streams[k];
        free(r->verts);
        free(r->first);
        free(r->count);
        free(r->heads);
    }
    return rc;
}

const viz_snapshot *simthread_snapshot(viz_simthread *st, int *is_new)
{
    const int n = tribuf_acquire(&st->snap_tb);
    if (is_new)
        *is_new = n;
    return tribuf_front(&st->snap_tb);
}

const viz_streams *simthread_streams(viz_simthread *st, int *is_new)
{
    const int n = tribuf_acquire(&st->stream_tb);
    if (is_new)
        *is_new = n;
    return tribuf_front(&st->stream_tb);
}

unsigned long long simthread_push(viz_simthread *st, const viz_cmd *c)
{
    return cmdq_push(&st->q, c);
}

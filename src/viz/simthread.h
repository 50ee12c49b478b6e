/* simthread.h — the simulation thread of ferroviz.
 *
 * It owns the fr_sim and steps it continuously (or not, when paused), applies the commands of the
 * render thread at step boundaries, publishes a snapshot of the state after every step through a
 * triple buffer, and now and then computes the effective velocity field (1.10) on a grid and
 * traces its streamlines, published through a second triple buffer. The render thread never
 * waits for it.
 *
 * A browser page without cross-origin isolation has no threads (a wasm built without -pthread):
 * there the same passes of the same loop run in the page's main loop, within a time budget per
 * frame (simthread_run); everything else (commands, snapshots, streamlines) is unchanged.
 */
#ifndef VIZ_SIMTHREAD_H
#define VIZ_SIMTHREAD_H

#include "ferro/params.h"
#include "ferro/sim.h"
#include "sync.h"

#include <pthread.h>
#include <stdint.h>

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define VIZ_SIM_INLINE 1 /* no threads: simthread_run from the main loop */
#else
#define VIZ_SIM_INLINE 0
#endif

#define VIZ_HIST 600 /* samples of the live plot */
#define VIZ_MH 4096  /* samples of the magnetisation curve M(H) (sweep mode) */
#define VIZ_SEL 400  /* samples of the picked particle's history */
#define VIZ_MSG 320

typedef struct viz_snapshot {
    uint64_t seq;             /* 0 = nothing published yet */
    uint64_t gen;             /* +1 at each reset */
    unsigned long long applied_id; /* id of the last command applied */
    long long steps;          /* steps since the last reset */
    long long total_steps;    /* steps since start */
    int paused, at_limit;
    int n, cap;
    float *pos, *xi;          /* 3n, interleaved */
    int8_t *sigma;            /* n */
    float *avg;               /* n: exponential average of sigma over 3 eps */
    float *m0;                /* n: tanh(b H(X).xi) */
    double r;                 /* particle radius */
    double radius;            /* bounding sphere of the centres */
    fr_diag diag;
    fr_params params;         /* the live parameters (field with its switch-off, eps, b, ...) */
    double steps_per_s, flips_per_s, flips_per_t;
    double rate;              /* max steps per second, 0 = unlimited */
    /* live plot: M.Hhat and |M| against t, oldest first */
    int hist_n;
    float hist_t[VIZ_HIST], hist_mh[VIZ_HIST], hist_mabs[VIZ_HIST];
    double hdir[3];           /* direction used for M.Hhat (last nonzero H at the origin) */
    int has_off;              /* a switch-off happened: theory overlay from (t_off, y_off) */
    double t_off, y_off;
    /* magnetisation curve (field.sweep): H.e and M.e/phi at each step since the sweep began */
    int mh_n;
    float mh_h[VIZ_MH], mh_m[VIZ_MH];
    double sweep_e[3];
    /* rotating field: the fluid's mean rotation <omega_z> of the effective sources at the
     * particles (fr_sim_ambient_ex), recomputed about every 0.5 s of wall time */
    int omega_valid;
    double omega_z, omega_t;
    /* picked particle (-1 none): sigma and xi at each step, oldest first */
    int sel, sel_n;
    long long sel_flips;      /* sign changes seen between steps */
    float sel_t[VIZ_SEL], sel_xi[VIZ_SEL][3];
    int8_t sel_sigma[VIZ_SEL];
    /* save / load results */
    unsigned io_seq;          /* +1 per save or load attempt */
    int io_kind, io_ok;       /* CMD_SAVE or CMD_LOAD; 1 on success */
    char io_msg[VIZ_MSG];
    char stokes[16];          /* interaction sum in use: "direct" or "fast 1e-3" */
} viz_snapshot;

typedef struct viz_streams {
    uint64_t seq;             /* 0 = nothing yet */
    uint64_t gen;
    long long total_steps;    /* state the field belongs to */
    double t;
    int enabled, slice;
    int nverts, vcap;         /* vertices: x, y, z, speed/vmax, arc length */
    float *verts;
    int nlines, lcap;
    int *first, *count;
    int nheads, hcap;         /* arrowheads: x, y, z, dx, dy, dz, speed/vmax */
    float *heads;
    double vmax;              /* speed mapped to the top of the colour bar */
    double delta;             /* smoothing length of the sources */
    int grid;
    double compute_s;         /* wall time of the field + tracing */
} viz_streams;

/* Where the simulation thread's time goes: CPU seconds of the thread (not of the OpenMP workers
 * it starts with --threads > 1) in fr_sim_step, the per-step bookkeeping (averaged spins,
 * diagnostics, plot history), the effective velocity grid (1.10), tracing the streamlines and
 * publishing snapshots; the thread's whole CPU time; its wall time; the wall time from its start
 * to the end of the first step. */
enum { VIZ_PROF_STEP, VIZ_PROF_BOOK, VIZ_PROF_FIELD, VIZ_PROF_TRACE, VIZ_PROF_SNAP, VIZ_PROF_CPU,
       VIZ_PROF_WALL, VIZ_PROF_FIRST, VIZ_PROF_N };

typedef struct viz_simthread {
    pthread_t th;
    int running;
    int inline_sim;           /* no thread: the caller runs simthread_run (VIZ_SIM_INLINE) */
    int began;                /* inline: the first pass's preparation is done */
    double rest;              /* after a step, rest this many times its cost (a page) */
    viz_cmdqueue q;
    viz_tribuf snap_tb, stream_tb;
    viz_snapshot snap[3];
    viz_streams streams[3];
    /* owned by the thread while running */
    fr_sim *sim;
    int grid;
    long long step_limit;     /* stop stepping at this many total steps (0 = none) */
    int streams_on, slice;
    double slice_phi;         /* slice plane normal (cos, sin, 0) */
    double rate;
    int paused;
    int threads;              /* OpenMP threads of the core, 0 = default */
    int nice;                 /* nice value of the thread (> 0: below the window's), 0 = as is */
    void *worker;             /* thread-private state */
    atomic_int failed;        /* 1 if the thread stopped on an error */
    atomic_int abort;         /* set on quit: a step in progress stops early */
    int aborted;              /* a step was aborted: the state is unusable (no --save) */
    char err[256];
    /* the profile above (written by the thread, read after the join) */
    double prof[VIZ_PROF_N], prof_t0;
} viz_simthread;

/* Creates the simulation (error message in err) and starts the thread. If loaded is not NULL
 * the thread takes it over instead (a state read with fr_sim_load; p is then ignored). nice > 0:
 * the thread (and its OpenMP threads) run at that nice value, below the render thread. */
int simthread_start(viz_simthread *st, const fr_params *p, fr_sim *loaded, int grid,
                    long long step_limit, double rate, int threads, int nice, char *err,
                    size_t errlen);
/* Asks the thread to stop and joins it; if save_path is not NULL (--save) the final state is
 * written there first (the last step is then allowed to finish). Frees everything. Returns 0,
 * or -1 with a message in err if the save failed. */
int simthread_stop(viz_simthread *st, const char *save_path, char *err, size_t errlen);

/* Render side: take the newest snapshot / streamlines (never blocks). */
const viz_snapshot *simthread_snapshot(viz_simthread *st, int *is_new);
const viz_streams *simthread_streams(viz_simthread *st, int *is_new);
unsigned long long simthread_push(viz_simthread *st, const viz_cmd *c);

/* Without a thread (st->inline_sim): runs passes of the simulation's loop within about budget
 * s of wall time (a step is started only when its predicted cost fits what is left; the field
 * and streamlines may overrun it, see sim_pass). Returns the wall time spent. A no-op (0) when
 * the simulation has its thread. */
double simthread_run(viz_simthread *st, double budget);
/* The predicted wall time of the next step (the last steps'; 0 before the first). */
double simthread_step_cost(const viz_simthread *st);

#endif

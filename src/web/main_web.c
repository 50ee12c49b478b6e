/* main_web.c — ferroviz in a page: the same start as main.c (options from the URL's query,
 * which index.html turns into argv), then the browser drives the frames: one app_frame per
 * animation frame (emscripten_set_main_loop). The simulation runs in its own thread as on the
 * desktop (simthread.c, a Web Worker here), so a costly step never holds a frame up. A page
 * that is not cross-origin isolated gets the build without threads (VIZ_SIM_INLINE): after
 * drawing, each frame runs passes of the simulation's loop (simthread_run) within a budget,
 * sim_budget below. Each frame publishes window.ferroviz.stats(). */
#include "app.h"
#include "gl.h"
#include "util.h"
#include "web.h"

#include <emscripten.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

EM_JS(void, publish_stats, (double frames, double fps, double steps, double t, int n, double sps,
                            double yaw, double pitch, double dist, double mx, double my,
                            double mz, double flips, double msd, double step_ms), {
    Module.ferrovizStats = {frames: frames, fps: fps, sim_steps: steps, sim_time: t, n: n,
                            steps_per_s: sps, camera: {yaw: yaw, pitch: pitch, dist: dist},
                            m: [mx, my, mz],
                            flips: flips, msd: msd, step_ms: step_ms};
})

/* Without threads the simulation takes at most SIM_SHARE of the main thread's wall time (as
 * the thread of the other build rests as long as each step took: at most half a core), and
 * never starts a step whose predicted cost exceeds what it has earned: the budget grows by
 * SIM_SHARE of each frame's time and is spent by the passes, up to one step's cost or
 * SIM_BUDGET_MIN (8 ms: half a 60 Hz frame), so that a costly step comes every few frames
 * instead of stretching every one, and a long pause (a hidden tab) does not pile up steps. The
 * drawing's GL commands are flushed first: the browser's GPU process (SwiftShader: other
 * cores) draws them while the simulation steps. */
#define SIM_SHARE 0.5
#define SIM_BUDGET_MIN 0.008

typedef struct sim_budget {
    double credit, last; /* s of wall time the simulation may spend; when last topped up */
} sim_budget;

typedef struct page {
    viz_app app;
    sim_budget budget; /* without threads */
} page;

static void run_sim(viz_simthread *st, sim_budget *b)
{
    const double now = viz_now();
    const double cap = fmax(SIM_BUDGET_MIN, simthread_step_cost(st));
    if (b->last > 0.0)
        b->credit = fmin(b->credit + SIM_SHARE * (now - b->last), cap);
    else
        b->credit = SIM_BUDGET_MIN;
    b->last = now;
    glFlush();
    b->credit -= simthread_run(st, b->credit);
}

static void frame(void *arg)
{
    page *pg = arg;
    viz_app *a = &pg->app;
    if (web_file_waiting()) { /* F9's file picker delivered: the F9 row loads it */
        SDL_KeyboardEvent e;
        memset(&e, 0, sizeof e);
        e.type = SDL_KEYDOWN;
        e.keysym.sym = SDLK_F9;
        controls_key(a, &e);
    }
    const int over = app_frame(a);
    const viz_snapshot *s = a->snap;
    const int have = s && s->seq;
    static const double none[3] = {0.0, 0.0, 0.0};
    const double *m = have ? s->diag.m : none;
    publish_stats((double)a->frames, a->fps, have ? (double)s->total_steps : 0.0,
                  have ? s->diag.t : 0.0, have ? s->n : 0, have ? s->steps_per_s : 0.0,
                  (double)a->cam.yaw, (double)a->cam.pitch, (double)a->cam.dist,
                  m[0], m[1], m[2], have ? (double)s->diag.flips : 0.0,
                  have ? s->diag.msd : 0.0,
                  a->S.inline_sim ? 1e3 * simthread_step_cost(&a->S) : 0.0);
    if (over) {
        emscripten_cancel_main_loop();
        emscripten_force_exit(app_finish(a));
        return;
    }
    if (a->S.inline_sim)
        run_sim(&a->S, &pg->budget);
}

int main(int argc, char **argv)
{
    static page P; /* lives as long as the page's main loop */
    viz_app *a = &P.app;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc;
    if (!app_launch(a, argc, argv, &rc))
        return rc;
    web_pick_file_on_key(STATE_FILE, "F9");
    emscripten_set_main_loop_arg(frame, &P, 0, 1); /* 0: at the browser's frame rate */
    return 0;
}

/* main_web.c — ferroviz in a page: the same start as main.c (options from the URL's query,
 * which index.html turns into argv), then the browser drives the frames: one app_frame per
 * animation frame (emscripten_set_main_loop). The simulation runs in its own thread as on the
 * desktop (simthread.c, a Web Worker here), so a costly step never holds a frame up. Each
 * frame publishes window.ferroviz.stats(). */
#include "app.h"
#include "web.h"

#include <emscripten.h>
#include <stdio.h>
#include <string.h>

EM_JS(void, publish_stats, (double frames, double fps, double steps, double t, int n, double sps,
                            double yaw, double pitch, double dist), {
    Module.ferrovizStats = {frames: frames, fps: fps, sim_steps: steps, sim_time: t, n: n,
                            steps_per_s: sps, camera: {yaw: yaw, pitch: pitch, dist: dist}};
})

static void frame(void *arg)
{
    viz_app *a = arg;
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
    publish_stats((double)a->frames, a->fps, have ? (double)s->total_steps : 0.0,
                  have ? s->diag.t : 0.0, have ? s->n : 0, have ? s->steps_per_s : 0.0,
                  (double)a->cam.yaw, (double)a->cam.pitch, (double)a->cam.dist);
    if (over) {
        emscripten_cancel_main_loop();
        emscripten_force_exit(app_finish(a));
    }
}

int main(int argc, char **argv)
{
    static viz_app A;
    viz_app *a = &A;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc;
    if (!app_launch(a, argc, argv, &rc))
        return rc;
    emscripten_set_main_loop_arg(frame, a, 0, 1); /* 0: at the browser's frame rate */
    return 0;
}

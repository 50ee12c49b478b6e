/* main.c — ferroviz on the desktop: options, the window, the blocking frame loop, exit. The
 * rest lives in rooms of its own: options.c (command line, presets), window.c (SDL window and
 * GL context), app.c (one frame), controls.c (keys), camera.c, capture.c, simthread.c. */
#include "app.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    static viz_app A;
    viz_app *a = &A;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = viz_parse_args(argc, argv, &a->fo, &a->vo);
    if (rc)
        return rc;
    fr_sim *loaded = NULL;
    int done;
    rc = app_prepare(a, &loaded, &done);
    if (done)
        return rc;
    char err[1024];
    rc = window_open(&a->win, a->vo.w, a->vo.h, a->vo.fullscreen, a->vo.frames != 0, err,
                     sizeof err);
    if (rc) {
        fprintf(stderr, "ferroviz: %s\n", err);
        fr_sim_free(loaded);
        if (a->win.sdl_up)
            window_close(&a->win);
        return rc;
    }
    rc = app_start(a, loaded);
    if (rc)
        return rc;
    while (!app_frame(a)) {
        const double pause = app_frame_pause(a);
        if (pause > 0.0)
            SDL_Delay((Uint32)(1000.0 * pause));
    }
    return app_finish(a);
}

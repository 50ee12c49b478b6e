/* main.c — ferroviz on the desktop: options, the window, the blocking frame loop, exit. The
 * rest lives in rooms of its own: options.c (command line, presets), window.c (SDL window and
 * GL context), app.c (one frame), controls.c (keys), camera.c, capture.c, simthread.c. */
#include "app.h"
#include "unitspanel.h"

#include <stdio.h>
#include <string.h>

/* Options that need no window: --help, --version, a bad --units or --load (exit 2). */
static int prepare(viz_app *a, fr_sim **loaded, int *done)
{
    *done = 1;
    if (a->fo.help) {
        viz_usage();
        return 0;
    }
    if (a->fo.version) {
        printf("ferroviz %s\n", FERRO_VERSION);
        return 0;
    }
    if (a->fo.out[0] || a->fo.particles_out[0] || a->fo.field_out[0])
        fprintf(stderr, "ferroviz: note: --out, --particles-out and --field-out are ferrosim "
                        "options; ignored\n");
    char err[1024];
    if (units_panel_text(a->fo.units, a->units_text, sizeof a->units_text, err, sizeof err)) {
        fprintf(stderr, "ferroviz: --units: %s\n", err);
        return 2;
    }
    /* --load: read the state before any window (a damaged file: one line, exit 2) */
    if (a->fo.load[0]) {
        if (fr_sim_load(a->fo.load, loaded, err, sizeof err)) {
            fprintf(stderr, "ferroviz: --load: %s\n", err);
            return 2;
        }
        a->fo.p = *fr_sim_params(*loaded);
    }
    *done = 0;
    return 0;
}

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
    rc = prepare(a, &loaded, &done);
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

/* main.c — ferroviz on the desktop: options, the window, the blocking frame loop, exit. The
 * rest lives in rooms of its own: options.c (command line, presets), window.c (SDL window and
 * GL context), app.c (one frame), controls.c (keys), camera.c, capture.c, simthread.c. */
#include "app.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    static viz_app A;
    viz_app *a = &A;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc;
    if (!app_launch(a, argc, argv, &rc))
        return rc;
    while (!app_frame(a)) {
        const double pause = app_frame_pause(a);
        if (pause > 0.0)
            SDL_Delay((Uint32)(1000.0 * pause));
    }
    return app_finish(a);
}

/* main.c — ferroviz on the desktop: options, the window, the blocking frame loop, exit. The
 * rest lives in rooms of its own: options.c (command line, presets), window.c (SDL window and
 * GL context), app.c (one frame), controls.c (keys), camera.c, capture.c, simthread.c. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/auxv.h>
#endif

/* The simulation's OpenMP threads wait passively (OMP_WAIT_POLICY=passive) unless the user chose
 * a policy (OMP_WAIT_POLICY or GOMP_SPINCOUNT). They run niced below the window, whose render
 * and llvmpipe threads take a core from them many times a second: with libgomp's default policy
 * the thread left at a barrier spins (up to ~300000 rounds) while its partner waits for a core,
 * and cannot lend it that core. Measured in ferroviz at N = 2e4 (the two threads' CPU per step,
 * runs alternating on the shared machine): 0.13-0.32 CPU-s spinning, 0.07-0.11 passive (one
 * thread headless: 0.087). libgomp reads the environment once, in its constructor, before
 * main (setenv from .preinit_array did not reach it either), so ferroviz sets the variable and
 * starts itself again; if that fails it runs as it is. Not when started through the dynamic
 * loader (ld.so ./ferroviz: /proc/self/exe would be ld.so, AT_BASE is 0 then) nor under
 * valgrind (its preload would not follow the exec). */
static void omp_wait_passive(char **argv)
{
#ifdef __linux__
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"))
        return;
    const char *pre = getenv("LD_PRELOAD");
    if (getauxval(AT_BASE) == 0 || (pre && strstr(pre, "vgpreload")))
        return;
    char self[4096]; /* the binary's own path: its name stays the process's name */
    const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0 || len >= (ssize_t)sizeof self - 1)
        return;
    self[len] = '\0';
    if (setenv("OMP_WAIT_POLICY", "passive", 1) == 0)
        execv(self, argv);
#else
    (void)argv;
#endif
}

int main(int argc, char **argv)
{
    omp_wait_passive(argv);
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

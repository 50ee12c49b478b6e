/* app.h — the application: what one frame does (input, the newest snapshot, the scene, the
 * overlay, captures) over the window, the renderer, the HUD, the simulation thread, the
 * camera and the controls. Platform-free except for SDL's events: the blocking loop that
 * calls app_frame lives in main.c (a browser build calls it from its own main loop). */
#ifndef VIZ_APP_H
#define VIZ_APP_H

#include "camera.h"
#include "capture.h"
#include "controls.h"
#include "hud.h"
#include "options.h"
#include "prof.h"
#include "render.h"
#include "simthread.h"
#include "ui.h"
#include "window.h"

#define WARM_FRAMES 10 /* frames left out of the steady frame time printed at exit */

typedef struct viz_app {
    viz_opts vo;
    fr_options fo;
    viz_window win;
    viz_renderer R;
    viz_hud H;
    viz_simthread S;
    int render_ok, hud_ok, sim_ok;
    viz_camera cam;
    viz_controls ctl;
    viz_recorder rec;
    viz_style style;
    char units_text[4096];
    const viz_snapshot *snap;      /* the newest snapshot (taken at each frame and key) */
    const viz_streams *streams;
    uint64_t uploaded_seq, uploaded_stream_seq, uploaded_gen;
    int uploaded_colour;
    double uploaded_t;             /* when the arrows last took a new snapshot (pacing) */
    unsigned io_seen;
    int dw, dh;                    /* drawable size */
    int fingers;                   /* touching the window now */
    /* the frame loop */
    long frames, fps_frames;
    double t_launch, t_start, fps, fps_t0, t_warm, cpu_warm; /* t_launch: app_launch began */
    double frame_t0;               /* when this frame began */
    double frame_due;              /* when the next frame is due (app_frame_pause) */
    int final_capture, captured_last, last, waiting, rc;
    viz_prof prof;                 /* FERROVIZ_PROF=1: the window's CPU per part of a frame */
} viz_app;

/* The start both front ends share: options (argv), app_prepare, the window, app_start.
 * 1 when the app runs (the caller drives app_frame), else 0 with the exit status in *rc. */
int app_launch(viz_app *a, int argc, char **argv, int *rc);
/* Options that need no window: --help, --version, a bad --units or --load. *done = 1 when
 * the run ends here, with the exit status returned (2 after one line on stderr). */
int app_prepare(viz_app *a, fr_sim **loaded, int *done);
/* After window_open: renderer, HUD, controls, camera and the simulation thread (which takes
 * loaded over, or creates the simulation from a->fo.p). 0, or the exit status after one line
 * on stderr. */
int app_start(viz_app *a, fr_sim *loaded);
/* One frame. 1 when the run is over (quit, --frames, an error: see a->rc). */
int app_frame(viz_app *a);
/* The pause before the next frame: s (the window comes first, the simulation gets the rest). */
double app_frame_pause(viz_app *a);
/* Prints the run's summary, stops the simulation (--save), frees everything: the exit status. */
int app_finish(viz_app *a);
/* Frees what app_start made (after an error). */
int app_fail(viz_app *a, int code);

void app_set_lecture(viz_app *a, int on);
void app_rec_stop(viz_app *a);

#endif

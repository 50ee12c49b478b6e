/* app.c — one frame of ferroviz (see app.h). */
#include "app.h"

#include "unitspanel.h"
#include "util.h"
#ifdef __EMSCRIPTEN__
#include "web.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- start and stop ---- */

/* llvmpipe's raster threads (it starts one per core, reading LP_NUM_THREADS when the context
 * is made): on two cores, up to RASTER_ONE_THREAD_N particles, one. Each raster thread takes a
 * core from the simulation's two OpenMP threads for every frame, and the partner of a thread so
 * preempted waits at the next barrier; one raster thread does the same work (no more CPU a
 * frame) on one core at a time. Measured at N = 2e4 (runs alternating, Xvfb 1280x720, load 2-3):
 * 14.25 and 13.30 steps/s with two raster threads, 15.30 and 14.86 with one, both at 32.9
 * frames/s. Not at N = 1e5, where a redraw of the arrows (~80 ms of raster work) on one thread
 * costs frames (30.7 -> 25.8 frames/s). A user's LP_NUM_THREADS wins; other drivers ignore it. */
#define RASTER_ONE_THREAD_N 50000
static void raster_threads(const viz_app *a)
{
#ifndef __EMSCRIPTEN__
    if (getenv("LP_NUM_THREADS") || a->fo.p.n > RASTER_ONE_THREAD_N ||
        sysconf(_SC_NPROCESSORS_ONLN) > 2)
        return;
    (void)setenv("LP_NUM_THREADS", "1", 0);
#else
    (void)a;
#endif
}

int app_launch(viz_app *a, int argc, char **argv, int *rc)
{
    a->t_launch = viz_now();
    *rc = viz_parse_args(argc, argv, &a->fo, &a->vo);
    if (*rc)
        return 0;
    fr_sim *loaded = NULL;
    int done;
    *rc = app_prepare(a, &loaded, &done);
    if (done)
        return 0;
    raster_threads(a);
    char err[1024];
    *rc = window_open(&a->win, a->vo.w, a->vo.h, a->vo.fullscreen, a->vo.frames != 0, err,
                      sizeof err);
    if (*rc) {
        fprintf(stderr, "ferroviz: %s\n", err);
        fr_sim_free(loaded);
        if (a->win.sdl_up)
            window_close(&a->win);
        return 0;
    }
    *rc = app_start(a, loaded);
    return *rc == 0;
}

int app_prepare(viz_app *a, fr_sim **loaded, int *done)
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
    if (a->fo.out[0] || a->fo.particles_out[0] || a->fo.field_out[0] || a->fo.series_out[0])
        fprintf(stderr, "ferroviz: note: --out, --particles-out, --field-out and --series-out are "
                        "ferrosim options; ignored\n");
    char err[1024];
    if (units_panel_text(a->fo.units, a->units_text, sizeof a->units_text, err, sizeof err)) {
        fprintf(stderr, "ferroviz: --units: %s\n", err);
        return 2;
    }
    /* --load: read the state before any window (a damaged file: one line, exit 2) */
    if (a->fo.load[0]) {
        if (fr_options_sim(&a->fo, loaded, err, sizeof err)) {
            fprintf(stderr, "ferroviz: %s\n", err);
            return 2;
        }
        a->fo.p = *fr_sim_params(*loaded);
    }
    *done = 0;
    return 0;
}

/* Threads of the core: all cores (unless --threads or OMP_NUM_THREADS says otherwise). The
 * simulation thread and the OpenMP threads it starts run niced (--sim-nice), so the window and
 * llvmpipe's raster threads come first and the simulation takes what they leave, on both cores
 * of a two-core machine (with one thread it could never use more than one core while the
 * renderer leaves part of each idle). */
static int sim_threads(const viz_app *a)
{
    int threads = a->fo.threads;
    if (threads == 0 && !getenv("OMP_NUM_THREADS")) {
        const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        threads = ncpu > 1 ? (int)ncpu : 1;
    }
    return threads;
}

int app_start(viz_app *a, fr_sim *loaded)
{
    char err[8192];
    if (render_init(&a->R, err, sizeof err)) {
        fprintf(stderr, "ferroviz: %s\n", err);
        fr_sim_free(loaded);
        return app_fail(a, 1);
    }
    a->render_ok = 1;
    prof_init(&a->prof);
    a->R.prof = &a->prof;
    window_drawable_size(&a->win, &a->dw, &a->dh);
    if (hud_init(&a->H, fmaxf(12.0f, fminf(30.0f, roundf((float)a->dh / 50.0f))), err,
                 sizeof err)) {
        fprintf(stderr, "ferroviz: %s\n", err);
        fr_sim_free(loaded);
        return app_fail(a, 1);
    }
    a->hud_ok = 1;
    controls_init(&a->ctl, &a->fo.p, a->vo.rate, a->vo.lecture, a->vo.preset);
    a->ctl.clean_capture = a->vo.clean_capture;
    a->R.arrow_mode = a->vo.arrow_draw;
#ifdef __EMSCRIPTEN__ /* WebGL clears the depth after each frame; SwiftShader pays per index */
    a->R.stream_skip = 4;
#else
    a->R.keep_depth = a->win.depth_kept;  /* llvmpipe keeps the window's depth across swaps */
    a->R.stream_skip = a->win.software ? 4 : 1;
#endif
    camera_init(&a->cam, &a->fo.p);
    a->uploaded_colour = -1;
    app_set_lecture(a, a->vo.lecture);
    if (simthread_start(&a->S, &a->fo.p, loaded, a->fo.grid, a->vo.sim_steps, a->vo.rate,
                        sim_threads(a), a->vo.sim_nice, err, sizeof err)) {
        fprintf(stderr, "ferroviz: %s\n", err);
        return app_fail(a, 1);
    }
    a->sim_ok = 1;
    if (!a->vo.max_fps_set)
        a->vo.max_fps = a->win.software ? VIZ_MAX_FPS_SOFTWARE : VIZ_MAX_FPS;
    a->snap = simthread_snapshot(&a->S, NULL);
    a->streams = simthread_streams(&a->S, NULL);
    a->t_start = a->fps_t0 = viz_now();
    a->ctl.help_until = a->vo.frames ? 0.0 : a->t_start + 6.0;
    return 0;
}

int app_fail(viz_app *a, int code)
{
    rec_stop(&a->rec);
    if (a->sim_ok)
        simthread_stop(&a->S, NULL, NULL, 0);
    if (a->hud_ok)
        hud_free(&a->H);
    if (a->render_ok)
        render_free(&a->R);
    prof_free(&a->prof);
    window_close(&a->win);
    return code;
}

int app_finish(viz_app *a)
{
    const double t_end = viz_now(), elapsed = t_end - a->t_start;
    const long n = a->frames - WARM_FRAMES;
    if (a->frames >= 2 * WARM_FRAMES) /* the steady frame rate, for benchmarks */
        printf("frame_ms=%.2f fps_steady=%.1f cpu_ms=%.2f over %ld frames arrows=%s n=%d "
               "size=%dx%d\n",
               1e3 * (t_end - a->t_warm) / (double)n, (double)n / (t_end - a->t_warm),
               1e3 * (viz_cpu_now() - a->cpu_warm) / (double)n, n,
               !a->ctl.arrows ? "off" : render_uses_impostors(&a->R) ? "impostor" : "mesh",
               a->R.part_n, a->dw, a->dh);
    prof_print(&a->prof);
    app_rec_stop(a);
    SDL_HideWindow(a->win.win);
    const viz_snapshot *s = simthread_snapshot(&a->S, NULL);
    const long long steps = s->total_steps;
    const double simt = s->diag.t;
    char err[1024];
    if (simthread_stop(&a->S, a->fo.save[0] ? a->fo.save : NULL, err, sizeof err)) {
        fprintf(stderr, "ferroviz: --save: %s\n", err);
        a->rc = 1;
    } else if (a->fo.save[0]) {
        printf("saved %s\n", a->fo.save);
    }
    a->sim_ok = 0;
    /* where the simulation thread's time went (CPU s), its wall time, the first step's end
     * counted from the launch (options, the simulation's creation, the window, then the thread:
     * what a user waits), and steps per wall second over the whole run and after the first */
    const double *pf = a->S.prof;
    const double after_first = pf[VIZ_PROF_WALL] - pf[VIZ_PROF_FIRST];
    printf("sim_thread cpu: step_s=%.3f book_s=%.3f field_s=%.3f trace_s=%.3f snapshot_s=%.3f "
           "total_s=%.3f; wall_s=%.3f first_step_s=%.3f steps_per_s=%.2f steady_steps_per_s=%.2f\n",
           pf[VIZ_PROF_STEP], pf[VIZ_PROF_BOOK], pf[VIZ_PROF_FIELD], pf[VIZ_PROF_TRACE],
           pf[VIZ_PROF_SNAP], pf[VIZ_PROF_CPU], pf[VIZ_PROF_WALL],
           pf[VIZ_PROF_FIRST] > 0.0 ? a->S.prof_t0 - a->t_launch + pf[VIZ_PROF_FIRST] : 0.0,
           pf[VIZ_PROF_WALL] > 0.0 ? (double)steps / pf[VIZ_PROF_WALL] : 0.0,
           steps >= 2 && after_first > 0.0 ? (double)(steps - 1) / after_first : 0.0);
    printf("frames=%ld fps=%.1f sim_steps=%lld sim_time=%.6g\n", a->frames,
           elapsed > 0.0 ? (double)a->frames / elapsed : 0.0, steps, simt);
    fflush(stdout);
    return app_fail(a, a->rc);
}

void app_set_lecture(viz_app *a, int on)
{
    a->ctl.lecture = on;
    a->style = ui_style_make(on);
}

void app_rec_stop(viz_app *a)
{
    if (!a->rec.on)
        return;
    rec_stop(&a->rec);
    controls_say(&a->ctl, "recording=off %ld frames", a->rec.frames);
    if (a->rec.dropped > 0)
        controls_message(&a->ctl, 4.0,
                         "recording: %ld frames in %s; %ld more skipped (a jump of over 50 frames)",
                         a->rec.frames, a->rec.dir, a->rec.dropped);
}

/* ---- input ---- */

static void on_mouse_up(viz_app *a, const SDL_MouseButtonEvent *b)
{
    const int left = b->button == SDL_BUTTON_LEFT;
    if (!left && b->button != SDL_BUTTON_RIGHT && b->button != SDL_BUTTON_MIDDLE)
        return;
    if (camera_release(&a->cam, left) && a->ctl.arrows) { /* a click: pick a particle */
        float kx, ky;
        window_pixel_scale(&a->win, &kx, &ky);
        a->snap = simthread_snapshot(&a->S, NULL);
        controls_select(a, camera_pick(&a->cam, a->snap, (float)b->x * kx + 0.5f * kx,
                                       (float)b->y * ky + 0.5f * ky, a->dw, a->dh));
    }
    if (left)
        controls_camera_moved(a);
}

static void events(viz_app *a)
{
    SDL_Event e;
    while (!a->ctl.quit && SDL_PollEvent(&e)) {
        switch (e.type) {
        case SDL_QUIT:
            a->ctl.quit = 1;
            break;
        case SDL_KEYDOWN:
            a->snap = simthread_snapshot(&a->S, NULL);
            controls_key(a, &e.key);
            break;
        case SDL_MOUSEBUTTONDOWN:
            if (e.button.button == SDL_BUTTON_LEFT || e.button.button == SDL_BUTTON_RIGHT ||
                e.button.button == SDL_BUTTON_MIDDLE)
                camera_press(&a->cam, e.button.button == SDL_BUTTON_LEFT, e.button.x, e.button.y);
            break;
        case SDL_MOUSEBUTTONUP:
            on_mouse_up(a, &e.button);
            break;
        case SDL_MOUSEMOTION: /* (the first finger's too: one finger orbits) */
            if (!(e.motion.which == SDL_TOUCH_MOUSEID && a->fingers > 1))
                camera_motion(&a->cam, e.motion.xrel, e.motion.yrel, a->dw, a->dh);
            break;
        case SDL_FINGERDOWN:
            a->fingers++;
            break;
        case SDL_FINGERUP:
            a->fingers = a->fingers > 0 ? a->fingers - 1 : 0;
            break;
        case SDL_MULTIGESTURE: /* two fingers pinch: zoom (and no orbit meanwhile) */
            camera_pinch(&a->cam, e.mgesture.dDist);
            break;
        case SDL_MOUSEWHEEL:
            camera_wheel(&a->cam, e.wheel.y);
            break;
        default:
            break;
        }
    }
}

/* ---- the simulation's side ---- */

/* Pacing of the arrows on a software rasteriser: a new snapshot's arrows are drawn at most
 * every ARROW_PACE_S seconds per particle. Each such redraw costs llvmpipe ~1.4 us of CPU per
 * particle (N = 2e4 at 1280x720: ~27 ms, measured with the arrow cache off), which at 15 steps
 * a second would take 0.4 of a core from the simulation; 5 us per particle keeps it at about a
 * quarter of one core: N = 2e4 at most 10 times a second (while the window draws ~30), N = 1e5
 * twice, N <= 7000 every frame. The picture then lags the simulation by at most that period;
 * a paused or finished simulation, a reset and a new colouring are shown at once. */
#define ARROW_PACE_S 5e-6

static int arrows_due(const viz_app *a, const viz_snapshot *s)
{
    if (a->ctl.colour != a->uploaded_colour || s->gen != a->uploaded_gen || s->paused ||
        s->at_limit || !a->win.software)
        return 1;
    return viz_now() - a->uploaded_t >= ARROW_PACE_S * (double)s->n;
}

/* The newest snapshot and streamlines, uploaded when new (or the colouring changed). While the
 * arrow cache is in use new streamlines wait for the next new arrows (at most ARROW_PACE_S x N,
 * on a software rasteriser) unless the arrows shown are the newest: the cache holds their heads,
 * and new heads alone would cost a redraw of the arrows more. */
static void take_snapshots(viz_app *a)
{
    const viz_snapshot *s = a->snap = simthread_snapshot(&a->S, NULL);
    const viz_streams *st = a->streams = simthread_streams(&a->S, NULL);
    int arrows_new = 0;
    if (s->seq && (s->seq != a->uploaded_seq || a->ctl.colour != a->uploaded_colour) &&
        arrows_due(a, s)) {
        render_set_particles(&a->R, s, a->ctl.colour);
        a->uploaded_seq = s->seq;
        a->uploaded_colour = a->ctl.colour;
        a->uploaded_gen = s->gen;
        a->uploaded_t = viz_now();
        arrows_new = 1;
    }
    const int streams_due = arrows_new || s->seq == a->uploaded_seq ||
                            !render_caches(&a->R, a->ctl.arrows);
    if (st->seq && st->seq != a->uploaded_stream_seq && streams_due) {
        render_set_streams(&a->R, st);
        a->uploaded_stream_seq = st->seq;
    }
}

/* Results of F5 / F9 (in the simulation thread): on screen; a load syncs the controls. */
static void io_results(viz_app *a)
{
    const viz_snapshot *s = a->snap;
    if (!s->seq || s->io_seq == a->io_seen)
        return;
    a->io_seen = s->io_seq;
    controls_message(&a->ctl, 4.0, "%s", s->io_msg);
#ifdef __EMSCRIPTEN__ /* F5 on a page: the saved state as a download */
    if (s->io_ok && s->io_kind == CMD_SAVE)
        web_download(STATE_FILE, "application/octet-stream");
#endif
    if (s->io_ok && s->io_kind == CMD_LOAD) {
        controls_loaded(&a->ctl, s);
        printf("loaded t=%g n=%d\n", s->diag.t, s->n);
        fflush(stdout);
    }
}

/* A scripted run (--frames): its last frame, which waits for --sim-steps and its streamlines. */
static void scripted_last(viz_app *a)
{
    const viz_snapshot *s = a->snap;
    const viz_streams *st = a->streams;
    a->last = a->vo.frames && a->frames + 1 >= a->vo.frames;
    a->waiting = 0;
    if (a->last && !a->ctl.quit && a->vo.sim_steps > 0 &&
        !(s->seq && s->total_steps >= a->vo.sim_steps &&
          (!a->ctl.view.streams || (st->seq && st->total_steps >= s->total_steps)))) {
        a->last = 0; /* keep drawing until step K and its streamlines are there */
        a->waiting = 1;
    }
    if (a->last && a->vo.screenshot[0] && !a->final_capture)
        snprintf(a->ctl.shot, sizeof a->ctl.shot, "%s", a->vo.screenshot);
}

/* ---- drawing ---- */

/* Clear to the background: black in lecture mode, else a vertical gradient drawn as BG_BANDS
 * scissored clears (a step of at most one 8-bit level between bands, so it looks the same as
 * a shaded full-window quad, which cost llvmpipe ~8 ms of CPU per frame at 1280x720). */
#define BG_BANDS 48
static void background(int w, int h, int lecture)
{
    glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
    glClear(GL_DEPTH_BUFFER_BIT | (lecture || h <= 0 ? GL_COLOR_BUFFER_BIT : 0));
    if (lecture || h <= 0)
        return;
    const float top[3] = {0.16f, 0.17f, 0.21f}, bot[3] = {0.06f, 0.06f, 0.08f};
    glEnable(GL_SCISSOR_TEST);
    for (int b = 0; b < BG_BANDS; b++) { /* b = 0 at the bottom of the window */
        const int y0 = (int)((long)h * b / BG_BANDS), y1 = (int)((long)h * (b + 1) / BG_BANDS);
        if (y1 <= y0)
            continue;
        const float t = (0.5f * (float)(y0 + y1)) / (float)h; /* 0 bottom, 1 top */
        glScissor(0, y0, w, y1 - y0);
        glClearColor(bot[0] + t * (top[0] - bot[0]), bot[1] + t * (top[1] - bot[1]),
                     bot[2] + t * (top[2] - bot[2]), 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
    }
    glDisable(GL_SCISSOR_TEST);
}

static void draw_scene(viz_app *a, viz_render_view *v)
{
    const int lecture = a->ctl.lecture, dh = a->dh;
    const float px = roundf((float)dh / 50.0f * (lecture ? 1.45f : 1.0f));
    hud_set_px(&a->H, fmaxf(12.0f, fminf(lecture ? 44.0f : 30.0f, px)));
    glViewport(0, 0, a->dw, dh);
    camera_view(&a->cam, a->dw, dh, v);
    /* A scripted run's dashes move with its frame count, and its last frame shows them at
     * frame K - 1 however many frames waited for --sim-steps: the same picture every run. */
    v->time = a->vo.frames ? (float)(a->frames < a->vo.frames ? a->frames : a->vo.frames - 1) / 60.0f
                           : (float)(viz_now() - a->t_start);
    const viz_snapshot *s = a->snap;
    const viz_scene_opts so = {a->ctl.arrows, a->ctl.view.streams, 1, 1,
                           s->seq ? s->radius + s->r : 1.0, a->ctl.colour,
                           s->seq ? &s->params.field : NULL, s->seq ? s->params.aspect : 1.0,
                           lecture ? 2.0f : 1.0f, s->seq && s->sel >= 0 ? s : NULL};
    /* the arrow cache's copy covers the whole window (the view is the window): no clear */
    if (!(v->x == 0 && v->y == 0 && v->w == a->dw && v->h == dh && render_scene_cached(&a->R, v, &so))) {
        background(a->dw, dh, lecture);
        prof_mark(&a->prof, PROF_CLEAR);
    }
    render_scene(&a->R, v, &so);
}

/* Window pixels (origin top left) of a point of the scene; x < -1e5 when behind the camera. */
static void project(const viz_render_view *v, const float p[3], int dw, int dh, float out[2])
{
    vec4 vpt = {0, 0, (float)dw, (float)dh};
    vec3 o;
    glm_project((float *)p, (vec4 *)v->vp, vpt, o);
    out[0] = o[0];
    out[1] = (float)dh - o[1];
    if (o[2] > 1.0f || o[2] < 0.0f)
        out[0] = -1e6f;
}

/* The overlay's positions: the gizmo (drawn here), the axis tips, the picked particle. */
static void place_overlay(viz_app *a, const viz_render_view *v, viz_ui_info *u)
{
    const int dh = a->dh;
    const int gs = (int)fminf(170.0f, 0.22f * (float)dh);
    const double zero[3] = {0, 0, 0};
    render_gizmo(&a->R, v, 8, (int)(1.6f * a->H.line_h) + 8, gs, dh,
                 a->snap->seq ? a->snap->diag.H : zero, u->gizmo_labels);
    u->gizmo_x = 8;
    u->gizmo_y = dh - gs - (int)(1.6f * a->H.line_h) - 8;
    u->gizmo_size = gs;
    const float tips[3][3] = {{1.36f, 0, 0}, {0, 1.36f, 0}, {0, 0, 1.36f}};
    for (int k = 0; k < 3; k++)
        project(v, tips[k], a->dw, dh, u->axis_labels[k]);
    u->axes_visible = 1;
    u->pick_xy[0] = -1e6f;
    const viz_snapshot *s = a->snap;
    if (s->seq && s->sel >= 0 && s->sel < s->n)
        project(v, s->pos + 3 * s->sel, a->dw, dh, u->pick_xy);
}

static float fade(double until, double now, double secs)
{
    return (float)fmin(1.0, (until - now) / secs);
}

/* The overlay that captures show unless clean (the HUD, plot, captions, gizmo); u is kept for
 * the window-only layer drawn after the captures. */
static void draw_overlay(viz_app *a, const viz_render_view *v, viz_ui_info *up)
{
    viz_ui_info u;
    memset(&u, 0, sizeof u);
    place_overlay(a, v, &u);
    const viz_controls *c = &a->ctl;
    const double now = viz_now();
    u.snap = a->snap;
    u.streams = a->streams;
    u.fps = a->fps > 0.0 ? a->fps
            : a->frames > 0 ? (double)a->frames / fmax(1e-3, now - a->t_start) : 0.0;
    u.colour_mode = c->colour;
    u.arrow_draw = !c->arrows ? "" : render_uses_impostors(&a->R) ? "impostors" : "mesh";
    u.arrows = c->arrows;
    u.streams_on = c->view.streams;
    u.slice = c->view.slice;
    u.preset = c->preset;
    u.plot_visible = c->plot;
    if (now < c->msg_until) {
        u.message = c->msg;
        u.message_alpha = fade(c->msg_until, now, 0.4);
    }
    u.units_panel = c->units_panel;
    u.units_text = a->units_text;
    if (now < c->caption_until && c->caption[0]) {
        u.caption = c->caption;
        u.caption_alpha = fade(c->caption_until, now, 0.4);
    }
    u.recording = a->rec.on;
    u.rec_frames = a->rec.frames;
    u.rec_dir = a->rec.dir;
    u.help_alpha = c->help_forced ? 1.0f : now < c->help_until ? fade(c->help_until, now, 0.8) : 0.0f;
    u.help_n = controls_help_rows();
    u.help_row = controls_help_row;
    hud_begin(&a->H, a->dw, a->dh);
    ui_draw(&a->H, &a->style, &u);
    hud_flush(&a->H);
    *up = u;
}

/* What only the person at the window sees, drawn after the captures: the help box and the REC
 * label are never in a recording or a screenshot. */
static void draw_window_only(viz_app *a, const viz_ui_info *u)
{
    hud_begin(&a->H, a->dw, a->dh);
    ui_draw_window_only(&a->H, &a->style, u);
    hud_flush(&a->H);
}

/* ---- captures ---- */

static void captures(viz_app *a)
{
    char err[1200];
    if (a->ctl.rec_toggle && a->snap->seq) {
        a->ctl.rec_toggle = 0;
        if (a->rec.on) {
        } else if (rec_start(&a->rec, a->snap, a->dw, a->dh, err, sizeof err)) {
            fprintf(stderr, "ferroviz: %s\n", err);
            controls_message(&a->ctl, 3.0, "%s", err);
        } else {
            controls_say(&a->ctl, "recording=on %s%s", a->rec.dir,
                         a->rec.pipe ? "/ferroviz.mp4" : "");
        }
    }
    if (rec_frame(&a->rec, a->snap, err, sizeof err)) {
        fprintf(stderr, "ferroviz: %s\n", err);
        app_rec_stop(a);
    }
    char *shot = a->ctl.shot;
    if (!shot[0])
        return;
    const int end = a->final_capture || a->last;
    if (capture_png(shot, a->dw, a->dh)) {
        fprintf(stderr, "ferroviz: cannot write %s\n", shot);
        if (end)
            a->rc = 1;
    } else {
        printf("screenshot %s\n", shot);
        fflush(stdout);
#ifdef __EMSCRIPTEN__ /* P on a page: the PNG as a download */
        web_download(shot, "image/png");
#endif
        if (!end)
            controls_message(&a->ctl, 2.0, "saved %s", shot);
    }
    if (end)
        a->captured_last = 1;
    shot[0] = '\0';
}

/* ---- one frame ---- */

static void count_frame(viz_app *a)
{
    const double now = viz_now();
    a->frames++;
    if (a->frames == WARM_FRAMES) {
        a->t_warm = now;
        a->cpu_warm = viz_cpu_now();
    }
    a->fps_frames++;
    if (now - a->fps_t0 >= 0.5) {
        a->fps = (double)a->fps_frames / (now - a->fps_t0);
        a->fps_t0 = now;
        a->fps_frames = 0;
    }
}

int app_frame(viz_app *a)
{
    a->frame_t0 = viz_now();
    events(a);
    if (a->ctl.quit && !a->final_capture && a->vo.screenshot[0] && !a->captured_last) {
        a->final_capture = 1; /* one more frame, written to --screenshot */
        snprintf(a->ctl.shot, sizeof a->ctl.shot, "%s", a->vo.screenshot);
    }
    if (atomic_load(&a->S.failed)) {
        fprintf(stderr, "ferroviz: simulation stopped: %s\n", a->S.err);
        a->rc = 1;
        return 1;
    }
    take_snapshots(a);
    prof_mark(&a->prof, PROF_INPUT);
    scripted_last(a);
    window_drawable_size(&a->win, &a->dw, &a->dh);
    viz_render_view v;
    viz_ui_info u;
    draw_scene(a, &v);
    io_results(a);
    if (a->ctl.clean_capture)
        captures(a); /* the scene alone */
    draw_overlay(a, &v, &u);
    if (!a->ctl.clean_capture)
        captures(a);
    draw_window_only(a, &u);
    prof_mark(&a->prof, PROF_OVERLAY);
    window_swap(&a->win);
    prof_mark(&a->prof, PROF_SWAP);
    prof_frame(&a->prof, a->frames < WARM_FRAMES);
    count_frame(a);
    if (a->final_capture)
        return 1;
    if (a->last)
        a->ctl.quit = 1;
    return a->ctl.quit && (!a->vo.screenshot[0] || a->captured_last);
}

#define CATCH_UP 4
double app_frame_pause(viz_app *a)
{
    /* at most --max-fps frames/s, also with --frames (benchmarks see what a user sees): the
     * rest of the CPU goes to the simulation; a scripted run waiting for step K: at most ~15/s
     * (the simulation thread is niced below us). Frames start on a grid of 1/fps, so that a
     * late frame (one that redraws the arrows: N = 1e5 ~80 ms) is made up by shorter pauses
     * after it; more than CATCH_UP periods behind, the grid starts again from now. */
    const double fps = a->waiting ? 15.0 : a->vo.max_fps;
    if (!(fps > 0.0))
        return 0.0;
    const double period = 1.0 / fps, now = viz_now();
    double due = a->frame_due + period;
    if (due < now - CATCH_UP * period || due > now + period)
        due = fmax(now, a->frame_t0 + period);
    a->frame_due = due;
    return due > now ? due - now : 0.0;
}

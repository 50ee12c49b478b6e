/* main.c — ferroviz: options, window, event loop, keys, the controller that turns keys into
 * commands for the simulation thread (printing one "set NAME=VALUE" line per change), and
 * screenshots. */
#include "ferro/field.h"
#include "ferro/scenario.h"
#include "ferro/sim.h"
#include "ferro/units.h"
#include "gl.h"
#include "hud.h"
#include "render.h"
#include "simthread.h"
#include "ui.h"
#include "util.h"

#include <SDL2/SDL.h>
#include <cglm/cglm.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wpedantic"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#pragma GCC diagnostic pop

#define EPS_MIN 1e-6
#define EPS_MAX 1e6
#define B_MAX 1e3
#define H_MAX 100.0
#define H_STEP 1.25
#define TURN_DEG 15.0
#define RATE_MAX 3840.0
#define ASPECT_STEP 1.25
#define ASPECT_MIN 0.1
#define ASPECT_MAX 10.0
#define DR_MAX 100.0
#define SWEEP_PERIOD 20.0
#define REC_DT 0.02          /* recording: one frame per 0.02 units of simulation time */
#define STATE_FILE "ferroviz-state.bin"
#define SIM_NICE 10          /* default nice value of the simulation thread */
#define WARM_FRAMES 10       /* frames left out of the steady frame time printed at exit */

static const char *PRESETS[5] = {"switch-off", "rotating", "magnet", "aligned", "large-N"};

int viz_glx_drawable_size(int *w, int *h); /* glxsize.c */

/* ---- options ---- */

typedef struct viz_opts {
    int w, h, fullscreen;
    long frames;          /* 0 = until quit */
    char screenshot[1024];
    long long sim_steps;
    double rate;
    int rate_set;
    char preset[64];
    int lecture;
    int arrow_draw;       /* ARROWS_* */
    int sim_nice;         /* nice value of the simulation thread */
} viz_opts;

static const fr_extra_option EXTRA[] = {
    {"size", 1}, {"fullscreen", 0}, {"frames", 1}, {"screenshot", 1}, {"sim-steps", 1},
    {"rate", 1}, {"lecture", 0}, {"arrow-draw", 1}, {"sim-nice", 1}, {NULL, 0},
};

static int extra_cb(void *ctx, const char *name, const char *value, char *err, size_t errlen)
{
    viz_opts *o = ctx;
    char *end;
    if (!strcmp(name, "size")) {
        errno = 0;
        const long w = strtol(value, &end, 10);
        if (end == value || (*end != 'x' && *end != 'X'))
            goto bad_size;
        const char *hs = end + 1;
        const long hh = strtol(hs, &end, 10);
        if (end == hs || *end || errno || w < 64 || hh < 64 || w > 16384 || hh > 16384)
            goto bad_size;
        o->w = (int)w;
        o->h = (int)hh;
        return 0;
    bad_size:
        snprintf(err, errlen, "expected WxH with 64 <= W, H <= 16384, got '%s'", value);
        return -1;
    }
    if (!strcmp(name, "fullscreen")) {
        o->fullscreen = 1;
        return 0;
    }
    if (!strcmp(name, "lecture")) {
        o->lecture = 1;
        return 0;
    }
    if (!strcmp(name, "sim-nice")) {
        errno = 0;
        const long v = strtol(value, &end, 10);
        if (end == value || *end || errno || v < 0 || v > 19) {
            snprintf(err, errlen, "expected an integer in [0, 19], got '%s'", value);
            return -1;
        }
        o->sim_nice = (int)v;
        return 0;
    }
    if (!strcmp(name, "arrow-draw")) {
        for (int m = 0; m < ARROW_MODES; m++)
            if (!strcmp(value, render_arrow_mode_name(m))) {
                o->arrow_draw = m;
                return 0;
            }
        snprintf(err, errlen, "expected auto, mesh or impostor, got '%s'", value);
        return -1;
    }
    if (!strcmp(name, "frames") || !strcmp(name, "sim-steps")) {
        errno = 0;
        const long long v = strtoll(value, &end, 10);
        if (end == value || *end || errno || v < 1 || v > 1000000000LL) {
            snprintf(err, errlen, "expected an integer in [1, 1e9], got '%s'", value);
            return -1;
        }
        if (name[0] == 'f')
            o->frames = (long)v;
        else
            o->sim_steps = v;
        return 0;
    }
    if (!strcmp(name, "screenshot")) {
        if (!*value || strlen(value) >= sizeof o->screenshot) {
            snprintf(err, errlen, "bad file name '%s'", value);
            return -1;
        }
        strcpy(o->screenshot, value);
        return 0;
    }
    if (!strcmp(name, "rate")) {
        errno = 0;
        const double v = strtod(value, &end);
        if (end == value || *end || !isfinite(v) || v < 0.0 || v > 1e6) {
            snprintf(err, errlen, "expected steps per second in [0, 1e6] (0 = unlimited), got '%s'",
                     value);
            return -1;
        }
        o->rate = v;
        o->rate_set = 1;
        return 0;
    }
    snprintf(err, errlen, "unknown option");
    return -1;
}

static int preset_path(const char *name, char *out, size_t cap, char *err, size_t errlen)
{
    int known = 0;
    for (int i = 0; i < 5; i++)
        known |= !strcmp(name, PRESETS[i]);
    if (!known) {
        snprintf(err, errlen,
                 "--preset: unknown preset '%s' (switch-off, rotating, magnet, aligned, large-N)",
                 name);
        return -1;
    }
    char file[128], tried[4096];
    snprintf(file, sizeof file, "%s.scenario", name);
    if (viz_find_file("FERROVIZ_ASSETS_DIR", "assets", file, out, cap, tried, sizeof tried)) {
        snprintf(err, errlen, "--preset %s: file %s not found (tried %.600s)", name, file, tried);
        return -1;
    }
    return 0;
}

static void usage(void)
{
    printf("Usage: ferroviz [options]\n"
           "The real-time visualizer of the ferrofluid model. Scenario options as ferrosim:\n\n%s\n"
           "ferroviz:\n"
           "  --preset NAME         switch-off, rotating, magnet, aligned or large-N (a scenario\n"
           "                        file in assets/; the other options override it)\n"
           "  --size WxH            window size (default 1280x800)\n"
           "  --fullscreen          start in fullscreen\n"
           "  --frames K            quit after K frames\n"
           "  --screenshot FILE     write the last frame as PNG on exit\n"
           "  --sim-steps K         stop the simulation after K steps; with --frames the last\n"
           "                        frame waits for step K and its streamlines (reproducible)\n"
           "  --rate R              at most R simulation steps per second, 0 = unlimited\n"
           "                        (default 60)\n"
           "  --lecture             lecture mode: big text, thick lines, high contrast (key L)\n"
           "  --arrow-draw MODE     particle arrows as mesh (instanced, level of detail),\n"
           "                        impostor (one ray-cast triangle each) or auto (impostors\n"
           "                        above %d particles; the default) (key T cycles)\n"
           "  --sim-nice K          nice value of the simulation thread, 0..19 (default %d):\n"
           "                        the window's frame rate comes first\n"
           "  (also used here: --aspect, --brownian, --sweep; --units FILE for the physical\n"
           "  units panel (key U); --load FILE to start from a saved state, --save FILE to\n"
           "  write the state on exit)\n"
           "Keys: press F1 or ? in the window. Exit status 2 on bad input or without a display.\n",
           fr_options_usage(), IMPOSTOR_AUTO_N, SIM_NICE);
}

/* Parse: --preset NAME becomes --scenario FILE. Exit status 2 on error. */
static int parse_args(int argc, char **argv, fr_options *fo, viz_opts *vo)
{
    memset(vo, 0, sizeof *vo);
    vo->w = 1280;
    vo->h = 800;
    vo->rate = 60.0;
    vo->sim_nice = SIM_NICE;
    char **av = calloc((size_t)argc + 1, sizeof *av);
    char path[4096], err[1024];
    if (!av) {
        fprintf(stderr, "ferroviz: out of memory\n");
        return 2;
    }
    int ac = 0, has_scenario = 0, has_preset = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (i > 0 && (!strcmp(a, "--scenario") || !strncmp(a, "--scenario=", 11)))
            has_scenario = 1;
        if (i > 0 && (!strcmp(a, "--preset") || !strncmp(a, "--preset=", 9))) {
            const char *name = NULL;
            if (a[8] == '=')
                name = a + 9;
            else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2))
                name = argv[++i];
            if (!name || !*name) {
                fprintf(stderr, "ferroviz: --preset: missing value\n");
                free(av);
                return 2;
            }
            if (has_preset) {
                fprintf(stderr, "ferroviz: --preset: given more than once\n");
                free(av);
                return 2;
            }
            if (preset_path(name, path, sizeof path, err, sizeof err)) {
                fprintf(stderr, "ferroviz: %s\n", err);
                free(av);
                return 2;
            }
            snprintf(vo->preset, sizeof vo->preset, "%s", name);
            has_preset = 1;
            av[ac++] = "--scenario";
            av[ac++] = path;
            continue;
        }
        av[ac++] = argv[i];
    }
    if (has_preset && has_scenario) {
        fprintf(stderr, "ferroviz: --preset and --scenario cannot be combined\n");
        free(av);
        return 2;
    }
    fr_options_default(fo);
    const int rc = fr_options_parse(fo, ac, av, EXTRA, extra_cb, vo, err, sizeof err);
    free(av);
    if (rc) {
        fprintf(stderr, "ferroviz: %s\n", err);
        return 2;
    }
    return 0;
}

/* CPU time of the process (all threads), s */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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

/* ---- the application ---- */

typedef struct app {
    viz_opts vo;
    fr_options fo;
    SDL_Window *win;
    SDL_GLContext ctx;
    renderer R;
    hud H;
    simthread S;
    int render_ok, hud_ok, sim_ok;
    /* camera */
    float yaw, pitch, dist;
    vec3 target;
    int drag, pan;
    /* view state */
    int arrows, streams, slice, colour, plot, help_forced, fullscreen;
    float slice_yaw;               /* camera azimuth the slice plane was set for */
    double help_until, t0;
    char msg[512];
    double msg_until;
    char preset[64];
    /* controller: the live parameters as requested */
    fr_params cur, scen;
    double hdir[3];
    int paused;
    double rate;
    int off_state;                 /* requested field-off state, valid while its id is pending */
    unsigned long long off_id;
    uint64_t uploaded_seq, uploaded_stream_seq;
    int uploaded_colour;
    /* lecture tools */
    int lecture, units_panel;
    char units_text[4096];
    unsigned io_seen;
    /* picking: press position and how far the mouse moved since */
    int press_x, press_y, press_moved;
    int sel;
    /* recording */
    int rec, rec_toggle;
    char rec_dir[512];
    long rec_frames, rec_dropped;
    double rec_next;
    uint64_t rec_gen;
    FILE *rec_pipe;
    int rec_w, rec_h;
} app;

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The last action as an on-screen caption ("ε = 0.005") for CAPTION_S seconds. */
#define CAPTION_S 1.5
static char g_caption[600];
static double g_caption_until;

static int is_switch(const char *name)
{
    static const char *sw[] = {"interactions", "streamlines", "slice", "arrows", "plot",
                               "lecture", "units-panel", "fullscreen"};
    for (size_t k = 0; k < sizeof sw / sizeof sw[0]; k++)
        if (!strcmp(name, sw[k]))
            return 1;
    return 0;
}

static void caption_from(const char *line)
{
    static const char *names[][2] = {
        {"eps", "ε"},          {"phi", "φ"},           {"brownian", "Brownian D_r"},
        {"aspect", "aspect a"}, {"rotating", "rotating H0,ω"}, {"sweep", "sweep H0,period"},
        {"interactions", "interactions"}, {"streamlines", "streamlines"},
        {"rate", "max steps/s"}, {"select", "particle"},
    };
    char name[64];
    const char *eq = strchr(line, '=');
    if (!eq) {
        snprintf(g_caption, sizeof g_caption, "%s", line);
    } else {
        size_t n = (size_t)(eq - line);
        if (n >= sizeof name)
            n = sizeof name - 1;
        memcpy(name, line, n);
        name[n] = '\0';
        const char *val = eq + 1, *shown = name;
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            if (!strcmp(name, names[k][0]))
                shown = names[k][1];
        if (!strcmp(name, "paused"))
            snprintf(g_caption, sizeof g_caption, "%s", !strcmp(val, "1") ? "paused" : "running");
        else if (is_switch(name) && (!strcmp(val, "1") || !strcmp(val, "0")))
            snprintf(g_caption, sizeof g_caption, "%s %s", shown, !strcmp(val, "1") ? "on" : "off");
        else if (!strcmp(name, "reset"))
            snprintf(g_caption, sizeof g_caption, "reset");
        else
            snprintf(g_caption, sizeof g_caption, "%s = %s", shown, val);
    }
    g_caption_until = viz_now() + CAPTION_S;
}

static void say(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    printf("set %s\n", line);
    fflush(stdout);
    caption_from(line);
}

static void message(app *a, double secs, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->msg, sizeof a->msg, fmt, ap);
    va_end(ap);
    a->msg_until = viz_now() + secs;
}

static void say_field(const fr_field *f)
{
    if (f->rotating)
        say("rotating=%g,%g", f->rot_H0, f->rot_omega);
    else if (f->sweep)
        say("sweep=%g,%g", f->sweep_H0, f->sweep_period);
    else
        say("H=%g,%g,%g", f->H0[0], f->H0[1], f->H0[2]);
    if (f->grad_g != 0.0)
        say("grad=%g", f->grad_g);
    if (f->has_magnet)
        say("magnet=%g,%g,%g@%g,%g,%g", f->magnet_m[0], f->magnet_m[1], f->magnet_m[2],
            f->magnet_p[0], f->magnet_p[1], f->magnet_p[2]);
}

/* The parts of the field that differ between o and f (after a reset or a preset). */
static void say_field_diff(const fr_field *o, const fr_field *f)
{
    if (f->rotating && (!o->rotating || o->rot_H0 != f->rot_H0 || o->rot_omega != f->rot_omega))
        say("rotating=%g,%g", f->rot_H0, f->rot_omega);
    if (!f->rotating && (o->rotating || memcmp(o->H0, f->H0, sizeof f->H0)))
        say("H=%g,%g,%g", f->H0[0], f->H0[1], f->H0[2]);
    if (f->sweep && (!o->sweep || o->sweep_H0 != f->sweep_H0 || o->sweep_period != f->sweep_period))
        say("sweep=%g,%g", f->sweep_H0, f->sweep_period);
    if (!f->sweep && o->sweep)
        say("sweep=none");
    if (o->grad_g != f->grad_g)
        say("grad=%g", f->grad_g);
    if (f->has_magnet && (!o->has_magnet || memcmp(o->magnet_m, f->magnet_m, sizeof f->magnet_m) ||
                          memcmp(o->magnet_p, f->magnet_p, sizeof f->magnet_p)))
        say("magnet=%g,%g,%g@%g,%g,%g", f->magnet_m[0], f->magnet_m[1], f->magnet_m[2],
            f->magnet_p[0], f->magnet_p[1], f->magnet_p[2]);
    if (!f->has_magnet && o->has_magnet)
        say("magnet=none");
    if (f->has_switch_off && (!o->has_switch_off || o->t_off != f->t_off))
        say("switch-off=%g", f->t_off);
    if (!f->has_switch_off && o->has_switch_off)
        say("switch-off=none");
}

static unsigned long long push(app *a, viz_cmd *c)
{
    const unsigned long long id = simthread_push(&a->S, c);
    if (!id)
        fprintf(stderr, "ferroviz: command queue full, command dropped\n");
    return id;
}

static unsigned long long push_kind(app *a, viz_cmd_kind kind, int n)
{
    viz_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    if (kind == CMD_PAUSE)
        c.u.paused = n;
    else
        c.u.steps = n;
    return push(a, &c);
}

/* Every live parameter as requested; off: what happens to the switch-off (viz_off_mode). */
static unsigned long long push_params(app *a, viz_off_mode off)
{
    viz_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = CMD_PARAMS;
    c.u.params.p = a->cur;
    c.u.params.off = off;
    return push(a, &c);
}

/* What the simulation thread computes for the window (streamlines, slice, picked particle)
 * and its pace; the slice plane contains z and faces the camera. */
static void push_view(app *a)
{
    viz_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = CMD_VIEW;
    c.u.view = (viz_view){.streams = a->streams, .slice = a->slice,
                          .slice_phi = glm_rad(a->slice_yaw), .rate = a->rate, .sel = a->sel};
    push(a, &c);
}

/* The same, with the slice plane turned to face the camera. */
static void push_view_facing(app *a)
{
    a->slice_yaw = a->yaw;
    push_view(a);
}

static int field_is_off(app *a, const viz_snapshot *s)
{
    if (a->off_id && s->applied_id < a->off_id)
        return a->off_state;
    a->off_id = 0;
    return fr_field_is_off(&s->params.field, s->diag.t);
}

static double norm3(const double v[3]) { return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }

static void set_hdir(app *a, const fr_params *p)
{
    const double n = norm3(p->field.H0);
    if (n > 0.0)
        for (int c = 0; c < 3; c++)
            a->hdir[c] = p->field.H0[c] / n;
}

/* |H| up (k > 1) or down: every part of the field, clamped. */
static void scale_field(app *a, double k)
{
    fr_field *f = &a->cur.field;
    const double n = norm3(f->H0);
    if (!fr_field_any(f) && k > 1.0) {
        for (int c = 0; c < 3; c++)
            f->H0[c] = 0.1 * a->hdir[c];
    } else {
        double nn = n * k;
        if (nn > H_MAX)
            nn = H_MAX;
        if (nn < 0.01 && k < 1.0)
            nn = 0.0;
        for (int c = 0; c < 3; c++)
            f->H0[c] = n > 0.0 ? f->H0[c] / n * nn : 0.0;
        f->rot_H0 = fmin(f->rot_H0 * k, H_MAX);
        if (fabs(f->rot_H0) < 0.01 && k < 1.0)
            f->rot_H0 = 0.0;
        f->grad_g = fmax(fmin(f->grad_g * k, H_MAX), -H_MAX);
        f->sweep_H0 = fmin(f->sweep_H0 * k, H_MAX);
        const double mm = norm3(f->magnet_m);
        if (mm > 0.0 && mm * k <= 1e4)
            for (int c = 0; c < 3; c++)
                f->magnet_m[c] *= k;
    }
    push_params(a, CMD_OFF_KEEP);
    say_field(f);
}

/* Rotate v by angle about the unit axis k (Rodrigues). */
static void rotate(double v[3], const double k[3], double angle)
{
    const double c = cos(angle), s = sin(angle), kv = k[0] * v[0] + k[1] * v[1] + k[2] * v[2];
    const double x[3] = {k[1] * v[2] - k[2] * v[1], k[2] * v[0] - k[0] * v[2],
                         k[0] * v[1] - k[1] * v[0]};
    const double n = norm3(v);
    for (int i = 0; i < 3; i++) {
        v[i] = v[i] * c + x[i] * s + k[i] * kv * (1.0 - c);
        if (fabs(v[i]) < 1e-12 * n)
            v[i] = 0.0;
    }
}

/* Left/Right: about the vertical axis z. Up/Down: the polar angle towards +z / -z, clamped at
 * the poles; leaving a pole, the field tilts towards the camera's right. */
static void turn(double v[3], double dphi, double dtheta, const double cam_right[3])
{
    const double n = norm3(v);
    if (!(n > 0.0))
        return;
    if (dphi != 0.0) {
        const double z[3] = {0, 0, 1};
        rotate(v, z, dphi);
    }
    if (dtheta != 0.0) {
        const double th0 = acos(fmax(-1.0, fmin(1.0, v[2] / n)));
        const double th = fmax(0.0, fmin(M_PI, th0 + dtheta));
        double ph = atan2(v[1], v[0]);
        if (sin(th0) < 1e-9)
            ph = atan2(cam_right[1], cam_right[0]);
        v[0] = n * sin(th) * cos(ph);
        v[1] = n * sin(th) * sin(ph);
        v[2] = n * cos(th);
        for (int i = 0; i < 3; i++)
            if (fabs(v[i]) < 1e-12 * n)
                v[i] = 0.0;
    }
}

static void turn_field(app *a, double dphi, double dtheta)
{
    fr_field *f = &a->cur.field;
    /* the camera's right vector (for turning a vertical field) */
    const float cy = cosf(glm_rad(a->yaw)), sy = sinf(glm_rad(a->yaw));
    const double right[3] = {-sy, cy, 0.0};
    if (norm3(f->H0) > 0.0 && !f->rotating) {
        turn(f->H0, dphi, dtheta, right);
        set_hdir(a, &a->cur);
    } else if (f->has_magnet) {
        turn(f->magnet_m, dphi, dtheta, right);
    } else {
        turn(a->hdir, dphi, dtheta, right);
        message(a, 2.0, "no uniform field to turn (H up sets one along the new direction)");
        return;
    }
    push_params(a, CMD_OFF_KEEP);
    say_field(f);
}

/* Camera distance: the cloud, and the magnet if there is one. */
static void fit_camera(app *a, const fr_params *p)
{
    double extent = 1.45;
    if (p->field.has_magnet)
        extent = fmax(extent, norm3(p->field.magnet_p) + 0.35);
    a->dist = (float)(4.6 * extent / 1.45);
    a->target[0] = a->target[1] = a->target[2] = 0.0f;
}

/* Restart with params p (reset or preset): prints what changes. */
static void restart(app *a, const fr_params *p)
{
    viz_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = CMD_RESET;
    c.u.params.p = *p;
    if (!push(a, &c))
        return;
    const fr_params o = a->cur;
    a->cur = *p;
    a->off_id = 0;
    set_hdir(a, p);
    if (o.n != p->n)
        say("n=%d", p->n);
    if (o.phi != p->phi)
        say("phi=%g", p->phi);
    if (o.eps != p->eps)
        say("eps=%g", p->eps);
    if (o.b != p->b)
        say("b=%g", p->b);
    if (o.interactions != p->interactions)
        say("interactions=%d", p->interactions);
    say_field_diff(&o.field, &p->field);
    if (o.seed != p->seed)
        say("seed=%llu", (unsigned long long)p->seed);
    if (o.dt != p->dt)
        say("dt=%g", p->dt);
    if (o.init != p->init)
        say("init=%s", p->init == FR_INIT_ALIGNED ? "aligned" : "random");
    if (o.aspect != p->aspect)
        say("aspect=%g", p->aspect > 0.0 ? p->aspect : 1.0);
    if (o.brownian != p->brownian)
        say("brownian=%g", p->brownian);
}

static void load_preset(app *a, int k)
{
    char path[4096], err[1024];
    if (preset_path(PRESETS[k], path, sizeof path, err, sizeof err)) {
        fprintf(stderr, "ferroviz: %s\n", err);
        message(a, 4.0, "%s", err);
        return;
    }
    fr_options fo;
    viz_opts dummy;
    memset(&dummy, 0, sizeof dummy);
    char *av[3] = {"ferroviz", "--scenario", path};
    fr_options_default(&fo);
    if (fr_options_parse(&fo, 3, av, EXTRA, extra_cb, &dummy, err, sizeof err)) {
        fprintf(stderr, "ferroviz: preset %s: %s\n", PRESETS[k], err);
        message(a, 4.0, "preset %s: %s", PRESETS[k], err);
        return;
    }
    say("preset=%s", PRESETS[k]);
    snprintf(a->preset, sizeof a->preset, "%s", PRESETS[k]);
    a->scen = fo.p;
    restart(a, &fo.p);
    fit_camera(a, &fo.p);
    message(a, 2.5, "preset %s (N = %d)", PRESETS[k], fo.p.n);
}

/* ---- screenshots ---- */

static int save_png(const char *path, int w, int h)
{
    unsigned char *px = malloc((size_t)w * h * 3);
    if (!px)
        return -1;
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, px);
    /* flip: GL rows go bottom-up */
    const size_t row = (size_t)w * 3;
    unsigned char *tmp = malloc(row);
    if (tmp) {
        for (int y = 0; y < h / 2; y++) {
            memcpy(tmp, px + row * y, row);
            memcpy(px + row * y, px + row * (h - 1 - y), row);
            memcpy(px + row * (h - 1 - y), tmp, row);
        }
        free(tmp);
    }
    const int ok = stbi_write_png(path, w, h, 3, px, (int)row);
    free(px);
    return ok ? 0 : -1;
}

static void timestamp_name(char *out, size_t cap)
{
    const time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char base[64];
    strftime(base, sizeof base, "ferroviz-%Y%m%d-%H%M%S", &tm);
    snprintf(out, cap, "%s.png", base);
    for (int k = 2; k < 1000; k++) {
        FILE *f = fopen(out, "rb");
        if (!f)
            return;
        fclose(f);
        snprintf(out, cap, "%s-%d.png", base, k);
    }
}

/* ---- camera ---- */

static void camera(app *a, int w, int h, render_view *v)
{
    const float cp = cosf(glm_rad(a->pitch)), sp = sinf(glm_rad(a->pitch));
    const float cy = cosf(glm_rad(a->yaw)), sy = sinf(glm_rad(a->yaw));
    vec3 eye = {a->target[0] + a->dist * cp * cy, a->target[1] + a->dist * cp * sy,
                a->target[2] + a->dist * sp};
    glm_lookat(eye, a->target, (vec3){0, 0, 1}, v->view);
    glm_perspective(glm_rad(38.0f), (float)w / (float)(h > 0 ? h : 1), 0.05f, 100.0f, v->proj);
    glm_mat4_mul(v->proj, v->view, v->vp);
    glm_vec3_copy(eye, v->eye);
    v->x = v->y = 0;
    v->w = w;
    v->h = h;
}

/* ---- lecture tools ---- */

static void set_lecture(app *a, int on)
{
    a->lecture = on;
    ui_set_lecture(on);
}

static void push_path(app *a, int kind, const char *path)
{
    viz_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    snprintf(c.u.path, sizeof c.u.path, "%s", path);
    push(a, &c);
}

/* M: the field becomes a slow sweep H0 sin(2 pi t / 20) along the current direction of H
 * (amplitude |H|, or 2), the M(H) plot appears; M again: back to the uniform field. */
static void toggle_sweep(app *a, const viz_snapshot *s)
{
    fr_field *f = &a->cur.field;
    /* start the sine at the current time, so the field does not jump */
    f->sweep_t0 = s ? s->diag.t : 0.0;
    if (!fr_field_sweeping(f)) {
        double amp = norm3(f->H0);
        if (f->rotating) {
            amp = f->rot_H0;
            f->rotating = 0;
        }
        if (!(amp > 0.0))
            amp = 2.0;
        for (int c = 0; c < 3; c++)
            f->H0[c] = a->hdir[c] * amp;
        f->sweep = 1;
        f->sweep_H0 = amp;
        f->sweep_period = SWEEP_PERIOD;
        a->off_state = 0;
        a->off_id = push_params(a, CMD_OFF_CLEAR);
        say("sweep=%g,%g", amp, SWEEP_PERIOD);
    } else {
        f->sweep = 0;
        push_params(a, CMD_OFF_KEEP);
        say("sweep=none");
        say_field(f);
    }
}

/* Physical units panel text: fr_units_format and ε, τ_N across radii (the sharp transition). */
static int build_units(app *a, char *err, size_t errlen)
{
    fr_units_si u = fr_units_default();
    fr_units_derived d;
    if (a->fo.units[0] && fr_units_read(a->fo.units, &u, err, errlen))
        return -1;
    if (fr_units_derive(&u, &d, err, errlen))
        return -1;
    char *b = a->units_text;
    const size_t cap = sizeof a->units_text;
    size_t n = (size_t)snprintf(b, cap, "Physical units (%s)\n",
                                a->fo.units[0] ? a->fo.units : "Appendix A defaults; --units FILE");
    if (n < cap) {
        const int k = fr_units_format(&u, &d, b + n, cap - n);
        n += k > 0 ? (size_t)k : 0;
    }
    if (n < cap)
        n += (size_t)snprintf(b + n, cap - n, "radius r -> eps, tau_N (same material):\n");
    for (int r = 6; r <= 20 && n < cap; r += 2) {
        fr_units_si v = u;
        fr_units_derived e;
        v.r = r * 1e-9;
        if (fr_units_derive(&v, &e, err, errlen))
            continue;
        n += (size_t)snprintf(b + n, cap - n, "  r = %2d nm: eps = %-9.3g tau_N = %-9.3g s  b = %.3g%s\n",
                              r, e.eps, e.tau_neel, e.b,
                              e.eps < 0.1 ? "  fast flip" : e.eps > 10 ? "  blocked" : "  crossover");
    }
    return 0;
}

/* ---- recording (V) ---- */

static int have_ffmpeg(void)
{
    const char *no = getenv("FERROVIZ_NO_FFMPEG");
    if (no && *no)
        return 0;
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char dir[4096];
    while (*path) {
        const char *e = strchr(path, ':');
        const size_t n = e ? (size_t)(e - path) : strlen(path);
        if (n > 0 && n < sizeof dir - 8) {
            memcpy(dir, path, n);
            strcpy(dir + n, "/ffmpeg");
            if (access(dir, X_OK) == 0)
                return 1;
        }
        path += n + (e ? 1 : 0);
    }
    return 0;
}

static void rec_start(app *a, const viz_snapshot *s, int dw, int dh)
{
    const time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char base[64];
    strftime(base, sizeof base, "ferroviz-rec-%Y%m%d-%H%M%S", &tm);
    snprintf(a->rec_dir, sizeof a->rec_dir, "%s", base);
    for (int k = 2; mkdir(a->rec_dir, 0777) != 0; k++) {
        if (errno != EEXIST || k > 999) {
            fprintf(stderr, "ferroviz: cannot create %s: %s\n", a->rec_dir, strerror(errno));
            message(a, 3.0, "cannot create %s", a->rec_dir);
            return;
        }
        snprintf(a->rec_dir, sizeof a->rec_dir, "%s-%d", base, k);
    }
    a->rec_w = dw & ~1;
    a->rec_h = dh & ~1;
    a->rec_pipe = NULL;
    if (have_ffmpeg()) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "ffmpeg -loglevel error -y -f rawvideo -pixel_format rgb24 -video_size %dx%d "
                 "-framerate %d -i - -vf vflip -pix_fmt yuv420p '%s/ferroviz.mp4'",
                 a->rec_w, a->rec_h, (int)lround(1.0 / REC_DT), a->rec_dir);
        signal(SIGPIPE, SIG_IGN);
        a->rec_pipe = popen(cmd, "w");
    }
    a->rec = 1;
    a->rec_frames = a->rec_dropped = 0;
    a->rec_next = s->diag.t;
    a->rec_gen = s->gen;
    say("recording=on %s%s", a->rec_dir, a->rec_pipe ? "/ferroviz.mp4" : "");
}

static void rec_stop(app *a)
{
    if (!a->rec)
        return;
    if (a->rec_pipe)
        pclose(a->rec_pipe);
    a->rec_pipe = NULL;
    a->rec = 0;
    say("recording=off %ld frames", a->rec_frames);
    if (a->rec_dropped > 0)
        message(a, 4.0, "recording: %ld frames in %s; %ld more skipped (a jump of over 50 frames)",
                a->rec_frames, a->rec_dir, a->rec_dropped);
}

/* After the frame is drawn: when the simulation time has crossed the next multiple of REC_DT
 * the frame is written once for each multiple crossed (a step longer than REC_DT repeats it,
 * so frame k always shows the state at the first rendered time >= t0 + k REC_DT). */
static void rec_frame(app *a, const viz_snapshot *s)
{
    if (!a->rec || !s->seq)
        return;
    if (s->gen != a->rec_gen) { /* reset: time starts again */
        a->rec_gen = s->gen;
        a->rec_next = s->diag.t;
    }
    const double t = s->diag.t;
    if (t < a->rec_next - 1e-9 * fmax(1.0, fabs(t)))
        return;
    long k = (long)floor((t - a->rec_next) / REC_DT + 1e-9) + 1;
    a->rec_next += (double)k * REC_DT;
    if (k > 50) {
        a->rec_dropped += k - 50;
        k = 50;
    }
    const int w = a->rec_w, h = a->rec_h;
    unsigned char *px = malloc((size_t)w * h * 3);
    if (!px)
        return;
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, px);
    const size_t row = (size_t)w * 3;
    if (a->rec_pipe) {
        for (long q = 0; q < k; q++)
            if (fwrite(px, 1, row * h, a->rec_pipe) != row * h) {
                fprintf(stderr, "ferroviz: ffmpeg stopped; recording off\n");
                free(px);
                rec_stop(a);
                return;
            }
        a->rec_frames += k;
        free(px);
        return;
    }
    /* PNG: flip rows, encode once, write k copies */
    unsigned char *tmp = malloc(row);
    if (tmp) {
        for (int y = 0; y < h / 2; y++) {
            memcpy(tmp, px + row * y, row);
            memcpy(px + row * y, px + row * (h - 1 - y), row);
            memcpy(px + row * (h - 1 - y), tmp, row);
        }
        free(tmp);
    }
    stbi_write_png_compression_level = 3;
    int len = 0;
    unsigned char *png = stbi_write_png_to_mem(px, (int)row, w, h, 3, &len);
    stbi_write_png_compression_level = 8;
    free(px);
    if (!png)
        return;
    for (long q = 0; q < k; q++) {
        char name[1024];
        snprintf(name, sizeof name, "%s/frame_%06ld.png", a->rec_dir, a->rec_frames);
        FILE *f = fopen(name, "wb");
        if (!f || fwrite(png, 1, (size_t)len, f) != (size_t)len) {
            fprintf(stderr, "ferroviz: cannot write %s; recording off\n", name);
            if (f)
                fclose(f);
            STBIW_FREE(png);
            rec_stop(a);
            return;
        }
        fclose(f);
        a->rec_frames++;
    }
    STBIW_FREE(png);
}

/* ---- picking ---- */

/* The particle under window pixel (x, y) (drawable pixels, origin top left), or -1: the
 * nearest hit of the ray through the pixel with the spheres around the arrows. */
static int pick(app *a, const viz_snapshot *s, float x, float y, int dw, int dh)
{
    if (!s->seq || !a->arrows)
        return -1;
    render_view v;
    camera(a, dw, dh, &v);
    vec4 vpt = {0, 0, (float)dw, (float)dh};
    vec3 p0, p1, d;
    glm_unproject((vec3){x, (float)dh - y, 0.0f}, v.vp, vpt, p0);
    glm_unproject((vec3){x, (float)dh - y, 1.0f}, v.vp, vpt, p1);
    glm_vec3_sub(p1, p0, d);
    glm_vec3_normalize(d);
    const double rr = 0.55 * render_arrow_scale(s->n);
    int best = -1;
    double tbest = 1e30;
    for (int i = 0; i < s->n; i++) {
        const float *c = s->pos + 3 * i;
        const double oc[3] = {c[0] - p0[0], c[1] - p0[1], c[2] - p0[2]};
        const double tca = oc[0] * d[0] + oc[1] * d[1] + oc[2] * d[2];
        const double d2 = oc[0] * oc[0] + oc[1] * oc[1] + oc[2] * oc[2] - tca * tca;
        if (tca <= 0.0 || d2 > rr * rr)
            continue;
        const double t = tca - sqrt(rr * rr - d2);
        if (t < tbest) {
            tbest = t;
            best = i;
        }
    }
    return best;
}

static void select_particle(app *a, int i)
{
    if (i == a->sel)
        return;
    a->sel = i;
    push_view(a);
    if (i >= 0)
        say("select=%d", i);
    else
        say("select=none");
}

/* ---- keys ---- */

static void on_key(app *a, const SDL_KeyboardEvent *e, int *quit, const viz_snapshot *s)
{
    const SDL_Keycode k = e->keysym.sym;
    const int shift = (e->keysym.mod & KMOD_SHIFT) != 0;
    const int repeatable = k == SDLK_h || k == SDLK_e || k == SDLK_b || k == SDLK_n ||
                           k == SDLK_d || k == SDLK_k ||
                           k == SDLK_LEFT || k == SDLK_RIGHT || k == SDLK_UP || k == SDLK_DOWN ||
                           k == SDLK_LEFTBRACKET || k == SDLK_RIGHTBRACKET;
    if (e->repeat && !repeatable)
        return;
    switch (k) {
    case SDLK_q:
    case SDLK_ESCAPE:
        *quit = 1;
        break;
    case SDLK_SPACE:
        a->paused = !a->paused;
        push_kind(a, CMD_PAUSE, a->paused);
        say("paused=%d", a->paused);
        break;
    case SDLK_n:
        if (a->paused || s->at_limit)
            push_kind(a, CMD_STEP, 1);
        else
            message(a, 1.5, "N steps while paused (Space)");
        break;
    case SDLK_f: {
        const int off = field_is_off(a, s);
        a->off_state = !off;
        a->off_id = push_params(a, off ? CMD_OFF_CLEAR : CMD_OFF_NOW);
        if (off)
            say_field(&a->cur.field);
        else
            say("H=0,0,0");
        message(a, 1.5, off ? "field on" : "field off (switch-off at t = %.4g)", s->diag.t);
        break;
    }
    case SDLK_h:
        scale_field(a, shift ? 1.0 / H_STEP : H_STEP);
        break;
    case SDLK_LEFT:
        turn_field(a, -glm_rad(TURN_DEG), 0.0);
        break;
    case SDLK_RIGHT:
        turn_field(a, glm_rad(TURN_DEG), 0.0);
        break;
    case SDLK_UP:
        turn_field(a, 0.0, -glm_rad(TURN_DEG));
        break;
    case SDLK_DOWN:
        turn_field(a, 0.0, glm_rad(TURN_DEG));
        break;
    case SDLK_e: {
        double v = shift ? a->cur.eps / 2.0 : a->cur.eps * 2.0;
        v = fmax(EPS_MIN, fmin(EPS_MAX, v));
        a->cur.eps = v;
        push_params(a, CMD_OFF_KEEP);
        say("eps=%g", v);
        break;
    }
    case SDLK_b: {
        double v = a->cur.b;
        if (shift)
            v = v > 1.0 ? v - 1.0 : v - 0.25;
        else
            v = v >= 1.0 ? v + 1.0 : v + 0.25;
        v = fmax(0.0, fmin(B_MAX, v));
        v = round(v * 1e6) / 1e6;
        a->cur.b = v;
        push_params(a, CMD_OFF_KEEP);
        say("b=%g", v);
        break;
    }
    case SDLK_i:
        a->cur.interactions = !a->cur.interactions;
        push_params(a, CMD_OFF_KEEP);
        say("interactions=%d", a->cur.interactions);
        break;
    case SDLK_s:
        a->streams = !a->streams;
        push_view_facing(a);
        say("streamlines=%d", a->streams);
        break;
    case SDLK_z:
        a->slice = !a->slice;
        push_view_facing(a);
        say("slice=%d", a->slice);
        break;
    case SDLK_l:
        set_lecture(a, !a->lecture);
        say("lecture=%d", a->lecture);
        break;
    case SDLK_m:
        toggle_sweep(a, s);
        break;
    case SDLK_d: {
        double v = a->cur.brownian;
        if (shift)
            v = v / 2.0 < 0.01 ? 0.0 : v / 2.0;
        else
            v = v <= 0.0 ? 0.1 : fmin(DR_MAX, v * 2.0);
        v = round(v * 1e9) / 1e9;
        a->cur.brownian = v;
        push_params(a, CMD_OFF_KEEP);
        say("brownian=%g", v);
        break;
    }
    case SDLK_k: {
        if (!(a->paused || s->at_limit)) {
            message(a, 2.0, "K / Shift+K change the aspect while paused (Space)");
            break;
        }
        double v = a->cur.aspect > 0.0 ? a->cur.aspect : 1.0;
        v = shift ? v / ASPECT_STEP : v * ASPECT_STEP;
        v = fmax(ASPECT_MIN, fmin(ASPECT_MAX, v));
        if (fabs(v - 1.0) < 1e-9)
            v = 1.0;
        v = round(v * 1e6) / 1e6;
        fr_params q = a->cur;
        q.aspect = v;
        char err[512];
        if (fr_params_validate(&q, err, sizeof err)) { /* e.g. needles that would overlap */
            message(a, 3.0, "aspect %g refused: %s", v, err);
            break;
        }
        a->cur.aspect = v;
        push_params(a, CMD_OFF_KEEP);
        say("aspect=%g", v);
        break;
    }
    case SDLK_u:
        a->units_panel = !a->units_panel;
        say("units-panel=%d", a->units_panel);
        break;
    case SDLK_v:
        if (a->rec)
            rec_stop(a);
        else
            a->rec_toggle = 1; /* starts after the next frame is drawn (its size) */
        break;
    case SDLK_x:
        if (a->sel >= 0)
            select_particle(a, -1);
        break;
    case SDLK_F5:
        push_path(a, CMD_SAVE, STATE_FILE);
        say("save=%s", STATE_FILE);
        break;
    case SDLK_F9:
        push_path(a, CMD_LOAD, STATE_FILE);
        say("load=%s", STATE_FILE);
        break;
    case SDLK_a:
        a->arrows = !a->arrows;
        say("arrows=%d", a->arrows);
        break;
    case SDLK_c: {
        static const char *names[3] = {"spin", "spin-average", "m0"};
        a->colour = (a->colour + 1) % COLOR_MODES;
        say("colour=%s", names[a->colour]);
        break;
    }
    case SDLK_t:
        a->R.arrow_mode = (a->R.arrow_mode + 1) % ARROW_MODES;
        say("arrow-draw=%s", render_arrow_mode_name(a->R.arrow_mode));
        break;
    case SDLK_g:
        a->plot = !a->plot;
        say("plot=%d", a->plot);
        break;
    case SDLK_r:
        say("reset=1");
        restart(a, &a->scen);
        message(a, 1.5, "reset (seed %llu)", (unsigned long long)a->scen.seed);
        break;
    case SDLK_1:
    case SDLK_2:
    case SDLK_3:
    case SDLK_4:
    case SDLK_5:
        load_preset(a, (int)(k - SDLK_1));
        break;
    case SDLK_LEFTBRACKET:
    case SDLK_RIGHTBRACKET: {
        double r = a->rate;
        if (k == SDLK_RIGHTBRACKET)
            r = r <= 0.0 ? 0.0 : r * 2.0 > RATE_MAX ? 0.0 : r * 2.0;
        else
            r = r <= 0.0 ? RATE_MAX : fmax(1.0, r / 2.0);
        a->rate = r;
        push_view(a);
        say("rate=%g", r);
        break;
    }
    case SDLK_F11:
        a->fullscreen = !a->fullscreen;
        SDL_SetWindowFullscreen(a->win, a->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
        say("fullscreen=%d", a->fullscreen);
        break;
    case SDLK_F1:
    case SDLK_QUESTION:
        a->help_forced = !(a->help_forced || viz_now() < a->help_until);
        a->help_until = 0.0;
        break;
    case SDLK_SLASH:
        if (shift) {
            a->help_forced = !(a->help_forced || viz_now() < a->help_until);
            a->help_until = 0.0;
        }
        break;
    default:
        break;
    }
}

/* ---- main ---- */

static int fail_exit(app *a, int code)
{
    if (a->rec_pipe)
        pclose(a->rec_pipe);
    if (a->sim_ok)
        simthread_stop(&a->S, NULL, NULL, 0);
    if (a->hud_ok)
        hud_free(&a->H);
    if (a->render_ok)
        render_free(&a->R);
    if (a->ctx)
        SDL_GL_DeleteContext(a->ctx);
    if (a->win)
        SDL_DestroyWindow(a->win);
    SDL_Quit();
    return code;
}

int main(int argc, char **argv)
{
    static app A;
    app *a = &A;
    setvbuf(stdout, NULL, _IOLBF, 0);
    const int prc = parse_args(argc, argv, &a->fo, &a->vo);
    if (prc)
        return prc;
    if (a->fo.help) {
        usage();
        return 0;
    }
    if (a->fo.version) {
        printf("ferroviz %s\n", FERRO_VERSION);
        return 0;
    }
    if (a->fo.out[0] || a->fo.particles_out[0] || a->fo.field_out[0])
        fprintf(stderr, "ferroviz: note: --out, --particles-out and --field-out are ferrosim "
                        "options; ignored\n");
    {
        char uerr[1024];
        if (build_units(a, uerr, sizeof uerr)) {
            fprintf(stderr, "ferroviz: --units: %s\n", uerr);
            return 2;
        }
    }
    /* --load: read the state before any window (a damaged file: one line, exit 2) */
    fr_sim *loaded = NULL;
    if (a->fo.load[0]) {
        char lerr[1024];
        if (fr_sim_load(a->fo.load, &loaded, lerr, sizeof lerr)) {
            fprintf(stderr, "ferroviz: --load: %s\n", lerr);
            return 2;
        }
        a->fo.p = *fr_sim_params(loaded);
    }

    /* A display is required unless the video driver is chosen explicitly (SDL_VIDEODRIVER=
     * offscreen renders headless through EGL): SDL would otherwise fall back to its offscreen
     * driver silently. */
    const char *drv_env = getenv("SDL_VIDEODRIVER");
    const char *disp = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    const int forced = drv_env && *drv_env;
    if (!forced) {
        if ((!disp || !*disp) && (!wl || !*wl)) {
            if (loaded)
                fr_sim_free(loaded);
            fprintf(stderr, "ferroviz: no display: DISPLAY and WAYLAND_DISPLAY are not set (run "
                            "under X11, Wayland or Xvfb; SDL_VIDEODRIVER=offscreen renders "
                            "headless)\n");
            return 2;
        }
        if (!wl || !*wl)
            SDL_SetHint(SDL_HINT_VIDEODRIVER, "x11");
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "ferroviz: cannot open a window on display '%s': %s\n",
                disp && *disp ? disp : wl && *wl ? wl : "(none)", SDL_GetError());
        return 2;
    }
    const char *drv = SDL_GetCurrentVideoDriver();
    if (!forced && drv && (!strcmp(drv, "offscreen") || !strcmp(drv, "dummy"))) {
        fprintf(stderr, "ferroviz: cannot open a window on display '%s'\n",
                disp && *disp ? disp : wl && *wl ? wl : "(none)");
        SDL_Quit();
        return 2;
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 24);
    const char *msaa = getenv("FERROVIZ_MSAA");
    const int samples = msaa ? atoi(msaa) : 4;
    if (samples > 1) {
        SDL_GL_SetAttribute(SDL_GL_MULTISAMPLEBUFFERS, 1);
        SDL_GL_SetAttribute(SDL_GL_MULTISAMPLESAMPLES, samples);
    }
    Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
    if (a->vo.fullscreen)
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    a->fullscreen = a->vo.fullscreen;
    a->win = SDL_CreateWindow("ferroviz", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                              a->vo.w, a->vo.h, flags);
    if (!a->win && samples > 1) { /* retry without multisampling */
        SDL_GL_SetAttribute(SDL_GL_MULTISAMPLEBUFFERS, 0);
        SDL_GL_SetAttribute(SDL_GL_MULTISAMPLESAMPLES, 0);
        a->win = SDL_CreateWindow("ferroviz", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                  a->vo.w, a->vo.h, flags);
    }
    if (!a->win) {
        fprintf(stderr, "ferroviz: cannot open an OpenGL window: %s\n", SDL_GetError());
        return fail_exit(a, 2);
    }
    a->ctx = SDL_GL_CreateContext(a->win);
    if (!a->ctx) {
        fprintf(stderr, "ferroviz: cannot create an OpenGL 3.3 core context: %s\n",
                SDL_GetError());
        return fail_exit(a, 2);
    }
    if (samples > 1 && !msaa) {
        /* software rasterisers (llvmpipe under Xvfb) pay 4x for multisampling: go without */
        const char *rend = (const char *)glGetString(GL_RENDERER);
        if (rend && (strstr(rend, "llvmpipe") || strstr(rend, "softpipe") ||
                     strstr(rend, "swrast") || strstr(rend, "SWR"))) {
            SDL_GL_DeleteContext(a->ctx);
            SDL_DestroyWindow(a->win);
            a->ctx = NULL;
            SDL_GL_SetAttribute(SDL_GL_MULTISAMPLEBUFFERS, 0);
            SDL_GL_SetAttribute(SDL_GL_MULTISAMPLESAMPLES, 0);
            a->win = SDL_CreateWindow("ferroviz", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                      a->vo.w, a->vo.h, flags);
            a->ctx = a->win ? SDL_GL_CreateContext(a->win) : NULL;
            if (!a->ctx) {
                fprintf(stderr, "ferroviz: cannot create an OpenGL 3.3 core context: %s\n",
                        SDL_GetError());
                return fail_exit(a, 2);
            }
        }
    }
    glewExperimental = GL_TRUE;
    const GLenum ge = glewInit();
    if (ge != GLEW_OK && ge != 4 /* GLEW_ERROR_NO_GLX_DISPLAY with EGL: usable */) {
        fprintf(stderr, "ferroviz: cannot initialise OpenGL (GLEW): %s\n",
                (const char *)glewGetErrorString(ge));
        return fail_exit(a, 2);
    }
    while (glGetError() != GL_NO_ERROR) {
    }
    SDL_GL_SetSwapInterval(a->vo.frames ? 0 : 1);

    char err[8192];
    if (render_init(&a->R, err, sizeof err)) {
        fprintf(stderr, "ferroviz: %s\n", err);
        return fail_exit(a, 1);
    }
    a->render_ok = 1;
    int dw, dh;
    SDL_GL_GetDrawableSize(a->win, &dw, &dh);
    if (hud_init(&a->H, fmaxf(12.0f, fminf(30.0f, roundf((float)dh / 50.0f))), err, sizeof err)) {
        fprintf(stderr, "ferroviz: %s\n", err);
        return fail_exit(a, 1);
    }
    a->hud_ok = 1;

    /* controller state */
    a->cur = a->scen = a->fo.p;
    a->hdir[0] = a->hdir[1] = 0.0;
    a->hdir[2] = 1.0;
    set_hdir(a, &a->cur);
    a->rate = a->vo.rate;
    a->arrows = a->streams = a->plot = 1;
    a->R.arrow_mode = a->vo.arrow_draw;
    copy_str(a->preset, sizeof a->preset, a->vo.preset);
    a->yaw = -62.0f;
    a->pitch = 18.0f;
    fit_camera(a, &a->fo.p);
    a->uploaded_colour = -1;
    a->sel = -1;
    set_lecture(a, a->vo.lecture);
    /* Keep a core for the window: by default the simulation uses all cores but one (unless
     * --threads or OMP_NUM_THREADS says otherwise). */
    int threads = a->fo.threads;
    if (threads == 0 && !getenv("OMP_NUM_THREADS")) {
        const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        threads = ncpu > 1 ? (int)(ncpu - 1) : 1;
    }
    fr_sim *owned = loaded;
    loaded = NULL;
    if (simthread_start(&a->S, &a->fo.p, owned, a->fo.grid, a->vo.sim_steps, a->rate, threads,
                        a->vo.sim_nice, err, sizeof err)) {
        fprintf(stderr, "ferroviz: %s\n", err);
        return fail_exit(a, 1);
    }
    a->sim_ok = 1;

    const double t_start = viz_now();
    a->help_until = a->vo.frames ? 0.0 : t_start + 6.0;
    long frames = 0;
    double fps = 0.0, fps_t0 = t_start;
    long fps_frames = 0;
    double t_warm = 0.0, cpu_warm = 0.0;          /* time after WARM_FRAMES frames (shader compiles, first upload) */
    int quit = 0, final_capture = 0, captured_last = 0, rc = 0;
    char shot[1024] = "";
    while (!quit || final_capture) {
        const double frame_t0 = viz_now();
        SDL_Event e;
        while (!quit && SDL_PollEvent(&e)) {
            switch (e.type) {
            case SDL_QUIT:
                quit = 1;
                break;
            case SDL_KEYDOWN: {
                const viz_snapshot *s = simthread_snapshot(&a->S, NULL);
                if (e.key.keysym.sym == SDLK_p && !e.key.repeat) {
                    timestamp_name(shot, sizeof shot);
                } else {
                    on_key(a, &e.key, &quit, s);
                }
                break;
            }
            case SDL_MOUSEBUTTONDOWN:
                if (e.button.button == SDL_BUTTON_LEFT) {
                    a->drag = 1;
                    a->press_x = e.button.x;
                    a->press_y = e.button.y;
                    a->press_moved = 0;
                }
                if (e.button.button == SDL_BUTTON_RIGHT || e.button.button == SDL_BUTTON_MIDDLE)
                    a->pan = 1;
                break;
            case SDL_MOUSEBUTTONUP:
                if (e.button.button == SDL_BUTTON_LEFT) {
                    a->drag = 0;
                    if (a->press_moved < 4) { /* a click, not a drag: pick a particle */
                        int ww, wh;
                        SDL_GetWindowSize(a->win, &ww, &wh);
                        const float kx = ww > 0 ? (float)dw / (float)ww : 1.0f;
                        const float ky = wh > 0 ? (float)dh / (float)wh : 1.0f;
                        const viz_snapshot *ps = simthread_snapshot(&a->S, NULL);
                        select_particle(a, pick(a, ps, (float)e.button.x * kx + 0.5f * kx,
                                                (float)e.button.y * ky + 0.5f * ky, dw, dh));
                    }
                    if (a->slice && a->streams && fabsf(a->yaw - a->slice_yaw) > 5.0f)
                        push_view_facing(a); /* turn the slice to face the camera again */
                }
                if (e.button.button == SDL_BUTTON_RIGHT || e.button.button == SDL_BUTTON_MIDDLE)
                    a->pan = 0;
                break;
            case SDL_MOUSEMOTION:
                if (a->drag) {
                    a->press_moved += abs(e.motion.xrel) + abs(e.motion.yrel);
                    a->yaw -= 0.35f * (float)e.motion.xrel;
                    a->pitch = fmaxf(-89.0f, fminf(89.0f, a->pitch + 0.35f * (float)e.motion.yrel));
                } else if (a->pan) {
                    render_view v;
                    camera(a, dw, dh, &v);
                    const float k = 0.0016f * a->dist;
                    /* camera right and up from the view matrix rows */
                    for (int c = 0; c < 3; c++)
                        a->target[c] += k * (-(float)e.motion.xrel * v.view[c][0] +
                                             (float)e.motion.yrel * v.view[c][1]);
                }
                break;
            case SDL_MOUSEWHEEL:
                a->dist = fmaxf(1.2f, fminf(30.0f, a->dist * powf(0.9f, (float)e.wheel.y)));
                break;
            default:
                break;
            }
        }
        if (quit && !final_capture && a->vo.screenshot[0] && !captured_last) {
            final_capture = 1; /* one more frame, written to --screenshot */
            copy_str(shot, sizeof shot, a->vo.screenshot);
        }
        if (atomic_load(&a->S.failed)) {
            fprintf(stderr, "ferroviz: simulation stopped: %s\n", a->S.err);
            rc = 1;
            break;
        }
        int snew = 0, tnew = 0;
        const viz_snapshot *s = simthread_snapshot(&a->S, &snew);
        const viz_streams *st = simthread_streams(&a->S, &tnew);
        if (s->seq && (s->seq != a->uploaded_seq || a->colour != a->uploaded_colour)) {
            render_set_particles(&a->R, s, a->colour);
            a->uploaded_seq = s->seq;
            a->uploaded_colour = a->colour;
        }
        if (st->seq && st->seq != a->uploaded_stream_seq) {
            render_set_streams(&a->R, st);
            a->uploaded_stream_seq = st->seq;
        }
        /* scripted run: the last frame waits for the simulation (and its streamlines) */
        int last = a->vo.frames && frames + 1 >= a->vo.frames;
        int waiting = 0;
        if (last && !quit && a->vo.sim_steps > 0 &&
            !(s->seq && s->total_steps >= a->vo.sim_steps &&
              (!a->streams || (st->seq && st->total_steps >= s->total_steps)))) {
            last = 0; /* keep drawing until step K and its streamlines are there */
            waiting = 1;
        }
        if (last && a->vo.screenshot[0] && !final_capture)
            copy_str(shot, sizeof shot, a->vo.screenshot);

        SDL_GL_GetDrawableSize(a->win, &dw, &dh);
        int gw, gh;
        if (!viz_glx_drawable_size(&gw, &gh)) { /* without a window manager SDL may be wrong */
            dw = gw < dw ? gw : dw;
            dh = gh < dh ? gh : dh;
        }
        const float px = roundf((float)dh / 50.0f * (a->lecture ? 1.45f : 1.0f));
        hud_set_px(&a->H, fmaxf(12.0f, fminf(a->lecture ? 44.0f : 30.0f, px)));
        glViewport(0, 0, dw, dh);
        background(dw, dh, a->lecture);

        render_view v;
        camera(a, dw, dh, &v);
        v.time = a->vo.frames ? (float)frames / 60.0f : (float)(viz_now() - t_start);
        /* results of F5 / F9 (in the simulation thread): on screen; a load syncs the controller */
        if (s->seq && s->io_seq != a->io_seen) {
            a->io_seen = s->io_seq;
            message(a, 4.0, "%s", s->io_msg);
            if (s->io_ok && s->io_kind == CMD_LOAD) {
                a->cur = a->scen = s->params;
                set_hdir(a, &a->cur);
                a->off_id = 0;
                a->sel = s->sel;
                printf("loaded t=%g n=%d\n", s->diag.t, s->n);
                fflush(stdout);
            }
        }
        scene_opts so = {a->arrows, a->streams, 1, 1, s->seq ? s->radius + s->r : 1.0,
                         a->colour, s->seq ? &s->params.field : NULL,
                         s->seq ? s->params.aspect : 1.0, a->lecture ? 2.0f : 1.0f,
                         s->seq && s->sel >= 0 ? s : NULL};
        render_scene(&a->R, &v, &so);

        ui_info u;
        memset(&u, 0, sizeof u);
        const int gs = (int)fminf(170.0f, 0.22f * (float)dh);
        float gl_labels[4][2];
        const double zero[3] = {0, 0, 0};
        render_gizmo(&a->R, &v, 8, (int)(1.6f * a->H.line_h) + 8, gs, dh,
                     s->seq ? s->diag.H : zero, gl_labels);
        memcpy(u.gizmo_labels, gl_labels, sizeof gl_labels);
        u.gizmo_x = 8;
        u.gizmo_y = dh - gs - (int)(1.6f * a->H.line_h) - 8;
        u.gizmo_size = gs;
        vec4 vpt = {0, 0, (float)dw, (float)dh};
        const float tips[3][3] = {{1.36f, 0, 0}, {0, 1.36f, 0}, {0, 0, 1.36f}};
        for (int k = 0; k < 3; k++) {
            vec3 o;
            glm_project((float *)tips[k], v.vp, vpt, o);
            u.axis_labels[k][0] = o[0];
            u.axis_labels[k][1] = (float)dh - o[1];
            if (o[2] > 1.0f || o[2] < 0.0f)
                u.axis_labels[k][0] = -1e6f;
        }
        u.axes_visible = 1;
        u.pick_xy[0] = -1e6f;
        if (s->seq && s->sel >= 0 && s->sel < s->n) {
            vec3 o;
            glm_project(s->pos + 3 * s->sel, v.vp, vpt, o);
            if (o[2] >= 0.0f && o[2] <= 1.0f) {
                u.pick_xy[0] = o[0];
                u.pick_xy[1] = (float)dh - o[1];
            }
        }
        u.snap = s;
        u.streams = st;
        u.fps = fps > 0.0 ? fps : frames > 0 ? (double)frames / fmax(1e-3, viz_now() - t_start) : 0.0;
        u.colour_mode = a->colour;
        u.arrow_draw = !a->arrows ? "" : render_uses_impostors(&a->R) ? "impostors" : "mesh";
        u.arrows = a->arrows;
        u.streams_on = a->streams;
        u.slice = a->slice;
        u.preset = a->preset;
        u.plot_visible = a->plot;
        const double now = viz_now();
        if (now < a->msg_until) {
            u.message = a->msg;
            u.message_alpha = (float)fmin(1.0, (a->msg_until - now) / 0.4);
        }
        u.lecture = a->lecture;
        u.units_panel = a->units_panel;
        u.units_text = a->units_text;
        if (now < g_caption_until && g_caption[0]) {
            u.caption = g_caption;
            u.caption_alpha = (float)fmin(1.0, (g_caption_until - now) / 0.4);
        }
        u.recording = a->rec;
        u.rec_frames = a->rec_frames;
        u.rec_dir = a->rec_dir;
        if (a->help_forced)
            u.help_alpha = 1.0f;
        else if (now < a->help_until)
            u.help_alpha = (float)fmin(1.0, (a->help_until - now) / 0.8);
        hud_begin(&a->H, dw, dh);
        ui_draw(&a->H, &u);
        hud_flush(&a->H);
        if (a->rec_toggle && s->seq) {
            a->rec_toggle = 0;
            if (!a->rec)
                rec_start(a, s, dw, dh);
        }
        rec_frame(a, s);

        if (shot[0]) {
            if (save_png(shot, dw, dh)) {
                fprintf(stderr, "ferroviz: cannot write %s\n", shot);
                if (final_capture || last)
                    rc = 1;
            } else {
                printf("screenshot %s\n", shot);
                fflush(stdout);
                if (!final_capture && !last)
                    message(a, 2.0, "saved %s", shot);
            }
            if (last || final_capture)
                captured_last = 1;
            shot[0] = '\0';
        }
        SDL_GL_SwapWindow(a->win);
        frames++;
        if (frames == WARM_FRAMES) {
            t_warm = viz_now();
            cpu_warm = cpu_now();
        }
        fps_frames++;
        if (now - fps_t0 >= 0.5) {
            fps = (double)fps_frames / (now - fps_t0);
            fps_t0 = now;
            fps_frames = 0;
        }
        if (final_capture)
            break;
        if (!a->vo.frames || waiting) { /* at most ~60 frames/s: leave the CPU to the simulation;
                                          * a scripted run waiting for step K: at most ~15/s
                                          * (the simulation thread is niced below us) */
            const double period = waiting ? 1.0 / 15.0 : 1.0 / 62.0;
            const double spent = viz_now() - frame_t0;
            if (spent < period)
                SDL_Delay((Uint32)(1000.0 * (period - spent)));
        }
        if (last)
            quit = 1;
        if (quit && (!a->vo.screenshot[0] || captured_last))
            break;
    }
    const double t_end = viz_now(), elapsed = t_end - t_start;
    if (frames >= 2 * WARM_FRAMES) /* the steady frame rate, for benchmarks */
        printf("frame_ms=%.2f fps_steady=%.1f cpu_ms=%.2f over %ld frames arrows=%s n=%d "
               "size=%dx%d\n",
               1e3 * (t_end - t_warm) / (double)(frames - WARM_FRAMES),
               (double)(frames - WARM_FRAMES) / (t_end - t_warm),
               1e3 * (cpu_now() - cpu_warm) / (double)(frames - WARM_FRAMES), frames - WARM_FRAMES,
               !a->arrows ? "off" : render_uses_impostors(&a->R) ? "impostor" : "mesh",
               a->R.part_n, dw, dh);
    rec_stop(a);
    SDL_HideWindow(a->win);
    const viz_snapshot *s = simthread_snapshot(&a->S, NULL);
    const long long steps = s->total_steps;
    const double simt = s->diag.t;
    if (simthread_stop(&a->S, a->fo.save[0] ? a->fo.save : NULL, err, sizeof err)) {
        fprintf(stderr, "ferroviz: --save: %s\n", err);
        rc = 1;
    } else if (a->fo.save[0]) {
        printf("saved %s\n", a->fo.save);
    }
    a->sim_ok = 0;
    printf("frames=%ld fps=%.1f sim_steps=%lld sim_time=%.6g\n", frames,
           elapsed > 0.0 ? (double)frames / elapsed : 0.0, steps, simt);
    fflush(stdout);
    return fail_exit(a, rc);
}

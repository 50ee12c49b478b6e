/* controls.c — the controls table and the controller that turns keys into commands for the
 * simulation thread, printing one "set NAME=VALUE" line per change (see controls.h). */
#include "controls.h"

#include "app.h"
#include "ferro/field.h"
#include "options.h"
#include "util.h"

#ifdef __EMSCRIPTEN__
#include "web.h"
#endif

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The window's ranges narrow the core's (fr_params_range, checked by fr_params_validate): a
 * row's lo/hi of 0/INFINITY leave the core's limit in force. Where the window is narrower it is
 * because it shows the motion at about 60 steps per second, not because the model breaks:
 * EPS_MAX 1e6 (core 1e12): beyond, no spin flips in any time one watches;
 * B_MAX 1e3 (core 1e6): beyond, m0 = tanh(b H·ξ) is a step at every field the keys set;
 * H_MAX 100 (core 1e3): beyond, the arrows align within a frame or two (γ|H| > 16);
 * DR_MAX 100 (core 1e4): beyond, the arrows only jitter;
 * DT_MIN, DT_MAX (core: any dt > 0): dt is the time shown per step, so below 1e-4 the picture
 * stands still and above 0.1 it jumps from frame to frame. */
#define EPS_MAX 1e6
#define B_MAX 1e3
#define H_MAX 100.0
#define DR_MAX 100.0
#define DT_MIN 1e-4
#define DT_MAX 0.1
#define H_STEP 1.25
#define TURN_DEG 15.0
#define RATE_MAX 3840.0
#define ASPECT_STEP 1.25
#define SWEEP_PERIOD 20.0
#define CAPTION_S 1.5

typedef struct control control;

/* A step rule: changes the state for a press in direction dir (+1, -1 with Shift or the second
 * key, or the key's number for the presets) and says what is to be sent and printed. */
enum { ACT_NONE = 0, ACT_PARAMS = 1, ACT_VIEW = 2, ACT_VIEW_FACING = 4, ACT_SAY = 8 };
typedef int (*step_fn)(viz_app *a, const control *c, int dir);

/* Where a row's value lives and how it prints: in the requested parameters (a->ctl.cur) or in
 * the window's state (a->ctl). */
typedef enum { VAL_NONE, VAL_DOUBLE, VAL_ASPECT, VAL_INT, VAL_U64, VAL_NAME, VAL_FIELD } val_type;
typedef enum { IN_PARAMS, IN_CONTROLS } val_place;

typedef struct keyspec {
    SDL_Keycode key;
    int shift;                /* 1: only with Shift */
    int dir;
} keyspec;

struct control {
    keyspec keys[5];          /* up to five keys; dir 0 ends the list */
    int shift_reverses;       /* Shift+key steps the other way */
    int repeat;               /* holding the key repeats it */
    const char *shown;        /* the keys as the help shows them; NULL: not in the help */
    const char *help;
    const char *name;         /* "set NAME=": the command-line option's name; NULL: none */
    const char *label;        /* caption; NULL: the name */
    const char *const *words; /* VAL_NAME: the value's names; a switch: its {off, on} caption */
    int is_switch;            /* caption "label on/off" */
    val_type type;
    val_place place;
    size_t off;               /* offset of the value in its place */
    int diff;                 /* printed after a reset or a preset when it changed */
    step_fn step;
    double k, lo, hi;         /* the step rule's factor and limits */
};

/* ---- printing: one "set NAME=VALUE" line per change, and the caption ---- */

static const control *row_named(const char *name);

static void caption_from(viz_controls *c, const char *line)
{
    char name[64];
    const char *eq = strchr(line, '=');
    if (!eq) {
        snprintf(c->caption, sizeof c->caption, "%s", line);
        c->caption_until = viz_now() + CAPTION_S;
        return;
    }
    size_t n = (size_t)(eq - line);
    if (n >= sizeof name)
        n = sizeof name - 1;
    memcpy(name, line, n);
    name[n] = '\0';
    const char *val = eq + 1;
    const control *r = row_named(name);
    const char *shown = r && r->label ? r->label : name;
    const int on = !strcmp(val, "1"), off = !strcmp(val, "0");
    if (r && r->is_switch && r->words && (on || off))
        snprintf(c->caption, sizeof c->caption, "%s", r->words[on]);
    else if (r && r->is_switch && (on || off))
        snprintf(c->caption, sizeof c->caption, "%s %s", shown, on ? "on" : "off");
    else if (r && r->type == VAL_NONE && r->is_switch < 0)
        snprintf(c->caption, sizeof c->caption, "%s", shown);
    else
        snprintf(c->caption, sizeof c->caption, "%s = %s", shown, val);
    c->caption_until = viz_now() + CAPTION_S;
}

void controls_say(viz_controls *c, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    printf("set %s\n", line);
    fflush(stdout);
    caption_from(c, line);
}

void controls_message(viz_controls *c, double secs, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->msg_until = viz_now() + secs;
}

static void say_field(viz_controls *c, const fr_field *f)
{
    switch (fr_field_active(f)) {
    case FR_FIELD_ROTATING:
        controls_say(c, "rotating=%g,%g", f->rot_H0, f->rot_omega);
        break;
    case FR_FIELD_SWEEP:
        controls_say(c, "sweep=%g,%g", f->sweep_H0, f->sweep_period);
        break;
    case FR_FIELD_UNIFORM:
        controls_say(c, "H=%g,%g,%g", f->H0[0], f->H0[1], f->H0[2]);
        break;
    }
    if (f->grad_g != 0.0)
        controls_say(c, "grad=%g", f->grad_g);
    if (f->has_magnet)
        controls_say(c, "magnet=%g,%g,%g@%g,%g,%g", f->magnet_m[0], f->magnet_m[1], f->magnet_m[2],
            f->magnet_p[0], f->magnet_p[1], f->magnet_p[2]);
}

/* The parts of the field that differ between o and f (after a reset or a preset). */
static void say_field_diff(viz_controls *c, const fr_field *o, const fr_field *f)
{
    if (f->rotating && (!o->rotating || o->rot_H0 != f->rot_H0 || o->rot_omega != f->rot_omega))
        controls_say(c, "rotating=%g,%g", f->rot_H0, f->rot_omega);
    if (!f->rotating && (o->rotating || memcmp(o->H0, f->H0, sizeof f->H0)))
        controls_say(c, "H=%g,%g,%g", f->H0[0], f->H0[1], f->H0[2]);
    if (f->sweep && (!o->sweep || o->sweep_H0 != f->sweep_H0 || o->sweep_period != f->sweep_period))
        controls_say(c, "sweep=%g,%g", f->sweep_H0, f->sweep_period);
    if (!f->sweep && o->sweep)
        controls_say(c, "sweep=none");
    if (o->grad_g != f->grad_g)
        controls_say(c, "grad=%g", f->grad_g);
    if (f->has_magnet && (!o->has_magnet || memcmp(o->magnet_m, f->magnet_m, sizeof f->magnet_m) ||
                          memcmp(o->magnet_p, f->magnet_p, sizeof f->magnet_p)))
        controls_say(c, "magnet=%g,%g,%g@%g,%g,%g", f->magnet_m[0], f->magnet_m[1], f->magnet_m[2],
            f->magnet_p[0], f->magnet_p[1], f->magnet_p[2]);
    if (!f->has_magnet && o->has_magnet)
        controls_say(c, "magnet=none");
    if (f->has_switch_off && (!o->has_switch_off || o->t_off != f->t_off))
        controls_say(c, "switch-off=%g", f->t_off);
    if (!f->has_switch_off && o->has_switch_off)
        controls_say(c, "switch-off=none");
}

static const void *value_of(const viz_controls *s, const control *c, const fr_params *p)
{
    return c->place == IN_PARAMS ? (const char *)p + c->off : (const char *)s + c->off;
}

/* Row c's value (from the parameters p) as a "set" line; the field as its parts. */
static void say_value(viz_controls *s, const control *c, const fr_params *p)
{
    const void *v = value_of(s, c, p);
    switch (c->type) {
    case VAL_DOUBLE:
        controls_say(s, "%s=%g", c->name, *(const double *)v);
        break;
    case VAL_ASPECT: /* 0 means 1 */
        controls_say(s, "%s=%g", c->name, *(const double *)v > 0.0 ? *(const double *)v : 1.0);
        break;
    case VAL_INT:
        controls_say(s, "%s=%d", c->name, *(const int *)v);
        break;
    case VAL_U64:
        controls_say(s, "%s=%llu", c->name, (unsigned long long)*(const uint64_t *)v);
        break;
    case VAL_NAME:
        controls_say(s, "%s=%s", c->name, c->words[*(const int *)v]);
        break;
    case VAL_FIELD:
        say_field(s, &p->field);
        break;
    case VAL_NONE:
        break;
    }
}

static int value_changed(const control *c, const fr_params *o, const fr_params *p)
{
    const void *a = (const char *)o + c->off, *b = (const char *)p + c->off;
    switch (c->type) {
    case VAL_DOUBLE:
    case VAL_ASPECT:
        return *(const double *)a != *(const double *)b;
    case VAL_INT:
    case VAL_NAME:
        return *(const int *)a != *(const int *)b;
    case VAL_U64:
        return *(const uint64_t *)a != *(const uint64_t *)b;
    default:
        return 1;
    }
}

/* ---- commands ---- */

static unsigned long long push(viz_app *a, viz_cmd *c)
{
    const unsigned long long id = simthread_push(&a->S, c);
    if (!id)
        fprintf(stderr, "ferroviz: command queue full, command dropped\n");
    return id;
}

static unsigned long long push_params(viz_app *a, viz_off_mode off)
{
    viz_cmd c = {.kind = CMD_PARAMS};
    c.u.params.p = a->ctl.cur;
    c.u.params.off = off;
    return push(a, &c);
}

static void push_view(viz_app *a)
{
    viz_cmd c = {.kind = CMD_VIEW};
    c.u.view = a->ctl.view;
    a->ctl.view_id = push(a, &c);
}

/* The slice plane contains z and faces the camera. */
static void push_view_facing(viz_app *a)
{
    a->ctl.slice_yaw = a->cam.yaw;
    a->ctl.view.slice_phi = glm_rad(a->cam.yaw);
    push_view(a);
}

static void push_path(viz_app *a, viz_cmd_kind kind, const char *path)
{
    viz_cmd c = {.kind = kind};
    snprintf(c.u.path, sizeof c.u.path, "%s", path);
    push(a, &c);
}

/* ---- step rules ---- */

static double *param(viz_app *a, const control *c) { return (double *)((char *)&a->ctl.cur + c->off); }

/* A row's range: the window's within the core's. */
static void limits(const control *c, double *lo, double *hi)
{
    double clo = -INFINITY, chi = INFINITY;
    fr_params_range(c->name, "value", &clo, &chi);
    *lo = fmax(c->lo, clo);
    *hi = fmin(c->hi, chi);
}

/* A new value for a parameter row: taken only if the core would take it. */
static int set_param(viz_app *a, const control *c, double v)
{
    fr_params q = a->ctl.cur;
    *(double *)((char *)&q + c->off) = v;
    char err[512];
    if (fr_params_validate(&q, err, sizeof err)) { /* e.g. needles that would overlap */
        controls_message(&a->ctl, 3.0, "%s %g refused: %s", c->name, v, err);
        return ACT_NONE;
    }
    a->ctl.cur = q;
    return ACT_PARAMS | ACT_SAY;
}

/* ×k or ÷k within [lo, hi] */
static int step_scale(viz_app *a, const control *c, int dir)
{
    const double v = *param(a, c);
    double lo, hi;
    limits(c, &lo, &hi);
    return set_param(a, c, fmax(lo, fmin(hi, dir < 0 ? v / c->k : v * c->k)));
}

/* b: steps of 1 above 1, of 0.25 below */
static int step_b(viz_app *a, const control *c, int dir)
{
    double v = *param(a, c);
    if (dir < 0)
        v = v > 1.0 ? v - 1.0 : v - 0.25;
    else
        v = v >= 1.0 ? v + 1.0 : v + 0.25;
    double lo, hi;
    limits(c, &lo, &hi);
    v = fmax(lo, fmin(hi, v));
    return set_param(a, c, round(v * 1e6) / 1e6);
}

/* D_r: doubles from 0.1, halves down to 0.01, then off */
static int step_brownian(viz_app *a, const control *c, int dir)
{
    double v = *param(a, c), lo, hi;
    limits(c, &lo, &hi);
    if (dir < 0)
        v = v / 2.0 < 0.01 ? 0.0 : v / 2.0;
    else
        v = v <= 0.0 ? 0.1 : fmin(hi, v * 2.0);
    return set_param(a, c, round(v * 1e9) / 1e9);
}

static int stopped(const viz_app *a) { return a->ctl.paused || a->snap->at_limit; }

/* the aspect: only while paused (the particles change shape under the viewer's eyes) */
static int step_aspect(viz_app *a, const control *c, int dir)
{
    if (!stopped(a)) {
        controls_message(&a->ctl, 2.0, "K / Shift+K change the aspect while paused (Space)");
        return ACT_NONE;
    }
    double v = *param(a, c) > 0.0 ? *param(a, c) : 1.0;
    v = dir < 0 ? v / c->k : v * c->k;
    double lo, hi;
    limits(c, &lo, &hi);
    v = fmax(lo, fmin(hi, v));
    if (fabs(v - 1.0) < 1e-9)
        v = 1.0;
    return set_param(a, c, round(v * 1e6) / 1e6);
}

static int step_param_switch(viz_app *a, const control *c, int dir)
{
    (void)dir;
    int *v = (int *)((char *)&a->ctl.cur + c->off);
    *v = !*v;
    return ACT_PARAMS | ACT_SAY;
}

/* a switch of the window (arrows, plot, units panel) */
static int step_switch(viz_app *a, const control *c, int dir)
{
    (void)dir;
    int *v = (int *)((char *)&a->ctl + c->off);
    *v = !*v;
    return ACT_SAY;
}

/* a switch of what the simulation thread computes (streamlines, slice) */
static int step_view_switch(viz_app *a, const control *c, int dir)
{
    return step_switch(a, c, dir) | ACT_VIEW_FACING;
}

static int step_cycle(viz_app *a, const control *c, int dir)
{
    (void)dir;
    int *v = (int *)((char *)&a->ctl + c->off);
    *v = (*v + 1) % (int)c->k;
    return ACT_SAY;
}

static int step_arrow_draw(viz_app *a, const control *c, int dir)
{
    (void)c;
    (void)dir;
    a->R.arrow_mode = (a->R.arrow_mode + 1) % ARROW_MODES;
    controls_say(&a->ctl, "arrow-draw=%s", render_arrow_mode_name(a->R.arrow_mode));
    return ACT_NONE;
}

static int step_lecture(viz_app *a, const control *c, int dir)
{
    step_switch(a, c, dir);
    app_set_lecture(a, a->ctl.lecture);
    return ACT_SAY;
}

static int step_fullscreen(viz_app *a, const control *c, int dir)
{
    (void)c;
    (void)dir;
    window_set_fullscreen(&a->win, !a->win.fullscreen);
    controls_say(&a->ctl, "fullscreen=%d", a->win.fullscreen);
    return ACT_NONE;
}

/* [ / ]: the simulation's speed limit ÷2 / ×2; above RATE_MAX unlimited (0) */
static int step_rate(viz_app *a, const control *c, int dir)
{
    double r = a->ctl.view.rate;
    if (dir > 0)
        r = r <= 0.0 ? 0.0 : r * 2.0 > c->hi ? 0.0 : r * 2.0;
    else
        r = r <= 0.0 ? c->hi : fmax(1.0, r / 2.0);
    a->ctl.view.rate = r;
    return ACT_VIEW | ACT_SAY;
}

static int step_pause(viz_app *a, const control *c, int dir)
{
    (void)dir;
    a->ctl.paused = !a->ctl.paused;
    viz_cmd cmd = {.kind = CMD_PAUSE, .u.paused = a->ctl.paused};
    push(a, &cmd);
    say_value(&a->ctl, c, &a->ctl.cur);
    return ACT_NONE;
}

static int step_single(viz_app *a, const control *c, int dir)
{
    (void)c;
    (void)dir;
    if (!stopped(a)) {
        controls_message(&a->ctl, 1.5, "N steps while paused (Space)");
        return ACT_NONE;
    }
    viz_cmd cmd = {.kind = CMD_STEP, .u.steps = 1};
    push(a, &cmd);
    return ACT_NONE;
}

/* ---- the field ---- */

static double norm3(const double v[3]) { return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }

static void set_hdir(viz_controls *c, const fr_params *p)
{
    const double n = norm3(p->field.H0);
    if (n > 0.0)
        for (int k = 0; k < 3; k++)
            c->hdir[k] = p->field.H0[k] / n;
}

/* The field is off now, or will be once the pending off/on command is applied. */
static int field_is_off(viz_app *a)
{
    const viz_snapshot *s = a->snap;
    if (a->ctl.off_id && s->applied_id < a->ctl.off_id)
        return a->ctl.off_state;
    a->ctl.off_id = 0;
    return fr_field_is_off(&s->params.field, s->diag.t);
}

/* F: switch-off now / on again */
static int step_field_off(viz_app *a, const control *c, int dir)
{
    (void)c;
    (void)dir;
    const int off = field_is_off(a);
    a->ctl.off_state = !off;
    a->ctl.off_id = push_params(a, off ? CMD_OFF_CLEAR : CMD_OFF_NOW);
    if (off)
        say_field(&a->ctl, &a->ctl.cur.field);
    else
        controls_say(&a->ctl, "H=0,0,0");
    controls_message(&a->ctl, 1.5, off ? "field on" : "field off (switch-off at t = %.4g)",
                     a->snap->diag.t);
    return ACT_NONE;
}

/* H / Shift+H: every part of the field ×k or ÷k, clamped */
static int step_field_scale(viz_app *a, const control *c, int dir)
{
    const double k = dir < 0 ? 1.0 / c->k : c->k;
    fr_field *f = &a->ctl.cur.field;
    const double n = norm3(f->H0);
    if (!fr_field_any(f) && k > 1.0) {
        for (int i = 0; i < 3; i++)
            f->H0[i] = 0.1 * a->ctl.hdir[i];
    } else {
        double nn = fmin(n * k, c->hi);
        if (nn < 0.01 && k < 1.0)
            nn = 0.0;
        for (int i = 0; i < 3; i++)
            f->H0[i] = n > 0.0 ? f->H0[i] / n * nn : 0.0;
        f->rot_H0 = fmin(f->rot_H0 * k, c->hi);
        if (fabs(f->rot_H0) < 0.01 && k < 1.0)
            f->rot_H0 = 0.0;
        f->grad_g = fmax(fmin(f->grad_g * k, c->hi), -c->hi);
        f->sweep_H0 = fmin(f->sweep_H0 * k, c->hi);
        const double mm = norm3(f->magnet_m);
        if (mm > 0.0 && mm * k <= 1e4)
            for (int i = 0; i < 3; i++)
                f->magnet_m[i] *= k;
    }
    return ACT_PARAMS | ACT_SAY;
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

/* About the vertical axis z (dphi), or the polar angle towards +z / -z (dtheta), clamped at
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

/* ← → about z, ↑ ↓ the polar angle (c->k = 1 for the polar rows): the uniform field, else the
 * magnet's moment */
static int step_field_turn(viz_app *a, const control *c, int dir)
{
    const double ang = dir * glm_rad(TURN_DEG);
    const double dphi = c->k ? 0.0 : ang, dtheta = c->k ? ang : 0.0;
    fr_field *f = &a->ctl.cur.field;
    double right[3];
    camera_right(&a->cam, right);
    if (norm3(f->H0) > 0.0 && fr_field_active(f) != FR_FIELD_ROTATING) {
        turn(f->H0, dphi, dtheta, right);
        set_hdir(&a->ctl, &a->ctl.cur);
    } else if (f->has_magnet) {
        turn(f->magnet_m, dphi, dtheta, right);
    } else {
        turn(a->ctl.hdir, dphi, dtheta, right);
        controls_message(&a->ctl, 2.0,
                         "no uniform field to turn (H up sets one along the new direction)");
        return ACT_NONE;
    }
    return ACT_PARAMS | ACT_SAY;
}

/* M: the field becomes a slow sweep H0 sin(2 pi t / 20) along the current direction of H
 * (amplitude |H|, or 2), the M(H) plot appears; M again: back to the uniform field. */
static int step_sweep(viz_app *a, const control *c, int dir)
{
    (void)c;
    (void)dir;
    fr_field *f = &a->ctl.cur.field;
    f->sweep_t0 = a->snap->diag.t; /* start the sine at the current time: no jump */
    if (fr_field_sweeping(f)) {
        f->sweep = 0;
        push_params(a, CMD_OFF_KEEP);
        controls_say(&a->ctl, "sweep=none");
        say_field(&a->ctl, f);
        return ACT_NONE;
    }
    double amp = norm3(f->H0);
    if (f->rotating) {
        amp = f->rot_H0;
        f->rotating = 0;
    }
    if (!(amp > 0.0))
        amp = 2.0;
    for (int i = 0; i < 3; i++)
        f->H0[i] = a->ctl.hdir[i] * amp;
    f->sweep = 1;
    f->sweep_H0 = amp;
    f->sweep_period = SWEEP_PERIOD;
    a->ctl.off_state = 0;
    a->ctl.off_id = push_params(a, CMD_OFF_CLEAR);
    controls_say(&a->ctl, "sweep=%g,%g", amp, SWEEP_PERIOD);
    return ACT_NONE;
}

/* ---- reset, presets, files ---- */

static void say_changes(viz_controls *c, const fr_params *o, const fr_params *p);

/* Restart with parameters p (reset or preset): prints what changes. */
static void restart(viz_app *a, const fr_params *p)
{
    viz_cmd c = {.kind = CMD_RESET};
    c.u.params.p = *p;
    if (!push(a, &c))
        return;
    const fr_params o = a->ctl.cur;
    a->ctl.cur = *p;
    a->ctl.off_id = 0;
    set_hdir(&a->ctl, p);
    say_changes(&a->ctl, &o, p);
}

static int step_reset(viz_app *a, const control *c, int dir)
{
    (void)c;
    (void)dir;
    controls_say(&a->ctl, "reset=1");
    restart(a, &a->ctl.scen);
    controls_message(&a->ctl, 1.5, "reset (seed %llu)", (unsigned long long)a->ctl.scen.seed);
    return ACT_NONE;
}

static int step_preset(viz_app *a, const control *c, int dir)
{
    (void)c;
    const int k = dir - 1;
    fr_params p;
    char err[1024];
    if (viz_preset_params(k, &p, err, sizeof err)) {
        fprintf(stderr, "ferroviz: %s\n", err);
        controls_message(&a->ctl, 4.0, "%s", err);
        return ACT_NONE;
    }
    controls_say(&a->ctl, "preset=%s", viz_preset_name(k));
    snprintf(a->ctl.preset, sizeof a->ctl.preset, "%s", viz_preset_name(k));
    a->ctl.scen = p;
    restart(a, &p);
    camera_fit(&a->cam, &p);
    controls_message(&a->ctl, 2.5, "preset %s (N = %d)", viz_preset_name(k), p.n);
    return ACT_NONE;
}

static int step_io(viz_app *a, const control *c, int dir)
{
    (void)dir;
#ifdef __EMSCRIPTEN__ /* a page loads what the user picks: F9 opened the picker (web.h), */
    if (strcmp(c->name, "save") && !web_take_file()) /* and F9 comes again once it is there */
        return ACT_NONE;
#endif
    push_path(a, !strcmp(c->name, "save") ? CMD_SAVE : CMD_LOAD, STATE_FILE);
    controls_say(&a->ctl, "%s=%s", c->name, STATE_FILE);
    return ACT_NONE;
}

static int step_deselect(viz_app *a, const control *c, int dir)
{
    (void)c;
    (void)dir;
    if (a->ctl.view.sel >= 0)
        controls_select(a, -1);
    return ACT_NONE;
}

static int step_record(viz_app *a, const control *c, int dir)
{
    (void)c;
    (void)dir;
    if (a->rec.on)
        app_rec_stop(a);
    else
        a->ctl.rec_toggle = 1; /* starts after the next frame is drawn (its size) */
    return ACT_NONE;
}

static int step_screenshot(viz_app *a, const control *c, int dir)
{
    (void)c;
    (void)dir;
    capture_timestamp_name(a->ctl.shot, sizeof a->ctl.shot);
    return ACT_NONE;
}

static int step_help(viz_app *a, const control *c, int dir)
{
    (void)c;
    (void)dir;
    a->ctl.help_forced = !(a->ctl.help_forced || viz_now() < a->ctl.help_until);
    a->ctl.help_until = 0.0;
    return ACT_NONE;
}

static int step_quit(viz_app *a, const control *c, int dir)
{
    (void)c;
    (void)dir;
    a->ctl.quit = 1;
    return ACT_NONE;
}

/* ---- the table ---- */

#define P(f) IN_PARAMS, offsetof(fr_params, f)
#define C(f) IN_CONTROLS, offsetof(viz_controls, f)
#define K1(k) {{k, 0, 1}}
#define K2(k1, k2) {{k1, 0, 1}, {k2, 0, -1}}
static const char *const PAUSE_WORDS[2] = {"running", "paused"};
static const char *const COLOUR_WORDS[COLOUR_MODES] = {"spin", "spin-average", "m0"};
static const char *const INIT_WORDS[2] = {"random", "aligned"};

/* In the order of the help; the rows with diff = 1 print after a reset in this order too. */
static const control CONTROLS[] = {
    {K1(SDLK_SPACE), 0, 0, "Space", "pause / resume", "paused", NULL, PAUSE_WORDS, 1,
     VAL_INT, C(paused), 0, step_pause, 0, 0, 0},
    {K1(SDLK_n), 0, 1, "N", "single step (while paused)", NULL, NULL, NULL, 0, VAL_NONE,
     C(paused), 0, step_single, 0, 0, 0},
    {{{0}}, 0, 0, NULL, NULL, "n", NULL, NULL, 0, VAL_INT, P(n), 1, NULL, 0, 0, 0},
    {{{0}}, 0, 0, NULL, NULL, "phi", "φ", NULL, 0, VAL_DOUBLE, P(phi), 1, NULL, 0, 0, 0},
    {K1(SDLK_e), 1, 1, "E / Shift+E", "ε ×2 / ÷2", "eps", "ε", NULL, 0, VAL_DOUBLE, P(eps), 1,
     step_scale, 2.0, 0, EPS_MAX},
    {K1(SDLK_b), 1, 1, "B / Shift+B", "b up / down", "b", NULL, NULL, 0, VAL_DOUBLE, P(b), 1,
     step_b, 0, 0.0, B_MAX},
    {K1(SDLK_i), 0, 0, "I", "interactions on / off", "interactions", NULL, NULL, 1, VAL_INT,
     P(interactions), 1, step_param_switch, 0, 0, 0},
    {K1(SDLK_f), 0, 0, "F", "field off (switch-off now) / on", "H", NULL, NULL, 0, VAL_FIELD,
     P(field), 1, step_field_off, 0, 0, 0},
    {K1(SDLK_h), 1, 1, "H / Shift+H", "|H| up / down (×1.25)", "H", NULL, NULL, 0, VAL_FIELD,
     P(field), 0, step_field_scale, H_STEP, 0, H_MAX},
    {K2(SDLK_RIGHT, SDLK_LEFT), 0, 1, "← → ↑ ↓", "turn the direction of H (15°)", "H", NULL,
     NULL, 0, VAL_FIELD, P(field), 0, step_field_turn, 0, 0, 0},
    {K2(SDLK_DOWN, SDLK_UP), 0, 1, NULL, NULL, "H", NULL, NULL, 0, VAL_FIELD, P(field), 0,
     step_field_turn, 1, 0, 0},
    {K1(SDLK_m), 0, 0, "M", "M(H) curve: field sweep along H, plot M·ê vs H·ê", "sweep",
     "sweep H0,period", NULL, 0, VAL_FIELD, P(field), 0, step_sweep, 0, 0, 0},
    {{{0}}, 0, 0, NULL, NULL, "rotating", "rotating H0,ω", NULL, 0, VAL_FIELD, P(field), 0,
     NULL, 0, 0, 0},
    {{{0}}, 0, 0, NULL, NULL, "seed", NULL, NULL, 0, VAL_U64, P(seed), 1, NULL, 0, 0, 0},
    {K2(SDLK_PERIOD, SDLK_COMMA), 0, 1, ", / .", "coupling step dt ÷2 / ×2", "dt",
     "coupling step dt", NULL, 0, VAL_DOUBLE, P(dt), 1, step_scale, 2.0, DT_MIN, DT_MAX},
    {{{0}}, 0, 0, NULL, NULL, "init", NULL, INIT_WORDS, 0, VAL_NAME, P(init), 1, NULL, 0, 0, 0},
    {K1(SDLK_k), 1, 1, "K / Shift+K", "spheroid aspect ×1.25 / ÷1.25 (paused)", "aspect",
     "aspect a", NULL, 0, VAL_ASPECT, P(aspect), 1, step_aspect, ASPECT_STEP, 0,
     INFINITY},
    {K1(SDLK_d), 1, 1, "D / Shift+D", "Brownian rotation D_r up / down", "brownian",
     "Brownian D_r", NULL, 0, VAL_DOUBLE, P(brownian), 1, step_brownian, 0, 0, DR_MAX},
    {K1(SDLK_s), 0, 0, "S", "streamlines on / off", "streamlines", NULL, NULL, 1, VAL_INT,
     C(view.streams), 0, step_view_switch, 0, 0, 0},
    {K1(SDLK_z), 0, 0, "Z", "streamlines: 3D / slice through z facing you", "slice", NULL, NULL,
     1, VAL_INT, C(view.slice), 0, step_view_switch, 0, 0, 0},
    {K1(SDLK_l), 0, 0, "L", "lecture mode (big text, thick lines, contrast)", "lecture", NULL,
     NULL, 1, VAL_INT, C(lecture), 0, step_lecture, 0, 0, 0},
    {K1(SDLK_u), 0, 0, "U", "physical units panel", "units-panel", NULL, NULL, 1, VAL_INT,
     C(units_panel), 0, step_switch, 0, 0, 0},
    {K1(SDLK_v), 0, 0, "V", "record PNG frames (every 0.02 sim time)", "recording", NULL, NULL,
     0, VAL_NONE, C(rec_toggle), 0, step_record, 0, 0, 0},
    {K1(SDLK_o), 0, 0, "O", "clean captures: V and P without HUD, captions, plot", "clean-capture",
     NULL, NULL, 1, VAL_INT, C(clean_capture), 0, step_switch, 0, 0, 0},
    {K1(SDLK_x), 0, 0, "click / X", "pick a particle / deselect", "select", "particle", NULL, 0,
     VAL_INT, C(view.sel), 0, step_deselect, 0, 0, 0},
    {K1(SDLK_F5), 0, 0, "F5 / F9", "save / load " STATE_FILE, "save", NULL, NULL, 0, VAL_NONE,
     C(paused), 0, step_io, 0, 0, 0},
    {K1(SDLK_F9), 0, 0, NULL, NULL, "load", NULL, NULL, 0, VAL_NONE, C(paused), 0, step_io, 0, 0,
     0},
    {K1(SDLK_a), 0, 0, "A", "arrows on / off", "arrows", NULL, NULL, 1, VAL_INT, C(arrows), 0,
     step_switch, 0, 0, 0},
    {K1(SDLK_t), 0, 0, "T", "arrows drawn as: auto / mesh / impostors", "arrow-draw", NULL, NULL,
     0, VAL_NONE, C(arrows), 0, step_arrow_draw, 0, 0, 0},
    {K1(SDLK_c), 0, 0, "C", "colour: spin / averaged spin / m0", "colour", NULL, COLOUR_WORDS, 0,
     VAL_NAME, C(colour), 0, step_cycle, COLOUR_MODES, 0, 0},
    {K1(SDLK_r), 0, 0, "R", "reset (same seed)", "reset", NULL, NULL, -1, VAL_NONE, C(paused), 0,
     step_reset, 0, 0, 0},
    {{{SDLK_1, 0, 1}, {SDLK_2, 0, 2}, {SDLK_3, 0, 3}, {SDLK_4, 0, 4}, {SDLK_5, 0, 5}}, 0, 0,
     "1 … 5", "presets: switch-off, rotating, magnet, aligned, large-N", "preset", NULL, NULL, 0,
     VAL_NONE, C(preset), 0, step_preset, 0, 0, 0},
    {K2(SDLK_RIGHTBRACKET, SDLK_LEFTBRACKET), 0, 1, "[ / ]", "simulation speed limit ÷2 / ×2",
     "rate", "max steps/s", NULL, 0, VAL_DOUBLE, C(view.rate), 0, step_rate, 0, 0, RATE_MAX},
    {K1(SDLK_g), 0, 0, "G", "plot on / off", "plot", NULL, NULL, 1, VAL_INT, C(plot), 0,
     step_switch, 0, 0, 0},
    {K1(SDLK_p), 0, 0, "P", "screenshot (PNG in the working directory)", NULL, NULL, NULL, 0,
     VAL_NONE, C(shot), 0, step_screenshot, 0, 0, 0},
    {K1(SDLK_F11), 0, 0, "F11", "fullscreen", "fullscreen", NULL, NULL, 1, VAL_NONE, C(paused), 0,
     step_fullscreen, 0, 0, 0},
    {{{SDLK_F1, 0, 1}, {SDLK_QUESTION, 0, 1}, {SDLK_SLASH, 1, 1}}, 0, 0, "F1 or ?", "this help",
     NULL, NULL, NULL, 0, VAL_NONE, C(help_forced), 0, step_help, 0, 0, 0},
    {{{SDLK_q, 0, 1}, {SDLK_ESCAPE, 0, 1}}, 0, 0, "Q or Esc", "quit", NULL, NULL, NULL, 0,
     VAL_NONE, C(quit), 0, step_quit, 0, 0, 0},
    {{{0}}, 0, 0, "mouse", "drag: orbit, wheel: zoom, right-drag: pan", NULL, NULL, NULL, 0,
     VAL_NONE, C(paused), 0, NULL, 0, 0, 0},
};
static const int NCONTROLS = (int)(sizeof CONTROLS / sizeof CONTROLS[0]);

/* The rows marked diff whose value differs between o and p, in the table's order. */
static void say_changes(viz_controls *c, const fr_params *o, const fr_params *p)
{
    for (int k = 0; k < NCONTROLS; k++) {
        const control *r = &CONTROLS[k];
        if (!r->diff)
            continue;
        if (r->type == VAL_FIELD)
            say_field_diff(c, &o->field, &p->field);
        else if (value_changed(r, o, p))
            say_value(c, r, p);
    }
}

static const control *row_named(const char *name)
{
    for (int k = 0; k < NCONTROLS; k++)
        if (CONTROLS[k].name && !strcmp(CONTROLS[k].name, name))
            return &CONTROLS[k];
    return NULL;
}

/* The row of key k with modifiers mod, and the direction of the press. */
static const control *lookup(SDL_Keycode k, Uint16 mod, int *dir)
{
    const int shift = (mod & KMOD_SHIFT) != 0;
    for (int r = 0; r < NCONTROLS; r++) {
        const control *c = &CONTROLS[r];
        for (int j = 0; j < 5 && c->keys[j].dir; j++) {
            const keyspec *q = &c->keys[j];
            if (q->key != k || (q->shift && !shift) || !c->step)
                continue;
            *dir = c->shift_reverses && shift ? -q->dir : q->dir;
            return c;
        }
    }
    return NULL;
}

void controls_key(viz_app *a, const SDL_KeyboardEvent *e)
{
    int dir = 0;
    const control *c = lookup(e->keysym.sym, e->keysym.mod, &dir);
    if (!c || (e->repeat && !c->repeat))
        return;
    const int act = c->step(a, c, dir);
    if (act & ACT_PARAMS)
        push_params(a, CMD_OFF_KEEP);
    if (act & ACT_VIEW)
        push_view(a);
    if (act & ACT_VIEW_FACING)
        push_view_facing(a);
    if (act & ACT_SAY)
        say_value(&a->ctl, c, &a->ctl.cur);
}

void controls_select(viz_app *a, int i)
{
    if (i == a->ctl.view.sel)
        return;
    a->ctl.view.sel = i;
    push_view(a);
    if (i >= 0)
        controls_say(&a->ctl, "select=%d", i);
    else
        controls_say(&a->ctl, "select=none");
}

void controls_camera_moved(viz_app *a)
{
    const viz_controls *c = &a->ctl;
    if (c->view.slice && c->view.streams && fabsf(a->cam.yaw - c->slice_yaw) > 5.0f)
        push_view_facing(a);
}

void controls_loaded(viz_controls *c, const viz_snapshot *s)
{
    c->cur = c->scen = s->params;
    set_hdir(c, &s->params);
    c->off_id = 0;
    if (s->applied_id >= c->view_id) /* not a pick made after the load was asked for */
        c->view.sel = s->sel;
}

void controls_init(viz_controls *c, const fr_params *p, double rate, int lecture,
                   const char *preset)
{
    memset(c, 0, sizeof *c);
    c->cur = c->scen = *p;
    c->hdir[2] = 1.0;
    set_hdir(c, p);
    c->view = (viz_view){.streams = 1, .slice_phi = M_PI / 2, .rate = rate, .sel = -1};
    c->arrows = c->plot = 1;
    c->lecture = lecture;
    snprintf(c->preset, sizeof c->preset, "%s", preset);
}

int controls_help_rows(void)
{
    int n = 0;
    for (int k = 0; k < NCONTROLS; k++)
        n += CONTROLS[k].shown != NULL;
    return n;
}

void controls_help_row(int k, const char **keys, const char **text)
{
    for (int r = 0; r < NCONTROLS; r++) {
        if (!CONTROLS[r].shown || k--)
            continue;
        *keys = CONTROLS[r].shown;
        *text = CONTROLS[r].help;
        return;
    }
    *keys = *text = "";
}

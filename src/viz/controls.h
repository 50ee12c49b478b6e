/* controls.h — the live controls of ferroviz: one table row per control (key, the "set NAME="
 * name = the command-line option's name, caption label, help text, step rule, whether holding
 * the key repeats it). From the table come the key handler, the help overlay, the captions,
 * the "set NAME=VALUE" lines on stdout and the lines printed after a reset or a preset. */
#ifndef VIZ_CONTROLS_H
#define VIZ_CONTROLS_H

#include "ferro/params.h"
#include "simthread.h"
#include "sync.h"

#include <SDL2/SDL.h>

#define STATE_FILE "ferroviz-state.bin" /* F5 / F9 */

/* Everything the keys change: the requested parameters and what the window shows. */
typedef struct viz_controls {
    fr_params cur, scen;      /* the live parameters as requested; the scenario R returns to */
    double hdir[3];           /* direction of H, kept while |H| = 0 */
    int paused;
    viz_view view;            /* streamlines, slice, pace and picked particle (sim thread) */
    unsigned long long view_id; /* id of the last view command */
    float slice_yaw;          /* camera azimuth (degrees) the slice plane was set for */
    int arrows, colour, plot, lecture, units_panel, help_forced;
    double help_until;        /* the help shows at start until then */
    int off_state;            /* requested field-off state, valid while its id is pending */
    unsigned long long off_id;
    int rec_toggle;           /* V: start recording after the next frame (its size) */
    int clean_capture;        /* O: captures show the scene alone (no overlay) */
    int quit;
    char shot[1024];          /* P: screenshot name for this frame, "" = none */
    char preset[64];
    char caption[600];        /* the last change ("ε = 0.005"), shown until caption_until */
    double caption_until;
    char msg[512];            /* a transient message, until msg_until */
    double msg_until;
} viz_controls;

struct viz_app;

/* The starting state from the parsed scenario p. */
void controls_init(viz_controls *c, const fr_params *p, double rate, int lecture,
                   const char *preset);
/* A key press (with its snapshot s: time, field-off state, pause). */
void controls_key(struct viz_app *a, const SDL_KeyboardEvent *e);
/* A click picked particle i (-1: none). */
void controls_select(struct viz_app *a, int i);
/* The camera turned: the slice plane turns to face it again. */
void controls_camera_moved(struct viz_app *a);
/* A load in the simulation thread succeeded: its snapshot s (parameters, picked particle). */
void controls_loaded(viz_controls *c, const viz_snapshot *s);
void controls_message(viz_controls *c, double secs, const char *fmt, ...);
/* Prints "set LINE" (a change) and shows it as the caption. */
void controls_say(viz_controls *c, const char *fmt, ...);

/* The help overlay's rows, generated from the table: keys and text of row k (k < n). */
int controls_help_rows(void);
void controls_help_row(int k, const char **keys, const char **text);

#endif

/* ui.h — the overlay: statistics, colour bar and legends, gizmo labels, messages, help. */
#ifndef VIZ_UI_H
#define VIZ_UI_H

#include "hud.h"
#include "simthread.h"
#include "style.h"

typedef struct viz_ui_info {
    const viz_snapshot *snap;
    const viz_streams *streams;
    double fps;
    int colour_mode, arrows, streams_on, slice;
    const char *arrow_draw;        /* "mesh", "impostors" or "" (next to fps) */
    const char *preset;            /* "" = command line */
    const char *message;           /* transient message or NULL */
    float message_alpha;
    float help_alpha;              /* 0 = hidden */
    int help_n;                    /* the help's rows: keys and text of row k */
    void (*help_row)(int k, const char **keys, const char **text);
    int gizmo_x, gizmo_y, gizmo_size; /* window pixels, origin top left */
    float gizmo_labels[4][2];      /* x, y, z, H */
    float axis_labels[3][2];       /* main axes tips, window pixels; < -1e5 = hidden */
    int axes_visible;
    int plot_visible;
    int units_panel;
    const char *units_text;        /* physical units panel (lines) */
    const char *caption;           /* the last key's action ("ε = 0.005"), or NULL */
    float caption_alpha;
    int recording;                 /* V: frames written so far to rec_dir */
    long rec_frames;
    const char *rec_dir;
    float pick_xy[2];              /* picked particle in window pixels; x < -1e5 = none */
} viz_ui_info;

/* The overlay (statistics, legends, plot, captions, messages, gizmo labels, units panel). */
void ui_draw(viz_hud *h, const viz_style *st, const viz_ui_info *u);
/* What is never captured: the REC label and the help box. */
void ui_draw_window_only(viz_hud *h, const viz_style *st, const viz_ui_info *u);
/* Text scaled by k about its baseline start (captions); returns the advance. */
float ui_text_scaled(viz_hud *h, float x, float y, const char *s, const float rgba[4], float k);

#endif

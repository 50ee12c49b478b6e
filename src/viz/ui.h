/* ui.h — the overlay: statistics, colour bar and legends, gizmo labels, messages, help. */
#ifndef VIZ_UI_H
#define VIZ_UI_H

#include "hud.h"
#include "simthread.h"

typedef struct ui_info {
    const viz_snapshot *snap;
    const viz_streams *streams;
    double fps;
    int colour_mode, arrows, streams_on, slice;
    const char *preset;            /* "" = command line */
    const char *message;           /* transient message or NULL */
    float message_alpha;
    float help_alpha;              /* 0 = hidden */
    int gizmo_x, gizmo_y, gizmo_size; /* window pixels, origin top left */
    float gizmo_labels[4][2];      /* x, y, z, H */
    float axis_labels[3][2];       /* main axes tips, window pixels; < -1e5 = hidden */
    int axes_visible;
    int plot_visible;
} ui_info;

void ui_draw(hud *h, const ui_info *u);

#endif

/* colormap.h — the colour maps, written once (colormap.c) for both sides: evaluated on the CPU
 * (colour bar, legends, plots) and handed to every shader as a generated GLSL prelude
 * (cmap_glsl: viridis(), diverging(), spin_colour()), so arrows, impostors, streamlines and
 * the colour bar cannot drift apart. Plain GLSL 3.30 / ES 3.00: no textures needed. */
#ifndef VIZ_COLORMAP_H
#define VIZ_COLORMAP_H

#include <stddef.h>

void cmap_viridis(float t, float rgb[3]);     /* t in [0, 1] */
void cmap_diverging(float v, float rgb[3]);   /* v in [-1, 1]: blue - grey - red */
extern const float CMAP_SPIN_UP[3], CMAP_SPIN_DOWN[3];

/* The GLSL source of the same maps (inserted by viz_load_program after #version). Returns the
 * length written (truncated to cap - 1), like snprintf. */
int cmap_glsl(char *out, size_t cap);

#endif

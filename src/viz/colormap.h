/* colormap.h — the colour maps of the shaders, on the CPU (colour bar, legends, plot). */
#ifndef VIZ_COLORMAP_H
#define VIZ_COLORMAP_H

void cmap_viridis(float t, float rgb[3]);     /* t in [0, 1] */
void cmap_diverging(float v, float rgb[3]);   /* v in [-1, 1]: blue - grey - red */
extern const float CMAP_SPIN_UP[3], CMAP_SPIN_DOWN[3];

#endif

/* plot.h — the live plot of M·Ĥ(t) and |M| over the last VIZ_HIST steps, with the Néel theory
 * M·Ĥ(t_off) e^{-2(t - t_off)/ε} overlaid after a switch-off. */
#ifndef VIZ_PLOT_H
#define VIZ_PLOT_H

#include "hud.h"
#include "simthread.h"
#include "style.h"

void plot_draw(viz_hud *h, const viz_style *st, float x, float y, float w, float hh, const viz_snapshot *s);

/* The magnetisation curve of a sweep: M·ê/φ against H·ê, with tanh(b H·ê). */
void plot_mh_draw(viz_hud *h, const viz_style *st, float x, float y, float w, float hh, const viz_snapshot *s);

#endif

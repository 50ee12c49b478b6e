/* plot.c — see plot.h. Both plots are a panel with a legend above a box that maps data
 * (x, y) to pixels; the box is the one place that mapping lives. */
#include "plot.h"

#include <math.h>
#include <stdio.h>

/* The plots' colours: the magnetisation is orange as the σ = +1 arrows, theory teal. */
static const float C_FRAME[4] = {0.6f, 0.62f, 0.7f, 0.5f};
static const float C_GRID[4] = {0.6f, 0.62f, 0.7f, 0.18f};
static const float C_DIM[4] = {0.65f, 0.67f, 0.72f, 1.0f};
static const float C_M[4] = {1.0f, 0.62f, 0.2f, 1.0f};
static const float C_MABS[4] = {0.7f, 0.72f, 0.8f, 0.7f};
static const float C_THEORY[4] = {0.35f, 0.95f, 0.85f, 1.0f};
static const float C_BROWN[4] = {1.0f, 0.45f, 0.85f, 1.0f};
static const float C_BOTH[4] = {1.0f, 1.0f, 1.0f, 0.95f};

/* The plotting area in pixels and the data ranges it shows. */
typedef struct box {
    float left, top, right, bottom;
    double x0, x1, y0, y1;
} box;

static float px(const box *b, double x)
{
    return b->left + (float)((x - b->x0) / (b->x1 - b->x0)) * (b->right - b->left);
}
static float py(const box *b, double y)
{
    return b->bottom - (float)((y - b->y0) / (b->y1 - b->y0)) * (b->bottom - b->top);
}

static double nice_ceil(double v)
{
    if (!(v > 0.0))
        return 1.0;
    const double e = pow(10.0, floor(log10(v)));
    const double m = v / e;
    return (m <= 1.0 ? 1.0 : m <= 2.0 ? 2.0 : m <= 5.0 ? 5.0 : 10.0) * e;
}

/* The panel's background; the box below `legend_rows` rows of legend, `margin` line heights
 * from the left for the y labels. Returns the legend's first baseline. */
static float panel(viz_hud *h, const viz_style *st, float x, float y, float w, float hh,
                   float legend_rows, float margin, box *b)
{
    const float bg[4] = {0.05f, 0.06f, 0.08f, st->plot_bg_a};
    hud_rect(h, x, y, w, hh, bg);
    const float pad = h->line_h * 0.4f;
    b->top = y + h->line_h * (legend_rows + 0.75f);
    b->bottom = y + hh - h->line_h * 1.4f;
    b->left = x + h->line_h * margin;
    b->right = x + w - pad;
    return y + h->ascent + pad * 0.5f;
}

/* A label right-aligned left of the box at data height v, and x labels under it. */
static void y_label(viz_hud *h, const box *b, double v, const char *s)
{
    hud_text(h, b->left - hud_text_width(h, s) - h->line_h * 0.2f, py(b, v) + h->ascent * 0.4f, s,
             C_DIM);
}
static void x_label(viz_hud *h, const box *b, float x, const char *s)
{
    hud_text(h, x, b->bottom + h->line_h * 1.05f, s, C_DIM);
}

/* y = f(x; k) over [xa, xb] in nseg segments, every other one when dashed. */
typedef double (*curve_fn)(double x, const double k[3]);
static void curve(viz_hud *h, const box *b, curve_fn f, const double k[3], double xa, double xb,
                  int nseg, int dashed, float width, const float c[4])
{
    for (int i = 0; i < nseg; i += dashed ? 2 : 1) {
        const double a = xa + (xb - xa) * i / nseg, z = xa + (xb - xa) * (i + 1) / nseg;
        hud_line(h, px(b, a), py(b, f(a, k)), px(b, z), py(b, f(z, k)), width, c);
    }
}

/* y0 e^{-rate (t - t_off)}: k = {y0, rate, t_off} */
static double decay(double t, const double k[3]) { return k[0] * exp(-k[1] * (t - k[2])); }
/* tanh(b H): k = {b} */
static double tanh_b(double x, const double k[3]) { return tanh(k[0] * x); }

static void polyline(viz_hud *h, const box *b, const float *x, const float *y, int n,
                     float width, const float c[4])
{
    for (int i = 1; i < n; i++)
        hud_line(h, px(b, x[i - 1]), py(b, y[i - 1]), px(b, x[i]), py(b, y[i]), width, c);
}

/* ---- M·Ĥ(t) and |M|, with the relaxation theory after a switch-off ---- */

/* The theory shown after a switch-off: Néel alone, or Néel and Brownian (D_r > 0) with a
 * second row for both together. */
static void mh_legend(viz_hud *h, float x, float y, int has_off, int two)
{
    const float x0 = x;
    x += hud_text(h, x, y, "M·Ĥ", C_M);
    x += hud_text(h, x, y, "   |M|", C_MABS);
    if (has_off && !two)
        hud_text(h, x, y, "   theory e^(−2(t−t_off)/ε)", C_THEORY);
    if (!two)
        return;
    x += hud_text(h, x, y, "   Néel e^(−2τ/ε)", C_THEORY);
    hud_text(h, x, y, "   Brownian e^(−2D_r τ)", C_BROWN);
    hud_text(h, x0, y + h->line_h, "both (M·Ĥ): e^(−(2/ε + 2D_r)τ),  τ = t − t_off", C_BOTH);
}

/* The y range: symmetric about 0 when M·Ĥ goes negative, to a round number. */
static void time_axes(viz_hud *h, box *b, const viz_snapshot *s)
{
    double ymax = 0.0, ymin = 0.0;
    for (int k = 0; k < s->hist_n; k++) {
        ymax = fmax(ymax, fmax(s->hist_mh[k], s->hist_mabs[k]));
        ymin = fmin(ymin, s->hist_mh[k]);
    }
    const double span = fmax(nice_ceil(fmax(ymax, -ymin)), 1e-6);
    b->x0 = s->hist_t[0];
    b->x1 = s->hist_t[s->hist_n - 1];
    b->y0 = ymin < 0.0 ? -span : 0.0;
    b->y1 = span;
    char buf[64];
    const double ticks[3] = {b->y0, 0.5 * (b->y0 + b->y1), b->y1};
    for (int k = 0; k < 3; k++) {
        hud_rect(h, b->left, py(b, ticks[k]), b->right - b->left, 1.0f, C_GRID);
        snprintf(buf, sizeof buf, "%.3g", ticks[k]);
        y_label(h, b, ticks[k], buf);
    }
    if (b->y0 < 0.0)
        hud_rect(h, b->left, py(b, 0.0), b->right - b->left, 1.0f, C_FRAME);
    snprintf(buf, sizeof buf, "t = %.4g", b->x0);
    x_label(h, b, b->left, buf);
    snprintf(buf, sizeof buf, "%.4g", b->x1);
    x_label(h, b, b->right - hud_text_width(h, buf), buf);
}

/* After a switch-off at t_off: M·Ĥ(t_off) e^{-2τ/ε}, and with D_r > 0 the Brownian decay
 * e^{-2 D_r τ} and both together, τ = t − t_off (MODEL.md). */
static void relaxation_theory(viz_hud *h, const box *b, const viz_style *st, const viz_snapshot *s,
                              int two)
{
    const double a = fmax(s->t_off, b->x0), eps = s->params.eps, Dr = s->params.brownian;
    const float w = 2.0f * st->line_w;
    curve(h, b, decay, (double[3]){s->y_off, 2.0 / eps, s->t_off}, a, b->x1, 80, 1, w, C_THEORY);
    if (two) {
        curve(h, b, decay, (double[3]){s->y_off, 2.0 * Dr, s->t_off}, a, b->x1, 80, 1, w, C_BROWN);
        curve(h, b, decay, (double[3]){s->y_off, 2.0 / eps + 2.0 * Dr, s->t_off}, a, b->x1, 80, 0,
              1.5f * st->line_w, C_BOTH);
    }
    if (s->t_off >= b->x0)
        hud_rect(h, px(b, s->t_off), b->top, 1.0f, b->bottom - b->top, C_THEORY);
}

void plot_draw(viz_hud *h, const viz_style *st, float x, float y, float w, float hh, const viz_snapshot *s)
{
    const int two = s->has_off && s->params.brownian > 0.0;
    box b;
    const float base = panel(h, st, x, y, w, hh, two ? 2.0f : 1.0f, 3.6f, &b);
    mh_legend(h, x + h->line_h * 0.4f, base, s->has_off, two);
    hud_rect(h, b.left, b.top, b.right - b.left, 1.0f, C_FRAME);
    hud_rect(h, b.left, b.bottom, b.right - b.left, 1.0f, C_FRAME);
    hud_rect(h, b.left, b.top, 1.0f, b.bottom - b.top, C_FRAME);
    if (s->hist_n < 2 || !(s->hist_t[s->hist_n - 1] > s->hist_t[0]))
        return;
    time_axes(h, &b, s);
    polyline(h, &b, s->hist_t, s->hist_mabs, s->hist_n, 1.2f * st->line_w, C_MABS);
    polyline(h, &b, s->hist_t, s->hist_mh, s->hist_n, 2.0f * st->line_w, C_M);
    if (s->has_off && s->t_off < b.x1)
        relaxation_theory(h, &b, st, s, two);
}

/* ---- the magnetisation curve of a sweep ---- */

/* Frame, zero lines and labels of the box [-hmax, hmax] x [-1, 1]. */
static void mh_axes(viz_hud *h, const box *b)
{
    const float pw = b->right - b->left, ph = b->bottom - b->top;
    hud_rect(h, b->left, b->top, pw, 1.0f, C_FRAME);
    hud_rect(h, b->left, b->bottom, pw, 1.0f, C_FRAME);
    hud_rect(h, b->left, b->top, 1.0f, ph, C_FRAME);
    hud_rect(h, b->right, b->top, 1.0f, ph, C_FRAME);
    hud_rect(h, b->left, py(b, 0.0), pw, 1.0f, C_GRID);
    hud_rect(h, px(b, 0.0), b->top, 1.0f, ph, C_GRID);
    const char *yl[3] = {"1", "0", "−1"};
    for (int k = 0; k < 3; k++)
        y_label(h, b, 1.0 - k, yl[k]);
    char buf[64];
    snprintf(buf, sizeof buf, "%.3g", b->x0);
    x_label(h, b, b->left, buf);
    snprintf(buf, sizeof buf, "%.3g", b->x1);
    x_label(h, b, b->right - hud_text_width(h, buf), buf);
    x_label(h, b, px(b, 0.0) - 0.5f * hud_text_width(h, "H·ê"), "H·ê");
}

/* Magnetisation curve: M·ê/φ against H·ê (the swept component), the last samples brighter,
 * with the theory for aligned particles tanh(b H·ê) (at equilibrium; M·ê = φ tanh(b H·ê)). */
void plot_mh_draw(viz_hud *h, const viz_style *st, float x, float y, float w, float hh, const viz_snapshot *s)
{
    box b;
    const float base = panel(h, st, x, y, w, hh, 2.0f, 2.6f, &b);
    const float pad = h->line_h * 0.4f;
    const float tx = x + pad + hud_text(h, x + pad, base, "M·ê/φ", C_M);
    hud_text(h, tx, base, "  vs H·ê  (sweep)", C_DIM);
    char buf[96];
    snprintf(buf, sizeof buf, "theory tanh(b H·ê), b = %g", s->params.b);
    hud_text(h, x + pad, base + h->line_h, buf, C_THEORY);
    double hmax = fabs(s->params.field.sweep_H0);
    for (int k = 0; k < s->mh_n; k++)
        hmax = fmax(hmax, fabs(s->mh_h[k]));
    if (!(hmax > 0.0))
        hmax = 1.0;
    b.x0 = -hmax;
    b.x1 = hmax;
    b.y0 = -1.0;
    b.y1 = 1.0;
    mh_axes(h, &b);
    curve(h, &b, tanh_b, (double[3]){s->params.b}, -hmax, hmax, 120, 0, 2.0f * st->line_w,
          C_THEORY);
    for (int k = 1; k < s->mh_n; k++) {
        const float c[4] = {C_M[0], C_M[1], C_M[2], 0.25f + 0.75f * (float)k / (float)s->mh_n};
        hud_line(h, px(&b, s->mh_h[k - 1]), py(&b, s->mh_m[k - 1]), px(&b, s->mh_h[k]),
                 py(&b, s->mh_m[k]), 1.6f * st->line_w, c);
    }
    if (s->mh_n > 0) { /* the current state */
        const float cx = px(&b, s->mh_h[s->mh_n - 1]), cy = py(&b, s->mh_m[s->mh_n - 1]);
        const float r = 0.22f * h->line_h;
        hud_rect(h, cx - r, cy - r, 2 * r, 2 * r, C_M);
    }
}

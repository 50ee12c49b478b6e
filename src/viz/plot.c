/* plot.c — see plot.h. */
#include "plot.h"

#include <math.h>
#include <stdio.h>

static double nice_ceil(double v)
{
    if (!(v > 0.0))
        return 1.0;
    const double e = pow(10.0, floor(log10(v)));
    const double m = v / e;
    return (m <= 1.0 ? 1.0 : m <= 2.0 ? 2.0 : m <= 5.0 ? 5.0 : 10.0) * e;
}

/* Dashed curve y(t) = y0 exp(-rate (t - t_off)) over [a, t1]. */
static void decay_curve(viz_hud *h, double a, double t1, double t_off, double y0, double rate,
                        float left, float bottom, double t0, double tspan, float pw, double lo,
                        double hi, float ph, float width, const float c[4], int dash)
{
    const int nseg = 80;
    for (int k = 0; k < nseg; k += dash ? 2 : 1) {
        const double ta = a + (t1 - a) * k / nseg, tb = a + (t1 - a) * (k + 1) / nseg;
        const double ya = y0 * exp(-rate * (ta - t_off)), yb = y0 * exp(-rate * (tb - t_off));
        hud_line(h, left + (float)((ta - t0) / tspan) * pw,
                 bottom - (float)((ya - lo) / (hi - lo)) * ph,
                 left + (float)((tb - t0) / tspan) * pw,
                 bottom - (float)((yb - lo) / (hi - lo)) * ph, width, c);
    }
}

void plot_draw(viz_hud *h, const viz_style *st, float x, float y, float w, float hh, const viz_snapshot *s)
{
    const float bg[4] = {0.05f, 0.06f, 0.08f, st->plot_bg_a};
    static const float frame[4] = {0.6f, 0.62f, 0.7f, 0.5f};
    static const float grid[4] = {0.6f, 0.62f, 0.7f, 0.18f};
    static const float text[4] = {0.85f, 0.87f, 0.92f, 1.0f};
    static const float dim[4] = {0.65f, 0.67f, 0.72f, 1.0f};
    static const float c_mh[4] = {1.0f, 0.62f, 0.2f, 1.0f};
    static const float c_ma[4] = {0.7f, 0.72f, 0.8f, 0.7f};
    static const float c_th[4] = {0.35f, 0.95f, 0.85f, 1.0f};
    static const float c_br[4] = {1.0f, 0.45f, 0.85f, 1.0f};
    static const float c_both[4] = {1.0f, 1.0f, 1.0f, 0.95f};
    hud_rect(h, x, y, w, hh, bg);
    const float pad = h->line_h * 0.4f;
    const double Dr = s->params.brownian;
    const int two = s->has_off && Dr > 0.0; /* Néel and Brownian: a second legend row */
    const float top = y + h->line_h * (two ? 2.75f : 1.75f), bottom = y + hh - h->line_h * 1.4f;
    const float left = x + h->line_h * 3.6f, right = x + w - pad;
    float tx = x + pad;
    tx += hud_text(h, tx, y + h->ascent + pad * 0.5f, "M·Ĥ", c_mh);
    tx += hud_text(h, tx, y + h->ascent + pad * 0.5f, "   |M|", c_ma);
    if (s->has_off && !two)
        hud_text(h, tx, y + h->ascent + pad * 0.5f, "   theory e^(−2(t−t_off)/ε)", c_th);
    if (two) {
        tx += hud_text(h, tx, y + h->ascent + pad * 0.5f, "   Néel e^(−2τ/ε)", c_th);
        hud_text(h, tx, y + h->ascent + pad * 0.5f, "   Brownian e^(−2D_r τ)", c_br);
        hud_text(h, x + pad, y + h->line_h + h->ascent + pad * 0.5f,
                 "both (M·Ĥ): e^(−(2/ε + 2D_r)τ),  τ = t − t_off", c_both);
    }
    hud_rect(h, left, top, right - left, 1.0f, frame);
    hud_rect(h, left, bottom, right - left, 1.0f, frame);
    hud_rect(h, left, top, 1.0f, bottom - top, frame);
    if (s->hist_n < 2)
        return;
    const double t0 = s->hist_t[0], t1 = s->hist_t[s->hist_n - 1];
    if (!(t1 > t0))
        return;
    double ymax = 0.0, ymin = 0.0;
    for (int k = 0; k < s->hist_n; k++) {
        ymax = fmax(ymax, fmax(s->hist_mh[k], s->hist_mabs[k]));
        ymin = fmin(ymin, s->hist_mh[k]);
    }
    double span = nice_ceil(fmax(ymax, -ymin));
    if (span < 1e-6)
        span = 1e-6;
    const double lo = ymin < 0.0 ? -span : 0.0, hi = span;
    const float ph = bottom - top, pw = right - left;
#define PX(t) (left + (float)(((t)-t0) / (t1 - t0)) * pw)
#define PY(v) (bottom - (float)(((v)-lo) / (hi - lo)) * ph)
    char buf[64];
    /* grid and labels */
    const double ticks[3] = {lo, 0.5 * (lo + hi), hi};
    for (int k = 0; k < 3; k++) {
        const float yy = PY(ticks[k]);
        hud_rect(h, left, yy, pw, 1.0f, grid);
        snprintf(buf, sizeof buf, "%.3g", ticks[k]);
        hud_text(h, left - hud_text_width(h, buf) - pad * 0.5f, yy + h->ascent * 0.4f, buf, dim);
    }
    if (lo < 0.0)
        hud_rect(h, left, PY(0.0), pw, 1.0f, frame);
    snprintf(buf, sizeof buf, "t = %.4g", t0);
    hud_text(h, left, bottom + h->line_h * 1.05f, buf, dim);
    snprintf(buf, sizeof buf, "%.4g", t1);
    hud_text(h, right - hud_text_width(h, buf), bottom + h->line_h * 1.05f, buf, dim);
    /* series */
    for (int k = 1; k < s->hist_n; k++) {
        hud_line(h, PX(s->hist_t[k - 1]), PY(s->hist_mabs[k - 1]), PX(s->hist_t[k]),
                 PY(s->hist_mabs[k]), 1.2f * st->line_w, c_ma);
    }
    for (int k = 1; k < s->hist_n; k++) {
        hud_line(h, PX(s->hist_t[k - 1]), PY(s->hist_mh[k - 1]), PX(s->hist_t[k]),
                 PY(s->hist_mh[k]), 2.0f * st->line_w, c_mh);
    }
    /* theory after a switch-off (dashed) */
    if (s->has_off && s->t_off < t1) {
        const double eps = s->params.eps;
        const double a = fmax(s->t_off, t0);
        decay_curve(h, a, t1, s->t_off, s->y_off, 2.0 / eps, left, bottom, t0, t1 - t0, pw, lo,
                    hi, ph, 2.0f * st->line_w, c_th, 1);
        if (two) {
            decay_curve(h, a, t1, s->t_off, s->y_off, 2.0 * Dr, left, bottom, t0, t1 - t0, pw, lo,
                        hi, ph, 2.0f * st->line_w, c_br, 1);
            decay_curve(h, a, t1, s->t_off, s->y_off, 2.0 / eps + 2.0 * Dr, left, bottom, t0,
                        t1 - t0, pw, lo, hi, ph, 1.5f * st->line_w, c_both, 0);
        }
        if (s->t_off >= t0) {
            const float xo = PX(s->t_off);
            hud_rect(h, xo, top, 1.0f, ph, c_th);
        }
    }
    (void)text;
#undef PX
#undef PY
}

/* Magnetisation curve: M·ê/φ against H·ê (the swept component), the last samples brighter,
 * with the theory for aligned particles tanh(b H·ê) (at equilibrium; M·ê = φ tanh(b H·ê)). */
void plot_mh_draw(viz_hud *h, const viz_style *st, float x, float y, float w, float hh, const viz_snapshot *s)
{
    const float bg[4] = {0.05f, 0.06f, 0.08f, st->plot_bg_a};
    static const float frame[4] = {0.6f, 0.62f, 0.7f, 0.5f};
    static const float grid[4] = {0.6f, 0.62f, 0.7f, 0.18f};
    static const float dim[4] = {0.65f, 0.67f, 0.72f, 1.0f};
    static const float c_m[4] = {1.0f, 0.62f, 0.2f, 1.0f};
    static const float c_th[4] = {0.35f, 0.95f, 0.85f, 1.0f};
    hud_rect(h, x, y, w, hh, bg);
    const float pad = h->line_h * 0.4f;
    const float top = y + h->line_h * 2.75f, bottom = y + hh - h->line_h * 1.4f;
    const float left = x + h->line_h * 2.6f, right = x + w - pad;
    float tx = x + pad;
    tx += hud_text(h, tx, y + h->ascent + pad * 0.5f, "M·ê/φ", c_m);
    hud_text(h, tx, y + h->ascent + pad * 0.5f, "  vs H·ê  (sweep)", dim);
    char buf[96];
    snprintf(buf, sizeof buf, "theory tanh(b H·ê), b = %g", s->params.b);
    hud_text(h, x + pad, y + h->line_h + h->ascent + pad * 0.5f, buf, c_th);
    const float pw = right - left, ph = bottom - top;
    double hmax = fabs(s->params.field.sweep_H0);
    for (int k = 0; k < s->mh_n; k++)
        hmax = fmax(hmax, fabs(s->mh_h[k]));
    if (!(hmax > 0.0))
        hmax = 1.0;
#define QX(v) (left + (float)(((v) + hmax) / (2.0 * hmax)) * pw)
#define QY(v) (bottom - (float)(((v) + 1.0) / 2.0) * ph)
    hud_rect(h, left, top, pw, 1.0f, frame);
    hud_rect(h, left, bottom, pw, 1.0f, frame);
    hud_rect(h, left, top, 1.0f, ph, frame);
    hud_rect(h, right, top, 1.0f, ph, frame);
    hud_rect(h, left, QY(0.0), pw, 1.0f, grid);
    hud_rect(h, QX(0.0), top, 1.0f, ph, grid);
    const char *yl[3] = {"1", "0", "−1"};
    for (int k = 0; k < 3; k++)
        hud_text(h, left - hud_text_width(h, yl[k]) - pad * 0.5f,
                 QY(1.0 - k) + h->ascent * 0.4f, yl[k], dim);
    snprintf(buf, sizeof buf, "%.3g", -hmax);
    hud_text(h, left, bottom + h->line_h * 1.05f, buf, dim);
    snprintf(buf, sizeof buf, "%.3g", hmax);
    hud_text(h, right - hud_text_width(h, buf), bottom + h->line_h * 1.05f, buf, dim);
    hud_text(h, QX(0.0) - 0.5f * hud_text_width(h, "H·ê"), bottom + h->line_h * 1.05f, "H·ê", dim);
    const double b = s->params.b;
    const int nseg = 120;
    for (int k = 0; k < nseg; k++) {
        const double ha = -hmax + 2.0 * hmax * k / nseg, hb = -hmax + 2.0 * hmax * (k + 1) / nseg;
        hud_line(h, QX(ha), QY(tanh(b * ha)), QX(hb), QY(tanh(b * hb)), 2.0f * st->line_w, c_th);
    }
    for (int k = 1; k < s->mh_n; k++) {
        const float f = (float)k / (float)s->mh_n;
        const float c[4] = {c_m[0], c_m[1], c_m[2], 0.25f + 0.75f * f};
        hud_line(h, QX(s->mh_h[k - 1]), QY(s->mh_m[k - 1]), QX(s->mh_h[k]), QY(s->mh_m[k]),
                 1.6f * st->line_w, c);
    }
    if (s->mh_n > 0) { /* the current state */
        const float cx = QX(s->mh_h[s->mh_n - 1]), cy = QY(s->mh_m[s->mh_n - 1]);
        const float r = 0.22f * h->line_h;
        hud_rect(h, cx - r, cy - r, 2 * r, 2 * r, c_m);
    }
#undef QX
#undef QY
}

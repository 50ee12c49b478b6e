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

void plot_draw(hud *h, float x, float y, float w, float hh, const viz_snapshot *s)
{
    static const float bg[4] = {0.05f, 0.06f, 0.08f, 0.78f};
    static const float frame[4] = {0.6f, 0.62f, 0.7f, 0.5f};
    static const float grid[4] = {0.6f, 0.62f, 0.7f, 0.18f};
    static const float text[4] = {0.85f, 0.87f, 0.92f, 1.0f};
    static const float dim[4] = {0.65f, 0.67f, 0.72f, 1.0f};
    static const float c_mh[4] = {1.0f, 0.62f, 0.2f, 1.0f};
    static const float c_ma[4] = {0.7f, 0.72f, 0.8f, 0.7f};
    static const float c_th[4] = {0.35f, 0.95f, 0.85f, 1.0f};
    hud_rect(h, x, y, w, hh, bg);
    const float pad = h->line_h * 0.4f;
    const float top = y + h->line_h * 1.75f, bottom = y + hh - h->line_h * 1.4f;
    const float left = x + h->line_h * 3.6f, right = x + w - pad;
    float tx = x + pad;
    tx += hud_text(h, tx, y + h->ascent + pad * 0.5f, "M·Ĥ", c_mh);
    tx += hud_text(h, tx, y + h->ascent + pad * 0.5f, "   |M|", c_ma);
    if (s->has_off)
        hud_text(h, tx, y + h->ascent + pad * 0.5f, "   theory e^(−2(t−t_off)/ε)", c_th);
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
                 PY(s->hist_mabs[k]), 1.2f, c_ma);
    }
    for (int k = 1; k < s->hist_n; k++) {
        hud_line(h, PX(s->hist_t[k - 1]), PY(s->hist_mh[k - 1]), PX(s->hist_t[k]),
                 PY(s->hist_mh[k]), 2.0f, c_mh);
    }
    /* theory after a switch-off (dashed) */
    if (s->has_off && s->t_off < t1) {
        const double eps = s->params.eps;
        const double a = fmax(s->t_off, t0);
        const int nseg = 80;
        for (int k = 0; k < nseg; k += 2) {
            const double ta = a + (t1 - a) * k / nseg, tb = a + (t1 - a) * (k + 1) / nseg;
            const double ya = s->y_off * exp(-2.0 * (ta - s->t_off) / eps);
            const double yb = s->y_off * exp(-2.0 * (tb - s->t_off) / eps);
            hud_line(h, PX(ta), PY(ya), PX(tb), PY(yb), 2.0f, c_th);
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

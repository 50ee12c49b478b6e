/* ui.c — see ui.h. */
#include "ui.h"

#include "colormap.h"
#include "ferro/field.h"
#include "plot.h"
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

viz_style ui_style_make(int lecture)
{
    viz_style s = {
        .text = {0.90f, 0.92f, 0.96f, 1.0f},
        .dim = {0.62f, 0.65f, 0.72f, 1.0f},
        .panel = {0.05f, 0.06f, 0.08f, 0.72f},
        .warn = {1.0f, 0.78f, 0.30f, 1.0f},
        .accent = {0.55f, 0.95f, 1.0f, 1.0f},
        .line_w = 1.0f,
        .plot_bg_a = 0.78f,
        .ring_w = 2.0f,
        .caption_k = 1.35f,
    };
    if (lecture) { /* white on black, brighter dim text */
        s = (viz_style){
            .text = {1.0f, 1.0f, 1.0f, 1.0f},
            .dim = {0.88f, 0.88f, 0.88f, 1.0f},
            .panel = {0.0f, 0.0f, 0.0f, 0.8f},
            .warn = {1.0f, 0.78f, 0.30f, 1.0f},
            .accent = {0.55f, 0.95f, 1.0f, 1.0f},
            .line_w = 2.0f,
            .plot_bg_a = 0.92f,
            .ring_w = 3.0f,
            .caption_k = 1.6f,
            .lecture = 1,
        };
    }
    return s;
}

float ui_text_scaled(viz_hud *h, float x, float y, const char *s, const float rgba[4], float k)
{
    /* draw at the baked size into the batch, then scale the new vertices about (x, y) */
    const int v0 = h->nv;
    const float adv = hud_text(h, x, y, s, rgba);
    for (int i = v0; i < h->nv; i++) {
        float *q = h->v + (size_t)i * 8;
        q[0] = x + (q[0] - x) * k;
        q[1] = y + (q[1] - y) * k;
    }
    return adv * k;
}

static void rgb4(const float c[3], float a, float out[4])
{
    out[0] = c[0];
    out[1] = c[1];
    out[2] = c[2];
    out[3] = a;
}

/* "1.2e+05" -> short engineering-ish text */
static void fmt_num(char *buf, size_t n, double v)
{
    if (v != 0.0 && (fabs(v) >= 1e5 || fabs(v) < 1e-3))
        snprintf(buf, n, "%.3g", v);
    else
        snprintf(buf, n, "%.4g", v);
}

static void stats_panel(viz_hud *h, const viz_style *st, const viz_ui_info *u, float *panel_bottom)
{
    const viz_snapshot *s = u->snap;
    const fr_params *p = &s->params;
    const fr_diag *d = &s->diag;
    char lines[16][256];
    int nl = 0;
    const double hn = sqrt(d->H[0] * d->H[0] + d->H[1] * d->H[1] + d->H[2] * d->H[2]);
    const double M[3] = {p->phi * d->m[0], p->phi * d->m[1], p->phi * d->m[2]};
    const double mh = M[0] * s->hdir[0] + M[1] * s->hdir[1] + M[2] * s->hdir[2];
    char a[32], b[32], c[32];
    snprintf(lines[nl++], 256, "ferroviz%s%s%s", u->preset[0] ? "   preset: " : "", u->preset,
             s->paused ? "   [PAUSED]" : s->at_limit ? "   [step limit]" : "");
    snprintf(lines[nl++], 256, "t = %-9.4f N = %-7d φ = %g", d->t, s->n, p->phi);
    const fr_field *f = &p->field;
    const int off = fr_field_is_off(f, d->t);
    snprintf(lines[nl++], 256, "H = (%.3g, %.3g, %.3g)  |H| = %.3g%s", d->H[0] + 0.0, d->H[1] + 0.0,
             d->H[2] + 0.0,
             hn, off ? "  (switched off)" : fr_field_active(f) == FR_FIELD_ROTATING ? "  (rotating)" : f->has_magnet ? "  (+ magnet)" : "");
    snprintf(lines[nl++], 256, "ε = %g   b = %g   interactions %s%s%s%s", p->eps, p->b,
             p->interactions ? "on" : "off", p->interactions ? " (" : "",
             p->interactions ? s->stokes : "", p->interactions ? ")" : "");
    snprintf(lines[nl++], 256, "M = φ(1/N)Σσξ = (%.3g, %.3g, %.3g)", M[0], M[1], M[2]);
    fmt_num(a, sizeof a, mh);
    snprintf(lines[nl++], 256, "M·Ĥ = %s   mean spin = %+.3f", a, d->mean_spin);
    fmt_num(a, sizeof a, s->flips_per_s);
    fmt_num(b, sizeof b, s->flips_per_t);
    snprintf(lines[nl++], 256, "flips/s = %s  (%s per unit t)", a, b);
    fmt_num(a, sizeof a, u->fps);
    fmt_num(c, sizeof c, s->steps_per_s);
    if (s->rate > 0.0)
        snprintf(b, sizeof b, "max %g", s->rate);
    else
        snprintf(b, sizeof b, "unlimited");
    snprintf(lines[nl++], 256, "fps = %-6.1f%s%s%s sim steps/s = %s (%s)", u->fps,
             u->arrow_draw && u->arrow_draw[0] ? "(" : "", u->arrow_draw ? u->arrow_draw : "",
             u->arrow_draw && u->arrow_draw[0] ? ") " : "", c, b);
    const double asp = p->aspect > 0.0 ? p->aspect : 1.0, Dr = p->brownian;
    if (asp != 1.0 || Dr > 0.0)
        snprintf(lines[nl++], 256, "shape a = %g (%s)   Brownian D_r = %g", asp,
                 asp > 1.0 ? "prolate" : asp < 1.0 ? "oblate" : "sphere", Dr);
    if (Dr > 0.0) {
        const double tn = p->eps / 2.0, tb = 1.0 / (2.0 * Dr);
        if (tn <= tb)
            snprintf(lines[nl++], 256, "Néel faster (τ_N = ε/2 = %.3g < τ_B = 1/(2D_r) = %.3g)", tn,
                     tb);
        else
            snprintf(lines[nl++], 256, "Brownian faster (τ_B = 1/(2D_r) = %.3g < τ_N = ε/2 = %.3g)",
                     tb, tn);
    }
    if (fr_field_active(f) == FR_FIELD_ROTATING && !off) {
        /* lag: the angle from M to H in the xy-plane, positive when M trails the rotation */
        const double mx = d->m[0], my = d->m[1], hx = d->H[0], hy = d->H[1];
        double lag = atan2(mx * hy - my * hx, mx * hx + my * hy) * 180.0 / M_PI;
        if (f->rot_omega < 0.0)
            lag = -lag;
        snprintf(lines[nl++], 256, "rotating ω = %g: lag of M behind H = %.1f°", f->rot_omega, lag);
        if (s->omega_valid)
            snprintf(lines[nl++], 256, "fluid <ω_z> = %.3g  (%.2g%% of ω; at t = %.3g)", s->omega_z,
                     f->rot_omega != 0.0 ? 100.0 * s->omega_z / f->rot_omega : 0.0, s->omega_t);
        else
            snprintf(lines[nl++], 256, "fluid <ω_z> = …");
    }
    if (fr_field_sweeping(f))
        snprintf(lines[nl++], 256, "sweep: H = %g sin(2πt/%g) ê,  ê = (%.2g, %.2g, %.2g)",
                 f->sweep_H0, f->sweep_period, s->sweep_e[0], s->sweep_e[1], s->sweep_e[2]);
    float w = 0.0f;
    for (int i = 0; i < nl; i++)
        w = fmaxf(w, hud_text_width(h, lines[i]));
    const float pad = h->line_h * 0.45f;
    hud_rect(h, 8, 8, w + 2 * pad, nl * h->line_h + 2 * pad, st->panel);
    for (int i = 0; i < nl; i++)
        hud_text(h, 8 + pad, 8 + pad + h->ascent + i * h->line_h, lines[i],
                 i == 0 && (s->paused || s->at_limit) ? st->warn : st->text);
    *panel_bottom = 8 + nl * h->line_h + 2 * pad;
}

static void legend(viz_hud *h, const viz_style *st, const viz_ui_info *u, float x, float y)
{
    const float lh = h->line_h;
    char buf[128];
    float c4[4];
    if (!u->arrows)
        return;
    if (u->colour_mode == COLOUR_SPIN) {
        rgb4(CMAP_SPIN_UP, 1.0f, c4);
        hud_rect(h, x, y + 0.2f * lh, 0.7f * lh, 0.7f * lh, c4);
        float xx = x + lh;
        xx += hud_text(h, xx, y + h->ascent, "σ = +1   ", st->text);
        rgb4(CMAP_SPIN_DOWN, 1.0f, c4);
        hud_rect(h, xx, y + 0.2f * lh, 0.7f * lh, 0.7f * lh, c4);
        hud_text(h, xx + lh, y + h->ascent, "σ = −1", st->text);
        return;
    }
    const char *title =
        u->colour_mode == COLOUR_AVG ? "σ averaged over 3ε" : "m0 = tanh(b H·ξ)";
    snprintf(buf, sizeof buf, "%s", title);
    hud_text(h, x, y + h->ascent, buf, st->text);
    const float bw = 10.0f * lh, by = y + lh * 1.1f;
    const int nseg = 32;
    for (int k = 0; k < nseg; k++) {
        float c[3];
        cmap_diverging(-1.0f + 2.0f * (k + 0.5f) / nseg, c);
        rgb4(c, 1.0f, c4);
        hud_rect(h, x + bw * k / nseg, by, bw / nseg + 0.5f, 0.6f * lh, c4);
    }
    hud_text(h, x, by + 0.6f * lh + h->ascent, "−1", st->dim);
    hud_text(h, x + 0.5f * bw - 0.3f * lh, by + 0.6f * lh + h->ascent, "0", st->dim);
    hud_text(h, x + bw - hud_text_width(h, "+1"), by + 0.6f * lh + h->ascent, "+1", st->dim);
}

static void colour_bar(viz_hud *h, const viz_style *st, const viz_ui_info *u)
{
    const viz_streams *sl = u->streams;
    const float lh = h->line_h;
    const float bh = fminf(0.36f * h->h, 14.0f * lh), bw = 0.9f * lh;
    char lab[5][48], foot[96];
    const double vmax = sl->seq ? sl->vmax : 0.0;
    float lw = 0.0f;
    for (int k = 0; k <= 4; k++) {
        const double v = vmax * (4 - k) / 4.0;
        snprintf(lab[k], sizeof lab[k], k == 0 ? "≥ %.2g" : "%.2g", v);
        if (!(vmax > 0.0) && k < 4)
            lab[k][0] = '\0';
        lw = fmaxf(lw, hud_text_width(h, lab[k]));
    }
    if (sl->seq && !(vmax > 0.0))
        snprintf(foot, sizeof foot, "no flow (|u| = 0)");
    else if (sl->seq)
        snprintf(foot, sizeof foot, "δ = %.2g, %d³ grid", sl->delta, sl->grid);
    else
        snprintf(foot, sizeof foot, "computing…");
    const char *title = u->slice ? "|u| in a slice through z" : "|u| effective flow";
    const float w = fmaxf(fmaxf(hud_text_width(h, title), hud_text_width(h, foot)),
                          1.0f * lh + bw + lw) + 0.9f * lh;
    const float x = h->w - 8 - w, y = 8;
    hud_rect(h, x, y, w, bh + 3.5f * lh, st->panel);
    hud_text(h, x + 0.45f * lh, y + h->ascent + 0.25f * lh, title, st->text);
    const float by = y + 1.8f * lh;
    const int nseg = 48;
    for (int k = 0; k < nseg; k++) {
        float c[3], c4[4];
        cmap_viridis(1.0f - (k + 0.5f) / nseg, c);
        rgb4(c, 1.0f, c4);
        hud_rect(h, x + 0.45f * lh, by + bh * k / nseg, bw, bh / nseg + 0.5f, c4);
    }
    for (int k = 0; k <= 4; k++) {
        const float yy = by + bh * k / 4.0f;
        hud_rect(h, x + 0.45f * lh + bw, yy, 0.25f * lh, 1.0f, st->text);
        hud_text(h, x + 0.45f * lh + bw + 0.4f * lh, yy + 0.35f * h->ascent, lab[k], st->text);
    }
    hud_text(h, x + 0.45f * lh, by + bh + 0.5f * lh + h->ascent * 0.8f, foot, st->dim);
}

/* The keys, from the controls table (u->help_row). */
static void help_overlay(viz_hud *h, const viz_ui_info *u, float alpha)
{
    const int n = u->help_n;
    const float lh = h->line_h;
    float kw = 0.0f, dw = 0.0f;
    for (int i = 0; i < n; i++) {
        const char *keys, *text;
        u->help_row(i, &keys, &text);
        kw = fmaxf(kw, hud_text_width(h, keys));
        dw = fmaxf(dw, hud_text_width(h, text));
    }
    /* two columns when one does not fit the window's height (lecture mode, small windows) */
    const int cols = (n + 2.4f) * lh > h->h - 16 ? 2 : 1, rows = (n + cols - 1) / cols;
    const float cw = kw + dw + 3.0f * lh, w = cols * cw, hh = (rows + 2.4f) * lh;
    const float x = 0.5f * (h->w - w), y = fmaxf(0.0f, 0.5f * (h->h - hh));
    const float bg[4] = {0.04f, 0.05f, 0.07f, 0.86f * alpha};
    const float key[4] = {1.0f, 0.8f, 0.4f, alpha}, txt[4] = {0.9f, 0.92f, 0.96f, alpha};
    hud_rect(h, x, y, w, hh, bg);
    hud_text(h, x + lh, y + lh * 0.4f + h->ascent, "ferroviz keys", txt);
    for (int i = 0; i < n; i++) {
        const float xx = x + (float)(i / rows) * cw;
        const float yy = y + (i % rows + 1.6f) * lh + h->ascent;
        const char *keys, *text;
        u->help_row(i, &keys, &text);
        hud_text(h, xx + lh, yy, keys, key);
        hud_text(h, xx + 2.0f * lh + kw, yy, text, txt);
    }
}

/* The picked particle: its values and sigma(t) over its recorded history. */
static void pick_panel(viz_hud *h, const viz_style *st, const viz_ui_info *u, float y)
{
    const viz_snapshot *s = u->snap;
    const int i = s->sel;
    if (i < 0 || i >= s->n)
        return;
    const float lh = h->line_h, pad = 0.45f * lh;
    char lines[4][160];
    const float *X = s->pos + 3 * i, *xi = s->xi + 3 * i;
    snprintf(lines[0], sizeof lines[0], "particle %d   (X to deselect)", i);
    snprintf(lines[1], sizeof lines[1], "X = (%.3f, %.3f, %.3f)", X[0], X[1], X[2]);
    snprintf(lines[2], sizeof lines[2], "ξ = (%+.3f, %+.3f, %+.3f)", xi[0], xi[1], xi[2]);
    snprintf(lines[3], sizeof lines[3], "σ = %+d   m0 = %+.3f   flips %lld", s->sigma[i], s->m0[i],
             s->sel_flips);
    float w = 18.0f * lh;
    for (int k = 0; k < 4; k++)
        w = fmaxf(w, hud_text_width(h, lines[k]));
    const float ph = 3.2f * lh, hh = 4 * lh + ph + 2.6f * pad;
    hud_rect(h, 8, y, w + 2 * pad, hh, st->panel);
    for (int k = 0; k < 4; k++)
        hud_text(h, 8 + pad, y + pad + h->ascent + k * lh, lines[k], k == 0 ? st->accent : st->text);
    /* sigma(t) */
    const float px = 8 + pad + 1.6f * lh, py = y + pad + 4 * lh + 0.6f * pad, pw = w - 1.6f * lh;
    hud_text(h, 8 + pad, py + 0.25f * lh + h->ascent * 0.5f, "+1", st->dim);
    hud_text(h, 8 + pad, py + ph - 0.25f * lh + h->ascent * 0.3f, "−1", st->dim);
    const float fr[4] = {st->dim[0], st->dim[1], st->dim[2], 0.4f};
    hud_rect(h, px, py + 0.5f * ph, pw, 1.0f, fr);
    const int n = s->sel_n;
    if (n >= 2 && s->sel_t[n - 1] > s->sel_t[0]) {
        const double t0 = s->sel_t[0], t1 = s->sel_t[n - 1];
        float c4[4];
        for (int k = 1; k < n; k++) {
            const float xa = px + (float)((s->sel_t[k - 1] - t0) / (t1 - t0)) * pw;
            const float xb = px + (float)((s->sel_t[k] - t0) / (t1 - t0)) * pw;
            const float ya = py + (s->sel_sigma[k - 1] > 0 ? 0.25f : 0.75f) * ph;
            const float yb = py + (s->sel_sigma[k] > 0 ? 0.25f : 0.75f) * ph;
            rgb4(s->sel_sigma[k - 1] > 0 ? CMAP_SPIN_UP : CMAP_SPIN_DOWN, 1.0f, c4);
            hud_line(h, xa, ya, xb, ya, 2.0f, c4);
            if (yb != ya)
                hud_line(h, xb, ya, xb, yb, 1.0f, st->text);
        }
        char buf[64];
        snprintf(buf, sizeof buf, "σ(t), t = %.3g … %.3g", t0, t1);
        hud_text(h, px + pw - hud_text_width(h, buf), py + ph + 0.1f * lh + h->ascent * 0.6f, buf,
                 st->dim);
    }
}

/* Physical units: the lines of fr_units_format (long lines wrapped at double spaces). */
static void units_panel(viz_hud *h, const viz_style *st, const viz_ui_info *u)
{
    const float lh = h->line_h, pad = 0.6f * lh;
    char lines[40][200];
    int nl = 0;
    const char *p = u->units_text;
    while (*p && nl < 40) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        /* wrap at a double space if longer than 86 bytes */
        while (len > 0 && nl < 40) {
            size_t take = len;
            if (take > 86) {
                size_t cut = 0;
                for (size_t k = 1; k + 1 < take && k < 86; k++)
                    if (p[k] == ' ' && p[k + 1] == ' ')
                        cut = k;
                take = cut ? cut : (take < 190 ? take : 190);
            }
            if (take > 199)
                take = 199;
            memcpy(lines[nl], p, take);
            lines[nl++][take] = '\0';
            p += take;
            len -= take;
            while (len > 0 && *p == ' ') {
                p++;
                len--;
            }
        }
        p = e ? e + 1 : p + len;
    }
    float w = 0.0f;
    for (int k = 0; k < nl; k++)
        w = fmaxf(w, hud_text_width(h, lines[k]));
    const float hh = nl * lh + 2 * pad, x = 0.5f * (h->w - w) - pad, y = 0.5f * (h->h - hh);
    const float bg[4] = {st->panel[0], st->panel[1], st->panel[2], fmaxf(0.88f, st->panel[3])};
    hud_rect(h, x, y, w + 2 * pad, hh, bg);
    for (int k = 0; k < nl; k++)
        hud_text(h, x + pad, y + pad + h->ascent + k * lh, lines[k], k == 0 ? st->accent : st->text);
}

void ui_draw(viz_hud *h, const viz_style *st, const viz_ui_info *u)
{
    const float lh = h->line_h;
    float pb = 0.0f;
    if (u->snap->seq) {
        stats_panel(h, st, u, &pb);
        legend(h, st, u, 8 + 0.45f * lh, pb + 0.5f * lh);
        pick_panel(h, st, u, pb + 3.2f * lh);
    }
    if (u->streams_on)
        colour_bar(h, st, u);
    /* gizmo labels */
    const char *names[3] = {"x", "y", "z"};
    for (int k = 0; k < 3; k++)
        hud_text(h, u->gizmo_labels[k][0] - 0.3f * lh, u->gizmo_labels[k][1] + 0.35f * lh,
                 names[k], st->dim);
    if (u->snap->seq) {
        const double *H = u->snap->diag.H;
        const double hn = sqrt(H[0] * H[0] + H[1] * H[1] + H[2] * H[2]);
        const float yel[4] = {1.0f, 0.85f, 0.3f, 1.0f};
        if (hn > 0.0)
            hud_text(h, u->gizmo_labels[3][0] + 0.45f * lh, u->gizmo_labels[3][1] + 0.35f * lh,
                     "H", yel);
        char buf[96];
        snprintf(buf, sizeof buf, "H = (%.2g, %.2g, %.2g)  |H| = %.3g", H[0] + 0.0, H[1] + 0.0,
                 H[2] + 0.0, hn);
        hud_text(h, u->gizmo_x + 0.3f * lh, u->gizmo_y + u->gizmo_size + 0.2f * lh, buf, yel);
    }
    if (u->axes_visible)
        for (int k = 0; k < 3; k++)
            if (u->axis_labels[k][0] > -1e5f)
                hud_text(h, u->axis_labels[k][0] + 3, u->axis_labels[k][1] - 3, names[k], st->dim);
    if (u->plot_visible && u->snap->seq) {
        const float pw = fminf(30.0f * lh, 0.42f * h->w), ph = fminf(11.0f * lh, 0.3f * h->h);
        plot_draw(h, st, h->w - pw - 8, h->h - ph - 8, pw, ph, u->snap);
        const fr_field *f = &u->snap->params.field;
        if (fr_field_sweeping(f)) {
            const float mh = fmaxf(ph, fminf(0.42f * h->h, 16.0f * lh));
            const float mw = fminf(1.35f * mh, h->w - pw - 16 - 0.27f * h->w);
            plot_mh_draw(h, st, h->w - pw - mw - 16, h->h - mh - 8, mw, mh, u->snap);
        }
    }
    if (u->snap->seq && u->snap->sel >= 0 && u->pick_xy[0] > -1e5f) { /* marker ring */
        const float cx = u->pick_xy[0], cy = u->pick_xy[1], r = 1.4f * lh;
        const float c[4] = {1.0f, 1.0f, 0.4f, 0.9f};
        for (int k = 0; k < 40; k++) {
            const float a0 = 6.2831853f * k / 40, a1 = 6.2831853f * (k + 1) / 40;
            hud_line(h, cx + r * cosf(a0), cy + r * sinf(a0), cx + r * cosf(a1), cy + r * sinf(a1),
                     st->ring_w, c);
        }
        char buf[32];
        snprintf(buf, sizeof buf, "#%d", u->snap->sel);
        hud_text(h, cx + 1.1f * r, cy - 0.8f * r, buf, c);
    }
    if (u->units_panel && u->units_text)
        units_panel(h, st, u);
    if (u->caption && u->caption_alpha > 0.0f) {
        const float k = st->caption_k;
        const float c[4] = {1.0f, 1.0f, 1.0f, u->caption_alpha};
        const float bg[4] = {0.0f, 0.0f, 0.0f, 0.75f * u->caption_alpha};
        const float w = hud_text_width(h, u->caption) * k;
        const float x = 0.5f * (h->w - w), y = 0.2f * h->h + h->ascent * k;
        hud_rect(h, x - 0.6f * lh, y - h->ascent * k - 0.35f * lh, w + 1.2f * lh,
                 lh * k + 0.5f * lh, bg);
        ui_text_scaled(h, x, y, u->caption, c, k);
    }
    if (u->message && u->message_alpha > 0.0f) {
        const float c[4] = {1.0f, 0.9f, 0.6f, u->message_alpha};
        const float bg[4] = {0.05f, 0.06f, 0.08f, 0.7f * u->message_alpha};
        const float w = hud_text_width(h, u->message);
        const float x = 0.5f * (h->w - w), y = h->h - 2.6f * lh;
        hud_rect(h, x - 0.5f * lh, y - h->ascent - 0.3f * lh, w + lh, lh * 1.3f, bg);
        hud_text(h, x, y, u->message, c);
    } else if (!(u->help_alpha > 0.0f) &&
               !(u->plot_visible && fr_field_sweeping(&u->snap->params.field))) {
        hud_text(h, 0.5f * h->w - 3.0f * lh, h->h - 0.6f * lh, "F1 or ?: help", st->dim);
    }
}

void ui_draw_window_only(viz_hud *h, const viz_style *st, const viz_ui_info *u)
{
    const float lh = h->line_h;
    if (u->recording) {
        char buf[256];
        snprintf(buf, sizeof buf, "REC  %ld frames → %s", u->rec_frames, u->rec_dir);
        const float red[4] = {1.0f, 0.25f, 0.2f, 1.0f};
        const float w = hud_text_width(h, buf);
        hud_rect(h, 0.5f * (h->w - w) - 0.4f * lh, h->h - 4.2f * lh, w + 0.8f * lh, 1.2f * lh,
                 st->panel);
        hud_text(h, 0.5f * (h->w - w), h->h - 4.2f * lh + h->ascent + 0.1f * lh, buf, red);
    }
    if (u->help_alpha > 0.0f)
        help_overlay(h, u, u->help_alpha);
}

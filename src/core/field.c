/* The external field H(t, x) and its gradient (MODEL.md "The external field").
 * Every part is curl- and divergence-free in the fluid, so ∇H is symmetric and traceless. */
#include "ferro/field.h"

#include <math.h>
#include <string.h>

/* Point dipole of moment m at p: H = (3(m·n)n − m)/(4π|d|³), d = x − p, n = d/|d|. */
static void dipole_add(const double m[3], const double p[3], const double x[3], double H[3],
                       double dH[9])
{
    const double d[3] = {x[0] - p[0], x[1] - p[1], x[2] - p[2]};
    const double r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    if (!(r2 > 0.0))
        return; /* on the dipole itself: undefined; validation keeps it outside the cloud */
    const double r = sqrt(r2), inv4pi = 1.0 / (4.0 * M_PI);
    const double r3 = r2 * r, r5 = r3 * r2, r7 = r5 * r2;
    const double md = m[0] * d[0] + m[1] * d[1] + m[2] * d[2];
    for (int i = 0; i < 3; i++) {
        H[i] += inv4pi * (3.0 * md * d[i] / r5 - m[i] / r3);
        if (!dH)
            continue;
        for (int k = 0; k < 3; k++) {
            const double dik = (i == k) ? 1.0 : 0.0;
            dH[i * 3 + k] += inv4pi * (3.0 * (m[k] * d[i] + md * dik + m[i] * d[k]) / r5 -
                                       15.0 * md * d[i] * d[k] / r7);
        }
    }
}

fr_field_part fr_field_active(const fr_field *f)
{
    if (f->rotating)
        return FR_FIELD_ROTATING;
    return f->sweep ? FR_FIELD_SWEEP : FR_FIELD_UNIFORM;
}

int fr_field_sweeping(const fr_field *f) { return fr_field_active(f) == FR_FIELD_SWEEP; }

void fr_field_sweep_dir(const fr_field *f, double e[3])
{
    const double n = sqrt(f->H0[0] * f->H0[0] + f->H0[1] * f->H0[1] + f->H0[2] * f->H0[2]);
    e[0] = e[1] = 0.0;
    e[2] = 1.0;
    if (n > 0.0)
        for (int c = 0; c < 3; c++)
            e[c] = f->H0[c] / n;
}

int fr_field_is_off(const fr_field *f, double t) { return f->has_switch_off && t >= f->t_off; }

int fr_field_any(const fr_field *f)
{
    const int h0 = f->H0[0] != 0.0 || f->H0[1] != 0.0 || f->H0[2] != 0.0;
    return h0 || f->rotating || f->grad_g != 0.0 || f->has_magnet;
}

void fr_field_eval(const fr_field *f, double t, const double x[3], double H[3], double dH[9])
{
    H[0] = H[1] = H[2] = 0.0;
    if (dH)
        memset(dH, 0, 9 * sizeof *dH);
    if (fr_field_is_off(f, t))
        return;
    switch (fr_field_active(f)) {
    case FR_FIELD_ROTATING:
        H[0] = f->rot_H0 * cos(f->rot_omega * t);
        H[1] = f->rot_H0 * sin(f->rot_omega * t);
        break;
    case FR_FIELD_SWEEP: {
        double e[3];
        fr_field_sweep_dir(f, e);
        const double a = f->sweep_H0 * sin(2.0 * M_PI * (t - f->sweep_t0) / f->sweep_period);
        H[0] = a * e[0];
        H[1] = a * e[1];
        H[2] = a * e[2];
        break;
    }
    case FR_FIELD_UNIFORM:
        H[0] = f->H0[0];
        H[1] = f->H0[1];
        H[2] = f->H0[2];
        break;
    }
    if (f->grad_g != 0.0) {
        /* g(−x/2, −y/2, z): ∇H = g diag(−1/2, −1/2, 1), symmetric and traceless. */
        H[0] += -0.5 * f->grad_g * x[0];
        H[1] += -0.5 * f->grad_g * x[1];
        H[2] += f->grad_g * x[2];
        if (dH) {
            dH[0] += -0.5 * f->grad_g;
            dH[4] += -0.5 * f->grad_g;
            dH[8] += f->grad_g;
        }
    }
    if (f->has_magnet)
        dipole_add(f->magnet_m, f->magnet_p, x, H, dH);
}

double fr_field_next_jump(const fr_field *f, double t)
{
    if (f->has_switch_off && f->t_off > t)
        return f->t_off;
    return INFINITY;
}

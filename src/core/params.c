/* Parameters: documented defaults and validation in one place. The ranges of the scalar
 * parameters are a table (LIMITS), which also prints them in --help (scenario.c); the checks
 * that involve several parameters follow it in fr_params_check. */
#include "ferro/params.h"
#include "ferro/shape.h"
#include "param_limits.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

fr_params fr_params_default(void)
{
    return (fr_params){
        .n = 1000,
        .phi = 0.05,
        .eps = 0.01,
        .b = 2.0,
        .c0 = 1.0,
        .field = {.H0 = {0.0, 0.0, 1.0}},
        .dt = 0.01,
        .seed = 1,
        .init = FR_INIT_RANDOM,
        .interactions = 1,
        .aspect = 1.0,
        .brownian = 0.0,
    };
}

/* Largest field the model's time scales are meant for, in units of the field scale: beyond,
 * the orientation time scale 1/(γ|H|) is below 1e-2 of a time unit and the physics of the
 * model (and our step control) is out of its range. */
#define HMAX 1e3

#define P(m) offsetof(fr_params, m)
#define NOGUARD (-1L)
static const fr_limit LIMITS[] = {
    {"n", "value", P(n), 'i', 1, 10000000, 0, NOGUARD},
    {"phi", "value", P(phi), 'd', 0.0, 0.3, FR_LO_OPEN, NOGUARD},
    /* below 1e-6 a run needs ~N/eps flips per unit time: it would look like a hang */
    {"eps", "value", P(eps), 'd', 1e-6, 1e12, 0, NOGUARD},
    {"b", "value", P(b), 'd', 0.0, 1e6, 0, NOGUARD},
    {"c0", "value", P(c0), 'd', 0.0, 1.2, FR_LO_OPEN, NOGUARD}, /* random packing fails beyond */
    {"aspect", "value", P(aspect), 'd', 0.1, 10.0, FR_ZERO_DEFAULT, NOGUARD},
    {"brownian", "value", P(brownian), 'd', 0.0, 1e4, 0, NOGUARD},
    {"dt", "value", P(dt), 'd', 0.0, INFINITY, FR_LO_OPEN, NOGUARD},
    {"stokes-tol", "value", P(stokes_tol), 'd', 1e-6, 1e-2, FR_ZERO_DEFAULT, NOGUARD},
    {"grad", "value", P(field.grad_g), 'd', -HMAX, HMAX, 0, NOGUARD},
    {"rotating", "H0", P(field.rot_H0), 'd', -HMAX, HMAX, 0, (long)P(field.rotating)},
    {"rotating", "omega", P(field.rot_omega), 'd', -1e6, 1e6, 0, (long)P(field.rotating)},
    {"sweep", "amplitude", P(field.sweep_H0), 'd', -HMAX, HMAX, 0, (long)P(field.sweep)},
    {"sweep", "period", P(field.sweep_period), 'd', 1e-6, 1e12, 0, (long)P(field.sweep)},
    {"sweep", "start", P(field.sweep_t0), 'd', -INFINITY, INFINITY, 0, (long)P(field.sweep)},
    {"switch-off", "time", P(field.t_off), 'd', 0.0, INFINITY, 0, (long)P(field.has_switch_off)},
};
#undef P
#define N_LIMITS (sizeof LIMITS / sizeof LIMITS[0])

const fr_limit *fr_params_limits(size_t *n)
{
    *n = N_LIMITS;
    return LIMITS;
}

int fr_params_range(const char *option, const char *what, double *lo, double *hi)
{
    for (size_t i = 0; i < N_LIMITS; i++)
        if (!strcmp(LIMITS[i].option, option) && (!what || !strcmp(LIMITS[i].what, what))) {
            *lo = LIMITS[i].lo;
            *hi = LIMITS[i].hi;
            return 0;
        }
    return -1;
}

static double norm3(const double v[3]) { return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }
static int finite3(const double v[3]) { return isfinite(v[0]) && isfinite(v[1]) && isfinite(v[2]); }

static int fail(const char **key, const char *k, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    *key = k;
    return -1;
}

/* The magnet: finite, outside the cloud (|p| > 1) and not too far for the field evaluation
 * (|p|^5 must not overflow), its field at the cloud's surface 2|m|/(4π(|p|-1)³) <= HMAX. */
static int check_magnet(const fr_field *f, const char **key, char *err, size_t errlen)
{
    const double *q = f->magnet_p, *m = f->magnet_m;
    if (!finite3(m) || !finite3(q))
        return fail(key, "magnet", err, errlen, "moment or position is not finite");
    const double pn = norm3(q);
    if (pn <= 1.0)
        return fail(key, "magnet", err, errlen,
                    "position (%g,%g,%g) is inside the cloud (|p| <= 1)", q[0], q[1], q[2]);
    if (pn > 1e6)
        return fail(key, "magnet", err, errlen, "position |p| = %g exceeds 1e6", pn);
    const double dist = pn - 1.0;
    const double hs = 2.0 * norm3(m) / (4.0 * M_PI * dist * dist * dist);
    if (!(hs <= HMAX))
        return fail(key, "magnet", err, errlen,
                    "field at the cloud's surface, 2|m|/(4π(|p|-1)³) = %g, exceeds %g", hs, HMAX);
    return 0;
}

/* Largest |H| over the cloud (the unit ball) and over time: the parts' bounds added. */
static double field_bound(const fr_field *f)
{
    double h = f->rotating ? fabs(f->rot_H0) : f->sweep ? fabs(f->sweep_H0) : norm3(f->H0);
    h += fabs(f->grad_g); /* |(-x/2, -y/2, z)| <= 1 in the ball */
    if (f->has_magnet) {
        const double dist = norm3(f->magnet_p) - 1.0;
        h += 2.0 * norm3(f->magnet_m) / (4.0 * M_PI * dist * dist * dist);
    }
    return h;
}

/* The work bound of a field that changes in time (rotating or sweep). The orientations and the
 * flip hazards are integrated by RK4 with at most FR_MAX_SUBSTEPS substeps per coupling step
 * (dynamics_pt.h); the hazard's log-rate b H·ξ changes at up to κ = b(γH² + ωH) per unit time
 * (plus γH + ω for the orientation). Beyond κ dt = 0.5 FR_MAX_SUBSTEPS a substep would change
 * the log-rate by more than 0.5: the flip times come out wrong, and in a field turning much
 * faster than ξ can follow, a storm of spurious flips at one instant (a hang). Such a
 * combination is refused before the run, naming the dt that would do. */
static int check_work(const fr_params *p, const char **key, char *err, size_t errlen)
{
    const fr_field *f = &p->field;
    const double H = field_bound(f), gam = p->hold_orientations ? 0.0 : fr_shape_spheroid(p->aspect).gamma;
    /* Whatever the field: at H = 0 every spin flips at the rate 1/eps, so a step asks for about
     * dt/eps flips per particle; and RK4 keeps γ|H|h <= 0.5 with at most 1e7 substeps. */
    if (p->dt / p->eps > 1e9)
        return fail(key, "dt", err, errlen,
                    "value %g: a step would need up to dt/eps = %.3g spin flips per particle (at "
                    "most 1e9): lower --dt to %.2g",
                    p->dt, p->dt / p->eps, 1e9 * p->eps);
    if (gam * H * p->dt > 0.5e7)
        return fail(key, "dt", err, errlen,
                    "value %g: the orientations would need %.3g RK4 substeps per step in a field "
                    "of up to %g (at most 1e7): lower --dt to %.2g",
                    p->dt, gam * H * p->dt / 0.5, H, 0.99 * 0.5e7 / (gam * H));
    if (!f->rotating && !f->sweep)
        return 0;
    const double omega = f->rotating ? fabs(f->rot_omega) : 2.0 * M_PI / f->sweep_period;
    const double kappa = gam * H + p->b * (gam * H * H + omega * H) + omega;
    const double limit = 0.5 * FR_MAX_SUBSTEPS;
    if (!(kappa * p->dt <= limit))
        return fail(key, f->rotating ? "rotating" : "sweep", err, errlen,
                    "field %g changing at %g/time with b = %g needs %.3g RK4 substeps per step of "
                    "dt = %g (at most %d): lower --dt to %.2g or weaken the field",
                    H, omega, p->b, kappa * p->dt / 0.5, p->dt, FR_MAX_SUBSTEPS,
                    0.99 * limit / kappa);
    return 0;
}

int fr_params_check(const fr_params *p, const char **key, char *err, size_t errlen)
{
    if (p->no_effective != 0 && p->no_effective != 1)
        return fail(key, "no-effective", err, errlen, "value %d must be 0 or 1", p->no_effective);
    if (fr_limits_check(LIMITS, N_LIMITS, p, key, err, errlen))
        return -1;
    /* Particles must not overlap however they turn: 2r <= minimal distance c0 N^(-1/3), with
     * r the radius of the ball around the particle, v = r³|B| = φ/N. */
    const double need = 2.0 * cbrt(p->phi / fr_shape_spheroid(p->aspect).volume);
    if (need > p->c0 + 1e-12)
        return fail(key, "phi", err, errlen,
                    "value %g too large for c0 = %g and aspect %g: particles would overlap "
                    "(need c0 >= %.3g)",
                    p->phi, p->c0, p->aspect == 0.0 ? 1.0 : p->aspect, need);
    const fr_field *f = &p->field;
    if (!finite3(f->H0))
        return fail(key, "H", err, errlen, "(%g,%g,%g) is not finite", f->H0[0], f->H0[1],
                    f->H0[2]);
    if (norm3(f->H0) > HMAX)
        return fail(key, "H", err, errlen, "|H| = %g exceeds %g", norm3(f->H0), HMAX);
    if (p->stokes < FR_STOKES_AUTO || p->stokes > FR_STOKES_FAST)
        return fail(key, "stokes", err, errlen, "method %d unknown (auto, direct, fast)", p->stokes);
    if (f->has_magnet && check_magnet(f, key, err, errlen))
        return -1;
    return check_work(p, key, err, errlen);
}

int fr_params_validate(const fr_params *p, char *err, size_t errlen)
{
    const char *key = "";
    char sub[400];
    if (!fr_params_check(p, &key, sub, sizeof sub))
        return 0;
    snprintf(err, errlen, "%s: %s", key, sub);
    return -1;
}

/* ---- the limit tables ---- */

static double get(const fr_limit *l, const void *base)
{
    const char *at = (const char *)base + l->off;
    if (l->type == 'i') {
        int v;
        memcpy(&v, at, sizeof v);
        return v;
    }
    double v;
    memcpy(&v, at, sizeof v);
    return v;
}

static void num(double x, char type, char *buf, size_t len)
{
    if (isinf(x))
        snprintf(buf, len, "%s", x > 0 ? "inf" : "-inf");
    else if (type == 'i')
        snprintf(buf, len, "%.0f", x);
    else
        snprintf(buf, len, "%g", x);
}

void fr_limit_format(const fr_limit *l, int with_zero, char *buf, size_t len)
{
    char lo[32], hi[32];
    num(l->lo, l->type, lo, sizeof lo);
    num(l->hi, l->type, hi, sizeof hi);
    snprintf(buf, len, "%s%c%s, %s%c", with_zero && (l->flags & FR_ZERO_DEFAULT) ? "0 or " : "",
             (l->flags & FR_LO_OPEN) || isinf(l->lo) ? '(' : '[', lo, hi,
             (l->flags & FR_HI_OPEN) || isinf(l->hi) ? ')' : ']');
}

int fr_limits_check(const fr_limit *l, size_t n, const void *base, const char **key, char *err,
                    size_t errlen)
{
    for (size_t i = 0; i < n; i++, l++) {
        if (l->guard >= 0) {
            int on;
            memcpy(&on, (const char *)base + l->guard, sizeof on);
            if (!on)
                continue;
        }
        const double v = get(l, base);
        if (v == 0.0 && (l->flags & FR_ZERO_DEFAULT))
            continue;
        const int lo_ok = (l->flags & FR_LO_OPEN) ? v > l->lo : v >= l->lo;
        const int hi_ok = (l->flags & FR_HI_OPEN) ? v < l->hi : v <= l->hi;
        if (isfinite(v) && lo_ok && hi_ok)
            continue;
        char range[96], vs[32];
        fr_limit_format(l, 0, range, sizeof range);
        num(v, l->type, vs, sizeof vs);
        return fail(key, l->option, err, errlen, "%s %s out of range %s", l->what, vs, range);
    }
    return 0;
}

/* Parameters: documented defaults and validation in one place. */
#include "ferro/params.h"
#include "ferro/shape.h"

#include <math.h>
#include <stdio.h>

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

static int finite3(const double v[3]) { return isfinite(v[0]) && isfinite(v[1]) && isfinite(v[2]); }

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        return -1;                                                                                 \
    } while (0)

int fr_params_validate(const fr_params *p, char *err, size_t errlen)
{
    if (p->no_effective != 0 && p->no_effective != 1)
        FAIL("no_effective = %d must be 0 or 1", p->no_effective);
    if (p->n < 1 || p->n > 10000000)
        FAIL("n = %d out of range [1, 10000000]", p->n);
    if (!(p->phi > 0.0 && p->phi <= 0.3))
        FAIL("phi = %g out of range (0, 0.3]", p->phi);
    if (!(p->eps > 0.0) || !isfinite(p->eps))
        FAIL("eps = %g must be a finite number > 0", p->eps);
    /* Below 1e-6 a run needs ~N/eps flips per unit time: it would look like a hang. */
    if (p->eps < 1e-6 || p->eps > 1e12)
        FAIL("eps = %g out of the supported range [1e-6, 1e12]", p->eps);
    if (!(p->b >= 0.0) || !isfinite(p->b) || p->b > 1e6)
        FAIL("b = %g out of range [0, 1e6]", p->b);
    if (!(p->c0 > 0.0 && p->c0 <= 1.2))
        FAIL("c0 = %g out of range (0, 1.2] (random packing fails beyond)", p->c0);
    if (!(p->aspect == 0.0 || (p->aspect >= 0.1 && p->aspect <= 10.0)))
        FAIL("aspect = %g out of range [0.1, 10]", p->aspect);
    /* Particles must not overlap however they turn: 2r <= minimal distance c0 N^(-1/3), with
     * r the radius of the ball around the particle, v = r³|B| = φ/N. */
    const double need = 2.0 * cbrt(p->phi / fr_shape_spheroid(p->aspect).volume);
    if (need > p->c0 + 1e-12)
        FAIL("phi = %g too large for c0 = %g and aspect %g: particles would overlap (need c0 >= %.3g)",
             p->phi, p->c0, p->aspect == 0.0 ? 1.0 : p->aspect, need);
    if (!(p->dt > 0.0) || !isfinite(p->dt))
        FAIL("dt = %g must be a finite number > 0", p->dt);
    const fr_field *f = &p->field;
    if (!finite3(f->H0))
        FAIL("H = (%g,%g,%g) is not finite", f->H0[0], f->H0[1], f->H0[2]);
    if (f->rotating && !(isfinite(f->rot_H0) && isfinite(f->rot_omega) && fabs(f->rot_omega) <= 1e6))
        FAIL("rotating field H0 = %g, omega = %g: must be finite with |omega| <= 1e6", f->rot_H0,
             f->rot_omega);
    if (!isfinite(f->grad_g))
        FAIL("gradient g = %g is not finite", f->grad_g);
    if (f->sweep && !(isfinite(f->sweep_H0) && isfinite(f->sweep_period) && f->sweep_period >= 1e-6 &&
                      f->sweep_period <= 1e12 && isfinite(f->sweep_t0)))
        FAIL("sweep amplitude %g / period %g must be finite with period in [1e-6, 1e12]", f->sweep_H0,
             f->sweep_period);
    if (p->stokes < FR_STOKES_AUTO || p->stokes > FR_STOKES_FAST)
        FAIL("stokes method %d unknown (auto, direct, fast)", p->stokes);
    if (!(p->stokes_tol == 0.0 || (p->stokes_tol >= 1e-6 && p->stokes_tol <= 1e-2)))
        FAIL("stokes-tol = %g out of range [1e-6, 1e-2]", p->stokes_tol);
    if (!(p->brownian >= 0.0 && p->brownian <= 1e4))
        FAIL("brownian D_r = %g out of range [0, 1e4]", p->brownian);
    /* |H| <= 1e3 in units of the field scale: beyond, the orientation time scale 1/(γ|H|) is
     * below 1e-2 of a time unit and the physics of the model (and our step control) is out of
     * its range. The magnet is bounded by its field at the cloud's surface. */
    const double HMAX = 1e3;
    const double H0n = sqrt(f->H0[0] * f->H0[0] + f->H0[1] * f->H0[1] + f->H0[2] * f->H0[2]);
    if (H0n > HMAX)
        FAIL("|H| = %g exceeds %g", H0n, HMAX);
    if (f->rotating && fabs(f->rot_H0) > HMAX)
        FAIL("rotating field H0 = %g exceeds %g", f->rot_H0, HMAX);
    if (f->sweep && fabs(f->sweep_H0) > HMAX)
        FAIL("sweep amplitude %g exceeds %g", f->sweep_H0, HMAX);
    if (fabs(f->grad_g) > HMAX)
        FAIL("gradient g = %g exceeds %g", f->grad_g, HMAX);
    if (f->has_magnet && finite3(f->magnet_m) && finite3(f->magnet_p)) {
        const double *q = f->magnet_p, *m = f->magnet_m;
        const double dist = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]) - 1.0;
        const double hs = 2.0 * sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]) /
                          (4.0 * M_PI * dist * dist * dist);
        if (dist > 0.0 && !(hs <= HMAX))
            FAIL("magnet field at the cloud's surface, 2|m|/(4π(|p|-1)³) = %g, exceeds %g", hs, HMAX);
    }
    if (f->has_switch_off && !isfinite(f->t_off))
        FAIL("switch-off time %g is not finite", f->t_off);
    if (f->has_magnet) {
        if (!finite3(f->magnet_m) || !finite3(f->magnet_p))
            FAIL("magnet moment or position is not finite");
        const double *q = f->magnet_p;
        if (sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]) <= 1.0)
            FAIL("magnet position (%g,%g,%g) is inside the cloud (|p| <= 1)", q[0], q[1], q[2]);
    }
    return 0;
}

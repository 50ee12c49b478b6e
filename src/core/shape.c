/* Spheroid resistance coefficients of the reference particle, (1.14)–(1.16).
 *
 * A body rotating with Ω about a transverse axis (say x, with the symmetry axis ζ = z) in
 * fluid at rest feels the torque (Jeffery 1922; Kim & Karrila ch. 3, viscosity 1)
 *     T_x = 16π (a_y² + a_z²) / (3 (a_y² α_y + a_z² α_z)) Ω_x,
 *     α_i = ∫_0^∞ dλ / ((a_i² + λ) Δ(λ)),  Δ = √((a_x²+λ)(a_y²+λ)(a_z²+λ)).
 * A torque |B| ξ×H (unit magnetisation, r = 1) therefore turns ξ with γ P_ξ⊥ H,
 *     γ = |B| · 3 (a_y² α_y + a_z² α_z) / (16π (a_y² + a_z²)).
 * Sphere: α = 2/3, γ = (4π/3)·3·(4/3)/(32π) = 1/6.
 * The stresslet of the torque-driven particle has, by reciprocity with Jeffery's rotation
 * in a strain (−S:E = T·ω_E), the symmetric part −β sym(ζ ⊗ P_ζ⊥ H) relative to ζ∧H. */
#include "ferro/shape.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <math.h>

typedef struct {
    double ax2, ay2, az2, ai2;
} alpha_ctx;

static double alpha_integrand(double lam, void *p)
{
    const alpha_ctx *c = p;
    return 1.0 / ((c->ai2 + lam) * sqrt((c->ax2 + lam) * (c->ay2 + lam) * (c->az2 + lam)));
}

static double alpha(double ax, double ay, double az, double ai)
{
    alpha_ctx c = {ax * ax, ay * ay, az * az, ai * ai};
    gsl_function f = {alpha_integrand, &c};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
    double res = NAN, abserr = 0.0;
    if (w) {
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        gsl_integration_qagiu(&f, 0.0, 0.0, 1e-12, 200, w, &res, &abserr);
        gsl_set_error_handler(old);
        gsl_integration_workspace_free(w);
    }
    return res;
}

fr_shape fr_shape_spheroid(double aspect)
{
    const double a = aspect == 0.0 ? 1.0 : aspect;
    if (a == 1.0)
        return (fr_shape){.aspect = 1.0, .volume = 4.0 * M_PI / 3.0, .gamma = 1.0 / 6.0, .beta = 0.0};
    /* semi-axes inside the unit ball: the longest is 1 */
    const double az = a > 1.0 ? 1.0 : a, at = a > 1.0 ? 1.0 / a : 1.0;
    const double vol = 4.0 * M_PI / 3.0 * az * at * at;
    const double alpha_t = alpha(at, at, az, at), alpha_z = alpha(at, at, az, az);
    const double gamma = vol * 3.0 * (at * at * alpha_t + az * az * alpha_z) / (16.0 * M_PI * (at * at + az * az));
    return (fr_shape){.aspect = a, .volume = vol, .gamma = gamma, .beta = (a * a - 1.0) / (a * a + 1.0)};
}

double fr_shape_gamma_prolate_closed(double a)
{
    const double e = sqrt(1.0 - 1.0 / (a * a)), L = log((1.0 + e) / (1.0 - e));
    const double YC = (4.0 / 3.0) * e * e * e * (2.0 - e * e) / (-2.0 * e + (1.0 + e * e) * L);
    const double vol = 4.0 * M_PI / 3.0 / (a * a);
    return vol / (8.0 * M_PI * YC);
}

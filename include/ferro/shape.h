/* ferro/shape.h — the reference particle B: a spheroid of aspect ratio a inside the unit ball
 * (prolate a > 1: semi-axis 1 along ζ and 1/a across; oblate a < 1: a along ζ and 1 across),
 * and its single-particle resistance coefficients (1.14)–(1.16). */
#ifndef FERRO_SHAPE_H
#define FERRO_SHAPE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fr_shape {
    double aspect; /* a */
    double volume; /* |B| */
    double gamma;  /* ξ̇ = γ P_ξ⊥ H for a torque |B| ξ×H, (1.15) */
    double beta;   /* Jeffery's β = (a² − 1)/(a² + 1); also R(ζ)(ζ∧H) = −β sym(ζ ⊗ P_ζ⊥ H) */
} fr_shape;

/* Coefficients for aspect a in [0.1, 10] (a = 0 means 1). a = 1 gives the sphere exactly:
 * |B| = 4π/3, γ = 1/6, β = 0. Otherwise γ comes from the ellipsoid resistance integrals
 * (Jeffery 1922), computed with GSL quadrature; valid for prolate and oblate alike. */
fr_shape fr_shape_spheroid(double aspect);

/* Prolate closed form (Kim & Karrila, Microhydrodynamics, Table 3.4, via MODEL.md):
 * γ = |B| / (8π Y^C). For cross-checking the quadrature; a > 1 only. */
double fr_shape_gamma_prolate_closed(double aspect);

#ifdef __cplusplus
}
#endif
#endif

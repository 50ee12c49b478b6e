/* Internal: the effective model (1.9) in a static uniform field as one scalar map per step.
 *
 * With H constant, c = Ĥ·ξ* obeys the autonomous 1-D ODE (Ĥ·(1.9), m0 = tanh(b H·ξ*) (1.8))
 *     ċ = k tanh(B c) (1 − c²),   k = γ|H|, B = b|H|,
 * and the part p = ξ* − cĤ only shrinks along its own direction (the azimuth stays fixed):
 *     ṗ = −k c tanh(B c) p,   |p|² = 1 − c².
 * A step of length h is therefore c ↦ c' = c + (1 − c²) D(c) with one smooth function D of c
 * (the flow moves c by a multiple of 1 − c²: the poles are fixed points), and then
 *     ξ*' = c' Ĥ + s p,   s² = (1 − c'²)/(1 − c²) = 1 − D(c) (2c + (1 − c²) D(c)),
 * which has no cancellation near the poles. D is tabulated once per (k, B, h) on nint equal
 * intervals of [−1, 1], a Chebyshev interpolant of degree FR_EFF_DEG on each (its node values
 * from a fine RK4 integration), refined until it matches fresh integrations at test points
 * inside every interval to FR_EFF_TOL. Each particle-step is then 8 table look-ups and a few
 * multiply-adds instead of a 3-D RK4 with four exp. */
#ifndef FERRO_EFFECTIVE_MAP_H
#define FERRO_EFFECTIVE_MAP_H

#define FR_EFF_DEG 7 /* effective_map.c's vector loop writes its Horner out for 7 */
#define FR_EFF_MAX_INT 16384 /* beyond (b|H| ≳ 1000, or a very long step): RK4 instead */
/* largest difference in c' = c + (1 − c²)D allowed against a fresh integration at the test
 * points: ~ the rounding of c itself, far below RK4's O((kh)⁵ B⁴) error at default steps */
#define FR_EFF_TOL 2e-16

typedef struct fr_eff_map {
    double k, B, h; /* what the table is for: γ|H|, b|H|, the step */
    int nint;       /* intervals on [−1, 1]; 0: no table (RK4 instead) */
    double *coef;   /* coef[j * nint + i]: t^j coefficient of D on interval i, t ∈ [−1, 1] */
    double err;     /* largest |Δc'| found at the test points when it was built */
    int failed;     /* no table can be made for (k, B, h): not tried again */
    int isa;        /* simd.h's fr_cpu_level() when the table was made */
    /* tables of up to 32 intervals again, each coefficient padded to 32 values, read
     * with register permutes instead of gathers (AVX-512; effective_map.c) */
    double perm[FR_EFF_DEG + 1][32];
} fr_eff_map;

/* Make m the table for (k, B, h), reusing it when it already is; 0 when it can be used, −1 when
 * there is none (memory, the interval count would exceed FR_EFF_MAX_INT, or building it would
 * take over ~1e8 rate evaluations); a failure is remembered for the same (k, B, h). m starts
 * zeroed. */
int fr_eff_map_prepare(fr_eff_map *m, double k, double B, double h);
void fr_eff_map_free(fr_eff_map *m);

/* ξ* of n particles (SoA) one step on in the field direction u = Ĥ. */
void fr_eff_map_apply(const fr_eff_map *m, int n, const double u[3], double *restrict e0,
                      double *restrict e1, double *restrict e2);

/* c' for one c by the table (for tests), and by a fine RK4 of ms substeps (the reference). */
double fr_eff_map_c(const fr_eff_map *m, double c);
double fr_eff_flow_c(double k, double B, double h, double c, int ms);

#endif

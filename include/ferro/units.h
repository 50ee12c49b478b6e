/* ferro/units.h — physical units (Appendix A of the paper): from SI material parameters to
 * the nondimensional T, b, ε and the Néel and Brownian times. */
#ifndef FERRO_UNITS_H
#define FERRO_UNITS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fr_units_si {
    double nu;     /* dynamic viscosity [kg/(m s)], default 1e-3 */
    double K;      /* anisotropy energy density [J/m^3], default 1e3 */
    double m_s;    /* saturation magnetisation [A/m], default 1e6 */
    double r;      /* particle radius [m], default 1e-8 */
    double Theta;  /* temperature [K], default 300 */
    double Hbar;   /* field scale [A/m], default 1e3 */
    double tau0;   /* elementary flip time [s], default 1e-9 */
    double aspect; /* shape (|B| from ferro/shape.h), default 1 */
} fr_units_si;

typedef struct fr_units_derived {
    double T;          /* time unit ν/(μ0 m_s H̄) [s] */
    double b;          /* r³|B| μ0 m_s H̄ / (k_B Θ) */
    double eps;        /* τ_N / T with τ_N = τ0 exp(r³|B| K / (k_B Θ)) */
    double tau_neel;   /* τ_N [s]: mean time between flips at H = 0 is τ_N; M decays as e^{−2t/τ_N} */
    double tau_brown;  /* Brownian rotation time 1/(2 D_r) [s], D_r = k_B Θ / (8π ν r³ Y^C-corrected) */
    double D_r;        /* nondimensional rotational diffusion D_r·T */
    double barrier;    /* r³|B| K / (k_B Θ) */
    double r_sharp;    /* radius [m] where ε = 1 at these parameters: the sharp transition */
} fr_units_derived;

fr_units_si fr_units_default(void);

/* Read "key = value" lines (keys nu, K, m_s, r, Theta, Hbar, tau0, aspect; '#' comments)
 * over the defaults. Returns 0, or -1 with a one-line message naming file, line and key. */
int fr_units_read(const char *path, fr_units_si *u, char *err, size_t errlen);

/* Validates (all finite and > 0) and derives. Returns 0 or -1 with a message. */
int fr_units_derive(const fr_units_si *u, fr_units_derived *d, char *err, size_t errlen);

/* A multi-line human-readable table of the input and derived values (for ferrosim --units
 * and the ferroviz panel). Returns the number of characters written (snprintf semantics). */
int fr_units_format(const fr_units_si *u, const fr_units_derived *d, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif

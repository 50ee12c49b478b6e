/* ferro/field.h — the external field H(t, x) (MODEL.md "The external field") and its rules:
 * which part is active, along which direction, and what takes precedence. Front ends ask
 * these functions instead of re-deriving the rules from the struct's flags.
 *
 * Precedence: a switch-off (t >= t_off) zeroes the whole field; otherwise the rotating field
 * replaces the uniform part, else a sweep replaces it, else the uniform part H0 is on. The
 * gradient and the magnet add to whichever is active.
 */
#ifndef FERRO_FIELD_H
#define FERRO_FIELD_H

#ifdef __cplusplus
extern "C" {
#endif

/* The external field H(t, x). The parts add up; after a switch-off the whole field is zero. */
typedef struct fr_field {
    double H0[3];         /* uniform part (replaced by the rotating field when rotating != 0) */
    int rotating;         /* H0 -> rot_H0 (cos wt, sin wt, 0) */
    double rot_H0, rot_omega;
    double grad_g;        /* adds g (-x/2, -y/2, z): curl- and divergence-free, 0 = none */
    int has_magnet;       /* adds a point dipole of moment magnet_m at magnet_p (outside the cloud) */
    double magnet_m[3], magnet_p[3];
    int has_switch_off;   /* H = 0 for t >= t_off */
    double t_off;
    int sweep;            /* magnetisation curve: H0 -> sweep_H0 sin(2 pi (t - t0) / period) e,
                           * e = H0/|H0| (e_z if H0 = 0); replaces the uniform part */
    double sweep_H0, sweep_period, sweep_t0;
} fr_field;

/* The part that sets the time dependence of the spatially uniform field (before a switch-off). */
typedef enum { FR_FIELD_UNIFORM = 0, FR_FIELD_ROTATING = 1, FR_FIELD_SWEEP = 2 } fr_field_part;

fr_field_part fr_field_active(const fr_field *f);
/* A sweep is on and not overridden by the rotating field (the M(H) curve is being traced). */
int fr_field_sweeping(const fr_field *f);
/* The sweep direction e = H0/|H0|, e_z when H0 = 0. */
void fr_field_sweep_dir(const fr_field *f, double e[3]);
/* The whole field is zero at time t (switched off at t_off <= t). */
int fr_field_is_off(const fr_field *f, double t);
/* Some part can be nonzero: a uniform H0 != 0, a rotating field, a gradient or a magnet. */
int fr_field_any(const fr_field *f);

/* H(t, x) and its gradient dH[i*3+k] = d_k H_i (dH may be NULL). */
void fr_field_eval(const fr_field *f, double t, const double x[3], double H[3], double dH[9]);

/* The next time > t at which the field jumps (switch-off), or +inf. */
double fr_field_next_jump(const fr_field *f, double t);

#ifdef __cplusplus
}
#endif
#endif

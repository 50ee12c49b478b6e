/* Internal: one particle over a time interval — orientation ODE, exact spin flips, and the
 * effective orientation ξ* of (1.9). Particles are independent here (the ambient rotation W
 * is given and held), so this runs in parallel over particles. */
#ifndef FERRO_DYNAMICS_H
#define FERRO_DYNAMICS_H

#include "ferro/params.h"
#include "rng.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* Vector variants from glibc's libmvec, for the lane loops of dynamics_static.c (declared here,
 * before any use, as glibc does under -ffast-math; we keep IEEE semantics otherwise). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((__simd__("notinbranch"))) extern double exp(double);
__attribute__((__simd__("notinbranch"))) extern double log(double);
#endif

/* γ for the sphere: T = r³(4π/3) ξ×H gives Ω = T/(8πr³) = (1/6) ξ×H, (1.15). */
#define FR_GAMMA_SPHERE (1.0 / 6.0)

struct fr_eff_map;
typedef struct fr_dyn_ctx {
    const fr_field *field;
    double eps, b;
    double gamma, beta; /* shape: torque response (1.15) and Jeffery's β (0 for spheres) */
    double brownian;    /* rotational diffusion D_r */
    int hold;           /* orientations held fixed */
    int no_effective;   /* 1: ξ* is not advanced */
    const struct fr_eff_map *eff; /* the static sampler's tabulated effective step for a
                                   * uniform field (fr_static_eff_substeps), or NULL: RK4 */
    const atomic_int *abort; /* non-zero: give up at once (the state is then only fit for
                              * fr_sim_free); may be NULL */
} fr_dyn_ctx;

static inline int fr_dyn_aborted(const fr_dyn_ctx *c)
{
    return c->abort && atomic_load_explicit(c->abort, memory_order_relaxed);
}

typedef struct fr_particle_state {
    double X[3], xi[3], xis[3];
    int sigma;
    double hazard, thresh; /* integrated hazard ∫ λ/ε since the last flip; Exp(1) threshold */
    long long flips;       /* flips during this call */
} fr_particle_state;

/* (1.8): m0 = m⁺ − m⁻ = tanh(b H·ξ); tanh cannot overflow. */
static inline double fr_mean_spin_eq(double b, double Hxi) { return tanh(b * Hxi); }

/* e^x for x <= 700 (0 below −708), to about 2 ulp, in plain C arithmetic: the same bits
 * whether a loop runs it scalar or vectorised, at any ISA level (no FMA contraction in ISO C
 * mode), unlike libm's exp and libmvec's vector exp, which differ. The general path
 * (fr_particle_advance and its chunked form fr_block_advance) uses it so the two agree bit for
 * bit. x = k ln2 + r (Cody–Waite, |r| <= ln2/2), e^r by its Taylor series to r^13 (truncation
 * < 1e-17 relative), 2^k put into the exponent field. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline double fr_exp_portable(double x)
{
    const double shift = 0x1.8p52; /* adding it rounds to an integer k held in the low bits */
    const double kd0 = x * 0x1.71547652b82fep0 + shift;
    uint64_t ki;
    memcpy(&ki, &kd0, sizeof ki);
    const double kd = kd0 - shift;
    const double r = (x - kd * 0x1.62e42feep-1) - kd * 0x1.a39ef35793c76p-33; /* ln2 hi, lo */
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    const uint64_t sb = (ki << 52) + 0x3ff0000000000000ULL; /* 2^k, k in [−1021, 1010] */
    double sc;
    memcpy(&sc, &sb, sizeof sc);
    return x < -708.0 ? 0.0 : p * sc;
}

/* (1.2): flip rate λ^σ/ε = exp(−σ b H·ξ)/ε, evaluated as exp(min(−σbH·ξ − ln ε, 700)) so
 * it cannot overflow for any b|H| (a rate of e^700 already means "flips at once"). sigma is
 * ±1 (a double, so lane loops stay in one type). */
static inline double fr_flip_rate(double sigma, double b, double Hxi, double log_eps)
{
    const double x = -sigma * b * Hxi - log_eps;
    return fr_exp_portable(x > 700.0 ? 700.0 : x); /* a NaN stays NaN (never a crossing) */
}

/* Advance one particle from t0 to t1 with the ambient flow gradient G = ∇w (row-major,
 * G[3a+m] = ∂_m w_a) held fixed. */
void fr_particle_advance(const fr_dyn_ctx *c, fr_particle_state *p, const double G[9], double t0,
                         double t1, gsl_rng *rng);

/* Vectorised path for a chunk of cnt <= FR_CHUNK particles when the field is constant in time
 * on [t0, t1], there is no ambient flow, no Brownian motion and orientations are free.
 * The particles' clocks (dynamics_static.c) come in one of two forms: the integrated-hazard form
 * (hazard[] = Λ, thresh[] = the Exp(1) threshold E) of the general path, or the candidate form
 * of the static sampler (hazard[] = the rate bound λ̄, thresh[] = the absolute time of the next
 * candidate), valid only while the field, ε, b and γ stay what they were made for. */
#define FR_CHUNK 256
typedef struct fr_block {
    int cnt;                            /* particles in this chunk, 1..FR_CHUNK */
    const double *X[3];                 /* pointers to the block's first particle (SoA) */
    double *xi[3], *xis[3], *hazard, *thresh;
    int clock_cand;                     /* 1: the clocks are in the candidate form already;
                                         * 0: in the hazard form (converted on entry) */
    int hazard_zero;                    /* hazard form: every hazard[] is 0 (not read) */
    int8_t *sigma;
    long long *flips;                   /* cumulative counters, incremented */
    uint64_t *rng_ctr;                  /* the particles' random-stream counters (rng.h) */
    uint32_t first;                     /* the block's first particle's index: its stream */
    fr_rng_key rng_key;
    const double *G;                    /* fr_block_advance: the ambient flow gradients, 9 per
                                         * particle as in fr_particle_advance */
} fr_block;
/* Advances the chunk; its clocks are in the candidate form afterwards. */
void fr_block_advance_static(const fr_dyn_ctx *c, const fr_block *blk, double t0, double t1);

/* The chunk [i0, i0 + cnt) of the particles `all` describes (its arrays from its first
 * particle): every array offset by i0 (G, if any, by 9 i0), the streams from particle
 * all->first + i0, the clock flags and key as in `all`. One place for the offsets, so every
 * caller (sim.c, the bench, the tests) cuts chunks the same way. */
static inline fr_block fr_block_chunk(const fr_block *all, int i0, int cnt)
{
    fr_block b = *all;
    b.cnt = cnt;
    b.first = all->first + (uint32_t)i0;
    for (int k = 0; k < 3; k++) {
        b.X[k] = all->X[k] + i0;
        b.xi[k] = all->xi[k] + i0;
        b.xis[k] = all->xis[k] + i0;
    }
    b.hazard = all->hazard + i0;
    b.thresh = all->thresh + i0;
    b.sigma = all->sigma + i0;
    b.flips = all->flips + i0;
    b.rng_ctr = all->rng_ctr + i0;
    b.G = all->G ? all->G + 9 * (size_t)i0 : NULL;
    return b;
}

/* The general path (any field, ambient flow, Brownian motion, held orientations) for a chunk of
 * cnt <= FR_GCHUNK particles, clocks in the hazard form: fr_particle_advance for each particle
 * (G from blk->G, its stream from rng_key, first + lane and rng_ctr), with the RK4 stages
 * vectorised across the particles; bit-identical to it. clock_cand and hazard_zero are not
 * read. */
#define FR_GCHUNK 64
void fr_block_advance(const fr_dyn_ctx *c, const fr_block *blk, double t0, double t1);

/* fr_block_advance over all->cnt particles, FR_GCHUNK at a time in parallel (OpenMP; each chunk
 * draws from its own particles' streams: the same bits for any schedule and thread count). */
void fr_blocks_advance(const fr_dyn_ctx *c, const fr_block *all, double t0, double t1);

/* Clocks of n particles from the candidate form at time t back to the hazard form (Λ = 0,
 * E = λ̄(t_c − t)): exact in law, no random numbers. */
void fr_clocks_to_hazard(int n, double *restrict hazard, double *restrict thresh, double t);

/* Substeps of the effective model in fr_block_advance_static for a uniform field with
 * k = γ|H|, B = b|H| over dt: c->eff is used when prepared for (k, B, dt / substeps). */
int fr_static_eff_substeps(double k, double B, double dt);

/* A uniform in [0, 1) from r, exactly gsl_rng_uniform(r), with taus2 written out inline
 * (exposed for the test that checks the two agree). */
double fr_taus2_uniform(gsl_rng *r);

#endif

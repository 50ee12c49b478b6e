/* The simulation: state, set-up and the coupling step.
 *
 * One coupling step of length dt (split at jumps of the field, e.g. a switch-off):
 *   1. sources F_j, S_j of every particle from the current (ξ_j, σ_j)          (2.3)–(2.4)
 *   2. ambient flow gradient at every particle, W_i = ½(∇w − ∇wᵀ)(X_i)          (2.2), (1.3)
 *   3. every particle independently over the step with W_i held: orientation ODE,
 *      spin flips of the exact jump process (1.2), and the effective ξ*_i (1.9)   dynamics.c
 * Step 3 is exact in the jump process and 4th order in the orientations; the only
 * splitting error is that of holding W_i (an O(φ) term) over the step.
 */
#include "ferro/sim.h"

#include "dynamics.h"
#include "ferro/kernels.h"
#include "ferro/shape.h"
#include "sim_internal.h"

#include "bigmem.h"
#include "stokes.h"
#include "stokes_fast.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static uint64_t splitmix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Zeroed; large arrays on huge pages (bigmem.h: far cheaper first touch at N = 1e6). */
static void *xcalloc(size_t n, size_t size, int *fail)
{
    void *p = NULL;
    if (n && size && n <= SIZE_MAX / size && n * size >= ((size_t)2 << 20)) {
        if ((p = fr_big_alloc(n * size)))
            memset(p, 0, n * size);
    } else {
        p = calloc(n ? n : 1, size);
    }
    if (!p)
        *fail = 1;
    return p;
}

/* Random sequential addition in the unit ball with minimal distance dmin (H3), using a cell
 * list of cell size dmin so each trial checks 27 cells. */
static int place_centres(fr_sim *s, gsl_rng *rng, double dmin, char *err, size_t errlen)
{
    const int n = s->n;
    /* cells of side >= dmin (so neighbours are in the 27 around), but no more of them than
     * 2 cbrt(n) per axis: a tiny c0 (with a tiny phi) must not overflow nc or its cube; larger
     * cells find the same neighbours, so the placement is the same */
    const int nc = (int)fmax(1.0, fmin(floor(2.0 / dmin), floor(2.0 * cbrt((double)n))));
    const double cell = 2.0 / nc;
    int *head = malloc((size_t)nc * nc * nc * sizeof *head), *next = malloc((size_t)n * sizeof *next);
    if (!head || !next) {
        free(head);
        free(next);
        snprintf(err, errlen, "out of memory placing %d particles", n);
        return -1;
    }
    for (int c = 0; c < nc * nc * nc; c++)
        head[c] = -1;
    const double d2 = dmin * dmin;
    const long long max_trials = 2000LL * n + 100000;
    long long trials = 0;
    for (int i = 0; i < n;) {
        if (++trials > max_trials) {
            free(head);
            free(next);
            snprintf(err, errlen, "cannot place %d centres with minimal distance %g in the unit ball", n,
                     dmin);
            return -1;
        }
        double q[3];
        for (int k = 0; k < 3; k++)
            q[k] = 2.0 * gsl_rng_uniform(rng) - 1.0;
        if (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] > 1.0)
            continue;
        int ci[3], ok = 1;
        for (int k = 0; k < 3; k++) {
            ci[k] = (int)((q[k] + 1.0) / cell);
            if (ci[k] >= nc)
                ci[k] = nc - 1;
        }
        for (int a = ci[0] - 1; a <= ci[0] + 1 && ok; a++)
            for (int b = ci[1] - 1; b <= ci[1] + 1 && ok; b++)
                for (int c = ci[2] - 1; c <= ci[2] + 1 && ok; c++) {
                    if (a < 0 || b < 0 || c < 0 || a >= nc || b >= nc || c >= nc)
                        continue;
                    for (int j = head[(c * nc + b) * nc + a]; j >= 0; j = next[j]) {
                        const double dx = q[0] - s->X[0][j], dy = q[1] - s->X[1][j],
                                     dz = q[2] - s->X[2][j];
                        if (dx * dx + dy * dy + dz * dz < d2) {
                            ok = 0;
                            break;
                        }
                    }
                }
        if (!ok)
            continue;
        for (int k = 0; k < 3; k++)
            s->X[k][i] = q[k];
        const int c = (ci[2] * nc + ci[1]) * nc + ci[0];
        next[i] = head[c];
        head[c] = i;
        i++;
    }
    free(head);
    free(next);
    return 0;
}

void fr_sim_free(fr_sim *s)
{
    if (!s)
        return;
    free(s->X[0]); /* one block of 3n each, see fr_sim_create */
    free(s->xi[0]);
    free(s->xis[0]);
    free(s->sigma);
    free(s->hazard);
    free(s->thresh);
    free(s->flips);
    free(s->rng_ctr);
    free(s->F);
    free(s->S);
    free(s->G);
    free(s->diag_part);
    free(s->diag_scratch);
    fr_stokes_plan_free(s->plan);
    fr_eff_map_free(&s->eff);
    free(s);
}

/* The state's arrays for p->n particles, zeroed; NULL when memory ran out. */
static fr_sim *sim_alloc(const fr_params *p)
{
    fr_sim *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->p = *p;
    s->n = p->n;
    const size_t n = (size_t)p->n;
    int fail = 0;
    /* Each 3-vector array is one block of 3n, component k at [k n, (k+1) n): a foreign
     * caller (the Python package) can view it as one (3, n) array without copying. */
    s->X[0] = xcalloc(3 * n, sizeof(double), &fail);
    s->xi[0] = xcalloc(3 * n, sizeof(double), &fail);
    s->xis[0] = xcalloc(3 * n, sizeof(double), &fail);
    for (int k = 1; k < 3 && !fail; k++) {
        s->X[k] = s->X[0] + k * n;
        s->xi[k] = s->xi[0] + k * n;
        s->xis[k] = s->xis[0] + k * n;
    }
    s->sigma = xcalloc(n, sizeof(int8_t), &fail);
    s->hazard = xcalloc(n, sizeof(double), &fail);
    s->hazard_zero = 1;
    s->thresh = xcalloc(n, sizeof(double), &fail);
    s->flips = xcalloc(n, sizeof(long long), &fail);
    s->rng_ctr = xcalloc(n, sizeof(uint64_t), &fail);
    s->F = xcalloc(3 * n, sizeof(double), &fail);
    s->S = xcalloc(9 * n, sizeof(double), &fail);
    s->G = xcalloc(9 * n, sizeof(double), &fail);
    s->diag_nblk = (p->n + FR_CHUNK - 1) / FR_CHUNK;
    s->diag_part = xcalloc((size_t)s->diag_nblk, sizeof(fr_diag_part), &fail);
    s->diag_scratch = xcalloc((size_t)s->diag_nblk, sizeof(fr_diag_part), &fail);
    if (fail) {
        fr_sim_free(s);
        return NULL;
    }
    return s;
}

/* Orientations (all along H(0, 0) with --init aligned, e_z if H = 0; else uniform on the
 * sphere) and spins (±1 with probability 1/2) from the master stream, in particle order. */
static void initial_orientations(fr_sim *s, gsl_rng *master)
{
    const fr_params *p = &s->p;
    double H[3], e[3] = {0.0, 0.0, 1.0};
    fr_field_eval(&p->field, 0.0, (const double[3]){0.0, 0.0, 0.0}, H, NULL);
    const double Hn = sqrt(H[0] * H[0] + H[1] * H[1] + H[2] * H[2]);
    if (Hn > 0.0)
        for (int k = 0; k < 3; k++)
            e[k] = H[k] / Hn;
    for (int i = 0; i < s->n; i++) {
        double u[3];
        if (p->init == FR_INIT_ALIGNED) {
            memcpy(u, e, sizeof u);
        } else {
            gsl_ran_dir_3d(master, &u[0], &u[1], &u[2]);
        }
        for (int k = 0; k < 3; k++)
            s->xi[k][i] = s->xis[k][i] = u[k];
        s->sigma[i] = gsl_rng_uniform(master) < 0.5 ? 1 : -1;
    }
    if (p->no_effective) /* not integrated: NaN rather than a stale ξ* that looks valid */
        for (int i = 0; i < s->n; i++)
            s->xis[0][i] = s->xis[1][i] = s->xis[2][i] = NAN;
}

/* Per-particle streams: particle i's counter-based stream under the seed's key (rng.h), its
 * first Exp(1) threshold from block 0. */
static void initial_streams(fr_sim *s)
{
    s->rng_key = fr_rng_key_from_seed(s->p.seed);
    for (int i = 0; i < s->n; i++) {
        gsl_rng r;
        fr_rng_stream st;
        fr_rng_open(&r, &st, s->rng_key, (uint32_t)i, 0);
        s->thresh[i] = gsl_ran_exponential(&r, 1.0);
        s->rng_ctr[i] = fr_rng_close(&st);
    }
}

int fr_sim_create(const fr_params *p, fr_sim **out, char *err, size_t errlen)
{
    *out = NULL;
    if (fr_params_validate(p, err, errlen))
        return -1;
    fr_sim *s = sim_alloc(p);
    if (!s) {
        snprintf(err, errlen, "out of memory for %d particles", p->n);
        return -1;
    }
    /* Particle volume v = r³|B| = φ/N. */
    s->shape = fr_shape_spheroid(p->aspect);
    s->v = p->phi / p->n;
    s->r = cbrt(s->v / s->shape.volume);

    gsl_rng *master = gsl_rng_alloc(gsl_rng_mt19937);
    if (!master) {
        fr_sim_free(s);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    gsl_rng_set(master, (unsigned long)(splitmix64(p->seed) & 0xffffffffUL));
    const int rc = place_centres(s, master, p->c0 * pow(p->n, -1.0 / 3.0), err, errlen);
    if (rc == 0)
        initial_orientations(s, master);
    gsl_rng_free(master);
    if (rc) {
        fr_sim_free(s);
        return -1;
    }
    initial_streams(s);
    *out = s;
    return 0;
}

/* (2.3)–(2.4) for every particle: F_j = v σ_j (∇H)ᵀ ξ_j, S_j = v σ_j (Id + R(ξ_j))(ξ_j ∧ H)
 * with R(ζ)(ζ∧H) = −β sym(ζ ⊗ P_ζ⊥ H) (shape.h; R = 0 for spheres). With the spin replaced
 * by m0 when effective != 0 (the sources of (1.10)). */
static void compute_sources(const fr_sim *s, double t, int effective, double *F, double *S)
{
    const double v = s->v, b = s->p.b, beta = s->shape.beta;
#pragma omp parallel for schedule(static)
    for (int j = 0; j < s->n; j++) {
        const double x[3] = {s->X[0][j], s->X[1][j], s->X[2][j]};
        const double xi[3] = {s->xi[0][j], s->xi[1][j], s->xi[2][j]};
        double H[3], dH[9];
        fr_field_eval(&s->p.field, t, x, H, dH);
        const double spin =
            effective ? fr_mean_spin_eq(b, H[0] * xi[0] + H[1] * xi[1] + H[2] * xi[2]) : s->sigma[j];
        const double c = v * spin;
        for (int k = 0; k < 3; k++)
            F[3 * j + k] = c * (dH[0 * 3 + k] * xi[0] + dH[1 * 3 + k] * xi[1] + dH[2 * 3 + k] * xi[2]);
        for (int l = 0; l < 3; l++)
            for (int k = 0; k < 3; k++)
                S[9 * j + 3 * l + k] = 0.5 * c * (xi[l] * H[k] - H[l] * xi[k]);
        if (beta != 0.0) {
            const double Hxi = H[0] * xi[0] + H[1] * xi[1] + H[2] * xi[2];
            const double PH[3] = {H[0] - Hxi * xi[0], H[1] - Hxi * xi[1], H[2] - Hxi * xi[2]};
            for (int l = 0; l < 3; l++)
                for (int k = 0; k < 3; k++)
                    S[9 * j + 3 * l + k] -= 0.5 * c * beta * (xi[l] * PH[k] + PH[l] * xi[k]);
        }
    }
}

static int use_fast(const fr_sim *s)
{
    const int m = s->p.stokes == FR_STOKES_AUTO
                      ? (s->n >= FR_STOKES_AUTO_N ? FR_STOKES_FAST : FR_STOKES_DIRECT)
                      : s->p.stokes;
    return m == FR_STOKES_FAST && s->n >= 2 && !s->plan_failed;
}

/* The fast method's plan, built on first use: everything that depends only on the positions. */
static struct fr_stokes_plan *get_plan(fr_sim *s)
{
    if (!use_fast(s))
        return NULL;
    if (!s->plan) {
        char err[256];
        const double tol = s->p.stokes_tol > 0.0 ? s->p.stokes_tol : 1e-3;
        s->plan = fr_stokes_plan_create(s->n, s->X[0], s->X[1], s->X[2], tol, err, sizeof err);
        if (!s->plan)
            s->plan_failed = 1; /* e.g. out of memory: the direct sum still works */
    }
    return s->plan;
}

const char *fr_sim_stokes_name(fr_sim *s)
{
    if (!use_fast(s))
        return "direct";
    const double tol = s->p.stokes_tol > 0.0 ? s->p.stokes_tol : 1e-3;
    return tol >= 1e-2 ? "fast 1e-2" : tol >= 1e-3 ? "fast 1e-3" : tol >= 1e-4 ? "fast 1e-4"
                       : tol >= 1e-5 ? "fast 1e-5" : "fast 1e-6";
}

/* Interaction sums at all particles, by the chosen method. */
static void interaction_sum(fr_sim *s, double *u, double *G)
{
    struct fr_stokes_plan *pl = get_plan(s);
    if (pl && fr_stokes_fast_abortable(pl, s->F, s->S, u, G, s->abort) >= 0)
        return;
    fr_stokes_direct_abortable(s->n, s->X[0], s->X[1], s->X[2], s->F, s->S, u, G, s->abort);
}

/* Ambient flow gradient G_i = ∇w(X_i), w = Σ_{j≠i} ṽ_j (2.2), at every particle. A sphere
 * (β = 0) turns with W = ½(G − Gᵀ) alone: G then holds only that antisymmetric part (the fast
 * method sums the vorticity directly, a quarter of the near-field work; the direct sum's G is
 * reduced to it), so that the substep rule sees the rate the orientation actually has. */
static void compute_ambient_gradient(fr_sim *s, double t)
{
    const size_t n = (size_t)s->n;
    if (!s->p.interactions || s->n < 2) {
        if (!s->G_zero)
            memset(s->G, 0, 9 * n * sizeof(double));
        s->G_zero = 1;
        return;
    }
    s->G_zero = 0;
    memset(s->G, 0, 9 * n * sizeof(double));
    compute_sources(s, t, 0, s->F, s->S);
    if (s->shape.beta != 0.0) {
        interaction_sum(s, NULL, s->G);
        return;
    }
    struct fr_stokes_plan *pl = get_plan(s);
    if (pl && fr_stokes_fast_rotation(pl, s->F, s->S, s->G, s->abort) >= 0)
        return;
    fr_stokes_direct_abortable(s->n, s->X[0], s->X[1], s->X[2], s->F, s->S, NULL, s->G, s->abort);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        double *g = s->G + 9 * i;
        for (int a = 0; a < 3; a++)
            for (int m = a + 1; m < 3; m++) {
                const double w = 0.5 * (g[3 * a + m] - g[3 * m + a]);
                g[3 * a + m] = w;
                g[3 * m + a] = -w;
            }
        g[0] = g[4] = g[8] = 0.0;
    }
}

static int aborted(const fr_sim *s)
{
    return s->abort && atomic_load_explicit(s->abort, memory_order_relaxed);
}

static void diag_block(const fr_sim *s, int b, double t, fr_diag_part *parts)
{
    const int i0 = b * FR_CHUNK;
    const int cnt = i0 + FR_CHUNK <= s->n ? FR_CHUNK : s->n - i0;
    fr_diag_block(&s->p.field, t, s->p.b, i0, cnt, s->X, s->xi, s->xis, s->sigma, s->flips,
                  &parts[b]);
}

/* The blocks now hold the diagnostics of the state at t. */
static void diag_mark(fr_sim *s, double t)
{
    s->diag_valid = 1;
    s->diag_t = t;
    s->diag_b = s->p.b;
    s->diag_field = s->p.field;
}

/* The tabulated effective step (effective_map.h) for a uniform field on [t0, t0 + dt], with
 * the rates and substep fr_block_advance_static will look for; kept while they stay the same.
 * Where no table can be made the blocks integrate (1.9) by RK4. */
static void prepare_eff_map(fr_sim *s, const fr_field *seg, double t0, double dt)
{
    if (s->p.no_effective || seg->grad_g != 0.0 || seg->has_magnet)
        return;
    double H[3];
    const double X[3] = {s->X[0][0], s->X[1][0], s->X[2][0]};
    fr_field_eval(seg, t0, X, H, NULL);
    const double Hn = sqrt(H[0] * H[0] + H[1] * H[1] + H[2] * H[2]);
    const double k = s->shape.gamma * Hn, B = s->p.b * Hn;
    if (!(k > 0.0))
        return;
    const int ns = fr_static_eff_substeps(k, B, dt);
    fr_eff_map_prepare(&s->eff, k, B, dt / ns); /* nint = 0 if none: RK4 */
}

/* The key of the static field on a segment starting at t0 (sim_internal.h). */
static fr_clock_key clock_key(const fr_sim *s, const fr_field *seg, double t0)
{
    fr_clock_key k = {.eps = s->p.eps, .b = s->p.b, .gamma = s->shape.gamma};
    if (seg->has_switch_off && seg->t_off <= t0)
        return k; /* H = 0 on the segment */
    memcpy(k.H0, seg->H0, sizeof k.H0);
    k.grad_g = seg->grad_g;
    if (seg->has_magnet) {
        memcpy(k.magnet_m, seg->magnet_m, sizeof k.magnet_m);
        memcpy(k.magnet_p, seg->magnet_p, sizeof k.magnet_p);
    }
    return k;
}

/* The clocks back to the hazard form at time t (exact in law, no random numbers; dynamics.h):
 * before anything but the static sampler with the same key uses or changes them. */
static void clocks_to_hazard(fr_sim *s, double t)
{
    if (!s->clock_cand)
        return;
    const int nb = (s->n + FR_CHUNK - 1) / FR_CHUNK;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < nb; b++) {
        const int i0 = b * FR_CHUNK;
        fr_clocks_to_hazard(i0 + FR_CHUNK <= s->n ? FR_CHUNK : s->n - i0, s->hazard + i0,
                            s->thresh + i0, t);
    }
    s->clock_cand = 0;
    s->hazard_zero = 1;
}

/* All particles as one block (fr_block_chunk cuts it), clocks in the hazard form, no flow. */
static fr_block sim_particles(fr_sim *s)
{
    return (fr_block){.cnt = s->n,
                      .X = {s->X[0], s->X[1], s->X[2]},
                      .xi = {s->xi[0], s->xi[1], s->xi[2]},
                      .xis = {s->xis[0], s->xis[1], s->xis[2]},
                      .hazard = s->hazard,
                      .thresh = s->thresh,
                      .sigma = s->sigma,
                      .flips = s->flips,
                      .rng_ctr = s->rng_ctr,
                      .rng_key = s->rng_key};
}

static void advance_segment(fr_sim *s, double t0, double t1)
{
    s->diag_valid = 0;
    compute_ambient_gradient(s, t0);
    if (aborted(s))
        return;
    /* The segment lies on one side of every jump of the field: its RK4 stages at t1 must
     * see the left limit, not the field after a switch-off at t1. */
    fr_field seg = s->p.field;
    if (seg.has_switch_off && t1 <= seg.t_off)
        seg.has_switch_off = 0;
    const fr_dyn_ctx ctx = {.field = &seg,
                            .eps = s->p.eps,
                            .b = s->p.b,
                            .gamma = s->shape.gamma,
                            .beta = s->shape.beta,
                            .brownian = s->p.brownian,
                            .hold = s->p.hold_orientations,
                            .no_effective = s->p.no_effective,
                            .abort = s->abort};
    const int vector_ok = (!s->p.interactions || s->n < 2) && s->p.brownian == 0.0 &&
                          !s->p.hold_orientations && !seg.rotating && !seg.sweep;
    if (vector_ok) {
        const fr_clock_key key = clock_key(s, &seg, t0);
        if (s->clock_cand && memcmp(&key, &s->clock_key, sizeof key) != 0)
            clocks_to_hazard(s, t0); /* made for another field, ε, b or γ */
        prepare_eff_map(s, &seg, t0, t1 - t0);
        fr_dyn_ctx vctx = ctx;
        vctx.eff = s->eff.nint > 0 ? &s->eff : NULL;
        const int nb = (s->n + FR_CHUNK - 1) / FR_CHUNK;
        fr_block all = sim_particles(s);
        all.clock_cand = s->clock_cand;
        all.hazard_zero = s->hazard_zero;
        /* dynamic: a thread the OS holds back does not make the others wait at the end (each
         * block draws from its own particles' streams: the same bits for any schedule) */
#pragma omp parallel for schedule(dynamic, 8)
        for (int b = 0; b < nb; b++) {
            const int i0 = b * FR_CHUNK;
            const fr_block blk = fr_block_chunk(&all, i0, s->n - i0 < FR_CHUNK ? s->n - i0 : FR_CHUNK);
            fr_block_advance_static(&vctx, &blk, t0, t1);
            diag_block(s, b, t1, s->diag_part);
        }
        s->clock_cand = 1;
        s->clock_key = key;
        diag_mark(s, t1);
        return;
    }
    clocks_to_hazard(s, t0);
    s->hazard_zero = 0;
    /* the general path, FR_GCHUNK particles at a time */
    fr_block all = sim_particles(s);
    all.G = s->G;
    fr_blocks_advance(&ctx, &all, t0, t1);
}

void fr_sim_set_abort(fr_sim *s, const atomic_int *flag) { s->abort = flag; }

int fr_sim_advance(fr_sim *s, double dt)
{
    if (!(dt > 0.0) || !isfinite(dt))
        return -1;
    const double t_end = s->t + dt;
    double t = s->t;
    while (t < t_end) {
        double t1 = fr_field_next_jump(&s->p.field, t);
        if (!(t1 < t_end))
            t1 = t_end;
        advance_segment(s, t, t1);
        if (aborted(s))
            return 1;
        t = t1;
    }
    s->t = t_end;
    return 0;
}

int fr_sim_step(fr_sim *s) { return fr_sim_advance(s, s->p.dt); }

double fr_sim_time(const fr_sim *s) { return s->t; }
const fr_params *fr_sim_params(const fr_sim *s) { return &s->p; }

fr_view fr_sim_view(const fr_sim *s)
{
    fr_view v = {.n = s->n, .t = s->t, .r = s->r, .v = s->v, .sigma = s->sigma};
    for (int k = 0; k < 3; k++) {
        v.X[k] = s->X[k];
        v.xi[k] = s->xi[k];
        v.xis[k] = s->xis[k];
    }
    return v;
}

void fr_sim_diag(const fr_sim *s, fr_diag *d)
{
    memset(d, 0, sizeof *d);
    d->t = s->t;
    fr_field_eval(&s->p.field, s->t, (const double[3]){0.0, 0.0, 0.0}, d->H, NULL);
    /* Blocks summed in parallel unless the step left them for this state; then added in block
     * order: identical for any thread count (diag.h). */
    const int fresh = s->diag_valid && s->diag_t == s->t && s->diag_b == s->p.b &&
                      memcmp(&s->diag_field, &s->p.field, sizeof s->p.field) == 0;
    fr_diag_part *parts = fresh ? s->diag_part : s->diag_scratch;
    if (!fresh) {
#pragma omp parallel for schedule(static)
        for (int b = 0; b < s->diag_nblk; b++)
            diag_block(s, b, s->t, parts);
    }
    long long spin = 0;
    for (int b = 0; b < s->diag_nblk; b++) {
        const fr_diag_part *q = &parts[b];
        for (int k = 0; k < 3; k++) {
            d->m[k] += q->m[k];
            d->e[k] += q->e[k];
        }
        d->msd += q->msd;
        spin += q->spin;
        d->flips += q->flips;
    }
    const double inv = 1.0 / s->n;
    for (int k = 0; k < 3; k++) {
        d->m[k] *= inv;
        d->e[k] *= inv;
    }
    d->msd *= inv;
    d->mean_spin = (double)spin * inv;
}

/* The parameters a running simulation cannot take: they fix the particles (placement, initial
 * state, random streams, interaction plan) made by fr_sim_create. */
static const char *needs_new_sim(const fr_params *a, const fr_params *b)
{
    if (a->n != b->n)
        return "n";
    if (a->phi != b->phi)
        return "phi";
    if (a->c0 != b->c0)
        return "c0";
    if (a->seed != b->seed)
        return "seed";
    if (a->init != b->init)
        return "init";
    if (a->stokes != b->stokes)
        return "stokes";
    if (a->stokes_tol != b->stokes_tol)
        return "stokes-tol";
    if (a->no_effective != b->no_effective)
        return "no-effective";
    return NULL;
}

int fr_sim_set_params(fr_sim *s, const fr_params *p, char *err, size_t errlen)
{
    const char *fixed = needs_new_sim(&s->p, p);
    if (fixed) {
        snprintf(err, errlen, "%s cannot change in a running simulation (start a new one)", fixed);
        return -1;
    }
    if (fr_params_validate(p, err, errlen))
        return -1;
    const double aspect_was = s->p.aspect;
    /* eps, b, the field: the integrated hazard carries over, exact for time-dependent rates */
    s->p = *p;
    s->p.interactions = p->interactions ? 1 : 0;
    if (p->aspect != aspect_was) {
        s->shape = fr_shape_spheroid(p->aspect);
        s->r = cbrt(s->v / s->shape.volume); /* same volume fraction, new shape */
    }
    return 0;
}

fr_shape fr_sim_shape(const fr_sim *s) { return s->shape; }

void fr_sim_set_spin(fr_sim *s, int i, int sigma)
{
    s->diag_valid = 0;
    if (i < 0 || i >= s->n || s->sigma[i] == (sigma >= 0 ? 1 : -1))
        return;
    clocks_to_hazard(s, s->t); /* its rate bound was for the other spin */
    s->sigma[i] = sigma >= 0 ? 1 : -1;
}

void fr_sim_set_orientation(fr_sim *s, int i, const double xi[3])
{
    if (i < 0 || i >= s->n)
        return;
    const double nn = sqrt(xi[0] * xi[0] + xi[1] * xi[1] + xi[2] * xi[2]);
    if (!(nn > 0.0) || !isfinite(nn))
        return;
    clocks_to_hazard(s, s->t); /* its rate bound was for the old orientation */
    s->diag_valid = 0;
    for (int k = 0; k < 3; k++) {
        s->xi[k][i] = xi[k] / nn;
        s->xis[k][i] = s->p.no_effective ? NAN : xi[k] / nn;
    }
}

void fr_sim_ambient(fr_sim *s, double *u, double *omega) { fr_sim_ambient_ex(s, 0, u, omega); }

int fr_sim_ambient_ex(fr_sim *s, int effective, double *u, double *omega)
{
    const size_t n = (size_t)s->n;
    s->G_zero = 0; /* G is used as scratch below */
    double *uu = calloc(3 * n, sizeof(double));
    if (!uu)
        return -1;
    memset(s->G, 0, 9 * n * sizeof(double));
    compute_sources(s, s->t, effective, s->F, s->S);
    if (s->n > 1)
        interaction_sum(s, uu, s->G);
    for (size_t i = 0; i < n; i++) {
        const double *G = s->G + 9 * i;
        if (u)
            for (int k = 0; k < 3; k++)
                u[3 * i + k] = uu[3 * i + k];
        if (omega) { /* ½ curl w */
            omega[3 * i + 0] = 0.5 * (G[2 * 3 + 1] - G[1 * 3 + 2]);
            omega[3 * i + 1] = 0.5 * (G[0 * 3 + 2] - G[2 * 3 + 0]);
            omega[3 * i + 2] = 0.5 * (G[1 * 3 + 0] - G[0 * 3 + 1]);
        }
    }
    free(uu);
    return 0;
}

double fr_sim_delta(const fr_sim *s, double h)
{
    return fmax(0.5 * s->p.c0 * pow(s->n, -1.0 / 3.0), 2.0 * h);
}

/* From this N on the effective-velocity grid comes from the fast method's plan (the direct
 * grid sum costs N × grid points); below, the direct sum is cheap and more accurate. */
#define FAST_GRID_MIN_N 2000

int fr_sim_effective_velocity(fr_sim *s, int n, double lo, double hi, double *u, double *delta)
{
    if (n < 2 || !(hi > lo))
        return -1;
    const double h = (hi - lo) / (n - 1);
    const double dl = fr_sim_delta(s, h);
    if (delta)
        *delta = dl;
    /* (1.10) with the empirical density: point sources with σ_j replaced by m0(X_j, ξ_j). */
    compute_sources(s, s->t, 1, s->F, s->S);
    /* the fast grid evaluation loses accuracy for small clouds (few sources per window);
     * below FAST_GRID_MIN_N the direct grid sum is cheap anyway */
    struct fr_stokes_plan *pl = s->n >= FAST_GRID_MIN_N ? get_plan(s) : NULL;
    if (pl) {
        const int rf = fr_stokes_fast_grid_smoothed_abortable(pl, s->F, s->S, n, lo, hi, dl, u,
                                                              s->abort);
        if (rf == 0 || rf == 2)
            return rf == 2; /* else (memory, stresslets): the direct grid sum below */
    }
    const int rc = fr_stokes_grid_smoothed_abortable(s->n, s->X[0], s->X[1], s->X[2], s->F, s->S,
                                                     n, lo, hi, dl, u, s->abort);
    if (rc < 0)
        return -1;
    if (rc == 0 || rc == 2)
        return rc == 2;
    /* stresslets (spheroids): the general kernel */
    const long npts = (long)n * n * n;
#pragma omp parallel for schedule(static)
    for (long g = 0; g < npts; g++) {
        if (aborted(s))
            continue; /* the rest of the grid is skipped */
        const int i = (int)(g % n), j = (int)((g / n) % n), k = (int)(g / ((long)n * n));
        const double x[3] = {lo + i * h, lo + j * h, lo + k * h};
        double ug[3] = {0.0, 0.0, 0.0};
        for (int q = 0; q < s->n; q++) {
            const double d[3] = {x[0] - s->X[0][q], x[1] - s->X[1][q], x[2] - s->X[2][q]};
            fr_point_source_smoothed_add(d, s->F + 3 * q, s->S + 9 * q, dl, ug);
        }
        for (int c = 0; c < 3; c++)
            u[3 * g + c] = ug[c];
    }
    return aborted(s);
}

int fr_sim_fluid_rotation(fr_sim *s, double omega[3])
{
    /* ⟨ω⟩ over the ball B_R, R = 1 (the cloud): (1/(2|B_R|)) ∮ n × u dS, u the effective
     * velocity (1.10) smoothed over δ, on M Fibonacci points of the sphere (equal weights).
     * A rigid rotation u = Ω × x gives exactly Ω. This is the fluid's mean rotation, the
     * spin-up flow of a rotating field; the ambient flow at the particle centres would miss
     * it (there the principal value of the rotlet sum over a ball vanishes). */
    enum { M = 400 };
    const double R = 1.0, dl = fr_sim_delta(s, 0.0);
    compute_sources(s, s->t, 1, s->F, s->S);
    double acc[M][3];
#pragma omp parallel for schedule(static)
    for (int k = 0; k < M; k++) {
        const double zk = 1.0 - (2.0 * k + 1.0) / M, rk = sqrt(1.0 - zk * zk);
        const double ph = k * M_PI * (3.0 - sqrt(5.0));
        const double n[3] = {rk * cos(ph), rk * sin(ph), zk};
        double u[3] = {0.0, 0.0, 0.0};
        for (int j = 0; j < s->n; j++) {
            const double d[3] = {R * n[0] - s->X[0][j], R * n[1] - s->X[1][j], R * n[2] - s->X[2][j]};
            fr_point_source_smoothed_add(d, s->F + 3 * j, s->S + 9 * j, dl, u);
        }
        acc[k][0] = n[1] * u[2] - n[2] * u[1];
        acc[k][1] = n[2] * u[0] - n[0] * u[2];
        acc[k][2] = n[0] * u[1] - n[1] * u[0];
    }
    double sum[3] = {0.0, 0.0, 0.0};
    for (int k = 0; k < M; k++) /* serial: thread-count independent */
        for (int c = 0; c < 3; c++)
            sum[c] += acc[k][c];
    /* ∮ ≈ (4πR²/M) Σ; divided by 2|B_R| = 8πR³/3 */
    for (int c = 0; c < 3; c++)
        omega[c] = sum[c] * (4.0 * M_PI * R * R / M) / (8.0 * M_PI * R * R * R / 3.0);
    return 0;
}

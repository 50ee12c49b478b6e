/* ferrobench — performance of the ferroviz core (run by scripts/bench).
 *
 * For N = 1e3, 1e4, 1e5, 1e6 (cloud of the simulator: unit ball, minimal distance N^(-1/3)):
 *   - the interaction update (u and G at every particle from every other's Stokeslet + rotlet):
 *     direct O(N²) sum (fr_stokes_direct) and the fast method (fr_stokes_fast, tol 1e-3 and
 *     1e-6), their times measured in this run, their ratio, the direct sum's pairs/s, and the fast
 *     method's errors against the direct sum: max_i|Δu_i|/max_i|u_i| and rms|Δu|/rms|u| (G alike,
 *     Frobenius norm) — on all targets when the direct sum is run, else on 1000 random targets
 *     summed directly. The direct time is measured up to N = 1e5 (estimated from the measured
 *     pairs/s beyond, or with FERRO_BENCH_QUICK=1 beyond 1e4; marked "est").
 *   - the jump process alone (fr_sim with interactions = 0): particle-steps/s and flips/s;
 *   - a full step with interactions (fr_sim_step, stokes = direct for N <= 1e4, stokes = fast up
 *     to 1e5; at 1e6 the no-interaction step plus the fast update, marked "est");
 *   - the visualiser's velocity grid (fr_stokes_fast_grid_smoothed, 64³) up to N = 1e5;
 *   - peak RSS (getrusage).
 * Times are the best of several repetitions (the machine may be shared). Writes bench.json.
 * tol 1e-6 runs up to N = 1e5 (its grid would need ~10 GB at 1e6).
 * First the goals of issue 12 (goals.c), each beside its target and the previous round's figure.
 * Environment: FERRO_BENCH_MAX_N (default 1000000), FERRO_BENCH_QUICK=1 (no direct sum and no
 * tol 1e-6 run beyond 1e4), FERRO_BENCH_GOALS_ONLY=1 (the goals table alone), FERRO_BENCH_CALIB=1
 * (the fast method's errors over the calibration set alone, calib.c); set means on, whatever the
 * value. */
#include "general_path.h"
#include "calib.h"
#include "goals.h"

#include "ferro/params.h"
#include "ferro/sim.h"
#include "stokes.h"
#include "stokes_fast.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct errs {
    double umax, urms, gmax, grms;
} errs;

typedef struct row {
    int n;
    /* interactions */
    double t_direct, pairs_per_s;
    int direct_est;
    int subset; /* number of targets the errors were measured on */
    double t_fast, t_build, ratio;
    errs e;
    fr_stokes_plan_info info;
    double t_grid; /* fr_stokes_fast_grid_smoothed on 64³ over [-1.2, 1.2]³, 0 if not run */
    double t_fast6, t_build6, ratio6;
    errs e6;
    int have6;
    fr_stokes_plan_info info6;
    /* simulation */
    double t_step, psteps_per_s, flips_per_s;
    double t_step_direct;  /* full step, interactions by the direct sum (N <= 1e4), else 0 */
    double t_step_fast;    /* full step, interactions by the fast method (sim.stokes = fast) */
    int step_fast_est;     /* 1: estimated as step without interactions + fast update */
    double rss_mb;
} row;

static double now(void) { return omp_get_wtime(); }

static void die(const char *what)
{
    fprintf(stderr, "ferrobench: %s\n", what);
    exit(1);
}

static fr_sim *make_sim(const fr_params *prm)
{
    char err[256];
    fr_sim *sim;
    if (fr_sim_create(prm, &sim, err, sizeof err))
        die(err);
    return sim;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

static double urand(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return (double)(*st >> 11) * (1.0 / 9007199254740992.0);
}

/* Random forces and sphere moments S = v (ξ ∧ H) with |ξ| = 1, |H| <= 1. */
static void sources(int n, double v, double *F, double *S)
{
    uint64_t st = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    for (int j = 0; j < n; j++) {
        double xi[3], H[3], nx = 0.0;
        for (int k = 0; k < 3; k++) {
            xi[k] = 2.0 * urand(&st) - 1.0;
            H[k] = 2.0 * urand(&st) - 1.0;
            F[3 * j + k] = v * (2.0 * urand(&st) - 1.0);
            nx += xi[k] * xi[k];
        }
        nx = 1.0 / sqrt(nx);
        for (int l = 0; l < 3; l++)
            for (int k = 0; k < 3; k++)
                S[9 * (size_t)j + 3 * l + k] = 0.5 * v * nx * (xi[l] * H[k] - H[l] * xi[k]);
    }
}

/* Reference u, G at the targets idx[0..m) by direct summation (Stokeslet + rotlet T = 2 axial S). */
static void direct_subset(int n, const double *x, const double *y, const double *z,
                          const double *F, const double *S, int m, const int *idx, double *u,
                          double *G)
{
    double *T = malloc(3 * (size_t)n * sizeof(double));
    for (int j = 0; j < n; j++) {
        const double *s = S + 9 * (size_t)j;
        T[3 * j] = s[5] - s[7];
        T[3 * j + 1] = s[6] - s[2];
        T[3 * j + 2] = s[1] - s[3];
    }
#pragma omp parallel for schedule(dynamic, 4)
    for (int q = 0; q < m; q++) {
        const int i = idx[q];
        double a[12] = {0};
        for (int j = 0; j < n; j++) {
            if (j == i)
                continue;
            const double dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
            const double r2 = dx * dx + dy * dy + dz * dz, ir = 1.0 / sqrt(r2), ir3 = ir / r2,
                         ir5 = ir3 / r2;
            const double *f = F + 3 * (size_t)j, *t = T + 3 * (size_t)j;
            const double dF = dx * f[0] + dy * f[1] + dz * f[2];
            const double c[3] = {t[1] * dz - t[2] * dy, t[2] * dx - t[0] * dz, t[0] * dy - t[1] * dx};
            const double d[3] = {dx, dy, dz};
            for (int k = 0; k < 3; k++)
                a[k] += f[k] * ir + (d[k] * dF + c[k]) * ir3;
            /* G_km = (−F_k d_m + d_k F_m + δ_km d·F + ε_kjm T_j)/r³ − 3 d_m (d_k d·F + c_k)/r⁵ */
            const double eps[3][3] = {{0, -t[2], t[1]}, {t[2], 0, -t[0]}, {-t[1], t[0], 0}};
            for (int k = 0; k < 3; k++)
                for (int mm = 0; mm < 3; mm++)
                    a[3 + 3 * k + mm] += (-f[k] * d[mm] + d[k] * f[mm] + (k == mm ? dF : 0.0) +
                                          eps[k][mm]) * ir3 -
                                         3.0 * d[mm] * (d[k] * dF + c[k]) * ir5;
        }
        const double s8 = 1.0 / (8.0 * M_PI);
        for (int k = 0; k < 3; k++)
            u[3 * (size_t)q + k] = s8 * a[k];
        for (int k = 0; k < 9; k++)
            G[9 * (size_t)q + k] = s8 * a[3 + k];
    }
    free(T);
}

/* Errors of (u, G) at the m targets idx against the reference (ur, Gr) given per target. */
static errs compare(int m, const int *idx, const double *u, const double *G, const double *ur,
                    const double *Gr)
{
    double mu = 0, eu = 0, su = 0, seu = 0, mg = 0, eg = 0, sg = 0, seg = 0;
    for (int q = 0; q < m; q++) {
        const size_t i = idx ? (size_t)idx[q] : (size_t)q;
        double a = 0, b = 0, c = 0, d = 0;
        for (int k = 0; k < 3; k++) {
            a += ur[3 * (size_t)q + k] * ur[3 * (size_t)q + k];
            b += (u[3 * i + k] - ur[3 * (size_t)q + k]) * (u[3 * i + k] - ur[3 * (size_t)q + k]);
        }
        for (int k = 0; k < 9; k++) {
            c += Gr[9 * (size_t)q + k] * Gr[9 * (size_t)q + k];
            d += (G[9 * i + k] - Gr[9 * (size_t)q + k]) * (G[9 * i + k] - Gr[9 * (size_t)q + k]);
        }
        mu = fmax(mu, sqrt(a));
        eu = fmax(eu, sqrt(b));
        mg = fmax(mg, sqrt(c));
        eg = fmax(eg, sqrt(d));
        su += a;
        seu += b;
        sg += c;
        seg += d;
    }
    errs e = {eu / mu, sqrt(seu / su), eg / mg, sqrt(seg / sg)};
    return e;
}

/* Best-of-reps time of the fast update; the plan's phase times of that run kept in *info. */
static double time_fast(fr_stokes_plan *p, int n, const double *F, const double *S, double *u,
                        double *G, int reps, fr_stokes_plan_info *info)
{
    double best = 1e300;
    for (int r = 0; r < reps; r++) {
        memset(u, 0, 3 * (size_t)n * sizeof(double));
        memset(G, 0, 9 * (size_t)n * sizeof(double));
        const double t0 = now();
        if (fr_stokes_fast(p, F, S, u, G) < 0)
            die("fr_stokes_fast failed (out of memory)");
        const double t = now() - t0;
        if (t < best) {
            best = t;
            fr_stokes_plan_get_info(p, info);
        }
    }
    return best;
}

static fr_stokes_plan *make_plan(int n, const double *x, const double *y, const double *z,
                                 double tol, double *t_build)
{
    char err[256];
    const double t0 = now();
    fr_stokes_plan *p = fr_stokes_plan_create(n, x, y, z, tol, err, sizeof err);
    *t_build = now() - t0;
    if (!p)
        die(err);
    return p;
}

/* The simulator's cloud at N (centres and particle volume), kept for the interaction timings. */
typedef struct cloud {
    int n;
    double v, *x, *y, *z;
} cloud;

/* The reference (u, G) the fast method is compared with: the full direct sum (idx = NULL), or
 * m random targets summed directly. */
typedef struct reference {
    int m, *idx;
    double *ur, *Gr;
} reference;

/* The jump process without interactions: best of K steps after a warm-up; the simulator's
 * cloud is copied into *c. */
static void time_jump(int n, row *r, cloud *c)
{
    fr_params prm = fr_params_default();
    prm.n = n;
    prm.interactions = 0;
    fr_sim *sim = make_sim(&prm);
    fr_sim_step(sim); /* warm-up */
    const int K = n <= 10000 ? 20 : (n <= 100000 ? 6 : 3);
    fr_diag d0, d1;
    double best = 1e300;
    long long fl = 0;
    for (int k = 0; k < K; k++) {
        fr_sim_diag(sim, &d0);
        const double t0 = now();
        fr_sim_step(sim);
        const double t = now() - t0;
        fr_sim_diag(sim, &d1);
        fl += d1.flips - d0.flips;
        best = fmin(best, t);
    }
    r->t_step = best;
    r->psteps_per_s = n / best;
    r->flips_per_s = (double)fl / K / best;
    const fr_view vw = fr_sim_view(sim);
    c->n = n;
    c->v = vw.v;
    double **dst[3] = {&c->x, &c->y, &c->z};
    for (int k = 0; k < 3; k++) {
        *dst[k] = malloc((size_t)n * sizeof(double));
        if (!*dst[k])
            die("out of memory");
        memcpy(*dst[k], vw.X[k], (size_t)n * sizeof(double));
    }
    fr_sim_free(sim);
}

/* The direct sum timed on all targets (N <= 1e4, or 1e5 unless quick), else its time estimated
 * from the last measured pairs/s and the reference computed on 1000 random targets. */
static void direct_reference(const cloud *c, const double *F, const double *S, int quick,
                             double *pairs_rate, row *r, reference *ref)
{
    const int n = c->n;
    const int full = n <= 10000 || (n <= 100000 && !quick);
    const int m = full ? n : (n < 1000 ? n : 1000);
    ref->m = m;
    ref->idx = NULL;
    ref->ur = malloc(3 * (size_t)m * sizeof(double));
    ref->Gr = malloc(9 * (size_t)m * sizeof(double));
    if (!ref->ur || !ref->Gr)
        die("out of memory");
    if (full) {
        const int reps = n <= 1000 ? 20 : 1;
        double bt = 1e300;
        for (int rr = 0; rr < reps; rr++) {
            memset(ref->ur, 0, 3 * (size_t)m * sizeof(double));
            memset(ref->Gr, 0, 9 * (size_t)m * sizeof(double));
            const double t0 = now();
            fr_stokes_direct(n, c->x, c->y, c->z, F, S, ref->ur, ref->Gr);
            bt = fmin(bt, now() - t0);
        }
        r->t_direct = bt;
        r->pairs_per_s = (double)n * (n - 1) / bt;
        *pairs_rate = r->pairs_per_s;
    } else {
        ref->idx = malloc((size_t)m * sizeof(int));
        if (!ref->idx)
            die("out of memory");
        uint64_t st = 12345;
        for (int q = 0; q < m; q++)
            ref->idx[q] = (int)(urand(&st) * n) % n;
        direct_subset(n, c->x, c->y, c->z, F, S, m, ref->idx, ref->ur, ref->Gr);
        r->pairs_per_s = *pairs_rate;
        r->t_direct = (double)n * (n - 1) / *pairs_rate;
        r->direct_est = 1;
    }
    r->subset = m;
}

/* The visualiser's velocity grid (64³, sources smoothed over 0.5 N^(-1/3)): best of 3 after
 * a first call; 0 if it could not run. */
static double time_grid(fr_stokes_plan *p, int n, const double *F, const double *S)
{
    const int ng = 64;
    double *ug = malloc(3 * (size_t)ng * ng * ng * sizeof(double));
    const double delta = 0.5 * pow(n, -1.0 / 3.0);
    double bg = 0.0;
    if (ug && fr_stokes_fast_grid_smoothed(p, F, S, ng, -1.2, 1.2, delta, ug) == 0) {
        bg = 1e300;
        for (int k = 0; k < 3; k++) {
            const double t0 = now();
            fr_stokes_fast_grid_smoothed(p, F, S, ng, -1.2, 1.2, delta, ug);
            bg = fmin(bg, now() - t0);
        }
    }
    free(ug);
    return bg;
}

/* The fast method at tol 1e-3 (and the velocity grid up to 1e5), and at tol 1e-6 up to 1e5
 * (1e4 when quick): times, plans and errors against the reference. */
static void time_fast_both(const cloud *c, const double *F, const double *S, int quick,
                           const reference *ref, row *r)
{
    const int n = c->n;
    double *u = calloc(3 * (size_t)n, sizeof(double)), *G = calloc(9 * (size_t)n, sizeof(double));
    if (!u || !G)
        die("out of memory");
    const int reps = n <= 100000 ? 5 : 3;
    fr_stokes_plan *p = make_plan(n, c->x, c->y, c->z, 1e-3, &r->t_build);
    fr_stokes_fast(p, F, S, u, G); /* warm-up */
    r->t_fast = time_fast(p, n, F, S, u, G, reps, &r->info);
    r->e = compare(ref->m, ref->idx, u, G, ref->ur, ref->Gr);
    r->ratio = r->t_direct / r->t_fast;
    if (n <= 100000)
        r->t_grid = time_grid(p, n, F, S);
    fr_stokes_plan_free(p);
    if (n <= 100000 && !(quick && n > 10000)) {
        p = make_plan(n, c->x, c->y, c->z, 1e-6, &r->t_build6);
        fr_stokes_fast(p, F, S, u, G);
        r->t_fast6 = time_fast(p, n, F, S, u, G, 3, &r->info6);
        r->e6 = compare(ref->m, ref->idx, u, G, ref->ur, ref->Gr);
        r->ratio6 = r->t_direct / r->t_fast6;
        r->have6 = 1;
        fr_stokes_plan_free(p);
    }
    free(u);
    free(G);
}

/* A full step with interactions: the direct sum (N <= 1e4) and the fast method (the simulator
 * builds its plan on the first such step: a warm-up step, not timed; beyond 1e5 estimated as
 * the step without interactions + the fast update, for the time budget). */
static void time_full_steps(int n, row *r)
{
    fr_params prm = fr_params_default();
    prm.n = n;
    prm.interactions = 1;
    for (int method = 0; method < 2; method++) {
        if (method == 0 && n > 10000)
            continue;
        if (method == 1 && n > 100000) {
            r->t_step_fast = r->t_step + r->t_fast;
            r->step_fast_est = 1;
            continue;
        }
        prm.stokes = method == 0 ? FR_STOKES_DIRECT : FR_STOKES_FAST;
        fr_sim *sim = make_sim(&prm);
        if (method == 1)
            fr_sim_step(sim);
        double best = 1e300;
        for (int k = 0; k < (n <= 1000 ? 5 : (n <= 10000 ? 3 : 2)); k++) {
            const double t0 = now();
            fr_sim_step(sim);
            best = fmin(best, now() - t0);
        }
        if (method == 0)
            r->t_step_direct = best;
        else
            r->t_step_fast = best;
        fr_sim_free(sim);
    }
}

static void run_n(int n, int quick, double *pairs_rate, row *r)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    cloud c;
    time_jump(n, r, &c);
    double *F = malloc(3 * (size_t)n * sizeof(double)), *S = malloc(9 * (size_t)n * sizeof(double));
    if (!F || !S)
        die("out of memory");
    sources(n, c.v, F, S);
    reference ref;
    direct_reference(&c, F, S, quick, pairs_rate, r, &ref);
    time_fast_both(&c, F, S, quick, &ref, r);
    time_full_steps(n, r);
    r->rss_mb = peak_rss_mb();
    free(c.x);
    free(c.y);
    free(c.z);
    free(F);
    free(S);
    free(ref.ur);
    free(ref.Gr);
    free(ref.idx);
}

static void json_errs(FILE *f, const char *name, errs e)
{
    fprintf(f, "\"%s\": {\"u_max\": %.3e, \"u_rms\": %.3e, \"G_max\": %.3e, \"G_rms\": %.3e}", name,
            e.umax, e.urms, e.gmax, e.grms);
}

static void json_info(FILE *f, const char *name, const fr_stokes_plan_info *in)
{
    fprintf(f,
            "\"%s\": {\"xi\": %.4g, \"rc\": %.4g, \"h\": %.4g, \"P\": %d, \"eta\": %.3g, \"q\": %.3g, "
            "\"xc\": %.3g, \"grid\": [%d, %d, %d], \"neighbours\": %.1f, \"plan_MB\": %.1f, "
            "\"phases_s\": {\"spread\": %.4f, \"fft\": %.4f, \"interp\": %.4f, \"real\": %.4f, "
            "\"other\": %.4f}}",
            name, in->xi, in->rc, in->h, in->P, in->eta, in->q, in->xc, in->M[0], in->M[1], in->M[2],
            in->neighbours, in->bytes / 1e6, in->t_spread, in->t_fft, in->t_interp, in->t_real,
            in->t_other);
}

/* The jump process alone (interactions off, static field H = e_z, b = 2, dt = 0.01) at several
 * ε, without the effective model (--no-effective: the microscopic model only) and with it
 * (the default): particle-steps/s, flips/s and flips per particle-step. Best of K steps after
 * a warm-up. */
typedef struct jrow {
    int n;
    double eps, t_step, psteps_per_s, flips_per_s, flips_per_pstep;
    double t_step_eff, psteps_per_s_eff; /* with the effective model (1.9) */
} jrow;

static double jump_run(int n, double eps, int no_effective, double *flips_per_step)
{
    fr_params prm = fr_params_default();
    prm.n = n;
    prm.eps = eps;
    prm.interactions = 0;
    prm.no_effective = no_effective;
    fr_sim *sim = make_sim(&prm);
    fr_sim_step(sim);
    fr_sim_step(sim);
    const int K = n <= 100000 ? 20 : 10;
    double best = 1e300;
    fr_diag d0, d1;
    fr_sim_diag(sim, &d0);
    for (int k = 0; k < K; k++) {
        const double t0 = now();
        fr_sim_step(sim);
        best = fmin(best, now() - t0);
    }
    fr_sim_diag(sim, &d1);
    if (flips_per_step)
        *flips_per_step = (double)(d1.flips - d0.flips) / K;
    fr_sim_free(sim);
    return best;
}

#define NJ_EPS 3
static const double jump_eps[NJ_EPS] = {0.01, 0.1, 1.0};

static int jump_table(long maxn, jrow *jr)
{
    const int ns[3] = {10000, 100000, 1000000};
    int m = 0;
    for (int i = 0; i < 3 && ns[i] <= maxn; i++)
        for (int e = 0; e < NJ_EPS; e++) {
            jrow *r = &jr[m++];
            double fl;
            r->n = ns[i];
            r->eps = jump_eps[e];
            r->t_step = jump_run(ns[i], jump_eps[e], 1, &fl);
            r->t_step_eff = jump_run(ns[i], jump_eps[e], 0, NULL);
            r->psteps_per_s = ns[i] / r->t_step;
            r->psteps_per_s_eff = ns[i] / r->t_step_eff;
            r->flips_per_s = fl / r->t_step;
            r->flips_per_pstep = fl / ns[i];
        }
    printf("\nJump process alone (no interactions; H = e_z, b = 2, dt = 0.01; exact flip times and "
           "orientations)\n  micro: the microscopic model only (--no-effective); +effective: with "
           "the effective model (1.9), the default\n");
    printf("%9s %8s %12s %16s %12s %14s | %12s %16s\n", "N", "eps", "micro[s]", "particle-steps/s",
           "flips/s", "flips/p-step", "+effective[s]", "particle-steps/s");
    for (int i = 0; i < m; i++)
        printf("%9d %8g %12.5f %16.3g %12.3g %14.3f | %12.5f %16.3g\n", jr[i].n, jr[i].eps,
               jr[i].t_step, jr[i].psteps_per_s, jr[i].flips_per_s, jr[i].flips_per_pstep,
               jr[i].t_step_eff, jr[i].psteps_per_s_eff);
    fflush(stdout);
    return m;
}

static void json_jump(FILE *f, const jrow *jr, int m)
{
    fprintf(f, "  \"jump_process\": [\n");
    for (int i = 0; i < m; i++)
        fprintf(f,
                "    {\"N\": %d, \"eps\": %g, \"micro_step_s\": %.6g, \"micro_particle_steps_per_s\": "
                "%.4g, \"flips_per_s\": %.4g, \"flips_per_particle_step\": %.4g, "
                "\"with_effective_step_s\": %.6g, \"with_effective_particle_steps_per_s\": %.4g}%s\n",
                jr[i].n, jr[i].eps, jr[i].t_step, jr[i].psteps_per_s, jr[i].flips_per_s,
                jr[i].flips_per_pstep, jr[i].t_step_eff, jr[i].psteps_per_s_eff,
                i + 1 < m ? "," : "");
    fprintf(f, "  ],\n");
}

/* The interaction, tol 1e-6 and step tables of the rows measured. */
static void print_rows(const row *rows, int nr)
{
    printf("\nInteraction update (u and G at all N particles), fast method at tol 1e-3\n");
    printf("%9s %11s %10s %9s %8s %9s | %9s %9s %9s %9s | %5s %4s %5s %9s\n", "N", "direct[s]",
           "pairs/s", "fast[s]", "ratio", "build[s]", "u max", "u rms", "G max", "G rms", "grid",
           "P", "nbrs", "err on");
    for (int i = 0; i < nr; i++) {
        const row *r = &rows[i];
        printf("%9d %10.4g%s %10.3g %9.4f %8.1f %9.2f | %9.2e %9.2e %9.2e %9.2e | %5d %4d %5.0f %9d\n",
               r->n, r->t_direct, r->direct_est ? "*" : " ", r->pairs_per_s, r->t_fast, r->ratio,
               r->t_build, r->e.umax, r->e.urms, r->e.gmax, r->e.grms, r->info.M[0], r->info.P,
               r->info.neighbours, r->subset);
    }
    printf("  fast phases [s] (spread / FFT+kernel / interpolation / real space / other):\n");
    for (int i = 0; i < nr; i++)
        printf("  %9d  %.4f / %.4f / %.4f / %.4f / %.4f   plan %.0f MB\n", rows[i].n,
               rows[i].info.t_spread, rows[i].info.t_fft, rows[i].info.t_interp, rows[i].info.t_real,
               rows[i].info.t_other, rows[i].info.bytes / 1e6);
    printf("\nFast method at tol 1e-6\n");
    printf("%9s %9s %8s %9s | %9s %9s %9s %9s | %5s %4s\n", "N", "fast[s]", "ratio", "build[s]",
           "u max", "u rms", "G max", "G rms", "grid", "P");
    for (int i = 0; i < nr; i++) {
        const row *r = &rows[i];
        if (r->have6)
            printf("%9d %9.4f %8.1f %9.2f | %9.2e %9.2e %9.2e %9.2e | %5d %4d\n", r->n, r->t_fast6,
                   r->ratio6, r->t_build6, r->e6.umax, r->e6.urms, r->e6.gmax, r->e6.grms,
                   r->info6.M[0], r->info6.P);
    }
    printf("\nSimulation step (dt = %g)\n", fr_params_default().dt);
    printf("%9s %14s %16s %12s %16s %15s %14s %12s\n", "N", "step,no-int[s]",
           "particle-steps/s", "flips/s", "step,direct[s]", "step,fast[s]", "grid 64^3 [s]",
           "peak RSS MB");
    for (int i = 0; i < nr; i++) {
        const row *r = &rows[i];
        printf("%9d %14.4f %16.3g %12.3g %16.4f %14.4f%s %14.4f %12.0f\n", r->n, r->t_step,
               r->psteps_per_s, r->flips_per_s, r->t_step_direct, r->t_step_fast,
               r->step_fast_est ? "*" : " ", r->t_grid, r->rss_mb);
    }
    printf("\n* direct: estimated from the measured pairs/s; errors then on 1000 random targets.\n"
           "* step,fast: estimated as the step without interactions + the fast update.\n"
           "step,direct / step,fast: fr_sim_step with interactions, stokes = direct / fast "
           "(0: not run).\n");
    printf("Errors: max_i|du_i|/max_i|u_i|, rms|du|/rms|u| (G: Frobenius) against the direct sum.\n");
    printf("grid 64^3: fr_stokes_fast_grid_smoothed over [-1.2,1.2]^3, delta = 0.5 N^(-1/3) (0: not run).\n");
}

/* bench.json: the goals' JSON (already formatted), the jump table and the rows. */
static int write_json(int threads, int quick, const char *goals_json, const jrow *jr, int nj,
                      const row *rows, int nr, double t_all)
{
    FILE *f = fopen("bench.json", "w");
    if (!f) {
        perror("bench.json");
        return 1;
    }
    fprintf(f, "{\n  \"threads\": %d,\n  \"quick\": %d,\n%s", threads, quick, goals_json);
    json_jump(f, jr, nj);
    fprintf(f, "  \"rows\": [\n");
    for (int i = 0; i < nr; i++) {
        const row *r = &rows[i];
        fprintf(f, "    {\"N\": %d, \"direct_s\": %.6g, \"direct_estimated\": %s, "
                   "\"direct_pairs_per_s\": %.4g, \"error_targets\": %d,\n",
                r->n, r->t_direct, r->direct_est ? "true" : "false", r->pairs_per_s, r->subset);
        fprintf(f, "     \"fast_1e-3\": {\"s\": %.6g, \"build_s\": %.4g, \"ratio\": %.4g, ", r->t_fast,
                r->t_build, r->ratio);
        json_errs(f, "errors", r->e);
        fprintf(f, ", ");
        json_info(f, "plan", &r->info);
        fprintf(f, "},\n");
        if (r->have6) {
            fprintf(f, "     \"fast_1e-6\": {\"s\": %.6g, \"build_s\": %.4g, \"ratio\": %.4g, ",
                    r->t_fast6, r->t_build6, r->ratio6);
            json_errs(f, "errors", r->e6);
            fprintf(f, ", ");
            json_info(f, "plan", &r->info6);
            fprintf(f, "},\n");
        }
        fprintf(f,
                "     \"step_no_interactions_s\": %.6g, \"particle_steps_per_s\": %.4g, "
                "\"flips_per_s\": %.4g, \"step_direct_s\": %.6g, \"step_fast_s\": %.6g, "
                "\"step_fast_estimated\": %s, \"velocity_grid_64_s\": %.4g, "
                "\"peak_rss_MB\": %.1f}%s\n",
                r->t_step, r->psteps_per_s, r->flips_per_s, r->t_step_direct, r->t_step_fast,
                r->step_fast_est ? "true" : "false", r->t_grid, r->rss_mb, i + 1 < nr ? "," : "");
    }
    fprintf(f, "  ],\n  \"total_s\": %.1f,\n  \"peak_rss_MB\": %.1f\n}\n", now() - t_all,
            peak_rss_mb());
    fclose(f);
    return 0;
}

int main(void)
{
    const char *mx = getenv("FERRO_BENCH_MAX_N");
    const long maxn = mx ? atol(mx) : 1000000;
    const int quick = getenv("FERRO_BENCH_QUICK") != NULL;
    const int threads = omp_get_max_threads();
    const int ns[4] = {1000, 10000, 100000, 1000000};
    row rows[4];
    int nr = 0;
    double pairs_rate = 0.0;
    const double t_all = now();
    if (getenv("FERRO_BENCH_CALIB")) /* the fast method's errors alone (calib.c) */
        return bench_calib(maxn);
    printf("ferrobench: %d OpenMP thread(s); times are the best of several runs\n", threads);
    fflush(stdout);
    /* the goals first: their N = 1e6 step sets the process's peak RSS */
    char *goals_json = NULL;
    size_t goals_len = 0;
    FILE *gj = open_memstream(&goals_json, &goals_len);
    if (!gj || bench_goals(maxn, gj))
        return 1;
    /* FERRO_BENCH_GOAL=rk4: this row alone (3b runs it too) */
    const char *only = getenv("FERRO_BENCH_GOAL");
    if ((!only || !*only || !strcmp(only, "3b") || !strcmp(only, "rk4")) &&
        bench_general_path(maxn, gj))
        return 1;
    fclose(gj);
    if (getenv("FERRO_BENCH_GOALS_ONLY")) {
        FILE *f = fopen("bench.json", "w");
        if (!f) {
            perror("bench.json");
            return 1;
        }
        fprintf(f, "{\n  \"threads\": %d,\n%s  \"goals_only\": true\n}\n", threads, goals_json);
        fclose(f);
        free(goals_json);
        printf("wrote bench.json\n");
        return 0;
    }
    jrow jr[9];
    const int nj = jump_table(maxn, jr);
    if (getenv("FERRO_BENCH_JUMP_ONLY"))
        return 0;
    printf("\n");
    for (int i = 0; i < 4 && ns[i] <= maxn; i++) {
        run_n(ns[i], quick, &pairs_rate, &rows[nr]);
        const row *r = &rows[nr++];
        printf("N = %d done (%.0f s so far)\n", r->n, now() - t_all);
        fflush(stdout);
    }

    print_rows(rows, nr);
    printf("Total %.0f s, peak RSS %.0f MB\n", now() - t_all, peak_rss_mb());
    const int rc = write_json(threads, quick, goals_json, jr, nj, rows, nr, t_all);
    free(goals_json);
    if (rc)
        return 1;
    printf("wrote bench.json\n");
    return 0;
}

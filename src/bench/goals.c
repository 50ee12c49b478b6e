/* The performance goals of issue 12, each beside its target and the previous round's figure,
 * measured in this run (a peer in the same run where there is one):
 *   1. a series row (fr_sim_diag) at N = 1e6: right after a static-field step (the step left the
 *      block sums), cold (blocks summed afresh, in parallel), and the previous algorithm (serial
 *      sums in index order, as a peer in this run);
 *   2. the jump process as a user runs it (ε = 0.01, dt = 0.001, effective model on, no
 *      interactions, a row every step): particle-steps/s end to end, against the bound of this
 *      machine's memory bandwidth measured in this run (113 bytes of state per particle-step),
 *      and the microscopic model alone (--no-effective) in the same run as its peer;
 *   3. the fast method: one update at N = 1e5 (errors on 200 targets against the direct sum;
 *      FMM3D is not in Debian: its figure is the previous round's recorded one, not this run's),
 *      and a full fr_sim_step with interactions at N = 1e6 (first step = plan + step, the second
 *      step, peak RSS of the process right after — run first, so the peak is this case's).
 * ferroviz's goal (4) is measured by scripts/bench itself (a window under Xvfb). */
#include "goals.h"

#include "ferro/params.h"
#include "ferro/sim.h"
#include "stokes_fast.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* The previous round's figures (issue 12, "Where it stands"; same machine, 2 threads). */
#define PREV_ROW_S 36e-3
#define PREV_JUMP_PSTEPS 1.8e7
#define PREV_FAST_1E5_S 0.39
#define FMM3D_1E5_S 4.7 /* FMM3D 1.x, Stokeslet + rotlet with gradients at tol 1e-3 */
#define PREV_STEP_1E6_S 2.5
#define PREV_PLAN_1E6_S 9.0
#define PREV_RSS_1E6_MB 3600.0
#define STATE_BYTES 113.0 /* ξ, ξ* read and written, threshold read and written, σ read (the
                           * random-stream counters only at candidates: ~0.1 × 16 B more) */

static double now(void) { return omp_get_wtime(); }

/* CPU seconds of the process (all threads): on a machine shared with other work, CPU / threads
 * is what the wall time would be with the cores to ourselves (for parallel phases). */
static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + 1e-6 * ru.ru_utime.tv_usec + ru.ru_stime.tv_sec +
           1e-6 * ru.ru_stime.tv_usec;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

static fr_sim *make(fr_params *p)
{
    char err[256];
    fr_sim *s;
    if (fr_sim_create(p, &s, err, sizeof err)) {
        fprintf(stderr, "ferrobench: %s\n", err);
        exit(1);
    }
    return s;
}

/* The previous fr_sim_diag: serial sums in index order (the peer of goal 1). */
static double diag_serial(const fr_sim *s, double out[7])
{
    const fr_view v = fr_sim_view(s);
    const fr_params *p = fr_sim_params(s);
    double a[7] = {0};
    for (int i = 0; i < v.n; i++) {
        double H[3];
        const double X[3] = {v.X[0][i], v.X[1][i], v.X[2][i]};
        fr_field_eval(&p->field, v.t, X, H, NULL);
        const double m0 =
            tanh(p->b * (H[0] * v.xis[0][i] + H[1] * v.xis[1][i] + H[2] * v.xis[2][i]));
        for (int k = 0; k < 3; k++) {
            a[k] += v.sigma[i] * v.xi[k][i];
            a[3 + k] += m0 * v.xis[k][i];
            a[6] += (v.xi[k][i] - v.xis[k][i]) * (v.xi[k][i] - v.xis[k][i]);
        }
    }
    memcpy(out, a, sizeof a);
    return a[0];
}

/* Copy bandwidth (bytes read + written per second) of a buffer far larger than the caches. */
static double copy_bandwidth(void)
{
    const size_t nb = (size_t)1 << 28;
    char *a = malloc(nb), *b = malloc(nb);
    if (!a || !b) {
        free(a);
        free(b);
        return 0.0;
    }
    memset(a, 1, nb);
    memset(b, 2, nb);
    double best = 1e300;
    for (int k = 0; k < 3; k++) {
        const double t0 = now();
#pragma omp parallel
        {
            const int nt = omp_get_num_threads(), id = omp_get_thread_num();
            const size_t q = nb / (size_t)nt;
            memcpy(b + q * (size_t)id, a + q * (size_t)id, q);
        }
        best = fmin(best, now() - t0);
    }
    free(a);
    free(b);
    return 2.0 * (double)nb / best;
}

typedef struct goals {
    int n1, n2;
    double row_fused, row_cold, row_serial;
    double psteps, psteps_best, psteps_cpu, bw, bound;
    double psteps_micro_cpu; /* the same run with --no-effective: the peer of goal 2 */
    int n3;
    double fast_s, fast_cpu, fast_build, fast_err;
    double rot_s, rot_cpu, rot_err; /* the rotation-only update (what a sphere's step computes) */
    fr_stokes_plan_info fast_info; /* phases of the last update, grid, neighbours */
    int have_big, nbig;
    double big_first, big_step, big_rss, big_first_cpu, big_step_cpu;
} goals;

static void goal_rows_and_jump(int n, goals *g)
{
    fr_params p = fr_params_default();
    p.n = n;
    p.eps = 0.01;
    p.dt = 0.001;
    p.interactions = 0;
    fr_sim *s = make(&p);
    fr_sim_step(s);
    fr_sim_step(s);
    const int K = 20;
    double best_f = 1e300, best_c = 1e300, best_s = 1e300, tot = 0.0, best_step = 1e300, sink = 0;
    double cpu_tot = 0.0;
    fr_diag d;
    for (int k = 0; k < K; k++) {
        const double c0 = cpu(), t0 = now();
        fr_sim_step(s);
        const double t1 = now();
        fr_sim_diag(s, &d);
        const double t2 = now();
        cpu_tot += cpu() - c0;
        tot += t2 - t0;
        best_step = fmin(best_step, t2 - t0);
        best_f = fmin(best_f, t2 - t1);
        if (k % 4 == 0) { /* cold: a no-op change of state invalidates the step's sums */
            fr_sim_set_spin(s, 0, fr_sim_view(s).sigma[0]);
            const double t3 = now();
            fr_sim_diag(s, &d);
            const double t4 = now();
            double a[7];
            sink += diag_serial(s, a);
            const double t5 = now();
            best_c = fmin(best_c, t4 - t3);
            best_s = fmin(best_s, t5 - t4);
        }
    }
    if (sink == 12345.678)
        printf(" ");
    g->n1 = g->n2 = n;
    g->row_fused = best_f;
    g->row_cold = best_c;
    g->row_serial = best_s;
    g->psteps = n * K / tot;
    g->psteps_best = n / best_step;
    g->psteps_cpu = n * K / (cpu_tot / omp_get_max_threads());
    fr_sim_free(s);
    /* peer: the microscopic model alone (--no-effective), a row every step, CPU / threads */
    p.no_effective = 1;
    s = make(&p);
    fr_sim_step(s);
    fr_sim_step(s);
    const int Km = 10;
    const double cm = cpu();
    for (int k = 0; k < Km; k++) {
        fr_sim_step(s);
        fr_sim_diag(s, &d);
    }
    g->psteps_micro_cpu = n * Km / ((cpu() - cm) / omp_get_max_threads());
    fr_sim_free(s);
}

static double urand(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return (double)(*st >> 11) * (1.0 / 9007199254740992.0);
}

/* One fast update at n (positions of the simulator's cloud, random sources), its plan time and
 * the largest relative error of u and G over 200 targets against the direct sum. */
static void goal_fast(int n, goals *g)
{
    fr_params p = fr_params_default();
    p.n = n;
    p.interactions = 0;
    fr_sim *s = make(&p);
    const fr_view v = fr_sim_view(s);
    double *F = malloc(3 * (size_t)n * sizeof(double)), *S = calloc(9 * (size_t)n, sizeof(double));
    double *u = calloc(3 * (size_t)n, sizeof(double)), *G = calloc(9 * (size_t)n, sizeof(double));
    if (!F || !S || !u || !G) {
        fprintf(stderr, "ferrobench: out of memory\n");
        exit(1);
    }
    uint64_t st = 0x2545F4914F6CDD1DULL;
    for (int j = 0; j < n; j++) {
        double t[3];
        for (int k = 0; k < 3; k++) {
            F[3 * j + k] = urand(&st) - 0.5;
            t[k] = urand(&st) - 0.5;
        }
        double *m = S + 9 * (size_t)j; /* antisymmetric: rotlet T = 2 axial(S) = t */
        m[5] = 0.5 * t[0], m[7] = -0.5 * t[0];
        m[6] = 0.5 * t[1], m[2] = -0.5 * t[1];
        m[1] = 0.5 * t[2], m[3] = -0.5 * t[2];
    }
    char err[256];
    const double t0 = now();
    fr_stokes_plan *pl = fr_stokes_plan_create(n, v.X[0], v.X[1], v.X[2], 1e-3, err, sizeof err);
    if (!pl) {
        fprintf(stderr, "ferrobench: %s\n", err);
        exit(1);
    }
    g->fast_build = now() - t0;
    double best = 1e300, best_cpu = 1e300;
    for (int k = 0; k < 2; k++) {
        memset(u, 0, 3 * (size_t)n * sizeof(double));
        memset(G, 0, 9 * (size_t)n * sizeof(double));
        const double c1 = cpu(), t1 = now();
        fr_stokes_fast(pl, F, S, u, G);
        best = fmin(best, now() - t1);
        best_cpu = fmin(best_cpu, cpu() - c1);
    }
    g->fast_cpu = best_cpu;
    fr_stokes_plan_get_info(pl, &g->fast_info);
    double *W = calloc(9 * (size_t)n, sizeof(double));
    if (!W) {
        fprintf(stderr, "ferrobench: out of memory\n");
        exit(1);
    }
    g->rot_s = g->rot_cpu = 1e300;
    for (int k = 0; k < 2; k++) {
        memset(W, 0, 9 * (size_t)n * sizeof(double));
        const double c1 = cpu(), t1 = now();
        fr_stokes_fast_rotation(pl, F, S, W, NULL);
        g->rot_s = fmin(g->rot_s, now() - t1);
        g->rot_cpu = fmin(g->rot_cpu, cpu() - c1);
    }
    g->n3 = n;
    g->fast_s = best;
    /* direct sums at 200 targets (kernel of fr_stokes_direct, written out: u and G of the
     * Stokeslet and the rotlet T×d/(8π r³)) */
    double eu = 0.0, mu = 0.0, eg = 0.0, mg = 0.0, ew = 0.0, mw = 0.0;
#pragma omp parallel for reduction(max : eu, mu, eg, mg, ew, mw) schedule(dynamic, 4)
    for (int q = 0; q < 200; q++) {
        const int i = (int)((uint64_t)q * 2654435761ULL % (uint64_t)n);
        double a[12] = {0};
        for (int j = 0; j < n; j++) {
            if (j == i)
                continue;
            const double d[3] = {v.X[0][i] - v.X[0][j], v.X[1][i] - v.X[1][j], v.X[2][i] - v.X[2][j]};
            const double r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2], ir = 1.0 / sqrt(r2);
            const double ir3 = ir / r2, ir5 = ir3 / r2;
            const double *f = F + 3 * (size_t)j, *m = S + 9 * (size_t)j;
            const double T[3] = {m[5] - m[7], m[6] - m[2], m[1] - m[3]};
            const double dF = d[0] * f[0] + d[1] * f[1] + d[2] * f[2];
            const double c[3] = {T[1] * d[2] - T[2] * d[1], T[2] * d[0] - T[0] * d[2],
                                 T[0] * d[1] - T[1] * d[0]};
            const double Tx[3][3] = {{0, -T[2], T[1]}, {T[2], 0, -T[0]}, {-T[1], T[0], 0}};
            for (int k = 0; k < 3; k++) {
                a[k] += (f[k] * ir + (d[k] * dF + c[k]) * ir3) / (8.0 * M_PI);
                for (int l = 0; l < 3; l++) /* ∂_l u_k */
                    a[3 + 3 * k + l] += ((-f[k] * d[l] + d[k] * f[l] + (k == l ? dF : 0.0) +
                                          Tx[k][l]) * ir3 -
                                         3.0 * d[l] * (d[k] * dF + c[k]) * ir5) /
                                        (8.0 * M_PI);
            }
        }
        for (int k = 0; k < 3; k++) {
            eu = fmax(eu, fabs(u[3 * (size_t)i + k] - a[k]));
            mu = fmax(mu, fabs(a[k]));
        }
        for (int k = 0; k < 9; k++) {
            eg = fmax(eg, fabs(G[9 * (size_t)i + k] - a[3 + k]));
            const int tk = 3 * (k % 3) + k / 3; /* the transposed entry */
            const double w = 0.5 * (a[3 + k] - a[3 + tk]);
            ew = fmax(ew, fabs(W[9 * (size_t)i + k] - w));
            mw = fmax(mw, fabs(w));
            mg = fmax(mg, fabs(a[3 + k]));
        }
    }
    g->fast_err = fmax(eu / mu, eg / mg);
    g->rot_err = ew / mw;
    free(W);
    fr_stokes_plan_free(pl);
    free(F);
    free(S);
    free(u);
    free(G);
    fr_sim_free(s);
}

/* A full step with interactions (fast method) at n, as ferrosim runs it. */
static void goal_big(int n, goals *g)
{
    fr_params p = fr_params_default();
    p.n = n;
    p.stokes = FR_STOKES_FAST;
    fr_sim *s = make(&p);
    double c0 = cpu(), t0 = now();
    fr_sim_step(s);
    g->big_first = now() - t0;
    g->big_first_cpu = cpu() - c0;
    c0 = cpu();
    t0 = now();
    fr_sim_step(s);
    g->big_step = now() - t0;
    g->big_step_cpu = cpu() - c0;
    g->big_rss = peak_rss_mb();
    g->have_big = 1;
    g->nbig = n;
    fr_sim_free(s);
}

/* The table's rows, each group printed only when it was measured. */
static void print_rows(const goals *g)
{
    char l1[64], l2[64];
    snprintf(l1, sizeof l1, "1. series row at N=%d [s]", g->n1);
    snprintf(l2, sizeof l2, "2. jump+eff., row/step N=%d [p-steps/s]", g->n2);
    printf("%-44s %12.4f %12.5f %12.4f   serial sums (previous algorithm) %.4f s: %.0fx; "
           "cold (blocks afresh) %.4f s\n",
           l1, PREV_ROW_S, g->row_fused, 3e-3, g->row_serial, g->row_serial / g->row_fused,
           g->row_cold);
    printf("%-44s %12.3g %12.3g %12.3g   memory bound here %.3g (copy %.1f GB/s / %.0f B): "
           "%.0f%% of it; from CPU time %.3g; microscopic model alone (--no-effective) from "
           "CPU time %.3g\n",
           l2, PREV_JUMP_PSTEPS, g->psteps, 1e8, g->bound, g->bw / 1e9, STATE_BYTES,
           100.0 * g->psteps / g->bound, g->psteps_cpu, g->psteps_micro_cpu);
}

static void print_fast(const goals *g)
{
    const int nt = omp_get_max_threads();
    char l3[64];
    snprintf(l3, sizeof l3, "3a. fast update N=%d [s]", g->n3);
    printf("%-44s %12.3f %12.3f %12.3f   FMM3D %.1f s (recorded, not this run): %.1fx "
           "(target 25x); CPU/threads %.3f s: %.1fx; max error %.1e\n",
           l3, PREV_FAST_1E5_S, g->fast_s, FMM3D_1E5_S / 25.0, FMM3D_1E5_S,
           FMM3D_1E5_S / g->fast_s, g->fast_cpu / nt, FMM3D_1E5_S / (g->fast_cpu / nt),
           g->fast_err);
    printf("%-44s %12s %12.3f %12.3f   FMM3D (u and full gradients): %.1fx; CPU/threads "
           "%.3f s: %.1fx; max error of W %.1e\n",
           "3a'. per step: rotation W only [s]", "", g->rot_s, FMM3D_1E5_S / 25.0,
           FMM3D_1E5_S / g->rot_s, g->rot_cpu / nt, FMM3D_1E5_S / (g->rot_cpu / nt), g->rot_err);
    const fr_stokes_plan_info *fi = &g->fast_info;
    printf("    3a phases [s]: spread %.3f, FFT+kernel %.3f, interpolation %.3f, real space "
           "%.3f, other %.3f; grid %d^3, P %d, %.0f neighbours; plan %.2f s\n",
           fi->t_spread, fi->t_fft, fi->t_interp, fi->t_real, fi->t_other, fi->M[0], fi->P,
           fi->neighbours, g->fast_build);
}

static void print_big(const goals *g)
{
    const int nt = omp_get_max_threads();
    printf("%-44s %12.2f %12.2f %12.2f   CPU/threads %.2f s\n", "3b. step with interactions [s]",
           PREV_STEP_1E6_S, g->big_step, 1.0, g->big_step_cpu / nt);
    printf("%-44s %12.1f %12.1f %12.1f   (first step - second step); CPU/threads %.1f s\n",
           "3c. plan [s]", PREV_PLAN_1E6_S, g->big_first - g->big_step, 5.0,
           (g->big_first_cpu - g->big_step_cpu) / nt);
    printf("%-44s %12.0f %12.0f %12.0f\n", "3d. peak RSS of the process [MB]", PREV_RSS_1E6_MB,
           g->big_rss, 1500.0);
}

int bench_goals(long maxn, FILE *json)
{
    goals g;
    memset(&g, 0, sizeof g);
    const int nbig = maxn >= 1000000 ? 1000000 : (int)maxn;
    /* FERRO_BENCH_GOAL=1|2|3a|3b: one goal alone, for quick iteration (3b includes 3c, 3d);
     * the other rows are left out of the table (bench.json has zeros for them) */
    const char *only = getenv("FERRO_BENCH_GOAL");
    const int all = !only || !*only;
    const int want_big = all || !strcmp(only, "3b"), want_rows = all || !strcmp(only, "1") ||
                                                               !strcmp(only, "2"),
              want_fast = all || !strcmp(only, "3a");
    printf("\nIssue 12 goals (before = the previous round's figure; peers measured in this run)\n");
    fflush(stdout);
    if (nbig >= 100000 && want_big)
        goal_big(nbig, &g);
    if (want_rows) {
        goal_rows_and_jump(nbig, &g);
        g.bw = copy_bandwidth();
        g.bound = g.bw / STATE_BYTES;
    }
    if (want_fast)
        goal_fast(maxn >= 100000 ? 100000 : (int)maxn, &g);

    printf("%-44s %12s %12s %12s   %s\n", "goal (targets and before: at N=1e6, 1e5)", "before",
           "now", "target", "peer / ratio");
    if (want_rows)
        print_rows(&g);
    if (g.n3)
        print_fast(&g);
    if (g.have_big)
        print_big(&g);
    if (want_rows)
        printf("2: mean over 20 steps (best step: %.3g)\n", g.psteps_best);
    if (want_big && g.have_big)
        printf("3b-d: at N = %d\n", g.nbig);
    else if (want_big)
        printf("3b-d: not run (FERRO_BENCH_MAX_N < 1e5)\n");
    fflush(stdout);

    fprintf(json,
            "  \"goals\": {\"N_rows\": %d, \"row_s\": %.6g, \"row_cold_s\": %.6g, "
            "\"row_serial_peer_s\": %.6g, \"row_before_s\": %g, \"row_target_s\": 3e-3,\n"
            "    \"jump_particle_steps_per_s\": %.4g, \"jump_best_step_particle_steps_per_s\": %.4g, "
            "\"jump_before\": %g, \"jump_target\": 1e8, \"copy_bandwidth_Bps\": %.4g, "
            "\"jump_memory_bound\": %.4g, \"jump_from_cpu_time\": %.4g, "
            "\"jump_micro_only_from_cpu_time\": %.4g,\n"
            "    \"fast_N\": %d, \"fast_s\": %.6g, \"fast_cpu_per_thread_s\": %.6g, \"fast_plan_s\": %.4g, \"fast_max_error\": %.3g, "
            "\"rot_s\": %.6g, \"rot_cpu_per_thread_s\": %.6g, \"rot_max_error\": %.3g, "
            "\"fast_before_s\": %g, \"fmm3d_recorded_s\": %g, \"fmm3d_ratio\": %.4g, "
            "\"fmm3d_ratio_target\": 25,\n"
            "    \"big_run\": %s, \"big_N\": %d, \"big_step_s\": %.4g, \"big_step_cpu_per_thread_s\": %.4g, \"big_plan_s\": %.4g, \"big_plan_cpu_per_thread_s\": %.4g, \"big_peak_rss_MB\": %.1f, "
            "\"big_step_before_s\": %g, \"big_plan_before_s\": %g, \"big_rss_before_MB\": %g, "
            "\"big_targets\": {\"step_s\": 1, \"plan_s\": 5, \"rss_MB\": 1500}},\n",
            g.n1, g.row_fused, g.row_cold, g.row_serial, PREV_ROW_S, g.psteps, g.psteps_best,
            PREV_JUMP_PSTEPS, g.bw, g.bound, g.psteps_cpu, g.psteps_micro_cpu, g.n3, g.fast_s, g.fast_cpu / omp_get_max_threads(), g.fast_build, g.fast_err,
            g.rot_s, g.rot_cpu / omp_get_max_threads(), g.rot_err, PREV_FAST_1E5_S, FMM3D_1E5_S,
            g.fast_s > 0.0 ? FMM3D_1E5_S / g.fast_s : 0.0 /* not run: 0, not inf (no JSON) */, g.have_big ? "true" : "false",
            g.nbig, g.big_step, g.big_step_cpu / omp_get_max_threads(), g.big_first - g.big_step,
            (g.big_first_cpu - g.big_step_cpu) / omp_get_max_threads(), g.big_rss, PREV_STEP_1E6_S, PREV_PLAN_1E6_S,
            PREV_RSS_1E6_MB);
    return 0;
}

/* Direct O(N²) summation of the point-source flows (2.2) — the reference method.
 *
 * Sphere sources (S antisymmetric, the paper's case R = 0) take a structure-of-arrays path:
 * Stokeslet F plus rotlet T = 2 axial(S), vectorised across a block of targets so that each
 * target still sums its sources in index order — bit-identical to the scalar loop and for
 * any number of OpenMP threads. Sources with a symmetric moment part (stresslets) take the
 * general kernel of kernels.c. */
#include "stokes.h"
#include "simd.h"

#include "ferro/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLK 8

static const double INV8PI = 1.0 / (8.0 * M_PI);

/* u and G = ∇u at targets i0..i0+BLK−1 (clamped to n) from all sources; self excluded by
 * giving d = 0 a zero inverse distance. Accumulates in source order per target. */
FR_TARGET_CLONES
static void block_sphere(int n, int i0, const double *restrict x, const double *restrict y,
                         const double *restrict z, const double *restrict Fs,
                         const double *restrict Ts, double acc[12][BLK])
{
    double tx[BLK], ty[BLK], tz[BLK];
    for (int l = 0; l < BLK; l++) {
        const int i = i0 + l < n ? i0 + l : n - 1;
        tx[l] = x[i];
        ty[l] = y[i];
        tz[l] = z[i];
        for (int c = 0; c < 12; c++)
            acc[c][l] = 0.0;
    }
    for (int j = 0; j < n; j++) {
        const double xj = x[j], yj = y[j], zj = z[j];
        const double Fx = Fs[3 * j], Fy = Fs[3 * j + 1], Fz = Fs[3 * j + 2];
        const double Tx = Ts[3 * j], Ty = Ts[3 * j + 1], Tz = Ts[3 * j + 2];
#pragma omp simd
        for (int l = 0; l < BLK; l++) {
            const double dx = tx[l] - xj, dy = ty[l] - yj, dz = tz[l] - zj;
            const double r2 = dx * dx + dy * dy + dz * dz;
            const double ir = r2 > 0.0 ? 1.0 / sqrt(r2) : 0.0;
            const double ir2 = ir * ir, ir3 = ir2 * ir, ir5 = ir3 * ir2;
            const double dF = dx * Fx + dy * Fy + dz * Fz;
            const double cx = Ty * dz - Tz * dy, cy = Tz * dx - Tx * dz, cz = Tx * dy - Ty * dx;
            /* u = F/r + d (d·F)/r³ + T×d/r³ */
            acc[0][l] += Fx * ir + (dx * dF + cx) * ir3;
            acc[1][l] += Fy * ir + (dy * dF + cy) * ir3;
            acc[2][l] += Fz * ir + (dz * dF + cz) * ir3;
            /* G_im = (−F_i d_m + d_i F_m + δ_im d·F + ε_ijm T_j)/r³ − 3 d_m (d_i d·F + c_i)/r⁵ */
            const double ax = 3.0 * ir5 * (dx * dF + cx), ay = 3.0 * ir5 * (dy * dF + cy),
                         az = 3.0 * ir5 * (dz * dF + cz);
            acc[3][l] += dF * ir3 - ax * dx;
            acc[4][l] += (-Fx * dy + dx * Fy - Tz) * ir3 - ax * dy;
            acc[5][l] += (-Fx * dz + dx * Fz + Ty) * ir3 - ax * dz;
            acc[6][l] += (-Fy * dx + dy * Fx + Tz) * ir3 - ay * dx;
            acc[7][l] += dF * ir3 - ay * dy;
            acc[8][l] += (-Fy * dz + dy * Fz - Tx) * ir3 - ay * dz;
            acc[9][l] += (-Fz * dx + dz * Fx - Ty) * ir3 - az * dx;
            acc[10][l] += (-Fz * dy + dz * Fy + Tx) * ir3 - az * dy;
            acc[11][l] += dF * ir3 - az * dz;
        }
    }
}

static void direct_general(int n, const double *x, const double *y, const double *z,
                           const double *F, const double *S, double *u, double *G)
{
#pragma omp parallel for schedule(dynamic, 64)
    for (int i = 0; i < n; i++) {
        double ui[3] = {0.0, 0.0, 0.0}, Gi[9];
        memset(Gi, 0, sizeof Gi);
        for (int j = 0; j < n; j++) {
            if (j == i)
                continue;
            const double d[3] = {x[i] - x[j], y[i] - y[j], z[i] - z[j]};
            fr_point_source_add(d, F + 3 * j, S + 9 * j, u ? ui : NULL, G ? Gi : NULL);
        }
        if (u)
            for (int k = 0; k < 3; k++)
                u[3 * i + k] += ui[k];
        if (G)
            for (int k = 0; k < 9; k++)
                G[9 * i + k] += Gi[k];
    }
}

void fr_stokes_direct_general(int n, const double *x, const double *y, const double *z,
                              const double *F, const double *S, double *u, double *G)
{
    direct_general(n, x, y, z, F, S, u, G);
}

void fr_stokes_direct(int n, const double *x, const double *y, const double *z, const double *F,
                      const double *S, double *u, double *G)
{
    fr_stokes_direct_abortable(n, x, y, z, F, S, u, G, NULL);
}

/* Rotlet strengths T_j = 2 axial(S_j) of sphere sources, in *T (malloc'ed, caller frees).
 * Returns 0; 1 if some S_j has a symmetric part (stresslets: the general kernel is needed);
 * −1 out of memory. *T is NULL unless 0 is returned. */
static int rotlet_strengths(int n, const double *S, double **T)
{
    *T = NULL;
    double *t = malloc(sizeof(double) * 3 * (size_t)(n > 0 ? n : 1));
    if (!t)
        return -1;
    for (int j = 0; j < n; j++) {
        const double *s = S + 9 * j;
        if (s[1] + s[3] != 0.0 || s[2] + s[6] != 0.0 || s[5] + s[7] != 0.0 || s[0] != 0.0 ||
            s[4] != 0.0 || s[8] != 0.0) {
            free(t);
            return 1;
        }
        t[3 * j] = s[5] - s[7];
        t[3 * j + 1] = s[6] - s[2];
        t[3 * j + 2] = s[1] - s[3];
    }
    *T = t;
    return 0;
}

void fr_stokes_direct_abortable(int n, const double *x, const double *y, const double *z,
                                const double *F, const double *S, double *u, double *G,
                                const atomic_int *abort)
{
    /* any symmetric part means stresslets (or no memory for T): the general path */
    double *T;
    if (rotlet_strengths(n, S, &T) != 0) {
        direct_general(n, x, y, z, F, S, u, G);
        return;
    }
    const int nblk = (n + BLK - 1) / BLK;
#pragma omp parallel for schedule(dynamic, 4)
    for (int b = 0; b < nblk; b++) {
        if (abort && atomic_load_explicit(abort, memory_order_relaxed))
            continue;
        double acc[12][BLK];
        block_sphere(n, b * BLK, x, y, z, F, T, acc);
        for (int l = 0; l < BLK && b * BLK + l < n; l++) {
            const int i = b * BLK + l;
            if (u)
                for (int k = 0; k < 3; k++)
                    u[3 * i + k] += INV8PI * acc[k][l];
            if (G)
                for (int k = 0; k < 9; k++)
                    G[9 * i + k] += INV8PI * acc[3 + k][l];
        }
    }
    free(T);
}

/* Velocity only, at arbitrary targets, from sphere sources (Stokeslet F + rotlet T), each pair
 * multiplied by the C² cutoff ψ(|d|/δ) of kernels.c (ψ = 1 for |d| ≥ δ, so far from every
 * source this is the point-source sum). Vectorised over blocks of targets; deterministic. */
FR_TARGET_CLONES
static void block_targets_smoothed(int n, const double *restrict x, const double *restrict y,
                                   const double *restrict z, const double *restrict Fs,
                                   const double *restrict Ts, const double *restrict tx,
                                   const double *restrict ty, const double *restrict tz,
                                   double inv_delta, double acc[3][BLK])
{
    for (int c = 0; c < 3; c++)
        for (int l = 0; l < BLK; l++)
            acc[c][l] = 0.0;
    for (int j = 0; j < n; j++) {
        const double xj = x[j], yj = y[j], zj = z[j];
        const double Fx = Fs[3 * j], Fy = Fs[3 * j + 1], Fz = Fs[3 * j + 2];
        const double Tx = Ts[3 * j], Ty = Ts[3 * j + 1], Tz = Ts[3 * j + 2];
#pragma omp simd
        for (int l = 0; l < BLK; l++) {
            const double dx = tx[l] - xj, dy = ty[l] - yj, dz = tz[l] - zj;
            const double r2 = dx * dx + dy * dy + dz * dz;
            const double ir = r2 > 0.0 ? 1.0 / sqrt(r2) : 0.0;
            const double ir3 = ir * ir * ir;
            /* ψ(ρ) = ρ³(10 − 15ρ + 6ρ²) with ρ = min(r/δ, 1), written branch-free */
            const double rho = r2 * ir * inv_delta;
            const double rc = 0.5 * (rho + 1.0 - fabs(rho - 1.0));
            const double psi = rc * rc * rc * (10.0 + rc * (-15.0 + 6.0 * rc));
            const double dF = dx * Fx + dy * Fy + dz * Fz;
            acc[0][l] += psi * (Fx * ir + (dx * dF + Ty * dz - Tz * dy) * ir3);
            acc[1][l] += psi * (Fy * ir + (dy * dF + Tz * dx - Tx * dz) * ir3);
            acc[2][l] += psi * (Fz * ir + (dz * dF + Tx * dy - Ty * dx) * ir3);
        }
    }
}

int fr_stokes_grid_smoothed(int n, const double *x, const double *y, const double *z,
                            const double *F, const double *S, int ng, double lo, double hi,
                            double delta, double *u)
{
    double *T;
    const int rc = rotlet_strengths(n, S, &T);
    if (rc != 0)
        return rc; /* 1: stresslets, the caller uses the general kernel; −1: out of memory */
    const double h = (hi - lo) / (ng - 1), inv_delta = 1.0 / delta;
    const long npts = (long)ng * ng * ng, nblk = (npts + BLK - 1) / BLK;
#pragma omp parallel for schedule(dynamic, 8)
    for (long b = 0; b < nblk; b++) {
        double tx[BLK], ty[BLK], tz[BLK], acc[3][BLK];
        for (int l = 0; l < BLK; l++) {
            long g = b * BLK + l;
            if (g >= npts)
                g = npts - 1;
            tx[l] = lo + (g % ng) * h;
            ty[l] = lo + ((g / ng) % ng) * h;
            tz[l] = lo + (g / ((long)ng * ng)) * h;
        }
        block_targets_smoothed(n, x, y, z, F, T, tx, ty, tz, inv_delta, acc);
        for (int l = 0; l < BLK && b * BLK + l < npts; l++)
            for (int c = 0; c < 3; c++)
                u[3 * (b * BLK + l) + c] = INV8PI * acc[c][l];
    }
    free(T);
    return 0;
}

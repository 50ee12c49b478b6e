/* Direct O(N²) summation of the point-source flows (2.2) — the reference method.
 * Parallel over targets with OpenMP; each target sums its sources in index order, so the
 * result is bit-identical for any number of threads. */
#include "stokes.h"

#include "ferro/kernels.h"

#include <string.h>

void fr_stokes_direct(int n, const double *x, const double *y, const double *z, const double *F,
                      const double *S, double *u, double *G)
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

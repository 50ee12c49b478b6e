/* omp.h for the browser build: WebAssembly has no OpenMP runtime. The core's parallel loops run
 * on one thread (their pragmas are ignored; -fopenmp-simd keeps the simd ones), and the few
 * runtime calls get their one-thread answers. */
#ifndef FERRO_WEB_OMP_H
#define FERRO_WEB_OMP_H

#include <time.h>

static inline int omp_get_max_threads(void) { return 1; }
static inline int omp_get_num_threads(void) { return 1; }
static inline int omp_get_thread_num(void) { return 0; }
static inline void omp_set_num_threads(int n) { (void)n; }
static inline double omp_get_wtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif

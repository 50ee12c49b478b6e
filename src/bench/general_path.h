/* ferrobench: the general per-particle path, scalar against chunked (general_path.c). */
#ifndef FERRO_BENCH_GENERAL_PATH_H
#define FERRO_BENCH_GENERAL_PATH_H

#include <stdio.h>

/* Times fr_particle_advance against fr_block_advance in the same run, prints a line and
 * writes its JSON member ("general_path": {...},) into json. 0 on success. */
int bench_general_path(long maxn, FILE *json);

#endif

/* ferrobench: the performance goals of issue 12 (goals.c). */
#ifndef FERRO_BENCH_GOALS_H
#define FERRO_BENCH_GOALS_H

#include <stdio.h>

/* Measures and prints the goals table; writes its JSON members into json. 0 on success. */
int bench_goals(long maxn, FILE *json);

#endif

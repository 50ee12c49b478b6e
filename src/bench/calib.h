/* ferrobench: the fast Stokes method's calibration set (calib.c). */
#ifndef FERRO_BENCH_CALIB_H
#define FERRO_BENCH_CALIB_H

/* Prints the errors against the direct sum over the calibration set (cases up to maxn
 * particles) and the worst; 0 on success. */
int bench_calib(long maxn);

#endif

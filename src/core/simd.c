/* The CPU level the explicit SIMD kernels run at (simd.h): one test of the CPU for the whole
 * library, and one environment variable to cap it. */
#include "simd.h"

#include <stdlib.h>
#include <string.h>

int fr_cpu_level(void)
{
    int level = FR_ISA_SCALAR;
#ifdef FR_X86_SIMD
    __builtin_cpu_init();
#ifdef __clang__ /* clang 14 knows the features, not the level names */
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        level = FR_ISA_AVX512;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("bmi2"))
        level = FR_ISA_AVX2;
#else
    if (__builtin_cpu_supports("x86-64-v4"))
        level = FR_ISA_AVX512;
    else if (__builtin_cpu_supports("x86-64-v3"))
        level = FR_ISA_AVX2;
#endif
#endif
    const char *cap = getenv("FERRO_ISA");
    if (!cap)
        cap = getenv("FERRO_DIRECT_ISA"); /* its older name */
    if (cap && strcmp(cap, "scalar") == 0)
        level = FR_ISA_SCALAR;
    else if (cap && strcmp(cap, "avx2") == 0 && level > FR_ISA_AVX2)
        level = FR_ISA_AVX2;
    return level;
}

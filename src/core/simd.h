/* Internal: the one place that decides which CPU features the core uses. Two mechanisms, one
 * criterion (the x86-64 micro-architecture levels: v4 = AVX-512, v3 = AVX2 + FMA, else the
 * portable SSE2 code):
 *  - FR_TARGET_CLONES: compiler multiversioning of plain loops (gcc's target_clones; the ifunc
 *    resolver picks the v4/v3/default clone at load time). Off under the sanitizers: the ifunc
 *    resolvers run before ASan/TSan are initialised and would crash at load.
 *  - fr_cpu_level(): for hand-written kernels (intrinsics in stokes.c, the stokes_fast
 *    kernels compiled for v4/v3), tested at run time; FERRO_ISA=scalar|avx2 caps it (tests and
 *    benchmarks compare the paths; FERRO_DIRECT_ISA is the older name). */
#ifndef FERRO_SIMD_H
#define FERRO_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                          \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define FR_TARGET_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FR_TARGET_CLONES
#endif

/* Explicit AVX2 / AVX-512 kernels, chosen at run time with __builtin_cpu_supports (no ifunc:
 * fine under the sanitizers too). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FR_X86_SIMD 1
#define FR_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define FR_TARGET_AVX512 __attribute__((target("avx512f")))
#include <immintrin.h>
#endif

enum { FR_ISA_SCALAR = 0, FR_ISA_AVX2 = 1, FR_ISA_AVX512 = 2 };
int fr_cpu_level(void);

#endif

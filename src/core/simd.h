/* Internal: function multiversioning for the hot loops — an x86-64-v4 (AVX-512) and an
 * x86-64-v3 (AVX2 + FMA) clone picked at load time where the CPU has them, the portable SSE2
 * version otherwise. Off under the sanitizers: the ifunc resolvers run before ASan/TSan are
 * initialised and would crash at load. */
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

#endif

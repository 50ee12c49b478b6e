/* Large arrays on huge pages where available (bigmem.h). */
#define _DEFAULT_SOURCE /* madvise's MADV_HUGEPAGE (a Linux extension) */
#include "bigmem.h"

#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_ALIGN ((size_t)2 << 20)

void *fr_big_alloc(size_t bytes)
{
    if (bytes < HUGE_ALIGN) /* small: the ordinary heap (64-byte aligned for the FFT rows) */
        return aligned_alloc(64, (bytes + 63) / 64 * 64);
    void *p = NULL;
    const size_t len = (bytes + HUGE_ALIGN - 1) / HUGE_ALIGN * HUGE_ALIGN;
    if (posix_memalign(&p, HUGE_ALIGN, len))
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE); /* a hint: refused (no THP) changes nothing */
#endif
    return p;
}

void fr_big_free(void *p) { free(p); }

/* Large arrays (the fast method's grids, per-particle work at N = 1e6): 2 MB aligned and, where
 * the kernel offers transparent huge pages on request (madvise mode, Debian's default), backed
 * by them. A 783 MB grid then takes ~400 page faults on first touch instead of ~200,000 (in a
 * virtual machine each costs microseconds: ~3 s of the first step at N = 1e6) and the FFT's
 * strided passes miss the TLB far less. Values are unaffected. */
#ifndef FERRO_BIGMEM_H
#define FERRO_BIGMEM_H

#include <stddef.h>

/* NULL when out of memory; free with fr_big_free. Contents uninitialised. */
void *fr_big_alloc(size_t bytes);
void fr_big_free(void *p);

#endif

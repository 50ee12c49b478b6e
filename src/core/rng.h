/* Internal: the particles' random numbers, counter-based.
 *
 * Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
 * SC'11): a keyed bijection of 128-bit counters, passing BigCrush for any key and counter
 * pattern. Particle i's stream is the sequence of blocks Philox_key(j, i) for j = 0, 1, 2, ...,
 * the key made from the run's seed. A particle's whole random state is its block counter j
 * (8 bytes, against GSL taus2's 24 plus a gsl_rng), so the static sampler's candidate rounds
 * draw for a whole compacted chunk in one vector loop without chasing per-particle generator
 * pointers, and the draws do not depend on the thread count. One block gives two uniforms of
 * 53 bits (words 0, 1 and 2, 3). The general path sees the same stream through a gsl_rng
 * (fr_rng_open / fr_rng_close) that hands out the block's 32-bit words in order and starts the
 * next block when they run out; a block opened and not used up is not reused. */
#ifndef FERRO_RNG_H
#define FERRO_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

typedef struct fr_rng_key {
    uint32_t k0, k1;
} fr_rng_key;

fr_rng_key fr_rng_key_from_seed(uint64_t seed);

/* Philox4x32-10 of the counter c under the key k, in place. */
static inline void fr_philox4x32(uint32_t c[4], fr_rng_key k)
{
    uint32_t c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], k0 = k.k0, k1 = k.k1;
    for (int r = 0; r < 10; r++) {
        const uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u; /* Weyl key schedule */
        k1 += 0xBB67AE85u;
    }
    c[0] = c0;
    c[1] = c1;
    c[2] = c2;
    c[3] = c3;
}

/* Block ctr of stream `stream`: the counter (ctr_lo, ctr_hi, stream, 0). */
static inline void fr_philox(fr_rng_key k, uint64_t ctr, uint32_t stream, uint32_t w[4])
{
    w[0] = (uint32_t)ctr;
    w[1] = (uint32_t)(ctr >> 32);
    w[2] = stream;
    w[3] = 0;
    fr_philox4x32(w, k);
}

/* A uniform in [0, 1) with 53 random bits from two words (lo, hi). */
static inline double fr_rng_u53(uint32_t lo, uint32_t hi)
{
    return (double)((((uint64_t)hi << 32) | lo) >> 11) * 0x1p-53;
}

/* One particle's stream as a gsl_rng for the general path (GSL's samplers on top). */
typedef struct fr_rng_stream {
    fr_rng_key key;
    uint32_t stream;
    int nbuf;        /* words of buf not handed out yet */
    uint64_t ctr;    /* the next block */
    uint32_t buf[4]; /* the current block */
} fr_rng_stream;

extern const gsl_rng_type *fr_rng_philox;

/* r uses st, positioned at block ctr of the stream; fr_rng_close gives the counter to store
 * (the block after the last one opened). */
void fr_rng_open(gsl_rng *r, fr_rng_stream *st, fr_rng_key k, uint32_t stream, uint64_t ctr);
static inline uint64_t fr_rng_close(const fr_rng_stream *st) { return st->ctr; }

#endif

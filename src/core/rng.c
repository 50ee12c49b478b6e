/* The particles' counter-based random streams (rng.h) and their gsl_rng face. */
#include "rng.h"

static uint64_t splitmix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

fr_rng_key fr_rng_key_from_seed(uint64_t seed)
{
    /* a different mix than the placement's master seed (sim.c), so the two never coincide */
    const uint64_t h = splitmix64(seed ^ 0x5851f42d4c957f2dULL);
    return (fr_rng_key){(uint32_t)h, (uint32_t)(h >> 32)};
}

static uint32_t next_word(fr_rng_stream *st)
{
    if (st->nbuf == 0) {
        fr_philox(st->key, st->ctr++, st->stream, st->buf);
        st->nbuf = 4;
    }
    return st->buf[4 - st->nbuf--];
}

static unsigned long get(void *state) { return next_word(state); }

/* 53 bits, as the static sampler's draws (fr_rng_u53 of words 0, 1 and 2, 3 of a block) */
static double get_double(void *state)
{
    fr_rng_stream *st = state;
    if (st->nbuf % 2) /* an odd word left by get(): not paired across blocks */
        st->nbuf--;
    const uint32_t lo = next_word(st);
    return fr_rng_u53(lo, next_word(st));
}

/* gsl_rng_set(r, s): stream s from block 0 under the key of seed 0 (not used by the core) */
static void set(void *state, unsigned long s)
{
    fr_rng_stream *st = state;
    st->key = fr_rng_key_from_seed(0);
    st->stream = (uint32_t)s;
    st->ctr = 0;
    st->nbuf = 0;
}

static const gsl_rng_type philox_type = {"ferro-philox4x32-10", 0xffffffffUL, 0,
                                         sizeof(fr_rng_stream), set, get, get_double};
const gsl_rng_type *fr_rng_philox = &philox_type;

void fr_rng_open(gsl_rng *r, fr_rng_stream *st, fr_rng_key k, uint32_t stream, uint64_t ctr)
{
    *st = (fr_rng_stream){.key = k, .stream = stream, .ctr = ctr, .nbuf = 0};
    r->type = fr_rng_philox;
    r->state = st;
}

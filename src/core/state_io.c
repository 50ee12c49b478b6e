/* Save and load the whole simulation state, so a lecture can start from a prepared moment.
 *
 * Binary, native byte order: magic "FRSTATE1", format version, sizeof(fr_params), the
 * parameters, t, the per-particle arrays (centres, orientations, effective orientations,
 * spins, integrated hazards and thresholds, flip counts, RNG states), then an FNV-1a 64
 * checksum of everything before it. A file that is truncated, altered or from another build
 * is refused with a message; the caller's state is untouched. Continuing a loaded run gives
 * the same result as never having stopped (tested). */
#include "ferro/sim.h"

#include "sim_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "FRSTATE1"
#define VERSION 1u

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

typedef struct {
    unsigned char *buf;
    size_t len, cap;
    int fail;
} wbuf;

static void put(wbuf *w, const void *p, size_t n)
{
    if (w->fail)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n)
            cap *= 2;
        unsigned char *nb = realloc(w->buf, cap);
        if (!nb) {
            w->fail = 1;
            return;
        }
        w->buf = nb;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static size_t state_layout(const fr_sim *s, void *ptrs[16], size_t sizes[16])
{
    const size_t n = (size_t)s->n;
    size_t k = 0;
    for (int c = 0; c < 3; c++) {
        ptrs[k] = s->X[c], sizes[k++] = n * sizeof(double);
        ptrs[k] = s->xi[c], sizes[k++] = n * sizeof(double);
        ptrs[k] = s->xis[c], sizes[k++] = n * sizeof(double);
    }
    ptrs[k] = s->sigma, sizes[k++] = n * sizeof(int8_t);
    ptrs[k] = s->hazard, sizes[k++] = n * sizeof(double);
    ptrs[k] = s->thresh, sizes[k++] = n * sizeof(double);
    ptrs[k] = s->flips, sizes[k++] = n * sizeof(long long);
    ptrs[k] = s->rng_state, sizes[k++] = n * gsl_rng_taus2->size;
    return k;
}

int fr_sim_save(const fr_sim *s, const char *path, char *err, size_t errlen)
{
    wbuf w = {0};
    const uint32_t ver = VERSION, psize = sizeof(fr_params);
    put(&w, MAGIC, 8);
    put(&w, &ver, sizeof ver);
    put(&w, &psize, sizeof psize);
    put(&w, &s->p, sizeof s->p);
    put(&w, &s->t, sizeof s->t);
    void *ptrs[16];
    size_t sizes[16];
    const size_t k = state_layout(s, ptrs, sizes);
    for (size_t i = 0; i < k; i++)
        put(&w, ptrs[i], sizes[i]);
    if (w.fail) {
        free(w.buf);
        snprintf(err, errlen, "state file '%s': out of memory", path);
        return -1;
    }
    const uint64_t h = fnv1a(w.buf, w.len);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(w.buf, 1, w.len, f) == w.len && fwrite(&h, sizeof h, 1, f) == 1;
    if (f && fclose(f) != 0)
        ok = 0;
    free(w.buf);
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "state file '%s': cannot write: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

int fr_sim_load(const char *path, fr_sim **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "state file '%s': cannot read: %s", path, strerror(errno));
        return -1;
    }
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                snprintf(err, errlen, "state file '%s': out of memory", path);
                return -1;
            }
            buf = nb;
        }
        const size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    fclose(f);
    const size_t head = 8 + 4 + 4 + sizeof(fr_params) + sizeof(double);
    int rc = -1;
    fr_params p;
    uint32_t ver, psize;
    if (len < 8 || memcmp(buf, MAGIC, 8) != 0) {
        snprintf(err, errlen, "state file '%s': not a ferroviz state file", path);
        goto done;
    }
    if (len < head + sizeof(uint64_t)) {
        snprintf(err, errlen, "state file '%s': damaged (truncated)", path);
        goto done;
    }
    memcpy(&ver, buf + 8, 4);
    memcpy(&psize, buf + 12, 4);
    if (ver != VERSION || psize != sizeof(fr_params)) {
        snprintf(err, errlen, "state file '%s': written by another version of ferroviz", path);
        goto done;
    }
    uint64_t h;
    memcpy(&h, buf + len - sizeof h, sizeof h);
    if (fnv1a(buf, len - sizeof h) != h) {
        snprintf(err, errlen, "state file '%s': damaged (checksum mismatch)", path);
        goto done;
    }
    memcpy(&p, buf + 16, sizeof p);
    char verr[200];
    if (fr_params_validate(&p, verr, sizeof verr)) {
        snprintf(err, errlen, "state file '%s': invalid parameters: %s", path, verr);
        goto done;
    }
    const size_t per = 9 * sizeof(double) + sizeof(int8_t) + 2 * sizeof(double) + sizeof(long long) +
                       gsl_rng_taus2->size;
    if (len - sizeof h - head != per * (size_t)p.n) {
        snprintf(err, errlen, "state file '%s': damaged (size does not match n = %d)", path, p.n);
        goto done;
    }
    fr_sim *s = NULL;
    if (fr_sim_create(&p, &s, err, errlen))
        goto done;
    memcpy(&s->t, buf + 16 + sizeof p, sizeof s->t);
    void *ptrs[16];
    size_t sizes[16];
    const size_t k = state_layout(s, ptrs, sizes);
    size_t off = head;
    for (size_t i = 0; i < k; i++) {
        memcpy(ptrs[i], buf + off, sizes[i]);
        off += sizes[i];
    }
    s->hazard_zero = 0; /* as saved: the static-field sampler reads them once */
    *out = s;
    rc = 0;
done:
    free(buf);
    return rc;
}

/* Save and load the whole simulation state, so a lecture can start from a prepared moment.
 *
 * Binary, native byte order: magic "FRSTATE1", format version, sizeof(fr_params), the
 * parameters, the clocks' form and key, t, the per-particle arrays (centres, orientations,
 * effective orientations, spins, the clocks — integrated hazards and thresholds, or rate bounds
 * and candidate times — flip counts, random-stream counters), then an FNV-1a 64
 * checksum of everything before it. A file that is truncated, altered or from another build
 * is refused with a message; the caller's state is untouched. The checksum only guards
 * against accidents: the contents are then validated like any other input (parameters,
 * t, unit orientations, spins ±1, finite hazards, counters that cannot overflow), since a
 * state edited and re-checksummed could otherwise fill the run with NaN (every random-stream
 * counter is a valid state). Continuing a loaded run
 * gives the same result as never having stopped (tested). */
#include "ferro/sim.h"

#include "sim_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "FRSTATE1"
#define VERSION 3u /* 2: counter-based random streams (rng.h) instead of GSL taus2 states;
                    * 3: the clocks' form and key before t (the static sampler's candidate form) */

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
#define FNV_START 0xcbf29ce484222325ULL

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
    ptrs[k] = s->rng_ctr, sizes[k++] = n * sizeof(uint64_t);
    return k;
}

/* Header: magic, version, sizeof(fr_params), the parameters, the clocks' form (int32 0 = hazard,
 * 1 = candidate; int32 0) and key (sim_internal.h), t. */
#define CLOCK_BYTES (4 + 4 + sizeof(fr_clock_key))
#define HEAD (8 + 4 + 4 + sizeof(fr_params) + CLOCK_BYTES + sizeof(double))

static int put(FILE *f, uint64_t *h, const void *p, size_t n)
{
    *h = fnv1a(*h, p, n);
    return fwrite(p, 1, n, f) == n ? 0 : -1;
}

int fr_sim_write(const fr_sim *s, FILE *f, char *err, size_t errlen)
{
    const uint32_t ver = VERSION, psize = sizeof(fr_params);
    uint64_t h = FNV_START;
    int bad = put(f, &h, MAGIC, 8) | put(f, &h, &ver, sizeof ver) |
              put(f, &h, &psize, sizeof psize) | put(f, &h, &s->p, sizeof s->p);
    const int32_t form[2] = {s->clock_cand, 0};
    bad |= put(f, &h, form, sizeof form) | put(f, &h, &s->clock_key, sizeof s->clock_key) |
           put(f, &h, &s->t, sizeof s->t);
    void *ptrs[16];
    size_t sizes[16];
    const size_t k = state_layout(s, ptrs, sizes);
    for (size_t i = 0; i < k && !bad; i++)
        bad |= put(f, &h, ptrs[i], sizes[i]);
    if (bad || fwrite(&h, sizeof h, 1, f) != 1) {
        snprintf(err, errlen, "cannot write: %s", strerror(errno ? errno : EIO));
        return -1;
    }
    return 0;
}

int fr_sim_save(const fr_sim *s, const char *path, char *err, size_t errlen)
{
    /* the temporary in the same directory with a short name (a long path stays legal) */
    char tmp[4200];
    const char *slash = strrchr(path, '/');
    snprintf(tmp, sizeof tmp, "%.*s.ferro-state.%ld.tmp", slash ? (int)(slash - path + 1) : 0, path,
             (long)getpid());
    FILE *f = fopen(tmp, "wb");
    char sub[256] = "";
    int ok = f && fr_sim_write(s, f, sub, sizeof sub) == 0;
    const int e = errno;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "state file '%s': cannot write: %s", path, strerror(ok ? errno : e));
        remove(tmp);
        return -1;
    }
    return 0;
}

/* ---- loading ---- */

static int fail(char *err, size_t errlen, const char *path, const char *what, long long i)
{
    if (i >= 0)
        snprintf(err, errlen, "state file '%s': invalid contents: particle %lld: %s", path, i, what);
    else
        snprintf(err, errlen, "state file '%s': invalid contents: %s", path, what);
    return -1;
}

static double norm_xyz(double *const v[3], size_t i)
{
    return sqrt(v[0][i] * v[0][i] + v[1][i] * v[1][i] + v[2][i] * v[2][i]);
}

/* Contents a run can reach: validated like any other input. */
static int check_contents(const fr_sim *s, const char *path, char *err, size_t errlen)
{
    if (!(isfinite(s->t) && s->t >= 0.0))
        return fail(err, errlen, path, "time t is not a finite number >= 0", -1);
    const size_t n = (size_t)s->n;
    long long total = 0;
    for (size_t i = 0; i < n; i++) {
        const double xn = norm_xyz((double *const *)s->X, i), en = norm_xyz((double *const *)s->xi, i);
        const double sn = norm_xyz((double *const *)s->xis, i);
        if (!(xn <= 1.0 + 1e-9))
            return fail(err, errlen, path, "centre not in the unit ball", (long long)i);
        if (!(fabs(en - 1.0) <= 1e-9))
            return fail(err, errlen, path, "orientation |xi| != 1", (long long)i);
        if (s->p.no_effective ? !isnan(sn) : !(fabs(sn - 1.0) <= 1e-9))
            return fail(err, errlen, path,
                        s->p.no_effective ? "xi* not NaN with no_effective" : "|xi*| != 1",
                        (long long)i);
        if (s->sigma[i] != 1 && s->sigma[i] != -1)
            return fail(err, errlen, path, "spin not +1 or -1", (long long)i);
        if (!(isfinite(s->hazard[i]) && s->hazard[i] >= 0.0 && isfinite(s->thresh[i]) &&
              s->thresh[i] >= 0.0))
            return fail(err, errlen, path, "hazard or threshold not a finite number >= 0",
                        (long long)i);
        /* candidate form: a rate bound > 0 and a candidate not in the past */
        if (s->clock_cand && !(s->hazard[i] > 0.0 && s->thresh[i] >= s->t))
            return fail(err, errlen, path, "rate bound or candidate time out of range",
                        (long long)i);
        /* the total must not overflow in fr_sim_diag: each below 2^62 / n */
        if (s->flips[i] < 0 || s->flips[i] > (1LL << 62) / (long long)n - total / (long long)n)
            return fail(err, errlen, path, "flip counter out of range", (long long)i);
        total += s->flips[i];
        /* any block counter of the counter-based streams is a valid state (rng.h) */
    }
    return 0;
}

/* Exactly len bytes, or -1. */
static int read_all(FILE *f, void *buf, size_t len) { return fread(buf, 1, len, f) == len ? 0 : -1; }

/* The len bytes of the particle arrays into a new buffer (*out), growing it with the data read,
 * so a short file claiming a large n costs no more memory than its size: 0, -1 if the file
 * ends early, -2 if out of memory. */
static int read_body(FILE *f, size_t len, unsigned char **out)
{
    size_t cap = len < (1u << 20) ? len : (1u << 20), got = 0;
    unsigned char *buf = malloc(cap ? cap : 1);
    *out = NULL;
    if (!buf)
        return -2;
    while (got < len) {
        if (got == cap) {
            cap = cap > len / 2 ? len : 2 * cap;
            unsigned char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                return -2;
            }
            buf = nb;
        }
        const size_t r = fread(buf + got, 1, cap - got, f);
        got += r;
        if (r == 0)
            break;
    }
    *out = buf;
    return got == len ? 0 : -1;
}

/* The header: magic, version, parameters (validated) and t. */
static int read_head(FILE *f, const char *path, unsigned char *head, fr_params *p, char *err,
                     size_t errlen)
{
    uint32_t ver, psize;
    const size_t got = fread(head, 1, HEAD, f);
    if (got < 8 || memcmp(head, MAGIC, 8) != 0) {
        snprintf(err, errlen, "state file '%s': not a ferroviz state file", path);
        return -1;
    }
    if (got < 16) {
        snprintf(err, errlen, "state file '%s': damaged (truncated)", path);
        return -1;
    }
    memcpy(&ver, head + 8, 4);
    memcpy(&psize, head + 12, 4);
    if (ver != VERSION || psize != sizeof(fr_params)) {
        snprintf(err, errlen, "state file '%s': written by another version of ferroviz", path);
        return -1;
    }
    if (got < HEAD) {
        snprintf(err, errlen, "state file '%s': damaged (truncated)", path);
        return -1;
    }
    memcpy(p, head + 16, sizeof *p);
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
    unsigned char head[HEAD], *body = NULL;
    fr_params p;
    fr_sim *s = NULL;
    int rc = -1;
    if (read_head(f, path, head, &p, err, errlen))
        goto done;
    /* n is known before the arrays are read: the file's size follows, so a huge or endless
     * input (/dev/zero) is read no further than a state of that n */
    if (p.n < 1 || p.n > 10000000) {
        snprintf(err, errlen, "state file '%s': damaged (n = %d)", path, p.n);
        goto done;
    }
    const size_t per = 9 * sizeof(double) + sizeof(int8_t) + 2 * sizeof(double) +
                       sizeof(long long) + sizeof(uint64_t);
    const size_t blen = per * (size_t)p.n;
    uint64_t stored;
    const int brc = read_body(f, blen, &body);
    if (brc == -2) {
        snprintf(err, errlen, "state file '%s': out of memory for n = %d", path, p.n);
        goto done;
    }
    if (brc || read_all(f, &stored, sizeof stored) || fgetc(f) != EOF) {
        snprintf(err, errlen, "state file '%s': damaged (size does not match n = %d)", path, p.n);
        goto done;
    }
    if (fnv1a(fnv1a(FNV_START, head, HEAD), body, blen) != stored) {
        snprintf(err, errlen, "state file '%s': damaged (checksum mismatch)", path);
        goto done;
    }
    char verr[300];
    if (fr_params_validate(&p, verr, sizeof verr)) {
        snprintf(err, errlen, "state file '%s': invalid parameters: %s", path, verr);
        goto done;
    }
    if (fr_sim_create(&p, &s, err, errlen))
        goto done;
    int32_t form[2];
    memcpy(form, head + 16 + sizeof p, sizeof form);
    memcpy(&s->clock_key, head + 16 + sizeof p + sizeof form, sizeof s->clock_key);
    memcpy(&s->t, head + 16 + sizeof p + CLOCK_BYTES, sizeof s->t);
    if (form[0] != 0 && form[0] != 1) {
        snprintf(err, errlen, "state file '%s': invalid contents: clock form %d", path, (int)form[0]);
        goto done;
    }
    s->clock_cand = form[0];
    void *ptrs[16];
    size_t sizes[16], off = 0;
    const size_t k = state_layout(s, ptrs, sizes);
    for (size_t i = 0; i < k; i++, off += sizes[i - 1])
        memcpy(ptrs[i], body + off, sizes[i]);
    if (check_contents(s, path, err, errlen))
        goto done;
    s->hazard_zero = 0; /* as saved: the static-field sampler reads them once */
    /* the candidate form as saved (a loaded run continues as if never stopped) */
    *out = s;
    s = NULL;
    rc = 0;
done:
    free(body);
    fr_sim_free(s);
    fclose(f);
    return rc;
}

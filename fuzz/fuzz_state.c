/* libFuzzer target: the state loader (fr_sim_load). With the first byte odd the input's last 8
 * bytes are replaced by the right FNV-1a checksum, so the fuzzer reaches the validation of the
 * contents (an edited, re-checksummed state) and not only the checksum. A state that loads must
 * be sane (|xi| = 1, sigma = +-1) and survive a short advance with finite results. */
#include "ferro/sim.h"
#include "fuzz_util.h"

#include <math.h>

static void fix_checksum(uint8_t *b, size_t n)
{
    if (n < 8)
        return;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n - 8; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    memcpy(b + n - 8, &h, 8);
}

static void check_sane(const fr_sim *s)
{
    const fr_view v = fr_sim_view(s);
    for (int i = 0; i < v.n; i++) {
        const double e = sqrt(v.xi[0][i] * v.xi[0][i] + v.xi[1][i] * v.xi[1][i] +
                              v.xi[2][i] * v.xi[2][i]);
        if (!(fabs(e - 1.0) <= 1e-9) || (v.sigma[i] != 1 && v.sigma[i] != -1))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t *b = malloc(size);
    if (!b)
        return 0;
    memcpy(b, data + 1, size - 1);
    if (data[0] & 1)
        fix_checksum(b, size - 1);
    char path[128], err[1024];
    fuzz_to_file(b, size - 1, "state", path, sizeof path);
    free(b);
    fr_sim *s = NULL;
    if (fr_sim_load(path, &s, err, sizeof err)) {
        fuzz_check_message(err);
    } else {
        check_sane(s);
        const double dt = fr_sim_params(s)->dt;
        if (fr_sim_params(s)->n <= 64 && fr_sim_advance(s, dt < 1e-3 ? dt : 1e-3) == 0)
            check_sane(s);
        fr_diag d;
        fr_sim_diag(s, &d);
        if (!isfinite(d.t) || !isfinite(d.m[0]))
            abort();
        fr_sim_free(s);
    }
    unlink(path);
    return 0;
}

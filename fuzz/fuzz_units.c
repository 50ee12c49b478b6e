/* libFuzzer target: units files (fr_units_read, fr_units_derive, fr_units_format). */
#include "ferro/units.h"
#include "fuzz_util.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128], err[1024], out[4096];
    fuzz_to_file(data, size, "units", path, sizeof path);
    fr_units_si u = fr_units_default();
    fr_units_derived d;
    if (fr_units_read(path, &u, err, sizeof err) || fr_units_derive(&u, &d, err, sizeof err)) {
        fuzz_check_message(err);
    } else {
        if (!(d.T > 0.0) || isnan(d.b) || isnan(d.eps))
            abort();
        fr_units_format(&u, &d, out, sizeof out);
    }
    unlink(path);
    return 0;
}

/* libFuzzer target: scenario files (fr_options_parse with --scenario). Contract: 0 and valid
 * options, or -1 and one line; never a hang on any bytes (CR, NUL, long lines). */
#include "ferro/scenario.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128], err[1024];
    fuzz_to_file(data, size, "scenario", path, sizeof path);
    char *argv[] = {"ferrosim", "--scenario", path, NULL};
    fr_options o;
    fr_options_default(&o);
    if (fr_options_parse(&o, 3, argv, NULL, NULL, NULL, err, sizeof err))
        fuzz_check_message(err);
    else if (fr_params_validate(&o.p, err, sizeof err))
        abort();
    unlink(path);
    return 0;
}

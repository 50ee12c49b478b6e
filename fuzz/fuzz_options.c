/* libFuzzer target: the command line (fr_options_parse). The input is a list of arguments
 * separated by NUL bytes. Contract: 0 and options that pass validation, or -1 and one line. */
#include "ferro/scenario.h"
#include "fuzz_util.h"

static int on_extra(void *ctx, const char *name, const char *value, char *err, size_t errlen)
{
    (void)ctx;
    if (value && !strcmp(name, "size") && !strchr(value, 'x')) {
        snprintf(err, errlen, "expected WxH, got '%s'", value);
        return -1;
    }
    return 0;
}

static int contains(const uint8_t *data, size_t size, const char *word)
{
    const size_t k = strlen(word);
    for (size_t i = 0; i + k <= size; i++)
        if (!memcmp(data + i, word, k))
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* --scenario would read any file named (/dev/stdin blocks): fuzz_scenario covers files */
    if (contains(data, size, "scenario"))
        return 0;
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[66] = {"ferrosim"};
    int argc = 1;
    for (char *p = buf; p <= buf + size && argc < 65; p += strlen(p) + 1)
        argv[argc++] = p;
    static const fr_extra_option extra[] = {{"size", 1}, {"fullscreen", 0}, {NULL, 0}};
    fr_options o;
    fr_options_default(&o);
    char err[1024];
    if (fr_options_parse(&o, argc, argv, extra, on_extra, NULL, err, sizeof err)) {
        fuzz_check_message(err);
    } else if (!o.help && !o.version) {
        if (fr_params_validate(&o.p, err, sizeof err) || fr_options_check(&o, err, sizeof err))
            abort(); /* accepted options must be valid */
        /* the lookup by name agrees with the command line */
        fr_params q = fr_params_default();
        fr_params_set(&q, "n", "5", err, sizeof err);
        if (q.n != 5)
            abort();
    }
    free(buf);
    return 0;
}

/* Shared by the fuzz targets: the input as a file (the parsers under test read paths), and the
 * contract every refusal must keep: a non-empty message on one line. */
#ifndef FERRO_FUZZ_UTIL_H
#define FERRO_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write data to a per-process temporary; its path in path. Aborts if that fails (the fuzzer
 * would learn nothing). */
static inline void fuzz_to_file(const uint8_t *data, size_t size, const char *what, char *path,
                                size_t len)
{
    snprintf(path, len, "/tmp/ferro-fuzz-%s.%ld", what, (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
}

/* A refusal: one line, not empty. */
static inline void fuzz_check_message(const char *err)
{
    if (!err[0] || strchr(err, '\n') || strchr(err, '\r'))
        abort();
}

#endif

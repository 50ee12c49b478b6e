/* Internal: small text files of "key = value" lines (scenario and units files), read whole
 * with the same rules for both: a directory, a file larger than FR_TEXT_MAX bytes (so that
 * /dev/zero ends) or a NUL byte is refused with one line; lines end in \n, \r\n or \r. */
#ifndef FERRO_TEXTFILE_H
#define FERRO_TEXTFILE_H

#include <stddef.h>

#define FR_TEXT_MAX (1 << 20)

typedef struct fr_text {
    char *buf;    /* the whole file, NUL-terminated; lines are cut in place */
    size_t len, pos;
    int lineno;   /* of the line last returned */
} fr_text;

/* 0, or -1 with "<what> '<path>': <problem>" in err. */
int fr_text_read(const char *path, const char *what, fr_text *t, char *err, size_t errlen);

/* The next line without its end, or NULL after the last. */
char *fr_text_next(fr_text *t);

void fr_text_free(fr_text *t);

/* Replace control characters (a newline in a value, ...) by '?' so a message stays one line. */
void fr_text_one_line(char *s);

#endif

/* Small text files read whole, with one set of rules for scenario and units files. */
#include "textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int fr_text_read(const char *path, const char *what, fr_text *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    FILE *fp = fopen(path, "rb");
    struct stat sb;
    int e = errno;
    if (fp && fstat(fileno(fp), &sb) == 0 && S_ISDIR(sb.st_mode))
        e = EISDIR;
    else if (fp)
        e = 0;
    if (e) {
        if (fp)
            fclose(fp);
        snprintf(err, errlen, "%s '%s': cannot read: %s", what, path, strerror(e));
        fr_text_one_line(err);
        return -1;
    }
    /* read at most FR_TEXT_MAX + 1 bytes (one more than allowed tells a file too large), in a
     * buffer that grows with the data */
    size_t cap = 4096;
    for (t->buf = malloc(cap + 1); t->buf; ) {
        const size_t r = fread(t->buf + t->len, 1, cap - t->len, fp);
        t->len += r;
        if (r == 0 || t->len > FR_TEXT_MAX)
            break;
        if (t->len == cap) {
            cap *= 2;
            char *nb = realloc(t->buf, cap + 1);
            if (!nb) {
                free(t->buf);
                t->buf = NULL;
            } else {
                t->buf = nb;
            }
        }
    }
    if (!t->buf) {
        fclose(fp);
        snprintf(err, errlen, "%s '%s': out of memory", what, path);
        fr_text_one_line(err);
        return -1;
    }
    const int bad = ferror(fp);
    e = errno;
    fclose(fp);
    const char *problem = bad ? strerror(e ? e : EIO) : NULL;
    char nul[64];
    const char *z = memchr(t->buf, '\0', t->len);
    if (!problem && t->len > FR_TEXT_MAX)
        problem = "larger than 1 MiB (not a scenario or units file?)";
    if (!problem && z) {
        int line = 1;
        for (const char *c = t->buf; c < z; c++)
            line += *c == '\n' || (*c == '\r' && c[1] != '\n');
        snprintf(nul, sizeof nul, "line %d contains a NUL byte", line);
        problem = nul;
    }
    if (problem) {
        snprintf(err, errlen, "%s '%s': %s%s", what, path, bad ? "cannot read: " : "", problem);
        fr_text_one_line(err);
        fr_text_free(t);
        return -1;
    }
    t->buf[t->len] = '\0';
    return 0;
}

char *fr_text_next(fr_text *t)
{
    if (!t->buf || t->pos >= t->len)
        return NULL;
    char *s = t->buf + t->pos;
    const size_t n = strcspn(s, "\r\n");
    size_t next = t->pos + n;
    if (next < t->len) /* "\r\n" is one line end, a lone "\r" or "\n" another */
        next += (s[n] == '\r' && s[n + 1] == '\n') ? 2 : 1;
    s[n] = '\0';
    t->pos = next;
    t->lineno++;
    return s;
}

void fr_text_free(fr_text *t)
{
    free(t->buf);
    memset(t, 0, sizeof *t);
}

void fr_text_one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

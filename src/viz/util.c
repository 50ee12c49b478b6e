/* util.c — see util.h. */
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef FERRO_SOURCE_DIR
#define FERRO_SOURCE_DIR "."
#endif

static double seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double viz_now(void) { return seconds(CLOCK_MONOTONIC); }

double viz_cpu_now(void) { return seconds(CLOCK_PROCESS_CPUTIME_ID); }

static int exists(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return 0;
    fclose(f);
    return 1;
}

int viz_find_file(const char *env_dir, const char *sub, const char *name, char *out, size_t cap,
                  char *tried, size_t tried_cap)
{
    char dirs[6][PATH_MAX];
    int nd = 0;
    const char *env = env_dir ? getenv(env_dir) : NULL;
    if (env && *env) {
        snprintf(dirs[nd++], PATH_MAX, "%s", env);
    } else {
        snprintf(dirs[nd++], PATH_MAX, "%s/%s", FERRO_SOURCE_DIR, sub);
        snprintf(dirs[nd++], PATH_MAX, "%s", sub);
        char exe[PATH_MAX];
        const ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (k > 0) {
            exe[k] = '\0';
            char *slash = strrchr(exe, '/');
            if (slash) {
                *slash = '\0';
                snprintf(dirs[nd++], PATH_MAX, "%.*s/%s", PATH_MAX / 2, exe, sub);
                snprintf(dirs[nd++], PATH_MAX, "%.*s/../%s", PATH_MAX / 2, exe, sub);
                snprintf(dirs[nd++], PATH_MAX, "%.*s/../share/ferroviz/%s", PATH_MAX / 2, exe,
                         sub);
            }
        }
    }
    if (tried && tried_cap)
        tried[0] = '\0';
    for (int i = 0; i < nd; i++) {
        char p[PATH_MAX + 256];
        snprintf(p, sizeof p, "%.*s/%.200s", PATH_MAX, dirs[i], name);
        if (exists(p)) {
            if (strlen(p) >= cap)
                continue;
            strcpy(out, p);
            return 0;
        }
        if (tried && tried_cap) {
            const size_t used = strlen(tried);
            snprintf(tried + used, tried_cap - used, "%s%s", used ? ", " : "", p);
        }
    }
    return -1;
}

char *viz_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = b;
            cap *= 2;
        }
        const size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0)
            break;
    }
    const int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* util.h — small helpers of ferroviz: finding run-time files, reading them, clocks. */
#ifndef VIZ_UTIL_H
#define VIZ_UTIL_H

#include <stddef.h>

/* The clocks: monotonic wall time and the process's CPU time (all threads), in seconds. (The
 * command queue's timed wait takes an absolute CLOCK_MONOTONIC timespec of its own.) */
double viz_now(void);
double viz_cpu_now(void);

/* Finds sub/name in the run-time search path: $env_dir if that variable is set (only there),
 * else FERRO_SOURCE_DIR/sub, ./sub, <exe dir>/sub, <exe dir>/../sub, <exe dir>/../share/ferroviz/sub.
 * Returns 0 and the path in out, or -1 with the list of places tried in tried. */
int viz_find_file(const char *env_dir, const char *sub, const char *name, char *out, size_t cap,
                  char *tried, size_t tried_cap);

/* Reads a whole file (NUL-terminated); NULL with errno set on failure. */
char *viz_read_file(const char *path, size_t *len);

#endif

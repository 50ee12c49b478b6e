/* util.h — small helpers of ferroviz: finding run-time files, reading them, clocks. */
#ifndef VIZ_UTIL_H
#define VIZ_UTIL_H

#include <stddef.h>

double viz_now(void); /* monotonic seconds */

/* Finds sub/name in the run-time search path: $env_dir if that variable is set (only there),
 * else FERRO_SOURCE_DIR/sub, ./sub, <exe dir>/sub, <exe dir>/../sub, <exe dir>/../share/ferroviz/sub.
 * Returns 0 and the path in out, or -1 with the list of places tried in tried. */
int viz_find_file(const char *env_dir, const char *sub, const char *name, char *out, size_t cap,
                  char *tried, size_t tried_cap);

/* Reads a whole file (NUL-terminated); NULL with errno set on failure. */
char *viz_read_file(const char *path, size_t *len);

#endif

/* Internal: ranges of scalar options as data, so that one table both checks them
 * (fr_params_validate, the run options of scenario.c) and prints them (--help). */
#ifndef FERRO_PARAM_LIMITS_H
#define FERRO_PARAM_LIMITS_H

#include "ferro/params.h"

#include <stddef.h>

/* At most this many RK4 substeps per particle and coupling step for the log-rate of the flip
 * hazard (substep_count, dynamics_pt.h); fr_params_validate refuses fields that would need more. */
#define FR_MAX_SUBSTEPS 1000

enum {
    FR_LO_OPEN = 1,      /* (lo, ... instead of [lo, ... */
    FR_HI_OPEN = 2,      /* ..., hi) instead of ..., hi] */
    FR_ZERO_DEFAULT = 4, /* 0 is also accepted: it means the default */
};

typedef struct fr_limit {
    const char *option; /* the option it is reported under ("phi", "rotating", ...) */
    const char *what;   /* the number's name in messages: "value", "omega", ... */
    size_t off;         /* offset of the number in the checked struct */
    char type;          /* 'i' int, 'd' double */
    double lo, hi;      /* hi may be INFINITY; a double must be finite in any case */
    unsigned flags;
    long guard;         /* offset of an int that must be nonzero for the check to apply, or -1 */
} fr_limit;

/* Check the n limits against the struct at base: 0, or -1 with *key = the option and a
 * message without the option name ("value 0.5 out of range (0, 0.3]"). */
int fr_limits_check(const fr_limit *l, size_t n, const void *base, const char **key, char *err,
                    size_t errlen);

/* "(0, 0.3]", "[1, 10000000]", or with with_zero "0 or [0.1, 10]" where 0 means the default. */
void fr_limit_format(const fr_limit *l, int with_zero, char *buf, size_t len);

/* The limits of fr_params (params.c). */
const fr_limit *fr_params_limits(size_t *n);

/* fr_params_validate with the option to blame: 0, or -1 with *key and a message without it. */
int fr_params_check(const fr_params *p, const char **key, char *err, size_t errlen);

#endif

/* study_spec.c — the study's options: --ensemble K, --vary NAME=V1,V2,..., --progress
 * (study.h), parsed through the front end's extra-option callback of fr_options_parse. */
#include "study.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENSEMBLE 1000000
#define MAX_VALUES 10000

int study_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static const fr_extra_option EXTRA[] = {
    {"ensemble", 1}, {"vary", 1}, {"progress", 0}, {NULL, 0}};

const fr_extra_option *study_extra_options(void)
{
    return EXTRA;
}

static const char USAGE[] =
    "Studies (see README, \"Studies and clusters\"):\n"
    "  --ensemble K          K independent runs (member k: seed + k*0x9E3779B97F4A7C15);\n"
    "                        --out holds their mean and its standard error <name>_se\n"
    "  --vary NAME=V1,V2,... one run (or ensemble) per value of the numeric option NAME;\n"
    "                        twice for a grid; leading column(s) NAME in --out\n"
    "  --progress            progress bar over the whole study even when stderr is not a\n"
    "                        terminal (default: only on a terminal)\n"
    "  Without --out the table goes to stdout. ferrosim-mpi (when built): the same, spread\n"
    "  over the ranks of mpirun/srun; rank 0 writes; the bytes do not depend on the ranks.\n";

const char *study_usage(void)
{
    return USAGE;
}

uint64_t study_member_seed(uint64_t seed, long k)
{
    return seed + (uint64_t)k * 0x9E3779B97F4A7C15ULL;
}


/* A finite number and nothing else (the option's own parser checks its range later). */
static int is_number(const char *s)
{
    char *end;
    errno = 0;
    const double v = strtod(s, &end);
    return end != s && *end == '\0' && isfinite(v) && s[0] != ' ' && s[0] != '\t';
}

/* An option --vary can take: in the option table, with a value named by one upper-case word
 * ("N", "EPS", "T"; not "FILE", "DIR", "HX,HY,HZ" or "random|aligned": the table's own
 * convention for a single number), and not --threads (the study decides how runs use the
 * threads). The values themselves are then set with the table's setter (fr_options_set). */
static int numeric_option(const char *name)
{
    fr_option_info info;
    for (size_t i = 0; fr_options_info(i, &info) == 0; i++) {
        if (strcmp(info.name, name))
            continue;
        if (!info.arg || !strcmp(info.arg, "FILE") || !strcmp(info.arg, "DIR") ||
            !strcmp(name, "threads"))
            return 0;
        for (const char *c = info.arg; *c; c++)
            if (!(*c >= 'A' && *c <= 'Z') && !(*c >= '0' && *c <= '9'))
                return 0;
        return 1;
    }
    return 0;
}

static int known_option(const char *name)
{
    fr_option_info info;
    for (size_t i = 0; fr_options_info(i, &info) == 0; i++)
        if (!strcmp(info.name, name))
            return 1;
    return 0;
}

static int parse_vary(study_spec *sp, const char *value, char *err, size_t errlen)
{
    const char *eq = strchr(value, '=');
    if (!eq || eq == value)
        return study_fail(err, errlen, "expected NAME=V1,V2,..., got '%s'", value);
    const size_t len = (size_t)(eq - value);
    study_axis ax = {.nval = 0};
    if (len >= sizeof ax.name)
        return study_fail(err, errlen, "option name too long in '%s'", value);
    memcpy(ax.name, value, len);
    ax.name[len] = '\0';
    if (!known_option(ax.name))
        return study_fail(err, errlen, "unknown option '%s'", ax.name);
    if (!numeric_option(ax.name))
        return study_fail(err, errlen, "'%s' is not a numeric option that can be varied", ax.name);
    for (int a = 0; sp && a < sp->naxes; a++)
        if (!strcmp(sp->axis[a].name, ax.name))
            return study_fail(err, errlen, "'%s' given twice", ax.name);
    if (sp && sp->naxes == STUDY_MAX_AXES)
        return study_fail(err, errlen, "at most two --vary (a grid), got a third: '%s'", value);
    /* split the list: every value non-empty and a number */
    const char *p = eq + 1;
    int rc = 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        const size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char buf[128];
        if (n == 0 || n >= sizeof buf) {
            rc = study_fail(err, errlen, n ? "a value too long in '%s'" : "empty value in '%s'", value);
            break;
        }
        memcpy(buf, p, n);
        buf[n] = '\0';
        if (!is_number(buf)) {
            rc = study_fail(err, errlen, "not a number '%s' in '%s'", buf, value);
            break;
        }
        if (ax.nval == MAX_VALUES) {
            rc = study_fail(err, errlen, "more than 10000 values in '%s'", ax.name);
            break;
        }
        char **grown = realloc(ax.val, (size_t)(ax.nval + 1) * sizeof *grown);
        char *copy = strdup(buf);
        if (!grown || !copy) {
            free(copy);
            if (grown)
                ax.val = grown;
            rc = study_fail(err, errlen, "out of memory");
            break;
        }
        ax.val = grown;
        ax.val[ax.nval++] = copy;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (rc || !sp) {
        for (int i = 0; i < ax.nval; i++)
            free(ax.val[i]);
        free(ax.val);
        return rc;
    }
    sp->axis[sp->naxes++] = ax;
    return 0;
}

int study_option(void *ctx, const char *name, const char *value, char *err, size_t errlen)
{
    study_spec *sp = ctx;
    if (!strcmp(name, "progress")) {
        if (sp)
            sp->progress = 1;
        return 0;
    }
    if (!strcmp(name, "vary"))
        return parse_vary(sp, value, err, errlen);
    /* ensemble */
    char *end;
    errno = 0;
    const long k = strtol(value, &end, 10);
    if (end == value || *end != '\0' || value[0] == ' ' || value[0] == '+')
        return study_fail(err, errlen, "not an integer '%s'", value);
    if (errno == ERANGE || k < 1 || k > MAX_ENSEMBLE)
        return study_fail(err, errlen, "value %s out of range [1, 1000000]", value);
    if (sp)
        sp->ensemble = (int)k;
    return 0;
}

void study_spec_free(study_spec *sp)
{
    for (int a = 0; a < sp->naxes; a++) {
        for (int i = 0; i < sp->axis[a].nval; i++)
            free(sp->axis[a].val[i]);
        free(sp->axis[a].val);
    }
    sp->naxes = 0;
}


/* Output formats by extension (formats.h). */
#include "formats.h"

#include "csv_out.h"
#include "vtk_out.h"

#include <string.h>
#include <strings.h>

typedef int (*particles_writer)(FILE *, const particles *);
typedef int (*field_writer)(FILE *, const field *);

typedef struct format {
    const char *option; /* "--out", ... */
    const char *ext;    /* ".csv", ... */
    particles_writer particles;
    field_writer field;
} format;

static const format FORMATS[] = {
    {"--out", ".csv", NULL, NULL}, /* the series: written row by row in ferrosim.c */
    {"--particles-out", ".csv", csv_particles, NULL},
    {"--particles-out", ".vtp", vtk_particles_vtp, NULL},
    {"--field-out", ".csv", NULL, csv_field},
    {"--field-out", ".vtk", NULL, vtk_field_legacy},
    {"--field-out", ".vti", NULL, vtk_field_vti},
};
#define N_FORMATS (sizeof FORMATS / sizeof FORMATS[0])

static int has_ext(const char *path, const char *ext)
{
    const size_t n = strlen(path), k = strlen(ext);
    return n > k && !strcasecmp(path + n - k, ext);
}

static const format *find(const char *option, const char *path)
{
    for (size_t i = 0; i < N_FORMATS; i++)
        if (!strcmp(FORMATS[i].option, option) && has_ext(path, FORMATS[i].ext))
            return &FORMATS[i];
    return NULL;
}

/* "--field-out 'f.dat': unknown extension (use .csv, .vtk or .vti)" */
static int unknown(const char *option, const char *path, char *err, size_t errlen)
{
    size_t len = (size_t)snprintf(err, errlen, "%s '%s': unknown extension (use", option, path);
    int k = 0, total = 0;
    for (size_t i = 0; i < N_FORMATS; i++)
        total += !strcmp(FORMATS[i].option, option);
    for (size_t i = 0; i < N_FORMATS && len < errlen; i++) {
        if (strcmp(FORMATS[i].option, option))
            continue;
        k++;
        const char *sep = k == 1 ? " " : k == total ? " or " : ", ";
        len += (size_t)snprintf(err + len, errlen - len, "%s%s", sep, FORMATS[i].ext);
    }
    if (len < errlen)
        snprintf(err + len, errlen - len, ")");
    return -1;
}

int formats_check(const fr_options *o, char *err, size_t errlen)
{
    const struct {
        const char *option, *path;
    } outs[] = {{"--out", o->out}, {"--particles-out", o->particles_out},
                {"--field-out", o->field_out}};
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++)
        if (outs[i].path[0] && !find(outs[i].option, outs[i].path))
            return unknown(outs[i].option, outs[i].path, err, errlen);
    return 0;
}

int write_particles(FILE *fp, const char *path, fr_sim *s)
{
    particles p = {0};
    if (particles_gather(&p, s))
        return -1;
    const int rc = find("--particles-out", path)->particles(fp, &p);
    particles_free(&p);
    return rc;
}

int write_field(FILE *fp, const char *path, fr_sim *s, int grid)
{
    field f = {0};
    if (field_gather(&f, s, grid))
        return -1;
    const int rc = find("--field-out", path)->field(fp, &f);
    field_free(&f);
    return rc;
}

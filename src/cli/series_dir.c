/* The --series-out directory (series_dir.h). */
#include "series_dir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int series_dir_open(series_dir *d, const char *dir, int grid, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->dir = dir;
    d->grid = grid;
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) {
            snprintf(err, errlen, "--series-out '%s': not a directory", dir);
            return -1;
        }
        return 0;
    }
    if (mkdir(dir, 0777)) {
        snprintf(err, errlen, "--series-out '%s': cannot create: %s", dir, strerror(errno));
        return -1;
    }
    d->created = 1;
    return 0;
}

/* DIR/name through DIR/name.tmp.PID. 0, or -1 with a message. */
static int write_file(const series_dir *d, const char *name, int (*fn)(FILE *, const void *),
                      const void *data, char *err, size_t errlen)
{
    char path[2200], tmp[2300];
    snprintf(path, sizeof path, "%s/%s", d->dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "wx");
    if (!fp) {
        snprintf(err, errlen, "--series-out '%s': cannot open: %s", path, strerror(errno));
        return -1;
    }
    const int oom = fn(fp, data);
    const int bad = ferror(fp), e = errno;
    if (fclose(fp) || bad || oom || rename(tmp, path)) {
        snprintf(err, errlen, "--series-out '%s': %s", path,
                 oom ? "out of memory" : strerror(bad ? (e ? e : EIO) : errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

static int put_particles(FILE *fp, const void *p)
{
    return vtk_particles_vtp(fp, p);
}

static int put_field(FILE *fp, const void *f)
{
    return vtk_field_vti(fp, f);
}

static int put_pvd(FILE *fp, const void *d)
{
    const series_dir *sd = d;
    vtk_pvd(fp, sd->entries, sd->count);
    return 0;
}

static int add_entry(series_dir *d, double t, int part, const char *file)
{
    if (d->count == d->cap) {
        const size_t cap = d->cap ? 2 * d->cap : 64;
        pvd_entry *e = realloc(d->entries, cap * sizeof *e);
        if (!e)
            return -1;
        d->entries = e;
        d->cap = cap;
    }
    pvd_entry *e = &d->entries[d->count++];
    e->t = t;
    e->part = part;
    snprintf(e->file, sizeof e->file, "%s", file);
    return 0;
}

int series_dir_row(series_dir *d, fr_sim *s, char *err, size_t errlen)
{
    const size_t row = d->count / 2;
    char pname[64], fname[64];
    snprintf(pname, sizeof pname, "particles_%06zu.vtp", row);
    snprintf(fname, sizeof fname, "field_%06zu.vti", row);
    particles p = {0};
    field f = {0};
    int rc = -1;
    if (particles_gather(&p, s) || field_gather(&f, s, d->grid)) {
        snprintf(err, errlen, "--series-out: out of memory");
        goto done;
    }
    if (write_file(d, pname, put_particles, &p, err, errlen))
        goto done;
    if (add_entry(d, p.v.t, 0, pname)) {
        snprintf(err, errlen, "--series-out: out of memory");
        goto done;
    }
    if (write_file(d, fname, put_field, &f, err, errlen))
        goto done;
    if (add_entry(d, f.t, 1, fname)) {
        snprintf(err, errlen, "--series-out: out of memory");
        goto done;
    }
    rc = 0;
done:
    particles_free(&p);
    field_free(&f);
    return rc;
}

int series_dir_commit(series_dir *d, char *err, size_t errlen)
{
    return write_file(d, "series.pvd", put_pvd, d, err, errlen);
}

void series_dir_abandon(series_dir *d)
{
    char path[2200];
    for (size_t i = 0; i < d->count; i++) {
        snprintf(path, sizeof path, "%s/%s", d->dir, d->entries[i].file);
        remove(path);
    }
    if (d->count) { /* a series.pvd from an earlier run would name files no longer there */
        snprintf(path, sizeof path, "%s/series.pvd", d->dir);
        remove(path);
    }
    if (d->created)
        rmdir(d->dir);
    series_dir_free(d);
}

void series_dir_free(series_dir *d)
{
    free(d->entries);
    d->entries = NULL;
    d->count = d->cap = 0;
}

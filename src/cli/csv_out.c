/* CSV writers (csv_out.h). */
#include "csv_out.h"

#include "ferro/flat.h"

#include <string.h>

/* %.12g, with ".0" added when that reads as an integer ("0", "-3", "1e+20" stays). */
static void put_float(FILE *fp, double x)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.12g", x);
    fputs(buf, fp);
    if (!strpbrk(buf, ".eEnN")) /* nan and inf contain an n */
        fputs(".0", fp);
}

void csv_float(FILE *fp, double x)
{
    put_float(fp, x);
}

static void put_floats(FILE *fp, const double *x, int k, const char *sep)
{
    for (int i = 0; i < k; i++) {
        if (i)
            fputs(sep, fp);
        put_float(fp, x[i]);
    }
}

void csv_series_header(FILE *fp)
{
    fprintf(fp, "%s\n", fr_series_columns());
}

void csv_series_row(FILE *fp, const fr_sim *s)
{
    double row[FR_SERIES_NCOLS];
    fr_series_row(s, row);
    for (int c = 0; c < FR_SERIES_NCOLS; c++) {
        if (c)
            fputc(',', fp);
        if (c == FR_SERIES_FLIPS)
            fprintf(fp, "%lld", (long long)row[c]);
        else
            put_float(fp, row[c]);
    }
    fputc('\n', fp);
}

int csv_particles(FILE *fp, const particles *p)
{
    const fr_view *v = &p->v;
    fputs("x,y,z,xi_x,xi_y,xi_z,sigma,ux,uy,uz,omega_x,omega_y,omega_z,xis_x,xis_y,xis_z\n", fp);
    for (int i = 0; i < v->n; i++) {
        const double X[3] = {v->X[0][i], v->X[1][i], v->X[2][i]};
        const double xi[3] = {v->xi[0][i], v->xi[1][i], v->xi[2][i]};
        const double xis[3] = {v->xis[0][i], v->xis[1][i], v->xis[2][i]};
        put_floats(fp, X, 3, ",");
        fputc(',', fp);
        put_floats(fp, xi, 3, ",");
        fprintf(fp, ",%d,", (int)v->sigma[i]);
        put_floats(fp, p->u + 3 * i, 3, ",");
        fputc(',', fp);
        put_floats(fp, p->omega + 3 * i, 3, ",");
        fputc(',', fp);
        put_floats(fp, xis, 3, ",");
        fputc('\n', fp);
    }
    return 0;
}

int csv_field(FILE *fp, const field *f)
{
    const size_t n = (size_t)f->n, npts = n * n * n;
    fputs("# delta=", fp);
    put_float(fp, f->delta);
    fputs("\nx,y,z,ux,uy,uz\n", fp);
    for (size_t g = 0; g < npts; g++) { /* the core's order: x fastest */
        const double x[3] = {f->lo + (double)(g % n) * f->h, f->lo + (double)(g / n % n) * f->h,
                             f->lo + (double)(g / (n * n)) * f->h};
        put_floats(fp, x, 3, ",");
        fputc(',', fp);
        put_floats(fp, f->u + 3 * g, 3, ",");
        fputc('\n', fp);
    }
    return 0;
}

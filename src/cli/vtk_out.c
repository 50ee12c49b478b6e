/* VTK writers (vtk_out.h). The XML files put every array in one raw appended block: the
 * header lists each array with its offset into the block, then "_" and per array a UInt64
 * byte count followed by the bytes. */
#include "vtk_out.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct vtk_array {
    const char *section; /* "PointData", "Points", "Verts", "FieldData" */
    const char *name;    /* NULL for the points */
    const char *type;    /* VTK type name */
    int ncomp;
    size_t ntuples;
    const void *data;
    size_t bytes;
} vtk_array;

static const char *byte_order(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first ? "LittleEndian" : "BigEndian";
}

static void header(FILE *fp, const char *type)
{
    fprintf(fp,
            "<?xml version=\"1.0\"?>\n<VTKFile type=\"%s\" version=\"1.0\" byte_order=\"%s\" "
            "header_type=\"UInt64\">\n",
            type, byte_order());
}

/* The DataArray lines of one section, with their offsets into the appended block. */
static void section(FILE *fp, const char *sec, const char *attrs, const vtk_array *a, size_t na,
                    const char *indent)
{
    uint64_t offset = 0;
    int open = 0;
    for (size_t i = 0; i < na; offset += sizeof(uint64_t) + a[i].bytes, i++) {
        if (strcmp(a[i].section, sec))
            continue;
        if (!open++)
            fprintf(fp, "%s<%s%s>\n", indent, sec, attrs);
        fprintf(fp, "%s  <DataArray type=\"%s\"", indent, a[i].type);
        if (a[i].name)
            fprintf(fp, " Name=\"%s\"", a[i].name);
        if (!strcmp(sec, "FieldData"))
            fprintf(fp, " NumberOfTuples=\"%zu\"", a[i].ntuples);
        fprintf(fp, " NumberOfComponents=\"%d\" format=\"appended\" offset=\"%llu\"/>\n",
                a[i].ncomp, (unsigned long long)offset);
    }
    if (open)
        fprintf(fp, "%s</%s>\n", indent, sec);
}

static void appended(FILE *fp, const vtk_array *a, size_t na)
{
    fputs("  <AppendedData encoding=\"raw\">\n   _", fp);
    for (size_t i = 0; i < na; i++) {
        const uint64_t nb = a[i].bytes;
        fwrite(&nb, sizeof nb, 1, fp);
        fwrite(a[i].data, 1, a[i].bytes, fp);
    }
    fputs("\n  </AppendedData>\n</VTKFile>\n", fp);
}

/* SoA components -> interleaved x0 y0 z0 x1 ... */
static void interleave(const double *const c[3], int n, double *out)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            out[3 * i + k] = c[k][i];
}

int vtk_particles_vtp(FILE *fp, const particles *p)
{
    const int n = p->v.n;
    const size_t un = (size_t)n;
    double *pts = malloc(3 * un * sizeof *pts + 1), *xi = malloc(3 * un * sizeof *xi + 1),
           *xis = malloc(3 * un * sizeof *xis + 1);
    int32_t *sigma = malloc(un * sizeof *sigma + 1);
    int64_t *conn = malloc(un * sizeof *conn + 1), *offs = malloc(un * sizeof *offs + 1),
            *flips = malloc(un * sizeof *flips + 1);
    int rc = -1;
    if (!pts || !xi || !xis || !sigma || !conn || !offs || !flips)
        goto done;
    interleave(p->v.X, n, pts);
    interleave(p->v.xi, n, xi);
    interleave(p->v.xis, n, xis);
    for (int i = 0; i < n; i++) {
        sigma[i] = p->v.sigma[i];
        conn[i] = i;
        offs[i] = i + 1;
        flips[i] = p->flips[i];
    }
    const size_t d3 = 3 * un * sizeof(double);
    const vtk_array a[] = {
        {"FieldData", "TimeValue", "Float64", 1, 1, &p->v.t, sizeof(double)},
        {"PointData", "xi", "Float64", 3, un, xi, d3},
        {"PointData", "xi_star", "Float64", 3, un, xis, d3},
        {"PointData", "u", "Float64", 3, un, p->u, d3},
        {"PointData", "omega", "Float64", 3, un, p->omega, d3},
        {"PointData", "sigma", "Int32", 1, un, sigma, un * sizeof *sigma},
        {"PointData", "m0", "Float64", 1, un, p->m0, un * sizeof(double)},
        {"PointData", "flips", "Int64", 1, un, flips, un * sizeof *flips},
        {"Points", NULL, "Float64", 3, un, pts, d3},
        {"Verts", "connectivity", "Int64", 1, un, conn, un * sizeof *conn},
        {"Verts", "offsets", "Int64", 1, un, offs, un * sizeof *offs},
    };
    const size_t na = sizeof a / sizeof a[0];
    header(fp, "PolyData");
    fputs("  <PolyData>\n", fp);
    section(fp, "FieldData", "", a, na, "    ");
    fprintf(fp,
            "    <Piece NumberOfPoints=\"%d\" NumberOfVerts=\"%d\" NumberOfLines=\"0\" "
            "NumberOfStrips=\"0\" NumberOfPolys=\"0\">\n",
            n, n);
    section(fp, "PointData", " Scalars=\"sigma\" Vectors=\"xi\"", a, na, "      ");
    section(fp, "Points", "", a, na, "      ");
    section(fp, "Verts", "", a, na, "      ");
    fputs("    </Piece>\n  </PolyData>\n", fp);
    appended(fp, a, na);
    rc = 0;
done:
    free(pts);
    free(xi);
    free(xis);
    free(sigma);
    free(conn);
    free(offs);
    free(flips);
    return rc;
}

int vtk_field_vti(FILE *fp, const field *f)
{
    const size_t npts = (size_t)f->n * f->n * f->n;
    const vtk_array a[] = {
        {"FieldData", "TimeValue", "Float64", 1, 1, &f->t, sizeof(double)},
        {"FieldData", "delta", "Float64", 1, 1, &f->delta, sizeof(double)},
        {"PointData", "velocity", "Float64", 3, npts, f->u, 3 * npts * sizeof(double)},
    };
    const size_t na = sizeof a / sizeof a[0];
    const int m = f->n - 1;
    header(fp, "ImageData");
    /* %.17g: the grid's origin and spacing exactly */
    fprintf(fp,
            "  <ImageData WholeExtent=\"0 %d 0 %d 0 %d\" Origin=\"%.17g %.17g %.17g\" "
            "Spacing=\"%.17g %.17g %.17g\">\n",
            m, m, m, f->lo, f->lo, f->lo, f->h, f->h, f->h);
    section(fp, "FieldData", "", a, na, "    ");
    fprintf(fp, "    <Piece Extent=\"0 %d 0 %d 0 %d\">\n", m, m, m);
    section(fp, "PointData", " Vectors=\"velocity\"", a, na, "      ");
    fputs("    </Piece>\n  </ImageData>\n", fp);
    appended(fp, a, na); /* x fastest: the core's order is VTK's */
    return 0;
}

#define NUM "%.12g"

int vtk_field_legacy(FILE *fp, const field *f)
{
    const size_t npts = (size_t)f->n * f->n * f->n;
    fprintf(fp,
            "# vtk DataFile Version 3.0\n"
            "ferrosim effective velocity t=" NUM " delta=" NUM "\n"
            "ASCII\nDATASET STRUCTURED_POINTS\nDIMENSIONS %d %d %d\n"
            "ORIGIN " NUM " " NUM " " NUM "\nSPACING " NUM " " NUM " " NUM "\n"
            "POINT_DATA %zu\nVECTORS velocity double\n",
            f->t, f->delta, f->n, f->n, f->n, f->lo, f->lo, f->lo, f->h, f->h, f->h, npts);
    for (size_t g = 0; g < npts; g++) /* VTK order: x fastest, as the core's index */
        fprintf(fp, NUM " " NUM " " NUM "\n", f->u[3 * g], f->u[3 * g + 1], f->u[3 * g + 2]);
    return 0;
}

void vtk_pvd(FILE *fp, const pvd_entry *e, size_t count)
{
    fprintf(fp,
            "<?xml version=\"1.0\"?>\n<VTKFile type=\"Collection\" version=\"0.1\" "
            "byte_order=\"%s\">\n  <Collection>\n",
            byte_order());
    for (size_t i = 0; i < count; i++) /* %.17g: the simulation's times exactly */
        fprintf(fp, "    <DataSet timestep=\"%.17g\" group=\"\" part=\"%d\" file=\"%s\"/>\n",
                e[i].t, e[i].part, e[i].file);
    fputs("  </Collection>\n</VTKFile>\n", fp);
}

/* Gathering the particles and the field once per output time (snapshot.h). */
#include "snapshot.h"

#include "ferro/flat.h"

#include <stdlib.h>

int particles_gather(particles *p, fr_sim *s)
{
    const size_t n = (size_t)fr_flat_n(s);
    p->u = calloc(3 * n, sizeof *p->u);
    p->omega = calloc(3 * n, sizeof *p->omega);
    p->m0 = calloc(n ? n : 1, sizeof *p->m0);
    if (!p->u || !p->omega || !p->m0) {
        particles_free(p);
        return -1;
    }
    fr_sim_ambient(s, p->u, p->omega);
    fr_sim_mean_spin_eq_all(s, p->m0);
    p->v = fr_sim_view(s); /* after ambient: views stay valid until the next step */
    p->flips = fr_flat_array(s, "flips");
    return 0;
}

void particles_free(particles *p)
{
    free(p->u);
    free(p->omega);
    free(p->m0);
    p->u = p->omega = p->m0 = NULL;
}

int field_gather(field *f, fr_sim *s, int n)
{
    f->n = n;
    f->lo = FR_FIELD_LO;
    f->h = (FR_FIELD_HI - FR_FIELD_LO) / (n - 1);
    f->t = fr_sim_time(s);
    f->u = malloc(3 * (size_t)n * n * n * sizeof *f->u);
    if (!f->u || fr_sim_effective_velocity(s, n, FR_FIELD_LO, FR_FIELD_HI, f->u, &f->delta)) {
        field_free(f);
        return -1;
    }
    return 0;
}

void field_free(field *f)
{
    free(f->u);
    f->u = NULL;
}

/* unitspanel.c — see unitspanel.h. */
#include "unitspanel.h"

#include "ferro/units.h"

#include <stdio.h>

/* Physical units panel text: fr_units_format and ε, τ_N across radii (the sharp transition). */
int units_panel_text(const char *units, char *out, size_t cap, char *err, size_t errlen)
{
    fr_units_si u = fr_units_default();
    fr_units_derived d;
    if (units[0] && fr_units_read(units, &u, err, errlen))
        return -1;
    if (fr_units_derive(&u, &d, err, errlen))
        return -1;
    char *b = out;
    size_t n = (size_t)snprintf(b, cap, "Physical units (%s)\n",
                                units[0] ? units : "Appendix A defaults; --units FILE");
    if (n < cap) {
        const int k = fr_units_format(&u, &d, b + n, cap - n);
        n += k > 0 ? (size_t)k : 0;
    }
    if (n < cap)
        n += (size_t)snprintf(b + n, cap - n, "radius r -> eps, tau_N (same material):\n");
    for (int r = 6; r <= 20 && n < cap; r += 2) {
        fr_units_si v = u;
        fr_units_derived e;
        v.r = r * 1e-9;
        if (fr_units_derive(&v, &e, err, errlen))
            continue;
        n += (size_t)snprintf(b + n, cap - n, "  r = %2d nm: eps = %-9.3g tau_N = %-9.3g s  b = %.3g%s\n",
                              r, e.eps, e.tau_neel, e.b,
                              e.eps < 0.1 ? "  fast flip" : e.eps > 10 ? "  blocked" : "  crossover");
    }
    return 0;
}

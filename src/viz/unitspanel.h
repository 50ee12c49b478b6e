/* unitspanel.h — the text of the physical units panel (key U): fr_units_format for the --units
 * file (or Appendix A's defaults) and ε, τ_N across particle radii (the sharp transition). */
#ifndef VIZ_UNITSPANEL_H
#define VIZ_UNITSPANEL_H

#include <stddef.h>

/* 0, or -1 with a message in err (a bad --units file). units: the file, "" = defaults. */
int units_panel_text(const char *units, char *out, size_t cap, char *err, size_t errlen);

#endif

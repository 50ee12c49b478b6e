/* Appendix A: nondimensionalisation. T = ν/(μ0 m_s H̄), b = r³|B| μ0 m_s H̄/(k_B Θ) and the
 * flip time scale ε = τ_N/T, τ_N = τ0 exp(r³|B| K/(k_B Θ)) (Néel–Arrhenius).
 *
 * Note on a sign: the paper's Appendix A prints ε = (τ0/T) exp(−r³|B|K/(k_BΘ)) (and MODEL.md
 * copies it), but its own rate (A.2) is (1/τ0) exp(−(r³|B|K + ...)/(k_BΘ)) and λ = εTλ̌ must be
 * O(1), which gives exp(+...). Only the + sign yields the stated "sharp change from ε ≪ 1 to
 * ε ≫ 1" as r grows. We use +. */
#include "ferro/units.h"

#include "ferro/shape.h"
#include "textfile.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double MU0 = 1.25663706212e-6; /* N/A² */
static const double KB = 1.380649e-23;      /* J/K */

fr_units_si fr_units_default(void)
{
    return (fr_units_si){.nu = 1e-3, .K = 1e3, .m_s = 1e6, .r = 1e-8, .Theta = 300.0, .Hbar = 1e3,
                         .tau0 = 1e-9, .aspect = 1.0};
}

/* One "key = value" line ('#' comments, blank lines skipped): 0, or -1 with a message. */
static int units_line(char *line, int ln, const char *path, fr_units_si *u, char *err, size_t errlen)
{
    char *h = strchr(line, '#');
    if (h)
        *h = 0;
    char key[64], val[256], extra[8];
    const int k = sscanf(line, " %63[^= \t] = %255s %7s", key, val, extra);
    if (k <= 0) {
        char tmp[8];
        if (sscanf(line, " %7s", tmp) <= 0)
            return 0; /* blank */
    }
    if (k != 2) {
        snprintf(err, errlen, "units file '%s' line %d: expected 'key = value'", path, ln);
        return -1;
    }
    char *end;
    errno = 0;
    const double x = strtod(val, &end);
    if (*end || errno || !isfinite(x)) {
        snprintf(err, errlen, "units file '%s' line %d: %s: not a finite number '%s'", path, ln, key, val);
        return -1;
    }
    static const struct {
        const char *key;
        size_t off;
    } KEYS[] = {
        {"nu", offsetof(fr_units_si, nu)},         {"K", offsetof(fr_units_si, K)},
        {"m_s", offsetof(fr_units_si, m_s)},       {"r", offsetof(fr_units_si, r)},
        {"Theta", offsetof(fr_units_si, Theta)},   {"Hbar", offsetof(fr_units_si, Hbar)},
        {"tau0", offsetof(fr_units_si, tau0)},     {"aspect", offsetof(fr_units_si, aspect)},
    };
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
        if (!strcmp(key, KEYS[i].key)) {
            memcpy((char *)u + KEYS[i].off, &x, sizeof x);
            return 0;
        }
    snprintf(err, errlen, "units file '%s' line %d: unknown key '%s'", path, ln, key);
    return -1;
}

int fr_units_read(const char *path, fr_units_si *u, char *err, size_t errlen)
{
    fr_text t; /* the scenario file's rules: no directory, NUL byte or endless input */
    if (fr_text_read(path, "units file", &t, err, errlen))
        return -1;
    int rc = 0;
    for (char *line; !rc && (line = fr_text_next(&t));)
        rc = units_line(line, t.lineno, path, u, err, errlen);
    fr_text_free(&t);
    if (rc)
        fr_text_one_line(err);
    return rc;
}

int fr_units_derive(const fr_units_si *u, fr_units_derived *d, char *err, size_t errlen)
{
    const double v[8] = {u->nu, u->K, u->m_s, u->r, u->Theta, u->Hbar, u->tau0, u->aspect};
    const char *names[8] = {"nu", "K", "m_s", "r", "Theta", "Hbar", "tau0", "aspect"};
    for (int i = 0; i < 8; i++)
        if (!(isfinite(v[i]) && v[i] > 0.0)) {
            snprintf(err, errlen, "units: %s = %g must be a finite number > 0", names[i], v[i]);
            return -1;
        }
    if (u->aspect < 0.1 || u->aspect > 10.0) {
        snprintf(err, errlen, "units: aspect = %g out of range [0.1, 10]", u->aspect);
        return -1;
    }
    const fr_shape sh = fr_shape_spheroid(u->aspect);
    const double vol = u->r * u->r * u->r * sh.volume, kT = KB * u->Theta;
    d->T = u->nu / (MU0 * u->m_s * u->Hbar);
    d->b = vol * MU0 * u->m_s * u->Hbar / kT;
    d->barrier = vol * u->K / kT;
    d->tau_neel = u->tau0 * exp(fmin(d->barrier, 700.0));
    d->eps = d->tau_neel / d->T;
    /* Rotational diffusion from Stokes–Einstein: D_r = k_BΘ · (rotation per torque); a torque
     * T on the particle of radius r turns it with γ/(r³|B|)·T/… : Ω = T γ / (r³ |B| ν), i.e.
     * D_r = k_BΘ γ / (ν r³ |B|); sphere: k_BΘ/(8π ν r³). */
    const double Dr = kT * sh.gamma / (u->nu * vol);
    d->tau_brown = 1.0 / (2.0 * Dr);
    d->D_r = Dr * d->T;
    /* ε(r) = 1: τ0 exp(r³|B|K/kT) = T  =>  r = cbrt(kT ln(T/τ0) / (|B| K)) */
    d->r_sharp = d->T > u->tau0 ? cbrt(kT * log(d->T / u->tau0) / (sh.volume * u->K)) : 0.0;
    return 0;
}

int fr_units_format(const fr_units_si *u, const fr_units_derived *d, char *buf, size_t len)
{
    const char *regime = d->eps < 0.1   ? "fast flip (superparamagnetic, the paper's regime)"
                         : d->eps > 10 ? "blocked spins (flips rarer than rotation)"
                                       : "crossover";
    return snprintf(buf, len,
                    "SI input: nu=%g kg/(m s)  K=%g J/m^3  m_s=%g A/m  r=%g m  Theta=%g K  Hbar=%g A/m  "
                    "tau0=%g s  aspect=%g\n"
                    "time unit T          = %.4g s\n"
                    "b                    = %.4g\n"
                    "eps                  = %.4g   (%s)\n"
                    "Neel time tau_N      = %.4g s  (flip time at H = 0; M decays as exp(-2t/tau_N))\n"
                    "Brownian time tau_B  = %.4g s  (1/(2 D_r); orientation correlation exp(-t/tau_B))\n"
                    "D_r (nondimensional) = %.4g\n"
                    "anisotropy barrier   = %.4g k_B Theta\n"
                    "sharp transition     : eps = 1 at r = %.4g nm (eps ~ exp(r^3))\n",
                    u->nu, u->K, u->m_s, u->r, u->Theta, u->Hbar, u->tau0, u->aspect, d->T, d->b, d->eps,
                    regime, d->tau_neel, d->tau_brown, d->D_r, d->barrier, d->r_sharp * 1e9);
}

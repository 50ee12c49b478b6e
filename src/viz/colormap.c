/* colormap.c — see colormap.h. Each map's data is written here once; its C evaluation and the
 * GLSL text generated from the same arrays sit side by side. */
#include "colormap.h"

#include <stdio.h>

const float CMAP_SPIN_UP[3] = {1.00f, 0.40f, 0.10f};
const float CMAP_SPIN_DOWN[3] = {0.15f, 0.45f, 1.00f};

/* viridis: a degree-6 polynomial fit per channel, coefficients c0 .. c6 (t in [0, 1]) */
static const float VIRIDIS[7][3] = {
    {0.2777273272234177f, 0.005407344544966578f, 0.3340998053353061f},
    {0.1050930431085774f, 1.404613529898575f, 1.384590162594685f},
    {-0.3308618287255563f, 0.214847559468213f, 0.09509516302823659f},
    {-4.634230498983486f, -5.799100973351585f, -19.33244095627987f},
    {6.228269936347081f, 14.17993336680509f, 56.69055260068105f},
    {4.776384997670288f, -13.74514537774601f, -65.35303263337234f},
    {-5.435455855934631f, 4.645852612178535f, 26.3124352495832f},
};

/* diverging (Moreland's cool-warm): piecewise linear through cold, cold2, mid, warm2, warm */
enum { D_COLD, D_COLD2, D_MID, D_WARM2, D_WARM, D_N };
static const float DIVERGING[D_N][3] = {
    {0.230f, 0.299f, 0.754f}, {0.552f, 0.690f, 0.996f}, {0.865f, 0.865f, 0.865f},
    {0.958f, 0.602f, 0.482f}, {0.706f, 0.016f, 0.150f},
};

static float clampf(float x, float a, float b) { return x < a ? a : x > b ? b : x; }

void cmap_viridis(float t, float rgb[3])
{
    t = clampf(t, 0.0f, 1.0f);
    for (int k = 0; k < 3; k++) {
        float v = VIRIDIS[6][k];
        for (int i = 5; i >= 0; i--)
            v = VIRIDIS[i][k] + t * v;
        rgb[k] = clampf(v, 0.0f, 1.0f);
    }
}

static void mix3(const float a[3], const float b[3], float t, float out[3])
{
    for (int k = 0; k < 3; k++)
        out[k] = a[k] + (b[k] - a[k]) * t;
}

void cmap_diverging(float v, float rgb[3])
{
    const float(*c)[3] = DIVERGING;
    v = clampf(v, -1.0f, 1.0f);
    if (v < 0.0f) {
        const float t = -v;
        if (t < 0.5f)
            mix3(c[D_MID], c[D_COLD2], 2.0f * t, rgb);
        else
            mix3(c[D_COLD2], c[D_COLD], 2.0f * t - 1.0f, rgb);
    } else if (v < 0.5f) {
        mix3(c[D_MID], c[D_WARM2], 2.0f * v, rgb);
    } else {
        mix3(c[D_WARM2], c[D_WARM], 2.0f * v - 1.0f, rgb);
    }
}

/* ---- the same in GLSL ---- */

typedef struct sbuf {
    char *p;
    size_t cap, n;
} sbuf;

static void put(sbuf *b, const char *fmt, const float *v)
{
    char tmp[1024];
    const int k = v ? snprintf(tmp, sizeof tmp, fmt, v[0], v[1], v[2]) : snprintf(tmp, sizeof tmp, "%s", fmt);
    if (b->n < b->cap)
        snprintf(b->p + b->n, b->cap - b->n, "%s", tmp);
    b->n += (size_t)(k > 0 ? k : 0);
}

int cmap_glsl(char *out, size_t cap)
{
    sbuf b = {out, cap, 0};
    if (cap)
        out[0] = '\0';
    put(&b, "// colour maps generated from src/viz/colormap.c\n", NULL);
    put(&b, "const vec3 CMAP_SPIN_UP = vec3(%#.9g, %#.9g, %#.9g);\n", CMAP_SPIN_UP);
    put(&b, "const vec3 CMAP_SPIN_DOWN = vec3(%#.9g, %#.9g, %#.9g);\n", CMAP_SPIN_DOWN);
    put(&b, "vec3 spin_colour(float s) { return s >= 0.0 ? CMAP_SPIN_UP : CMAP_SPIN_DOWN; }\n", NULL);
    put(&b, "vec3 viridis(float t)\n{\n    t = clamp(t, 0.0, 1.0);\n    vec3 v = ", NULL);
    put(&b, "vec3(%#.9g, %#.9g, %#.9g);\n", VIRIDIS[6]);
    for (int i = 5; i >= 0; i--)
        put(&b, "    v = vec3(%#.9g, %#.9g, %#.9g) + t * v;\n", VIRIDIS[i]);
    put(&b, "    return v;\n}\n", NULL);
    static const char *names[D_N] = {"cold", "cold2", "midc", "warm2", "warm"};
    put(&b, "vec3 diverging(float v)\n{\n    v = clamp(v, -1.0, 1.0);\n", NULL);
    for (int i = 0; i < D_N; i++) {
        char fmt[96];
        snprintf(fmt, sizeof fmt, "    const vec3 %s = vec3(%%#.9g, %%#.9g, %%#.9g);\n", names[i]);
        put(&b, fmt, DIVERGING[i]);
    }
    put(&b, "    if (v < 0.0) {\n        float t = -v;\n"
            "        return t < 0.5 ? mix(midc, cold2, 2.0 * t) : mix(cold2, cold, 2.0 * t - 1.0);\n"
            "    }\n"
            "    return v < 0.5 ? mix(midc, warm2, 2.0 * v) : mix(warm2, warm, 2.0 * v - 1.0);\n}\n",
        NULL);
    return (int)b.n;
}

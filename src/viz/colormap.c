/* colormap.c — must match shaders/arrow.vert and shaders/stream.frag. */
#include "colormap.h"

const float CMAP_SPIN_UP[3] = {1.00f, 0.40f, 0.10f};
const float CMAP_SPIN_DOWN[3] = {0.15f, 0.45f, 1.00f};

static float clampf(float x, float a, float b) { return x < a ? a : x > b ? b : x; }

void cmap_viridis(float t, float rgb[3])
{
    static const float c[7][3] = {
        {0.2777273272234177f, 0.005407344544966578f, 0.3340998053353061f},
        {0.1050930431085774f, 1.404613529898575f, 1.384590162594685f},
        {-0.3308618287255563f, 0.214847559468213f, 0.09509516302823659f},
        {-4.634230498983486f, -5.799100973351585f, -19.33244095627987f},
        {6.228269936347081f, 14.17993336680509f, 56.69055260068105f},
        {4.776384997670288f, -13.74514537774601f, -65.35303263337234f},
        {-5.435455855934631f, 4.645852612178535f, 26.3124352495832f},
    };
    t = clampf(t, 0.0f, 1.0f);
    for (int k = 0; k < 3; k++) {
        float v = c[6][k];
        for (int i = 5; i >= 0; i--)
            v = c[i][k] + t * v;
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
    static const float cold[3] = {0.230f, 0.299f, 0.754f}, mid[3] = {0.865f, 0.865f, 0.865f},
                       warm[3] = {0.706f, 0.016f, 0.150f}, cold2[3] = {0.552f, 0.690f, 0.996f},
                       warm2[3] = {0.958f, 0.602f, 0.482f};
    v = clampf(v, -1.0f, 1.0f);
    if (v < 0.0f) {
        const float t = -v;
        if (t < 0.5f)
            mix3(mid, cold2, 2.0f * t, rgb);
        else
            mix3(cold2, cold, 2.0f * t - 1.0f, rgb);
    } else if (v < 0.5f) {
        mix3(mid, warm2, 2.0f * v, rgb);
    } else {
        mix3(warm2, warm, 2.0f * v - 1.0f, rgb);
    }
}

/* hud.h — 2D overlay: a TrueType font (stb_truetype) baked into an atlas, and a batch of
 * textured / flat triangles in window pixels (origin top left), drawn in one call. */
#ifndef VIZ_HUD_H
#define VIZ_HUD_H

#include "gl.h"

#include <stddef.h>

typedef struct viz_hud {
    GLuint prog, vao, vbo, tex;
    GLint u_size, u_atlas;
    int atlas_w, atlas_h;
    float white_u, white_v;   /* a fully covered texel, for flat shapes */
    float px;                 /* baked font size in pixels */
    float ascent, line_h;
    void *packed;             /* stbtt_packedchar per range */
    unsigned char *ttf;       /* font file (kept: re-baking on resize) */
    char font_path[1024];
    float *v;                 /* vertices: x, y, u, v, r, g, b, a */
    int nv, cap;
    int w, h;                 /* window size in pixels */
} viz_hud;

/* Finds the font ($FERROVIZ_FONT, assets/, then Debian's fonts-dejavu-core), bakes it at px
 * pixels. 0, or -1 with a message naming the files tried. */
int hud_init(viz_hud *h, float px, char *err, size_t errlen);
int hud_set_px(viz_hud *h, float px); /* re-bake at another size if different */
void hud_free(viz_hud *h);

void hud_begin(viz_hud *h, int w, int h_px);
void hud_rect(viz_hud *h, float x, float y, float w, float hh, const float rgba[4]);
void hud_rect4(viz_hud *h, float x, float y, float w, float hh, const float top[4],
               const float bottom[4]); /* vertical gradient */
void hud_line(viz_hud *h, float x0, float y0, float x1, float y1, float width, const float rgba[4]);
/* UTF-8 text with its baseline at y; returns the advance (width) in pixels. */
float hud_text(viz_hud *h, float x, float y, const char *s, const float rgba[4]);
float hud_text_width(viz_hud *h, const char *s);
void hud_flush(viz_hud *h);

#endif

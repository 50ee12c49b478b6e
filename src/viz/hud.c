/* hud.c — font atlas (stb_truetype) and the 2D overlay batch. */
#include "hud.h"

#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wpedantic"
#define STB_RECT_PACK_IMPLEMENTATION
#include <stb_rect_pack.h>
#define STB_TRUETYPE_IMPLEMENTATION
#include <stb_truetype.h>
#pragma GCC diagnostic pop

/* Code point ranges baked: ASCII, Latin-1, a little Latin Extended-A (Ĥ), Greek, punctuation,
 * sub/superscripts, arrows, maths. */
static const int RANGES[][2] = {
    {0x20, 0x7E},     {0xA0, 0xFF},     {0x124, 0x125},   {0x391, 0x3C9},
    {0x2010, 0x2027}, {0x2070, 0x208E}, {0x2190, 0x2193}, {0x2202, 0x2212},
    {0x2248, 0x2248}, {0x2264, 0x2265}, {0x25B2, 0x25BC},
};
#define NRANGES (int)(sizeof RANGES / sizeof RANGES[0])

static const char *FONT_NAMES[] = {"DejaVuSansMono.ttf", "DejaVuSans.ttf"};
static const char *SYS_FONT_DIR = "/usr/share/fonts/truetype/dejavu";

static int bake(viz_hud *h, float px)
{
    stbtt_fontinfo fi;
    if (!stbtt_InitFont(&fi, h->ttf, stbtt_GetFontOffsetForIndex(h->ttf, 0)))
        return -1;
    static const int sizes[][2] = {{512, 512}, {1024, 512}, {1024, 1024}, {2048, 1024},
                                   {2048, 2048}};
    stbtt_packedchar *pc = NULL;
    unsigned char *bmp = NULL;
    int total = 0;
    for (int r = 0; r < NRANGES; r++)
        total += RANGES[r][1] - RANGES[r][0] + 1;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        const int w = sizes[k][0], hh = sizes[k][1];
        free(bmp);
        free(pc);
        bmp = calloc((size_t)w * (hh + 4), 1);
        pc = calloc((size_t)total, sizeof *pc);
        if (!bmp || !pc)
            break;
        stbtt_pack_context ctx;
        if (!stbtt_PackBegin(&ctx, bmp, w, hh, w, 1, NULL))
            continue;
        stbtt_PackSetOversampling(&ctx, 2, 1);
        stbtt_pack_range rg[NRANGES];
        int off = 0;
        for (int r = 0; r < NRANGES; r++) {
            memset(&rg[r], 0, sizeof rg[r]);
            rg[r].font_size = px;
            rg[r].first_unicode_codepoint_in_range = RANGES[r][0];
            rg[r].num_chars = RANGES[r][1] - RANGES[r][0] + 1;
            rg[r].chardata_for_range = pc + off;
            off += rg[r].num_chars;
        }
        const int ok = stbtt_PackFontRanges(&ctx, h->ttf, 0, rg, NRANGES);
        stbtt_PackEnd(&ctx);
        if (!ok)
            continue;
        memset(bmp + (size_t)w * hh, 255, (size_t)w * 4); /* flat-shape texels */
        if (!h->tex)
            glGenTextures(1, &h->tex);
        glBindTexture(GL_TEXTURE_2D, h->tex);
        glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, w, hh + 4, 0, GL_RED, GL_UNSIGNED_BYTE, bmp);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
        free(bmp);
        free(h->packed);
        h->packed = pc;
        h->atlas_w = w;
        h->atlas_h = hh + 4;
        h->white_u = (float)(w / 2) / (float)w;
        h->white_v = ((float)hh + 2.0f) / (float)(hh + 4);
        int asc, desc, gap;
        stbtt_GetFontVMetrics(&fi, &asc, &desc, &gap);
        const float sc = stbtt_ScaleForPixelHeight(&fi, px);
        h->ascent = asc * sc;
        h->line_h = (asc - desc + gap) * sc;
        h->px = px;
        return 0;
    }
    free(bmp);
    free(pc);
    return -1;
}

int hud_init(viz_hud *h, float px, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    const char *env = getenv("FERROVIZ_FONT");
    char tried[4096] = "";
    if (env && *env) {
        snprintf(h->font_path, sizeof h->font_path, "%s", env);
        h->ttf = (unsigned char *)viz_read_file(env, NULL);
        if (!h->ttf) {
            snprintf(err, errlen, "cannot read font %s ($FERROVIZ_FONT): %s", env,
                     strerror(errno));
            return -1;
        }
    } else {
        for (size_t i = 0; i < 2 && !h->ttf; i++) {
            char p[1024], t[2048];
            if (!viz_find_file(NULL, "assets", FONT_NAMES[i], p, sizeof p, t, sizeof t)) {
                h->ttf = (unsigned char *)viz_read_file(p, NULL);
                snprintf(h->font_path, sizeof h->font_path, "%s", p);
            }
            snprintf(p, sizeof p, "%s/%s", SYS_FONT_DIR, FONT_NAMES[i]);
            if (!h->ttf) {
                h->ttf = (unsigned char *)viz_read_file(p, NULL);
                snprintf(h->font_path, sizeof h->font_path, "%s", p);
            }
            const size_t used = strlen(tried);
            snprintf(tried + used, sizeof tried - used, "%s%s", used ? ", " : "", p);
        }
        if (!h->ttf) {
            snprintf(err, errlen,
                     "font not found: %s (install fonts-dejavu-core, or set FERROVIZ_FONT)",
                     tried);
            return -1;
        }
    }
    if (bake(h, px)) {
        snprintf(err, errlen, "font %s: not a usable TrueType font", h->font_path);
        free(h->ttf);
        h->ttf = NULL;
        return -1;
    }
    h->prog = viz_load_program("hud", err, errlen);
    if (!h->prog)
        return -1;
    h->u_size = glGetUniformLocation(h->prog, "u_size");
    h->u_atlas = glGetUniformLocation(h->prog, "u_atlas");
    glGenVertexArrays(1, &h->vao);
    glGenBuffers(1, &h->vbo);
    glBindVertexArray(h->vao);
    glBindBuffer(GL_ARRAY_BUFFER, h->vbo);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 8 * sizeof(float), (void *)0);
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, 8 * sizeof(float), (void *)(2 * sizeof(float)));
    glEnableVertexAttribArray(2);
    glVertexAttribPointer(2, 4, GL_FLOAT, GL_FALSE, 8 * sizeof(float), (void *)(4 * sizeof(float)));
    glBindVertexArray(0);
    return 0;
}

int hud_set_px(viz_hud *h, float px)
{
    if (fabsf(px - h->px) < 0.5f)
        return 0;
    return bake(h, px);
}

void hud_free(viz_hud *h)
{
    if (h->prog)
        glDeleteProgram(h->prog);
    if (h->vbo)
        glDeleteBuffers(1, &h->vbo);
    if (h->vao)
        glDeleteVertexArrays(1, &h->vao);
    if (h->tex)
        glDeleteTextures(1, &h->tex);
    free(h->packed);
    free(h->ttf);
    free(h->v);
    memset(h, 0, sizeof *h);
}

void hud_begin(viz_hud *h, int w, int hh)
{
    h->nv = 0;
    h->w = w;
    h->h = hh;
}

static float *alloc_verts(viz_hud *h, int n)
{
    if (h->nv + n > h->cap) {
        int c = h->cap ? h->cap : 4096;
        while (c < h->nv + n)
            c *= 2;
        float *v = realloc(h->v, (size_t)c * 8 * sizeof(float));
        if (!v)
            return NULL;
        h->v = v;
        h->cap = c;
    }
    float *p = h->v + (size_t)h->nv * 8;
    h->nv += n;
    return p;
}

static void vert(float *p, float x, float y, float u, float v, const float c[4])
{
    p[0] = x;
    p[1] = y;
    p[2] = u;
    p[3] = v;
    p[4] = c[0];
    p[5] = c[1];
    p[6] = c[2];
    p[7] = c[3];
}

static void quad(viz_hud *h, const float x[4], const float y[4], const float u[4], const float v[4],
                 const float *c[4])
{
    float *p = alloc_verts(h, 6);
    if (!p)
        return;
    static const int idx[6] = {0, 1, 2, 0, 2, 3};
    for (int k = 0; k < 6; k++) {
        const int i = idx[k];
        vert(p + 8 * k, x[i], y[i], u[i], v[i], c[i]);
    }
}

void hud_rect4(viz_hud *h, float x, float y, float w, float hh, const float top[4],
               const float bottom[4])
{
    const float xs[4] = {x, x + w, x + w, x}, ys[4] = {y, y, y + hh, y + hh};
    const float u[4] = {h->white_u, h->white_u, h->white_u, h->white_u};
    const float v[4] = {h->white_v, h->white_v, h->white_v, h->white_v};
    const float *c[4] = {top, top, bottom, bottom};
    quad(h, xs, ys, u, v, c);
}

void hud_rect(viz_hud *h, float x, float y, float w, float hh, const float rgba[4])
{
    hud_rect4(h, x, y, w, hh, rgba, rgba);
}

void hud_line(viz_hud *h, float x0, float y0, float x1, float y1, float width, const float rgba[4])
{
    float dx = x1 - x0, dy = y1 - y0;
    const float l = sqrtf(dx * dx + dy * dy);
    if (!(l > 0.0f))
        return;
    const float nx = -dy / l * 0.5f * width, ny = dx / l * 0.5f * width;
    const float xs[4] = {x0 + nx, x1 + nx, x1 - nx, x0 - nx};
    const float ys[4] = {y0 + ny, y1 + ny, y1 - ny, y0 - ny};
    const float u[4] = {h->white_u, h->white_u, h->white_u, h->white_u};
    const float v[4] = {h->white_v, h->white_v, h->white_v, h->white_v};
    const float *c[4] = {rgba, rgba, rgba, rgba};
    quad(h, xs, ys, u, v, c);
}

/* Next code point of a UTF-8 string (invalid bytes give '?'). */
static unsigned utf8_next(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    unsigned c = p[0];
    int n = 0;
    if (c < 0x80) {
        n = 0;
    } else if ((c & 0xE0) == 0xC0) {
        c &= 0x1F;
        n = 1;
    } else if ((c & 0xF0) == 0xE0) {
        c &= 0x0F;
        n = 2;
    } else if ((c & 0xF8) == 0xF0) {
        c &= 0x07;
        n = 3;
    } else {
        *s += 1;
        return '?';
    }
    for (int k = 1; k <= n; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            *s += k;
            return '?';
        }
        c = (c << 6) | (p[k] & 0x3F);
    }
    *s += n + 1;
    return c;
}

static int glyph_index(unsigned cp)
{
    int off = 0;
    for (int r = 0; r < NRANGES; r++) {
        if ((int)cp >= RANGES[r][0] && (int)cp <= RANGES[r][1])
            return off + (int)cp - RANGES[r][0];
        off += RANGES[r][1] - RANGES[r][0] + 1;
    }
    return '?' - 0x20;
}

float hud_text(viz_hud *h, float x, float y, const char *s, const float rgba[4])
{
    const float x0 = x;
    const stbtt_packedchar *pc = h->packed;
    while (*s) {
        const unsigned cp = utf8_next(&s);
        stbtt_aligned_quad q;
        stbtt_GetPackedQuad(pc, h->atlas_w, h->atlas_h, glyph_index(cp), &x, &y, &q, 0);
        if (cp == ' ')
            continue;
        const float xs[4] = {q.x0, q.x1, q.x1, q.x0}, ys[4] = {q.y0, q.y0, q.y1, q.y1};
        const float u[4] = {q.s0, q.s1, q.s1, q.s0}, v[4] = {q.t0, q.t0, q.t1, q.t1};
        const float *c[4] = {rgba, rgba, rgba, rgba};
        quad(h, xs, ys, u, v, c);
    }
    return x - x0;
}

float hud_text_width(viz_hud *h, const char *s)
{
    float x = 0.0f, y = 0.0f;
    const stbtt_packedchar *pc = h->packed;
    while (*s) {
        const unsigned cp = utf8_next(&s);
        stbtt_aligned_quad q;
        stbtt_GetPackedQuad(pc, h->atlas_w, h->atlas_h, glyph_index(cp), &x, &y, &q, 0);
    }
    return x;
}

void hud_flush(viz_hud *h)
{
    if (h->nv == 0)
        return;
    glDisable(GL_DEPTH_TEST);
    glEnable(GL_BLEND);
    glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
    glUseProgram(h->prog);
    glUniform2f(h->u_size, (float)h->w, (float)h->h);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, h->tex);
    glUniform1i(h->u_atlas, 0);
    glBindVertexArray(h->vao);
    glBindBuffer(GL_ARRAY_BUFFER, h->vbo);
    glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)h->nv * 8 * (GLsizeiptr)sizeof(float), h->v,
                 GL_STREAM_DRAW);
    glDrawArrays(GL_TRIANGLES, 0, h->nv);
    glBindVertexArray(0);
    glDisable(GL_BLEND);
    h->nv = 0;
}


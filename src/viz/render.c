/* render.c — the 3D scene (see render.h). */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define INST_FLOATS 8 /* per particle: position, direction, value, padding (2 RGBA texels) */
/* At most this many particles: impostors write the exact depth of the ray's hit (arrows that
 * interpenetrate, lines through them); more: the depth of their triangle (the plane through the
 * particle facing the eye, at most half an arrow's length off, a few pixels there), which lets
 * llvmpipe test the depth before shading the fragment (upload_sorted). */
#define IMPOSTOR_EXACT_N 5000
/* the fine arrow (unit length): shaft radius, cone radius, cone length */
#define SHAFT_R 0.09f
#define HEAD_R 0.22f
#define HEAD_LEN 0.42f

/* ---- meshes ---- */

static void put(float *q, float x, float y, float z, float nx, float ny, float nz)
{
    q[0] = x;
    q[1] = y;
    q[2] = z;
    q[3] = nx;
    q[4] = ny;
    q[5] = nz;
}

/* Indexed arrow along +z with z in [-0.5, 0.5]: shaft (if shaft_r > 0) and cone with its base.
 * Vertices: position and normal (6 floats); returns the vertex count, *nidx the index count.
 * Capacity needed: 5 seg vertices, 12 seg indices. */
static int make_arrow(float *v, unsigned short *idx, int *nidx, int seg, float shaft_r,
                      float head_r, float head_len)
{
    const float zb = shaft_r > 0.0f ? 0.5f - head_len : -0.5f; /* cone base */
    const float slope = head_r / (0.5f - zb), k = 1.0f / sqrtf(1.0f + slope * slope);
    int nv = 0, ni = 0;
    if (seg == 3 && !(shaft_r > 0.0f)) {
        /* the cheapest arrow: a triangular pyramid of 4 shared vertices (vertex shading is the
         * bottleneck of llvmpipe at large N) with rounded normals */
        put(v, 0, 0, 0.5f, 0, 0, 1);
        for (int i = 0; i < 3; i++) {
            const float a = (float)(2.0 * M_PI * i / 3), c = cosf(a), s = sinf(a);
            const float l = 1.0f / sqrtf(1.0f + 0.09f);
            put(v + 6 * (i + 1), head_r * c, head_r * s, -0.5f, c * l, s * l, -0.3f * l);
        }
        static const unsigned short t[12] = {1, 2, 0, 2, 3, 0, 3, 1, 0, 1, 3, 2};
        memcpy(idx, t, sizeof t);
        *nidx = 12;
        return 4;
    }
    if (shaft_r > 0.0f) {
        for (int i = 0; i < seg; i++) {
            const float a = (float)(2.0 * M_PI * i / seg), c = cosf(a), s = sinf(a);
            put(v + 6 * nv++, shaft_r * c, shaft_r * s, -0.5f, c, s, 0);
            put(v + 6 * nv++, shaft_r * c, shaft_r * s, zb, c, s, 0);
        }
        for (int i = 0; i < seg; i++) {
            const int a0 = 2 * i, a1 = 2 * ((i + 1) % seg);
            const unsigned short q[6] = {a0, a1, a1 + 1, a0, a1 + 1, a0 + 1};
            memcpy(idx + ni, q, sizeof q);
            ni += 6;
        }
    }
    const int ring = nv;
    for (int i = 0; i < seg; i++) { /* cone side ring and one tip per face */
        const float a = (float)(2.0 * M_PI * i / seg), c = cosf(a), s = sinf(a);
        const float am = (float)(2.0 * M_PI * (i + 0.5) / seg);
        put(v + 6 * (ring + i), head_r * c, head_r * s, zb, c * k, s * k, slope * k);
        put(v + 6 * (ring + seg + i), 0, 0, 0.5f, cosf(am) * k, sinf(am) * k, slope * k);
    }
    nv += 2 * seg;
    for (int i = 0; i < seg; i++) {
        idx[ni++] = (unsigned short)(ring + i);
        idx[ni++] = (unsigned short)(ring + (i + 1) % seg);
        idx[ni++] = (unsigned short)(ring + seg + i);
    }
    const int base = nv; /* base disk: a fan of seg - 2 triangles, normal -z */
    for (int i = 0; i < seg; i++) {
        const float a = (float)(2.0 * M_PI * i / seg);
        put(v + 6 * nv++, head_r * cosf(a), head_r * sinf(a), zb, 0, 0, -1);
    }
    for (int i = 1; i + 1 < seg; i++) {
        idx[ni++] = (unsigned short)base;
        idx[ni++] = (unsigned short)(base + i + 1);
        idx[ni++] = (unsigned short)(base + i);
    }
    *nidx = ni;
    return nv;
}

static void upload_mesh(viz_arrow_mesh *m, int seg, float shaft_r, float head_r, float head_len)
{
    float *v = malloc((size_t)(5 * seg) * 6 * sizeof(float));
    unsigned short *idx = malloc((size_t)12 * seg * sizeof *idx);
    if (v && idx) {
        int ni = 0;
        m->nverts = make_arrow(v, idx, &ni, seg, shaft_r, head_r, head_len);
        glGenBuffers(1, &m->vbo);
        glBindBuffer(GL_ARRAY_BUFFER, m->vbo);
        glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)m->nverts * 6 * (GLsizeiptr)sizeof(float), v,
                     GL_STATIC_DRAW);
        glGenBuffers(1, &m->ibo);
        m->idx_data = idx;
        m->vert_data = v;
        m->nidx = ni;
        idx = NULL;
        v = NULL;
    }
    free(v);
    free(idx);
}

/* VAO: mesh attributes 0, 1 and per-instance attributes 2, 3, 4 (position, direction, value:
 * 7 floats, in a stride of `stride` floats). */
static GLuint make_inst_vao(const viz_arrow_mesh *m, GLuint inst, int stride)
{
    const GLsizei st = stride * (GLsizei)sizeof(float);
    GLuint vao;
    glGenVertexArrays(1, &vao);
    glBindVertexArray(vao);
    glBindBuffer(GL_ARRAY_BUFFER, m->vbo);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, 6 * sizeof(float), (void *)0);
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, 6 * sizeof(float), (void *)(3 * sizeof(float)));
    glBindBuffer(GL_ARRAY_BUFFER, inst);
    glEnableVertexAttribArray(2);
    glVertexAttribPointer(2, 3, GL_FLOAT, GL_FALSE, st, (void *)0);
    glVertexAttribDivisor(2, 1);
    glEnableVertexAttribArray(3);
    glVertexAttribPointer(3, 3, GL_FLOAT, GL_FALSE, st, (void *)(3 * sizeof(float)));
    glVertexAttribDivisor(3, 1);
    glEnableVertexAttribArray(4);
    glVertexAttribPointer(4, 1, GL_FLOAT, GL_FALSE, st, (void *)(6 * sizeof(float)));
    glVertexAttribDivisor(4, 1);
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, m->ibo);
    glBufferData(GL_ELEMENT_ARRAY_BUFFER, (GLsizeiptr)m->nidx * (GLsizeiptr)sizeof(unsigned short),
                 m->idx_data, GL_STATIC_DRAW);
    glBindVertexArray(0);
    return vao;
}

#ifndef FR_GLES
/* Impostors: the particle buffer is also a buffer texture; triangles from gl_VertexID alone (a
 * VAO without attributes). */
static void impostor_init(viz_renderer *r)
{
    glGenTextures(1, &r->imp_tex);
    glBindTexture(GL_TEXTURE_BUFFER, r->imp_tex);
    glTexBuffer(GL_TEXTURE_BUFFER, GL_RGBA32F, r->part_inst);
    glBindTexture(GL_TEXTURE_BUFFER, 0);
    glGenVertexArrays(1, &r->imp_vao);
    GLint texels = 0; /* GL 3.3 guarantees only 65536: then the mesh for large N */
    glGetIntegerv(GL_MAX_TEXTURE_BUFFER_SIZE, &texels);
    r->imp_max_n = texels / 2;
}

static void impostor_draw(const viz_renderer *r, int exact)
{
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_BUFFER, r->imp_tex);
    glUniform1i(r->iu[exact][IU_INST], 0);
    glBindVertexArray(r->imp_vao);
    glDrawArrays(GL_TRIANGLES, 0, 3 * r->part_n);
    glBindVertexArray(0);
    glBindTexture(GL_TEXTURE_BUFFER, 0);
}
#else
/* WebGL 2 has no buffer textures: the particle buffer's texels go into a 2D float texture,
 * IMP_TEX_W texels a row (texelFetch needs no filtering, so RGBA32F works without
 * extensions). Not instanced attributes: SwiftShader (the software WebGL of machines without a
 * GPU) pays for an instanced draw about as for one draw per instance (N = 1000 paused, arrows
 * on vs off: +41 ms a frame as instances, mesh or impostor alike). */
#define IMP_TEX_W 2048
static void impostor_init(viz_renderer *r)
{
    glGenTextures(1, &r->imp_tex);
    glBindTexture(GL_TEXTURE_2D, r->imp_tex);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glBindTexture(GL_TEXTURE_2D, 0);
    glGenVertexArrays(1, &r->imp_vao);
    GLint side = 0;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &side);
    r->imp_max_n = side >= 1 ? (int)((long long)IMP_TEX_W * (side < 16384 ? side : 16384) / 2) : 0;
}

/* The n particles' texels (2 per particle, INST_FLOATS floats) into the texture: the full rows,
 * then the part of the last row. */
static void impostor_upload(viz_renderer *r, const float *p, int n)
{
    const int texels = 2 * n, rows = (texels + IMP_TEX_W - 1) / IMP_TEX_W;
    if (n > r->imp_max_n || rows == 0)
        return;
    glBindTexture(GL_TEXTURE_2D, r->imp_tex);
    if (rows > r->imp_rows) {
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA32F, IMP_TEX_W, rows, 0, GL_RGBA, GL_FLOAT, NULL);
        r->imp_rows = rows;
    }
    const int full = texels / IMP_TEX_W, rest = texels - full * IMP_TEX_W;
    if (full > 0)
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, IMP_TEX_W, full, GL_RGBA, GL_FLOAT, p);
    if (rest > 0)
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, full, rest, 1, GL_RGBA, GL_FLOAT,
                        p + (size_t)4 * IMP_TEX_W * full);
    glBindTexture(GL_TEXTURE_2D, 0);
}

static void impostor_draw(const viz_renderer *r, int exact)
{
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, r->imp_tex);
    glUniform1i(r->iu[exact][IU_INST], 0);
    glBindVertexArray(r->imp_vao);
    glDrawArrays(GL_TRIANGLES, 0, 3 * r->part_n);
    glBindVertexArray(0);
    glBindTexture(GL_TEXTURE_2D, 0);
}
#endif

#ifdef FR_GLES
/* WebGL 2 draws the streamlines and their arrowheads without one draw per line (ES has no
 * glMultiDrawArrays) and without instancing (see impostor_init): SwiftShader pays ~50 us per
 * draw or instance (140 lines: ~14 ms a frame), and about 1 us per vertex index. The lines:
 * one GL_LINES draw of index pairs over the thinned lines (stream_thin, as on the desktop with
 * a software rasteriser), not line strips separated by primitive restarts, which SwiftShader
 * drew far slower (N = 1000, paused, the same page: 18.5 -> 24 frames/s with pairs); the
 * heads: one plain draw of the cone mesh copied per head, each vertex carrying its head's
 * attributes (the arrow program's inputs 0-4, divisor 0). */
#define FLAT_FLOATS 13 /* mesh position, normal; head position, direction, value */
static void head_flat_init(viz_renderer *r)
{
    glGenVertexArrays(1, &r->head_flat_vao);
    glGenBuffers(2, r->head_flat_buf);
    glBindVertexArray(r->head_flat_vao);
    glBindBuffer(GL_ARRAY_BUFFER, r->head_flat_buf[0]);
    static const int size[5] = {3, 3, 3, 3, 1}, at[5] = {0, 3, 6, 9, 12};
    for (int k = 0; k < 5; k++) {
        glEnableVertexAttribArray((GLuint)k);
        glVertexAttribPointer((GLuint)k, size[k], GL_FLOAT, GL_FALSE, FLAT_FLOATS * sizeof(float),
                              (void *)(at[k] * sizeof(float)));
    }
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, r->head_flat_buf[1]);
    glBindVertexArray(0);
}

/* The lines' index buffer (bound to stream_vao): a pair per segment of the lines as uploaded
 * (stream_first, stream_count). */
static void stream_segments(viz_renderer *r)
{
    long cap = 0;
    for (int k = 0; k < r->stream_lines; k++)
        cap += r->stream_count[k] > 1 ? 2 * (r->stream_count[k] - 1) : 0;
    GLuint *li = malloc((size_t)(cap + 1) * sizeof *li), *q = li;
    r->stream_nidx = 0;
    if (!li)
        return;
    for (int k = 0; k < r->stream_lines; k++) {
        const int a = r->stream_first[k], b = a + r->stream_count[k] - 1;
        for (int j = a; j < b; j++) {
            *q++ = (GLuint)j;
            *q++ = (GLuint)(j + 1);
        }
    }
    glBindVertexArray(r->stream_vao);
    glBufferData(GL_ELEMENT_ARRAY_BUFFER, (GLsizeiptr)(q - li) * (GLsizeiptr)sizeof *li, li,
                 GL_STREAM_DRAW);
    glBindVertexArray(0);
    r->stream_nidx = (int)(q - li);
    free(li);
}

/* The heads' cone mesh, one copy per head. */
static void head_copies(viz_renderer *r, const viz_streams *s)
{
    const viz_arrow_mesh *m = &r->head_mesh;
    const size_t nv = (size_t)s->nheads * (size_t)m->nverts, ni = (size_t)s->nheads * (size_t)m->nidx;
    GLuint *hi = malloc((ni + 1) * sizeof *hi);
    float *hv = malloc((nv + 1) * FLAT_FLOATS * sizeof *hv);
    r->head_flat_nidx = 0;
    if (hi && hv) {
        for (int h = 0; h < s->nheads; h++) {
            for (int j = 0; j < m->nverts; j++) {
                float *o = hv + ((size_t)h * (size_t)m->nverts + (size_t)j) * FLAT_FLOATS;
                memcpy(o, m->vert_data + 6 * j, 6 * sizeof(float));
                memcpy(o + 6, s->heads + 7 * h, 7 * sizeof(float));
            }
            for (int j = 0; j < m->nidx; j++)
                hi[(size_t)h * (size_t)m->nidx + (size_t)j] = (GLuint)(h * m->nverts + m->idx_data[j]);
        }
        glBindVertexArray(r->head_flat_vao);
        glBindBuffer(GL_ARRAY_BUFFER, r->head_flat_buf[0]);
        glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)(nv * FLAT_FLOATS * sizeof *hv), hv, GL_STREAM_DRAW);
        glBufferData(GL_ELEMENT_ARRAY_BUFFER, (GLsizeiptr)(ni * sizeof *hi), hi, GL_STREAM_DRAW);
        glBindVertexArray(0);
        r->head_flat_nidx = (int)ni;
    }
    free(hi);
    free(hv);
}
#endif

int render_init(viz_renderer *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->arrow_prog = viz_load_program("arrow", err, errlen);
    if (!r->arrow_prog)
        return -1;
    r->line_prog = viz_load_program("line", err, errlen);
    if (!r->line_prog)
        return -1;
    r->stream_prog = viz_load_program("stream", err, errlen);
    if (!r->stream_prog)
        return -1;
    r->a_vp = glGetUniformLocation(r->arrow_prog, "u_viewproj");
    r->a_scale = glGetUniformLocation(r->arrow_prog, "u_scale");
    r->a_mode = glGetUniformLocation(r->arrow_prog, "u_mode");
    r->a_color = glGetUniformLocation(r->arrow_prog, "u_color");
    r->a_light = glGetUniformLocation(r->arrow_prog, "u_light");
    r->a_eye = glGetUniformLocation(r->arrow_prog, "u_eye_dir");
    r->a_shape = glGetUniformLocation(r->arrow_prog, "u_shape");
    static const char *IMP_U[IMP_NU] = {"u_inst", "u_viewproj", "u_eye", "u_scale", "u_mode",
                                        "u_color", "u_shape", "u_shaft_r", "u_head_r",
                                        "u_head_len", "u_light", "u_half",
                                        "u_proj_z"};
    static const char *IMP_DEFS[2] = {"", "#define FR_EXACT_DEPTH 1\n"};
    for (int e = 0; e < 2; e++) {
        r->imp_prog[e] = viz_load_program_defs("impostor", IMP_DEFS[e], err, errlen);
        if (!r->imp_prog[e])
            return -1;
        for (int k = 0; k < IMP_NU; k++)
            r->iu[e][k] = glGetUniformLocation(r->imp_prog[e], IMP_U[k]);
    }
    r->arrow_mode = ARROWS_AUTO;
    r->l_vp = glGetUniformLocation(r->line_prog, "u_viewproj");
    r->s_vp = glGetUniformLocation(r->stream_prog, "u_viewproj");
    r->s_time = glGetUniformLocation(r->stream_prog, "u_time");
    r->s_dash = glGetUniformLocation(r->stream_prog, "u_dash");

    /* LOD: 8-sided arrow (30 triangles), 5-sided (18), 3-sided cone (4); the impostors are the
     * 8-sided arrow's exact shape */
    upload_mesh(&r->mesh[0], 8, SHAFT_R, HEAD_R, HEAD_LEN);
    upload_mesh(&r->mesh[1], 5, 0.10f, 0.24f, 0.42f);
    upload_mesh(&r->mesh[2], 3, 0.0f, 0.32f, 1.0f);
    upload_mesh(&r->head_mesh, 6, 0.0f, 0.35f, 1.0f);

    glGenBuffers(1, &r->part_inst);
    glGenBuffers(1, &r->head_inst);
    glGenBuffers(1, &r->one_inst);
    glBindBuffer(GL_ARRAY_BUFFER, r->one_inst);
    glBufferData(GL_ARRAY_BUFFER, 7 * sizeof(float), NULL, GL_DYNAMIC_DRAW);
    for (int k = 0; k < 3; k++) {
        r->part_vao[k] = make_inst_vao(&r->mesh[k], r->part_inst, INST_FLOATS);
        r->one_vao[k] = make_inst_vao(&r->mesh[k], r->one_inst, 7);
    }
    r->head_vao = make_inst_vao(&r->head_mesh, r->head_inst, 7);

    impostor_init(r);
    const char *cache = getenv("FERROVIZ_ARROW_CACHE");
    r->cache_state = cache && !strcmp(cache, "0") ? -1 : 0;

    glGenVertexArrays(1, &r->stream_vao);
    glGenBuffers(1, &r->stream_vbo);
    glBindVertexArray(r->stream_vao);
    glBindBuffer(GL_ARRAY_BUFFER, r->stream_vbo);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, 5 * sizeof(float), (void *)0);
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 1, GL_FLOAT, GL_FALSE, 5 * sizeof(float), (void *)(3 * sizeof(float)));
    glEnableVertexAttribArray(2);
    glVertexAttribPointer(2, 1, GL_FLOAT, GL_FALSE, 5 * sizeof(float), (void *)(4 * sizeof(float)));
#ifdef FR_GLES
    glGenBuffers(1, &r->stream_ibo);
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, r->stream_ibo);
    head_flat_init(r);
#endif

    glGenVertexArrays(1, &r->line_vao);
    glGenBuffers(1, &r->line_vbo);
    glBindVertexArray(r->line_vao);
    glBindBuffer(GL_ARRAY_BUFFER, r->line_vbo);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, 7 * sizeof(float), (void *)0);
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 4, GL_FLOAT, GL_FALSE, 7 * sizeof(float), (void *)(3 * sizeof(float)));
    glBindVertexArray(0);

    GLfloat range[2] = {1.0f, 1.0f};
    glGetFloatv(GL_ALIASED_LINE_WIDTH_RANGE, range);
    r->line_w_max = range[1];
    while (glGetError() != GL_NO_ERROR) {
    }
    return 0;
}

void render_free(viz_renderer *r)
{
    if (r->arrow_prog)
        glDeleteProgram(r->arrow_prog);
    if (r->line_prog)
        glDeleteProgram(r->line_prog);
    if (r->stream_prog)
        glDeleteProgram(r->stream_prog);
    for (int e = 0; e < 2; e++)
        if (r->imp_prog[e])
            glDeleteProgram(r->imp_prog[e]);
    glDeleteTextures(1, &r->imp_tex);
    glDeleteVertexArrays(1, &r->imp_vao);
    if (r->cache_fbo) {
        glDeleteFramebuffers(1, &r->cache_fbo);
        glDeleteRenderbuffers(2, r->cache_rb);
    }
    for (int k = 0; k < 3; k++) {
        glDeleteBuffers(1, &r->mesh[k].vbo);
        glDeleteBuffers(1, &r->mesh[k].ibo);
        free(r->mesh[k].idx_data);
        free(r->mesh[k].vert_data);
        glDeleteVertexArrays(1, &r->part_vao[k]);
        glDeleteVertexArrays(1, &r->one_vao[k]);
    }
    glDeleteBuffers(1, &r->head_mesh.vbo);
    glDeleteBuffers(1, &r->head_mesh.ibo);
    free(r->head_mesh.idx_data);
    free(r->head_mesh.vert_data);
#ifdef FR_GLES
    glDeleteBuffers(1, &r->stream_ibo);
    glDeleteVertexArrays(1, &r->head_flat_vao);
    glDeleteBuffers(2, r->head_flat_buf);
#endif
    glDeleteBuffers(1, &r->part_inst);
    glDeleteBuffers(1, &r->head_inst);
    glDeleteBuffers(1, &r->one_inst);
    glDeleteVertexArrays(1, &r->head_vao);
    glDeleteVertexArrays(1, &r->stream_vao);
    glDeleteBuffers(1, &r->stream_vbo);
    glDeleteVertexArrays(1, &r->line_vao);
    glDeleteBuffers(1, &r->line_vbo);
    free(r->inst);
    free(r->sorted);
    free(r->sort_key);
    free(r->stream_first);
    free(r->stream_count);
    free(r->lines);
    free(r->stream_thin);
    memset(r, 0, sizeof *r);
}

static float *staging(float **buf, int *cap, int n)
{
    if (n > *cap) {
        float *b = realloc(*buf, (size_t)n * sizeof(float));
        if (!b)
            return NULL;
        *buf = b;
        *cap = n;
    }
    return *buf;
}

void render_set_particles(viz_renderer *r, const viz_snapshot *s, int mode)
{
    const int n = s->n;
    float *p = staging(&r->inst, &r->inst_cap, INST_FLOATS * (n > 0 ? n : 1));
    if (!p)
        return;
    for (int i = 0; i < n; i++) {
        float *q = p + INST_FLOATS * i;
        memcpy(q, s->pos + 3 * i, 3 * sizeof(float));
        memcpy(q + 3, s->xi + 3 * i, 3 * sizeof(float));
        q[6] = mode == COLOUR_AVG ? s->avg[i] : mode == COLOUR_M0 ? s->m0[i] : (float)s->sigma[i];
        q[7] = 0.0f;
    }
    r->part_n = n;
    r->part_version++;
    /* level of detail of the mesh: llvmpipe draws ~4-5 M triangles/s */
    r->lod = n <= 2000 ? 0 : n <= 5000 ? 1 : 2;
    r->arrow_scale = render_arrow_scale(n);
}

/* The particles front to back (distance from the eye in SORT_BINS bins of a counting sort:
 * nearly sorted is enough) into the instance buffer, before each drawing of the arrows (a new
 * snapshot or a new view; the arrow cache spares the frames in between). In this order an
 * arrow hidden behind nearer ones fails the depth test before its fragments are shaded
 * (llvmpipe tests first when the shader writes no depth): N = 2e4 at 1280x720 covers each pixel
 * of the cloud ~5 times. */
#define SORT_BINS 4096
/* Returns 0 when memory ran out: the buffer then holds fewer than part_n particles, and the
 * caller must not draw them. */
static int upload_sorted(viz_renderer *r, const float eye[3])
{
    const int n = r->part_n;
    float *out = staging(&r->sorted, &r->sorted_cap, INST_FLOATS * (n > 0 ? n : 1));
    if (n > r->sort_cap) {
        int *k = realloc(r->sort_key, (size_t)n * sizeof *k);
        if (!k)
            return 0;
        r->sort_key = k;
        r->sort_cap = n;
    }
    if (!out)
        return 0;
    if (n <= 0)
        return 1;
    float dmin = INFINITY, dmax = 0.0f;
    for (int i = 0; i < n; i++) { /* the distances first, in the keys' place */
        const float *q = r->inst + INST_FLOATS * i;
        const float dx = q[0] - eye[0], dy = q[1] - eye[1], dz = q[2] - eye[2];
        const float d = sqrtf(dx * dx + dy * dy + dz * dz);
        memcpy(&r->sort_key[i], &d, sizeof d);
        dmin = fminf(dmin, d);
        dmax = fmaxf(dmax, d);
    }
    const float scale = dmax > dmin ? (float)(SORT_BINS - 1) / (dmax - dmin) : 0.0f;
    int count[SORT_BINS + 1] = {0};
    for (int i = 0; i < n; i++) {
        float d;
        memcpy(&d, &r->sort_key[i], sizeof d);
        const float f = (d - dmin) * scale; /* NaN (a blown-up state): bin 0, no UB cast */
        r->sort_key[i] = f >= (float)(SORT_BINS - 1) ? SORT_BINS - 1 : f >= 0.0f ? (int)f : 0;
        count[r->sort_key[i] + 1]++;
    }
    for (int b = 0; b < SORT_BINS; b++)
        count[b + 1] += count[b];
    for (int i = 0; i < n; i++)
        memcpy(out + (size_t)INST_FLOATS * (size_t)count[r->sort_key[i]]++,
               r->inst + (size_t)INST_FLOATS * (size_t)i, INST_FLOATS * sizeof(float));
    const GLsizeiptr bytes = (GLsizeiptr)n * INST_FLOATS * (GLsizeiptr)sizeof(float);
    glBindBuffer(GL_ARRAY_BUFFER, r->part_inst);
    if (n > r->part_cap) {
        glBufferData(GL_ARRAY_BUFFER, bytes, out, GL_STREAM_DRAW);
        r->part_cap = n;
    } else {
        glBufferSubData(GL_ARRAY_BUFFER, 0, bytes, out);
    }
#ifdef FR_GLES
    impostor_upload(r, out, n);
#endif
    return 1;
}

int render_uses_impostors(const viz_renderer *r)
{
    if (r->part_n > r->imp_max_n)
        return 0;
    return r->arrow_mode == ARROWS_IMPOSTOR ||
           (r->arrow_mode == ARROWS_AUTO && r->part_n > IMPOSTOR_AUTO_N);
}

const char *render_arrow_mode_name(int mode)
{
    return mode == ARROWS_MESH ? "mesh" : mode == ARROWS_IMPOSTOR ? "impostor" : "auto";
}

static void draw_impostors(viz_renderer *r, const viz_render_view *v, const viz_scene_opts *o,
                           const float light[3], const float eye_dir[3])
{
    float st, sa;
    render_arrow_shape(o->aspect, &st, &sa);
    const int exact = r->part_n <= IMPOSTOR_EXACT_N;
    const GLint *iu = r->iu[exact];
    glUseProgram(r->imp_prog[exact]);
    glUniformMatrix4fv(iu[IU_VP], 1, GL_FALSE, (const float *)v->vp);
    glUniform3fv(iu[IU_EYE], 1, v->eye);
    glUniform1f(iu[IU_SCALE], r->arrow_scale);
    glUniform1i(iu[IU_MODE], o->mode == COLOUR_SPIN ? 0 : 1);
    glUniform3f(iu[IU_COLOR], 1.0f, 1.0f, 1.0f);
    glUniform2f(iu[IU_SHAPE], st, sa);
    glUniform1f(iu[IU_SHAFT_R], SHAFT_R);
    glUniform1f(iu[IU_HEAD_R], HEAD_R);
    glUniform1f(iu[IU_HEAD_LEN], HEAD_LEN);
    glUniform3fv(iu[IU_LIGHT], 1, light);
    vec3 half;
    glm_vec3_add((float *)light, (float *)eye_dir, half);
    glm_vec3_normalize(half);
    glUniform3fv(iu[IU_HALF], 1, half);
    glUniform2f(iu[IU_PROJ_Z], v->proj[2][2], v->proj[3][2]);
    impostor_draw(r, exact);
}

float render_arrow_scale(int n) { return n > 0 ? (float)(1.3 * pow((double)n, -1.0 / 3.0)) : 0.1f; }

void render_arrow_shape(double aspect, float *transverse, float *axial)
{
    *transverse = *axial = 1.0f;
    if (!(aspect > 0.0) || aspect == 1.0)
        return;
    if (aspect > 1.0) { /* prolate: a thin needle (a = 10: a quarter of the sphere's width) */
        *transverse = (float)pow(aspect, -0.6);
    } else {            /* oblate: a flat, wide disc-like arrow */
        *transverse = (float)pow(aspect, -0.3);
        *axial = (float)pow(aspect, 0.5);
    }
}

/* Squared distance of point p from the segment a-b (x, y, z: the first 3 floats of each). */
static float seg_dist2(const float *p, const float *a, const float *b)
{
    float ab[3], ap[3], ab2 = 0.0f, t = 0.0f;
    for (int c = 0; c < 3; c++) {
        ab[c] = b[c] - a[c];
        ap[c] = p[c] - a[c];
        ab2 += ab[c] * ab[c];
        t += ab[c] * ap[c];
    }
    t = ab2 > 0.0f ? fminf(fmaxf(t / ab2, 0.0f), 1.0f) : 0.0f;
    float d2 = 0.0f;
    for (int c = 0; c < 3; c++) {
        const float d = ap[c] - t * ab[c];
        d2 += d * d;
    }
    return d2;
}

/* Whether the traced vertices between i and j (5 floats each) all lie within tol of the chord
 * i-j. */
static int chord_fits(const float *v, int i, int j, float tol2)
{
    for (int m = i + 1; m < j; m++)
        if (seg_dist2(v + 5 * m, v + 5 * i, v + 5 * j) > tol2)
            return 0;
    return 1;
}

/* Each line thinned into a staging buffer (x, y, z, speed, arc: the dashes follow the arc
 * length, so they stay where they were): from each kept vertex on, the farthest of the next
 * max_skip traced vertices whose chord passes within STREAM_TOL of the vertices it skips (else
 * the next one), and each line's last; the lines' first and count as drawn. The vertex count,
 * or -1 when out of memory. With max_skip 4, the default view at N = 2e4 keeps ~3000 of ~6800
 * traced vertices, every chord within 0.02 of the curve; every other vertex kept ~3500, off by
 * up to 0.055 where the lines bend most (0.012 on average). */
#define STREAM_TOL 0.02f
static int stream_thin(viz_renderer *r, const viz_streams *s, int max_skip)
{
    float *o = staging(&r->stream_thin, &r->stream_thin_cap, 5 * (s->nverts > 0 ? s->nverts : 1));
    if (!o)
        return -1;
    int n = 0;
    for (int k = 0; k < s->nlines; k++) {
        const int a = s->first[k], b = a + s->count[k] - 1;
        r->stream_first[k] = n;
        for (int j = a;;) {
            memcpy(o + 5 * n++, s->verts + 5 * j, 5 * sizeof(float));
            if (j >= b)
                break;
            int next = j + 1;
            for (int q = j + 2; q <= j + max_skip && q <= b; q++)
                if (chord_fits(s->verts, j, q, STREAM_TOL * STREAM_TOL))
                    next = q;
            j = next;
        }
        r->stream_count[k] = n - r->stream_first[k];
    }
    return n;
}

void render_set_streams(viz_renderer *r, const viz_streams *s)
{
    if (s->nlines > r->stream_lcap) {
        GLint *f = realloc(r->stream_first, (size_t)s->nlines * sizeof *f);
        if (f)
            r->stream_first = f;
        GLsizei *c = realloc(r->stream_count, (size_t)s->nlines * sizeof *c);
        if (c)
            r->stream_count = c;
        if (!f || !c) {
            r->stream_lines = 0;
            return;
        }
        r->stream_lcap = s->nlines;
    }
    /* a software rasteriser pays per wide line segment (llvmpipe ~1.2 us of CPU at 1280x720,
     * software WebGL ~1 us per vertex index): fewer vertices where the lines run straight (the
     * trace steps 0.6 grid spacings) */
    const int thin = r->stream_skip > 1 ? stream_thin(r, s, r->stream_skip) : -1;
    if (thin < 0)
        for (int i = 0; i < s->nlines; i++) {
            r->stream_first[i] = s->first[i];
            r->stream_count[i] = s->count[i];
        }
    glBindBuffer(GL_ARRAY_BUFFER, r->stream_vbo);
    glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)(thin < 0 ? s->nverts : thin) * 5 * (GLsizeiptr)sizeof(float),
                 thin < 0 ? s->verts : r->stream_thin, GL_STREAM_DRAW);
    r->stream_lines = s->nlines;
    r->stream_verts = thin < 0 ? s->nverts : thin;
#ifdef FR_GLES
    stream_segments(r);
    head_copies(r, s);
#endif
    glBindBuffer(GL_ARRAY_BUFFER, r->head_inst);
    glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)s->nheads * 7 * (GLsizeiptr)sizeof(float),
                 s->heads, GL_STREAM_DRAW);
    r->head_n = s->nheads;
    r->stream_version++;
}

/* ---- lines ---- */

static void line_vert(viz_renderer *r, const float p[3], const float c[4])
{
    float *b = staging(&r->lines, &r->line_cap, 7 * (r->line_n + 1));
    if (!b)
        return;
    float *q = b + 7 * r->line_n++;
    memcpy(q, p, 3 * sizeof(float));
    memcpy(q + 3, c, 4 * sizeof(float));
}

static void line_seg(viz_renderer *r, const float a[3], const float b[3], const float c[4])
{
    line_vert(r, a, c);
    line_vert(r, b, c);
}

static void draw_lines(viz_renderer *r, const float *vp, float width)
{
    if (r->line_n == 0)
        return;
    glUseProgram(r->line_prog);
    glUniformMatrix4fv(r->l_vp, 1, GL_FALSE, vp);
    glBindVertexArray(r->line_vao);
    glBindBuffer(GL_ARRAY_BUFFER, r->line_vbo);
    glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)r->line_n * 7 * (GLsizeiptr)sizeof(float), r->lines,
                 GL_STREAM_DRAW);
    glLineWidth(fminf(width, r->line_w_max));
    glDrawArrays(GL_LINES, 0, r->line_n);
    glLineWidth(1.0f);
    r->line_n = 0;
}

static void circle(viz_renderer *r, int axis, float radius, float offset, const float c[4])
{
    const int seg = 96;
    for (int i = 0; i < seg; i++) {
        float p[2][3];
        for (int k = 0; k < 2; k++) {
            const double a = 2.0 * M_PI * (i + k) / seg;
            const float u = radius * (float)cos(a), v = radius * (float)sin(a);
            if (axis == 2) {
                p[k][0] = u;
                p[k][1] = v;
                p[k][2] = offset;
            } else if (axis == 1) {
                p[k][0] = u;
                p[k][1] = offset;
                p[k][2] = v;
            } else {
                p[k][0] = offset;
                p[k][1] = u;
                p[k][2] = v;
            }
        }
        line_seg(r, p[0], p[1], c);
    }
}

static void draw_one_arrow(viz_renderer *r, const float *vp, const float pos[3], const float dir[3],
                           float scale, const float color[3], const float eye_dir[3])
{
    const float inst[7] = {pos[0], pos[1], pos[2], dir[0], dir[1], dir[2], 0.0f};
    glBindBuffer(GL_ARRAY_BUFFER, r->one_inst);
    glBufferSubData(GL_ARRAY_BUFFER, 0, sizeof inst, inst);
    glUseProgram(r->arrow_prog);
    glUniformMatrix4fv(r->a_vp, 1, GL_FALSE, vp);
    glUniform1f(r->a_scale, scale);
    glUniform1i(r->a_mode, 3);
    glUniform3fv(r->a_color, 1, color);
    glUniform3fv(r->a_eye, 1, eye_dir);
    glUniform2f(r->a_shape, 1.0f, 1.0f);
    glBindVertexArray(r->one_vao[0]);
    glDrawElementsInstanced(GL_TRIANGLES, r->mesh[0].nidx, GL_UNSIGNED_SHORT, NULL, 1);
    glBindVertexArray(0);
}

/* The particle arrows: impostors or the instanced mesh at its level of detail. Leaves the
 * arrow program in use. */
static void draw_arrows(viz_renderer *r, const viz_render_view *v, const viz_scene_opts *o,
                        const float light[3], const float fwd[3])
{
    if (!upload_sorted(r, v->eye)) { /* out of memory: no arrows this frame, no bad read */
        glUseProgram(r->arrow_prog);
        return;
    }
    if (render_uses_impostors(r)) {
        draw_impostors(r, v, o, light, fwd);
        glUseProgram(r->arrow_prog);
        return;
    }
    glUseProgram(r->arrow_prog);
    glUniformMatrix4fv(r->a_vp, 1, GL_FALSE, (const float *)v->vp);
    glUniform1f(r->a_scale, r->arrow_scale);
    glUniform1i(r->a_mode, o->mode == COLOUR_SPIN ? 0 : 1);
    float st, sa;
    render_arrow_shape(o->aspect, &st, &sa);
    glUniform2f(r->a_shape, st, sa);
    glBindVertexArray(r->part_vao[r->lod]);
    glDrawElementsInstanced(GL_TRIANGLES, r->mesh[r->lod].nidx, GL_UNSIGNED_SHORT, NULL,
                            r->part_n);
    glBindVertexArray(0);
}

/* ---- the arrow cache ----
 * The arrows are most of a frame's cost at large N, yet change only with a new snapshot (a few
 * per second at N = 2e4), the camera or the drawing options. After drawing them, the view's
 * colour (background and arrows) and depth are copied into a framebuffer object; while nothing
 * they depend on changed, the next frames copy them back instead of drawing the arrows, and
 * everything else (streamlines, their moving dashes, lines, HUD) is drawn on top as before. The
 * depth format must match the window's for the copy; if it does not, or a copy fails, the cache
 * turns itself off. FERROVIZ_ARROW_CACHE=0 turns it off (benchmarks of the drawing). Used from
 * ARROW_CACHE_N particles on: the two copies cost llvmpipe ~2.5 ms a frame at 1280x720, more
 * than the arrows below that (N = 2e4 with a still camera: 28 -> 55 fps; N = 1000: 72 -> 60). */
#define ARROW_CACHE_N 4000
typedef struct cache_key {
    float vp[16];
    int x, y, w, h, mode, impostors, lod, n;
    uint64_t version, stream_version; /* the particles; the heads (0 when not drawn) */
    double aspect, radius;
    double magnet[6];                 /* position, moment (0 without a magnet) */
    float line_scale;
    int sphere, axes;
} cache_key;

_Static_assert(sizeof(cache_key) <= sizeof(((viz_renderer *)0)->cache_key), "cache_key too big");

static void make_key(const viz_renderer *r, const viz_render_view *v, const viz_scene_opts *o, cache_key *k)
{
    memset(k, 0, sizeof *k); /* padding too: keys are compared with memcmp */
    memcpy(k->vp, v->vp, sizeof k->vp);
    k->x = v->x;
    k->y = v->y;
    k->w = v->w;
    k->h = v->h;
    k->mode = o->mode;
    k->impostors = render_uses_impostors(r);
    k->lod = r->lod;
    k->n = r->part_n;
    k->version = r->part_version;
    k->aspect = o->aspect;
    k->line_scale = o->line_scale; /* lecture mode: another background */
    k->stream_version = o->streams && r->head_n > 0 ? r->stream_version : 0;
    k->radius = o->radius;
    k->sphere = o->sphere;
    k->axes = o->axes;
    if (o->field && o->field->has_magnet) {
        memcpy(k->magnet, o->field->magnet_p, 3 * sizeof(double));
        memcpy(k->magnet + 3, o->field->magnet_m, 3 * sizeof(double));
    }
}

int render_caches(const viz_renderer *r, int arrows)
{
    return arrows && r->part_n >= ARROW_CACHE_N && r->cache_state >= 0;
}

/* Whether the cache holds the depth a restore needs: all of it, or, while the window kept the
 * cache's own (cache_depth_ok), the gizmo's box as it is now. */
static int cache_depth_usable(const viz_renderer *r)
{
    if (r->cache_depth_full)
        return 1;
    return r->keep_depth && r->cache_depth_ok &&
           !memcmp(r->cache_depth_box, r->cache_box_stored, sizeof r->cache_box_stored);
}

int render_scene_cached(const viz_renderer *r, const viz_render_view *v, const viz_scene_opts *o)
{
    if (!o->arrows || r->part_n < ARROW_CACHE_N || r->cache_state != 1 || !cache_depth_usable(r))
        return 0;
    cache_key k;
    make_key(r, v, o, &k);
    return !memcmp(&k, r->cache_key, sizeof k);
}

/* The cache's depth in the gizmo's box (which the gizmo cleared), clipped to the view. */
static void restore_depth_box(viz_renderer *r, const viz_render_view *v)
{
    const int *b = r->cache_depth_box;
    const int x0 = b[0] > v->x ? b[0] : v->x, y0 = b[1] > v->y ? b[1] : v->y;
    const int x1 = b[0] + b[2] < v->x + v->w ? b[0] + b[2] : v->x + v->w;
    const int y1 = b[1] + b[3] < v->y + v->h ? b[1] + b[3] : v->y + v->h;
    if (x1 > x0 && y1 > y0)
        glBlitFramebuffer(x0 - v->x, y0 - v->y, x1 - v->x, y1 - v->y, x0, y0, x1, y1,
                          GL_DEPTH_BUFFER_BIT, GL_NEAREST);
}

static int cache_restore(viz_renderer *r, const viz_render_view *v, const viz_scene_opts *o)
{
    cache_key k;
    make_key(r, v, o, &k);
    const int same = !memcmp(&k, r->cache_key, sizeof k);
    if (r->cache_state != 1 || !same || !cache_depth_usable(r)) {
        /* a miss: worth a copy after a hit (one change) or when the key stayed the same (the
         * camera stopped), not while it changes every frame (dragging, a fast simulation) */
        r->cache_wanted = same || r->cache_misses == 0;
        r->cache_misses++;
        memcpy(r->cache_key, &k, sizeof k);
        r->cache_state = r->cache_state < 0 ? -1 : 0;
        return 0;
    }
    r->cache_misses = 0;
    glBindFramebuffer(GL_READ_FRAMEBUFFER, r->cache_fbo);
    /* llvmpipe copies colour and depth at ~4.5 ms of CPU each (1280x720); the depth is still
     * in the window when nothing but the gizmo wrote it since */
    const int depth = !(r->keep_depth && r->cache_depth_ok);
    glBlitFramebuffer(0, 0, v->w, v->h, v->x, v->y, v->x + v->w, v->y + v->h,
                      GL_COLOR_BUFFER_BIT | (depth ? GL_DEPTH_BUFFER_BIT : 0), GL_NEAREST);
    if (!depth)
        restore_depth_box(r, v);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    r->cache_depth_ok = 1;
    return 1;
}

/* The window's colour, and its depth (all of it when full_depth, else the gizmo's box: the
 * window keeps its depth across frames), into the cache. */
static void cache_store(viz_renderer *r, const viz_render_view *v, int full_depth)
{
    if (r->cache_state < 0 || !r->cache_wanted || v->w <= 0 || v->h <= 0)
        return;
    r->cache_state = 0;
    while (glGetError() != GL_NO_ERROR) {
    }
    if (!r->cache_fbo || r->cache_w != v->w || r->cache_h != v->h) {
        if (!r->cache_fbo) {
            /* a depth buffer of the window's format (the copy needs the same) */
            GLint depth = 0, stencil = 0, type = 0;
            glBindFramebuffer(GL_FRAMEBUFFER, 0);
            glGetFramebufferAttachmentParameteriv(GL_FRAMEBUFFER, GL_DEPTH,
                                                  GL_FRAMEBUFFER_ATTACHMENT_COMPONENT_TYPE, &type);
            glGetFramebufferAttachmentParameteriv(GL_FRAMEBUFFER, GL_DEPTH,
                                                  GL_FRAMEBUFFER_ATTACHMENT_DEPTH_SIZE, &depth);
            glGetFramebufferAttachmentParameteriv(GL_FRAMEBUFFER, GL_STENCIL,
                                                  GL_FRAMEBUFFER_ATTACHMENT_STENCIL_SIZE, &stencil);
            const int fl = type == GL_FLOAT;
            r->cache_depth_fmt = stencil == 8 && depth == 24 && !fl  ? GL_DEPTH24_STENCIL8
                                 : stencil == 8 && depth == 32 && fl ? GL_DEPTH32F_STENCIL8
                                 : stencil != 0                      ? 0
                                 : depth == 32 && fl                 ? GL_DEPTH_COMPONENT32F
#ifndef FR_GLES /* ES has no 32-bit normalised depth */
                                 : depth == 32                       ? GL_DEPTH_COMPONENT32
#endif
                                 : depth == 24                       ? GL_DEPTH_COMPONENT24
                                 : depth == 16                       ? GL_DEPTH_COMPONENT16
                                                                     : 0;
            while (glGetError() != GL_NO_ERROR) { /* a query Mesa refuses: the copy tells */
            }
            if (!r->cache_depth_fmt) {
                r->cache_state = -1;
                return;
            }
            glGenFramebuffers(1, &r->cache_fbo);
            glGenRenderbuffers(2, r->cache_rb);
        }
        glBindRenderbuffer(GL_RENDERBUFFER, r->cache_rb[0]);
        glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, v->w, v->h);
        glBindRenderbuffer(GL_RENDERBUFFER, r->cache_rb[1]);
        glRenderbufferStorage(GL_RENDERBUFFER, (GLenum)r->cache_depth_fmt, v->w, v->h);
        glBindRenderbuffer(GL_RENDERBUFFER, 0);
        glBindFramebuffer(GL_FRAMEBUFFER, r->cache_fbo);
        glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER,
                                  r->cache_rb[0]);
        glFramebufferRenderbuffer(GL_FRAMEBUFFER,
                                  r->cache_depth_fmt == GL_DEPTH24_STENCIL8 ||
                                          r->cache_depth_fmt == GL_DEPTH32F_STENCIL8
                                      ? GL_DEPTH_STENCIL_ATTACHMENT
                                      : GL_DEPTH_ATTACHMENT,
                                  GL_RENDERBUFFER, r->cache_rb[1]);
        const GLenum st = glCheckFramebufferStatus(GL_FRAMEBUFFER);
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
        if (st != GL_FRAMEBUFFER_COMPLETE) {
            r->cache_state = -1;
            return;
        }
        r->cache_w = v->w;
        r->cache_h = v->h;
    }
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, r->cache_fbo);
    glBlitFramebuffer(v->x, v->y, v->x + v->w, v->y + v->h, 0, 0, v->w, v->h,
                      GL_COLOR_BUFFER_BIT | (full_depth ? GL_DEPTH_BUFFER_BIT : 0), GL_NEAREST);
    const int *b = r->cache_depth_box;
    const int x0 = b[0] > v->x ? b[0] : v->x, y0 = b[1] > v->y ? b[1] : v->y;
    const int x1 = b[0] + b[2] < v->x + v->w ? b[0] + b[2] : v->x + v->w;
    const int y1 = b[1] + b[3] < v->y + v->h ? b[1] + b[3] : v->y + v->h;
    if (!full_depth && x1 > x0 && y1 > y0)
        glBlitFramebuffer(x0, y0, x1, y1, x0 - v->x, y0 - v->y, x1 - v->x, y1 - v->y,
                          GL_DEPTH_BUFFER_BIT, GL_NEAREST);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    const GLenum e = glGetError();
    r->cache_state = e == GL_NO_ERROR ? 1 : -1;
    r->cache_depth_ok = 1; /* the window's depth is the cache's: what was just drawn */
    r->cache_depth_full = full_depth;
    memcpy(r->cache_box_stored, r->cache_depth_box, sizeof r->cache_box_stored);
}

/* Light from the upper left of the viewer, in world space; fwd: towards the viewer. */
static void scene_light(const viz_render_view *v, vec3 light, vec3 fwd)
{
    vec3 right, up;
    glm_vec3_sub((float *)v->eye, (vec3){0, 0, 0}, fwd);
    glm_vec3_normalize(fwd);
    const vec3 zup = {0, 0, 1};
    glm_vec3_cross((float *)zup, fwd, right);
    if (glm_vec3_norm(right) < 1e-6f)
        glm_vec3_copy((vec3){1, 0, 0}, right);
    glm_vec3_normalize(right);
    glm_vec3_cross(fwd, right, up);
    for (int c = 0; c < 3; c++)
        light[c] = 0.75f * fwd[c] - 0.35f * right[c] + 0.55f * up[c];
    glm_vec3_normalize(light);
}

/* The magnet: a steel-grey arrow along its moment. */
static void draw_magnet(viz_renderer *r, const viz_render_view *v, const fr_field *f,
                        const vec3 fwd)
{
    const float p[3] = {(float)f->magnet_p[0], (float)f->magnet_p[1], (float)f->magnet_p[2]};
    float d[3] = {(float)f->magnet_m[0], (float)f->magnet_m[1], (float)f->magnet_m[2]};
    if (glm_vec3_norm(d) > 0.0f) {
        const float col[3] = {0.75f, 0.75f, 0.80f};
        draw_one_arrow(r, &v->vp[0][0], p, d, 0.35f, col, fwd);
    }
}

/* The streamlines' arrowheads: instanced cones coloured by speed (viridis). */
static void draw_stream_heads(viz_renderer *r, const viz_render_view *v)
{
    glUseProgram(r->arrow_prog);
    glUniformMatrix4fv(r->a_vp, 1, GL_FALSE, (const float *)v->vp);
    glUniform1f(r->a_scale, 0.075f);
    glUniform1i(r->a_mode, 2);
    glUniform2f(r->a_shape, 1.0f, 1.0f);
#ifdef FR_GLES
    glBindVertexArray(r->head_flat_vao);
    glDrawElements(GL_TRIANGLES, r->head_flat_nidx, GL_UNSIGNED_INT, NULL);
#else
    glBindVertexArray(r->head_vao);
    glDrawElementsInstanced(GL_TRIANGLES, r->head_mesh.nidx, GL_UNSIGNED_SHORT, NULL, r->head_n);
#endif
    glBindVertexArray(0);
}

/* The bounding sphere's circles and the axes (queued as lines). */
static void frame_lines(viz_renderer *r, const viz_scene_opts *o)
{
    if (o->sphere) {
        const float c[4] = {0.75f, 0.78f, 0.85f, 0.22f};
        const float R = (float)o->radius;
        circle(r, 2, R, 0.0f, c);
        circle(r, 1, R, 0.0f, c);
        circle(r, 0, R, 0.0f, c);
        const float c2[4] = {0.75f, 0.78f, 0.85f, 0.12f};
        circle(r, 2, R * 0.866f, R * 0.5f, c2);
        circle(r, 2, R * 0.866f, -R * 0.5f, c2);
    }
    if (o->axes) {
        const float O[3] = {0, 0, 0};
        const float X[3] = {1.3f, 0, 0}, Y[3] = {0, 1.3f, 0}, Z[3] = {0, 0, 1.3f};
        const float cx[4] = {0.95f, 0.45f, 0.45f, 0.8f}, cy[4] = {0.45f, 0.9f, 0.45f, 0.8f},
                    cz[4] = {0.55f, 0.65f, 1.0f, 0.8f};
        line_seg(r, O, X, cx);
        line_seg(r, O, Y, cy);
        line_seg(r, O, Z, cz);
    }
}

/* The picked particle's orientation trace: the tip of xi (on a sphere of radius R around the
 * particle) over the last 200 steps, fading into the past; and that sphere's great circles. */
static void draw_pick_trace(viz_renderer *r, const viz_render_view *v, const viz_snapshot *pk,
                            const float pos[3], float R, float ls)
{
    glDisable(GL_DEPTH_TEST);
    const int n = pk->sel_n, k0 = n > 200 ? n - 200 : 0;
    for (int k = k0 + 1; k < n; k++) {
        float a3[3], b3[3];
        for (int c = 0; c < 3; c++) {
            a3[c] = pos[c] + R * pk->sel_xi[k - 1][c];
            b3[c] = pos[c] + R * pk->sel_xi[k][c];
        }
        const float f = (float)(k - k0) / (float)(n - k0);
        const float c4[4] = {1.0f, 1.0f, 0.35f + 0.65f * f, 0.25f + 0.75f * f};
        line_seg(r, a3, b3, c4);
    }
    draw_lines(r, &v->vp[0][0], 2.5f * ls);
    const float cs[4] = {1.0f, 1.0f, 1.0f, 0.35f};
    for (int ax = 0; ax < 3; ax++) {
        const int base = r->line_n;
        circle(r, ax, R, 0.0f, cs);
        for (int q = base; q < r->line_n; q++)
            for (int c = 0; c < 3; c++)
                r->lines[7 * q + c] += pos[c];
    }
    draw_lines(r, &v->vp[0][0], 1.0f * ls);
    glEnable(GL_DEPTH_TEST);
}

static void draw_streamlines(viz_renderer *r, const viz_render_view *v, float ls)
{
    glUseProgram(r->stream_prog);
    glUniformMatrix4fv(r->s_vp, 1, GL_FALSE, (const float *)v->vp);
    glUniform1f(r->s_time, v->time);
    glUniform1f(r->s_dash, 5.0f);
    glBindVertexArray(r->stream_vao);
    glLineWidth(fminf(2.0f * ls, r->line_w_max));
#ifdef FR_GLES /* no glMultiDrawArrays in ES: segments (stream_segments) */
    glDrawElements(GL_LINES, r->stream_nidx, GL_UNSIGNED_INT, NULL);
#else
    glMultiDrawArrays(GL_LINE_STRIP, r->stream_first, r->stream_count, r->stream_lines);
#endif
    glLineWidth(1.0f);
    glBindVertexArray(0);
}

/* The picked particle on top of everything: a bright arrow 1.7x as long, yellow for spin +1,
 * light blue for -1. */
static void draw_picked_arrow(viz_renderer *r, const viz_render_view *v, const viz_snapshot *pk,
                              const float pos[3], const vec3 fwd)
{
    const int i = pk->sel;
    const float col[3] = {pk->sigma[i] > 0 ? 1.0f : 0.45f, pk->sigma[i] > 0 ? 0.95f : 0.9f,
                          pk->sigma[i] > 0 ? 0.3f : 1.0f};
    glClear(GL_DEPTH_BUFFER_BIT);
    draw_one_arrow(r, &v->vp[0][0], pos, pk->xi + 3 * i, 1.7f * r->arrow_scale, col, fwd);
}

/* What stays the same until the particles, the streamlines, the view or the options change,
 * over the background: the arrows, the magnet, the streamlines' heads, the sphere's circles and
 * the axes. The arrow cache keeps it (with a software rasteriser the heads and lines cost ~1.8
 * ms a frame at 1280x720 drawn again over the cached arrows). */
static void draw_still(viz_renderer *r, const viz_render_view *v, const viz_scene_opts *o,
                       const vec3 light, const vec3 fwd)
{
    if (o->arrows && r->part_n > 0) {
        draw_arrows(r, v, o, light, fwd);
        prof_mark(r->prof, PROF_ARROWS);
    }
    if (o->field && o->field->has_magnet)
        draw_magnet(r, v, o->field, fwd);
    if (o->streams && r->head_n > 0)
        draw_stream_heads(r, v);
    prof_mark(r->prof, PROF_HEADS);
    glEnable(GL_BLEND); /* translucent: lines without depth writes */
    glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
    glDepthMask(GL_FALSE);
    frame_lines(r, o);
    draw_lines(r, &v->vp[0][0], 1.5f * (o->line_scale > 0.0f ? o->line_scale : 1.0f));
    glDepthMask(GL_TRUE);
    glDisable(GL_BLEND);
    prof_mark(r->prof, PROF_LINES);
}

void render_scene(viz_renderer *r, const viz_render_view *v, const viz_scene_opts *o)
{
    glViewport(v->x, v->y, v->w, v->h);
    glEnable(GL_DEPTH_TEST);
    glDepthFunc(GL_LESS);
    glDisable(GL_CULL_FACE);
    vec3 light, fwd;
    scene_light(v, light, fwd);
    glUseProgram(r->arrow_prog);
    glUniform3fv(r->a_light, 1, light);
    glUniform3fv(r->a_eye, 1, fwd);

    const int arrows = o->arrows && r->part_n > 0, cache = arrows && r->part_n >= ARROW_CACHE_N;
    const viz_snapshot *pk = o->pick;
    const int picked = pk && pk->sel >= 0 && pk->sel < pk->n;
    /* (render_scene_cached must agree: the caller skipped the background on a hit) */
    if (!(cache && cache_restore(r, v, o))) {
        r->cache_depth_ok = 0; /* the caller cleared the window's depth */
        draw_still(r, v, o, light, fwd);
        /* all the depth only where the window's will not do: a picked particle's arrow
         * clears it every frame (a depth copy costs llvmpipe ~3 ms at 1280x720) */
        if (cache)
            cache_store(r, v, !r->keep_depth || picked);
        if (arrows)
            prof_mark(r->prof, PROF_ARROWS);
    } else {
        prof_mark(r->prof, PROF_CLEAR);
    }
    float pk_pos[3] = {0, 0, 0};
    if (picked)
        memcpy(pk_pos, pk->pos + 3 * pk->sel, sizeof pk_pos);
    /* translucent: lines without depth writes */
    glEnable(GL_BLEND);
    glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
    glDepthMask(GL_FALSE);
    const float ls = o->line_scale > 0.0f ? o->line_scale : 1.0f;
    if (picked)
        draw_pick_trace(r, v, pk, pk_pos, 1.6f * r->arrow_scale, ls);
    prof_mark(r->prof, PROF_LINES);
    if (o->streams && r->stream_lines > 0)
        draw_streamlines(r, v, ls);
    prof_mark(r->prof, PROF_STREAMS);
    glDepthMask(GL_TRUE);
    glDisable(GL_BLEND);
    if (picked) {
        draw_picked_arrow(r, v, pk, pk_pos, fwd);
        r->cache_depth_ok = 0;
    }
}

void render_gizmo(viz_renderer *r, const viz_render_view *mv, int x, int y, int size, int win_h,
                  const double H[3], float label_xy[4][2])
{
    /* same orientation as the main camera, orthographic, centred */
    mat4 view, proj, vp;
    glm_mat4_copy((vec4 *)mv->view, view);
    view[3][0] = view[3][1] = 0.0f;
    view[3][2] = -5.0f;
    glm_ortho(-1.35f, 1.35f, -1.35f, 1.35f, 0.1f, 10.0f, proj);
    glm_mat4_mul(proj, view, vp);

    glEnable(GL_SCISSOR_TEST);
    glScissor(x, y, size, size);
    glClear(GL_DEPTH_BUFFER_BIT);
    r->cache_depth_box[0] = x; /* the arrow cache gives this box its depth back */
    r->cache_depth_box[1] = y;
    r->cache_depth_box[2] = r->cache_depth_box[3] = size;
    glDisable(GL_SCISSOR_TEST);
    glViewport(x, y, size, size);
    glEnable(GL_DEPTH_TEST);

    const float hn = (float)sqrt(H[0] * H[0] + H[1] * H[1] + H[2] * H[2]);
    vec3 fwd;
    glm_vec3_copy((float *)mv->eye, fwd);
    glm_vec3_normalize(fwd);
    float hd[3] = {0, 0, 1};
    if (hn > 0.0f) {
        for (int c = 0; c < 3; c++)
            hd[c] = (float)H[c] / hn;
        const float L = 1.15f * (1.0f - expf(-hn));
        const float pos[3] = {hd[0] * L * 0.5f, hd[1] * L * 0.5f, hd[2] * L * 0.5f};
        const float col[3] = {1.0f, 0.85f, 0.25f};
        if (L > 0.02f)
            draw_one_arrow(r, &vp[0][0], pos, hd, L, col, fwd);
    }
    glEnable(GL_BLEND);
    glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
    const float O[3] = {0, 0, 0};
    const float X[3] = {1, 0, 0}, Y[3] = {0, 1, 0}, Z[3] = {0, 0, 1};
    const float cx[4] = {0.95f, 0.45f, 0.45f, 0.9f}, cy[4] = {0.45f, 0.9f, 0.45f, 0.9f},
                cz[4] = {0.55f, 0.65f, 1.0f, 0.9f};
    line_seg(r, O, X, cx);
    line_seg(r, O, Y, cy);
    line_seg(r, O, Z, cz);
    const float cc[4] = {0.8f, 0.8f, 0.85f, 0.25f};
    circle(r, 2, 1.0f, 0.0f, cc);
    draw_lines(r, &vp[0][0], 1.5f);
    glDisable(GL_BLEND);

    /* label positions in window pixels, origin top left */
    const float tips[4][3] = {{1.12f, 0, 0}, {0, 1.12f, 0}, {0, 0, 1.12f},
                              {hd[0] * 1.2f, hd[1] * 1.2f, hd[2] * 1.2f}};
    vec4 vpt = {(float)x, (float)y, (float)size, (float)size};
    for (int k = 0; k < 4; k++) {
        vec3 out;
        glm_project((float *)tips[k], vp, vpt, out);
        label_xy[k][0] = out[0];
        label_xy[k][1] = (float)win_h - out[1];
    }
    glViewport(mv->x, mv->y, mv->w, mv->h);
}

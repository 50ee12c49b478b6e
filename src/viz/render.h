/* render.h — the 3D scene: instanced arrows (one draw call), streamlines with arrowheads, the
 * bounding sphere, axes, the magnet, and the field gizmo. OpenGL 3.3 core. */
#ifndef VIZ_RENDER_H
#define VIZ_RENDER_H

#include "gl.h"
#include "prof.h"
#include "simthread.h"

#include <cglm/cglm.h>

enum { COLOUR_SPIN = 0, COLOUR_AVG = 1, COLOUR_M0 = 2, COLOUR_MODES = 3 };

/* How the particle arrows are drawn: automatically (impostors above IMPOSTOR_AUTO_N particles,
 * else the mesh with its level of detail), always as instanced meshes, or always as ray-cast
 * impostors (one triangle per arrow, the shape solved per pixel, exact depth). */
enum { ARROWS_AUTO = 0, ARROWS_MESH = 1, ARROWS_IMPOSTOR = 2, ARROW_MODES = 3 };
#ifdef FR_GLES /* the mesh is instanced, which software WebGL pays per instance (render.c) */
#define IMPOSTOR_AUTO_N 0
#else
#define IMPOSTOR_AUTO_N 500
#endif

enum { IU_INST, IU_VP, IU_EYE, IU_SCALE, IU_MODE, IU_COLOR, IU_SHAPE, IU_SHAFT_R, IU_HEAD_R,
       IU_HEAD_LEN, IU_LIGHT, IU_HALF, IU_PROJ_Z, IMP_NU };

typedef struct viz_render_view {
    mat4 view, proj, vp;
    vec3 eye;           /* camera position */
    int x, y, w, h;     /* viewport in drawable pixels (y from the bottom) */
    float time;         /* animation time of the dashes, s */
} viz_render_view;

typedef struct viz_arrow_mesh {
    GLuint vbo, ibo;
    int nverts, nidx;
    unsigned short *idx_data;
    float *vert_data;            /* nverts x (position, normal) */
} viz_arrow_mesh;

typedef struct viz_renderer {
    GLuint arrow_prog, line_prog, stream_prog;
    GLint a_vp, a_scale, a_mode, a_color, a_light, a_eye, a_shape;
    GLint l_vp;
    GLint s_vp, s_time, s_dash;
    viz_arrow_mesh mesh[3];          /* LOD 0 (fine) .. 2 (cone only) */
    viz_arrow_mesh head_mesh;        /* streamline arrowheads */
    int lod;
    GLuint part_vao[3], part_inst;
    int part_n, part_cap;
    float *inst;                 /* the snapshot's particles, 8 floats each (snapshot order) */
    int inst_cap;
    float *sorted;               /* the same, front to back: what is uploaded */
    int sorted_cap;
    int *sort_key;               /* n: distance bin of each particle */
    int sort_cap;
    GLuint head_vao, head_inst;
    int head_n;
    GLuint one_vao[3], one_inst; /* single arrows (gizmo, magnet) */
    GLuint stream_vao, stream_vbo;
    int stream_lines, stream_verts, stream_lcap;
    GLint *stream_first;
    GLsizei *stream_count;
#ifdef FR_GLES /* WebGL 2: streamlines and arrowheads without per-line draws or instancing */
    GLuint stream_ibo, head_flat_vao, head_flat_buf[2];
    int stream_nidx, head_flat_nidx;
#endif
    /* impostors: program 0 writes no depth (its triangle's plane, tested before shading),
     * program 1 the exact depth of the hit (IMPOSTOR_EXACT_N) */
    GLuint imp_prog[2], imp_vao, imp_tex;
    GLint iu[2][IMP_NU];
    int arrow_mode;              /* ARROWS_*, set by the caller */
    int imp_max_n;               /* particles that fit the buffer texture */
    int imp_rows;                /* WebGL 2: rows of the particle texture */
    uint64_t part_version;       /* +1 per render_set_particles */
    /* the arrow cache (render.c): state -1 off, 0 empty, 1 valid for cache_key */
    int cache_state, cache_w, cache_h, cache_depth_fmt;
    int cache_misses, cache_wanted; /* misses in a row; copy after this frame's drawing */
    GLuint cache_fbo, cache_rb[2];
    unsigned char cache_key[256];
    /* The window's depth buffer survives a swap (set by the caller: a software rasteriser on
     * the desktop, where it was checked; a page's WebGL clears it): a cached frame then copies
     * back only the colour, and the depth in the gizmo's box (cache_depth_box: x, y, w, h in
     * window pixels), as long as nothing else wrote the window's depth (cache_depth_ok). */
    int keep_depth, cache_depth_ok, cache_depth_box[4];
    /* the cache holds all of the depth, or (keep_depth) only that of cache_box_stored */
    int cache_depth_full, cache_box_stored[4];
    uint64_t stream_version;     /* +1 per render_set_streams (the heads are in the cache) */
    int stream_skip;             /* > 1: thin the lines, a segment spanning at most this many
                                  * traced steps (stream_thin; set by the caller) */
    float *stream_thin;          /* staging of those vertices */
    int stream_thin_cap;
    GLuint line_vao, line_vbo;
    float *lines;                /* staging: x, y, z, r, g, b, a */
    int line_n, line_cap;
    float line_w_max;
    float arrow_scale;
    viz_prof *prof;              /* FERROVIZ_PROF's marks (set by the caller), or NULL */
} viz_renderer;

int render_init(viz_renderer *r, char *err, size_t errlen);
void render_free(viz_renderer *r);

/* Upload the particles of a snapshot coloured by mode (COLOR_*). */
void render_set_particles(viz_renderer *r, const viz_snapshot *s, int mode);
void render_set_streams(viz_renderer *r, const viz_streams *s);

typedef struct viz_scene_opts {
    int arrows, streams, sphere, axes;
    double radius;               /* bounding sphere */
    int mode;                    /* colour mode */
    const fr_field *field;       /* for the magnet marker */
    double aspect;               /* particle shape: arrows thinner (prolate) or flatter and
                                  * wider (oblate); 0 or 1 = sphere */
    float line_scale;            /* line widths (lecture mode: 2) */
    const viz_snapshot *pick;    /* highlight pick->sel with its orientation trace, or NULL */
} viz_scene_opts;

/* Transverse and axial scale of a particle arrow for aspect ratio a. */
void render_arrow_shape(double aspect, float *transverse, float *axial);
float render_arrow_scale(int n);  /* arrow length for N particles */

/* Whether the particle arrows are drawn as impostors now (r->arrow_mode and the particle
 * count; never beyond GL_MAX_TEXTURE_BUFFER_SIZE / 2 particles); the name of an ARROWS_* mode. */
int render_uses_impostors(const viz_renderer *r);
const char *render_arrow_mode_name(int mode);

void render_scene(viz_renderer *r, const viz_render_view *v, const viz_scene_opts *o);
/* 1 if render_scene(r, v, o) will copy the arrows' view from the arrow cache (render.c): its
 * colour (the background included) and depth cover the viewport, so the caller need not clear
 * it first (llvmpipe: ~3 ms of CPU a frame at 1280x720). */
int render_scene_cached(const viz_renderer *r, const viz_render_view *v, const viz_scene_opts *o);
/* 1 if the arrow cache is in use (arrows shown: the caller's switch): new streamlines then cost
 * a redraw of the arrows, whose cache holds the streamlines' heads. */
int render_caches(const viz_renderer *r, int arrows);

/* The gizmo in its own viewport: axes and the field H (at the origin) as an arrow whose length
 * grows with |H| (1 - exp(-|H|)); fills the window-pixel positions (origin top left, window of
 * height win_h) of the x, y, z and H labels. */
void render_gizmo(viz_renderer *r, const viz_render_view *main_view, int x, int y, int size, int win_h,
                  const double H[3], float label_xy[4][2]);

#endif

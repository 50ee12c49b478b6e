/* gl.h — OpenGL 3.3 core through GLEW, and the shader loader of ferroviz. The browser build
 * (__EMSCRIPTEN__) gets OpenGL ES 3.0 = WebGL 2 instead: FR_GLES is then defined, and the
 * shaders get the GLSL ES 3.00 prelude. */
#ifndef VIZ_GL_H
#define VIZ_GL_H

#include <GL/glew.h>
#include <stddef.h>

#ifdef __EMSCRIPTEN__
#define FR_GLES 1
#endif

/* Loads shaders/<name>.vert and shaders/<name>.frag (run-time search path, see util.h;
 * $FERROVIZ_SHADER_DIR overrides it) and links them. 0 on failure with a message naming the
 * file and the compiler or linker log in err. The files have no #version line: the prelude
 * (GLSL 3.30 core, or GLSL ES 3.00 with FR_GLES defined) is put before them here. */
GLuint viz_load_program(const char *name, char *err, size_t errlen);
/* The same with extra lines after the prelude (e.g. "#define FR_EXACT_DEPTH 1\n"): variants
 * of one shader source. */
GLuint viz_load_program_defs(const char *name, const char *defines, char *err, size_t errlen);

#endif

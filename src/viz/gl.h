/* gl.h — OpenGL 3.3 core through GLEW, and the shader loader of ferroviz. */
#ifndef VIZ_GL_H
#define VIZ_GL_H

#include <GL/glew.h>
#include <stddef.h>

/* Loads shaders/<name>.vert and shaders/<name>.frag (run-time search path, see util.h;
 * $FERROVIZ_SHADER_DIR overrides it) and links them. 0 on failure with a message naming the
 * file and the compiler or linker log in err. */
GLuint viz_load_program(const char *name, char *err, size_t errlen);

#endif

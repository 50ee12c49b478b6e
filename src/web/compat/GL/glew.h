/* GL/glew.h for the browser build: WebGL 2 is OpenGL ES 3.0, whose functions emscripten
 * provides directly (no loader; window_web.c calls no GLEW function). */
#ifndef FERRO_WEB_GLEW_H
#define FERRO_WEB_GLEW_H

#include <GLES3/gl3.h>

#endif

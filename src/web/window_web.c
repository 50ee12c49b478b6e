/* window_web.c — window.h in a page: the canvas and a WebGL 2 (OpenGL ES 3.0) context through
 * SDL's Emscripten driver. Replaces window.c in the browser build: no display to check, no
 * GLX, no multisampling (SwiftShader and other software WebGL pay several times for it). The
 * window is resizable: SDL makes the canvas follow the browser window's size. */
#include "window.h"

#include "gl.h"

#include <stdio.h>
#include <string.h>

int window_open(viz_window *w, int width, int height, int fullscreen, int no_vsync, char *err,
                size_t errlen)
{
    (void)no_vsync; /* the browser paces the frames */
    (void)fullscreen; /* the Fullscreen API needs a user gesture: F11 */
    memset(w, 0, sizeof *w);
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        snprintf(err, errlen, "cannot start SDL in this page: %s", SDL_GetError());
        return 2;
    }
    w->sdl_up = 1;
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_ES);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 24);
    w->win = SDL_CreateWindow("ferroviz", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, width,
                              height,
                              SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (!w->win) {
        snprintf(err, errlen, "cannot use the page's canvas: %s", SDL_GetError());
        return 2;
    }
    w->ctx = SDL_GL_CreateContext(w->win);
    if (!w->ctx) {
        snprintf(err, errlen, "this browser gives no WebGL 2 context: %s", SDL_GetError());
        return 2;
    }
    while (glGetError() != GL_NO_ERROR) {
    }
    return 0;
}

void window_drawable_size(const viz_window *w, int *dw, int *dh)
{
    SDL_GL_GetDrawableSize(w->win, dw, dh);
}

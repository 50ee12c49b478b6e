/* window.h — the platform's window and OpenGL 3.3 core context (SDL2 + GLEW on the desktop):
 * display checks, the multisampling and software-rasteriser fallbacks, the drawable's real
 * size, fullscreen. The only file that creates or sizes the window; a browser build
 * replaces it (a canvas and a WebGL2 context). */
#ifndef VIZ_WINDOW_H
#define VIZ_WINDOW_H

#include <SDL2/SDL.h>
#include <stddef.h>

typedef struct viz_window {
    SDL_Window *win;
    SDL_GLContext ctx;
    int fullscreen;
    int sdl_up;           /* SDL_Init succeeded */
    int software;         /* OpenGL is a software rasteriser (llvmpipe, ...): frames cost CPU */
    int depth_kept;       /* the window's depth survives a swap (llvmpipe: render.c's cache) */
} viz_window;

/* Opens a w x h window (fullscreen if asked) with a GL 3.3 core context; vsync unless
 * no_vsync. 0, or the exit status (2) with one line in err: no display, no GL 3.3. */
int window_open(viz_window *w, int width, int height, int fullscreen, int no_vsync, char *err,
                size_t errlen);
void window_close(viz_window *w);
/* The drawable size in pixels (without a window manager, the real GLX drawable's). */
void window_drawable_size(const viz_window *w, int *dw, int *dh);
/* Window (event) coordinates to drawable pixels: the factors kx, ky. */
void window_pixel_scale(const viz_window *w, float *kx, float *ky);
void window_set_fullscreen(viz_window *w, int on);
void window_swap(viz_window *w);

#endif

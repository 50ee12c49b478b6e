/* window_common.c — the parts of window.h that are the same on the desktop (window.c) and in a
 * page (src/web/window_web.c): both are SDL windows, they differ only in how the context is
 * made (window_open) and how big the drawable really is (window_drawable_size). */
#include "window.h"

void window_close(viz_window *w)
{
    if (w->ctx)
        SDL_GL_DeleteContext(w->ctx);
    if (w->win)
        SDL_DestroyWindow(w->win);
    w->ctx = NULL;
    w->win = NULL;
    SDL_Quit();
}

void window_pixel_scale(const viz_window *w, float *kx, float *ky)
{
    int ww, wh, dw, dh;
    SDL_GetWindowSize(w->win, &ww, &wh);
    window_drawable_size(w, &dw, &dh);
    *kx = ww > 0 ? (float)dw / (float)ww : 1.0f;
    *ky = wh > 0 ? (float)dh / (float)wh : 1.0f;
}

/* In a page SDL's Emscripten driver calls the Fullscreen API from within the key's event
 * handler (browsers allow it only there). */
void window_set_fullscreen(viz_window *w, int on)
{
    w->fullscreen = on;
    SDL_SetWindowFullscreen(w->win, on ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
}

void window_swap(viz_window *w) { SDL_GL_SwapWindow(w->win); }

/* window.c — see window.h. */
#include "window.h"

#include "gl.h"

#include <GL/glxew.h> /* after SDL and GLEW: the X11 headers define many macros */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A display is required unless the video driver is chosen explicitly (SDL_VIDEODRIVER=
 * offscreen renders headless through EGL): SDL would otherwise fall back to its offscreen
 * driver silently. */
static int init_video(viz_window *w, char *err, size_t errlen)
{
    const char *drv_env = getenv("SDL_VIDEODRIVER");
    const char *disp = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    const int forced = drv_env && *drv_env;
    const char *where = disp && *disp ? disp : wl && *wl ? wl : "(none)";
    if (!forced) {
        if ((!disp || !*disp) && (!wl || !*wl)) {
            snprintf(err, errlen, "no display: DISPLAY and WAYLAND_DISPLAY are not set (run "
                                  "under X11, Wayland or Xvfb; SDL_VIDEODRIVER=offscreen renders "
                                  "headless)");
            return 2;
        }
        if (!wl || !*wl)
            SDL_SetHint(SDL_HINT_VIDEODRIVER, "x11");
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        snprintf(err, errlen, "cannot open a window on display '%s': %s", where, SDL_GetError());
        return 2;
    }
    w->sdl_up = 1;
    const char *drv = SDL_GetCurrentVideoDriver();
    if (!forced && drv && (!strcmp(drv, "offscreen") || !strcmp(drv, "dummy"))) {
        snprintf(err, errlen, "cannot open a window on display '%s'", where);
        return 2;
    }
    return 0;
}

static void set_samples(int samples)
{
    SDL_GL_SetAttribute(SDL_GL_MULTISAMPLEBUFFERS, samples > 1);
    SDL_GL_SetAttribute(SDL_GL_MULTISAMPLESAMPLES, samples > 1 ? samples : 0);
}

static int create(viz_window *w, int width, int height, Uint32 flags)
{
    w->win = SDL_CreateWindow("ferroviz", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, width,
                              height, flags);
    return w->win ? 0 : -1;
}

static int renderer_has(const char *name)
{
    const char *r = (const char *)glGetString(GL_RENDERER);
    return r && strstr(r, name);
}

static int is_software(void)
{
    return renderer_has("llvmpipe") || renderer_has("softpipe") || renderer_has("swrast") ||
           renderer_has("SWR");
}

/* Window and context with multisampling ($FERROVIZ_MSAA samples, default 4), falling back to
 * none when the window cannot have it or the rasteriser is software (llvmpipe under Xvfb pays
 * 4x for it). */
static int create_context(viz_window *w, int width, int height, Uint32 flags, char *err,
                          size_t errlen)
{
    const char *msaa = getenv("FERROVIZ_MSAA");
    const int samples = msaa ? atoi(msaa) : 4;
    if (samples > 1)
        set_samples(samples);
    if (create(w, width, height, flags) && samples > 1) { /* retry without multisampling */
        set_samples(0);
        create(w, width, height, flags);
    }
    if (!w->win) {
        snprintf(err, errlen, "cannot open an OpenGL window: %s", SDL_GetError());
        return 2;
    }
    w->ctx = SDL_GL_CreateContext(w->win);
    if (w->ctx && samples > 1 && !msaa && is_software()) {
        SDL_GL_DeleteContext(w->ctx);
        SDL_DestroyWindow(w->win);
        w->ctx = NULL;
        set_samples(0);
        if (!create(w, width, height, flags))
            w->ctx = SDL_GL_CreateContext(w->win);
    }
    if (!w->ctx) {
        snprintf(err, errlen, "cannot create an OpenGL 3.3 core context: %s", SDL_GetError());
        return 2;
    }
    w->software = is_software();
    /* GL leaves the depth buffer undefined after a swap; llvmpipe (checked) keeps it */
    w->depth_kept = renderer_has("llvmpipe") != 0;
    return 0;
}

int window_open(viz_window *w, int width, int height, int fullscreen, int no_vsync, char *err,
                size_t errlen)
{
    memset(w, 0, sizeof *w);
    int rc = init_video(w, err, errlen);
    if (rc)
        return rc;
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 24);
    Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
    if (fullscreen)
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    w->fullscreen = fullscreen;
    rc = create_context(w, width, height, flags, err, errlen);
    if (rc)
        return rc;
    glewExperimental = GL_TRUE;
    const GLenum ge = glewInit();
    if (ge != GLEW_OK && ge != 4 /* GLEW_ERROR_NO_GLX_DISPLAY with EGL: usable */) {
        snprintf(err, errlen, "cannot initialise OpenGL (GLEW): %s",
                 (const char *)glewGetErrorString(ge));
        return 2;
    }
    while (glGetError() != GL_NO_ERROR) {
    }
    SDL_GL_SetSwapInterval(no_vsync ? 0 : 1);
    return 0;
}

/* The real size of the current GLX drawable. Without a window manager (Xvfb) a fullscreen
 * request changes SDL's idea of the window size but not the window. */
static int glx_drawable_size(int *w, int *h)
{
    if (!glXQueryDrawable)
        return -1;
    Display *d = glXGetCurrentDisplay();
    const GLXDrawable dr = glXGetCurrentDrawable();
    if (!d || !dr)
        return -1;
    unsigned int W = 0, H = 0;
    glXQueryDrawable(d, dr, GLX_WIDTH, &W);
    glXQueryDrawable(d, dr, GLX_HEIGHT, &H);
    if (!W || !H)
        return -1;
    *w = (int)W;
    *h = (int)H;
    return 0;
}

void window_drawable_size(const viz_window *w, int *dw, int *dh)
{
    SDL_GL_GetDrawableSize(w->win, dw, dh);
    int gw, gh;
    if (!glx_drawable_size(&gw, &gh)) { /* the viewport and screenshots use the smaller */
        *dw = gw < *dw ? gw : *dw;
        *dh = gh < *dh ? gh : *dh;
    }
}

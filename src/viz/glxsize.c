/* glxsize.c — the real size of the current GLX drawable. Without a window manager (Xvfb) a
 * fullscreen request changes SDL's idea of the window size but not the window, so the viewport
 * and screenshots use the smaller of the two. Kept apart: the X11 headers define many macros. */
#include <GL/glew.h>
#include <GL/glxew.h>

int viz_glx_drawable_size(int *w, int *h);

int viz_glx_drawable_size(int *w, int *h)
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

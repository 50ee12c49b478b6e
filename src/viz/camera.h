/* camera.h — the orbit camera, the mouse (orbit, pan, zoom, click) and picking a particle
 * under a pixel. No GL calls: the matrices go to the renderer through render_view. */
#ifndef VIZ_CAMERA_H
#define VIZ_CAMERA_H

#include "ferro/params.h"
#include "render.h"
#include "simthread.h"

typedef struct viz_camera {
    float yaw, pitch, dist;   /* degrees, degrees, distance to target */
    vec3 target;
    int drag, pan;            /* left button orbits, right or middle pans */
    int press_x, press_y, press_moved;
} viz_camera;

/* The starting view, framing the cloud (and the magnet of p, if any). */
void camera_init(viz_camera *c, const fr_params *p);
void camera_fit(viz_camera *c, const fr_params *p);
void camera_view(const viz_camera *c, int w, int h, viz_render_view *v);
/* The camera's right vector in the horizontal plane (turning a vertical field). */
void camera_right(const viz_camera *c, double right[3]);

/* Mouse input in window coordinates. camera_release returns 1 for a click (not a drag). */
void camera_press(viz_camera *c, int left, int x, int y);
int camera_release(viz_camera *c, int left);
void camera_motion(viz_camera *c, int dx, int dy, int dw, int dh);
void camera_wheel(viz_camera *c, int dy);
/* Two fingers pinching: d_dist is the change of their spread as a fraction of the window
 * (SDL's multigesture): apart = closer. The press in progress is then no click. */
void camera_pinch(viz_camera *c, float d_dist);

/* The particle under drawable pixel (x, y) (origin top left), or -1: the nearest hit of the
 * ray through the pixel with the spheres around the arrows. */
int camera_pick(const viz_camera *c, const viz_snapshot *s, float x, float y, int dw, int dh);

#endif

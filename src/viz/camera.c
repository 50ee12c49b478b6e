/* camera.c — see camera.h. */
#include "camera.h"

#include <math.h>
#include <stdlib.h>

void camera_fit(viz_camera *c, const fr_params *p)
{
    double extent = 1.45;
    if (p->field.has_magnet) {
        const double *m = p->field.magnet_p;
        extent = fmax(extent, sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]) + 0.35);
    }
    c->dist = (float)(4.6 * extent / 1.45);
    c->target[0] = c->target[1] = c->target[2] = 0.0f;
}

void camera_init(viz_camera *c, const fr_params *p)
{
    *c = (viz_camera){.yaw = -62.0f, .pitch = 18.0f};
    camera_fit(c, p);
}

void camera_view(const viz_camera *c, int w, int h, viz_render_view *v)
{
    const float cp = cosf(glm_rad(c->pitch)), sp = sinf(glm_rad(c->pitch));
    const float cy = cosf(glm_rad(c->yaw)), sy = sinf(glm_rad(c->yaw));
    vec3 eye = {c->target[0] + c->dist * cp * cy, c->target[1] + c->dist * cp * sy,
                c->target[2] + c->dist * sp};
    vec3 target = {c->target[0], c->target[1], c->target[2]};
    glm_lookat(eye, target, (vec3){0, 0, 1}, v->view);
    glm_perspective(glm_rad(38.0f), (float)w / (float)(h > 0 ? h : 1), 0.05f, 100.0f, v->proj);
    glm_mat4_mul(v->proj, v->view, v->vp);
    glm_vec3_copy(eye, v->eye);
    v->x = v->y = 0;
    v->w = w;
    v->h = h;
}

void camera_right(const viz_camera *c, double right[3])
{
    const float cy = cosf(glm_rad(c->yaw)), sy = sinf(glm_rad(c->yaw));
    right[0] = -sy;
    right[1] = cy;
    right[2] = 0.0;
}

void camera_press(viz_camera *c, int left, int x, int y)
{
    if (!left) {
        c->pan = 1;
        return;
    }
    c->drag = 1;
    c->press_x = x;
    c->press_y = y;
    c->press_moved = 0;
}

int camera_release(viz_camera *c, int left)
{
    if (!left) {
        c->pan = 0;
        return 0;
    }
    c->drag = 0;
    return c->press_moved < 4;
}

void camera_motion(viz_camera *c, int dx, int dy, int dw, int dh)
{
    if (c->drag) {
        c->press_moved += abs(dx) + abs(dy);
        c->yaw -= 0.35f * (float)dx;
        c->pitch = fmaxf(-89.0f, fminf(89.0f, c->pitch + 0.35f * (float)dy));
    } else if (c->pan) {
        viz_render_view v;
        camera_view(c, dw, dh, &v);
        const float k = 0.0016f * c->dist;
        /* camera right and up from the view matrix rows */
        for (int i = 0; i < 3; i++)
            c->target[i] += k * (-(float)dx * v.view[i][0] + (float)dy * v.view[i][1]);
    }
}

void camera_wheel(viz_camera *c, int dy)
{
    c->dist = fmaxf(1.2f, fminf(30.0f, c->dist * powf(0.9f, (float)dy)));
}

void camera_pinch(viz_camera *c, float d_dist)
{
    /* fingers spreading by a third of the window: half the distance */
    c->dist = fmaxf(1.2f, fminf(30.0f, c->dist * expf(-2.0f * d_dist)));
    c->press_moved += 100;
}

int camera_pick(const viz_camera *c, const viz_snapshot *s, float x, float y, int dw, int dh)
{
    if (!s->seq)
        return -1;
    viz_render_view v;
    camera_view(c, dw, dh, &v);
    vec4 vpt = {0, 0, (float)dw, (float)dh};
    vec3 p0, p1, d;
    glm_unproject((vec3){x, (float)dh - y, 0.0f}, v.vp, vpt, p0);
    glm_unproject((vec3){x, (float)dh - y, 1.0f}, v.vp, vpt, p1);
    glm_vec3_sub(p1, p0, d);
    glm_vec3_normalize(d);
    const double rr = 0.55 * render_arrow_scale(s->n);
    int best = -1;
    double tbest = 1e30;
    for (int i = 0; i < s->n; i++) {
        const float *q = s->pos + 3 * i;
        const double oc[3] = {q[0] - p0[0], q[1] - p0[1], q[2] - p0[2]};
        const double tca = oc[0] * d[0] + oc[1] * d[1] + oc[2] * d[2];
        const double d2 = oc[0] * oc[0] + oc[1] * oc[1] + oc[2] * oc[2] - tca * tca;
        if (tca <= 0.0 || d2 > rr * rr)
            continue;
        const double t = tca - sqrt(rr * rr - d2);
        if (t < tbest) {
            tbest = t;
            best = i;
        }
    }
    return best;
}

/* capture.c — see capture.h. */
#include "capture.h"

#include "gl.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wpedantic"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#pragma GCC diagnostic pop

/* The back buffer's w x h RGB pixels, rows top-down (GL's go bottom-up) when flip. */
static unsigned char *read_back(int w, int h, int flip)
{
    unsigned char *px = malloc((size_t)w * h * 4);
    if (!px)
        return NULL;
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    /* RGBA, the one format every GL (WebGL 2 too) reads; packed to RGB in place */
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, px);
    for (size_t i = 0, np = (size_t)w * h; i < np; i++)
        memmove(px + 3 * i, px + 4 * i, 3);
    const size_t row = (size_t)w * 3;
    unsigned char *tmp = flip ? malloc(row) : NULL;
    if (tmp) {
        for (int y = 0; y < h / 2; y++) {
            memcpy(tmp, px + row * y, row);
            memcpy(px + row * y, px + row * (h - 1 - y), row);
            memcpy(px + row * (h - 1 - y), tmp, row);
        }
        free(tmp);
    }
    return px;
}

int capture_png(const char *path, int w, int h)
{
    unsigned char *px = read_back(w, h, 1);
    if (!px)
        return -1;
    const int ok = stbi_write_png(path, w, h, 3, px, w * 3);
    free(px);
    return ok ? 0 : -1;
}

static void stamp(char *out, size_t cap, const char *fmt)
{
    const time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, cap, fmt, &tm);
}

void capture_timestamp_name(char *out, size_t cap)
{
    char base[64];
    stamp(base, sizeof base, "ferroviz-%Y%m%d-%H%M%S");
    snprintf(out, cap, "%s.png", base);
    for (int k = 2; k < 1000; k++) {
        FILE *f = fopen(out, "rb");
        if (!f)
            return;
        fclose(f);
        snprintf(out, cap, "%s-%d.png", base, k);
    }
}

static int have_ffmpeg(void)
{
    const char *no = getenv("FERROVIZ_NO_FFMPEG");
    if (no && *no)
        return 0;
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char dir[4096];
    while (*path) {
        const char *e = strchr(path, ':');
        const size_t n = e ? (size_t)(e - path) : strlen(path);
        if (n > 0 && n < sizeof dir - 8) {
            memcpy(dir, path, n);
            strcpy(dir + n, "/ffmpeg");
            if (access(dir, X_OK) == 0)
                return 1;
        }
        path += n + (e ? 1 : 0);
    }
    return 0;
}

int rec_start(viz_recorder *r, const viz_snapshot *s, int dw, int dh, char *err, size_t errlen)
{
    char base[64];
    stamp(base, sizeof base, "ferroviz-rec-%Y%m%d-%H%M%S");
    snprintf(r->dir, sizeof r->dir, "%s", base);
    for (int k = 2; mkdir(r->dir, 0777) != 0; k++) {
        if (errno != EEXIST || k > 999) {
            snprintf(err, errlen, "cannot create %s: %s", r->dir, strerror(errno));
            return -1;
        }
        snprintf(r->dir, sizeof r->dir, "%s-%d", base, k);
    }
    r->w = dw & ~1;
    r->h = dh & ~1;
    r->pipe = NULL;
    if (have_ffmpeg()) {
        char cmd[2048];
        /* ffmpeg flips the rows itself (-vf vflip): the frames go as GL reads them */
        snprintf(cmd, sizeof cmd,
                 "ffmpeg -loglevel error -y -f rawvideo -pixel_format rgb24 -video_size %dx%d "
                 "-framerate %d -i - -vf vflip -pix_fmt yuv420p '%s/ferroviz.mp4'",
                 r->w, r->h, (int)lround(1.0 / REC_DT), r->dir);
        signal(SIGPIPE, SIG_IGN);
        r->pipe = popen(cmd, "w");
    }
    r->on = 1;
    r->frames = r->dropped = 0;
    r->next = s->diag.t;
    r->gen = s->gen;
    return 0;
}

void rec_stop(viz_recorder *r)
{
    if (r->pipe)
        pclose(r->pipe);
    r->pipe = NULL;
    r->on = 0;
}

/* k copies of one frame: raw to ffmpeg, or one PNG encoded once and written k times. */
static int write_frames(viz_recorder *r, long k, char *err, size_t errlen)
{
    const int w = r->w, h = r->h;
    unsigned char *px = read_back(w, h, !r->pipe);
    if (!px)
        return 0;
    const size_t row = (size_t)w * 3;
    if (r->pipe) {
        for (long q = 0; q < k; q++)
            if (fwrite(px, 1, row * h, r->pipe) != row * h) {
                snprintf(err, errlen, "ffmpeg stopped; recording off");
                free(px);
                return -1;
            }
        r->frames += k;
        free(px);
        return 0;
    }
    stbi_write_png_compression_level = 3;
    int len = 0;
    unsigned char *png = stbi_write_png_to_mem(px, (int)row, w, h, 3, &len);
    stbi_write_png_compression_level = 8;
    free(px);
    if (!png)
        return 0;
    for (long q = 0; q < k; q++) {
        char name[1024];
        snprintf(name, sizeof name, "%s/frame_%06ld.png", r->dir, r->frames);
        FILE *f = fopen(name, "wb");
        if (!f || fwrite(png, 1, (size_t)len, f) != (size_t)len) {
            snprintf(err, errlen, "cannot write %s; recording off", name);
            if (f)
                fclose(f);
            STBIW_FREE(png);
            return -1;
        }
        fclose(f);
        r->frames++;
    }
    STBIW_FREE(png);
    return 0;
}

/* When the simulation time has crossed the next multiple of REC_DT the frame is written once
 * for each multiple crossed (a step longer than REC_DT repeats it, so frame k always shows the
 * state at the first rendered time >= t0 + k REC_DT); at most 50 at once. */
int rec_frame(viz_recorder *r, const viz_snapshot *s, char *err, size_t errlen)
{
    if (!r->on || !s->seq)
        return 0;
    if (s->gen != r->gen) { /* reset: time starts again */
        r->gen = s->gen;
        r->next = s->diag.t;
    }
    const double t = s->diag.t;
    if (t < r->next - 1e-9 * fmax(1.0, fabs(t)))
        return 0;
    long k = (long)floor((t - r->next) / REC_DT + 1e-9) + 1;
    r->next += (double)k * REC_DT;
    if (k > 50) {
        r->dropped += k - 50;
        k = 50;
    }
    return write_frames(r, k, err, errlen);
}

/* capture.h — pictures of the window: PNG screenshots and the recording (V) of one frame per
 * REC_DT of simulation time, as PNG files or piped to ffmpeg. Reads the back buffer; the
 * caller prints what happened. */
#ifndef VIZ_CAPTURE_H
#define VIZ_CAPTURE_H

#include "simthread.h"

#include <stddef.h>
#include <stdio.h>

#define REC_DT 0.02 /* recording: one frame per 0.02 units of simulation time */

typedef struct viz_recorder {
    int on;
    char dir[512];
    long frames, dropped;
    double next;              /* simulation time of the next frame */
    uint64_t gen;             /* the snapshot generation (a reset starts the time again) */
    FILE *pipe;               /* ffmpeg, or NULL: PNG files */
    int w, h;
} viz_recorder;

/* The back buffer (w x h) as a PNG file. 0, or -1. */
int capture_png(const char *path, int w, int h);
/* A new name ferroviz-YYYYmmdd-HHMMSS[-k].png in the working directory. */
void capture_timestamp_name(char *out, size_t cap);

/* Starts recording into a new directory (frames of dw x dh, even sizes). 0, or -1 with a
 * message in err. */
int rec_start(viz_recorder *r, const viz_snapshot *s, int dw, int dh, char *err, size_t errlen);
void rec_stop(viz_recorder *r);
/* After a frame is drawn: writes it once per multiple of REC_DT the simulation time crossed.
 * 0, or -1 after an error (message in err; the caller stops the recording). */
int rec_frame(viz_recorder *r, const viz_snapshot *s, char *err, size_t errlen);

#endif

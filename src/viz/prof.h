/* prof.h — where the window's CPU goes, part by part (FERROVIZ_PROF=1): at each mark the GL
 * queue is finished (glFinish: a software rasteriser's threads are done with what was queued)
 * and the CPU the window's threads used since the previous mark (this thread's and, on Linux,
 * llvmpipe's raster threads') is added to the part just ended. Printed at exit as ms of CPU
 * per frame, for frames that redrew the particle arrows and for those that did not. The
 * finishes serialise the window's work, so a profiled run draws fewer frames than a plain one;
 * off (the default), a mark is one test. */
#ifndef VIZ_PROF_H
#define VIZ_PROF_H

enum {
    PROF_INPUT,    /* events, the newest snapshot: instance and streamline uploads */
    PROF_CLEAR,    /* the background (gradient bands) or the arrow cache's copy */
    PROF_ARROWS,   /* sorting, uploading and drawing the particle arrows, the cache's store */
    PROF_HEADS,    /* the streamlines' arrowheads */
    PROF_LINES,    /* the sphere's circles and the axes */
    PROF_STREAMS,  /* the streamlines */
    PROF_OVERLAY,  /* the gizmo, HUD, plot, captions (and what only the window shows) */
    PROF_SWAP,     /* the swap: the frame to the X server */
    PROF_PARTS
};

#define PROF_MAX_THREADS 16

typedef struct viz_prof {
    int on;
    int nfd, fd[PROF_MAX_THREADS]; /* llvmpipe threads' /proc/self/task/TID/schedstat */
    double last[2];                /* CPU at the previous mark: this thread, raster threads, s */
    int redraw;                    /* this frame drew the arrows */
    double part[PROF_PARTS][2];    /* this frame's CPU by part and thread kind, s */
    double sum[2][PROF_PARTS][2];  /* [redraw] totals over the counted frames */
    long frames[2];
} viz_prof;

/* Reads FERROVIZ_PROF; call with the GL context current (its raster threads exist). */
void prof_init(viz_prof *p);
/* The part that just ended (PROF_*); no-op unless on. */
void prof_mark(viz_prof *p, int part);
/* The frame ended: counted unless warm (the first frames: shader compiles, first uploads). */
void prof_frame(viz_prof *p, int warm);
void prof_print(const viz_prof *p);
void prof_free(viz_prof *p);

#endif

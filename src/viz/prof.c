/* prof.c — see prof.h. */
#include "prof.h"

#include "gl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__) && !defined(__EMSCRIPTEN__)
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#endif

static const char *const PART_NAME[PROF_PARTS] = {"input", "clear/cache", "arrows", "heads",
                                                  "lines", "streams", "overlay", "swap"};

/* llvmpipe's raster threads (named llvmpipe-K), whose CPU is the window's too */
static void find_raster_threads(viz_prof *p)
{
#if defined(__linux__) && !defined(__EMSCRIPTEN__)
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) && p->nfd < PROF_MAX_THREADS) {
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%.200s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        const int ok = fgets(comm, sizeof comm, f) != NULL;
        fclose(f);
        if (!ok || strncmp(comm, "llvmpipe", 8) != 0)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%.200s/schedstat", e->d_name);
        const int fd = open(path, O_RDONLY);
        if (fd >= 0)
            p->fd[p->nfd++] = fd;
    }
    closedir(d);
#else
    (void)p;
#endif
}

/* CPU time s of this thread (cpu[0]) and of the raster threads (cpu[1]) */
static void window_cpu(const viz_prof *p, double cpu[2])
{
    struct timespec ts = {0, 0}; /* 0 where the thread clock is missing */
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        ts = (struct timespec){0, 0};
    cpu[0] = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    double s = 0.0;
#if defined(__linux__) && !defined(__EMSCRIPTEN__)
    for (int k = 0; k < p->nfd; k++) { /* schedstat: ns on a CPU, ns waiting, slices */
        char b[128];
        const ssize_t n = pread(p->fd[k], b, sizeof b - 1, 0);
        if (n > 0) {
            b[n] = '\0';
            s += 1e-9 * strtod(b, NULL);
        }
    }
#else
    (void)p;
#endif
    cpu[1] = s;
}

void prof_init(viz_prof *p)
{
    memset(p, 0, sizeof *p);
    const char *e = getenv("FERROVIZ_PROF");
    p->on = e && strcmp(e, "0") != 0;
    if (!p->on)
        return;
    find_raster_threads(p);
    glFinish();
    window_cpu(p, p->last);
}

void prof_mark(viz_prof *p, int part)
{
    if (!p || !p->on)
        return;
    glFinish();
    double now[2];
    window_cpu(p, now);
    for (int t = 0; t < 2; t++) {
        p->part[part][t] += now[t] - p->last[t];
        p->last[t] = now[t];
    }
    if (part == PROF_ARROWS)
        p->redraw = 1;
}

void prof_frame(viz_prof *p, int warm)
{
    if (!p->on)
        return;
    if (!warm) {
        for (int k = 0; k < PROF_PARTS; k++)
            for (int t = 0; t < 2; t++)
                p->sum[p->redraw][k][t] += p->part[k][t];
        p->frames[p->redraw]++;
    }
    memset(p->part, 0, sizeof p->part);
    p->redraw = 0;
}

void prof_print(const viz_prof *p)
{
    if (!p->on)
        return;
    printf("prof: the window's CPU, ms per frame: all (this thread + %d llvmpipe threads)\n",
           p->nfd);
    printf("prof: %-12s %20s %20s\n", "part", "arrows cached", "arrows redrawn");
    double tot[2][2] = {{0, 0}, {0, 0}};
    for (int k = 0; k < PROF_PARTS; k++) {
        double ms[2][2];
        for (int r = 0; r < 2; r++)
            for (int t = 0; t < 2; t++) {
                ms[r][t] = p->frames[r] ? 1e3 * p->sum[r][k][t] / (double)p->frames[r] : 0.0;
                tot[r][t] += ms[r][t];
            }
        printf("prof: %-12s %6.2f (%5.2f + %5.2f) %6.2f (%5.2f + %5.2f)\n", PART_NAME[k],
               ms[0][0] + ms[0][1], ms[0][0], ms[0][1], ms[1][0] + ms[1][1], ms[1][0], ms[1][1]);
    }
    printf("prof: %-12s %6.2f (%5.2f + %5.2f) %6.2f (%5.2f + %5.2f)  over %ld and %ld frames\n",
           "total", tot[0][0] + tot[0][1], tot[0][0], tot[0][1], tot[1][0] + tot[1][1], tot[1][0],
           tot[1][1], p->frames[0], p->frames[1]);
}

void prof_free(viz_prof *p)
{
#if defined(__linux__) && !defined(__EMSCRIPTEN__)
    for (int k = 0; k < p->nfd; k++)
        close(p->fd[k]);
#endif
    p->nfd = 0;
}

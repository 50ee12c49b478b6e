/* sync.h — the two lock-light channels between the render thread and the simulation thread.
 *
 * tribuf: a triple buffer. One writer fills its private back slot and publishes it with one atomic
 * exchange; one reader takes the newest published slot with one atomic exchange. Neither side ever
 * waits for the other, and the reader always sees a complete slot. Slots are opaque pointers owned
 * by the caller.
 *
 * cmdqueue: a bounded FIFO of commands (render -> simulation) under a mutex, with coalescing: a
 * command of a kind already queued (since the last reset) replaces the queued one's value in
 * place, so holding a key down can never fill the queue, and the newest value wins (a params
 * command carries every live parameter, a view command the whole view: nothing is lost);
 * a reset replaces a queued reset and drops the parameter changes queued after that one (the
 * new reset sets all parameters), so the queue holds at most a few entries per command kind.
 * No SDL, no GL: testable on its own (tests/test_viz_sync.c, also under ThreadSanitizer).
 */
#ifndef VIZ_SYNC_H
#define VIZ_SYNC_H

#include "ferro/params.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef struct viz_tribuf {
    void *slot[3];
    atomic_uint mid;   /* index of the middle slot | TRIBUF_FRESH when newly published */
    unsigned back;     /* writer's slot (writer thread only) */
    unsigned front;    /* reader's slot (reader thread only) */
} viz_tribuf;

#define TRIBUF_FRESH 4u

/* Slots a, b, c: the writer starts with a, the reader with c (which should be a valid, e.g.
 * zeroed, object: it is what the reader sees before the first publish). */
void tribuf_init(viz_tribuf *t, void *a, void *b, void *c);
void *tribuf_back(viz_tribuf *t);       /* writer: the slot to fill */
void tribuf_publish(viz_tribuf *t);     /* writer: make the back slot the newest */
int tribuf_acquire(viz_tribuf *t);      /* reader: 1 if a newer slot was taken */
void *tribuf_front(viz_tribuf *t);      /* reader: the current slot */

/* ---- command queue ---- */

typedef enum viz_cmd_kind {
    CMD_NONE = 0,
    CMD_PAUSE,     /* u.paused: 1 pause, 0 resume */
    CMD_STEP,      /* u.steps: single steps to do while paused (added up, capped) */
    CMD_PARAMS,    /* u.params: every live parameter, for fr_sim_set_params */
    CMD_VIEW,      /* u.view: what the simulation thread computes for the window, and its pace */
    CMD_SAVE,      /* u.path */
    CMD_LOAD,      /* u.path: a new simulation from the file (swapped only on success) */
    CMD_RESET,     /* u.params.p: a new simulation (barrier: nothing coalesces across it) */
    CMD_KINDS
} viz_cmd_kind;

/* The switch-off state a params command asks for: keep the simulation's own (its t_off is in
 * simulation time, which only that thread knows exactly), switch off now, or on again. */
typedef enum { CMD_OFF_KEEP = 0, CMD_OFF_NOW = 1, CMD_OFF_CLEAR = 2 } viz_off_mode;

typedef struct viz_view {
    int streams, slice;       /* streamlines on; traced in a slice plane instead of in 3D */
    double slice_phi;         /* azimuth of the slice plane's normal */
    double rate;              /* max steps per second, 0 = unlimited */
    int sel;                  /* picked particle, -1 = none */
} viz_view;

#define VIZ_PATH 512

typedef struct viz_cmd {
    viz_cmd_kind kind;
    unsigned long long id; /* assigned by cmdq_push, increasing */
    union {
        int paused;
        int steps;
        struct {
            fr_params p;
            viz_off_mode off;
        } params;
        viz_view view;
        char path[VIZ_PATH];
    } u;
} viz_cmd;

#define CMDQ_CAP 64

typedef struct viz_cmdqueue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    viz_cmd q[CMDQ_CAP];
    int head, count;
    unsigned long long next_id;
    int quit;
} viz_cmdqueue;

int cmdq_init(viz_cmdqueue *q);
void cmdq_destroy(viz_cmdqueue *q);
/* Returns the command's id (> 0), or 0 if the queue is full (the command is dropped). */
unsigned long long cmdq_push(viz_cmdqueue *q, const viz_cmd *c);
/* Takes the oldest command: 1, or 0 if empty. */
int cmdq_pop(viz_cmdqueue *q, viz_cmd *out);
/* Waits until a command is queued, quit is set or timeout_s passes. */
void cmdq_wait(viz_cmdqueue *q, double timeout_s);
void cmdq_set_quit(viz_cmdqueue *q);
int cmdq_quit(viz_cmdqueue *q);

#endif

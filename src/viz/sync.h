/* sync.h — the two lock-light channels between the render thread and the simulation thread.
 *
 * tribuf: a triple buffer. One writer fills its private back slot and publishes it with one atomic
 * exchange; one reader takes the newest published slot with one atomic exchange. Neither side ever
 * waits for the other, and the reader always sees a complete slot. Slots are opaque pointers owned
 * by the caller.
 *
 * cmdqueue: a bounded FIFO of commands (render -> simulation) under a mutex, with coalescing: a
 * command of a kind already queued (since the last barrier command) replaces the queued one's
 * value in place, so holding a key down can never fill the queue, and the newest value wins;
 * a reset replaces a queued reset and drops the parameter changes queued after that one (the
 * new reset sets all parameters), so the queue holds at most a few entries per command kind.
 * No SDL, no GL: testable on its own (tests/test_viz_sync.c, also under ThreadSanitizer).
 */
#ifndef VIZ_SYNC_H
#define VIZ_SYNC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef struct tribuf {
    void *slot[3];
    atomic_uint mid;   /* index of the middle slot | TRIBUF_FRESH when newly published */
    unsigned back;     /* writer's slot (writer thread only) */
    unsigned front;    /* reader's slot (reader thread only) */
} tribuf;

#define TRIBUF_FRESH 4u

/* Slots a, b, c: the writer starts with a, the reader with c (which should be a valid, e.g.
 * zeroed, object: it is what the reader sees before the first publish). */
void tribuf_init(tribuf *t, void *a, void *b, void *c);
void *tribuf_back(tribuf *t);       /* writer: the slot to fill */
void tribuf_publish(tribuf *t);     /* writer: make the back slot the newest */
int tribuf_acquire(tribuf *t);      /* reader: 1 if a newer slot was taken */
void *tribuf_front(tribuf *t);      /* reader: the current slot */

/* ---- command queue ---- */

enum {
    CMD_NONE = 0,
    CMD_PAUSE,     /* i = 1 pause, 0 resume */
    CMD_STEP,      /* i = number of single steps to do while paused (added up, capped) */
    CMD_FIELD,     /* field parts in f; i = switch mode (CMDF_*) */
    CMD_EPS,       /* d */
    CMD_B,         /* d */
    CMD_INTER,     /* i */
    CMD_STREAMS,   /* i = bit 0 streamlines on, bit 1 slice mode; d = azimuth of the slice normal */
    CMD_RATE,      /* d = max steps per second, 0 = unlimited */
    CMD_ASPECT,    /* d = spheroid aspect ratio */
    CMD_BROWNIAN,  /* d = rotational diffusion D_r */
    CMD_SELECT,    /* i = picked particle, -1 = none */
    CMD_SAVE,      /* payload: path (NUL-terminated) */
    CMD_LOAD,      /* payload: path; a new simulation from the file (swapped only on success) */
    CMD_RESET,     /* payload: params (barrier: nothing coalesces across it) */
    CMD_KINDS
};
enum { CMDF_KEEP = 0, CMDF_OFF_NOW = 1, CMDF_ON = 2 };

#define CMD_PAYLOAD 1024 /* bytes: large enough for an fr_params */

typedef struct viz_cmd {
    int kind;
    unsigned long long id; /* assigned by cmdq_push, increasing */
    int i;
    double d;
    unsigned char payload[CMD_PAYLOAD];
} viz_cmd;

#define CMDQ_CAP 64

typedef struct cmdqueue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    viz_cmd q[CMDQ_CAP];
    int head, count;
    unsigned long long next_id;
    int quit;
} cmdqueue;

int cmdq_init(cmdqueue *q);
void cmdq_destroy(cmdqueue *q);
/* Returns the command's id (> 0), or 0 if the queue is full (the command is dropped). */
unsigned long long cmdq_push(cmdqueue *q, const viz_cmd *c);
/* Takes the oldest command: 1, or 0 if empty. */
int cmdq_pop(cmdqueue *q, viz_cmd *out);
/* Waits until a command is queued, quit is set or timeout_s passes. */
void cmdq_wait(cmdqueue *q, double timeout_s);
void cmdq_set_quit(cmdqueue *q);
int cmdq_quit(cmdqueue *q);

#endif

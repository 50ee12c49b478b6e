/* sync.c — triple buffer and coalescing command queue (see sync.h). */
#include "sync.h"

#include <errno.h>
#include <string.h>
#include <time.h>

void tribuf_init(viz_tribuf *t, void *a, void *b, void *c)
{
    t->slot[0] = a;
    t->slot[1] = b;
    t->slot[2] = c;
    t->back = 0;
    t->front = 2;
    atomic_init(&t->mid, 1u);
}

void *tribuf_back(viz_tribuf *t) { return t->slot[t->back]; }

void tribuf_publish(viz_tribuf *t)
{
    /* release: the reader that takes this slot sees everything written into it;
     * acquire: the slot handed back is no longer being read. */
    const unsigned prev = atomic_exchange_explicit(&t->mid, t->back | TRIBUF_FRESH,
                                                   memory_order_acq_rel);
    t->back = prev & 3u;
}

int tribuf_acquire(viz_tribuf *t)
{
    if (!(atomic_load_explicit(&t->mid, memory_order_relaxed) & TRIBUF_FRESH))
        return 0;
    const unsigned prev = atomic_exchange_explicit(&t->mid, t->front, memory_order_acq_rel);
    t->front = prev & 3u;
    return 1;
}

void *tribuf_front(viz_tribuf *t) { return t->slot[t->front]; }

/* ---- command queue ---- */

int cmdq_init(viz_cmdqueue *q)
{
    memset(q, 0, sizeof *q);
    q->next_id = 1;
    if (pthread_mutex_init(&q->mu, NULL))
        return -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    const int rc = pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc) {
        pthread_mutex_destroy(&q->mu);
        return -1;
    }
    return 0;
}

void cmdq_destroy(viz_cmdqueue *q)
{
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
}

#define STEP_CAP 1000

unsigned long long cmdq_push(viz_cmdqueue *q, const viz_cmd *c)
{
    unsigned long long id = 0;
    pthread_mutex_lock(&q->mu);
    /* Coalesce with a queued command of the same kind after the last reset. */
    if (c->kind != CMD_RESET) {
        for (int k = q->count - 1; k >= 0; k--) {
            viz_cmd *e = &q->q[(q->head + k) % CMDQ_CAP];
            if (e->kind == CMD_RESET)
                break;
            if (e->kind != c->kind)
                continue;
            id = q->next_id++;
            if (c->kind == CMD_STEP) {
                e->u.steps = e->u.steps + c->u.steps > STEP_CAP ? STEP_CAP : e->u.steps + c->u.steps;
            } else if (c->kind == CMD_PARAMS && c->u.params.off == CMD_OFF_KEEP) {
                /* newer parameters; a pending switch (off now / on) stays pending */
                e->u.params.p = c->u.params.p;
            } else {
                e->u = c->u;
            }
            e->id = id;
            goto out;
        }
    }
    if (c->kind == CMD_RESET) {
        /* a reset supersedes a queued reset and the parameter changes after it */
        int last = -1;
        for (int k = 0; k < q->count; k++)
            if (q->q[(q->head + k) % CMDQ_CAP].kind == CMD_RESET)
                last = k;
        if (last >= 0) {
            int m = last + 1;
            for (int k = last + 1; k < q->count; k++) {
                const viz_cmd *e = &q->q[(q->head + k) % CMDQ_CAP];
                if (e->kind == CMD_PAUSE || e->kind == CMD_VIEW || e->kind == CMD_SAVE)
                    q->q[(q->head + m++) % CMDQ_CAP] = *e;
            }
            q->count = m;
            viz_cmd *r = &q->q[(q->head + last) % CMDQ_CAP];
            *r = *c;
            id = r->id = q->next_id++;
            goto out;
        }
    }
    if (q->count < CMDQ_CAP) {
        viz_cmd *e = &q->q[(q->head + q->count) % CMDQ_CAP];
        *e = *c;
        if (e->kind == CMD_STEP && e->u.steps > STEP_CAP)
            e->u.steps = STEP_CAP;
        id = e->id = q->next_id++;
        q->count++;
    }
out:
    if (id)
        pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return id;
}

int cmdq_pop(viz_cmdqueue *q, viz_cmd *out)
{
    int got = 0;
    pthread_mutex_lock(&q->mu);
    if (q->count > 0) {
        *out = q->q[q->head];
        q->head = (q->head + 1) % CMDQ_CAP;
        q->count--;
        got = 1;
    }
    pthread_mutex_unlock(&q->mu);
    return got;
}

void cmdq_wait(viz_cmdqueue *q, double timeout_s)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const long long ns = (long long)(timeout_s * 1e9);
    ts.tv_sec += (time_t)(ns / 1000000000LL);
    ts.tv_nsec += (long)(ns % 1000000000LL);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->quit) {
        if (pthread_cond_timedwait(&q->cv, &q->mu, &ts) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&q->mu);
}

void cmdq_set_quit(viz_cmdqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->quit = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

int cmdq_quit(viz_cmdqueue *q)
{
    pthread_mutex_lock(&q->mu);
    const int v = q->quit;
    pthread_mutex_unlock(&q->mu);
    return v;
}

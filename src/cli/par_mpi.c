/* par_mpi.c — par.h over MPI (ferrosim-mpi). See par.h for the protocol.
 *
 * Three duplicated communicators keep the three kinds of traffic apart: progress and final
 * messages (workers -> 0), the stop message (0 -> workers), and the result rows. Messages from
 * one sender on one communicator arrive in the order sent (MPI's non-overtaking rule), so once
 * a worker's final message has been received none of its progress messages is left pending,
 * and rows received in task order from each worker match the order the worker sent them in.
 */
#include "par.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

enum { TAG_PROGRESS = 1, TAG_FINAL = 2, TAG_STOP = 3, TAG_ROWS = 4 };

typedef struct par_mpi {
    MPI_Comm prog, ctl, data;
    MPI_Request pending; /* the last progress message, MPI_REQUEST_NULL when it has left */
    long long sendbuf;
} par_mpi;

static par_mpi *impl(par_ctx *c)
{
    return (par_mpi *)c->impl;
}

int par_launched(void)
{
    /* OpenMPI's mpirun, and srun with PMIx or PMI-2: without one of these a plain start runs
     * alone and never calls MPI_Init (a singleton MPI_Init costs about 1.4 s here). */
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

int par_init(par_ctx *c, int *argc, char ***argv, char *err, size_t errlen)
{
    *c = (par_ctx){.rank = 0, .size = 1};
    if (!par_launched())
        return 0;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        snprintf(err, errlen, "MPI_Init failed");
        return -1;
    }
    c->mpi = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    par_mpi *m = calloc(1, sizeof *m);
    if (!m || provided < MPI_THREAD_FUNNELED) {
        free(m);
        snprintf(err, errlen, m ? "MPI does not provide MPI_THREAD_FUNNELED" : "out of memory");
        MPI_Finalize();
        c->mpi = 0;
        return -1;
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &m->prog);
    MPI_Comm_dup(MPI_COMM_WORLD, &m->ctl);
    MPI_Comm_dup(MPI_COMM_WORLD, &m->data);
    m->pending = MPI_REQUEST_NULL;
    c->impl = m;
    return 0;
}

void par_finalize(par_ctx *c)
{
    if (!c->mpi)
        return;
    par_mpi *m = impl(c);
    MPI_Wait(&m->pending, MPI_STATUS_IGNORE);
    MPI_Comm_free(&m->prog);
    MPI_Comm_free(&m->ctl);
    MPI_Comm_free(&m->data);
    free(m);
    c->impl = NULL;
    MPI_Finalize();
    c->mpi = 0;
}

const char *par_name(void)
{
    return "MPI";
}

void par_progress_send(par_ctx *c, long long done)
{
    if (!c->mpi || c->rank == 0)
        return;
    par_mpi *m = impl(c);
    int left = 1;
    MPI_Test(&m->pending, &left, MPI_STATUS_IGNORE);
    if (!left)
        return; /* rank 0 is busy: skip this update rather than queue them */
    m->sendbuf = done;
    MPI_Isend(&m->sendbuf, 1, MPI_LONG_LONG, 0, TAG_PROGRESS, m->prog, &m->pending);
}

void par_final_send(par_ctx *c, long long final_value)
{
    if (!c->mpi || c->rank == 0)
        return;
    par_mpi *m = impl(c);
    MPI_Wait(&m->pending, MPI_STATUS_IGNORE);
    MPI_Send(&final_value, 1, MPI_LONG_LONG, 0, TAG_FINAL, m->prog);
}

int par_stop_poll(par_ctx *c)
{
    if (!c->mpi || c->rank == 0)
        return 0;
    if (c->stop_seen)
        return 1;
    par_mpi *m = impl(c);
    int flag = 0;
    MPI_Iprobe(0, TAG_STOP, m->ctl, &flag, MPI_STATUS_IGNORE);
    if (flag) {
        int dummy;
        MPI_Recv(&dummy, 1, MPI_INT, 0, TAG_STOP, m->ctl, MPI_STATUS_IGNORE);
        c->stop_seen = 1;
    }
    return c->stop_seen;
}

static void nap_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

int par_progress_poll(par_ctx *c, long long *done, long long *final, int *got_final, int wait)
{
    if (!c->mpi || c->rank != 0)
        return 0;
    par_mpi *m = impl(c);
    int got = 0;
    /* Waiting: up to ~100 ms in 2 ms naps, so rank 0 leaves its core to the workers. */
    for (int naps = 0;;) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, m->prog, &flag, &st);
        if (flag) {
            long long v;
            MPI_Recv(&v, 1, MPI_LONG_LONG, st.MPI_SOURCE, st.MPI_TAG, m->prog, MPI_STATUS_IGNORE);
            if (st.MPI_TAG == TAG_FINAL) {
                final[st.MPI_SOURCE] = v;
                got_final[st.MPI_SOURCE] = 1;
                if (v >= 0)
                    done[st.MPI_SOURCE] = v;
            } else {
                done[st.MPI_SOURCE] = v;
            }
            got++;
            continue;
        }
        if (got || !wait || ++naps > 50)
            return got;
        nap_ms(2);
    }
}

void par_stop_all(par_ctx *c)
{
    if (c->stop_sent)
        return;
    c->stop_sent = 1;
    if (!c->mpi)
        return;
    par_mpi *m = impl(c);
    const int one = 1;
    for (int r = 1; r < c->size; r++)
        MPI_Send(&one, 1, MPI_INT, r, TAG_STOP, m->ctl); /* one int: sent eagerly */
}

int par_status_bcast(par_ctx *c, int status)
{
    if (!c->mpi)
        return status;
    int v[2] = {status, c->stop_sent};
    MPI_Bcast(v, 2, MPI_INT, 0, MPI_COMM_WORLD);
    c->stop_sent = v[1];
    return v[0];
}

void par_stop_drain(par_ctx *c)
{
    if (!c->mpi || c->rank == 0 || !c->stop_sent || c->stop_seen)
        return;
    int dummy;
    MPI_Recv(&dummy, 1, MPI_INT, 0, TAG_STOP, impl(c)->ctl, MPI_STATUS_IGNORE);
    c->stop_seen = 1;
}

int par_rows_send(par_ctx *c, int task, const double *rows, size_t n)
{
    (void)task; /* identified by the order: see the top of this file */
    if (!c->mpi || n > (size_t)2147483647)
        return -1;
    return MPI_Send(rows, (int)n, MPI_DOUBLE, 0, TAG_ROWS, impl(c)->data) == MPI_SUCCESS ? 0 : -1;
}

int par_rows_recv(par_ctx *c, int src, int task, double **rows, size_t *n)
{
    (void)task;
    if (!c->mpi)
        return -1;
    par_mpi *m = impl(c);
    MPI_Status st;
    int count = 0;
    MPI_Probe(src, TAG_ROWS, m->data, &st);
    MPI_Get_count(&st, MPI_DOUBLE, &count);
    *rows = malloc((count > 0 ? (size_t)count : 1) * sizeof **rows);
    if (!*rows)
        return -1;
    MPI_Recv(*rows, count, MPI_DOUBLE, src, TAG_ROWS, m->data, MPI_STATUS_IGNORE);
    *n = (size_t)count;
    return 0;
}

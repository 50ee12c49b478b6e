/* par.h — the seam between a study (study.c) and MPI.
 *
 * Two implementations with the same interface: par_serial.c (one process; linked into
 * ferrosim) and par_mpi.c (OpenMPI; linked into ferrosim-mpi). A study never includes mpi.h.
 *
 * The protocol, in three phases (rank 0 is the writer):
 *  1. compute: every rank runs its own tasks; workers send their cumulative progress now and
 *     then (par_progress_send) and, at the end, exactly one final message (par_final_send:
 *     their total, or a failure code); rank 0 drains them (par_progress_poll) to draw the bar
 *     and to learn of failures; on a failure it tells every worker to stop (par_stop_all), and
 *     workers look for that (par_stop_poll) between steps.
 *  2. agreement: rank 0 broadcasts the final status (par_status_bcast); a worker that was told
 *     to stop has then received that message (par_stop_drain).
 *  3. results: if the status is 0, workers send their tasks' rows in increasing task order and
 *     rank 0 receives them in the same order (par_rows_send / par_rows_recv).
 * Every call is made by the main thread only (MPI_THREAD_FUNNELED).
 */
#ifndef FERRO_PAR_H
#define FERRO_PAR_H

#include <stddef.h>

typedef struct par_ctx {
    int rank, size;
    int mpi;        /* 1 when MPI_Init was called (launched by mpirun / srun) */
    int stop_sent;  /* rank 0: par_stop_all was called */
    int stop_seen;  /* worker: the stop message was received */
    void *impl;     /* the MPI implementation's communicators (par_mpi.c) */
} par_ctx;

/* 1 when this process was started by an MPI launcher (mpirun, srun with PMI/PMIx). */
int par_launched(void);

/* MPI_Init (thread level FUNNELED) when launched, else a world of one. 0, or -1 with a message. */
int par_init(par_ctx *c, int *argc, char ***argv, char *err, size_t errlen);
void par_finalize(par_ctx *c);

/* Name of the implementation, for messages and --version: "serial" or "OpenMPI x.y". */
const char *par_name(void);

/* Phase 1, workers. progress: cumulative work units done (sent only if the previous one has
 * left). final: the worker's total work (success) or -code (failure, code > 0). */
void par_progress_send(par_ctx *c, long long done);
void par_final_send(par_ctx *c, long long final_value);
/* Phase 1, workers: 1 when rank 0 asked every worker to stop. */
int par_stop_poll(par_ctx *c);

/* Phase 1, rank 0: receive pending messages; done[r] = latest progress of rank r,
 * final[r] set (and got_final[r] = 1) when its final message arrived. Returns the number of
 * messages received. wait != 0 blocks until at least one arrives (sleeping, not spinning). */
int par_progress_poll(par_ctx *c, long long *done, long long *final, int *got_final, int wait);
void par_stop_all(par_ctx *c);

/* Phase 2: rank 0's status reaches every rank (returned). */
int par_status_bcast(par_ctx *c, int status);
void par_stop_drain(par_ctx *c);

/* Phase 3: n doubles for task `task`. recv allocates *rows (free with free()); -1 on error. */
int par_rows_send(par_ctx *c, int task, const double *rows, size_t n);
int par_rows_recv(par_ctx *c, int src, int task, double **rows, size_t *n);

#endif

/* par_serial.c — par.h for one process (ferrosim): rank 0 of a world of one, no messages. */
#include "par.h"

int par_launched(void)
{
    return 0;
}

int par_init(par_ctx *c, int *argc, char ***argv, char *err, size_t errlen)
{
    (void)argc;
    (void)argv;
    (void)err;
    (void)errlen;
    *c = (par_ctx){.rank = 0, .size = 1};
    return 0;
}

void par_finalize(par_ctx *c)
{
    (void)c;
}

const char *par_name(void)
{
    return "serial";
}

/* A world of one has no workers: these are never called with messages to carry. */
void par_progress_send(par_ctx *c, long long done)
{
    (void)c;
    (void)done;
}

void par_final_send(par_ctx *c, long long final_value)
{
    (void)c;
    (void)final_value;
}

int par_stop_poll(par_ctx *c)
{
    (void)c;
    return 0;
}

int par_progress_poll(par_ctx *c, long long *done, long long *final, int *got_final, int wait)
{
    (void)c;
    (void)done;
    (void)final;
    (void)got_final;
    (void)wait;
    return 0;
}

void par_stop_all(par_ctx *c)
{
    c->stop_sent = 1;
}

int par_status_bcast(par_ctx *c, int status)
{
    (void)c;
    return status;
}

void par_stop_drain(par_ctx *c)
{
    (void)c;
}

int par_rows_send(par_ctx *c, int task, const double *rows, size_t n)
{
    (void)c;
    (void)task;
    (void)rows;
    (void)n;
    return -1; /* rank 0 never sends to itself */
}

int par_rows_recv(par_ctx *c, int src, int task, double **rows, size_t *n)
{
    (void)c;
    (void)src;
    (void)task;
    (void)rows;
    (void)n;
    return -1;
}

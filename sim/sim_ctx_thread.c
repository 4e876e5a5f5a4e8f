/* sim_ctx_thread.c -- sim_ctx over POSIX threads: each context is a thread that waits on its own
 * semaphore; the engine waits on the context's return semaphore. See sim_ctx.h. */
#define _GNU_SOURCE
#include "sim_ctx.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>

#include "../common/chk.h"

struct sim_ctx {
    sim_ctx_fn fn;
    void *arg;
    pthread_t thread;
    sem_t run, back; /* the actor's turn; the engine's turn */
    int aborting;
};

static void *ctx_main(void *p)
{
    sim_ctx *c = p;
    while (sem_wait(&c->run) != 0) {}
    if (!c->aborting) c->fn(c->arg);
    sem_post(&c->back);
    return NULL;
}

sim_ctx *sim_ctx_new(sim_ctx_fn fn, void *arg)
{
    sim_ctx *c = chk_calloc(1, sizeof *c);
    c->fn = fn;
    c->arg = arg;
    CHECK(sem_init(&c->run, 0, 0) == 0 && sem_init(&c->back, 0, 0) == 0, "sem_init failed");
    CHECK(pthread_create(&c->thread, NULL, ctx_main, c) == 0, "pthread_create failed");
    return c;
}

void sim_ctx_resume(sim_ctx *c)
{
    sem_post(&c->run);
    while (sem_wait(&c->back) != 0) {}
}

void sim_ctx_yield(sim_ctx *c)
{
    sem_post(&c->back);
    while (sem_wait(&c->run) != 0) {}
    if (c->aborting) pthread_exit(NULL);
}

void sim_ctx_free(sim_ctx *c, int fn_returned)
{
    if (!c) return;
    if (!fn_returned) { /* wake it once more: it sees aborting and exits its thread */
        c->aborting = 1;
        sem_post(&c->run);
    }
    pthread_join(c->thread, NULL);
    sem_destroy(&c->run);
    sem_destroy(&c->back);
    free(c);
}

const char *sim_ctx_backend(void) { return "threads"; }

/* sim.c -- event heap and the actor baton. See sim.h. */
#define _GNU_SOURCE
#include "sim.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct sim_event {
    int64_t t;
    uint64_t seq;
    sim_event_fn fn;
    void *arg;
} sim_event;

struct sim_actor {
    sim_engine *e;
    char name[32];
    sim_actor_fn fn;
    void *arg;
    pthread_t thread;
    sem_t baton;
    int started, done, blocked;
};

struct sim_engine {
    sim_event *heap;
    size_t nheap, capheap;
    uint64_t seq, nevents;
    int64_t now;
    sim_actor **actors;
    size_t nactors, capactors;
    sem_t baton;      /* the engine's turn */
    int running, ran, aborting, overflow;
    char blocked_names[256];
};

/* ---- event heap (binary min-heap on (t, seq)) ---- */

static int ev_less(const sim_event *a, const sim_event *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

void sim_schedule(sim_engine *e, int64_t t, sim_event_fn fn, void *arg)
{
    CHECK(t >= e->now, "event scheduled in the past (t=%lld < now=%lld)", (long long)t, (long long)e->now);
    if (t >= SIM_TIME_MAX) { /* out of virtual time: the run stops at the next turn of the engine */
        e->overflow = 1;
        return;
    }
    if (e->nheap == e->capheap) {
        e->capheap = e->capheap ? 2 * e->capheap : 64;
        e->heap = realloc(e->heap, e->capheap * sizeof *e->heap);
        CHECK(e->heap != NULL, "out of memory growing the event heap");
    }
    size_t i = e->nheap++;
    sim_event ev = {t, e->seq++, fn, arg};
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ev_less(&ev, &e->heap[parent])) break;
        e->heap[i] = e->heap[parent];
        i = parent;
    }
    e->heap[i] = ev;
}

static sim_event ev_pop(sim_engine *e)
{
    sim_event top = e->heap[0], last = e->heap[--e->nheap];
    size_t i = 0, n = e->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && ev_less(&e->heap[c + 1], &e->heap[c])) c++;
        if (!ev_less(&e->heap[c], &last)) break;
        e->heap[i] = e->heap[c];
        i = c;
    }
    if (n > 0) e->heap[i] = last;
    return top;
}

/* ---- engine ---- */

sim_engine *sim_create(void)
{
    sim_engine *e = chk_calloc(1, sizeof *e);
    CHECK(sem_init(&e->baton, 0, 0) == 0, "sem_init failed");
    return e;
}

void sim_destroy(sim_engine *e)
{
    if (!e) return;
    CHECK(!e->running, "sim_destroy during sim_run");
    for (size_t i = 0; i < e->nactors; i++) {
        sem_destroy(&e->actors[i]->baton);
        free(e->actors[i]);
    }
    sem_destroy(&e->baton);
    free(e->actors);
    free(e->heap);
    free(e);
}

sim_actor *sim_spawn(sim_engine *e, const char *name, sim_actor_fn fn, void *arg)
{
    CHECK(!e->running && !e->ran, "sim_spawn after sim_run started");
    if (e->nactors == e->capactors) {
        e->capactors = e->capactors ? 2 * e->capactors : 4;
        e->actors = realloc(e->actors, e->capactors * sizeof *e->actors);
        CHECK(e->actors != NULL, "out of memory");
    }
    sim_actor *a = chk_calloc(1, sizeof *a);
    a->e = e;
    snprintf(a->name, sizeof a->name, "%s", name);
    a->fn = fn;
    a->arg = arg;
    CHECK(sem_init(&a->baton, 0, 0) == 0, "sem_init failed");
    e->actors[e->nactors++] = a;
    return a;
}

/* Gives the baton from the running actor back to the engine and waits for it to come back. */
static void actor_yield(sim_actor *a)
{
    sem_post(&a->e->baton);
    while (sem_wait(&a->baton) != 0) {}
    if (a->e->aborting) pthread_exit(NULL);
}

static void *actor_main(void *p)
{
    sim_actor *a = p;
    while (sem_wait(&a->baton) != 0) {}
    if (!a->e->aborting) a->fn(a, a->arg);
    a->done = 1;
    sem_post(&a->e->baton);
    return NULL;
}

static void ev_resume(sim_engine *e, void *arg)
{
    sim_actor *a = arg;
    sem_post(&a->baton);
    while (sem_wait(&e->baton) != 0) {}
}

int sim_run(sim_engine *e)
{
    CHECK(!e->ran, "sim_run called twice on one engine");
    e->running = e->ran = 1;
    for (size_t i = 0; i < e->nactors; i++) {
        sim_actor *a = e->actors[i];
        CHECK(pthread_create(&a->thread, NULL, actor_main, a) == 0, "pthread_create failed");
        a->started = 1;
        sim_schedule(e, 0, ev_resume, a);
    }
    while (e->nheap > 0 && !e->overflow) {
        sim_event ev = ev_pop(e);
        e->now = ev.t;
        e->nevents++;
        ev.fn(e, ev.arg);
    }
    int rc = SIM_OK;
    e->blocked_names[0] = 0;
    for (size_t i = 0; i < e->nactors; i++) {
        sim_actor *a = e->actors[i];
        if (!a->done) {
            rc = SIM_EDEADLOCK;
            size_t len = strlen(e->blocked_names);
            snprintf(e->blocked_names + len, sizeof e->blocked_names - len, "%s%s", len ? " " : "", a->name);
        }
    }
    if (e->overflow) rc = SIM_ETIME;
    if (rc != SIM_OK) {
        /* Terminate blocked actors: each wakes, sees aborting and exits its thread. */
        e->aborting = 1;
        for (size_t i = 0; i < e->nactors; i++)
            if (!e->actors[i]->done) sem_post(&e->actors[i]->baton);
    }
    for (size_t i = 0; i < e->nactors; i++) pthread_join(e->actors[i]->thread, NULL);
    e->running = 0;
    return rc;
}

const char *sim_blocked_names(const sim_engine *e) { return e->blocked_names; }
int64_t sim_now(const sim_engine *e) { return e->now; }
uint64_t sim_event_count(const sim_engine *e) { return e->nevents; }

void sim_sleep(sim_actor *a, int64_t dt)
{
    CHECK(dt >= 0, "negative sleep %lld ns", (long long)dt);
    if (dt == 0) return;
    int64_t t = a->e->now > SIM_TIME_MAX - dt ? SIM_TIME_MAX : a->e->now + dt;
    sim_schedule(a->e, t, ev_resume, a);
    actor_yield(a);
}

void sim_block(sim_actor *a)
{
    a->blocked = 1;
    actor_yield(a);
}

void sim_wake(sim_actor *a)
{
    if (!a->blocked) return;
    a->blocked = 0;
    sim_schedule(a->e, a->e->now, ev_resume, a);
}

int64_t sim_thread_cpu_ns(void)
{
    struct timespec ts;
    CHECK(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0, "thread CPU clock unavailable");
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

sim_engine *sim_actor_engine(const sim_actor *a) { return a->e; }
const char *sim_actor_name(const sim_actor *a) { return a->name; }
int sim_actor_done(const sim_actor *a) { return a->done; }

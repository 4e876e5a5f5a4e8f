/* sim.h -- discrete-event simulator: event heap in int64 nanoseconds, actors in virtual time.
 *
 * Events are ordered by (time, insertion sequence), so equal timestamps fire in the order they were
 * scheduled and every run is deterministic. Actors are ordinary blocking C functions, each with its
 * own stack, but only one runs at any moment: the engine hands a baton to the actor whose resume
 * event fires, and the actor hands it back when it sleeps, blocks or returns. The stacks and the
 * baton are an execution-context backend (sim_ctx.h): a ucontext coroutine per actor natively (a
 * turn is a user-space switch), or a thread and semaphores per actor (SimGrid's serial thread
 * context, CMake MPCSIM_SIM_CTX=threads), an Emscripten fiber in the browser.
 * The wall clock is never read here. */
#ifndef SIM_H
#define SIM_H

#include <stdint.h>

#include "../common/chk.h"

typedef struct sim_engine sim_engine;
typedef struct sim_actor sim_actor;

typedef void (*sim_actor_fn)(sim_actor *self, void *arg);
typedef void (*sim_event_fn)(sim_engine *e, void *arg);

/* Result codes of sim_run. */
enum {
    SIM_OK = 0,
    SIM_EDEADLOCK = -1, /* no event left while some actor is still blocked */
    SIM_ETIME = -2,     /* an event fell at or beyond SIM_TIME_MAX: the inputs ask for more virtual time than int64 ns hold */
};

/* Virtual times are int64 ns below SIM_TIME_MAX (2^63 - 1 ns, about 292 years). Time arithmetic
 * above the engine saturates at it (nm_time_add); scheduling an event there stops the run: sim_run
 * terminates the actors and returns SIM_ETIME. */
#define SIM_TIME_MAX INT64_MAX

sim_engine *sim_create(void);
/* Destroying NULL is a no-op. Must not be called while sim_run is active. */
void sim_destroy(sim_engine *e);

/* Adds an actor; it starts at time 0, in spawn order, when sim_run begins. name is copied. */
sim_actor *sim_spawn(sim_engine *e, const char *name, sim_actor_fn fn, void *arg);

/* Runs until every actor has returned (SIM_OK), nothing can progress (SIM_EDEADLOCK; then the
 * blocked actors are terminated and sim_blocked_names() lists them) or an event was scheduled at
 * SIM_TIME_MAX or later (SIM_ETIME; the actors are terminated). Call once per engine. */
int sim_run(sim_engine *e) WUR;
const char *sim_blocked_names(const sim_engine *e);

/* Current virtual time (ns). */
int64_t sim_now(const sim_engine *e);
/* Schedules fn(e, arg) at absolute time t >= now; t >= SIM_TIME_MAX stops the run (SIM_ETIME). */
void sim_schedule(sim_engine *e, int64_t t, sim_event_fn fn, void *arg);
/* Number of events processed so far. */
uint64_t sim_event_count(const sim_engine *e);

/* ---- called by an actor on itself ---- */
/* Advances the actor's clock by dt >= 0 ns (other actors run meanwhile); now + dt saturates at
 * SIM_TIME_MAX, which stops the run (SIM_ETIME). */
void sim_sleep(sim_actor *a, int64_t dt);
/* Suspends the actor until some event calls sim_wake on it. */
void sim_block(sim_actor *a);

/* ---- called from event callbacks ---- */
/* Makes a blocked actor runnable at the current time (no-op if it is not blocked). */
void sim_wake(sim_actor *a);

/* The one place that reads a real clock: CPU time of the calling thread (with the threads backend,
 * one per actor), in ns. Not used by the simulator itself (the `measured` compute model reads the process's CPU clock,
 * runtime/rt_sim.c); with the ucontext backend every actor shares the engine's thread. */
int64_t sim_thread_cpu_ns(void);

sim_engine *sim_actor_engine(const sim_actor *a);
const char *sim_actor_name(const sim_actor *a);
int sim_actor_done(const sim_actor *a);

#endif

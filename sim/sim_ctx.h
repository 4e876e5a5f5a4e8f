/* sim_ctx.h -- the execution contexts behind sim.c's baton: where an actor's stack lives and how the
 * engine and an actor hand the single turn to each other. One backend per build, same semantics:
 *   ucontext (native default; sim_ctx_ucontext.c): a makecontext/swapcontext coroutine per actor on
 *            the engine's thread (a turn is a user-space switch; ASan annotated);
 *   threads  (CMake MPCSIM_SIM_CTX=threads; sim_ctx_thread.c): one POSIX thread per actor and two
 *            semaphores (SimGrid's serial thread context: debuggable, ASan-clean);
 *   fiber   (Emscripten builds; sim_ctx_fiber.c): an emscripten fiber (Asyncify) per actor, all on
 *            the browser's one thread, so the page needs no SharedArrayBuffer and no special headers.
 * Exactly one of the engine and the actors runs at any moment; the order is decided by sim.c alone. */
#ifndef SIM_CTX_H
#define SIM_CTX_H

typedef struct sim_ctx sim_ctx;
typedef void (*sim_ctx_fn)(void *arg);

/* A context that will run fn(arg) on its first sim_ctx_resume. */
sim_ctx *sim_ctx_new(sim_ctx_fn fn, void *arg);
/* Engine side: runs the context until it calls sim_ctx_yield or fn returns. */
void sim_ctx_resume(sim_ctx *c);
/* Actor side, from inside fn: hands the turn back to the engine; returns at the next resume.
 * Never returns if the context is freed meanwhile (the actor is terminated). */
void sim_ctx_yield(sim_ctx *c);
/* Ends a context. If fn has not returned, the actor is terminated where it waits (its stack is
 * abandoned, as pthread_exit does). Call from the engine side only, never while it runs. */
void sim_ctx_free(sim_ctx *c, int fn_returned);
/* The backend's name ("threads" or "fiber"), for logs and tests. */
const char *sim_ctx_backend(void);

#endif

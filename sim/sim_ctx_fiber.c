/* sim_ctx_fiber.c -- sim_ctx over Emscripten fibers (needs -sASYNCIFY): each context has its own C
 * stack and Asyncify stack on the browser's single thread; resume and yield are fiber swaps. A
 * terminated actor is simply never swapped in again. See sim_ctx.h. */
#include "sim_ctx.h"

#include <emscripten/fiber.h>
#include <stdlib.h>

#include "../common/chk.h"

enum {
    CTX_C_STACK = 1 << 20,      /* the actor's C stack (the threads backend's default is 8 MiB) */
    CTX_ASYNCIFY_STACK = 1 << 16, /* the unwound call chain of a suspended actor */
};

struct sim_ctx {
    sim_ctx_fn fn;
    void *arg;
    int returned;
    emscripten_fiber_t fiber;
    void *c_stack, *a_stack;
};

/* The engine's context: the caller of sim_run (one engine runs at a time in a browser). It is taken
 * afresh at each resume: the engine is then at its own top, with nothing unwound. */
static emscripten_fiber_t engine_fiber;
static char engine_astack[CTX_ASYNCIFY_STACK];

static void ctx_entry(void *p)
{
    sim_ctx *c = p;
    c->fn(c->arg);
    c->returned = 1;
    emscripten_fiber_swap(&c->fiber, &engine_fiber); /* a fiber must never return from its entry */
    CHECK(0, "a finished actor was resumed");
}

sim_ctx *sim_ctx_new(sim_ctx_fn fn, void *arg)
{
    sim_ctx *c = chk_calloc(1, sizeof *c);
    c->fn = fn;
    c->arg = arg;
    c->c_stack = chk_malloc(CTX_C_STACK);
    c->a_stack = chk_malloc(CTX_ASYNCIFY_STACK);
    emscripten_fiber_init(&c->fiber, ctx_entry, c, c->c_stack, CTX_C_STACK, c->a_stack, CTX_ASYNCIFY_STACK);
    return c;
}

void sim_ctx_resume(sim_ctx *c)
{
    CHECK(!c->returned, "resuming a finished actor");
    emscripten_fiber_init_from_current_context(&engine_fiber, engine_astack, sizeof engine_astack);
    emscripten_fiber_swap(&engine_fiber, &c->fiber);
}

void sim_ctx_yield(sim_ctx *c) { emscripten_fiber_swap(&c->fiber, &engine_fiber); }

void sim_ctx_free(sim_ctx *c, int fn_returned)
{
    if (!c) return;
    free(c->c_stack);
    free(c->a_stack);
    free(c);
}

const char *sim_ctx_backend(void) { return "fiber"; }

/* sim_ctx_ucontext.c -- sim_ctx over ucontext (makecontext/swapcontext): every actor a coroutine
 * with its own stack on the engine's thread, so handing the baton is a user-space context switch
 * instead of a semaphore handoff between two kernel threads (a futex wake-up, a reschedule and, in
 * a VM, an inter-processor interrupt per turn). The native default (CMake MPCSIM_SIM_CTX=ucontext);
 * same semantics as the threads backend (sim_ctx.h): a terminated actor is simply never resumed
 * again (its stack is dropped without unwinding, as pthread_exit does).
 *
 * Stacks: SIM_CTX_STACK bytes each (the threads backend's default of 8 MiB), mapped without reserve
 * and touched lazily, with a guard page below; freed stacks are kept in a small pool (their pages
 * stay mapped) for the next run's actors, so a simulation per evaluated example maps no new pages.
 * Under AddressSanitizer every switch is announced (__sanitizer_start/finish_switch_fiber) and a
 * stack is unpoisoned before it is reused. */
#define _GNU_SOURCE
#include "sim_ctx.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "../common/chk.h"

#if defined(__SANITIZE_ADDRESS__)
#define CTX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CTX_ASAN 1
#endif
#endif
#ifndef CTX_ASAN
#define CTX_ASAN 0
#endif

#if CTX_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

enum { SIM_CTX_STACK = 8 << 20, CTX_POOL = 8 };

struct sim_ctx {
    sim_ctx_fn fn;
    void *arg;
    int returned;
    ucontext_t uc;     /* the actor's context */
    ucontext_t engine; /* where resume was called from: yield and return go back there */
    void *map;         /* the mapping: guard page, then the stack */
    size_t map_len;
#if CTX_ASAN
    void *fake;                 /* ASan's fake stack of the side being left */
    const void *eng_bottom;     /* the engine's stack, as ASan reported it at the first switch */
    size_t eng_size;
#endif
};

/* ---- stacks: a small pool of mappings kept across runs ---- */

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static void *pool[CTX_POOL];
static int npool;

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

static void *stack_get(size_t *len)
{
    *len = SIM_CTX_STACK + page_size();
    void *m = NULL;
    pthread_mutex_lock(&pool_mu);
    if (npool > 0) m = pool[--npool];
    pthread_mutex_unlock(&pool_mu);
    if (m) return m;
    m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    CHECK(m != MAP_FAILED, "cannot map an actor stack of %zu bytes", *len);
    CHECK(mprotect(m, page_size(), PROT_NONE) == 0, "cannot protect an actor stack's guard page");
    return m;
}

static void stack_put(void *m, size_t len)
{
#if CTX_ASAN
    /* an abandoned actor leaves its frames' redzones poisoned */
    ASAN_UNPOISON_MEMORY_REGION((char *)m + page_size(), len - page_size());
#endif
    pthread_mutex_lock(&pool_mu);
    if (npool < CTX_POOL) {
        pool[npool++] = m;
        m = NULL;
    }
    pthread_mutex_unlock(&pool_mu);
    if (m) munmap(m, len);
}

/* ---- switches ---- */

/* makecontext passes ints: the context's address in two halves. */
static void ctx_entry(unsigned lo, unsigned hi)
{
    sim_ctx *c = (sim_ctx *)(uintptr_t)((uint64_t)hi << 32 | lo);
#if CTX_ASAN
    __sanitizer_finish_switch_fiber(NULL, &c->eng_bottom, &c->eng_size);
#endif
    c->fn(c->arg);
    c->returned = 1;
#if CTX_ASAN
    __sanitizer_start_switch_fiber(NULL, c->eng_bottom, c->eng_size); /* NULL: this stack dies */
#endif
    setcontext(&c->engine);
    CHECK(0, "a finished actor was resumed");
}

sim_ctx *sim_ctx_new(sim_ctx_fn fn, void *arg)
{
    sim_ctx *c = chk_calloc(1, sizeof *c);
    c->fn = fn;
    c->arg = arg;
    c->map = stack_get(&c->map_len);
    CHECK(getcontext(&c->uc) == 0, "getcontext failed");
    c->uc.uc_stack.ss_sp = (char *)c->map + page_size();
    c->uc.uc_stack.ss_size = c->map_len - page_size();
    c->uc.uc_link = NULL;
    uint64_t p = (uint64_t)(uintptr_t)c;
    makecontext(&c->uc, (void (*)(void))ctx_entry, 2, (unsigned)(p & 0xffffffffu), (unsigned)(p >> 32));
    return c;
}

void sim_ctx_resume(sim_ctx *c)
{
    CHECK(!c->returned, "resuming a finished actor");
#if CTX_ASAN
    __sanitizer_start_switch_fiber(&c->fake, c->uc.uc_stack.ss_sp, c->uc.uc_stack.ss_size);
#endif
    CHECK(swapcontext(&c->engine, &c->uc) == 0, "swapcontext failed");
#if CTX_ASAN
    __sanitizer_finish_switch_fiber(c->fake, NULL, NULL);
#endif
}

void sim_ctx_yield(sim_ctx *c)
{
#if CTX_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, c->eng_bottom, c->eng_size);
#endif
    CHECK(swapcontext(&c->uc, &c->engine) == 0, "swapcontext failed");
#if CTX_ASAN
    __sanitizer_finish_switch_fiber(fake, &c->eng_bottom, &c->eng_size);
#endif
}

void sim_ctx_free(sim_ctx *c, int fn_returned)
{
    (void)fn_returned; /* an actor that did not return is abandoned where it waits */
    if (!c) return;
    stack_put(c->map, c->map_len);
    free(c);
}

const char *sim_ctx_backend(void) { return "ucontext"; }

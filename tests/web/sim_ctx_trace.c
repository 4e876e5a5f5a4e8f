/* sim_ctx_trace.c -- the simulator's actor semantics as a printed trace, built twice: natively with
 * the threads context backend (CMake target sim_ctx_trace) and to WebAssembly with the fiber backend
 * (web/build.sh, run under node). explorer.test.js checks both traces are identical, byte for byte:
 * interleaving of sleeping actors, block and wake from events, a deadlock whose blocked actors are
 * terminated, a second engine after it, and many actors switching many times. */
#include <stdio.h>
#include <string.h>

#include "../../sim/sim.h"
#include "../../sim/sim_ctx.h"

typedef struct trace_actor {
    int id, steps;
    int64_t dt;
    sim_actor *self, *peer;
    unsigned long long sum;
} trace_actor;

static void sleeper(sim_actor *a, void *arg)
{
    trace_actor *t = arg;
    for (int i = 0; i < t->steps; i++) {
        printf("%lld %s step %d\n", (long long)sim_now(sim_actor_engine(a)), sim_actor_name(a), i);
        sim_sleep(a, t->dt * (i % 3 + 1));
    }
}

static void wake_ev(sim_engine *e, void *arg)
{
    printf("%lld event wakes %s\n", (long long)sim_now(e), sim_actor_name(arg));
    sim_wake(arg);
}

static void blocker(sim_actor *a, void *arg)
{
    for (int i = 0; i < 3; i++) {
        sim_schedule(sim_actor_engine(a), sim_now(sim_actor_engine(a)) + 7, wake_ev, a);
        sim_block(a);
        printf("%lld %s woke %d\n", (long long)sim_now(sim_actor_engine(a)), sim_actor_name(a), i);
    }
}

static void stuck(sim_actor *a, void *arg)
{
    printf("%lld %s blocks forever\n", (long long)sim_now(sim_actor_engine(a)), sim_actor_name(a));
    sim_block(a);
    printf("programming error: %s resumed after the deadlock\n", sim_actor_name(a));
}

/* Deep recursion between switches: what a fiber must keep across a yield. */
static unsigned long long deep(sim_actor *a, int depth, unsigned long long acc)
{
    char pad[256];
    memset(pad, depth & 0xff, sizeof pad);
    if (depth == 0) {
        sim_sleep(a, 1);
        return acc;
    }
    return deep(a, depth - 1, acc * 31 + (unsigned char)pad[depth % 256]) + (unsigned char)pad[7];
}

static void churner(sim_actor *a, void *arg)
{
    trace_actor *t = arg;
    for (int i = 0; i < t->steps; i++) t->sum += deep(a, 20 + (i + t->id) % 40, (unsigned long long)i);
}

int main(void)
{
    int rc;
    printf("backend-independent trace\n");
    /* 1. interleaving */
    sim_engine *e = sim_create();
    trace_actor s[3] = {{.id = 0, .steps = 5, .dt = 3}, {.id = 1, .steps = 4, .dt = 5}, {.id = 2, .steps = 6, .dt = 2}};
    char name[16];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "s%d", i);
        sim_spawn(e, name, sleeper, &s[i]);
    }
    sim_spawn(e, "b", blocker, NULL);
    rc = sim_run(e);
    printf("run 1: rc %d, now %lld, events %llu\n", rc, (long long)sim_now(e),
           (unsigned long long)sim_event_count(e));
    sim_destroy(e);
    /* 2. deadlock, then a fresh engine */
    e = sim_create();
    sim_spawn(e, "x", stuck, NULL);
    sim_spawn(e, "y", sleeper, &s[0]);
    sim_spawn(e, "z", stuck, NULL);
    rc = sim_run(e);
    printf("run 2: rc %d (deadlock %d), blocked '%s', now %lld\n", rc, SIM_EDEADLOCK, sim_blocked_names(e),
           (long long)sim_now(e));
    sim_destroy(e);
    /* 3. many actors, many switches, deep stacks */
    e = sim_create();
    static trace_actor c[40];
    for (int i = 0; i < 40; i++) {
        c[i] = (trace_actor){.id = i, .steps = 250};
        snprintf(name, sizeof name, "c%d", i);
        sim_spawn(e, name, churner, &c[i]);
    }
    rc = sim_run(e);
    unsigned long long sum = 0;
    for (int i = 0; i < 40; i++) sum = sum * 1000003 + c[i].sum;
    printf("run 3: rc %d, now %lld, events %llu, checksum %llu\n", rc, (long long)sim_now(e),
           (unsigned long long)sim_event_count(e), sum);
    sim_destroy(e);
    fprintf(stderr, "sim_ctx backend: %s\n", sim_ctx_backend());
    return 0;
}

/* rt_sim.c -- the simulator backend: setup + online phases of a 2-party computation with a dealer.
 * See rt_sim.h. */
#include "rt_sim.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../common/rng_tee.h"
#include "../protocols/families.h"
#include "../protocols/mpc_wcache.h"
#include "../sim/sim.h"

typedef struct party_slot {
    mpc_ctx ctx;
    dealer_ctx dctx;
    rt_party_fn fn;
    void *arg;
    int rc;
    const mpc_config *cfg;
} party_slot;

/* The `measured` compute model's clock: the process's CPU time. The actors run one at a time (the
 * baton), so between two communication calls of one party it is that party's work, its kernel
 * threads (par.h) included, which a per-thread clock would miss. */
static int64_t process_cpu_ns(void)
{
    struct timespec ts;
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0, "process CPU clock unavailable");
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Each party's scratch arena lives for the whole session (setup and online phases), or longer when
 * the caller owns it (rt_sim_opts.scratch). */
static void slots_free(const rt_sim_opts *o, party_slot *slot)
{
    for (int i = 0; i < 2; i++)
        if (!o->scratch[i]) arena_destroy(slot[i].ctx.scratch);
    if (!o->scratch[2]) arena_destroy(slot[2].dctx.scratch);
}

static void setup_party(net_party *p, void *arg)
{
    party_slot *s = arg;
    s->ctx.net = p;
    s->rc = mpc_setup(&s->ctx);
}

static void setup_dealer(net_party *p, void *arg)
{
    party_slot *s = arg;
    s->dctx.net = p;
    s->rc = dealer_setup(&s->dctx);
}

/* ---- the shared keystreams (rng_tee.h): the pair stream and each party's dealer stream ---- */

enum { TEE_PAIR = 0, TEE_DEALER0 = 1, TEE_DEALER1 = 2, TEE_N = 3 };

/* After the setup phase (the streams are keyed), for the online phase: P0's and P1's pair streams on
 * one tee, each party's dealer stream with D's replica of it on another: the caller's (emptied), else
 * fresh ones. Real mode without the `measured` compute model only (rt_sim.h). */
static void tees_attach(const rt_sim_opts *o, party_slot *slot, rng_tee *tee[TEE_N])
{
    memset(tee, 0, TEE_N * sizeof *tee);
    if (o->phantom || o->measured || o->tee_off) return;
    for (int k = 0; k < TEE_N; k++) {
        tee[k] = o->tee[k] ? o->tee[k] : rng_tee_create(RT_SIM_TEE_BYTES);
        rng_tee_reset(tee[k]);
    }
    for (int i = 0; i < 2; i++) {
        rng_tee_attach(tee[TEE_PAIR], &slot[i].ctx.pair, i);
        rng_tee_attach(tee[TEE_DEALER0 + i], &slot[i].ctx.dealer, 0);
        rng_tee_attach(tee[TEE_DEALER0 + i], &slot[2].dctx.s[i], 1);
    }
}

static void tees_free(const rt_sim_opts *o, party_slot *slot, rng_tee *tee[TEE_N])
{
    for (int i = 0; i < 2; i++) {
        rng_tee_detach(&slot[i].ctx.pair);
        rng_tee_detach(&slot[i].ctx.dealer);
        rng_tee_detach(&slot[2].dctx.s[i]);
    }
    for (int k = 0; k < TEE_N; k++) {
        if (tee[k] && o->tee_stats) rng_tee_get_stats(tee[k], &o->tee_stats[k]);
        if (tee[k] != o->tee[k]) rng_tee_destroy(tee[k]);
    }
}

static void online_party(net_party *p, void *arg)
{
    party_slot *s = arg;
    s->ctx.net = p;
    rt_phase_online(p, s->ctx.cfg);
    if (p->cpu_clock) p->cpu_mark = p->cpu_clock();
    s->fn(&s->ctx, s->arg);
    net_measure_point(p);
}

static void online_dealer(net_party *p, void *arg)
{
    party_slot *s = arg;
    s->dctx.net = p;
    rt_phase_online(p, s->cfg);
    s->rc = dealer_serve(&s->dctx);
}

int rt_sim_run(const rt_sim_opts *o, rt_party_fn fn, void *arg[2], rt_result *res)
{
    memset(res, 0, sizeof *res);
    party_slot slot[3];
    memset(slot, 0, sizeof slot);

    /* Phase 1: setup. */
    nm_topology t = o->topo;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) t.link[i][j].spec.offline = 0;
    net_sim *s = net_sim_create(&t);
    net_sim_set_pool(s, o->msgpool);
    for (int i = 0; i < 2; i++) {
        mpc_ctx_init(&slot[i].ctx, net_sim_party(s, i), o->cfg, o->phantom, o->seed);
        slot[i].ctx.audit = o->audit;
        if (!o->phantom) slot[i].ctx.scratch = o->scratch[i] ? o->scratch[i] : arena_create();
        else if (o->scratch_probe && o->scratch[i]) {
            slot[i].ctx.scratch = o->scratch[i];
            slot[i].ctx.scratch_probe = 1;
        }
        slot[i].ctx.wcache = o->wcache[i];
        slot[i].fn = fn;
        slot[i].arg = arg ? arg[i] : NULL;
    }
    slot[2].cfg = o->cfg;
    dealer_init(&slot[2].dctx, net_sim_party(s, NET_D), o->phantom, o->seed);
    if (!o->phantom) slot[2].dctx.scratch = o->scratch[2] ? o->scratch[2] : arena_create();
    dealer_set_kinds(&slot[2].dctx, mpc_family_of(o->cfg)->dealer_kinds);
    net_party_fn sfn[3] = {setup_party, setup_party, setup_dealer};
    void *sarg[3] = {&slot[0], &slot[1], &slot[2]};
    int rc = net_sim_run(s, sfn, sarg);
    for (int i = 0; i < 3 && rc == NET_OK; i++)
        if (slot[i].rc != NET_OK) rc = slot[i].rc;
    if (rc != NET_OK) {
        fprintf(stderr, "error: setup phase failed: %s\n", net_strerror(rc));
        net_sim_destroy(s);
        slots_free(o, slot);
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        res->setup_stats[i] = net_sim_party(s, i)->stats;
        if (net_sim_end_time(s, i) > res->setup_ns) res->setup_ns = net_sim_end_time(s, i);
    }
    net_sim_destroy(s);
    /* The model sharings' zero-sharings, drawn in setup where the caller recorded them (mpc_wcache.h). */
    for (int i = 0; i < 2; i++)
        if (!o->phantom && o->wcache[i]) mpc_wcache_fill(o->wcache[i], &slot[i].ctx);
    rng_tee *tee[TEE_N];
    tees_attach(o, slot, tee);

    /* Phase 2: online. */
    t = o->topo;
    int off = o->cfg->dealer_schedule == MPC_DEALER_OFFLINE;
    for (int i = 0; i < 2; i++) {
        t.link[NET_D][i].spec.offline = off;
        t.link[i][NET_D].spec.offline = off;
        t.link[i][1 - i].spec.offline = 0;
    }
    s = net_sim_create(&t);
    net_sim_set_pool(s, o->msgpool);
    for (int k = 0; k < 2; k++)
        if (o->trace[k]) net_sim_add_trace(s, o->trace[k], o->trace_ud[k]);
    for (int i = 0; i < 3; i++) {
        net_party *p = net_sim_party(s, i);
        p->cost = o->cost;
        p->cost_ud = o->cost_ud;
        if (o->measured) p->cpu_clock = process_cpu_ns;
        p->tag_hook = o->tag_hook;
        p->tag_hook_ud = o->tag_hook_ud;
    }
    net_rt rts[2];
    for (int i = 0; i < 2 && o->rt; i++) {
        net_rt_init(&rts[i], o->rt);
        net_rt_attach(net_sim_party(s, i), &rts[i]);
    }
    net_sim_barrier(s, 0, 1, RT_BARRIER_BYTES);
    net_party_fn ofn[3] = {online_party, online_party, online_dealer};
    rc = net_sim_run(s, ofn, sarg);
    if (rc == NET_OK && slot[2].rc != NET_OK) rc = slot[2].rc;
    for (int i = 0; i < 2 && o->rt; i++) {
        res->rt[i] = rts[i].st;
        net_rt_free(&rts[i]);
    }
    tees_free(o, slot, tee);
    if (rc != NET_OK) {
        fprintf(stderr, "error: online phase failed: %s\n", net_strerror(rc));
        net_sim_destroy(s);
        slots_free(o, slot);
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        const net_party *p = net_sim_party(s, i);
        res->stats[i] = p->stats;
        res->depth[i] = p->depth;
        res->end_ns[i] = net_sim_end_time(s, i);
        memcpy(res->cp_ns[i], p->cp, sizeof p->cp);
    }
    rt_result_assemble(res, slot[2].dctx.nreq);
    res->pk_valid = net_sim_pkt_stats(s, 0, 1, &res->pk[0]) == 0 && net_sim_pkt_stats(s, 1, 0, &res->pk[1]) == 0;
    net_sim_destroy(s);
    slots_free(o, slot);
    return 0;
}

int rt_sim_job(const rt_sim_opts *o, const rt_job *j, rt_result *res)
{
    rt_sim_opts so = *o;
    so.cfg = j->cfg;
    so.phantom = j->phantom;
    so.seed = j->seed;
    void *arg[2] = {j->arg[0], j->arg[1]};
    return rt_sim_run(&so, j->fn, arg, res);
}

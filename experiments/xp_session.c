/* xp_session.c -- setup + online phases of a 2-party computation with a dealer. See xp_session.h. */
#include "xp_session.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../protocols/family.h"
#include "../sim/sim.h"

typedef struct party_slot {
    mpc_ctx ctx;
    dealer_ctx dctx;
    xp_party_fn fn;
    void *arg;
    int rc;
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

/* Each party's scratch arena lives for the whole session (setup and online phases). */
static void slots_free(party_slot *slot)
{
    for (int i = 0; i < 2; i++) arena_destroy(slot[i].ctx.scratch);
    arena_destroy(slot[2].dctx.scratch);
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

static void online_party(net_party *p, void *arg)
{
    party_slot *s = arg;
    s->ctx.net = p;
    if (p->cpu_clock) p->cpu_mark = p->cpu_clock();
    s->fn(&s->ctx, s->arg);
    net_measure_point(p);
}

static void online_dealer(net_party *p, void *arg)
{
    party_slot *s = arg;
    s->dctx.net = p;
    s->rc = dealer_serve(&s->dctx);
}

int xp_session_run(const xp_session_opts *o, xp_party_fn fn, void *arg[2], xp_result *res)
{
    memset(res, 0, sizeof *res);
    party_slot slot[3];
    memset(slot, 0, sizeof slot);

    /* Phase 1: setup. */
    nm_topology t = o->topo;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) t.link[i][j].spec.offline = 0;
    net_sim *s = net_sim_create(&t);
    for (int i = 0; i < 2; i++) {
        mpc_ctx_init(&slot[i].ctx, net_sim_party(s, i), o->cfg, o->phantom, o->seed);
        if (!o->phantom) slot[i].ctx.scratch = arena_create();
        slot[i].fn = fn;
        slot[i].arg = arg ? arg[i] : NULL;
    }
    dealer_init(&slot[2].dctx, net_sim_party(s, NET_D), o->phantom, o->seed);
    if (!o->phantom) slot[2].dctx.scratch = arena_create();
    dealer_set_kinds(&slot[2].dctx, mpc_family_of(o->cfg)->dealer_kinds);
    net_party_fn sfn[3] = {setup_party, setup_party, setup_dealer};
    void *sarg[3] = {&slot[0], &slot[1], &slot[2]};
    int rc = net_sim_run(s, sfn, sarg);
    for (int i = 0; i < 3 && rc == NET_OK; i++)
        if (slot[i].rc != NET_OK) rc = slot[i].rc;
    if (rc != NET_OK) {
        fprintf(stderr, "error: setup phase failed: %s\n", net_strerror(rc));
        net_sim_destroy(s);
        slots_free(slot);
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        res->setup_stats[i] = net_sim_party(s, i)->stats;
        if (net_sim_end_time(s, i) > res->setup_ns) res->setup_ns = net_sim_end_time(s, i);
    }
    net_sim_destroy(s);

    /* Phase 2: online. */
    t = o->topo;
    int off = o->cfg->dealer_schedule == MPC_DEALER_OFFLINE;
    for (int i = 0; i < 2; i++) {
        t.link[NET_D][i].spec.offline = off;
        t.link[i][NET_D].spec.offline = off;
        t.link[i][1 - i].spec.offline = 0;
    }
    s = net_sim_create(&t);
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
    net_sim_barrier(s, 0, 1, XP_BARRIER_BYTES);
    net_party_fn ofn[3] = {online_party, online_party, online_dealer};
    rc = net_sim_run(s, ofn, sarg);
    if (rc == NET_OK && slot[2].rc != NET_OK) rc = slot[2].rc;
    if (rc != NET_OK) {
        fprintf(stderr, "error: online phase failed: %s\n", net_strerror(rc));
        net_sim_destroy(s);
        slots_free(slot);
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        const net_party *p = net_sim_party(s, i);
        res->stats[i] = p->stats;
        res->depth[i] = p->depth;
        res->end_ns[i] = net_sim_end_time(s, i);
        memcpy(res->cp_ns[i], p->cp, sizeof p->cp);
    }
    res->latency_ns = res->end_ns[0] > res->end_ns[1] ? res->end_ns[0] : res->end_ns[1];
    res->rounds = res->depth[0] > res->depth[1] ? res->depth[0] : res->depth[1];
    const net_counters *d = &res->stats[NET_D].total;
    res->dealer_bytes = d->sent_bytes[0] + d->sent_bytes[1] + d->recv_bytes[0] + d->recv_bytes[1];
    res->dealer_requests = slot[2].dctx.nreq;
    res->dealer_to[0] = d->sent_bytes[NET_P0];
    res->dealer_to[1] = d->sent_bytes[NET_P1];
    res->pk_valid = net_sim_pkt_stats(s, 0, 1, &res->pk[0]) == 0 && net_sim_pkt_stats(s, 1, 0, &res->pk[1]) == 0;
    net_sim_destroy(s);
    slots_free(slot);
    return 0;
}

uint64_t xp_online_sent(const xp_result *r, int i) { return r->stats[i].total.sent_bytes[1 - i]; }
uint64_t xp_online_recv(const xp_result *r, int i) { return r->stats[i].total.recv_bytes[1 - i]; }

void xp_pkt_summary(FILE *f, const xp_result *r)
{
    for (int i = 0; i < 2 && r->pk_valid; i++) {
        const nm_pkt_stats *k = &r->pk[i];
        fprintf(f, "packet model: P%d->P%d: ", i, 1 - i);
        if (k->hystart_exit_ns >= 0)
            fprintf(f, "HyStart ended slow start at %.3f ms with cwnd %u", k->hystart_exit_ns * 1e-6, k->ssthresh);
        else if (k->ssthresh != UINT32_MAX)
            fprintf(f, "slow start ended with ssthresh %u", k->ssthresh);
        else
            fprintf(f, "still in slow start");
        fprintf(f, "; cwnd %u at the end, delay_min %.3f ms, srtt %.3f ms, %" PRIu64 " segments, %" PRIu64 " ACKs\n",
                k->cwnd, k->delay_min_ns * 1e-6, k->srtt_ns * 1e-6, k->segments, k->acks);
    }
}

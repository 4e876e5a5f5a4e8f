/* rt_plan.c -- the dealer's material computed before the online phase. See rt_plan.h. */
#include "rt_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/arena.h"
#include "../protocols/mpc_wcache.h"
#include "rt_sim.h"

enum { REQ_WORDS = 1 + DEALER_SHAPE_WORDS };
_Static_assert(REQ_WORDS * 8 == DEALER_REQ_BYTES, "a request is its kind and shape words");

typedef struct rec {
    rt_plan *plan;
    size_t cap;
} rec;

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Trace sink: keeps P0's requests to D (always real bytes, also in phantom mode). */
static void on_msg(void *ud, const net_trace_rec *r)
{
    rec *x = ud;
    if (r->src != NET_P0 || r->dst != NET_D) return;
    CHECK(r->bytes == DEALER_REQ_BYTES && r->payload, "P0 sent D a %llu-byte message that is not a request",
          (unsigned long long)r->bytes);
    rt_plan *p = x->plan;
    if (p->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 256;
        p->req = chk_realloc(p->req, x->cap * sizeof *p->req);
    }
    for (int w = 0; w < REQ_WORDS; w++) p->req[p->n][w] = get64((const uint8_t *)r->payload + 8 * w);
    p->n++;
}

/* The job j in phantom mode (no data, no outputs) and simulator options for recording it: three nodes
 * on an ideal 1 Gbit/s, 100 us link (the counts recorded do not depend on the link). */
static void phantom_run(const rt_job *j, rt_job *pj, rt_sim_opts *so)
{
    *pj = *j;
    pj->phantom = 1;
    memset(pj->ret, 0, sizeof pj->ret);
    memset(pj->ret_len, 0, sizeof pj->ret_len);
    memset(pj->share, 0, sizeof pj->share);
    pj->nshare = 0;
    memset(so, 0, sizeof *so);
    nm_linkspec l = {.bps = 1000000000ull, .latency_ns = 100000};
    nm_topology_init(&so->topo, 3, &l);
}

int rt_plan_record(const rt_job *j, rt_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    rt_job pj;
    rt_sim_opts so;
    phantom_run(j, &pj, &so);
    rec x = {.plan = plan};
    so.trace[0] = on_msg;
    so.trace_ud[0] = &x;
    rt_result res;
    if (rt_sim_job(&so, &pj, &res) != 0) {
        fprintf(stderr, "error: D: the dealer's plan (the job in phantom mode) failed\n");
        rt_plan_free(plan);
        return -1;
    }
    CHECK(res.dealer_requests == plan->n, "the plan saw %zu requests, the dealer served %llu", plan->n,
          (unsigned long long)res.dealer_requests);
    plan->bytes = chk_calloc(plan->n ? plan->n : 1, sizeof *plan->bytes);
    plan->off = chk_calloc(plan->n ? plan->n : 1, sizeof *plan->off);
    return 0;
}

/* Sizes and offsets of every request (kinds from d's table). */
static int plan_sizes(const dealer_ctx *d, rt_plan *plan)
{
    plan->total = 0;
    for (size_t i = 0; i < plan->n; i++) {
        const dealer_kind_def *k = dealer_kind_find(d->kinds, plan->req[i][0]);
        const char *why = k ? k->sizes(&plan->req[i][1], plan->bytes[i]) : "unknown correlation kind";
        if (why) {
            fprintf(stderr, "error: D: the plan's request %zu (kind %llu): %s\n", i, (unsigned long long)plan->req[i][0], why);
            return -1;
        }
        plan->off[i] = plan->total;
        plan->total += plan->bytes[i][0] + plan->bytes[i][1];
    }
    return 0;
}

int rt_plan_fill(dealer_ctx *d, rt_plan *plan)
{
    if (plan_sizes(d, plan) != 0) return -1;
    if (d->phantom) return 0;
    size_t cap = plan->total ? plan->total : 1;
    plan->mat = arena_pages(&cap);
    for (size_t i = 0; i < plan->n; i++) {
        const dealer_kind_def *k = dealer_kind_find(d->kinds, plan->req[i][0]);
        uint8_t *out[2] = {NULL, NULL};
        uint8_t *m = plan->mat + plan->off[i];
        if (plan->bytes[i][0]) out[0] = m;
        if (plan->bytes[i][1]) out[1] = m + plan->bytes[i][0];
        k->serve(d, &plan->req[i][1], out);
    }
    return 0;
}

int rt_plan_serve(dealer_ctx *d, const rt_plan *plan)
{
    CHECK(d->phantom || plan->mat || plan->n == 0, "rt_plan_serve before rt_plan_fill");
    for (size_t i = 0;; i++) {
        uint8_t r[DEALER_REQ_BYTES];
        int rc = net_recv(d->net, NET_P0, r, sizeof r);
        if (rc == NET_ECLOSED) {
            if (i == plan->n) return NET_OK; /* P0 is done */
            fprintf(stderr, "error: D: P0 finished after %zu requests; the plan has %zu\n", i, plan->n);
            return NET_EPROTO;
        }
        if (rc != NET_OK) return rc;
        int same = i < plan->n;
        for (int w = 0; w < REQ_WORDS && same; w++) same = get64(r + 8 * w) == plan->req[i][w];
        if (!same) {
            fprintf(stderr, "error: D: P0's request %zu (kind %llu, shape %llu %llu %llu %llu %llu) is not the "
                            "plan's (%s): P0 runs another program, or the program is not data-oblivious\n",
                    i, (unsigned long long)get64(r), (unsigned long long)get64(r + 8), (unsigned long long)get64(r + 16),
                    (unsigned long long)get64(r + 24), (unsigned long long)get64(r + 32),
                    (unsigned long long)get64(r + 40), i < plan->n ? "another kind or shape" : "past its end");
            return NET_EPROTO;
        }
        const uint8_t *m = plan->mat ? plan->mat + plan->off[i] : NULL;
        for (int p = 0; p < 2 && rc == NET_OK; p++) {
            uint64_t b = plan->bytes[i][p];
            if (!b) continue;
            rc = net_send(d->net, p, m ? m + (p ? plan->bytes[i][0] : 0) : NULL, b);
            if (rc == NET_OK) rc = net_flush(d->net, p);
            d->bytes_out[p] += b;
        }
        d->nreq++;
        if (rc != NET_OK) return rc;
    }
}

void rt_plan_free(rt_plan *plan)
{
    free(plan->req);
    free(plan->bytes);
    free(plan->off);
    free(plan->mat);
    memset(plan, 0, sizeof *plan);
}

typedef struct in_rec {
    rt_party_prep *pp;
    int self;
} in_rec;

static void on_msg_in(void *ud, const net_trace_rec *r)
{
    in_rec *x = ud;
    if (r->dst == x->self && r->src >= 0 && r->src < 3 && r->bytes > x->pp->max_in[r->src]) x->pp->max_in[r->src] = r->bytes;
}

int rt_party_prepare(const rt_job *j, int self, arena *scratch, rt_party_prep *pp)
{
    memset(pp, 0, sizeof *pp);
    CHECK(self == NET_P0 || self == NET_P1, "rt_party_prepare for party %d", self);
    rt_job pj;
    rt_sim_opts so;
    phantom_run(j, &pj, &so);
    pp->wc = mpc_wcache_create();
    pp->scratch = scratch;
    so.scratch[self] = scratch;
    so.scratch_probe = 1;
    so.wcache[self] = pp->wc;
    in_rec x = {pp, self};
    so.trace[0] = on_msg_in;
    so.trace_ud[0] = &x;
    rt_result res;
    if (rt_sim_job(&so, &pj, &res) != 0) {
        fprintf(stderr, "error: %s: the party's setup plan (the job in phantom mode) failed\n", net_party_names[self]);
        rt_party_prep_free(pp);
        return -1;
    }
    return 0;
}

void rt_party_fill(rt_party_prep *pp, mpc_ctx *c)
{
    if (c->phantom) return;
    mpc_wcache_fill(pp->wc, c);
    c->wcache = pp->wc;
    pp->prefaulted = arena_prefault(pp->scratch);
}

void rt_party_prep_free(rt_party_prep *pp)
{
    mpc_wcache_destroy(pp->wc);
    memset(pp, 0, sizeof *pp);
}

/* fss_harness.h -- runs an fss gate between P0 and P1 on the simulator (1 Gbit/s, 1 ms one way, a
 * compute model of 1 ns per unit of work), real and phantom, and checks the measured traffic against the gate's closed form.
 * Included by the tests/test_fss*.c files (header-only, static functions). */
#ifndef FSS_HARNESS_H
#define FSS_HARNESS_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../net/net_sim.h"
#include "../protocols/fss/fss_bits.h"
#include "../protocols/fss/fss_gate.h"
#include "testutil.h"

typedef void (*fh_fn)(mpc_ctx *c, void *arg);

typedef struct fh_run {
    fh_fn fn;
    void *arg;
    int phantom;
    mpc_config cfg;
    uint64_t sent[2], recv[2], rounds[2];
    int64_t end[2];
} fh_run;

/* A compute model that charges every unit of work, so real and phantom must also charge the same. */
static int64_t fh_cost(void *ud, const net_work *w)
{
    (void)ud;
    return (int64_t)(w->ring_macs + w->elem_ops + w->prg_bytes / 16);
}

__attribute__((unused)) static void fh_party(net_party *p, void *a)
{
    fh_run *r = a;
    p->cost = fh_cost;
    mpc_ctx c;
    mpc_ctx_init(&c, p, &r->cfg, r->phantom, 100 + (uint64_t)p->self);
    r->fn(&c, r->arg);
    int me = p->self, peer = 1 - me;
    r->sent[me] = p->stats.total.sent_bytes[peer];
    r->recv[me] = p->stats.total.recv_bytes[peer];
    r->rounds[me] = p->stats.total.rounds;
    r->end[me] = net_now(p);
}

__attribute__((unused)) static void fh_exec(fh_run *r, tu_trace *tr)
{
    nm_linkspec l = {.bps = 1000000000ull, .latency_ns = 1000000};
    nm_topology t;
    nm_topology_init(&t, 2, &l);
    net_sim *s = net_sim_create(&t);
    net_sim_add_trace(s, tu_trace_sink, tr);
    net_party_fn fn[2] = {fh_party, fh_party};
    void *arg[2] = {r, r};
    cr_assert_eq(net_sim_run(s, fn, arg), NET_OK);
    net_sim_destroy(s);
}

/* Runs fn real (arg_real) and phantom (arg_ph); asserts rounds and bytes equal the closed form for both
 * parties and both modes, and the two traces are identical message by message. */
__attribute__((unused)) static void fh_check(const char *what, fh_fn fn, void *arg_real, void *arg_ph, fss_cost want)
{
    fh_run r[2];
    tu_trace tr[2] = {{0}, {0}};
    for (int ph = 0; ph < 2; ph++) {
        memset(&r[ph], 0, sizeof r[ph]);
        mpc_config_default(&r[ph].cfg);
        r[ph].fn = fn;
        r[ph].arg = ph ? arg_ph : arg_real;
        r[ph].phantom = ph;
        fh_exec(&r[ph], &tr[ph]);
        for (int i = 0; i < 2; i++) {
            cr_expect_eq(r[ph].rounds[i], want.rounds, "%s (%s): P%d rounds %llu, closed form %llu", what,
                         ph ? "phantom" : "real", i, (unsigned long long)r[ph].rounds[i],
                         (unsigned long long)want.rounds);
            cr_expect_eq(r[ph].sent[i], want.bytes, "%s (%s): P%d sent %llu B, closed form %llu", what,
                         ph ? "phantom" : "real", i, (unsigned long long)r[ph].sent[i], (unsigned long long)want.bytes);
            cr_expect_eq(r[ph].recv[i], want.bytes, "%s (%s): P%d received %llu B", what, ph ? "phantom" : "real", i,
                         (unsigned long long)r[ph].recv[i]);
        }
    }
    cr_expect_eq(tr[0].n, tr[1].n, "%s: %zu messages real, %zu phantom", what, tr[0].n, tr[1].n);
    for (size_t i = 0; i < tr[0].n && i < tr[1].n; i++) {
        const net_trace_rec *a = &tr[0].rec[i], *b = &tr[1].rec[i];
        int same = a->src == b->src && a->dst == b->dst && a->bytes == b->bytes && a->label == b->label &&
                   a->t_send == b->t_send && a->t_arrive == b->t_arrive;
        cr_expect(same, "%s: message %zu differs between real and phantom", what, i);
        if (!same) break;
    }
    cr_expect_eq(r[0].end[0], r[1].end[0], "%s: P0's end time differs between real and phantom", what);
    tu_trace_free(&tr[0]);
    tu_trace_free(&tr[1]);
}

/* Signed value of the low b bits. */
static inline int64_t fh_signed(uint64_t v, int b)
{
    v &= fss_mask(b);
    if (b < 64 && (v >> (b - 1)) & 1) v |= ~fss_mask(b);
    return (int64_t)v;
}

#endif

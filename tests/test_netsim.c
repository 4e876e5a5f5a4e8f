/* test_netsim.c -- event heap, link math, exact virtual arrival times, counters, rounds, time split. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "../net/net_sim.h"
#include "../sim/sim.h"

/* ---- event heap ---- */

typedef struct { int log[64]; int n; } evlog;
typedef struct { evlog *l; int id; } evarg;
static void ev_record(sim_engine *e, void *arg)
{
    (void)e;
    evarg *a = arg;
    a->l->log[a->l->n++] = a->id;
}

Test(sim, heap_orders_by_time_then_insertion)
{
    sim_engine *e = sim_create();
    evlog l = {.n = 0};
    static const int64_t t[10] = {50, 10, 50, 0, 10, 99, 0, 50, 10, 7};
    evarg a[10];
    for (int i = 0; i < 10; i++) {
        a[i] = (evarg){&l, i};
        sim_schedule(e, t[i], ev_record, &a[i]);
    }
    cr_assert_eq(sim_run(e), SIM_OK);
    static const int expect[10] = {3, 6, 9, 1, 4, 8, 0, 2, 7, 5};
    cr_assert_eq(l.n, 10);
    for (int i = 0; i < 10; i++) cr_expect_eq(l.log[i], expect[i], "position %d", i);
    sim_destroy(e);
}

static void actor_sleeper(sim_actor *a, void *arg)
{
    int64_t *t = arg;
    sim_sleep(a, 100);
    sim_sleep(a, 23);
    *t = sim_now(sim_actor_engine(a));
}

Test(sim, actor_sleep_advances_virtual_time)
{
    sim_engine *e = sim_create();
    int64_t t1 = -1, t2 = -1;
    sim_spawn(e, "a", actor_sleeper, &t1);
    sim_spawn(e, "b", actor_sleeper, &t2);
    cr_assert_eq(sim_run(e), SIM_OK);
    cr_expect_eq(t1, 123);
    cr_expect_eq(t2, 123);
    sim_destroy(e);
}

/* ---- link math ---- */

Test(nm, tx_time_is_exact_ceiling)
{
    cr_expect_eq(nm_tx_time(3000000000ull, 1), 3);           /* 8/3 ns -> 3 */
    cr_expect_eq(nm_tx_time(3000000000ull, 3), 8);           /* 24/3 = 8 exactly */
    cr_expect_eq(nm_tx_time(1000000000ull, 1000), 8000);
    cr_expect_eq(nm_tx_time(3000000000ull, 1000000), 2666667);
    cr_expect_eq(nm_tx_time(200000000ull, 1000000000000ull), 40000000000000ll); /* 1 TB, no overflow */
    cr_expect_eq(nm_tx_time(7, 0), 0);
}

Test(nm, link_fifo_queueing)
{
    nm_link l = {.spec = {.bps = 1000000000ull, .latency_ns = 1000000}, .busy_until = 0};
    int64_t d;
    cr_expect_eq(nm_link_transmit(&l, 0, 1000, &d), 1008000);
    cr_expect_eq(d, 8000);
    cr_expect_eq(nm_link_transmit(&l, 0, 1000, &d), 1016000); /* queued behind the first */
    cr_expect_eq(nm_link_transmit(&l, 100000, 1000, &d), 1108000); /* link idle again */
    l.spec.overhead_bytes = 66;
    cr_expect_eq(nm_link_transmit(&l, 200000, 1000, &d), 200000 + 8528 + 1000000);
}

/* ---- parties over the simulated network ---- */

static nm_topology topo_of(uint64_t bps, int64_t lat)
{
    nm_topology t;
    nm_linkspec s = {.bps = bps, .latency_ns = lat};
    nm_topology_init(&t, 3, &s);
    return t;
}

typedef struct { size_t bytes; int count; } pingarg;

static void ping_p0(net_party *p, void *arg)
{
    pingarg *a = arg;
    char *buf = calloc(a->bytes ? a->bytes : 1, 1);
    for (int i = 0; i < a->count; i++) {
        cr_assert_eq(net_send(p, NET_P1, buf, a->bytes), NET_OK);
        cr_assert_eq(net_recv(p, NET_P1, buf, a->bytes), NET_OK);
    }
    free(buf);
}

static void ping_p1(net_party *p, void *arg)
{
    pingarg *a = arg;
    char *buf = calloc(a->bytes ? a->bytes : 1, 1);
    for (int i = 0; i < a->count; i++) {
        cr_assert_eq(net_recv(p, NET_P0, buf, a->bytes), NET_OK);
        cr_assert_eq(net_send(p, NET_P0, buf, a->bytes), NET_OK);
    }
    free(buf);
}

static net_sim *run2(nm_topology *t, net_party_fn f0, net_party_fn f1, void *arg)
{
    net_sim *s = net_sim_create(t);
    net_party_fn fn[3] = {f0, f1, NULL};
    void *args[3] = {arg, arg, arg};
    cr_assert_eq(net_sim_run(s, fn, args), NET_OK);
    return s;
}

Test(netsim, ping_pong_one_byte_lan)
{
    /* lan: 3 Gbit/s, 0.4 ms. 1 byte takes ceil(8/3) = 3 ns. Arrive 400003, back 800006. */
    nm_topology t = topo_of(3000000000ull, 400000);
    pingarg a = {1, 1};
    net_sim *s = run2(&t, ping_p0, ping_p1, &a);
    cr_expect_eq(net_sim_end_time(s, NET_P1), 400003); /* sending does not advance P1's clock */
    cr_expect_eq(net_sim_end_time(s, NET_P0), 800006);
    net_party *p0 = net_sim_party(s, NET_P0);
    cr_expect_eq(p0->stats.total.sent_bytes[NET_P1], 1);
    cr_expect_eq(p0->stats.total.recv_bytes[NET_P1], 1);
    cr_expect_eq(p0->stats.total.rounds, 2); /* there and back: two dependent flights */
    net_sim_destroy(s);
}

Test(netsim, ping_pong_one_megabyte_lan)
{
    /* 1e6 bytes at 3 Gbit/s: ceil(8e15/3e9) = 2666667 ns, + 0.4 ms; twice. */
    nm_topology t = topo_of(3000000000ull, 400000);
    pingarg a = {1000000, 3};
    net_sim *s = run2(&t, ping_p0, ping_p1, &a);
    cr_expect_eq(net_sim_end_time(s, NET_P0), 3 * 2 * (2666667 + 400000));
    net_party *p0 = net_sim_party(s, NET_P0), *p1 = net_sim_party(s, NET_P1);
    cr_expect_eq(p0->stats.total.sent_bytes[NET_P1], 3000000);
    cr_expect_eq(p1->stats.total.recv_msgs[NET_P0], 3);
    cr_expect_eq(p0->stats.total.rounds, 6);
    cr_expect_eq(p1->stats.total.rounds, 6);
    /* Local view: P0 sees its own message's trip as waiting on P1 ("other"), then P1's reply. */
    const net_counters *c = &p0->stats.total;
    cr_expect_eq(c->compute_ns, 0);
    cr_expect_eq(c->other_ns, 3 * (2666667 + 400000));
    cr_expect_eq(c->transfer_ns, 3 * 2666667);
    cr_expect_eq(c->latency_ns, 3 * 400000);
    /* Critical path: six transmissions and six propagations, nothing else. */
    cr_expect_eq(p0->cp[NET_CP_TRANSFER], 6 * 2666667);
    cr_expect_eq(p0->cp[NET_CP_LATENCY], 6 * 400000);
    cr_expect_eq(p0->cp[NET_CP_COMPUTE], 0);
    net_sim_destroy(s);
}

typedef struct { int64_t t[16]; int n; } arrivals;
static void rec_arrivals(void *ud, const net_trace_rec *r)
{
    arrivals *a = ud;
    a->t[a->n++] = r->t_arrive;
}

static void burst_p0(net_party *p, void *arg)
{
    char buf[1000] = {0};
    for (int i = 0; i < 5; i++) cr_assert_eq(net_send(p, NET_P1, buf, sizeof buf), NET_OK);
}
static void burst_p1(net_party *p, void *arg)
{
    int64_t *got = arg;
    char buf[1000];
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(net_recv(p, NET_P0, buf, sizeof buf), NET_OK);
        got[i] = net_now(p);
    }
}

Test(netsim, back_to_back_messages_queue)
{
    /* 5 x 1000 B at 1 Gbit/s (8 us each) and 1 ms: arrivals 1.008, 1.016, ... 1.040 ms. */
    nm_topology t = topo_of(1000000000ull, 1000000);
    net_sim *s = net_sim_create(&t);
    arrivals tr = {.n = 0};
    net_sim_add_trace(s, rec_arrivals, &tr);
    int64_t got[5];
    net_party_fn fn[3] = {burst_p0, burst_p1, NULL};
    void *args[3] = {NULL, got, NULL};
    cr_assert_eq(net_sim_run(s, fn, args), NET_OK);
    cr_assert_eq(tr.n, 5);
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(tr.t[i], 1000000 + 8000 * (i + 1));
        cr_expect_eq(got[i], 1000000 + 8000 * (i + 1));
    }
    cr_expect_eq(net_sim_party(s, NET_P0)->stats.total.rounds, 1); /* one flight */
    cr_expect_eq(net_sim_party(s, NET_P1)->stats.total.rounds, 1);
    net_sim_destroy(s);
}

static void exchange(net_party *p, void *arg)
{
    size_t n = *(size_t *)arg;
    int peer = p->self == NET_P0 ? NET_P1 : NET_P0;
    cr_assert_eq(net_send(p, peer, NULL, n), NET_OK); /* phantom payload */
    cr_assert_eq(net_recv(p, peer, NULL, n), NET_OK);
}

Test(netsim, full_duplex_simultaneous_exchange)
{
    /* Both send 1e6 B at t=0 on 1 Gbit/s, 5 ms: each direction is its own link, so both finish at
     * 8 ms + 5 ms (not 16 ms + 5 ms as a half-duplex link would). */
    nm_topology t = topo_of(1000000000ull, 5000000);
    size_t n = 1000000;
    net_sim *s = run2(&t, exchange, exchange, &n);
    cr_expect_eq(net_sim_end_time(s, NET_P0), 13000000);
    cr_expect_eq(net_sim_end_time(s, NET_P1), 13000000);
    cr_expect_eq(net_sim_party(s, NET_P0)->stats.total.rounds, 1);
    net_sim_destroy(s);
}

/* 3 parties: D sends 8000 B to P0 and to P1 over slow dealer links (100 Mbit/s, 10 ms), then
 * P0 and P1 exchange 1000 B over the fast link (1 Gbit/s, 1 ms). */
static void three_d(net_party *p, void *arg)
{
    cr_assert_eq(net_send(p, NET_P0, NULL, 8000), NET_OK);
    cr_assert_eq(net_send(p, NET_P1, NULL, 8000), NET_OK);
}
static void three_p(net_party *p, void *arg)
{
    cr_assert_eq(net_recv(p, NET_D, NULL, 8000), NET_OK);
    int peer = p->self == NET_P0 ? NET_P1 : NET_P0;
    cr_assert_eq(net_send(p, peer, NULL, 1000), NET_OK);
    cr_assert_eq(net_recv(p, peer, NULL, 1000), NET_OK);
}

Test(netsim, three_party_with_distinct_dealer_links)
{
    nm_topology t = topo_of(1000000000ull, 1000000);
    nm_linkspec dl = {.bps = 100000000ull, .latency_ns = 10000000};
    nm_topology_set(&t, NET_D, NET_P0, &dl);
    nm_topology_set(&t, NET_D, NET_P1, &dl);
    net_sim *s = net_sim_create(&t);
    net_party_fn fn[3] = {three_p, three_p, three_d};
    cr_assert_eq(net_sim_run(s, fn, NULL), NET_OK);
    /* D->P0 and D->P1 are separate links: both depart at 640 us, arrive at 10.64 ms.
     * P0/P1 then exchange: +8 us +1 ms = 11.648 ms. */
    cr_expect_eq(net_sim_end_time(s, NET_D), 0);
    cr_expect_eq(net_sim_end_time(s, NET_P0), 10640000 + 8000 + 1000000);
    cr_expect_eq(net_sim_end_time(s, NET_P1), 10640000 + 8000 + 1000000);
    net_party *p0 = net_sim_party(s, NET_P0);
    cr_expect_eq(p0->stats.total.recv_bytes[NET_D], 8000);
    cr_expect_eq(p0->stats.total.sent_bytes[NET_P1], 1000);
    cr_expect_eq(p0->stats.total.rounds, 2); /* dealer message, then the exchange */
    net_sim_destroy(s);
}

Test(netsim, offline_dealer_link_takes_no_time_and_no_rounds)
{
    nm_topology t = topo_of(1000000000ull, 1000000);
    nm_linkspec dl = {.bps = 100000000ull, .latency_ns = 10000000, .offline = 1};
    nm_topology_set(&t, NET_D, NET_P0, &dl);
    nm_topology_set(&t, NET_D, NET_P1, &dl);
    net_sim *s = net_sim_create(&t);
    net_party_fn fn[3] = {three_p, three_p, three_d};
    cr_assert_eq(net_sim_run(s, fn, NULL), NET_OK);
    cr_expect_eq(net_sim_end_time(s, NET_P0), 1008000);
    net_party *p0 = net_sim_party(s, NET_P0);
    cr_expect_eq(p0->stats.total.recv_bytes[NET_D], 8000); /* still counted, as dealer bytes */
    cr_expect_eq(p0->stats.total.rounds, 1);
    net_sim_destroy(s);
}

/* Inline dealer request: P0 asks D (16 B), D answers (800 B), then P0 and P1 exchange. */
static void inl_p0(net_party *p, void *arg)
{
    net_tag_push(p, 3);
    cr_assert_eq(net_send(p, NET_D, NULL, 16), NET_OK);
    cr_assert_eq(net_recv(p, NET_D, NULL, 800), NET_OK);
    net_tag_push(p, 5);
    cr_assert_eq(net_send(p, NET_P1, NULL, 80), NET_OK);
    cr_assert_eq(net_recv(p, NET_P1, NULL, 80), NET_OK);
    net_tag_pop(p, 5);
    net_tag_pop(p, 3);
}
static void inl_p1(net_party *p, void *arg)
{
    cr_assert_eq(net_send(p, NET_P0, NULL, 80), NET_OK);
    cr_assert_eq(net_recv(p, NET_P0, NULL, 80), NET_OK);
}
static void inl_d(net_party *p, void *arg)
{
    cr_assert_eq(net_recv(p, NET_P0, NULL, 16), NET_OK);
    cr_assert_eq(net_send(p, NET_P0, NULL, 800), NET_OK);
}

Test(netsim, rounds_are_causal_depth_and_tags_are_inclusive)
{
    nm_topology t = topo_of(1000000000ull, 1000000);
    net_sim *s = net_sim_create(&t);
    net_party_fn fn[3] = {inl_p0, inl_p1, inl_d};
    cr_assert_eq(net_sim_run(s, fn, NULL), NET_OK);
    net_party *p0 = net_sim_party(s, NET_P0), *p1 = net_sim_party(s, NET_P1);
    cr_expect_eq(p0->stats.total.rounds, 3);
    cr_expect_eq(p1->stats.total.rounds, 3); /* P1 waited on P0, who waited on the dealer */
    cr_expect_eq(p0->stats.tag[3].rounds, 3);
    cr_expect_eq(p0->stats.tag[5].rounds, 1);
    cr_expect_eq(p0->stats.tag[3].sent_bytes[NET_D], 16);
    cr_expect_eq(p0->stats.tag[3].sent_bytes[NET_P1], 80);
    cr_expect_eq(p0->stats.tag[5].sent_bytes[NET_D], 0);
    cr_expect_eq(p0->stats.tag[5].recv_bytes[NET_P1], 80);
    /* P0: request 16 B (128 ns) + 1 ms; answer 800 B (6400 ns) + 1 ms; P1's 80 B arrived long ago.
     * P1: P0's 80 B leave at 2006528 + 640 and arrive 1 ms later. */
    cr_expect_eq(net_sim_end_time(s, NET_P0), 128 + 6400 + 2000000);
    cr_expect_eq(net_sim_end_time(s, NET_P1), 128 + 6400 + 640 + 3000000);
    const net_counters *c = &p0->stats.total;
    cr_expect_eq(c->compute_ns + c->transfer_ns + c->latency_ns + c->other_ns, net_sim_end_time(s, NET_P0));
    cr_expect_eq(c->other_ns, 1000128); /* locally, P0 just sees D answer late */
    cr_expect_eq(c->latency_ns, 1000000);
    /* The critical path knows better: three transmissions and three latencies. */
    cr_expect_eq(p1->cp[NET_CP_TRANSFER], 128 + 6400 + 640);
    cr_expect_eq(p1->cp[NET_CP_LATENCY], 3000000);
    cr_expect_eq(p1->cp[NET_CP_COMPUTE], 0);
    cr_expect_eq(p0->cp[NET_CP_TRANSFER] + p0->cp[NET_CP_LATENCY], net_sim_end_time(s, NET_P0));
    net_sim_destroy(s);
}

static int64_t cost_per_mac(void *ud, const net_work *w) { (void)ud; return (int64_t)w->ring_macs * 2; }

static void compute_then_send(net_party *p, void *arg)
{
    net_work w = {.ring_macs = 500};
    net_compute(p, &w); /* 1000 ns */
    int peer = p->self == NET_P0 ? NET_P1 : NET_P0;
    cr_assert_eq(net_send(p, peer, NULL, 1000), NET_OK);
    cr_assert_eq(net_recv(p, peer, NULL, 1000), NET_OK);
}

Test(netsim, compute_model_hook_advances_clocks)
{
    nm_topology t = topo_of(1000000000ull, 1000000);
    net_sim *s = net_sim_create(&t);
    for (int i = 0; i < 2; i++) net_sim_party(s, i)->cost = cost_per_mac;
    net_party_fn fn[3] = {compute_then_send, compute_then_send, NULL};
    cr_assert_eq(net_sim_run(s, fn, NULL), NET_OK);
    cr_expect_eq(net_sim_end_time(s, NET_P0), 1000 + 8000 + 1000000);
    const net_counters *c = &net_sim_party(s, NET_P0)->stats.total;
    cr_expect_eq(c->compute_ns, 1000);
    cr_expect_eq(c->transfer_ns, 8000);
    cr_expect_eq(c->latency_ns, 1000000);
    const net_party *p0 = net_sim_party(s, NET_P0);
    cr_expect_eq(p0->cp[NET_CP_COMPUTE], 1000); /* P1's compute, on the critical path */
    cr_expect_eq(p0->cp[NET_CP_TRANSFER], 8000);
    cr_expect_eq(p0->cp[NET_CP_LATENCY], 1000000);
    net_sim_destroy(s);
}

static void wait_forever(net_party *p, void *arg)
{
    int peer = p->self == NET_P0 ? NET_P1 : NET_P0;
    int rc = net_recv(p, peer, NULL, 8);
    (void)rc;
}

Test(netsim, deadlock_is_reported_not_hung)
{
    nm_topology t = topo_of(1000000000ull, 1000000);
    net_sim *s = net_sim_create(&t);
    net_party_fn fn[3] = {wait_forever, wait_forever, NULL};
    cr_expect_eq(net_sim_run(s, fn, NULL), NET_EPROTO);
    net_sim_destroy(s);
}

/* ---- receiving in place (net_recv_lend) ---- */

enum { LEND_WORDS = 4, LEND_MSGS = 3 };

/* What P1 does with P0's LEND_MSGS messages of LEND_WORDS words (P0 sends 1, 2, 3, ...). */
enum { LEND_OK, LEND_READ_AFTER_RETURN, LEND_RECV_WHILE_HELD, LEND_RETURN_TWICE, LEND_END_HOLDING, LEND_RAW_AFTER_RETURN };

typedef struct lendarg {
    int mode;
    uint64_t got[LEND_MSGS][LEND_WORDS];
    int lent_in_place[LEND_MSGS]; /* the view was not the fallback buffer */
    int closed_rc;
} lendarg;

static void lend_p0(net_party *p, void *arg)
{
    (void)arg;
    for (int m = 0; m < LEND_MSGS; m++) {
        uint64_t v[LEND_WORDS];
        for (int i = 0; i < LEND_WORDS; i++) v[i] = (uint64_t)(m * LEND_WORDS + i + 1);
        cr_assert_eq(net_send(p, NET_P1, v, sizeof v), NET_OK);
    }
}

static void lend_p1(net_party *p, void *arg)
{
    lendarg *a = arg;
    uint64_t fb[LEND_WORDS];
    net_loan l;
    cr_assert_eq(net_recv_lend(p, NET_P0, &l, fb, sizeof fb), NET_OK);
    const uint64_t *v = net_loan_bytes(p, &l);
    memcpy(a->got[0], v, sizeof fb);
    a->lent_in_place[0] = v != fb;
    switch (a->mode) {
    case LEND_READ_AFTER_RETURN:
        net_loan_return(p, &l);
        (void)net_loan_bytes(p, &l); /* CHECK failure */
        return;
    case LEND_RECV_WHILE_HELD:
    {
        int rc = net_recv(p, NET_P0, fb, sizeof fb); /* CHECK failure: the loan from P0 is still held */
        (void)rc;
        return;
    }
    case LEND_RETURN_TWICE:
        net_loan_return(p, &l);
        net_loan_return(p, &l); /* CHECK failure */
        return;
    case LEND_END_HOLDING:
        return; /* CHECK failure when the party's function ends */
    case LEND_RAW_AFTER_RETURN: {
        net_loan_return(p, &l);
        volatile uint64_t x = v[1]; /* a raw pointer kept past the return: poisoned storage (ASan) */
        a->got[1][0] = x;
        return;
    }
    default: break;
    }
    net_loan kept = l; /* a copy of a returned loan is dead too */
    net_loan_return(p, &l);
    cr_expect_eq(l.id, 0);
    cr_expect_eq(kept.id != 0, 1);
    /* the plain receive and a second loan, in order */
    cr_assert_eq(net_recv(p, NET_P0, a->got[1], sizeof fb), NET_OK);
    a->lent_in_place[1] = 0;
    cr_assert_eq(net_recv_lend(p, NET_P0, &l, fb, sizeof fb), NET_OK);
    memcpy(a->got[2], net_loan_bytes(p, &l), sizeof fb);
    a->lent_in_place[2] = net_loan_bytes(p, &l) != fb;
    net_loan_return(p, &l);
    /* P0 is done: nothing more will come, and no loan is made */
    a->closed_rc = net_recv_lend(p, NET_P0, &l, fb, sizeof fb);
    cr_expect_eq(l.id, 0);
}

static net_sim *lend_run(lendarg *a)
{
    nm_topology t = topo_of(1000000000ull, 1000000);
    net_sim *s = net_sim_create(&t);
    net_party_fn fn[3] = {lend_p0, lend_p1, NULL};
    void *args[3] = {a, a, NULL};
    cr_assert_eq(net_sim_run(s, fn, args), NET_OK);
    return s;
}

/* A lent message is the message: the same words, order, counters, rounds and times as net_recv into
 * a buffer (the copying path, lending off), read in place on the simulator. */
Test(netsim, lent_messages_count_and_read_as_received_ones)
{
    lendarg lent = {.mode = LEND_OK}, copied = {.mode = LEND_OK};
    net_sim *s = lend_run(&lent);
    net_set_lending(0);
    net_sim *c = lend_run(&copied);
    net_set_lending(1);
    for (int m = 0; m < LEND_MSGS; m++)
        for (int i = 0; i < LEND_WORDS; i++) {
            cr_expect_eq(lent.got[m][i], (uint64_t)(m * LEND_WORDS + i + 1));
            cr_expect_eq(copied.got[m][i], lent.got[m][i]);
        }
    cr_expect(lent.lent_in_place[0] && lent.lent_in_place[2], "the simulator lends its own storage");
    cr_expect(!copied.lent_in_place[0] && !copied.lent_in_place[2], "lending off: the fallback buffer");
    cr_expect_eq(lent.closed_rc, NET_ECLOSED);
    cr_expect_eq(copied.closed_rc, NET_ECLOSED);
    for (int i = 0; i < 2; i++) {
        const net_party *a = net_sim_party(s, i), *b = net_sim_party(c, i);
        cr_expect_arr_eq(&a->stats, &b->stats, sizeof a->stats, "P%d's counters", i);
        cr_expect_eq(a->depth, b->depth);
        cr_expect_arr_eq(a->cp, b->cp, sizeof a->cp);
        cr_expect_eq(net_sim_end_time(s, i), net_sim_end_time(c, i));
    }
    cr_expect_eq(net_sim_party(s, NET_P1)->stats.total.recv_msgs[NET_P0], LEND_MSGS);
    net_sim_destroy(s);
    net_sim_destroy(c);
}

/* The view's lifetime rules are checked, not silent. */
Test(netsim, lent_view_read_after_return_is_a_check_failure, .signal = SIGABRT)
{
    lendarg a = {.mode = LEND_READ_AFTER_RETURN};
    net_sim_destroy(lend_run(&a));
}

Test(netsim, receive_while_holding_a_loan_is_a_check_failure, .signal = SIGABRT)
{
    lendarg a = {.mode = LEND_RECV_WHILE_HELD};
    net_sim_destroy(lend_run(&a));
}

Test(netsim, returning_a_loan_twice_is_a_check_failure, .signal = SIGABRT)
{
    lendarg a = {.mode = LEND_RETURN_TWICE};
    net_sim_destroy(lend_run(&a));
}

Test(netsim, ending_while_holding_a_loan_is_a_check_failure, .signal = SIGABRT)
{
    lendarg a = {.mode = LEND_END_HOLDING};
    net_sim_destroy(lend_run(&a));
}

/* Under AddressSanitizer, a raw pointer kept past the return reads poisoned storage: reported, then the
 * death callback aborts (whatever ASAN_OPTIONS says about abort_on_error). */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
static void asan_die_abort(void) { abort(); }

Test(netsim, lent_storage_read_after_return_is_reported_under_asan, .signal = SIGABRT)
{
    __asan_set_death_callback(asan_die_abort);
    lendarg a = {.mode = LEND_RAW_AFTER_RETURN};
    net_sim_destroy(lend_run(&a));
}
#endif

/* ---- sending from the transport's storage (net_send_open) ---- */

enum { SEND_WORDS = 5 };
enum { SEND_OK, SEND_RELEASE_UNCOMMITTED, SEND_WHILE_OPEN, SEND_END_HOLDING, SEND_RAW_AFTER_RELEASE };

typedef struct sendarg {
    int mode;
    uint64_t own[2][SEND_WORDS], other[2][SEND_WORDS]; /* per party: its words read back after the exchange */
    int in_place[2];                                  /* the storage was not the fallback */
} sendarg;

/* Both parties open storage, write words (party i: 100 i + j), exchange, then read both halves; P0
 * reads its own half only after a sleep, when P1 has read it and returned its loan. */
static void send_party(net_party *p, void *arg)
{
    sendarg *a = arg;
    int me = p->self, peer = 1 - me;
    uint64_t fb_own[SEND_WORDS], fb_other[SEND_WORDS];
    net_sendbuf sb;
    net_loan l;
    uint64_t *w = net_send_open(p, &sb, peer, fb_own, sizeof fb_own);
    a->in_place[me] = w != fb_own;
    if (a->mode == SEND_RELEASE_UNCOMMITTED && me == NET_P0) net_send_release(p, &sb); /* CHECK failure */
    if (a->mode == SEND_WHILE_OPEN && me == NET_P0) (void)!net_send(p, peer, fb_own, sizeof fb_own); /* CHECK failure */
    for (int j = 0; j < SEND_WORDS; j++) w[j] = (uint64_t)(100 * me + j);
    cr_assert_eq(net_send_commit(p, &sb), NET_OK);
    cr_assert_eq(net_recv_lend(p, peer, &l, fb_other, sizeof fb_other), NET_OK);
    memcpy(a->other[me], net_loan_bytes(p, &l), sizeof fb_other);
    net_loan_return(p, &l);
    if (me == NET_P0) net_charge(p, 1000000, NET_CP_COMPUTE); /* P1 has consumed P0's message by now */
    memcpy(a->own[me], w, sizeof fb_own);
    if (a->mode == SEND_END_HOLDING && me == NET_P0) return; /* CHECK failure when the function ends */
    net_send_release(p, &sb);
    if (a->mode == SEND_RAW_AFTER_RELEASE && me == NET_P0) {
        volatile uint64_t x = w[1]; /* storage of a message both sides are done with: poisoned (ASan) */
        a->own[me][0] = x;
    }
}

static net_sim *send_run(sendarg *a)
{
    nm_topology t = topo_of(1000000000ull, 1000000);
    net_sim *s = net_sim_create(&t);
    net_party_fn fn[3] = {send_party, send_party, NULL};
    void *args[3] = {a, a, NULL};
    cr_assert_eq(net_sim_run(s, fn, args), NET_OK);
    return s;
}

/* A message sent from the simulator's storage is the message net_send sends: the same words, counters,
 * rounds and times as sending from the caller's buffer (lending off); the sender reads its words
 * where it wrote them until its release, also after the receiver is done with them. */
Test(netsim, sent_from_storage_counts_and_reads_as_plain_sends)
{
    sendarg lent = {.mode = SEND_OK}, copied = {.mode = SEND_OK};
    net_sim *s = send_run(&lent);
    net_set_lending(0);
    net_sim *c = send_run(&copied);
    net_set_lending(1);
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < SEND_WORDS; j++) {
            cr_expect_eq(lent.own[i][j], (uint64_t)(100 * i + j));
            cr_expect_eq(lent.other[i][j], (uint64_t)(100 * (1 - i) + j));
        }
        cr_expect_arr_eq(copied.own[i], lent.own[i], sizeof lent.own[i]);
        cr_expect_arr_eq(copied.other[i], lent.other[i], sizeof lent.other[i]);
        cr_expect(lent.in_place[i], "P%d: the simulator hands out its own storage", i);
        cr_expect(!copied.in_place[i], "P%d: lending off: the fallback buffer", i);
        const net_party *a = net_sim_party(s, i), *b = net_sim_party(c, i);
        cr_expect_arr_eq(&a->stats, &b->stats, sizeof a->stats, "P%d's counters", i);
        cr_expect_eq(a->stats.total.sent_msgs[1 - i], 1);
        cr_expect_eq(a->stats.total.sent_bytes[1 - i], SEND_WORDS * 8);
        cr_expect_eq(a->depth, b->depth);
        cr_expect_arr_eq(a->cp, b->cp, sizeof a->cp);
        cr_expect_eq(net_sim_end_time(s, i), net_sim_end_time(c, i));
    }
    net_sim_destroy(s);
    net_sim_destroy(c);
}

Test(netsim, releasing_an_uncommitted_send_is_a_check_failure, .signal = SIGABRT)
{
    sendarg a = {.mode = SEND_RELEASE_UNCOMMITTED};
    net_sim_destroy(send_run(&a));
}

Test(netsim, sending_while_storage_is_open_is_a_check_failure, .signal = SIGABRT)
{
    sendarg a = {.mode = SEND_WHILE_OPEN};
    net_sim_destroy(send_run(&a));
}

Test(netsim, ending_while_holding_sent_storage_is_a_check_failure, .signal = SIGABRT)
{
    sendarg a = {.mode = SEND_END_HOLDING};
    net_sim_destroy(send_run(&a));
}

#if defined(__SANITIZE_ADDRESS__)
Test(netsim, sent_storage_read_after_release_is_reported_under_asan, .signal = SIGABRT)
{
    __asan_set_death_callback(asan_die_abort);
    sendarg a = {.mode = SEND_RAW_AFTER_RELEASE};
    net_sim_destroy(send_run(&a));
}
#endif

/* test_nm_pkt.c -- the packet-level TCP model (netmodel/nm_pkt.h): exact integer-ns times for
 * hand-computed cases (one segment, a second round opened by the first ACK, ACKs queued behind the
 * other direction's data, HyStart's ACK-train exit), restart after idle, reno against cubic, and the
 * simulator and command-line wiring.
 *
 * Rates are chosen so that frames take whole nanoseconds: at 8 Mbit/s a byte takes 1 us, at
 * 80 Mbit/s a full frame (1448 + 66 = 1514 bytes) takes 151400 ns and an ACK (66 bytes) 6600 ns. */
#include <criterion/criterion.h>

#include "../net/net_sim.h"
#include "../netmodel/nm.h"
#include "testutil.h"

#define MS 1000000LL
#define US 1000LL

typedef struct got {
    int n;
    const char *msg[8];
    nm_pkt_times t[8];
} got;

static void on_deliver(void *ud, void *msg, const nm_pkt_times *t)
{
    got *g = ud;
    cr_assert_lt(g->n, 8);
    g->msg[g->n] = msg;
    g->t[g->n++] = *t;
}

static nm_pkt *two_party(uint64_t bps, int64_t lat, int cc)
{
    nm_linkspec s = {.bps = bps, .latency_ns = lat, .model = NM_MODEL_PKT, .cc = cc};
    nm_topology t;
    nm_topology_init(&t, 2, &s);
    return nm_pkt_create(&t);
}

/* Payload bytes of a message of k full segments plus `last` bytes (header included). */
static uint64_t bytes_of(uint64_t k, uint64_t last) { return k * NM_TCP_MSS + last - NM_TCP_MSG_HDR; }

Test(nm_pkt, names_and_options)
{
    int m = -1, cc = -1;
    cr_expect_eq(nm_parse_link_model("packet", &m), NM_OK);
    cr_expect_eq(m, NM_MODEL_PKT);
    cr_expect_str_eq(nm_link_model_name(NM_MODEL_PKT), "packet");
    cr_expect_eq(nm_parse_congestion("reno", &cc), NM_OK);
    cr_expect_eq(cc, NM_CC_RENO);
    cr_expect_eq(nm_parse_congestion("cubic", &cc), NM_OK);
    cr_expect_eq(cc, NM_CC_CUBIC);
    cr_expect_eq(NM_CC_CUBIC, 0, "cubic is the default of a zeroed spec, as of the real backend");
    cr_expect_eq(nm_parse_congestion("bbr", &cc), NM_EINVAL);
    cr_expect_eq(NM_PKT_ACK_WIRE, 14 + 20 + 20 + 12);
}

Test(nm_pkt, one_segment_and_its_ack)
{
    /* 100 + 48 = 148 bytes, one frame of 214 bytes = 214 us at 8 Mbit/s; 1 ms one way. The receiver
     * ACKs at once (it completes a message): 66 us + 1 ms back. */
    nm_pkt *p = two_party(8000000, 1 * MS, NM_CC_CUBIC);
    got g = {0};
    nm_pkt_send(p, 0, 1, 0, 100, "m");
    cr_expect_eq(nm_pkt_next(p), 214 * US + 1 * MS);
    nm_pkt_run(p, INT64_MAX, on_deliver, &g);
    cr_assert_eq(g.n, 1);
    cr_expect_str_eq(g.msg[0], "m");
    cr_expect_eq(g.t[0].t_tx_start, 0);
    cr_expect_eq(g.t[0].t_depart, 214 * US);
    cr_expect_eq(g.t[0].t_arrive, 1214 * US);
    cr_expect_eq(nm_pkt_next(p), INT64_MAX);
    nm_pkt_stats st;
    nm_pkt_stats_get(p, 0, 1, &st);
    cr_expect_eq(st.segments, 1);
    cr_expect_eq(st.acks, 1);
    cr_expect_eq(st.messages, 1);
    cr_expect_eq(st.delay_min_ns, 1214 * US + 66 * US + 1 * MS);
    cr_expect_eq(st.cwnd, NM_TCP_IW, "one segment in flight: not cwnd-limited, no growth");
    nm_pkt_destroy(p);
}

Test(nm_pkt, second_round_opened_by_the_first_ack)
{
    /* 11 full segments + 100 bytes at 8 Mbit/s (1514 us a frame), 10 ms one way. Segments 0-9 go at
     * once; the first ACK (segment 0 arrives at 11.514 ms, its ACK takes 66 us + 10 ms) reaches the
     * sender at 21.580 ms and lets cwnd grow to 11: segments 10 and 11 (166 bytes) go, departing at
     * 23.094 and 23.260 ms, arriving at 33.260 ms. The round model (nm_tcp.h) opens the round at the
     * first ACK's departure + RTT, without the 66 us of the ACK frame: exactly 66 us earlier. */
    nm_pkt *p = two_party(8000000, 10 * MS, NM_CC_CUBIC);
    got g = {0};
    uint64_t n = bytes_of(11, 100);
    nm_pkt_send(p, 0, 1, 0, n, "m");
    nm_pkt_run(p, INT64_MAX, on_deliver, &g);
    cr_assert_eq(g.n, 1);
    cr_expect_eq(g.t[0].t_tx_start, 0);
    cr_expect_eq(g.t[0].t_depart, 23260 * US);
    cr_expect_eq(g.t[0].t_arrive, 33260 * US);
    nm_link l;
    memset(&l, 0, sizeof l);
    l.spec.bps = 8000000;
    l.spec.latency_ns = 10 * MS;
    l.spec.model = NM_MODEL_TCP;
    int64_t dep;
    cr_expect_eq(nm_link_transmit(&l, 0, n, &dep) + 66 * US, g.t[0].t_arrive);
    nm_pkt_destroy(p);
}

Test(nm_pkt, acks_wait_behind_the_other_directions_data)
{
    /* As above, but both parties send the same message at 0. Each side's ACKs share the FIFO with its
     * own data, which keeps it busy until 15.140 ms: the ACK of segment 0 (made at 11.514 ms) leaves
     * at 15.206 ms and arrives at 25.206 ms. Meanwhile the ACK of the peer's segment 9 (made at
     * 25.140 ms) holds the link until 25.206 ms, so segments 10 and 11 depart at 26.720 and 26.886 ms
     * and arrive at 36.886 ms: 3.626 ms later than one way alone. */
    nm_pkt *p = two_party(8000000, 10 * MS, NM_CC_CUBIC);
    got g = {0};
    uint64_t n = bytes_of(11, 100);
    nm_pkt_send(p, 0, 1, 0, n, "a");
    nm_pkt_send(p, 1, 0, 0, n, "b");
    nm_pkt_run(p, INT64_MAX, on_deliver, &g);
    cr_assert_eq(g.n, 2);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(g.t[i].t_depart, 26886 * US);
        cr_expect_eq(g.t[i].t_arrive, 36886 * US);
    }
    nm_pkt_destroy(p);
}

Test(nm_pkt, hystart_ack_train_ends_slow_start)
{
    /* 80 Mbit/s, 5 ms one way, one long message. delay_min = 151.4 + 6.6 us + 10 ms = 10.158 ms and
     * the ACK train threshold is (10.158 + 1) / 2 = 5.579 ms (ack_delay capped at 1 ms). Round 1 (ACKs
     * of segments 0-9, cwnd < 16) and round 2 (ACKs of 10-29 from 20.316 ms: 16 quick ACKs, then one
     * per two segments, over 2.877 ms) stay below it. Round 3 starts at 30.6254 ms with the ACK of
     * segments 30-31; its ACKs come every 302.8 us, and the 20th (i = 19: 5.7532 ms > 5.579 ms) ends
     * slow start at 36.3786 ms with cwnd = 40 + 2 * 19 = 78. Reno has no HyStart. */
    for (int cc = 0; cc < 2; cc++) {
        nm_pkt *p = two_party(80000000, 5 * MS, cc);
        nm_pkt_send(p, 0, 1, 0, bytes_of(300, 100), "m");
        nm_pkt_run(p, INT64_MAX, NULL, NULL);
        nm_pkt_stats st;
        nm_pkt_stats_get(p, 0, 1, &st);
        cr_expect_eq(st.delay_min_ns, 10158 * US);
        cr_expect_eq(st.messages, 1);
        if (cc == NM_CC_CUBIC) {
            cr_expect_eq(st.hystart_exit_ns, 36378600);
            cr_expect_eq(st.ssthresh, 78);
            cr_expect_lt(st.cwnd, 78 + 20, "after the exit: one segment per 20 ACKed, got %u", st.cwnd);
        } else {
            cr_expect_eq(st.hystart_exit_ns, -1);
            cr_expect_eq(st.ssthresh, UINT32_MAX);
            cr_expect_gt(st.cwnd, 200, "reno stays in slow start: %u", st.cwnd);
        }
        nm_pkt_destroy(p);
    }
}

Test(nm_pkt, prelude_barrier_then_bulk_both_ways)
{
    /* 8 Mbit/s (1 us per byte), 1 ms one way. The barrier: 1 + 48 bytes, one 115-byte frame, sent at
     * -1115 us so it arrives at 0. At 0 each side sends 20 full segments: the barrier is unACKed, so
     * 9 go (cwnd 10), the first one carrying the ACK of the peer's barrier; no pure ACK leaves for
     * it. Frames of 1514 us: the first data frame arrives at 2514 us, ACKs the barrier (RTT
     * 2514 + 1115 us), and opens two more segments (cwnd 11, slow start), which queue behind the 9. */
    nm_pkt *p = two_party(8000000, 1 * MS, NM_CC_CUBIC);
    nm_pkt_prelude(p, 0, 1, 1);
    nm_pkt_stats st;
    nm_pkt_stats_get(p, 0, 1, &st);
    cr_expect_eq(st.segments, 1);
    cr_expect_eq(st.messages, 1, "the barrier arrived at 0");
    cr_expect_eq(st.acks, 0);
    cr_expect_eq(nm_pkt_next(p), 1, "the barrier's ACK waits 1 ns for a reply to carry it");
    nm_pkt_send(p, 0, 1, 0, bytes_of(20, 0), "a");
    nm_pkt_send(p, 1, 0, 0, bytes_of(20, 0), "b");
    nm_pkt_stats_get(p, 0, 1, &st);
    cr_expect_eq(st.segments, 10, "one segment short of the initial window");
    got g = {0};
    nm_pkt_run(p, 1, on_deliver, &g);
    cr_expect_eq(nm_pkt_next(p), 2514 * US, "no pure ACK at 1 ns (it would arrive at 1.066 ms + 1 ns)");
    nm_pkt_run(p, 2514 * US - 1, on_deliver, &g);
    nm_pkt_stats_get(p, 0, 1, &st);
    cr_expect_eq(st.acks, 0);
    nm_pkt_run(p, 2514 * US, on_deliver, &g);
    for (int i = 0; i < 2; i++) {
        nm_pkt_stats_get(p, i, 1 - i, &st);
        cr_expect_eq(st.acks, 1);
        cr_expect_eq(st.delay_min_ns, (2514 + 1115) * US);
        cr_expect_eq(st.cwnd, NM_TCP_IW + 1);
        cr_expect_eq(st.segments, 12, "two more at 2514 us");
    }
    /* Those two left at 2514 us after the first data segment was read (tcp_rcv_established's order),
     * so the first carries its ACK; behind the sender's 9 frames they depart at 15140 and 16654 us.
     * The receivers are out of quickack mode: segment 2 (4028 us) waits, segment 3 (5542 us) makes
     * two unACKed and gets a pure ACK, behind those 11 frames: departs 16720 us, arrives 17720 us. */
    nm_pkt_run(p, 16140 * US - 1, on_deliver, &g);
    nm_pkt_stats_get(p, 0, 1, &st);
    cr_expect_eq(st.acks, 1);
    nm_pkt_run(p, 16140 * US, on_deliver, &g);
    for (int i = 0; i < 2; i++) {
        nm_pkt_stats_get(p, i, 1 - i, &st);
        cr_expect_eq(st.acks, 2, "the ACK of the first data segment, on the peer's 10th");
        cr_expect_eq(st.cwnd, NM_TCP_IW + 2);
    }
    nm_pkt_run(p, 17720 * US - 1, on_deliver, &g);
    nm_pkt_stats_get(p, 0, 1, &st);
    cr_expect_eq(st.acks, 2);
    nm_pkt_run(p, 17720 * US, on_deliver, &g);
    for (int i = 0; i < 2; i++) {
        nm_pkt_stats_get(p, i, 1 - i, &st);
        cr_expect_eq(st.acks, 3);
        cr_expect_eq(st.cwnd, NM_TCP_IW + 4);
    }
    nm_pkt_run(p, INT64_MAX, on_deliver, &g);
    cr_expect_eq(g.n, 2, "the bulk messages; the barriers are never delivered to the callback");
    nm_pkt_destroy(p);
}

Test(nm_pkt, restart_after_idle)
{
    /* After a long message the window is large; 2 s of idle on a 10 ms round trip is 9 whole RTOs
     * of 210 ms: the window restarts at the initial 10 (nm_tcp_restart_cwnd). Within one RTO it is
     * kept. */
    nm_pkt *p = two_party(80000000, 5 * MS, NM_CC_RENO);
    nm_pkt_send(p, 0, 1, 0, bytes_of(300, 100), "m");
    nm_pkt_run(p, INT64_MAX, NULL, NULL);
    nm_pkt_stats st;
    nm_pkt_stats_get(p, 0, 1, &st);
    uint32_t big = st.cwnd;
    cr_assert_gt(big, 100);
    int64_t t_end = 200 * MS; /* well after the run (about 70 ms) */
    nm_pkt_run(p, t_end, NULL, NULL);
    nm_pkt_send(p, 0, 1, t_end, 100, "near");
    nm_pkt_stats_get(p, 0, 1, &st);
    cr_expect_eq(st.cwnd, big, "idle less than an RTO since the last send");
    nm_pkt_run(p, INT64_MAX, NULL, NULL);
    nm_pkt_send(p, 0, 1, t_end + 2000 * MS, 100, "far");
    nm_pkt_stats_get(p, 0, 1, &st);
    cr_expect_eq(st.cwnd, NM_TCP_IW);
    nm_pkt_destroy(p);
}

/* ---- in the simulator ---- */

static void pingpong(net_party *p, void *arg)
{
    (void)arg;
    static uint8_t buf[300000];
    for (int r = 0; r < 3; r++) {
        if (p->self == 0) {
            cr_assert_eq(net_send(p, 1, buf, sizeof buf), NET_OK);
            cr_assert_eq(net_recv(p, 1, buf, 100), NET_OK);
        } else {
            cr_assert_eq(net_recv(p, 0, buf, sizeof buf), NET_OK);
            cr_assert_eq(net_send(p, 0, buf, 100), NET_OK);
        }
    }
}

static int64_t run_pingpong(int model, int cc, uint64_t *msgs)
{
    nm_linkspec s = {.bps = 80000000, .latency_ns = 5 * MS, .model = model, .cc = cc};
    nm_topology t;
    nm_topology_init(&t, 2, &s);
    net_sim *sim = net_sim_create(&t);
    net_party_fn fn[2] = {pingpong, pingpong};
    cr_assert_eq(net_sim_run(sim, fn, NULL), NET_OK);
    int64_t end = net_sim_end_time(sim, 0);
    *msgs = net_sim_messages(sim);
    net_sim_destroy(sim);
    return end;
}

Test(nm_pkt, in_the_simulator)
{
    /* Three requests of 300000 bytes and replies of 100: the packet model delivers every message,
     * is deterministic, and with reno on a one-way flow it is the round model plus the ACK frames'
     * time (66 bytes = 6.6 us per round trip that waits for an ACK) -- within 1%. */
    uint64_t m1, m2, m3;
    int64_t a = run_pingpong(NM_MODEL_PKT, NM_CC_RENO, &m1);
    int64_t b = run_pingpong(NM_MODEL_PKT, NM_CC_RENO, &m2);
    int64_t r = run_pingpong(NM_MODEL_TCP, 0, &m3);
    cr_expect_eq(a, b);
    cr_expect_eq(m1, 6);
    cr_expect_eq(m3, 6);
    cr_expect_geq(a, r);
    cr_expect_lt(a - r, r / 100, "packet %lld vs round model %lld", (long long)a, (long long)r);
}

Test(nm_pkt, cli_options)
{
    tu_run a = tu_mpcsim("op mul --shape 20000 --mode phantom --bandwidth 100mbit --latency 2ms --link-model packet");
    tu_run b = tu_mpcsim("op mul --shape 20000 --mode phantom --bandwidth 100mbit --latency 2ms --link-model packet "
                         "--congestion reno");
    tu_run c = tu_mpcsim("op mul --shape 10 --link-model tcp --congestion reno");
    tu_run d = tu_mpcsim("op mul --shape 10 --link-model packet --congestion vegas");
    tu_run e = tu_mpcsim("op mul --shape 10 --link-model packet --pcap /tmp/never.pcap");
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_eq(b.status, 0, "%s", b.err);
    cr_expect(strstr(a.out, ",custom+packet,") != NULL, "%s", a.out);
    cr_expect(strstr(a.err, "packet model: P0->P1: ") != NULL && strstr(a.err, "packet model: P1->P0: ") != NULL, "%s",
              a.err);
    cr_expect(strstr(b.err, "still in slow start") != NULL, "reno has no HyStart: %s", b.err);
    cr_expect(strstr(b.out, ",custom+packet-reno,") != NULL, "%s", b.out);
    cr_expect_eq(c.status, 2);
    cr_expect(strstr(c.err, "--congestion applies to --link-model packet") != NULL, "%s", c.err);
    cr_expect_eq(d.status, 2);
    cr_expect(strstr(d.err, "vegas") != NULL, "%s", d.err);
    cr_expect_eq(e.status, 2);
    cr_expect(strstr(e.err, "--pcap") != NULL, "%s", e.err);
    tu_run_free(&a);
    tu_run_free(&b);
    tu_run_free(&c);
    tu_run_free(&d);
    tu_run_free(&e);
}

/* test_nm_tcp.c -- the TCP-aware link model (netmodel/nm_tcp.h): exact integer-ns arrival times for
 * hand-computed cases, the window carried across messages, restart after idle, and the limits (LAN-like
 * link ~ ideal model, a WAN needs several round trips).
 *
 * Most cases use a 1 Gbit/s link, where a byte takes exactly 8 ns, so a full segment on the wire
 * (1448 payload + 66 header bytes = 1514) takes 12112 ns. The expected values were also checked
 * against an independent per-segment ACK-clock simulation (every ACK adds one segment to cwnd). */
#include <criterion/criterion.h>

#include "../net/net_sim.h"
#include "../netmodel/nm.h"
#include "testutil.h"

#define GBIT 1000000000ull
#define SEG_NS 12112 /* 1514 bytes at 1 Gbit/s */
#define MS 1000000LL

static nm_link tcp_link(uint64_t bps, int64_t latency)
{
    nm_link l;
    memset(&l, 0, sizeof l);
    l.spec.bps = bps;
    l.spec.latency_ns = latency;
    l.spec.model = NM_MODEL_TCP;
    return l;
}

/* Payload bytes that make a message of exactly k full segments (header included). */
static uint64_t segs(uint64_t k) { return k * NM_TCP_MSS - NM_TCP_MSG_HDR; }

Test(nm_tcp, constants_match_the_wire)
{
    cr_expect_eq(NM_TCP_MSS, 1500 - 20 - 20 - 12);
    cr_expect_eq(NM_TCP_SEG_OVERHEAD, 14 + 20 + 20 + 12);
    cr_expect_eq(NM_TCP_MSG_HDR, 48); /* net_tcp's frame header */
    int m = -1;
    cr_expect_eq(nm_parse_link_model("tcp", &m), NM_OK);
    cr_expect_eq(m, NM_MODEL_TCP);
    cr_expect_eq(nm_parse_link_model("ideal", &m), NM_OK);
    cr_expect_eq(m, NM_MODEL_IDEAL);
    cr_expect_eq(nm_parse_link_model("reno", &m), NM_EINVAL);
    cr_expect_str_eq(nm_link_model_name(NM_MODEL_TCP), "tcp");
}

Test(nm_tcp, one_segment_message)
{
    /* 100 + 48 = 148 bytes: one segment of 148 + 66 = 214 wire bytes = 1712 ns. */
    nm_link l = tcp_link(GBIT, 10 * MS);
    int64_t dep;
    int64_t arr = nm_link_transmit(&l, 0, 100, &dep);
    cr_expect_eq(dep, 1712);
    cr_expect_eq(arr, 1712 + 10 * MS);
    cr_expect_eq(l.busy_until, 1712);
    cr_expect_eq(l.tcp.cwnd, NM_TCP_IW);
    cr_expect_eq(l.tcp.used, 1);
    cr_expect_eq(l.tcp.segments, 1);
    /* Sent later, behind a busy link: starts when the link frees. */
    arr = nm_link_transmit(&l, 1000, 100, &dep);
    cr_expect_eq(dep, 1712 + 1712);
    cr_expect_eq(arr, 3424 + 10 * MS);
}

Test(nm_tcp, fourteen_segments_need_two_round_trips)
{
    /* 14 full segments from IW 10: round 0 sends 10 at t=0 (121120 ns); its first ACK returns at
     * 12112 + 2*10 ms = 20012112, which opens round 1 (cwnd 20): 4 segments, 48448 ns. */
    nm_link l = tcp_link(GBIT, 10 * MS);
    int64_t dep;
    int64_t arr = nm_link_transmit(&l, 0, segs(14), &dep);
    cr_expect_eq(dep, 20012112 + 4 * SEG_NS);
    cr_expect_eq(arr, 20060560 + 10 * MS);
    cr_expect_eq(l.tcp.cwnd, 20);
    cr_expect_eq(l.tcp.used, 4);
    cr_expect_eq(l.tcp.rounds, 2);
    /* The ideal model: 20224 payload bytes in one go. */
    nm_link id = l;
    memset(&id.tcp, 0, sizeof id.tcp);
    id.spec.model = NM_MODEL_IDEAL;
    id.busy_until = 0;
    cr_expect_eq(nm_link_transmit(&id, 0, segs(14), &dep), 20224 * 8 + 10 * MS);
}

Test(nm_tcp, large_message_slow_start_then_bandwidth_bound)
{
    /* 1000 full segments, 1 Gbit/s, 1 ms one way (RTT 2 ms = 165 segments in flight at line rate).
     * Rounds open every 12112 + 2 ms = 2012112 ns while they are short: t_r = r * 2012112 for
     * r = 0..5 with 10, 20, 40, 80, 160, 320 segments. Round 5 (320 segments) takes 3875840 ns > RTT,
     * so round 6 (cwnd 640, the remaining 370 segments) starts when the link frees, at
     * t5 + 3875840 = 13936400, and ends 370 * 12112 later: bandwidth-bound from round 5 on. */
    nm_link l = tcp_link(GBIT, 1 * MS);
    int64_t dep;
    int64_t arr = nm_link_transmit(&l, 0, segs(1000), &dep);
    cr_expect_eq(dep, 5 * 2012112 + 320 * SEG_NS + 370 * SEG_NS);
    cr_expect_eq(dep, 18417840);
    cr_expect_eq(arr, 19417840);
    cr_expect_eq(l.tcp.rounds, 7);
    cr_expect_eq(l.tcp.cwnd, 640);
    cr_expect_eq(l.tcp.segments, 1000);
}

Test(nm_tcp, wan_few_hundred_kb_needs_several_round_trips)
{
    /* wan profile: 200 Mbit/s (40 ns per byte, 60560 ns per full segment), 20 ms one way.
     * 300000 + 48 bytes = 207 full segments + 312 bytes: rounds of 10, 20, 40, 80, 58 segments, each
     * opened 60560 + 40 ms after the previous one; the last round carries 57 full segments and one of
     * 312 + 66 bytes: 86676 wire bytes = 3467040 ns. Ideal: 12 ms + 20 ms. */
    const nm_profile *p = nm_profile_find("wan");
    nm_link l = tcp_link(p->bps, p->latency_ns);
    int64_t dep;
    int64_t arr = nm_link_transmit(&l, 0, 300000, &dep);
    cr_expect_eq(dep, 4 * (60560 + 40 * MS) + 3467040);
    cr_expect_eq(arr, 183709280);
    cr_expect_eq(l.tcp.rounds, 5);
    nm_link id = {.spec = {.bps = p->bps, .latency_ns = p->latency_ns}};
    int64_t ideal = nm_link_transmit(&id, 0, 300000, &dep);
    cr_expect_eq(ideal, 32 * MS);
    cr_expect_gt(arr, ideal + 3 * 40 * MS, "several round trips, not one");
}

Test(nm_tcp, back_to_back_messages_share_the_window)
{
    /* 3 segments, then 12 segments at the same instant: the second message's first 7 segments fill
     * round 0 (behind the first message on the link), its last 5 wait for round 0's first ACK at
     * 12112 + 20 ms and go in round 1 (cwnd 20). */
    nm_link l = tcp_link(GBIT, 10 * MS);
    int64_t dep;
    cr_expect_eq(nm_link_transmit(&l, 0, segs(3), &dep), 3 * SEG_NS + 10 * MS);
    int64_t arr = nm_link_transmit(&l, 0, segs(12), &dep);
    cr_expect_eq(dep, 20012112 + 5 * SEG_NS);
    cr_expect_eq(arr, 30072672);
    cr_expect_eq(l.tcp.cwnd, 20);
    cr_expect_eq(l.tcp.used, 5);
}

Test(nm_tcp, window_carried_across_messages)
{
    /* Message A, 30 segments: 10 at t=0, 20 at 20012112 (cwnd 20), arriving at 30254352. Message B,
     * 40 segments, sent when A arrives: A's last round is still unacknowledged (its first ACK returns
     * at 20012112 + 12112 + 20 ms = 40024224), so B waits for it and goes in ONE round of cwnd 40.
     * On a fresh connection B needs three rounds (10, 20, 10). */
    nm_link l = tcp_link(GBIT, 10 * MS);
    int64_t dep;
    int64_t ta = nm_link_transmit(&l, 0, segs(30), &dep);
    cr_expect_eq(ta, 30254352);
    int64_t tb = nm_link_transmit(&l, ta, segs(40), &dep);
    cr_expect_eq(dep, 40024224 + 40 * SEG_NS);
    cr_expect_eq(tb, 50508704);
    cr_expect_eq(l.tcp.cwnd, 40);

    nm_link f = tcp_link(GBIT, 10 * MS);
    f.busy_until = ta;
    int64_t fresh = nm_link_transmit(&f, ta, segs(40), &dep);
    cr_expect_eq(fresh, ta + 2 * (SEG_NS + 20 * MS) + 10 * SEG_NS + 10 * MS);
    cr_expect_gt(fresh - ta, 2 * (tb - ta) - 20 * MS);

    /* Small messages do not grow the window (application-limited: cwnd <= 2 x in flight). */
    nm_link s = tcp_link(GBIT, 10 * MS);
    int64_t t = 0;
    for (int i = 0; i < 20; i++) t = nm_link_transmit(&s, t + 10 * MS, 100, &dep);
    cr_expect_eq(s.tcp.cwnd, NM_TCP_IW);
}

Test(nm_tcp, restart_after_idle_halves_per_rto)
{
    /* RTO = RTT + 200 ms. Halvings = whole RTOs strictly below the idle time; never below IW. */
    const int64_t rtt = 20 * MS, rto = rtt + 200 * MS;
    cr_expect_eq(nm_tcp_restart_cwnd(80, rto, rtt), 80);
    cr_expect_eq(nm_tcp_restart_cwnd(80, rto + 1, rtt), 40);
    cr_expect_eq(nm_tcp_restart_cwnd(80, 2 * rto, rtt), 40);
    cr_expect_eq(nm_tcp_restart_cwnd(80, 2 * rto + 1, rtt), 20);
    cr_expect_eq(nm_tcp_restart_cwnd(80, 10 * rto, rtt), NM_TCP_IW);
    cr_expect_eq(nm_tcp_restart_cwnd(8, 10 * rto, rtt), 8);
    cr_expect_eq(nm_tcp_restart_cwnd(NM_TCP_WND_MAX, 1000 * rto, rtt), NM_TCP_IW);

    /* On a link: 70 segments (rounds of 10, 20, 40; last round released at 2 * 20012112) leave
     * cwnd 80 once acknowledged. After 300 ms idle (1 RTO of 220 ms) cwnd is 40: 40 segments in one
     * round; after 500 ms (2 RTOs) 20: two rounds; after 1 s: IW, three rounds (10, 20, 10). */
    static const struct { int64_t idle; int64_t rounds; uint32_t cwnd_at_start; } cases[] = {
        {300 * MS, 1, 40}, {500 * MS, 2, 20}, {1000 * MS, 3, NM_TCP_IW},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        nm_link l = tcp_link(GBIT, 10 * MS);
        int64_t dep;
        nm_link_transmit(&l, 0, segs(70), &dep);
        cr_assert_eq(l.tcp.last_send, 2 * 20012112);
        int64_t now = l.tcp.last_send + cases[c].idle;
        uint64_t r0 = l.tcp.rounds;
        int64_t arr = nm_link_transmit(&l, now, segs(40), &dep);
        cr_expect_eq(l.tcp.rounds - r0, (uint64_t)cases[c].rounds, "idle %lld", (long long)cases[c].idle);
        int64_t w = cases[c].cwnd_at_start, expect;
        if (cases[c].rounds == 1) expect = now + 40 * SEG_NS + 10 * MS;
        else if (cases[c].rounds == 2) expect = now + (SEG_NS + 20 * MS) + (40 - w) * SEG_NS + 10 * MS;
        else expect = now + 2 * (SEG_NS + 20 * MS) + 10 * SEG_NS + 10 * MS;
        cr_expect_eq(arr, expect, "idle %lld", (long long)cases[c].idle);
    }

    /* No restart while segments are in flight, however long ago the last send. */
    nm_link l = tcp_link(GBIT, 400 * MS);
    int64_t dep;
    nm_link_transmit(&l, 0, segs(70), &dep); /* cwnd 40, round 2 in flight */
    int64_t now = l.tcp.last_send + 700 * MS; /* > RTO = 1000 ms? no: 800 + 200; still in flight */
    cr_assert_lt(now, l.tcp.last_ack);
    nm_link_transmit(&l, now, segs(1), &dep);
    cr_expect_eq(l.tcp.cwnd, 80);
}

Test(nm_tcp, lan_like_link_is_close_to_ideal)
{
    /* RTT 10 us at 1 Gbit/s: the window (IW 10 = 14480 bytes) exceeds the 1250-byte BDP, so the
     * link never idles; the only difference is the per-segment headers (66 / 1448 = 4.6%). 1 MB:
     * 690 full segments + 928 bytes = 1045654 wire bytes = 8365232 ns. */
    nm_link l = tcp_link(GBIT, 5000);
    nm_link id = {.spec = {.bps = GBIT, .latency_ns = 5000}};
    int64_t dep;
    int64_t t = nm_link_transmit(&l, 0, 1000000, &dep);
    int64_t i = nm_link_transmit(&id, 0, 1000000, &dep);
    cr_expect_eq(t, 8365232 + 5000);
    cr_expect_eq(i, 8000000 + 5000);
    double ratio = (double)t / (double)i;
    cr_expect(ratio >= 1.0 && ratio < 1.05, "tcp/ideal = %g", ratio);
    /* and a chain of MPC-like exchanges of 64 kB */
    nm_link a = tcp_link(GBIT, 5000), b = {.spec = {.bps = GBIT, .latency_ns = 5000}};
    int64_t ta = 0, tb = 0;
    for (int k = 0; k < 50; k++) {
        ta = nm_link_transmit(&a, ta, 65536, &dep);
        tb = nm_link_transmit(&b, tb, 65536, &dep);
    }
    ratio = (double)ta / (double)tb;
    cr_expect(ratio >= 1.0 && ratio < 1.06, "tcp/ideal = %g", ratio);
}

Test(nm_tcp, offline_links_take_no_time)
{
    nm_link l = tcp_link(GBIT, 10 * MS);
    l.spec.offline = 1;
    int64_t dep;
    cr_expect_eq(nm_link_transmit(&l, 77, 1 << 20, &dep), 77);
    cr_expect_eq(dep, 77);
    cr_expect_eq(l.tcp.segments, 0);
}

Test(nm_tcp, overhead_bytes_add_to_the_message)
{
    /* --overhead N adds N bytes to each message's stream (on top of the 48-byte header):
     * 1400 + 48 = 1448 is one segment, + 1 byte of overhead makes two. */
    nm_link l = tcp_link(GBIT, 0);
    int64_t dep;
    nm_link_transmit(&l, 0, 1400, &dep);
    cr_expect_eq(l.tcp.segments, 1);
    nm_link m = tcp_link(GBIT, 0);
    m.spec.overhead_bytes = 1;
    nm_link_transmit(&m, 0, 1400, &dep);
    cr_expect_eq(m.tcp.segments, 2);
    cr_expect_eq(dep, (1514 + 1 + 66) * 8);
}

/* ---- through the simulator backend ---- */

static void pinger(net_party *p, void *arg)
{
    (void)arg;
    static uint8_t buf[300000];
    for (int k = 0; k < 3; k++) {
        if (p->self == 0) {
            cr_assert_eq(net_send(p, 1, NULL, sizeof buf), NET_OK);
            cr_assert_eq(net_recv(p, 1, NULL, 8), NET_OK);
        } else {
            cr_assert_eq(net_recv(p, 0, NULL, sizeof buf), NET_OK);
            cr_assert_eq(net_send(p, 0, NULL, 8), NET_OK);
        }
    }
}

Test(nm_tcp, simulator_runs_the_tcp_model)
{
    /* Three 300 kB messages P0 -> P1, each answered by 8 bytes (8 + 48 + 66 = 122 wire bytes, 4880 ns),
     * on the wan profile (60560 ns per full segment, 20 ms one way).
     *  1st: 5 rounds (10, 20, 40, 80, 58) arriving at 183709280; answer back at 203714160.
     *  2nd: round 4 is acknowledged and was application-limited (58 of 160): cwnd stays 160; idle
     *       since round 4's release (43 ms) is below the RTO, so no restart. 160 segments, then 48
     *       (47 full + 312 bytes: 71536 wire bytes, 2861440 ns) one RTT later (60560 + 40 ms):
     *       arrives 40060560 + 2861440 + 20 ms after its send; answer 20004880 later.
     *  3rd: cwnd 320 (round of 160 full), 48 used: stays 320, so all 208 segments go in one round:
     *       313776 wire bytes = 12551040 ns, + 20 ms; answer 20004880 later. */
    const nm_profile *p = nm_profile_find("wan");
    nm_linkspec spec = {.bps = p->bps, .latency_ns = p->latency_ns, .model = NM_MODEL_TCP};
    nm_topology t;
    nm_topology_init(&t, 2, &spec);
    net_sim *s = net_sim_create(&t);
    net_party_fn fn[2] = {pinger, pinger};
    cr_assert_eq(net_sim_run(s, fn, NULL), NET_OK);
    int64_t t1 = 183709280 + 4880 + 20 * MS;
    int64_t t2 = t1 + 40060560 + 2861440 + 20 * MS + 4880 + 20 * MS;
    int64_t t3 = t2 + 12551040 + 20 * MS + 4880 + 20 * MS;
    cr_expect_eq(t1, 203714160);
    cr_expect_eq(net_sim_end_time(s, 0), t3);
    cr_expect_eq(t3, 339196960);
    net_sim_destroy(s);

    /* The ideal default is unchanged by the new fields. */
    nm_linkspec ispec = {.bps = p->bps, .latency_ns = p->latency_ns};
    nm_topology_init(&t, 2, &ispec);
    s = net_sim_create(&t);
    cr_assert_eq(net_sim_run(s, fn, NULL), NET_OK);
    cr_expect_eq(net_sim_end_time(s, 0), 3 * (300000 * 40 + 20 * MS + 8 * 40 + 20 * MS));
    net_sim_destroy(s);
}

/* ---- the command line ---- */

static double csv_latency(const char *out)
{
    /* second line, 10th column (latency_s) of `mpcsim op` */
    const char *l = strchr(out, '\n');
    cr_assert(l, "no CSV row in: %s", out);
    l++;
    for (int c = 0; c < 9; c++) {
        l = strchr(l, ',');
        cr_assert(l, "short CSV row");
        l++;
    }
    return strtod(l, NULL);
}

Test(nm_tcp, cli_link_model_option)
{
    /* mul on 100000 elements: one flight of 1.6 MB each way on the wan profile. Ideal: 64 ms of
     * transfer + 20 ms. tcp: 1600000 + 48 bytes = 1105 full segments + 8 bytes: rounds of 10..320
     * segments opened every 60560 + 40 ms (6 of them), then the last 476 back to back (475 full and
     * one of 8 + 66 bytes: 28768960 ns) + 20 ms. */
    tu_run a = tu_mpcsim("op mul --shape 100000 --mode phantom --net wan");
    tu_run b = tu_mpcsim("op mul --shape 100000 --mode phantom --net wan --link-model tcp");
    tu_run c = tu_mpcsim("op mul --shape 100000 --mode phantom --net wan --link-model=ideal");
    tu_run d = tu_mpcsim("op mul --shape 10 --link-model reno");
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_eq(b.status, 0, "%s", b.err);
    cr_assert_eq(c.status, 0, "%s", c.err);
    cr_expect_eq(csv_latency(a.out), 0.084);
    cr_expect_float_eq(csv_latency(b.out), (6 * 40060560 + 475 * 60560 + 74 * 40 + 20000000) * 1e-9, 1e-12);
    cr_expect_str_eq(c.out, a.out, "ideal is the default");
    cr_expect(strstr(b.out, ",wan+tcp,") != NULL, "the net column names the model: %s", b.out);
    cr_expect_eq(d.status, 2);
    cr_expect(strstr(d.err, "--link-model") != NULL, "%s", d.err);
    tu_run h = tu_mpcsim("op --help");
    cr_expect(strstr(h.out, "--link-model") != NULL);
    tu_run p = tu_mpcsim("party --role p0 --peers p0=127.0.0.1:1,p1=127.0.0.1:2,dealer=127.0.0.1:3 mul --shape 4 --link-model tcp");
    cr_expect_eq(p.status, 2, "the real network has no link model");
    tu_run_free(&a);
    tu_run_free(&b);
    tu_run_free(&c);
    tu_run_free(&d);
    tu_run_free(&h);
    tu_run_free(&p);
}

/* test_pcap.c -- the simulated traffic as a pcap: read back with libpcap (packet count, sizes,
 * virtual nanosecond timestamps), payload totals equal the counters, byte-identical reruns; under the
 * tcp link model, the model's own segments and their departures, round by round. */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../net/net_sim.h"
#include "testutil.h"

typedef struct {
    uint64_t ts_ns;
    uint32_t caplen, len;
    uint8_t src, dst;
    uint32_t payload, seq;
} pkt;

static size_t read_pcap(const char *path, pkt *out, size_t max)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    cr_assert(p != NULL, "pcap_open_offline: %s", errbuf);
    cr_assert_eq(pcap_datalink(p), DLT_EN10MB);
    struct pcap_pkthdr *h;
    const u_char *d;
    size_t n = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
        cr_assert(n < max);
        pkt *k = &out[n++];
        k->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
        k->caplen = h->caplen;
        k->len = h->len;
        cr_assert(h->caplen >= 66);
        const u_char *ip = d + 14, *tcp = d + 34;
        cr_assert_eq(d[12], 0x08);
        cr_assert_eq(ip[9], 6, "TCP");
        k->src = ip[15];
        k->dst = ip[19];
        uint32_t iplen = (uint32_t)ip[2] << 8 | ip[3];
        uint32_t thl = (uint32_t)(tcp[12] >> 4) * 4;
        k->payload = iplen - 20 - thl;
        k->seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
        cr_assert_eq(h->len, 14 + iplen, "frame length matches IP total length");
    }
    pcap_close(p);
    return n;
}

static void pcap_p0(net_party *p, void *arg)
{
    cr_assert_eq(net_send(p, NET_P1, NULL, 3000), NET_OK); /* 1448 + 1448 + 104 */
    cr_assert_eq(net_recv(p, NET_P1, NULL, 10), NET_OK);
}
static void pcap_p1(net_party *p, void *arg)
{
    cr_assert_eq(net_recv(p, NET_P0, NULL, 3000), NET_OK);
    cr_assert_eq(net_send(p, NET_P0, NULL, 10), NET_OK);
}

static void run_traced_with(const char *path, net_sim **out, int model, net_party_fn p0, net_party_fn p1,
                            tu_trace *tr)
{
    nm_linkspec l = {.bps = 1000000000ull, .latency_ns = 1000000, .model = model};
    nm_topology t;
    nm_topology_init(&t, 3, &l);
    net_sim *s = net_sim_create(&t);
    nm_pcap *pc;
    cr_assert_eq(nm_pcap_open(&pc, path, 1448), NM_OK);
    net_sim_add_trace(s, net_sim_trace_pcap, pc);
    if (tr) net_sim_add_trace(s, tu_trace_sink, tr);
    net_party_fn fn[3] = {p0, p1, NULL};
    cr_assert_eq(net_sim_run(s, fn, NULL), NET_OK);
    cr_assert_eq(nm_pcap_close(pc), NM_OK);
    *out = s;
}

static void run_traced(const char *path, net_sim **out)
{
    run_traced_with(path, out, NM_MODEL_IDEAL, pcap_p0, pcap_p1, NULL);
}

Test(pcap, segments_sizes_and_virtual_timestamps)
{
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/a.pcap", dir);
    net_sim *s;
    run_traced(path, &s);
    pkt k[16];
    size_t n = read_pcap(path, k, 16);
    cr_assert_eq(n, 4, "3 segments P0->P1 + 1 segment back, got %zu", n);
    /* Segment i of P0's message leaves when its last bit does: cumulative bytes * 8 ns at 1 Gbit/s. */
    static const uint32_t pay[4] = {1448, 1448, 104, 10};
    static const uint64_t ts[4] = {1448 * 8, 2896 * 8, 3000 * 8, 3000 * 8 + 1000000 + 80};
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(k[i].payload, pay[i], "segment %zu payload", i);
        cr_expect_eq(k[i].ts_ns, ts[i], "segment %zu timestamp %llu", i, (unsigned long long)k[i].ts_ns);
        cr_expect_eq(k[i].caplen, 66);
        cr_expect_eq(k[i].len, 66 + pay[i]);
    }
    cr_expect_eq(k[0].src, 1); /* 10.0.0.1 = P0 */
    cr_expect_eq(k[0].dst, 2);
    cr_expect_eq(k[3].src, 2);
    cr_expect_eq(k[1].seq, 1 + 1448, "sequence numbers count payload bytes");
    /* Payload totals equal the counters. */
    uint64_t tot = 0;
    for (size_t i = 0; i < n; i++) tot += k[i].payload;
    const net_counters *c0 = &net_sim_party(s, NET_P0)->stats.total;
    cr_expect_eq(tot, c0->sent_bytes[NET_P1] + c0->recv_bytes[NET_P1]);
    net_sim_destroy(s);
    remove(path);
    rmdir(dir);
    free(dir);
}

/* 34 full segments and one of 100 bytes, frame header included: 49284 payload + 48 = 49332 bytes. */
enum { TCP_MSG = 34 * 1448 + 100 - 48 };
static void tcp_p0(net_party *p, void *arg)
{
    cr_assert_eq(net_send(p, NET_P1, NULL, TCP_MSG), NET_OK);
    cr_assert_eq(net_recv(p, NET_P1, NULL, 10), NET_OK);
}
static void tcp_p1(net_party *p, void *arg)
{
    cr_assert_eq(net_recv(p, NET_P0, NULL, TCP_MSG), NET_OK);
    cr_assert_eq(net_send(p, NET_P0, NULL, 10), NET_OK);
}

Test(pcap, tcp_model_segments_leave_round_by_round)
{
    /* 1 Gbit/s (8 ns a byte), 1 ms one way, fresh connection (IW 10). A full segment is 1448 + 66 =
     * 1514 wire bytes = 12112 ns. Round 0: segments 1..10 leave at k * 12112; its first ACK is back
     * at 12112 + 2 ms = 2012112, which opens round 1 (cwnd 20): segments 11..30 leave at 2012112 +
     * k * 12112; its first ACK: 2012112 + 12112 + 2 ms = 4024224 opens round 2 (cwnd 40): segments
     * 31..34 at 4024224 + k * 12112, and segment 35 (100 + 66 bytes, 1328 ns) at 4072672 + 1328 =
     * 4074000, the model's departure; arrival 5074000. P1's 10-byte reply (58 bytes with the frame
     * header, 124 on the wire) leaves at 5074000 + 992. */
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/tcp.pcap", dir);
    net_sim *s;
    tu_trace tr = {0};
    run_traced_with(path, &s, NM_MODEL_TCP, tcp_p0, tcp_p1, &tr);
    static pkt k[64];
    size_t n = read_pcap(path, k, 64);
    cr_assert_eq(n, 36, "35 segments P0->P1 + 1 back, got %zu", n);
    int64_t round_open[3] = {0, 2012112, 4024224};
    int first[3] = {0, 10, 30}, count[3] = {10, 20, 5};
    size_t bad = 0;
    for (int r = 0; r < 3; r++)
        for (int j = 0; j < count[r]; j++) {
            size_t i = (size_t)(first[r] + j);
            int last = i == 34;
            uint64_t ts = (uint64_t)(round_open[r] + (last ? 4 * 12112 + 1328 : (j + 1) * 12112));
            uint32_t pay = last ? 100 : 1448;
            if (k[i].ts_ns != ts || k[i].payload != pay || k[i].src != 1 || k[i].seq != 1 + 1448 * i) {
                cr_expect_fail("segment %zu: ts %llu (want %llu), payload %u (want %u), src %u, seq %u", i,
                               (unsigned long long)k[i].ts_ns, (unsigned long long)ts, k[i].payload, pay, k[i].src,
                               k[i].seq);
                bad++;
            }
        }
    cr_expect_eq(bad, 0);
    cr_expect_eq(k[34].ts_ns, 4074000);
    cr_expect_eq(k[35].ts_ns, 5074000 + 992);
    cr_expect_eq(k[35].payload, 58);
    cr_expect_eq(k[35].src, 2);
    /* The last segment of each message carries the model's departure: arrival - latency. */
    cr_assert_eq(tr.n, 2);
    cr_expect_eq(k[34].ts_ns, (uint64_t)tr.rec[0].t_depart);
    cr_expect_eq(k[34].ts_ns, (uint64_t)(tr.rec[0].t_arrive - 1000000));
    cr_expect_eq(k[35].ts_ns, (uint64_t)tr.rec[1].t_depart);
    /* Payload in the capture: the counters plus the 48-byte frame header per message. */
    uint64_t tot = 0;
    for (size_t i = 0; i < n; i++) tot += k[i].payload;
    cr_expect_eq(tot, TCP_MSG + 10 + 2 * 48);
    tu_trace_free(&tr);
    net_sim_destroy(s);
    remove(path);
    rmdir(dir);
    free(dir);
}

Test(pcap, tcp_model_capture_of_an_op_ends_at_its_latency)
{
    /* `mpcsim op ... --link-model tcp --pcap`: on the wan profile a 100000-element mul needs several
     * windows; the last packet leaves one latency before the end of the run (the op's latency). */
    char *dir = tu_tmpdir();
    char path[512], args[1400];
    snprintf(path, sizeof path, "%s/op.pcap", dir);
    snprintf(args, sizeof args, "op mul --shape 100000 --mode phantom --net wan --link-model tcp --pcap %s", path);
    tu_run r = tu_mpcsim(args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *l = strchr(r.out, '\n');
    cr_assert(l);
    double lat = 0;
    for (int c = 0; c < 9; c++) l = strchr(l + 1, ','); /* latency_s is the 10th column */
    lat = atof(l + 1);
    static pkt k[4096];
    size_t n = read_pcap(path, k, 4096);
    uint64_t last = 0;
    for (size_t i = 0; i < n; i++)
        if (k[i].ts_ns > last) last = k[i].ts_ns;
    cr_expect_eq((int64_t)last + 20000000, (int64_t)llround(lat * 1e9), "last packet %llu ns, latency %.9f s",
                 (unsigned long long)last, lat);
    cr_expect_gt(lat, 0.2, "several round trips on the wan");
    tu_run_free(&r);
    remove(path);
    rmdir(dir);
    free(dir);
}

Test(pcap, mpc_op_capture_matches_counters_and_is_reproducible)
{
    char *dir = tu_tmpdir();
    char a[512], b[512], args[1400];
    snprintf(a, sizeof a, "%s/a.pcap", dir);
    snprintf(b, sizeof b, "%s/b.pcap", dir);
    snprintf(args, sizeof args, "op mul --shape 3000 --dealer inline --pcap %s", a);
    tu_run r1 = tu_mpcsim(args);
    cr_assert_eq(r1.status, 0, "%s", r1.err);
    snprintf(args, sizeof args, "op mul --shape 3000 --dealer inline --pcap %s", b);
    tu_run r2 = tu_mpcsim(args);
    cr_assert_eq(r2.status, 0, "%s", r2.err);
    cr_expect_str_eq(r1.out, r2.out, "same seed, same CSV");
    size_t la, lb;
    char *fa = tu_read_file(a, &la), *fb = tu_read_file(b, &lb);
    cr_assert(fa && fb);
    cr_expect_eq(la, lb);
    cr_expect(memcmp(fa, fb, la) == 0, "same seed, byte-identical pcap");
    /* Payload bytes in the capture = online bytes of both parties + dealer bytes. */
    static pkt k[4096];
    size_t n = read_pcap(a, k, 4096);
    uint64_t tot = 0, last = 0;
    for (size_t i = 0; i < n; i++) {
        tot += k[i].payload;
        cr_expect(k[i].ts_ns >= last, "timestamps sorted");
        last = k[i].ts_ns;
    }
    /* mul on 3000: each party sends 2*3000 words; the dealer gets a 48 B request, sends 3000 words. */
    cr_expect_eq(tot, 2 * 48000 + 48 + 24000, "capture payload total %llu", (unsigned long long)tot);
    free(fa), free(fb);
    tu_run_free(&r1);
    tu_run_free(&r2);
    remove(a), remove(b);
    rmdir(dir);
    free(dir);
}

/* test_pcap.c -- the simulated traffic as a pcap: read back with libpcap (packet count, sizes,
 * virtual nanosecond timestamps), payload totals equal the counters, byte-identical reruns. */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
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

static void run_traced(const char *path, net_sim **out)
{
    nm_linkspec l = {.bps = 1000000000ull, .latency_ns = 1000000};
    nm_topology t;
    nm_topology_init(&t, 3, &l);
    net_sim *s = net_sim_create(&t);
    nm_pcap *pc;
    cr_assert_eq(nm_pcap_open(&pc, path, 1448), NM_OK);
    net_sim_add_trace(s, net_sim_trace_pcap, pc);
    net_party_fn fn[3] = {pcap_p0, pcap_p1, NULL};
    cr_assert_eq(net_sim_run(s, fn, NULL), NET_OK);
    cr_assert_eq(nm_pcap_close(pc), NM_OK);
    *out = s;
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

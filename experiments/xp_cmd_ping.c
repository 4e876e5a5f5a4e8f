/* xp_cmd_ping.c -- `mpcsim ping`: a 2-party ping-pong through the simulated network.
 * The smallest end-to-end check of the simulator: its latency is exactly
 * count * 2 * (ceil((bytes + overhead) * 8e9 / bandwidth) + one-way latency). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../net/net_sim.h"
#include "xp.h"
#include "xp_cmds.h"
#include "xp_schema.h"

typedef struct ping_cfg {
    uint64_t bytes, count;
} ping_cfg;

static void ping_party(net_party *p, void *arg)
{
    const ping_cfg *c = arg;
    int peer = 1 - p->self;
    uint8_t *buf = chk_calloc(c->bytes ? c->bytes : 1, 1);
    for (uint64_t i = 0; i < c->count; i++) {
        int rc;
        if (p->self == NET_P0) {
            buf[0] = (uint8_t)i;
            rc = net_send(p, peer, buf, c->bytes);
            if (rc == NET_OK) rc = net_recv(p, peer, buf, c->bytes);
        } else {
            rc = net_recv(p, peer, buf, c->bytes);
            if (rc == NET_OK) rc = net_send(p, peer, buf, c->bytes);
        }
        CHECK(rc == NET_OK, "ping failed: %s", net_strerror(rc));
    }
    free(buf);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mpcsim ping [--bytes N] [--count K] [network options] [--out FILE]\n"
            "P0 sends N bytes to P1, which echoes them back; K times. Prints one CSV row:\n"
            "  net, bandwidth_bps, one_way_latency_s, bytes, count, messages, rounds,\n"
            "  sent_bytes_p0, sent_bytes_p1, latency_s (virtual), transfer_s, propagation_s\n"
            "(transfer_s and propagation_s split latency_s along the critical path).\n\n");
    xp_net_help(f);
}

int xp_cmd_ping(int argc, char **argv)
{
    ping_cfg cfg = {.bytes = 1, .count = 1};
    xp_netopts net;
    xp_net_defaults(&net);
    const char *out = NULL, *v;
    for (int i = 0; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if ((r = xp_net_arg(&net, argc, argv, &i))) {
            if (r < 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--bytes", 1, &v))) {
            if (r < 0 || xp_parse_u64("--bytes", v, 0, 1ull << 32, &cfg.bytes) != 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--count", 1, &v))) {
            if (r < 0 || xp_parse_u64("--count", v, 1, 1000000, &cfg.count) != 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--out", 1, &v))) {
            if (r < 0) return 2;
            out = v;
            continue;
        }
        fprintf(stderr, "error: ping: unknown option '%s' (see mpcsim ping --help)\n", argv[i]);
        return 2;
    }
    if (xp_net_finish(&net) != 0) return 2;

    nm_topology topo;
    xp_net_topology(&net, &topo, 0);
    net_sim *s = net_sim_create(&topo);
    nm_pcap *pc = NULL;
    if (net.pcap) {
        if (nm_pcap_open(&pc, net.pcap, net.mss) != NM_OK) { /* --mss was range-checked: the file failed */
            net_sim_destroy(s);
            return 2;
        }
        net_sim_add_trace(s, net_sim_trace_pcap, pc);
    }
    net_party_fn fn[3] = {ping_party, ping_party, NULL};
    void *args[3] = {&cfg, &cfg, NULL};
    int rc = net_sim_run(s, fn, args);
    if (rc != NET_OK) {
        nm_pcap_discard(pc);
        net_sim_destroy(s);
        return 1;
    }
    /* The capture is complete: commit it before the CSV, so a failed write leaves no CSV behind. */
    if (pc && nm_pcap_close(pc) != NM_OK) {
        net_sim_destroy(s);
        return 1;
    }
    xp_out o;
    if (xp_out_open(&o, out) != 0) {
        net_sim_destroy(s);
        return 1;
    }
    const net_party *p0 = net_sim_party(s, NET_P0), *p1 = net_sim_party(s, NET_P1);
    int64_t t = net_sim_end_time(s, NET_P0);
    xp_rows w;
    xp_rows_open(&w, o.f, &xp_schema_ping, XP_ROWS_CSV);
    xp_rows_str(&w, "net", net.name);
    xp_rows_uint(&w, "bandwidth_bps", net.online.bps);
    xp_rows_real(&w, "one_way_latency_s", net.online.latency_ns * 1e-9);
    xp_rows_uint(&w, "bytes", cfg.bytes);
    xp_rows_uint(&w, "count", cfg.count);
    xp_rows_uint(&w, "messages", net_sim_messages(s));
    xp_rows_uint(&w, "rounds", p0->depth);
    xp_rows_uint(&w, "sent_bytes_p0", p0->stats.total.sent_bytes[NET_P1]);
    xp_rows_uint(&w, "sent_bytes_p1", p1->stats.total.sent_bytes[NET_P0]);
    xp_rows_real(&w, "latency_s", t * 1e-9);
    xp_rows_real(&w, "transfer_s", p0->cp[NET_CP_TRANSFER] * 1e-9);
    xp_rows_real(&w, "propagation_s", p0->cp[NET_CP_LATENCY] * 1e-9);
    xp_rows_end(&w);
    rc = xp_out_close(&o);
    net_sim_destroy(s);
    return rc == 0 ? 0 : 1;
}

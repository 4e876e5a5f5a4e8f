/* xp_cmd_demo.c -- `mpcsim demo`: a short tour of what the simulator measures. */
#include <inttypes.h>
#include <string.h>

#include "../net/net_sim.h"
#include "xp.h"
#include "xp_cmds.h"
#include "../runtime/rt_ops.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: mpcsim demo [--net PROFILE | --bandwidth B --latency L] [--op NAME --shape SHAPE]\n"
               "Runs a 1 MB two-party exchange, then one MPC op (default: softmax on 12x128x128 if available,\n"
               "else mul), under the given network, and explains the numbers.\n");
}

static int run_op(const char *name, const char *shape, const xp_netopts *net)
{
    const rt_opdef *op = rt_op_find(name);
    if (!op) {
        fprintf(stderr, "error: demo: unknown op '%s'\n", name);
        return 2;
    }
    rt_shape s;
    char err[256];
    if (rt_shape_parse(&s, shape, op->kind == RT_SHAPE_MATMUL, err, sizeof err) != 0) {
        fprintf(stderr, "error: demo: %s\n", err);
        return 2;
    }
    mpc_config cfg;
    mpc_config_default(&cfg);
    rt_sim_opts so;
    memset(&so, 0, sizeof so);
    so.cfg = &cfg;
    so.seed = 1;
    xp_net_topology(net, &so.topo, 0);
    rt_op_outcome oc;
    if (rt_op_run(op, &s, &so, 0, &oc) != 0) return 1;
    const rt_result *r = &oc.res;
    printf("2. MPC op '%s' on %s (real mode, secret-shared inputs, dealer offline):\n", op->name, s.text);
    printf("   rounds %" PRIu64 ", P0 sends %" PRIu64 " B, P1 sends %" PRIu64 " B, dealer %" PRIu64 " B (offline)\n",
           r->rounds, rt_online_sent(r, 0), rt_online_sent(r, 1), r->dealer_bytes);
    printf("   latency %.3f ms = %.3f ms transmitting + %.3f ms propagation (critical path)\n", r->latency_ns * 1e-6,
           r->cp_ns[0][NET_CP_TRANSFER] * 1e-6, r->cp_ns[0][NET_CP_LATENCY] * 1e-6);
    printf("   max abs error vs double reference: %.3g, max rel error %.3g\n", oc.max_abs_err, oc.max_rel_err);
    return 0;
}

int xp_cmd_demo(int argc, char **argv)
{
    xp_netopts net;
    xp_net_defaults(&net);
    const char *opname = NULL, *shape = NULL;
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
        if ((r = xp_arg(argc, argv, &i, "--op", 1, &opname)) || (r = xp_arg(argc, argv, &i, "--shape", 1, &shape))) {
            if (r < 0) return 2;
            continue;
        }
        fprintf(stderr, "error: demo: unknown option '%s'\n", argv[i]);
        return 2;
    }
    if (xp_net_finish(&net) != 0) return 2;
    char bw[32], lat[32];
    nm_format_bandwidth(bw, sizeof bw, net.online.bps);
    nm_format_duration(lat, sizeof lat, net.online.latency_ns);
    printf("mpcsim demo -- network '%s': %s, %s one way (virtual time, zero compute model)\n\n", net.name, bw, lat);

    /* 1. A plain exchange: both parties send 1 MB at once over the full-duplex link. */
    nm_topology t;
    xp_net_topology(&net, &t, 0);
    net_sim *s = net_sim_create(&t);
    net_party_fn fn[3] = {NULL, NULL, NULL};
    extern void xp_demo_exchange(net_party *p, void *arg);
    fn[0] = fn[1] = xp_demo_exchange;
    if (net_sim_run(s, fn, NULL) != NET_OK) {
        net_sim_destroy(s);
        return 1;
    }
    int64_t tx = nm_tx_time(net.online.bps, 1000000 + net.online.overhead_bytes);
    printf("1. P0 and P1 exchange 1 MB each (one round, full duplex):\n"
           "   finished at %.6f ms = %.6f ms to transmit + %.6f ms latency\n\n",
           net_sim_end_time(s, NET_P0) * 1e-6, tx * 1e-6, net.online.latency_ns * 1e-6);
    net_sim_destroy(s);

    if (!opname) {
        opname = rt_op_find("softmax") ? "softmax" : "mul";
        shape = rt_op_find("softmax") ? "12x128x128" : "128x768";
    }
    if (!shape) shape = "1024";
    return run_op(opname, shape, &net);
}

void xp_demo_exchange(net_party *p, void *arg);
void xp_demo_exchange(net_party *p, void *arg)
{
    (void)arg;
    int peer = 1 - p->self;
    int rc = net_send(p, peer, NULL, 1000000);
    if (rc == NET_OK) rc = net_recv(p, peer, NULL, 1000000);
    CHECK(rc == NET_OK, "exchange failed");
}

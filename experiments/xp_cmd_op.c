/* xp_cmd_op.c -- `mpcsim op`: one protocol op through the simulator, cost and accuracy as CSV. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xp.h"
#include "xp_cmds.h"
#include "xp_mem.h"
#include "xp_op_cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mpcsim op NAME --shape SHAPE [--mode real|phantom] [--net PROFILE | --bandwidth B --latency L]\n"
            "                 [--dealer offline|inline] [--seed N] [--format csv|table] [--out FILE] [--pcap FILE]\n"
            "       mpcsim op --list\n\n"
            "Runs one 2-party protocol op with a dealer in the network simulator. Input 0 is secret-shared by\n"
            "P1 (data owner), input 1 by P0; inputs are uniform in the op's documented domain (--list).\n"
            "SHAPE: elementwise like 1024 or 12x128x128 (max, softmax, layer_norm, batchnorm, 2quad, 2relu act on\n"
            "the last dimension); matmul like 128x768@768x768 or 12x128x64@12x64x128.\n\n"
            "CSV columns (one row):\n"
            "  op, shape, mode, rounds (online causal depth), online_sent_bytes_p0, online_recv_bytes_p0,\n"
            "  online_sent_bytes_p1, online_recv_bytes_p1 (P0<->P1 payload bytes), dealer_bytes (D<->P0/P1:\n"
            "  corrections + requests), latency_s (virtual seconds until both parties finish), max_abs_err,\n"
            "  max_rel_err (real mode: against a double reference; relative error uses max(|ref|, 1e-3);\n"
            "  empty in phantom mode), then dealer, net, bandwidth_bps, one_way_latency_s, frac_bits, seed.\n"
            "  Local computation is not timed (zero compute model): latency_s is communication only.\n\n");
    xp_mem_help(f);
    fprintf(f, "\n");
    xp_net_help(f);
    fprintf(f, "\n");
    xp_cfg_help(f);
}

int xp_cmd_op(int argc, char **argv)
{
    const char *name = NULL, *shape = NULL, *out = NULL, *v;
    int phantom = 0, table = 0, check = 0;
    uint64_t seed = 1;
    mpc_config cfg;
    if (xp_cfg_init(&cfg, argc, argv) != 0) return 2;
    xp_netopts net;
    xp_net_defaults(&net);
    xp_mem mem = {0};
    for (int i = 0; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--list") == 0) {
            xp_op_list_in(stdout, cfg.protocol);
            return 0;
        }
        if (strcmp(argv[i], "--check") == 0) { /* validate the options only (used by sweep) */
            check = 1;
            continue;
        }
        if ((r = xp_net_arg(&net, argc, argv, &i)) || (r = xp_cfg_arg(&cfg, argc, argv, &i)) ||
            (r = xp_mem_arg(&mem, argc, argv, &i))) {
            if (r < 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--shape", 1, &shape))) {
            if (r < 0) return 2;
            continue;
        }
        static const char *const modes[] = {"real", "phantom", NULL};
        if ((r = xp_arg_choice(argc, argv, &i, "--mode", modes, &phantom))) {
            if (r < 0) return 2;
            continue;
        }
        static const char *const formats[] = {"csv", "table", NULL};
        if ((r = xp_arg_choice(argc, argv, &i, "--format", formats, &table))) {
            if (r < 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--seed", 1, &v))) {
            if (r < 0 || xp_parse_u64("--seed", v, 0, UINT64_MAX, &seed) != 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--out", 1, &out))) {
            if (r < 0) return 2;
            continue;
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "error: op: unknown option '%s' (see mpcsim op --help)\n", argv[i]);
            return 2;
        }
        if (name) {
            fprintf(stderr, "error: op: one op at a time ('%s' and '%s')\n", name, argv[i]);
            return 2;
        }
        name = argv[i];
    }
    if (!name) {
        fprintf(stderr, "error: op: which op? (mpcsim op --list)\n");
        return 2;
    }
    const rt_opdef *op = xp_op_lookup(&cfg, name, "op");
    if (!op) return 2;
    if (xp_cfg_check(&cfg) != 0) return 2;
    if (!shape) {
        fprintf(stderr, "error: op: --shape is required (e.g. --shape %s)\n",
                op->kind == RT_SHAPE_MATMUL ? "128x768@768x768" : "1024");
        return 2;
    }
    rt_shape s;
    char err[256];
    if (rt_shape_parse(&s, shape, op->kind == RT_SHAPE_MATMUL, err, sizeof err) != 0) {
        fprintf(stderr, "error: --shape: %s\n", err);
        return 2;
    }
    if (xp_net_finish(&net) != 0) return 2;
    if (!phantom) {
        char what[160];
        snprintf(what, sizeof what, "a real-mode run of %s on %s", op->name, s.text);
        if (xp_mem_check(&mem, what, xp_mem_op(op, &s)) != 0) return 2;
    }
    if (check) return 0;

    rt_sim_opts so;
    memset(&so, 0, sizeof so);
    so.cfg = &cfg;
    so.phantom = phantom;
    so.seed = seed;
    xp_net_topology(&net, &so.topo, 0);
    nm_pcap *pc = NULL;
    if (net.pcap) {
        if (nm_pcap_open(&pc, net.pcap, net.mss) != NM_OK) return 2;
        so.trace[0] = net_sim_trace_pcap;
        so.trace_ud[0] = pc;
    }
    rt_op_outcome oc;
    if (rt_op_run(op, &s, &so, 0, &oc) != 0) {
        nm_pcap_discard(pc);
        return 1;
    }
    /* The capture is complete: commit it before the CSV, so a failed write leaves no CSV behind. */
    if (pc && nm_pcap_close(pc) != NM_OK) return 1;
    xp_out o;
    if (xp_out_open(&o, out) != 0) return 1;
    const rt_result *r = &oc.res;
    xp_op_row row = {op->name, s.text, phantom, r, oc.max_abs_err, oc.max_rel_err, &cfg, net.name, net.online.bps,
                     net.online.latency_ns, seed};
    xp_op_write_row(o.f, table, &row);
    int rc = xp_out_close(&o);
    if (r->pk_valid) rt_pkt_summary(stderr, r);
    return rc == 0 ? 0 : 1;
}

/* xp_cmd_calibrate.c -- `mpcsim calibrate`: fits the network the paper never published.
 *
 * MPCFormer reports the communication time of five operators of BERT-base in CrypTen (PAPER.md 7.3,
 * read from paper/paper_operators.csv: function, total_s, comm_s). Our simulator gives each
 * operator's rounds R and bytes per party B exactly (one phantom BERT-base inference at seq 512, as
 * measured: BatchNorm stand-in, per-operator tag counters). On a link of bandwidth bw and one-way
 * latency l, an operator whose exchanges are full duplex and sequential needs about R l + 8 B / bw. A
 * least-squares fit of (l, 1/bw) over the five operators gives the `paper` network profile; the
 * per-operator residuals say how well one link explains all five numbers. Output: the `calibrate`
 * schema (xp_schema.h), the fit and each operator's prediction. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../models/sbert.h"
#include "../protocols/families.h"
#include "xp.h"
#include "xp_cmds.h"
#include "xp_csv.h"
#include "xp_schema.h"
#include "../runtime/rt_sim.h"

typedef struct op_point {
    const char *name, *gelu, *softmax;
    int tag;
    double paper_comm_s;
    double rounds, bytes;
} op_point;

static void calib_party(mpc_ctx *c, void *arg)
{
    sbert_forward(c, arg);
}

/* One phantom BERT-base inference at seq 512 (BatchNorm stand-in, default protocol settings, zero
 * compute): rounds and bytes P0 sends within the operator's tag, as `infer --breakdown` reports. */
static int measure(op_point *op)
{
    tfm_config m;
    if (tfm_config_named(&m, "bert-base") != TFM_OK) return -1;
    m.act = tfm_act_parse(op->gelu);
    m.attn = tfm_attn_parse(op->softmax);
    m.norm = TFM_NORM_BATCHNORM;
    mpc_config cfg;
    mpc_config_default(&cfg); /* the crypten family: the paper's times are CrypTen's */
    cfg.quad_a = m.quad_a, cfg.quad_b = m.quad_b, cfg.quad_c = m.quad_c, cfg.quad2_c = m.quad2_c;
    cfg.ln_eps = mpc_family_ln_eps(mpc_family_of(&cfg), &cfg, m.ln_eps, (uint64_t)m.C);
    xp_netopts net;
    xp_net_defaults(&net);
    if (xp_net_finish(&net) != 0) return -1;
    rt_sim_opts so;
    memset(&so, 0, sizeof so);
    so.cfg = &cfg;
    so.phantom = 1;
    so.seed = 1;
    xp_net_topology(&net, &so.topo, 0);
    sbert_job job[2];
    memset(job, 0, sizeof job);
    for (int i = 0; i < 2; i++) job[i].model = &m, job[i].T = 512;
    void *args[2] = {&job[0], &job[1]};
    rt_result *rr = chk_malloc(sizeof *rr);
    int rc = rt_sim_run(&so, calib_party, args, rr);
    if (rc == 0) {
        const net_counters *c0 = &rr->stats[0].tag[op->tag], *c1 = &rr->stats[1].tag[op->tag];
        op->rounds = (double)(c0->rounds > c1->rounds ? c0->rounds : c1->rounds);
        op->bytes = (double)c0->sent_bytes[NET_P1];
    }
    free(rr);
    return rc;
}

int xp_cmd_calibrate(int argc, char **argv)
{
    const char *out = NULL, *paper = "paper/paper_operators.csv", *v;
    for (int i = 0; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: mpcsim calibrate [--out FILE] [--paper FILE]\n"
                   "Fits one link (bandwidth, one-way latency) to MPCFormer's per-operator communication times\n"
                   "(BERT-base, seq 512; --paper, default paper/paper_operators.csv: function, total_s, comm_s)\n"
                   "from our exact per-operator rounds and bytes; prints CSV: op, rounds, bytes_per_party,\n"
                   "paper_comm_s, predicted_comm_s, then the fit (bandwidth_bps, one_way_latency_s). The\n"
                   "`paper` network profile holds this fit. The paper measured CrypTen, so the counts are the\n"
                   "crypten family's (no --protocol: it does not apply here).\n");
            return 0;
        }
        if ((r = xp_arg(argc, argv, &i, "--out", 1, &v))) {
            if (r < 0) return 2;
            out = v;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--paper", 1, &v))) {
            if (r < 0) return 2;
            paper = v;
            continue;
        }
        fprintf(stderr, "error: calibrate: unknown option '%s'\n", argv[i]);
        return 2;
    }
    /* Which of our runs and tags measures each of the paper's operators. */
    op_point ops[] = {
        {"softmax", "gelu-erf", "softmax", SB_TAG_SOFTMAX, NAN, 0, 0},
        {"gelu", "gelu-erf", "softmax", SB_TAG_ACT, NAN, 0, 0},
        {"quad", "quad", "2quad", SB_TAG_ACT, NAN, 0, 0},
        {"2quad", "quad", "2quad", SB_TAG_SOFTMAX, NAN, 0, 0},
        {"2relu", "quad", "2relu", SB_TAG_SOFTMAX, NAN, 0, 0},
    };
    enum { NOPS = sizeof ops / sizeof *ops };
    xp_csv pc;
    if (xp_csv_load(&pc, paper) != 0) return 1;
    for (int k = 0; k < NOPS; k++) {
        for (size_t r = 1; r < pc.rows; r++)
            if (strcmp(xp_csv_get(&pc, r, "function"), ops[k].name) == 0) ops[k].paper_comm_s = xp_csv_num(&pc, r, "comm_s");
        if (!(ops[k].paper_comm_s > 0)) {
            fprintf(stderr, "error: calibrate: %s has no positive comm_s for function '%s'\n", paper, ops[k].name);
            xp_csv_free(&pc);
            return 1;
        }
    }
    xp_csv_free(&pc);
    for (int k = 0; k < NOPS; k++) {
        if (measure(&ops[k]) != 0) {
            fprintf(stderr, "error: calibrate: could not measure operator %s\n", ops[k].name);
            return 1;
        }
    }
    /* Least squares for t = R l + B x (x = 8 / bw): 2x2 normal equations. */
    double a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0;
    for (int k = 0; k < NOPS; k++) {
        double R = ops[k].rounds, B = ops[k].bytes, t = ops[k].paper_comm_s;
        a11 += R * R, a12 += R * B, a22 += B * B, b1 += R * t, b2 += B * t;
    }
    double det = a11 * a22 - a12 * a12;
    double l = (b1 * a22 - b2 * a12) / det, x = (a11 * b2 - a12 * b1) / det;
    if (!(l > 0 && x > 0)) {
        fprintf(stderr, "error: calibrate: the fit is not physical (latency %g s, s/byte %g)\n", l, x);
        return 1;
    }
    double bw = 8.0 / x;
    xp_out o;
    if (xp_out_open(&o, out) != 0) return 1;
    xp_rows w;
    xp_rows_open(&w, o.f, &xp_schema_calibrate, XP_ROWS_CSV);
    for (int k = 0; k < NOPS; k++) {
        xp_rows_str(&w, "op", ops[k].name);
        xp_rows_real(&w, "rounds", ops[k].rounds);
        xp_rows_real(&w, "bytes_per_party", ops[k].bytes);
        xp_rows_real(&w, "paper_comm_s", ops[k].paper_comm_s);
        xp_rows_real(&w, "predicted_comm_s", ops[k].rounds * l + ops[k].bytes * x);
        xp_rows_real(&w, "bandwidth_bps", bw);
        xp_rows_real(&w, "one_way_latency_s", l);
        xp_rows_end(&w);
    }
    return xp_out_close(&o) == 0 ? 0 : 1;
}

/* xp_report_derive.c -- the derive step of the report (xp_report.h): the settings, the latency
 * tables, the what-ifs and the validation against kernel TCP, as facts; and the plot data files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../models/tfm.h"
#include "../netmodel/nm_tcp.h"
#include "../protocols/mpc.h"
#include "xp.h"
#include "xp_report.h"
#include "xp_schema.h"

/* Value of col in the row matching all given (column, value) pairs; NAN if none. */
static double find_num(const xp_csv *t, const char *const *kv, int nkv, const char *col)
{
    for (size_t r = 1; r < t->rows; r++) {
        int ok = 1;
        for (int k = 0; k < nkv && ok; k++) ok = strcmp(xp_csv_get(t, r, kv[2 * k]), kv[2 * k + 1]) == 0;
        if (ok) return xp_csv_num(t, r, col);
    }
    return NAN;
}

static void have(xp_facts *F, const char *what, int yes)
{
    char key[128];
    snprintf(key, sizeof key, "have.%s", what);
    xp_fact(F, "inputs", key, "%d", yes ? 1 : 0);
}

/* "12% below" / "12% above" / "within" a range [lo, hi] (a point when lo == hi). */
static void versus(char *b, size_t n, double ours, double lo, double hi)
{
    if (isnan(ours) || isnan(lo)) snprintf(b, n, "n/a");
    else if (ours < lo) snprintf(b, n, "%.0f%% below it", 100 * (1 - ours / lo));
    else if (ours > hi) snprintf(b, n, "%.0f%% above it", 100 * (ours / hi - 1));
    else snprintf(b, n, "within it");
}

void xp_derive_settings(xp_facts *F)
{
    mpc_config c;
    mpc_config_default(&c);
    xp_fact(F, "mpc_config_default", "settings.frac_bits", "%d", c.frac_bits);
    xp_fact(F, "mpc_config_default", "settings.exp_iters", "%d", c.exp_iters);
    xp_fact(F, "mpc_config_default", "settings.recip_iters", "%d", c.recip_nr_iters);
    xp_fact(F, "mpc_config_default", "settings.sqrt_iters", "%d", c.sqrt_nr_iters);
    xp_fact(F, "mpc_config_default", "settings.erf_terms", "%d", c.erf_iters);
    tfm_config m;
    CHECK(tfm_config_named(&m, "bert-base") == TFM_OK, "bert-base is in the zoo");
    xp_fact(F, "tfm_config_named(bert-base)", "settings.bert_base.layers", "%d", m.L);
    xp_fact(F, "tfm_config_named(bert-base)", "settings.bert_base.hidden", "%d", m.C);
    xp_fact(F, "tfm_config_named(bert-base)", "settings.bert_base.vocab", "%d", m.V);
}

static void derive_calibration(xp_facts *F, const char *dir)
{
    xp_csv cal;
    char src[600];
    snprintf(src, sizeof src, "%s/calibration.csv", dir);
    xp_report_load_opt(&cal, dir, "calibration.csv");
    have(F, "cal", cal.rows > 1);
    if (cal.rows > 1) {
        xp_fact_num(F, src, "cal.bandwidth_gbps", "%.2f", xp_csv_num(&cal, 1, "bandwidth_bps") / 1e9);
        xp_fact_num(F, src, "cal.latency_ms", "%.3f", xp_csv_num(&cal, 1, "one_way_latency_s") * 1e3);
        double worst = 0;
        for (size_t r = 1; r < cal.rows; r++) {
            double ratio = xp_csv_num(&cal, r, "predicted_comm_s") / xp_csv_num(&cal, r, "paper_comm_s");
            worst = fmax(worst, fabs(ratio - 1));
            xp_fact_row(F, src, "cal", r, "op", "%s", xp_csv_get(&cal, r, "op"));
            xp_fact_row(F, src, "cal", r, "rounds", "%s", xp_csv_get(&cal, r, "rounds"));
            xp_fact_row(F, src, "cal", r, "bytes", "%.3g", xp_csv_num(&cal, r, "bytes_per_party"));
            xp_fact_row(F, src, "cal", r, "paper_comm_s", "%s", xp_csv_get(&cal, r, "paper_comm_s"));
            xp_fact_row(F, src, "cal", r, "fitted_comm_s", "%.2f", xp_csv_num(&cal, r, "predicted_comm_s"));
            xp_fact_row(F, src, "cal", r, "ratio", "%.2f", ratio);
        }
        xp_fact_count(F, "cal", cal.rows - 1);
        /* The claim "one link explains all of them" holds within 5%. */
        xp_fact(F, src, "cal.worst_pct", "%.1f", 100 * worst);
        xp_fact(F, src, "cal.explains", "%d", worst <= 0.05);
    }
    xp_csv_free(&cal);
}

/* Table 1 (IMDb), with results/plot_imdb.csv and the comparisons with the paper's claims. */
static void derive_imdb(xp_facts *F, const char *dir, const xp_csv *p_imdb, const xp_csv *claims)
{
    xp_csv imdb;
    char src[600], path[600];
    snprintf(src, sizeof src, "%s/paper_imdb.csv", dir);
    xp_report_load_opt(&imdb, dir, "paper_imdb.csv");
    have(F, "imdb", imdb.rows > 1);
    /* The protocol family as the results name it (infer's protocol column). */
    xp_fact(F, src, "imdb.protocol", "%s",
            imdb.rows > 1 && xp_csv_col(&imdb, "protocol") >= 0 ? xp_csv_get(&imdb, 1, "protocol") : "n/a");
    snprintf(path, sizeof path, "%s/plot_imdb.csv", dir);
    xp_fact(F, "mpcsim report", "plot.latency_bars", "%s", path);
    xp_out pb;
    int have_pb = xp_out_open(&pb, path) == 0;
    xp_rows w;
    if (have_pb) xp_rows_open(&w, pb.f, &xp_schema_plot_imdb, XP_ROWS_CSV);
    if (imdb.rows > 1) {
        const char *kb[] = {"gelu", "gelu-erf", "softmax", "softmax", "norm", "batchnorm"};
        const char *kl[] = {"gelu", "gelu-erf", "softmax", "softmax", "norm", "layernorm"};
        double base_b = find_num(&imdb, kb, 3, "latency_s"), base_l = find_num(&imdb, kl, 3, "latency_s");
        double q2q_ours = NAN, q2q_paper = NAN;
        for (int a = 0; a < 6; a++) {
            const char *g = xp_report_approx6[a][0], *s = xp_report_approx6[a][1];
            const char *qb[] = {"gelu", g, "softmax", s, "norm", "batchnorm"};
            const char *ql[] = {"gelu", g, "softmax", s, "norm", "layernorm"};
            const char *qp[] = {"gelu", strcmp(g, "gelu-erf") == 0 ? "gelu" : g, "softmax", s};
            double lb = find_num(&imdb, qb, 3, "latency_s"), ll = find_num(&imdb, ql, 3, "latency_s");
            double ps = find_num(p_imdb, qp, 2, "speedup");
            char nm[64], key[32];
            xp_report_pretty(g, s, nm, sizeof nm);
            snprintf(key, sizeof key, "imdb.%d.", a + 1);
            size_t r = (size_t)a + 1;
            xp_fact_row(F, src, "imdb", r, "approx", "%s", nm);
            char k[64];
#define NUM(field, f, v) (snprintf(k, sizeof k, "%s%s", key, field), xp_fact_num(F, src, k, f, v))
            NUM("paper_speedup", "%.2fx", ps);
            NUM("bn_latency_s", "%.2f", lb);
            NUM("bn_speedup", "%.2fx", base_b / lb);
            NUM("ours_over_paper", "%.2f", base_b / lb / ps);
            NUM("ln_latency_s", "%.2f", ll);
            NUM("ln_speedup", "%.2fx", base_l / ll);
#undef NUM
            if (a == 5) q2q_ours = base_b / lb, q2q_paper = ps;
            if (have_pb) {
                xp_rows_str(&w, "approx", nm);
                xp_rows_real(&w, "paper_speedup", ps);
                xp_rows_real(&w, "batchnorm_latency_s", lb);
                xp_rows_real(&w, "layernorm_latency_s", ll);
                xp_rows_real(&w, "batchnorm_speedup", base_b / lb);
                xp_rows_real(&w, "layernorm_speedup", base_l / ll);
                xp_rows_end(&w);
            }
        }
        xp_fact_count(F, "imdb", 6);
        xp_fact_num(F, src, "imdb.base_bn_s", "%.1f", base_b);
        xp_fact_num(F, src, "imdb.base_ln_s", "%.1f", base_l);
        /* Against the paper's baseline of about 58-60 s (paper_claims.csv). */
        const char *lo_q[] = {"claim", "imdb_baseline_low_s"}, *hi_q[] = {"claim", "imdb_baseline_high_s"};
        double lo = find_num(claims, lo_q, 1, "value"), hi = find_num(claims, hi_q, 1, "value");
        char vs[64];
        xp_fact_num(F, "paper/paper_claims.csv", "paper.baseline_low_s", "%.0f", lo);
        xp_fact_num(F, "paper/paper_claims.csv", "paper.baseline_high_s", "%.0f", hi);
        versus(vs, sizeof vs, base_b, lo, hi);
        xp_fact(F, src, "imdb.base_vs_paper", "%s", vs);
        /* Honest difference 2: Quad+2Quad's speedup against the paper's. */
        double rel = q2q_ours / q2q_paper;
        const char *word = isnan(rel) ? "n/a" : fabs(rel - 1) <= 0.05 ? "as fast" : rel > 1 ? "faster" : "slower";
        xp_fact(F, src, "q2q.faster_slower", "%s here %s", word, strcmp(word, "as fast") == 0 ? "as" : "than");
        xp_fact(F, src, "q2q.faster", "%d", strcmp(word, "faster") == 0);
        xp_fact_num(F, src, "q2q.ours_speedup", "%.2fx", q2q_ours);
        xp_fact_num(F, src, "q2q.paper_speedup", "%.2fx", q2q_paper);
    }
    if (have_pb) xp_out_close(&pb);
    xp_csv_free(&imdb);
}

static void derive_glue(xp_facts *F, const char *dir, const xp_csv *p_glue)
{
    xp_csv glue;
    char src[600];
    snprintf(src, sizeof src, "%s/paper_glue.csv", dir);
    xp_report_load_opt(&glue, dir, "paper_glue.csv");
    have(F, "glue", glue.rows > 1);
    if (glue.rows > 1) {
        const char *kb[] = {"gelu", "gelu-erf", "softmax", "softmax", "norm", "batchnorm"};
        const char *kl[] = {"gelu", "gelu-erf", "softmax", "softmax", "norm", "layernorm"};
        double base_b = find_num(&glue, kb, 3, "latency_s"), base_l = find_num(&glue, kl, 3, "latency_s");
        static const char *const ga[2][2] = {{"quad", "2relu"}, {"quad", "2quad"}};
        for (int a = 0; a < 2; a++) {
            const char *qb[] = {"gelu", ga[a][0], "softmax", ga[a][1], "norm", "batchnorm"};
            const char *ql[] = {"gelu", ga[a][0], "softmax", ga[a][1], "norm", "layernorm"};
            const char *qp[] = {"method", "mpcformer", "softmax", ga[a][1]};
            double ps = find_num(p_glue, qp, 2, "speedup");
            double sb = base_b / find_num(&glue, qb, 3, "latency_s"), sl = base_l / find_num(&glue, ql, 3, "latency_s");
            char nm[64], k[64];
            size_t r = (size_t)a + 1;
            xp_fact_row(F, src, "glue", r, "approx", "%s", xp_report_pretty(ga[a][0], ga[a][1], nm, sizeof nm));
            snprintf(k, sizeof k, "glue.%zu.paper_speedup", r), xp_fact_num(F, "paper/paper_glue.csv", k, "%.2fx", ps);
            snprintf(k, sizeof k, "glue.%zu.bn_speedup", r), xp_fact_num(F, src, k, "%.2fx", sb);
            snprintf(k, sizeof k, "glue.%zu.ours_over_paper", r), xp_fact_num(F, src, k, "%.2f", sb / ps);
            snprintf(k, sizeof k, "glue.%zu.ln_speedup", r), xp_fact_num(F, src, k, "%.2fx", sl);
        }
        xp_fact_count(F, "glue", 2);
    }
    xp_csv_free(&glue);
}

/* The per-operator figure: the paper's totals beside ours from the breakdown files. */
static void derive_operators(xp_facts *F, const char *dir, const xp_csv *p_ops)
{
    static const struct { const char *fn, *file, *tag; } opsrc[] = {
        {"gelu", "breakdown_gelu-erf+softmax.csv", "act"}, {"quad", "breakdown_quad+2quad.csv", "act"},
        {"softmax", "breakdown_gelu-erf+softmax.csv", "softmax"}, {"2relu", "breakdown_quad+2relu.csv", "softmax"},
        {"2quad", "breakdown_quad+2quad.csv", "softmax"},
    };
    enum { NOPS = sizeof opsrc / sizeof *opsrc };
    char k[64], src[600];
    static const char *const bdname[3] = {"gelu-erf+softmax", "quad+2relu", "quad+2quad"};
    for (int i = 0; i < 3; i++) {
        snprintf(k, sizeof k, "plot.breakdown.%d", i + 1);
        xp_fact(F, "mpcsim infer --breakdown", k, "%s/breakdown_%s.csv", dir, bdname[i]);
    }
    int loaded = 0;
    int comm_major = 0;
    double softmax_total = NAN, base_total = NAN;
    for (size_t i = 0; i < NOPS; i++) {
        xp_csv bd;
        const char *qp[] = {"function", opsrc[i].fn};
        double pt = find_num(p_ops, qp, 1, "total_s"), pc = find_num(p_ops, qp, 1, "comm_s");
        double ot = NAN, oc = NAN, orr = NAN, ob = NAN;
        snprintf(src, sizeof src, "%s/%s", dir, opsrc[i].file);
        if (xp_report_load_opt(&bd, dir, opsrc[i].file) == 0) {
            const char *q[] = {"level", "op", "tag", opsrc[i].tag};
            ot = find_num(&bd, q, 2, "time_s");
            oc = ot - find_num(&bd, q, 2, "compute_s");
            orr = find_num(&bd, q, 2, "rounds");
            ob = find_num(&bd, q, 2, "online_sent_bytes_p0");
            if (strcmp(opsrc[i].fn, "softmax") == 0) {
                const char *qt[] = {"level", "total"};
                softmax_total = ot;
                base_total = find_num(&bd, qt, 1, "time_s");
            }
            loaded++;
            xp_csv_free(&bd);
        }
        comm_major += oc > 0.5 * ot;
        size_t r = i + 1;
        xp_fact_row(F, src, "ops", r, "function", "%s", opsrc[i].fn);
        snprintf(k, sizeof k, "ops.%zu.paper_total_s", r), xp_fact_num(F, "paper/paper_operators.csv", k, "%.1f", pt);
        snprintf(k, sizeof k, "ops.%zu.paper_comm_s", r), xp_fact_num(F, "paper/paper_operators.csv", k, "%.1f", pc);
        snprintf(k, sizeof k, "ops.%zu.total_s", r), xp_fact_num(F, src, k, "%.2f", ot);
        snprintf(k, sizeof k, "ops.%zu.comm_s", r), xp_fact_num(F, src, k, "%.2f", oc);
        snprintf(k, sizeof k, "ops.%zu.rounds", r), xp_fact_num(F, src, k, "%.0f", orr);
        snprintf(k, sizeof k, "ops.%zu.bytes", r), xp_fact_num(F, src, k, "%.3g", ob);
    }
    xp_fact_count(F, "ops", NOPS);
    have(F, "ops", loaded == NOPS);
    /* The paper's two claims (PAPER.md 8.3), checked on our numbers. */
    snprintf(src, sizeof src, "%s/breakdown_gelu-erf+softmax.csv", dir);
    double share = softmax_total / base_total;
    xp_fact_num(F, src, "ops.softmax_share_pct", "%.0f", 100 * share);
    xp_fact(F, src, "ops.softmax_dominates", "%d", share > 0.5);
    xp_fact(F, dir, "ops.comm_major", "%d", comm_major);
    xp_fact(F, dir, "ops.comm_dominates_all", "%d", comm_major == NOPS);
}

static void derive_models(xp_facts *F, const char *dir, const xp_csv *claims)
{
    xp_csv models;
    char src[600], k[64];
    snprintf(src, sizeof src, "%s/paper_models.csv", dir);
    xp_report_load_opt(&models, dir, "paper_models.csv");
    have(F, "models", models.rows > 1);
    if (models.rows > 1) {
        const char *mm[] = {"bert-large", "roberta-base"}, *nn[] = {"batchnorm", "layernorm"};
        size_t r = 0;
        double large_bn = NAN;
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++) {
                const char *q0[] = {"model", mm[a], "norm", nn[b], "gelu", "gelu-erf", "softmax", "softmax"};
                const char *q1[] = {"model", mm[a], "norm", nn[b], "gelu", "quad", "softmax", "2quad"};
                double l0 = find_num(&models, q0, 4, "latency_s"), l1 = find_num(&models, q1, 4, "latency_s");
                r++;
                xp_fact_row(F, src, "models", r, "model", "%s", mm[a]);
                xp_fact_row(F, src, "models", r, "norm", "%s", nn[b]);
                snprintf(k, sizeof k, "models.%zu.base_s", r), xp_fact_num(F, src, k, "%.2f", l0);
                snprintf(k, sizeof k, "models.%zu.q2q_s", r), xp_fact_num(F, src, k, "%.2f", l1);
                snprintf(k, sizeof k, "models.%zu.speedup", r), xp_fact_num(F, src, k, "%.2fx", l0 / l1);
                if (a == 0 && b == 0) large_bn = l0 / l1;
            }
        xp_fact_count(F, "models", r);
        const char *q[] = {"claim", "bert_large_imdb_speedup"};
        double paper = find_num(claims, q, 1, "value");
        xp_fact_num(F, "paper/paper_claims.csv", "paper.bert_large_speedup", "%.2fx", paper);
        xp_fact_num(F, src, "models.bert_large_bn_speedup", "%.2fx", large_bn);
        xp_fact(F, src, "models.bert_large_vs_paper", "%s",
                isnan(large_bn / paper) ? "n/a" : fabs(large_bn / paper - 1) <= 0.05 ? "close to" : large_bn > paper ? "above" : "below");
    }
    xp_csv_free(&models);
}

/* The what-if sweeps: the heatmap, the two line plots and the sequence plot's data, the heatmap's
 * range as facts; the dealer table. */
static void derive_whatif(xp_facts *F, const char *dir)
{
    xp_csv net, seq, dealer;
    char src[600], path[600], nm[64];
    xp_report_load_opt(&net, dir, "whatif_network.csv");
    xp_report_load_opt(&seq, dir, "whatif_seq.csv");
    xp_report_load_opt(&dealer, dir, "whatif_dealer.csv");
    snprintf(src, sizeof src, "%s/whatif_network.csv", dir);
    xp_out ph;
    snprintf(path, sizeof path, "%s/plot_heatmap.csv", dir);
    int have_net = net.rows > 1 && xp_out_open(&ph, path) == 0;
    have(F, "net", have_net);
    if (have_net) {
        xp_fact(F, "mpcsim report", "plot.heatmap", "%s", path);
        xp_rows w;
        xp_rows_open(&w, ph.f, &xp_schema_plot_heatmap, XP_ROWS_CSV);
        double smin = INFINITY, smax = 0, bmin = 0, lmin = 0, bmax = 0, lmax = 0, bw_lo = INFINITY, bw_hi = 0;
        for (size_t r = 1; r < net.rows; r++) {
            if (strcmp(xp_csv_get(&net, r, "gelu"), "quad") || strcmp(xp_csv_get(&net, r, "softmax"), "2quad")) continue;
            const char *q[] = {"bandwidth_bps", xp_csv_get(&net, r, "bandwidth_bps"), "one_way_latency_s",
                               xp_csv_get(&net, r, "one_way_latency_s"), "gelu", "gelu-erf", "softmax", "softmax"};
            double base = find_num(&net, q, 4, "latency_s"), l = xp_csv_num(&net, r, "latency_s"), sp = base / l;
            double bw = xp_csv_num(&net, r, "bandwidth_bps"), lat = xp_csv_num(&net, r, "one_way_latency_s");
            if (sp < smin) smin = sp, bmin = bw, lmin = lat;
            if (sp > smax) smax = sp, bmax = bw, lmax = lat;
            bw_lo = fmin(bw_lo, bw), bw_hi = fmax(bw_hi, bw);
            xp_rows_str(&w, "bandwidth_bps", xp_csv_get(&net, r, "bandwidth_bps"));
            xp_rows_str(&w, "one_way_latency_s", xp_csv_get(&net, r, "one_way_latency_s"));
            xp_rows_real(&w, "baseline_latency_s", base);
            xp_rows_real(&w, "quad2quad_latency_s", l);
            xp_rows_real(&w, "speedup", sp);
            xp_rows_end(&w);
        }
        xp_out_close(&ph);
        xp_fact_num(F, src, "net.min_speedup", "%.1f", smin);
        xp_fact_num(F, src, "net.min_gbps", "%.3g", bmin / 1e9);
        xp_fact_num(F, src, "net.min_ms", "%.3g", lmin * 1e3);
        xp_fact_num(F, src, "net.max_speedup", "%.1f", smax);
        xp_fact_num(F, src, "net.max_gbps", "%.3g", bmax / 1e9);
        xp_fact_num(F, src, "net.max_ms", "%.3g", lmax * 1e3);
        /* "largest where bandwidth is the bottleneck": the largest speedup at the lowest bandwidth and
         * the smallest at the highest. */
        xp_fact(F, src, "net.bandwidth_bound", "%d", bmax == bw_lo && bmin == bw_hi);
        /* Line plots: every approximation's speedup against bandwidth (at 1.5 ms) and latency (at 3 Gbit/s). */
        for (int axis = 0; axis < 2; axis++) {
            xp_out pl;
            snprintf(path, sizeof path, "%s/%s", dir, axis ? "plot_network_latency.csv" : "plot_network_bandwidth.csv");
            xp_fact(F, "mpcsim report", axis ? "plot.network_latency" : "plot.network_bandwidth", "%s", path);
            if (xp_out_open(&pl, path) != 0) continue;
            const char *fixed_col = axis ? "bandwidth_bps" : "one_way_latency_s";
            const char *var_col = axis ? "one_way_latency_s" : "bandwidth_bps";
            double fixed_val = axis ? 3e9 : 1.5e-3;
            xp_rows w2;
            xp_rows_open(&w2, pl.f, axis ? &xp_schema_plot_network_latency : &xp_schema_plot_network_bandwidth,
                         XP_ROWS_CSV);
            for (size_t r = 1; r < net.rows; r++) {
                if (fabs(xp_csv_num(&net, r, fixed_col) / fixed_val - 1) > 1e-9 ||
                    strcmp(xp_csv_get(&net, r, "gelu"), "gelu-erf") || strcmp(xp_csv_get(&net, r, "softmax"), "softmax"))
                    continue;
                double base = xp_csv_num(&net, r, "latency_s");
                xp_rows_str(&w2, var_col, xp_csv_get(&net, r, var_col));
                for (int a = 1; a < 6; a++) {
                    const char *q[] = {fixed_col, xp_csv_get(&net, r, fixed_col), var_col, xp_csv_get(&net, r, var_col),
                                       "gelu", xp_report_approx6[a][0], "softmax", xp_report_approx6[a][1]};
                    xp_rows_real(&w2, xp_report_pretty(xp_report_approx6[a][0], xp_report_approx6[a][1], nm, sizeof nm),
                                 base / find_num(&net, q, 4, "latency_s"));
                }
                xp_rows_end(&w2);
            }
            xp_out_close(&pl);
        }
    }
    xp_out ps;
    snprintf(path, sizeof path, "%s/plot_seq.csv", dir);
    int have_seq = seq.rows > 1 && xp_out_open(&ps, path) == 0;
    have(F, "seq", have_seq);
    if (have_seq) {
        xp_fact(F, "mpcsim report", "plot.seq", "%s", path);
        static const char *const sa[4][2] = {{"quad", "softmax"}, {"gelu-erf", "2quad"}, {"quad", "2relu"}, {"quad", "2quad"}};
        xp_rows w;
        xp_rows_open(&w, ps.f, &xp_schema_plot_seq, XP_ROWS_CSV);
        for (size_t r = 1; r < seq.rows; r++) {
            if (strcmp(xp_csv_get(&seq, r, "gelu"), "gelu-erf") || strcmp(xp_csv_get(&seq, r, "softmax"), "softmax")) continue;
            double base = xp_csv_num(&seq, r, "latency_s");
            xp_rows_str(&w, "seq", xp_csv_get(&seq, r, "seq"));
            for (int a = 0; a < 4; a++) {
                const char *q[] = {"seq", xp_csv_get(&seq, r, "seq"), "gelu", sa[a][0], "softmax", sa[a][1]};
                xp_rows_real(&w, xp_report_pretty(sa[a][0], sa[a][1], nm, sizeof nm), base / find_num(&seq, q, 3, "latency_s"));
            }
            xp_rows_end(&w);
        }
        xp_out_close(&ps);
    }
    snprintf(src, sizeof src, "%s/whatif_dealer.csv", dir);
    have(F, "dealer", dealer.rows > 1);
    for (size_t r = 1; r < dealer.rows; r++) {
        char k[64];
        xp_fact_row(F, src, "dealer", r, "net", "%s", xp_csv_get(&dealer, r, "net"));
        xp_fact_row(F, src, "dealer", r, "approx", "%s",
                    xp_report_pretty(xp_csv_get(&dealer, r, "gelu"), xp_csv_get(&dealer, r, "softmax"), nm, sizeof nm));
        xp_fact_row(F, src, "dealer", r, "dealer", "%s", xp_csv_get(&dealer, r, "dealer"));
        snprintf(k, sizeof k, "dealer.%zu.latency_s", r), xp_fact_num(F, src, k, "%.2f", xp_csv_num(&dealer, r, "latency_s"));
        xp_fact_row(F, src, "dealer", r, "rounds", "%s", xp_csv_get(&dealer, r, "rounds"));
        snprintf(k, sizeof k, "dealer.%zu.dealer_bytes", r), xp_fact_num(F, src, k, "%.3g", xp_csv_num(&dealer, r, "dealer_bytes"));
    }
    xp_fact_count(F, "dealer", dealer.rows ? dealer.rows - 1 : 0);
    xp_csv_free(&net), xp_csv_free(&seq), xp_csv_free(&dealer);
}

void xp_derive_latency(xp_facts *F, const char *dir, const char *pdir)
{
    xp_csv p_imdb, p_glue, p_ops, claims;
    xp_report_load_opt(&p_imdb, pdir, "paper_imdb.csv");
    xp_report_load_opt(&p_glue, pdir, "paper_glue.csv");
    xp_report_load_opt(&p_ops, pdir, "paper_operators.csv");
    xp_report_load_opt(&claims, pdir, "paper_claims.csv");
    derive_calibration(F, dir);
    derive_imdb(F, dir, &p_imdb, &claims);
    derive_glue(F, dir, &p_glue);
    derive_operators(F, dir, &p_ops);
    derive_models(F, dir, &claims);
    /* The paper's remainder once softmax and GeLU are replaced (PAPER.md 8's consistency check):
     * baseline - (softmax - 2quad) - (gelu - quad), over the baseline's range. */
    const char *lo_q[] = {"claim", "imdb_baseline_low_s"}, *hi_q[] = {"claim", "imdb_baseline_high_s"};
    const char *sm[] = {"function", "softmax"}, *q2[] = {"function", "2quad"}, *ge[] = {"function", "gelu"},
               *qu[] = {"function", "quad"};
    double removed = find_num(&p_ops, sm, 1, "total_s") - find_num(&p_ops, q2, 1, "total_s") +
                     find_num(&p_ops, ge, 1, "total_s") - find_num(&p_ops, qu, 1, "total_s");
    xp_fact_num(F, "paper/paper_claims.csv and paper_operators.csv", "paper.remainder_low_s", "%.0f",
                find_num(&claims, lo_q, 1, "value") - removed);
    xp_fact_num(F, "paper/paper_claims.csv and paper_operators.csv", "paper.remainder_high_s", "%.0f",
                find_num(&claims, hi_q, 1, "value") - removed);
    derive_whatif(F, dir);
    char path[600];
    snprintf(path, sizeof path, "%s/timeline.csv", dir);
    xp_fact(F, "mpcsim infer --timeline", "plot.timeline", "%s", path);
    xp_derive_accuracy(F, dir, &p_imdb);
    xp_derive_fss(F, dir);
    xp_csv_free(&p_imdb), xp_csv_free(&p_glue), xp_csv_free(&p_ops), xp_csv_free(&claims);
}

/* ---- validation against kernel TCP (results/validation.csv, scripts/validate.sh) ---- */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Relative error of row r's prediction against its measurement. */
static double val_err(const xp_csv *v, size_t r)
{
    double m = xp_csv_num(v, r, "measured_s");
    return (xp_csv_num(v, r, "predicted_s") - m) / m;
}

typedef struct val_stats {
    size_t n;
    double median, mean, worst; /* of |relative error| */
    size_t worst_row;
} val_stats;

/* |relative error| over the rows of one link model and congestion control (NULL: all). */
static val_stats val_summary(const xp_csv *v, const char *model, const char *cc)
{
    val_stats st = {0, NAN, NAN, NAN, 0};
    double *e = chk_malloc(v->rows * sizeof *e), sum = 0;
    for (size_t r = 1; r < v->rows; r++) {
        if (strcmp(xp_csv_get(v, r, "model"), model) || (cc && strcmp(xp_csv_get(v, r, "congestion"), cc))) continue;
        double a = fabs(val_err(v, r));
        if (st.n == 0 || a > st.worst) st.worst = a, st.worst_row = r;
        e[st.n++] = a;
        sum += a;
    }
    if (st.n) {
        qsort(e, st.n, sizeof *e, cmp_dbl);
        st.median = st.n % 2 ? e[st.n / 2] : (e[st.n / 2 - 1] + e[st.n / 2]) / 2;
        st.mean = sum / (double)st.n;
    }
    free(e);
    return st;
}

/* Row r's link as two facts LIST.i.bw ("200 Mbit/s") and LIST.i.lat ("20 ms"), or KEY.bw / KEY.lat. */
static void val_link(xp_facts *F, const char *src, const xp_csv *v, size_t r, const char *key)
{
    char bw[32], lat[32], k[96];
    nm_format_bandwidth(bw, sizeof bw, strtoull(xp_csv_get(v, r, "bandwidth_bps"), NULL, 10));
    nm_format_duration(lat, sizeof lat, llround(xp_csv_num(v, r, "one_way_latency_s") * 1e9));
    snprintf(k, sizeof k, "%s.bw", key), xp_fact(F, src, k, "%s", bw);
    snprintf(k, sizeof k, "%s.lat", key), xp_fact(F, src, k, "%s", lat);
}

static int val_same_point(const xp_csv *v, size_t a, size_t b)
{
    static const char *const key[] = {"op", "shape", "bandwidth_bps", "one_way_latency_s"};
    for (int k = 0; k < 4; k++)
        if (strcmp(xp_csv_get(v, a, key[k]), xp_csv_get(v, b, key[k]))) return 0;
    return 1;
}

/* Row r is the first of its point (and of congestion control cc, unless NULL). */
static int val_first_of_point(const xp_csv *v, size_t r, const char *cc)
{
    for (size_t q = 1; q < r; q++)
        if (val_same_point(v, q, r) && (!cc || strcmp(xp_csv_get(v, q, "congestion"), cc) == 0)) return 0;
    return 1;
}

/* How slow start ended with cubic (results/validation_hystart.csv): per point, the kernel's window at
 * HyStart's exit on each side in every run (nstat's TCPHystart* counters) beside the packet model's. */
static void derive_hystart(xp_facts *F, const char *dir)
{
    xp_csv h;
    char src[600], key[64];
    snprintf(src, sizeof src, "%s/validation_hystart.csv", dir);
    int ok = xp_report_load_opt(&h, dir, "validation_hystart.csv") == 0 && h.rows >= 2 &&
             xp_csv_col(&h, "kernel_cwnd_p0") >= 0 && xp_csv_col(&h, "model_cwnd_p0") >= 0;
    have(F, "hystart", ok);
    size_t n = 0;
    for (size_t r = 1; ok && r < h.rows; r++) {
        if (strcmp(xp_csv_get(&h, r, "congestion"), "cubic") || !val_first_of_point(&h, r, "cubic")) continue;
        char side[2][128] = {"", ""};
        for (size_t q = r; q < h.rows; q++) {
            if (!val_same_point(&h, q, r) || strcmp(xp_csv_get(&h, q, "congestion"), "cubic")) continue;
            for (int s = 0; s < 2; s++) {
                const char *ex = xp_csv_get(&h, q, s ? "kernel_exit_p1" : "kernel_exit_p0");
                const char *cw = xp_csv_get(&h, q, s ? "kernel_cwnd_p1" : "kernel_cwnd_p0");
                size_t l = strlen(side[s]);
                snprintf(side[s] + l, sizeof side[s] - l, "%s%s%s", l ? " " : "", *cw ? cw : "-",
                         strcmp(ex, "delay") == 0 ? "d" : "");
            }
        }
        n++;
        const char *m0 = xp_csv_get(&h, r, "model_cwnd_p0"), *m1 = xp_csv_get(&h, r, "model_cwnd_p1");
        xp_fact_row(F, src, "hystart", n, "op", "%s", xp_csv_get(&h, r, "op"));
        xp_fact_row(F, src, "hystart", n, "shape", "%s", xp_csv_get(&h, r, "shape"));
        snprintf(key, sizeof key, "hystart.%zu", n);
        val_link(F, src, &h, r, key);
        xp_fact_row(F, src, "hystart", n, "kernel_p0", "%s", side[0]);
        xp_fact_row(F, src, "hystart", n, "kernel_p1", "%s", side[1]);
        if (strcmp(m0, m1)) xp_fact_row(F, src, "hystart", n, "model", "%s / %s", *m0 ? m0 : "-", *m1 ? m1 : "-");
        else xp_fact_row(F, src, "hystart", n, "model", "%s", *m0 ? m0 : "-");
    }
    xp_fact_count(F, "hystart", n);
    xp_csv_free(&h);
}

static void derive_pcap(xp_facts *F, const char *dir)
{
    xp_csv pc;
    char src[600];
    snprintf(src, sizeof src, "%s/validation_pcap.csv", dir);
    int ok = xp_report_load_opt(&pc, dir, "validation_pcap.csv") == 0 && pc.rows >= 2;
    have(F, "pcap", ok);
    if (ok) {
        size_t equal = 0;
        double lo = INFINITY, hi = 0;
        for (size_t r = 1; r < pc.rows; r++) {
            equal += strcmp(xp_csv_get(&pc, r, "pcap_equals_kernel"), "1") == 0;
            static const char *const dirn[2][2] = {{"pcap_bytes_p0_p1", "online_bytes_p0_p1"},
                                                    {"pcap_bytes_p1_p0", "online_bytes_p1_p0"}};
            for (int d = 0; d < 2; d++) {
                double share = xp_csv_num(&pc, r, dirn[d][1]) / xp_csv_num(&pc, r, dirn[d][0]);
                lo = fmin(lo, share), hi = fmax(hi, share);
            }
        }
        xp_fact(F, src, "pcap.equal", "%zu", equal);
        xp_fact(F, src, "pcap.runs", "%zu", pc.rows - 1);
        xp_fact(F, src, "pcap.share_lo_pct", "%.1f", 100 * lo);
        xp_fact(F, src, "pcap.share_hi_pct", "%.1f", 100 * hi);
    }
    xp_csv_free(&pc);
}

/* Section "Validation against kernel TCP": error statistics per link model and congestion control,
 * the target checked, one row per workload, HyStart's exits and the capture check. */
void xp_derive_validation(xp_facts *F, const char *dir)
{
    enum { NMOD = 3 };
    static const char *const models[NMOD] = {"ideal", "tcp", "packet"};
    static const double target_median = 0.10, target_worst = 0.20;
    char src[600], key[96];
    snprintf(src, sizeof src, "%s/validation.csv", dir);
    xp_fact(F, "mpcsim report", "dir", "%s", dir);
    xp_fact(F, "scripts/validate.sh", "plot.validation", "%s", src);
    xp_csv v;
    int ok = xp_report_load_opt(&v, dir, "validation.csv") == 0 && v.rows >= 2 && xp_csv_col(&v, "predicted_s") >= 0 &&
             xp_csv_col(&v, "measured_s") >= 0 && xp_csv_col(&v, "model") >= 0 && xp_csv_col(&v, "congestion") >= 0;
    have(F, "val", ok);
    if (!ok) {
        xp_csv_free(&v);
        return;
    }
    const char *cc[8];
    int ncc = 0;
    for (size_t r = 1; r < v.rows; r++) {
        const char *c = xp_csv_get(&v, r, "congestion");
        int seen = 0;
        for (int k = 0; k < ncc; k++) seen |= strcmp(cc[k], c) == 0;
        if (!seen && ncc < 8) cc[ncc++] = c;
    }
    xp_fact(F, src, "val.reps", "%s", xp_csv_get(&v, 1, "reps"));
    val_stats all[NMOD];
    size_t n = 0;
    for (int m = 0; m < NMOD; m++) {
        for (int k = 0; k <= ncc; k++) {
            val_stats st = val_summary(&v, models[m], k < ncc ? cc[k] : NULL);
            if (k == ncc) all[m] = st;
            if (st.n == 0) continue;
            n++;
            xp_fact_row(F, src, "valsum", n, "b", "%s", k == ncc ? "**" : ""); /* the summary row in bold */
            xp_fact_row(F, src, "valsum", n, "model", "%s", models[m]);
            xp_fact_row(F, src, "valsum", n, "cc", "%s", k < ncc ? cc[k] : "all");
            xp_fact_row(F, src, "valsum", n, "points", "%zu", st.n);
            xp_fact_row(F, src, "valsum", n, "median_pct", "%.1f", 100 * st.median);
            xp_fact_row(F, src, "valsum", n, "mean_pct", "%.1f", 100 * st.mean);
            xp_fact_row(F, src, "valsum", n, "worst_pct", "%.1f", 100 * st.worst);
        }
    }
    xp_fact_count(F, "valsum", n);
    have(F, "val.target", all[1].n || all[2].n);
    xp_fact(F, "target", "val.target_median_pct", "%.0f", 100 * target_median);
    xp_fact(F, "target", "val.target_worst_pct", "%.0f", 100 * target_worst);
    for (int m = 0; m < NMOD; m++) {
        const val_stats *t = &all[m];
        snprintf(key, sizeof key, "val.%s", models[m]);
        have(F, key, t->n > 0);
        if (!t->n) continue;
#define K(field) (snprintf(key, sizeof key, "val.%s.%s", models[m], field), key)
        xp_fact(F, src, K("points"), "%zu", t->n);
        xp_fact(F, src, K("holds"), "%s", t->median <= target_median && t->worst <= target_worst ? "holds" : "does not hold");
        xp_fact(F, src, K("median_pct"), "%.1f", 100 * t->median);
        xp_fact(F, src, K("worst_pct"), "%.1f", 100 * t->worst);
        xp_fact(F, src, K("worst_op"), "%s", xp_csv_get(&v, t->worst_row, "op"));
        xp_fact(F, src, K("worst_shape"), "%s", xp_csv_get(&v, t->worst_row, "shape"));
        xp_fact(F, src, K("worst_cc"), "%s", xp_csv_get(&v, t->worst_row, "congestion"));
        int range = xp_csv_col(&v, "measured_min_s") >= 0 && xp_csv_col(&v, "measured_max_s") >= 0;
        xp_fact(F, src, K("range"), "%d", range);
        if (range) {
            xp_fact(F, src, K("worst_min_ms"), "%.1f", 1e3 * xp_csv_num(&v, t->worst_row, "measured_min_s"));
            xp_fact(F, src, K("worst_max_ms"), "%.1f", 1e3 * xp_csv_num(&v, t->worst_row, "measured_max_s"));
        }
        snprintf(key, sizeof key, "val.%s.worst", models[m]);
        val_link(F, src, &v, t->worst_row, key);
#undef K
    }
    xp_fact(F, "netmodel/nm_tcp.h", "tcp.iw_segments", "%u", NM_TCP_IW);
    xp_fact(F, "netmodel/nm_tcp.h", "tcp.iw_kb", "%.1f", NM_TCP_IW * NM_TCP_MSS / 1e3);
    /* One row per workload (op, shape, link), predictions and errors for every congestion control. */
    n = 0;
    for (size_t r = 1; r < v.rows; r++) {
        if (!val_first_of_point(&v, r, NULL)) continue;
        char meas[128] = "", pred[NMOD][128] = {"", "", ""}, err[NMOD][128] = {"", "", ""};
        for (int k = 0; k < ncc; k++) {
            int have_meas = 0;
            for (size_t q = r; q < v.rows; q++) {
                if (!val_same_point(&v, q, r) || strcmp(xp_csv_get(&v, q, "congestion"), cc[k])) continue;
                if (!have_meas) {
                    size_t l = strlen(meas);
                    snprintf(meas + l, sizeof meas - l, "%s%.1f", k ? " / " : "", 1e3 * xp_csv_num(&v, q, "measured_s"));
                    have_meas = 1;
                }
                for (int m = 0; m < NMOD; m++) {
                    if (strcmp(xp_csv_get(&v, q, "model"), models[m])) continue;
                    char one[32];
                    snprintf(one, sizeof one, "%.1f", 1e3 * xp_csv_num(&v, q, "predicted_s"));
                    const char *lastp = strrchr(pred[m], ' ');
                    if (strcmp(lastp ? lastp + 1 : pred[m], one)) { /* list a prediction once per value */
                        size_t lp = strlen(pred[m]);
                        snprintf(pred[m] + lp, sizeof pred[m] - lp, "%s%s", lp ? " / " : "", one);
                    }
                    size_t l = strlen(err[m]);
                    snprintf(err[m] + l, sizeof err[m] - l, "%s%+.1f%%", l ? " / " : "", 100 * val_err(&v, q));
                }
            }
        }
        n++;
        xp_fact_row(F, src, "valpt", n, "op", "%s", xp_csv_get(&v, r, "op"));
        xp_fact_row(F, src, "valpt", n, "shape", "%s", xp_csv_get(&v, r, "shape"));
        snprintf(key, sizeof key, "valpt.%zu", n);
        val_link(F, src, &v, r, key);
        xp_fact_row(F, src, "valpt", n, "rounds", "%s", xp_csv_get(&v, r, "rounds"));
        xp_fact_row(F, src, "valpt", n, "measured_ms", "%s", meas);
        for (int m = 0; m < NMOD; m++) {
            char f1[32], f2[32];
            snprintf(f1, sizeof f1, "%s_ms", models[m]);
            snprintf(f2, sizeof f2, "%s_err", models[m]);
            xp_fact_row(F, src, "valpt", n, f1, "%s", pred[m][0] ? pred[m] : "n/a");
            xp_fact_row(F, src, "valpt", n, f2, "%s", err[m]);
        }
    }
    xp_fact_count(F, "valpt", n);
    char order[128] = "";
    for (int k = 0; k < ncc; k++) {
        size_t l = strlen(order);
        snprintf(order + l, sizeof order - l, "%s%s", k ? " / " : "", cc[k]);
    }
    xp_fact(F, src, "val.cc_order", "%s", order);
    xp_csv_free(&v);
    derive_hystart(F, dir);
    derive_pcap(F, dir);
}

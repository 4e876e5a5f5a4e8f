/* xp_schema.c -- see xp_schema.h. The tables below are the single definition of every CSV the
 * project writes; the README's schema section is printed from them (`mpcsim schema --markdown`). */
#include "xp_schema.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../common/chk.h"

#define S(n, u, d) {n, u, XP_STR, NULL, 0, d}
#define U(n, u, d) {n, u, XP_UINT, NULL, 0, d}
#define I(n, u, d) {n, u, XP_INT, NULL, 0, d}
#define R(n, u, f, d) {n, u, XP_REAL, f, 0, d}
#define NCOL(a) ((int)(sizeof a / sizeof *a))

/* ---- mpcsim infer ---- */
static const xp_col infer_cols[] = {
    S("model", "", "model name (zoo or config.json)"),
    U("seq", "tokens", "sequence length"),
    S("gelu", "", "activation: gelu-erf, gelu-tanh, relu, quad"),
    S("softmax", "", "attention: softmax, 2relu, 2quad"),
    S("norm", "", "layernorm or batchnorm"),
    S("protocol", "", "protocol family"),
    S("mode", "", "real or phantom"),
    S("net", "", "network profile name (custom for free settings)"),
    U("bandwidth_bps", "bit/s", "P0<->P1 link bandwidth"),
    R("one_way_latency_s", "s", "%.9f", "P0<->P1 one-way latency"),
    S("compute_model", "", "compute model used for local work"),
    R("latency_s", "s", "%.9f", "virtual time until both parties finish the online phase"),
    R("compute_s", "s", "%.9f", "compute on the critical path"),
    R("comm_s", "s", "%.9f", "latency_s - compute_s"),
    U("rounds", "", "online causal depth"),
    U("online_sent_bytes_p0", "bytes", "payload P0 sent to P1"),
    U("online_sent_bytes_p1", "bytes", "payload P1 sent to P0"),
    U("online_recv_bytes_p0", "bytes", "payload P0 received from P1"),
    U("online_recv_bytes_p1", "bytes", "payload P1 received from P0"),
    U("dealer_bytes", "bytes", "D<->P0/P1 traffic (corrections and requests)"),
    S("dealer", "", "offline or inline"),
    {"max_abs_logit_err", "", XP_REAL, "%.6g", 1, "real mode only: max |MPC logit - plaintext logit|"},
};
const xp_schema xp_schema_infer = {"infer", "mpcsim infer (--out)", "one row per inference", infer_cols,
                                   NCOL(infer_cols)};

static const xp_col breakdown_cols[] = {
    S("level", "", "op, layer or total"),
    S("tag", "", "embed, qkv, scores, softmax, context, out_proj, norm1, ffn1, act, ffn2, norm2, pooler, "
                 "classifier, layerN, total"),
    U("rounds", "", "causal depth spent in the tag (the larger party's)"),
    U("online_sent_bytes_p0", "bytes", "payload P0 sent within the tag"),
    U("online_sent_bytes_p1", "bytes", "payload P1 sent within the tag"),
    U("dealer_bytes", "bytes", "dealer traffic P0 and P1 saw within the tag"),
    R("time_s", "s", "%.9f", "local time in the tag of the party that finishes last"),
    R("compute_s", "s", "%.9f", "of which compute"),
    R("transfer_s", "s", "%.9f", "of which waiting for transmission"),
    R("latency_wait_s", "s", "%.9f", "of which waiting for propagation"),
    R("other_wait_s", "s", "%.9f", "of which waiting for the other party"),
};
const xp_schema xp_schema_breakdown = {"breakdown", "mpcsim infer --breakdown", "one row per operator tag, layer and the total",
                                       breakdown_cols, NCOL(breakdown_cols)};

static const xp_col timeline_cols[] = {
    S("party", "", "P0 or P1"),
    I("layer", "", "encoder layer, -1 outside layers"),
    S("tag", "", "operator tag"),
    R("start_s", "s", "%.9f", "virtual time the party entered the tag"),
    R("end_s", "s", "%.9f", "virtual time it left"),
};
const xp_schema xp_schema_timeline = {"timeline", "mpcsim infer --timeline", "one row per operator span of a party",
                                      timeline_cols, NCOL(timeline_cols)};

/* ---- mpcsim op, party, launch: one table for the simulator and TCP ---- */
static const xp_col op_cols[] = {
    S("op", "", "op name (mpcsim op --list)"),
    S("shape", "", "input shape as given"),
    S("mode", "", "real or phantom"),
    U("rounds", "", "online causal depth"),
    U("online_sent_bytes_p0", "bytes", "payload P0 sent to P1"),
    U("online_recv_bytes_p0", "bytes", "payload P0 received from P1"),
    U("online_sent_bytes_p1", "bytes", "payload P1 sent to P0"),
    U("online_recv_bytes_p1", "bytes", "payload P1 received from P0"),
    U("dealer_bytes", "bytes", "D<->P0/P1 traffic (corrections and requests)"),
    R("latency_s", "s", "%.9f", "virtual seconds until both parties finish (TCP: measured wall time)"),
    R("max_abs_err", "", "%.6g", "real mode: max error against a double reference; empty in phantom mode"),
    R("max_rel_err", "", "%.6g", "real mode: relative error, against max(|ref|, 1e-3); empty in phantom mode"),
    S("dealer", "", "offline or inline"),
    S("net", "", "network profile, or tcp"),
    U("bandwidth_bps", "bit/s", "P0<->P1 link bandwidth (empty over TCP)"),
    R("one_way_latency_s", "s", "%.9f", "P0<->P1 one-way latency (empty over TCP)"),
    I("frac_bits", "bits", "fixed-point fractional bits"),
    U("seed", "", "input and randomness seed"),
};
const xp_schema xp_schema_op = {"op", "mpcsim op, mpcsim party, mpcsim launch", "one row per op run", op_cols,
                                NCOL(op_cols)};

static const xp_col sweep_cols[] = {
    S("sweep", "", "sweep name ([sweep] name)"),
    I("point", "", "grid point, from 0, first key slowest"),
    I("rep", "", "repetition, from 0"),
};
const xp_schema xp_schema_sweep = {"sweep", "mpcsim sweep, mpcsim merge",
                                   "these columns, then the columns of the swept command (infer or op)", sweep_cols,
                                   NCOL(sweep_cols)};

static const xp_col explain_cols[] = {
    I("level", "", "nesting depth of the step (0: the op)"),
    S("step", "", "step tag"),
    I("count", "", "consecutive repeats merged into the row"),
    U("rounds", "", "causal depth of the step"),
    U("sent_bytes_p0", "bytes", "payload P0 sent in the step"),
    U("sent_bytes_p1", "bytes", "payload P1 sent in the step"),
    U("dealer_bytes", "bytes", "dealer traffic in the step"),
    R("time_s", "s", "%.9f", "virtual time of the party that finishes the step last"),
};
const xp_schema xp_schema_explain = {"explain", "mpcsim explain --format csv", "one row per step of an op, then the total",
                                     explain_cols, NCOL(explain_cols)};

static const xp_col calibrate_cols[] = {
    S("op", "", "the paper's operator"),
    R("rounds", "", "%.0f", "rounds of the operator summed over BERT-base, seq 512"),
    R("bytes_per_party", "bytes", "%.0f", "bytes each party sends for it"),
    R("paper_comm_s", "s", "%.1f", "the paper's communication time (paper/paper_operators.csv)"),
    R("predicted_comm_s", "s", "%.3f", "rounds x latency + 8 bytes / bandwidth on the fitted link"),
    R("bandwidth_bps", "bit/s", "%.0f", "fitted bandwidth"),
    R("one_way_latency_s", "s", "%.6f", "fitted one-way latency"),
};
const xp_schema xp_schema_calibrate = {"calibrate", "mpcsim calibrate", "one row per operator of the fit",
                                       calibrate_cols, NCOL(calibrate_cols)};

static const xp_col ping_cols[] = {
    S("net", "", "network profile"),
    U("bandwidth_bps", "bit/s", "link bandwidth"),
    R("one_way_latency_s", "s", "%.9f", "one-way latency"),
    U("bytes", "bytes", "message size"),
    U("count", "", "ping-pongs"),
    U("messages", "", "messages delivered"),
    U("rounds", "", "causal depth"),
    U("sent_bytes_p0", "bytes", "payload P0 sent"),
    U("sent_bytes_p1", "bytes", "payload P1 sent"),
    R("latency_s", "s", "%.9f", "virtual time at P0's end"),
    R("transfer_s", "s", "%.9f", "transmission on P0's critical path"),
    R("propagation_s", "s", "%.9f", "propagation on P0's critical path"),
};
const xp_schema xp_schema_ping = {"ping", "mpcsim ping", "one row per run", ping_cols, NCOL(ping_cols)};

/* ---- training and evaluation ---- */
static const xp_col train_cols[] = {
    S("command", "", "train or distill"),
    S("model", "", "model name"),
    I("layers", "", "encoder layers"),
    I("hidden", "", "hidden size"),
    S("act", "", "activation"),
    S("softmax", "", "attention"),
    I("seq", "tokens", "sequence length"),
    I("epochs", "", "epochs"),
    I("steps", "", "optimiser steps"),
    R("sec_per_step", "s", "%.4f", "wall seconds per optimiser step"),
    R("first_loss", "", "%.5f", "loss of the first step"),
    R("final_loss", "", "%.5f", "loss of the last step"),
    R("best_dev_accuracy", "fraction", "%.4f", "best dev accuracy"),
    I("best_epoch", "", "epoch of the best dev accuracy"),
    R("test_accuracy", "fraction", "%.4f", "test accuracy of the best checkpoint"),
    S("out", "", "checkpoint path"),
};
const xp_schema xp_schema_train = {"train", "mpcsim train --csv, mpcsim distill --csv", "one row per training run",
                                   train_cols, NCOL(train_cols)};

static const xp_col eval_cols[] = {
    S("weights", "", "checkpoint path"),
    S("method", "", "teacher, mpcformer, wo_d, wo_pd"),
    S("act", "", "activation"),
    S("softmax", "", "attention"),
    I("layers", "", "encoder layers"),
    I("hidden", "", "hidden size"),
    S("split", "", "dataset split"),
    I("seq", "tokens", "sequence length"),
    U("examples", "", "examples evaluated in plaintext"),
    R("accuracy", "fraction", "%.4f", "plaintext accuracy"),
    S("mpc_act", "", "activation as run under MPC (empty without --mpc)"),
    S("calibration", "", "rescale constants: global or per-site(N)"),
    I("frac_bits", "bits", "fixed-point fractional bits"),
    U("mpc_examples", "", "examples run under MPC"),
    R("mpc_accuracy", "fraction", "%.4f", "accuracy under MPC"),
    R("plain_accuracy_same", "fraction", "%.4f", "plaintext accuracy on the same examples"),
    R("agreement", "fraction", "%.4f", "MPC and plaintext predictions equal"),
    R("max_abs_logit_error", "", "%.3e", "max |MPC logit - plaintext logit|"),
    R("mean_latency_s", "s", "%.6f", "mean virtual latency per private inference"),
};
const xp_schema xp_schema_eval = {"eval", "mpcsim eval (--csv)",
                                  "one row per checkpoint; results/accuracy.csv adds train_command, train_epochs, "
                                  "train_steps, train_sec_per_step, best_dev_accuracy (scripts/accuracy.sh)",
                                  eval_cols, NCOL(eval_cols)};

/* ---- benchmarks (never part of the tests) ---- */
static const xp_col bench_cols[] = {
    S("op", "", "op name"),
    S("shape", "", "shape"),
    S("mode", "", "real"),
    I("reps", "", "repetitions"),
    R("wall_s_median", "s", "%.6f", "median wall time, both parties and the dealer in one process"),
    R("wall_s_min", "s", "%.6f", "fastest repetition"),
    U("rounds", "", "online causal depth"),
    U("online_sent_bytes_p0", "bytes", "payload P0 sent"),
    U("dealer_bytes", "bytes", "dealer traffic"),
};
const xp_schema xp_schema_bench = {"bench", "bench target (results/bench.csv)", "one row per benchmarked op", bench_cols,
                                   NCOL(bench_cols)};

static const xp_col compute_profile_cols[] = {
    S("name", "", "profile name (local)"),
    R("mac_per_s", "1/s", "%.4g", "ring multiply-accumulates per second"),
    R("elem_per_s", "1/s", "%.4g", "elementwise ring ops per second"),
    R("prg_bytes_per_s", "bytes/s", "%.4g", "PRG output per second"),
};
const xp_schema xp_schema_compute_profile = {"compute_profile", "bench target (results/compute_profile.csv)",
                                             "the machine's compute profile (profile:local)", compute_profile_cols,
                                             NCOL(compute_profile_cols)};

static const xp_col bench_layer_cols[] = {
    S("backend", "", "sim (one process, setup included) or tcp (three processes on loopback, online)"),
    S("variant", "", "activation+attention+norm"),
    I("threads", "", "kernel threads per party (MPCSIM_THREADS)"),
    I("reps", "", "repetitions"),
    R("wall_s_median", "s", "%.3f", "median wall time"),
    R("wall_s_min", "s", "%.3f", "fastest wall time"),
    U("online_sent_bytes_p0", "bytes", "online bytes P0 sent to P1"),
    U("dealer_bytes", "bytes", "dealer traffic (material and requests)"),
    R("cpu_s_p0", "s", "%.3f", "CPU seconds: sim, the whole process; tcp, P0's online phase"),
    R("cpu_s_p1", "s", "%.3f", "CPU seconds of P1's online phase (tcp; 0 for sim)"),
    R("cpu_s_d", "s", "%.3f", "CPU seconds of the dealer's online phase (tcp; 0 for sim)"),
    R("target_s", "s", "%.1f", "issue 16's target"),
};
const xp_schema xp_schema_bench_layer = {"bench_layer", "bench target (results/bench_layer.csv)",
                                         "one BERT-base encoder layer per backend and variant", bench_layer_cols,
                                         NCOL(bench_layer_cols)};

static const xp_col bench_relay_cols[] = {
    R("delay_us", "us", "%.0f", "relay delay"),
    R("frames_per_s", "1/s", "%.0f", "offered frame rate"),
    I("frame_bytes", "bytes", "frame size"),
    U("frames", "", "frames relayed"),
    R("late_median_us", "us", "%.1f", "median release lateness"),
    R("late_p99_us", "us", "%.1f", "99th percentile lateness"),
    R("late_max_us", "us", "%.1f", "largest lateness"),
    U("dropped", "", "frames dropped"),
};
const xp_schema xp_schema_bench_relay = {"bench_relay", "bench target (results/bench_relay.csv)",
                                         "one row per relay delay and rate", bench_relay_cols, NCOL(bench_relay_cols)};

static const xp_col train_step_cols[] = {
    S("impl", "", "c or torch (scripts/bench_train_torch.py writes the same columns)"),
    I("layers", "", "encoder layers"),
    I("hidden", "", "hidden size"),
    I("heads", "", "attention heads"),
    I("ffn", "", "FFN size"),
    I("seq", "tokens", "sequence length"),
    I("batch", "", "batch size"),
    S("act", "", "activation"),
    S("attn", "", "attention"),
    I("threads", "", "BLAS threads"),
    R("step_ms_median", "ms", "%.2f", "median wall time of one optimiser step"),
    R("step_ms_min", "ms", "%.2f", "fastest step"),
    I("steps", "", "timed steps"),
    S("blas", "", "BLAS library and core"),
    S("torch_version", "", "PyTorch version (torch rows)"),
};
const xp_schema xp_schema_train_step = {"train_step", "bench target (results/train_step.csv, scripts/bench-train.sh)",
                                        "one row per implementation, shape and thread count", train_step_cols,
                                        NCOL(train_step_cols)};

/* ---- mpcsim report --derive ---- */
static const xp_col facts_cols[] = {
    S("key", "", "the fact's name, as {{key}} in paper/REPORT.md.in"),
    S("value", "", "the fact as the report prints it"),
    S("source", "", "the input it was derived from"),
};
const xp_schema xp_schema_report_facts = {"report_facts", "mpcsim report --derive (results/report_facts.csv)",
                                          "one row per number, word or table cell the report states", facts_cols,
                                          NCOL(facts_cols)};

static const xp_col plot_imdb_cols[] = {
    S("approx", "", "approximation"),
    R("paper_speedup", "x", "%.4f", "the paper's speedup over GeLU+Softmax"),
    R("batchnorm_latency_s", "s", "%.6f", "ours, BatchNorm stand-in"),
    R("layernorm_latency_s", "s", "%.6f", "ours, LayerNorm"),
    R("batchnorm_speedup", "x", "%.4f", "ours, BatchNorm"),
    R("layernorm_speedup", "x", "%.4f", "ours, LayerNorm"),
};
const xp_schema xp_schema_plot_imdb = {"plot_imdb", "mpcsim report (results/plot_imdb.csv, plots/latency_bars.gp)",
                                       "one row per approximation, BERT-base seq 512", plot_imdb_cols,
                                       NCOL(plot_imdb_cols)};

static const xp_col plot_heatmap_cols[] = {
    S("bandwidth_bps", "bit/s", "link bandwidth, as in whatif_network.csv"),
    S("one_way_latency_s", "s", "one-way latency, as in whatif_network.csv"),
    R("baseline_latency_s", "s", "%.6f", "GeLU+Softmax latency"),
    R("quad2quad_latency_s", "s", "%.6f", "Quad+2Quad latency"),
    R("speedup", "x", "%.4f", "baseline / Quad+2Quad"),
};
const xp_schema xp_schema_plot_heatmap = {"plot_heatmap", "mpcsim report (results/plot_heatmap.csv, plots/heatmap.gp)",
                                          "one row per grid point of whatif_network", plot_heatmap_cols,
                                          NCOL(plot_heatmap_cols)};

#define NETWORK_SPEEDUPS                                                   \
    R("Quad+Softmax", "x", "%.4f", "speedup over GeLU+Softmax"),            \
    R("GeLU+2ReLU", "x", "%.4f", "speedup over GeLU+Softmax"),              \
    R("Quad+2ReLU", "x", "%.4f", "speedup over GeLU+Softmax"),              \
    R("GeLU+2Quad", "x", "%.4f", "speedup over GeLU+Softmax"),              \
    R("Quad+2Quad", "x", "%.4f", "speedup over GeLU+Softmax")
static const xp_col plot_network_bandwidth_cols[] = {
    S("bandwidth_bps", "bit/s", "link bandwidth (at 1.5 ms one way), as in whatif_network.csv"),
    NETWORK_SPEEDUPS,
};
const xp_schema xp_schema_plot_network_bandwidth = {
    "plot_network_bandwidth", "mpcsim report (results/plot_network_bandwidth.csv, plots/network_lines.gp)",
    "one row per bandwidth of the grid", plot_network_bandwidth_cols, NCOL(plot_network_bandwidth_cols)};
static const xp_col plot_network_latency_cols[] = {
    S("one_way_latency_s", "s", "one-way latency (at 3 Gbit/s), as in whatif_network.csv"),
    NETWORK_SPEEDUPS,
};
const xp_schema xp_schema_plot_network_latency = {
    "plot_network_latency", "mpcsim report (results/plot_network_latency.csv, plots/network_lines.gp)",
    "one row per latency of the grid", plot_network_latency_cols, NCOL(plot_network_latency_cols)};

static const xp_col plot_seq_cols[] = {
    S("seq", "tokens", "sequence length"),
    R("Quad+Softmax", "x", "%.4f", "speedup over GeLU+Softmax"),
    R("GeLU+2Quad", "x", "%.4f", "speedup over GeLU+Softmax"),
    R("Quad+2ReLU", "x", "%.4f", "speedup over GeLU+Softmax"),
    R("Quad+2Quad", "x", "%.4f", "speedup over GeLU+Softmax"),
};
const xp_schema xp_schema_plot_seq = {"plot_seq", "mpcsim report (results/plot_seq.csv, plots/seq.gp)",
                                      "one row per sequence length of whatif_seq", plot_seq_cols, NCOL(plot_seq_cols)};

static const xp_col plot_accuracy_cols[] = {
    S("approx", "", "approximation"),
    R("latency_s", "s", "%.6f", "mpcsim infer of the trained shape"),
    R("teacher", "%", "%.2f", "test accuracy"),
    R("wo_pd", "%", "%.2f", "test accuracy"),
    R("wo_d", "%", "%.2f", "test accuracy"),
    R("mpcformer", "%", "%.2f", "test accuracy"),
};
const xp_schema xp_schema_plot_accuracy = {"plot_accuracy",
                                           "mpcsim report (results/plot_accuracy.csv, plots/accuracy_latency.gp)",
                                           "one row per approximation of the accuracy pipeline", plot_accuracy_cols,
                                           NCOL(plot_accuracy_cols)};

const xp_schema *const xp_schemas[] = {
    &xp_schema_infer, &xp_schema_breakdown, &xp_schema_timeline, &xp_schema_op, &xp_schema_sweep,
    &xp_schema_explain, &xp_schema_calibrate, &xp_schema_ping, &xp_schema_train, &xp_schema_eval,
    &xp_schema_bench, &xp_schema_compute_profile, &xp_schema_bench_relay, &xp_schema_bench_layer, &xp_schema_train_step, &xp_schema_report_facts,
    &xp_schema_plot_imdb, &xp_schema_plot_heatmap, &xp_schema_plot_network_bandwidth, &xp_schema_plot_network_latency, &xp_schema_plot_seq,
    &xp_schema_plot_accuracy, NULL,
};

const xp_schema *xp_schema_find(const char *name)
{
    for (int k = 0; xp_schemas[k]; k++)
        if (strcmp(xp_schemas[k]->name, name) == 0) return xp_schemas[k];
    return NULL;
}

int xp_schema_col(const xp_schema *s, const char *name)
{
    for (int c = 0; c < s->ncol; c++)
        if (strcmp(s->col[c].name, name) == 0) return c;
    return -1;
}

static void header(FILE *f, const xp_schema *s, int with_optional, char end)
{
    int first = 1;
    for (int c = 0; c < s->ncol; c++) {
        if (s->col[c].optional && !with_optional) continue;
        fprintf(f, "%s%s", first ? "" : ",", s->col[c].name);
        first = 0;
    }
    fputc(end, f);
}

void xp_schema_header(FILE *f, const xp_schema *s, int with_optional)
{
    header(f, s, with_optional, '\n');
}

static const char *kind_fmt(const xp_col *c)
{
    switch (c->kind) {
    case XP_STR: return "text";
    case XP_UINT: return "unsigned integer";
    case XP_INT: return "integer";
    case XP_REAL: return c->fmt;
    }
    return "?";
}

void xp_schema_markdown(FILE *f)
{
    fprintf(f, "Columns carry units in their names (`_s` seconds of virtual time, `_bytes`, `_bps` bit/s); "
               "`mpcsim schema NAME` prints a table's units, formats and meanings. Generated by "
               "`mpcsim schema --markdown` from `experiments/xp_schema.c`.\n\n");
    for (int k = 0; xp_schemas[k]; k++) {
        const xp_schema *s = xp_schemas[k];
        fprintf(f, "- `%s` (%s, %s): `", s->name, s->writer, s->doc);
        for (int c = 0; c < s->ncol; c++)
            fprintf(f, "%s%s%s", c ? ", " : "", s->col[c].optional ? "[" : "", s->col[c].name);
        for (int c = 0; c < s->ncol; c++)
            if (s->col[c].optional) fprintf(f, "]");
        fprintf(f, "`\n");
    }
}

void xp_schema_describe(FILE *f, const xp_schema *s)
{
    fprintf(f, "%s: %s (%s)\n\n%-22s %-9s %-17s %s\n", s->name, s->doc, s->writer, "column", "unit", "format", "meaning");
    for (int c = 0; c < s->ncol; c++)
        fprintf(f, "%-22s %-9s %-17s %s%s\n", s->col[c].name, *s->col[c].unit ? s->col[c].unit : "-", kind_fmt(&s->col[c]),
                s->col[c].optional ? "(optional) " : "", s->col[c].doc);
}

/* ---- the row writer ---- */

void xp_rows_open(xp_rows *w, FILE *f, const xp_schema *s, int flags)
{
    CHECK(s->ncol <= XP_SCHEMA_MAXCOL, "schema %s has too many columns", s->name);
    memset(w, 0, sizeof *w);
    w->f = f, w->s = s, w->flags = flags;
    if (!(flags & (XP_ROWS_TABLE | XP_ROWS_NOHEADER)))
        header(f, s, flags & XP_ROWS_OPTIONAL, flags & XP_ROWS_PREFIX ? ',' : '\n');
}

static int col_of(xp_rows *w, const char *col, xp_kind kind)
{
    int c = xp_schema_col(w->s, col);
    CHECK(c >= 0, "schema %s has no column %s", w->s->name, col);
    CHECK(w->s->col[c].kind == kind, "column %s.%s set with a value of another kind", w->s->name, col);
    free(w->cell[c]);
    w->cell[c] = NULL;
    return c;
}

static void set(xp_rows *w, int c, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    CHECK(n >= 0, "bad format for column %s", w->s->col[c].name);
    w->cell[c] = chk_malloc((size_t)n + 1);
    vsnprintf(w->cell[c], (size_t)n + 1, fmt, ap2);
    va_end(ap2);
}

void xp_rows_str(xp_rows *w, const char *col, const char *v)
{
    set(w, col_of(w, col, XP_STR), "%s", v);
}

void xp_rows_uint(xp_rows *w, const char *col, uint64_t v)
{
    set(w, col_of(w, col, XP_UINT), "%" PRIu64, v);
}

void xp_rows_int(xp_rows *w, const char *col, int64_t v)
{
    set(w, col_of(w, col, XP_INT), "%" PRId64, v);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void xp_rows_real(xp_rows *w, const char *col, double v)
{
    int c = col_of(w, col, XP_REAL);
    set(w, c, w->s->col[c].fmt, v);
}
#pragma GCC diagnostic pop

void xp_rows_end(xp_rows *w)
{
    const xp_schema *s = w->s;
    int table = w->flags & XP_ROWS_TABLE, first = 1;
    if (table && w->nrows) fputc('\n', w->f);
    for (int c = 0; c < s->ncol; c++) {
        if (s->col[c].optional && !(w->flags & XP_ROWS_OPTIONAL)) continue;
        const char *v = w->cell[c];
        if (table) fprintf(w->f, "%-21s %s\n", s->col[c].name, v ? v : "-");
        else fprintf(w->f, "%s%s", first ? "" : ",", v ? v : "");
        first = 0;
    }
    if (!table) fputc(w->flags & XP_ROWS_PREFIX ? ',' : '\n', w->f);
    w->nrows++;
    xp_rows_close(w);
}

void xp_rows_close(xp_rows *w)
{
    for (int c = 0; c < XP_SCHEMA_MAXCOL; c++) {
        free(w->cell[c]);
        w->cell[c] = NULL;
    }
}

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
    {"p_fail", "probability", XP_REAL, "%.3e", 1,
     "real mode only: analytic probability that the inference failed silently (mpc_audit.h)"},
    {"wraps", "", XP_UINT, NULL, 1, "real mode only: local truncations whose shares wrapped"},
    {"domain", "", XP_UINT, NULL, 1, "real mode only: inputs outside a safe truncation's or an op's domain"},
    {"first_event", "", XP_STR, NULL, 1, "real mode only: tag path of the first wrap or domain event, or none"},
    {"trunc", "", XP_STR, NULL, 1, "real mode or --trunc safe: the truncation, local or safe"},
};
const xp_schema xp_schema_infer = {"infer", "mpcsim infer (--out), mpcsim party/launch infer (net tcp)", "one row per inference", infer_cols,
                                   NCOL(infer_cols)};

static const xp_col infer_runtime_cols[] = {
    S("runtime", "", "deployed-runtime model (net/net_rt.h): crypten-gloo-gpu or crypten-gloo-cpu"),
    U("wire_msgs_p0", "", "gloo operations P0 put on the wire (notifications and data)"),
    U("wire_bytes_p0", "bytes", "bytes of them, 48-byte preambles included"),
    U("allreduces_p0", "", "protocol exchanges carried as a ring all_reduce"),
    U("oneways_p0", "", "one-way sends carried as a broadcast"),
    U("op_calls_p0", "", "op calls charged the host overhead"),
};
const xp_schema xp_schema_infer_runtime = {"infer_runtime", "mpcsim infer --runtime (after infer's columns)",
                                           "the runtime's counters, appended to infer's row", infer_runtime_cols,
                                           NCOL(infer_runtime_cols)};

static const xp_col runtime_acc_cols[] = {
    S("tag", "", "operator tag (as breakdown) or total"),
    R("cross", "", "%.0f", "one-way latencies on the critical path (symmetric case)"),
    R("crit_bytes", "bytes", "%.0f", "bytes serialized on the critical path"),
    U("collectives", "", "collectives"),
    U("coll_bytes", "bytes", "their payload"),
    U("op_calls", "", "op calls"),
    U("matmul_calls", "", "of which Beaver matmuls"),
    R("compute_s", "s", "%.9f", "compute without the host overheads"),
    R("time_s", "s", "%.9f", "local time in the tag"),
};
const xp_schema xp_schema_runtime_acc = {"runtime_acc", "mpcsim infer --runtime-acc",
                                         "one row per operator tag and the total: the terms of the deployed fit",
                                         runtime_acc_cols, NCOL(runtime_acc_cols)};

static const xp_col deployed_fit_cols[] = {
    S("fit", "", "model (5 parameters) or ablation-no-matmul (the per-matmul overhead held at 0)"),
    S("target", "", "the paper's number: OPERATOR_total, OPERATOR_comm or baseline_total"),
    S("config", "", "the run it is read from (activation+attention)"),
    S("tag", "", "operator tag (act, softmax) or total"),
    R("paper_s", "s", "%.1f", "the paper's value (paper/paper_operators.csv; baseline ~59 s)"),
    R("fit_s", "s", "%.3f", "the fitted model's value"),
    R("residual_s", "s", "%.3f", "fit_s - paper_s"),
    R("residual_pct", "%", "%.1f", "residual relative to paper_s"),
    R("cross", "", "%.0f", "one-way latencies (coefficient of the latency)"),
    R("crit_bytes", "bytes", "%.0f", "critical-path bytes (coefficient of s per byte)"),
    R("collectives", "", "%.0f", "collectives (coefficient of the per-collective overhead)"),
    R("coll_bytes", "bytes", "%.0f", "collective payload (device-host copies)"),
    R("op_calls", "", "%.0f", "op calls (total targets only)"),
    R("matmul_calls", "", "%.0f", "Beaver matmul calls (total targets only)"),
    R("compute_s", "s", "%.3f", "modeled compute (total targets only)"),
    R("one_way_latency_s", "s", "%.6f", "fitted one-way latency"),
    R("bandwidth_bps", "bit/s", "%.0f", "fitted bandwidth"),
    R("coll_overhead_s", "s", "%.7f", "fitted host overhead per collective"),
    R("op_overhead_s", "s", "%.7f", "fitted host overhead per op call"),
    R("matmul_overhead_s", "s", "%.7f", "fitted extra host overhead per Beaver matmul call"),
};
const xp_schema xp_schema_deployed_fit = {"deployed_fit", "mpcsim fit-deployed --out",
                                          "one row per fitted number of the paper", deployed_fit_cols,
                                          NCOL(deployed_fit_cols)};

static const xp_col deployed_pred_cols[] = {
    S("set", "", "imdb, glue (speedups), puma_time, puma_bytes_with_ttp, puma_bytes_without_ttp, whatif"),
    S("config", "", "activation+attention"),
    U("seq", "tokens", "sequence length"),
    S("network", "", "fitted, fitted-ablation-no-matmul, paper, 5gbit-1msrtt, lan, metro, wan"),
    S("runtime", "", "crypten-gloo-gpu, crypten-gloo-cpu or lean"),
    S("compute", "", "compute model"),
    R("latency_s", "s", "%.6f", "predicted latency"),
    R("speedup", "", "%.3f", "over the set's GeLU+Softmax (speedup sets)"),
    R("paper", "", "%.2f", "the paper's speedup, or PUMA's s / GB"),
    R("err_pct", "%", "%.1f", "relative error against paper"),
    R("crypten_bytes_p0", "bytes", "%.0f", "CrypTen's byte counter on rank 0: 2 x all_reduce bytes + the dealer's"),
};
const xp_schema xp_schema_deployed_predictions = {"deployed_predictions", "mpcsim fit-deployed --predict",
                                                  "one row per predicted point", deployed_pred_cols,
                                                  NCOL(deployed_pred_cols)};

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
    {"trunc", "", XP_STR, NULL, 1, "with --mpc: the truncation, local or safe"},
    {"p_fail_mean", "probability", XP_REAL, "%.3e", 1,
     "with --mpc: analytic probability of a silent failure per inference (mpc_audit.h), mean over examples"},
    {"p_fail_max", "probability", XP_REAL, "%.3e", 1, "with --mpc: its maximum over the examples"},
    {"catastrophic", "", XP_UINT, NULL, 1, "with --mpc: examples whose logit error exceeds XP_CATASTROPHIC_LOGIT_ERR"},
    {"catastrophic_rate_lo", "fraction", XP_REAL, "%.3e", 1, "with --mpc: 95% Clopper-Pearson interval, low end"},
    {"catastrophic_rate_hi", "fraction", XP_REAL, "%.3e", 1, "with --mpc: its high end"},
};
const xp_schema xp_schema_eval = {"eval", "mpcsim eval (--csv)",
                                  "one row per checkpoint; results/accuracy.csv adds train_command, train_epochs, "
                                  "train_steps, train_sec_per_step, best_dev_accuracy (scripts/accuracy.sh)",
                                  eval_cols, NCOL(eval_cols)};

static const xp_col eval_failures_cols[] = {
    U("example", "", "index of the example in the split (or in the stress inputs)"),
    I("label", "", "its label"),
    I("mpc_pred", "", "prediction under MPC"),
    I("plain_pred", "", "plaintext prediction"),
    R("logit_error", "", "%.6g", "max |MPC logit - plaintext logit|"),
    R("p_fail", "probability", "%.3e", "analytic probability of a silent failure of this inference (mpc_audit.h)"),
    U("wraps", "", "local truncations whose shares wrapped"),
    U("domain", "", "inputs outside a safe truncation's or an op's domain"),
    S("first_event", "", "tag path of the first wrap or domain event (none: an approximation error)"),
};
const xp_schema xp_schema_eval_failures = {"eval_failures", "mpcsim eval --mpc --failures",
                                           "one row per catastrophic example (logit error above XP_CATASTROPHIC_LOGIT_ERR)",
                                           eval_failures_cols, NCOL(eval_failures_cols)};

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

static const xp_col bench_kernels_cols[] = {
    S("kernel", "", "ring_matmul (Z += X @ Y mod 2^64) or chacha20 (PRG keystream)"),
    S("impl", "", "implementation (mpc_ring_internal.h, rng_internal.h)"),
    S("shape", "", "m x k x p, or the bytes of one call"),
    U("work", "", "multiply-accumulates or bytes per repetition"),
    I("reps", "", "repetitions"),
    R("cpu_s_min", "s", "%.6f", "fastest repetition, CPU time of the process (one kernel thread)"),
    R("rate_g_per_s", "1e9/s", "%.3f", "work / cpu_s_min / 1e9: GMAC/s or GB/s"),
};
const xp_schema xp_schema_bench_kernels = {"bench_kernels", "bench target (results/bench_kernels.csv)",
                                           "one row per compute kernel, implementation and shape, one core",
                                           bench_kernels_cols, NCOL(bench_kernels_cols)};

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

static const xp_col bench_tcp_aead_cols[] = {
    S("mode", "", "plaintext or sealed (AES-256-GCM, OpenSSL EVP) frames"),
    S("workload", "", "bulk (one large message each way) or pingpong (small messages, one at a time)"),
    U("msg_bytes", "bytes", "payload of one message"),
    U("msgs_per_dir", "", "messages per direction"),
    U("wire_bytes_per_dir", "bytes", "bytes P0 put on the connection, frames and goodbye included"),
    R("framing_bytes_per_msg", "bytes", "%.1f", "wire bytes per message beyond its payload (header, tag)"),
    R("wall_s_median", "s", "%.6f", "median wall time of 5 runs, two threads over loopback TCP"),
    R("wall_s_min", "s", "%.6f", "fastest run"),
    R("cpu_s_min", "s", "%.6f", "CPU seconds (user + system) of both threads, least of the 5 runs"),
};
const xp_schema xp_schema_bench_tcp_aead = {"bench_tcp_aead", "bench target (results/bench_tcp_aead.csv)",
                                            "one row per frame mode and workload, measured on this machine",
                                            bench_tcp_aead_cols, NCOL(bench_tcp_aead_cols)};

/* The explorer's recompute time (bench/bench_explorer.js; the header comes from `mpcsim schema --header`). */
static const xp_col bench_explorer_cols[] = {
    S("bench", "", "what is timed: explorer_recompute, a changed control to the new numbers on the page"),
    S("model", "", "model of the page's configuration"),
    U("seq", "", "its sequence length"),
    S("scenario", "", "idle (the views' runs finished before the change) or views_busy (changed at once)"),
    S("browser", "", "the browser and its version (headless)"),
    U("reps", "", "timed changes (after one warm-up)"),
    R("page_ms_median", "ms", "%.1f", "median time from the change event to the numbers in the page"),
    R("page_ms_min", "ms", "%.1f", "fastest"),
    R("page_ms_max", "ms", "%.1f", "slowest"),
    R("sim_ms_median", "ms", "%.1f", "median time of the simulation alone (xp_cmd_infer in WebAssembly)"),
    R("sim_ms_min", "ms", "%.1f", "fastest simulation"),
    U("target_ms", "ms", "the issue's target for a recompute"),
};
const xp_schema xp_schema_bench_explorer = {"bench_explorer", "bench target (results/bench_explorer.csv)",
                                            "one row per scenario, measured in Chromium on this machine",
                                            bench_explorer_cols, NCOL(bench_explorer_cols)};

/* ---- scripts/validate.sh (the header comes from `mpcsim schema --header NAME`) ---- */
#define VALIDATION_POINT                                                                        \
    S("op", "", "op of the point"), S("shape", "", "its shape"),                                \
        U("bandwidth_bps", "bit/s", "emulated link rate"),                                      \
        R("one_way_latency_s", "s", "%.6f", "emulated one-way latency"),                        \
        S("congestion", "", "the kernel's congestion control (reno or cubic)")
static const xp_col validation_cols[] = {
    VALIDATION_POINT,
    U("rounds", "", "online rounds of the op"),
    S("model", "", "the simulator's link model of the prediction (ideal, tcp, packet)"),
    R("predicted_s", "s", "%.6f", "the simulator's online latency"),
    R("measured_s", "s", "%.6f", "median measured online wall latency over real TCP"),
    R("measured_min_s", "s", "%.6f", "fastest run"),
    R("measured_max_s", "s", "%.6f", "slowest run"),
    I("reps", "", "runs of the point"),
    R("rel_err", "", "%.3f", "(predicted - measured) / measured"),
};
const xp_schema xp_schema_validation = {"validation", "scripts/validate.sh (results/validation.csv)",
                                        "one row per grid point, congestion control and link model",
                                        validation_cols, NCOL(validation_cols)};

static const xp_col validation_pcap_cols[] = {
    VALIDATION_POINT,
    U("pcap_bytes_p0_p1", "bytes", "TCP payload P0 -> P1 in the capture of P0's veth"),
    U("pcap_bytes_p1_p0", "bytes", "TCP payload P1 -> P0 in the capture"),
    U("kernel_bytes_p0_p1", "bytes", "the kernel's count of the connection (TCP_INFO), P0 -> P1"),
    U("kernel_bytes_p1_p0", "bytes", "the kernel's count, P1 -> P0"),
    U("online_bytes_p0_p1", "bytes", "the protocol counters' online bytes P0 -> P1"),
    U("online_bytes_p1_p0", "bytes", "the protocol counters' online bytes P1 -> P0"),
    I("pcap_equals_kernel", "", "1 if the capture equals the kernel's counts both ways"),
};
const xp_schema xp_schema_validation_pcap = {"validation_pcap", "scripts/validate.sh (results/validation_pcap.csv)",
                                             "one row per grid point and congestion control (its first run)",
                                             validation_pcap_cols, NCOL(validation_pcap_cols)};

static const xp_col validation_hystart_cols[] = {
    VALIDATION_POINT,
    I("rep", "", "run of the point"),
    R("measured_s", "s", "%.6f", "measured online wall latency of the run"),
    S("kernel_exit_p0", "", "how P0's kernel HyStart ended slow start: train, delay or none (nstat TCPHystart*)"),
    I("kernel_cwnd_p0", "segments", "P0's window when HyStart ended slow start (empty for none)"),
    S("kernel_exit_p1", "", "as kernel_exit_p0, for P1"),
    I("kernel_cwnd_p1", "segments", "as kernel_cwnd_p0, for P1"),
    I("model_cwnd_p0", "segments", "the packet model's window at the end of P0's slow start (empty if it never ended)"),
    I("model_cwnd_p1", "segments", "the packet model's, for P1"),
};
const xp_schema xp_schema_validation_hystart = {"validation_hystart", "scripts/validate.sh (results/validation_hystart.csv)",
                                                "one row per run of each grid point and congestion control",
                                                validation_hystart_cols, NCOL(validation_hystart_cols)};

/* Whole inferences (INFER=1 scripts/validate.sh): real-mode private inferences over the emulated links. */
#define VALIDATION_INFER_JOB                                                                      \
    S("model", "", "the transformer (bert-mini)"), U("seq", "", "sequence length"),                \
        S("gelu", "", "activation approximation"), S("softmax", "", "attention approximation")
static const xp_col validation_infer_cols[] = {
    VALIDATION_INFER_JOB,
    U("bandwidth_bps", "bit/s", "emulated link rate"),
    R("one_way_latency_s", "s", "%.6f", "emulated one-way latency"),
    S("congestion", "", "the kernel's congestion control (reno or cubic)"),
    U("rounds", "", "online rounds of the inference"),
    U("online_sent_bytes_p0", "bytes", "online bytes P0 sent"),
    S("link_model", "", "the simulator's link model of the prediction (packet)"),
    S("compute_model", "", "the prediction's compute model: profile:calibrated (this machine), zero, profile:zen5-2core"),
    R("predicted_s", "s", "%.6f", "the simulator's online latency (phantom mode: the same messages and work)"),
    R("predicted_compute_s", "s", "%.6f", "its compute time on the critical path"),
    R("measured_s", "s", "%.6f", "median measured online wall latency over real TCP, real mode (P1's)"),
    R("measured_min_s", "s", "%.6f", "fastest run"),
    R("measured_max_s", "s", "%.6f", "slowest run"),
    I("reps", "", "runs of the point"),
    R("rel_err", "", "%.3f", "(predicted - measured) / measured"),
};
const xp_schema xp_schema_validation_infer = {"validation_infer", "INFER=1 scripts/validate.sh (results/validation_infer.csv)",
                                              "one row per link, approximation set, congestion control and compute model",
                                              validation_infer_cols, NCOL(validation_infer_cols)};

static const xp_col validation_infer_compute_cols[] = {
    VALIDATION_INFER_JOB,
    I("reps", "", "runs of each measurement"),
    R("cpu_s", "s", "%.6f", "median critical-path CPU time of the simulator's real mode (--compute measured, MPCSIM_THREADS=1)"),
    R("cpu_min_s", "s", "%.6f", "its fastest run"),
    R("cpu_max_s", "s", "%.6f", "its slowest run"),
    R("zen5_compute_s", "s", "%.6f", "the zen5-2core profile's compute time for the same run (phantom)"),
    R("scale_cpu", "", "%.4f", "k of profile:cpu (zen5-2core's rates / k): least squares of cpu_s ~ k x zen5_compute_s"),
    R("cpu_fit_s", "s", "%.6f", "profile:cpu's compute time for the same run"),
    R("loopback_s", "s", "%.6f", "median online latency of the inference over real TCP on loopback (launch infer, real mode)"),
    R("loopback_min_s", "s", "%.6f", "its fastest run"),
    R("loopback_max_s", "s", "%.6f", "its slowest run"),
    R("loopback_zero_s", "s", "%.6f", "the simulator's latency on a loopback-like link (10 Gbit/s, 10 us), zero compute"),
    R("loopback_zen5_compute_s", "s", "%.6f", "zen5-2core's compute time on that link"),
    R("scale_host", "", "%.4f", "k of profile:host: least squares of loopback_s - loopback_zero_s ~ k x loopback_zen5_compute_s"),
    R("loopback_fit_s", "s", "%.6f", "the simulator's loopback latency with profile:host"),
};
const xp_schema xp_schema_validation_infer_compute = {
    "validation_infer_compute", "INFER=1 scripts/validate.sh (results/validation_infer_compute.csv)",
    "one row per approximation set: the compute calibration of this machine (zen5-2core's rates / k)", validation_infer_compute_cols,
    NCOL(validation_infer_compute_cols)};

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
    &xp_schema_infer, &xp_schema_infer_runtime, &xp_schema_runtime_acc, &xp_schema_breakdown, &xp_schema_timeline, &xp_schema_op, &xp_schema_sweep,
    &xp_schema_explain, &xp_schema_calibrate, &xp_schema_ping, &xp_schema_train, &xp_schema_eval, &xp_schema_eval_failures,
    &xp_schema_bench, &xp_schema_compute_profile, &xp_schema_bench_kernels, &xp_schema_bench_relay, &xp_schema_bench_layer, &xp_schema_bench_tcp_aead, &xp_schema_bench_explorer,
    &xp_schema_train_step,
    &xp_schema_validation, &xp_schema_validation_pcap, &xp_schema_validation_hystart, &xp_schema_validation_infer,
    &xp_schema_validation_infer_compute, &xp_schema_report_facts,
    &xp_schema_plot_imdb, &xp_schema_plot_heatmap, &xp_schema_plot_network_bandwidth, &xp_schema_plot_network_latency, &xp_schema_plot_seq,
    &xp_schema_plot_accuracy, &xp_schema_deployed_fit, &xp_schema_deployed_predictions, NULL,
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

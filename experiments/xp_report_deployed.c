/* xp_report_deployed.c -- the report's section on the deployed-runtime model (issue 17): the fit to
 * the paper's per-operator figure, the predicted speedups beside the paper and the lean model, PUMA's
 * re-measurement, and the deployed-vs-lean network what-if. From results/deployed_fit.csv and
 * results/deployed_predictions.csv (`mpcsim fit-deployed`). */
#include <math.h>
#include <string.h>

#include "../net/net_rt.h"
#include "xp.h"
#include "xp_csv.h"
#include "xp_report.h"

/* Row of the predictions with (set, config, runtime), or 0. */
static size_t pred_row(const xp_csv *p, const char *set, const char *config, const char *runtime, const char *network)
{
    for (size_t r = 1; r < p->rows; r++)
        if (strcmp(xp_csv_get(p, r, "set"), set) == 0 && strcmp(xp_csv_get(p, r, "config"), config) == 0 &&
            strcmp(xp_csv_get(p, r, "runtime"), runtime) == 0 &&
            (!network || strcmp(xp_csv_get(p, r, "network"), network) == 0))
            return r;
    return 0;
}

static size_t fit_row(const xp_csv *t, const char *target)
{
    for (size_t r = 1; r < t->rows; r++)
        if (strcmp(xp_csv_get(t, r, "target"), target) == 0) return r;
    return 0;
}

static const char *mark(double err_pct, double tol) { return fabs(err_pct) <= tol ? "yes" : "**no**"; }

static void speedup_rows(FILE *f, const xp_csv *p, const char *set, int *hit, int *n)
{
    for (size_t r = 1; r < p->rows; r++) {
        if (strcmp(xp_csv_get(p, r, "set"), set) || strcmp(xp_csv_get(p, r, "runtime"), "lean") == 0) continue;
        const char *cfg = xp_csv_get(p, r, "config");
        size_t l = pred_row(p, set, cfg, "lean", NULL);
        double paper = xp_csv_num(p, r, "paper"), e = xp_csv_num(p, r, "err_pct");
        if (paper == 1.0) {
            fprintf(f, "| %s | 1 (baseline) | %.1f s | -- | %.1f s | -- | |\n", cfg, xp_csv_num(p, r, "latency_s"),
                    l ? xp_csv_num(p, l, "latency_s") : NAN);
            continue;
        }
        fprintf(f, "| %s | %.2f | %.1f s: **%.2f** | %+.1f%% | %.1f s: %.2f | %+.1f%% | %s |\n", cfg, paper,
                xp_csv_num(p, r, "latency_s"), xp_csv_num(p, r, "speedup"), e, l ? xp_csv_num(p, l, "latency_s") : NAN,
                l ? xp_csv_num(p, l, "speedup") : NAN, l ? xp_csv_num(p, l, "err_pct") : NAN, mark(e, 10));
        *hit += fabs(e) <= 10;
        (*n)++;
    }
}

void xp_report_deployed(FILE *f, const char *dir)
{
    char path[512];
    xp_csv fit, pred;
    snprintf(path, sizeof path, "%s/deployed_fit.csv", dir);
    int have_fit = xp_csv_load(&fit, path) == 0;
    snprintf(path, sizeof path, "%s/deployed_predictions.csv", dir);
    int have_pred = xp_csv_load(&pred, path) == 0;
    fprintf(f, "## The system as deployed: CrypTen over gloo (deployed-runtime model)\n\n");
    if (!have_fit || !have_pred || fit.rows < 2) {
        fprintf(f, "(results/deployed_fit.csv or results/deployed_predictions.csv missing: run `mpcsim fit-deployed`)\n\n");
        if (have_fit) xp_csv_free(&fit);
        if (have_pred) xp_csv_free(&pred);
        return;
    }
    double L = xp_csv_num(&fit, 1, "one_way_latency_s"), bw = xp_csv_num(&fit, 1, "bandwidth_bps");
    double hc = xp_csv_num(&fit, 1, "coll_overhead_s"), ho = xp_csv_num(&fit, 1, "op_overhead_s");
    fprintf(f,
            "Everything above predicts *our* implementation of CrypTen's protocols on a lean transport. The paper measured "
            "CrypTen itself. `--runtime crypten-gloo-gpu|cpu` (net/net_rt.h, one seam in the transport layer) models what "
            "CrypTen's communicator puts on the wire and on the host, from the public sources of CrypTen and gloo:\n\n"
            "- **all_reduce** (every opening; CrypTen reveals by `all_reduce`): gloo's two-rank ring -- the buffer in "
            "max(4, T / 1 MiB) segments, reduce-scatter then all-gather, two segments in flight; every segment waits for the "
            "receiver's RECV_READY notification (48-byte gloo preamble), so a small all_reduce costs **4 one-way latencies** "
            "where the lean transport pays 1, and carries 8 notifications and 4 data ops per side;\n"
            "- **one-way** (reveal to one party): broadcast pattern, SEND_READY / RECV_READY then one data op (2 latencies);\n"
            "- **host overhead per op call** (Python dispatch, tensor allocation, kernel launch), charged at every operator "
            "call, and per collective (c10d dispatch), plus the device-host copies around each collective on a GPU "
            "(12 GB/s, PCIe 3.0 x16 estimate);\n"
            "- **compute as CrypTen does it**: `profile:crypten-v100` (int64 split in 16-bit limbs, 16 fp64 products per "
            "ring MAC at 7.8 TFLOP/s: 2.4e11 MAC/s) and `profile:crypten-cpu` (PyTorch's BLAS-less int matmul, "
            "3e9 MAC/s, pytorch#72408).\n\n"
            "The dealer stays lean and offline: CrypTen's default provider (TFP), which the released benchmark uses, has no "
            "third party.\n\n");
    fprintf(f, "### The fit (4 parameters, 11 numbers)\n\n"
               "Fitted by `mpcsim fit-deployed` (weighted least squares on relative residuals) on the paper's per-operator "
               "total and communication times and the ~59 s baseline only: one-way latency **%.3f ms**, bandwidth **%.2f "
               "Gbit/s**, host overhead **%.2f ms per op call** and **%.3f ms per collective** (the free optimum was negative, "
               "so this bound is active: 3 parameters are effectively fitted).\n\n"
               "| target | paper (s) | fit (s) | residual |\n|---|---|---|---|\n",
            L * 1e3, bw * 1e-9, ho * 1e3, hc * 1e3);
    for (size_t r = 1; r < fit.rows; r++)
        fprintf(f, "| %s | %s | %.2f | %+.1f%% |\n", xp_csv_get(&fit, r, "target"), xp_csv_get(&fit, r, "paper_s"),
                xp_csv_num(&fit, r, "fit_s"), xp_csv_num(&fit, r, "residual_pct"));
    int hit = 0, n = 0;
    fprintf(f, "\n### Predicted speedups (not fitted)\n\n"
               "Deployed: fitted network, `crypten-gloo-gpu`, `profile:crypten-v100`. Lean: the `paper` network, lean "
               "transport, `profile:v100` (Tables 1 and 2). BatchNorm stand-in as measured; target: within 10%%.\n\n"
               "| IMDb, seq 512 | paper | deployed | error | lean | error | within 10%% |\n|---|---|---|---|---|---|---|\n");
    speedup_rows(f, &pred, "imdb", &hit, &n);
    fprintf(f, "\n| GLUE, seq 128 | paper | deployed | error | lean | error | within 10%% |\n|---|---|---|---|---|---|---|\n");
    speedup_rows(f, &pred, "glue", &hit, &n);
    fprintf(f, "\n**%d of %d speedups within 10%%.**", hit, n);
    /* Why the misses: the remainder after the approximated operators. */
    size_t q = pred_row(&pred, "imdb", "quad+2quad", "crypten-gloo-gpu", NULL);
    size_t fq = fit_row(&fit, "quad_total"), f2 = fit_row(&fit, "2quad_total"), fb = fit_row(&fit, "baseline_total");
    size_t gb = pred_row(&pred, "glue", "gelu-erf+softmax", "crypten-gloo-gpu", NULL);
    size_t gq = pred_row(&pred, "glue", "quad+2quad", "crypten-gloo-gpu", NULL);
    size_t ql = pred_row(&pred, "imdb", "quad+2quad", "lean", NULL);
    if (q && ql && fq && f2 && fb && gb && gq) {
        double lean_sp = xp_csv_num(&pred, ql, "speedup"), dep_sp = xp_csv_num(&pred, q, "speedup");
        double tq = xp_csv_num(&pred, q, "latency_s"), ops = xp_csv_num(&fit, fq, "fit_s") + xp_csv_num(&fit, f2, "fit_s");
        double implied = 59.0 / 5.26, paper_rest = implied - (0.5 + 3.2), rest = tq - ops;
        double T = (512.0 * 116 + 116 * 768) * 8; /* one of CrypTen's 250 embedding chunks: eps + delta */
        double cross, crit;
        net_rt_allreduce_cost((uint64_t)T, &cross, &crit);
        double chunk = cross * L + crit * 8 / bw + ho;
        fprintf(f,
                " Every miss is in the same direction: the approximated models are too fast. The paper implies %.1f s for "
                "Quad+2Quad at seq 512 (59 s / 5.26); its two operators take 3.7 s, so **%.1f s** is the rest of the model "
                "(embedding, linear layers, norms). We predict %.2f s, of which the fitted operators are %.2f s: our rest "
                "is **%.1f s**, %.1f s short. The fit itself shows the same hole: the baseline comes out %.1f s under 59 s "
                "(%+.1f%%) while the operators fit within a few percent. So the unmatched time is in the layers the "
                "figure does not isolate, and the per-operator figure cannot constrain it. Known candidates we do not "
                "model: CrypTen's embedding runs as 250 chunked matmuls (PAPER.md 6.2), each its own Beaver round -- "
                "about %.1f ms each here (%.0f latencies, %.1f MB, one op call), so ~%.1f s for the 249 extra; "
                "TFP's triple generation on the GPU (a product and three zero-sharings per Beaver op); and the "
                "per-op overhead of operators we count as one call. At seq 128 the same fixed remainder weighs more: "
                "GLUE's Quad+2Quad at 2.2x would be %.2f s against our %.2f s (%.1f s short), hence the larger GLUE "
                "misses. The lean model predicts %.2fx for Quad+2Quad: the runtime model closes %.0f%% of the lean "
                "model's gap to 5.26x, not all of it.\n\n",
                implied, paper_rest, tq, ops, rest, paper_rest - rest, 59 - xp_csv_num(&fit, fb, "fit_s"),
                xp_csv_num(&fit, fb, "residual_pct"), chunk * 1e3, cross, T * 1e-6, 249 * chunk,
                xp_csv_num(&pred, gb, "latency_s") / 2.2, xp_csv_num(&pred, gq, "latency_s"),
                xp_csv_num(&pred, gb, "latency_s") / 2.2 - xp_csv_num(&pred, gq, "latency_s"), lean_sp,
                100 * (lean_sp - dep_sp) / (lean_sp - 5.26));
    } else {
        fprintf(f, "\n\n");
    }
    /* PUMA */
    size_t pt = pred_row(&pred, "puma_time", "gelu-erf+softmax", "crypten-gloo-cpu", NULL);
    size_t pl = pred_row(&pred, "puma_time", "gelu-erf+softmax", "lean", NULL);
    size_t pw = pred_row(&pred, "puma_bytes_with_ttp", "gelu-erf+softmax", "crypten-gloo-cpu", NULL);
    size_t po = pred_row(&pred, "puma_bytes_without_ttp", "gelu-erf+softmax", "crypten-gloo-cpu", NULL);
    if (pt && pl && pw && po) {
        double e = xp_csv_num(&pred, pt, "err_pct"), ew = xp_csv_num(&pred, pw, "err_pct"),
               eo = xp_csv_num(&pred, po, "err_pct");
        fprintf(f,
                "### PUMA's re-measurement (predicted)\n\n"
                "PUMA (Dong et al., 2023, Table 3) ran MPCFormer's BERT-base without approximations, seq 128, 5 Gbit/s, "
                "about 1 ms RTT, on CPUs: **55.3 s, 12.09 GB**. Same model, `crypten-gloo-cpu` (no device copies), "
                "`profile:crypten-cpu`, the host overheads fitted above:\n\n"
                "| quantity | PUMA | deployed model | error | target | met |\n|---|---|---|---|---|---|\n"
                "| latency | 55.3 s | %.1f s | %+.1f%% | 20%% | %s |\n"
                "| bytes, with the TTP's material | 12.09 GB | %.2f GB | %+.1f%% | 5%% | %s |\n"
                "| bytes, without it | 12.09 GB | %.2f GB | %+.1f%% | 5%% | %s |\n"
                "| latency, lean model (`profile:zen5-2core`) | 55.3 s | %.1f s | %+.1f%% | | |\n\n"
                "Bytes are counted as CrypTen's communicator counts them on rank 0 (`_logging` in "
                "crypten/communicator/communicator.py): an all_reduce of n elements counts 2 x 8n bytes (sent and "
                "received), a broadcast received from the TTP counts 8n. The 5%% holds only **if PUMA's 12.09 GB includes "
                "the third party's material** (our dealer's %.2f GB to P0, as CrypTen's TTP provider would broadcast it); "
                "without it our count is %.1f%% off. PUMA's setup is not detailed enough to tell which; we assume the "
                "former. The latency is %s within 20%%: the CPU profile's numbers come from public issue reports "
                "on other machines, not from PUMA's 32-vCPU hosts.\n\n",
                xp_csv_num(&pred, pt, "latency_s"), e, mark(e, 20), xp_csv_num(&pred, pw, "crypten_bytes_p0") * 1e-9, ew,
                mark(ew, 5), xp_csv_num(&pred, po, "crypten_bytes_p0") * 1e-9, eo, mark(eo, 5),
                xp_csv_num(&pred, pl, "latency_s"), xp_csv_num(&pred, pl, "err_pct"),
                (xp_csv_num(&pred, pw, "crypten_bytes_p0") - xp_csv_num(&pred, po, "crypten_bytes_p0")) * 1e-9, eo,
                fabs(e) <= 20 ? "just" : "not");
    }
    /* What-if */
    fprintf(f, "### What if: MPCFormer on CrypTen as deployed, over other networks (seq 512)\n\n"
               "Same protocol, same bytes; the deployed column adds gloo's rendezvous and ring, the host overheads and "
               "CrypTen's compute. *runtime share* = (deployed - lean) / deployed: the part of the latency that is the "
               "runtime, not the protocol.\n\n"
               "| network | approximation | lean (s) | deployed (s) | runtime share |\n|---|---|---|---|---|\n");
    static const char *const nets[3][2] = {{"lan", "3 Gbit/s, 0.4 ms"}, {"metro", "1 Gbit/s, 2 ms"},
                                           {"wan", "200 Mbit/s, 20 ms"}};
    static const char *const cfgs[2] = {"gelu-erf+softmax", "quad+2quad"};
    for (int k = 0; k < 3; k++)
        for (int c = 0; c < 2; c++) {
            size_t d = pred_row(&pred, "whatif", cfgs[c], "crypten-gloo-gpu", nets[k][0]);
            size_t l = pred_row(&pred, "whatif", cfgs[c], "lean", nets[k][0]);
            if (!d || !l) continue;
            double td = xp_csv_num(&pred, d, "latency_s"), tl = xp_csv_num(&pred, l, "latency_s");
            fprintf(f, "| %s (%s) | %s | %.1f | %.1f | %.0f%% |\n", nets[k][0], nets[k][1], cfgs[c], tl, td,
                    100 * (td - tl) / td);
        }
    fprintf(f, "\nThe deployed column uses the fitted host overheads and `profile:crypten-v100`, the lean one "
               "`profile:v100`: the share is the runtime's (communicator, host, CrypTen's compute) and the rest the "
               "protocol's rounds and bytes.\n\n");
    xp_csv_free(&fit);
    xp_csv_free(&pred);
}

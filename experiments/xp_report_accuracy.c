/* xp_report_accuracy.c -- the report's accuracy section: results/accuracy.csv (scripts/accuracy.sh)
 * in the layout of the paper's IMDb table, accuracy measured under MPC, and the plot-ready
 * results/plot_accuracy.csv for plots/accuracy_latency.gp. */
#include <math.h>
#include <string.h>

#include "xp.h"
#include "xp_csv.h"
#include "xp_report.h"

static const char *const methods[4] = {"teacher", "wo_pd", "wo_d", "mpcformer"};

/* Row of accuracy.csv for (method, act, softmax), or 0. */
static size_t acc_row(const xp_csv *a, const char *method, const char *g, const char *s)
{
    for (size_t r = 1; r < a->rows; r++)
        if (strcmp(xp_csv_get(a, r, "method"), method) == 0 && strcmp(xp_csv_get(a, r, "act"), g) == 0 &&
            strcmp(xp_csv_get(a, r, "softmax"), s) == 0)
            return r;
    return 0;
}

/* Latency of the trained shape for (softmax, activation as run under MPC); NAN if absent. */
static double shape_latency(const xp_csv *l, const char *g, const char *s)
{
    for (size_t r = 1; r < l->rows; r++) {
        const char *lg = xp_csv_get(l, r, "gelu");
        int same = strcmp(lg, g) == 0 || (strncmp(g, "gelu", 4) == 0 && strncmp(lg, "gelu", 4) == 0);
        if (same && strcmp(xp_csv_get(l, r, "softmax"), s) == 0) return xp_csv_num(l, r, "latency_s");
    }
    return NAN;
}

static void pct(char *b, size_t n, const xp_csv *a, size_t r, const char *col)
{
    if (!r || !*xp_csv_get(a, r, col)) snprintf(b, n, "--");
    else snprintf(b, n, "%.1f", 100 * xp_csv_num(a, r, col));
}

void xp_report_accuracy(FILE *f, const char *dir, const xp_csv *p_imdb)
{
    char path[512];
    xp_csv a, l;
    fprintf(f, "## Accuracy: distillation in C, measured in plaintext and under MPC\n\n");
    snprintf(path, sizeof path, "%s/accuracy.csv", dir);
    FILE *probe = fopen(path, "r");
    if (!probe || (fclose(probe), xp_csv_load(&a, path) != 0)) {
        fprintf(f, "(%s missing: run `bash scripts/reproduce.sh --accuracy` or `bash scripts/accuracy.sh`)\n\n", path);
        return;
    }
    snprintf(path, sizeof path, "%s/accuracy_latency.csv", dir);
    probe = fopen(path, "r");
    if (!probe || (fclose(probe), xp_csv_load(&l, path) != 0)) memset(&l, 0, sizeof l);
    size_t t = acc_row(&a, "teacher", "gelu-erf", "softmax");
    if (!t) {
        fprintf(f, "(%s/accuracy.csv has no teacher row)\n\n", dir);
        xp_csv_free(&a), xp_csv_free(&l);
        return;
    }
    size_t q = acc_row(&a, "mpcformer", "quad", "2quad"), b = q ? q : t; /* a student's budget */
    fprintf(f,
            "Task: SpamAssassin (message bodies, deduplicated, split 80/10/10), %s test examples; model: %s layers, "
            "hidden %s, seq %s, trained in C (float32, OpenBLAS). The teacher trains %s epochs (%s optimiser steps); "
            "every student has the same budget of %s epochs (%s steps; MPCFormer: 1 epoch of stage 1, then stage 2); "
            "all keep their best dev checkpoint. The paper's numbers are BERT-base on IMDb; ours are a small model "
            "on a smaller, easier task, so compare the pattern, not the values.\n\n",
            xp_csv_get(&a, t, "examples"), xp_csv_get(&a, t, "layers"), xp_csv_get(&a, t, "hidden"),
            xp_csv_get(&a, t, "seq"), xp_csv_get(&a, t, "train_epochs"), xp_csv_get(&a, t, "train_steps"),
            xp_csv_get(&a, b, "train_epochs"), xp_csv_get(&a, b, "train_steps"));
    double lat0 = shape_latency(&l, "gelu", "softmax");
    fprintf(f, "### Test accuracy (%%, plaintext), in the layout of the paper's IMDb table\n\n"
               "| approximation | speedup (ours) | w/o{p,d} | w/o{d} | MPCFormer | %% of teacher | paper speedup | "
               "paper w/o{p,d} | paper w/o{d} | paper MPCBert-B |\n|---|---|---|---|---|---|---|---|---|---|\n");
    xp_out po;
    snprintf(path, sizeof path, "%s/plot_accuracy.csv", dir);
    int have_po = xp_out_open(&po, path) == 0;
    if (have_po)
        fprintf(po.f, "# From %s/accuracy.csv and accuracy_latency.csv (mpcsim report). latency_s: mpcsim infer of "
                      "the trained shape, network paper, compute profile:v100 (modeled); accuracies in %%.\n"
                      "approx,latency_s,teacher,wo_pd,wo_d,mpcformer\n", dir);
    double tacc = xp_csv_num(&a, t, "accuracy");
    for (int k = 0; k < 6; k++) {
        const char *g = xp_report_approx6[k][0], *s = xp_report_approx6[k][1];
        char name[64], sp[32], c[4][32], rel[32], pp[4][32];
        xp_report_pretty(g, s, name, sizeof name);
        double lat = shape_latency(&l, g, s);
        if (isnan(lat) || isnan(lat0)) snprintf(sp, sizeof sp, "n/a");
        else snprintf(sp, sizeof sp, "%.2fx", lat0 / lat);
        size_t rows[4];
        for (int m = 0; m < 4; m++) {
            rows[m] = k == 0 ? (m == 0 ? t : 0) : (m == 0 ? 0 : acc_row(&a, methods[m], g, s));
            pct(c[m], sizeof c[m], &a, rows[m], "accuracy");
        }
        size_t best = k == 0 ? t : rows[3];
        if (best) snprintf(rel, sizeof rel, "%.1f", 100 * xp_csv_num(&a, best, "accuracy") / tacc);
        else snprintf(rel, sizeof rel, "--");
        /* The paper's row: its CSV names GeLU "gelu". */
        const char *pg = strcmp(g, "gelu-erf") == 0 ? "gelu" : g;
        snprintf(pp[0], 32, "--"), snprintf(pp[1], 32, "--"), snprintf(pp[2], 32, "--"), snprintf(pp[3], 32, "--");
        for (size_t r = 1; p_imdb && r < p_imdb->rows; r++)
            if (strcmp(xp_csv_get(p_imdb, r, "gelu"), pg) == 0 && strcmp(xp_csv_get(p_imdb, r, "softmax"), s) == 0) {
                snprintf(pp[0], 32, "%sx", xp_csv_get(p_imdb, r, "speedup"));
                const char *cols[3] = {"acc_wo_pd", "acc_wo_d", "acc_mpcformer"};
                for (int m = 0; m < 3; m++) {
                    const char *v = xp_csv_get(p_imdb, r, cols[m]);
                    snprintf(pp[1 + m], 32, "%s", *v ? v : "--");
                }
            }
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, sp, c[1], c[2], k == 0 ? c[0] : c[3],
                rel, pp[0], pp[1], pp[2], pp[3]);
        if (have_po) {
            fprintf(po.f, "%s,%.6f", name, lat);
            for (int m = 0; m < 4; m++) {
                if (rows[m]) fprintf(po.f, ",%.2f", 100 * xp_csv_num(&a, rows[m], "accuracy"));
                else fprintf(po.f, ",");
            }
            fprintf(po.f, "\n");
        }
    }
    if (have_po && xp_out_close(&po) != 0) fprintf(stderr, "warning: %s/plot_accuracy.csv not written\n", dir);
    if (q) {
        double r = xp_csv_num(&a, q, "accuracy") / tacc;
        fprintf(f, "\nTarget: the Quad+2Quad MPCFormer student reaches at least 99%% of the teacher's accuracy: "
                   "**%.1f%%, %s**.\n", 100 * r, r >= 0.99 ? "met" : "not met");
    }
    fprintf(f, "\nSpeedup (ours): latency of GeLU+Softmax over the row's, for the trained shape at seq %s from "
               "`mpcsim infer` (network `paper`, compute `profile:v100`, modeled; GeLU in its tanh form, as run under "
               "MPC). The paper's speedups are BERT-base at seq 512.\n\n",
            xp_csv_get(&a, t, "seq"));
    fprintf(f, "![accuracy against latency](../plots/accuracy_latency.png)\n\n");

    /* ---- under MPC ---- */
    fprintf(f, "### Accuracy under MPC (real mode, the trained weights)\n\n"
               "Each example is one private inference in the simulator: P0 secret-shares the trained weights, P1 "
               "its tokens, f = %s fractional bits, the approximations as trained. Rescale constants per call site "
               "(LayerNorm's inv_sqrt shift, the attention reciprocal's K) are fitted to plaintext statistics of "
               "training examples (`%s`) and are public model metadata; they add no traffic. GeLU runs in its tanh "
               "form (CrypTen's erf series diverges beyond |x| ~ 2, PROTOCOLS.md 4.4). Not a claim of the paper, "
               "whose accuracies are plaintext only.\n\n"
               "| model | approximation | GeLU under MPC | examples under MPC | MPC accuracy | plaintext (same) | "
               "agreement | max abs logit error |\n|---|---|---|---|---|---|---|---|\n",
            xp_csv_get(&a, t, "frac_bits"), xp_csv_get(&a, t, "calibration"));
    static const char *const mname[4] = {"teacher", "w/o{p,d}", "w/o{d}", "MPCFormer"};
    size_t full = 0, full_agree_ok = 0;
    for (int m = 0; m < 4; m++)
        for (int k = 0; k < 6; k++) {
            size_t r = acc_row(&a, methods[m], xp_report_approx6[k][0], xp_report_approx6[k][1]);
            if (!r || !*xp_csv_get(&a, r, "mpc_examples")) continue;
            char name[64], c1[32], c2[32], c3[32];
            pct(c1, sizeof c1, &a, r, "mpc_accuracy");
            pct(c2, sizeof c2, &a, r, "plain_accuracy_same");
            pct(c3, sizeof c3, &a, r, "agreement");
            int whole = strcmp(xp_csv_get(&a, r, "mpc_examples"), xp_csv_get(&a, r, "examples")) == 0;
            if (whole) full++, full_agree_ok += xp_csv_num(&a, r, "agreement") >= 0.995;
            fprintf(f, "| %s | %s | %s | %s%s | %s | %s | %s | %.2g |\n", mname[m],
                    xp_report_pretty(xp_report_approx6[k][0], xp_report_approx6[k][1], name, sizeof name), xp_csv_get(&a, r, "mpc_act"),
                    xp_csv_get(&a, r, "mpc_examples"), whole ? " (all)" : "", c1, c2, c3,
                    xp_csv_num(&a, r, "max_abs_logit_error"));
        }
    fprintf(f, "\nTarget: MPC predictions agree with plaintext on at least 99.5%% of the test split: met by %zu of "
               "the %zu models run on the whole split.\n\n", full_agree_ok, full);
    xp_csv_free(&a), xp_csv_free(&l);
}

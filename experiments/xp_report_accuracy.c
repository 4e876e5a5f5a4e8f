/* xp_report_accuracy.c -- the derive step of the report's accuracy section: results/accuracy.csv
 * (scripts/accuracy.sh) in the layout of the paper's IMDb table, accuracy measured under MPC, and the
 * plot data results/plot_accuracy.csv for plots/accuracy_latency.gp. */
#include <math.h>
#include <string.h>

#include "xp.h"
#include "xp_report.h"
#include "xp_schema.h"

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

void xp_derive_accuracy(xp_facts *F, const char *dir, const xp_csv *p_imdb)
{
    char path[600], src[600];
    xp_csv a, l;
    snprintf(src, sizeof src, "%s/accuracy.csv", dir);
    xp_fact(F, "mpcsim report", "acc.path", "%s", src);
    int ok = xp_report_load_opt(&a, dir, "accuracy.csv") == 0;
    size_t t = ok ? acc_row(&a, "teacher", "gelu-erf", "softmax") : 0;
    xp_fact(F, "inputs", "have.acc", "%d", ok);
    xp_fact(F, "inputs", "have.acc.teacher", "%d", t != 0);
    if (!t) {
        xp_csv_free(&a);
        return;
    }
    xp_report_load_opt(&l, dir, "accuracy_latency.csv");
    size_t q = acc_row(&a, "mpcformer", "quad", "2quad"), b = q ? q : t; /* a student's budget */
    static const char *const tcols[] = {"examples", "layers", "hidden", "seq", "train_epochs", "train_steps", "frac_bits",
                                        "calibration"};
    char key[96];
    for (size_t k = 0; k < sizeof tcols / sizeof *tcols; k++) {
        snprintf(key, sizeof key, "acc.teacher.%s", tcols[k]);
        xp_fact(F, src, key, "%s", xp_csv_get(&a, t, tcols[k]));
    }
    xp_fact(F, src, "acc.student.train_epochs", "%s", xp_csv_get(&a, b, "train_epochs"));
    xp_fact(F, src, "acc.student.train_steps", "%s", xp_csv_get(&a, b, "train_steps"));
    double lat0 = shape_latency(&l, "gelu", "softmax");
    xp_out po;
    snprintf(path, sizeof path, "%s/plot_accuracy.csv", dir);
    xp_fact(F, "mpcsim report", "plot.accuracy_latency", "%s", path);
    int have_po = xp_out_open(&po, path) == 0;
    xp_rows w;
    if (have_po) {
        fprintf(po.f, "# From %s/accuracy.csv and accuracy_latency.csv (mpcsim report). latency_s: mpcsim infer of "
                      "the trained shape, network paper, compute profile:v100 (modeled); accuracies in %%.\n", dir);
        xp_rows_open(&w, po.f, &xp_schema_plot_accuracy, XP_ROWS_CSV);
    }
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
        size_t i = (size_t)k + 1;
        xp_fact_row(F, src, "acc", i, "approx", "%s", name);
        xp_fact_row(F, src, "acc", i, "speedup", "%s", sp);
        xp_fact_row(F, src, "acc", i, "wo_pd", "%s", c[1]);
        xp_fact_row(F, src, "acc", i, "wo_d", "%s", c[2]);
        xp_fact_row(F, src, "acc", i, "mpcformer", "%s", k == 0 ? c[0] : c[3]);
        xp_fact_row(F, src, "acc", i, "of_teacher", "%s", rel);
        xp_fact_row(F, "paper/paper_imdb.csv", "acc", i, "paper_speedup", "%s", pp[0]);
        xp_fact_row(F, "paper/paper_imdb.csv", "acc", i, "paper_wo_pd", "%s", pp[1]);
        xp_fact_row(F, "paper/paper_imdb.csv", "acc", i, "paper_wo_d", "%s", pp[2]);
        xp_fact_row(F, "paper/paper_imdb.csv", "acc", i, "paper_mpcformer", "%s", pp[3]);
        if (have_po) {
            xp_rows_str(&w, "approx", name);
            xp_rows_real(&w, "latency_s", lat);
            for (int m = 0; m < 4; m++)
                if (rows[m]) xp_rows_real(&w, methods[m], 100 * xp_csv_num(&a, rows[m], "accuracy"));
            xp_rows_end(&w);
        }
    }
    xp_fact_count(F, "acc", 6);
    if (have_po && xp_out_close(&po) != 0) fprintf(stderr, "warning: %s/plot_accuracy.csv not written\n", dir);
    xp_fact(F, "inputs", "have.acc.q2q", "%d", q != 0);
    if (q) {
        double r = xp_csv_num(&a, q, "accuracy") / tacc;
        xp_fact(F, src, "acc.q2q_of_teacher_pct", "%.1f", 100 * r);
        xp_fact(F, src, "acc.q2q_target", "%s", r >= 0.99 ? "met" : "not met");
    }
    /* Under MPC. */
    size_t full = 0, full_agree_ok = 0, n = 0;
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
            n++;
            /* "w/o{p,d}" has a comma, which a fact cannot hold: a flag per method, the template names it. */
            char flag[32];
            snprintf(flag, sizeof flag, "is_%s", methods[m]);
            xp_fact_row(F, src, "mpc", n, flag, "1");
            xp_fact_row(F, src, "mpc", n, "approx", "%s",
                        xp_report_pretty(xp_report_approx6[k][0], xp_report_approx6[k][1], name, sizeof name));
            xp_fact_row(F, src, "mpc", n, "mpc_act", "%s", xp_csv_get(&a, r, "mpc_act"));
            xp_fact_row(F, src, "mpc", n, "examples", "%s%s", xp_csv_get(&a, r, "mpc_examples"), whole ? " (all)" : "");
            xp_fact_row(F, src, "mpc", n, "mpc_accuracy", "%s", c1);
            xp_fact_row(F, src, "mpc", n, "plain_accuracy", "%s", c2);
            xp_fact_row(F, src, "mpc", n, "agreement", "%s", c3);
            xp_fact_row(F, src, "mpc", n, "max_logit_err", "%.2g", xp_csv_num(&a, r, "max_abs_logit_error"));
        }
    xp_fact_count(F, "mpc", n);
    xp_fact(F, src, "acc.full_agree_ok", "%zu", full_agree_ok);
    xp_fact(F, src, "acc.full", "%zu", full);
    xp_csv_free(&a), xp_csv_free(&l);
}

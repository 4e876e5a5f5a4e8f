/* xp_report_deployed.c -- the derive step of the report's deployed-runtime section (issue 17): the fit
 * to the paper's per-operator figure and its ablation, the predicted speedups beside the paper and the
 * lean model, PUMA's re-measurement, and the deployed-vs-lean network what-if, as facts (dep.*). From
 * results/deployed_fit.csv and results/deployed_predictions.csv (`mpcsim fit-deployed`). */
#include <math.h>
#include <string.h>

#include "xp.h"
#include "xp_csv.h"
#include "xp_report.h"

/* Row of the predictions with (set, config, network), or 0. */
static size_t pred_row(const xp_csv *p, const char *set, const char *config, const char *network)
{
    for (size_t r = 1; r < p->rows; r++)
        if (strcmp(xp_csv_get(p, r, "set"), set) == 0 && strcmp(xp_csv_get(p, r, "config"), config) == 0 &&
            strcmp(xp_csv_get(p, r, "network"), network) == 0)
            return r;
    return 0;
}

static const char *met(double err_pct, double tol) { return fabs(err_pct) <= tol ? "yes" : "**no**"; }

/* Percent without a negative zero ("-0.0"). */
static double pct(double v) { return fabs(v) < 0.05 ? 0.0 : v; }

/* The ablation's misses: how many are too fast, and by how many seconds against the paper's speedup
 * applied to the ablation's own baseline (min and max). */
typedef struct misses {
    int n, fast;
    double lo, hi;
} misses;

/* The speedup rows of one set (imdb, glue): the model's, the lean model's and the ablation's. */
static void speedups(xp_facts *F, const char *src, const xp_csv *p, const char *set, int *hit, int *abl_hit, int *n,
                     double *worst, char *worst_cfg, size_t wn, misses *am)
{
    size_t i = 0;
    double abase = NAN;
    for (size_t r = 1; r < p->rows; r++)
        if (strcmp(xp_csv_get(p, r, "set"), set) == 0 && strcmp(xp_csv_get(p, r, "network"), "fitted-ablation-no-matmul") == 0 &&
            xp_csv_num(p, r, "paper") == 1.0)
            abase = xp_csv_num(p, r, "latency_s");
    for (size_t r = 1; r < p->rows; r++) {
        if (strcmp(xp_csv_get(p, r, "set"), set) || strcmp(xp_csv_get(p, r, "network"), "fitted")) continue;
        const char *cfg = xp_csv_get(p, r, "config");
        size_t l = pred_row(p, set, cfg, "paper"), a = pred_row(p, set, cfg, "fitted-ablation-no-matmul");
        double paper = xp_csv_num(p, r, "paper"), e = xp_csv_num(p, r, "err_pct");
        int base = paper == 1.0;
        char list[32];
        snprintf(list, sizeof list, "dep.%s", set);
        i++;
        xp_fact_row(F, src, list, i, "config", "%s", cfg);
        xp_fact_row(F, src, list, i, "base", "%d", base);
        xp_fact_row(F, src, list, i, "paper", "%.2f", paper);
        xp_fact_row(F, src, list, i, "latency_s", "%.1f", xp_csv_num(p, r, "latency_s"));
        xp_fact_row(F, src, list, i, "speedup", "%.2f", xp_csv_num(p, r, "speedup"));
        xp_fact_row(F, src, list, i, "err_pct", "%+.1f", e);
        xp_fact_row(F, src, list, i, "lean_latency_s", "%.1f", l ? xp_csv_num(p, l, "latency_s") : NAN);
        xp_fact_row(F, src, list, i, "lean_speedup", "%.2f", l ? xp_csv_num(p, l, "speedup") : NAN);
        xp_fact_row(F, src, list, i, "lean_err_pct", "%+.1f", l ? xp_csv_num(p, l, "err_pct") : NAN);
        xp_fact_row(F, src, list, i, "abl_speedup", "%.2f", a ? xp_csv_num(p, a, "speedup") : NAN);
        xp_fact_row(F, src, list, i, "abl_err_pct", "%+.1f", a ? xp_csv_num(p, a, "err_pct") : NAN);
        xp_fact_row(F, src, list, i, "met", "%s", base ? "" : met(e, 10));
        if (base) continue;
        (*n)++;
        *hit += fabs(e) <= 10;
        *abl_hit += a && fabs(xp_csv_num(p, a, "err_pct")) <= 10;
        if (a && fabs(xp_csv_num(p, a, "err_pct")) > 10) {
            double short_s = abase / paper - xp_csv_num(p, a, "latency_s");
            am->n++;
            am->fast += xp_csv_num(p, a, "err_pct") > 0;
            am->lo = am->n == 1 ? short_s : fmin(am->lo, short_s);
            am->hi = am->n == 1 ? short_s : fmax(am->hi, short_s);
        }
        if (fabs(e) > *worst) *worst = fabs(e), snprintf(worst_cfg, wn, "%s %s", set, cfg);
    }
    char key[32];
    snprintf(key, sizeof key, "dep.%s", set);
    xp_fact_count(F, key, i);
}

void xp_derive_deployed(xp_facts *F, const char *dir)
{
    xp_csv fit, pred;
    char sf[600], sp[600];
    snprintf(sf, sizeof sf, "%s/deployed_fit.csv", dir);
    snprintf(sp, sizeof sp, "%s/deployed_predictions.csv", dir);
    xp_report_load_opt(&fit, dir, "deployed_fit.csv");
    xp_report_load_opt(&pred, dir, "deployed_predictions.csv");
    int ok = fit.rows > 1 && pred.rows > 1;
    xp_fact(F, "inputs", "have.dep", "%d", ok);
    if (!ok) {
        xp_csv_free(&fit), xp_csv_free(&pred);
        return;
    }
    /* The fit and its ablation (rows fit = model / ablation-no-matmul, the same targets in order). */
    size_t m0 = 0, a0 = 0, nt = 0;
    for (size_t r = 1; r < fit.rows; r++) {
        const char *w = xp_csv_get(&fit, r, "fit");
        if (strcmp(w, "model") == 0 && !m0) m0 = r;
        if (strcmp(w, "ablation-no-matmul") == 0 && !a0) a0 = r;
        nt += strcmp(w, "model") == 0;
    }
    CHECK(m0 && a0, "%s has both fits", sf);
    xp_fact_num(F, sf, "dep.latency_ms", "%.3f", xp_csv_num(&fit, m0, "one_way_latency_s") * 1e3);
    xp_fact_num(F, sf, "dep.bandwidth_gbps", "%.2f", xp_csv_num(&fit, m0, "bandwidth_bps") * 1e-9);
    xp_fact_num(F, sf, "dep.op_ms", "%.2f", xp_csv_num(&fit, m0, "op_overhead_s") * 1e3);
    xp_fact_num(F, sf, "dep.matmul_ms", "%.2f", xp_csv_num(&fit, m0, "matmul_overhead_s") * 1e3);
    xp_fact_num(F, sf, "dep.coll_ms", "%.3f", xp_csv_num(&fit, m0, "coll_overhead_s") * 1e3);
    xp_fact(F, sf, "dep.coll_bound", "%d", xp_csv_num(&fit, m0, "coll_overhead_s") == 0);
    xp_fact(F, sf, "dep.ntargets", "%zu", nt);
    xp_fact_num(F, sf, "dep.abl.latency_ms", "%.3f", xp_csv_num(&fit, a0, "one_way_latency_s") * 1e3);
    xp_fact_num(F, sf, "dep.abl.bandwidth_gbps", "%.2f", xp_csv_num(&fit, a0, "bandwidth_bps") * 1e-9);
    xp_fact_num(F, sf, "dep.abl.op_ms", "%.2f", xp_csv_num(&fit, a0, "op_overhead_s") * 1e3);
    double worst_fit = 0;
    for (size_t i = 0; i < nt; i++) {
        size_t r = m0 + i, a = a0 + i;
        const char *tg = xp_csv_get(&fit, r, "target");
        xp_fact_row(F, sf, "dep.fit", i + 1, "target", "%s", tg);
        xp_fact_row(F, sf, "dep.fit", i + 1, "paper_s", "%s", xp_csv_get(&fit, r, "paper_s"));
        xp_fact_row(F, sf, "dep.fit", i + 1, "fit_s", "%.2f", xp_csv_num(&fit, r, "fit_s"));
        xp_fact_row(F, sf, "dep.fit", i + 1, "residual_pct", "%+.1f", pct(xp_csv_num(&fit, r, "residual_pct")));
        xp_fact_row(F, sf, "dep.fit", i + 1, "abl_fit_s", "%.2f", xp_csv_num(&fit, a, "fit_s"));
        xp_fact_row(F, sf, "dep.fit", i + 1, "abl_residual_pct", "%+.1f", pct(xp_csv_num(&fit, a, "residual_pct")));
        xp_fact_row(F, sf, "dep.fit", i + 1, "matmul_calls", "%s", xp_csv_get(&fit, r, "matmul_calls"));
        if (strcmp(tg, "baseline_total") == 0) {
            xp_fact(F, sf, "dep.baseline_matmuls", "%s", xp_csv_get(&fit, r, "matmul_calls"));
            xp_fact_num(F, sf, "dep.abl.baseline_residual_pct", "%+.1f", pct(xp_csv_num(&fit, a, "residual_pct")));
            xp_fact_num(F, sf, "dep.baseline_residual_pct", "%+.1f", pct(xp_csv_num(&fit, r, "residual_pct")));
        } else {
            worst_fit = fmax(worst_fit, fabs(xp_csv_num(&fit, r, "residual_pct")));
        }
    }
    xp_fact_count(F, "dep.fit", nt);
    xp_fact_num(F, sf, "dep.fit_worst_pct", "%.1f", worst_fit);

    /* Speedups. */
    int hit = 0, abl = 0, n = 0;
    double worst = 0;
    char wcfg[96] = "";
    misses am = {0, 0, 0, 0};
    speedups(F, sp, &pred, "imdb", &hit, &abl, &n, &worst, wcfg, sizeof wcfg, &am);
    speedups(F, sp, &pred, "glue", &hit, &abl, &n, &worst, wcfg, sizeof wcfg, &am);
    xp_fact(F, sp, "dep.abl.misses", "%d", am.n);
    xp_fact(F, sp, "dep.abl.misses_all_fast", "%d", am.n > 0 && am.fast == am.n);
    xp_fact_num(F, sp, "dep.abl.short_lo_s", "%.1f", am.n ? am.lo : NAN);
    xp_fact_num(F, sp, "dep.abl.short_hi_s", "%.1f", am.n ? am.hi : NAN);
    xp_fact(F, sp, "dep.hits", "%d", hit);
    xp_fact(F, sp, "dep.n", "%d", n);
    xp_fact(F, sp, "dep.all_met", "%d", hit == n);
    xp_fact(F, sp, "dep.abl.hits", "%d", abl);
    xp_fact_num(F, sp, "dep.worst_pct", "%.1f", worst);
    xp_fact(F, sp, "dep.worst_config", "%s", wcfg);

    /* PUMA. */
    size_t pt = pred_row(&pred, "puma_time", "gelu-erf+softmax", "5gbit-1msrtt");
    size_t pw = pred_row(&pred, "puma_bytes_with_ttp", "gelu-erf+softmax", "5gbit-1msrtt");
    size_t po = pred_row(&pred, "puma_bytes_without_ttp", "gelu-erf+softmax", "5gbit-1msrtt");
    size_t pl = 0;
    for (size_t r = 1; r < pred.rows; r++)
        if (strcmp(xp_csv_get(&pred, r, "set"), "puma_time") == 0 && strcmp(xp_csv_get(&pred, r, "runtime"), "lean") == 0)
            pl = r;
    xp_fact(F, sp, "have.dep.puma", "%d", pt && pw && po && pl && pt != pl);
    if (pt && pw && po && pl && pt != pl) {
        double e = xp_csv_num(&pred, pt, "err_pct"), ew = xp_csv_num(&pred, pw, "err_pct");
        double eo = xp_csv_num(&pred, po, "err_pct");
        double bw = xp_csv_num(&pred, pw, "crypten_bytes_p0"), bo = xp_csv_num(&pred, po, "crypten_bytes_p0");
        xp_fact_num(F, sp, "dep.puma.latency_s", "%.1f", xp_csv_num(&pred, pt, "latency_s"));
        xp_fact_num(F, sp, "dep.puma.err_pct", "%+.1f", e);
        xp_fact(F, sp, "dep.puma.met", "%s", met(e, 20));
        xp_fact_num(F, sp, "dep.puma.gb_ttp", "%.2f", bw * 1e-9);
        xp_fact_num(F, sp, "dep.puma.err_ttp_pct", "%+.1f", ew);
        xp_fact(F, sp, "dep.puma.met_ttp", "%s", met(ew, 5));
        xp_fact_num(F, sp, "dep.puma.gb_nottp", "%.2f", bo * 1e-9);
        xp_fact_num(F, sp, "dep.puma.err_nottp_pct", "%+.1f", eo);
        xp_fact(F, sp, "dep.puma.met_nottp", "%s", met(eo, 5));
        xp_fact_num(F, sp, "dep.puma.ttp_gb", "%.2f", (bw - bo) * 1e-9);
        xp_fact_num(F, sp, "dep.puma.lean_latency_s", "%.1f", xp_csv_num(&pred, pl, "latency_s"));
        xp_fact_num(F, sp, "dep.puma.lean_err_pct", "%+.1f", xp_csv_num(&pred, pl, "err_pct"));
    }

    /* What-if: deployed against lean on named networks. */
    static const char *const nets[3][2] = {{"lan", "3 Gbit/s / 0.4 ms"}, {"metro", "1 Gbit/s / 2 ms"},
                                           {"wan", "200 Mbit/s / 20 ms"}};
    static const char *const cfgs[2] = {"gelu-erf+softmax", "quad+2quad"};
    size_t k = 0;
    for (int a = 0; a < 3; a++)
        for (int c = 0; c < 2; c++) {
            size_t d = 0, l = 0;
            for (size_t r = 1; r < pred.rows; r++) {
                if (strcmp(xp_csv_get(&pred, r, "set"), "whatif") || strcmp(xp_csv_get(&pred, r, "config"), cfgs[c]) ||
                    strcmp(xp_csv_get(&pred, r, "network"), nets[a][0]))
                    continue;
                if (strcmp(xp_csv_get(&pred, r, "runtime"), "lean") == 0) l = r;
                else d = r;
            }
            if (!d || !l) continue;
            double td = xp_csv_num(&pred, d, "latency_s"), tl = xp_csv_num(&pred, l, "latency_s");
            k++;
            xp_fact_row(F, sp, "dep.whatif", k, "network", "%s (%s)", nets[a][0], nets[a][1]);
            xp_fact_row(F, sp, "dep.whatif", k, "config", "%s", cfgs[c]);
            xp_fact_row(F, sp, "dep.whatif", k, "lean_s", "%.1f", tl);
            xp_fact_row(F, sp, "dep.whatif", k, "deployed_s", "%.1f", td);
            xp_fact_row(F, sp, "dep.whatif", k, "share_pct", "%.0f", 100 * (td - tl) / td);
        }
    xp_fact_count(F, "dep.whatif", k);
    xp_csv_free(&fit), xp_csv_free(&pred);
}

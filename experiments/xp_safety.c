/* xp_safety.c -- see xp_safety.h. */
#include "xp_safety.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/chk.h"
#include "../common/rng.h"

#include "../models/sbert.h"
#include "../protocols/mpc_tags.h"
#include "xp_csv.h"
#include "xp_report.h"

/* Smallest p with P(X >= k | p) >= a (increasing in p), or largest p with P(X <= k | p) >= a. */
static double bisect(size_t k, size_t n, double a, int upper)
{
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        double v = upper ? gsl_cdf_binomial_P((unsigned)k, mid, (unsigned)n) : gsl_cdf_binomial_Q((unsigned)(k - 1), mid, (unsigned)n);
        /* upper: P(X <= k) decreases with p; lower: P(X >= k) increases. */
        if (upper ? v > a : v < a) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

void xp_clopper_pearson(size_t k, size_t n, double conf, double *lo, double *hi)
{
    double a = (1.0 - conf) / 2;
    if (n == 0) {
        *lo = 0.0, *hi = 1.0;
        return;
    }
    *lo = k == 0 ? 0.0 : bisect(k, n, a, 0);
    *hi = k == n ? 1.0 : bisect(k, n, a, 1);
}

void xp_audit_where(char *buf, size_t len, const mpc_audit_event *e)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < e->ntags && used + 1 < len; i++) {
        int t = e->tags[i];
        const char *name = t >= MPC_TAG_FIRST ? mpc_tag_name(t) : sbert_tag_name(t);
        char num[16];
        if (!name) snprintf(num, sizeof num, "tag%d", t), name = num;
        int w = snprintf(buf + used, len - used, "%s%s", used ? "/" : "", name);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (!buf[0]) snprintf(buf, len, "?");
}

void xp_stress_inputs(tfm_encoded *out, const tfm_encoded *like, size_t n, int V, uint64_t seed)
{
    int T = like->T;
    CHECK(like->n > 0 && T >= 3 && V > 0, "stress inputs need a non-empty split with T >= 3");
    memset(out, 0, sizeof *out);
    out->n = n, out->T = T;
    out->ids = chk_malloc(n * (size_t)T * sizeof *out->ids);
    out->mask = chk_malloc(n * (size_t)T * sizeof *out->mask);
    out->label = chk_malloc(n * sizeof *out->label);
    int cls = like->ids[0], sep = like->ids[0];
    for (int t = 0; t < T; t++)
        if (like->mask[t]) sep = like->ids[t];
    rng g;
    rng_seed(&g, seed, 0x57e55);
    for (size_t k = 0; k < n; k++) {
        int len = 3 + (int)(rng_u64(&g) % (uint64_t)(T - 2));
        int *ids = out->ids + k * (size_t)T;
        uint8_t *m = out->mask + k * (size_t)T;
        for (int t = 0; t < T; t++) {
            m[t] = t < len;
            ids[t] = t == 0 ? cls : t == len - 1 ? sep : t < len ? (int)(rng_u64(&g) % (uint64_t)V) : 0;
        }
        out->label[k] = 0;
    }
}

/* ---- the report's derive step ---- */

/* Rows of the same checkpoint, inputs, sequence length and truncation (slices of one split, chunks of
 * one stress run) are added up: counts summed, the interval recomputed, p_fail_mean weighted by the
 * inferences. */
static int same_run(const xp_csv *e, size_t a, size_t b)
{
    const char *keys[] = {"weights", "split", "seq", "trunc"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        if (strcmp(xp_csv_get(e, a, keys[k]), xp_csv_get(e, b, keys[k])) != 0) return 0;
    return 1;
}

static int stress_row(const xp_csv *e, size_t r) { return strcmp(xp_csv_get(e, r, "split"), "stress") == 0; }

static void derive_eval(xp_facts *F, const char *src, const xp_csv *e)
{
    size_t i = 0;
    double safe_n = 0, safe_k = 0, pipe_n = 0, pipe_k = 0;
    size_t pipe_models = 0; /* accuracy-pipeline checkpoints (runs/accuracy/) with a whole-split safe run */
    for (size_t r = 1; r < e->rows; r++) {
        int seen = 0;
        for (size_t q = 1; q < r && !seen; q++) seen = same_run(e, q, r);
        if (seen) continue;
        double n = 0, k = 0, agree = 0, err = 0, pf = 0, pfmax = 0;
        size_t parts = 0;
        for (size_t q = r; q < e->rows; q++) {
            if (!same_run(e, q, r)) continue;
            double nq = xp_csv_num(e, q, "mpc_examples");
            n += nq, k += xp_csv_num(e, q, "catastrophic"), agree += nq * xp_csv_num(e, q, "agreement");
            pf += nq * xp_csv_num(e, q, "p_fail_mean");
            err = fmax(err, xp_csv_num(e, q, "max_abs_logit_error"));
            pfmax = fmax(pfmax, xp_csv_num(e, q, "p_fail_max"));
            parts++;
        }
        double lo, hi;
        xp_clopper_pearson((size_t)k, (size_t)n, 0.95, &lo, &hi);
        int safe = strcmp(xp_csv_get(e, r, "trunc"), "safe") == 0;
        if (safe) safe_n += n, safe_k += k;
        i++;
        if (safe && !stress_row(e, r) && n >= xp_csv_num(e, r, "examples") &&
            strncmp(xp_csv_get(e, r, "weights"), "runs/accuracy/", 14) == 0)
            pipe_models++, pipe_n += n, pipe_k += k;
        xp_fact_row(F, src, "safety.eval", i, "model", "%s %s+%s (L%s H%s seq %s)", xp_csv_get(e, r, "method"),
                    xp_csv_get(e, r, "mpc_act"), xp_csv_get(e, r, "softmax"), xp_csv_get(e, r, "layers"), xp_csv_get(e, r, "hidden"),
                    xp_csv_get(e, r, "seq"));
        int stress = stress_row(e, r);
        xp_fact_row(F, src, "safety.eval", i, "inputs", "%s%s", xp_csv_get(e, r, "split"),
                    stress                                   ? ""
                    : n >= xp_csv_num(e, r, "examples") ? " (whole split)"
                                                             : " (first examples only)");
        xp_fact_row(F, src, "safety.eval", i, "trunc", "%s", xp_csv_get(e, r, "trunc"));
        xp_fact_row(F, src, "safety.eval", i, "parts", "%zu", parts);
        xp_fact_row(F, src, "safety.eval", i, "inferences", "%.0f", n);
        xp_fact_row(F, src, "safety.eval", i, "agreement", "%.4f", n > 0 ? agree / n : 0.0);
        xp_fact_row(F, src, "safety.eval", i, "max_err", "%.3g", err);
        xp_fact_row(F, src, "safety.eval", i, "catastrophic", "%.0f", k);
        xp_fact_row(F, src, "safety.eval", i, "rate", "%.2g", n > 0 ? k / n : 0.0);
        xp_fact_row(F, src, "safety.eval", i, "ci_lo", "%.2g", lo);
        xp_fact_row(F, src, "safety.eval", i, "ci_hi", "%.2g", hi);
        xp_fact_row(F, src, "safety.eval", i, "p_fail_mean", "%.2g", n > 0 ? pf / n : 0.0);
        xp_fact_row(F, src, "safety.eval", i, "p_fail_max", "%.2g", pfmax);
        xp_fact_row(F, src, "safety.eval", i, "expected", "%.2g", pf);
    }
    xp_fact_count(F, "safety.eval", i);
    double lo, hi;
    xp_clopper_pearson((size_t)safe_k, (size_t)safe_n, 0.95, &lo, &hi);
    xp_fact(F, src, "safety.safe.inferences", "%.0f", safe_n);
    xp_fact(F, src, "safety.safe.catastrophic", "%.0f", safe_k);
    xp_fact(F, src, "safety.safe.ci_hi", "%.2g", hi);
    xp_clopper_pearson((size_t)pipe_k, (size_t)pipe_n, 0.95, &lo, &hi);
    xp_fact(F, src, "safety.pipeline.models", "%zu", pipe_models);
    xp_fact(F, src, "safety.pipeline.inferences", "%.0f", pipe_n);
    xp_fact(F, src, "safety.pipeline.catastrophic", "%.0f", pipe_k);
    xp_fact(F, src, "safety.pipeline.ci_hi", "%.2g", hi);
}

static void derive_real(xp_facts *F, const char *src, const xp_csv *b)
{
    double bb_safe = -1;
    for (size_t r = 1; r < b->rows; r++) {
        xp_fact_row(F, src, "safety.real", r, "model", "%s seq %s", xp_csv_get(b, r, "model"), xp_csv_get(b, r, "seq"));
        xp_fact_row(F, src, "safety.real", r, "approx", "%s+%s", xp_csv_get(b, r, "gelu"), xp_csv_get(b, r, "softmax"));
        xp_fact_row(F, src, "safety.real", r, "trunc", "%s", xp_csv_get(b, r, "trunc"));
        xp_fact_row(F, src, "safety.real", r, "p_fail", "%.3g", xp_csv_num(b, r, "p_fail"));
        xp_fact_row(F, src, "safety.real", r, "wraps", "%s", xp_csv_get(b, r, "wraps"));
        xp_fact_row(F, src, "safety.real", r, "domain", "%s", xp_csv_get(b, r, "domain"));
        xp_fact_row(F, src, "safety.real", r, "max_err", "%.3g", xp_csv_num(b, r, "max_abs_logit_err"));
        if (strcmp(xp_csv_get(b, r, "model"), "bert-base") == 0 && strcmp(xp_csv_get(b, r, "trunc"), "safe") == 0)
            bb_safe = fmax(bb_safe, xp_csv_num(b, r, "p_fail"));
    }
    xp_fact_count(F, "safety.real", b->rows ? b->rows - 1 : 0);
    xp_fact(F, "inputs", "have.safety.bert_base", "%d", bb_safe >= 0);
    if (bb_safe >= 0) {
        xp_fact(F, src, "safety.bert_base.p_fail_safe", "%.3g", bb_safe);
        xp_fact(F, src, "safety.bert_base.target", "%s", bb_safe < 1e-9 ? "met" : "not met");
    }
}

static void derive_latency(xp_facts *F, const char *src, const xp_csv *l)
{
    size_t i = 0;
    for (size_t r = 1; r < l->rows; r++) {
        if (strcmp(xp_csv_get(l, r, "trunc"), "local") != 0) continue;
        for (size_t s = 1; s < l->rows; s++) {
            if (strcmp(xp_csv_get(l, s, "trunc"), "safe") != 0) continue;
            const char *keys[] = {"model", "seq", "gelu", "softmax", "norm", "net"};
            int same = 1;
            for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
                same &= strcmp(xp_csv_get(l, r, keys[k]), xp_csv_get(l, s, keys[k])) == 0;
            if (!same) continue;
            double a = xp_csv_num(l, r, "latency_s"), b = xp_csv_num(l, s, "latency_s");
            i++;
            xp_fact_row(F, src, "safety.lat", i, "model", "%s seq %s", xp_csv_get(l, r, "model"), xp_csv_get(l, r, "seq"));
            xp_fact_row(F, src, "safety.lat", i, "approx", "%s+%s (%s)", xp_csv_get(l, r, "gelu"),
                        xp_csv_get(l, r, "softmax"), xp_csv_get(l, r, "norm"));
            xp_fact_row(F, src, "safety.lat", i, "net", "%s", xp_csv_get(l, r, "net"));
            xp_fact_row(F, src, "safety.lat", i, "local_s", "%.2f", a);
            xp_fact_row(F, src, "safety.lat", i, "safe_s", "%.2f", b);
            xp_fact_row(F, src, "safety.lat", i, "cost_pct", "+%.0f%%", 100 * (b / a - 1));
            xp_fact_row(F, src, "safety.lat", i, "rounds_local", "%s", xp_csv_get(l, r, "rounds"));
            xp_fact_row(F, src, "safety.lat", i, "rounds_safe", "%s", xp_csv_get(l, s, "rounds"));
            xp_fact_row(F, src, "safety.lat", i, "mb_local", "%.0f", xp_csv_num(l, r, "online_sent_bytes_p0") * 1e-6);
            xp_fact_row(F, src, "safety.lat", i, "mb_safe", "%.0f", xp_csv_num(l, s, "online_sent_bytes_p0") * 1e-6);
            xp_fact_row(F, src, "safety.lat", i, "dealer_local", "%.0f", xp_csv_num(l, r, "dealer_bytes") * 1e-6);
            xp_fact_row(F, src, "safety.lat", i, "dealer_safe", "%.0f", xp_csv_num(l, s, "dealer_bytes") * 1e-6);
        }
    }
    xp_fact_count(F, "safety.lat", i);
}

void xp_derive_safety(xp_facts *F, const char *dir)
{
    xp_fact(F, "experiments/xp_safety.h", "safety.threshold", "%g", XP_CATASTROPHIC_LOGIT_ERR);
    static const char *const names[3] = {"safety_eval.csv", "safety_real.csv", "safety_latency.csv"};
    static const char *const have[3] = {"have.safety.eval", "have.safety.real", "have.safety.lat"};
    static const char *const pathkey[3] = {"safety.eval_path", "safety.real_path", "safety.lat_path"};
    for (int k = 0; k < 3; k++) {
        char src[600];
        snprintf(src, sizeof src, "%s/%s", dir, names[k]);
        xp_fact(F, "mpcsim report", pathkey[k], "%s", src);
        xp_csv t;
        int ok = xp_report_load_opt(&t, dir, names[k]) == 0;
        xp_fact(F, "inputs", have[k], "%d", ok);
        if (!ok) {
            if (k == 1) xp_fact(F, "inputs", "have.safety.bert_base", "0");
            continue;
        }
        if (k == 0) derive_eval(F, src, &t);
        else if (k == 1) derive_real(F, src, &t);
        else derive_latency(F, src, &t);
        xp_csv_free(&t);
    }
}

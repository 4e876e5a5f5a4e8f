/* xp_report_valinfer.c -- the derive step's whole-inference validation (issue 16, part 6): private
 * inferences in real mode over real TCP on the emulated links of scripts/validate.sh (INFER=1,
 * results/validation_infer.csv) against the simulator's packet link model with the compute profiles
 * calibrated on the measuring machine (results/validation_infer_compute.csv). Facts valinf.*. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/chk.h"
#include "../netmodel/nm.h"
#include "xp_report.h"

/* The compute models of the rows, as validate.sh names them, and their fact keys. */
enum { NCM = 3 };
static const char *const cm_name[NCM] = {"profile:cpu", "profile:host", "zero"};
static const char *const cm_key[NCM] = {"cpu", "host", "zero"};

static const double target_median = 0.10, target_worst = 0.20;

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double row_err(const xp_csv *v, size_t r)
{
    double m = xp_csv_num(v, r, "measured_s");
    return (xp_csv_num(v, r, "predicted_s") - m) / m;
}

/* Rows a and b are the same measurement (approximations, link, congestion control). */
static int same_run(const xp_csv *v, size_t a, size_t b)
{
    static const char *const key[] = {"gelu", "softmax", "bandwidth_bps", "one_way_latency_s", "congestion"};
    for (int k = 0; k < 5; k++)
        if (strcmp(xp_csv_get(v, a, key[k]), xp_csv_get(v, b, key[k]))) return 0;
    return 1;
}

static void link_facts(xp_facts *F, const char *src, const xp_csv *v, size_t r, const char *key)
{
    char bw[32], lat[32], k[96];
    nm_format_bandwidth(bw, sizeof bw, strtoull(xp_csv_get(v, r, "bandwidth_bps"), NULL, 10));
    nm_format_duration(lat, sizeof lat, llround(xp_csv_num(v, r, "one_way_latency_s") * 1e9));
    snprintf(k, sizeof k, "%s.bw", key), xp_fact(F, src, k, "%s", bw);
    snprintf(k, sizeof k, "%s.lat", key), xp_fact(F, src, k, "%s", lat);
}

/* The calibration (validation_infer_compute.csv): one row per approximation set, and both scales. */
static void derive_calibration(xp_facts *F, const char *dir)
{
    xp_csv c;
    char src[600], buf[64];
    snprintf(src, sizeof src, "%s/validation_infer_compute.csv", dir);
    int ok = xp_report_load_opt(&c, dir, "validation_infer_compute.csv") == 0 && c.rows >= 2 &&
             xp_csv_col(&c, "scale_cpu") >= 0 && xp_csv_col(&c, "scale_host") >= 0;
    xp_fact(F, "inputs", "have.valinf_cal", "%d", ok);
    for (size_t r = 1; ok && r < c.rows; r++) {
        xp_fact_row(F, src, "valcal", r, "approx", "%s",
                    xp_report_pretty(xp_csv_get(&c, r, "gelu"), xp_csv_get(&c, r, "softmax"), buf, sizeof buf));
        xp_fact_row(F, src, "valcal", r, "cpu_s", "%.3f", xp_csv_num(&c, r, "cpu_s"));
        xp_fact_row(F, src, "valcal", r, "cpu_range", "%.3f-%.3f", xp_csv_num(&c, r, "cpu_min_s"), xp_csv_num(&c, r, "cpu_max_s"));
        xp_fact_row(F, src, "valcal", r, "zen5_s", "%.3f", xp_csv_num(&c, r, "zen5_compute_s"));
        xp_fact_row(F, src, "valcal", r, "cpu_fit_s", "%.3f", xp_csv_num(&c, r, "cpu_fit_s"));
        xp_fact_row(F, src, "valcal", r, "loop_s", "%.2f", xp_csv_num(&c, r, "loopback_s"));
        xp_fact_row(F, src, "valcal", r, "loop_range", "%.2f-%.2f", xp_csv_num(&c, r, "loopback_min_s"),
                    xp_csv_num(&c, r, "loopback_max_s"));
        xp_fact_row(F, src, "valcal", r, "loop_zero_s", "%.3f", xp_csv_num(&c, r, "loopback_zero_s"));
        xp_fact_row(F, src, "valcal", r, "loop_fit_s", "%.2f", xp_csv_num(&c, r, "loopback_fit_s"));
    }
    xp_fact_count(F, "valcal", ok ? c.rows - 1 : 0);
    if (ok) {
        xp_fact(F, src, "valinf.scale_cpu", "%.2f", xp_csv_num(&c, 1, "scale_cpu"));
        xp_fact(F, src, "valinf.scale_host", "%.1f", xp_csv_num(&c, 1, "scale_host"));
        xp_fact(F, src, "valinf.cal_reps", "%s", xp_csv_get(&c, 1, "reps"));
    }
    xp_csv_free(&c);
}

void xp_derive_validation_infer(xp_facts *F, const char *dir)
{
    xp_csv v;
    char src[600], key[96], buf[64];
    snprintf(src, sizeof src, "%s/validation_infer.csv", dir);
    int ok = xp_report_load_opt(&v, dir, "validation_infer.csv") == 0 && v.rows >= 2 &&
             xp_csv_col(&v, "compute_model") >= 0 && xp_csv_col(&v, "predicted_s") >= 0 && xp_csv_col(&v, "measured_s") >= 0;
    xp_fact(F, "inputs", "have.valinf", "%d", ok);
    derive_calibration(F, dir);
    if (!ok) {
        xp_csv_free(&v);
        return;
    }
    xp_fact(F, src, "valinf.model", "%s", xp_csv_get(&v, 1, "model"));
    xp_fact(F, src, "valinf.seq", "%s", xp_csv_get(&v, 1, "seq"));
    xp_fact(F, src, "valinf.reps", "%s", xp_csv_get(&v, 1, "reps"));
    xp_fact(F, "target", "valinf.target_median_pct", "%.0f", 100 * target_median);
    xp_fact(F, "target", "valinf.target_worst_pct", "%.0f", 100 * target_worst);
    /* Per compute model: |error| statistics over its rows and the worst row. */
    double *e = chk_malloc(v.rows * sizeof *e);
    for (int m = 0; m < NCM; m++) {
        size_t n = 0, worst = 0, under = 0;
        double sum = 0;
        for (size_t r = 1; r < v.rows; r++) {
            if (strcmp(xp_csv_get(&v, r, "compute_model"), cm_name[m])) continue;
            double a = fabs(row_err(&v, r));
            if (n == 0 || a > fabs(row_err(&v, worst))) worst = r;
            e[n++] = a, sum += a;
            under += row_err(&v, r) < 0;
        }
        snprintf(key, sizeof key, "have.valinf.%s", cm_key[m]);
        xp_fact(F, "inputs", key, "%d", n > 0);
        if (!n) continue;
        qsort(e, n, sizeof *e, cmp_dbl);
        double med = n % 2 ? e[n / 2] : (e[n / 2 - 1] + e[n / 2]) / 2;
#define K(field) (snprintf(key, sizeof key, "valinf.%s.%s", cm_key[m], field), key)
        xp_fact(F, src, K("points"), "%zu", n);
        xp_fact(F, src, K("under"), "%zu", under);
        xp_fact(F, src, K("median_pct"), "%.1f", 100 * med);
        xp_fact(F, src, K("mean_pct"), "%.1f", 100 * sum / (double)n);
        xp_fact(F, src, K("worst_pct"), "%.1f", 100 * e[n - 1]);
        xp_fact(F, src, K("holds"), "%s", med <= target_median && e[n - 1] <= target_worst ? "holds" : "does not hold");
        xp_fact(F, src, K("worst_approx"), "%s",
                xp_report_pretty(xp_csv_get(&v, worst, "gelu"), xp_csv_get(&v, worst, "softmax"), buf, sizeof buf));
        xp_fact(F, src, K("worst_cc"), "%s", xp_csv_get(&v, worst, "congestion"));
        xp_fact(F, src, K("worst_sign"), "%s", row_err(&v, worst) < 0 ? "under" : "over");
#undef K
        snprintf(key, sizeof key, "valinf.%s.worst", cm_key[m]);
        link_facts(F, src, &v, worst, key);
    }
    free(e);
    /* One table row per measurement (approximations, link, congestion control). */
    size_t n = 0;
    for (size_t r = 1; r < v.rows; r++) {
        int first = 1;
        for (size_t q = 1; q < r && first; q++) first = !same_run(&v, q, r);
        if (!first) continue;
        n++;
        xp_fact_row(F, src, "valinfpt", n, "approx", "%s",
                    xp_report_pretty(xp_csv_get(&v, r, "gelu"), xp_csv_get(&v, r, "softmax"), buf, sizeof buf));
        snprintf(key, sizeof key, "valinfpt.%zu", n);
        link_facts(F, src, &v, r, key);
        xp_fact_row(F, src, "valinfpt", n, "cc", "%s", xp_csv_get(&v, r, "congestion"));
        xp_fact_row(F, src, "valinfpt", n, "rounds", "%s", xp_csv_get(&v, r, "rounds"));
        xp_fact_row(F, src, "valinfpt", n, "mb", "%.1f", xp_csv_num(&v, r, "online_sent_bytes_p0") / 1e6);
        xp_fact_row(F, src, "valinfpt", n, "measured_s", "%.2f", xp_csv_num(&v, r, "measured_s"));
        xp_fact_row(F, src, "valinfpt", n, "range", "%.2f-%.2f", xp_csv_num(&v, r, "measured_min_s"),
                    xp_csv_num(&v, r, "measured_max_s"));
        for (int m = 0; m < NCM; m++) {
            char fs[32], fe[32], fc[32];
            snprintf(fs, sizeof fs, "%s_s", cm_key[m]), snprintf(fe, sizeof fe, "%s_err", cm_key[m]);
            snprintf(fc, sizeof fc, "%s_compute_s", cm_key[m]);
            size_t q = 0;
            for (size_t t = r; t < v.rows && !q; t++)
                if (same_run(&v, t, r) && strcmp(xp_csv_get(&v, t, "compute_model"), cm_name[m]) == 0) q = t;
            if (q) {
                xp_fact_row(F, src, "valinfpt", n, fs, "%.2f", xp_csv_num(&v, q, "predicted_s"));
                xp_fact_row(F, src, "valinfpt", n, fc, "%.2f", xp_csv_num(&v, q, "predicted_compute_s"));
                xp_fact_row(F, src, "valinfpt", n, fe, "%+.1f%%", 100 * row_err(&v, q));
            } else {
                xp_fact_row(F, src, "valinfpt", n, fs, "n/a");
                xp_fact_row(F, src, "valinfpt", n, fc, "n/a");
                xp_fact_row(F, src, "valinfpt", n, fe, "n/a");
            }
        }
    }
    xp_fact_count(F, "valinfpt", n);
    xp_csv_free(&v);
}

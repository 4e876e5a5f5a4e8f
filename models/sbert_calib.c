/* sbert_calib.c -- per-call-site rescale constants from plaintext statistics. See sbert.h. */
#include "sbert.h"

#include <math.h>
#include <string.h>

#include "../common/chk.h"
#include "tfm_train.h"

static void range_init(sbert_range *r)
{
    r->lo = INFINITY, r->hi = 0;
}

static void range_add(sbert_range *r, double v)
{
    r->lo = fmin(r->lo, v), r->hi = fmax(r->hi, v);
}

void sbert_stats_collect(sbert_stats *st, const tfm_config *m, const tfm_params *p, const int *ids,
                         const uint8_t *mask, size_t n, int T, double ln_eps)
{
    CHECK(m->L <= SBERT_MAX_LAYERS, "statistics cover %d layers, the model has %d", SBERT_MAX_LAYERS, m->L);
    const int L = m->L, NH = m->NH;
    memset(st, 0, sizeof *st);
    for (int i = 0; i < SBERT_LN_SITES; i++) range_init(&st->ln_var[i]);
    for (int i = 0; i < SBERT_MAX_LAYERS; i++) range_init(&st->row_sum[i]);
    tfm_acts a;
    tfm_acts_alloc(&a, m, 1, T);
    for (size_t k = 0; k < n; k++) {
        const uint8_t *mk = mask + k * (size_t)T;
        tfm_train_forward(m, p, &a, ids + k * (size_t)T, NULL, mk, 1, 0.0, NULL);
        /* The protocol normalises every row, padding included: v + eps = 1/rstd^2 - eps_model + eps. */
        for (int t = 0; t < T; t++) {
            double r = a.emb_rstd[t];
            range_add(&st->ln_var[0], 1.0 / (r * r) - m->ln_eps + ln_eps);
        }
        for (int l = 0; l < L; l++)
            for (int t = 0; t < T; t++) {
                double r1 = a.ln1_rstd[(size_t)l * T + t], r2 = a.ln2_rstd[(size_t)l * T + t];
                range_add(&st->ln_var[1 + 2 * l], 1.0 / (r1 * r1) - m->ln_eps + ln_eps);
                range_add(&st->ln_var[2 + 2 * l], 1.0 / (r2 * r2) - m->ln_eps + ln_eps);
            }
        for (size_t i = 0; i < (size_t)L * T * m->F; i++) st->act_in_max = fmax(st->act_in_max, fabs(a.hpre[i]));
        for (int l = 0; l < L; l++)
            for (int h = 0; h < NH; h++)
                for (int t = 0; t < T; t++) {
                    const float *srow = a.scores + (((size_t)l * NH + h) * T + t) * T;
                    double mx = -INFINITY, sum = 0;
                    for (int u = 0; u < T; u++)
                        if (mk[u]) mx = fmax(mx, srow[u]), st->score_max = fmax(st->score_max, fabs(srow[u]));
                    for (int u = 0; u < T; u++) {
                        if (!mk[u]) continue;
                        double x = srow[u];
                        sum += m->attn == TFM_ATTN_SOFTMAX ? exp(x - mx)
                               : m->attn == TFM_ATTN_2QUAD ? (x + m->quad2_c) * (x + m->quad2_c)
                                                            : (x > 0 ? x : 0);
                    }
                    range_add(&st->row_sum[l], sum);
                }
    }
    st->examples = n;
    tfm_acts_free(&a);
}

/* The integer nearest to log_b(x), clamped to [-20, 20]. */
static int log_round(double x, double b)
{
    double k = floor(log(x) / log(b) + 0.5);
    return k < -20 ? -20 : k > 20 ? 20 : (int)k;
}

void sbert_calib_fit(sbert_calib *cal, const tfm_config *m, const sbert_stats *st)
{
    memset(cal, 0, sizeof *cal);
    /* inv_sqrt is within 0.5% on 0.1..150 (4.3): centre sqrt(0.1 * 150) ~ 3.9. */
    const double ln_centre = sqrt(0.1 * 150.0);
    for (int i = 0; i < 1 + 2 * m->L && i < SBERT_LN_SITES; i++) {
        const sbert_range *r = &st->ln_var[i];
        if (!(r->hi > 0) || !(r->lo > 0)) continue;
        cal->ln_shift[i] = log_round(sqrt(r->lo * r->hi) / ln_centre, 4.0);
    }
    /* The reciprocal's output keeps most bits near S/K ~ 1. A row sum of 0 (2ReLU on an all-negative
     * row) has no scale: use the upper end. */
    for (int l = 0; l < m->L && l < SBERT_MAX_LAYERS; l++) {
        const sbert_range *r = &st->row_sum[l];
        if (!(r->hi > 0)) continue;
        double lo = r->lo > 0 ? r->lo : r->hi / 64;
        double K = ldexp(1.0, log_round(sqrt(lo * r->hi), 2.0));
        cal->recip_scale[l] = K;
        cal->recip_wide[l] = m->attn != TFM_ATTN_SOFTMAX && (!(r->lo >= 0.1 * K) || r->hi > 10 * K);
    }
}

void sbert_calib_print(FILE *f, const tfm_config *m, const sbert_calib *cal, const sbert_stats *st)
{
    fprintf(f, "calibration over %zu examples: |activation input| <= %.3g, |unmasked score| <= %.3g\n", st->examples,
            st->act_in_max, st->score_max);
    for (int i = 0; i < 1 + 2 * m->L && i < SBERT_LN_SITES; i++) {
        const sbert_range *r = &st->ln_var[i];
        double s = ldexp(1.0, -2 * cal->ln_shift[i]);
        char site[32];
        if (i == 0) snprintf(site, sizeof site, "embedding");
        else snprintf(site, sizeof site, "layer %d norm%d", (i - 1) / 2, 1 + (i - 1) % 2);
        fprintf(f, "  LayerNorm %-16s variance %.3g .. %.3g  shift k = %+d  -> inv_sqrt sees %.3g .. %.3g (window 0.1..150)\n",
                site, r->lo, r->hi, cal->ln_shift[i], r->lo * s, r->hi * s);
    }
    for (int l = 0; l < m->L && l < SBERT_MAX_LAYERS; l++) {
        const sbert_range *r = &st->row_sum[l];
        double K = cal->recip_scale[l];
        if (cal->recip_wide[l])
            fprintf(f, "  %s layer %d row sums %.3g .. %.3g  outside [0.1, 10] K (K = %g) -> range-normalised "
                       "reciprocal (accurate for 2^-16..2^18)\n", tfm_attn_name(m->attn), l, r->lo, r->hi, K);
        else
            fprintf(f, "  %s layer %d row sums %.3g .. %.3g  K = %g  -> reciprocal sees %.3g .. %.3g (accurate ~2^-6..2^4)\n",
                    tfm_attn_name(m->attn), l, r->lo, r->hi, K, K > 0 ? r->lo / K : 0, K > 0 ? r->hi / K : 0);
    }
}

/* test_sbert.c -- the secure encoder on tiny configurations: reconstructed logits against the
 * plaintext forward of the same weights for every activation x attention x norm combination; real and
 * phantom traces identical; one encoder layer's measured cost equals the sum of its ops' closed forms,
 * and the whole forward's cost equals sbert_cost (offline and inline schedules). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "../models/sbert.h"
#include "../protocols/mpc_audit.h"
#include "../runtime/rt_infer.h"
#include "testutil.h"

/* Weights with magnitudes where fixed point has room: embeddings ~N(0, 0.5^2) (so the embedding
 * LayerNorm sees a variance inside inv_sqrt's window), other matrices ~N(0, 0.1^2), LayerNorm gammas
 * 1 +- 0.2, biases +-0.1, BatchNorm running stats mu +-0.1, var in [0.5, 1.5]. */
static void init_weights(tfm_params *w, const tfm_config *m, uint64_t seed)
{
    tfm_params_init(w, m, seed);
    size_t nt = tfm_tensor_count(m);
    tfm_tensor *t = malloc(nt * sizeof *t);
    tfm_tensor_table(m, w, t);
    rng r;
    rng_seed(&r, seed, 99);
    for (size_t i = 0; i < nt; i++) {
        size_t n = t[i].shape[0] * (t[i].ndim == 2 ? t[i].shape[1] : 1);
        int emb = strstr(t[i].name, "embeddings") && t[i].ndim == 2;
        for (size_t j = 0; j < n; j++) {
            float *x = &t[i].data[j];
            if (t[i].ndim == 2) *x *= emb ? 25.0f : 5.0f;
            else if (strstr(t[i].name, "running_var")) *x = (float)rng_range(&r, 0.5, 1.5);
            else if (strstr(t[i].name, "LayerNorm.weight")) *x = (float)rng_range(&r, 0.8, 1.2);
            else *x = (float)rng_range(&r, -0.1, 0.1); /* biases, LayerNorm betas, running means */
        }
    }
    free(t);
}

typedef struct run_out {
    rt_result res;
    double logits[16];
    float ref[16];
} run_out;

static void party(mpc_ctx *c, void *arg) { sbert_forward(c, arg); }

/* How a run departs from the plain one: public key mask, calibration constants, a weight reshaper. */
typedef struct run_how {
    const uint8_t *keymask;
    const sbert_calib *calib;
    void (*reshape)(tfm_params *w, const tfm_config *m);
} run_how;

static void run_model_how(const tfm_config *m, int T, const run_how *how, const mpc_config *cfg, int phantom,
                          tu_trace *tr, run_out *o);
static void run_model(const tfm_config *m, int T, const mpc_config *cfg, int phantom, tu_trace *tr, run_out *o)
{
    run_how how = {0};
    run_model_how(m, T, &how, cfg, phantom, tr, o);
}

static void run_model_masked(const tfm_config *m, int T, const uint8_t *keymask, const mpc_config *cfg, int phantom,
                             tu_trace *tr, run_out *o)
{
    run_how how = {keymask, NULL, NULL};
    run_model_how(m, T, &how, cfg, phantom, tr, o);
}

static void run_model_how(const tfm_config *m, int T, const run_how *how, const mpc_config *cfg, int phantom,
                          tu_trace *tr, run_out *o)
{
    const uint8_t *keymask = how->keymask;
    tfm_params w;
    memset(&w, 0, sizeof w);
    int *tokens = malloc((size_t)T * sizeof *tokens);
    rng r;
    rng_seed(&r, 5, 5);
    for (int t = 0; t < T; t++) tokens[t] = 1 + (int)(rng_u64(&r) % (uint64_t)(m->V - 1));
    sbert_job j[2];
    memset(j, 0, sizeof j);
    for (int i = 0; i < 2; i++) j[i].model = m, j[i].T = T, j[i].keymask = keymask, j[i].calib = how->calib;
    if (!phantom) {
        tfm_params_alloc(&w, m);
        init_weights(&w, m, 11);
        if (how->reshape) how->reshape(&w, m);
        j[NET_P0].w = &w;
        j[NET_P1].tokens = tokens;
        j[NET_P1].logits = o->logits;
        tfm_forward(m, &w, tokens, NULL, keymask, 1, T, o->ref, NULL, NULL);
    }
    rt_sim_opts so = tu_session(cfg, phantom, 3);
    if (tr) {
        so.trace[0] = tu_trace_sink;
        so.trace_ud[0] = tr;
    }
    void *args[2] = {&j[0], &j[1]};
    cr_assert_eq(rt_sim_run(&so, party, args, &o->res), 0);
    tfm_params_free(&w);
    free(tokens);
}

static mpc_config mpc_for(const tfm_config *m)
{
    mpc_config c;
    mpc_config_default(&c);
    c.quad_a = m->quad_a, c.quad_b = m->quad_b, c.quad_c = m->quad_c, c.quad2_c = m->quad2_c;
    return c;
}

Test(sbert, real_logits_match_plaintext_for_every_combination, .timeout = 900)
{
    /* Tolerance: 2e-3 absolute on logits of magnitude ~0.2-0.3 (measured errors 4e-5 to 1.1e-3). The
     * fixed-point error budget is CrypTen's limit exp in softmax, the Newton iterations of reciprocal
     * and inv_sqrt (< 0.5% in their windows) and f = 16 resolution (1.5e-5). One documented exception:
     * 2ReLU behind the BatchNorm stand-in meets rows whose relu sums are tiny (< 1e-3), below the
     * reciprocal's converged domain (PROTOCOLS.md 4.2), measured 0.017 with GeLU: allowed 0.03. */
    for (int act = 0; act < 4; act++)
        for (int attn = 0; attn < 3; attn++)
            for (int norm = 0; norm < 2; norm++) {
                tfm_config m;
                cr_assert_eq(tfm_config_named(&m, "bert-tiny"), TFM_OK);
                m.act = act, m.attn = attn, m.norm = norm;
                mpc_config cfg = mpc_for(&m);
                run_out o;
                run_model(&m, 8, &cfg, 0, NULL, &o);
                double e = 0, mag = 0;
                for (int k = 0; k < m.NL; k++) {
                    e = fmax(e, fabs(o.logits[k] - o.ref[k]));
                    mag = fmax(mag, fabs(o.ref[k]));
                }
                if (getenv("MPCSIM_TEST_VERBOSE")) fprintf(stderr, "%s+%s+%s: err %.3g mag %.3g\n", tfm_act_name(act), tfm_attn_name(attn), tfm_norm_name(norm), e, mag);
                double tol = attn == TFM_ATTN_2RELU && norm == TFM_NORM_BATCHNORM ? 0.03 : 2e-3;
                cr_expect(e < tol, "%s+%s+%s: max abs logit error %g (logits up to %g)", tfm_act_name(act),
                          tfm_attn_name(attn), tfm_norm_name(norm), e, mag);
                cr_expect(mag > 0.05, "logits are not trivially small (%g)", mag);
            }
}

Test(sbert, padding_mask_matches_the_plaintext_mask, .timeout = 300)
{
    /* 10 tokens, the last 7 padding: the public key mask must give the plaintext model's logits
     * (softmax: additive -1e4 in float, zeroed after exp in MPC; 2Quad: zeroed after squaring), and
     * differ from the unmasked run. */
    uint8_t mask[10] = {1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
    for (int attn = 0; attn < 3; attn += 2) {
        tfm_config m;
        cr_assert_eq(tfm_config_named(&m, "bert-tiny"), TFM_OK);
        m.act = TFM_ACT_GELU_TANH, m.attn = attn;
        mpc_config cfg = mpc_for(&m);
        run_out o, u;
        run_model_masked(&m, 10, mask, &cfg, 0, NULL, &o);
        run_model_masked(&m, 10, NULL, &cfg, 0, NULL, &u);
        double e = 0, d = 0;
        for (int k = 0; k < m.NL; k++) {
            e = fmax(e, fabs(o.logits[k] - o.ref[k]));
            d = fmax(d, fabs(o.ref[k] - u.ref[k]));
        }
        if (getenv("MPCSIM_TEST_VERBOSE")) fprintf(stderr, "%s: err %g, mask effect %g\n", tfm_attn_name(attn), e, d);
        cr_expect(e < 2e-3, "%s with padding: max abs logit error %g", tfm_attn_name(attn), e);
        cr_expect(d > 5 * e && d > 2e-3, "the mask must matter more than the MPC error (%g vs %g)", d, e);
    }
}

Test(sbert, phantom_and_real_traces_are_identical, .timeout = 600)
{
    static const int combos[][3] = {{TFM_ACT_GELU_TANH, TFM_ATTN_SOFTMAX, TFM_NORM_LAYERNORM},
                                    {TFM_ACT_QUAD, TFM_ATTN_2QUAD, TFM_NORM_BATCHNORM},
                                    {TFM_ACT_RELU, TFM_ATTN_2RELU, TFM_NORM_LAYERNORM}};
    for (size_t k = 0; k < 6; k++) { /* each combination under --trunc local, then safe */
        tfm_config m;
        cr_assert_eq(tfm_config_named(&m, "bert-tiny"), TFM_OK);
        m.act = combos[k % 3][0], m.attn = combos[k % 3][1], m.norm = combos[k % 3][2];
        mpc_config cfg = mpc_for(&m);
        cfg.dealer_schedule = MPC_DEALER_INLINE;
        cfg.trunc = k < 3 ? MPC_TRUNC_LOCAL : MPC_TRUNC_SAFE;
        tu_trace a = {0}, b = {0};
        run_out ra, rb;
        run_model(&m, 6, &cfg, 0, &a, &ra);
        run_model(&m, 6, &cfg, 1, &b, &rb);
        cr_assert_eq(a.n, b.n, "message counts differ: %zu vs %zu", a.n, b.n);
        for (size_t i = 0; i < a.n; i++) {
            const net_trace_rec *x = &a.rec[i], *y = &b.rec[i];
            cr_assert(x->src == y->src && x->dst == y->dst && x->bytes == y->bytes && x->tag == y->tag &&
                          x->label == y->label && x->t_send == y->t_send && x->t_arrive == y->t_arrive,
                      "combo %zu: message %zu differs", k, i);
        }
        cr_expect_eq(ra.res.latency_ns, rb.res.latency_ns);
        tu_trace_free(&a), tu_trace_free(&b);
    }
}

/* Trained-model magnitudes (as measured on the SpamAssassin students): embeddings 20x smaller than
 * init_weights, so the embedding LayerNorm sees variances ~1e-3, below inv_sqrt's window; query/key
 * weights 4x larger, so scores reach ~15 and 2Quad row sums ~1e3. */
static void trained_like(tfm_params *w, const tfm_config *m)
{
    size_t VC = (size_t)m->V * m->C, PC = (size_t)m->P * m->C, CC = (size_t)m->C * m->C;
    for (size_t i = 0; i < VC; i++) w->wte[i] *= 0.05f;
    for (size_t i = 0; i < PC; i++) w->wpe[i] *= 0.05f;
    for (size_t i = 0; i < (size_t)m->TT * m->C; i++) w->wtt[i] *= 0.05f;
    for (int l = 0; l < m->L; l++)
        for (size_t i = 0; i < CC; i++) w->layer[l].wq[i] *= 4.0f, w->layer[l].wk[i] *= 4.0f;
}

Test(sbert, calib_fit_centres_each_site_in_its_window)
{
    tfm_config m;
    cr_assert_eq(tfm_config_named(&m, "bert-tiny"), TFM_OK);
    sbert_stats st;
    memset(&st, 0, sizeof st);
    st.ln_var[0] = (sbert_range){1e-3, 4e-3}; /* sqrt(4e-6)/sqrt(15) = 5.2e-4 = 4^-5.46 -> k = -5 */
    st.ln_var[1] = (sbert_range){0.5, 8.0};   /* 2/3.87 = 4^-0.48 -> 0 */
    st.ln_var[2] = (sbert_range){400, 2000};  /* 894/3.87 = 4^3.93 -> +4 */
    st.row_sum[0] = (sbert_range){700, 1e4};  /* sqrt = 2646 = 2^11.37 -> K = 2048 */
    st.row_sum[1] = (sbert_range){0, 64};     /* an all-zero row: lo taken as hi/64 = 1 -> sqrt 8 -> K = 8 */
    sbert_calib cal;
    sbert_calib_fit(&cal, &m, &st);
    cr_expect_eq(cal.ln_shift[0], -5);
    cr_expect_eq(cal.ln_shift[1], 0);
    cr_expect_eq(cal.ln_shift[2], 4);
    cr_expect_eq(cal.recip_scale[0], 2048.0);
    cr_expect_eq(cal.recip_scale[1], 8.0);
    cr_expect_eq(cal.ln_shift[3], 0, "sites without statistics keep the global value");
    cr_expect(!cal.recip_wide[0] && !cal.recip_wide[1], "softmax never takes the range-normalised reciprocal");
    /* 2ReLU: layer 0's sums 0.0014..250 (K = 2^-1: 0.0028..500 K) leave [0.1, 10] K, layer 1's 1..64
     * (K = 8: 0.125..8) stay inside; an all-negative row (lo = 0) always leaves it. */
    m.attn = TFM_ATTN_2RELU;
    st.row_sum[0] = (sbert_range){0.0014, 250};
    st.row_sum[1] = (sbert_range){1, 64};
    st.row_sum[2] = (sbert_range){0, 64};
    m.L = 3;
    sbert_calib_fit(&cal, &m, &st);
    cr_expect(cal.recip_wide[0] && !cal.recip_wide[1] && cal.recip_wide[2], "wide: %d %d %d", cal.recip_wide[0],
              cal.recip_wide[1], cal.recip_wide[2]);
}

Test(sbert, calibration_restores_accuracy_on_trained_magnitudes, .timeout = 600)
{
    /* With trained-like magnitudes the global constants fail (inv_sqrt far outside its window at the
     * embedding; 2Quad sums at the edge of the reciprocal's), the calibrated run matches plaintext;
     * calibration is local, so the traffic is identical message for message. */
    tfm_config m;
    cr_assert_eq(tfm_config_named(&m, "bert-tiny"), TFM_OK);
    m.act = TFM_ACT_QUAD, m.attn = TFM_ATTN_2QUAD;
    mpc_config cfg = mpc_for(&m);
    const int T = 8, n = 6;
    tfm_params w;
    tfm_params_alloc(&w, &m);
    init_weights(&w, &m, 11);
    trained_like(&w, &m);
    int *ids = malloc((size_t)(n * T) * sizeof *ids);
    uint8_t *mask = malloc((size_t)(n * T));
    rng r;
    rng_seed(&r, 8, 8);
    for (int i = 0; i < n * T; i++) ids[i] = 1 + (int)(rng_u64(&r) % (uint64_t)(m.V - 1)), mask[i] = 1;
    sbert_stats st;
    sbert_stats_collect(&st, &m, &w, ids, mask, (size_t)n, T, cfg.ln_eps);
    sbert_calib cal;
    sbert_calib_fit(&cal, &m, &st);
    if (getenv("MPCSIM_TEST_VERBOSE")) sbert_calib_print(stderr, &m, &cal, &st);
    cr_expect(cal.ln_shift[0] <= -3, "embedding variances ~1e-3 need k <= -3 (got %d, variance %g..%g)",
              cal.ln_shift[0], st.ln_var[0].lo, st.ln_var[0].hi);
    tfm_params_free(&w);
    free(ids), free(mask);
    run_how plain = {NULL, NULL, trained_like}, calibrated = {NULL, &cal, trained_like};
    tu_trace ta = {0}, tb = {0};
    run_out a, b;
    run_model_how(&m, T, &plain, &cfg, 0, &ta, &a);
    run_model_how(&m, T, &calibrated, &cfg, 0, &tb, &b);
    double ea = 0, eb = 0, mag = 0;
    for (int k = 0; k < m.NL; k++) {
        ea = fmax(ea, fabs(a.logits[k] - a.ref[k]));
        eb = fmax(eb, fabs(b.logits[k] - b.ref[k]));
        mag = fmax(mag, fabs(b.ref[k]));
    }
    if (getenv("MPCSIM_TEST_VERBOSE")) fprintf(stderr, "global: err %g; calibrated: err %g; logits up to %g\n", ea, eb, mag);
    cr_expect(eb < 2e-3 * fmax(1, mag), "calibrated: max abs logit error %g (logits up to %g)", eb, mag);
    cr_expect(ea > 10 * eb, "the global constants should be visibly worse here (%g vs %g)", ea, eb);
    cr_assert_eq(ta.n, tb.n);
    for (size_t i = 0; i < ta.n; i++)
        cr_assert(ta.rec[i].bytes == tb.rec[i].bytes && ta.rec[i].t_arrive == tb.rec[i].t_arrive, "message %zu differs", i);
    tu_trace_free(&ta), tu_trace_free(&tb);
}

static uint64_t dealer_bytes_of(const net_counters *p0) { return p0->sent_bytes[NET_D] + p0->recv_bytes[NET_D]; }

Test(sbert, layer_cost_is_the_sum_of_its_ops_closed_forms, .timeout = 600)
{
    for (int trunc = 0; trunc < 2; trunc++) /* --trunc local, then safe */
    for (int attn = 0; attn < 3; attn++)
        for (int norm = 0; norm < 2; norm++) {
            tfm_config m;
            cr_assert_eq(tfm_config_named(&m, "bert-tiny"), TFM_OK);
            m.act = attn == 0 ? TFM_ACT_GELU_ERF : TFM_ACT_QUAD;
            m.attn = attn, m.norm = norm;
            mpc_config cfg = mpc_for(&m);
            cfg.trunc = trunc ? MPC_TRUNC_SAFE : MPC_TRUNC_LOCAL;
            for (int sched = 0; sched < 2; sched++) {
                cfg.dealer_schedule = sched ? MPC_DEALER_INLINE : MPC_DEALER_OFFLINE;
                run_out o;
                run_model(&m, 5, &cfg, 1, NULL, &o);
                if (!sched) {
                    mpc_cost lc = sbert_layer_cost(&cfg, &m, 5);
                    for (int l = 0; l < m.L; l++) {
                        const net_counters *c0 = &o.res.stats[0].tag[SB_TAG_LAYER0 + l];
                        const net_counters *c1 = &o.res.stats[1].tag[SB_TAG_LAYER0 + l];
                        cr_expect_eq(c0->sent_bytes[NET_P1], lc.sent[0], "layer %d P0 bytes", l);
                        cr_expect_eq(c1->sent_bytes[NET_P0], lc.sent[1], "layer %d P1 bytes", l);
                        cr_expect_eq(c1->rounds, lc.rounds, "layer %d rounds %llu vs %llu", l,
                                     (unsigned long long)c1->rounds, (unsigned long long)lc.rounds);
                        cr_expect_eq(dealer_bytes_of(c0), mpc_cost_dealer_bytes(lc), "layer %d dealer bytes", l);
                    }
                }
                mpc_cost tc = sbert_cost(&cfg, &m, 5);
                cr_expect_eq(o.res.rounds, mpc_cost_rounds(tc, cfg.dealer_schedule), "%s+%s %s: rounds %llu vs %llu",
                             tfm_attn_name(attn), tfm_norm_name(norm), sched ? "inline" : "offline",
                             (unsigned long long)o.res.rounds, (unsigned long long)mpc_cost_rounds(tc, cfg.dealer_schedule));
                cr_expect_eq(rt_online_sent(&o.res, 0), tc.sent[0]);
                cr_expect_eq(rt_online_sent(&o.res, 1), tc.sent[1]);
                cr_expect_eq(o.res.dealer_bytes, mpc_cost_dealer_bytes(tc));
            }
        }
}

Test(sbert, bert_base_phantom_costs_match_the_closed_form, .timeout = 600)
{
    /* The paper's model at seq 128, phantom: the whole trace in seconds, the same closed form. */
    tfm_config m;
    cr_assert_eq(tfm_config_named(&m, "bert-base"), TFM_OK);
    m.act = TFM_ACT_QUAD, m.attn = TFM_ATTN_2QUAD;
    mpc_config cfg = mpc_for(&m);
    run_out o;
    run_model(&m, 128, &cfg, 1, NULL, &o);
    mpc_cost tc = sbert_cost(&cfg, &m, 128);
    cr_expect_eq(o.res.rounds, tc.rounds);
    cr_expect_eq(rt_online_sent(&o.res, 0), tc.sent[0]);
    cr_expect_eq(o.res.dealer_bytes, mpc_cost_dealer_bytes(tc));
    /* The embedding re-opens the whole 28996 x 768 table: at least that many words from each party. */
    cr_expect_geq(o.res.stats[0].tag[SB_TAG_EMBED].sent_bytes[NET_P1], 8ull * 28996 * 768);
}

Test(sbert, bert_base_safe_truncation_costs_match_the_closed_form, .timeout = 600)
{
    /* The two combinations of results/safety_latency.csv (BatchNorm stand-in) under --trunc safe:
     * the phantom trace equals sbert_cost, whose twins count every truncation as the run does. */
    static const int combos[2][2] = {{TFM_ACT_GELU_ERF, TFM_ATTN_SOFTMAX}, {TFM_ACT_QUAD, TFM_ATTN_2QUAD}};
    for (int k = 0; k < 2; k++) {
        tfm_config m;
        cr_assert_eq(tfm_config_named(&m, "bert-base"), TFM_OK);
        m.act = combos[k][0], m.attn = combos[k][1], m.norm = TFM_NORM_BATCHNORM;
        mpc_config cfg = mpc_for(&m);
        cfg.trunc = MPC_TRUNC_SAFE;
        run_out o;
        run_model(&m, 128, &cfg, 1, NULL, &o);
        mpc_cost tc = sbert_cost(&cfg, &m, 128);
        cr_expect_eq(o.res.rounds, tc.rounds, "combo %d: rounds %llu, closed form %llu", k,
                     (unsigned long long)o.res.rounds, (unsigned long long)tc.rounds);
        cr_expect_eq(rt_online_sent(&o.res, 0), tc.sent[0]);
        cr_expect_eq(rt_online_sent(&o.res, 1), tc.sent[1]);
        cr_expect_eq(o.res.dealer_bytes, mpc_cost_dealer_bytes(tc));
    }
}

/* Evaluation batches (sbert_job.B, rt_infer_job_batch): three examples in one run, the first two with
 * the full key mask and the third with its last 3 keys padded (two attention-normalisation groups).
 *  - B = 1 through the batch API is the single inference: the same logits to the bit and the same
 *    counters;
 *  - each example's logits in the batch are its lone run's within the fixed-point tolerance (2e-3,
 *    as the plaintext comparison above; the batch draws other masks), and the plaintext's;
 *  - the oracle's per-example results cover every element: their log-survival sums add up to the
 *    run's, and each example's p_fail is its lone run's within 10% (the values differ by the noise);
 *  - the batch sends what one run of 3 x 8 rows sends: fewer rounds than three lone runs. */
Test(sbert, batch_matches_lone_runs, .timeout = 300)
{
    enum { T = 8, B = 3 };
    tfm_config m;
    cr_assert_eq(tfm_config_named(&m, "bert-tiny"), TFM_OK);
    mpc_config cfg = mpc_for(&m);
    tfm_params w;
    tfm_params_alloc(&w, &m);
    init_weights(&w, &m, 11);
    int tokens[B * T];
    uint8_t mask[B * T];
    rng r;
    rng_seed(&r, 5, 6);
    for (int i = 0; i < B * T; i++) {
        tokens[i] = 1 + (int)(rng_u64(&r) % (uint64_t)(m.V - 1));
        mask[i] = !(i / T == 2 && i % T >= T - 3);
    }
    float ref[B * 16];
    for (int b = 0; b < B; b++) tfm_forward(&m, &w, tokens + b * T, NULL, mask + b * T, 1, T, ref + b * m.NL, NULL, NULL);
    mpc_audit au;
    mpc_audit_init(&au);
    double lone[B][16], lone_pf[B];
    rt_result lone_res[B];
    for (int b = 0; b < B; b++) {
        for (int api = 0; api < 2; api++) { /* rt_infer_job, then the batch API with B = 1 */
            rt_infer inf;
            rt_job j;
            if (api == 0) rt_infer_job(&j, &inf, &cfg, 0, 7, &m, T, &w, tokens + b * T, mask + b * T, NULL);
            else rt_infer_job_batch(&j, &inf, &cfg, 0, 7, &m, T, 1, &w, tokens + b * T, mask + b * T, NULL);
            rt_sim_opts so = tu_session(&cfg, 0, 7);
            mpc_audit_reset(&au);
            so.audit = &au;
            rt_result res;
            cr_assert_eq(rt_sim_job(&so, &j, &res), 0);
            if (api == 0) {
                memcpy(lone[b], inf.logits, (size_t)m.NL * sizeof(double));
                lone_pf[b] = mpc_audit_p_fail(&au);
                lone_res[b] = res;
            } else {
                cr_expect_arr_eq(inf.logits, lone[b], (size_t)m.NL * sizeof(double), "B = 1 is the single inference");
                cr_expect_eq(res.stats[0].total.sent_bytes[NET_P1], lone_res[b].stats[0].total.sent_bytes[NET_P1]);
                cr_expect_eq(res.rounds, lone_res[b].rounds);
            }
            rt_infer_free(&inf);
        }
    }
    rt_infer inf;
    rt_job j;
    rt_infer_job_batch(&j, &inf, &cfg, 0, 7, &m, T, B, &w, tokens, mask, NULL);
    rt_sim_opts so = tu_session(&cfg, 0, 7);
    mpc_audit_reset(&au);
    mpc_audit_examples(&au, B);
    so.audit = &au;
    rt_result res;
    cr_assert_eq(rt_sim_job(&so, &j, &res), 0);
    double lsum = 0;
    for (int b = 0; b < B; b++) {
        for (int k = 0; k < m.NL; k++) {
            double x = inf.logits[b * m.NL + k];
            cr_expect(fabs(x - lone[b][k]) < 2e-3, "example %d logit %d: batch %.6f, alone %.6f", b, k, x, lone[b][k]);
            cr_expect(fabs(x - ref[b * m.NL + k]) < 2e-3, "example %d logit %d: batch %.6f, plaintext %.6f", b, k, x,
                      ref[b * m.NL + k]);
        }
        double pf = mpc_audit_example_p_fail(&au, (size_t)b);
        cr_expect(pf > 0 && fabs(pf - lone_pf[b]) < 0.1 * lone_pf[b], "example %d: p_fail %.4g in the batch, %.4g alone",
                  b, pf, lone_pf[b]);
        lsum += au.ex[b].log_ok;
    }
    cr_expect(fabs(lsum - au.log_ok) <= 1e-9 * fabs(au.log_ok), "per-example sums %.12g, run %.12g", lsum, au.log_ok);
    cr_expect(res.rounds < lone_res[0].rounds + lone_res[1].rounds + lone_res[2].rounds, "batch rounds %llu",
              (unsigned long long)res.rounds);
    rt_infer_free(&inf);
    mpc_audit_free(&au);
    tfm_params_free(&w);
}

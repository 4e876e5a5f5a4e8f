/* tfm_forward.c -- plaintext Transformer encoder forward pass (BERT/RoBERTa + sequence-classification
 * head) with MPCFormer's approximations, llm.c style: one small function per layer, shapes in the
 * comments, every activation of one call in one malloc'd block.
 *
 * Numerics: parameters and activations are float32. The matmuls of tfm_forward (all Linear layers and
 * the two attention products QK^T and PV) go through cblas_sgemm (GSL's CBLAS header, resolved to
 * OpenBLAS), which accumulates in float. The naive reference kernels accumulate in double, as do the
 * LayerNorm statistics, the attention normalisations and the elementwise functions (computed in double,
 * rounded once). Against a float64 PyTorch reference on bert-tiny shapes both families agree to ~1e-6.
 *
 * Scope: inference only (no dropout); the backward twins belong to the training code, which can reuse
 * these kernels through models/tfm_kernels.h. */
#include "tfm_kernels.h"

#include <gsl/gsl_cblas.h>
#include <math.h>
#include <string.h>

#include "tfm_vec.h"

/* Not in strict C11's <math.h>. */
#define TFM_SQRT1_2 0.70710678118654752440    /* 1/sqrt(2) */
#define TFM_SQRT_2_PI 0.79788456080286535588  /* sqrt(2/pi) */
#define TFM_GELU_TANH_K 0.044715

/* ---- embeddings ---- */

void tfm_embedding_forward(float *out, const int *tokens, const int *types, const float *wte,
                           const float *wpe, const float *wtt, int B, int T, int C, int V, int P, int TT,
                           int pos_offset)
{
    CHECK(pos_offset >= 0 && pos_offset + T <= P, "positions %d..%d exceed the %d position embeddings",
          pos_offset, pos_offset + T - 1, P);
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            int bt = b * T + t;
            int tok = tokens[bt], typ = types ? types[bt] : 0;
            CHECK(tok >= 0 && tok < V, "token id %d at (%d,%d) out of [0,%d)", tok, b, t, V);
            CHECK(typ >= 0 && typ < TT, "token type %d at (%d,%d) out of [0,%d)", typ, b, t, TT);
            float *o = out + (size_t)bt * C;
            const float *we = wte + (size_t)tok * C, *pe = wpe + (size_t)(pos_offset + t) * C;
            const float *te = wtt + (size_t)typ * C;
            tfm_vec_add(TFM_VEC_AUTO, o, we, pe, (size_t)C); /* o = (we + pe) + te */
            tfm_vec_add(TFM_VEC_AUTO, o, o, te, (size_t)C);
        }
    }
}

/* ---- norms ---- */

void tfm_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *g,
                           const float *b, double eps, int N, int C)
{
    tfm_vec_layernorm_forward(TFM_VEC_AUTO, out, mean, rstd, inp, g, b, eps, N, C);
}

void tfm_layernorm_forward_ref(float *out, float *mean, float *rstd, const float *inp, const float *g,
                               const float *b, double eps, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        double m = 0.0, v = 0.0;
        for (int i = 0; i < C; i++) m += x[i];
        m /= C;
        for (int i = 0; i < C; i++) {
            double d = x[i] - m;
            v += d * d;
        }
        v /= C; /* biased, as PyTorch */
        double s = 1.0 / sqrt(v + eps);
        for (int i = 0; i < C; i++) o[i] = (float)((x[i] - m) * s * g[i] + b[i]);
        if (mean) mean[n] = (float)m;
        if (rstd) rstd[n] = (float)s;
    }
}

void tfm_batchnorm_forward(float *out, const float *inp, const float *mu, const float *var, const float *g,
                           const float *b, double eps, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        for (int i = 0; i < C; i++) o[i] = (float)(((double)x[i] - mu[i]) / sqrt((double)var[i] + eps) * g[i] + b[i]);
    }
}

/* The configured norm, its parameters (LayerNorm gamma/beta double as BatchNorm's). */
static void norm_forward(const tfm_config *cfg, float *out, const float *inp, const float *g, const float *b,
                         const float *mu, const float *var, int N)
{
    if (cfg->norm == TFM_NORM_BATCHNORM) {
        CHECK(mu && var, "batchnorm config but no running statistics in the parameters");
        tfm_batchnorm_forward(out, inp, mu, var, g, b, cfg->ln_eps, N, cfg->C);
    } else {
        tfm_layernorm_forward(out, NULL, NULL, inp, g, b, cfg->ln_eps, N, cfg->C);
    }
}

/* ---- matmul ---- */

void tfm_matmul_forward_naive(float *out, const float *inp, const float *w, const float *bias, int N,
                              int IN, int OUT)
{
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * IN;
        float *y = out + (size_t)n * OUT;
        for (int o = 0; o < OUT; o++) {
            const float *wr = w + (size_t)o * IN;
            double acc = bias ? bias[o] : 0.0;
            for (int i = 0; i < IN; i++) acc += (double)x[i] * wr[i];
            y[o] = (float)acc;
        }
    }
}

void tfm_matmul_forward(float *out, const float *inp, const float *w, const float *bias, int N, int IN,
                        int OUT)
{
    /* out [N,OUT] = inp [N,IN] . w^T, w row-major [OUT,IN]; the bias is preloaded and beta = 1. */
    if (bias)
        for (int n = 0; n < N; n++) memcpy(out + (size_t)n * OUT, bias, (size_t)OUT * sizeof *out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OUT, IN, 1.0f, inp, IN, w, IN, bias ? 1.0f : 0.0f,
                out, OUT);
}

static void matmul(int kernels, float *out, const float *inp, const float *w, const float *bias, int N, int IN,
                   int OUT)
{
    if (kernels == TFM_KERNELS_NAIVE)
        tfm_matmul_forward_naive(out, inp, w, bias, N, IN, OUT);
    else
        tfm_matmul_forward(out, inp, w, bias, N, IN, OUT);
}

/* ---- attention ---- */

/* One row of attention weights from one row of scores. p, s: [T]; m: [T] key mask or NULL. The
 * reference of tfm_vec_attn_rows (models/tfm_vec.h). */
void tfm_attn_row_ref(float *p, const float *s, const uint8_t *m, int attn, double quad2_c, int T)
{
    double sum = 0.0;
    switch (attn) {
    case TFM_ATTN_SOFTMAX: {
        float mx = s[0];
        for (int j = 1; j < T; j++) mx = s[j] > mx ? s[j] : mx;
        for (int j = 0; j < T; j++) {
            double e = exp((double)s[j] - mx);
            p[j] = (float)e;
            sum += e;
        }
        double inv = 1.0 / sum;
        for (int j = 0; j < T; j++) p[j] = (float)(p[j] * inv);
        break;
    }
    case TFM_ATTN_2QUAD: {
        /* The mask is applied after squaring (MPCFormer zeroes padded keys), not through -1e4. */
        for (int j = 0; j < T; j++) {
            double e = (m && !m[j]) ? 0.0 : ((double)s[j] + quad2_c) * ((double)s[j] + quad2_c);
            p[j] = (float)e;
            sum += e;
        }
        double inv = sum > 0.0 ? 1.0 / sum : 0.0;
        for (int j = 0; j < T; j++) p[j] = (float)(p[j] * inv);
        break;
    }
    case TFM_ATTN_2RELU: {
        for (int j = 0; j < T; j++) sum += s[j] > 0.0f ? (double)s[j] : 0.0;
        double inv = 1.0 / (sum + TFM_2RELU_EPS), add = TFM_2RELU_EPS / T;
        for (int j = 0; j < T; j++) p[j] = (float)(((s[j] > 0.0f ? (double)s[j] : 0.0) + add) * inv);
        break;
    }
    default: CHECK(0, "unknown attention normalisation %d", attn);
    }
}

static void check_attention(int attn, int C, int NH)
{
    CHECK(NH > 0 && C % NH == 0, "heads %d must divide C %d", NH, C);
    CHECK(attn >= TFM_ATTN_SOFTMAX && attn <= TFM_ATTN_2QUAD, "unknown attention normalisation %d", attn);
}

void tfm_attention_forward_naive(float *out, float *scores, float *probs, const float *q, const float *k,
                                 const float *v, const uint8_t *mask, int attn, double quad2_c, int B,
                                 int T, int C, int NH)
{
    check_attention(attn, C, NH);
    int hs = C / NH;
    double scale = 1.0 / sqrt((double)hs);
    for (int b = 0; b < B; b++) {
        const uint8_t *m = mask ? mask + (size_t)b * T : NULL;
        for (int h = 0; h < NH; h++) {
            float *S = scores + ((size_t)b * NH + h) * T * T, *Pm = probs + ((size_t)b * NH + h) * T * T;
            for (int t = 0; t < T; t++) {
                const float *qt = q + ((size_t)b * T + t) * C + h * hs;
                for (int t2 = 0; t2 < T; t2++) {
                    const float *kt = k + ((size_t)b * T + t2) * C + h * hs;
                    double acc = 0.0;
                    for (int i = 0; i < hs; i++) acc += (double)qt[i] * kt[i];
                    float s = (float)(acc * scale);
                    if (m && !m[t2]) s += TFM_MASK_VALUE;
                    S[(size_t)t * T + t2] = s;
                }
                tfm_attn_row_ref(Pm + (size_t)t * T, S + (size_t)t * T, m, attn, quad2_c, T);
                float *o = out + ((size_t)b * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++) {
                    double acc = 0.0;
                    for (int t2 = 0; t2 < T; t2++)
                        acc += (double)Pm[(size_t)t * T + t2] * v[((size_t)b * T + t2) * C + h * hs + i];
                    o[i] = (float)acc;
                }
            }
        }
    }
}

void tfm_attention_forward(float *out, float *scores, float *probs, const float *q, const float *k,
                           const float *v, const uint8_t *mask, int attn, double quad2_c, int B, int T,
                           int C, int NH)
{
    tfm_attention_forward_impl(TFM_VEC_AUTO, out, scores, probs, q, k, v, mask, attn, quad2_c, B, T, C, NH);
}

void tfm_attention_forward_impl(int impl, float *out, float *scores, float *probs, const float *q, const float *k,
                                const float *v, const uint8_t *mask, int attn, double quad2_c, int B, int T,
                                int C, int NH)
{
    check_attention(attn, C, NH);
    int hs = C / NH;
    float scale = (float)(1.0 / sqrt((double)hs));
    for (int b = 0; b < B; b++) {
        const uint8_t *m = mask ? mask + (size_t)b * T : NULL;
        for (int h = 0; h < NH; h++) {
            size_t off = (size_t)b * T * C + (size_t)h * hs; /* head h of sequence b, leading dim C */
            float *S = scores + ((size_t)b * NH + h) * T * T, *Pm = probs + ((size_t)b * NH + h) * T * T;
            /* S [T,T] = scale * Q_bh [T,hs] . K_bh^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, scale, q + off, C, k + off, C, 0.0f,
                        S, T);
            if (m)
                for (int t = 0; t < T; t++)
                    for (int t2 = 0; t2 < T; t2++)
                        if (!m[t2]) S[(size_t)t * T + t2] += TFM_MASK_VALUE;
            tfm_vec_attn_rows(impl, Pm, S, m, attn, quad2_c, T, T);
            /* out_bh [T,hs] = P [T,T] . V_bh [T,hs] */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, 1.0f, Pm, T, v + off, C, 0.0f,
                        out + off, C);
        }
    }
}

/* ---- activations and elementwise ---- */

void tfm_gelu_erf_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = inp[i];
        out[i] = (float)(0.5 * x * (1.0 + erf(x * TFM_SQRT1_2)));
    }
}

void tfm_gelu_tanh_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = inp[i];
        out[i] = (float)(0.5 * x * (1.0 + tanh(TFM_SQRT_2_PI * (x + TFM_GELU_TANH_K * x * x * x))));
    }
}

void tfm_relu_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void tfm_quad_forward(float *out, const float *inp, double a, double b, double c, size_t n)
{
    tfm_vec_quad(TFM_VEC_AUTO, out, inp, a, b, c, n); /* (float)((a x + b) x + c) per element */
}

void tfm_act_forward(const tfm_config *cfg, float *out, const float *inp, size_t n)
{
    switch (cfg->act) {
    case TFM_ACT_GELU_ERF: tfm_gelu_erf_forward(out, inp, n); break;
    case TFM_ACT_GELU_TANH: tfm_gelu_tanh_forward(out, inp, n); break;
    case TFM_ACT_RELU: tfm_relu_forward(out, inp, n); break;
    case TFM_ACT_QUAD: tfm_quad_forward(out, inp, cfg->quad_a, cfg->quad_b, cfg->quad_c, n); break;
    default: CHECK(0, "unknown activation %d", cfg->act);
    }
}

void tfm_residual_forward(float *out, const float *a, const float *b, size_t n)
{
    tfm_vec_add(TFM_VEC_AUTO, out, a, b, n);
}

void tfm_tanh_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = (float)tanh((double)inp[i]);
}

/* ---- head ---- */

void tfm_pooler_forward(float *out, float *cls, const float *h, const float *w, const float *bias, int B,
                        int T, int C, int kernels)
{
    for (int b = 0; b < B; b++) memcpy(cls + (size_t)b * C, h + (size_t)b * T * C, (size_t)C * sizeof *cls);
    matmul(kernels, out, cls, w, bias, B, C, C);
    tfm_tanh_forward(out, out, (size_t)B * C);
}

/* ---- the whole model ---- */

void tfm_forward_kernels(const tfm_config *cfg, const tfm_params *p, const int *tokens, const int *types,
                         const uint8_t *mask, int B, int T, float *logits, float *hidden, float *scores,
                         int kernels)
{
    char err[160];
    CHECK(cfg && p && p->mem && tokens && logits, "tfm_forward needs cfg, params, tokens and logits");
    CHECK(tfm_config_check(cfg, err, sizeof err) == TFM_OK, "bad config: %s", err);
    CHECK(B > 0 && T > 0, "B = %d and T = %d must be positive", B, T);
    CHECK(kernels == TFM_KERNELS_BLAS || kernels == TFM_KERNELS_NAIVE, "unknown kernel family %d", kernels);
    const int C = cfg->C, F = cfg->F, NH = cfg->NH, L = cfg->L, NL = cfg->NL;
    const size_t BT = (size_t)B * T, BTC = BT * C, BTF = BT * F, ATT = (size_t)B * NH * T * T;

    /* One block for every activation of this call; buffers are reused across layers. */
    const size_t n_act = 6 * BTC + 2 * ATT + BTF + 2 * (size_t)B * C;
    float *mem = chk_malloc(n_act * sizeof(float));
    float *x = mem;          /* [B,T,C] the residual stream: layer input and output */
    float *q = x + BTC;      /* [B,T,C] */
    float *k = q + BTC;      /* [B,T,C] */
    float *v = k + BTC;      /* [B,T,C] */
    float *ctx = v + BTC;    /* [B,T,C] attention output, heads concatenated */
    float *x1 = ctx + BTC;   /* [B,T,C] after the attention block */
    float *sc = x1 + BTC;    /* [B,NH,T,T] scores */
    float *pr = sc + ATT;    /* [B,NH,T,T] normalised attention */
    float *hf = pr + ATT;    /* [B,T,F] FFN intermediate */
    float *cls = hf + BTF;   /* [B,C] [CLS] rows */
    float *pool = cls + (size_t)B * C; /* [B,C] pooled */
    float *tmp = q;          /* [B,T,C] projection + residual scratch (q is dead by then) */

    tfm_embedding_forward(x, tokens, types, p->wte, p->wpe, p->wtt, B, T, C, cfg->V, cfg->P, cfg->TT,
                          cfg->pos_offset);
    norm_forward(cfg, x, x, p->emb_ln_g, p->emb_ln_b, p->emb_bn_mu, p->emb_bn_var, (int)BT);
    if (hidden) memcpy(hidden, x, BTC * sizeof *x);

    for (int l = 0; l < L; l++) {
        const tfm_layer *w = &p->layer[l];
        /* self-attention */
        matmul(kernels, q, x, w->wq, w->bq, (int)BT, C, C);
        matmul(kernels, k, x, w->wk, w->bk, (int)BT, C, C);
        matmul(kernels, v, x, w->wv, w->bv, (int)BT, C, C);
        if (kernels == TFM_KERNELS_NAIVE)
            tfm_attention_forward_naive(ctx, sc, pr, q, k, v, mask, cfg->attn, cfg->quad2_c, B, T, C, NH);
        else
            tfm_attention_forward(ctx, sc, pr, q, k, v, mask, cfg->attn, cfg->quad2_c, B, T, C, NH);
        if (scores) memcpy(scores + (size_t)l * ATT, sc, ATT * sizeof *sc);
        matmul(kernels, tmp, ctx, w->wo, w->bo, (int)BT, C, C);
        tfm_residual_forward(tmp, tmp, x, BTC);
        norm_forward(cfg, x1, tmp, w->ln1_g, w->ln1_b, w->bn1_mu, w->bn1_var, (int)BT);
        /* feed-forward */
        matmul(kernels, hf, x1, w->w1, w->b1, (int)BT, C, F);
        tfm_act_forward(cfg, hf, hf, BTF);
        matmul(kernels, tmp, hf, w->w2, w->b2, (int)BT, F, C);
        tfm_residual_forward(tmp, tmp, x1, BTC);
        norm_forward(cfg, x, tmp, w->ln2_g, w->ln2_b, w->bn2_mu, w->bn2_var, (int)BT);
        if (hidden) memcpy(hidden + (size_t)(l + 1) * BTC, x, BTC * sizeof *x);
    }

    tfm_pooler_forward(pool, cls, x, p->pool_w, p->pool_b, B, T, C, kernels);
    matmul(kernels, logits, pool, p->cls_w, p->cls_b, B, C, NL);
    free(mem);
}

void tfm_forward(const tfm_config *cfg, const tfm_params *p, const int *tokens, const int *types,
                 const uint8_t *mask, int B, int T, float *logits, float *hidden, float *scores)
{
    tfm_forward_kernels(cfg, p, tokens, types, mask, B, T, logits, hidden, scores, TFM_KERNELS_BLAS);
}

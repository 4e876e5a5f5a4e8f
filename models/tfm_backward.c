/* tfm_backward.c -- backward kernels, losses and the activation-keeping training forward of the
 * plaintext Transformer (see models/tfm_train.h). llm.c style: each _backward twin accumulates into
 * caller-owned gradient buffers; shapes in the comments; one block for all activations. */
#include "tfm_train.h"

#include <gsl/gsl_cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/chk.h"
#include "tfm_vec.h"

#define TFM_SQRT1_2 0.70710678118654752440    /* 1/sqrt(2) */
#define TFM_SQRT_2_PI 0.79788456080286535588  /* sqrt(2/pi) */
#define TFM_INV_SQRT_2PI 0.39894228040143267794 /* 1/sqrt(2 pi) */
#define TFM_GELU_TANH_K 0.044715

/* ---- embeddings ---- */

void tfm_embedding_backward(float *dwte, float *dwpe, float *dwtt, const float *dout, const int *tokens,
                            const int *types, int B, int T, int C, int pos_offset)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int bt = b * T + t;
            const float *d = dout + (size_t)bt * C;
            float *we = dwte + (size_t)tokens[bt] * C, *pe = dwpe + (size_t)(pos_offset + t) * C;
            float *te = dwtt + (size_t)(types ? types[bt] : 0) * C;
            /* we, pe, te are rows of three tensors (disjoint): we += d, pe += d, te += d */
            tfm_vec_add(TFM_VEC_AUTO, we, we, d, (size_t)C);
            tfm_vec_add(TFM_VEC_AUTO, pe, pe, d, (size_t)C);
            tfm_vec_add(TFM_VEC_AUTO, te, te, d, (size_t)C);
        }
}

/* ---- LayerNorm ---- */

void tfm_layernorm_backward(float *dinp, float *dg, float *db, const float *dout, const float *inp,
                            const float *g, const float *mean, const float *rstd, int N, int C)
{
    tfm_vec_layernorm_backward(TFM_VEC_AUTO, dinp, dg, db, dout, inp, g, mean, rstd, N, C);
}

void tfm_layernorm_backward_ref(float *dinp, float *dg, float *db, const float *dout, const float *inp,
                                const float *g, const float *mean, const float *rstd, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const float *d = dout + (size_t)n * C, *x = inp + (size_t)n * C;
        float *dx = dinp + (size_t)n * C;
        double m = mean[n], s = rstd[n], dnm = 0.0, dnn = 0.0;
        for (int i = 0; i < C; i++) {
            double xh = (x[i] - m) * s, dn = (double)g[i] * d[i];
            dnm += dn;
            dnn += dn * xh;
        }
        dnm /= C;
        dnn /= C;
        for (int i = 0; i < C; i++) {
            double xh = (x[i] - m) * s, dn = (double)g[i] * d[i];
            db[i] += d[i];
            dg[i] += (float)(xh * d[i]);
            dx[i] += (float)((dn - dnm - xh * dnn) * s);
        }
    }
}

/* ---- matmul ---- */

static void matmul_backward(int impl, float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                            const float *w, int N, int IN, int OUT)
{
    /* dinp [N,IN] += dout [N,OUT] . w [OUT,IN] */
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IN, OUT, 1.0f, dout, OUT, w, IN, 1.0f, dinp, IN);
    /* dw [OUT,IN] += dout^T [OUT,N] . inp [N,IN] */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OUT, IN, N, 1.0f, dout, OUT, inp, IN, 1.0f, dw, IN);
    /* dbias [OUT] += column sums of dout, rows outside (contiguous reads); each column still sums in
     * row order, in double, so the result is the column-wise loop's bit for bit. */
    if (dbias) {
        double *acc = chk_calloc((size_t)OUT, sizeof *acc);
        for (int n = 0; n < N; n++) tfm_vec_colsum(impl, acc, dout + (size_t)n * OUT, (size_t)OUT);
        for (int o = 0; o < OUT; o++) dbias[o] += (float)acc[o];
        free(acc);
    }
}

void tfm_matmul_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                         const float *w, int N, int IN, int OUT)
{
    matmul_backward(TFM_VEC_AUTO, dinp, dw, dbias, dout, inp, w, N, IN, OUT);
}

/* ---- attention ---- */

/* One row: ds = d(normalisation)/ds applied to dp. s, p, dp, ds: [T]; m: key mask or NULL. The
 * reference of tfm_vec_attn_rows_backward (models/tfm_vec.h). */
void tfm_attn_row_backward_ref(float *ds, const float *dp, const float *s, const float *p, const uint8_t *m, int attn,
                               double quad2_c, int T)
{
    double dot = 0.0;
    for (int j = 0; j < T; j++) dot += (double)p[j] * dp[j];
    switch (attn) {
    case TFM_ATTN_SOFTMAX:
        for (int j = 0; j < T; j++) ds[j] = (float)(p[j] * (dp[j] - dot));
        break;
    case TFM_ATTN_2QUAD: {
        double Z = 0.0;
        for (int j = 0; j < T; j++)
            if (!(m && !m[j])) Z += ((double)s[j] + quad2_c) * ((double)s[j] + quad2_c);
        for (int j = 0; j < T; j++)
            ds[j] = (Z > 0.0 && !(m && !m[j])) ? (float)((dp[j] - dot) / Z * 2.0 * ((double)s[j] + quad2_c)) : 0.0f;
        break;
    }
    case TFM_ATTN_2RELU: {
        double Z = TFM_2RELU_EPS;
        for (int j = 0; j < T; j++) Z += s[j] > 0.0f ? (double)s[j] : 0.0;
        for (int j = 0; j < T; j++) ds[j] = s[j] > 0.0f ? (float)((dp[j] - dot) / Z) : 0.0f;
        break;
    }
    default: CHECK(0, "unknown attention normalisation %d", attn);
    }
}

void tfm_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                            const float *dscores_in, const float *q, const float *k, const float *v,
                            const float *scores, const float *probs, const uint8_t *mask, int attn,
                            double quad2_c, int B, int T, int C, int NH)
{
    tfm_attention_backward_impl(TFM_VEC_AUTO, dq, dk, dv, scratch, dout, dscores_in, q, k, v, scores, probs, mask, attn,
                                quad2_c, B, T, C, NH);
}

void tfm_attention_backward_impl(int impl, float *dq, float *dk, float *dv, float *scratch, const float *dout,
                                 const float *dscores_in, const float *q, const float *k, const float *v,
                                 const float *scores, const float *probs, const uint8_t *mask, int attn,
                                 double quad2_c, int B, int T, int C, int NH)
{
    CHECK(NH > 0 && C % NH == 0, "heads %d must divide C %d", NH, C);
    int hs = C / NH;
    float scale = (float)(1.0 / sqrt((double)hs));
    float *dP = scratch, *dS = scratch + (size_t)T * T;
    for (int b = 0; b < B; b++) {
        const uint8_t *m = mask ? mask + (size_t)b * T : NULL;
        for (int h = 0; h < NH; h++) {
            size_t off = (size_t)b * T * C + (size_t)h * hs, hoff = ((size_t)b * NH + h) * T * T;
            const float *S = scores + hoff, *Pm = probs + hoff;
            /* dP [T,T] = dout_bh [T,hs] . V_bh^T; dV_bh += P^T dout_bh */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, 1.0f, dout + off, C, v + off, C, 0.0f,
                        dP, T);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, 1.0f, Pm, T, dout + off, C, 1.0f,
                        dv + off, C);
            tfm_vec_attn_rows_backward(impl, dS, dP, S, Pm, m, attn, quad2_c, T, T);
            if (dscores_in)
                tfm_vec_add(impl, dS, dS, dscores_in + hoff, (size_t)T * T);
            /* S = scale Q K^T (+ mask): dQ += scale dS K; dK += scale dS^T Q */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, scale, dS, T, k + off, C, 1.0f,
                        dq + off, C);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, scale, dS, T, q + off, C, 1.0f,
                        dk + off, C);
        }
    }
}

/* ---- activations and elementwise ---- */

void tfm_gelu_erf_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = inp[i];
        double d = 0.5 * (1.0 + erf(x * TFM_SQRT1_2)) + x * TFM_INV_SQRT_2PI * exp(-0.5 * x * x);
        dinp[i] += (float)(d * dout[i]);
    }
}

void tfm_gelu_tanh_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = inp[i];
        double u = TFM_SQRT_2_PI * (x + TFM_GELU_TANH_K * x * x * x), th = tanh(u);
        double du = TFM_SQRT_2_PI * (1.0 + 3.0 * TFM_GELU_TANH_K * x * x);
        double d = 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * du;
        dinp[i] += (float)(d * dout[i]);
    }
}

/* The forward/derivative pairs: the derivative expressions are tfm_gelu_*_backward's, character for
 * character, on the erf (tanh) value the forward computed from the same argument. */
void tfm_gelu_erf_forward_keep(float *out, double *dydx, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = inp[i];
        double e = erf(x * TFM_SQRT1_2);
        out[i] = (float)(0.5 * x * (1.0 + e));
        dydx[i] = 0.5 * (1.0 + e) + x * TFM_INV_SQRT_2PI * exp(-0.5 * x * x);
    }
}

void tfm_gelu_tanh_forward_keep(float *out, double *dydx, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = inp[i];
        double u = TFM_SQRT_2_PI * (x + TFM_GELU_TANH_K * x * x * x), th = tanh(u);
        out[i] = (float)(0.5 * x * (1.0 + th));
        double du = TFM_SQRT_2_PI * (1.0 + 3.0 * TFM_GELU_TANH_K * x * x);
        dydx[i] = 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * du;
    }
}

void tfm_relu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (inp[i] > 0.0f) dinp[i] += dout[i];
}

void tfm_quad_backward(float *dinp, const float *dout, const float *inp, double a, double b, size_t n)
{
    for (size_t i = 0; i < n; i++) dinp[i] += (float)((2.0 * a * inp[i] + b) * dout[i]);
}

void tfm_act_backward(const tfm_config *cfg, float *dinp, const float *dout, const float *inp, size_t n)
{
    switch (cfg->act) {
    case TFM_ACT_GELU_ERF: tfm_gelu_erf_backward(dinp, dout, inp, n); break;
    case TFM_ACT_GELU_TANH: tfm_gelu_tanh_backward(dinp, dout, inp, n); break;
    case TFM_ACT_RELU: tfm_relu_backward(dinp, dout, inp, n); break;
    case TFM_ACT_QUAD: tfm_quad_backward(dinp, dout, inp, cfg->quad_a, cfg->quad_b, n); break;
    default: CHECK(0, "unknown activation %d", cfg->act);
    }
}

void tfm_residual_backward(float *da, float *db, const float *dout, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
}

void tfm_tanh_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) dinp[i] += (float)((1.0 - (double)out[i] * out[i]) * dout[i]);
}

void tfm_pooler_backward(float *dh, float *dw, float *dbias, float *scratch, const float *dout, const float *out,
                         const float *cls, const float *w, int B, int T, int C)
{
    float *dpre = scratch, *dcls = scratch + (size_t)B * C;
    memset(scratch, 0, 2 * (size_t)B * C * sizeof *scratch);
    tfm_tanh_backward(dpre, dout, out, (size_t)B * C);
    tfm_matmul_backward(dcls, dw, dbias, dpre, cls, w, B, C, C);
    for (int b = 0; b < B; b++) {
        float *d = dh + (size_t)b * T * C;
        for (int i = 0; i < C; i++) d[i] += dcls[(size_t)b * C + i];
    }
}

/* ---- losses ---- */

double tfm_crossentropy_forward(float *probs, const float *logits, const float *q, int B, int NL)
{
    double loss = 0.0;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * NL;
        float *p = probs + (size_t)b * NL;
        double mx = z[0], sum = 0.0;
        for (int c = 1; c < NL; c++) mx = z[c] > mx ? z[c] : mx;
        for (int c = 0; c < NL; c++) sum += exp(z[c] - mx);
        double lse = mx + log(sum);
        for (int c = 0; c < NL; c++) {
            p[c] = (float)exp(z[c] - lse);
            loss -= q[(size_t)b * NL + c] * (z[c] - lse);
        }
    }
    return loss / B;
}

void tfm_crossentropy_backward(float *dlogits, const float *probs, const float *q, double scale, int B, int NL)
{
    for (size_t i = 0; i < (size_t)B * NL; i++) dlogits[i] += (float)(scale * ((double)probs[i] - q[i]) / B);
}

double tfm_mse_forward(const float *a, const float *b, size_t n, float zero_below)
{
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (b[i] <= zero_below) continue;
        double d = (double)a[i] - b[i];
        acc += d * d;
    }
    return n ? acc / (double)n : 0.0;
}

void tfm_mse_backward(float *da, const float *a, const float *b, size_t n, float zero_below, double scale)
{
    tfm_vec_mse_backward(TFM_VEC_AUTO, da, a, b, n, zero_below, scale);
}

/* ---- the whole model ---- */

void tfm_acts_alloc(tfm_acts *a, const tfm_config *cfg, int B, int T)
{
    memset(a, 0, sizeof *a);
    const size_t L = (size_t)cfg->L, BT = (size_t)B * T, BTC = BT * cfg->C, BTF = BT * cfg->F;
    const size_t ATT = (size_t)B * cfg->NH * T * T, BC = (size_t)B * cfg->C;
    size_t n = BTC + 2 * BT + (L + 1) * BTC + L * (4 * BTC + 2 * ATT + 3 * BTC + 4 * BT + 2 * BTF) + 2 * BC +
               (size_t)B * cfg->NL + BTC + 2 * L * BTC + 2 * BC;
    a->B = B, a->T = T, a->n = n;
    float *m = a->mem = chk_calloc(n, sizeof(float));
#define TAKE(ptr, cnt) (ptr = m, m += (cnt))
    TAKE(a->emb, BTC);
    TAKE(a->emb_mean, BT);
    TAKE(a->emb_rstd, BT);
    TAKE(a->hidden, (L + 1) * BTC);
    TAKE(a->q, L * BTC);
    TAKE(a->k, L * BTC);
    TAKE(a->v, L * BTC);
    TAKE(a->ctx, L * BTC);
    TAKE(a->scores, L * ATT);
    TAKE(a->probs, L * ATT);
    TAKE(a->res1, L * BTC);
    TAKE(a->x1, L * BTC);
    TAKE(a->res2, L * BTC);
    TAKE(a->ln1_mean, L * BT);
    TAKE(a->ln1_rstd, L * BT);
    TAKE(a->ln2_mean, L * BT);
    TAKE(a->ln2_rstd, L * BT);
    TAKE(a->hpre, L * BTF);
    TAKE(a->hact, L * BTF);
    TAKE(a->cls, BC);
    TAKE(a->pool, BC);
    TAKE(a->logits, (size_t)B * cfg->NL);
    TAKE(a->dm_emb, BTC);
    TAKE(a->dm_attn, L * BTC);
    TAKE(a->dm_ffn, L * BTC);
    TAKE(a->dm_pool, BC);
    TAKE(a->pool_d, BC);
#undef TAKE
    CHECK((size_t)(m - a->mem) == n, "activation layout");
    a->dact_act = -1;
    a->vec = TFM_VEC_AUTO;
    if (cfg->act == TFM_ACT_GELU_ERF || cfg->act == TFM_ACT_GELU_TANH)
        a->dact = chk_malloc(L * BTF * sizeof *a->dact);
    a->n_bwd = 7 * BTC + 2 * BTF + 2 * (size_t)T * T + 3 * BC;
    a->bwd = chk_calloc(a->n_bwd, sizeof *a->bwd);
}

void tfm_acts_free(tfm_acts *a)
{
    if (!a) return;
    free(a->mem);
    free(a->dact);
    free(a->bwd);
    memset(a, 0, sizeof *a);
}

/* Per-layer strides of the activation block (batch a->B, length a->T). */
typedef struct strides {
    size_t BT, BTC, BTF, ATT;
} strides;

static strides strides_of(const tfm_config *cfg, const tfm_acts *a)
{
    strides s;
    s.BT = (size_t)a->B * a->T;
    s.BTC = s.BT * cfg->C;
    s.BTF = s.BT * cfg->F;
    s.ATT = (size_t)a->B * cfg->NH * a->T * a->T;
    return s;
}

/* Draws a dropout mask m (0 or 1/(1-p)) and applies it: x *= m. Each element drops when a 16-bit
 * draw from the keystream is below round(p * 65536) (p resolved to 2^-16; bulk draws are ~20x
 * faster than one rng_uniform per element). */
static void dropout_forward(int impl, float *x, float *m, double pdrop, rng *r, size_t n)
{
    float keep = (float)(1.0 / (1.0 - pdrop));
    uint32_t thr = (uint32_t)lround(pdrop * 65536.0);
    uint16_t u[2048];
    for (size_t i0 = 0; i0 < n; i0 += 2048) {
        size_t k = n - i0 < 2048 ? n - i0 : 2048;
        rng_bytes(r, u, k * sizeof *u);
        tfm_vec_dropout(impl, x + i0, m + i0, u, thr, keep, k); /* m = u < thr ? 0 : keep; x *= m */
    }
}

void tfm_train_forward(const tfm_config *cfg, const tfm_params *p, tfm_acts *a, const int *tokens,
                       const int *types, const uint8_t *mask, int B, double dropout, rng *r)
{
    CHECK(dropout >= 0.0 && dropout < 1.0 && (dropout == 0.0 || r), "dropout %g needs [0,1) and an rng", dropout);
    a->dropout = dropout;
    CHECK(cfg->norm == TFM_NORM_LAYERNORM, "training needs LayerNorm (students train with LayerNorm)");
    CHECK(B == a->B, "batch %d is not the allocated %d", B, a->B);
    const int C = cfg->C, F = cfg->F, T = a->T;
    const strides s = strides_of(cfg, a);
    const int BT = B * T;
    a->dact_act = a->dact && (cfg->act == TFM_ACT_GELU_ERF || cfg->act == TFM_ACT_GELU_TANH) ? cfg->act : -1;
    tfm_embedding_forward(a->emb, tokens, types, p->wte, p->wpe, p->wtt, B, T, C, cfg->V, cfg->P, cfg->TT,
                          cfg->pos_offset);
    tfm_vec_layernorm_forward(a->vec, a->hidden, a->emb_mean, a->emb_rstd, a->emb, p->emb_ln_g, p->emb_ln_b, cfg->ln_eps, BT, C);
    if (dropout > 0.0) dropout_forward(a->vec, a->hidden, a->dm_emb, dropout, r, s.BTC);
    for (int l = 0; l < cfg->L; l++) {
        const tfm_layer *w = &p->layer[l];
        const float *x = a->hidden + (size_t)l * s.BTC;
        float *q = a->q + l * s.BTC, *k = a->k + l * s.BTC, *v = a->v + l * s.BTC, *ctx = a->ctx + l * s.BTC;
        float *sc = a->scores + l * s.ATT, *pr = a->probs + l * s.ATT;
        float *res1 = a->res1 + l * s.BTC, *x1 = a->x1 + l * s.BTC, *res2 = a->res2 + l * s.BTC;
        float *hpre = a->hpre + l * s.BTF, *hact = a->hact + l * s.BTF;
        tfm_matmul_forward(q, x, w->wq, w->bq, BT, C, C);
        tfm_matmul_forward(k, x, w->wk, w->bk, BT, C, C);
        tfm_matmul_forward(v, x, w->wv, w->bv, BT, C, C);
        tfm_attention_forward_impl(a->vec, ctx, sc, pr, q, k, v, mask, cfg->attn, cfg->quad2_c, B, T, C, cfg->NH);
        tfm_matmul_forward(res1, ctx, w->wo, w->bo, BT, C, C);
        if (dropout > 0.0) dropout_forward(a->vec, res1, a->dm_attn + l * s.BTC, dropout, r, s.BTC);
        tfm_vec_add(a->vec, res1, res1, x, (size_t)BT * C);
        tfm_vec_layernorm_forward(a->vec, x1, a->ln1_mean + l * s.BT, a->ln1_rstd + l * s.BT, res1, w->ln1_g, w->ln1_b,
                              cfg->ln_eps, BT, C);
        tfm_matmul_forward(hpre, x1, w->w1, w->b1, BT, C, F);
        if (a->dact && cfg->act == TFM_ACT_GELU_ERF)
            tfm_gelu_erf_forward_keep(hact, a->dact + l * s.BTF, hpre, (size_t)BT * F);
        else if (a->dact && cfg->act == TFM_ACT_GELU_TANH)
            tfm_gelu_tanh_forward_keep(hact, a->dact + l * s.BTF, hpre, (size_t)BT * F);
        else if (cfg->act == TFM_ACT_QUAD)
            tfm_vec_quad(a->vec, hact, hpre, cfg->quad_a, cfg->quad_b, cfg->quad_c, (size_t)BT * F);
        else
            tfm_act_forward(cfg, hact, hpre, (size_t)BT * F);
        tfm_matmul_forward(res2, hact, w->w2, w->b2, BT, F, C);
        if (dropout > 0.0) dropout_forward(a->vec, res2, a->dm_ffn + l * s.BTC, dropout, r, s.BTC);
        tfm_vec_add(a->vec, res2, res2, x1, (size_t)BT * C);
        tfm_vec_layernorm_forward(a->vec, a->hidden + (size_t)(l + 1) * s.BTC, a->ln2_mean + l * s.BT, a->ln2_rstd + l * s.BT,
                              res2, w->ln2_g, w->ln2_b, cfg->ln_eps, BT, C);
    }
    tfm_pooler_forward(a->pool, a->cls, a->hidden + (size_t)cfg->L * s.BTC, p->pool_w, p->pool_b, B, T, C,
                       TFM_KERNELS_BLAS);
    memcpy(a->pool_d, a->pool, (size_t)B * C * sizeof *a->pool_d);
    if (dropout > 0.0) dropout_forward(a->vec, a->pool_d, a->dm_pool, dropout, r, (size_t)B * C);
    tfm_matmul_forward(a->logits, a->pool_d, p->cls_w, p->cls_b, B, C, cfg->NL);
}


void tfm_train_backward(const tfm_config *cfg, const tfm_params *p, tfm_params *g, const tfm_acts *a,
                        const int *tokens, const int *types, const uint8_t *mask, int B, const float *dlogits,
                        const float *dhidden, const float *dscores)
{
    CHECK(B == a->B, "batch %d is not the allocated %d", B, a->B);
    const int C = cfg->C, F = cfg->F, T = a->T, L = cfg->L;
    const strides s = strides_of(cfg, a);
    const int BT = B * T;
    const size_t btc = (size_t)BT * C, btf = (size_t)BT * F;
    /* gradients of activations: one scratch block, allocated with the activations; every part is
     * zeroed or overwritten before it is read, except dx and dpool, which start from zero here */
    size_t n = 7 * btc + 2 * btf + 2 * (size_t)T * T + 3 * (size_t)B * C;
    CHECK(a->bwd && a->n_bwd == n, "the backward scratch does not match the activations' shape");
    float *mem = a->bwd;
    float *dx = mem, *dres = dx + btc, *dx1 = dres + btc, *dctx = dx1 + btc, *dq = dctx + btc, *dk = dq + btc,
          *dv = dk + btc, *dhact = dv + btc, *dhpre = dhact + btf, *datt = dhpre + btf,
          *dpool = datt + 2 * (size_t)T * T, *pscr = dpool + (size_t)B * C;
    /* dhidden/dscores are laid out for batch B: [L+1,B,T,C] and [L,B,NH,T,T] */
    const size_t dATT = (size_t)B * cfg->NH * T * T;
    const int drop = a->dropout > 0.0;
    memset(dx, 0, btc * sizeof *dx);
    memset(dpool, 0, (size_t)B * C * sizeof *dpool);

    if (dlogits) {
        matmul_backward(a->vec, dpool, g->cls_w, g->cls_b, dlogits, a->pool_d, p->cls_w, B, C, cfg->NL);
        if (drop) tfm_vec_mul(a->vec, dpool, a->dm_pool, (size_t)B * C);
        tfm_pooler_backward(dx, g->pool_w, g->pool_b, pscr, dpool, a->pool, a->cls, p->pool_w, B, T, C);
    }
    for (int l = L - 1; l >= 0; l--) {
        const tfm_layer *w = &p->layer[l];
        tfm_layer *gw = &g->layer[l];
        if (dhidden)
            tfm_vec_add(a->vec, dx, dx, dhidden + (size_t)(l + 1) * btc, btc);
        /* LN2 <- res2 = FFN(x1) + x1 */
        tfm_vec_layernorm_backward_set(a->vec, dres, dx1, gw->ln2_g, gw->ln2_b, dx, a->res2 + l * s.BTC, w->ln2_g,
                                       a->ln2_mean + l * s.BT, a->ln2_rstd + l * s.BT, BT, C); /* dx1 = dres */
        if (drop) tfm_vec_mul(a->vec, dres, a->dm_ffn + l * s.BTC, btc);
        memset(dhact, 0, btf * sizeof *dhact);
        matmul_backward(a->vec, dhact, gw->w2, gw->b2, dres, a->hact + l * s.BTF, w->w2, BT, F, C);
        if (a->dact_act == cfg->act || cfg->act == TFM_ACT_RELU || cfg->act == TFM_ACT_QUAD) {
            tfm_vec_act_backward_set(a->vec, cfg->act, dhpre, dhact, a->hpre + l * s.BTF,
                                     a->dact_act == cfg->act ? a->dact + l * s.BTF : NULL, cfg->quad_a, cfg->quad_b, btf);
        } else {
            memset(dhpre, 0, btf * sizeof *dhpre);
            tfm_act_backward(cfg, dhpre, dhact, a->hpre + l * s.BTF, btf);
        }
        matmul_backward(a->vec, dx1, gw->w1, gw->b1, dhpre, a->x1 + l * s.BTC, w->w1, BT, C, F);
        /* LN1 <- res1 = attn(x) Wo + bo + x */
        tfm_vec_layernorm_backward_set(a->vec, dres, dx, gw->ln1_g, gw->ln1_b, dx1, a->res1 + l * s.BTC, w->ln1_g,
                                       a->ln1_mean + l * s.BT, a->ln1_rstd + l * s.BT, BT, C); /* dx = dres */
        if (drop) tfm_vec_mul(a->vec, dres, a->dm_attn + l * s.BTC, btc);
        memset(dctx, 0, 4 * btc * sizeof *dctx); /* dctx, dq, dk, dv */
        matmul_backward(a->vec, dctx, gw->wo, gw->bo, dres, a->ctx + l * s.BTC, w->wo, BT, C, C);
        tfm_attention_backward_impl(a->vec, dq, dk, dv, datt, dctx, dscores ? dscores + (size_t)l * dATT : NULL, a->q + l * s.BTC,
                               a->k + l * s.BTC, a->v + l * s.BTC, a->scores + l * s.ATT, a->probs + l * s.ATT, mask,
                               cfg->attn, cfg->quad2_c, B, T, C, cfg->NH);
        const float *x = a->hidden + (size_t)l * s.BTC;
        matmul_backward(a->vec, dx, gw->wq, gw->bq, dq, x, w->wq, BT, C, C);
        matmul_backward(a->vec, dx, gw->wk, gw->bk, dk, x, w->wk, BT, C, C);
        matmul_backward(a->vec, dx, gw->wv, gw->bv, dv, x, w->wv, BT, C, C);
    }
    if (dhidden)
        tfm_vec_add(a->vec, dx, dx, dhidden, btc);
    if (drop) tfm_vec_mul(a->vec, dx, a->dm_emb, btc);
    tfm_vec_layernorm_backward_set(a->vec, dres, NULL, g->emb_ln_g, g->emb_ln_b, dx, a->emb, p->emb_ln_g, a->emb_mean, a->emb_rstd, BT, C);
    tfm_embedding_backward(g->wte, g->wpe, g->wtt, dres, tokens, types, B, T, C, cfg->pos_offset);
}

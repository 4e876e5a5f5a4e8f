/* sbert.c -- the secure encoder forward. See sbert.h. */
#include "sbert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/fx.h"
#include "../protocols/mpc_cmp.h"
#include "../protocols/mpc_math.h"
#include "../protocols/mpc_nn.h"

static const char *const tag_names[SB_NTAGS_OPS] = {
    NULL, "embed", "qkv", "scores", "softmax", "context", "out_proj", "norm1", "ffn1", "act", "ffn2", "norm2",
    "pooler", "classifier",
};

const char *sbert_tag_name(int tag)
{
    static char layer_names[40][12];
    if (tag > 0 && tag < SB_NTAGS_OPS) return tag_names[tag];
    if (tag >= SB_TAG_LAYER0 && tag < SB_TAG_LAYER0 + 40) {
        char *s = layer_names[tag - SB_TAG_LAYER0];
        snprintf(s, sizeof layer_names[0], "layer%d", tag - SB_TAG_LAYER0);
        return s;
    }
    return NULL;
}

/* ---- weights (P0's inputs, shared at model setup) ---- */

/* Shares W^T ([in, out]) of P0's weight W ([out, in]). */
static uint64_t *share_wt(mpc_ctx *c, const float *W, size_t out, size_t in)
{
    uint64_t *plain = NULL, *sh = mpc_tmp(c, in * out);
    int f = c->cfg->frac_bits;
    if (!c->phantom && c->self == NET_P0) {
        plain = chk_malloc(in * out * sizeof *plain);
        for (size_t o = 0; o < out; o++)
            for (size_t i = 0; i < in; i++) plain[i * out + o] = fx_encode(W[o * in + i], f);
    }
    mpc_share_model(c, sh, plain, in * out);
    free(plain);
    return sh;
}

static uint64_t *share_vec(mpc_ctx *c, const float *v, size_t n)
{
    uint64_t *plain = NULL, *sh = mpc_tmp(c, n);
    if (!c->phantom && c->self == NET_P0) {
        plain = chk_malloc(n * sizeof *plain);
        for (size_t i = 0; i < n; i++) plain[i] = fx_encode(v[i], c->cfg->frac_bits);
    }
    mpc_share_model(c, sh, plain, n);
    free(plain);
    return sh;
}

/* y (T x out) = x (T x in) W^T + b: a Beaver matmul re-opening the weight's mask, bias added locally. */
static void linear(mpc_ctx *c, uint64_t *y, const uint64_t *x, const float *W, const float *b, size_t T, size_t in,
                   size_t out)
{
    const float *Wp = c->self == NET_P0 ? W : NULL, *bp = c->self == NET_P0 ? b : NULL;
    uint64_t *Wt = share_wt(c, Wp, out, in), *bs = share_vec(c, bp, out);
    mpc_matmul(c, y, x, Wt, 1, T, in, out, 1);
    mpc_work(c, 0, T * out, 0);
    if (!c->phantom)
        for (size_t t = 0; t < T; t++)
            for (size_t o = 0; o < out; o++) y[t * out + o] += bs[o];
    mpc_tmp_free(Wt), mpc_tmp_free(bs);
}

/* The protocol configuration of one call site: the global one, or a copy with the site's public
 * rescale constants (site: LayerNorm site, or -1 - l for the attention of layer l). */
static const mpc_config *site_cfg(const mpc_ctx *c, const sbert_job *j, int site, mpc_config *buf)
{
    if (!j->calib) return c->cfg;
    *buf = *c->cfg;
    if (site >= 0) {
        buf->ln_rsqrt_shift = j->calib->ln_shift[site];
    } else {
        double K = j->calib->recip_scale[-1 - site];
        buf->softmax_recip_scale = buf->quad2_recip_scale = buf->relu2_recip_scale = K;
    }
    return buf;
}

/* LayerNorm (site: 0 the embedding's, 1 + 2l norm1 of layer l, 2 + 2l norm2) or the BatchNorm
 * stand-in on T x C, in place (out may alias x). */
static void norm(mpc_ctx *c, const sbert_job *j, int site, uint64_t *out, const uint64_t *x, const float *g,
                 const float *b, const float *mu, const float *var)
{
    const tfm_config *m = j->model;
    size_t C = (size_t)m->C, T = (size_t)j->T;
    int p0 = c->self == NET_P0;
    uint64_t *gs = share_vec(c, p0 ? g : NULL, C), *bs = share_vec(c, p0 ? b : NULL, C);
    if (m->norm == TFM_NORM_LAYERNORM) {
        mpc_config buf;
        const mpc_config *saved = c->cfg;
        c->cfg = site_cfg(c, j, site, &buf);
        mpc_layernorm(c, out, x, gs, bs, T, C);
        c->cfg = saved;
    } else {
        /* Model setup: the inverse std from P0's running variance (CrypTen computes it once under
         * MPC; sbert_setup_cost reports that cost). */
        float *inv = NULL;
        if (p0 && !c->phantom) {
            inv = chk_malloc(C * sizeof *inv);
            for (size_t i = 0; i < C; i++) inv[i] = (float)(1.0 / sqrt((double)var[i] + m->ln_eps));
        }
        uint64_t *ms = share_vec(c, p0 ? mu : NULL, C), *is = share_vec(c, inv, C);
        mpc_batchnorm(c, out, x, ms, is, gs, bs, T, C);
        mpc_tmp_free(ms), mpc_tmp_free(is);
        free(inv);
    }
    mpc_tmp_free(gs), mpc_tmp_free(bs);
}

static void activation(mpc_ctx *c, int act, uint64_t *out, const uint64_t *x, size_t n)
{
    switch (act) {
    case TFM_ACT_GELU_ERF: mpc_gelu_erf(c, out, x, n); break;
    case TFM_ACT_GELU_TANH: mpc_gelu_tanh(c, out, x, n); break;
    case TFM_ACT_RELU: mpc_relu(c, out, x, n); break;
    case TFM_ACT_QUAD: mpc_quad(c, out, x, n); break;
    default: CHECK(0, "activation %d", act);
    }
}

/* Attention normalisation of layer l along keys, in place allowed. */
static void attn_norm(mpc_ctx *c, const sbert_job *j, int l, uint64_t *out, const uint64_t *x, size_t R, size_t L)
{
    mpc_config buf;
    const mpc_config *saved = c->cfg;
    c->cfg = site_cfg(c, j, -1 - l, &buf);
    switch (j->model->attn) {
    case TFM_ATTN_SOFTMAX: mpc_softmax_masked(c, out, x, j->keymask, R, L); break;
    case TFM_ATTN_2RELU: mpc_2relu_masked(c, out, x, j->keymask, R, L); break;
    case TFM_ATTN_2QUAD: mpc_2quad_masked(c, out, x, j->keymask, R, L); break;
    default: CHECK(0, "attention %d", j->model->attn);
    }
    c->cfg = saved;
}

/* ---- the forward pass ---- */

static void embed(mpc_ctx *c, const sbert_job *j, uint64_t *h)
{
    const tfm_config *m = j->model;
    size_t T = (size_t)j->T, V = (size_t)m->V, C = (size_t)m->C;
    int f = c->cfg->frac_bits, p0 = c->self == NET_P0, real = !c->phantom;
    const tfm_params *w = j->w;
    /* 1. P1 shares its one-hot tokens (fixed point), P0 its table; one Beaver matmul. */
    uint64_t *onehot = NULL, *oh_sh = mpc_tmp(c, T * V);
    if (real && c->self == NET_P1) {
        onehot = chk_calloc(T * V, sizeof *onehot);
        for (size_t t = 0; t < T; t++) {
            CHECK(j->tokens[t] >= 0 && j->tokens[t] < m->V, "token %d out of [0,%d)", j->tokens[t], m->V);
            onehot[t * V + (size_t)j->tokens[t]] = fx_encode(1.0, f);
        }
    }
    mpc_share(c, oh_sh, onehot, T * V, NET_P1);
    free(onehot);
    /* The table is [V, C] = (W^T of a [C, V] "weight"), shared as is. */
    uint64_t *table = NULL, *tab_sh = mpc_tmp(c, V * C);
    if (real && p0) {
        table = chk_malloc(V * C * sizeof *table);
        for (size_t i = 0; i < V * C; i++) table[i] = fx_encode(w->wte[i], f);
    }
    mpc_share_model(c, tab_sh, table, V * C);
    free(table);
    size_t K = j->embed_chunks > 1 ? (size_t)j->embed_chunks : 1;
    CHECK(K <= V, "embed_chunks %zu exceeds the vocabulary %zu", K, V);
    if (K == 1) {
        mpc_matmul(c, h, oh_sh, tab_sh, 1, T, V, C, 1);
    } else {
        /* Chunk i: one-hot columns [i s, i s + n) times table rows [i s, i s + n), added up. */
        size_t s = V / K;
        uint64_t *oh_i = mpc_tmp(c, T * (V - (K - 1) * s)), *part = mpc_tmp(c, T * C);
        for (size_t i = 0; i < K; i++) {
            size_t n = i + 1 < K ? s : V - (K - 1) * s;
            if (real)
                for (size_t t = 0; t < T; t++) memcpy(oh_i + t * n, oh_sh + t * V + i * s, n * sizeof *oh_i);
            mpc_matmul(c, i == 0 ? h : part, oh_i, real ? tab_sh + i * s * C : NULL, 1, T, n, C, 1);
            if (i > 0) mpc_add(c, h, h, part, T * C);
        }
        mpc_tmp_free(oh_i), mpc_tmp_free(part);
    }
    mpc_tmp_free(oh_sh), mpc_tmp_free(tab_sh);
    /* 2. + position rows pos_offset.. and token type 0 (P0's shares; public positions): local. */
    float *pt = NULL;
    if (real && p0) {
        pt = chk_malloc(T * C * sizeof *pt);
        for (size_t t = 0; t < T; t++)
            for (size_t d = 0; d < C; d++) pt[t * C + d] = w->wpe[((size_t)m->pos_offset + t) * C + d] + w->wtt[d];
    }
    uint64_t *pts = share_vec(c, pt, T * C);
    free(pt);
    mpc_add(c, h, h, pts, T * C);
    mpc_tmp_free(pts);
    /* 3. Embedding norm. */
    const tfm_params *wp = p0 && real ? w : NULL; /* P0's plaintext weights, real mode only */
    norm(c, j, 0, h, h, wp ? wp->emb_ln_g : NULL, wp ? wp->emb_ln_b : NULL, wp ? wp->emb_bn_mu : NULL,
         wp ? wp->emb_bn_var : NULL);
}

static void layer(mpc_ctx *c, const sbert_job *j, int l, uint64_t *h)
{
    const tfm_config *m = j->model;
    size_t T = (size_t)j->T, C = (size_t)m->C, F = (size_t)m->F, NH = (size_t)m->NH, hs = C / NH;
    int p0 = c->self == NET_P0, real = !c->phantom;
    const tfm_layer *w = p0 && real ? &j->w->layer[l] : NULL;
#define W(field) (w ? w->field : NULL)
    uint64_t *q = mpc_tmp(c, T * C), *k = mpc_tmp(c, T * C), *v = mpc_tmp(c, T * C);
    uint64_t *qh = mpc_tmp(c, T * C), *kt = mpc_tmp(c, T * C), *vh = mpc_tmp(c, T * C);
    uint64_t *s = mpc_tmp(c, NH * T * T), *ctx = mpc_tmp(c, T * C), *a = mpc_tmp(c, T * C);
    /* qkv: three linear layers, one after another (CrypTen order). */
    net_tag_push(c->net, SB_TAG_QKV);
    linear(c, q, h, W(wq), W(bq), T, C, C);
    linear(c, k, h, W(wk), W(bk), T, C, C);
    linear(c, v, h, W(wv), W(bv), T, C, C);
    net_tag_pop(c->net, SB_TAG_QKV);
    /* Split heads (local): qh, vh [NH, T, hs]; kt [NH, hs, T]. */
    mpc_work(c, 0, 3 * T * C, 0);
    if (real)
        for (size_t t = 0; t < T; t++)
            for (size_t hh = 0; hh < NH; hh++)
                for (size_t d = 0; d < hs; d++) {
                    size_t src = t * C + hh * hs + d;
                    qh[(hh * T + t) * hs + d] = q[src];
                    vh[(hh * T + t) * hs + d] = v[src];
                    kt[(hh * hs + d) * T + t] = k[src];
                }
    /* scores = Q K^T / sqrt(hs), batched over heads, both operands secret. */
    net_tag_push(c->net, SB_TAG_SCORES);
    mpc_matmul(c, s, qh, kt, NH, T, hs, T, 0);
    mpc_mul_const(c, s, s, 1.0 / sqrt((double)hs), NH * T * T);
    net_tag_pop(c->net, SB_TAG_SCORES);
    /* Attention normalisation along keys, with the public key mask. */
    net_tag_push(c->net, SB_TAG_SOFTMAX);
    attn_norm(c, j, l, s, s, NH * T, T);
    net_tag_pop(c->net, SB_TAG_SOFTMAX);
    /* context = P V, merged back to [T, C]. */
    net_tag_push(c->net, SB_TAG_CONTEXT);
    mpc_matmul(c, qh, s, vh, NH, T, T, hs, 0);
    net_tag_pop(c->net, SB_TAG_CONTEXT);
    mpc_work(c, 0, T * C, 0);
    if (real)
        for (size_t hh = 0; hh < NH; hh++)
            for (size_t t = 0; t < T; t++)
                for (size_t d = 0; d < hs; d++) ctx[t * C + hh * hs + d] = qh[(hh * T + t) * hs + d];
    /* out_proj + residual, norm1. */
    net_tag_push(c->net, SB_TAG_OUT_PROJ);
    linear(c, a, ctx, W(wo), W(bo), T, C, C);
    mpc_add(c, a, a, h, T * C);
    net_tag_pop(c->net, SB_TAG_OUT_PROJ);
    net_tag_push(c->net, SB_TAG_NORM1);
    norm(c, j, 1 + 2 * l, a, a, W(ln1_g), W(ln1_b), W(bn1_mu), W(bn1_var));
    net_tag_pop(c->net, SB_TAG_NORM1);
    mpc_tmp_free(q), mpc_tmp_free(k), mpc_tmp_free(v), mpc_tmp_free(qh), mpc_tmp_free(kt), mpc_tmp_free(vh);
    mpc_tmp_free(s), mpc_tmp_free(ctx);
    /* Feed-forward: ffn1, activation, ffn2 + residual, norm2. */
    uint64_t *u = mpc_tmp(c, T * F);
    net_tag_push(c->net, SB_TAG_FFN1);
    linear(c, u, a, W(w1), W(b1), T, C, F);
    net_tag_pop(c->net, SB_TAG_FFN1);
    net_tag_push(c->net, SB_TAG_ACT);
    activation(c, m->act, u, u, T * F);
    net_tag_pop(c->net, SB_TAG_ACT);
    net_tag_push(c->net, SB_TAG_FFN2);
    linear(c, h, u, W(w2), W(b2), T, F, C);
    mpc_add(c, h, h, a, T * C);
    net_tag_pop(c->net, SB_TAG_FFN2);
    net_tag_push(c->net, SB_TAG_NORM2);
    norm(c, j, 2 + 2 * l, h, h, W(ln2_g), W(ln2_b), W(bn2_mu), W(bn2_var));
    net_tag_pop(c->net, SB_TAG_NORM2);
    mpc_tmp_free(u), mpc_tmp_free(a);
#undef W
}

void sbert_forward(mpc_ctx *c, const sbert_job *j)
{
    const tfm_config *m = j->model;
    CHECK(j->T >= 1 && j->T + m->pos_offset <= m->P, "sequence length %d exceeds the model's %d positions", j->T,
          m->P - m->pos_offset);
    CHECK(c->phantom || c->self != NET_P0 || j->w != NULL, "P0 needs the weights in real mode");
    CHECK(c->phantom || c->self != NET_P1 || (j->tokens && j->logits), "P1 needs tokens and a logits buffer");
    CHECK(!j->calib || m->L <= SBERT_MAX_LAYERS, "calibration covers %d layers, the model has %d", SBERT_MAX_LAYERS,
          m->L);
    size_t T = (size_t)j->T, C = (size_t)m->C, NL = (size_t)m->NL;
    int p0 = c->self == NET_P0, real = !c->phantom;
    uint64_t *h = mpc_tmp(c, T * C);
    net_tag_push(c->net, SB_TAG_EMBED);
    embed(c, j, h);
    net_tag_pop(c->net, SB_TAG_EMBED);
    for (int l = 0; l < m->L; l++) {
        int lt = SB_TAG_LAYER0 + (l < 40 ? l : 39);
        net_tag_push(c->net, lt);
        layer(c, j, l, h);
        net_tag_pop(c->net, lt);
    }
    /* Head: pooler tanh(W h[0] + b), classifier, logits revealed to P1. */
    uint64_t *pooled = mpc_tmp(c, C), *logit = mpc_tmp(c, NL), *plain = mpc_tmp(c, NL);
    net_tag_push(c->net, SB_TAG_POOLER);
    linear(c, pooled, h, p0 && real ? j->w->pool_w : NULL, p0 && real ? j->w->pool_b : NULL, 1, C, C);
    mpc_tanh(c, pooled, pooled, C);
    net_tag_pop(c->net, SB_TAG_POOLER);
    net_tag_push(c->net, SB_TAG_CLASSIFIER);
    linear(c, logit, pooled, p0 && real ? j->w->cls_w : NULL, p0 && real ? j->w->cls_b : NULL, 1, C, NL);
    mpc_reveal_to(c, plain, logit, NL, NET_P1);
    net_tag_pop(c->net, SB_TAG_CLASSIFIER);
    if (real && c->self == NET_P1)
        for (size_t i = 0; i < NL; i++) j->logits[i] = fx_decode(plain[i], c->cfg->frac_bits);
    mpc_tmp_free(h), mpc_tmp_free(pooled), mpc_tmp_free(logit), mpc_tmp_free(plain);
}

/* ---- closed-form costs ---- */

static mpc_cost norm_cost(const mpc_config *cfg, const tfm_config *m, int T)
{
    return m->norm == TFM_NORM_LAYERNORM ? mpc_layernorm_cost(cfg, (uint64_t)T, (uint64_t)m->C)
                                         : mpc_batchnorm_cost(cfg, (uint64_t)T, (uint64_t)m->C);
}

mpc_cost sbert_embed_cost(const mpc_config *cfg, const tfm_config *m, int T)
{
    mpc_cost c = mpc_matmul_cost(1, (uint64_t)T, (uint64_t)m->V, (uint64_t)m->C, 1);
    mpc_cost_add(&c, norm_cost(cfg, m, T));
    return c;
}

mpc_cost sbert_layer_cost(const mpc_config *cfg, const tfm_config *m, int T)
{
    uint64_t t = (uint64_t)T, C = (uint64_t)m->C, F = (uint64_t)m->F, NH = (uint64_t)m->NH, hs = C / NH;
    mpc_cost c = mpc_cost_times(mpc_matmul_cost(1, t, C, C, 1), 3);
    mpc_cost_add(&c, mpc_matmul_cost(NH, t, hs, t, 0));
    switch (m->attn) {
    case TFM_ATTN_SOFTMAX: mpc_cost_add(&c, mpc_softmax_cost(cfg, NH * t, t)); break;
    case TFM_ATTN_2RELU: mpc_cost_add(&c, mpc_2relu_cost(cfg, NH * t, t)); break;
    default: mpc_cost_add(&c, mpc_2quad_cost(cfg, NH * t, t)); break;
    }
    mpc_cost_add(&c, mpc_matmul_cost(NH, t, t, hs, 0));
    mpc_cost_add(&c, mpc_matmul_cost(1, t, C, C, 1));
    mpc_cost_add(&c, norm_cost(cfg, m, T));
    mpc_cost_add(&c, mpc_matmul_cost(1, t, C, F, 1));
    switch (m->act) {
    case TFM_ACT_GELU_ERF: mpc_cost_add(&c, mpc_gelu_erf_cost(cfg, t * F)); break;
    case TFM_ACT_GELU_TANH: mpc_cost_add(&c, mpc_gelu_tanh_cost(cfg, t * F)); break;
    case TFM_ACT_RELU: mpc_cost_add(&c, mpc_relu_cost(t * F)); break;
    default: mpc_cost_add(&c, mpc_quad_cost(cfg, t * F)); break;
    }
    mpc_cost_add(&c, mpc_matmul_cost(1, t, F, C, 1));
    mpc_cost_add(&c, norm_cost(cfg, m, T));
    return c;
}

mpc_cost sbert_head_cost(const mpc_config *cfg, const tfm_config *m, int T)
{
    uint64_t C = (uint64_t)m->C, NL = (uint64_t)m->NL;
    mpc_cost c = mpc_matmul_cost(1, 1, C, C, 1);
    mpc_cost_add(&c, mpc_tanh_cost(cfg, C));
    mpc_cost_add(&c, mpc_matmul_cost(1, 1, C, NL, 1));
    mpc_cost_add(&c, mpc_reveal_to_cost(NL, NET_P1));
    return c;
}

mpc_cost sbert_cost(const mpc_config *cfg, const tfm_config *m, int T)
{
    mpc_cost c = sbert_embed_cost(cfg, m, T);
    mpc_cost_add(&c, mpc_cost_times(sbert_layer_cost(cfg, m, T), (uint64_t)m->L));
    mpc_cost_add(&c, sbert_head_cost(cfg, m, T));
    return c;
}

mpc_cost sbert_setup_cost(const mpc_config *cfg, const tfm_config *m)
{
    if (m->norm != TFM_NORM_BATCHNORM) return mpc_cost_zero();
    /* One inverse std per norm site: the embedding's and two per layer. */
    return mpc_cost_times(mpc_batchnorm_setup_cost(cfg, (uint64_t)m->C), 1 + 2 * (uint64_t)m->L);
}

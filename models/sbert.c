/* sbert.c -- the secure encoder forward. See sbert.h. */
#include "sbert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/fx.h"
#include "../protocols/families.h"
#include "../protocols/mpc_audit.h"

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

/* ---- the layers, from the protocol family's table (family.h) ---- */

static const mpc_family *fam(const mpc_ctx *c) { return mpc_family_of(c->cfg); }

_Static_assert(TFM_ACT_GELU_ERF == (int)MPC_ACT_GELU_ERF && TFM_ACT_GELU_TANH == (int)MPC_ACT_GELU_TANH &&
                   TFM_ACT_RELU == (int)MPC_ACT_RELU && TFM_ACT_QUAD == (int)MPC_ACT_QUAD, "activation ids");
_Static_assert(TFM_ATTN_SOFTMAX == (int)MPC_ATTN_SOFTMAX && TFM_ATTN_2RELU == (int)MPC_ATTN_2RELU &&
                   TFM_ATTN_2QUAD == (int)MPC_ATTN_2QUAD, "attention ids");
_Static_assert(TFM_NORM_LAYERNORM == (int)MPC_NORM_LAYERNORM && TFM_NORM_BATCHNORM == (int)MPC_NORM_BATCHNORM,
               "norm ids");

static mpc_act act_kind(const tfm_config *m) { return (mpc_act)m->act; }
static mpc_attn attn_kind(const tfm_config *m) { return (mpc_attn)m->attn; }
static mpc_norm norm_kind(const tfm_config *m) { return (mpc_norm)m->norm; }

static void linear(mpc_ctx *c, uint64_t *y, const uint64_t *x, const float *W, const float *b, size_t T, size_t in,
                   size_t out)
{
    fam(c)->linear(c, y, x, W, b, T, in, out);
}

/* The protocol configuration of one call site: the global one, or a copy with the site's public
 * rescale constants (site: LayerNorm site, or -1 - l for the attention of layer l). */
static const mpc_config *site_cfg_of(const mpc_config *cfg, const sbert_calib *cal, int site, mpc_config *buf)
{
    if (!cal) return cfg;
    *buf = *cfg;
    if (site >= 0) {
        buf->ln_rsqrt_shift = cal->ln_shift[site];
    } else {
        double K = cal->recip_scale[-1 - site];
        buf->softmax_recip_scale = buf->quad2_recip_scale = buf->relu2_recip_scale = K;
        if (cal->recip_wide[-1 - site] && cfg->frac_bits >= 16) buf->attn_recip = MPC_RECIP_WIDE;
    }
    return buf;
}

static const mpc_config *site_cfg(const mpc_ctx *c, const sbert_job *j, int site, mpc_config *buf)
{
    return site_cfg_of(c->cfg, j->calib, site, buf);
}

static size_t nbatch(const sbert_job *j) { return j->B > 1 ? (size_t)j->B : 1; }

/* LayerNorm (site: 0 the embedding's, 1 + 2l norm1 of layer l, 2 + 2l norm2) or the BatchNorm
 * stand-in on B T x C, in place (out may alias x). */
static void norm(mpc_ctx *c, const sbert_job *j, int site, uint64_t *out, const uint64_t *x, const float *g,
                 const float *b, const float *mu, const float *var)
{
    const tfm_config *m = j->model;
    mpc_norm_params p = {g, b, mu, var, m->ln_eps};
    mpc_config buf;
    const mpc_config *saved = c->cfg;
    if (m->norm == TFM_NORM_LAYERNORM) c->cfg = site_cfg(c, j, site, &buf);
    fam(c)->norm[norm_kind(m)].run(c, out, x, &p, nbatch(j) * (size_t)j->T, (size_t)m->C);
    c->cfg = saved;
}

/* Attention normalisation of layer l along keys, in place allowed: x is B blocks of R/B rows (one
 * per example), normalised with each example's key mask; one call per run of consecutive examples
 * whose masks are equal (one call for the whole batch without masks). */
static void attn_norm(mpc_ctx *c, const sbert_job *j, int l, uint64_t *out, const uint64_t *x, size_t R, size_t L)
{
    mpc_config buf;
    const mpc_config *saved = c->cfg;
    c->cfg = site_cfg(c, j, -1 - l, &buf);
    size_t B = nbatch(j), rb = R / B, T = (size_t)j->T;
    for (size_t b0 = 0; b0 < B;) {
        size_t b1 = b0 + 1;
        const uint8_t *km = j->keymask ? j->keymask + b0 * T : NULL;
        while (b1 < B && (!km || memcmp(km, j->keymask + b1 * T, T) == 0)) b1++;
        if (B > 1) mpc_audit_range(c, b0, b1 - b0); /* the oracle's per-example accounting */
        fam(c)->attn_norm[attn_kind(j->model)].run(c, out ? out + b0 * rb * L : NULL, x ? x + b0 * rb * L : NULL, km,
                                                     (b1 - b0) * rb, L);
        b0 = b1;
    }
    if (B > 1) mpc_audit_range(c, 0, 0);
    c->cfg = saved;
}

/* ---- the forward pass ---- */

static void embed(mpc_ctx *c, const sbert_job *j, uint64_t *h)
{
    const tfm_config *m = j->model;
    size_t T = (size_t)j->T, V = (size_t)m->V, C = (size_t)m->C, B = nbatch(j);
    int p0 = c->self == NET_P0, real = !c->phantom;
    const tfm_params *w = j->w;
    /* 1-2. Token lookup plus P0's rows: position rows pos_offset.. and token type 0 (public positions),
     * the same for every example of a batch. */
    float *pt = NULL;
    if (real && p0) {
        pt = chk_malloc(B * T * C * sizeof *pt);
        for (size_t t = 0; t < T; t++)
            for (size_t d = 0; d < C; d++) pt[t * C + d] = w->wpe[((size_t)m->pos_offset + t) * C + d] + w->wtt[d];
        for (size_t b = 1; b < B; b++) memcpy(pt + b * T * C, pt, T * C * sizeof *pt);
    }
    /* P0's weights go to the family in phantom mode too (when the job has them), where no op reads them:
     * a setup run records where they are shared (mpc_wcache.h). Temporaries (pt) are real-mode only. */
    fam(c)->embed(c, h, real && c->self == NET_P1 ? j->tokens : NULL, p0 && w ? w->wte : NULL, pt, B * T, V, C);
    free(pt);
    /* 3. Embedding norm. */
    const tfm_params *wp = p0 ? w : NULL; /* P0's plaintext weights (phantom mode: read by no op) */
    norm(c, j, 0, h, h, wp ? wp->emb_ln_g : NULL, wp ? wp->emb_ln_b : NULL, wp ? wp->emb_bn_mu : NULL,
         wp ? wp->emb_bn_var : NULL);
}

/* Q, K, V (T x C each) as one linear layer T x C @ C x 3C of P0's concatenated weights. */
static void qkv_fused(mpc_ctx *c, uint64_t *q, uint64_t *k, uint64_t *v, const uint64_t *h, const tfm_layer *w,
                      size_t T, size_t C)
{
    float *Wc = NULL, *bc = NULL;
    if (w && !c->phantom) { /* a temporary: real mode only (mpc_wcache.h records the job's own weights) */
        Wc = chk_malloc(3 * C * C * sizeof *Wc);
        bc = chk_malloc(3 * C * sizeof *bc);
        const float *Ws[3] = {w->wq, w->wk, w->wv}, *bs[3] = {w->bq, w->bk, w->bv};
        for (int i = 0; i < 3; i++) {
            memcpy(Wc + (size_t)i * C * C, Ws[i], C * C * sizeof *Wc);
            memcpy(bc + (size_t)i * C, bs[i], C * sizeof *bc);
        }
    }
    uint64_t *y = mpc_tmp(c, 3 * T * C);
    linear(c, y, h, Wc, bc, T, C, 3 * C);
    mpc_work(c, 0, 3 * T * C, 0);
    if (!c->phantom)
        for (size_t t = 0; t < T; t++) {
            memcpy(q + t * C, y + t * 3 * C, C * sizeof *y);
            memcpy(k + t * C, y + t * 3 * C + C, C * sizeof *y);
            memcpy(v + t * C, y + t * 3 * C + 2 * C, C * sizeof *y);
        }
    mpc_tmp_free(y);
    free(Wc), free(bc);
}

static void layer(mpc_ctx *c, const sbert_job *j, int l, uint64_t *h)
{
    const tfm_config *m = j->model;
    size_t T1 = (size_t)j->T, B = nbatch(j), T = B * T1; /* T: the batch's rows */
    size_t C = (size_t)m->C, F = (size_t)m->F, NH = (size_t)m->NH, hs = C / NH;
    int p0 = c->self == NET_P0, real = !c->phantom;
    const tfm_layer *w = p0 && j->w ? &j->w->layer[l] : NULL; /* phantom: passed on, never read */
#define W(field) (w ? w->field : NULL)
    uint64_t *q = mpc_tmp(c, T * C), *k = mpc_tmp(c, T * C), *v = mpc_tmp(c, T * C);
    uint64_t *qh = mpc_tmp(c, T * C), *kt = mpc_tmp(c, T * C), *vh = mpc_tmp(c, T * C);
    uint64_t *s = mpc_tmp(c, B * NH * T1 * T1), *ctx = mpc_tmp(c, T * C), *a = mpc_tmp(c, T * C);
    /* qkv: three linear layers, one after another (CrypTen order), or one of concatenated weights
     * (the family's fused_qkv, SIGMA's order). */
    net_tag_push(c->net, SB_TAG_QKV);
    if (fam(c)->fused_qkv) qkv_fused(c, q, k, v, h, w, T, C);
    else {
        linear(c, q, h, W(wq), W(bq), T, C, C);
        linear(c, k, h, W(wk), W(bk), T, C, C);
        linear(c, v, h, W(wv), W(bv), T, C, C);
    }
    net_tag_pop(c->net, SB_TAG_QKV);
    /* Split heads (local): qh, vh [B, NH, T, hs]; kt [B, NH, hs, T] (T: one example's). */
    mpc_work(c, 0, 3 * T * C, 0);
    if (real)
        for (size_t b = 0; b < B; b++) {
            uint64_t *qb = qh + b * T1 * C, *vb = vh + b * T1 * C, *kb = kt + b * T1 * C;
            for (size_t t = 0; t < T1; t++)
                for (size_t hh = 0; hh < NH; hh++)
                    for (size_t d = 0; d < hs; d++) {
                        size_t src = (b * T1 + t) * C + hh * hs + d;
                        qb[(hh * T1 + t) * hs + d] = q[src];
                        vb[(hh * T1 + t) * hs + d] = v[src];
                        kb[(hh * hs + d) * T1 + t] = k[src];
                    }
        }
    /* scores = Q K^T / sqrt(hs), batched over examples and heads, both operands secret. */
    net_tag_push(c->net, SB_TAG_SCORES);
    if (fam(c)->matmul_scaled) fam(c)->matmul_scaled(c, s, qh, kt, B * NH, T1, hs, T1, 1.0 / sqrt((double)hs));
    else {
        fam(c)->matmul(c, s, qh, kt, B * NH, T1, hs, T1);
        fam(c)->scale(c, s, s, 1.0 / sqrt((double)hs), B * NH * T1 * T1);
    }
    net_tag_pop(c->net, SB_TAG_SCORES);
    /* Attention normalisation along keys, with each example's public key mask. */
    net_tag_push(c->net, SB_TAG_SOFTMAX);
    attn_norm(c, j, l, s, s, B * NH * T1, T1);
    net_tag_pop(c->net, SB_TAG_SOFTMAX);
    /* context = P V, merged back to [B T, C]. */
    net_tag_push(c->net, SB_TAG_CONTEXT);
    fam(c)->matmul(c, qh, s, vh, B * NH, T1, T1, hs);
    net_tag_pop(c->net, SB_TAG_CONTEXT);
    mpc_work(c, 0, T * C, 0);
    if (real)
        for (size_t b = 0; b < B; b++)
            for (size_t hh = 0; hh < NH; hh++)
                for (size_t t = 0; t < T1; t++)
                    for (size_t d = 0; d < hs; d++)
                        ctx[(b * T1 + t) * C + hh * hs + d] = qh[b * T1 * C + (hh * T1 + t) * hs + d];
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
    fam(c)->activation[act_kind(m)].run(c, u, u, T * F);
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

void sbert_layer_forward(mpc_ctx *c, const sbert_job *j, int l, uint64_t *h)
{
    CHECK(l >= 0 && l < j->model->L, "layer %d of a %d-layer model", l, j->model->L);
    CHECK(c->phantom || c->self != NET_P0 || j->w != NULL, "P0 needs the weights in real mode");
    layer(c, j, l, h);
}

void sbert_forward(mpc_ctx *c, const sbert_job *j)
{
    const tfm_config *m = j->model;
    CHECK(j->T >= 1 && j->T + m->pos_offset <= m->P, "sequence length %d exceeds the model's %d positions", j->T,
          m->P - m->pos_offset);
    CHECK(c->phantom || c->self != NET_P0 || j->w != NULL, "P0 needs the weights in real mode");
    CHECK(c->phantom || c->self != NET_P1 || (j->tokens && j->logits), "P1 needs tokens and a logits buffer");
    CHECK(j->B >= 0, "batch of %d examples", j->B);
    CHECK(!j->calib || m->L <= SBERT_MAX_LAYERS, "calibration covers %d layers, the model has %d", SBERT_MAX_LAYERS,
          m->L);
    size_t T = (size_t)j->T, C = (size_t)m->C, NL = (size_t)m->NL, B = nbatch(j);
    int p0 = c->self == NET_P0, real = !c->phantom;
    uint64_t *h = mpc_tmp(c, B * T * C);
    net_tag_push(c->net, SB_TAG_EMBED);
    embed(c, j, h);
    net_tag_pop(c->net, SB_TAG_EMBED);
    for (int l = 0; l < m->L; l++) {
        int lt = SB_TAG_LAYER0 + (l < 40 ? l : 39);
        net_tag_push(c->net, lt);
        layer(c, j, l, h);
        net_tag_pop(c->net, lt);
    }
    /* Head: pooler tanh(W h[0] + b) on each example's first token, classifier, logits revealed to P1. */
    uint64_t *pooled = mpc_tmp(c, B * C), *logit = mpc_tmp(c, B * NL), *plain = mpc_tmp(c, B * NL);
    const uint64_t *cls = h; /* B = 1: row 0 of h */
    uint64_t *first = NULL;
    if (B > 1) { /* gather rows b T (local) */
        first = mpc_tmp(c, B * C);
        mpc_work(c, 0, B * C, 0);
        if (real)
            for (size_t b = 0; b < B; b++) memcpy(first + b * C, h + b * T * C, C * sizeof *first);
        cls = first;
    }
    net_tag_push(c->net, SB_TAG_POOLER);
    linear(c, pooled, cls, p0 && j->w ? j->w->pool_w : NULL, p0 && j->w ? j->w->pool_b : NULL, B, C, C);
    fam(c)->activation[MPC_ACT_TANH].run(c, pooled, pooled, B * C);
    net_tag_pop(c->net, SB_TAG_POOLER);
    net_tag_push(c->net, SB_TAG_CLASSIFIER);
    linear(c, logit, pooled, p0 && j->w ? j->w->cls_w : NULL, p0 && j->w ? j->w->cls_b : NULL, B, C, NL);
    fam(c)->reveal(c, plain, logit, B * NL, NET_P1);
    net_tag_pop(c->net, SB_TAG_CLASSIFIER);
    if (real && c->self == NET_P1)
        for (size_t i = 0; i < B * NL; i++) j->logits[i] = fx_decode(plain[i], c->cfg->frac_bits);
    mpc_tmp_free(first);
    mpc_tmp_free(h), mpc_tmp_free(pooled), mpc_tmp_free(logit), mpc_tmp_free(plain);
}

/* ---- closed-form costs: the layer graph over the family's cost twins ---- */

/* The calibrated constants change no message under --trunc local, except a layer's choice of the
 * range-normalised reciprocal; under --trunc safe a LayerNorm shift k > 0 and a rescale K != 1 each
 * add truncations, so each site's twin takes its site's configuration, as the run does (norm,
 * attn_norm above). */
static mpc_cost norm_cost(const mpc_config *cfg, const tfm_config *m, int T, const sbert_calib *cal, int site)
{
    mpc_config buf;
    if (m->norm == TFM_NORM_LAYERNORM) cfg = site_cfg_of(cfg, cal, site, &buf);
    return mpc_family_of(cfg)->norm[norm_kind(m)].cost(cfg, (uint64_t)T, (uint64_t)m->C);
}

static mpc_cost embed_cost(const mpc_config *cfg, const tfm_config *m, int T, const sbert_calib *cal)
{
    mpc_cost c = mpc_family_of(cfg)->embed_cost(cfg, (uint64_t)T, (uint64_t)m->V, (uint64_t)m->C);
    mpc_cost_add(&c, norm_cost(cfg, m, T, cal, 0));
    return c;
}

mpc_cost sbert_embed_cost(const mpc_config *cfg, const tfm_config *m, int T) { return embed_cost(cfg, m, T, NULL); }

static mpc_cost layer_cost(const mpc_config *cfg, const tfm_config *m, int T, const sbert_calib *cal, int l)
{
    const mpc_family *f = mpc_family_of(cfg);
    uint64_t t = (uint64_t)T, C = (uint64_t)m->C, F = (uint64_t)m->F, NH = (uint64_t)m->NH, hs = C / NH;
    mpc_cost c = f->fused_qkv ? f->linear_cost(cfg, t, C, 3 * C) : mpc_cost_times(f->linear_cost(cfg, t, C, C), 3);
    if (f->matmul_scaled_cost) mpc_cost_add(&c, f->matmul_scaled_cost(cfg, NH, t, hs, t, 1.0 / sqrt((double)hs)));
    else {
        mpc_cost_add(&c, f->matmul_cost(cfg, NH, t, hs, t));
        mpc_cost_add(&c, f->scale_cost(cfg, NH * t * t));
    }
    mpc_config buf;
    mpc_cost_add(&c, f->attn_norm[attn_kind(m)].cost(site_cfg_of(cfg, cal, -1 - l, &buf), NH * t, t));
    mpc_cost_add(&c, f->matmul_cost(cfg, NH, t, t, hs));
    mpc_cost_add(&c, f->linear_cost(cfg, t, C, C));
    mpc_cost_add(&c, norm_cost(cfg, m, T, cal, 1 + 2 * l));
    mpc_cost_add(&c, f->linear_cost(cfg, t, C, F));
    mpc_cost_add(&c, f->activation[act_kind(m)].cost(cfg, t * F));
    mpc_cost_add(&c, f->linear_cost(cfg, t, F, C));
    mpc_cost_add(&c, norm_cost(cfg, m, T, cal, 2 + 2 * l));
    return c;
}

mpc_cost sbert_layer_cost(const mpc_config *cfg, const tfm_config *m, int T) { return layer_cost(cfg, m, T, NULL, 0); }

mpc_cost sbert_head_cost(const mpc_config *cfg, const tfm_config *m, int T)
{
    const mpc_family *f = mpc_family_of(cfg);
    uint64_t C = (uint64_t)m->C, NL = (uint64_t)m->NL;
    mpc_cost c = f->linear_cost(cfg, 1, C, C);
    mpc_cost_add(&c, f->activation[MPC_ACT_TANH].cost(cfg, C));
    mpc_cost_add(&c, f->linear_cost(cfg, 1, C, NL));
    mpc_cost_add(&c, f->reveal_cost(cfg, NL, NET_P1));
    return c;
}

mpc_cost sbert_cost_calib(const mpc_config *cfg, const tfm_config *m, int T, const sbert_calib *cal)
{
    mpc_cost c = embed_cost(cfg, m, T, cal);
    if (cal)
        for (int l = 0; l < m->L; l++) mpc_cost_add(&c, layer_cost(cfg, m, T, cal, l));
    else mpc_cost_add(&c, mpc_cost_times(layer_cost(cfg, m, T, NULL, 0), (uint64_t)m->L));
    mpc_cost_add(&c, sbert_head_cost(cfg, m, T));
    return c;
}

mpc_cost sbert_cost(const mpc_config *cfg, const tfm_config *m, int T) { return sbert_cost_calib(cfg, m, T, NULL); }

mpc_cost sbert_setup_cost(const mpc_config *cfg, const tfm_config *m)
{
    const mpc_norm_op *n = &mpc_family_of(cfg)->norm[norm_kind(m)];
    if (!n->setup_cost) return mpc_cost_zero();
    /* One setup per norm site: the embedding's and two per layer. */
    return mpc_cost_times(n->setup_cost(cfg, (uint64_t)m->C), 1 + 2 * (uint64_t)m->L);
}

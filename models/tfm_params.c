/* tfm_params.c -- configurations (model zoo), the parameter block and its named-tensor table. */
#include "tfm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/rng.h"

const char *tfm_strerror(int code)
{
    switch (code) {
    case TFM_OK: return "success";
    case TFM_EIO: return "I/O error";
    case TFM_EFORMAT: return "malformed file";
    case TFM_ESHAPE: return "dtype or shape mismatch";
    case TFM_EMISSING: return "missing tensor or field";
    case TFM_EVALUE: return "value out of range";
    default: return "unknown error";
    }
}

/* ---- model zoo ---- */

typedef struct zoo_entry {
    const char *name;
    int family, V, C, L, NH, F, P, TT, pos_offset;
    double eps;
} zoo_entry;

static const zoo_entry zoo[] = {
    /* name            family               V      C     L   NH  F     P    TT off eps */
    {"bert-base", TFM_FAMILY_BERT, 28996, 768, 12, 12, 3072, 512, 2, 0, 1e-12}, /* MPCFormer's (cased vocab) */
    {"bert-large", TFM_FAMILY_BERT, 28996, 1024, 24, 16, 4096, 512, 2, 0, 1e-12},
    {"roberta-base", TFM_FAMILY_ROBERTA, 50265, 768, 12, 12, 3072, 514, 1, 2, 1e-5},
    {"roberta-large", TFM_FAMILY_ROBERTA, 50265, 1024, 24, 16, 4096, 514, 1, 2, 1e-5},
    {"bert-mini", TFM_FAMILY_BERT, 8192, 256, 4, 4, 1024, 512, 2, 0, 1e-12},  /* trainable teacher size */
    {"bert-tiny", TFM_FAMILY_BERT, 100, 32, 2, 2, 64, 64, 2, 0, 1e-12},       /* tests */
    {NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
};

static void set_defaults(tfm_config *c)
{
    c->NL = 2;
    c->act = TFM_ACT_GELU_ERF;
    c->attn = TFM_ATTN_SOFTMAX;
    c->norm = TFM_NORM_LAYERNORM;
    c->quad_a = 0.125, c->quad_b = 0.25, c->quad_c = 0.5; /* MPCFormer's training form */
    c->quad2_c = 5.0;
}

int tfm_config_named(tfm_config *cfg, const char *name)
{
    memset(cfg, 0, sizeof *cfg);
    for (const zoo_entry *z = zoo; z->name; z++) {
        if (strcmp(z->name, name) != 0) continue;
        set_defaults(cfg);
        snprintf(cfg->name, sizeof cfg->name, "%s", z->name);
        cfg->family = z->family;
        cfg->V = z->V, cfg->C = z->C, cfg->L = z->L, cfg->NH = z->NH, cfg->F = z->F;
        cfg->P = z->P, cfg->TT = z->TT, cfg->pos_offset = z->pos_offset, cfg->ln_eps = z->eps;
        return TFM_OK;
    }
    return TFM_EMISSING;
}

void tfm_config_list(char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = 0;
    for (const zoo_entry *z = zoo; z->name && off < n; z++)
        off += (size_t)snprintf(buf + off, n - off, "%s%s", off ? ", " : "", z->name);
}

int tfm_config_check(const tfm_config *c, char *err, size_t errlen)
{
#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return TFM_EVALUE; } while (0)
    if (c->V < 1 || c->V > 1000000) BAD("vocab_size %d out of [1, 1e6]", c->V);
    if (c->C < 1 || c->C > 16384) BAD("hidden_size %d out of [1, 16384]", c->C);
    if (c->L < 1 || c->L > 128) BAD("num_hidden_layers %d out of [1, 128]", c->L);
    if (c->NH < 1 || c->C % c->NH != 0) BAD("num_attention_heads %d must divide hidden_size %d", c->NH, c->C);
    if (c->F < 1 || c->F > 65536) BAD("intermediate_size %d out of [1, 65536]", c->F);
    if (c->P < 1 || c->P > 65536) BAD("max_position_embeddings %d out of [1, 65536]", c->P);
    if (c->TT < 1 || c->TT > 1024) BAD("type_vocab_size %d out of [1, 1024]", c->TT);
    if (c->NL < 1 || c->NL > 1024) BAD("num_labels %d out of [1, 1024]", c->NL);
    if (c->pos_offset < 0 || c->pos_offset >= c->P) BAD("position offset %d out of range", c->pos_offset);
    if (!(c->ln_eps >= 0 && c->ln_eps < 1)) BAD("layer_norm_eps %g out of [0, 1)", c->ln_eps);
    if (c->act < 0 || c->act > TFM_ACT_QUAD || c->attn < 0 || c->attn > TFM_ATTN_2QUAD || c->norm < 0 ||
        c->norm > TFM_NORM_BATCHNORM)
        BAD("unknown activation, attention or norm");
    return TFM_OK;
#undef BAD
}

static const char *const act_names[] = {"gelu-erf", "gelu-tanh", "relu", "quad"};
static const char *const attn_names[] = {"softmax", "2relu", "2quad"};
static const char *const norm_names[] = {"layernorm", "batchnorm"};

int tfm_act_parse(const char *s)
{
    if (strcmp(s, "gelu") == 0 || strcmp(s, "gelu_erf") == 0) return TFM_ACT_GELU_ERF;
    if (strcmp(s, "gelu_tanh") == 0 || strcmp(s, "gelu_new") == 0 || strcmp(s, "gelu_pytorch_tanh") == 0)
        return TFM_ACT_GELU_TANH;
    for (int i = 0; i < 4; i++)
        if (strcmp(s, act_names[i]) == 0) return i;
    return -1;
}

int tfm_attn_parse(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, attn_names[i]) == 0) return i;
    return -1;
}

int tfm_norm_parse(const char *s)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(s, norm_names[i]) == 0) return i;
    return -1;
}

const char *tfm_act_name(int a) { return a >= 0 && a < 4 ? act_names[a] : "?"; }
const char *tfm_attn_name(int a) { return a >= 0 && a < 3 ? attn_names[a] : "?"; }
const char *tfm_norm_name(int a) { return a >= 0 && a < 2 ? norm_names[a] : "?"; }

/* ---- the parameter block ---- */

/* Walks the tensors in table order; if t != NULL fills names/shapes; if base != NULL assigns data
 * pointers into the block (and sets p's fields). Returns the total number of floats. */
static size_t walk(const tfm_config *c, tfm_params *p, float *base, tfm_tensor *t, size_t *count)
{
    size_t off = 0, k = 0;
    const char *pre = c->family == TFM_FAMILY_ROBERTA ? "roberta" : "bert";
    int bn = c->norm == TFM_NORM_BATCHNORM;
#define T(field, r, cols, ...)                                                        \
    do {                                                                              \
        size_t r_ = (size_t)(r), c_ = (size_t)(cols);                                 \
        if (t) {                                                                      \
            snprintf(t[k].name, sizeof t[k].name, __VA_ARGS__);                       \
            t[k].ndim = c_ ? 2 : 1;                                                   \
            t[k].shape[0] = r_;                                                       \
            t[k].shape[1] = c_;                                                       \
            t[k].data = base ? base + off : NULL;                                     \
        }                                                                             \
        if (base) (field) = base + off;                                               \
        off += r_ * (c_ ? c_ : 1);                                                    \
        k++;                                                                          \
    } while (0)
    float *dummy = NULL;
#define F(x) (*(p ? &(x) : &dummy))
    T(F(p->wte), c->V, c->C, "%s.embeddings.word_embeddings.weight", pre);
    T(F(p->wpe), c->P, c->C, "%s.embeddings.position_embeddings.weight", pre);
    T(F(p->wtt), c->TT, c->C, "%s.embeddings.token_type_embeddings.weight", pre);
    T(F(p->emb_ln_g), c->C, 0, "%s.embeddings.LayerNorm.weight", pre);
    T(F(p->emb_ln_b), c->C, 0, "%s.embeddings.LayerNorm.bias", pre);
    if (bn) {
        T(F(p->emb_bn_mu), c->C, 0, "%s.embeddings.LayerNorm.running_mean", pre);
        T(F(p->emb_bn_var), c->C, 0, "%s.embeddings.LayerNorm.running_var", pre);
    }
    for (int l = 0; l < c->L; l++) {
        tfm_layer *y = p ? &p->layer[l] : NULL;
        tfm_layer ydummy;
        if (!y) y = &ydummy;
#define LT(field, r, cols, suffix) T(F(y->field), r, cols, "%s.encoder.layer.%d.%s", pre, l, suffix)
        LT(wq, c->C, c->C, "attention.self.query.weight");
        LT(bq, c->C, 0, "attention.self.query.bias");
        LT(wk, c->C, c->C, "attention.self.key.weight");
        LT(bk, c->C, 0, "attention.self.key.bias");
        LT(wv, c->C, c->C, "attention.self.value.weight");
        LT(bv, c->C, 0, "attention.self.value.bias");
        LT(wo, c->C, c->C, "attention.output.dense.weight");
        LT(bo, c->C, 0, "attention.output.dense.bias");
        LT(ln1_g, c->C, 0, "attention.output.LayerNorm.weight");
        LT(ln1_b, c->C, 0, "attention.output.LayerNorm.bias");
        if (bn) {
            LT(bn1_mu, c->C, 0, "attention.output.LayerNorm.running_mean");
            LT(bn1_var, c->C, 0, "attention.output.LayerNorm.running_var");
        }
        LT(w1, c->F, c->C, "intermediate.dense.weight");
        LT(b1, c->F, 0, "intermediate.dense.bias");
        LT(w2, c->C, c->F, "output.dense.weight");
        LT(b2, c->C, 0, "output.dense.bias");
        LT(ln2_g, c->C, 0, "output.LayerNorm.weight");
        LT(ln2_b, c->C, 0, "output.LayerNorm.bias");
        if (bn) {
            LT(bn2_mu, c->C, 0, "output.LayerNorm.running_mean");
            LT(bn2_var, c->C, 0, "output.LayerNorm.running_var");
        }
#undef LT
    }
    if (c->family == TFM_FAMILY_ROBERTA) {
        T(F(p->pool_w), c->C, c->C, "classifier.dense.weight");
        T(F(p->pool_b), c->C, 0, "classifier.dense.bias");
        T(F(p->cls_w), c->NL, c->C, "classifier.out_proj.weight");
        T(F(p->cls_b), c->NL, 0, "classifier.out_proj.bias");
    } else {
        T(F(p->pool_w), c->C, c->C, "bert.pooler.dense.weight");
        T(F(p->pool_b), c->C, 0, "bert.pooler.dense.bias");
        T(F(p->cls_w), c->NL, c->C, "classifier.weight");
        T(F(p->cls_b), c->NL, 0, "classifier.bias");
    }
#undef F
#undef T
    if (count) *count = k;
    return off;
}

size_t tfm_tensor_count(const tfm_config *cfg)
{
    size_t k;
    walk(cfg, NULL, NULL, NULL, &k);
    return k;
}

void tfm_tensor_table(const tfm_config *cfg, const tfm_params *p, tfm_tensor *t)
{
    tfm_params q = *p; /* walk assigns pointers; they equal p's */
    walk(cfg, &q, p->mem, t, NULL);
}

void tfm_params_alloc(tfm_params *p, const tfm_config *cfg)
{
    memset(p, 0, sizeof *p);
    p->layer = chk_calloc((size_t)cfg->L, sizeof *p->layer);
    p->n = walk(cfg, NULL, NULL, NULL, NULL);
    p->mem = chk_calloc(p->n, sizeof(float));
    walk(cfg, p, p->mem, NULL, NULL);
}

void tfm_params_free(tfm_params *p)
{
    if (!p) return;
    free(p->mem);
    free(p->layer);
    memset(p, 0, sizeof *p);
}

void tfm_params_init(tfm_params *p, const tfm_config *cfg, uint64_t seed)
{
    size_t nt = tfm_tensor_count(cfg);
    tfm_tensor *t = chk_malloc(nt * sizeof *t);
    tfm_tensor_table(cfg, p, t);
    rng r;
    rng_seed(&r, seed, 0x7f3);
    for (size_t i = 0; i < nt; i++) {
        size_t n = t[i].shape[0] * (t[i].ndim == 2 ? t[i].shape[1] : 1);
        const char *nm = t[i].name;
        size_t len = strlen(nm);
        int is_gamma = strstr(nm, "LayerNorm.weight") != NULL, is_var = strstr(nm, "running_var") != NULL;
        int is_bias = (len > 5 && strcmp(nm + len - 5, ".bias") == 0) || strstr(nm, "running_mean") != NULL;
        for (size_t j = 0; j < n; j++)
            t[i].data[j] = is_gamma || is_var ? 1.0f : is_bias ? 0.0f : (float)(0.02 * rng_normal(&r));
    }
    free(t);
}

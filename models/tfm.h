/* tfm.h -- plaintext Transformer encoders (BERT, RoBERTa) in llm.c style: configuration, one
 * parameter block with a pointer table, named tensors in Hugging Face BERT names, forward pass with
 * BERT's sequence-classification head (pooler + classifier).
 *
 * Shapes (B batch, T tokens, C hidden, NH heads, hs = C/NH head size, F intermediate, V vocabulary,
 * P positions, TT token types, NL labels). Linear weights are stored as PyTorch does, [out, in]:
 * y = x W^T + b. Parameters are float32, as in checkpoints. */
#ifndef TFM_H
#define TFM_H

#include <stddef.h>
#include <stdint.h>

#include "../common/chk.h"

enum { TFM_ACT_GELU_ERF = 0, TFM_ACT_GELU_TANH = 1, TFM_ACT_RELU = 2, TFM_ACT_QUAD = 3 };
enum { TFM_ATTN_SOFTMAX = 0, TFM_ATTN_2RELU = 1, TFM_ATTN_2QUAD = 2 };
enum { TFM_NORM_LAYERNORM = 0, TFM_NORM_BATCHNORM = 1 };
enum { TFM_FAMILY_BERT = 0, TFM_FAMILY_ROBERTA = 1 };

/* Error codes of the loaders (0 = success). */
enum {
    TFM_OK = 0,
    TFM_EIO = -1,      /* cannot open/read/write the file */
    TFM_EFORMAT = -2,  /* malformed file (header, JSON, offsets) */
    TFM_ESHAPE = -3,   /* dtype or shape does not match the configuration */
    TFM_EMISSING = -4, /* a required tensor or field is missing */
    TFM_EVALUE = -5,   /* out-of-range value */
};
const char *tfm_strerror(int code);

typedef struct tfm_config {
    char name[48];
    int family;        /* TFM_FAMILY_BERT / ROBERTA: tensor-name prefix and head names */
    int V, C, L, NH, F, P, TT, NL; /* vocab, hidden, layers, heads, intermediate, positions, types, labels */
    int pos_offset;    /* position ids start here (RoBERTa: padding_idx + 1 = 2) */
    double ln_eps;     /* layer_norm_eps */
    /* Approximations (MPCFormer): activation, attention normalisation, norm. */
    int act, attn, norm;
    double quad_a, quad_b, quad_c; /* Quad coefficients (training form 0.125, 0.25, 0.5) */
    double quad2_c;                /* 2Quad shift (5) */
} tfm_config;

/* Built-in configurations: bert-base, bert-large, roberta-base, roberta-large, bert-tiny (2 layers,
 * hidden 32, 2 heads: for tests), bert-mini (4 layers, hidden 256, 4 heads: the trainable teacher).
 * Activation defaults to the config's hidden_act (gelu -> erf), softmax, layernorm. */
int tfm_config_named(tfm_config *cfg, const char *name) WUR; /* TFM_OK or TFM_EMISSING */
void tfm_config_list(char *buf, size_t n);                   /* "bert-base, bert-large, ..." */
/* Checks dimensions (C % NH == 0, all positive, sane limits). TFM_OK or TFM_EVALUE + message in err. */
int tfm_config_check(const tfm_config *cfg, char *err, size_t errlen) WUR;
/* Parses an activation / attention / norm name ("gelu", "gelu-erf", "gelu-tanh", "relu", "quad";
 * "softmax", "2relu", "2quad"; "layernorm", "batchnorm"). -1 if unknown. */
int tfm_act_parse(const char *s);
int tfm_attn_parse(const char *s);
int tfm_norm_parse(const char *s);
const char *tfm_act_name(int act);
const char *tfm_attn_name(int attn);
const char *tfm_norm_name(int norm);

/* ---- parameters ---- */

typedef struct tfm_layer {
    float *wq, *bq, *wk, *bk, *wv, *bv; /* [C,C], [C] */
    float *wo, *bo;                     /* attention output dense [C,C], [C] */
    float *ln1_g, *ln1_b;               /* attention output LayerNorm [C] */
    float *w1, *b1;                     /* intermediate dense [F,C], [F] */
    float *w2, *b2;                     /* output dense [C,F], [C] */
    float *ln2_g, *ln2_b;               /* output LayerNorm [C] */
    float *bn1_mu, *bn1_var, *bn2_mu, *bn2_var; /* BatchNorm running stats [C]; NULL unless norm = batchnorm */
} tfm_layer;

typedef struct tfm_params {
    float *wte;            /* word embeddings [V,C] */
    float *wpe;            /* position embeddings [P,C] */
    float *wtt;            /* token type embeddings [TT,C] */
    float *emb_ln_g, *emb_ln_b;
    float *emb_bn_mu, *emb_bn_var; /* NULL unless batchnorm */
    tfm_layer *layer;      /* L entries */
    float *pool_w, *pool_b; /* pooler dense [C,C], [C] (RoBERTa: classifier.dense) */
    float *cls_w, *cls_b;   /* classifier [NL,C], [NL] (RoBERTa: classifier.out_proj) */
    float *mem;            /* the one block */
    size_t n;              /* floats in the block */
} tfm_params;

/* A named tensor of the parameter block. */
typedef struct tfm_tensor {
    char name[96];
    int ndim;
    size_t shape[2];
    float *data;
} tfm_tensor;

/* Allocates the block (zeroed) and sets the pointers. tfm_params_free(NULL-initialised) is safe. */
void tfm_params_alloc(tfm_params *p, const tfm_config *cfg);
void tfm_params_free(tfm_params *p);
/* Number of tensors, and the table itself in a fixed order (embeddings, layers, pooler, classifier),
 * with Hugging Face names: "bert.encoder.layer.3.attention.self.query.weight", ... */
size_t tfm_tensor_count(const tfm_config *cfg);
void tfm_tensor_table(const tfm_config *cfg, const tfm_params *p, tfm_tensor *t);
/* Deterministic random init (N(0, 0.02) weights, zero biases, LayerNorm gamma 1, BatchNorm var 1). */
void tfm_params_init(tfm_params *p, const tfm_config *cfg, uint64_t seed);

/* ---- forward pass ---- */

/* Forward pass of B sequences of T tokens through the encoder and the classification head, with the
 * configuration's approximations (act, attn, norm). tokens, types: B x T (types NULL = all 0); mask:
 * B x T, 1 = real token, 0 = padding (NULL = all real). Position ids are pos_offset + t.
 * logits: B x NL. Optional outputs (NULL to skip):
 *   hidden: (L+1) x B x T x C -- the embedding output (after its norm), then each layer's output;
 *   scores: L x B x NH x T x T -- pre-normalisation attention scores QK^T/sqrt(hs) plus the additive
 *           mask (-1e4 at padded keys), as MPCFormer's stage-1 distillation reads them.
 * Attention normalisations: softmax(scores); 2Quad: (s+c)^2 zeroed at padded keys, / row sum;
 * 2ReLU: (relu(s) + eps/T) / (row sum + eps), eps = 1e-12 (MPCFormer's training form).
 * Norms: LayerNorm over C with ln_eps; BatchNorm stand-in: (x - mu)/sqrt(var + ln_eps) * g + b.
 * Pooler: tanh(W h_[CLS] + b); classifier: W pooled + b. Dropout is not applied (inference). */
void tfm_forward(const tfm_config *cfg, const tfm_params *p, const int *tokens, const int *types,
                 const uint8_t *mask, int B, int T, float *logits, float *hidden, float *scores);

#endif

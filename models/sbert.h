/* sbert.h -- the secure encoder forward: BERT/RoBERTa with a sequence-classification head, built from
 * mpc_ ops, for P0 (weights) and P1 (tokens); the logits are revealed to P1 only.
 *
 * Protocol `crypten` (CrypTen's behaviour, MPCFormer's setting):
 *  - P0's weights are secret-shared at model setup (no messages); every linear layer is a Beaver
 *    matmul with both operands secret, so each use re-opens a fresh mask of the whole weight.
 *  - Embedding: P1 secret-shares the one-hot matrix of its tokens (T x V, fixed point) and it is
 *    multiplied by P0's secret word-embedding table (the table is re-opened per inference); position
 *    rows and token type 0 are P0's shares, added locally (positions are public).
 *  - Attention with a public key mask (padding is public: T is); softmax / 2ReLU / 2Quad per
 *    --softmax; activation GeLU (erf or tanh form), ReLU or Quad; LayerNorm or the BatchNorm stand-in
 *    (its inverse std is model-setup output: P0 computes it from its running variance).
 *  - Residuals are local; the pooler's tanh is mpc_tanh; the classifier is a Beaver matmul; logits are
 *    revealed to P1 (one one-way round).
 * Every exchange is tagged by operator (SB_TAG_*), for the per-operator breakdown. */
#ifndef SBERT_H
#define SBERT_H

#include "../protocols/mpc.h"
#include "../protocols/mpc_cost.h"
#include "tfm.h"

enum {
    SB_TAG_EMBED = 1, SB_TAG_QKV, SB_TAG_SCORES, SB_TAG_SOFTMAX, SB_TAG_CONTEXT, SB_TAG_OUT_PROJ,
    SB_TAG_NORM1, SB_TAG_FFN1, SB_TAG_ACT, SB_TAG_FFN2, SB_TAG_NORM2, SB_TAG_POOLER, SB_TAG_CLASSIFIER,
    SB_TAG_LAYER0 = 16, /* SB_TAG_LAYER0 + l tags the whole of layer l (l < 40) */
    SB_NTAGS_OPS = SB_TAG_CLASSIFIER + 1,
};
const char *sbert_tag_name(int tag); /* "embed", ..., "classifier", "layer3"; NULL if unused */

/* One party's view of an inference. Fields marked P0/P1 are read only by that party (NULL elsewhere
 * and in phantom mode). */
typedef struct sbert_job {
    const tfm_config *model;
    int T;                    /* sequence length (public) */
    const uint8_t *keymask;   /* public, T entries, 0 = padding; NULL = none */
    const tfm_params *w;      /* P0: plaintext weights (real mode) */
    const int *tokens;        /* P1: T token ids (real mode) */
    double *logits;           /* P1: NL decoded logits out (real mode) */
} sbert_job;

/* Runs the forward pass on this party (P0 or P1). Straight-line protocol code; CHECKs the inputs of
 * its own party (token ids in range, T <= positions). */
void sbert_forward(mpc_ctx *c, const sbert_job *job);

/* Closed-form costs, from the ops' closed forms: one encoder layer, the embedding, the head, and the
 * whole forward. One-time model setup (BatchNorm's inverse std under CrypTen) is separate. */
mpc_cost sbert_embed_cost(const mpc_config *cfg, const tfm_config *m, int T);
mpc_cost sbert_layer_cost(const mpc_config *cfg, const tfm_config *m, int T);
mpc_cost sbert_head_cost(const mpc_config *cfg, const tfm_config *m, int T);
mpc_cost sbert_cost(const mpc_config *cfg, const tfm_config *m, int T);
mpc_cost sbert_setup_cost(const mpc_config *cfg, const tfm_config *m);

#endif

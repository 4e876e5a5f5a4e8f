/* sbert.h -- the secure encoder forward: BERT/RoBERTa with a sequence-classification head, for P0
 * (weights) and P1 (tokens); the logits are revealed to P1 only.
 *
 * This file is the layer graph only: every layer comes from the protocol family of the configuration
 * (mpc_config.protocol, family.h): linear layers, the embedding (P1's tokens, P0's table and
 * position/type rows), the secret products of attention and its public 1/sqrt(d) scale, attention
 * normalisation (softmax / 2ReLU / 2Quad, with the public key mask: padding is public, T is), the
 * activation (GeLU erf or tanh form, ReLU, Quad), the norm (LayerNorm or the BatchNorm stand-in),
 * the pooler's tanh and the reveal of the logits to P1. How the `crypten` family does each is in
 * protocols/crypten/crypten.c. Residuals and the head split/merge are local.
 * Every exchange is tagged by operator (SB_TAG_*), for the per-operator breakdown. */
#ifndef SBERT_H
#define SBERT_H

#include <stdio.h>

#include "../protocols/family.h"
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

/* ---- public per-call-site rescale constants (PROTOCOLS.md 4.2, 4.3) ----
 * A trained model's values can leave the windows where inv_sqrt and the reciprocal are accurate
 * (LayerNorm variances of 1e-3 at the embedding, 2Quad row sums of 1e4). The model owner fixes one
 * public power-of-two rescale per call site from plaintext statistics of its training data, and
 * publishes it with the architecture: both parties use the same constants, and they do not depend on
 * the client's input. Under --trunc local the rescales are local (no traffic; costs unchanged); under
 * --trunc safe each division by a rescale other than 1 is a safe truncation (sbert_cost_calib). */
enum { SBERT_MAX_LAYERS = 40, SBERT_LN_SITES = 1 + 2 * SBERT_MAX_LAYERS };

typedef struct sbert_calib {
    int ln_shift[SBERT_LN_SITES];        /* per LayerNorm site (the embedding's, then norm1 and norm2
                                          * of each layer): mpc_config.ln_rsqrt_shift there */
    double recip_scale[SBERT_MAX_LAYERS];/* per layer: K of the attention row-sum reciprocal
                                          * (softmax, 2Quad or 2ReLU per the model); 0 = automatic */
    int recip_wide[SBERT_MAX_LAYERS];    /* per layer, 2Quad and 2ReLU only: 1 = the range-normalised
                                          * reciprocal (mpc_config.attn_recip wide; K unused) because
                                          * the row sums leave [0.1, 10] K; 0 = CrypTen's S/K */
} sbert_calib;

typedef struct sbert_range {
    double lo, hi;
} sbert_range;

/* Plaintext ranges of what the protocols see, per call site, over a sample of inputs. */
typedef struct sbert_stats {
    size_t examples;
    sbert_range ln_var[SBERT_LN_SITES];  /* variance + the protocol's eps, per LayerNorm site */
    sbert_range row_sum[SBERT_MAX_LAYERS];/* attention row sums over unmasked keys (after max
                                          * subtraction for softmax), per layer */
    double act_in_max;                   /* largest |activation input| (erf's Taylor range) */
    double score_max;                    /* largest |unmasked attention score| */
} sbert_stats;

/* Runs the plaintext training-mode forward (LayerNorm models) on n sequences of T tokens (ids, masks:
 * n*T) and records the ranges; ln_eps is the epsilon the protocol adds (mpc_config.ln_eps). */
void sbert_stats_collect(sbert_stats *st, const tfm_config *m, const tfm_params *p, const int *ids,
                         const uint8_t *mask, size_t n, int T, double ln_eps);
/* Centres each site's range in its window (log scale): LayerNorm on inv_sqrt's 0.1..150 (k from
 * v*4^-k ~ 3.9), reciprocals on S/K ~ 1 (accurate for S/K in about [2^-6, 2^4]). A 2Quad or 2ReLU
 * layer whose row sums leave [0.1, 10] K (a factor 2 inside the reciprocal's window [0.05, 20], for
 * inputs beyond the calibration sample) takes the range-normalised reciprocal instead. */
void sbert_calib_fit(sbert_calib *cal, const tfm_config *m, const sbert_stats *st);
/* Prints the constants and the ranges they cover, one line per site (for reports and logs). */
void sbert_calib_print(FILE *f, const tfm_config *m, const sbert_calib *cal, const sbert_stats *st);

/* One party's view of an inference. Fields marked P0/P1 are read only by that party (NULL elsewhere
 * and in phantom mode). */
typedef struct sbert_job {
    const tfm_config *model;
    int T;                    /* sequence length (public) */
    int B;                    /* examples in the batch (public; 0 means 1) */
    const uint8_t *keymask;   /* public, B x T entries, 0 = padding; NULL = none */
    const tfm_params *w;      /* P0: plaintext weights (real mode) */
    const int *tokens;        /* P1: B x T token ids (real mode) */
    double *logits;           /* P1: B x NL decoded logits out (real mode) */
    const sbert_calib *calib; /* public, the same on both parties; NULL = mpc_config's global values */
} sbert_job;

/* Runs the forward pass on this party (P0 or P1). Straight-line protocol code; CHECKs the inputs of
 * its own party (token ids in range, T <= positions).
 * Batch (B > 1, evaluation): the B examples go through the encoder as one protocol run, batch-major
 * (rows b T .. b T + T - 1 of every T-row tensor are example b's): the linear layers, the embedding
 * and the norms take B T rows, the attention products B NH heads, the head B rows (each example's
 * first token). Attention normalisation runs once per run of consecutive examples with the same key
 * mask (the family's op takes one public mask for all its rows). Each example gets the values of
 * its own inference up to the randomness: the batch draws one stream of masks and truncation
 * errors, so its logits differ from a lone run's within the fixed-point tolerance (a few 2^-f per
 * truncation). The messages are those of one run: per exchange the batch's elements together (the
 * weights' masks opened once per batch). B = 1 is exactly the single inference. */
void sbert_forward(mpc_ctx *c, const sbert_job *job);

/* Encoder layer l alone on this party's shares h (T x C, in place): what sbert_forward runs per layer
 * (the layer benchmark times it). P0 reads job->w->layer[l] in real mode; tokens and logits unused. */
void sbert_layer_forward(mpc_ctx *c, const sbert_job *job, int l, uint64_t *h);

/* Closed-form costs, from the ops' closed forms: one encoder layer, the embedding, the head, and the
 * whole forward. One-time model setup (BatchNorm's inverse std under CrypTen) is separate. */
mpc_cost sbert_embed_cost(const mpc_config *cfg, const tfm_config *m, int T);
mpc_cost sbert_layer_cost(const mpc_config *cfg, const tfm_config *m, int T);
mpc_cost sbert_head_cost(const mpc_config *cfg, const tfm_config *m, int T);
mpc_cost sbert_cost(const mpc_config *cfg, const tfm_config *m, int T);
/* The whole forward with per-site calibration (NULL: sbert_cost): equal to sbert_cost under --trunc
 * local; under --trunc safe the sites' shifts and rescales change the number of truncations. */
mpc_cost sbert_cost_calib(const mpc_config *cfg, const tfm_config *m, int T, const sbert_calib *cal);
mpc_cost sbert_setup_cost(const mpc_config *cfg, const tfm_config *m);

#endif

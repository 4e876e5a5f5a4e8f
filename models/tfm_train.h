/* tfm_train.h -- training and knowledge distillation of the plaintext Transformer (llm.c style).
 *
 * Part 1 (models/tfm_backward.c): the _backward twins of the kernels of models/tfm_kernels.h, the
 * losses, and a training-mode forward that keeps every activation so the whole model can be
 * differentiated. Backward kernels ACCUMULATE (+=) into their gradient outputs, as llm.c's do; the
 * caller zeroes. Gradients of parameters live in a second tfm_params block (same pointer table).
 * Arithmetic: elementwise derivatives in double, rounded once; matmuls through cblas_sgemm.
 *
 * Part 2 (models/tfm_train.c): AdamW, learning-rate schedules, gradient clipping, a tokenised
 * dataset, the minibatch loop for the task loss (teacher, baselines w/o{d}, w/o{p,d}) and for
 * MPCFormer's two distillation stages, evaluation and best-dev checkpoints.
 *
 * Training uses LayerNorm (MPCFormer's students train with LayerNorm); a batchnorm config is
 * refused by tfm_train_forward. Dropout (BERT's hidden dropout, inverted scaling) is applied to the
 * embedding output, the attention output and FFN output projections (before their residuals) and
 * the pooled vector (before the classifier); BERT's dropout on attention probabilities is not.
 *
 * Speed without changing a bit: the training forward keeps the GeLU's derivative for the backward
 * (tfm_acts.dact: one erf and one exp per FFN activation instead of two erf and one exp); the passes
 * and the optimiser run the kernels of models/tfm_vec.h (AVX2 / AVX-512 at run time, tfm_acts.vec;
 * every sum in its reference order); the backward's scratch lives with the activations. Measured on
 * the default student shape (2 layers, hidden 128, FFN 512, seq 128, batch 16; one thread, Xeon with
 * AVX-512, OpenBLAS SkylakeX): the non-BLAS CPU time of a step 72 -> 48 ms (gelu-erf + softmax) and
 * 49 -> 30 ms (quad + 2quad); tests/test_tfm_vec.c holds every fast path to the plain one's bits. */
#ifndef TFM_TRAIN_H
#define TFM_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "../common/rng.h"
#include "tfm.h"
#include "../text/text_data.h"
#include "tfm_kernels.h"
#include "../text/text_tok.h"

/* ---- backward kernels ---- */

/* dwte[tokens] += dout, dwpe[pos_offset + t] += dout, dwtt[types] += dout. dout: [B,T,C]. */
void tfm_embedding_backward(float *dwte, float *dwpe, float *dwtt, const float *dout, const int *tokens,
                            const int *types, int B, int T, int C, int pos_offset);
/* LayerNorm backward (llm.c): dinp, dg, db += from dout; inp, g, mean, rstd as saved by the forward.
 * dinp: [N,C] (must not alias dout). */
void tfm_layernorm_backward(float *dinp, float *dg, float *db, const float *dout, const float *inp,
                            const float *g, const float *mean, const float *rstd, int N, int C);
/* The reference: one row at a time (tfm_layernorm_backward runs models/tfm_vec.h's fastest
 * implementation, which gives these bits). */
void tfm_layernorm_backward_ref(float *dinp, float *dg, float *db, const float *dout, const float *inp,
                                const float *g, const float *mean, const float *rstd, int N, int C);
/* out = inp W^T + bias backward: dinp [N,IN] += dout W; dw [OUT,IN] += dout^T inp; dbias [OUT] +=
 * column sums of dout (dbias may be NULL). cblas_sgemm. */
void tfm_matmul_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                         const float *w, int N, int IN, int OUT);
/* Attention core backward. dq, dk, dv: [B,T,C] +=; dout: [B,T,C]; q, k, v, scores, probs as the
 * forward saved them; dscores_in: [B,NH,T,T] an extra gradient on the pre-normalisation scores (the
 * stage-1 KD loss) or NULL; scratch: 2*T*T floats. The mask only enters through scores (softmax,
 * 2ReLU: -1e4 at padded keys) and, for 2Quad, by zeroing padded keys. */
void tfm_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                            const float *dscores_in, const float *q, const float *k, const float *v,
                            const float *scores, const float *probs, const uint8_t *mask, int attn,
                            double quad2_c, int B, int T, int C, int NH);
/* tfm_attention_backward with the normalisation's implementation (TFM_VEC_*, models/tfm_vec.h). */
void tfm_attention_backward_impl(int impl, float *dq, float *dk, float *dv, float *scratch, const float *dout,
                                 const float *dscores_in, const float *q, const float *k, const float *v,
                                 const float *scores, const float *probs, const uint8_t *mask, int attn,
                                 double quad2_c, int B, int T, int C, int NH);
/* Elementwise activations: dinp += dout * f'(inp) (dinp must not alias dout). */
void tfm_gelu_erf_backward(float *dinp, const float *dout, const float *inp, size_t n);
void tfm_gelu_tanh_backward(float *dinp, const float *dout, const float *inp, size_t n);
void tfm_relu_backward(float *dinp, const float *dout, const float *inp, size_t n);
void tfm_quad_backward(float *dinp, const float *dout, const float *inp, double a, double b, size_t n);
void tfm_act_backward(const tfm_config *cfg, float *dinp, const float *dout, const float *inp, size_t n);
/* The GeLU forwards that also keep their derivative for the backward: out as tfm_gelu_*_forward and
 * dydx[i] = f'(inp[i]) in double, exactly the value tfm_gelu_*_backward computes (the same expressions
 * on the same erf/tanh result), so the backward from them (tfm_vec_act_backward_set, models/tfm_vec.h) gives the bits of
 * tfm_gelu_*_backward while
 * the pair costs one erf (tanh) and one exp per element instead of two erf and one exp. dydx: [n]. */
void tfm_gelu_erf_forward_keep(float *out, double *dydx, const float *inp, size_t n);
void tfm_gelu_tanh_forward_keep(float *out, double *dydx, const float *inp, size_t n);
/* out = a + b backward: da += dout, db += dout. */
void tfm_residual_backward(float *da, float *db, const float *dout, size_t n);
/* out = tanh(inp) backward from the saved output: dinp += dout (1 - out^2). */
void tfm_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);
/* Pooler backward: dh[b,0,:] += ..., dw, dbias +=. out: the saved pooled [B,C]; cls the saved [CLS]
 * rows [B,C]; scratch: 2*B*C floats. */
void tfm_pooler_backward(float *dh, float *dw, float *dbias, float *scratch, const float *dout, const float *out,
                         const float *cls, const float *w, int B, int T, int C);

/* Cross-entropy over B rows of NL logits against a target distribution q (rows sum to 1; hard
 * labels are one-hot). probs: [B,NL] out (softmax of logits, kept for backward). Returns the mean
 * loss over rows, -1/B sum_b sum_c q log p. Soft targets at temperature 1 (MPCFormer stage 2). */
double tfm_crossentropy_forward(float *probs, const float *logits, const float *q, int B, int NL);
/* dlogits += scale * (p - q) / B. */
void tfm_crossentropy_backward(float *dlogits, const float *probs, const float *q, double scale, int B, int NL);
/* Mean squared error mean((a - b)^2) over n values; entries where the teacher b <= zero_below are
 * compared as 0 vs 0 (MPCFormer zeroes masked attention scores, <= -100, in both). Pass
 * -INFINITY to compare every entry. */
double tfm_mse_forward(const float *a, const float *b, size_t n, float zero_below);
/* da += scale * 2 (a - b) / n at the entries the forward compared. */
void tfm_mse_backward(float *da, const float *a, const float *b, size_t n, float zero_below, double scale);

/* ---- training-mode forward / backward of the whole model ---- */

/* Every activation of one batch, one block, allocated for (cfg, B, T); passes use exactly B. */
typedef struct tfm_acts {
    int B, T;
    float *emb;                 /* [B,T,C] embedding sum (LayerNorm input) */
    float *emb_mean, *emb_rstd; /* [B,T] */
    float *hidden;              /* [L+1,B,T,C] embedding output, then each layer's output */
    float *q, *k, *v, *ctx;     /* [L,B,T,C] */
    float *scores, *probs;      /* [L,B,NH,T,T] */
    float *res1, *x1, *res2;    /* [L,B,T,C] pre-LN1, LN1 output, pre-LN2 */
    float *ln1_mean, *ln1_rstd, *ln2_mean, *ln2_rstd; /* [L,B,T] */
    float *hpre, *hact;         /* [L,B,T,F] FFN pre- and post-activation */
    float *cls, *pool;          /* [B,C] */
    float *logits;              /* [B,NL] */
    /* dropout: keep masks scaled by 1/(1-p) (0 where dropped); used only when dropout > 0 */
    double dropout;
    float *dm_emb;              /* [B,T,C] */
    float *dm_attn, *dm_ffn;    /* [L,B,T,C] */
    float *dm_pool, *pool_d;    /* [B,C] mask and the dropped pooled vector (classifier input) */
    float *mem;
    size_t n;
    /* GeLU (erf, tanh) configs: the activation's derivative kept by tfm_train_forward for the backward
     * ([L,B,T,F] doubles, 8 bytes per FFN activation), and the activation it belongs to (-1: none kept,
     * the backward recomputes). NULL for relu and quad. */
    double *dact;
    int dact_act;
    /* The kernel implementation of the passes and of the trainer's optimiser step (TFM_VEC_* of
     * models/tfm_vec.h; tfm_acts_alloc sets TFM_VEC_AUTO; every choice gives the same bits). */
    int vec;
    /* tfm_train_backward's scratch (activation gradients), allocated once with the activations. */
    float *bwd;
    size_t n_bwd;
} tfm_acts;

void tfm_acts_alloc(tfm_acts *a, const tfm_config *cfg, int B, int T);
void tfm_acts_free(tfm_acts *a);

/* Forward of B = a->B sequences of T = a->T tokens, keeping activations in a; a->logits holds
 * the result. Same arithmetic as tfm_forward with LayerNorm (BLAS kernels) when dropout = 0; with
 * dropout in (0,1) masks are drawn from r (must then be non-NULL) and kept for the backward. */
void tfm_train_forward(const tfm_config *cfg, const tfm_params *p, tfm_acts *a, const int *tokens,
                       const int *types, const uint8_t *mask, int B, double dropout, rng *r);
/* Backward through the last tfm_train_forward. grads (a tfm_params block for cfg) +=. Gradients on
 * outputs, each optional (NULL): dlogits [B,NL]; dhidden [L+1,B,T,C] on the hidden states; dscores
 * [L,B,NH,T,T] on the pre-normalisation scores. The pooler/classifier are skipped when dlogits is
 * NULL. */
void tfm_train_backward(const tfm_config *cfg, const tfm_params *p, tfm_params *grads, const tfm_acts *a,
                        const int *tokens, const int *types, const uint8_t *mask, int B, const float *dlogits,
                        const float *dhidden, const float *dscores);

/* ---- optimiser ---- */

/* decay[i] = 1 for weights that take weight decay: 2-D tensors except LayerNorm (biases and
 * LayerNorm gamma/beta are 1-D). decay: p->n bytes. */
void tfm_decay_mask(uint8_t *decay, const tfm_config *cfg, const tfm_params *p);
/* One AdamW step over the block (PyTorch AdamW): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr (m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps) + wd [decay] p). t counts from 1. */
void tfm_adamw_update(float *p, const float *g, float *m, float *v, const uint8_t *decay, size_t n, double lr,
                      double b1, double b2, double eps, double wd, int t);
/* Scales g so its global L2 norm is at most max_norm (<= 0: no clipping); returns the norm before. */
double tfm_clip_grad_norm(float *g, size_t n, double max_norm);
/* Linear warmup over `warmup` steps then linear decay to 0 at `total` (total <= 0: constant after
 * warmup). */
double tfm_lr_schedule(double base, long step, long warmup, long total);

/* ---- tokenised data ---- */

typedef struct tfm_encoded {
    size_t n;
    int T;
    int *ids;       /* [n,T] */
    uint8_t *mask;  /* [n,T] */
    int *label;     /* [n] */
    size_t truncated;
} tfm_encoded;
void tfm_encode_dataset(tfm_encoded *e, const text_tok *tok, const text_dataset *ds, int T);
void tfm_encoded_free(tfm_encoded *e);

/* Predictions (argmax) of the model on e, in batches of B; pred[n] may be NULL. Returns accuracy.
 * logits_out [n,NL] may be NULL. */
double tfm_evaluate(const tfm_config *cfg, const tfm_params *p, const tfm_encoded *e, int B, int *pred,
                    float *logits_out);

/* ---- training loop ---- */

enum { TFM_TRAIN_TASK = 0, TFM_TRAIN_KD1 = 1, TFM_TRAIN_KD2 = 2 };

typedef struct tfm_train_progress {
    int mode, epoch, epochs;
    long step, steps;
    double loss, lr, grad_norm;
    double dev_acc; /* < 0 when not evaluated at this report */
    int saved;      /* the dev accuracy improved and the checkpoint was written */
    double seconds; /* wall time per step, averaged since the last report (set by the caller's clock) */
} tfm_train_progress;

typedef struct tfm_train_opts {
    int mode;          /* TFM_TRAIN_* */
    int epochs, batch;
    double lr, warmup_frac, weight_decay, clip;
    double dropout;    /* hidden dropout probability (0 = none) */
    int constant_lr;   /* 1: no decay (stage 1), warmup still applies */
    uint64_t seed;     /* shuffling */
    long max_steps;    /* > 0: stop after this many steps (tests, timing) */
    int log_every;     /* steps between progress reports (0: per epoch only) */
    int eval_every_epoch; /* evaluate dev after each epoch, keep the best (modes TASK, KD2) */
    const char *out;   /* checkpoint path (NULL: none); written only when dev improves, or at the end
                        * of KD1 / when no dev set */
    const char *metadata_json; /* safetensors metadata */
    /* Distillation: the teacher (cfg + params), used by KD1 and KD2. */
    const tfm_config *tcfg;
    const tfm_params *teacher;
    void (*progress)(void *ud, const tfm_train_progress *pr);
    void *progress_ud;
    double (*clock)(void); /* wall clock for step times (NULL: none) */
} tfm_train_opts;

void tfm_train_opts_default(tfm_train_opts *o);

/* The state of one training run on batches of exactly B sequences of T tokens: gradients, AdamW
 * moments, the decay mask, activations and the distillation buffers. */
typedef struct tfm_trainer {
    const tfm_config *cfg;
    tfm_params *p;
    int mode, B, T, t; /* t: optimiser steps taken */
    double weight_decay, clip;
    const tfm_config *tcfg; /* teacher (KD1, KD2) */
    const tfm_params *teacher;
    tfm_params g;
    float *m, *v;
    uint8_t *decay;
    tfm_acts a;
    float *q, *probs, *dlogits, *tlogits, *thidden, *tscores, *dhidden, *dscores;
    double dropout; /* 0 unless tfm_trainer_set_dropout */
    rng drop_rng;
} tfm_trainer;

void tfm_trainer_init(tfm_trainer *tr, const tfm_config *cfg, tfm_params *p, int mode, int B, int T,
                      double weight_decay, double clip, const tfm_config *tcfg, const tfm_params *teacher);
void tfm_trainer_free(tfm_trainer *tr);
/* Student dropout probability p in [0,1) with masks from rng stream (seed, "drop"). The teacher
 * always runs without dropout. */
void tfm_trainer_set_dropout(tfm_trainer *tr, double p, uint64_t seed);
/* One optimiser step on a batch (ids, mask: [B,T]): the loss of the mode (TASK: cross-entropy
 * against q [B,NL], one-hot labels or any distribution; KD1: sum over layers of the score MSEs and
 * the hidden-state MSEs vs the teacher; KD2: soft cross-entropy vs softmax(teacher logits), q
 * ignored), its gradient (tr->g), clipping to tr->clip, then AdamW at rate lr. Returns the loss
 * before the update; *grad_norm (may be NULL) gets the gradient norm before clipping. */
double tfm_trainer_step(tfm_trainer *tr, const int *ids, const uint8_t *mask, const float *q, double lr,
                        double *grad_norm);

typedef struct tfm_train_result {
    long steps;
    double final_loss, first_loss;
    double best_dev_acc; /* -1 if no dev set */
    int best_epoch;
    double sec_per_step;
} tfm_train_result;

/* Trains p (for cfg) on train; dev (may be NULL) selects the best epoch. After return p holds the
 * best-dev parameters when dev was given (else the last). Returns 0, TFM_EVALUE if a step's loss or
 * gradient norm is not finite (training stops there, nothing more is saved; message in err), or a
 * TFM_* error code from writing the checkpoint (message in err). */
int tfm_train_run(const tfm_config *cfg, tfm_params *p, const tfm_encoded *train, const tfm_encoded *dev,
                  const tfm_train_opts *o, tfm_train_result *res, char *err, size_t errlen) WUR;

#endif

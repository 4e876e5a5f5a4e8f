/* rt_infer.h -- the inference job: one private inference of a BERT/RoBERTa encoder with its
 * classification head (models/sbert.h), the same in the simulator and over TCP. P0 holds the weights,
 * P1 the tokens; the logits are revealed to P1 only (inside the protocol: the job hands no output share
 * to anyone). The public parts: the model's shape and approximations, the sequence length, the key
 * (padding) mask and the per-call-site calibration. Over TCP P1 publishes its key mask and P0 its
 * calibration to the other party before the setup (rt_job.pub: not counted, as the padding and the
 * model's public metadata are public in the simulator too); the description both must agree on covers
 * the model's shape, approximations and sequence length. */
#ifndef RT_INFER_H
#define RT_INFER_H

#include "../models/sbert.h"
#include "rt.h"

enum { RT_INFER_MAX_LABELS = 64 };

typedef struct rt_infer {
    sbert_job job[2];                   /* filled by rt_infer_job */
    uint8_t *keymask;                   /* public, B x T entries, or NULL (no padding) */
    sbert_calib calib;                  /* public, when has_calib */
    int has_calib;
    double *logits;                     /* P1: the revealed logits, B x NL (real mode) */
    char desc[256];
} rt_infer;

/* Fills inf->job and j for one inference of model m (as run under MPC) at sequence length T:
 * w (P0's weights) and tokens (P1's T ids) may be NULL in phantom mode or on the other party;
 * keymask (T bytes, copied) and calib may be NULL. */
void rt_infer_job(rt_job *j, rt_infer *inf, const mpc_config *cfg, int phantom, uint64_t seed, const tfm_config *m,
                  int T, const tfm_params *w, const int *tokens, const uint8_t *keymask, const sbert_calib *calib);
/* The same for a batch of B examples in one protocol run (sbert.h: batch-major, each example's
 * logits within the fixed-point tolerance of its lone run): tokens and keymask B x T, logits B x NL.
 * B = 1 is rt_infer_job. */
void rt_infer_job_batch(rt_job *j, rt_infer *inf, const mpc_config *cfg, int phantom, uint64_t seed,
                        const tfm_config *m, int T, int B, const tfm_params *w, const int *tokens,
                        const uint8_t *keymask, const sbert_calib *calib);
void rt_infer_free(rt_infer *inf);

/* The index of the largest logit, and the class probabilities (softmax of the logits). */
int rt_infer_label(const double *logits, int n, double *prob);

#endif

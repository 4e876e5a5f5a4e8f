/* tfm_train.c -- optimiser, schedules, tokenised data, evaluation and the training loop for the task
 * loss and MPCFormer's two distillation stages (see models/tfm_train.h). Library code: never prints;
 * progress goes to the caller's callback. Deterministic for a given seed (shuffling from common/rng). */
#include "tfm_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/rng.h"
#include "tfm_io.h"
#include "tfm_vec.h"

/* ---- optimiser ---- */

void tfm_decay_mask(uint8_t *decay, const tfm_config *cfg, const tfm_params *p)
{
    size_t nt = tfm_tensor_count(cfg);
    tfm_tensor *t = chk_malloc(nt * sizeof *t);
    tfm_tensor_table(cfg, p, t);
    memset(decay, 0, p->n);
    for (size_t i = 0; i < nt; i++) {
        size_t numel = t[i].ndim == 2 ? t[i].shape[0] * t[i].shape[1] : t[i].shape[0];
        int d = t[i].ndim == 2 && !strstr(t[i].name, "LayerNorm");
        memset(decay + (t[i].data - p->mem), d, numel);
    }
    free(t);
}

/* The optimiser's kernels are models/tfm_vec.h's: the reference's bits at every implementation. */
static void adamw_update(int impl, float *p, const float *g, float *m, float *v, const uint8_t *decay, size_t n,
                         double lr, double b1, double b2, double eps, double wd, int t)
{
    double c1 = 1.0 - pow(b1, t), c2 = 1.0 - pow(b2, t);
    tfm_vec_adamw(impl, p, g, m, v, decay, n, lr, b1, b2, eps, wd, c1, c2);
}

static double clip_grad_norm(int impl, float *g, size_t n, double max_norm)
{
    double norm = sqrt(tfm_vec_sumsq(impl, g, n));
    if (max_norm > 0.0 && norm > max_norm) tfm_vec_scale(impl, g, n, (float)(max_norm / (norm + 1e-6)));
    return norm;
}

void tfm_adamw_update(float *p, const float *g, float *m, float *v, const uint8_t *decay, size_t n, double lr,
                      double b1, double b2, double eps, double wd, int t)
{
    adamw_update(TFM_VEC_AUTO, p, g, m, v, decay, n, lr, b1, b2, eps, wd, t);
}

double tfm_clip_grad_norm(float *g, size_t n, double max_norm)
{
    return clip_grad_norm(TFM_VEC_AUTO, g, n, max_norm);
}

double tfm_lr_schedule(double base, long step, long warmup, long total)
{
    if (warmup > 0 && step < warmup) return base * (double)(step + 1) / (double)warmup;
    if (total <= 0) return base;
    if (step >= total) return 0.0;
    long span = total - warmup;
    return span > 0 ? base * (double)(total - step) / (double)span : base;
}

/* ---- data ---- */

void tfm_encode_dataset(tfm_encoded *e, const text_tok *tok, const text_dataset *ds, int T)
{
    CHECK(T >= 2, "sequence length %d < 2", T);
    memset(e, 0, sizeof *e);
    e->n = ds->n, e->T = T;
    e->ids = chk_malloc((ds->n ? ds->n : 1) * (size_t)T * sizeof *e->ids);
    e->mask = chk_malloc((ds->n ? ds->n : 1) * (size_t)T);
    e->label = chk_malloc((ds->n ? ds->n : 1) * sizeof *e->label);
    int32_t *ids = chk_malloc((size_t)T * sizeof *ids);
    for (size_t i = 0; i < ds->n; i++) {
        size_t np = 0;
        text_tok_encode(tok, ids, e->mask + i * T, (size_t)T, ds->text[i], ds->len[i], &np);
        for (int t = 0; t < T; t++) e->ids[i * T + t] = ids[t];
        e->label[i] = ds->label[i];
        if (np > (size_t)T - 2) e->truncated++;
    }
    free(ids);
}

void tfm_encoded_free(tfm_encoded *e)
{
    if (!e) return;
    free(e->ids);
    free(e->mask);
    free(e->label);
    memset(e, 0, sizeof *e);
}

static int argmax(const float *z, int n)
{
    int k = 0;
    for (int i = 1; i < n; i++)
        if (z[i] > z[k]) k = i;
    return k;
}

double tfm_evaluate(const tfm_config *cfg, const tfm_params *p, const tfm_encoded *e, int B, int *pred,
                    float *logits_out)
{
    if (e->n == 0) return 0.0;
    const int NL = cfg->NL, T = e->T;
    float *logits = chk_malloc((size_t)B * NL * sizeof *logits);
    size_t correct = 0;
    for (size_t i0 = 0; i0 < e->n; i0 += (size_t)B) {
        int b = (int)((e->n - i0) < (size_t)B ? e->n - i0 : (size_t)B);
        tfm_forward(cfg, p, e->ids + i0 * T, NULL, e->mask + i0 * T, b, T, logits, NULL, NULL);
        for (int j = 0; j < b; j++) {
            int k = argmax(logits + (size_t)j * NL, NL);
            if (pred) pred[i0 + j] = k;
            if (logits_out) memcpy(logits_out + (i0 + j) * NL, logits + (size_t)j * NL, (size_t)NL * sizeof *logits);
            correct += k == e->label[i0 + j];
        }
    }
    free(logits);
    return (double)correct / (double)e->n;
}

/* ---- training loop ---- */

void tfm_train_opts_default(tfm_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->mode = TFM_TRAIN_TASK;
    o->epochs = 3, o->batch = 16;
    o->lr = 5e-4, o->warmup_frac = 0.1, o->weight_decay = 0.01, o->clip = 1.0, o->dropout = 0.1;
    o->seed = 1;
    o->eval_every_epoch = 1;
}

#define KD_ZERO_BELOW (-100.0f) /* MPCFormer zeroes attention scores <= -100 (masked keys) */

void tfm_trainer_init(tfm_trainer *tr, const tfm_config *cfg, tfm_params *p, int mode, int B, int T,
                      double weight_decay, double clip, const tfm_config *tcfg, const tfm_params *teacher)
{
    memset(tr, 0, sizeof *tr);
    const int KD = mode == TFM_TRAIN_KD1 || mode == TFM_TRAIN_KD2;
    if (KD) {
        CHECK(teacher && tcfg, "distillation needs a teacher");
        CHECK(tcfg->NL == cfg->NL, "teacher has %d labels, student %d", tcfg->NL, cfg->NL);
    }
    if (mode == TFM_TRAIN_KD1)
        CHECK(tcfg->L == cfg->L && tcfg->C == cfg->C && tcfg->NH == cfg->NH,
              "stage 1 needs the teacher's layers, hidden size and heads");
    tr->cfg = cfg, tr->p = p, tr->mode = mode, tr->B = B, tr->T = T;
    tr->weight_decay = weight_decay, tr->clip = clip, tr->tcfg = tcfg, tr->teacher = teacher;
    const int NL = cfg->NL, L = cfg->L;
    const size_t BTC = (size_t)B * T * cfg->C, ATT = (size_t)B * cfg->NH * T * T;
    tfm_params_alloc(&tr->g, cfg);
    tr->m = chk_calloc(p->n, sizeof(float));
    tr->v = chk_calloc(p->n, sizeof(float));
    tr->decay = chk_malloc(p->n);
    tfm_decay_mask(tr->decay, cfg, p);
    tfm_acts_alloc(&tr->a, cfg, B, T);
    tr->q = chk_malloc((size_t)B * NL * sizeof(float));
    tr->probs = chk_malloc((size_t)B * NL * sizeof(float));
    tr->dlogits = chk_malloc((size_t)B * NL * sizeof(float));
    tr->tlogits = chk_malloc((size_t)B * NL * sizeof(float));
    if (mode == TFM_TRAIN_KD1) {
        tr->thidden = chk_malloc((size_t)(L + 1) * BTC * sizeof(float));
        tr->tscores = chk_malloc((size_t)L * ATT * sizeof(float));
        tr->dhidden = chk_malloc((size_t)(L + 1) * BTC * sizeof(float));
        tr->dscores = chk_malloc((size_t)L * ATT * sizeof(float));
    }
}

void tfm_trainer_free(tfm_trainer *tr)
{
    if (!tr) return;
    tfm_params_free(&tr->g);
    tfm_acts_free(&tr->a);
    free(tr->m), free(tr->v), free(tr->decay), free(tr->q), free(tr->probs), free(tr->dlogits), free(tr->tlogits);
    free(tr->thidden), free(tr->tscores), free(tr->dhidden), free(tr->dscores);
    memset(tr, 0, sizeof *tr);
}

void tfm_trainer_set_dropout(tfm_trainer *tr, double p, uint64_t seed)
{
    CHECK(p >= 0.0 && p < 1.0, "dropout %g not in [0,1)", p);
    tr->dropout = p;
    rng_seed(&tr->drop_rng, seed, 0x64726f70u /* "drop" */);
}

double tfm_trainer_step(tfm_trainer *tr, const int *ids, const uint8_t *mask, const float *q, double lr,
                        double *grad_norm)
{
    const tfm_config *cfg = tr->cfg;
    const int B = tr->B, T = tr->T, NL = cfg->NL, L = cfg->L;
    const size_t BTC = (size_t)B * T * cfg->C, ATT = (size_t)B * cfg->NH * T * T;
    tfm_params *p = tr->p;
    memset(tr->g.mem, 0, tr->g.n * sizeof *tr->g.mem);
    tfm_train_forward(cfg, p, &tr->a, ids, NULL, mask, B, tr->dropout, &tr->drop_rng);
    double loss = 0.0;
    if (tr->mode == TFM_TRAIN_KD1) {
        tfm_forward(tr->tcfg, tr->teacher, ids, NULL, mask, B, T, tr->tlogits, tr->thidden, tr->tscores);
        memset(tr->dhidden, 0, (size_t)(L + 1) * BTC * sizeof *tr->dhidden);
        memset(tr->dscores, 0, (size_t)L * ATT * sizeof *tr->dscores);
        for (int l = 0; l <= L; l++) {
            const float *hs = tr->a.hidden + (size_t)l * BTC, *ht = tr->thidden + (size_t)l * BTC;
            loss += tfm_mse_forward(hs, ht, BTC, -INFINITY);
            tfm_mse_backward(tr->dhidden + (size_t)l * BTC, hs, ht, BTC, -INFINITY, 1.0);
        }
        for (int l = 0; l < L; l++) {
            const float *ss = tr->a.scores + (size_t)l * ATT, *st = tr->tscores + (size_t)l * ATT;
            loss += tfm_mse_forward(ss, st, ATT, KD_ZERO_BELOW);
            tfm_mse_backward(tr->dscores + (size_t)l * ATT, ss, st, ATT, KD_ZERO_BELOW, 1.0);
        }
        tfm_train_backward(cfg, p, &tr->g, &tr->a, ids, NULL, mask, B, NULL, tr->dhidden, tr->dscores);
    } else {
        if (tr->mode == TFM_TRAIN_KD2) {
            tfm_forward(tr->tcfg, tr->teacher, ids, NULL, mask, B, T, tr->tlogits, NULL, NULL);
            /* q <- softmax(teacher logits), temperature 1 (the loss against the one-hot rows is unused) */
            for (size_t i = 0; i < (size_t)B * NL; i++) tr->q[i] = i % (size_t)NL == 0;
            (void)tfm_crossentropy_forward(tr->probs, tr->tlogits, tr->q, B, NL);
            memcpy(tr->q, tr->probs, (size_t)B * NL * sizeof *tr->q);
        } else {
            memcpy(tr->q, q, (size_t)B * NL * sizeof *tr->q);
        }
        loss = tfm_crossentropy_forward(tr->probs, tr->a.logits, tr->q, B, NL);
        memset(tr->dlogits, 0, (size_t)B * NL * sizeof *tr->dlogits);
        tfm_crossentropy_backward(tr->dlogits, tr->probs, tr->q, 1.0, B, NL);
        tfm_train_backward(cfg, p, &tr->g, &tr->a, ids, NULL, mask, B, tr->dlogits, NULL, NULL);
    }
    double gn = clip_grad_norm(tr->a.vec, tr->g.mem, tr->g.n, tr->clip);
    if (grad_norm) *grad_norm = gn;
    tr->t++;
    adamw_update(tr->a.vec, p->mem, tr->g.mem, tr->m, tr->v, tr->decay, p->n, lr, 0.9, 0.999, 1e-8, tr->weight_decay,
                 tr->t);
    return loss;
}

int tfm_train_run(const tfm_config *cfg, tfm_params *p, const tfm_encoded *train, const tfm_encoded *dev,
                  const tfm_train_opts *o, tfm_train_result *res, char *err, size_t errlen)
{
    CHECK(train && train->n > 0, "empty training set");
    CHECK(o->batch > 0 && o->epochs > 0, "batch %d, epochs %d", o->batch, o->epochs);
    const int T = train->T, NL = cfg->NL;
    const int B = (size_t)o->batch > train->n ? (int)train->n : o->batch;
    const long spe = (long)(train->n / (size_t)B); /* steps per epoch (the last partial batch is dropped) */
    long total = spe * o->epochs;
    if (o->max_steps > 0 && o->max_steps < total) total = o->max_steps;
    const long warmup = (long)(o->warmup_frac * (double)total);

    tfm_trainer tr;
    tfm_trainer_init(&tr, cfg, p, o->mode, B, T, o->weight_decay, o->clip, o->tcfg, o->teacher);
    tfm_trainer_set_dropout(&tr, o->dropout, o->seed);
    tfm_params best = {0};
    int *ids = chk_malloc((size_t)B * T * sizeof *ids);
    uint8_t *mask = chk_malloc((size_t)B * T);
    float *q = chk_malloc((size_t)B * NL * sizeof *q);
    size_t *perm = chk_malloc(train->n * sizeof *perm);
    for (size_t i = 0; i < train->n; i++) perm[i] = i;
    rng r;
    rng_seed(&r, o->seed, 0x7472616eu /* "tran" */);

    const int use_dev = dev && dev->n > 0 && o->eval_every_epoch && o->mode != TFM_TRAIN_KD1;
    if (use_dev) tfm_params_alloc(&best, cfg);
    tfm_train_result rs = {0};
    rs.best_dev_acc = -1.0;
    rs.best_epoch = -1;
    int rc = TFM_OK;
    long step = 0;
    double t_start = o->clock ? o->clock() : 0.0, t_last = t_start, loss_acc = 0.0, gn = 0.0;
    long since = 0;
    for (int ep = 0; ep < o->epochs && step < total; ep++) {
        for (size_t i = train->n - 1; i > 0; i--) { /* Fisher-Yates */
            size_t j = (size_t)(rng_u64(&r) % (uint64_t)(i + 1)), tmp = perm[i];
            perm[i] = perm[j], perm[j] = tmp;
        }
        for (long s = 0; s < spe && step < total; s++, step++) {
            for (int b = 0; b < B; b++) {
                size_t ex = perm[(size_t)s * B + b];
                memcpy(ids + (size_t)b * T, train->ids + ex * T, (size_t)T * sizeof *ids);
                memcpy(mask + (size_t)b * T, train->mask + ex * T, (size_t)T);
                for (int c = 0; c < NL; c++) q[b * NL + c] = c == train->label[ex] ? 1.0f : 0.0f;
            }
            double lr = tfm_lr_schedule(o->lr, step, warmup, o->constant_lr ? 0 : total);
            double loss = tfm_trainer_step(&tr, ids, mask, q, lr, &gn);
            if (!isfinite(loss) || !isfinite(gn)) { /* the parameters are no longer meaningful: stop */
                rc = chk_errf(err, errlen, TFM_EVALUE,
                              "training stopped at step %ld (epoch %d): the %s is %g, not finite (a non-finite "
                              "teacher or input, or a learning rate too high); no checkpoint written at this step",
                              step + 1, ep + 1, isfinite(loss) ? "gradient norm" : "loss", isfinite(loss) ? gn : loss);
                break;
            }
            if (step == 0) rs.first_loss = loss;
            rs.final_loss = loss;
            loss_acc += loss;
            since++;
            if (o->log_every > 0 && (step + 1) % o->log_every == 0 && o->progress) {
                double now = o->clock ? o->clock() : 0.0;
                tfm_train_progress pr = {o->mode, ep + 1, o->epochs, step + 1, total, loss_acc / since, lr, gn, -1.0, 0,
                                         since ? (now - t_last) / since : 0.0};
                o->progress(o->progress_ud, &pr);
                t_last = now, loss_acc = 0.0, since = 0;
            }
        }
        if (rc != TFM_OK) break;
        /* end of epoch */
        double acc = -1.0;
        int saved = 0;
        if (use_dev) {
            acc = tfm_evaluate(cfg, p, dev, B, NULL, NULL);
            if (acc > rs.best_dev_acc) {
                rs.best_dev_acc = acc, rs.best_epoch = ep + 1;
                memcpy(best.mem, p->mem, p->n * sizeof *p->mem);
                if (o->out) {
                    rc = tfm_save_safetensors(o->out, cfg, p, o->metadata_json);
                    if (rc != TFM_OK) {
                        snprintf(err, errlen, "%s: cannot write the checkpoint (%s)", o->out, tfm_strerror(rc));
                        break;
                    }
                    saved = 1;
                }
            }
        }
        if (o->progress) {
            double now = o->clock ? o->clock() : 0.0;
            tfm_train_progress pr = {o->mode, ep + 1, o->epochs, step, total, since ? loss_acc / since : rs.final_loss,
                                     tfm_lr_schedule(o->lr, step, warmup, o->constant_lr ? 0 : total), gn, acc, saved,
                                     since ? (now - t_last) / since : 0.0};
            o->progress(o->progress_ud, &pr);
            t_last = now, loss_acc = 0.0, since = 0;
        }
    }
    rs.steps = step;
    if (o->clock && step > 0) rs.sec_per_step = (o->clock() - t_start) / (double)step;
    if (rc == TFM_OK) {
        if (use_dev && rs.best_epoch > 0) memcpy(p->mem, best.mem, p->n * sizeof *p->mem);
        else if (o->out) {
            rc = tfm_save_safetensors(o->out, cfg, p, o->metadata_json);
            if (rc != TFM_OK) snprintf(err, errlen, "%s: cannot write the checkpoint (%s)", o->out, tfm_strerror(rc));
        }
    }
    if (res) *res = rs;
    tfm_trainer_free(&tr);
    tfm_params_free(&best);
    free(ids), free(mask), free(q), free(perm);
    return rc;
}

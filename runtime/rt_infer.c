/* rt_infer.c -- the inference job. See rt_infer.h. */
#include "rt_infer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void infer_party(mpc_ctx *c, void *arg)
{
    rt_infer *inf = arg;
    sbert_job *jb = &inf->job[c->self];
    jb->keymask = inf->keymask;
    jb->calib = inf->has_calib ? &inf->calib : NULL;
    sbert_forward(c, jb);
}

void rt_infer_job(rt_job *j, rt_infer *inf, const mpc_config *cfg, int phantom, uint64_t seed, const tfm_config *m,
                  int T, const tfm_params *w, const int *tokens, const uint8_t *keymask, const sbert_calib *calib)
{
    rt_infer_job_batch(j, inf, cfg, phantom, seed, m, T, 1, w, tokens, keymask, calib);
}

void rt_infer_job_batch(rt_job *j, rt_infer *inf, const mpc_config *cfg, int phantom, uint64_t seed,
                        const tfm_config *m, int T, int B, const tfm_params *w, const int *tokens,
                        const uint8_t *keymask, const sbert_calib *calib)
{
    CHECK(m->NL <= RT_INFER_MAX_LABELS, "%d labels (at most %d)", m->NL, RT_INFER_MAX_LABELS);
    CHECK(B >= 1, "a batch of %d examples", B);
    memset(inf, 0, sizeof *inf);
    inf->logits = chk_calloc((size_t)B * (size_t)m->NL, sizeof *inf->logits);
    for (int i = 0; i < 2; i++) {
        inf->job[i].model = m;
        inf->job[i].T = T;
        inf->job[i].B = B;
    }
    if (!phantom) {
        inf->job[NET_P0].w = w;
        inf->job[NET_P1].tokens = tokens;
        inf->job[NET_P1].logits = inf->logits;
    }
    if (keymask) {
        inf->keymask = chk_malloc((size_t)B * (size_t)T);
        memcpy(inf->keymask, keymask, (size_t)B * (size_t)T);
    }
    if (calib) inf->calib = *calib, inf->has_calib = 1;
    snprintf(inf->desc, sizeof inf->desc,
             "job=infer model=%s family=%d V=%d C=%d L=%d NH=%d F=%d P=%d TT=%d NL=%d pos_offset=%d ln_eps=%.17g "
             "act=%s attn=%s norm=%s seq=%d keymask=%s calib=%s",
             m->name, m->family, m->V, m->C, m->L, m->NH, m->F, m->P, m->TT, m->NL, m->pos_offset, m->ln_eps,
             tfm_act_name(m->act), tfm_attn_name(m->attn), tfm_norm_name(m->norm), T, keymask ? "public" : "none",
             calib ? "public" : "none");
    if (B > 1) {
        size_t len = strlen(inf->desc);
        snprintf(inf->desc + len, sizeof inf->desc - len, " batch=%d", B);
    }
    memset(j, 0, sizeof *j);
    j->cfg = cfg;
    j->phantom = phantom;
    j->seed = seed;
    j->fn = infer_party;
    j->arg[0] = j->arg[1] = inf;
    j->ret[NET_P1] = inf->logits;
    j->ret_len[NET_P1] = (size_t)B * (size_t)m->NL * sizeof(double);
    if (keymask) j->pub[NET_P1] = (rt_public){inf->keymask, (size_t)B * (size_t)T};
    if (calib) j->pub[NET_P0] = (rt_public){&inf->calib, sizeof inf->calib};
    j->desc = inf->desc;
}

void rt_infer_free(rt_infer *inf)
{
    free(inf->keymask);
    free(inf->logits);
    inf->keymask = NULL;
    inf->logits = NULL;
}

int rt_infer_label(const double *logits, int n, double *prob)
{
    int best = 0;
    for (int k = 1; k < n; k++)
        if (logits[k] > logits[best]) best = k;
    double z = 0;
    for (int k = 0; k < n; k++) z += exp(logits[k] - logits[best]);
    for (int k = 0; k < n && prob; k++) prob[k] = exp(logits[k] - logits[best]) / z;
    return best;
}

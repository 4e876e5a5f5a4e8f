/* xp_cmd_train.c -- `mpcsim train`, `mpcsim distill`, `mpcsim eval [--mpc]`: the accuracy pipeline
 * (teacher, MPCFormer students by 2-stage distillation, w/o{d} and w/o{p,d} baselines, evaluation in
 * plaintext and under MPC). The work is in models/tfm_train; this file parses options, loads and
 * checks everything before any training starts, prints progress on stderr and a CSV summary on
 * stdout (or --csv FILE), and chooses exit codes (0 ok, 1 runtime failure, 2 usage or input error).
 *
 * Checkpoints are safetensors with BERT tensor names plus "__metadata__" describing the model
 * (mpcsim_model, vocab_size, hidden_size, num_layers, num_heads, intermediate_size, num_labels,
 * label_<i>, act, softmax, seq), so `eval` and `distill` need only the file. They are written via a
 * temporary name and rename, and only after a successful epoch: an error never leaves a partial file
 * and never replaces an existing checkpoint with a worse state. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/arena.h"
#include "../common/fx.h"
#include "../common/rng.h"
#include "../common/rng_tee.h"
#include "../models/sbert.h"
#include "../models/tfm_io.h"
#include "../models/tfm_train.h"
#include "../protocols/families.h"
#include "xp.h"
#include "xp_cmds.h"
#include "xp_mem.h"
#include "../runtime/rt_ops.h"
#include "../runtime/rt_infer.h"
#include "../runtime/rt_sim.h"
#include "../runtime/rt_tcp.h"
#include "xp_safety.h"
#include "xp_schema.h"

/* ---- shared options ---- */

typedef struct tr_opts {
    const char *data, *train, *dev, *test, *vocab;
    const char *model, *gelu, *softmax, *init, *out, *csv, *teacher, *weights, *split;
    uint64_t seq, layers, hidden, heads, ffn, seed, n, limit;
    tfm_train_opts t;
    /* distill */
    uint64_t epochs1, epochs2;
    double lr1, lr2;
    int mpc, stats;
} tr_opts;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int parse_double(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (!*s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "error: %s: '%s' is not a number in [%g, %g]\n", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* One option shared by the three commands. 1 consumed, 0 not ours, -1 error (printed). */
static int tr_arg(tr_opts *o, int argc, char **argv, int *i)
{
    int r;
    const char *v;
#define STR(opt, var)                                   \
    if ((r = xp_arg(argc, argv, i, opt, 1, &o->var))) \
        return r;
    STR("--data", data) STR("--train", train) STR("--dev", dev) STR("--test", test) STR("--vocab", vocab)
    STR("--model", model) STR("--gelu", gelu) STR("--softmax", softmax) STR("--init", init) STR("--out", out)
    STR("--csv", csv) STR("--teacher", teacher) STR("--weights", weights) STR("--split", split)
#undef STR
#define U64(opt, var, lo, hi)                                                                      \
    if ((r = xp_arg(argc, argv, i, opt, 1, &v)))                                                   \
        return r < 0 || xp_parse_u64(opt, v, lo, hi, &o->var) != 0 ? -1 : 1;
    U64("--seq", seq, 2, 512) U64("--layers", layers, 1, 48) U64("--hidden", hidden, 2, 4096)
    U64("--heads", heads, 1, 64) U64("--ffn", ffn, 1, 16384) U64("--seed", seed, 0, UINT64_MAX)
    U64("--n", n, 0, 1000000) U64("--limit", limit, 1, 100000000) U64("--stage1-epochs", epochs1, 0, 1000) U64("--stage2-epochs", epochs2, 1, 1000)
#undef U64
    uint64_t u;
#define INT(opt, field, lo, hi)                                                                    \
    if ((r = xp_arg(argc, argv, i, opt, 1, &v))) {                                                 \
        if (r < 0 || xp_parse_u64(opt, v, lo, hi, &u) != 0) return -1;                            \
        o->t.field = (int)u;                                                                       \
        return 1;                                                                                  \
    }
    INT("--epochs", epochs, 1, 1000) INT("--batch", batch, 1, 4096) INT("--log-every", log_every, 0, 1000000)
#undef INT
    if ((r = xp_arg(argc, argv, i, "--max-steps", 1, &v))) {
        if (r < 0 || xp_parse_u64("--max-steps", v, 1, 1000000000, &u) != 0) return -1;
        o->t.max_steps = (long)u;
        return 1;
    }
#define DBL(opt, var, lo, hi)                                                                      \
    if ((r = xp_arg(argc, argv, i, opt, 1, &v)))                                                   \
        return r < 0 || parse_double(opt, v, lo, hi, &o->var) != 0 ? -1 : 1;
    DBL("--lr", t.lr, 1e-12, 1) DBL("--warmup", t.warmup_frac, 0, 1) DBL("--weight-decay", t.weight_decay, 0, 1)
    DBL("--clip", t.clip, 0, 1e9) DBL("--dropout", t.dropout, 0, 0.9) DBL("--stage1-lr", lr1, 0, 1) DBL("--stage2-lr", lr2, 0, 1)
#undef DBL
    if ((r = xp_arg(argc, argv, i, "--mpc", 0, &v))) {
        if (r < 0) return -1;
        o->mpc = 1;
        return 1;
    }
    if ((r = xp_arg(argc, argv, i, "--stats", 0, &v))) {
        if (r < 0) return -1;
        o->stats = 1;
        return 1;
    }
    return 0;
}

static void tr_defaults(tr_opts *o)
{
    memset(o, 0, sizeof *o);
    tfm_train_opts_default(&o->t);
    o->data = "data/spam";
    o->model = NULL; /* bert-mini, 2 layers of hidden 128 (see train --help) */
    o->seq = 128;
    o->seed = 1;
    o->t.epochs = 3;
    o->t.batch = 16;
    o->t.lr = 0.0; /* train: 1e-3 from random init, 5e-4 from --init */
    o->t.log_every = 50;
    o->epochs1 = 1, o->epochs2 = 2;
    o->lr1 = 1e-3, o->lr2 = 5e-4;
    o->n = 8;
    o->split = "test";
}

static const char *data_help =
    "data:\n"
    "  --data DIR         DIR/train.tsv, dev.tsv, test.tsv and vocab.txt (default data/spam: `bash\n"
    "                     scripts/fetch-data.sh && mpcsim data prepare && mpcsim data vocab ...`)\n"
    "  --train/--dev/--test FILE, --vocab FILE   override one file (TSV `label<TAB>text` or JSONL)\n"
    "  --seq T            tokens per example with [CLS] and [SEP]; longer texts are truncated\n"
    "                     (default 128; eval and distill default to the checkpoint's)\n"
    "  --limit N          train on a random subset of N training examples (deterministic for --seed;\n"
    "                     low-data runs, timing)\n";

static void path_in(char *buf, size_t n, const char *dir, const char *file)
{
    int k = snprintf(buf, n, "%s/%s", dir, file);
    CHECK(k > 0 && (size_t)k < n, "path too long: %s/%s", dir, file);
}

/* ---- checkpoint metadata ---- */

static void buf_grow(char **buf, size_t *len, size_t *cap, size_t more)
{
    if (*len + more + 1 > *cap) {
        *cap = 2 * (*len + more + 1);
        *buf = realloc(*buf, *cap);
        CHECK(*buf != NULL, "out of memory");
    }
}

static void buf_raw(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    buf_grow(buf, len, cap, n);
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

/* Appends s as JSON string contents (escaped). */
static void buf_esc(char **buf, size_t *len, size_t *cap, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        buf_grow(buf, len, cap, 8);
        if (*p == '"' || *p == '\\') (*buf)[(*len)++] = '\\', (*buf)[(*len)++] = (char)*p;
        else if (*p < 0x20) *len += (size_t)snprintf(*buf + *len, 8, "\\u%04x", *p);
        else (*buf)[(*len)++] = (char)*p;
        (*buf)[*len] = 0;
    }
}

static void meta_kv(char **buf, size_t *len, size_t *cap, const char *k, const char *v)
{
    buf_raw(buf, len, cap, *len > 1 ? ",\"" : "\"");
    buf_esc(buf, len, cap, k);
    buf_raw(buf, len, cap, "\":\"");
    buf_esc(buf, len, cap, v);
    buf_raw(buf, len, cap, "\"");
}

/* "__metadata__" entries of a checkpoint (malloc'd JSON object). */
static char *ckpt_meta(const tfm_config *cfg, int T, const text_dataset *labels, const char *role)
{
    size_t cap = 256, len = 1;
    char *b = malloc(cap), v[64];
    CHECK(b != NULL, "out of memory");
    b[0] = '{', b[1] = 0;
#define KV(k, fmt, x)                              \
    do {                                           \
        snprintf(v, sizeof v, fmt, x);             \
        meta_kv(&b, &len, &cap, k, v);             \
    } while (0)
    meta_kv(&b, &len, &cap, "mpcsim_model", cfg->name);
    meta_kv(&b, &len, &cap, "role", role);
    KV("vocab_size", "%d", cfg->V);
    KV("hidden_size", "%d", cfg->C);
    KV("num_layers", "%d", cfg->L);
    KV("num_heads", "%d", cfg->NH);
    KV("intermediate_size", "%d", cfg->F);
    KV("num_labels", "%d", cfg->NL);
    KV("seq", "%d", T);
    meta_kv(&b, &len, &cap, "act", tfm_act_name(cfg->act));
    meta_kv(&b, &len, &cap, "softmax", tfm_attn_name(cfg->attn));
    for (size_t i = 0; i < labels->nlabels; i++) {
        char k[32];
        snprintf(k, sizeof k, "label_%zu", i);
        meta_kv(&b, &len, &cap, k, labels->label_name[i]);
    }
#undef KV
    buf_raw(&b, &len, &cap, "}");
    return b;
}

/* A loaded checkpoint: configuration, weights, label names, training sequence length. */
typedef struct ckpt {
    tfm_config cfg;
    tfm_params p;
    text_dataset labels; /* label names only (n = 0) */
    int seq;
    char role[32];      /* "task", "baseline-wo-d" or "mpcformer" (metadata; "" if absent) */
} ckpt;

static const char *meta_get(const tfm_st_index *ix, const char *k)
{
    for (size_t i = 0; i < ix->n_meta; i++)
        if (strcmp(ix->meta[i].key, k) == 0) return ix->meta[i].value;
    return NULL;
}

static int meta_int(const tfm_st_index *ix, const char *path, const char *k, int lo, int hi, int *out)
{
    const char *s = meta_get(ix, k);
    uint64_t u;
    char *end = NULL;
    if (!s) {
        fprintf(stderr, "error: %s: checkpoint metadata lacks \"%s\" (not written by mpcsim train/distill?)\n", path, k);
        return -1;
    }
    u = strtoull(s, &end, 10);
    if (!*s || *end || u < (uint64_t)lo || u > (uint64_t)hi) {
        fprintf(stderr, "error: %s: checkpoint metadata \"%s\" = '%s' is not an integer in [%d, %d]\n", path, k, s, lo,
                hi);
        return -1;
    }
    *out = (int)u;
    return 0;
}

static int ckpt_load(ckpt *c, const char *path)
{
    memset(c, 0, sizeof *c);
    text_data_init(&c->labels);
    char err[512];
    tfm_st_index ix;
    memset(&ix, 0, sizeof ix);
    if (tfm_safetensors_index_file(&ix, path, err, sizeof err) != TFM_OK) {
        fprintf(stderr, "error: checkpoint %s: %s\n", path, err);
        tfm_st_index_free(&ix);
        return -1;
    }
    const char *name = meta_get(&ix, "mpcsim_model"), *act = meta_get(&ix, "act"), *sm = meta_get(&ix, "softmax");
    int rc = -1;
    if (!name || !act || !sm) {
        fprintf(stderr, "error: checkpoint %s: no mpcsim metadata (mpcsim_model, act, softmax); train it with "
                        "mpcsim train\n", path);
        goto done;
    }
    if (tfm_config_named(&c->cfg, name) != TFM_OK) {
        fprintf(stderr, "error: checkpoint %s: unknown model '%s'\n", path, name);
        goto done;
    }
    if (meta_int(&ix, path, "vocab_size", 8, 10000000, &c->cfg.V) || meta_int(&ix, path, "hidden_size", 2, 8192, &c->cfg.C) ||
        meta_int(&ix, path, "num_layers", 1, 64, &c->cfg.L) || meta_int(&ix, path, "num_heads", 1, 128, &c->cfg.NH) ||
        meta_int(&ix, path, "intermediate_size", 1, 65536, &c->cfg.F) ||
        meta_int(&ix, path, "num_labels", 2, TEXT_DATA_MAX_LABELS, &c->cfg.NL) || meta_int(&ix, path, "seq", 2, 512, &c->seq))
        goto done;
    const char *role = meta_get(&ix, "role");
    snprintf(c->role, sizeof c->role, "%s", role ? role : "");
    c->cfg.act = tfm_act_parse(act), c->cfg.attn = tfm_attn_parse(sm);
    if (c->cfg.act < 0 || c->cfg.attn < 0) {
        fprintf(stderr, "error: checkpoint %s: unknown approximation '%s' / '%s'\n", path, act, sm);
        goto done;
    }
    if (tfm_config_check(&c->cfg, err, sizeof err) != TFM_OK) {
        fprintf(stderr, "error: checkpoint %s: %s\n", path, err);
        goto done;
    }
    for (int i = 0; i < c->cfg.NL; i++) {
        char k[32];
        snprintf(k, sizeof k, "label_%d", i);
        const char *l = meta_get(&ix, k);
        if (!l || !*l || text_data_find_label(&c->labels, l) >= 0) {
            fprintf(stderr, "error: checkpoint %s: metadata \"%s\" missing, empty or repeated\n", path, k);
            goto done;
        }
        text_data_add_label(&c->labels, l);
    }
    tfm_params_alloc(&c->p, &c->cfg);
    if (tfm_load_safetensors(path, &c->cfg, &c->p, err, sizeof err) != TFM_OK) {
        fprintf(stderr, "error: checkpoint %s: %s\n", path, err);
        goto done;
    }
    rc = 0;
done:
    tfm_st_index_free(&ix);
    if (rc) {
        tfm_params_free(&c->p);
        text_data_free(&c->labels);
    }
    return rc;
}

static void ckpt_free(ckpt *c)
{
    tfm_params_free(&c->p);
    text_data_free(&c->labels);
}

/* ---- data ---- */

typedef struct tr_data {
    text_tok *tok;
    text_dataset ds[3]; /* train, dev, test */
    tfm_encoded enc[3];
    int have[3];
} tr_data;

static void tr_data_free(tr_data *d)
{
    text_tok_destroy(d->tok);
    for (int s = 0; s < 3; s++) {
        text_data_free(&d->ds[s]);
        tfm_encoded_free(&d->enc[s]);
    }
}

/* Keeps a random subset of k examples (deterministic for seed; file order kept) in place. */
static void subset(tfm_encoded *e, size_t k, uint64_t seed)
{
    size_t *idx = chk_malloc(e->n * sizeof *idx);
    uint8_t *keep = chk_calloc(e->n, 1);
    for (size_t i = 0; i < e->n; i++) idx[i] = i;
    rng r;
    rng_seed(&r, seed, 0x6c696d74u /* "limt" */);
    for (size_t i = 0; i < k; i++) { /* partial Fisher-Yates */
        size_t j = i + (size_t)(rng_u64(&r) % (uint64_t)(e->n - i)), t = idx[i];
        idx[i] = idx[j], idx[j] = t;
        keep[idx[i]] = 1;
    }
    size_t w = 0, T = (size_t)e->T;
    for (size_t i = 0; i < e->n; i++) {
        if (!keep[i]) continue;
        memmove(e->ids + w * T, e->ids + i * T, T * sizeof *e->ids);
        memmove(e->mask + w * T, e->mask + i * T, T);
        e->label[w++] = e->label[i];
    }
    e->n = w;
    free(idx);
    free(keep);
}

/* Loads the vocabulary and the splits in `want` (bit s = split s); with `labels` (may be NULL) all
 * splits must use that label set, else train's labels fix it. Errors printed; -1. */
static int tr_data_load(tr_data *d, const tr_opts *o, int want, const text_dataset *labels, int T)
{
    memset(d, 0, sizeof *d);
    static const char *names[3] = {"train.tsv", "dev.tsv", "test.tsv"};
    const char *given[3] = {o->train, o->dev, o->test};
    char path[4096], err[1024];
    if (o->vocab) snprintf(path, sizeof path, "%s", o->vocab);
    else path_in(path, sizeof path, o->data, "vocab.txt");
    if (text_tok_load(&d->tok, path, err, sizeof err) != TEXT_TOK_OK) {
        fprintf(stderr, "error: vocabulary: %s\nhint: mpcsim data vocab --in %s/train.tsv --out %s\n", err, o->data, path);
        return -1;
    }
    for (int s = 0; s < 3; s++) {
        if (!(want & (1 << s))) continue;
        text_data_init(&d->ds[s]);
        if (given[s]) snprintf(path, sizeof path, "%s", given[s]);
        else path_in(path, sizeof path, o->data, names[s]);
        const text_dataset *ls = labels ? labels : (s > 0 && d->have[0] ? &d->ds[0] : NULL);
        text_data_load_opts lo = {TEXT_DATA_FMT_AUTO, ls ? (const char *const *)ls->label_name : NULL,
                                 ls ? ls->nlabels : 0, 0};
        int rc = text_data_load(&d->ds[s], path, &lo, err, sizeof err);
        if (rc != TEXT_DATA_OK) {
            fprintf(stderr, "error: %s\n", err);
            if (rc == TEXT_DATA_ELABEL && ls)
                fprintf(stderr, "hint: the label set is fixed by %s (%zu labels)\n",
                        labels ? "the checkpoint" : "the training file", ls->nlabels);
            if (rc == TEXT_DATA_EIO && !given[s])
                fprintf(stderr, "hint: bash scripts/fetch-data.sh && mpcsim data prepare\n");
            return -1;
        }
        if (s == 0 && d->ds[0].nlabels < 2) {
            fprintf(stderr, "error: %s: only one label ('%s'); classification needs two or more\n", path,
                    d->ds[0].label_name[0]);
            return -1;
        }
        tfm_encode_dataset(&d->enc[s], d->tok, &d->ds[s], T);
        if (s == 0 && o->limit && o->limit < d->enc[0].n) subset(&d->enc[0], (size_t)o->limit, o->seed);
        d->have[s] = 1;
    }
    return 0;
}

/* ---- progress ---- */

static void progress(void *ud, const tfm_train_progress *pr)
{
    const char *what = ud;
    if (pr->dev_acc >= 0)
        fprintf(stderr, "%s: epoch %d/%d done, step %ld/%ld, loss %.4f, dev accuracy %.4f%s\n", what, pr->epoch,
                pr->epochs, pr->step, pr->steps, pr->loss, pr->dev_acc, pr->saved ? " (best: saved)" : "");
    else
        fprintf(stderr, "%s: epoch %d/%d step %ld/%ld loss %.4f lr %.3g |grad| %.3g %.3f s/step\n", what, pr->epoch,
                pr->epochs, pr->step, pr->steps, pr->loss, pr->lr, pr->grad_norm, pr->seconds);
}

/* The default shape: bert-mini's vocabulary and positions, 2 layers of hidden 128, 2 heads, FFN 512
 * (Google's BERT-tiny shape), so the whole accuracy pipeline fits 20 minutes on 2 cores. */
#define TR_DEFAULT_MODEL "bert-mini"
#define TR_DEFAULT_L 2
#define TR_DEFAULT_C 128
#define TR_DEFAULT_NH 2
#define TR_DEFAULT_F 512

static int model_config(tfm_config *cfg, const tr_opts *o, int V, int NL)
{
    const char *model = o->model ? o->model : TR_DEFAULT_MODEL;
    if (tfm_config_named(cfg, model) != TFM_OK) {
        char zoo[256];
        tfm_config_list(zoo, sizeof zoo);
        fprintf(stderr, "error: --model: unknown model '%s' (known: %s)\n", model, zoo);
        return -1;
    }
    if (!o->model) cfg->L = TR_DEFAULT_L, cfg->C = TR_DEFAULT_C, cfg->NH = TR_DEFAULT_NH, cfg->F = TR_DEFAULT_F;
    if (o->layers) cfg->L = (int)o->layers;
    if (o->hidden) cfg->C = (int)o->hidden;
    if (o->heads) cfg->NH = (int)o->heads;
    if (o->ffn) cfg->F = (int)o->ffn;
    cfg->V = V, cfg->NL = NL;
    char err[256];
    if (tfm_config_check(cfg, err, sizeof err) != TFM_OK) {
        fprintf(stderr, "error: model: %s\n", err);
        return -1;
    }
    if ((int)o->seq > cfg->P) {
        fprintf(stderr, "error: --seq %" PRIu64 " exceeds the model's %d positions\n", o->seq, cfg->P);
        return -1;
    }
    return 0;
}

static int approx(tfm_config *cfg, const char *gelu, const char *softmax)
{
    if (gelu && (cfg->act = tfm_act_parse(gelu)) < 0) {
        fprintf(stderr, "error: --gelu: unknown activation '%s' (gelu-erf, gelu-tanh, relu, quad)\n", gelu);
        return -1;
    }
    if (softmax && (cfg->attn = tfm_attn_parse(softmax)) < 0) {
        fprintf(stderr, "error: --softmax: unknown attention '%s' (softmax, 2relu, 2quad)\n", softmax);
        return -1;
    }
    return 0;
}

static int same_labels(const text_dataset *a, const text_dataset *b)
{
    if (a->nlabels != b->nlabels) return 0;
    for (size_t i = 0; i < a->nlabels; i++)
        if (strcmp(a->label_name[i], b->label_name[i]) != 0) return 0;
    return 1;
}

/* ---- train ---- */

static void train_usage(FILE *f)
{
    fprintf(f,
            "usage: mpcsim train --out FILE [options]\n\n"
            "Trains a BERT classifier with the task loss (cross-entropy), AdamW (weight decay not on biases\n"
            "and LayerNorm), linear warmup then linear decay, gradient clipping, shuffled minibatches\n"
            "(deterministic for --seed), dev accuracy after every epoch; the best-dev weights are saved\n"
            "to FILE (safetensors with metadata) and test accuracy is reported for them. Uses:\n"
            "  teacher        --gelu gelu-erf --softmax softmax (defaults), random init\n"
            "  w/o{p,d}       --gelu quad --softmax 2quad, random init (MPCFormer's baseline)\n"
            "  w/o{d}         --gelu quad --softmax 2quad --init teacher.safetensors\n\n"
            "model:\n"
            "  --model NAME       zoo model for the shape; without it: bert-mini's positions with 2 layers,\n"
            "                     hidden 128, 2 heads, FFN 512 (fits the 20-minute pipeline; the full\n"
            "                     bert-mini is --model bert-mini, 4 layers of 256, ~6x slower per step)\n"
            "  --layers N --hidden N --heads N --ffn N   override the shape\n"
            "  The vocabulary size and the labels come from the data.\n"
            "  --gelu A           gelu-erf, gelu-tanh, relu, quad;  --softmax S  softmax, 2relu, 2quad\n"
            "  --init FILE        start from a checkpoint's weights (its shape and labels must match)\n"
            "optimisation:\n"
            "  --epochs N (3)  --batch N (16)  --lr X (1e-3; 5e-4 with --init)  --warmup FRAC (0.1)\n"
            "  --weight-decay X (0.01)  --dropout P (0.1: BERT's hidden dropout; not on attention weights)\n"
            "  --clip X (1.0, global L2 norm; 0 = off)  --seed N (1)  --max-steps N  --log-every N (50)\n"
            "%s"
            "output:\n"
            "  --out FILE         checkpoint (required); written only when dev accuracy improves\n"
            "  --csv FILE         summary CSV (default stdout), one row:\n"
            "    command,model,layers,hidden,act,softmax,seq,epochs,steps,sec_per_step,first_loss,final_loss,\n"
            "    best_dev_accuracy,best_epoch,test_accuracy,out\n"
            "    (sec_per_step: wall seconds per optimiser step; accuracies are fractions in [0,1])\n"
            "Progress lines go to stderr.\n",
            data_help);
}

static int write_summary(const char *csvpath, const char *cmd, const tfm_config *cfg, int T, int epochs,
                         const tfm_train_result *r, double test_acc, const char *out)
{
    xp_out o;
    if (xp_out_open(&o, csvpath) != 0) return 1;
    xp_rows w;
    xp_rows_open(&w, o.f, &xp_schema_train, XP_ROWS_CSV);
    xp_rows_str(&w, "command", cmd);
    xp_rows_str(&w, "model", cfg->name);
    xp_rows_int(&w, "layers", cfg->L);
    xp_rows_int(&w, "hidden", cfg->C);
    xp_rows_str(&w, "act", tfm_act_name(cfg->act));
    xp_rows_str(&w, "softmax", tfm_attn_name(cfg->attn));
    xp_rows_int(&w, "seq", T);
    xp_rows_int(&w, "epochs", epochs);
    xp_rows_int(&w, "steps", r->steps);
    xp_rows_real(&w, "sec_per_step", r->sec_per_step);
    xp_rows_real(&w, "first_loss", r->first_loss);
    xp_rows_real(&w, "final_loss", r->final_loss);
    xp_rows_real(&w, "best_dev_accuracy", r->best_dev_acc);
    xp_rows_int(&w, "best_epoch", r->best_epoch);
    xp_rows_real(&w, "test_accuracy", test_acc);
    xp_rows_str(&w, "out", out);
    xp_rows_end(&w);
    return xp_out_close(&o) != 0 ? 1 : 0;
}

int xp_cmd_train(int argc, char **argv)
{
    tr_opts o;
    tr_defaults(&o);
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            train_usage(stdout);
            return 0;
        }
        int r = tr_arg(&o, argc, argv, &i);
        if (r < 0) return 2;
        if (r == 0) {
            fprintf(stderr, "error: train: unknown option '%s' (see mpcsim train --help)\n", argv[i]);
            return 2;
        }
    }
    if (!o.out) {
        fprintf(stderr, "error: train: --out FILE is required\n");
        return 2;
    }
    if (o.teacher || o.weights || o.mpc) {
        fprintf(stderr, "error: train: --teacher/--weights/--mpc belong to distill/eval\n");
        return 2;
    }
    tr_data d;
    if (tr_data_load(&d, &o, 7, NULL, (int)o.seq) != 0) {
        tr_data_free(&d);
        return 2;
    }
    tfm_config cfg;
    ckpt init;
    memset(&init, 0, sizeof init);
    int rc = 2;
    if (model_config(&cfg, &o, (int)text_tok_size(d.tok), (int)d.ds[0].nlabels) != 0) goto out;
    if (o.init) {
        if (ckpt_load(&init, o.init) != 0) goto out;
        if (init.cfg.V != cfg.V || init.cfg.NL != cfg.NL) {
            fprintf(stderr, "error: --init %s: vocabulary %d / labels %d, data has %d / %d\n", o.init, init.cfg.V,
                    init.cfg.NL, cfg.V, cfg.NL);
            goto out;
        }
        if (!same_labels(&init.labels, &d.ds[0])) {
            fprintf(stderr, "error: --init %s: its label set differs from %s's\n", o.init, "the training data");
            goto out;
        }
        cfg = init.cfg; /* its shape; the approximations from the options below */
        cfg.act = TFM_ACT_GELU_ERF, cfg.attn = TFM_ATTN_SOFTMAX;
    }
    if (approx(&cfg, o.gelu, o.softmax) != 0) goto out;
    if (o.t.lr <= 0.0) o.t.lr = o.init ? 5e-4 : 1e-3;
    tfm_params p = {0};
    tfm_params_alloc(&p, &cfg);
    if (o.init) memcpy(p.mem, init.p.mem, p.n * sizeof *p.mem);
    else tfm_params_init(&p, &cfg, o.seed);
    fprintf(stderr, "train: %s L%d C%d %s+%s seq %" PRIu64 ", %zu/%zu/%zu examples (%zu truncated), %s init\n",
            cfg.name, cfg.L, cfg.C, tfm_act_name(cfg.act), tfm_attn_name(cfg.attn), o.seq, d.ds[0].n, d.ds[1].n,
            d.ds[2].n, d.enc[0].truncated, o.init ? o.init : "random");
    char *meta = ckpt_meta(&cfg, (int)o.seq, &d.ds[0], o.init ? "baseline-wo-d" : "task");
    o.t.mode = TFM_TRAIN_TASK;
    o.t.seed = o.seed;
    o.t.out = o.out;
    o.t.metadata_json = meta;
    o.t.progress = progress;
    o.t.progress_ud = "train";
    o.t.clock = now_s;
    tfm_train_result res;
    char err[512];
    if (tfm_train_run(&cfg, &p, &d.enc[0], &d.enc[1], &o.t, &res, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        rc = 1;
    } else {
        double test = tfm_evaluate(&cfg, &p, &d.enc[2], 32, NULL, NULL);
        fprintf(stderr, "train: %ld steps, %.3f s/step, best dev accuracy %.4f (epoch %d), test accuracy %.4f -> %s\n",
                res.steps, res.sec_per_step, res.best_dev_acc, res.best_epoch, test, o.out);
        rc = write_summary(o.csv, "train", &cfg, (int)o.seq, o.t.epochs, &res, test, o.out);
    }
    free(meta);
    tfm_params_free(&p);
out:
    ckpt_free(&init);
    tr_data_free(&d);
    return rc;
}

/* ---- distill ---- */

static void distill_usage(FILE *f)
{
    fprintf(f,
            "usage: mpcsim distill --teacher FILE --out FILE [options]\n\n"
            "MPCFormer's 2-stage knowledge distillation. The student has the teacher's shape, the\n"
            "approximations --gelu (default quad) and --softmax (default 2quad), and starts from the\n"
            "teacher's weights.\n"
            "  stage 1  MSE between student and teacher pre-normalisation attention scores of every layer\n"
            "           (entries <= -100, the padded keys, zeroed in both) plus MSE between all L+1 hidden\n"
            "           states; constant learning rate --stage1-lr (1e-3), --stage1-epochs (1; 0 skips).\n"
            "  stage 2  soft cross-entropy against the teacher's logits (temperature 1), --stage2-lr\n"
            "           (5e-4) with 10%% warmup and linear decay, --stage2-epochs (2); dev accuracy after each\n"
            "           epoch, the best is saved to --out.\n"
            "options: --batch N (16)  --weight-decay X  --clip X  --dropout P (0.1, student only)  --seed N\n"
            "         --max-steps N (per stage)\n"
            "         --log-every N  --seq T (default: the teacher's)\n"
            "%s"
            "output: --csv FILE (default stdout), the columns of `mpcsim train --help` with command\n"
            "        'distill' (first_loss/final_loss are stage 2's soft cross-entropy).\n",
            data_help);
}

int xp_cmd_distill(int argc, char **argv)
{
    tr_opts o;
    tr_defaults(&o);
    o.seq = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            distill_usage(stdout);
            return 0;
        }
        int r = tr_arg(&o, argc, argv, &i);
        if (r < 0) return 2;
        if (r == 0) {
            fprintf(stderr, "error: distill: unknown option '%s' (see mpcsim distill --help)\n", argv[i]);
            return 2;
        }
    }
    if (!o.teacher || !o.out) {
        fprintf(stderr, "error: distill: --teacher FILE and --out FILE are required\n");
        return 2;
    }
    if (o.init || o.mpc || o.weights) {
        fprintf(stderr, "error: distill: --init/--mpc/--weights do not apply (the student starts from the teacher)\n");
        return 2;
    }
    ckpt t;
    if (ckpt_load(&t, o.teacher) != 0) return 2;
    if (!o.seq) o.seq = (uint64_t)t.seq;
    tr_data d;
    int rc = 2;
    tfm_params s = {0};
    char *meta = NULL;
    if (tr_data_load(&d, &o, 7, &t.labels, (int)o.seq) != 0) goto out;
    if ((int)text_tok_size(d.tok) != t.cfg.V) {
        fprintf(stderr, "error: vocabulary has %zu tokens, the teacher %d: use the teacher's vocab.txt\n",
                text_tok_size(d.tok), t.cfg.V);
        goto out;
    }
    if ((int)o.seq > t.cfg.P) {
        fprintf(stderr, "error: --seq %" PRIu64 " exceeds the model's %d positions\n", o.seq, t.cfg.P);
        goto out;
    }
    tfm_config sc = t.cfg;
    if (approx(&sc, o.gelu ? o.gelu : "quad", o.softmax ? o.softmax : "2quad") != 0) goto out;
    tfm_params_alloc(&s, &sc);
    memcpy(s.mem, t.p.mem, s.n * sizeof *s.mem);
    meta = ckpt_meta(&sc, (int)o.seq, &t.labels, "mpcformer");
    fprintf(stderr, "distill: teacher %s (%s+%s) -> student %s+%s, seq %" PRIu64 ", %zu train examples\n", o.teacher,
            tfm_act_name(t.cfg.act), tfm_attn_name(t.cfg.attn), tfm_act_name(sc.act), tfm_attn_name(sc.attn), o.seq,
            d.ds[0].n);
    tfm_train_result r1 = {0}, r2;
    char err[512];
    tfm_train_opts base = o.t;
    base.seed = o.seed;
    base.tcfg = &t.cfg, base.teacher = &t.p;
    base.progress = progress;
    base.clock = now_s;
    if (o.epochs1 > 0) {
        tfm_train_opts s1 = base;
        s1.mode = TFM_TRAIN_KD1;
        s1.epochs = (int)o.epochs1;
        s1.lr = o.lr1, s1.warmup_frac = 0.0, s1.constant_lr = 1;
        s1.eval_every_epoch = 0, s1.out = NULL;
        s1.progress_ud = "distill stage 1";
        if (tfm_train_run(&sc, &s, &d.enc[0], NULL, &s1, &r1, err, sizeof err) != 0) {
            fprintf(stderr, "error: %s\n", err);
            rc = 1;
            goto out;
        }
        fprintf(stderr, "distill: stage 1 done, %ld steps, MSE %.5f -> %.5f, %.3f s/step\n", r1.steps, r1.first_loss,
                r1.final_loss, r1.sec_per_step);
    }
    tfm_train_opts s2 = base;
    s2.mode = TFM_TRAIN_KD2;
    s2.epochs = (int)o.epochs2;
    s2.lr = o.lr2, s2.warmup_frac = 0.1, s2.constant_lr = 0;
    s2.eval_every_epoch = 1, s2.out = o.out, s2.metadata_json = meta;
    s2.progress_ud = "distill stage 2";
    if (tfm_train_run(&sc, &s, &d.enc[0], &d.enc[1], &s2, &r2, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        rc = 1;
        goto out;
    }
    double test = tfm_evaluate(&sc, &s, &d.enc[2], 32, NULL, NULL);
    fprintf(stderr, "distill: best dev accuracy %.4f (epoch %d), test accuracy %.4f -> %s\n", r2.best_dev_acc,
            r2.best_epoch, test, o.out);
    r2.steps += r1.steps;
    rc = write_summary(o.csv, "distill", &sc, (int)o.seq, (int)(o.epochs1 + o.epochs2), &r2, test, o.out);
out:
    free(meta);
    tfm_params_free(&s);
    tr_data_free(&d);
    ckpt_free(&t);
    return rc;
}

/* ---- eval ---- */

static void eval_usage(FILE *f)
{
    fprintf(f,
            "usage: mpcsim eval --weights FILE [--split test|dev|train] [--mpc] [--n N] [--stats] [network options]\n\n"
            "Accuracy of a checkpoint (from mpcsim train or distill) on a split, in plaintext; with --mpc\n"
            "also under 2-party MPC: the first N examples (--n, default 8; --n 0 = the whole split) each\n"
            "run as one private inference in real mode (P0 holds the weights, P1 the tokens; the padding\n"
            "mask is public), with the checkpoint's approximations and Quad/2Quad coefficients.\n"
            "MPC options:\n"
            "  --protocol NAME    protocol family of the private inference (crypten, the default)\n"
            "  --calib-n N        per-call-site rescale constants (LayerNorm's inv_sqrt shift, the attention\n"
            "                     reciprocal's K) fitted to plaintext statistics of the first N TRAINING\n"
            "                     examples (default 256; 0 = the protocol's global defaults). Public model\n"
            "                     metadata: no traffic, independent of the client's input (PROTOCOLS.md 4.2-4.3)\n"
            "  --mpc-gelu F       tanh (default; erf under --protocol fss, a lookup table of either form) or erf:\n"
            "                     the GeLU form under MPC for gelu-erf checkpoints;\n"
            "                     CrypTen's erf Taylor series is accurate only for |x| < ~2 (PROTOCOLS.md 4.4)\n"
            "  --stats            print the calibration: per-site ranges and constants (stderr)\n"
            "  --backend sim|tcp  sim (default): the simulator; tcp: each inference over real TCP between three local\n"
            "                     processes (P0, P1, the dealer; loopback, ephemeral keys, secrets from the OS;\n"
            "                     mean_latency_s is then measured wall time and the network options do not apply)\n"
            "  --insecure-reproducible  with --backend tcp: secrets from --seed as in the simulator (benchmarks)\n"
            "  --trunc local|safe truncation (local: CrypTen's, default; safe: mpc_trunc_safe.h, never wraps)\n"
            "  --failures FILE    CSV of the catastrophic examples (logit error > %g): example, label,\n"
            "                     mpc_pred, plain_pred, logit_error, p_fail, wraps, domain, first_event\n"
            "  --force-wrap K     test hook: in the first MPC example, oracle call K gets wrapping shares\n"
            "  --skip K           under MPC, start at example K (0-based) of the split: runs of disjoint\n"
            "                     slices (each example keeps its seed --seed + K) add up to one run (with\n"
            "                     --batch N: slices starting at multiples of N)\n"
            "  --stress N         instead of the split: N random token sequences (random lengths, ids uniform\n"
            "                     over the vocabulary, deterministic for --seed), all run under MPC; accuracy\n"
            "                     columns are then meaningless, agreement and the failure columns are not\n"
            "  --batch N          examples per protocol run (default 1): N examples go through the encoder as\n"
            "                     one private inference (batch-major; the weights' masks opened once per run,\n"
            "                     the rounds shared); each example's logits equal its lone run's within the\n"
            "                     fixed-point tolerance (the batch draws one stream of masks: run k0 has seed\n"
            "                     --seed + k0, its first example's), and are identical for N = 1; the oracle's\n"
            "                     columns stay per example; mean_latency_s is then that of the example's run.\n"
            "                     In the simulator's real mode a batch costs about as much CPU per example as\n"
            "                     lone runs, or more (its elementwise ops outgrow the core's cache; measured,\n"
            "                     --n 64: the accuracy teacher 1.13x at N = 4, 1.23x at 8, the Quad+2Quad\n"
            "                     student 0.92x at 4, 1.00x at 8), so 1 is the default; it pays where rounds\n"
            "                     cost wall time (--backend tcp). The plaintext evaluation batches 32\n"
            "  --seq T (default: the checkpoint's)  --seed N (MPC randomness, 1)\n"
            "%s"
            "output: --csv FILE (default stdout), one row:\n"
            "  weights,method,act,softmax,layers,hidden,split,seq,examples,accuracy,mpc_act,calibration,\n"
            "  frac_bits,mpc_examples,mpc_accuracy,plain_accuracy_same,agreement,max_abs_logit_error,\n"
            "  mean_latency_s,trunc,p_fail_mean,p_fail_max,catastrophic,catastrophic_rate_lo,catastrophic_rate_hi\n"
            "  method: teacher, mpcformer, wo_d or wo_pd (from the checkpoint's metadata: distilled; trained\n"
            "  from the teacher; trained from random init with exact GeLU+softmax = teacher, else wo_pd);\n"
            "  accuracy: plaintext accuracy on all `examples` of the split (fraction); mpc_act: the activation\n"
            "  run under MPC; calibration: per-site(N) or global; mpc_*: on the first mpc_examples;\n"
            "  plain_accuracy_same: plaintext accuracy on those same examples; agreement: fraction where\n"
            "  the MPC and plaintext predictions agree; max_abs_logit_error: largest |MPC - plaintext logit|;\n"
            "  mean_latency_s: mean simulated latency of one private inference (virtual seconds, zero\n"
            "  compute model); p_fail_mean/_max: the analytic probability that one private inference fails\n"
            "  silently, from the values the simulator's truncation oracle saw (mpc_audit.h), mean and max\n"
            "  over the examples; catastrophic: examples whose logit error exceeds %g (each named on stderr\n"
            "  with the op where the oracle saw the first wrap or domain violation); catastrophic_rate_lo/_hi:\n"
            "  95%% Clopper-Pearson interval of the catastrophic rate. Without --mpc the MPC columns are empty.\n",
            XP_CATASTROPHIC_LOGIT_ERR, data_help, XP_CATASTROPHIC_LOGIT_ERR);
    xp_cfg_help(f); /* the protocol's algorithm options (--frac-bits, --ring-bits, ...) */
    xp_mem_help(f);
    xp_net_help(f);
}

static const char *eval_method(const ckpt *c)
{
    if (strcmp(c->role, "mpcformer") == 0) return "mpcformer";
    if (strcmp(c->role, "baseline-wo-d") == 0) return "wo_d";
    int exact = (c->cfg.act == TFM_ACT_GELU_ERF || c->cfg.act == TFM_ACT_GELU_TANH) && c->cfg.attn == TFM_ATTN_SOFTMAX;
    return exact ? "teacher" : "wo_pd";
}

int xp_cmd_eval(int argc, char **argv)
{
    tr_opts o;
    tr_defaults(&o);
    o.seq = 0;
    o.t.batch = 32;
    mpc_config mcfg;
    if (xp_cfg_init(&mcfg, argc, argv) != 0) return 2;
    xp_netopts net;
    xp_net_defaults(&net);
    uint64_t calib_n = 256, force_wrap = 0, stress = 0, skip = 0, mpc_batch = 1;
    int mpc_gelu = -1, backend = 0, reproducible = 0; /* -1: the protocol's default form */
    const char *failures = NULL;
    xp_mem mem = {0};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            eval_usage(stdout);
            return 0;
        }
        int r;
        const char *v;
        if ((r = xp_net_arg(&net, argc, argv, &i)) || (r = xp_mem_arg(&mem, argc, argv, &i)) ||
            (r = xp_protocol_arg(&mcfg, argc, argv, &i)) || (r = xp_cfg_arg(&mcfg, argc, argv, &i))) {
            if (r < 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--calib-n", 1, &v))) {
            if (r < 0 || xp_parse_u64("--calib-n", v, 0, 1000000, &calib_n) != 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--batch", 1, &v))) { /* eval: the MPC batch (plaintext: always 32) */
            if (r < 0 || xp_parse_u64("--batch", v, 1, 256, &mpc_batch) != 0) return 2;
            continue;
        }
        static const char *const backends[] = {"sim", "tcp", NULL};
        if ((r = xp_arg_choice(argc, argv, &i, "--backend", backends, &backend))) {
            if (r < 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--insecure-reproducible", 0, &v))) {
            if (r < 0) return 2;
            reproducible = 1;
            continue;
        }
        static const char *const truncs[] = {"local", "safe", NULL}; /* MPC_TRUNC_LOCAL, MPC_TRUNC_SAFE */
        if ((r = xp_arg_choice(argc, argv, &i, "--trunc", truncs, &mcfg.trunc))) {
            if (r < 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--failures", 1, &failures))) {
            if (r < 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--force-wrap", 1, &v))) {
            if (r < 0 || xp_parse_u64("--force-wrap", v, 1, UINT64_MAX, &force_wrap) != 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--skip", 1, &v))) {
            if (r < 0 || xp_parse_u64("--skip", v, 0, 100000000, &skip) != 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--stress", 1, &v))) {
            if (r < 0 || xp_parse_u64("--stress", v, 1, 100000000, &stress) != 0) return 2;
            continue;
        }
        static const char *const forms[] = {"tanh", "erf", NULL};
        int form;
        if ((r = xp_arg_choice(argc, argv, &i, "--mpc-gelu", forms, &form))) {
            if (r < 0) return 2;
            mpc_gelu = form == 0 ? TFM_ACT_GELU_TANH : TFM_ACT_GELU_ERF;
            continue;
        }
        r = tr_arg(&o, argc, argv, &i);
        if (r < 0) return 2;
        if (r == 0) {
            fprintf(stderr, "error: eval: unknown option '%s' (see mpcsim eval --help)\n", argv[i]);
            return 2;
        }
    }
    if (!o.weights) {
        fprintf(stderr, "error: eval: --weights FILE is required\n");
        return 2;
    }
    if ((stress || force_wrap || failures || skip) && !o.mpc) {
        fprintf(stderr, "error: eval: --stress, --skip, --force-wrap and --failures need --mpc\n");
        return 2;
    }
    if ((force_wrap || failures) && backend == 1) {
        fprintf(stderr, "error: eval: --force-wrap and --failures need the truncation oracle, which sees both "
                        "parties' shares: simulator only (--backend sim)\n");
        return 2;
    }
    int split = strcmp(o.split, "train") == 0 ? 0 : strcmp(o.split, "dev") == 0 ? 1 : strcmp(o.split, "test") == 0 ? 2 : -1;
    if (split < 0) {
        fprintf(stderr, "error: --split: '%s' is not train, dev or test\n", o.split);
        return 2;
    }
    if (xp_net_finish(&net) != 0) return 2;
    if (backend == 1 && !o.mpc) {
        fprintf(stderr, "error: eval: --backend tcp runs the private inferences: it needs --mpc\n");
        return 2;
    }
    if (backend == 1 && (net.have_net || net.have_bw || net.have_lat || net.have_rtt || net.have_cc || net.pcap ||
                         net.dealer_custom)) {
        fprintf(stderr, "error: eval: --backend tcp: the simulator's network options do not apply, the network is "
                        "real (loopback)\n");
        return 2;
    }
    if (reproducible && backend != 1) {
        fprintf(stderr, "error: eval: --insecure-reproducible applies to --backend tcp only (the simulator is)\n");
        return 2;
    }
    /* fss's GeLU is a lookup table of either form: the checkpoint's own erf; crypten's erf series is
     * accurate only near 0, so tanh there */
    if (mpc_gelu < 0) mpc_gelu = strcmp(mcfg.protocol, "fss") == 0 ? TFM_ACT_GELU_ERF : TFM_ACT_GELU_TANH;
    ckpt c;
    if (ckpt_load(&c, o.weights) != 0) return 2;
    if (o.mpc) { /* the protocol family must have the layers the checkpoint runs under MPC */
        int act = c.cfg.act == TFM_ACT_GELU_ERF ? mpc_gelu : c.cfg.act;
        const char *lacks =
            mpc_family_check(mpc_family_of(&mcfg), (mpc_act)act, (mpc_attn)c.cfg.attn, (mpc_norm)c.cfg.norm);
        if (lacks) fprintf(stderr, "error: eval: %s\n", lacks);
        if (lacks || xp_cfg_check(&mcfg) != 0) {
            ckpt_free(&c);
            return 2;
        }
    }
    if (!o.seq) o.seq = (uint64_t)c.seq;
    const int calibrate = o.mpc && calib_n > 0;
    if (o.mpc && o.seq <= (uint64_t)c.cfg.P) {
        char what[160];
        snprintf(what, sizeof what, "a real-mode private inference of this checkpoint at --seq %d, --batch %d", (int)o.seq,
                 (int)mpc_batch);
        uint64_t one = xp_mem_infer(&c.cfg, (int)o.seq), nb = mpc_batch; /* a batch: at most nb times one */
        if (xp_mem_check(&mem, what, one > UINT64_MAX / nb ? UINT64_MAX : one * nb) != 0) {
            ckpt_free(&c);
            return 2;
        }
    }
    if ((calibrate || o.stats) && c.cfg.L > SBERT_MAX_LAYERS) {
        fprintf(stderr, "error: checkpoint %s: %d layers, but calibration and --stats cover at most %d (use --calib-n 0)\n",
                o.weights, c.cfg.L, SBERT_MAX_LAYERS);
        ckpt_free(&c);
        return 2;
    }
    char ferr[512];
    if (o.mpc && tfm_params_check_fixed(&c.cfg, &c.p, fx_range(mcfg.frac_bits), ferr, sizeof ferr) != TFM_OK) {
        fprintf(stderr, "error: checkpoint %s: %s\n", o.weights, ferr);
        ckpt_free(&c);
        return 2;
    }
    tr_data d;
    int rc = 2;
    int *pred = NULL;
    float *lg = NULL;
    tfm_encoded rnd; /* --stress inputs */
    memset(&rnd, 0, sizeof rnd);
    mpc_audit audit; /* the truncation oracle (one protocol run at a time) */
    mpc_audit_init(&audit);
    arena *scratch[3] = {NULL, NULL, NULL}; /* the parties' scratch memory, kept across the batches */
    net_sim_pool *msgpool = NULL;           /* and the simulator's message storage */
    rng_tee *tee[3] = {NULL, NULL, NULL};   /* and the shared keystreams' rings (rt_sim.h) */
    xp_out fail;
    memset(&fail, 0, sizeof fail);
    xp_rows failrows; /* rows of --failures (schema eval_failures) */
    memset(&failrows, 0, sizeof failrows);
    if (tr_data_load(&d, &o, 1 << split | (calibrate || o.stats ? 1 : 0), &c.labels, (int)o.seq) != 0) goto out;
    if ((int)text_tok_size(d.tok) != c.cfg.V) {
        fprintf(stderr, "error: vocabulary has %zu tokens, the checkpoint %d: use its vocab.txt\n", text_tok_size(d.tok),
                c.cfg.V);
        goto out;
    }
    if ((int)o.seq > c.cfg.P) {
        fprintf(stderr, "error: --seq %" PRIu64 " exceeds the model's %d positions\n", o.seq, c.cfg.P);
        goto out;
    }
    const tfm_encoded *e = &d.enc[split];
    if (stress) {
        xp_stress_inputs(&rnd, e, (size_t)stress, c.cfg.V, o.seed);
        e = &rnd;
        o.split = "stress";
        o.n = 0;
    }
    const int NL = c.cfg.NL, T = (int)o.seq;
    pred = chk_malloc(e->n * sizeof *pred);
    lg = chk_malloc(e->n * (size_t)NL * sizeof *lg);
    double acc = tfm_evaluate(&c.cfg, &c.p, e, o.t.batch, pred, lg);
    fprintf(stderr, "eval: %s (%s, %s+%s) on %s: %zu examples, accuracy %.4f\n", o.weights, eval_method(&c),
            tfm_act_name(c.cfg.act), tfm_attn_name(c.cfg.attn), o.split, e->n, acc);
    /* The protocol's configuration: the checkpoint's approximations; eps as encodable (4.7). */
    mcfg.quad_a = c.cfg.quad_a, mcfg.quad_b = c.cfg.quad_b, mcfg.quad_c = c.cfg.quad_c, mcfg.quad2_c = c.cfg.quad2_c;
    mcfg.ln_eps = mpc_family_ln_eps(mpc_family_of(&mcfg), &mcfg, c.cfg.ln_eps, (uint64_t)c.cfg.C);
    tfm_config mc = c.cfg; /* the model as run under MPC */
    if (mc.act == TFM_ACT_GELU_ERF) mc.act = mpc_gelu;
    sbert_calib cal;
    if (calibrate || o.stats) {
        const tfm_encoded *tr = &d.enc[0];
        size_t n = calib_n && calib_n < tr->n ? (size_t)calib_n : tr->n;
        sbert_stats st;
        sbert_stats_collect(&st, &c.cfg, &c.p, tr->ids, tr->mask, n, T, mcfg.ln_eps);
        sbert_calib_fit(&cal, &c.cfg, &st);
        if (o.stats) sbert_calib_print(stderr, &c.cfg, &cal, &st);
    }
    size_t nm = 0, mcorrect = 0, agree = 0, pcorrect = 0, ncat = 0;
    double maxerr = 0.0, lat = 0.0, t0 = now_s(), pf_sum = 0.0, pf_max = 0.0;
    if (o.mpc && failures) {
        if (xp_out_open(&fail, failures) != 0) goto out;
        xp_rows_open(&failrows, fail.f, &xp_schema_eval_failures, XP_ROWS_CSV);
    }
    if (o.mpc) {
        size_t left = skip < e->n ? e->n - (size_t)skip : 0;
        nm = o.n && o.n < left ? (size_t)o.n : left;
        size_t every = nm < 20 ? 1 : nm / 20, next_note = every; /* a note per example below 20 */
        if (backend == 0) {
            for (int i = 0; i < 3; i++) scratch[i] = arena_create(), tee[i] = rng_tee_create(RT_SIM_TEE_BYTES_BATCH(mpc_batch));
            msgpool = net_sim_pool_create();
        }
        for (size_t k0 = (size_t)skip; k0 < (size_t)skip + nm; k0 += (size_t)mpc_batch) {
            /* One protocol run: examples k0 .. k0 + nb - 1 (seed --seed + k0; one example: its lone run). */
            size_t nb = (size_t)skip + nm - k0 < mpc_batch ? (size_t)skip + nm - k0 : (size_t)mpc_batch;
            rt_infer inf;
            rt_job job;
            rt_infer_job_batch(&job, &inf, &mcfg, 0, o.seed + k0, &mc, T, (int)nb, &c.p, e->ids + k0 * T,
                               e->mask + k0 * T, calibrate ? &cal : NULL);
            rt_result rr;
            int jr;
            mpc_audit_reset(&audit);
            mpc_audit_examples(&audit, nb > 1 ? nb : 0); /* per-example oracle results in a batch */
            if (backend == 0) {
                rt_sim_opts so;
                memset(&so, 0, sizeof so);
                audit.force_call = k0 == skip ? force_wrap : 0;
                so.audit = &audit; /* the truncation oracle sees both shares: simulator only */
                for (int i = 0; i < 3; i++) so.scratch[i] = scratch[i], so.tee[i] = tee[i];
                so.msgpool = msgpool;
                xp_net_topology(&net, &so.topo, 0);
                jr = rt_sim_job(&so, &job, &rr);
            } else {
                rt_tcp_opts to;
                memset(&to, 0, sizeof to);
                to.out_party = NET_P1;
                to.reproducible = reproducible;
                to.congestion = "cubic";
                jr = rt_tcp_local(&to, -1, &job, &rr);
            }
            if (jr != 0) {
                rt_infer_free(&inf);
                rc = 1;
                goto out;
            }
            for (size_t b = 0; b < nb; b++) {
                size_t k = k0 + b;
                const double *logits = inf.logits + b * (size_t)NL;
                int mp = 0;
                for (int j = 1; j < NL; j++)
                    if (logits[j] > logits[mp]) mp = j;
                double err_k = 0.0;
                for (int j = 0; j < NL; j++) err_k = fmax(err_k, fabs(logits[j] - lg[k * NL + j]));
                maxerr = fmax(maxerr, err_k);
                mcorrect += mp == e->label[k];
                pcorrect += pred[k] == e->label[k];
                agree += mp == pred[k];
                lat += rr.latency_ns * 1e-9; /* each example: its batch's latency */
                /* The oracle's results of this example (its batch's elements of it; alone: the run's). */
                const mpc_audit_example *ex = nb > 1 ? &audit.ex[b] : NULL;
                double pf = ex ? mpc_audit_example_p_fail(&audit, b) : mpc_audit_p_fail(&audit);
                uint64_t wraps = ex ? ex->wraps : audit.wraps, dom = ex ? ex->domain : audit.domain;
                const mpc_audit_event *ev0 = ex ? (ex->nev ? &ex->ev : NULL) : (audit.nev ? &audit.ev[0] : NULL);
                pf_sum += pf, pf_max = fmax(pf_max, pf);
                if (err_k > XP_CATASTROPHIC_LOGIT_ERR) {
                    char where[160] = "none";
                    if (ev0) xp_audit_where(where, sizeof where, ev0);
                    ncat++;
                    fprintf(stderr, "eval --mpc: CATASTROPHIC: example %zu of %s (label %d, MPC %d, plaintext %d): logit error "
                                    "%.3g; oracle: p_fail %.3g, %llu wraps, %llu domain, first at %s (%s, call %llu)\n",
                            k, o.split, e->label[k], mp, pred[k], err_k, pf, (unsigned long long)wraps,
                            (unsigned long long)dom, where,
                            !ev0 ? "no oracle event: an approximation error" : ev0->kind == MPC_AUDIT_WRAP ? "wrap" : "domain",
                            (unsigned long long)(ev0 ? ev0->call : 0));
                    if (fail.f) {
                        xp_rows_uint(&failrows, "example", k);
                        xp_rows_int(&failrows, "label", e->label[k]);
                        xp_rows_int(&failrows, "mpc_pred", mp);
                        xp_rows_int(&failrows, "plain_pred", pred[k]);
                        xp_rows_real(&failrows, "logit_error", err_k);
                        xp_rows_real(&failrows, "p_fail", pf);
                        xp_rows_uint(&failrows, "wraps", wraps);
                        xp_rows_uint(&failrows, "domain", dom);
                        xp_rows_str(&failrows, "first_event", where);
                        xp_rows_end(&failrows);
                    }
                }
                if (err_k <= XP_CATASTROPHIC_LOGIT_ERR && (dom || wraps)) { /* seen, not visible */
                    char where[160] = "none";
                    if (ev0) xp_audit_where(where, sizeof where, ev0);
                    fprintf(stderr, "eval --mpc: example %zu of %s: the oracle saw %llu wrap(s) and %llu value(s) outside "
                                    "a domain, the first a %s at %s (call %llu); logit error %.3g, not catastrophic\n",
                            k, o.split, (unsigned long long)wraps, (unsigned long long)dom,
                            ev0 && ev0->kind == MPC_AUDIT_WRAP ? "wrap" : "domain event", where,
                            (unsigned long long)(ev0 ? ev0->call : 0), err_k);
                }
                size_t done = k - (size_t)skip + 1;
                if (done >= next_note || done == nm || mp != pred[k]) {
                    fprintf(stderr, "eval --mpc: %zu/%zu: label %d, MPC %d, plaintext %d, logit error %.2e; so far agreement "
                                    "%zu/%zu, max error %.2e (%.1f s wall)\n",
                            done, nm, e->label[k], mp, pred[k], err_k, agree, done, maxerr, now_s() - t0);
                    while (next_note <= done) next_note += every;
                }
            }
            rt_infer_free(&inf);
        }
    }
    xp_out out;
    if (xp_out_open(&out, o.csv) != 0) {
        rc = 1;
        goto out;
    }
    xp_rows w;
    xp_rows_open(&w, out.f, &xp_schema_eval, o.mpc ? XP_ROWS_OPTIONAL : XP_ROWS_CSV); /* optional: --mpc's safety columns */
    xp_rows_str(&w, "weights", o.weights);
    xp_rows_str(&w, "method", eval_method(&c));
    xp_rows_str(&w, "act", tfm_act_name(c.cfg.act));
    xp_rows_str(&w, "softmax", tfm_attn_name(c.cfg.attn));
    xp_rows_int(&w, "layers", c.cfg.L);
    xp_rows_int(&w, "hidden", c.cfg.C);
    xp_rows_str(&w, "split", o.split);
    xp_rows_int(&w, "seq", T);
    xp_rows_uint(&w, "examples", e->n);
    xp_rows_real(&w, "accuracy", acc);
    if (o.mpc && nm) {
        char calname[32];
        if (calibrate) snprintf(calname, sizeof calname, "per-site(%zu)", d.enc[0].n < calib_n ? d.enc[0].n : (size_t)calib_n);
        else snprintf(calname, sizeof calname, "global");
        xp_rows_str(&w, "mpc_act", tfm_act_name(mc.act));
        xp_rows_str(&w, "calibration", calname);
        xp_rows_int(&w, "frac_bits", mcfg.frac_bits);
        xp_rows_uint(&w, "mpc_examples", nm);
        xp_rows_real(&w, "mpc_accuracy", (double)mcorrect / nm);
        xp_rows_real(&w, "plain_accuracy_same", (double)pcorrect / nm);
        xp_rows_real(&w, "agreement", (double)agree / nm);
        xp_rows_real(&w, "max_abs_logit_error", maxerr);
        xp_rows_real(&w, "mean_latency_s", lat / nm);
        double clo, chi;
        xp_clopper_pearson(ncat, nm, 0.95, &clo, &chi);
        xp_rows_str(&w, "trunc", mcfg.trunc == MPC_TRUNC_SAFE ? "safe" : "local");
        if (backend == 0) { /* the oracle runs in the simulator only: over TCP these cells stay empty */
            xp_rows_real(&w, "p_fail_mean", pf_sum / nm);
            xp_rows_real(&w, "p_fail_max", pf_max);
        }
        xp_rows_uint(&w, "catastrophic", ncat);
        xp_rows_real(&w, "catastrophic_rate_lo", clo);
        xp_rows_real(&w, "catastrophic_rate_hi", chi);
    }
    xp_rows_end(&w);
    rc = xp_out_close(&out) != 0 ? 1 : 0;
    if (fail.f) {
        if (rc == 0) rc = xp_out_close(&fail) != 0 ? 1 : 0;
        else xp_out_abort(&fail);
        fail.f = NULL;
    }
out:
    for (int i = 0; i < 3; i++) arena_destroy(scratch[i]), rng_tee_destroy(tee[i]);
    net_sim_pool_destroy(msgpool);
    if (fail.f) xp_out_abort(&fail);
    mpc_audit_free(&audit);
    if (rnd.ids) tfm_encoded_free(&rnd);
    free(pred);
    free(lg);
    tr_data_free(&d);
    ckpt_free(&c);
    return rc;
}

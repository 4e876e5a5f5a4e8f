/* bench_train.c -- wall time of one training step of the plaintext Transformer (models/tfm_train.h),
 * to compare with PyTorch on the same shapes (scripts/bench_train_torch.py; both run by
 * scripts/bench-train.sh into results/train_step.csv). Never part of the tests.
 *
 * One step is tfm_trainer_step in task mode, as `mpcsim train` runs it: training forward with hidden
 * dropout 0.1, cross-entropy against one-hot labels, backward, clipping to global L2 norm 1.0, AdamW
 * (betas 0.9/0.999, eps 1e-8, weight decay 0.01 on 2-D weights except LayerNorm) at a constant lr
 * 1e-3. float32, GEMMs through cblas_sgemm (OpenBLAS). Model: bert-mini's vocabulary (8192) and
 * positions (512), 2 labels, LayerNorm; the shape and the approximations come from the command line.
 * Inputs are random token ids from a fixed seed, [CLS]-like id 2 first, no padding (mask all 1),
 * random labels. W warm-up steps, then S timed steps (CLOCK_MONOTONIC); median and min in ms.
 *
 * Usage: mpcsim_bench_train [--warmup W] [--steps S] [--threads N] [--no-header] [--profile]
 *                           [SPEC...]
 *   SPEC  L:C:NH:F:T:B:ACT:ATTN, e.g. 2:128:2:512:128:16:gelu-erf:softmax (defaults: the shapes of
 *         scripts/bench-train.sh)
 *   --threads N  OpenBLAS threads (openblas_set_num_threads; default: OpenBLAS's own, i.e.
 *                OPENBLAS_NUM_THREADS or the core count). The rest of the step is single-threaded.
 *   --kernels K  the step's non-BLAS kernels (models/tfm_vec.h): auto (default, the widest the CPU
 *                has), avx512, avx2, or ref (the plain reference kernels, and the GeLU derivative
 *                recomputed in the backward instead of kept: the step as before the fast paths;
 *                every choice gives the same bits, tests/test_tfm_vec.c).
 *   --profile    after timing, a per-phase breakdown on stderr: forward / loss+backward / clip+AdamW,
 *                the share of each spent in cblas_sgemm (counted through the linker's
 *                --wrap=cblas_sgemm), and the non-GEMM time of the attention normalisation and of
 *                the FFN activation.
 * Output (stdout): CSV rows impl,layers,hidden,heads,ffn,seq,batch,act,attn,threads,step_ms_median,
 * step_ms_min,steps,blas,torch_version (impl = c, torch_version empty); the header unless
 * --no-header. Progress on stderr. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <gsl/gsl_cblas.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/chk.h"
#include "../common/rng.h"
#include "../experiments/xp_schema.h"
#include "../models/tfm.h"
#include "../models/tfm_kernels.h"
#include "../models/tfm_train.h"
#include "../models/tfm_vec.h"

/* OpenBLAS's own controls (the project links OpenBLAS; GSL's CBLAS header does not declare them). */
extern void openblas_set_num_threads(int num_threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_corename(void);

#define BT_DROPOUT 0.1
#define BT_CLIP 1.0
#define BT_WD 0.01
#define BT_LR 1e-3
#define BT_SEED 1

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- time spent in cblas_sgemm (the executable links with -Wl,--wrap=cblas_sgemm) ---- */

static double gemm_s;  /* accumulated seconds in cblas_sgemm */
static int gemm_count; /* only while profiling: off during the timed steps */

void __real_cblas_sgemm(const enum CBLAS_ORDER Order, const enum CBLAS_TRANSPOSE TransA,
                        const enum CBLAS_TRANSPOSE TransB, const int M, const int N, const int K, const float alpha,
                        const float *A, const int lda, const float *B, const int ldb, const float beta, float *C,
                        const int ldc);
void __wrap_cblas_sgemm(const enum CBLAS_ORDER Order, const enum CBLAS_TRANSPOSE TransA,
                        const enum CBLAS_TRANSPOSE TransB, const int M, const int N, const int K, const float alpha,
                        const float *A, const int lda, const float *B, const int ldb, const float beta, float *C,
                        const int ldc);

void __wrap_cblas_sgemm(const enum CBLAS_ORDER Order, const enum CBLAS_TRANSPOSE TransA,
                        const enum CBLAS_TRANSPOSE TransB, const int M, const int N, const int K, const float alpha,
                        const float *A, const int lda, const float *B, const int ldb, const float beta, float *C,
                        const int ldc)
{
    double t0 = gemm_count ? now_s() : 0.0;
    __real_cblas_sgemm(Order, TransA, TransB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    if (gemm_count) gemm_s += now_s() - t0;
}

/* ---- one shape ---- */

typedef struct bt_spec {
    int L, C, NH, F, T, B, act, attn;
} bt_spec;

static int parse_spec(bt_spec *s, const char *arg)
{
    char act[32], attn[32];
    int n = -1;
    if (sscanf(arg, "%d:%d:%d:%d:%d:%d:%31[^:]:%31[^:]%n", &s->L, &s->C, &s->NH, &s->F, &s->T, &s->B, act, attn, &n) !=
            8 ||
        n < 0 || arg[n] != '\0' || (s->act = tfm_act_parse(act)) < 0 || (s->attn = tfm_attn_parse(attn)) < 0 ||
        s->B < 1 || s->B > 4096) {
        fprintf(stderr, "error: shape '%s': expected L:C:NH:F:T:B:ACT:ATTN, e.g. 2:128:2:512:128:16:gelu-erf:softmax\n",
                arg);
        return -1;
    }
    return 0;
}

typedef struct bt_result {
    double med_ms, min_ms;
} bt_result;

/* Per-phase breakdown of R steps rebuilt from the public API in tfm_trainer_step's order. */
static void profile(tfm_trainer *tr, const tfm_config *cfg, const int *ids, const uint8_t *mask, const float *q,
                    int R)
{
    const int B = tr->B, T = tr->T, NL = cfg->NL;
    const size_t BTF = (size_t)B * T * cfg->F;
    double ph[3] = {0}, gm[3] = {0}, act_s = 0.0, attn_s = 0.0, attn_gemm = 0.0;
    gemm_count = 1;
    for (int r = 0; r < R; r++) {
        double t[4], g[4];
        t[0] = now_s(), g[0] = gemm_s;
        memset(tr->g.mem, 0, tr->g.n * sizeof *tr->g.mem);
        tfm_train_forward(cfg, tr->p, &tr->a, ids, NULL, mask, B, tr->dropout, &tr->drop_rng);
        t[1] = now_s(), g[1] = gemm_s;
        (void)tfm_crossentropy_forward(tr->probs, tr->a.logits, q, B, NL);
        memset(tr->dlogits, 0, (size_t)B * NL * sizeof *tr->dlogits);
        tfm_crossentropy_backward(tr->dlogits, tr->probs, q, 1.0, B, NL);
        tfm_train_backward(cfg, tr->p, &tr->g, &tr->a, ids, NULL, mask, B, tr->dlogits, NULL, NULL);
        t[2] = now_s(), g[2] = gemm_s;
        (void)tfm_clip_grad_norm(tr->g.mem, tr->g.n, tr->clip);
        tr->t++;
        tfm_adamw_update(tr->p->mem, tr->g.mem, tr->m, tr->v, tr->decay, tr->p->n, BT_LR, 0.9, 0.999, 1e-8,
                         tr->weight_decay, tr->t);
        t[3] = now_s(), g[3] = gemm_s;
        for (int i = 0; i < 3; i++) ph[i] += t[i + 1] - t[i], gm[i] += g[i + 1] - g[i];
        /* the non-GEMM parts of two kernels, on the saved activations of layer 0, L times */
        double a0 = now_s();
        for (int l = 0; l < cfg->L; l++) tfm_act_forward(cfg, tr->a.hact, tr->a.hpre, BTF);
        double a1 = now_s(), ag = gemm_s;
        for (int l = 0; l < cfg->L; l++)
            tfm_attention_forward(tr->a.ctx, tr->a.scores, tr->a.probs, tr->a.q, tr->a.k, tr->a.v, mask, cfg->attn,
                                  cfg->quad2_c, B, T, cfg->C, cfg->NH);
        double a2 = now_s();
        act_s += a1 - a0, attn_s += a2 - a1, attn_gemm += gemm_s - ag;
    }
    gemm_count = 0;
    double tot = ph[0] + ph[1] + ph[2], gtot = gm[0] + gm[1] + gm[2];
    fprintf(stderr,
            "  profile (mean of %d steps): %.1f ms = forward %.1f (GEMM %.1f) + loss/backward %.1f (GEMM %.1f) + "
            "clip/AdamW %.1f; GEMM %.0f%% of the step\n"
            "    forward non-GEMM: attention normalisation (%s) %.1f ms, FFN activation (%s) %.1f ms\n",
            R, 1e3 * tot / R, 1e3 * ph[0] / R, 1e3 * gm[0] / R, 1e3 * ph[1] / R, 1e3 * gm[1] / R, 1e3 * ph[2] / R,
            100.0 * gtot / tot, tfm_attn_name(cfg->attn), 1e3 * (attn_s - attn_gemm) / R, tfm_act_name(cfg->act),
            1e3 * act_s / R);
}

static void run_spec(bt_result *res, const bt_spec *s, int warmup, int steps, int prof, int vec)
{
    tfm_config cfg;
    char err[256];
    CHECK(tfm_config_named(&cfg, "bert-mini") == TFM_OK, "bert-mini is a built-in configuration");
    cfg.L = s->L, cfg.C = s->C, cfg.NH = s->NH, cfg.F = s->F, cfg.act = s->act, cfg.attn = s->attn;
    CHECK(tfm_config_check(&cfg, err, sizeof err) == TFM_OK && s->T >= 2 && s->T <= cfg.P, "shape: %s (T %d)", err,
          s->T);
    const int B = s->B, T = s->T, NL = cfg.NL;
    tfm_params p = {0};
    tfm_params_alloc(&p, &cfg);
    tfm_params_init(&p, &cfg, BT_SEED);
    tfm_trainer tr;
    tfm_trainer_init(&tr, &cfg, &p, TFM_TRAIN_TASK, B, T, BT_WD, BT_CLIP, NULL, NULL);
    tfm_trainer_set_dropout(&tr, BT_DROPOUT, BT_SEED);
    tr.a.vec = vec;
    double *dact = tr.a.dact;
    if (vec == TFM_VEC_REF) tr.a.dact = NULL; /* the plain path: the backward recomputes the GeLU derivative */

    int *ids = chk_malloc((size_t)B * T * sizeof *ids);
    uint8_t *mask = chk_malloc((size_t)B * T);
    float *q = chk_calloc((size_t)B * NL, sizeof *q);
    rng r;
    rng_seed(&r, BT_SEED, 0x62656e63u /* "benc" */);
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) ids[b * T + t] = t == 0 ? 2 : 1 + (int)(rng_u64(&r) % (uint64_t)(cfg.V - 1));
        q[b * NL + (int)(rng_u64(&r) % (uint64_t)NL)] = 1.0f;
    }
    memset(mask, 1, (size_t)B * T);

    double *ms = chk_malloc((size_t)steps * sizeof *ms), loss = 0.0;
    for (int i = 0; i < warmup + steps; i++) {
        double t0 = now_s();
        loss = tfm_trainer_step(&tr, ids, mask, q, BT_LR, NULL);
        double t1 = now_s();
        if (i >= warmup) ms[i - warmup] = 1e3 * (t1 - t0);
    }
    qsort(ms, (size_t)steps, sizeof *ms, cmp_d);
    res->med_ms = steps % 2 ? ms[steps / 2] : 0.5 * (ms[steps / 2 - 1] + ms[steps / 2]);
    res->min_ms = ms[0];
    fprintf(stderr, "c: L%d C%d NH%d F%d T%d B%d %s+%s: median %.1f ms, min %.1f ms over %d steps (loss %.4f)\n",
            s->L, s->C, s->NH, s->F, T, B, tfm_act_name(s->act), tfm_attn_name(s->attn), res->med_ms, res->min_ms,
            steps, loss);
    if (prof) profile(&tr, &cfg, ids, mask, q, 3);

    free(ms), free(ids), free(mask), free(q);
    tr.a.dact = dact;
    tfm_trainer_free(&tr);
    tfm_params_free(&p);
}

/* The shapes of scripts/bench-train.sh: `mpcsim train`'s default student/teacher shape (2 layers,
 * hidden 128, 2 heads, FFN 512, seq 128, batch 16) and the teacher (bert-mini: 4 layers,
 * hidden 256, 4 heads, FFN 1024) at seq 256, each with GeLU+softmax and Quad+2Quad. */
static const char *const default_specs[] = {
    "2:128:2:512:128:16:gelu-erf:softmax", "2:128:2:512:128:16:quad:2quad",
    "4:256:4:1024:256:16:gelu-erf:softmax", "4:256:4:1024:256:16:quad:2quad",
};

/* argv[*i] is `name` (returns 1 after reading the next argument as an integer in [lo, hi] into *out),
 * or not (0); -1 after printing what is wrong with the value. */
static int u64_opt(int argc, char **argv, int *i, const char *name, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (strcmp(argv[*i], name) != 0) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "error: %s needs a value\n", name);
        return -1;
    }
    const char *v = argv[++*i];
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*v == '-' || end == v || *end || errno || x < lo || x > hi) {
        fprintf(stderr, "error: %s: '%s' is not an integer in [%" PRIu64 ", %" PRIu64 "]\n", name, v, lo, hi);
        return -1;
    }
    *out = x;
    return 1;
}

int main(int argc, char **argv)
{
    uint64_t warmup = 2, steps = 7, threads = 0;
    int header = 1, prof = 0, nspec = 0, vec = TFM_VEC_AUTO;
    const char **specs = chk_calloc((size_t)argc + 4, sizeof *specs);
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = u64_opt(argc, argv, &i, "--warmup", 0, 1000, &warmup)) ||
            (r = u64_opt(argc, argv, &i, "--steps", 1, 100000, &steps)) ||
            (r = u64_opt(argc, argv, &i, "--threads", 1, 256, &threads))) {
            if (r < 0) return 2;
        } else if (strcmp(argv[i], "--no-header") == 0) {
            header = 0;
        } else if (strcmp(argv[i], "--kernels") == 0 && i + 1 < argc) {
            const char *k = argv[++i];
            vec = !strcmp(k, "auto") ? TFM_VEC_AUTO : !strcmp(k, "ref") ? TFM_VEC_REF : !strcmp(k, "avx2") ? TFM_VEC_AVX2
                  : !strcmp(k, "avx512") ? TFM_VEC_AVX512 : -1;
            if (vec < 0 || !tfm_vec_available(vec)) {
                fprintf(stderr, "error: --kernels '%s': not one of auto, ref, avx2, avx512 available here\n", k);
                return 2;
            }
        } else if (strcmp(argv[i], "--profile") == 0) {
            prof = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: %s [--warmup W (2)] [--steps S (7)] [--threads N] [--kernels auto|ref|avx2|avx512] "
                   "[--no-header] [--profile] "
                   "[L:C:NH:F:T:B:ACT:ATTN ...]\n",
                   argv[0]);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "error: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        } else {
            specs[nspec++] = argv[i];
        }
    }
    if (nspec == 0)
        for (size_t i = 0; i < sizeof default_specs / sizeof *default_specs; i++) specs[nspec++] = default_specs[i];
    bt_spec *sp = chk_calloc((size_t)nspec, sizeof *sp);
    for (int i = 0; i < nspec; i++)
        if (parse_spec(&sp[i], specs[i]) != 0) return 2;

    if (threads) openblas_set_num_threads((int)threads);
    const char *ct = getenv("OPENBLAS_CORETYPE");
    char blas[128];
    snprintf(blas, sizeof blas, "openblas core=%s OPENBLAS_CORETYPE=%s", openblas_get_corename(),
             ct && *ct ? ct : "(unset)");
    const int nthr = openblas_get_num_threads();
    fprintf(stderr, "c: %s, %d OpenBLAS thread(s), kernels %s%s, %d warm-up + %d timed steps per shape\n", blas,
            nthr, tfm_vec_name(vec == TFM_VEC_AUTO ? tfm_vec_best() : vec), vec == TFM_VEC_AUTO ? " (auto)" : "",
            (int)warmup, (int)steps);
    xp_rows w;
    xp_rows_open(&w, stdout, &xp_schema_train_step, header ? XP_ROWS_CSV : XP_ROWS_NOHEADER);
    for (int i = 0; i < nspec; i++) {
        bt_result res;
        run_spec(&res, &sp[i], (int)warmup, (int)steps, prof, vec);
        xp_rows_str(&w, "impl", "c");
        xp_rows_int(&w, "layers", sp[i].L);
        xp_rows_int(&w, "hidden", sp[i].C);
        xp_rows_int(&w, "heads", sp[i].NH);
        xp_rows_int(&w, "ffn", sp[i].F);
        xp_rows_int(&w, "seq", sp[i].T);
        xp_rows_int(&w, "batch", sp[i].B);
        xp_rows_str(&w, "act", tfm_act_name(sp[i].act));
        xp_rows_str(&w, "attn", tfm_attn_name(sp[i].attn));
        xp_rows_int(&w, "threads", nthr);
        xp_rows_real(&w, "step_ms_median", res.med_ms);
        xp_rows_real(&w, "step_ms_min", res.min_ms);
        xp_rows_int(&w, "steps", (int)steps);
        xp_rows_str(&w, "blas", blas);
        xp_rows_end(&w);
        fflush(stdout);
    }
    free(sp), free(specs);
    return 0;
}

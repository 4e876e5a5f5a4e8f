/* bench_fss.c -- fss rows of the benchmark: DCF/DPF key generation and evaluation throughput (AES-128
 * through EVP: AES-NI when the CPU has it) and the real-mode wall time of BERT-base-shaped gates.
 * Throughput rows: `shape` names the domain and the batch; wall_s is for the whole batch (keys per second
 * = batch / wall_s); dealer_bytes = key bytes sent to both parties. Gate rows: the two-party online phase
 * on the simulator (3 Gbit/s, 0.4 ms, zero compute model), keys generated beforehand (not timed; the
 * keygen time is its own row). fss_eval_example: one whole private inference of the accuracy pipeline's
 * checkpoint shape (bench_eval_example); fss_dpf_eval_lt_ref: the naive reference walk beside the
 * batched one. */
#define _POSIX_C_SOURCE 200809L
#include "bench_fss.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../models/sbert.h"
#include "../net/net_sim.h"
#include "../protocols/fss/fss_family.h"
#include "../protocols/fss/fss_dcf.h"
#include "../protocols/fss/fss_dpf.h"
#include "../protocols/fss/fss_gate.h"
#include "../protocols/fss/fss_lut.h"
#include "../protocols/fss/fss_norm.h"
#include "../protocols/fss/fss_softmax.h"
#include "../runtime/rt_sim.h"

static double fb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Process CPU seconds, user + system, all threads (getrusage). */
static double fb_cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec + (double)u.ru_stime.tv_sec +
           1e-6 * (double)u.ru_stime.tv_usec;
}

static int fb_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

enum { REPS = 3, GATE_REPS = 1 }; /* the BERT-base-shaped gates take minutes on a loaded machine: one run */

static void row_n(FILE *f, const char *op, const char *shape, double *t, int reps, uint64_t rounds, uint64_t sent,
                  uint64_t dealer)
{
    qsort(t, (size_t)reps, sizeof *t, fb_cmp);
    fprintf(f, "%s,%s,real,%d,%.6f,%.6f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", op, shape, reps, t[reps / 2], t[0],
            rounds, sent, dealer);
    fprintf(stderr, "bench: %-18s %-22s median %.3f s\n", op, shape, t[reps / 2]);
}

static void row(FILE *f, const char *op, const char *shape, double *t, uint64_t rounds, uint64_t sent, uint64_t dealer)
{
    row_n(f, op, shape, t, REPS, rounds, sent, dealer);
}

/* One key-generation + evaluation pair, timed REPS times: gen(ctx) then eval(ctx). */
typedef struct kv_timer {
    void (*gen)(void *ctx);
    void (*eval)(void *ctx);
    void *ctx;
} kv_timer;

static void time_gen_eval(const kv_timer *kv, double tg[REPS], double te[REPS])
{
    for (int i = 0; i < REPS; i++) {
        double t0 = fb_now();
        kv->gen(kv->ctx);
        double t1 = fb_now();
        kv->eval(kv->ctx);
        te[i] = fb_now() - t1;
        tg[i] = t1 - t0;
    }
}

typedef struct dcf_ctx {
    fss_prg g;
    rng r;
    uint64_t *a, *b, *x, *y;
    fss_dcf_keys k0, k1;
    size_t N;
} dcf_ctx;

static void dcf_gen(void *p)
{
    dcf_ctx *c = p;
    fss_dcf_gen(&c->g, &c->r, &c->k0, &c->k1, c->a, c->b, c->N);
}

static void dcf_eval(void *p)
{
    dcf_ctx *c = p;
    fss_dcf_eval(&c->g, c->y, 0, &c->k0, c->x, c->N);
}

static void bench_dcf(FILE *f, int n, int l, size_t N)
{
    dcf_ctx c;
    fss_prg_init(&c.g);
    rng_seed(&c.r, 1, 2);
    c.N = N;
    c.a = malloc(N * 8), c.b = malloc(N * 8), c.x = malloc(N * 8), c.y = malloc(N * 8);
    rng_fill_u64(&c.r, c.a, N);
    rng_fill_u64(&c.r, c.b, N);
    rng_fill_u64(&c.r, c.x, N);
    fss_dcf_keys_alloc(&c.k0, n, l, N);
    fss_dcf_keys_alloc(&c.k1, n, l, N);
    double tg[REPS], te[REPS];
    kv_timer kv = {dcf_gen, dcf_eval, &c};
    time_gen_eval(&kv, tg, te);
    char shape[64];
    snprintf(shape, sizeof shape, "n%d_l%d_x%zu", n, l, N);
    row(f, "fss_dcf_keygen", shape, tg, 0, 0, 2 * N * fss_dcf_key_bytes(n, l));
    row(f, "fss_dcf_eval", shape, te, 0, 0, 0);
    fss_dcf_keys_free(&c.k0);
    fss_dcf_keys_free(&c.k1);
    free(c.a), free(c.b), free(c.x), free(c.y);
    fss_prg_free(&c.g);
}

typedef struct dpf_ctx {
    fss_prg g;
    rng r;
    uint64_t *a, *x;
    uint8_t *y;
    fss_dpf_keys k0, k1;
    size_t N;
    void (*eval)(fss_prg *, uint8_t *, int, const fss_dpf_keys *, const uint64_t *, size_t);
} dpf_ctx;

static void dpf_gen(void *p)
{
    dpf_ctx *c = p;
    fss_dpf_gen(&c->g, &c->r, &c->k0, &c->k1, c->a, c->N);
}

static void dpf_eval(void *p)
{
    dpf_ctx *c = p;
    c->eval(&c->g, c->y, 0, &c->k0, c->x, c->N);
}

/* ref: also the naive one-key-at-a-time comparison (fss_dpf_eval_lt_ref) on the same keys. */
static void bench_dpf(FILE *f, int n, size_t N, int ref)
{
    dpf_ctx c;
    fss_prg_init(&c.g);
    rng_seed(&c.r, 1, 3);
    c.N = N;
    c.a = malloc(N * 8), c.x = malloc(N * 8), c.y = malloc(N);
    rng_fill_u64(&c.r, c.a, N);
    rng_fill_u64(&c.r, c.x, N);
    fss_dpf_keys_alloc(&c.k0, n, N);
    fss_dpf_keys_alloc(&c.k1, n, N);
    double tg[REPS], te[REPS];
    kv_timer kv = {dpf_gen, dpf_eval, &c};
    char shape[64];
    snprintf(shape, sizeof shape, "n%d_x%zu", n, N);
    c.eval = fss_dpf_eval_lt;
    time_gen_eval(&kv, tg, te);
    row(f, "fss_dpf_keygen", shape, tg, 0, 0, 2 * N * fss_dpf_key_bytes(n));
    row(f, "fss_dpf_eval_lt", shape, te, 0, 0, 0);
    if (ref) {
        c.eval = fss_dpf_eval_lt_ref;
        time_gen_eval(&kv, tg, te);
        row(f, "fss_dpf_eval_lt_ref", shape, te, 0, 0, 0);
    }
    fss_dpf_keys_free(&c.k0);
    fss_dpf_keys_free(&c.k1);
    free(c.a), free(c.x), free(c.y);
    fss_prg_free(&c.g);
}

/* ---- gates on the simulator ---- */

typedef struct gate_run {
    int which; /* 0 GeLU, 1 ReLU, 2 matmul, 3 softmax, 4 LayerNorm */
    size_t N, m, k, p;
    const uint64_t *x_hat, *y_hat;
    void *key[2];
    uint64_t *out[2];
    uint64_t sent0, rounds0;
    mpc_config cfg;
} gate_run;

static void gate_party(net_party *p, void *arg)
{
    gate_run *g = arg;
    mpc_ctx c;
    mpc_ctx_init(&c, p, &g->cfg, 0, 1 + (uint64_t)p->self);
    int me = p->self;
    if (g->which == 0) fss_gelu(&c, g->out[me], g->key[me], g->x_hat, g->N);
    else if (g->which == 1) fss_relu(&c, g->out[me], g->key[me], g->x_hat, g->N);
    else if (g->which == 2) fss_matmul(&c, g->out[me], g->key[me], g->x_hat, g->y_hat);
    else if (g->which == 3) fss_softmax(&c, g->out[me], g->key[me], g->x_hat);
    else fss_layernorm(&c, g->out[me], g->key[me], g->x_hat, g->y_hat, g->y_hat);
    if (me == NET_P0) {
        g->sent0 = p->stats.total.sent_bytes[NET_P1];
        g->rounds0 = p->stats.total.rounds;
    }
}

static double gate_online(gate_run *g)
{
    nm_linkspec l = {.bps = 3000000000ull, .latency_ns = 400000};
    nm_topology t;
    nm_topology_init(&t, 2, &l);
    net_sim *s = net_sim_create(&t);
    net_party_fn fn[2] = {gate_party, gate_party};
    void *arg[2] = {g, g};
    double t0 = fb_now();
    if (net_sim_run(s, fn, arg) != NET_OK) {
        fprintf(stderr, "bench: fss gate run failed\n");
        exit(1);
    }
    double dt = fb_now() - t0;
    net_sim_destroy(s);
    return dt;
}

static void bench_gelu(FILE *f, size_t R, size_t C)
{
    const int n = 50, fr = 12, bin = n - fr;
    size_t N = R * C;
    fss_dealer d;
    fss_dealer_init(&d, 7);
    uint64_t *r = malloc(N * 8), *xh = malloc(N * 8), *ro = malloc(N * 8), *o0 = malloc(N * 8), *o1 = malloc(N * 8);
    fss_dealer_masks(&d, r, N, n);
    fss_dealer_masks(&d, xh, N, n); /* x^ uniform: x = x^ - r is then uniform too; values do not matter for time */
    for (size_t i = 0; i < N; i++) xh[i] = (r[i] + (xh[i] & 0xffffff) - 0x800000) & ((1ull << n) - 1);
    double tg[REPS], te[REPS];
    gate_run g;
    for (int i = 0; i < GATE_REPS; i++) {
        fss_gelu_key k0, k1;
        double t0 = fb_now();
        fss_gelu_keygen(&d, &k0, &k1, ro, r, n, fr, bin, N);
        tg[i] = fb_now() - t0;
        memset(&g, 0, sizeof g);
        mpc_config_default(&g.cfg);
        g.which = 0;
        g.N = N;
        g.x_hat = xh;
        g.key[0] = &k0;
        g.key[1] = &k1;
        g.out[0] = o0;
        g.out[1] = o1;
        te[i] = gate_online(&g);
        fss_gelu_key_free(&k0);
        fss_gelu_key_free(&k1);
    }
    char shape[64];
    snprintf(shape, sizeof shape, "%zux%zu_n%d_f%d", R, C, n, fr);
    fss_cost c = fss_gelu_cost(n, fr, bin, N);
    row_n(f, "fss_gelu_keygen", shape, tg, GATE_REPS, 0, 0, 2 * c.key_bytes);
    row_n(f, "fss_gelu", shape, te, GATE_REPS, g.rounds0, g.sent0, 2 * c.key_bytes);
    free(r), free(xh), free(ro), free(o0), free(o1);
    fss_dealer_free(&d);
}

static void bench_matmul(FILE *f, size_t m, size_t k, size_t p)
{
    const int n = 50;
    fss_dealer d;
    fss_dealer_init(&d, 8);
    uint64_t *rx = malloc(m * k * 8), *ry = malloc(k * p * 8), *xh = malloc(m * k * 8), *yh = malloc(k * p * 8),
             *rz = malloc(m * p * 8), *o0 = malloc(m * p * 8), *o1 = malloc(m * p * 8);
    fss_dealer_masks(&d, rx, m * k, n);
    fss_dealer_masks(&d, ry, k * p, n);
    fss_dealer_masks(&d, xh, m * k, n);
    fss_dealer_masks(&d, yh, k * p, n);
    double tg[REPS], te[REPS];
    gate_run g;
    for (int i = 0; i < GATE_REPS; i++) {
        fss_matmul_key k0, k1;
        double t0 = fb_now();
        fss_matmul_keygen(&d, &k0, &k1, rz, rx, ry, n, m, k, p);
        tg[i] = fb_now() - t0;
        memset(&g, 0, sizeof g);
        mpc_config_default(&g.cfg);
        g.which = 2;
        g.x_hat = xh;
        g.y_hat = yh;
        g.key[0] = &k0;
        g.key[1] = &k1;
        g.out[0] = o0;
        g.out[1] = o1;
        te[i] = gate_online(&g);
        fss_matmul_key_free(&k0);
        fss_matmul_key_free(&k1);
    }
    char shape[64];
    snprintf(shape, sizeof shape, "%zux%zu@%zux%zu_n%d", m, k, k, p, n);
    fss_cost c = fss_matmul_cost(n, m, k, p);
    row_n(f, "fss_matmul_keygen", shape, tg, GATE_REPS, 0, 0, 2 * c.key_bytes);
    row_n(f, "fss_matmul", shape, te, GATE_REPS, g.rounds0, g.sent0, 2 * c.key_bytes);
    free(rx), free(ry), free(xh), free(yh), free(rz), free(o0), free(o1);
    fss_dealer_free(&d);
}

/* softmax (which 3) over B x T x T scores, or LayerNorm (which 4) over T x D, n = 50, f = 12 */
static void bench_rowop(FILE *f, int which, size_t R, size_t L, const char *shape)
{
    const int n = 50, fr = 12;
    size_t N = R * L;
    fss_dealer d;
    fss_dealer_init(&d, 9);
    uint64_t *r = malloc(N * 8), *xh = malloc(N * 8), *ro = malloc(N * 8), *o0 = malloc(N * 8), *o1 = malloc(N * 8),
             *rg = calloc(L, 8), *gh = malloc(L * 8);
    fss_dealer_masks(&d, r, N, n);
    fss_dealer_masks(&d, xh, N, 16);
    for (size_t i = 0; i < N; i++) xh[i] = (r[i] + xh[i]) & ((1ull << n) - 1); /* values in [0, 16) */
    for (size_t j = 0; j < L; j++) gh[j] = 1u << fr;                          /* gamma = beta = 1, mask 0 */
    double tg[REPS], te[REPS];
    gate_run g;
    fss_cost c;
    for (int i = 0; i < GATE_REPS; i++) {
        fss_softmax_key s0, s1;
        fss_layernorm_key l0, l1;
        double t0 = fb_now();
        if (which == 3) fss_softmax_keygen(&d, &s0, &s1, ro, r, n, fr, R, L);
        else fss_layernorm_keygen(&d, &l0, &l1, ro, r, rg, rg, n, fr, 1e-5, R, L);
        tg[i] = fb_now() - t0;
        memset(&g, 0, sizeof g);
        mpc_config_default(&g.cfg);
        g.which = which;
        g.N = N;
        g.x_hat = xh;
        g.y_hat = gh;
        g.key[0] = which == 3 ? (void *)&s0 : (void *)&l0;
        g.key[1] = which == 3 ? (void *)&s1 : (void *)&l1;
        g.out[0] = o0;
        g.out[1] = o1;
        te[i] = gate_online(&g);
        if (which == 3) fss_softmax_key_free(&s0), fss_softmax_key_free(&s1);
        else fss_layernorm_key_free(&l0), fss_layernorm_key_free(&l1);
    }
    c = which == 3 ? fss_softmax_cost(n, fr, R, L) : fss_layernorm_cost(n, fr, R, L);
    row_n(f, which == 3 ? "fss_softmax_keygen" : "fss_layernorm_keygen", shape, tg, GATE_REPS, 0, 0, 2 * c.key_bytes);
    row_n(f, which == 3 ? "fss_softmax" : "fss_layernorm", shape, te, GATE_REPS, g.rounds0, g.sent0, 2 * c.key_bytes);
    free(r), free(xh), free(ro), free(o0), free(o1), free(rg), free(gh);
    fss_dealer_free(&d);
}

/* ---- one private inference of the accuracy pipeline's checkpoint shape ----
 * BERT, 2 layers, hidden 128, 2 heads, intermediate 512, vocabulary 8192, 2 labels, seq 128, GeLU (erf)
 * + softmax + LayerNorm (runs/accuracy/config.json), random weights, under fss in real mode on the
 * simulator (3 Gbit/s, 0.4 ms): what `mpcsim eval --mpc --protocol fss` runs per example (without the
 * per-site calibration). The whole session: dealer, both parties, key generation included. */
static void eval_party(mpc_ctx *c, void *arg) { sbert_forward(c, arg); }

static void bench_eval_example(FILE *f)
{
    tfm_config m;
    if (tfm_config_named(&m, "bert-tiny") != TFM_OK) return;
    snprintf(m.name, sizeof m.name, "accuracy-pipeline");
    m.V = 8192, m.C = 128, m.L = 2, m.NH = 2, m.F = 512, m.P = 512, m.TT = 2, m.NL = 2, m.ln_eps = 1e-12;
    enum { T = 128 };
    mpc_config cfg;
    mpc_family_fss.config_default(&cfg);
    tfm_params w;
    memset(&w, 0, sizeof w);
    tfm_params_alloc(&w, &m);
    tfm_params_init(&w, &m, 5);
    int tokens[T];
    for (int t = 0; t < T; t++) tokens[t] = 1 + (t * 131) % (m.V - 1);
    double logits[8];
    sbert_job j[2];
    memset(j, 0, sizeof j);
    for (int i = 0; i < 2; i++) j[i].model = &m, j[i].T = T;
    j[NET_P0].w = &w;
    j[NET_P1].tokens = tokens;
    j[NET_P1].logits = logits;
    double t[GATE_REPS], cpu = 0;
    rt_result res;
    memset(&res, 0, sizeof res);
    for (int i = 0; i < GATE_REPS; i++) {
        rt_sim_opts so;
        memset(&so, 0, sizeof so);
        so.cfg = &cfg;
        so.seed = 1;
        nm_linkspec l = {.bps = 3000000000ull, .latency_ns = 400000};
        nm_topology_init(&so.topo, 3, &l);
        void *args[2] = {&j[0], &j[1]};
        double c0 = fb_cpu(), t0 = fb_now();
        if (rt_sim_run(&so, eval_party, args, &res) != 0) {
            fprintf(stderr, "bench: fss eval example failed\n");
            exit(1);
        }
        t[i] = fb_now() - t0;
        cpu = fb_cpu() - c0;
    }
    row_n(f, "fss_eval_example", "bert_L2_H128_A2_F512_seq128", t, GATE_REPS, res.rounds, rt_online_sent(&res, 0),
          res.dealer_bytes);
    fprintf(stderr, "bench: fss_eval_example: %.3f s of process CPU (user + system) for the last run\n", cpu);
    tfm_params_free(&w);
}

/* Row group g is wanted: MPCSIM_BENCH_FSS_ONLY unset (every group) or a comma list naming it. */
static int want(const char *g)
{
    const char *e = getenv("MPCSIM_BENCH_FSS_ONLY");
    if (!e) return 1;
    size_t n = strlen(g);
    for (const char *p = e; (p = strstr(p, g)) != NULL; p += n)
        if ((p == e || p[-1] == ',') && (p[n] == ',' || p[n] == 0)) return 1;
    return 0;
}

void bench_fss_rows(FILE *f)
{
    if (want("dcf")) {
        bench_dcf(f, 50, 1, 20000);
        bench_dcf(f, 64, 64, 20000);
    }
    if (want("dpf")) {
        bench_dpf(f, 49, 100000, 1);
        bench_dpf(f, 64, 100000, 0);
    }
    if (want("example")) bench_eval_example(f);
    if (want("gates")) {
        bench_gelu(f, 128, 3072);
        bench_matmul(f, 128, 768, 768);
        bench_rowop(f, 3, 12 * 128, 128, "12x128x128_n50_f12");
        bench_rowop(f, 4, 128, 768, "128x768_n50_f12");
    }
}

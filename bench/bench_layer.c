/* bench_layer.c -- wall time of one BERT-base encoder layer (seq 128, hidden 768, 12 heads, FFN 3072),
 * `crypten` profile, offline dealer, in real mode (issue 16 part 4). Two backends:
 *   sim: the simulator's real mode, one process (P0, P1 and D as actors, serialised by the baton):
 *        wall time of the whole session, setup (seed exchange) included, from P1 sharing its input to
 *        P0 and P1 both holding the layer's output shares. The plaintext weights are drawn before.
 *   tcp: three processes (fork) over loopback TCP, frames sealed (AES-256-GCM, keys from a
 *        pre-shared key, as net_tcp_from_fds does for benchmarks; no X25519 handshake): online wall
 *        time, from a common start barrier after setup to the later of P0 and P1 finishing. Setup
 *        includes the dealer's material (offline schedule: rt_plan.h), as CrypTen's online phase
 *        starts with its triples made, and P0's and P1's own input-independent work (rt_plan.h,
 *        rt_party_prepare/fill, as rt_tcp does): the weights' sharings (CrypTen's model.encrypt())
 *        and the parties' dealer-stream expansion drawn at the stream positions the run will reach
 *        (mpc_wcache.h: every value and counter as without it; the run fails if a sharing is drawn
 *        online), scratch memory and input buffers sized by a phantom run and touched (no page
 *        faults online).
 * Variants: GeLU(erf) + softmax + LayerNorm, and Quad + 2Quad + LayerNorm.
 * Also (sim, variant "accuracy-shape inference"): one whole private inference (embedding, layers,
 * head, logits revealed) of the accuracy pipeline's model shape (scripts/accuracy.sh: 2 layers,
 * hidden 128, 2 heads, FFN 512, vocabulary 8192, seq 128, GeLU tanh + softmax + LayerNorm as eval
 * --mpc runs the teacher), random weights and tokens: wall and process CPU seconds per inference,
 * i.e. per evaluated example (eval --mpc, --batch 1: scratch arenas and message storage kept across
 * the examples and the truncation oracle on, as there). Its target_s, 0.12 s, is what whole-split MPC
 * evaluation of the pipeline's 16 models (16 x 608 examples) needs to take half of 20 minutes on
 * 2 cores (a budget split assumed here, the other half for training and the rest).
 * Kernel threads: MPCSIM_THREADS (par.h) as set in the environment, else all CPUs in the simulator and
 * one per party process over tcp (three processes on the machine's cores; rt_tcp_local does the same);
 * the row says how many were used.
 * Rows (bench_layer schema): backend, variant, threads, reps, wall_s_median, wall_s_min,
 * online_sent_bytes_p0, dealer_bytes, cpu_s_p0, cpu_s_p1, cpu_s_d (fastest rep; sim: the whole process
 * in cpu_s_p0, 0 in the others; tcp: each process over its online phase), target_s. Wall times are
 * measured on this machine and are only as good as its load: CPU seconds do not count the waiting
 * for a shared core, so they bound what an idle machine gives (tcp, 2 cores, 3 processes: wall >=
 * max(cpu P0, cpu P1, sum / 2)).
 * Usage: mpcsim_bench_layer [OUT.csv] [--backend sim|tcp|both] [--variant NAME] [--reps N]
 * (--variant: that row only, e.g. "accuracy-shape inference"). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/arena.h"
#include "../common/fx.h"
#include "../common/par.h"
#include "../experiments/xp_out.h"
#include "../experiments/xp_schema.h"
#include "../runtime/rt_plan.h"
#include "../runtime/rt_sim.h"
#include "../models/sbert.h"
#include "../net/net_tcp.h"
#include "../protocols/families.h"
#include "../protocols/mpc_audit.h"
#include "../protocols/mpc_wcache.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

enum { T_SEQ = 128 };

typedef struct layer_in {
    tfm_config m;
    tfm_params w;      /* P0's plaintext weights (one layer) */
    uint64_t *x;       /* P1's plaintext input, encoded, T x C */
    double t_start, t_end;
} layer_in;

static void layer_party(mpc_ctx *c, void *arg)
{
    layer_in *in = arg;
    size_t n = (size_t)T_SEQ * (size_t)in->m.C;
    sbert_job j = {.model = &in->m, .T = T_SEQ, .w = c->self == NET_P0 ? &in->w : NULL};
    uint64_t *h = mpc_tmp(c, n);
    mpc_share(c, h, c->self == NET_P1 ? in->x : NULL, n, NET_P1);
    in->t_start = now_s();
    sbert_layer_forward(c, &j, 0, h);
    in->t_end = now_s();
    mpc_tmp_free(h);
}

static void layer_in_init(layer_in *in, int quad)
{
    memset(in, 0, sizeof *in);
    CHECK(tfm_config_named(&in->m, "bert-base") == 0, "bert-base config");
    in->m.L = 1;
    in->m.V = 2; /* the layer never reads the embedding */
    if (quad) {
        in->m.act = TFM_ACT_QUAD;
        in->m.attn = TFM_ATTN_2QUAD;
    }
    tfm_params_alloc(&in->w, &in->m);
    tfm_params_init(&in->w, &in->m, 7);
    size_t n = (size_t)T_SEQ * (size_t)in->m.C;
    in->x = chk_malloc(n * sizeof *in->x);
    rng r;
    rng_seed(&r, 11, 0);
    for (size_t i = 0; i < n; i++) in->x[i] = fx_encode(rng_normal(&r), 16);
}

/* The accuracy pipeline's shape (2 x 128, 2 heads, FFN 512, V 8192), teacher approximations. */
static void acc_in_init(layer_in *in)
{
    memset(in, 0, sizeof *in);
    CHECK(tfm_config_named(&in->m, "bert-base") == 0, "bert-base config");
    in->m.L = 2, in->m.C = 128, in->m.NH = 2, in->m.F = 512, in->m.V = 8192, in->m.NL = 2;
    in->m.act = TFM_ACT_GELU_TANH;
    tfm_params_alloc(&in->w, &in->m);
    tfm_params_init(&in->w, &in->m, 7);
    in->x = NULL;
}

typedef struct acc_arg {
    layer_in *in;
    int tokens[T_SEQ];
    double logits[8];
} acc_arg;

static void acc_party(mpc_ctx *c, void *arg)
{
    acc_arg *a = arg;
    sbert_job j = {.model = &a->in->m, .T = T_SEQ, .w = c->self == NET_P0 ? &a->in->w : NULL,
                   .tokens = c->self == NET_P1 ? a->tokens : NULL, .logits = c->self == NET_P1 ? a->logits : NULL};
    sbert_forward(c, &j);
}

static void layer_in_free(layer_in *in)
{
    tfm_params_free(&in->w);
    free(in->x);
}

typedef struct outcome {
    double wall;
    double cpu[3]; /* sim: the process's CPU seconds over the session (all parties, all threads) in
                    * cpu[0]; tcp: each party process's CPU seconds over its online phase */
    uint64_t sent_p0, dealer_bytes;
} outcome;

/* The simulator's session for both sim rows: seed 1, the lan link (3 Gbit/s, 0.4 ms) on all three. */
static rt_sim_opts sim_opts(const mpc_config *cfg)
{
    rt_sim_opts so;
    memset(&so, 0, sizeof so);
    so.cfg = cfg;
    so.seed = 1;
    nm_linkspec l = {.bps = 3000000000ull, .latency_ns = 400000};
    nm_topology_init(&so.topo, 3, &l);
    return so;
}

/* One timed session: wall and process CPU seconds (cpu[0]), P0's online bytes, dealer bytes. */
static int timed_sim(const rt_sim_opts *so, rt_party_fn fn, void *args[2], outcome *oc)
{
    rt_result res;
    double t0 = now_s(), c0 = cpu_s();
    int rc = rt_sim_run(so, fn, args, &res);
    oc->wall = now_s() - t0;
    oc->cpu[0] = cpu_s() - c0;
    oc->cpu[1] = oc->cpu[2] = 0;
    if (rc != 0) return -1;
    oc->sent_p0 = rt_online_sent(&res, 0);
    oc->dealer_bytes = res.dealer_bytes;
    return 0;
}

static int run_sim(const mpc_config *cfg, layer_in *in, outcome *oc)
{
    rt_sim_opts so = sim_opts(cfg);
    void *args[2] = {in, in};
    return timed_sim(&so, layer_party, args, oc);
}

/* One whole inference of the accuracy shape, as eval --mpc runs each example in the simulator: the
 * parties' scratch arenas kept across the runs (acc_scratch; the first rep maps their pages) and the
 * truncation oracle on (mpc_audit.h: eval --mpc reports its per-example results). */
static arena *acc_scratch[3];
static net_sim_pool *acc_msgpool;

static int run_sim_acc(const mpc_config *cfg, layer_in *in, outcome *oc)
{
    rt_sim_opts so = sim_opts(cfg);
    for (int i = 0; i < 3; i++) {
        if (!acc_scratch[i]) acc_scratch[i] = arena_create();
        so.scratch[i] = acc_scratch[i];
    }
    if (!acc_msgpool) acc_msgpool = net_sim_pool_create();
    so.msgpool = acc_msgpool;
    mpc_audit audit;
    mpc_audit_init(&audit);
    so.audit = &audit;
    acc_arg a = {.in = in};
    rng r;
    rng_seed(&r, 12, 0);
    for (int t = 0; t < T_SEQ; t++) a.tokens[t] = (int)(rng_u64(&r) % (uint64_t)in->m.V);
    void *args[2] = {&a, &a};
    int rc = timed_sim(&so, acc_party, args, oc);
    mpc_audit_free(&audit);
    return rc;
}

/* ---- tcp: three processes ---- */

static int tcp_pair(int fd[2])
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&sa, &sl) != 0)
        return -1;
    fd[0] = socket(AF_INET, SOCK_STREAM, 0);
    if (fd[0] < 0 || connect(fd[0], (struct sockaddr *)&sa, sizeof sa) != 0) return -1;
    fd[1] = accept(l, NULL, NULL);
    close(l);
    return fd[1] < 0 ? -1 : 0;
}

static void must(int rc, const char *what)
{
    if (rc != NET_OK) {
        fprintf(stderr, "bench_layer: %s: %s\n", what, net_strerror(rc));
        _exit(2);
    }
}

/* Kernel threads of each tcp party: MPCSIM_THREADS if set, else 1 (par.h: three processes share the
 * cores; measured: two threads each gave more CPU and wall than one, the futex wakeups of the thread
 * pool and four runnable threads on two cores). */
static int tcp_threads(void) { return getenv("MPCSIM_THREADS") ? par_threads() : 1; }

/* One party's process: returns its online seconds through the pipe. Setup: the seed exchange; D
 * then computes all its material (rt_plan.h, the offline schedule's work) and sends P0 and P1 a
 * 'ready' byte, which they wait for before their barrier. */
static void tcp_party(int role, int fds[3], const mpc_config *cfg, layer_in *in, int out_fd)
{
    static const uint8_t psk[32] = {1, 2, 3};
    par_set_threads(tcp_threads());
    net_tcp_opts to;
    net_tcp_opts_default(&to);
    to.self = role;
    to.psk = psk;
    net_tcp *t = NULL;
    must(net_tcp_from_fds(&t, &to, fds), "connecting");
    net_party *p = net_tcp_party(t);
    arena *scratch = arena_create();
    double dt = 0, c0 = 0;
    uint64_t sent = 0;
    if (role == NET_D) {
        dealer_ctx d;
        dealer_init(&d, p, 0, 1);
        d.scratch = scratch;
        dealer_set_kinds(&d, mpc_family_of(cfg)->dealer_kinds);
        must(dealer_setup(&d), "dealer setup");
        rt_job j = {.cfg = cfg, .seed = 1, .fn = layer_party, .arg = {in, in}};
        rt_plan plan;
        if (rt_plan_record(&j, &plan) != 0 || rt_plan_fill(&d, &plan) != 0) _exit(2);
        uint8_t b = 1;
        uint64_t before = p->stats.total.sent_bytes[NET_P0] + p->stats.total.sent_bytes[NET_P1];
        for (int i = 0; i < 2; i++) {
            must(net_send(p, i, &b, 1), "ready");
            must(net_flush(p, i), "ready");
        }
        uint64_t ready = p->stats.total.sent_bytes[NET_P0] + p->stats.total.sent_bytes[NET_P1] - before;
        p->offline_peer[NET_P0] = p->offline_peer[NET_P1] = 1;
        c0 = cpu_s();
        must(rt_plan_serve(&d, &plan), "serving");
        rt_plan_free(&plan);
        sent = p->stats.total.sent_bytes[NET_P0] + p->stats.total.sent_bytes[NET_P1] +
               p->stats.total.recv_bytes[NET_P0] - ready; /* the seeds and the material, as before */
    } else {
        mpc_ctx c;
        mpc_ctx_init(&c, p, cfg, 0, 1);
        c.scratch = scratch;
        must(mpc_setup(&c), "setup");
        /* The party's own setup work (rt_plan.h): scratch sized and prefaulted, the weights' sharings drawn. */
        rt_job j = {.cfg = cfg, .seed = 1, .fn = layer_party, .arg = {in, in}};
        rt_party_prep prep;
        if (rt_party_prepare(&j, role, scratch, &prep) != 0) _exit(2);
        rt_party_fill(&prep, &c);
        for (int q = 0; q < 3; q++)
            if (q != role) net_tcp_reserve_input(t, q, prep.max_in[q]);
        uint8_t b = 1, r;
        must(net_recv(p, NET_D, &r, 1), "D's ready");
        must(net_send(p, 1 - role, &b, 1), "barrier");
        must(net_flush(p, 1 - role), "barrier");
        must(net_recv(p, 1 - role, &r, 1), "barrier");
        net_stats_reset(p);
        p->offline_peer[NET_D] = 1;
        c0 = cpu_s();
        layer_party(&c, in);
        must(net_flush(p, 1 - role), "final flush");
        dt = in->t_end - in->t_start;
        if (mpc_wcache_misses(prep.wc) != 0 || mpc_wcache_hits(prep.wc) != mpc_wcache_entries(prep.wc)) {
            fprintf(stderr, "bench_layer: %s: model sharings drawn in setup: %llu of %zu used, %llu drawn online\n",
                    net_party_names[role], (unsigned long long)mpc_wcache_hits(prep.wc), mpc_wcache_entries(prep.wc),
                    (unsigned long long)mpc_wcache_misses(prep.wc));
            _exit(2);
        }
        rt_party_prep_free(&prep);
        sent = p->stats.total.sent_bytes[1 - role];
        if (role == NET_P0) must(net_tcp_send_bye(t, NET_D), "bye");
    }
    double cpu = cpu_s() - c0;
    must(net_tcp_finish(t), "closing");
    net_tcp_destroy(t);
    arena_destroy(scratch);
    double msg[3] = {dt, (double)sent, cpu};
    if (write(out_fd, msg, sizeof msg) != (ssize_t)sizeof msg) _exit(3);
    _exit(0);
}

static int run_tcp(const mpc_config *cfg, layer_in *in, outcome *oc)
{
    int p01[2], p0d[2], p1d[2], pipes[3][2];
    if (tcp_pair(p01) || tcp_pair(p0d) || tcp_pair(p1d)) return -1;
    int fds[3][3] = {{-1, p01[0], p0d[0]}, {p01[1], -1, p1d[0]}, {p0d[1], p1d[1], -1}};
    pid_t pid[3];
    for (int r = 0; r < 3; r++) {
        if (pipe(pipes[r]) != 0) return -1;
        pid[r] = fork();
        if (pid[r] < 0) return -1;
        if (pid[r] == 0) {
            for (int k = 0; k < 3; k++)
                for (int q = 0; q < 3; q++)
                    if (k != r && fds[k][q] >= 0) close(fds[k][q]);
            tcp_party(r, fds[r], cfg, in, pipes[r][1]);
        }
        close(pipes[r][1]);
    }
    for (int k = 0; k < 3; k++)
        for (int q = 0; q < 3; q++)
            if (fds[k][q] >= 0) close(fds[k][q]);
    double msg[3][3];
    int bad = 0;
    for (int r = 0; r < 3; r++) {
        if (read(pipes[r][0], msg[r], sizeof msg[r]) != (ssize_t)sizeof msg[r]) bad = 1;
        close(pipes[r][0]);
        int st = 0;
        waitpid(pid[r], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bad = 1;
    }
    if (bad) return -1;
    oc->wall = msg[0][0] > msg[1][0] ? msg[0][0] : msg[1][0];
    oc->sent_p0 = (uint64_t)msg[0][1];
    oc->dealer_bytes = (uint64_t)msg[2][1];
    for (int r = 0; r < 3; r++) oc->cpu[r] = msg[r][2];
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = "results/bench_layer.csv", *backend = "both", *variant = NULL;
    int reps = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc) backend = argv[++i];
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--variant") == 0 && i + 1 < argc) variant = argv[++i];
        else if (argv[i][0] != '-') path = argv[i];
        else {
            fprintf(stderr, "usage: mpcsim_bench_layer [OUT.csv] [--backend sim|tcp|both] [--variant NAME] [--reps N]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 15) reps = 3;
    xp_out o;
    if (xp_out_open(&o, path) != 0) return 1;
    fprintf(o.f, "# mpcsim bench_layer: one BERT-base encoder layer, seq 128, crypten, offline dealer, real mode; "
                 "OPENBLAS_CORETYPE=%s; kernel threads %d (sim), %d per party (tcp)\n",
            getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "(unset)", par_threads(), tcp_threads());
    xp_rows w;
    xp_rows_open(&w, o.f, &xp_schema_bench_layer, XP_ROWS_CSV);
    mpc_config cfg;
    mpc_config_default(&cfg);
    static const struct { const char *backend, *variant; int quad; double target; } cases[] = {
        {"sim", "accuracy-shape inference", 2, 0.12},
        {"sim", "gelu-erf+softmax+layernorm", 0, 3.0},
        {"tcp", "gelu-erf+softmax+layernorm", 0, 1.0},
        {"tcp", "quad+2quad+layernorm", 1, 0.4},
    };
    int rc = 0;
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        if (strcmp(backend, "both") != 0 && strcmp(backend, cases[k].backend) != 0) continue;
        if (variant && strcmp(variant, cases[k].variant) != 0) continue;
        layer_in in;
        if (cases[k].quad == 2) acc_in_init(&in);
        else layer_in_init(&in, cases[k].quad);
        double t[16], cp[16][3];
        outcome oc = {0};
        for (int r = 0; r < reps && rc == 0; r++) {
            rc = cases[k].quad == 2                        ? run_sim_acc(&cfg, &in, &oc)
                 : strcmp(cases[k].backend, "sim") == 0 ? run_sim(&cfg, &in, &oc)
                                                        : run_tcp(&cfg, &in, &oc);
            t[r] = oc.wall;
            memcpy(cp[r], oc.cpu, sizeof oc.cpu);
        }
        layer_in_free(&in);
        if (rc != 0) {
            fprintf(stderr, "bench_layer: %s %s failed\n", cases[k].backend, cases[k].variant);
            break;
        }
        qsort(t, (size_t)reps, sizeof *t, cmp_d);
        double cmin[3] = {cp[0][0], cp[0][1], cp[0][2]};
        for (int r = 1; r < reps; r++)
            for (int q = 0; q < 3; q++)
                if (cp[r][q] < cmin[q]) cmin[q] = cp[r][q];
        xp_rows_str(&w, "backend", cases[k].backend);
        xp_rows_str(&w, "variant", cases[k].variant);
        xp_rows_int(&w, "threads", strcmp(cases[k].backend, "tcp") == 0 ? tcp_threads() : par_threads());
        xp_rows_int(&w, "reps", reps);
        xp_rows_real(&w, "wall_s_median", t[reps / 2]);
        xp_rows_real(&w, "wall_s_min", t[0]);
        xp_rows_uint(&w, "online_sent_bytes_p0", oc.sent_p0);
        xp_rows_uint(&w, "dealer_bytes", oc.dealer_bytes);
        xp_rows_real(&w, "cpu_s_p0", cmin[0]);
        xp_rows_real(&w, "cpu_s_p1", cmin[1]);
        xp_rows_real(&w, "cpu_s_d", cmin[2]);
        xp_rows_real(&w, "target_s", cases[k].target);
        xp_rows_end(&w);
        fprintf(stderr, "bench_layer: %-3s %-28s median %.3f s (min %.3f, target %.1f s); cpu %.3f %.3f %.3f s\n",
                cases[k].backend, cases[k].variant, t[reps / 2], t[0], cases[k].target, cmin[0], cmin[1], cmin[2]);
    }
    for (int i = 0; i < 3; i++) arena_destroy(acc_scratch[i]);
    net_sim_pool_destroy(acc_msgpool);
    if (xp_out_close(&o) != 0) return 1;
    return rc == 0 ? 0 : 1;
}

/* test_tcp_infer.c -- whole-model private inference over real TCP (issue 16 parts 1-3):
 *  - in process (the runtime: rt_sim_job and rt_tcp_local on the same job): counters over TCP equal the
 *    simulator's for the inference job (infer's form) and with a public key mask and calibration
 *    (eval's form), under both dealer schedules, for every registered protocol family; in the
 *    reproducible mode the logits are the simulator's bit for bit; in the private mode they are the
 *    plaintext model's within the fixed-point tolerance. bert-tiny, weights read from a safetensors file;
 *  - the command line: `launch infer` with --text and --vocab against the simulator's job on the same
 *    tokens; faults (a party killed mid-layer, a stalled party, mismatched models, a vocabulary that
 *    does not match the model) and bad input (empty text, a text longer than --seq) give clear errors,
 *    non-zero exits and no output file; `eval --mpc --backend tcp` equals the simulator's evaluation. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/rng.h"
#include "../models/tfm_io.h"
#include "../protocols/families.h"
#include "../runtime/rt_infer.h"
#include "../runtime/rt_sim.h"
#include "../runtime/rt_tcp.h"
#include "../text/text_tok.h"
#include "testutil.h"

enum { T = 8, REAL_LEN = 6 };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void write_text(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL, "cannot write %s", path);
    fputs(s, f);
    fclose(f);
}

/* bert-tiny weights written to DIR/model.safetensors and read back (the real file path). */
static void tiny_weights(const char *dir, tfm_config *m, tfm_params *w)
{
    cr_assert_eq(tfm_config_named(m, "bert-tiny"), TFM_OK);
    tfm_params p;
    tfm_params_alloc(&p, m);
    tfm_params_init(&p, m, 5);
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    cr_assert_eq(tfm_save_safetensors(path, m, &p, NULL), TFM_OK);
    tfm_params_free(&p);
    tfm_params_alloc(w, m);
    cr_assert_eq(tfm_load_safetensors(path, m, w, err, sizeof err), TFM_OK, "%s", err);
}

/* A vocabulary of the model's size (100): the special tokens and w0..w94. */
static void tiny_vocab(const char *path, int V)
{
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL);
    fputs("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n", f);
    for (int i = 0; i < V - 5; i++) fprintf(f, "w%d\n", i);
    fclose(f);
}

/* The first approximation set the family has, among the paper's (exact first). */
static int model_for(const mpc_family *fam, tfm_config *m)
{
    static const int sets[][3] = {{TFM_ACT_GELU_ERF, TFM_ATTN_SOFTMAX, TFM_NORM_LAYERNORM},
                                  {TFM_ACT_QUAD, TFM_ATTN_2QUAD, TFM_NORM_LAYERNORM},
                                  {TFM_ACT_RELU, TFM_ATTN_2RELU, TFM_NORM_LAYERNORM},
                                  {TFM_ACT_QUAD, TFM_ATTN_2QUAD, TFM_NORM_BATCHNORM}};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        if (!mpc_family_check(fam, (mpc_act)sets[i][0], (mpc_attn)sets[i][1], (mpc_norm)sets[i][2])) {
            m->act = sets[i][0], m->attn = sets[i][1], m->norm = sets[i][2];
            return 0;
        }
    return -1;
}

static void protocol_for(mpc_config *cfg, const mpc_family *fam, const tfm_config *m, int schedule)
{
    fam->config_default(cfg);
    cfg->dealer_schedule = schedule;
    cfg->quad_a = m->quad_a, cfg->quad_b = m->quad_b, cfg->quad_c = m->quad_c, cfg->quad2_c = m->quad2_c;
    double res = ldexp(1, -cfg->frac_bits);
    if (cfg->ln_eps < res) cfg->ln_eps = fmax(m->ln_eps, res);
}

static void expect_same_counters(const char *what, const rt_result *s, const rt_result *t)
{
    cr_expect_eq(t->rounds, s->rounds, "%s: rounds over TCP %llu, simulator %llu", what, (unsigned long long)t->rounds,
                 (unsigned long long)s->rounds);
    cr_expect(t->rounds > 0, "%s: some rounds", what);
    for (int i = 0; i < 3; i++) {
        const net_counters *a = &s->stats[i].total, *b = &t->stats[i].total;
        for (int j = 0; j < 3; j++) {
            cr_expect_eq(b->sent_bytes[j], a->sent_bytes[j], "%s: %s->%s bytes: TCP %llu, simulator %llu", what,
                         net_party_names[i], net_party_names[j], (unsigned long long)b->sent_bytes[j],
                         (unsigned long long)a->sent_bytes[j]);
            cr_expect_eq(b->recv_bytes[j], a->recv_bytes[j], "%s: %s<-%s bytes", what, net_party_names[i],
                         net_party_names[j]);
            cr_expect_eq(b->sent_msgs[j], a->sent_msgs[j], "%s: %s->%s messages", what, net_party_names[i],
                         net_party_names[j]);
        }
        cr_expect_eq(t->depth[i], s->depth[i], "%s: depth of %s", what, net_party_names[i]);
    }
    cr_expect_eq(t->dealer_bytes, s->dealer_bytes, "%s: dealer bytes TCP %llu, simulator %llu", what,
                 (unsigned long long)t->dealer_bytes, (unsigned long long)s->dealer_bytes);
    cr_expect_eq(t->dealer_requests, s->dealer_requests, "%s: dealer requests", what);
    cr_expect(t->latency_ns > 0, "%s: measured latency", what);
}

static rt_tcp_opts local_opts(int reproducible)
{
    rt_tcp_opts o;
    memset(&o, 0, sizeof o);
    o.out_party = NET_P1;
    o.reproducible = reproducible;
    o.connect_timeout_ns = 20000000000LL;
    o.io_timeout_ns = 60000000000LL;
    return o;
}

/* One job on both backends: counters equal; reproducible TCP logits == simulator logits. */
static void both_backends(const char *what, const mpc_config *cfg, const tfm_config *m, const tfm_params *w,
                          const int *tokens, const uint8_t *mask, const sbert_calib *cal, double sim_logits[])
{
    rt_infer a, b;
    rt_job ja, jb;
    rt_infer_job(&ja, &a, cfg, 0, 9, m, T, w, tokens, mask, cal);
    rt_infer_job(&jb, &b, cfg, 0, 9, m, T, w, tokens, mask, cal);
    rt_sim_opts so = tu_session(cfg, 0, 9);
    rt_result rs, rtcp;
    cr_assert_eq(rt_sim_job(&so, &ja, &rs), 0, "%s: simulator", what);
    rt_tcp_opts to = local_opts(1);
    cr_assert_eq(rt_tcp_local(&to, -1, &jb, &rtcp), 0, "%s: TCP", what);
    expect_same_counters(what, &rs, &rtcp);
    for (int k = 0; k < m->NL; k++)
        cr_expect(a.logits[k] == b.logits[k], "%s: logit %d: TCP %.17g, simulator %.17g (reproducible mode)", what, k,
                  b.logits[k], a.logits[k]);
    if (sim_logits) memcpy(sim_logits, a.logits, (size_t)m->NL * sizeof(double));
    rt_infer_free(&a);
    rt_infer_free(&b);
}

Test(tcp_infer, counters_and_logits_equal_the_simulator_for_every_family_and_schedule, .timeout = 300)
{
    char *dir = tu_tmpdir();
    tfm_config m0;
    tfm_params w;
    tiny_weights(dir, &m0, &w);
    int tokens[T];
    uint8_t mask[T];
    rng r;
    rng_seed(&r, 3, 0);
    for (int t = 0; t < T; t++) {
        tokens[t] = t < REAL_LEN ? 5 + (int)(rng_u64(&r) % (uint64_t)(m0.V - 5)) : 0;
        mask[t] = t < REAL_LEN;
    }
    int families = 0;
    for (int f = 0; mpc_families[f]; f++) {
        const mpc_family *fam = mpc_families[f];
        tfm_config m = m0;
        if (model_for(fam, &m) != 0) {
            cr_log_info("family %s has none of the paper's approximation sets: not run", fam->name);
            continue;
        }
        families++;
        for (int sched = 0; sched < 2; sched++) {
            mpc_config cfg;
            protocol_for(&cfg, fam, &m, sched ? MPC_DEALER_INLINE : MPC_DEALER_OFFLINE);
            char what[128];
            /* infer's form: no padding, global constants */
            snprintf(what, sizeof what, "%s, %s dealer, infer", fam->name, sched ? "inline" : "offline");
            both_backends(what, &cfg, &m, &w, tokens, NULL, NULL, NULL);
            /* eval's form: a public key mask and per-site calibration */
            sbert_stats st;
            sbert_stats_collect(&st, &m, &w, tokens, mask, 1, T, cfg.ln_eps);
            sbert_calib cal;
            sbert_calib_fit(&cal, &m, &st);
            snprintf(what, sizeof what, "%s, %s dealer, eval (mask, calibration)", fam->name, sched ? "inline" : "offline");
            both_backends(what, &cfg, &m, &w, tokens, mask, &cal, NULL);
        }
    }
    cr_expect(families >= 1, "at least the default family ran");
    tfm_params_free(&w);
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    remove(path);
    rmdir(dir);
    free(dir);
}

Test(tcp_infer, private_mode_gives_the_plaintext_logits, .timeout = 120)
{
    char *dir = tu_tmpdir();
    tfm_config m;
    tfm_params w;
    tiny_weights(dir, &m, &w);
    int tokens[T];
    uint8_t mask[T];
    for (int t = 0; t < T; t++) tokens[t] = t < REAL_LEN ? 7 + 11 * t : 0, mask[t] = t < REAL_LEN;
    float ref[8];
    tfm_forward(&m, &w, tokens, NULL, mask, 1, T, ref, NULL, NULL);
    mpc_config cfg;
    protocol_for(&cfg, mpc_families[0], &m, MPC_DEALER_OFFLINE);
    double got[2][8];
    for (int run = 0; run < 2; run++) {
        rt_infer inf;
        rt_job j;
        rt_infer_job(&j, &inf, &cfg, 0, 9, &m, T, &w, tokens, mask, NULL);
        rt_tcp_opts to = local_opts(0);
        rt_result res;
        cr_assert_eq(rt_tcp_local(&to, -1, &j, &res), 0);
        for (int k = 0; k < m.NL; k++) {
            got[run][k] = inf.logits[k];
            /* the simulator's own bound for bert-tiny (test_sbert): 1e-2 */
            cr_expect(fabs(inf.logits[k] - ref[k]) < 1e-2, "logit %d: private TCP %.6f, plaintext %.6f", k, inf.logits[k],
                      ref[k]);
        }
        rt_infer_free(&inf);
    }
    int differ = 0;
    for (int k = 0; k < m.NL; k++) differ |= got[0][k] != got[1][k];
    cr_expect(differ, "two private runs draw fresh secrets: their fixed-point roundings differ somewhere");
    tfm_params_free(&w);
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    remove(path);
    rmdir(dir);
    free(dir);
}

/* ---- the command line ---- */

typedef struct fixture {
    char *dir;
    char weights[512], vocab[512], badvocab[512], out[512];
    tfm_config m;
    tfm_params w;
} fixture;

static void fixture_open(fixture *fx)
{
    fx->dir = tu_tmpdir();
    tiny_weights(fx->dir, &fx->m, &fx->w);
    snprintf(fx->weights, sizeof fx->weights, "%s/model.safetensors", fx->dir);
    snprintf(fx->vocab, sizeof fx->vocab, "%s/vocab.txt", fx->dir);
    snprintf(fx->badvocab, sizeof fx->badvocab, "%s/bad.txt", fx->dir);
    snprintf(fx->out, sizeof fx->out, "%s/out.csv", fx->dir);
    tiny_vocab(fx->vocab, fx->m.V);
    tiny_vocab(fx->badvocab, 50);
}

static void fixture_close(fixture *fx)
{
    tfm_params_free(&fx->w);
    const char *files[] = {"model.safetensors", "vocab.txt", "bad.txt", "out.csv", "logits.txt", "in.txt"};
    char path[600];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", fx->dir, files[i]);
        remove(path);
    }
    rmdir(fx->dir);
    free(fx->dir);
}

/* Field `col` of data line `row` (1-based) of a CSV. */
static double csv_num(const char *csv, const char *col, int row)
{
    const char *nl = strchr(csv, '\n');
    cr_assert(nl, "no CSV: %s", csv);
    int idx = 0;
    size_t cl = strlen(col);
    for (const char *p = csv;;) {
        const char *e = p;
        while (e < nl && *e != ',') e++;
        if ((size_t)(e - p) == cl && strncmp(p, col, cl) == 0) break;
        cr_assert(e < nl, "no column %s: %s", col, csv);
        p = e + 1, idx++;
    }
    const char *p = nl + 1;
    for (int r = 1; r < row; r++) {
        p = strchr(p, '\n');
        cr_assert(p, "no row %d: %s", row, csv);
        p++;
    }
    for (int k = 0; k < idx; k++) p = strchr(p, ',') + 1;
    return atof(p);
}

Test(tcp_infer, launch_infer_text_equals_the_simulator_in_reproducible_mode, .timeout = 120)
{
    fixture fx;
    fixture_open(&fx);
    const char *text = "w3 w17 w42 w5";
    char args[4096], lpath[600];
    snprintf(lpath, sizeof lpath, "%s/logits.txt", fx.dir);
    snprintf(args, sizeof args,
             "launch infer --model bert-tiny --seq %d --mode real --weights %s --vocab %s --text '%s' --seed 9 "
             "--insecure-reproducible --dump-output %s --out %s",
             T, fx.weights, fx.vocab, text, lpath, fx.out);
    tu_run r = tu_mpcsim(args);
    cr_assert_eq(r.status, 0, "launch infer: %s", r.err);
    cr_expect(strstr(r.err, "prediction: example 1: label ") != NULL, "P1 prints the prediction: %s", r.err);
    char *csv = tu_read_file(fx.out, NULL), *lg = tu_read_file(lpath, NULL);
    cr_assert(csv && lg);
    cr_expect(strstr(csv, ",real,tcp,,,real,") != NULL, "net=tcp, link columns empty: %s", csv);
    /* the simulator on the same tokens, weights and seed */
    text_tok *tok;
    char err[256];
    cr_assert_eq(text_tok_load(&tok, fx.vocab, err, sizeof err), TEXT_TOK_OK);
    int32_t id32[T];
    uint8_t mask[T];
    text_tok_encode(tok, id32, mask, T, text, strlen(text), NULL);
    text_tok_destroy(tok);
    int ids[T];
    for (int t = 0; t < T; t++) ids[t] = id32[t];
    mpc_config cfg;
    protocol_for(&cfg, mpc_families[0], &fx.m, MPC_DEALER_OFFLINE);
    rt_infer inf;
    rt_job j;
    rt_infer_job(&j, &inf, &cfg, 0, 9, &fx.m, T, &fx.w, ids, mask, NULL);
    rt_sim_opts so = tu_session(&cfg, 0, 9);
    rt_result rs;
    cr_assert_eq(rt_sim_job(&so, &j, &rs), 0);
    char *p = lg;
    for (int k = 0; k < fx.m.NL; k++) {
        double v = strtod(p, &p);
        cr_expect(v == inf.logits[k], "logit %d: launch %.17g, simulator %.17g", k, v, inf.logits[k]);
    }
    cr_expect_eq((uint64_t)csv_num(csv, "rounds", 1), rs.rounds);
    cr_expect_eq((uint64_t)csv_num(csv, "online_sent_bytes_p0", 1), rt_online_sent(&rs, 0));
    cr_expect_eq((uint64_t)csv_num(csv, "online_sent_bytes_p1", 1), rt_online_sent(&rs, 1));
    cr_expect_eq((uint64_t)csv_num(csv, "dealer_bytes", 1), rs.dealer_bytes);
    rt_infer_free(&inf);
    free(csv), free(lg);
    tu_run_free(&r);
    fixture_close(&fx);
}

Test(tcp_infer, bad_input_is_refused_clearly_and_long_text_is_truncated, .timeout = 120)
{
    fixture fx;
    fixture_open(&fx);
    char args[2048];
    /* empty text */
    snprintf(args, sizeof args, "launch infer --model bert-tiny --seq %d --mode real --vocab %s --text ' ' --out %s", T,
             fx.vocab, fx.out);
    tu_run r = tu_mpcsim(args);
    cr_expect_eq(r.status, 2, "%s", r.err);
    cr_expect(strstr(r.err, "--text: the text is empty") != NULL, "%s", r.err);
    cr_expect(!tu_file_exists(fx.out), "no output file");
    tu_run_free(&r);
    /* a vocabulary that does not match the model */
    snprintf(args, sizeof args, "launch infer --model bert-tiny --seq %d --mode real --vocab %s --text 'w1' --out %s", T,
             fx.badvocab, fx.out);
    r = tu_mpcsim(args);
    cr_expect_eq(r.status, 2, "%s", r.err);
    cr_expect(strstr(r.err, "has 50 tokens, but the model's vocabulary has 100") != NULL, "%s", r.err);
    cr_expect(!tu_file_exists(fx.out), "no output file");
    tu_run_free(&r);
    /* an empty line of an input file is named */
    char in[600];
    snprintf(in, sizeof in, "%s/in.txt", fx.dir);
    write_text(in, "w1 w2\n\nw3\n");
    snprintf(args, sizeof args, "launch infer --model bert-tiny --seq %d --mode real --vocab %s --input-file %s", T,
             fx.vocab, in);
    r = tu_mpcsim(args);
    cr_expect_eq(r.status, 2, "%s", r.err);
    cr_expect(strstr(r.err, "line 2: the text is empty") != NULL, "%s", r.err);
    tu_run_free(&r);
    /* a text longer than the sequence: truncated as `data tokenize` does, and said once */
    snprintf(args, sizeof args,
             "launch infer --model bert-tiny --seq %d --mode real --vocab %s --text 'w1 w2 w3 w4 w5 w6 w7 w8 w9 w10' "
             "--out %s",
             T, fx.vocab, fx.out);
    r = tu_mpcsim(args);
    cr_expect_eq(r.status, 0, "%s", r.err);
    const char *note = strstr(r.err, "10 word pieces, truncated to the first 6");
    cr_expect(note != NULL, "%s", r.err);
    cr_expect(note && !strstr(note + 1, "10 word pieces, truncated"), "said once: %s", r.err);
    cr_expect(tu_file_exists(fx.out));
    tu_run_free(&r);
    /* options that belong to the other roles */
    r = tu_mpcsim("launch infer --model bert-tiny --seq 8 --mode real --text w1");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "--vocab vocab.txt is required") != NULL, "%s", r.err);
    tu_run_free(&r);
    r = tu_mpcsim("launch mul --shape 4 --seq 8");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "--seq belongs to `launch infer`") != NULL, "%s", r.err);
    tu_run_free(&r);
    r = tu_mpcsim("launch infer --model bert-tiny --seq 8 --output p0 --mode phantom");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "reveals its logits to P1") != NULL, "%s", r.err);
    tu_run_free(&r);
    fixture_close(&fx);
}

Test(tcp_infer, a_party_killed_mid_layer_fails_the_run_with_no_output, .timeout = 120)
{
    fixture fx;
    fixture_open(&fx);
    char args[2048];
    /* bert-tiny at seq 8 exchanges about 400 rounds; 150 messages in, P1 is inside a layer */
    snprintf(args, sizeof args,
             "launch infer --model bert-tiny --seq %d --mode real --vocab %s --text 'w1 w2' --out %s --fault p1:die:150",
             T, fx.vocab, fx.out);
    double t0 = now_s();
    tu_run r = tu_mpcsim(args);
    cr_expect_eq(r.status, 1, "%s", r.err);
    cr_expect(now_s() - t0 < 30, "within the timeouts");
    cr_expect(strstr(r.err, "no result") && strstr(r.err, "P1 killed by signal 9"), "%s", r.err);
    cr_expect(strstr(r.err, "P0: P1 closed the connection") || strstr(r.err, "error: P0:"), "P0 names it: %s", r.err);
    cr_expect_eq(r.out[0], 0, "no partial result: %s", r.out);
    cr_expect(!tu_file_exists(fx.out), "no output file");
    tu_run_free(&r);
    fixture_close(&fx);
}

/* ---- parties as separate processes (mismatches, stalls) ---- */

typedef struct kid {
    pid_t pid;
    int status, done;
    double t_exit;
    char errpath[600];
    char *err;
} kid;

static void free_ports3(int port[3])
{
    int fd[3];
    for (int i = 0; i < 3; i++) {
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t sl = sizeof sa;
        fd[i] = socket(AF_INET, SOCK_STREAM, 0);
        cr_assert(fd[i] >= 0 && bind(fd[i], (struct sockaddr *)&sa, sizeof sa) == 0 &&
                  getsockname(fd[i], (struct sockaddr *)&sa, &sl) == 0);
        port[i] = ntohs(sa.sin_port);
    }
    for (int i = 0; i < 3; i++) close(fd[i]);
}

static void keygen(const char *dir)
{
    static const char *const who[3] = {"p0", "p1", "dealer"};
    for (int i = 0; i < 3; i++) {
        char args[700];
        snprintf(args, sizeof args, "keygen --out %s/%s", dir, who[i]);
        tu_run r = tu_mpcsim(args);
        cr_assert_eq(r.status, 0, "%s", r.err);
        tu_run_free(&r);
    }
}

static void spawn(kid *k, const char *dir, const char *role, const int port[3], const char *extra)
{
    char peers[160], line[4096];
    snprintf(peers, sizeof peers, "p0=127.0.0.1:%d,p1=127.0.0.1:%d,dealer=127.0.0.1:%d", port[0], port[1], port[2]);
    snprintf(k->errpath, sizeof k->errpath, "%s/%s.err", dir, role);
    snprintf(line, sizeof line, "%s --key %s/%s --peer-keys p0=%s/p0.pub,p1=%s/p1.pub,dealer=%s/dealer.pub %s", role, dir,
             role, dir, dir, dir, extra);
    const char *argv[80];
    int n = 0;
    argv[n++] = MPCSIM_BIN;
    argv[n++] = "party";
    argv[n++] = "--peers";
    argv[n++] = peers;
    argv[n++] = "--role";
    for (char *s = strtok(line, " "); s && n < 78; s = strtok(NULL, " ")) argv[n++] = s;
    argv[n] = NULL;
    pid_t parent = getpid();
    k->pid = fork();
    cr_assert(k->pid >= 0);
    if (k->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        int fd = open(k->errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644), nul = open("/dev/null", O_WRONLY);
        dup2(fd, 2);
        dup2(nul, 1);
        execv(MPCSIM_BIN, (char *const *)argv);
        _exit(127);
    }
    k->done = 0;
    k->err = NULL;
}

/* Waits for every kid except `spare` (-1: all); kills what is left after limit_s or once the others are done. */
static void reap(kid *k, int n, int spare, double t0, double limit_s)
{
    for (;;) {
        int left = 0;
        for (int i = 0; i < n; i++) {
            if (k[i].done) continue;
            int st;
            if (waitpid(k[i].pid, &st, WNOHANG) == k[i].pid) {
                k[i].done = 1;
                k[i].status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                k[i].t_exit = now_s() - t0;
            } else if (i != spare)
                left++;
        }
        if (!left || now_s() - t0 > limit_s) break;
        usleep(10000);
    }
    for (int i = 0; i < n; i++) {
        if (!k[i].done) {
            kill(k[i].pid, SIGKILL);
            waitpid(k[i].pid, NULL, 0);
            k[i].done = 1;
            k[i].status = -1;
            k[i].t_exit = now_s() - t0;
        }
        k[i].err = tu_read_file(k[i].errpath, NULL);
        if (!k[i].err) k[i].err = strdup("");
        remove(k[i].errpath);
    }
}

static void kids_free(kid *k, int n)
{
    for (int i = 0; i < n; i++) free(k[i].err);
}

static void rm_keys(const char *dir)
{
    static const char *const f[6] = {"p0", "p0.pub", "p1", "p1.pub", "dealer", "dealer.pub"};
    char path[700];
    for (int i = 0; i < 6; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, f[i]);
        remove(path);
    }
}

Test(tcp_infer, mismatched_models_a_stalled_party_and_a_wrong_vocab_fail_clearly, .timeout = 120)
{
    fixture fx;
    fixture_open(&fx);
    keygen(fx.dir);
    int port[3];
    kid k[3];
    char e[3][2048];
    static const char *const role[3] = {"p0", "p1", "dealer"};
    /* different sequence lengths: refused by the handshake, naming the field */
    free_ports3(port);
    snprintf(e[0], sizeof e[0], "infer --model bert-tiny --seq 8 --mode real --weights %s --connect-timeout 5", fx.weights);
    snprintf(e[1], sizeof e[1], "infer --model bert-tiny --seq 16 --mode real --vocab %s --text w1 --out %s --connect-timeout 5",
             fx.vocab, fx.out);
    snprintf(e[2], sizeof e[2], "infer --model bert-tiny --seq 8 --mode real --connect-timeout 5");
    double t0 = now_s();
    for (int i = 0; i < 3; i++) spawn(&k[i], fx.dir, role[i], port, e[i]);
    reap(k, 3, -1, t0, 30);
    for (int i = 0; i < 3; i++) cr_expect_eq(k[i].status, 1, "%s: %d: %s", role[i], k[i].status, k[i].err);
    cr_expect(strstr(k[0].err, "configuration mismatch") && strstr(k[0].err, "seq (P1: 16, P0: 8)"), "P0: %s", k[0].err);
    cr_expect(strstr(k[1].err, "seq (P0: 8, P1: 16)"), "P1: %s", k[1].err);
    cr_expect(!tu_file_exists(fx.out), "no output file");
    kids_free(k, 3);
    /* a different model (another activation): refused too */
    free_ports3(port);
    snprintf(e[0], sizeof e[0], "infer --model bert-tiny --seq 8 --mode real --gelu quad --connect-timeout 5");
    snprintf(e[1], sizeof e[1], "infer --model bert-tiny --seq 8 --mode real --vocab %s --text w1 --connect-timeout 5",
             fx.vocab);
    snprintf(e[2], sizeof e[2], "infer --model bert-tiny --seq 8 --mode real --gelu quad --connect-timeout 5");
    t0 = now_s();
    for (int i = 0; i < 3; i++) spawn(&k[i], fx.dir, role[i], port, e[i]);
    reap(k, 3, -1, t0, 30);
    for (int i = 0; i < 2; i++) cr_expect_eq(k[i].status, 1, "%s: %d: %s", role[i], k[i].status, k[i].err);
    cr_expect(strstr(k[1].err, "act (P0: quad, P1: gelu-erf)"), "P1: %s", k[1].err);
    kids_free(k, 3);
    /* a stalled P1: P0 names the stall within --stall-timeout, the dealer sees P0 go */
    free_ports3(port);
    snprintf(e[0], sizeof e[0], "infer --model bert-tiny --seq 8 --mode real --stall-timeout 2 --connect-timeout 5");
    snprintf(e[1], sizeof e[1],
             "infer --model bert-tiny --seq 8 --mode real --vocab %s --text w1 --out %s --stall-timeout 2 "
             "--connect-timeout 5 --die-after-messages 150 --fault-mode stall",
             fx.vocab, fx.out);
    snprintf(e[2], sizeof e[2], "infer --model bert-tiny --seq 8 --mode real --stall-timeout 2 --connect-timeout 5");
    t0 = now_s();
    for (int i = 0; i < 3; i++) spawn(&k[i], fx.dir, role[i], port, e[i]);
    reap(k, 3, NET_P1, t0, 30);
    cr_expect_eq(k[0].status, 1, "P0: %d: %s", k[0].status, k[0].err);
    cr_expect(k[0].t_exit < 10, "P0 failed after %.1f s", k[0].t_exit);
    cr_expect(strstr(k[0].err, "P0: message from P1 stalled"), "P0: %s", k[0].err);
    cr_expect_eq(k[2].status, 1, "D: %d: %s", k[2].status, k[2].err);
    cr_expect(!tu_file_exists(fx.out), "no output file");
    kids_free(k, 3);
    /* P1's vocabulary does not match the model: P1 says so at once, the others give up at the deadline */
    free_ports3(port);
    snprintf(e[0], sizeof e[0], "infer --model bert-tiny --seq 8 --mode real --connect-timeout 2");
    snprintf(e[1], sizeof e[1], "infer --model bert-tiny --seq 8 --mode real --vocab %s --text w1 --out %s --connect-timeout 2",
             fx.badvocab, fx.out);
    snprintf(e[2], sizeof e[2], "infer --model bert-tiny --seq 8 --mode real --connect-timeout 2");
    t0 = now_s();
    for (int i = 0; i < 3; i++) spawn(&k[i], fx.dir, role[i], port, e[i]);
    reap(k, 3, -1, t0, 30);
    cr_expect_eq(k[1].status, 2, "P1: %d: %s", k[1].status, k[1].err);
    cr_expect(strstr(k[1].err, "does not match the model"), "P1: %s", k[1].err);
    cr_expect(k[1].t_exit < 10, "P1 refused within the timeouts (%.1f s)", k[1].t_exit);
    for (int i = 0; i < 3; i += 2) {
        cr_expect_eq(k[i].status, 1, "%s: %d: %s", role[i], k[i].status, k[i].err);
        cr_expect(k[i].t_exit < 10, "%s: %.1f s", role[i], k[i].t_exit);
    }
    cr_expect(strstr(k[0].err, "P1") || strstr(k[2].err, "P1"), "P0 or the dealer names P1: %s / %s", k[0].err, k[2].err);
    cr_expect(!tu_file_exists(fx.out), "no output file");
    kids_free(k, 3);
    rm_keys(fx.dir);
    fixture_close(&fx);
}

/* ---- eval over TCP ---- */

/* The CSV row without its last column (mean_latency_s: virtual in the simulator, measured over TCP). */
/* The CSV's data row with the cells that differ by design emptied: mean_latency_s (measured over
 * TCP) and p_fail_mean, p_fail_max (the simulator's truncation oracle: empty over TCP). */
static char *row_but_latency(const char *csv)
{
    static const char *const skip[] = {"mean_latency_s", "p_fail_mean", "p_fail_max"};
    const char *nl = strchr(csv, '\n');
    cr_assert(nl, "%s", csv);
    char *hdr = strndup(csv, (size_t)(nl - csv)), *row = strdup(nl + 1), *out = calloc(strlen(row) + 1, 1);
    char *hs = NULL, *h = strtok_r(hdr, ",", &hs);
    const char *c = row;
    for (int first = 1; h; h = strtok_r(NULL, ",", &hs), first = 0) {
        const char *e = c + strcspn(c, ",\n");
        int drop = 0;
        for (size_t k = 0; k < sizeof skip / sizeof *skip; k++) drop |= strcmp(h, skip[k]) == 0;
        if (!first) strcat(out, ",");
        if (!drop) strncat(out, c, (size_t)(e - c));
        c = *e == ',' ? e + 1 : e;
    }
    free(hdr), free(row);
    return out;
}

Test(tcp_infer, eval_over_tcp_equals_the_simulator, .timeout = 120)
{
    char *dir = tu_tmpdir(), path[600], args[2048];
    static const char *const pos[4] = {"good", "great", "fine", "nice"}, *const neg[4] = {"bad", "awful", "poor", "sad"},
                             *const neu[4] = {"the", "movie", "was", "plot"};
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    write_text(path, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\ngood\ngreat\nfine\nnice\nbad\nawful\npoor\nsad\nthe\nmovie\nwas\nplot\n");
    static const char *const split[3] = {"train", "dev", "test"};
    const int count[3] = {32, 8, 4};
    rng r;
    rng_seed(&r, 4, 0);
    for (int s = 0; s < 3; s++) {
        snprintf(path, sizeof path, "%s/%s.tsv", dir, split[s]);
        FILE *f = fopen(path, "w");
        cr_assert(f);
        for (int i = 0; i < count[s]; i++) {
            int p = i % 2 == 0;
            fprintf(f, "%s\t%s %s %s\n", p ? "pos" : "neg", neu[rng_u64(&r) % 4], (p ? pos : neg)[rng_u64(&r) % 4],
                    neu[rng_u64(&r) % 4]);
        }
        fclose(f);
    }
    snprintf(args, sizeof args, "train --data %s --model bert-tiny --seq 8 --batch 8 --epochs 1 --out %s/t.safetensors", dir,
             dir);
    tu_run t = tu_mpcsim(args);
    cr_assert_eq(t.status, 0, "train: %s", t.err);
    tu_run_free(&t);
    const char *common = "--mpc --n 3 --calib-n 8";
    snprintf(args, sizeof args, "eval --data %s --weights %s/t.safetensors %s", dir, dir, common);
    tu_run sim = tu_mpcsim(args);
    cr_assert_eq(sim.status, 0, "%s", sim.err);
    snprintf(args, sizeof args, "eval --data %s --weights %s/t.safetensors %s --backend tcp --insecure-reproducible", dir,
             dir, common);
    tu_run tcp = tu_mpcsim(args);
    cr_assert_eq(tcp.status, 0, "%s", tcp.err);
    char *a = row_but_latency(sim.out), *b = row_but_latency(tcp.out);
    cr_expect_str_eq(b, a, "eval over TCP (reproducible) gives the simulator's row: %s / %s", b, a);
    cr_expect(strstr(a, ",3,") != NULL, "3 private examples: %s", a);
    free(a), free(b);
    /* private mode: fresh secrets, the same predictions */
    snprintf(args, sizeof args, "eval --data %s --weights %s/t.safetensors %s --backend tcp", dir, dir, common);
    tu_run priv = tu_mpcsim(args);
    cr_assert_eq(priv.status, 0, "%s", priv.err);
    cr_expect(csv_num(priv.out, "agreement", 1) == 1.0, "agreement with plaintext: %s", priv.out);
    cr_expect(csv_num(priv.out, "max_abs_logit_error", 1) < 5e-2, "%s", priv.out);
    /* bad combination */
    snprintf(args, sizeof args, "eval --data %s --weights %s/t.safetensors --backend tcp", dir, dir);
    tu_run bad = tu_mpcsim(args);
    cr_expect_eq(bad.status, 2);
    cr_expect(strstr(bad.err, "needs --mpc") != NULL, "%s", bad.err);
    tu_run_free(&bad);
    snprintf(args, sizeof args, "eval --data %s --weights %s/t.safetensors --mpc --backend tcp --net wan", dir, dir);
    bad = tu_mpcsim(args);
    cr_expect_eq(bad.status, 2);
    cr_expect(strstr(bad.err, "network options do not apply") != NULL, "%s", bad.err);
    tu_run_free(&sim), tu_run_free(&tcp), tu_run_free(&priv), tu_run_free(&bad);
    const char *files[] = {"vocab.txt", "train.tsv", "dev.tsv", "test.tsv", "t.safetensors"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        remove(path);
    }
    rmdir(dir);
    free(dir);
}

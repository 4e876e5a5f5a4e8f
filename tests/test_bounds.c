/* test_bounds.c -- bounded resources and honest failures (issue 20, part 4): each bad input the
 * review probed gets a clear error naming the problem, a non-zero exit, no partial output file and
 * no sanitizer report. Sweep files (64 keys, grids that overflow or exceed the point limit), output
 * temporaries (mkstemp beside the output, never a planted symlink), the pcap writer (bounded memory,
 * a full disk), virtual time beyond int64, non-finite and out-of-range weights, training on a
 * non-finite loss, and the memory estimate of real-mode runs against the limit. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/fx.h"
#include "../experiments/xp_mem.h"
#include "../experiments/xp_sweep.h"
#include "../models/tfm_io.h"
#include "../models/tfm_train.h"
#include "../net/net_sim.h"
#include "../sim/sim.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define TB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TB_ASAN 1
#endif
#endif
#ifndef TB_ASAN
#define TB_ASAN 0
#endif

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL, "cannot write %s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* Names in dir other than . and .., joined by spaces (sorted). */
static void dir_list(const char *dir, char *buf, size_t n)
{
    struct dirent **ent;
    int k = scandir(dir, &ent, NULL, alphasort);
    cr_assert(k >= 0, "scandir %s", dir);
    buf[0] = 0;
    for (int i = 0; i < k; i++) {
        if (strcmp(ent[i]->d_name, ".") && strcmp(ent[i]->d_name, ".."))
            snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? " " : "", ent[i]->d_name);
        free(ent[i]);
    }
    free(ent);
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* A failed run: exit status `want`, stderr names the problem, no sanitizer report. */
static void expect_failure(const tu_run *r, int want, const char *needle)
{
    cr_expect_eq(r->status, want, "exit %d, want %d; stderr: %s", r->status, want, r->err);
    cr_expect(strstr(r->err, needle) != NULL, "stderr lacks '%s': %s", needle, r->err);
    cr_expect(strstr(r->err, "Sanitizer") == NULL && strstr(r->err, "runtime error") == NULL, "%s", r->err);
    cr_expect(strstr(r->err, "programming error") == NULL, "bad input reported as a programming error: %s", r->err);
}

/* ---- sweep files ---- */

static void sweep_refused(const char *body, const char *needle)
{
    char *dir = tu_tmpdir(), *ini = path_in(dir, "s.ini"), *out = path_in(dir, "s.csv"), args[1200];
    write_text(ini, body);
    snprintf(args, sizeof args, "sweep %s --out %s", ini, out);
    tu_run r = tu_mpcsim(args);
    expect_failure(&r, 2, needle);
    char names[256];
    dir_list(dir, names, sizeof names);
    cr_expect_str_eq(names, "s.ini", "nothing but the sweep file: %s", names);
    tu_run_free(&r);
    rm_rf(dir);
    free(ini), free(out), free(dir);
}

Test(bounds, sweep_with_64_keys_is_refused_cleanly)
{
    /* 32 [fixed] and 32 [grid] keys: 128 arguments, past the old fixed argv of 104 (an ASan stack
     * overflow). Now the argv is sized to the keys and the unknown options are reported. */
    char body[8192] = "[sweep]\nname = many\ncommand = infer\n[fixed]\n";
    for (int i = 0; i < 32; i++) snprintf(body + strlen(body), sizeof body - strlen(body), "fixed_%02d = 1\n", i);
    strcat(body, "[grid]\n");
    for (int i = 0; i < 32; i++) snprintf(body + strlen(body), sizeof body - strlen(body), "grid_%02d = 1\n", i);
    sweep_refused(body, "is invalid");
}

Test(bounds, sweep_grid_that_wraps_to_zero_is_refused)
{
    /* 4^32 = 2^64 points: the old product wrapped to 0 (an empty CSV, exit 0). */
    char body[8192] = "[sweep]\nname = wrap\ncommand = infer\n[fixed]\nmodel = bert-tiny\n[grid]\n";
    for (int i = 0; i < 32; i++) snprintf(body + strlen(body), sizeof body - strlen(body), "k%02d = 1, 2, 3, 4\n", i);
    sweep_refused(body, "more than 10000 points");
    /* The message names the line of the key where the product passes the limit: 4^7 > 10000. */
    char *dir = tu_tmpdir(), *ini = path_in(dir, "s.ini"), args[600];
    write_text(ini, body);
    snprintf(args, sizeof args, "sweep %s --out %s/o.csv", ini, dir);
    tu_run r = tu_mpcsim(args);
    cr_expect(strstr(r.err, "s.ini:13:") != NULL, "%s", r.err);
    tu_run_free(&r);
    rm_rf(dir);
    free(ini), free(dir);
}

Test(bounds, sweep_astronomical_grid_and_too_many_runs_are_refused)
{
    /* 64^8 = 2^48 points: the old code validated them one by one, for ever. */
    char body[16384] = "[sweep]\nname = big\ncommand = op\n[fixed]\nop = mul\n[grid]\n";
    for (int i = 0; i < 8; i++) {
        snprintf(body + strlen(body), sizeof body - strlen(body), "k%d = ", i);
        for (int v = 0; v < 64; v++) snprintf(body + strlen(body), sizeof body - strlen(body), "%s%d", v ? "," : "", v + 1);
        strcat(body, "\n");
    }
    sweep_refused(body, "more than 10000 points");
    sweep_refused("[sweep]\nname = reps\ncommand = op\nrepetitions = 1000\n[fixed]\nop = mul\n[grid]\n"
                  "shape = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,"
                  "35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64\n"
                  "seed = 1, 2\n",
                  "exceeds 100000 runs");
    sweep_refused("[sweep]\nname = s\ncommand = op\nrepetitions = 3\n[fixed]\nop = mul\nseed = 18446744073709551614\n",
                  "overflows 64 bits");
    sweep_refused("[sweep]\nname = s\ncommand = op\n[grid]\nshape = 4,,8\n", "empty value");
}

Test(bounds, sweep_help_states_the_limits)
{
    tu_run r = tu_mpcsim("sweep --help");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "at most 10000 points") && strstr(r.out, "100000 runs"), "%s", r.out);
    tu_run_free(&r);
}

Test(bounds, sweep_argv_layout)
{
    /* The argv of the last run of a 32 + 32-key sweep: op name, 2 arguments a key (approx: 4), the
     * repetition's seed, the caller's 2 extras, NULL. */
    char body[8192] = "[sweep]\nname = a\ncommand = op\nrepetitions = 3\n[fixed]\nop = mul\nseed = 40\n";
    for (int i = 0; i < 30; i++) snprintf(body + strlen(body), sizeof body - strlen(body), "f%02d = x%d\n", i, i);
    strcat(body, "[grid]\napprox = gelu-erf+softmax, quad+2quad\n");
    for (int i = 0; i < 31; i++) snprintf(body + strlen(body), sizeof body - strlen(body), "g%02d = v%d\n", i, i);
    FILE *f = fmemopen(body, strlen(body), "r");
    xp_sweep s;
    char err[700];
    cr_assert_eq(xp_sweep_parse(&s, f, "mem.ini", err, sizeof err), 0, "%s", err);
    fclose(f);
    cr_assert_eq(s.npoints, 2);
    xp_sweep_args a;
    xp_sweep_point_args(&s, 1, 2, 2, &a);
    xp_sweep_args_push(&a, "--out");
    xp_sweep_args_push(&a, "o.csv");
    /* mul, 30 fixed + 31 grid keys (2 each) + approx (4) + seed (2, from [fixed]) + --seed 42 + 2 */
    cr_expect_eq(a.argc, 1 + 2 * 61 + 4 + 2 + 2 + 2, "argc %d", a.argc);
    cr_expect_eq(a.argv[a.argc], NULL);
    cr_expect_str_eq(a.argv[0], "mul");
    int gelu = -1;
    for (int i = 0; i < a.argc; i++)
        if (strcmp(a.argv[i], "--gelu") == 0) gelu = i;
    cr_assert(gelu > 0);
    cr_expect_str_eq(a.argv[gelu + 1], "quad");
    cr_expect_str_eq(a.argv[gelu + 3], "2quad");
    cr_expect_str_eq(a.argv[a.argc - 4], "--seed");
    cr_expect_str_eq(a.argv[a.argc - 3], "42", "base 40 + repetition 2");
    cr_expect_str_eq(a.argv[a.argc - 1], "o.csv");
    xp_sweep_args_free(&a);
    xp_sweep_free(&s);
}

Test(bounds, sweep_temporaries_stay_beside_the_output)
{
    char *dir = tu_tmpdir(), *ini = path_in(dir, "s.ini"), args[1200];
    write_text(ini, "[sweep]\nname = tiny\ncommand = op\n[fixed]\nop = mul\n[grid]\nshape = 4, 8\n");
    char *sub = path_in(dir, "res");
    cr_assert_eq(mkdir(sub, 0700), 0);
    snprintf(args, sizeof args, "sweep %s --out %s/tiny.csv", ini, sub);
    tu_run r = tu_mpcsim(args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char names[256];
    dir_list(sub, names, sizeof names);
    cr_expect_str_eq(names, "tiny.csv", "no temporary left: %s", names);
    char *csv = tu_read_file(strcat(strcpy(malloc(strlen(sub) + 16), sub), "/tiny.csv"), NULL);
    cr_assert(csv);
    cr_expect(strncmp(csv, "sweep,point,rep,op,shape,", 25) == 0, "%s", csv);
    cr_expect(strstr(csv, "\ntiny,1,0,mul,8,") != NULL, "%s", csv);
    free(csv);
    tu_run_free(&r);
    rm_rf(dir);
    free(ini), free(sub), free(dir);
}

/* ---- output temporaries ---- */

Test(bounds, a_planted_symlink_at_the_old_temporary_name_is_not_followed)
{
    /* The old writer opened OUT.tmp with fopen("w"): a symlink planted there redirected the write. */
    char *dir = tu_tmpdir(), *victim = path_in(dir, "victim"), *out = path_in(dir, "o.csv"), *tmp = path_in(dir, "o.csv.tmp");
    write_text(victim, "keep\n");
    cr_assert_eq(symlink(victim, tmp), 0);
    char args[600];
    snprintf(args, sizeof args, "op mul --shape 4 --out %s", out);
    tu_run r = tu_mpcsim(args);
    cr_expect_eq(r.status, 0, "%s", r.err);
    char *v = tu_read_file(victim, NULL);
    cr_expect_str_eq(v, "keep\n", "the symlink's target was written");
    char *o = tu_read_file(out, NULL);
    cr_expect(o && strncmp(o, "op,shape,", 9) == 0);
    struct stat st;
    cr_expect(lstat(out, &st) == 0 && S_ISREG(st.st_mode), "the output is a regular file");
    free(v), free(o);
    tu_run_free(&r);
    rm_rf(dir);
    free(victim), free(out), free(tmp), free(dir);
}

/* ---- pcap ---- */

Test(bounds, pcap_on_a_full_disk_fails_and_writes_no_csv)
{
    char *dir = tu_tmpdir(), *out = path_in(dir, "o.csv"), args[600];
    snprintf(args, sizeof args, "op mul --shape 1000 --pcap /dev/full --out %s", out);
    tu_run r = tu_mpcsim(args);
    expect_failure(&r, 1, "No space left on device");
    cr_expect(strstr(r.err, "/dev/full") != NULL, "%s", r.err);
    cr_expect(!tu_file_exists(out), "a CSV was written for a failed run");
    tu_run_free(&r);
    /* A pcap whose directory does not exist: refused before the run, nothing written. */
    snprintf(args, sizeof args, "op mul --shape 1000 --pcap %s/no/such.pcap --out %s", dir, out);
    r = tu_mpcsim(args);
    expect_failure(&r, 2, "no/such.pcap");
    cr_expect(!tu_file_exists(out));
    tu_run_free(&r);
    rm_rf(dir);
    free(out), free(dir);
}

enum { ROUNDS = 300 };
static void pp0(net_party *p, void *arg)
{
    for (int i = 0; i < ROUNDS; i++) {
        cr_assert_eq(net_send(p, NET_P1, NULL, 3000), NET_OK);
        cr_assert_eq(net_recv(p, NET_P1, NULL, 3000), NET_OK);
    }
}
static void pp1(net_party *p, void *arg)
{
    for (int i = 0; i < ROUNDS; i++) {
        cr_assert_eq(net_recv(p, NET_P0, NULL, 3000), NET_OK);
        cr_assert_eq(net_send(p, NET_P0, NULL, 3000), NET_OK);
    }
}

Test(bounds, pcap_memory_is_the_traffic_in_flight)
{
    /* 600 messages of 3 segments: 1800 records, of which at most one message's 3 wait in memory
     * (each reply is sent after the request arrived, so its segments follow all earlier ones). */
    char *dir = tu_tmpdir(), *path = path_in(dir, "pp.pcap");
    nm_linkspec l = {.bps = 1000000000ull, .latency_ns = 1000000, .model = NM_MODEL_IDEAL};
    nm_topology t;
    nm_topology_init(&t, 3, &l);
    net_sim *s = net_sim_create(&t);
    nm_pcap *pc;
    cr_assert_eq(nm_pcap_open(&pc, path, 1448), NM_OK);
    net_sim_add_trace(s, net_sim_trace_pcap, pc);
    net_party_fn fn[3] = {pp0, pp1, NULL};
    cr_assert_eq(net_sim_run(s, fn, NULL), NET_OK);
    size_t peak = nm_pcap_peak_waiting(pc);
    cr_assert_eq(nm_pcap_close(pc), NM_OK);
    cr_expect_eq(peak, 3, "peak waiting segments %zu", peak);
    size_t len;
    char *img = tu_read_file(path, &len);
    cr_expect_eq(len, 24 + (size_t)2 * ROUNDS * 3 * (16 + 66), "file size %zu", len);
    free(img);
    net_sim_destroy(s);
    rm_rf(dir);
    free(path), free(dir);
}

/* ---- virtual time ---- */

static void long_sleeper(sim_actor *a, void *arg)
{
    sim_sleep(a, INT64_MAX / 2);
    sim_sleep(a, INT64_MAX / 2);
    sim_sleep(a, INT64_MAX / 2); /* past 2^63 - 1: the run stops here */
    *(int *)arg = 1;
}

Test(bounds, virtual_time_beyond_int64_stops_the_run)
{
    sim_engine *e = sim_create();
    int reached = 0;
    sim_spawn(e, "sleeper", long_sleeper, &reached);
    cr_expect_eq(sim_run(e), SIM_ETIME);
    cr_expect_eq(reached, 0);
    cr_expect_eq(sim_now(e), INT64_MAX / 2 * 2, "the clock stops at the last valid event");
    sim_destroy(e);
    /* Transmission times saturate instead of overflowing. */
    cr_expect_eq(nm_tx_time(1, UINT64_MAX), NM_TIME_MAX);
    cr_expect_eq(nm_time_add(NM_TIME_MAX - 5, 10), NM_TIME_MAX);
    cr_expect_eq(nm_time_add(5, 10), 15);
}

Test(bounds, a_run_longer_than_292_years_is_an_input_error)
{
    /* A phantom BERT-base inference (GBs of traffic) at 1 bit/s: over 10^10 s of virtual time. The
     * old code overflowed a signed addition and aborted on "event scheduled in the past"
     * (programming error). */
    char *dir = tu_tmpdir(), *out = path_in(dir, "o.csv"), args[600];
    snprintf(args, sizeof args, "infer --model bert-base --seq 512 --bandwidth 1bit --out %s", out);
    tu_run r = tu_mpcsim(args);
    expect_failure(&r, 1, "more virtual time than 2^63 ns");
    cr_expect(!tu_file_exists(out));
    tu_run_free(&r);
    rm_rf(dir);
    free(out), free(dir);
}

/* ---- weights ---- */

static void save_tiny(const char *path, float poison)
{
    tfm_config cfg;
    tfm_params p;
    cr_assert_eq(tfm_config_named(&cfg, "bert-tiny"), TFM_OK);
    tfm_params_alloc(&p, &cfg);
    tfm_params_init(&p, &cfg, 1);
    p.wte[5] = poison;
    cr_assert_eq(tfm_save_safetensors(path, &cfg, &p, NULL), TFM_OK);
    tfm_params_free(&p);
}

Test(bounds, non_finite_or_unencodable_weights_are_refused_naming_the_tensor)
{
    char *dir = tu_tmpdir(), *w = path_in(dir, "w.safetensors"), *out = path_in(dir, "o.csv"), args[800];
    static const float bad[] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        save_tiny(w, bad[i]);
        snprintf(args, sizeof args, "infer --model bert-tiny --seq 8 --mode real --weights %s --out %s", w, out);
        tu_run r = tu_mpcsim(args);
        expect_failure(&r, 2, "word_embeddings.weight' holds a non-finite value");
        cr_expect(!tu_file_exists(out));
        tu_run_free(&r);
    }
    /* Finite but beyond the fixed point's range 2^(63-16) = 1.4e14. */
    save_tiny(w, 1e15f);
    tu_run r = tu_mpcsim(args);
    expect_failure(&r, 2, "does not fit the fixed-point encoding");
    cr_expect(strstr(r.err, "word_embeddings") != NULL, "%s", r.err);
    cr_expect(!tu_file_exists(out));
    tu_run_free(&r);
    rm_rf(dir);
    free(w), free(out), free(dir);
}

/* ---- training ---- */

static void toy_data(tfm_encoded *e, const tfm_config *cfg, int n, int T, uint64_t seed)
{
    e->n = (size_t)n, e->T = T, e->truncated = 0;
    e->ids = malloc((size_t)n * T * sizeof *e->ids);
    e->mask = malloc((size_t)n * T);
    e->label = malloc((size_t)n * sizeof *e->label);
    for (int i = 0; i < n * T; i++) e->ids[i] = 1 + (int)((seed + 7u * (unsigned)i) % (unsigned)(cfg->V - 1)), e->mask[i] = 1;
    for (int i = 0; i < n; i++) e->label[i] = i % 2;
}

Test(bounds, training_stops_on_a_non_finite_loss)
{
    tfm_config cfg;
    cr_assert_eq(tfm_config_named(&cfg, "bert-tiny"), TFM_OK);
    tfm_params s, t;
    tfm_params_alloc(&s, &cfg), tfm_params_alloc(&t, &cfg);
    tfm_params_init(&s, &cfg, 1), tfm_params_init(&t, &cfg, 2);
    tfm_encoded tr, dev;
    toy_data(&tr, &cfg, 8, 8, 1), toy_data(&dev, &cfg, 4, 8, 2);
    char *dir = tu_tmpdir(), *ck = path_in(dir, "student.safetensors"), err[512] = "";
    /* Distillation from a NaN teacher: the old code trained a NaN student and exited 0. */
    t.mem[t.n / 2] = NAN; /* an encoder weight */
    tfm_train_opts o;
    tfm_train_opts_default(&o);
    o.mode = TFM_TRAIN_KD2, o.epochs = 2, o.batch = 4, o.tcfg = &cfg, o.teacher = &t, o.out = ck;
    o.eval_every_epoch = 1;
    tfm_train_result res;
    cr_expect_eq(tfm_train_run(&cfg, &s, &tr, &dev, &o, &res, err, sizeof err), TFM_EVALUE);
    cr_expect(strstr(err, "training stopped at step 1") && strstr(err, "loss is") && strstr(err, "nan"), "%s", err);
    cr_expect(!tu_file_exists(ck), "a checkpoint was written");
    /* A learning rate that blows the weights up: stops at the first non-finite step. */
    tfm_params_init(&s, &cfg, 1);
    tfm_train_opts_default(&o);
    o.mode = TFM_TRAIN_TASK, o.epochs = 50, o.batch = 4, o.lr = 1e30, o.warmup_frac = 0, o.clip = 0, o.out = ck;
    err[0] = 0;
    cr_expect_eq(tfm_train_run(&cfg, &s, &tr, NULL, &o, &res, err, sizeof err), TFM_EVALUE);
    cr_expect(strstr(err, "not finite") != NULL, "%s", err);
    cr_expect(!tu_file_exists(ck));
    tfm_encoded_free(&tr), tfm_encoded_free(&dev);
    tfm_params_free(&s), tfm_params_free(&t);
    rm_rf(dir);
    free(ck), free(dir);
}

/* ---- memory of real-mode runs ---- */

Test(bounds, real_runs_that_cannot_fit_are_refused_naming_estimate_and_limit)
{
    tu_run r = tu_mpcsim("op mul --shape 10000x10000 --mode real --mem-limit 1g --check"); /* --check: never runs */
    expect_failure(&r, 2, "needs about 31.3 GiB of memory");
    cr_expect(strstr(r.err, "limit of 1.0 GiB (--mem-limit)") != NULL, "%s", r.err);
    tu_run_free(&r);
    r = tu_mpcsim("op matmul --shape 30000x30000@30000x30000 --mode real --mem-limit 100g --check");
    expect_failure(&r, 2, "needs about 201.2 GiB");
    tu_run_free(&r);
    r = tu_mpcsim("infer --model bert-large --seq 512 --mode real --mem-limit 2g --check");
    expect_failure(&r, 2, "a real-mode inference of bert-large at --seq 512 needs about");
    tu_run_free(&r);
    /* Phantom mode allocates no shares: not checked. --mem-limit none skips the check. */
    r = tu_mpcsim("op mul --shape 10000x10000 --mode phantom --mem-limit 1m --check");
    cr_expect_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    r = tu_mpcsim("op mul --shape 10000x10000 --mode real --mem-limit none --check");
    cr_expect_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    r = tu_mpcsim("op mul --shape 4 --mode real --mem-limit 2x");
    expect_failure(&r, 2, "--mem-limit: invalid size '2x'");
    tu_run_free(&r);
    /* A sweep validates each point's memory before running anything. */
    char *dir = tu_tmpdir(), *ini = path_in(dir, "s.ini"), args[700];
    write_text(ini, "[sweep]\nname = m\ncommand = op\n[fixed]\nop = mul\nmode = real\nmem-limit = 64m\n[grid]\n"
                    "shape = 4, 10000x10000\n");
    snprintf(args, sizeof args, "sweep %s --out %s/m.csv", ini, dir);
    r = tu_mpcsim(args);
    expect_failure(&r, 2, "point 1 of the grid is invalid");
    cr_expect(!tu_file_exists(strcat(strcpy(args, dir), "/m.csv")));
    tu_run_free(&r);
    rm_rf(dir);
    free(ini), free(dir);
}

Test(bounds, the_address_space_limit_is_honoured)
{
    if (TB_ASAN) cr_skip_test("ASan needs an unlimited address space");
    struct rlimit rl = {1000000000, 1000000000};
    cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);
    tu_run r = tu_mpcsim("op mul --shape 4000000 --mode real --check");
    expect_failure(&r, 2, "RLIMIT_AS");
    tu_run_free(&r);
}

/* Peak resident size of `mpcsim args` in bytes, measured in a child of a fresh child (getrusage
 * RUSAGE_CHILDREN keeps the largest child ever waited for). */
static double peak_bytes(const char *args)
{
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "%s %s >/dev/null 2>&1", MPCSIM_BIN, args);
        long kb = -1;
        struct rusage ru;
        if (system(cmd) == 0 && getrusage(RUSAGE_CHILDREN, &ru) == 0) kb = ru.ru_maxrss;
        ssize_t w = write(fd[1], &kb, sizeof kb);
        _exit(w == sizeof kb ? 0 : 1);
    }
    long kb = -1;
    cr_assert_eq(read(fd[0], &kb, sizeof kb), (ssize_t)sizeof kb);
    close(fd[0]), close(fd[1]);
    int st;
    waitpid(pid, &st, 0);
    cr_assert(kb > 0, "mpcsim %s failed", args);
    return 1024.0 * (double)kb;
}

Test(bounds, estimates_bound_the_measured_peaks)
{
    if (TB_ASAN) cr_skip_test("ASan's shadow memory inflates the resident size");
    /* Each measured run must stay below its estimate, and not far below it (the estimate is a
     * fit with a margin, not a blanket upper bound): peak in (estimate / 2, estimate]. */
    static const struct { const char *op, *shape; } k[] = {{"mul", "200000"}, {"softmax", "200x1000"}, {"matmul", "200x200@200x200"}};
    for (size_t i = 0; i < sizeof k / sizeof *k; i++) {
        rt_shape s;
        char err[256], args[300];
        const rt_opdef *op = rt_op_find(k[i].op);
        cr_assert(op);
        cr_assert_eq(rt_shape_parse(&s, k[i].shape, op->kind == RT_SHAPE_MATMUL, err, sizeof err), 0);
        double est = (double)xp_mem_op(op, &s);
        snprintf(args, sizeof args, "op %s --shape %s --mode real --out /dev/null", k[i].op, k[i].shape);
        double peak = peak_bytes(args);
        cr_expect(peak <= est, "%s %s: measured %.0f > estimate %.0f", k[i].op, k[i].shape, peak, est);
        cr_expect(peak > est / 2, "%s %s: measured %.0f, estimate %.0f", k[i].op, k[i].shape, peak, est);
    }
    tfm_config cfg;
    cr_assert_eq(tfm_config_named(&cfg, "bert-tiny"), TFM_OK);
    double peak = peak_bytes("infer --model bert-tiny --seq 64 --mode real --out /dev/null"), est = (double)xp_mem_infer(&cfg, 64);
    cr_expect(peak <= est, "bert-tiny seq 64: measured %.0f > estimate %.0f", peak, est);
}

/* test_infer.c -- `mpcsim infer` and `mpcsim sweep` end to end: compute models, real mode with a
 * safetensors checkpoint, bad input, the small sweep with its schema and a plot, --list + merge equal
 * to the serial run, and malformed sweep files. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/rng_tee.h"
#include "../models/tfm_io.h"
#include "../protocols/families.h"
#include "../protocols/mpc_wcache.h"
#include "../runtime/rt_infer.h"
#include "../runtime/rt_plan.h"
#include "testutil.h"

/* Value of column `col` in the first data row of CSV text. */
static double csv_value(const char *csv, const char *col)
{
    char *copy = strdup(csv), *save = NULL;
    char *header = strtok_r(copy, "\n", &save), *row = strtok_r(NULL, "\n", &save);
    double v = NAN;
    if (header && row) {
        char *hs = NULL, *rs = NULL;
        char *h = strtok_r(header, ",", &hs), *r = strtok_r(row, ",", &rs);
        while (h && r) {
            if (strcmp(h, col) == 0) {
                v = atof(r);
                break;
            }
            h = strtok_r(NULL, ",", &hs);
            r = strtok_r(NULL, ",", &rs);
        }
    }
    free(copy);
    return v;
}

Test(infer, compute_models_are_named_and_add_up)
{
    tu_run z = tu_mpcsim("infer --model bert-tiny --seq 8 --compute zero");
    tu_run p = tu_mpcsim("infer --model bert-tiny --seq 8 --compute profile:zen5-2core");
    tu_run q = tu_mpcsim("infer --model bert-tiny --seq 8 --compute profile:zen5-2core");
    tu_run v = tu_mpcsim("infer --model bert-tiny --seq 8 --compute profile:v100");
    tu_run m = tu_mpcsim("infer --model bert-tiny --seq 8 --compute measured --mode real");
    cr_assert(z.status == 0 && p.status == 0 && v.status == 0 && m.status == 0, "%s%s%s%s", z.err, p.err, v.err, m.err);
    cr_expect(strstr(p.out, ",profile:zen5-2core,") && strstr(z.out, ",zero,") && strstr(m.out, ",measured,"));
    cr_expect_eq(csv_value(z.out, "compute_s"), 0);
    double pc = csv_value(p.out, "compute_s"), vc = csv_value(v.out, "compute_s");
    cr_expect(pc > 0 && vc > 0 && vc < pc, "a V100 estimate computes faster than one CPU core: %g vs %g", vc, pc);
    cr_expect(fabs(csv_value(p.out, "latency_s") - pc - csv_value(p.out, "comm_s")) < 1e-8);
    cr_expect(csv_value(p.out, "latency_s") > csv_value(z.out, "latency_s"));
    cr_expect_str_eq(p.out, q.out, "the analytic model is deterministic");
    cr_expect(csv_value(m.out, "compute_s") > 0, "measured CPU time is charged");
    cr_expect_eq(csv_value(p.out, "online_sent_bytes_p0"), csv_value(z.out, "online_sent_bytes_p0"));
    tu_run_free(&z), tu_run_free(&p), tu_run_free(&q), tu_run_free(&v), tu_run_free(&m);
}

Test(infer, real_mode_with_a_safetensors_checkpoint)
{
    char *dir = tu_tmpdir();
    char path[512], args[1024];
    snprintf(path, sizeof path, "%s/w.safetensors", dir);
    tfm_config m;
    cr_assert_eq(tfm_config_named(&m, "bert-tiny"), TFM_OK);
    tfm_params w;
    tfm_params_alloc(&w, &m);
    tfm_params_init(&w, &m, 77);
    for (size_t i = 0; i < w.n; i++) w.mem[i] *= 4; /* magnitudes with room in fixed point */
    cr_assert_eq(tfm_save_safetensors(path, &m, &w, NULL), TFM_OK);
    tfm_params_free(&w);
    snprintf(args, sizeof args, "infer --model bert-tiny --seq 6 --mode real --weights %s --gelu quad --softmax 2quad", path);
    tu_run r = tu_mpcsim(args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    double e = csv_value(r.out, "max_abs_logit_err");
    cr_expect(e >= 0 && e < 5e-3, "max abs logit error %g", e);
    /* A truncated checkpoint is refused with a clear message. */
    FILE *f = fopen(path, "r+b");
    cr_assert(f);
    cr_assert_eq(ftruncate(fileno(f), 100), 0);
    fclose(f);
    tu_run b = tu_mpcsim(args);
    cr_expect_neq(b.status, 0);
    cr_expect(strstr(b.err, "--weights") != NULL, "got: %s", b.err);
    tu_run_free(&r), tu_run_free(&b);
    remove(path);
    rmdir(dir);
    free(dir);
}

Test(infer, bad_input)
{
    static const struct { const char *args, *needle; } cases[] = {
        {"infer --model bert-huge --seq 8", "'bert-huge'"},
        {"infer --seq 8", "--model"},
        {"infer --model bert-tiny", "--seq"},
        {"infer --model bert-tiny --seq 65", "positions"},
        {"infer --model bert-tiny --seq 8 --gelu swish", "'swish'"},
        {"infer --model bert-tiny --seq 8 --softmax 3quad", "'3quad'"},
        {"infer --model bert-tiny --seq 8 --norm rmsnorm", "'rmsnorm'"},
        {"infer --model bert-tiny --seq 8 --batch 4", "--batch"},
        {"infer --model bert-tiny --seq 8 --compute quantum", "'quantum'"},
        {"infer --model bert-tiny --seq 8 --weights x.safetensors", "--mode real"},
        {"infer --config /nonexistent/config.json --seq 8", "config"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tu_run r = tu_mpcsim(cases[k].args);
        cr_expect(r.status != 0 && r.status < 128, "'%s' exit %d", cases[k].args, r.status);
        cr_expect(strstr(r.err, cases[k].needle) != NULL, "'%s': want '%s' in: %s", cases[k].args, cases[k].needle, r.err);
        tu_run_free(&r);
    }
}

/* ---- sweeps ---- */

static char *write_file(const char *dir, const char *name, const char *text)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

Test(sweep, smoke_sweep_schema_plot_and_list_merge, .timeout = 300)
{
    char *dir = tu_tmpdir();
    char args[8192], serial[512];
    snprintf(serial, sizeof serial, "%s/serial.csv", dir);
    snprintf(args, sizeof args, "sweep %s/experiments/sweeps/smoke.ini --out %s", MPCSIM_SOURCE_DIR, serial);
    tu_run r = tu_mpcsim(args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.err, "point 4/4") != NULL, "progress on stderr: %s", r.err);
    size_t len;
    char *csv = tu_read_file(serial, &len);
    cr_assert(csv);
    cr_expect(strncmp(csv, "sweep,point,rep,model,seq,gelu,softmax,norm,protocol,mode,net,bandwidth_bps,one_way_latency_s,"
                           "compute_model,latency_s,compute_s,comm_s,rounds,online_sent_bytes_p0,online_sent_bytes_p1,"
                           "online_recv_bytes_p0,online_recv_bytes_p1,dealer_bytes,dealer,max_abs_logit_err\n",
                      strlen("sweep,point,rep,model")) == 0,
              "schema: %s", csv);
    int lines = 0;
    for (char *c = csv; *c; c++) lines += *c == '\n';
    cr_expect_eq(lines, 5, "header + 4 points");
    /* --list, run each line, merge: byte-identical. */
    snprintf(args, sizeof args, "sweep %s/experiments/sweeps/smoke.ini --list --parts %s", MPCSIM_SOURCE_DIR, dir);
    tu_run l = tu_mpcsim(args);
    cr_assert_eq(l.status, 0, "%s", l.err);
    char *save = NULL;
    int nparts = 0;
    char parts[4096] = "";
    for (char *line = strtok_r(l.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cr_assert(strncmp(line, "mpcsim ", 7) == 0, "%s", line);
        tu_run p = tu_mpcsim(line + 7);
        cr_assert_eq(p.status, 0, "%s: %s", line, p.err);
        tu_run_free(&p);
        char *out = strstr(line, "--out ") + 6;
        strcat(parts, " ");
        strcat(parts, out);
        nparts++;
    }
    cr_expect_eq(nparts, 4);
    char merged[512];
    snprintf(merged, sizeof merged, "%s/merged.csv", dir);
    snprintf(args, sizeof args, "merge %s%s", merged, parts);
    tu_run mg = tu_mpcsim(args);
    cr_assert_eq(mg.status, 0, "%s", mg.err);
    size_t mlen;
    char *mcsv = tu_read_file(merged, &mlen);
    cr_expect(mcsv && mlen == len && memcmp(mcsv, csv, len) == 0, "merge differs from the serial run");
    /* The project's plot script runs on the CSV and produces a non-empty PNG. */
    char gp[1600], png[512];
    snprintf(png, sizeof png, "%s/smoke.png", dir);
    snprintf(gp, sizeof gp, "cd %s && gnuplot -e \"csv='%s'; out='%s/smoke'\" plots/sweep_latency.gp", MPCSIM_SOURCE_DIR,
             serial, dir);
    cr_assert_eq(system(gp), 0);
    struct stat st;
    cr_expect(stat(png, &st) == 0 && st.st_size > 1000, "PNG written");
    free(csv), free(mcsv);
    tu_run_free(&r), tu_run_free(&l), tu_run_free(&mg);
    snprintf(args, sizeof args, "rm -rf %s", dir);
    cr_expect_eq(system(args), 0);
    free(dir);
}

Test(sweep, malformed_files_name_the_line_and_write_nothing)
{
    char *dir = tu_tmpdir();
    static const struct { const char *text, *needle; } cases[] = {
        {"[sweep]\nname = x\ncommand = infer\n[grid]\nseq 8\n", ":5:"},
        {"[sweep]\nname = x\ncommand = infer\n[bogus]\n", ":4:"},
        {"[sweep]\nname = x\ncommand = fly\n", ":3:"},
        {"[sweep]\nname = x\ncommand = infer\nrepetitions = -2\n", ":4:"},
        {"[sweep]\nname = x\ncommand = infer\n[fixed]\nmodel = bert-tiny\n[grid]\nseq = 8, , 16\n", ":7:"},
        {"[sweep]\nname = x\ncommand = infer\n[fixed]\nmodel = bert-tiny\nmodel = bert-base\n", ":6:"},
        /* Semantically invalid value: found by validating every point before running. */
        {"[sweep]\nname = x\ncommand = infer\n[fixed]\nmodel = bert-tiny\n[grid]\nseq = 8, 9999\n", "line"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char *f = write_file(dir, "bad.ini", cases[k].text);
        char args[1200], out[600];
        snprintf(out, sizeof out, "%s/out.csv", dir);
        snprintf(args, sizeof args, "sweep %s --out %s", f, out);
        tu_run r = tu_mpcsim(args);
        cr_expect(r.status != 0 && r.status < 128, "case %zu exit %d", k, r.status);
        cr_expect(strstr(r.err, cases[k].needle) != NULL, "case %zu: want '%s' in: %s", k, cases[k].needle, r.err);
        cr_expect(!tu_file_exists(out), "case %zu wrote output", k);
        tu_run_free(&r);
        remove(f);
        free(f);
    }
    rmdir(dir);
    free(dir);
}

/* ---- explain ---- */

Test(explain, totals_equal_op_totals_and_steps_add_up, .timeout = 120)
{
    static const char *const cases[][2] = {{"softmax", "3x8"}, {"exp", "100"}, {"layer_norm", "4x16"}, {"max", "2x5"},
                                           {"matmul", "4x8@8x3"}, {"gelu_tanh", "64"}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char a[256], b[256];
        snprintf(a, sizeof a, "explain %s --shape %s --net wan --format csv --depth 1", cases[k][0], cases[k][1]);
        snprintf(b, sizeof b, "op %s --shape %s --net wan", cases[k][0], cases[k][1]);
        tu_run e = tu_mpcsim(a), o = tu_mpcsim(b);
        cr_assert(e.status == 0 && o.status == 0, "%s%s", e.err, o.err);
        /* The total row, and the sum over level-1 steps of the op (level 0). */
        unsigned long long tr = 0, t0 = 0, t1 = 0, td = 0, sr = 0, s0 = 0, s1 = 0, sd = 0;
        double tt = 0;
        char *save = NULL;
        for (char *line = strtok_r(e.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            int level, count;
            char step[64];
            unsigned long long r, x0, x1, d;
            double t;
            if (sscanf(line, "%d,%63[^,],%d,%llu,%llu,%llu,%llu,%lf", &level, step, &count, &r, &x0, &x1, &d, &t) != 8) continue;
            if (strcmp(step, "total") == 0) tr = r, t0 = x0, t1 = x1, td = d, tt = t;
            else if (level == 1) sr += r, s0 += x0, s1 += x1, sd += d;
        }
        cr_expect_eq(tr, (unsigned long long)csv_value(o.out, "rounds"), "%s rounds", cases[k][0]);
        cr_expect_eq(t0, (unsigned long long)csv_value(o.out, "online_sent_bytes_p0"), "%s P0 bytes", cases[k][0]);
        cr_expect_eq(t1, (unsigned long long)csv_value(o.out, "online_sent_bytes_p1"), "%s P1 bytes", cases[k][0]);
        cr_expect_eq(td, (unsigned long long)csv_value(o.out, "dealer_bytes"), "%s dealer bytes", cases[k][0]);
        cr_expect(fabs(tt - csv_value(o.out, "latency_s")) < 1e-9, "%s time", cases[k][0]);
        if (sr) { /* ops with sub-steps: the steps account for everything */
            cr_expect_eq(sr, tr, "%s: steps' rounds %llu vs total %llu", cases[k][0], sr, tr);
            cr_expect_eq(s0, t0, "%s: steps' P0 bytes", cases[k][0]);
            cr_expect_eq(s1, t1);
            cr_expect_eq(sd, td);
        }
        tu_run_free(&e), tu_run_free(&o);
    }
}

/* One bert-tiny inference in the simulator (real mode, seed 4), with or without the parties' setup
 * work (rt_party_prepare recorded for a job of sequence length rec_T, filled after setup). */
typedef struct prep_run {
    double logits[8];
    uint64_t sent[2];
    uint64_t hits[2], misses[2], dealer_bytes[2], dealer_hits[2];
    size_t entries[2], chunks_before[2], chunks_after[2];
} prep_run;

static void run_prepared(const tfm_config *m, const tfm_params *w, int T, int rec_T, prep_run *out)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    int tokens[16];
    for (int t = 0; t < T; t++) tokens[t] = 3 + (t * 7) % (m->V - 3);
    rt_infer inf;
    rt_job j;
    rt_infer_job(&j, &inf, &cfg, 0, 4, m, T, w, tokens, NULL, NULL);
    rt_sim_opts so = tu_session(&cfg, 0, 4);
    arena *sc[2] = {arena_create(), arena_create()};
    rt_party_prep pp[2];
    memset(pp, 0, sizeof pp);
    memset(out, 0, sizeof *out);
    if (rec_T) {
        rt_infer rinf;
        rt_job rj;
        rt_infer_job(&rj, &rinf, &cfg, 0, 4, m, rec_T, w, tokens, NULL, NULL);
        for (int i = 0; i < 2; i++) {
            cr_assert_eq(rt_party_prepare(&rj, i, sc[i], &pp[i]), 0);
            so.wcache[i] = pp[i].wc;
            so.scratch[i] = sc[i];
            out->chunks_before[i] = arena_chunk_allocs(sc[i]);
            out->entries[i] = mpc_wcache_entries(pp[i].wc);
        }
        rt_infer_free(&rinf);
    }
    rt_result res;
    cr_assert_eq(rt_sim_job(&so, &j, &res), 0);
    memcpy(out->logits, inf.logits, (size_t)m->NL * sizeof(double));
    for (int i = 0; i < 2; i++) {
        out->sent[i] = rt_online_sent(&res, i);
        out->hits[i] = mpc_wcache_hits(pp[i].wc);
        out->misses[i] = mpc_wcache_misses(pp[i].wc);
        out->dealer_bytes[i] = mpc_wcache_dealer_bytes(pp[i].wc);
        out->dealer_hits[i] = mpc_wcache_dealer_hits(pp[i].wc);
        out->chunks_after[i] = arena_chunk_allocs(sc[i]);
        rt_party_prep_free(&pp[i]);
        arena_destroy(sc[i]);
    }
    rt_infer_free(&inf);
}

/* The parties' setup work (rt_plan.h) moves work, never values: the model sharings drawn in setup are
 * handed out at exactly the pair-stream positions the run reaches (every one used, none drawn live), the
 * dealer stream's draws are served from its expansion in setup (a wrong stretch breaks every triple),
 * the probe-sized arena needs no new chunk, and the logits and byte counters equal a run without it
 * bit for bit. A record of another program (another sequence length) misses and draws live: the same
 * values again. */
Test(infer, party_setup_work_changes_no_value)
{
    tfm_config m;
    cr_assert_eq(tfm_config_named(&m, "bert-tiny"), TFM_OK);
    tfm_params w;
    tfm_params_alloc(&w, &m);
    tfm_params_init(&w, &m, 21);
    prep_run plain, prep, other;
    run_prepared(&m, &w, 12, 0, &plain);
    run_prepared(&m, &w, 12, 12, &prep);
    run_prepared(&m, &w, 12, 8, &other);
    for (int i = 0; i < 2; i++) {
        /* embedding table, position rows, its norm; per layer 6 linears (W, b) and 2 norms (g, b); pooler, classifier */
        size_t want = 2 + 2 + (size_t)m.L * (6 * 2 + 2 * 2) + 2 * 2;
        cr_expect_eq(prep.entries[i], want, "P%d: %zu model sharings recorded, %zu expected", i, prep.entries[i], want);
        cr_expect_eq(prep.hits[i], prep.entries[i], "P%d: %llu of %zu used", i, (unsigned long long)prep.hits[i],
                     prep.entries[i]);
        cr_expect_eq(prep.misses[i], 0);
        /* the dealer stream (P0: masks; P1: masks and result shares) expanded in setup, every draw served */
        cr_expect_gt(prep.dealer_bytes[i], 0);
        cr_expect_gt(prep.dealer_hits[i], 0);
        cr_expect_leq(other.dealer_bytes[i], prep.dealer_bytes[i], "a shorter job draws less");
        cr_expect_eq(prep.chunks_after[i], prep.chunks_before[i], "P%d: the arena grew online", i);
        cr_expect_eq(prep.sent[i], plain.sent[i]);
        cr_expect_eq(other.hits[i], 0);
        cr_expect_gt(other.misses[i], 0);
        cr_expect_eq(other.sent[i], plain.sent[i]);
    }
    for (int k = 0; k < m.NL; k++) {
        cr_expect(prep.logits[k] == plain.logits[k], "logit %d: %.17g with setup work, %.17g without", k,
                  prep.logits[k], plain.logits[k]);
        cr_expect(other.logits[k] == plain.logits[k], "logit %d: %.17g with a stale record, %.17g without", k,
                  other.logits[k], plain.logits[k]);
    }
    tfm_params_free(&w);
}

/* The shares themselves (the logits above do not see how a weight was shared: a Beaver product's
 * output shares depend only on its triple and the opened values). A job that interleaves other pair
 * draws with model sharings (zero-sharings, and sharings of P0's plaintext encoded in setup) and keeps
 * every model share: with the setup work, each party's shares are the ones drawn live, word for word,
 * and they share zero or P0's value. */
enum { ZS_N = 4, ZS_WORDS = 1000 };
typedef struct zs_arg {
    uint64_t out[2][ZS_N * ZS_WORDS];
} zs_arg;

static float zs_src[ZS_WORDS]; /* P0's "weights" (entries 1 and 3) */

static void zs_enc(uint64_t *sh, const float *src, size_t rows, size_t cols, int f)
{
    for (size_t i = 0; i < rows * cols; i++) sh[i] += (uint64_t)(int64_t)((double)src[i] * (double)(1 << f)) * 3;
}

static void zs_party(mpc_ctx *c, void *arg)
{
    zs_arg *a = arg;
    uint64_t other[64];
    for (int k = 0; k < ZS_N; k++) {
        mpc_przs(c, c->phantom ? NULL : other, (size_t)(3 + 17 * k)); /* another op's draw */
        size_t n = (size_t)(ZS_WORDS - 9 * k);
        uint64_t *z = k % 2 ? mpc_share_model_enc(c, n, zs_enc, c->self == NET_P0 ? zs_src : NULL, n, 1)
                            : mpc_share_model_zero(c, n);
        if (!c->phantom) memcpy(a->out[c->self] + k * ZS_WORDS, z, n * sizeof *z);
        mpc_share_model_release(c, z);
    }
}

Test(infer, model_sharings_drawn_in_setup_are_the_live_draws)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    for (int i = 0; i < ZS_WORDS; i++) zs_src[i] = (float)(i % 37) * 0.25f - 4.0f;
    static zs_arg plain, prep;
    memset(&plain, 0, sizeof plain);
    memset(&prep, 0, sizeof prep);
    rt_job j = {.cfg = &cfg, .seed = 6, .fn = zs_party, .arg = {&plain, &plain}};
    rt_sim_opts so = tu_session(&cfg, 0, 6);
    rt_result res;
    cr_assert_eq(rt_sim_job(&so, &j, &res), 0);
    rt_party_prep pp[2];
    arena *sc[2] = {arena_create(), arena_create()};
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(rt_party_prepare(&j, i, sc[i], &pp[i]), 0);
        cr_assert_eq(mpc_wcache_entries(pp[i].wc), ZS_N);
        so.wcache[i] = pp[i].wc;
    }
    j.arg[0] = j.arg[1] = &prep;
    cr_assert_eq(rt_sim_job(&so, &j, &res), 0);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(mpc_wcache_hits(pp[i].wc), ZS_N);
        cr_expect_eq(mpc_wcache_misses(pp[i].wc), 0);
        cr_expect_arr_eq(prep.out[i], plain.out[i], sizeof plain.out[i], "P%d's model shares", i);
        rt_party_prep_free(&pp[i]);
        arena_destroy(sc[i]);
    }
    int nonzero = 0;
    for (size_t w = 0; w < ZS_N * ZS_WORDS; w++) {
        size_t k = w / ZS_WORDS, i = w % ZS_WORDS, n = (size_t)(ZS_WORDS - 9 * (int)k);
        uint64_t want = k % 2 && i < n ? (uint64_t)(int64_t)((double)zs_src[i] * 65536.0) * 3 : 0;
        cr_assert_eq(prep.out[0][w] + prep.out[1][w], want, "entry %zu word %zu: not a sharing of P0's value", k, i);
        nonzero += prep.out[0][w] != 0;
    }
    cr_expect_gt(nonzero, ZS_N * (ZS_WORDS - 30) - 10, "the shares are random words");
}

/* ---- the shared keystreams (rt_sim.h, common/rng_tee.h) ---- */

/* One bert-tiny inference (real mode, seed 9) under cfg, with the simulator's tees (tee_off = 0: fresh
 * per run, or the caller's `keep`) or without (1); measured: the `measured` compute model. */
typedef struct tee_run {
    double logits[8];
    rt_result res;
    rng_tee_stats st[3];
} tee_run;

/* An analytic compute model (PRG bytes included: the tees must not change what is charged). */
static int64_t tee_cost(void *ud, const net_work *w)
{
    (void)ud;
    return (int64_t)(w->ring_macs / 8 + w->elem_ops / 4 + w->prg_bytes / 2);
}

static void run_tee(const tfm_config *m, const tfm_params *w, const mpc_config *cfg, int tee_off, rng_tee **keep,
                    int measured, tee_run *out)
{
    int tokens[12];
    for (int t = 0; t < 12; t++) tokens[t] = 5 + (t * 11) % (m->V - 5);
    rt_infer inf;
    rt_job j;
    rt_infer_job(&j, &inf, cfg, 0, 9, m, 12, w, tokens, NULL, NULL);
    rt_sim_opts so = tu_session(cfg, 0, 9);
    memset(out, 0, sizeof *out);
    so.tee_off = tee_off;
    so.tee_stats = out->st;
    so.measured = measured;
    so.cost = measured ? NULL : tee_cost;
    for (int k = 0; k < 3 && keep; k++) so.tee[k] = keep[k];
    cr_assert_eq(rt_sim_job(&so, &j, &out->res), 0);
    memcpy(out->logits, inf.logits, (size_t)m->NL * sizeof(double));
    rt_infer_free(&inf);
}

/* Each shared keystream computed once in the process changes no value: the logits and every counter of
 * the result (bytes, messages, rounds, virtual times under an analytic compute model) equal a run where
 * every holder computes its own, under both dealer schedules and for both families (the core kinds'
 * in-place replay, the fss family's copies), with fresh tees and with tees reused across runs. And the
 * tees did serve: every block of the three streams was computed by one holder and served to the other
 * (whichever led), so the blocks served equal the blocks computed (a run that silently bypassed a tee
 * would fail here). No tee under the `measured` compute model. */
Test(infer, shared_keystreams_change_no_value, .timeout = 300)
{
    tfm_config m;
    cr_assert_eq(tfm_config_named(&m, "bert-tiny"), TFM_OK);
    tfm_params w;
    tfm_params_alloc(&w, &m);
    tfm_params_init(&w, &m, 23);
    rng_tee *keep[3];
    for (int k = 0; k < 3; k++) keep[k] = rng_tee_create(RT_SIM_TEE_BYTES);
    for (int c = 0; c < 3; c++) {
        mpc_config cfg;
        if (c < 2) {
            mpc_config_default(&cfg);
            cfg.dealer_schedule = c ? MPC_DEALER_INLINE : MPC_DEALER_OFFLINE;
        } else {
            mpc_family_find("fss")->config_default(&cfg);
        }
        static tee_run plain, fresh, kept;
        run_tee(&m, &w, &cfg, 1, NULL, 0, &plain);
        run_tee(&m, &w, &cfg, 0, NULL, 0, &fresh);
        for (int r = 0; r < 2; r++) { /* the second run reuses the emptied rings */
            run_tee(&m, &w, &cfg, 0, keep, 0, &kept);
            for (int k = 0; k < m.NL; k++)
                cr_expect(kept.logits[k] == plain.logits[k], "case %d run %d logit %d", c, r, k);
            cr_expect(!memcmp(&kept.res, &plain.res, sizeof plain.res), "case %d run %d: the results differ", c, r);
        }
        for (int k = 0; k < m.NL; k++)
            cr_expect(fresh.logits[k] == plain.logits[k], "case %d logit %d: %.17g with tees, %.17g without", c, k,
                      fresh.logits[k], plain.logits[k]);
        cr_expect(!memcmp(&fresh.res, &plain.res, sizeof plain.res), "case %d: the results differ", c);
        cr_expect_eq(fresh.res.stats[0].total.sent_bytes[1], plain.res.stats[0].total.sent_bytes[1]);
        cr_expect_eq(fresh.res.latency_ns, plain.res.latency_ns);
        cr_expect_gt(fresh.res.stats[0].total.compute_ns, 0, "the compute model charged nothing");
        cr_expect_eq(fresh.res.stats[0].total.compute_ns, plain.res.stats[0].total.compute_ns);
        for (int k = 0; k < 3; k++) {
            cr_expect_eq(plain.st[k].served[0] + plain.st[k].served[1] + plain.st[k].computed[0], 0, "no tee: no counts");
            const rng_tee_stats *s = &fresh.st[k];
            uint64_t computed = s->computed[0] + s->computed[1], served = s->served[0] + s->served[1];
            cr_expect_gt(served, 0, "case %d tee %d served nothing", c, k);
            cr_expect_eq(served, computed, "case %d tee %d: %llu blocks computed, %llu served (each once: equal)", c,
                         k, (unsigned long long)computed, (unsigned long long)served);
            cr_expect(!memcmp(&kept.st[k], s, sizeof *s), "case %d tee %d: reused rings count otherwise", c, k);
        }
    }
    /* The `measured` compute model charges CPU time per actor: no tee there (its stats stay untouched). */
    mpc_config cfg;
    mpc_config_default(&cfg);
    static tee_run meas;
    run_tee(&m, &w, &cfg, 0, keep, 1, &meas);
    for (int k = 0; k < 3; k++) {
        cr_expect_eq(meas.st[k].computed[0] + meas.st[k].computed[1] + meas.st[k].served[1], 0, "a tee under measured");
        rng_tee_destroy(keep[k]);
    }
    tfm_params_free(&w);
}

/* A batch of B examples draws B times a lone run's keystream before D replays it (the one-hot
 * embedding's triple share first): rings of RT_SIM_TEE_BYTES_BATCH(B) still serve every shared block,
 * where a lone run's RT_SIM_TEE_BYTES ring falls behind and D computes the rest again. The model: one
 * layer, hidden 32, a vocabulary of 8192 (as the accuracy models'), 64 tokens: a party's share of the
 * one-hot triple is 8192 x 64 words = 4 MiB an example, 36 MiB for B = 9. */
Test(infer, batch_tees_scale_with_the_batch, .timeout = 300)
{
    tfm_config m;
    cr_assert_eq(tfm_config_named(&m, "bert-tiny"), TFM_OK);
    m.V = 8192, m.L = 1;
    tfm_params w;
    tfm_params_alloc(&w, &m);
    tfm_params_init(&w, &m, 5);
    enum { B = 9, T = 64 };
    static int tokens[B * T];
    for (int t = 0; t < B * T; t++) tokens[t] = 5 + (t * 131) % (m.V - 5);
    mpc_config cfg;
    mpc_config_default(&cfg);
    uint64_t short_of[2];
    for (int big = 0; big < 2; big++) {
        rng_tee *tee[3];
        for (int k = 0; k < 3; k++) tee[k] = rng_tee_create(big ? RT_SIM_TEE_BYTES_BATCH(B) : RT_SIM_TEE_BYTES);
        rng_tee_stats st[3];
        rt_infer inf;
        rt_job j;
        rt_infer_job_batch(&j, &inf, &cfg, 0, 9, &m, T, B, &w, tokens, NULL, NULL);
        rt_sim_opts so = tu_session(&cfg, 0, 9);
        so.tee_stats = st;
        for (int k = 0; k < 3; k++) so.tee[k] = tee[k];
        rt_result res;
        cr_assert_eq(rt_sim_job(&so, &j, &res), 0);
        short_of[big] = 0;
        for (int k = 0; k < 3; k++) {
            uint64_t computed = st[k].computed[0] + st[k].computed[1], served = st[k].served[0] + st[k].served[1];
            cr_assert_leq(served, computed);
            short_of[big] += computed - served; /* blocks computed twice (by both holders) */
        }
        rt_infer_free(&inf);
        for (int k = 0; k < 3; k++) rng_tee_destroy(tee[k]);
    }
    cr_expect_eq(short_of[1], 0, "batch-sized rings: %llu blocks computed by both holders", (unsigned long long)short_of[1]);
    cr_expect_gt(short_of[0], (uint64_t)(4u << 20) / 64, "a lone run's ring was enough for the batch (%llu blocks short)",
                 (unsigned long long)short_of[0]);
    tfm_params_free(&w);
}

/* ---- receiving in place: a whole inference on the lent path and on the plain (copying) one ---- */

typedef struct wire_hash {
    uint64_t h, msgs;
} wire_hash;

static void wire_sink(void *ud, const net_trace_rec *r)
{
    wire_hash *wh = ud;
    int64_t meta[8] = {r->src, r->dst, (int64_t)r->bytes, r->tag, (int64_t)r->label, r->t_send, r->t_arrive,
                       r->payload != NULL};
    const unsigned char *b = (const unsigned char *)meta;
    for (size_t i = 0; i < sizeof meta; i++) wh->h = (wh->h ^ b[i]) * 1099511628211ull;
    b = r->payload;
    for (size_t i = 0; b && i < r->bytes; i++) wh->h = (wh->h ^ b[i]) * 1099511628211ull;
    wh->msgs++;
}

static void run_lending(const tfm_config *m, const tfm_params *w, int lending, double *logits, rt_result *res,
                        wire_hash *wh)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    int tokens[12];
    for (int t = 0; t < 12; t++) tokens[t] = 3 + (t * 7) % (m->V - 3);
    rt_infer inf;
    rt_job j;
    rt_infer_job(&j, &inf, &cfg, 0, 4, m, 12, w, tokens, NULL, NULL);
    rt_sim_opts so = tu_session(&cfg, 0, 4);
    *wh = (wire_hash){14695981039346656037ull, 0};
    so.trace[0] = wire_sink;
    so.trace_ud[0] = wh;
    net_set_lending(lending);
    int rc = rt_sim_job(&so, &j, res);
    net_set_lending(1);
    cr_assert_eq(rc, 0);
    memcpy(logits, inf.logits, (size_t)m->NL * sizeof(double));
    rt_infer_free(&inf);
}

/* Openings that read the other party's message where it lies (net_recv_lend) change nothing: the logits,
 * every message byte for byte and every counter equal those of the plain path (received into a buffer). */
Test(infer, lent_receives_change_no_logit_message_or_counter)
{
    tfm_config m;
    cr_assert_eq(tfm_config_named(&m, "bert-tiny"), TFM_OK);
    tfm_params w;
    tfm_params_alloc(&w, &m);
    tfm_params_init(&w, &m, 21);
    double lg[2][8];
    static rt_result res[2];
    wire_hash wh[2];
    run_lending(&m, &w, 1, lg[0], &res[0], &wh[0]);
    run_lending(&m, &w, 0, lg[1], &res[1], &wh[1]);
    for (int k = 0; k < m.NL; k++)
        cr_expect(lg[0][k] == lg[1][k], "logit %d: %.17g lent, %.17g plain", k, lg[0][k], lg[1][k]);
    cr_expect_eq(wh[0].msgs, wh[1].msgs);
    cr_expect_gt(wh[0].msgs, 100);
    cr_expect_eq(wh[0].h, wh[1].h, "the messages differ");
    for (int i = 0; i < 3; i++) {
        cr_expect_arr_eq(&res[0].stats[i].total, &res[1].stats[i].total, sizeof res[0].stats[i].total, "party %d", i);
        cr_expect_arr_eq(res[0].stats[i].tag, res[1].stats[i].tag, sizeof res[0].stats[i].tag, "party %d's tags", i);
    }
    cr_expect_eq(res[0].latency_ns, res[1].latency_ns);
    cr_expect_eq(res[0].rounds, res[1].rounds);
    cr_expect_eq(res[0].dealer_bytes, res[1].dealer_bytes);
    tfm_params_free(&w);
}

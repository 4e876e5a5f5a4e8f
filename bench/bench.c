/* bench.c -- real-mode per-op wall time with both parties (and the dealer) in one process, at
 * BERT-base shapes. Writes CSV (never part of the tests): op, shape, mode, reps, wall_s_median,
 * wall_s_min, rounds, online_sent_bytes_p0, dealer_bytes. Wall time covers the whole simulated
 * session (setup, dealer, both parties' arithmetic, serialised on one core by the actor baton).
 * Machine facts go in the header comment line. Also results/bench_kernels.csv: the compute kernels
 * one by one (the ring matmul and the ChaCha20 keystream, every implementation this CPU runs; a stream
 * shared by two holders, plain or through a tee), CPU time on one kernel thread
 * (MPCSIM_BENCH_KERNELS_ONLY=1: those rows only). */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../experiments/xp_out.h"
#include "../runtime/rt_ops.h"
#include "../experiments/xp_schema.h"
#include "../common/par.h"
#include "../common/rng.h"
#include "../common/rng_internal.h"
#include "../common/rng_tee.h"
#include "../protocols/mpc_ring_internal.h"
#include "bench_fss.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Calibration of the analytic compute model on this machine: ring MACs (mpc_ring_matmul, 256^3),
 * elementwise ring ops (a fused add/mul loop) and ChaCha20 PRG bytes, one core. */
static void calibrate(const char *path)
{
    size_t m = 256, n = m * m;
    uint64_t *X = malloc(n * 8), *Y = malloc(n * 8), *Z = malloc(n * 8);
    rng r;
    rng_seed(&r, 1, 1);
    rng_fill_u64(&r, X, n);
    rng_fill_u64(&r, Y, n);
    double best_mac = 0, best_elem = 0, best_prg = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_s();
        mpc_ring_matmul(Z, X, Y, m, m, m);
        double t1 = now_s();
        if ((double)(m * m * m) / (t1 - t0) > best_mac) best_mac = (double)(m * m * m) / (t1 - t0);
        t0 = now_s();
        for (int k = 0; k < 50; k++)
            for (size_t i = 0; i < n; i++) Z[i] = Z[i] * 3 + X[i] - Y[i];
        t1 = now_s();
        if (50.0 * 3 * n / (t1 - t0) > best_elem) best_elem = 50.0 * 3 * n / (t1 - t0);
        t0 = now_s();
        for (int k = 0; k < 20; k++) rng_fill_u64(&r, Z, n);
        t1 = now_s();
        if (20.0 * 8 * n / (t1 - t0) > best_prg) best_prg = 20.0 * 8 * n / (t1 - t0);
    }
    volatile uint64_t sink = Z[n / 2];
    (void)sink;
    xp_out o;
    if (xp_out_open(&o, path) == 0) {
        fprintf(o.f, "# compute profile of this machine (profile:local): ring_macs_per_s, elem_ops_per_s, prg_bytes_per_s\n");
        xp_rows w;
        xp_rows_open(&w, o.f, &xp_schema_compute_profile, XP_ROWS_CSV);
        xp_rows_str(&w, "name", "local");
        xp_rows_real(&w, "mac_per_s", best_mac);
        xp_rows_real(&w, "elem_per_s", best_elem);
        xp_rows_real(&w, "prg_bytes_per_s", best_prg);
        xp_rows_end(&w);
        if (xp_out_close(&o) == 0)
            fprintf(stderr, "bench: compute profile: %.3g MAC/s, %.3g elem/s, %.3g PRG B/s -> %s\n", best_mac, best_elem,
                    best_prg, path);
    }
    free(X), free(Y), free(Z);
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void kernel_row(xp_rows *w, const char *kernel, const char *impl, const char *shape, uint64_t work, int reps,
                       double best)
{
    xp_rows_str(w, "kernel", kernel);
    xp_rows_str(w, "impl", impl);
    xp_rows_str(w, "shape", shape);
    xp_rows_uint(w, "work", work);
    xp_rows_int(w, "reps", reps);
    xp_rows_real(w, "cpu_s_min", best);
    xp_rows_real(w, "rate_g_per_s", (double)work / best * 1e-9);
    xp_rows_end(w);
    fprintf(stderr, "bench: %-11s %-8s %-14s %.2f G/s\n", kernel, impl, shape, (double)work / best * 1e-9);
}

/* One repetition of the shared keystream as the simulator's dealer streams use it (rt_sim.h): a party
 * draws n bytes, then D replays them and reads them once; `tee` = 0: each computes its own (the plain
 * path), 1: through a tee (rng_tee.h: the party computes into the ring and copies out, D reads in
 * place). 64 MiB of stream. Returns the CPU seconds of both. */
static double shared_keystream(int tee, size_t n)
{
    rng_tee *t = tee ? rng_tee_create((size_t)32 << 20) : NULL;
    uint64_t *mine = malloc(n), *theirs = malloc(n), sum = 0;
    rng a, b;
    rng_seed(&a, 2, 1), rng_seed(&b, 2, 1);
    if (t) rng_tee_attach(t, &a, 0), rng_tee_attach(t, &b, 1);
    double t0 = cpu_s();
    for (size_t q = 0; q < ((size_t)64 << 20) / n; q++) {
        rng_fill_u64(&a, mine, n / 8);
        const uint64_t *p = t ? rng_tee_take(&b, n) : NULL;
        if (!p) rng_fill_u64(&b, theirs, n / 8), p = theirs;
        for (size_t i = 0; i < n / 8; i++) sum += p[i];
    }
    double dt = cpu_s() - t0;
    volatile uint64_t sink = sum + mine[0];
    (void)sink;
    free(mine), free(theirs);
    rng_tee_destroy(t);
    return dt;
}

/* The kernels one by one on one kernel thread: the ring matmul at the one-hot embedding's product
 * (accuracy-shape model, vocabulary 8192), a BERT-base projection and the accuracy shape's FFN
 * (repeated to at least 5 10^8 MACs a repetition); the keystream over 8 MiB calls. Best of 5. */
static void kernels(const char *path)
{
    static const size_t shapes[][3] = {{128, 8192, 128}, {128, 768, 768}, {128, 128, 512}};
    static const char *const ring_names[] = {"auto", "portable", "avx2", "avx512", "amx"};
    enum { REPS = 5 };
    int saved = par_threads();
    par_set_threads(1);
    xp_out o;
    if (xp_out_open(&o, path) != 0) return;
    fprintf(o.f, "# mpcsim bench: compute kernels, one kernel thread, CPU time\n");
    xp_rows w;
    xp_rows_open(&w, o.f, &xp_schema_bench_kernels, XP_ROWS_CSV);
    rng r;
    rng_seed(&r, 1, 3);
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        size_t m = shapes[s][0], k = shapes[s][1], p = shapes[s][2];
        uint64_t *X = malloc(m * k * 8), *Y = malloc(k * p * 8), *Z = calloc(m * p, 8);
        rng_fill_u64(&r, X, m * k);
        rng_fill_u64(&r, Y, k * p);
        uint64_t macs = (uint64_t)(m * k * p), inner = (500000000 + macs - 1) / macs;
        char shape[64];
        snprintf(shape, sizeof shape, "%zux%zux%zu", m, k, p);
        for (int impl = MPC_RING_PORTABLE; impl <= MPC_RING_AMX; impl++) {
            if (!mpc_ring_impl_available_(impl)) continue;
            double best = 1e30;
            for (int rep = 0; rep < REPS; rep++) {
                double t0 = cpu_s();
                for (uint64_t q = 0; q < inner; q++) mpc_ring_matmul_acc_impl_(Z, X, Y, m, k, p, impl);
                double t = cpu_s() - t0;
                if (t < best) best = t;
            }
            kernel_row(&w, "ring_matmul", ring_names[impl], shape, macs * inner, REPS, best);
        }
        free(X), free(Y), free(Z);
    }
    size_t nb = (size_t)1 << 17; /* 8 MiB */
    uint8_t *buf = malloc(nb * 64), key[32] = {1, 2, 3}, nonce[8] = {0};
    static const char *const rng_names[] = {"auto", "libsodium", "avx512"};
    for (int impl = RNG_IMPL_REF; impl <= RNG_IMPL_AVX512; impl++) {
        if (!rng_impl_available_(impl)) continue;
        double best = 1e30;
        for (int rep = 0; rep < REPS; rep++) {
            double t0 = cpu_s();
            for (uint64_t q = 0; q < 10; q++) rng_keystream_(buf, key, nonce, q * nb, nb, impl);
            double t = cpu_s() - t0;
            if (t < best) best = t;
        }
        kernel_row(&w, "chacha20", rng_names[impl], "8388608", 10 * (uint64_t)nb * 64, REPS, best);
    }
    free(buf);
    /* the shared keystream, per byte of stream (both holders' CPU time): an FFN-sized draw, 8 MiB */
    static const size_t draws[] = {131072, 8388608};
    for (size_t s = 0; s < sizeof draws / sizeof *draws; s++)
        for (int tee = 0; tee < 2; tee++) {
            double best = 1e30;
            for (int rep = 0; rep < REPS; rep++) {
                double t = shared_keystream(tee, draws[s]);
                if (t < best) best = t;
            }
            char shape[32];
            snprintf(shape, sizeof shape, "%zu", draws[s]);
            kernel_row(&w, "shared_keystream", tee ? "tee" : "plain", shape, (uint64_t)64 << 20, REPS, best);
        }
    xp_out_close(&o);
    par_set_threads(saved);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "results/bench.csv";
    /* MPCSIM_BENCH_FSS_ONLY=dpf,example,...: only those fss rows (bench_fss.h), no crypten ops */
    int fss_only = getenv("MPCSIM_BENCH_FSS_ONLY") != NULL;
    if (!fss_only) kernels("results/bench_kernels.csv");
    if (getenv("MPCSIM_BENCH_KERNELS_ONLY")) return 0;
    if (!fss_only) calibrate("results/compute_profile.csv");
    static const struct { const char *op, *shape; int reps; } cases[] = {
        {"matmul", "128x768@768x768", 3},
        {"softmax", "12x128x128", 3},
        {"gelu_tanh", "128x3072", 3},
        {"gelu_erf", "128x3072", 3},
        {"mul", "128x3072", 5},
        {"layer_norm", "128x768", 3},
    };
    xp_out o;
    if (xp_out_open(&o, path) != 0) return 1;
    fprintf(o.f, "# mpcsim bench: real mode, both parties and the dealer in one process; OPENBLAS_CORETYPE=%s\n",
            getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "(unset)");
    xp_rows w;
    xp_rows_open(&w, o.f, &xp_schema_bench, XP_ROWS_CSV);
    mpc_config cfg;
    mpc_config_default(&cfg);
    for (size_t c = 0; !fss_only && c < sizeof cases / sizeof *cases; c++) {
        const rt_opdef *op = rt_op_find(cases[c].op);
        if (!op) {
            fprintf(stderr, "bench: op %s not available yet, skipped\n", cases[c].op);
            continue;
        }
        rt_shape s;
        char err[256];
        if (rt_shape_parse(&s, cases[c].shape, op->kind == RT_SHAPE_MATMUL, err, sizeof err) != 0) {
            fprintf(stderr, "bench: %s\n", err);
            continue;
        }
        double t[16];
        rt_op_outcome oc;
        for (int r = 0; r < cases[c].reps; r++) {
            rt_sim_opts so;
            memset(&so, 0, sizeof so);
            so.cfg = &cfg;
            so.seed = 1 + (uint64_t)r;
            nm_linkspec l = {.bps = 3000000000ull, .latency_ns = 400000};
            nm_topology_init(&so.topo, 3, &l);
            double t0 = now_s();
            if (rt_op_run(op, &s, &so, 0, &oc) != 0) return 1;
            t[r] = now_s() - t0;
        }
        qsort(t, (size_t)cases[c].reps, sizeof *t, cmp_d);
        xp_rows_str(&w, "op", op->name);
        xp_rows_str(&w, "shape", s.text);
        xp_rows_str(&w, "mode", "real");
        xp_rows_int(&w, "reps", cases[c].reps);
        xp_rows_real(&w, "wall_s_median", t[cases[c].reps / 2]);
        xp_rows_real(&w, "wall_s_min", t[0]);
        xp_rows_uint(&w, "rounds", oc.res.rounds);
        xp_rows_uint(&w, "online_sent_bytes_p0", rt_online_sent(&oc.res, 0));
        xp_rows_uint(&w, "dealer_bytes", oc.res.dealer_bytes);
        xp_rows_end(&w);
        fprintf(stderr, "bench: %-10s %-16s median %.3f s\n", op->name, s.text, t[cases[c].reps / 2]);
    }
    bench_fss_rows(o.f); /* the fss family's rows (bench_fss.c) */
    return xp_out_close(&o) == 0 ? 0 : 1;
}

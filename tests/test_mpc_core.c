/* test_mpc_core.c -- sharing, opening, local ops and the Beaver family: values against double
 * references, exact costs against the closed forms, real == phantom traces, dealer checks. */
#include <criterion/criterion.h>
#include <math.h>

#include "../common/fx.h"
#include "../common/par.h"
#include "testutil.h"
#include "../net/net_sim.h"
#include "../protocols/crypten/mpc_cmp.h"
#include "../protocols/mpc_beaver.h"
#include "../protocols/mpc_trunc_safe.h"
#include "../protocols/mpc_ring_internal.h"

static mpc_config cfg;
static void setup(void) { mpc_config_default(&cfg); }

/* Tolerance for one truncated product of |x|,|y| <= 10 at f = 16: the product truncation errs by
 * < 2 ulp and the inputs' own encodings by 1 ulp each times |other| <= 10: 25 ulp. */
#define ULP (1.0 / 65536)

Test(mpc_core, mul_values_costs_and_phantom, .init = setup)
{
    const char *shapes[] = {"1", "1000", "12x34"};
    for (int k = 0; k < 3; k++) {
        rt_op_outcome o = tu_check_op("mul", shapes[k], &cfg);
        for (size_t i = 0; i < o.nout; i++)
            cr_expect(fabs(o.got[i] - o.want[i]) <= 25 * ULP, "mul[%zu] = %g, want %g", i, o.got[i], o.want[i]);
        rt_op_outcome_free(&o);
    }
}

Test(mpc_core, matmul_values_costs_and_phantom, .init = setup)
{
    /* Entries in [-1,1], k terms: encoding error <= k * 2 ulp, plus truncation 2 ulp. */
    const char *shapes[] = {"5x7@7x3", "16x32@32x8", "3x4x5@3x5x2", "2x6x4@4x3"};
    for (int k = 0; k < 4; k++) {
        rt_op_outcome o = tu_check_op("matmul", shapes[k], &cfg);
        for (size_t i = 0; i < o.nout; i++)
            cr_expect(fabs(o.got[i] - o.want[i]) <= (2 * 32 + 2) * ULP, "matmul %s [%zu] = %g, want %g", shapes[k], i,
                      o.got[i], o.want[i]);
        rt_op_outcome_free(&o);
    }
}

Test(mpc_core, square_values_costs_and_phantom, .init = setup)
{
    const char *shapes[] = {"1", "777"};
    for (int k = 0; k < 2; k++) {
        rt_op_outcome o = tu_check_op("square", shapes[k], &cfg);
        for (size_t i = 0; i < o.nout; i++)
            cr_expect(fabs(o.got[i] - o.want[i]) <= 25 * ULP, "square[%zu] = %g, want %g", i, o.got[i], o.want[i]);
        rt_op_outcome_free(&o);
    }
}

/* ---- the dealer's round trip and the opening (dealer.h, dealer_collect) ---- */

typedef struct overlap_run {
    mpc_config cfg;
    int64_t t0[2], t1[2];
    int rc_d;
} overlap_run;

static void overlap_party(net_party *p, void *arg)
{
    overlap_run *r = arg;
    mpc_ctx c;
    mpc_ctx_init(&c, p, &r->cfg, 1, 7);
    cr_assert_eq(mpc_setup(&c), NET_OK);
    r->t0[p->self] = net_now(p);
    mpc_mul(&c, NULL, NULL, NULL, 1, 1000, MPC_BC_NONE, 0);
    r->t1[p->self] = net_now(p);
}

static void overlap_dealer(net_party *p, void *arg)
{
    overlap_run *r = arg;
    dealer_ctx d;
    dealer_init(&d, p, 1, 7);
    r->rc_d = dealer_setup(&d);
    if (r->rc_d == NET_OK) r->rc_d = dealer_serve(&d);
}

/* P1's time for one mul of 1000 elements when the dealer sits 10 ms away (its links are ordinary
 * links here, not offline ones) and P0-P1 is 1 Gbit/s, 1 ms one way. */
static int64_t overlap_p1_mul_ns(int schedule)
{
    overlap_run r;
    memset(&r, 0, sizeof r);
    mpc_config_default(&r.cfg);
    r.cfg.dealer_schedule = schedule;
    nm_linkspec pp = {.bps = 1000000000, .latency_ns = 1000000}, pd = {.bps = 1000000000, .latency_ns = 10000000};
    nm_topology t;
    nm_topology_init(&t, 3, &pp);
    nm_topology_set(&t, NET_P0, NET_D, &pd);
    nm_topology_set(&t, NET_P1, NET_D, &pd);
    net_sim *s = net_sim_create(&t);
    net_party_fn fn[3] = {overlap_party, overlap_party, overlap_dealer};
    void *arg[3] = {&r, &r, &r};
    cr_assert_eq(net_sim_run(s, fn, arg), NET_OK);
    net_sim_destroy(s);
    cr_assert_eq(r.rc_d, NET_OK);
    cr_assert_eq(r.t0[0], r.t0[1], "both parties end the setup together (%lld, %lld)", (long long)r.t0[0],
                 (long long)r.t0[1]);
    return r.t1[1] - r.t0[1];
}

Test(mpc_core, offline_schedule_overlaps_the_dealer_round_trip)
{
    /* Offline: P0's opening (16000 B: 128 us) leaves at once, and P1 is done one latency later while
     * the correction is still on its way to P0. */
    cr_expect_eq(overlap_p1_mul_ns(MPC_DEALER_OFFLINE), 1000000 + 128000);
    /* Inline (CrypTen's order): P0 opens only after the correction (8000 B) is back: a 48-byte request
     * (384 ns) and the correction (64 us) on the 10 ms links first. */
    cr_expect_eq(overlap_p1_mul_ns(MPC_DEALER_INLINE), 384 + 10000000 + 64000 + 10000000 + 128000 + 1000000);
}

Test(mpc_core, closed_forms)
{
    mpc_cost c = mpc_mul_cost(4, 8, MPC_BC_ROW);
    cr_expect_eq(c.rounds, 1);
    cr_expect_eq(c.sent[0], 8 * (32 + 4));
    cr_expect_eq(c.dealer_words, 32);
    c = mpc_matmul_cost(12, 128, 64, 128, 0);
    cr_expect_eq(c.sent[1], 8 * (12 * 128 * 64 * 2));
    cr_expect_eq(c.dealer_words, 12 * 128 * 128);
    c = mpc_and_cost(10);
    cr_expect_eq(c.sent[0], 160);
    cr_expect_eq(mpc_cost_rounds(c, MPC_DEALER_INLINE), 3);
}

/* ---- direct protocol-level checks with a custom party function ---- */

typedef struct {
    uint64_t x[64], y[64], z[64], open[64], bits[64];
} core_io;

static void core_party(mpc_ctx *c, void *arg)
{
    core_io *io = arg;
    uint64_t xs[64], ys[64], t[64];
    /* P1 shares x, P0 shares y. */
    mpc_share(c, xs, io->x, 64, NET_P1);
    mpc_share(c, ys, io->y, 64, NET_P0);
    /* Local ops: z = 3x - y + 1.5, then /2 and rowsum-free checks; open to both. */
    mpc_mul_int(c, t, xs, 3, 64);
    mpc_sub(c, t, t, ys, 64);
    mpc_add_const(c, t, t, fx_encode(1.5, 16), 64);
    mpc_div_int(c, t, t, 2, 64);
    mpc_open(c, io->open, t, 64);
    /* Binary: AND of XOR-sharings of x and y words. */
    uint64_t xb[64], yb[64], zb[64];
    mpc_share_bin(c, xb, io->x, 64, NET_P1);
    mpc_share_bin(c, yb, io->y, 64, NET_P0);
    mpc_and(c, zb, xb, yb, 64);
    mpc_open_bin(c, io->bits, zb, 64);
    /* Broadcast mul: x (8x8) times one y value per row, and per column. */
    uint64_t zr[64], zc[64];
    mpc_mul(c, zr, xs, ys, 8, 8, MPC_BC_ROW, 1);
    mpc_mul(c, zc, xs, ys, 8, 8, MPC_BC_COL, 1);
    mpc_add(c, t, zr, zc, 64);
    mpc_open(c, io->z, t, 64);
}

Test(mpc_core, local_ops_binary_and_broadcast, .init = setup)
{
    core_io io[2];
    memset(io, 0, sizeof io);
    rng r;
    rng_seed(&r, 3, 3);
    double x[64], y[64];
    for (int i = 0; i < 64; i++) {
        x[i] = rng_range(&r, -5, 5);
        y[i] = rng_range(&r, -5, 5);
        io[NET_P1].x[i] = fx_encode(x[i], 16); /* only the owner holds its input */
        io[NET_P0].y[i] = fx_encode(y[i], 16);
    }
    rt_sim_opts o = tu_session(&cfg, 0, 11);
    void *args[2] = {&io[0], &io[1]};
    rt_result res;
    cr_assert_eq(rt_sim_run(&o, core_party, args, &res), 0);
    for (int i = 0; i < 64; i++) {
        double want = (3 * fx_decode(fx_encode(x[i], 16), 16) - fx_decode(fx_encode(y[i], 16), 16) + 1.5) / 2;
        cr_expect(fabs(fx_decode(io[0].open[i], 16) - want) <= 2 * ULP, "local ops [%d]", i);
        cr_expect_eq(io[0].open[i], io[1].open[i]);
        cr_expect_eq(io[0].bits[i], fx_encode(x[i], 16) & fx_encode(y[i], 16), "AND [%d]", i);
        int row = i / 8, col = i % 8;
        double want2 = x[i] * y[row] + x[i] * y[col];
        cr_expect(fabs(fx_decode(io[1].z[i], 16) - want2) <= 20 * ULP, "bcast mul [%d] %g vs %g", i,
                  fx_decode(io[1].z[i], 16), want2);
    }
    /* Costs: 3 opens (1 round each) + 1 AND + 2 muls = 6 rounds. */
    cr_expect_eq(res.rounds, 6);
    uint64_t sent = 8 * 64 * 3 + 16 * 64 + 8 * (64 + 8) + 8 * (64 + 8);
    cr_expect_eq(rt_online_sent(&res, 0), sent);
    cr_expect_eq(rt_online_sent(&res, 1), sent);
    cr_expect_eq(res.dealer_bytes, 8 * (64 + 64 + 64) + 3 * DEALER_REQ_BYTES);
}

Test(mpc_core, ring_matmul_fast_equals_naive)
{
    rng r;
    rng_seed(&r, 5, 5);
    size_t m = 37, k = 131, p = 29;
    uint64_t *X = malloc(m * k * 8), *Y = malloc(k * p * 8), *Z1 = malloc(m * p * 8), *Z2 = malloc(m * p * 8);
    rng_fill_u64(&r, X, m * k);
    rng_fill_u64(&r, Y, k * p);
    mpc_ring_matmul_naive(Z1, X, Y, m, k, p);
    mpc_ring_matmul(Z2, X, Y, m, k, p);
    cr_expect_arr_eq(Z1, Z2, m * p * 8);
    free(X), free(Y), free(Z1), free(Z2);
}

/* Every kernel this CPU runs (portable, AVX2, AVX-512: mpc_ring_internal.h) against the naive one, as
 * Z += X @ Y onto random Z: shapes around the AVX-512 kernel's blocks (8 rows, 24-column panels with
 * masked edges, 128-step k panels), entries drawn from edge values (0, 1, -1, 2^63, 2^32 +- 1, ...)
 * and random words. */
Test(mpc_core, ring_matmul_kernels_equal_naive)
{
    static const size_t ms[] = {1, 7, 8, 9, 17}, ks[] = {1, 5, 127, 128, 129, 300}, ps[] = {1, 7, 8, 9, 23, 24, 25, 49};
    static const uint64_t edge[] = {0, 1, UINT64_MAX, UINT64_C(1) << 63, (UINT64_C(1) << 63) - 1, UINT64_C(1) << 32,
                                    (UINT64_C(1) << 32) - 1, (UINT64_C(1) << 32) + 1, 0xFFFFFFFF00000000u, 65536};
    rng r;
    rng_seed(&r, 8, 8);
    int tested = 0;
    for (int impl = MPC_RING_PORTABLE; impl <= MPC_RING_AMX; impl++) {
        if (!mpc_ring_impl_available_(impl)) {
            cr_log_warn("ring matmul kernel %d not available on this CPU: not tested", impl);
            continue;
        }
        tested++;
        for (size_t a = 0; a < sizeof ms / sizeof *ms; a++)
            for (size_t b = 0; b < sizeof ks / sizeof *ks; b++)
                for (size_t c = 0; c < sizeof ps / sizeof *ps; c++) {
                    size_t m = ms[a], k = ks[b], p = ps[c];
                    uint64_t *X = malloc(m * k * 8), *Y = malloc(k * p * 8), *Z0 = malloc(m * p * 8),
                             *Z1 = malloc(m * p * 8);
                    rng_fill_u64(&r, X, m * k), rng_fill_u64(&r, Y, k * p), rng_fill_u64(&r, Z1, m * p);
                    for (size_t i = 0; i < m * k; i++)
                        if (X[i] % 3 == 0) X[i] = edge[X[i] % (sizeof edge / sizeof *edge)];
                    for (size_t i = 0; i < k * p; i++)
                        if (Y[i] % 3 == 0) Y[i] = edge[Y[i] % (sizeof edge / sizeof *edge)];
                    mpc_ring_matmul_naive(Z0, X, Y, m, k, p);
                    for (size_t i = 0; i < m * p; i++) Z0[i] += Z1[i];
                    mpc_ring_matmul_acc_impl_(Z1, X, Y, m, k, p, impl);
                    cr_assert_arr_eq(Z0, Z1, m * p * 8, "kernel %d, %zu x %zu x %zu", impl, m, k, p);
                    free(X), free(Y), free(Z0), free(Z1);
                }
    }
    cr_assert_geq(tested, 1);
}

/* Every kernel at the AMX kernel's exactness bounds (mpc_ring_amx.c): k past one flush of its 32-bit
 * accumulators (4096 steps) with every byte 0xFF (the largest byte products, the low sums at their
 * bound; at 17000 steps unflushed 32-bit sums would overflow), and patterned words; shapes cross its
 * 16 x 16 tiles and 64-step chunks. */
Test(mpc_core, ring_matmul_kernels_exact_at_long_k)
{
    static const size_t shapes[][3] = {{16, 4096, 16}, {17, 4097, 33}, {33, 8300, 18}, {3, 4160, 5}, {16, 17000, 16}};
    int tested = 0;
    for (int impl = MPC_RING_PORTABLE; impl <= MPC_RING_AMX; impl++) {
        if (!mpc_ring_impl_available_(impl)) continue;
        tested++;
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            for (int fill = 0; fill < 2; fill++) {
                size_t m = shapes[s][0], k = shapes[s][1], p = shapes[s][2];
                uint64_t *X = malloc(m * k * 8), *Y = malloc(k * p * 8), *Z0 = malloc(m * p * 8), *Z1 = malloc(m * p * 8);
                for (size_t i = 0; i < m * k; i++) X[i] = fill ? UINT64_C(0x80FF7F0180FF7F01) * (i % 7 + 1) : UINT64_MAX;
                for (size_t i = 0; i < k * p; i++) Y[i] = fill ? UINT64_C(0xFF80017FFF80017F) + i : UINT64_MAX;
                for (size_t i = 0; i < m * p; i++) Z0[i] = Z1[i] = i * UINT64_C(0x9E3779B97F4A7C15);
                uint64_t *N = malloc(m * p * 8);
                mpc_ring_matmul_naive(N, X, Y, m, k, p);
                for (size_t i = 0; i < m * p; i++) Z0[i] += N[i];
                mpc_ring_matmul_acc_impl_(Z1, X, Y, m, k, p, impl);
                cr_assert_arr_eq(Z0, Z1, m * p * 8, "kernel %d, %zu x %zu x %zu, fill %d", impl, m, k, p, fill);
                free(X), free(Y), free(Z0), free(Z1), free(N);
            }
    }
    cr_assert_geq(tested, 1);
}

/* The summed form Z += (X + X1) @ (Y + Y1 + Y2) on every kernel this CPU runs, each operand part
 * present or absent, shapes on both sides of AUTO's AMX bound and of its tiles and k blocks: the words
 * of the naive kernel on the sums. */
Test(mpc_core, ring_matmul_sum_kernels_equal_naive)
{
    static const size_t shapes[][3] = {{3, 5, 7}, {16, 64, 16}, {17, 1100, 33}, {40, 129, 20}};
    rng r;
    rng_seed(&r, 9, 9);
    int tested = 0;
    for (int impl = MPC_RING_AUTO; impl <= MPC_RING_AMX; impl++) {
        if (!mpc_ring_impl_available_(impl)) continue;
        tested++;
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            for (int parts = 0; parts < 8; parts++) { /* bit 0: X1, bit 1: Y1, bit 2: Y2 */
                size_t m = shapes[s][0], k = shapes[s][1], p = shapes[s][2];
                uint64_t *X = malloc(m * k * 8), *X1 = malloc(m * k * 8), *Y = malloc(k * p * 8), *Y1 = malloc(k * p * 8),
                         *Y2 = malloc(k * p * 8), *Xs = malloc(m * k * 8), *Ys = malloc(k * p * 8), *Z0 = malloc(m * p * 8),
                         *Z1 = malloc(m * p * 8);
                rng_fill_u64(&r, X, m * k), rng_fill_u64(&r, X1, m * k), rng_fill_u64(&r, Y, k * p);
                rng_fill_u64(&r, Y1, k * p), rng_fill_u64(&r, Y2, k * p), rng_fill_u64(&r, Z1, m * p);
                for (size_t i = 0; i < m * k; i++) Xs[i] = X[i] + (parts & 1 ? X1[i] : 0);
                for (size_t i = 0; i < k * p; i++) Ys[i] = Y[i] + (parts & 2 ? Y1[i] : 0) + (parts & 4 ? Y2[i] : 0);
                mpc_ring_matmul_naive(Z0, Xs, Ys, m, k, p);
                for (size_t i = 0; i < m * p; i++) Z0[i] += Z1[i];
                mpc_ring_matmul_acc_sum_impl_(Z1, X, parts & 1 ? X1 : NULL, Y, parts & 2 ? Y1 : NULL,
                                              parts & 4 ? Y2 : NULL, m, k, p, impl);
                cr_assert_arr_eq(Z0, Z1, m * p * 8, "kernel %d, %zu x %zu x %zu, parts %d", impl, m, k, p, parts);
                free(X), free(X1), free(Y), free(Y1), free(Y2), free(Xs), free(Ys), free(Z0), free(Z1);
            }
    }
    cr_assert_geq(tested, 2);
}

/* Large enough that the rows are split over the kernel threads (2^18 MACs a part): 1 and 2 threads
 * give the naive kernel's words exactly; the accumulating form adds onto Z. */
Test(mpc_core, ring_matmul_threads_equal_naive)
{
    rng r;
    rng_seed(&r, 6, 6);
    size_t m = 150, k = 300, p = 203;
    uint64_t *X = malloc(m * k * 8), *Y = malloc(k * p * 8), *Z0 = malloc(m * p * 8), *Z1 = malloc(m * p * 8),
             *Z2 = malloc(m * p * 8);
    rng_fill_u64(&r, X, m * k);
    rng_fill_u64(&r, Y, k * p);
    mpc_ring_matmul_naive(Z0, X, Y, m, k, p);
    int saved = par_threads();
    par_set_threads(1);
    mpc_ring_matmul(Z1, X, Y, m, k, p);
    par_set_threads(2);
    mpc_ring_matmul(Z2, X, Y, m, k, p);
    cr_expect_arr_eq(Z0, Z1, m * p * 8);
    cr_expect_arr_eq(Z0, Z2, m * p * 8);
    for (size_t i = 0; i < m * p; i++) Z1[i] = (uint64_t)i * 0x9E3779B97F4A7C15ull;
    mpc_ring_matmul_acc(Z1, X, Y, m, k, p);
    for (size_t i = 0; i < m * p; i++) cr_assert_eq(Z1[i], Z0[i] + (uint64_t)i * 0x9E3779B97F4A7C15ull, "acc at %zu", i);
    par_set_threads(saved);
    free(X), free(Y), free(Z0), free(Z1), free(Z2);
}

/* ---- receiving in place: the fused openings against the plain (copying) path ---- */

enum { LD_N = 96, LD_OUT = 12 * LD_N };

typedef struct lend_job {
    uint64_t out[2][LD_OUT]; /* each party's output shares of every op, in order */
} lend_job;

/* Every op that reads a lent message: open, open_bin, reveal_to (both ways), mul (plain and broadcast),
 * matmul, square, AND, the comparison circuit (A2B's ANDs and its binary opening), safe truncation. */
static void lend_party(mpc_ctx *c, void *arg)
{
    lend_job *j = arg;
    uint64_t x[LD_N], y[LD_N], xs[LD_N], ys[LD_N], yb[LD_N], *o = j->out[c->self];
    for (int i = 0; i < LD_N; i++) {
        x[i] = fx_encode((double)(i % 13) - 6.25, 16);
        y[i] = fx_encode(0.75 * (double)(i % 7) - 2.0, 16);
    }
    mpc_share(c, xs, x, LD_N, NET_P0);
    mpc_share(c, ys, y, LD_N, NET_P1);
    mpc_share_bin(c, yb, y, LD_N, NET_P1);
    uint64_t *w = c->phantom ? NULL : o;
    size_t k = 0;
#define SLOT() (w ? w + (k++) * LD_N : (k++, (uint64_t *)NULL))
    mpc_open(c, SLOT(), xs, LD_N);
    mpc_open_bin(c, SLOT(), yb, LD_N);
    mpc_reveal_to(c, SLOT(), xs, LD_N, NET_P0);
    mpc_reveal_to(c, SLOT(), ys, LD_N, NET_P1);
    mpc_mul(c, SLOT(), xs, ys, 1, LD_N, MPC_BC_NONE, 1);
    mpc_mul(c, SLOT(), xs, ys, 8, LD_N / 8, MPC_BC_ROW, 1);
    mpc_matmul(c, SLOT(), xs, ys, 1, 8, 12, 8, 0); /* 8x12 @ 12x8: 64 words */
    mpc_square(c, SLOT(), xs, LD_N);
    mpc_and(c, SLOT(), xs, ys, LD_N);
    mpc_ltz(c, SLOT(), xs, LD_N);
    mpc_a2b(c, SLOT(), ys, LD_N);
    mpc_trunc_safe(c, SLOT(), xs, 1 << 16, LD_N);
#undef SLOT
    cr_assert_eq(k, LD_OUT / LD_N);
}

/* FNV-1a over every message of a run: who, size, tag, label, times and the payload bytes. */
typedef struct wire_hash {
    uint64_t h, msgs;
} wire_hash;

static void hash_bytes(wire_hash *wh, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) wh->h = (wh->h ^ b[i]) * 1099511628211ull;
}

static void wire_sink(void *ud, const net_trace_rec *r)
{
    wire_hash *wh = ud;
    int64_t meta[8] = {r->src, r->dst, (int64_t)r->bytes, r->tag, (int64_t)r->label, r->t_send, r->t_arrive,
                       r->payload != NULL};
    hash_bytes(wh, meta, sizeof meta);
    if (r->payload) hash_bytes(wh, r->payload, r->bytes);
    wh->msgs++;
}

static void lend_run(const mpc_config *cf, int lending, lend_job *j, rt_result *res, wire_hash *wh)
{
    memset(j, 0, sizeof *j);
    *wh = (wire_hash){14695981039346656037ull, 0};
    rt_job job = {.cfg = cf, .seed = 11, .fn = lend_party, .arg = {j, j}};
    rt_sim_opts so = tu_session(cf, 0, 11);
    so.trace[0] = wire_sink;
    so.trace_ud[0] = wh;
    net_set_lending(lending);
    int rc = rt_sim_job(&so, &job, res);
    net_set_lending(1);
    cr_assert_eq(rc, 0);
}

/* The lent path (the simulator's own storage read in place) and the plain one (received into a buffer
 * first) give the same words, the same messages byte for byte and the same counters, under both dealer
 * schedules. */
Test(mpc_core, lent_openings_equal_the_plain_path_word_for_word, .init = setup)
{
    static lend_job lent, plain;
    for (int sched = 0; sched < 2; sched++) {
        mpc_config cf = cfg;
        cf.dealer_schedule = sched ? MPC_DEALER_INLINE : MPC_DEALER_OFFLINE;
        rt_result rl, rp;
        wire_hash hl, hp;
        lend_run(&cf, 1, &lent, &rl, &hl);
        lend_run(&cf, 0, &plain, &rp, &hp);
        for (int i = 0; i < 2; i++) {
            cr_expect_arr_eq(lent.out[i], plain.out[i], sizeof lent.out[i], "P%d's output shares (schedule %d)", i, sched);
            cr_expect_arr_eq(&rl.stats[i], &rp.stats[i], sizeof rl.stats[i], "P%d's counters", i);
            cr_expect_eq(rl.depth[i], rp.depth[i]);
            cr_expect_eq(rl.end_ns[i], rp.end_ns[i]);
        }
        cr_expect_eq(rl.stats[2].total.sent_bytes[NET_P0], rp.stats[2].total.sent_bytes[NET_P0]);
        cr_expect_eq(rl.dealer_bytes, rp.dealer_bytes);
        cr_expect_eq(rl.latency_ns, rp.latency_ns);
        cr_expect_eq(hl.msgs, hp.msgs);
        cr_expect_gt(hl.msgs, 20);
        cr_expect_eq(hl.h, hp.h, "the messages differ (schedule %d)", sched);
        /* and the values are right: the openings */
        for (int i = 0; i < LD_N; i++) {
            uint64_t x = fx_encode((double)(i % 13) - 6.25, 16), y = fx_encode(0.75 * (double)(i % 7) - 2.0, 16);
            for (int p = 0; p < 2; p++) {
                cr_assert_eq(lent.out[p][i], x);
                cr_assert_eq(lent.out[p][LD_N + i], y);
            }
            cr_assert_eq(lent.out[NET_P0][2 * LD_N + i], x);
            cr_assert_eq(lent.out[NET_P1][3 * LD_N + i], y);
            cr_assert_eq(lent.out[0][9 * LD_N + i] + lent.out[1][9 * LD_N + i], (uint64_t)(i % 13 < 7),
                         "ltz of word %d", i);
        }
    }
}

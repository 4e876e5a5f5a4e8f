/* test_mpc_trunc_safe.c -- the safe truncation (mpc_trunc_safe.h): exact to its ulp bound for every
 * share split over a large sample up to the ring's limit, exact rounds and bytes; the truncation
 * oracle (mpc_audit.h): a forced wrap is caught and attributed to its op, and the analytic wrap
 * probability matches the observed frequency on a weakened configuration. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "../common/fx.h"
#include "../protocols/mpc_audit.h"
#include "../protocols/mpc_beaver.h"
#include "../protocols/mpc_tags.h"
#include "../protocols/families.h"
#include "../protocols/mpc_trunc_safe.h"
#include "../experiments/xp_safety.h"
#include "testutil.h"

/* ---- a run: P1 shares x (n ring values), one op, both output shares kept ---- */

typedef struct trunc_run {
    size_t n;
    int64_t d;
    int op;              /* 0: mpc_trunc_div by d; 1: mpc_mul(x, y) with truncation; 2: mpc_trunc_safe */
    const uint64_t *x, *y;
    uint64_t *out[2];
} trunc_run;

static void trunc_party(mpc_ctx *c, void *arg)
{
    trunc_run *r = arg;
    int me = c->self;
    uint64_t *xs = c->phantom ? NULL : malloc(r->n * 8), *ys = c->phantom ? NULL : malloc(r->n * 8);
    mpc_share(c, xs, r->x, r->n, NET_P1);
    if (r->op == 1) mpc_share(c, ys, r->y, r->n, NET_P0);
    if (r->op == 0) mpc_trunc_div(c, r->out[me], xs, r->d, r->n);
    else if (r->op == 1) mpc_mul_n(c, r->out[me], xs, ys, r->n, 1);
    else mpc_trunc_safe(c, r->out[me], xs, r->d, r->n);
    free(xs), free(ys);
}

/* Runs and returns the reconstructed output (malloc'd); res gets the counters. */
static uint64_t *run(const mpc_config *cfg, trunc_run *r, mpc_audit *audit, uint64_t seed, rt_result *res)
{
    rt_sim_opts o = tu_session(cfg, 0, seed);
    o.audit = audit;
    for (int i = 0; i < 2; i++) r->out[i] = malloc(r->n * 8);
    void *args[2] = {r, r};
    rt_result local;
    cr_assert_eq(rt_sim_run(&o, trunc_party, args, res ? res : &local), 0);
    uint64_t *z = malloc(r->n * 8);
    for (size_t i = 0; i < r->n; i++) z[i] = r->out[0][i] + r->out[1][i];
    free(r->out[0]), free(r->out[1]);
    return z;
}

/* floor(x / d) for signed x. */
static int64_t floordiv(int64_t x, int64_t d)
{
    int64_t q = x / d;
    return (x % d != 0 && x < 0) ? q - 1 : q;
}

/* A sample over all magnitudes: |x| = 2^k u for k up to 61 (u in [1, 2)), both signs, and the domain's
 * edges (-2^62 and 2^62 - 1 for d = 2^f), zero and +-1. */
static uint64_t *sample(size_t n, int64_t d, uint64_t seed)
{
    rng g;
    rng_seed(&g, seed, 99);
    uint64_t *x = malloc(n * 8), B = mpc_trunc_safe_bias((uint64_t)d);
    for (size_t i = 0; i < n; i++) {
        uint64_t u = rng_u64(&g);
        int k = (int)(u % 62);
        uint64_t mag = (UINT64_C(1) << k) | ((rng_u64(&g) >> 1) & ((UINT64_C(1) << k) - 1));
        x[i] = (u >> 63) ? 0 - mag : mag;
    }
    uint64_t edges[] = {0 - B, 0 - B + 1, (UINT64_C(1) << 63) - B - 1, (UINT64_C(1) << 63) - B - 2, 0, 1, UINT64_MAX,
                        (uint64_t)d, 0 - (uint64_t)d, (uint64_t)d - 1};
    for (size_t i = 0; i < sizeof edges / sizeof *edges && i < n; i++) x[i] = edges[i];
    return x;
}

static void check_exact(int64_t d, size_t n, int lo_err, int hi_err)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    uint64_t *x = sample(n, d, (uint64_t)d);
    trunc_run r = {.n = n, .d = d, .op = 2, .x = x};
    rt_result res;
    uint64_t *z = run(&cfg, &r, NULL, 5, &res);
    size_t bad = 0, up = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert(mpc_trunc_safe_in_domain(x[i], (uint64_t)d), "sample %zu outside the domain", i);
        int64_t want = floordiv((int64_t)x[i], d), diff = (int64_t)(z[i] - (uint64_t)want);
        if (diff < lo_err || diff > hi_err) {
            if (bad++ < 5)
                cr_expect(0, "d %lld: x = %lld: got %lld, floor %lld", (long long)d, (long long)x[i], (long long)z[i],
                          (long long)want);
        }
        up += diff > 0;
    }
    cr_expect_eq(bad, 0, "d %lld: %zu of %zu results outside floor(x/d) + [%d, %d]", (long long)d, bad, n, lo_err, hi_err);
    /* Rounding is stochastic, not stuck on one side. */
    cr_expect(up > n / 10 && up < n - n / 10, "d %lld: rounded up %zu of %zu", (long long)d, up, n);
    /* Cost: 1 round, 8n B each way, 2n correction words + 1 request: by hand. */
    cr_expect_eq(res.rounds, 1);
    cr_expect_eq(rt_online_sent(&res, 0), 8 * n);
    cr_expect_eq(rt_online_sent(&res, 1), 8 * n);
    cr_expect_eq(res.dealer_bytes, 16 * n + 48);
    cr_expect_eq(res.dealer_requests, 1);
    free(x), free(z);
}

Test(trunc_safe, exact_to_one_ulp_power_of_two)
{
    check_exact(65536, 200000, 0, 1); /* d = 2^f: y in floor(x/d) + {0, 1} */
    check_exact(2, 50000, 0, 1);
}

Test(trunc_safe, exact_to_one_ulp_any_divisor)
{
    check_exact(768, 100000, -1, 1); /* LayerNorm's mean over H = 768 */
    check_exact(3, 50000, -1, 1);
}

/* The same sample by local truncation: catastrophic (off by ~2^64/d) at large magnitudes. */
Test(trunc_safe, local_truncation_fails_on_the_same_sample)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    size_t n = 200000;
    uint64_t *x = sample(n, 65536, 65536);
    trunc_run r = {.n = n, .d = 65536, .op = 0, .x = x};
    uint64_t *z = run(&cfg, &r, NULL, 5, NULL);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += fabs((double)(int64_t)(z[i] - (uint64_t)floordiv((int64_t)x[i], 65536))) > 1e6;
    /* Expected sum |x_i|/2^64: a sixty-second of the sample has |x| ~ 2^61, ... about n * 2^62 / 62 / 2^64
     * * 1.5 / 2 ~ n/330: hundreds. */
    cr_expect(bad > 100, "only %zu catastrophic local truncations", bad);
    free(x), free(z);
}

Test(trunc_safe, costs_by_the_op_registry)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    /* Both schedules, real == phantom, values. */
    rt_op_outcome o = tu_check_op("trunc_safe", "1000", &cfg);
    for (size_t i = 0; i < o.nout; i++)
        cr_expect(fabs(o.got[i] - o.want[i]) <= 2.0 / 65536, "trunc_safe[%zu] = %g, want %g", i, o.got[i], o.want[i]);
    rt_op_outcome_free(&o);
    /* A Beaver product with the safe truncation: 2 rounds; 8(n + n) + 8n B each; dealer 8n (triple) +
     * 16n (pair) words' bytes + 2 requests. */
    cfg.trunc = MPC_TRUNC_SAFE;
    o = tu_check_op("mul", "1000", &cfg);
    cr_expect_eq(o.res.rounds, 2);
    cr_expect_eq(rt_online_sent(&o.res, 0), 24000);
    cr_expect_eq(rt_online_sent(&o.res, 1), 24000);
    cr_expect_eq(o.res.dealer_bytes, 8000 + 16000 + 2 * 48);
    for (size_t i = 0; i < o.nout; i++)
        cr_expect(fabs(o.got[i] - o.want[i]) <= 25.0 / 65536, "mul[%zu] = %g, want %g", i, o.got[i], o.want[i]);
    rt_op_outcome_free(&o);
    o = tu_check_op("matmul", "16x32@32x8", &cfg);
    cr_expect_eq(o.res.rounds, 2);
    cr_expect_eq(rt_online_sent(&o.res, 0), 8 * (16 * 32 + 32 * 8) + 8 * 16 * 8);
    rt_op_outcome_free(&o);
    mpc_cost c = mpc_trunc_safe_cost(10);
    cr_expect_eq(c.rounds, 1);
    cr_expect_eq(c.sent[0], 80);
    cr_expect_eq(mpc_cost_dealer_bytes(c), 160 + 48);
    cr_expect_eq(mpc_cost_rounds(c, MPC_DEALER_INLINE), 3);
}

/* Safe mode divides by 1 (a public rescale K = 1) without a protocol: identity, no messages. */
Test(trunc_safe, divide_by_one_is_free)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    cfg.trunc = MPC_TRUNC_SAFE;
    uint64_t x[3] = {5, 0 - (uint64_t)7, UINT64_C(1) << 62};
    trunc_run r = {.n = 3, .d = 1, .op = 0, .x = x};
    rt_result res;
    uint64_t *z = run(&cfg, &r, NULL, 1, &res);
    for (int i = 0; i < 3; i++) cr_expect_eq(z[i], x[i]);
    cr_expect_eq(res.rounds, 0);
    cr_expect_eq(res.dealer_bytes, 0);
    free(z);
}

Test(trunc_safe, domain_edges)
{
    uint64_t d = 65536;
    cr_expect(mpc_trunc_safe_in_domain(0 - (UINT64_C(1) << 62), d));
    cr_expect(!mpc_trunc_safe_in_domain(0 - (UINT64_C(1) << 62) - 1, d));
    cr_expect(mpc_trunc_safe_in_domain((UINT64_C(1) << 62) - 1, d));
    cr_expect(!mpc_trunc_safe_in_domain(UINT64_C(1) << 62, d));
    cr_expect_eq(mpc_trunc_safe_bias(768), 768 * ((UINT64_C(1) << 62) / 768));
}

/* ---- the oracle ---- */

/* A forced wrap in a Beaver product: the reconstructed output is off by ~2^64/2^f and the oracle
 * reports one wrap, at call 1, element 0, inside MPC_TAG_MUL. */
Test(trunc_audit, forced_wrap_is_caught_and_attributed)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    size_t n = 100;
    uint64_t *x = malloc(n * 8), *y = malloc(n * 8);
    for (size_t i = 0; i < n; i++) x[i] = fx_encode(0.5 + (double)i / 100, 16), y[i] = fx_encode(-1.25, 16);
    mpc_audit a;
    mpc_audit_init(&a);
    a.force_call = 1;
    trunc_run r = {.n = n, .op = 1, .x = x, .y = y};
    uint64_t *z = run(&cfg, &r, &a, 3, NULL);
    cr_expect_eq(a.wraps, 1);
    cr_assert_eq(a.nev, 1);
    cr_expect_eq(a.ev[0].kind, MPC_AUDIT_WRAP);
    cr_expect_eq(a.ev[0].call, 1);
    cr_expect_eq(a.ev[0].index, 0);
    cr_assert(a.ev[0].ntags >= 1);
    cr_expect_eq(a.ev[0].tags[a.ev[0].ntags - 1], MPC_TAG_MUL);
    double got0 = fx_decode(z[0], 16);
    cr_expect(fabs(got0 - (-0.625)) > 1e8, "forced wrap: element 0 = %g", got0);
    for (size_t i = 1; i < n; i++) cr_expect(fabs(fx_decode(z[i], 16) - (0.5 + i / 100.0) * -1.25) < 1e-3);
    free(z);
    /* Without the hook nothing is reported, and the analytic probability is sum |x y| 2^32 / 2^64. */
    mpc_audit_reset(&a);
    a.force_call = 0;
    z = run(&cfg, &r, &a, 3, NULL);
    cr_expect_eq(a.wraps, 0);
    cr_expect_eq(a.calls, 1);
    cr_expect_eq(a.elems_local, n);
    double want = 0;
    for (size_t i = 0; i < n; i++) want += (0.5 + i / 100.0) * 1.25 * 0x1p32 * 0x1p-64;
    cr_expect(fabs(a.p_sum - want) < 1e-3 * want, "p_sum %g, want %g", a.p_sum, want);
    cr_expect(fabs(mpc_audit_p_fail(&a) - want) < 1e-3 * want);
    free(z), free(x), free(y);
    mpc_audit_free(&a);
}

/* The same forced call under the safe truncation is no local truncation: nothing to force, no wrap,
 * exact results; the oracle counts the safe elements and finds them in the domain. */
Test(trunc_audit, safe_truncation_reports_zero)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    cfg.trunc = MPC_TRUNC_SAFE;
    size_t n = 100;
    uint64_t x[100], y[100];
    for (size_t i = 0; i < n; i++) x[i] = fx_encode(1000.0 + i, 16), y[i] = fx_encode(-1000.5, 16);
    mpc_audit a;
    mpc_audit_init(&a);
    trunc_run r = {.n = n, .op = 1, .x = x, .y = y};
    uint64_t *z = run(&cfg, &r, &a, 3, NULL);
    cr_expect_eq(a.wraps + a.domain, 0);
    cr_expect_eq(a.elems_safe, n);
    cr_expect_eq(mpc_audit_p_fail(&a), 0.0);
    for (size_t i = 0; i < n; i++) cr_expect(fabs(fx_decode(z[i], 16) - (1000.0 + i) * -1000.5) < 1e-3);
    free(z);
    mpc_audit_free(&a);
}

/* Weakened configuration: f = 24 leaves 16 spare bits above a product of magnitude 1, so a product
 * |xy| ~ 2^6 wraps with probability |xy| 2^48 / 2^64 ~ 2^-10, and is then off by 2^64/2^48 = 2^16. The
 * observed count of catastrophic results (error > 2^10, read off the outputs, not the oracle) must match the analytic expectation
 * sum p_i: the analytic rate lies in the observed rate's 99.9% Clopper-Pearson interval. */
Test(trunc_audit, analytic_probability_matches_observed_frequency)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    cfg.frac_bits = 24;
    size_t n = 400000;
    rng g;
    rng_seed(&g, 11, 5);
    uint64_t *x = malloc(n * 8), *y = malloc(n * 8);
    for (size_t i = 0; i < n; i++) {
        x[i] = fx_encode(((double)(rng_u64(&g) >> 11) * 0x1p-53 - 0.5) * 64, 24);
        y[i] = fx_encode(((double)(rng_u64(&g) >> 11) * 0x1p-53 - 0.5) * 16, 24);
    }
    mpc_audit a;
    mpc_audit_init(&a);
    trunc_run r = {.n = n, .op = 1, .x = x, .y = y};
    uint64_t *z = run(&cfg, &r, &a, 9, NULL);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double want = fx_decode(x[i], 24) * fx_decode(y[i], 24);
        k += fabs(fx_decode(z[i], 24) - want) > 0x1p10;
    }
    double lo, hi;
    xp_clopper_pearson(k, n, 0.999, &lo, &hi);
    double rate = a.p_sum / (double)n;
    cr_expect(k > 50, "weakened configuration: only %zu failures", k);
    cr_expect(rate >= lo && rate <= hi, "analytic rate %.4g outside the observed %zu/%zu's CI [%.4g, %.4g]", rate, k, n, lo,
              hi);
    /* The oracle saw exactly the failures the outputs show. */
    cr_expect_eq(a.wraps, k, "oracle %llu wraps, outputs %zu", (unsigned long long)a.wraps, k);
    free(x), free(y), free(z);
    mpc_audit_free(&a);
}

/* Clopper-Pearson against closed forms: k = 0 gives [0, 1 - (a/2)^(1/n)]; k = n gives [(a/2)^(1/n), 1]. */
Test(trunc_audit, clopper_pearson_closed_forms)
{
    double lo, hi;
    xp_clopper_pearson(0, 10000, 0.95, &lo, &hi);
    cr_expect_eq(lo, 0.0);
    cr_expect(fabs(hi - (1 - pow(0.025, 1.0 / 10000))) < 1e-9, "hi %.12g", hi);
    xp_clopper_pearson(20, 20, 0.95, &lo, &hi);
    cr_expect(fabs(lo - pow(0.025, 1.0 / 20)) < 1e-9, "lo %.12g", lo);
    cr_expect_eq(hi, 1.0);
    /* k = 1, n = 1000 at 95%: [2.53175e-05, 5.55892e-03] (solved by hand: 1-(1-p)^1000 = 0.025 and
     * (1-p)^1000 + 1000 p (1-p)^999 = 0.025). */
    xp_clopper_pearson(1, 1000, 0.95, &lo, &hi);
    cr_expect(fabs(lo - 2.5317e-05) < 1e-8 && fabs(hi - 5.55892e-03) < 1e-8, "[%g, %g]", lo, hi);
}

/* The crypten family's cost twins under --trunc safe: each product's and the public scale's
 * truncation costs 1 round, 8n B per party, 2n dealer words and 1 request more (by hand). */
Test(trunc_safe, crypten_twins_include_the_safe_truncation)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    cfg.trunc = MPC_TRUNC_SAFE;
    const mpc_family *f = mpc_family_of(&cfg);
    mpc_cost c = f->trunc.cost(&cfg, 1000);
    cr_expect(c.rounds == 1 && c.sent[0] == 8000 && c.sent[1] == 8000 && c.dealer_words == 2000 && c.dealer_reqs == 1);
    cr_expect_eq(mpc_cost_dealer_bytes(c), 16000 + 48);
    c = f->scale_cost(&cfg, 1000);
    cr_expect(c.rounds == 1 && c.sent[0] == 8000 && c.dealer_words == 2000);
    /* Linear 128 x 768 @ 768 x 768: 5,505,024 B (the local form, test_family) + 8 * 98,304 = 6,291,456 B
     * each way; 98,304 + 2 * 98,304 = 294,912 dealer words; 2 requests; 2 rounds. */
    c = f->linear_cost(&cfg, 128, 768, 768);
    cr_expect_eq(c.rounds, 2);
    cr_expect_eq(c.sent[0], 6291456);
    cr_expect_eq(c.sent[1], 6291456);
    cr_expect_eq(c.dealer_words, 294912);
    cr_expect_eq(c.dealer_reqs, 2);
    /* Scores 12 x 128 x 64 @ 12 x 64 x 128: 1,572,864 + 8 * 196,608 = 3,145,728 B. */
    c = f->matmul_cost(&cfg, 12, 128, 64, 128);
    cr_expect_eq(c.sent[1], 3145728);
    cr_expect_eq(c.dealer_words, 196608 * 3);
    cfg.trunc = MPC_TRUNC_LOCAL;
    c = f->trunc.cost(&cfg, 1000);
    cr_expect(c.rounds == 0 && c.sent[0] == 0 && c.dealer_words == 0);
}

/* The oracle's log1p(-p) fast path (mpc_audit.c): over wrap probabilities |x| / 2^64 of every
 * magnitude, the same double as glibc's log1p (its small-argument branch), within an ulp elsewhere. */
Test(trunc_safe, oracle_log1p_matches_libm)
{
    uint64_t s = 0x9e3779b97f4a7c15ull;
    size_t differ = 0, n = 0;
    for (int i = 0; i < 2000000; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        double p = (double)(s >> (s % 64)) * 0x1p-64; /* |x| / 2^64 for |x| < 2^64 */
        double a = log1p(-p), b = mpc_audit_log1p_neg_(p);
        cr_assert(fabs(a - b) <= fabs(nextafter(a, 0.0) - a), "p = %a: %a vs log1p %a", p, b, a);
        differ += a != b;
        n++;
    }
#if defined(__GLIBC__)
    cr_assert_eq(differ, 0, "%zu of %zu differ from glibc's log1p", differ, n);
#endif
}

/* The local division's fast form (an arithmetic shift for d = 2^s) gives fx_div_trunc's words: edge
 * words (0, +-1, INT64_MIN, INT64_MAX, +-d, +-d +- 1) and random ones, for powers of two up to 2^62,
 * other divisors, and a multiplier (mpc_mul_const's path) that wraps the product. */
Test(trunc_safe, local_division_equals_naive)
{
    static const int64_t ds[] = {1, 2, 4, 65536, (int64_t)1 << 40, (int64_t)1 << 62, 3, 768, 65535, INT64_MAX};
    static const uint64_t ks[] = {1, 3, 0x9E3779B97F4A7C15ull, UINT64_MAX};
    enum { N = 4096 };
    static uint64_t x[N], z[N];
    rng g;
    rng_seed(&g, 16, 4);
    for (size_t a = 0; a < sizeof ds / sizeof *ds; a++)
        for (size_t b = 0; b < sizeof ks / sizeof *ks; b++) {
            int64_t d = ds[a];
            uint64_t ud = (uint64_t)d;
            uint64_t edge[] = {0, 1, UINT64_MAX, UINT64_C(1) << 63, (UINT64_C(1) << 63) - 1, ud, 0 - ud, ud + 1,
                               ud - 1, 0 - ud + 1, 0 - ud - 1};
            rng_fill_u64(&g, x, N);
            for (size_t i = 0; i < N; i++) x[i] >>= i % 64; /* all magnitudes */
            for (size_t i = 0; i < N; i += 2) x[i] = 0 - x[i]; /* both signs */
            memcpy(x, edge, sizeof edge);
            mpc_div_trunc_n_(z, x, ks[b], d, N);
            for (size_t i = 0; i < N; i++)
                cr_assert_eq(z[i], fx_div_trunc(x[i] * ks[b], d), "d %lld, k %llu, x %llu", (long long)d,
                             (unsigned long long)ks[b], (unsigned long long)x[i]);
            mpc_div_trunc_n_(x, x, ks[b], d, N); /* in place */
            cr_assert_arr_eq(x, z, sizeof z);
        }
}

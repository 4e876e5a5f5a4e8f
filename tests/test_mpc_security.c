/* test_mpc_security.c -- what P1 sees, and what local truncation costs.
 *
 * Secrecy: P0 secret-shares one of two very different secrets (A = +1000, B = -1000 in every
 * element) and the parties run protocols on it. P1's view is its own shares plus every word it
 * receives. Over many seeds, every feature of the view -- each word, and each sum and difference of
 * two words (linear leaks such as a share plus the other share) -- must have the same distribution
 * under A and under B: a two-sample chi-square test on the top 4 bits (16 bins), with a Bonferroni
 * bound over all features. A deliberately leaky double (P0 sends its raw share, unmasked) must fail
 * the same test, which shows the test can fail. */
#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/fx.h"
#include "../protocols/crypten/mpc_cmp.h"
#include "../protocols/crypten/mpc_math.h"
#include "../protocols/crypten/mpc_nn.h"
#include "testutil.h"

enum { NSEC = 8, MAXVIEW = 256, SEEDS = 320 };

typedef void (*program_fn)(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y);

typedef struct view_party {
    program_fn prog;
    const uint64_t *plain; /* owner's secret (P0) or input (P1) */
    uint64_t mine[3 * NSEC];
} view_party;

typedef struct view {
    uint64_t w[MAXVIEW];
    size_t n;
} view;

static void view_sink(void *ud, const net_trace_rec *r)
{
    view *v = ud;
    if (r->dst != NET_P1 || !r->payload) return;
    const uint64_t *p = r->payload;
    /* The first MAXVIEW - 3 NSEC received words; the rest of the view is P1's own shares. */
    for (size_t i = 0; i < r->bytes / 8 && v->n < MAXVIEW - 3 * NSEC; i++) v->w[v->n++] = p[i];
}

static void view_party_fn(mpc_ctx *c, void *arg)
{
    view_party *a = arg;
    uint64_t *x = a->mine, *y = a->mine + NSEC, *out = a->mine + 2 * NSEC;
    mpc_share(c, x, c->self == NET_P0 ? a->plain : NULL, NSEC, NET_P0); /* the secret */
    mpc_share(c, y, c->self == NET_P1 ? a->plain : NULL, NSEC, NET_P1); /* P1's own input */
    a->prog(c, out, x, y);
}

/* Collects P1's view for one seed. */
static void collect(program_fn prog, double secret, uint64_t seed, view *v)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    uint64_t s[NSEC], in1[NSEC];
    for (int i = 0; i < NSEC; i++) {
        s[i] = fx_encode(secret, 16);
        in1[i] = fx_encode(0.5 + 0.25 * i, 16);
    }
    view_party pa[2] = {{prog, s, {0}}, {prog, in1, {0}}};
    memset(v, 0, sizeof *v);
    xp_session_opts o = tu_session(&cfg, 0, seed);
    o.trace[0] = view_sink;
    o.trace_ud[0] = v;
    void *args[2] = {&pa[0], &pa[1]};
    xp_result res;
    cr_assert_eq(xp_session_run(&o, view_party_fn, args, &res), 0);
    /* P1's own shares (secret, input, output) are part of its view. */
    for (int i = 0; i < 3 * NSEC && v->n < MAXVIEW; i++) v->w[v->n++] = pa[1].mine[i];
}

static int bin16(uint64_t w) { return (int)(w >> 60); }

/* Smallest Bonferroni-corrected p-value over all features (1 = indistinguishable). */
static double view_test(program_fn prog)
{
    static view va[SEEDS], vb[SEEDS];
    for (int s = 0; s < SEEDS; s++) {
        collect(prog, 1000.0, 100 + s, &va[s]);
        collect(prog, -1000.0, 100 + s, &vb[s]);
        cr_assert_eq(va[s].n, vb[s].n, "view sizes must not depend on the secret");
    }
    size_t V = va[0].n;
    size_t nfeat = 0;
    double pmin = 1;
    for (size_t j = 0; j < V; j++)
        for (size_t k = j; k < V; k++)
            for (int op = 0; op < (j == k ? 1 : 2); op++) {
                int ca[16] = {0}, cb[16] = {0};
                for (int s = 0; s < SEEDS; s++) {
                    uint64_t fa = j == k ? va[s].w[j] : op ? va[s].w[j] - va[s].w[k] : va[s].w[j] + va[s].w[k];
                    uint64_t fb = j == k ? vb[s].w[j] : op ? vb[s].w[j] - vb[s].w[k] : vb[s].w[j] + vb[s].w[k];
                    ca[bin16(fa)]++;
                    cb[bin16(fb)]++;
                }
                double chi = 0;
                int df = -1;
                for (int b = 0; b < 16; b++) {
                    if (ca[b] + cb[b] == 0) continue;
                    double d = ca[b] - cb[b];
                    chi += d * d / (ca[b] + cb[b]);
                    df++;
                }
                double p = df > 0 ? gsl_cdf_chisq_Q(chi, df) : 1.0;
                if (p < pmin) pmin = p;
                nfeat++;
            }
    double corrected = pmin * (double)nfeat;
    if (getenv("MPCSIM_TEST_VERBOSE")) fprintf(stderr, "view: %zu words, %zu features, min p %g, corrected %g\n", V, nfeat, pmin, corrected);
    return corrected > 1 ? 1 : corrected;
}

/* ---- programs ---- */

static void prog_mul(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y) { mpc_mul_n(c, out, x, y, NSEC, 1); }
static void prog_square_open(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y)
{
    mpc_square(c, out, x, NSEC);
    mpc_matmul(c, out, x, y, 1, 2, 4, 2, 0);
}
static void prog_ltz_exp(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y)
{
    mpc_ltz(c, out, x, NSEC);
    mpc_exp(c, out, y, NSEC);
}
static void prog_softmax(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y)
{
    mpc_softmax(c, out, x, 2, NSEC / 2);
}
/* The leaky double: P0 sends its share of x to P1 as if it were a masked opening. */
static void prog_leaky(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y)
{
    uint64_t w[NSEC];
    mpc_exchange(c, w, x, NSEC);
    if (!c->phantom) memcpy(out, x, sizeof w);
}

Test(security, leaky_double_is_detected, .timeout = 600)
{
    double p = view_test(prog_leaky);
    cr_expect(p < 1e-6, "the leak (share + own share = secret) must be caught, corrected p = %g", p);
}

Test(security, beaver_mul_square_matmul_views_are_indistinguishable, .timeout = 600)
{
    double p1 = view_test(prog_mul);
    cr_expect(p1 > 1e-3, "mul: corrected p = %g", p1);
    double p2 = view_test(prog_square_open);
    cr_expect(p2 > 1e-3, "square+matmul: corrected p = %g", p2);
}

Test(security, comparison_exp_and_softmax_views_are_indistinguishable, .timeout = 900)
{
    double p1 = view_test(prog_ltz_exp);
    cr_expect(p1 > 1e-3, "ltz+exp: corrected p = %g", p1);
    double p2 = view_test(prog_softmax);
    cr_expect(p2 > 1e-3, "softmax: corrected p = %g", p2);
}

/* ---- local truncation failures (PROTOCOLS.md 2.3, 4.5) ---- */

typedef struct trunc_party {
    const uint64_t *plain;
    uint64_t *x, *y, *z;
    size_t n;
} trunc_party;

static void trunc_fn(mpc_ctx *c, void *arg)
{
    trunc_party *a = arg;
    mpc_share(c, a->x, c->self == NET_P1 ? a->plain : NULL, a->n, NET_P1);
    mpc_share(c, a->y, c->self == NET_P0 ? a->plain : NULL, a->n, NET_P0);
    mpc_mul_n(c, a->z, a->x, a->y, a->n, 1);
}

static size_t count_failures(double v_sqrt, size_t n, uint64_t seed)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    uint64_t *plain = malloc(n * 8);
    for (size_t i = 0; i < n; i++) plain[i] = fx_encode(v_sqrt, 16);
    trunc_party pa[2];
    for (int i = 0; i < 2; i++)
        pa[i] = (trunc_party){plain, malloc(n * 8), malloc(n * 8), malloc(n * 8), n};
    xp_session_opts o = tu_session(&cfg, 0, seed);
    void *args[2] = {&pa[0], &pa[1]};
    xp_result res;
    cr_assert_eq(xp_session_run(&o, trunc_fn, args, &res), 0);
    size_t fails = 0;
    double v = v_sqrt * v_sqrt;
    for (size_t i = 0; i < n; i++) {
        double got = fx_decode(pa[0].z[i] + pa[1].z[i], 16);
        if (fabs(got - v) > 1e6) fails++; /* a failure is off by about 2^32 */
        else cr_assert(fabs(got - v) < 1e-3, "non-failure error %g", got - v);
    }
    for (int i = 0; i < 2; i++) free(pa[i].x), free(pa[i].y), free(pa[i].z);
    free(plain);
    return fails;
}

Test(security, truncation_failure_rate_matches_analysis, .timeout = 600)
{
    /* A product of real value v fails with probability |v| 2^(2f-64) = |v| 2^-32. At v = 2^26 that is
     * 2^-6: on 200000 elements expect 3125 failures, sd 55; accept +-6 sd. */
    size_t n = 200000, f = count_failures(8192.0, n, 42);
    double p = ldexp(1, 26 - 32), mean = p * n, sd = sqrt(n * p * (1 - p));
    cr_expect(fabs((double)f - mean) < 6 * sd, "failures %zu, expected %.0f +- %.0f", f, mean, 6 * sd);
    /* At v = 1 the rate is 2^-32: none expected in 200000. */
    cr_expect_eq(count_failures(1.0, n, 43), 0);
}

/* test_fss_softmax.c -- clip, nExp, inverse and softmax on masked wires (fss_softmax.h): values against
 * exact or double references within stated tolerances, exact rounds, bytes, key bytes, real == phantom. */
#include <math.h>

#include "../protocols/fss/fss_softmax.h"
#include "fss_harness.h"

typedef struct sm_io {
    size_t N;
    const uint64_t *x_hat;
    uint64_t *y_hat[2];
    void *key[2];
} sm_io;

static void clip_party(mpc_ctx *c, void *a)
{
    sm_io *io = a;
    fss_clip(c, io->y_hat[c->self], io->key[c->self], io->x_hat, io->N);
}
static void nexp_party(mpc_ctx *c, void *a)
{
    sm_io *io = a;
    fss_nexp(c, io->y_hat[c->self], io->key[c->self], io->x_hat, io->N);
}
static void inv_party(mpc_ctx *c, void *a)
{
    sm_io *io = a;
    fss_inv(c, io->y_hat[c->self], io->key[c->self], io->x_hat, io->N);
}
static void softmax_party(mpc_ctx *c, void *a)
{
    sm_io *io = a;
    fss_softmax(c, io->y_hat[c->self], io->key[c->self], io->x_hat);
}

/* x^ = x + r for N values of b bits, masks from d */
static void masked(fss_dealer *d, uint64_t *xh, uint64_t *r, const uint64_t *x, size_t N, int b)
{
    fss_dealer_masks(d, r, N, b);
    for (size_t i = 0; i < N; i++) xh[i] = (x[i] + r[i]) & fss_mask(b);
}

Test(fss_softmax, clip_exact_costs_phantom)
{
    int bs[] = {50, 24};
    for (int t = 0; t < 2; t++) {
        int b = bs[t], bout = 16;
        size_t N = 300;
        uint64_t M = 65535;
        fss_dealer d;
        fss_dealer_init(&d, 90);
        uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *y0 = calloc(N, 8),
                 *y1 = calloc(N, 8);
        rng g;
        rng_seed(&g, 9, t);
        for (size_t i = 0; i < N; i++) x[i] = rng_u64(&g) & fss_mask(i % 2 ? 17 : b - 1);
        x[0] = 0, x[1] = M - 1, x[2] = M, x[3] = M + 1, x[4] = fss_mask(b - 1);
        masked(&d, xh, r, x, N, b);
        fss_clip_key k0, k1, p0, p1;
        fss_clip_keygen(&d, &k0, &k1, ro, r, b, bout, M, N);
        fss_clip_keygen(NULL, &p0, &p1, NULL, NULL, b, bout, M, N);
        sm_io io = {N, xh, {y0, y1}, {&k0, &k1}}, ioph = {N, NULL, {NULL, NULL}, {&p0, &p1}};
        fh_check("clip", clip_party, &io, &ioph, fss_clip_cost(b, bout, N));
        size_t bad = 0;
        for (size_t i = 0; i < N; i++) bad += y0[i] != y1[i] || ((y0[i] - ro[i]) & fss_mask(bout)) != (x[i] < M ? x[i] : M);
        cr_expect_eq(bad, 0, "clip b = %d: %zu wrong", b, bad);
        fss_clip_key_free(&k0);
        fss_clip_key_free(&k1);
        free(x), free(r), free(xh), free(ro), free(y0), free(y1);
        fss_dealer_free(&d);
    }
}

Test(fss_softmax, nexp_values_costs_phantom)
{
    int n = 50, f = 12;
    size_t Ns[] = {800, 33};
    for (int t = 0; t < 2; t++) {
        size_t N = Ns[t];
        fss_dealer d;
        fss_dealer_init(&d, 91 + (uint64_t)t);
        uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *y0 = calloc(N, 8),
                 *y1 = calloc(N, 8);
        for (size_t i = 0; i < N; i++) x[i] = (uint64_t)llround(20.0 * (double)i / (double)(N - 1) * 4096);
        x[N - 1] = (uint64_t)1 << 40; /* far beyond the clip */
        masked(&d, xh, r, x, N, n);
        fss_nexp_key k0, k1, p0, p1;
        fss_nexp_keygen(&d, &k0, &k1, ro, r, n, f, N);
        fss_nexp_keygen(NULL, &p0, &p1, NULL, NULL, n, f, N);
        sm_io io = {N, xh, {y0, y1}, {&k0, &k1}}, ioph = {N, NULL, {NULL, NULL}, {&p0, &p1}};
        fh_check("nexp", nexp_party, &io, &ioph, fss_nexp_cost(n, f, N));
        double worst = 0;
        for (size_t i = 0; i < N; i++) {
            double got = (double)fh_signed(y0[i] - ro[i], n) / 4096, want = exp(-(double)x[i] / 4096);
            if (fabs(got - want) > worst) worst = fabs(got - want);
        }
        /* two table entries each within 2^-13, their product, the floor: < 3 ulp */
        cr_expect(worst <= 3.0 / 4096, "nexp: worst error %g", worst);
        fss_nexp_key_free(&k0);
        fss_nexp_key_free(&k1);
        free(x), free(r), free(xh), free(ro), free(y0), free(y1);
        fss_dealer_free(&d);
    }
    /* 6n + 29 bits (329 at n = 50; 8 elements: clip 1 + 16, TrReduce's bit with the low LUT's u^, v^
     * 52, hi^ with A^ 58, the high LUT 51 + 50, multiply 50, truncation 1 + 50 bytes), 9 rounds: clip 2,
     * TrReduce and the low LUT in lockstep 2, the high LUT 2, multiply 1, truncation 2 */
    fss_cost c = fss_nexp_cost(50, 12, 8);
    cr_expect_eq(c.bytes, 17 + 52 + 58 + 101 + 50 + 51);
    cr_expect_eq(c.bytes, 329);
    cr_expect_eq(c.rounds, 9);
    /* 3 elements at n = 40: 1 + 6, ceil(126/8) = 16, ceil(144/8) = 18, 16 + 15, 15, 1 + 15 */
    fss_cost c3 = fss_nexp_cost(40, 12, 3);
    cr_expect_eq(c3.bytes, 7 + 16 + 18 + 31 + 15 + 16);
    cr_expect_eq(c3.rounds, 9);
}

Test(fss_softmax, inverse_values_costs_phantom)
{
    int n = 50, f = 12, in = 20;
    size_t N = 600;
    fss_dealer d;
    fss_dealer_init(&d, 93);
    uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *y0 = calloc(N, 8),
             *y1 = calloc(N, 8);
    for (size_t i = 0; i < N; i++) x[i] = 4096 + (uint64_t)llround(127.0 * 4096 * (double)i / (double)(N - 1));
    masked(&d, xh, r, x, N, n);
    fss_inv_key k0, k1, p0, p1;
    fss_inv_keygen(&d, &k0, &k1, ro, r, n, f, in, N);
    fss_inv_keygen(NULL, &p0, &p1, NULL, NULL, n, f, in, N);
    sm_io io = {N, xh, {y0, y1}, {&k0, &k1}}, ioph = {N, NULL, {NULL, NULL}, {&p0, &p1}};
    fh_check("inverse", inv_party, &io, &ioph, fss_inv_cost(n, f, in, N));
    size_t bad = 0;
    for (size_t i = 0; i < N; i++) {
        double S = (double)x[i] / 4096, got = (double)fh_signed(y0[i] - ro[i], n) / 4096;
        /* SIGMA's 6-bit drop: S loses < 2^-6 of a unit: error <= 2^-6 / (S (S - 2^-6)) + 1/2 ulp */
        double tol = ldexp(1, -6) / (S * (S - ldexp(1, -6))) + 0.5 / 4096;
        bad += fabs(got - 1 / S) > tol;
    }
    cr_expect_eq(bad, 0, "inverse: %zu outside the tolerance", bad);
    fss_inv_key_free(&k0);
    fss_inv_key_free(&k1);
    free(x), free(r), free(xh), free(ro), free(y0), free(y1);
    fss_dealer_free(&d);
    fss_cost c = fss_inv_cost(50, 12, 20, 8);
    cr_expect_eq(c.bytes, 1 + 14 + 1 + 100);
    cr_expect_eq(c.rounds, 4);
}

/* One softmax of R x L scores uniform in [lo, hi] at f bits (real and phantom traces checked against
 * fss_softmax_cost): returns the largest |got - exp/sum| and counts in *bad the outputs farther from the
 * double than 2^(drop - f) / S + 4 ulp (the inverse's drop on the row's sum S >= 1, a few table ulps). */
static double softmax_case(int n, int f, size_t R, size_t L, uint64_t seed, double lo, double hi, int drop,
                           size_t *bad)
{
    size_t N = R * L;
    double one = ldexp(1, f), worst = 0;
    fss_dealer d;
    fss_dealer_init(&d, seed);
    uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *y0 = calloc(N, 8),
             *y1 = calloc(N, 8);
    double *xr = calloc(N, 8);
    rng g;
    rng_seed(&g, seed, 0);
    for (size_t i = 0; i < N; i++) {
        xr[i] = rng_range(&g, lo, hi);
        x[i] = (uint64_t)(int64_t)llround(xr[i] * one) & fss_mask(n);
        xr[i] = (double)fh_signed(x[i], n) / one;
    }
    masked(&d, xh, r, x, N, n);
    fss_softmax_key k0, k1, p0, p1;
    fss_softmax_keygen(&d, &k0, &k1, ro, r, n, f, R, L);
    fss_softmax_keygen(NULL, &p0, &p1, NULL, NULL, n, f, R, L);
    sm_io io = {N, xh, {y0, y1}, {&k0, &k1}}, ioph = {N, NULL, {NULL, NULL}, {&p0, &p1}};
    fh_check("softmax", softmax_party, &io, &ioph, fss_softmax_cost(n, f, R, L));
    *bad = 0;
    for (size_t rr = 0; rr < R; rr++) {
        double m = -1e9, s = 0;
        for (size_t j = 0; j < L; j++) m = fmax(m, xr[rr * L + j]);
        for (size_t j = 0; j < L; j++) s += exp(xr[rr * L + j] - m);
        for (size_t j = 0; j < L; j++) {
            size_t i = rr * L + j;
            double got = (double)fh_signed(y0[i] - ro[i], n) / one, want = exp(xr[i] - m) / s;
            cr_assert_eq(y0[i], y1[i]);
            worst = fmax(worst, fabs(got - want));
            *bad += fabs(got - want) > ldexp(1, drop - f) / s + 4 / one;
        }
    }
    fss_softmax_key_free(&k0);
    fss_softmax_key_free(&k1);
    free(x), free(r), free(xh), free(ro), free(y0), free(y1), free(xr);
    fss_dealer_free(&d);
    return worst;
}

Test(fss_softmax, softmax_values_costs_phantom)
{
    size_t shapes[][2] = {{3, 16}, {2, 128}};
    for (int t = 0; t < 2; t++) {
        size_t bad, R = shapes[t][0], L = shapes[t][1];
        double worst = softmax_case(50, 12, R, L, 95 + (uint64_t)t, -6, 6, 6, &bad);
        /* dominated by the inverse's 6-bit drop (relative 2^-6 / S) on an output <= 1: 0.02 */
        cr_log_info("softmax %zux%zu: worst error %g", R, L, worst);
        cr_expect(worst <= 0.02, "softmax %zux%zu: worst error %g", R, L, worst);
        cr_expect_eq(bad, 0, "softmax %zux%zu: %zu outside the tolerance", R, L, bad);
    }
    /* rounds: max tree 2 x 7 + nExp 9 + inverse 4 + multiply 1 + truncation 2 = 30 at L = 128 */
    cr_expect_eq(fss_softmax_cost(50, 12, 8, 128).rounds, 30);
    cr_expect_eq(fss_softmax_cost(50, 12, 3, 16).rounds, 8 + 9 + 4 + 1 + 2);
}

/* Other fixed points: nExp's clip has f + 4 bits (x < 16 at any f) and its high table f - 4; the
 * inverse drops in - 16 bits where SIGMA's 6 would give a table above 16 bits (f = 16 at L = 128:
 * in = 24, drop 8), so f = 16 runs (it aborted before) and f = 8 keeps x < 16. */
Test(fss_softmax, other_fractional_bits)
{
    /* the inverse drops 6 bits at f = 8 (in = 16), 8 at f = 16 (in = 24) */
    int fs[] = {8, 16}, drops[] = {6, 8};
    for (int t = 0; t < 2; t++) {
        size_t bad;
        double worst = softmax_case(50, fs[t], 2, 128, 97 + (uint64_t)t, -12, 6, drops[t], &bad);
        cr_expect_eq(bad, 0, "softmax f = %d: %zu outside the tolerance (worst error %g)", fs[t], bad, worst);
    }
    /* nExp: 6n + 2f + 5 bits per element (clip 1 + f + 4, lockstep 2 + n and f - 4 + n, high LUT
     * 1 + 2n, multiply n, truncation 1 + n): 8 elements at f = 16: 21 + 52 + 62 + 101 + 50 + 51 bytes */
    cr_expect_eq(fss_nexp_cost(50, 16, 8).bytes, 21 + 52 + 62 + 101 + 50 + 51);
    cr_expect_eq(fss_nexp_cost(50, 8, 8).bytes, 13 + 52 + 54 + 101 + 50 + 51);
    cr_expect_eq(fss_nexp_cost(50, 16, 8).rounds, 9);
    /* inverse at f = 16, L = 128: in = 24, drop 8: TrReduce 1 + 16 bits, LUT_16 1 + 2n bits */
    cr_expect_eq(fss_inv_cost(50, 16, 24, 8).bytes, 1 + 16 + 1 + 100);
    cr_expect_eq(fss_inv_cost(50, 16, 24, 8).rounds, 4);
    char err[160];
    cr_expect_eq(fss_config_check(50, 21, err, sizeof err), -1);
    cr_expect(strstr(err, "21 fractional bits"), "%s", err);
}

/* test_fss_lut.c -- LUT by DPF full-domain evaluation and SIGMA's GeLU (fss_lut.h): values against
 * exact table lookups and a double GeLU, exact rounds, bytes and key bytes, real == phantom traces. */
#include <math.h>

#include "../protocols/fss/fss_lut.h"
#include "fss_harness.h"

typedef struct lut_io {
    size_t N;
    const uint64_t *table, *x_hat;
    uint64_t *y_hat[2];
    fss_lut_key *key[2];
    fss_gelu_key *gkey[2];
} lut_io;

static void lut_party(mpc_ctx *c, void *a)
{
    lut_io *io = a;
    fss_lut(c, io->y_hat[c->self], io->key[c->self], io->table, io->x_hat, io->N);
}

static void gelu_party(mpc_ctx *c, void *a)
{
    lut_io *io = a;
    fss_gelu(c, io->y_hat[c->self], io->gkey[c->self], io->x_hat, io->N);
}

Test(fss_lut, lut_values_costs_phantom)
{
    int bins[] = {8, 4, 10};
    int bouts[] = {50, 16, 64};
    for (int t = 0; t < 3; t++) {
        int bin = bins[t], bout = bouts[t];
        size_t D = (size_t)1 << bin, N = D + 17;
        fss_dealer d;
        fss_dealer_init(&d, 40 + (uint64_t)t);
        uint64_t *T = calloc(D, 8), *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8),
                 *y0 = calloc(N, 8), *y1 = calloc(N, 8);
        fss_dealer_masks(&d, T, D, bout);
        for (size_t i = 0; i < N; i++) x[i] = i % D; /* every input, then some twice */
        fss_dealer_masks(&d, r, N, bin);
        for (size_t i = 0; i < N; i++) xh[i] = (x[i] + r[i]) & fss_mask(bin);
        fss_lut_key k0, k1, p0, p1;
        fss_lut_keygen(&d, &k0, &k1, ro, r, bin, bout, N);
        fss_lut_keygen(NULL, &p0, &p1, NULL, NULL, bin, bout, N);
        lut_io io = {N, T, xh, {y0, y1}, {&k0, &k1}, {NULL, NULL}}, ioph = {N, NULL, NULL, {NULL, NULL}, {&p0, &p1}, {NULL, NULL}};
        fh_check("lut", lut_party, &io, &ioph, fss_lut_cost(bin, bout, N));
        size_t bad = 0;
        for (size_t i = 0; i < N; i++) bad += y0[i] != y1[i] || ((y0[i] - ro[i]) & fss_mask(bout)) != T[x[i]];
        cr_expect_eq(bad, 0, "lut %d -> %d bits: %zu wrong of %zu", bin, bout, bad, N);
        fss_lut_key_free(&k0);
        fss_lut_key_free(&k1);
        free(T), free(x), free(r), free(xh), free(ro), free(y0), free(y1);
        fss_dealer_free(&d);
    }
    /* FSS.md 3: 1 + 2 bout bits, 2 rounds; key DPF(8) = 48 B + 1 bit + bout bits + 3 bout bits */
    fss_cost c = fss_lut_cost(8, 50, 8);
    cr_expect_eq(c.rounds, 2);
    cr_expect_eq(c.bytes, 101);
    cr_expect_eq(c.key_bytes, 8 * 48 + 1 + 50 + 150);
}

static double gelu_ref(double x) { return 0.5 * x * (1 + erf(x / sqrt(2.0))); }

Test(fss_lut, gelu_values_costs_phantom)
{
    int ns[] = {50, 37};
    size_t Ns[] = {2001, 300};
    for (int t = 0; t < 2; t++) {
        int n = ns[t], f = 12, bin = n - f;
        size_t N = Ns[t];
        fss_dealer d;
        fss_dealer_init(&d, 50 + (uint64_t)t);
        uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *y0 = calloc(N, 8),
                 *y1 = calloc(N, 8);
        double *xr = calloc(N, 8);
        rng g;
        rng_seed(&g, 6, 0);
        size_t G = N > 1700 ? 1601 : N - 100; /* a grid on [-8, 8], then wide values */
        for (size_t i = 0; i < N; i++) {
            xr[i] = i < G ? -8 + 16.0 * (double)i / (double)(G - 1) : rng_range(&g, -2000, 2000);
            if (i == N - 1) xr[i] = -ldexp(1, bin - 3 - f);                             /* near the slack bound */
            x[i] = (uint64_t)(int64_t)llround(xr[i] * 4096) & fss_mask(n);
            xr[i] = (double)fh_signed(x[i], n) / 4096;
        }
        fss_dealer_masks(&d, r, N, n);
        for (size_t i = 0; i < N; i++) xh[i] = (x[i] + r[i]) & fss_mask(n);
        fss_gelu_key k0, k1, p0, p1;
        fss_gelu_keygen(&d, &k0, &k1, ro, r, n, f, bin, N);
        fss_gelu_keygen(NULL, &p0, &p1, NULL, NULL, n, f, bin, N);
        lut_io io = {N, NULL, xh, {y0, y1}, {NULL, NULL}, {&k0, &k1}},
               ioph = {N, NULL, NULL, {NULL, NULL}, {NULL, NULL}, {&p0, &p1}};
        fh_check("gelu", gelu_party, &io, &ioph, fss_gelu_cost(n, f, bin, N));
        double worst = 0, tol = 0.5 / 64 + 1.0 / 4096;
        size_t wi = 0;
        for (size_t i = 0; i < N; i++) {
            cr_assert_eq(y0[i], y1[i]);
            double got = (double)fh_signed(y0[i] - ro[i], n) / 4096, e = fabs(got - gelu_ref(xr[i]));
            if (e > worst) {
                worst = e;
                wi = i;
            }
        }
        cr_log_info("gelu n = %d: worst error %g at x = %g", n, worst, xr[wi]);
        cr_expect(worst <= tol, "gelu n = %d: worst error %g at x = %g (tolerance %g)", n, worst, xr[wi], tol);
        fss_gelu_key_free(&k0);
        fss_gelu_key_free(&k1);
        free(x), free(r), free(xh), free(ro), free(y0), free(y1), free(xr);
        fss_dealer_free(&d);
    }
    /* FSS.md 3: 3n - 2f + 19 = 145 bits at n = 50, f = 12 (8 elements: 145 bytes), 6 rounds.
     * Key per element: TrWithSlack(38, 6, 33): DPF(6) = 8 B + 1 bit + 3 x 33 bits; DPF(33) = 448 B + 2 bits;
     * mux 8 B; LUT(8, 50): 48 B + 1 + 50 + 150 bits; select(50): 150 bits. */
    fss_cost c = fss_gelu_cost(50, 12, 38, 8);
    cr_expect_eq(c.rounds, 6);
    cr_expect_eq(c.bytes, 145);
    cr_expect_eq(c.key_bytes, 8 * 8 + 1 + 99 + 8 * 448 + 2 + 64 + 8 * 48 + 1 + 50 + 150 + 150);
    cr_expect_eq(fss_gelu_cost(50, 12, 38, 393216).bytes, 393216ull * 145 / 8);
}

/* test_fss_norm.c -- rsqrt by the float-like LUT and LayerNorm (fss_norm.h): values against doubles
 * within stated tolerances, exact rounds, bytes and key bytes, real == phantom traces. */
#include <math.h>

#include "../protocols/fss/fss_norm.h"
#include "fss_harness.h"

typedef struct nm_io {
    size_t N;
    const uint64_t *x_hat, *g_hat, *b_hat;
    uint64_t *y_hat[2];
    void *key[2];
} nm_io;

static void rsqrt_party(mpc_ctx *c, void *a)
{
    nm_io *io = a;
    fss_rsqrt(c, io->y_hat[c->self], io->key[c->self], io->x_hat, io->N);
}

static void ln_party(mpc_ctx *c, void *a)
{
    nm_io *io = a;
    fss_layernorm(c, io->y_hat[c->self], io->key[c->self], io->x_hat, io->g_hat, io->b_hat);
}

Test(fss_norm, rsqrt_values_costs_phantom)
{
    int ns[] = {50, 40};
    for (int t = 0; t < 2; t++) {
        int n = ns[t], f = 12, fin = 24;
        double L = 768;
        size_t N = 120;
        fss_dealer d;
        fss_dealer_init(&d, 100 + (uint64_t)t);
        uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *y0 = calloc(N, 8),
                 *y1 = calloc(N, 8);
        double *var = calloc(N, 8);
        for (size_t i = 0; i < N; i++) {
            var[i] = pow(10, -3 + 6.0 * (double)i / (double)(N - 1)); /* 1e-3 .. 1e3 */
            double v = var[i] * L * ldexp(1, fin);
            if (v >= ldexp(1, n - 2)) v = ldexp(1, n - 2) - 1;
            x[i] = (uint64_t)llround(v);
            var[i] = (double)x[i] / (L * ldexp(1, fin));
        }
        fss_dealer_masks(&d, r, N, n);
        for (size_t i = 0; i < N; i++) xh[i] = (x[i] + r[i]) & fss_mask(n);
        fss_rsqrt_key k0, k1, p0, p1;
        fss_rsqrt_keygen(&d, &k0, &k1, ro, r, n, f, fin, L, N);
        fss_rsqrt_keygen(NULL, &p0, &p1, NULL, NULL, n, f, fin, L, N);
        nm_io io = {N, xh, NULL, NULL, {y0, y1}, {&k0, &k1}}, ioph = {N, NULL, NULL, NULL, {NULL, NULL}, {&p0, &p1}};
        fh_check("rsqrt", rsqrt_party, &io, &ioph, fss_rsqrt_cost(n, N));
        size_t bad = 0;
        double worst = 0;
        for (size_t i = 0; i < N; i++) {
            double got = (double)fh_signed(y0[i] - ro[i], n) / 4096, want = 1 / sqrt(var[i]);
            double rel = fabs(got - want) / want;
            worst = fmax(worst, rel);
            bad += y0[i] != y1[i] || fabs(got - want) > ldexp(1, -7) * want + 1.0 / 4096;
        }
        cr_log_info("rsqrt n = %d: worst relative error %g", n, worst);
        cr_expect_eq(bad, 0, "rsqrt n = %d: %zu outside 2^-7 relative", n, bad);
        fss_rsqrt_key_free(&k0);
        fss_rsqrt_key_free(&k1);
        free(x), free(r), free(xh), free(ro), free(y0), free(y1), free(var);
        fss_dealer_free(&d);
    }
    /* K + 3n + 20 bits per element (K = n - 2): (K - 1) thermometer bits, e^ and w^ in one message
     * (6 + n), the truncation (1 + 13), LUT_13 (1 + 2n): 218 at n = 50, 8 elements: 47 + 56 + 1 + 13 +
     * 51 + 50 bytes; 6 rounds (1 + 1 + 2 + 2) */
    fss_cost c = fss_rsqrt_cost(50, 8);
    cr_expect_eq(c.bytes, 47 + 56 + 1 + 13 + 51 + 50);
    cr_expect_eq(c.bytes, 218);
    cr_expect_eq(c.rounds, 6);
    /* one element: 6 + 7 + 1 + 2 + 7 + 7 bytes */
    cr_expect_eq(fss_rsqrt_cost(50, 1).bytes, 30);
    cr_expect_eq(fss_rsqrt_cost(40, 8).rounds, 6);
    cr_expect_eq(fss_rsqrt_cost(40, 8).bytes, 37 + 46 + 1 + 13 + 41 + 40); /* K - 1 = 37 bits */
}

Test(fss_norm, layernorm_values_costs_phantom)
{
    size_t shapes[][2] = {{3, 64}, {2, 768}};
    for (int t = 0; t < 2; t++) {
        int n = 50, f = 12;
        size_t R = shapes[t][0], L = shapes[t][1], N = R * L;
        double eps = 1e-5;
        fss_dealer d;
        fss_dealer_init(&d, 110 + (uint64_t)t);
        uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *y0 = calloc(N, 8),
                 *y1 = calloc(N, 8), *gm = calloc(L, 8), *bt = calloc(L, 8), *rg = calloc(L, 8), *rb = calloc(L, 8),
                 *gh = calloc(L, 8), *bh = calloc(L, 8);
        double *xr = calloc(N, 8), *gr = calloc(L, 8), *br = calloc(L, 8);
        rng g;
        rng_seed(&g, 12, t);
        for (size_t i = 0; i < N; i++) {
            double sc = (i / L) == 0 ? 0.05 : 3.0, off = (i / L) == 1 ? 7.0 : -1.0;
            xr[i] = off + sc * rng_normal(&g);
            x[i] = (uint64_t)(int64_t)llround(xr[i] * 4096) & fss_mask(n);
            xr[i] = (double)fh_signed(x[i], n) / 4096;
        }
        for (size_t j = 0; j < L; j++) {
            gr[j] = rng_range(&g, 0.5, 1.5);
            br[j] = rng_range(&g, -1, 1);
            gm[j] = (uint64_t)(int64_t)llround(gr[j] * 4096) & fss_mask(n);
            bt[j] = (uint64_t)(int64_t)llround(br[j] * 4096) & fss_mask(n);
            gr[j] = (double)fh_signed(gm[j], n) / 4096;
            br[j] = (double)fh_signed(bt[j], n) / 4096;
        }
        fss_dealer_masks(&d, r, N, n);
        fss_dealer_masks(&d, rg, L, n);
        fss_dealer_masks(&d, rb, L, n);
        for (size_t i = 0; i < N; i++) xh[i] = (x[i] + r[i]) & fss_mask(n);
        for (size_t j = 0; j < L; j++) {
            gh[j] = (gm[j] + rg[j]) & fss_mask(n);
            bh[j] = (bt[j] + rb[j]) & fss_mask(n);
        }
        fss_layernorm_key k0, k1, p0, p1;
        fss_layernorm_keygen(&d, &k0, &k1, ro, r, rg, rb, n, f, eps, R, L);
        fss_layernorm_keygen(NULL, &p0, &p1, NULL, NULL, NULL, NULL, n, f, eps, R, L);
        nm_io io = {N, xh, gh, bh, {y0, y1}, {&k0, &k1}}, ioph = {N, NULL, NULL, NULL, {NULL, NULL}, {&p0, &p1}};
        fh_check("layernorm", ln_party, &io, &ioph, fss_layernorm_cost(n, f, R, L));
        size_t bad = 0;
        double worst = 0;
        for (size_t rr = 0; rr < R; rr++) {
            double mu = 0, var = 0;
            for (size_t j = 0; j < L; j++) mu += xr[rr * L + j];
            mu /= (double)L;
            for (size_t j = 0; j < L; j++) var += (xr[rr * L + j] - mu) * (xr[rr * L + j] - mu);
            var /= (double)L;
            for (size_t j = 0; j < L; j++) {
                size_t i = rr * L + j;
                double z = (xr[i] - mu) / sqrt(var + eps), want = z * gr[j] + br[j];
                double got = (double)fh_signed(y0[i] - ro[i], n) / 4096;
                /* rsqrt's 2^-7 relative, the mean's floor (1 ulp) times 1/sigma, three truncations */
                double tol = ldexp(1, -7) * fabs(z * gr[j]) + (2.0 / sqrt(var) + 4) / 4096;
                worst = fmax(worst, fabs(got - want));
                bad += y0[i] != y1[i] || fabs(got - want) > tol;
            }
        }
        cr_log_info("layernorm %zux%zu: worst error %g", R, L, worst);
        cr_expect_eq(bad, 0, "layernorm %zux%zu: %zu outside the tolerance", R, L, bad);
        fss_layernorm_key_free(&k0);
        fss_layernorm_key_free(&k1);
        free(x), free(r), free(xh), free(ro), free(y0), free(y1), free(gm), free(bt), free(rg), free(rb), free(gh),
            free(bh), free(xr), free(gr), free(br);
        fss_dealer_free(&d);
    }
    /* per element 4n + 2 bits (FSS.md 3): R = 1 row of L = 8 gives 8 (4n + 2) / 8 = 202 bytes, plus the
     * row's TrWithSlack(50, 24, 50) (1, 50 bits: 1 + 7 bytes), the sum of squares (7), and rsqrt
     * (47 bits: 6; e^ and w^: 7; truncation 1 + 2; LUT_13: 7 + 7) */
    fss_cost c = fss_layernorm_cost(50, 12, 1, 8);
    cr_expect_eq(c.bytes, 202 + 8 + 7 + 30);
    cr_expect_eq(c.rounds, 2 + 1 + 6 + 1 + 2 + 1 + 2);
    /* 4 rows of 16: 4 * 16 * 202 / 8 bytes per element, rows: TrWithSlack 1 + 25, squares 25, rsqrt
     * 24 + 28 + 1 + 7 + 26 + 25 */
    fss_cost c4 = fss_layernorm_cost(50, 12, 4, 16);
    cr_expect_eq(c4.bytes, 1616 + 26 + 25 + 111);
    cr_expect_eq(c4.rounds, 15);
}

static void attn_party(mpc_ctx *c, void *a)
{
    nm_io *io = a;
    fss_attn(c, io->y_hat[c->self], io->key[c->self], io->x_hat);
}

/* MPCFormer's 2Quad ((x + 5)^2 / sum) and 2ReLU ((ReLU + 2^-f) / sum: the ulp stands in for the
 * training form's eps, so the row with nothing positive gives 1/L) */
Test(fss_norm, two_quad_two_relu_values_costs_phantom)
{
    size_t shapes[][2] = {{3, 16}, {2, 128}};
    for (int kind = 0; kind < 2; kind++)
        for (int t = 0; t < 2; t++) {
            int n = 50, f = 12;
            size_t R = shapes[t][0], L = shapes[t][1], N = R * L;
            fss_dealer d;
            fss_dealer_init(&d, 120 + (uint64_t)(2 * kind + t));
            uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *y0 = calloc(N, 8),
                     *y1 = calloc(N, 8);
            double *xr = calloc(N, 8);
            rng g;
            rng_seed(&g, 13, (uint64_t)t);
            for (size_t i = 0; i < N; i++) {
                xr[i] = rng_range(&g, -8, 8);
                if (kind && i / L == 0) xr[i] = -fabs(xr[i]); /* 2ReLU: a row with nothing positive */
                x[i] = (uint64_t)(int64_t)llround(xr[i] * 4096) & fss_mask(n);
                xr[i] = (double)fh_signed(x[i], n) / 4096;
            }
            fss_dealer_masks(&d, r, N, n);
            for (size_t i = 0; i < N; i++) xh[i] = (x[i] + r[i]) & fss_mask(n);
            fss_attn_key k0, k1, p0, p1;
            fss_attn_keygen(&d, &k0, &k1, ro, r, kind, n, f, 5.0, R, L);
            fss_attn_keygen(NULL, &p0, &p1, NULL, NULL, kind, n, f, 5.0, R, L);
            nm_io io = {N, xh, NULL, NULL, {y0, y1}, {&k0, &k1}}, ioph = {N, NULL, NULL, NULL, {NULL, NULL}, {&p0, &p1}};
            fh_check(kind ? "2relu" : "2quad", attn_party, &io, &ioph, fss_attn_cost(kind, n, f, R, L));
            size_t bad = 0;
            double worst = 0;
            for (size_t rr = 0; rr < R; rr++) {
                double s = 0;
                for (size_t j = 0; j < L; j++) {
                    double q = kind ? fmax(xr[rr * L + j], 0) + 1.0 / 4096 : (xr[rr * L + j] + 5) * (xr[rr * L + j] + 5);
                    s += q;
                }
                for (size_t j = 0; j < L; j++) {
                    size_t i = rr * L + j;
                    double q = kind ? fmax(xr[i], 0) + 1.0 / 4096 : (xr[i] + 5) * (xr[i] + 5), want = q / s;
                    if (kind && rr == 0) cr_expect(fabs(want - 1.0 / (double)L) < 1e-12);
                    double got = (double)fh_signed(y0[i] - ro[i], n) / 4096;
                    worst = fmax(worst, fabs(got - want));
                    /* the reciprocal's 2^-7, the floors (a few ulp) */
                    bad += y0[i] != y1[i] || fabs(got - want) > ldexp(1, -7) * want + 4.0 / 4096;
                }
            }
            cr_log_info("%s %zux%zu: worst error %g", kind ? "2relu" : "2quad", R, L, worst);
            cr_expect_eq(bad, 0, "%s %zux%zu: %zu outside the tolerance", kind ? "2relu" : "2quad", R, L, bad);
            fss_attn_key_free(&k0);
            fss_attn_key_free(&k1);
            free(x), free(r), free(xh), free(ro), free(y0), free(y1), free(xr);
            fss_dealer_free(&d);
        }
    /* per element at 8 elements in one row: 2Quad n + (2n - f + 2) + n + 1 + n = 5n - f + 3 = 241 bytes
     * plus the row's reciprocal (30 bytes at N = 1, as in rsqrt) */
    cr_expect_eq(fss_attn_cost(0, 50, 12, 1, 8).bytes, 241 + 30);
    cr_expect_eq(fss_attn_cost(1, 50, 12, 1, 8).bytes, (1 + 50) + 50 + (1 + 50) + 30);
    cr_expect_eq(fss_attn_cost(0, 50, 12, 1, 8).rounds, 1 + 4 + 6 + 1 + 2);
    cr_expect_eq(fss_attn_cost(1, 50, 12, 1, 8).rounds, 2 + 6 + 1 + 2);
}

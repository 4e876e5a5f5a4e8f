/* test_tfm_vec.c -- the fast paths of the training step give the plain paths' bits.
 *
 * Each vectorised kernel of models/tfm_vec.h (every implementation this CPU has) is compared bit for
 * bit (memcmp) with its reference on random inputs and on edge values (+-0, float subnormals, large
 * and tiny magnitudes, blocks of zeros, odd lengths for the tails); the GeLU forwards that keep their
 * derivative against the plain forward and backward; and whole training steps (forward, backward,
 * clip, AdamW, for every activation and attention, with dropout, and distillation stage 1) under the
 * reference kernels with the derivative recomputed against the default fast paths. Input domain: the
 * NaN-free finite values training produces (sumsq also takes a NaN and an infinity). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/rng.h"
#include "../models/tfm_train.h"
#include "../models/tfm_vec.h"

static const int IMPLS[] = {TFM_VEC_AVX2, TFM_VEC_AVX512, TFM_VEC_AUTO};

/* Random floats with a spread of magnitudes and some edge values mixed in. */
static void fill_edge(float *x, size_t n, rng *r, double scale)
{
    static const float edge[] = {0.0f, -0.0f, 1e-45f, -1e-45f, 1e-38f, 3e-39f, 1e30f, -1e30f, 1e-20f, 1.0f, -1.0f};
    for (size_t i = 0; i < n; i++) {
        uint64_t u = rng_u64(r);
        if (u % 13 == 0)
            x[i] = edge[(u >> 8) % (sizeof edge / sizeof *edge)];
        else
            x[i] = (float)(scale * rng_normal(r) * pow(10.0, (double)((u >> 16) % 7) - 3.0));
    }
}

Test(tfm_vec, adamw_matches_the_reference_bit_for_bit)
{
    rng r;
    rng_seed(&r, 11, 0);
    const size_t sizes[] = {1, 3, 4, 7, 8, 15, 16, 17, 1003};
    int tested = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        size_t n = sizes[si];
        float *p0 = malloc(n * 4), *g = malloc(n * 4), *m0 = malloc(n * 4), *v0 = malloc(n * 4);
        float *p[2], *m[2], *v[2];
        uint8_t *decay = malloc(n);
        for (int k = 0; k < 2; k++) p[k] = malloc(n * 4), m[k] = malloc(n * 4), v[k] = malloc(n * 4);
        fill_edge(p0, n, &r, 0.05);
        fill_edge(g, n, &r, 0.01);
        fill_edge(m0, n, &r, 0.001);
        for (size_t i = 0; i < n; i++) {
            float a = (float)fabs(rng_normal(&r) * 1e-5);
            v0[i] = i % 5 == 0 ? 0.0f : a; /* second moments are >= 0 */
            m0[i] = i % 5 == 0 ? 0.0f : m0[i];
            decay[i] = (uint8_t)(rng_u64(&r) % 3 == 0 ? 0 : rng_u64(&r) % 4); /* 0, or any nonzero byte */
        }
        for (size_t ii = 0; ii < sizeof IMPLS / sizeof *IMPLS; ii++) {
            int impl = IMPLS[ii];
            if (!tfm_vec_available(impl)) continue;
            for (int use_decay = 0; use_decay < 2; use_decay++) {
                for (int k = 0; k < 2; k++) {
                    memcpy(p[k], p0, n * 4), memcpy(m[k], m0, n * 4), memcpy(v[k], v0, n * 4);
                }
                for (int t = 1; t <= 6; t++) {
                    double lr = 1e-3 * t, b1 = 0.9, b2 = 0.999, c1 = 1.0 - pow(b1, t), c2 = 1.0 - pow(b2, t);
                    if (t >= 5) c1 = 1.0 - pow(b1, 400 + t); /* = 1: the kernels skip the division */
                    tfm_vec_adamw(TFM_VEC_REF, p[0], g, m[0], v[0], use_decay ? decay : NULL, n, lr, b1, b2, 1e-8, 0.01,
                                  c1, c2);
                    tfm_vec_adamw(impl, p[1], g, m[1], v[1], use_decay ? decay : NULL, n, lr, b1, b2, 1e-8, 0.01, c1, c2);
                }
                cr_expect(memcmp(p[0], p[1], n * 4) == 0, "%s: parameters differ (n %zu, decay %d)", tfm_vec_name(impl),
                          n, use_decay);
                cr_expect(memcmp(m[0], m[1], n * 4) == 0, "%s: first moments differ (n %zu)", tfm_vec_name(impl), n);
                cr_expect(memcmp(v[0], v[1], n * 4) == 0, "%s: second moments differ (n %zu)", tfm_vec_name(impl), n);
                /* the comparison can fail: one step more on the reference moves it */
                if (n == 1003 && use_decay) {
                    tfm_vec_adamw(TFM_VEC_REF, p[0], g, m[0], v[0], decay, n, 1e-3, 0.9, 0.999, 1e-8, 0.01, 0.5, 0.5);
                    cr_expect(memcmp(p[0], p[1], n * 4) != 0, "the comparison cannot see a changed result");
                }
                tested++;
            }
        }
        for (int k = 0; k < 2; k++) free(p[k]), free(m[k]), free(v[k]);
        free(p0), free(g), free(m0), free(v0), free(decay);
    }
    cr_expect(tested > 0);
}

Test(tfm_vec, sum_of_squares_and_scale_match_the_reference_bit_for_bit)
{
    rng r;
    rng_seed(&r, 12, 0);
    const size_t n = 4099;
    float *g = malloc(n * 4), *a = malloc(n * 4), *b = malloc(n * 4);
    for (int trial = 0; trial < 6; trial++) {
        fill_edge(g, n, &r, 1.0);
        /* blocks of +-0 (unused embedding rows), a mostly-zero block with one entry */
        for (size_t i = 64; i < 1024; i++) g[i] = (i & 1) ? -0.0f : 0.0f;
        for (size_t i = 2048; i < 2048 + 40; i++) g[i] = 0.0f;
        g[2048 + 17] = 3e-20f;
        if (trial == 4) g[3000] = INFINITY;
        if (trial == 5) g[100] = NAN; /* inside the zero block */
        double ref = tfm_vec_sumsq(TFM_VEC_REF, g, n);
        for (size_t ii = 0; ii < sizeof IMPLS / sizeof *IMPLS; ii++) {
            int impl = IMPLS[ii];
            if (!tfm_vec_available(impl)) continue;
            for (size_t len = n - 20; len <= n; len++) { /* every tail length */
                double r0 = tfm_vec_sumsq(TFM_VEC_REF, g, len), r1 = tfm_vec_sumsq(impl, g, len);
                cr_expect(memcmp(&r0, &r1, sizeof r0) == 0, "%s: sumsq %.17g vs reference %.17g (n %zu, trial %d)",
                          tfm_vec_name(impl), r1, r0, len, trial);
            }
            memcpy(a, g, n * 4), memcpy(b, g, n * 4);
            tfm_vec_scale(TFM_VEC_REF, a, n, 0.37f);
            tfm_vec_scale(impl, b, n, 0.37f);
            cr_expect(memcmp(a, b, n * 4) == 0, "%s: scale differs", tfm_vec_name(impl));
        }
        if (trial < 4) cr_expect(isfinite(ref) && ref > 0.0);
        if (trial == 5) cr_expect(isnan(ref));
    }
    free(g), free(a), free(b);
}

Test(tfm_vec, gelu_forward_keep_gives_the_forward_and_backward_bits)
{
    rng r;
    rng_seed(&r, 13, 0);
    const size_t n = 5001;
    float *x = malloc(n * 4), *y0 = malloc(n * 4), *y1 = malloc(n * 4), *dout = malloc(n * 4);
    float *d0 = malloc(n * 4), *d1 = malloc(n * 4);
    double *dydx = malloc(n * sizeof *dydx);
    fill_edge(x, n, &r, 2.0);
    x[0] = 0.0f, x[1] = -0.0f, x[2] = 40.0f, x[3] = -40.0f, x[4] = 1e-30f, x[5] = -6.0f;
    fill_edge(dout, n, &r, 1.0);
    dout[6] = -0.0f, x[6] = 1.0f;    /* product -0: the kept backward must give +0, as zero then += does */
    dout[7] = 0.0f, x[7] = -40.0f;   /* derivative -0 or +0 times +0 */
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) > 1e3f) x[i] = copysignf(50.0f, x[i]); /* the activations' range: no overflow in x^3 */
    for (int act = 0; act < 2; act++) {
        if (act == 0) {
            tfm_gelu_erf_forward(y0, x, n);
            tfm_gelu_erf_forward_keep(y1, dydx, x, n);
        } else {
            tfm_gelu_tanh_forward(y0, x, n);
            tfm_gelu_tanh_forward_keep(y1, dydx, x, n);
        }
        cr_expect(memcmp(y0, y1, n * 4) == 0, "%s: forward_keep output differs", act ? "gelu-tanh" : "gelu-erf");
        memset(d0, 0, n * 4);
        if (act == 0)
            tfm_gelu_erf_backward(d0, dout, x, n);
        else
            tfm_gelu_tanh_backward(d0, dout, x, n);
        for (size_t i = 0; i < n; i++) d1[i] = (float)rng_normal(&r); /* overwritten, not accumulated */
        tfm_vec_act_backward_set(TFM_VEC_REF, act == 0 ? TFM_ACT_GELU_ERF : TFM_ACT_GELU_TANH, d1, dout, x, dydx, 0, 0, n);
        cr_expect(memcmp(d0, d1, n * 4) == 0, "%s: kept backward differs", act ? "gelu-tanh" : "gelu-erf");
        cr_expect(!signbit(d1[6]), "the sign of a zero gradient differs from zeroing then accumulating");
    }
    free(x), free(y0), free(y1), free(dout), free(d0), free(d1), free(dydx);
}

Test(tfm_vec, layernorm_matches_the_reference_bit_for_bit)
{
    rng r;
    rng_seed(&r, 14, 0);
    /* trials: 0 moderate values; 1 magnitudes over 16 decades (the double sums are inexact, so their
     * order shows); 2 dout ~ (0.3 + 0.7 xh) / g, where dn - mean(dn) - xh mean(dn xh) cancels to the
     * rounding errors (so the order of the backward's per-element operations shows) */
    const int Ns[] = {1, 3, 4, 5, 8, 9, 17, 35, 256}, Cs[] = {1, 3, 8, 13, 64, 128};
    int tested = 0;
    for (int trial = 0; trial < 3; trial++)
    for (size_t ni = 0; ni < sizeof Ns / sizeof *Ns; ni++)
        for (size_t ci = 0; ci < sizeof Cs / sizeof *Cs; ci++) {
            int N = Ns[ni], C = Cs[ci];
            size_t nc = (size_t)N * C;
            float *x = malloc(nc * 4), *d = malloc(nc * 4), *g = malloc((size_t)C * 4), *b = malloc((size_t)C * 4);
            float *o[2], *mu[2], *rs[2], *dx[2], *dg[2], *db[2], *dx0 = malloc(nc * 4);
            for (int k = 0; k < 2; k++) {
                o[k] = malloc(nc * 4), mu[k] = malloc((size_t)N * 4), rs[k] = malloc((size_t)N * 4);
                dx[k] = malloc(nc * 4), dg[k] = malloc((size_t)C * 4), db[k] = malloc((size_t)C * 4);
            }
            for (size_t i = 0; i < nc; i++) {
                x[i] = (float)(rng_normal(&r) * (1 + i % 7) + (i / C) % 3);
                d[i] = (float)rng_normal(&r);
                dx0[i] = (float)rng_normal(&r);
            }
            if (trial == 1) {
                for (size_t i = 0; i < nc; i++) x[i] *= (float)pow(10.0, (double)(rng_u64(&r) % 17) - 8.0);
                for (int n = 0; C >= 4 && n < N; n++) /* cancelling giants: the mean is what order leaves */
                    x[(size_t)n * C + 1 + n % 3] = 1e17f, x[(size_t)n * C + C / 2 + n % 2] = -1e17f;
            }
            if (C > 3) x[2] = -0.0f, x[1] = 1e-30f, d[3] = 0.0f;
            for (int i = 0; i < C; i++) g[i] = (float)(1 + 0.1 * rng_normal(&r)), b[i] = (float)(0.1 * rng_normal(&r));
            if (trial == 2) {
                tfm_layernorm_forward_ref(o[0], mu[0], rs[0], x, g, b, 1e-12, N, C);
                for (size_t i = 0; i < nc; i++) {
                    double xh = (x[i] - (double)mu[0][i / C]) * rs[0][i / C];
                    d[i] = (float)((0.3 + 0.7 * xh) / g[i % C]);
                    dx0[i] = 0.0f; /* the residues would vanish in an O(1) accumulator */
                }
            }
            for (size_t ii = 0; ii < sizeof IMPLS / sizeof *IMPLS; ii++) {
                int impl = IMPLS[ii];
                if (!tfm_vec_available(impl)) continue;
                const int who[2] = {TFM_VEC_REF, impl};
                for (int k = 0; k < 2; k++) {
                    tfm_vec_layernorm_forward(who[k], o[k], mu[k], rs[k], x, g, b, 1e-12, N, C);
                    memcpy(dx[k], dx0, nc * 4);
                    for (int i = 0; i < C; i++) dg[k][i] = 0.5f, db[k][i] = -0.25f;
                    tfm_vec_layernorm_backward(who[k], dx[k], dg[k], db[k], d, x, g, mu[k], rs[k], N, C);
                }
                cr_expect(memcmp(o[0], o[1], nc * 4) == 0, "%s: LayerNorm output differs (N %d, C %d)",
                          tfm_vec_name(impl), N, C);
                cr_expect(memcmp(mu[0], mu[1], (size_t)N * 4) == 0 && memcmp(rs[0], rs[1], (size_t)N * 4) == 0,
                          "%s: LayerNorm statistics differ (N %d, C %d)", tfm_vec_name(impl), N, C);
                cr_expect(memcmp(dx[0], dx[1], nc * 4) == 0, "%s: LayerNorm dinp differs (N %d, C %d)",
                          tfm_vec_name(impl), N, C);
                cr_expect(memcmp(dg[0], dg[1], (size_t)C * 4) == 0 && memcmp(db[0], db[1], (size_t)C * 4) == 0,
                          "%s: LayerNorm dg/db differ (N %d, C %d)", tfm_vec_name(impl), N, C);
                /* into a zeroed buffer with a copy: the bits of zeroing, the plain backward, copying */
                {
                    float *z1 = malloc(nc * 4), *z2 = malloc(nc * 4);
                    for (size_t i = 0; i < nc; i++) z1[i] = 9.0f, z2[i] = -9.0f; /* overwritten */
                    memset(dx[0], 0, nc * 4);
                    for (int i = 0; i < C; i++) dg[0][i] = dg[1][i] = 0.5f, db[0][i] = db[1][i] = -0.25f;
                    tfm_vec_layernorm_backward(TFM_VEC_REF, dx[0], dg[0], db[0], d, x, g, mu[0], rs[0], N, C);
                    tfm_vec_layernorm_backward_set(impl, z1, z2, dg[1], db[1], d, x, g, mu[0], rs[0], N, C);
                    cr_expect(memcmp(z1, dx[0], nc * 4) == 0 && memcmp(z2, dx[0], nc * 4) == 0,
                              "%s: LayerNorm backward into zeroed buffers differs (N %d, C %d)", tfm_vec_name(impl), N, C);
                    cr_expect(memcmp(dg[0], dg[1], (size_t)C * 4) == 0 && memcmp(db[0], db[1], (size_t)C * 4) == 0,
                              "%s: LayerNorm (set) dg/db differ (N %d, C %d)", tfm_vec_name(impl), N, C);
                    tfm_vec_layernorm_backward_set(impl, z1, NULL, dg[1], db[1], d, x, g, mu[0], rs[0], N, C);
                    cr_expect(memcmp(z1, dx[0], nc * 4) == 0, "%s: LayerNorm backward (set, no copy) differs", tfm_vec_name(impl));
                    free(z1), free(z2);
                }
                /* in place (out = inp), statistics not kept */
                float *y = malloc(nc * 4);
                memcpy(y, x, nc * 4);
                tfm_vec_layernorm_forward(impl, y, NULL, NULL, y, g, b, 1e-12, N, C);
                cr_expect(memcmp(y, o[0], nc * 4) == 0, "%s: in-place LayerNorm differs (N %d, C %d)",
                          tfm_vec_name(impl), N, C);
                free(y);
                tested++;
            }
            for (int k = 0; k < 2; k++) free(o[k]), free(mu[k]), free(rs[k]), free(dx[k]), free(dg[k]), free(db[k]);
            free(x), free(d), free(g), free(b), free(dx0);
        }
    cr_expect(tested > 0);
}

Test(tfm_vec, elementwise_kernels_match_the_reference_bit_for_bit)
{
    rng r;
    rng_seed(&r, 15, 0);
    const size_t sizes[] = {1, 5, 15, 16, 17, 33, 1001};
    int tested = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        size_t n = sizes[si];
        float *x = malloc(n * 4), *y = malloc(n * 4), *a[2], *b[2];
        double *acc[2], *dydx = malloc(n * sizeof *dydx);
        uint16_t *u = malloc(n * sizeof *u);
        for (int k = 0; k < 2; k++) a[k] = malloc(n * 4), b[k] = malloc(n * 4), acc[k] = malloc(n * sizeof **acc);
        fill_edge(x, n, &r, 1.0);
        fill_edge(y, n, &r, 1.0);
        for (size_t i = 0; i < n; i++) {
            u[i] = (uint16_t)rng_u64(&r);
            dydx[i] = rng_normal(&r);
            if (i % 9 == 0) dydx[i] = i % 2 ? -0.0 : 0.0;
            if (fabsf(x[i]) > 1e4f) x[i] = copysignf(60.0f, x[i]); /* quad: no overflow to infinity */
        }
        if (n > 6) u[0] = 6553, u[1] = 6554, u[2] = 6555, u[3] = 0, u[4] = 65535;
        if (n > 12) y[7] = -100.0f, y[8] = -1e4f, y[9] = -99.99f; /* the KD mask's edge */
        for (size_t ii = 0; ii < sizeof IMPLS / sizeof *IMPLS; ii++) {
            int impl = IMPLS[ii];
            if (!tfm_vec_available(impl)) continue;
            const int who[2] = {TFM_VEC_REF, impl};
            const char *nm = tfm_vec_name(impl);
#define SAME(what) cr_expect(memcmp(a[0], a[1], n * 4) == 0, "%s: %s differs (n %zu)", nm, what, n)
            for (int k = 0; k < 2; k++) memcpy(a[k], x, n * 4), tfm_vec_mul(who[k], a[k], y, n);
            SAME("mul");
            for (int k = 0; k < 2; k++) memcpy(a[k], x, n * 4), tfm_vec_add(who[k], a[k], a[k], y, n);
            SAME("add (aliased)");
            for (int k = 0; k < 2; k++) tfm_vec_add(who[k], a[k], x, y, n);
            SAME("add");
            for (int k = 0; k < 2; k++) {
                for (size_t i = 0; i < n; i++) acc[k][i] = 0.25 * (double)i;
                tfm_vec_colsum(who[k], acc[k], x, n);
                tfm_vec_colsum(who[k], acc[k], y, n);
            }
            cr_expect(memcmp(acc[0], acc[1], n * sizeof **acc) == 0, "%s: colsum differs (n %zu)", nm, n);
            const uint32_t thrs[] = {0, 6554, 32768, 65536};
            for (size_t ti = 0; ti < 4; ti++) {
                for (int k = 0; k < 2; k++)
                    memcpy(a[k], x, n * 4), tfm_vec_dropout(who[k], a[k], b[k], u, thrs[ti], 1.0f / 0.9f, n);
                SAME("dropout output");
                cr_expect(memcmp(b[0], b[1], n * 4) == 0, "%s: dropout mask differs (thr %u)", nm, (unsigned)thrs[ti]);
            }
            for (int k = 0; k < 2; k++) tfm_vec_quad(who[k], a[k], x, 0.125, 0.25, 0.5, n);
            SAME("quad");
            const int acts[] = {TFM_ACT_RELU, TFM_ACT_QUAD, TFM_ACT_GELU_ERF};
            for (int ai = 0; ai < 3; ai++) {
                for (int k = 0; k < 2; k++) {
                    for (size_t i = 0; i < n; i++) a[k][i] = 7.0f; /* overwritten */
                    tfm_vec_act_backward_set(who[k], acts[ai], a[k], y, x, acts[ai] == TFM_ACT_GELU_ERF ? dydx : NULL,
                                             0.125, 0.25, n);
                }
                SAME(tfm_act_name(acts[ai]));
            }
            const float zb[] = {-100.0f, -INFINITY};
            for (int zi = 0; zi < 2; zi++) {
                for (int k = 0; k < 2; k++) {
                    for (size_t i = 0; i < n; i++) a[k][i] = (float)i * 0.5f;
                    tfm_vec_mse_backward(who[k], a[k], x, y, n, zb[zi], 0.7);
                }
                SAME("mse backward");
            }
            /* relu and quad against zeroing, then the plain backward */
            memset(b[0], 0, n * 4);
            tfm_relu_backward(b[0], y, x, n);
            for (int k = 0; k < 2; k++)
                tfm_vec_act_backward_set(who[k], TFM_ACT_RELU, a[k], y, x, NULL, 0, 0, n);
            cr_expect(memcmp(b[0], a[1], n * 4) == 0, "%s: relu backward differs from the plain one", nm);
            memset(b[0], 0, n * 4);
            tfm_quad_backward(b[0], y, x, 0.125, 0.25, n);
            tfm_vec_act_backward_set(impl, TFM_ACT_QUAD, a[1], y, x, NULL, 0.125, 0.25, n);
            cr_expect(memcmp(b[0], a[1], n * 4) == 0, "%s: quad backward differs from the plain one", nm);
#undef SAME
            tested++;
        }
        for (int k = 0; k < 2; k++) free(a[k]), free(b[k]), free(acc[k]);
        free(x), free(y), free(u), free(dydx);
    }
    cr_expect(tested > 0);
}

Test(tfm_vec, attention_rows_match_the_reference_bit_for_bit)
{
    rng r;
    rng_seed(&r, 16, 0);
    const int Ts[] = {1, 5, 8, 13, 64, 128}, Rs[] = {1, 3, 4, 9};
    int tested = 0;
    for (int attn = TFM_ATTN_SOFTMAX; attn <= TFM_ATTN_2QUAD; attn++)
        for (size_t ti = 0; ti < sizeof Ts / sizeof *Ts; ti++)
            for (size_t ri = 0; ri < sizeof Rs / sizeof *Rs; ri++)
                for (int mk = 0; mk < 3; mk++) { /* no mask; padded keys; every key padded */
                    int T = Ts[ti], rows = Rs[ri];
                    size_t n = (size_t)T * rows;
                    float *S = malloc(n * 4), *dP = malloc(n * 4), *P[2], *dS[2];
                    uint8_t *m = malloc((size_t)T);
                    for (int k = 0; k < 2; k++) P[k] = malloc(n * 4), dS[k] = malloc(n * 4);
                    for (int j = 0; j < T; j++) m[j] = mk == 2 ? 0 : (j < T - T / 3);
                    for (size_t i = 0; i < n; i++) {
                        /* wide magnitudes so the sums' order would show */
                        S[i] = (float)(rng_normal(&r) * pow(10.0, (double)(rng_u64(&r) % 5) - 2.0));
                        if (attn != TFM_ATTN_2QUAD && mk && !m[i % T]) S[i] += TFM_MASK_VALUE;
                        dP[i] = (float)(rng_normal(&r) * pow(10.0, (double)(rng_u64(&r) % 5) - 2.0));
                    }
                    if (n > 3) S[1] = 0.0f, S[2] = -0.0f;
                    const uint8_t *mm = mk ? m : NULL;
                    for (size_t ii = 0; ii < sizeof IMPLS / sizeof *IMPLS; ii++) {
                        int impl = IMPLS[ii];
                        if (!tfm_vec_available(impl)) continue;
                        const int who[2] = {TFM_VEC_REF, impl};
                        for (int k = 0; k < 2; k++) {
                            tfm_vec_attn_rows(who[k], P[k], S, mm, attn, 5.0, T, rows);
                            tfm_vec_attn_rows_backward(who[k], dS[k], dP, S, P[0], mm, attn, 5.0, T, rows);
                        }
                        cr_expect(memcmp(P[0], P[1], n * 4) == 0, "%s: %s rows differ (T %d, rows %d, mask %d)",
                                  tfm_vec_name(impl), tfm_attn_name(attn), T, rows, mk);
                        cr_expect(memcmp(dS[0], dS[1], n * 4) == 0, "%s: %s backward rows differ (T %d, rows %d, mask %d)",
                                  tfm_vec_name(impl), tfm_attn_name(attn), T, rows, mk);
                        tested++;
                    }
                    for (int k = 0; k < 2; k++) free(P[k]), free(dS[k]);
                    free(S), free(dP), free(m);
                }
    cr_expect(tested > 0);
}

/* ---- whole steps ---- */

/* A small model (bert-tiny's shape, vocabulary 97, 2 labels) with sizes that leave vector tails. */
static void small_model(tfm_config *cfg, tfm_params *p, int act, int attn, uint64_t seed)
{
    cr_assert_eq(tfm_config_named(cfg, "bert-tiny"), TFM_OK);
    cfg->V = 97, cfg->NL = 2, cfg->F = 52, cfg->act = act, cfg->attn = attn;
    tfm_params_alloc(p, cfg);
    tfm_params_init(p, cfg, seed);
}

/* n_steps trainer steps (mode, dropout 0.1) with the given kernels; the parameters and losses out. */
static void run_steps(const tfm_config *cfg, const tfm_params *init, int mode, const tfm_config *tcfg,
                      const tfm_params *teacher, int vec, int keep_derivative, float *params_out, double *losses,
                      int n_steps)
{
    enum { B = 3, T = 11 };
    tfm_params p = {0};
    tfm_params_alloc(&p, cfg);
    memcpy(p.mem, init->mem, p.n * sizeof *p.mem);
    tfm_trainer tr;
    tfm_trainer_init(&tr, cfg, &p, mode, B, T, 0.01, 0.5, tcfg, teacher);
    tfm_trainer_set_dropout(&tr, 0.1, 5);
    tr.a.vec = vec;
    double *dact = tr.a.dact;
    if (!keep_derivative) tr.a.dact = NULL; /* the forward keeps nothing, the backward recomputes */
    rng r;
    rng_seed(&r, 77, 0);
    int ids[B * T];
    uint8_t mask[B * T];
    float q[B * 2];
    for (int s = 0; s < n_steps; s++) {
        for (int i = 0; i < B * T; i++) ids[i] = 1 + (int)(rng_u64(&r) % 96), mask[i] = (i % T) < T - (i / T) * 3;
        for (int b = 0; b < B; b++) q[2 * b] = (float)(b & 1), q[2 * b + 1] = (float)!(b & 1);
        double gn = 0.0;
        losses[2 * s] = tfm_trainer_step(&tr, ids, mask, q, 2e-3, &gn);
        losses[2 * s + 1] = gn;
    }
    memcpy(params_out, p.mem, p.n * sizeof *p.mem);
    tr.a.dact = dact;
    tfm_trainer_free(&tr);
    tfm_params_free(&p);
}

Test(tfm_vec, whole_training_steps_are_bit_identical_to_the_plain_path, .timeout = 120)
{
    const int modes[] = {TFM_TRAIN_TASK, TFM_TRAIN_KD2, TFM_TRAIN_KD1};
    enum { STEPS = 3 };
    int fast = tfm_vec_best();
    fprintf(stderr, "test_tfm_vec: fast kernels %s\n", tfm_vec_name(fast));
    for (int act = TFM_ACT_GELU_ERF; act <= TFM_ACT_QUAD; act++)
        for (int attn = TFM_ATTN_SOFTMAX; attn <= TFM_ATTN_2QUAD; attn++)
            for (size_t mi = 0; mi < sizeof modes / sizeof *modes; mi++) {
                int mode = modes[mi];
                tfm_config cfg, tcfg;
                tfm_params init = {0}, teacher = {0};
                small_model(&cfg, &init, act, attn, 3 + (uint64_t)act);
                small_model(&tcfg, &teacher, TFM_ACT_GELU_ERF, TFM_ATTN_SOFTMAX, 9);
                float *a = malloc(init.n * 4), *b = malloc(init.n * 4);
                double la[2 * STEPS], lb[2 * STEPS];
                run_steps(&cfg, &init, mode, &tcfg, &teacher, TFM_VEC_REF, 0, a, la, STEPS);
                run_steps(&cfg, &init, mode, &tcfg, &teacher, TFM_VEC_AUTO, 1, b, lb, STEPS);
                cr_expect(memcmp(la, lb, sizeof la) == 0, "%s+%s mode %d: losses or gradient norms differ",
                          tfm_act_name(act), tfm_attn_name(attn), mode);
                cr_expect(memcmp(a, b, init.n * 4) == 0, "%s+%s mode %d: parameters differ after %d steps",
                          tfm_act_name(act), tfm_attn_name(attn), mode, STEPS);
                /* the comparison can fail: a different step count gives other parameters */
                if (act == TFM_ACT_GELU_ERF && attn == TFM_ATTN_SOFTMAX && mode == TFM_TRAIN_TASK) {
                    run_steps(&cfg, &init, mode, &tcfg, &teacher, TFM_VEC_AUTO, 1, b, lb, STEPS - 1);
                    cr_expect(memcmp(a, b, init.n * 4) != 0, "the comparison cannot see a changed result");
                }
                free(a), free(b);
                tfm_params_free(&init);
                tfm_params_free(&teacher);
            }
}

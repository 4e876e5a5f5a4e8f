/* test_fss_keyio.c -- key serialisation (fss_keyio.h): for every gate the serialised size equals the
 * closed form of its cost function; written then read keys evaluate to the same masked outputs. */
#include <math.h>

#include "../protocols/fss/fss_keyio.h"
#include "fss_harness.h"

/* Counts, writes, reads back into `shape` and checks the re-written bytes are identical. */
#define KIO_ROUNDTRIP(visit, key, shape, want)                                                                 \
    do {                                                                                                       \
        fss_keyio cnt = {FSS_KIO_COUNT, NULL, 0, NULL, 0};                                                             \
        visit(&cnt, (key));                                                                                    \
        cr_expect_eq(cnt.pos, (want), #visit ": %llu bytes serialised, closed form %llu",                       \
                     (unsigned long long)cnt.pos, (unsigned long long)(want));                                 \
        uint8_t *b1 = calloc(cnt.pos + 1, 1), *b2 = calloc(cnt.pos + 1, 1);                                    \
        fss_keyio w = {FSS_KIO_WRITE, b1, 0, NULL, 0};                                                                 \
        visit(&w, (key));                                                                                      \
        fss_keyio rd_ = {FSS_KIO_READ, b1, 0, NULL, 0};                                                                \
        visit(&rd_, (shape));                                                                                  \
        fss_keyio w2 = {FSS_KIO_WRITE, b2, 0, NULL, 0};                                                                \
        visit(&w2, (shape));                                                                                   \
        cr_expect(w.pos == cnt.pos && rd_.pos == cnt.pos && memcmp(b1, b2, cnt.pos) == 0, #visit ": round trip"); \
        free(b1);                                                                                              \
        free(b2);                                                                                              \
    } while (0)

typedef struct kio_io {
    size_t N;
    const uint64_t *x_hat;
    uint64_t *y_hat[2];
    void *key[2];
    int which;
} kio_io;

static void kio_party(mpc_ctx *c, void *a)
{
    kio_io *io = a;
    if (io->which == 0) fss_gelu(c, io->y_hat[c->self], io->key[c->self], io->x_hat, io->N);
    else fss_softmax(c, io->y_hat[c->self], io->key[c->self], io->x_hat);
}

Test(fss_keyio, sizes_equal_closed_forms_and_round_trip)
{
    const int n = 50, f = 12;
    const size_t R = 3, L = 16, N = R * L;
    fss_dealer d;
    fss_dealer_init(&d, 300);
    uint64_t *r = calloc(N, 8), *ro = calloc(N, 8), *r2 = calloc(N, 8), *rg = calloc(L, 8);
    fss_dealer_masks(&d, r, N, n);
    fss_dealer_masks(&d, r2, N, n);
    fss_dealer_masks(&d, rg, L, n);
    {
        fss_drelu_key k0, k1, s0, s1;
        fss_drelu_keygen(&d, &k0, &k1, ro, r, n, N);
        fss_drelu_keygen(NULL, &s0, &s1, NULL, NULL, n, N);
        KIO_ROUNDTRIP(fss_kio_drelu, &k1, &s1, fss_drelu_cost(n, N).key_bytes);
        fss_drelu_key_free(&k0), fss_drelu_key_free(&k1), fss_drelu_key_free(&s1);
    }
    {
        fss_relu_key k0, k1, s0, s1;
        fss_relu_keygen(&d, &k0, &k1, ro, r, n, N);
        fss_relu_keygen(NULL, &s0, &s1, NULL, NULL, n, N);
        KIO_ROUNDTRIP(fss_kio_relu, &k0, &s0, fss_relu_cost(n, N).key_bytes);
        fss_relu_key_free(&k0), fss_relu_key_free(&k1), fss_relu_key_free(&s0);
    }
    for (int kind = 0; kind < 3; kind++) {
        int bin = kind == FSS_TR_SEXT ? 38 : n, s = kind == FSS_TR_SEXT ? 0 : f,
            bout = kind == FSS_TR_REDUCE ? n - f : n;
        fss_tr_key k0, k1, s0, s1;
        fss_tr_keygen(&d, &k0, &k1, ro, r, kind, bin, s, bout, N);
        fss_tr_keygen(NULL, &s0, &s1, NULL, NULL, kind, bin, s, bout, N);
        KIO_ROUNDTRIP(fss_kio_tr, &k1, &s1, fss_tr_cost(kind, bin, s, bout, N).key_bytes);
        fss_tr_key_free(&k0), fss_tr_key_free(&k1), fss_tr_key_free(&s1);
    }
    {
        fss_trfloor_key k0, k1, s0, s1;
        fss_trfloor_keygen(&d, &k0, &k1, ro, r, n, f, N);
        fss_trfloor_keygen(NULL, &s0, &s1, NULL, NULL, n, f, N);
        KIO_ROUNDTRIP(fss_kio_trfloor, &k0, &s0, fss_trfloor_cost(n, f, N).key_bytes);
        fss_trfloor_key_free(&k0), fss_trfloor_key_free(&k1), fss_trfloor_key_free(&s0);
    }
    {
        fss_matmul_key k0, k1, s0, s1;
        fss_matmul_keygen(&d, &k0, &k1, ro, r, r2, n, R, L, R);
        fss_matmul_keygen(NULL, &s0, &s1, NULL, NULL, NULL, n, R, L, R);
        KIO_ROUNDTRIP(fss_kio_matmul, &k0, &s0, fss_matmul_cost(n, R, L, R).key_bytes);
        fss_matmul_key_free(&k0), fss_matmul_key_free(&k1), fss_matmul_key_free(&s0);
    }
    {
        fss_lut_key k0, k1, s0, s1;
        fss_lut_keygen(&d, &k0, &k1, ro, r, 8, n, N);
        fss_lut_keygen(NULL, &s0, &s1, NULL, NULL, 8, n, N);
        KIO_ROUNDTRIP(fss_kio_lut, &k0, &s0, fss_lut_cost(8, n, N).key_bytes);
        fss_lut_key_free(&k0), fss_lut_key_free(&k1), fss_lut_key_free(&s0);
    }
    for (int bc = 0; bc < 3; bc++) {
        fss_mul_key k0, k1, s0, s1;
        fss_mul_keygen(&d, &k0, &k1, ro, r, r2, n, R, L, bc);
        fss_mul_keygen(NULL, &s0, &s1, NULL, NULL, NULL, n, R, L, bc);
        KIO_ROUNDTRIP(fss_kio_mul, &k0, &s0, fss_mul_cost(n, R, L, bc).key_bytes);
        fss_mul_key_free(&k0), fss_mul_key_free(&k1), fss_mul_key_free(&s0);
    }
    {
        fss_max_key k0, k1, s0, s1;
        fss_max_keygen(&d, &k0, &k1, ro, r, n, R, L);
        fss_max_keygen(NULL, &s0, &s1, NULL, NULL, n, R, L);
        KIO_ROUNDTRIP(fss_kio_max, &k0, &s0, fss_max_cost(n, R, L).key_bytes);
        fss_max_key_free(&k0), fss_max_key_free(&k1), fss_max_key_free(&s0);
    }
    {
        fss_quad_key k0, k1, s0, s1;
        fss_quad_keygen(&d, &k0, &k1, ro, r, n, f, N);
        fss_quad_keygen(NULL, &s0, &s1, NULL, NULL, n, f, N);
        KIO_ROUNDTRIP(fss_kio_quad, &k0, &s0, fss_quad_cost(n, f, N).key_bytes);
        fss_quad_key_free(&k0), fss_quad_key_free(&k1), fss_quad_key_free(&s0);
    }
    {
        fss_nexp_key k0, k1, s0, s1;
        fss_nexp_keygen(&d, &k0, &k1, ro, r, n, f, N);
        fss_nexp_keygen(NULL, &s0, &s1, NULL, NULL, n, f, N);
        KIO_ROUNDTRIP(fss_kio_nexp, &k0, &s0, fss_nexp_cost(n, f, N).key_bytes);
        fss_nexp_key_free(&k0), fss_nexp_key_free(&k1), fss_nexp_key_free(&s0);
    }
    {
        fss_layernorm_key k0, k1, s0, s1;
        fss_layernorm_keygen(&d, &k0, &k1, ro, r, rg, rg, n, f, 1e-5, R, L);
        fss_layernorm_keygen(NULL, &s0, &s1, NULL, NULL, NULL, NULL, n, f, 1e-5, R, L);
        KIO_ROUNDTRIP(fss_kio_layernorm, &k0, &s0, fss_layernorm_cost(n, f, R, L).key_bytes);
        fss_layernorm_key_free(&k0), fss_layernorm_key_free(&k1), fss_layernorm_key_free(&s0);
    }
    for (int kind = 0; kind < 2; kind++) {
        fss_attn_key k0, k1, s0, s1;
        fss_attn_keygen(&d, &k0, &k1, ro, r, kind, n, f, 5.0, R, L);
        fss_attn_keygen(NULL, &s0, &s1, NULL, NULL, kind, n, f, 5.0, R, L);
        KIO_ROUNDTRIP(fss_kio_attn, &k0, &s0, fss_attn_cost(kind, n, f, R, L).key_bytes);
        fss_attn_key_free(&k0), fss_attn_key_free(&k1), fss_attn_key_free(&s0);
    }
    free(r), free(ro), free(r2), free(rg);
    fss_dealer_free(&d);
}

/* GeLU and softmax evaluated with keys that went through bytes give the same masked outputs. */
Test(fss_keyio, read_keys_evaluate_the_same)
{
    const int n = 50, f = 12;
    const size_t R = 2, L = 32, N = R * L;
    for (int which = 0; which < 2; which++) {
        fss_dealer d;
        fss_dealer_init(&d, 310 + (uint64_t)which);
        uint64_t *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *a0 = calloc(N, 8), *a1 = calloc(N, 8),
                 *b0 = calloc(N, 8), *b1 = calloc(N, 8);
        fss_dealer_masks(&d, r, N, n);
        fss_dealer_masks(&d, xh, N, 14);
        for (size_t i = 0; i < N; i++) xh[i] = (xh[i] + r[i]) & fss_mask(n);
        fss_gelu_key g[2], gs[2];
        fss_softmax_key s[2], ss[2];
        void *orig[2], *read[2];
        uint8_t *bufs[2];
        if (which == 0) {
            fss_gelu_keygen(&d, &g[0], &g[1], ro, r, n, f, n - f, N);
            fss_gelu_keygen(NULL, &gs[0], &gs[1], NULL, NULL, n, f, n - f, N);
        } else {
            fss_softmax_keygen(&d, &s[0], &s[1], ro, r, n, f, R, L);
            fss_softmax_keygen(NULL, &ss[0], &ss[1], NULL, NULL, n, f, R, L);
        }
        for (int p = 0; p < 2; p++) {
            fss_keyio cnt = {FSS_KIO_COUNT, NULL, 0, NULL, 0};
            if (which == 0) fss_kio_gelu(&cnt, &g[p]);
            else fss_kio_softmax(&cnt, &s[p]);
            cr_expect_eq(cnt.pos, which == 0 ? fss_gelu_cost(n, f, n - f, N).key_bytes
                                             : fss_softmax_cost(n, f, R, L).key_bytes);
            uint8_t *buf = calloc(cnt.pos, 1);
            fss_keyio w = {FSS_KIO_WRITE, buf, 0, NULL, 0}, rd = {FSS_KIO_READ, buf, 0, NULL, 0};
            if (which == 0) fss_kio_gelu(&w, &g[p]), fss_kio_gelu(&rd, &gs[p]);
            else fss_kio_softmax(&w, &s[p]), fss_kio_softmax(&rd, &ss[p]);
            bufs[p] = buf; /* the read keys' DPF parts are views of it */
            orig[p] = which == 0 ? (void *)&g[p] : (void *)&s[p];
            read[p] = which == 0 ? (void *)&gs[p] : (void *)&ss[p];
        }
        kio_io io = {N, xh, {a0, a1}, {orig[0], orig[1]}, which}, io2 = {N, xh, {b0, b1}, {read[0], read[1]}, which};
        fh_run run;
        tu_trace tr = {0};
        memset(&run, 0, sizeof run);
        mpc_config_default(&run.cfg);
        run.fn = kio_party;
        run.arg = &io;
        fh_exec(&run, &tr);
        run.arg = &io2;
        fh_exec(&run, &tr);
        cr_expect(memcmp(a0, b0, N * 8) == 0 && memcmp(a1, b1, N * 8) == 0, "%s: read keys evaluate differently",
                  which ? "softmax" : "gelu");
        tu_trace_free(&tr);
        for (int p = 0; p < 2; p++) {
            if (which == 0) fss_gelu_key_free(&g[p]), fss_gelu_key_free(&gs[p]);
            else fss_softmax_key_free(&s[p]), fss_softmax_key_free(&ss[p]);
            free(bufs[p]);
        }
        free(r), free(xh), free(ro), free(a0), free(a1), free(b0), free(b1);
        fss_dealer_free(&d);
    }
}

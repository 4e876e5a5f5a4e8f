/* test_fss_gate.c -- fss gates on masked wires (fss_gate.h): values against exact integer or double
 * references, exact rounds, bytes and key bytes at two shapes or more, real == phantom traces. Keys
 * come from a trusted local dealer (fss_dealer) in the test. */
#include <math.h>

#include "fss_harness.h"

/* A masked input: x^ = x + r mod 2^b. */
static void mask_inputs(uint64_t *x_hat, const uint64_t *x, const uint64_t *r, size_t N, int b)
{
    for (size_t i = 0; i < N; i++) x_hat[i] = (x[i] + r[i]) & fss_mask(b);
}

/* Signed test values in Z_2^b: boundaries (0, -1, 1, +-2^(b-1) region, +-2^(b-2)) then random. */
static void test_values(uint64_t *x, size_t N, int b, uint64_t seed, int slack)
{
    rng r;
    rng_seed(&r, seed, (uint64_t)b);
    uint64_t m = fss_mask(b), h = (uint64_t)1 << (b - 1 - slack);
    uint64_t edge[] = {0, m, 1, h, h - 1, (0 - h) & m, (0 - h + 1) & m, 2, (uint64_t)1 << 12, (0 - ((uint64_t)1 << 12)) & m};
    for (size_t i = 0; i < N; i++) {
        if (i < sizeof edge / sizeof *edge) x[i] = edge[i];
        else if (slack) x[i] = (uint64_t)((int64_t)(rng_u64(&r) & (h - 1)) - (int64_t)(h / 2 * 2) / 2 * (i & 1)) & m;
        else x[i] = rng_u64(&r) & m;
        if (slack && i < sizeof edge / sizeof *edge && (x[i] == h || x[i] == ((0 - h) & m))) x[i] = 0; /* |x| < h */
    }
}

/* ---- DReLU, select, ReLU ---- */

typedef struct unary_io {
    int b;
    size_t N;
    const uint64_t *x_hat;
    uint64_t *y_hat[2];
    void *key[2];
} unary_io;

static void drelu_party(mpc_ctx *c, void *a)
{
    unary_io *io = a;
    fss_drelu(c, io->y_hat[c->self], io->key[c->self], io->x_hat, io->N);
}

static void relu_party(mpc_ctx *c, void *a)
{
    unary_io *io = a;
    fss_relu(c, io->y_hat[c->self], io->key[c->self], io->x_hat, io->N);
}

Test(fss_gate, drelu_values_costs_phantom)
{
    int bs[] = {50, 64, 16, 9};
    size_t Ns[] = {300, 77, 1000, 512};
    for (int t = 0; t < 4; t++) {
        int b = bs[t];
        size_t N = Ns[t];
        fss_dealer d;
        fss_dealer_init(&d, 3 + (uint64_t)t);
        uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *rd = calloc(N, 8), *y0 = calloc(N, 8),
                 *y1 = calloc(N, 8);
        if (b == 9)
            for (size_t i = 0; i < N; i++) x[i] = i; /* every input */
        else test_values(x, N, b, 1, 0);
        fss_dealer_masks(&d, r, N, b);
        mask_inputs(xh, x, r, N, b);
        fss_drelu_key k0, k1, p0, p1;
        fss_drelu_keygen(&d, &k0, &k1, rd, r, b, N);
        fss_drelu_keygen(NULL, &p0, &p1, NULL, NULL, b, N);
        unary_io io = {b, N, xh, {y0, y1}, {&k0, &k1}}, ioph = {b, N, NULL, {NULL, NULL}, {&p0, &p1}};
        fh_check("drelu", drelu_party, &io, &ioph, fss_drelu_cost(b, N));
        size_t bad = 0;
        for (size_t i = 0; i < N; i++) {
            unsigned want = fh_signed(x[i], b) >= 0;
            bad += y0[i] != y1[i] || ((y0[i] ^ rd[i]) & 1) != want;
        }
        cr_expect_eq(bad, 0, "drelu b = %d: %zu wrong", b, bad);
        fss_drelu_key_free(&k0);
        fss_drelu_key_free(&k1);
        free(x), free(r), free(xh), free(rd), free(y0), free(y1);
        fss_dealer_free(&d);
    }
    /* closed forms by hand: b = 50: DPF on 49 bits = 16*49 - 80 = 704 B per element, 1 bit each */
    fss_cost c = fss_drelu_cost(50, 1000);
    cr_expect_eq(c.rounds, 1);
    cr_expect_eq(c.bytes, 125);
    cr_expect_eq(c.key_bytes, 704000 + 125);
    c = fss_drelu_cost(16, 9);
    cr_expect_eq(c.bytes, 2);
    cr_expect_eq(c.key_bytes, 9 * (16 * 15 - 80) + 2);
}

typedef struct select_io {
    size_t N;
    const uint64_t *d_hat, *x_hat;
    uint64_t *y_hat[2];
    fss_select_key *key[2];
} select_io;

static void select_party(mpc_ctx *c, void *a)
{
    select_io *io = a;
    fss_select(c, io->y_hat[c->self], io->key[c->self], io->d_hat, io->x_hat, io->N);
}

Test(fss_gate, select_values_costs_phantom)
{
    int bs[] = {50, 37, 64};
    for (int t = 0; t < 3; t++) {
        int b = bs[t];
        size_t N = 200 + 13 * (size_t)t;
        fss_dealer d;
        fss_dealer_init(&d, 9);
        uint64_t *x = calloc(N, 8), *dd = calloc(N, 8), *rx = calloc(N, 8), *rd = calloc(N, 8), *xh = calloc(N, 8),
                 *dh = calloc(N, 8), *ry = calloc(N, 8), *y0 = calloc(N, 8), *y1 = calloc(N, 8);
        test_values(x, N, b, 2, 0);
        fss_dealer_masks(&d, dd, N, 1);
        fss_dealer_masks(&d, rx, N, b);
        fss_dealer_masks(&d, rd, N, 1);
        mask_inputs(xh, x, rx, N, b);
        for (size_t i = 0; i < N; i++) dh[i] = dd[i] ^ rd[i];
        fss_select_key k0, k1, p0, p1;
        fss_select_keygen(&d, &k0, &k1, ry, rd, rx, NULL, b, N);
        fss_select_keygen(NULL, &p0, &p1, NULL, NULL, NULL, NULL, b, N);
        select_io io = {N, dh, xh, {y0, y1}, {&k0, &k1}}, ioph = {N, NULL, NULL, {NULL, NULL}, {&p0, &p1}};
        fh_check("select", select_party, &io, &ioph, fss_select_cost(b, N));
        size_t bad = 0;
        for (size_t i = 0; i < N; i++) bad += y0[i] != y1[i] || ((y0[i] - ry[i]) & fss_mask(b)) != (dd[i] ? x[i] : 0);
        cr_expect_eq(bad, 0, "select b = %d: %zu wrong", b, bad);
        fss_select_key_free(&k0);
        fss_select_key_free(&k1);
        free(x), free(dd), free(rx), free(rd), free(xh), free(dh), free(ry), free(y0), free(y1);
        fss_dealer_free(&d);
    }
    fss_cost c = fss_select_cost(50, 100);
    cr_expect_eq(c.bytes, 625);      /* 100 x 50 bits */
    cr_expect_eq(c.key_bytes, 1875); /* 3 x 100 x 50 bits */
}

Test(fss_gate, relu_fixed_point_values_costs_phantom)
{
    int bs[] = {50, 24};
    size_t Ns[] = {500, 64};
    for (int t = 0; t < 2; t++) {
        int b = bs[t], f = 12;
        size_t N = Ns[t];
        fss_dealer d;
        fss_dealer_init(&d, 11);
        uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *y0 = calloc(N, 8),
                 *y1 = calloc(N, 8);
        double *xr = calloc(N, 8);
        rng g;
        rng_seed(&g, 4, 0);
        for (size_t i = 0; i < N; i++) {
            xr[i] = rng_range(&g, -100, 100);
            if (i == 0) xr[i] = 0;
            x[i] = (uint64_t)(int64_t)llround(xr[i] * 4096) & fss_mask(b);
        }
        fss_dealer_masks(&d, r, N, b);
        mask_inputs(xh, x, r, N, b);
        fss_relu_key k0, k1, p0, p1;
        fss_relu_keygen(&d, &k0, &k1, ro, r, b, N);
        fss_relu_keygen(NULL, &p0, &p1, NULL, NULL, b, N);
        unary_io io = {b, N, xh, {y0, y1}, {&k0, &k1}}, ioph = {b, N, NULL, {NULL, NULL}, {&p0, &p1}};
        fh_check("relu", relu_party, &io, &ioph, fss_relu_cost(b, N));
        double worst = 0;
        for (size_t i = 0; i < N; i++) {
            cr_assert_eq(y0[i], y1[i]);
            double got = (double)fh_signed(y0[i] - ro[i], b) / (1 << f), want = xr[i] > 0 ? xr[i] : 0;
            if (fabs(got - want) > worst) worst = fabs(got - want);
        }
        /* only the input encoding errs: half an ulp */
        cr_expect(worst <= 0.5 / 4096 + 1e-12, "relu b = %d: worst error %g", b, worst);
        fss_relu_key_free(&k0);
        fss_relu_key_free(&k1);
        free(x), free(r), free(xh), free(ro), free(y0), free(y1), free(xr);
        fss_dealer_free(&d);
    }
    /* FSS.md 3: ReLU = 1 + b bits, 2 rounds; key 16b - 96 per element (DPF) + bits */
    fss_cost c = fss_relu_cost(50, 8);
    cr_expect_eq(c.rounds, 2);
    cr_expect_eq(c.bytes, 1 + 50);
    cr_expect_eq(c.key_bytes, 8 * 704 + 1 + 150);
}

/* ---- truncations ---- */

typedef struct tr_io {
    size_t N;
    const uint64_t *x_hat;
    uint64_t *y_hat[2];
    fss_tr_key *key[2];
    fss_trfloor_key *fkey[2];
} tr_io;

static void tr_party(mpc_ctx *c, void *a)
{
    tr_io *io = a;
    fss_tr(c, io->y_hat[c->self], io->key[c->self], io->x_hat, io->N);
}

static void trfloor_party(mpc_ctx *c, void *a)
{
    tr_io *io = a;
    fss_trfloor(c, io->y_hat[c->self], io->fkey[c->self], io->x_hat, io->N);
}

/* kind, bin, s, bout */
static void tr_case(int kind, int bin, int s, int bout, size_t N, uint64_t seed)
{
    fss_dealer d;
    fss_dealer_init(&d, seed);
    uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *y0 = calloc(N, 8),
             *y1 = calloc(N, 8);
    test_values(x, N, bin, seed, kind == FSS_TR_SLACK ? 1 : 0);
    fss_dealer_masks(&d, r, N, bin);
    mask_inputs(xh, x, r, N, bin);
    fss_tr_key k0, k1, p0, p1;
    fss_tr_keygen(&d, &k0, &k1, ro, r, kind, bin, s, bout, N);
    fss_tr_keygen(NULL, &p0, &p1, NULL, NULL, kind, bin, s, bout, N);
    tr_io io = {N, xh, {y0, y1}, {&k0, &k1}, {NULL, NULL}}, ioph = {N, NULL, {NULL, NULL}, {&p0, &p1}, {NULL, NULL}};
    char what[64];
    snprintf(what, sizeof what, "tr kind %d bin %d s %d bout %d", kind, bin, s, bout);
    fh_check(what, tr_party, &io, &ioph, fss_tr_cost(kind, bin, s, bout, N));
    size_t bad = 0;
    uint64_t mo = fss_mask(bout);
    for (size_t i = 0; i < N; i++) {
        uint64_t want;
        if (kind == FSS_TR_REDUCE) want = (x[i] & fss_mask(bin)) >> s;
        else if (kind == FSS_TR_SEXT) want = (uint64_t)fh_signed(x[i], bin) & mo;
        else want = (uint64_t)(fh_signed(x[i], bin) >> s) & mo; /* arithmetic shift = floor */
        uint64_t got = (y0[i] - ro[i]) & mo;
        if (bad < 3 && (got != want || y0[i] != y1[i]))
            cr_log_error("%s: x = %llx, got %llx, want %llx", what, (unsigned long long)x[i], (unsigned long long)got,
                         (unsigned long long)want);
        bad += got != want || y0[i] != y1[i];
    }
    cr_expect_eq(bad, 0, "%s: %zu wrong of %zu", what, bad, N);
    fss_tr_key_free(&k0);
    fss_tr_key_free(&k1);
    free(x), free(r), free(xh), free(ro), free(y0), free(y1);
    fss_dealer_free(&d);
}

Test(fss_gate, truncate_reduce_sign_extend_slack)
{
    tr_case(FSS_TR_REDUCE, 50, 12, 38, 400, 1);
    tr_case(FSS_TR_REDUCE, 64, 12, 52, 100, 2);
    tr_case(FSS_TR_REDUCE, 16, 5, 11, 300, 3);
    tr_case(FSS_TR_SEXT, 38, 0, 50, 400, 4);
    tr_case(FSS_TR_SEXT, 20, 0, 64, 100, 5);
    tr_case(FSS_TR_SEXT, 64, 0, 64, 50, 6);
    tr_case(FSS_TR_SLACK, 50, 12, 50, 400, 7);
    tr_case(FSS_TR_SLACK, 38, 6, 33, 300, 8); /* SIGMA's GeLU: bin = n - f, shift f - 6, bout = bin - shift + 1 */
    tr_case(FSS_TR_SLACK, 64, 16, 64, 100, 9);
    /* closed forms by hand (FSS.md 3): TrWithSlack at s = 12, b = 50, one element: DPF(12) = 112 B,
     * 1 bit, three 50-bit elements: 112 + ceil(151/8) = 131 B; online 1 + 50 bits in 2 messages */
    fss_cost c = fss_tr_cost(FSS_TR_SLACK, 50, 12, 50, 1);
    cr_expect_eq(c.key_bytes, 112 + 1 + 19);
    cr_expect_eq(c.bytes, 1 + 7);
    c = fss_tr_cost(FSS_TR_SLACK, 50, 12, 50, 1000);
    cr_expect_eq(c.key_bytes, 112000 + 125 + 18750);
    cr_expect_eq(c.bytes, 125 + 6250);
}

Test(fss_gate, trfloor_exact_values_costs_phantom)
{
    int ns[] = {50, 64, 16};
    int ss[] = {12, 16, 4};
    size_t Ns[] = {400, 60, 1 << 16};
    for (int t = 0; t < 3; t++) {
        int n = ns[t], s = ss[t];
        size_t N = Ns[t];
        fss_dealer d;
        fss_dealer_init(&d, 21 + (uint64_t)t);
        uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *y0 = calloc(N, 8),
                 *y1 = calloc(N, 8);
        if (n == 16)
            for (size_t i = 0; i < N; i++) x[i] = i; /* the whole ring */
        else test_values(x, N, n, 5, 0);
        fss_dealer_masks(&d, r, N, n);
        mask_inputs(xh, x, r, N, n);
        fss_trfloor_key k0, k1, p0, p1;
        fss_trfloor_keygen(&d, &k0, &k1, ro, r, n, s, N);
        fss_trfloor_keygen(NULL, &p0, &p1, NULL, NULL, n, s, N);
        tr_io io = {N, xh, {y0, y1}, {NULL, NULL}, {&k0, &k1}}, ioph = {N, NULL, {NULL, NULL}, {NULL, NULL}, {&p0, &p1}};
        fh_check("trfloor", trfloor_party, &io, &ioph, fss_trfloor_cost(n, s, N));
        size_t bad = 0;
        for (size_t i = 0; i < N; i++)
            bad += y0[i] != y1[i] || ((y0[i] - ro[i]) & fss_mask(n)) != ((uint64_t)(fh_signed(x[i], n) >> s) & fss_mask(n));
        cr_expect_eq(bad, 0, "trfloor n = %d s = %d: %zu wrong", n, s, bad);
        fss_trfloor_key_free(&k0);
        fss_trfloor_key_free(&k1);
        free(x), free(r), free(xh), free(ro), free(y0), free(y1);
        fss_dealer_free(&d);
    }
    /* FSS.md 3: TrFloor = 2n - s + 2 bits (90 at n = 50, s = 12), 4 rounds. Per element at N = 8:
     * messages of 1, 38, 1, 50 bits x 8 = 1 + 38 + 1 + 50 bytes; key 112 + 528 + (1 + 76 + 1 + 100) bits */
    fss_cost c = fss_trfloor_cost(50, 12, 8);
    cr_expect_eq(c.rounds, 4);
    cr_expect_eq(c.bytes, 90);
    cr_expect_eq(c.key_bytes, 8 * (112 + 528) + 1 + 76 + 1 + 100);
}

/* ---- masked matmul ---- */

typedef struct mm_io {
    const uint64_t *X_hat, *Y_hat;
    uint64_t *Z_hat[2];
    fss_matmul_key *key[2];
} mm_io;

static void mm_party(mpc_ctx *c, void *a)
{
    mm_io *io = a;
    fss_matmul(c, io->Z_hat[c->self], io->key[c->self], io->X_hat, io->Y_hat);
}

Test(fss_gate, matmul_values_costs_phantom)
{
    size_t shapes[][3] = {{5, 7, 3}, {16, 32, 8}};
    int bs[] = {50, 64};
    for (int t = 0; t < 2; t++) {
        size_t m = shapes[t][0], k = shapes[t][1], p = shapes[t][2];
        int b = bs[t];
        fss_dealer d;
        fss_dealer_init(&d, 31);
        uint64_t *X = calloc(m * k, 8), *Y = calloc(k * p, 8), *rx = calloc(m * k, 8), *ry = calloc(k * p, 8),
                 *Xh = calloc(m * k, 8), *Yh = calloc(k * p, 8), *rz = calloc(m * p, 8), *Z0 = calloc(m * p, 8),
                 *Z1 = calloc(m * p, 8), *W = calloc(m * p, 8);
        fss_dealer_masks(&d, X, m * k, b);
        fss_dealer_masks(&d, Y, k * p, b);
        fss_dealer_masks(&d, rx, m * k, b);
        fss_dealer_masks(&d, ry, k * p, b);
        mask_inputs(Xh, X, rx, m * k, b);
        mask_inputs(Yh, Y, ry, k * p, b);
        fss_matmul_key k0, k1, p0, p1;
        fss_matmul_keygen(&d, &k0, &k1, rz, rx, ry, b, m, k, p);
        fss_matmul_keygen(NULL, &p0, &p1, NULL, NULL, NULL, b, m, k, p);
        mm_io io = {Xh, Yh, {Z0, Z1}, {&k0, &k1}}, ioph = {NULL, NULL, {NULL, NULL}, {&p0, &p1}};
        fh_check("matmul", mm_party, &io, &ioph, fss_matmul_cost(b, m, k, p));
        mpc_ring_matmul_naive(W, X, Y, m, k, p);
        size_t bad = 0;
        for (size_t i = 0; i < m * p; i++) bad += Z0[i] != Z1[i] || ((Z0[i] - rz[i]) & fss_mask(b)) != (W[i] & fss_mask(b));
        cr_expect_eq(bad, 0, "matmul %zux%zux%zu: %zu wrong", m, k, p, bad);
        fss_matmul_key_free(&k0);
        fss_matmul_key_free(&k1);
        free(X), free(Y), free(rx), free(ry), free(Xh), free(Yh), free(rz), free(Z0), free(Z1), free(W);
        fss_dealer_free(&d);
    }
    fss_cost c = fss_matmul_cost(50, 128, 768, 768);
    cr_expect_eq(c.rounds, 1);
    cr_expect_eq(c.bytes, 128 * 768 * 50 / 8);
    cr_expect_eq(c.key_bytes, (128 * 768 + 768 * 768 + 128 * 768) * 50 / 8);
}

/* ---- input: the owner sends x + r ---- */

typedef struct in_io {
    size_t N;
    int b;
    const uint64_t *x, *r;
    uint64_t *xh[2];
} in_io;

static void in_party(mpc_ctx *c, void *a)
{
    in_io *io = a;
    fss_input(c, io->xh[c->self], c->self == NET_P0 ? io->x : NULL, c->self == NET_P0 ? io->r : NULL, io->N, io->b,
              NET_P0);
}

Test(fss_gate, input_one_way)
{
    size_t N = 100;
    uint64_t x[100], r[100], h0[100], h1[100];
    for (size_t i = 0; i < N; i++) {
        x[i] = i * 0x9e3779b97f4a7c15ull;
        r[i] = ~i * 0x2545f4914f6cdd1dull;
    }
    in_io io = {N, 50, x, r, {h0, h1}}, ioph = {N, 50, NULL, NULL, {NULL, NULL}};
    fh_run rr;
    tu_trace tr = {0};
    memset(&rr, 0, sizeof rr);
    mpc_config_default(&rr.cfg);
    rr.fn = in_party;
    rr.arg = &io;
    fh_exec(&rr, &tr);
    cr_expect_eq(rr.sent[0], 625);
    cr_expect_eq(rr.sent[1], 0);
    cr_expect_eq(rr.rounds[1], 1);
    for (size_t i = 0; i < N; i++) cr_expect_eq(h1[i], (x[i] + r[i]) & fss_mask(50));
    tu_trace_free(&tr);
    (void)ioph;
}

Test(fss_gate, config_check_names_the_problem)
{
    char err[160];
    cr_expect_eq(fss_config_check(50, 12, err, sizeof err), 0);
    cr_expect_eq(fss_config_check(37, 12, err, sizeof err), 0);
    cr_expect_eq(fss_config_check(8, 2, err, sizeof err), -1);
    cr_expect(strstr(err, "8 bits") != NULL, "%s", err);
    cr_expect_eq(fss_config_check(24, 12, err, sizeof err), -1);
    cr_expect(strstr(err, "too small") != NULL, "%s", err);
    cr_expect_eq(fss_config_check(50, 4, err, sizeof err), -1);
    cr_expect(strstr(err, "fractional") != NULL, "%s", err);
    cr_expect_eq(fss_config_check(65, 12, err, sizeof err), -1);
}

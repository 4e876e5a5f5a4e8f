/* dealer.c -- correlated randomness by the seed trick. See dealer.h. */
#include "dealer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Request layout: kind, then up to 5 shape words (little-endian uint64). */
typedef struct dealer_req {
    uint64_t kind, d[5];
} dealer_req;

_Static_assert(sizeof(dealer_req) == DEALER_REQ_BYTES, "request size");

static void draw(mpc_ctx *c, uint64_t *buf, size_t n)
{
    if (!c->phantom) rng_fill_u64(&c->dealer, buf, n);
    mpc_work(c, 0, 0, 8 * n);
}

/* P0: ask D for one correlation; its correction (n words) is read at once in the inline schedule,
 * by dealer_collect in the offline one. */
static void request(mpc_ctx *c, uint64_t *corr, size_t n, dealer_kind kind, uint64_t d0, uint64_t d1,
                    uint64_t d2, uint64_t d3, uint64_t d4)
{
    CHECK(!c->corr_pending, "P0: dealer request while a correction is pending (dealer_collect missing)");
    dealer_req r = {kind, {d0, d1, d2, d3, d4}};
    int rc = net_send(c->net, NET_D, &r, sizeof r); /* always real bytes: D needs the shapes */
    if (rc == NET_OK) rc = net_flush(c->net, NET_D);
    CHECK(rc == NET_OK, "P0: dealer request failed: %s", net_strerror(rc));
    c->corr = corr;
    c->ncorr_words = n;
    c->corr_pending = 1;
    c->ncorr++;
    if (c->cfg->dealer_schedule == MPC_DEALER_INLINE) dealer_collect(c);
}

void dealer_collect(mpc_ctx *c)
{
    if (!c->corr_pending) return;
    c->corr_pending = 0;
    mpc_recv(c, NET_D, c->corr, c->ncorr_words);
}

void dealer_mul(mpc_ctx *c, uint64_t *a, uint64_t *b, uint64_t *ab, size_t R, size_t L, mpc_bcast bc)
{
    size_t n = R * L, ny = mpc_bcast_len(bc, R, L);
    draw(c, a, n);
    draw(c, b, ny);
    if (c->self == NET_P0) request(c, ab, n, DEALER_MUL, R, L, (uint64_t)bc, 0, 0);
    else draw(c, ab, n), c->ncorr++;
}

void dealer_matmul(mpc_ctx *c, uint64_t *A, uint64_t *Bm, uint64_t *C, size_t B, size_t m, size_t k,
                   size_t p, int y_shared)
{
    draw(c, A, B * m * k);
    draw(c, Bm, (y_shared ? 1 : B) * k * p);
    if (c->self == NET_P0) request(c, C, B * m * p, DEALER_MATMUL, B, m, k, p, (uint64_t)!!y_shared);
    else draw(c, C, B * m * p), c->ncorr++;
}

void dealer_square(mpc_ctx *c, uint64_t *r, uint64_t *r2, size_t n)
{
    draw(c, r, n);
    if (c->self == NET_P0) request(c, r2, n, DEALER_SQUARE, n, 0, 0, 0, 0);
    else draw(c, r2, n), c->ncorr++;
}

void dealer_and(mpc_ctx *c, uint64_t *a, uint64_t *b, uint64_t *ab, size_t n)
{
    draw(c, a, n);
    draw(c, b, n);
    if (c->self == NET_P0) request(c, ab, n, DEALER_AND, n, 0, 0, 0, 0);
    else draw(c, ab, n), c->ncorr++;
}

void dealer_b2a(mpc_ctx *c, uint64_t *rb, uint64_t *ra, size_t n)
{
    draw(c, rb, n);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) rb[i] &= 1;
    if (c->self == NET_P0) request(c, ra, n, DEALER_B2A, n, 0, 0, 0, 0);
    else draw(c, ra, n), c->ncorr++;
}

void dealer_trunc(mpc_ctx *c, uint64_t *r, uint64_t *qm, size_t n, uint64_t d)
{
    draw(c, r, n);
    if (c->self == NET_P0) request(c, qm, 2 * n, DEALER_TRUNC, n, d, 0, 0, 0);
    else draw(c, qm, 2 * n), c->ncorr++;
}

/* ---- dealer side ---- */

void dealer_init(dealer_ctx *d, net_party *net, int phantom, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    CHECK(net->self == NET_D, "dealer_init on party %d", net->self);
    d->net = net;
    d->phantom = phantom;
    rng_seed(&d->local, seed, 2000);
}

int dealer_setup(dealer_ctx *d)
{
    uint8_t s[2][MPC_DEALER_SEED_BYTES], nonce[8] = {0};
    for (int i = 0; i < 2; i++) {
        rng_bytes(&d->local, s[i], sizeof s[i]);
        rng_init_key(&d->s[i], s[i], nonce);
        int rc = net_send(d->net, i, s[i], sizeof s[i]);
        if (rc == NET_OK) rc = net_flush(d->net, i);
        if (rc != NET_OK) return rc;
    }
    return NET_OK;
}

static uint64_t *fill(dealer_ctx *d, int who, size_t n)
{
    uint64_t *p = chk_malloc(n * sizeof *p);
    rng_fill_u64(&d->s[who], p, n);
    return p;
}

/* Largest tensor D accepts in one request (2^32 words = 32 GiB): anything larger is a bad request. */
#define DEALER_MAX_WORDS (1ull << 32)

static int bad_request(const dealer_req *r, const char *why)
{
    fprintf(stderr, "error: dealer: malformed request (kind %llu): %s\n", (unsigned long long)r->kind, why);
    return NET_EPROTO;
}

static int dims_ok(const uint64_t *d, int k)
{
    uint64_t prod = 1;
    for (int i = 0; i < k; i++) {
        if (d[i] == 0 || d[i] > DEALER_MAX_WORDS) return 0;
        if (prod > DEALER_MAX_WORDS / d[i]) return 0;
        prod *= d[i];
    }
    return 1;
}

static int serve_one(dealer_ctx *d, const dealer_req *r)
{
    uint64_t *out = NULL;
    size_t nout;
    int ph = d->phantom;
    switch (r->kind) {
    case DEALER_MUL: {
        if (!dims_ok(r->d, 2) || r->d[2] > MPC_BC_COL) return bad_request(r, "bad mul shape");
        size_t R = r->d[0], L = r->d[1], n = R * L;
        mpc_bcast bc = (mpc_bcast)r->d[2];
        size_t ny = mpc_bcast_len(bc, R, L);
        nout = n;
        if (ph) break;
        uint64_t *a0 = fill(d, 0, n), *b0 = fill(d, 0, ny);
        uint64_t *a1 = fill(d, 1, n), *b1 = fill(d, 1, ny), *c1 = fill(d, 1, n);
        out = chk_malloc(n * sizeof *out);
        for (size_t rr = 0; rr < R; rr++)
            for (size_t j = 0; j < L; j++) {
                size_t i = rr * L + j, k = bc == MPC_BC_NONE ? i : bc == MPC_BC_ROW ? rr : j;
                out[i] = (a0[i] + a1[i]) * (b0[k] + b1[k]) - c1[i];
            }
        free(a0), free(b0), free(a1), free(b1), free(c1);
        break;
    }
    case DEALER_MATMUL: {
        /* Bound each tensor (A: B m k, Bm: B k p, C: B m p), not the product of all four dims. */
        uint64_t da[3] = {r->d[0], r->d[1], r->d[2]}, db[3] = {r->d[0], r->d[2], r->d[3]}, dc[3] = {r->d[0], r->d[1], r->d[3]};
        if (!dims_ok(da, 3) || !dims_ok(db, 3) || !dims_ok(dc, 3) || r->d[4] > 1) return bad_request(r, "bad matmul shape");
        size_t B = r->d[0], m = r->d[1], k = r->d[2], p = r->d[3], ys = r->d[4];
        size_t nx = B * m * k, ny = (ys ? 1 : B) * k * p;
        nout = B * m * p;
        if (ph) break;
        uint64_t *A0 = fill(d, 0, nx), *B0 = fill(d, 0, ny);
        uint64_t *A1 = fill(d, 1, nx), *B1 = fill(d, 1, ny), *C1 = fill(d, 1, nout);
        for (size_t i = 0; i < nx; i++) A0[i] += A1[i];
        for (size_t i = 0; i < ny; i++) B0[i] += B1[i];
        out = chk_malloc(nout * sizeof *out);
        for (size_t b = 0; b < B; b++)
            mpc_ring_matmul(out + b * m * p, A0 + b * m * k, B0 + (ys ? 0 : b * k * p), m, k, p);
        for (size_t i = 0; i < nout; i++) out[i] -= C1[i];
        free(A0), free(B0), free(A1), free(B1), free(C1);
        break;
    }
    case DEALER_SQUARE: {
        if (!dims_ok(r->d, 1)) return bad_request(r, "bad square size");
        size_t n = r->d[0];
        nout = n;
        if (ph) break;
        uint64_t *r0 = fill(d, 0, n), *r1 = fill(d, 1, n), *c1 = fill(d, 1, n);
        out = chk_malloc(n * sizeof *out);
        for (size_t i = 0; i < n; i++) {
            uint64_t v = r0[i] + r1[i];
            out[i] = v * v - c1[i];
        }
        free(r0), free(r1), free(c1);
        break;
    }
    case DEALER_AND: {
        if (!dims_ok(r->d, 1)) return bad_request(r, "bad and size");
        size_t n = r->d[0];
        nout = n;
        if (ph) break;
        uint64_t *a0 = fill(d, 0, n), *b0 = fill(d, 0, n);
        uint64_t *a1 = fill(d, 1, n), *b1 = fill(d, 1, n), *c1 = fill(d, 1, n);
        out = chk_malloc(n * sizeof *out);
        for (size_t i = 0; i < n; i++) out[i] = ((a0[i] ^ a1[i]) & (b0[i] ^ b1[i])) ^ c1[i];
        free(a0), free(b0), free(a1), free(b1), free(c1);
        break;
    }
    case DEALER_B2A: {
        if (!dims_ok(r->d, 1)) return bad_request(r, "bad b2a size");
        size_t n = r->d[0];
        nout = n;
        if (ph) break;
        uint64_t *w0 = fill(d, 0, n), *w1 = fill(d, 1, n), *c1 = fill(d, 1, n);
        out = chk_malloc(n * sizeof *out);
        for (size_t i = 0; i < n; i++) out[i] = ((w0[i] ^ w1[i]) & 1) - c1[i];
        free(w0), free(w1), free(c1);
        break;
    }
    case DEALER_TRUNC: {
        if (!dims_ok(r->d, 1) || r->d[1] < 2 || r->d[1] > INT64_MAX) return bad_request(r, "bad trunc size or divisor");
        size_t n = r->d[0];
        uint64_t dv = r->d[1];
        nout = 2 * n;
        if (ph) break;
        uint64_t *r0 = fill(d, 0, n), *r1 = fill(d, 1, n), *qm1 = fill(d, 1, 2 * n);
        out = chk_malloc(2 * n * sizeof *out);
        for (size_t i = 0; i < n; i++) {
            uint64_t v = r0[i] + r1[i];
            out[i] = v / dv - qm1[i];
            out[n + i] = (v >> 63) - qm1[n + i];
        }
        free(r0), free(r1), free(qm1);
        break;
    }
    default:
        return bad_request(r, "unknown correlation kind");
    }
    int rc = net_send(d->net, NET_P0, out, nout * 8);
    if (rc == NET_OK) rc = net_flush(d->net, NET_P0);
    free(out);
    d->nreq++;
    d->words_out += nout;
    return rc;
}

int dealer_serve(dealer_ctx *d)
{
    for (;;) {
        dealer_req r;
        int rc = net_recv(d->net, NET_P0, &r, sizeof r);
        if (rc == NET_ECLOSED) return NET_OK; /* P0 is done */
        if (rc != NET_OK) return rc;
        rc = serve_one(d, &r);
        if (rc != NET_OK) return rc;
    }
}

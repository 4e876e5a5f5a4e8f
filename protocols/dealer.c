/* dealer.c -- correlated randomness by the seed trick; the kinds table and the core kinds. See
 * dealer.h. */
#include "dealer.h"

#include "mpc_wcache.h"
#include "../common/rng_tee.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Request layout: kind, then DEALER_SHAPE_WORDS shape words (little-endian uint64). */
typedef struct dealer_req {
    uint64_t kind, d[DEALER_SHAPE_WORDS];
} dealer_req;

_Static_assert(sizeof(dealer_req) == DEALER_REQ_BYTES, "request size");

void dealer_draw(mpc_ctx *c, uint64_t *buf, size_t n)
{
    /* The setup work's copy of this stretch of the stream (mpc_wcache.h), else the PRG. */
    if (!mpc_wcache_dealer_draw(c, buf, n) && !c->phantom) rng_fill_u64(&c->dealer, buf, n);
    c->dealer_bytes += 8 * (uint64_t)n;
    mpc_work(c, 0, 0, 8 * n);
}

void dealer_request(mpc_ctx *c, const dealer_kind_def *k, const uint64_t shape[DEALER_SHAPE_WORDS], void *material)
{
    uint64_t bytes[2] = {0, 0};
    const char *why = k->sizes(shape, bytes);
    CHECK(!why, "%s: dealer request '%s': %s", net_party_names[c->self], k->name, why);
    CHECK(!c->corr_pending, "%s: dealer request while material is pending (dealer_collect missing)",
          net_party_names[c->self]);
    if (c->self == NET_P0) {
        dealer_req r = {k->id, {0}};
        memcpy(r.d, shape, sizeof r.d);
        int rc = net_send(c->net, NET_D, &r, sizeof r); /* always real bytes: D needs the shapes */
        if (rc == NET_OK) rc = net_flush(c->net, NET_D);
        CHECK(rc == NET_OK, "P0: dealer request failed: %s", net_strerror(rc));
    }
    c->ncorr++;
    if (bytes[c->self] == 0) return;
    c->corr = material;
    c->ncorr_bytes = bytes[c->self];
    c->corr_pending = 1;
    if (c->cfg->dealer_schedule == MPC_DEALER_INLINE) dealer_collect(c);
}

void dealer_collect(mpc_ctx *c)
{
    if (!c->corr_pending) return;
    c->corr_pending = 0;
    mpc_recv_bytes(c, NET_D, c->corr, c->ncorr_bytes);
}

const uint64_t *dealer_collect_lend(mpc_ctx *c, net_loan *l, const uint64_t *material)
{
    memset(l, 0, sizeof *l);
    if (!c->corr_pending) return material;
    CHECK(c->corr == material && c->ncorr_bytes % 8 == 0, "%s: dealer_collect_lend of another buffer than the pending material",
          net_party_names[c->self]);
    c->corr_pending = 0;
    return mpc_recv_lend(c, l, NET_D, c->corr, c->ncorr_bytes / 8);
}

void dealer_loan_return(mpc_ctx *c, net_loan *l)
{
    if (l->id) mpc_loan_return(c, l);
}

/* ---- the core kinds: sizes and D's side ---- */

/* Largest tensor D accepts in one request (2^32 words = 32 GiB): anything larger is a bad request. */
#define DEALER_MAX_WORDS (1ull << 32)

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

/* n words of party who's dealer stream, replayed: in place when the party computed them already in
 * this process (rng_tee.h: the simulator), else into scratch memory. Release with unfill. */
static uint64_t *fill(dealer_ctx *d, int who, size_t n)
{
    uint64_t *p = rng_tee_take(&d->s[who], n * sizeof *p);
    if (p) return p;
    p = arena_block_alloc(d->scratch, n * sizeof *p);
    rng_fill_u64(&d->s[who], p, n);
    return p;
}

static void unfill(dealer_ctx *d, uint64_t *p)
{
    if (!rng_tee_holds(d->s[0].tee, p) && !rng_tee_holds(d->s[1].tee, p)) arena_block_free(p);
}

/* shape: R, L, bcast */
static const char *mul_sizes(const uint64_t *s, uint64_t bytes[2])
{
    if (!dims_ok(s, 2) || s[2] > MPC_BC_COL) return "bad mul shape";
    bytes[0] = 8 * s[0] * s[1];
    return NULL;
}

static void mul_serve(dealer_ctx *d, const uint64_t *s, uint8_t *o[2])
{
    size_t R = s[0], L = s[1], n = R * L;
    mpc_bcast bc = (mpc_bcast)s[2];
    size_t ny = mpc_bcast_len(bc, R, L);
    uint64_t *a0 = fill(d, 0, n), *b0 = fill(d, 0, ny);
    uint64_t *a1 = fill(d, 1, n), *b1 = fill(d, 1, ny), *c1 = fill(d, 1, n);
    uint64_t *out = (uint64_t *)(void *)o[0];
    for (size_t rr = 0; rr < R; rr++)
        for (size_t j = 0; j < L; j++) {
            size_t i = rr * L + j, k = bc == MPC_BC_NONE ? i : bc == MPC_BC_ROW ? rr : j;
            out[i] = (a0[i] + a1[i]) * (b0[k] + b1[k]) - c1[i];
        }
    unfill(d, a0), unfill(d, b0), unfill(d, a1);
    unfill(d, b1), unfill(d, c1);
}

/* shape: B, m, k, p, y_shared. Bound each tensor (A: B m k, Bm: B k p, C: B m p), not the product of
 * all four dims. */
static const char *matmul_sizes(const uint64_t *s, uint64_t bytes[2])
{
    uint64_t da[3] = {s[0], s[1], s[2]}, db[3] = {s[0], s[2], s[3]}, dc[3] = {s[0], s[1], s[3]};
    if (!dims_ok(da, 3) || !dims_ok(db, 3) || !dims_ok(dc, 3) || s[4] > 1) return "bad matmul shape";
    bytes[0] = 8 * s[0] * s[1] * s[3];
    return NULL;
}

static void matmul_serve(dealer_ctx *d, const uint64_t *s, uint8_t *o[2])
{
    size_t B = s[0], m = s[1], k = s[2], p = s[3], ys = s[4];
    size_t nx = B * m * k, ny = (ys ? 1 : B) * k * p, nout = B * m * p;
    uint64_t *A0 = fill(d, 0, nx), *B0 = fill(d, 0, ny);
    uint64_t *A1 = fill(d, 1, nx), *B1 = fill(d, 1, ny), *C1 = fill(d, 1, nout);
    uint64_t *out = (uint64_t *)(void *)o[0];
    /* C0 = (A0 + A1) @ (B0 + B1) - C1: the kernel adds the halves as it reads them */
    for (size_t i = 0; i < nout; i++) out[i] = 0 - C1[i];
    for (size_t b = 0; b < B; b++) {
        size_t xo = b * m * k, yo = ys ? 0 : b * k * p;
        mpc_ring_matmul_acc_sum(out + b * m * p, A0 + xo, A1 + xo, B0 + yo, B1 + yo, NULL, m, k, p);
    }
    unfill(d, A0), unfill(d, B0), unfill(d, A1);
    unfill(d, B1), unfill(d, C1);
}

/* shape: n (square, and, b2a) */
static const char *n_sizes(const uint64_t *s, uint64_t bytes[2])
{
    if (!dims_ok(s, 1)) return "bad size";
    bytes[0] = 8 * s[0];
    return NULL;
}

static void square_serve(dealer_ctx *d, const uint64_t *s, uint8_t *o[2])
{
    size_t n = s[0];
    uint64_t *r0 = fill(d, 0, n), *r1 = fill(d, 1, n), *c1 = fill(d, 1, n);
    uint64_t *out = (uint64_t *)(void *)o[0];
    for (size_t i = 0; i < n; i++) {
        uint64_t v = r0[i] + r1[i];
        out[i] = v * v - c1[i];
    }
    unfill(d, r0), unfill(d, r1), unfill(d, c1);
}

static void and_serve(dealer_ctx *d, const uint64_t *s, uint8_t *o[2])
{
    size_t n = s[0];
    uint64_t *a0 = fill(d, 0, n), *b0 = fill(d, 0, n);
    uint64_t *a1 = fill(d, 1, n), *b1 = fill(d, 1, n), *c1 = fill(d, 1, n);
    uint64_t *out = (uint64_t *)(void *)o[0];
    for (size_t i = 0; i < n; i++) out[i] = ((a0[i] ^ a1[i]) & (b0[i] ^ b1[i])) ^ c1[i];
    unfill(d, a0), unfill(d, b0), unfill(d, a1);
    unfill(d, b1), unfill(d, c1);
}

static void b2a_serve(dealer_ctx *d, const uint64_t *s, uint8_t *o[2])
{
    size_t n = s[0];
    uint64_t *w0 = fill(d, 0, n), *w1 = fill(d, 1, n), *c1 = fill(d, 1, n);
    uint64_t *out = (uint64_t *)(void *)o[0];
    for (size_t i = 0; i < n; i++) out[i] = ((w0[i] ^ w1[i]) & 1) - c1[i];
    unfill(d, w0), unfill(d, w1), unfill(d, c1);
}

/* shape: n, d (the safe truncation's pair, mpc_trunc_safe.h): [floor(r/d)] then [r >> 63], 16n bytes */
static const char *trunc_sizes(const uint64_t *s, uint64_t bytes[2])
{
    if (!dims_ok(s, 1) || s[1] < 2 || s[1] > INT64_MAX) return "bad trunc size or divisor";
    bytes[0] = 16 * s[0];
    return NULL;
}

static void trunc_serve(dealer_ctx *d, const uint64_t *s, uint8_t *o[2])
{
    size_t n = s[0];
    uint64_t dv = s[1];
    uint64_t *r0 = fill(d, 0, n), *r1 = fill(d, 1, n), *qm1 = fill(d, 1, 2 * n);
    uint64_t *out = (uint64_t *)(void *)o[0];
    for (size_t i = 0; i < n; i++) {
        uint64_t v = r0[i] + r1[i];
        out[i] = v / dv - qm1[i];
        out[n + i] = (v >> 63) - qm1[n + i];
    }
    unfill(d, r0), unfill(d, r1), unfill(d, qm1);
}

const dealer_kind_def dealer_core_kinds[] = {
    {DEALER_MUL, "mul", DEALER_TO_P0, mul_sizes, mul_serve},
    {DEALER_MATMUL, "matmul", DEALER_TO_P0, matmul_sizes, matmul_serve},
    {DEALER_SQUARE, "square", DEALER_TO_P0, n_sizes, square_serve},
    {DEALER_AND, "and", DEALER_TO_P0, n_sizes, and_serve},
    {DEALER_B2A, "b2a", DEALER_TO_P0, n_sizes, b2a_serve},
    {DEALER_TRUNC, "trunc", DEALER_TO_P0, trunc_sizes, trunc_serve},
    {0, NULL, 0, NULL, NULL},
};

const dealer_kind_def *dealer_kind_find(const dealer_kind_def *kinds, uint64_t id)
{
    for (const dealer_kind_def *k = dealer_core_kinds; k->name; k++)
        if (k->id == id) return k;
    for (const dealer_kind_def *k = kinds; k && k->name; k++)
        if (k->id == id) return k;
    return NULL;
}

/* ---- party side of the core kinds: P0 and P1 draw their masks; P1 also draws its result share,
 * P0 receives the correction ---- */

static void request5(mpc_ctx *c, dealer_kind id, void *material, uint64_t d0, uint64_t d1, uint64_t d2,
                     uint64_t d3, uint64_t d4)
{
    const uint64_t shape[DEALER_SHAPE_WORDS] = {d0, d1, d2, d3, d4};
    dealer_request(c, dealer_kind_find(NULL, id), shape, material);
}

void dealer_mul(mpc_ctx *c, uint64_t *a, uint64_t *b, uint64_t *ab, size_t R, size_t L, mpc_bcast bc)
{
    size_t n = R * L, ny = mpc_bcast_len(bc, R, L);
    dealer_draw(c, a, n);
    dealer_draw(c, b, ny);
    request5(c, DEALER_MUL, ab, R, L, (uint64_t)bc, 0, 0);
    if (c->self == NET_P1) dealer_draw(c, ab, n);
}

void dealer_matmul(mpc_ctx *c, uint64_t *A, uint64_t *Bm, uint64_t *C, size_t B, size_t m, size_t k,
                   size_t p, int y_shared)
{
    dealer_draw(c, A, B * m * k);
    dealer_draw(c, Bm, (y_shared ? 1 : B) * k * p);
    request5(c, DEALER_MATMUL, C, B, m, k, p, (uint64_t)!!y_shared);
    if (c->self == NET_P1) dealer_draw(c, C, B * m * p);
}

void dealer_square(mpc_ctx *c, uint64_t *r, uint64_t *r2, size_t n)
{
    dealer_draw(c, r, n);
    request5(c, DEALER_SQUARE, r2, n, 0, 0, 0, 0);
    if (c->self == NET_P1) dealer_draw(c, r2, n);
}

void dealer_and(mpc_ctx *c, uint64_t *a, uint64_t *b, uint64_t *ab, size_t n)
{
    dealer_draw(c, a, n);
    dealer_draw(c, b, n);
    request5(c, DEALER_AND, ab, n, 0, 0, 0, 0);
    if (c->self == NET_P1) dealer_draw(c, ab, n);
}

void dealer_b2a(mpc_ctx *c, uint64_t *rb, uint64_t *ra, size_t n)
{
    dealer_draw(c, rb, n);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) rb[i] &= 1;
    request5(c, DEALER_B2A, ra, n, 0, 0, 0, 0);
    if (c->self == NET_P1) dealer_draw(c, ra, n);
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

void dealer_init_key(dealer_ctx *d, net_party *net, int phantom, const uint8_t key[32])
{
    static const uint8_t nonce[8] = {0};
    dealer_init(d, net, phantom, 0);
    rng_init_key(&d->local, key, nonce);
}

void dealer_set_kinds(dealer_ctx *d, const dealer_kind_def *kinds) { d->kinds = kinds; }

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

static int bad_request(const dealer_req *r, const char *why)
{
    fprintf(stderr, "error: dealer: malformed request (kind %llu): %s\n", (unsigned long long)r->kind, why);
    return NET_EPROTO;
}

static int serve_one(dealer_ctx *d, const dealer_req *r)
{
    const dealer_kind_def *k = dealer_kind_find(d->kinds, r->kind);
    if (!k) return bad_request(r, "unknown correlation kind");
    uint64_t bytes[2] = {0, 0};
    const char *why = k->sizes(r->d, bytes);
    if (why) return bad_request(r, why);
    uint8_t *out[2] = {NULL, NULL};
    if (!d->phantom) {
        for (int i = 0; i < 2; i++)
            if (bytes[i]) out[i] = arena_block_alloc(d->scratch, bytes[i]);
        k->serve(d, r->d, out);
    }
    int rc = NET_OK;
    for (int i = 0; i < 2 && rc == NET_OK; i++) {
        if (!bytes[i]) continue;
        rc = net_send(d->net, i, out[i], bytes[i]);
        if (rc == NET_OK) rc = net_flush(d->net, i);
        d->bytes_out[i] += bytes[i];
    }
    arena_block_free(out[1]), arena_block_free(out[0]);
    d->nreq++;
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

void dealer_trunc(mpc_ctx *c, uint64_t *r, uint64_t *qm, size_t n, uint64_t d)
{
    dealer_draw(c, r, n);
    request5(c, DEALER_TRUNC, qm, n, d, 0, 0, 0);
    if (c->self == NET_P1) dealer_draw(c, qm, 2 * n);
}

/* mpc.c -- context, sharing, opening, local ops and the Beaver family. See mpc.h. */
#include "mpc_tags.h"
#include "mpc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../common/fx.h"
#include "dealer.h"
#include "mpc_trunc_safe.h"

void mpc_config_default(mpc_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->frac_bits = 16;
    cfg->exp_iters = 8;
    cfg->recip_nr_iters = 10;
    cfg->recip_init_mul = 3.0;
    cfg->recip_init_add = 0.003;
    cfg->sqrt_nr_iters = 3;
    cfg->erf_iters = 8;
    cfg->sigmoid_recip_iters = 3;
    cfg->sigmoid_recip_init = 0.75;
    cfg->max_method = MPC_MAX_CRYPTEN;
    cfg->quad_a = 0.125;
    cfg->quad_b = 0.5;
    cfg->quad_c = 0.25;
    cfg->quad2_c = 5.0;
    cfg->softmax_recip_scale = 0; /* automatic */
    cfg->quad2_recip_scale = 0;
    cfg->relu2_recip_scale = 0;
    cfg->ln_eps = 1.0 / 65536;
    cfg->ln_rsqrt_shift = 0;
    cfg->dealer_schedule = MPC_DEALER_OFFLINE;
}

void mpc_ctx_init(mpc_ctx *c, net_party *net, const mpc_config *cfg, int phantom, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    CHECK(net->self == NET_P0 || net->self == NET_P1, "mpc_ctx is for P0 and P1, not party %d", net->self);
    c->net = net;
    c->cfg = cfg;
    c->self = net->self;
    c->phantom = phantom;
    rng_seed(&c->local, seed, 1000 + (uint64_t)c->self);
}

void mpc_send(mpc_ctx *c, int peer, const uint64_t *buf, size_t nwords)
{
    int rc = net_send(c->net, peer, c->phantom ? NULL : buf, nwords * 8);
    CHECK(rc == NET_OK, "%s: send to %s failed: %s", net_party_names[c->self], net_party_names[peer], net_strerror(rc));
}

void mpc_recv(mpc_ctx *c, int peer, uint64_t *buf, size_t nwords)
{
    int rc = net_recv(c->net, peer, c->phantom ? NULL : buf, nwords * 8);
    CHECK(rc == NET_OK, "%s: receive from %s failed: %s", net_party_names[c->self], net_party_names[peer], net_strerror(rc));
}

void mpc_exchange(mpc_ctx *c, uint64_t *w, const uint64_t *v, size_t n)
{
    int peer = 1 - c->self;
    mpc_send(c, peer, v, n);
    int rc = net_flush(c->net, peer);
    CHECK(rc == NET_OK, "flush failed: %s", net_strerror(rc));
    mpc_recv(c, peer, w, n);
}

int mpc_setup(mpc_ctx *c)
{
    int peer = 1 - c->self;
    uint8_t mine[MPC_PAIR_SEED_BYTES], theirs[MPC_PAIR_SEED_BYTES], dseed[MPC_DEALER_SEED_BYTES];
    rng_bytes(&c->local, mine, sizeof mine);
    int rc = net_send(c->net, peer, mine, sizeof mine);
    if (rc == NET_OK) rc = net_flush(c->net, peer);
    if (rc == NET_OK) rc = net_recv(c->net, peer, theirs, sizeof theirs);
    if (rc == NET_OK) rc = net_recv(c->net, NET_D, dseed, sizeof dseed);
    if (rc != NET_OK) return rc;
    /* Common key: BLAKE2b(seed_P0 || seed_P1), the same on both sides. */
    uint8_t both[2 * MPC_PAIR_SEED_BYTES], key[32], nonce[8] = {0};
    memcpy(both + (c->self == NET_P0 ? 0 : MPC_PAIR_SEED_BYTES), mine, sizeof mine);
    memcpy(both + (c->self == NET_P0 ? MPC_PAIR_SEED_BYTES : 0), theirs, sizeof theirs);
    crypto_generichash(key, sizeof key, both, sizeof both, NULL, 0);
    rng_init_key(&c->pair, key, nonce);
    rng_init_key(&c->dealer, dseed, nonce);
    return NET_OK;
}

uint64_t *mpc_tmp(const mpc_ctx *c, size_t n)
{
    return c->phantom ? NULL : chk_malloc(n * sizeof(uint64_t));
}

void mpc_tmp_free(uint64_t *p) { free(p); }

void mpc_work(mpc_ctx *c, uint64_t ring_macs, uint64_t elem_ops, uint64_t prg_bytes)
{
    net_work w = {ring_macs, elem_ops, prg_bytes};
    net_compute(c->net, &w);
}

/* ---- sharing and opening ---- */

void mpc_przs(mpc_ctx *c, uint64_t *z, size_t n)
{
    mpc_work(c, 0, n, 8 * n);
    if (c->phantom) return;
    rng_fill_u64(&c->pair, z, n);
    if (c->self == NET_P1)
        for (size_t i = 0; i < n; i++) z[i] = 0 - z[i];
}

void mpc_przs_bin(mpc_ctx *c, uint64_t *z, size_t n)
{
    mpc_work(c, 0, n, 8 * n);
    if (c->phantom) return;
    rng_fill_u64(&c->pair, z, n);
}

void mpc_share(mpc_ctx *c, uint64_t *x_sh, const uint64_t *x, size_t n, int owner)
{
    mpc_przs(c, x_sh, n);
    if (c->phantom || c->self != owner) return;
    for (size_t i = 0; i < n; i++) x_sh[i] += x[i];
}

void mpc_share_model(mpc_ctx *c, uint64_t *x_sh, const uint64_t *x, size_t n)
{
    net_cost_fn saved = c->net->cost;
    c->net->cost = NULL;
    mpc_share(c, x_sh, x, n, NET_P0);
    c->net->cost = saved;
}

void mpc_share_bin(mpc_ctx *c, uint64_t *x_sh, const uint64_t *x, size_t n, int owner)
{
    mpc_przs_bin(c, x_sh, n);
    if (c->phantom || c->self != owner) return;
    for (size_t i = 0; i < n; i++) x_sh[i] ^= x[i];
}

static void mpc_open_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x_sh, size_t n)
{
    uint64_t *w = mpc_tmp(c, n);
    mpc_exchange(c, w, x_sh, n);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) out[i] = x_sh[i] + w[i];
    mpc_work(c, 0, n, 0);
    mpc_tmp_free(w);
}

void mpc_open(mpc_ctx *c, uint64_t *out, const uint64_t *x_sh, size_t n)
{
    net_tag_push(c->net, MPC_TAG_OPEN);
    mpc_open_body_(c, out, x_sh, n);
    net_tag_pop(c->net, MPC_TAG_OPEN);
}

static void mpc_open_bin_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x_sh, size_t n)
{
    uint64_t *w = mpc_tmp(c, n);
    mpc_exchange(c, w, x_sh, n);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) out[i] = x_sh[i] ^ w[i];
    mpc_work(c, 0, n, 0);
    mpc_tmp_free(w);
}

void mpc_open_bin(mpc_ctx *c, uint64_t *out, const uint64_t *x_sh, size_t n)
{
    net_tag_push(c->net, MPC_TAG_OPEN_BIN);
    mpc_open_bin_body_(c, out, x_sh, n);
    net_tag_pop(c->net, MPC_TAG_OPEN_BIN);
}

static void mpc_reveal_to_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x_sh, size_t n, int to)
{
    CHECK(to == NET_P0 || to == NET_P1, "reveal to party %d", to);
    if (c->self != to) {
        mpc_send(c, to, x_sh, n);
        int rc = net_flush(c->net, to);
        CHECK(rc == NET_OK, "flush failed: %s", net_strerror(rc));
        return;
    }
    uint64_t *w = mpc_tmp(c, n);
    mpc_recv(c, 1 - to, w, n);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) out[i] = x_sh[i] + w[i];
    mpc_work(c, 0, n, 0);
    mpc_tmp_free(w);
}

void mpc_reveal_to(mpc_ctx *c, uint64_t *out, const uint64_t *x_sh, size_t n, int to)
{
    net_tag_push(c->net, MPC_TAG_REVEAL);
    mpc_reveal_to_body_(c, out, x_sh, n, to);
    net_tag_pop(c->net, MPC_TAG_REVEAL);
}

/* ---- local ops ---- */

#define LOCAL_LOOP(c, n, body)                          \
    do {                                                \
        mpc_work((c), 0, (n), 0);                       \
        if ((c)->phantom) return;                       \
        for (size_t i = 0; i < (n); i++) { body; }      \
    } while (0)

void mpc_add(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n) { LOCAL_LOOP(c, n, z[i] = x[i] + y[i]); }
void mpc_sub(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n) { LOCAL_LOOP(c, n, z[i] = x[i] - y[i]); }
void mpc_neg(mpc_ctx *c, uint64_t *z, const uint64_t *x, size_t n) { LOCAL_LOOP(c, n, z[i] = 0 - x[i]); }

void mpc_add_const(mpc_ctx *c, uint64_t *z, const uint64_t *x, uint64_t k, size_t n)
{
    uint64_t kk = c->self == NET_P0 ? k : 0;
    LOCAL_LOOP(c, n, z[i] = x[i] + kk);
}

void mpc_rsub_const(mpc_ctx *c, uint64_t *z, uint64_t k, const uint64_t *x, size_t n)
{
    uint64_t kk = c->self == NET_P0 ? k : 0;
    LOCAL_LOOP(c, n, z[i] = kk - x[i]);
}

void mpc_mul_int(mpc_ctx *c, uint64_t *z, const uint64_t *x, int64_t k, size_t n)
{
    uint64_t kk = (uint64_t)k;
    LOCAL_LOOP(c, n, z[i] = x[i] * kk);
}

/* The three local divisions go through mpc_trunc_div, which picks the truncation (cfg->trunc). */
void mpc_div_int(mpc_ctx *c, uint64_t *z, const uint64_t *x, int64_t d, size_t n)
{
    CHECK(d > 0, "division by non-positive %lld", (long long)d);
    mpc_trunc_div(c, z, x, d, n);
}

void mpc_trunc(mpc_ctx *c, uint64_t *z, const uint64_t *x, size_t n)
{
    mpc_trunc_div(c, z, x, (int64_t)1 << c->cfg->frac_bits, n);
}

void mpc_mul_const(mpc_ctx *c, uint64_t *z, const uint64_t *x, double k, size_t n)
{
    uint64_t kk = fx_encode(k, c->cfg->frac_bits);
    int64_t d = (int64_t)1 << c->cfg->frac_bits;
    if (c->cfg->trunc == MPC_TRUNC_LOCAL && !c->audit) {
        LOCAL_LOOP(c, n, z[i] = fx_div_trunc(x[i] * kk, d));
        return;
    }
    mpc_mul_const_trunc(c, z, x, kk, d, n);
}

void mpc_lift(mpc_ctx *c, uint64_t *z, const uint64_t *x, size_t n)
{
    int f = c->cfg->frac_bits;
    LOCAL_LOOP(c, n, z[i] = x[i] << f);
}

void mpc_rowsum(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t R, size_t L)
{
    mpc_work(c, 0, R * L, 0);
    if (c->phantom) return;
    for (size_t r = 0; r < R; r++) {
        uint64_t s = 0;
        for (size_t j = 0; j < L; j++) s += x[r * L + j];
        out[r] = s;
    }
}

void mpc_xor(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n) { LOCAL_LOOP(c, n, z[i] = x[i] ^ y[i]); }
void mpc_and_const(mpc_ctx *c, uint64_t *z, const uint64_t *x, uint64_t mask, size_t n) { LOCAL_LOOP(c, n, z[i] = x[i] & mask); }

void mpc_xor_const(mpc_ctx *c, uint64_t *z, const uint64_t *x, uint64_t k, size_t n)
{
    uint64_t kk = c->self == NET_P0 ? k : 0;
    LOCAL_LOOP(c, n, z[i] = x[i] ^ kk);
}

/* ---- Beaver family ---- */

size_t mpc_bcast_len(mpc_bcast bc, size_t R, size_t L)
{
    switch (bc) {
    case MPC_BC_NONE: return R * L;
    case MPC_BC_ROW: return R;
    case MPC_BC_COL: return L;
    }
    CHECK(0, "bad broadcast %d", (int)bc);
    return 0;
}

static inline size_t bc_index(mpc_bcast bc, size_t r, size_t j, size_t L)
{
    return bc == MPC_BC_NONE ? r * L + j : bc == MPC_BC_ROW ? r : j;
}

static void mpc_mul_body_(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t R, size_t L,
             mpc_bcast bc, int trunc)
{
    size_t n = R * L, ny = mpc_bcast_len(bc, R, L);
    uint64_t *a = mpc_tmp(c, n), *b = mpc_tmp(c, ny), *ab = mpc_tmp(c, n);
    uint64_t *ed = mpc_tmp(c, n + ny), *ed_other = mpc_tmp(c, n + ny);
    /* 1. Triple from the dealer. */
    dealer_mul(c, a, b, ab, R, L, bc);
    /* 2. [e] = [x] - [a], [d] = [y] - [b], opened together in one exchange. */
    if (!c->phantom) {
        for (size_t i = 0; i < n; i++) ed[i] = x[i] - a[i];
        for (size_t i = 0; i < ny; i++) ed[n + i] = y[i] - b[i];
    }
    mpc_exchange(c, ed_other, ed, n + ny);
    dealer_collect(c);
    /* 3. [z] = [c] + e*[b] + [a]*d, and P0 adds e*d. */
    mpc_work(c, 3 * n, 2 * (n + ny), 0);
    if (!c->phantom) {
        const uint64_t *e = ed, *d = ed + n;
        for (size_t i = 0; i < n + ny; i++) ed[i] += ed_other[i];
        int p0 = c->self == NET_P0;
        for (size_t r = 0; r < R; r++)
            for (size_t j = 0; j < L; j++) {
                size_t i = r * L + j, k = bc_index(bc, r, j, L);
                uint64_t v = ab[i] + e[i] * b[k] + a[i] * d[k];
                if (p0) v += e[i] * d[k];
                z[i] = v;
            }
    }
    mpc_tmp_free(a);
    mpc_tmp_free(b);
    mpc_tmp_free(ab);
    mpc_tmp_free(ed);
    mpc_tmp_free(ed_other);
    /* 4. Truncate when both operands had scale 2^f. */
    if (trunc) mpc_trunc(c, z, z, n);
}

void mpc_mul(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t R, size_t L,
             mpc_bcast bc, int trunc)
{
    net_tag_push(c->net, MPC_TAG_MUL);
    mpc_mul_body_(c, z, x, y, R, L, bc, trunc);
    net_tag_pop(c->net, MPC_TAG_MUL);
}

void mpc_mul_n(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n, int trunc)
{
    mpc_mul(c, z, x, y, 1, n, MPC_BC_NONE, trunc);
}

void mpc_ring_matmul_naive(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t m, size_t k, size_t p)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < p; j++) {
            uint64_t s = 0;
            for (size_t t = 0; t < k; t++) s += X[i * k + t] * Y[t * p + j];
            Z[i * p + j] = s;
        }
}

/* i-t-j order with row blocking: streams rows of Y, vectorises over j. On x86-64 the function is
 * compiled twice and picked at load time by the CPU (ifunc): an x86-64-v4 clone (AVX-512, whose vpmullq
 * multiplies 64-bit lanes: about 2x on Zen 5) and the portable default. Nothing assumes AVX-512 at
 * build time; test_mpc_core checks the result against mpc_ring_matmul_naive. */
#if defined(__x86_64__) && defined(__clang__) && !defined(MPCSIM_NO_CLONES)
#define RING_KERNEL __attribute__((target_clones("arch=x86-64-v4", "default")))
#elif defined(__x86_64__) && defined(__GNUC__) && !defined(MPCSIM_NO_CLONES)
#define RING_KERNEL __attribute__((target_clones("arch=x86-64-v4", "default"), optimize("O3")))
#else
#define RING_KERNEL
#endif
RING_KERNEL
void mpc_ring_matmul(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t m, size_t k, size_t p)
{
    memset(Z, 0, m * p * sizeof *Z);
    enum { TB = 64 };
    for (size_t t0 = 0; t0 < k; t0 += TB) {
        size_t t1 = t0 + TB < k ? t0 + TB : k;
        for (size_t i = 0; i < m; i++) {
            uint64_t *zr = Z + i * p;
            for (size_t t = t0; t < t1; t++) {
                uint64_t xv = X[i * k + t];
                const uint64_t *yr = Y + t * p;
                for (size_t j = 0; j < p; j++) zr[j] += xv * yr[j];
            }
        }
    }
}

static void mpc_matmul_body_(mpc_ctx *c, uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t B, size_t m,
                size_t k, size_t p, int y_shared)
{
    size_t nx = B * m * k, ny = (y_shared ? 1 : B) * k * p, nz = B * m * p;
    uint64_t *A = mpc_tmp(c, nx), *Bm = mpc_tmp(c, ny), *C = mpc_tmp(c, nz);
    uint64_t *ed = mpc_tmp(c, nx + ny), *ed_other = mpc_tmp(c, nx + ny), *t = mpc_tmp(c, m * p);
    /* 1. Matrix triple. */
    dealer_matmul(c, A, Bm, C, B, m, k, p, y_shared);
    /* 2. Open E = X - A and D = Y - Bm together. */
    if (!c->phantom) {
        for (size_t i = 0; i < nx; i++) ed[i] = X[i] - A[i];
        for (size_t i = 0; i < ny; i++) ed[nx + i] = Y[i] - Bm[i];
    }
    mpc_exchange(c, ed_other, ed, nx + ny);
    dealer_collect(c);
    /* 3. [Z] = [C] + E @ [Bm] + [A] @ D, and P0 adds E @ D. */
    int p0 = c->self == NET_P0;
    mpc_work(c, (uint64_t)(p0 ? 3 : 2) * B * m * k * p, nx + ny + 3 * nz, 0);
    if (!c->phantom) {
        for (size_t i = 0; i < nx + ny; i++) ed[i] += ed_other[i];
        for (size_t bt = 0; bt < B; bt++) {
            const uint64_t *E = ed + bt * m * k, *D = ed + nx + (y_shared ? 0 : bt * k * p);
            const uint64_t *Bb = Bm + (y_shared ? 0 : bt * k * p), *Ab = A + bt * m * k;
            uint64_t *Zb = Z + bt * m * p;
            const uint64_t *Cb = C + bt * m * p;
            memcpy(Zb, Cb, m * p * sizeof *Zb);
            mpc_ring_matmul(t, E, Bb, m, k, p);
            for (size_t i = 0; i < m * p; i++) Zb[i] += t[i];
            mpc_ring_matmul(t, Ab, D, m, k, p);
            for (size_t i = 0; i < m * p; i++) Zb[i] += t[i];
            if (p0) {
                mpc_ring_matmul(t, E, D, m, k, p);
                for (size_t i = 0; i < m * p; i++) Zb[i] += t[i];
            }
        }
    }
    mpc_tmp_free(A);
    mpc_tmp_free(Bm);
    mpc_tmp_free(C);
    mpc_tmp_free(ed);
    mpc_tmp_free(ed_other);
    mpc_tmp_free(t);
    /* 4. Truncate. */
    mpc_trunc(c, Z, Z, nz);
}

void mpc_matmul(mpc_ctx *c, uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t B, size_t m,
                size_t k, size_t p, int y_shared)
{
    net_tag_push(c->net, MPC_TAG_MATMUL);
    mpc_matmul_body_(c, Z, X, Y, B, m, k, p, y_shared);
    net_tag_pop(c->net, MPC_TAG_MATMUL);
}

static void mpc_square_body_(mpc_ctx *c, uint64_t *z, const uint64_t *x, size_t n)
{
    uint64_t *r = mpc_tmp(c, n), *r2 = mpc_tmp(c, n), *e = mpc_tmp(c, n), *eo = mpc_tmp(c, n);
    /* 1. Square pair. 2. Open e = x - r. */
    dealer_square(c, r, r2, n);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) e[i] = x[i] - r[i];
    mpc_exchange(c, eo, e, n);
    dealer_collect(c);
    /* 3. [x^2] = [r^2] + 2e[r], P0 adds e^2. */
    mpc_work(c, 2 * n, 3 * n, 0);
    if (!c->phantom) {
        int p0 = c->self == NET_P0;
        for (size_t i = 0; i < n; i++) {
            uint64_t ev = e[i] + eo[i];
            z[i] = r2[i] + 2 * ev * r[i] + (p0 ? ev * ev : 0);
        }
    }
    mpc_tmp_free(r);
    mpc_tmp_free(r2);
    mpc_tmp_free(e);
    mpc_tmp_free(eo);
    /* 4. Truncate. */
    mpc_trunc(c, z, z, n);
}

void mpc_square(mpc_ctx *c, uint64_t *z, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_SQUARE);
    mpc_square_body_(c, z, x, n);
    net_tag_pop(c->net, MPC_TAG_SQUARE);
}

static void mpc_and_body_(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n)
{
    uint64_t *a = mpc_tmp(c, n), *b = mpc_tmp(c, n), *ab = mpc_tmp(c, n);
    uint64_t *ed = mpc_tmp(c, 2 * n), *edo = mpc_tmp(c, 2 * n);
    /* 1. Binary triple. 2. Open e = x ^ a, d = y ^ b together. */
    dealer_and(c, a, b, ab, n);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) {
            ed[i] = x[i] ^ a[i];
            ed[n + i] = y[i] ^ b[i];
        }
    mpc_exchange(c, edo, ed, 2 * n);
    dealer_collect(c);
    /* 3. <z> = <c> ^ (e & <b>) ^ (<a> & d), P0 also XORs e & d. */
    mpc_work(c, 0, 6 * n, 0);
    if (!c->phantom) {
        int p0 = c->self == NET_P0;
        for (size_t i = 0; i < n; i++) {
            uint64_t e = ed[i] ^ edo[i], d = ed[n + i] ^ edo[n + i];
            z[i] = ab[i] ^ (e & b[i]) ^ (a[i] & d) ^ (p0 ? e & d : 0);
        }
    }
    mpc_tmp_free(a);
    mpc_tmp_free(b);
    mpc_tmp_free(ab);
    mpc_tmp_free(ed);
    mpc_tmp_free(edo);
}

void mpc_and(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n)
{
    net_tag_push(c->net, MPC_TAG_AND);
    mpc_and_body_(c, z, x, y, n);
    net_tag_pop(c->net, MPC_TAG_AND);
}

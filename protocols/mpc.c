/* mpc.c -- context, transport, sharing, opening, local ops and plaintext ring kernels. See mpc.h. */
#include "mpc_tags.h"
#include "mpc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../common/fx.h"
#include "../common/par.h"

void mpc_config_default(mpc_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->protocol, sizeof cfg->protocol, "%s", "crypten");
    cfg->ring_bits = 64;
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
    cfg->embed_chunks = 1;
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

void mpc_ctx_init_key(mpc_ctx *c, net_party *net, const mpc_config *cfg, int phantom, const uint8_t key[32])
{
    static const uint8_t nonce[8] = {0};
    mpc_ctx_init(c, net, cfg, phantom, 0);
    rng_init_key(&c->local, key, nonce);
}

void mpc_send_bytes(mpc_ctx *c, int peer, const void *buf, size_t nbytes)
{
    int rc = net_send(c->net, peer, c->phantom ? NULL : buf, nbytes);
    CHECK(rc == NET_OK, "%s: send to %s failed: %s", net_party_names[c->self], net_party_names[peer], net_strerror(rc));
}

void mpc_recv_bytes(mpc_ctx *c, int peer, void *buf, size_t nbytes)
{
    int rc = net_recv(c->net, peer, c->phantom ? NULL : buf, nbytes);
    CHECK(rc == NET_OK, "%s: receive from %s failed: %s", net_party_names[c->self], net_party_names[peer], net_strerror(rc));
}

void mpc_exchange_bytes(mpc_ctx *c, void *w, const void *v, size_t nbytes)
{
    int peer = 1 - c->self;
    mpc_send_bytes(c, peer, v, nbytes);
    int rc = net_flush(c->net, peer);
    CHECK(rc == NET_OK, "flush failed: %s", net_strerror(rc));
    mpc_recv_bytes(c, peer, w, nbytes);
}

const uint64_t *mpc_recv_lend(mpc_ctx *c, net_loan *l, int peer, uint64_t *fallback, size_t n)
{
    int rc = net_recv_lend(c->net, peer, l, c->phantom ? NULL : fallback, n * 8);
    CHECK(rc == NET_OK, "%s: receive from %s failed: %s", net_party_names[c->self], net_party_names[peer], net_strerror(rc));
    return net_loan_bytes(c->net, l);
}

const uint64_t *mpc_exchange_lend(mpc_ctx *c, net_loan *l, uint64_t *fallback, const uint64_t *v, size_t n)
{
    int peer = 1 - c->self;
    mpc_send_bytes(c, peer, v, n * 8);
    int rc = net_flush(c->net, peer);
    CHECK(rc == NET_OK, "flush failed: %s", net_strerror(rc));
    return mpc_recv_lend(c, l, peer, fallback, n);
}

void mpc_loan_return(mpc_ctx *c, net_loan *l) { net_loan_return(c->net, l); }

uint64_t *mpc_send_open(mpc_ctx *c, net_sendbuf *s, uint64_t *fallback, size_t n)
{
    return net_send_open(c->net, s, 1 - c->self, c->phantom ? NULL : fallback, n * 8);
}

const uint64_t *mpc_exchange_sent_lend(mpc_ctx *c, net_sendbuf *s, net_loan *l, uint64_t *fallback, size_t n)
{
    int peer = 1 - c->self;
    CHECK(s->peer == peer && s->n == n * 8, "mpc_exchange_sent_lend: the storage opened is not this exchange's");
    int rc = net_send_commit(c->net, s);
    CHECK(rc == NET_OK, "%s: send to %s failed: %s", net_party_names[c->self], net_party_names[peer], net_strerror(rc));
    rc = net_flush(c->net, peer);
    CHECK(rc == NET_OK, "flush failed: %s", net_strerror(rc));
    return mpc_recv_lend(c, l, peer, fallback, n);
}

void mpc_send_release(mpc_ctx *c, net_sendbuf *s) { net_send_release(c->net, s); }

void mpc_exchange_add(mpc_ctx *c, uint64_t *out, const uint64_t *v, size_t n)
{
    net_loan l;
    uint64_t *fb = mpc_tmp(c, n);
    const uint64_t *w = mpc_exchange_lend(c, &l, fb, v, n);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) out[i] = v[i] + w[i];
    mpc_loan_return(c, &l);
    mpc_tmp_free(fb);
}

void mpc_exchange_xor(mpc_ctx *c, uint64_t *out, const uint64_t *v, size_t n)
{
    net_loan l;
    uint64_t *fb = mpc_tmp(c, n);
    const uint64_t *w = mpc_exchange_lend(c, &l, fb, v, n);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) out[i] = v[i] ^ w[i];
    mpc_loan_return(c, &l);
    mpc_tmp_free(fb);
}

void mpc_send(mpc_ctx *c, int peer, const uint64_t *buf, size_t nwords) { mpc_send_bytes(c, peer, buf, nwords * 8); }
void mpc_recv(mpc_ctx *c, int peer, uint64_t *buf, size_t nwords) { mpc_recv_bytes(c, peer, buf, nwords * 8); }
void mpc_exchange(mpc_ctx *c, uint64_t *w, const uint64_t *v, size_t n) { mpc_exchange_bytes(c, w, v, n * 8); }

size_t mpc_packed_bytes(size_t n, int b)
{
    CHECK(b >= 1 && b <= 64, "packing width %d outside 1..64", b);
    CHECK(n <= SIZE_MAX / 64, "packing %zu values overflows", n);
    return (n * (size_t)b + 7) / 8;
}

void mpc_pack_bits(uint8_t *out, const uint64_t *v, size_t n, int b)
{
    size_t nb = mpc_packed_bytes(n, b);
    memset(out, 0, nb);
    uint64_t mask = b == 64 ? UINT64_MAX : (((uint64_t)1 << b) - 1);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = v[i] & mask;
        size_t bit = i * (size_t)b;
        for (int k = 0; k < b;) { /* one destination byte per step */
            size_t byte = (bit + (size_t)k) / 8;
            int off = (int)((bit + (size_t)k) % 8), take = 8 - off < b - k ? 8 - off : b - k;
            out[byte] |= (uint8_t)(((x >> k) & ((1u << take) - 1)) << off);
            k += take;
        }
    }
}

void mpc_unpack_bits(uint64_t *v, const uint8_t *in, size_t n, int b)
{
    (void)mpc_packed_bytes(n, b);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = 0;
        size_t bit = i * (size_t)b;
        for (int k = 0; k < b;) {
            size_t byte = (bit + (size_t)k) / 8;
            int off = (int)((bit + (size_t)k) % 8), take = 8 - off < b - k ? 8 - off : b - k;
            x |= (uint64_t)((in[byte] >> off) & ((1u << take) - 1)) << k;
            k += take;
        }
        v[i] = x;
    }
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
    if (c->phantom && !(c->scratch_probe && c->scratch)) return NULL;
    return arena_block_alloc(c->scratch, n * sizeof(uint64_t));
}

void mpc_tmp_free(uint64_t *p) { arena_block_free(p); }

void mpc_work(mpc_ctx *c, uint64_t ring_macs, uint64_t elem_ops, uint64_t prg_bytes)
{
    net_work w = {ring_macs, elem_ops, prg_bytes};
    net_compute(c->net, &w);
}

/* ---- sharing and opening ---- */

void mpc_przs(mpc_ctx *c, uint64_t *z, size_t n)
{
    mpc_work(c, 0, n, 8 * n);
    c->pair_bytes += 8 * (uint64_t)n;
    if (c->phantom) return;
    rng_fill_u64(&c->pair, z, n);
    if (c->self == NET_P1)
        for (size_t i = 0; i < n; i++) z[i] = 0 - z[i];
}

void mpc_przs_bin(mpc_ctx *c, uint64_t *z, size_t n)
{
    mpc_work(c, 0, n, 8 * n);
    c->pair_bytes += 8 * (uint64_t)n;
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
    mpc_exchange_add(c, out, x_sh, n);
    mpc_work(c, 0, n, 0);
}

void mpc_open(mpc_ctx *c, uint64_t *out, const uint64_t *x_sh, size_t n)
{
    net_tag_push(c->net, MPC_TAG_OPEN);
    mpc_open_body_(c, out, x_sh, n);
    net_tag_pop(c->net, MPC_TAG_OPEN);
}

static void mpc_open_bin_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x_sh, size_t n)
{
    mpc_exchange_xor(c, out, x_sh, n);
    mpc_work(c, 0, n, 0);
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
    net_loan l;
    uint64_t *fb = mpc_tmp(c, n);
    const uint64_t *w = mpc_recv_lend(c, &l, 1 - to, fb, n);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) out[i] = x_sh[i] + w[i];
    mpc_loan_return(c, &l);
    mpc_work(c, 0, n, 0);
    mpc_tmp_free(fb);
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

/* mpc_div_int, mpc_trunc and mpc_mul_const are in mpc_trunc_safe.c (see mpc.h). */

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

/* ---- broadcast shapes and plaintext ring kernels (the Beaver ops are in mpc_beaver.c) ---- */

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


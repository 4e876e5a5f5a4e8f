/* mpc_cmp.c -- A2B, B2A, comparisons, eq, ReLU, where and max with argmax: CrypTen's algorithms
 * (PROTOCOLS.md 2.8-2.12, 2.18), in CrypTen's order (every exchange its own step, none merged).
 *
 * Closed-form costs for n elements. "sent" is the online bytes EACH party sends to the other (the
 * protocols are symmetric, so it is also what each receives); "dealer" is correction words D->P0
 * (8 B each) and requests P0->D (DEALER_REQ_BYTES each, one per correlation). Rounds are for the
 * offline dealer schedule; the inline schedule adds 2 per request (mpc_cost_rounds).
 *
 *   op              rounds  sent/party  dealer words  requests
 *   a2b(n)            7       208n         13n            7     AND(n) + 6 x AND(2n)
 *   b2a_bit(n)        1         8n           n            1
 *   b2a_bits(n,k)     1        8kn          kn            1     = b2a_bit(kn)
 *   ltz(n)            8       216n         14n            8     = a2b(n) + b2a_bit(n)
 *   lt gt ge le sign  8       216n         14n            8     = ltz(n)
 *   eq(n)             7       104n          7n            7     6 x AND(n) + b2a_bit(n)
 *   relu(n)           9       232n         15n            9     = ltz(n) + mul(n)
 *   where(n)          2        32n          2n            2     = 2 x mul(n)
 *   max(R,L)          sum of its stages, see mpc_max_cost below (0 for L = 1).
 *
 * Phantom mode: share buffers are never touched (callers pass NULL); scratch comes from mpc_tmp,
 * which is NULL in phantom mode; every message size depends only on public shapes. */
#include "../mpc_tags.h"
#include "mpc_cmp.h"

#include <math.h>
#include <string.h>

#include "../dealer.h"

/* ---- A2B (2.8) ---- */

/* Level i of the SPK carry tree: the top bit of the lower half of each 2^(i+1)-bit block. */
static const uint64_t a2b_in_mask[6] = {
    0x5555555555555555ull, 0x2222222222222222ull, 0x0808080808080808ull,
    0x0080008000800080ull, 0x0000800000008000ull, 0x0000000080000000ull,
};

/* Cost: AND(n), then one AND(2n) per level: 7 rounds; 16n + 6*32n = 208n B; 13n words, 7 req. */
static void mpc_a2b_body_(mpc_ctx *c, uint64_t *xb, const uint64_t *x, size_t n)
{
    int ph = c->phantom;
    uint64_t *u = mpc_tmp(c, n), *v = mpc_tmp(c, n);
    uint64_t *SP = mpc_tmp(c, 2 * n), *Pt2 = mpc_tmp(c, 2 * n), *F = mpc_tmp(c, 2 * n);
    uint64_t *S = SP, *P = ph ? NULL : SP + n;
    /* 1. P0 XOR-shares u = [x]_0 and P1 XOR-shares v = [x]_1 (binary PRZS, no messages); x = u + v. */
    mpc_share_bin(c, u, x, n, NET_P0);
    mpc_share_bin(c, v, x, n, NET_P1);
    /* 2. G = u & v (private AND on n words) starts S; P = u ^ v (local). u keeps u ^ v for step 4. */
    mpc_and(c, S, u, v, n);
    mpc_xor(c, u, u, v, n);
    mpc_work(c, 0, n, 0);
    if (!ph) memcpy(P, u, n * sizeof *P);
    mpc_tmp_free(v);
    /* 3. Six levels of the carry tree, each with one private AND on 2n words. */
    for (int i = 0; i < 6; i++) {
        uint64_t in = a2b_in_mask[i];
        uint64_t mult = (1ull << ((1u << i) + 1)) - 2; /* 2^(2^i+1) - 2 */
        uint64_t out = in * mult;                      /* upper half of each block */
        mpc_work(c, 2 * n, 6 * n, 0);
        if (!ph) {
            for (size_t j = 0; j < n; j++) Pt2[j] = Pt2[n + j] = P[j] & out; /* Pt, broadcast to [2, n] */
            /* Spaced source bits: the product writes 2^i disjoint copies, so it is XOR-linear. */
            for (size_t j = 0; j < 2 * n; j++) F[j] = (SP[j] & in) * mult;
        }
        mpc_and(c, F, Pt2, F, 2 * n); /* U = Pt & F */
        if (!ph)
            for (size_t j = 0; j < n; j++) {
                S[j] ^= F[j];                      /* S_t ^= P_t & S_s */
                P[j] = (P[j] & ~out) ^ F[n + j];   /* P_t  = P_t & P_s */
            }
    }
    /* 4. <x> = (u ^ v) ^ (S << 1): bit j of S is the carry out of bit j. */
    mpc_work(c, 0, 2 * n, 0);
    if (!ph)
        for (size_t j = 0; j < n; j++) xb[j] = u[j] ^ (S[j] << 1);
    mpc_tmp_free(u);
    mpc_tmp_free(SP);
    mpc_tmp_free(Pt2);
    mpc_tmp_free(F);
}

void mpc_a2b(mpc_ctx *c, uint64_t *xb, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_A2B);
    mpc_a2b_body_(c, xb, x, n);
    net_tag_pop(c->net, MPC_TAG_A2B);
}

mpc_cost mpc_a2b_cost(uint64_t n)
{
    mpc_cost c = mpc_and_cost(n);
    mpc_cost_add(&c, mpc_cost_times(mpc_and_cost(2 * n), 6));
    return c;
}

/* ---- B2A (2.9) ---- */

/* Cost: 1 round; 8n B; n words, 1 request. Only bit 0 of each word of xb is used. */
static void mpc_b2a_bit_body_(mpc_ctx *c, uint64_t *x, const uint64_t *xb, size_t n)
{
    int ph = c->phantom;
    uint64_t *rb = mpc_tmp(c, n), *ra = mpc_tmp(c, n), *z = mpc_tmp(c, n);
    /* 1. B2A pair: <r> in bit 0, [r] the same bit. */
    dealer_b2a(c, rb, ra, n);
    /* 2. Open z = x ^ r as full 64-bit words (CrypTen's width). */
    mpc_work(c, 0, 2 * n, 0);
    if (!ph)
        for (size_t i = 0; i < n; i++) z[i] = (xb[i] & 1) ^ rb[i];
    mpc_open_bin(c, z, z, n);
    dealer_collect(c);
    /* 3. x = r ^ z = r (1 - 2z) + z: [x] = [r](1 - 2z), and P0 adds z. */
    mpc_work(c, n, 2 * n, 0);
    if (!ph) {
        uint64_t p0 = c->self == NET_P0;
        for (size_t i = 0; i < n; i++) x[i] = ra[i] * (1 - 2 * z[i]) + p0 * z[i];
    }
    mpc_tmp_free(rb);
    mpc_tmp_free(ra);
    mpc_tmp_free(z);
}

void mpc_b2a_bit(mpc_ctx *c, uint64_t *x, const uint64_t *xb, size_t n)
{
    net_tag_push(c->net, MPC_TAG_B2A);
    mpc_b2a_bit_body_(c, x, xb, n);
    net_tag_pop(c->net, MPC_TAG_B2A);
}

mpc_cost mpc_b2a_bit_cost(uint64_t n) { return mpc_cost_dealt_exchange(n, n); }

/* Cost: b2a_bit(k n): 1 round; 8kn B; kn words, 1 request. 1 <= k <= 64. */
static void mpc_b2a_bits_body_(mpc_ctx *c, uint64_t *x, const uint64_t *xb, size_t n, int k)
{
    CHECK(k >= 1 && k <= 64, "b2a_bits: k = %d bits, want 1..64", k);
    int ph = c->phantom;
    size_t kn = (size_t)k * n;
    uint64_t *b = mpc_tmp(c, kn);
    /* 1. Stack b_i = (x >> i) & 1 as k blocks of n words. */
    mpc_work(c, 0, kn, 0);
    if (!ph)
        for (int i = 0; i < k; i++)
            for (size_t j = 0; j < n; j++) b[(size_t)i * n + j] = (xb[j] >> i) & 1;
    /* 2. One single-bit B2A on the stack. */
    mpc_b2a_bit(c, b, b, kn);
    /* 3. [x] = sum 2^i [b_i] (local). */
    mpc_work(c, 0, kn, 0);
    if (!ph)
        for (size_t j = 0; j < n; j++) {
            uint64_t s = 0;
            for (int i = 0; i < k; i++) s += b[(size_t)i * n + j] << i;
            x[j] = s;
        }
    mpc_tmp_free(b);
}

void mpc_b2a_bits(mpc_ctx *c, uint64_t *x, const uint64_t *xb, size_t n, int k)
{
    net_tag_push(c->net, MPC_TAG_B2A_BITS);
    mpc_b2a_bits_body_(c, x, xb, n, k);
    net_tag_pop(c->net, MPC_TAG_B2A_BITS);
}

mpc_cost mpc_b2a_bits_cost(uint64_t n, int k) { return mpc_b2a_bit_cost((uint64_t)k * n); }

/* ---- comparisons (2.10) ---- */

/* Cost: a2b(n) + b2a_bit(n): 8 rounds; 216n B; 14n words, 8 requests. */
static void mpc_ltz_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    uint64_t *t = mpc_tmp(c, n);
    /* 1. A2B. */
    mpc_a2b(c, t, x, n);
    /* 2. Keep the sign bit (bit 63) locally, moved to bit 0. */
    mpc_work(c, 0, n, 0);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) t[i] >>= 63;
    /* 3. Single-bit B2A: scale-1 result. */
    mpc_b2a_bit(c, out, t, n);
    mpc_tmp_free(t);
}

void mpc_ltz(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_LTZ);
    mpc_ltz_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_LTZ);
}

mpc_cost mpc_ltz_cost(uint64_t n)
{
    mpc_cost c = mpc_a2b_cost(n);
    mpc_cost_add(&c, mpc_b2a_bit_cost(n));
    return c;
}

/* lt, gt, ge, le, sign: each one ltz on n elements (cost mpc_ltz_cost(n)), the rest local. */
void mpc_lt(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y, size_t n)
{
    mpc_sub(c, out, x, y, n);
    mpc_ltz(c, out, out, n);
}

void mpc_gt(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y, size_t n)
{
    mpc_sub(c, out, y, x, n);
    mpc_ltz(c, out, out, n);
}

void mpc_ge(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y, size_t n)
{
    mpc_lt(c, out, x, y, n);
    mpc_rsub_const(c, out, 1, out, n);
}

void mpc_le(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y, size_t n)
{
    mpc_gt(c, out, x, y, n);
    mpc_rsub_const(c, out, 1, out, n);
}

void mpc_sign(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    mpc_ltz(c, out, x, n);
    mpc_mul_int(c, out, out, -2, n);
    mpc_add_const(c, out, out, 1, n);
}

/* ---- eq (2.11) ---- */

/* Cost: 6 x AND(n) + b2a_bit(n): 7 rounds; 104n B; 7n words, 7 requests. */
static void mpc_eq_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y, size_t n)
{
    int ph = c->phantom;
    uint64_t *d = mpc_tmp(c, n), *a = mpc_tmp(c, n), *b = mpc_tmp(c, n), *Es = mpc_tmp(c, n);
    /* 1. d = x - y is 0 iff [d]_0 == -[d]_1. P0 XOR-shares a = [d]_0, P1 XOR-shares b = -[d]_1;
     *    E = ~(a ^ b) is all ones exactly where d = 0. */
    mpc_sub(c, d, x, y, n);
    if (c->self == NET_P1) mpc_neg(c, d, d, n);
    mpc_share_bin(c, a, d, n, NET_P0);
    mpc_share_bin(c, b, d, n, NET_P1);
    uint64_t *E = a;
    mpc_xor(c, E, a, b, n);
    mpc_xor_const(c, E, E, ~0ull, n);
    /* 2. E &= E << shift for shift = 32..1: bit 63 becomes the AND of all 64 bits. */
    for (int shift = 32; shift >= 1; shift /= 2) {
        mpc_work(c, 0, n, 0);
        if (!ph)
            for (size_t i = 0; i < n; i++) Es[i] = E[i] << shift;
        mpc_and(c, E, E, Es, n);
    }
    /* 3. Bit 63 to bit 0, then single-bit B2A. */
    mpc_work(c, 0, n, 0);
    if (!ph)
        for (size_t i = 0; i < n; i++) E[i] >>= 63;
    mpc_b2a_bit(c, out, E, n);
    mpc_tmp_free(d);
    mpc_tmp_free(a);
    mpc_tmp_free(b);
    mpc_tmp_free(Es);
}

void mpc_eq(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y, size_t n)
{
    net_tag_push(c->net, MPC_TAG_EQ);
    mpc_eq_body_(c, out, x, y, n);
    net_tag_pop(c->net, MPC_TAG_EQ);
}

mpc_cost mpc_eq_cost(uint64_t n)
{
    mpc_cost c = mpc_cost_times(mpc_and_cost(n), 6);
    mpc_cost_add(&c, mpc_b2a_bit_cost(n));
    return c;
}

/* ---- ReLU and where (2.12) ---- */

/* Cost: ltz(n) + mul(n): 9 rounds; 232n B; 15n words, 9 requests. */
static void mpc_relu_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    uint64_t *m = mpc_tmp(c, n);
    /* 1. m = 1 - ltz(x), scale 1. */
    mpc_ltz(c, m, x, n);
    mpc_rsub_const(c, m, 1, m, n);
    /* 2. x * m: Beaver mul with a scale-1 operand, no truncation. */
    mpc_mul_n(c, out, x, m, n, 0);
    mpc_tmp_free(m);
}

void mpc_relu(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_RELU);
    mpc_relu_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_RELU);
}

mpc_cost mpc_relu_cost(uint64_t n)
{
    mpc_cost c = mpc_ltz_cost(n);
    mpc_cost_add(&c, mpc_mul_cost(1, n, MPC_BC_NONE));
    return c;
}

/* Cost: 2 x mul(n) in sequence: 2 rounds; 32n B; 2n words, 2 requests. Never truncates: cond has
 * scale 1, so out has the scale of x and y. */
static void mpc_where_body_(mpc_ctx *c, uint64_t *out, const uint64_t *cond, const uint64_t *x, const uint64_t *y, size_t n)
{
    uint64_t *t = mpc_tmp(c, n), *nc = mpc_tmp(c, n);
    /* 1. t = x * cond. */
    mpc_mul_n(c, t, x, cond, n, 0);
    /* 2. nc = y * (1 - cond): a second, separate Beaver mul (CrypTen order). */
    mpc_rsub_const(c, nc, 1, cond, n);
    mpc_mul_n(c, nc, y, nc, n, 0);
    /* 3. out = t + nc. */
    mpc_add(c, out, t, nc, n);
    mpc_tmp_free(t);
    mpc_tmp_free(nc);
}

void mpc_where(mpc_ctx *c, uint64_t *out, const uint64_t *cond, const uint64_t *x, const uint64_t *y, size_t n)
{
    net_tag_push(c->net, MPC_TAG_WHERE);
    mpc_where_body_(c, out, cond, x, y, n);
    net_tag_pop(c->net, MPC_TAG_WHERE);
}

mpc_cost mpc_where_cost(uint64_t n) { return mpc_cost_times(mpc_mul_cost(1, n, MPC_BC_NONE), 2); }

/* ---- max along the last dimension (2.18) ---- */

/* weighted_index(w): w is R x L at scale 1 (0/1, at least one 1 per row); out is a one-hot per
 * row at one of w's ones, chosen uniformly among them. out may alias w.
 * Cost: b2a_bits(R, f) + mul(R) + ltz(R L). */
static void weighted_index_body_(mpc_ctx *c, uint64_t *out, const uint64_t *w, size_t R, size_t L)
{
    int ph = c->phantom, f = c->cfg->frac_bits;
    size_t n = R * L;
    uint64_t *cs = mpc_tmp(c, n), *rb = mpc_tmp(c, n), *W = mpc_tmp(c, R), *rnd = mpc_tmp(c, R);
    /* 1. cs = cumsum(w) along the row (local); W = the row's last entry. */
    mpc_work(c, 0, n, 0);
    if (!ph)
        for (size_t r = 0; r < R; r++) {
            uint64_t s = 0;
            for (size_t j = 0; j < L; j++) cs[r * L + j] = s += w[r * L + j];
            W[r] = s;
        }
    /* 2. Each party draws f private random bits as its XOR share; a k = f bit B2A read at scale
     *    2^f gives rnd uniform in [0, 1); r = rnd * W (Beaver mul, W has scale 1: no truncation). */
    mpc_work(c, 0, R, 8 * R);
    if (!ph) {
        rng_fill_u64(&c->local, rb, R);
        uint64_t lowf = f >= 64 ? ~0ull : (1ull << f) - 1;
        for (size_t r = 0; r < R; r++) rb[r] &= lowf;
    }
    mpc_b2a_bits(c, rnd, rb, R, f);
    mpc_mul_n(c, rnd, rnd, W, R, 0);
    /* 3. g = gt(cs, r) with cs lifted to scale 2^f and r broadcast along the row: one ltz. */
    mpc_lift(c, cs, cs, n);
    mpc_work(c, 0, n, 0);
    if (!ph)
        for (size_t r = 0; r < R; r++)
            for (size_t j = 0; j < L; j++) rb[r * L + j] = rnd[r];
    mpc_gt(c, cs, cs, rb, n);
    /* 4. out = g - shift(g): g is 0...0 1...1 along the row, so this marks its first 1. */
    mpc_work(c, 0, n, 0);
    if (!ph)
        for (size_t r = 0; r < R; r++) {
            const uint64_t *g = cs + r * L;
            for (size_t j = L; j-- > 1;) out[r * L + j] = g[j] - g[j - 1];
            out[r * L] = g[0];
        }
    mpc_tmp_free(cs);
    mpc_tmp_free(rb);
    mpc_tmp_free(W);
    mpc_tmp_free(rnd);
}

static void weighted_index(mpc_ctx *c, uint64_t *out, const uint64_t *w, size_t R, size_t L)
{
    net_tag_push(c->net, MPC_TAG_WINDEX);
    weighted_index_body_(c, out, w, R, L);
    net_tag_pop(c->net, MPC_TAG_WINDEX);
}

static mpc_cost weighted_index_cost(const mpc_config *cfg, uint64_t R, uint64_t L)
{
    mpc_cost c = mpc_b2a_bits_cost(R, cfg->frac_bits);
    mpc_cost_add(&c, mpc_mul_cost(1, R, MPC_BC_NONE));
    mpc_cost_add(&c, mpc_ltz_cost(R * L));
    return c;
}

/* Stage A's step count: s = floor(ln L), the natural log as in CrypTen. */
static int max_tree_steps(uint64_t L) { return (int)floor(log((double)L)); }

/* Max with argmax. x: R x L (scale 2^f); out: R (scale 2^f); argmax: R x L one-hot (scale 1) or NULL.
 * out and argmax may alias x. Values of one row must satisfy |x_i - x_j| < 2^(63-f) (2.10).
 * L == 1: max = x and argmax = 1, with no messages (CrypTen's tree and pairwise stages are empty there).
 * L >= 2 (all stages in sequence; h_t = floor(m_t/2), m_0 = L, m_{t+1} = m_t - h_t, k = m_s):
 *   A. for t < s = floor(ln L): ge on R h_t (one ltz), then where on R h_t (2 muls);
 *   B. ltz on (k-1) k R; tree product over the k-1 copies: with c_0 = k-1, while c > 1: one mul on
 *      floor(c/2) k R elements, c -= floor(c/2); weighted_index(R, k); one mul on R k;
 *   C. (MPC_MAX_CRYPTEN only) eq on R L; weighted_index(R, L).
 *   weighted_index(R, L') = b2a_bits(R, f) + mul(R) + ltz(R L').
 * E.g. L = 3: s = 1, k = 2; with R = 1: 46 rounds, 2392 B per party (A 10/248, B 19/1040, C 17/1104). */
static void mpc_max_body_(mpc_ctx *c, uint64_t *out, uint64_t *argmax, const uint64_t *x, size_t R, size_t L)
{
    int ph = c->phantom, full = c->cfg->max_method == MPC_MAX_CRYPTEN;
    CHECK(L >= 1 && R >= 1, "max over an empty shape %zu x %zu", R, L);
    CHECK(full || c->cfg->max_method == MPC_MAX_NOARGMAX, "unknown max method %d", c->cfg->max_method);
    CHECK(full || ph || argmax == NULL, "max: argmax requested with --max-method noargmax");
    if (L == 1) {
        mpc_work(c, 0, 2 * R, 0);
        if (ph) return;
        if (out != x) memmove(out, x, R * sizeof *out);
        if (argmax)
            for (size_t r = 0; r < R; r++) argmax[r] = c->self == NET_P0;
        return;
    }
    size_t n = R * L, m = L;
    uint64_t *cur = mpc_tmp(c, n), *nxt = mpc_tmp(c, n), *fst = mpc_tmp(c, n), *snd = mpc_tmp(c, n);
    mpc_work(c, 0, n, 0);
    if (!ph) memcpy(cur, x, n * sizeof *cur);
    /* A. Tree: s halvings of the R x m working tensor. */
    for (int t = 0, s = max_tree_steps(L); t < s; t++) {
        size_t h = m / 2, m2 = m - h, nh = R * h;
        /* 1. Split each row into first h, next h, remainder. */
        mpc_work(c, 0, 2 * nh, 0);
        if (!ph)
            for (size_t r = 0; r < R; r++) {
                memcpy(fst + r * h, cur + r * m, h * sizeof *cur);
                memcpy(snd + r * h, cur + r * m + h, h * sizeof *cur);
            }
        /* 2. c = ge(first, second); w = where(c, first, second). */
        mpc_ge(c, nxt, fst, snd, nh);
        mpc_where(c, fst, nxt, fst, snd, nh);
        /* 3. Continue with concat(w, remainder), R x ceil(m/2). */
        mpc_work(c, 0, R * m2, 0);
        if (!ph)
            for (size_t r = 0; r < R; r++) {
                memcpy(nxt + r * m2, fst + r * h, h * sizeof *cur);
                if (m2 > h) nxt[r * m2 + h] = cur[r * m + 2 * h];
            }
        uint64_t *sw = cur;
        cur = nxt, nxt = sw;
        m = m2;
    }
    mpc_tmp_free(nxt);
    mpc_tmp_free(fst);
    mpc_tmp_free(snd);
    /* B. Pairwise stage on the k survivors (k >= 2 here). */
    size_t k = m, nk = R * k, nB = (k - 1) * nk;
    uint64_t *A = mpc_tmp(c, nB), *B = mpc_tmp(c, nB), *mx = mpc_tmp(c, R);
    /* 1. A: k-1 copies of the rows; B: the rows rotated by 1..k-1; C = ge(A, B), one ltz. */
    mpc_work(c, 0, 2 * nB, 0);
    if (!ph)
        for (size_t j = 1; j < k; j++)
            for (size_t r = 0; r < R; r++)
                for (size_t p = 0; p < k; p++) {
                    A[((j - 1) * R + r) * k + p] = cur[r * k + p];
                    B[((j - 1) * R + r) * k + p] = cur[r * k + (p + j) % k];
                }
    mpc_ge(c, A, A, B, nB);
    /* 2. Product over the k-1 copies as a tree (scale-1 Beaver muls), carrying an odd remainder.
     *    A[0 .. nk) is then 1 where the survivor is >= every other survivor (ties: several 1s). */
    for (size_t cnt = k - 1; cnt > 1;) {
        size_t h = cnt / 2;
        mpc_mul_n(c, A, A, ph ? NULL : A + h * nk, h * nk, 0);
        if (cnt % 2) {
            mpc_work(c, 0, nk, 0);
            if (!ph) memcpy(A + h * nk, A + 2 * h * nk, nk * sizeof *A);
        }
        cnt -= h;
    }
    /* 3. Break ties: one-hot over the survivors. */
    weighted_index(c, A, A, R, k);
    /* 4. max = sum(survivors * onehot): one scale-1 Beaver mul, then a local row sum. */
    mpc_mul_n(c, A, cur, A, nk, 0);
    mpc_rowsum(c, mx, A, R, k);
    mpc_tmp_free(A);
    mpc_tmp_free(B);
    mpc_tmp_free(cur);
    /* C. Full-width argmax (CrypTen always runs it; skipping it is the noargmax optimisation). */
    if (full) {
        uint64_t *oh = mpc_tmp(c, n), *am = argmax && argmax != x ? argmax : mpc_tmp(c, n);
        /* 1. onehot = eq(x, max broadcast along L). */
        mpc_work(c, 0, n, 0);
        if (!ph)
            for (size_t r = 0; r < R; r++)
                for (size_t j = 0; j < L; j++) oh[r * L + j] = mx[r];
        mpc_eq(c, oh, x, oh, n);
        /* 2. argmax = weighted_index(onehot). */
        weighted_index(c, am, oh, R, L);
        if (!ph && argmax && am != argmax) memcpy(argmax, am, n * sizeof *am);
        if (am != argmax) mpc_tmp_free(am);
        mpc_tmp_free(oh);
    }
    if (!ph) memcpy(out, mx, R * sizeof *out);
    mpc_tmp_free(mx);
}

void mpc_max(mpc_ctx *c, uint64_t *out, uint64_t *argmax, const uint64_t *x, size_t R, size_t L)
{
    net_tag_push(c->net, MPC_TAG_MAX);
    mpc_max_body_(c, out, argmax, x, R, L);
    net_tag_pop(c->net, MPC_TAG_MAX);
}

mpc_cost mpc_max_cost(const mpc_config *cfg, uint64_t R, uint64_t L)
{
    mpc_cost c = mpc_cost_zero();
    if (L <= 1) return c;
    uint64_t m = L;
    /* A. */
    for (int t = 0, s = max_tree_steps(L); t < s; t++) {
        uint64_t h = m / 2;
        mpc_cost_add(&c, mpc_ltz_cost(R * h));
        mpc_cost_add(&c, mpc_where_cost(R * h));
        m -= h;
    }
    /* B. */
    uint64_t k = m;
    mpc_cost_add(&c, mpc_ltz_cost((k - 1) * k * R));
    for (uint64_t cnt = k - 1; cnt > 1; cnt -= cnt / 2) mpc_cost_add(&c, mpc_mul_cost(1, cnt / 2 * k * R, MPC_BC_NONE));
    mpc_cost_add(&c, weighted_index_cost(cfg, R, k));
    mpc_cost_add(&c, mpc_mul_cost(1, R * k, MPC_BC_NONE));
    /* C. */
    if (cfg->max_method == MPC_MAX_CRYPTEN) {
        mpc_cost_add(&c, mpc_eq_cost(R * L));
        mpc_cost_add(&c, weighted_index_cost(cfg, R, L));
    }
    return c;
}

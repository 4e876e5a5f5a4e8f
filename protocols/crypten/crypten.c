/* crypten.c -- the `crypten` family's table (family.h): how CrypTen does each layer, with its cost.
 *
 *  - Weights are P0's, secret-shared at model setup (mpc_share_model_enc: no messages, PRG work not
 *    charged; over TCP drawn and encoded before the online phase, mpc_wcache.h); every linear layer is a Beaver matmul with both operands secret, so each use re-opens
 *    a fresh mask of the whole weight; the bias is added locally.
 *    Cost (T x in @ in x out): 1 round; 8 (T in + in out) B per party; dealer 8 T out B + 1 request.
 *  - Embedding: P1 secret-shares the one-hot matrix of its tokens (T x V, fixed point), multiplied by
 *    P0's secret table (re-opened per inference); P0's position/type rows are added locally.
 *    Cost: one Beaver matmul T x V @ V x C.
 *  - Products of two secrets: Beaver matmul (batched, Y per batch). Public scale: local.
 *  - Non-linear layers and norms: mpc_cmp.h, mpc_math.h, mpc_nn.h (BatchNorm's inverse std is model
 *    setup: P0 computes it from its running variance; its MPC cost is norm[].setup_cost).
 *  - Truncation (after each product, and the public scale): --trunc local (each party divides its
 *    share; 2.3; free, wraps w.p. |x|/2^64) or safe (mpc_trunc_safe.h: +1 round, +8n B per party,
 *    +16n dealer B and 1 request per truncation of n values); every twin includes it: the linear
 *    layer, the embedding, the products, the scale and the truncation here, and the non-linear
 *    entries' (mpc_math.h, mpc_nn.h; mpc_cmp.h's comparisons truncate nothing), each of which states
 *    its safe form; tests/test_trunc_safe_twins.c checks them against the measured runs.
 *  - Comparison: ltz by A2B; output:
 *    mpc_reveal_to (one one-way round, 8n B). */
#include "crypten.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/fx.h"
#include "mpc_cmp.h"
#include "mpc_math.h"
#include "mpc_nn.h"
#include "../mpc_trunc_safe.h"
#include "../mpc_wcache.h"

/* ---- sharing P0's weights (model setup) ---- */

/* Encodes P0's plaintext and adds it in place to its zero-sharing: mpc_share_model's value, without
 * a plaintext buffer (mpc_wcache_enc_fn: v is rows x cols = n x 1). Each value is fx_encode's: the
 * conversion to int64_t truncates toward zero as its trunc() does, and is exact once |x 2^f| < 2^63;
 * anything else (out of range, NaN) goes to fx_encode, which reports it. */
static void add_encoded(uint64_t *sh, const float *v, size_t n, size_t one, int f)
{
    (void)one;
    const double s = (double)(UINT64_C(1) << f), lim = 9223372036854775808.0;
    for (size_t i = 0; i < n; i++) {
        double x = (double)v[i] * s;
        sh[i] += fabs(x) < lim ? (uint64_t)(int64_t)x : fx_encode(v[i], f);
    }
}

/* The same for W^T of W [out, in]: sh[i * out + o] += encode(W[o * in + i]), in 32 x 32 tiles (the
 * transpose reads and writes whole cache lines). */
static void add_encoded_t(uint64_t *sh, const float *W, size_t out, size_t in, int f)
{
    enum { TILE = 32 };
    const double s = (double)(UINT64_C(1) << f), lim = 9223372036854775808.0;
    for (size_t o0 = 0; o0 < out; o0 += TILE)
        for (size_t i0 = 0; i0 < in; i0 += TILE) {
            size_t o1 = o0 + TILE < out ? o0 + TILE : out, i1 = i0 + TILE < in ? i0 + TILE : in;
            for (size_t i = i0; i < i1; i++)
                for (size_t o = o0; o < o1; o++) {
                    double x = (double)W[o * in + i] * s;
                    sh[i * out + o] += fabs(x) < lim ? (uint64_t)(int64_t)x : fx_encode(W[o * in + i], f);
                }
        }
}

/* Shares W^T ([in, out]) of P0's weight W ([out, in]; NULL except on P0). The model sharing's draws,
 * and P0's encoding when the recording run saw W, come from the setup work when there is one
 * (mpc_wcache.h). Release with mpc_share_model_release. */
static uint64_t *share_wt(mpc_ctx *c, const float *W, size_t out, size_t in)
{
    return mpc_share_model_enc(c, in * out, add_encoded_t, W, out, in);
}

static uint64_t *share_vec(mpc_ctx *c, const float *v, size_t n)
{
    return mpc_share_model_enc(c, n, add_encoded, v, n, 1);
}

/* ---- linear layer and embedding ---- */

static void cr_linear(mpc_ctx *c, uint64_t *y, const uint64_t *x, const float *W, const float *b, size_t T,
                      size_t in, size_t out)
{
    const float *Wp = c->self == NET_P0 ? W : NULL, *bp = c->self == NET_P0 ? b : NULL;
    uint64_t *Wt = share_wt(c, Wp, out, in), *bs = share_vec(c, bp, out);
    mpc_matmul(c, y, x, Wt, 1, T, in, out, 1);
    mpc_work(c, 0, T * out, 0);
    if (!c->phantom)
        for (size_t t = 0; t < T; t++)
            for (size_t o = 0; o < out; o++) y[t * out + o] += bs[o];
    mpc_share_model_release(c, Wt), mpc_share_model_release(c, bs);
}

static mpc_cost cr_linear_cost(const mpc_config *cfg, uint64_t T, uint64_t in, uint64_t out)
{
    mpc_cost c = mpc_matmul_cost(1, T, in, out, 1);
    mpc_cost_add(&c, mpc_trunc_cost(cfg, T * out));
    return c;
}

static void cr_embed(mpc_ctx *c, uint64_t *h, const int *tokens, const float *table, const float *rows, size_t T,
                     size_t V, size_t C)
{
    int f = c->cfg->frac_bits, p0 = c->self == NET_P0, real = !c->phantom;
    /* 1. P1 shares its one-hot tokens (fixed point), P0 its table; one Beaver matmul. P1's share
     *    of the T x V one-hot is mpc_share's (a PRZS plus the one-hot) without building the one-hot:
     *    it adds 2^f at each token's column, the only nonzero entries. */
    uint64_t *oh_sh = mpc_tmp(c, T * V);
    if (real && c->self == NET_P1)
        for (size_t t = 0; t < T; t++)
            CHECK(tokens[t] >= 0 && (size_t)tokens[t] < V, "token %d out of [0,%zu)", tokens[t], V);
    mpc_przs(c, oh_sh, T * V); /* mpc_share's first step, and its whole cost */
    if (real && c->self == NET_P1)
        for (size_t t = 0; t < T; t++) oh_sh[t * V + (size_t)tokens[t]] += fx_encode(1.0, f);
    /* The table is [V, C] = (W^T of a [C, V] "weight"), shared as is (encoded into scratch memory). */
    uint64_t *tab_sh = share_vec(c, p0 ? table : NULL, V * C);
    size_t K = c->cfg->embed_chunks > 1 ? (size_t)c->cfg->embed_chunks : 1;
    CHECK(K <= V, "embed_chunks %zu exceeds the vocabulary %zu", K, V);
    if (K == 1) {
        mpc_matmul(c, h, oh_sh, tab_sh, 1, T, V, C, 1);
    } else {
        /* Chunk i (MPCFormer's benchmark): one-hot columns [i s, i s + n) times table rows [i s, i s + n). */
        size_t s = V / K;
        uint64_t *oh_i = mpc_tmp(c, T * (V - (K - 1) * s)), *part = mpc_tmp(c, T * C);
        for (size_t i = 0; i < K; i++) {
            size_t n = i + 1 < K ? s : V - (K - 1) * s;
            if (real)
                for (size_t t = 0; t < T; t++) memcpy(oh_i + t * n, oh_sh + t * V + i * s, n * sizeof *oh_i);
            mpc_matmul(c, i == 0 ? h : part, oh_i, real ? tab_sh + i * s * C : NULL, 1, T, n, C, 1);
            if (i > 0) mpc_add(c, h, h, part, T * C);
        }
        mpc_tmp_free(oh_i), mpc_tmp_free(part);
    }
    mpc_tmp_free(oh_sh), mpc_share_model_release(c, tab_sh);
    /* 2. + P0's rows (positions are public): local. */
    uint64_t *rs = share_vec(c, p0 ? rows : NULL, T * C);
    mpc_add(c, h, h, rs, T * C);
    mpc_share_model_release(c, rs);
}

static mpc_cost cr_embed_cost(const mpc_config *cfg, uint64_t T, uint64_t V, uint64_t C)
{
    uint64_t K = cfg->embed_chunks > 1 ? (uint64_t)cfg->embed_chunks : 1, s = V / K;
    mpc_cost c;
    if (K == 1) c = mpc_matmul_cost(1, T, V, C, 1);
    else {
        c = mpc_cost_times(mpc_matmul_cost(1, T, s, C, 1), K - 1);
        mpc_cost_add(&c, mpc_matmul_cost(1, T, V - (K - 1) * s, C, 1));
    }
    /* each chunk's product is truncated */
    mpc_cost_add(&c, mpc_cost_times(mpc_trunc_cost(cfg, T * C), K));
    return c;
}

/* ---- products, scale ---- */

static void cr_matmul(mpc_ctx *c, uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t B, size_t m, size_t k,
                      size_t p)
{
    mpc_matmul(c, Z, X, Y, B, m, k, p, 0);
}

static mpc_cost cr_matmul_cost(const mpc_config *cfg, uint64_t B, uint64_t m, uint64_t k, uint64_t p)
{
    mpc_cost c = mpc_matmul_cost(B, m, k, p, 0);
    mpc_cost_add(&c, mpc_trunc_cost(cfg, B * m * p));
    return c;
}

/* The public scale and the truncation: one truncation of n values (zero under --trunc local). */
static mpc_cost cr_trunc_cost(const mpc_config *cfg, uint64_t n) { return mpc_trunc_cost(cfg, n); }

/* ---- norms ---- */

static void cr_layernorm(mpc_ctx *c, uint64_t *out, const uint64_t *x, const mpc_norm_params *p, size_t R, size_t H)
{
    int p0 = c->self == NET_P0;
    uint64_t *gs = share_vec(c, p0 ? p->gamma : NULL, H), *bs = share_vec(c, p0 ? p->beta : NULL, H);
    mpc_layernorm(c, out, x, gs, bs, R, H);
    mpc_share_model_release(c, gs), mpc_share_model_release(c, bs);
}

static void cr_batchnorm(mpc_ctx *c, uint64_t *out, const uint64_t *x, const mpc_norm_params *p, size_t R, size_t H)
{
    int p0 = c->self == NET_P0;
    uint64_t *gs = share_vec(c, p0 ? p->gamma : NULL, H), *bs = share_vec(c, p0 ? p->beta : NULL, H);
    /* Model setup: the inverse std from P0's running variance (CrypTen computes it once under MPC;
     * setup_cost reports that cost). */
    float *inv = NULL;
    if (p0 && !c->phantom) {
        inv = chk_malloc(H * sizeof *inv);
        for (size_t i = 0; i < H; i++) inv[i] = (float)(1.0 / sqrt((double)p->var[i] + p->eps));
    }
    uint64_t *ms = share_vec(c, p0 ? p->mean : NULL, H), *is = share_vec(c, inv, H);
    mpc_batchnorm(c, out, x, ms, is, gs, bs, R, H);
    mpc_share_model_release(c, ms), mpc_share_model_release(c, is);
    free(inv);
    mpc_share_model_release(c, gs), mpc_share_model_release(c, bs);
}

/* ---- cost twins whose op's closed form does not take the configuration ---- */

static mpc_cost cr_relu_cost(const mpc_config *cfg, uint64_t n) { return mpc_relu_cost(n); }
static mpc_cost cr_ltz_cost(const mpc_config *cfg, uint64_t n) { return mpc_ltz_cost(n); }
static mpc_cost cr_reveal_cost(const mpc_config *cfg, uint64_t n, int to) { return mpc_reveal_to_cost(n, to); }

static void cr_config_default(mpc_config *cfg) { mpc_config_default(cfg); }

static const char *cr_config_check(const mpc_config *cfg)
{
    return cfg->ring_bits == 64 ? NULL : "CrypTen's protocols work over Z_2^64 only (--ring-bits 64)";
}

const mpc_family mpc_family_crypten = {
    .name = "crypten",
    .description = "CrypTen's algorithms and defaults: 2 parties + dealer, Z_2^64, Beaver products",
    .config_default = cr_config_default,
    .config_check = cr_config_check,
    .dealer_kinds = NULL, /* the core (Beaver) kinds only */
    .linear = cr_linear,
    .linear_cost = cr_linear_cost,
    .embed = cr_embed,
    .embed_cost = cr_embed_cost,
    .matmul = cr_matmul,
    .matmul_cost = cr_matmul_cost,
    .scale = mpc_mul_const,
    .scale_cost = cr_trunc_cost,
    .activation = {
        [MPC_ACT_GELU_ERF] = {mpc_gelu_erf, mpc_gelu_erf_cost},
        [MPC_ACT_GELU_TANH] = {mpc_gelu_tanh, mpc_gelu_tanh_cost},
        [MPC_ACT_RELU] = {mpc_relu, cr_relu_cost},
        [MPC_ACT_QUAD] = {mpc_quad, mpc_quad_cost},
        [MPC_ACT_TANH] = {mpc_tanh, mpc_tanh_cost},
    },
    .attn_norm = {
        [MPC_ATTN_SOFTMAX] = {mpc_softmax_masked, mpc_softmax_cost},
        [MPC_ATTN_2RELU] = {mpc_2relu_masked, mpc_2relu_cost},
        [MPC_ATTN_2QUAD] = {mpc_2quad_masked, mpc_2quad_cost},
    },
    .norm = {
        [MPC_NORM_LAYERNORM] = {cr_layernorm, mpc_layernorm_cost, NULL, NULL},
        [MPC_NORM_BATCHNORM] = {cr_batchnorm, mpc_batchnorm_cost, mpc_batchnorm_setup_cost, NULL},
    },
    .ltz = {mpc_ltz, cr_ltz_cost},
    .trunc = {mpc_trunc, cr_trunc_cost},
    .reveal = mpc_reveal_to,
    .reveal_cost = cr_reveal_cost,
};

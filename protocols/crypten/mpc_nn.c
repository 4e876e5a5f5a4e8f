/* mpc_nn.c -- softmax, LayerNorm, the BatchNorm stand-in and MPCFormer's approximations.
 *
 * Closed-form costs (mpc_cost.h conventions; n = R L):
 *   softmax(R,L)      = max(R,L) + exp(n) + reciprocal_pos(R) + mul(R,L,row)        (L = 1: free)
 *   layernorm(R,H)    = square(R H) + inv_sqrt(R) + mul(R,H,row) + mul(R,H,col)
 *   batchnorm_setup(H)= inv_sqrt(H)                            (model-setup cost, once)
 *   batchnorm(R,H)    = 2 mul(R,H,col)
 *   quad(n)           = mul(n)                                 ((a x) * x, one general Beaver mul)
 *   2quad(R,L)        = mul(n) + reciprocal(R) + mul(R,L,row)  ((x+c)*(x+c) as a general mul)
 *   2relu(R,L)        = relu(n) + reciprocal(R) + mul(R,L,row)
 * (with cfg->attn_recip wide, 2Quad's and 2ReLU's reciprocal(R) + mul(R,L,row) become
 *  recip_norm(R) + 2 mul(R,L,row), and K = 1)
 * Divisions by the public rescale K and by H (and the LayerNorm shifts) are truncations: free under
 * --trunc local; under --trunc safe each is one (mpc_trunc_safe.h), as is every truncated product,
 * and the twins add them in program order (the safe forms are in mpc_nn.h). */
#include "../mpc_tags.h"
#include "mpc_nn.h"

#include <math.h>
#include <string.h>

#include "../../common/fx.h"
#include "../mpc_trunc_safe.h"
#include "mpc_cmp.h"
#include "mpc_math.h"

/* ---- rescale constants ---- */

static double pow2_ceil(double v)
{
    double k = 1;
    while (k < v) k *= 2;
    return k;
}

double mpc_softmax_scale(const mpc_config *cfg, uint64_t L)
{
    if (cfg->softmax_recip_scale > 0) return cfg->softmax_recip_scale;
    return fmax(1, pow2_ceil((double)L) / 16);
}

double mpc_2quad_scale(const mpc_config *cfg, uint64_t L)
{
    if (cfg->attn_recip == MPC_RECIP_WIDE) return 1;
    if (cfg->quad2_recip_scale > 0) return cfg->quad2_recip_scale;
    double c2 = cfg->quad2_c * cfg->quad2_c;
    return fmax(1, pow2_ceil(fmax(c2, 1) * (double)L) / 8);
}

double mpc_2relu_scale(const mpc_config *cfg, uint64_t L)
{
    if (cfg->attn_recip == MPC_RECIP_WIDE) return 1;
    if (cfg->relu2_recip_scale > 0) return cfg->relu2_recip_scale;
    return fmax(1, pow2_ceil((double)L) / 16);
}

/* z = x / K for a public K > 0: exact integer division when K is an integer, else a public-real
 * multiply by 1/K. Local. */
static void div_public(mpc_ctx *c, uint64_t *z, const uint64_t *x, double K, size_t n)
{
    if (K == 1) {
        if (z != x && !c->phantom) memcpy(z, x, n * sizeof *z);
        return;
    }
    if (K == floor(K) && K < 9e15) mpc_div_int(c, z, x, (int64_t)K, n);
    else mpc_mul_const(c, z, x, 1.0 / K, n);
}

static mpc_cost div_public_cost(const mpc_config *cfg, double K, uint64_t n)
{
    if (K == 1) return mpc_cost_zero();
    if (K == floor(K) && K < 9e15) return mpc_div_int_cost(cfg, (int64_t)K, n);
    return mpc_mul_const_cost(cfg, n);
}

/* out = num * recip / K with recip of shape R x 1 broadcast along rows. */
static void scale_rows(mpc_ctx *c, uint64_t *out, const uint64_t *num, const uint64_t *recip, double K, size_t R,
                       size_t L)
{
    mpc_mul(c, out, num, recip, R, L, MPC_BC_ROW, 1);
    div_public(c, out, out, K, R * L);
}

static mpc_cost scale_rows_cost(const mpc_config *cfg, double K, uint64_t R, uint64_t L)
{
    mpc_cost c = mpc_mul_trunc_cost(cfg, R, L, MPC_BC_ROW, 1);
    mpc_cost_add(&c, div_public_cost(cfg, K, R * L));
    return c;
}

/* 2Quad's and 2ReLU's normalisation out = num / S (rows; S: R row sums), per cfg->attn_recip:
 * CrypTen's sign-variant reciprocal of S/K then num inv / K (K = mpc_2quad_scale/2relu_scale), or
 * the range-normalised one: recip_norm gives 1/S = m r, and out = (num m) r as two ROW products
 * (each below 4, so neither loses bits nor risks a wrap however wide S ranges). Same rounds. */
static void row_divide(mpc_ctx *c, uint64_t *out, const uint64_t *num, uint64_t *S, double K, size_t R, size_t L)
{
    uint64_t *inv = mpc_tmp(c, R);
    if (c->cfg->attn_recip == MPC_RECIP_WIDE) {
        uint64_t *m = mpc_tmp(c, R);
        mpc_recip_norm(c, m, inv, S, R);
        mpc_mul(c, out, num, m, R, L, MPC_BC_ROW, 1);
        mpc_mul(c, out, out, inv, R, L, MPC_BC_ROW, 1);
        mpc_tmp_free(m);
    } else {
        div_public(c, S, S, K, R);
        mpc_reciprocal(c, inv, S, R);
        scale_rows(c, out, num, inv, K, R, L);
    }
    mpc_tmp_free(inv);
}

static mpc_cost row_divide_cost(const mpc_config *cfg, double K, uint64_t R, uint64_t L)
{
    if (cfg->attn_recip == MPC_RECIP_WIDE) {
        mpc_cost c = mpc_recip_norm_cost(cfg, R);
        mpc_cost_add(&c, mpc_cost_times(mpc_mul_trunc_cost(cfg, R, L, MPC_BC_ROW, 1), 2));
        return c;
    }
    mpc_cost c = div_public_cost(cfg, K, R);
    mpc_cost_add(&c, mpc_reciprocal_cost(cfg, R));
    mpc_cost_add(&c, scale_rows_cost(cfg, K, R, L));
    return c;
}

/* ---- softmax ---- */

/* Zeroes the shares at masked keys (public mask of length L, 0 = padded key): local. */
static void apply_keymask(mpc_ctx *c, uint64_t *x, const uint8_t *keymask, size_t R, size_t L)
{
    if (!keymask) return;
    mpc_work(c, 0, R * L, 0);
    if (c->phantom) return;
    for (size_t r = 0; r < R; r++)
        for (size_t j = 0; j < L; j++)
            if (!keymask[j]) x[r * L + j] = 0;
}

void mpc_softmax(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t R, size_t L)
{
    mpc_softmax_masked(c, out, x, NULL, R, L);
}

static void mpc_softmax_masked_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint8_t *keymask, size_t R, size_t L)
{
    size_t n = R * L;
    if (L == 1) { /* a single element normalises to 1 */
        mpc_przs(c, out, n);
        mpc_add_const(c, out, out, fx_encode(1.0, c->cfg->frac_bits), n);
        return;
    }
    double K = mpc_softmax_scale(c->cfg, L);
    uint64_t *m = mpc_tmp(c, R), *e = mpc_tmp(c, n), *S = mpc_tmp(c, R), *inv = mpc_tmp(c, R);
    /* 1. m = max(x) along rows. */
    mpc_max(c, m, NULL, x, R, L);
    /* 2. e = exp(x - m), the subtraction broadcast per row (local). */
    mpc_work(c, 0, n, 0);
    if (!c->phantom)
        for (size_t r = 0; r < R; r++)
            for (size_t j = 0; j < L; j++) e[r * L + j] = x[r * L + j] - m[r];
    mpc_exp(c, e, e, n);
    /* 2b. A public key mask multiplies after exp (never an additive -1e4 before it: 4.1). */
    apply_keymask(c, e, keymask, R, L);
    /* 3. S = row sums (local), rescaled by K. 4. inv = reciprocal(S/K), all positive. */
    mpc_rowsum(c, S, e, R, L);
    div_public(c, S, S, K, R);
    mpc_reciprocal_pos(c, inv, S, R);
    /* 5. out = e * inv / K. */
    scale_rows(c, out, e, inv, K, R, L);
    mpc_tmp_free(m), mpc_tmp_free(e), mpc_tmp_free(S), mpc_tmp_free(inv);
}

void mpc_softmax_masked(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint8_t *keymask, size_t R, size_t L)
{
    net_tag_push(c->net, MPC_TAG_SOFTMAX);
    mpc_softmax_masked_body_(c, out, x, keymask, R, L);
    net_tag_pop(c->net, MPC_TAG_SOFTMAX);
}

mpc_cost mpc_softmax_cost(const mpc_config *cfg, uint64_t R, uint64_t L)
{
    mpc_cost c = mpc_cost_zero();
    if (L == 1) return c;
    double K = mpc_softmax_scale(cfg, L);
    mpc_cost_add(&c, mpc_max_cost(cfg, R, L));
    mpc_cost_add(&c, mpc_exp_cost(cfg, R * L));
    mpc_cost_add(&c, div_public_cost(cfg, K, R));
    mpc_cost_add(&c, mpc_reciprocal_pos_cost(cfg, R));
    mpc_cost_add(&c, scale_rows_cost(cfg, K, R, L));
    return c;
}

/* ---- LayerNorm ---- */

static void mpc_layernorm_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *gamma, const uint64_t *beta,
                   size_t R, size_t H)
{
    size_t n = R * H;
    int k = c->cfg->ln_rsqrt_shift, f = c->cfg->frac_bits;
    uint64_t *mu = mpc_tmp(c, R), *xc = mpc_tmp(c, n), *sq = mpc_tmp(c, n), *v = mpc_tmp(c, R);
    /* 1. mu = sum(x)/H (a truncation by H). 2. xc = x - mu (local, broadcast). */
    mpc_rowsum(c, mu, x, R, H);
    mpc_div_int(c, mu, mu, (int64_t)H, R);
    mpc_work(c, 0, n, 0);
    if (!c->phantom)
        for (size_t r = 0; r < R; r++)
            for (size_t j = 0; j < H; j++) xc[r * H + j] = x[r * H + j] - mu[r];
    /* 3. v = sum(square(xc))/H, the biased variance. For small variances (k < 0) xc is first scaled
     *    up by 2^|k| (exact, local), so the squares keep their precision and v lands at v*4^|k|:
     *    xc*2^|k| * inv_sqrt(v*4^|k|) = xc * inv_sqrt(v). */
    if (k < 0) mpc_mul_int(c, xc, xc, (int64_t)1 << -k, n);
    mpc_square(c, sq, xc, n);
    mpc_rowsum(c, v, sq, R, H);
    mpc_div_int(c, v, v, (int64_t)H, R);
    /* 4. inv = inv_sqrt(v + eps), for large variances (k > 0) with the public rescale
     *    inv_sqrt(v/4^k)/2^k (two truncations, free under --trunc local). */
    mpc_add_const(c, v, v, fx_encode(ldexp(c->cfg->ln_eps, k < 0 ? -2 * k : 0), f), R);
    if (k > 0) mpc_div_int(c, v, v, (int64_t)1 << (2 * k), R);
    mpc_inv_sqrt(c, v, v, R);
    if (k > 0) mpc_div_int(c, v, v, (int64_t)1 << k, R);
    /* 5. y = xc * inv (broadcast per row). 6. y = y * gamma + beta (per feature). */
    mpc_mul(c, out, xc, v, R, H, MPC_BC_ROW, 1);
    mpc_mul(c, out, out, gamma, R, H, MPC_BC_COL, 1);
    mpc_work(c, 0, n, 0);
    if (!c->phantom)
        for (size_t r = 0; r < R; r++)
            for (size_t j = 0; j < H; j++) out[r * H + j] += beta[j];
    mpc_tmp_free(mu), mpc_tmp_free(xc), mpc_tmp_free(sq), mpc_tmp_free(v);
}

void mpc_layernorm(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *gamma, const uint64_t *beta,
                   size_t R, size_t H)
{
    net_tag_push(c->net, MPC_TAG_LAYERNORM);
    mpc_layernorm_body_(c, out, x, gamma, beta, R, H);
    net_tag_pop(c->net, MPC_TAG_LAYERNORM);
}

mpc_cost mpc_layernorm_cost(const mpc_config *cfg, uint64_t R, uint64_t H)
{
    int k = cfg->ln_rsqrt_shift;
    mpc_cost c = mpc_div_int_cost(cfg, (int64_t)H, R);
    mpc_cost_add(&c, mpc_square_trunc_cost(cfg, R * H));
    mpc_cost_add(&c, mpc_div_int_cost(cfg, (int64_t)H, R));
    if (k > 0) mpc_cost_add(&c, mpc_div_int_cost(cfg, (int64_t)1 << (2 * k), R));
    mpc_cost_add(&c, mpc_inv_sqrt_cost(cfg, R));
    if (k > 0) mpc_cost_add(&c, mpc_div_int_cost(cfg, (int64_t)1 << k, R));
    mpc_cost_add(&c, mpc_mul_trunc_cost(cfg, R, H, MPC_BC_ROW, 1));
    mpc_cost_add(&c, mpc_mul_trunc_cost(cfg, R, H, MPC_BC_COL, 1));
    return c;
}

/* ---- BatchNorm stand-in ---- */

static void mpc_batchnorm_setup_body_(mpc_ctx *c, uint64_t *inv, const uint64_t *var, size_t H)
{
    mpc_add_const(c, inv, var, fx_encode(c->cfg->ln_eps, c->cfg->frac_bits), H);
    mpc_inv_sqrt(c, inv, inv, H);
}

void mpc_batchnorm_setup(mpc_ctx *c, uint64_t *inv, const uint64_t *var, size_t H)
{
    net_tag_push(c->net, MPC_TAG_BN_SETUP);
    mpc_batchnorm_setup_body_(c, inv, var, H);
    net_tag_pop(c->net, MPC_TAG_BN_SETUP);
}

mpc_cost mpc_batchnorm_setup_cost(const mpc_config *cfg, uint64_t H) { return mpc_inv_sqrt_cost(cfg, H); }

static void mpc_batchnorm_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *mu, const uint64_t *inv,
                   const uint64_t *gamma, const uint64_t *beta, size_t R, size_t H)
{
    size_t n = R * H;
    /* y = ((x - mu) * inv) * gamma + beta: two Beaver muls with per-feature broadcast. */
    mpc_work(c, 0, n, 0);
    if (!c->phantom)
        for (size_t r = 0; r < R; r++)
            for (size_t j = 0; j < H; j++) out[r * H + j] = x[r * H + j] - mu[j];
    mpc_mul(c, out, out, inv, R, H, MPC_BC_COL, 1);
    mpc_mul(c, out, out, gamma, R, H, MPC_BC_COL, 1);
    mpc_work(c, 0, n, 0);
    if (!c->phantom)
        for (size_t r = 0; r < R; r++)
            for (size_t j = 0; j < H; j++) out[r * H + j] += beta[j];
}

void mpc_batchnorm(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *mu, const uint64_t *inv,
                   const uint64_t *gamma, const uint64_t *beta, size_t R, size_t H)
{
    net_tag_push(c->net, MPC_TAG_BATCHNORM);
    mpc_batchnorm_body_(c, out, x, mu, inv, gamma, beta, R, H);
    net_tag_pop(c->net, MPC_TAG_BATCHNORM);
}

mpc_cost mpc_batchnorm_cost(const mpc_config *cfg, uint64_t R, uint64_t H)
{
    return mpc_cost_times(mpc_mul_trunc_cost(cfg, R, H, MPC_BC_COL, 1), 2);
}

/* ---- MPCFormer's approximations ---- */

static void mpc_quad_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    const mpc_config *cfg = c->cfg;
    uint64_t *t = mpc_tmp(c, n), *bx = mpc_tmp(c, n);
    /* (a x) * x as CrypTen evaluates 0.125*x*x: a public scale, then one general Beaver mul. */
    mpc_mul_const(c, t, x, cfg->quad_a, n);
    mpc_mul_n(c, t, t, x, n, 1);
    mpc_mul_const(c, bx, x, cfg->quad_b, n);
    mpc_add(c, out, t, bx, n);
    mpc_add_const(c, out, out, fx_encode(cfg->quad_c, cfg->frac_bits), n);
    mpc_tmp_free(t), mpc_tmp_free(bx);
}

void mpc_quad(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_QUAD);
    mpc_quad_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_QUAD);
}

mpc_cost mpc_quad_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost c = mpc_mul_const_cost(cfg, n);
    mpc_cost_add(&c, mpc_mul_trunc_cost(cfg, 1, n, MPC_BC_NONE, 1));
    mpc_cost_add(&c, mpc_mul_const_cost(cfg, n));
    return c;
}

void mpc_2quad(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t R, size_t L)
{
    mpc_2quad_masked(c, out, x, NULL, R, L);
}

static void mpc_2quad_masked_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint8_t *keymask, size_t R, size_t L)
{
    size_t n = R * L;
    double K = mpc_2quad_scale(c->cfg, L);
    uint64_t *t = mpc_tmp(c, n), *S = mpc_tmp(c, R);
    /* 1. t = x + c (P0 adds). 2. s = t * t as a general Beaver mul of two copies (benchmark form). */
    mpc_add_const(c, t, x, fx_encode(c->cfg->quad2_c, c->cfg->frac_bits), n);
    mpc_mul_n(c, t, t, t, n, 1);
    /* 3. A public key mask zeroes masked positions after squaring (local).
     * 4. S = row sums; reciprocal(S/K) with CrypTen's division (sign variant); out = s * inv / K. */
    apply_keymask(c, t, keymask, R, L);
    mpc_rowsum(c, S, t, R, L);
    row_divide(c, out, t, S, K, R, L);
    mpc_tmp_free(t), mpc_tmp_free(S);
}

void mpc_2quad_masked(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint8_t *keymask, size_t R, size_t L)
{
    net_tag_push(c->net, MPC_TAG_2QUAD);
    mpc_2quad_masked_body_(c, out, x, keymask, R, L);
    net_tag_pop(c->net, MPC_TAG_2QUAD);
}

mpc_cost mpc_2quad_cost(const mpc_config *cfg, uint64_t R, uint64_t L)
{
    double K = mpc_2quad_scale(cfg, L);
    mpc_cost c = mpc_mul_trunc_cost(cfg, 1, R * L, MPC_BC_NONE, 1);
    mpc_cost_add(&c, row_divide_cost(cfg, K, R, L));
    return c;
}

void mpc_2relu(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t R, size_t L)
{
    mpc_2relu_masked(c, out, x, NULL, R, L);
}

static void mpc_2relu_masked_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint8_t *keymask, size_t R, size_t L)
{
    size_t n = R * L;
    double K = mpc_2relu_scale(c->cfg, L);
    uint64_t *r = mpc_tmp(c, n), *S = mpc_tmp(c, R);
    /* 1. r = relu(x) + 2^-f: one ulp (P0 adds 1) stands in for the training form's eps, which is
     *    below the resolution (4.7); an all-non-positive row then normalises to 1/L as the float
     *    model does, instead of 0; elsewhere the sums move by L 2^-f. Local, no traffic.
     * 2. S = row sums; reciprocal(S/K) (sign variant); out = r * inv / K. */
    mpc_relu(c, r, x, n);
    mpc_add_const(c, r, r, 1, n);
    apply_keymask(c, r, keymask, R, L);
    mpc_rowsum(c, S, r, R, L);
    row_divide(c, out, r, S, K, R, L);
    mpc_tmp_free(r), mpc_tmp_free(S);
}

void mpc_2relu_masked(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint8_t *keymask, size_t R, size_t L)
{
    net_tag_push(c->net, MPC_TAG_2RELU);
    mpc_2relu_masked_body_(c, out, x, keymask, R, L);
    net_tag_pop(c->net, MPC_TAG_2RELU);
}

mpc_cost mpc_2relu_cost(const mpc_config *cfg, uint64_t R, uint64_t L)
{
    double K = mpc_2relu_scale(cfg, L);
    mpc_cost c = mpc_relu_cost(R * L);
    mpc_cost_add(&c, row_divide_cost(cfg, K, R, L));
    return c;
}

/* mpc_nn.h -- the Transformer's non-linear layers and MPCFormer's approximations
 * (PROTOCOLS.md 2.19-2.21, 3). Rows are the last dimension: x is R x L (or R x H). */
#ifndef MPC_NN_H
#define MPC_NN_H

#include "../mpc_beaver.h"
#include "../mpc_cost.h"

/* The public rescale K of each reciprocal call site (PROTOCOLS.md 4.2): the configured value if > 0,
 * else automatic: softmax sums lie in [1, L] -> K = max(1, 2^ceil(log2 L) / 16); 2Quad sums are about
 * c^2 L for near-zero scores -> K = max(1, 2^ceil(log2(c^2 L)) / 8); 2ReLU sums are about L for unit
 * scores -> K as softmax. S/K then stays within about [2^-6, 2^4] where the reciprocal is accurate.
 * Under cfg->attn_recip = MPC_RECIP_WIDE, 2Quad and 2ReLU normalise by S itself (mpc_recip_norm: 1/S =
 * m r, out = (num m) r, two ROW products), K = 1. */
double mpc_softmax_scale(const mpc_config *cfg, uint64_t L);
double mpc_2quad_scale(const mpc_config *cfg, uint64_t L);
double mpc_2relu_scale(const mpc_config *cfg, uint64_t L);

/* Under --trunc safe (mpc_trunc_safe.h: a truncation of m values costs 1 round, 8m B per party,
 * 2m dealer words, 1 request) each op below adds, with n = R L and kappa = 1 if its K != 1 (a
 * division by an integral K or a product with 1/K, else none):
 *   softmax(R,L)   exp(n)'s 9 + kappa (S/K, R) + reciprocal_pos(R)'s 29 + the product (n) + kappa (n)
 *   layernorm(R,H) mu/H, v/H (R each; none for H = 1), the square (n), inv_sqrt(R)'s 24, the ROW and
 *                  COL products (n each), and for k > 0 v/4^k, inv/2^k (R each)
 *   batchnorm(R,H) the two products (n each); its setup: inv_sqrt(H)'s 24
 *   quad(n)        x a, the product, x b: 3 of n
 *   2quad(R,L)     the product (n) + kappa (R) + reciprocal(R)'s 29 + the ROW product (n) + kappa (n)
 *   2relu(R,L)     kappa (R) + reciprocal(R)'s 29 + the ROW product (n) + kappa (n)
 *   (attn_recip wide: recip_norm(R)'s 30 + the two ROW products (n each) in place of kappa (R) +
 *   reciprocal(R)'s 29 + the ROW product + kappa (n))
 * At the defaults, e.g. softmax 1x3: 122 | 3392 B | 344 words | 122; LayerNorm 4x8: 49 | 3200 B |
 * 564 | 49; 2Quad 4x8 (K = 32): 73 | 4736 B | 672 | 73 (tests/test_trunc_safe_twins.c). */

/* CrypTen softmax along rows: max, exp(x - max), row sums, all-positive reciprocal of sum/K (K =
 * cfg->softmax_recip_scale), broadcast Beaver mul, then /K. */
void mpc_softmax(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t R, size_t L);
/* keymask: public, length L, 0 = padded key (the same for every row); NULL = none. Masked keys are
 * zeroed after exp (softmax), after squaring (2Quad) or after relu (2ReLU): local, no extra traffic. */
void mpc_softmax_masked(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint8_t *keymask, size_t R, size_t L);
mpc_cost mpc_softmax_cost(const mpc_config *cfg, uint64_t R, uint64_t L);

/* LayerNorm over rows of H features with secret gamma/beta (H each) (2.20). */
void mpc_layernorm(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *gamma,
                   const uint64_t *beta, size_t R, size_t H);
mpc_cost mpc_layernorm_cost(const mpc_config *cfg, uint64_t R, uint64_t H);

/* MPCFormer's BatchNorm stand-in (2.21). Setup (once, model-setup cost): inv = inv_sqrt(var + eps) on
 * H elements. Per inference: y = ((x - mu) * inv) * gamma + beta: two Beaver muls (column bcast). */
void mpc_batchnorm_setup(mpc_ctx *c, uint64_t *inv, const uint64_t *var, size_t H);
mpc_cost mpc_batchnorm_setup_cost(const mpc_config *cfg, uint64_t H);
void mpc_batchnorm(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *mu, const uint64_t *inv,
                   const uint64_t *gamma, const uint64_t *beta, size_t R, size_t H);
mpc_cost mpc_batchnorm_cost(const mpc_config *cfg, uint64_t R, uint64_t H);

/* Quad (3.1): a x^2 + b x + c, computed as (a x) * x with one general Beaver mul. */
void mpc_quad(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_quad_cost(const mpc_config *cfg, uint64_t n);

/* 2Quad (3.2): (x + c)^2 / row sum, reciprocal of sum/K (K = cfg->quad2_recip_scale). */
void mpc_2quad(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t R, size_t L);
void mpc_2quad_masked(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint8_t *keymask, size_t R, size_t L);
mpc_cost mpc_2quad_cost(const mpc_config *cfg, uint64_t R, uint64_t L);

/* 2ReLU (3.3): relu(x) / row sum, reciprocal of sum/K (K = cfg->relu2_recip_scale). */
void mpc_2relu(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t R, size_t L);
void mpc_2relu_masked(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint8_t *keymask, size_t R, size_t L);
mpc_cost mpc_2relu_cost(const mpc_config *cfg, uint64_t R, uint64_t L);

#endif

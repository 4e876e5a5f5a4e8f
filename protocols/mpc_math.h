/* mpc_math.h -- exp, reciprocal, inverse square root, sigmoid/tanh, powers, erf, GeLU
 * (PROTOCOLS.md 2.13-2.17, 4.1-4.4). Fixed point at scale 2^f in and out. Iteration counts and
 * initial guesses come from c->cfg. Each comment states the domain where the result is accurate
 * and the closed-form cost; *_cost() returns it. */
#ifndef MPC_MATH_H
#define MPC_MATH_H

#include "mpc.h"
#include "mpc_cost.h"

void mpc_exp(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_exp_cost(const mpc_config *cfg, uint64_t n);

/* All-positive reciprocal, x > 0 (2.14): guess 3 exp(1-2x) + 0.003, then NR iterations. */
void mpc_reciprocal_pos(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_reciprocal_pos_cost(const mpc_config *cfg, uint64_t n);
/* CrypTen's default sign-handling reciprocal (2.14). */
void mpc_reciprocal(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_reciprocal_cost(const mpc_config *cfg, uint64_t n);

void mpc_inv_sqrt(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_inv_sqrt_cost(const mpc_config *cfg, uint64_t n);
void mpc_sqrt(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_sqrt_cost(const mpc_config *cfg, uint64_t n);

void mpc_sigmoid(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_sigmoid_cost(const mpc_config *cfg, uint64_t n);
void mpc_tanh(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_tanh_cost(const mpc_config *cfg, uint64_t n);

/* x^p for integer p >= 1 with CrypTen's recursion, correct for odd p (2.17). */
void mpc_pow(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n, int p);
mpc_cost mpc_pow_cost(uint64_t n, int p);

void mpc_erf(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_erf_cost(const mpc_config *cfg, uint64_t n);
void mpc_gelu_erf(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_gelu_erf_cost(const mpc_config *cfg, uint64_t n);
void mpc_gelu_tanh(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_gelu_tanh_cost(const mpc_config *cfg, uint64_t n);

#endif

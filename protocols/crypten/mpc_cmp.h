/* mpc_cmp.h -- binary/arithmetic conversions and comparisons (PROTOCOLS.md 2.8-2.12, 2.18).
 * Outputs of comparisons are 0/1 with scale 1. Each function's comment states its closed-form cost;
 * the matching *_cost() returns it (mpc_cost.h conventions). */
#ifndef MPC_CMP_H
#define MPC_CMP_H

#include "../mpc_beaver.h"
#include "../mpc_cost.h"

/* [x] (n) -> <x> via CrypTen's parallel-prefix (SPK) adder. */
void mpc_a2b(mpc_ctx *c, uint64_t *xb, const uint64_t *x, size_t n);
mpc_cost mpc_a2b_cost(uint64_t n);

/* <x> with the bit in bit 0 -> [x] at scale 1. */
void mpc_b2a_bit(mpc_ctx *c, uint64_t *x, const uint64_t *xb, size_t n);
mpc_cost mpc_b2a_bit_cost(uint64_t n);
/* The low k bits of <x> -> [x] = sum 2^i [b_i] at scale 1 (one stacked B2A of k*n bits). */
void mpc_b2a_bits(mpc_ctx *c, uint64_t *x, const uint64_t *xb, size_t n, int k);
mpc_cost mpc_b2a_bits_cost(uint64_t n, int k);

/* 1 where x < 0 (signed view). */
void mpc_ltz(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_ltz_cost(uint64_t n);
/* Comparisons of two same-scale operands: lt = ltz(x-y), gt = ltz(y-x), ge = 1-lt, le = 1-gt. */
void mpc_lt(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y, size_t n);
void mpc_gt(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y, size_t n);
void mpc_ge(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y, size_t n);
void mpc_le(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y, size_t n);
/* sign(x) = 1 - 2 ltz(x) (scale 1; sign(0) = +1). */
void mpc_sign(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);

/* 1 where x == y (2PC eq, 2.11). */
void mpc_eq(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint64_t *y, size_t n);
mpc_cost mpc_eq_cost(uint64_t n);

/* relu(x) = x * (1 - ltz(x)); scale 2^f in and out. */
void mpc_relu(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_relu_cost(uint64_t n);

/* where(cond, x, y) = x*cond + y*(1-cond), cond 0/1 at scale 1: two Beaver muls (CrypTen order). */
void mpc_where(mpc_ctx *c, uint64_t *out, const uint64_t *cond, const uint64_t *x, const uint64_t *y, size_t n);
mpc_cost mpc_where_cost(uint64_t n);

/* Max along the last dimension of R x L (2.18). out: R values (scale 2^f). argmax: R x L one-hot
 * (scale 1), may be NULL; with cfg->max_method == MPC_MAX_CRYPTEN stage C (full-width argmax) runs
 * whether or not argmax is wanted, as CrypTen does; MPC_MAX_NOARGMAX skips it (argmax must be NULL). */
void mpc_max(mpc_ctx *c, uint64_t *out, uint64_t *argmax, const uint64_t *x, size_t R, size_t L);
mpc_cost mpc_max_cost(const mpc_config *cfg, uint64_t R, uint64_t L);

#endif

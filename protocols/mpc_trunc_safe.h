/* mpc_trunc_safe.h -- a truncation that cannot wrap, and the switch that picks the truncation.
 *
 * Local truncation (PROTOCOLS.md 2.3) divides each share on its own: free, but when the signed sum of
 * the two shares overflows (probability |x|/2^64 per element, x the value being divided) the result
 * is off by about 2^64/d. CrypTen's dealer-assisted truncation (3+ parties) computes the shares' wrap
 * count from a masked opening but assumes the mask does not wrap against x, which fails with the same
 * probability |x|/2^64. The op below removes that last term by construction: one spare bit makes the
 * wrap of x + r a local function of public and dealt bits.
 *
 * Safe truncation of [x] by a public integer d >= 2 (mpc_trunc_safe):
 *   Domain: -B <= x < 2^63 - B with B = d*floor(2^62/d) (B = 2^62 for d = 2^f, so |x| < 2^62: a
 *   fixed-point product of real magnitude below 2^(62-2f), 2^30 at f = 16, one bit under 1.2's range).
 *   1. P0 adds B: x' = x + B lies in [0, 2^63), its top bit is 0.
 *   2. Dealer pair (dealer_trunc): r uniform mod 2^64, [r], [q] = [floor(r/d)], [m] = [r >> 63].
 *   3. Open c = x' + r mod 2^64 (uniform: reveals nothing about x).
 *   4. As integers x' = c - r + w 2^64, and because x' < 2^63 the sum x' + r wraps exactly when r's top
 *      bit is 1 and c's is 0: w = m (1 - c>>63). [w] is local.
 *   5. [y] = floor(c/d) - [q] + M [w] - B/d, with M = floor(2^64/d); P0 adds the public terms.
 *   Error: writing c = qc d + rc, r = qr d + rr, 2^64 = M d + rM, y - floor(x/d) = -floor((rc - rr +
 *   w rM)/d), which is in {0, 1} when d is a power of two (rM = 0; y is x/d rounded up with
 *   probability frac(x/d): unbiased stochastic rounding) and in {-1, 0, 1} otherwise. So |y - x/d| <= 1
 *   ulp for d = 2^k and < 2 ulp otherwise, for EVERY share split: no catastrophic case inside the
 *   domain. Outside it the result is garbage (mpc_audit reports such inputs as domain violations).
 * Cost: 1 round; 8n B sent per party; dealer 16n B (two correction words per element) + 1 request
 *   (mpc_cost_dealt_exchange(n, 2n); 48 B request); under the inline dealer schedule 3 rounds (the
 *   request's round trip before the opening). Local truncation costs 0 rounds and 0 bytes.
 *
 * Where the switch applies: mpc_trunc (after mpc_mul, mpc_matmul, mpc_square), mpc_div_int and
 * mpc_mul_const (declared in mpc.h, defined in mpc_trunc_safe.c: above dealer.h, since the safe
 * truncation consumes dealer material) call mpc_trunc_div, which runs the local or the safe
 * truncation per cfg->trunc. The crypten family's table (crypten.c) takes its truncation from here,
 * and its twins of the linear layer, embedding, products and public scale add mpc_trunc_cost. With
 * --trunc safe every Beaver product therefore costs one more round, and every public division or
 * multiplication by a real constant one round instead of none. mpc_cost.h's closed forms are the
 * untruncated exchanges; the twins below add the truncation under cfg->trunc, and the higher ops'
 * twins (crypten/mpc_math.h, mpc_nn.h) are built from them, so they equal the measured run under
 * either choice. */
#ifndef MPC_TRUNC_SAFE_H
#define MPC_TRUNC_SAFE_H

#include "mpc.h"
#include "mpc_cost.h"

/* B for divisor d: the bias that keeps x' = x + B in [0, 2^63). */
uint64_t mpc_trunc_safe_bias(uint64_t d);
/* 1 if x (signed ring value) is inside the safe truncation's domain for divisor d. */
int mpc_trunc_safe_in_domain(uint64_t x, uint64_t d);

/* z = x / d by the dealer-assisted protocol above. z may alias x. */
void mpc_trunc_safe(mpc_ctx *c, uint64_t *z, const uint64_t *x, int64_t d, size_t n);
mpc_cost mpc_trunc_safe_cost(uint64_t n);

/* The switch: local (2.3) or safe per c->cfg->trunc. In local mode it does exactly what the local
 * division always did (same result words, same work charged) and reports to c->audit if set. */
void mpc_trunc_div(mpc_ctx *c, uint64_t *z, const uint64_t *x, int64_t d, size_t n);
/* z = (x * kk) / d for a public ring constant kk (mpc_mul_const's truncating path). */
void mpc_mul_const_trunc(mpc_ctx *c, uint64_t *z, const uint64_t *x, uint64_t kk, int64_t d, size_t n);
/* The local division of a share, elementwise: z = fx_div_trunc(x * k, d) (C's signed division,
 * truncated toward zero; fx_div_trunc is its naive reference, and tests compare them). For d = 2^s,
 * nearly every call, the same words by an arithmetic shift of x k + (d - 1 if negative) instead of a
 * 64-bit division per element. z may alias x. */
void mpc_div_trunc_n_(uint64_t *z, const uint64_t *x, uint64_t k, int64_t d, size_t n);
/* ---- cost twins under cfg->trunc (each: zero extra under --trunc local) ---- */
/* One truncation of n elements by 2^f (mpc_trunc; mpc_mul_const): zero (local) or
 * mpc_trunc_safe_cost(n). */
mpc_cost mpc_trunc_cost(const mpc_config *cfg, uint64_t n);
/* mpc_div_int / mpc_trunc_div by d: zero under local, and for d = 1 (the identity) under safe;
 * else mpc_trunc_safe_cost(n). */
mpc_cost mpc_div_int_cost(const mpc_config *cfg, int64_t d, uint64_t n);
/* mpc_mul_const: one truncation by 2^f. */
mpc_cost mpc_mul_const_cost(const mpc_config *cfg, uint64_t n);
/* mpc_mul(..., trunc) on R x L (y per bc): the Beaver exchange, then, if trunc, its truncation of RL. */
mpc_cost mpc_mul_trunc_cost(const mpc_config *cfg, uint64_t R, uint64_t L, mpc_bcast bc, int trunc);
/* mpc_square on n: the square-pair exchange, then its truncation of n. */
mpc_cost mpc_square_trunc_cost(const mpc_config *cfg, uint64_t n);

#endif

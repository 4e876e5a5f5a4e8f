/* mpc_math.h -- exp, reciprocal, inverse square root, sigmoid/tanh, powers, erf, GeLU
 * (PROTOCOLS.md 2.13-2.17, 4.1-4.4). Fixed point at scale 2^f in and out. Iteration counts and
 * initial guesses come from c->cfg. Each comment states the domain where the result is accurate
 * (measured at f = 16, tests/test_mpc_math.c) and the closed-form cost; *_cost() returns it.
 *
 * Costs are for n elements with the default configuration, written as
 *   rounds (offline dealer schedule) | online bytes sent by EACH party (also what each receives) |
 *   dealer correction words D->P0 (8 B each) | dealer requests P0->D (DEALER_REQ_BYTES each).
 * In general: d = exp_iters, k = recip_nr_iters, s = sqrt_nr_iters, m = sigmoid_recip_iters.
 * Every exchange is one square or Beaver mul (or an ltz step) run on its own in program order, so
 * rounds = requests; inline-schedule rounds follow from the composed cost (mpc_cost_rounds).
 * The "Cost:" forms are --trunc local's, where every truncation is free. Under --trunc safe each
 * truncation of the n values is a protocol of its own (mpc_trunc_safe.h: +1 round, +8n B per party,
 * +2n dealer words, +1 request): after every truncated square and Beaver product, every division by
 * a public integer d >= 2 and every product with a public real. "Safe: +t" counts them; the *_cost()
 * twins add them per cfg->trunc, in program order (so the inline schedule composes too).
 * Outputs may alias inputs. */
#ifndef MPC_MATH_H
#define MPC_MATH_H

#include "../mpc_beaver.h"
#include "../mpc_cost.h"

/* exp(x) = (1 + x/2^d)^(2^d) (2.13): x/2^d by local truncation, P0 adds 1, d squarings.
 * Domain: relative error ~x^2/2^(d+1) from the formula (-5% at x = -5, -12% at -8, -3% at 4) plus up
 * to 2^d ulp relative from truncating x/2^d; below about -11 the result is 0. The base is negative
 * for x < -256: the result is ~0 up to about -500 but climbs to e^-1 at -511, and for x <= -512
 * it explodes (garbage after ring overflow), so never feed additive -1e4 masks (4.1).
 * Cost: d | 8dn (64n) | dn (8n) | d (8). Safe: +d+1 (x/2^d, d squarings; none for x/2^0):
 * 2d+1 (17) | 8(2d+1)n (136n) | (3d+2)n (26n) | 2d+1 (17). */
void mpc_exp(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_exp_cost(const mpc_config *cfg, uint64_t n);

/* All-positive reciprocal, x > 0 (2.14): guess 3 exp(1-2x) + 0.003, then k Newton steps
 * y <- 2y - square(y) x. Domain: x in [0.05, 20] within (x+1)^2 2^-f relative (< 0.5% up to
 * x ~ 16, 0.46% measured at 19, bound 0.67% at 20); powers of two are exact. The error grows like
 * x^2 2^-f (~1% at 30, ~5% at 60, ~30% at 150) and the guess overflows above ~254 (garbage):
 * rescale by a public K first (4.2). Cost: d + 2k | 8n(d + 3k) (304n) | n(d + 2k) (28n) | d + 2k (28).
 * Safe: +d+1+2k (29: exp's, then square and mul per step; +1 if recip_init_mul is not an integer):
 * 2d+4k+1 (57) | 8n(2d+5k+1) (536n) | n(3d+6k+2) (86n) | 57. */
void mpc_reciprocal_pos(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_reciprocal_pos_cost(const mpc_config *cfg, uint64_t n);
/* CrypTen's default sign-handling reciprocal (2.14): sgn = 1 - 2 ltz(x), p = sgn x (Beaver mul,
 * no truncation), r = reciprocal_pos(p), out = sgn r (Beaver mul, no truncation).
 * Domain: |x| in [0.05, 20], as reciprocal_pos on |x|. Cost: ltz + 2 muls + reciprocal_pos:
 * d + 2k + 10 (38) | 8n(d + 3k) + 248n (552n) | n(d + 2k + 16) (44n) | d + 2k + 10 (38).
 * Safe: +d+1+2k (29, reciprocal_pos'): 67 | 784n | 102n | 67. */
void mpc_reciprocal(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_reciprocal_cost(const mpc_config *cfg, uint64_t n);

/* Range-normalised reciprocal, x > 0 (our addition; CrypTen has none): the attention row sums of
 * 2Quad and 2ReLU span 2^-9..2^16 in trained models, wider than any single public rescale K brings
 * into reciprocal_pos's window. recip_norm returns 1/x as two factors, m r: one ltz of 7n values
 * gives the bits [x >= 2^2], [x >= 2^6], [x >= 2^10], [x >= 2^14], [x < 2^-2], [x < 2^-6],
 * [x < 2^-10]; m, a power of 16 from 2^-16 to 2^12, is a public linear form in them (local, exact at
 * f >= 16); y = x m lies in [2^-2, 2^2) for x in [2^-14, 2^18) (down to 2^-4 at x = 1 ulp) and
 * r = reciprocal_pos(y). Domain: x in [2^-f, 2^18]; r within reciprocal_pos's error at y (<= 29 u
 * relative) plus y's ulp. Kept apart, num m r can be formed as (num m) r with every product < 4
 * (mpc_nn.c); m r itself has few significant bits once x is large (1/x < 2^-8).
 * Cost: ltz(7n) + mul + reciprocal_pos: d + 2k + 9 (37) | 8n(d + 3k) + 1528n (1832n) |
 * n(d + 2k + 99) (127n) | 37. Safe: +d+2+2k (30: the product, reciprocal_pos' 29): 67 | 2072n |
 * 187n | 67.
 * reciprocal_wide = recip_norm, then out = m r (one more truncated mul): d + 2k + 10 (38) | 1848n |
 * 128n | 38: the sign variant's rounds, 1296n more bytes. Safe: +31: 69 | 2096n | 190n | 69. */
void mpc_recip_norm(mpc_ctx *c, uint64_t *m, uint64_t *r, const uint64_t *x, size_t n);
mpc_cost mpc_recip_norm_cost(const mpc_config *cfg, uint64_t n);
void mpc_reciprocal_wide(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_reciprocal_wide_cost(const mpc_config *cfg, uint64_t n);

/* 1/sqrt(x) (2.15): guess 2.2 exp(-(x/2 + 0.2)) + 0.2 - x/1024, then s Newton steps
 * y <- y (3 - x square(y)) / 2 (two Beaver muls each). Domain: x in [0.1, 150] within 0.5%
 * (0.47% measured); ~40% off at 0.01 and 190, garbage above ~200: rescale by 4^j (4.3).
 * Cost: d + 3s | 8n(d + 5s) (184n) | n(d + 3s) (17n) | d + 3s (17). Safe: +d+4+4s (24: x/2, exp's
 * d+1, x2.2, x/1024, per step square, 2 muls, /2): 2d+7s+4 (41) | 8n(2d+9s+4) (376n) |
 * n(3d+11s+8) (65n) | 41. */
void mpc_inv_sqrt(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_inv_sqrt_cost(const mpc_config *cfg, uint64_t n);
/* sqrt(x) = x inv_sqrt(x): one more Beaver mul. Domain as inv_sqrt (0.5% relative).
 * Cost: d + 3s + 1 | 8n(d + 5s + 2) (200n) | n(d + 3s + 1) (18n) | d + 3s + 1 (18).
 * Safe: +d+5+4s (25): 43 | 400n | 68n | 43. */
void mpc_sqrt(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_sqrt_cost(const mpc_config *cfg, uint64_t n);

/* sigmoid (2.16, CrypTen's reciprocal method): l = ltz(x), a = x (1 - 2l) (Beaver mul, no
 * truncation), den = exp(-a) + 1, r = 1/den by m all-positive Newton steps from the public y0 = 0.75
 * (the first step is local), sigmoid = where(1 - l, r, 1 - r) (two Beaver muls).
 * Domain: |x| <= 250 (exp(-|x|) stays ~0 up to ~500); absolute error <= 0.003, largest near 0 (sigmoid(0) = 0.498, the
 * 3-step Newton error 2^-8 at den = 2), relative error large where sigmoid ~ 0.
 * Cost: ltz + mul + exp + (m-1)(square + mul) + where: 9 + d + 2m (23) |
 * 264n + 8dn + 24(m-1)n (376n) | n(17 + d + 2(m-1)) (29n) | 9 + d + 2m (23).
 * Safe: +d+2m (14: exp's d+1, x y0^2, square and mul per private step): 37 | 488n | 57n | 37. */
void mpc_sigmoid(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_sigmoid_cost(const mpc_config *cfg, uint64_t n);
/* tanh(x) = 2 sigmoid(2x) - 1 (local around the sigmoid). Domain: |x| <= 125; absolute error
 * <= 0.006 (twice sigmoid's at 2x). Cost: as mpc_sigmoid (safe too). */
void mpc_tanh(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_tanh_cost(const mpc_config *cfg, uint64_t n);

/* x^p for integer p >= 1 with CrypTen's recursion (p = 1: copy; even: pow(square(x), p/2)), but
 * correct for odd p: pow(square(x), (p-1)/2) * x (2.17; CrypTen returns x^(3(p-1)/2)).
 * Domain: |x^p| < 2^(63-2f) (2^31) for every intermediate; error <= 2p max(1,|x|)^(p-1) ulp.
 * Cost, with q = floor(log2 p) squares and w = popcount(p) - 1 muls:
 * q + w | 8n(q + 2w) | n(q + w) | q + w. Safe: +q+w (every product truncated):
 * 2(q + w) | 8n(2q + 3w) | 3n(q + w) | 2(q + w). */
void mpc_pow(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n, int p);
mpc_cost mpc_pow_cost(const mpc_config *cfg, uint64_t n, int p);

/* erf(z) = (2/sqrt pi) (z + sum_{j=1..K} (-1)^j z^(2j+1) / (j! (2j+1))), K = erf_iters (2.17), each
 * power from scratch with mpc_pow, one after another; coefficients and sum local. At f = 16 the
 * coefficients of z^15 and z^17 encode to 0 (public-real products, as in CrypTen), so the series
 * is effectively 6 terms. Domain: |z| <= 1.5, absolute error <= 0.006 (at |z| = 1.5; < 1e-4 for
 * |z| <= 1). Beyond it leaves [-1, 1]: ~1.35 at z = 2, ~9.3 at 2.5, and z^17 leaves the product
 * range for |z| > ~3.5 (4.4). Cost (K = 8): sum of pow(2j+1) = 21 squares + 13 muls:
 * 34 | 376n | 34n | 34. Safe: +34+K+1 (43: the products, K coefficients, 2/sqrt(pi)):
 * 77 | 720n | 120n | 77. */
void mpc_erf(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_erf_cost(const mpc_config *cfg, uint64_t n);
/* GeLU, erf form: 0.5 (x (1 + erf(x / sqrt 2))): erf, then one Beaver mul. Domain: |x| <= 2
 * (erf's), absolute error <= 0.003. Cost: erf + mul: 35 | 392n | 35n | 35. Safe: +46 (x/sqrt 2,
 * erf's 43, the product, x0.5): 81 | 760n | 127n | 81. */
void mpc_gelu_erf(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_gelu_erf_cost(const mpc_config *cfg, uint64_t n);
/* GeLU, tanh form: (0.5 x)(1 + tanh(sqrt(2/pi)(x + 0.044715 pow(x, 3)))). Domain: tested on
 * [-6, 6], absolute error <= 0.002. Cost: pow(3) + tanh + mul:
 * 12 + d + 2m (26) | 24n + tanh + 16n (416n) | n(20 + d + 2(m-1)) (32n) | 12 + d + 2m (26).
 * Safe: +d+2m+6 (20: pow's 2, x0.044715, x sqrt(2/pi), tanh's 14, x0.5, the product):
 * 46 | 576n | 72n | 46. */
void mpc_gelu_tanh(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
mpc_cost mpc_gelu_tanh_cost(const mpc_config *cfg, uint64_t n);

#endif

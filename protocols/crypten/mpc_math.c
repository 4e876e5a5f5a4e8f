/* mpc_math.c -- exp, reciprocal, inv_sqrt/sqrt, sigmoid/tanh, powers, erf and GeLU (PROTOCOLS.md
 * 2.13-2.17): CrypTen's algorithms, built only from local ops, square (2.6) and Beaver mul (2.4),
 * with the project's correct odd powers. Domains and closed-form costs are in mpc_math.h.
 *
 * Every op runs its exchanges one after another in program order (no merging), as CrypTen does.
 * Phantom mode needs no special care here: the core ops skip arithmetic on NULL buffers and
 * mpc_tmp() returns NULL, so the same messages flow without touching shares. */
#include "../mpc_tags.h"
#include "mpc_math.h"
#include "../mpc_audit.h"
#include "../mpc_trunc_safe.h"

#include <math.h>
#include <string.h>

#include "../../common/fx.h"
#include "mpc_cmp.h"

#define MATH_2_SQRTPI 1.1283791670955126 /* 2/sqrt(pi) */
#define MATH_SQRT1_2 0.70710678118654752 /* 1/sqrt(2) */
#define MATH_SQRT_2_PI 0.79788456080286536 /* sqrt(2/pi) */

static uint64_t enc(const mpc_ctx *c, double v) { return fx_encode(v, c->cfg->frac_bits); }

static void copy(const mpc_ctx *c, uint64_t *z, const uint64_t *x, size_t n)
{
    if (!c->phantom && z != x) memmove(z, x, n * sizeof *z);
}

static int public_is_int(double k) { return k == floor(k) && fabs(k) < 2147483648.0; }

/* z = k x for a public k. An integral k is a public-integer product (exact, no truncation), which is
 * what CrypTen does for a Python int such as the 3 of the reciprocal's guess; otherwise it is a
 * public-real product with a truncation (2.2; local or safe per cfg->trunc). */
static void mul_public(mpc_ctx *c, uint64_t *z, const uint64_t *x, double k, size_t n)
{
    if (public_is_int(k)) mpc_mul_int(c, z, x, (int64_t)k, n);
    else mpc_mul_const(c, z, x, k, n);
}

/* Twins of the building blocks under cfg->trunc (mpc_trunc_safe.h). */

static mpc_cost mul_public_cost(const mpc_config *cfg, double k, uint64_t n)
{
    return public_is_int(k) ? mpc_cost_zero() : mpc_mul_const_cost(cfg, n);
}

/* Beaver mul of n elements, truncated (trunc = 1) or not (a scale-1 operand). */
static mpc_cost mul_cost(const mpc_config *cfg, uint64_t n, int trunc)
{
    return mpc_mul_trunc_cost(cfg, 1, n, MPC_BC_NONE, trunc);
}

/* ---- exp (2.13) ---- */

static void mpc_exp_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    int d = c->cfg->exp_iters;
    mpc_audit_domain(c, x, n, -511.0, 20.0); /* 4.1; above 20 the squarings leave the product range */
    /* 1. t = x / 2^d: division by a public integer (2.3; local or safe per cfg->trunc). */
    mpc_div_int(c, out, x, (int64_t)1 << d, n);
    /* 2. t = 1 + t (P0 adds). */
    mpc_add_const(c, out, out, enc(c, 1.0), n);
    /* 3. d squarings in sequence: t^(2^d). */
    for (int i = 0; i < d; i++) mpc_square(c, out, out, n);
}

void mpc_exp(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_EXP);
    mpc_exp_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_EXP);
}

mpc_cost mpc_exp_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost c = mpc_div_int_cost(cfg, (int64_t)1 << cfg->exp_iters, n);
    mpc_cost_add(&c, mpc_cost_times(mpc_square_trunc_cost(cfg, n), (uint64_t)cfg->exp_iters));
    return c;
}

/* ---- reciprocal (2.14) ---- */

/* One Newton step for 1/x: y <- 2y - square(y) x (square, then Beaver mul). t is scratch. */
static void recip_step(mpc_ctx *c, uint64_t *y, const uint64_t *x, uint64_t *t, size_t n)
{
    mpc_square(c, t, y, n);
    mpc_mul_n(c, t, t, x, n, 1);
    mpc_mul_int(c, y, y, 2, n);
    mpc_sub(c, y, y, t, n);
}

static mpc_cost recip_step_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost c = mpc_square_trunc_cost(cfg, n);
    mpc_cost_add(&c, mul_cost(cfg, n, 1));
    return c;
}

static void mpc_reciprocal_pos_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    const mpc_config *cfg = c->cfg;
    uint64_t *y = mpc_tmp(c, n), *t = mpc_tmp(c, n);
    mpc_audit_domain(c, x, n, ldexp(1, -cfg->frac_bits), 254.0); /* 4.2: diverges outside */
    /* 1. Initial guess y = 3 exp(1 - 2x) + 0.003; only the exp communicates. */
    mpc_mul_int(c, t, x, 2, n);
    mpc_rsub_const(c, t, enc(c, 1.0), t, n);
    mpc_exp(c, y, t, n);
    mul_public(c, y, y, cfg->recip_init_mul, n);
    mpc_add_const(c, y, y, enc(c, cfg->recip_init_add), n);
    /* 2. Newton-Raphson iterations in sequence: y <- y (2 - x y). */
    for (int i = 0; i < cfg->recip_nr_iters; i++) recip_step(c, y, x, t, n);
    copy(c, out, y, n);
    mpc_tmp_free(y);
    mpc_tmp_free(t);
}

void mpc_reciprocal_pos(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_RECIP_POS);
    mpc_reciprocal_pos_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_RECIP_POS);
}

mpc_cost mpc_reciprocal_pos_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost c = mpc_exp_cost(cfg, n);
    mpc_cost_add(&c, mul_public_cost(cfg, cfg->recip_init_mul, n));
    mpc_cost_add(&c, mpc_cost_times(recip_step_cost(cfg, n), (uint64_t)cfg->recip_nr_iters));
    return c;
}

static void mpc_reciprocal_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    uint64_t *sgn = mpc_tmp(c, n), *p = mpc_tmp(c, n);
    /* 1. sgn = 1 - 2 ltz(x), scale 1. */
    mpc_sign(c, sgn, x, n);
    /* 2. p = sgn x = |x| (Beaver mul, no truncation: sgn has scale 1). */
    mpc_mul_n(c, p, sgn, x, n, 0);
    /* 3. r = all-positive reciprocal of p. */
    mpc_reciprocal_pos(c, p, p, n);
    /* 4. out = sgn r (Beaver mul, no truncation). */
    mpc_mul_n(c, out, sgn, p, n, 0);
    mpc_tmp_free(sgn);
    mpc_tmp_free(p);
}

void mpc_reciprocal(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_RECIP);
    mpc_reciprocal_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_RECIP);
}

mpc_cost mpc_reciprocal_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost c = mpc_ltz_cost(n);
    mpc_cost_add(&c, mul_cost(cfg, n, 0));
    mpc_cost_add(&c, mpc_reciprocal_pos_cost(cfg, n));
    mpc_cost_add(&c, mul_cost(cfg, n, 0));
    return c;
}

/* ---- range-normalised reciprocal (mpc_math.h) ---- */

/* Thresholds 2^(4j-2) (j = 1..RW_HI) above and 2^-(4j-2) (j = 1..RW_LO) below the centre window
 * [2^-2, 2^2): a bit per threshold, all from one ltz of RW_N n values. */
enum { RW_HI = 4, RW_LO = 3, RW_N = RW_HI + RW_LO };

static double rw_threshold(int j) { return j < RW_HI ? ldexp(1, 4 * (j + 1) - 2) : ldexp(1, -(4 * (j - RW_HI + 1) - 2)); }

/* m's change when threshold j's condition holds: x >= 2^(4j-2) divides m by 16, x < 2^-(4j-2)
 * multiplies it by 16 (the conditions are nested, so the changes add up). */
static double rw_step(int j)
{
    return j < RW_HI ? ldexp(1, -4 * (j + 1)) - ldexp(1, -4 * j)
                     : ldexp(1, 4 * (j - RW_HI + 1)) - ldexp(1, 4 * (j - RW_HI));
}

static void mpc_recip_norm_body_(mpc_ctx *c, uint64_t *m, uint64_t *r, const uint64_t *x, size_t n)
{
    const int f = c->cfg->frac_bits;
    uint64_t *b = mpc_tmp(c, RW_N * n), *t = mpc_tmp(c, n);
    mpc_audit_domain(c, x, n, ldexp(1, -f), ldexp(1, 18));
    /* 1. b_j = ltz(x - t_j) for the 7 thresholds, one ltz of 7n values (scale 1). */
    for (int j = 0; j < RW_N; j++) mpc_add_const(c, b ? b + (size_t)j * n : NULL, x, (uint64_t)0 - enc(c, rw_threshold(j)), n);
    mpc_ltz(c, b, b, RW_N * n);
    /* 2. m = 1 + sum_hi (1 - b_j) s_j + sum_lo b_j s_j: the public part 1 + sum_hi s_j = 2^-16 (P0),
     *    each bit times the public integer enc(s_j) (exact at f >= 16). Local. */
    double m0 = 1;
    for (int j = 0; j < RW_N; j++) {
        const uint64_t *bj = b ? b + (size_t)j * n : NULL;
        mpc_mul_int(c, j ? t : m, bj, (int64_t)enc(c, j < RW_HI ? -rw_step(j) : rw_step(j)), n);
        if (j) mpc_add(c, m, m, t, n);
        if (j < RW_HI) m0 += rw_step(j);
    }
    mpc_add_const(c, m, m, enc(c, m0), n);
    /* 3. y = x m in [2^-2, 2^2) (Beaver mul, truncated); r = reciprocal_pos(y). */
    mpc_mul_n(c, t, x, m, n, 1);
    mpc_reciprocal_pos(c, r, t, n);
    mpc_tmp_free(b), mpc_tmp_free(t);
}

void mpc_recip_norm(mpc_ctx *c, uint64_t *m, uint64_t *r, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_RECIP_WIDE);
    mpc_recip_norm_body_(c, m, r, x, n);
    net_tag_pop(c->net, MPC_TAG_RECIP_WIDE);
}

mpc_cost mpc_recip_norm_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost c = mpc_ltz_cost(RW_N * n);
    mpc_cost_add(&c, mul_cost(cfg, n, 1));
    mpc_cost_add(&c, mpc_reciprocal_pos_cost(cfg, n));
    return c;
}

static void mpc_reciprocal_wide_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    uint64_t *m = mpc_tmp(c, n), *r = mpc_tmp(c, n);
    mpc_recip_norm_body_(c, m, r, x, n);
    mpc_mul_n(c, out, m, r, n, 1);
    mpc_tmp_free(m), mpc_tmp_free(r);
}

void mpc_reciprocal_wide(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_RECIP_WIDE);
    mpc_reciprocal_wide_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_RECIP_WIDE);
}

mpc_cost mpc_reciprocal_wide_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost c = mpc_recip_norm_cost(cfg, n);
    mpc_cost_add(&c, mul_cost(cfg, n, 1));
    return c;
}

/* ---- inv_sqrt and sqrt (2.15) ---- */

static void mpc_inv_sqrt_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    uint64_t *y = mpc_tmp(c, n), *t = mpc_tmp(c, n);
    mpc_audit_domain(c, x, n, ldexp(1, -c->cfg->frac_bits), 200.0); /* 4.3: garbage outside */
    /* 1. Initial guess y = 2.2 exp(-(x/2 + 0.2)) + 0.2 - x/1024; only the exp communicates. */
    mpc_div_int(c, t, x, 2, n);
    mpc_add_const(c, t, t, enc(c, 0.2), n);
    mpc_neg(c, t, t, n);
    mpc_exp(c, y, t, n);
    mpc_mul_const(c, y, y, 2.2, n);
    mpc_add_const(c, y, y, enc(c, 0.2), n);
    mpc_div_int(c, t, x, 1024, n);
    mpc_sub(c, y, y, t, n);
    /* 2. Newton-Raphson iterations in sequence: y <- y (3 - x y^2) / 2. */
    for (int i = 0; i < c->cfg->sqrt_nr_iters; i++) {
        mpc_square(c, t, y, n);                    /* s = y^2 */
        mpc_mul_n(c, t, x, t, n, 1);               /* t = x s (Beaver mul) */
        mpc_rsub_const(c, t, enc(c, 3.0), t, n);   /* 3 - t */
        mpc_mul_n(c, y, y, t, n, 1);               /* y (3 - t) (Beaver mul) */
        mpc_div_int(c, y, y, 2, n);                /* / 2 (a truncation) */
    }
    copy(c, out, y, n);
    mpc_tmp_free(y);
    mpc_tmp_free(t);
}

void mpc_inv_sqrt(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_INV_SQRT);
    mpc_inv_sqrt_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_INV_SQRT);
}

mpc_cost mpc_inv_sqrt_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost step = mpc_square_trunc_cost(cfg, n);
    mpc_cost_add(&step, mul_cost(cfg, n, 1));
    mpc_cost_add(&step, mul_cost(cfg, n, 1));
    mpc_cost_add(&step, mpc_div_int_cost(cfg, 2, n));
    mpc_cost c = mpc_div_int_cost(cfg, 2, n);
    mpc_cost_add(&c, mpc_exp_cost(cfg, n));
    mpc_cost_add(&c, mpc_mul_const_cost(cfg, n));
    mpc_cost_add(&c, mpc_div_int_cost(cfg, 1024, n));
    mpc_cost_add(&c, mpc_cost_times(step, (uint64_t)cfg->sqrt_nr_iters));
    return c;
}

static void mpc_sqrt_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    uint64_t *r = mpc_tmp(c, n);
    /* 1. r = inv_sqrt(x). 2. sqrt(x) = x r (Beaver mul). */
    mpc_inv_sqrt(c, r, x, n);
    mpc_mul_n(c, out, x, r, n, 1);
    mpc_tmp_free(r);
}

void mpc_sqrt(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_SQRT);
    mpc_sqrt_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_SQRT);
}

mpc_cost mpc_sqrt_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost c = mpc_inv_sqrt_cost(cfg, n);
    mpc_cost_add(&c, mul_cost(cfg, n, 1));
    return c;
}

/* ---- sigmoid and tanh (2.16) ---- */

static void mpc_sigmoid_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    const mpc_config *cfg = c->cfg;
    int k = cfg->sigmoid_recip_iters;
    double y0 = cfg->sigmoid_recip_init;
    CHECK(k >= 1, "sigmoid needs >= 1 reciprocal iteration, got %d", k);
    uint64_t *l = mpc_tmp(c, n), *den = mpc_tmp(c, n), *r = mpc_tmp(c, n), *t = mpc_tmp(c, n);
    /* 1. l = ltz(x), sgn = 1 - 2l (scale 1), a = x sgn = |x| (Beaver mul, no truncation). */
    mpc_ltz(c, l, x, n);
    mpc_mul_int(c, t, l, -2, n);
    mpc_add_const(c, t, t, 1, n);
    mpc_mul_n(c, den, x, t, n, 0);
    /* 2. den = exp(-a) + 1. */
    mpc_neg(c, den, den, n);
    mpc_exp(c, den, den, n);
    mpc_add_const(c, den, den, enc(c, 1.0), n);
    /* 3. r = 1/den, all-positive Newton from the public y0: the first step 2 y0 - y0^2 den is
     *    a public-real product (no exchange of its own), the remaining k - 1 are private. */
    mpc_mul_const(c, r, den, y0 * y0, n);
    mpc_rsub_const(c, r, enc(c, 2 * y0), r, n);
    for (int i = 1; i < k; i++) recip_step(c, r, den, t, n);
    /* 4. sigmoid = where(1 - l, r, 1 - r): two Beaver muls. */
    mpc_rsub_const(c, l, 1, l, n);
    mpc_rsub_const(c, t, enc(c, 1.0), r, n);
    mpc_where(c, out, l, r, t, n);
    mpc_tmp_free(l);
    mpc_tmp_free(den);
    mpc_tmp_free(r);
    mpc_tmp_free(t);
}

void mpc_sigmoid(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_SIGMOID);
    mpc_sigmoid_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_SIGMOID);
}

mpc_cost mpc_sigmoid_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost c = mpc_ltz_cost(n);
    mpc_cost_add(&c, mul_cost(cfg, n, 0));
    mpc_cost_add(&c, mpc_exp_cost(cfg, n));
    mpc_cost_add(&c, mpc_mul_const_cost(cfg, n));
    mpc_cost_add(&c, mpc_cost_times(recip_step_cost(cfg, n), (uint64_t)(cfg->sigmoid_recip_iters - 1)));
    mpc_cost_add(&c, mpc_where_cost(n));
    return c;
}

static void mpc_tanh_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    /* tanh(x) = 2 sigmoid(2x) - 1, local around the sigmoid. */
    uint64_t *t = mpc_tmp(c, n);
    mpc_mul_int(c, t, x, 2, n);
    mpc_sigmoid(c, out, t, n);
    mpc_mul_int(c, out, out, 2, n);
    mpc_add_const(c, out, out, enc(c, -1.0), n);
    mpc_tmp_free(t);
}

void mpc_tanh(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_TANH);
    mpc_tanh_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_TANH);
}

mpc_cost mpc_tanh_cost(const mpc_config *cfg, uint64_t n) { return mpc_sigmoid_cost(cfg, n); }

/* ---- powers, erf and GeLU (2.17) ---- */

static void mpc_pow_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n, int p)
{
    CHECK(p >= 1, "mpc_pow: exponent %d < 1", p);
    if (p == 1) {
        copy(c, out, x, n);
        return;
    }
    uint64_t *s = mpc_tmp(c, n);
    /* 1. s = square(x). */
    mpc_square(c, s, x, n);
    if (p % 2 == 0) {
        /* 2a. Even p: pow(s, p/2) (p = 2 stops here: pow(s, 1) = s). */
        mpc_pow(c, out, s, n, p / 2);
    } else {
        /* 2b. Odd p: pow(s, (p-1)/2) * x. CrypTen computes pow(s * x, (p-1)/2) = x^(3(p-1)/2)
         * instead, which is wrong for p >= 5 (4.4). */
        mpc_pow(c, s, s, n, (p - 1) / 2);
        mpc_mul_n(c, out, s, x, n, 1);
    }
    mpc_tmp_free(s);
}

void mpc_pow(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n, int p)
{
    net_tag_push(c->net, MPC_TAG_POW);
    mpc_pow_body_(c, out, x, n, p);
    net_tag_pop(c->net, MPC_TAG_POW);
}

mpc_cost mpc_pow_cost(const mpc_config *cfg, uint64_t n, int p)
{
    mpc_cost c = mpc_cost_zero();
    if (p <= 1) return c;
    c = mpc_square_trunc_cost(cfg, n);
    mpc_cost_add(&c, mpc_pow_cost(cfg, n, p / 2));
    if (p % 2) mpc_cost_add(&c, mul_cost(cfg, n, 1));
    return c;
}

/* Taylor coefficient of z^(2k+1) in erf(z)/(2/sqrt(pi)): (-1)^k / (k! (2k+1)). */
static double erf_coef(int k)
{
    double fact = 1;
    for (int i = 2; i <= k; i++) fact *= i;
    return (k % 2 ? -1.0 : 1.0) / (fact * (2 * k + 1));
}

static void mpc_erf_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    uint64_t *acc = mpc_tmp(c, n), *pw = mpc_tmp(c, n);
    /* 1. acc = z. */
    copy(c, acc, x, n);
    /* 2. For k = 1..K in sequence: pw = pow(z, 2k+1) from scratch, acc += coef_k pw (a public-real
     *    product, then a local add). */
    for (int k = 1; k <= c->cfg->erf_iters; k++) {
        mpc_pow(c, pw, x, n, 2 * k + 1);
        mpc_mul_const(c, pw, pw, erf_coef(k), n);
        mpc_add(c, acc, acc, pw, n);
    }
    /* 3. erf = (2/sqrt(pi)) acc (a public-real product). */
    mpc_mul_const(c, out, acc, MATH_2_SQRTPI, n);
    mpc_tmp_free(acc);
    mpc_tmp_free(pw);
}

void mpc_erf(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_ERF);
    mpc_erf_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_ERF);
}

mpc_cost mpc_erf_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost c = mpc_cost_zero();
    for (int k = 1; k <= cfg->erf_iters; k++) {
        mpc_cost_add(&c, mpc_pow_cost(cfg, n, 2 * k + 1));
        mpc_cost_add(&c, mpc_mul_const_cost(cfg, n));
    }
    mpc_cost_add(&c, mpc_mul_const_cost(cfg, n));
    return c;
}

static void mpc_gelu_erf_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    uint64_t *g = mpc_tmp(c, n);
    /* 1. z = x / sqrt(2) (a public-real product). 2. g = erf(z). */
    mpc_mul_const(c, g, x, MATH_SQRT1_2, n);
    mpc_erf(c, g, g, n);
    /* 3. 0.5 (x (1 + g)): P0 adds 1, one Beaver mul, a local halving. */
    mpc_add_const(c, g, g, enc(c, 1.0), n);
    mpc_mul_n(c, out, x, g, n, 1);
    mpc_mul_const(c, out, out, 0.5, n);
    mpc_tmp_free(g);
}

void mpc_gelu_erf(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_GELU_ERF);
    mpc_gelu_erf_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_GELU_ERF);
}

mpc_cost mpc_gelu_erf_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost c = mpc_mul_const_cost(cfg, n);
    mpc_cost_add(&c, mpc_erf_cost(cfg, n));
    mpc_cost_add(&c, mul_cost(cfg, n, 1));
    mpc_cost_add(&c, mpc_mul_const_cost(cfg, n));
    return c;
}

static void mpc_gelu_tanh_body_(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    uint64_t *u = mpc_tmp(c, n), *h = mpc_tmp(c, n);
    /* 1. x^3 = pow(x, 3): a square, then a Beaver mul. */
    mpc_pow(c, u, x, n, 3);
    /* 2. u = sqrt(2/pi) (x + 0.044715 x^3) (public-real products and an add). */
    mpc_mul_const(c, u, u, 0.044715, n);
    mpc_add(c, u, u, x, n);
    mpc_mul_const(c, u, u, MATH_SQRT_2_PI, n);
    /* 3. t = tanh(u). */
    mpc_tanh(c, u, u, n);
    /* 4. (0.5 x) (1 + t): local steps and one Beaver mul. */
    mpc_add_const(c, u, u, enc(c, 1.0), n);
    mpc_mul_const(c, h, x, 0.5, n);
    mpc_mul_n(c, out, h, u, n, 1);
    mpc_tmp_free(u);
    mpc_tmp_free(h);
}

void mpc_gelu_tanh(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_GELU_TANH);
    mpc_gelu_tanh_body_(c, out, x, n);
    net_tag_pop(c->net, MPC_TAG_GELU_TANH);
}

mpc_cost mpc_gelu_tanh_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost c = mpc_pow_cost(cfg, n, 3);
    mpc_cost_add(&c, mpc_cost_times(mpc_mul_const_cost(cfg, n), 2));
    mpc_cost_add(&c, mpc_tanh_cost(cfg, n));
    mpc_cost_add(&c, mpc_mul_const_cost(cfg, n));
    mpc_cost_add(&c, mul_cost(cfg, n, 1));
    return c;
}

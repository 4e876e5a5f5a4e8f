/* rt_ops_nn.c -- registry entries for protocols/crypten/mpc_nn.h: softmax, layer_norm, batchnorm, quad, 2quad,
 * 2relu. Per-feature parameters (gamma, beta, running mean, inverse std) are fixed public-formula values
 * that P0 secret-shares, so the reference can recompute them. */
#include <math.h>

#include "../common/fx.h"
#include "../protocols/crypten/mpc_nn.h"
#include "rt_ops.h"
#include "rt_refs.h"

static double ln_gamma(size_t j, size_t H) { (void)H; return 1.0 + 0.25 * sin((double)j); }
static double ln_beta(size_t j, size_t H) { (void)H; return 0.1 * cos((double)j); }
static double bn_mu(size_t j, size_t H) { (void)H; return 0.2 * sin(0.5 * (double)j); }
static double bn_inv(size_t j, size_t H) { (void)H; return 1.0 / sqrt(1.0 + 0.5 * cos(0.7 * (double)j)); }

/* P0 shares H values of a public formula (weights are P0's inputs). */
static uint64_t *share_param(mpc_ctx *c, double (*f)(size_t, size_t), size_t H)
{
    uint64_t *plain = mpc_tmp(c, H), *sh = mpc_tmp(c, H);
    if (!c->phantom && c->self == NET_P0)
        for (size_t j = 0; j < H; j++) plain[j] = fx_encode(f(j, H), c->cfg->frac_bits);
    mpc_share(c, sh, plain, H, NET_P0);
    mpc_tmp_free(plain);
    return sh;
}

/* ---- softmax ---- */
static void run_softmax(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    mpc_softmax(c, out, in[0], s->R, s->L);
}
static mpc_cost cost_softmax(const mpc_config *cfg, const rt_shape *s) { return mpc_softmax_cost(cfg, s->R, s->L); }

/* ---- layer_norm ---- */
static void run_layernorm(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    uint64_t *g = share_param(c, ln_gamma, s->L), *b = share_param(c, ln_beta, s->L);
    mpc_layernorm(c, out, in[0], g, b, s->R, s->L);
    mpc_tmp_free(g), mpc_tmp_free(b);
}
static void ref_layernorm(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    rt_ref_layernorm(cfg, out, in[0], s, ln_gamma, ln_beta);
}
static mpc_cost cost_layernorm(const mpc_config *cfg, const rt_shape *s) { return mpc_layernorm_cost(cfg, s->R, s->L); }

/* ---- batchnorm (per inference; the inverse std is model-setup output, shared by P0) ---- */
static void run_batchnorm(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    uint64_t *mu = share_param(c, bn_mu, s->L), *inv = share_param(c, bn_inv, s->L);
    uint64_t *g = share_param(c, ln_gamma, s->L), *b = share_param(c, ln_beta, s->L);
    mpc_batchnorm(c, out, in[0], mu, inv, g, b, s->R, s->L);
    mpc_tmp_free(mu), mpc_tmp_free(inv), mpc_tmp_free(g), mpc_tmp_free(b);
}
static void ref_batchnorm(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    for (size_t i = 0; i < s->n; i++) {
        size_t j = i % s->L;
        out[i] = (in[0][i] - bn_mu(j, s->L)) * bn_inv(j, s->L) * ln_gamma(j, s->L) + ln_beta(j, s->L);
    }
}
static mpc_cost cost_batchnorm(const mpc_config *cfg, const rt_shape *s) { return mpc_batchnorm_cost(cfg, s->R, s->L); }

/* ---- quad ---- */
static void run_quad(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s) { mpc_quad(c, out, in[0], s->n); }
static mpc_cost cost_quad(const mpc_config *cfg, const rt_shape *s) { return mpc_quad_cost(cfg, s->n); }

/* ---- 2quad ---- */
static void run_2quad(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s) { mpc_2quad(c, out, in[0], s->R, s->L); }
static mpc_cost cost_2quad(const mpc_config *cfg, const rt_shape *s) { return mpc_2quad_cost(cfg, s->R, s->L); }

/* ---- 2relu ---- */
static void run_2relu(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s) { mpc_2relu(c, out, in[0], s->R, s->L); }
static mpc_cost cost_2relu(const mpc_config *cfg, const rt_shape *s) { return mpc_2relu_cost(cfg, s->R, s->L); }

const rt_opdef rt_ops_nn[] = {
    {"softmax", "CrypTen softmax along the last dim (max, exp, reciprocal, mul), scores in [-6,6]", RT_SHAPE_ROWS, 1,
     -6, 6, run_softmax, rt_ref_softmax, cost_softmax, NULL, NULL},
    {"layer_norm", "LayerNorm along the last dim, secret gamma/beta from P0, x in [-4,4]", RT_SHAPE_ROWS, 1, -4, 4,
     run_layernorm, ref_layernorm, cost_layernorm, NULL, NULL},
    {"batchnorm", "MPCFormer's BatchNorm stand-in per inference (2 muls), x in [-4,4]", RT_SHAPE_ROWS, 1, -4, 4,
     run_batchnorm, ref_batchnorm, cost_batchnorm, NULL, NULL},
    {"quad", "MPCFormer Quad a x^2 + b x + c (GeLU stand-in), x in [-6,6]", RT_SHAPE_ELEM, 1, -6, 6, run_quad, rt_ref_quad,
     cost_quad, NULL, NULL},
    {"2quad", "MPCFormer 2Quad (x+c)^2 / row sum (softmax stand-in), scores in [-4,4]", RT_SHAPE_ROWS, 1, -4, 4,
     run_2quad, rt_ref_2quad, cost_2quad, NULL, NULL},
    {"2relu", "MPCFormer 2ReLU relu(x) / row sum (softmax stand-in), scores in [-4,4]", RT_SHAPE_ROWS, 1, -4, 4,
     run_2relu, rt_ref_2relu, cost_2relu, NULL, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL},
};

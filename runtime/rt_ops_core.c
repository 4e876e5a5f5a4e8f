/* rt_ops_core.c -- registry entries for the Beaver family: mul, matmul, square. */
#include "../protocols/mpc_beaver.h"
#include "../protocols/mpc_trunc_safe.h"
#include "rt_ops.h"
#include "rt_refs.h"

static void run_mul(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    mpc_mul_n(c, out, in[0], in[1], s->n, 1);
}
static void ref_mul(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    for (size_t i = 0; i < s->n; i++) out[i] = in[0][i] * in[1][i];
}
/* The Beaver family's closed forms plus their one truncation under cfg->trunc (zero when local). */
static mpc_cost with_trunc(mpc_cost c, const mpc_config *cfg, uint64_t n)
{
    mpc_cost_add(&c, mpc_trunc_cost(cfg, n));
    return c;
}
static mpc_cost cost_mul(const mpc_config *cfg, const rt_shape *s)
{
    return with_trunc(mpc_mul_cost(1, s->n, MPC_BC_NONE), cfg, s->n);
}

static void run_matmul(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    mpc_matmul(c, out, in[0], in[1], s->B, s->m, s->k, s->p, s->y_shared);
}
static mpc_cost cost_matmul(const mpc_config *cfg, const rt_shape *s)
{
    return with_trunc(mpc_matmul_cost(s->B, s->m, s->k, s->p, s->y_shared), cfg, s->B * s->m * s->p);
}

static void run_square(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    mpc_square(c, out, in[0], s->n);
}
static void ref_square(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    for (size_t i = 0; i < s->n; i++) out[i] = in[0][i] * in[0][i];
}
static mpc_cost cost_square(const mpc_config *cfg, const rt_shape *s) { return with_trunc(mpc_square_cost(s->n), cfg, s->n); }

static void run_trunc_safe(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    mpc_trunc_safe(c, out, in[0], 256, s->n);
}
static void ref_trunc_safe(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    for (size_t i = 0; i < s->n; i++) out[i] = in[0][i] / 256;
}
static mpc_cost cost_trunc_safe(const mpc_config *cfg, const rt_shape *s) { return mpc_trunc_safe_cost(s->n); }

const rt_opdef rt_ops_core[] = {
    {"mul", "elementwise Beaver product of two secret tensors, x,y in [-10,10]", RT_SHAPE_ELEM, 2, -10, 10,
     run_mul, ref_mul, cost_mul, NULL, NULL},
    {"matmul", "Beaver matrix product, both operands secret (SHAPE like 128x768@768x768), entries in [-1,1]",
     RT_SHAPE_MATMUL, 2, -1, 1, run_matmul, rt_ref_matmul, cost_matmul, NULL, NULL},
    {"square", "x^2 with a dealer square pair, x in [-10,10]", RT_SHAPE_ELEM, 1, -10, 10, run_square, ref_square,
     cost_square, NULL, NULL},
    {"trunc_safe", "x/256 by the dealer-assisted safe truncation (mpc_trunc_safe.h), x in [-1e6,1e6]", RT_SHAPE_ELEM, 1,
     -1e6, 1e6, run_trunc_safe, ref_trunc_safe, cost_trunc_safe, NULL, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL},
};

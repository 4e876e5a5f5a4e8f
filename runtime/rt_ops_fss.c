/* rt_ops_fss.c -- the `fss` family's ops for `mpcsim op` and `explain` (rt_ops.h): each runs the family
 * table's entry (protocols/fss/fss_family.h), its cost is the entry's cost twin, its reference a double
 * computation. Outputs are reduced mod 2^ring_bits (the harness sign-extends them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../protocols/fss/fss_family.h"
#include "rt_ops.h"
#include "rt_refs.h"

static const mpc_family *F(void) { return &mpc_family_fss; }

static void run_relu(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    F()->activation[MPC_ACT_RELU].run(c, out, in[0], s->n);
}
static mpc_cost cost_relu(const mpc_config *cfg, const rt_shape *s) { return F()->activation[MPC_ACT_RELU].cost(cfg, s->n); }

static void run_ltz(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    F()->ltz.run(c, out, in[0], s->n);
    /* scale 1 -> 2^f for the harness's decoding (local) */
    if (!c->phantom)
        for (size_t i = 0; i < s->n; i++) out[i] <<= c->cfg->frac_bits;
}
static mpc_cost cost_ltz(const mpc_config *cfg, const rt_shape *s) { return F()->ltz.cost(cfg, s->n); }

static void run_gelu(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    F()->activation[MPC_ACT_GELU_ERF].run(c, out, in[0], s->n);
}
static mpc_cost cost_gelu(const mpc_config *cfg, const rt_shape *s) { return F()->activation[MPC_ACT_GELU_ERF].cost(cfg, s->n); }

static void run_quad(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    F()->activation[MPC_ACT_QUAD].run(c, out, in[0], s->n);
}
static mpc_cost cost_quad(const mpc_config *cfg, const rt_shape *s) { return F()->activation[MPC_ACT_QUAD].cost(cfg, s->n); }

static void run_tanh(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    F()->activation[MPC_ACT_TANH].run(c, out, in[0], s->n);
}
static mpc_cost cost_tanh(const mpc_config *cfg, const rt_shape *s) { return F()->activation[MPC_ACT_TANH].cost(cfg, s->n); }

static void run_softmax(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    F()->attn_norm[MPC_ATTN_SOFTMAX].run(c, out, in[0], NULL, s->R, s->L);
}
static mpc_cost cost_softmax(const mpc_config *cfg, const rt_shape *s)
{
    return F()->attn_norm[MPC_ATTN_SOFTMAX].cost(cfg, s->R, s->L);
}

static void run_2quad(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    F()->attn_norm[MPC_ATTN_2QUAD].run(c, out, in[0], NULL, s->R, s->L);
}
static mpc_cost cost_2quad(const mpc_config *cfg, const rt_shape *s) { return F()->attn_norm[MPC_ATTN_2QUAD].cost(cfg, s->R, s->L); }

static void run_2relu(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    F()->attn_norm[MPC_ATTN_2RELU].run(c, out, in[0], NULL, s->R, s->L);
}
static mpc_cost cost_2relu(const mpc_config *cfg, const rt_shape *s) { return F()->attn_norm[MPC_ATTN_2RELU].cost(cfg, s->R, s->L); }

/* LayerNorm with P0's gamma = 1 + j/(4L), beta = j/(8L) (plaintext on P0, masked inputs of the gate). */
static double g_of(size_t j, size_t L) { return 1.0 + (double)j / (4.0 * (double)L); }
static double b_of(size_t j, size_t L) { return (double)j / (8.0 * (double)L); }
static void run_layernorm(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    float *g = malloc(s->L * sizeof *g), *b = malloc(s->L * sizeof *b);
    for (size_t j = 0; j < s->L; j++) g[j] = (float)g_of(j, s->L), b[j] = (float)b_of(j, s->L);
    mpc_norm_params p = {c->self == NET_P0 ? g : NULL, c->self == NET_P0 ? b : NULL, NULL, NULL, 0};
    F()->norm[MPC_NORM_LAYERNORM].run(c, out, in[0], &p, s->R, s->L);
    free(g), free(b);
}
static double g_p0(size_t j, size_t L) { return (double)(float)g_of(j, L); } /* as P0's float weights */
static double b_p0(size_t j, size_t L) { return (double)(float)b_of(j, L); }
static void ref_layernorm(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    rt_ref_layernorm(cfg, out, in[0], s, g_p0, b_p0);
}
static mpc_cost cost_layernorm(const mpc_config *cfg, const rt_shape *s)
{
    return F()->norm[MPC_NORM_LAYERNORM].cost(cfg, s->R, s->L);
}

/* Product of two secrets (masked matmul + TrFloor); a Y without batch is used by every batch. */
static void run_matmul(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    uint64_t *Y = in[1];
    if (s->y_shared && s->B > 1 && !c->phantom) {
        Y = malloc(s->B * s->k * s->p * sizeof *Y);
        for (size_t b = 0; b < s->B; b++) memcpy(Y + b * s->k * s->p, in[1], s->k * s->p * sizeof *Y);
    }
    F()->matmul(c, out, in[0], Y, s->B, s->m, s->k, s->p);
    if (Y != in[1]) free(Y);
}
static mpc_cost cost_matmul(const mpc_config *cfg, const rt_shape *s) { return F()->matmul_cost(cfg, s->B, s->m, s->k, s->p); }
static size_t out_matmul(const rt_shape *s) { return s->B * s->m * s->p; }

const rt_opdef rt_ops_fss[] = {
    {"relu", "SIGMA ReLU: DReLU (DPF comparison) then select, x in [-10,10]", RT_SHAPE_ELEM, 1, -10, 10, run_relu,
     rt_ref_relu, cost_relu, NULL, NULL},
    {"ltz", "1{x < 0}: DReLU then select with the public 1, x in [-10,10]", RT_SHAPE_ELEM, 1, -10, 10, run_ltz, rt_ref_ltz,
     cost_ltz, NULL, NULL},
    {"gelu", "SIGMA GeLU: ReLU minus an 8-bit LUT of ReLU - GeLU on clipped |x|, x in [-6,6]", RT_SHAPE_ELEM, 1, -6, 6,
     run_gelu, rt_ref_gelu_erf, cost_gelu, NULL, NULL},
    {"quad", "MPCFormer Quad 0.125 x^2 + 0.5 x + 0.25 (local square, TrFloor), x in [-6,6]", RT_SHAPE_ELEM, 1, -6, 6,
     run_quad, rt_ref_quad, cost_quad, NULL, NULL},
    {"tanh", "tanh(x) = 2 softmax([x, -x])_0 - 1 (the pooler), x in [-4,4]", RT_SHAPE_ELEM, 1, -4, 4, run_tanh, rt_ref_tanh,
     cost_tanh, NULL, NULL},
    {"softmax", "SIGMA softmax along the last dim (max tree, nExp LUTs, inverse LUT, mul), scores in [-6,6]",
     RT_SHAPE_ROWS, 1, -6, 6, run_softmax, rt_ref_softmax, cost_softmax, NULL, NULL},
    {"2quad", "MPCFormer 2Quad (x+c)^2 / row sum (reciprocal LUT), scores in [-4,4]", RT_SHAPE_ROWS, 1, -4, 4, run_2quad,
     rt_ref_2quad, cost_2quad, NULL, NULL},
    {"2relu", "MPCFormer 2ReLU relu(x) / row sum (reciprocal LUT), scores in [-4,4]", RT_SHAPE_ROWS, 1, -4, 4, run_2relu,
     rt_ref_2relu, cost_2relu, NULL, NULL},
    {"layer_norm", "SIGMA LayerNorm along the last dim (rsqrt LUT), P0's gamma/beta as masked inputs, x in [-4,4]",
     RT_SHAPE_ROWS, 1, -4, 4, run_layernorm, ref_layernorm, cost_layernorm, NULL, NULL},
    {"matmul", "masked matmul of two secrets then TrFloor (SHAPE like 128x768@768x768), entries in [-1,1]",
     RT_SHAPE_MATMUL, 2, -1, 1, run_matmul, rt_ref_matmul, cost_matmul, out_matmul, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL},
};

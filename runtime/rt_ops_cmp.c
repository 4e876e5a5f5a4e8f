/* rt_ops_cmp.c -- registry entries for the ops of protocols/crypten/mpc_cmp.h: relu, ltz, eq, max.
 * ltz and eq produce scale-1 integers; the runner decodes at scale 2^f, so run() lifts them locally
 * (mpc_lift: free) and they read 0.0 / 1.0. References compare the values as encoded, so the 0/1
 * results are exact; relu and max return encoded inputs, within 1 ulp of the double reference. */
#include <math.h>

#include "../common/fx.h"
#include "../protocols/crypten/mpc_cmp.h"
#include "rt_ops.h"
#include "rt_refs.h"

/* The value the protocol sees: x as encoded at f fractional bits. */
static double as_encoded(const mpc_config *cfg, double x) { return fx_decode(fx_encode(x, cfg->frac_bits), cfg->frac_bits); }

static void run_relu(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    mpc_relu(c, out, in[0], s->n);
}
static mpc_cost cost_relu(const mpc_config *cfg, const rt_shape *s) { return mpc_relu_cost(s->n); }

static void run_ltz(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    mpc_ltz(c, out, in[0], s->n);
    mpc_lift(c, out, out, s->n);
}
static mpc_cost cost_ltz(const mpc_config *cfg, const rt_shape *s) { return mpc_ltz_cost(s->n); }

static void run_eq(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    mpc_eq(c, out, in[0], in[1], s->n);
    mpc_lift(c, out, out, s->n);
}
static void ref_eq(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    for (size_t i = 0; i < s->n; i++) out[i] = as_encoded(cfg, in[0][i]) == as_encoded(cfg, in[1][i]);
}
static mpc_cost cost_eq(const mpc_config *cfg, const rt_shape *s) { return mpc_eq_cost(s->n); }
/* y := x wherever the uniform y is negative: about half the elements are equal. */
static void prepare_eq(double *in0, double *in1, const rt_shape *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (in1[i] < 0) in1[i] = in0[i];
}

static void run_max(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s)
{
    mpc_max(c, out, NULL, in[0], s->R, s->L);
}
static void ref_max(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    for (size_t r = 0; r < s->R; r++) {
        double m = -INFINITY;
        for (size_t j = 0; j < s->L; j++) m = fmax(m, in[0][r * s->L + j]);
        out[r] = m;
    }
}
static mpc_cost cost_max(const mpc_config *cfg, const rt_shape *s) { return mpc_max_cost(cfg, s->R, s->L); }
static size_t out_rows(const rt_shape *s) { return s->R; }

const rt_opdef rt_ops_cmp[] = {
    {"relu", "x * (1 - ltz(x)): ltz then a scale-1 Beaver mul, x in [-10,10]", RT_SHAPE_ELEM, 1, -10, 10, run_relu,
     rt_ref_relu, cost_relu, NULL, NULL},
    {"ltz", "1 where x < 0 (A2B adder, sign bit, B2A), read as 0.0/1.0, x in [-10,10]", RT_SHAPE_ELEM, 1, -10, 10,
     run_ltz, rt_ref_ltz, cost_ltz, NULL, NULL},
    {"eq", "1 where x == y (2PC eq), read as 0.0/1.0, x,y in [-10,10] with y = x on about half", RT_SHAPE_ELEM, 2,
     -10, 10, run_eq, ref_eq, cost_eq, NULL, prepare_eq},
    {"max", "max along the last dim (log reduction, pairwise, argmax per --max-method), x in [-10,10]",
     RT_SHAPE_ROWS, 1, -10, 10, run_max, ref_max, cost_max, out_rows, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL},
};

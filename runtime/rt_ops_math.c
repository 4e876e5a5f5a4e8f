/* rt_ops_math.c -- registry entries for the ops of protocols/crypten/mpc_math.h. Each summary names the input
 * domain on which the op is accurate (PROTOCOLS.md 4.1-4.4); references are libm in double. */
#include <math.h>

#include "../protocols/crypten/mpc_math.h"
#include "rt_ops.h"
#include "rt_refs.h"

/* run_NAME and cost_NAME for an elementwise op mpc_NAME(c, out, x, n) with mpc_NAME_cost(cfg, n). */
#define ELEM_OP(name)                                                                          \
    static void run_##name(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s) \
    {                                                                                          \
        mpc_##name(c, out, in[0], s->n);                                                       \
    }                                                                                          \
    static mpc_cost cost_##name(const mpc_config *cfg, const rt_shape *s) { return mpc_##name##_cost(cfg, s->n); }

/* ref_NAME applying the double expression EXPR of x elementwise. */
#define ELEM_REF(name, expr)                                                                          \
    static void ref_##name(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s) \
    {                                                                                                 \
        for (size_t i = 0; i < s->n; i++) {                                                           \
            double x = in[0][i];                                                                      \
            out[i] = (expr);                                                                          \
        }                                                                                             \
    }

ELEM_OP(exp)
ELEM_REF(exp, exp(x))
ELEM_OP(reciprocal_pos)
ELEM_REF(reciprocal_pos, 1.0 / x)
ELEM_OP(inv_sqrt)
ELEM_REF(inv_sqrt, 1.0 / sqrt(x))
ELEM_OP(sqrt)
ELEM_REF(sqrt, sqrt(x))
ELEM_OP(erf)
ELEM_REF(erf, erf(x))
ELEM_OP(gelu_erf)
ELEM_OP(reciprocal)
ELEM_REF(reciprocal, 1.0 / x)
ELEM_OP(reciprocal_wide)
ELEM_REF(reciprocal_wide, 1.0 / x)
ELEM_OP(sigmoid)
ELEM_REF(sigmoid, 1.0 / (1.0 + exp(-x)))
ELEM_OP(tanh)
ELEM_OP(gelu_tanh)
ELEM_REF(gelu_tanh, 0.5 * x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x))))

/* reciprocal: uniform magnitudes in [0.05, 20], every other element negated. */
static void prepare_signed(double *in0, double *in1, const rt_shape *s)
{
    for (size_t i = 1; i < s->n; i += 2) in0[i] = -in0[i];
}

/* reciprocal_wide: the uniform draw u in [-12, 18] becomes x = 2^u (log-uniform over the domain). */
static void prepare_log2(double *in0, double *in1, const rt_shape *s)
{
    (void)in1;
    for (size_t i = 0; i < s->n; i++) in0[i] = exp2(in0[i]);
}

const rt_opdef rt_ops_math[] = {
    {"exp", "exp(x) as (1 + x/256)^256 (8 squarings), x in [-8,4]; relative error ~x^2/512 (-5% at -5), "
     "explodes for x <= -512 (never feed additive masks)", RT_SHAPE_ELEM, 1, -8, 4, run_exp, ref_exp, cost_exp, NULL, NULL},
    {"reciprocal_pos", "1/x for x > 0: guess 3 exp(1-2x) + 0.003, 10 Newton steps, x in [0.05,20] (< 0.7% "
     "error; grows like x^2 2^-f, diverges above ~254: rescale)", RT_SHAPE_ELEM, 1, 0.05, 20, run_reciprocal_pos,
     ref_reciprocal_pos, cost_reciprocal_pos, NULL, NULL},
    {"inv_sqrt", "1/sqrt(x): guess 2.2 exp(-(x/2+0.2)) + 0.2 - x/1024, 3 Newton steps, x in [0.1,150] "
     "(outside: rescale by 4^k)", RT_SHAPE_ELEM, 1, 0.1, 150, run_inv_sqrt, ref_inv_sqrt, cost_inv_sqrt, NULL, NULL},
    {"sqrt", "sqrt(x) = x inv_sqrt(x), x in [0.1,150]", RT_SHAPE_ELEM, 1, 0.1, 150, run_sqrt, ref_sqrt, cost_sqrt,
     NULL, NULL},
    {"erf", "erf(z), 8-term Taylor series with each power from scratch (correct odd powers), z in [-1.5,1.5] "
     "(error <= 0.006; wrong beyond: erf(2) ~ 1.35, erf(2.5) ~ 9.3)", RT_SHAPE_ELEM, 1, -1.5, 1.5, run_erf, ref_erf, cost_erf, NULL,
     NULL},
    {"gelu_erf", "exact GeLU 0.5 x (1 + erf(x/sqrt 2)) with the Taylor erf, x in [-2,2] (erf's domain)",
     RT_SHAPE_ELEM, 1, -2, 2, run_gelu_erf, rt_ref_gelu_erf, cost_gelu_erf, NULL, NULL},
    {"reciprocal", "1/x, CrypTen's default sign variant: sign(x) / reciprocal_pos(|x|), |x| in [0.05,20] "
     "(half the inputs negated)", RT_SHAPE_ELEM, 1, 0.05, 20, run_reciprocal, ref_reciprocal, cost_reciprocal, NULL,
     prepare_signed},
    {"reciprocal_wide", "1/x for x > 0, range-normalised: 7 threshold bits (one ltz) pick m = 16^k, then "
     "m reciprocal_pos(x m); x = 2^u for u uniform in [-12,18] (accurate for x in [2^-16, 2^18])", RT_SHAPE_ELEM, 1,
     -12, 18, run_reciprocal_wide, ref_reciprocal_wide, cost_reciprocal_wide, NULL, prepare_log2},
    {"sigmoid", "sigmoid, CrypTen's reciprocal method: 1/(1 + exp(-|x|)) with 3 Newton steps from 0.75, "
     "then where(); x in [-8,8] (error <= 0.003, largest near 0)", RT_SHAPE_ELEM, 1, -8, 8, run_sigmoid, ref_sigmoid,
     cost_sigmoid, NULL, NULL},
    {"tanh", "tanh(x) = 2 sigmoid(2x) - 1, x in [-8,8]", RT_SHAPE_ELEM, 1, -8, 8, run_tanh, rt_ref_tanh, cost_tanh, NULL,
     NULL},
    {"gelu_tanh", "GeLU, tanh form 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), x in [-6,6]", RT_SHAPE_ELEM, 1,
     -6, 6, run_gelu_tanh, ref_gelu_tanh, cost_gelu_tanh, NULL, NULL},
    {NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL},
};

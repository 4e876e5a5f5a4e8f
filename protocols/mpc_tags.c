/* mpc_tags.c -- names and one-line formulas of the protocol steps (PROTOCOLS.md sections). */
#include "mpc_tags.h"

static const struct { const char *name, *formula; } tags[MPC_TAG_END - MPC_TAG_FIRST] = {
    {"open", "x = [x]0 + [x]1: each party sends its share (2.1)"},
    {"open_bin", "x = <x>0 ^ <x>1: each party sends its share"},
    {"reveal", "one party sends its share to the other (2.1)"},
    {"mul", "Beaver: open e = x-a, d = y-b together; z = c + e b + a d (+ e d at P0), truncate (2.4)"},
    {"matmul", "Beaver with a matrix triple: open E = X-A, D = Y-B; Z = C + E B + A D (+ E D), truncate (2.5)"},
    {"square", "square pair: open e = x-r; x^2 = r^2 + 2 e r (+ e^2), truncate (2.6)"},
    {"and", "binary triple: open e = x^a, d = y^b; z = c ^ (e&b) ^ (a&d) (^ e&d) (2.7)"},
    {"a2b", "XOR-share both shares, carry tree: 1 AND on n words + 6 levels of 1 AND on 2n words (2.8)"},
    {"b2a", "B2A bit pair: open z = x ^ r; [x] = [r](1-2z) + z (2.9)"},
    {"b2a_bits", "k bits stacked into one single-bit B2A, then sum 2^i b_i (2.9)"},
    {"ltz", "A2B, keep bit 63, B2A: 1 where x < 0 (2.10)"},
    {"eq", "XOR-share d0 and -d1, E = ~(a^b), six ANDs E &= E << s, bit 63, B2A (2.11)"},
    {"relu", "x (1 - ltz(x)): ltz, then a Beaver mul with a 0/1 operand (2.12)"},
    {"where", "x c + y (1-c): two Beaver muls, one after the other (2.12)"},
    {"max", "tree of ge + where over floor(ln L) levels, pairwise stage, argmax (2.18)"},
    {"weighted_index", "random tie break: cumsum, r = rand W (k-bit B2A, mul), gt, difference (2.18)"},
    {"exp", "(1 + x/2^d)^(2^d): local division, then d squarings (2.13)"},
    {"reciprocal_pos", "guess 3 exp(1-2x) + 0.003, then Newton y <- 2y - x y^2 (2.14)"},
    {"reciprocal", "sign = 1 - 2 ltz(x); sign x; reciprocal_pos; times sign (2.14)"},
    {"inv_sqrt", "guess 2.2 exp(-(x/2 + 0.2)) + 0.2 - x/1024, then Newton y <- y (3 - x y^2)/2 (2.15)"},
    {"sqrt", "x inv_sqrt(x) (2.15)"},
    {"sigmoid", "ltz, |x|, 1/(1 + exp(-|x|)) by 3 Newton steps from 0.75, where (2.16)"},
    {"tanh", "2 sigmoid(2x) - 1 (2.16)"},
    {"pow", "x^p by squaring, correct for odd p (2.17)"},
    {"erf", "(2/sqrt(pi)) sum of 8 Taylor terms, each power from scratch (2.17)"},
    {"gelu_erf", "0.5 x (1 + erf(x/sqrt 2)) (2.17)"},
    {"gelu_tanh", "0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))) (2.17)"},
    {"softmax", "max, exp(x - max), row sums, reciprocal of sum/K, broadcast mul, /K (2.19)"},
    {"layer_norm", "mean, centre, variance by square, inv_sqrt, two broadcast muls (2.20)"},
    {"batchnorm_setup", "inv = inv_sqrt(var + eps), once per model (2.21)"},
    {"batchnorm", "((x - mu) inv) gamma + beta: two broadcast muls (2.21)"},
    {"quad", "(a x) x + b x + c: one general Beaver mul (3.1)"},
    {"2quad", "(x + c)^2 by a Beaver mul, row sums, reciprocal of sum/K, broadcast mul (3.2)"},
    {"2relu", "relu, row sums, reciprocal of sum/K, broadcast mul (3.3)"},
    {"fss_relu", "SIGMA: DReLU by one DPF comparison (1 bit opened), select (fss_gate.h)"},
    {"fss_gelu", "SIGMA: TrWithSlack to 6 frac bits, DReLU+clip test from one DPF, clip mux, 8-bit LUT, ReLU - LUT"},
    {"fss_quad", "local square of x + 2 (key: 2 elements), TrFloor by f + 3, minus 1/4"},
    {"fss_ltz", "1 - DReLU: DPF comparison, select with the public 1"},
    {"fss_trunc", "TrFloor: TrReduce (DPF on s bits) then SignExtend (DPF on n - s bits)"},
    {"fss_softmax", "max by a DReLU/select tree, nExp (two 8-bit LUTs, mul), inverse LUT of the row sum, mul"},
    {"fss_2quad_2relu", "(x + c)^2 (local square, TrFloor) or ReLU, row sum, reciprocal LUT, mul"},
    {"fss_layernorm", "mean (TrFloor), variance (local square), rsqrt LUT, two muls with P0's gamma, beta"},
    {"fss_matmul", "masked matmul (keys: shares of R_X, R_Y, R_X R_Y + R_Z), open Z + R_Z, TrFloor by f"},
    {"fss_batchnorm", "x a + b: P0's a masked, broadcast multiply, TrFloor; P0 adds b"},
    {"open_masked", "each party draws its share of the mask r_in (dealer stream), opens x + r_in, bit-packed"},
    {"eval_keys", "the dealer's DPF/LUT keys evaluated on the opened x^; the gate's inner openings"},
    {"output", "local: the share of y + r_out, minus r_out at P0 (from its key)"},
    {"trunc_safe", "dealer pair r, floor(r/d), r>>63: open c = x + 2^62 + r; floor(c/d) - q + wrap M - 2^62/d"},
    {"reciprocal_wide", "7 threshold bits by one ltz, m = 16^k from them, y = x m in [1/4, 4), m reciprocal_pos(y)"},
};

const char *mpc_tag_name(int tag)
{
    return tag >= MPC_TAG_FIRST && tag < MPC_TAG_END ? tags[tag - MPC_TAG_FIRST].name : 0;
}

const char *mpc_tag_formula(int tag)
{
    return tag >= MPC_TAG_FIRST && tag < MPC_TAG_END ? tags[tag - MPC_TAG_FIRST].formula : 0;
}

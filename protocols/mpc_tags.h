/* mpc_tags.h -- operator tags of the protocol layer (64 and up; 1-63 belong to the model layer).
 * Every public op pushes its tag while it runs, so counters and timelines can be read per step of an
 * algorithm (`mpcsim explain`). mpc_tag_name / mpc_tag_formula describe each step. */
#ifndef MPC_TAGS_H
#define MPC_TAGS_H

enum {
    MPC_TAG_FIRST = 64,
    MPC_TAG_OPEN = 64, MPC_TAG_OPEN_BIN, MPC_TAG_REVEAL, MPC_TAG_MUL, MPC_TAG_MATMUL, MPC_TAG_SQUARE, MPC_TAG_AND,
    MPC_TAG_A2B, MPC_TAG_B2A, MPC_TAG_B2A_BITS, MPC_TAG_LTZ, MPC_TAG_EQ, MPC_TAG_RELU, MPC_TAG_WHERE, MPC_TAG_MAX,
    MPC_TAG_WINDEX, MPC_TAG_EXP, MPC_TAG_RECIP_POS, MPC_TAG_RECIP, MPC_TAG_INV_SQRT, MPC_TAG_SQRT, MPC_TAG_SIGMOID,
    MPC_TAG_TANH, MPC_TAG_POW, MPC_TAG_ERF, MPC_TAG_GELU_ERF, MPC_TAG_GELU_TANH, MPC_TAG_SOFTMAX, MPC_TAG_LAYERNORM,
    MPC_TAG_BN_SETUP, MPC_TAG_BATCHNORM, MPC_TAG_QUAD, MPC_TAG_2QUAD, MPC_TAG_2RELU,
    /* the fss family (protocols/fss/fss_family.h): one tag per gate kind, then a gate's three steps */
    MPC_TAG_FSS_RELU, MPC_TAG_FSS_GELU, MPC_TAG_FSS_QUAD, MPC_TAG_FSS_LTZ, MPC_TAG_FSS_TRUNC, MPC_TAG_FSS_SOFTMAX,
    MPC_TAG_FSS_ATTN, MPC_TAG_FSS_LN, MPC_TAG_FSS_MATMUL, MPC_TAG_FSS_BN, MPC_TAG_FSS_OPEN, MPC_TAG_FSS_EVAL, MPC_TAG_FSS_OUT,
    MPC_TAG_TRUNC_SAFE, /* mpc_trunc_safe.h */
    MPC_TAG_RECIP_WIDE, /* mpc_math.h: the range-normalised reciprocal */
    MPC_TAG_END
};

const char *mpc_tag_name(int tag);    /* NULL if not a protocol tag */
const char *mpc_tag_formula(int tag); /* one line: what the step computes and how */

#endif

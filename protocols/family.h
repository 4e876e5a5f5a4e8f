/* family.h -- the protocol-family seam: one table of the layers a secure Transformer is made of, each
 * with its cost twin, registered by name (`--protocol NAME`: families.h), like the network profiles (nm.h).
 *
 * A family lives in its own folder (protocols/crypten/, ...) and exports one `const mpc_family`.
 * The secure encoder (models/sbert.c) keeps only the layer graph and calls these entries; it never
 * knows how a linear layer, an embedding or a non-linearity is done. What stays outside the table is
 * common to every additive 2-party family: local ops on shares (mpc_add, the head split/merge
 * permutations) and the model-setup configuration (calibrated rescale constants in mpc_config).
 *
 * Conventions for every entry (as mpc.h): both parties call it in the same order with the same public
 * sizes; outputs are this party's additive shares (Z_2^64 words; a family on a smaller ring keeps its
 * values reduced as it documents); scale 2^f in and out; buffers are NULL-able in phantom mode.
 * Plaintext inputs (weights, tokens) are read only on their owner (P0: weights, P1: tokens) and NULL
 * elsewhere and in phantom mode. Every cost twin takes the configuration (mpc_config: the family's
 * parameters, fractional bits, iteration counts, ring width, ...) and returns exactly what the run
 * measures (mpc_cost.h; dealer bytes per direction via mpc_cost_dealer_to).
 *
 * A per-kind entry (activation, attention normalisation, norm) whose `run` is NULL is an op the family
 * lacks: mpc_family_check names it, and the commands refuse such a model before running anything.
 *
 * Adding a family NAME: (1) protocols/NAME/ with its ops and one `const mpc_family mpc_family_NAME`
 * (config_default sets cfg->protocol = NAME and the family's published parameters: ring_bits,
 * frac_bits, ...; config_check refuses what it cannot run, e.g. a ring too small for the fixed point);
 * (2) one line in families.c's mpc_families[] (the registry, families.h, which only the layers above
 * the families include: family.h is below every family); (3) its dealer material as dealer_kind_def rows (ids from
 * DEALER_KIND_FAMILY0, `to` = DEALER_TO_P0 | DEALER_TO_P1 for keys both parties receive, sizes in bytes)
 * in mpc_family.dealer_kinds: a gate draws its mask share with dealer_draw, calls dealer_request, opens
 * its masked value (mpc_exchange_bytes of mpc_pack_bits'd values), then dealer_collect and evaluates;
 * its cost is mpc_cost_exchange_bytes plus dealer_key_bytes[0/1] and one dealer_req; (4) for `mpcsim
 * op`/`explain`, its op tables in runtime/rt_ops.c's op_families[]. CMake builds protocols/NAME/. */
#ifndef FAMILY_H
#define FAMILY_H

#include <stdio.h>

#include "dealer.h"
#include "mpc.h"
#include "mpc_cost.h"

/* Activations (the model's FFN activation, and the pooler's tanh). */
typedef enum mpc_act {
    MPC_ACT_GELU_ERF = 0, MPC_ACT_GELU_TANH = 1, MPC_ACT_RELU = 2, MPC_ACT_QUAD = 3, MPC_ACT_TANH = 4,
    MPC_ACT_N
} mpc_act;
/* Attention normalisations along keys (with a public key mask). */
typedef enum mpc_attn { MPC_ATTN_SOFTMAX = 0, MPC_ATTN_2RELU = 1, MPC_ATTN_2QUAD = 2, MPC_ATTN_N } mpc_attn;
/* Norms. */
typedef enum mpc_norm { MPC_NORM_LAYERNORM = 0, MPC_NORM_BATCHNORM = 1, MPC_NORM_N } mpc_norm;

extern const char *const mpc_act_names[MPC_ACT_N];   /* "gelu-erf", ..., "tanh" */
extern const char *const mpc_attn_names[MPC_ATTN_N]; /* "softmax", "2relu", "2quad" */
extern const char *const mpc_norm_names[MPC_NORM_N]; /* "layernorm", "batchnorm" */

/* P0's plaintext parameters of one norm site (C values each; NULL on P1 and in phantom mode).
 * LayerNorm reads gamma, beta (its epsilon is mpc_config.ln_eps); BatchNorm reads all four and eps. */
typedef struct mpc_norm_params {
    const float *gamma, *beta, *mean, *var;
    double eps; /* BatchNorm: the model's epsilon of the running variance */
} mpc_norm_params;

typedef struct mpc_unary_op {
    void (*run)(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n);
    mpc_cost (*cost)(const mpc_config *cfg, uint64_t n);
} mpc_unary_op;

typedef struct mpc_attn_op {
    /* Along rows of R x L; keymask: public, L entries, 0 = padded key; NULL = none. */
    void (*run)(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint8_t *keymask, size_t R, size_t L);
    mpc_cost (*cost)(const mpc_config *cfg, uint64_t R, uint64_t L);
} mpc_attn_op;

typedef struct mpc_norm_op {
    /* Over rows of R x H (out may alias x). */
    void (*run)(mpc_ctx *c, uint64_t *out, const uint64_t *x, const mpc_norm_params *p, size_t R, size_t H);
    mpc_cost (*cost)(const mpc_config *cfg, uint64_t R, uint64_t H);
    /* One-time model setup per site (CrypTen's BatchNorm inverse std), apart from the inference's
     * cost; NULL = none. */
    mpc_cost (*setup_cost)(const mpc_config *cfg, uint64_t H);
    /* LayerNorm: the smallest epsilon the op represents for rows of H (NULL: 2^-f, eps added as a
     * fixed-point constant at f bits, as CrypTen's; PROTOCOLS.md 4.7). */
    double (*eps_min)(const mpc_config *cfg, uint64_t H);
} mpc_norm_op;

typedef struct mpc_family {
    const char *name;
    const char *description;
    /* The family's published defaults (fractional bits, iterations, ring, ...); sets cfg->protocol. */
    void (*config_default)(mpc_config *cfg);
    /* Checks a configuration (e.g. a ring too small for the fixed point); NULL or a message. */
    const char *(*config_check)(const mpc_config *cfg);
    /* The family's own dealer material kinds (NULL-name terminated; NULL = the core kinds only). The
     * dealer serves them besides the core kinds (dealer_set_kinds). */
    const dealer_kind_def *dealer_kinds;

    /* Linear layer: y (T x out) = x (T x in) W^T + b, W [out, in] and b [out] P0's weights. */
    void (*linear)(mpc_ctx *c, uint64_t *y, const uint64_t *x, const float *W, const float *b, size_t T,
                   size_t in, size_t out);
    mpc_cost (*linear_cost)(const mpc_config *cfg, uint64_t T, uint64_t in, uint64_t out);
    /* Embedding: h (T x C) = table[tokens] + rows, tokens P1's (T ids < V), table [V, C] and rows
     * [T, C] P0's (position and token-type rows: positions are public). The family CHECKs P1's ids. */
    void (*embed)(mpc_ctx *c, uint64_t *h, const int *tokens, const float *table, const float *rows, size_t T,
                  size_t V, size_t C);
    mpc_cost (*embed_cost)(const mpc_config *cfg, uint64_t T, uint64_t V, uint64_t C);
    /* Product of two secret matrices (attention scores and context): Z (B x m x p) = X (B x m x k) @
     * Y (B x k x p), at scale 2^f. */
    void (*matmul)(mpc_ctx *c, uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t B, size_t m, size_t k,
                   size_t p);
    mpc_cost (*matmul_cost)(const mpc_config *cfg, uint64_t B, uint64_t m, uint64_t k, uint64_t p);
    /* z = x * k for a public real k (the attention's 1/sqrt(d)). */
    void (*scale)(mpc_ctx *c, uint64_t *z, const uint64_t *x, double k, size_t n);
    mpc_cost (*scale_cost)(const mpc_config *cfg, uint64_t n);
    /* Optional (NULL: matmul, then scale): Z = (X @ Y) * k in one step; SIGMA folds the attention's
     * 1/sqrt(d) into the product's truncation. */
    void (*matmul_scaled)(mpc_ctx *c, uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t B, size_t m,
                          size_t k, size_t p, double scale);
    mpc_cost (*matmul_scaled_cost)(const mpc_config *cfg, uint64_t B, uint64_t m, uint64_t k, uint64_t p,
                                   double scale);
    /* Nonzero: the encoder computes Q, K and V as ONE linear layer of concatenated weights (T x C @
     * C x 3C, SIGMA's order); 0: three linear layers one after another (CrypTen's order). */
    int fused_qkv;
    mpc_unary_op activation[MPC_ACT_N];
    mpc_attn_op attn_norm[MPC_ATTN_N];
    mpc_norm_op norm[MPC_NORM_N];
    /* Comparison: out = 1 where x < 0 (signed), scale 1. */
    mpc_unary_op ltz;
    /* Truncation: z = x / 2^f after a product of two fixed-point values. */
    mpc_unary_op trunc;
    /* Output: opens x (n values) to party `to` only. */
    void (*reveal)(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n, int to);
    mpc_cost (*reveal_cost)(const mpc_config *cfg, uint64_t n, int to);
} mpc_family;

/* NULL if the family has the activation, attention normalisation and norm a model needs, else a
 * message naming the missing op (static storage). */
const char *mpc_family_check(const mpc_family *fam, mpc_act act, mpc_attn attn, mpc_norm norm);

/* The LayerNorm epsilon a run uses (PROTOCOLS.md 4.7): cfg->ln_eps (the family's default, or the
 * user's --ln-eps) unless the family's LayerNorm cannot represent it for rows of H, then the model's
 * own eps raised to the smallest the op represents (eps_min; 2^-f by default). */
double mpc_family_ln_eps(const mpc_family *fam, const mpc_config *cfg, double model_eps, uint64_t H);

#endif

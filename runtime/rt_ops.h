/* rt_ops.h -- the registry of protocol ops that `mpcsim op`, `explain`, the tests and the benchmark
 * run: shape parsing, input domains, double-precision references, closed-form costs, the runner. The
 * command line's side (lookup with its error messages, --list, the output row) is experiments/xp_op_cli.h.
 *
 * Inputs: input 0 is owned (secret-shared) by P1, the data owner; input 1 (for two-operand ops) by
 * P0. Inputs are drawn uniformly from the op's documented domain [lo, hi] with a ChaCha20 stream
 * from --seed. The output is reconstructed by the harness after the run (outside the protocol, so
 * it costs nothing) and compared with the reference. */
#ifndef RT_OPS_H
#define RT_OPS_H

#include <stdio.h>

#include "../protocols/family.h"
#include "../protocols/mpc_cost.h"
#include "rt_sim.h"

typedef enum rt_shape_kind {
    RT_SHAPE_ELEM = 0, /* elementwise: n = product of dims */
    RT_SHAPE_ROWS = 1, /* along the last dimension: R = product of leading dims, L = last */
    RT_SHAPE_MATMUL = 2,
} rt_shape_kind;

typedef struct rt_shape {
    char text[96];
    size_t dims[8];
    int ndims;
    size_t n, R, L;               /* elementwise / rows view */
    size_t B, m, k, p;            /* matmul: (B x) m x k @ (B x) k x p */
    int y_shared;                 /* matmul: Y has no batch dimension */
} rt_shape;

/* Parses "1024", "12x128x128" or (matmul) "128x768@768x768", "12x128x64@12x64x128",
 * "4x128x768@768x768". Returns 0, or -1 with a message naming the problem in err. */
int rt_shape_parse(rt_shape *s, const char *text, int matmul, char *err, size_t errlen);

typedef struct rt_opdef {
    const char *name;
    const char *summary;
    rt_shape_kind kind;
    int ninputs;
    double lo, hi;  /* input domain for random inputs */
    void (*run)(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const rt_shape *s);
    void (*ref)(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s);
    mpc_cost (*cost)(const mpc_config *cfg, const rt_shape *s);
    size_t (*out_len)(const rt_shape *s); /* NULL: same as input 0 */
    /* Optional: transform raw uniform inputs (e.g. make variances positive); NULL = none. */
    void (*prepare)(double *in0, double *in1, const rt_shape *s);
} rt_opdef;

/* The default family's (crypten's) ops, in --list order. */
const rt_opdef *rt_op_find(const char *name);
size_t rt_op_count(void);
const rt_opdef *rt_op_at(size_t i);
/* The ops of the family named `protocol` (each family registers its op tables in rt_ops.c): none for
 * a family without tables. */
const rt_opdef *rt_op_find_in(const char *protocol, const char *name);
size_t rt_op_count_in(const char *protocol);
const rt_opdef *rt_op_at_in(const char *protocol, size_t i);
/* The name of the f-th family with op tables (the default first), NULL past the last. */
const char *rt_op_family(size_t f);

/* The value of two output shares: their sum, sign-extended from cfg->ring_bits (a family on Z_2^n),
 * decoded at cfg->frac_bits. */
double rt_op_decode(const mpc_config *cfg, uint64_t a, uint64_t b);
size_t rt_op_in_len(const rt_opdef *op, const rt_shape *s, int which);
size_t rt_op_out_len(const rt_opdef *op, const rt_shape *s);

typedef struct rt_op_outcome {
    rt_result res;
    double max_abs_err, max_rel_err; /* real mode only (NAN in phantom) */
    double *got, *want;              /* real mode: reconstructed output and reference (malloc'd) */
    double *in[2];                   /* the inputs used */
    size_t nout;
} rt_op_outcome;

/* The op's inputs for a seed, exactly as every runner draws them: uniform in [lo, hi] from a
 * ChaCha20 stream, then op->prepare, then fixed-point encoding at f bits. Fills in[k] (doubles) and
 * enc[k] (ring elements) for k < ninputs, malloc'd; the caller frees them. */
void rt_op_inputs(const rt_opdef *op, const rt_shape *s, uint64_t seed, int f, double *in[2], uint64_t *enc[2]);
/* One party's side of an op run: P1 shares input 0 from plain[0], P0 input 1 from plain[1] (plain is
 * read only on its owner), then the op writes this party's output share. */
void rt_op_party(mpc_ctx *c, const rt_opdef *op, const rt_shape *s, uint64_t *const in_sh[2],
                 const uint64_t *const plain[2], const size_t nin[2], uint64_t *out_sh);

/* Runs op on shape through a session. In real mode fills errors and, if keep, the arrays (free with
 * rt_op_outcome_free). Returns 0 or -1 (message printed). */
int rt_op_run(const rt_opdef *op, const rt_shape *s, const rt_sim_opts *o, int keep, rt_op_outcome *out) WUR;
void rt_op_outcome_free(rt_op_outcome *o);

/* Family tables, each terminated by an entry with name == NULL. */
extern const rt_opdef rt_ops_core[];
extern const rt_opdef rt_ops_cmp[];
extern const rt_opdef rt_ops_math[];
extern const rt_opdef rt_ops_nn[];
extern const rt_opdef rt_ops_fss[]; /* the fss family's (rt_ops_fss.c) */

#endif

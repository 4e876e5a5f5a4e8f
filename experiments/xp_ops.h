/* xp_ops.h -- the registry of protocol ops that `mpcsim op`, `explain`, the tests and the benchmark
 * run: shape parsing, input domains, double-precision references, closed-form costs.
 *
 * Inputs: input 0 is owned (secret-shared) by P1, the data owner; input 1 (for two-operand ops) by
 * P0. Inputs are drawn uniformly from the op's documented domain [lo, hi] with a ChaCha20 stream
 * from --seed. The output is reconstructed by the harness after the run (outside the protocol, so
 * it costs nothing) and compared with the reference. */
#ifndef XP_OPS_H
#define XP_OPS_H

#include <stdio.h>

#include "../protocols/family.h"
#include "../protocols/mpc_cost.h"
#include "xp_session.h"

typedef enum xp_shape_kind {
    XP_SHAPE_ELEM = 0, /* elementwise: n = product of dims */
    XP_SHAPE_ROWS = 1, /* along the last dimension: R = product of leading dims, L = last */
    XP_SHAPE_MATMUL = 2,
} xp_shape_kind;

typedef struct xp_shape {
    char text[96];
    size_t dims[8];
    int ndims;
    size_t n, R, L;               /* elementwise / rows view */
    size_t B, m, k, p;            /* matmul: (B x) m x k @ (B x) k x p */
    int y_shared;                 /* matmul: Y has no batch dimension */
} xp_shape;

/* Parses "1024", "12x128x128" or (matmul) "128x768@768x768", "12x128x64@12x64x128",
 * "4x128x768@768x768". Returns 0, or -1 with a message naming the problem in err. */
int xp_shape_parse(xp_shape *s, const char *text, int matmul, char *err, size_t errlen);

typedef struct xp_opdef {
    const char *name;
    const char *summary;
    xp_shape_kind kind;
    int ninputs;
    double lo, hi;  /* input domain for random inputs */
    void (*run)(mpc_ctx *c, uint64_t *out, uint64_t *const in[2], const xp_shape *s);
    void (*ref)(const mpc_config *cfg, double *out, const double *const in[2], const xp_shape *s);
    mpc_cost (*cost)(const mpc_config *cfg, const xp_shape *s);
    size_t (*out_len)(const xp_shape *s); /* NULL: same as input 0 */
    /* Optional: transform raw uniform inputs (e.g. make variances positive); NULL = none. */
    void (*prepare)(double *in0, double *in1, const xp_shape *s);
} xp_opdef;

/* The default family's (crypten's) ops, in --list order. */
const xp_opdef *xp_op_find(const char *name);
size_t xp_op_count(void);
const xp_opdef *xp_op_at(size_t i);
void xp_op_list(FILE *f);
/* The ops of the family named `protocol` (each family registers its op tables in xp_ops.c). */
const xp_opdef *xp_op_find_in(const char *protocol, const char *name);
void xp_op_list_in(FILE *f, const char *protocol);
/* The op `name` of cfg's family, or NULL after printing "error: CMD: protocol 'P' has no op 'N'" (an
 * op another family has) or "error: CMD: unknown op 'N'". */
const xp_opdef *xp_op_lookup(const mpc_config *cfg, const char *name, const char *cmd);

/* The value of two output shares: their sum, sign-extended from cfg->ring_bits (a family on Z_2^n),
 * decoded at cfg->frac_bits. */
double xp_op_decode(const mpc_config *cfg, uint64_t a, uint64_t b);
size_t xp_op_in_len(const xp_opdef *op, const xp_shape *s, int which);
size_t xp_op_out_len(const xp_opdef *op, const xp_shape *s);

typedef struct xp_op_outcome {
    xp_result res;
    double max_abs_err, max_rel_err; /* real mode only (NAN in phantom) */
    double *got, *want;              /* real mode: reconstructed output and reference (malloc'd) */
    double *in[2];                   /* the inputs used */
    size_t nout;
} xp_op_outcome;

/* The op's inputs for a seed, exactly as every runner draws them: uniform in [lo, hi] from a
 * ChaCha20 stream, then op->prepare, then fixed-point encoding at f bits. Fills in[k] (doubles) and
 * enc[k] (ring elements) for k < ninputs, malloc'd; the caller frees them. */
void xp_op_inputs(const xp_opdef *op, const xp_shape *s, uint64_t seed, int f, double *in[2], uint64_t *enc[2]);
/* One party's side of an op run: P1 shares input 0 from plain[0], P0 input 1 from plain[1] (plain is
 * read only on its owner), then the op writes this party's output share. */
void xp_op_party(mpc_ctx *c, const xp_opdef *op, const xp_shape *s, uint64_t *const in_sh[2],
                 const uint64_t *const plain[2], const size_t nin[2], uint64_t *out_sh);

/* Runs op on shape through a session. In real mode fills errors and, if keep, the arrays (free with
 * xp_op_outcome_free). Returns 0 or -1 (message printed). */
int xp_op_run(const xp_opdef *op, const xp_shape *s, const xp_session_opts *o, int keep, xp_op_outcome *out) WUR;
void xp_op_outcome_free(xp_op_outcome *o);

/* The `op` schema's row (xp_schema.h) of one run, the simulator's and the TCP backend's alike:
 * errors are written in real mode only; net == NULL means TCP (net "tcp", link columns empty). */
typedef struct xp_op_row {
    const char *op, *shape;
    int phantom;
    const xp_result *res;
    double max_abs_err, max_rel_err;
    const mpc_config *cfg;
    const char *net; /* profile name, or NULL over TCP */
    uint64_t bandwidth_bps;
    int64_t one_way_latency_ns;
    uint64_t seed;
} xp_op_row;
/* Writes the header and the row, as CSV or (table) name/value lines. */
void xp_op_write_row(FILE *f, int table, const xp_op_row *r);

/* Family tables, each terminated by an entry with name == NULL. */
extern const xp_opdef xp_ops_core[];
extern const xp_opdef xp_ops_cmp[];
extern const xp_opdef xp_ops_math[];
extern const xp_opdef xp_ops_nn[];
extern const xp_opdef xp_ops_fss[]; /* the fss family's (xp_ops_fss.c) */

/* ---- protocol configuration options shared by op/infer/explain ---- */

/* Starts a configuration from the defaults of the family named by `--protocol NAME` anywhere in argv
 * (crypten when absent). Returns 0, or -1 after "error: --protocol: unknown protocol 'X' (known:
 * crypten, ...)". xp_cfg_arg then consumes --protocol (checking it names the same family). */
int xp_cfg_init(mpc_config *cfg, int argc, char **argv);
/* The family's own check of the finished configuration (e.g. ring width against fractional bits):
 * 0, or -1 after printing the family's message. */
int xp_cfg_check(const mpc_config *cfg);
/* Consumes --protocol NAME (already applied by xp_cfg_init): 1, 0 not mine, -1 error (printed). */
int xp_protocol_arg(const mpc_config *cfg, int argc, char **argv, int *i);
/* Tries to consume one algorithm option (--frac-bits, --exp-iters, ...). 1 consumed, 0 not mine,
 * -1 error (printed). */
int xp_cfg_arg(mpc_config *cfg, int argc, char **argv, int *i);
void xp_cfg_help(FILE *f);

#endif

/* xp_op_cli.h -- the command line's side of the op registry (runtime/rt_ops.h): finding the op a user
 * named, with the error that says why not; `--list`; the `op` schema's row (xp_schema.h) of one op run,
 * as `mpcsim op`, `party` and `launch` print it. */
#ifndef XP_OP_CLI_H
#define XP_OP_CLI_H

#include <stdio.h>

#include "../runtime/rt_ops.h"

/* The op `name` of cfg's family, or NULL after printing "error: CMD: protocol 'P' has no op 'N'" (an
 * op another family has) or "error: CMD: unknown op 'N'". */
const rt_opdef *xp_op_lookup(const mpc_config *cfg, const char *name, const char *cmd);
/* One line per op of the family named `protocol`: name and summary. */
void xp_op_list_in(FILE *f, const char *protocol);

/* The `op` schema's row (xp_schema.h) of one run, the simulator's and the TCP backend's alike:
 * errors are written in real mode only; net == NULL means TCP (net "tcp", link columns empty). */
typedef struct xp_op_row {
    const char *op, *shape;
    int phantom;
    const rt_result *res;
    double max_abs_err, max_rel_err;
    const mpc_config *cfg;
    const char *net; /* profile name, or NULL over TCP */
    uint64_t bandwidth_bps;
    int64_t one_way_latency_ns;
    uint64_t seed;
} xp_op_row;
/* Writes the header and the row, as CSV or (table) name/value lines. */
void xp_op_write_row(FILE *f, int table, const xp_op_row *r);

#endif

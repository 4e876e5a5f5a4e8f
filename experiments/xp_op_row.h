/* xp_op_row.h -- the `op` schema's row (xp_schema.h) of one op run (runtime/rt_ops.h), as `mpcsim op`,
 * `party` and `launch` print it. */
#ifndef XP_OP_ROW_H
#define XP_OP_ROW_H

#include <stdio.h>

#include "../runtime/rt.h"

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

/* rt_op_tcp.h -- runs one registered op as ONE party (P0, P1 or the dealer D) of a real 3-process
 * computation, as a job of the runtime's TCP backend (runtime/rt_tcp.h: phases, randomness, reports,
 * failures). The inputs are synthetic test data drawn from the seed as rt_op_run draws them (input 0
 * is P1's, input 1 is P0's; each party uses only its own), so the same seed gives the same output (to
 * the fixed-point rounding the randomness decides) and the same counters as `mpcsim op` in the
 * simulator. The output party R receives the other party's output share in the report phase,
 * reconstructs the output and computes the errors as rt_op_run does. */
#ifndef RT_OP_TCP_H
#define RT_OP_TCP_H

#include "rt_tcp.h"
#include "rt_ops.h"

typedef struct rt_op_tcp_opts {
    rt_tcp_opts tcp; /* this party's role, addresses, keys, timeouts, faults and randomness */
    const rt_opdef *op;
    const rt_shape *shape;
    const mpc_config *cfg;
    int phantom;
    uint64_t seed;
} rt_op_tcp_opts;

typedef struct rt_op_tcp_outcome {
    /* The output party only. stats[i].total holds party i's byte/message counters and rounds (the
     * others' as they reported them; per-tag stats and time splits are its own only); end_ns[i] = online
     * wall time of P0 and P1; latency_ns, rounds, dealer_bytes, dealer_requests as in the simulator. */
    rt_result res;
    double max_abs_err, max_rel_err; /* NAN in phantom mode */
    double *got;                     /* real mode: the reconstructed output (malloc'd), nout values */
    size_t nout;
    char congestion[32];             /* algorithm in use on the P0-P1 connection */
} rt_op_tcp_outcome;

/* Runs this process's party. Returns 0, or -1 after printing why (setup failures, counter
 * mismatch); transport failures end the process (see above). */
int rt_op_tcp_run(const rt_op_tcp_opts *o, rt_op_tcp_outcome *out) WUR;

void rt_op_tcp_outcome_free(rt_op_tcp_outcome *o);

#endif

/* rt.h -- the runtime: one job, two backends. A job is what P0 and P1 run in the online phase of a
 * 2-party computation with a dealer (one op, one inference, ...): a party function and each party's
 * argument. The same job runs unchanged in the simulator (rt_sim.h: the three parties as actors in
 * virtual time) or over real TCP (rt_tcp.h: one process per party, or rt_tcp_local: three local
 * processes). Both backends share:
 *   - the phase boundary (rt_phase_online): setup (seed exchange) then online; dealer links marked
 *     offline under the offline schedule; statistics start at zero at the online phase;
 *   - the result (rt_result_assemble): the same fields from every party's counters.
 * The jobs: one registered op (rt_ops.h: the op registry, its inputs and references, the simulator
 * runner; rt_op_tcp.h over TCP) and one inference (rt_infer.h). The layer sits above models/ and below
 * experiments/ (the command line), which keeps the option parsing and the output rows; the tests and the
 * benchmarks link this layer, not the command line. */
#ifndef RT_H
#define RT_H

#include <stdio.h>

#include "../net/net.h"
#include "../net/net_rt.h"
#include "../netmodel/nm_pkt.h"
#include "../protocols/dealer.h"
#include "../protocols/mpc.h"

typedef void (*rt_party_fn)(mpc_ctx *c, void *arg);

/* Bytes a party makes public to the other (its buffer on both: read on the publisher, written on the
 * other party), of a length both know. */
typedef struct rt_public {
    void *buf;
    size_t len;
} rt_public;

/* One computation. arg[0] goes to P0, arg[1] to P1 (over TCP a process uses only its own). */
typedef struct rt_job {
    const mpc_config *cfg;
    int phantom;
    uint64_t seed;   /* simulator randomness (and, over TCP, with `reproducible` only) */
    rt_party_fn fn;
    void *arg[2];
    /* What party i's run writes into memory that its caller reads afterwards (e.g. P1's logits):
     * rt_tcp_local copies it from the party's process back to the caller's. NULL/0 = nothing. */
    void *ret[2];
    size_t ret_len[2];
    /* Output shares handed to the output party in the report phase, outside the counters (an op's
     * output; an inference reveals its logits itself and has none): share[i] holds nshare words of
     * party i's share after its run. */
    uint64_t *share[2];
    size_t nshare;
    /* Public values each of P0 and P1 hands the other before the setup (e.g. P1's padding mask, P0's
     * public calibration): the simulator's parties share memory and have them already; over TCP they
     * travel on the authenticated channel outside the counters. */
    rt_public pub[2];
    /* Over TCP: the job's public description, which both parties must agree on (the handshake hashes
     * it with the protocol configuration). NULL = "". */
    const char *desc;
} rt_job;

/* Payload of the 'ready' message each of P0 and P1 sends the other to start the online phase over
 * TCP (rt_tcp.c's barrier); the simulator starts its online phase as that message arrives. */
#define RT_BARRIER_BYTES 1

typedef struct rt_result {
    net_stats stats[NET_MAX_PARTIES];       /* online phase, per party (over TCP: the others' totals
                                             * as they reported them; per-tag stats are one's own) */
    net_stats setup_stats[NET_MAX_PARTIES];
    uint64_t depth[NET_MAX_PARTIES];        /* rounds (causal depth) per party */
    int64_t end_ns[NET_MAX_PARTIES];
    int64_t cp_ns[NET_MAX_PARTIES][NET_CP_N];
    int64_t latency_ns;                     /* max(end P0, end P1) */
    uint64_t rounds;                        /* max(depth P0, depth P1) */
    uint64_t dealer_bytes;                  /* D->P0 corrections + P0->D requests (+ anything to P1) */
    uint64_t dealer_requests;
    uint64_t dealer_to[2];                  /* dealer material D->P0 and D->P1, bytes (per direction) */
    int64_t setup_ns;
    int pk_valid;                           /* the P0-P1 link uses the packet model: */
    nm_pkt_stats pk[2];                     /* its state after the online phase, P0->P1 and P1->P0 */
    net_rt_stats rt[2];                     /* runtime model (rt_sim_opts.rt): wire ops of P0 and P1, else 0 */
} rt_result;

/* The phase boundary, written once: after the setup phase, party p (P0, P1 or D) enters the online
 * phase: its statistics restart at zero and, under the offline dealer schedule, its dealer links
 * become offline links (their messages carry no round label). */
void rt_phase_online(net_party *p, const mpc_config *cfg);

/* The result, assembled once from every party's online totals: depth[i], end_ns[i] (P0, P1) and the
 * dealer's served requests. Fills latency, rounds and the dealer columns; stats[i].total must hold
 * c[i] already. */
void rt_result_assemble(rt_result *res, uint64_t dealer_requests);

/* Online bytes (P0<->P1 only) sent/received by party i. */
uint64_t rt_online_sent(const rt_result *r, int i);
uint64_t rt_online_recv(const rt_result *r, int i);

/* One line per direction of the P0-P1 connection under the packet model (r->pk_valid): how slow
 * start ended (HyStart's exit time and window, as the kernel's TCPHystart* counters report them),
 * the window at the end and the segment and ACK counts. Times are the online phase's virtual time. */
void rt_pkt_summary(FILE *f, const rt_result *r);

#endif

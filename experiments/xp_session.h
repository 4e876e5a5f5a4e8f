/* xp_session.h -- runs one 2-party computation with a dealer in the simulator, in two phases:
 *   1. setup: seed exchange (mpc_setup / dealer_setup) on its own fresh network;
 *   2. online: P0 and P1 run `fn` on a fresh network (clocks and links start at 0) while D serves
 *      correlations; dealer links are offline links under the offline schedule.
 * Latency = the time at which the later of P0 and P1 finishes the online phase. */
#ifndef XP_SESSION_H
#define XP_SESSION_H

#include "../net/net_rt.h"
#include "../net/net_sim.h"
#include "../protocols/dealer.h"
#include "../protocols/mpc.h"

typedef void (*xp_party_fn)(mpc_ctx *c, void *arg);

typedef struct xp_session_opts {
    const mpc_config *cfg;
    int phantom;
    uint64_t seed;
    nm_topology topo;          /* dealer links' `offline` flag is set from cfg->dealer_schedule */
    net_cost_fn cost;          /* compute model (NULL = zero) */
    void *cost_ud;
    int measured;              /* `measured` compute model: CPU time between communication calls */
    net_trace_fn trace[2];     /* optional trace sinks for the online phase */
    void *trace_ud[2];
    void (*tag_hook)(void *ud, net_party *p, int tag, int enter); /* optional timeline (net.h) */
    void *tag_hook_ud;
    struct mpc_audit *audit;   /* optional truncation oracle set on both parties (mpc_audit.h) */
    const net_rt_cfg *rt;      /* deployed-runtime model for P0 and P1 (net_rt.h); NULL = lean */
} xp_session_opts;

/* Payload of the 'ready' message each of P0 and P1 sends the other to start the online phase over
 * TCP (online_barrier in xp_tcp.c); the simulator starts its online phase as that message arrives. */
#define XP_BARRIER_BYTES 1

typedef struct xp_result {
    net_stats stats[NET_MAX_PARTIES];       /* online phase, per party */
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
    net_rt_stats rt[2];                     /* runtime model (o->rt): wire ops of P0 and P1, else 0 */
} xp_result;

/* arg[0] goes to P0, arg[1] to P1. Returns 0, or -1 after printing why (deadlock, dealer error). */
int xp_session_run(const xp_session_opts *o, xp_party_fn fn, void *arg[2], xp_result *res) WUR;

/* One line per direction of the P0-P1 connection under the packet model (r->pk_valid): how slow
 * start ended (HyStart's exit time and window, as the kernel's TCPHystart* counters report them),
 * the window at the end and the segment and ACK counts. Times are the online phase's virtual time. */
void xp_pkt_summary(FILE *f, const xp_result *r);

/* Online bytes (P0<->P1 only) sent/received by party i. */
uint64_t xp_online_sent(const xp_result *r, int i);
uint64_t xp_online_recv(const xp_result *r, int i);

#endif

/* rt_sim.h -- the simulator backend of the runtime (rt.h): runs one 2-party computation with a dealer
 * in the simulator, in two phases:
 *   1. setup: seed exchange (mpc_setup / dealer_setup) on its own fresh network;
 *   2. online: P0 and P1 run `fn` on a fresh network (clocks and links start at 0) while D serves
 *      correlations; dealer links are offline links under the offline schedule.
 * Latency = the time at which the later of P0 and P1 finishes the online phase. */
#ifndef RT_SIM_H
#define RT_SIM_H

#include "../net/net_rt.h"
#include "../net/net_sim.h"
#include "../protocols/dealer.h"
#include "../protocols/mpc.h"
#include "rt.h"

typedef struct rt_sim_opts {
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
    struct arena *scratch[3];  /* optional scratch arenas of P0, P1 and D (real mode), owned by the
                                * caller and kept across runs (no page-fault churn between the runs of
                                * an evaluation); NULL: a fresh arena per run, destroyed at its end */
    int scratch_probe;         /* phantom mode: P0's and P1's mpc_tmp still take (untouched) blocks
                                * from scratch[i] (mpc_ctx.scratch_probe): the arenas grow as in a
                                * real run of the same job (rt_party_prepare) */
    struct mpc_wcache *wcache[2]; /* optional, set on P0's and P1's contexts (mpc_wcache.h): recorded in
                                * a phantom run, filled after the setup phase of a real one */
    net_sim_pool *msgpool;     /* optional message storage kept across runs (net_sim.h), the same
                                * idea for the messages' payloads; NULL: fresh per run */
} rt_sim_opts;

/* arg[0] goes to P0, arg[1] to P1. Returns 0, or -1 after printing why (deadlock, dealer error). */
int rt_sim_run(const rt_sim_opts *o, rt_party_fn fn, void *arg[2], rt_result *res) WUR;

/* The job j in the simulator: o's network, compute model and hooks, j's configuration, mode, seed,
 * party function and arguments (o->cfg, o->phantom and o->seed are ignored). */
int rt_sim_job(const rt_sim_opts *o, const rt_job *j, rt_result *res) WUR;

#endif

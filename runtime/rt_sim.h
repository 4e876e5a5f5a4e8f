/* rt_sim.h -- the simulator backend of the runtime (rt.h): runs one 2-party computation with a dealer
 * in the simulator, in two phases:
 *   1. setup: seed exchange (mpc_setup / dealer_setup) on its own fresh network;
 *   2. online: P0 and P1 run `fn` on a fresh network (clocks and links start at 0) while D serves
 *      correlations; dealer links are offline links under the offline schedule.
 * Latency = the time at which the later of P0 and P1 finishes the online phase.
 *
 * Shared keystreams (real mode): all three parties run in this one process, and two keystreams of the
 * online phase each have two holders by the protocol: the pair stream (P0 and P1 derived its key from
 * the seeds they exchanged in setup; mpc_przs) and each party's dealer stream (D chose its seed and
 * replays it to derive the correlation; dealer.h). Between setup and the online phase each pair of
 * holders is joined by a tee (common/rng_tee.h), so each block of those streams is computed once in
 * the process and copied by its second holder (D reads a party's blocks in place, dealer.c). This memoizes a deterministic function of a seed both
 * holders already hold: every value, message (count, size, order) and the analytic compute model are
 * unchanged (test_infer compares runs with and without). Not under the `measured` compute model (it
 * charges the process's CPU time between communication calls: a shared computation would move cost
 * from one actor to the other), nor in phantom mode (nothing is drawn), nor over TCP (separate
 * processes: each computes its own). Memory: RT_SIM_TEE_BYTES per tee, touched as far as the largest
 * lag between the holders; a caller with many runs keeps its tees (rt_sim_opts.tee). Effect: about 5 %
 * of the CPU time of `eval --mpc` (350 MB of shared keystream an inference on the accuracy models;
 * measured in rng_tee.h). */
#ifndef RT_SIM_H
#define RT_SIM_H

#include "../net/net_rt.h"
#include "../net/net_sim.h"
#include "../protocols/dealer.h"
#include "../protocols/mpc.h"
#include "rt.h"

/* Ring of each of the three tees (rng_tee.h): how far one holder of a stream may run ahead of the other
 * and still have the other copy its blocks. The largest lag of `eval --mpc` on the accuracy models
 * (2 layers, hidden 128, 128 tokens) is between 8 and 32 MiB: a party's share of the embedding's
 * one-hot matmul triple, drawn before D replays it. A run of B examples (rt_infer_job_batch) draws B
 * times as much before D replays it: RT_SIM_TEE_BYTES_BATCH(B). With B = 8 and a 32 MiB ring, D
 * computed the keystream beyond the window again and `eval --mpc --batch 8` on the accuracy teacher
 * took 9% more CPU (`eval --help` has the figures). A ring is touched only as far as the lag. */
#define RT_SIM_TEE_BYTES ((size_t)32 << 20)
#define RT_SIM_TEE_BYTES_BATCH(b) (RT_SIM_TEE_BYTES * (size_t)((b) > 1 ? (b) : 1))

struct rng_tee;
struct rng_tee_stats;

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
    struct rng_tee *tee[3];    /* optional tees of the shared keystreams (see above; pair stream, P0's and
                                * P1's dealer stream), owned by the caller and kept across runs (their
                                * rings stay mapped; emptied per run); NULL: fresh per run */
    int tee_off;               /* 1: every holder computes its shared keystreams itself (the plain path) */
    struct rng_tee_stats *tee_stats; /* optional out, 3 entries: the tees' counts (rng_tee.h), in tee[]'s
                                * order; left untouched when no tee ran */
} rt_sim_opts;

/* arg[0] goes to P0, arg[1] to P1. Returns 0, or -1 after printing why (deadlock, dealer error). */
int rt_sim_run(const rt_sim_opts *o, rt_party_fn fn, void *arg[2], rt_result *res) WUR;

/* The job j in the simulator: o's network, compute model and hooks, j's configuration, mode, seed,
 * party function and arguments (o->cfg, o->phantom and o->seed are ignored). */
int rt_sim_job(const rt_sim_opts *o, const rt_job *j, rt_result *res) WUR;

#endif

/* rt_plan.h -- the dealer's work done before the online phase (offline dealer schedule, over TCP).
 *
 * Under the offline schedule the dealer's material is, by definition, not part of the online phase:
 * the correlations a program needs follow from its public shapes alone (the protocol code is
 * data-oblivious, so the sequence of P0's requests -- kinds and shapes -- is a function of the job
 * and its configuration), and the material from the parties' dealer seeds. Serving on demand, as
 * dealer_serve does, would make the dealer expand seeds and multiply matrices while P0 and P1 run
 * their online phase: CPU the online phase of CrypTen (whose triples exist before it starts) does not
 * spend. A plan moves that work before the barrier:
 *   1. record: the job once in phantom mode in the simulator (no data, no computation; P0's
 *      requests are real bytes there too), keeping every P0->D request in order;
 *   2. fill (the dealer's setup, after dealer_setup): every request's material, computed in request
 *      order by the kind's own serve function from the seed streams, exactly as dealer_serve would
 *      compute it online (same stream order, same bytes);
 *   3. serve (online): each request P0 sends is checked against the plan (kind and shape words,
 *      byte for byte) and answered with its precomputed material by the same net_send/net_flush
 *      calls as dealer_serve makes: every byte, message and round counter is unchanged. A request
 *      that differs from the plan is a protocol error (NET_EPROTO, named); so is P0 finishing
 *      before the plan's end.
 * Memory: the material of the whole job (the dealer bytes) stays resident until the end. */
#ifndef RT_PLAN_H
#define RT_PLAN_H

#include "../protocols/dealer.h"
#include "rt.h"

typedef struct rt_plan {
    size_t n;                 /* requests */
    uint64_t (*req)[1 + DEALER_SHAPE_WORDS]; /* request i: kind, shape words (the wire's 48 bytes) */
    uint64_t (*bytes)[2];     /* material to P0 and to P1, bytes */
    size_t *off;              /* request i's material: mat + off[i] (P0's, then P1's) */
    uint8_t *mat;             /* all of it; NULL until rt_plan_fill */
    size_t total;             /* sum of all bytes */
} rt_plan;

/* Step 1: j in phantom mode in the simulator (j's configuration, seed, function and arguments; the
 * arguments must be valid in phantom mode). Returns 0, or -1 after printing why. */
int rt_plan_record(const rt_job *j, rt_plan *plan) WUR;
/* Step 2 (real mode only): the material, from d's seed streams (after dealer_setup). Unknown kinds
 * or bad shapes: -1 after printing why. */
int rt_plan_fill(dealer_ctx *d, rt_plan *plan) WUR;
/* Step 3: serves P0's requests from the plan until P0's goodbye, as dealer_serve does (d->nreq and
 * d->bytes_out advance the same way; phantom plans send phantom material). */
int rt_plan_serve(dealer_ctx *d, const rt_plan *plan) WUR;
void rt_plan_free(rt_plan *plan);

/* P0's and P1's side of the same idea: the input-independent work of a party's online phase done in
 * its setup, from the program's public shapes.
 *   1. rt_party_prepare: the job once in phantom mode in the simulator, with this party's scratch
 *      arena in probe mode (mpc_ctx.scratch_probe: it grows as the real run's will, untouched) and its
 *      model sharings recorded (mpc_wcache.h: pair-stream positions and lengths);
 *   2. rt_party_fill, after mpc_setup and before the barrier: the model sharings' zero-sharings drawn at
 *      those positions (mpc_wcache_fill; c->wcache set), and every page of the arena touched
 *      (arena_prefault): the online phase then takes no page fault for its scratch memory and draws
 *      no model-sharing keystream.
 * Every value, message and counter of the online phase is the same as without it (the cache hands out
 * exactly the draws the run would make; mpc_wcache.h). Memory: the arena's peak, reached in setup, and
 * the weights' zero-sharings (8 bytes per weight) stay resident. The job's arguments must be valid in
 * phantom mode here, as for rt_plan_record. */
typedef struct rt_party_prep {
    struct mpc_wcache *wc;
    arena *scratch;      /* borrowed: the party's arena */
    size_t prefaulted;   /* bytes touched by rt_party_fill */
    uint64_t max_in[3];  /* the largest message this party receives from each party (the transport's
                          * input buffers: net_tcp_reserve_input) */
} rt_party_prep;

int rt_party_prepare(const rt_job *j, int self, arena *scratch, rt_party_prep *pp) WUR;
void rt_party_fill(rt_party_prep *pp, mpc_ctx *c);
void rt_party_prep_free(rt_party_prep *pp);

#endif

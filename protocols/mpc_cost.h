/* mpc_cost.h -- closed-form communication cost of protocol ops, derived from the algorithms.
 *
 * Each op's header comment states its cost; its *_cost() function computes the same formula so tests
 * can assert the measured counters equal it exactly, and layers above can add costs up.
 * Conventions: rounds = causal depth of the online phase under the OFFLINE dealer schedule;
 * sent[i] = online bytes party i sends to the other (what the other receives); dealer traffic is
 * dealer_words correction words D->P0 (8 bytes each) plus dealer_reqs requests P0->D
 * (DEALER_REQ_BYTES each). Under the INLINE schedule every request is a round trip on the critical
 * path before the exchange that uses it, so rounds_inline = rounds + 2 * dealer_reqs. */
#ifndef MPC_COST_H
#define MPC_COST_H

#include <stdint.h>

#include "dealer.h"

typedef struct mpc_cost {
    uint64_t rounds;
    uint64_t sent[2];
    uint64_t dealer_words;
    uint64_t dealer_reqs;
} mpc_cost;

static inline mpc_cost mpc_cost_zero(void) { mpc_cost c = {0, {0, 0}, 0, 0}; return c; }
static inline void mpc_cost_add(mpc_cost *a, mpc_cost b)
{
    a->rounds += b.rounds;
    a->sent[0] += b.sent[0];
    a->sent[1] += b.sent[1];
    a->dealer_words += b.dealer_words;
    a->dealer_reqs += b.dealer_reqs;
}
/* k sequential repetitions. */
static inline mpc_cost mpc_cost_times(mpc_cost c, uint64_t k)
{
    mpc_cost r = {c.rounds * k, {c.sent[0] * k, c.sent[1] * k}, c.dealer_words * k, c.dealer_reqs * k};
    return r;
}
static inline uint64_t mpc_cost_dealer_bytes(mpc_cost c) { return 8 * c.dealer_words + DEALER_REQ_BYTES * c.dealer_reqs; }
static inline uint64_t mpc_cost_rounds(mpc_cost c, int schedule)
{
    return c.rounds + (schedule == MPC_DEALER_INLINE ? 2 * c.dealer_reqs : 0);
}

/* Symmetric exchange of w words each: 1 round, 8w bytes each. */
static inline mpc_cost mpc_cost_exchange(uint64_t w) { mpc_cost c = {1, {8 * w, 8 * w}, 0, 0}; return c; }

/* ---- core ops (mpc.h) ---- */
mpc_cost mpc_open_cost(uint64_t n);
mpc_cost mpc_reveal_to_cost(uint64_t n, int to);
mpc_cost mpc_mul_cost(uint64_t R, uint64_t L, mpc_bcast bc);
mpc_cost mpc_matmul_cost(uint64_t B, uint64_t m, uint64_t k, uint64_t p, int y_shared);
mpc_cost mpc_square_cost(uint64_t n);
mpc_cost mpc_and_cost(uint64_t n);

#endif

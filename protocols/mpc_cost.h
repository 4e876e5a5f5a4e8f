/* mpc_cost.h -- closed-form communication cost of protocol ops, derived from the algorithms.
 *
 * Each op's header comment states its cost; its *_cost() function computes the same formula so tests
 * can assert the measured counters equal it exactly, and layers above can add costs up.
 * Conventions: rounds = causal depth of the online phase under the OFFLINE dealer schedule;
 * sent[i] = online bytes party i sends to the other (what the other receives); dealer traffic is
 * dealer_words correction words D->P0 (8 bytes each), plus dealer_key_bytes[i] bytes of byte-sized
 * material D->Pi (keys, packed values: a kind whose material goes to both parties or is not whole
 * words), plus dealer_reqs requests P0->D (DEALER_REQ_BYTES each). Per direction:
 * mpc_cost_dealer_to(c, i) = D->Pi bytes.
 *
 * Rounds under the INLINE schedule depend on the order of exchanges, not only on their number: P0
 * makes a dealer round trip before each exchange that uses a correlation, while P1's half of that
 * exchange is already in flight. Track (a, b) = the largest round label P0 and P1 have received
 * (net.h's causal labels), from (0, 0):
 *    exchange with a dealer request:  a' = max(a + 2, b + 1)   b' = max(b, a + 3)
 *    exchange without:                a' = max(a, b + 1)       b' = max(b, a + 1)
 *    one-way P0 -> P1:                a' = a                   b' = max(b, a + 1)
 * Each step is a 2x2 max-plus matrix; a cost carries the product of its steps in program order
 * (mpc_cost_add composes), and rounds_inline = the largest entry. Under the offline schedule every
 * step is a plain exchange, so rounds = the number of steps. */
#ifndef MPC_COST_H
#define MPC_COST_H

#include <stdint.h>

#include "dealer.h"

#define MPC_MP_NEG (INT64_MIN / 4) /* max-plus "minus infinity" */

typedef struct mpc_cost {
    uint64_t rounds;       /* offline schedule */
    uint64_t sent[2];
    uint64_t dealer_words;
    uint64_t dealer_reqs;
    int64_t inl[2][2];     /* inline schedule: max-plus step matrix, (a', b') = inl (x) (a, b) */
    uint64_t dealer_key_bytes[2]; /* byte-sized material D->P0, D->P1 (beyond dealer_words) */
} mpc_cost;

static inline mpc_cost mpc_cost_zero(void)
{
    mpc_cost c = {0, {0, 0}, 0, 0, {{0, MPC_MP_NEG}, {MPC_MP_NEG, 0}}, {0, 0}};
    return c;
}
/* a = a followed by b. */
static inline void mpc_cost_add(mpc_cost *a, mpc_cost b)
{
    a->rounds += b.rounds;
    a->sent[0] += b.sent[0];
    a->sent[1] += b.sent[1];
    a->dealer_words += b.dealer_words;
    a->dealer_reqs += b.dealer_reqs;
    a->dealer_key_bytes[0] += b.dealer_key_bytes[0];
    a->dealer_key_bytes[1] += b.dealer_key_bytes[1];
    int64_t m[2][2];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            int64_t best = MPC_MP_NEG;
            for (int k = 0; k < 2; k++) {
                int64_t v = b.inl[i][k] <= MPC_MP_NEG || a->inl[k][j] <= MPC_MP_NEG ? MPC_MP_NEG : b.inl[i][k] + a->inl[k][j];
                if (v > best) best = v;
            }
            m[i][j] = best;
        }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) a->inl[i][j] = m[i][j];
}
/* k sequential repetitions. */
static inline mpc_cost mpc_cost_times(mpc_cost c, uint64_t k)
{
    mpc_cost r = mpc_cost_zero();
    for (uint64_t i = 0; i < k; i++) mpc_cost_add(&r, c);
    return r;
}
/* Dealer material D -> P`to`, bytes. */
static inline uint64_t mpc_cost_dealer_to(mpc_cost c, int to)
{
    return (to == 0 ? 8 * c.dealer_words : 0) + c.dealer_key_bytes[to == 0 ? 0 : 1];
}
/* All dealer bytes: material both ways plus the requests P0 -> D. */
static inline uint64_t mpc_cost_dealer_bytes(mpc_cost c)
{
    return mpc_cost_dealer_to(c, 0) + mpc_cost_dealer_to(c, 1) + DEALER_REQ_BYTES * c.dealer_reqs;
}
static inline uint64_t mpc_cost_rounds(mpc_cost c, int schedule)
{
    if (schedule != MPC_DEALER_INLINE) return c.rounds;
    int64_t m = 0;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            if (c.inl[i][j] > m) m = c.inl[i][j];
    return (uint64_t)m;
}

/* Symmetric exchange of w words each without a correlation: 1 round, 8w bytes each. */
static inline mpc_cost mpc_cost_exchange(uint64_t w)
{
    mpc_cost c = {1, {8 * w, 8 * w}, 0, 0, {{0, 1}, {1, 0}}, {0, 0}};
    return c;
}
/* A symmetric exchange of `bytes` bytes each (bit-packed values: mpc_packed_bytes): 1 round. */
static inline mpc_cost mpc_cost_exchange_bytes(uint64_t bytes)
{
    mpc_cost c = {1, {bytes, bytes}, 0, 0, {{0, 1}, {1, 0}}, {0, 0}};
    return c;
}
/* An exchange of w words each that consumes one dealer correlation of `words` correction words. */
static inline mpc_cost mpc_cost_dealt_exchange(uint64_t w, uint64_t words)
{
    mpc_cost c = {1, {8 * w, 8 * w}, words, 1, {{2, 1}, {3, 0}}, {0, 0}};
    return c;
}

/* ---- core ops (mpc.h) ---- */
mpc_cost mpc_open_cost(uint64_t n);
mpc_cost mpc_reveal_to_cost(uint64_t n, int to);
mpc_cost mpc_mul_cost(uint64_t R, uint64_t L, mpc_bcast bc);
mpc_cost mpc_matmul_cost(uint64_t B, uint64_t m, uint64_t k, uint64_t p, int y_shared);
mpc_cost mpc_square_cost(uint64_t n);
mpc_cost mpc_and_cost(uint64_t n);

#endif

/* mpc_cost.c -- closed forms of the core ops (see each op's comment in mpc.h). */
#include "mpc_cost.h"

mpc_cost mpc_open_cost(uint64_t n) { return mpc_cost_exchange(n); }

mpc_cost mpc_reveal_to_cost(uint64_t n, int to)
{
    mpc_cost c = mpc_cost_zero();
    c.rounds = 1;
    c.sent[1 - to] = 8 * n;
    /* One-way: the receiver's label becomes at least the sender's + 1. */
    if (to == 1) c.inl[1][0] = 1;
    else c.inl[0][1] = 1;
    return c;
}

mpc_cost mpc_mul_cost(uint64_t R, uint64_t L, mpc_bcast bc)
{
    return mpc_cost_dealt_exchange(R * L + mpc_bcast_len(bc, R, L), R * L);
}

mpc_cost mpc_matmul_cost(uint64_t B, uint64_t m, uint64_t k, uint64_t p, int y_shared)
{
    return mpc_cost_dealt_exchange(B * m * k + (y_shared ? 1 : B) * k * p, B * m * p);
}

mpc_cost mpc_square_cost(uint64_t n) { return mpc_cost_dealt_exchange(n, n); }

mpc_cost mpc_and_cost(uint64_t n) { return mpc_cost_dealt_exchange(2 * n, n); }

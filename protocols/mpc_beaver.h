/* mpc_beaver.h -- the Beaver family: multiplication, matrix multiplication, square and binary AND of
 * secret-shared values, each consuming one dealer correlation (dealer.h). Layering: mpc.h (context,
 * transport, local ops) <- dealer.h (material) <- this file. Conventions as in mpc.h. */
#ifndef MPC_BEAVER_H
#define MPC_BEAVER_H

#include "dealer.h"
#include "mpc.h"

/* z = x * y elementwise (y broadcast per bc), truncated by 2^f if trunc. 2.4.
 * Cost: 1 round; sent per party 8*(RL + len(y)) B; dealer 8*RL B + 1 request. */
void mpc_mul(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t R, size_t L,
             mpc_bcast bc, int trunc);
/* Shorthand for mpc_mul(c, z, x, y, 1, n, MPC_BC_NONE, trunc). */
void mpc_mul_n(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n, int trunc);

/* Z (B x m x p) = X (B x m x k) @ Y, with Y of shape B x k x p, or k x p shared by all B batches
 * when y_shared. Truncated by 2^f. 2.5.
 * Cost: 1 round; sent per party 8*(Bmk + |Y|) B; dealer 8*Bmp B + 1 request. */
void mpc_matmul(mpc_ctx *c, uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t B, size_t m,
                size_t k, size_t p, int y_shared);

/* z = x^2 with a square pair (2.6), truncated. Cost: 1 round; 8n B per party; dealer 8n B + 1 req. */
void mpc_square(mpc_ctx *c, uint64_t *z, const uint64_t *x, size_t n);

/* Binary AND of XOR-shared words (2.7). Cost: 1 round; 16n B per party; dealer 8n B + 1 request. */
void mpc_and(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n);

#endif

/* mpc_ring_internal.h -- the ring matmul kernels one by one (mpc_ring.c), for the tests that compare
 * each with mpc_ring_matmul_naive and for benchmarks. */
#ifndef MPC_RING_INTERNAL_H
#define MPC_RING_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

enum { MPC_RING_AUTO = 0, MPC_RING_PORTABLE = 1, MPC_RING_AVX2 = 2, MPC_RING_AVX512 = 3, MPC_RING_AMX = 4 };

/* 1 if this build and CPU have the kernel (AUTO and PORTABLE: always). */
int mpc_ring_impl_available_(int impl);
/* Z += X @ Y with the given kernel, on the kernel threads (par.h). */
void mpc_ring_matmul_acc_impl_(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t m, size_t k, size_t p,
                               int impl);

/* mpc_ring_amx.c: 1 if the CPU has AMX-INT8 (and AVX-512 VBMI for the packing) and the OS lets this
 * process use the tile state (asked once); the kernel itself (fatal where unavailable). */
int mpc_ring_amx_available_(void);
/* Z += (X + X1) @ (Y + Y1 + Y2); X1, Y1, Y2 may be NULL (absent). */
void mpc_ring_matmul_acc_amx_(uint64_t *Z, const uint64_t *X, const uint64_t *X1, const uint64_t *Y,
                              const uint64_t *Y1, const uint64_t *Y2, size_t m, size_t k, size_t p);
/* Z += (X + X1) @ (Y + Y1 + Y2) with the given kernel (X1, Y1, Y2 may be NULL): AMX adds the parts
 * while packing; the other kernels get the sums written out first (a thread-local scratch). */
void mpc_ring_matmul_acc_sum_impl_(uint64_t *Z, const uint64_t *X, const uint64_t *X1, const uint64_t *Y,
                                   const uint64_t *Y1, const uint64_t *Y2, size_t m, size_t k, size_t p, int impl);

#endif

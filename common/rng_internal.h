/* rng_internal.h -- the ChaCha20 keystream kernels behind rng_bytes (tests compare them).
 *
 * RNG_IMPL_REF is libsodium's crypto_stream_chacha20 (the reference: its own SIMD dispatch, AVX2 at
 * most); RNG_IMPL_AVX512 computes 16 blocks a group in the 32-bit lanes of AVX-512 registers, two
 * groups interleaved, the same bytes (about 9 GB/s on one core of this machine, libsodium about 2:
 * results/bench_kernels.csv). RNG_IMPL_AUTO picks the fastest this CPU runs (checked at run time, never assumed at
 * build time). */
#ifndef RNG_INTERNAL_H
#define RNG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

enum { RNG_IMPL_AUTO = 0, RNG_IMPL_REF = 1, RNG_IMPL_AVX512 = 2 };

/* 1 if this build and CPU have the kernel. */
int rng_impl_available_(int impl);
/* Keystream blocks ctr, ctr + 1, ..., ctr + nblocks - 1 (64 bytes each) of ChaCha20 with the original
 * 64-bit nonce and 64-bit block counter, into out. */
void rng_keystream_(uint8_t *out, const uint8_t key[32], const uint8_t nonce[8], uint64_t ctr, size_t nblocks,
                    int impl);
/* Blocks ctr .. ctr + nblocks - 1 of r's stream (its key and nonce) into out, on all kernel threads
 * (par.h), never through r's tee: what rng_bytes computes when no tee serves it. */
void rng_blocks_compute_(const struct rng *r, uint8_t *out, uint64_t ctr, size_t nblocks);

#endif

/* rng.h -- cryptographic PRG with explicit state: ChaCha20 keystream (libsodium).
 *
 * The state is a 256-bit key, a 64-bit nonce and a 64-bit block counter, plus one buffered block.
 * rng_seed() derives the key from (seed, stream) with BLAKE2b, so distinct streams of one seed are
 * independent. Every share, mask and dealer stream in the project comes from here; GSL generators
 * are only for experiment distributions, never for shares. No global state: callers own rng. */
#ifndef RNG_H
#define RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct rng {
    uint8_t key[32];
    uint8_t nonce[8];
    uint64_t block;   /* next ChaCha20 block counter */
    uint8_t buf[64];  /* buffered keystream block */
    unsigned pos;     /* bytes of buf already used (64 = empty) */
    struct rng_tee *tee; /* borrowed: where this stream's blocks come from when another holder of the same
                          * stream in this process computes them too (rng_tee.h); NULL = computed here */
    int tee_side;     /* which of the tee's two holders this is (0 or 1) */
} rng;

/* Key = BLAKE2b-256("mpcsim rng" || seed || stream), nonce = 0. */
void rng_seed(rng *r, uint64_t seed, uint64_t stream);
/* Raw key and nonce (known-answer tests, key exchange). Both initialisers leave r without a tee. */
void rng_init_key(rng *r, const uint8_t key[32], const uint8_t nonce[8]);

/* Next n keystream bytes. Consumes the stream in order, whatever the chunking of calls. */
void rng_bytes(rng *r, void *out, size_t n);
uint64_t rng_u64(rng *r);
/* Advances the stream by n bytes without computing them: the state afterwards is the one rng_bytes(r,
 * _, n) leaves (ChaCha20 is seekable: whole blocks are a counter step; a partial last block is
 * computed into the buffer, as rng_bytes would). */
void rng_skip(rng *r, uint64_t n);
/* n words, little-endian from the keystream. */
void rng_fill_u64(rng *r, uint64_t *out, size_t n);
/* Uniform double in [0,1) with 53 random bits. */
double rng_uniform(rng *r);
/* Uniform double in [lo,hi). */
double rng_range(rng *r, double lo, double hi);
/* Standard normal (Box-Muller on rng_uniform). */
double rng_normal(rng *r);

#endif

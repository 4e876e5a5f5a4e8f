/* rng_tee.h -- one keystream, two holders in one process: each block is computed once.
 *
 * In a 2-party protocol some streams are held by two parties at once, by construction: the pair
 * stream (P0 and P1 derive the same key from the seeds they exchanged; mpc_przs) and each party's
 * dealer stream (the party expands its dealer seed, and D, who chose that seed, replays it to derive
 * the correlation; dealer.h). Over TCP the holders are separate processes and each computes the
 * stream. In the simulator all three run in one process, so every such keystream byte was computed
 * twice. A tee joins the two holders (same key and nonce, checked): whichever draws a block first
 * computes it into the tee's ring and copies it out; the other copies it from the ring (or, with
 * rng_tee_take, reads it there) instead of computing it. That memoizes a deterministic function of a
 * seed both holders already share by the protocol: no party learns anything it did not hold, every
 * drawn byte is the one the holder's own rng would compute, and nothing about messages (counts, sizes,
 * order) or an analytic compute model changes.
 *
 * The ring holds a window: the blocks [lo, hi) of the stream that the leading holder computed and the
 * other has not drawn yet, each at a fixed slot from its block index (the window restarts at the
 * ring's start whenever it empties, so small lags reuse cache-hot memory and a ring is touched only as
 * far as the largest lag); a block is served only from inside the window, i.e. at the position it was
 * computed for. Positions come from the rng state itself (rng.block), so
 * rng_skip, copies of a holder's rng and any chunking of draws stay exact: whatever the window does not
 * hold is simply computed. The ring is bounded (cap blocks, a power of two): the leader keeps blocks
 * only while the window fits, never over one the follower still needs; beyond that lag, and after a
 * holder skips out of step, the follower computes what it lacks itself. When the follower overtakes,
 * it leads from there (only past what the other holder has drawn already).
 *
 * Cost per shared block: one ChaCha20 computation (into the ring, in pieces that stay in the core's
 * cache while the leader copies them out), the leader's copy and the follower's copy (none for a
 * take), instead of two computations. Measured (a loaded 2-core VM, one kernel thread): the bench's
 * shared_keystream rows (a party's draw then D's in-place replay and read) 3.0 -> 5.3 GB/s of stream
 * for 128 KiB draws, 2.2 -> 3.2 for 8 MiB; `mpcsim eval --mpc --n 32` on the accuracy pipeline's
 * teacher, 14.0 -> 13.4 s CPU (mean of 6 alternating runs each, about 5 %, 20 ms an inference): the
 * leader's copy and the ring's memory traffic take back about half of the ChaCha20 time saved.
 *
 * Not thread-safe: the two holders must not draw concurrently (the simulator's actors run one at a
 * time; the kernel threads of one draw write disjoint blocks). No global state: the caller owns the
 * tee and detaches the holders before destroying it. */
#ifndef RNG_TEE_H
#define RNG_TEE_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

typedef struct rng_tee rng_tee;

/* Counts in 64-byte keystream blocks, per holder (side 0 and 1). */
typedef struct rng_tee_stats {
    uint64_t computed[2]; /* blocks this holder computed (ChaCha20) */
    uint64_t stored[2];   /* of those, kept in the ring for the other holder */
    uint64_t served[2];   /* blocks this holder copied from the ring (or took there) instead of computing */
} rng_tee_stats;

/* A tee whose ring holds up to cap_bytes of keystream (rounded up to a power of two of 64-byte blocks);
 * the memory is reserved here and touched as it is first used. */
rng_tee *rng_tee_create(size_t cap_bytes);
/* Destroying NULL is a no-op. */
void rng_tee_destroy(rng_tee *t);
/* Empties t for another stream (no holder may still be attached): its memory is kept, already touched. */
void rng_tee_reset(rng_tee *t);
/* Makes r holder `side` (0 or 1) of t: r's later keystream blocks come through t (r->tee, borrowed).
 * The first holder fixes t's key and nonce; the other must have the same (CHECK). A side may be
 * attached again (a fresh rng of the same stream); nothing else changes in r. */
void rng_tee_attach(rng_tee *t, rng *r, int side);
/* r computes its blocks itself again. */
void rng_tee_detach(rng *r);
void rng_tee_get_stats(const rng_tee *t, rng_tee_stats *st);

/* In place, for a follower that reads what it draws and then discards it (D's replay of a party's
 * dealer stream): when the other holder has computed all of r's next n bytes (a multiple of 8 at a
 * multiple of 8, contiguous in the ring), returns them where they are in the ring and leaves r after
 * them, as rng_bytes(r, _, n) would (words little-endian: what rng_fill_u64 gives on this host); else
 * NULL, and nothing changes. The caller may change the bytes; they stay valid until the other holder
 * next draws from the tee (in the simulator: D's request handling never yields to a party midway).
 * Saves the copy a draw would make. */
void *rng_tee_take(rng *r, size_t n);
/* 1 if p points into t's ring (a take's result; t may be NULL). */
int rng_tee_holds(const rng_tee *t, const void *p);

/* rng.c's step: blocks b .. b + nblocks - 1 of holder side's stream (r: its key and nonce) into out. */
void rng_tee_blocks_(rng_tee *t, int side, const rng *r, uint8_t *out, uint64_t b, size_t nblocks);

#endif

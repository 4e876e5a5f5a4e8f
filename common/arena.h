/* arena.h -- per-context scratch memory reused across ops (no page-fault churn).
 *
 * A protocol op takes several large temporary buffers (masks, opened values, products) and gives them
 * back before it returns. With malloc/free each large buffer is a fresh mmap that the kernel clears
 * page by page and unmaps again at free: in real mode a third of the wall time went to page faults.
 * An arena keeps its chunks for the life of its owner (one party's context), so the second and later
 * ops write into pages that are already mapped.
 *
 * Discipline: a stack with lazy pops. arena_alloc bumps; arena_free marks a block free and releases
 * every free block on top of the stack, so memory freed in any order is reused once all blocks
 * allocated after it are freed too (the ops free all their temporaries before returning). Blocks are
 * 64-byte aligned and NOT cleared (like malloc). Emptied chunks are kept and reused (smallest that
 * fits); a new chunk is as big as all chunks so far (up to 256 MiB), so chunk allocations stop early
 * and the arena holds at most about twice the peak of live scratch memory. Not thread-safe: one arena per party thread.
 * Out of memory is fatal (CHECK). Under AddressSanitizer released blocks are poisoned.
 *
 * arena_block_alloc(NULL, n) / arena_block_free(p) is the same interface over plain malloc, so a
 * caller that has no arena (a context whose owner did not give it one) frees every block the same
 * way; arena_block_free finds the block's arena (or none) in its header. */
#ifndef ARENA_H
#define ARENA_H

#include <stddef.h>

typedef struct arena arena;

arena *arena_create(void);
/* Frees every chunk: blocks still allocated (a party stopped mid-op) become invalid. NULL: no-op. */
void arena_destroy(arena *a);

/* n bytes, 64-byte aligned, uninitialised; from a, or from malloc when a is NULL. */
void *arena_block_alloc(arena *a, size_t n);
/* Frees a block of arena_block_alloc (any order; NULL is a no-op). */
void arena_block_free(void *p);

/* A large buffer for a long-lived pool (free with free()): *n bytes rounded up to 2 MiB when it is at
 * least that, 2 MiB-aligned, and from 8 MiB on advised to use transparent huge pages (Linux); *n
 * gets the size. */
void *arena_pages(size_t *n);

/* Touches every page of every chunk the arena holds (one write per 4 KiB page), so that later blocks
 * take no page fault: a party's setup calls it after a phantom run sized the arena (mpc_ctx's
 * scratch_probe), moving the kernel's page clearing out of the online phase. Returns the bytes
 * touched. Contents stay unspecified (blocks are never cleared). NULL: 0. */
size_t arena_prefault(arena *a);

/* Bytes of chunk memory the arena holds now (reserved, live or not), and the largest live total. */
size_t arena_reserved(const arena *a);
size_t arena_peak(const arena *a);
/* Number of chunks allocated from the system so far (tests: reuse means it stops growing). */
size_t arena_chunk_allocs(const arena *a);

#endif

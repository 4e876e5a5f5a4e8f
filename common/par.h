/* par.h -- the heavy kernels on every core a party has (issue 16): a small persistent thread pool
 * that splits a range [0, n) into equal contiguous parts, one per thread, the caller running the
 * first. Results never depend on the thread count: each part writes its own outputs (ring matmul
 * rows, PRG blocks at their own counters), so a run is byte-identical with 1 or N threads.
 *
 * Threads: MPCSIM_THREADS in the environment (1..PAR_MAX_THREADS), else the online CPUs (capped).
 * A party that shares its cores with others (three local processes over TCP) sets 1. In the
 * simulator the parties run one at a time, so each kernel has the machine to itself. A call made
 * while the pool is busy (another thread's kernel) runs serially in the caller: never a deadlock. */
#ifndef PAR_H
#define PAR_H

#include <stddef.h>

enum { PAR_MAX_THREADS = 8 };

typedef void (*par_fn)(void *ud, size_t lo, size_t hi);

/* Threads the kernels use now. */
int par_threads(void);
/* Sets it (1..PAR_MAX_THREADS; tests compare 1 against 2); before any par_for or between them. */
void par_set_threads(int n);
/* Runs fn(ud, lo, hi) over a split of [0, n) into at most par_threads() parts of at least `grain`
 * items each; returns when all parts are done. n < 2 * grain runs fn(ud, 0, n) in the caller. */
void par_for(size_t n, size_t grain, par_fn fn, void *ud);

#endif

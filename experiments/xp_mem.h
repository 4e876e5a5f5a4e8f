/* xp_mem.h -- memory estimates of real-mode runs (op, infer, eval) and the check, before anything is
 * allocated, against what this machine allows: a run that cannot fit is refused naming the estimate
 * and the limit, instead of being killed by the kernel halfway.
 *
 * The estimates are models fitted to measured peak resident sizes (GNU time's %M of `mpcsim op
 * NAME --shape 64x1024|256x1024 --mode real` and of `mpcsim infer --mode real` on bert-tiny,
 * bert-mini and a 1-layer BERT-base, this build, glibc malloc), with a margin: see xp_mem.c for each
 * coefficient and its source; test_bounds checks that measured runs stay below their estimates.
 * Sweeps check every point (the check runs under --check too).
 * The limit is the smaller of MemAvailable (/proc/meminfo) and the address-space limit
 * (RLIMIT_AS) minus what the process already maps and 256 MiB for thread stacks and malloc arenas;
 * --mem-limit SIZE replaces it, --mem-limit none skips the check. */
#ifndef XP_MEM_H
#define XP_MEM_H

#include <stdint.h>

#include "../models/tfm.h"
#include "../runtime/rt_ops.h"

typedef struct xp_mem {
    uint64_t limit; /* bytes, when given */
    int given;      /* 0: automatic; 1: --mem-limit SIZE; 2: --mem-limit none */
} xp_mem;

/* Tries to consume --mem-limit SIZE (bytes with an optional k, m, g or t suffix, powers of 1024,
 * like 512m or 1.5g; or none). 1 consumed, 0 not this option, -1 error (printed). */
int xp_mem_arg(xp_mem *m, int argc, char **argv, int *i);
void xp_mem_help(FILE *f);

/* Estimated peak bytes of one real-mode run of op on s (inputs, shares, messages, dealer
 * material, references), and of one real-mode private inference of cfg at sequence length T. */
uint64_t xp_mem_op(const rt_opdef *op, const rt_shape *s);
uint64_t xp_mem_infer(const tfm_config *cfg, int T);

/* 0 if estimate fits the limit; else prints "error: WHAT needs about X of memory (estimate), more
 * than the Y limit (source) ..." and returns -1. */
int xp_mem_check(const xp_mem *m, const char *what, uint64_t estimate);

#endif

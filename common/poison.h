/* poison.h -- marking memory a caller must not touch, for AddressSanitizer: MEM_POISON(p, n) makes
 * any access to [p, p + n) a reported error until MEM_UNPOISON(p, n); both are no-ops in other builds.
 * Used where storage stays allocated but is lent or parked (arena.c's free blocks, net_sim.c's
 * returned message loans). */
#ifndef POISON_H
#define POISON_H

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define MEM_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define MEM_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define MEM_POISON(p, n) ((void)(p), (void)(n))
#define MEM_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#endif

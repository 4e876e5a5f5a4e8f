/* arena.c -- per-context scratch memory. See arena.h. */
#define _DEFAULT_SOURCE /* madvise */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "chk.h"

#include "poison.h"

enum { ALIGN = 64, MIN_CHUNK = 1 << 20, HUGE = 1 << 21 };
/* Huge pages only for buffers of 8 MiB and more: below, the 2 MiB granularity costs more resident
 * memory (a touched huge page is resident whole) than the faults it saves. */
#define THP_MIN ((size_t)8 << 20)
#define GROW_MAX ((size_t)256 << 20) /* a new chunk is as big as all others together, up to this */

typedef struct chunk chunk;
typedef struct hdr hdr;

/* One block's header, just before its 64-byte-aligned data. */
struct hdr {
    arena *a;       /* owning arena, NULL for a malloc block */
    chunk *ch;      /* its chunk */
    hdr *prev;      /* the block below it in the chunk (NULL: first) */
    size_t off;     /* offset of this header in the chunk */
    size_t n;       /* data bytes asked */
    int freed;
    char pad[ALIGN - 2 * sizeof(void *) - sizeof(hdr *) - 2 * sizeof(size_t) - sizeof(int)];
};
_Static_assert(sizeof(hdr) == ALIGN, "block header is one cache line");

struct chunk {
    chunk *below;   /* the chunk under this one in the stack */
    uint8_t *mem;   /* ALIGN-aligned */
    size_t cap, used;
    hdr *top;       /* last live-or-unpopped block, NULL when empty */
};

struct arena {
    chunk *cur;     /* top of the chunk stack */
    chunk *spare;   /* empty chunks kept for reuse (linked through `below`) */
    size_t reserved, live, peak, nchunk_allocs;
};

/* Buffers of 2 MiB and more are 2 MiB-aligned, and from THP_MIN on asked for transparent huge pages:
 * first use then takes one fault per 2 MiB instead of one per 4 KiB (a fault is costly in a VM). */
void *arena_pages(size_t *n)
{
    void *m = NULL;
    size_t cap = *n, align = cap >= HUGE ? HUGE : ALIGN;
    if (cap >= HUGE) cap = (cap + HUGE - 1) / HUGE * HUGE;
    CHECK(posix_memalign(&m, align, cap ? cap : 1) == 0, "out of memory: %zu bytes", cap);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (cap >= THP_MIN) (void)madvise(m, cap, MADV_HUGEPAGE); /* advice only: ignored where THP is off */
#endif
    *n = cap;
    return m;
}

static chunk *chunk_new(arena *a, size_t cap)
{
    chunk *ch = chk_calloc(1, sizeof *ch);
    void *m = arena_pages(&cap);
    ch->mem = m;
    ch->cap = cap;
    MEM_POISON(ch->mem, cap);
    a->reserved += cap;
    a->nchunk_allocs++;
    return ch;
}

static void chunk_delete(arena *a, chunk *ch)
{
    if (!ch) return;
    MEM_UNPOISON(ch->mem, ch->cap);
    a->reserved -= ch->cap;
    free(ch->mem);
    free(ch);
}

arena *arena_create(void) { return chk_calloc(1, sizeof(arena)); }

void arena_destroy(arena *a)
{
    if (!a) return;
    while (a->cur) {
        chunk *b = a->cur->below;
        chunk_delete(a, a->cur);
        a->cur = b;
    }
    while (a->spare) {
        chunk *b = a->spare->below;
        chunk_delete(a, a->spare);
        a->spare = b;
    }
    free(a);
}

static size_t round_up(size_t n) { return (n + ALIGN - 1) / ALIGN * ALIGN; }

void *arena_block_alloc(arena *a, size_t n)
{
    CHECK(n <= SIZE_MAX / 2, "scratch block of %zu bytes", n);
    size_t need = sizeof(hdr) + round_up(n);
    if (!a) {
        void *m = NULL;
        CHECK(posix_memalign(&m, ALIGN, need) == 0, "out of memory: %zu bytes", need);
        hdr *h = m;
        *h = (hdr){0};
        h->n = n;
        return h + 1;
    }
    chunk *ch = a->cur;
    if (!ch || ch->cap - ch->used < need) {
        /* A new top chunk: the smallest spare that fits (the same sequence of ops finds the same
         * chunks again), else a fresh one as big as all chunks so far (capped), so that chunk
         * allocations stop after a few doublings. */
        chunk **best = NULL;
        for (chunk **pc = &a->spare; *pc; pc = &(*pc)->below)
            if ((*pc)->cap >= need && (!best || (*pc)->cap < (*best)->cap)) best = pc;
        chunk *nc;
        if (best) {
            nc = *best;
            *best = nc->below;
        } else {
            size_t cap = a->reserved < GROW_MAX ? a->reserved : GROW_MAX;
            if (cap < MIN_CHUNK) cap = MIN_CHUNK;
            if (cap < need) cap = need;
            nc = chunk_new(a, cap);
        }
        nc->below = ch;
        nc->used = 0;
        nc->top = NULL;
        a->cur = ch = nc;
    }
    hdr *h = (hdr *)(void *)(ch->mem + ch->used);
    MEM_UNPOISON(h, need);
    *h = (hdr){0};
    h->a = a;
    h->ch = ch;
    h->prev = ch->top;
    h->off = ch->used;
    h->n = n;
    ch->top = h;
    ch->used += need;
    a->live += need;
    if (a->live > a->peak) a->peak = a->live;
    return h + 1;
}

void arena_block_free(void *p)
{
    if (!p) return;
    hdr *h = (hdr *)p - 1;
    arena *a = h->a;
    if (!a) {
        free(h);
        return;
    }
    CHECK(!h->freed && h->ch, "scratch block freed twice");
    h->freed = 1;
    a->live -= sizeof(hdr) + round_up(h->n);
    /* Pop every freed block on top; an emptied top chunk becomes the spare. */
    for (chunk *ch = a->cur; ch; ch = a->cur) {
        while (ch->top && ch->top->freed) {
            hdr *t = ch->top;
            ch->top = t->prev;
            ch->used = t->off;
            MEM_POISON(t, sizeof(hdr) + round_up(t->n));
        }
        if (ch->top || !ch->below) break;
        a->cur = ch->below;
        ch->below = a->spare;
        a->spare = ch;
    }
}

static size_t prefault_chunk(chunk *ch)
{
    /* Only the bytes above the live blocks: those below are in use (and may be read back). */
    uint8_t *m = ch->mem + ch->used;
    size_t n = ch->cap - ch->used;
    MEM_UNPOISON(m, n);
    for (size_t i = 0; i < n; i += 4096) ((volatile uint8_t *)m)[i] = 0;
    MEM_POISON(m, n);
    return n;
}

size_t arena_prefault(arena *a)
{
    if (!a) return 0;
    size_t n = 0;
    for (chunk *ch = a->cur; ch; ch = ch->below) n += prefault_chunk(ch);
    for (chunk *ch = a->spare; ch; ch = ch->below) n += prefault_chunk(ch);
    return n;
}

size_t arena_reserved(const arena *a) { return a ? a->reserved : 0; }
size_t arena_peak(const arena *a) { return a ? a->peak : 0; }
size_t arena_chunk_allocs(const arena *a) { return a ? a->nchunk_allocs : 0; }

/* rng_tee.c -- a keystream's blocks computed once for its two holders. See rng_tee.h.
 *
 * State: a window of blocks [lo, hi) that one holder (the owner) computed into the ring and the other
 * has not drawn yet; block i lives in slot (i - origin) mod cap. The owner's run of kept blocks began at
 * `first`, and the ring also keeps block lo - 1 intact (when it is one of the run's: lo > first), the
 * block the other holder's rng may still be reading from (its buffered partial block), so that a take
 * may begin inside it. Blocks a holder took in place (rng_tee_take) from `pin` on stay intact until the
 * other holder draws again. */
#include "rng_tee.h"

#include <stdlib.h>
#include <string.h>

#include "chk.h"
#include "par.h"
#include "rng_internal.h"

#define NONE UINT64_MAX

/* Blocks a kept run computes into the ring before copying them out, so that the copy reads this core's
 * cache: 16 KiB (L1) on one kernel thread; 128 KiB (L2) on several, which par_for splits into parts of
 * at least 1024 blocks. */
enum { TEE_PIECE = 256, TEE_PIECE_PAR = 2048 };

struct rng_tee {
    uint8_t key[32], nonce[8];
    int keyed;          /* a holder has fixed key and nonce */
    size_t cap;         /* ring slots (64-byte blocks), a power of two */
    uint8_t *ring;      /* cap * 64 bytes */
    int owner;          /* the holder whose blocks the window holds; -1 = none yet */
    uint64_t origin;    /* block i lives in slot (i - origin) mod cap */
    uint64_t first, lo, hi;
    uint64_t pin;       /* first block taken in place by holder pin_side and still in use; NONE = none */
    int pin_side;
    uint64_t at[2];     /* per holder: the block after its latest draw */
    rng_tee_stats st;
};

rng_tee *rng_tee_create(size_t cap_bytes)
{
    rng_tee *t = chk_calloc(1, sizeof *t);
    t->cap = 1;
    while (t->cap < cap_bytes / 64 + (cap_bytes % 64 != 0)) t->cap *= 2;
    t->ring = chk_malloc(t->cap * 64);
    rng_tee_reset(t);
    return t;
}

void rng_tee_destroy(rng_tee *t)
{
    if (!t) return;
    free(t->ring);
    free(t);
}

void rng_tee_reset(rng_tee *t)
{
    t->keyed = 0;
    t->owner = -1;
    t->origin = t->first = t->lo = t->hi = 0;
    t->pin = NONE;
    t->at[0] = t->at[1] = 0;
    memset(&t->st, 0, sizeof t->st);
}

void rng_tee_attach(rng_tee *t, rng *r, int side)
{
    CHECK(side == 0 || side == 1, "rng_tee holder %d (0 or 1)", side);
    if (!t->keyed) {
        memcpy(t->key, r->key, sizeof t->key);
        memcpy(t->nonce, r->nonce, sizeof t->nonce);
        t->keyed = 1;
    }
    CHECK(!memcmp(t->key, r->key, sizeof t->key) && !memcmp(t->nonce, r->nonce, sizeof t->nonce),
          "rng_tee: holder %d's stream is not the tee's (another key or nonce)", side);
    r->tee = t;
    r->tee_side = side;
}

void rng_tee_detach(rng *r)
{
    r->tee = NULL;
    r->tee_side = 0;
}

void rng_tee_get_stats(const rng_tee *t, rng_tee_stats *st) { *st = t->st; }

int rng_tee_holds(const rng_tee *t, const void *p)
{
    const uint8_t *q = p;
    return t && q >= t->ring && q < t->ring + t->cap * 64;
}

/* ---- helpers ---- */

static size_t slot_of(const rng_tee *t, uint64_t i) { return (size_t)((i - t->origin) & (t->cap - 1)); }
static uint8_t *slot(const rng_tee *t, uint64_t i) { return t->ring + slot_of(t, i) * 64; }

/* Blocks the ring can hold from i on without wrapping onto slot 0. */
static size_t to_ring_end(const rng_tee *t, uint64_t i) { return t->cap - slot_of(t, i); }

static void check(const rng_tee *t, int side, const rng *r)
{
    CHECK(side == 0 || side == 1, "rng_tee holder %d (0 or 1)", side);
    CHECK(!memcmp(t->key, r->key, sizeof t->key) && !memcmp(t->nonce, r->nonce, sizeof t->nonce),
          "rng_tee: a draw from another stream (holder %d rekeyed while attached?)", side);
}

/* A draw or take by holder s ends the other holder's in-place use of what it took. */
static void unpin(rng_tee *t, int s)
{
    if (t->pin != NONE && t->pin_side != s) t->pin = NONE;
}

/* The oldest block of the window's run still intact in the ring: lo - 1 when the run kept it. */
static uint64_t oldest(const rng_tee *t) { return t->lo > t->first ? t->lo - 1 : t->lo; }

/* The oldest block the ring must keep intact: lo - 1 (when the run kept it) or a pinned take. */
static uint64_t base(const rng_tee *t) { return t->pin < oldest(t) ? t->pin : oldest(t); }

/* An empty window from block `start` on. Unless a take is in use, it begins at slot 1, so that while
 * the lag stays small the holders keep reusing the same cache-hot memory (and a fresh ring is touched
 * only as far as the largest lag); block start - 1, whose rest a follower may still take, moves to
 * slot 0 when the ring holds it. */
static void restart(rng_tee *t, uint64_t start)
{
    int held = t->owner >= 0 && start >= 1 && start - 1 >= oldest(t) && start - 1 < t->hi;
    if (t->pin == NONE) {
        if (held) memmove(t->ring, slot(t, start - 1), 64);
        t->origin = start - 1;
    }
    t->first = held ? start - 1 : start;
    t->lo = t->hi = start;
}

/* Blocks i .. i + k - 1 copied from the ring (the window holds them) into out. */
static void serve(rng_tee *t, int s, uint8_t *out, uint64_t i, size_t k)
{
    size_t a = to_ring_end(t, i) < k ? to_ring_end(t, i) : k;
    memcpy(out, slot(t, i), a * 64);
    memcpy(out + a * 64, slot(t, i + a), (k - a) * 64);
    t->st.served[s] += k;
}

/* The owner s draws blocks b .. e - 1 with b == hi: kept in the ring as far as the bound allows (each
 * piece computed there and copied out while it is still in this core's cache), the rest computed
 * straight into out. */
static void append(rng_tee *t, int s, const rng *r, uint8_t *out, uint64_t b, uint64_t e)
{
    uint64_t keep = base(t) + t->cap;
    if (keep > e) keep = e;
    size_t piece = par_threads() > 1 ? TEE_PIECE_PAR : TEE_PIECE;
    for (uint64_t i = b; i < keep;) {
        size_t m = piece, w = to_ring_end(t, i);
        if (m > w) m = w;
        if (m > keep - i) m = (size_t)(keep - i);
        rng_blocks_compute_(r, slot(t, i), i, m);
        memcpy(out + (size_t)(i - b) * 64, slot(t, i), m * 64);
        i += m;
    }
    uint64_t from = keep > b ? keep : b; /* the bound: the rest is not kept */
    if (from > b) t->hi = from, t->st.stored[s] += from - b;
    if (e > from) rng_blocks_compute_(r, out + (size_t)(from - b) * 64, from, (size_t)(e - from));
    t->st.computed[s] += e - b;
}

static void compute(rng_tee *t, int s, const rng *r, uint8_t *out, uint64_t b, uint64_t e)
{
    if (e > b) rng_blocks_compute_(r, out, b, (size_t)(e - b));
    t->st.computed[s] += e - b;
}

/* ---- the draw ---- */

void rng_tee_blocks_(rng_tee *t, int side, const rng *r, uint8_t *out, uint64_t b, size_t nblocks)
{
    check(t, side, r);
    unpin(t, side);
    uint64_t e = b + nblocks;
    if (side == t->owner) { /* ahead: extend the window, or (a skip, a copy elsewhere) just compute */
        if (b == t->hi && t->lo == t->hi) restart(t, b);
        if (b == t->hi) append(t, side, r, out, b, e);
        else compute(t, side, r, out, b, e);
        t->at[side] = e;
        return;
    }
    uint64_t i = b;
    if (t->owner >= 0 && i < t->lo) { /* behind the window (a copy going back): computed */
        uint64_t j = e < t->lo ? e : t->lo;
        compute(t, side, r, out, i, j);
        i = j;
    }
    if (t->owner >= 0 && i < e && i < t->hi) { /* in the window: copied, and no longer needed */
        uint64_t j = e < t->hi ? e : t->hi;
        serve(t, side, out + (size_t)(i - b) * 64, i, (size_t)(j - i));
        t->lo = j;
        i = j;
    }
    /* Ahead of the window: what the other holder has drawn already is just computed, and from there
     * on this holder leads. */
    uint64_t from = t->at[1 - side] > i ? t->at[1 - side] : i;
    if (from > e) from = e;
    compute(t, side, r, out + (size_t)(i - b) * 64, i, from);
    if (from < e) {
        restart(t, from);
        t->owner = side;
        append(t, side, r, out + (size_t)(from - b) * 64, from, e);
    }
    t->at[side] = e;
}

/* ---- in place ---- */

void *rng_tee_take(rng *r, size_t n)
{
    rng_tee *t = r->tee;
    int s = r->tee_side;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return NULL; /* words would need their bytes swapped (rng_fill_u64) */
#endif
    if (!t || n == 0 || t->owner != 1 - s) return NULL;
    check(t, s, r);
    uint64_t p = r->block * 64 - (r->pos < 64 ? 64 - r->pos : 0); /* the stream's byte position */
    uint64_t bf = p / 64, bl = (p + n - 1) / 64;
    if (p % 8 || bf < oldest(t) || bl >= t->hi || (uint64_t)to_ring_end(t, bf) <= bl - bf) return NULL;
    unpin(t, s);
    uint8_t *at = slot(t, bf) + p % 64;
    CHECK(r->pos == 64 || !memcmp(r->buf + r->pos, at, 64 - r->pos), "rng_tee: the ring lost a buffered block");
    /* The state rng_bytes(r, _, n) leaves: after the last byte, its partial block buffered. */
    uint64_t end = p + n;
    r->block = (end + 63) / 64;
    r->pos = 64;
    if (end % 64) {
        memcpy(r->buf, slot(t, bl), 64);
        r->pos = (unsigned)(end % 64);
    }
    t->st.served[s] += bl + 1 - (bf > t->lo ? bf : t->lo);
    t->lo = t->at[s] = bl + 1;
    if (t->pin == NONE) t->pin = bf, t->pin_side = s;
    return at;
}

/* mpc_wcache.c -- the model's zero-sharings drawn in setup. See mpc_wcache.h. */
#include "mpc_wcache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct ent {
    uint64_t pos; /* pair-stream byte offset of the draw */
    size_t n;     /* words */
    uint64_t *buf;
    /* P0's plaintext, when the recording run had it: added to buf by the fill */
    mpc_wcache_enc_fn enc;
    const float *src;
    size_t rows, cols;
} ent;

struct mpc_wcache {
    int filled;
    ent *e;
    size_t n, cap, next;
    uint64_t *mem;
    size_t words;
    uint64_t hits, misses;
    /* the dealer stream's bytes [d_start, d_end) in dmem (filled) */
    uint64_t d_start, d_end, d_hits;
    uint64_t *dmem;
};

mpc_wcache *mpc_wcache_create(void) { return chk_calloc(1, sizeof(mpc_wcache)); }

void mpc_wcache_destroy(mpc_wcache *w)
{
    if (!w) return;
    free(w->e);
    free(w->mem);
    free(w->dmem);
    free(w);
}

size_t mpc_wcache_entries(const mpc_wcache *w) { return w ? w->n : 0; }
uint64_t mpc_wcache_hits(const mpc_wcache *w) { return w ? w->hits : 0; }
uint64_t mpc_wcache_misses(const mpc_wcache *w) { return w ? w->misses : 0; }

void mpc_wcache_fill(mpc_wcache *w, const mpc_ctx *c)
{
    CHECK(!c->phantom && !w->filled, "mpc_wcache_fill: %s", c->phantom ? "phantom context" : "filled twice");
    size_t words = 0;
    size_t keep = 0; /* the first sharings, up to MPC_WCACHE_SHARES_MAX bytes (the rest: drawn live) */
    /* in 64 bits: on a 32-bit size_t (the explorer's wasm build) the bound is above size_t's range */
    while (keep < w->n && ((uint64_t)words + w->e[keep].n) * sizeof(uint64_t) <= MPC_WCACHE_SHARES_MAX) words += w->e[keep++].n;
    w->n = keep;
    size_t bytes = words * sizeof(uint64_t);
    w->mem = arena_pages(&bytes);
    w->words = words;
    rng r = c->pair;
    uint64_t at = c->pair_bytes;
    size_t off = 0;
    for (size_t i = 0; i < w->n; i++) {
        ent *e = &w->e[i];
        CHECK(e->pos >= at, "model sharing %zu at pair byte %llu, before %llu", i, (unsigned long long)e->pos,
              (unsigned long long)at);
        rng_skip(&r, e->pos - at);
        e->buf = w->mem + off;
        rng_fill_u64(&r, e->buf, e->n); /* mpc_przs's draw */
        if (c->self == NET_P1)
            for (size_t k = 0; k < e->n; k++) e->buf[k] = 0 - e->buf[k];
        if (c->self == NET_P0 && e->src) e->enc(e->buf, e->src, e->rows, e->cols, c->cfg->frac_bits);
        at = e->pos + 8 * (uint64_t)e->n;
        off += e->n;
    }
    /* The dealer stream's next bytes, up to where the recording stopped (whole words: every draw is). */
    w->d_start = c->dealer_bytes;
    if (w->d_end - w->d_start > MPC_WCACHE_DEALER_MAX) w->d_end = w->d_start + MPC_WCACHE_DEALER_MAX; /* the rest: live */
    if (w->d_end > w->d_start) {
        size_t db = (size_t)(w->d_end - w->d_start);
        CHECK(db % 8 == 0, "dealer stream drawn in words");
        w->dmem = arena_pages(&db);
        rng d = c->dealer;
        rng_fill_u64(&d, w->dmem, (size_t)(w->d_end - w->d_start) / 8);
    } else {
        w->d_end = w->d_start;
    }
    w->filled = 1;
    w->next = 0;
}

uint64_t mpc_wcache_dealer_bytes(const mpc_wcache *w) { return w ? w->d_end - w->d_start : 0; }
uint64_t mpc_wcache_dealer_hits(const mpc_wcache *w) { return w ? w->d_hits : 0; }

int mpc_wcache_dealer_draw(mpc_ctx *c, uint64_t *buf, size_t n)
{
    mpc_wcache *w = c->wcache;
    if (!w) return 0;
    uint64_t at = c->dealer_bytes, end = at + 8 * (uint64_t)n;
    if (!w->filled) {
        if (end > w->d_end) w->d_end = end;
        return 0;
    }
    if (c->phantom || at < w->d_start || end > w->d_end || n == 0) return 0;
    memcpy(buf, w->dmem + (at - w->d_start) / 8, n * sizeof *buf);
    rng_skip(&c->dealer, 8 * (uint64_t)n);
    w->d_hits++;
    return 1;
}

/* mpc_przs, uncharged, as mpc_share_model draws. */
static void uncharged_przs(mpc_ctx *c, uint64_t *z, size_t n)
{
    net_cost_fn saved = c->net->cost;
    c->net->cost = NULL;
    mpc_przs(c, z, n);
    c->net->cost = saved;
}

/* The zero-sharing of n words; *done = 1 when it is the cache's entry with P0's encoding of src already
 * added. */
static uint64_t *zero_or_cached(mpc_ctx *c, size_t n, mpc_wcache_enc_fn enc, const float *src, size_t rows,
                                size_t cols, int *done)
{
    mpc_wcache *w = c->wcache;
    *done = 0;
    int p0src = c->self == NET_P0 && src;
    if (w && !w->filled) { /* recording (phantom) */
        if (w->n == w->cap) {
            w->cap = w->cap ? 2 * w->cap : 64;
            w->e = chk_realloc(w->e, w->cap * sizeof *w->e);
        }
        w->e[w->n++] = (ent){c->pair_bytes, n, NULL, p0src ? enc : NULL, p0src ? src : NULL, rows, cols};
    } else if (w && w->filled && !c->phantom) {
        /* Entries the stream has passed (a run that drew live there) can no longer be used. */
        while (w->next < w->n && w->e[w->next].pos < c->pair_bytes) w->next++;
        ent *e = w->next < w->n ? &w->e[w->next] : NULL;
        if (!e || e->pos != c->pair_bytes || e->n != n) {
            w->misses++;
            goto live;
        }
        w->next++;
        if (e->src) { /* P0: its encoding is in the buffer; only the same plaintext, layout and shape will do */
            if (e->src != src || e->enc != enc || e->rows != rows || e->cols != cols) {
                w->misses++;
                goto live;
            }
            *done = 1;
        }
        /* The draw is done: the same work report (uncharged) and stream advance as mpc_przs. */
        net_cost_fn saved = c->net->cost;
        c->net->cost = NULL;
        mpc_work(c, 0, n, 8 * n);
        c->net->cost = saved;
        rng_skip(&c->pair, 8 * (uint64_t)n);
        c->pair_bytes += 8 * (uint64_t)n;
        w->hits++;
        return e->buf;
    }
live:;
    uint64_t *z = mpc_tmp(c, n);
    uncharged_przs(c, z, n);
    return z;
}

uint64_t *mpc_share_model_zero(mpc_ctx *c, size_t n)
{
    int done;
    return zero_or_cached(c, n, NULL, NULL, 0, 0, &done);
}

uint64_t *mpc_share_model_enc(mpc_ctx *c, size_t n, mpc_wcache_enc_fn enc, const float *src, size_t rows,
                              size_t cols)
{
    int done;
    uint64_t *sh = zero_or_cached(c, n, enc, src, rows, cols, &done);
    if (!done && !c->phantom && c->self == NET_P0) enc(sh, src, rows, cols, c->cfg->frac_bits);
    return sh;
}

void mpc_share_model_release(mpc_ctx *c, uint64_t *sh)
{
    mpc_wcache *w = c->wcache;
    uintptr_t p = (uintptr_t)sh, lo = (uintptr_t)(w ? w->mem : NULL);
    if (w && w->mem && p >= lo && p < lo + w->words * sizeof(uint64_t)) return; /* the cache's */
    mpc_tmp_free(sh);
}

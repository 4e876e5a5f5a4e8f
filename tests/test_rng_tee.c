/* test_rng_tee.c -- the tee (common/rng_tee.h) against plain streams: every byte a holder draws through
 * a tee is the byte its own rng computes, whatever the interleaving, chunking, skips, copies and lag;
 * and the tee does serve blocks (a tee that silently computed everything would fail the counts). */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "../common/par.h"
#include "../common/rng.h"
#include "../common/rng_tee.h"

/* A holder through the tee and its plain twin, drawn in step. */
typedef struct holder {
    rng viat, plain;
} holder;

static void holder_init(holder *h, rng_tee *t, int side)
{
    rng_seed(&h->viat, 31, 4);
    rng_seed(&h->plain, 31, 4);
    rng_tee_attach(t, &h->viat, side);
}

static uint8_t A[1 << 19], B[1 << 19];
static int draws_taken; /* takes that were served in place */

static void draw_both(holder *h, size_t n)
{
    rng_bytes(&h->viat, A, n);
    rng_bytes(&h->plain, B, n);
    cr_assert(!memcmp(A, B, n), "a draw of %zu bytes differs", n);
}

/* Sizes: odd small ones, whole blocks, and runs longer than a small ring (now and then longer than the
 * tee's pieces: rng_tee.c). */
static size_t pick_size(rng *g)
{
    uint64_t u = rng_u64(g);
    switch (u % 16) {
    case 0: case 1: case 2: case 3: return (size_t)(u >> 8) % 70;
    case 4: case 5: case 6: case 7: return 64 * ((size_t)(u >> 8) % 40);
    case 8: case 9: case 10: case 11: return (size_t)(u >> 8) % 3000;
    case 15: return (size_t)(u >> 8) % sizeof A;
    default: return (size_t)(u >> 8) % 65536;
    }
}

/* A take (rng_tee_take): the bytes in place are the plain twin's next n, and the holder may then change
 * them (D does) without disturbing any later draw; or NULL and the holder unchanged. */
static void take_both(holder *h, size_t n)
{
    rng before = h->viat;
    uint8_t *p = rng_tee_take(&h->viat, n);
    if (!p) {
        cr_assert(!memcmp(&before, &h->viat, sizeof before), "a failed take moved the stream");
        return;
    }
    rng_bytes(&h->plain, B, n);
    cr_assert(!memcmp(p, B, n), "a take of %zu bytes differs", n);
    memset(p, 0xa5, n);
    draws_taken++;
}

static void step(rng *g, holder *h)
{
    size_t n = pick_size(g);
    uint64_t what = rng_u64(g) % 10;
    if (what >= 8) { /* takes are of words at word positions (D's): realign first */
        uint64_t p = h->plain.block * 64 - (h->plain.pos < 64 ? 64 - h->plain.pos : 0);
        draw_both(h, (size_t)((8 - p % 8) % 8));
        take_both(h, n & ~(size_t)7);
    } else if (what < 5) {
        draw_both(h, n);
    } else if (what < 7) {
        rng_skip(&h->viat, n);
        rng_skip(&h->plain, n);
    } else {
        holder c = *h;
        draw_both(&c, n);
    }
}

/* Returns the takes served in place. */
static int interleave(size_t cap_bytes, uint64_t seed, int bias, int check_counts)
{
    rng_tee *t = rng_tee_create(cap_bytes);
    holder h[2];
    holder_init(&h[0], t, 0);
    holder_init(&h[1], t, 1);
    rng g;
    rng_seed(&g, seed, 77);
    draws_taken = 0;
    for (int k = 0; k < 3000; k++) {
        /* phases in which one side runs ahead, then the other */
        int lead = (k / 200) % 2, side = (int)(rng_u64(&g) % 100) < bias ? lead : 1 - lead;
        step(&g, &h[side]);
    }
    /* both end at the same place: the lagging one catches up through whatever the ring kept */
    draw_both(&h[0], 5000);
    draw_both(&h[1], 5000);
    rng_tee_stats st;
    rng_tee_get_stats(t, &st);
    for (int s = 0; s < 2 && check_counts; s++) {
        cr_assert_gt(st.served[s], 0, "holder %d was never served (cap %zu)", s, cap_bytes);
        cr_assert_gt(st.stored[s], 0, "holder %d never kept a block for the other (cap %zu)", s, cap_bytes);
        cr_assert_leq(st.stored[s], st.computed[s]);
    }
    rng_tee_destroy(t);
    return draws_taken;
}

Test(rng_tee, random_interleavings_are_byte_identical)
{
    for (int threads = 1; threads <= 2; threads++) { /* the kept pieces' sizes differ (rng_tee.c) */
        par_set_threads(threads);
        cr_assert_gt(interleave(64 * 65536, 1, 80, 1), 0, "no take was served in place"); /* a ring beyond most lags */
        cr_assert_gt(interleave(64 * 4096, 2, 50, 0), 0, "no take was served in place");
        interleave(1000, 3, 80, 0); /* 16 blocks: the bound is exceeded all the time */
        interleave(64, 4, 70, 0);   /* one block */
    }
    for (uint64_t seed = 10; seed < 40; seed++) { /* more schedules: the bytes only */
        interleave(64 * 4096, seed, 50 + (int)(seed % 5) * 10, 0);
        interleave(64 * 64, seed, 50 + (int)(seed % 5) * 10, 0);
        interleave(1000, seed, 60, 0);
    }
}

/* A leader that runs cap * 3 blocks ahead: the ring keeps the first cap blocks (it never overwrites
 * a block the follower still needs), the follower copies those and computes the rest itself. */
Test(rng_tee, lag_beyond_the_bound)
{
    enum { CAP = 64 }; /* a power of two: the ring holds exactly CAP blocks */
    rng_tee *t = rng_tee_create(64 * CAP);
    holder h[2];
    holder_init(&h[0], t, 0);
    holder_init(&h[1], t, 1);
    draw_both(&h[0], 64 * 3 * CAP);
    draw_both(&h[1], 64 * 3 * CAP);
    rng_tee_stats st;
    rng_tee_get_stats(t, &st);
    cr_assert_eq(st.computed[0], 3 * CAP);
    cr_assert_eq(st.stored[0], CAP);
    cr_assert_eq(st.served[1], CAP);
    cr_assert_eq(st.computed[1], 2 * CAP);
    cr_assert_eq(st.stored[1], 0);
    /* now the other way round, in pieces: holder 1 leads by less than the bound, all of it is served */
    for (int k = 0; k < 4; k++) draw_both(&h[1], 64 * 7 + 5);
    for (int k = 0; k < 3; k++) draw_both(&h[0], 604);
    rng_tee_stats st2;
    rng_tee_get_stats(t, &st2);
    cr_assert_eq(st2.computed[0], st.computed[0], "holder 0 computed blocks holder 1 had kept");
    cr_assert_eq(st2.served[0], 29);
    rng_tee_destroy(t);
}

/* Equal steps (mpc_przs on P0 and P1): the follower computes nothing. */
Test(rng_tee, lockstep_follower_computes_nothing)
{
    rng_tee *t = rng_tee_create(1 << 20);
    holder h[2];
    holder_init(&h[0], t, 0);
    holder_init(&h[1], t, 1);
    for (size_t n = 8; n < 40000; n = n * 3 + 8) {
        draw_both(&h[0], n);
        draw_both(&h[1], n);
    }
    rng_tee_stats st;
    rng_tee_get_stats(t, &st);
    cr_assert_eq(st.computed[1], 0);
    cr_assert_eq(st.served[1], st.computed[0]);
    rng_tee_destroy(t);
}

/* A holder of another stream is refused (it would be served the wrong bytes). */
Test(rng_tee, another_stream_is_refused, .signal = SIGABRT)
{
    rng_tee *t = rng_tee_create(4096);
    rng a, b;
    rng_seed(&a, 1, 2);
    rng_seed(&b, 1, 3);
    rng_tee_attach(t, &a, 0);
    rng_tee_attach(t, &b, 1);
}

/* Takes stay intact while their taker runs ahead (D replays a party's draws in place, then draws past
 * them in the same request): its own kept blocks never overwrite what it took; the other holder's next
 * draw ends that. The owner cannot take. */
Test(rng_tee, takes_survive_the_takers_lead)
{
    rng_tee *t = rng_tee_create(64 * 16);
    holder h[2];
    holder_init(&h[0], t, 0);
    holder_init(&h[1], t, 1);
    draw_both(&h[0], 640);
    cr_assert_null(rng_tee_take(&h[0].viat, 64), "the owner took its own blocks");
    uint8_t *a = rng_tee_take(&h[1].viat, 320), *b = rng_tee_take(&h[1].viat, 312);
    cr_assert(a && b);
    uint8_t want[632];
    rng_bytes(&h[1].plain, want, sizeof want);
    rng_tee_stats st;
    rng_tee_get_stats(t, &st);
    cr_assert_eq(st.served[1], 10, "the takes: blocks 0..9");
    for (int k = 0; k < 5; k++) draw_both(&h[1], 400);
    cr_assert(!memcmp(a, want, 320) && !memcmp(b, want + 320, 312), "a taken block was overwritten");
    for (int k = 0; k < 6; k++) draw_both(&h[0], 400);
    draw_both(&h[1], 3000);
    draw_both(&h[0], 3000);
    rng_tee_get_stats(t, &st);
    cr_assert_gt(st.stored[1], 0, "the taker never led");
    rng_tee_destroy(t);
}

/* test_common.c -- fixed point (known answers, negatives, wraparound), the ChaCha20 PRG and the
 * scratch arena (reuse, alignment, out-of-order frees). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include "../common/arena.h"
#include "../common/fx.h"
#include "../common/par.h"
#include "../common/rng.h"
#include "../common/rng_internal.h"

Test(fx, known_answers)
{
    /* f = 16: 1.0 -> 2^16, -1.0 -> 2^64 - 2^16, 0.5 -> 2^15, trunc toward zero. */
    static const struct { double x; uint64_t v; } kat[] = {
        {0.0, 0},
        {1.0, 65536},
        {-1.0, 0xFFFFFFFFFFFF0000ull},
        {0.5, 32768},
        {-0.5, 0xFFFFFFFFFFFF8000ull},
        {1.0 / 65536, 1},
        {-1.0 / 65536, 0xFFFFFFFFFFFFFFFFull},
        {0.99999 / 65536, 0},          /* truncates toward zero */
        {-0.99999 / 65536, 0},         /* toward zero, not -1 */
        {-1.99998, 0xFFFFFFFFFFFE0002ull}, /* CrypTen's decoder gets this one wrong (4.6) */
        {3.25, 212992},
        {-12345.5, (uint64_t)(int64_t)-809074688},
    };
    for (size_t i = 0; i < sizeof kat / sizeof *kat; i++) {
        cr_expect_eq(fx_encode(kat[i].x, 16), kat[i].v, "encode(%g)", kat[i].x);
    }
    cr_expect_eq(fx_decode(0xFFFFFFFFFFFF0000ull, 16), -1.0);
    cr_expect_eq(fx_decode(0xFFFFFFFFFFFFFFFFull, 16), -1.0 / 65536);
    cr_expect_eq(fx_decode(0xFFFFFFFFFFFE0002ull, 16), -131070.0 / 65536); /* -1.999969..., not -2.99998 */
    cr_expect_eq(fx_decode(0x8000000000000000ull, 16), -140737488355328.0);
    cr_expect_eq(fx_decode(212992, 16), 3.25);
}

Test(fx, roundtrip_and_ring_wraparound)
{
    rng r;
    rng_seed(&r, 1, 0);
    for (int i = 0; i < 10000; i++) {
        double x = rng_range(&r, -1e6, 1e6);
        uint64_t v = fx_encode(x, 16);
        cr_assert(fabs(fx_decode(v, 16) - x) < 1.0 / 65536, "roundtrip %g", x);
        /* Additive shares wrap mod 2^64 and still decode to x. */
        uint64_t s0 = rng_u64(&r), s1 = v - s0;
        cr_assert_eq(fx_decode(s0 + s1, 16), fx_decode(v, 16));
    }
    /* Other precisions. */
    cr_expect_eq(fx_encode(1.0, 20), 1ull << 20);
    cr_expect_eq(fx_decode(fx_encode(-2.5, 8), 8), -2.5);
    cr_expect_eq(fx_range(16), ldexp(1, 47));
}

Test(fx, local_truncation_rounds_toward_zero)
{
    cr_expect_eq(fx_div_trunc((uint64_t)(int64_t)-7, 2), (uint64_t)(int64_t)-3);
    cr_expect_eq(fx_div_trunc(7, 2), 3);
    cr_expect_eq(fx_div_trunc(fx_encode(-1.5, 16) * 65536, 65536), fx_encode(-1.5, 16));
}

Test(rng, chacha20_known_answer)
{
    /* ChaCha20 (20 rounds, 64-bit nonce) with all-zero key and nonce, block 0: the classic
     * test vector (draft-strombergson-chacha-test-vectors TC1). */
    static const uint8_t expect[64] = {
        0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd, 0x28,
        0xbd, 0xd2, 0x19, 0xb8, 0xa0, 0x8d, 0xed, 0x1a, 0xa8, 0x36, 0xef, 0xcc, 0x8b, 0x77, 0x0d, 0xc7,
        0xda, 0x41, 0x59, 0x7c, 0x51, 0x57, 0x48, 0x8d, 0x77, 0x24, 0xe0, 0x3f, 0xb8, 0xd8, 0x4a, 0x37,
        0x6a, 0x43, 0xb8, 0xf4, 0x15, 0x18, 0xa1, 0x1c, 0xc3, 0x87, 0xb6, 0x69, 0xb2, 0xee, 0x65, 0x86,
    };
    uint8_t key[32] = {0}, nonce[8] = {0}, out[64];
    rng r;
    rng_init_key(&r, key, nonce);
    rng_bytes(&r, out, 64);
    cr_assert_arr_eq(out, expect, 64);
}

/* The AVX-512 kernel gives libsodium's bytes: group starts around the 32-bit counter carry (word 13),
 * at 2^64 - 16 (the counter wraps), odd lengths (groups of 16 plus a reference tail), random keys and
 * nonces. Skipped (with a message) on a CPU without AVX-512. */
Test(rng, avx512_keystream_matches_libsodium)
{
    if (!rng_impl_available_(RNG_IMPL_AVX512)) {
        cr_log_warn("no AVX-512 on this CPU: kernel not tested");
        return;
    }
    static const uint64_t ctrs[] = {0, 1, 5, 0xFFFFFFF0u, 0xFFFFFFF7u, 0xFFFFFFFFu, UINT64_C(0x1FFFFFFF9),
                                    UINT64_MAX - 15, UINT64_MAX - 40};
    static const size_t lens[] = {1, 15, 16, 17, 33, 48, 100};
    rng kr;
    rng_seed(&kr, 77, 3);
    uint8_t a[101 * 64], b[101 * 64];
    for (size_t i = 0; i < sizeof ctrs / sizeof *ctrs; i++)
        for (size_t j = 0; j < sizeof lens / sizeof *lens; j++) {
            uint8_t key[32], nonce[8];
            rng_bytes(&kr, key, sizeof key);
            rng_bytes(&kr, nonce, sizeof nonce);
            memset(a, 0xAA, sizeof a), memset(b, 0x55, sizeof b);
            rng_keystream_(a, key, nonce, ctrs[i], lens[j], RNG_IMPL_REF);
            rng_keystream_(b, key, nonce, ctrs[i], lens[j], RNG_IMPL_AVX512);
            cr_assert_arr_eq(a, b, lens[j] * 64, "counter %llu, %zu blocks", (unsigned long long)ctrs[i], lens[j]);
            cr_assert_eq(a[lens[j] * 64], 0xAA); /* nothing written past the end */
            cr_assert_eq(b[lens[j] * 64], 0x55);
        }
}

Test(rng, chunking_does_not_change_the_stream)
{
    rng a, b;
    rng_seed(&a, 42, 7);
    rng_seed(&b, 42, 7);
    uint8_t x[1000], y[1000];
    rng_bytes(&a, x, sizeof x);
    size_t off = 0, step = 1;
    while (off < sizeof y) {
        size_t n = step < sizeof y - off ? step : sizeof y - off;
        rng_bytes(&b, y + off, n);
        off += n;
        step = step * 3 + 1;
    }
    cr_assert_arr_eq(x, y, sizeof x);
}

/* rng_skip leaves the state rng_bytes leaves: for any position in the buffered block and any skip
 * (within it, to its end, whole blocks, whole blocks and a part), the following bytes are the same. */
Test(rng, skip_equals_drawing_the_bytes)
{
    static const size_t pre[] = {0, 1, 8, 63, 64, 100};
    static const size_t skip[] = {0, 1, 7, 56, 63, 64, 65, 128, 1000, 64 * 1024 + 3, 3 * 64 * 1024};
    static uint8_t sink[3 * 64 * 1024 + 64];
    for (size_t i = 0; i < sizeof pre / sizeof *pre; i++)
        for (size_t k = 0; k < sizeof skip / sizeof *skip; k++) {
            rng a, b;
            rng_seed(&a, 5, 9);
            rng_seed(&b, 5, 9);
            uint8_t x[200], y[200];
            rng_bytes(&a, x, pre[i]);
            rng_bytes(&b, y, pre[i]);
            rng_bytes(&a, sink, skip[k]);
            rng_skip(&b, skip[k]);
            rng_bytes(&a, x, sizeof x);
            rng_bytes(&b, y, sizeof y);
            cr_assert_arr_eq(x, y, sizeof x, "after %zu bytes, skipping %zu", pre[i], skip[k]);
        }
}

/* Long runs are expanded on the kernel threads (64 KiB a part): the stream is the same for 1 and 2
 * threads and equals the byte-by-byte stream (block counters continue across calls). */
Test(rng, threads_do_not_change_the_stream)
{
    size_t n = 600000 + 13;
    uint8_t *x = malloc(n), *y = malloc(n), *z = malloc(n);
    int saved = par_threads();
    rng a, b, c;
    rng_seed(&a, 9, 1), rng_seed(&b, 9, 1), rng_seed(&c, 9, 1);
    par_set_threads(1);
    rng_bytes(&a, x, 7);
    rng_bytes(&a, x + 7, n - 7);
    par_set_threads(2);
    rng_bytes(&b, y, 7);
    rng_bytes(&b, y + 7, n - 7);
    for (size_t off = 0; off < n; off += 4096) rng_bytes(&c, z + off, n - off < 4096 ? n - off : 4096);
    cr_assert_arr_eq(x, y, n);
    cr_assert_arr_eq(x, z, n);
    cr_assert_eq(rng_u64(&a), rng_u64(&b));
    par_set_threads(saved);
    free(x), free(y), free(z);
}

Test(rng, seeds_and_streams_are_independent)
{
    rng a, b, c;
    rng_seed(&a, 1, 0);
    rng_seed(&b, 1, 1);
    rng_seed(&c, 2, 0);
    uint64_t xa = rng_u64(&a), xb = rng_u64(&b), xc = rng_u64(&c);
    cr_expect_neq(xa, xb);
    cr_expect_neq(xa, xc);
    /* Same seed and stream reproduce. */
    rng d;
    rng_seed(&d, 1, 0);
    cr_expect_eq(rng_u64(&d), xa);
}

Test(rng, uniform_moments)
{
    rng r;
    rng_seed(&r, 9, 9);
    double s = 0, s2 = 0;
    int n = 100000;
    for (int i = 0; i < n; i++) {
        double u = rng_uniform(&r);
        cr_assert(u >= 0 && u < 1);
        s += u;
        s2 += u * u;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    cr_expect(fabs(mean - 0.5) < 0.005, "mean %g", mean);
    cr_expect(fabs(var - 1.0 / 12) < 0.002, "var %g", var);
}

Test(arena, reuses_memory_across_ops_and_frees_in_any_order)
{
    arena *a = arena_create();
    /* An "op": five temporaries of 3 MiB, freed first-in first-out (as mpc_mul frees them). */
    uint8_t *first[5];
    for (int op = 0; op < 20; op++) {
        uint8_t *p[5];
        for (int i = 0; i < 5; i++) {
            p[i] = arena_block_alloc(a, (3u << 20) + (size_t)i);
            cr_assert_eq((uintptr_t)p[i] % 64, 0, "64-byte aligned");
            memset(p[i], op + i, (3u << 20) + (size_t)i); /* blocks do not overlap: checked below */
        }
        for (int i = 0; i < 5; i++) cr_assert_eq(p[i][(3u << 20) - 1], (uint8_t)(op + i));
        if (op == 0) memcpy(first, p, sizeof p);
        else
            for (int i = 0; i < 5; i++) cr_assert_eq(p[i], first[i], "op %d reuses block %d's memory", op, i);
        for (int i = 0; i < 5; i++) arena_block_free(p[i]);
    }
    /* Chunks are allocated while the first op grows the arena, never after. */
    size_t chunks = arena_chunk_allocs(a);
    cr_assert_leq(chunks, 4);
    cr_assert_geq(arena_peak(a), 5 * (3u << 20));
    /* Nested: a long-lived block under short ones; freeing the long one first keeps the others valid. */
    uint64_t *h = arena_block_alloc(a, 1000 * 8), *t = arena_block_alloc(a, 2000 * 8);
    for (int i = 0; i < 1000; i++) h[i] = (uint64_t)i;
    for (int i = 0; i < 2000; i++) t[i] = 7;
    arena_block_free(h);
    uint64_t *u = arena_block_alloc(a, 10 * 8); /* must not land on t */
    for (int i = 0; i < 10; i++) u[i] = 9;
    for (int i = 0; i < 2000; i++) cr_assert_eq(t[i], 7u);
    arena_block_free(t);
    arena_block_free(u);
    cr_assert_eq(arena_chunk_allocs(a), chunks);
    arena_block_free(NULL);
    arena_destroy(a);
    /* Without an arena: the same interface over malloc. */
    void *m = arena_block_alloc(NULL, 100);
    cr_assert_eq((uintptr_t)m % 64, 0);
    arena_block_free(m);
    arena_destroy(NULL);
}

static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* arena_prefault touches every chunk page above the live blocks: what a phantom-probe run reserved is
 * then written without page faults, and live blocks keep their contents. */
Test(arena, prefault_touches_the_reserved_pages_and_keeps_live_blocks)
{
    arena *a = arena_create();
    cr_assert_eq(arena_prefault(NULL), 0);
    /* Grow the arena as an op would (blocks never written: a probe), keeping one small live block. */
    uint64_t *keep = arena_block_alloc(a, 64 * 8);
    for (int i = 0; i < 64; i++) keep[i] = 0x1234 + (uint64_t)i;
    void *p[4];
    for (int i = 0; i < 4; i++) p[i] = arena_block_alloc(a, (size_t)(6 + i) << 20);
    for (int i = 3; i >= 0; i--) arena_block_free(p[i]);
    size_t reserved = arena_reserved(a), chunks = arena_chunk_allocs(a);
    size_t touched = arena_prefault(a);
    cr_assert_gt(touched, reserved - 4096, "prefault touched %zu of %zu reserved bytes", touched, reserved);
    cr_assert_leq(touched, reserved);
    for (int i = 0; i < 64; i++) cr_assert_eq(keep[i], 0x1234 + (uint64_t)i, "live block kept");
    /* The same blocks again, written whole: no new chunk, (almost) no page fault. */
    long f0 = minor_faults();
    for (int i = 0; i < 4; i++) {
        p[i] = arena_block_alloc(a, (size_t)(6 + i) << 20);
        memset(p[i], i + 1, (size_t)(6 + i) << 20);
    }
    long faults = minor_faults() - f0;
    for (int i = 3; i >= 0; i--) arena_block_free(p[i]);
    cr_assert_eq(arena_chunk_allocs(a), chunks);
#if !defined(__SANITIZE_ADDRESS__)
    cr_assert_leq(faults, 8, "%ld page faults writing 30 MiB of prefaulted blocks", faults);
#else
    (void)faults; /* ASan's shadow memory takes its own page faults */
#endif
    arena_block_free(keep);
    arena_destroy(a);
}

/* rng.c -- ChaCha20 keystream PRG (original 64-bit nonce): libsodium's crypto_stream_chacha20, or the
 * same bytes 16 blocks at a time with AVX-512 where the CPU has it (rng_internal.h). */
#include "rng.h"

#include <math.h>
#include <string.h>

#include <sodium.h>

#include "chk.h"
#include "par.h"
#include "rng_internal.h"
#include "rng_tee.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(MPCSIM_NO_CLONES)
#define RNG_HAVE_AVX512 1
#include <immintrin.h>
#else
#define RNG_HAVE_AVX512 0
#endif

/* ---- keystream kernels (rng_internal.h) ---- */

static void keystream_ref(uint8_t *out, const uint8_t key[32], const uint8_t nonce[8], uint64_t ctr, size_t nblocks)
{
    memset(out, 0, nblocks * 64);
    crypto_stream_chacha20_xor_ic(out, out, nblocks * 64, nonce, ctr, key);
}

#if RNG_HAVE_AVX512
/* GCC: O3 and the unrolled rounds let its register allocator keep more of the two groups' 32 state
 * registers live (about 7 GB/s at -O2, 9-10 at O3, one core). */
#if defined(__clang__)
#define RNG_AVX512 __attribute__((target("avx512f")))
#else
#define RNG_AVX512 __attribute__((target("avx512f"), optimize("O3")))
#endif

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define QR(a, b, c, d)                                                                                        \
    do {                                                                                                      \
        a = _mm512_add_epi32(a, b), d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 16);                       \
        c = _mm512_add_epi32(c, d), b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 12);                        \
        a = _mm512_add_epi32(a, b), d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 8);                         \
        c = _mm512_add_epi32(c, d), b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 7);                         \
    } while (0)

/* Block counters ctr .. ctr + 15 of one group: state words 12 (low) and 13 (high plus the carry of
 * the low addition). */
RNG_AVX512 static inline void counters(__m512i *w12, __m512i *w13, uint64_t ctr)
{
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m512i lo = _mm512_add_epi32(_mm512_set1_epi32((int)(uint32_t)ctr), lane);
    __m512i hi = _mm512_set1_epi32((int)(uint32_t)(ctr >> 32));
    __mmask16 carry = _mm512_cmplt_epu32_mask(lo, lane);
    *w12 = lo;
    *w13 = _mm512_mask_add_epi32(hi, carry, hi, _mm512_set1_epi32(1));
}

/* Feed-forward of one group (x += input state) and its 16 blocks out in order: a 16 x 16 transpose of
 * 32-bit words (unpack within 128-bit lanes, then 128-bit lane shuffles). Little-endian stores: x86
 * is. */
RNG_AVX512 static inline void finish(uint8_t *o, __m512i x[16], const uint32_t s[16], __m512i w12, __m512i w13)
{
    for (int i = 0; i < 16; i++)
        x[i] = _mm512_add_epi32(x[i], i == 12 ? w12 : i == 13 ? w13 : _mm512_set1_epi32((int)s[i]));
    /* y[b][q]: 128-bit lane L holds words 4q..4q+3 of block 4L + b. */
    __m512i y[4][4];
    for (int q = 0; q < 4; q++) {
        __m512i t0 = _mm512_unpacklo_epi32(x[4 * q], x[4 * q + 1]), t1 = _mm512_unpackhi_epi32(x[4 * q], x[4 * q + 1]);
        __m512i t2 = _mm512_unpacklo_epi32(x[4 * q + 2], x[4 * q + 3]);
        __m512i t3 = _mm512_unpackhi_epi32(x[4 * q + 2], x[4 * q + 3]);
        y[0][q] = _mm512_unpacklo_epi64(t0, t2), y[1][q] = _mm512_unpackhi_epi64(t0, t2);
        y[2][q] = _mm512_unpacklo_epi64(t1, t3), y[3][q] = _mm512_unpackhi_epi64(t1, t3);
    }
    for (int b = 0; b < 4; b++) {
        __m512i u0 = _mm512_shuffle_i32x4(y[b][0], y[b][1], 0x44), u1 = _mm512_shuffle_i32x4(y[b][0], y[b][1], 0xEE);
        __m512i u2 = _mm512_shuffle_i32x4(y[b][2], y[b][3], 0x44), u3 = _mm512_shuffle_i32x4(y[b][2], y[b][3], 0xEE);
        _mm512_storeu_si512(o + (0 + b) * 64, _mm512_shuffle_i32x4(u0, u2, 0x88));
        _mm512_storeu_si512(o + (4 + b) * 64, _mm512_shuffle_i32x4(u0, u2, 0xDD));
        _mm512_storeu_si512(o + (8 + b) * 64, _mm512_shuffle_i32x4(u1, u3, 0x88));
        _mm512_storeu_si512(o + (12 + b) * 64, _mm512_shuffle_i32x4(u1, u3, 0xDD));
    }
}

/* Two quarter rounds of two groups, their steps interleaved. One group has four independent chains of
 * dependent steps per half round, and on this machine (Zen 5) AVX-512 integer adds, xors and rotates
 * take 2 cycles of latency: one group at a time left the vector units waiting half the time (about
 * 6 GB/s); two groups give eight chains. */
#define QR2(a, b, c, d, e, f, g, h)                                                                          \
    do {                                                                                                      \
        a = _mm512_add_epi32(a, b), e = _mm512_add_epi32(e, f);                                              \
        d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 16), h = _mm512_rol_epi32(_mm512_xor_si512(h, e), 16);  \
        c = _mm512_add_epi32(c, d), g = _mm512_add_epi32(g, h);                                              \
        b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 12), f = _mm512_rol_epi32(_mm512_xor_si512(f, g), 12);  \
        a = _mm512_add_epi32(a, b), e = _mm512_add_epi32(e, f);                                              \
        d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 8), h = _mm512_rol_epi32(_mm512_xor_si512(h, e), 8);    \
        c = _mm512_add_epi32(c, d), g = _mm512_add_epi32(g, h);                                              \
        b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 7), f = _mm512_rol_epi32(_mm512_xor_si512(f, g), 7);    \
    } while (0)

/* 16 blocks a group: register i holds state word i of blocks ctr .. ctr + 15 (one per 32-bit lane);
 * two groups (32 blocks) at a time, then a last lone group. Whole groups of 16 only; the caller does
 * the rest with the reference. */
RNG_AVX512 static void keystream_avx512(uint8_t *out, const uint8_t key[32], const uint8_t nonce[8], uint64_t ctr,
                                        size_t ngroups)
{
    uint32_t s[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
    for (int i = 0; i < 8; i++) s[4 + i] = le32(key + 4 * i);
    s[14] = le32(nonce), s[15] = le32(nonce + 4);
    size_t g = 0;
    for (; g + 2 <= ngroups; g += 2, ctr += 32) {
        __m512i x[16], y[16], x12, x13, y12, y13;
        counters(&x12, &x13, ctr);
        counters(&y12, &y13, ctr + 16);
        for (int i = 0; i < 16; i++) x[i] = y[i] = _mm512_set1_epi32((int)s[i]);
        x[12] = x12, x[13] = x13, y[12] = y12, y[13] = y13;
        _Pragma("GCC unroll 10") for (int r = 0; r < 10; r++) {
            QR2(x[0], x[4], x[8], x[12], y[0], y[4], y[8], y[12]);
            QR2(x[1], x[5], x[9], x[13], y[1], y[5], y[9], y[13]);
            QR2(x[2], x[6], x[10], x[14], y[2], y[6], y[10], y[14]);
            QR2(x[3], x[7], x[11], x[15], y[3], y[7], y[11], y[15]);
            QR2(x[0], x[5], x[10], x[15], y[0], y[5], y[10], y[15]);
            QR2(x[1], x[6], x[11], x[12], y[1], y[6], y[11], y[12]);
            QR2(x[2], x[7], x[8], x[13], y[2], y[7], y[8], y[13]);
            QR2(x[3], x[4], x[9], x[14], y[3], y[4], y[9], y[14]);
        }
        finish(out + g * 1024, x, s, x12, x13);
        finish(out + (g + 1) * 1024, y, s, y12, y13);
    }
    if (g < ngroups) {
        __m512i x[16], x12, x13;
        counters(&x12, &x13, ctr);
        for (int i = 0; i < 16; i++) x[i] = _mm512_set1_epi32((int)s[i]);
        x[12] = x12, x[13] = x13;
        for (int r = 0; r < 10; r++) {
            QR(x[0], x[4], x[8], x[12]);
            QR(x[1], x[5], x[9], x[13]);
            QR(x[2], x[6], x[10], x[14]);
            QR(x[3], x[7], x[11], x[15]);
            QR(x[0], x[5], x[10], x[15]);
            QR(x[1], x[6], x[11], x[12]);
            QR(x[2], x[7], x[8], x[13]);
            QR(x[3], x[4], x[9], x[14]);
        }
        finish(out + g * 1024, x, s, x12, x13);
    }
}
#undef QR2
#undef RNG_AVX512
#undef QR
#endif

int rng_impl_available_(int impl)
{
    switch (impl) {
    case RNG_IMPL_AUTO:
    case RNG_IMPL_REF: return 1;
#if RNG_HAVE_AVX512
    case RNG_IMPL_AVX512: return __builtin_cpu_supports("avx512f");
#endif
    default: return 0;
    }
}

void rng_keystream_(uint8_t *out, const uint8_t key[32], const uint8_t nonce[8], uint64_t ctr, size_t nblocks,
                    int impl)
{
#if RNG_HAVE_AVX512
    static int fast = -1; /* AUTO: AVX-512 when the CPU has it (benign race: every thread computes the same) */
    if (fast < 0) fast = rng_impl_available_(RNG_IMPL_AVX512);
    if (impl == RNG_IMPL_AVX512 || (impl == RNG_IMPL_AUTO && fast)) {
        CHECK(fast, "the AVX-512 ChaCha20 kernel on a CPU without AVX-512");
        size_t g = nblocks / 16;
        keystream_avx512(out, key, nonce, ctr, g);
        out += g * 1024, ctr += g * 16, nblocks -= g * 16;
    }
#else
    CHECK(impl != RNG_IMPL_AVX512, "this build has no AVX-512 ChaCha20 kernel");
#endif
    if (nblocks) keystream_ref(out, key, nonce, ctr, nblocks);
}


void rng_init_key(rng *r, const uint8_t key[32], const uint8_t nonce[8])
{
    CHECK(sodium_init() >= 0, "libsodium failed to initialise");
    memcpy(r->key, key, 32);
    memcpy(r->nonce, nonce, 8);
    r->block = 0;
    r->pos = sizeof r->buf;
    r->tee = NULL;
    r->tee_side = 0;
}

void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
    static const char label[] = "mpcsim rng";
    uint8_t in[sizeof label + 16], key[32], nonce[8] = {0};
    memcpy(in, label, sizeof label);
    for (int i = 0; i < 8; i++) {
        in[sizeof label + i] = (uint8_t)(seed >> (8 * i));
        in[sizeof label + 8 + i] = (uint8_t)(stream >> (8 * i));
    }
    CHECK(sodium_init() >= 0, "libsodium failed to initialise");
    crypto_generichash(key, sizeof key, in, sizeof in, NULL, 0);
    rng_init_key(r, key, nonce);
}

typedef struct prg_job {
    uint8_t *o;
    const rng *r;
    uint64_t ctr;
} prg_job;

/* Blocks [lo, hi) of a run: ChaCha20 is seekable, block b is keystream block ctr + b. */
static void prg_part(void *ud, size_t lo, size_t hi)
{
    const prg_job *j = ud;
    rng_keystream_(j->o + lo * 64, j->r->key, j->r->nonce, j->ctr + lo, hi - lo, RNG_IMPL_AUTO);
}

void rng_blocks_compute_(const rng *r, uint8_t *out, uint64_t ctr, size_t nblocks)
{
    if (nblocks == 1) { /* a lone block (the buffered one): libsodium, no thread pool */
        keystream_ref(out, r->key, r->nonce, ctr, 1);
        return;
    }
    /* On all kernel threads, 64 KiB at least a part: the same stream for any thread count. */
    prg_job j = {out, r, ctr};
    par_for(nblocks, 1024, prg_part, &j);
}

/* Blocks r->block .. + nblocks - 1 into out (from the tee when r has one), and r past them. */
static void blocks(rng *r, uint8_t *out, size_t nblocks)
{
    if (r->tee) rng_tee_blocks_(r->tee, r->tee_side, r, out, r->block, nblocks);
    else rng_blocks_compute_(r, out, r->block, nblocks);
    r->block += nblocks;
}

static void rng_refill(rng *r)
{
    blocks(r, r->buf, 1);
    r->pos = 0;
}

void rng_bytes(rng *r, void *out, size_t n)
{
    uint8_t *o = out;
    /* Drain the buffered block first. */
    while (n > 0 && r->pos < sizeof r->buf) {
        *o++ = r->buf[r->pos++];
        n--;
    }
    /* Whole blocks straight into the output. */
    size_t whole = n / 64;
    if (whole > 0) {
        blocks(r, o, whole);
        o += whole * 64;
        n -= whole * 64;
    }
    if (n > 0) {
        rng_refill(r);
        memcpy(o, r->buf, n);
        r->pos = (unsigned)n;
    }
}

void rng_skip(rng *r, uint64_t n)
{
    uint64_t buffered = sizeof r->buf - r->pos, take = n < buffered ? n : buffered;
    r->pos += (unsigned)take;
    n -= take;
    r->block += n / 64;
    if (n % 64) {
        rng_refill(r);
        r->pos = (unsigned)(n % 64);
    }
}

void rng_fill_u64(rng *r, uint64_t *out, size_t n)
{
    rng_bytes(r, out, n * sizeof *out);
    /* Little-endian interpretation, so streams match across hosts. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < n; i++) out[i] = __builtin_bswap64(out[i]);
#endif
}

uint64_t rng_u64(rng *r)
{
    uint64_t v;
    rng_fill_u64(r, &v, 1);
    return v;
}

double rng_uniform(rng *r)
{
    return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

double rng_range(rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rng_uniform(r);
}

double rng_normal(rng *r)
{
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

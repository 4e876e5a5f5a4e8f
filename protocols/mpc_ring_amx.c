/* mpc_ring_amx.c -- Z += X @ Y mod 2^64 on Intel AMX (tile matrix multiply of unsigned bytes), declared
 * in mpc_ring_internal.h; the tests compare it with mpc_ring_matmul_naive word for word.
 *
 * Why: on Intel cores AVX-512's 64-bit multiply (vpmullq) is three micro-ops, so the AVX-512 kernel
 * (mpc_ring.c) stays near 12-13 GMAC/s on one core of this machine (an Intel Xeon with AMX,
 * results/bench_kernels.csv), where Zen 5 does 28-38. AMX multiplies bytes 1024 at a cycle.
 *
 * Method: split every word into its 8 bytes, X = sum_i X_i 2^(8i), Y = sum_j Y_j 2^(8j) (X_i, Y_j
 * matrices of bytes). Then Z += sum_d S_d 2^(8d) mod 2^64 with S_d = sum_{i+j=d} X_i @ Y_j, d = 0..7
 * (pairs with i + j >= 8 vanish mod 2^64): 36 byte products of one 16 x 16 output tile and 64 steps
 * of k each (TDPBUUD, 32-bit accumulators). Exactness: a byte product is < 2^16, so S_d over at most
 * FLUSH_K = 4096 steps of k is < (d + 1) 2^28 <= 2^30 for d <= 3: exact in 32 bits; for d >= 4 only
 * S_d mod 2^(64 - 8d), at most 32 bits, survives the shift, and 32-bit wrap-around keeps exactly those.
 * After every k block of 1024 steps (at most FLUSH_K) the accumulators are added into Z (64-bit lanes, shifted). Eight tile
 * registers hold four accumulators (d = 0..3, then a second pass d = 4..7) and four operands.
 *
 * Summed operands: Z += (X + X1) @ (Y + Y1 + Y2) (mpc_ring_matmul_acc_sum) adds the parts while
 * packing, so a Beaver product's opened E and D are never written out as sums.
 *
 * Layout: Y is packed one k block (1024 steps) at a time, just before that block's products, into
 * byte planes in the tile layout TDPBUUD reads (per byte j and 16-column block, k in groups of 4: byte 4n + r of a 64-byte row is Y_j[4q + r][n]); each part's 16
 * rows of X into byte planes of 16 x 64 tiles. Packing transposes bytes with AVX-512 VBMI (vpermb)
 * and 8 x 8 word transposes. Edges are zero-padded (rows and columns to 16, k to 64); only Z's real
 * entries are loaded and stored.
 *
 * Availability: x86-64 Linux with AMX-TILE, AMX-INT8, AVX-512F/BW/VBMI, and the kernel's permission
 * to use the tile state (arch_prctl ARCH_REQ_XCOMP_PERM, asked once); GCC (its AMX intrinsics). Tile
 * configuration is per thread: each part loads it and releases the tiles when done. */
#define _DEFAULT_SOURCE /* syscall(2) under -std=c11 */
#include "mpc_ring_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../common/chk.h"
#include "../common/par.h"

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && \
    !defined(MPCSIM_NO_CLONES)
#define RING_AMX 1
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#else
#define RING_AMX 0
#endif

#if RING_AMX

/* 64-step chunks of k between flushes: FLUSH_K = 4096; and per k block (below): 1024 steps of k. */
enum { FLUSH_KC = 64, BLOCK_KC = 16 };

#define PK __attribute__((target("avx512f,avx512bw,avx512vbmi")))
#define TK __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw")))

/* The 64-byte tile configuration (palette 1): 8 tiles of 16 rows x 64 bytes. */
typedef struct tile_cfg {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_cfg;

/* 8 words -> word i holds byte i of each word (an 8 x 8 byte transpose). */
PK static inline __m512i bytes_by_limb(__m512i z)
{
    const __m512i idx = _mm512_set_epi8(63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37,
                                        29, 21, 13, 5, 60, 52, 44, 36, 28, 20, 12, 4, 59, 51, 43, 35, 27, 19, 11, 3,
                                        58, 50, 42, 34, 26, 18, 10, 2, 57, 49, 41, 33, 25, 17, 9, 1, 56, 48, 40, 32,
                                        24, 16, 8, 0);
    return _mm512_permutexvar_epi8(idx, z);
}

/* 8 x 8 transpose of words: o[j] word g = t[g] word j. */
PK static inline void transpose8(__m512i o[8], const __m512i t[8])
{
    __m512i u[8], v[8];
    for (int g = 0; g < 4; g++) {
        u[2 * g] = _mm512_unpacklo_epi64(t[2 * g], t[2 * g + 1]);     /* even j of t[2g], t[2g+1] */
        u[2 * g + 1] = _mm512_unpackhi_epi64(t[2 * g], t[2 * g + 1]); /* odd j */
    }
    const __m512i i1 = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0), i2 = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    for (int h = 0; h < 2; h++) { /* t[0..3] then t[4..7]: v[4h + ...] = j (0|4), (2|6), (1|5), (3|7) */
        v[4 * h + 0] = _mm512_permutex2var_epi64(u[4 * h], i1, u[4 * h + 2]);
        v[4 * h + 1] = _mm512_permutex2var_epi64(u[4 * h], i2, u[4 * h + 2]);
        v[4 * h + 2] = _mm512_permutex2var_epi64(u[4 * h + 1], i1, u[4 * h + 3]);
        v[4 * h + 3] = _mm512_permutex2var_epi64(u[4 * h + 1], i2, u[4 * h + 3]);
    }
    const __m512i lo = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0), hi = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
    static const int jlo[4] = {0, 2, 1, 3};
    for (int a = 0; a < 4; a++) {
        o[jlo[a]] = _mm512_permutex2var_epi64(v[a], lo, v[4 + a]);
        o[jlo[a] + 4] = _mm512_permutex2var_epi64(v[a], hi, v[4 + a]);
    }
}

/* Mask of the real words among 8 starting at index `at` of a row of `len` (0 when `live` is 0). */
static inline __mmask8 edge_mask(int live, size_t at, size_t len)
{
    if (!live || at >= len) return 0;
    return len - at >= 8 ? 0xFF : (__mmask8)((1u << (len - at)) - 1);
}

/* Rows [0, rows) of X (k columns), 64-step chunks [kc0, kc1) of k, into px: byte plane i (stride
 * BLOCK_KC KiB) of 16 x 64 tiles, chunk kc at kc - kc0; rows beyond `rows` and k beyond `k` are zero. */
PK static void pack_x(uint8_t *px, const uint64_t *X, const uint64_t *X1, size_t rows, size_t k, size_t kc0, size_t kc1)
{
    const size_t plane = BLOCK_KC * 1024;
    for (size_t kc = kc0; kc < kc1; kc++)
        for (size_t r = 0; r < 16; r++) {
            __m512i t[8], o[8];
            for (int g = 0; g < 8; g++) {
                size_t at = kc * 64 + 8 * (size_t)g;
                __mmask8 mk = edge_mask(r < rows, at, k);
                size_t off = mk ? r * k + at : 0;
                __m512i w = _mm512_maskz_loadu_epi64(mk, X + off);
                if (X1) w = _mm512_add_epi64(w, _mm512_maskz_loadu_epi64(mk, X1 + off));
                t[g] = bytes_by_limb(w);
            }
            transpose8(o, t);
            uint8_t *dst = px + ((kc - kc0) * 16 + r) * 64;
            for (int i = 0; i < 8; i++) _mm512_store_si512(dst + (size_t)i * plane, o[i]);
        }
}

/* Y (k x p) into py: byte plane j (stride ncb nq 64) of, per 16-column block cb, nq = 16 nkc rows of 64
 * bytes, byte 4n + r of row q being byte j of Y[4q + r][16 cb + n]; zero beyond k and p. (A layout
 * with Y's row order in the planes packs faster but its strided tile loads cost more.) */
PK static void pack_y(uint8_t *py, const uint64_t *Y, const uint64_t *Y1, const uint64_t *Y2, size_t k, size_t p,
                      size_t nq, size_t ncb)
{
    const size_t plane = ncb * nq * 64;
    uint8_t order[64]; /* after the transpose, byte 32h + 8r + n' holds column 8h + n' of row r */
    for (int h = 0; h < 2; h++)
        for (int r = 0; r < 4; r++)
            for (int n = 0; n < 8; n++) order[32 * h + 4 * n + r] = (uint8_t)(32 * h + 8 * r + n);
    const __m512i perm = _mm512_loadu_si512(order);
    enum { QB = 16 }; /* 64 rows of Y at a time: they stay in L2 across the column blocks */
    for (size_t q0 = 0; q0 < nq; q0 += QB)
        for (size_t cb = 0; cb < ncb; cb++)
            for (size_t q = q0; q < q0 + QB && q < nq; q++) {
                __m512i t[8], o[8];
                for (int h = 0; h < 2; h++)
                    for (int r = 0; r < 4; r++) {
                        size_t row = 4 * q + (size_t)r, col = cb * 16 + 8 * (size_t)h;
                        __mmask8 mk = edge_mask(row < k, col, p);
                        size_t off = mk ? row * p + col : 0;
                        __m512i w = _mm512_maskz_loadu_epi64(mk, Y + off);
                        if (Y1) w = _mm512_add_epi64(w, _mm512_maskz_loadu_epi64(mk, Y1 + off));
                        if (Y2) w = _mm512_add_epi64(w, _mm512_maskz_loadu_epi64(mk, Y2 + off));
                        t[4 * h + r] = bytes_by_limb(w);
                    }
                transpose8(o, t);
                uint8_t *dst = py + (cb * nq + q) * 64;
                for (int j = 0; j < 8; j++) _mm512_store_si512(dst + (size_t)j * plane, _mm512_permutexvar_epi8(perm, o[j]));
            }
}

/* Tile registers: accumulators 0..3, operands 4 (a byte plane of X) and 5..7 (of Y). */
#define LX(t, i) _tile_loadd(t, px + ((size_t)(i) * BLOCK_KC + kc - kc0) * 1024, 64)
#define LY(t, j) _tile_loadd(t, py + (((size_t)(j) * ncb + cb) * nq + kc * 16) * 64, 64)
#define DP(acc, a, b) _tile_dpbuud(acc, a, b)

/* One 64-step chunk kc: tiles 0..3 += S_0..S_3 (10 byte products). */
TK static inline __attribute__((always_inline)) void low_chunk(const uint8_t *px, const uint8_t *py, size_t kc0,
                                                              size_t ncb, size_t nq, size_t cb, size_t kc)
{
    LX(4, 0); LY(5, 0); LY(6, 1); LY(7, 2);
    DP(0, 4, 5); DP(1, 4, 6); DP(2, 4, 7); /* X0 Y0, X0 Y1, X0 Y2 */
    LX(4, 1);
    DP(1, 4, 5); DP(2, 4, 6); DP(3, 4, 7); /* X1 Y0, X1 Y1, X1 Y2 */
    LX(4, 2);
    DP(2, 4, 5); DP(3, 4, 6); /* X2 Y0, X2 Y1 */
    LX(4, 3);
    DP(3, 4, 5); /* X3 Y0 */
    LX(4, 0); LY(5, 3);
    DP(3, 4, 5); /* X0 Y3 */
}

/* One 64-step chunk kc: tiles 0..3 += S_4..S_7 (26 byte products, i + j = 4..7); the comments give
 * which byte plane of Y each of tiles 5, 6, 7 holds. */
TK static inline __attribute__((always_inline)) void high_chunk(const uint8_t *px, const uint8_t *py, size_t kc0,
                                                               size_t ncb, size_t nq, size_t cb, size_t kc)
{
    LX(4, 0); LY(5, 4); LY(6, 5); LY(7, 6);
    DP(0, 4, 5); DP(1, 4, 6); DP(2, 4, 7);
    LY(5, 7);
    DP(3, 4, 5); /* 5: Y7, 6: Y5, 7: Y6 */
    LX(4, 1);
    DP(3, 4, 7); DP(2, 4, 6);
    LY(7, 3);
    DP(0, 4, 7);
    LY(6, 4);
    DP(1, 4, 6); /* 5: Y7, 6: Y4, 7: Y3 */
    LX(4, 2);
    DP(2, 4, 6); DP(1, 4, 7);
    LY(5, 2);
    DP(0, 4, 5);
    LY(6, 5);
    DP(3, 4, 6); /* 5: Y2, 6: Y5, 7: Y3 */
    LX(4, 3);
    DP(1, 4, 5); DP(2, 4, 7);
    LY(6, 1);
    DP(0, 4, 6);
    LY(7, 4);
    DP(3, 4, 7); /* 5: Y2, 6: Y1, 7: Y4 */
    LX(4, 4);
    DP(2, 4, 5); DP(1, 4, 6);
    LY(7, 0);
    DP(0, 4, 7);
    LY(5, 3);
    DP(3, 4, 5); /* 5: Y3, 6: Y1, 7: Y0 */
    LX(4, 5);
    DP(1, 4, 7); DP(2, 4, 6);
    LY(5, 2);
    DP(3, 4, 5); /* 5: Y2, 6: Y1, 7: Y0 */
    LX(4, 6);
    DP(2, 4, 7); DP(3, 4, 6);
    LX(4, 7);
    DP(3, 4, 7);
}
#undef LX
#undef LY
#undef DP

/* Z (rows x cols of a row stride p) += sum_d acc[d] 2^(shift + 8d), acc[d] read as unsigned 32 bits. */
TK static void add_shifted(uint64_t *Z, size_t p, const int32_t acc[4][256], size_t rows, size_t cols, int shift)
{
    __mmask8 m0 = edge_mask(1, 0, cols), m1 = edge_mask(1, 8, cols);
    for (size_t r = 0; r < rows; r++) {
        __m512i a0 = _mm512_maskz_loadu_epi64(m0, Z + r * p), a1 = _mm512_maskz_loadu_epi64(m1, Z + r * p + (m1 ? 8 : 0));
        for (int d = 0; d < 4; d++) {
            __m512i s = _mm512_loadu_si512(acc[d] + r * 16);
            __m512i s0 = _mm512_cvtepu32_epi64(_mm512_castsi512_si256(s)), s1 = _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(s, 1));
            a0 = _mm512_add_epi64(a0, _mm512_sllv_epi64(s0, _mm512_set1_epi64(shift + 8 * d)));
            a1 = _mm512_add_epi64(a1, _mm512_sllv_epi64(s1, _mm512_set1_epi64(shift + 8 * d)));
        }
        _mm512_mask_storeu_epi64(Z + r * p, m0, a0);
        if (m1) _mm512_mask_storeu_epi64(Z + r * p + 8, m1, a1);
    }
}

/* The packing buffers: one per thread and role (0: Y's planes, packed by the caller; 1: a part's X
 * planes), kept and grown, never shrunk: fresh pages for every product cost more in the kernel's page
 * clearing than the packing itself. */
static _Thread_local struct packbuf {
    uint8_t *p;
    size_t n;
} packbuf[2];

static uint8_t *packbuf_get(int role, size_t n)
{
    struct packbuf *b = &packbuf[role];
    if (b->n < n) {
        free(b->p);
        b->p = aligned_alloc(64, n);
        CHECK(b->p, "out of memory (%zu bytes for the AMX kernel)", n);
        b->n = n;
    }
    return b->p;
}

typedef struct amx_job {
    uint64_t *Z;
    const uint64_t *X, *X1;
    const uint8_t *py; /* Y's planes of this k block */
    size_t m, k, p, k0, k1, nq, ncb;
} amx_job;

/* One k block (chunks [k0, k1), Y's planes of the block in py: 128 KiB per 16-column block, in L2
 * across the row blocks), row blocks [lo, hi) of 16 rows: per row block, pack its X for the k block,
 * then every 16-column block of Z. The caller packs each k block's Y just before its row blocks, so
 * the planes are written and read while they are in the cache (the one-hot embedding's Y, 8192 x 128,
 * packed whole, was 8 MiB of planes written to memory and fetched back). The sums are mod 2^64, so
 * their order changes no word. */
TK static void amx_part(void *ud, size_t lo, size_t hi)
{
    const amx_job *j = ud;
    const size_t nq = j->nq, ncb = j->ncb, p = j->p, k0 = j->k0, nkb = j->k1 - j->k0;
    const uint8_t *py = j->py;
    uint8_t *px = packbuf_get(1, 8 * BLOCK_KC * 1024);
    tile_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 8; t++) cfg.colsb[t] = 64, cfg.rows[t] = 16;
    _tile_loadconfig(&cfg);
    _Alignas(64) int32_t acc[4][256];
    _Static_assert(BLOCK_KC <= FLUSH_KC, "a k block is flushed whole");
    for (size_t rb = lo; rb < hi; rb++) {
        size_t r0 = rb * 16, rows = j->m - r0 < 16 ? j->m - r0 : 16;
        pack_x(px, j->X + r0 * j->k, j->X1 ? j->X1 + r0 * j->k : NULL, rows, j->k, k0, j->k1);
        for (size_t cb = 0; cb < ncb; cb++) {
            size_t cols = p - cb * 16 < 16 ? p - cb * 16 : 16;
            uint64_t *Zb = j->Z + r0 * p + cb * 16;
            _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
            for (size_t kc = 0; kc < nkb; kc++) low_chunk(px, py, 0, ncb, nq, cb, kc);
            _tile_stored(0, acc[0], 64); _tile_stored(1, acc[1], 64);
            _tile_stored(2, acc[2], 64); _tile_stored(3, acc[3], 64);
            add_shifted(Zb, p, (const int32_t(*)[256])acc, rows, cols, 0);
            _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
            for (size_t kc = 0; kc < nkb; kc++) high_chunk(px, py, 0, ncb, nq, cb, kc);
            _tile_stored(0, acc[0], 64); _tile_stored(1, acc[1], 64);
            _tile_stored(2, acc[2], 64); _tile_stored(3, acc[3], 64);
            add_shifted(Zb, p, (const int32_t(*)[256])acc, rows, cols, 32);
        }
    }
    _tile_release();
}

int mpc_ring_amx_available_(void)
{
    static int ok = -1; /* benign race: every thread computes the same */
    if (ok < 0) {
        int cpu = __builtin_cpu_supports("amx-tile") && __builtin_cpu_supports("amx-int8") &&
                  __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512vbmi");
        /* ARCH_REQ_XCOMP_PERM (0x1023) for XFEATURE_XTILEDATA (18): the kernel then saves the tile state. */
        ok = cpu && syscall(SYS_arch_prctl, 0x1023, 18) == 0;
    }
    return ok;
}

void mpc_ring_matmul_acc_amx_(uint64_t *Z, const uint64_t *X, const uint64_t *X1, const uint64_t *Y,
                              const uint64_t *Y1, const uint64_t *Y2, size_t m, size_t k, size_t p)
{
    CHECK(mpc_ring_amx_available_(), "the AMX ring matmul kernel on a CPU or OS without AMX");
    if (m == 0 || p == 0 || k == 0) return;
    size_t nkc = (k + 63) / 64, ncb = (p + 15) / 16;
    uint8_t *py = packbuf_get(0, 8 * ncb * (16 * BLOCK_KC) * 64);
    size_t nrb = (m + 15) / 16;
    for (size_t k0 = 0; k0 < nkc; k0 += BLOCK_KC) {
        size_t k1 = k0 + BLOCK_KC < nkc ? k0 + BLOCK_KC : nkc, nq = 16 * (k1 - k0), kr = 64 * k0;
        size_t kb = k - kr < 64 * (k1 - k0) ? k - kr : 64 * (k1 - k0); /* rows of Y in the block */
        pack_y(py, Y + kr * p, Y1 ? Y1 + kr * p : NULL, Y2 ? Y2 + kr * p : NULL, kb, p, nq, ncb);
        amx_job j = {Z, X, X1, py, m, k, p, k0, k1, nq, ncb};
        size_t per = 16 * kb * p, grain = per >= ((size_t)1 << 20) ? 1 : ((size_t)1 << 20) / per;
        par_for(nrb, grain, amx_part, &j);
    }
}

#else

int mpc_ring_amx_available_(void) { return 0; }

void mpc_ring_matmul_acc_amx_(uint64_t *Z, const uint64_t *X, const uint64_t *X1, const uint64_t *Y,
                              const uint64_t *Y1, const uint64_t *Y2, size_t m, size_t k, size_t p)
{
    (void)Z, (void)X, (void)X1, (void)Y, (void)Y1, (void)Y2, (void)m, (void)k, (void)p;
    CHECK(0, "this build has no AMX ring matmul kernel");
}

#endif

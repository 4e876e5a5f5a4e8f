/* mpc_ring.c -- the plaintext ring matmul kernels (Z = X @ Y mod 2^64), declared in mpc.h; the
 * implementations one by one in mpc_ring_internal.h (tests compare each with the naive one).
 *
 * Ring arithmetic is exact, so every kernel gives the naive kernel's words whatever its order of
 * summation, and so does every split over the kernel threads.
 *   portable  i-t-j order with row blocking: streams rows of Y, vectorises over j (the compiler's
 *             SIMD for the build's baseline); the tested reference of the fast paths, and the
 *             kernel where no other applies;
 *   avx2      the same loop compiled for AVX2 (the compiler splits the 64-bit products into 32-bit
 *             ones: AVX2 has no 64-bit multiply);
 *   avx512    register-blocked micro-kernel: for each block of KC steps of t, Y is packed in panels
 *             of KC x 24 columns (zero-padded at the right edge; 24 KB, stays in L1) and 8 rows x
 *             24 columns of Z stay in 24 zmm accumulators over the KC steps (AVX-512DQ's vpmullq
 *             multiplies the 64-bit lanes); the t block outermost, so X's rows of that block stay
 *             in L2 across the panels. The micro-kernel's loops over rows and vectors are unrolled
 *             by pragma: without it GCC -O2 kept the accumulators on the stack (10.5-14 GMAC/s).
 *             On this machine (Zen 5, one core, results/bench_kernels.csv, shared box) about
 *             38-45 GMAC/s at 128 x 128 x 512 and 28-38 at the one-hot embedding's
 *             128 x 8192 x 128, where X comes from memory (copying or packing X's rows, or
 *             prefetching them, measured no faster); the portable kernel about 2, AVX2 about 4.5-6.
 *   amx       Intel AMX: the words split into bytes, 36 byte products per tile (mpc_ring_amx.c);
 *             on this machine's Intel Xeon 21-32 GMAC/s where avx512 does 12-14 (vpmullq is three
 *             micro-ops there; results/bench_kernels.csv).
 * MPC_RING_AUTO picks amx for products of at least 16 x 64 x 16 when the CPU and OS allow it, else
 * avx512 when the CPU has AVX-512F and DQ, else avx2 when it has AVX2, else the portable kernel:
 * checked at run time (cpuid, arch_prctl), never assumed at build time. */
#include "mpc.h"
#include "mpc_ring_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../common/chk.h"
#include "../common/par.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(MPCSIM_NO_CLONES)
#define RING_X86 1
#include <immintrin.h>
#else
#define RING_X86 0
#endif

void mpc_ring_matmul_naive(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t m, size_t k, size_t p)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < p; j++) {
            uint64_t s = 0;
            for (size_t t = 0; t < k; t++) s += X[i * k + t] * Y[t * p + j];
            Z[i * p + j] = s;
        }
}

/* ---- portable (and AVX2) rows: Z[i0..i1) += X[i0..i1) @ Y ---- */

#define RING_ROWS_BODY                                                                                        \
    enum { TB = 64 };                                                                                         \
    for (size_t t0 = 0; t0 < k; t0 += TB) {                                                                   \
        size_t t1 = t0 + TB < k ? t0 + TB : k;                                                                \
        for (size_t i = i0; i < i1; i++) {                                                                    \
            uint64_t *zr = Z + i * p;                                                                         \
            for (size_t t = t0; t < t1; t++) {                                                                \
                uint64_t xv = X[i * k + t];                                                                   \
                const uint64_t *yr = Y + t * p;                                                               \
                for (size_t j = 0; j < p; j++) zr[j] += xv * yr[j];                                           \
            }                                                                                                 \
        }                                                                                                     \
    }

static void rows_portable(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t i0, size_t i1, size_t k, size_t p)
{
    RING_ROWS_BODY
}

#if RING_X86
#if defined(__clang__)
#define RING_AVX2 __attribute__((target("avx2")))
#else
#define RING_AVX2 __attribute__((target("avx2"), optimize("O3")))
#endif
RING_AVX2 static void rows_avx2(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t i0, size_t i1, size_t k,
                                size_t p)
{
    RING_ROWS_BODY
}

/* ---- AVX-512 ---- */

enum { MR = 8, NV = 3, NC = 8 * NV, KC = 128 };

#define RING_AVX512 __attribute__((target("avx512f,avx512dq")))

/* Z[0..mr) x [0..8 nv) += X[0..mr) x [t0..t0+kc) @ pk (kc x NC, packed): masks cover the last vector's
 * columns (only those are loaded and stored). Inlined with constant mr and nv, so the accumulators
 * are registers. */
RING_AVX512 static inline __attribute__((always_inline)) void micro(int mr, int nv, uint64_t *Z, size_t p,
                                                                   const uint64_t *X, size_t k, const uint64_t *pk,
                                                                   size_t kc, __mmask8 last)
{
    __m512i acc[MR][NV];
    _Pragma("GCC unroll 8") for (int r = 0; r < mr; r++)
        _Pragma("GCC unroll 3") for (int v = 0; v < nv; v++)
            acc[r][v] = _mm512_maskz_loadu_epi64(v + 1 < nv ? 0xFF : last, Z + (size_t)r * p + 8 * v);
    for (size_t t = 0; t < kc; t++, pk += NC) {
        __m512i y[NV];
        _Pragma("GCC unroll 3") for (int v = 0; v < nv; v++) y[v] = _mm512_load_si512(pk + 8 * v);
        _Pragma("GCC unroll 8") for (int r = 0; r < mr; r++) {
            __m512i x = _mm512_set1_epi64((long long)X[(size_t)r * k + t]);
            _Pragma("GCC unroll 3") for (int v = 0; v < nv; v++)
                acc[r][v] = _mm512_add_epi64(acc[r][v], _mm512_mullo_epi64(x, y[v]));
        }
    }
    _Pragma("GCC unroll 8") for (int r = 0; r < mr; r++)
        _Pragma("GCC unroll 3") for (int v = 0; v < nv; v++)
            _mm512_mask_storeu_epi64(Z + (size_t)r * p + 8 * v, v + 1 < nv ? 0xFF : last, acc[r][v]);
}

#define MICRO_NV(MRC)                                                                                         \
    do {                                                                                                      \
        if (nv == 3) micro(MRC, 3, Zi, p, Xi, k, pk, kc, last);                                               \
        else if (nv == 2) micro(MRC, 2, Zi, p, Xi, k, pk, kc, last);                                          \
        else micro(MRC, 1, Zi, p, Xi, k, pk, kc, last);                                                       \
    } while (0)

RING_AVX512 static void rows_avx512(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t i0, size_t i1,
                                    size_t k, size_t p)
{
    _Alignas(64) uint64_t pk[KC * NC];
    for (size_t t0 = 0; t0 < k; t0 += KC) {
        size_t kc = k - t0 < KC ? k - t0 : KC;
        for (size_t j0 = 0; j0 < p; j0 += NC) {
            size_t w = p - j0 < NC ? p - j0 : NC; /* columns of this panel */
            int nv = (int)((w + 7) / 8);
            __mmask8 last = (__mmask8)(w % 8 ? (1u << (w % 8)) - 1 : 0xFF);
            /* Pack Y[t0..t0+kc) x [j0..j0+w), zero-padded to NC columns. */
            for (size_t t = 0; t < kc; t++) {
                const uint64_t *yr = Y + (t0 + t) * p + j0;
                for (int v = 0; v < NV; v++) {
                    size_t c = 8 * (size_t)v;
                    __mmask8 mk = c + 8 <= w ? 0xFF : c < w ? (__mmask8)((1u << (w - c)) - 1) : 0;
                    _mm512_store_si512(pk + t * NC + c, _mm512_maskz_loadu_epi64(mk, yr + c));
                }
            }
            for (size_t i = i0; i < i1; i += MR) {
                uint64_t *Zi = Z + i * p + j0;
                const uint64_t *Xi = X + i * k + t0;
                switch (i1 - i < MR ? i1 - i : MR) {
                case 8: MICRO_NV(8); break;
                case 7: MICRO_NV(7); break;
                case 6: MICRO_NV(6); break;
                case 5: MICRO_NV(5); break;
                case 4: MICRO_NV(4); break;
                case 3: MICRO_NV(3); break;
                case 2: MICRO_NV(2); break;
                default: MICRO_NV(1); break;
                }
            }
        }
    }
}
#undef MICRO_NV
#endif

/* ---- dispatch ---- */

int mpc_ring_impl_available_(int impl)
{
    switch (impl) {
    case MPC_RING_AUTO:
    case MPC_RING_PORTABLE: return 1;
#if RING_X86
    case MPC_RING_AVX2: return __builtin_cpu_supports("avx2");
    case MPC_RING_AVX512: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
#endif
    case MPC_RING_AMX: return mpc_ring_amx_available_();
    default: return 0;
    }
}

typedef void (*rows_fn)(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t i0, size_t i1, size_t k, size_t p);

static rows_fn rows_of(int impl)
{
    static int best = -1; /* AUTO's choice (benign race: every thread computes the same) */
    if (impl == MPC_RING_AUTO) {
        if (best < 0)
            best = mpc_ring_impl_available_(MPC_RING_AVX512) ? MPC_RING_AVX512
                   : mpc_ring_impl_available_(MPC_RING_AVX2) ? MPC_RING_AVX2 : MPC_RING_PORTABLE;
        impl = best;
    }
    CHECK(mpc_ring_impl_available_(impl), "ring matmul kernel %d is not available on this build or CPU", impl);
#if RING_X86
    if (impl == MPC_RING_AVX512) return rows_avx512;
    if (impl == MPC_RING_AVX2) return rows_avx2;
#endif
    return rows_portable;
}

typedef struct mm_job {
    rows_fn rows;
    uint64_t *Z;
    const uint64_t *X, *Y;
    size_t k, p;
} mm_job;

static void mm_part(void *ud, size_t lo, size_t hi)
{
    const mm_job *j = ud;
    j->rows(j->Z, j->X, j->Y, lo, hi, j->k, j->p);
}

/* AUTO's choice for one product: AMX where it pays (both sides of the output at least one 16 x 16 tile
 * and k at least one 64-step chunk: below that the padding and packing cost more than vpmullq), else
 * the best row kernel. */
static int amx_pays(size_t m, size_t k, size_t p)
{
    static int amx = -1; /* benign race: every thread computes the same */
    if (amx < 0) amx = mpc_ring_amx_available_();
    return amx && m >= 16 && p >= 16 && k >= 64;
}

/* Rows split over the kernel threads (par.h), at least 2^18 MACs a part: each thread owns its rows of
 * Z, so the result does not depend on the thread count. */
void mpc_ring_matmul_acc_impl_(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t m, size_t k, size_t p,
                               int impl)
{
    mpc_ring_matmul_acc_sum_impl_(Z, X, NULL, Y, NULL, NULL, m, k, p, impl);
}

/* The row kernels' summed operands, written out: per thread and operand, kept and grown (as the AMX
 * kernel's packing buffers). */
static _Thread_local struct sumbuf {
    uint64_t *p;
    size_t n;
} sumbuf[2];

static const uint64_t *summed(int which, const uint64_t *a, const uint64_t *b, const uint64_t *c, size_t n)
{
    if (!b && !c) return a;
    struct sumbuf *s = &sumbuf[which];
    if (s->n < n) {
        free(s->p);
        s->p = chk_malloc(n * sizeof *s->p);
        s->n = n;
    }
    uint64_t *o = s->p;
    if (b && c)
        for (size_t i = 0; i < n; i++) o[i] = a[i] + b[i] + c[i];
    else {
        const uint64_t *d = b ? b : c;
        for (size_t i = 0; i < n; i++) o[i] = a[i] + d[i];
    }
    return o;
}

void mpc_ring_matmul_acc_sum_impl_(uint64_t *Z, const uint64_t *X, const uint64_t *X1, const uint64_t *Y,
                                   const uint64_t *Y1, const uint64_t *Y2, size_t m, size_t k, size_t p, int impl)
{
    if (impl == MPC_RING_AMX || (impl == MPC_RING_AUTO && amx_pays(m, k, p))) {
        mpc_ring_matmul_acc_amx_(Z, X, X1, Y, Y1, Y2, m, k, p);
        return;
    }
    mm_job j = {rows_of(impl), Z, summed(0, X, X1, NULL, m * k), summed(1, Y, Y1, Y2, k * p), k, p};
    size_t kp = k * p, grain = ((size_t)1 << 18) / (kp > 0 ? kp : 1);
    par_for(m, grain ? grain : 1, mm_part, &j);
}

void mpc_ring_matmul_acc(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t m, size_t k, size_t p)
{
    mpc_ring_matmul_acc_impl_(Z, X, Y, m, k, p, MPC_RING_AUTO);
}

void mpc_ring_matmul_acc_sum(uint64_t *Z, const uint64_t *X, const uint64_t *X1, const uint64_t *Y, const uint64_t *Y1,
                             const uint64_t *Y2, size_t m, size_t k, size_t p)
{
    mpc_ring_matmul_acc_sum_impl_(Z, X, X1, Y, Y1, Y2, m, k, p, MPC_RING_AUTO);
}

void mpc_ring_matmul(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t m, size_t k, size_t p)
{
    memset(Z, 0, m * p * sizeof *Z);
    mpc_ring_matmul_acc(Z, X, Y, m, k, p);
}

/* tfm_vec.c -- the vectorised training-step kernels and their references (see models/tfm_vec.h).
 * The x86 kernels use intrinsics under target attributes (GCC, clang), so the file builds without
 * -march and the explorer's wasm32 build compiles the references only. */
#include "tfm_vec.h"

#include <math.h>
#include <string.h>

#include "../common/chk.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(MPCSIM_NO_CLONES)
#define VEC_X86 1
#include <immintrin.h>
#define VEC_AVX2 __attribute__((target("avx2")))
#define VEC_AVX512 __attribute__((target("avx512f")))
#else
#define VEC_X86 0
#endif

/* ---- dispatch ---- */

int tfm_vec_available(int impl)
{
    switch (impl) {
    case TFM_VEC_AUTO:
    case TFM_VEC_REF: return 1;
#if VEC_X86
    case TFM_VEC_AVX2: return __builtin_cpu_supports("avx2");
    case TFM_VEC_AVX512: return __builtin_cpu_supports("avx512f");
#endif
    default: return 0;
    }
}

int tfm_vec_best(void)
{
    static int best = -1; /* benign race: every thread computes the same */
    if (best < 0)
        best = tfm_vec_available(TFM_VEC_AVX512) ? TFM_VEC_AVX512
               : tfm_vec_available(TFM_VEC_AVX2) ? TFM_VEC_AVX2 : TFM_VEC_REF;
    return best;
}

const char *tfm_vec_name(int impl)
{
    switch (impl) {
    case TFM_VEC_AUTO: return "auto";
    case TFM_VEC_REF: return "ref";
    case TFM_VEC_AVX2: return "avx2";
    case TFM_VEC_AVX512: return "avx512";
    default: return "?";
    }
}

static int resolve(int impl)
{
    if (impl == TFM_VEC_AUTO) return tfm_vec_best();
    CHECK(tfm_vec_available(impl), "training kernel implementation %d (%s) is not available on this build or CPU",
          impl, tfm_vec_name(impl));
    return impl;
}

/* ---- AdamW ---- */

/* The reference, one element; the vector kernels' tails call it too. */
static inline void adamw_one(float *p, const float *g, float *m, float *v, const uint8_t *decay, size_t i,
                             double lr, double b1, double b2, double eps, double wd, double c1, double c2)
{
    double gi = g[i];
    double mi = b1 * m[i] + (1.0 - b1) * gi, vi = b2 * v[i] + (1.0 - b2) * gi * gi;
    m[i] = (float)mi;
    v[i] = (float)vi;
    double x = p[i];
    if (decay && decay[i]) x -= lr * wd * x; /* decoupled, as torch.optim.AdamW */
    x -= lr * (mi / c1) / (sqrt(vi / c2) + eps);
    p[i] = (float)x;
}

static void adamw_ref(float *p, const float *g, float *m, float *v, const uint8_t *decay, size_t i0, size_t n,
                      double lr, double b1, double b2, double eps, double wd, double c1, double c2)
{
    for (size_t i = i0; i < n; i++) adamw_one(p, g, m, v, decay, i, lr, b1, b2, eps, wd, c1, c2);
}

#if VEC_X86
VEC_AVX2 static void adamw_avx2(float *p, const float *g, float *m, float *v, const uint8_t *decay, size_t n,
                                double lr, double b1, double b2, double eps, double wd, double c1, double c2)
{
    const __m256d vb1 = _mm256_set1_pd(b1), vob1 = _mm256_set1_pd(1.0 - b1), vb2 = _mm256_set1_pd(b2),
                  vob2 = _mm256_set1_pd(1.0 - b2), vlr = _mm256_set1_pd(lr), vlrwd = _mm256_set1_pd(lr * wd),
                  vc1 = _mm256_set1_pd(c1), vc2 = _mm256_set1_pd(c2), veps = _mm256_set1_pd(eps);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d gi = _mm256_cvtps_pd(_mm_loadu_ps(g + i));
        __m256d mi = _mm256_add_pd(_mm256_mul_pd(vb1, _mm256_cvtps_pd(_mm_loadu_ps(m + i))), _mm256_mul_pd(vob1, gi));
        __m256d vi = _mm256_add_pd(_mm256_mul_pd(vb2, _mm256_cvtps_pd(_mm_loadu_ps(v + i))),
                                   _mm256_mul_pd(_mm256_mul_pd(vob2, gi), gi));
        _mm_storeu_ps(m + i, _mm256_cvtpd_ps(mi));
        _mm_storeu_ps(v + i, _mm256_cvtpd_ps(vi));
        __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(p + i));
        if (decay) {
            uint32_t d4;
            memcpy(&d4, decay + i, sizeof d4);
            if (d4) {
                __m256i d = _mm256_cvtepu8_epi64(_mm_cvtsi32_si128((int)d4));
                __m256d keep = _mm256_castsi256_pd(_mm256_cmpeq_epi64(d, _mm256_setzero_si256()));
                x = _mm256_blendv_pd(_mm256_sub_pd(x, _mm256_mul_pd(vlrwd, x)), x, keep);
            }
        }
        __m256d num = _mm256_mul_pd(vlr, _mm256_div_pd(mi, vc1));
        __m256d den = _mm256_add_pd(_mm256_sqrt_pd(_mm256_div_pd(vi, vc2)), veps);
        x = _mm256_sub_pd(x, _mm256_div_pd(num, den));
        _mm_storeu_ps(p + i, _mm256_cvtpd_ps(x));
    }
    adamw_ref(p, g, m, v, decay, i, n, lr, b1, b2, eps, wd, c1, c2);
}

VEC_AVX512 static void adamw_avx512(float *p, const float *g, float *m, float *v, const uint8_t *decay, size_t n,
                                    double lr, double b1, double b2, double eps, double wd, double c1, double c2)
{
    const __m512d vb1 = _mm512_set1_pd(b1), vob1 = _mm512_set1_pd(1.0 - b1), vb2 = _mm512_set1_pd(b2),
                  vob2 = _mm512_set1_pd(1.0 - b2), vlr = _mm512_set1_pd(lr), vlrwd = _mm512_set1_pd(lr * wd),
                  vc1 = _mm512_set1_pd(c1), vc2 = _mm512_set1_pd(c2), veps = _mm512_set1_pd(eps);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d gi = _mm512_cvtps_pd(_mm256_loadu_ps(g + i));
        __m512d mi = _mm512_add_pd(_mm512_mul_pd(vb1, _mm512_cvtps_pd(_mm256_loadu_ps(m + i))), _mm512_mul_pd(vob1, gi));
        __m512d vi = _mm512_add_pd(_mm512_mul_pd(vb2, _mm512_cvtps_pd(_mm256_loadu_ps(v + i))),
                                   _mm512_mul_pd(_mm512_mul_pd(vob2, gi), gi));
        _mm256_storeu_ps(m + i, _mm512_cvtpd_ps(mi));
        _mm256_storeu_ps(v + i, _mm512_cvtpd_ps(vi));
        __m512d x = _mm512_cvtps_pd(_mm256_loadu_ps(p + i));
        if (decay) {
            __m512i d = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(const void *)(decay + i)));
            __mmask8 k = _mm512_test_epi64_mask(d, d);
            if (k) x = _mm512_mask_sub_pd(x, k, x, _mm512_mul_pd(vlrwd, x));
        }
        __m512d num = _mm512_mul_pd(vlr, _mm512_div_pd(mi, vc1));
        __m512d den = _mm512_add_pd(_mm512_sqrt_pd(_mm512_div_pd(vi, vc2)), veps);
        x = _mm512_sub_pd(x, _mm512_div_pd(num, den));
        _mm256_storeu_ps(p + i, _mm512_cvtpd_ps(x));
    }
    adamw_ref(p, g, m, v, decay, i, n, lr, b1, b2, eps, wd, c1, c2);
}
#endif

void tfm_vec_adamw(int impl, float *p, const float *g, float *m, float *v, const uint8_t *decay, size_t n,
                   double lr, double b1, double b2, double eps, double wd, double c1, double c2)
{
    switch (resolve(impl)) {
#if VEC_X86
    case TFM_VEC_AVX512: adamw_avx512(p, g, m, v, decay, n, lr, b1, b2, eps, wd, c1, c2); return;
    case TFM_VEC_AVX2: adamw_avx2(p, g, m, v, decay, n, lr, b1, b2, eps, wd, c1, c2); return;
#endif
    default: adamw_ref(p, g, m, v, decay, 0, n, lr, b1, b2, eps, wd, c1, c2); return;
    }
}

/* ---- sum of squares, scaling ---- */

static double sumsq_ref(double ss, const float *g, size_t i0, size_t n)
{
    for (size_t i = i0; i < n; i++) ss += (double)g[i] * g[i];
    return ss;
}

#if VEC_X86
/* Blocks of 8 (AVX2) or 16 (AVX-512) floats: all +-0 skipped; otherwise the squares (exact products
 * of floats in double) computed together and added one by one in index order. NaN compares unequal,
 * so it is added as the reference adds it. */
VEC_AVX2 static double sumsq_avx2(const float *g, size_t n)
{
    double ss = 0.0, sq[8];
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(g + i);
        if (!_mm256_movemask_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NEQ_UQ))) continue;
        __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(x)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
        _mm256_storeu_pd(sq, _mm256_mul_pd(lo, lo));
        _mm256_storeu_pd(sq + 4, _mm256_mul_pd(hi, hi));
        for (int j = 0; j < 8; j++) ss += sq[j];
    }
    return sumsq_ref(ss, g, i, n);
}

VEC_AVX512 static double sumsq_avx512(const float *g, size_t n)
{
    double ss = 0.0, sq[16];
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 x = _mm512_loadu_ps(g + i);
        if (!_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NEQ_UQ)) continue;
        __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(x));
        __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
        _mm512_storeu_pd(sq, _mm512_mul_pd(lo, lo));
        _mm512_storeu_pd(sq + 8, _mm512_mul_pd(hi, hi));
        for (int j = 0; j < 16; j++) ss += sq[j];
    }
    return sumsq_ref(ss, g, i, n);
}

VEC_AVX2 static void scale_avx2(float *g, size_t n, float s)
{
    const __m256 vs = _mm256_set1_ps(s);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), vs));
    for (; i < n; i++) g[i] *= s;
}

VEC_AVX512 static void scale_avx512(float *g, size_t n, float s)
{
    const __m512 vs = _mm512_set1_ps(s);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(g + i, _mm512_mul_ps(_mm512_loadu_ps(g + i), vs));
    for (; i < n; i++) g[i] *= s;
}
#endif

double tfm_vec_sumsq(int impl, const float *g, size_t n)
{
    switch (resolve(impl)) {
#if VEC_X86
    case TFM_VEC_AVX512: return sumsq_avx512(g, n);
    case TFM_VEC_AVX2: return sumsq_avx2(g, n);
#endif
    default: return sumsq_ref(0.0, g, 0, n);
    }
}

void tfm_vec_scale(int impl, float *g, size_t n, float s)
{
    switch (resolve(impl)) {
#if VEC_X86
    case TFM_VEC_AVX512: scale_avx512(g, n, s); return;
    case TFM_VEC_AVX2: scale_avx2(g, n, s); return;
#endif
    default:
        for (size_t i = 0; i < n; i++) g[i] *= s;
        return;
    }
}

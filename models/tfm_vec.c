/* tfm_vec.c -- the vectorised training-step kernels and their references (see models/tfm_vec.h).
 * The x86 kernels use intrinsics under target attributes (GCC, clang), so the file builds without
 * -march and the explorer's wasm32 build compiles the references only. */
#include "tfm_vec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/chk.h"
#include "tfm_kernels.h"
#include "tfm_train.h"

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
    const int c1_is_1 = c1 == 1.0;
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
        /* m / c1 is m itself once c1 = 1 - b1^t rounds to 1 (t > 350 for b1 = 0.9): x / 1 is exact */
        __m256d num = _mm256_mul_pd(vlr, c1_is_1 ? mi : _mm256_div_pd(mi, vc1));
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
    const int c1_is_1 = c1 == 1.0;
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
        /* m / c1 is m itself once c1 = 1 - b1^t rounds to 1 (t > 350 for b1 = 0.9): x / 1 is exact */
        __m512d num = _mm512_mul_pd(vlr, c1_is_1 ? mi : _mm512_div_pd(mi, vc1));
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

/* ---- LayerNorm ---- */

#if VEC_X86
#define LN_RF 8 /* rows side by side, forward */
#define LN_RB 4 /* backward (two chains per row) */
#define LN_INLINE static inline __attribute__((always_inline))

/* The statistics of LN_RF rows x[r*C ..]: each row's sums in index order, as the reference. */
LN_INLINE void ln_stats(double *m, double *s, const float *x, double eps, int C)
{
    double mm[LN_RF] = {0}, vv[LN_RF] = {0};
    for (int i = 0; i < C; i++) {
        _Pragma("GCC unroll 8") for (int r = 0; r < LN_RF; r++) mm[r] += x[(size_t)r * C + i];
    }
    _Pragma("GCC unroll 8") for (int r = 0; r < LN_RF; r++) mm[r] /= C;
    for (int i = 0; i < C; i++) {
        _Pragma("GCC unroll 8") for (int r = 0; r < LN_RF; r++) {
            double d = x[(size_t)r * C + i] - mm[r];
            vv[r] += d * d;
        }
    }
    _Pragma("GCC unroll 8") for (int r = 0; r < LN_RF; r++) {
        vv[r] /= C; /* biased, as PyTorch */
        m[r] = mm[r];
        s[r] = 1.0 / sqrt(vv[r] + eps);
    }
}

/* Row r's output from its statistics: (x - m) s g + b in double, rounded once; elements i0 .. C-1. */
LN_INLINE void ln_out_tail(float *o, const float *x, const float *g, const float *b, double m, double s, int i0, int C)
{
    for (int i = i0; i < C; i++) o[i] = (float)((x[i] - m) * s * g[i] + b[i]);
}

/* Two dot products of LN_RB rows (the backward's dnm, dnn), each in index order. */
LN_INLINE void ln_bstats(double *dnm, double *dnn, const float *d, const float *x, const float *g, const double *m,
                         const double *s, int C)
{
    double a[LN_RB] = {0}, c[LN_RB] = {0};
    for (int i = 0; i < C; i++) {
        _Pragma("GCC unroll 4") for (int r = 0; r < LN_RB; r++) {
            double xh = (x[(size_t)r * C + i] - m[r]) * s[r], dn = (double)g[i] * d[(size_t)r * C + i];
            a[r] += dn;
            c[r] += dn * xh;
        }
    }
    _Pragma("GCC unroll 4") for (int r = 0; r < LN_RB; r++) dnm[r] = a[r] / C, dnn[r] = c[r] / C;
}

/* The per-element part of LN_RB rows, elements i0 .. C-1, rows in order for each element. */
LN_INLINE void ln_bwd_tail(float *dx, float *dx2, int set, float *dg, float *db, const float *d, const float *x,
                           const float *g, const double *m, const double *s, const double *dnm, const double *dnn, int i0,
                           int C)
{
    for (int i = i0; i < C; i++)
        for (int r = 0; r < LN_RB; r++) {
            size_t k = (size_t)r * C + i;
            double xh = (x[k] - m[r]) * s[r], dn = (double)g[i] * d[k];
            db[i] += d[k];
            dg[i] += (float)(xh * d[k]);
            dx[k] = (set ? 0.0f : dx[k]) + (float)((dn - dnm[r] - xh * dnn[r]) * s[r]);
            if (dx2) dx2[k] = dx[k];
        }
}

VEC_AVX2 static void ln_fwd_avx2(float *out, float *mean, float *rstd, const float *inp, const float *g,
                                 const float *b, double eps, int N, int C)
{
    int n = 0;
    for (; n + LN_RF <= N; n += LN_RF) {
        const float *x = inp + (size_t)n * C;
        double m[LN_RF], s[LN_RF];
        ln_stats(m, s, x, eps, C);
        for (int r = 0; r < LN_RF; r++) {
            const float *xr = x + (size_t)r * C;
            float *o = out + (size_t)(n + r) * C;
            const __m256d vm = _mm256_set1_pd(m[r]), vs = _mm256_set1_pd(s[r]);
            int i = 0;
            for (; i + 4 <= C; i += 4) {
                __m256d t = _mm256_mul_pd(_mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(xr + i)), vm), vs);
                t = _mm256_add_pd(_mm256_mul_pd(t, _mm256_cvtps_pd(_mm_loadu_ps(g + i))), _mm256_cvtps_pd(_mm_loadu_ps(b + i)));
                _mm_storeu_ps(o + i, _mm256_cvtpd_ps(t));
            }
            ln_out_tail(o, xr, g, b, m[r], s[r], i, C);
            if (mean) mean[n + r] = (float)m[r];
            if (rstd) rstd[n + r] = (float)s[r];
        }
    }
    if (n < N)
        tfm_layernorm_forward_ref(out + (size_t)n * C, mean ? mean + n : NULL, rstd ? rstd + n : NULL,
                                  inp + (size_t)n * C, g, b, eps, N - n, C);
}

VEC_AVX512 static void ln_fwd_avx512(float *out, float *mean, float *rstd, const float *inp, const float *g,
                                     const float *b, double eps, int N, int C)
{
    int n = 0;
    for (; n + LN_RF <= N; n += LN_RF) {
        const float *x = inp + (size_t)n * C;
        double m[LN_RF], s[LN_RF];
        ln_stats(m, s, x, eps, C);
        for (int r = 0; r < LN_RF; r++) {
            const float *xr = x + (size_t)r * C;
            float *o = out + (size_t)(n + r) * C;
            const __m512d vm = _mm512_set1_pd(m[r]), vs = _mm512_set1_pd(s[r]);
            int i = 0;
            for (; i + 8 <= C; i += 8) {
                __m512d t = _mm512_mul_pd(_mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(xr + i)), vm), vs);
                t = _mm512_add_pd(_mm512_mul_pd(t, _mm512_cvtps_pd(_mm256_loadu_ps(g + i))),
                                  _mm512_cvtps_pd(_mm256_loadu_ps(b + i)));
                _mm256_storeu_ps(o + i, _mm512_cvtpd_ps(t));
            }
            ln_out_tail(o, xr, g, b, m[r], s[r], i, C);
            if (mean) mean[n + r] = (float)m[r];
            if (rstd) rstd[n + r] = (float)s[r];
        }
    }
    if (n < N)
        tfm_layernorm_forward_ref(out + (size_t)n * C, mean ? mean + n : NULL, rstd ? rstd + n : NULL,
                                  inp + (size_t)n * C, g, b, eps, N - n, C);
}

VEC_AVX2 static void ln_bwd_avx2(float *dinp, float *dg, float *db, const float *dout, const float *inp,
                                 const float *g, const float *mean, const float *rstd, int N, int C)
{
    int n = 0;
    for (; n + LN_RB <= N; n += LN_RB) {
        size_t off = (size_t)n * C;
        const float *d = dout + off, *x = inp + off;
        float *dx = dinp + off;
        double m[LN_RB], s[LN_RB], dnm[LN_RB], dnn[LN_RB];
        for (int r = 0; r < LN_RB; r++) m[r] = mean[n + r], s[r] = rstd[n + r];
        ln_bstats(dnm, dnn, d, x, g, m, s, C);
        int i = 0;
        for (; i + 4 <= C; i += 4) {
            __m256d gv = _mm256_cvtps_pd(_mm_loadu_ps(g + i));
            __m128 dbv = _mm_loadu_ps(db + i), dgv = _mm_loadu_ps(dg + i);
            for (int r = 0; r < LN_RB; r++) {
                size_t k = (size_t)r * C + i;
                __m128 df = _mm_loadu_ps(d + k);
                __m256d dv = _mm256_cvtps_pd(df);
                __m256d xh = _mm256_mul_pd(_mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + k)), _mm256_set1_pd(m[r])),
                                           _mm256_set1_pd(s[r]));
                __m256d dn = _mm256_mul_pd(gv, dv);
                dbv = _mm_add_ps(dbv, df);
                dgv = _mm_add_ps(dgv, _mm256_cvtpd_ps(_mm256_mul_pd(xh, dv)));
                __m256d t = _mm256_sub_pd(_mm256_sub_pd(dn, _mm256_set1_pd(dnm[r])), _mm256_mul_pd(xh, _mm256_set1_pd(dnn[r])));
                t = _mm256_mul_pd(t, _mm256_set1_pd(s[r]));
                _mm_storeu_ps(dx + k, _mm_add_ps(_mm_loadu_ps(dx + k), _mm256_cvtpd_ps(t)));
            }
            _mm_storeu_ps(db + i, dbv);
            _mm_storeu_ps(dg + i, dgv);
        }
        ln_bwd_tail(dx, NULL, 0, dg, db, d, x, g, m, s, dnm, dnn, i, C);
    }
    if (n < N)
        tfm_layernorm_backward_ref(dinp + (size_t)n * C, dg, db, dout + (size_t)n * C, inp + (size_t)n * C, g, mean + n,
                                   rstd + n, N - n, C);
}

/* set: dinp = (the bits of zeroing it first) and dinp2 (when not NULL) a copy, instead of dinp += */
VEC_AVX512 static void ln_bwd_avx512(float *dinp, float *dinp2, int set, float *dg, float *db, const float *dout,
                                     const float *inp, const float *g, const float *mean, const float *rstd, int N, int C)
{
    int n = 0;
    for (; n + LN_RB <= N; n += LN_RB) {
        size_t off = (size_t)n * C;
        const float *d = dout + off, *x = inp + off;
        float *dx = dinp + off;
        double m[LN_RB], s[LN_RB], dnm[LN_RB], dnn[LN_RB];
        for (int r = 0; r < LN_RB; r++) m[r] = mean[n + r], s[r] = rstd[n + r];
        ln_bstats(dnm, dnn, d, x, g, m, s, C);
        int i = 0;
        for (; i + 8 <= C; i += 8) {
            __m512d gv = _mm512_cvtps_pd(_mm256_loadu_ps(g + i));
            __m256 dbv = _mm256_loadu_ps(db + i), dgv = _mm256_loadu_ps(dg + i);
            for (int r = 0; r < LN_RB; r++) {
                size_t k = (size_t)r * C + i;
                __m256 df = _mm256_loadu_ps(d + k);
                __m512d dv = _mm512_cvtps_pd(df);
                __m512d xh = _mm512_mul_pd(_mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + k)), _mm512_set1_pd(m[r])),
                                           _mm512_set1_pd(s[r]));
                __m512d dn = _mm512_mul_pd(gv, dv);
                dbv = _mm256_add_ps(dbv, df);
                dgv = _mm256_add_ps(dgv, _mm512_cvtpd_ps(_mm512_mul_pd(xh, dv)));
                __m512d t = _mm512_sub_pd(_mm512_sub_pd(dn, _mm512_set1_pd(dnm[r])), _mm512_mul_pd(xh, _mm512_set1_pd(dnn[r])));
                t = _mm512_mul_pd(t, _mm512_set1_pd(s[r]));
                __m256 o = _mm256_add_ps(set ? _mm256_setzero_ps() : _mm256_loadu_ps(dx + k), _mm512_cvtpd_ps(t));
                _mm256_storeu_ps(dx + k, o);
                if (dinp2) _mm256_storeu_ps(dinp2 + off + k, o);
            }
            _mm256_storeu_ps(db + i, dbv);
            _mm256_storeu_ps(dg + i, dgv);
        }
        ln_bwd_tail(dx, dinp2 ? dinp2 + off : NULL, set, dg, db, d, x, g, m, s, dnm, dnn, i, C);
    }
    if (n < N) {
        size_t off = (size_t)n * C, rest = (size_t)(N - n) * C;
        if (set) memset(dinp + off, 0, rest * sizeof *dinp);
        tfm_layernorm_backward_ref(dinp + off, dg, db, dout + off, inp + off, g, mean + n, rstd + n, N - n, C);
        if (dinp2) memcpy(dinp2 + off, dinp + off, rest * sizeof *dinp);
    }
}
#endif

void tfm_vec_layernorm_forward(int impl, float *out, float *mean, float *rstd, const float *inp, const float *g,
                               const float *b, double eps, int N, int C)
{
    switch (resolve(impl)) {
#if VEC_X86
    case TFM_VEC_AVX512: ln_fwd_avx512(out, mean, rstd, inp, g, b, eps, N, C); return;
    case TFM_VEC_AVX2: ln_fwd_avx2(out, mean, rstd, inp, g, b, eps, N, C); return;
#endif
    default: tfm_layernorm_forward_ref(out, mean, rstd, inp, g, b, eps, N, C); return;
    }
}

void tfm_vec_layernorm_backward(int impl, float *dinp, float *dg, float *db, const float *dout, const float *inp,
                                const float *g, const float *mean, const float *rstd, int N, int C)
{
    switch (resolve(impl)) {
#if VEC_X86
    case TFM_VEC_AVX512: ln_bwd_avx512(dinp, NULL, 0, dg, db, dout, inp, g, mean, rstd, N, C); return;
    case TFM_VEC_AVX2: ln_bwd_avx2(dinp, dg, db, dout, inp, g, mean, rstd, N, C); return;
#endif
    default: tfm_layernorm_backward_ref(dinp, dg, db, dout, inp, g, mean, rstd, N, C); return;
    }
}

void tfm_vec_layernorm_backward_set(int impl, float *dinp, float *dinp2, float *dg, float *db, const float *dout,
                                    const float *inp, const float *g, const float *mean, const float *rstd, int N, int C)
{
#if VEC_X86
    if (resolve(impl) == TFM_VEC_AVX512) {
        ln_bwd_avx512(dinp, dinp2, 1, dg, db, dout, inp, g, mean, rstd, N, C);
        return;
    }
#endif
    memset(dinp, 0, (size_t)N * C * sizeof *dinp);
    tfm_vec_layernorm_backward(impl, dinp, dg, db, dout, inp, g, mean, rstd, N, C);
    if (dinp2) memcpy(dinp2, dinp, (size_t)N * C * sizeof *dinp);
}

/* ---- elementwise ---- */

static void mul_ref(float *x, const float *m, size_t i0, size_t n)
{
    for (size_t i = i0; i < n; i++) x[i] *= m[i];
}
static void add_ref(float *out, const float *a, const float *b, size_t i0, size_t n)
{
    for (size_t i = i0; i < n; i++) out[i] = a[i] + b[i];
}
static void colsum_ref(double *acc, const float *row, size_t i0, size_t n)
{
    for (size_t i = i0; i < n; i++) acc[i] += row[i];
}
static void dropout_ref(float *x, float *m, const uint16_t *u, uint32_t thr, float keep, size_t i0, size_t n)
{
    for (size_t i = i0; i < n; i++) {
        m[i] = u[i] < thr ? 0.0f : keep;
        x[i] *= m[i];
    }
}
static void quad_ref(float *out, const float *inp, double a, double b, double c, size_t i0, size_t n)
{
    for (size_t i = i0; i < n; i++) {
        double x = inp[i];
        out[i] = (float)((a * x + b) * x + c);
    }
}
static void act_bwd_ref(int act, float *dinp, const float *dout, const float *inp, const double *dydx, double qa,
                        double qb, size_t i0, size_t n)
{
    if (dydx) {
        for (size_t i = i0; i < n; i++) dinp[i] = 0.0f + (float)(dydx[i] * dout[i]);
    } else if (act == TFM_ACT_RELU) {
        for (size_t i = i0; i < n; i++) dinp[i] = inp[i] > 0.0f ? 0.0f + dout[i] : 0.0f;
    } else {
        CHECK(act == TFM_ACT_QUAD, "activation %d needs its kept derivative", act);
        for (size_t i = i0; i < n; i++) dinp[i] = 0.0f + (float)((2.0 * qa * inp[i] + qb) * dout[i]);
    }
}

#if VEC_X86
VEC_AVX2 static void mul_avx2(float *x, const float *m, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(m + i)));
    mul_ref(x, m, i, n);
}
VEC_AVX512 static void mul_avx512(float *x, const float *m, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(m + i)));
    mul_ref(x, m, i, n);
}
VEC_AVX2 static void add_avx2(float *out, const float *a, const float *b, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    add_ref(out, a, b, i, n);
}
VEC_AVX512 static void add_avx512(float *out, const float *a, const float *b, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, _mm512_add_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i)));
    add_ref(out, a, b, i, n);
}
VEC_AVX2 static void colsum_avx2(double *acc, const float *row, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(acc + i, _mm256_add_pd(_mm256_loadu_pd(acc + i), _mm256_cvtps_pd(_mm_loadu_ps(row + i))));
    colsum_ref(acc, row, i, n);
}
VEC_AVX512 static void colsum_avx512(double *acc, const float *row, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm512_storeu_pd(acc + i, _mm512_add_pd(_mm512_loadu_pd(acc + i), _mm512_cvtps_pd(_mm256_loadu_ps(row + i))));
    colsum_ref(acc, row, i, n);
}
VEC_AVX2 static void dropout_avx2(float *x, float *m, const uint16_t *u, uint32_t thr, float keep, size_t n)
{
    /* u < thr as signed 32-bit compares: u and thr are at most 65536 */
    const __m256i vt = _mm256_set1_epi32((int)thr);
    const __m256 vk = _mm256_set1_ps(keep);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i u32 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(u + i)));
        __m256 drop = _mm256_castsi256_ps(_mm256_cmpgt_epi32(vt, u32));
        __m256 mv = _mm256_andnot_ps(drop, vk);
        _mm256_storeu_ps(m + i, mv);
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), mv));
    }
    dropout_ref(x, m, u, thr, keep, i, n);
}
VEC_AVX512 static void dropout_avx512(float *x, float *m, const uint16_t *u, uint32_t thr, float keep, size_t n)
{
    const __m512i vt = _mm512_set1_epi32((int)thr);
    const __m512 vk = _mm512_set1_ps(keep);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i u32 = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(u + i)));
        __mmask16 keepk = _mm512_cmpge_epu32_mask(u32, vt);
        __m512 mv = _mm512_maskz_mov_ps(keepk, vk);
        _mm512_storeu_ps(m + i, mv);
        _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), mv));
    }
    dropout_ref(x, m, u, thr, keep, i, n);
}
VEC_AVX2 static void quad_avx2(float *out, const float *inp, double a, double b, double c, size_t n)
{
    const __m256d va = _mm256_set1_pd(a), vb = _mm256_set1_pd(b), vc = _mm256_set1_pd(c);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(inp + i));
        __m256d y = _mm256_add_pd(_mm256_mul_pd(_mm256_add_pd(_mm256_mul_pd(va, x), vb), x), vc);
        _mm_storeu_ps(out + i, _mm256_cvtpd_ps(y));
    }
    quad_ref(out, inp, a, b, c, i, n);
}
VEC_AVX512 static void quad_avx512(float *out, const float *inp, double a, double b, double c, size_t n)
{
    const __m512d va = _mm512_set1_pd(a), vb = _mm512_set1_pd(b), vc = _mm512_set1_pd(c);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d x = _mm512_cvtps_pd(_mm256_loadu_ps(inp + i));
        __m512d y = _mm512_add_pd(_mm512_mul_pd(_mm512_add_pd(_mm512_mul_pd(va, x), vb), x), vc);
        _mm256_storeu_ps(out + i, _mm512_cvtpd_ps(y));
    }
    quad_ref(out, inp, a, b, c, i, n);
}
VEC_AVX2 static void act_bwd_avx2(int act, float *dinp, const float *dout, const float *inp, const double *dydx,
                                  double qa, double qb, size_t n)
{
    const __m256 z = _mm256_setzero_ps();
    size_t i = 0;
    if (dydx) {
        for (; i + 4 <= n; i += 4) {
            __m256d t = _mm256_mul_pd(_mm256_loadu_pd(dydx + i), _mm256_cvtps_pd(_mm_loadu_ps(dout + i)));
            _mm_storeu_ps(dinp + i, _mm_add_ps(_mm_setzero_ps(), _mm256_cvtpd_ps(t)));
        }
    } else if (act == TFM_ACT_RELU) {
        for (; i + 8 <= n; i += 8) {
            __m256 pos = _mm256_cmp_ps(_mm256_loadu_ps(inp + i), z, _CMP_GT_OQ);
            _mm256_storeu_ps(dinp + i, _mm256_and_ps(pos, _mm256_add_ps(z, _mm256_loadu_ps(dout + i))));
        }
    } else if (act == TFM_ACT_QUAD) {
        const __m256d va2 = _mm256_set1_pd(2.0 * qa), vb = _mm256_set1_pd(qb);
        for (; i + 4 <= n; i += 4) {
            __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(inp + i));
            __m256d t = _mm256_mul_pd(_mm256_add_pd(_mm256_mul_pd(va2, x), vb), _mm256_cvtps_pd(_mm_loadu_ps(dout + i)));
            _mm_storeu_ps(dinp + i, _mm_add_ps(_mm_setzero_ps(), _mm256_cvtpd_ps(t)));
        }
    }
    act_bwd_ref(act, dinp, dout, inp, dydx, qa, qb, i, n);
}
VEC_AVX512 static void act_bwd_avx512(int act, float *dinp, const float *dout, const float *inp, const double *dydx,
                                      double qa, double qb, size_t n)
{
    size_t i = 0;
    if (dydx) {
        for (; i + 8 <= n; i += 8) {
            __m512d t = _mm512_mul_pd(_mm512_loadu_pd(dydx + i), _mm512_cvtps_pd(_mm256_loadu_ps(dout + i)));
            _mm256_storeu_ps(dinp + i, _mm256_add_ps(_mm256_setzero_ps(), _mm512_cvtpd_ps(t)));
        }
    } else if (act == TFM_ACT_RELU) {
        const __m512 z = _mm512_setzero_ps();
        for (; i + 16 <= n; i += 16) {
            __mmask16 pos = _mm512_cmp_ps_mask(_mm512_loadu_ps(inp + i), z, _CMP_GT_OQ);
            _mm512_storeu_ps(dinp + i, _mm512_maskz_add_ps(pos, z, _mm512_loadu_ps(dout + i)));
        }
    } else if (act == TFM_ACT_QUAD) {
        const __m512d va2 = _mm512_set1_pd(2.0 * qa), vb = _mm512_set1_pd(qb);
        for (; i + 8 <= n; i += 8) {
            __m512d x = _mm512_cvtps_pd(_mm256_loadu_ps(inp + i));
            __m512d t = _mm512_mul_pd(_mm512_add_pd(_mm512_mul_pd(va2, x), vb), _mm512_cvtps_pd(_mm256_loadu_ps(dout + i)));
            _mm256_storeu_ps(dinp + i, _mm256_add_ps(_mm256_setzero_ps(), _mm512_cvtpd_ps(t)));
        }
    }
    act_bwd_ref(act, dinp, dout, inp, dydx, qa, qb, i, n);
}
#endif

#if VEC_X86
#define VEC_DISPATCH(impl, avx512_call, avx2_call, ref_call)                                                  \
    switch (resolve(impl)) {                                                                                  \
    case TFM_VEC_AVX512: avx512_call; return;                                                                 \
    case TFM_VEC_AVX2: avx2_call; return;                                                                     \
    default: ref_call; return;                                                                                \
    }
#else
#define VEC_DISPATCH(impl, avx512_call, avx2_call, ref_call)                                                  \
    do {                                                                                                      \
        (void)resolve(impl);                                                                                  \
        ref_call;                                                                                             \
    } while (0)
#endif

void tfm_vec_mul(int impl, float *x, const float *m, size_t n)
{
    VEC_DISPATCH(impl, mul_avx512(x, m, n), mul_avx2(x, m, n), mul_ref(x, m, 0, n));
}

void tfm_vec_add(int impl, float *out, const float *a, const float *b, size_t n)
{
    VEC_DISPATCH(impl, add_avx512(out, a, b, n), add_avx2(out, a, b, n), add_ref(out, a, b, 0, n));
}

void tfm_vec_colsum(int impl, double *acc, const float *row, size_t n)
{
    VEC_DISPATCH(impl, colsum_avx512(acc, row, n), colsum_avx2(acc, row, n), colsum_ref(acc, row, 0, n));
}

void tfm_vec_dropout(int impl, float *x, float *m, const uint16_t *u, uint32_t thr, float keep, size_t n)
{
    CHECK(thr <= 65536, "dropout threshold %u above 2^16", (unsigned)thr);
    VEC_DISPATCH(impl, dropout_avx512(x, m, u, thr, keep, n), dropout_avx2(x, m, u, thr, keep, n),
                 dropout_ref(x, m, u, thr, keep, 0, n));
}

void tfm_vec_quad(int impl, float *out, const float *inp, double a, double b, double c, size_t n)
{
    VEC_DISPATCH(impl, quad_avx512(out, inp, a, b, c, n), quad_avx2(out, inp, a, b, c, n),
                 quad_ref(out, inp, a, b, c, 0, n));
}

void tfm_vec_act_backward_set(int impl, int act, float *dinp, const float *dout, const float *inp, const double *dydx,
                              double qa, double qb, size_t n)
{
    CHECK(dydx || act == TFM_ACT_RELU || act == TFM_ACT_QUAD, "activation %d needs its kept derivative", act);
    VEC_DISPATCH(impl, act_bwd_avx512(act, dinp, dout, inp, dydx, qa, qb, n),
                 act_bwd_avx2(act, dinp, dout, inp, dydx, qa, qb, n), act_bwd_ref(act, dinp, dout, inp, dydx, qa, qb, 0, n));
}

/* ---- attention normalisation rows ---- */

#define AR 4       /* rows side by side */

static void attn_rows_ref(float *P, const float *S, const uint8_t *m, int attn, double quad2_c, int T, int r0, int rows)
{
    for (int r = r0; r < rows; r++) tfm_attn_row_ref(P + (size_t)r * T, S + (size_t)r * T, m, attn, quad2_c, T);
}

static void attn_rows_backward_ref(float *dS, const float *dP, const float *S, const float *P, const uint8_t *m,
                                   int attn, double quad2_c, int T, int r0, int rows)
{
    for (int r = r0; r < rows; r++) {
        size_t o = (size_t)r * T;
        tfm_attn_row_backward_ref(dS + o, dP + o, S + o, P + o, m, attn, quad2_c, T);
    }
}

#if VEC_X86
/* The 8 key-mask lanes j .. j+7 that are real keys (m NULL: all). */
VEC_AVX512 static inline __mmask8 keys8(const uint8_t *m, int j)
{
    if (!m) return 0xFF;
    __m512i k = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(const void *)(m + j)));
    return _mm512_test_epi64_mask(k, k);
}

/* p[j] = (float)((double)p[j] * inv) for j in [0, T) */
VEC_AVX512 static inline void scale_row(float *p, double inv, int T)
{
    const __m512d vi = _mm512_set1_pd(inv);
    int j = 0;
    for (; j + 8 <= T; j += 8)
        _mm256_storeu_ps(p + j, _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(p + j)), vi)));
    for (; j < T; j++) p[j] = (float)(p[j] * inv);
}

VEC_AVX512 static void attn_rows_avx512(float *P, const float *S, const uint8_t *m, int attn, double quad2_c, int T,
                                        int rows)
{
    double *e[AR], *eblock = rows >= AR ? chk_malloc((size_t)AR * T * sizeof *eblock) : NULL; /* off the stack:
                                                                                      actors' stacks are small */
    for (int r = 0; r < AR; r++) e[r] = eblock ? eblock + (size_t)r * T : NULL;
    int r0 = 0;
    for (; r0 + AR <= rows; r0 += AR) {
        const float *s[AR];
        float *p[AR];
        double sum[AR] = {0};
        for (int r = 0; r < AR; r++) s[r] = S + (size_t)(r0 + r) * T, p[r] = P + (size_t)(r0 + r) * T;
        /* 1. the per-element values e (double) and p = (float)e */
        for (int r = 0; r < AR; r++) {
            const float *sr = s[r];
            float *pr = p[r];
            double *er = e[r];
            int j = 0;
            switch (attn) {
            case TFM_ATTN_SOFTMAX: {
                /* the row maximum (exact in any order; its sign of zero cannot change s - mx's exp) */
                __m512 vm = _mm512_set1_ps(sr[0]);
                for (; j + 16 <= T; j += 16) vm = _mm512_max_ps(vm, _mm512_loadu_ps(sr + j));
                float mx = _mm512_reduce_max_ps(vm);
                for (; j < T; j++) mx = sr[j] > mx ? sr[j] : mx;
                for (j = 0; j < T; j++) {
                    er[j] = exp((double)sr[j] - mx);
                    pr[j] = (float)er[j];
                }
                break;
            }
            case TFM_ATTN_2QUAD: {
                const __m512d vc = _mm512_set1_pd(quad2_c);
                for (; j + 8 <= T; j += 8) {
                    __m512d t = _mm512_add_pd(_mm512_cvtps_pd(_mm256_loadu_ps(sr + j)), vc);
                    __m512d q = _mm512_maskz_mul_pd(keys8(m, j), t, t);
                    _mm512_storeu_pd(er + j, q);
                    _mm256_storeu_ps(pr + j, _mm512_cvtpd_ps(q));
                }
                for (; j < T; j++) {
                    er[j] = (m && !m[j]) ? 0.0 : ((double)sr[j] + quad2_c) * ((double)sr[j] + quad2_c);
                    pr[j] = (float)er[j];
                }
                break;
            }
            default: { /* 2ReLU: e = relu(s) in double; p is written in step 3 */
                const __m512 z = _mm512_setzero_ps();
                for (; j + 8 <= T; j += 8) {
                    __m256 x = _mm256_loadu_ps(sr + j);
                    __mmask8 pos = (__mmask8)_mm512_cmp_ps_mask(_mm512_castps256_ps512(x), z, _CMP_GT_OQ);
                    _mm512_storeu_pd(er + j, _mm512_maskz_cvtps_pd(pos, x));
                }
                for (; j < T; j++) er[j] = sr[j] > 0.0f ? (double)sr[j] : 0.0;
                break;
            }
            }
        }
        /* 2. the row sums, each in index order, AR rows side by side */
        for (int j = 0; j < T; j++) {
            _Pragma("GCC unroll 4") for (int r = 0; r < AR; r++) sum[r] += e[r][j];
        }
        /* 3. normalise */
        for (int r = 0; r < AR; r++) {
            if (attn == TFM_ATTN_SOFTMAX) {
                scale_row(p[r], 1.0 / sum[r], T);
            } else if (attn == TFM_ATTN_2QUAD) {
                scale_row(p[r], sum[r] > 0.0 ? 1.0 / sum[r] : 0.0, T);
            } else {
                double inv = 1.0 / (sum[r] + TFM_2RELU_EPS), add = TFM_2RELU_EPS / T;
                const __m512d vi = _mm512_set1_pd(inv), va = _mm512_set1_pd(add);
                int j = 0;
                for (; j + 8 <= T; j += 8)
                    _mm256_storeu_ps(p[r] + j, _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_add_pd(_mm512_loadu_pd(e[r] + j), va), vi)));
                for (; j < T; j++) p[r][j] = (float)((e[r][j] + add) * inv);
            }
        }
    }
    free(eblock);
    attn_rows_ref(P, S, m, attn, quad2_c, T, r0, rows);
}

VEC_AVX512 static void attn_rows_backward_avx512(float *dS, const float *dP, const float *S, const float *P,
                                                 const uint8_t *m, int attn, double quad2_c, int T, int rows)
{
    int r0 = 0;
    for (; r0 + AR <= rows; r0 += AR) {
        const float *s[AR], *p[AR], *dp[AR];
        float *ds[AR];
        double dot[AR] = {0}, Z[AR];
        for (int r = 0; r < AR; r++) {
            size_t o = (size_t)(r0 + r) * T;
            s[r] = S + o, p[r] = P + o, dp[r] = dP + o, ds[r] = dS + o;
            Z[r] = attn == TFM_ATTN_2RELU ? TFM_2RELU_EPS : 0.0;
        }
        /* 1. dot = sum p dp (and Z for 2Quad, 2ReLU), each row in index order, rows side by side */
        for (int j = 0; j < T; j++) {
            _Pragma("GCC unroll 4") for (int r = 0; r < AR; r++) dot[r] += (double)p[r][j] * dp[r][j];
        }
        if (attn == TFM_ATTN_2QUAD) {
            for (int j = 0; j < T; j++) {
                if (m && !m[j]) continue;
                _Pragma("GCC unroll 4") for (int r = 0; r < AR; r++) Z[r] += ((double)s[r][j] + quad2_c) * ((double)s[r][j] + quad2_c);
            }
        } else if (attn == TFM_ATTN_2RELU) {
            for (int j = 0; j < T; j++) {
                _Pragma("GCC unroll 4") for (int r = 0; r < AR; r++) Z[r] += s[r][j] > 0.0f ? (double)s[r][j] : 0.0;
            }
        }
        /* 2. the per-element gradients */
        for (int r = 0; r < AR; r++) {
            const __m512d vdot = _mm512_set1_pd(dot[r]), vZ = _mm512_set1_pd(Z[r]);
            int j = 0;
            switch (attn) {
            case TFM_ATTN_SOFTMAX:
                for (; j + 8 <= T; j += 8) {
                    __m512d g = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(dp[r] + j)), vdot);
                    g = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(p[r] + j)), g);
                    _mm256_storeu_ps(ds[r] + j, _mm512_cvtpd_ps(g));
                }
                for (; j < T; j++) ds[r][j] = (float)(p[r][j] * (dp[r][j] - dot[r]));
                break;
            case TFM_ATTN_2QUAD:
                if (!(Z[r] > 0.0)) {
                    memset(ds[r], 0, (size_t)T * sizeof *ds[r]);
                    break;
                }
                {
                    const __m512d vc = _mm512_set1_pd(quad2_c), two = _mm512_set1_pd(2.0);
                    for (; j + 8 <= T; j += 8) {
                        __m512d g = _mm512_div_pd(_mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(dp[r] + j)), vdot), vZ);
                        g = _mm512_mul_pd(_mm512_mul_pd(g, two), _mm512_add_pd(_mm512_cvtps_pd(_mm256_loadu_ps(s[r] + j)), vc));
                        _mm256_storeu_ps(ds[r] + j, _mm512_maskz_cvtpd_ps(keys8(m, j), g));
                    }
                    for (; j < T; j++)
                        ds[r][j] = !(m && !m[j]) ? (float)((dp[r][j] - dot[r]) / Z[r] * 2.0 * ((double)s[r][j] + quad2_c))
                                                 : 0.0f;
                }
                break;
            default: {
                const __m512 z = _mm512_setzero_ps();
                for (; j + 8 <= T; j += 8) {
                    __m256 x = _mm256_loadu_ps(s[r] + j);
                    __mmask8 pos = (__mmask8)_mm512_cmp_ps_mask(_mm512_castps256_ps512(x), z, _CMP_GT_OQ);
                    __m512d g = _mm512_div_pd(_mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(dp[r] + j)), vdot), vZ);
                    _mm256_storeu_ps(ds[r] + j, _mm512_maskz_cvtpd_ps(pos, g));
                }
                for (; j < T; j++) ds[r][j] = s[r][j] > 0.0f ? (float)((dp[r][j] - dot[r]) / Z[r]) : 0.0f;
                break;
            }
            }
        }
    }
    attn_rows_backward_ref(dS, dP, S, P, m, attn, quad2_c, T, r0, rows);
}
#endif

void tfm_vec_attn_rows(int impl, float *P, const float *S, const uint8_t *m, int attn, double quad2_c, int T, int rows)
{
    CHECK(attn >= TFM_ATTN_SOFTMAX && attn <= TFM_ATTN_2QUAD, "unknown attention normalisation %d", attn);
#if VEC_X86
    if (resolve(impl) == TFM_VEC_AVX512) {
        attn_rows_avx512(P, S, m, attn, quad2_c, T, rows);
        return;
    }
#else
    (void)resolve(impl);
#endif
    attn_rows_ref(P, S, m, attn, quad2_c, T, 0, rows);
}

void tfm_vec_attn_rows_backward(int impl, float *dS, const float *dP, const float *S, const float *P, const uint8_t *m,
                                int attn, double quad2_c, int T, int rows)
{
    CHECK(attn >= TFM_ATTN_SOFTMAX && attn <= TFM_ATTN_2QUAD, "unknown attention normalisation %d", attn);
#if VEC_X86
    if (resolve(impl) == TFM_VEC_AVX512) {
        attn_rows_backward_avx512(dS, dP, S, P, m, attn, quad2_c, T, rows);
        return;
    }
#else
    (void)resolve(impl);
#endif
    attn_rows_backward_ref(dS, dP, S, P, m, attn, quad2_c, T, 0, rows);
}

/* ---- distillation loss ---- */

static void mse_bwd_ref(float *da, const float *a, const float *b, size_t i0, size_t n, size_t nall, float zero_below,
                        double scale)
{
    for (size_t i = i0; i < n; i++)
        if (b[i] > zero_below) da[i] += (float)(scale * 2.0 * ((double)a[i] - b[i]) / (double)nall);
}

#if VEC_X86
VEC_AVX512 static void mse_bwd_avx512(float *da, const float *a, const float *b, size_t n, float zero_below, double scale)
{
    const __m512d vs2 = _mm512_set1_pd(scale * 2.0), vn = _mm512_set1_pd((double)n);
    const __m512 vz = _mm512_set1_ps(zero_below);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 bf = _mm256_loadu_ps(b + i);
        __mmask8 k = (__mmask8)_mm512_cmp_ps_mask(_mm512_castps256_ps512(bf), vz, _CMP_GT_OQ);
        if (!k) continue;
        __m512d d = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(a + i)), _mm512_cvtps_pd(bf));
        __m256 t = _mm512_cvtpd_ps(_mm512_div_pd(_mm512_mul_pd(vs2, d), vn));
        __m256 cur = _mm256_loadu_ps(da + i);
        /* add only where compared (elsewhere da is left as it is, bit for bit) */
        __m512 sum = _mm512_mask_add_ps(_mm512_castps256_ps512(cur), (__mmask16)k, _mm512_castps256_ps512(cur),
                                        _mm512_castps256_ps512(t));
        _mm256_storeu_ps(da + i, _mm512_castps512_ps256(sum));
    }
    mse_bwd_ref(da, a, b, i, n, n, zero_below, scale);
}
#endif

void tfm_vec_mse_backward(int impl, float *da, const float *a, const float *b, size_t n, float zero_below, double scale)
{
#if VEC_X86
    if (resolve(impl) == TFM_VEC_AVX512) {
        mse_bwd_avx512(da, a, b, n, zero_below, scale);
        return;
    }
#else
    (void)resolve(impl);
#endif
    mse_bwd_ref(da, a, b, 0, n, n, zero_below, scale);
}

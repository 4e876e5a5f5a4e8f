/* tfm_vec.h -- vectorised kernels of the training step (models/tfm_train.h), each beside its scalar
 * reference, chosen at run time (cpuid), never assumed at build time.
 *
 * Every fast kernel gives the reference's bits exactly: the same IEEE operations (add, mul, div,
 * sqrt, float<->double conversion, all correctly rounded) in the same order per element, only several
 * elements at a time; no FMA (the project builds C11, where GCC's -ffp-contract is off, and the
 * intrinsics name each operation); reductions keep their sequential order (they only skip what adds
 * exactly +0). tests/test_tfm_vec.c compares each implementation with the reference on random and
 * edge inputs, and whole training steps under each.
 *
 * Implementations: TFM_VEC_REF (portable C, the reference), TFM_VEC_AVX2, TFM_VEC_AVX512 (x86-64 with
 * GCC or clang only; the wasm32 and other builds have the reference alone). TFM_VEC_AUTO picks the
 * widest the CPU has. */
#ifndef TFM_VEC_H
#define TFM_VEC_H

#include <stddef.h>
#include <stdint.h>

enum { TFM_VEC_AUTO = 0, TFM_VEC_REF = 1, TFM_VEC_AVX2 = 2, TFM_VEC_AVX512 = 3 };

/* 1 if impl runs on this build and CPU (AUTO and REF always). */
int tfm_vec_available(int impl);
/* The implementation AUTO resolves to. */
int tfm_vec_best(void);
const char *tfm_vec_name(int impl); /* "auto", "ref", "avx2", "avx512" */

/* One AdamW step (tfm_adamw_update's contract, models/tfm_train.h), with the bias corrections c1 =
 * 1 - b1^t and c2 = 1 - b2^t given. Per element: m = b1 m + (1-b1) g; v = b2 v + ((1-b2) g) g
 * (double, stored as float); x = p; x -= (lr wd) x where decay[i] (decay may be NULL); x -= (lr
 * (m/c1)) / (sqrt(v/c2) + eps); p = (float)x. Three divisions and a square root per element: the
 * reference is bound by them, the AVX2/AVX-512 kernels run 4/8 elements per instruction. */
void tfm_vec_adamw(int impl, float *p, const float *g, float *m, float *v, const uint8_t *decay, size_t n,
                   double lr, double b1, double b2, double eps, double wd, double c1, double c2);

/* sum over i of (double)g[i] * g[i], added in index order (the reference's bits). The fast kernels
 * skip blocks whose entries are all +-0 (adding +0 to a sum of squares leaves it unchanged, bit for
 * bit): most of a step's gradient block is the embedding rows of tokens not in the batch. */
double tfm_vec_sumsq(int impl, const float *g, size_t n);

/* g[i] *= s (float). */
void tfm_vec_scale(int impl, float *g, size_t n, float s);

/* LayerNorm forward and backward (tfm_layernorm_forward / _backward's contracts, models/tfm_kernels.h
 * and models/tfm_train.h; the references are tfm_layernorm_*_ref). The row statistics are sequential
 * sums (mean, variance; the backward's two dot products), so they keep their order within each row;
 * the fast kernels sum several rows side by side (8 forward, 4 backward: independent dependency chains
 * the core overlaps, in place of one chain of C dependent additions at a time) and vectorise the
 * per-element part across the row. The backward's dg, db accumulate over rows in row order, as the
 * reference does. */
void tfm_vec_layernorm_forward(int impl, float *out, float *mean, float *rstd, const float *inp, const float *g,
                               const float *b, double eps, int N, int C);
void tfm_vec_layernorm_backward(int impl, float *dinp, float *dg, float *db, const float *dout, const float *inp,
                                const float *g, const float *mean, const float *rstd, int N, int C);
/* The same into a zeroed dinp in one pass: dinp = the bits of zeroing it and then the backward (the
 * sign of zero kept), and dinp2 (NULL: none) a copy of it; dg, db += as above. */
void tfm_vec_layernorm_backward_set(int impl, float *dinp, float *dinp2, float *dg, float *db, const float *dout,
                                    const float *inp, const float *g, const float *mean, const float *rstd, int N, int C);

/* Elementwise kernels (order-free: each element's operations as the reference's, in its order).
 * mul: x[i] *= m[i]. add: out[i] = a[i] + b[i] (out may alias a or b). colsum: acc[o] += row[o]
 * (double += float). dropout: m[i] = u[i] < thr ? 0 : keep, x[i] *= m[i] (the dropout draw of
 * models/tfm_backward.c). quad: out[i] = (float)((a x + b) x + c) in double. */
void tfm_vec_mul(int impl, float *x, const float *m, size_t n);
void tfm_vec_add(int impl, float *out, const float *a, const float *b, size_t n);
void tfm_vec_colsum(int impl, double *acc, const float *row, size_t n);
void tfm_vec_dropout(int impl, float *x, float *m, const uint16_t *u, uint32_t thr, float keep, size_t n);
void tfm_vec_quad(int impl, float *out, const float *inp, double a, double b, double c, size_t n);
/* The activation's backward into a zeroed dinp, in one pass: the bits of zeroing dinp and then
 * tfm_*_backward's dinp += (the product's -0 gives +0, as 0 + -0 does). act: TFM_ACT_* of
 * models/tfm.h; dydx: the kept derivative (tfm_gelu_*_forward_keep) for the GeLUs, NULL for relu
 * and quad (qa, qb: Quad's a, b; dinp = (float)((2 a x + b) dout)). */
void tfm_vec_act_backward_set(int impl, int act, float *dinp, const float *dout, const float *inp, const double *dydx,
                              double qa, double qb, size_t n);

/* Attention normalisation of `rows` consecutive rows of T scores (S, P: [rows,T]; m: the key mask [T]
 * or NULL; attn TFM_ATTN_*): the rows of normalise_row in models/tfm_forward.c, bit for bit. The
 * row sums stay sequential per row; the fast kernel runs 4 rows' sums side by side and vectorises
 * the per-element parts (softmax's exp stays libm's, one call per element); AVX-512 only (the
 * other implementations run the reference). Backward (models/tfm_backward.c's normalise_row_backward): dS from dP, S, P. */
void tfm_vec_attn_rows(int impl, float *P, const float *S, const uint8_t *m, int attn, double quad2_c, int T, int rows);
void tfm_vec_attn_rows_backward(int impl, float *dS, const float *dP, const float *S, const float *P, const uint8_t *m,
                                int attn, double quad2_c, int T, int rows);
/* The references, one row (models/tfm_forward.c, models/tfm_backward.c). */
void tfm_attn_row_ref(float *p, const float *s, const uint8_t *m, int attn, double quad2_c, int T);
void tfm_attn_row_backward_ref(float *ds, const float *dp, const float *s, const float *p, const uint8_t *m, int attn,
                               double quad2_c, int T);

/* tfm_mse_backward (models/tfm_train.h): da[i] += (float)(((scale 2) (a - b)) / n) where b[i] > zero_below. */
void tfm_vec_mse_backward(int impl, float *da, const float *a, const float *b, size_t n, float zero_below, double scale);

#endif

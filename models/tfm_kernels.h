/* tfm_kernels.h -- the layer kernels of the plaintext Transformer (models/tfm_forward.c), exposed for
 * tests and for the training code that will add their _backward twins.
 *
 * llm.c style: each layer is a plain function name_forward(out..., in..., sizes); shapes are in the
 * comments; callers own every buffer; no kernel allocates. Storage is float32. Accumulation: the
 * *_naive kernels, LayerNorm statistics, attention normalisation and the elementwise functions work in
 * double and round once to float; the BLAS kernels (cblas_sgemm, OpenBLAS) accumulate in float.
 * Each BLAS kernel has a naive reference beside it (tests compare them). */
#ifndef TFM_KERNELS_H
#define TFM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "tfm.h"

/* The additive attention mask at padded keys (BERT's extended attention mask). */
#define TFM_MASK_VALUE (-1e4f)
/* MPCFormer's 2ReLU training form: (relu(s) + eps/T) / (sum relu(s) + eps). */
#define TFM_2RELU_EPS 1e-12

/* Kernel family for whole-model passes. */
enum { TFM_KERNELS_BLAS = 0, TFM_KERNELS_NAIVE = 1 };

/* out[b,t,:] = wte[tokens[b,t]] + wpe[pos_offset + t] + wtt[types[b,t]].
 * out: [B,T,C]; tokens, types: [B,T] (types NULL = all 0); wte [V,C], wpe [P,C], wtt [TT,C].
 * CHECKs ids in range and pos_offset + T <= P. */
void tfm_embedding_forward(float *out, const int *tokens, const int *types, const float *wte,
                           const float *wpe, const float *wtt, int B, int T, int C, int V, int P, int TT,
                           int pos_offset);

/* LayerNorm over the last axis: out = (x - mean) * rstd * g + b, rstd = 1/sqrt(var + eps) with the
 * biased variance. out, inp: [N,C]; g, b: [C]; mean, rstd: [N] saved for backward (NULL to skip).
 * out may equal inp. */
void tfm_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *g,
                           const float *b, double eps, int N, int C);
/* The reference: one row at a time, the statistics summed in index order in double. tfm_layernorm_forward
 * runs models/tfm_vec.h's fastest implementation, which gives these bits. */
void tfm_layernorm_forward_ref(float *out, float *mean, float *rstd, const float *inp, const float *g,
                               const float *b, double eps, int N, int C);

/* Inference BatchNorm (MPCFormer's benchmark stand-in): out = (x - mu) / sqrt(var + eps) * g + b per
 * channel. out, inp: [N,C]; mu, var, g, b: [C]. out may equal inp. */
void tfm_batchnorm_forward(float *out, const float *inp, const float *mu, const float *var, const float *g,
                           const float *b, double eps, int N, int C);

/* out = inp W^T + bias. out: [N,OUT]; inp: [N,IN]; w: [OUT,IN] (PyTorch Linear); bias: [OUT] or NULL.
 * The BLAS kernel calls cblas_sgemm (float accumulation); the naive one accumulates in double.
 * out must not alias inp or w. */
void tfm_matmul_forward(float *out, const float *inp, const float *w, const float *bias, int N, int IN,
                        int OUT);
void tfm_matmul_forward_naive(float *out, const float *inp, const float *w, const float *bias, int N,
                              int IN, int OUT);

/* Multi-head self-attention core (projections excluded).
 * q, k, v: [B,T,C] (head h occupies columns h*hs .. h*hs+hs-1, hs = C/NH); mask: [B,T], 1 = real key,
 * 0 = padding (NULL = all real).
 * scores: [B,NH,T,T] out, QK^T/sqrt(hs) + TFM_MASK_VALUE at padded keys (pre-normalisation);
 * probs: [B,NH,T,T] out, the normalised rows (attn = TFM_ATTN_*; quad2_c is 2Quad's shift);
 * out: [B,T,C], probs V with heads concatenated.
 * Normalisations: softmax; 2Quad (s+c)^2 with padded keys set to 0, divided by the row sum (a row with
 * every key padded gives 0, where PyTorch gives NaN); 2ReLU (relu(s) + eps/T) / (sum relu(s) + eps). */
void tfm_attention_forward(float *out, float *scores, float *probs, const float *q, const float *k,
                           const float *v, const uint8_t *mask, int attn, double quad2_c, int B, int T,
                           int C, int NH);
/* tfm_attention_forward with the normalisation's implementation (TFM_VEC_*, models/tfm_vec.h; the same
 * bits at each). */
void tfm_attention_forward_impl(int impl, float *out, float *scores, float *probs, const float *q, const float *k,
                                const float *v, const uint8_t *mask, int attn, double quad2_c, int B, int T,
                                int C, int NH);
void tfm_attention_forward_naive(float *out, float *scores, float *probs, const float *q, const float *k,
                                 const float *v, const uint8_t *mask, int attn, double quad2_c, int B,
                                 int T, int C, int NH);

/* Elementwise activations on n values (out may equal inp).
 * gelu_erf: x/2 (1 + erf(x/sqrt 2)); gelu_tanh: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)));
 * relu: max(x, 0); quad: a x^2 + b x + c (MPCFormer's Quad, training form 0.125, 0.25, 0.5). */
void tfm_gelu_erf_forward(float *out, const float *inp, size_t n);
void tfm_gelu_tanh_forward(float *out, const float *inp, size_t n);
void tfm_relu_forward(float *out, const float *inp, size_t n);
void tfm_quad_forward(float *out, const float *inp, double a, double b, double c, size_t n);
/* Dispatch on cfg->act (TFM_ACT_*), with cfg's Quad coefficients. */
void tfm_act_forward(const tfm_config *cfg, float *out, const float *inp, size_t n);

/* out = a + b (n values; out may alias either). */
void tfm_residual_forward(float *out, const float *a, const float *b, size_t n);

/* tanh elementwise; out may equal inp. */
void tfm_tanh_forward(float *out, const float *inp, size_t n);

/* BERT pooler: out[b] = tanh(W h[b,0,:] + bias), the [CLS] (first) token of each sequence.
 * out: [B,C]; h: [B,T,C]; w: [C,C]; bias: [C]; cls: [B,C] scratch (the gathered [CLS] rows). */
void tfm_pooler_forward(float *out, float *cls, const float *h, const float *w, const float *bias, int B,
                        int T, int C, int kernels);

/* tfm_forward (models/tfm.h) with a choice of kernel family (TFM_KERNELS_BLAS or _NAIVE) for the
 * matmuls and the attention core. tfm_forward is tfm_forward_kernels(..., TFM_KERNELS_BLAS). */
void tfm_forward_kernels(const tfm_config *cfg, const tfm_params *p, const int *tokens, const int *types,
                         const uint8_t *mask, int B, int T, float *logits, float *hidden, float *scores,
                         int kernels);

#endif

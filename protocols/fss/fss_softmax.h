/* fss_softmax.h -- nExp, inverse and softmax on masked wires (SIGMA's construction; EzPC GPU-MPC
 * fss/gpu_nexp.cu, gpu_inverse.cu, gpu_softmax.cu read for structure and widths). Conventions as
 * fss_gate.h. n = ring bits, f = fractional bits.
 *
 * clip(x, M) = min(x, M) for 0 <= x < 2^(b-1), result in bout bits: c = 1{x < M} from one DPF on b bits
 *   at r (two comparisons: [x < M] = c(y) ^ c(y - M) ^ [y < M], y = x^), opened c^ (1 bit); then a
 *   two-entry table of linear functions indexed by c^ (c = 1: x, c = 0: M), opened in bout bits.
 *   bits: 1 + bout; rounds 2; key: N DPF(b) + ceil(N/8) + ceil(4 N bout / 8).
 * nExp(x) = exp(-x) for x >= 0 at f bits (SIGMA at f = 12; widths below at f = 12, in general the clip
 *   has f + 4 bits, x < 16, and hi f - 4): z = clip(x, 2^16 - 1) in 16 bits; lo = z mod 2^8
 *   (local); hi = TrReduce(z, 8) (8 bits); A = LUT_8(lo) = e^(-lo/2^f), B = LUT_8(hi) = e^(-256 hi/2^f);
 *   A B (multiply, 2f bits of scale) then TrWithSlack(n, f, n). The low LUT runs in lockstep with the
 *   TrReduce (split forms fss_tr_cmp/fin, fss_lut_uv/fin): round 1 opens the truncation's bit with the
 *   LUT's u^, v^ (2 + n bits, one message), round 2 opens hi^ with A^ (8 + n bits, one message).
 *   bits: (1 + 16) + (2 + n) + (8 + n) + (1 + 2n) + n + (1 + n) = 6n + 29 (329 at n = 50);
 *   rounds: 2 + 2 + 2 + 1 + 2 = 9 (clip, TrReduce beside the low LUT, high LUT, multiply, truncation);
 *   key bytes: clip(n, 16) + TrReduce(16, 8) + 2 LUT(8, n) + multiply + TrWithSlack(n, f, n), i.e.
 *   N (DPF(n) + DPF(8) + 2 DPF(8) + DPF(f)) plus the bit-packed elements (fss_nexp_cost sums them).
 * inverse(S) = 1/S for 1 <= S < 2^(in - f) at f bits: TrReduce(in, 6) then LUT_(in-6) of
 *   2^f 2^6 / (2^f j) (SIGMA's 6-bit drop: relative error below 2^(6-f) per unit of S). Where in - 6
 *   would exceed 16 bits (f > 13 at L = 128) the drop is in - 16 and the table 16 bits (below, 6 for d).
 *   bits: (1 + in - 6) + (1 + 2n); rounds 4; key bytes: N (DPF(6) + DPF(in - 6)) + ceil(N/8) +
 *   ceil(2 N (in - 6) / 8) (TrReduce) + ceil(N/8) + ceil(4 N n / 8) (LUT's r_u, r_v, select).
 * softmax along rows of R x L: m = max (fss_arith.h tree on n bits), x1 = m - x (local), e = nExp(x1),
 *   S = row sums (local), inv = inverse(S) with in = f + ceil(log2 L) + 1, out = TrWithSlack(e inv)
 *   (multiply by the row's inverse, n bits, then truncation by f).
 *   bits per score: (1 + n) per comparison of the max tree (L - 1 per row) + nExp's 6n + 29 + n + (1 + n)
 *   (481.5 at n = 50, L = 128; SIGMA's figure: about 471); per row: the inverse's. Rounds: 2 ceil(log2 L)
 *   + 9 + 4 + 1 + 2 (30 at L = 128, as SIGMA's code). Key bytes: the sum of the parts' (fss_softmax_cost).
 *   Where this differs from SIGMA: the max tree runs on n bits (SIGMA: on the input's bits + 2). */
#ifndef FSS_SOFTMAX_H
#define FSS_SOFTMAX_H

#include "fss_arith.h"
#include "fss_lut.h"

typedef struct fss_clip_key {
    int b, bout;
    size_t N;
    uint64_t M;
    fss_dpf_keys dpf;
    uint8_t *c;          /* XOR share of r_c */
    uint64_t *c0, *c1;   /* 2N each */
} fss_clip_key;
fss_cost fss_clip_cost(int b, int bout, size_t N);
void fss_clip_keygen(fss_dealer *d, fss_clip_key *k0, fss_clip_key *k1, uint64_t *r_out, const uint64_t *r_in, int b,
                     int bout, uint64_t M, size_t N);
void fss_clip(mpc_ctx *c, uint64_t *y_hat, const fss_clip_key *k, const uint64_t *x_hat, size_t N);
void fss_clip_key_free(fss_clip_key *k);

typedef struct fss_nexp_key {
    int n, f;
    size_t N;
    fss_clip_key clip;
    fss_tr_key hi;
    fss_lut_key lut_lo, lut_hi;
    fss_mul_key mul;
    fss_tr_key tr;
} fss_nexp_key;
fss_cost fss_nexp_cost(int n, int f, size_t N);
void fss_nexp_keygen(fss_dealer *d, fss_nexp_key *k0, fss_nexp_key *k1, uint64_t *r_out, const uint64_t *r_in, int n,
                     int f, size_t N);
void fss_nexp(mpc_ctx *c, uint64_t *y_hat, const fss_nexp_key *k, const uint64_t *x_hat, size_t N);
void fss_nexp_key_free(fss_nexp_key *k);

typedef struct fss_inv_key {
    int n, f, in;
    size_t N;
    fss_tr_key tr;
    fss_lut_key lut;
} fss_inv_key;
fss_cost fss_inv_cost(int n, int f, int in, size_t N);
void fss_inv_keygen(fss_dealer *d, fss_inv_key *k0, fss_inv_key *k1, uint64_t *r_out, const uint64_t *r_in, int n,
                    int f, int in, size_t N);
void fss_inv(mpc_ctx *c, uint64_t *y_hat, const fss_inv_key *k, const uint64_t *x_hat, size_t N);
void fss_inv_key_free(fss_inv_key *k);

typedef struct fss_softmax_key {
    int n, f;
    size_t R, L;
    fss_max_key max;
    fss_nexp_key nexp;
    fss_inv_key inv;
    fss_mul_key mul;
    fss_tr_key tr;
} fss_softmax_key;
fss_cost fss_softmax_cost(int n, int f, size_t R, size_t L);
void fss_softmax_keygen(fss_dealer *d, fss_softmax_key *k0, fss_softmax_key *k1, uint64_t *r_out, const uint64_t *r_in,
                        int n, int f, size_t R, size_t L);
void fss_softmax(mpc_ctx *c, uint64_t *y_hat, const fss_softmax_key *k, const uint64_t *x_hat);
/* Without the final opening: y_sh = this party's share of y + r_out (one round and n bits fewer). */
void fss_softmax_sh(mpc_ctx *c, uint64_t *y_sh, const fss_softmax_key *k, const uint64_t *x_hat);
void fss_softmax_key_free(fss_softmax_key *k);

#endif

/* fss_norm.h -- inverse square root by a float-like 13-bit LUT, and LayerNorm (SIGMA's structure: EzPC
 * GPU-MPC fss/gpu_layernorm.cu read; its rsqrt is LLAMA's float-like LUT, rebuilt here as below).
 * Conventions as fss_gate.h; n ring bits, f fractional bits, K = n - 2.
 *
 * rsqrt(v): for an integer 1 <= v < 2^K with real meaning v / (d 2^fin) (d, fin public), returns
 * 1/sqrt(v / (d 2^fin)) at f bits.
 *   1. t_j = [v >= 2^j] for j = 1..K-1: all from ONE DPF on n bits at v's mask ([x < K'] = c(y) ^
 *      c(y - K') ^ [y < K'] twice per j), opened XOR-masked (K - 1 bits, round 1).
 *   2. Locally from the opened t^_j and dealer shares of r_j, r r_j, r (n bits): t_j = t^_j + (1 - 2 t^_j) r_j,
 *      e = floor(log2 v) = sum_j t_j, P = 2^(K-1-e) = 2^(K-1) - sum_j 2^(K-1-j) t_j (linear in the t_j),
 *      and w = v P = v^ P - r P with r t_j = t^_j (r - 2 r r_j) + r r_j, so w in [2^(K-1), 2^K) needs no
 *      multiplication round. e^ (6 bits) and w^ (n bits) are opened in one message (round 2).
 *   3. m = TrWithSlack(w, K - 7) in 13 bits: 7 mantissa bits (1 + 13 bits, 2 rounds);
 *   4. index (e << 7) + m (13 bits, local), LUT_13 of 1/sqrt(m 2^(e-6) / (d 2^fin)) (1 + 2n, 2 rounds).
 *   bits per element: (K - 1) + (6 + n) + 14 + (1 + 2n) = K + 3n + 20 (218 at n = 50); rounds 6.
 *   Relative error: the 7-bit mantissa, below 2^-7, plus half an ulp.
 *   Key: DPF(n) + ceil(T/8) (the r_j's XOR shares, T = (K - 1) N) + ceil(6N/8) (r_e) + ceil((2T + 2N) n/8)
 *   (r_j, r r_j, r, r_w), then the truncation's and LUT_13's keys.
 *   (SIGMA's LayerNorm calls LLAMA's Rsqrt: F2BF16 in 3 openings, then LUT_13 in 2.)
 *
 * LayerNorm along rows of R x L with gamma, beta (masked wires of length L), eps (public):
 *   1. mu = TrWithSlack(round(2^2f / L) sum_j x, 2f) into n bits (exact floor; needs the scaled sum below
 *      2^(n-2), i.e. |mean| < 2^(n-2-3f) = 4096 at n = 50, f = 12; SIGMA: TrFloor, 4 rounds, 2^(n-1));
 *   2. x - mu (local); 3. each row's sum of squares, computed locally from (x^ - r)^2 with a key of
 *      shares of r and of sum r^2 + r_v, opened per row (n bits); 4. rsqrt(v + eps L 2^2f) with d = L,
 *      fin = 2f; 5. (x - mu) rsqrt (row multiply, n bits) and TrWithSlack by f (1 + n);
 *   6. times gamma (column multiply, n bits) plus beta 2^f (local), TrWithSlack by f (1 + n).
 *   bits per element: 4n + 2 (202 at n = 50); per row: the mean's 1 + n, n, and rsqrt's K + 3n + 20.
 *   Rounds: 2 + 1 + 6 + (1 + 2) + (1 + 2) = 15. */
#ifndef FSS_NORM_H
#define FSS_NORM_H

#include "fss_arith.h"
#include "fss_lut.h"

enum { FSS_RSQRT_EBITS = 6, FSS_RSQRT_MBITS = 7 };

typedef struct fss_rsqrt_key {
    int n, f, fin;
    int recip;       /* 0: v^(-1/2) (rsqrt); 1: v^(-1) (fss_recip_keygen) */
    double d;
    size_t N;
    fss_dpf_keys dpf;
    uint8_t *c;      /* T = (K-1) N XOR shares of the thermometer masks r_j */
    uint64_t *e0;    /* N shares (6 bits) of r_e */
    uint64_t *sh;    /* 2T + 2N shares (n bits): r_j (T), r r_j (T), r (N), r_w (N) */
    fss_lut_key lr;
    fss_tr_key tr;
} fss_rsqrt_key;
fss_cost fss_rsqrt_cost(int n, size_t N);
void fss_rsqrt_keygen(fss_dealer *d, fss_rsqrt_key *k0, fss_rsqrt_key *k1, uint64_t *r_out, const uint64_t *r_in, int n,
                      int f, int fin, double dd, size_t N);
void fss_rsqrt(mpc_ctx *c, uint64_t *y_hat, const fss_rsqrt_key *k, const uint64_t *x_hat, size_t N);
void fss_rsqrt_key_free(fss_rsqrt_key *k);
/* The same float-like LUT for the reciprocal 1 / (v / (d 2^fin)) (2Quad's and 2ReLU's row sums, whose
 * range a fixed-point LUT cannot cover); evaluate with fss_rsqrt. v = 0 gives 0. Same costs.
 * f is the output scale here (any f < n - 2; values above 2^(n-2) saturate). */
void fss_recip_keygen(fss_dealer *d, fss_rsqrt_key *k0, fss_rsqrt_key *k1, uint64_t *r_out, const uint64_t *r_in,
                      int n, int f, int fin, double dd, size_t N);

/* ---- MPCFormer's attention approximations, rows of R x L at f bits ----
 * 2Quad: q = (x + c)^2 (square of x + c, TrFloor by f), out = q / sum_j q (reciprocal by the
 *   float-like LUT with fin = f and output scale 2f, row multiply, TrWithSlack by 2f).
 *   bits per element: n + (2n - f + 2) + n + (1 + n); per row: the reciprocal's K + 3n + 20.
 * 2ReLU: q = ReLU(x) + 2^-f (1 + n; the ulp is a public add on the opened q^, as crypten's 2ReLU: it
 *   stands in for the training form's eps, so a row whose scores are all <= 0 gives 1/L as the float
 *   model does, instead of 0; padded keys too, as the float model's eps/T does), then as 2Quad: bits
 *   per element (1 + n) + n + (1 + n). */
typedef struct fss_attn_key {
    int n, f, kind; /* 0: 2Quad, 1: 2ReLU */
    size_t R, L;
    uint64_t c;     /* 2Quad's shift, encoded */
    fss_square_key sq;
    fss_trfloor_key tf;
    fss_relu_key relu;
    fss_rsqrt_key rc;
    fss_mul_key mul;
    fss_tr_key tr;
} fss_attn_key;
fss_cost fss_attn_cost(int kind, int n, int f, size_t R, size_t L);
void fss_attn_keygen(fss_dealer *d, fss_attn_key *k0, fss_attn_key *k1, uint64_t *r_out, const uint64_t *r_in, int kind,
                     int n, int f, double c, size_t R, size_t L);
void fss_attn(mpc_ctx *c, uint64_t *y_hat, const fss_attn_key *k, const uint64_t *x_hat);
/* Without the final opening: y_sh = this party's share of y + r_out (one round and n bits fewer). */
void fss_attn_sh(mpc_ctx *c, uint64_t *y_sh, const fss_attn_key *k, const uint64_t *x_hat);
void fss_attn_key_free(fss_attn_key *k);

typedef struct fss_layernorm_key {
    int n, f;
    size_t R, L;
    double eps;
    uint64_t cmean;    /* public multiplier of the row sum: round(2^2f / L) */
    fss_tr_key mu;     /* TrWithSlack(n, 2f, n) of the scaled row sum */
    uint64_t *sr, *sc; /* shares of r (R L) and of sum_j r^2 + r_v (R) */
    fss_rsqrt_key rs;
    fss_mul_key m1, m2;
    fss_tr_key t1, t2;
} fss_layernorm_key;
fss_cost fss_layernorm_cost(int n, int f, size_t R, size_t L);
void fss_layernorm_keygen(fss_dealer *d, fss_layernorm_key *k0, fss_layernorm_key *k1, uint64_t *r_out,
                          const uint64_t *r_in, const uint64_t *r_gamma, const uint64_t *r_beta, int n, int f,
                          double eps, size_t R, size_t L);
void fss_layernorm(mpc_ctx *c, uint64_t *y_hat, const fss_layernorm_key *k, const uint64_t *x_hat,
                   const uint64_t *gamma_hat, const uint64_t *beta_hat);
void fss_layernorm_sh(mpc_ctx *c, uint64_t *y_sh, const fss_layernorm_key *k, const uint64_t *x_hat,
                      const uint64_t *gamma_hat, const uint64_t *beta_hat);
void fss_layernorm_key_free(fss_layernorm_key *k);

#endif

/* fss_lut.h -- lookup tables by DPF full-domain evaluation, and GeLU on them (SIGMA, FSS.md 3).
 *
 * LUT: y = T[x] for a masked x^ in Z_2^bin (bin <= 16) and a public table of 2^bin entries of bout
 * bits. The key holds a DPF at the input mask r (fss_dpf.h); its full-domain evaluation gives each
 * party bit shares e_p[j] with e_0[j] ^ e_1[j] = 1{j = r}. Party p computes
 *     v_p = (-1)^p sum_j e_p[j] T[x^ - j],       so v_0 + v_1 = s T[x] with s = (-1)^(1 - e_0[r]),
 * and a bit share of u = e_0[r] = (s + 1)/2 from the popcounts of its shares (P0: bit1(A_0) ^ bit0(A_0),
 * P1: bit1(A_1)). Round 1 opens u^ = u ^ r_u and v^ = v + r_v (one message); then T[x] = 2 u v - v,
 * with u v by select (fss_gate.h) and opened in round 2.
 *   bits: 1 + 2 bout; rounds: 2;
 *   key bytes: N DPF(bin) + ceil(N/8) + ceil(N bout/8) + ceil(3 N bout/8)
 *              (the DPF, the share of r_u, the share of r_v, the select key).
 * The output mask is r_out = 2 r_sel - r_v (drawn by keygen, returned).
 *
 * GeLU (SIGMA's construction; EzPC GPU-MPC fss/gpu_gelu.cu read for table size and widths): for x a
 * fixed-point value of f fractional bits in Z_2^n whose magnitude fits bin bits (SIGMA: bin = n - f):
 *   1. Xt = TrWithSlack(x, shift f - 6) into bt = bin - f + 7 bits: x at 6 fractional bits. 1 + bt bits.
 *   2. From ONE DPF on bt bits at Xt's mask, four comparisons give d = 1{Xt >= 0} and
 *      ic = 1{-255 <= Xt <= 255} (for K = 2^(bt-1) and 511: [x < K] = c(y) ^ c(y - K) ^ [y < K] with
 *      x = y - r, c(.) the DPF comparison with r). Opens d^, ic^ together: 2 bits.
 *   3. clip = min(|Xt|, 255) in 8 bits by a 4-entry table of linear functions indexed by (d^, ic^)
 *      (a mux, key: 8 elements of 8 bits). 8 bits.
 *   4. LUT (8 -> n bits) of ReLU - GeLU at i/64, i < 256, encoded at f bits: round 1 (1 + n bits).
 *   5. ReLU = select(d^, x^) (n bits) and the LUT's select combine locally; one opening of
 *      y = ReLU - LUT: n bits.
 *   bits: 3n - 2f + 19 at bin = n - f (145 at n = 50, f = 12); rounds 6;
 *   key bytes: TrWithSlack(bin, f-6, bt) + N DPF(bt) + ceil(2N/8) + 8N + LUT(8, n) + select(n).
 *   Tolerance: |err| <= 0.5/64 + 2^-f (floor to 1/64, the slope of ReLU - GeLU is below 1/2, clip at
 *   255/64 costs < 2e-4).
 * Needs f >= 6 and bin <= n, bin - f + 7 >= 9. */
#ifndef FSS_LUT_H
#define FSS_LUT_H

#include "fss_gate.h"

typedef struct fss_lut_key {
    int bin, bout;
    size_t N;
    fss_dpf_keys dpf;
    uint8_t *u;     /* XOR share of r_u */
    uint64_t *v;    /* additive share of r_v */
    fss_select_key sel;
} fss_lut_key;
fss_cost fss_lut_cost(int bin, int bout, size_t N);
void fss_lut_keygen(fss_dealer *d, fss_lut_key *k0, fss_lut_key *k1, uint64_t *r_out, const uint64_t *r_in, int bin,
                    int bout, size_t N);
/* Round 1 and the local select: y_sh = share of T[x] + r_out (unopened). */
void fss_lut_shares(mpc_ctx *c, uint64_t *y_sh, const fss_lut_key *k, const uint64_t *table, const uint64_t *x_hat,
                    size_t N);
/* Split form, for running a LUT in lockstep with another gate: fss_lut_uv is the local first step
 * (shares of u ^ r_u, 1 bit, and v + r_v, bout bits, opened together); fss_lut_fin the local select from
 * the opened u^, v^ (y_sh: share of T[x] + r_out). fss_lut_shares = uv, one opening, fin. */
void fss_lut_uv(mpc_ctx *c, uint64_t *u_sh, uint64_t *v_sh, const fss_lut_key *k, const uint64_t *table,
                const uint64_t *x_hat, size_t N);
void fss_lut_fin(mpc_ctx *c, uint64_t *y_sh, const fss_lut_key *k, const uint64_t *uh, const uint64_t *vh, size_t N);
void fss_lut(mpc_ctx *c, uint64_t *y_hat, const fss_lut_key *k, const uint64_t *table, const uint64_t *x_hat, size_t N);
void fss_lut_key_free(fss_lut_key *k);

enum { FSS_GELU_ERF = 0, FSS_GELU_TANH = 1 };
typedef struct fss_gelu_key {
    int n, f, bin;
    int table;         /* FSS_GELU_*: which table (set by the caller after keygen; not in the key bytes) */
    size_t N;
    fss_tr_key tr;
    fss_dpf_keys dic;
    uint8_t *cd, *cic; /* XOR shares of r_d, r_ic */
    uint64_t *c0, *c1; /* 4N each: mux constants (8 bits) */
    fss_lut_key lut;
    fss_select_key relu;
} fss_gelu_key;
fss_cost fss_gelu_cost(int n, int f, int bin, size_t N);
void fss_gelu_keygen(fss_dealer *d, fss_gelu_key *k0, fss_gelu_key *k1, uint64_t *r_out, const uint64_t *r_in, int n,
                     int f, int bin, size_t N);
void fss_gelu(mpc_ctx *c, uint64_t *y_hat, const fss_gelu_key *k, const uint64_t *x_hat, size_t N);
/* Without the final opening: y_sh = this party's share of y + r_out (one round and n bits fewer). */
void fss_gelu_sh(mpc_ctx *c, uint64_t *y_sh, const fss_gelu_key *k, const uint64_t *x_hat, size_t N);
void fss_gelu_key_free(fss_gelu_key *k);
/* The public table of step 4: T[i] = encode_f(ReLU(i/64) - GeLU(i/64)) mod 2^n, i < 256. */
void fss_gelu_table(uint64_t *T, int n, int f);
/* The table of kind FSS_GELU_ERF (as above) or FSS_GELU_TANH (ReLU - GeLU's tanh form). */
void fss_gelu_table_kind(uint64_t *T, int n, int f, int kind);

#endif

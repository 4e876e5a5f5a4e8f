/* fss_family.h -- the `fss` protocol family (family.h): SIGMA's FSS gates (fss_gate.h, fss_lut.h,
 * fss_arith.h, fss_softmax.h, fss_norm.h) behind the family seam, two parties plus a dealer over
 * Z_2^n (n = ring_bits, default 50; f = frac_bits, default 12).
 *
 * Wires between layers are additive shares (family.h's convention, so the model's local adds and head
 * permutations work unchanged); values are kept reduced mod 2^n. Every gate of this family:
 *   1. draws this party's share of the gate's input mask r_in from its dealer stream (seed trick: no
 *      bytes; D replays both streams), and P0 sends D one request (DEALER_REQ_BYTES);
 *   2. opens x^ = x + r_in (n bits per element, bit-packed, one round; P0 appends its masked private
 *      input, the weight W^ = W + R_W or LayerNorm's gamma^, beta^, in the same round, R_W drawn from
 *      its dealer stream);
 *   3. reads its key (D -> P0 and D -> P1: the gate's keys, fss_keyio.h, plus for P0 the output mask
 *      r_out, n bits per output) and evaluates the SIGMA gate on x^ up to its last opening, which it
 *      skips: each party holds a share of y + r_out, P0 subtracts r_out.
 * So each gate opens its input once instead of its output: the same bytes and rounds as SIGMA's
 * masked-wire chain, where a gate opens its output for the next gate (FSS.md 3), except where one
 * wire feeds several gates (the Q, K, V linear layers open their common input three times) and where
 * a sum of wires is opened once (residual + norm: SIGMA opens both terms, we open the sum).
 *
 * Costs (per party, n = ring bits, s = f): gate G on N inputs, N' outputs of b' bits at its end:
 *   rounds G.rounds;  bytes ceil(N n / 8) + G.bytes - ceil(N' b' / 8);  keys G.key_bytes to each party,
 *   + ceil(N' n / 8) to P0;  1 request.
 * Layers (SIGMA's constructions):
 *   linear (T x in @ in x out): masked matmul (fss_matmul_sh), P0 adds its bias at scale 2f to its
 *     share, opens Z + R_Z (n bits), TrFloor(n, f) without its last opening. rounds 1 + 1 + 3 = 5;
 *     P0 sends ceil(T in n/8) + ceil(in out n/8) + ceil(T out n/8) + T out (2n - f + 2 - n)/8 (packed per
 *     message), P1 the same without the weight; keys: matmul (T in + in out + T out elements) + TrFloor.
 *   matmul of two secrets (attention): as linear with both operands opened and no weight message.
 *   scale by a public k: local multiply by round(k 2^f), then TrFloor(n, f) (a gate on N inputs).
 *   activation: GeLU (fss_gelu: erf or tanh table), ReLU, Quad (fss_quad: a x^2 + b x + c, a = 2^-k, from the
 *     configuration: the model's coefficients);
 *     tanh (the pooler) = 2 softmax([x, -x])_0 - 1 (softmax rows of length 2).
 *   attention normalisation: softmax (fss_softmax; a masked key gets -2^(n-4) added first, so nExp
 *     clips it to 0), 2ReLU (fss_attn, masked keys alike: ReLU gives 0) and 2Quad (fss_attn;
 *     a masked key's score is set to the public -c, so its square is exactly 0).
 *   norm: LayerNorm (fss_layernorm, gamma and beta P0's inputs); MPCFormer's BatchNorm stand-in
 *     x a + b with P0's per-column a (masked input, broadcast multiply, TrFloor) and b (added by P0),
 *     a and b computed by P0 from its plaintext statistics (no setup under MPC).
 *   ltz: DReLU then select with the public 1 (1 - d); trunc: TrFloor(n, f).
 *   embedding: CrypTen's one-hot Beaver matmul over Z_2^64 (mpc_beaver.h; SIGMA starts from embedded
 *     inputs), reduced mod 2^n; output: P1 (or P0) receives the other's share, n bits packed. */
#ifndef FSS_FAMILY_H
#define FSS_FAMILY_H

#include "../family.h"

extern const mpc_family mpc_family_fss;
/* The family's dealer kinds (NULL-name terminated). */
extern const dealer_kind_def fss_dealer_kinds[];

#endif

/* fss_dcf.h -- distributed comparison function of Boyle et al., "Function Secret Sharing for
 * Mixed-Mode and Fixed-Point Secure Computation" (Eurocrypt 2021, BCG+21): a key pair for (alpha, beta)
 * gives P0 and P1 additive shares in G = Z_2^l of beta * 1{x < alpha}, for x, alpha in {0,1}^n unsigned,
 * 1 <= n <= 64, 1 <= l <= 64.
 *
 * Key of one party, exactly (serialised by fss_dcf_key_write):
 *   root seed (128 bits) + n levels x (126-bit seed || t_L || t_R, and V_CW in G) + final word in G
 *   = (n + 1)(128 + l) bits, ceil of that / 8 bytes.
 * PRG per level: H(s,0) -> (s_L, t_L), H(s,1) -> v_L, H(s,2) -> (s_R, t_R), H(s,3) -> v_R (fss_prg.h);
 * Convert(v) = low l bits. Gen: 4 AES per level per party (8 per level per key pair); Eval: 2 per level. */
#ifndef FSS_DCF_H
#define FSS_DCF_H

#include <stddef.h>
#include <stdint.h>

#include "../../common/rng.h"
#include "fss_prg.h"

typedef struct fss_dcf_keys {
    int n, l;
    size_t N;
    fss_block *s0; /* N root seeds */
    fss_block *cw; /* N * n seed correction words (t_L in bit 0, t_R in bit 1) */
    uint64_t *vcw; /* N * n value correction words in G */
    uint64_t *g;   /* N final correction words in G */
} fss_dcf_keys;

uint64_t fss_dcf_key_bits(int n, int l);
uint64_t fss_dcf_key_bytes(int n, int l);

void fss_dcf_keys_alloc(fss_dcf_keys *k, int n, int l, size_t N);
void fss_dcf_keys_free(fss_dcf_keys *k);

/* Dealer: key pairs for (alpha[i], beta[i]), i < N. */
void fss_dcf_gen(fss_prg *g, rng *r, fss_dcf_keys *k0, fss_dcf_keys *k1, const uint64_t *alpha, const uint64_t *beta,
                 size_t N);
/* out[i] = party's share (in [0, 2^l)) of beta_i * 1{x[i] < alpha_i}. */
void fss_dcf_eval(fss_prg *g, uint64_t *out, int party, const fss_dcf_keys *k, const uint64_t *x, size_t N);

void fss_dcf_key_write(uint8_t *out, const fss_dcf_keys *k, size_t i);
void fss_dcf_key_read(fss_dcf_keys *k, size_t i, const uint8_t *in);

#endif

/* fss_dpf.h -- distributed point function with early termination (BGI16 tree, as SIGMA uses it), one
 * output bit, XOR-shared, and the 1-bit comparison SIGMA evaluates from the same key.
 *
 * A key pair for a point alpha in {0,1}^n (1 <= n <= 64) gives P0 and P1 bit shares whose XOR is
 * 1{x = alpha}. The tree has m = n - 7 levels; its leaf is a 128-bit block holding the 2^7 outputs
 * below that node (early termination, nu = 7). For n <= 7 the key is a secret-shared table of 2^n bits.
 *
 * Key of one party, exactly (serialised by fss_dpf_key_write):
 *   n > 7:  root seed s0 (128 bits) + m correction words (126-bit seed, t_L, t_R: 128 bits each)
 *           + the leaf correction word (128 bits)        = 128 (n - 5) bits = 16 n - 80 bytes;
 *   n <= 7: the table share, 2^n bits                    = ceil(2^n / 8) bytes.
 * The initial control bit is the party's index and is not stored.
 *
 * Cost (AES blocks per key): gen 4 per level + 2 leaves; point evaluation 1 per level + 1;
 * comparison evaluation 2 per level + 1; full-domain evaluation 2^(m+1) - 2 + 2^m.
 *
 * Comparison ("x < alpha", SIGMA's DPF-based 1-bit DCF): along the path of x, XOR the control bit of
 * the right child wherever x turns left, then the leaf bits above x's position; the result is an XOR
 * sharing of 1{x < alpha} (only the path of alpha has control bits whose XOR is 1). */
#ifndef FSS_DPF_H
#define FSS_DPF_H

#include <stddef.h>
#include <stdint.h>

#include "../../common/arena.h"
#include "../../common/rng.h"
#include "fss_prg.h"

enum { FSS_DPF_NU = 7 };

/* N keys of one party, each in its serialised form (array of structs: key i is kb bytes at raw + i kb),
 * so sending, receiving and evaluating a key need no conversion: n > 7: the root seed, the m
 * correction words (seed, t_L in bit 0, t_R in bit 1) and the leaf correction word, 16 bytes each
 * (a block's lo word then its hi word, little-endian); n <= 7: the table share, 2^n bits LSB first.
 * raw is owned (fss_dpf_keys_alloc) or a view of a received buffer (fss_dpf_keys_view). */
typedef struct fss_dpf_keys {
    int n;
    size_t N, kb;  /* keys, bytes per key (fss_dpf_key_bytes(n)) */
    uint8_t *raw;  /* N kb bytes */
    int owned;     /* 1: raw is freed by fss_dpf_keys_free; 0: a view; FSS_DPF_PLACED: generated in place
                    * in a dealer's output buffer (fss_dpf_keys_place) */
} fss_dpf_keys;

enum { FSS_DPF_PLACED = 2 };

/* Levels of the tree: max(n - 7, 0). */
int fss_dpf_levels(int n);
/* Exact key size of one party for one point, in bits and in bytes (serialised form). */
uint64_t fss_dpf_key_bits(int n);
uint64_t fss_dpf_key_bytes(int n);

void fss_dpf_keys_alloc(fss_dpf_keys *k, int n, size_t N);
/* The same from an arena (arena.h; NULL: malloc), for a dealer that generates keys gate after gate. */
void fss_dpf_keys_alloc_in(fss_dpf_keys *k, int n, size_t N, arena *a);
/* N keys read in place from buf (N fss_dpf_key_bytes(n) bytes, alive as long as k): no copy. */
void fss_dpf_keys_view(fss_dpf_keys *k, int n, size_t N, const uint8_t *buf);
/* N keys to be generated in place at buf (a dealer's output buffer, where the serialised key goes):
 * writing them out is then no copy. Not freed by fss_dpf_keys_free. */
void fss_dpf_keys_place(fss_dpf_keys *k, int n, size_t N, uint8_t *buf);
void fss_dpf_keys_free(fss_dpf_keys *k);
/* Block j of key i (n > 7: 0 the root seed, 1..m the correction words, m + 1 the leaf word; n <= 7:
 * 0 the table share). */
fss_block fss_dpf_key_block(const fss_dpf_keys *k, size_t i, int j);

/* Dealer: key pairs for the N points alpha[i] (low n bits used). Randomness from r. */
void fss_dpf_gen(fss_prg *g, rng *r, fss_dpf_keys *k0, fss_dpf_keys *k1, const uint64_t *alpha, size_t N);

/* Party `party` (0/1): out[i] (0/1) = its share of 1{x[i] = alpha_i}, resp. 1{x[i] < alpha_i}
 * (unsigned n-bit comparison). */
void fss_dpf_eval_eq(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k, const uint64_t *x, size_t N);
void fss_dpf_eval_lt(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k, const uint64_t *x, size_t N);

/* The naive references of the two: one key at a time, one PRG call per node (tests compare them). */
void fss_dpf_eval_eq_ref(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k, const uint64_t *x, size_t N);
void fss_dpf_eval_lt_ref(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k, const uint64_t *x, size_t N);

/* Full-domain evaluation: out[i * 2^n + j] = share of 1{j = alpha_i} for j < 2^n. Needs n <= 24. */
void fss_dpf_eval_all(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k);

/* Serialises key i (exactly fss_dpf_key_bytes(n) bytes) and reads one back into slot i (owned keys):
 * a copy of the key's bytes. */
void fss_dpf_key_write(uint8_t *out, const fss_dpf_keys *k, size_t i);
void fss_dpf_key_read(fss_dpf_keys *k, size_t i, const uint8_t *in);

#endif

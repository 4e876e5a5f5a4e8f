/* fss_prg.h -- the PRG of the fss family: AES-128 through OpenSSL's EVP interface (libcrypto), so
 * AES-NI is used when the CPU has it (chosen at run time by OpenSSL; never assumed at build time).
 *
 * Blocks are 128-bit values held as two little-endian 64-bit words; their byte image (lo word first,
 * little-endian) is what AES sees. The tree PRG of the DPF and DCF is fixed-key AES in the
 * Matyas-Meyer-Oseas form with a small tweak,
 *     H(s, i) = AES_K(s ^ i) ^ s ^ i,     i = 0..7 in the low word,
 * with K a public constant (FSS_PRG_FIXED_KEY). Seeds of the trees are 126 bits: their low two bits are
 * zero, so a correction word packs two control bits into them (FSS.md 2). One H costs one AES block.
 * An fss_prg is not thread-safe: each party (thread) owns its own. */
#ifndef FSS_PRG_H
#define FSS_PRG_H

#include <stddef.h>
#include <stdint.h>

typedef struct fss_block {
    uint64_t lo, hi;
} fss_block;

typedef struct fss_prg {
    void *evp; /* EVP_CIPHER_CTX *, AES-128-ECB, no padding */
    uint64_t nblocks; /* AES blocks computed so far (work accounting) */
    fss_block *scratch; /* fss_prg_h's input buffer, grown on demand */
    size_t cap;
} fss_prg;

/* Initialises AES-128-ECB encryption under a 16-byte key. CHECK-fails if libcrypto refuses. */
void fss_prg_init_key(fss_prg *g, const uint8_t key[16]);
/* Fixed-key form with the public key FSS_PRG_FIXED_KEY. */
void fss_prg_init(fss_prg *g);
void fss_prg_free(fss_prg *g);

/* out[i] = AES_K(in[i]) for n blocks (one EVP call; out may alias in). */
void fss_aes_blocks(fss_prg *g, fss_block *out, const fss_block *in, size_t n);
/* Raw bytes form, for known-answer tests: n 16-byte blocks. */
void fss_aes_bytes(fss_prg *g, uint8_t *out, const uint8_t *in, size_t n);

/* out[j] = H(s[j], tw[j]) for n blocks: the tree PRG (batched: one EVP call). */
void fss_prg_h(fss_prg *g, fss_block *out, const fss_block *s, const uint8_t *tw, size_t n);

static inline fss_block fss_xor(fss_block a, fss_block b)
{
    fss_block r = {a.lo ^ b.lo, a.hi ^ b.hi};
    return r;
}
/* a if bit else 0 */
static inline fss_block fss_and_bit(fss_block a, unsigned bit)
{
    uint64_t m = 0 - (uint64_t)(bit & 1);
    fss_block r = {a.lo & m, a.hi & m};
    return r;
}
/* Bit j (0..127) of a block. */
static inline unsigned fss_block_bit(fss_block a, unsigned j)
{
    return (unsigned)((j < 64 ? a.lo >> j : a.hi >> (j - 64)) & 1);
}

#endif

/* fss_prg.c -- AES-128 through EVP (see fss_prg.h). */
#include "fss_prg.h"

#include <openssl/evp.h>
#include <stdlib.h>

#include "../../common/chk.h"

/* Any public constant will do; these are the first 16 bytes of the fractional part of pi. */
static const uint8_t FSS_PRG_FIXED_KEY[16] = {0x24, 0x3f, 0x6a, 0x88, 0x85, 0xa3, 0x08, 0xd3,
                                              0x13, 0x19, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x44};

void fss_prg_init_key(fss_prg *g, const uint8_t key[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    CHECK(c != NULL, "fss_prg: EVP_CIPHER_CTX_new failed");
    CHECK(EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) == 1, "fss_prg: AES-128 key setup failed");
    CHECK(EVP_CIPHER_CTX_set_padding(c, 0) == 1, "fss_prg: cannot disable padding");
    g->evp = c;
    g->nblocks = 0;
    g->scratch = NULL;
    g->cap = 0;
}

void fss_prg_init(fss_prg *g) { fss_prg_init_key(g, FSS_PRG_FIXED_KEY); }

void fss_prg_free(fss_prg *g)
{
    EVP_CIPHER_CTX_free(g->evp);
    g->evp = NULL;
    free(g->scratch);
    g->scratch = NULL;
    g->cap = 0;
}

void fss_aes_bytes(fss_prg *g, uint8_t *out, const uint8_t *in, size_t n)
{
    /* EVP_EncryptUpdate takes an int length: chunk. */
    const size_t chunk = (size_t)1 << 20; /* blocks */
    while (n > 0) {
        size_t k = n < chunk ? n : chunk;
        int outl = 0;
        CHECK(EVP_EncryptUpdate(g->evp, out, &outl, in, (int)(16 * k)) == 1 && outl == (int)(16 * k),
              "fss_prg: AES encryption failed");
        g->nblocks += k;
        out += 16 * k;
        in += 16 * k;
        n -= k;
    }
}

void fss_aes_blocks(fss_prg *g, fss_block *out, const fss_block *in, size_t n)
{
    /* fss_block is two uint64_t with no padding: its bytes are the block (little-endian hosts give
     * the byte order documented in fss_prg.h; any host gives a valid PRG). */
    fss_aes_bytes(g, (uint8_t *)out, (const uint8_t *)in, n);
}

void fss_prg_h(fss_prg *g, fss_block *out, const fss_block *s, const uint8_t *tw, size_t n)
{
    if (n == 0) return;
    if (n > g->cap) {
        free(g->scratch);
        g->scratch = malloc(n * sizeof *g->scratch);
        CHECK(g->scratch != NULL, "fss_prg: out of memory");
        g->cap = n;
    }
    fss_block *in = g->scratch;
    for (size_t j = 0; j < n; j++) {
        in[j] = s[j];
        in[j].lo ^= tw[j];
    }
    fss_aes_blocks(g, out, in, n);
    for (size_t j = 0; j < n; j++) out[j] = fss_xor(out[j], in[j]);
}

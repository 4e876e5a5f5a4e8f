/* web_fss_prg.c -- the fss family's PRG in the browser build, compiled by web/build.sh in place of
 * protocols/fss/fss_prg.c when the build has that family. Its AES-128 goes through OpenSSL's libcrypto,
 * which has no WebAssembly build here. The explorer runs phantom mode, which sends keys' sizes, never
 * keys, so no AES block is ever computed: a PRG may be set up and freed, and computing a block stops
 * with a message naming what is missing. */
#include <stdlib.h>

#include "../common/chk.h"
#include "../protocols/fss/fss_prg.h"

void fss_prg_init_key(fss_prg *g, const uint8_t key[16])
{
    (void)key;
    g->evp = NULL;
    g->nblocks = 0;
    g->scratch = NULL;
    g->cap = 0;
}

void fss_prg_init(fss_prg *g) { fss_prg_init_key(g, NULL); }

void fss_prg_free(fss_prg *g) { (void)g; }

void fss_aes_bytes(fss_prg *g, uint8_t *out, const uint8_t *in, size_t n)
{
    CHECK(0, "the fss family's AES (OpenSSL) is not available in the browser build: real-mode keys need mpcsim");
}

void fss_aes_blocks(fss_prg *g, fss_block *out, const fss_block *in, size_t n)
{
    fss_aes_bytes(g, (uint8_t *)out, (const uint8_t *)in, n);
}

void fss_prg_h(fss_prg *g, fss_block *out, const fss_block *s, const uint8_t *tw, size_t n)
{
    if (n > 0) fss_aes_blocks(g, out, s, n);
}

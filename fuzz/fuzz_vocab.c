/* fuzz_vocab.c -- libFuzzer target for the vocab.txt reader (text/text_tok.h).
 *
 * Each input is a vocab.txt read from memory with text_tok_read. On failure the code is documented
 * and a message is set; on success every token maps back to its id, the special tokens are found,
 * and a fixed sentence encodes to ids inside the vocabulary, [CLS] first and [SEP] after the pieces.
 * Build and run with scripts/fuzz.sh vocab. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../text/text_tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUST(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f) return 0;
    text_tok *t;
    char err[512] = "";
    int rc = text_tok_read(&t, f, "vocab.in", err, sizeof err);
    fclose(f);
    MUST(rc == TEXT_TOK_OK || rc == TEXT_TOK_EFORMAT || rc == TEXT_TOK_EMISSING || rc == TEXT_TOK_EVALUE ||
         rc == TEXT_TOK_EIO);
    if (rc != TEXT_TOK_OK) {
        MUST(t == NULL && err[0]);
        return 0;
    }
    size_t n = text_tok_size(t);
    MUST(n >= 4);
    for (size_t i = 0; i < n; i++) {
        const char *tok = text_tok_token(t, (int32_t)i);
        MUST(tok && text_tok_id(t, tok) == (int32_t)i);
    }
    MUST(text_tok_pad_id(t) >= 0 && text_tok_unk_id(t) >= 0 && text_tok_cls_id(t) >= 0 && text_tok_sep_id(t) >= 0);
    static const char text[] = "Hello, World! unaffable caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 ##x";
    int32_t ids[24];
    uint8_t mask[24];
    size_t pieces, k = text_tok_encode(t, ids, mask, 24, text, sizeof text - 1, &pieces);
    MUST(k >= 2 && k <= 24 && ids[0] == text_tok_cls_id(t) && ids[k - 1] == text_tok_sep_id(t));
    for (size_t i = 0; i < 24; i++) MUST(ids[i] >= 0 && (size_t)ids[i] < n && mask[i] == (i < k));
    text_tok_destroy(t);
    return 0;
}

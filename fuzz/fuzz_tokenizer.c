/* fuzz_tokenizer.c -- libFuzzer target for the tokenizer (text/text_tok.h): BERT's BasicTokenizer
 * and WordPiece over arbitrary bytes with a fixed vocabulary.
 *
 * Checks beyond the sanitizers: every basic word is non-empty and NUL-terminated at its length;
 * text_tok_wordpiece counts what it writes (the count with cap 0 equals the count with room);
 * every id is inside the vocabulary; text_tok_encode at T = 32 agrees with that count, starts with
 * [CLS], ends the pieces with [SEP], pads with [PAD] under a zero mask. Build and run with
 * scripts/fuzz.sh tokenizer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../text/text_tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUST(cond) do { if (!(cond)) abort(); } while (0)

static void on_word(void *ud, const char *w, size_t n)
{
    size_t *count = ud;
    MUST(n > 0 && w[n] == 0 && strlen(w) == n);
    (*count)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static text_tok *t;
    if (!t) {
        static const char *const vocab[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "ab", "##a",
                                            "##b", "##ab", "un", "##aff", "##able", "caf", "##e", "\xC3\xA9", "!",
                                            ",", "\xE4\xB8\xAD", "hello", "##llo", "h", "##e", "##\xC3\xA9"};
        char err[256];
        /* "##e" twice would be refused: build from the unique prefix. */
        MUST(text_tok_from_tokens(&t, vocab, 23, err, sizeof err) == TEXT_TOK_OK);
    }
    const char *text = (const char *)data;
    size_t words = 0;
    text_tok_basic(text, size, on_word, &words);
    size_t n = text_tok_size(t), total = text_tok_wordpiece(t, NULL, 0, text, size);
    int32_t *ids = malloc((total ? total : 1) * sizeof *ids);
    MUST(ids && text_tok_wordpiece(t, ids, total, text, size) == total);
    for (size_t i = 0; i < total; i++) MUST(ids[i] >= 0 && (size_t)ids[i] < n);
    MUST(total >= words || words == 0 || total > 0);
    free(ids);
    int32_t e[32];
    uint8_t m[32];
    size_t pieces, k = text_tok_encode(t, e, m, 32, text, size, &pieces);
    MUST(pieces == total && k == (total < 30 ? total : 30) + 2);
    MUST(e[0] == text_tok_cls_id(t) && e[k - 1] == text_tok_sep_id(t));
    for (size_t i = 0; i < 32; i++) MUST(m[i] == (i < k) && (i < k || e[i] == text_tok_pad_id(t)));
    return 0;
}

/* text_tok.h -- BERT's uncased tokenizer: the BasicTokenizer (clean, lowercase, strip accents, split
 * on whitespace and punctuation, CJK ideographs as single words) followed by WordPiece
 * (greedy longest-match-first with "##" continuations), a vocab.txt reader/writer in BERT's
 * format, and a vocabulary builder for our own corpora.
 *
 * Compatibility with Hugging Face BertTokenizer(do_lower_case=True) -- "BERT-uncased":
 *   - clean: U+0000, U+FFFD and control characters (Cc, Cf; except \t \n \r) are dropped;
 *     whitespace (space, \t, \n, \r, Zs, and U+2028/U+2029) separates words.
 *   - lowercase + accent strip (lower(), NFD, drop Mn) exactly as Python 3 / Unicode 14 does it for
 *     U+0000-U+058F (Latin-1, Latin Extended-A/B, IPA, Greek, Cyrillic, Armenian), U+1E00-U+1FFF
 *     (Latin Extended Additional, Greek Extended), fullwidth A-Z and Hangul syllables (decomposed
 *     into jamo, as NFD does); every nonspacing mark (Mn) is dropped. Characters of other blocks
 *     are not lowercased or decomposed (Georgian, Cherokee, Deseret, ... pass through), and Greek
 *     final sigma is not context-sensitive (Sigma always becomes sigma).
 *   - punctuation: ASCII 33-47, 58-64, 91-96, 123-126 (as BERT, so $ + < = > ^ ` | ~ split too) and
 *     every Unicode P* character. Each is a word of its own.
 *   - CJK ideographs (BERT's ranges) are words of their own.
 *   - Special tokens written inside the text ("[SEP]", "[MASK]") are NOT honoured: they are split
 *     like any other text, so input can never inject a separator or mask.
 *   - Invalid UTF-8: each byte of an invalid sequence is read as the Latin-1 character of that
 *     value (so 0x80-0x9F are controls and are dropped), never rejected.
 * WordPiece: a word longer than 100 characters (code points) becomes [UNK]; otherwise the word is
 * split greedily into the longest vocabulary prefix, then the longest "##"-continuation, ...; if
 * any position has no match, the whole word is [UNK] (as BERT).
 *
 * Errors are integer codes (TEXT_TOK_*) with a message in a caller buffer naming the file and line.
 * No global state; the tokenizer is immutable after loading and may be shared between threads. */
#ifndef TEXT_TOK_H
#define TEXT_TOK_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "../common/chk.h"

enum {
    TEXT_TOK_OK = 0,
    TEXT_TOK_EIO = -1,      /* cannot open, read, write or rename a file */
    TEXT_TOK_EFORMAT = -2,  /* malformed vocab.txt: empty or duplicate token, NUL byte */
    TEXT_TOK_EMISSING = -3, /* a required special token ([PAD], [UNK], [CLS], [SEP]) is missing */
    TEXT_TOK_EVALUE = -4,   /* bad argument: vocabulary size too small, empty corpus, too many tokens */
};
const char *text_tok_strerror(int code);

/* Special tokens, in the order the builder puts them at ids 0..4. */
#define TEXT_TOK_PAD "[PAD]"
#define TEXT_TOK_UNK "[UNK]"
#define TEXT_TOK_CLS "[CLS]"
#define TEXT_TOK_SEP "[SEP]"
#define TEXT_TOK_MASK "[MASK]"
#define TEXT_TOK_NSPECIAL 5
#define TEXT_TOK_MAX_WORD_CHARS 100 /* BERT's max_input_chars_per_word */
/* Bounds on an untrusted vocab.txt: one token line, the whole file (BERT's are 30k lines, 230 kB). */
#define TEXT_TOK_MAX_LINE 4096
#define TEXT_TOK_MAX_FILE (64 << 20)

typedef struct text_tok text_tok; /* opaque: vocabulary, its hash index and the special ids */

/* ---- basic tokenizer (no vocabulary needed) ---- */

/* Called once per word, in order. `word` is NUL-terminated UTF-8, valid only during the call. */
typedef void (*text_tok_word_fn)(void *ud, const char *word, size_t len);
/* Runs BERT's BasicTokenizer (uncased) over text[0..len) and calls fn for every word. */
void text_tok_basic(const char *text, size_t len, text_tok_word_fn fn, void *ud);

/* ---- vocabulary ---- */

/* Reads a BERT vocab.txt: one token per line, id = line number from 0, "\n" or "\r\n" endings.
 * Empty lines, duplicate tokens and NUL bytes are TEXT_TOK_EFORMAT ("path:line: ..."); a missing
 * [PAD], [UNK], [CLS] or [SEP] is TEXT_TOK_EMISSING. On failure *out is NULL. */
int text_tok_load(text_tok **out, const char *path, char *err, size_t errlen) WUR;
/* The same from an open stream; name stands for the path in messages. */
int text_tok_read(text_tok **out, FILE *f, const char *name, char *err, size_t errlen) WUR;
/* Builds a tokenizer from an in-memory token list (id = index); same checks as text_tok_load. */
int text_tok_from_tokens(text_tok **out, const char *const *tokens, size_t n, char *err, size_t errlen) WUR;
/* Writes vocab.txt (one token per line) via PATH.tmp then rename: on failure PATH is untouched. */
int text_tok_save(const text_tok *t, const char *path, char *err, size_t errlen) WUR;
void text_tok_destroy(text_tok *t); /* NULL is a no-op */

size_t text_tok_size(const text_tok *t);
const char *text_tok_token(const text_tok *t, int32_t id); /* NULL if out of range */
int32_t text_tok_id(const text_tok *t, const char *token);  /* -1 if absent */
int32_t text_tok_pad_id(const text_tok *t);
int32_t text_tok_unk_id(const text_tok *t);
int32_t text_tok_cls_id(const text_tok *t);
int32_t text_tok_sep_id(const text_tok *t);
int32_t text_tok_mask_id(const text_tok *t); /* -1 if the vocabulary has no [MASK] */

/* ---- encoding ---- */

/* Word-piece ids of text (no [CLS]/[SEP]): writes the first min(total, cap) ids to ids[] and
 * returns the total number of pieces (so a call with cap = 0 counts). ids may be NULL if cap = 0. */
size_t text_tok_wordpiece(const text_tok *t, int32_t *ids, size_t cap, const char *text, size_t len);

/* BERT single-sentence input of fixed length T >= 2:
 *   ids  = [CLS] p_1 ... p_k [SEP] [PAD] ... [PAD],  k = min(pieces, T - 2)
 *   mask = 1 ... 1 (k + 2 ones) 0 ... 0
 * ids[T] and mask[T] are caller-allocated (mask may be NULL). Returns k + 2; *n_pieces (may be
 * NULL) receives the number of pieces before truncation, so truncation happened iff it is > T - 2.
 * Token type ids are all 0 for a single sentence and are not written. */
size_t text_tok_encode(const text_tok *t, int32_t *ids, uint8_t *mask, size_t T, const char *text, size_t len,
                      size_t *n_pieces);

/* Corpus statistics of encoding texts at length T (for `mpcsim data stats`). */
typedef struct text_tok_stats {
    size_t texts;      /* texts encoded */
    size_t words;      /* basic-tokenizer words */
    size_t pieces;     /* word pieces before truncation */
    size_t unk;        /* [UNK] pieces (each is one whole word) */
    size_t truncated;  /* texts with more than T - 2 pieces */
    size_t max_pieces; /* longest text, in pieces */
} text_tok_stats;
/* Encodes n texts into ids[n*T], mask[n*T] (either may be NULL to only gather statistics) and adds
 * to *st (zero it first). lens may be NULL (strlen). */
void text_tok_encode_batch(const text_tok *t, int32_t *ids, uint8_t *mask, size_t T, const char *const *texts,
                          const size_t *lens, size_t n, text_tok_stats *st);

/* ---- vocabulary builder ---- */

/* A WordPiece vocabulary learned the way Hugging Face's WordPieceTrainer does (BPE merges with a
 * "##" continuation prefix), deterministic:
 *   1. Count the basic-tokenizer words of all texts (words over 100 characters are skipped: they
 *      are [UNK] anyway).
 *   2. ids 0..4 are [PAD] [UNK] [CLS] [SEP] [MASK].
 *   3. The alphabet: every character as a word start "c" and as a continuation "##c", weighted by
 *      word frequency, most frequent first (ties: bytewise order), until the entries cover
 *      char_coverage of all character occurrences or max_alphabet entries are taken (so one-off
 *      characters of mis-decoded text do not take vocabulary slots). Words using a character
 *      outside the alphabet take no part in the merges (and encode as [UNK]).
 *   4. Merges: each word is a sequence of symbols (first "c", then "##c" ...); repeatedly the most
 *      frequent adjacent pair (weighted by word frequency) is merged into one symbol ("un" +
 *      "##aff" -> "unaff", "##aff" + "##able" -> "##affable"), which is appended to the vocabulary
 *      if new. Ties: the merged string in bytewise order, then the pair's ids. Stops at vocab_size
 *      tokens or when no pair occurs min_count times.
 * Encoding then uses greedy longest-match WordPiece over that vocabulary, as BERT does. */
typedef struct text_tok_build_opts {
    size_t vocab_size;   /* target size including the 5 special tokens (>= 16) */
    uint64_t min_count;  /* a merge needs at least this many occurrences (0 means 2) */
    size_t max_alphabet; /* most frequent characters kept (0 means vocab_size / 4) */
    double char_coverage; /* ...and only until they cover this share of all character occurrences
                           * (0 means 0.9999, as SentencePiece's character_coverage) */
} text_tok_build_opts;
/* Summary of a build, for reports. */
typedef struct text_tok_build_info {
    size_t words, distinct_words, alphabet, merges, long_words;
} text_tok_build_info;
/* texts[n] with optional lens[n]. TEXT_TOK_EVALUE for vocab_size < 16 or a corpus without words.
 * info may be NULL. */
int text_tok_build(text_tok **out, const char *const *texts, const size_t *lens, size_t n,
                  const text_tok_build_opts *o, text_tok_build_info *info, char *err, size_t errlen) WUR;

#endif

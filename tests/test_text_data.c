/* test_text_data.c -- the data and tokenizer layer: BERT uncased basic tokenization and WordPiece
 * (known answers), vocab.txt round trip and errors, the vocabulary builder (known answer,
 * determinism, order independence), TSV/JSONL loading with every bad-input case (file:line
 * messages, nothing partial returned), dedup, the deterministic split, email body extraction, and
 * the SpamAssassin preparation on a synthetic package written here (no network). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../text/text_data.h"
#include "../text/text_mail.h"
#include "../text/text_tok.h"
#include "testutil.h"

/* ---- helpers ---- */

static void write_bytes(const char *path, const char *s, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f != NULL, "cannot create %s", path);
    cr_assert_eq(fwrite(s, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

static void write_str(const char *path, const char *s) { write_bytes(path, s, strlen(s)); }

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void rm_rf(const char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Basic-tokenizer words joined by single spaces. */
typedef struct joined {
    char buf[4096];
    size_t n;
} joined;

static void join_word(void *ud, const char *w, size_t len)
{
    joined *j = ud;
    cr_assert(j->n + len + 2 < sizeof j->buf);
    if (j->n) j->buf[j->n++] = ' ';
    memcpy(j->buf + j->n, w, len);
    j->n += len;
    j->buf[j->n] = 0;
}

static void expect_basic(const char *in, size_t len, const char *want)
{
    joined j = {.n = 0};
    j.buf[0] = 0;
    text_tok_basic(in, len, join_word, &j);
    cr_expect_str_eq(j.buf, want, "basic(\"%s\") = \"%s\", want \"%s\"", in, j.buf, want);
}

#define BASIC(in, want) expect_basic(in, sizeof(in) - 1, want)

static const char *const small_vocab[] = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", ",", "!", "un", "##aff", "##able",
    "a", "##a", "x", "ab", "##c",
};
#define NSMALL (sizeof small_vocab / sizeof *small_vocab)

static text_tok *small_tok(void)
{
    text_tok *t;
    char err[256];
    cr_assert_eq(text_tok_from_tokens(&t, small_vocab, NSMALL, err, sizeof err), TEXT_TOK_OK, "%s", err);
    return t;
}

/* Word pieces of text as space-joined tokens. */
static void expect_pieces(const text_tok *t, const char *text, const char *want)
{
    int32_t ids[256];
    size_t n = text_tok_wordpiece(t, ids, 256, text, strlen(text));
    cr_assert(n <= 256);
    char buf[2048] = "";
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", i ? " " : "", text_tok_token(t, ids[i]));
    cr_expect_str_eq(buf, want, "pieces(\"%s\") = \"%s\", want \"%s\"", text, buf, want);
}

/* ---- basic tokenizer ---- */

Test(tok_basic, lowercase_and_punctuation_split)
{
    BASIC("Hello, World! unaffable", "hello , world ! unaffable");
    BASIC("don't STOP", "don ' t stop");
    BASIC("$5+3=8 <a@b.c>", "$ 5 + 3 = 8 < a @ b . c >");
    BASIC("x^2 `q` |p| ~z", "x ^ 2 ` q ` | p | ~ z");
    BASIC("\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x80\x94 ok\xE2\x80\xA6", "\xE2\x80\x9C quoted \xE2\x80\x9D \xE2\x80\x94 ok \xE2\x80\xA6");
    BASIC("[SEP] [MASK]", "[ sep ] [ mask ]"); /* special tokens in text are not honoured */
    BASIC("", "");
    BASIC("   \t\n ", "");
}

Test(tok_basic, accents_are_stripped)
{
    BASIC("H\xC3\xA9llo", "hello");                                   /* Héllo */
    BASIC("\xC3\x80\xC3\x89\xC3\x8E\xC3\x95\xC3\x9C \xC3\xA7\xC3\xB1", "aeiou cn"); /* ÀÉÎÕÜ çñ */
    BASIC("e\xCC\x81t\xCC\x88", "et");                                /* e + U+0301, t + U+0308 */
    BASIC("\xC5\x81\xC3\x93" "D\xC5\xB9", "\xC5\x82odz");                /* ŁÓDŹ -> łodz (ł has no decomposition) */
    BASIC("\xC3\x86SIR \xC3\x9F", "\xC3\xA6sir \xC3\x9F");            /* Æ -> æ, ß stays */
    BASIC("\xCE\x91\xCE\x98\xCE\x97\xCE\x9D\xCE\x91 \xCE\xAC", "\xCE\xB1\xCE\xB8\xCE\xB7\xCE\xBD\xCE\xB1 \xCE\xB1"); /* ΑΘΗΝΑ ά */
    BASIC("\xD0\x9C\xD0\x9E\xD0\xA1\xD0\x9A\xD0\x92\xD0\x90 \xD0\x81", "\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0 \xD0\xB5"); /* МОСКВА Ё */
    BASIC("\xE1\xBA\xA0\xE1\xBB\x87", "ae");                          /* Ạệ (Latin Extended Additional) */
    BASIC("\xEF\xBC\xA1\xEF\xBC\xA2", "\xEF\xBD\x81\xEF\xBD\x82");    /* fullwidth ＡＢ -> ａｂ */
}

Test(tok_basic, whitespace_controls_cjk_and_bad_utf8)
{
    BASIC("a\x01" "b\x7F" "c", "abc");                   /* controls dropped, not separators */
    BASIC("a\tb\nc\rd", "a b c d");
    BASIC("a\xC2\xA0" "b\xE3\x80\x80" "c", "a b c");    /* NBSP, ideographic space */
    BASIC("co\xC2\xAD" "op zero\xE2\x80\x8Bwidth", "coop zerowidth"); /* soft hyphen, ZWSP (Cf) */
    BASIC("\xE4\xB8\xAD\xE6\x96\x87" "abc\xE5\xAD\x97", "\xE4\xB8\xAD \xE6\x96\x87 abc \xE5\xAD\x97"); /* 中文abc字 */
    BASIC("\xED\x95\x9C", "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB");   /* 한 -> jamo (NFD), as BERT */
    BASIC("caf\xE9 na\xEFve", "cafe naive");             /* invalid UTF-8 bytes read as Latin-1 */
    BASIC("a\xEF\xBF\xBD" "b", "ab");                    /* U+FFFD dropped */
    BASIC("x\x80y", "xy");                               /* 0x80 -> U+0080, a control */
    const char nul[] = {'a', 0, 'b'};
    expect_basic(nul, 3, "ab");
}

/* ---- WordPiece ---- */

Test(tok_wordpiece, known_answer_encode)
{
    text_tok *t = small_tok();
    int32_t ids[16];
    uint8_t mask[16];
    size_t np = 0;
    size_t n = text_tok_encode(t, ids, mask, 16, "Hello, World! unaffable", 23, &np);
    const char *want[] = {"[CLS]", "hello", ",", "world", "!", "un", "##aff", "##able", "[SEP]"};
    cr_assert_eq(n, 9);
    cr_assert_eq(np, 7);
    for (size_t i = 0; i < 9; i++) cr_expect_str_eq(text_tok_token(t, ids[i]), want[i], "position %zu", i);
    cr_expect_eq(ids[0], 2);
    cr_expect_eq(ids[1], 5);
    cr_expect_eq(ids[8], 3);
    for (size_t i = 9; i < 16; i++) cr_expect_eq(ids[i], 0, "padding at %zu", i);
    for (size_t i = 0; i < 16; i++) cr_expect_eq(mask[i], i < 9, "mask at %zu", i);
    text_tok_destroy(t);
}

Test(tok_wordpiece, unknown_words_and_long_words)
{
    text_tok *t = small_tok();
    expect_pieces(t, "hello xyzzy world", "hello [UNK] world");
    expect_pieces(t, "unknown", "[UNK]");          /* "un" matches but "##known" does not: whole word */
    expect_pieces(t, "abc", "ab ##c");              /* longest match first */
    expect_pieces(t, "aaa", "a ##a ##a");
    char w[102];
    memset(w, 'a', 100);
    w[100] = 0;
    int32_t ids[128];
    cr_expect_eq(text_tok_wordpiece(t, ids, 128, w, 100), 100, "a 100-character word is split");
    cr_expect_eq(ids[0], text_tok_id(t, "a"));
    cr_expect_eq(ids[99], text_tok_id(t, "##a"));
    w[100] = 'a';
    w[101] = 0;
    cr_expect_eq(text_tok_wordpiece(t, ids, 128, w, 101), 1, "a 101-character word is one [UNK]");
    cr_expect_eq(ids[0], text_tok_unk_id(t));
    text_tok_destroy(t);
}

Test(tok_wordpiece, truncation_and_counting)
{
    text_tok *t = small_tok();
    const char *text = "hello world hello world hello";
    cr_expect_eq(text_tok_wordpiece(t, NULL, 0, text, strlen(text)), 5, "cap 0 counts");
    int32_t ids[5];
    uint8_t mask[5];
    size_t np;
    cr_expect_eq(text_tok_encode(t, ids, mask, 5, text, strlen(text), &np), 5);
    cr_expect_eq(np, 5);
    const char *want[] = {"[CLS]", "hello", "world", "hello", "[SEP]"};
    for (int i = 0; i < 5; i++) {
        cr_expect_str_eq(text_tok_token(t, ids[i]), want[i]);
        cr_expect_eq(mask[i], 1);
    }
    cr_expect_eq(text_tok_encode(t, ids, mask, 2, text, strlen(text), &np), 2);
    cr_expect(ids[0] == text_tok_cls_id(t) && ids[1] == text_tok_sep_id(t));
    text_tok_stats st = {0};
    const char *texts[] = {text, "xyzzy", ""};
    int32_t bids[3 * 4];
    text_tok_encode_batch(t, bids, NULL, 4, texts, NULL, 3, &st);
    cr_expect_eq(st.texts, 3);
    cr_expect_eq(st.pieces, 6);
    cr_expect_eq(st.unk, 1);
    cr_expect_eq(st.truncated, 1);
    cr_expect_eq(st.max_pieces, 5);
    cr_expect_eq(bids[8], text_tok_cls_id(t));
    cr_expect_eq(bids[9], text_tok_sep_id(t));
    cr_expect_eq(bids[10], text_tok_pad_id(t));
    text_tok_destroy(t);
}

/* ---- vocab.txt ---- */

Test(tok_vocab, round_trip_and_crlf)
{
    char *dir = tu_tmpdir(), *p = path_in(dir, "vocab.txt"), err[512];
    text_tok *t = small_tok(), *u;
    cr_assert_eq(text_tok_save(t, p, err, sizeof err), TEXT_TOK_OK, "%s", err);
    size_t len;
    char *txt = tu_read_file(p, &len);
    cr_assert(txt && strncmp(txt, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n", 37) == 0, "got %s", txt);
    cr_expect_eq(txt[len - 1], '\n');
    free(txt);
    cr_assert_eq(text_tok_load(&u, p, err, sizeof err), TEXT_TOK_OK, "%s", err);
    cr_assert_eq(text_tok_size(u), NSMALL);
    for (size_t i = 0; i < NSMALL; i++) {
        cr_expect_str_eq(text_tok_token(u, (int32_t)i), small_vocab[i]);
        cr_expect_eq(text_tok_id(u, small_vocab[i]), (int32_t)i);
    }
    cr_expect_eq(text_tok_mask_id(u), 4);
    cr_expect_null(text_tok_token(u, (int32_t)NSMALL));
    cr_expect_eq(text_tok_id(u, "absent"), -1);
    text_tok_destroy(u);
    /* BERT's order ([PAD] 0, [UNK] 100, ...) and CRLF endings */
    write_str(p, "[PAD]\r\n[unused0]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nthe\r\n");
    cr_assert_eq(text_tok_load(&u, p, err, sizeof err), TEXT_TOK_OK, "%s", err);
    cr_expect_eq(text_tok_unk_id(u), 2);
    cr_expect_eq(text_tok_id(u, "the"), 5);
    cr_expect_eq(text_tok_mask_id(u), -1);
    text_tok_destroy(u);
    text_tok_destroy(t);
    remove(p);
    rmdir(dir);
    free(p);
    free(dir);
}

Test(tok_vocab, bad_files_are_named)
{
    char *dir = tu_tmpdir(), *p = path_in(dir, "v.txt"), err[512];
    text_tok *t = (text_tok *)&err; /* must be reset to NULL on failure */
    cr_expect_eq(text_tok_load(&t, "/nonexistent/vocab.txt", err, sizeof err), TEXT_TOK_EIO);
    cr_expect(strstr(err, "/nonexistent/vocab.txt") != NULL, "%s", err);
    cr_expect_null(t);
    write_str(p, "[PAD]\n[UNK]\n[CLS]\nhello\n[SEP]\nhello\n");
    cr_expect_eq(text_tok_load(&t, p, err, sizeof err), TEXT_TOK_EFORMAT);
    cr_expect(strstr(err, ":6:") && strstr(err, "duplicate") && strstr(err, "hello"), "%s", err);
    write_str(p, "[PAD]\n[UNK]\n\n[CLS]\n[SEP]\n");
    cr_expect_eq(text_tok_load(&t, p, err, sizeof err), TEXT_TOK_EFORMAT);
    cr_expect(strstr(err, ":3:") && strstr(err, "empty"), "%s", err);
    write_str(p, "[PAD]\n[CLS]\n[SEP]\nhello\n");
    cr_expect_eq(text_tok_load(&t, p, err, sizeof err), TEXT_TOK_EMISSING);
    cr_expect(strstr(err, "[UNK]") != NULL, "%s", err);
    write_str(p, "");
    cr_expect_eq(text_tok_load(&t, p, err, sizeof err), TEXT_TOK_EFORMAT);
    cr_expect_null(t);
    /* saving into a missing directory fails and leaves nothing */
    text_tok *s = small_tok();
    char *bad = path_in(dir, "no/such/dir/vocab.txt");
    cr_expect_eq(text_tok_save(s, bad, err, sizeof err), TEXT_TOK_EIO);
    cr_expect(!tu_file_exists(bad));
    text_tok_destroy(s);
    free(bad);
    remove(p);
    rmdir(dir);
    free(p);
    free(dir);
}

/* ---- vocabulary builder ---- */

Test(tok_build, known_answer_tiny_corpus)
{
    /* words: low x3, lower, lowest. Alphabet by count then bytes: ##o ##w l (5) ##e (2) ##r ##s ##t (1).
     * Merges: ("l","##o")="lo" and ("##o","##w")="##ow" both 5: "##ow" sorts first; then "low" (5);
     * then "lowe" (2); every other pair occurs once < min_count 2. */
    const char *texts[] = {"low low", "LOW lower", "lowest"};
    text_tok_build_opts o = {.vocab_size = 100, .min_count = 2};
    text_tok_build_info info;
    text_tok *t;
    char err[256];
    cr_assert_eq(text_tok_build(&t, texts, NULL, 3, &o, &info, err, sizeof err), TEXT_TOK_OK, "%s", err);
    const char *want[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "##o", "##w", "l",
                          "##e",   "##r",   "##s",   "##t",   "##ow",   "low", "lowe"};
    cr_assert_eq(text_tok_size(t), sizeof want / sizeof *want, "size %zu", text_tok_size(t));
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_expect_str_eq(text_tok_token(t, (int32_t)i), want[i], "id %zu", i);
    cr_expect_eq(info.words, 5);
    cr_expect_eq(info.distinct_words, 3);
    cr_expect_eq(info.alphabet, 7);
    cr_expect_eq(info.merges, 3);
    expect_pieces(t, "lowest lower", "lowe ##s ##t lowe ##r");
    text_tok_destroy(t);
    /* character coverage 0.9 of the 20 occurrences: ##o ##w l ##e ##r (18) are enough, so ##s and
     * ##t stay out, "lowest" takes no part in the merges and encodes as [UNK] */
    o.char_coverage = 0.9;
    cr_assert_eq(text_tok_build(&t, texts, NULL, 3, &o, &info, err, sizeof err), TEXT_TOK_OK, "%s", err);
    const char *want2[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "##o", "##w", "l", "##e", "##r", "##ow", "low"};
    cr_assert_eq(text_tok_size(t), sizeof want2 / sizeof *want2, "size %zu", text_tok_size(t));
    for (size_t i = 0; i < sizeof want2 / sizeof *want2; i++)
        cr_expect_str_eq(text_tok_token(t, (int32_t)i), want2[i], "id %zu", i);
    expect_pieces(t, "lowest lower", "[UNK] low ##e ##r");
    text_tok_destroy(t);
}

static char **synthetic_corpus(size_t n)
{
    static const char *const w[] = {"the", "spam", "offer", "free", "money", "meeting", "tomorrow", "linux",
                                    "kernel", "patch", "click", "here", "unsubscribe", "réunion", "über",
                                    "naïve", "it's", "$1000", "e-mail", "http://x.org/a?b=c"};
    char **t = malloc(n * sizeof *t);
    uint64_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        char buf[512];
        size_t k = 0;
        for (int j = 0; j < 12; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", j ? " " : "", w[(s >> 33) % 20]);
        }
        t[i] = strdup(buf);
    }
    return t;
}

Test(tok_build, deterministic_order_independent_and_covering)
{
    size_t n = 300;
    char **texts = synthetic_corpus(n);
    char **rev = malloc(n * sizeof *rev);
    for (size_t i = 0; i < n; i++) rev[i] = texts[n - 1 - i];
    text_tok_build_opts o = {.vocab_size = 130, .max_alphabet = 60}; /* 132 tokens are possible */
    text_tok *a, *b, *c;
    char err[256];
    cr_assert_eq(text_tok_build(&a, (const char *const *)texts, NULL, n, &o, NULL, err, sizeof err), TEXT_TOK_OK);
    cr_assert_eq(text_tok_build(&b, (const char *const *)texts, NULL, n, &o, NULL, err, sizeof err), TEXT_TOK_OK);
    cr_assert_eq(text_tok_build(&c, (const char *const *)rev, NULL, n, &o, NULL, err, sizeof err), TEXT_TOK_OK);
    cr_assert_eq(text_tok_size(a), 130, "the corpus has enough pairs to reach the target (got %zu)", text_tok_size(a));
    cr_assert_eq(text_tok_size(b), text_tok_size(a));
    cr_assert_eq(text_tok_size(c), text_tok_size(a));
    for (int32_t i = 0; i < (int32_t)text_tok_size(a); i++) {
        cr_expect_str_eq(text_tok_token(a, i), text_tok_token(b, i), "id %d", i);
        cr_expect_str_eq(text_tok_token(a, i), text_tok_token(c, i), "id %d (reversed corpus)", i);
    }
    cr_expect_str_eq(text_tok_token(a, 0), "[PAD]");
    cr_expect_str_eq(text_tok_token(a, 4), "[MASK]");
    cr_expect(text_tok_id(a, "the") >= 0 && text_tok_id(a, "spam") >= 0, "frequent whole words are tokens");
    text_tok_stats st = {0};
    text_tok_encode_batch(a, NULL, NULL, 512, (const char *const *)texts, NULL, n, &st);
    cr_expect_eq(st.unk, 0, "every character of the corpus is in the alphabet");
    cr_expect_lt(st.pieces, 2 * st.words);
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(rev);
    text_tok_destroy(a);
    text_tok_destroy(b);
    text_tok_destroy(c);
}

Test(tok_build, bad_options)
{
    const char *texts[] = {"hello world"}, *blank[] = {" \t\x01 "};
    text_tok *t;
    char err[256];
    text_tok_build_opts o = {.vocab_size = 15};
    cr_expect_eq(text_tok_build(&t, texts, NULL, 1, &o, NULL, err, sizeof err), TEXT_TOK_EVALUE);
    cr_expect_null(t);
    o.vocab_size = 64;
    cr_expect_eq(text_tok_build(&t, blank, NULL, 1, &o, NULL, err, sizeof err), TEXT_TOK_EVALUE);
    cr_expect(strstr(err, "no words") != NULL, "%s", err);
    /* a tight alphabet: characters beyond it make words [UNK] but the build succeeds */
    o.max_alphabet = 3;
    cr_assert_eq(text_tok_build(&t, texts, NULL, 1, &o, NULL, err, sizeof err), TEXT_TOK_OK, "%s", err);
    cr_expect_eq(text_tok_size(t), 5 + 3);
    text_tok_destroy(t);
}

/* ---- loading ---- */

typedef struct fixture {
    char *dir, *path;
} fixture;

static fixture fx_file(const char *name, const char *content, size_t len)
{
    fixture f = {tu_tmpdir(), NULL};
    f.path = path_in(f.dir, name);
    write_bytes(f.path, content, len);
    return f;
}

static void fx_free(fixture *f)
{
    rm_rf(f->dir);
    free(f->dir);
    free(f->path);
}

/* Loading content (as file NAME) must fail with code, and the message must contain needle. */
static void expect_load_fail(const char *name, const char *content, const text_data_load_opts *o, int code,
                             const char *needle)
{
    fixture f = fx_file(name, content, strlen(content));
    text_dataset ds;
    char err[1024];
    int rc = text_data_load(&ds, f.path, o, err, sizeof err);
    cr_expect_eq(rc, code, "'%s': code %d (%s), want %d", content, rc, err, code);
    cr_expect(strstr(err, needle) != NULL, "'%s': message '%s' lacks '%s'", content, err, needle);
    cr_expect(strstr(err, f.path) != NULL, "message names the file: %s", err);
    cr_expect(ds.n == 0 && ds.nlabels == 0 && ds.text == NULL, "nothing partial is returned");
    fx_free(&f);
}

Test(data_load, tsv)
{
    const char content[] = "\xEF\xBB\xBFspam\tWin money\tnow\r\nham\tMeeting at 3\nspam\tFree!!\n";
    fixture f = fx_file("d.tsv", content, sizeof content - 1);
    text_dataset ds;
    char err[512];
    cr_assert_eq(text_data_load(&ds, f.path, NULL, err, sizeof err), TEXT_DATA_OK, "%s", err);
    cr_assert_eq(ds.n, 3);
    cr_assert_eq(ds.nlabels, 2);
    cr_expect_str_eq(ds.label_name[0], "ham"); /* sorted, not order of appearance */
    cr_expect_str_eq(ds.label_name[1], "spam");
    cr_expect_eq(ds.label[0], 1);
    cr_expect_eq(ds.label[1], 0);
    cr_expect_str_eq(ds.text[0], "Win money\tnow"); /* tabs after the first belong to the text */
    cr_expect_eq(ds.len[0], 13);
    cr_expect_str_eq(ds.text[1], "Meeting at 3");
    size_t cnt[2];
    text_data_count(&ds, cnt);
    cr_expect(cnt[0] == 1 && cnt[1] == 2);
    text_data_free(&ds);
    /* a given label set fixes the ids */
    const char *labels[] = {"spam", "ham"};
    text_data_load_opts o = {.labels = labels, .nlabels = 2};
    cr_assert_eq(text_data_load(&ds, f.path, &o, err, sizeof err), TEXT_DATA_OK, "%s", err);
    cr_expect_eq(ds.label[0], 0);
    cr_expect_eq(ds.label[1], 1);
    text_data_free(&ds);
    fx_free(&f);
}

Test(data_load, jsonl)
{
    const char content[] =
        "{\"label\": \"pos\", \"text\": \"caf\\u00e9 \\\"ok\\\"\\nline2 \\ud83d\\ude00\", \"id\": 7}\n"
        "{\"meta\": {\"a\": [1, 2.5e3, null, true, {\"b\": \"c\"}]}, \"text\": \"second\", \"label\": \"neg\"}\n";
    fixture f = fx_file("d.jsonl", content, sizeof content - 1);
    text_dataset ds;
    char err[512];
    cr_assert_eq(text_data_load(&ds, f.path, NULL, err, sizeof err), TEXT_DATA_OK, "%s", err);
    cr_assert_eq(ds.n, 2);
    cr_expect_str_eq(ds.text[0], "caf\xC3\xA9 \"ok\"\nline2 \xF0\x9F\x98\x80");
    cr_expect_str_eq(ds.label_name[ds.label[0]], "pos");
    cr_expect_str_eq(ds.label_name[ds.label[1]], "neg");
    text_data_free(&ds);
    fx_free(&f);
    /* integer labels sort numerically; format sniffed from '{' for other extensions */
    const char ints[] = "{\"label\": 10, \"text\": \"a\"}\n{\"label\": 2, \"text\": \"b\"}\n{\"label\": -1, \"text\": \"c\"}\n";
    f = fx_file("d.data", ints, sizeof ints - 1);
    cr_assert_eq(text_data_load(&ds, f.path, NULL, err, sizeof err), TEXT_DATA_OK, "%s", err);
    cr_assert_eq(ds.nlabels, 3);
    cr_expect_str_eq(ds.label_name[0], "-1");
    cr_expect_str_eq(ds.label_name[1], "2");
    cr_expect_str_eq(ds.label_name[2], "10");
    cr_expect_eq(ds.label[0], 2);
    text_data_free(&ds);
    fx_free(&f);
}

Test(data_load, bad_tsv_inputs)
{
    text_dataset ds;
    char err[512];
    cr_expect_eq(text_data_load(&ds, "/nonexistent/x.tsv", NULL, err, sizeof err), TEXT_DATA_EIO);
    cr_expect(strstr(err, "/nonexistent/x.tsv") && strstr(err, "cannot open"), "%s", err);
    char *dir = tu_tmpdir();
    cr_expect_eq(text_data_load(&ds, dir, NULL, err, sizeof err), TEXT_DATA_EIO);
    cr_expect(strstr(err, "directory") != NULL, "%s", err);
    rmdir(dir);
    free(dir);
    expect_load_fail("a.tsv", "ham\tok\nham\tfine\nspam no tab here\n", NULL, TEXT_DATA_EFORMAT, ":3: no tab");
    expect_load_fail("a.tsv", "ham\tok\n\nspam\tx\n", NULL, TEXT_DATA_EFORMAT, ":2: empty line");
    expect_load_fail("a.tsv", "ham\tok\nspam\t  \t \n", NULL, TEXT_DATA_EEMPTY, ":2: empty text");
    expect_load_fail("a.tsv", "ham\t\n", NULL, TEXT_DATA_EEMPTY, ":1: empty text");
    expect_load_fail("a.tsv", "ham\tok\n\ttext\n", NULL, TEXT_DATA_EFORMAT, ":2: empty label");
    expect_load_fail("a.tsv", "ham \tok\n", NULL, TEXT_DATA_EFORMAT, ":1: label 'ham ' has leading");
    expect_load_fail("a.tsv", "", NULL, TEXT_DATA_EEMPTY, "no examples");
    const char *labels[] = {"ham", "spam"};
    text_data_load_opts o = {.labels = labels, .nlabels = 2};
    expect_load_fail("a.tsv", "ham\tok\nspam\tx\neggs\tbacon\n", &o, TEXT_DATA_ELABEL, ":3: label 'eggs' is not in the label set {ham, spam}");
    /* NUL inside a line */
    fixture f = fx_file("n.tsv", "ham\tab\0cd\n", 10);
    cr_expect_eq(text_data_load(&ds, f.path, NULL, err, sizeof err), TEXT_DATA_EFORMAT);
    cr_expect(strstr(err, ":1: NUL") != NULL, "%s", err);
    fx_free(&f);
    /* swapped columns: thousands of "labels" */
    char *many = malloc(300 * 32), *p = many;
    for (int i = 0; i < 300; i++) p += sprintf(p, "text number %d\tham\n", i);
    expect_load_fail("m.tsv", many, NULL, TEXT_DATA_ELABEL, "more than 256 distinct labels");
    free(many);
}

Test(data_load, bad_jsonl_inputs)
{
    const char *ok = "{\"label\": \"a\", \"text\": \"fine\"}\n";
    char buf[512];
#define JBAD(line2, code, needle)                                   \
    do {                                                            \
        snprintf(buf, sizeof buf, "%s%s\n", ok, line2);             \
        expect_load_fail("b.jsonl", buf, NULL, code, needle);       \
    } while (0)
    JBAD("{\"label\": \"a\", \"text\": }", TEXT_DATA_EFORMAT, ":2: bad JSON");
    JBAD("{\"label\": \"a\"}", TEXT_DATA_EFORMAT, ":2: missing \"text\"");
    JBAD("{\"text\": \"x\"}", TEXT_DATA_EFORMAT, ":2: missing \"label\"");
    JBAD("{\"label\": \"a\", \"text\": \"\"}", TEXT_DATA_EEMPTY, ":2: empty text");
    JBAD("{\"label\": \"a\", \"text\": \" \\n\\t \"}", TEXT_DATA_EEMPTY, ":2: empty text");
    JBAD("{\"label\": 1.5, \"text\": \"x\"}", TEXT_DATA_EFORMAT, "must be a string or an integer");
    JBAD("{\"label\": \"a\", \"text\": 5}", TEXT_DATA_EFORMAT, "\"text\" must be a string");
    JBAD("{\"label\": \"a\", \"text\": \"x\", \"text\": \"y\"}", TEXT_DATA_EFORMAT, "duplicate key");
    JBAD("{\"label\": \"a\", \"text\": \"x\\u0000y\"}", TEXT_DATA_EFORMAT, "\\u0000");
    JBAD("{\"label\": \"a\", \"text\": \"x\"} extra", TEXT_DATA_EFORMAT, "after the value");
    JBAD("{\"label\": \"a\", \"text\": \"x\\q\"}", TEXT_DATA_EFORMAT, "invalid escape");
    JBAD("{\"label\": \"a\", \"text\": \"unterminated}", TEXT_DATA_EFORMAT, "unterminated");
    JBAD("[\"a\", \"x\"]", TEXT_DATA_EFORMAT, ":2: bad JSON");
    JBAD("{\"label\": \"a\", \"text\": \"\\ud800\"}", TEXT_DATA_EFORMAT, "surrogate");
#undef JBAD
    const char *labels[] = {"a", "b"};
    text_data_load_opts o = {.labels = labels, .nlabels = 2};
    snprintf(buf, sizeof buf, "%s{\"label\": \"c\", \"text\": \"x\"}\n", ok);
    expect_load_fail("b.jsonl", buf, &o, TEXT_DATA_ELABEL, ":2: label 'c'");
}

/* ---- writing, dedup, split ---- */

static void make_ds(text_dataset *ds, const char *const *texts, const int32_t *labels, size_t n)
{
    text_data_init(ds);
    text_data_add_label(ds, "ham");
    text_data_add_label(ds, "spam");
    for (size_t i = 0; i < n; i++) text_data_add(ds, labels[i], texts[i], strlen(texts[i]));
}

Test(data_write, save_round_trip_and_refusal)
{
    const char *texts[] = {"first text", "second, with ünïcode"};
    const int32_t labels[] = {1, 0};
    text_dataset ds, back;
    make_ds(&ds, texts, labels, 2);
    fixture f = fx_file("out.tsv", "SENTINEL\n", 9);
    char err[512];
    cr_assert_eq(text_data_save_tsv(&ds, f.path, err, sizeof err), TEXT_DATA_OK, "%s", err);
    char *got = tu_read_file(f.path, NULL);
    cr_expect_str_eq(got, "spam\tfirst text\nham\tsecond, with ünïcode\n");
    free(got);
    const char *lab[] = {"ham", "spam"};
    text_data_load_opts o = {.labels = lab, .nlabels = 2};
    cr_assert_eq(text_data_load(&back, f.path, &o, err, sizeof err), TEXT_DATA_OK, "%s", err);
    cr_expect(back.n == 2 && back.label[0] == 1 && strcmp(back.text[1], texts[1]) == 0);
    text_data_free(&back);
    /* a text with a line break cannot be written: the existing file stays as it was */
    text_data_add(&ds, 0, "two\nlines", 9);
    write_str(f.path, "SENTINEL\n");
    cr_expect_eq(text_data_save_tsv(&ds, f.path, err, sizeof err), TEXT_DATA_EVALUE);
    got = tu_read_file(f.path, NULL);
    cr_expect_str_eq(got, "SENTINEL\n");
    free(got);
    char *tmp = path_in(f.dir, "out.tsv.tmp");
    cr_expect(!tu_file_exists(tmp));
    free(tmp);
    text_data_free(&ds);
    fx_free(&f);
}

Test(data_write, dedup_keeps_first_and_drops_conflicts)
{
    const char *texts[] = {"a", "b", "a", "c", "b", "d", "a", "e"};
    const int32_t labels[] = {0, 1, 0, 0, 0, 1, 0, 1};
    /* "a" x3 ham -> keep first; "b" spam and ham -> conflict, both go; others unique */
    text_dataset ds;
    make_ds(&ds, texts, labels, 8);
    size_t dup[2], conflict;
    text_data_dedup(&ds, dup, &conflict);
    cr_assert_eq(ds.n, 4);
    cr_expect_str_eq(ds.text[0], "a");
    cr_expect_str_eq(ds.text[1], "c");
    cr_expect_str_eq(ds.text[2], "d");
    cr_expect_str_eq(ds.text[3], "e");
    cr_expect_eq(ds.label[2], 1);
    cr_expect_eq(dup[0], 2);
    cr_expect_eq(dup[1], 0);
    cr_expect_eq(conflict, 2);
    text_data_free(&ds);
}

Test(data_write, split_is_deterministic_and_balanced)
{
    size_t cnt[3] = {0, 0, 0}, moved = 0, N = 4000;
    for (size_t i = 0; i < N; i++) {
        char t[64];
        int n = snprintf(t, sizeof t, "synthetic body number %zu", i);
        int s = text_data_split_of(t, (size_t)n, 0);
        cr_assert(s >= 0 && s <= 2);
        cr_assert_eq(text_data_split_of(t, (size_t)n, 0), s, "same text, same split");
        cnt[s]++;
        moved += text_data_split_of(t, (size_t)n, 1) != s;
    }
    cr_expect(cnt[0] > N * 76 / 100 && cnt[0] < N * 84 / 100, "train %zu of %zu", cnt[0], N);
    cr_expect(cnt[1] > N * 8 / 100 && cnt[1] < N * 12 / 100, "dev %zu", cnt[1]);
    cr_expect(cnt[2] > N * 8 / 100 && cnt[2] < N * 12 / 100, "test %zu", cnt[2]);
    cr_expect(moved > N / 5, "another seed gives another split (%zu moved)", moved);
    /* Known answers pin the hash (changing it would silently reshuffle everyone's splits). Computed
     * independently in Python: v = int.from_bytes(hashlib.blake2b(text, digest_size=16,
     * key=seed.to_bytes(8, 'little') + b'tfm_data split v1').digest()[:8], 'little') % 100 */
    const char *want0 = "010001000000011000000020", *want7 = "001020000000201200000100";
    for (int i = 0; i < 24; i++) {
        char t[64];
        int n = snprintf(t, sizeof t, "synthetic body number %d", i);
        cr_expect_eq(text_data_split_of(t, (size_t)n, 0), want0[i] - '0', "text %d seed 0", i);
        cr_expect_eq(text_data_split_of(t, (size_t)n, 7), want7[i] - '0', "text %d seed 7", i);
    }
}

Test(data_write, splits_into_unwritable_dir_fail_cleanly)
{
    const char *texts[] = {"x"};
    const int32_t labels[] = {0};
    text_dataset ds;
    make_ds(&ds, texts, labels, 1);
    fixture f = fx_file("plainfile", "I am a file\n", 12);
    char *sub = path_in(f.path, "out"), err[512];
    cr_expect_eq(text_data_write_splits(&ds, sub, 0, NULL, err, sizeof err), TEXT_DATA_EIO);
    cr_expect(strstr(err, "not a directory") != NULL, "%s", err);
    free(sub);
    text_data_free(&ds);
    fx_free(&f);
}

/* ---- email bodies ---- */

static void expect_body(const char *msg, const char *want)
{
    size_t n;
    char *got = text_mail_body(msg, strlen(msg), &n);
    cr_expect_str_eq(got, want, "body:\n%s\n-> \"%s\"\nwant \"%s\"", msg, got, want);
    cr_expect_eq(n, strlen(got));
    free(got);
}

Test(email, headers_are_stripped)
{
    expect_body("From someone@example.com  Thu Aug 22 12:36:23 2002\n"
                "Subject: WIN MONEY\n"
                "X-Spam-Status: Yes, hits=9.9\n"
                "Received: from a\n  by b with SMTP\n"
                "\n"
                "Hello   there,\n\n  friend.\n",
                "Hello there, friend.");
    expect_body("Subject: only headers\nFrom: x\n", "");
    expect_body("Subject: crlf\r\n\r\nline one\r\nline\ttwo\r\n", "line one line two");
    expect_body("", "");
}

Test(email, multipart_qp_base64_and_attachments)
{
    expect_body("Content-Type: multipart/mixed; boundary=\"==outer\"\n"
                "Subject: parts\n"
                "\n"
                "This is a multi-part message in MIME format.\n"
                "--==outer\n"
                "Content-Type: multipart/alternative;\n boundary=\"==outerALT\"\n"
                "\n"
                "--==outerALT\n"
                "Content-Type: text/plain; charset=iso-8859-1\n"
                "Content-Transfer-Encoding: quoted-printable\n"
                "\n"
                "Caf=E9 au lait, soft=\n"
                "break=3D ok\n"
                "--==outerALT\n"
                "Content-Type: text/html\n"
                "\n"
                "<html><body><p>Big&nbsp;<b>SA</b>LE &amp; more</p><script>var x=1;</script></body></html>\n"
                "--==outerALT--\n"
                "--==outer\n"
                "Content-Type: text/plain\n"
                "Content-Transfer-Encoding: base64\n"
                "\n"
                "SGVsbG8gZnJvbSBiYXNlNjQ=\n"
                "--==outer\n"
                "Content-Type: image/gif; name=\"x.gif\"\n"
                "Content-Transfer-Encoding: base64\n"
                "\n"
                "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\n"
                "--==outer--\n"
                "epilogue text\n",
                "Caf\xC3\xA9 au lait, softbreak= ok Big SALE & more Hello from base64");
}

Test(email, html_debris_and_charsets)
{
    expect_body("Content-Type: text/html\n\n"
                "<!-- hidden comment --><style>p {color: red}</style>"
                "<table><tr><td>one</td><td>two</td></tr></table>V<font>i</font>agra &lt;3 &#65;&#x42; &bogus;",
                "one two Viagra <3 AB &bogus;");
    /* no Content-Type but HTML-looking text is still stripped; a lone '<' survives */
    expect_body("Subject: x\n\n<p>Hi</p> 3 < 4\n", "Hi 3 < 4");
    /* undeclared boundary and base64 debris lines are dropped */
    expect_body("Subject: x\n\n"
                "------=_NextPart_000_0001_01C2\n"
                "keep this\n"
                "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n"
                "-- \nsignature\n",
                "keep this -- signature");
    /* invalid UTF-8 read as Windows-1252; valid UTF-8 kept; C1 controls and NUL become spaces */
    expect_body("Subject: x\n\nit\x92s \x93quoted\x94 caf\xE9 \xC3\xBC x\xC2\x85y a\x01z", "it\xE2\x80\x99s \xE2\x80\x9Cquoted\xE2\x80\x9D caf\xC3\xA9 \xC3\xBC x y a z");
    /* a multipart without its closing delimiter keeps its last part */
    expect_body("Content-Type: multipart/mixed; boundary=b1\n\n--b1\nContent-Type: text/plain\n\ntruncated part\n",
                "truncated part");
    /* a nested boundary that starts with the outer one is not an outer delimiter */
    expect_body("Content-Type: multipart/mixed; boundary=\"XX\"\n\n--XX\n"
                "Content-Type: multipart/alternative; boundary=\"XXAA\"\n\n--XXAA\nContent-Type: text/plain\n\ninner\n--XXAA--\n--XX--\n",
                "inner");
    /* forwarded message/rfc822: its headers go too */
    expect_body("Content-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain\n\nsee below\n--q\n"
                "Content-Type: message/rfc822\n\nSubject: inner subject\nFrom: a\n\ninner body\n--q--\n",
                "see below inner body");
}

/* ---- SpamAssassin preparation on a synthetic package ---- */

typedef struct pkg {
    char *root;    /* the package directory (has data/file_list.json) */
    size_t nfiles;
} pkg;

static void pkg_add(pkg *p, const char *rel, const char *content, char *list, size_t listcap)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/data/%s", p->root, rel);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = 0;
    mkdir(dir, 0777);
    write_str(path, content);
    size_t k = strlen(list);
    snprintf(list + k, listcap - k, "%s\n  \"%s\"", p->nfiles ? "," : "", rel);
    p->nfiles++;
}

/* 8 ham and 6 spam emails: one ham duplicate, one spam with an empty body, one body under both
 * labels (2 copies), so 14 raw -> 13 with a body -> 12 after the duplicate -> 10 after the conflict. */
static pkg make_pkg(void)
{
    pkg p = {tu_tmpdir(), 0};
    char data[1024], list[8192] = "[";
    snprintf(data, sizeof data, "%s/data", p.root);
    mkdir(data, 0777);
    char rel[128], msg[1024];
    for (int i = 0; i < 6; i++) {
        snprintf(rel, sizeof rel, "easy-ham-1/%05d.%032d.txt", i + 1, i);
        snprintf(msg, sizeof msg, "From: friend%d@example.com\nSubject: HEADERWORD meeting %d\n\nHi team, meeting number %d is at %d pm.\n", i, i, i, i + 1);
        pkg_add(&p, rel, msg, list, sizeof list);
    }
    pkg_add(&p, "hard-ham-1/00001.aa.txt", "From: friend0@example.com\nSubject: again\n\nHi team, meeting number 0 is at 1 pm.\n", list, sizeof list);
    pkg_add(&p, "hard-ham-1/00002.bb.txt", "Subject: newsletter\n\nShared text that both labels have.\n", list, sizeof list);
    for (int i = 0; i < 4; i++) {
        snprintf(rel, sizeof rel, "spam-2/%05d.%032d.txt", i + 1, i);
        snprintf(msg, sizeof msg,
                 "Subject: HEADERWORD\nContent-Type: text/html\n\n<html><body>BUY NOW offer %d, only $%d!</body></html>\n", i, 10 * i);
        pkg_add(&p, rel, msg, list, sizeof list);
    }
    pkg_add(&p, "spam-1/00001.cc.txt", "Subject: empty\nContent-Type: image/gif\n\nR0lGODlh\n", list, sizeof list);
    pkg_add(&p, "spam-1/00002.dd.txt", "Subject: spammy\n\nShared text that both labels have.\n", list, sizeof list);
    size_t k = strlen(list);
    snprintf(list + k, sizeof list - k, "\n]\n");
    char lp[1024];
    snprintf(lp, sizeof lp, "%s/data/file_list.json", p.root);
    write_str(lp, list);
    return p;
}

Test(spam, prepare_counts_content_and_determinism)
{
    pkg p = make_pkg();
    char *outA = path_in(p.root, "outA/nested"), *outB = path_in(p.root, "outB"), err[1024];
    text_data_prep_stats st, st2;
    cr_assert_eq(text_data_spam_prepare(p.root, outA, 0, &st, err, sizeof err), TEXT_DATA_OK, "%s", err);
    cr_expect_eq(st.raw[0], 8);
    cr_expect_eq(st.raw[1], 6);
    cr_expect_eq(st.empty[0], 0);
    cr_expect_eq(st.empty[1], 1);
    cr_expect_eq(st.dup[0], 1);
    cr_expect_eq(st.dup[1], 0);
    cr_expect_eq(st.conflict, 2);
    size_t kept[2] = {0, 0};
    for (int s = 0; s < 3; s++) kept[0] += st.split[s][0], kept[1] += st.split[s][1];
    cr_expect_eq(kept[0], 6);
    cr_expect_eq(kept[1], 4);
    cr_assert_eq(text_data_spam_prepare(p.root, outB, 0, &st2, err, sizeof err), TEXT_DATA_OK, "%s", err);
    static const char *const names[3] = {"train.tsv", "dev.tsv", "test.tsv"};
    size_t lines = 0;
    for (int s = 0; s < 3; s++) {
        char *a = path_in(outA, names[s]), *b = path_in(outB, names[s]);
        size_t na, nb;
        char *ca = tu_read_file(a, &na), *cb = tu_read_file(b, &nb);
        cr_assert(ca && cb, "%s written", names[s]);
        cr_expect(na == nb && memcmp(ca, cb, na) == 0, "%s byte-identical across runs", names[s]);
        cr_expect(strstr(ca, "HEADERWORD") == NULL && strstr(ca, "Subject") == NULL, "no header text in %s", names[s]);
        cr_expect(strstr(ca, "<html") == NULL && strstr(ca, "Shared text") == NULL);
        /* every line is in the split its keyed hash says, with a known label */
        text_dataset ds;
        const char *lab[] = {"ham", "spam"};
        text_data_load_opts o = {.labels = lab, .nlabels = 2};
        if (na) {
            cr_assert_eq(text_data_load(&ds, a, &o, err, sizeof err), TEXT_DATA_OK, "%s", err);
            cr_expect_eq(ds.n, st.split[s][0] + st.split[s][1]);
            for (size_t i = 0; i < ds.n; i++) cr_expect_eq(text_data_split_of(ds.text[i], ds.len[i], 0), s);
            lines += ds.n;
            text_data_free(&ds);
        }
        free(ca);
        free(cb);
        free(a);
        free(b);
    }
    cr_expect_eq(lines, 10);
    /* the body text itself, normalised */
    char *all = NULL;
    size_t total = 0;
    for (int s = 0; s < 3; s++) {
        char *a = path_in(outA, names[s]);
        size_t n;
        char *c = tu_read_file(a, &n);
        all = realloc(all, total + n + 1);
        memcpy(all + total, c, n + 1);
        total += n;
        free(c);
        free(a);
    }
    cr_expect(strstr(all, "ham\tHi team, meeting number 3 is at 4 pm.\n") != NULL);
    cr_expect(strstr(all, "spam\tBUY NOW offer 2, only $20!\n") != NULL);
    free(all);
    free(outA);
    free(outB);
    rm_rf(p.root);
    free(p.root);
}

/* Prepares into out_dir, which already holds sentinel files, from a broken package. */
static void expect_prepare_fail(const char *pkg_dir, const char *out_dir, int code, const char *needle)
{
    char err[1024];
    text_data_prep_stats st;
    int rc = text_data_spam_prepare(pkg_dir, out_dir, 0, &st, err, sizeof err);
    cr_expect_eq(rc, code, "code %d (%s), want %d", rc, err, code);
    cr_expect(strstr(err, needle) != NULL, "message '%s' lacks '%s'", err, needle);
    char *train = path_in(out_dir, "train.tsv");
    char *got = tu_read_file(train, NULL);
    cr_expect(got && strcmp(got, "ham\tSENTINEL\n") == 0, "train.tsv untouched, got %s", got ? got : "(none)");
    free(got);
    free(train);
}

Test(spam, bad_packages_change_nothing)
{
    pkg p = make_pkg();
    char *out = path_in(p.root, "out");
    mkdir(out, 0777);
    char *train = path_in(out, "train.tsv");
    write_str(train, "ham\tSENTINEL\n");
    expect_prepare_fail("/nonexistent/pkg", out, TEXT_DATA_ECORPUS, "fetch-data.sh");
    /* a listed file is missing */
    char victim[1024];
    snprintf(victim, sizeof victim, "%s/data/spam-2/00003.%032d.txt", p.root, 2);
    char *saved = tu_read_file(victim, NULL);
    cr_assert(saved != NULL);
    remove(victim);
    expect_prepare_fail(p.root, out, TEXT_DATA_ECORPUS, "00003");
    write_str(victim, saved);
    free(saved);
    /* corrupt file list */
    char lp[1024];
    snprintf(lp, sizeof lp, "%s/data/file_list.json", p.root);
    char *list = tu_read_file(lp, NULL);
    write_str(lp, "[\"easy-ham-1/00001.00000000000000000000000000000000.txt\", ");
    expect_prepare_fail(p.root, out, TEXT_DATA_ECORPUS, "corrupt");
    write_str(lp, "[\"misc/00001.x.txt\"]");
    expect_prepare_fail(p.root, out, TEXT_DATA_ECORPUS, "ham or spam group");
    write_str(lp, "[\"../../etc/passwd\"]");
    expect_prepare_fail(p.root, out, TEXT_DATA_ECORPUS, "ham or spam group");
    write_str(lp, "[]");
    expect_prepare_fail(p.root, out, TEXT_DATA_ECORPUS, "no emails");
    write_str(lp, list);
    free(list);
    /* and the intact package then succeeds, replacing the sentinel */
    char err[1024];
    cr_expect_eq(text_data_spam_prepare(p.root, out, 0, NULL, err, sizeof err), TEXT_DATA_OK, "%s", err);
    char *got = tu_read_file(train, NULL);
    cr_expect(got && strstr(got, "SENTINEL") == NULL);
    free(got);
    free(train);
    free(out);
    rm_rf(p.root);
    free(p.root);
}

/* ---- mpcsim data ---- */

Test(data_cli, help_errors_and_end_to_end)
{
    tu_run r = tu_mpcsim("data --help");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "prepare") && strstr(r.out, "vocab") && strstr(r.out, "stats") && strstr(r.out, "label<TAB>text"));
    tu_run_free(&r);
    r = tu_mpcsim("--help");
    cr_expect(strstr(r.out, "data ") != NULL, "registered in mpcsim --help");
    tu_run_free(&r);

    char *dir = tu_tmpdir(), args[2048];
    char *bad = path_in(dir, "bad.tsv"), *good = path_in(dir, "good.tsv"), *voc = path_in(dir, "v.txt");
    write_str(bad, "ham\tok\nspam\n");
    snprintf(args, sizeof args, "data stats %s", bad);
    r = tu_mpcsim(args);
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.err, "bad.tsv:2:") && strstr(r.err, "error"), "%s", r.err);
    tu_run_free(&r);

    snprintf(args, sizeof args, "data prepare --src %s/nopkg --out %s/out", dir, dir);
    r = tu_mpcsim(args);
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.err, "fetch-data.sh") != NULL, "%s", r.err);
    tu_run_free(&r);

    write_str(good, "ham\tthe meeting is tomorrow\nspam\tfree money, click here\nham\tthe kernel patch\n"
                    "spam\tfree offer here\n");
    snprintf(args, sizeof args, "data vocab --in %s --size 200 --out %s", good, voc);
    r = tu_mpcsim(args);
    cr_expect_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    char *v = tu_read_file(voc, NULL);
    cr_assert(v != NULL);
    cr_expect(strncmp(v, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n", 31) == 0, "%s", v);
    free(v);
    snprintf(args, sizeof args, "data stats %s --vocab %s --max-len 6 --labels ham,spam", good, voc);
    r = tu_mpcsim(args);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "4 examples") && strstr(r.out, "truncated"), "%s", r.out);
    tu_run_free(&r);
    snprintf(args, sizeof args, "data stats %s --labels ham,eggs", good);
    r = tu_mpcsim(args);
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.err, "good.tsv:2: label 'spam'") != NULL, "%s", r.err);
    tu_run_free(&r);
    snprintf(args, sizeof args, "data tokenize --vocab %s 'Free money, here!'", voc);
    r = tu_mpcsim(args);
    cr_expect_eq(r.status, 0, "%s", r.err);
    /* "!" never occurs in the corpus, so it is not in the alphabet: [UNK] */
    cr_expect(strncmp(r.out, "[CLS] free m", 12) == 0 && strstr(r.out, " , here [UNK] [SEP]\n2 "), "%s", r.out);
    tu_run_free(&r);
    r = tu_mpcsim("data vocab --size 10 --in x.tsv");
    cr_expect_eq(r.status, 2);
    tu_run_free(&r);
    rm_rf(dir);
    free(dir);
    free(bad);
    free(good);
    free(voc);
}

/* Untrusted input is bounded: a dataset or vocabulary that is one endless line (/dev/zero) gives a
 * clear error after TEXT_DATA_MAX_LINE / TEXT_TOK_MAX_LINE bytes, not a read until memory runs out;
 * a dataset over the file bound is refused by line. */
Test(data_bounds, dev_zero_dataset_and_vocab)
{
    text_dataset ds;
    char err[1024];
    int rc = text_data_load(&ds, "/dev/zero", NULL, err, sizeof err);
    cr_expect_eq(rc, TEXT_DATA_EFORMAT, "%s", err);
    cr_expect(strstr(err, "/dev/zero:1: line over 16777216 bytes") != NULL, "%s", err);
    cr_expect(ds.n == 0 && ds.text == NULL);
    text_tok *t;
    rc = text_tok_load(&t, "/dev/zero", err, sizeof err);
    cr_expect_eq(rc, TEXT_TOK_EFORMAT, "%s", err);
    cr_expect(strstr(err, "/dev/zero:1: line over 4096 bytes") != NULL, "%s", err);
    cr_expect(t == NULL);
}

Test(data_bounds, long_lines_and_big_files)
{
    /* A vocabulary line of 4096 bytes is read; 4097 is refused. */
    char *tok = malloc(4098 + 64);
    memset(tok, 'a', 4097);
    const char specials[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n";
    fixture f = fx_file("vocab.txt", specials, strlen(specials));
    FILE *fp = fopen(f.path, "a");
    fwrite(tok, 1, 4096, fp);
    fputc('\n', fp);
    fclose(fp);
    text_tok *t;
    char err[1024];
    cr_expect_eq(text_tok_load(&t, f.path, err, sizeof err), TEXT_TOK_OK, "%s", err);
    text_tok_destroy(t);
    fp = fopen(f.path, "a");
    fwrite(tok, 1, 4097, fp);
    fputc('\n', fp);
    fclose(fp);
    cr_expect_eq(text_tok_load(&t, f.path, err, sizeof err), TEXT_TOK_EFORMAT);
    cr_expect(strstr(err, ":6: line over 4096 bytes") != NULL, "%s", err);
    fx_free(&f);
    free(tok);
    /* A dataset over its file bound (here 40 bytes) is refused at the line that crosses it. */
    const char content[] = "spam\tWin money now\nham\tMeeting at 3\nspam\tFree!!\n";
    text_data_load_opts o = {TEXT_DATA_FMT_AUTO, NULL, 0, 40};
    expect_load_fail("d.tsv", content, &o, TEXT_DATA_EFORMAT, ":3: the file is over 40 bytes");
    o.max_bytes = sizeof content - 1; /* exactly the file: fine */
    fixture g = fx_file("d.tsv", content, strlen(content));
    text_dataset ds;
    cr_expect_eq(text_data_load(&ds, g.path, &o, err, sizeof err), TEXT_DATA_OK, "%s", err);
    cr_expect_eq(ds.n, 3);
    text_data_free(&ds);
    fx_free(&g);
}

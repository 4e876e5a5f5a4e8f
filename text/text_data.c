/* text_data.c -- labelled text datasets (TSV / JSONL loaders, TSV writer, dedup, deterministic
 * split) and the SpamAssassin preparation (email body extraction). See text_data.h. */
#include "../common/chk.h"
#include "../common/json.h"
#include "../common/sbuf.h"
#include "text_data.h"

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

/* ---- email bodies ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void put_utf8(sbuf *b, uint32_t c)
{
    char e[4];
    size_t k;
    if (c < 0x80) e[0] = (char)c, k = 1;
    else if (c < 0x800) e[0] = (char)(0xC0 | (c >> 6)), e[1] = (char)(0x80 | (c & 0x3F)), k = 2;
    else if (c < 0x10000)
        e[0] = (char)(0xE0 | (c >> 12)), e[1] = (char)(0x80 | ((c >> 6) & 0x3F)), e[2] = (char)(0x80 | (c & 0x3F)), k = 3;
    else
        e[0] = (char)(0xF0 | (c >> 18)), e[1] = (char)(0x80 | ((c >> 12) & 0x3F)),
        e[2] = (char)(0x80 | ((c >> 6) & 0x3F)), e[3] = (char)(0x80 | (c & 0x3F)), k = 4;
    sbuf_put(b, e, k);
}

typedef struct mime_info {
    char type[64];      /* lowercase media type, "" if none */
    char boundary[201]; /* multipart boundary, "" if none */
    int cte;            /* 0 identity, 1 quoted-printable, 2 base64 */
} mime_info;

/* Next line [*ls, *le) from pos (le excludes "\n" and a trailing "\r"); returns the next pos. */
static size_t next_line(const char *s, size_t n, size_t pos, size_t *ls, size_t *le)
{
    const char *nl = memchr(s + pos, '\n', n - pos);
    size_t e = nl ? (size_t)(nl - s) : n;
    *ls = pos;
    *le = (e > pos && s[e - 1] == '\r') ? e - 1 : e;
    return nl ? e + 1 : n;
}

static int ci_prefix(const char *s, size_t n, const char *pre)
{
    size_t k = strlen(pre);
    if (n < k) return 0;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)s[i]) != pre[i]) return 0;
    return 1;
}

/* Case-insensitive search of a lowercase needle. */
static const char *ci_find(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (tolower((unsigned char)s[i]) == needle[0] && ci_prefix(s + i, n - i, needle)) return s + i;
    return NULL;
}

static void parse_content_type(const char *v, size_t n, mime_info *mi)
{
    size_t i = 0, k = 0;
    while (i < n && isspace((unsigned char)v[i])) i++;
    while (i < n && v[i] != ';' && !isspace((unsigned char)v[i]) && k + 1 < sizeof mi->type)
        mi->type[k++] = (char)tolower((unsigned char)v[i++]);
    mi->type[k] = 0;
    const char *b = ci_find(v, n, "boundary=");
    if (!b) return;
    size_t j = (size_t)(b - v) + 9;
    k = 0;
    if (j < n && v[j] == '"') {
        j++;
        while (j < n && v[j] != '"' && k + 1 < sizeof mi->boundary) mi->boundary[k++] = v[j++];
    } else {
        while (j < n && v[j] != ';' && !isspace((unsigned char)v[j]) && k + 1 < sizeof mi->boundary)
            mi->boundary[k++] = v[j++];
    }
    mi->boundary[k] = 0;
}

static int looks_like_field(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] > 32 && s[i] < 127 && s[i] != ':') i++;
    return i > 0 && i < n && s[i] == ':';
}

/* Reads the header block of s; returns where the body starts. For a MIME part (`part`), a first
 * line that is not a header field means "no headers". No empty line: all header, empty body. */
static size_t read_headers(const char *s, size_t n, int part, mime_info *mi)
{
    memset(mi, 0, sizeof *mi);
    size_t pos = 0, ls, le;
    if (part && n) {
        next_line(s, n, 0, &ls, &le);
        if (le > ls && !looks_like_field(s + ls, le - ls)) return 0;
    }
    sbuf ct = {0}, cte = {0};
    sbuf *cur = NULL;
    size_t body = n;
    while (pos < n) {
        pos = next_line(s, n, pos, &ls, &le);
        if (le == ls) {
            body = pos;
            break;
        }
        if (s[ls] == ' ' || s[ls] == '\t') { /* folded continuation */
            if (cur) sbuf_put(cur, s + ls, le - ls);
            continue;
        }
        cur = NULL;
        if (ci_prefix(s + ls, le - ls, "content-type:")) cur = &ct, ct.n = 0, ls += 13;
        else if (ci_prefix(s + ls, le - ls, "content-transfer-encoding:")) cur = &cte, cte.n = 0, ls += 26;
        if (cur) sbuf_put(cur, s + ls, le - ls);
    }
    if (ct.n) parse_content_type(ct.p, ct.n, mi);
    if (cte.n) {
        if (ci_find(cte.p, cte.n, "quoted-printable")) mi->cte = 1;
        else if (ci_find(cte.p, cte.n, "base64")) mi->cte = 2;
    }
    free(ct.p);
    free(cte.p);
    return body;
}

static void decode_qp(const char *s, size_t n, sbuf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '=') {
            sbuf_putc(out, s[i]);
            continue;
        }
        if (i + 1 < n && s[i + 1] == '\n') { /* soft line break */
            i += 1;
            continue;
        }
        if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
            i += 2;
            continue;
        }
        int h1 = i + 1 < n ? hexval((unsigned char)s[i + 1]) : -1, h2 = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
        if (h1 >= 0 && h2 >= 0) {
            sbuf_putc(out, (char)(h1 * 16 + h2));
            i += 2;
        } else {
            sbuf_putc(out, '=');
        }
    }
}

static void decode_b64(const char *s, size_t n, sbuf *out)
{
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i], v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+') v = 62;
        else if (c == '/') v = 63;
        else if (c == '=') break;
        else continue;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            sbuf_putc(out, (char)((acc >> bits) & 0xFF));
        }
    }
}

/* Lines that are MIME debris even after parsing: undeclared boundaries, base64 blobs. */
static int debris_line(const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (n >= 14 && s[0] == '-' && s[1] == '-' && !memchr(s, ' ', n) && !memchr(s, '\t', n)) return 1;
    if (n < 40) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '+' || c == '/' || c == '=')) return 0;
    }
    return 1;
}

static int looks_like_html(const char *s, size_t n)
{
    static const char *const marks[] = {"<html", "<body", "<br", "<p>", "<font", "<table", "<div", "<a href"};
    for (size_t k = 0; k < sizeof marks / sizeof *marks; k++)
        if (ci_find(s, n, marks[k])) return 1;
    return 0;
}

static int inline_tag(const char *name)
{
    static const char *const tags[] = {"a", "b", "i", "u", "em", "strong", "font", "span", "small",
                                       "big", "sub", "sup", "s", "strike", "tt"};
    for (size_t k = 0; k < sizeof tags / sizeof *tags; k++)
        if (strcmp(name, tags[k]) == 0) return 1;
    return 0;
}

/* &name; and &#N; / &#xH; at s[i] ('&'); returns bytes consumed (0 = not an entity). */
static size_t html_entity(const char *s, size_t n, size_t i, sbuf *out)
{
    static const struct {
        const char *name;
        char c;
    } ents[] = {{"nbsp", ' '}, {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
    const char *semi = memchr(s + i, ';', (n - i) < 12 ? n - i : 12);
    if (!semi) return 0;
    size_t len = (size_t)(semi - (s + i)) + 1;
    const char *name = s + i + 1;
    size_t nl = len - 2;
    if (nl >= 2 && name[0] == '#') {
        uint32_t v = 0;
        int hex = name[1] == 'x' || name[1] == 'X';
        size_t k = hex ? 2 : 1;
        if (k >= nl) return 0;
        for (; k < nl; k++) {
            int d = hex ? hexval((unsigned char)name[k]) : (isdigit((unsigned char)name[k]) ? name[k] - '0' : -1);
            if (d < 0 || v > 0x10FFFF) return 0;
            v = v * (hex ? 16u : 10u) + (uint32_t)d;
        }
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
        put_utf8(out, v);
        return len;
    }
    for (size_t k = 0; k < sizeof ents / sizeof *ents; k++)
        if (strlen(ents[k].name) == nl && ci_prefix(name, nl, ents[k].name)) {
            sbuf_putc(out, ents[k].c);
            return len;
        }
    return 0;
}

static void strip_html(const char *s, size_t n, sbuf *out)
{
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (c == '&') {
            size_t k = html_entity(s, n, i, out);
            if (k) {
                i += k;
                continue;
            }
        }
        if (c != '<' || i + 1 >= n ||
            !(isalpha((unsigned char)s[i + 1]) || s[i + 1] == '/' || s[i + 1] == '!' || s[i + 1] == '?')) {
            sbuf_putc(out, c);
            i++;
            continue;
        }
        if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
            const char *e = NULL;
            for (size_t j = i + 4; j + 3 <= n; j++)
                if (memcmp(s + j, "-->", 3) == 0) {
                    e = s + j;
                    break;
                }
            i = e ? (size_t)(e - s) + 3 : n;
            sbuf_putc(out, ' ');
            continue;
        }
        size_t lim = n - i < 4096 ? n : i + 4096;
        const char *gt = memchr(s + i, '>', lim - i);
        if (!gt) { /* a lone '<' in text */
            sbuf_putc(out, c);
            i++;
            continue;
        }
        char name[16];
        size_t j = i + 1, k = 0;
        int closing = 0;
        if (s[j] == '/') closing = 1, j++;
        while (j < n && isalnum((unsigned char)s[j]) && k + 1 < sizeof name) name[k++] = (char)tolower((unsigned char)s[j++]);
        name[k] = 0;
        i = (size_t)(gt - s) + 1;
        if (!closing && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0)) {
            char endtag[24];
            snprintf(endtag, sizeof endtag, "</%s", name);
            const char *e = ci_find(s + i, n - i, endtag);
            const char *g = e ? memchr(e, '>', n - (size_t)(e - s)) : NULL;
            i = g ? (size_t)(g - s) + 1 : n;
            sbuf_putc(out, ' ');
            continue;
        }
        if (!inline_tag(name)) sbuf_putc(out, ' ');
    }
}

static void body_text(const char *s, size_t n, int html, sbuf *out)
{
    sbuf kept = {0};
    size_t pos = 0, ls, le;
    while (pos < n) {
        pos = next_line(s, n, pos, &ls, &le);
        if (debris_line(s + ls, le - ls)) continue;
        sbuf_put(&kept, s + ls, le - ls);
        sbuf_putc(&kept, '\n');
    }
    if (kept.n && (html || looks_like_html(kept.p, kept.n))) strip_html(kept.p, kept.n, out);
    else if (kept.n) sbuf_put(out, kept.p, kept.n);
    sbuf_putc(out, '\n');
    free(kept.p);
}

static void mime_entity(const char *s, size_t n, const mime_info *mi, int depth, sbuf *out);

static int blank_from(const char *s, size_t n, size_t i)
{
    for (; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return 0;
    return 1;
}

/* 1 if the line is "--boundary", 2 if "--boundary--" (RFC 2046: optional trailing whitespace), else
 * 0. A longer boundary that merely starts with this one (nested parts) does not match. */
static int delimiter(const char *s, size_t n, const char *b, size_t bl)
{
    if (n < bl + 2 || s[0] != '-' || s[1] != '-' || memcmp(s + 2, b, bl) != 0) return 0;
    if (blank_from(s, n, bl + 2)) return 1;
    if (n >= bl + 4 && s[bl + 2] == '-' && s[bl + 3] == '-' && blank_from(s, n, bl + 4)) return 2;
    return 0;
}

/* One part of a multipart body: its own headers, then its content. */
static void mime_part(const char *s, size_t n, int depth, sbuf *out)
{
    mime_info pm;
    size_t b = read_headers(s, n, 1, &pm);
    mime_entity(s + b, n - b, &pm, depth + 1, out);
}

static void mime_message(const char *s, size_t n, int depth, sbuf *out)
{
    mime_info mi;
    size_t b = read_headers(s, n, 0, &mi);
    mime_entity(s + b, n - b, &mi, depth, out);
}

static void mime_entity(const char *s, size_t n, const mime_info *mi, int depth, sbuf *out)
{
    if (depth > 8) return;
    if (strncmp(mi->type, "multipart/", 10) == 0 && mi->boundary[0]) {
        size_t bl = strlen(mi->boundary), pos = 0, ls, le, part = SIZE_MAX;
        int found = 0, closed = 0;
        while (pos < n && !closed) {
            size_t at = pos;
            pos = next_line(s, n, pos, &ls, &le);
            int kind = delimiter(s + ls, le - ls, mi->boundary, bl);
            if (!kind) continue;
            found = 1;
            if (part != SIZE_MAX) mime_part(s + part, at - part, depth, out); /* ends before this line */
            closed = kind == 2;
            part = pos;
        }
        if (found && !closed && part < n) mime_part(s + part, n - part, depth, out); /* truncated: no close */
        if (found) return;
        /* no delimiter at all: treat the body as plain text */
    } else if (strcmp(mi->type, "message/rfc822") == 0) {
        mime_message(s, n, depth + 1, out);
        return;
    } else if (mi->type[0] && strncmp(mi->type, "text/", 5) != 0 && strncmp(mi->type, "multipart/", 10) != 0) {
        return; /* attachment, image, ... */
    }
    int html = strcmp(mi->type, "text/html") == 0;
    if (mi->cte == 0) {
        body_text(s, n, html, out);
        return;
    }
    sbuf dec = {0};
    if (mi->cte == 1) decode_qp(s, n, &dec);
    else decode_b64(s, n, &dec);
    if (dec.n) body_text(dec.p, dec.n, html, out);
    free(dec.p);
}

/* Windows-1252 in 0x80-0x9F (its superset of Latin-1 that these emails use for quotes, dashes and
 * bullets); 0 where it is undefined. */
static const uint16_t cp1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

/* Valid UTF-8 sequences are kept, except C1 controls (U+0080-U+009F) which become spaces; any
 * other byte is read as Windows-1252 (Latin-1 plus quotes, dashes, ... in 0x80-0x9F; its five
 * undefined bytes become spaces). */
static void to_utf8(const char *s, size_t n, sbuf *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        size_t need = 0;
        uint32_t min = 0, v = 0;
        if (c < 0x80) {
            sbuf_putc(out, (char)c);
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) need = 1, min = 0x80, v = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) need = 2, min = 0x800, v = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) need = 3, min = 0x10000, v = c & 0x07;
        int ok = need > 0 && i + need < n;
        for (size_t j = 1; ok && j <= need; j++) {
            if (i + j >= n || (u[i + j] & 0xC0) != 0x80) ok = 0;
            else v = (v << 6) | (u[i + j] & 0x3F);
        }
        if (ok && (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))) ok = 0;
        if (ok) {
            if (v < 0xA0) sbuf_putc(out, ' ');
            else sbuf_put(out, s + i, need + 1);
            i += need + 1;
        } else {
            uint32_t w = c < 0xA0 ? cp1252[c - 0x80] : c;
            if (w) put_utf8(out, w);
            else sbuf_putc(out, ' ');
            i++;
        }
    }
}

char *text_data_email_body(const char *msg, size_t len, size_t *out_len)
{
    sbuf raw = {0}, utf = {0};
    mime_message(msg, len, 0, &raw);
    to_utf8(raw.p ? raw.p : "", raw.n, &utf);
    free(raw.p);
    /* ASCII controls -> space, collapse runs, trim */
    char *r = chk_malloc(utf.n + 1);
    size_t k = 0;
    int space = 1; /* drops leading spaces */
    for (size_t i = 0; i < utf.n; i++) {
        unsigned char c = (unsigned char)utf.p[i];
        if (c < 0x20 || c == 0x7F || c == ' ') {
            if (!space) r[k++] = ' ';
            space = 1;
            continue;
        }
        r[k++] = (char)c;
        space = 0;
    }
    if (k && r[k - 1] == ' ') k--;
    r[k] = 0;
    free(utf.p);
    if (out_len) *out_len = k;
    return r;
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
        body = text_data_email_body(msg, mlen, &blen);
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

/* json.c -- strict recursive-descent JSON parser into an arena DOM; see json.h.
 *
 * Arrays and objects are built on two growable stacks shared by all nesting levels (a level pushes
 * its elements above its parent's, then copies them into the arena and pops), so parsing costs one
 * arena allocation per container and string and no per-value malloc. Recursion is bounded by
 * JSON_MAX_DEPTH. Every read of the input is checked against len. */
#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

struct json_chunk {
    struct json_chunk *next;
    size_t used, cap;
    max_align_t data[]; /* cap bytes */
};

#define ARENA_CHUNK ((size_t)64 << 10)

static void *arena_alloc(json_doc *d, size_t n)
{
    size_t al = sizeof(max_align_t);
    n = (n + al - 1) / al * al;
    struct json_chunk *c = d->arena;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = chk_malloc(sizeof *c + cap);
        c->used = 0, c->cap = cap, c->next = d->arena;
        d->arena = c;
    }
    void *p = (unsigned char *)c->data + c->used;
    c->used += n;
    return p;
}

void json_free(json_doc *doc)
{
    if (!doc) return;
    for (struct json_chunk *c = doc->arena, *nx; c; c = nx) {
        nx = c->next;
        free(c);
    }
    memset(doc, 0, sizeof *doc);
}

/* ---- parser state ---- */

typedef struct jp {
    const unsigned char *s;
    size_t n, pos;
    json_doc *doc;
    json_error *e;
    size_t nvalues;
    json_value *vst;   /* array element stack */
    size_t vn, vcap;
    json_member *mst;  /* object member stack */
    size_t mn, mcap;
} jp;

__attribute__((format(printf, 4, 5)))
static int jerr(jp *p, size_t off, int code, const char *fmt, ...)
{
    if (p->e) {
        va_list ap;
        va_start(ap, fmt);
        p->e->off = off;
        vsnprintf(p->e->msg, sizeof p->e->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

static void *grow(void *a, size_t *cap, size_t elem)
{
    *cap = *cap ? 2 * *cap : 64;
    void *q = realloc(a, *cap * elem);
    CHECK(q != NULL, "out of memory growing a JSON stack to %zu entries", *cap);
    return q;
}

static void skip_ws(jp *p)
{
    while (p->pos < p->n) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

/* "'x'" for printable ASCII, else "byte 0xNN", or "end of input". */
static const char *describe(jp *p, size_t at, char buf[16])
{
    if (at >= p->n) return "end of input";
    unsigned char c = p->s[at];
    if (c >= 0x20 && c < 0x7f) snprintf(buf, 16, "'%c'", c);
    else snprintf(buf, 16, "byte 0x%02X", c);
    return buf;
}

static int parse_value(jp *p, json_value *out, int depth);

/* ---- strings ---- */

static int hex4(const unsigned char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = s[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return 0;
        v = v * 16 + d;
    }
    *out = v;
    return 1;
}

/* Length of the valid UTF-8 sequence at s[0..avail), or 0 if invalid (overlong, surrogate,
 * > U+10FFFF, truncated, stray continuation byte). */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else return 0;
    if (avail < n || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return n;
}

static size_t utf8_put(char *o, unsigned cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | (cp >> 6 & 0x3F)), o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* At an opening quote. Decoded text never exceeds the raw text, so one arena block of the raw
 * length (found by a first scan for the closing quote) holds it. */
static int parse_string(jp *p, const char **out, size_t *outlen)
{
    size_t start = ++p->pos, end = start;
    while (end < p->n && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->n) return jerr(p, start - 1, JSON_ESYNTAX, "unterminated string");
    char *o = arena_alloc(p->doc, end - start + 1);
    size_t k = 0, i = start;
    while (i < end) {
        unsigned char c = p->s[i];
        if (c < 0x20) return jerr(p, i, JSON_ESYNTAX, "control character 0x%02X in string must be escaped", c);
        if (c >= 0x80) {
            size_t m = utf8_len(p->s + i, end - i);
            if (!m) return jerr(p, i, JSON_ESYNTAX, "invalid UTF-8 byte 0x%02X in string", c);
            memcpy(o + k, p->s + i, m);
            k += m, i += m;
            continue;
        }
        if (c != '\\') { o[k++] = (char)c; i++; continue; }
        unsigned char x = p->s[i + 1]; /* i + 1 < end: the scan skipped escapes in pairs */
        static const char esc[] = "\"\\/bfnrt", map[] = "\"\\/\b\f\n\r\t";
        const char *simple = x ? strchr(esc, x) : NULL;
        if (simple) {
            o[k++] = map[simple - esc];
            i += 2;
            continue;
        }
        if (x != 'u')
            return jerr(p, i, JSON_ESYNTAX, "invalid escape '\\%c' in string", x >= 0x20 && x < 0x7f ? x : '?');
        unsigned cp, lo;
        if (end - i < 6 || !hex4(p->s + i + 2, &cp))
            return jerr(p, i, JSON_ESYNTAX, "invalid \\u escape (need 4 hex digits)");
        if (cp >= 0xDC00 && cp <= 0xDFFF) return jerr(p, i, JSON_ESYNTAX, "unpaired low surrogate \\u%04X", cp);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end - i < 12 || p->s[i + 6] != '\\' || p->s[i + 7] != 'u' || !hex4(p->s + i + 8, &lo) || lo < 0xDC00 ||
                lo > 0xDFFF)
                return jerr(p, i, JSON_ESYNTAX, "high surrogate \\u%04X not followed by a low surrogate", cp);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
        }
        k += utf8_put(o + k, cp);
        i += 6;
    }
    o[k] = 0;
    p->pos = end + 1;
    *out = o, *outlen = k;
    return JSON_OK;
}

/* ---- numbers ---- */

static int parse_number(jp *p, json_value *out)
{
    size_t i = p->pos, n = p->n;
    int neg = 0, integral = 1, overflow = 0;
    uint64_t mag = 0;
    if (p->s[i] == '-') neg = 1, i++;
    if (i >= n || p->s[i] < '0' || p->s[i] > '9') return jerr(p, i, JSON_ESYNTAX, "invalid number: expected a digit");
    if (p->s[i] == '0' && i + 1 < n && p->s[i + 1] >= '0' && p->s[i + 1] <= '9')
        return jerr(p, i, JSON_ESYNTAX, "invalid number: leading zero");
    for (; i < n && p->s[i] >= '0' && p->s[i] <= '9'; i++) {
        unsigned d = p->s[i] - '0';
        if (mag > (UINT64_MAX - d) / 10) overflow = 1;
        else mag = mag * 10 + d;
    }
    if (i < n && p->s[i] == '.') {
        integral = 0, i++;
        if (i >= n || p->s[i] < '0' || p->s[i] > '9')
            return jerr(p, i, JSON_ESYNTAX, "invalid number: digit expected after '.'");
        while (i < n && p->s[i] >= '0' && p->s[i] <= '9') i++;
    }
    if (i < n && (p->s[i] == 'e' || p->s[i] == 'E')) {
        integral = 0, i++;
        if (i < n && (p->s[i] == '+' || p->s[i] == '-')) i++;
        if (i >= n || p->s[i] < '0' || p->s[i] > '9')
            return jerr(p, i, JSON_ESYNTAX, "invalid number: digit expected in exponent");
        while (i < n && p->s[i] >= '0' && p->s[i] <= '9') i++;
    }
    size_t len = i - p->pos;
    if (integral && !overflow && mag <= (uint64_t)INT64_MAX + (uint64_t)neg) {
        out->type = JSON_INT;
        out->u.i = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
    } else {
        char tmp[512];
        if (len >= sizeof tmp) return jerr(p, p->pos, JSON_ELIMIT, "number longer than %zu characters", sizeof tmp - 1);
        memcpy(tmp, p->s + p->pos, len);
        tmp[len] = 0;
        double d = strtod(tmp, NULL);
        if (isinf(d)) return jerr(p, p->pos, JSON_ELIMIT, "number out of double range");
        out->type = JSON_DOUBLE;
        out->u.d = d;
    }
    p->pos = i;
    return JSON_OK;
}

/* ---- containers ---- */

static int member_cmp(const void *a, const void *b)
{
    const json_member *x = *(const json_member *const *)a, *y = *(const json_member *const *)b;
    size_t m = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, m);
    if (c) return c;
    if (x->key_len != y->key_len) return x->key_len < y->key_len ? -1 : 1;
    return x->val.off < y->val.off ? -1 : x->val.off > y->val.off; /* later duplicate sorts second */
}

static int check_duplicates(jp *p, const json_member *m, size_t n)
{
    if (n < 2) return JSON_OK;
    const json_member **ix = chk_malloc(n * sizeof *ix);
    for (size_t i = 0; i < n; i++) ix[i] = &m[i];
    qsort(ix, n, sizeof *ix, member_cmp);
    int rc = JSON_OK;
    for (size_t i = 1; i < n && rc == JSON_OK; i++)
        if (ix[i]->key_len == ix[i - 1]->key_len && memcmp(ix[i]->key, ix[i - 1]->key, ix[i]->key_len) == 0)
            rc = jerr(p, ix[i]->val.off, JSON_ESYNTAX, "duplicate key \"%.60s\"", ix[i]->key);
    free(ix);
    return rc;
}

static int parse_array(jp *p, json_value *out, int depth)
{
    size_t base = p->vn;
    int rc = JSON_OK;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == ']') {
        p->pos++;
    } else {
        for (;;) {
            json_value v;
            if ((rc = parse_value(p, &v, depth + 1)) != JSON_OK) goto fail;
            if (p->vn == p->vcap) p->vst = grow(p->vst, &p->vcap, sizeof *p->vst);
            p->vst[p->vn++] = v;
            skip_ws(p);
            char d[16];
            if (p->pos < p->n && p->s[p->pos] == ',') { p->pos++; continue; }
            if (p->pos < p->n && p->s[p->pos] == ']') { p->pos++; break; }
            rc = jerr(p, p->pos, JSON_ESYNTAX, "expected ',' or ']' in array, found %s", describe(p, p->pos, d));
            goto fail;
        }
    }
    size_t cnt = p->vn - base;
    json_value *items = cnt ? arena_alloc(p->doc, cnt * sizeof *items) : NULL;
    if (cnt) memcpy(items, p->vst + base, cnt * sizeof *items);
    out->type = JSON_ARRAY;
    out->u.arr.v = items, out->u.arr.n = cnt;
fail:
    p->vn = base;
    return rc;
}

static int parse_object(jp *p, json_value *out, int depth)
{
    size_t base = p->mn;
    int rc = JSON_OK;
    char d[16];
    p->pos++;
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == '}') {
        p->pos++;
    } else {
        for (;;) {
            json_member m;
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != '"') {
                rc = jerr(p, p->pos, JSON_ESYNTAX, "expected a string key in object, found %s", describe(p, p->pos, d));
                goto fail;
            }
            if ((rc = parse_string(p, &m.key, &m.key_len)) != JSON_OK) goto fail;
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != ':') {
                rc = jerr(p, p->pos, JSON_ESYNTAX, "expected ':' after object key, found %s", describe(p, p->pos, d));
                goto fail;
            }
            p->pos++;
            if ((rc = parse_value(p, &m.val, depth + 1)) != JSON_OK) goto fail;
            if (p->mn == p->mcap) p->mst = grow(p->mst, &p->mcap, sizeof *p->mst);
            p->mst[p->mn++] = m;
            skip_ws(p);
            if (p->pos < p->n && p->s[p->pos] == ',') { p->pos++; continue; }
            if (p->pos < p->n && p->s[p->pos] == '}') { p->pos++; break; }
            rc = jerr(p, p->pos, JSON_ESYNTAX, "expected ',' or '}' in object, found %s", describe(p, p->pos, d));
            goto fail;
        }
    }
    size_t cnt = p->mn - base;
    if (cnt > 1 && (rc = check_duplicates(p, p->mst + base, cnt)) != JSON_OK) goto fail;
    json_member *items = cnt ? arena_alloc(p->doc, cnt * sizeof *items) : NULL;
    if (cnt) memcpy(items, p->mst + base, cnt * sizeof *items);
    out->type = JSON_OBJECT;
    out->u.obj.m = items, out->u.obj.n = cnt;
fail:
    p->mn = base;
    return rc;
}

static int parse_value(jp *p, json_value *out, int depth)
{
    char d[16];
    skip_ws(p);
    memset(out, 0, sizeof *out);
    out->off = p->pos;
    if (p->pos >= p->n) return jerr(p, p->pos, JSON_ESYNTAX, "unexpected end of input, expected a value");
    if (++p->nvalues > JSON_MAX_VALUES) return jerr(p, p->pos, JSON_ELIMIT, "more than %u values", JSON_MAX_VALUES);
    unsigned char c = p->s[p->pos];
    if (c == '{' || c == '[') {
        if (depth >= JSON_MAX_DEPTH) return jerr(p, p->pos, JSON_EDEPTH, "nesting deeper than %d", JSON_MAX_DEPTH);
        return c == '{' ? parse_object(p, out, depth) : parse_array(p, out, depth);
    }
    if (c == '"') {
        out->type = JSON_STRING;
        return parse_string(p, &out->u.str.s, &out->u.str.len);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, out);
    static const struct { const char *lit; json_type t; int b; } lits[] = {
        {"true", JSON_BOOL, 1}, {"false", JSON_BOOL, 0}, {"null", JSON_NULL, 0}};
    for (int k = 0; k < 3; k++) {
        size_t L = strlen(lits[k].lit);
        if (c == (unsigned char)lits[k].lit[0]) {
            if (p->n - p->pos < L || memcmp(p->s + p->pos, lits[k].lit, L) != 0)
                return jerr(p, p->pos, JSON_ESYNTAX, "invalid literal (expected '%s')", lits[k].lit);
            p->pos += L;
            out->type = lits[k].t;
            out->u.b = lits[k].b;
            return JSON_OK;
        }
    }
    return jerr(p, p->pos, JSON_ESYNTAX, "unexpected %s, expected a value", describe(p, p->pos, d));
}

/* ---- public ---- */

int json_parse(json_doc *doc, const char *buf, size_t len, json_error *e)
{
    memset(doc, 0, sizeof *doc);
    jp p = {.s = (const unsigned char *)buf, .n = len, .doc = doc, .e = e};
    int rc;
    char d[16];
    if (len > JSON_MAX_INPUT) {
        rc = jerr(&p, 0, JSON_ELIMIT, "input of %zu bytes exceeds the %zu-byte limit", len, JSON_MAX_INPUT);
        goto fail;
    }
    if ((rc = parse_value(&p, &doc->root, 0)) != JSON_OK) goto fail;
    skip_ws(&p);
    if (p.pos != p.n) {
        rc = jerr(&p, p.pos, JSON_ESYNTAX, "unexpected %s after the value", describe(&p, p.pos, d));
        goto fail;
    }
    free(p.vst);
    free(p.mst);
    return JSON_OK;
fail:
    free(p.vst);
    free(p.mst);
    json_free(doc);
    return rc;
}

const json_value *json_get(const json_value *v, const char *key)
{
    if (!v || v->type != JSON_OBJECT) return NULL;
    size_t L = strlen(key);
    for (size_t i = 0; i < v->u.obj.n; i++) {
        const json_member *m = &v->u.obj.m[i];
        if (m->key_len == L && memcmp(m->key, key, L) == 0) return &m->val;
    }
    return NULL;
}

int json_as_int64(const json_value *v, int64_t *out)
{
    if (v && v->type == JSON_INT) { *out = v->u.i; return 1; }
    /* [-2^63, 2^63) in double: both bounds exact powers of two. */
    if (v && v->type == JSON_DOUBLE && v->u.d == floor(v->u.d) && v->u.d >= -0x1p63 && v->u.d < 0x1p63) {
        *out = (int64_t)v->u.d;
        return 1;
    }
    return 0;
}

const char *json_type_name(json_type t)
{
    static const char *const names[] = {"null", "boolean", "integer", "number", "string", "array", "object"};
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}

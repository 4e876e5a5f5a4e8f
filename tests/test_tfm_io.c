/* test_tfm_io.c -- model file I/O (models/tfm_io.c) and the JSON parser under it (common/json.c).
 *
 * json: values, exact int64 extremes, UTF-8 and escapes, every syntax error class with its byte
 * offset, the depth limit, and that (buf, len) is never read past len.
 * safetensors: save/load round trips (bert-tiny, RoBERTa family, BatchNorm tensors) are byte-equal;
 * the written header is 8-aligned JSON with the table's names, shapes and contiguous offsets; files
 * crafted here by hand (independent of the writer) exercise every rejection with its code and a
 * message naming the problem; a failed load leaves the block untouched; a failed save leaves
 * nothing behind; F16/BF16/F64 tensors convert exactly.
 * config.json: BERT-base and RoBERTa-base style files against the built-in configurations, then
 * missing, mistyped and out-of-range fields. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/json.h"
#include "../models/tfm_io.h"
#include "testutil.h"

/* ---- helpers ---- */

static char ERR[1024];

static void write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(fwrite(buf, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static void tiny(tfm_config *cfg)
{
    cr_assert_eq(tfm_config_named(cfg, "bert-tiny"), TFM_OK);
}

static size_t numel(const tfm_tensor *t) { return t->shape[0] * (t->ndim == 2 ? t->shape[1] : 1); }

static int contains(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

#define EXPECT_ERR(rc, code, ...)                                                                  \
    do {                                                                                           \
        cr_expect_eq((rc), (code), "code %d (%s), want %d; message: %s", (rc), tfm_strerror(rc), (code), ERR); \
        const char *subs_[] = {__VA_ARGS__};                                                       \
        for (size_t k_ = 0; k_ < sizeof subs_ / sizeof *subs_; k_++)                               \
            cr_expect(contains(ERR, subs_[k_]), "message '%s' lacks '%s'", ERR, subs_[k_]);         \
    } while (0)

/* A safetensors image built by hand from the table (no tfm_io writer involved): tensors in table
 * order, F32, contiguous, header unpadded. Entry `idx` is replaced by `entry` ("" drops it; entry may
 * contain two %llu for the tensor's normal begin and end). `extra` is appended to the header as more
 * members; `extra_data` zero bytes follow the tensor data. `strip` removes this prefix from names. */
typedef struct img_opts {
    int idx;
    const char *entry;
    const char *extra;
    size_t extra_data;
    const char *strip;
} img_opts;

static uint8_t *build_img(const tfm_config *cfg, const tfm_params *p, img_opts o, size_t *len)
{
    size_t nt = tfm_tensor_count(cfg);
    tfm_tensor *tab = malloc(nt * sizeof *tab);
    tfm_tensor_table(cfg, p, tab);
    size_t cap = 1 << 20, hl = 0;
    char *h = malloc(cap);
    hl += (size_t)snprintf(h + hl, cap - hl, "{");
    unsigned long long off = 0;
    int first = 1;
    for (size_t i = 0; i < nt; i++) {
        unsigned long long b = off, e = off + 4 * numel(&tab[i]);
        off = e;
        const char *nm = tab[i].name;
        if (o.strip && strncmp(nm, o.strip, strlen(o.strip)) == 0) nm += strlen(o.strip);
        if (o.entry && (int)i == o.idx && !*o.entry) continue;
        hl += (size_t)snprintf(h + hl, cap - hl, "%s\"%s\":", first ? "" : ",", nm);
        first = 0;
        if (o.entry && (int)i == o.idx) {
            hl += (size_t)snprintf(h + hl, cap - hl, o.entry, b, e);
        } else if (tab[i].ndim == 2) {
            hl += (size_t)snprintf(h + hl, cap - hl, "{\"dtype\":\"F32\",\"shape\":[%zu,%zu],\"data_offsets\":[%llu,%llu]}",
                                   tab[i].shape[0], tab[i].shape[1], b, e);
        } else {
            hl += (size_t)snprintf(h + hl, cap - hl, "{\"dtype\":\"F32\",\"shape\":[%zu],\"data_offsets\":[%llu,%llu]}",
                                   tab[i].shape[0], b, e);
        }
    }
    if (o.extra) hl += (size_t)snprintf(h + hl, cap - hl, ",%s", o.extra);
    hl += (size_t)snprintf(h + hl, cap - hl, "}");
    cr_assert_lt(hl, cap);
    size_t n = 8 + hl + 4 * p->n + o.extra_data;
    uint8_t *img = calloc(1, n);
    for (int i = 0; i < 8; i++) img[i] = (uint8_t)((uint64_t)hl >> 8 * i);
    memcpy(img + 8, h, hl);
    for (size_t i = 0; i < p->n; i++) {
        uint32_t u;
        memcpy(&u, &p->mem[i], 4);
        for (int b = 0; b < 4; b++) img[8 + hl + 4 * i + (size_t)b] = (uint8_t)(u >> 8 * b);
    }
    free(h);
    free(tab);
    *len = n;
    return img;
}

/* A bert-tiny block with seed-1 weights and a fresh zeroed one. */
typedef struct fixture {
    tfm_config cfg;
    tfm_params p, q;
} fixture;

static void fx_init(fixture *f)
{
    tiny(&f->cfg);
    tfm_params_alloc(&f->p, &f->cfg);
    tfm_params_init(&f->p, &f->cfg, 1);
    tfm_params_alloc(&f->q, &f->cfg);
}

static void fx_free(fixture *f)
{
    tfm_params_free(&f->p);
    tfm_params_free(&f->q);
}

static int all_zero(const tfm_params *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->mem[i] != 0.0f) return 0;
    return 1;
}

/* Reads an image built with `o` into f->q; returns the code (message in ERR). */
static int read_img(fixture *f, img_opts o)
{
    size_t len;
    uint8_t *img = build_img(&f->cfg, &f->p, o, &len);
    ERR[0] = 0;
    int rc = tfm_read_safetensors_buf(img, len, &f->cfg, &f->q, ERR, sizeof ERR);
    free(img);
    return rc;
}

/* Index of the tensor named `name` in the table. */
static int tidx(const tfm_config *cfg, const char *name)
{
    tfm_params p;
    tfm_params_alloc(&p, cfg);
    size_t nt = tfm_tensor_count(cfg);
    tfm_tensor *tab = malloc(nt * sizeof *tab);
    tfm_tensor_table(cfg, &p, tab);
    int r = -1;
    for (size_t i = 0; i < nt; i++)
        if (strcmp(tab[i].name, name) == 0) r = (int)i;
    free(tab);
    tfm_params_free(&p);
    cr_assert_geq(r, 0, "no tensor %s", name);
    return r;
}

/* ---- json ---- */

Test(json, values_and_utf8)
{
    const char *s = "{\"a\": [1, -2, 3.5, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\\\"\\/\"], \"b\": {},"
                    " \"c\": \"\xc3\xa9\"}";
    json_doc d;
    json_error e;
    cr_assert_eq(json_parse(&d, s, strlen(s), &e), JSON_OK, "%zu: %s", e.off, e.msg);
    const json_value *a = json_get(&d.root, "a");
    cr_assert_not_null(a);
    cr_assert_eq(a->type, JSON_ARRAY);
    cr_assert_eq(a->u.arr.n, 7);
    cr_expect_eq(a->u.arr.v[0].type, JSON_INT);
    cr_expect_eq(a->u.arr.v[0].u.i, 1);
    cr_expect_eq(a->u.arr.v[1].u.i, -2);
    cr_expect_eq(a->u.arr.v[2].type, JSON_DOUBLE);
    cr_expect_eq(a->u.arr.v[2].u.d, 3.5);
    cr_expect(a->u.arr.v[3].type == JSON_BOOL && a->u.arr.v[3].u.b == 1);
    cr_expect(a->u.arr.v[4].type == JSON_BOOL && a->u.arr.v[4].u.b == 0);
    cr_expect_eq(a->u.arr.v[5].type, JSON_NULL);
    const json_value *str = &a->u.arr.v[6];
    cr_assert_eq(str->type, JSON_STRING);
    const char want[] = "x\xc3\xa9\xf0\x9f\x98\x80\n\"/";
    cr_expect_eq(str->u.str.len, sizeof want - 1);
    cr_expect_eq(memcmp(str->u.str.s, want, sizeof want), 0, "decoded '%s'", str->u.str.s);
    cr_expect_eq(a->off, 6u);
    cr_expect_eq(json_get(&d.root, "b")->type, JSON_OBJECT);
    cr_expect_str_eq(json_get(&d.root, "c")->u.str.s, "\xc3\xa9");
    cr_expect_null(json_get(&d.root, "z"));
    cr_expect_null(json_get(a, "a"));
    json_free(&d);
    cr_expect_null(d.arena);
    json_free(&d); /* twice is harmless */
}

Test(json, integers_exact)
{
    static const struct { const char *s; json_type t; int64_t i; double d; } cases[] = {
        {"9223372036854775807", JSON_INT, INT64_MAX, 0},
        {"-9223372036854775808", JSON_INT, INT64_MIN, 0},
        {"9007199254740993", JSON_INT, 9007199254740993LL, 0}, /* 2^53 + 1: not a double */
        {"-0", JSON_INT, 0, 0},
        {"9223372036854775808", JSON_DOUBLE, 0, 9223372036854775808.0},
        {"-9223372036854775809", JSON_DOUBLE, 0, -9223372036854775808.0},
        {"1e2", JSON_DOUBLE, 0, 100.0},
        {"-1.25E-1", JSON_DOUBLE, 0, -0.125},
        {"123456789012345678901234567890", JSON_DOUBLE, 0, 1.2345678901234568e29},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        json_doc d;
        cr_assert_eq(json_parse(&d, cases[k].s, strlen(cases[k].s), NULL), JSON_OK, "%s", cases[k].s);
        cr_expect_eq(d.root.type, cases[k].t, "%s: type %d", cases[k].s, d.root.type);
        if (cases[k].t == JSON_INT) cr_expect_eq(d.root.u.i, cases[k].i, "%s", cases[k].s);
        else cr_expect_eq(d.root.u.d, cases[k].d, "%s: %.17g", cases[k].s, d.root.u.d);
        json_free(&d);
    }
    int64_t x;
    json_value v = {.type = JSON_DOUBLE, .u.d = 768.0};
    cr_expect(json_as_int64(&v, &x) && x == 768);
    v.u.d = 768.5;
    cr_expect(!json_as_int64(&v, &x));
    v.u.d = 0x1p63;
    cr_expect(!json_as_int64(&v, &x));
    v.type = JSON_STRING;
    cr_expect(!json_as_int64(&v, &x));
}

Test(json, errors_with_offsets)
{
    static const struct { const char *s; int code; size_t off; const char *msg; } cases[] = {
        {"", JSON_ESYNTAX, 0, "end of input"},
        {"   ", JSON_ESYNTAX, 3, "end of input"},
        {"[1,]", JSON_ESYNTAX, 3, "expected a value"},
        {"{\"a\":1,}", JSON_ESYNTAX, 7, "string key"},
        {"{\"a\" 1}", JSON_ESYNTAX, 5, "':'"},
        {"{1:2}", JSON_ESYNTAX, 1, "string key"},
        {"[1 2]", JSON_ESYNTAX, 3, "',' or ']'"},
        {"{\"a\":1 \"b\":2}", JSON_ESYNTAX, 7, "',' or '}'"},
        {"[01]", JSON_ESYNTAX, 1, "leading zero"},
        {"[1.]", JSON_ESYNTAX, 3, "after '.'"},
        {"1e", JSON_ESYNTAX, 2, "exponent"},
        {"-", JSON_ESYNTAX, 1, "digit"},
        {"+1", JSON_ESYNTAX, 0, "'+'"},
        {"NaN", JSON_ESYNTAX, 0, "'N'"},
        {"tru", JSON_ESYNTAX, 0, "true"},
        {"nul", JSON_ESYNTAX, 0, "null"},
        {"1 2", JSON_ESYNTAX, 2, "after the value"},
        {"\xef\xbb\xbf{}", JSON_ESYNTAX, 0, "0xEF"},
        {"\"abc", JSON_ESYNTAX, 0, "unterminated"},
        {"\"ab\\\"", JSON_ESYNTAX, 0, "unterminated"},
        {"[\"\\x\"]", JSON_ESYNTAX, 2, "escape"},
        {"\"\\u12G4\"", JSON_ESYNTAX, 1, "hex"},
        {"\"\\ud800\"", JSON_ESYNTAX, 1, "surrogate"},
        {"\"\\ud800\\u0041\"", JSON_ESYNTAX, 1, "surrogate"},
        {"\"\\udc00\"", JSON_ESYNTAX, 1, "low surrogate"},
        {"\"a\x01\"", JSON_ESYNTAX, 2, "control"},
        {"\"a\tb\"", JSON_ESYNTAX, 2, "control"},
        {"\"\xc0\xaf\"", JSON_ESYNTAX, 1, "UTF-8"},       /* overlong '/' */
        {"\"\xed\xa0\x80\"", JSON_ESYNTAX, 1, "UTF-8"},   /* encoded surrogate */
        {"\"\xf4\x90\x80\x80\"", JSON_ESYNTAX, 1, "UTF-8"}, /* > U+10FFFF */
        {"\"\xe2\x82\"", JSON_ESYNTAX, 1, "UTF-8"},       /* truncated sequence */
        {"\"\x80\"", JSON_ESYNTAX, 1, "UTF-8"},           /* stray continuation */
        {"{\"a\":1,\"a\":2}", JSON_ESYNTAX, 11, "duplicate key \"a\""},
        {"[{\"k\":{\"x\":1,\"y\":2,\"x\":3}}]", JSON_ESYNTAX, 23, "duplicate"},
        {"1e999", JSON_ELIMIT, 0, "range"},
        {"[/*c*/1]", JSON_ESYNTAX, 1, "'/'"},
        {"{}\"\x0bo", JSON_ESYNTAX, 2, "after the value"}, /* fuzzer find: empty object, then junk */
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        json_doc d;
        json_error e = {0};
        int rc = json_parse(&d, cases[k].s, strlen(cases[k].s), &e);
        cr_expect_eq(rc, cases[k].code, "case %zu '%s': code %d", k, cases[k].s, rc);
        cr_expect_eq(e.off, cases[k].off, "case %zu '%s': offset %zu (%s)", k, cases[k].s, e.off, e.msg);
        cr_expect(contains(e.msg, cases[k].msg), "case %zu: message '%s' lacks '%s'", k, e.msg, cases[k].msg);
        cr_expect_null(d.arena, "failed parse must leave the doc empty");
    }
    /* Long numbers are refused rather than truncated. */
    char big[600];
    memset(big, '1', sizeof big);
    big[1] = '.';
    json_doc d;
    json_error e;
    cr_expect_eq(json_parse(&d, big, sizeof big, &e), JSON_ELIMIT);
}

Test(json, never_reads_past_len)
{
    /* Each prefix would be valid if one more byte were read. The buffers are heap copies of exactly
     * len bytes, so ASan also catches any overread. */
    static const struct { const char *s; size_t len; int ok; } cases[] = {
        {"[1]", 2, 0}, {"\"ab\"", 3, 0}, {"true", 3, 0}, {"null", 2, 0}, {"{\"a\":1}", 6, 0},
        {"\"\\u00e9\"", 6, 0}, {"\"\\ud83d\\ude00\"", 12, 0}, {"\"\xc3\xa9\"", 2, 0}, {"12345", 2, 1}, {"1.5", 2, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char *b = malloc(cases[k].len);
        memcpy(b, cases[k].s, cases[k].len);
        json_doc d;
        int rc = json_parse(&d, b, cases[k].len, NULL);
        cr_expect_eq(rc == JSON_OK, cases[k].ok, "case %zu: '%.*s' gave %d", k, (int)cases[k].len, b, rc);
        if (rc == JSON_OK) cr_expect_eq(d.root.u.i, 12);
        json_free(&d);
        free(b);
    }
}

Test(json, depth_limit)
{
    char s[2 * (JSON_MAX_DEPTH + 1)];
    for (int deep = JSON_MAX_DEPTH; deep <= JSON_MAX_DEPTH + 1; deep++) {
        memset(s, '[', (size_t)deep), memset(s + deep, ']', (size_t)deep);
        json_doc d;
        json_error e = {0};
        int rc = json_parse(&d, s, 2 * (size_t)deep, &e);
        if (deep == JSON_MAX_DEPTH) {
            cr_expect_eq(rc, JSON_OK, "%d levels: %s", deep, e.msg);
        } else {
            cr_expect_eq(rc, JSON_EDEPTH, "%d levels", deep);
            cr_expect_eq(e.off, (size_t)JSON_MAX_DEPTH);
        }
        json_free(&d);
    }
}

/* ---- safetensors: round trips and the written layout ---- */

static void roundtrip(tfm_config *cfg)
{
    char *dir = tu_tmpdir(), *path = path_in(dir, "m.safetensors");
    tfm_params p, q;
    tfm_params_alloc(&p, cfg);
    tfm_params_init(&p, cfg, 7);
    tfm_params_alloc(&q, cfg);
    cr_assert_eq(tfm_save_safetensors(path, cfg, &p, NULL), TFM_OK);
    cr_assert_neq(memcmp(p.mem, q.mem, p.n * 4), 0, "fresh block must differ before the load");
    ERR[0] = 0;
    int rc = tfm_load_safetensors(path, cfg, &q, ERR, sizeof ERR);
    cr_assert_eq(rc, TFM_OK, "%s", ERR);
    cr_expect_eq(memcmp(p.mem, q.mem, p.n * 4), 0, "loaded block differs (%s)", cfg->name);
    size_t len;
    char *img = tu_read_file(path, &len);
    /* 8 + header + 4 bytes per parameter, nothing else. */
    uint64_t N = 0;
    for (int i = 7; i >= 0; i--) N = N << 8 | (uint8_t)img[i];
    cr_expect_eq(len, 8 + N + 4 * p.n);
    free(img);
    tfm_params_free(&p);
    tfm_params_free(&q);
    rm_rf(dir);
    free(path);
    free(dir);
}

Test(safetensors, roundtrip_bert_tiny)
{
    tfm_config cfg;
    tiny(&cfg);
    roundtrip(&cfg);
}

Test(safetensors, roundtrip_roberta_and_batchnorm)
{
    tfm_config cfg;
    tiny(&cfg);
    cfg.family = TFM_FAMILY_ROBERTA, cfg.pos_offset = 2, cfg.TT = 1, cfg.NL = 3;
    roundtrip(&cfg);
    tiny(&cfg);
    cfg.norm = TFM_NORM_BATCHNORM; /* adds running_mean / running_var tensors */
    roundtrip(&cfg);
}

Test(safetensors, header_layout)
{
    fixture f;
    fx_init(&f);
    char *dir = tu_tmpdir(), *path = path_in(dir, "m.safetensors");
    cr_assert_eq(tfm_save_safetensors(path, &f.cfg, &f.p, "{\"note\": \"a \\\"q\\\" \\u00e9\", \"seed\": \"1\"}"),
                 TFM_OK);
    size_t len;
    char *img = tu_read_file(path, &len);
    uint64_t N = 0;
    for (int i = 7; i >= 0; i--) N = N << 8 | (uint8_t)img[i];
    cr_assert_leq(8 + N, len);
    cr_expect_eq((8 + N) % 8, 0, "data must start 8-aligned, N = %llu", (unsigned long long)N);
    cr_expect_eq(img[8], '{');
    json_doc d;
    json_error e;
    cr_assert_eq(json_parse(&d, img + 8, N, &e), JSON_OK, "header: %zu: %s", e.off, e.msg);
    const json_value *md = json_get(&d.root, "__metadata__");
    cr_assert_not_null(md);
    cr_expect_str_eq(json_get(md, "format")->u.str.s, "pt");
    cr_expect_str_eq(json_get(md, "note")->u.str.s, "a \"q\" \xc3\xa9");
    cr_expect_str_eq(json_get(md, "seed")->u.str.s, "1");
    size_t nt = tfm_tensor_count(&f.cfg);
    cr_expect_eq(d.root.u.obj.n, nt + 1);
    tfm_tensor *tab = malloc(nt * sizeof *tab);
    tfm_tensor_table(&f.cfg, &f.p, tab);
    uint64_t off = 0;
    for (size_t i = 0; i < nt; i++) {
        const json_value *t = json_get(&d.root, tab[i].name);
        cr_assert_not_null(t, "no %s in the header", tab[i].name);
        cr_expect_str_eq(json_get(t, "dtype")->u.str.s, "F32");
        const json_value *sh = json_get(t, "shape"), *of = json_get(t, "data_offsets");
        cr_assert_eq(sh->u.arr.n, (size_t)tab[i].ndim, "%s", tab[i].name);
        for (int k = 0; k < tab[i].ndim; k++) cr_expect_eq((size_t)sh->u.arr.v[k].u.i, tab[i].shape[k]);
        cr_assert_eq(of->u.arr.n, 2);
        cr_expect_eq((uint64_t)of->u.arr.v[0].u.i, off, "%s begins at %lld", tab[i].name, (long long)of->u.arr.v[0].u.i);
        off += 4 * numel(&tab[i]);
        cr_expect_eq((uint64_t)of->u.arr.v[1].u.i, off);
        /* The bytes at the offsets are the tensor's floats, little-endian. */
        const uint8_t *b = (const uint8_t *)img + 8 + N + of->u.arr.v[0].u.i;
        uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24, w;
        memcpy(&w, tab[i].data, 4);
        cr_expect_eq(u, w, "%s first element", tab[i].name);
    }
    cr_expect_eq(8 + N + off, len);
    free(tab);
    json_free(&d);
    free(img);
    rm_rf(dir);
    free(path);
    free(dir);
    fx_free(&f);
}

Test(safetensors, index_lists_any_file)
{
    fixture f;
    fx_init(&f);
    char *dir = tu_tmpdir(), *path = path_in(dir, "m.safetensors");
    cr_assert_eq(tfm_save_safetensors(path, &f.cfg, &f.p, "{\"format\": \"np\"}"), TFM_OK);
    tfm_st_index ix;
    int rc = tfm_safetensors_index_file(&ix, path, ERR, sizeof ERR);
    cr_assert_eq(rc, TFM_OK, "%s", ERR);
    cr_expect_eq(ix.n, tfm_tensor_count(&f.cfg));
    cr_expect_eq(ix.n_meta, 1, "caller's format replaces the default");
    cr_expect_str_eq(ix.meta[0].key, "format");
    cr_expect_str_eq(ix.meta[0].value, "np");
    cr_expect_str_eq(ix.t[0].name, "bert.embeddings.word_embeddings.weight");
    cr_expect_str_eq(ix.t[0].dtype, "F32");
    cr_expect_eq(ix.t[0].elem_size, 4);
    cr_expect_eq(ix.t[0].ndim, 2);
    cr_expect(ix.t[0].shape[0] == 100 && ix.t[0].shape[1] == 32 && ix.t[0].numel == 3200);
    cr_expect_eq(ix.data_len, 4 * f.p.n);
    cr_expect_eq(ix.data_off % 8, 0);
    tfm_st_index_free(&ix);
    tfm_st_index_free(&ix); /* idempotent */

    /* Foreign dtypes and scalars are listed; an unknown dtype's span is not checked. */
    const char hdr[] = "{\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                       "\"s\":{\"dtype\":\"BOOL\",\"shape\":[],\"data_offsets\":[16,17]},"
                       "\"q\":{\"dtype\":\"Q4_K\",\"shape\":[3,2],\"data_offsets\":[17,20],\"extra\":1}}";
    uint8_t img[8 + sizeof hdr - 1 + 20] = {0};
    img[0] = (uint8_t)(sizeof hdr - 1);
    memcpy(img + 8, hdr, sizeof hdr - 1);
    rc = tfm_safetensors_index(&ix, img, sizeof img, ERR, sizeof ERR);
    cr_assert_eq(rc, TFM_OK, "%s", ERR);
    cr_assert_eq(ix.n, 3);
    cr_expect(ix.t[0].elem_size == 8 && ix.t[0].numel == 2);
    cr_expect(ix.t[1].ndim == 0 && ix.t[1].numel == 1 && ix.t[1].elem_size == 1);
    cr_expect(ix.t[2].elem_size == 0 && ix.t[2].numel == 6 && ix.t[2].begin == 17 && ix.t[2].end == 20);
    cr_expect_str_eq(ix.t[2].dtype, "Q4_K");
    tfm_st_index_free(&ix);
    rm_rf(dir);
    free(path);
    free(dir);
    fx_free(&f);
}

Test(safetensors, handmade_file_loads_unaligned_prefixless_and_with_extras)
{
    fixture f;
    fx_init(&f);
    /* Unpadded header: the data starts unaligned, which the reader must accept (an empty extra
     * tensor shifts it if the plain header happens to end 4-aligned). */
    const char *z = "\"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}";
    size_t len;
    uint8_t *img = build_img(&f.cfg, &f.p, (img_opts){.idx = -1}, &len);
    if ((8 + (img[0] | (uint64_t)img[1] << 8)) % 4 != 0) z = NULL;
    free(img);
    img = build_img(&f.cfg, &f.p, (img_opts){.idx = -1, .extra = z}, &len);
    cr_assert_neq((8 + (img[0] | (uint64_t)img[1] << 8)) % 4, 0);
    ERR[0] = 0;
    int rc = tfm_read_safetensors_buf(img, len, &f.cfg, &f.q, ERR, sizeof ERR);
    free(img);
    cr_assert_eq(rc, TFM_OK, "%s", ERR);
    cr_expect_eq(memcmp(f.p.mem, f.q.mem, 4 * f.p.n), 0);

    /* Names without the "bert." prefix (saved from BertModel). */
    memset(f.q.mem, 0, 4 * f.q.n);
    rc = read_img(&f, (img_opts){.idx = -1, .strip = "bert."});
    cr_assert_eq(rc, TFM_OK, "%s", ERR);
    cr_expect_eq(memcmp(f.p.mem, f.q.mem, 4 * f.p.n), 0);

    /* Unknown tensors of any dtype, and metadata, are ignored. */
    memset(f.q.mem, 0, 4 * f.q.n);
    char extra[512];
    snprintf(extra, sizeof extra,
             "\"bert.embeddings.position_ids\":{\"dtype\":\"I64\",\"shape\":[1,64],\"data_offsets\":[%zu,%zu]},"
             "\"__metadata__\":{\"format\":\"pt\"}",
             4 * f.p.n, 4 * f.p.n + 512);
    rc = read_img(&f, (img_opts){.idx = -1, .extra = extra, .extra_data = 512});
    cr_assert_eq(rc, TFM_OK, "%s", ERR);
    cr_expect_eq(memcmp(f.p.mem, f.q.mem, 4 * f.p.n), 0);
    fx_free(&f);
}

/* ---- safetensors: rejections (each must name the problem) ---- */

static int load_bytes(const tfm_config *cfg, tfm_params *q, const void *buf, size_t len)
{
    char *dir = tu_tmpdir(), *path = path_in(dir, "bad.safetensors");
    write_file(path, buf, len);
    ERR[0] = 0;
    int rc = tfm_load_safetensors(path, cfg, q, ERR, sizeof ERR);
    rm_rf(dir);
    free(path);
    free(dir);
    return rc;
}

Test(safetensors, reject_short_and_bad_header_length)
{
    fixture f;
    fx_init(&f);
    uint8_t b[64] = {0};
    int rc = load_bytes(&f.cfg, &f.q, b, 0);
    EXPECT_ERR(rc, TFM_EFORMAT, "too short", "0 bytes", "bad.safetensors");
    rc = load_bytes(&f.cfg, &f.q, b, 7);
    EXPECT_ERR(rc, TFM_EFORMAT, "too short", "7 bytes");
    /* N beyond the file */
    b[0] = 0xE8, b[1] = 0x03; /* 1000 */
    rc = load_bytes(&f.cfg, &f.q, b, 20);
    EXPECT_ERR(rc, TFM_EFORMAT, "header length 1000", "12 bytes", "truncated");
    /* N beyond the 100 MB limit, and a garbage N (an old PyTorch pickle starts with 0x80 0x02...) */
    memset(b, 0, sizeof b);
    uint64_t big = TFM_ST_MAX_HEADER + 1ull;
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(big >> 8 * i);
    rc = load_bytes(&f.cfg, &f.q, b, sizeof b);
    EXPECT_ERR(rc, TFM_EFORMAT, "100000001", "limit of 100000000");
    memcpy(b, "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46", 8);
    rc = load_bytes(&f.cfg, &f.q, b, sizeof b);
    EXPECT_ERR(rc, TFM_EFORMAT, "limit");
    /* N = 0: an empty header is not JSON */
    memset(b, 0, sizeof b);
    rc = load_bytes(&f.cfg, &f.q, b, 8);
    EXPECT_ERR(rc, TFM_EFORMAT, "JSON", "end of input");
    cr_expect(all_zero(&f.q));
    fx_free(&f);
}

static int load_header(fixture *f, const char *hdr, size_t data_len)
{
    size_t hl = strlen(hdr), n = 8 + hl + data_len;
    uint8_t *b = calloc(1, n);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)hl >> 8 * i);
    memcpy(b + 8, hdr, hl);
    ERR[0] = 0;
    int rc = tfm_read_safetensors_buf(b, n, &f->cfg, &f->q, ERR, sizeof ERR);
    free(b);
    return rc;
}

Test(safetensors, reject_bad_json_and_structure)
{
    fixture f;
    fx_init(&f);
    EXPECT_ERR(load_header(&f, "not json", 0), TFM_EFORMAT, "JSON", "header byte 0 (file byte 8)");
    EXPECT_ERR(load_header(&f, "{\"x\": tru}", 0), TFM_EFORMAT, "header byte 6 (file byte 14)", "true");
    EXPECT_ERR(load_header(&f, "{\"x\":1,\"x\":2}", 0), TFM_EFORMAT, "duplicate key \"x\"");
    EXPECT_ERR(load_header(&f, "[1, 2]", 0), TFM_EFORMAT, "array, not a JSON object");
    EXPECT_ERR(load_header(&f, "{\"w\": 3}", 0), TFM_EFORMAT, "'w'", "not an object");
    EXPECT_ERR(load_header(&f, "{\"w\": {\"shape\":[1],\"data_offsets\":[0,4]}}", 4), TFM_EFORMAT, "'w'", "\"dtype\"");
    EXPECT_ERR(load_header(&f, "{\"w\": {\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), TFM_EFORMAT, "'w'", "\"shape\"");
    EXPECT_ERR(load_header(&f, "{\"w\": {\"dtype\":\"F32\",\"shape\":[1]}}", 4), TFM_EFORMAT, "'w'", "\"data_offsets\"");
    EXPECT_ERR(load_header(&f, "{\"w\": {\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), TFM_EFORMAT, "'w'",
               "\"dtype\" is integer");
    EXPECT_ERR(load_header(&f, "{\"w\": {\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), TFM_EFORMAT,
               "'w'", "shape entry 0");
    EXPECT_ERR(load_header(&f, "{\"w\": {\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", 4), TFM_EFORMAT,
               "'w'", "shape entry 0");
    EXPECT_ERR(load_header(&f, "{\"w\": {\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4),
               TFM_EFORMAT, "'w'", "9 dimensions");
    EXPECT_ERR(load_header(&f, "{\"w\": {\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8), TFM_EFORMAT,
               "'w'", "two non-negative integers");
    EXPECT_ERR(load_header(&f, "{\"w\": {\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4),
               TFM_EFORMAT, "'w'", "overflows");
    EXPECT_ERR(load_header(&f, "{\"a\\u0000b\": {\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
               TFM_EFORMAT, "NUL");
    EXPECT_ERR(load_header(&f, "{\"__metadata__\": [\"x\"]}", 0), TFM_EFORMAT, "__metadata__ is array");
    EXPECT_ERR(load_header(&f, "{\"__metadata__\": {\"format\": \"pt\", \"n\": 3}}", 0), TFM_EFORMAT,
               "__metadata__ value of \"n\" is integer");
    cr_expect(all_zero(&f.q));
    fx_free(&f);
}

Test(safetensors, reject_bad_offsets)
{
    fixture f;
    fx_init(&f);
    int wte = tidx(&f.cfg, "bert.embeddings.word_embeddings.weight");
    int bq = tidx(&f.cfg, "bert.encoder.layer.0.attention.self.query.bias");
    int bk = tidx(&f.cfg, "bert.encoder.layer.0.attention.self.key.bias");
    int last = (int)tfm_tensor_count(&f.cfg) - 1;
    /* end < begin */
    int rc = read_img(&f, (img_opts){.idx = wte, .entry = "{\"dtype\":\"F32\",\"shape\":[100,32],\"data_offsets\":[%2$llu,%1$llu]}"});
    EXPECT_ERR(rc, TFM_EFORMAT, "word_embeddings", "[12800, 0]", "end before begin");
    /* end past the data buffer */
    rc = read_img(&f, (img_opts){.idx = last, .entry = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[%llu,%llu]}"});
    cr_expect_eq(rc, TFM_OK, "control: %s", ERR); /* classifier.bias as written is fine */
    memset(f.q.mem, 0, 4 * f.q.n);
    char e[200];
    size_t total = 4 * f.p.n;
    snprintf(e, sizeof e, "{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[%zu,%zu]}", total - 8, total + 4);
    rc = read_img(&f, (img_opts){.idx = last, .entry = e});
    EXPECT_ERR(rc, TFM_EFORMAT, "classifier.bias", "out of bounds", "data buffer is");
    /* span != numel * 4 */
    rc = read_img(&f, (img_opts){.idx = bq, .entry = "{\"dtype\":\"F32\",\"shape\":[31],\"data_offsets\":[%llu,%llu]}"});
    EXPECT_ERR(rc, TFM_EFORMAT, "query.bias", "span 128 bytes", "[31]", "needs 31 x 4");
    /* overlap: query.bias placed on key.bias's bytes */
    tfm_tensor *tab = malloc(tfm_tensor_count(&f.cfg) * sizeof *tab);
    tfm_tensor_table(&f.cfg, &f.p, tab);
    size_t kb = (size_t)((char *)tab[bk].data - (char *)f.p.mem);
    free(tab);
    snprintf(e, sizeof e, "{\"dtype\":\"F32\",\"shape\":[32],\"data_offsets\":[%zu,%zu]}", kb + 4, kb + 132);
    rc = read_img(&f, (img_opts){.idx = bq, .entry = e});
    EXPECT_ERR(rc, TFM_EFORMAT, "overlap", "query.bias", "key.bias");
    cr_expect(all_zero(&f.q), "a rejected file must not touch the block");
    fx_free(&f);
}

Test(safetensors, reject_dtype_shape_missing)
{
    fixture f;
    fx_init(&f);
    int w1 = tidx(&f.cfg, "bert.encoder.layer.1.intermediate.dense.weight");
    int cb = tidx(&f.cfg, "classifier.bias");
    int rc = read_img(&f, (img_opts){.idx = w1, .entry = "{\"dtype\":\"I32\",\"shape\":[64,32],\"data_offsets\":[%llu,%llu]}"});
    EXPECT_ERR(rc, TFM_ESHAPE, "layer.1.intermediate.dense.weight", "dtype I32", "F32");
    rc = read_img(&f, (img_opts){.idx = w1, .entry = "{\"dtype\":\"Q4_K\",\"shape\":[64,32],\"data_offsets\":[%llu,%llu]}"});
    EXPECT_ERR(rc, TFM_ESHAPE, "intermediate.dense.weight", "Q4_K");
    rc = read_img(&f, (img_opts){.idx = w1, .entry = "{\"dtype\":\"F32\",\"shape\":[32,64],\"data_offsets\":[%llu,%llu]}"});
    EXPECT_ERR(rc, TFM_ESHAPE, "layer.1.intermediate.dense.weight", "shape [32, 64] in the file", "needs [64, 32]",
               "bert-tiny");
    rc = read_img(&f, (img_opts){.idx = w1, .entry = "{\"dtype\":\"F32\",\"shape\":[2048],\"data_offsets\":[%llu,%llu]}"});
    EXPECT_ERR(rc, TFM_ESHAPE, "[2048]", "[64, 32]");
    rc = read_img(&f, (img_opts){.idx = cb, .entry = ""});
    EXPECT_ERR(rc, TFM_EMISSING, "missing tensor 'classifier.bias'", "[2]");
    /* A different family's file: every name is missing; the first is reported. */
    tfm_config rob = f.cfg;
    rob.family = TFM_FAMILY_ROBERTA;
    size_t len;
    uint8_t *img = build_img(&f.cfg, &f.p, (img_opts){.idx = -1}, &len);
    rc = tfm_read_safetensors_buf(img, len, &rob, &f.q, ERR, sizeof ERR);
    free(img);
    EXPECT_ERR(rc, TFM_EMISSING, "roberta.embeddings.word_embeddings.weight");
    cr_expect(all_zero(&f.q), "a rejected file must not touch the block");
    fx_free(&f);
}

Test(safetensors, reject_unreadable)
{
    fixture f;
    fx_init(&f);
    char *dir = tu_tmpdir(), *path = path_in(dir, "none.safetensors");
    int rc = tfm_load_safetensors(path, &f.cfg, &f.q, ERR, sizeof ERR);
    EXPECT_ERR(rc, TFM_EIO, "none.safetensors", "cannot open");
    rc = tfm_load_safetensors(dir, &f.cfg, &f.q, ERR, sizeof ERR);
    EXPECT_ERR(rc, TFM_EIO, "not a regular file");
    tfm_st_index ix;
    rc = tfm_safetensors_index_file(&ix, path, ERR, sizeof ERR);
    EXPECT_ERR(rc, TFM_EIO, "cannot open");
    tfm_st_index_free(&ix);
    rm_rf(dir);
    free(path);
    free(dir);
    fx_free(&f);
}

/* ---- safetensors: F16 / BF16 / F64 ---- */

/* Image of the whole table in `dtype`, from p's values (which must be exact in that dtype). */
static uint8_t *build_typed(const tfm_config *cfg, const tfm_params *p, const char *dtype, int es, size_t *len)
{
    size_t nt = tfm_tensor_count(cfg);
    tfm_tensor *tab = malloc(nt * sizeof *tab);
    tfm_tensor_table(cfg, p, tab);
    size_t cap = 1 << 20, hl = 0;
    char *h = malloc(cap);
    unsigned long long off = 0;
    for (size_t i = 0; i < nt; i++) {
        unsigned long long e = off + (unsigned long long)es * numel(&tab[i]);
        hl += (size_t)snprintf(h + hl, cap - hl, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%zu", i ? "," : "{", tab[i].name,
                               dtype, tab[i].shape[0]);
        if (tab[i].ndim == 2) hl += (size_t)snprintf(h + hl, cap - hl, ",%zu", tab[i].shape[1]);
        hl += (size_t)snprintf(h + hl, cap - hl, "],\"data_offsets\":[%llu,%llu]}", off, e);
        off = e;
    }
    hl += (size_t)snprintf(h + hl, cap - hl, "}");
    size_t n = 8 + hl + off;
    uint8_t *img = calloc(1, n), *d = img + 8 + hl;
    for (int i = 0; i < 8; i++) img[i] = (uint8_t)((uint64_t)hl >> 8 * i);
    memcpy(img + 8, h, hl);
    for (size_t i = 0; i < p->n; i++) {
        float x = p->mem[i];
        uint32_t u;
        memcpy(&u, &x, 4);
        uint64_t v;
        if (es == 8) {
            double dx = x;
            memcpy(&v, &dx, 8);
        } else if (strcmp(dtype, "BF16") == 0) {
            v = u >> 16;
        } else { /* F16 of a normal float with <= 10 mantissa bits, or zero */
            v = x == 0 ? 0 : (u >> 16 & 0x8000) | ((((u >> 23) & 0xFF) - 127 + 15) << 10) | ((u >> 13) & 0x3FF);
        }
        for (int b = 0; b < es; b++) d[(size_t)es * i + (size_t)b] = (uint8_t)(v >> 8 * b);
    }
    free(h);
    free(tab);
    *len = n;
    return img;
}

Test(safetensors, half_bfloat_double_convert)
{
    fixture f;
    fx_init(&f);
    for (size_t i = 0; i < f.p.n; i++) f.p.mem[i] = (float)((int)(i % 17) - 8) / 4.0f; /* exact in all */
    static const struct { const char *dt; int es; } k[] = {{"F16", 2}, {"BF16", 2}, {"F64", 8}};
    for (int j = 0; j < 3; j++) {
        size_t len;
        uint8_t *img = build_typed(&f.cfg, &f.p, k[j].dt, k[j].es, &len);
        memset(f.q.mem, 0, 4 * f.q.n);
        int rc = tfm_read_safetensors_buf(img, len, &f.cfg, &f.q, ERR, sizeof ERR);
        cr_expect_eq(rc, TFM_OK, "%s: %s", k[j].dt, ERR);
        cr_expect_eq(memcmp(f.p.mem, f.q.mem, 4 * f.p.n), 0, "%s values differ", k[j].dt);
        if (j == 0) {
            /* F16 special values in the first tensor: subnormals, the smallest normal, the largest finite. */
            static const struct { uint16_t h; float v; } sp[] = {
                {0x0001, 0x1p-24f}, {0x03FF, 1023 * 0x1p-24f}, {0x0400, 0x1p-14f}, {0x3C00, 1.0f}, {0xC000, -2.0f},
                {0x7BFF, 65504.0f}, {0x8000, -0.0f}};
            uint64_t N = img[0] | (uint64_t)img[1] << 8 | (uint64_t)img[2] << 16;
            for (size_t s = 0; s < sizeof sp / sizeof *sp; s++)
                img[8 + N + 2 * s] = (uint8_t)sp[s].h, img[8 + N + 2 * s + 1] = (uint8_t)(sp[s].h >> 8);
            rc = tfm_read_safetensors_buf(img, len, &f.cfg, &f.q, ERR, sizeof ERR);
            cr_assert_eq(rc, TFM_OK, "%s", ERR);
            for (size_t s = 0; s < sizeof sp / sizeof *sp; s++)
                cr_expect(f.q.wte[s] == sp[s].v && signbit(f.q.wte[s]) == signbit(sp[s].v),
                          "half 0x%04x -> %g, want %g", sp[s].h, f.q.wte[s], sp[s].v);
            /* Infinities and NaN are refused naming the tensor and the index; the block is unchanged. */
            static const uint16_t bad[] = {0x7C00, 0xFC00, 0x7E00};
            for (size_t b = 0; b < 3; b++) {
                img[8 + N + 2 * 5] = (uint8_t)bad[b], img[8 + N + 2 * 5 + 1] = (uint8_t)(bad[b] >> 8);
                float keep = f.q.wte[0];
                f.q.wte[0] = 7.0f;
                rc = tfm_read_safetensors_buf(img, len, &f.cfg, &f.q, ERR, sizeof ERR);
                cr_expect_eq(rc, TFM_EVALUE, "half 0x%04x accepted", bad[b]);
                cr_expect(strstr(ERR, "word_embeddings") && strstr(ERR, "non-finite") && strstr(ERR, "index 5"), "%s", ERR);
                cr_expect_eq(f.q.wte[0], 7.0f, "a refused file changed the parameters");
                f.q.wte[0] = keep;
            }
        }
        if (j == 2) {
            /* F64 beyond float range would become infinite: refused. */
            uint64_t N = img[0] | (uint64_t)img[1] << 8 | (uint64_t)img[2] << 16;
            double big = -1e300;
            uint64_t v;
            memcpy(&v, &big, 8);
            for (int b = 0; b < 8; b++) img[8 + N + (size_t)b] = (uint8_t)(v >> 8 * b);
            rc = tfm_read_safetensors_buf(img, len, &f.cfg, &f.q, ERR, sizeof ERR);
            cr_expect_eq(rc, TFM_EVALUE);
            cr_expect(strstr(ERR, "beyond float range") != NULL, "%s", ERR);
        }
        free(img);
    }
    fx_free(&f);
}

/* ---- safetensors: saving ---- */

/* Entries of dir other than . and .. (temporaries have unpredictable mkstemp names). */
static int dir_entries(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    cr_assert(p && fscanf(p, "%d", &n) == 1);
    pclose(p);
    return n;
}

Test(safetensors, failed_save_leaves_nothing)
{
    fixture f;
    fx_init(&f);
    char *dir = tu_tmpdir(), *path = path_in(dir, "nodir/m.safetensors");
    cr_expect_eq(tfm_save_safetensors(path, &f.cfg, &f.p, NULL), TFM_EIO);
    cr_expect(!tu_file_exists(path) && dir_entries(dir) == 0);
    free(path);

    /* The target is a non-empty directory: the temporary file is written, rename fails, and it is
     * removed again. */
    path = path_in(dir, "taken");
    cr_assert_eq(mkdir(path, 0700), 0);
    char *inner = path_in(path, "keep");
    write_file(inner, "x", 1);
    cr_expect_eq(tfm_save_safetensors(path, &f.cfg, &f.p, NULL), TFM_EIO);
    cr_expect_eq(dir_entries(dir), 1, "a temporary was left behind");
    cr_expect(tu_file_exists(inner));
    free(inner);
    free(path);

    /* Invalid metadata: nothing is written. */
    path = path_in(dir, "m.safetensors");
    static const char *const bad[] = {"not json", "[\"a\"]", "{\"a\": 1}", "{\"a\": \"x\"", "{\"a\":\"1\",\"a\":\"2\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_expect_eq(tfm_save_safetensors(path, &f.cfg, &f.p, bad[i]), TFM_EVALUE, "metadata %s", bad[i]);
        cr_expect(!tu_file_exists(path) && dir_entries(dir) == 1, "metadata %s", bad[i]);
    }

    /* Saving over an existing file replaces it whole. */
    cr_assert_eq(tfm_save_safetensors(path, &f.cfg, &f.p, NULL), TFM_OK);
    tfm_params_init(&f.p, &f.cfg, 99);
    cr_assert_eq(tfm_save_safetensors(path, &f.cfg, &f.p, NULL), TFM_OK);
    cr_expect_eq(dir_entries(dir), 2, "taken/ and m.safetensors only");
    cr_assert_eq(tfm_load_safetensors(path, &f.cfg, &f.q, ERR, sizeof ERR), TFM_OK, "%s", ERR);
    cr_expect_eq(memcmp(f.p.mem, f.q.mem, 4 * f.p.n), 0);
    free(path);
    rm_rf(dir);
    free(dir);
    fx_free(&f);
}

/* ---- config.json ---- */

/* bert-base-uncased's config.json as transformers writes it. */
static const char *const bert_fields[] = {
    "\"architectures\": [\"BertForMaskedLM\"]", "\"attention_probs_dropout_prob\": 0.1",
    "\"gradient_checkpointing\": false", "\"hidden_act\": \"gelu\"", "\"hidden_dropout_prob\": 0.1",
    "\"hidden_size\": 768", "\"initializer_range\": 0.02", "\"intermediate_size\": 3072",
    "\"layer_norm_eps\": 1e-12", "\"max_position_embeddings\": 512", "\"model_type\": \"bert\"",
    "\"num_attention_heads\": 12", "\"num_hidden_layers\": 12", "\"pad_token_id\": 0",
    "\"position_embedding_type\": \"absolute\"", "\"transformers_version\": \"4.6.0.dev0\"",
    "\"type_vocab_size\": 2", "\"use_cache\": true", "\"vocab_size\": 30522",
};
#define NBERT (sizeof bert_fields / sizeof *bert_fields)

/* The BERT fields without those whose key is `skip`, with `more` members appended. */
static int parse_bert(tfm_config *cfg, const char *skip, const char *more)
{
    char buf[4096];
    size_t n = (size_t)snprintf(buf, sizeof buf, "{\n");
    int first = 1;
    for (size_t i = 0; i < NBERT; i++) {
        if (skip && strncmp(bert_fields[i] + 1, skip, strlen(skip)) == 0 && bert_fields[i][1 + strlen(skip)] == '"')
            continue;
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s  %s", first ? "" : ",\n", bert_fields[i]);
        first = 0;
    }
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s\n}\n", more ? ",\n  " : "", more ? more : "");
    ERR[0] = 0;
    return tfm_config_parse_json(cfg, buf, n, ERR, sizeof ERR);
}

static void expect_same_config(const tfm_config *a, const tfm_config *b)
{
    cr_expect_eq(a->family, b->family);
    cr_expect(a->V == b->V && a->C == b->C && a->L == b->L && a->NH == b->NH && a->F == b->F, "dims");
    cr_expect(a->P == b->P && a->TT == b->TT && a->NL == b->NL, "P %d/%d TT %d/%d NL %d/%d", a->P, b->P, a->TT, b->TT,
              a->NL, b->NL);
    cr_expect_eq(a->pos_offset, b->pos_offset);
    cr_expect_eq(a->ln_eps, b->ln_eps);
    cr_expect(a->act == b->act && a->attn == b->attn && a->norm == b->norm, "approximations");
    cr_expect(a->quad_a == b->quad_a && a->quad_b == b->quad_b && a->quad_c == b->quad_c && a->quad2_c == b->quad2_c);
}

Test(config, bert_base_like)
{
    tfm_config got, want;
    cr_assert_eq(parse_bert(&got, NULL, NULL), TFM_OK, "%s", ERR);
    cr_assert_eq(tfm_config_named(&want, "bert-base"), TFM_OK);
    want.V = 30522; /* uncased vocabulary */
    expect_same_config(&got, &want);
    cr_expect_str_eq(got.name, "custom");
    cr_expect_eq(got.act, TFM_ACT_GELU_ERF);

    /* From a file, with optional fields absent: transformers' defaults. */
    char *dir = tu_tmpdir(), *path = path_in(dir, "config.json");
    const char *minimal = "{\"model_type\":\"bert\",\"hidden_size\":64,\"num_hidden_layers\":2,"
                          "\"num_attention_heads\":4,\"intermediate_size\":128.0,\"vocab_size\":1000,"
                          "\"max_position_embeddings\":128,\"_name_or_path\":\"prajjwal1/bert-tiny\"}";
    write_file(path, minimal, strlen(minimal));
    int rc = tfm_config_load_json(&got, path, ERR, sizeof ERR);
    cr_assert_eq(rc, TFM_OK, "%s", ERR);
    cr_expect(got.C == 64 && got.L == 2 && got.NH == 4 && got.F == 128 && got.V == 1000 && got.P == 128);
    cr_expect(got.TT == 2 && got.NL == 2 && got.pos_offset == 0 && got.ln_eps == 1e-12 && got.act == TFM_ACT_GELU_ERF);
    cr_expect_str_eq(got.name, "prajjwal1/bert-tiny");
    rm_rf(dir);
    free(path);
    free(dir);
}

Test(config, roberta_like)
{
    const char *s =
        "{\"_name_or_path\": \"roberta-base\", \"architectures\": [\"RobertaForSequenceClassification\"],"
        " \"attention_probs_dropout_prob\": 0.1, \"bos_token_id\": 0, \"eos_token_id\": 2, \"hidden_act\": \"gelu\","
        " \"hidden_dropout_prob\": 0.1, \"hidden_size\": 768, \"id2label\": {\"0\": \"neg\", \"1\": \"neu\", \"2\": \"pos\"},"
        " \"label2id\": {\"neg\": 0, \"neu\": 1, \"pos\": 2}, \"initializer_range\": 0.02, \"intermediate_size\": 3072,"
        " \"layer_norm_eps\": 1e-05, \"max_position_embeddings\": 514, \"model_type\": \"roberta\","
        " \"num_attention_heads\": 12, \"num_hidden_layers\": 12, \"pad_token_id\": 1, \"type_vocab_size\": 1,"
        " \"vocab_size\": 50265}";
    tfm_config got, want;
    cr_assert_eq(tfm_config_parse_json(&got, s, strlen(s), ERR, sizeof ERR), TFM_OK, "%s", ERR);
    cr_assert_eq(tfm_config_named(&want, "roberta-base"), TFM_OK);
    want.NL = 3;
    expect_same_config(&got, &want);
    cr_expect_str_eq(got.name, "roberta-base");
    cr_expect_eq(got.pos_offset, 2);

    const char *r2 = "{\"model_type\":\"roberta\",\"hidden_size\":32,\"num_hidden_layers\":1,\"num_attention_heads\":2,"
                     "\"intermediate_size\":64,\"vocab_size\":100,\"max_position_embeddings\":40,\"pad_token_id\":3,"
                     "\"num_labels\":5,\"hidden_act\":\"gelu_new\",\"_name_or_path\":"
                     "\"/home/someone/checkpoints/experiments/very/long/path/to/my-roberta-model\"}";
    cr_assert_eq(tfm_config_parse_json(&got, r2, strlen(r2), ERR, sizeof ERR), TFM_OK, "%s", ERR);
    cr_expect_eq(got.pos_offset, 4);
    cr_expect_eq(got.NL, 5);
    cr_expect_eq(got.act, TFM_ACT_GELU_TANH);
    cr_expect_eq(got.TT, 2);
    cr_expect_str_eq(got.name, "my-roberta-model");
}

Test(config, activations)
{
    static const struct { const char *more; int act; } k[] = {
        {"\"hidden_act\": \"gelu_pytorch_tanh\"", TFM_ACT_GELU_TANH},
        {"\"hidden_act\": \"gelu_new\"", TFM_ACT_GELU_TANH},
        {"\"hidden_act\": \"relu\"", TFM_ACT_RELU},
        {"\"hidden_act\": \"gelu\"", TFM_ACT_GELU_ERF},
    };
    for (size_t i = 0; i < sizeof k / sizeof *k; i++) {
        tfm_config c;
        cr_assert_eq(parse_bert(&c, "hidden_act", k[i].more), TFM_OK, "%s: %s", k[i].more, ERR);
        cr_expect_eq(c.act, k[i].act, "%s", k[i].more);
    }
}

Test(config, missing_fields)
{
    static const char *const req[] = {"model_type", "hidden_size", "num_hidden_layers", "num_attention_heads",
                                      "intermediate_size", "vocab_size", "max_position_embeddings"};
    for (size_t i = 0; i < sizeof req / sizeof *req; i++) {
        tfm_config c;
        int rc = parse_bert(&c, req[i], NULL);
        EXPECT_ERR(rc, TFM_EMISSING, req[i], "missing");
        rc = parse_bert(&c, req[i], req[i][0] == 'm' && req[i][1] == 'o' ? "\"model_type\": null" : "\"hidden_size\": null");
        if (strcmp(req[i], "model_type") == 0 || strcmp(req[i], "hidden_size") == 0)
            EXPECT_ERR(rc, TFM_EMISSING, req[i]); /* null counts as absent */
    }
}

Test(config, invalid_fields)
{
    static const struct { const char *skip, *more; int code; const char *msg1, *msg2; } k[] = {
        {"hidden_size", "\"hidden_size\": \"768\"", TFM_EVALUE, "hidden_size", "string"},
        {"hidden_size", "\"hidden_size\": 768.5", TFM_EVALUE, "hidden_size", "integer"},
        {"hidden_size", "\"hidden_size\": 1000000000000", TFM_EVALUE, "hidden_size", "range"},
        {"hidden_size", "\"hidden_size\": -768", TFM_EVALUE, "hidden_size", "-768"},
        {"vocab_size", "\"vocab_size\": [30522]", TFM_EVALUE, "vocab_size", "array"},
        {"num_attention_heads", "\"num_attention_heads\": 7", TFM_EVALUE, "num_attention_heads", "7"},
        {"num_hidden_layers", "\"num_hidden_layers\": 0", TFM_EVALUE, "num_hidden_layers", "0"},
        {"max_position_embeddings", "\"max_position_embeddings\": 100000", TFM_EVALUE, "max_position_embeddings", "100000"},
        {"type_vocab_size", "\"type_vocab_size\": true", TFM_EVALUE, "type_vocab_size", "boolean"},
        {"layer_norm_eps", "\"layer_norm_eps\": \"1e-12\"", TFM_EVALUE, "layer_norm_eps", "string"},
        {"layer_norm_eps", "\"layer_norm_eps\": 2", TFM_EVALUE, "layer_norm_eps", "2"},
        {"hidden_act", "\"hidden_act\": \"silu\"", TFM_EVALUE, "hidden_act", "silu"},
        {"hidden_act", "\"hidden_act\": \"quad\"", TFM_EVALUE, "hidden_act", "quad"},
        {"hidden_act", "\"hidden_act\": 5", TFM_EVALUE, "hidden_act", "integer"},
        {"model_type", "\"model_type\": \"gpt2\"", TFM_EVALUE, "model_type", "gpt2"},
        {"model_type", "\"model_type\": 1", TFM_EVALUE, "model_type", "string"},
        {"position_embedding_type", "\"position_embedding_type\": \"relative_key\"", TFM_EVALUE,
         "position_embedding_type", "relative_key"},
        {NULL, "\"num_labels\": 2, \"id2label\": {\"0\": \"a\", \"1\": \"b\", \"2\": \"c\"}", TFM_EVALUE, "num_labels 2",
         "3 entries"},
        {NULL, "\"id2label\": [\"a\", \"b\"]", TFM_EVALUE, "id2label", "array"},
        {NULL, "\"num_labels\": 0", TFM_EVALUE, "num_labels", "0"},
        {NULL, "\"_name_or_path\": 3", TFM_EVALUE, "_name_or_path", "integer"},
        {NULL, "\"hidden_size\": 768", TFM_EFORMAT, "duplicate key \"hidden_size\"", "byte"},
        {NULL, "}", TFM_EFORMAT, "JSON error at byte", "string key"},
    };
    for (size_t i = 0; i < sizeof k / sizeof *k; i++) {
        tfm_config c;
        int rc = parse_bert(&c, k[i].skip, k[i].more);
        EXPECT_ERR(rc, k[i].code, k[i].msg1, k[i].msg2);
    }
    /* RoBERTa's pad_token_id must be a sane index. */
    const char *r = "{\"model_type\":\"roberta\",\"hidden_size\":32,\"num_hidden_layers\":1,\"num_attention_heads\":2,"
                    "\"intermediate_size\":64,\"vocab_size\":100,\"max_position_embeddings\":40,\"pad_token_id\":-3}";
    tfm_config c;
    EXPECT_ERR(tfm_config_parse_json(&c, r, strlen(r), ERR, sizeof ERR), TFM_EVALUE, "pad_token_id");
    const char *arr = "[1]";
    EXPECT_ERR(tfm_config_parse_json(&c, arr, 3, ERR, sizeof ERR), TFM_EFORMAT, "not an object");
}

Test(config, file_errors)
{
    tfm_config c;
    char *dir = tu_tmpdir(), *path = path_in(dir, "config.json");
    EXPECT_ERR(tfm_config_load_json(&c, path, ERR, sizeof ERR), TFM_EIO, "config.json", "cannot open");
    const char *bad = "{\n  \"model_type\": \"bert\",\n  \"hidden_size\": 7 68\n}";
    write_file(path, bad, strlen(bad));
    EXPECT_ERR(tfm_config_load_json(&c, path, ERR, sizeof ERR), TFM_EFORMAT, "config.json", "byte 45", "found '6'");
    write_file(path, "", 0);
    EXPECT_ERR(tfm_config_load_json(&c, path, ERR, sizeof ERR), TFM_EFORMAT, "end of input");
    rm_rf(dir);
    free(path);
    free(dir);
}

/* tfm_io.c -- safetensors read/write/inspect and Hugging Face config.json; see tfm_io.h.
 *
 * Written from the format description (8-byte LE header length, JSON header, byte buffer with
 * offsets relative to its start). Every multi-byte value in a file is assembled byte by byte, so
 * the code does not depend on the host's endianness or on the buffer's alignment. The file reader
 * maps the file and hands the image to the same buffer core the fuzzer drives. */
#include "tfm_io.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/chk.h"
#include "../common/json.h"
#include "../common/ofile.h"
#include "../common/sbuf.h"

static uint64_t get_le64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | b[i];
    return v;
}

static void put_le64(uint8_t *b, uint64_t v)
{
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> 8 * i);
}

/* "[a, b, c]" */
static void shape_str(char *o, size_t n, const uint64_t *shape, int ndim)
{
    size_t k = (size_t)snprintf(o, n, "[");
    for (int d = 0; d < ndim && k < n; d++)
        k += (size_t)snprintf(o + k, n - k, "%s%llu", d ? ", " : "", (unsigned long long)shape[d]);
    if (k < n) snprintf(o + k, n - k, "]");
}

/* ---- the header writer (common/sbuf) ---- */

__attribute__((format(printf, 2, 3)))
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    CHECK(n >= 0 && (size_t)n < sizeof tmp, "sb_printf used for a long string");
    sbuf_put(b, tmp, (size_t)n);
}

/* A JSON string literal: quotes, backslashes and control characters escaped; UTF-8 passes through. */
static void sb_json_str(sbuf *b, const char *s, size_t n)
{
    sbuf_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sbuf_put(b, e, 2);
        } else if (c < 0x20) {
            sb_printf(b, "\\u%04x", c);
        } else {
            sbuf_put(b, (const char *)&c, 1);
        }
    }
    sbuf_put(b, "\"", 1);
}

/* ---- dtypes ---- */

enum { DT_UNKNOWN, DT_F32, DT_F16, DT_BF16, DT_F64, DT_OTHER };

static const struct { const char *name; int size, kind; } dtypes[] = {
    {"F32", 4, DT_F32}, {"F16", 2, DT_F16}, {"BF16", 2, DT_BF16}, {"F64", 8, DT_F64},
    {"BOOL", 1, DT_OTHER}, {"U8", 1, DT_OTHER}, {"I8", 1, DT_OTHER}, {"F8_E5M2", 1, DT_OTHER},
    {"F8_E4M3", 1, DT_OTHER}, {"I16", 2, DT_OTHER}, {"U16", 2, DT_OTHER}, {"I32", 4, DT_OTHER},
    {"U32", 4, DT_OTHER}, {"I64", 8, DT_OTHER}, {"U64", 8, DT_OTHER},
};

static int dtype_lookup(const char *s, int *size)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (strcmp(s, dtypes[i].name) == 0) {
            *size = dtypes[i].size;
            return dtypes[i].kind;
        }
    *size = 0;
    return DT_UNKNOWN;
}

static float f16_to_f32(uint16_t h)
{
    unsigned sign = h >> 15, ex = h >> 10 & 0x1F, man = h & 0x3FF;
    float v;
    if (ex == 0) v = (float)man * 0x1p-24f; /* zero and subnormals, exact */
    else if (ex == 31) v = man ? NAN : INFINITY;
    else {
        uint32_t bits = (uint32_t)(ex - 15 + 127) << 23 | (uint32_t)man << 13;
        memcpy(&v, &bits, 4);
    }
    return sign ? -v : v;
}

/* numel elements of `kind` at src (little-endian, any alignment) to float32. */
static void decode(float *dst, const uint8_t *src, uint64_t numel, int kind)
{
    switch (kind) {
    case DT_F32:
        for (uint64_t i = 0; i < numel; i++) {
            const uint8_t *b = src + 4 * i;
            uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
            memcpy(&dst[i], &u, 4);
        }
        break;
    case DT_F16:
        for (uint64_t i = 0; i < numel; i++) dst[i] = f16_to_f32((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
        break;
    case DT_BF16:
        for (uint64_t i = 0; i < numel; i++) {
            uint32_t u = (uint32_t)src[2 * i] << 16 | (uint32_t)src[2 * i + 1] << 24;
            memcpy(&dst[i], &u, 4);
        }
        break;
    case DT_F64:
        for (uint64_t i = 0; i < numel; i++) {
            uint64_t u = get_le64(src + 8 * i);
            double d;
            memcpy(&d, &u, 8);
            /* Out-of-range double -> float conversion is undefined in C; saturate to inf explicitly. */
            dst[i] = d > FLT_MAX ? INFINITY : d < -FLT_MAX ? -INFINITY : (float)d;
        }
        break;
    default: CHECK(0, "decode: unsupported dtype kind %d", kind);
    }
}

/* ---- header index ---- */

void tfm_st_index_free(tfm_st_index *ix)
{
    if (!ix) return;
    free(ix->t);
    free(ix->meta);
    free(ix->strings_);
    memset(ix, 0, sizeof *ix);
}

static char *copy_str(char **pool, const char *s, size_t n)
{
    char *o = *pool;
    memcpy(o, s, n);
    o[n] = 0;
    *pool += n + 1;
    return o;
}

static int cmp_by_begin(const void *a, const void *b)
{
    const tfm_st_tensor *x = *(const tfm_st_tensor *const *)a, *y = *(const tfm_st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Non-empty byte ranges may not share a byte. */
static int check_overlap(const tfm_st_index *ix, char *err, size_t errlen)
{
    if (ix->n < 2) return TFM_OK;
    const tfm_st_tensor **s = chk_malloc(ix->n * sizeof *s);
    for (size_t i = 0; i < ix->n; i++) s[i] = &ix->t[i];
    qsort(s, ix->n, sizeof *s, cmp_by_begin);
    const tfm_st_tensor *far = NULL; /* the tensor reaching furthest so far */
    int rc = TFM_OK;
    for (size_t i = 0; i < ix->n; i++) {
        if (s[i]->end == s[i]->begin) continue;
        if (far && s[i]->begin < far->end) {
            (void)chk_errf(err, errlen, 0, "tensors '%.100s' [%llu, %llu] and '%.100s' [%llu, %llu] overlap in the data buffer",
                   far->name, (unsigned long long)far->begin, (unsigned long long)far->end, s[i]->name,
                   (unsigned long long)s[i]->begin, (unsigned long long)s[i]->end);
            rc = TFM_EFORMAT;
            break;
        }
        if (!far || s[i]->end > far->end) far = s[i];
    }
    free(s);
    return rc;
}

/* One tensor entry `v` named `name` into *t (strings already copied). */
static int index_entry(tfm_st_tensor *t, const json_value *v, uint64_t data_len, char *err, size_t errlen)
{
    const char *nm = t->name;
    if (v->type != JSON_OBJECT) {
        (void)chk_errf(err, errlen, 0, "tensor '%.100s': entry is %s, not an object", nm, json_type_name(v->type));
        return TFM_EFORMAT;
    }
    static const char *const keys[] = {"dtype", "shape", "data_offsets"};
    static const json_type types[] = {JSON_STRING, JSON_ARRAY, JSON_ARRAY};
    const json_value *f[3];
    for (int k = 0; k < 3; k++) {
        f[k] = json_get(v, keys[k]);
        if (!f[k]) {
            (void)chk_errf(err, errlen, 0, "tensor '%.100s': no \"%s\"", nm, keys[k]);
            return TFM_EFORMAT;
        }
        if (f[k]->type != types[k]) {
            (void)chk_errf(err, errlen, 0, "tensor '%.100s': \"%s\" is %s, not %s", nm, keys[k], json_type_name(f[k]->type),
                   k ? "an array" : "a string");
            return TFM_EFORMAT;
        }
    }
    const json_value *sh = f[1], *of = f[2];
    if (sh->u.arr.n > TFM_ST_MAX_DIMS) {
        (void)chk_errf(err, errlen, 0, "tensor '%.100s': %zu dimensions, at most %d supported", nm, sh->u.arr.n, TFM_ST_MAX_DIMS);
        return TFM_EFORMAT;
    }
    t->ndim = (int)sh->u.arr.n;
    int zero = 0;
    for (int d = 0; d < t->ndim; d++) {
        const json_value *x = &sh->u.arr.v[d];
        if (x->type != JSON_INT || x->u.i < 0) {
            (void)chk_errf(err, errlen, 0, "tensor '%.100s': shape entry %d is not a non-negative integer", nm, d);
            return TFM_EFORMAT;
        }
        t->shape[d] = (uint64_t)x->u.i;
        zero |= x->u.i == 0;
    }
    t->numel = 1;
    for (int d = 0; d < t->ndim && !zero; d++) {
        if (t->numel > UINT64_MAX / t->shape[d]) {
            (void)chk_errf(err, errlen, 0, "tensor '%.100s': element count overflows", nm);
            return TFM_EFORMAT;
        }
        t->numel *= t->shape[d];
    }
    if (zero) t->numel = 0;
    if (of->u.arr.n != 2 || of->u.arr.v[0].type != JSON_INT || of->u.arr.v[1].type != JSON_INT ||
        of->u.arr.v[0].u.i < 0 || of->u.arr.v[1].u.i < 0) {
        (void)chk_errf(err, errlen, 0, "tensor '%.100s': data_offsets must be two non-negative integers", nm);
        return TFM_EFORMAT;
    }
    t->begin = (uint64_t)of->u.arr.v[0].u.i, t->end = (uint64_t)of->u.arr.v[1].u.i;
    if (t->end < t->begin) {
        (void)chk_errf(err, errlen, 0, "tensor '%.100s': data_offsets [%llu, %llu] end before begin", nm,
               (unsigned long long)t->begin, (unsigned long long)t->end);
        return TFM_EFORMAT;
    }
    if (t->end > data_len) {
        (void)chk_errf(err, errlen, 0, "tensor '%.100s': data_offsets [%llu, %llu] out of bounds (data buffer is %llu bytes)", nm,
               (unsigned long long)t->begin, (unsigned long long)t->end, (unsigned long long)data_len);
        return TFM_EFORMAT;
    }
    dtype_lookup(t->dtype, &t->elem_size);
    if (t->elem_size) {
        uint64_t es = (uint64_t)t->elem_size;
        if (t->numel > UINT64_MAX / es || t->numel * es != t->end - t->begin) {
            char s[160];
            shape_str(s, sizeof s, t->shape, t->ndim);
            (void)chk_errf(err, errlen, 0, "tensor '%.100s': data_offsets span %llu bytes but shape %s of %s needs %llu x %llu",
                   nm, (unsigned long long)(t->end - t->begin), s, t->dtype, (unsigned long long)t->numel,
                   (unsigned long long)es);
            return TFM_EFORMAT;
        }
    }
    return TFM_OK;
}

/* Header hdr[0..N) of a file whose data buffer has data_len bytes. */
static int index_header(tfm_st_index *ix, const char *hdr, uint64_t N, uint64_t data_len, char *err, size_t errlen)
{
    json_doc doc;
    json_error je;
    int rc = TFM_EFORMAT;
    if (json_parse(&doc, hdr, (size_t)N, &je) != JSON_OK) {
        (void)chk_errf(err, errlen, 0, "header JSON error at header byte %zu (file byte %zu): %s", je.off, je.off + 8, je.msg);
        return TFM_EFORMAT;
    }
    const json_value *root = &doc.root;
    if (root->type != JSON_OBJECT) {
        (void)chk_errf(err, errlen, 0, "header is %s, not a JSON object", json_type_name(root->type));
        goto fail;
    }
    /* Sizes first: one allocation each for entries, metadata and strings. */
    size_t nt = 0, nmeta = 0, bytes = 0;
    const json_value *meta = NULL;
    for (size_t i = 0; i < root->u.obj.n; i++) {
        const json_member *m = &root->u.obj.m[i];
        if (strcmp(m->key, "__metadata__") == 0 && m->key_len == 12) {
            meta = &m->val;
            if (meta->type != JSON_OBJECT) {
                (void)chk_errf(err, errlen, 0, "__metadata__ is %s, not an object", json_type_name(meta->type));
                goto fail;
            }
            for (size_t j = 0; j < meta->u.obj.n; j++) {
                const json_member *e = &meta->u.obj.m[j];
                if (e->val.type != JSON_STRING) {
                    (void)chk_errf(err, errlen, 0, "__metadata__ value of \"%.100s\" is %s, not a string", e->key,
                           json_type_name(e->val.type));
                    goto fail;
                }
                bytes += e->key_len + 1 + e->val.u.str.len + 1;
            }
            nmeta = meta->u.obj.n;
            continue;
        }
        if (strlen(m->key) != m->key_len) {
            (void)chk_errf(err, errlen, 0, "tensor name '%.100s...' contains a NUL character", m->key);
            goto fail;
        }
        const json_value *dt = json_get(&m->val, "dtype");
        bytes += m->key_len + 1 + (dt && dt->type == JSON_STRING ? dt->u.str.len : 0) + 1;
        nt++;
    }
    ix->t = chk_calloc(nt, sizeof *ix->t);
    ix->meta = chk_calloc(nmeta, sizeof *ix->meta);
    ix->strings_ = chk_malloc(bytes);
    ix->header_len = N, ix->data_off = N + 8, ix->data_len = data_len;
    char *pool = ix->strings_;
    for (size_t j = 0; j < nmeta; j++) {
        const json_member *e = &meta->u.obj.m[j];
        ix->meta[j].key = copy_str(&pool, e->key, e->key_len);
        ix->meta[j].value = copy_str(&pool, e->val.u.str.s, e->val.u.str.len);
    }
    ix->n_meta = nmeta;
    for (size_t i = 0; i < root->u.obj.n; i++) {
        const json_member *m = &root->u.obj.m[i];
        if (&m->val == meta) continue;
        tfm_st_tensor *t = &ix->t[ix->n++];
        const json_value *dt = json_get(&m->val, "dtype");
        t->name = copy_str(&pool, m->key, m->key_len);
        t->dtype = dt && dt->type == JSON_STRING ? copy_str(&pool, dt->u.str.s, dt->u.str.len)
                                                 : copy_str(&pool, "", 0);
        if ((rc = index_entry(t, &m->val, data_len, err, errlen)) != TFM_OK) goto fail;
    }
    if ((rc = check_overlap(ix, err, errlen)) != TFM_OK) goto fail;
    json_free(&doc);
    return TFM_OK;
fail:
    json_free(&doc);
    return rc ? rc : TFM_EFORMAT;
}

int tfm_safetensors_index(tfm_st_index *ix, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    memset(ix, 0, sizeof *ix);
    if (len < 8) {
        (void)chk_errf(err, errlen, 0, "file too short: %zu bytes, a safetensors file starts with an 8-byte header length", len);
        return TFM_EFORMAT;
    }
    uint64_t N = get_le64(buf);
    if (N > TFM_ST_MAX_HEADER) {
        (void)chk_errf(err, errlen, 0, "header length %llu exceeds the limit of %u bytes (not a safetensors file?)",
               (unsigned long long)N, TFM_ST_MAX_HEADER);
        return TFM_EFORMAT;
    }
    if (N > len - 8) {
        (void)chk_errf(err, errlen, 0, "header length %llu exceeds the %zu bytes after the length field (truncated file?)",
               (unsigned long long)N, len - 8);
        return TFM_EFORMAT;
    }
    int rc = index_header(ix, (const char *)buf + 8, N, len - 8 - N, err, errlen);
    if (rc != TFM_OK) tfm_st_index_free(ix);
    return rc;
}

/* ---- files ---- */

typedef struct fmap {
    const uint8_t *p;
    size_t len;
} fmap;

static int map_file(fmap *m, const char *path, char *err, size_t errlen)
{
    struct stat st;
    m->p = NULL, m->len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        (void)chk_errf(err, errlen, 0, "%s: cannot open: %s", path, strerror(errno));
        return TFM_EIO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        (void)chk_errf(err, errlen, 0, "%s: not a regular file", path);
        close(fd);
        return TFM_EIO;
    }
    if ((uint64_t)st.st_size > SIZE_MAX / 2) {
        (void)chk_errf(err, errlen, 0, "%s: file too large to map", path);
        close(fd);
        return TFM_EIO;
    }
    m->len = (size_t)st.st_size;
    if (m->len) {
        void *q = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (q == MAP_FAILED) {
            (void)chk_errf(err, errlen, 0, "%s: cannot map: %s", path, strerror(errno));
            close(fd);
            return TFM_EIO;
        }
        m->p = q;
    }
    close(fd);
    return TFM_OK;
}

static void unmap_file(fmap *m)
{
    if (m->p) munmap((void *)m->p, m->len);
    m->p = NULL;
}

/* Prefixes err with the path (core messages do not know it). */
static void prefix_path(char *err, size_t errlen, const char *path)
{
    if (!err || !errlen) return;
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", err);
    (void)chk_errf(err, errlen, 0, "%s: %s", path, tmp);
}

int tfm_safetensors_index_file(tfm_st_index *ix, const char *path, char *err, size_t errlen)
{
    fmap m;
    memset(ix, 0, sizeof *ix);
    int rc = map_file(&m, path, err, errlen);
    if (rc != TFM_OK) return rc;
    rc = tfm_safetensors_index(ix, m.p, m.len, err, errlen);
    if (rc != TFM_OK) prefix_path(err, errlen, path);
    unmap_file(&m);
    return rc;
}

int tfm_load_safetensors(const char *path, const tfm_config *cfg, tfm_params *p, char *err, size_t errlen)
{
    fmap m;
    int rc = map_file(&m, path, err, errlen);
    if (rc != TFM_OK) return rc;
    rc = tfm_read_safetensors_buf(m.p, m.len, cfg, p, err, errlen);
    if (rc != TFM_OK) prefix_path(err, errlen, path);
    unmap_file(&m);
    return rc;
}

/* ---- reading into a parameter block ---- */

static int cmp_name_ptr(const void *a, const void *b)
{
    return strcmp((*(const tfm_st_tensor *const *)a)->name, (*(const tfm_st_tensor *const *)b)->name);
}

static int cmp_key_ptr(const void *key, const void *b)
{
    return strcmp(key, (*(const tfm_st_tensor *const *)b)->name);
}

static const tfm_st_tensor *find(const tfm_st_tensor *const *sorted, size_t n, const char *name)
{
    if (!n) return NULL;
    const tfm_st_tensor *const *r = bsearch(name, sorted, n, sizeof *sorted, cmp_key_ptr);
    return r ? *r : NULL;
}

static size_t table_numel(const tfm_tensor *t)
{
    return t->shape[0] * (t->ndim == 2 ? t->shape[1] : 1);
}

int tfm_read_safetensors_buf(const uint8_t *buf, size_t len, const tfm_config *cfg, tfm_params *p, char *err,
                             size_t errlen)
{
    CHECK(cfg && p && p->mem, "tfm_read_safetensors_buf needs a configuration and an allocated block");
    size_t nt = tfm_tensor_count(cfg), total = 0;
    tfm_tensor *tab = chk_malloc(nt * sizeof *tab);
    tfm_tensor_table(cfg, p, tab);
    for (size_t i = 0; i < nt; i++) total += table_numel(&tab[i]);
    CHECK(total == p->n, "parameter block of %zu floats was not allocated for configuration '%s' (%zu floats)", p->n,
          cfg->name, total);

    tfm_st_index ix;
    const tfm_st_tensor **sorted = NULL, **src = NULL;
    int rc = tfm_safetensors_index(&ix, buf, len, err, errlen);
    if (rc != TFM_OK) goto fail;
    sorted = chk_malloc((ix.n ? ix.n : 1) * sizeof *sorted);
    for (size_t i = 0; i < ix.n; i++) sorted[i] = &ix.t[i];
    qsort(sorted, ix.n, sizeof *sorted, cmp_name_ptr);

    /* 1. Resolve and validate every tensor before writing anything. */
    const char *pre = cfg->family == TFM_FAMILY_ROBERTA ? "roberta." : "bert.";
    size_t prelen = strlen(pre);
    src = chk_malloc(nt * sizeof *src);
    for (size_t i = 0; i < nt; i++) {
        const tfm_tensor *t = &tab[i];
        const tfm_st_tensor *e = find(sorted, ix.n, t->name);
        if (!e && strncmp(t->name, pre, prelen) == 0) e = find(sorted, ix.n, t->name + prelen);
        uint64_t want[2] = {t->shape[0], t->shape[1]};
        char ws[64], gs[200];
        shape_str(ws, sizeof ws, want, t->ndim);
        if (!e) {
            (void)chk_errf(err, errlen, 0, "missing tensor '%s' (shape %s) required by configuration '%s'", t->name, ws, cfg->name);
            rc = TFM_EMISSING;
            goto fail;
        }
        int es, kind = dtype_lookup(e->dtype, &es);
        if (kind != DT_F32 && kind != DT_F16 && kind != DT_BF16 && kind != DT_F64) {
            (void)chk_errf(err, errlen, 0, "tensor '%s' has dtype %.20s; supported: F32, F16, BF16, F64", e->name, e->dtype);
            rc = TFM_ESHAPE;
            goto fail;
        }
        int same = e->ndim == t->ndim;
        for (int d = 0; same && d < t->ndim; d++) same = e->shape[d] == want[d];
        if (!same) {
            shape_str(gs, sizeof gs, e->shape, e->ndim);
            (void)chk_errf(err, errlen, 0, "tensor '%s' has shape %s in the file but configuration '%s' needs %s", e->name, gs,
                   cfg->name, ws);
            rc = TFM_ESHAPE;
            goto fail;
        }
        src[i] = e;
    }
    /* 2. Every value finite (decoded chunk by chunk into scratch, so a refused file leaves p as it was).
     * Bounds were checked by the index: data_off + end <= len. */
    enum { SCRATCH = 4096 };
    float scratch[SCRATCH];
    for (size_t i = 0; i < nt && rc != TFM_EVALUE; i++) {
        int es, kind = dtype_lookup(src[i]->dtype, &es);
        const uint8_t *b = buf + ix.data_off + src[i]->begin;
        for (uint64_t k = 0; k < src[i]->numel && rc != TFM_EVALUE; k += SCRATCH) {
            uint64_t m = src[i]->numel - k < SCRATCH ? src[i]->numel - k : SCRATCH;
            decode(scratch, b + k * (uint64_t)es, m, kind);
            for (uint64_t j = 0; j < m; j++)
                if (!isfinite(scratch[j])) {
                    (void)chk_errf(err, errlen, 0, "tensor '%s' holds a non-finite value (%g at flat index %llu%s): weights must be finite",
                                   src[i]->name, (double)scratch[j], (unsigned long long)(k + j),
                                   kind == DT_F64 ? "; F64 values beyond float range count as infinite" : "");
                    rc = TFM_EVALUE;
                    break;
                }
        }
    }
    if (rc == TFM_EVALUE) goto fail;
    /* 3. Convert. */
    for (size_t i = 0; i < nt; i++) {
        int es, kind = dtype_lookup(src[i]->dtype, &es);
        decode(tab[i].data, buf + ix.data_off + src[i]->begin, src[i]->numel, kind);
    }
    rc = TFM_OK;
fail:
    free(src);
    free(sorted);
    tfm_st_index_free(&ix);
    free(tab);
    return rc;
}

int tfm_params_check_fixed(const tfm_config *cfg, const tfm_params *p, double limit, char *err, size_t errlen)
{
    size_t nt = tfm_tensor_count(cfg);
    tfm_tensor *tab = chk_malloc(nt * sizeof *tab);
    tfm_tensor_table(cfg, p, tab);
    int rc = TFM_OK;
    for (size_t i = 0; i < nt && rc == TFM_OK; i++)
        for (size_t j = 0; j < table_numel(&tab[i]); j++) {
            float v = tab[i].data[j];
            if (!isfinite(v) || fabs((double)v) >= limit) {
                rc = chk_errf(err, errlen, TFM_EVALUE,
                              "tensor '%s' holds %g at flat index %zu, which does not fit the fixed-point encoding "
                              "(|x| < %g)", tab[i].name, (double)v, j, limit);
                break;
            }
        }
    free(tab);
    return rc;
}

/* ---- writing ---- */

/* Header JSON (unpadded) for p, or TFM_EVALUE if metadata_json is not an object of strings. */
static int build_header(sbuf *h, const tfm_config *cfg, const tfm_tensor *tab, size_t nt, const char *metadata_json)
{
    json_doc md = {0};
    int has_format = 0;
    if (metadata_json) {
        if (json_parse(&md, metadata_json, strlen(metadata_json), NULL) != JSON_OK) return TFM_EVALUE;
        if (md.root.type != JSON_OBJECT) goto bad;
        for (size_t i = 0; i < md.root.u.obj.n; i++) {
            if (md.root.u.obj.m[i].val.type != JSON_STRING) goto bad;
            has_format |= strcmp(md.root.u.obj.m[i].key, "format") == 0;
        }
    }
    sbuf_put(h, "{\"__metadata__\":{", 17);
    if (!has_format) sbuf_put(h, "\"format\":\"pt\"", 13);
    for (size_t i = 0; metadata_json && i < md.root.u.obj.n; i++) {
        const json_member *m = &md.root.u.obj.m[i];
        if (i || !has_format) sbuf_put(h, ",", 1);
        sb_json_str(h, m->key, m->key_len);
        sbuf_put(h, ":", 1);
        sb_json_str(h, m->val.u.str.s, m->val.u.str.len);
    }
    sbuf_put(h, "}", 1);
    uint64_t off = 0;
    for (size_t i = 0; i < nt; i++) {
        uint64_t bytes = 4 * (uint64_t)table_numel(&tab[i]);
        sbuf_put(h, ",", 1);
        sb_json_str(h, tab[i].name, strlen(tab[i].name));
        if (tab[i].ndim == 2)
            sb_printf(h, ":{\"dtype\":\"F32\",\"shape\":[%zu,%zu],", tab[i].shape[0], tab[i].shape[1]);
        else
            sb_printf(h, ":{\"dtype\":\"F32\",\"shape\":[%zu],", tab[i].shape[0]);
        sb_printf(h, "\"data_offsets\":[%llu,%llu]}", (unsigned long long)off, (unsigned long long)(off + bytes));
        off += bytes;
    }
    sbuf_put(h, "}", 1);
    json_free(&md);
    return TFM_OK;
bad:
    json_free(&md);
    return TFM_EVALUE;
}

int tfm_save_safetensors(const char *path, const tfm_config *cfg, const tfm_params *p, const char *metadata_json)
{
    CHECK(path && cfg && p && p->mem, "tfm_save_safetensors needs a path, a configuration and an allocated block");
    size_t nt = tfm_tensor_count(cfg);
    tfm_tensor *tab = chk_malloc(nt * sizeof *tab);
    tfm_tensor_table(cfg, p, tab);
    sbuf h = {0};
    uint8_t *chunk = NULL;
    ofile of = {0};
    FILE *f = NULL; /* of.f while the temporary is open */
    int rc = build_header(&h, cfg, tab, nt, metadata_json);
    if (rc != TFM_OK) goto fail;
    while (h.n % 8) sbuf_put(&h, " ", 1); /* data starts at 8 + N, a multiple of 8 */

    rc = TFM_EIO;
    if (ofile_open(&of, path, NULL, 0) != 0) goto fail;
    f = of.f;
    uint8_t lenb[8];
    put_le64(lenb, h.n);
    if (fwrite(lenb, 1, 8, f) != 8 || fwrite(h.p, 1, h.n, f) != h.n) goto fail;
    enum { CHUNK = 16384 };
    chunk = chk_malloc(4 * CHUNK);
    for (size_t i = 0; i < p->n; i += CHUNK) {
        size_t m = p->n - i < CHUNK ? p->n - i : CHUNK;
        for (size_t j = 0; j < m; j++) {
            uint32_t u;
            memcpy(&u, &p->mem[i + j], 4);
            for (int b = 0; b < 4; b++) chunk[4 * j + (size_t)b] = (uint8_t)(u >> 8 * b);
        }
        if (fwrite(chunk, 4, m, f) != m) goto fail;
    }
    if (fflush(f) != 0 || (of.tmp && fsync(fileno(f)) != 0)) goto fail;
    f = NULL;
    if (ofile_commit(&of, NULL, 0) != 0) goto fail;
    rc = TFM_OK;
fail:
    if (f) ofile_abort(&of);
    free(chunk);
    free(h.p);
    free(tab);
    return rc;
}

/* ---- Hugging Face config.json ---- */

/* Integer field: absent or null leaves *dst (TFM_EMISSING if required). */
static int field_int(const json_value *root, const char *key, int required, int *dst, char *err, size_t errlen)
{
    const json_value *v = json_get(root, key);
    int64_t x;
    if (!v || v->type == JSON_NULL) {
        if (!required) return TFM_OK;
        (void)chk_errf(err, errlen, 0, "config: missing required field \"%s\"", key);
        return TFM_EMISSING;
    }
    if (v->type != JSON_INT && v->type != JSON_DOUBLE) {
        (void)chk_errf(err, errlen, 0, "config: field \"%s\" must be an integer, got %s (byte %zu)", key,
               json_type_name(v->type), v->off);
        return TFM_EVALUE;
    }
    if (!json_as_int64(v, &x) || x < INT_MIN || x > INT_MAX) {
        (void)chk_errf(err, errlen, 0, "config: field \"%s\" must be an integer in int range, got %g (byte %zu)", key,
               v->type == JSON_INT ? (double)v->u.i : v->u.d, v->off);
        return TFM_EVALUE;
    }
    *dst = (int)x;
    return TFM_OK;
}

/* String field: absent or null gives NULL; another type is TFM_EVALUE. */
static int field_str(const json_value *root, const char *key, const char **dst, char *err, size_t errlen)
{
    const json_value *v = json_get(root, key);
    *dst = NULL;
    if (!v || v->type == JSON_NULL) return TFM_OK;
    if (v->type != JSON_STRING) {
        (void)chk_errf(err, errlen, 0, "config: field \"%s\" must be a string, got %s (byte %zu)", key, json_type_name(v->type),
               v->off);
        return TFM_EVALUE;
    }
    *dst = v->u.str.s;
    return TFM_OK;
}

static int parse_config(tfm_config *cfg, const json_value *root, char *err, size_t errlen)
{
    int rc;
    const char *mt, *act, *pet, *name;
    if (root->type != JSON_OBJECT) {
        (void)chk_errf(err, errlen, 0, "config: top level is %s, not an object", json_type_name(root->type));
        return TFM_EFORMAT;
    }
    /* Defaults, as tfm_config_named. */
    memset(cfg, 0, sizeof *cfg);
    cfg->NL = 2, cfg->TT = 2, cfg->ln_eps = 1e-12;
    cfg->act = TFM_ACT_GELU_ERF, cfg->attn = TFM_ATTN_SOFTMAX, cfg->norm = TFM_NORM_LAYERNORM;
    cfg->quad_a = 0.125, cfg->quad_b = 0.25, cfg->quad_c = 0.5;
    cfg->quad2_c = 5.0;

    if ((rc = field_str(root, "model_type", &mt, err, errlen)) != TFM_OK) return rc;
    if (!mt) {
        (void)chk_errf(err, errlen, 0, "config: missing required field \"model_type\"");
        return TFM_EMISSING;
    }
    if (strcmp(mt, "bert") == 0) cfg->family = TFM_FAMILY_BERT;
    else if (strcmp(mt, "roberta") == 0) cfg->family = TFM_FAMILY_ROBERTA;
    else {
        (void)chk_errf(err, errlen, 0, "config: model_type \"%.40s\" is not supported (bert, roberta)", mt);
        return TFM_EVALUE;
    }
    static const struct { const char *key; size_t off; } req[] = {
        {"hidden_size", offsetof(tfm_config, C)},
        {"num_hidden_layers", offsetof(tfm_config, L)},
        {"num_attention_heads", offsetof(tfm_config, NH)},
        {"intermediate_size", offsetof(tfm_config, F)},
        {"vocab_size", offsetof(tfm_config, V)},
        {"max_position_embeddings", offsetof(tfm_config, P)},
    };
    for (size_t i = 0; i < sizeof req / sizeof *req; i++)
        if ((rc = field_int(root, req[i].key, 1, (int *)((char *)cfg + req[i].off), err, errlen)) != TFM_OK) return rc;
    if ((rc = field_int(root, "type_vocab_size", 0, &cfg->TT, err, errlen)) != TFM_OK) return rc;

    const json_value *eps = json_get(root, "layer_norm_eps");
    if (eps && eps->type != JSON_NULL) {
        if (eps->type != JSON_INT && eps->type != JSON_DOUBLE) {
            (void)chk_errf(err, errlen, 0, "config: field \"layer_norm_eps\" must be a number, got %s (byte %zu)",
                   json_type_name(eps->type), eps->off);
            return TFM_EVALUE;
        }
        cfg->ln_eps = eps->type == JSON_INT ? (double)eps->u.i : eps->u.d;
    }
    if ((rc = field_str(root, "hidden_act", &act, err, errlen)) != TFM_OK) return rc;
    if (act && ((cfg->act = tfm_act_parse(act)) < 0 || cfg->act == TFM_ACT_QUAD)) {
        (void)chk_errf(err, errlen, 0, "config: hidden_act \"%.40s\" is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)",
               act);
        return TFM_EVALUE;
    }
    if ((rc = field_str(root, "position_embedding_type", &pet, err, errlen)) != TFM_OK) return rc;
    if (pet && strcmp(pet, "absolute") != 0) {
        (void)chk_errf(err, errlen, 0, "config: position_embedding_type \"%.40s\" is not supported (absolute)", pet);
        return TFM_EVALUE;
    }
    if (cfg->family == TFM_FAMILY_ROBERTA) {
        int pad = 1; /* RobertaConfig's default */
        if ((rc = field_int(root, "pad_token_id", 0, &pad, err, errlen)) != TFM_OK) return rc;
        if (pad < 0 || pad > 1000000) {
            (void)chk_errf(err, errlen, 0, "config: pad_token_id %d out of [0, 1e6]", pad);
            return TFM_EVALUE;
        }
        cfg->pos_offset = pad + 1;
    }
    int nl = -1;
    if ((rc = field_int(root, "num_labels", 0, &nl, err, errlen)) != TFM_OK) return rc;
    const json_value *id2label = json_get(root, "id2label");
    if (id2label && id2label->type != JSON_NULL) {
        if (id2label->type != JSON_OBJECT) {
            (void)chk_errf(err, errlen, 0, "config: field \"id2label\" must be an object, got %s (byte %zu)",
                   json_type_name(id2label->type), id2label->off);
            return TFM_EVALUE;
        }
        if (nl >= 0 && (size_t)nl != id2label->u.obj.n) {
            (void)chk_errf(err, errlen, 0, "config: num_labels %d disagrees with the %zu entries of id2label", nl,
                   id2label->u.obj.n);
            return TFM_EVALUE;
        }
        nl = (int)(id2label->u.obj.n < INT_MAX ? id2label->u.obj.n : INT_MAX);
    }
    if (nl != -1) cfg->NL = nl;

    if ((rc = field_str(root, "_name_or_path", &name, err, errlen)) != TFM_OK) return rc;
    if (!name || !*name) name = "custom";
    if (strlen(name) >= sizeof cfg->name && strrchr(name, '/') && strrchr(name, '/')[1])
        name = strrchr(name, '/') + 1; /* a long local path: keep its last component */
    snprintf(cfg->name, sizeof cfg->name, "%.*s", (int)sizeof cfg->name - 1, name);
    return tfm_config_check(cfg, err, errlen);
}

int tfm_config_parse_json(tfm_config *cfg, const char *buf, size_t len, char *err, size_t errlen)
{
    json_doc doc;
    json_error je;
    if (json_parse(&doc, buf, len, &je) != JSON_OK) {
        (void)chk_errf(err, errlen, 0, "config: JSON error at byte %zu: %s", je.off, je.msg);
        return TFM_EFORMAT;
    }
    int rc = parse_config(cfg, &doc.root, err, errlen);
    json_free(&doc);
    return rc;
}

int tfm_config_load_json(tfm_config *cfg, const char *path, char *err, size_t errlen)
{
    fmap m;
    int rc = map_file(&m, path, err, errlen);
    if (rc != TFM_OK) return rc;
    rc = tfm_config_parse_json(cfg, (const char *)m.p, m.len, err, errlen);
    if (rc != TFM_OK) prefix_path(err, errlen, path);
    unmap_file(&m);
    return rc;
}

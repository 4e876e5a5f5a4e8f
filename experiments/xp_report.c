/* xp_report.c -- the report's facts and its template renderer (see xp_report.h). */
#include "xp_report.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../common/chk.h"
#include "../common/sbuf.h"
#include "xp.h"
#include "xp_schema.h"

const char *const xp_report_approx6[6][2] = {{"gelu-erf", "softmax"}, {"quad", "softmax"}, {"gelu-erf", "2relu"},
                                             {"quad", "2relu"},       {"gelu-erf", "2quad"}, {"quad", "2quad"}};

const char *xp_report_pretty(const char *g, const char *s, char *buf, size_t n)
{
    snprintf(buf, n, "%s+%s", strcmp(g, "gelu-erf") == 0 ? "GeLU" : strcmp(g, "quad") == 0 ? "Quad" : g,
             strcmp(s, "softmax") == 0 ? "Softmax" : strcmp(s, "2relu") == 0 ? "2ReLU" : strcmp(s, "2quad") == 0 ? "2Quad" : s);
    return buf;
}

int xp_report_load_opt(xp_csv *t, const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        memset(t, 0, sizeof *t);
        return -1;
    }
    fclose(f);
    return xp_csv_load(t, path);
}

/* ---- facts ---- */

static char *dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = chk_malloc(n);
    memcpy(d, s, n);
    return d;
}

static void add(xp_facts *F, const char *source, const char *key, const char *value)
{
    CHECK(xp_fact_get(F, key) == NULL, "report fact %s set twice", key);
    CHECK(!strpbrk(value, ",\n") && !strpbrk(key, ",\n") && !strpbrk(source, ",\n"),
          "report fact %s = '%s' (%s) has a comma or newline", key, value, source);
    if (F->n == F->cap) {
        F->cap = F->cap ? 2 * F->cap : 256;
        F->f = chk_realloc(F->f, F->cap * sizeof *F->f);
    }
    F->f[F->n++] = (xp_fact_entry){dup(key), dup(value), dup(source)};
}

static void vset(xp_facts *F, const char *source, const char *key, const char *fmt, va_list ap)
{
    char v[512];
    vsnprintf(v, sizeof v, fmt, ap);
    add(F, source, key, v);
}

void xp_fact(xp_facts *F, const char *source, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(F, source, key, fmt, ap);
    va_end(ap);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void xp_fact_num(xp_facts *F, const char *source, const char *key, const char *fmt, double v)
{
    char b[128];
    if (isnan(v)) snprintf(b, sizeof b, "n/a");
    else snprintf(b, sizeof b, fmt, v);
    add(F, source, key, b);
}
#pragma GCC diagnostic pop

void xp_fact_row(xp_facts *F, const char *source, const char *list, size_t i, const char *field, const char *fmt, ...)
{
    char key[256];
    snprintf(key, sizeof key, "%s.%zu.%s", list, i, field);
    va_list ap;
    va_start(ap, fmt);
    vset(F, source, key, fmt, ap);
    va_end(ap);
}

void xp_fact_count(xp_facts *F, const char *list, size_t n)
{
    char key[256];
    snprintf(key, sizeof key, "%s.n", list);
    xp_fact(F, "count", key, "%zu", n);
}

const char *xp_fact_get(const xp_facts *F, const char *key)
{
    for (size_t k = 0; k < F->n; k++)
        if (strcmp(F->f[k].key, key) == 0) return F->f[k].value;
    return NULL;
}

int xp_facts_write(const xp_facts *F, const char *path)
{
    xp_out o;
    if (xp_out_open(&o, path) != 0) return -1;
    xp_rows w;
    xp_rows_open(&w, o.f, &xp_schema_report_facts, XP_ROWS_CSV);
    for (size_t k = 0; k < F->n; k++) {
        xp_rows_str(&w, "key", F->f[k].key);
        xp_rows_str(&w, "value", F->f[k].value);
        xp_rows_str(&w, "source", F->f[k].source);
        xp_rows_end(&w);
    }
    return xp_out_close(&o);
}

int xp_facts_load(xp_facts *F, const char *path)
{
    memset(F, 0, sizeof *F);
    xp_csv t;
    if (xp_csv_load(&t, path) != 0) return -1;
    if (xp_csv_col(&t, "key") < 0 || xp_csv_col(&t, "value") < 0 || xp_csv_col(&t, "source") < 0) {
        fprintf(stderr, "error: %s: not a facts file (columns key, value, source)\n", path);
        xp_csv_free(&t);
        return -1;
    }
    for (size_t r = 1; r < t.rows; r++) {
        const char *k = xp_csv_get(&t, r, "key");
        if (xp_fact_get(F, k)) {
            fprintf(stderr, "error: %s: fact '%s' appears twice\n", path, k);
            xp_csv_free(&t);
            xp_facts_free(F);
            return -1;
        }
        add(F, xp_csv_get(&t, r, "source"), k, xp_csv_get(&t, r, "value"));
    }
    xp_csv_free(&t);
    return 0;
}

void xp_facts_free(xp_facts *F)
{
    for (size_t k = 0; k < F->n; k++) free(F->f[k].key), free(F->f[k].value), free(F->f[k].source);
    free(F->f);
    memset(F, 0, sizeof *F);
}

/* ---- the template ---- */

enum { T_TEXT, T_VAR, T_IF, T_ELSE, T_ENDIF, T_EACH, T_ENDEACH };

typedef struct tok {
    int type, line;
    const char *s; /* text, or the name */
    size_t n;
} tok;

typedef struct tmpl {
    tok *t;
    size_t n, cap;
    const xp_facts *F;
    const char *name;
    char *err;
    size_t errlen;
} tmpl;

static void push(tmpl *T, int type, int line, const char *s, size_t n)
{
    if (T->n == T->cap) {
        T->cap = T->cap ? 2 * T->cap : 256;
        T->t = chk_realloc(T->t, T->cap * sizeof *T->t);
    }
    T->t[T->n++] = (tok){type, line, s, n};
}

static int fail(tmpl *T, int line, const char *what, const char *s, size_t n)
{
    snprintf(T->err, T->errlen, "%s:%d: %s '%.*s'", T->name, line, what, (int)n, s);
    return -1;
}

static int tokenize(tmpl *T, const char *p)
{
    int line = 1;
    const char *text = p;
    while (*p) {
        if (p[0] != '{' || p[1] != '{') {
            line += *p++ == '\n';
            continue;
        }
        const char *e = strstr(p + 2, "}}");
        if (!e) return fail(T, line, "unclosed tag", p, strnlen(p, 20));
        const char *name = p + 2;
        size_t nn = (size_t)(e - name);
        int type = T_VAR;
        if (nn > 4 && strncmp(name, "#if ", 4) == 0) type = T_IF, name += 4, nn -= 4;
        else if (nn == 5 && strncmp(name, "#else", 5) == 0) type = T_ELSE;
        else if (nn == 3 && strncmp(name, "/if", 3) == 0) type = T_ENDIF;
        else if (nn > 6 && strncmp(name, "#each ", 6) == 0) type = T_EACH, name += 6, nn -= 6;
        else if (nn == 5 && strncmp(name, "/each", 5) == 0) type = T_ENDEACH;
        else if (nn == 0 || memchr(name, ' ', nn) || name[0] == '#' || name[0] == '/')
            return fail(T, line, "bad tag", p, nn + 4);
        const char *after = e + 2, *tend = p;
        if (type != T_VAR) { /* a block tag alone on its line takes the line with it */
            const char *b = p;
            while (b > text && (b[-1] == ' ' || b[-1] == '\t')) b--;
            const char *a = after;
            while (*a == ' ' || *a == '\t') a++;
            if ((b == text || b[-1] == '\n') && (*a == '\n' || !*a)) {
                tend = b;
                after = *a ? a + 1 : a;
            }
        }
        if (tend > text) push(T, T_TEXT, line, text, (size_t)(tend - text));
        push(T, type, line, name, nn);
        for (const char *q = p; q < after; q++) line += *q == '\n';
        p = text = after;
    }
    if (p > text) push(T, T_TEXT, line, text, (size_t)(p - text));
    return 0;
}

/* The fact for a name; ".field" is relative to the innermost each row (prefix). */
static const char *lookup(const tmpl *T, const tok *k, const char *prefix)
{
    char key[256];
    if (k->s[0] == '.') snprintf(key, sizeof key, "%s%.*s", prefix, (int)k->n, k->s);
    else snprintf(key, sizeof key, "%.*s", (int)k->n, k->s);
    return xp_fact_get(T->F, key);
}

/* Index of the token that closes the block opened at i (and of its #else, if any). */
static int match(const tmpl *T, size_t i, size_t end, size_t *els, size_t *close)
{
    int open = T->t[i].type, shut = open == T_IF ? T_ENDIF : T_ENDEACH, depth = 0;
    *els = 0;
    for (size_t k = i + 1; k < end; k++) {
        int ty = T->t[k].type;
        if (ty == T_IF || ty == T_EACH) depth++;
        else if ((ty == T_ENDIF || ty == T_ENDEACH) && depth > 0) depth--;
        else if (ty == T_ELSE && depth == 0 && open == T_IF && !*els) *els = k;
        else if (depth == 0 && (ty == T_ENDIF || ty == T_ENDEACH)) {
            if (ty != shut) return -1;
            *close = k;
            return 0;
        }
    }
    return -1;
}

static int render(tmpl *T, sbuf *out, size_t i, size_t end, const char *prefix)
{
    while (i < end) {
        const tok *k = &T->t[i];
        switch (k->type) {
        case T_TEXT:
            sbuf_put(out, k->s, k->n);
            i++;
            break;
        case T_VAR: {
            const char *v = lookup(T, k, prefix);
            if (!v) return fail(T, k->line, "no fact named", k->s, k->n);
            sbuf_put(out, v, strlen(v));
            i++;
            break;
        }
        case T_IF: {
            size_t els, close;
            if (match(T, i, end, &els, &close) != 0) return fail(T, k->line, "unbalanced block", k->s, k->n);
            const char *v = lookup(T, k, prefix);
            int yes = v && *v && strcmp(v, "0") != 0;
            size_t a = yes ? i + 1 : els ? els + 1 : close, b = yes && els ? els : close;
            if (render(T, out, a, b, prefix) != 0) return -1;
            i = close + 1;
            break;
        }
        case T_EACH: {
            size_t els, close;
            if (match(T, i, end, &els, &close) != 0) return fail(T, k->line, "unbalanced block", k->s, k->n);
            char key[256];
            snprintf(key, sizeof key, "%.*s.n", (int)k->n, k->s);
            const char *v = xp_fact_get(T->F, key);
            if (!v) return fail(T, k->line, "no list named", k->s, k->n);
            long n = strtol(v, NULL, 10);
            for (long r = 1; r <= n; r++) {
                char pre[256];
                snprintf(pre, sizeof pre, "%.*s.%ld", (int)k->n, k->s, r);
                if (render(T, out, i + 1, close, pre) != 0) return -1;
            }
            i = close + 1;
            break;
        }
        default:
            return fail(T, k->line, "unexpected", k->s, k->n);
        }
    }
    return 0;
}

int xp_render(FILE *out, const char *text, const xp_facts *F, const char *tname, char *err, size_t errlen)
{
    tmpl T = {NULL, 0, 0, F, tname, err, errlen};
    sbuf o = {0};
    int rc = tokenize(&T, text);
    if (rc == 0) rc = render(&T, &o, 0, T.n, "");
    if (rc == 0 && o.n) rc = fwrite(o.p, 1, o.n, out) == o.n ? 0 : -1;
    free(T.t);
    sbuf_free(&o);
    return rc;
}

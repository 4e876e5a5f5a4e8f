/* xp_sweep.c -- the sweep file parser and the argv of one point. See xp_sweep.h. */
#include "xp_sweep.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../common/chk.h"

void xp_sweep_free(xp_sweep *s)
{
    for (int i = 0; i < s->nfixed; i++)
        for (int j = 0; j < s->fixed[i].nvals; j++) free(s->fixed[i].vals[j]);
    for (int i = 0; i < s->ngrid; i++)
        for (int j = 0; j < s->grid[i].nvals; j++) free(s->grid[i].vals[j]);
    s->nfixed = s->ngrid = 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
    return s;
}

/* "PATH:LINE: msg 'what'" (the value shortened to 80 bytes). */
static int perr(const xp_sweep *s, char *err, size_t errlen, int line, const char *msg, const char *what)
{
    chk_errf(err, errlen, -1, "%s:%d: %s%s%.80s%s", s->path, line, msg, what ? " '" : "", what ? what : "",
             what ? "'" : "");
    return -1;
}

static int valid_name(const char *v)
{
    if (!*v) return 0;
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.') return 0;
    return 1;
}

/* The value of a seed option must leave room for the repetitions: BASE + reps - 1 fits in 64 bits. */
static int check_seed(const xp_sweep *s, const xp_sweep_kv *k, char *err, size_t errlen)
{
    for (int j = 0; j < k->nvals; j++) {
        const char *v = k->vals[j];
        char *end;
        errno = 0;
        unsigned long long b = strtoull(v, &end, 10);
        if (*v == '-' || *v == '+' || end == v || *end || errno == ERANGE)
            return perr(s, err, errlen, k->line, "seed must be a non-negative integer, not", v);
        if (b > UINT64_MAX - (uint64_t)(s->reps - 1))
            return perr(s, err, errlen, k->line, "seed plus the repetitions overflows 64 bits:", v);
    }
    return 0;
}

int xp_sweep_parse(xp_sweep *s, FILE *f, const char *path, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    s->reps = 1;
    char buf[4096], section[32] = "";
    int line = 0, rc = 0;
    while (rc == 0 && fgets(buf, sizeof buf, f)) {
        line++;
        size_t blen = strlen(buf);
        if (blen + 1 < sizeof buf && !feof(f) && (blen == 0 || buf[blen - 1] != '\n')) {
            rc = perr(s, err, errlen, line, "NUL byte in the line", NULL);
            break;
        }
        if (!strchr(buf, '\n') && !feof(f)) {
            rc = perr(s, err, errlen, line, "line too long (at most 4095 bytes)", NULL);
            break;
        }
        char *c = buf;
        for (char *p = c; *p; p++)
            if (*p == ';' || *p == '#') {
                *p = 0;
                break;
            }
        c = trim(c);
        if (!*c) continue;
        if (*c == '[') {
            char *e = strchr(c, ']');
            if (!e || e[1]) {
                rc = perr(s, err, errlen, line, "malformed section header", c);
                break;
            }
            *e = 0;
            char *name = trim(c + 1);
            if (strcmp(name, "sweep") && strcmp(name, "fixed") && strcmp(name, "grid")) {
                rc = perr(s, err, errlen, line, "unknown section (sweep, fixed or grid)", name);
                break;
            }
            snprintf(section, sizeof section, "%s", name);
            continue;
        }
        char *eq = strchr(c, '=');
        if (!eq) {
            rc = perr(s, err, errlen, line, "expected 'key = value'", c);
            break;
        }
        *eq = 0;
        char *key = trim(c), *val = trim(eq + 1);
        if (!*section) {
            rc = perr(s, err, errlen, line, "key outside any section", key);
            break;
        }
        if (!*key || !*val) {
            rc = perr(s, err, errlen, line, "empty key or value", key);
            break;
        }
        if (strlen(key) >= sizeof s->fixed[0].key) {
            rc = perr(s, err, errlen, line, "key longer than 63 characters", key);
            break;
        }
        for (char *p = key; *p && rc == 0; p++)
            if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') rc = perr(s, err, errlen, line, "invalid key", key);
        if (rc) break;
        if (strcmp(section, "sweep") == 0) {
            if (strcmp(key, "name") == 0) {
                if (!valid_name(val) || strlen(val) >= sizeof s->name)
                    rc = perr(s, err, errlen, line, "name must be 1 to 127 letters, digits, '-', '_' or '.'", val);
                else snprintf(s->name, sizeof s->name, "%s", val);
            } else if (strcmp(key, "command") == 0) {
                if (strcmp(val, "infer") && strcmp(val, "op"))
                    rc = perr(s, err, errlen, line, "command must be infer or op, not", val);
                else snprintf(s->command, sizeof s->command, "%s", val);
            } else if (strcmp(key, "repetitions") == 0) {
                char *end;
                long r = strtol(val, &end, 10);
                if (*end || r < 1 || r > 1000)
                    rc = perr(s, err, errlen, line, "repetitions must be an integer in [1,1000], not", val);
                else s->reps = (int)r;
            } else {
                rc = perr(s, err, errlen, line, "unknown key in [sweep] (name, command, repetitions)", key);
            }
            continue;
        }
        int fixed = strcmp(section, "fixed") == 0;
        xp_sweep_kv *tab = fixed ? s->fixed : s->grid;
        int *nt = fixed ? &s->nfixed : &s->ngrid;
        for (int i = 0; i < s->nfixed && rc == 0; i++)
            if (strcmp(s->fixed[i].key, key) == 0) rc = perr(s, err, errlen, line, "duplicate key", key);
        for (int i = 0; i < s->ngrid && rc == 0; i++)
            if (strcmp(s->grid[i].key, key) == 0) rc = perr(s, err, errlen, line, "duplicate key", key);
        if (rc) break;
        if (*nt == XP_SWEEP_MAX_KEYS) {
            rc = perr(s, err, errlen, line, fixed ? "too many keys in [fixed] (at most 32)" : "too many keys in [grid] (at most 32)",
                      key);
            break;
        }
        xp_sweep_kv *k = &tab[(*nt)++];
        snprintf(k->key, sizeof k->key, "%s", key);
        k->line = line;
        for (char *tok = val; tok && rc == 0;) {
            char *comma = strchr(tok, ',');
            if (comma) *comma = 0;
            char *t = trim(tok);
            tok = comma ? comma + 1 : NULL;
            if (!*t) rc = perr(s, err, errlen, line, "empty value in list for", key);
            else if (k->nvals == XP_SWEEP_MAX_VALS) rc = perr(s, err, errlen, line, "too many values (at most 64) for", key);
            else if (fixed && k->nvals == 1)
                rc = perr(s, err, errlen, line, "[fixed] takes one value (use [grid] for lists) for", key);
            else {
                size_t tl = strlen(t);
                k->vals[k->nvals] = chk_malloc(tl + 1);
                memcpy(k->vals[k->nvals++], t, tl + 1);
            }
        }
    }
    if (rc == 0 && ferror(f)) rc = perr(s, err, errlen, line, "read error", NULL);
    if (rc == 0 && !s->name[0]) rc = perr(s, err, errlen, line, "[sweep] needs a name", NULL);
    if (rc == 0 && !s->command[0]) rc = perr(s, err, errlen, line, "[sweep] needs a command (infer or op)", NULL);
    if (rc == 0) {
        /* The product is formed only while it stays within the limit: it can neither overflow nor
         * grow past what a run could validate. */
        size_t n = 1;
        for (int i = 0; i < s->ngrid && rc == 0; i++) {
            n *= (size_t)s->grid[i].nvals;
            if (n > XP_SWEEP_MAX_POINTS)
                rc = perr(s, err, errlen, s->grid[i].line,
                          "the grid has more than 10000 points (the limit of a sweep) at key", s->grid[i].key);
        }
        if (rc == 0 && n * (size_t)s->reps > XP_SWEEP_MAX_RUNS)
            rc = perr(s, err, errlen, line, "points times repetitions exceeds 100000 runs (the limit of a sweep)", NULL);
        s->npoints = n;
    }
    for (int i = 0; i < s->nfixed && rc == 0; i++)
        if (strcmp(s->fixed[i].key, "seed") == 0) rc = check_seed(s, &s->fixed[i], err, errlen);
    for (int i = 0; i < s->ngrid && rc == 0; i++)
        if (strcmp(s->grid[i].key, "seed") == 0) rc = check_seed(s, &s->grid[i], err, errlen);
    if (rc) xp_sweep_free(s);
    return rc;
}

static char *own(xp_sweep_args *a, char *str)
{
    a->owned[a->nowned++] = str;
    return str;
}

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    CHECK(n >= 0, "vsnprintf failed");
    char *r = chk_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(r, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return r;
}

void xp_sweep_args_push(xp_sweep_args *a, char *arg)
{
    CHECK(a->argc + 1 < a->cap, "sweep argv: no free slot (reserve it with `extra`)");
    a->argv[a->argc++] = arg;
    a->argv[a->argc] = NULL;
}

void xp_sweep_point_args(const xp_sweep *s, size_t p, int rep, int extra, xp_sweep_args *a)
{
    CHECK(p < s->npoints && rep >= 0 && extra >= 0, "point %zu rep %d of a %zu-point sweep", p, rep, s->npoints);
    /* The op name, 2 arguments a key ('approx' 4), --seed S, the extras and NULL. */
    int nkeys = s->nfixed + s->ngrid;
    a->cap = 2 * nkeys + 6 + extra;
    a->argv = chk_calloc((size_t)a->cap, sizeof *a->argv);
    a->owned = chk_calloc((size_t)nkeys * 2 + 1, sizeof *a->owned);
    a->argc = a->nowned = 0;
    const char *opname = NULL;
    size_t idx[XP_SWEEP_MAX_KEYS], rest = p;
    for (int i = s->ngrid - 1; i >= 0; i--) {
        idx[i] = rest % (size_t)s->grid[i].nvals;
        rest /= (size_t)s->grid[i].nvals;
    }
    int is_op = strcmp(s->command, "op") == 0;
    if (is_op) a->argv[a->argc++] = ""; /* the op name goes first; filled below */
    for (int pass = 0; pass < 2; pass++) {
        const xp_sweep_kv *tab = pass ? s->grid : s->fixed;
        int n = pass ? s->ngrid : s->nfixed;
        for (int i = 0; i < n; i++) {
            char *v = tab[i].vals[pass ? idx[i] : 0];
            if (strcmp(tab[i].key, "op") == 0) {
                opname = v;
                continue;
            }
            if (strcmp(tab[i].key, "approx") == 0) {
                const char *plus = strchr(v, '+');
                a->argv[a->argc++] = "--gelu";
                a->argv[a->argc++] = own(a, dupf("%.*s", (int)(plus ? plus - v : (ptrdiff_t)strlen(v)), v));
                a->argv[a->argc++] = "--softmax";
                a->argv[a->argc++] = own(a, dupf("%s", plus ? plus + 1 : ""));
                continue;
            }
            a->argv[a->argc++] = own(a, dupf("--%s", tab[i].key));
            a->argv[a->argc++] = v;
        }
    }
    if (is_op) a->argv[0] = (char *)(opname ? opname : "");
    if (rep > 0) {
        const char *base = NULL;
        for (int i = 0; i + 1 < a->argc; i++)
            if (strcmp(a->argv[i], "--seed") == 0) base = a->argv[i + 1];
        /* The parser checked that BASE + repetitions - 1 fits. */
        unsigned long long b = strtoull(base ? base : "1", NULL, 10);
        a->argv[a->argc++] = "--seed";
        a->argv[a->argc++] = own(a, dupf("%llu", b + (unsigned)rep));
    }
    a->argv[a->argc] = NULL;
}

void xp_sweep_args_free(xp_sweep_args *a)
{
    for (int i = 0; i < a->nowned; i++) free(a->owned[i]);
    free(a->owned);
    free(a->argv);
    memset(a, 0, sizeof *a);
}

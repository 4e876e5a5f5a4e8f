/* xp_sweep.c -- declarative sweeps: `mpcsim sweep FILE [--list | --point K] [--out F]` and
 * `mpcsim merge OUT PART...`.
 *
 * Sweep file format (INI; ';' or '#' start comments; values are comma-separated lists in [grid]):
 *     [sweep]
 *     name = imdb            ; results/NAME.csv
 *     command = infer        ; infer or op
 *     repetitions = 1        ; each point runs this many times with seed = base seed + rep
 *     [fixed]                ; options given to every point: key = value  ->  --key value
 *     model = bert-base
 *     [grid]                 ; the cartesian product, first key varying slowest
 *     approx = gelu-erf+softmax, quad+2quad   ; 'approx = A+S' means --gelu A --softmax S
 *     net = lan, wan
 * For `op`, the key `op` names the op. Every point is validated (its options parsed exactly as the
 * command would) before anything runs; an error names the file, line and value, and nothing is
 * written. The output CSV has the columns sweep, point, rep, then the command's own columns; the
 * serial run, and `--list` + `merge`, produce the same bytes. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xp.h"
#include "xp_cmds.h"
#include "xp_schema.h"

enum { MAXKEYS = 32, MAXVALS = 64, MAXARGS = 96 };

typedef struct kv {
    char key[64];
    char *vals[MAXVALS];
    int nvals, line;
} kv;

typedef struct sweep {
    char path[512], name[128], command[16];
    int reps;
    kv fixed[MAXKEYS], grid[MAXKEYS];
    int nfixed, ngrid;
    size_t npoints;
} sweep;

static void sweep_free(sweep *s)
{
    for (int i = 0; i < s->nfixed; i++)
        for (int j = 0; j < s->fixed[i].nvals; j++) free(s->fixed[i].vals[j]);
    for (int i = 0; i < s->ngrid; i++)
        for (int j = 0; j < s->grid[i].nvals; j++) free(s->grid[i].vals[j]);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
    return s;
}

static int perr(const sweep *s, int line, const char *msg, const char *what)
{
    fprintf(stderr, "error: %s:%d: %s%s%s%s\n", s->path, line, msg, what ? " '" : "", what ? what : "", what ? "'" : "");
    return -1;
}

static int valid_name(const char *v)
{
    if (!*v) return 0;
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.') return 0;
    return 1;
}

static int parse_file(sweep *s, const char *path)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    s->reps = 1;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "error: cannot read sweep file '%s': %s\n", path, strerror(errno));
        return -1;
    }
    char buf[4096], section[32] = "";
    int line = 0, rc = 0;
    while (rc == 0 && fgets(buf, sizeof buf, f)) {
        line++;
        if (!strchr(buf, '\n') && !feof(f)) {
            rc = perr(s, line, "line too long", NULL);
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
                rc = perr(s, line, "malformed section header", c);
                break;
            }
            *e = 0;
            snprintf(section, sizeof section, "%s", trim(c + 1));
            if (strcmp(section, "sweep") && strcmp(section, "fixed") && strcmp(section, "grid"))
                rc = perr(s, line, "unknown section (sweep, fixed or grid)", section);
            continue;
        }
        char *eq = strchr(c, '=');
        if (!eq) {
            rc = perr(s, line, "expected 'key = value'", c);
            break;
        }
        *eq = 0;
        char *key = trim(c), *val = trim(eq + 1);
        if (!*section) {
            rc = perr(s, line, "key outside any section", key);
            break;
        }
        if (!*key || !*val) {
            rc = perr(s, line, "empty key or value", key);
            break;
        }
        for (char *p = key; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
                rc = perr(s, line, "invalid key", key);
                break;
            }
        if (rc) break;
        if (strcmp(section, "sweep") == 0) {
            if (strcmp(key, "name") == 0) {
                if (!valid_name(val)) rc = perr(s, line, "name must be letters, digits, '-', '_' or '.'", val);
                else snprintf(s->name, sizeof s->name, "%s", val);
            } else if (strcmp(key, "command") == 0) {
                if (strcmp(val, "infer") && strcmp(val, "op")) rc = perr(s, line, "command must be infer or op, not", val);
                else snprintf(s->command, sizeof s->command, "%s", val);
            } else if (strcmp(key, "repetitions") == 0) {
                char *end;
                long r = strtol(val, &end, 10);
                if (*end || r < 1 || r > 1000) rc = perr(s, line, "repetitions must be an integer in [1,1000], not", val);
                else s->reps = (int)r;
            } else {
                rc = perr(s, line, "unknown key in [sweep] (name, command, repetitions)", key);
            }
            continue;
        }
        kv *tab = strcmp(section, "fixed") == 0 ? s->fixed : s->grid;
        int *nt = strcmp(section, "fixed") == 0 ? &s->nfixed : &s->ngrid;
        for (int i = 0; i < s->nfixed; i++)
            if (strcmp(s->fixed[i].key, key) == 0) rc = perr(s, line, "duplicate key", key);
        for (int i = 0; i < s->ngrid; i++)
            if (strcmp(s->grid[i].key, key) == 0) rc = perr(s, line, "duplicate key", key);
        if (rc) break;
        if (*nt == MAXKEYS) {
            rc = perr(s, line, "too many keys", NULL);
            break;
        }
        kv *k = &tab[(*nt)++];
        snprintf(k->key, sizeof k->key, "%s", key);
        k->line = line;
        char *save = NULL;
        for (char *tok = strtok_r(val, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            char *t = trim(tok);
            if (!*t) {
                rc = perr(s, line, "empty value in list for", key);
                break;
            }
            if (k->nvals == MAXVALS) {
                rc = perr(s, line, "too many values for", key);
                break;
            }
            if (strcmp(section, "fixed") == 0 && k->nvals == 1) {
                rc = perr(s, line, "[fixed] takes one value (use [grid] for lists) for", key);
                break;
            }
            k->vals[k->nvals++] = strdup(t);
        }
    }
    fclose(f);
    if (rc == 0 && !s->name[0]) rc = perr(s, line, "[sweep] needs a name", NULL);
    if (rc == 0 && !s->command[0]) rc = perr(s, line, "[sweep] needs a command (infer or op)", NULL);
    if (rc == 0) {
        s->npoints = 1;
        for (int i = 0; i < s->ngrid; i++) s->npoints *= (size_t)s->grid[i].nvals;
    }
    if (rc) sweep_free(s);
    return rc;
}

/* Builds the argv of point p (index into the grid product); returns argc. Strings are owned by s
 * or by `store`. *bad_kv receives the key whose option was generated last for error mapping. */
static int point_args(const sweep *s, size_t p, int rep, char **argv, char store[][64], int *nstore)
{
    int argc = 0;
    *nstore = 0;
    const char *opname = NULL;
    size_t idx[MAXKEYS], rest = p;
    for (int i = s->ngrid - 1; i >= 0; i--) {
        idx[i] = rest % (size_t)s->grid[i].nvals;
        rest /= (size_t)s->grid[i].nvals;
    }
    for (int pass = 0; pass < 2; pass++) {
        const kv *tab = pass ? s->grid : s->fixed;
        int n = pass ? s->ngrid : s->nfixed;
        for (int i = 0; i < n; i++) {
            const char *v = tab[i].vals[pass ? idx[i] : 0];
            if (strcmp(tab[i].key, "op") == 0) {
                opname = v;
                continue;
            }
            if (strcmp(tab[i].key, "approx") == 0) {
                const char *plus = strchr(v, '+');
                char *a = store[(*nstore)++], *b = store[(*nstore)++];
                size_t la = plus ? (size_t)(plus - v) : strlen(v);
                snprintf(a, 64, "%.*s", (int)(la < 63 ? la : 63), v);
                snprintf(b, 64, "%s", plus ? plus + 1 : "");
                argv[argc++] = "--gelu";
                argv[argc++] = a;
                argv[argc++] = "--softmax";
                argv[argc++] = b;
                continue;
            }
            char *opt = store[(*nstore)++];
            snprintf(opt, 64, "--%.60s", tab[i].key);
            argv[argc++] = opt;
            argv[argc++] = (char *)v;
        }
    }
    if (strcmp(s->command, "op") == 0) {
        /* The op name goes first. */
        for (int i = argc; i > 0; i--) argv[i] = argv[i - 1];
        argv[0] = (char *)(opname ? opname : "");
        argc++;
    }
    if (rep > 0) {
        char *seed = store[(*nstore)++];
        const char *base = NULL;
        for (int i = 0; i + 1 < argc; i++)
            if (strcmp(argv[i], "--seed") == 0) base = argv[i + 1];
        snprintf(seed, 64, "%llu", (unsigned long long)(strtoull(base ? base : "1", NULL, 10) + (unsigned)rep));
        argv[argc++] = "--seed";
        argv[argc++] = seed;
    }
    argv[argc] = NULL;
    return argc;
}

static int run_command(const sweep *s, int argc, char **argv)
{
    return strcmp(s->command, "op") == 0 ? xp_cmd_op(argc, argv) : xp_cmd_infer(argc, argv);
}

/* Runs one point (or only checks it), appending "sweep,point,rep,<row>" to out (and the header if
 * want_header). Returns 0 or non-zero. */
static int run_point(const sweep *s, size_t p, int rep, FILE *out, int want_header, int check_only)
{
    char *argv[MAXARGS + 8], store[MAXARGS][64], tmp[600];
    int nstore, argc = point_args(s, p, rep, argv, store, &nstore);
    if (check_only) {
        argv[argc++] = "--check";
        argv[argc] = NULL;
        return run_command(s, argc, argv);
    }
    snprintf(tmp, sizeof tmp, "%s.point%zu.%d.tmp", s->name, p, rep);
    char path[700];
    snprintf(path, sizeof path, "/tmp/mpcsim_%d_%s", (int)getpid(), tmp);
    argv[argc++] = "--out";
    argv[argc++] = path;
    argv[argc] = NULL;
    int rc = run_command(s, argc, argv);
    if (rc != 0) return rc;
    FILE *f = fopen(path, "r");
    if (!f) return 1;
    char line[8192];
    int ln = 0;
    while (fgets(line, sizeof line, f)) {
        xp_rows w; /* the `sweep` schema's columns, then the command's line */
        if (ln == 0 && want_header) {
            xp_rows_open(&w, out, &xp_schema_sweep, XP_ROWS_PREFIX);
            fputs(line, out);
        }
        if (ln == 1) {
            xp_rows_open(&w, out, &xp_schema_sweep, XP_ROWS_PREFIX | XP_ROWS_NOHEADER);
            xp_rows_str(&w, "sweep", s->name);
            xp_rows_int(&w, "point", (int64_t)p);
            xp_rows_int(&w, "rep", rep);
            xp_rows_end(&w);
            fputs(line, out);
        }
        ln++;
    }
    fclose(f);
    remove(path);
    return ln == 2 ? 0 : 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mpcsim sweep FILE [--out FILE] [--list [--parts DIR]] [--point K [--out FILE]]\n"
               "       mpcsim merge OUT.csv PART.csv...\n\n"
               "Runs every point of a declarative sweep (see experiments/sweeps/*.ini and the README) and writes\n"
               "results/NAME.csv (columns: sweep, point, rep, then the command's columns). --list prints one\n"
               "independent command per point and repetition (for GNU parallel or a cluster); merge joins their\n"
               "outputs into exactly the CSV a serial run writes. Progress goes to stderr.\n");
}

int xp_cmd_sweep(int argc, char **argv)
{
    const char *file = NULL, *out = NULL, *parts = "results/parts", *v;
    int list = 0;
    long point = -1;
    for (int i = 0; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--list") == 0) {
            list = 1;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--out", 1, &out)) || (r = xp_arg(argc, argv, &i, "--parts", 1, &parts))) {
            if (r < 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--point", 1, &v))) {
            uint64_t k;
            if (r < 0 || xp_parse_u64("--point", v, 0, 1u << 30, &k) != 0) return 2;
            point = (long)k;
            continue;
        }
        if (argv[i][0] == '-' || file) {
            fprintf(stderr, "error: sweep: unexpected argument '%s' (see mpcsim sweep --help)\n", argv[i]);
            return 2;
        }
        file = argv[i];
    }
    if (!file) {
        fprintf(stderr, "error: sweep: which sweep file? (see experiments/sweeps/)\n");
        return 2;
    }
    sweep s;
    if (parse_file(&s, file) != 0) return 2;
    size_t total = s.npoints * (size_t)s.reps;
    /* Validate every point before running anything. */
    for (size_t p = 0; p < s.npoints; p++) {
        if (run_point(&s, p, 0, NULL, 0, 1) != 0) {
            fprintf(stderr, "error: %s: point %zu of the grid is invalid (see the message above; keys at lines", file, p);
            for (int i = 0; i < s.ngrid; i++) fprintf(stderr, " %d", s.grid[i].line);
            for (int i = 0; i < s.nfixed; i++) fprintf(stderr, " %d", s.fixed[i].line);
            fprintf(stderr, ")\n");
            sweep_free(&s);
            return 2;
        }
    }
    int rc = 0;
    if (list) {
        for (size_t k = 0; k < total; k++)
            printf("mpcsim sweep %s --point %zu --out %s/%s.%06zu.csv\n", file, k, parts, s.name, k);
        sweep_free(&s);
        return 0;
    }
    char defout[300];
    if (!out) {
        snprintf(defout, sizeof defout, "results/%s.csv", s.name);
        out = defout;
    }
    xp_out o;
    if (xp_out_open(&o, out) != 0) {
        sweep_free(&s);
        return 1;
    }
    for (size_t k = 0; k < total && rc == 0; k++) {
        if (point >= 0 && (size_t)point != k) continue;
        if (point >= 0 && (size_t)point >= total) break;
        fprintf(stderr, "sweep %s: point %zu/%zu\n", s.name, k + 1, total);
        rc = run_point(&s, k / (size_t)s.reps, (int)(k % (size_t)s.reps), o.f, point < 0 ? k == 0 : 1, 0);
    }
    if (point >= 0 && (size_t)point >= total) {
        fprintf(stderr, "error: --point %ld: the sweep has %zu points\n", point, total);
        rc = 2;
    }
    if (rc == 0) rc = xp_out_close(&o) == 0 ? 0 : 1;
    else {
        xp_out_abort(&o);
        fprintf(stderr, "error: sweep %s failed; nothing written to %s\n", s.name, out);
    }
    sweep_free(&s);
    return rc;
}

int xp_cmd_merge(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 2) {
        fprintf(stderr, "error: merge: usage: mpcsim merge OUT.csv PART.csv...\n");
        return 2;
    }
    /* Parts hold a header and one row each; rows are ordered by (point, rep) = the part's order key,
     * which the part names encode; sort the file names so shell globs in any order work. */
    int n = argc - 1;
    char **parts = malloc((size_t)n * sizeof *parts);
    for (int i = 0; i < n; i++) parts[i] = argv[i + 1];
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(parts[j - 1], parts[j]) > 0; j--) {
            char *t = parts[j];
            parts[j] = parts[j - 1];
            parts[j - 1] = t;
        }
    xp_out o;
    if (xp_out_open(&o, argv[0]) != 0) {
        free(parts);
        return 1;
    }
    char header[8192] = "", line[8192];
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        FILE *f = fopen(parts[i], "r");
        if (!f) {
            fprintf(stderr, "error: merge: cannot read '%s': %s\n", parts[i], strerror(errno));
            rc = 1;
            break;
        }
        int ln = 0;
        while (fgets(line, sizeof line, f)) {
            if (ln == 0) {
                if (i == 0) {
                    snprintf(header, sizeof header, "%s", line);
                    fputs(line, o.f);
                } else if (strcmp(header, line) != 0) {
                    fprintf(stderr, "error: merge: '%s' has a different header\n", parts[i]);
                    rc = 2;
                }
            } else {
                fputs(line, o.f);
            }
            ln++;
        }
        fclose(f);
        if (ln < 2 && rc == 0) {
            fprintf(stderr, "error: merge: '%s' has no data row\n", parts[i]);
            rc = 2;
        }
    }
    if (rc == 0) rc = xp_out_close(&o) == 0 ? 0 : 1;
    else xp_out_abort(&o);
    free(parts);
    return rc;
}

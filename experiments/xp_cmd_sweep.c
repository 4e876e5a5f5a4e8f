/* xp_cmd_sweep.c -- declarative sweeps: `mpcsim sweep FILE [--list | --point K] [--out F]` and
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
 *     protocol = crypten       ; any option of the command, e.g. the protocol family
 * For `op`, the key `op` names the op. Every point is validated (its options parsed exactly as the
 * command would) before anything runs; an error names the file, line and value, and nothing is
 * written. The output CSV has the columns sweep, point, rep, then the command's own columns; the
 * serial run, and `--list` + `merge`, produce the same bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xp.h"
#include "xp_cmds.h"
#include "xp_schema.h"
#include "xp_sweep.h"

typedef xp_sweep sweep;

static int parse_file(sweep *s, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "error: cannot read sweep file '%s': %s\n", path, strerror(errno));
        return -1;
    }
    char err[700];
    int rc = xp_sweep_parse(s, f, path, err, sizeof err);
    fclose(f);
    if (rc != 0) fprintf(stderr, "error: %s\n", err);
    return rc;
}

static int run_command(const sweep *s, int argc, char **argv)
{
    return strcmp(s->command, "op") == 0 ? xp_cmd_op(argc, argv) : xp_cmd_infer(argc, argv);
}

/* Runs one point (or only checks it), appending "sweep,point,rep,<row>" to out (and the header if
 * want_header). Returns 0 or non-zero. */
static int run_point(const sweep *s, size_t p, int rep, FILE *out, const char *tmpl, int want_header, int check_only)
{
    xp_sweep_args a;
    xp_sweep_point_args(s, p, rep, 2, &a);
    if (check_only) {
        xp_sweep_args_push(&a, "--check");
        int rc = run_command(s, a.argc, a.argv);
        xp_sweep_args_free(&a);
        return rc;
    }
    /* The point's CSV goes to a fresh file beside the output (mkstemp: unpredictable, exclusive). */
    size_t tl = strlen(tmpl);
    char *path = malloc(tl + 1);
    memcpy(path, tmpl, tl + 1);
    int fd = mkstemp(path);
    if (fd < 0) {
        fprintf(stderr, "error: sweep: cannot create a temporary file '%s': %s\n", tmpl, strerror(errno));
        free(path);
        xp_sweep_args_free(&a);
        return 1;
    }
    close(fd);
    xp_sweep_args_push(&a, "--out");
    xp_sweep_args_push(&a, path);
    int rc = run_command(s, a.argc, a.argv);
    xp_sweep_args_free(&a);
    FILE *f = rc == 0 ? fopen(path, "r") : NULL;
    if (rc == 0 && !f) rc = 1;
    if (f) {
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
        if (ln != 2) {
            fprintf(stderr, "error: sweep: point %zu wrote %d lines, expected a header and one row\n", p, ln);
            rc = 1;
        }
    }
    unlink(path);
    free(path);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mpcsim sweep FILE [--out FILE] [--list [--parts DIR]] [--point K [--out FILE]]\n"
               "       mpcsim merge OUT.csv PART.csv...\n\n"
               "Runs every point of a declarative sweep (see experiments/sweeps/*.ini and the README) and writes\n"
               "results/NAME.csv (columns: sweep, point, rep, then the command's columns). --list prints one\n"
               "independent command per point and repetition (for GNU parallel or a cluster); merge joins their\n"
               "outputs into exactly the CSV a serial run writes. Progress goes to stderr.\n\n"
               "Limits: a grid has at most %d points and a sweep at most %d runs (points times\n"
               "repetitions); at most %d keys per section and %d values per key; lines of at most 4095 bytes.\n"
               "Each point's CSV passes through a temporary file beside the output (mkstemp).\n",
            XP_SWEEP_MAX_POINTS, XP_SWEEP_MAX_RUNS, XP_SWEEP_MAX_KEYS, XP_SWEEP_MAX_VALS);
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
        if (run_point(&s, p, 0, NULL, NULL, 0, 1) != 0) {
            fprintf(stderr, "error: %s: point %zu of the grid is invalid (see the message above; keys at lines", file, p);
            for (int i = 0; i < s.ngrid; i++) fprintf(stderr, " %d", s.grid[i].line);
            for (int i = 0; i < s.nfixed; i++) fprintf(stderr, " %d", s.fixed[i].line);
            fprintf(stderr, ")\n");
            xp_sweep_free(&s);
            return 2;
        }
    }
    int rc = 0;
    if (list) {
        for (size_t k = 0; k < total; k++)
            printf("mpcsim sweep %s --point %zu --out %s/%s.%06zu.csv\n", file, k, parts, s.name, k);
        xp_sweep_free(&s);
        return 0;
    }
    char defout[300];
    if (!out) {
        snprintf(defout, sizeof defout, "results/%s.csv", s.name);
        out = defout;
    }
    xp_out o;
    if (xp_out_open(&o, out) != 0) {
        xp_sweep_free(&s);
        return 1;
    }
    /* Per-point temporaries beside the output (the current directory for stdout or a device). */
    char *tmpl;
    {
        const char *slash = o.of.tmp ? strrchr(out, '/') : NULL;
        size_t dl = slash ? (size_t)(slash - out) + 1 : 0;
        tmpl = malloc(dl + 32);
        memcpy(tmpl, out, dl);
        snprintf(tmpl + dl, 32, ".mpcsim-sweep-point.XXXXXX");
    }
    for (size_t k = 0; k < total && rc == 0; k++) {
        if (point >= 0 && (size_t)point != k) continue;
        if (point >= 0 && (size_t)point >= total) break;
        fprintf(stderr, "sweep %s: point %zu/%zu\n", s.name, k + 1, total);
        rc = run_point(&s, k / (size_t)s.reps, (int)(k % (size_t)s.reps), o.f, tmpl, point < 0 ? k == 0 : 1, 0);
    }
    free(tmpl);
    if (point >= 0 && (size_t)point >= total) {
        fprintf(stderr, "error: --point %ld: the sweep has %zu points\n", point, total);
        rc = 2;
    }
    if (rc == 0) rc = xp_out_close(&o) == 0 ? 0 : 1;
    else {
        xp_out_abort(&o);
        fprintf(stderr, "error: sweep %s failed; nothing written to %s\n", s.name, out);
    }
    xp_sweep_free(&s);
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

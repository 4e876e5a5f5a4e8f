/* xp_schema.h -- one schema per output, and the one row writer every command writes its CSV through.
 *
 * A schema is a table of columns: the name (with its unit as a suffix: _s seconds, _bytes, _bps, ...),
 * the unit spelled out, the value's kind and, for numbers with a fraction, the printf conversion, and
 * a one-line meaning. The writer fills a row cell by cell (by column name; a name that is not in the
 * schema, or a value of the wrong kind, is a programming error) and writes it as a CSV line or as a
 * name/value table. `mpcsim schema` prints the tables, and the README's schema section is their
 * Markdown form (tests/test_schema.c compares the two).
 *
 * Cells never set are written empty in CSV and as "-" in the table form. The project's CSVs have no
 * quoting: values must not contain commas or newlines. */
#ifndef XP_SCHEMA_H
#define XP_SCHEMA_H

#include <stdint.h>
#include <stdio.h>

typedef enum xp_kind { XP_STR, XP_UINT, XP_INT, XP_REAL } xp_kind;

typedef struct xp_col {
    const char *name;
    const char *unit;  /* "" when dimensionless */
    xp_kind kind;
    const char *fmt;   /* printf conversion of an XP_REAL (e.g. "%.9f"); NULL for other kinds */
    int optional;      /* written only when the writer is opened with XP_ROWS_OPTIONAL */
    const char *doc;
} xp_col;

typedef struct xp_schema {
    const char *name;   /* `mpcsim schema NAME` */
    const char *writer; /* which command or option writes it */
    const char *doc;    /* one sentence: what a row is */
    const xp_col *col;
    int ncol;
} xp_schema;

#define XP_SCHEMA_MAXCOL 40

/* Every schema, NULL-terminated, in the README's order. */
extern const xp_schema *const xp_schemas[];
extern const xp_schema xp_schema_infer, xp_schema_breakdown, xp_schema_timeline, xp_schema_op, xp_schema_sweep,
    xp_schema_explain, xp_schema_calibrate, xp_schema_ping, xp_schema_train, xp_schema_eval, xp_schema_eval_failures, xp_schema_bench,
    xp_schema_compute_profile, xp_schema_bench_kernels, xp_schema_bench_relay, xp_schema_bench_layer, xp_schema_bench_tcp_aead, xp_schema_bench_explorer,
    xp_schema_train_step,
    xp_schema_validation, xp_schema_validation_pcap, xp_schema_validation_hystart, xp_schema_validation_infer,
    xp_schema_validation_infer_compute, xp_schema_report_facts, xp_schema_plot_imdb,
    xp_schema_plot_heatmap, xp_schema_plot_network_bandwidth, xp_schema_plot_network_latency, xp_schema_plot_seq, xp_schema_plot_accuracy,
    xp_schema_infer_runtime, xp_schema_runtime_acc, xp_schema_deployed_fit, xp_schema_deployed_predictions;

const xp_schema *xp_schema_find(const char *name);
/* Column index of name, or -1. */
int xp_schema_col(const xp_schema *s, const char *name);
/* The CSV header line (with '\n'); optional columns only if with_optional. */
void xp_schema_header(FILE *f, const xp_schema *s, int with_optional);
/* The README's schema section (Markdown), one bullet per schema. */
void xp_schema_markdown(FILE *f);
/* One schema as a table: column, unit, format, meaning. */
void xp_schema_describe(FILE *f, const xp_schema *s);

enum {
    XP_ROWS_CSV = 0,
    XP_ROWS_TABLE = 1,     /* "name<pad> value" lines, a blank line between rows */
    XP_ROWS_OPTIONAL = 2,  /* include the optional columns */
    XP_ROWS_NOHEADER = 4,  /* CSV without the header line */
    XP_ROWS_PREFIX = 8,    /* CSV whose lines end in ',' (the first columns of a longer line) */
};

typedef struct xp_rows {
    FILE *f;
    const xp_schema *s;
    int flags;
    long nrows;
    char *cell[XP_SCHEMA_MAXCOL]; /* NULL = not set */
} xp_rows;

/* Starts writing rows of schema s to f; in CSV form the header is written now. */
void xp_rows_open(xp_rows *w, FILE *f, const xp_schema *s, int flags);
void xp_rows_str(xp_rows *w, const char *col, const char *v);
void xp_rows_uint(xp_rows *w, const char *col, uint64_t v);
void xp_rows_int(xp_rows *w, const char *col, int64_t v);
void xp_rows_real(xp_rows *w, const char *col, double v);
/* Writes the row and clears the cells. */
void xp_rows_end(xp_rows *w);
/* Releases cells of an unfinished row (nothing is written). */
void xp_rows_close(xp_rows *w);

#endif

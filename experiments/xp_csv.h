/* xp_csv.h -- a small reader for the project's own CSV files (no quoting; '#' lines are comments):
 * a table of strings with column lookup by name. For the report generator. */
#ifndef XP_CSV_H
#define XP_CSV_H

#include <stddef.h>

typedef struct xp_csv {
    char **cell;   /* rows x cols, row-major; row 0 is the header */
    size_t rows, cols;
    char *buf;
} xp_csv;

/* Returns 0, or -1 with a message naming the file (and the line for ragged rows). */
int xp_csv_load(xp_csv *t, const char *path);
void xp_csv_free(xp_csv *t);
/* Column index of name, or -1. */
int xp_csv_col(const xp_csv *t, const char *name);
/* Cell (row >= 1 for data); "" when out of range. */
const char *xp_csv_get(const xp_csv *t, size_t row, const char *col);
double xp_csv_num(const xp_csv *t, size_t row, const char *col);

#endif

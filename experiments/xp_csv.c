/* xp_csv.c -- see xp_csv.h. */
#include "xp_csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/chk.h"

int xp_csv_load(xp_csv *t, const char *path)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "error: cannot read '%s': %s\n", path, strerror(errno));
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    t->buf = chk_malloc((size_t)n + 1);
    size_t got = fread(t->buf, 1, (size_t)n, f);
    fclose(f);
    t->buf[got] = 0;
    size_t cap = 0, line = 0;
    char *save = NULL;
    for (char *ln = strtok_r(t->buf, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        line++;
        size_t len = strlen(ln);
        if (len && ln[len - 1] == '\r') ln[--len] = 0;
        if (!len || ln[0] == '#') continue;
        size_t ncols = 1;
        for (char *p = ln; *p; p++) ncols += *p == ',';
        if (t->rows == 0) t->cols = ncols;
        else if (ncols != t->cols) {
            fprintf(stderr, "error: %s:%zu: %zu fields, the header has %zu\n", path, line, ncols, t->cols);
            xp_csv_free(t);
            return -1;
        }
        if ((t->rows + 1) * t->cols > cap) {
            cap = 2 * (t->rows + 1) * t->cols + 64;
            t->cell = realloc(t->cell, cap * sizeof *t->cell);
            CHECK(t->cell != NULL, "out of memory");
        }
        char *p = ln;
        for (size_t c = 0; c < t->cols; c++) {
            t->cell[t->rows * t->cols + c] = p;
            char *comma = strchr(p, ',');
            if (comma) {
                *comma = 0;
                p = comma + 1;
            }
        }
        t->rows++;
    }
    if (t->rows == 0) {
        fprintf(stderr, "error: %s: empty CSV\n", path);
        xp_csv_free(t);
        return -1;
    }
    return 0;
}

void xp_csv_free(xp_csv *t)
{
    free(t->cell);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

int xp_csv_col(const xp_csv *t, const char *name)
{
    for (size_t c = 0; c < t->cols; c++)
        if (strcmp(t->cell[c], name) == 0) return (int)c;
    return -1;
}

const char *xp_csv_get(const xp_csv *t, size_t row, const char *col)
{
    int c = xp_csv_col(t, col);
    if (c < 0 || row >= t->rows) return "";
    return t->cell[row * t->cols + (size_t)c];
}

double xp_csv_num(const xp_csv *t, size_t row, const char *col)
{
    const char *s = xp_csv_get(t, row, col);
    char *end;
    double v = strtod(s, &end);
    return *s && !*end ? v : NAN;
}

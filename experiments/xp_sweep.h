/* xp_sweep.h -- the sweep file parser and the argv of one point (used by `mpcsim sweep` and by the
 * fuzz target fuzz/fuzz_sweep.c). The file format is described in xp_cmd_sweep.c.
 *
 * Bounds, all refused with a message naming the file and line: lines of at most 4095 bytes, keys of
 * at most 63 characters, at most XP_SWEEP_MAX_KEYS keys per section, XP_SWEEP_MAX_VALS values per
 * key, and grids of at most XP_SWEEP_MAX_POINTS points and XP_SWEEP_MAX_RUNS runs (points times
 * repetitions); a product that would overflow is refused before it is formed. */
#ifndef XP_SWEEP_H
#define XP_SWEEP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
    XP_SWEEP_MAX_KEYS = 32,
    XP_SWEEP_MAX_VALS = 64,
    XP_SWEEP_MAX_POINTS = 10000,
    XP_SWEEP_MAX_RUNS = 100000,
};

typedef struct xp_sweep_kv {
    char key[64];
    char *vals[XP_SWEEP_MAX_VALS];
    int nvals, line;
} xp_sweep_kv;

typedef struct xp_sweep {
    char path[512], name[128], command[16];
    int reps;
    xp_sweep_kv fixed[XP_SWEEP_MAX_KEYS], grid[XP_SWEEP_MAX_KEYS];
    int nfixed, ngrid;
    size_t npoints; /* the grid product, <= XP_SWEEP_MAX_POINTS */
} xp_sweep;

/* Parses the sweep file read from f (path names it in messages). Returns 0, or -1 with
 * "PATH:LINE: what is wrong 'value'" in err (nothing to free then). */
int xp_sweep_parse(xp_sweep *s, FILE *f, const char *path, char *err, size_t errlen);
void xp_sweep_free(xp_sweep *s);

/* The argv of one run: point p (< npoints; first grid key varying slowest), repetition rep (rep > 0
 * adds --seed BASE+rep), with `extra` free slots at the end for the caller; argv[argc] is NULL. */
typedef struct xp_sweep_args {
    char **argv;
    int argc, cap;
    char **owned; /* strings allocated for this argv */
    int nowned;
} xp_sweep_args;
void xp_sweep_point_args(const xp_sweep *s, size_t p, int rep, int extra, xp_sweep_args *a);
/* Appends one argument (borrowed) into a free slot reserved with `extra`. */
void xp_sweep_args_push(xp_sweep_args *a, char *arg);
void xp_sweep_args_free(xp_sweep_args *a);

#endif

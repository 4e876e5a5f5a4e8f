/* xp_out.h -- CSV output written atomically (mkstemp temporary, then rename: common/ofile.h), or to
 * stdout. With the result schemas (xp_schema.h) it forms the results library (mpc_results), which
 * depends on common/ only: the commands and the benchmarks write their CSVs through it. */
#ifndef XP_OUT_H
#define XP_OUT_H

#include <stdio.h>

#include "../common/ofile.h"

typedef struct xp_out {
    FILE *f;  /* stdout, or of.f */
    ofile of; /* zeroed when writing to stdout */
} xp_out;

/* Opens a temporary beside PATH (common/ofile.h), or stdout when path is NULL or "-". Returns 0 or -1
 * (message printed). */
int xp_out_open(xp_out *o, const char *path);
/* Flushes, closes and renames to the final name; on failure removes the temporary. */
int xp_out_close(xp_out *o);
/* Abandons the output: nothing is left at the final path. */
void xp_out_abort(xp_out *o);

#endif

/* xp_out.c -- CSV output written atomically. See xp_out.h. */
#include "xp_out.h"

#include <string.h>

int xp_out_open(xp_out *o, const char *path)
{
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    char err[700];
    if (ofile_open(&o->of, path, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return -1;
    }
    o->f = o->of.f;
    return 0;
}

int xp_out_close(xp_out *o)
{
    int rc = 0;
    if (!o->f) return -1;
    if (!o->of.f) {
        if (fflush(o->f) != 0 || ferror(o->f)) {
            fprintf(stderr, "error: writing the standard output failed\n");
            rc = -1;
        }
    } else {
        char err[700];
        if (ofile_commit(&o->of, err, sizeof err) != 0) {
            fprintf(stderr, "error: %s\n", err);
            rc = -1;
        }
    }
    memset(o, 0, sizeof *o);
    return rc;
}

void xp_out_abort(xp_out *o)
{
    if (o->of.f) ofile_abort(&o->of);
    memset(o, 0, sizeof *o);
}

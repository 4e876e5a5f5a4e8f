/* ofile.c -- output files written to a mkstemp temporary and renamed into place. See ofile.h. */
#define _DEFAULT_SOURCE
#include "ofile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chk.h"

int ofile_open(ofile *o, const char *path, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) return chk_errf(err, errlen, -1, "cannot write '%s': it is a directory", path);
        o->f = fopen(path, "w");
        if (!o->f) return chk_errf(err, errlen, -1, "cannot write '%s': %s", path, strerror(errno));
        o->path = chk_malloc(strlen(path) + 1);
        strcpy(o->path, path);
        return 0;
    }
    size_t n = strlen(path);
    char *tmp = chk_malloc(n + 8);
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".XXXXXX", 8);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return chk_errf(err, errlen, -1, "cannot write '%s': %s", path, strerror(e));
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || !(o->f = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        return chk_errf(err, errlen, -1, "cannot write '%s': %s", path, strerror(e));
    }
    o->tmp = tmp;
    o->path = chk_malloc(n + 1);
    memcpy(o->path, path, n + 1);
    return 0;
}

static void release(ofile *o)
{
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof *o);
}

int ofile_commit(ofile *o, char *err, size_t errlen)
{
    if (!o->f) return chk_errf(err, errlen, -1, "output file not open");
    const char *what = NULL;
    int e = 0;
    if (ferror(o->f)) what = "a write failed", e = EIO;
    else if (fflush(o->f) != 0) what = "flush", e = errno;
    if (fclose(o->f) != 0 && !what) what = "close", e = errno;
    o->f = NULL;
    if (!what && o->tmp && rename(o->tmp, o->path) != 0) what = "rename into place", e = errno;
    int rc = 0;
    if (what) {
        if (o->tmp) unlink(o->tmp);
        rc = chk_errf(err, errlen, -1, "writing '%s' failed (%s): %s", o->path, what, strerror(e ? e : EIO));
    }
    release(o);
    return rc;
}

void ofile_abort(ofile *o)
{
    if (o->f) fclose(o->f);
    if (o->tmp) unlink(o->tmp);
    release(o);
}

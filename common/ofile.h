/* ofile.h -- output files that appear whole or not at all.
 *
 * ofile_open creates a temporary with mkstemp in PATH's own directory ("PATH.XXXXXX": an
 * unpredictable name, created exclusively, so no symlink planted in advance is followed; mode
 * 0666 & ~umask as fopen would give). ofile_commit checks every write (the stream's error flag, the
 * final flush, fsync and close) and only then renames the temporary to PATH; on any failure, and in
 * ofile_abort, the temporary is removed and nothing appears at PATH. An existing non-regular PATH
 * (/dev/null, /dev/full, a FIFO, a terminal) is written in place: renaming over it would replace a
 * device by a regular file. */
#ifndef OFILE_H
#define OFILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct ofile {
    FILE *f;
    char *path, *tmp; /* tmp is NULL when writing a device in place */
} ofile;

/* Returns 0, or -1 with "cannot write 'PATH': reason" in err. */
int ofile_open(ofile *o, const char *path, char *err, size_t errlen);
/* Returns 0, or -1 with "writing 'PATH' failed: reason" in err (nothing left at PATH then). */
int ofile_commit(ofile *o, char *err, size_t errlen);
/* Closes and removes the temporary. Aborting a zeroed or already closed ofile is a no-op. */
void ofile_abort(ofile *o);

#endif

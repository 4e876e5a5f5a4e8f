/* testutil.h -- helpers shared by the Criterion tests: run the mpcsim binary, temp paths, files. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>

typedef struct tu_run {
    int status;   /* exit code, or 128+signal */
    char *out;    /* captured stdout (NUL-terminated, malloc'd) */
    char *err;    /* captured stderr */
} tu_run;

/* Runs `MPCSIM_BIN args...` (args is a shell-quoted string) and captures both streams. */
tu_run tu_mpcsim(const char *args);
void tu_run_free(tu_run *r);

/* A fresh empty directory under /tmp (malloc'd path). */
char *tu_tmpdir(void);
/* Whole file contents (malloc'd, NUL-terminated); NULL if unreadable. */
char *tu_read_file(const char *path, size_t *len);
int tu_file_exists(const char *path);

#endif

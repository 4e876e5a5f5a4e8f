/* testutil.c -- see testutil.h. */
#define _GNU_SOURCE
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    if (len) *len = got;
    return buf;
}

int tu_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *tu_tmpdir(void)
{
    char tmpl[] = "/tmp/mpcsim_test_XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

tu_run tu_mpcsim(const char *args)
{
    tu_run r = {0};
    char *dir = tu_tmpdir();
    char cmd[8192], outp[512], errp[512];
    snprintf(outp, sizeof outp, "%s/out", dir);
    snprintf(errp, sizeof errp, "%s/err", dir);
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s", MPCSIM_BIN, args, outp, errp);
    int st = system(cmd);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    r.out = tu_read_file(outp, NULL);
    r.err = tu_read_file(errp, NULL);
    if (!r.out) r.out = strdup("");
    if (!r.err) r.err = strdup("");
    remove(outp);
    remove(errp);
    rmdir(dir);
    free(dir);
    return r;
}

void tu_run_free(tu_run *r)
{
    free(r->out);
    free(r->err);
}

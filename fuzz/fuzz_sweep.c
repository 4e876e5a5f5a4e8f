/* fuzz_sweep.c -- libFuzzer target for the sweep file parser (experiments/xp_sweep.c).
 *
 * Each input is parsed as a sweep file. Beyond the sanitizers (ASan, UBSan with no recovery) it
 * checks the parser's contract: a rejected file has a message naming the file and line and leaves
 * nothing to free; an accepted one has a name, a command, 1..64 values a key and a grid within the
 * point and run limits, and the argv of its first and last runs is NULL-terminated and made of
 * non-NULL strings. Build and run with scripts/fuzz.sh sweep (seeds: experiments/sweeps/). */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../experiments/xp_sweep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUST(cond) do { if (!(cond)) abort(); } while (0)

static void check_args(const xp_sweep *s, size_t p, int rep)
{
    xp_sweep_args a;
    xp_sweep_point_args(s, p, rep, 2, &a);
    xp_sweep_args_push(&a, "--out");
    xp_sweep_args_push(&a, "x.csv");
    MUST(a.argc <= a.cap - 1 && a.argv[a.argc] == NULL);
    for (int i = 0; i < a.argc; i++) MUST(a.argv[i] != NULL);
    xp_sweep_args_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0; /* fmemopen needs a non-empty buffer */
    FILE *f = fmemopen((void *)data, size, "r");
    MUST(f != NULL);
    xp_sweep s;
    char err[700] = "";
    int rc = xp_sweep_parse(&s, f, "fuzz.ini", err, sizeof err);
    fclose(f);
    if (rc != 0) {
        MUST(rc == -1 && strncmp(err, "fuzz.ini:", 9) == 0);
        MUST(s.nfixed == 0 && s.ngrid == 0);
        return 0;
    }
    MUST(s.name[0] && s.command[0] && s.reps >= 1 && s.reps <= 1000);
    MUST(s.npoints >= 1 && s.npoints <= XP_SWEEP_MAX_POINTS && s.npoints * (size_t)s.reps <= XP_SWEEP_MAX_RUNS);
    for (int i = 0; i < s.nfixed; i++) MUST(s.fixed[i].nvals == 1);
    for (int i = 0; i < s.ngrid; i++) MUST(s.grid[i].nvals >= 1 && s.grid[i].nvals <= XP_SWEEP_MAX_VALS);
    check_args(&s, 0, 0);
    check_args(&s, s.npoints - 1, s.reps - 1);
    xp_sweep_free(&s);
    return 0;
}

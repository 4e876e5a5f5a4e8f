/* test_calibrate.c -- the `paper` network profile is the least-squares fit that `mpcsim calibrate`
 * computes from our exact per-operator costs and MPCFormer's reported communication times (read from
 * paper/paper_operators.csv only); and every operator's predicted time stays within 5% of the paper's
 * (the fit explains all five numbers). */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <unistd.h>

#include "../netmodel/nm.h"
#include "testutil.h"

Test(calibrate, paper_profile_is_the_fit, .timeout = 300)
{
    tu_run r = tu_mpcsim("calibrate --paper " MPCSIM_SOURCE_DIR "/paper/paper_operators.csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    const nm_profile *p = nm_profile_find("paper");
    cr_assert(p != NULL);
    char *line = strtok(r.out, "\n"); /* header */
    int n = 0;
    while ((line = strtok(NULL, "\n"))) {
        char op[32];
        double rounds, bytes, paper, pred, bw, lat;
        cr_assert_eq(sscanf(line, "%31[^,],%lf,%lf,%lf,%lf,%lf,%lf", op, &rounds, &bytes, &paper, &pred, &bw, &lat), 7,
                     "row: %s", line);
        cr_expect(fabs(pred - paper) / paper < 0.05, "%s: predicted %.3f s, paper %.1f s", op, pred, paper);
        cr_expect(fabs(bw - (double)p->bps) / bw < 0.001, "fitted bandwidth %.0f vs profile %llu", bw,
                  (unsigned long long)p->bps);
        cr_expect(fabs(lat * 1e9 - (double)p->latency_ns) < 1000, "fitted latency %.6f s vs profile", lat);
        n++;
    }
    cr_expect_eq(n, 5);
    tu_run_free(&r);
}

/* The paper's numbers come from the file: change one and the fit and its row move; a file without an
 * operator is refused by name. */
Test(calibrate, paper_times_are_read_from_the_csv, .timeout = 300)
{
    char *dir = tu_tmpdir(), path[512], cmd[600];
    snprintf(path, sizeof path, "%s/ops.csv", dir);
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL);
    fprintf(f, "function,total_s,comm_s\ngelu,11,9.6\nquad,0.5,0.4\nsoftmax,40,68.2\n2relu,14.7,12.8\n2quad,3.2,1.7\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "calibrate --paper %s", path);
    tu_run r = tu_mpcsim(cmd);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "\nsoftmax,1632,25142427648,68.2,") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, ",6210972487,") == NULL, "the fit should move with the paper's numbers: %s", r.out);
    tu_run_free(&r);
    f = fopen(path, "w");
    fprintf(f, "function,total_s,comm_s\ngelu,11,9.6\nquad,0.5,0.4\nsoftmax,40,34.1\n2relu,14.7,12.8\n");
    fclose(f);
    r = tu_mpcsim(cmd);
    cr_expect_neq(r.status, 0);
    cr_expect(strstr(r.err, "'2quad'") != NULL, "%s", r.err);
    tu_run_free(&r);
    remove(path);
    rmdir(dir);
    free(dir);
}

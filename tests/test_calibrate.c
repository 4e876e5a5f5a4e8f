/* test_calibrate.c -- the `paper` network profile is the least-squares fit that `mpcsim calibrate`
 * computes from our exact per-operator costs and MPCFormer's reported communication times; and every
 * operator's predicted time stays within 5% of the paper's (the fit explains all five numbers). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../netmodel/nm.h"
#include "testutil.h"

Test(calibrate, paper_profile_is_the_fit, .timeout = 300)
{
    tu_run r = tu_mpcsim("calibrate");
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

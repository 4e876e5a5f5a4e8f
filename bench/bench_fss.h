/* bench_fss.h -- the fss family's rows of bench/bench.c. */
#ifndef BENCH_FSS_H
#define BENCH_FSS_H

#include <stdio.h>

/* Appends rows to f in bench.csv's columns (op,shape,mode,reps,wall_s_median,wall_s_min,rounds,
 * online_sent_bytes_p0,dealer_bytes). MPCSIM_BENCH_FSS_ONLY=GROUPS (comma list of dcf, dpf, example,
 * gates) keeps only those groups, and bench.c then runs no crypten op. */
void bench_fss_rows(FILE *f);

#endif

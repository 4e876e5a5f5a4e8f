/* bench_fss.h -- the fss family's rows of bench/bench.c. */
#ifndef BENCH_FSS_H
#define BENCH_FSS_H

#include <stdio.h>

/* Appends rows to f in bench.csv's columns (op,shape,mode,reps,wall_s_median,wall_s_min,rounds,
 * online_sent_bytes_p0,dealer_bytes). */
void bench_fss_rows(FILE *f);

#endif

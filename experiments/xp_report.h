/* xp_report.h -- sections of the generated report (mpcsim report) that live in their own files. */
#ifndef XP_REPORT_H
#define XP_REPORT_H

#include <stdio.h>

#include "xp_csv.h"

/* The accuracy section from DIR/accuracy.csv and DIR/accuracy_latency.csv (scripts/accuracy.sh),
 * beside the paper's IMDb table p_imdb; writes DIR/plot_accuracy.csv. A missing input is said
 * in the text. */
void xp_report_accuracy(FILE *f, const char *dir, const xp_csv *p_imdb);

#endif

/* xp_report.h -- sections of the generated report (mpcsim report) that live in their own files. */
#ifndef XP_REPORT_H
#define XP_REPORT_H

#include <stdio.h>

#include "xp_csv.h"

/* The paper's six approximations (activation, attention), the teacher's first. */
extern const char *const xp_report_approx6[6][2];
/* "GeLU+2Quad" for ("gelu-erf", "2quad"); other names as given. Returns buf. */
const char *xp_report_pretty(const char *g, const char *s, char *buf, size_t n);

/* The accuracy section from DIR/accuracy.csv and DIR/accuracy_latency.csv (scripts/accuracy.sh),
 * beside the paper's IMDb table p_imdb; writes DIR/plot_accuracy.csv. A missing input is said
 * in the text. */
void xp_report_accuracy(FILE *f, const char *dir, const xp_csv *p_imdb);

/* The deployed-runtime section (xp_report_deployed.c) from DIR/deployed_*.csv. */
void xp_report_deployed(FILE *f, const char *dir);

#endif

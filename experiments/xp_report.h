/* xp_report.h -- the generated report (mpcsim report) in two steps.
 *
 * derive: every number, word of comparison and table cell the report states is computed from
 *   the results CSVs and paper/paper_NAME.csv into a flat list of facts (key, value as printed, source),
 *   written to results/report_facts.csv (schema report_facts), together with the plot data files
 *   (results/plot_NAME.csv), whose names are facts too (plot.NAME).
 * render: paper/REPORT.md.in is the report's text with named placeholders, filled from the facts:
 *     {{key}}                        the fact's value (a missing key is an error naming it)
 *     {{#if key}} A {{#else}} B {{/if}}  A if the fact exists and is neither "" nor "0", else B
 *     {{#each list}} ... {{/each}}   repeated for i = 1..list.n, with {{.field}} = list.i.field
 *   A block tag alone on its line takes the line with it. */
#ifndef XP_REPORT_H
#define XP_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "xp_csv.h"

typedef struct xp_fact_entry {
    char *key, *value, *source;
} xp_fact_entry;

typedef struct xp_facts {
    xp_fact_entry *f;
    size_t n, cap;
} xp_facts;

/* Sets key (printf-formatted value). A key set twice, or a value with a comma or newline, is a
 * programming error. */
void xp_fact(xp_facts *F, const char *source, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A number through fmt, or "n/a" for NaN. */
void xp_fact_num(xp_facts *F, const char *source, const char *key, const char *fmt, double v);
/* Row i (from 1) of list: key "list.i.field"; and the count "list.n" with xp_fact_count. */
void xp_fact_row(xp_facts *F, const char *source, const char *list, size_t i, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void xp_fact_count(xp_facts *F, const char *list, size_t n);
const char *xp_fact_get(const xp_facts *F, const char *key); /* NULL if unset */
/* Writes the facts (schema report_facts) to path; returns 0 or -1 (message printed). */
int xp_facts_write(const xp_facts *F, const char *path);
int xp_facts_load(xp_facts *F, const char *path);
void xp_facts_free(xp_facts *F);

/* Renders template text (named tname in messages) to out. Returns 0, or -1 with err naming the
 * template line and the problem (unknown key, unbalanced block). */
int xp_render(FILE *out, const char *tmpl, const xp_facts *F, const char *tname, char *err, size_t errlen);

/* The paper's six approximations (activation, attention), the teacher's first. */
extern const char *const xp_report_approx6[6][2];
/* "GeLU+2Quad" for ("gelu-erf", "2quad"); other names as given. Returns buf. */
const char *xp_report_pretty(const char *g, const char *s, char *buf, size_t n);
/* Loads DIR/NAME if it exists (else t is empty and -1 is returned, silently). */
int xp_report_load_opt(xp_csv *t, const char *dir, const char *name);

/* The derive step's sections; each reads its inputs and adds facts (and writes plot files into dir).
 * A missing input leaves its `have.*` fact 0 and the template says so. */
void xp_derive_settings(xp_facts *F);
void xp_derive_latency(xp_facts *F, const char *dir, const char *pdir);
void xp_derive_accuracy(xp_facts *F, const char *dir, const xp_csv *p_imdb);
/* MPCFormer's approximations under `crypten` and `fss`, and the fss family against SIGMA (xp_report_fss.c). */
void xp_derive_fss(xp_facts *F, const char *dir);
void xp_derive_validation(xp_facts *F, const char *dir);
/* Whole inferences over real TCP against the packet model with calibrated compute (xp_report_valinfer.c):
 * DIR/validation_infer.csv and validation_infer_compute.csv (INFER=1 scripts/validate.sh): facts valinf.*. */
void xp_derive_validation_infer(xp_facts *F, const char *dir);

/* The deployed-runtime section (xp_report_deployed.c) from DIR/deployed_*.csv: facts dep.*. */
void xp_derive_deployed(xp_facts *F, const char *dir);

#endif

/* xp_cmd_report.c -- `mpcsim report`: the generated reproduction report, in two steps (xp_report.h).
 *
 * derive: reads results/{calibration,paper_imdb,paper_glue,paper_models,whatif_network,whatif_seq,deployed_*,
 *   whatif_dealer,validation,validation_hystart,validation_pcap,validation_infer,validation_infer_compute,accuracy,
 *   accuracy_latency}.csv, the
 *   results/breakdown_APPROX.csv files and paper/paper_{imdb,glue,operators,claims}.csv; writes every
 *   fact the report states to results/report_facts.csv and the plot data to results/plot_NAME.csv.
 * render: fills paper/REPORT.md.in from results/report_facts.csv into paper/REPORT.md.
 * Missing inputs are said in the text (the template's {{#if have.*}} blocks), never invented. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xp.h"
#include "xp_cmds.h"
#include "xp_report.h"
#include "xp_safety.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "error: report: cannot read '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    enum { MAX = 4 << 20 };
    char *b = chk_malloc(MAX + 1);
    size_t n = fread(b, 1, MAX + 1, f);
    fclose(f);
    if (n > MAX) {
        fprintf(stderr, "error: report: template '%s' is over %d bytes\n", path, MAX);
        free(b);
        return NULL;
    }
    b[n] = 0;
    return b;
}

int xp_cmd_report(int argc, char **argv)
{
    const char *dir = "results", *out = "paper/REPORT.md", *pdir = "paper", *tmpl = NULL;
    int derive = 1, render = 1;
    for (int i = 0; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: mpcsim report [--results DIR] [--paper DIR] [--out FILE] [--template FILE]\n"
                   "                     [--derive | --render]\n"
                   "Two steps (both by default):\n"
                   "  --derive  every number, comparison and table cell the report states, from DIR/*.csv\n"
                   "            (default results) and the paper's numbers (--paper DIR/paper_*.csv, default\n"
                   "            paper), into DIR/report_facts.csv (key, value, source); and the plot data\n"
                   "            DIR/plot_*.csv (named in the facts as plot.NAME)\n"
                   "  --render  fills the template (default PAPER_DIR/REPORT.md.in: {{key}}, {{#if key}},\n"
                   "            {{#each list}}) from DIR/report_facts.csv into --out (default paper/REPORT.md)\n");
            return 0;
        }
        if (strcmp(argv[i], "--derive") == 0 || strcmp(argv[i], "--render") == 0) {
            derive = argv[i][2] == 'd', render = argv[i][2] == 'r';
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--results", 1, &dir)) || (r = xp_arg(argc, argv, &i, "--out", 1, &out)) ||
            (r = xp_arg(argc, argv, &i, "--paper", 1, &pdir)) || (r = xp_arg(argc, argv, &i, "--template", 1, &tmpl))) {
            if (r < 0) return 2;
            continue;
        }
        fprintf(stderr, "error: report: unknown option '%s'\n", argv[i]);
        return 2;
    }
    char facts_path[600], tpath[600];
    snprintf(facts_path, sizeof facts_path, "%s/report_facts.csv", dir);
    if (derive) {
        static const char *const need[] = {"paper_imdb.csv", "paper_glue.csv", "paper_operators.csv", "paper_claims.csv"};
        for (size_t k = 0; k < sizeof need / sizeof *need; k++) {
            char p[600];
            snprintf(p, sizeof p, "%s/%s", pdir, need[k]);
            FILE *f = fopen(p, "r");
            if (!f) {
                fprintf(stderr, "error: report: the paper's numbers (%s) are missing\n", p);
                return 1;
            }
            fclose(f);
        }
        xp_facts F = {0};
        xp_derive_settings(&F);
        xp_derive_latency(&F, dir, pdir);
        xp_derive_safety(&F, dir);
        xp_derive_deployed(&F, dir);
        xp_derive_validation(&F, dir);
        xp_derive_validation_infer(&F, dir);
        int rc = xp_facts_write(&F, facts_path);
        if (rc == 0) fprintf(stderr, "report: %zu facts -> %s\n", F.n, facts_path);
        xp_facts_free(&F);
        if (rc != 0) return 1;
    }
    if (!render) return 0;
    if (!tmpl) {
        snprintf(tpath, sizeof tpath, "%s/REPORT.md.in", pdir);
        tmpl = tpath;
    }
    xp_facts F;
    if (xp_facts_load(&F, facts_path) != 0) return 1;
    char *text = slurp(tmpl);
    if (!text) {
        xp_facts_free(&F);
        return 1;
    }
    xp_out o;
    int rc = xp_out_open(&o, out);
    if (rc == 0) {
        char err[512];
        if (xp_render(o.f, text, &F, tmpl, err, sizeof err) != 0) {
            fprintf(stderr, "error: report: %s\n", err);
            xp_out_abort(&o);
            rc = -1;
        } else {
            rc = xp_out_close(&o);
        }
    }
    free(text);
    xp_facts_free(&F);
    if (rc == 0) fprintf(stderr, "report: wrote %s\n", out);
    return rc == 0 ? 0 : 1;
}

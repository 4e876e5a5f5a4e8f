/* test_schema.c -- one schema per output (experiments/xp_schema.h): the README's schema section is the
 * tables' Markdown, every command's CSV header is its schema's, and the row writer's forms. */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../experiments/xp_schema.h"
#include "testutil.h"

static char *memfile_text(void (*fill)(FILE *f, const void *ud), const void *ud)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert(f != NULL);
    fill(f, ud);
    fclose(f);
    return buf;
}

static void fill_markdown(FILE *f, const void *ud)
{
    (void)ud;
    xp_schema_markdown(f);
}

static void fill_header(FILE *f, const void *ud)
{
    xp_schema_header(f, ud, 0);
}

Test(schema, readme_section_is_generated_from_the_tables)
{
    char *readme = tu_read_file(MPCSIM_SOURCE_DIR "/README.md", NULL);
    cr_assert(readme != NULL);
    const char *b = strstr(readme, "<!-- schema:begin"), *e = strstr(readme, "<!-- schema:end -->");
    cr_assert(b && e && e > b, "README.md has no schema:begin/end block");
    b = strchr(b, '\n') + 1;
    char *want = memfile_text(fill_markdown, NULL);
    size_t n = (size_t)(e - b);
    cr_expect(n == strlen(want) && memcmp(b, want, n) == 0,
              "README.md's schema block differs from `mpcsim schema --markdown`; regenerate it:\n%s", want);
    free(want);
    free(readme);
}

/* The first line of a command's CSV output equals its schema's header. */
static void expect_header(const char *args, const xp_schema *s)
{
    tu_run r = tu_mpcsim(args);
    cr_assert_eq(r.status, 0, "%s: %s", args, r.err);
    char *want = memfile_text(fill_header, s);
    cr_expect(strncmp(r.out, want, strlen(want)) == 0, "%s: header\n%s\nis not schema %s's\n%s", args, r.out, s->name,
              want);
    free(want);
    tu_run_free(&r);
}

Test(schema, commands_write_their_schema_header)
{
    expect_header("op mul --shape 4 --mode phantom", &xp_schema_op);
    expect_header("ping", &xp_schema_ping);
    expect_header("explain mul --shape 4 --format csv", &xp_schema_explain);
    expect_header("infer --model bert-tiny --seq 4", &xp_schema_infer);
}

Test(schema, real_mode_infer_adds_the_optional_column)
{
    tu_run r = tu_mpcsim("infer --model bert-tiny --seq 4 --mode real");
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *nl = strchr(r.out, '\n');
    cr_assert(nl != NULL);
    *nl = 0;
    /* then the truncation oracle's (issue 21): p_fail, wraps, domain, first_event, and trunc */
    cr_expect(strstr(r.out, ",dealer,max_abs_logit_err,p_fail,wraps,domain,first_event,trunc") != NULL && nl[-1] == 'c',
              "header: %s", r.out);
    tu_run_free(&r);
}

Test(schema, op_table_form_lists_every_column_once)
{
    tu_run r = tu_mpcsim("op mul --shape 4 --mode phantom --format table");
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* Every column on its own line, padded to 22 characters; phantom mode has no errors: "-". */
    const char *p = r.out;
    for (int c = 0; c < xp_schema_op.ncol; c++) {
        char want[64];
        snprintf(want, sizeof want, "%-21s ", xp_schema_op.col[c].name);
        cr_expect(strncmp(p, want, strlen(want)) == 0, "line %d: %.40s", c, p);
        if (strcmp(xp_schema_op.col[c].name, "max_abs_err") == 0) cr_expect(strncmp(p + 22, "-\n", 2) == 0);
        p = strchr(p, '\n') + 1;
    }
    cr_expect_eq(*p, 0);
    tu_run_free(&r);
}

Test(schema, writer_formats_cells_by_kind)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    xp_rows w;
    xp_rows_open(&w, f, &xp_schema_calibrate, XP_ROWS_CSV);
    xp_rows_str(&w, "op", "gelu");
    xp_rows_real(&w, "rounds", 420);
    xp_rows_real(&w, "paper_comm_s", 9.6);
    xp_rows_real(&w, "one_way_latency_s", 0.00108249);
    xp_rows_end(&w); /* unset cells are empty */
    xp_rows_open(&w, f, &xp_schema_sweep, XP_ROWS_PREFIX | XP_ROWS_NOHEADER);
    xp_rows_str(&w, "sweep", "s");
    xp_rows_int(&w, "point", 3);
    xp_rows_int(&w, "rep", -1);
    xp_rows_end(&w);
    fclose(f);
    cr_expect_str_eq(buf, "op,rounds,bytes_per_party,paper_comm_s,predicted_comm_s,bandwidth_bps,one_way_latency_s\n"
                          "gelu,420,,9.6,,,0.001082\n"
                          "s,3,-1,");
    free(buf);
}

Test(schema, unknown_column_is_a_programming_error, .signal = SIGABRT)
{
    xp_rows w;
    xp_rows_open(&w, stderr, &xp_schema_ping, XP_ROWS_TABLE);
    xp_rows_str(&w, "no_such_column", "x");
}

Test(schema, wrong_kind_is_a_programming_error, .signal = SIGABRT)
{
    xp_rows w;
    xp_rows_open(&w, stderr, &xp_schema_ping, XP_ROWS_TABLE);
    xp_rows_str(&w, "bytes", "12");
}

Test(schema, cli_lists_and_describes)
{
    tu_run r = tu_mpcsim("schema op");
    cr_assert_eq(r.status, 0);
    cr_expect(strstr(r.out, "latency_s") && strstr(r.out, "%.9f") && strstr(r.out, "bit/s"));
    tu_run_free(&r);
    r = tu_mpcsim("schema nosuch");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "'nosuch'") != NULL);
    tu_run_free(&r);
}

/* Files written by scripts (validate.sh takes its headers from `mpcsim schema --header`) and by the
 * bench target: the committed results carry their schema's header. */
static void expect_file_header(const char *rel, const xp_schema *s)
{
    char path[512];
    snprintf(path, sizeof path, "%s/results/%s", MPCSIM_SOURCE_DIR, rel);
    char *text = tu_read_file(path, NULL);
    cr_assert(text != NULL, "%s is missing", path);
    const char *h = text; /* after the leading '#' comment lines, if any */
    while (*h == '#' && strchr(h, '\n')) h = strchr(h, '\n') + 1;
    char *want = memfile_text(fill_header, s);
    cr_expect(strncmp(h, want, strlen(want)) == 0, "%s: header is not schema %s's\n%s", rel, s->name, want);
    free(want);
    free(text);
}

static void fill_header_optional(FILE *f, const void *ud)
{
    xp_schema_header(f, ud, 1);
}

/* scripts/safety.sh's outputs are infer and eval rows with their optional columns (issue 21), and so
 * are scripts/fss-eval.sh's (issue 15). */
Test(schema, committed_safety_outputs_carry_their_schema_header)
{
    static const struct { const char *rel; const xp_schema *s; } files[] = {
        {"safety_latency.csv", &xp_schema_infer}, {"safety_real.csv", &xp_schema_infer}, {"safety_eval.csv", &xp_schema_eval},
        {"fss_eval.csv", &xp_schema_eval}}; /* scripts/fss-eval.sh: eval --mpc --protocol fss rows */
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/results/%s", MPCSIM_SOURCE_DIR, files[k].rel);
        char *text = tu_read_file(path, NULL);
        cr_assert(text != NULL, "%s is missing", path);
        char *want = memfile_text(fill_header_optional, files[k].s);
        cr_expect(strncmp(text, want, strlen(want)) == 0, "%s: header is not schema %s's with its optional columns\n%s",
                  files[k].rel, files[k].s->name, want);
        free(want);
        free(text);
    }
}

Test(schema, committed_script_outputs_carry_their_schema_header)
{
    expect_file_header("validation.csv", &xp_schema_validation);
    expect_file_header("validation_pcap.csv", &xp_schema_validation_pcap);
    expect_file_header("validation_hystart.csv", &xp_schema_validation_hystart);
    expect_file_header("validation_infer.csv", &xp_schema_validation_infer);
    expect_file_header("validation_infer_compute.csv", &xp_schema_validation_infer_compute);
    expect_file_header("train_step.csv", &xp_schema_train_step);
    expect_file_header("deployed_fit.csv", &xp_schema_deployed_fit);
    expect_file_header("deployed_predictions.csv", &xp_schema_deployed_predictions);
}

Test(schema, header_option_prints_the_csv_header)
{
    tu_run r = tu_mpcsim("schema --header validation");
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *want = memfile_text(fill_header, &xp_schema_validation);
    cr_expect_str_eq(r.out, want);
    free(want);
    tu_run_free(&r);
    r = tu_mpcsim("schema --header nosuch");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "no output named 'nosuch'") != NULL, "%s", r.err);
    tu_run_free(&r);
}

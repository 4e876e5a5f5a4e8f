/* test_cli.c -- the mpcsim command line: help, bad input (clear error naming the value, non-zero
 * exit, no output file), exact ping arithmetic, determinism of CSV output. */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static void expect_fail(const char *args, const char *needle)
{
    tu_run r = tu_mpcsim(args);
    cr_expect_neq(r.status, 0, "'%s' should fail", args);
    cr_expect(r.status < 128, "'%s' crashed (status %d)", args, r.status);
    cr_expect(strstr(r.err, needle) != NULL, "'%s': stderr should mention '%s', got: %s", args, needle, r.err);
    cr_expect(strstr(r.err, "error") != NULL, "'%s': message starts with error:", args);
    tu_run_free(&r);
}

Test(cli, help_lists_commands_and_profiles)
{
    tu_run r = tu_mpcsim("--help");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "op ") && strstr(r.out, "ping") && strstr(r.out, "demo"));
    cr_expect(strstr(r.out, "lan") && strstr(r.out, "wan") && strstr(r.out, "3 Gbit/s") && strstr(r.out, "200 Mbit/s"));
    tu_run_free(&r);
    r = tu_mpcsim("op --list");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "matmul") != NULL);
    tu_run_free(&r);
}

Test(cli, bad_network_values_are_named)
{
    expect_fail("ping --net moon", "'moon'");
    expect_fail("ping --bandwidth -5gbit", "'-5gbit'");
    expect_fail("ping --bandwidth 5xbit", "'5xbit'");
    expect_fail("ping --bandwidth 0gbit", "'0gbit'");
    expect_fail("ping --latency -1ms", "'-1ms'");
    expect_fail("ping --latency 5", "'5'");
    expect_fail("ping --latency 5parsecs", "'5parsecs'");
    expect_fail("ping --rtt abc", "'abc'");
    expect_fail("ping --latency 1ms --rtt 2ms", "--rtt");
    expect_fail("ping --dealer-net mars", "'mars'");
    expect_fail("ping --bandwidth", "needs a value");
    expect_fail("frobnicate", "'frobnicate'");
    expect_fail("ping --count 0", "--count");
}

Test(cli, bad_op_input)
{
    expect_fail("op nosuchop --shape 4", "'nosuchop'");
    expect_fail("op mul", "--shape");
    expect_fail("op mul --shape 0x4", "positive");
    expect_fail("op mul --shape -3", "positive");
    expect_fail("op mul --shape 4y4", "'4y4'");
    expect_fail("op matmul --shape 4x5@6x7", "inner dimensions");
    expect_fail("op matmul --shape 4x5", "128x768@768x768");
    expect_fail("op mul --shape 4 --mode imaginary", "'imaginary'");
    expect_fail("op mul --shape 4 --dealer sometimes", "'sometimes'");
    expect_fail("op mul --shape 4 --frac-bits 99", "--frac-bits");
}

Test(cli, unknown_protocol_is_named_with_the_known_ones)
{
    /* Every command that runs a protocol takes --protocol; an unknown name fails before anything runs,
     * naming the value and the registered families. */
    const char *cmds[] = {
        "op mul --shape 4 --protocol nope",
        "infer --model bert-tiny --seq 8 --protocol nope",
        "explain mul --shape 4 --protocol nope",
        "party mul --shape 4 --role p0 --protocol nope",
        "launch mul --shape 4 --protocol nope",
        "eval --weights /nonexistent --mpc --protocol nope",
        "op mul --shape 4 --protocol",
    };
    for (size_t k = 0; k + 1 < sizeof cmds / sizeof *cmds; k++) {
        expect_fail(cmds[k], "unknown protocol 'nope'");
        expect_fail(cmds[k], "known: crypten");
    }
    expect_fail(cmds[6], "needs a value");
    /* The family's own check of the configuration: crypten works over Z_2^64 only. */
    expect_fail("op mul --shape 4 --ring-bits 50", "Z_2^64");
    expect_fail("infer --model bert-tiny --seq 8 --ring-bits 50", "--protocol crypten");
    expect_fail("op mul --shape 4 --ring-bits 8", "--ring-bits");
    /* A sweep point with an unknown protocol is refused at validation, naming the file's line. */
    char *dir = tu_tmpdir(), path[512], args[700];
    snprintf(path, sizeof path, "%s/p.ini", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "[sweep]\nname = p\ncommand = infer\n[fixed]\nmodel = bert-tiny\nseq = 8\n[grid]\nprotocol = crypten, nope\n");
    fclose(f);
    snprintf(args, sizeof args, "sweep %s --out %s/p.csv", path, dir);
    expect_fail(args, "unknown protocol 'nope'");
    snprintf(path, sizeof path, "%s/p.csv", dir);
    cr_expect(!tu_file_exists(path), "nothing written");
    free(dir);
    /* The default and an explicit crypten give the same CSV, and it names the family. */
    tu_run a = tu_mpcsim("infer --model bert-tiny --seq 8"), b = tu_mpcsim("infer --model bert-tiny --seq 8 --protocol crypten");
    cr_expect_eq(a.status, 0);
    cr_expect_eq(b.status, 0);
    cr_expect_str_eq(a.out, b.out);
    cr_expect(strstr(a.out, ",layernorm,crypten,phantom,") != NULL, "%s", a.out);
    tu_run_free(&a), tu_run_free(&b);
    a = tu_mpcsim("op relu --shape 4 --protocol crypten --protocol crypten");
    cr_expect_eq(a.status, 0, "the same family twice is fine: %s", a.err);
    tu_run_free(&a);
}

Test(cli, failed_run_leaves_no_output_file)
{
    char *dir = tu_tmpdir();
    char args[600], out[512];
    snprintf(out, sizeof out, "%s/r.csv", dir);
    snprintf(args, sizeof args, "op nosuchop --shape 4 --out %s", out);
    tu_run r = tu_mpcsim(args);
    cr_expect_neq(r.status, 0);
    cr_expect(!tu_file_exists(out));
    tu_run_free(&r);
    snprintf(args, sizeof args, "op mul --shape 4 --out %s", out);
    r = tu_mpcsim(args);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect(tu_file_exists(out));
    tu_run_free(&r);
    remove(out);
    rmdir(dir);
    free(dir);
}

Test(cli, ping_latency_is_exact)
{
    /* 1 MB at 5 Gbit/s = 1.6 ms, 0.5 ms one way: 2 x 2.1 ms per round trip, 3 times = 12.6 ms. */
    tu_run r = tu_mpcsim("ping --bytes 1000000 --count 3 --bandwidth 5gbit --latency 0.5ms");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "custom,5000000000,0.000500000,1000000,3,6,6,3000000,3000000,0.012600000,0.009600000,0.003000000") != NULL,
              "got: %s", r.out);
    tu_run_free(&r);
    r = tu_mpcsim("ping --net wan --rtt 10ms --bytes 1");
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* 200 Mbit/s: 1 byte = 40 ns; 5 ms one way. */
    cr_expect(strstr(r.out, ",0.010000080,") != NULL, "got: %s", r.out);
    tu_run_free(&r);
}

Test(cli, same_seed_same_csv_other_seed_other_errors)
{
    tu_run a = tu_mpcsim("op matmul --shape 8x16@16x4 --seed 5");
    tu_run b = tu_mpcsim("op matmul --shape 8x16@16x4 --seed 5");
    tu_run c = tu_mpcsim("op matmul --shape 8x16@16x4 --seed 6");
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_expect_str_eq(a.out, b.out);
    cr_expect(strcmp(a.out, c.out) != 0, "a different seed draws different inputs");
    tu_run_free(&a), tu_run_free(&b), tu_run_free(&c);
}

Test(cli, special_files_are_written_in_place_not_replaced, .timeout = 60)
{
    /* Writing to /dev/null or a FIFO must not rename a temporary over it (that would turn a device into
     * a regular file). A FIFO stands in for /dev/null so a regression cannot harm the machine. */
    char *dir = tu_tmpdir();
    char fifo[512], got[600], cmd[1400], args[1200];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(got, sizeof got, "%s/got", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    snprintf(cmd, sizeof cmd, "timeout 20 cat %s > %s &", fifo, got);
    cr_assert_eq(system(cmd), 0);
    snprintf(args, sizeof args, "op mul --shape 4 --out %s", fifo);
    tu_run r = tu_mpcsim(args);
    cr_expect_eq(r.status, 0, "%s", r.err);
    struct stat st;
    cr_assert_eq(stat(fifo, &st), 0);
    cr_expect(S_ISFIFO(st.st_mode), "the FIFO was replaced by a regular file");
    for (int i = 0; i < 100; i++) {
        size_t n = 0;
        char *c = tu_read_file(got, &n);
        int done = c && strstr(c, "mul,4,real") != NULL;
        free(c);
        if (done) break;
        usleep(50000);
    }
    char *c = tu_read_file(got, NULL);
    cr_expect(c && strstr(c, "mul,4,real"), "the CSV went through the FIFO");
    free(c);
    tu_run_free(&r);
    remove(fifo), remove(got);
    rmdir(dir);
    free(dir);
}

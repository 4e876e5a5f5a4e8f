/* mpcsim.c -- the single command-line entry point; dispatches to subcommands. */
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "xp.h"
#include "xp_cmds.h"

typedef struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} cmd;

static const cmd cmds[] = {
    {"calibrate", xp_cmd_calibrate, "fit the paper's unpublished network to its per-operator communication times"},
    {"fit-deployed", xp_cmd_fit_deployed, "fit and predict the deployed-runtime model (CrypTen over gloo)"},
    {"data", xp_cmd_data, "datasets and tokenizer: prepare SpamAssassin splits, build a vocab, stats"},
    {"demo", xp_cmd_demo, "short tour: a 2-party exchange, then one MPC op, under a named network"},
    {"distill", xp_cmd_distill, "MPCFormer 2-stage distillation of a student with cheap approximations"},
    {"eval", xp_cmd_eval, "accuracy of a checkpoint in plaintext and (--mpc) under private inference"},
    {"explain", xp_cmd_explain, "each step of an op's algorithm: formula, rounds, bytes, time (teaching)"},
    {"infer", xp_cmd_infer, "one private inference of BERT/RoBERTa (phantom or real), cost and breakdown as CSV"},
    {"keygen", xp_cmd_keygen, "make a party's long-term X25519 key pair for party/launch (prints the public key)"},
    {"launch", xp_cmd_launch, "run an op's three parties as local processes over loopback TCP"},
    {"merge", xp_cmd_merge, "join per-point sweep outputs into the CSV a serial run writes"},
    {"op", xp_cmd_op, "run one MPC protocol op (real or phantom) and report its cost as CSV"},
    {"party", xp_cmd_party, "run ONE party (p0, p1 or dealer) of an op over real TCP"},
    {"ping", xp_cmd_ping, "2-party ping-pong through the simulated network (CSV)"},
    {"report", xp_cmd_report, "generate the reproduction report paper/REPORT.md from results/"},
    {"schema", xp_cmd_schema, "the columns, units and formats of every CSV output (--markdown: the README's)"},
    {"sweep", xp_cmd_sweep, "run a declarative sweep file into results/NAME.csv (or --list its points)"},
    {"train", xp_cmd_train, "train a BERT classifier (teacher, w/o{d}, w/o{p,d}) with the task loss"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f,
            "mpcsim -- private Transformer inference under 2-party MPC, in a network simulator\n\n"
            "usage: mpcsim COMMAND [options]     (mpcsim COMMAND --help for details)\n\n"
            "commands:\n");
    for (const cmd *c = cmds; c->name; c++) fprintf(f, "  %-8s %s\n", c->name, c->summary);
    fprintf(f, "\n");
    xp_net_help(f);
    fprintf(f,
            "\nParties: P0 holds the model, P1 the input, D is the dealer (correlated randomness).\n"
            "Times are virtual (simulated) except over TCP (party, launch), where they are measured;\n"
            "CSV columns ending in _s are seconds.\n");
}

/* Real-mode fss runs allocate and free key buffers of tens of MB per gate; glibc's defaults serve
 * each from a fresh mmap (zeroed pages faulted in, then unmapped), about half the CPU time of a
 * bert-tiny inference (measured with perf). Keep buffers up to 32 MiB (glibc's largest threshold) on
 * the heap and do not trim it below 256 MiB of free space. Memory use is unchanged at the peak. */
static void tune_malloc(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
#endif
}

int main(int argc, char **argv)
{
    tune_malloc();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (const cmd *c = cmds; c->name; c++)
        if (strcmp(argv[1], c->name) == 0) return c->fn(argc - 2, argv + 2);
    fprintf(stderr, "error: unknown command '%s' (see mpcsim --help)\n", argv[1]);
    return 2;
}

/* xp_cmd_explain.c -- `mpcsim explain OP --shape SHAPE`: each step of an op's algorithm with its
 * formula, rounds, bytes per party, dealer bytes and time under the given network, then the totals.
 * Every number comes from an instrumented run (the ops' tags, read at each step's entry and exit),
 * not from a table; runs of identical consecutive steps are merged ("square x8"). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../protocols/mpc_tags.h"
#include "xp.h"
#include "xp_cmds.h"
#include "xp_schema.h"
#include "xp_op_cli.h"

typedef struct snap {
    int64_t t;
    uint64_t depth, sent, recv_d, sent_d;
} snap;

typedef struct span {
    int tag, level;
    snap in, out;
} span;

typedef struct recorder {
    span *s[2];
    size_t n[2], cap[2];
    int level[2];
    size_t open[2][32];
} recorder;

static snap take(net_party *p)
{
    snap s = {net_now(p), p->depth, p->stats.total.sent_bytes[1 - p->self], p->stats.total.recv_bytes[NET_D],
              p->stats.total.sent_bytes[NET_D]};
    return s;
}

static void hook(void *ud, net_party *p, int tag, int enter)
{
    recorder *r = ud;
    int i = p->self;
    if (i > 1 || tag < MPC_TAG_FIRST) return;
    if (enter) {
        if (r->n[i] == r->cap[i]) {
            r->cap[i] = r->cap[i] ? 2 * r->cap[i] : 256;
            r->s[i] = realloc(r->s[i], r->cap[i] * sizeof **r->s);
            CHECK(r->s[i] != NULL, "out of memory");
        }
        CHECK(r->level[i] < 32, "steps nested too deep");
        span *sp = &r->s[i][r->n[i]];
        sp->tag = tag;
        sp->level = r->level[i];
        sp->in = take(p);
        r->open[i][r->level[i]++] = r->n[i]++;
    } else {
        r->s[i][r->open[i][--r->level[i]]].out = take(p);
    }
}

typedef struct row {
    int level, count;
    const char *name, *formula;
    uint64_t rounds, sent0, sent1, dealer;
    int64_t time;
} row;

/* csv: a row of the `explain` schema (xp_schema.h); otherwise the indented teaching table. */
static void print_row(FILE *f, xp_rows *csv, const row *r, int with_formula)
{
    char name[96];
    if (r->count > 1) snprintf(name, sizeof name, "%s x%d", r->name, r->count);
    else snprintf(name, sizeof name, "%s", r->name);
    if (csv) {
        xp_rows_int(csv, "level", r->level);
        xp_rows_str(csv, "step", r->name);
        xp_rows_int(csv, "count", r->count);
        xp_rows_uint(csv, "rounds", r->rounds);
        xp_rows_uint(csv, "sent_bytes_p0", r->sent0);
        xp_rows_uint(csv, "sent_bytes_p1", r->sent1);
        xp_rows_uint(csv, "dealer_bytes", r->dealer);
        xp_rows_real(csv, "time_s", r->time * 1e-9);
        xp_rows_end(csv);
        return;
    }
    fprintf(f, "%*s%-*s %7" PRIu64 " %14" PRIu64 " %14" PRIu64 " %13" PRIu64 " %12.6f\n", 2 * r->level, "",
            34 - 2 * r->level, name, r->rounds, r->sent0, r->sent1, r->dealer, r->time * 1e-9);
    if (with_formula && r->formula) fprintf(f, "%*s  = %s\n", 2 * r->level, "", r->formula);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mpcsim explain OP --shape SHAPE [--depth N] [--format table|csv] [--net ...] [protocol options]\n"
               "Runs OP once (real mode) with every protocol step instrumented and prints, for each step down to\n"
               "nesting depth N (default 2): its formula, rounds, bytes sent by P0 and P1 (online), dealer bytes and\n"
               "its time under the network; consecutive identical steps are merged (\"square x8\"). The totals\n"
               "line equals `mpcsim op` for the same op and shape. CSV: level, step, count, rounds,\n"
               "sent_bytes_p0, sent_bytes_p1, dealer_bytes, time_s (a final row with step 'total').\n\n");
    xp_net_help(f);
    xp_cfg_help(f);
}

int xp_cmd_explain(int argc, char **argv)
{
    const char *name = NULL, *shape = NULL, *v;
    int csv = 0;
    uint64_t maxdepth = 2;
    mpc_config cfg;
    if (xp_cfg_init(&cfg, argc, argv) != 0) return 2;
    xp_netopts net;
    xp_net_defaults(&net);
    for (int i = 0; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if ((r = xp_net_arg(&net, argc, argv, &i)) || (r = xp_cfg_arg(&cfg, argc, argv, &i))) {
            if (r < 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--shape", 1, &shape))) {
            if (r < 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--depth", 1, &v))) {
            if (r < 0 || xp_parse_u64("--depth", v, 0, 20, &maxdepth) != 0) return 2;
            continue;
        }
        static const char *const formats[] = {"table", "csv", NULL};
        if ((r = xp_arg_choice(argc, argv, &i, "--format", formats, &csv))) {
            if (r < 0) return 2;
            continue;
        }
        if (argv[i][0] == '-' || name) {
            fprintf(stderr, "error: explain: unexpected argument '%s' (see mpcsim explain --help)\n", argv[i]);
            return 2;
        }
        name = argv[i];
    }
    if (!name) {
        fprintf(stderr, "error: explain: which op? (mpcsim op --list)\n");
        return 2;
    }
    const rt_opdef *op = xp_op_lookup(&cfg, name, "explain");
    if (!op || xp_cfg_check(&cfg) != 0) return 2;
    rt_shape s;
    char err[256];
    if (!shape) {
        fprintf(stderr, "error: explain: --shape is required\n");
        return 2;
    }
    if (rt_shape_parse(&s, shape, op->kind == RT_SHAPE_MATMUL, err, sizeof err) != 0) {
        fprintf(stderr, "error: --shape: %s\n", err);
        return 2;
    }
    if (xp_net_finish(&net) != 0) return 2;
    recorder rec;
    memset(&rec, 0, sizeof rec);
    rt_sim_opts so;
    memset(&so, 0, sizeof so);
    so.cfg = &cfg;
    so.seed = 1;
    xp_net_topology(&net, &so.topo, 0);
    so.tag_hook = hook;
    so.tag_hook_ud = &rec;
    rt_op_outcome oc;
    if (rt_op_run(op, &s, &so, 0, &oc) != 0) return 1;
    CHECK(rec.n[0] == rec.n[1], "P0 and P1 ran different steps");

    FILE *f = stdout;
    char bw[32], lat[32];
    nm_format_bandwidth(bw, sizeof bw, net.online.bps);
    nm_format_duration(lat, sizeof lat, net.online.latency_ns);
    xp_rows rows, *cw = csv ? &rows : NULL;
    if (csv) xp_rows_open(&rows, f, &xp_schema_explain, XP_ROWS_CSV);
    else
        fprintf(f, "%s on %s -- network %s (%s, %s one way), dealer %s, f = %d\n\n%-34s %7s %14s %14s %13s %12s\n",
                op->name, s.text, net.name, bw, lat, cfg.dealer_schedule == MPC_DEALER_INLINE ? "inline" : "offline",
                cfg.frac_bits, "step", "rounds", "P0 sends (B)", "P1 sends (B)", "dealer (B)", "time (s)");
    /* Steps in program order, merging consecutive siblings with the same tag. */
    row pend = {0};
    int have = 0;
    for (size_t k = 0; k < rec.n[0]; k++) {
        const span *a = &rec.s[0][k], *b = &rec.s[1][k];
        if ((uint64_t)a->level > maxdepth) continue;
        row r = {a->level, 1, mpc_tag_name(a->tag), mpc_tag_formula(a->tag), 0, 0, 0, 0, 0};
        uint64_t d0 = a->out.depth - a->in.depth, d1 = b->out.depth - b->in.depth;
        r.rounds = d0 > d1 ? d0 : d1;
        r.sent0 = a->out.sent - a->in.sent;
        r.sent1 = b->out.sent - b->in.sent;
        r.dealer = (a->out.recv_d - a->in.recv_d) + (a->out.sent_d - a->in.sent_d);
        int64_t t0 = a->out.t - a->in.t, t1 = b->out.t - b->in.t;
        r.time = t0 > t1 ? t0 : t1;
        if (have && pend.level == r.level && pend.name == r.name) {
            pend.count++;
            pend.rounds += r.rounds, pend.sent0 += r.sent0, pend.sent1 += r.sent1, pend.dealer += r.dealer;
            pend.time += r.time;
            continue;
        }
        if (have) print_row(f, cw, &pend, pend.level <= 1);
        pend = r;
        have = 1;
    }
    if (have) print_row(f, cw, &pend, pend.level <= 1);
    const rt_result *res = &oc.res;
    row tot = {0, 1, "total", NULL, res->rounds, rt_online_sent(res, 0), rt_online_sent(res, 1), res->dealer_bytes,
               res->latency_ns};
    if (!csv) fprintf(f, "\n");
    print_row(f, cw, &tot, 0);
    if (!csv)
        fprintf(f, "\nRounds of nested steps add up to their parent's; times are virtual (zero compute model), as seen by the\n"
                   "party that finishes the step last. Dealer bytes are offline material (D -> P0) and requests.\n");
    free(rec.s[0]);
    free(rec.s[1]);
    return 0;
}

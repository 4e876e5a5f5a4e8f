/* testutil.c -- see testutil.h. */
#define _GNU_SOURCE
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    if (len) *len = got;
    return buf;
}

int tu_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *tu_tmpdir(void)
{
    char tmpl[] = "/tmp/mpcsim_test_XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

tu_run tu_mpcsim(const char *args)
{
    tu_run r = {0};
    char *dir = tu_tmpdir();
    char cmd[8192], outp[512], errp[512];
    snprintf(outp, sizeof outp, "%s/out", dir);
    snprintf(errp, sizeof errp, "%s/err", dir);
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s", MPCSIM_BIN, args, outp, errp);
    int st = system(cmd);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    r.out = tu_read_file(outp, NULL);
    r.err = tu_read_file(errp, NULL);
    if (!r.out) r.out = strdup("");
    if (!r.err) r.err = strdup("");
    remove(outp);
    remove(errp);
    rmdir(dir);
    free(dir);
    return r;
}

void tu_run_free(tu_run *r)
{
    free(r->out);
    free(r->err);
}

/* ---- protocol-op checks ---- */
#include <criterion/criterion.h>

void tu_expect_cost(const char *what, mpc_cost c, uint64_t rounds, uint64_t sent, uint64_t words, uint64_t reqs)
{
    cr_expect_eq(c.rounds, rounds, "%s rounds %llu want %llu", what, (unsigned long long)c.rounds,
                 (unsigned long long)rounds);
    cr_expect_eq(c.sent[0], sent, "%s sent %llu want %llu", what, (unsigned long long)c.sent[0], (unsigned long long)sent);
    cr_expect_eq(c.sent[1], sent, "%s sent[1]", what);
    cr_expect_eq(c.dealer_words, words, "%s dealer words %llu want %llu", what, (unsigned long long)c.dealer_words,
                 (unsigned long long)words);
    cr_expect_eq(c.dealer_reqs, reqs, "%s requests", what);
}

void tu_trace_sink(void *ud, const net_trace_rec *r)
{
    tu_trace *t = ud;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->rec = realloc(t->rec, t->cap * sizeof *t->rec);
    }
    t->rec[t->n] = *r;
    t->rec[t->n].link = NULL;
    t->rec[t->n].payload = NULL;
    t->n++;
}

void tu_trace_free(tu_trace *t)
{
    free(t->rec);
    memset(t, 0, sizeof *t);
}

rt_sim_opts tu_session(const mpc_config *cfg, int phantom, uint64_t seed)
{
    rt_sim_opts o;
    memset(&o, 0, sizeof o);
    o.cfg = cfg;
    o.phantom = phantom;
    o.seed = seed;
    nm_linkspec l = {.bps = 1000000000ull, .latency_ns = 1000000};
    nm_topology_init(&o.topo, 3, &l);
    return o;
}

static void check_cost(const char *what, const rt_result *r, mpc_cost c, int schedule)
{
    uint64_t rounds = mpc_cost_rounds(c, schedule);
    cr_expect_eq(r->rounds, rounds, "%s: rounds %llu, closed form %llu", what, (unsigned long long)r->rounds,
                 (unsigned long long)rounds);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(rt_online_sent(r, i), c.sent[i], "%s: P%d sent %llu B, closed form %llu", what, i,
                     (unsigned long long)rt_online_sent(r, i), (unsigned long long)c.sent[i]);
        cr_expect_eq(rt_online_recv(r, i), c.sent[1 - i], "%s: P%d received %llu B, closed form %llu", what, i,
                     (unsigned long long)rt_online_recv(r, i), (unsigned long long)c.sent[1 - i]);
    }
    cr_expect_eq(r->dealer_bytes, mpc_cost_dealer_bytes(c), "%s: dealer bytes %llu, closed form %llu", what,
                 (unsigned long long)r->dealer_bytes, (unsigned long long)mpc_cost_dealer_bytes(c));
    cr_expect_eq(r->dealer_requests, c.dealer_reqs, "%s: dealer requests %llu, closed form %llu", what,
                 (unsigned long long)r->dealer_requests, (unsigned long long)c.dealer_reqs);
    /* Dealer words go to P0 only; P1 receives nothing from D after setup. */
    cr_expect_eq(r->stats[NET_P1].total.recv_bytes[NET_D], 0, "%s: P1 received dealer bytes", what);
}

rt_op_outcome tu_check_op(const char *name, const char *shape, const mpc_config *cfg_in)
{
    const rt_opdef *op = rt_op_find(name);
    cr_assert(op != NULL, "op %s not registered", name);
    rt_shape s;
    char err[256];
    cr_assert_eq(rt_shape_parse(&s, shape, op->kind == RT_SHAPE_MATMUL, err, sizeof err), 0, "%s", err);
    mpc_config cfg = *cfg_in;
    mpc_cost c = op->cost(&cfg, &s);
    rt_op_outcome real_off;
    tu_trace tr_real = {0}, tr_ph = {0};
    for (int sched = 0; sched < 2; sched++) {
        cfg.dealer_schedule = sched ? MPC_DEALER_INLINE : MPC_DEALER_OFFLINE;
        char what[160];
        rt_op_outcome ph, re;
        rt_sim_opts o = tu_session(&cfg, 0, 7);
        if (sched) {
            o.trace[0] = tu_trace_sink;
            o.trace_ud[0] = &tr_real;
        }
        cr_assert_eq(rt_op_run(op, &s, &o, 1, &re), 0);
        snprintf(what, sizeof what, "%s %s real %s", name, shape, sched ? "inline" : "offline");
        check_cost(what, &re.res, c, cfg.dealer_schedule);
        o = tu_session(&cfg, 1, 7);
        if (sched) {
            o.trace[0] = tu_trace_sink;
            o.trace_ud[0] = &tr_ph;
        }
        cr_assert_eq(rt_op_run(op, &s, &o, 0, &ph), 0);
        snprintf(what, sizeof what, "%s %s phantom %s", name, shape, sched ? "inline" : "offline");
        check_cost(what, &ph.res, c, cfg.dealer_schedule);
        cr_expect_eq(ph.res.latency_ns, re.res.latency_ns, "%s: phantom latency %lld != real %lld", what,
                     (long long)ph.res.latency_ns, (long long)re.res.latency_ns);
        if (sched) rt_op_outcome_free(&re);
        else real_off = re;
    }
    /* Identical traces, message by message (inline schedule: dealer traffic is timed too). */
    cr_expect_eq(tr_real.n, tr_ph.n, "%s: %zu messages real, %zu phantom", name, tr_real.n, tr_ph.n);
    for (size_t i = 0; i < tr_real.n && i < tr_ph.n; i++) {
        const net_trace_rec *a = &tr_real.rec[i], *b = &tr_ph.rec[i];
        int same = a->src == b->src && a->dst == b->dst && a->bytes == b->bytes && a->tag == b->tag &&
                   a->label == b->label && a->t_send == b->t_send && a->t_arrive == b->t_arrive;
        cr_expect(same, "%s: message %zu differs between real and phantom", name, i);
        if (!same) break;
    }
    tu_trace_free(&tr_real);
    tu_trace_free(&tr_ph);
    return real_off;
}

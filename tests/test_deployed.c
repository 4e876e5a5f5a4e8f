/* test_deployed.c -- the crypten-gloo runtime's wire pattern (exact messages, sizes and virtual times on
 * the ideal link, hand-computed), the fit's reproduction of the built-in parameters, and the lean
 * default untouched by the runtime's presence. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../experiments/xp_cmds.h"
#include "../experiments/xp_deployed.h"
#include "../net/net_rt.h"
#include "../net/net_sim.h"
#include "testutil.h"

/* 1 byte per ns, 1000 ns one way. */
static void topo(nm_topology *t)
{
    nm_linkspec s = {.bps = 8000000000ull, .latency_ns = 1000};
    nm_topology_init(t, 2, &s);
}

typedef struct job {
    size_t n;
    int kind; /* 0 exchange, 1 one-way P0 -> P1, 2 two op calls (tags 5 then 6), no message */
    int64_t end;
    uint8_t out[8192];
} job;

static void party(net_party *p, void *arg)
{
    job *j = arg;
    uint8_t in[8192];
    for (size_t i = 0; i < j->n; i++) in[i] = (uint8_t)(i * 7 + (size_t)p->self);
    int peer = 1 - p->self;
    if (j->kind == 2) {
        for (int t = 5; t <= 6; t++) net_tag_push(p, t), net_tag_pop(p, t);
        return;
    }
    if (j->kind == 0 || p->self == NET_P0) cr_assert_eq(net_send(p, peer, in, j->n), NET_OK);
    if (j->kind == 0 || p->self == NET_P1) cr_assert_eq(net_recv(p, peer, j->out, j->n), NET_OK);
}

static void run(job jobs[2], net_rt rts[2], const net_rt_cfg *cfg, net_sim **sp)
{
    nm_topology t;
    topo(&t);
    net_sim *s = net_sim_create(&t);
    for (int i = 0; i < 2; i++) {
        net_rt_init(&rts[i], cfg);
        net_rt_attach(net_sim_party(s, i), &rts[i]);
    }
    net_party_fn fn[2] = {party, party};
    void *arg[2] = {&jobs[0], &jobs[1]};
    cr_assert_eq(net_sim_run(s, fn, arg), NET_OK);
    for (int i = 0; i < 2; i++) jobs[i].end = net_sim_end_time(s, i);
    *sp = s;
}

Test(deployed, ring_plan_small_and_large)
{
    net_rt_ring g = net_rt_ring_plan(4096);
    cr_expect_eq(g.nseg_per_rank, 2);
    cr_expect_eq(g.seg, 1024);
    g = net_rt_ring_plan(8); /* one 8-byte element: segment 0 of chunk 0 only */
    cr_expect_eq(g.seg, 8);
    cr_expect_eq(net_rt_ring_len(&g, 8, 0, 0), 8);
    cr_expect_eq(net_rt_ring_len(&g, 8, 0, 1), 0);
    cr_expect_eq(net_rt_ring_len(&g, 8, 1, 0), 0);
    g = net_rt_ring_plan(5u << 20); /* 5 MiB: 5 segments -> 6, 3 per rank, ceil(5 MiB / 6) rounded to 8 */
    cr_expect_eq(g.nseg_per_rank, 3);
    cr_expect_eq(g.seg, 873816);
}

/* all_reduce of 4096 B, both enter at 0. Plan: 4 segments of 1024 B, 2 per rank.
 * Reduce-scatter: each sends RR,SR,RR,SR (4 x 48 B: done at 192, last arrives 1192), then data
 * 2 x (48 + 1024) B: departs 1192 + 1072 = 2264 and 3336, arrives 3264 and 4336.
 * All-gather from 4336: notifications arrive 5528, data departs 6600 and 7672, arrives 8672.
 * Per party: 8 notifications + 4 data = 12 ops, 8 x 48 + 4 x 1072 = 4672 B. Lean: 5096 ns. */
Test(deployed, allreduce_4096_exact)
{
    net_rt_cfg cfg = {.name = "t"};
    job j[2] = {{.n = 4096}, {.n = 4096}};
    net_rt rts[2];
    net_sim *s;
    run(j, rts, &cfg, &s);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(j[i].end, 8672, "P%d ends at %lld", i, (long long)j[i].end);
        cr_expect_eq(rts[i].st.wire_msgs, 12);
        cr_expect_eq(rts[i].st.ctl_msgs, 8);
        cr_expect_eq(rts[i].st.wire_bytes, 4672);
        cr_expect_eq(rts[i].st.allreduces, 1);
        const net_party *p = net_sim_party(s, i);
        cr_expect_eq(p->stats.total.sent_bytes[1 - i], 4096); /* protocol counters: payload once */
        cr_expect_eq(p->stats.total.sent_msgs[1 - i], 1);
        cr_expect_eq(p->stats.total.rounds, 1);
        for (size_t k = 0; k < 4096; k++) /* the peer's share arrives whole */
            if (j[i].out[k] != (uint8_t)(k * 7 + (size_t)(1 - i))) cr_assert_fail("byte %zu of P%d", k, i);
    }
    cr_expect_eq(net_sim_messages(s), 24);
    double cross, crit;
    net_rt_allreduce_cost(4096, &cross, &crit);
    cr_expect_eq(cross, 4); /* 8672 = 4 x 1000 + 4672 */
    cr_expect_eq(crit, 4672);
    net_sim_destroy(s);
}

/* One-way (broadcast from P0) of 1000 B: P0 SEND_READY (48 B, arrives 1048); P1 RECV_READY at 0
 * (arrives 1048); P0 sends the data at 1048: 1048 B, departs 2096, arrives 3096. */
Test(deployed, broadcast_1000_exact)
{
    net_rt_cfg cfg = {.name = "t"};
    job j[2] = {{.n = 1000, .kind = 1}, {.n = 1000, .kind = 1}};
    net_rt rts[2];
    net_sim *s;
    run(j, rts, &cfg, &s);
    cr_expect_eq(j[0].end, 1048);
    cr_expect_eq(j[1].end, 3096);
    cr_expect_eq(rts[0].st.wire_msgs, 2);
    cr_expect_eq(rts[0].st.wire_bytes, 48 + 1048);
    cr_expect_eq(rts[1].st.wire_msgs, 1);
    cr_expect_eq(rts[1].st.wire_bytes, 48);
    cr_expect_eq(rts[0].st.oneways, 1);
    net_sim_destroy(s);
}

/* Host overheads: 10 us per collective, 2 x 4096 B at 4096 B/ms of copies: +1010 us each side. */
Test(deployed, collective_overhead_and_copies)
{
    net_rt_cfg cfg = {.name = "t", .coll_ns = 10000, .copy_Bps = 4096e3};
    job j[2] = {{.n = 4096}, {.n = 4096}};
    net_rt rts[2];
    net_sim *s;
    run(j, rts, &cfg, &s);
    for (int i = 0; i < 2; i++) cr_expect_eq(j[i].end, 8672 + 2010000, "P%d", i);
    net_sim_destroy(s);
}

/* Host overhead per op call: 100 ns each, and 1000 ns more for the call of call_tag (5): 1200 ns per
 * party, no message; the accumulators count 2 calls, 1 of the tag, inside tag 5 only that one. */
Test(deployed, op_call_overheads)
{
    net_rt_cfg cfg = {.name = "t", .op_ns = 100, .call_tag = 5, .call_ns = 1000};
    job j[2] = {{.kind = 2}, {.kind = 2}};
    net_rt rts[2];
    net_sim *s;
    run(j, rts, &cfg, &s);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(j[i].end, 1200, "P%d", i);
        cr_expect_eq(rts[i].st.op_calls, 2);
        cr_expect_eq(rts[i].st.total.calls, 2);
        cr_expect_eq(rts[i].st.total.tag_calls, 1);
        cr_expect_eq(rts[i].st.tag[5].tag_calls, 1);
        cr_expect_eq(rts[i].st.tag[6].tag_calls, 0);
        cr_expect_eq(rts[i].st.wire_msgs, 0);
    }
    net_sim_destroy(s);
}

/* The fit reproduces the built-in parameters from the committed data (paper/paper_operators.csv and
 * paper/paper_claims.csv). */
Test(deployed, fit_reproduces_builtin, .timeout = 300)
{
    char path[] = "/tmp/test_deployed_fit_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    char *argv[] = {"--out", path, "--paper-ops", MPCSIM_SOURCE_DIR "/paper/paper_operators.csv", "--paper-claims",
                    MPCSIM_SOURCE_DIR "/paper/paper_claims.csv", NULL};
    cr_assert_eq(xp_cmd_fit_deployed(6, argv), 0);
    FILE *f = fopen(path, "r");
    cr_assert(f);
    char line[1024];
    cr_assert(fgets(line, sizeof line, f));
    cr_assert(fgets(line, sizeof line, f));
    fclose(f);
    remove(path);
    /* the first row is the model's fit; its last five columns: one_way_latency_s, bandwidth_bps,
     * coll_overhead_s, op_overhead_s, matmul_overhead_s */
    char *c[32];
    int n = 0;
    for (char *s = strtok(line, ",\n"); s && n < 32; s = strtok(NULL, ",\n")) c[n++] = s;
    cr_assert_eq(n, 20);
    cr_expect_str_eq(c[0], "model");
    cr_expect_float_eq(strtod(c[15], NULL), XP_DEPLOYED_LATENCY_S, 1e-6);
    cr_expect_float_eq(strtod(c[16], NULL), XP_DEPLOYED_BANDWIDTH_BPS, 1.0);
    cr_expect_float_eq(strtod(c[17], NULL), XP_DEPLOYED_COLL_S, 1e-7);
    cr_expect_float_eq(strtod(c[18], NULL), XP_DEPLOYED_OP_S, 1e-7);
    cr_expect_float_eq(strtod(c[19], NULL), XP_DEPLOYED_MATMUL_S, 1e-7);
}

/* The default (lean) transport is untouched: the committed results/infer_quad+2quad.csv (written by
 * scripts/reproduce.sh before the runtime existed) comes out byte for byte. */
Test(deployed, lean_default_byte_identical, .timeout = 300)
{
    char path[512];
    snprintf(path, sizeof path, "%s/results/infer_quad+2quad.csv", MPCSIM_SOURCE_DIR);
    char *want = tu_read_file(path, NULL);
    cr_assert(want, "cannot read %s", path);
    tu_run r = tu_mpcsim("infer --model bert-base --seq 512 --norm batchnorm --gelu quad --softmax 2quad --net paper "
                         "--compute profile:v100");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_str_eq(r.out, want);
    tu_run_free(&r);
    free(want);
}

/* Real mode: the runtime changes the wire, not the values: the same shares, the same logit error and
 * rounds as the lean transport; only the latency moves. */
Test(deployed, real_mode_same_values)
{
    tu_run a = tu_mpcsim("infer --model bert-tiny --seq 16 --mode real --net lan");
    tu_run b = tu_mpcsim("infer --model bert-tiny --seq 16 --mode real --net lan --runtime crypten-gloo-gpu");
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_eq(b.status, 0, "%s", b.err);
    char *la = strchr(a.out, '\n') + 1, *lb = strchr(b.out, '\n') + 1;
    char *fa[40], *fb[40];
    int na = 0, nb = 0;
    for (char *s = strtok(la, ",\n"); s && na < 40; s = strtok(NULL, ",\n")) fa[na++] = s;
    for (char *s = strtok(lb, ",\n"); s && nb < 40; s = strtok(NULL, ",\n")) fb[nb++] = s;
    cr_assert_eq(na, 27); /* real mode: 21 + max_abs_logit_err, p_fail, wraps, domain, first_event, trunc */
    cr_assert_eq(nb, 33);
    cr_expect_str_eq(fa[14], fb[14]); /* rounds */
    cr_expect_str_eq(fa[15], fb[15]); /* online bytes sent by P0 */
    cr_expect_str_eq(fa[21], fb[21]); /* max_abs_logit_err */
    cr_expect_gt(strtod(fb[11], NULL), strtod(fa[11], NULL)); /* latency */
    cr_expect_str_eq(fb[27], "crypten-gloo-gpu");
    tu_run_free(&a);
    tu_run_free(&b);
}

/* The embedding in K chunks (as MPCFormer's benchmark): K - 1 more rounds (one Beaver matmul each), the
 * same online bytes, the logits still right; K beyond the vocabulary is a clear error. */
Test(deployed, embed_chunks_rounds_and_values)
{
    tu_run a = tu_mpcsim("infer --model bert-tiny --seq 16 --mode real --net lan");
    tu_run b = tu_mpcsim("infer --model bert-tiny --seq 16 --mode real --net lan --embed-chunks 7");
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_eq(b.status, 0, "%s", b.err);
    char *la = strchr(a.out, '\n') + 1, *lb = strchr(b.out, '\n') + 1;
    char *fa[40], *fb[40];
    int na = 0, nb = 0;
    for (char *s = strtok(la, ",\n"); s && na < 40; s = strtok(NULL, ",\n")) fa[na++] = s;
    for (char *s = strtok(lb, ",\n"); s && nb < 40; s = strtok(NULL, ",\n")) fb[nb++] = s;
    cr_assert_eq(na, 27); /* real mode: 21 + max_abs_logit_err, p_fail, wraps, domain, first_event, trunc */
    cr_assert_eq(nb, 27);
    cr_expect_eq(strtol(fb[14], NULL, 10), strtol(fa[14], NULL, 10) + 6); /* rounds */
    cr_expect_str_eq(fa[15], fb[15]);                                     /* online bytes sent by P0 */
    cr_expect_lt(strtod(fb[21], NULL), 0.01);                             /* max_abs_logit_err */
    tu_run_free(&a);
    tu_run_free(&b);
    tu_run r = tu_mpcsim("infer --model bert-tiny --seq 4 --embed-chunks 100000");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "--embed-chunks 100000 exceeds the vocabulary"), "%s", r.err);
    tu_run_free(&r);
}

Test(deployed, unknown_runtime_is_an_error)
{
    tu_run r = tu_mpcsim("infer --model bert-tiny --seq 4 --runtime gloo");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "unknown runtime 'gloo'"), "%s", r.err);
    tu_run_free(&r);
    r = tu_mpcsim("infer --model bert-tiny --seq 4 --op-overhead-ns 5");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "need --runtime"), "%s", r.err);
    tu_run_free(&r);
}

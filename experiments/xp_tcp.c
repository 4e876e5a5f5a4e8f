/* xp_tcp.c -- one party of an op over TCP: connect, setup, online, report, close. See xp_tcp.h. */
#include "xp_tcp.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/fx.h"

/* ---- configuration hash ---- */

void xp_tcp_config(const xp_tcp_opts *o, uint8_t hash[32], char *desc, size_t desclen)
{
    const mpc_config *c = o->cfg;
    snprintf(desc, desclen,
             "protocol=%s ring_bits=%d op=%s shape=%s mode=%s seed=%llu randomness=%s output=%s dealer=%s "
             "frac_bits=%d exp_iters=%d recip=%d,%.17g,%.17g sqrt_iters=%d "
             "erf_iters=%d sigmoid_recip=%d,%.17g max=%s quad=%.17g,%.17g,%.17g quad2_c=%.17g "
             "recip_scales=%.17g,%.17g,%.17g ln_eps=%.17g ln_rsqrt_shift=%d",
             mpc_family_of(c)->name, c->ring_bits, o->op->name, o->shape->text, o->phantom ? "phantom" : "real",
             (unsigned long long)o->seed, o->reproducible ? "seed-INSECURE" : "os", o->out_party == NET_P1 ? "P1" : "P0",
             c->dealer_schedule == MPC_DEALER_INLINE ? "inline" : "offline", c->frac_bits, c->exp_iters,
             c->recip_nr_iters, c->recip_init_mul, c->recip_init_add, c->sqrt_nr_iters, c->erf_iters,
             c->sigmoid_recip_iters, c->sigmoid_recip_init, c->max_method == MPC_MAX_NOARGMAX ? "noargmax" : "crypten",
             c->quad_a, c->quad_b, c->quad_c, c->quad2_c, c->softmax_recip_scale, c->quad2_recip_scale,
             c->relu2_recip_scale, c->ln_eps, c->ln_rsqrt_shift);
    size_t used = strlen(desc); /* the safe truncation (mpc_trunc_safe.h) named when chosen */
    if (c->trunc == MPC_TRUNC_SAFE && used < desclen) snprintf(desc + used, desclen - used, " trunc=safe");
    if (c->embed_chunks != 1) { /* default runs keep their description (and hash) */
        size_t l = strlen(desc);
        if (l < desclen) snprintf(desc + l, desclen - l, " embed_chunks=%d", c->embed_chunks);
    }
    /* mpc_config_default memsets the struct, so its padding is zero and the raw bytes are stable. */
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    static const char tag[] = "mpcsim-tcp-config/1";
    crypto_generichash_update(&st, (const unsigned char *)tag, sizeof tag);
    crypto_generichash_update(&st, (const unsigned char *)desc, strlen(desc) + 1);
    crypto_generichash_update(&st, (const unsigned char *)c, sizeof *c);
    crypto_generichash_final(&st, hash, 32);
}

/* ---- reports (phase 3) ---- */

enum { REPORT_WORDS = 17 };
#define REPORT_MAGIC 0x3154504552ull /* "REPT1" */

typedef struct report {
    uint64_t depth, online_ns, nreq;
    net_counters c;
} report;

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void report_encode(uint8_t *b, const report *r)
{
    uint64_t w[REPORT_WORDS] = {REPORT_MAGIC, r->depth, r->online_ns, r->nreq};
    for (int i = 0; i < 3; i++) {
        w[4 + i] = r->c.sent_bytes[i];
        w[7 + i] = r->c.recv_bytes[i];
        w[10 + i] = r->c.sent_msgs[i];
        w[13 + i] = r->c.recv_msgs[i];
    }
    w[16] = r->c.rounds;
    for (int i = 0; i < REPORT_WORDS; i++) put64(b + 8 * i, w[i]);
}

static int report_decode(report *r, const uint8_t *b)
{
    uint64_t w[REPORT_WORDS];
    for (int i = 0; i < REPORT_WORDS; i++) w[i] = get64(b + 8 * i);
    if (w[0] != REPORT_MAGIC) return -1;
    memset(r, 0, sizeof *r);
    r->depth = w[1];
    r->online_ns = w[2];
    r->nreq = w[3];
    for (int i = 0; i < 3; i++) {
        r->c.sent_bytes[i] = w[4 + i];
        r->c.recv_bytes[i] = w[7 + i];
        r->c.sent_msgs[i] = w[10 + i];
        r->c.recv_msgs[i] = w[13 + i];
    }
    r->c.rounds = w[16];
    return 0;
}

/* ---- transport failures end the process ---- */

static void die_on_net_error(void *ud, int code, const char *msg)
{
    (void)ud;
    (void)code;
    fprintf(stderr, "error: %s\n", msg);
    fflush(stderr);
    _exit(1);
}

/* Wrappers for the harness's own messages: a failure here is also fatal (the hook ran already
 * for transport errors; what is left is a clean close where data was expected). */
static void must(int rc, const char *who, const char *what)
{
    if (rc == NET_OK) return;
    fprintf(stderr, "error: %s: %s failed: %s\n", who, what, net_strerror(rc));
    fflush(stderr);
    _exit(1);
}

/* ---- shared start of the online phase ---- */

#define BARRIER_BYTE 0x52 /* 'R' */

int64_t xp_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Returns at the monotonic time `until`: the kernel's timer to within 200 us of it, then a spin (timer
 * slack and wake-up latency are tens of microseconds). */
static void wait_until(int64_t until)
{
    const int64_t spin = 200000;
    int64_t left = until - xp_mono_ns();
    if (left > spin) {
        int64_t at = until - spin;
        struct timespec ts = {.tv_sec = (time_t)(at / 1000000000), .tv_nsec = (long)(at % 1000000000)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
    }
    while (xp_mono_ns() < until) {}
}

/* P0 and P1 each send the other one 'ready' byte and wait for the peer's, then start their clocks
 * together, at the moment the later 'ready' reaches its receiver. A party that sent its own at
 * t_sent and received the peer's at t_recv starts at max(t_sent + d, t_recv), d the one-way delay
 * (the kernel's minimum RTT of the connection over 2): if the peer was later, its 'ready' just
 * arrived; if this party was, its own arrives d after t_sent. Without that wait the later party
 * would start at once and the earlier one d later, a skew that on this project's emulated links
 * changed when each side's HyStart ended slow start (sub-millisecond skews decide on which side of
 * HyStart's ACK-train threshold a window falls). With no RTT to go by (not a TCP socket) d = 0.
 * Each party uses only its own clock. Called before net_stats_reset: the exchange is not in any
 * counter, round or tag. */
static void online_barrier(net_party *p, const net_tcp *t, const char *me)
{
    int peer = 1 - p->self;
    uint8_t mine = BARRIER_BYTE, theirs = 0;
    _Static_assert(sizeof mine == XP_BARRIER_BYTES, "the simulator's prelude has the barrier's size");
    int64_t rtt = 0;
    if (net_tcp_min_rtt(t, peer, &rtt) != 0) rtt = 0;
    must(net_send(p, peer, &mine, sizeof mine), me, "sending 'ready' (online barrier)");
    must(net_flush(p, peer), me, "flushing 'ready' (online barrier)");
    int64_t t_sent = xp_mono_ns();
    must(net_recv(p, peer, &theirs, sizeof theirs), me, "waiting for the peer's 'ready' (online barrier)");
    int64_t t_recv = xp_mono_ns();
    if (theirs != BARRIER_BYTE) {
        fprintf(stderr, "error: %s: the peer's 'ready' byte is 0x%02x, not 0x%02x (protocol desync)\n", me, theirs,
                BARRIER_BYTE);
        fflush(stderr);
        _exit(1);
    }
    int64_t start = t_sent + rtt / 2;
    if (start > t_recv) wait_until(start);
}

/* ---- the op, as xp_op_run runs it (xp_ops.c: op_party_fn) ---- */

typedef struct op_io {
    uint64_t *in_sh[2], *out_sh;
    const uint64_t *plain[2];
    size_t nin[2], nout;
} op_io;

static void run_op(mpc_ctx *c, const xp_tcp_opts *o, op_io *io)
{
    xp_op_party(c, o->op, o->shape, io->in_sh, io->plain, io->nin, io->out_sh);
}

int xp_tcp_run(const xp_tcp_opts *o, xp_tcp_outcome *out)
{
    memset(out, 0, sizeof *out);
    out->max_abs_err = out->max_rel_err = NAN;
    const char *me = net_party_names[o->role];
    const xp_opdef *op = o->op;
    const xp_shape *s = o->shape;
    int real = !o->phantom, f = o->cfg->frac_bits;

    /* Inputs exactly as xp_op_run draws them (every party draws all; only owners use them). */
    op_io io;
    memset(&io, 0, sizeof io);
    io.nin[0] = xp_op_in_len(op, s, 0);
    io.nin[1] = op->ninputs == 2 ? xp_op_in_len(op, s, 1) : 0;
    io.nout = xp_op_out_len(op, s);
    double *in[2] = {NULL, NULL};
    uint64_t *enc[2] = {NULL, NULL};
    if (real && o->role != NET_D) {
        xp_op_inputs(op, s, o->seed, f, in, enc);
        for (int k = 0; k < op->ninputs; k++) io.in_sh[k] = chk_malloc(io.nin[k] * sizeof(uint64_t));
        io.out_sh = chk_calloc(io.nout, sizeof(uint64_t));
        if (o->role == NET_P1) io.plain[0] = enc[0]; /* P1 owns the data input */
        if (o->role == NET_P0) io.plain[1] = enc[1]; /* P0 owns the second input */
    }

    /* Phase 0: connect and handshake. */
    uint8_t hash[32];
    char desc[NET_TCP_MAX_DESC];
    xp_tcp_config(o, hash, desc, sizeof desc);
    net_tcp_opts to;
    net_tcp_opts_default(&to);
    to.self = o->role;
    to.nparties = 3;
    for (int i = 0; i < 3; i++) to.addr[i] = o->addr[i];
    to.listen = o->listen;
    to.hash = hash;
    to.hash_len = sizeof hash;
    to.desc = desc;
    if (o->connect_timeout_ns > 0) to.connect_timeout_ns = o->connect_timeout_ns;
    if (o->io_timeout_ns > 0) to.io_timeout_ns = o->io_timeout_ns;
    if (o->stall_timeout_ns > 0) to.stall_timeout_ns = o->stall_timeout_ns;
    to.congestion = o->congestion;
    to.congestion_strict = o->congestion_strict;
    to.fault_mode = o->fault_mode;
    to.fault_after = o->fault_after;
    to.on_error = die_on_net_error;
    to.key = o->key;
    for (int i = 0; i < 3; i++) to.peer_key[i] = o->peer_key[i];
    to.tap = o->tap;
    to.tap_ud = o->tap_ud;
    net_tcp *t = NULL;
    char err[1024];
    int rc = net_tcp_connect(&t, &to, err, sizeof err);
    int ret = -1;
    if (rc != NET_OK) {
        fprintf(stderr, "error: %s\n", err);
        goto done;
    }
    net_party *p = net_tcp_party(t);

    /* Phase 1: setup. The private randomness (which draws the dealer's seeds, the pairwise seed
     * contributions and every mask) is keyed by 32 bytes from the OS, unless asked otherwise. */
    mpc_ctx ctx;
    dealer_ctx dctx;
    uint8_t rkey[32];
    randombytes_buf(rkey, sizeof rkey);
    if (o->role == NET_D) {
        if (o->reproducible) dealer_init(&dctx, p, o->phantom, o->seed);
        else dealer_init_key(&dctx, p, o->phantom, rkey);
        dealer_set_kinds(&dctx, mpc_family_of(o->cfg)->dealer_kinds);
        must(dealer_setup(&dctx), me, "setup (seed exchange)");
    } else {
        if (o->reproducible) mpc_ctx_init(&ctx, p, o->cfg, o->phantom, o->seed);
        else mpc_ctx_init_key(&ctx, p, o->cfg, o->phantom, rkey);
        must(mpc_setup(&ctx), me, "setup (seed exchange)");
    }
    sodium_memzero(rkey, sizeof rkey);
    int64_t setup_ns = net_now(p);

    /* Phase 2: online, from a shared start (before the reset, so it is never counted). */
    if (o->role != NET_D) online_barrier(p, t, me);
    net_stats_reset(p);
    int off = o->cfg->dealer_schedule == MPC_DEALER_OFFLINE;
    for (int i = 0; i < 3; i++) p->offline_peer[i] = 0;
    if (o->role == NET_D) p->offline_peer[NET_P0] = p->offline_peer[NET_P1] = off;
    else p->offline_peer[NET_D] = off;
    report mine;
    memset(&mine, 0, sizeof mine);
    int64_t t_start = net_now(p);
    if (o->role == NET_D) {
        rc = dealer_serve(&dctx); /* returns at P0's BYE */
        if (rc != NET_OK) {
            fprintf(stderr, "error: D: serving the dealer requests failed: %s\n", net_strerror(rc));
            goto done;
        }
        mine.nreq = dctx.nreq;
    } else {
        run_op(&ctx, o, &io);
        must(net_flush(p, 1 - o->role), me, "final flush");
    }
    int64_t t_end = net_now(p);
    mine.depth = p->depth;
    mine.online_ns = (uint64_t)(t_end - t_start);
    mine.c = p->stats.total;
    net_stats own_stats = p->stats; /* snapshot before the (uncounted) reports */

    /* Phase 3: reports to the output party R; only the other party O sends R its output share. */
    int R = o->out_party == NET_P1 ? NET_P1 : NET_P0, O = 1 - R;
    uint8_t rb[REPORT_WORDS * 8];
    if (o->role == NET_P0) must(net_tcp_send_bye(t, NET_D), me, "telling D we are done");
    if (o->role != R) {
        report_encode(rb, &mine);
        must(net_send(p, R, rb, sizeof rb), me, "sending the report");
        if (o->role == O && real) {
            uint8_t *sb = chk_malloc(io.nout * 8);
            for (size_t i = 0; i < io.nout; i++) put64(sb + 8 * i, io.out_sh[i]);
            must(net_send(p, R, sb, io.nout * 8), me, "sending the output share");
            free(sb);
        }
        must(net_flush(p, R), me, "flushing the report");
        must(net_tcp_finish(t), me, "closing");
        ret = 0;
        goto done;
    }
    report ro, rd;
    must(net_recv(p, O, rb, sizeof rb), me, "receiving the other party's report");
    if (report_decode(&ro, rb) != 0) {
        fprintf(stderr, "error: %s: %s's report is malformed\n", me, net_party_names[O]);
        goto done;
    }
    uint64_t *sh1 = NULL;
    if (real) {
        uint8_t *sb = chk_malloc(io.nout * 8);
        must(net_recv(p, O, sb, io.nout * 8), me, "receiving the other party's output share");
        sh1 = chk_malloc(io.nout * sizeof(uint64_t));
        for (size_t i = 0; i < io.nout; i++) sh1[i] = get64(sb + 8 * i);
        free(sb);
    }
    must(net_recv(p, NET_D, rb, sizeof rb), me, "receiving D's report");
    if (report_decode(&rd, rb) != 0) {
        fprintf(stderr, "error: %s: D's report is malformed\n", me);
        free(sh1);
        goto done;
    }
    net_tcp_congestion(t, O, out->congestion, sizeof out->congestion);
    must(net_tcp_finish(t), me, "closing");
    uint64_t ws, wr;
    if (net_tcp_wire_bytes(t, O, &ws, &wr) == 0)
        fprintf(stderr, "wire: %s-%s connection: %llu bytes %s->%s, %llu bytes %s->%s (TCP payload, kernel count: "
                        "sealed frames with 48-byte headers and 16-byte tags, handshake, barrier, reports); online "
                        "protocol bytes %llu and %llu\n",
                me, net_party_names[O], (unsigned long long)ws, me, net_party_names[O], (unsigned long long)wr,
                net_party_names[O], me, (unsigned long long)own_stats.total.sent_bytes[O],
                (unsigned long long)own_stats.total.recv_bytes[O]);

    /* Results: the same fields as xp_session_run fills. */
    xp_result *res = &out->res;
    res->stats[R] = own_stats;
    res->stats[O].total = ro.c;
    res->stats[NET_D].total = rd.c;
    res->depth[R] = mine.depth;
    res->depth[O] = ro.depth;
    res->depth[NET_D] = rd.depth;
    res->end_ns[R] = (int64_t)mine.online_ns;
    res->end_ns[O] = (int64_t)ro.online_ns;
    res->latency_ns = res->end_ns[0] > res->end_ns[1] ? res->end_ns[0] : res->end_ns[1];
    res->rounds = res->depth[0] > res->depth[1] ? res->depth[0] : res->depth[1];
    const net_counters *c0 = &res->stats[NET_P0].total, *c1 = &res->stats[NET_P1].total, *cd = &rd.c;
    res->dealer_bytes = cd->sent_bytes[0] + cd->sent_bytes[1] + cd->recv_bytes[0] + cd->recv_bytes[1];
    res->dealer_requests = rd.nreq;
    res->setup_ns = setup_ns;
    /* Every byte counted by a sender must have been counted by its receiver. */
    const struct { const char *what; uint64_t a, b; } pairs[] = {
        {"P0->P1", c0->sent_bytes[1], c1->recv_bytes[0]}, {"P1->P0", c1->sent_bytes[0], c0->recv_bytes[1]},
        {"P0->D", c0->sent_bytes[2], cd->recv_bytes[0]},  {"D->P0", cd->sent_bytes[0], c0->recv_bytes[2]},
        {"P1->D", c1->sent_bytes[2], cd->recv_bytes[1]},  {"D->P1", cd->sent_bytes[1], c1->recv_bytes[2]},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
        if (pairs[i].a != pairs[i].b) {
            fprintf(stderr, "error: %s: byte counters disagree on %s: %llu sent, %llu received\n", me, pairs[i].what,
                    (unsigned long long)pairs[i].a, (unsigned long long)pairs[i].b);
            free(sh1);
            goto done;
        }
    if (real) {
        out->nout = io.nout;
        double *got = chk_malloc(io.nout * sizeof(double)), *want = chk_malloc(io.nout * sizeof(double));
        for (size_t i = 0; i < io.nout; i++) got[i] = xp_op_decode(o->cfg, io.out_sh[i], sh1[i]);
        const double *const cin[2] = {in[0], in[1]};
        op->ref(o->cfg, want, cin, s);
        double ma = 0, mr = 0;
        for (size_t i = 0; i < io.nout; i++) {
            double e = fabs(got[i] - want[i]);
            if (!(e <= ma)) ma = e; /* NaN-propagating max */
            double q = e / fmax(fabs(want[i]), 1e-3);
            if (!(q <= mr)) mr = q;
        }
        out->max_abs_err = ma;
        out->max_rel_err = mr;
        out->got = got;
        free(want);
        free(sh1);
    }
    ret = 0;

done:
    net_tcp_destroy(t);
    for (int k = 0; k < 2; k++) {
        free(in[k]);
        free(enc[k]);
        free(io.in_sh[k]);
    }
    free(io.out_sh);
    return ret;
}

void xp_tcp_outcome_free(xp_tcp_outcome *o)
{
    free(o->got);
    o->got = NULL;
}

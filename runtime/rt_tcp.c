/* rt_tcp.c -- one party of a job over TCP: connect, setup, online, report, close; and the same job as
 * three local processes. See rt_tcp.h. */
#define _GNU_SOURCE
#include "rt_tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/arena.h"
#include "../common/par.h"
#include "../protocols/families.h"
#include "../protocols/mpc_wcache.h"
#include "rt_plan.h"

/* ---- configuration hash ---- */

void rt_tcp_config(const rt_tcp_opts *o, const rt_job *j, uint8_t hash[32], char *desc, size_t desclen)
{
    const mpc_config *c = j->cfg;
    snprintf(desc, desclen,
             "protocol=%s ring_bits=%d %s mode=%s seed=%llu randomness=%s output=%s dealer=%s "
             "frac_bits=%d exp_iters=%d recip=%d,%.17g,%.17g sqrt_iters=%d "
             "erf_iters=%d sigmoid_recip=%d,%.17g max=%s quad=%.17g,%.17g,%.17g quad2_c=%.17g "
             "recip_scales=%.17g,%.17g,%.17g ln_eps=%.17g ln_rsqrt_shift=%d",
             mpc_family_of(c)->name, c->ring_bits, j->desc ? j->desc : "", j->phantom ? "phantom" : "real",
             (unsigned long long)j->seed, o->reproducible ? "seed-INSECURE" : "os", o->out_party == NET_P1 ? "P1" : "P0",
             c->dealer_schedule == MPC_DEALER_INLINE ? "inline" : "offline", c->frac_bits, c->exp_iters,
             c->recip_nr_iters, c->recip_init_mul, c->recip_init_add, c->sqrt_nr_iters, c->erf_iters,
             c->sigmoid_recip_iters, c->sigmoid_recip_init, c->max_method == MPC_MAX_NOARGMAX ? "noargmax" : "crypten",
             c->quad_a, c->quad_b, c->quad_c, c->quad2_c, c->softmax_recip_scale, c->quad2_recip_scale,
             c->relu2_recip_scale, c->ln_eps, c->ln_rsqrt_shift);
    size_t used = strlen(desc); /* the safe truncation (mpc_trunc_safe.h) named when chosen */
    if (c->trunc == MPC_TRUNC_SAFE && used < desclen) snprintf(desc + used, desclen - used, " trunc=safe");
    if (c->attn_recip == MPC_RECIP_WIDE) {
        size_t l = strlen(desc);
        if (l < desclen) snprintf(desc + l, desclen - l, " attn_recip=wide");
    }
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
    if (j->desc) /* whole, even where the printable description was cut at desclen */
        crypto_generichash_update(&st, (const unsigned char *)j->desc, strlen(j->desc) + 1);
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

int64_t rt_mono_ns(void)
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
    int64_t left = until - rt_mono_ns();
    if (left > spin) {
        int64_t at = until - spin;
        struct timespec ts = {.tv_sec = (time_t)(at / 1000000000), .tv_nsec = (long)(at % 1000000000)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
    }
    while (rt_mono_ns() < until) {}
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
    _Static_assert(sizeof mine == RT_BARRIER_BYTES, "the simulator's prelude has the barrier's size");
    int64_t rtt = 0;
    if (net_tcp_min_rtt(t, peer, &rtt) != 0) rtt = 0;
    must(net_send(p, peer, &mine, sizeof mine), me, "sending 'ready' (online barrier)");
    must(net_flush(p, peer), me, "flushing 'ready' (online barrier)");
    int64_t t_sent = rt_mono_ns();
    must(net_recv(p, peer, &theirs, sizeof theirs), me, "waiting for the peer's 'ready' (online barrier)");
    int64_t t_recv = rt_mono_ns();
    if (theirs != BARRIER_BYTE) {
        fprintf(stderr, "error: %s: the peer's 'ready' byte is 0x%02x, not 0x%02x (protocol desync)\n", me, theirs,
                BARRIER_BYTE);
        fflush(stderr);
        _exit(1);
    }
    int64_t start = t_sent + rtt / 2;
    if (start > t_recv) wait_until(start);
}

int rt_tcp_run(const rt_tcp_opts *o, const rt_job *j, rt_tcp_outcome *out)
{
    memset(out, 0, sizeof *out);
    const char *me = net_party_names[o->role];
    int real = !j->phantom;

    /* Phase 0: connect and handshake. */
    uint8_t hash[32];
    char desc[NET_TCP_MAX_DESC];
    rt_tcp_config(o, j, hash, desc, sizeof desc);
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
    rt_plan plan; /* D's material (dealer_plan) */
    int planned = 0;
    memset(&plan, 0, sizeof plan);
    arena *scratch = NULL; /* real mode: the party's buffers reuse mapped pages across ops (arena.h) */
    rt_party_prep prep;    /* P0, P1: their setup work (no_party_plan) */
    memset(&prep, 0, sizeof prep);
    char err[1024];
    int rc = net_tcp_connect(&t, &to, err, sizeof err);
    int ret = -1;
    if (rc != NET_OK) {
        fprintf(stderr, "error: %s\n", err);
        goto done;
    }
    net_party *p = net_tcp_party(t);
    /* Public values (not counted: the statistics restart at the online phase). */
    for (int i = 0; i < 2 && o->role != NET_D; i++) {
        if (!j->pub[i].len) continue;
        if (o->role == i) must(net_send(p, 1 - i, j->pub[i].buf, j->pub[i].len), me, "sending public values");
        else must(net_recv(p, i, j->pub[i].buf, j->pub[i].len), me, "receiving the other party's public values");
    }

    /* Phase 1: setup. The private randomness (which draws the dealer's seeds, the pairwise seed
     * contributions and every mask) is keyed by 32 bytes from the OS, unless asked otherwise. */
    mpc_ctx ctx;
    dealer_ctx dctx;
    uint8_t rkey[32];
    randombytes_buf(rkey, sizeof rkey);
    if (o->role == NET_D) {
        if (o->reproducible) dealer_init(&dctx, p, j->phantom, j->seed);
        else dealer_init_key(&dctx, p, j->phantom, rkey);
        dealer_set_kinds(&dctx, mpc_family_of(j->cfg)->dealer_kinds);
        if (real) dctx.scratch = scratch = arena_create();
        must(dealer_setup(&dctx), me, "setup (seed exchange)");
        /* Offline schedule: the material before the online phase (rt_plan.h). */
        if (o->dealer_plan && j->cfg->dealer_schedule == MPC_DEALER_OFFLINE) {
            if (rt_plan_record(j, &plan) != 0 || rt_plan_fill(&dctx, &plan) != 0) goto done;
            planned = 1;
        }
        /* 'ready' to P0 and P1: neither starts its online phase before D can serve at once. */
        uint8_t rd = BARRIER_BYTE;
        for (int i = 0; i < 2; i++) {
            must(net_send(p, i, &rd, 1), me, "sending 'ready'");
            must(net_flush(p, i), me, "flushing 'ready'");
        }
    } else {
        if (o->reproducible) mpc_ctx_init(&ctx, p, j->cfg, j->phantom, j->seed);
        else mpc_ctx_init_key(&ctx, p, j->cfg, j->phantom, rkey);
        if (real) ctx.scratch = scratch = arena_create();
        must(mpc_setup(&ctx), me, "setup (seed exchange)");
        /* The party's input-independent work (rt_plan.h), while D computes its material. */
        if (real && !o->no_party_plan) {
            if (rt_party_prepare(j, o->role, scratch, &prep) != 0) goto done;
            rt_party_fill(&prep, &ctx);
            for (int q = 0; q < 3; q++)
                if (q != o->role) net_tcp_reserve_input(t, q, prep.max_in[q]);
        }
        uint8_t rd = 0;
        must(net_recv(p, NET_D, &rd, 1), me, "waiting for D's 'ready' (the end of its setup)");
        if (rd != BARRIER_BYTE) {
            fprintf(stderr, "error: %s: D's 'ready' byte is 0x%02x, not 0x%02x (protocol desync)\n", me, rd, BARRIER_BYTE);
            goto done;
        }
    }
    sodium_memzero(rkey, sizeof rkey);
    int64_t setup_ns = net_now(p);

    /* Phase 2: online, from a shared start (before the phase boundary, so it is never counted). */
    if (o->role != NET_D) online_barrier(p, t, me);
    rt_phase_online(p, j->cfg);
    report mine;
    memset(&mine, 0, sizeof mine);
    int64_t t_start = net_now(p);
    if (o->role == NET_D) {
        rc = planned ? rt_plan_serve(&dctx, &plan) : dealer_serve(&dctx); /* returns at P0's BYE */
        if (rc != NET_OK) {
            fprintf(stderr, "error: D: serving the dealer requests failed: %s\n", net_strerror(rc));
            goto done;
        }
        mine.nreq = dctx.nreq;
    } else {
        j->fn(&ctx, j->arg[o->role]);
        must(net_flush(p, 1 - o->role), me, "final flush");
    }
    int64_t t_end = net_now(p);
    if (prep.wc && mpc_wcache_misses(prep.wc))
        fprintf(stderr, "note: %s: %llu of the job's model sharings were drawn online (the setup plan did not cover them)\n",
                me, (unsigned long long)mpc_wcache_misses(prep.wc));
    mine.depth = p->depth;
    mine.online_ns = (uint64_t)(t_end - t_start);
    mine.c = p->stats.total;
    net_stats own_stats = p->stats; /* snapshot before the (uncounted) reports */

    /* Phase 3: reports to the output party R; only the other party O sends R its output share. */
    int R = o->out_party == NET_P1 ? NET_P1 : NET_P0, O = 1 - R;
    size_t nsh = real ? j->nshare : 0;
    uint8_t rb[REPORT_WORDS * 8];
    if (o->role == NET_P0) must(net_tcp_send_bye(t, NET_D), me, "telling D we are done");
    if (o->role != R) {
        report_encode(rb, &mine);
        must(net_send(p, R, rb, sizeof rb), me, "sending the report");
        if (o->role == O && nsh) {
            uint8_t *sb = chk_malloc(nsh * 8);
            for (size_t i = 0; i < nsh; i++) put64(sb + 8 * i, j->share[O][i]);
            must(net_send(p, R, sb, nsh * 8), me, "sending the output share");
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
    if (nsh) {
        uint8_t *sb = chk_malloc(nsh * 8);
        must(net_recv(p, O, sb, nsh * 8), me, "receiving the other party's output share");
        sh1 = chk_malloc(nsh * sizeof(uint64_t));
        for (size_t i = 0; i < nsh; i++) sh1[i] = get64(sb + 8 * i);
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

    /* Results: the same fields as the simulator fills. */
    rt_result *res = &out->res;
    res->stats[R] = own_stats;
    res->stats[O].total = ro.c;
    res->stats[NET_D].total = rd.c;
    res->depth[R] = mine.depth;
    res->depth[O] = ro.depth;
    res->depth[NET_D] = rd.depth;
    res->end_ns[R] = (int64_t)mine.online_ns;
    res->end_ns[O] = (int64_t)ro.online_ns;
    memcpy(res->cp_ns[R], p->cp, sizeof p->cp);
    rt_result_assemble(res, rd.nreq);
    res->setup_ns = setup_ns;
    /* Every byte counted by a sender must have been counted by its receiver. */
    const net_counters *c0 = &res->stats[NET_P0].total, *c1 = &res->stats[NET_P1].total, *cd = &rd.c;
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
    out->other_share = sh1;
    ret = 0;

done:
    rt_plan_free(&plan);
    rt_party_prep_free(&prep);
    arena_destroy(scratch);
    net_tcp_destroy(t);
    return ret;
}

void rt_tcp_outcome_free(rt_tcp_outcome *o)
{
    free(o->other_share);
    o->other_share = NULL;
}

/* ---- three local processes ---- */

int rt_tcp_free_ports(int port[3])
{
    int fd[3] = {-1, -1, -1}, ok = 1;
    for (int i = 0; i < 3 && ok; i++) {
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t sl = sizeof sa;
        fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ok = fd[i] >= 0 && bind(fd[i], (struct sockaddr *)&sa, sizeof sa) == 0 &&
             getsockname(fd[i], (struct sockaddr *)&sa, &sl) == 0;
        if (ok) port[i] = ntohs(sa.sin_port);
    }
    int err = errno; /* the failed call's, not close's */
    for (int i = 0; i < 3; i++)
        if (fd[i] >= 0) close(fd[i]);
    errno = err;
    return ok ? 0 : -1;
}

static int write_all_fd(int fd, const void *buf, size_t n)
{
    const uint8_t *b = buf;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        b += w, n -= (size_t)w;
    }
    return 0;
}

/* The child of party r: runs it, and (output party) sends back the result and its ret buffer. */
static void local_child(const rt_tcp_opts *base, int r, int fault_role, const char addr[3][32], const net_keypair kp[3],
                        const rt_job *j, int wfd)
{
    rt_tcp_opts o = *base;
    o.role = r;
    for (int i = 0; i < 3; i++) {
        o.addr[i] = addr[i];
        o.peer_key[i] = i == r ? NULL : kp[i].pk;
    }
    o.listen = NULL;
    o.key = &kp[r];
    if (r != fault_role) o.fault_mode = 0, o.fault_after = 0;
    /* Three processes share this machine's cores: one kernel thread each (par.h), unless the
     * environment says otherwise. */
    if (!getenv("MPCSIM_THREADS")) par_set_threads(1);
    rt_tcp_outcome oc;
    if (rt_tcp_run(&o, j, &oc) != 0) _exit(1);
    int R = o.out_party == NET_P1 ? NET_P1 : NET_P0;
    if (r == R) {
        int ok = write_all_fd(wfd, &oc.res, sizeof oc.res) == 0 &&
                 (!j->ret[R] || write_all_fd(wfd, j->ret[R], j->ret_len[R]) == 0);
        if (!ok) _exit(1);
    }
    _exit(0);
}

int rt_tcp_local(const rt_tcp_opts *o, int fault_role, const rt_job *j, rt_result *res)
{
    memset(res, 0, sizeof *res);
    int port[3];
    if (rt_tcp_free_ports(port) != 0) {
        fprintf(stderr, "error: no free loopback ports: %s\n", strerror(errno));
        return -1;
    }
    char addr[3][32];
    for (int i = 0; i < 3; i++) snprintf(addr[i], sizeof addr[i], "127.0.0.1:%d", port[i]);
    net_keypair kp[3]; /* ephemeral, for this run; each child keeps only its own secret in use */
    for (int i = 0; i < 3; i++) net_key_generate(&kp[i]);
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        fprintf(stderr, "error: pipe: %s\n", strerror(errno));
        return -1;
    }
    int R = o->out_party == NET_P1 ? NET_P1 : NET_P0;
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid(), pid[3] = {-1, -1, -1};
    for (int r = 0; r < 3; r++) {
        pid[r] = fork();
        if (pid[r] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the caller */
            if (getppid() != parent) _exit(1);
            close(pfd[0]);
            for (int i = 0; i < 3; i++)
                if (i != r) sodium_memzero(&kp[i].sk, sizeof kp[i].sk);
            local_child(o, r, fault_role, (const char(*)[32])addr, kp, j, pfd[1]);
        }
        if (pid[r] < 0) {
            fprintf(stderr, "error: fork: %s\n", strerror(errno));
            for (int q = 0; q < r; q++) kill(pid[q], SIGKILL);
            for (int q = 0; q < r; q++) waitpid(pid[q], NULL, 0);
            close(pfd[0]);
            close(pfd[1]);
            return -1;
        }
    }
    for (int i = 0; i < 3; i++) sodium_memzero(&kp[i].sk, sizeof kp[i].sk);
    close(pfd[1]);
    /* Read the output party's bytes (result, then its ret buffer) until EOF, then reap. */
    size_t want = sizeof *res + (j->ret[R] ? j->ret_len[R] : 0), got = 0;
    uint8_t *buf = chk_malloc(want ? want : 1);
    for (;;) {
        ssize_t n = read(pfd[0], buf + got, got < want ? want - got : 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || got + (size_t)n >= want) {
            if (n > 0) got += (size_t)n;
            break;
        }
        got += (size_t)n;
    }
    close(pfd[0]);
    int st[3], ok = 1;
    for (int r = 0; r < 3; r++) {
        while (waitpid(pid[r], &st[r], 0) < 0 && errno == EINTR) {}
        ok &= WIFEXITED(st[r]) && WEXITSTATUS(st[r]) == 0;
    }
    if (!ok || got != want) {
        fprintf(stderr, "error: the job over TCP (three local processes) failed, no result:\n");
        for (int r = 0; r < 3; r++) {
            if (WIFEXITED(st[r])) fprintf(stderr, "  %-2s exit status %d\n", net_party_names[r], WEXITSTATUS(st[r]));
            else if (WIFSIGNALED(st[r]))
                fprintf(stderr, "  %-2s killed by signal %d (%s)\n", net_party_names[r], WTERMSIG(st[r]),
                        strsignal(WTERMSIG(st[r])));
        }
        free(buf);
        return -1;
    }
    memcpy(res, buf, sizeof *res);
    if (j->ret[R]) memcpy(j->ret[R], buf + sizeof *res, j->ret_len[R]);
    free(buf);
    return 0;
}

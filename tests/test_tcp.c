/* test_tcp.c -- the TCP backend over loopback only (127.0.0.1) and socketpairs:
 *  - framing: short reads (byte by byte), coalesced small sends held until a flush, wrong length,
 *    truncated frame, bad magic, EOF with and without a goodbye, stall and idle timeouts, a
 *    16 MB exchange in both directions at once (the deadlock hazard), phantom zero payloads,
 *    the wrapper's counters and wait split;
 *  - end to end: `mpcsim launch` for every registered op against `mpcsim op` in the simulator:
 *    rounds, bytes per party, dealer bytes and errors equal, reconstructed output identical; in
 *    process (rt_op_tcp_run in three threads), every party's byte, message and round counters equal
 *    the simulator's, so the online barrier's 'ready' bytes are uncounted, and the latency is > 0;
 *  - faults: a party killed, truncating or hanging mid-run makes the others exit 1 with a clear
 *    message in < 10 s; a configuration mismatch is refused by both sides; connect deadline;
 *  - privacy (issue 20): sealed frames (a flipped bit is detected, in process and through a relay on
 *    a real run), a header announcing 2^40 bytes refused before any allocation, secrets from the OS
 *    (different transcripts, same result; the dealer's seeds not derivable from --seed, which the
 *    --insecure-reproducible control shows the test would catch), strangers without the right key
 *    refused without stopping the run, idle connections not exhausting the setup, high-entropy
 *    payloads in a capture, key files;
 *  - the dealer's plan (rt_plan.h): recorded requests and sizes, served as planned, any other request
 *    or an early end refused.
 * Every child process is reaped within a bounded time (and dies with the test, PR_SET_PDEATHSIG). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <math.h>
#include <poll.h>
#include <sodium.h>
#include <sys/stat.h>

#include "../common/rng.h"
#include "../runtime/rt_op_tcp.h"
#include "../runtime/rt_plan.h"
#include "../net/net_sim.h"
#include "../net/net_tcp.h"
#include "testutil.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- framing over a socketpair: party 0 (the backend) <-> a raw peer (fd) ---- */

typedef struct rawpair {
    net_tcp *t;
    net_party *p;
    int raw; /* blocking, the other end */
} rawpair;

static rawpair rawpair_open(int64_t io_timeout_ns, int64_t stall_ns)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    net_tcp_opts o;
    net_tcp_opts_default(&o);
    o.self = 0;
    o.nparties = 2;
    if (io_timeout_ns) o.io_timeout_ns = io_timeout_ns;
    if (stall_ns) o.stall_timeout_ns = stall_ns;
    int fd[NET_MAX_PARTIES] = {-1, sv[0], -1};
    rawpair r = {0};
    cr_assert_eq(net_tcp_from_fds(&r.t, &o, fd), NET_OK);
    r.p = net_tcp_party(r.t);
    r.raw = sv[1];
    return r;
}

static void rawpair_close(rawpair *r)
{
    net_tcp_destroy(r->t);
    if (r->raw >= 0) close(r->raw);
}

static void write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

/* A frame as bytes: header + payload (payload NULL = zeros). */
static uint8_t *frame(int type, size_t n, uint64_t label, const void *payload, size_t *len)
{
    uint8_t *b = calloc(1, NET_TCP_HDR_BYTES + n + 1);
    net_tcp_frame_header(b, type, n, label, NULL);
    if (payload && n) memcpy(b + NET_TCP_HDR_BYTES, payload, n);
    *len = NET_TCP_HDR_BYTES + n;
    return b;
}

typedef struct dribble {
    int fd;
    const uint8_t *buf;
    size_t n, chunk;
    int us;
} dribble;

/* Writes buf in chunks of `chunk` bytes with a pause between them (short reads on the other side). */
static void *dribble_main(void *arg)
{
    dribble *d = arg;
    for (size_t off = 0; off < d->n; off += d->chunk) {
        size_t k = d->n - off < d->chunk ? d->n - off : d->chunk;
        write_all(d->fd, d->buf + off, k);
        if (d->us) usleep((useconds_t)d->us);
    }
    return NULL;
}

Test(tcp_frame, short_reads_byte_by_byte_and_in_odd_chunks)
{
    rawpair r = rawpair_open(0, 0);
    /* three frames: 1000 bytes label 1, 0 bytes label 2, 1 MB label 5 */
    uint8_t small[1000];
    for (size_t i = 0; i < sizeof small; i++) small[i] = (uint8_t)(i * 7 + 1);
    size_t big_n = 1 << 20;
    uint8_t *big = malloc(big_n);
    for (size_t i = 0; i < big_n; i++) big[i] = (uint8_t)(i ^ (i >> 8));
    size_t l1, l2, l3;
    uint8_t *f1 = frame(NET_TCP_DATA, sizeof small, 1, small, &l1);
    uint8_t *f2 = frame(NET_TCP_DATA, 0, 2, NULL, &l2);
    uint8_t *f3 = frame(NET_TCP_DATA, big_n, 5, big, &l3);
    size_t n12 = l1 + l2;
    uint8_t *both = malloc(n12);
    memcpy(both, f1, l1);
    memcpy(both + l1, f2, l2);
    dribble d1 = {r.raw, both, n12, 1, 50}; /* one byte at a time */
    pthread_t th;
    pthread_create(&th, NULL, dribble_main, &d1);
    uint8_t got[1000];
    cr_assert_eq(net_recv(r.p, 1, got, sizeof got), NET_OK);
    cr_expect_eq(memcmp(got, small, sizeof small), 0, "payload differs after byte-by-byte delivery");
    cr_assert_eq(net_recv(r.p, 1, NULL, 0), NET_OK);
    pthread_join(th, NULL);
    dribble d3 = {r.raw, f3, l3, 4093, 0}; /* odd chunks, headers split across reads */
    pthread_create(&th, NULL, dribble_main, &d3);
    uint8_t *gb = malloc(big_n);
    cr_assert_eq(net_recv(r.p, 1, gb, big_n), NET_OK);
    pthread_join(th, NULL);
    cr_expect_eq(memcmp(gb, big, big_n), 0, "1 MB payload differs");
    const net_counters *c = &r.p->stats.total;
    cr_expect_eq(c->recv_bytes[1], sizeof small + big_n);
    cr_expect_eq(c->recv_msgs[1], 3);
    cr_expect_eq(r.p->depth, 5, "labels carried: depth %llu", (unsigned long long)r.p->depth);
    cr_expect_eq(c->rounds, 5);
    /* All waiting is `other` over TCP (no transfer/propagation split). */
    cr_expect_eq(c->transfer_ns, 0);
    cr_expect(c->other_ns > 0, "the byte-by-byte wait should count as other");
    free(f1), free(f2), free(f3), free(both), free(big), free(gb);
    rawpair_close(&r);
}

Test(tcp_frame, small_sends_coalesce_until_flush_header_and_payload_together)
{
    rawpair r = rawpair_open(0, 0);
    uint64_t a[4] = {1, 2, 3, 4}, b[2] = {9, 8};
    cr_assert_eq(net_send(r.p, 1, a, sizeof a), NET_OK);
    cr_assert_eq(net_send(r.p, 1, b, sizeof b), NET_OK);
    uint8_t buf[512];
    ssize_t n = recv(r.raw, buf, sizeof buf, MSG_DONTWAIT);
    cr_expect(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "small sends must be buffered until a flush");
    cr_assert_eq(net_flush(r.p, 1), NET_OK);
    size_t want = 2 * NET_TCP_HDR_BYTES + sizeof a + sizeof b, have = 0;
    double t0 = now_s();
    while (have < want && now_s() - t0 < 5) {
        n = recv(r.raw, buf + have, sizeof buf - have, 0);
        if (n <= 0) break;
        have += (size_t)n;
    }
    cr_assert_eq(have, want);
    uint8_t h[NET_TCP_HDR_BYTES];
    net_tcp_frame_header(h, NET_TCP_DATA, sizeof a, 1, r.p->cp);
    cr_expect_eq(memcmp(buf, h, 24), 0, "first header (magic, type, length, label)");
    cr_expect_eq(memcmp(buf + NET_TCP_HDR_BYTES, a, sizeof a), 0);
    cr_expect_eq(memcmp(buf + 2 * NET_TCP_HDR_BYTES + sizeof a, b, sizeof b), 0);
    /* Phantom: NULL sends n zero bytes. */
    cr_assert_eq(net_send(r.p, 1, NULL, 24), NET_OK);
    cr_assert_eq(net_flush(r.p, 1), NET_OK);
    have = 0;
    while (have < NET_TCP_HDR_BYTES + 24) {
        n = recv(r.raw, buf + have, NET_TCP_HDR_BYTES + 24 - have, 0);
        if (n <= 0) break;
        have += (size_t)n;
    }
    cr_assert_eq(have, NET_TCP_HDR_BYTES + 24);
    for (int i = 0; i < 24; i++) cr_expect_eq(buf[NET_TCP_HDR_BYTES + i], 0);
    rawpair_close(&r);
}

static void expect_recv_error(const char *what, const void *bytes, size_t nbytes, int close_after, size_t want_n,
                              int want_rc, const char *needle, int64_t io_ns, int64_t stall_ns, double max_s)
{
    rawpair r = rawpair_open(io_ns, stall_ns);
    if (nbytes) write_all(r.raw, bytes, nbytes);
    if (close_after) {
        close(r.raw);
        r.raw = -1;
    }
    uint8_t buf[256];
    double t0 = now_s();
    int rc = net_recv(r.p, 1, buf, want_n);
    double dt = now_s() - t0;
    cr_expect_eq(rc, want_rc, "%s: rc %d (%s), want %d", what, rc, net_strerror(rc), want_rc);
    if (needle) cr_expect(strstr(net_tcp_error(r.t), needle) != NULL, "%s: message '%s' should mention '%s'", what,
                          net_tcp_error(r.t), needle);
    else cr_expect_eq(net_tcp_error(r.t)[0], 0, "%s: a clean close is not an error: '%s'", what, net_tcp_error(r.t));
    cr_expect(dt < max_s, "%s: took %.2f s", what, dt);
    rawpair_close(&r);
}

Test(tcp_frame, malformed_and_closed_streams_fail_clearly)
{
    size_t l;
    uint8_t pay[64] = {0};
    uint8_t *f = frame(NET_TCP_DATA, 16, 1, pay, &l);
    expect_recv_error("wrong length", f, l, 0, 8, NET_EPROTO, "expects a 8-byte message from P1, the next one announces 16", 0, 0, 2);
    expect_recv_error("truncated", f, NET_TCP_HDR_BYTES + 5, 1, 16, NET_EPROTO, "truncated message from P1", 0, 0, 2);
    expect_recv_error("truncated header", f, 20, 1, 16, NET_EPROTO, "truncated", 0, 0, 2);
    free(f);
    expect_recv_error("EOF at a boundary", NULL, 0, 1, 16, NET_ECLOSED, "without a goodbye", 0, 0, 2);
    f = frame(NET_TCP_BYE, 0, 0, NULL, &l);
    expect_recv_error("goodbye", f, l, 0, 16, NET_ECLOSED, NULL, 0, 0, 2);
    free(f);
    uint8_t junk[NET_TCP_HDR_BYTES + 8];
    memset(junk, 'G', sizeof junk);
    expect_recv_error("bad magic", junk, sizeof junk, 0, 8, NET_EPROTO, "bad frame magic", 0, 0, 2);
    f = frame(NET_TCP_DATA, 100, 1, NULL, &l);
    expect_recv_error("stalled mid-frame", f, NET_TCP_HDR_BYTES + 50, 0, 100, NET_ETIMEOUT, "stalled", 10000000000LL,
                      300000000LL, 3);
    free(f);
    expect_recv_error("idle", NULL, 0, 0, 8, NET_ETIMEOUT, "nothing from P1", 300000000LL, 0, 3);
}

/* ---- the deadlock hazard: both parties send 16 MB, then receive, over small socket buffers ---- */

typedef struct xarg {
    net_tcp *t;
    net_party *p;
    size_t n;
    int phantom, rc_send, rc_recv, rc_fin, ok;
} xarg;

static void *exchange_main(void *arg)
{
    xarg *x = arg;
    uint8_t *out = x->phantom ? NULL : malloc(x->n), *in = malloc(x->n);
    if (out)
        for (size_t i = 0; i < x->n; i++) out[i] = (uint8_t)(i * 31 + (size_t)x->p->self);
    x->rc_send = net_send(x->p, 1 - x->p->self, out, x->n);
    if (x->rc_send == NET_OK) x->rc_recv = net_recv(x->p, 1 - x->p->self, in, x->n);
    x->ok = 1;
    for (size_t i = 0; i < x->n && x->rc_recv == NET_OK; i++)
        if (in[i] != (x->phantom ? 0 : (uint8_t)(i * 31 + (size_t)(1 - x->p->self)))) {
            x->ok = 0;
            break;
        }
    free(out);
    free(in);
    x->rc_fin = net_tcp_finish(x->t); /* graceful close: both sides at once */
    return NULL;
}

static const uint8_t test_psk[32] = {7, 1, 2, 3};

static void exchange(int phantom, int sealed)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int small = 64 * 1024;
    for (int i = 0; i < 2; i++) {
        setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    }
    net_tcp *t[2];
    xarg x[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        net_tcp_opts o;
        net_tcp_opts_default(&o);
        o.self = i;
        o.nparties = 2;
        o.io_timeout_ns = 20000000000LL; /* a deadlock fails instead of hanging */
        o.psk = sealed ? test_psk : NULL;
        int fd[NET_MAX_PARTIES] = {-1, -1, -1};
        fd[1 - i] = sv[i];
        cr_assert_eq(net_tcp_from_fds(&t[i], &o, fd), NET_OK);
        x[i] = (xarg){.t = t[i], .p = net_tcp_party(t[i]), .n = 16u << 20, .phantom = phantom};
    }
    double t0 = now_s();
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, exchange_main, &x[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(x[i].rc_send, NET_OK, "P%d send: %s", i, net_tcp_error(t[i]));
        cr_expect_eq(x[i].rc_recv, NET_OK, "P%d recv: %s", i, net_tcp_error(t[i]));
        cr_expect(x[i].ok, "P%d received corrupted data", i);
        cr_expect_eq(x[i].rc_fin, NET_OK, "P%d finish: %s", i, net_tcp_error(t[i]));
        cr_expect_eq(x[i].p->stats.total.sent_bytes[1 - i], 16u << 20);
        cr_expect_eq(x[i].p->depth, 1, "an exchange is one round");
    }
    cr_expect(now_s() - t0 < 15, "16 MB exchange took %.1f s", now_s() - t0);
    for (int i = 0; i < 2; i++) net_tcp_destroy(t[i]);
}

Test(tcp_frame, simultaneous_16mb_exchange_does_not_deadlock, .timeout = 60)
{
    exchange(0, 0);
}

Test(tcp_frame, simultaneous_16mb_phantom_exchange_sends_zeros, .timeout = 60)
{
    exchange(1, 0);
}

Test(tcp_sec, sealed_16mb_exchange_real_and_phantom, .timeout = 60)
{
    exchange(0, 1);
    exchange(1, 1);
}

/* ---- processes ---- */

/* Three distinct free loopback ports. */
static void free_ports(int port[3])
{
    int fd[3];
    for (int i = 0; i < 3; i++) {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t sl = sizeof sa;
        fd[i] = socket(AF_INET, SOCK_STREAM, 0);
        cr_assert(fd[i] >= 0 && bind(fd[i], (struct sockaddr *)&sa, sizeof sa) == 0 &&
                  getsockname(fd[i], (struct sockaddr *)&sa, &sl) == 0);
        port[i] = ntohs(sa.sin_port);
    }
    for (int i = 0; i < 3; i++) close(fd[i]);
}

/* ---- connection setup in-process: two parties over loopback, handshake, congestion control ---- */

typedef struct sarg {
    net_tcp_opts o;
    net_tcp *t;
    int rc, rc_x, rc_fin;
    char err[1024], cc[32];
    uint64_t got;
} sarg;

static void *setup_main(void *arg)
{
    sarg *a = arg;
    a->rc = net_tcp_connect(&a->t, &a->o, a->err, sizeof a->err);
    if (a->rc != NET_OK) return NULL;
    net_tcp_congestion(a->t, 1 - a->o.self, a->cc, sizeof a->cc);
    net_party *p = net_tcp_party(a->t);
    uint64_t mine = 1000 + (uint64_t)a->o.self;
    a->rc_x = net_send(p, 1 - a->o.self, &mine, sizeof mine);
    if (a->rc_x == NET_OK) a->rc_x = net_recv(p, 1 - a->o.self, &a->got, sizeof a->got);
    a->rc_fin = net_tcp_finish(a->t);
    return NULL;
}

static void two_parties(sarg a[2], const char *desc1, const char *cc)
{
    int port[3];
    free_ports(port);
    static char addr[2][64];
    snprintf(addr[0], sizeof addr[0], "127.0.0.1:%d", port[0]);
    snprintf(addr[1], sizeof addr[1], "127.0.0.1:%d", port[1]);
    static const uint8_t h0[4] = {1, 2, 3, 4}, h1[4] = {1, 2, 3, 5};
    static net_keypair kp[2];
    for (int i = 0; i < 2; i++) net_key_generate(&kp[i]);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        memset(&a[i], 0, sizeof a[i]);
        net_tcp_opts_default(&a[i].o);
        a[i].o.self = i;
        a[i].o.nparties = 2;
        a[i].o.addr[0] = addr[0];
        a[i].o.addr[1] = addr[1];
        a[i].o.hash = i == 1 && desc1 ? h1 : h0;
        a[i].o.hash_len = 4;
        a[i].o.desc = i == 1 && desc1 ? desc1 : "op=mul seed=1";
        a[i].o.connect_timeout_ns = 5000000000LL;
        a[i].o.congestion = cc;
        a[i].o.congestion_strict = 1;
        a[i].o.key = &kp[i];
        a[i].o.peer_key[1 - i] = kp[1 - i].pk;
    }
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, setup_main, &a[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
}

Test(tcp_setup, handshake_congestion_and_graceful_close, .timeout = 30)
{
    sarg a[2];
    two_parties(a, NULL, "reno");
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(a[i].rc, NET_OK, "P%d connect: %s", i, a[i].err);
        cr_expect_str_eq(a[i].cc, "reno", "P%d uses congestion control '%s'", i, a[i].cc);
        cr_expect_eq(a[i].rc_x, NET_OK, "P%d exchange: %s", i, net_tcp_error(a[i].t));
        cr_expect_eq(a[i].got, 1000 + (uint64_t)(1 - i));
        cr_expect_eq(a[i].rc_fin, NET_OK, "P%d finish: %s", i, net_tcp_error(a[i].t));
        net_tcp_destroy(a[i].t);
    }
}

Test(tcp_setup, handshake_refuses_a_different_configuration, .timeout = 30)
{
    sarg a[2];
    two_parties(a, "op=mul seed=2", NULL);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(a[i].rc, NET_EPROTO, "P%d: rc %d: %s", i, a[i].rc, a[i].err);
        cr_expect(strstr(a[i].err, "configuration mismatch") != NULL, "P%d: %s", i, a[i].err);
        net_tcp_destroy(a[i].t);
    }
    cr_expect(strstr(a[0].err, "seed (P1: 2, P0: 1)") != NULL, "%s", a[0].err);
    cr_expect(strstr(a[1].err, "seed (P0: 1, P1: 2)") != NULL, "%s", a[1].err);
}

typedef struct kid {
    pid_t pid;
    int status, done;
    double t_exit;
    char errpath[256], outpath[300];
    char *err, *out;
} kid;

/* Key files for p0, p1, dealer (and a stranger) made once per test process with `mpcsim keygen`. */
static const char *keydir(void)
{
    static char *dir;
    if (dir) return dir;
    dir = tu_tmpdir();
    static const char *const who[4] = {"p0", "p1", "dealer", "stranger"};
    for (int i = 0; i < 4; i++) {
        char args[512];
        snprintf(args, sizeof args, "keygen --out %s/%s", dir, who[i]);
        tu_run r = tu_mpcsim(args);
        cr_assert_eq(r.status, 0, "keygen: %s", r.err);
        cr_assert(strncmp(r.out, "x25519:", 7) == 0 && strlen(r.out) == 7 + 43 + 1, "keygen printed '%s'", r.out);
        tu_run_free(&r);
    }
    return dir;
}

/* "--key DIR/ROLE --peer-keys p0=DIR/p0.pub,..." for role. */
static void key_args(char *out, size_t n, const char *role)
{
    const char *d = keydir();
    snprintf(out, n, "--key %s/%s --peer-keys p0=%s/p0.pub,p1=%s/p1.pub,dealer=%s/dealer.pub", d, role, d, d, d);
}

/* Starts `mpcsim party --role ROLE --peers ... [keys] extra...` (the role's keys unless extra has
 * --key); stderr to a file, stdout to DIR/ROLE.out. */
static void spawn_party(kid *k, const char *dir, const char *role, const int port[3], const char *extra)
{
    char peers[160], keys[1024] = "";
    if (!strstr(extra, "--key ")) key_args(keys, sizeof keys, role);
    snprintf(k->outpath, sizeof k->outpath, "%s/%s.out", dir, role);
    snprintf(peers, sizeof peers, "p0=127.0.0.1:%d,p1=127.0.0.1:%d,dealer=127.0.0.1:%d", port[0], port[1], port[2]);
    snprintf(k->errpath, sizeof k->errpath, "%s/%s.err", dir, role);
    size_t el = strlen(extra) + strlen(keys) + 2;
    char *ex = malloc(el);
    snprintf(ex, el, "%s %s", keys, extra);
    const char *argv[64];
    int n = 0;
    argv[n++] = MPCSIM_BIN;
    argv[n++] = "party";
    argv[n++] = "--role";
    argv[n++] = role;
    argv[n++] = "--peers";
    argv[n++] = peers;
    for (char *s = strtok(ex, " "); s && n < 62; s = strtok(NULL, " ")) argv[n++] = s;
    argv[n] = NULL;
    pid_t parent = getpid();
    k->pid = fork();
    cr_assert(k->pid >= 0);
    if (k->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        int fd = open(k->errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644), ofd = open(k->outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        dup2(ofd, 1);
        execv(MPCSIM_BIN, (char *const *)argv);
        _exit(127);
    }
    free(ex);
    k->done = 0;
    k->err = NULL;
}

/* Reaps all kids, killing whatever still runs after limit_s; records exit times since t0. */
static void reap(kid *k, int n, double t0, double limit_s)
{
    for (;;) {
        int left = 0;
        for (int i = 0; i < n; i++) {
            if (k[i].done) continue;
            int st;
            pid_t w = waitpid(k[i].pid, &st, WNOHANG);
            if (w == k[i].pid) {
                k[i].done = 1;
                k[i].status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                k[i].t_exit = now_s() - t0;
            } else left++;
        }
        if (!left) break;
        if (now_s() - t0 > limit_s) {
            for (int i = 0; i < n; i++)
                if (!k[i].done) {
                    kill(k[i].pid, SIGKILL);
                    waitpid(k[i].pid, NULL, 0);
                    k[i].done = 1;
                    k[i].status = -1; /* hung */
                    k[i].t_exit = now_s() - t0;
                }
            break;
        }
        sleep_ms(10);
    }
    for (int i = 0; i < n; i++) {
        k[i].err = tu_read_file(k[i].errpath, NULL);
        if (!k[i].err) k[i].err = strdup("");
        remove(k[i].errpath);
        k[i].out = tu_read_file(k[i].outpath, NULL);
        if (!k[i].out) k[i].out = strdup("");
        remove(k[i].outpath);
    }
}

static void kids_free(kid *k, int n)
{
    for (int i = 0; i < n; i++) {
        free(k[i].err);
        free(k[i].out);
    }
}

static const char *const roles[3] = {"p0", "p1", "dealer"};

/* Runs the three parties of relu 4x64 with `fault` added to party `victim`; returns after all exit. */
static void run_faulty(kid k[3], int victim, const char *fault, const char *common)
{
    char *dir = tu_tmpdir();
    int port[3];
    free_ports(port);
    double t0 = now_s();
    for (int r = 0; r < 3; r++) {
        char extra[512];
        snprintf(extra, sizeof extra, "relu --shape 4x64 --connect-timeout 5 %s %s", common, r == victim ? fault : "");
        spawn_party(&k[r], dir, roles[r], port, extra);
    }
    reap(k, 3, t0, 30);
    rmdir(dir);
    free(dir);
}

static void expect_clear_failure(kid k[3], int victim, int victim_status, const char *needle[3])
{
    for (int r = 0; r < 3; r++) {
        if (r == victim) {
            cr_expect_eq(k[r].status, victim_status, "%s (faulty) ended with %d", roles[r], k[r].status);
            continue;
        }
        cr_expect_eq(k[r].status, 1, "%s should exit 1, got %d (-1 = hung); stderr: %s", roles[r], k[r].status, k[r].err);
        cr_expect(k[r].t_exit < 10.0, "%s took %.2f s to fail", roles[r], k[r].t_exit);
        cr_expect(strncmp(k[r].err, "error: ", 7) == 0 || strstr(k[r].err, "\nerror: "), "%s: no error line: %s", roles[r],
                  k[r].err);
        if (needle[r])
            cr_expect(strstr(k[r].err, needle[r]) != NULL, "%s: stderr should mention '%s': %s", roles[r], needle[r], k[r].err);
        cr_expect(strstr(k[r].err, "CHECK failed") == NULL, "%s: a dead peer is not a programming error: %s", roles[r],
                  k[r].err);
    }
}

Test(tcp_fault, killed_peer_mid_run, .timeout = 60)
{
    kid k[3];
    run_faulty(k, NET_P1, "--die-after-messages 3", "");
    const char *needle[3] = {"P0: P1 closed the connection without a goodbye", NULL, "P0 closed the connection"};
    expect_clear_failure(k, NET_P1, 128 + SIGKILL, needle);
    kids_free(k, 3);
}

Test(tcp_fault, killed_dealer_mid_run, .timeout = 60)
{
    kid k[3];
    /* D's frames: seeds (2), 'ready' to P0 and P1 (2), then material: it dies before its 2nd answer */
    run_faulty(k, NET_D, "--die-after-messages 5", "--dealer inline");
    const char *needle[3] = {"P0: D closed the connection without a goodbye", NULL, NULL};
    expect_clear_failure(k, NET_D, 128 + SIGKILL, needle);
    kids_free(k, 3);
}

Test(tcp_fault, truncated_message, .timeout = 60)
{
    kid k[3];
    /* P0's frames: its seed (setup), 'ready' (online barrier), then relu's; the 6th, relu's 4th, goes to P1 */
    run_faulty(k, NET_P0, "--die-after-messages 5 --fault-mode truncate", "");
    const char *needle[3] = {NULL, "P1: truncated message from P0", "P0 closed the connection"};
    expect_clear_failure(k, NET_P0, 128 + SIGKILL, needle);
    kids_free(k, 3);
}

Test(tcp_fault, peer_hangs_mid_message, .timeout = 60)
{
    kid k[3];
    run_faulty(k, NET_P1, "--die-after-messages 3 --fault-mode stall", "--stall-timeout 2");
    const char *needle[3] = {"P0: message from P1 stalled", NULL, "P0 closed the connection"};
    expect_clear_failure(k, NET_P1, 3, needle);
    kids_free(k, 3);
}

Test(tcp_fault, configuration_mismatch_is_refused, .timeout = 60)
{
    char *dir = tu_tmpdir();
    int port[3];
    free_ports(port);
    kid k[3];
    double t0 = now_s();
    spawn_party(&k[0], dir, "p0", port, "mul --shape 64 --seed 1 --connect-timeout 5");
    spawn_party(&k[1], dir, "p1", port, "mul --shape 64 --seed 2 --connect-timeout 5");
    spawn_party(&k[2], dir, "dealer", port, "mul --shape 64 --seed 1 --connect-timeout 5");
    reap(k, 3, t0, 30);
    for (int r = 0; r < 3; r++) {
        cr_expect_eq(k[r].status, 1, "%s should refuse (exit 1), got %d: %s", roles[r], k[r].status, k[r].err);
        cr_expect(k[r].t_exit < 10.0, "%s took %.2f s", roles[r], k[r].t_exit);
    }
    for (int r = 0; r < 2; r++) {
        cr_expect(strstr(k[r].err, "configuration mismatch") != NULL, "%s: %s", roles[r], k[r].err);
        cr_expect(strstr(k[r].err, r == 0 ? "seed (P1: 2, P0: 1)" : "seed (P0: 1, P1: 2)") != NULL, "%s: %s", roles[r],
                  k[r].err);
    }
    /* a different op option (mode) is refused too, by P0 and the dealer */
    kids_free(k, 3);
    free_ports(port);
    t0 = now_s();
    spawn_party(&k[0], dir, "p0", port, "mul --shape 64 --connect-timeout 5");
    spawn_party(&k[1], dir, "p1", port, "mul --shape 64 --connect-timeout 5");
    spawn_party(&k[2], dir, "dealer", port, "mul --shape 64 --mode phantom --connect-timeout 5");
    reap(k, 3, t0, 30);
    for (int r = 0; r < 3; r++) cr_expect_eq(k[r].status, 1, "%s: %d: %s", roles[r], k[r].status, k[r].err);
    cr_expect(strstr(k[2].err, "mode (P0: real, D: phantom)") != NULL, "dealer: %s", k[2].err);
    kids_free(k, 3);
    rmdir(dir);
    free(dir);
}

Test(tcp_fault, connect_deadline, .timeout = 60)
{
    char *dir = tu_tmpdir();
    int port[3];
    free_ports(port);
    kid k[1];
    double t0 = now_s();
    spawn_party(&k[0], dir, "p1", port, "mul --shape 64 --connect-timeout 1");
    reap(k, 1, t0, 20);
    cr_expect_eq(k[0].status, 1, "status %d: %s", k[0].status, k[0].err);
    cr_expect(k[0].t_exit >= 0.9 && k[0].t_exit < 5, "exited after %.2f s", k[0].t_exit);
    cr_expect(strstr(k[0].err, "could not connect to P0 at 127.0.0.1:") != NULL, "%s", k[0].err);
    kids_free(k, 1);
    /* P0 alone: nobody connects */
    t0 = now_s();
    spawn_party(&k[0], dir, "p0", port, "mul --shape 64 --connect-timeout 1");
    reap(k, 1, t0, 20);
    cr_expect_eq(k[0].status, 1, "status %d: %s", k[0].status, k[0].err);
    cr_expect(k[0].t_exit < 5, "exited after %.2f s", k[0].t_exit);
    cr_expect(strstr(k[0].err, "waited 1.0 s for P1, D to connect") != NULL, "%s", k[0].err);
    kids_free(k, 1);
    rmdir(dir);
    free(dir);
}

Test(tcp_fault, launch_reports_a_failed_party_and_prints_no_result, .timeout = 60)
{
    double t0 = now_s();
    tu_run r = tu_mpcsim("launch relu --shape 4x64 --fault p1:die:3");
    cr_expect_eq(r.status, 1, "status %d: %s", r.status, r.err);
    cr_expect_eq(r.out[0], 0, "no partial result on stdout: %s", r.out);
    cr_expect(strstr(r.err, "no result") && strstr(r.err, "P1 killed by signal 9"), "%s", r.err);
    cr_expect(strstr(r.err, "P0 exit status 1") && strstr(r.err, "D  exit status 1"), "%s", r.err);
    cr_expect(now_s() - t0 < 10, "took %.1f s", now_s() - t0);
    tu_run_free(&r);
}

/* ---- end to end: TCP equals the simulator ---- */

/* Splits a CSV data line (second line) into fields. */
static int csv_fields(const char *csv, char f[32][64])
{
    const char *l = strchr(csv, '\n');
    if (!l) return 0;
    l++;
    int n = 0;
    while (*l && *l != '\n' && n < 32) {
        size_t k = strcspn(l, ",\n");
        snprintf(f[n++], 64, "%.*s", (int)k, l);
        l += k;
        if (*l == ',') {
            l++;
            if (*l == '\n' || !*l) snprintf(f[n++], 64, "%s", "");
        }
    }
    return n;
}

/* Compares `mpcsim launch` with `mpcsim op` and the dumped output with rt_op_run's. */
static void compare(const char *name, const char *shape, const char *extra, int dealer_inline, int phantom)
{
    char *dir = tu_tmpdir(), dump[256], args[512];
    snprintf(dump, sizeof dump, "%s/out.txt", dir);
    snprintf(args, sizeof args, "op %s --shape %s --seed 11 %s", name, shape, extra);
    tu_run sim = tu_mpcsim(args);
    snprintf(args, sizeof args, "launch %s --shape %s --seed 11 --dump-output %s --timeout 30 --insecure-reproducible %s",
             name, shape, dump, extra);
    tu_run tcp = tu_mpcsim(args);
    cr_assert_eq(sim.status, 0, "%s: op failed: %s", args, sim.err);
    cr_assert_eq(tcp.status, 0, "%s failed: %s", args, tcp.err);
    cr_expect_eq(strncmp(sim.out, tcp.out, strcspn(sim.out, "\n")), 0, "%s: CSV headers differ", name);
    char a[32][64], b[32][64];
    int na = csv_fields(sim.out, a), nb = csv_fields(tcp.out, b);
    cr_assert_eq(na, 18, "%s: %d sim fields: %s", name, na, sim.out);
    cr_assert_eq(nb, 18, "%s: %d tcp fields: %s", name, nb, tcp.out);
    /* all but latency_s (9), net (13), bandwidth_bps (14), one_way_latency_s (15) */
    static const char *const col[18] = {"op", "shape", "mode", "rounds", "online_sent_bytes_p0", "online_recv_bytes_p0",
                                        "online_sent_bytes_p1", "online_recv_bytes_p1", "dealer_bytes", "latency_s",
                                        "max_abs_err", "max_rel_err", "dealer", "net", "bandwidth_bps",
                                        "one_way_latency_s", "frac_bits", "seed"};
    for (int i = 0; i < 18; i++) {
        if (i == 9 || (i >= 13 && i <= 15)) continue;
        cr_expect_str_eq(a[i], b[i], "%s %s %s: %s sim %s, tcp %s", name, shape, extra, col[i], a[i], b[i]);
    }
    cr_expect_str_eq(b[13], "tcp");
    cr_expect(atof(b[9]) > 0, "%s: measured latency %s", name, b[9]);
    /* identical reconstructed output */
    if (!phantom) {
        const rt_opdef *op = rt_op_find(name);
        rt_shape s;
        char err[256];
        cr_assert_eq(rt_shape_parse(&s, shape, op->kind == RT_SHAPE_MATMUL, err, sizeof err), 0);
        mpc_config cfg;
        mpc_config_default(&cfg);
        cfg.dealer_schedule = dealer_inline ? MPC_DEALER_INLINE : MPC_DEALER_OFFLINE;
        rt_sim_opts o = tu_session(&cfg, 0, 11);
        rt_op_outcome oc;
        cr_assert_eq(rt_op_run(op, &s, &o, 1, &oc), 0);
        char *txt = tu_read_file(dump, NULL);
        cr_assert(txt != NULL, "%s: no --dump-output file", name);
        char *p = txt;
        size_t i = 0, bad = 0;
        for (; i < oc.nout && *p; i++) {
            char *end;
            double v = strtod(p, &end);
            if (memcmp(&v, &oc.got[i], sizeof v) != 0) bad++;
            p = end;
        }
        cr_expect_eq(i, oc.nout, "%s: %zu output values over TCP, %zu in the simulator", name, i, oc.nout);
        cr_expect_eq(bad, 0, "%s: %zu of %zu output values differ from the simulator's", name, bad, oc.nout);
        free(txt);
        rt_op_outcome_free(&oc);
        remove(dump);
    }
    rmdir(dir);
    free(dir);
    tu_run_free(&sim);
    tu_run_free(&tcp);
}

Test(tcp_e2e, core_ops_equal_the_simulator, .timeout = 300)
{
    compare("mul", "4x64", "", 0, 0);
    compare("mul", "4x64", "--dealer inline", 1, 0);
    compare("square", "300", "", 0, 0);
    compare("square", "300", "--dealer inline", 1, 0);
    compare("matmul", "16x32@32x8", "", 0, 0);
    compare("matmul", "2x16x32@2x32x8", "--dealer inline", 1, 0);
    compare("matmul", "16x32@32x8", "--mode phantom", 0, 1);
    compare("mul", "4x64", "--mode phantom --dealer inline", 1, 1);
}

Test(tcp_e2e, large_messages_equal_the_simulator, .timeout = 300)
{
    /* 5.5 MB exchanged each way in one round, 786 KB of dealer corrections */
    compare("matmul", "128x768@768x768", "", 0, 0);
}

Test(tcp_e2e, every_registered_op_equals_the_simulator, .timeout = 600)
{
    for (size_t i = 0; i < rt_op_count(); i++) {
        const rt_opdef *op = rt_op_at(i);
        const char *shape = op->kind == RT_SHAPE_MATMUL ? "8x16@16x4" : "4x16";
        compare(op->name, shape, "", 0, 0);
        compare(op->name, shape, "--dealer inline", 1, 0);
    }
}

Test(tcp_e2e, table_format_and_congestion_choice)
{
    tu_run r = tu_mpcsim("launch mul --shape 64 --format table --congestion reno");
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "net                   tcp") != NULL, "%s", r.out);
    tu_run_free(&r);
    r = tu_mpcsim("launch mul --shape 64 --congestion nosuchalgo");
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.err, "cannot use TCP congestion control 'nosuchalgo'") != NULL, "%s", r.err);
    tu_run_free(&r);
}

Test(tcp_e2e, wire_line_accounts_for_every_byte_of_the_connection, .timeout = 60)
{
    /* mul on 1000 elements: each party sends 2 x 8000 payload bytes in one frame. P0's `wire:` line (the
     * kernel's count) covers those, the frame headers, handshake, setup, barrier, reports and goodbyes:
     * more than the protocol bytes, by less than a few kB of framing and control traffic. */
    tu_run r = tu_mpcsim("launch mul --shape 1000 --mode phantom --output p0");
    cr_assert_eq(r.status, 0, "%s", r.err);
    unsigned long long s01 = 0, s10 = 0, o01 = 0, o10 = 0;
    const char *w = strstr(r.err, "wire: P0-P1 connection: ");
    cr_assert(w != NULL, "no wire line: %s", r.err);
    cr_assert_eq(sscanf(w, "wire: P0-P1 connection: %llu bytes P0->P1, %llu bytes P1->P0", &s01, &s10), 2, "%s", w);
    const char *o = strstr(w, "online protocol bytes ");
    cr_assert(o && sscanf(o, "online protocol bytes %llu and %llu", &o01, &o10) == 2, "%s", w);
    cr_expect_eq(o01, 16000ull);
    cr_expect_eq(o10, 16000ull);
    /* at least the two 8000-byte frames' headers and tags */
    cr_expect(s01 > o01 + 2 * 64 && s01 < o01 + 4096, "P0->P1 wire %llu vs protocol %llu", s01, o01);
    cr_expect(s10 > o10 + 2 * 64 && s10 < o10 + 4096, "P1->P0 wire %llu vs protocol %llu", s10, o10);
    tu_run_free(&r);
}

/* ---- the online barrier: in-process, three threads running rt_op_tcp_run ---- */

typedef struct party_arg {
    rt_op_tcp_opts o;
    rt_op_tcp_outcome out;
    int rc;
} party_arg;

static void *party_main(void *arg)
{
    party_arg *a = arg;
    a->rc = rt_op_tcp_run(&a->o, &a->out);
    return NULL;
}

/* Every counter of every party (bytes and messages per peer, rounds) equals the simulator's, so the
 * barrier's 'ready' bytes are in none of them; the latency (measured from the barrier) is positive. */
static void barrier_case(const char *name, const char *shape, int dealer_inline)
{
    const rt_opdef *op = rt_op_find(name);
    cr_assert(op != NULL);
    rt_shape s;
    char err[256];
    cr_assert_eq(rt_shape_parse(&s, shape, op->kind == RT_SHAPE_MATMUL, err, sizeof err), 0, "%s", err);
    mpc_config cfg;
    mpc_config_default(&cfg);
    cfg.dealer_schedule = dealer_inline ? MPC_DEALER_INLINE : MPC_DEALER_OFFLINE;
    int port[3];
    free_ports(port);
    char addr[3][64];
    party_arg a[3];
    pthread_t th[3];
    net_keypair kp[3];
    for (int i = 0; i < 3; i++) net_key_generate(&kp[i]);
    for (int i = 0; i < 3; i++) snprintf(addr[i], sizeof addr[i], "127.0.0.1:%d", port[i]);
    for (int i = 0; i < 3; i++) {
        memset(&a[i], 0, sizeof a[i]);
        a[i].o.tcp.role = i;
        a[i].o.tcp.key = &kp[i];
        for (int j = 0; j < 3; j++) a[i].o.tcp.peer_key[j] = j == i ? NULL : kp[j].pk;
        for (int j = 0; j < 3; j++) a[i].o.tcp.addr[j] = addr[j];
        a[i].o.op = op;
        a[i].o.shape = &s;
        a[i].o.cfg = &cfg;
        a[i].o.phantom = 1;
        a[i].o.seed = 5;
        a[i].o.tcp.connect_timeout_ns = 20000000000LL;
        cr_assert_eq(pthread_create(&th[i], NULL, party_main, &a[i]), 0);
    }
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 3; i++) cr_assert_eq(a[i].rc, 0, "%s: %s failed", name, net_party_names[i]);
    rt_sim_opts so = tu_session(&cfg, 1, 5);
    rt_op_outcome sim;
    cr_assert_eq(rt_op_run(op, &s, &so, 0, &sim), 0);
    const rt_result *t = &a[0].out.res, *m = &sim.res;
    for (int i = 0; i < 3; i++) {
        const net_counters *x = &t->stats[i].total, *y = &m->stats[i].total;
        for (int j = 0; j < 3; j++) {
            cr_expect_eq(x->sent_bytes[j], y->sent_bytes[j], "%s: %s sent_bytes to %d", name, net_party_names[i], j);
            cr_expect_eq(x->recv_bytes[j], y->recv_bytes[j], "%s: %s recv_bytes from %d", name, net_party_names[i], j);
            cr_expect_eq(x->sent_msgs[j], y->sent_msgs[j], "%s: %s sent_msgs to %d", name, net_party_names[i], j);
            cr_expect_eq(x->recv_msgs[j], y->recv_msgs[j], "%s: %s recv_msgs from %d", name, net_party_names[i], j);
        }
        cr_expect_eq(x->rounds, y->rounds, "%s: %s rounds %llu, simulator %llu", name, net_party_names[i],
                     (unsigned long long)x->rounds, (unsigned long long)y->rounds);
    }
    cr_expect_eq(t->rounds, m->rounds);
    cr_expect_eq(t->dealer_bytes, m->dealer_bytes);
    cr_expect_gt(t->end_ns[NET_P0], 0);
    cr_expect_gt(t->end_ns[NET_P1], 0);
    cr_expect_gt(t->latency_ns, 0, "%s: latency %lld ns", name, (long long)t->latency_ns);
    for (int i = 0; i < 3; i++) rt_op_tcp_outcome_free(&a[i].out);
    rt_op_outcome_free(&sim);
}

Test(tcp_e2e, online_barrier_is_not_counted_and_latency_is_positive, .timeout = 120)
{
    barrier_case("mul", "4x64", 0);
    barrier_case("mul", "4x64", 1);
    barrier_case("softmax", "2x16", 0);
}

Test(tcp_cli, usage_errors)
{
    struct { const char *args, *needle; } bad[] = {
        {"party mul --shape 4 --peers p0=127.0.0.1:1,p1=127.0.0.1:2,dealer=127.0.0.1:3", "--role"},
        {"party --role p0 mul --shape 4", "--peers"},
        {"party --role p0 --peers p0=127.0.0.1:1,p1=127.0.0.1:2 mul --shape 4", "no address for dealer"},
        {"party --role p7 --peers p0=127.0.0.1:1 mul --shape 4", "'p7'"},
        {"party --role p0 --peers p0=127.0.0.1:1,p1=127.0.0.1:2,dealer=127.0.0.1:3 mul --shape 4 --net wan",
         "the network is real"},
        {"launch mul --shape 4 --timeout 0", "--timeout"},
        {"launch nosuchop --shape 4", "'nosuchop'"},
        {"launch mul", "--shape"},
        {"launch mul --shape 4 --base-port 80", "--base-port"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tu_run r = tu_mpcsim(bad[i].args);
        cr_expect_eq(r.status, 2, "'%s': status %d", bad[i].args, r.status);
        cr_expect(strstr(r.err, bad[i].needle) != NULL, "'%s': stderr should mention %s: %s", bad[i].args, bad[i].needle,
                  r.err);
        tu_run_free(&r);
    }
    tu_run r = tu_mpcsim("party --help");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "--peers") && strstr(r.out, "--stall-timeout"));
    tu_run_free(&r);
    r = tu_mpcsim("launch --help");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "--base-port") != NULL);
    tu_run_free(&r);
}

/* ==== privacy (issue 20) ==== */

/* ---- sealed frames in process: A -> (socketpair) -> the test -> (socketpair) -> B ---- */

typedef struct sealed_path {
    net_tcp *a, *b;
    int a_raw, b_raw; /* the test's ends */
} sealed_path;

static sealed_path sealed_open(void)
{
    int s1[2], s2[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s1), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s2), 0);
    sealed_path sp;
    net_tcp_opts o;
    net_tcp_opts_default(&o);
    o.nparties = 2;
    o.psk = test_psk;
    o.io_timeout_ns = 2000000000LL;
    o.stall_timeout_ns = 500000000LL;
    o.self = 0;
    int fa[NET_MAX_PARTIES] = {-1, s1[0], -1}, fb[NET_MAX_PARTIES] = {s2[0], -1, -1};
    cr_assert_eq(net_tcp_from_fds(&sp.a, &o, fa), NET_OK);
    o.self = 1;
    cr_assert_eq(net_tcp_from_fds(&sp.b, &o, fb), NET_OK);
    sp.a_raw = s1[1];
    sp.b_raw = s2[1];
    return sp;
}

static void sealed_close(sealed_path *sp)
{
    net_tcp_destroy(sp->a);
    net_tcp_destroy(sp->b);
    close(sp->a_raw);
    close(sp->b_raw);
}

/* A sends n bytes (one frame); the test reads the whole sealed frame, flips bit `bit` of byte `at`
 * (at < 0: none), passes it on; returns B's recv code. */
static int sealed_relay_once(sealed_path *sp, const uint8_t *msg, size_t n, long at, int bit, uint8_t *got)
{
    cr_assert_eq(net_send(net_tcp_party(sp->a), 1, msg, n), NET_OK);
    cr_assert_eq(net_flush(net_tcp_party(sp->a), 1), NET_OK);
    size_t whole = NET_TCP_HDR_BYTES + n + NET_TCP_TAG_BYTES, have = 0;
    uint8_t *buf = malloc(whole);
    while (have < whole) {
        ssize_t r = read(sp->a_raw, buf + have, whole - have);
        cr_assert(r > 0);
        have += (size_t)r;
    }
    if (at >= 0) buf[at] ^= (uint8_t)(1u << bit);
    write_all(sp->b_raw, buf, whole);
    free(buf);
    return net_recv(net_tcp_party(sp->b), 0, got, n);
}

Test(tcp_sec, a_flipped_bit_in_a_sealed_frame_is_detected)
{
    uint8_t msg[1000], got[1000];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 13 + 5);
    /* control: untouched frames pass, twice (counters advance in step) */
    sealed_path sp = sealed_open();
    cr_expect_eq(sealed_relay_once(&sp, msg, sizeof msg, -1, 0, got), NET_OK, "%s", net_tcp_error(sp.b));
    cr_expect_eq(memcmp(got, msg, sizeof msg), 0);
    cr_expect_eq(sealed_relay_once(&sp, msg, sizeof msg, -1, 0, got), NET_OK, "%s", net_tcp_error(sp.b));
    sealed_close(&sp);
    /* one bit of the payload, of the tag, of the label in the header */
    const long where[3] = {NET_TCP_HDR_BYTES + 500, NET_TCP_HDR_BYTES + 1000 + 3, 16};
    for (int k = 0; k < 3; k++) {
        sp = sealed_open();
        int rc = sealed_relay_once(&sp, msg, sizeof msg, where[k], k + 1, got);
        cr_expect_eq(rc, NET_EPROTO, "flip at %ld: rc %d", where[k], rc);
        cr_expect(strstr(net_tcp_error(sp.b), "P1: a message from P0 failed authentication") != NULL, "flip at %ld: %s",
                  where[k], net_tcp_error(sp.b));
        sealed_close(&sp);
    }
    /* a flipped length bit is refused before the payload is even read */
    sp = sealed_open();
    cr_expect_eq(sealed_relay_once(&sp, msg, sizeof msg, 9, 0, got), NET_EPROTO);
    cr_expect(strstr(net_tcp_error(sp.b), "tampering") != NULL, "%s", net_tcp_error(sp.b));
    sealed_close(&sp);
    /* a replayed frame (same bytes again) fails: the nonce is the frame counter */
    sp = sealed_open();
    cr_assert_eq(net_send(net_tcp_party(sp.a), 1, msg, 100), NET_OK);
    cr_assert_eq(net_flush(net_tcp_party(sp.a), 1), NET_OK);
    uint8_t fr[NET_TCP_HDR_BYTES + 100 + NET_TCP_TAG_BYTES];
    size_t have = 0;
    while (have < sizeof fr) {
        ssize_t r = read(sp.a_raw, fr + have, sizeof fr - have);
        cr_assert(r > 0);
        have += (size_t)r;
    }
    write_all(sp.b_raw, fr, sizeof fr);
    write_all(sp.b_raw, fr, sizeof fr);
    cr_expect_eq(net_recv(net_tcp_party(sp.b), 0, got, 100), NET_OK);
    cr_expect_eq(net_recv(net_tcp_party(sp.b), 0, got, 100), NET_EPROTO, "a replayed frame must fail");
    sealed_close(&sp);
}

/* A large frame (the direct path: sealed out of place, opened straight into the caller's buffer)
 * with one flipped payload bit fails, and leaves no unauthenticated plaintext in that buffer. */
Test(tcp_sec, a_flipped_bit_in_a_large_sealed_frame_is_detected, .timeout = 20)
{
    enum { N = 200000 };
    uint8_t *msg = malloc(N), *got = malloc(N);
    for (size_t i = 0; i < N; i++) msg[i] = (uint8_t)(i * 7 + 1);
    sealed_path sp = sealed_open();
    memset(got, 0xAA, N);
    cr_expect_eq(sealed_relay_once(&sp, msg, N, -1, 0, got), NET_OK, "%s", net_tcp_error(sp.b));
    cr_expect_eq(memcmp(got, msg, N), 0);
    sealed_close(&sp);
    sp = sealed_open();
    memset(got, 0xAA, N);
    cr_expect_eq(sealed_relay_once(&sp, msg, N, NET_TCP_HDR_BYTES + N / 2, 3, got), NET_EPROTO);
    cr_expect(strstr(net_tcp_error(sp.b), "failed authentication") != NULL, "%s", net_tcp_error(sp.b));
    size_t same = 0;
    for (size_t i = 0; i < N; i++) same += got[i] == msg[i] && msg[i] != 0;
    cr_expect_lt(same, 1000u, "%zu plaintext bytes of a forged frame reached the caller", same);
    sealed_close(&sp);
    free(msg);
    free(got);
}

/* The record layer is AES-256-GCM: NIST's GCM test cases 13 and 14 (256-bit zero key, 96-bit zero
 * IV = our nonce of counter 0, no associated data), then a sealed/opened round trip with associated
 * data, and opening with another counter, another header or a flipped tag bit fails. */
Test(tcp_sec, the_record_layer_is_aes_256_gcm)
{
    static const uint8_t k0[32];
    uint8_t pt[16] = {0}, ct[16], tag[16];
    net_aead *s = net_aead_new(k0, 1), *o = net_aead_new(k0, 0);
    net_aead_seal(s, 0, NULL, 0, pt, ct, 0, tag);
    static const uint8_t tag13[16] = {0x53, 0x0f, 0x8a, 0xfb, 0xc7, 0x45, 0x36, 0xb9,
                                      0xa9, 0x63, 0xb4, 0xf1, 0xc4, 0xcb, 0x73, 0x8b};
    cr_expect_eq(memcmp(tag, tag13, 16), 0, "test case 13 tag");
    net_aead_seal(s, 0, NULL, 0, pt, ct, 16, tag);
    static const uint8_t ct14[16] = {0xce, 0xa7, 0x40, 0x3d, 0x4d, 0x60, 0x6b, 0x6e,
                                     0x07, 0x4e, 0xc5, 0xd3, 0xba, 0xf3, 0x9d, 0x18};
    static const uint8_t tag14[16] = {0xd0, 0xd1, 0xc8, 0xa7, 0x99, 0x99, 0x6b, 0xf0,
                                      0x26, 0x5b, 0x98, 0xb5, 0xd4, 0x8a, 0xb9, 0x19};
    cr_expect_eq(memcmp(ct, ct14, 16), 0, "test case 14 ciphertext");
    cr_expect_eq(memcmp(tag, tag14, 16), 0, "test case 14 tag");
    net_aead_free(s);
    net_aead_free(o);
    uint8_t key[32], hdr[48], m[3000], c[3000], back[3000];
    for (int i = 0; i < 32; i++) key[i] = (uint8_t)(i * 5 + 1);
    for (int i = 0; i < 48; i++) hdr[i] = (uint8_t)i;
    for (int i = 0; i < 3000; i++) m[i] = (uint8_t)(i * 11);
    s = net_aead_new(key, 1);
    o = net_aead_new(key, 0);
    net_aead_seal(s, 7, hdr, 48, m, c, sizeof m, tag);
    cr_expect_neq(memcmp(c, m, sizeof m), 0);
    cr_expect_eq(net_aead_open(o, 7, hdr, 48, c, back, sizeof c, tag), 0);
    cr_expect_eq(memcmp(back, m, sizeof m), 0);
    memcpy(back, c, sizeof c); /* in place, as the small frames are opened */
    cr_expect_eq(net_aead_open(o, 7, hdr, 48, back, back, sizeof c, tag), 0);
    cr_expect_eq(memcmp(back, m, sizeof m), 0);
    cr_expect_eq(net_aead_open(o, 8, hdr, 48, c, back, sizeof c, tag), -1, "another counter");
    hdr[16] ^= 1;
    cr_expect_eq(net_aead_open(o, 7, hdr, 48, c, back, sizeof c, tag), -1, "another header");
    hdr[16] ^= 1;
    tag[5] ^= 0x10;
    cr_expect_eq(net_aead_open(o, 7, hdr, 48, c, back, sizeof c, tag), -1, "a flipped tag bit");
    net_aead_free(s);
    net_aead_free(o);
}

Test(tcp_sec, a_huge_announced_length_is_refused_before_any_allocation, .timeout = 10)
{
    /* 2^40 - 1 bytes announced where 8 are expected: before the fix, the reader sized its buffer by the
     * header and aborted allocating a terabyte. Plaintext and sealed framing alike. */
    for (int sealed = 0; sealed < 2; sealed++) {
        int sv[2];
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        net_tcp_opts o;
        net_tcp_opts_default(&o);
        o.nparties = 2;
        o.psk = sealed ? test_psk : NULL;
        int fd[NET_MAX_PARTIES] = {-1, sv[0], -1};
        net_tcp *t;
        cr_assert_eq(net_tcp_from_fds(&t, &o, fd), NET_OK);
        uint8_t h[NET_TCP_HDR_BYTES + 4096];
        memset(h, 0x41, sizeof h);
        net_tcp_frame_header(h, NET_TCP_DATA, (1ull << 40) - 1, 1, NULL);
        write_all(sv[1], h, sizeof h);
        uint8_t buf[8];
        double t0 = now_s();
        cr_expect_eq(net_recv(net_tcp_party(t), 1, buf, 8), NET_EPROTO);
        cr_expect(strstr(net_tcp_error(t), "expects a 8-byte message from P1, the next one announces 1099511627775 bytes"),
                  "%s", net_tcp_error(t));
        cr_expect(now_s() - t0 < 2);
        net_tcp_destroy(t);
        close(sv[1]);
    }
}

/* ---- in process: three rt_op_tcp_run threads with a plaintext tap ---- */

typedef struct tapctx {
    crypto_generichash_state h; /* every DATA payload this party sent or received, in order, but the reports */
    uint8_t transcript[32];
    uint8_t dealer_seed[32], pair_seed[32]; /* first 32-byte frame from D / to the other party */
    int have_dseed, have_pseed;
    uint64_t recv_from_other;
} tapctx;

static void tap_fn(void *ud, int self, int peer, int dir, const void *buf, size_t n)
{
    tapctx *c = ud;
    uint8_t meta[12] = {(uint8_t)self, (uint8_t)peer, (uint8_t)dir};
    for (int i = 0; i < 8; i++) meta[4 + i] = (uint8_t)((uint64_t)n >> (8 * i));
    if (n != 17 * 8) { /* the reports carry measured times: not part of the protocol's transcript */
        crypto_generichash_update(&c->h, meta, sizeof meta);
        if (buf && n) crypto_generichash_update(&c->h, buf, n);
    }
    if (self != NET_D && dir == 1 && peer == NET_D && !c->have_dseed && n == 32 && buf) {
        memcpy(c->dealer_seed, buf, 32);
        c->have_dseed = 1;
    }
    if (self != NET_D && dir == 0 && peer == 1 - self && !c->have_pseed && n == 32 && buf) {
        memcpy(c->pair_seed, buf, 32);
        c->have_pseed = 1;
    }
    if (self != NET_D && dir == 1 && peer == 1 - self) c->recv_from_other += n;
}

/* Runs op on shape in real mode with seed; out_party learns the output. */
static void run3(const char *name, const char *shape, uint64_t seed, int reproducible, int out_party, party_arg a[3],
                 tapctx tc[3], mpc_config *cfg, rt_shape *s)
{
    const rt_opdef *op = rt_op_find(name);
    cr_assert(op != NULL);
    char err[256];
    cr_assert_eq(rt_shape_parse(s, shape, op->kind == RT_SHAPE_MATMUL, err, sizeof err), 0, "%s", err);
    mpc_config_default(cfg);
    int port[3];
    free_ports(port);
    static char addr[3][64];
    static net_keypair kp[3];
    for (int i = 0; i < 3; i++) {
        net_key_generate(&kp[i]);
        snprintf(addr[i], sizeof addr[i], "127.0.0.1:%d", port[i]);
    }
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        memset(&a[i], 0, sizeof a[i]);
        memset(&tc[i], 0, sizeof tc[i]);
        crypto_generichash_init(&tc[i].h, NULL, 0, 32);
        a[i].o.tcp.role = i;
        for (int j = 0; j < 3; j++) a[i].o.tcp.addr[j] = addr[j];
        a[i].o.tcp.key = &kp[i];
        for (int j = 0; j < 3; j++) a[i].o.tcp.peer_key[j] = j == i ? NULL : kp[j].pk;
        a[i].o.op = op;
        a[i].o.shape = s;
        a[i].o.cfg = cfg;
        a[i].o.seed = seed;
        a[i].o.tcp.reproducible = reproducible;
        a[i].o.tcp.out_party = out_party;
        a[i].o.tcp.connect_timeout_ns = 20000000000LL;
        a[i].o.tcp.tap = tap_fn;
        a[i].o.tcp.tap_ud = &tc[i];
        cr_assert_eq(pthread_create(&th[i], NULL, party_main, &a[i]), 0);
    }
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(a[i].rc, 0, "%s: %s failed", name, net_party_names[i]);
        crypto_generichash_final(&tc[i].h, tc[i].transcript, 32);
    }
}

Test(tcp_sec, os_randomness_gives_the_same_result_and_different_transcripts, .timeout = 60)
{
    party_arg a[2][3];
    tapctx tc[2][3];
    mpc_config cfg[2];
    rt_shape s[2];
    for (int run = 0; run < 2; run++) run3("mul", "4x64", 9, 0, NET_P1, a[run], tc[run], &cfg[run], &s[run]);
    /* same inputs, same result: within the fixed-point error of the op (the randomness decides the
     * truncation's rounding, so bits may differ) and both near the reference */
    const rt_op_tcp_outcome *o0 = &a[0][NET_P1].out, *o1 = &a[1][NET_P1].out;
    cr_assert(o0->got && o1->got && o0->nout == 256 && o1->nout == 256);
    for (size_t i = 0; i < o0->nout; i++)
        cr_expect(fabs(o0->got[i] - o1->got[i]) < 1e-3, "output %zu: %.9g vs %.9g", i, o0->got[i], o1->got[i]);
    cr_expect(o0->max_abs_err < 1e-3 && o1->max_abs_err < 1e-3, "errors %g %g", o0->max_abs_err, o1->max_abs_err);
    /* different transcripts at every party, and different seeds */
    for (int i = 0; i < 3; i++)
        cr_expect_neq(memcmp(tc[0][i].transcript, tc[1][i].transcript, 32), 0, "%s: same transcript twice",
                      net_party_names[i]);
    cr_expect_neq(memcmp(tc[0][NET_P1].dealer_seed, tc[1][NET_P1].dealer_seed, 32), 0);
    /* control: --insecure-reproducible runs ARE identical, so the comparison above can fail */
    party_arg b[2][3];
    tapctx tb[2][3];
    for (int run = 0; run < 2; run++) run3("mul", "4x64", 9, 1, NET_P1, b[run], tb[run], &cfg[run], &s[run]);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(memcmp(tb[0][i].transcript, tb[1][i].transcript, 32), 0, "%s: reproducible runs differ",
                     net_party_names[i]);
    cr_expect_eq(memcmp(b[0][NET_P1].out.got, b[1][NET_P1].out.got, 256 * sizeof(double)), 0);
    for (int run = 0; run < 2; run++)
        for (int i = 0; i < 3; i++) {
            rt_op_tcp_outcome_free(&a[run][i].out);
            rt_op_tcp_outcome_free(&b[run][i].out);
        }
}

/* What the probe did: the dealer's per-party seeds and the pairwise seed contributions were the
 * first bytes of rng_seed(seed, 2000) and rng_seed(seed, 1000 + party). */
static void probe_seeds(uint64_t seed, uint8_t dealer[2][32], uint8_t pair[2][32])
{
    rng r;
    rng_seed(&r, seed, 2000);
    rng_bytes(&r, dealer[0], 32);
    rng_bytes(&r, dealer[1], 32);
    for (int i = 0; i < 2; i++) {
        rng_seed(&r, seed, 1000 + (uint64_t)i);
        rng_bytes(&r, pair[i], 32);
    }
}

Test(tcp_sec, the_dealer_seeds_cannot_be_recomputed_from_the_seed, .timeout = 60)
{
    uint8_t dealer[2][32], pair[2][32];
    probe_seeds(9, dealer, pair);
    party_arg a[3];
    tapctx tc[3];
    mpc_config cfg;
    rt_shape s;
    /* control: in --insecure-reproducible mode the probe recovers every seed */
    run3("mul", "4x64", 9, 1, NET_P1, a, tc, &cfg, &s);
    for (int i = 0; i < 2; i++) {
        cr_assert(tc[i].have_dseed && tc[i].have_pseed);
        cr_expect_eq(memcmp(tc[i].dealer_seed, dealer[i], 32), 0, "%s: the probe should work on the insecure mode",
                     net_party_names[i]);
        cr_expect_eq(memcmp(tc[i].pair_seed, pair[i], 32), 0);
        rt_op_tcp_outcome_free(&a[i].out);
    }
    rt_op_tcp_outcome_free(&a[2].out);
    /* default: the probe fails, for every seed it could try (the seed is public, the run used 9) */
    run3("mul", "4x64", 9, 0, NET_P1, a, tc, &cfg, &s);
    for (int i = 0; i < 2; i++) {
        cr_assert(tc[i].have_dseed && tc[i].have_pseed);
        for (uint64_t guess = 0; guess < 64; guess++) {
            uint8_t d[2][32], p[2][32];
            probe_seeds(guess, d, p);
            cr_expect_neq(memcmp(tc[i].dealer_seed, d[i], 32), 0, "%s's dealer seed derived from seed %llu",
                          net_party_names[i], (unsigned long long)guess);
            cr_expect_neq(memcmp(tc[i].pair_seed, p[i], 32), 0);
        }
        rt_op_tcp_outcome_free(&a[i].out);
    }
    rt_op_tcp_outcome_free(&a[2].out);
}

Test(tcp_sec, only_the_output_party_receives_a_share, .timeout = 60)
{
    party_arg a[3];
    tapctx tc[3];
    mpc_config cfg;
    rt_shape s;
    for (int R = 0; R < 2; R++) {
        run3("mul", "4x64", 3, 0, R, a, tc, &cfg, &s);
        int O = 1 - R;
        cr_expect(a[R].out.got != NULL, "the output party reconstructs");
        cr_expect(a[O].out.got == NULL, "the other party learns nothing");
        /* what O received from R: its pairwise seed (32), the barrier (1) and the online messages; R
         * received the same plus O's report (17 words) and O's output share (256 words) */
        uint64_t online = a[R].out.res.stats[R].total.sent_bytes[O];
        cr_expect_eq(tc[O].recv_from_other, 32 + 1 + online, "%s received %llu bytes from %s", net_party_names[O],
                     (unsigned long long)tc[O].recv_from_other, net_party_names[R]);
        cr_expect_eq(tc[R].recv_from_other, 32 + 1 + online + 17 * 8 + 256 * 8);
        for (int i = 0; i < 3; i++) rt_op_tcp_outcome_free(&a[i].out);
    }
}

/* ---- strangers, idle connections, a relay that flips a bit or captures (real processes) ---- */

static int connect_port(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons((uint16_t)port)};
    for (int tries = 0; tries < 200; tries++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return fd;
        if (fd >= 0) close(fd);
        sleep_ms(25);
    }
    return -1;
}

static void expect_completed(kid k[3], const char *what)
{
    for (int r = 0; r < 3; r++)
        cr_expect_eq(k[r].status, 0, "%s: %s exit %d: %s", what, roles[r], k[r].status, k[r].err);
    cr_expect(strncmp(k[NET_P1].out, "op,shape,", 9) == 0 && strstr(k[NET_P1].out, "\nmul,"), "%s: P1 (the output party) "
              "printed: %s", what, k[NET_P1].out);
    cr_expect_eq(k[NET_P0].out[0], 0, "%s: P0 prints nothing: %s", what, k[NET_P0].out);
}

Test(tcp_sec, strangers_without_the_right_key_are_refused_and_cannot_stop_the_run, .timeout = 60)
{
    char *dir = tu_tmpdir();
    const char *kd = keydir();
    int port[3], spare[3];
    free_ports(port);
    free_ports(spare);
    kid k[3], st[2];
    double t0 = now_s();
    const char *common = "mul --shape 4x64 --connect-timeout 15";
    spawn_party(&k[0], dir, "p0", port, common);
    spawn_party(&k[1], dir, "p1", port, common);
    /* the probe's stranger: the public binary, its own key, posing as the dealer (it connects to P0
     * first, then P1) and as P1 (to P0; it listens elsewhere) */
    char extra[1024], sdir[300];
    snprintf(sdir, sizeof sdir, "%s/s", dir);
    mkdir(sdir, 0700);
    snprintf(extra, sizeof extra, "%s --key %s/stranger --peer-keys p0=%s/p0.pub,p1=%s/p1.pub,dealer=%s/stranger.pub",
             common, kd, kd, kd, kd);
    spawn_party(&st[0], sdir, "dealer", port, extra);
    reap(st, 1, t0, 20);
    snprintf(extra, sizeof extra, "%s --listen 127.0.0.1:%d --key %s/stranger --peer-keys p0=%s/p0.pub,p1=%s/stranger.pub,dealer=%s/dealer.pub",
             common, spare[0], kd, kd, kd, kd);
    spawn_party(&st[1], sdir, "p1", port, extra);
    reap(st + 1, 1, t0, 20);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(st[i].status, 1, "stranger %d: exit %d: %s", i, st[i].status, st[i].err);
        cr_expect(strstr(st[i].err, "P0 at 127.0.0.1:") && strstr(st[i].err, "closed the connection during the handshake: it did not accept us"),
                  "stranger %d: %s", i, st[i].err);
    }
    spawn_party(&k[2], dir, "dealer", port, common);
    reap(k, 3, t0, 40);
    expect_completed(k, "after two strangers");
    cr_expect(strstr(k[0].err, "claims to be D but does not hold D's key"), "P0: %s", k[0].err);
    cr_expect(strstr(k[0].err, "claims to be P1 but does not hold P1's key"), "P0: %s", k[0].err);
    kids_free(k, 3);
    kids_free(st, 2);
    rmdir(sdir);
    rmdir(dir);
    free(dir);
}

/* A fake P0 that answers every handshake with a well-formed msg2 it cannot have computed. */
static void *fake_responder(void *arg)
{
    int lfd = *(int *)arg;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) return NULL;
    uint8_t in[NET_HS_MAX_MSG], out[NET_HS_FIXED + 100];
    ssize_t r = read(fd, in, sizeof in);
    (void)r;
    memcpy(out, in, NET_HS_FIXED); /* magic, version */
    for (int i = 0; i < 4; i++) out[8 + i] = (uint8_t)(i == 0 ? 0 : 0), out[12 + i] = (uint8_t)(i == 0 ? 1 : 0);
    out[16] = 100, out[17] = out[18] = out[19] = 0;
    randombytes_buf(out + 20, sizeof out - 20);
    write_all(fd, out, sizeof out);
    sleep_ms(300);
    close(fd);
    return NULL;
}

Test(tcp_sec, a_responder_without_the_key_is_refused, .timeout = 30)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    cr_assert(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(lfd, 4) == 0 &&
              getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0);
    char addr[2][64];
    snprintf(addr[0], sizeof addr[0], "127.0.0.1:%d", ntohs(sa.sin_port));
    int port[3];
    free_ports(port);
    snprintf(addr[1], sizeof addr[1], "127.0.0.1:%d", port[0]);
    pthread_t th;
    pthread_create(&th, NULL, fake_responder, &lfd);
    net_keypair me, p0;
    net_key_generate(&me);
    net_key_generate(&p0);
    net_tcp_opts o;
    net_tcp_opts_default(&o);
    o.self = 1;
    o.nparties = 2;
    o.addr[0] = addr[0];
    o.addr[1] = addr[1];
    o.key = &me;
    o.peer_key[0] = p0.pk;
    o.connect_timeout_ns = 5000000000LL;
    net_tcp *t = NULL;
    char err[1024];
    cr_expect_eq(net_tcp_connect(&t, &o, err, sizeof err), NET_EPROTO, "%s", err);
    cr_expect(strstr(err, "failed to prove it is P0") != NULL, "%s", err);
    pthread_join(th, NULL);
    close(lfd);
}

Test(tcp_sec, idle_and_garbage_connections_do_not_exhaust_the_setup, .timeout = 60)
{
    char *dir = tu_tmpdir();
    int port[3];
    free_ports(port);
    kid k[3];
    double t0 = now_s();
    const char *common = "mul --shape 4x64 --connect-timeout 8";
    spawn_party(&k[0], dir, "p0", port, common);
    /* 40 silent connections (more than NET_TCP_MAX_PENDING), one announcing a 4 GiB handshake, one
     * of garbage, one with an old-style plaintext frame header: all before the real parties */
    enum { IDLE = 40 };
    int idle[IDLE + 4];
    for (int i = 0; i < IDLE + 4; i++) {
        idle[i] = connect_port(port[0]);
        cr_assert(idle[i] >= 0, "connection %d to P0", i);
    }
    uint8_t m[NET_HS_FIXED] = {0};
    uint32_t magic = NET_HS_MAGIC;
    memcpy(m, &magic, 4);
    m[4] = NET_HS_VERSION, m[8] = 1, m[16] = m[17] = m[18] = m[19] = 0xFF;
    write_all(idle[IDLE], m, sizeof m);
    char junk[4096];
    memset(junk, 'G', sizeof junk);
    write_all(idle[IDLE + 1], junk, sizeof junk);
    uint8_t h[NET_TCP_HDR_BYTES];
    net_tcp_frame_header(h, 3, 1ull << 40, 0, NULL);
    write_all(idle[IDLE + 2], h, sizeof h);
    /* an mpcsim of the previous wire version (2: XChaCha20-Poly1305 frames): refused, named */
    m[4] = 2, m[16] = 32, m[17] = m[18] = m[19] = 0;
    write_all(idle[IDLE + 3], m, sizeof m);
    sleep_ms(300);
    spawn_party(&k[1], dir, "p1", port, common);
    spawn_party(&k[2], dir, "dealer", port, common);
    reap(k, 3, t0, 40);
    expect_completed(k, "with 44 stray connections");
    cr_expect(now_s() - t0 < 8, "setup took %.1f s", now_s() - t0);
    cr_expect(strstr(k[0].err, "too many unauthenticated connections at once"), "P0: %s", k[0].err);
    cr_expect(strstr(k[0].err, "not an mpcsim handshake"), "P0: %s", k[0].err);
    cr_expect(strstr(k[0].err, "it speaks mpcsim handshake version 2 (XChaCha20-Poly1305 frames), we speak version 3"),
              "P0: %s", k[0].err);
    for (int i = 0; i < IDLE + 4; i++) {
        /* none got a single byte of reply */
        char b;
        ssize_t r = recv(idle[i], &b, 1, MSG_DONTWAIT);
        cr_expect(r <= 0, "connection %d got a reply", i);
        close(idle[i]);
    }
    kids_free(k, 3);
    rmdir(dir);
    free(dir);
}

/* A TCP relay for P1 -> P0: forwards both ways, records the P1 -> P0 bytes, may flip one bit. */
typedef struct relay {
    int lfd, port, target;
    long flip_at;
    uint8_t *cap;
    size_t cap_len, cap_cap;
    pthread_t th;
} relay;

static void *relay_main(void *arg)
{
    relay *r = arg;
    struct pollfd lp = {.fd = r->lfd, .events = POLLIN};
    if (poll(&lp, 1, 20000) <= 0) return NULL;
    int c = accept(r->lfd, NULL, NULL), s = connect_port(r->target);
    if (c < 0 || s < 0) return NULL;
    int open_cs = 1, open_sc = 1;
    while (open_cs || open_sc) {
        struct pollfd pf[2] = {{.fd = c, .events = open_cs ? POLLIN : 0}, {.fd = s, .events = open_sc ? POLLIN : 0}};
        if (poll(pf, 2, 20000) <= 0) break;
        uint8_t buf[65536];
        if (open_cs && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(c, buf, sizeof buf);
            if (n <= 0) {
                shutdown(s, SHUT_WR);
                open_cs = 0;
            } else {
                if (r->flip_at >= (long)r->cap_len && r->flip_at < (long)r->cap_len + n) buf[r->flip_at - (long)r->cap_len] ^= 0x10;
                if (r->cap_len + (size_t)n > r->cap_cap) {
                    r->cap_cap = 2 * (r->cap_len + (size_t)n);
                    r->cap = realloc(r->cap, r->cap_cap);
                }
                memcpy(r->cap + r->cap_len, buf, (size_t)n);
                r->cap_len += (size_t)n;
                write_all(s, buf, (size_t)n);
            }
        }
        if (open_sc && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(s, buf, sizeof buf);
            if (n <= 0) {
                shutdown(c, SHUT_WR);
                open_sc = 0;
            } else write_all(c, buf, (size_t)n);
        }
    }
    close(c);
    close(s);
    return NULL;
}

static void relay_start(relay *r, int target, long flip_at)
{
    memset(r, 0, sizeof *r);
    r->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    cr_assert(bind(r->lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(r->lfd, 4) == 0 &&
              getsockname(r->lfd, (struct sockaddr *)&sa, &sl) == 0);
    r->port = ntohs(sa.sin_port);
    r->target = target;
    r->flip_at = flip_at;
    pthread_create(&r->th, NULL, relay_main, r);
}

static void relay_stop(relay *r)
{
    pthread_join(r->th, NULL);
    close(r->lfd);
    free(r->cap);
}

/* P0, P1 (through the relay to P0) and D on mul 1000 elements. */
static void relayed_run(kid k[3], relay *rl, long flip_at, const char *opts)
{
    char *dir = tu_tmpdir();
    int port[3];
    free_ports(port);
    relay_start(rl, port[0], flip_at);
    int p1port[3] = {rl->port, port[1], port[2]};
    char common[256];
    snprintf(common, sizeof common, "mul --shape 1000 --connect-timeout 10 %s", opts);
    double t0 = now_s();
    spawn_party(&k[0], dir, "p0", port, common);
    spawn_party(&k[1], dir, "p1", p1port, common);
    spawn_party(&k[2], dir, "dealer", port, common);
    reap(k, 3, t0, 40);
    rmdir(dir);
    free(dir);
}

Test(tcp_sec, a_bit_flipped_in_flight_fails_the_run, .timeout = 60)
{
    kid k[3];
    relay rl;
    /* past the handshake (~0.6 kB) and setup, inside P1's first 8000-byte frame */
    relayed_run(k, &rl, 3000, "");
    relay_stop(&rl);
    cr_expect_eq(k[0].status, 1, "P0 exit %d: %s", k[0].status, k[0].err);
    cr_expect(strstr(k[0].err, "error: P0: a message from P1 failed authentication"), "P0: %s", k[0].err);
    cr_expect_neq(k[1].status, 0, "P1 must not succeed: %s", k[1].err);
    cr_expect_eq(k[1].out[0], 0, "no result: %s", k[1].out);
    kids_free(k, 3);
}

/* Shannon entropy of the bytes, in bits per byte. */
static double entropy(const uint8_t *p, size_t n)
{
    double h = 0, c[256] = {0};
    for (size_t i = 0; i < n; i++) c[p[i]]++;
    for (int b = 0; b < 256; b++)
        if (c[b] > 0) h -= c[b] / (double)n * log2(c[b] / (double)n);
    return h;
}

Test(tcp_sec, a_capture_shows_only_high_entropy_payloads, .timeout = 60)
{
    /* Phantom mode: every payload is zeros in plaintext, so anything but ciphertext shows at once. */
    kid k[3];
    relay rl;
    relayed_run(k, &rl, -1, "--mode phantom");
    for (int r = 0; r < 3; r++) cr_expect_eq(k[r].status, 0, "%s exit %d: %s", roles[r], k[r].status, k[r].err);
    /* parse the P1 -> P0 stream: msg1, CONFIRM, then sealed frames to the end */
    const uint8_t *c = rl.cap;
    size_t n = rl.cap_len, off = 0, nframes = 0, pay = 0;
    cr_assert(n > NET_HS_FIXED);
    net_hs_hdr hh;
    cr_assert_eq(net_hs_parse_fixed(c, n, &hh), 0);
    off = NET_HS_FIXED + hh.ct_len + NET_TCP_HDR_BYTES + NET_TCP_TAG_BYTES;
    uint8_t *payloads = malloc(n);
    while (off + NET_TCP_HDR_BYTES <= n) {
        uint64_t len = 0;
        for (int i = 0; i < 8; i++) len |= (uint64_t)c[off + 8 + i] << (8 * i);
        cr_assert(off + NET_TCP_HDR_BYTES + len + NET_TCP_TAG_BYTES <= n, "frame at %zu overruns", off);
        memcpy(payloads + pay, c + off + NET_TCP_HDR_BYTES, len + NET_TCP_TAG_BYTES);
        pay += len + NET_TCP_TAG_BYTES;
        off += NET_TCP_HDR_BYTES + len + NET_TCP_TAG_BYTES;
        nframes++;
    }
    cr_expect_eq(off, n, "the capture is msg1, CONFIRM and whole sealed frames");
    cr_expect(pay > 16000, "payload bytes %zu", pay);
    double e = entropy(payloads, pay);
    cr_expect(e > 7.9, "payload entropy %.3f bits/byte over %zu bytes in %zu frames", e, pay, nframes);
    free(payloads);
    relay_stop(&rl);
    kids_free(k, 3);
}

Test(tcp_cli, key_files_and_key_errors)
{
    char *dir = tu_tmpdir();
    char args[4096], path[300];
    snprintf(path, sizeof path, "%s/k", dir);
    snprintf(args, sizeof args, "keygen --out %s", path);
    tu_run r = tu_mpcsim(args);
    cr_expect_eq(r.status, 0, "%s", r.err);
    struct stat st;
    cr_expect(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "secret key mode %o", st.st_mode & 0777);
    char pub[600];
    snprintf(pub, sizeof pub, "%s.pub", path);
    char *ptxt = tu_read_file(pub, NULL);
    cr_expect(ptxt && strcmp(ptxt, r.out) == 0, "the .pub file holds the printed key");
    free(ptxt);
    tu_run_free(&r);
    chmod(pub, 0600); /* so that passing it as --key fails on its content, not its mode */
    r = tu_mpcsim(args); /* never overwrites */
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.err, "--force") != NULL, "%s", r.err);
    tu_run_free(&r);
    const char *peers = "--peers p0=127.0.0.1:1,p1=127.0.0.1:2,dealer=127.0.0.1:3 mul --shape 4";
    struct { const char *fmt, *needle; } bad[] = {
        {"party --role p0 %s", "--key is required"},
        {"party --role p0 %s --key %s/nonexistent --peer-keys p1=x25519:AAAA", "cannot open"},
        {"party --role p0 %s --key %s.pub --peer-keys p1=x25519:AAAA", "not an mpcsim secret key"},
        {"party --role p0 %s --key %s", "--peer-keys is required"},
        {"party --role p0 %s --key %s --peer-keys p1=x25519:AAAA,dealer=x25519:AAAA", "not a valid x25519"},
        {"party --role p0 %s --key %s --peer-keys p1=%s.pub", "no key for dealer"},
        {"party --role p0 %s --key %s --peer-keys p0=x25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not the public half"},
        {"launch mul --shape 4 --key %s", "ephemeral"},
        {"party --role dealer %s --key %s --output dealer", "--output"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (i == 7) snprintf(args, sizeof args, bad[i].fmt, path);
        else snprintf(args, sizeof args, bad[i].fmt, peers, path, path);
        r = tu_mpcsim(args);
        cr_expect_eq(r.status, 2, "'%s': status %d", args, r.status);
        cr_expect(strstr(r.err, bad[i].needle) != NULL, "'%s': stderr should mention '%s': %s", args, bad[i].needle, r.err);
        tu_run_free(&r);
    }
    /* a secret key readable by others is refused */
    chmod(path, 0644);
    snprintf(args, sizeof args, "party --role p0 %s --key %s --peer-keys p1=%s.pub,dealer=%s.pub", peers, path, path, path);
    r = tu_mpcsim(args);
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "accessible by others (mode 0644)") != NULL, "%s", r.err);
    tu_run_free(&r);
    remove(path);
    remove(pub);
    rmdir(dir);
    free(dir);
}

/* The simulator's TCP-aware link models charge the real backend's sealed framing when asked:
 * --tcp-aead is exactly --overhead 16 (the tag the capture test above finds after every payload),
 * on the wire only: every counter stays the same. */
Test(tcp_sec, the_link_models_charge_the_aead_tag_on_the_wire_only)
{
    for (int m = 0; m < 2; m++) {
        const char *model = m ? "packet" : "tcp";
        char a[256];
        char f[3][32][64];
        const char *extra[3] = {"", "--tcp-aead", "--overhead 16"};
        for (int k = 0; k < 3; k++) {
            snprintf(a, sizeof a, "op mul --shape 1000 --link-model %s %s", model, extra[k]);
            tu_run r = tu_mpcsim(a);
            cr_assert_eq(r.status, 0, "%s: %s", a, r.err);
            cr_assert_eq(csv_fields(r.out, f[k]), 18, "%s", r.out);
            tu_run_free(&r);
        }
        for (int c = 3; c <= 8; c++) cr_expect_str_eq(f[1][c], f[0][c], "%s: counter column %d moved", model, c);
        cr_expect_str_eq(f[1][9], f[2][9], "%s: --tcp-aead latency %s, --overhead 16 %s", model, f[1][9], f[2][9]);
        cr_expect(atof(f[1][9]) > atof(f[0][9]), "%s: the tag costs time: %s vs %s", model, f[1][9], f[0][9]);
        char want[64];
        snprintf(want, sizeof want, "lan+%s+aead", model);
        cr_expect_str_eq(f[1][13], want);
    }
    tu_run r = tu_mpcsim("op mul --shape 1000 --tcp-aead");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "--tcp-aead applies to --link-model tcp or packet") != NULL, "%s", r.err);
    tu_run_free(&r);
}

/* A captured msg1 of another run (another configuration), replayed to P0 before the real P1: P0
 * answers it (it authenticates: same keys) but must neither give up on the "mismatch" (no CONFIRM
 * ever comes) nor give it P1's slot; the real run completes. */
Test(tcp_sec, a_replayed_handshake_of_another_run_cannot_abort_the_setup, .timeout = 30)
{
    static net_keypair kp[2];
    for (int i = 0; i < 2; i++) net_key_generate(&kp[i]);
    int port[3];
    free_ports(port);
    static char addr[2][64];
    snprintf(addr[0], sizeof addr[0], "127.0.0.1:%d", port[0]);
    snprintf(addr[1], sizeof addr[1], "127.0.0.1:%d", port[1]);
    static const uint8_t h_old[4] = {9, 9, 9, 9}, h_now[4] = {1, 2, 3, 4};
    /* 1. the capture: P1 of an old run (hash h_old) talking to a listener that records its msg1 */
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons((uint16_t)port[0])};
    cr_assert(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(lfd, 4) == 0);
    sarg old;
    memset(&old, 0, sizeof old);
    net_tcp_opts_default(&old.o);
    old.o.self = 1;
    old.o.nparties = 2;
    old.o.addr[0] = addr[0];
    old.o.addr[1] = addr[1];
    old.o.hash = h_old;
    old.o.hash_len = 4;
    old.o.desc = "op=mul seed=7";
    old.o.connect_timeout_ns = 3000000000LL;
    old.o.key = &kp[1];
    old.o.peer_key[0] = kp[0].pk;
    old.o.listen = "127.0.0.1:1"; /* never listens: P1 is the highest party here */
    pthread_t th;
    pthread_create(&th, NULL, setup_main, &old);
    int c = accept(lfd, NULL, NULL);
    cr_assert(c >= 0);
    uint8_t msg1[NET_HS_MAX_MSG];
    size_t have = 0, need = NET_HS_FIXED;
    while (have < need) {
        ssize_t r = read(c, msg1 + have, need - have);
        cr_assert(r > 0);
        have += (size_t)r;
        net_hs_hdr hh;
        if (have == NET_HS_FIXED) {
            cr_assert_eq(net_hs_parse_fixed(msg1, have, &hh), 0);
            need = NET_HS_FIXED + hh.ct_len;
        }
    }
    close(c);
    close(lfd);
    pthread_join(th, NULL);
    cr_expect_neq(old.rc, NET_OK);
    /* 2. the real run, with the replay first */
    sarg a[2];
    for (int i = 0; i < 2; i++) {
        memset(&a[i], 0, sizeof a[i]);
        net_tcp_opts_default(&a[i].o);
        a[i].o.self = i;
        a[i].o.nparties = 2;
        a[i].o.addr[0] = addr[0];
        a[i].o.addr[1] = addr[1];
        a[i].o.hash = h_now;
        a[i].o.hash_len = 4;
        a[i].o.desc = "op=mul seed=1";
        a[i].o.connect_timeout_ns = 5000000000LL;
        a[i].o.key = &kp[i];
        a[i].o.peer_key[1 - i] = kp[1 - i].pk;
    }
    pthread_t t0, t1;
    pthread_create(&t0, NULL, setup_main, &a[0]);
    int rep = connect_port(port[0]);
    cr_assert(rep >= 0);
    write_all(rep, msg1, have);
    uint8_t reply[NET_HS_FIXED];
    ssize_t got = read(rep, reply, sizeof reply); /* it authenticates, so P0 answers it */
    cr_expect_eq(got, (ssize_t)sizeof reply, "P0 answers a replayed (authentic) msg1");
    pthread_create(&t1, NULL, setup_main, &a[1]);
    pthread_join(t0, NULL);
    pthread_join(t1, NULL);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(a[i].rc, NET_OK, "P%d: %s", i, a[i].err);
        cr_expect_eq(a[i].rc_x, NET_OK);
        cr_expect_eq(a[i].got, 1000 + (uint64_t)(1 - i));
        net_tcp_destroy(a[i].t);
    }
    close(rep);
    net_tcp_destroy(old.t);
}

/* ---- the dealer's plan (rt_plan.h): D answers from precomputed material, checking each request ---- */

/* The job whose plan is recorded: two correlations (mul 4x64, square 300), as P0 and P1 request them. */
static void plan_job(mpc_ctx *c, void *arg)
{
    (void)arg;
    dealer_mul(c, NULL, NULL, NULL, 4, 64, MPC_BC_NONE);
    dealer_collect(c);
    dealer_square(c, NULL, NULL, 300);
    dealer_collect(c);
}

typedef struct plan_run {
    const rt_plan *plan;
    size_t send;      /* P0 sends the plan's first `send` requests ... */
    int alter;        /* ... word 2 of the last one altered */
    int rc;           /* D's rt_plan_serve */
    uint64_t nreq;
} plan_run;

static void plan_p0(net_party *p, void *arg)
{
    plan_run *x = arg;
    for (size_t i = 0; i < x->send; i++) {
        uint64_t r[1 + DEALER_SHAPE_WORDS];
        memcpy(r, x->plan->req[i], sizeof r);
        if (x->alter && i + 1 == x->send) r[2]++;
        if (net_send(p, NET_D, r, sizeof r) != NET_OK || net_flush(p, NET_D) != NET_OK) return;
        if (net_recv(p, NET_D, NULL, x->plan->bytes[i][0]) != NET_OK) return;
    }
}

static void plan_d(net_party *p, void *arg)
{
    plan_run *x = arg;
    dealer_ctx d;
    dealer_init(&d, p, 1, 5);
    x->rc = rt_plan_serve(&d, x->plan);
    x->nreq = d.nreq;
}

static int plan_serve_case(const rt_plan *plan, size_t send, int alter, uint64_t *nreq)
{
    nm_linkspec l = {.bps = 1000000000ull, .latency_ns = 1000};
    nm_topology t;
    nm_topology_init(&t, 3, &l);
    net_sim *s = net_sim_create(&t);
    plan_run x = {.plan = plan, .send = send, .alter = alter, .rc = -99};
    net_party_fn fn[3] = {plan_p0, NULL, plan_d};
    void *arg[3] = {&x, NULL, &x};
    cr_assert_eq(net_sim_run(s, fn, arg), NET_OK);
    net_sim_destroy(s);
    *nreq = x.nreq;
    return x.rc;
}

Test(tcp_plan, the_dealer_serves_its_plan_and_refuses_any_other_request)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    rt_job j = {.cfg = &cfg, .phantom = 0, .seed = 3, .fn = plan_job};
    rt_plan plan;
    cr_assert_eq(rt_plan_record(&j, &plan), 0);
    cr_assert_eq(plan.n, 2u);
    cr_expect_eq(plan.req[0][0], (uint64_t)DEALER_MUL);
    cr_expect_eq(plan.req[0][1], 4u);
    cr_expect_eq(plan.req[0][2], 64u);
    cr_expect_eq(plan.req[1][0], (uint64_t)DEALER_SQUARE);
    cr_expect_eq(plan.req[1][1], 300u);
    /* sizes as dealer.h's table: mul 8 R L, square 8 n, to P0 only */
    net_party np = {.self = NET_D};
    dealer_ctx d;
    dealer_init(&d, &np, 1, 5);
    cr_assert_eq(rt_plan_fill(&d, &plan), 0); /* phantom: sizes only */
    cr_expect_eq(plan.bytes[0][0], 8u * 4 * 64);
    cr_expect_eq(plan.bytes[1][0], 8u * 300);
    cr_expect_eq(plan.bytes[0][1] + plan.bytes[1][1], 0u);
    cr_expect_eq(plan.total, 8u * 4 * 64 + 8u * 300);
    uint64_t nreq = 0;
    cr_expect_eq(plan_serve_case(&plan, 2, 0, &nreq), NET_OK, "the plan's own requests are served");
    cr_expect_eq(nreq, 2u);
    cr_expect_eq(plan_serve_case(&plan, 2, 1, &nreq), NET_EPROTO, "a request with another shape is refused");
    cr_expect_eq(nreq, 1u);
    cr_expect_eq(plan_serve_case(&plan, 1, 0, &nreq), NET_EPROTO, "P0 finishing before the plan's end is refused");
    rt_plan_free(&plan);
}

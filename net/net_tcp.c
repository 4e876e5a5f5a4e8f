/* net_tcp.c -- TCP backend: framing, the nonblocking poll() engine, connection setup and the
 * configuration handshake. See net_tcp.h for the design (deadlock avoidance, timeouts, framing). */
#define _GNU_SOURCE
#include "net_tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum {
    OBUF_LIMIT = 64 * 1024, /* frames up to this size (with what is queued) are buffered and coalesced */
    READ_CHUNK = 64 * 1024,
    ZERO_BYTES = 64 * 1024,
    HELLO_VERSION = 1,
    HELLO_FIXED = 24, /* version, kind/status, from, to, hash_len ... desc_len */
    HELLO_MAX = HELLO_FIXED + NET_TCP_MAX_HASH + NET_TCP_MAX_DESC,
};
enum { ACK_OK = 0, ACK_MISMATCH = 1, ACK_ROLE = 2, ACK_DUPLICATE = 3 };
#define MAX_FRAME ((uint64_t)1 << 40) /* larger lengths are garbage */
#define NS_PER_S 1000000000LL

static const uint8_t zeros[ZERO_BYTES]; /* phantom payloads */

int net_tcp_info_bytes(int fd, int fin_received, uint64_t *sent, uint64_t *received); /* net_tcp_info.c */
int net_tcp_info_min_rtt_us(int fd, uint32_t *us);                                   /* net_tcp_info.c */

typedef struct conn {
    int fd; /* -1: no connection */
    /* output: buffered bytes ob[ob_off, ob_len), then a borrowed direct payload (large sends) */
    uint8_t *ob;
    size_t ob_off, ob_len, ob_cap;
    const uint8_t *dp;
    size_t d_len;
    int d_zero; /* direct payload is zeros (phantom) */
    /* input: unread bytes ib[ib_off, ib_len) */
    uint8_t *ib;
    size_t ib_off, ib_len, ib_cap;
    int eof;      /* nothing more will be read (EOF, or rd_errno) */
    int rd_errno; /* errno of a failed read; 0 = clean EOF */
    int wr_errno; /* errno of a failed write */
    int bye_in, bye_out;
    int64_t last_rx, last_tx; /* monotonic ns of the last byte moved */
} conn;

struct net_tcp {
    net_party base; /* first: the backend casts net_party* to net_tcp* */
    net_tcp_opts o; /* pointer fields are used during net_tcp_connect only */
    conn c[NET_MAX_PARTIES];
    int64_t t0;
    uint64_t frames_sent;
    /* Kernel byte counts per connection, read at net_tcp_finish (TCP_INFO). */
    uint64_t wire_sent[NET_MAX_PARTIES], wire_recv[NET_MAX_PARTIES];
    int wire_ok[NET_MAX_PARTIES];
    int cc_warned;
    char err[1024];
};

/* ---- small helpers ---- */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
    if (ns <= 0) return;
    struct timespec ts = {.tv_sec = ns / NS_PER_S, .tv_nsec = ns % NS_PER_S};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static const char *pname(int i) { return i >= 0 && i < NET_MAX_PARTIES ? net_party_names[i] : "?"; }

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

typedef struct hdr {
    uint32_t magic, type;
    uint64_t len, label;
    int64_t cp[NET_CP_N];
} hdr;

void net_tcp_frame_header(uint8_t *out, int type, uint64_t len, uint64_t label, const int64_t *cp)
{
    put32(out, NET_TCP_MAGIC);
    put32(out + 4, (uint32_t)type);
    put64(out + 8, len);
    put64(out + 16, label);
    for (int i = 0; i < NET_CP_N; i++) put64(out + 24 + 8 * i, cp ? (uint64_t)cp[i] : 0);
}

static void hdr_decode(const uint8_t *p, hdr *h)
{
    h->magic = get32(p);
    h->type = get32(p + 4);
    h->len = get64(p + 8);
    h->label = get64(p + 16);
    for (int i = 0; i < NET_CP_N; i++) h->cp[i] = (int64_t)get64(p + 24 + 8 * i);
}

static void reserve(uint8_t **b, size_t *cap, size_t need)
{
    if (need <= *cap) return;
    size_t nc = *cap ? *cap : 4096;
    while (nc < need) nc *= 2;
    uint8_t *nb = realloc(*b, nc);
    CHECK(nb != NULL, "out of memory growing a socket buffer to %zu bytes", nc);
    *b = nb;
    *cap = nc;
}

/* Records a failure and calls the hook (which may end the process). */
static int fail(net_tcp *t, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(net_tcp *t, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->err, sizeof t->err, fmt, ap);
    va_end(ap);
    if (t->o.on_error) t->o.on_error(t->o.on_error_ud, code, t->err);
    return code;
}

/* Records a setup failure (no hook: net_tcp_connect returns it). */
static int note(net_tcp *t, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int note(net_tcp *t, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->err, sizeof t->err, fmt, ap);
    va_end(ap);
    return code;
}

static double secs(int64_t ns) { return (double)ns / 1e9; }

/* ---- the poll() engine ---- */

static size_t pending(const conn *c) { return (c->ob_len - c->ob_off) + c->d_len; }

static void ob_append(conn *c, const void *p, size_t n)
{
    if (c->ob_off == c->ob_len) c->ob_off = c->ob_len = 0;
    if (c->ob_off > 0 && c->ob_off >= c->ob_cap / 2) {
        memmove(c->ob, c->ob + c->ob_off, c->ob_len - c->ob_off);
        c->ob_len -= c->ob_off;
        c->ob_off = 0;
    }
    reserve(&c->ob, &c->ob_cap, c->ob_len + n);
    if (n) {
        if (p) memcpy(c->ob + c->ob_len, p, n);
        else memset(c->ob + c->ob_len, 0, n);
    }
    c->ob_len += n;
}

/* Writes as much as the kernel takes without blocking. Header and payload go in one sendmsg. */
static void do_write(conn *c)
{
    while (pending(c) && !c->wr_errno) {
        struct iovec iov[2];
        int k = 0;
        size_t ob_rem = c->ob_len - c->ob_off;
        if (ob_rem) iov[k++] = (struct iovec){.iov_base = c->ob + c->ob_off, .iov_len = ob_rem};
        if (c->d_len) {
            size_t dl = c->d_zero && c->d_len > ZERO_BYTES ? ZERO_BYTES : c->d_len;
            iov[k++] = (struct iovec){.iov_base = (void *)(c->d_zero ? zeros : c->dp), .iov_len = dl};
        }
        struct msghdr mh;
        memset(&mh, 0, sizeof mh);
        mh.msg_iov = iov;
        mh.msg_iovlen = (size_t)k;
        ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            c->wr_errno = errno;
            return;
        }
        c->last_tx = mono_ns();
        size_t done = (size_t)w, a = done < ob_rem ? done : ob_rem;
        c->ob_off += a;
        done -= a;
        if (c->ob_off == c->ob_len) c->ob_off = c->ob_len = 0;
        if (done) {
            c->d_len -= done;
            if (!c->d_zero) c->dp += done;
        }
    }
}

/* Reads everything available without blocking into the input buffer. */
static void do_read(conn *c)
{
    while (!c->eof) {
        size_t unread = c->ib_len - c->ib_off;
        if (c->ib_off && (unread == 0 || c->ib_off >= c->ib_cap / 2)) {
            memmove(c->ib, c->ib + c->ib_off, unread);
            c->ib_off = 0;
            c->ib_len = unread;
        }
        size_t want = READ_CHUNK;
        if (unread >= NET_TCP_HDR_BYTES) { /* room for the whole frame at once */
            const uint8_t *h = c->ib + c->ib_off;
            uint64_t len = get64(h + 8);
            if (get32(h) == NET_TCP_MAGIC && len <= MAX_FRAME && NET_TCP_HDR_BYTES + len > unread &&
                NET_TCP_HDR_BYTES + len - unread > want)
                want = (size_t)(NET_TCP_HDR_BYTES + len - unread);
        }
        if (c->ib_cap - c->ib_len < want) reserve(&c->ib, &c->ib_cap, c->ib_len + want);
        ssize_t r = read(c->fd, c->ib + c->ib_len, c->ib_cap - c->ib_len);
        if (r > 0) {
            c->ib_len += (size_t)r;
            c->last_rx = mono_ns();
            continue;
        }
        if (r == 0) {
            c->eof = 1;
            return;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        c->rd_errno = errno;
        c->eof = 1;
    }
}

/* One poll() pass over every connection: read whatever arrives, write whatever is pending. Returns
 * at the latest at `deadline` (and at least every second, so callers re-check their conditions). */
static void progress(net_tcp *t, int64_t deadline)
{
    struct pollfd pf[NET_MAX_PARTIES];
    int who[NET_MAX_PARTIES], n = 0;
    for (int i = 0; i < t->base.nparties; i++) {
        conn *c = &t->c[i];
        if (c->fd < 0) continue;
        short ev = 0;
        if (!c->eof) ev |= POLLIN;
        if (pending(c) && !c->wr_errno) ev |= POLLOUT;
        if (!ev) continue;
        pf[n] = (struct pollfd){.fd = c->fd, .events = ev};
        who[n++] = i;
    }
    int64_t now = mono_ns(), wait = deadline - now;
    if (wait < 0) wait = 0;
    if (wait > NS_PER_S) wait = NS_PER_S;
    if (n == 0) { /* nothing can change; let the caller's clock run out */
        sleep_ns(wait < 1000000 ? wait : 1000000);
        return;
    }
    int r = poll(pf, (nfds_t)n, (int)((wait + 999999) / 1000000));
    if (r <= 0) return; /* timeout or EINTR: the caller re-checks */
    for (int k = 0; k < n; k++) {
        conn *c = &t->c[who[k]];
        if (pf[k].revents & (POLLIN | POLLHUP | POLLERR)) do_read(c);
        if (pf[k].revents & (POLLOUT | POLLERR)) do_write(c);
    }
}

static int write_fail(net_tcp *t, int peer)
{
    int e = t->c[peer].wr_errno;
    int closed = e == EPIPE || e == ECONNRESET || e == ENOTCONN;
    return fail(t, closed ? NET_ECLOSED : NET_EIO, "%s: cannot send to %s: %s%s", pname(t->base.self), pname(peer),
                strerror(e), closed ? " (the peer died or closed the connection)" : "");
}

/* Waits until everything queued for every peer is in the kernel, reading meanwhile. Flushing all
 * peers (not just one) keeps the invariant: back in protocol code, no frame is half-written. */
static int flush_all(net_tcp *t)
{
    int64_t start = mono_ns();
    for (int i = 0; i < t->base.nparties; i++)
        if (t->c[i].fd >= 0 && pending(&t->c[i])) do_write(&t->c[i]);
    for (;;) {
        int busy = 0;
        int64_t now = mono_ns(), deadline = INT64_MAX;
        for (int i = 0; i < t->base.nparties; i++) {
            conn *c = &t->c[i];
            if (c->fd < 0 || !pending(c)) continue;
            if (c->wr_errno) return write_fail(t, i);
            busy = 1;
            int64_t since = c->last_tx > start ? c->last_tx : start;
            if (now - since >= t->o.io_timeout_ns)
                return fail(t, NET_ETIMEOUT, "%s: %s has accepted no data for %.1f s (it hung, or is not reading)",
                            pname(t->base.self), pname(i), secs(t->o.io_timeout_ns));
            if (since + t->o.io_timeout_ns < deadline) deadline = since + t->o.io_timeout_ns;
        }
        if (!busy) return NET_OK;
        progress(t, deadline);
    }
}

/* Waits until a complete frame from peer is buffered and checks its header. expect_n: the DATA
 * length the caller wants (checked as soon as the header is in), or SIZE_MAX for any. */
static int wait_frame(net_tcp *t, int peer, size_t expect_n, hdr *h)
{
    conn *c = &t->c[peer];
    const char *me = pname(t->base.self), *pn = pname(peer);
    int64_t start = mono_ns();
    for (;;) {
        size_t avail = c->ib_len - c->ib_off;
        int have_hdr = avail >= NET_TCP_HDR_BYTES;
        if (have_hdr) {
            hdr_decode(c->ib + c->ib_off, h);
            if (h->magic != NET_TCP_MAGIC)
                return fail(t, NET_EPROTO, "%s: garbled stream from %s (bad frame magic 0x%08x): not an mpcsim party, or desynchronised",
                            me, pn, h->magic);
            if (h->type != NET_TCP_DATA && h->type != NET_TCP_BYE)
                return fail(t, NET_EPROTO, "%s: unexpected frame type %u from %s", me, h->type, pn);
            if (h->type == NET_TCP_DATA && expect_n != SIZE_MAX && h->len != expect_n)
                return fail(t, NET_EPROTO,
                            "%s: protocol desync: %s expects a %zu-byte message from %s, the next one has %llu bytes "
                            "(do all parties run the same build and options?)",
                            me, me, expect_n, pn, (unsigned long long)h->len);
            if (h->len > MAX_FRAME) return fail(t, NET_EPROTO, "%s: absurd frame length %llu from %s", me, (unsigned long long)h->len, pn);
            if (avail - NET_TCP_HDR_BYTES >= h->len) return NET_OK;
        }
        if (c->eof) {
            if (avail == 0) {
                if (c->rd_errno)
                    return fail(t, NET_ECLOSED, "%s: %s closed the connection without a goodbye (it died or failed: %s)", me, pn,
                                strerror(c->rd_errno));
                return fail(t, NET_ECLOSED, "%s: %s closed the connection without a goodbye (it died or failed)", me, pn);
            }
            char total[32] = "?";
            if (have_hdr) snprintf(total, sizeof total, "%llu", (unsigned long long)(h->len + NET_TCP_HDR_BYTES));
            return fail(t, NET_EPROTO, "%s: truncated message from %s: the connection %s%s%s after %zu of %s bytes (%s died mid-message?)",
                        me, pn, c->rd_errno ? "failed (" : "closed", c->rd_errno ? strerror(c->rd_errno) : "",
                        c->rd_errno ? ")" : "", avail, total, pn);
        }
        int64_t now = mono_ns(), since = c->last_rx > start ? c->last_rx : start;
        int64_t limit = avail ? t->o.stall_timeout_ns : t->o.io_timeout_ns;
        if (now - since >= limit) {
            if (avail) {
                char total[32] = "?";
                if (have_hdr) snprintf(total, sizeof total, "%llu", (unsigned long long)(h->len + NET_TCP_HDR_BYTES));
                return fail(t, NET_ETIMEOUT, "%s: message from %s stalled: %zu of %s bytes, then nothing for %.1f s (%s hung mid-message, or the network is down)",
                            me, pn, avail, total, secs(limit), pn);
            }
            return fail(t, NET_ETIMEOUT, "%s: nothing from %s for %.1f s (it hung, or computes for longer than the timeout)",
                        me, pn, secs(limit));
        }
        progress(t, since + limit);
    }
}

static void consume(conn *c, size_t n)
{
    c->ib_off += n;
    if (c->ib_off == c->ib_len) c->ib_off = c->ib_len = 0;
}

/* ---- fault injection (tests) ---- */

static void inject_fault(net_tcp *t, int peer, const void *buf, size_t n)
{
    const char *me = pname(t->base.self);
    (void)flush_all(t);
    if (t->o.fault_mode == NET_TCP_FAULT_DIE) {
        fprintf(stderr, "fault injection: %s dies before its message %llu (to %s)\n", me,
                (unsigned long long)t->frames_sent + 1, pname(peer));
        fflush(stderr);
        kill(getpid(), SIGKILL);
    }
    uint8_t h[NET_TCP_HDR_BYTES];
    net_tcp_frame_header(h, NET_TCP_DATA, n, 0, NULL);
    conn *c = &t->c[peer];
    ob_append(c, h, sizeof h);
    ob_append(c, buf, n / 2);
    (void)flush_all(t);
    fprintf(stderr, "fault injection: %s sent %zu of %zu bytes of its message %llu (to %s), then %s\n", me,
            n / 2 + sizeof h, n + sizeof h, (unsigned long long)t->frames_sent + 1, pname(peer),
            t->o.fault_mode == NET_TCP_FAULT_TRUNCATE ? "dies" : "hangs");
    fflush(stderr);
    if (t->o.fault_mode == NET_TCP_FAULT_TRUNCATE) kill(getpid(), SIGKILL);
    /* Hang (sending nothing more) until a peer gives up and closes, at most 60 s, so that a stalled
     * test process never outlives its run for long. */
    int64_t until = mono_ns() + 60 * NS_PER_S;
    for (;;) {
        for (int i = 0; i < t->base.nparties; i++) {
            conn *ci = &t->c[i];
            if (ci->fd >= 0 && ci->eof) _exit(3);
            ci->ib_off = ci->ib_len = 0; /* discard */
            ci->ob_off = ci->ob_len = 0; /* and never write again */
        }
        if (mono_ns() >= until) _exit(3);
        progress(t, until);
    }
}

/* ---- the backend's methods ---- */

static int tp_send(net_party *p, int peer, const void *buf, size_t n, const net_msg_info *meta)
{
    net_tcp *t = (net_tcp *)p;
    conn *c = &t->c[peer];
    if (c->fd < 0) return fail(t, NET_EIO, "%s: no connection to %s", pname(p->self), pname(peer));
    if (c->bye_out)
        return fail(t, NET_EPROTO, "%s: sends to %s after saying goodbye (protocol desync)", pname(p->self), pname(peer));
    if (c->wr_errno) return write_fail(t, peer);
    if (t->o.fault_mode != NET_TCP_FAULT_NONE && t->frames_sent == t->o.fault_after) inject_fault(t, peer, buf, n);
    t->frames_sent++;
    uint8_t h[NET_TCP_HDR_BYTES];
    net_tcp_frame_header(h, NET_TCP_DATA, n, meta->label, meta->cp);
    if (pending(c) + sizeof h + n <= OBUF_LIMIT) { /* small: coalesce, goes out at the next flush */
        ob_append(c, h, sizeof h);
        ob_append(c, buf, n);
        return NET_OK;
    }
    /* Large: queued bytes, header and payload leave together, straight from the caller's buffer. */
    ob_append(c, h, sizeof h);
    c->dp = buf;
    c->d_zero = buf == NULL;
    c->d_len = n;
    int rc = flush_all(t);
    c->dp = NULL; /* on failure the connection is dead anyway: never keep the caller's pointer */
    c->d_len = 0;
    return rc;
}

static int tp_recv(net_party *p, int peer, void *buf, size_t n, net_msg_info *info)
{
    net_tcp *t = (net_tcp *)p;
    conn *c = &t->c[peer];
    if (c->fd < 0) return fail(t, NET_EIO, "%s: no connection to %s", pname(p->self), pname(peer));
    if (c->bye_in) return NET_ECLOSED;
    int rc = flush_all(t);
    if (rc != NET_OK) return rc;
    hdr h;
    rc = wait_frame(t, peer, n, &h);
    if (rc != NET_OK) return rc;
    if (h.type == NET_TCP_BYE) {
        consume(c, NET_TCP_HDR_BYTES + (size_t)h.len);
        c->bye_in = 1;
        return NET_ECLOSED; /* clean: not an error */
    }
    if (buf && n) memcpy(buf, c->ib + c->ib_off + NET_TCP_HDR_BYTES, n);
    consume(c, NET_TCP_HDR_BYTES + n);
    memset(info, 0, sizeof *info);
    info->label = h.label;
    memcpy(info->cp, h.cp, sizeof info->cp);
    /* All waiting counts as `other` in the wrapper's split (see net_tcp.h). */
    info->t_send = info->t_depart = info->t_arrive = mono_ns() - t->t0;
    return NET_OK;
}

static int tp_flush(net_party *p, int peer)
{
    (void)peer;
    return flush_all((net_tcp *)p);
}

static int64_t tp_now(net_party *p) { return mono_ns() - ((net_tcp *)p)->t0; }

static void tp_advance(net_party *p, int64_t ns)
{
    (void)p; /* real computation already took real time */
    (void)ns;
}

static const net_party_vt tcp_vt = {
    .iversion = 1, .send = tp_send, .recv = tp_recv, .flush = tp_flush, .now = tp_now, .advance = tp_advance,
};

/* ---- lifetime ---- */

void net_tcp_opts_default(net_tcp_opts *o)
{
    memset(o, 0, sizeof *o);
    o->nparties = NET_MAX_PARTIES;
    o->connect_timeout_ns = 30 * NS_PER_S;
    o->io_timeout_ns = 60 * NS_PER_S;
    o->stall_timeout_ns = 5 * NS_PER_S;
}

static net_tcp *tcp_alloc(const net_tcp_opts *o)
{
    CHECK(o->nparties >= 2 && o->nparties <= NET_MAX_PARTIES && o->self >= 0 && o->self < o->nparties,
          "party %d of %d", o->self, o->nparties);
    CHECK(o->io_timeout_ns > 0 && o->stall_timeout_ns > 0 && o->connect_timeout_ns > 0, "timeouts must be positive");
    CHECK(o->hash_len <= NET_TCP_MAX_HASH, "hash of %zu bytes (max %d)", o->hash_len, NET_TCP_MAX_HASH);
    net_tcp *t = chk_calloc(1, sizeof *t);
    net_party_init(&t->base, &tcp_vt, o->self, o->nparties);
    t->o = *o;
    t->t0 = mono_ns();
    for (int i = 0; i < NET_MAX_PARTIES; i++) t->c[i].fd = -1;
    return t;
}

static void conn_free(conn *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    free(c->ob);
    free(c->ib);
    c->ob = c->ib = NULL;
}

void net_tcp_destroy(net_tcp *t)
{
    if (!t) return;
    for (int i = 0; i < NET_MAX_PARTIES; i++) conn_free(&t->c[i]);
    free(t);
}

net_party *net_tcp_party(net_tcp *t) { return &t->base; }
const char *net_tcp_error(const net_tcp *t) { return t->err; }

static void conn_ready(conn *c)
{
    c->last_rx = c->last_tx = mono_ns();
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int net_tcp_from_fds(net_tcp **out, const net_tcp_opts *o, const int fd[NET_MAX_PARTIES])
{
    net_tcp *t = tcp_alloc(o);
    for (int i = 0; i < o->nparties; i++) {
        if (i == o->self || fd[i] < 0) continue;
        int one = 1;
        (void)setsockopt(fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails on AF_UNIX: fine */
        if (set_nonblock(fd[i]) != 0) {
            note(t, NET_EIO, "fcntl(O_NONBLOCK): %s", strerror(errno));
            net_tcp_destroy(t);
            *out = NULL;
            return NET_EIO;
        }
        t->c[i].fd = fd[i];
        conn_ready(&t->c[i]);
    }
    *out = t;
    return NET_OK;
}

int net_tcp_send_bye(net_tcp *t, int peer)
{
    conn *c = &t->c[peer];
    if (c->fd < 0 || c->bye_out) return NET_OK;
    uint8_t h[NET_TCP_HDR_BYTES];
    net_tcp_frame_header(h, NET_TCP_BYE, 0, 0, NULL);
    ob_append(c, h, sizeof h);
    c->bye_out = 1;
    return flush_all(t);
}

int net_tcp_finish(net_tcp *t)
{
    const char *me = pname(t->base.self);
    for (int i = 0; i < t->base.nparties; i++) {
        conn *c = &t->c[i];
        if (c->fd < 0 || c->bye_out) continue;
        uint8_t h[NET_TCP_HDR_BYTES];
        net_tcp_frame_header(h, NET_TCP_BYE, 0, 0, NULL);
        ob_append(c, h, sizeof h);
        c->bye_out = 1;
    }
    int rc = flush_all(t);
    if (rc != NET_OK) return rc;
    for (int i = 0; i < t->base.nparties; i++)
        if (t->c[i].fd >= 0) (void)shutdown(t->c[i].fd, SHUT_WR);
    /* Read each peer's remaining frames (only a BYE may be left) until its EOF. */
    int64_t start = mono_ns();
    for (;;) {
        int waiting = 0;
        int64_t now = mono_ns(), deadline = INT64_MAX;
        for (int i = 0; i < t->base.nparties; i++) {
            conn *c = &t->c[i];
            if (c->fd < 0) continue;
            while (c->ib_len - c->ib_off >= NET_TCP_HDR_BYTES) {
                hdr h;
                hdr_decode(c->ib + c->ib_off, &h);
                if (h.magic != NET_TCP_MAGIC)
                    return fail(t, NET_EPROTO, "%s: garbled stream from %s at the end", me, pname(i));
                if (h.type != NET_TCP_BYE)
                    return fail(t, NET_EPROTO, "%s: protocol desync: an unread %llu-byte message from %s at the end", me,
                                (unsigned long long)h.len, pname(i));
                consume(c, NET_TCP_HDR_BYTES);
                c->bye_in = 1;
            }
            if (!c->eof) {
                waiting = 1;
                int64_t since = c->last_rx > start ? c->last_rx : start;
                if (now - since >= t->o.io_timeout_ns)
                    return fail(t, NET_ETIMEOUT, "%s: %s did not finish within %.1f s after us", me, pname(i),
                                secs(t->o.io_timeout_ns));
                if (since + t->o.io_timeout_ns < deadline) deadline = since + t->o.io_timeout_ns;
                continue;
            }
            if (!c->bye_in)
                return fail(t, NET_ECLOSED, "%s: %s closed the connection without a goodbye (it died or failed)%s%s", me,
                            pname(i), c->rd_errno ? ": " : "", c->rd_errno ? strerror(c->rd_errno) : "");
            if (c->ib_len != c->ib_off)
                return fail(t, NET_EPROTO, "%s: %zu stray bytes from %s at the end", me, c->ib_len - c->ib_off, pname(i));
        }
        if (!waiting) break;
        progress(t, deadline);
    }
    for (int i = 0; i < NET_MAX_PARTIES; i++)
        if (t->c[i].fd >= 0) {
            t->wire_ok[i] = net_tcp_info_bytes(t->c[i].fd, t->c[i].eof && !t->c[i].rd_errno, &t->wire_sent[i], &t->wire_recv[i]) == 0;
            close(t->c[i].fd);
            t->c[i].fd = -1;
        }
    return NET_OK;
}

int net_tcp_wire_bytes(const net_tcp *t, int peer, uint64_t *sent, uint64_t *recv)
{
    if (peer < 0 || peer >= NET_MAX_PARTIES || !t->wire_ok[peer]) return -1;
    *sent = t->wire_sent[peer], *recv = t->wire_recv[peer];
    return 0;
}

int net_tcp_min_rtt(const net_tcp *t, int peer, int64_t *ns)
{
    uint32_t us;
    if (peer < 0 || peer >= NET_MAX_PARTIES || t->c[peer].fd < 0 || net_tcp_info_min_rtt_us(t->c[peer].fd, &us) != 0)
        return -1;
    *ns = (int64_t)us * 1000;
    return 0;
}

void net_tcp_congestion(const net_tcp *t, int peer, char *buf, size_t n)
{
    if (n == 0) return;
    buf[0] = 0;
    if (peer < 0 || peer >= NET_MAX_PARTIES || t->c[peer].fd < 0) return;
    char tmp[64] = "";
    socklen_t len = sizeof tmp - 1;
    if (getsockopt(t->c[peer].fd, IPPROTO_TCP, TCP_CONGESTION, tmp, &len) == 0) {
        tmp[len < sizeof tmp ? len : sizeof tmp - 1] = 0;
        snprintf(buf, n, "%s", tmp);
    }
}

/* ---- connection setup ---- */

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sl, char *err, size_t errlen)
{
    char host[128], port[16];
    const char *colon;
    if (!s || !*s) {
        snprintf(err, errlen, "empty address");
        return -1;
    }
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof host) {
            snprintf(err, errlen, "address '%s' is not like [::1]:PORT", s);
            return -1;
        }
        memcpy(host, s + 1, (size_t)(rb - s - 1));
        host[rb - s - 1] = 0;
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || colon == s || (size_t)(colon - s) >= sizeof host) {
            snprintf(err, errlen, "address '%s' is not like 127.0.0.1:PORT or [::1]:PORT", s);
            return -1;
        }
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = 0;
        if (strchr(host, ':')) {
            snprintf(err, errlen, "address '%s': write IPv6 addresses in brackets, like [::1]:PORT", s);
            return -1;
        }
    }
    char *end;
    long pv = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || pv < 1 || pv > 65535) {
        snprintf(err, errlen, "address '%s': port must be 1..65535", s);
        return -1;
    }
    snprintf(port, sizeof port, "%ld", pv);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0 || !res) {
        snprintf(err, errlen, "address '%s': '%s' is not a numeric IP address (%s)", s, host, gai_strerror(g));
        if (res) freeaddrinfo(res);
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sl = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int setup_socket(net_tcp *t, int fd)
{
    int one = 1;
    if (set_nonblock(fd) != 0 || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        return note(t, NET_EIO, "%s: socket setup failed: %s", pname(t->base.self), strerror(errno));
    const char *cc = t->o.congestion;
    if (cc && *cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc)) != 0) {
        int e = errno;
        if (t->o.congestion_strict)
            return note(t, NET_EIO,
                        "%s: cannot use TCP congestion control '%s': %s (see /proc/sys/net/ipv4/tcp_available_congestion_control; "
                        "without privileges only tcp_allowed_congestion_control)",
                        pname(t->base.self), cc, strerror(e));
        if (!t->cc_warned) {
            fprintf(stderr, "warning: %s: TCP congestion control '%s' unavailable (%s); using the system default\n",
                    pname(t->base.self), cc, strerror(e));
            t->cc_warned = 1;
        }
    }
    return NET_OK;
}

/* Blocking-with-deadline I/O on one nonblocking fd (handshake only). 0 ok, -1 error (errno set),
 * -2 deadline, -3 EOF. */
static int fd_wait(int fd, short ev, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - mono_ns();
        if (left <= 0) return -2;
        struct pollfd pf = {.fd = fd, .events = ev};
        int r = poll(&pf, 1, (int)((left > NS_PER_S ? NS_PER_S : left) / 1000000 + 1));
        if (r > 0) return 0;
        if (r < 0 && errno != EINTR) return -1;
    }
}

static int fd_write_all(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        int r = fd_wait(fd, POLLOUT, deadline);
        if (r) return r;
    }
    return 0;
}

static int fd_read_exact(int fd, uint8_t *p, size_t n, int64_t deadline)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r > 0) {
            p += r;
            n -= (size_t)r;
            continue;
        }
        if (r == 0) return -3;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        int w = fd_wait(fd, POLLIN, deadline);
        if (w) return w;
    }
    return 0;
}

typedef struct hello {
    uint32_t version, kind, from, to; /* kind: ACK status for an ACK */
    uint32_t hash_len;
    uint8_t hash[NET_TCP_MAX_HASH];
    char desc[NET_TCP_MAX_DESC + 1];
} hello;

static int hello_send(int fd, int type, const hello *m, int64_t deadline)
{
    uint8_t buf[NET_TCP_HDR_BYTES + HELLO_MAX];
    size_t dl = strlen(m->desc), n = HELLO_FIXED + m->hash_len + dl;
    net_tcp_frame_header(buf, type, n, 0, NULL);
    uint8_t *p = buf + NET_TCP_HDR_BYTES;
    put32(p, m->version);
    put32(p + 4, m->kind);
    put32(p + 8, m->from);
    put32(p + 12, m->to);
    put32(p + 16, m->hash_len);
    memcpy(p + 20, m->hash, m->hash_len);
    put32(p + 20 + m->hash_len, (uint32_t)dl);
    memcpy(p + 24 + m->hash_len, m->desc, dl);
    return fd_write_all(fd, buf, NET_TCP_HDR_BYTES + n, deadline);
}

/* 0 ok, -1..-3 as fd_read_exact, -4 malformed. */
static int hello_recv(int fd, int type, hello *m, int64_t deadline)
{
    uint8_t hb[NET_TCP_HDR_BYTES], p[HELLO_MAX];
    int r = fd_read_exact(fd, hb, sizeof hb, deadline);
    if (r) return r;
    hdr h;
    hdr_decode(hb, &h);
    if (h.magic != NET_TCP_MAGIC || h.type != (uint32_t)type || h.len < HELLO_FIXED || h.len > HELLO_MAX) return -4;
    r = fd_read_exact(fd, p, (size_t)h.len, deadline);
    if (r) return r;
    memset(m, 0, sizeof *m);
    m->version = get32(p);
    m->kind = get32(p + 4);
    m->from = get32(p + 8);
    m->to = get32(p + 12);
    m->hash_len = get32(p + 16);
    if (m->hash_len > NET_TCP_MAX_HASH || HELLO_FIXED + m->hash_len > h.len) return -4;
    memcpy(m->hash, p + 20, m->hash_len);
    uint32_t dl = get32(p + 20 + m->hash_len);
    if (dl > NET_TCP_MAX_DESC || HELLO_FIXED + m->hash_len + dl != h.len) return -4;
    memcpy(m->desc, p + 24 + m->hash_len, dl);
    m->desc[dl] = 0;
    return 0;
}

static void hello_mine(const net_tcp *t, hello *m, uint32_t kind, int to)
{
    memset(m, 0, sizeof *m);
    m->version = HELLO_VERSION;
    m->kind = kind;
    m->from = (uint32_t)t->base.self;
    m->to = (uint32_t)to;
    m->hash_len = (uint32_t)t->o.hash_len;
    if (t->o.hash_len) memcpy(m->hash, t->o.hash, t->o.hash_len);
    snprintf(m->desc, sizeof m->desc, "%s", t->o.desc ? t->o.desc : "");
}

static int same_config(const net_tcp *t, const hello *m)
{
    return m->version == HELLO_VERSION && m->hash_len == t->o.hash_len &&
           (t->o.hash_len == 0 || memcmp(m->hash, t->o.hash, t->o.hash_len) == 0);
}

/* "key=value ..." descriptions: lists the keys whose values differ, as "seed (P1: 2, P0: 1)". */
static void desc_diff(char *out, size_t n, const char *theirs, const char *mine, const char *tn, const char *mn)
{
    out[0] = 0;
    const char *a = theirs;
    while (*a) {
        while (*a == ' ') a++;
        const char *ae = a + strcspn(a, " "), *eq = memchr(a, '=', (size_t)(ae - a));
        if (eq) {
            size_t kl = (size_t)(eq - a);
            const char *b = mine;
            while (*b) {
                while (*b == ' ') b++;
                const char *be = b + strcspn(b, " ");
                if ((size_t)(be - b) > kl && strncmp(a, b, kl) == 0 && b[kl] == '=') {
                    int av = (int)(ae - eq - 1), bv = (int)(be - b - kl - 1);
                    if (av != bv || strncmp(eq + 1, b + kl + 1, (size_t)av) != 0) {
                        size_t used = strlen(out);
                        snprintf(out + used, n - used, "%s%.*s (%s: %.*s, %s: %.*s)", used ? "; " : "", (int)kl, a, tn,
                                 av, eq + 1, mn, bv, b + kl + 1);
                    }
                    break;
                }
                b = be;
            }
        }
        a = ae;
    }
}

static int mismatch(net_tcp *t, int peer, const hello *m)
{
    const char *me = pname(t->base.self);
    if (m->version != HELLO_VERSION)
        return note(t, NET_EPROTO, "%s: %s speaks handshake version %u, we speak %d (different mpcsim builds)", me,
                    pname(peer), m->version, HELLO_VERSION);
    const char *mine = t->o.desc ? t->o.desc : "";
    char diff[512];
    desc_diff(diff, sizeof diff, m->desc, mine, pname(peer), me);
    return note(t, NET_EPROTO,
                "%s: configuration mismatch with %s, refusing to run: %s\n  %-2s runs: %s\n  %-2s runs: %s\n"
                "  Start every party with the same op, shape, seed, mode and protocol options.",
                me, pname(peer), *diff ? diff : "the descriptions agree: the builds differ in configuration fields",
                pname(peer), m->desc, me, mine);
}

static int do_listen(net_tcp *t, const char *addr, int *lfd)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    char e[256];
    const char *me = pname(t->base.self);
    if (!addr) return note(t, NET_EIO, "%s: no listening address", me);
    if (parse_addr(addr, &ss, &sl, e, sizeof e) != 0) return note(t, NET_EIO, "%s: %s", me, e);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0) return note(t, NET_EIO, "%s: socket: %s", me, strerror(errno));
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* The congestion control goes on the listener too: an accepted connection starts with the
     * listener's, whose init runs when the handshake completes, before accept() returns. Switching
     * afterwards leaves that init's side effects behind: a system default of bbr marks the socket as
     * needing pacing, and the kernel then paces the "cubic" connection (and HyStart's ACK-train
     * threshold is no longer halved), so one side of a connection would behave unlike the other. */
    int rc = setup_socket(t, fd);
    if (rc != NET_OK) {
        close(fd);
        return rc;
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 8) != 0) {
        int er = errno;
        close(fd);
        return note(t, NET_EIO, "%s: cannot listen on %s: %s%s", me, addr, strerror(er),
                    er == EADDRINUSE ? " (is another run still using the port? pick another one)" : "");
    }
    *lfd = fd;
    return NET_OK;
}

/* During setup: a peer we are already connected to that closes has failed (e.g. it refused another
 * party's configuration); say so at once instead of waiting for the setup deadline. */
static int setup_peer_gone(net_tcp *t)
{
    for (int i = 0; i < t->base.nparties; i++) {
        if (t->c[i].fd < 0) continue;
        char b;
        ssize_t r = recv(t->c[i].fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return note(t, NET_ECLOSED, "%s: %s closed its connection during setup (it failed: see its message)",
                        pname(t->base.self), pname(i));
    }
    return NET_OK;
}

static int connect_peer(net_tcp *t, int j, int64_t deadline)
{
    const char *me = pname(t->base.self), *pn = pname(j), *addr = t->o.addr[j];
    struct sockaddr_storage ss;
    socklen_t sl;
    char e[256];
    if (!addr) return note(t, NET_EIO, "%s: no address for %s", me, pn);
    if (parse_addr(addr, &ss, &sl, e, sizeof e) != 0) return note(t, NET_EIO, "%s: %s: %s", me, pn, e);
    int last = 0, fd = -1, tries = 0;
    for (;;) {
        tries++;
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return note(t, NET_EIO, "%s: socket: %s", me, strerror(errno));
        int rc = setup_socket(t, fd);
        if (rc != NET_OK) {
            close(fd);
            return rc;
        }
        int ok = 0;
        if (connect(fd, (struct sockaddr *)&ss, sl) == 0) ok = 1;
        else if (errno == EINPROGRESS || errno == EINTR) {
            int64_t until = mono_ns() + NS_PER_S;
            int w = fd_wait(fd, POLLOUT, until < deadline ? until : deadline);
            int soerr = 0;
            socklen_t len = sizeof soerr;
            if (w == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0) ok = 1;
            else if (w != -2) last = soerr ? soerr : errno;
            else if (!last) last = ETIMEDOUT;
        } else last = errno;
        if (ok) break;
        close(fd);
        fd = -1;
        if (setup_peer_gone(t) != NET_OK) return NET_ECLOSED;
        int64_t now = mono_ns();
        if (now >= deadline)
            return note(t, NET_ETIMEOUT, "%s: could not connect to %s at %s within %.1f s (%d attempts, last: %s); is %s running and listening there?",
                        me, pn, addr, secs(t->o.connect_timeout_ns), tries, strerror(last), pn);
        sleep_ns(deadline - now < 50000000 ? deadline - now : 50000000);
    }
    hello m;
    hello_mine(t, &m, 0, j);
    int r = hello_send(fd, NET_TCP_HELLO, &m, deadline);
    if (r == 0) r = hello_recv(fd, NET_TCP_ACK, &m, deadline);
    if (r != 0) {
        int er = errno;
        close(fd);
        if (r == -2) return note(t, NET_ETIMEOUT, "%s: %s at %s did not answer the handshake in time", me, pn, addr);
        if (r == -3 || (r == -1 && (er == ECONNRESET || er == EPIPE)))
            return note(t, NET_ECLOSED, "%s: %s at %s closed the connection during the handshake (it failed: see its message)", me, pn, addr);
        if (r == -4) return note(t, NET_EPROTO, "%s: %s at %s is not an mpcsim party (malformed handshake)", me, pn, addr);
        return note(t, NET_EIO, "%s: handshake with %s at %s failed: %s", me, pn, addr, strerror(er));
    }
    if (m.kind != ACK_OK || m.from != (uint32_t)j) {
        close(fd);
        if (m.kind == ACK_MISMATCH) return mismatch(t, j, &m);
        if (m.from != (uint32_t)j)
            return note(t, NET_EPROTO, "%s: the party at %s is %s, not %s (check --peers)", me, addr, pname((int)m.from), pn);
        return note(t, NET_EPROTO, "%s: %s at %s refused us (%s)", me, pn, addr,
                    m.kind == ACK_DUPLICATE ? "it already has a connection from us: another run on the same ports?"
                                            : "unexpected role: check --role and --peers");
    }
    t->c[j].fd = fd;
    conn_ready(&t->c[j]);
    return NET_OK;
}

static int accept_peers(net_tcp *t, int lfd, int64_t deadline)
{
    const char *me = pname(t->base.self);
    int n = t->base.nparties, self = t->base.self;
    for (;;) {
        int missing = 0;
        char names[32] = "";
        for (int j = self + 1; j < n; j++)
            if (t->c[j].fd < 0) {
                missing++;
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", *names ? ", " : "", pname(j));
            }
        if (!missing) return NET_OK;
        if (setup_peer_gone(t) != NET_OK) return NET_ECLOSED;
        int64_t slice = mono_ns() + 100000000;
        int w = fd_wait(lfd, POLLIN, slice < deadline ? slice : deadline);
        if (w == -2 && slice < deadline) continue;
        if (w == -2)
            return note(t, NET_ETIMEOUT, "%s: waited %.1f s for %s to connect to %s", me, secs(t->o.connect_timeout_ns),
                        names, t->o.listen ? t->o.listen : t->o.addr[self]);
        if (w != 0) return note(t, NET_EIO, "%s: poll on the listening socket: %s", me, strerror(errno));
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) continue;
            return note(t, NET_EIO, "%s: accept: %s", me, strerror(errno));
        }
        int rc = setup_socket(t, fd);
        if (rc != NET_OK) {
            close(fd);
            return rc;
        }
        /* A real party sends its HELLO at once; a silent client must not hold the setup. */
        int64_t hd = mono_ns() + t->o.stall_timeout_ns;
        hello m;
        int r = hello_recv(fd, NET_TCP_HELLO, &m, hd < deadline ? hd : deadline);
        if (r != 0) {
            fprintf(stderr, "warning: %s: dropped a connection that did not complete an mpcsim handshake (%s)\n", me,
                    r == -2 ? "silent" : r == -3 ? "closed" : r == -4 ? "malformed" : strerror(errno));
            close(fd);
            continue;
        }
        hello a;
        int from = (int)m.from;
        if (m.to != (uint32_t)self || m.from <= (uint32_t)self || m.from >= (uint32_t)n || t->c[from].fd >= 0) {
            int dup = m.to == (uint32_t)self && m.from > (uint32_t)self && m.from < (uint32_t)n;
            hello_mine(t, &a, dup ? ACK_DUPLICATE : ACK_ROLE, (int)m.from);
            (void)hello_send(fd, NET_TCP_ACK, &a, hd < deadline ? hd : deadline);
            close(fd);
            fprintf(stderr, "warning: %s: refused a connection from a party claiming to be %s (to %s)%s\n", me,
                    pname((int)m.from), pname((int)m.to), dup ? ": already connected" : ": unexpected role");
            continue;
        }
        if (!same_config(t, &m)) {
            hello_mine(t, &a, ACK_MISMATCH, from);
            (void)hello_send(fd, NET_TCP_ACK, &a, hd < deadline ? hd : deadline);
            close(fd);
            return mismatch(t, from, &m);
        }
        hello_mine(t, &a, ACK_OK, from);
        if (hello_send(fd, NET_TCP_ACK, &a, deadline) != 0) {
            int er = errno;
            close(fd);
            return note(t, NET_EIO, "%s: handshake answer to %s failed: %s", me, pname(from), strerror(er));
        }
        t->c[from].fd = fd;
        conn_ready(&t->c[from]);
    }
}

int net_tcp_connect(net_tcp **out, const net_tcp_opts *o, char *err, size_t errlen)
{
    net_tcp *t = tcp_alloc(o);
    int64_t deadline = t->t0 + o->connect_timeout_ns;
    int lfd = -1, rc = NET_OK;
    if (o->self < o->nparties - 1) rc = do_listen(t, o->listen ? o->listen : o->addr[o->self], &lfd);
    for (int j = 0; j < o->self && rc == NET_OK; j++) rc = connect_peer(t, j, deadline);
    if (rc == NET_OK && lfd >= 0) rc = accept_peers(t, lfd, deadline);
    if (lfd >= 0) close(lfd);
    if (rc != NET_OK) {
        if (err && errlen) snprintf(err, errlen, "%s", t->err);
        net_tcp_destroy(t);
        *out = NULL;
        return rc;
    }
    for (int i = 0; i < o->nparties; i++)
        if (t->c[i].fd >= 0) conn_ready(&t->c[i]);
    *out = t;
    return NET_OK;
}

/* net_tcp.c -- TCP backend: framing, the nonblocking poll() engine, connection setup and the
 * configuration handshake. See net_tcp.h for the design (deadlock avoidance, timeouts, framing). */
#define _GNU_SOURCE
#include "net_tcp.h"

#include <arpa/inet.h>
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

#include <sodium.h>

#include "../common/arena.h"
#include "../netmodel/nm_tcp.h"

_Static_assert(NET_TCP_TAG_BYTES == NM_TCP_AEAD_TAG, "the link models charge the real tag size");
_Static_assert(NET_TCP_HDR_BYTES == NM_TCP_MSG_HDR, "the link models charge the real header size");

enum {
    OBUF_LIMIT = 64 * 1024, /* frames up to this size (with what is queued) are buffered and coalesced */
    READ_CHUNK = 64 * 1024,
    ZERO_BYTES = 64 * 1024,
    SEAL_CHUNK = 256 * 1024, /* a large frame is sealed this much at a time, just before it goes out */
    DIRECT_MIN = 64 * 1024,  /* sealed frames from this size are read straight into the caller's buffer */
};
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
    size_t expect;            /* the frame size recv() waits for (0: none): input is sized by this, never by a header */
    /* sealed frames (sec = 1): keys and counters per direction */
    int sec;
    net_aead *tx, *rx;
    uint64_t n_tx, n_rx;
    /* a large sealed frame going out: plaintext sp[0..s_left) (zeros if s_zero) still to seal, a
     * SEAL_CHUNK at a time into eb[eb_off, eb_len), then the tag (s_tag: not yet produced) */
    const uint8_t *sp;
    size_t s_left;
    int s_zero, s_tag;
    uint8_t *eb;
    size_t eb_off, eb_len, eb_cap;
    /* a large sealed frame coming in (direct): the payload lands in di (di_got of di_n bytes, the
     * first di_dec of them decrypted), its tag in dtag (dt_got of 16) */
    uint8_t *di;
    size_t di_n, di_got, di_dec, dt_got;
    uint8_t dtag[NET_TCP_TAG_BYTES];
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

/* Grows a buffer to hold `need` bytes, keeping its first `used`. Large buffers (a frame of
 * megabytes) come from arena_pages: 2 MiB-aligned, huge pages from 8 MiB, so the first touch takes
 * one fault per 2 MiB instead of one per 4 KiB; only the used bytes are copied. */
static void reserve(uint8_t **b, size_t *cap, size_t used, size_t need)
{
    if (need <= *cap) return;
    size_t nc = *cap ? *cap : 4096;
    while (nc < need) nc *= 2;
    uint8_t *nb = arena_pages(&nc);
    if (used) memcpy(nb, *b, used);
    free(*b);
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

static size_t pending(const conn *c)
{
    return (c->ob_len - c->ob_off) + c->d_len + (c->eb_len - c->eb_off) + c->s_left + (c->s_tag ? NET_TCP_TAG_BYTES : 0);
}

/* Seals the next piece of the outgoing large frame into eb (once eb is empty). */
static void seal_more(conn *c)
{
    if (c->eb_off < c->eb_len || (!c->s_left && !c->s_tag)) return;
    size_t k = c->s_left < SEAL_CHUNK ? c->s_left : SEAL_CHUNK;
    if (c->s_zero && k > ZERO_BYTES) k = ZERO_BYTES;
    c->eb_off = c->eb_len = 0;
    if (k) {
        net_aead_update(c->tx, c->s_zero ? zeros : c->sp, c->eb, k);
        if (!c->s_zero) c->sp += k;
        c->s_left -= k;
        c->eb_len = k;
    }
    if (!c->s_left) { /* the tag follows the last piece, in the same write */
        net_aead_seal_final(c->tx, c->eb + c->eb_len);
        c->eb_len += NET_TCP_TAG_BYTES;
        c->s_tag = 0;
    }
}

static size_t ob_append(conn *c, const void *p, size_t n)
{
    if (c->ob_off == c->ob_len) c->ob_off = c->ob_len = 0;
    if (c->ob_off > 0 && c->ob_off >= c->ob_cap / 2) {
        memmove(c->ob, c->ob + c->ob_off, c->ob_len - c->ob_off);
        c->ob_len -= c->ob_off;
        c->ob_off = 0;
    }
    reserve(&c->ob, &c->ob_cap, c->ob_len, c->ob_len + n);
    if (n) {
        if (p) memcpy(c->ob + c->ob_len, p, n);
        else memset(c->ob + c->ob_len, 0, n);
    }
    c->ob_len += n;
    return c->ob_len - n;
}

static size_t tag_bytes(const conn *c) { return c->sec ? NET_TCP_TAG_BYTES : 0; }

/* Queues a whole frame (header, payload, tag) in the output buffer; p NULL = zeros. */
static void ob_frame(conn *c, int type, const void *p, size_t n, uint64_t label, const int64_t *cp)
{
    size_t ho = ob_append(c, NULL, NET_TCP_HDR_BYTES);
    net_tcp_frame_header(c->ob + ho, type, n, label, cp);
    size_t po = ob_append(c, p, n);
    if (!c->sec) return;
    size_t to = ob_append(c, NULL, NET_TCP_TAG_BYTES);
    ho = to - n - NET_TCP_HDR_BYTES; /* ob may have moved its content: recompute from the end */
    po = to - n;
    net_aead_seal(c->tx, c->n_tx++, c->ob + ho, NET_TCP_HDR_BYTES, c->ob + po, c->ob + po, n, c->ob + to);
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
        if (c->s_left || c->s_tag || c->eb_off < c->eb_len) {
            seal_more(c);
            iov[k++] = (struct iovec){.iov_base = c->eb + c->eb_off, .iov_len = c->eb_len - c->eb_off};
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
        if (done && c->d_len) {
            c->d_len -= done;
            if (!c->d_zero) c->dp += done;
        } else if (done) c->eb_off += done; /* d_len and eb are never both in use */
    }
}

/* After a read that returned nothing (0: the peer closed; -1: errno): 1 to read again (EINTR), 0 to
 * stop (would block; end of stream or a read error, recorded in eof and rd_errno). */
static int read_again(conn *c, ssize_t r)
{
    if (r == 0) {
        c->eof = 1;
        return 0;
    }
    if (errno == EINTR) return 1;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    c->rd_errno = errno;
    c->eof = 1;
    return 0;
}

/* Reads everything available without blocking: first the rest of a direct frame (payload into the
 * caller's buffer, then its tag), what follows it into the input buffer, in one readv. */
static void do_read(conn *c)
{
    while (!c->eof && c->di && (c->di_got < c->di_n || c->dt_got < NET_TCP_TAG_BYTES)) {
        if (c->ib_off == c->ib_len) c->ib_off = c->ib_len = 0;
        if (c->ib_cap - c->ib_len < READ_CHUNK) reserve(&c->ib, &c->ib_cap, c->ib_len, c->ib_len + READ_CHUNK);
        struct iovec iov[3];
        int k = 0;
        if (c->di_got < c->di_n) iov[k++] = (struct iovec){.iov_base = c->di + c->di_got, .iov_len = c->di_n - c->di_got};
        iov[k++] = (struct iovec){.iov_base = c->dtag + c->dt_got, .iov_len = NET_TCP_TAG_BYTES - c->dt_got};
        iov[k++] = (struct iovec){.iov_base = c->ib + c->ib_len, .iov_len = c->ib_cap - c->ib_len};
        ssize_t r = readv(c->fd, iov, k);
        if (r > 0) {
            size_t got = (size_t)r, a = c->di_n - c->di_got;
            if (a > got) a = got;
            c->di_got += a, got -= a;
            a = NET_TCP_TAG_BYTES - c->dt_got;
            if (a > got) a = got;
            c->dt_got += a, got -= a;
            c->ib_len += got;
            c->last_rx = mono_ns();
            continue;
        }
        if (!read_again(c, r)) return;
    }
    while (!c->eof) {
        size_t unread = c->ib_len - c->ib_off;
        if (c->ib_off && (unread == 0 || c->ib_off >= c->ib_cap / 2)) {
            memmove(c->ib, c->ib + c->ib_off, unread);
            c->ib_off = 0;
            c->ib_len = unread;
        }
        size_t want = READ_CHUNK;
        /* Room for the whole expected frame at once. Sized by what recv() expects, never by what a
         * header announces (wait_frame refuses a header that disagrees before it gets here). */
        if (c->expect > unread && c->expect - unread > want) want = c->expect - unread;
        if (c->ib_cap - c->ib_len < want) reserve(&c->ib, &c->ib_cap, c->ib_len, c->ib_len + want);
        ssize_t r = read(c->fd, c->ib + c->ib_len, c->ib_cap - c->ib_len);
        if (r > 0) {
            c->ib_len += (size_t)r;
            c->last_rx = mono_ns();
            continue;
        }
        if (!read_again(c, r)) return;
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
 * length the caller wants (checked as soon as the header is in), or SIZE_MAX for any. hdr_only:
 * a DATA frame returns as soon as its header is in and checked (recv_direct reads the rest). */
static int wait_frame(net_tcp *t, int peer, size_t expect_n, hdr *h, int hdr_only)
{
    conn *c = &t->c[peer];
    const char *me = pname(t->base.self), *pn = pname(peer);
    int64_t start = mono_ns();
    size_t tl = tag_bytes(c);
    c->expect = !hdr_only && expect_n != SIZE_MAX && expect_n <= MAX_FRAME ? NET_TCP_HDR_BYTES + expect_n + tl : 0;
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
                            "%s: protocol desync or tampering: %s expects a %zu-byte message from %s, the next one "
                            "announces %llu bytes (do all parties run the same build and options?)",
                            me, me, expect_n, pn, (unsigned long long)h->len);
            if (h->type == NET_TCP_BYE && h->len != 0)
                return fail(t, NET_EPROTO, "%s: malformed goodbye from %s (announces %llu bytes)", me, pn,
                            (unsigned long long)h->len);
            if (h->len > MAX_FRAME) return fail(t, NET_EPROTO, "%s: absurd frame length %llu from %s", me, (unsigned long long)h->len, pn);
            if ((hdr_only && h->type == NET_TCP_DATA) || avail - NET_TCP_HDR_BYTES >= h->len + tl) {
                c->expect = 0;
                return NET_OK;
            }
        }
        if (c->eof) {
            if (avail == 0) {
                if (c->rd_errno)
                    return fail(t, NET_ECLOSED, "%s: %s closed the connection without a goodbye (it died or failed: %s)", me, pn,
                                strerror(c->rd_errno));
                return fail(t, NET_ECLOSED, "%s: %s closed the connection without a goodbye (it died or failed)", me, pn);
            }
            char total[32] = "?";
            if (have_hdr) snprintf(total, sizeof total, "%llu", (unsigned long long)(h->len + NET_TCP_HDR_BYTES + tl));
            return fail(t, NET_EPROTO, "%s: truncated message from %s: the connection %s%s%s after %zu of %s bytes (%s died mid-message?)",
                        me, pn, c->rd_errno ? "failed (" : "closed", c->rd_errno ? strerror(c->rd_errno) : "",
                        c->rd_errno ? ")" : "", avail, total, pn);
        }
        int64_t now = mono_ns(), since = c->last_rx > start ? c->last_rx : start;
        int64_t limit = avail ? t->o.stall_timeout_ns : t->o.io_timeout_ns;
        if (now - since >= limit) {
            if (avail) {
                char total[32] = "?";
                if (have_hdr) snprintf(total, sizeof total, "%llu", (unsigned long long)(h->len + NET_TCP_HDR_BYTES + tl));
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

/* The rest of a large sealed DATA frame whose header (checked: h->len == n) heads c's input: the
 * payload goes straight into buf (the kernel's copy is the only one), decrypted in place piece by
 * piece as it arrives (while those bytes are still in cache), the tag checked at the end. On any
 * failure buf is wiped: no unauthenticated plaintext is left. */
static int recv_direct(net_tcp *t, int peer, const hdr *h, uint8_t *buf, size_t n)
{
    conn *c = &t->c[peer];
    const char *me = pname(t->base.self), *pn = pname(peer);
    const uint8_t *f = c->ib + c->ib_off;
    size_t have = c->ib_len - c->ib_off - NET_TCP_HDR_BYTES;
    size_t p = have < n ? have : n, tg = have - p < NET_TCP_TAG_BYTES ? have - p : NET_TCP_TAG_BYTES;
    net_aead_begin(c->rx, c->n_rx, f, NET_TCP_HDR_BYTES);
    net_aead_update(c->rx, f + NET_TCP_HDR_BYTES, buf, p); /* what already came: decrypted on the way out */
    memcpy(c->dtag, f + NET_TCP_HDR_BYTES + p, tg);
    consume(c, NET_TCP_HDR_BYTES + p + tg);
    c->di = buf, c->di_n = n, c->di_got = p, c->di_dec = p, c->dt_got = tg;
    int64_t start = mono_ns();
    int rc = NET_OK;
    for (;;) {
        if (c->di_got > c->di_dec) {
            net_aead_update(c->rx, buf + c->di_dec, buf + c->di_dec, c->di_got - c->di_dec);
            c->di_dec = c->di_got;
        }
        if (c->di_got == n && c->dt_got == NET_TCP_TAG_BYTES) break;
        size_t got = NET_TCP_HDR_BYTES + c->di_got + c->dt_got, whole = NET_TCP_HDR_BYTES + n + NET_TCP_TAG_BYTES;
        if (c->eof) {
            rc = fail(t, NET_EPROTO, "%s: truncated message from %s: the connection %s%s%s after %zu of %zu bytes (%s died mid-message?)",
                      me, pn, c->rd_errno ? "failed (" : "closed", c->rd_errno ? strerror(c->rd_errno) : "",
                      c->rd_errno ? ")" : "", got, whole, pn);
            break;
        }
        int64_t now = mono_ns(), since = c->last_rx > start ? c->last_rx : start;
        if (now - since >= t->o.stall_timeout_ns) {
            rc = fail(t, NET_ETIMEOUT, "%s: message from %s stalled: %zu of %zu bytes, then nothing for %.1f s (%s hung mid-message, or the network is down)",
                      me, pn, got, whole, secs(t->o.stall_timeout_ns), pn);
            break;
        }
        progress(t, since + t->o.stall_timeout_ns);
    }
    c->di = NULL;
    if (rc == NET_OK && net_aead_open_final(c->rx, c->dtag) != 0)
        rc = fail(t, NET_EPROTO,
                  "%s: a message from %s failed authentication (frame %llu, %llu bytes): it was altered in transit "
                  "(tampering or corruption), replayed or forged; refusing to continue",
                  me, pn, (unsigned long long)c->n_rx, (unsigned long long)h->len);
    if (rc != NET_OK) {
        sodium_memzero(buf, n);
        return rc;
    }
    c->n_rx++;
    return NET_OK;
}

/* Verifies and decrypts the complete frame at the head of c's input, whose header h was checked by
 * wait_frame: into out (h->len bytes), or in the input buffer if out is NULL. Plaintext
 * connections: copies into out. */
static int open_frame(net_tcp *t, int peer, const hdr *h, void *out)
{
    conn *c = &t->c[peer];
    uint8_t *f = c->ib + c->ib_off, *pl = f + NET_TCP_HDR_BYTES;
    if (!c->sec) {
        if (out && h->len) memcpy(out, pl, (size_t)h->len);
        return NET_OK;
    }
    if (net_aead_open(c->rx, c->n_rx, f, NET_TCP_HDR_BYTES, pl, out ? out : pl, (size_t)h->len, pl + h->len) != 0)
        return fail(t, NET_EPROTO,
                    "%s: a message from %s failed authentication (frame %llu, %llu bytes): it was altered in transit "
                    "(tampering or corruption), replayed or forged; refusing to continue",
                    pname(t->base.self), pname(peer), (unsigned long long)c->n_rx, (unsigned long long)h->len);
    c->n_rx++;
    return NET_OK;
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
    conn *c = &t->c[peer];
    size_t whole = NET_TCP_HDR_BYTES + n + tag_bytes(c), start = c->ob_len;
    ob_frame(c, NET_TCP_DATA, buf, n, 0, NULL);
    c->ob_len = start + NET_TCP_HDR_BYTES + n / 2; /* the header and half the payload */
    (void)flush_all(t);
    fprintf(stderr, "fault injection: %s sent %zu of %zu bytes of its message %llu (to %s), then %s\n", me,
            n / 2 + NET_TCP_HDR_BYTES, whole, (unsigned long long)t->frames_sent + 1, pname(peer),
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
    if (t->o.tap) t->o.tap(t->o.tap_ud, p->self, peer, 0, buf, n);
    if (pending(c) + NET_TCP_HDR_BYTES + n + tag_bytes(c) <= OBUF_LIMIT) { /* small: coalesce, goes out at the next flush */
        ob_frame(c, NET_TCP_DATA, buf, n, meta->label, meta->cp);
        return NET_OK;
    }
    /* Large: queued bytes, header and payload leave together: straight from the caller's buffer, or
     * sealed into eb (the caller's buffer is never written). */
    size_t ho = ob_append(c, NULL, NET_TCP_HDR_BYTES);
    net_tcp_frame_header(c->ob + ho, NET_TCP_DATA, n, meta->label, meta->cp);
    if (c->sec) { /* sealed a SEAL_CHUNK at a time as the kernel takes it (do_write) */
        reserve(&c->eb, &c->eb_cap, 0, SEAL_CHUNK + NET_TCP_TAG_BYTES);
        net_aead_begin(c->tx, c->n_tx++, c->ob + ho, NET_TCP_HDR_BYTES);
        c->sp = buf;
        c->s_zero = buf == NULL;
        c->s_left = n;
        c->s_tag = 1;
        c->eb_off = c->eb_len = 0;
    } else {
        c->dp = buf;
        c->d_zero = buf == NULL;
        c->d_len = n;
    }
    int rc = flush_all(t);
    c->dp = c->sp = NULL; /* on failure the connection is dead anyway: never keep the caller's pointer */
    c->d_len = c->s_left = 0;
    c->s_tag = 0;
    c->eb_off = c->eb_len = 0;
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
    int direct = c->sec && buf && n >= DIRECT_MIN;
    rc = wait_frame(t, peer, n, &h, direct);
    if (rc != NET_OK) return rc;
    int data = h.type != NET_TCP_BYE;
    if (data && direct) {
        rc = recv_direct(t, peer, &h, buf, n);
        if (rc != NET_OK) return rc;
        if (t->o.tap) t->o.tap(t->o.tap_ud, p->self, peer, 1, buf, n);
        memset(info, 0, sizeof *info);
        info->label = h.label;
        memcpy(info->cp, h.cp, sizeof info->cp);
        info->t_send = info->t_depart = info->t_arrive = mono_ns() - t->t0;
        return NET_OK;
    }
    rc = open_frame(t, peer, &h, data && n ? buf : NULL); /* straight into the caller's buffer */
    if (rc != NET_OK) return rc;
    size_t tl = tag_bytes(c);
    if (!data) {
        consume(c, NET_TCP_HDR_BYTES + tl);
        c->bye_in = 1;
        return NET_ECLOSED; /* clean: not an error */
    }
    if (t->o.tap) t->o.tap(t->o.tap_ud, p->self, peer, 1, buf, n);
    consume(c, NET_TCP_HDR_BYTES + n + tl);
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
    free(c->eb);
    c->ob = c->ib = c->eb = NULL;
    net_aead_free(c->tx);
    net_aead_free(c->rx);
    c->tx = c->rx = NULL;
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
        conn *c = &t->c[i];
        c->fd = fd[i];
        if (o->psk) { /* per direction: BLAKE2b_psk("mpcsim-psk" || from || to) */
            uint8_t in[12] = "mpcsim-psk", k[32];
            c->sec = 1;
            in[10] = (uint8_t)o->self, in[11] = (uint8_t)i;
            crypto_generichash(k, 32, in, sizeof in, o->psk, 32);
            c->tx = net_aead_new(k, 1);
            in[10] = (uint8_t)i, in[11] = (uint8_t)o->self;
            crypto_generichash(k, 32, in, sizeof in, o->psk, 32);
            c->rx = net_aead_new(k, 0);
            sodium_memzero(k, sizeof k);
        }
        conn_ready(c);
    }
    *out = t;
    return NET_OK;
}

void net_tcp_reserve_input(net_tcp *t, int peer, size_t bytes)
{
    CHECK(peer >= 0 && peer < NET_MAX_PARTIES, "peer %d", peer);
    conn *c = &t->c[peer];
    if (c->fd < 0 || bytes == 0) return;
    size_t frame = NET_TCP_HDR_BYTES + bytes + NET_TCP_TAG_BYTES;
    reserve(&c->ib, &c->ib_cap, c->ib_len, 2 * frame + READ_CHUNK);
    for (size_t i = c->ib_len; i < c->ib_cap; i += 4096) ((volatile uint8_t *)c->ib)[i] = 0;
}

int net_tcp_send_bye(net_tcp *t, int peer)
{
    conn *c = &t->c[peer];
    if (c->fd < 0 || c->bye_out) return NET_OK;
    ob_frame(c, NET_TCP_BYE, NULL, 0, 0, NULL);
    c->bye_out = 1;
    return flush_all(t);
}

int net_tcp_finish(net_tcp *t)
{
    const char *me = pname(t->base.self);
    for (int i = 0; i < t->base.nparties; i++) {
        conn *c = &t->c[i];
        if (c->fd < 0 || c->bye_out) continue;
        ob_frame(c, NET_TCP_BYE, NULL, 0, 0, NULL);
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
                if (h.type != NET_TCP_BYE || h.len != 0)
                    return fail(t, NET_EPROTO, "%s: protocol desync: an unread %llu-byte message from %s at the end", me,
                                (unsigned long long)h.len, pname(i));
                if (c->ib_len - c->ib_off < NET_TCP_HDR_BYTES + tag_bytes(c)) break; /* the tag is still on its way */
                int rc2 = open_frame(t, i, &h, NULL);
                if (rc2 != NET_OK) return rc2;
                consume(c, NET_TCP_HDR_BYTES + tag_bytes(c));
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

static int mismatch(net_tcp *t, int peer, const char *theirs)
{
    const char *me = pname(t->base.self);
    const char *mine = t->o.desc ? t->o.desc : "";
    char diff[512];
    desc_diff(diff, sizeof diff, theirs, mine, pname(peer), me);
    return note(t, NET_EPROTO,
                "%s: configuration mismatch with %s, refusing to run: %s\n  %-2s runs: %s\n  %-2s runs: %s\n"
                "  Start every party with the same op, shape, seed, mode and protocol options.",
                me, pname(peer), *diff ? diff : "the descriptions agree: the builds differ in configuration fields",
                pname(peer), theirs, me, mine);
}

static int same_hash(const net_tcp *t, const uint8_t *h, size_t hl)
{
    return hl == t->o.hash_len && (hl == 0 || memcmp(h, t->o.hash, hl) == 0);
}

static size_t my_payload(const net_tcp *t, uint32_t status, uint8_t *out)
{
    return net_hs_payload_encode(out, status, t->o.hash, t->o.hash_len, t->o.desc ? t->o.desc : "");
}

static void conn_keys(conn *c, const net_hs *hs)
{
    c->sec = 1;
    c->tx = net_aead_new(hs->k_send, 1);
    c->rx = net_aead_new(hs->k_recv, 0);
    c->n_tx = c->n_rx = 0;
}

/* The sealed, empty CONFIRM frame (header and tag) with counter 0. */
static void confirm_frame(uint8_t out[NET_TCP_HDR_BYTES + NET_TCP_TAG_BYTES], const uint8_t key[32])
{
    net_tcp_frame_header(out, NET_TCP_CONFIRM, 0, 0, NULL);
    net_frame_seal(key, 0, out, out + NET_TCP_HDR_BYTES, 0, out + NET_TCP_HDR_BYTES);
}

static int confirm_ok(const uint8_t f[NET_TCP_HDR_BYTES + NET_TCP_TAG_BYTES], const uint8_t key[32])
{
    hdr h;
    hdr_decode(f, &h);
    return h.magic == NET_TCP_MAGIC && h.type == NET_TCP_CONFIRM && h.len == 0 &&
           net_frame_open(key, 0, f, (uint8_t *)f + NET_TCP_HDR_BYTES, 0, f + NET_TCP_HDR_BYTES) == 0;
}

static void key_text(const net_tcp *t, char out[NET_KEY_TEXT]) { net_key_format(out, t->o.key->pk); }

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
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0) {
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
static int peer_gone(const net_tcp *t)
{
    for (int i = 0; i < t->base.nparties; i++) {
        if (t->c[i].fd < 0) continue;
        char b;
        ssize_t r = recv(t->c[i].fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return i;
    }
    return -1;
}

static int gone_note(net_tcp *t, int i)
{
    return note(t, NET_ECLOSED, "%s: %s closed its connection during setup (it failed: see its message)",
                pname(t->base.self), pname(i));
}

static int setup_peer_gone(net_tcp *t)
{
    int i = peer_gone(t);
    return i < 0 ? NET_OK : gone_note(t, i);
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
    /* Handshake, initiator side (net_tcp_sec.h). */
    net_hs hs;
    net_hs_init(&hs, 1, (uint32_t)t->base.self, (uint32_t)j, t->o.key, t->o.peer_key[j]);
    uint8_t pl[NET_HS_MAX_PAYLOAD], msg[NET_HS_MAX_MSG];
    size_t pln = my_payload(t, NET_HS_OK, pl);
    size_t mn = net_hs_write(&hs, pl, pln, msg);
    net_hs_hdr hh;
    uint32_t status = 0;
    uint8_t th[NET_TCP_MAX_HASH];
    size_t thl = 0;
    char theirs[NET_TCP_MAX_DESC + 1];
    int r = fd_write_all(fd, msg, mn, deadline);
    if (r == 0) r = fd_read_exact(fd, msg, NET_HS_FIXED, deadline);
    int pf = r == 0 ? net_hs_parse_fixed(msg, NET_HS_FIXED, &hh) : 0;
    if (pf == -2) r = -6;
    else if (pf != 0) r = -4;
    if (r == 0) r = fd_read_exact(fd, msg + NET_HS_FIXED, hh.ct_len, deadline);
    if (r == 0 && net_hs_read(&hs, msg, NET_HS_FIXED + hh.ct_len, pl, &pln) != 0) r = -5;
    if (r == 0 && net_hs_payload_decode(pl, pln, &status, th, &thl, theirs) != 0) r = -4;
    if (r != 0) {
        int er = errno;
        char kt[NET_KEY_TEXT];
        key_text(t, kt);
        close(fd);
        net_hs_wipe(&hs);
        if (r == -2) return note(t, NET_ETIMEOUT, "%s: %s at %s did not answer the handshake in time", me, pn, addr);
        if (r == -3 || (r == -1 && (er == ECONNRESET || er == EPIPE)))
            return note(t, NET_ECLOSED,
                        "%s: %s at %s closed the connection during the handshake: it did not accept us (is our public "
                        "key %s its key for %s? are --role and --peers right? does it run this mpcsim version, "
                        "handshake version %d?), or it failed (see its message)",
                        me, pn, addr, kt, me, NET_HS_VERSION);
        if (r == -4) return note(t, NET_EPROTO, "%s: %s at %s is not an mpcsim party of this version (malformed handshake)", me, pn, addr);
        if (r == -6)
            return note(t, NET_EPROTO,
                        "%s: %s at %s speaks handshake version %u, we speak version %u (%s): run the same mpcsim "
                        "version on every host; refused",
                        me, pn, addr, hh.version, NET_HS_VERSION, NET_TCP_CIPHER);
        if (r == -5)
            return note(t, NET_EPROTO,
                        "%s: the party at %s failed to prove it is %s: it does not hold the private key of the public "
                        "key we have for %s (wrong key given for %s, or a stranger at that address); refused",
                        me, addr, pn, pn, pn);
        return note(t, NET_EIO, "%s: handshake with %s at %s failed: %s", me, pn, addr, strerror(er));
    }
    uint8_t cf[NET_TCP_HDR_BYTES + NET_TCP_TAG_BYTES];
    confirm_frame(cf, hs.k_send);
    if (status != NET_HS_OK || !same_hash(t, th, thl)) {
        /* The CONFIRM proves to the responder that this is a live peer, not a replayed msg1: only
         * then does it give up on the configuration mismatch too. */
        (void)fd_write_all(fd, cf, sizeof cf, deadline);
        close(fd);
        net_hs_wipe(&hs);
        return mismatch(t, j, theirs);
    }
    if (fd_write_all(fd, cf, sizeof cf, deadline) != 0) {
        int er = errno;
        close(fd);
        net_hs_wipe(&hs);
        return note(t, NET_ECLOSED, "%s: %s at %s closed the connection at the end of the handshake: %s", me, pn, addr,
                    strerror(er));
    }
    conn *c = &t->c[j];
    c->fd = fd;
    conn_keys(c, &hs);
    c->n_tx = 1; /* the CONFIRM used counter 0 */
    net_hs_wipe(&hs);
    conn_ready(c);
    return NET_OK;
}

/* ---- the acceptor: every pending handshake at once, one deadline ---- */

typedef struct pend {
    int fd, stage, from; /* stage 0: reading msg1; 1: reading the CONFIRM frame */
    size_t got, need;
    uint8_t buf[NET_HS_MAX_MSG];
    net_hs hs;
    char who[64];
    int mismatch;                       /* an authenticated msg1 with another configuration */
    char theirs[NET_TCP_MAX_DESC + 1];  /* its description */
} pend;

static void peer_addr(int fd, char *out, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
            port = ntohs(a->sin6_port);
        }
    }
    snprintf(out, n, "%s:%d", host, port);
}

/* Closes a pending connection WITHOUT a reply; says why on our stderr (the first 20 times). */
static void pend_drop(net_tcp *t, pend *p, int *ndrop, const char *why)
{
    if (++*ndrop <= 20)
        fprintf(stderr, "warning: %s: dropped a connection from %s without reply: %s%s\n", pname(t->base.self), p->who, why,
                *ndrop == 20 ? " (further drops not shown)" : "");
    close(p->fd);
    net_hs_wipe(&p->hs);
    p->fd = -1;
}

/* Advances one pending handshake whose buffer just filled. 1 = committed to a slot, 0 = continue,
 * -1 = dropped, or a NET_* error (< -1) for the whole setup (configuration mismatch). */
static int pend_step(net_tcp *t, pend *p, int *ndrop, int64_t deadline)
{
    int self = t->base.self, n = t->base.nparties;
    char why[200];
    if (p->stage == 0 && p->need == NET_HS_FIXED) {
        net_hs_hdr hh;
        int pf = net_hs_parse_fixed(p->buf, p->got, &hh);
        if (pf == -2) {
            snprintf(why, sizeof why,
                     "it speaks mpcsim handshake version %u%s, we speak version %d (%s): another mpcsim version",
                     hh.version, hh.version == 2 ? " (XChaCha20-Poly1305 frames)" : "", NET_HS_VERSION, NET_TCP_CIPHER);
            pend_drop(t, p, ndrop, why);
            return -1;
        }
        if (pf != 0) {
            pend_drop(t, p, ndrop, "not an mpcsim handshake of this version");
            return -1;
        }
        if (hh.to != (uint32_t)self || hh.from <= (uint32_t)self || hh.from >= (uint32_t)n) {
            snprintf(why, sizeof why, "it claims to be party %u and addresses party %u (we are %s and expect %s)", hh.from,
                     hh.to, pname(self), self == NET_P0 ? "P1 or D" : "D");
            pend_drop(t, p, ndrop, why);
            return -1;
        }
        p->from = (int)hh.from;
        p->need = NET_HS_FIXED + hh.ct_len;
        return 0;
    }
    if (p->stage == 0) {
        uint8_t pl[NET_HS_MAX_PAYLOAD], th[NET_TCP_MAX_HASH];
        size_t pln = 0, thl = 0;
        uint32_t status = 0;
        char theirs[NET_TCP_MAX_DESC + 1];
        net_hs_init(&p->hs, 0, (uint32_t)p->from, (uint32_t)self, t->o.key, t->o.peer_key[p->from]);
        if (net_hs_read(&p->hs, p->buf, p->got, pl, &pln) != 0) {
            snprintf(why, sizeof why, "it claims to be %s but does not hold %s's key (a stranger, or a wrong key)",
                     pname(p->from), pname(p->from));
            pend_drop(t, p, ndrop, why);
            return -1;
        }
        if (net_hs_payload_decode(pl, pln, &status, th, &thl, theirs) != 0 || status != NET_HS_OK) {
            pend_drop(t, p, ndrop, "malformed handshake payload");
            return -1;
        }
        int same = same_hash(t, th, thl);
        pln = my_payload(t, same ? NET_HS_OK : NET_HS_MISMATCH, pl);
        size_t mn = net_hs_write(&p->hs, pl, pln, p->buf);
        /* 64 ms at most: a fresh connection's send buffer takes ~1 KiB at once. */
        int64_t wd = mono_ns() + 64000000;
        int wr = fd_write_all(p->fd, p->buf, mn, wd < deadline ? wd : deadline);
        if (!same) { /* another configuration: refuse the run once its CONFIRM shows it is live */
            p->mismatch = 1;
            snprintf(p->theirs, sizeof p->theirs, "%s", theirs);
        }
        if (wr != 0) {
            pend_drop(t, p, ndrop, "could not answer its handshake");
            return -1;
        }
        p->stage = 1;
        p->got = 0;
        p->need = NET_TCP_HDR_BYTES + NET_TCP_TAG_BYTES;
        return 0;
    }
    if (!confirm_ok(p->buf, p->hs.k_recv)) {
        pend_drop(t, p, ndrop, "its handshake confirmation did not verify (a replayed handshake?)");
        return -1;
    }
    if (p->mismatch) { /* a live, authenticated peer with another configuration: both sides refuse */
        close(p->fd);
        p->fd = -1;
        net_hs_wipe(&p->hs);
        return mismatch(t, p->from, p->theirs);
    }
    conn *c = &t->c[p->from];
    if (c->fd >= 0) {
        snprintf(why, sizeof why, "%s is already connected", pname(p->from));
        pend_drop(t, p, ndrop, why);
        return -1;
    }
    c->fd = p->fd;
    conn_keys(c, &p->hs);
    c->n_rx = 1; /* the CONFIRM used counter 0 */
    conn_ready(c);
    net_hs_wipe(&p->hs);
    p->fd = -1;
    return 1;
}

static int accept_peers(net_tcp *t, int lfd, int64_t deadline)
{
    const char *me = pname(t->base.self);
    int n = t->base.nparties, self = t->base.self, ndrop = 0, rc = NET_OK;
    pend *pd = chk_calloc(NET_TCP_MAX_PENDING, sizeof *pd);
    int64_t born[NET_TCP_MAX_PENDING];
    for (int k = 0; k < NET_TCP_MAX_PENDING; k++) pd[k].fd = -1;
    /* A connected peer that closed is reported only after one more pass over the pending
     * handshakes: when a third party's configuration differs, its CONFIRM (the cause) is already
     * here when the peer that refused it too goes (the effect), and the cause is the better message. */
    int gone = -1;
    for (;;) {
        int missing = 0;
        char names[32] = "";
        for (int j = self + 1; j < n; j++)
            if (t->c[j].fd < 0) {
                missing++;
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", *names ? ", " : "", pname(j));
            }
        if (!missing) break;
        if (gone >= 0) {
            rc = gone_note(t, gone);
            break;
        }
        gone = peer_gone(t);
        int64_t now = mono_ns();
        if (gone < 0 && now >= deadline) {
            rc = note(t, NET_ETIMEOUT, "%s: waited %.1f s for %s to connect to %s%s", me, secs(t->o.connect_timeout_ns),
                      names, t->o.listen ? t->o.listen : t->o.addr[self],
                      ndrop ? " (connections that did not authenticate were dropped: see the warnings)" : "");
            break;
        }
        struct pollfd pf[NET_TCP_MAX_PENDING + 1];
        int who[NET_TCP_MAX_PENDING + 1], np = 0;
        pf[np] = (struct pollfd){.fd = lfd, .events = POLLIN};
        who[np++] = -1;
        for (int k = 0; k < NET_TCP_MAX_PENDING; k++)
            if (pd[k].fd >= 0) {
                pf[np] = (struct pollfd){.fd = pd[k].fd, .events = POLLIN};
                who[np++] = k;
            }
        int64_t slice = now + 100000000, until = slice < deadline ? slice : deadline;
        int pr = poll(pf, (nfds_t)np, gone >= 0 ? 0 : (int)((until - now + 999999) / 1000000));
        if (pr < 0 && errno != EINTR) {
            rc = note(t, NET_EIO, "%s: poll during setup: %s", me, strerror(errno));
            break;
        }
        if (pr <= 0) continue;
        for (int q = 1; q < np && rc == NET_OK; q++) {
            if (!(pf[q].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            pend *p = &pd[who[q]];
            while (p->fd >= 0) {
                ssize_t got = read(p->fd, p->buf + p->got, p->need - p->got); /* never past this message */
                if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
                    pend_drop(t, p, &ndrop, got == 0 ? "it closed before completing a handshake" : strerror(errno));
                    break;
                }
                if (got < 0) {
                    if (errno == EINTR) continue;
                    break;
                }
                p->got += (size_t)got;
                if (p->got < p->need) continue;
                int s = pend_step(t, p, &ndrop, deadline);
                if (s < -1) rc = s;
                if (s != 0) break;
            }
        }
        if (rc != NET_OK) break;
        if (pf[0].revents & POLLIN) {
            for (;;) {
                int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                    if (errno == EINTR || errno == ECONNABORTED) continue;
                    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                    rc = note(t, NET_EIO, "%s: accept: %s", me, strerror(errno));
                    break;
                }
                if (setup_socket(t, fd) != NET_OK) {
                    close(fd);
                    continue;
                }
                int slot = -1, oldest = 0;
                for (int k = 0; k < NET_TCP_MAX_PENDING; k++) {
                    if (pd[k].fd < 0) {
                        slot = k;
                        break;
                    }
                    if (born[k] < born[oldest]) oldest = k;
                }
                if (slot < 0) {
                    pend_drop(t, &pd[oldest], &ndrop, "too many unauthenticated connections at once: the oldest goes");
                    slot = oldest;
                }
                pend *p = &pd[slot];
                memset(p, 0, sizeof *p);
                p->fd = fd;
                p->need = NET_HS_FIXED;
                born[slot] = mono_ns();
                peer_addr(fd, p->who, sizeof p->who);
            }
        }
        if (rc != NET_OK) break;
    }
    for (int k = 0; k < NET_TCP_MAX_PENDING; k++)
        if (pd[k].fd >= 0) {
            close(pd[k].fd);
            net_hs_wipe(&pd[k].hs);
        }
    free(pd);
    return rc;
}

int net_tcp_connect(net_tcp **out, const net_tcp_opts *o, char *err, size_t errlen)
{
    CHECK(o->key != NULL, "net_tcp_connect needs this party's key pair");
    for (int i = 0; i < o->nparties; i++)
        CHECK(i == o->self || o->peer_key[i] != NULL, "net_tcp_connect needs %s's public key", pname(i));
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

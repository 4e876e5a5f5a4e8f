/* relay_core.c -- the delay queue of the relay. See relay_core.h. */
#define _GNU_SOURCE
#include "relay_core.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

const char *relay_strerror(int code)
{
    switch (code) {
    case RELAY_OK: return "success";
    case RELAY_EINVAL:
        return "bad argument (delay < 0, queue size, rate or byte limit out of range, a byte limit without a "
               "rate, in == out, or lateness buffer)";
    case RELAY_EBADF: return "descriptor is not open";
    case RELAY_ENOTSOCK: return "descriptor is not a socket";
    case RELAY_ESTREAM: return "socket is a byte stream (needs datagram, seqpacket or packet sockets)";
    case RELAY_ENOMEM: return "out of memory for the queue";
    case RELAY_EIO: return "poll failed";
    default: return "unknown error";
    }
}

int64_t relay_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int check_fd(int fd)
{
    if (fd < 0 || fcntl(fd, F_GETFD) < 0) return RELAY_EBADF;
    int type;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return RELAY_ENOTSOCK;
    return type == SOCK_STREAM ? RELAY_ESTREAM : RELAY_OK;
}

int relay_dir_init(relay_dir *d, const relay_opts *o)
{
    memset(d, 0, sizeof *d);
    if (o->delay_ns < 0 || o->slots == 0 || o->slots > RELAY_SLOTS_MAX || o->in == o->out ||
        (o->limit_bytes && !o->bps) || o->limit_bytes > RELAY_LIMIT_MAX || o->bps > RELAY_BPS_MAX ||
        (o->late_cap > 0 && !o->late_ns))
        return RELAY_EINVAL;
    int rc = check_fd(o->in);
    if (rc == RELAY_OK) rc = check_fd(o->out);
    if (rc != RELAY_OK) return rc;
    d->q = malloc(o->slots * sizeof *d->q);
    if (!d->q) return RELAY_ENOMEM;
    d->o = *o;
    return RELAY_OK;
}

void relay_dir_free(relay_dir *d)
{
    free(d->q);
    d->q = NULL;
}

size_t relay_dir_queued(const relay_dir *d) { return (size_t)(d->tail - d->head); }

static relay_frame *slot(const relay_dir *d, uint64_t i) { return &d->q[i % d->o.slots]; }

/* Serialization time of `len` bytes at `bps`, rounded up to a whole ns (as nm_tx_time). */
static int64_t tx_ns(uint64_t len, uint64_t bps) { return (int64_t)((len * 8000000000ull + bps - 1) / bps); }

size_t relay_dir_take(relay_dir *d)
{
    struct mmsghdr mm[RELAY_BATCH];
    struct iovec iov[RELAY_BATCH];
    struct sockaddr_storage from[RELAY_BATCH];
    size_t queued = 0;
    for (;;) {
        uint64_t room = d->o.slots - relay_dir_queued(d);
        unsigned k = room < RELAY_BATCH ? (unsigned)room : RELAY_BATCH;
        if (k == 0) { /* queue full: drop what waits (a datagram read into 1 byte is discarded whole) */
            uint8_t sink;
            ssize_t r = recv(d->o.in, &sink, 1, MSG_DONTWAIT);
            if (r <= 0) return queued; /* nothing waits, or the peer closed */
            d->dropped++;
            continue;
        }
        for (unsigned i = 0; i < k; i++) {
            iov[i] = (struct iovec){.iov_base = slot(d, d->tail + i)->b, .iov_len = RELAY_FRAME_MAX};
            memset(&mm[i], 0, sizeof mm[i]);
            mm[i].msg_hdr.msg_name = &from[i];
            mm[i].msg_hdr.msg_namelen = sizeof from[i];
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(d->o.in, mm, k, MSG_DONTWAIT, NULL);
        if (n <= 0) return queued;
        int64_t now = relay_now_ns();
        int empty = 0;
        for (int i = 0; i < n; i++) {
            relay_frame *fr = slot(d, d->tail);
            /* frames that are skipped leave their slot to the next one: move it down */
            if (fr->b != iov[i].iov_base) memmove(fr->b, iov[i].iov_base, mm[i].msg_len);
            if (mm[i].msg_len == 0) { /* end of stream on a seqpacket socket: the rest are empty too */
                empty = 1;
                break;
            }
            if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
                d->oversize++;
                continue;
            }
            if (d->o.filter && !d->o.filter(d->o.filter_ud, (const struct sockaddr *)&from[i],
                                            mm[i].msg_hdr.msg_namelen, fr->b, mm[i].msg_len))
                continue;
            fr->len = mm[i].msg_len;
            fr->due = now + d->o.delay_ns;
            if (d->o.bps) {
                int64_t end = (d->busy > now ? d->busy : now) + tx_ns(fr->len, d->o.bps);
                /* tail drop: the bytes waiting, this frame's included, must fit limit_bytes */
                if (d->o.limit_bytes && end - now > tx_ns(d->o.limit_bytes, d->o.bps)) {
                    d->dropped++;
                    continue;
                }
                d->busy = end;
                fr->due = d->busy + d->o.delay_ns;
            }
            d->frames++;
            d->bytes += fr->len;
            d->tail++;
            queued++;
        }
        if (empty || (unsigned)n < k) return queued;
    }
}

size_t relay_dir_release(relay_dir *d, int64_t t, const atomic_int *stop)
{
    struct mmsghdr mm[RELAY_BATCH];
    struct iovec iov[RELAY_BATCH];
    size_t sent = 0;
    while (d->head != d->tail && slot(d, d->head)->due <= t) {
        unsigned k = 0;
        while (k < RELAY_BATCH && d->head + k != d->tail && slot(d, d->head + k)->due <= t) {
            relay_frame *fr = slot(d, d->head + k);
            iov[k] = (struct iovec){.iov_base = fr->b, .iov_len = fr->len};
            memset(&mm[k], 0, sizeof mm[k]);
            mm[k].msg_hdr.msg_name = (void *)d->o.to;
            mm[k].msg_hdr.msg_namelen = d->o.to ? d->o.tolen : 0;
            mm[k].msg_hdr.msg_iov = &iov[k];
            mm[k].msg_hdr.msg_iovlen = 1;
            k++;
        }
        int w = sendmmsg(d->o.out, mm, k, MSG_NOSIGNAL);
        if (w > 0) {
            int64_t now = relay_now_ns();
            for (int i = 0; i < w && d->nlate < d->o.late_cap; i++)
                d->o.late_ns[d->nlate++] = now - slot(d, d->head + (unsigned)i)->due;
            d->head += (unsigned)w;
            sent += (unsigned)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == ENOBUFS || errno == EAGAIN)) { /* qdisc or buffer full for a moment */
            if (stop && atomic_load(stop)) return sent;
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
            continue;
        }
        d->send_err++; /* drop the frame that failed */
        d->head++;
    }
    return sent;
}

int relay_dir_run(relay_dir *d, const atomic_int *stop)
{
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* wake-ups on time, not up to 50 us late */
    while (!atomic_load(stop)) {
        int64_t t = relay_now_ns();
        relay_dir_release(d, t, stop);
        int queued = d->head != d->tail;
        if (d->eof && !queued) return RELAY_OK;
        int64_t sleep = 100000000; /* nothing queued: wake up now and then to see *stop */
        if (queued) {
            int64_t wait = slot(d, d->head)->due - t;
            sleep = wait <= RELAY_SPIN_NS ? 0 : wait - RELAY_SPIN_NS;
        }
        struct pollfd pf = {.fd = d->eof ? -1 : d->o.in, .events = POLLIN};
        struct timespec ts = {.tv_sec = sleep / 1000000000, .tv_nsec = sleep % 1000000000};
        int r = ppoll(&pf, 1, &ts, NULL);
        if (r < 0 && errno != EINTR) return RELAY_EIO;
        if (r > 0 && (pf.revents & POLLNVAL)) return RELAY_EIO;
        if (r > 0 && (pf.revents & (POLLIN | POLLHUP | POLLERR))) {
            size_t got = relay_dir_take(d);
            if ((pf.revents & POLLHUP) && got == 0) d->eof = 1; /* peer closed and nothing left */
            if ((pf.revents & POLLERR) && !(pf.revents & POLLIN)) { /* clear a pending socket error */
                int e;
                socklen_t el = sizeof e;
                (void)getsockopt(d->o.in, SOL_SOCKET, SO_ERROR, &e, &el);
            }
        } else if (queued) {
            /* spin out the last microseconds */
            int64_t due = slot(d, d->head)->due;
            while (relay_now_ns() < due && !atomic_load(stop)) {
                struct pollfd p2 = {.fd = pf.fd, .events = POLLIN};
                if (poll(&p2, 1, 0) > 0) break; /* a new frame: take it first */
            }
        }
    }
    return RELAY_OK;
}

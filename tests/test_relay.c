/* test_relay.c -- the relay's delay queue (experiments/relay/relay_core.h) without root, over
 * AF_UNIX seqpacket socketpairs standing in for the two interfaces:
 *  - frames arrive intact (length and bytes) and in order, in both directions at once;
 *  - none is released before its due time: receive time - send time >= delay for every frame, and
 *    the relay's own record of (write time - due) is never negative (correctness, not a timing
 *    bound: how LATE frames are is measured by the bench, bench/bench_relay.c);
 *  - with a rate, due times are exactly those of a store-and-forward FIFO (serialization of the
 *    whole frame, back to back within a burst, from the read time after idle), and the byte limit
 *    drops the tail;
 *  - a full queue drops and counts what does not fit, keeping the earliest frames; oversize frames
 *    are counted and not forwarded; a closed input drains the queue on time, then the loop ends;
 *  - bad arguments (negative delay, queue size, same descriptor, closed descriptor, not a socket,
 *    a byte stream) are refused with distinct codes and messages. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../experiments/relay/relay_core.h"

#define MS 1000000LL

/* Frame i: length 1 + (i * 37) % RELAY_FRAME_MAX, bytes derived from i and the direction. */
static size_t frame_len(int i) { return 1 + (size_t)(i * 37) % RELAY_FRAME_MAX; }
static void frame_fill(uint8_t *b, int i, int dir)
{
    size_t n = frame_len(i);
    for (size_t j = 0; j < n; j++) b[j] = (uint8_t)(i * 131 + (int)j * 7 + dir * 89);
    b[0] = (uint8_t)i; /* the order is visible in the first byte too */
}

static void seqpair(int sv[2])
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    int buf = 4 << 20;
    for (int i = 0; i < 2; i++) {
        (void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
        (void)setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    }
}

static relay_opts opts(int in, int out, int64_t delay, size_t slots)
{
    relay_opts o;
    memset(&o, 0, sizeof o);
    o.in = in;
    o.out = out;
    o.delay_ns = delay;
    o.slots = slots;
    return o;
}

typedef struct runner {
    relay_dir d;
    atomic_int *stop;
    int rc;
} runner;

static void *run_main(void *arg)
{
    runner *r = arg;
    r->rc = relay_dir_run(&r->d, r->stop);
    return NULL;
}

enum { N = 300 };

/* A user endpoint reading the N frames of one direction as they come (receive queues of AF_UNIX
 * sockets hold about ten datagrams, so reading must go on while the other side sends). */
typedef struct reader {
    int fd, dir;
    int64_t t_recv[N];
    size_t bad;
} reader;

static void *read_main(void *arg)
{
    reader *rd = arg;
    uint8_t want[RELAY_FRAME_MAX], got[RELAY_FRAME_MAX + 1];
    for (int i = 0; i < N; i++) {
        ssize_t n = recv(rd->fd, got, sizeof got, 0);
        rd->t_recv[i] = relay_now_ns();
        frame_fill(want, i, rd->dir);
        if (n != (ssize_t)frame_len(i) || memcmp(got, want, frame_len(i)) != 0) rd->bad++;
    }
    return NULL;
}

/* Both directions through two relays at once: user A <-> [relay a->b, relay b->a] <-> user B. */
static void both_directions(int64_t delay)
{
    int pa[2], pb[2]; /* pa: A's end, relay's A side; pb: relay's B side, B's end */
    seqpair(pa);
    seqpair(pb);
    int ua = pa[0], ra = pa[1], rb = pb[0], ub = pb[1];
    static int64_t late[2][N], t_send[2][N];
    static reader rd[2];
    atomic_int stop = 0;
    runner r[2];
    relay_opts o0 = opts(ra, rb, delay, 1024), o1 = opts(rb, ra, delay, 1024);
    o0.late_ns = late[0], o0.late_cap = N;
    o1.late_ns = late[1], o1.late_cap = N;
    cr_assert_eq(relay_dir_init(&r[0].d, &o0), RELAY_OK);
    cr_assert_eq(relay_dir_init(&r[1].d, &o1), RELAY_OK);
    pthread_t th[2], tr[2];
    for (int k = 0; k < 2; k++) {
        r[k].stop = &stop;
        cr_assert_eq(pthread_create(&th[k], NULL, run_main, &r[k]), 0);
        memset(&rd[k], 0, sizeof rd[k]);
        rd[k].fd = k ? ua : ub; /* a->b (direction 0) arrives at B */
        rd[k].dir = k;
        cr_assert_eq(pthread_create(&tr[k], NULL, read_main, &rd[k]), 0);
    }
    /* Interleaved sends in both directions; each send time taken before the send. */
    uint8_t b[RELAY_FRAME_MAX];
    for (int i = 0; i < N; i++)
        for (int dir = 0; dir < 2; dir++) {
            frame_fill(b, i, dir);
            t_send[dir][i] = relay_now_ns();
            cr_assert_eq(send(dir ? ub : ua, b, frame_len(i), 0), (ssize_t)frame_len(i));
        }
    for (int dir = 0; dir < 2; dir++) {
        pthread_join(tr[dir], NULL);
        size_t early = 0;
        for (int i = 0; i < N; i++) early += rd[dir].t_recv[i] - t_send[dir][i] < delay;
        cr_expect_eq(rd[dir].bad, 0, "delay %lld, direction %d: %zu of %d frames wrong or out of order",
                     (long long)delay, dir, rd[dir].bad, N);
        cr_expect_eq(early, 0, "delay %lld, direction %d: %zu frames arrived before send + delay", (long long)delay, dir,
                     early);
    }
    atomic_store(&stop, 1);
    uint64_t bytes = 0;
    for (int i = 0; i < N; i++) bytes += frame_len(i);
    for (int k = 0; k < 2; k++) {
        pthread_join(th[k], NULL);
        cr_expect_eq(r[k].rc, RELAY_OK);
        const relay_dir *d = &r[k].d;
        cr_expect_eq(d->frames, N);
        cr_expect_eq(d->bytes, bytes);
        cr_expect_eq(d->dropped + d->oversize + d->send_err, 0);
        cr_expect_eq(d->nlate, N, "every release recorded");
        size_t neg = 0;
        for (size_t i = 0; i < d->nlate; i++) neg += late[k][i] < 0;
        cr_expect_eq(neg, 0, "delay %lld: %zu frames written before their due time", (long long)delay, neg);
        relay_dir_free(&r[k].d);
    }
    close(ua), close(ra), close(rb), close(ub);
}

Test(relay, frames_intact_in_order_both_directions_never_early, .timeout = 60)
{
    both_directions(0);
    both_directions(300000);   /* shorter than the spin window */
    both_directions(5 * MS);   /* sleep, then spin */
}

Test(relay, full_queue_drops_the_excess_and_keeps_the_earliest)
{
    int in[2], out[2];
    seqpair(in);
    seqpair(out);
    relay_dir d;
    relay_opts o = opts(in[1], out[0], 1000 * MS, 4);
    cr_assert_eq(relay_dir_init(&d, &o), RELAY_OK);
    uint8_t b[RELAY_FRAME_MAX];
    for (int i = 0; i < 10; i++) {
        frame_fill(b, i, 0);
        cr_assert_eq(send(in[0], b, frame_len(i), 0), (ssize_t)frame_len(i));
    }
    int64_t t0 = relay_now_ns();
    cr_expect_eq(relay_dir_take(&d), 4, "the queue holds 4");
    int64_t t1 = relay_now_ns();
    cr_expect_eq(d.dropped, 6);
    cr_expect_eq(relay_dir_queued(&d), 4);
    cr_expect_eq(relay_dir_take(&d), 0, "the input was drained");
    /* Due = time of the read + delay: nothing goes before, everything at. */
    cr_expect_eq(relay_dir_release(&d, t0 + 1000 * MS - 1, NULL), 0, "released before due");
    cr_expect_eq(relay_dir_queued(&d), 4);
    cr_expect_eq(relay_dir_release(&d, t1 + 1000 * MS, NULL), 4);
    uint8_t got[RELAY_FRAME_MAX];
    for (int i = 0; i < 4; i++) {
        ssize_t n = recv(out[1], got, sizeof got, MSG_DONTWAIT);
        frame_fill(b, i, 0);
        cr_expect(n == (ssize_t)frame_len(i) && memcmp(got, b, frame_len(i)) == 0, "frame %d", i);
    }
    cr_expect_eq(recv(out[1], got, sizeof got, MSG_DONTWAIT), -1, "only 4 frames forwarded");
    relay_dir_free(&d);
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
}

static int64_t due_of(const relay_dir *d, size_t i) { return d->q[(d->head + i) % d->o.slots].due; }

Test(relay, a_rate_serializes_frames_as_a_fifo_and_the_byte_limit_drops_the_tail)
{
    int in[2], out[2];
    seqpair(in);
    seqpair(out);
    relay_dir d;
    /* 80 kbit/s: one byte per 100 us, so a frame of n bytes takes exactly n * 100 us. Slow on purpose: the
     * "while the serializer is busy" step below must come within the 180 ms busy period even when the
     * test process is descheduled on a loaded machine (at 8 Mbit/s the period was 1.8 ms and it flaked). */
    relay_opts o = opts(in[1], out[0], 5 * MS, 16);
    o.bps = 80000;
    o.limit_bytes = 2000;
    cr_assert_eq(relay_dir_init(&d, &o), RELAY_OK);
    static uint8_t b[RELAY_FRAME_MAX];
    const size_t len[] = {100, 200, 1500, 300};
    int64_t t0 = relay_now_ns();
    for (int i = 0; i < 4; i++) cr_assert_eq(send(in[0], b, len[i], 0), (ssize_t)len[i]);
    cr_expect_eq(relay_dir_take(&d), 3, "100 + 200 + 1500 bytes fit 2000; the 300 behind them do not");
    int64_t t1 = relay_now_ns();
    cr_expect_eq(d.dropped, 1);
    /* one batch, read at r in [t0, t1]: due = r + cumulative serialization + delay */
    cr_expect(due_of(&d, 0) >= t0 + 10000000 + 5 * MS && due_of(&d, 0) <= t1 + 10000000 + 5 * MS);
    cr_expect_eq(due_of(&d, 1) - due_of(&d, 0), 20000000);
    cr_expect_eq(due_of(&d, 2) - due_of(&d, 1), 150000000);
    /* while the serializer is busy, a frame that fits queues behind the last one */
    cr_assert_eq(send(in[0], b, 150, 0), 150);
    cr_expect_eq(relay_dir_take(&d), 1);
    cr_expect_eq(due_of(&d, 3) - due_of(&d, 2), 15000000, "back to back");
    /* after idle, a frame starts at its own read time */
    int64_t idle = d.busy;
    while (relay_now_ns() <= idle) {}
    int64_t t2 = relay_now_ns();
    cr_assert_eq(send(in[0], b, 40, 0), 40);
    cr_expect_eq(relay_dir_take(&d), 1);
    int64_t t3 = relay_now_ns();
    cr_expect(due_of(&d, 4) >= t2 + 4000000 + 5 * MS && due_of(&d, 4) <= t3 + 4000000 + 5 * MS);
    cr_expect_eq(relay_dir_release(&d, INT64_MAX, NULL), 5);
    relay_dir_free(&d);
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
}

Test(relay, oversize_frames_are_counted_not_forwarded)
{
    int in[2], out[2];
    seqpair(in);
    seqpair(out);
    relay_dir d;
    relay_opts o = opts(in[1], out[0], 0, 16);
    cr_assert_eq(relay_dir_init(&d, &o), RELAY_OK);
    static uint8_t big[RELAY_FRAME_MAX + 1], small[10];
    cr_assert_eq(send(in[0], big, sizeof big, 0), (ssize_t)sizeof big);
    cr_assert_eq(send(in[0], small, sizeof small, 0), (ssize_t)sizeof small);
    cr_expect_eq(relay_dir_take(&d), 1);
    cr_expect_eq(d.oversize, 1);
    cr_expect_eq(relay_dir_release(&d, INT64_MAX, NULL), 1);
    uint8_t got[RELAY_FRAME_MAX + 8];
    cr_expect_eq(recv(out[1], got, sizeof got, MSG_DONTWAIT), (ssize_t)sizeof small);
    relay_dir_free(&d);
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
}

Test(relay, closed_input_drains_on_time_then_the_loop_ends, .timeout = 30)
{
    int in[2], out[2];
    seqpair(in);
    seqpair(out);
    relay_dir d;
    relay_opts o = opts(in[1], out[0], 20 * MS, 16);
    cr_assert_eq(relay_dir_init(&d, &o), RELAY_OK);
    uint8_t b[RELAY_FRAME_MAX];
    int64_t t0 = relay_now_ns();
    for (int i = 0; i < 3; i++) {
        frame_fill(b, i, 1);
        cr_assert_eq(send(in[0], b, frame_len(i), 0), (ssize_t)frame_len(i));
    }
    close(in[0]);
    atomic_int stop = 0;
    cr_expect_eq(relay_dir_run(&d, &stop), RELAY_OK); /* returns by itself: input closed, queue empty */
    cr_expect_geq(relay_now_ns() - t0, 20 * MS, "the frames waited their delay first");
    cr_expect_eq(relay_dir_queued(&d), 0);
    uint8_t got[RELAY_FRAME_MAX];
    for (int i = 0; i < 3; i++) {
        frame_fill(b, i, 1);
        ssize_t n = recv(out[1], got, sizeof got, MSG_DONTWAIT);
        cr_expect(n == (ssize_t)frame_len(i) && memcmp(got, b, frame_len(i)) == 0, "frame %d", i);
    }
    relay_dir_free(&d);
    close(in[1]), close(out[0]), close(out[1]);
}

Test(relay, bad_arguments_are_refused_clearly)
{
    int a[2], b[2], st[2], pf[2];
    seqpair(a);
    seqpair(b);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, st), 0);
    cr_assert_eq(pipe(pf), 0);
    relay_dir d;
    struct { relay_opts o; int rc; } bad[] = {
        {opts(a[1], b[0], -1, 16), RELAY_EINVAL},
        {opts(a[1], b[0], 0, 0), RELAY_EINVAL},
        {opts(a[1], b[0], 0, (size_t)RELAY_SLOTS_MAX + 1), RELAY_EINVAL},
        {opts(a[1], a[1], 0, 16), RELAY_EINVAL},
        {opts(-1, b[0], 0, 16), RELAY_EBADF},
        {opts(a[1], 1000000, 0, 16), RELAY_EBADF},
        {opts(pf[0], b[0], 0, 16), RELAY_ENOTSOCK},
        {opts(a[1], st[0], 0, 16), RELAY_ESTREAM},
        {opts(st[1], b[0], 0, 16), RELAY_ESTREAM},
        {opts(a[1], b[0], 0, 16), RELAY_EINVAL}, /* a byte limit without a rate (set below) */
        {opts(a[1], b[0], 0, 16), RELAY_EINVAL}, /* a rate above RELAY_BPS_MAX */
        {opts(a[1], b[0], 0, 16), RELAY_EINVAL}, /* a byte limit above RELAY_LIMIT_MAX */
    };
    size_t nb = sizeof bad / sizeof *bad;
    bad[nb - 3].o.limit_bytes = 1000;
    bad[nb - 2].o.bps = RELAY_BPS_MAX + 1;
    bad[nb - 1].o.bps = 1000000, bad[nb - 1].o.limit_bytes = (uint64_t)RELAY_LIMIT_MAX + 1;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect_eq(relay_dir_init(&d, &bad[i].o), bad[i].rc, "case %zu", i);
    relay_opts o = opts(a[1], b[0], 0, 16);
    o.late_cap = 8; /* without a buffer */
    cr_expect_eq(relay_dir_init(&d, &o), RELAY_EINVAL);
    /* Distinct, non-empty messages. */
    const int codes[] = {RELAY_EINVAL, RELAY_EBADF, RELAY_ENOTSOCK, RELAY_ESTREAM, RELAY_ENOMEM, RELAY_EIO};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        cr_expect(strlen(relay_strerror(codes[i])) > 10);
        for (size_t j = 0; j < i; j++) cr_expect_str_neq(relay_strerror(codes[i]), relay_strerror(codes[j]));
    }
    cr_expect(strstr(relay_strerror(RELAY_ESTREAM), "stream") != NULL);
    /* A datagram socketpair is fine too. */
    int dg[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, dg), 0);
    o = opts(dg[1], b[0], 0, 16);
    cr_expect_eq(relay_dir_init(&d, &o), RELAY_OK);
    relay_dir_free(&d);
    int fds[] = {a[0], a[1], b[0], b[1], st[0], st[1], pf[0], pf[1], dg[0], dg[1]};
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++) close(fds[i]);
}

/* relay.c -- a userspace delay line between two interfaces, for validating the link models on
 * emulated links (scripts/validate.sh). Not part of mpcsim; built by the script.
 *
 *   relay IF_A IF_B DELAY_NS
 *
 * Opens an AF_PACKET socket on each interface and forwards every frame received on one to the other,
 * DELAY_NS after it was received (one thread per direction; the wait sleeps with 1 ns timer slack,
 * then spins the last SPIN_NS so the delay is accurate to a few microseconds; frames are taken and
 * re-injected in batches with recvmmsg/sendmmsg, all frames of one batch stamped with one time). The rate limit and the router queue are
 * NOT here: they are the qdisc (tbf) on each interface's egress, which packets injected through a
 * packet socket traverse. Delay then rate equals the simulator's rate then delay (a constant delay
 * commutes with a FIFO server).
 *
 * veth hands over IPv4 TCP segments with the checksum not yet computed (checksum offload), and
 * AF_PACKET delivers them as they are, so the relay fills in the TCP checksum of every IPv4 TCP
 * frame before forwarding. The endpoints must not build GSO frames (ip link set DEV gso_max_segs 1):
 * frames larger than the MTU cannot be re-injected.
 * Runs until SIGINT/SIGTERM; then prints frames, bytes and drops per direction on stderr. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { SLOTS = 16384, FRAME_MAX = 1600, SPIN_NS = 20000 };

typedef struct frame {
    int64_t due;
    uint32_t len;
    uint8_t b[FRAME_MAX];
} frame;

typedef struct dir {
    int in, out; /* sockets */
    int out_ifindex;
    const char *name;
    int64_t delay;
    frame *q; /* ring of SLOTS */
    uint64_t head, tail;
    uint64_t frames, bytes, dropped, send_err, fixed;
} dir;

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int open_if(const char *ifname, int *ifindex)
{
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) {
        perror("socket(AF_PACKET)");
        return -1;
    }
    unsigned idx = if_nametoindex(ifname);
    if (!idx) {
        fprintf(stderr, "relay: no interface %s\n", ifname);
        close(fd);
        return -1;
    }
    int one = 1;
#ifdef PACKET_IGNORE_OUTGOING
    (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
#endif
    int buf = 8 << 20;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
    (void)one;
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)idx;
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
        perror("bind(AF_PACKET)");
        close(fd);
        return -1;
    }
    *ifindex = (int)idx;
    return fd;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) s += (uint32_t)p[n - 1] << 8;
    return s;
}

/* Recomputes the TCP checksum of an Ethernet/IPv4/TCP frame (no-op for anything else). */
static int fix_tcp_csum(uint8_t *f, size_t len)
{
    if (len < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00) return 0;
    uint8_t *ip = f + 14;
    if ((ip[0] >> 4) != 4 || ip[9] != 6) return 0;
    size_t ihl = (size_t)(ip[0] & 15) * 4, tot = (size_t)ip[2] << 8 | ip[3];
    if (ihl < 20 || tot < ihl + 20 || 14 + tot > len) return 0;
    if ((ip[6] & 0x3f) || ip[7]) return 0; /* fragments: leave alone */
    uint8_t *tcp = ip + ihl;
    size_t tl = tot - ihl;
    tcp[16] = tcp[17] = 0;
    uint32_t s = sum16(ip + 12, 8, 0); /* source and destination addresses */
    s += 6 + (uint32_t)tl;
    s = sum16(tcp, tl, s);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    uint16_t c = (uint16_t)~s;
    tcp[16] = (uint8_t)(c >> 8);
    tcp[17] = (uint8_t)c;
    return 1;
}

enum { BATCH = 64 };

/* Sends every frame that is due, in batches of up to BATCH (sendmmsg). */
static void send_due(dir *d, int64_t t)
{
    struct mmsghdr mm[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_ll to[BATCH];
    while (d->head != d->tail && d->q[d->head % SLOTS].due <= t) {
        unsigned k = 0;
        while (k < BATCH && d->head + k != d->tail && d->q[(d->head + k) % SLOTS].due <= t) {
            frame *fr = &d->q[(d->head + k) % SLOTS];
            memset(&to[k], 0, sizeof to[k]);
            to[k].sll_family = AF_PACKET;
            to[k].sll_ifindex = d->out_ifindex;
            to[k].sll_halen = 6;
            memcpy(to[k].sll_addr, fr->b, 6);
            iov[k] = (struct iovec){.iov_base = fr->b, .iov_len = fr->len};
            memset(&mm[k], 0, sizeof mm[k]);
            mm[k].msg_hdr.msg_name = &to[k];
            mm[k].msg_hdr.msg_namelen = sizeof to[k];
            mm[k].msg_hdr.msg_iov = &iov[k];
            mm[k].msg_hdr.msg_iovlen = 1;
            k++;
        }
        int w = sendmmsg(d->out, mm, k, 0);
        if (w > 0) {
            d->head += (unsigned)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == ENOBUFS || errno == EAGAIN)) { /* qdisc full for a moment: retry */
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
            if (stop) return;
            continue;
        }
        d->send_err++; /* drop the frame that failed */
        d->head++;
    }
}

/* Takes every frame that is ready (recvmmsg), stamping each with its due time. */
static void recv_ready(dir *d)
{
    struct mmsghdr mm[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_ll from[BATCH];
    static uint8_t sink[FRAME_MAX];
    for (;;) {
        uint64_t room = SLOTS - (d->tail - d->head);
        unsigned k = room < BATCH ? (unsigned)room : BATCH;
        if (k == 0) { /* ring full: drop what is waiting */
            struct sockaddr_ll f;
            socklen_t fl = sizeof f;
            if (recvfrom(d->in, sink, sizeof sink, MSG_DONTWAIT, (struct sockaddr *)&f, &fl) < 0) return;
            d->dropped++;
            continue;
        }
        for (unsigned i = 0; i < k; i++) {
            iov[i] = (struct iovec){.iov_base = d->q[(d->tail + i) % SLOTS].b, .iov_len = FRAME_MAX};
            memset(&mm[i], 0, sizeof mm[i]);
            mm[i].msg_hdr.msg_name = &from[i];
            mm[i].msg_hdr.msg_namelen = sizeof from[i];
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(d->in, mm, k, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        int64_t due = now_ns() + d->delay;
        for (int i = 0; i < n; i++) {
            frame *fr = &d->q[d->tail % SLOTS];
            /* frames that are skipped leave their slot to the next one: move it down */
            if (fr->b != iov[i].iov_base) memmove(fr->b, iov[i].iov_base, mm[i].msg_len);
            if (from[i].sll_pkttype == PACKET_OUTGOING) continue; /* our own injections */
            if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
                d->dropped++;
                continue;
            }
            fr->len = mm[i].msg_len;
            fr->due = due;
            d->fixed += (uint64_t)fix_tcp_csum(fr->b, fr->len);
            d->frames++;
            d->bytes += fr->len;
            d->tail++;
        }
        if ((unsigned)n < k) return;
    }
}

static void *run_dir(void *arg)
{
    dir *d = arg;
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* wake-ups on time, not up to 50 us late */
    struct pollfd pf = {.fd = d->in, .events = POLLIN};
    while (!stop) {
        int64_t t = now_ns();
        send_due(d, t);
        int64_t sleep = 100000000; /* nothing queued: wake up now and then to see `stop` */
        if (d->head != d->tail) {
            int64_t wait = d->q[d->head % SLOTS].due - t;
            sleep = wait <= SPIN_NS ? 0 : wait - SPIN_NS;
        }
        struct timespec ts = {.tv_sec = sleep / 1000000000, .tv_nsec = sleep % 1000000000};
        int r = ppoll(&pf, 1, &ts, NULL);
        if (r < 0 && errno != EINTR) {
            perror("poll");
            break;
        }
        if (r > 0 && (pf.revents & POLLIN)) {
            recv_ready(d);
        } else if (d->head != d->tail) {
            /* spin out the last microseconds */
            int64_t due = d->q[d->head % SLOTS].due;
            while (now_ns() < due && !stop) {
                struct pollfd p2 = {.fd = d->in, .events = POLLIN};
                if (poll(&p2, 1, 0) > 0) break; /* a new frame: take it first */
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: relay IF_A IF_B DELAY_NS\n");
        return 2;
    }
    char *end;
    long long delay = strtoll(argv[3], &end, 10);
    if (*end || delay < 0) {
        fprintf(stderr, "relay: bad delay '%s'\n", argv[3]);
        return 2;
    }
    int ia, ib;
    int fa = open_if(argv[1], &ia), fb = open_if(argv[2], &ib);
    if (fa < 0 || fb < 0) return 1;
    dir d[2] = {
        {.in = fa, .out = fb, .out_ifindex = ib, .name = "a->b", .delay = delay},
        {.in = fb, .out = fa, .out_ifindex = ia, .name = "b->a", .delay = delay},
    };
    for (int i = 0; i < 2; i++) {
        d[i].q = malloc(sizeof(frame) * SLOTS);
        if (!d[i].q) {
            fprintf(stderr, "relay: out of memory\n");
            return 1;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, run_dir, &d[i]);
    fprintf(stderr, "relay: %s <-> %s, one-way delay %lld ns\n", argv[1], argv[2], delay);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++)
        fprintf(stderr, "relay %s: %llu frames, %llu bytes, %llu tcp checksums, %llu dropped, %llu send errors\n",
                d[i].name, (unsigned long long)d[i].frames, (unsigned long long)d[i].bytes,
                (unsigned long long)d[i].fixed, (unsigned long long)d[i].dropped, (unsigned long long)d[i].send_err);
    for (int i = 0; i < 2; i++) free(d[i].q);
    close(fa);
    close(fb);
    return 0;
}

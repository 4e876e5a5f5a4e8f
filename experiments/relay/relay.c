/* relay.c -- a userspace delay line between two interfaces, for validating the link models on
 * emulated links (scripts/validate.sh). Not part of mpcsim; built by the script (and by CMake, as
 * mpcsim_relay, so that it keeps compiling).
 *
 *   relay IF_A IF_B DELAY_NS [RATE_BPS [LIMIT_BYTES]]
 *
 * Opens an AF_PACKET socket on each interface and forwards every frame received on one to the other,
 * DELAY_NS after it was received, or with RATE_BPS, DELAY_NS after it would have left a FIFO of that
 * rate holding at most LIMIT_BYTES (tail drop; default: no bound): one thread per direction runs the
 * queue of relay_core.h
 * (frames taken and re-injected in batches with recvmmsg/sendmmsg, all frames of one batch stamped
 * with one time; the wait sleeps with 1 ns timer slack, then spins the last RELAY_SPIN_NS, so the
 * delay is accurate to a few microseconds). This file is only the AF_PACKET shell around it. Frames
 * injected through a packet socket still traverse the interface's qdisc: validate.sh keeps tbf there
 * at the same rate as a ceiling (see there why tbf alone is not the rate).
 *
 * veth hands over IPv4 TCP segments with the checksum not yet computed (checksum offload), and
 * AF_PACKET delivers them as they are, so the relay fills in the TCP checksum of every IPv4 TCP
 * frame before forwarding. The endpoints must not build GSO frames (ip link set DEV gso_max_segs 1):
 * frames larger than the MTU cannot be re-injected.
 * Runs until SIGINT/SIGTERM; then prints frames, bytes and drops per direction on stderr. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay_core.h"

enum { SLOTS = 16384 };

static atomic_int stop;
static void on_signal(int s)
{
    (void)s;
    atomic_store(&stop, 1); /* lock-free: async-signal-safe */
}

/* A packet socket bound to the interface; *to gets the address that sends out of it. */
static int open_if(const char *ifname, struct sockaddr_ll *to)
{
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) {
        fprintf(stderr, "relay: socket(AF_PACKET): %s (needs root or CAP_NET_RAW)\n", strerror(errno));
        return -1;
    }
    unsigned idx = if_nametoindex(ifname);
    if (!idx) {
        fprintf(stderr, "relay: no interface %s\n", ifname);
        close(fd);
        return -1;
    }
#ifdef PACKET_IGNORE_OUTGOING
    int one = 1;
    (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
#endif
    int buf = 8 << 20;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
    memset(to, 0, sizeof *to);
    to->sll_family = AF_PACKET;
    to->sll_protocol = htons(ETH_P_ALL);
    to->sll_ifindex = (int)idx;
    if (bind(fd, (struct sockaddr *)to, sizeof *to) != 0) {
        fprintf(stderr, "relay: bind(AF_PACKET, %s): %s\n", ifname, strerror(errno));
        close(fd);
        return -1;
    }
    /* Writes: the frame carries its own link-layer header (SOCK_RAW), so only the interface counts;
     * protocol 0 lets the kernel read it from the frame. */
    to->sll_protocol = 0;
    to->sll_halen = 6;
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

typedef struct side {
    relay_dir d;
    const char *name;
    uint64_t fixed; /* TCP checksums filled in */
    int rc;
} side;

/* Skips our own injections (where PACKET_IGNORE_OUTGOING is missing) and fills in TCP checksums. */
static int packet_filter(void *ud, const struct sockaddr *from, socklen_t fromlen, uint8_t *frame, size_t len)
{
    side *s = ud;
    const struct sockaddr_ll *ll = (const struct sockaddr_ll *)from;
    if (fromlen >= offsetof(struct sockaddr_ll, sll_addr) && ll->sll_pkttype == PACKET_OUTGOING) return 0;
    s->fixed += (uint64_t)fix_tcp_csum(frame, len);
    return 1;
}

static void *run_side(void *arg)
{
    side *s = arg;
    s->rc = relay_dir_run(&s->d, &stop);
    if (s->rc != RELAY_OK) {
        fprintf(stderr, "relay %s: %s: %s\n", s->name, relay_strerror(s->rc), strerror(errno));
        atomic_store(&stop, 1); /* one direction alone is no link */
    }
    return NULL;
}

/* A decimal integer >= 0, whole string: into *s (signed) or *u (unsigned). */
static int parse_num(const char *a, long long *s, unsigned long long *u)
{
    char *end;
    errno = 0;
    if (a[0] == '-' || a[0] == '+') return -1;
    unsigned long long v = strtoull(a, &end, 10);
    if (*end || end == a || errno || (s && v > (unsigned long long)LLONG_MAX)) return -1;
    if (s) *s = (long long)v;
    if (u) *u = v;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: relay IF_A IF_B DELAY_NS [RATE_BPS [LIMIT_BYTES]]\n");
        return 2;
    }
    long long delay;
    unsigned long long bps = 0, limit = 0;
    if (parse_num(argv[3], &delay, NULL) != 0) {
        fprintf(stderr, "relay: bad delay '%s' (integer nanoseconds >= 0)\n", argv[3]);
        return 2;
    }
    if (argc > 4 && (parse_num(argv[4], NULL, &bps) != 0 || bps == 0 || bps > RELAY_BPS_MAX)) {
        fprintf(stderr, "relay: bad rate '%s' (bit/s, 1..%llu)\n", argv[4], RELAY_BPS_MAX);
        return 2;
    }
    if (argc > 5 && (parse_num(argv[5], NULL, &limit) != 0 || limit == 0 || limit > RELAY_LIMIT_MAX)) {
        fprintf(stderr, "relay: bad queue limit '%s' (bytes, 1..%d)\n", argv[5], RELAY_LIMIT_MAX);
        return 2;
    }
    struct sockaddr_ll la, lb;
    int fa = open_if(argv[1], &la), fb = fa < 0 ? -1 : open_if(argv[2], &lb);
    if (fa < 0 || fb < 0) {
        if (fa >= 0) close(fa);
        return 1;
    }
    side sd[2] = {{.name = "a->b"}, {.name = "b->a"}};
    const relay_opts ro[2] = {
        {.in = fa, .out = fb, .delay_ns = delay, .bps = bps, .limit_bytes = limit, .slots = SLOTS,
         .to = (struct sockaddr *)&lb, .tolen = sizeof lb,
         .filter = packet_filter, .filter_ud = &sd[0]},
        {.in = fb, .out = fa, .delay_ns = delay, .bps = bps, .limit_bytes = limit, .slots = SLOTS,
         .to = (struct sockaddr *)&la, .tolen = sizeof la,
         .filter = packet_filter, .filter_ud = &sd[1]},
    };
    for (int i = 0; i < 2; i++) {
        int rc = relay_dir_init(&sd[i].d, &ro[i]);
        if (rc != RELAY_OK) {
            fprintf(stderr, "relay: %s\n", relay_strerror(rc));
            if (i) relay_dir_free(&sd[0].d);
            close(fa);
            close(fb);
            return 1;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, run_side, &sd[i]);
    if (bps)
        fprintf(stderr, "relay: %s <-> %s, one-way delay %lld ns, rate %llu bit/s, queue %llu bytes%s\n", argv[1],
                argv[2], delay, bps, limit, limit ? "" : " (no bound)");
    else
        fprintf(stderr, "relay: %s <-> %s, one-way delay %lld ns\n", argv[1], argv[2], delay);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++) {
        const relay_dir *d = &sd[i].d;
        fprintf(stderr, "relay %s: %llu frames, %llu bytes, %llu tcp checksums, %llu dropped, %llu oversize, "
                        "%llu send errors\n",
                sd[i].name, (unsigned long long)d->frames, (unsigned long long)d->bytes,
                (unsigned long long)sd[i].fixed, (unsigned long long)d->dropped, (unsigned long long)d->oversize,
                (unsigned long long)d->send_err);
        relay_dir_free(&sd[i].d);
    }
    close(fa);
    close(fb);
    return sd[0].rc == RELAY_OK && sd[1].rc == RELAY_OK ? 0 : 1;
}

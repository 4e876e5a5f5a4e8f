/* fuzz_tcp_seeds.c -- writes the seed corpora of fuzz_tcp_frame and fuzz_tcp_handshake: frames as the
 * real backend writes them (plaintext and sealed with the fuzz target's pre-shared key: DATA of 0, 8
 * and 100 bytes, BYE), and a genuine msg1 from P1 to P0 with the handshake target's fixed keys.
 * Usage: fuzz_tcp_seeds FRAME_DIR HANDSHAKE_DIR */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../net/net_tcp.h"

static int put(const char *dir, const char *name, const uint8_t *b, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "fuzz_tcp_seeds: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

/* What P1's backend writes for: send(want bytes) twice, then BYE; prefixed with the target's 3 bytes. */
static int frames(const char *dir, const char *name, int sealed, size_t want)
{
    static const uint8_t psk[32] = {42};
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
    net_tcp_opts o;
    net_tcp_opts_default(&o);
    o.self = 1;
    o.nparties = 2;
    o.psk = sealed ? psk : NULL;
    int fd[NET_MAX_PARTIES] = {sv[0], -1, -1};
    net_tcp *t;
    if (net_tcp_from_fds(&t, &o, fd) != NET_OK) return 1;
    net_party *p = net_tcp_party(t);
    uint8_t msg[100];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)i;
    if (net_send(p, 0, msg, want) != NET_OK || net_send(p, 0, msg, want) != NET_OK || net_tcp_send_bye(t, 0) != NET_OK)
        return 1;
    uint8_t b[4096] = {(uint8_t)sealed, (uint8_t)want, 0};
    size_t n = 3;
    shutdown(sv[0], SHUT_WR);
    for (;;) {
        ssize_t r = read(sv[1], b + n, sizeof b - n);
        if (r <= 0) break;
        n += (size_t)r;
    }
    net_tcp_destroy(t);
    close(sv[1]);
    return put(dir, name, b, n);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fuzz_tcp_seeds FRAME_DIR HANDSHAKE_DIR\n");
        return 2;
    }
    int rc = 0;
    rc |= frames(argv[1], "plain0", 0, 0);
    rc |= frames(argv[1], "plain8", 0, 8);
    rc |= frames(argv[1], "plain100", 0, 100);
    rc |= frames(argv[1], "sealed0", 1, 0);
    rc |= frames(argv[1], "sealed8", 1, 8);
    rc |= frames(argv[1], "sealed100", 1, 100);
    /* the handshake target's keys (fuzz_tcp_handshake.c) */
    net_keypair p0, p1;
    uint8_t s0[32], s1[32];
    for (int i = 0; i < 32; i++) s0[i] = (uint8_t)(i + 1), s1[i] = (uint8_t)(100 + i);
    net_key_from_secret(&p0, s0);
    net_key_from_secret(&p1, s1);
    uint8_t pl[NET_HS_MAX_PAYLOAD], msg[NET_HS_MAX_MSG], hash[32] = {1, 2, 3};
    size_t pln = net_hs_payload_encode(pl, NET_HS_OK, hash, sizeof hash, "op=mul shape=4x64 mode=real seed=1");
    net_hs hs;
    net_hs_init(&hs, 1, 1, 0, &p1, p0.pk);
    size_t mn = net_hs_write(&hs, pl, pln, msg);
    rc |= put(argv[2], "msg1", msg, mn);
    rc |= put(argv[2], "payload", pl, pln);
    return rc;
}

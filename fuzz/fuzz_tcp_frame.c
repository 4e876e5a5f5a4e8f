/* fuzz_tcp_frame.c -- libFuzzer target for the TCP backend's frame decoder (net/net_tcp.c), driven
 * through its real receive path: the input is written into a socketpair whose other end belongs to
 * a party built with net_tcp_from_fds, the writer closes, and the party receives until an error.
 *   byte 0: bit 0 = sealed (a pre-shared key: frames must carry a valid tag) or plaintext;
 *   bytes 1-2: the message size the protocol expects (little-endian, 0..65535);
 *   the rest: the stream.
 * Contracts beyond the sanitizers: every recv returns NET_OK, NET_ECLOSED or NET_EPROTO (the stream
 * ends, so nothing may time out) and every failure leaves a message; at most one recv per 48 input
 * bytes succeeds (each frame has a header); no allocation is sized by a header (ASan's allocator
 * limit would catch it). The seeds (fuzz_tcp_seeds) include genuine sealed frames, so the fuzzer
 * starts past the tag check. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../net/net_tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUST(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t psk[32] = {42};
    static uint8_t buf[65536];
    if (size < 3 || size > 60000) return 0; /* a socketpair's default buffer holds it */
    int sealed = data[0] & 1;
    size_t want = (size_t)data[1] | (size_t)data[2] << 8;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 0;
    size_t off = 3;
    while (off < size) {
        ssize_t w = write(sv[1], data + off, size - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    close(sv[1]);
    net_tcp_opts o;
    net_tcp_opts_default(&o);
    o.self = 0;
    o.nparties = 2;
    o.psk = sealed ? psk : NULL;
    o.io_timeout_ns = 2000000000LL;
    o.stall_timeout_ns = 2000000000LL;
    int fd[NET_MAX_PARTIES] = {-1, sv[0], -1};
    net_tcp *t = NULL;
    MUST(net_tcp_from_fds(&t, &o, fd) == NET_OK);
    net_party *p = net_tcp_party(t);
    size_t ok = 0;
    for (int k = 0; k < 64; k++) {
        int rc = net_recv(p, 1, want ? buf : NULL, want);
        MUST(rc == NET_OK || rc == NET_ECLOSED || rc == NET_EPROTO);
        if (rc == NET_EPROTO) MUST(net_tcp_error(t)[0] != 0);
        if (rc != NET_OK) break;
        ok++;
    }
    MUST(ok * NET_TCP_HDR_BYTES <= size);
    net_tcp_destroy(t);
    return 0;
}

/* fuzz_tcp_handshake.c -- libFuzzer target for the TCP backend's handshake parsing (net/net_tcp_sec.h).
 *
 * Each input is used three ways, with fixed long-term keys:
 *   1. as a msg1 arriving at a responder (P0) from a claimed initiator: the fixed part is parsed and
 *      checked; if it is complete, the responder authenticates it (which random bytes never pass);
 *   2. as a handshake payload, decoded with every bound checked;
 *   3. as the payload of a GENUINE msg1 (written by the initiator's code with P1's key), so the
 *      responder's authentication succeeds and the decoder sees the fuzzer's bytes after decryption.
 * Contracts checked beyond the sanitizers: a decoded payload's lengths are in bounds and its
 * description is NUL-terminated at its length; a genuine msg1 always authenticates; the
 * responder's state is unchanged by a message that fails. Build and run with scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../net/net_tcp_sec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUST(cond) do { if (!(cond)) abort(); } while (0)

static void check_payload(const uint8_t *p, size_t n)
{
    uint32_t status;
    uint8_t hash[64];
    size_t hl = 99;
    char desc[1025];
    if (net_hs_payload_decode(p, n, &status, hash, &hl, desc) == 0) {
        MUST(hl <= 64);
        MUST(12 + hl + strlen(desc) == n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static net_keypair p0, p1;
    static int ready;
    if (!ready) {
        uint8_t s0[32], s1[32];
        for (int i = 0; i < 32; i++) s0[i] = (uint8_t)(i + 1), s1[i] = (uint8_t)(100 + i);
        net_key_from_secret(&p0, s0);
        net_key_from_secret(&p1, s1);
        ready = 1;
    }
    /* 1. a msg1 from the network */
    net_hs hs, before;
    net_hs_hdr h;
    if (net_hs_parse_fixed(data, size, &h) == 0) {
        MUST(h.ct_len >= NET_HS_TAG && h.ct_len <= NET_HS_MAX_CT);
        if (h.from == 1 && h.to == 0 && size == NET_HS_FIXED + (size_t)h.ct_len) {
            net_hs_init(&hs, 0, 1, 0, &p0, p1.pk);
            before = hs;
            uint8_t pl[NET_HS_MAX_PAYLOAD];
            size_t pln = 0;
            if (net_hs_read(&hs, data, size, pl, &pln) == 0) check_payload(pl, pln); /* a forgery: would be a finding */
            else MUST(memcmp(&hs, &before, sizeof hs) == 0);
        }
    }
    /* 2. a payload */
    check_payload(data, size);
    /* 3. a genuine msg1 carrying the fuzzer's payload */
    if (size <= NET_HS_MAX_PAYLOAD) {
        net_hs ini;
        uint8_t msg[NET_HS_MAX_MSG], pl[NET_HS_MAX_PAYLOAD];
        size_t pln = 0;
        net_hs_init(&ini, 1, 1, 0, &p1, p0.pk);
        size_t mn = net_hs_write(&ini, data, size, msg);
        net_hs_init(&hs, 0, 1, 0, &p0, p1.pk);
        MUST(net_hs_parse_fixed(msg, mn, &h) == 0 && NET_HS_FIXED + h.ct_len == mn);
        MUST(net_hs_read(&hs, msg, mn, pl, &pln) == 0 && pln == size && memcmp(pl, data, size) == 0);
        check_payload(pl, pln);
    }
    return 0;
}

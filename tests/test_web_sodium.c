/* test_web_sodium.c -- web/sodium_wasm.c (the browser build's ChaCha20 and BLAKE2b) against the
 * system libsodium, byte for byte, over lengths that cross block boundaries, counters that carry
 * into the high word, and keyed and unkeyed hashes of every output length. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#define WEB_SODIUM_NAME(x) web_##x
#include "../web/sodium_wasm.c"

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed * 131u + i * 7u + (i >> 8));
}

Test(web_sodium, chacha20_matches_libsodium)
{
    cr_assert(sodium_init() >= 0);
    unsigned char k[32], n[8], m[700], a[700], b[700];
    fill(k, sizeof k, 1), fill(n, sizeof n, 2), fill(m, sizeof m, 3);
    static const size_t lens[] = {0, 1, 63, 64, 65, 128, 200, 700};
    static const uint64_t ics[] = {0, 1, 7, 0xffffffffULL, 0xfffffffffffffffeULL};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
        for (size_t j = 0; j < sizeof ics / sizeof *ics; j++) {
            memset(a, 0, sizeof a), memset(b, 0, sizeof b);
            crypto_stream_chacha20_xor_ic(a, m, lens[i], n, ics[j], k);
            web_crypto_stream_chacha20_xor_ic(b, m, lens[i], n, ics[j], k);
            cr_assert(memcmp(a, b, sizeof a) == 0, "len %zu ic %llu", lens[i], (unsigned long long)ics[j]);
        }
}

Test(web_sodium, blake2b_matches_libsodium)
{
    unsigned char in[400], key[64], a[64], b[64];
    fill(in, sizeof in, 4), fill(key, sizeof key, 5);
    static const size_t lens[] = {0, 1, 127, 128, 129, 256, 257, 400};
    static const size_t keylens[] = {0, 1, 32, 64};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
        for (size_t j = 0; j < sizeof keylens / sizeof *keylens; j++)
            for (size_t out = 1; out <= 64; out += 7) {
                memset(a, 0, sizeof a), memset(b, 0, sizeof b);
                cr_assert(crypto_generichash(a, out, in, lens[i], keylens[j] ? key : NULL, keylens[j]) == 0);
                cr_assert(web_crypto_generichash(b, out, in, lens[i], keylens[j] ? key : NULL, keylens[j]) == 0);
                cr_assert(memcmp(a, b, sizeof a) == 0, "len %zu key %zu out %zu", lens[i], keylens[j], out);
            }
}

Test(web_sodium, known_answer)
{
    /* BLAKE2b-512 of "abc" (RFC 7693, Appendix A). */
    unsigned char h[64];
    web_crypto_generichash(h, 64, (const unsigned char *)"abc", 3, NULL, 0);
    static const unsigned char want[8] = {0xBA, 0x80, 0xA5, 0x3F, 0x98, 0x1C, 0x4D, 0x0D};
    cr_assert(memcmp(h, want, 8) == 0);
}

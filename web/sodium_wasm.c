/* sodium_wasm.c -- the three libsodium functions the simulator's sources call, for the WebAssembly
 * build (Debian has no WebAssembly libsodium): sodium_init, crypto_stream_chacha20_xor_ic (ChaCha20
 * with the original 64-bit nonce and 64-bit block counter, D. J. Bernstein 2008) and
 * crypto_generichash (BLAKE2b, RFC 7693, optional key). Written from the specifications; checked
 * byte for byte against the system libsodium by tests/test_web_sodium.c, which compiles this file
 * with WEB_SODIUM_NAME adding a prefix so both can be linked together. Not constant-time-audited:
 * the explorer runs phantom mode, where these only seed PRGs whose output no cost depends on. */
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#ifndef WEB_SODIUM_NAME
#define WEB_SODIUM_NAME(x) x
#endif
/* The libsodium prototypes again, under the names this build gives them. */
int WEB_SODIUM_NAME(sodium_init)(void);
int WEB_SODIUM_NAME(crypto_stream_chacha20_xor_ic)(unsigned char *c, const unsigned char *m, unsigned long long mlen,
                                                   const unsigned char *n, uint64_t ic, const unsigned char *k);
int WEB_SODIUM_NAME(crypto_generichash)(unsigned char *out, size_t outlen, const unsigned char *in,
                                        unsigned long long inlen, const unsigned char *key, size_t keylen);

static uint32_t ld32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t ld64(const unsigned char *p) { return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32; }

static void st32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t rotl32(uint32_t v, int n) { return v << n | v >> (32 - n); }
static uint64_t rotr64(uint64_t v, int n) { return v >> n | v << (64 - n); }

int WEB_SODIUM_NAME(sodium_init)(void) { return 0; }

/* ---- ChaCha20 ---- */

#define QR(a, b, c, d)                                            \
    a += b, d = rotl32(d ^ a, 16), c += d, b = rotl32(b ^ c, 12), \
    a += b, d = rotl32(d ^ a, 8), c += d, b = rotl32(b ^ c, 7)

static void chacha_block(unsigned char out[64], const uint32_t in[16])
{
    uint32_t x[16];
    memcpy(x, in, sizeof x);
    for (int r = 0; r < 10; r++) {
        QR(x[0], x[4], x[8], x[12]), QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]), QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]), QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]), QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++) st32(out + 4 * i, x[i] + in[i]);
}

int WEB_SODIUM_NAME(crypto_stream_chacha20_xor_ic)(unsigned char *c, const unsigned char *m, unsigned long long mlen,
                                                   const unsigned char *n, uint64_t ic, const unsigned char *k)
{
    uint32_t s[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
    for (int i = 0; i < 8; i++) s[4 + i] = ld32(k + 4 * i);
    s[14] = ld32(n), s[15] = ld32(n + 4);
    unsigned char ks[64];
    for (unsigned long long off = 0; off < mlen; off += 64, ic++) {
        s[12] = (uint32_t)ic, s[13] = (uint32_t)(ic >> 32);
        chacha_block(ks, s);
        unsigned long long len = mlen - off < 64 ? mlen - off : 64;
        for (unsigned long long i = 0; i < len; i++) c[off + i] = m[off + i] ^ ks[i];
    }
    return 0;
}

/* ---- BLAKE2b ---- */

static const uint64_t b2_iv[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
                                  0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
                                  0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};

static const uint8_t b2_sigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

static void b2_compress(uint64_t h[8], const unsigned char block[128], uint64_t t, int last)
{
    uint64_t m[16], v[16];
    for (int i = 0; i < 16; i++) m[i] = ld64(block + 8 * i);
    for (int i = 0; i < 8; i++) v[i] = h[i], v[8 + i] = b2_iv[i];
    v[12] ^= t; /* inputs here are < 2^64 bytes: the high counter word stays 0 */
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = b2_sigma[r];
#define G(a, b, c, d, x, y)                                                         \
    v[a] += v[b] + m[x], v[d] = rotr64(v[d] ^ v[a], 32), v[c] += v[d],              \
    v[b] = rotr64(v[b] ^ v[c], 24), v[a] += v[b] + m[y], v[d] = rotr64(v[d] ^ v[a], 16), \
    v[c] += v[d], v[b] = rotr64(v[b] ^ v[c], 63)
        G(0, 4, 8, 12, s[0], s[1]), G(1, 5, 9, 13, s[2], s[3]), G(2, 6, 10, 14, s[4], s[5]);
        G(3, 7, 11, 15, s[6], s[7]), G(0, 5, 10, 15, s[8], s[9]), G(1, 6, 11, 12, s[10], s[11]);
        G(2, 7, 8, 13, s[12], s[13]), G(3, 4, 9, 14, s[14], s[15]);
#undef G
    }
    for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[8 + i];
}

int WEB_SODIUM_NAME(crypto_generichash)(unsigned char *out, size_t outlen, const unsigned char *in,
                                        unsigned long long inlen, const unsigned char *key, size_t keylen)
{
    if (outlen < 1 || outlen > 64 || keylen > 64 || (keylen && !key)) return -1;
    uint64_t h[8];
    memcpy(h, b2_iv, sizeof h);
    h[0] ^= 0x01010000ULL ^ (uint64_t)keylen << 8 ^ (uint64_t)outlen;
    unsigned char block[128];
    uint64_t t = 0;
    if (keylen) { /* the key, zero-padded, is the first block */
        memset(block, 0, sizeof block);
        memcpy(block, key, keylen);
        t = 128;
        b2_compress(h, block, t, inlen == 0);
    }
    /* Every full block but the last; the last (possibly partial, or empty without a key) is final. */
    while (inlen > 128) {
        t += 128;
        b2_compress(h, in, t, 0);
        in += 128, inlen -= 128;
    }
    if (inlen > 0 || keylen == 0) {
        memset(block, 0, sizeof block);
        memcpy(block, in, (size_t)inlen);
        t += inlen;
        b2_compress(h, block, t, 1);
    }
    unsigned char full[64];
    for (int i = 0; i < 8; i++) st32(full + 8 * i, (uint32_t)h[i]), st32(full + 8 * i + 4, (uint32_t)(h[i] >> 32));
    memcpy(out, full, outlen);
    return 0;
}

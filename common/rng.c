/* rng.c -- ChaCha20 keystream PRG over libsodium's crypto_stream_chacha20 (original 64-bit nonce). */
#include "rng.h"

#include <math.h>
#include <string.h>

#include <sodium.h>

#include "chk.h"
#include "par.h"

static void rng_refill(rng *r)
{
    memset(r->buf, 0, sizeof r->buf);
    crypto_stream_chacha20_xor_ic(r->buf, r->buf, sizeof r->buf, r->nonce, r->block, r->key);
    r->block++;
    r->pos = 0;
}

void rng_init_key(rng *r, const uint8_t key[32], const uint8_t nonce[8])
{
    CHECK(sodium_init() >= 0, "libsodium failed to initialise");
    memcpy(r->key, key, 32);
    memcpy(r->nonce, nonce, 8);
    r->block = 0;
    r->pos = sizeof r->buf;
}

void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
    static const char label[] = "mpcsim rng";
    uint8_t in[sizeof label + 16], key[32], nonce[8] = {0};
    memcpy(in, label, sizeof label);
    for (int i = 0; i < 8; i++) {
        in[sizeof label + i] = (uint8_t)(seed >> (8 * i));
        in[sizeof label + 8 + i] = (uint8_t)(stream >> (8 * i));
    }
    CHECK(sodium_init() >= 0, "libsodium failed to initialise");
    crypto_generichash(key, sizeof key, in, sizeof in, NULL, 0);
    rng_init_key(r, key, nonce);
}

typedef struct prg_job {
    uint8_t *o;
    const rng *r;
} prg_job;

/* Blocks [lo, hi) of a run: ChaCha20 is seekable, block b is keystream block r->block + b. */
static void prg_part(void *ud, size_t lo, size_t hi)
{
    const prg_job *j = ud;
    memset(j->o + lo * 64, 0, (hi - lo) * 64);
    crypto_stream_chacha20_xor_ic(j->o + lo * 64, j->o + lo * 64, (hi - lo) * 64, j->r->nonce, j->r->block + lo,
                                  j->r->key);
}

void rng_bytes(rng *r, void *out, size_t n)
{
    uint8_t *o = out;
    /* Drain the buffered block first. */
    while (n > 0 && r->pos < sizeof r->buf) {
        *o++ = r->buf[r->pos++];
        n--;
    }
    /* Whole blocks straight into the output. */
    size_t whole = n / 64;
    if (whole > 0) {
        /* On all kernel threads, 64 KiB at least a part: the same stream for any thread count. */
        prg_job j = {o, r};
        par_for(whole, 1024, prg_part, &j);
        r->block += whole;
        o += whole * 64;
        n -= whole * 64;
    }
    if (n > 0) {
        rng_refill(r);
        memcpy(o, r->buf, n);
        r->pos = (unsigned)n;
    }
}

void rng_fill_u64(rng *r, uint64_t *out, size_t n)
{
    rng_bytes(r, out, n * sizeof *out);
    /* Little-endian interpretation, so streams match across hosts. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < n; i++) out[i] = __builtin_bswap64(out[i]);
#endif
}

uint64_t rng_u64(rng *r)
{
    uint64_t v;
    rng_fill_u64(r, &v, 1);
    return v;
}

double rng_uniform(rng *r)
{
    return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

double rng_range(rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rng_uniform(r);
}

double rng_normal(rng *r)
{
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* fss_bits.c -- bit packing (see fss_bits.h). */
#include "fss_bits.h"

#include <string.h>

void fss_bit_put(fss_bitio *w, uint64_t v, int b)
{
    v &= fss_mask(b);
    size_t pos = w->pos;
    int left = b;
    while (left > 0) {
        size_t byte = pos >> 3;
        int off = (int)(pos & 7), take = 8 - off < left ? 8 - off : left;
        w->buf[byte] |= (uint8_t)((v & fss_mask(take)) << off);
        v >>= take;
        pos += (size_t)take;
        left -= take;
    }
    w->pos = pos;
}

uint64_t fss_bit_get(fss_bitio *r, int b)
{
    uint64_t v = 0;
    int got = 0;
    size_t pos = r->pos;
    while (got < b) {
        size_t byte = pos >> 3;
        int off = (int)(pos & 7), take = 8 - off < b - got ? 8 - off : b - got;
        v |= (uint64_t)((r->buf[byte] >> off) & fss_mask(take)) << got;
        pos += (size_t)take;
        got += take;
    }
    r->pos = pos;
    return v;
}

/* Reference forms: one fss_bit_put / fss_bit_get per value (a byte at a time). */
void fss_pack_naive(uint8_t *out, const uint64_t *v, size_t N, int b)
{
    memset(out, 0, fss_packed_bytes(N, b));
    fss_bitio w = {out, 0};
    for (size_t i = 0; i < N; i++) fss_bit_put(&w, v[i], b);
}

void fss_unpack_naive(uint64_t *v, const uint8_t *in, size_t N, int b)
{
    fss_bitio r = {(uint8_t *)in, 0};
    for (size_t i = 0; i < N; i++) v[i] = fss_bit_get(&r, b);
}

static inline void st64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t ld64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Fast forms: a 64-bit accumulator flushed (filled) 8 bytes at a time; the same bit string. */
void fss_bs_put(fss_bitstream *w, const uint64_t *v, size_t N, int b)
{
    uint64_t m = fss_mask(b), acc = w->acc;
    int nb = w->nb; /* bits held in acc, < 64 */
    size_t o = w->o;
    uint8_t *out = w->buf;
    for (size_t i = 0; i < N; i++) {
        uint64_t x = v[i] & m;
        acc |= x << nb; /* nb < 64 */
        if (nb + b >= 64) {
            st64(out + o, acc);
            o += 8;
            int used = 64 - nb; /* bits of x already stored */
            acc = used == 64 ? 0 : x >> used;
            nb = nb + b - 64;
        } else
            nb += b;
    }
    w->acc = acc, w->nb = nb, w->o = o;
}

void fss_bs_flush(fss_bitstream *w)
{
    for (int k = 0; k < w->nb; k += 8) w->buf[w->o++] = (uint8_t)(w->acc >> k);
    w->acc = 0, w->nb = 0;
}

void fss_bs_get(fss_bitstream *r, uint64_t *v, size_t N, int b)
{
    size_t total = r->total, o = r->o;
    const uint8_t *in = r->buf;
    uint64_t m = fss_mask(b), acc = r->acc;
    int nb = r->nb; /* bits available in acc */
    for (size_t i = 0; i < N; i++) {
        if (nb >= b) {
            v[i] = acc & m;
            acc = b == 64 ? 0 : acc >> b;
            nb -= b;
            continue;
        }
        /* refill: the low nb bits of acc, then the next 64 bits (fewer at the end) */
        uint64_t nxt;
        int got;
        if (o + 8 <= total) {
            nxt = ld64(in + o);
            got = 64;
            o += 8;
        } else {
            nxt = 0;
            got = 0;
            while (o < total) nxt |= (uint64_t)in[o++] << got, got += 8;
        }
        int need = b - nb; /* 1..64, taken from nxt */
        v[i] = (acc | (nb == 0 ? nxt : nxt << nb)) & m;
        acc = need >= 64 ? 0 : nxt >> need;
        nb = got - need;
    }
    r->acc = acc, r->nb = nb, r->o = o;
}

void fss_pack(uint8_t *out, const uint64_t *v, size_t N, int b)
{
    fss_bitstream w = {out, 0, 0, 0, 0};
    fss_bs_put(&w, v, N, b);
    fss_bs_flush(&w);
}

void fss_unpack(uint64_t *v, const uint8_t *in, size_t N, int b)
{
    fss_bitstream r = {(uint8_t *)in, 0, fss_packed_bytes(N, b), 0, 0};
    fss_bs_get(&r, v, N, b);
}

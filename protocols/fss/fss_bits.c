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

void fss_pack(uint8_t *out, const uint64_t *v, size_t N, int b)
{
    memset(out, 0, fss_packed_bytes(N, b));
    fss_bitio w = {out, 0};
    for (size_t i = 0; i < N; i++) fss_bit_put(&w, v[i], b);
}

void fss_unpack(uint64_t *v, const uint8_t *in, size_t N, int b)
{
    fss_bitio r = {(uint8_t *)in, 0};
    for (size_t i = 0; i < N; i++) v[i] = fss_bit_get(&r, b);
}

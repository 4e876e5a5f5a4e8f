/* fss_bits.h -- bit packing for the fss family: N values of b bits travel as ceil(N*b/8) bytes
 * (value i occupies bits [i*b, (i+1)*b) of the little-endian bit string), and a bit writer/reader for
 * serialising keys at their exact bit length. */
#ifndef FSS_BITS_H
#define FSS_BITS_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of N values of b bits (1 <= b <= 64). */
static inline size_t fss_packed_bytes(size_t N, int b) { return (N * (size_t)b + 7) / 8; }
/* Mask of the low b bits (b = 64 gives all ones). */
static inline uint64_t fss_mask(int b) { return b >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << b) - 1; }

/* out (fss_packed_bytes(N, b) bytes, fully written: padding bits are 0) <- low b bits of v[0..N). */
void fss_pack(uint8_t *out, const uint64_t *v, size_t N, int b);
/* v[0..N) <- b-bit values of in. */
void fss_unpack(uint64_t *v, const uint8_t *in, size_t N, int b);
/* The naive references of the two (one fss_bit_put / fss_bit_get per value); tests compare them. */
void fss_pack_naive(uint8_t *out, const uint64_t *v, size_t N, int b);
void fss_unpack_naive(uint64_t *v, const uint8_t *in, size_t N, int b);

/* Streaming forms of the two over several vectors of different widths, one bit string (fss_pack of
 * their concatenation): {buf, 0, total bytes (reader), 0, 0}; put ... then flush (writes every byte,
 * padding bits 0); get reads values in order. */
typedef struct fss_bitstream {
    uint8_t *buf;
    size_t o, total; /* bytes written or consumed; the buffer's bytes (reader) */
    uint64_t acc;
    int nb;
} fss_bitstream;
void fss_bs_put(fss_bitstream *w, const uint64_t *v, size_t N, int b);
void fss_bs_flush(fss_bitstream *w);
void fss_bs_get(fss_bitstream *r, uint64_t *v, size_t N, int b);

/* Sequential bit writer/reader over a caller buffer (writer: zero it first). */
typedef struct fss_bitio {
    uint8_t *buf;
    size_t pos; /* bits written or read so far */
} fss_bitio;
void fss_bit_put(fss_bitio *w, uint64_t v, int b);
uint64_t fss_bit_get(fss_bitio *r, int b);

#endif

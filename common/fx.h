/* fx.h -- fixed point over the ring Z_2^64.
 *
 * Ring elements are uint64_t and all ring arithmetic wraps mod 2^64 (never signed overflow).
 * A real x is encoded with f fractional bits as (uint64_t)(int64_t)trunc(x * 2^f), truncating
 * toward zero like CrypTen; decode is (double)(int64_t)v / 2^f (PROTOCOLS.md 1.2 and 4.6).
 * The signed view is used only for encode, decode and local truncation. */
#ifndef FX_H
#define FX_H

#include <stddef.h>
#include <stdint.h>

#define FX_FRAC_BITS 16 /* CrypTen's default precision */

/* Largest |x| that encodes without overflow at f fractional bits: 2^(63-f). */
double fx_range(int f);

/* Encode one real. x must be finite and |x| < fx_range(f) (CHECKed). */
uint64_t fx_encode(double x, int f);
/* Decode one ring element (signed view). */
double fx_decode(uint64_t v, int f);

void fx_encode_n(uint64_t *out, const double *x, size_t n, int f);
void fx_decode_n(double *out, const uint64_t *v, size_t n, int f);

/* Signed division toward zero of the signed view by d > 0: CrypTen's div_(d, rounding "trunc").
 * Used for 2-party local truncation of each share. */
static inline uint64_t fx_div_trunc(uint64_t v, int64_t d)
{
    return (uint64_t)((int64_t)v / d);
}

#endif

/* fx.c -- fixed-point encode/decode. */
#include "fx.h"

#include <math.h>

#include "chk.h"

double fx_range(int f)
{
    return ldexp(1.0, 63 - f);
}

uint64_t fx_encode(double x, int f)
{
    CHECK(f >= 0 && f <= 62, "fractional bits %d out of range [0,62]", f);
    /* x * 2^f with 2^f exact (f <= 62): a correctly rounded product, the same double as ldexp(x, f). */
    double s = trunc(x * (double)(UINT64_C(1) << f));
    CHECK(isfinite(s) && fabs(s) < 9223372036854775808.0,
          "value %g does not fit fixed point with %d fractional bits (|x| < %g)", x, f, fx_range(f));
    /* Through int64_t: converting a negative double straight to uint64_t is undefined. */
    return (uint64_t)(int64_t)s;
}

double fx_decode(uint64_t v, int f)
{
    return ldexp((double)(int64_t)v, -f);
}

void fx_encode_n(uint64_t *out, const double *x, size_t n, int f)
{
    for (size_t i = 0; i < n; i++) out[i] = fx_encode(x[i], f);
}

void fx_decode_n(double *out, const uint64_t *v, size_t n, int f)
{
    for (size_t i = 0; i < n; i++) out[i] = fx_decode(v[i], f);
}

/* chk.c -- fatal-on-failure allocation helpers and the error-message helper. */
#include "chk.h"

#include <stdarg.h>

void *chk_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    CHECK(p != NULL, "out of memory allocating %zu bytes", n);
    return p;
}

void *chk_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    CHECK(p != NULL, "out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

void *chk_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    CHECK(q != NULL, "out of memory reallocating %zu bytes", n);
    return q;
}

int chk_errf(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

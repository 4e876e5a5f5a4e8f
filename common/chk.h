/* chk.h -- CHECK macro for programming errors (shape mismatch, NULL, protocol desync).
 *
 * CHECK prints file:line, the message and a HINT line, then aborts. Environmental failures
 * (I/O, bad config, peer closed) are NOT checks: they return negative error codes instead.
 * Library code never calls exit(). */
#ifndef CHK_H
#define CHK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                          \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n  ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                         \
            fprintf(stderr, "\n  HINT: this is a programming error, not bad input\n"); \
            abort();                                                              \
        }                                                                         \
    } while (0)

#define WUR __attribute__((warn_unused_result))

/* Allocation that cannot fail silently: out of memory is fatal. */
void *chk_malloc(size_t n);
void *chk_calloc(size_t count, size_t size);
void *chk_realloc(void *p, size_t n);

/* Formats a message into err (errlen bytes; nothing if err is NULL or errlen 0) and returns code:
 * `return chk_errf(err, errlen, MY_EIO, "%s: ...", path);` for functions reporting bad input. */
__attribute__((format(printf, 4, 5))) int chk_errf(char *err, size_t errlen, int code, const char *fmt, ...);

#endif

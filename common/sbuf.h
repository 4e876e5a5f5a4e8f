/* sbuf.h -- a growable, always NUL-terminated byte buffer (text building in parsers and loaders).
 * Zero-initialise (sbuf b = {0}), append, free. Out of memory is fatal (CHECK). */
#ifndef SBUF_H
#define SBUF_H

#include <stddef.h>

typedef struct sbuf {
    char *p;    /* NULL until the first append */
    size_t n;   /* bytes used, excluding the NUL */
    size_t cap;
} sbuf;

void sbuf_reserve(sbuf *b, size_t extra);
void sbuf_put(sbuf *b, const char *s, size_t n);
void sbuf_putc(sbuf *b, char c);
void sbuf_free(sbuf *b);

#endif

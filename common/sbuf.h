/* sbuf.h -- a growable, always NUL-terminated byte buffer (text building in parsers and loaders).
 * Zero-initialise (sbuf b = {0}), append, free. Out of memory is fatal (CHECK). */
#ifndef SBUF_H
#define SBUF_H

#include <stddef.h>
#include <stdio.h>

typedef struct sbuf {
    char *p;    /* NULL until the first append */
    size_t n;   /* bytes used, excluding the NUL */
    size_t cap;
} sbuf;

void sbuf_reserve(sbuf *b, size_t extra);
void sbuf_put(sbuf *b, const char *s, size_t n);
void sbuf_putc(sbuf *b, char c);
void sbuf_free(sbuf *b);
/* Reads one line of f into b (replacing its contents; the '\n' is not kept; NUL bytes are kept).
 * Returns 1 for a line, 0 at end of file, -1 on a read error, -2 when the line has more than max
 * bytes (then b holds its first max bytes and the rest of the line is not read): a reader of
 * untrusted files bounds its memory with it (a file of zeros is one endless line). */
int sbuf_getline(sbuf *b, FILE *f, size_t max);

#endif

/* sbuf.c -- see sbuf.h. */
#include "sbuf.h"

#include <stdlib.h>
#include <string.h>

#include "chk.h"

void sbuf_reserve(sbuf *b, size_t extra)
{
    if (b->n + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + extra + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    CHECK(p != NULL, "out of memory (%zu bytes)", cap);
    b->p = p;
    b->cap = cap;
}

void sbuf_put(sbuf *b, const char *s, size_t n)
{
    sbuf_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void sbuf_putc(sbuf *b, char c) { sbuf_put(b, &c, 1); }

void sbuf_free(sbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

int sbuf_getline(sbuf *b, FILE *f, size_t max)
{
    b->n = 0;
    sbuf_reserve(b, 0);
    b->p[0] = 0;
    int c, any = 0;
    while ((c = getc(f)) != EOF) {
        any = 1;
        if (c == '\n') return 1;
        if (b->n == max) return -2;
        sbuf_putc(b, (char)c);
    }
    if (ferror(f)) return -1;
    return any;
}

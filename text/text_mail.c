/* text_mail.c -- the body of an RFC 822 / MIME e-mail as plain UTF-8 text. See text_mail.h. */
#include "text_mail.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/chk.h"
#include "../common/sbuf.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void put_utf8(sbuf *b, uint32_t c)
{
    char e[4];
    size_t k;
    if (c < 0x80) e[0] = (char)c, k = 1;
    else if (c < 0x800) e[0] = (char)(0xC0 | (c >> 6)), e[1] = (char)(0x80 | (c & 0x3F)), k = 2;
    else if (c < 0x10000)
        e[0] = (char)(0xE0 | (c >> 12)), e[1] = (char)(0x80 | ((c >> 6) & 0x3F)), e[2] = (char)(0x80 | (c & 0x3F)), k = 3;
    else
        e[0] = (char)(0xF0 | (c >> 18)), e[1] = (char)(0x80 | ((c >> 12) & 0x3F)),
        e[2] = (char)(0x80 | ((c >> 6) & 0x3F)), e[3] = (char)(0x80 | (c & 0x3F)), k = 4;
    sbuf_put(b, e, k);
}

typedef struct mime_info {
    char type[64];      /* lowercase media type, "" if none */
    char boundary[201]; /* multipart boundary, "" if none */
    int cte;            /* 0 identity, 1 quoted-printable, 2 base64 */
} mime_info;

/* Next line [*ls, *le) from pos (le excludes "\n" and a trailing "\r"); returns the next pos. */
static size_t next_line(const char *s, size_t n, size_t pos, size_t *ls, size_t *le)
{
    const char *nl = memchr(s + pos, '\n', n - pos);
    size_t e = nl ? (size_t)(nl - s) : n;
    *ls = pos;
    *le = (e > pos && s[e - 1] == '\r') ? e - 1 : e;
    return nl ? e + 1 : n;
}

static int ci_prefix(const char *s, size_t n, const char *pre)
{
    size_t k = strlen(pre);
    if (n < k) return 0;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)s[i]) != pre[i]) return 0;
    return 1;
}

/* Case-insensitive search of a lowercase needle. */
static const char *ci_find(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (tolower((unsigned char)s[i]) == needle[0] && ci_prefix(s + i, n - i, needle)) return s + i;
    return NULL;
}

static void parse_content_type(const char *v, size_t n, mime_info *mi)
{
    size_t i = 0, k = 0;
    while (i < n && isspace((unsigned char)v[i])) i++;
    while (i < n && v[i] != ';' && !isspace((unsigned char)v[i]) && k + 1 < sizeof mi->type)
        mi->type[k++] = (char)tolower((unsigned char)v[i++]);
    mi->type[k] = 0;
    const char *b = ci_find(v, n, "boundary=");
    if (!b) return;
    size_t j = (size_t)(b - v) + 9;
    k = 0;
    if (j < n && v[j] == '"') {
        j++;
        while (j < n && v[j] != '"' && k + 1 < sizeof mi->boundary) mi->boundary[k++] = v[j++];
    } else {
        while (j < n && v[j] != ';' && !isspace((unsigned char)v[j]) && k + 1 < sizeof mi->boundary)
            mi->boundary[k++] = v[j++];
    }
    mi->boundary[k] = 0;
}

static int looks_like_field(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] > 32 && s[i] < 127 && s[i] != ':') i++;
    return i > 0 && i < n && s[i] == ':';
}

/* Reads the header block of s; returns where the body starts. For a MIME part (`part`), a first
 * line that is not a header field means "no headers". No empty line: all header, empty body. */
static size_t read_headers(const char *s, size_t n, int part, mime_info *mi)
{
    memset(mi, 0, sizeof *mi);
    size_t pos = 0, ls, le;
    if (part && n) {
        next_line(s, n, 0, &ls, &le);
        if (le > ls && !looks_like_field(s + ls, le - ls)) return 0;
    }
    sbuf ct = {0}, cte = {0};
    sbuf *cur = NULL;
    size_t body = n;
    while (pos < n) {
        pos = next_line(s, n, pos, &ls, &le);
        if (le == ls) {
            body = pos;
            break;
        }
        if (s[ls] == ' ' || s[ls] == '\t') { /* folded continuation */
            if (cur) sbuf_put(cur, s + ls, le - ls);
            continue;
        }
        cur = NULL;
        if (ci_prefix(s + ls, le - ls, "content-type:")) cur = &ct, ct.n = 0, ls += 13;
        else if (ci_prefix(s + ls, le - ls, "content-transfer-encoding:")) cur = &cte, cte.n = 0, ls += 26;
        if (cur) sbuf_put(cur, s + ls, le - ls);
    }
    if (ct.n) parse_content_type(ct.p, ct.n, mi);
    if (cte.n) {
        if (ci_find(cte.p, cte.n, "quoted-printable")) mi->cte = 1;
        else if (ci_find(cte.p, cte.n, "base64")) mi->cte = 2;
    }
    free(ct.p);
    free(cte.p);
    return body;
}

static void decode_qp(const char *s, size_t n, sbuf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '=') {
            sbuf_putc(out, s[i]);
            continue;
        }
        if (i + 1 < n && s[i + 1] == '\n') { /* soft line break */
            i += 1;
            continue;
        }
        if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
            i += 2;
            continue;
        }
        int h1 = i + 1 < n ? hexval((unsigned char)s[i + 1]) : -1, h2 = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
        if (h1 >= 0 && h2 >= 0) {
            sbuf_putc(out, (char)(h1 * 16 + h2));
            i += 2;
        } else {
            sbuf_putc(out, '=');
        }
    }
}

static void decode_b64(const char *s, size_t n, sbuf *out)
{
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i], v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+') v = 62;
        else if (c == '/') v = 63;
        else if (c == '=') break;
        else continue;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            sbuf_putc(out, (char)((acc >> bits) & 0xFF));
        }
    }
}

/* Lines that are MIME debris even after parsing: undeclared boundaries, base64 blobs. */
static int debris_line(const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (n >= 14 && s[0] == '-' && s[1] == '-' && !memchr(s, ' ', n) && !memchr(s, '\t', n)) return 1;
    if (n < 40) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '+' || c == '/' || c == '=')) return 0;
    }
    return 1;
}

static int looks_like_html(const char *s, size_t n)
{
    static const char *const marks[] = {"<html", "<body", "<br", "<p>", "<font", "<table", "<div", "<a href"};
    for (size_t k = 0; k < sizeof marks / sizeof *marks; k++)
        if (ci_find(s, n, marks[k])) return 1;
    return 0;
}

static int inline_tag(const char *name)
{
    static const char *const tags[] = {"a", "b", "i", "u", "em", "strong", "font", "span", "small",
                                       "big", "sub", "sup", "s", "strike", "tt"};
    for (size_t k = 0; k < sizeof tags / sizeof *tags; k++)
        if (strcmp(name, tags[k]) == 0) return 1;
    return 0;
}

/* &name; and &#N; / &#xH; at s[i] ('&'); returns bytes consumed (0 = not an entity). */
static size_t html_entity(const char *s, size_t n, size_t i, sbuf *out)
{
    static const struct {
        const char *name;
        char c;
    } ents[] = {{"nbsp", ' '}, {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
    const char *semi = memchr(s + i, ';', (n - i) < 12 ? n - i : 12);
    if (!semi) return 0;
    size_t len = (size_t)(semi - (s + i)) + 1;
    const char *name = s + i + 1;
    size_t nl = len - 2;
    if (nl >= 2 && name[0] == '#') {
        uint32_t v = 0;
        int hex = name[1] == 'x' || name[1] == 'X';
        size_t k = hex ? 2 : 1;
        if (k >= nl) return 0;
        for (; k < nl; k++) {
            int d = hex ? hexval((unsigned char)name[k]) : (isdigit((unsigned char)name[k]) ? name[k] - '0' : -1);
            if (d < 0 || v > 0x10FFFF) return 0;
            v = v * (hex ? 16u : 10u) + (uint32_t)d;
        }
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
        put_utf8(out, v);
        return len;
    }
    for (size_t k = 0; k < sizeof ents / sizeof *ents; k++)
        if (strlen(ents[k].name) == nl && ci_prefix(name, nl, ents[k].name)) {
            sbuf_putc(out, ents[k].c);
            return len;
        }
    return 0;
}

static void strip_html(const char *s, size_t n, sbuf *out)
{
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (c == '&') {
            size_t k = html_entity(s, n, i, out);
            if (k) {
                i += k;
                continue;
            }
        }
        if (c != '<' || i + 1 >= n ||
            !(isalpha((unsigned char)s[i + 1]) || s[i + 1] == '/' || s[i + 1] == '!' || s[i + 1] == '?')) {
            sbuf_putc(out, c);
            i++;
            continue;
        }
        if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
            const char *e = NULL;
            for (size_t j = i + 4; j + 3 <= n; j++)
                if (memcmp(s + j, "-->", 3) == 0) {
                    e = s + j;
                    break;
                }
            i = e ? (size_t)(e - s) + 3 : n;
            sbuf_putc(out, ' ');
            continue;
        }
        size_t lim = n - i < 4096 ? n : i + 4096;
        const char *gt = memchr(s + i, '>', lim - i);
        if (!gt) { /* a lone '<' in text */
            sbuf_putc(out, c);
            i++;
            continue;
        }
        char name[16];
        size_t j = i + 1, k = 0;
        int closing = 0;
        if (s[j] == '/') closing = 1, j++;
        while (j < n && isalnum((unsigned char)s[j]) && k + 1 < sizeof name) name[k++] = (char)tolower((unsigned char)s[j++]);
        name[k] = 0;
        i = (size_t)(gt - s) + 1;
        if (!closing && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0)) {
            char endtag[24];
            snprintf(endtag, sizeof endtag, "</%s", name);
            const char *e = ci_find(s + i, n - i, endtag);
            const char *g = e ? memchr(e, '>', n - (size_t)(e - s)) : NULL;
            i = g ? (size_t)(g - s) + 1 : n;
            sbuf_putc(out, ' ');
            continue;
        }
        if (!inline_tag(name)) sbuf_putc(out, ' ');
    }
}

static void body_text(const char *s, size_t n, int html, sbuf *out)
{
    sbuf kept = {0};
    size_t pos = 0, ls, le;
    while (pos < n) {
        pos = next_line(s, n, pos, &ls, &le);
        if (debris_line(s + ls, le - ls)) continue;
        sbuf_put(&kept, s + ls, le - ls);
        sbuf_putc(&kept, '\n');
    }
    if (kept.n && (html || looks_like_html(kept.p, kept.n))) strip_html(kept.p, kept.n, out);
    else if (kept.n) sbuf_put(out, kept.p, kept.n);
    sbuf_putc(out, '\n');
    free(kept.p);
}

static void mime_entity(const char *s, size_t n, const mime_info *mi, int depth, sbuf *out);

static int blank_from(const char *s, size_t n, size_t i)
{
    for (; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return 0;
    return 1;
}

/* 1 if the line is "--boundary", 2 if "--boundary--" (RFC 2046: optional trailing whitespace), else
 * 0. A longer boundary that merely starts with this one (nested parts) does not match. */
static int delimiter(const char *s, size_t n, const char *b, size_t bl)
{
    if (n < bl + 2 || s[0] != '-' || s[1] != '-' || memcmp(s + 2, b, bl) != 0) return 0;
    if (blank_from(s, n, bl + 2)) return 1;
    if (n >= bl + 4 && s[bl + 2] == '-' && s[bl + 3] == '-' && blank_from(s, n, bl + 4)) return 2;
    return 0;
}

/* One part of a multipart body: its own headers, then its content. */
static void mime_part(const char *s, size_t n, int depth, sbuf *out)
{
    mime_info pm;
    size_t b = read_headers(s, n, 1, &pm);
    mime_entity(s + b, n - b, &pm, depth + 1, out);
}

static void mime_message(const char *s, size_t n, int depth, sbuf *out)
{
    mime_info mi;
    size_t b = read_headers(s, n, 0, &mi);
    mime_entity(s + b, n - b, &mi, depth, out);
}

static void mime_entity(const char *s, size_t n, const mime_info *mi, int depth, sbuf *out)
{
    if (depth > 8) return;
    if (strncmp(mi->type, "multipart/", 10) == 0 && mi->boundary[0]) {
        size_t bl = strlen(mi->boundary), pos = 0, ls, le, part = SIZE_MAX;
        int found = 0, closed = 0;
        while (pos < n && !closed) {
            size_t at = pos;
            pos = next_line(s, n, pos, &ls, &le);
            int kind = delimiter(s + ls, le - ls, mi->boundary, bl);
            if (!kind) continue;
            found = 1;
            if (part != SIZE_MAX) mime_part(s + part, at - part, depth, out); /* ends before this line */
            closed = kind == 2;
            part = pos;
        }
        if (found && !closed && part < n) mime_part(s + part, n - part, depth, out); /* truncated: no close */
        if (found) return;
        /* no delimiter at all: treat the body as plain text */
    } else if (strcmp(mi->type, "message/rfc822") == 0) {
        mime_message(s, n, depth + 1, out);
        return;
    } else if (mi->type[0] && strncmp(mi->type, "text/", 5) != 0 && strncmp(mi->type, "multipart/", 10) != 0) {
        return; /* attachment, image, ... */
    }
    int html = strcmp(mi->type, "text/html") == 0;
    if (mi->cte == 0) {
        body_text(s, n, html, out);
        return;
    }
    sbuf dec = {0};
    if (mi->cte == 1) decode_qp(s, n, &dec);
    else decode_b64(s, n, &dec);
    if (dec.n) body_text(dec.p, dec.n, html, out);
    free(dec.p);
}

/* Windows-1252 in 0x80-0x9F (its superset of Latin-1 that these emails use for quotes, dashes and
 * bullets); 0 where it is undefined. */
static const uint16_t cp1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

/* Valid UTF-8 sequences are kept, except C1 controls (U+0080-U+009F) which become spaces; any
 * other byte is read as Windows-1252 (Latin-1 plus quotes, dashes, ... in 0x80-0x9F; its five
 * undefined bytes become spaces). */
static void to_utf8(const char *s, size_t n, sbuf *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        size_t need = 0;
        uint32_t min = 0, v = 0;
        if (c < 0x80) {
            sbuf_putc(out, (char)c);
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) need = 1, min = 0x80, v = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) need = 2, min = 0x800, v = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) need = 3, min = 0x10000, v = c & 0x07;
        int ok = need > 0 && i + need < n;
        for (size_t j = 1; ok && j <= need; j++) {
            if (i + j >= n || (u[i + j] & 0xC0) != 0x80) ok = 0;
            else v = (v << 6) | (u[i + j] & 0x3F);
        }
        if (ok && (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))) ok = 0;
        if (ok) {
            if (v < 0xA0) sbuf_putc(out, ' ');
            else sbuf_put(out, s + i, need + 1);
            i += need + 1;
        } else {
            uint32_t w = c < 0xA0 ? cp1252[c - 0x80] : c;
            if (w) put_utf8(out, w);
            else sbuf_putc(out, ' ');
            i++;
        }
    }
}

char *text_mail_body(const char *msg, size_t len, size_t *out_len)
{
    sbuf raw = {0}, utf = {0};
    mime_message(msg, len, 0, &raw);
    to_utf8(raw.p ? raw.p : "", raw.n, &utf);
    free(raw.p);
    /* ASCII controls -> space, collapse runs, trim */
    char *r = chk_malloc(utf.n + 1);
    size_t k = 0;
    int space = 1; /* drops leading spaces */
    for (size_t i = 0; i < utf.n; i++) {
        unsigned char c = (unsigned char)utf.p[i];
        if (c < 0x20 || c == 0x7F || c == ' ') {
            if (!space) r[k++] = ' ';
            space = 1;
            continue;
        }
        r[k++] = (char)c;
        space = 0;
    }
    if (k && r[k - 1] == ' ') k--;
    r[k] = 0;
    free(utf.p);
    if (out_len) *out_len = k;
    return r;
}

/* text_mail.h -- the body of an e-mail (RFC 822 headers, MIME multipart, quoted-printable, base64,
 * HTML) as plain UTF-8 text, for the SpamAssassin corpus (text_data_spam_read). Never prints; never
 * fails (any bytes give some text, possibly empty). */
#ifndef TEXT_MAIL_H
#define TEXT_MAIL_H

#include <stddef.h>

/* The message body of one raw RFC 822 email as a single line of text (malloc'd, NUL-terminated,
 * possibly empty). Crude on purpose, no attempt at a full MIME implementation:
 *   1. the header (everything up to the first empty line) is dropped; Content-Type (with its
 *      boundary) and Content-Transfer-Encoding are read from it, folded lines included;
 *   2. multipart bodies are split at their boundary lines (nested up to 8 deep); preamble,
 *      epilogue, boundary lines and part headers are dropped; parts that are not text (images,
 *      attachments) are dropped; message/rfc822 parts are treated as an email;
 *   3. text parts are decoded: quoted-printable and base64 (charsets are not converted);
 *   4. lines that still look like MIME debris are dropped: boundary-like lines ("--" followed by
 *      12+ characters and no space) and base64-like lines (40+ characters of [A-Za-z0-9+/=]);
 *   5. text/html parts, and text that looks like HTML (<html, <body, <br, <p>, <font, <table,
 *      <div, <a href), lose their tags: comments, <script> and <style> with their contents go,
 *      inline tags (a b i u em strong font span small big sub sup s strike tt) vanish, all other
 *      tags (br p div td ...) become a space; the
 *      entities &nbsp; &amp; &lt; &gt; &quot; &apos; and &#N; / &#xH; are decoded;
 *   6. bytes that are not valid UTF-8 are read as Windows-1252 (Latin-1 with quotes and dashes in
 *      0x80-0x9F; most of these 2002 emails are ISO-8859-1 or cp1252) and re-encoded as UTF-8, so
 *      the result is always valid UTF-8; C1 controls (U+0080-U+009F) become spaces;
 *   7. ASCII control characters become spaces, whitespace runs collapse to one space, and the
 *      result is trimmed. */
char *text_mail_body(const char *msg, size_t len, size_t *out_len);

#endif

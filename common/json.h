/* json.h -- a small strict JSON parser (RFC 8259) into a read-only DOM, enough for safetensors
 * headers and Hugging Face config.json files.
 *
 * Strict: one value with optional whitespace around it; no comments, trailing commas, BOM, NaN or
 * leading zeros; strings must be valid UTF-8 with control characters escaped; \uXXXX escapes are
 * decoded to UTF-8 (surrogate pairs joined, lone surrogates rejected); duplicate keys within one
 * object are rejected (safetensors names must be unique). The input is (buf, len) and is never read
 * past len, so it need not be NUL-terminated.
 *
 * Numbers: an integral literal (no fraction or exponent) that fits in int64 is JSON_INT with its
 * exact value; every other number is JSON_DOUBLE (strtod, C locale assumed). Numbers longer than
 * 511 characters or outside double's range are rejected.
 *
 * Limits bound time and memory on hostile input: nesting depth JSON_MAX_DEPTH, JSON_MAX_VALUES
 * values in a document, JSON_MAX_INPUT bytes of input. All memory (values, strings, member arrays)
 * lives in one arena owned by the json_doc and released by json_free. */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>

#include "chk.h"

#define JSON_MAX_DEPTH 64
#define JSON_MAX_VALUES (1u << 20)
#define JSON_MAX_INPUT ((size_t)256 << 20)

/* Result codes of json_parse (0 = success). */
enum {
    JSON_OK = 0,
    JSON_ESYNTAX = -1, /* not valid JSON (including invalid UTF-8 and duplicate keys) */
    JSON_EDEPTH = -2,  /* nested deeper than JSON_MAX_DEPTH */
    JSON_ELIMIT = -3,  /* input, value count or number length over a limit */
};

typedef enum json_type {
    JSON_NULL, JSON_BOOL, JSON_INT, JSON_DOUBLE, JSON_STRING, JSON_ARRAY, JSON_OBJECT
} json_type;

typedef struct json_member json_member;

typedef struct json_value {
    json_type type;
    size_t off; /* byte offset of the value's first character in the input */
    union {
        int b;      /* JSON_BOOL: 0 or 1 */
        int64_t i;  /* JSON_INT */
        double d;   /* JSON_DOUBLE */
        struct { const char *s; size_t len; } str;           /* UTF-8, NUL-terminated; len excludes
                                                                 the NUL (may hold \u0000 bytes) */
        struct { const struct json_value *v; size_t n; } arr; /* elements in order */
        struct { const json_member *m; size_t n; } obj;       /* members in input order */
    } u;
} json_value;

struct json_member {
    const char *key; /* decoded, NUL-terminated */
    size_t key_len;
    json_value val;
};

typedef struct json_error {
    size_t off;     /* byte offset in the input where the problem was found */
    char msg[160];  /* what is wrong there (without the offset) */
} json_error;

struct json_chunk;
typedef struct json_doc {
    json_value root;
    struct json_chunk *arena; /* owned */
} json_doc;

/* Parses buf[0..len). On success fills doc (free it with json_free) and returns JSON_OK; on failure
 * returns a negative JSON_E* code, fills *e (if e != NULL) and leaves doc empty (json_free is then
 * a harmless no-op). */
int json_parse(json_doc *doc, const char *buf, size_t len, json_error *e) WUR;
/* Releases the arena; every pointer into the document becomes invalid. NULL and empty docs are fine. */
void json_free(json_doc *doc);

/* Member `key` of an object (exact byte comparison), or NULL if v is not an object or has none. */
const json_value *json_get(const json_value *v, const char *key);
/* 1 and *out set if v is a number with an integral value representable as int64 (JSON_INT, or a
 * JSON_DOUBLE like 768.0 below 2^63), else 0. */
int json_as_int64(const json_value *v, int64_t *out);
/* "null", "boolean", "integer", "number", "string", "array", "object". */
const char *json_type_name(json_type t);

#endif

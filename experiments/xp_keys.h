/* xp_keys.h -- key files for `mpcsim party` (net/net_tcp_sec.h keys):
 *   secret key file: one line "mpcsim secret key x25519:<base64url>", mode 0600 (a file others can
 *     read is refused, as ssh does);
 *   public key: "x25519:<base64url>" (the whole key, so also its fingerprint), inline on the command
 *     line or as the content of a NAME.pub file.
 * Each loader prints a message naming the problem and returns -1, or returns 0. */
#ifndef XP_KEYS_H
#define XP_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "../net/net_tcp_sec.h"

enum { XP_KEY_SECRET_TEXT = NET_KEY_TEXT + 32 };

/* The secret key file's line (with its newline) into out; returns its length. */
int xp_key_format_secret(char out[XP_KEY_SECRET_TEXT], const net_keypair *k);
/* Parses a secret key file's text; fills the pair (public half derived). 0, or -1 (no message). */
int xp_key_parse_secret(const char *text, net_keypair *k);
/* Reads a small text (up to cap - 1 bytes, NUL-terminated) from fd until EOF. 0, or -1 (errno). */
int xp_key_read_fd(int fd, char *buf, size_t cap);
/* --key FILE. */
int xp_key_load_secret(const char *path, net_keypair *k);
/* A peer's public key for role (for messages): x25519:... inline, or a file holding it. */
int xp_key_load_public(const char *v, uint8_t key[NET_KEY_BYTES], const char *role);

#endif

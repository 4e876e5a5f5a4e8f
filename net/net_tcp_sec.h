/* net_tcp_sec.h -- the TCP backend's cryptography: long-term X25519 key pairs, the handshake that
 * authenticates both ends of a connection and derives its session keys, and the per-frame AEAD.
 * libsodium: X25519 (crypto_scalarmult), BLAKE2b (crypto_generichash) as hash and KDF. OpenSSL's
 * libcrypto (EVP): AES-256-GCM for every encrypted byte (handshake payloads and frames); EVP picks
 * the AES-NI/VAES and (V)PCLMULQDQ code paths at run time. Wire version 3; version 2 sealed with
 * XChaCha20-Poly1305 and is refused (net_hs_parse_fixed tells the two apart for the message).
 *
 * ---- Handshake (Noise KK pattern: both sides know each other's static public key) ----
 * I = the connecting party (initiator), R = the accepting one (responder); s = static, e = ephemeral.
 *   h = BLAKE2b("mpcsim-tcp-KK/3" || version || from || to || s_I.pub || s_R.pub), ck = h
 *   msg1 I->R: hdr | e_I.pub | AEAD_k1(payload1)  with ck,k1 = KDF(ck, DH(e_I,s_R) || DH(s_I,s_R))
 *   msg2 R->I: hdr | e_R.pub | AEAD_k2(payload2)  with ck,k2 = KDF(ck, DH(e_R,e_I) || DH(e_R,s_I))
 *   session keys: k_i2r = BLAKE2b_ck("i2r" || h), k_r2i = BLAKE2b_ck("r2i" || h)
 *   msg3 I->R: a CONFIRM frame (empty, sealed with k_i2r, counter 0).
 * AEAD_k: AES-256-GCM under the one-message key k with nonce 0 (k1 and k2 are used once each).
 * h absorbs every public value and ciphertext and is each AEAD's associated data. msg1 opens only
 * for a holder of s_R (or s_I): R knows a stranger at once and drops it without a word. msg2 opens
 * only for I, and proves R holds s_R (DH(e_I, s_R) is in k2's chain). msg3 proves I's freshness
 * (DH(e_R, s_I) is in k_i2r): a replayed msg1 never gets past it, so R commits a connection to a
 * peer's slot only at msg3. The ephemeral keys give forward secrecy; the payloads (the
 * configuration: hash and description) are encrypted.
 * Wire format of msg1 and msg2 (little-endian):
 *     u32 magic "MPCH" | u32 version | u32 from | u32 to | u32 ct_len | e.pub[32] | ct[ct_len]
 * from/to name the sender and the receiver of THIS message. ct_len is checked against
 * [NET_HS_TAG, NET_HS_MAX_CT] before anything is read.
 * Payload: u32 status | u32 hash_len | hash | u32 desc_len | desc (status: NET_HS_OK or
 * NET_HS_MISMATCH, the latter only in msg2).
 *
 * ---- Frames ----
 * A sealed frame is the 48-byte header (plaintext: it carries only the type, the length and the
 * public round label; authenticated as associated data), the payload encrypted, and a 16-byte tag:
 * NET_TCP_TAG_BYTES more than a plaintext frame. AES-256-GCM, one key per direction; the 96-bit
 * nonce is the frame's counter in its direction (8 bytes little-endian, then 4 zero bytes; implicit,
 * never sent: 0 bytes on the wire), so a dropped, replayed or reordered frame fails, and no nonce
 * repeats under a key (2^64 frames per connection at most; the CONFIRM frame is counter 0). */
#ifndef NET_TCP_SEC_H
#define NET_TCP_SEC_H

#include <stddef.h>
#include <stdint.h>

#include "../common/chk.h"

enum {
    NET_KEY_BYTES = 32,
    NET_TCP_TAG_BYTES = 16,
    NET_HS_VERSION = 3,  /* 2: XChaCha20-Poly1305 (refused) */
    NET_AEAD_NONCE_BYTES = 12,
    NET_HS_FIXED = 52,   /* header and ephemeral key */
    NET_HS_TAG = 16,
    NET_HS_MAX_PAYLOAD = 12 + 64 + 1024,
    NET_HS_MAX_CT = NET_HS_MAX_PAYLOAD + NET_HS_TAG,
    NET_HS_MAX_MSG = NET_HS_FIXED + NET_HS_MAX_CT,
    NET_KEY_TEXT = 8 + 44, /* "x25519:" + 43 base64url characters + NUL */
};
enum { NET_HS_OK = 0, NET_HS_MISMATCH = 1 };
#define NET_HS_MAGIC 0x4843504Du /* "MPCH" little-endian */
#define NET_TCP_CIPHER "AES-256-GCM" /* the record layer's AEAD, for messages and documentation */

typedef struct net_keypair {
    uint8_t pk[NET_KEY_BYTES], sk[NET_KEY_BYTES];
} net_keypair;

/* A fresh key pair from the OS CSPRNG. */
void net_key_generate(net_keypair *k);
/* The public half of a secret key. */
void net_key_from_secret(net_keypair *k, const uint8_t sk[NET_KEY_BYTES]);
/* "x25519:<base64url of the 32 bytes>": the key's printable form, which is also its fingerprint
 * (the whole key: nothing to collide). */
void net_key_format(char out[NET_KEY_TEXT], const uint8_t key[NET_KEY_BYTES]);
/* Parses net_key_format's output (trailing whitespace allowed). 0, or -1. */
int net_key_parse(const char *s, uint8_t key[NET_KEY_BYTES]);

typedef struct net_hs {
    int initiator;
    uint32_t version, from, to;          /* from = initiator, to = responder */
    net_keypair s;                       /* ours */
    uint8_t rs[NET_KEY_BYTES];           /* the peer's static public key */
    net_keypair e;                       /* our ephemeral */
    uint8_t re[NET_KEY_BYTES];           /* the peer's ephemeral */
    uint8_t h[32], ck[32];
    uint8_t k_send[32], k_recv[32];      /* session keys, after msg2 */
} net_hs;

typedef struct net_hs_hdr {
    uint32_t magic, version, from, to, ct_len;
} net_hs_hdr;

/* Starts a handshake between initiator `from` and responder `to`; rs = the peer's static key. */
void net_hs_init(net_hs *hs, int initiator, uint32_t from, uint32_t to, const net_keypair *s,
                 const uint8_t rs[NET_KEY_BYTES]);
/* Decodes and checks the fixed part of msg1/msg2 (NET_HS_FIXED bytes): magic, version and ct_len
 * bounds. 0; -1 (not a handshake of ours); -2 (ours, but of another version: h->version). */
int net_hs_parse_fixed(const uint8_t *b, size_t n, net_hs_hdr *h);
/* Builds msg1 (initiator) or msg2 (responder) with the payload; returns its length. out holds
 * NET_HS_MAX_MSG bytes. pln <= NET_HS_MAX_PAYLOAD. */
size_t net_hs_write(net_hs *hs, const uint8_t *pl, size_t pln, uint8_t *out);
/* Reads the peer's message (msg1 at the responder, msg2 at the initiator), whose fixed part was
 * checked: authenticates it and decrypts the payload into pl (NET_HS_MAX_PAYLOAD bytes). 0, or -1:
 * the sender does not hold the expected key (or the message was altered). */
int net_hs_read(net_hs *hs, const uint8_t *msg, size_t n, uint8_t *pl, size_t *pln);
/* Wipes the handshake's secrets. */
void net_hs_wipe(net_hs *hs);

/* Payload: encode (returns its length; out holds NET_HS_MAX_PAYLOAD bytes) and decode with every
 * bound checked (0, or -1 malformed). desc is NUL-terminated on output (1025 bytes). */
size_t net_hs_payload_encode(uint8_t *out, uint32_t status, const uint8_t *hash, size_t hash_len, const char *desc);
int net_hs_payload_decode(const uint8_t *p, size_t n, uint32_t *status, uint8_t hash[64], size_t *hash_len,
                          char desc[1025]);

/* One direction's AEAD key (AES-256-GCM), its key schedule kept for every frame. */
typedef struct net_aead net_aead;
net_aead *net_aead_new(const uint8_t key[NET_KEY_BYTES], int encrypt);
void net_aead_free(net_aead *a); /* NULL: no-op */
/* Seals in[0..n) into out (in == out allowed) with nonce ctr and associated data ad[0..adn); writes
 * the tag. Open: checks and decrypts (in == out allowed): 0, or -1 (forged, altered, out of order;
 * out is then zeroed). A key made for sealing never opens and vice versa. */
void net_aead_seal(net_aead *a, uint64_t ctr, const uint8_t *ad, size_t adn, const uint8_t *in, uint8_t *out,
                   size_t n, uint8_t tag[NET_TCP_TAG_BYTES]);
int net_aead_open(net_aead *a, uint64_t ctr, const uint8_t *ad, size_t adn, const uint8_t *in, uint8_t *out,
                  size_t n, const uint8_t tag[NET_TCP_TAG_BYTES]) WUR;
/* The same in pieces (a frame sealed or opened as its bytes go out or come in): begin (nonce ctr,
 * associated data), update any number of times (in == out allowed; GCM is a stream, so the pieces
 * give the bytes one call gives), then the tag: seal_final writes it, open_final checks it (0, or
 * -1: the caller must discard -- and wipe -- everything update produced). */
void net_aead_begin(net_aead *a, uint64_t ctr, const uint8_t *ad, size_t adn);
void net_aead_update(net_aead *a, const uint8_t *in, uint8_t *out, size_t n);
void net_aead_seal_final(net_aead *a, uint8_t tag[NET_TCP_TAG_BYTES]);
int net_aead_open_final(net_aead *a, const uint8_t tag[NET_TCP_TAG_BYTES]) WUR;

/* Frame AEAD with a one-shot key, in place: seal encrypts p[0..n) and writes the tag; open checks
 * the tag and decrypts (0, or -1: forged, altered, out of order). hdr (48 bytes) is associated data. */
void net_frame_seal(const uint8_t key[32], uint64_t ctr, const uint8_t *hdr, uint8_t *p, size_t n,
                    uint8_t tag[NET_TCP_TAG_BYTES]);
int net_frame_open(const uint8_t key[32], uint64_t ctr, const uint8_t *hdr, uint8_t *p, size_t n,
                   const uint8_t tag[NET_TCP_TAG_BYTES]);

#endif

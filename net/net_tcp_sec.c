/* net_tcp_sec.c -- keys, the KK handshake and the frame AEAD of the TCP backend. See net_tcp_sec.h. */
#include "net_tcp_sec.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../common/chk.h"

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static void sodium_ready(void) { CHECK(sodium_init() >= 0, "libsodium failed to initialise"); }

void net_key_generate(net_keypair *k)
{
    sodium_ready();
    randombytes_buf(k->sk, sizeof k->sk);
    crypto_scalarmult_base(k->pk, k->sk);
}

void net_key_from_secret(net_keypair *k, const uint8_t sk[NET_KEY_BYTES])
{
    sodium_ready();
    memcpy(k->sk, sk, NET_KEY_BYTES);
    crypto_scalarmult_base(k->pk, k->sk);
}

void net_key_format(char out[NET_KEY_TEXT], const uint8_t key[NET_KEY_BYTES])
{
    memcpy(out, "x25519:", 7);
    sodium_bin2base64(out + 7, NET_KEY_TEXT - 7, key, NET_KEY_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int net_key_parse(const char *s, uint8_t key[NET_KEY_BYTES])
{
    sodium_ready();
    if (strncmp(s, "x25519:", 7) != 0) return -1;
    const char *b = s + 7, *end = NULL;
    size_t n = 0;
    if (sodium_base642bin(key, NET_KEY_BYTES, b, strlen(b), " \t\r\n", &n, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n != NET_KEY_BYTES || *end)
        return -1;
    return 0;
}

/* ---- handshake ---- */

static void mix_hash(uint8_t h[32], const uint8_t *d, size_t n)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, h, 32);
    crypto_generichash_update(&st, d, n);
    crypto_generichash_final(&st, h, 32);
}

/* ck, k = BLAKE2b_ck("ck" || ikm), BLAKE2b_ck("k" || ikm). */
static void mix_key(uint8_t ck[32], uint8_t k[32], const uint8_t *ikm, size_t n)
{
    crypto_generichash_state st;
    uint8_t nck[32];
    crypto_generichash_init(&st, ck, 32, 32);
    crypto_generichash_update(&st, (const uint8_t *)"ck", 2);
    crypto_generichash_update(&st, ikm, n);
    crypto_generichash_final(&st, nck, 32);
    crypto_generichash_init(&st, ck, 32, 32);
    crypto_generichash_update(&st, (const uint8_t *)"k", 1);
    crypto_generichash_update(&st, ikm, n);
    crypto_generichash_final(&st, k, 32);
    memcpy(ck, nck, 32);
    sodium_memzero(nck, sizeof nck);
}

void net_hs_init(net_hs *hs, int initiator, uint32_t from, uint32_t to, const net_keypair *s,
                 const uint8_t rs[NET_KEY_BYTES])
{
    sodium_ready();
    memset(hs, 0, sizeof *hs);
    hs->initiator = initiator;
    hs->version = NET_HS_VERSION;
    hs->from = from;
    hs->to = to;
    hs->s = *s;
    memcpy(hs->rs, rs, NET_KEY_BYTES);
    static const char proto[] = "mpcsim-tcp-KK/3";
    uint8_t pro[12];
    put32(pro, hs->version);
    put32(pro + 4, from);
    put32(pro + 8, to);
    const uint8_t *si = initiator ? s->pk : rs, *sr = initiator ? rs : s->pk;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)proto, sizeof proto);
    crypto_generichash_update(&st, pro, sizeof pro);
    crypto_generichash_update(&st, si, NET_KEY_BYTES);
    crypto_generichash_update(&st, sr, NET_KEY_BYTES);
    crypto_generichash_final(&st, hs->h, 32);
    memcpy(hs->ck, hs->h, 32);
}

int net_hs_parse_fixed(const uint8_t *b, size_t n, net_hs_hdr *h)
{
    if (n < NET_HS_FIXED) return -1;
    h->magic = get32(b);
    h->version = get32(b + 4);
    h->from = get32(b + 8);
    h->to = get32(b + 12);
    h->ct_len = get32(b + 16);
    if (h->magic != NET_HS_MAGIC) return -1;
    if (h->version != NET_HS_VERSION) return -2;
    if (h->ct_len < NET_HS_TAG || h->ct_len > NET_HS_MAX_CT) return -1;
    return 0;
}

/* Which message is next: 1 (msg1) before any ephemeral was seen/sent, else 2. */
static int msg_no(const net_hs *hs, int writing)
{
    int have_e = !sodium_is_zero(hs->e.pk, NET_KEY_BYTES), have_re = !sodium_is_zero(hs->re, NET_KEY_BYTES);
    (void)writing;
    return have_e + have_re == 0 ? 1 : 2;
}

/* The two DH values of message m, from this side. -1 if a result is all zeros (low-order key). */
static int dh_pair(const net_hs *hs, int m, uint8_t out[64])
{
    int r = 0;
    if (m == 1) { /* es, ss */
        if (hs->initiator) r |= crypto_scalarmult(out, hs->e.sk, hs->rs);
        else r |= crypto_scalarmult(out, hs->s.sk, hs->re);
        r |= crypto_scalarmult(out + 32, hs->s.sk, hs->rs);
    } else { /* ee, se (R's ephemeral with I's static) */
        if (hs->initiator) {
            r |= crypto_scalarmult(out, hs->e.sk, hs->re);
            r |= crypto_scalarmult(out + 32, hs->s.sk, hs->re);
        } else {
            r |= crypto_scalarmult(out, hs->e.sk, hs->re);
            r |= crypto_scalarmult(out + 32, hs->e.sk, hs->rs);
        }
    }
    return r ? -1 : 0;
}

static void split(net_hs *hs)
{
    uint8_t i2r[32], r2i[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, hs->ck, 32, 32);
    crypto_generichash_update(&st, (const uint8_t *)"i2r", 3);
    crypto_generichash_update(&st, hs->h, 32);
    crypto_generichash_final(&st, i2r, 32);
    crypto_generichash_init(&st, hs->ck, 32, 32);
    crypto_generichash_update(&st, (const uint8_t *)"r2i", 3);
    crypto_generichash_update(&st, hs->h, 32);
    crypto_generichash_final(&st, r2i, 32);
    memcpy(hs->k_send, hs->initiator ? i2r : r2i, 32);
    memcpy(hs->k_recv, hs->initiator ? r2i : i2r, 32);
    sodium_memzero(i2r, sizeof i2r);
    sodium_memzero(r2i, sizeof r2i);
}

/* ---- AES-256-GCM (OpenSSL EVP: AES-NI / VAES and (V)PCLMULQDQ, chosen at run time) ---- */

struct net_aead {
    EVP_CIPHER_CTX *ctx;
    int enc;
};

/* The 96-bit nonce of counter ctr: its 8 bytes little-endian, then 4 zero bytes. */
static void gcm_nonce(uint8_t iv[NET_AEAD_NONCE_BYTES], uint64_t ctr)
{
    memset(iv, 0, NET_AEAD_NONCE_BYTES);
    for (int i = 0; i < 8; i++) iv[i] = (uint8_t)(ctr >> (8 * i));
}

net_aead *net_aead_new(const uint8_t key[NET_KEY_BYTES], int encrypt)
{
    net_aead *a = chk_calloc(1, sizeof *a);
    a->ctx = EVP_CIPHER_CTX_new();
    a->enc = encrypt;
    CHECK(a->ctx && EVP_CipherInit_ex(a->ctx, EVP_aes_256_gcm(), NULL, key, NULL, encrypt) == 1,
          "OpenSSL: AES-256-GCM is unavailable");
    return a;
}

void net_aead_free(net_aead *a)
{
    if (!a) return;
    EVP_CIPHER_CTX_free(a->ctx); /* clears the key schedule */
    free(a);
}

/* EVP takes int lengths: long payloads go through in pieces (GCM is a stream: same result). */
static int gcm_update(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t n)
{
    while (n) {
        int part = n > (1u << 30) ? 1 << 30 : (int)n, ol = 0;
        if (EVP_CipherUpdate(ctx, out, &ol, in, part) != 1 || ol != part) return -1;
        in += part, out += part, n -= (size_t)part;
    }
    return 0;
}

static int gcm_run(EVP_CIPHER_CTX *ctx, int enc, uint64_t ctr, const uint8_t *ad, size_t adn, const uint8_t *in,
                   uint8_t *out, size_t n, uint8_t tag[NET_TCP_TAG_BYTES])
{
    uint8_t iv[NET_AEAD_NONCE_BYTES];
    gcm_nonce(iv, ctr);
    int ol = 0;
    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, enc) != 1) return -1;
    if (adn && EVP_CipherUpdate(ctx, NULL, &ol, ad, (int)adn) != 1) return -1;
    if (gcm_update(ctx, out, in, n) != 0) return -1;
    if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, NET_TCP_TAG_BYTES, tag) != 1) return -1;
    uint8_t fin[16];
    if (EVP_CipherFinal_ex(ctx, fin, &ol) != 1) return -1; /* decryption: the tag did not verify */
    if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, NET_TCP_TAG_BYTES, tag) != 1) return -1;
    return 0;
}

void net_aead_begin(net_aead *a, uint64_t ctr, const uint8_t *ad, size_t adn)
{
    uint8_t iv[NET_AEAD_NONCE_BYTES];
    gcm_nonce(iv, ctr);
    int ol = 0;
    CHECK(EVP_CipherInit_ex(a->ctx, NULL, NULL, NULL, iv, a->enc) == 1 &&
              (!adn || EVP_CipherUpdate(a->ctx, NULL, &ol, ad, (int)adn) == 1),
          "OpenSSL: AES-256-GCM failed to start a frame");
}

void net_aead_update(net_aead *a, const uint8_t *in, uint8_t *out, size_t n)
{
    CHECK(gcm_update(a->ctx, out, in, n) == 0, "OpenSSL: AES-256-GCM failed");
}

void net_aead_seal_final(net_aead *a, uint8_t tag[NET_TCP_TAG_BYTES])
{
    uint8_t fin[16];
    int ol = 0;
    CHECK(a->enc && EVP_CipherFinal_ex(a->ctx, fin, &ol) == 1 &&
              EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_GCM_GET_TAG, NET_TCP_TAG_BYTES, tag) == 1,
          "OpenSSL: AES-256-GCM sealing failed");
}

int net_aead_open_final(net_aead *a, const uint8_t tag[NET_TCP_TAG_BYTES])
{
    uint8_t t[NET_TCP_TAG_BYTES], fin[16];
    int ol = 0;
    memcpy(t, tag, sizeof t);
    CHECK(!a->enc && EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_GCM_SET_TAG, NET_TCP_TAG_BYTES, t) == 1,
          "OpenSSL: AES-256-GCM failed");
    return EVP_CipherFinal_ex(a->ctx, fin, &ol) == 1 ? 0 : -1;
}

void net_aead_seal(net_aead *a, uint64_t ctr, const uint8_t *ad, size_t adn, const uint8_t *in, uint8_t *out,
                   size_t n, uint8_t tag[NET_TCP_TAG_BYTES])
{
    CHECK(a->enc, "net_aead_seal with an opening key");
    CHECK(gcm_run(a->ctx, 1, ctr, ad, adn, in, out, n, tag) == 0, "OpenSSL: AES-256-GCM sealing failed");
}

int net_aead_open(net_aead *a, uint64_t ctr, const uint8_t *ad, size_t adn, const uint8_t *in, uint8_t *out,
                  size_t n, const uint8_t tag[NET_TCP_TAG_BYTES])
{
    CHECK(!a->enc, "net_aead_open with a sealing key");
    uint8_t t[NET_TCP_TAG_BYTES];
    memcpy(t, tag, sizeof t); /* tag may lie in `out` (frames opened in place) */
    if (gcm_run(a->ctx, 0, ctr, ad, adn, in, out, n, t) == 0) return 0;
    sodium_memzero(out, n); /* never leave unauthenticated plaintext behind */
    return -1;
}

/* One-shot forms (a fresh key schedule): the handshake's messages and the CONFIRM frame. */
static void aead_seal_once(const uint8_t key[32], uint64_t ctr, const uint8_t *ad, size_t adn, const uint8_t *in,
                           uint8_t *out, size_t n, uint8_t tag[NET_TCP_TAG_BYTES])
{
    net_aead *a = net_aead_new(key, 1);
    net_aead_seal(a, ctr, ad, adn, in, out, n, tag);
    net_aead_free(a);
}

static int aead_open_once(const uint8_t key[32], uint64_t ctr, const uint8_t *ad, size_t adn, const uint8_t *in,
                          uint8_t *out, size_t n, const uint8_t tag[NET_TCP_TAG_BYTES])
{
    net_aead *a = net_aead_new(key, 0);
    int r = net_aead_open(a, ctr, ad, adn, in, out, n, tag);
    net_aead_free(a);
    return r;
}

size_t net_hs_write(net_hs *hs, const uint8_t *pl, size_t pln, uint8_t *out)
{
    CHECK(pln <= NET_HS_MAX_PAYLOAD, "handshake payload of %zu bytes", pln);
    int m = msg_no(hs, 1);
    CHECK((m == 1) == hs->initiator, "handshake message %d written by the %s", m, hs->initiator ? "initiator" : "responder");
    net_key_generate(&hs->e);
    uint32_t ct_len = (uint32_t)(pln + NET_HS_TAG);
    put32(out, NET_HS_MAGIC);
    put32(out + 4, hs->version);
    put32(out + 8, hs->initiator ? hs->from : hs->to);
    put32(out + 12, hs->initiator ? hs->to : hs->from);
    put32(out + 16, ct_len);
    memcpy(out + 20, hs->e.pk, NET_KEY_BYTES);
    mix_hash(hs->h, hs->e.pk, NET_KEY_BYTES);
    uint8_t dh[64], k[32];
    /* Our own keys are never low-order; a peer key that is makes the result zero, which the peer's
     * side also gets, so the handshake then simply fails at the peer. */
    (void)dh_pair(hs, m, dh);
    mix_key(hs->ck, k, dh, sizeof dh);
    /* k is fresh for this one message: counter 0 is its only nonce. Ciphertext, then the tag. */
    aead_seal_once(k, 0, hs->h, 32, pl, out + NET_HS_FIXED, pln, out + NET_HS_FIXED + pln);
    mix_hash(hs->h, out + NET_HS_FIXED, ct_len);
    sodium_memzero(dh, sizeof dh);
    sodium_memzero(k, sizeof k);
    if (m == 2) split(hs);
    return NET_HS_FIXED + ct_len;
}

int net_hs_read(net_hs *hs, const uint8_t *msg, size_t n, uint8_t *pl, size_t *pln)
{
    net_hs_hdr h;
    if (net_hs_parse_fixed(msg, n, &h) != 0 || n != NET_HS_FIXED + (size_t)h.ct_len) return -1;
    int m = msg_no(hs, 0);
    if ((m == 1) == hs->initiator) return -1;
    uint32_t want_from = hs->initiator ? hs->to : hs->from, want_to = hs->initiator ? hs->from : hs->to;
    if (h.from != want_from || h.to != want_to) return -1;
    uint8_t hsave[32], cksave[32];
    memcpy(hsave, hs->h, 32);
    memcpy(cksave, hs->ck, 32);
    memcpy(hs->re, msg + 20, NET_KEY_BYTES);
    mix_hash(hs->h, hs->re, NET_KEY_BYTES);
    uint8_t dh[64], k[32];
    int rc = dh_pair(hs, m, dh);
    mix_key(hs->ck, k, dh, sizeof dh);
    size_t ml = h.ct_len - NET_HS_TAG;
    if (rc == 0) rc = aead_open_once(k, 0, hs->h, 32, msg + NET_HS_FIXED, pl, ml, msg + NET_HS_FIXED + ml);
    sodium_memzero(dh, sizeof dh);
    sodium_memzero(k, sizeof k);
    if (rc != 0) { /* leave the state as it was */
        memcpy(hs->h, hsave, 32);
        memcpy(hs->ck, cksave, 32);
        memset(hs->re, 0, sizeof hs->re);
        return -1;
    }
    mix_hash(hs->h, msg + NET_HS_FIXED, h.ct_len);
    *pln = ml;
    if (m == 2) split(hs);
    return 0;
}

void net_hs_wipe(net_hs *hs) { sodium_memzero(hs, sizeof *hs); }

size_t net_hs_payload_encode(uint8_t *out, uint32_t status, const uint8_t *hash, size_t hash_len, const char *desc)
{
    size_t dl = strlen(desc);
    CHECK(hash_len <= 64 && dl <= 1024, "handshake payload: hash %zu, description %zu bytes", hash_len, dl);
    put32(out, status);
    put32(out + 4, (uint32_t)hash_len);
    if (hash_len) memcpy(out + 8, hash, hash_len);
    put32(out + 8 + hash_len, (uint32_t)dl);
    memcpy(out + 12 + hash_len, desc, dl);
    return 12 + hash_len + dl;
}

int net_hs_payload_decode(const uint8_t *p, size_t n, uint32_t *status, uint8_t hash[64], size_t *hash_len,
                          char desc[1025])
{
    if (n < 12 || n > NET_HS_MAX_PAYLOAD) return -1;
    *status = get32(p);
    uint32_t hl = get32(p + 4);
    if (hl > 64 || 12 + (size_t)hl > n) return -1;
    memcpy(hash, p + 8, hl);
    uint32_t dl = get32(p + 8 + hl);
    if (dl > 1024 || 12 + (size_t)hl + dl != n) return -1;
    memcpy(desc, p + 12 + hl, dl);
    desc[dl] = 0;
    if (memchr(desc, 0, dl)) return -1;
    *hash_len = hl;
    return 0;
}

/* ---- frames ---- */

void net_frame_seal(const uint8_t key[32], uint64_t ctr, const uint8_t *hdr, uint8_t *p, size_t n,
                    uint8_t tag[NET_TCP_TAG_BYTES])
{
    aead_seal_once(key, ctr, hdr, 48, p, p, n, tag);
}

int net_frame_open(const uint8_t key[32], uint64_t ctr, const uint8_t *hdr, uint8_t *p, size_t n,
                   const uint8_t tag[NET_TCP_TAG_BYTES])
{
    return aead_open_once(key, ctr, hdr, 48, p, p, n, tag);
}

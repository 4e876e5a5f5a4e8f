/* fss_dpf.c -- DPF with early termination and its comparison (see fss_dpf.h). */
#include "fss_dpf.h"

#include <stdlib.h>
#include <string.h>

#include "../../common/chk.h"

enum { TW_L = 0, TW_R = 1, TW_LEAF = 2, FSS_DPF_CHUNK = 256, FSS_DPF_PREFETCH = 32 };

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    CHECK(p != NULL, "fss_dpf: out of memory (%zu bytes)", n);
    return p;
}

/* A block at a byte address: lo then hi, little-endian (the serialised form). */
static inline fss_block ldb(const uint8_t *p)
{
    fss_block b;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&b, p, sizeof b);
#else
    b.lo = b.hi = 0;
    for (int i = 0; i < 8; i++) b.lo |= (uint64_t)p[i] << (8 * i), b.hi |= (uint64_t)p[8 + i] << (8 * i);
#endif
    return b;
}

static inline void stb(uint8_t *p, fss_block b)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &b, sizeof b);
#else
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(b.lo >> (8 * i)), p[8 + i] = (uint8_t)(b.hi >> (8 * i));
#endif
}

int fss_dpf_levels(int n) { return n > FSS_DPF_NU ? n - FSS_DPF_NU : 0; }

uint64_t fss_dpf_key_bits(int n)
{
    CHECK(n >= 1 && n <= 64, "fss_dpf: domain of %d bits (1..64)", n);
    return n > FSS_DPF_NU ? 128u * (uint64_t)(n - 5) : (uint64_t)1 << n;
}

uint64_t fss_dpf_key_bytes(int n) { return (fss_dpf_key_bits(n) + 7) / 8; }

void fss_dpf_keys_alloc_in(fss_dpf_keys *k, int n, size_t N, arena *a)
{
    k->n = n;
    k->N = N;
    k->kb = (size_t)fss_dpf_key_bytes(n);
    size_t nb = N * k->kb;
    k->raw = arena_block_alloc(a, nb > 0 ? nb : 1);
    k->owned = 1;
}

void fss_dpf_keys_alloc(fss_dpf_keys *k, int n, size_t N) { fss_dpf_keys_alloc_in(k, n, N, NULL); }

void fss_dpf_keys_view(fss_dpf_keys *k, int n, size_t N, const uint8_t *buf)
{
    k->n = n;
    k->N = N;
    k->kb = (size_t)fss_dpf_key_bytes(n);
    k->raw = (uint8_t *)buf; /* read only: evaluation never writes a key */
    k->owned = 0;
}

void fss_dpf_keys_place(fss_dpf_keys *k, int n, size_t N, uint8_t *buf)
{
    fss_dpf_keys_view(k, n, N, buf);
    k->owned = FSS_DPF_PLACED;
}

void fss_dpf_keys_free(fss_dpf_keys *k)
{
    if (k->owned == 1) arena_block_free(k->raw);
    memset(k, 0, sizeof *k);
}

/* The table share of key i (n <= 7): kb <= 16 bytes, zero above. */
static fss_block table_of(const fss_dpf_keys *k, size_t i)
{
    uint8_t b[16] = {0};
    memcpy(b, k->raw + i * k->kb, k->kb);
    return ldb(b);
}

fss_block fss_dpf_key_block(const fss_dpf_keys *k, size_t i, int j)
{
    if (k->n <= FSS_DPF_NU) return table_of(k, i);
    return ldb(k->raw + i * k->kb + 16 * (size_t)j);
}

static fss_block rand_block(rng *r)
{
    fss_block b;
    b.lo = rng_u64(r);
    b.hi = rng_u64(r);
    return b;
}

static fss_block unit_block(unsigned j)
{
    fss_block b = {0, 0};
    if (j < 64) b.lo = (uint64_t)1 << j;
    else b.hi = (uint64_t)1 << (j - 64);
    return b;
}

/* Mask of the low 2^n bits of a block (n <= 7). */
static fss_block table_mask(int n)
{
    fss_block b = {0, 0};
    unsigned w = 1u << n;
    if (w >= 64) b.lo = ~(uint64_t)0;
    else b.lo = ((uint64_t)1 << w) - 1;
    if (w > 64) b.hi = w >= 128 ? ~(uint64_t)0 : ((uint64_t)1 << (w - 64)) - 1;
    return b;
}

static unsigned leaf_index(uint64_t x) { return (unsigned)(x & ((1u << FSS_DPF_NU) - 1)); }

/* out[j] = H(in[j]) = AES(in[j]) ^ in[j] for inputs that already carry their tweak (fss_prg.h). */
static void h_blocks(fss_prg *g, fss_block *out, const fss_block *in, size_t n)
{
    fss_aes_blocks(g, out, in, n);
    for (size_t j = 0; j < n; j++) out[j] = fss_xor(out[j], in[j]);
}

static inline fss_block tweak(fss_block s, unsigned tw)
{
    s.lo ^= tw;
    return s;
}

void fss_dpf_gen(fss_prg *g, rng *r, fss_dpf_keys *k0, fss_dpf_keys *k1, const uint64_t *alpha, size_t N)
{
    int n = k0->n, m = fss_dpf_levels(n);
    CHECK(k1->n == n && k0->N >= N && k1->N >= N && k0->owned && k1->owned, "fss_dpf_gen: key buffers do not match");
    uint64_t amask = n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
    size_t kb = k0->kb;
    if (n <= FSS_DPF_NU) {
        fss_block tm = table_mask(n);
        uint8_t b0[16], b1[16];
        for (size_t i = 0; i < N; i++) {
            fss_block u = rand_block(r);
            u.lo &= tm.lo;
            u.hi &= tm.hi;
            stb(b0, u);
            stb(b1, fss_xor(u, unit_block((unsigned)(alpha[i] & amask))));
            memcpy(k0->raw + i * kb, b0, kb);
            memcpy(k1->raw + i * kb, b1, kb);
        }
        return;
    }
    /* The roots are drawn for all keys first (the order of the randomness), then the levels run on
     * chunks of FSS_DPF_CHUNK keys: s[b C + j], t[b C + j] is party b's node on alpha_(c0+j)'s path. */
    uint64_t w[4 * 512]; /* the stream of rand_block's rng_u64 calls, 512 keys at a time */
    for (size_t i0 = 0; i0 < N; i0 += 512) {
        size_t nk = N - i0 < 512 ? N - i0 : 512;
        rng_fill_u64(r, w, 4 * nk);
        for (size_t j = 0; j < nk; j++)
            for (int b = 0; b < 2; b++) {
                fss_block x = {w[4 * j + 2 * b] & ~(uint64_t)3, w[4 * j + 2 * b + 1]};
                stb((b ? k1 : k0)->raw + (i0 + j) * kb, x);
            }
    }
    size_t C = N < FSS_DPF_CHUNK ? N : FSS_DPF_CHUNK;
    fss_block *s = xmalloc(2 * C * sizeof *s), *in = xmalloc(4 * C * sizeof *in), *out = xmalloc(4 * C * sizeof *out);
    uint8_t *t = xmalloc(2 * C);
    for (size_t c0 = 0; c0 < N; c0 += C) {
        size_t nc = N - c0 < C ? N - c0 : C;
        uint8_t *r0 = k0->raw + c0 * kb, *r1 = k1->raw + c0 * kb;
        for (size_t j = 0; j < nc; j++) {
            s[j] = ldb(r0 + j * kb), t[j] = 0;
            s[nc + j] = ldb(r1 + j * kb), t[nc + j] = 1;
        }
        for (int lv = 0; lv < m; lv++) {
            for (size_t q = 0; q < 2 * nc; q++) { /* q = b nc + j */
                in[2 * q] = tweak(s[q], TW_L);
                in[2 * q + 1] = tweak(s[q], TW_R);
            }
            h_blocks(g, out, in, 4 * nc);
            int sh = n - 1 - lv;
            for (size_t j = 0; j < nc; j++) {
                if (j + FSS_DPF_PREFETCH < nc) {
                    __builtin_prefetch(r0 + (j + FSS_DPF_PREFETCH) * kb + 16 * (1 + (size_t)lv), 1);
                    __builtin_prefetch(r1 + (j + FSS_DPF_PREFETCH) * kb + 16 * (1 + (size_t)lv), 1);
                }
                unsigned a = (unsigned)(alpha[c0 + j] >> sh) & 1;
                const fss_block *c0b = out + 2 * j, *c1b = out + 2 * (nc + j); /* [side] */
                unsigned tl = (unsigned)((c0b[0].lo ^ c1b[0].lo) & 1) ^ a ^ 1;
                unsigned tr = (unsigned)((c0b[1].lo ^ c1b[1].lo) & 1) ^ a;
                fss_block scw = fss_xor(c0b[1 - a], c1b[1 - a]);
                scw.lo &= ~(uint64_t)3;
                fss_block cw = scw;
                cw.lo |= tl | (tr << 1);
                stb(r0 + j * kb + 16 * (1 + (size_t)lv), cw);
                stb(r1 + j * kb + 16 * (1 + (size_t)lv), cw);
                unsigned tkeep = a ? tr : tl;
                fss_block keep0 = c0b[a], keep1 = c1b[a];
                unsigned t0 = t[j], t1 = t[nc + j];
                t[j] = (uint8_t)((unsigned)(keep0.lo & 1) ^ (t0 & tkeep));
                t[nc + j] = (uint8_t)((unsigned)(keep1.lo & 1) ^ (t1 & tkeep));
                keep0.lo &= ~(uint64_t)3;
                keep1.lo &= ~(uint64_t)3;
                s[j] = fss_xor(keep0, fss_and_bit(scw, t0));
                s[nc + j] = fss_xor(keep1, fss_and_bit(scw, t1));
            }
        }
        for (size_t q = 0; q < 2 * nc; q++) in[q] = tweak(s[q], TW_LEAF);
        h_blocks(g, out, in, 2 * nc);
        for (size_t j = 0; j < nc; j++) {
            fss_block cw = fss_xor(fss_xor(out[j], out[nc + j]), unit_block(leaf_index(alpha[c0 + j])));
            stb(r0 + j * kb + 16 * (1 + (size_t)m), cw);
            stb(r1 + j * kb + 16 * (1 + (size_t)m), cw);
        }
    }
    free(s);
    free(in);
    free(out);
    free(t);
}

/* Walks the tree of every key along x, FSS_DPF_CHUNK keys at a time, one batch of AES per level;
 * lt: also accumulates the right-turn control bits. Returns the leaf share of each key in leaf[] and
 * (lt) the accumulated bits in acc[]. */
static void walk(fss_prg *g, fss_block *leaf, uint8_t *acc, int party, const fss_dpf_keys *k, const uint64_t *x,
                 size_t N, int lt)
{
    int n = k->n, m = fss_dpf_levels(n);
    size_t kb = k->kb, C = N < FSS_DPF_CHUNK ? N : FSS_DPF_CHUNK;
    fss_block *s = xmalloc(C * sizeof *s), *in = xmalloc(2 * C * sizeof *in), *out = xmalloc(2 * C * sizeof *out);
    uint8_t *t = xmalloc(C);
    for (size_t c0 = 0; c0 < N; c0 += C) {
        size_t nc = N - c0 < C ? N - c0 : C;
        const uint64_t *xc = x + c0;
        const uint8_t *kr = k->raw + c0 * kb;
        for (size_t j = 0; j < nc; j++) {
            s[j] = ldb(kr + j * kb);
            t[j] = (uint8_t)party;
            if (acc) acc[c0 + j] = 0;
        }
        for (int lv = 0; lv < m; lv++) {
            int sh = n - 1 - lv;
            size_t off = 16 * (1 + (size_t)lv);
            if (lt) {
                for (size_t j = 0; j < nc; j++) {
                    in[2 * j] = tweak(s[j], TW_L);
                    in[2 * j + 1] = tweak(s[j], TW_R);
                }
                h_blocks(g, out, in, 2 * nc);
                for (size_t j = 0; j < nc; j++) {
                    /* the keys came from the network: their lines are not cached yet */
                    if (j + FSS_DPF_PREFETCH < nc) __builtin_prefetch(kr + (j + FSS_DPF_PREFETCH) * kb + off);
                    unsigned xb = (unsigned)(xc[j] >> sh) & 1;
                    fss_block cw = ldb(kr + j * kb + off);
                    unsigned told = t[j];
                    /* x turns left: the right child's control bit joins the comparison */
                    unsigned right = ((unsigned)out[2 * j + 1].lo & 1) ^ (told & (unsigned)(cw.lo >> 1) & 1);
                    acc[c0 + j] ^= (uint8_t)(right & (xb ^ 1));
                    fss_block ch = out[2 * j + xb];
                    t[j] = (uint8_t)((unsigned)(ch.lo & 1) ^ (told & (unsigned)(cw.lo >> xb) & 1));
                    cw.lo &= ~(uint64_t)3;
                    ch.lo &= ~(uint64_t)3;
                    s[j] = fss_xor(ch, fss_and_bit(cw, told));
                }
            } else {
                for (size_t j = 0; j < nc; j++) in[j] = tweak(s[j], (unsigned)(xc[j] >> sh) & 1);
                h_blocks(g, out, in, nc);
                for (size_t j = 0; j < nc; j++) {
                    if (j + FSS_DPF_PREFETCH < nc) __builtin_prefetch(kr + (j + FSS_DPF_PREFETCH) * kb + off);
                    unsigned xb = (unsigned)(xc[j] >> sh) & 1;
                    fss_block cw = ldb(kr + j * kb + off), ch = out[j];
                    unsigned told = t[j];
                    t[j] = (uint8_t)((unsigned)(ch.lo & 1) ^ (told & (unsigned)(cw.lo >> xb) & 1));
                    cw.lo &= ~(uint64_t)3;
                    ch.lo &= ~(uint64_t)3;
                    s[j] = fss_xor(ch, fss_and_bit(cw, told));
                }
            }
        }
        for (size_t j = 0; j < nc; j++) in[j] = tweak(s[j], TW_LEAF);
        h_blocks(g, out, in, nc);
        size_t loff = 16 * (1 + (size_t)m);
        for (size_t j = 0; j < nc; j++) leaf[c0 + j] = fss_xor(out[j], fss_and_bit(ldb(kr + j * kb + loff), t[j]));
    }
    free(s);
    free(in);
    free(out);
    free(t);
}

/* The reference walk: one key at a time, one fss_prg_h call per node. */
static void walk_ref(fss_prg *g, fss_block *leaf, uint8_t *acc, int party, const fss_dpf_keys *k, const uint64_t *x,
                     size_t N, int lt)
{
    int n = k->n, m = fss_dpf_levels(n);
    uint64_t amask = n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
    for (size_t i = 0; i < N; i++) {
        fss_block s = fss_dpf_key_block(k, i, 0);
        unsigned t = (unsigned)party;
        if (acc) acc[i] = 0;
        for (int lv = 0; lv < m; lv++) {
            unsigned xb = (unsigned)((x[i] & amask) >> (n - 1 - lv)) & 1;
            fss_block cw = fss_dpf_key_block(k, i, 1 + lv), scw = cw, ch[2];
            scw.lo &= ~(uint64_t)3;
            fss_block two[2] = {s, s};
            uint8_t tw[2] = {TW_L, TW_R};
            fss_prg_h(g, ch, two, tw, 2);
            if (lt && !xb) acc[i] ^= (uint8_t)(((unsigned)ch[1].lo & 1) ^ (t & (unsigned)(cw.lo >> 1) & 1));
            fss_block c = ch[xb];
            unsigned tn = (unsigned)(c.lo & 1) ^ (t & (unsigned)(cw.lo >> xb) & 1);
            c.lo &= ~(uint64_t)3;
            s = fss_xor(c, fss_and_bit(scw, t));
            t = tn;
        }
        uint8_t twl = TW_LEAF;
        fss_block o;
        fss_prg_h(g, &o, &s, &twl, 1);
        leaf[i] = fss_xor(o, fss_and_bit(fss_dpf_key_block(k, i, 1 + m), t));
    }
}

/* Parity of the bits of b strictly above position j (j < 128). */
static unsigned parity_above(fss_block b, unsigned j)
{
    uint64_t lo = b.lo, hi = b.hi;
    if (j < 64) {
        lo &= j == 63 ? 0 : ~(uint64_t)0 << (j + 1);
    } else {
        lo = 0;
        hi &= j == 127 ? 0 : ~(uint64_t)0 << (j - 63);
    }
    return (unsigned)__builtin_parityll(lo ^ hi);
}

static void eval_eq(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k, const uint64_t *x, size_t N, int ref)
{
    uint64_t amask = k->n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << k->n) - 1;
    if (k->n <= FSS_DPF_NU) {
        for (size_t i = 0; i < N; i++) out[i] = (uint8_t)fss_block_bit(table_of(k, i), (unsigned)(x[i] & amask));
        return;
    }
    fss_block *leaf = xmalloc(N * sizeof *leaf);
    (ref ? walk_ref : walk)(g, leaf, NULL, party, k, x, N, 0); /* reads bits n-1..7 of x only */
    for (size_t i = 0; i < N; i++) out[i] = (uint8_t)fss_block_bit(leaf[i], leaf_index(x[i]));
    free(leaf);
}

static void eval_lt(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k, const uint64_t *x, size_t N, int ref)
{
    uint64_t amask = k->n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << k->n) - 1;
    if (k->n <= FSS_DPF_NU) {
        for (size_t i = 0; i < N; i++) out[i] = (uint8_t)parity_above(table_of(k, i), (unsigned)(x[i] & amask));
        return;
    }
    fss_block *leaf = xmalloc(N * sizeof *leaf);
    (ref ? walk_ref : walk)(g, leaf, out, party, k, x, N, 1);
    for (size_t i = 0; i < N; i++) out[i] ^= (uint8_t)parity_above(leaf[i], leaf_index(x[i]));
    free(leaf);
}

void fss_dpf_eval_eq(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k, const uint64_t *x, size_t N)
{
    eval_eq(g, out, party, k, x, N, 0);
}

void fss_dpf_eval_lt(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k, const uint64_t *x, size_t N)
{
    eval_lt(g, out, party, k, x, N, 0);
}

void fss_dpf_eval_eq_ref(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k, const uint64_t *x, size_t N)
{
    eval_eq(g, out, party, k, x, N, 1);
}

void fss_dpf_eval_lt_ref(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k, const uint64_t *x, size_t N)
{
    eval_lt(g, out, party, k, x, N, 1);
}

void fss_dpf_eval_all(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k)
{
    int n = k->n, m = fss_dpf_levels(n);
    CHECK(n <= 24, "fss_dpf_eval_all: domain of %d bits is too large for full-domain evaluation", n);
    size_t N = k->N, D = (size_t)1 << n;
    if (n <= FSS_DPF_NU) {
        for (size_t i = 0; i < N; i++) {
            fss_block tb = table_of(k, i);
            for (size_t j = 0; j < D; j++) out[i * D + j] = (uint8_t)fss_block_bit(tb, (unsigned)j);
        }
        return;
    }
    size_t W = (size_t)1 << m; /* leaves per key */
    fss_block *s = xmalloc(N * W * sizeof *s), *ns = xmalloc(N * W * sizeof *ns), *in = xmalloc(N * W * sizeof *in);
    uint8_t *t = xmalloc(N * W), *nt = xmalloc(N * W), *tw = xmalloc(N * W);
    for (size_t i = 0; i < N; i++) {
        s[i * W] = fss_dpf_key_block(k, i, 0);
        t[i * W] = (uint8_t)party;
    }
    for (int lv = 0; lv < m; lv++) {
        size_t w = (size_t)1 << lv; /* nodes per key at this level, at stride W */
        size_t q = 0;
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < w; j++)
                for (int side = 0; side < 2; side++) {
                    in[q] = s[i * W + j];
                    tw[q++] = (uint8_t)side;
                }
        fss_prg_h(g, ns, in, tw, q);
        q = 0;
        for (size_t i = 0; i < N; i++) {
            fss_block cw = fss_dpf_key_block(k, i, 1 + lv), scw = cw;
            scw.lo &= ~(uint64_t)3;
            for (size_t j = 0; j < w; j++) {
                unsigned told = t[i * W + j];
                for (unsigned side = 0; side < 2; side++) {
                    fss_block ch = ns[q++];
                    unsigned tnew = (unsigned)(ch.lo & 1) ^ (told & (unsigned)(cw.lo >> side) & 1);
                    ch.lo &= ~(uint64_t)3;
                    in[i * W + 2 * j + side] = fss_xor(ch, fss_and_bit(scw, told));
                    nt[i * W + 2 * j + side] = (uint8_t)tnew;
                }
            }
        }
        for (size_t i = 0; i < N; i++) {
            memcpy(s + i * W, in + i * W, 2 * w * sizeof *s);
            memcpy(t + i * W, nt + i * W, 2 * w);
        }
    }
    memset(tw, TW_LEAF, N * W);
    fss_prg_h(g, ns, s, tw, N * W);
    for (size_t i = 0; i < N; i++) {
        fss_block lw = fss_dpf_key_block(k, i, 1 + m);
        for (size_t j = 0; j < W; j++) {
            fss_block lf = fss_xor(ns[i * W + j], fss_and_bit(lw, t[i * W + j]));
            uint8_t *o = out + i * D + (j << FSS_DPF_NU);
            for (unsigned b = 0; b < 64; b++) o[b] = (uint8_t)((lf.lo >> b) & 1);
            for (unsigned b = 0; b < 64; b++) o[64 + b] = (uint8_t)((lf.hi >> b) & 1);
        }
    }
    free(s);
    free(ns);
    free(in);
    free(t);
    free(nt);
    free(tw);
}

void fss_dpf_key_write(uint8_t *out, const fss_dpf_keys *k, size_t i) { memcpy(out, k->raw + i * k->kb, k->kb); }

void fss_dpf_key_read(fss_dpf_keys *k, size_t i, const uint8_t *in)
{
    CHECK(k->owned == 1, "fss_dpf_key_read: the keys are a view");
    memcpy(k->raw + i * k->kb, in, k->kb);
}

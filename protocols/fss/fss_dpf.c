/* fss_dpf.c -- DPF with early termination and its comparison (see fss_dpf.h). */
#include "fss_dpf.h"

#include <stdlib.h>
#include <string.h>

#include "../../common/chk.h"
#include "fss_bits.h"

enum { TW_L = 0, TW_R = 1, TW_LEAF = 2, FSS_DPF_CHUNK = 2048 };

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    CHECK(p != NULL, "fss_dpf: out of memory (%zu bytes)", n);
    return p;
}

int fss_dpf_levels(int n) { return n > FSS_DPF_NU ? n - FSS_DPF_NU : 0; }

uint64_t fss_dpf_key_bits(int n)
{
    CHECK(n >= 1 && n <= 64, "fss_dpf: domain of %d bits (1..64)", n);
    return n > FSS_DPF_NU ? 128u * (uint64_t)(n - 5) : (uint64_t)1 << n;
}

uint64_t fss_dpf_key_bytes(int n) { return (fss_dpf_key_bits(n) + 7) / 8; }

void fss_dpf_keys_alloc(fss_dpf_keys *k, int n, size_t N)
{
    (void)fss_dpf_key_bits(n);
    int m = fss_dpf_levels(n);
    k->n = n;
    k->N = N;
    k->s0 = n > FSS_DPF_NU ? xmalloc(N * sizeof(fss_block)) : NULL;
    k->cw = m > 0 ? xmalloc(N * (size_t)m * sizeof(fss_block)) : NULL;
    k->leaf = xmalloc(N * sizeof(fss_block));
}

void fss_dpf_keys_free(fss_dpf_keys *k)
{
    free(k->s0);
    free(k->cw);
    free(k->leaf);
    memset(k, 0, sizeof *k);
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

void fss_dpf_gen(fss_prg *g, rng *r, fss_dpf_keys *k0, fss_dpf_keys *k1, const uint64_t *alpha, size_t N)
{
    int n = k0->n, m = fss_dpf_levels(n);
    CHECK(k1->n == n && k0->N >= N && k1->N >= N, "fss_dpf_gen: key buffers do not match");
    uint64_t amask = n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
    if (n <= FSS_DPF_NU) {
        fss_block tm = table_mask(n);
        for (size_t i = 0; i < N; i++) {
            fss_block u = rand_block(r);
            u.lo &= tm.lo;
            u.hi &= tm.hi;
            k0->leaf[i] = u;
            k1->leaf[i] = fss_xor(u, unit_block((unsigned)(alpha[i] & amask)));
        }
        return;
    }
    /* s[b][i], t[b][i]: party b's node on alpha_i's path. The roots are drawn for all keys first, then
     * the levels run on chunks of FSS_DPF_CHUNK keys (the working set stays in cache). */
    fss_block *s = xmalloc(2 * N * sizeof *s);
    size_t C = N < FSS_DPF_CHUNK ? N : FSS_DPF_CHUNK;
    fss_block *in = xmalloc(4 * C * sizeof *in), *out = xmalloc(4 * C * sizeof *out);
    uint8_t *t = xmalloc(2 * N), *tw = xmalloc(4 * C);
    for (size_t i = 0; i < N; i++) {
        for (int b = 0; b < 2; b++) {
            fss_block x = rand_block(r);
            x.lo &= ~(uint64_t)3;
            s[b * N + i] = x;
            t[b * N + i] = (uint8_t)b;
        }
        k0->s0[i] = s[i];
        k1->s0[i] = s[N + i];
    }
    for (size_t c0 = 0; c0 < N; c0 += C) {
        size_t nc = N - c0 < C ? N - c0 : C;
        for (int lv = 0; lv < m; lv++) {
            for (size_t q = 0; q < 2 * nc; q++) { /* q = b nc + (i - c0) */
                size_t j = (q / nc) * N + c0 + q % nc;
                in[2 * q] = in[2 * q + 1] = s[j];
                tw[2 * q] = TW_L;
                tw[2 * q + 1] = TW_R;
            }
            fss_prg_h(g, out, in, tw, 4 * nc);
            for (size_t i = c0; i < c0 + nc; i++) {
                unsigned a = (unsigned)((alpha[i] & amask) >> (n - 1 - lv)) & 1;
                fss_block c[2][2]; /* c[b][side] with the control bit in bit 0 */
                for (int b = 0; b < 2; b++)
                    for (int side = 0; side < 2; side++) c[b][side] = out[2 * (b * nc + i - c0) + side];
                unsigned tl = (unsigned)((c[0][0].lo ^ c[1][0].lo) & 1) ^ a ^ 1;
                unsigned tr = (unsigned)((c[0][1].lo ^ c[1][1].lo) & 1) ^ a;
                fss_block scw = fss_xor(c[0][1 - a], c[1][1 - a]);
                scw.lo &= ~(uint64_t)3;
                fss_block cw = scw;
                cw.lo |= tl | (tr << 1);
                k0->cw[i * m + lv] = k1->cw[i * m + lv] = cw;
                unsigned tkeep = a ? tr : tl;
                for (int b = 0; b < 2; b++) {
                    fss_block keep = c[b][a];
                    unsigned told = t[b * N + i];
                    unsigned tnew = (unsigned)(keep.lo & 1) ^ (told & tkeep);
                    keep.lo &= ~(uint64_t)3;
                    s[b * N + i] = fss_xor(keep, fss_and_bit(scw, told));
                    t[b * N + i] = (uint8_t)tnew;
                }
            }
        }
        for (size_t q = 0; q < 2 * nc; q++) {
            in[q] = s[(q / nc) * N + c0 + q % nc];
            tw[q] = TW_LEAF;
        }
        fss_prg_h(g, out, in, tw, 2 * nc);
        for (size_t i = c0; i < c0 + nc; i++) {
            fss_block cw = fss_xor(fss_xor(out[i - c0], out[nc + i - c0]), unit_block(leaf_index(alpha[i])));
            k0->leaf[i] = k1->leaf[i] = cw;
        }
    }
    free(s);
    free(in);
    free(out);
    free(t);
    free(tw);
}

/* Walks the tree of every key along x; lt: also accumulates the right-turn control bits. Returns the
 * leaf share of each key in leaf[] and (lt) the accumulated bits in acc[]. */
static void walk(fss_prg *g, fss_block *leaf, uint8_t *acc, int party, const fss_dpf_keys *k, const uint64_t *x,
                 size_t N, int lt)
{
    int n = k->n, m = fss_dpf_levels(n);
    uint64_t amask = n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
    size_t C = N < FSS_DPF_CHUNK ? N : FSS_DPF_CHUNK; /* keys per chunk: the working set stays in cache */
    fss_block *s = xmalloc(C * sizeof *s), *in = xmalloc(2 * C * sizeof *in), *out = xmalloc(2 * C * sizeof *out);
    uint8_t *t = xmalloc(C), *tw = xmalloc(2 * C);
    size_t per = lt ? 2 : 1;
    for (size_t c0 = 0; c0 < N; c0 += C) {
        size_t nc = N - c0 < C ? N - c0 : C;
        const uint64_t *xc = x + c0;
        for (size_t i = 0; i < nc; i++) {
            s[i] = k->s0[c0 + i];
            t[i] = (uint8_t)party;
            if (acc) acc[c0 + i] = 0;
        }
        for (int lv = 0; lv < m; lv++) {
            for (size_t i = 0; i < nc; i++) {
                unsigned xb = (unsigned)((xc[i] & amask) >> (n - 1 - lv)) & 1;
                if (lt) {
                    in[2 * i] = in[2 * i + 1] = s[i];
                    tw[2 * i] = TW_L;
                    tw[2 * i + 1] = TW_R;
                } else {
                    in[i] = s[i];
                    tw[i] = (uint8_t)(xb ? TW_R : TW_L);
                }
            }
            fss_prg_h(g, out, in, tw, per * nc);
            for (size_t i = 0; i < nc; i++) {
                unsigned xb = (unsigned)((xc[i] & amask) >> (n - 1 - lv)) & 1;
                fss_block cw = k->cw[(c0 + i) * (size_t)m + lv];
                unsigned told = t[i];
                fss_block ch = lt ? out[2 * i + xb] : out[i];
                unsigned tcw = (unsigned)(cw.lo >> xb) & 1;
                if (lt && !xb) {
                    unsigned tcr = (unsigned)(cw.lo >> 1) & 1;
                    acc[c0 + i] ^= (uint8_t)(((unsigned)out[2 * i + 1].lo & 1) ^ (told & tcr));
                }
                unsigned tnew = (unsigned)(ch.lo & 1) ^ (told & tcw);
                ch.lo &= ~(uint64_t)3;
                fss_block scw = cw;
                scw.lo &= ~(uint64_t)3;
                s[i] = fss_xor(ch, fss_and_bit(scw, told));
                t[i] = (uint8_t)tnew;
            }
        }
        for (size_t i = 0; i < nc; i++) tw[i] = TW_LEAF;
        fss_prg_h(g, out, s, tw, nc);
        for (size_t i = 0; i < nc; i++) leaf[c0 + i] = fss_xor(out[i], fss_and_bit(k->leaf[c0 + i], t[i]));
    }
    free(s);
    free(in);
    free(out);
    free(t);
    free(tw);
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

void fss_dpf_eval_eq(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k, const uint64_t *x, size_t N)
{
    uint64_t amask = k->n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << k->n) - 1;
    if (k->n <= FSS_DPF_NU) {
        for (size_t i = 0; i < N; i++) out[i] = (uint8_t)fss_block_bit(k->leaf[i], (unsigned)(x[i] & amask));
        return;
    }
    fss_block *leaf = xmalloc(N * sizeof *leaf);
    walk(g, leaf, NULL, party, k, x, N, 0);
    for (size_t i = 0; i < N; i++) out[i] = (uint8_t)fss_block_bit(leaf[i], leaf_index(x[i]));
    free(leaf);
}

void fss_dpf_eval_lt(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k, const uint64_t *x, size_t N)
{
    uint64_t amask = k->n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << k->n) - 1;
    if (k->n <= FSS_DPF_NU) {
        for (size_t i = 0; i < N; i++) out[i] = (uint8_t)parity_above(k->leaf[i], (unsigned)(x[i] & amask));
        return;
    }
    fss_block *leaf = xmalloc(N * sizeof *leaf);
    walk(g, leaf, out, party, k, x, N, 1);
    for (size_t i = 0; i < N; i++) out[i] ^= (uint8_t)parity_above(leaf[i], leaf_index(x[i]));
    free(leaf);
}

void fss_dpf_eval_all(fss_prg *g, uint8_t *out, int party, const fss_dpf_keys *k)
{
    int n = k->n, m = fss_dpf_levels(n);
    CHECK(n <= 24, "fss_dpf_eval_all: domain of %d bits is too large for full-domain evaluation", n);
    size_t N = k->N, D = (size_t)1 << n;
    if (n <= FSS_DPF_NU) {
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < D; j++) out[i * D + j] = (uint8_t)fss_block_bit(k->leaf[i], (unsigned)j);
        return;
    }
    size_t W = (size_t)1 << m; /* leaves per key */
    fss_block *s = xmalloc(N * W * sizeof *s), *ns = xmalloc(N * W * sizeof *ns), *in = xmalloc(N * W * sizeof *in);
    uint8_t *t = xmalloc(N * W), *nt = xmalloc(N * W), *tw = xmalloc(N * W);
    for (size_t i = 0; i < N; i++) {
        s[i * W] = k->s0[i];
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
            fss_block cw = k->cw[i * (size_t)m + lv], scw = cw;
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
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < W; j++) {
            fss_block lf = fss_xor(ns[i * W + j], fss_and_bit(k->leaf[i], t[i * W + j]));
            for (unsigned b = 0; b < 128; b++) out[i * D + (j << FSS_DPF_NU) + b] = (uint8_t)fss_block_bit(lf, b);
        }
    free(s);
    free(ns);
    free(in);
    free(t);
    free(nt);
    free(tw);
}

/* A block at a byte offset: lo then hi, little-endian (the bit string fss_bit_put would write). */
static void put_block(uint8_t *p, fss_block b)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(b.lo >> (8 * i)), p[8 + i] = (uint8_t)(b.hi >> (8 * i));
}

static fss_block get_block(const uint8_t *p)
{
    fss_block b = {0, 0};
    for (int i = 0; i < 8; i++) b.lo |= (uint64_t)p[i] << (8 * i), b.hi |= (uint64_t)p[8 + i] << (8 * i);
    return b;
}

void fss_dpf_key_write(uint8_t *out, const fss_dpf_keys *k, size_t i)
{
    int n = k->n, m = fss_dpf_levels(n);
    if (n <= FSS_DPF_NU) {
        memset(out, 0, fss_dpf_key_bytes(n));
        fss_bitio w = {out, 0};
        unsigned bits = 1u << n;
        fss_bit_put(&w, k->leaf[i].lo, bits < 64 ? (int)bits : 64);
        if (bits > 64) fss_bit_put(&w, k->leaf[i].hi, (int)bits - 64);
        CHECK(w.pos == fss_dpf_key_bits(n), "fss_dpf_key_write: wrote %zu bits", w.pos);
    } else { /* s0, the m correction words, the leaf: 16 (m + 2) = 16 n - 80 bytes */
        put_block(out, k->s0[i]);
        for (int lv = 0; lv < m; lv++) put_block(out + 16 * (1 + (size_t)lv), k->cw[i * (size_t)m + lv]);
        put_block(out + 16 * (1 + (size_t)m), k->leaf[i]);
    }
}

void fss_dpf_key_read(fss_dpf_keys *k, size_t i, const uint8_t *in)
{
    int n = k->n, m = fss_dpf_levels(n);
    if (n <= FSS_DPF_NU) {
        fss_bitio r = {(uint8_t *)in, 0};
        unsigned bits = 1u << n;
        k->leaf[i].lo = fss_bit_get(&r, bits < 64 ? (int)bits : 64);
        k->leaf[i].hi = bits > 64 ? fss_bit_get(&r, (int)bits - 64) : 0;
    } else {
        k->s0[i] = get_block(in);
        for (int lv = 0; lv < m; lv++) k->cw[i * (size_t)m + lv] = get_block(in + 16 * (1 + (size_t)lv));
        k->leaf[i] = get_block(in + 16 * (1 + (size_t)m));
    }
}

/* fss_dcf.c -- the BCG+21 DCF (see fss_dcf.h). */
#include "fss_dcf.h"

#include <stdlib.h>
#include <string.h>

#include "../../common/chk.h"
#include "fss_bits.h"

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    CHECK(p != NULL, "fss_dcf: out of memory (%zu bytes)", n);
    return p;
}

uint64_t fss_dcf_key_bits(int n, int l)
{
    CHECK(n >= 1 && n <= 64 && l >= 1 && l <= 64, "fss_dcf: domain of %d bits, group of %d bits (1..64)", n, l);
    return (uint64_t)(n + 1) * (uint64_t)(128 + l);
}

uint64_t fss_dcf_key_bytes(int n, int l) { return (fss_dcf_key_bits(n, l) + 7) / 8; }

void fss_dcf_keys_alloc(fss_dcf_keys *k, int n, int l, size_t N)
{
    (void)fss_dcf_key_bits(n, l);
    k->n = n;
    k->l = l;
    k->N = N;
    k->s0 = xmalloc(N * sizeof(fss_block));
    k->cw = xmalloc(N * (size_t)n * sizeof(fss_block));
    k->vcw = xmalloc(N * (size_t)n * sizeof(uint64_t));
    k->g = xmalloc(N * sizeof(uint64_t));
}

void fss_dcf_keys_free(fss_dcf_keys *k)
{
    free(k->s0);
    free(k->cw);
    free(k->vcw);
    free(k->g);
    memset(k, 0, sizeof *k);
}

/* Convert of a seed (low two bits are control space): bits 2..l+1. */
static uint64_t conv_seed(fss_block s, uint64_t lm) { return ((s.lo >> 2) | (s.hi << 62)) & lm; }

void fss_dcf_gen(fss_prg *g, rng *r, fss_dcf_keys *k0, fss_dcf_keys *k1, const uint64_t *alpha, const uint64_t *beta,
                 size_t N)
{
    int n = k0->n, l = k0->l;
    CHECK(k1->n == n && k1->l == l && k0->N >= N && k1->N >= N, "fss_dcf_gen: key buffers do not match");
    uint64_t lm = fss_mask(l), am = fss_mask(n);
    fss_block *s = xmalloc(2 * N * sizeof *s), *in = xmalloc(8 * N * sizeof *in), *out = xmalloc(8 * N * sizeof *out);
    uint8_t *t = xmalloc(2 * N), *tw = xmalloc(8 * N);
    uint64_t *va = xmalloc(N * sizeof *va);
    for (size_t i = 0; i < N; i++) {
        for (int b = 0; b < 2; b++) {
            fss_block x = {rng_u64(r), rng_u64(r)};
            x.lo &= ~(uint64_t)3;
            s[b * N + i] = x;
            t[b * N + i] = (uint8_t)b;
        }
        k0->s0[i] = s[i];
        k1->s0[i] = s[N + i];
        va[i] = 0;
    }
    for (int lv = 0; lv < n; lv++) {
        for (size_t j = 0; j < 2 * N; j++)
            for (int q = 0; q < 4; q++) {
                in[4 * j + q] = s[j];
                tw[4 * j + q] = (uint8_t)q;
            }
        fss_prg_h(g, out, in, tw, 8 * N);
        for (size_t i = 0; i < N; i++) {
            unsigned a = (unsigned)((alpha[i] & am) >> (n - 1 - lv)) & 1;
            unsigned keep = a, lose = 1 - a;
            fss_block sd[2][2];
            uint64_t v[2][2];
            for (int b = 0; b < 2; b++)
                for (int side = 0; side < 2; side++) {
                    sd[b][side] = out[4 * (b * N + i) + 2 * side];
                    v[b][side] = out[4 * (b * N + i) + 2 * side + 1].lo & lm;
                }
            unsigned t1 = t[N + i];
            fss_block scw = fss_xor(sd[0][lose], sd[1][lose]);
            scw.lo &= ~(uint64_t)3;
            uint64_t vcw = v[1][lose] - v[0][lose] - va[i];
            if (lose == 0) vcw += beta[i]; /* x goes left where alpha goes right: x < alpha */
            if (t1) vcw = 0 - vcw;
            vcw &= lm;
            va[i] = va[i] - v[1][keep] + v[0][keep] + (t1 ? 0 - vcw : vcw);
            unsigned tl = (unsigned)((sd[0][0].lo ^ sd[1][0].lo) & 1) ^ a ^ 1;
            unsigned tr = (unsigned)((sd[0][1].lo ^ sd[1][1].lo) & 1) ^ a;
            fss_block cw = scw;
            cw.lo |= tl | (tr << 1);
            k0->cw[i * (size_t)n + lv] = k1->cw[i * (size_t)n + lv] = cw;
            k0->vcw[i * (size_t)n + lv] = k1->vcw[i * (size_t)n + lv] = vcw;
            unsigned tkeep = keep ? tr : tl;
            for (int b = 0; b < 2; b++) {
                fss_block kp = sd[b][keep];
                unsigned told = t[b * N + i];
                unsigned tnew = (unsigned)(kp.lo & 1) ^ (told & tkeep);
                kp.lo &= ~(uint64_t)3;
                s[b * N + i] = fss_xor(kp, fss_and_bit(scw, told));
                t[b * N + i] = (uint8_t)tnew;
            }
        }
    }
    for (size_t i = 0; i < N; i++) {
        uint64_t gw = conv_seed(s[N + i], lm) - conv_seed(s[i], lm) - va[i];
        if (t[N + i]) gw = 0 - gw;
        k0->g[i] = k1->g[i] = gw & lm;
    }
    free(s);
    free(in);
    free(out);
    free(t);
    free(tw);
    free(va);
}

void fss_dcf_eval(fss_prg *g, uint64_t *out, int party, const fss_dcf_keys *k, const uint64_t *x, size_t N)
{
    int n = k->n, l = k->l;
    uint64_t lm = fss_mask(l), am = fss_mask(n);
    fss_block *s = xmalloc(N * sizeof *s), *in = xmalloc(2 * N * sizeof *in), *o = xmalloc(2 * N * sizeof *o);
    uint8_t *t = xmalloc(N), *tw = xmalloc(2 * N);
    uint64_t *v = out;
    for (size_t i = 0; i < N; i++) {
        s[i] = k->s0[i];
        t[i] = (uint8_t)party;
        v[i] = 0;
    }
    for (int lv = 0; lv < n; lv++) {
        for (size_t i = 0; i < N; i++) {
            unsigned xb = (unsigned)((x[i] & am) >> (n - 1 - lv)) & 1;
            in[2 * i] = in[2 * i + 1] = s[i];
            tw[2 * i] = (uint8_t)(2 * xb);
            tw[2 * i + 1] = (uint8_t)(2 * xb + 1);
        }
        fss_prg_h(g, o, in, tw, 2 * N);
        for (size_t i = 0; i < N; i++) {
            unsigned xb = (unsigned)((x[i] & am) >> (n - 1 - lv)) & 1;
            fss_block cw = k->cw[i * (size_t)n + lv], scw = cw;
            scw.lo &= ~(uint64_t)3;
            unsigned told = t[i];
            uint64_t d = (o[2 * i + 1].lo & lm) + (told ? k->vcw[i * (size_t)n + lv] : 0);
            v[i] += party ? 0 - d : d;
            fss_block ch = o[2 * i];
            unsigned tnew = (unsigned)(ch.lo & 1) ^ (told & (unsigned)(cw.lo >> xb) & 1);
            ch.lo &= ~(uint64_t)3;
            s[i] = fss_xor(ch, fss_and_bit(scw, told));
            t[i] = (uint8_t)tnew;
        }
    }
    for (size_t i = 0; i < N; i++) {
        uint64_t d = conv_seed(s[i], lm) + (t[i] ? k->g[i] : 0);
        v[i] = (v[i] + (party ? 0 - d : d)) & lm;
    }
    free(s);
    free(in);
    free(o);
    free(t);
    free(tw);
}

void fss_dcf_key_write(uint8_t *out, const fss_dcf_keys *k, size_t i)
{
    int n = k->n, l = k->l;
    memset(out, 0, fss_dcf_key_bytes(n, l));
    fss_bitio w = {out, 0};
    fss_bit_put(&w, k->s0[i].lo, 64);
    fss_bit_put(&w, k->s0[i].hi, 64);
    for (int lv = 0; lv < n; lv++) {
        fss_block cw = k->cw[i * (size_t)n + lv];
        fss_bit_put(&w, cw.lo, 64);
        fss_bit_put(&w, cw.hi, 64);
        fss_bit_put(&w, k->vcw[i * (size_t)n + lv], l);
    }
    fss_bit_put(&w, k->g[i], l);
    /* (n+1)(128+l) = 128 + n(128+l) + l: the root seed carries no group word, the final word no seed */
    CHECK(w.pos == fss_dcf_key_bits(n, l), "fss_dcf_key_write: wrote %zu bits", w.pos);
}

void fss_dcf_key_read(fss_dcf_keys *k, size_t i, const uint8_t *in)
{
    int n = k->n, l = k->l;
    fss_bitio r = {(uint8_t *)in, 0};
    k->s0[i].lo = fss_bit_get(&r, 64);
    k->s0[i].hi = fss_bit_get(&r, 64);
    for (int lv = 0; lv < n; lv++) {
        k->cw[i * (size_t)n + lv].lo = fss_bit_get(&r, 64);
        k->cw[i * (size_t)n + lv].hi = fss_bit_get(&r, 64);
        k->vcw[i * (size_t)n + lv] = fss_bit_get(&r, l);
    }
    k->g[i] = fss_bit_get(&r, l);
}

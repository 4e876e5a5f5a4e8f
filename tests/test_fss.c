/* test_fss.c -- the fss family's building blocks: AES-128 known answer, bit packing, the DPF (point,
 * comparison, full domain) and the BCG+21 DCF, exhaustively at n = 8 and on random and boundary inputs
 * at n = 50 and 64; key sizes against their closed forms (fss_dpf.h, fss_dcf.h). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../protocols/fss/fss_bits.h"
#include "../protocols/fss/fss_dcf.h"
#include "../protocols/fss/fss_dpf.h"
#include "../protocols/fss/fss_prg.h"

Test(fss, aes128_fips197_known_answer)
{
    /* FIPS-197, Appendix C.1 (AES-128). */
    uint8_t key[16], pt[16], ct[16];
    for (int i = 0; i < 16; i++) {
        key[i] = (uint8_t)i;
        pt[i] = (uint8_t)(0x11 * i);
    }
    static const uint8_t want[16] = {0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
                                     0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a};
    fss_prg g;
    fss_prg_init_key(&g, key);
    fss_aes_bytes(&g, ct, pt, 1);
    cr_expect(memcmp(ct, want, 16) == 0, "AES-128(000102..0f, 00112233..ff) differs from FIPS-197 C.1");
    /* Batched and chunked calls give the same blocks. */
    uint8_t pt3[48], ct3[48];
    for (int b = 0; b < 3; b++) memcpy(pt3 + 16 * b, pt, 16);
    fss_aes_bytes(&g, ct3, pt3, 3);
    for (int b = 0; b < 3; b++) cr_expect(memcmp(ct3 + 16 * b, want, 16) == 0);
    cr_expect_eq(g.nblocks, 4);
    fss_prg_free(&g);
}

Test(fss, tree_prg_is_mmo)
{
    fss_prg g, a;
    fss_prg_init(&g);
    fss_prg_init(&a);
    fss_block s = {0x0123456789abcdefull, 0xfedcba9876543210ull}, h, e, in;
    uint8_t tw = 3;
    fss_prg_h(&g, &h, &s, &tw, 1);
    in = s;
    in.lo ^= 3;
    fss_aes_blocks(&a, &e, &in, 1);
    e = fss_xor(e, in);
    cr_expect(h.lo == e.lo && h.hi == e.hi, "H(s, 3) = AES(s^3) ^ s ^ 3");
    fss_prg_free(&g);
    fss_prg_free(&a);
}

Test(fss, pack_unpack_roundtrip)
{
    rng r;
    rng_seed(&r, 1, 0);
    for (int b = 1; b <= 64; b++) {
        size_t N = 37;
        uint64_t v[37], w[37];
        uint8_t buf[37 * 8];
        for (size_t i = 0; i < N; i++) v[i] = rng_u64(&r) & fss_mask(b);
        memset(buf, 0xff, sizeof buf);
        fss_pack(buf, v, N, b);
        cr_assert_eq(fss_packed_bytes(N, b), (37 * (size_t)b + 7) / 8);
        fss_unpack(w, buf, N, b);
        for (size_t i = 0; i < N; i++) cr_assert_eq(w[i], v[i], "b=%d i=%zu", b, i);
        /* padding bits are zero */
        size_t nb = fss_packed_bytes(N, b), used = N * (size_t)b - 8 * (nb - 1);
        cr_assert_eq(buf[nb - 1] >> used, 0, "b=%d: padding not zero", b);
    }
    /* A known layout: 3 values of 3 bits, little-endian bit order. */
    uint64_t v[3] = {5, 2, 7};
    uint8_t out[2];
    fss_pack(out, v, 3, 3);
    cr_expect_eq(out[0], 0xd5); /* 101 | 010 | 11... */
    cr_expect_eq(out[1], 0x01);
}

/* The fast pack/unpack (a 64-bit accumulator) against the naive bit writer/reader, every b, lengths
 * across word boundaries, and garbage above b bits in the input (ignored). */
Test(fss, pack_unpack_fast_equals_naive)
{
    rng r;
    rng_seed(&r, 3, 0);
    static const size_t Ns[] = {0, 1, 2, 7, 8, 9, 63, 64, 65, 1000};
    for (int b = 1; b <= 64; b++)
        for (size_t t = 0; t < sizeof Ns / sizeof *Ns; t++) {
            size_t N = Ns[t], nb = fss_packed_bytes(N, b);
            uint64_t *v = malloc((N + 1) * 8), *w0 = malloc((N + 1) * 8), *w1 = malloc((N + 1) * 8);
            uint8_t *p0 = malloc(nb + 1), *p1 = malloc(nb + 1);
            for (size_t i = 0; i < N; i++) v[i] = rng_u64(&r);
            memset(p0, 0xa5, nb + 1), memset(p1, 0x5a, nb + 1);
            fss_pack_naive(p0, v, N, b);
            fss_pack(p1, v, N, b);
            cr_assert(memcmp(p0, p1, nb) == 0, "pack b=%d N=%zu", b, N);
            cr_assert_eq(p1[nb], 0x5a, "pack b=%d N=%zu wrote past its bytes", b, N);
            fss_unpack_naive(w0, p0, N, b);
            fss_unpack(w1, p0, N, b);
            for (size_t i = 0; i < N; i++) cr_assert_eq(w1[i], w0[i], "unpack b=%d N=%zu i=%zu", b, N, i);
            free(v), free(w0), free(w1), free(p0), free(p1);
        }
}

/* Several vectors of different widths in one bit string (fss_open_segs): the streaming packer against
 * the bit writer, value by value, and back. */
Test(fss, bitstream_segments_equal_the_bit_writer)
{
    rng r;
    rng_seed(&r, 4, 0);
    static const int bs[] = {1, 50, 7, 64, 1, 13};
    static const size_t Ns[] = {3, 5, 0, 9, 130, 1};
    size_t tot = 0, bits = 0;
    for (int s = 0; s < 6; s++) tot += Ns[s], bits += Ns[s] * (size_t)bs[s];
    size_t nb = (bits + 7) / 8;
    uint64_t *v = malloc(tot * 8), *w = malloc(tot * 8);
    uint8_t *p0 = calloc(nb + 1, 1), *p1 = malloc(nb + 1);
    for (size_t i = 0; i < tot; i++) v[i] = rng_u64(&r);
    memset(p1, 0x5a, nb + 1);
    fss_bitio bw = {p0, 0};
    fss_bitstream st = {p1, 0, nb, 0, 0};
    size_t off = 0;
    for (int s = 0; s < 6; s++) {
        for (size_t i = 0; i < Ns[s]; i++) fss_bit_put(&bw, v[off + i], bs[s]);
        fss_bs_put(&st, v + off, Ns[s], bs[s]);
        off += Ns[s];
    }
    fss_bs_flush(&st);
    cr_assert_eq(st.o, nb);
    cr_assert(memcmp(p0, p1, nb) == 0);
    cr_assert_eq(p1[nb], 0x5a, "flush wrote past the bit string");
    fss_bitstream rd = {p1, 0, nb, 0, 0};
    off = 0;
    for (int s = 0; s < 6; s++) {
        fss_bs_get(&rd, w + off, Ns[s], bs[s]);
        for (size_t i = 0; i < Ns[s]; i++) cr_assert_eq(w[off + i], v[off + i] & fss_mask(bs[s]), "seg %d i %zu", s, i);
        off += Ns[s];
    }
    free(v), free(w), free(p0), free(p1);
}

/* ---- DPF ---- */

/* Key serialisation (byte-aligned blocks) against the bit writer's layout, and more keys than one
 * evaluation chunk (the chunked keygen and walk agree with the point function). */
Test(fss, dpf_key_bytes_and_chunks)
{
    int n = 50;
    size_t N = 5000, kb = fss_dpf_key_bytes(n);
    fss_prg g;
    fss_prg_init(&g);
    rng r;
    rng_seed(&r, 8, 1);
    uint64_t *alpha = malloc(N * 8), *x = malloc(N * 8);
    for (size_t i = 0; i < N; i++) {
        alpha[i] = rng_u64(&r) & fss_mask(n);
        x[i] = i % 3 == 0 ? alpha[i] : i % 3 == 1 ? (alpha[i] + 1) & fss_mask(n) : rng_u64(&r) & fss_mask(n);
    }
    fss_dpf_keys k0, k1, q0;
    fss_dpf_keys_alloc(&k0, n, N);
    fss_dpf_keys_alloc(&k1, n, N);
    fss_dpf_keys_alloc(&q0, n, N);
    fss_dpf_gen(&g, &r, &k0, &k1, alpha, N);
    uint8_t *buf = malloc(kb), *ref = malloc(kb);
    for (size_t i = 0; i < N; i++) {
        fss_dpf_key_write(buf, &k0, i);
        memset(ref, 0, kb);
        fss_bitio w = {ref, 0};
        fss_block blocks[64];
        int m = fss_dpf_levels(n), nbk = 0;
        for (int j = 0; j < m + 2; j++) blocks[nbk++] = fss_dpf_key_block(&k0, i, j);
        for (int j = 0; j < nbk; j++) fss_bit_put(&w, blocks[j].lo, 64), fss_bit_put(&w, blocks[j].hi, 64);
        cr_assert_eq(w.pos, 8 * kb);
        cr_assert(memcmp(buf, ref, kb) == 0, "key %zu: layout differs from the bit writer's", i);
        fss_dpf_key_read(&q0, i, buf);
    }
    uint8_t *e0 = malloc(N), *e1 = malloc(N), *l0 = malloc(N), *l1 = malloc(N);
    fss_dpf_eval_eq(&g, e0, 0, &q0, x, N);
    fss_dpf_eval_eq(&g, e1, 1, &k1, x, N);
    fss_dpf_eval_lt(&g, l0, 0, &q0, x, N);
    fss_dpf_eval_lt(&g, l1, 1, &k1, x, N);
    size_t bad = 0;
    uint8_t *rl = malloc(N);
    fss_dpf_eval_lt_ref(&g, rl, 0, &q0, x, N);
    bad += memcmp(rl, l0, N) != 0; /* several chunks: the batched walk against the reference */
    fss_dpf_eval_eq_ref(&g, rl, 1, &k1, x, N);
    bad += memcmp(rl, e1, N) != 0;
    free(rl);
    for (size_t i = 0; i < N; i++) bad += (size_t)((e0[i] ^ e1[i]) != (x[i] == alpha[i])) + ((l0[i] ^ l1[i]) != (x[i] < alpha[i]));
    cr_expect_eq(bad, 0);
    free(alpha), free(x), free(buf), free(ref), free(e0), free(e1), free(l0), free(l1);
    fss_dpf_keys_free(&k0), fss_dpf_keys_free(&k1), fss_dpf_keys_free(&q0);
    fss_prg_free(&g);
}

static uint64_t dpf_check(int n, const uint64_t *alpha, const uint64_t *x, size_t N, int full)
{
    fss_prg g;
    fss_prg_init(&g);
    rng r;
    rng_seed(&r, 42, (uint64_t)n);
    fss_dpf_keys k0, k1;
    fss_dpf_keys_alloc(&k0, n, N);
    fss_dpf_keys_alloc(&k1, n, N);
    fss_dpf_gen(&g, &r, &k0, &k1, alpha, N);
    uint8_t *e0 = malloc(N), *e1 = malloc(N), *l0 = malloc(N), *l1 = malloc(N);
    fss_dpf_eval_eq(&g, e0, 0, &k0, x, N);
    fss_dpf_eval_eq(&g, e1, 1, &k1, x, N);
    fss_dpf_eval_lt(&g, l0, 0, &k0, x, N);
    fss_dpf_eval_lt(&g, l1, 1, &k1, x, N);
    uint64_t bad = 0, m = fss_mask(n), ones = 0;
    { /* the batched kernels against the naive one-key-at-a-time references, bit for bit */
        uint8_t *re = malloc(N), *rl = malloc(N);
        fss_dpf_eval_eq_ref(&g, re, 0, &k0, x, N);
        fss_dpf_eval_lt_ref(&g, rl, 0, &k0, x, N);
        bad += memcmp(re, e0, N) != 0;
        bad += memcmp(rl, l0, N) != 0;
        fss_dpf_eval_lt_ref(&g, rl, 1, &k1, x, N);
        bad += memcmp(rl, l1, N) != 0;
        free(re), free(rl);
    }
    for (size_t i = 0; i < N; i++) {
        unsigned eq = (x[i] & m) == (alpha[i] & m), lt = (x[i] & m) < (alpha[i] & m);
        bad += (unsigned)(e0[i] ^ e1[i]) != eq;
        bad += (unsigned)(l0[i] ^ l1[i]) != lt;
        ones += e0[i];
    }
    /* shares alone look random: neither all zero nor all one over many keys */
    if (N >= 1000) cr_expect(ones > N / 4 && ones < 3 * N / 4, "P0's point shares are biased: %llu of %zu",
                             (unsigned long long)ones, N);
    if (full) {
        size_t D = (size_t)1 << n;
        uint8_t *f0 = malloc(N * D), *f1 = malloc(N * D);
        fss_dpf_eval_all(&g, f0, 0, &k0);
        fss_dpf_eval_all(&g, f1, 1, &k1);
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < D; j++) bad += (unsigned)(f0[i * D + j] ^ f1[i * D + j]) != (j == (alpha[i] & m));
        free(f0);
        free(f1);
    }
    /* serialised keys: exactly the closed form, and they evaluate the same after a round trip */
    size_t kb = fss_dpf_key_bytes(n);
    uint8_t *buf = malloc(kb);
    fss_dpf_keys kr;
    fss_dpf_keys_alloc(&kr, n, N);
    for (size_t i = 0; i < N; i++) {
        fss_dpf_key_write(buf, &k1, i);
        fss_dpf_key_read(&kr, i, buf);
    }
    uint8_t *lr = malloc(N);
    fss_dpf_eval_lt(&g, lr, 1, &kr, x, N);
    bad += memcmp(lr, l1, N) != 0;
    free(lr);
    free(buf);
    fss_dpf_keys_free(&kr);
    free(e0);
    free(e1);
    free(l0);
    free(l1);
    fss_dpf_keys_free(&k0);
    fss_dpf_keys_free(&k1);
    fss_prg_free(&g);
    return bad;
}

Test(fss, dpf_exhaustive_small_domains)
{
    /* every alpha, every x, for n = 1..8 (n <= 7 is the table form, n = 8 the tree with one level) */
    for (int n = 1; n <= 8; n++) {
        size_t D = (size_t)1 << n, N = D * D;
        uint64_t *alpha = malloc(N * 8), *x = malloc(N * 8);
        for (size_t i = 0; i < N; i++) {
            alpha[i] = i / D;
            x[i] = i % D;
        }
        cr_expect_eq(dpf_check(n, alpha, x, N, 0), 0, "n = %d", n);
        free(alpha);
        free(x);
    }
}

Test(fss, dpf_full_domain)
{
    for (int n = 6; n <= 10; n += 2) {
        size_t N = 40;
        uint64_t alpha[40], x[40];
        rng r;
        rng_seed(&r, 5, (uint64_t)n);
        for (size_t i = 0; i < N; i++) {
            alpha[i] = rng_u64(&r) & fss_mask(n);
            x[i] = rng_u64(&r);
        }
        alpha[0] = 0;
        alpha[1] = fss_mask(n);
        cr_expect_eq(dpf_check(n, alpha, x, N, 1), 0, "n = %d", n);
    }
}

/* Random and boundary alphas, each against 0, -1, 2^(n-1), alpha - 1, alpha, alpha + 1 and randoms. */
static void boundary_inputs(int n, uint64_t seed, uint64_t **alpha_out, uint64_t **x_out, size_t *N_out)
{
    enum { NA = 64, NX = 12 };
    uint64_t m = fss_mask(n), *alpha = malloc(NA * NX * 8), *x = malloc(NA * NX * 8);
    rng r;
    rng_seed(&r, seed, (uint64_t)n);
    uint64_t half = (uint64_t)1 << (n - 1);
    for (size_t a = 0; a < NA; a++) {
        uint64_t al = rng_u64(&r) & m;
        if (a == 0) al = 0;
        if (a == 1) al = m;
        if (a == 2) al = half;
        if (a == 3) al = half - 1;
        if (a == 4) al = 1;
        if (a == 5) al = (rng_u64(&r) & m & ~(uint64_t)127) | 127; /* leaf boundary */
        uint64_t xs[NX] = {0, m, half, (al - 1) & m, al, (al + 1) & m, half - 1, al ^ 128, al ^ 64,
                           rng_u64(&r) & m, rng_u64(&r) & m, al ^ half};
        for (size_t j = 0; j < NX; j++) {
            alpha[a * NX + j] = al;
            x[a * NX + j] = xs[j];
        }
    }
    *alpha_out = alpha;
    *x_out = x;
    *N_out = NA * NX;
}

Test(fss, dpf_wide_domains_boundaries)
{
    int ns[] = {50, 64, 49, 37, 9};
    for (int k = 0; k < 5; k++) {
        uint64_t *alpha, *x;
        size_t N;
        boundary_inputs(ns[k], 9, &alpha, &x, &N);
        cr_expect_eq(dpf_check(ns[k], alpha, x, N, 0), 0, "n = %d", ns[k]);
        free(alpha);
        free(x);
    }
}

Test(fss, dpf_key_sizes)
{
    /* 16 n - 80 bytes for n > 7 (FSS.md 2); the table of 2^n bits below. */
    cr_expect_eq(fss_dpf_key_bytes(50), 720);
    cr_expect_eq(fss_dpf_key_bytes(49), 704); /* DReLU's comparison at n = 50 */
    cr_expect_eq(fss_dpf_key_bytes(64), 944);
    cr_expect_eq(fss_dpf_key_bytes(12), 112);
    cr_expect_eq(fss_dpf_key_bytes(8), 48);
    cr_expect_eq(fss_dpf_key_bytes(7), 16);
    cr_expect_eq(fss_dpf_key_bytes(3), 1);
    cr_expect_eq(fss_dpf_key_bits(2), 4);
}

/* ---- DCF ---- */

static uint64_t dcf_check(int n, int l, const uint64_t *alpha, const uint64_t *x, size_t N)
{
    fss_prg g;
    fss_prg_init(&g);
    rng r;
    rng_seed(&r, 77, (uint64_t)(n * 100 + l));
    uint64_t *beta = malloc(N * 8), *y0 = malloc(N * 8), *y1 = malloc(N * 8), lm = fss_mask(l), m = fss_mask(n);
    for (size_t i = 0; i < N; i++) beta[i] = (i % 7 == 0) ? lm : rng_u64(&r) & lm;
    beta[0] = 1;
    fss_dcf_keys k0, k1;
    fss_dcf_keys_alloc(&k0, n, l, N);
    fss_dcf_keys_alloc(&k1, n, l, N);
    fss_dcf_gen(&g, &r, &k0, &k1, alpha, beta, N);
    fss_dcf_eval(&g, y0, 0, &k0, x, N);
    fss_dcf_eval(&g, y1, 1, &k1, x, N);
    uint64_t bad = 0;
    for (size_t i = 0; i < N; i++) {
        uint64_t want = (x[i] & m) < (alpha[i] & m) ? beta[i] : 0;
        bad += ((y0[i] + y1[i]) & lm) != want;
        bad += y0[i] > lm || y1[i] > lm;
    }
    size_t kb = fss_dcf_key_bytes(n, l);
    uint8_t *buf = malloc(kb);
    fss_dcf_keys kr;
    fss_dcf_keys_alloc(&kr, n, l, N);
    for (size_t i = 0; i < N; i++) {
        fss_dcf_key_write(buf, &k0, i);
        fss_dcf_key_read(&kr, i, buf);
    }
    fss_dcf_eval(&g, beta, 0, &kr, x, N);
    bad += memcmp(beta, y0, N * 8) != 0;
    fss_dcf_keys_free(&kr);
    free(buf);
    free(beta);
    free(y0);
    free(y1);
    fss_dcf_keys_free(&k0);
    fss_dcf_keys_free(&k1);
    fss_prg_free(&g);
    return bad;
}

Test(fss, dcf_exhaustive_n8)
{
    size_t D = 256, N = D * D;
    uint64_t *alpha = malloc(N * 8), *x = malloc(N * 8);
    for (size_t i = 0; i < N; i++) {
        alpha[i] = i / D;
        x[i] = i % D;
    }
    cr_expect_eq(dcf_check(8, 1, alpha, x, N), 0, "l = 1");
    cr_expect_eq(dcf_check(8, 13, alpha, x, N), 0, "l = 13");
    free(alpha);
    free(x);
    /* small domains, 64-bit group */
    for (int n = 1; n <= 4; n++) {
        size_t d = (size_t)1 << n, M = d * d;
        uint64_t a[256], xx[256];
        for (size_t i = 0; i < M; i++) {
            a[i] = i / d;
            xx[i] = i % d;
        }
        cr_expect_eq(dcf_check(n, 64, a, xx, M), 0, "n = %d", n);
    }
}

Test(fss, dcf_wide_domains_boundaries)
{
    int ns[] = {50, 64, 50, 64, 37};
    int ls[] = {1, 1, 50, 64, 12};
    for (int k = 0; k < 5; k++) {
        uint64_t *alpha, *x;
        size_t N;
        boundary_inputs(ns[k], 11, &alpha, &x, &N);
        cr_expect_eq(dcf_check(ns[k], ls[k], alpha, x, N), 0, "n = %d, l = %d", ns[k], ls[k]);
        free(alpha);
        free(x);
    }
}

Test(fss, dcf_key_sizes)
{
    /* (n + 1)(128 + l) bits (FSS.md 2) */
    cr_expect_eq(fss_dcf_key_bits(50, 1), 51 * 129);
    cr_expect_eq(fss_dcf_key_bytes(50, 1), 823); /* 6579 bits */
    cr_expect_eq(fss_dcf_key_bytes(64, 64), 65 * 24);
    cr_expect_eq(fss_dcf_key_bytes(8, 8), 9 * 17);
}

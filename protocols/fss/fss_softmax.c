/* fss_softmax.c -- clip, nExp, inverse and softmax (see fss_softmax.h). */
#include "fss_softmax.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/chk.h"
#include "fss_bits.h"

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    CHECK(p != NULL, "fss_softmax: out of memory (%zu x %zu bytes)", n, sz);
    return p;
}

/* ---- clip ---- */

fss_cost fss_clip_cost(int b, int bout, size_t N)
{
    fss_cost r = {2, fss_packed_bytes(N, 1) + fss_packed_bytes(N, bout),
                  N * fss_dpf_key_bytes(b) + fss_packed_bytes(N, 1) + fss_packed_bytes(4 * N, bout)};
    return r;
}

void fss_clip_keygen(fss_dealer *d, fss_clip_key *k0, fss_clip_key *k1, uint64_t *r_out, const uint64_t *r_in, int b,
                     int bout, uint64_t M, size_t N)
{
    CHECK(b >= 2 && b <= 64 && bout >= 1 && bout <= b && M > 0 && M <= fss_mask(bout), "fss_clip: bad widths");
    fss_clip_key *k[2] = {k0, k1};
    for (int p = 0; p < 2; p++) {
        memset(k[p], 0, sizeof *k[p]);
        k[p]->b = b;
        k[p]->bout = bout;
        k[p]->N = N;
        k[p]->M = M;
    }
    if (!d) return;
    uint64_t mb = fss_mask(b), mo = fss_mask(bout);
    uint64_t *alpha = xcalloc(N, 8), *rc = xcalloc(N, 8), *v0 = xcalloc(2 * N, 8), *v1 = xcalloc(2 * N, 8);
    for (int p = 0; p < 2; p++) {
        fss_dealer_dpf_alloc(d, p, &k[p]->dpf, b, N);
        k[p]->c = xcalloc(N, 1);
        k[p]->c0 = xcalloc(2 * N, 8);
        k[p]->c1 = xcalloc(2 * N, 8);
    }
    for (size_t i = 0; i < N; i++) alpha[i] = r_in[i] & mb;
    fss_dpf_gen(&d->prg, &d->r, &k0->dpf, &k1->dpf, alpha, N);
    fss_dealer_masks(d, rc, N, 1);
    fss_dealer_masks(d, r_out, N, bout);
    fss_dealer_bits(d, k0->c, N);
    for (size_t i = 0; i < N; i++) {
        k1->c[i] = (uint8_t)(k0->c[i] ^ rc[i]);
        for (unsigned cc = 0; cc < 2; cc++) {
            size_t idx = 2 * i + (cc ^ rc[i]);
            uint64_t c1 = cc, c0 = cc ? 0 : M;
            v1[idx] = c1;
            v0[idx] = (c0 - c1 * r_in[i] + r_out[i]) & mo;
        }
    }
    fss_dealer_share(d, k0->c0, k1->c0, v0, 2 * N, bout);
    fss_dealer_share(d, k0->c1, k1->c1, v1, 2 * N, bout);
    free(alpha), free(rc), free(v0), free(v1);
}

void fss_clip(mpc_ctx *c, uint64_t *y_hat, const fss_clip_key *k, const uint64_t *x_hat, size_t N)
{
    int b = k->b, bout = k->bout;
    mpc_work(c, N, 4 * (uint64_t)N, 16 * 2 * (uint64_t)N * (2 * (uint64_t)fss_dpf_levels(b) + 1));
    if (c->phantom) {
        fss_open(c, NULL, NULL, N, 1);
        fss_open(c, NULL, NULL, N, bout);
        return;
    }
    uint64_t mb = fss_mask(b), mo = fss_mask(bout), M = k->M;
    uint64_t *p0 = xcalloc(N, 8), *p1 = xcalloc(N, 8), *sh = xcalloc(N, 8), *ch = xcalloc(N, 8);
    uint8_t *l0 = xcalloc(N, 1), *l1 = xcalloc(N, 1);
    for (size_t i = 0; i < N; i++) {
        p0[i] = x_hat[i] & mb;
        p1[i] = (p0[i] - M) & mb;
    }
    fss_prg g;
    fss_prg_init(&g);
    fss_dpf_eval_lt(&g, l0, c->self, &k->dpf, p0, N);
    fss_dpf_eval_lt(&g, l1, c->self, &k->dpf, p1, N);
    fss_prg_free(&g);
    for (size_t i = 0; i < N; i++) {
        unsigned v = l0[i] ^ l1[i] ^ k->c[i];
        if (c->self == NET_P0) v ^= p0[i] < M;
        sh[i] = v & 1;
    }
    fss_open(c, ch, sh, N, 1);
    for (size_t i = 0; i < N; i++) sh[i] = (k->c1[2 * i + ch[i]] * x_hat[i] + k->c0[2 * i + ch[i]]) & mo;
    fss_open(c, y_hat, sh, N, bout);
    free(p0), free(p1), free(sh), free(ch), free(l0), free(l1);
}

void fss_clip_key_free(fss_clip_key *k)
{
    fss_dpf_keys_free(&k->dpf);
    free(k->c), free(k->c0), free(k->c1);
    k->c = NULL;
    k->c0 = k->c1 = NULL;
}

/* ---- nExp ---- */

/* z = min(x, 2^(f + 4) - 1) covers x < 16 at any f (16 bits at f = 12, SIGMA's); lo: its low 8 bits,
 * hi: the f - 4 above them. */
enum { NEXP_LO = 8 };
static int nexp_clip_bits(int f) { return f + 4; }
static int nexp_hi_bits(int f) { return f - 4; }

static void nexp_tables(uint64_t *lo, uint64_t *hi, int n, int f)
{
    for (int i = 0; i < 1 << NEXP_LO; i++) lo[i] = (uint64_t)llround(exp(-ldexp(i, -f)) * ldexp(1, f)) & fss_mask(n);
    for (int i = 0; i < 1 << nexp_hi_bits(f); i++)
        hi[i] = (uint64_t)llround(exp(-ldexp(i, NEXP_LO - f)) * ldexp(1, f)) & fss_mask(n);
}

fss_cost fss_nexp_cost(int n, int f, size_t N)
{
    int cb = nexp_clip_bits(f), hb = nexp_hi_bits(f);
    fss_cost c = fss_clip_cost(n, cb, N);
    /* TrReduce(f + 4, 8) and the low LUT in lockstep: two rounds, one message each */
    fss_cost par = fss_cost_add(fss_tr_cost(FSS_TR_REDUCE, cb, NEXP_LO, hb, N), fss_lut_cost(NEXP_LO, n, N));
    par.rounds = 2;
    par.bytes = fss_packed_bytes(N, 2 + n) + fss_packed_bytes(N, hb + n);
    c = fss_cost_add(c, par);
    c = fss_cost_add(c, fss_lut_cost(hb, n, N));
    c = fss_cost_add(c, fss_mul_cost(n, 1, N, 0));
    return fss_cost_add(c, fss_tr_cost(FSS_TR_SLACK, n, f, n, N));
}

void fss_nexp_keygen(fss_dealer *d, fss_nexp_key *k0, fss_nexp_key *k1, uint64_t *r_out, const uint64_t *r_in, int n,
                     int f, size_t N)
{
    CHECK(n >= 2 * f + 4 && f >= 5 && f <= FSS_MAX_FRAC, "fss_nexp: ring of %d bits, f = %d", n, f);
    int cb = nexp_clip_bits(f), hb = nexp_hi_bits(f);
    k0->n = k1->n = n;
    k0->f = k1->f = f;
    k0->N = k1->N = N;
    uint64_t *rz = d ? xcalloc(N, 8) : NULL, *rlo = d ? xcalloc(N, 8) : NULL, *rhi = d ? xcalloc(N, 8) : NULL,
             *ra = d ? xcalloc(N, 8) : NULL, *rb = d ? xcalloc(N, 8) : NULL, *rp = d ? xcalloc(N, 8) : NULL;
    fss_clip_keygen(d, &k0->clip, &k1->clip, rz, r_in, n, cb, fss_mask(cb), N);
    if (d)
        for (size_t i = 0; i < N; i++) rlo[i] = rz[i] & fss_mask(NEXP_LO);
    fss_tr_keygen(d, &k0->hi, &k1->hi, rhi, rz, FSS_TR_REDUCE, cb, NEXP_LO, hb, N);
    fss_lut_keygen(d, &k0->lut_lo, &k1->lut_lo, ra, rlo, NEXP_LO, n, N);
    fss_lut_keygen(d, &k0->lut_hi, &k1->lut_hi, rb, rhi, hb, n, N);
    fss_mul_keygen(d, &k0->mul, &k1->mul, rp, ra, rb, n, 1, N, 0);
    fss_tr_keygen(d, &k0->tr, &k1->tr, r_out, rp, FSS_TR_SLACK, n, f, n, N);
    free(rz), free(rlo), free(rhi), free(ra), free(rb), free(rp);
}

void fss_nexp(mpc_ctx *c, uint64_t *y_hat, const fss_nexp_key *k, const uint64_t *x_hat, size_t N)
{
    int ph = c->phantom, n = k->n;
    uint64_t *z = ph ? NULL : xcalloc(N, 8), *lo = ph ? NULL : xcalloc(N, 8), *hi = ph ? NULL : xcalloc(N, 8),
             *A = ph ? NULL : xcalloc(N, 8), *B = ph ? NULL : xcalloc(N, 8), *P = ph ? NULL : xcalloc(N, 8);
    uint64_t *zs = ph ? NULL : xcalloc(N, 8), *zh = ph ? NULL : xcalloc(N, 8), *us = ph ? NULL : xcalloc(N, 8),
             *uh = ph ? NULL : xcalloc(N, 8), *vs = ph ? NULL : xcalloc(N, 8), *vh = ph ? NULL : xcalloc(N, 8),
             *hs = ph ? NULL : xcalloc(N, 8), *as = ph ? NULL : xcalloc(N, 8);
    uint64_t Tlo[1 << NEXP_LO], *Thi = xcalloc((size_t)1 << nexp_hi_bits(k->f), 8);
    nexp_tables(Tlo, Thi, n, k->f);
    fss_clip(c, z, &k->clip, x_hat, N);
    if (!ph)
        for (size_t i = 0; i < N; i++) lo[i] = z[i] & fss_mask(NEXP_LO);
    /* hi = TrReduce(z, 8) and A = LUT_lo(lo) in lockstep: round 1 opens the truncation's bit with the
     * LUT's u^, v^; round 2 opens hi^ with A^ */
    fss_tr_cmp(c, zs, &k->hi, z, N);
    fss_lut_uv(c, us, vs, &k->lut_lo, Tlo, lo, N);
    fss_seg r1[3] = {{zh, zs, N, 1}, {uh, us, N, 1}, {vh, vs, N, n}};
    fss_open_segs(c, r1, 3);
    fss_tr_fin(c, hs, &k->hi, z, zh, N);
    fss_lut_fin(c, as, &k->lut_lo, uh, vh, N);
    fss_seg r2[2] = {{hi, hs, N, nexp_hi_bits(k->f)}, {A, as, N, n}};
    fss_open_segs(c, r2, 2);
    fss_lut(c, B, &k->lut_hi, Thi, hi, N);
    fss_mul(c, P, &k->mul, A, B);
    fss_tr(c, y_hat, &k->tr, P, N);
    free(z), free(lo), free(hi), free(A), free(B), free(P), free(Thi);
    free(zs), free(zh), free(us), free(uh), free(vs), free(vh), free(hs), free(as);
}

void fss_nexp_key_free(fss_nexp_key *k)
{
    fss_clip_key_free(&k->clip);
    fss_tr_key_free(&k->hi);
    fss_lut_key_free(&k->lut_lo);
    fss_lut_key_free(&k->lut_hi);
    fss_mul_key_free(&k->mul);
    fss_tr_key_free(&k->tr);
}

/* ---- inverse ---- */

/* SIGMA drops 6 bits; more where the LUT would exceed 16 bits (in > 22: f > 13 at L = 128) */
static int inv_drop(int in) { return in - 16 > 6 ? in - 16 : 6; }

fss_cost fss_inv_cost(int n, int f, int in, size_t N)
{
    int dr = inv_drop(in);
    return fss_cost_add(fss_tr_cost(FSS_TR_REDUCE, in, dr, in - dr, N), fss_lut_cost(in - dr, n, N));
}

void fss_inv_keygen(fss_dealer *d, fss_inv_key *k0, fss_inv_key *k1, uint64_t *r_out, const uint64_t *r_in, int n,
                    int f, int in, size_t N)
{
    int dr = inv_drop(in);
    CHECK(in - dr >= 1 && in <= n && f > dr, "fss_inv: %d input bits, f = %d, ring of %d bits", in, f, n);
    k0->n = k1->n = n;
    k0->f = k1->f = f;
    k0->in = k1->in = in;
    k0->N = k1->N = N;
    uint64_t *rt = d ? xcalloc(N, 8) : NULL;
    fss_tr_keygen(d, &k0->tr, &k1->tr, rt, r_in, FSS_TR_REDUCE, in, dr, in - dr, N);
    fss_lut_keygen(d, &k0->lut, &k1->lut, r_out, rt, in - dr, n, N);
    free(rt);
}

void fss_inv(mpc_ctx *c, uint64_t *y_hat, const fss_inv_key *k, const uint64_t *x_hat, size_t N)
{
    int dr = inv_drop(k->in), bl = k->in - dr;
    size_t D = (size_t)1 << bl;
    uint64_t *T = c->phantom ? NULL : xcalloc(D, 8), *t = c->phantom ? NULL : xcalloc(N, 8);
    if (!c->phantom)
        for (size_t j = 1; j < D; j++)
            T[j] = (uint64_t)llround(ldexp(1, 2 * k->f - dr) / (double)j) & fss_mask(k->n);
    fss_tr(c, t, &k->tr, x_hat, N);
    fss_lut(c, y_hat, &k->lut, T, t, N);
    free(T), free(t);
}

void fss_inv_key_free(fss_inv_key *k)
{
    fss_tr_key_free(&k->tr);
    fss_lut_key_free(&k->lut);
}

/* ---- softmax ---- */

static int inv_bits(int f, size_t L)
{
    int lg = 0;
    while (((size_t)1 << lg) < L) lg++;
    return f + lg + 1;
}

fss_cost fss_softmax_cost(int n, int f, size_t R, size_t L)
{
    fss_cost c = fss_max_cost(n, R, L);
    c = fss_cost_add(c, fss_nexp_cost(n, f, R * L));
    c = fss_cost_add(c, fss_inv_cost(n, f, inv_bits(f, L), R));
    c = fss_cost_add(c, fss_mul_cost(n, R, L, 1));
    return fss_cost_add(c, fss_tr_cost(FSS_TR_SLACK, n, f, n, R * L));
}

void fss_softmax_keygen(fss_dealer *d, fss_softmax_key *k0, fss_softmax_key *k1, uint64_t *r_out, const uint64_t *r_in,
                        int n, int f, size_t R, size_t L)
{
    size_t N = R * L;
    k0->n = k1->n = n;
    k0->f = k1->f = f;
    k0->R = k1->R = R;
    k0->L = k1->L = L;
    uint64_t *rm = d ? xcalloc(R, 8) : NULL, *r1 = d ? xcalloc(N, 8) : NULL, *re = d ? xcalloc(N, 8) : NULL,
             *rs = d ? xcalloc(R, 8) : NULL, *ri = d ? xcalloc(R, 8) : NULL, *rp = d ? xcalloc(N, 8) : NULL;
    uint64_t mb = fss_mask(n);
    fss_max_keygen(d, &k0->max, &k1->max, rm, r_in, n, R, L);
    if (d)
        for (size_t i = 0; i < N; i++) r1[i] = (rm[i / L] - r_in[i]) & mb;
    fss_nexp_keygen(d, &k0->nexp, &k1->nexp, re, r1, n, f, N);
    if (d)
        for (size_t i = 0; i < N; i++) rs[i / L] = (rs[i / L] + re[i]) & mb;
    fss_inv_keygen(d, &k0->inv, &k1->inv, ri, rs, n, f, inv_bits(f, L), R);
    fss_mul_keygen(d, &k0->mul, &k1->mul, rp, re, ri, n, R, L, 1);
    fss_tr_keygen(d, &k0->tr, &k1->tr, r_out, rp, FSS_TR_SLACK, n, f, n, N);
    free(rm), free(r1), free(re), free(rs), free(ri), free(rp);
}

static void softmax_impl(mpc_ctx *c, uint64_t *y_hat, const fss_softmax_key *k, const uint64_t *x_hat, int open)
{
    size_t R = k->R, L = k->L, N = R * L;
    int ph = c->phantom;
    uint64_t mb = fss_mask(k->n);
    uint64_t *m = ph ? NULL : xcalloc(R, 8), *x1 = ph ? NULL : xcalloc(N, 8), *e = ph ? NULL : xcalloc(N, 8),
             *S = ph ? NULL : xcalloc(R, 8), *inv = ph ? NULL : xcalloc(R, 8), *p = ph ? NULL : xcalloc(N, 8);
    fss_max(c, m, &k->max, x_hat);
    mpc_work(c, 0, 2 * N, 0);
    if (!ph)
        for (size_t i = 0; i < N; i++) x1[i] = (m[i / L] - x_hat[i]) & mb;
    fss_nexp(c, e, &k->nexp, x1, N);
    if (!ph)
        for (size_t i = 0; i < N; i++) S[i / L] = (S[i / L] + e[i]) & mb;
    fss_inv(c, inv, &k->inv, S, R);
    fss_mul(c, p, &k->mul, e, inv);
    if (open) fss_tr(c, y_hat, &k->tr, p, N);
    else fss_tr_sh(c, y_hat, &k->tr, p, N);
    free(m), free(x1), free(e), free(S), free(inv), free(p);
}

void fss_softmax(mpc_ctx *c, uint64_t *y_hat, const fss_softmax_key *k, const uint64_t *x_hat)
{
    softmax_impl(c, y_hat, k, x_hat, 1);
}

void fss_softmax_sh(mpc_ctx *c, uint64_t *y_sh, const fss_softmax_key *k, const uint64_t *x_hat)
{
    softmax_impl(c, y_sh, k, x_hat, 0);
}

void fss_softmax_key_free(fss_softmax_key *k)
{
    fss_max_key_free(&k->max);
    fss_nexp_key_free(&k->nexp);
    fss_inv_key_free(&k->inv);
    fss_mul_key_free(&k->mul);
    fss_tr_key_free(&k->tr);
}

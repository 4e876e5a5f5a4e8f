/* fss_norm.c -- rsqrt by a float-like LUT, and LayerNorm (see fss_norm.h). */
#include "fss_norm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/chk.h"
#include "fss_bits.h"

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    CHECK(p != NULL, "fss_norm: out of memory (%zu x %zu bytes)", n, sz);
    return p;
}

enum { IDX_BITS = FSS_RSQRT_EBITS + FSS_RSQRT_MBITS };

/* ---- rsqrt ---- */

fss_cost fss_rsqrt_cost(int n, size_t N)
{
    int K = n - 2;
    size_t T = (size_t)(K - 1) * N;
    fss_cost c = {2, fss_packed_bytes(T, 1) + fss_packed_bytes(N, FSS_RSQRT_EBITS + n),
                  N * fss_dpf_key_bytes(n) + fss_packed_bytes(T, 1) + fss_packed_bytes(N, FSS_RSQRT_EBITS) +
                      fss_packed_bytes(2 * T + 2 * N, n)};
    c = fss_cost_add(c, fss_tr_cost(FSS_TR_SLACK, n, K - FSS_RSQRT_MBITS, IDX_BITS, N));
    return fss_cost_add(c, fss_lut_cost(IDX_BITS, n, N));
}

static void flut_keygen(fss_dealer *d, fss_rsqrt_key *k0, fss_rsqrt_key *k1, uint64_t *r_out, const uint64_t *r_in,
                        int n, int f, int fin, double dd, size_t N, int recip);

void fss_rsqrt_keygen(fss_dealer *d, fss_rsqrt_key *k0, fss_rsqrt_key *k1, uint64_t *r_out, const uint64_t *r_in, int n,
                      int f, int fin, double dd, size_t N)
{
    flut_keygen(d, k0, k1, r_out, r_in, n, f, fin, dd, N, 0);
}

void fss_recip_keygen(fss_dealer *d, fss_rsqrt_key *k0, fss_rsqrt_key *k1, uint64_t *r_out, const uint64_t *r_in,
                      int n, int f, int fin, double dd, size_t N)
{
    flut_keygen(d, k0, k1, r_out, r_in, n, f, fin, dd, N, 1);
}

static void flut_keygen(fss_dealer *d, fss_rsqrt_key *k0, fss_rsqrt_key *k1, uint64_t *r_out, const uint64_t *r_in,
                        int n, int f, int fin, double dd, size_t N, int recip)
{
    int K = n - 2;
    CHECK(n >= 16 && n <= 64 && K - 1 < (1 << FSS_RSQRT_EBITS) && dd > 0 && f < n - 2,
          "fss_rsqrt: ring of %d bits, output scale %d", n, f);
    fss_rsqrt_key *k[2] = {k0, k1};
    for (int p = 0; p < 2; p++) {
        memset(k[p], 0, sizeof *k[p]);
        k[p]->n = n;
        k[p]->f = f;
        k[p]->fin = fin;
        k[p]->recip = recip;
        k[p]->d = dd;
        k[p]->N = N;
    }
    if (!d) {
        fss_tr_keygen(NULL, &k0->tr, &k1->tr, NULL, NULL, FSS_TR_SLACK, n, K - FSS_RSQRT_MBITS, IDX_BITS, N);
        fss_lut_keygen(NULL, &k0->lr, &k1->lr, NULL, NULL, IDX_BITS, n, N);
        return;
    }
    size_t T = (size_t)(K - 1) * N;
    uint64_t me = fss_mask(FSS_RSQRT_EBITS), mn = fss_mask(n);
    uint64_t *alpha = xcalloc(N, 8), *rj = xcalloc(T, 8), *re = xcalloc(N, 8), *rw = xcalloc(N, 8),
             *rm = xcalloc(N, 8), *ridx = xcalloc(N, 8), *v = xcalloc(2 * T + 2 * N, 8);
    for (int p = 0; p < 2; p++) {
        fss_dealer_dpf_alloc(d, p, &k[p]->dpf, n, N);
        k[p]->c = xcalloc(T, 1);
        k[p]->e0 = xcalloc(N, 8);
        k[p]->sh = xcalloc(2 * T + 2 * N, 8);
    }
    for (size_t i = 0; i < N; i++) alpha[i] = r_in[i] & mn;
    fss_dpf_gen(&d->prg, &d->r, &k0->dpf, &k1->dpf, alpha, N);
    fss_dealer_masks(d, rj, T, 1);
    fss_dealer_bits(d, k0->c, T);
    for (size_t t = 0; t < T; t++) k1->c[t] = (uint8_t)(k0->c[t] ^ rj[t]);
    fss_dealer_masks(d, re, N, FSS_RSQRT_EBITS);
    fss_dealer_share(d, k0->e0, k1->e0, re, N, FSS_RSQRT_EBITS);
    fss_dealer_masks(d, rw, N, n);
    /* [r_j] (T), [r r_j] (T), [r] (N), [r_w] (N), all in n bits */
    for (size_t t = 0; t < T; t++) {
        v[t] = rj[t];
        v[T + t] = (alpha[t % N] * rj[t]) & mn;
    }
    for (size_t i = 0; i < N; i++) {
        v[2 * T + i] = alpha[i];
        v[2 * T + N + i] = rw[i];
    }
    fss_dealer_share(d, k0->sh, k1->sh, v, 2 * T + 2 * N, n);
    fss_tr_keygen(d, &k0->tr, &k1->tr, rm, rw, FSS_TR_SLACK, n, K - FSS_RSQRT_MBITS, IDX_BITS, N);
    for (size_t i = 0; i < N; i++) ridx[i] = (((re[i] & me) << FSS_RSQRT_MBITS) + rm[i]) & fss_mask(IDX_BITS);
    fss_lut_keygen(d, &k0->lr, &k1->lr, r_out, ridx, IDX_BITS, n, N);
    free(alpha), free(rj), free(re), free(rw), free(rm), free(ridx), free(v);
}

void fss_rsqrt(mpc_ctx *c, uint64_t *y_hat, const fss_rsqrt_key *k, const uint64_t *x_hat, size_t N)
{
    int n = k->n, K = n - 2, ph = c->phantom, p0 = c->self == NET_P0;
    size_t T = (size_t)(K - 1) * N;
    uint64_t mn = fss_mask(n), me = fss_mask(FSS_RSQRT_EBITS);
    mpc_work(c, 2 * T, 3 * T, 16 * (uint64_t)K * N * (2 * (uint64_t)fss_dpf_levels(n) + 1));
    uint64_t *tsh = ph ? NULL : xcalloc(T, 8), *th = ph ? NULL : xcalloc(T, 8), *esh = ph ? NULL : xcalloc(N, 8),
             *eh = ph ? NULL : xcalloc(N, 8), *wsh = ph ? NULL : xcalloc(N, 8), *wh = ph ? NULL : xcalloc(N, 8),
             *m = ph ? NULL : xcalloc(N, 8), *idx = ph ? NULL : xcalloc(N, 8);
    if (!ph) {
        uint64_t *y = xcalloc(N, 8), *yj = xcalloc(N, 8);
        uint8_t *l0 = xcalloc(N, 1), *lj = xcalloc(N, 1);
        fss_prg g;
        fss_prg_init(&g);
        for (size_t i = 0; i < N; i++) y[i] = x_hat[i] & mn;
        fss_dpf_eval_lt(&g, l0, c->self, &k->dpf, y, N);
        for (int j = 1; j < K; j++) {
            uint64_t Kj = (uint64_t)1 << j;
            for (size_t i = 0; i < N; i++) yj[i] = (y[i] - Kj) & mn;
            fss_dpf_eval_lt(&g, lj, c->self, &k->dpf, yj, N);
            for (size_t i = 0; i < N; i++) {
                size_t t = (size_t)(j - 1) * N + i;
                unsigned v = l0[i] ^ lj[i] ^ k->c[t];
                if (p0) v ^= 1u ^ (unsigned)(y[i] < Kj);
                tsh[t] = v & 1;
            }
        }
        fss_prg_free(&g);
        free(y), free(yj), free(l0), free(lj);
    }
    fss_open(c, th, tsh, T, 1);
    if (!ph) {
        /* t_j = t^_j ^ r_j = t^_j + (1 - 2 t^_j) r_j, e = sum_j t_j, P = 2^(K-1-e) = 2^(K-1) - sum_j 2^(K-1-j) t_j,
         * r t_j = t^_j (r - 2 r r_j) + r r_j; w = v P + r_w = v^ P - r P + r_w (all linear in the shares) */
        const uint64_t *rn = k->sh, *rrj = k->sh + T, *rr = k->sh + 2 * T, *rw = k->sh + 2 * T + N;
        for (size_t i = 0; i < N; i++) {
            uint64_t top = (uint64_t)1 << (K - 1);
            uint64_t e = k->e0[i], P = p0 ? top : 0, rP = rr[i] * top;
            for (int j = 1; j < K; j++) {
                size_t t = (size_t)(j - 1) * N + i;
                uint64_t tb = th[t], wj = (uint64_t)1 << (K - 1 - j);
                uint64_t tj = (1 - 2 * tb) * rn[t] + (p0 ? tb : 0);
                e += tj;
                P -= wj * tj;
                rP -= wj * (tb * (rr[i] - 2 * rrj[t]) + rrj[t]);
            }
            esh[i] = e & me;
            wsh[i] = ((x_hat[i] & mn) * P - rP + rw[i]) & mn;
        }
    }
    fss_seg sg[2] = {{eh, esh, N, FSS_RSQRT_EBITS}, {wh, wsh, N, n}};
    fss_open_segs(c, sg, 2);
    size_t DE = (size_t)1 << FSS_RSQRT_EBITS, DI = (size_t)1 << IDX_BITS;
    uint64_t *TR = ph ? NULL : xcalloc(DI, 8);
    if (!ph) {
        for (size_t e = 0; e < DE; e++)
            for (size_t mm = 1u << (FSS_RSQRT_MBITS - 1); mm < (1u << FSS_RSQRT_MBITS); mm++) {
                double v = (double)mm * ldexp(1, (int)e - (FSS_RSQRT_MBITS - 1)) / (k->d * ldexp(1, k->fin));
                double y = ldexp(1, k->f) / (k->recip ? v : sqrt(v));
                TR[(e << FSS_RSQRT_MBITS) | mm] = y < ldexp(1, n - 2) ? (uint64_t)llround(y) & mn : fss_mask(n - 2);
            }
    }
    fss_tr(c, m, &k->tr, wh, N);
    if (!ph)
        for (size_t i = 0; i < N; i++) idx[i] = ((eh[i] << FSS_RSQRT_MBITS) + m[i]) & fss_mask(IDX_BITS);
    fss_lut(c, y_hat, &k->lr, TR, idx, N);
    free(tsh), free(th), free(esh), free(eh), free(wsh), free(wh), free(m), free(idx), free(TR);
}

void fss_rsqrt_key_free(fss_rsqrt_key *k)
{
    fss_dpf_keys_free(&k->dpf);
    free(k->c), free(k->e0), free(k->sh);
    k->c = NULL;
    k->e0 = k->sh = NULL;
    fss_lut_key_free(&k->lr);
    fss_tr_key_free(&k->tr);
}

/* ---- LayerNorm ---- */

static uint64_t mean_mult(int f, size_t L) { return (uint64_t)llround(ldexp(1, 2 * f) / (double)L); }

fss_cost fss_layernorm_cost(int n, int f, size_t R, size_t L)
{
    size_t N = R * L;
    fss_cost c = fss_tr_cost(FSS_TR_SLACK, n, 2 * f, n, R);
    fss_cost sq = {1, fss_packed_bytes(R, n), fss_packed_bytes(N + R, n)};
    c = fss_cost_add(c, sq);
    c = fss_cost_add(c, fss_rsqrt_cost(n, R));
    c = fss_cost_add(c, fss_mul_cost(n, R, L, 1));
    c = fss_cost_add(c, fss_tr_cost(FSS_TR_SLACK, n, f, n, N));
    c = fss_cost_add(c, fss_mul_cost(n, R, L, 2));
    return fss_cost_add(c, fss_tr_cost(FSS_TR_SLACK, n, f, n, N));
}

void fss_layernorm_keygen(fss_dealer *d, fss_layernorm_key *k0, fss_layernorm_key *k1, uint64_t *r_out,
                          const uint64_t *r_in, const uint64_t *r_gamma, const uint64_t *r_beta, int n, int f,
                          double eps, size_t R, size_t L)
{
    size_t N = R * L;
    fss_layernorm_key *k[2] = {k0, k1};
    for (int p = 0; p < 2; p++) {
        memset(k[p], 0, sizeof *k[p]);
        k[p]->n = n;
        k[p]->f = f;
        k[p]->R = R;
        k[p]->L = L;
        k[p]->eps = eps;
        k[p]->cmean = mean_mult(f, L);
    }
    uint64_t mb = fss_mask(n), cm = mean_mult(f, L);
    uint64_t *rs = d ? xcalloc(R, 8) : NULL, *rmu = d ? xcalloc(R, 8) : NULL, *rxm = d ? xcalloc(N, 8) : NULL,
             *rv = d ? xcalloc(R, 8) : NULL, *cc = d ? xcalloc(R, 8) : NULL, *ri = d ? xcalloc(R, 8) : NULL,
             *rp = d ? xcalloc(N, 8) : NULL, *ry1 = d ? xcalloc(N, 8) : NULL, *rq = d ? xcalloc(N, 8) : NULL;
    if (d)
        for (size_t i = 0; i < N; i++) rs[i / L] = (rs[i / L] + cm * r_in[i]) & mb;
    fss_tr_keygen(d, &k0->mu, &k1->mu, rmu, rs, FSS_TR_SLACK, n, 2 * f, n, R);
    if (d) {
        for (size_t i = 0; i < N; i++) rxm[i] = (r_in[i] - rmu[i / L]) & mb;
        for (int p = 0; p < 2; p++) {
            k[p]->sr = xcalloc(N, 8);
            k[p]->sc = xcalloc(R, 8);
        }
        fss_dealer_share(d, k0->sr, k1->sr, rxm, N, n);
        fss_dealer_masks(d, rv, R, n);
        for (size_t i = 0; i < N; i++) cc[i / L] += rxm[i] * rxm[i];
        for (size_t r = 0; r < R; r++) cc[r] = (cc[r] + rv[r]) & mb;
        fss_dealer_share(d, k0->sc, k1->sc, cc, R, n);
    }
    fss_rsqrt_keygen(d, &k0->rs, &k1->rs, ri, rv, n, f, 2 * f, (double)L, R);
    fss_mul_keygen(d, &k0->m1, &k1->m1, rp, rxm, ri, n, R, L, 1);
    fss_tr_keygen(d, &k0->t1, &k1->t1, ry1, rp, FSS_TR_SLACK, n, f, n, N);
    fss_mul_keygen(d, &k0->m2, &k1->m2, rq, ry1, r_gamma, n, R, L, 2);
    if (d)
        for (size_t i = 0; i < N; i++) rq[i] = (rq[i] + (r_beta[i % L] << f)) & mb;
    fss_tr_keygen(d, &k0->t2, &k1->t2, r_out, rq, FSS_TR_SLACK, n, f, n, N);
    free(rs), free(rmu), free(rxm), free(rv), free(cc), free(ri), free(rp), free(ry1), free(rq);
}

static void layernorm_impl(mpc_ctx *c, uint64_t *y_hat, const fss_layernorm_key *k, const uint64_t *x_hat,
                           const uint64_t *gamma_hat, const uint64_t *beta_hat, int open)
{
    size_t R = k->R, L = k->L, N = R * L;
    int n = k->n, f = k->f, ph = c->phantom;
    uint64_t mb = fss_mask(n);
    uint64_t *s = ph ? NULL : xcalloc(R, 8), *mu = ph ? NULL : xcalloc(R, 8), *xm = ph ? NULL : xcalloc(N, 8),
             *vs = ph ? NULL : xcalloc(R, 8), *v = ph ? NULL : xcalloc(R, 8), *inv = ph ? NULL : xcalloc(R, 8),
             *p = ph ? NULL : xcalloc(N, 8), *y1 = ph ? NULL : xcalloc(N, 8), *q = ph ? NULL : xcalloc(N, 8);
    mpc_work(c, 2 * N, 4 * N, 0);
    if (!ph)
        for (size_t i = 0; i < N; i++) s[i / L] = (s[i / L] + k->cmean * x_hat[i]) & mb;
    fss_tr(c, mu, &k->mu, s, R);
    if (!ph) {
        for (size_t i = 0; i < N; i++) xm[i] = (x_hat[i] - mu[i / L]) & mb;
        for (size_t r = 0; r < R; r++) vs[r] = k->sc[r];
        for (size_t i = 0; i < N; i++) {
            uint64_t t = 0 - 2 * xm[i] * k->sr[i];
            if (c->self == NET_P0) t += xm[i] * xm[i];
            vs[i / L] += t;
        }
        for (size_t r = 0; r < R; r++) vs[r] &= mb;
    }
    fss_open(c, v, vs, R, n);
    if (!ph) {
        uint64_t e = (uint64_t)llround(k->eps * (double)L * ldexp(1, 2 * f));
        for (size_t r = 0; r < R; r++) v[r] = (v[r] + e) & mb;
    }
    fss_rsqrt(c, inv, &k->rs, v, R);
    fss_mul(c, p, &k->m1, xm, inv);
    fss_tr(c, y1, &k->t1, p, N);
    fss_mul(c, q, &k->m2, y1, gamma_hat);
    if (!ph)
        for (size_t i = 0; i < N; i++) q[i] = (q[i] + (beta_hat[i % L] << f)) & mb;
    if (open) fss_tr(c, y_hat, &k->t2, q, N);
    else fss_tr_sh(c, y_hat, &k->t2, q, N);
    free(s), free(mu), free(xm), free(vs), free(v), free(inv), free(p), free(y1), free(q);
}

void fss_layernorm(mpc_ctx *c, uint64_t *y_hat, const fss_layernorm_key *k, const uint64_t *x_hat,
                   const uint64_t *gamma_hat, const uint64_t *beta_hat)
{
    layernorm_impl(c, y_hat, k, x_hat, gamma_hat, beta_hat, 1);
}

void fss_layernorm_sh(mpc_ctx *c, uint64_t *y_sh, const fss_layernorm_key *k, const uint64_t *x_hat,
                      const uint64_t *gamma_hat, const uint64_t *beta_hat)
{
    layernorm_impl(c, y_sh, k, x_hat, gamma_hat, beta_hat, 0);
}

void fss_layernorm_key_free(fss_layernorm_key *k)
{
    fss_tr_key_free(&k->mu);
    free(k->sr), free(k->sc);
    k->sr = k->sc = NULL;
    fss_rsqrt_key_free(&k->rs);
    fss_mul_key_free(&k->m1);
    fss_mul_key_free(&k->m2);
    fss_tr_key_free(&k->t1);
    fss_tr_key_free(&k->t2);
}

/* ---- 2Quad and 2ReLU ---- */

fss_cost fss_attn_cost(int kind, int n, int f, size_t R, size_t L)
{
    size_t N = R * L;
    fss_cost c = kind ? fss_relu_cost(n, N) : fss_cost_add(fss_square_cost(n, N), fss_trfloor_cost(n, f, N));
    c = fss_cost_add(c, fss_rsqrt_cost(n, R));
    c = fss_cost_add(c, fss_mul_cost(n, R, L, 1));
    return fss_cost_add(c, fss_tr_cost(FSS_TR_SLACK, n, 2 * f, n, N));
}

void fss_attn_keygen(fss_dealer *d, fss_attn_key *k0, fss_attn_key *k1, uint64_t *r_out, const uint64_t *r_in, int kind,
                     int n, int f, double c, size_t R, size_t L)
{
    size_t N = R * L;
    fss_attn_key *k[2] = {k0, k1};
    for (int p = 0; p < 2; p++) {
        memset(k[p], 0, sizeof *k[p]);
        k[p]->n = n;
        k[p]->f = f;
        k[p]->kind = kind;
        k[p]->R = R;
        k[p]->L = L;
        k[p]->c = (uint64_t)(int64_t)llround(c * ldexp(1, f)) & fss_mask(n);
    }
    uint64_t mb = fss_mask(n);
    uint64_t *rs = d ? xcalloc(N, 8) : NULL, *rq = d ? xcalloc(N, 8) : NULL, *rS = d ? xcalloc(R, 8) : NULL,
             *ri = d ? xcalloc(R, 8) : NULL, *rp = d ? xcalloc(N, 8) : NULL;
    if (kind) fss_relu_keygen(d, &k0->relu, &k1->relu, rq, r_in, n, N);
    else {
        fss_square_keygen(d, &k0->sq, &k1->sq, rs, r_in, n, N); /* x + c keeps x's mask */
        fss_trfloor_keygen(d, &k0->tf, &k1->tf, rq, rs, n, f, N);
    }
    if (d)
        for (size_t i = 0; i < N; i++) rS[i / L] = (rS[i / L] + rq[i]) & mb;
    /* the reciprocal at 2f bits (1/S underflows f bits for the large sums of 2Quad); q / S <= 1, so the
     * product stays below 2^(3f) and TrWithSlack by 2f brings it back to f bits */
    fss_recip_keygen(d, &k0->rc, &k1->rc, ri, rS, n, 2 * f, f, 1.0, R);
    fss_mul_keygen(d, &k0->mul, &k1->mul, rp, rq, ri, n, R, L, 1);
    fss_tr_keygen(d, &k0->tr, &k1->tr, r_out, rp, FSS_TR_SLACK, n, 2 * f, n, N);
    free(rs), free(rq), free(rS), free(ri), free(rp);
}

static void attn_impl(mpc_ctx *c, uint64_t *y_hat, const fss_attn_key *k, const uint64_t *x_hat, int open)
{
    size_t R = k->R, L = k->L, N = R * L;
    int ph = c->phantom;
    uint64_t mb = fss_mask(k->n);
    uint64_t *xs = ph ? NULL : xcalloc(N, 8), *s = ph ? NULL : xcalloc(N, 8), *q = ph ? NULL : xcalloc(N, 8),
             *S = ph ? NULL : xcalloc(R, 8), *inv = ph ? NULL : xcalloc(R, 8), *p = ph ? NULL : xcalloc(N, 8);
    if (k->kind) {
        fss_relu(c, q, &k->relu, x_hat, N);
        if (!ph) /* + 1 ulp (a public add: the mask is unchanged) */
            for (size_t i = 0; i < N; i++) q[i] = (q[i] + 1) & mb;
    } else {
        if (!ph)
            for (size_t i = 0; i < N; i++) xs[i] = (x_hat[i] + k->c) & mb;
        fss_square(c, s, &k->sq, xs);
        fss_trfloor(c, q, &k->tf, s, N);
    }
    if (!ph)
        for (size_t i = 0; i < N; i++) S[i / L] = (S[i / L] + q[i]) & mb;
    fss_rsqrt(c, inv, &k->rc, S, R);
    fss_mul(c, p, &k->mul, q, inv);
    if (open) fss_tr(c, y_hat, &k->tr, p, N);
    else fss_tr_sh(c, y_hat, &k->tr, p, N);
    free(xs), free(s), free(q), free(S), free(inv), free(p);
}

void fss_attn(mpc_ctx *c, uint64_t *y_hat, const fss_attn_key *k, const uint64_t *x_hat)
{
    attn_impl(c, y_hat, k, x_hat, 1);
}

void fss_attn_sh(mpc_ctx *c, uint64_t *y_sh, const fss_attn_key *k, const uint64_t *x_hat)
{
    attn_impl(c, y_sh, k, x_hat, 0);
}

void fss_attn_key_free(fss_attn_key *k)
{
    if (k->kind) fss_relu_key_free(&k->relu);
    else {
        fss_square_key_free(&k->sq);
        fss_trfloor_key_free(&k->tf);
    }
    fss_rsqrt_key_free(&k->rc);
    fss_mul_key_free(&k->mul);
    fss_tr_key_free(&k->tr);
}

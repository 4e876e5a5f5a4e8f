/* fss_arith.c -- multiply, square, max tree, Quad on masked wires (see fss_arith.h). */
#include "fss_arith.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/chk.h"
#include "fss_bits.h"

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    CHECK(p != NULL, "fss_arith: out of memory (%zu x %zu bytes)", n, sz);
    return p;
}

/* ---- multiply ---- */

static size_t ylen(int bcast, size_t R, size_t L) { return bcast == 1 ? R : bcast == 2 ? L : R * L; }
static size_t yidx(int bcast, size_t i, size_t L) { return bcast == 1 ? i / L : bcast == 2 ? i % L : i; }

fss_cost fss_mul_cost(int b, size_t R, size_t L, int bcast)
{
    fss_cost r = {1, fss_packed_bytes(R * L, b), fss_packed_bytes(2 * R * L + ylen(bcast, R, L), b)};
    return r;
}

void fss_mul_keygen(fss_dealer *d, fss_mul_key *k0, fss_mul_key *k1, uint64_t *r_z, const uint64_t *r_x,
                    const uint64_t *r_y, int b, size_t R, size_t L, int bcast)
{
    fss_mul_key *k[2] = {k0, k1};
    for (int p = 0; p < 2; p++) {
        memset(k[p], 0, sizeof *k[p]);
        k[p]->b = b;
        k[p]->bcast = bcast;
        k[p]->R = R;
        k[p]->L = L;
    }
    if (!d) return;
    size_t N = R * L, ny = ylen(bcast, R, L);
    for (int p = 0; p < 2; p++) {
        k[p]->rx = xcalloc(N, 8);
        k[p]->ry = xcalloc(ny, 8);
        k[p]->rz = xcalloc(N, 8);
    }
    fss_dealer_share(d, k0->rx, k1->rx, r_x, N, b);
    fss_dealer_share(d, k0->ry, k1->ry, r_y, ny, b);
    fss_dealer_masks(d, r_z, N, b);
    uint64_t *v = xcalloc(N, 8);
    for (size_t i = 0; i < N; i++) v[i] = r_x[i] * r_y[yidx(bcast, i, L)] + r_z[i];
    fss_dealer_share(d, k0->rz, k1->rz, v, N, b);
    free(v);
}

void fss_mul(mpc_ctx *c, uint64_t *z_hat, const fss_mul_key *k, const uint64_t *x_hat, const uint64_t *y_hat)
{
    size_t N = k->R * k->L, L = k->L;
    mpc_work(c, 2 * N, 2 * N, 0);
    uint64_t *z = c->phantom ? NULL : xcalloc(N, 8);
    if (!c->phantom) {
        uint64_t m = fss_mask(k->b);
        for (size_t i = 0; i < N; i++) {
            size_t j = yidx(k->bcast, i, L);
            uint64_t v = k->rz[i] - x_hat[i] * k->ry[j] - k->rx[i] * y_hat[j];
            if (c->self == NET_P0) v += x_hat[i] * y_hat[j];
            z[i] = v & m;
        }
    }
    fss_open(c, z_hat, z, N, k->b);
    free(z);
}

void fss_mul_key_free(fss_mul_key *k)
{
    free(k->rx), free(k->ry), free(k->rz);
    k->rx = k->ry = k->rz = NULL;
}

/* ---- square ---- */

fss_cost fss_square_cost(int b, size_t N)
{
    fss_cost r = {1, fss_packed_bytes(N, b), fss_packed_bytes(2 * N, b)};
    return r;
}

void fss_square_keygen(fss_dealer *d, fss_square_key *k0, fss_square_key *k1, uint64_t *r_z, const uint64_t *r_x,
                       int b, size_t N)
{
    fss_square_key *k[2] = {k0, k1};
    for (int p = 0; p < 2; p++) {
        memset(k[p], 0, sizeof *k[p]);
        k[p]->b = b;
        k[p]->N = N;
    }
    if (!d) return;
    for (int p = 0; p < 2; p++) {
        k[p]->r = xcalloc(N, 8);
        k[p]->c = xcalloc(N, 8);
    }
    fss_dealer_share(d, k0->r, k1->r, r_x, N, b);
    fss_dealer_masks(d, r_z, N, b);
    uint64_t *v = xcalloc(N, 8);
    for (size_t i = 0; i < N; i++) v[i] = r_x[i] * r_x[i] + r_z[i];
    fss_dealer_share(d, k0->c, k1->c, v, N, b);
    free(v);
}

void fss_square(mpc_ctx *c, uint64_t *z_hat, const fss_square_key *k, const uint64_t *x_hat)
{
    size_t N = k->N;
    mpc_work(c, 2 * N, 2 * N, 0);
    uint64_t *z = c->phantom ? NULL : xcalloc(N, 8);
    if (!c->phantom) {
        uint64_t m = fss_mask(k->b);
        for (size_t i = 0; i < N; i++) {
            uint64_t v = k->c[i] - 2 * x_hat[i] * k->r[i];
            if (c->self == NET_P0) v += x_hat[i] * x_hat[i];
            z[i] = v & m;
        }
    }
    fss_open(c, z_hat, z, N, k->b);
    free(z);
}

void fss_square_key_free(fss_square_key *k)
{
    free(k->r), free(k->c);
    k->r = k->c = NULL;
}

/* ---- max tree ---- */

static int max_levels(size_t L)
{
    int lv = 0;
    for (size_t m = L; m > 1; m = (m + 1) / 2) lv++;
    return lv;
}

fss_cost fss_max_cost(int b, size_t R, size_t L)
{
    fss_cost c = {0, 0, 0};
    for (size_t m = L; m > 1; m = (m + 1) / 2) {
        size_t h = R * (m / 2);
        c = fss_cost_add(c, fss_cost_add(fss_drelu_cost(b, h), fss_select_cost(b, h)));
    }
    return c;
}

/* Splits the rows of cur (R x m) into first halves a, second halves bb (R x h each) and carries. */
static void max_split(uint64_t *a, uint64_t *bb, const uint64_t *cur, size_t R, size_t m)
{
    size_t h = m / 2;
    for (size_t r = 0; r < R; r++)
        for (size_t j = 0; j < h; j++) {
            a[r * h + j] = cur[r * m + j];
            bb[r * h + j] = cur[r * m + h + j];
        }
}

/* next (R x ceil(m/2)) = the level's results, then the carried last element of each row if m is odd */
static void max_join(uint64_t *next, const uint64_t *res, const uint64_t *cur, size_t R, size_t m)
{
    size_t h = m / 2, mn = (m + 1) / 2;
    for (size_t r = 0; r < R; r++) {
        for (size_t j = 0; j < h; j++) next[r * mn + j] = res[r * h + j];
        if (m & 1) next[r * mn + h] = cur[r * m + m - 1];
    }
}

void fss_max_keygen(fss_dealer *d, fss_max_key *k0, fss_max_key *k1, uint64_t *r_out, const uint64_t *r_in, int b,
                    size_t R, size_t L)
{
    int lv = max_levels(L);
    CHECK(lv <= FSS_MAX_LEVELS && L >= 1, "fss_max: rows of %zu elements", L);
    fss_max_key *k[2] = {k0, k1};
    for (int p = 0; p < 2; p++) {
        memset(k[p], 0, sizeof *k[p]);
        k[p]->b = b;
        k[p]->levels = lv;
        k[p]->R = R;
        k[p]->L = L;
    }
    uint64_t m_ = fss_mask(b);
    uint64_t *cur = d ? xcalloc(R * L, 8) : NULL, *a = d ? xcalloc(R * L, 8) : NULL, *bb = d ? xcalloc(R * L, 8) : NULL,
             *rd = d ? xcalloc(R * L, 8) : NULL, *ry = d ? xcalloc(R * L, 8) : NULL;
    if (d) memcpy(cur, r_in, R * L * 8);
    size_t m = L;
    for (int j = 0; j < lv; j++, m = (m + 1) / 2) {
        size_t h = R * (m / 2);
        if (d) {
            max_split(a, bb, cur, R, m);
            for (size_t i = 0; i < h; i++) a[i] = (a[i] - bb[i]) & m_; /* mask of a - b */
        }
        fss_drelu_keygen(d, &k0->drelu[j], &k1->drelu[j], rd, a, b, h);
        fss_select_keygen(d, &k0->sel[j], &k1->sel[j], ry, rd, a, NULL, b, h);
        if (d) {
            for (size_t i = 0; i < h; i++) ry[i] = (ry[i] + bb[i]) & m_; /* mask of b + d (a - b) */
            max_join(a, ry, cur, R, m);
            memcpy(cur, a, R * ((m + 1) / 2) * 8);
        }
    }
    if (d) memcpy(r_out, cur, R * 8);
    free(cur), free(a), free(bb), free(rd), free(ry);
}

void fss_max(mpc_ctx *c, uint64_t *y_hat, const fss_max_key *k, const uint64_t *x_hat)
{
    size_t R = k->R, L = k->L;
    int ph = c->phantom;
    uint64_t mb = fss_mask(k->b);
    uint64_t *cur = ph ? NULL : xcalloc(R * L, 8), *a = ph ? NULL : xcalloc(R * L, 8),
             *bb = ph ? NULL : xcalloc(R * L, 8), *dh = ph ? NULL : xcalloc(R * L, 8),
             *yh = ph ? NULL : xcalloc(R * L, 8);
    if (!ph) memcpy(cur, x_hat, R * L * 8);
    size_t m = L;
    for (int j = 0; j < k->levels; j++, m = (m + 1) / 2) {
        size_t h = R * (m / 2);
        if (!ph) {
            max_split(a, bb, cur, R, m);
            for (size_t i = 0; i < h; i++) a[i] = (a[i] - bb[i]) & mb;
        }
        mpc_work(c, 0, 2 * h, 0);
        fss_drelu(c, dh, &k->drelu[j], a, h);
        fss_select(c, yh, &k->sel[j], dh, a, h);
        if (!ph) {
            for (size_t i = 0; i < h; i++) yh[i] = (yh[i] + bb[i]) & mb;
            max_join(a, yh, cur, R, m);
            memcpy(cur, a, R * ((m + 1) / 2) * 8);
        }
    }
    if (!ph) memcpy(y_hat, cur, R * 8);
    free(cur), free(a), free(bb), free(dh), free(yh);
}

void fss_max_key_free(fss_max_key *k)
{
    for (int j = 0; j < k->levels; j++) {
        fss_drelu_key_free(&k->drelu[j]);
        fss_select_key_free(&k->sel[j]);
    }
}

/* ---- Quad ---- */

int fss_quad_ka(double a, int f)
{
    for (int ka = 0; ka <= f; ka++)
        if (a == ldexp(1.0, -ka)) return ka;
    return -1;
}

fss_cost fss_quad_abc_cost(int b, int f, int ka, size_t N)
{
    return fss_cost_add(fss_square_cost(b, N), fss_trfloor_cost(b, f + ka, N));
}

fss_cost fss_quad_cost(int b, int f, size_t N) { return fss_quad_abc_cost(b, f, 3, N); }

void fss_quad_abc_keygen(fss_dealer *d, fss_quad_key *k0, fss_quad_key *k1, uint64_t *r_out, const uint64_t *r_in,
                         int b, int f, double qa, double qb, double qc, size_t N)
{
    int ka = fss_quad_ka(qa, f);
    CHECK(ka >= 0, "fss_quad: a = %g is not 2^-k with 0 <= k <= %d", qa, f);
    double h = qb / (2 * qa);
    uint64_t he = (uint64_t)(int64_t)llround(ldexp(h, f)) & fss_mask(b);
    double hq = ldexp((double)(int64_t)llround(ldexp(h, f)), -f); /* h as encoded */
    uint64_t c0 = (uint64_t)(int64_t)llround(ldexp(qc - qa * hq * hq, f)) & fss_mask(b);
    k0->f = k1->f = f;
    k0->ka = k1->ka = ka;
    k0->h = k1->h = he;
    k0->c0 = k1->c0 = c0;
    uint64_t *rs = d ? xcalloc(N, 8) : NULL;
    fss_square_keygen(d, &k0->sq, &k1->sq, rs, r_in, b, N); /* x + h keeps x's mask */
    fss_trfloor_keygen(d, &k0->tr, &k1->tr, r_out, rs, b, f + ka, N);
    free(rs);
}

void fss_quad_keygen(fss_dealer *d, fss_quad_key *k0, fss_quad_key *k1, uint64_t *r_out, const uint64_t *r_in, int b,
                     int f, size_t N)
{
    fss_quad_abc_keygen(d, k0, k1, r_out, r_in, b, f, 0.125, 0.5, 0.25, N);
}

static void quad_impl(mpc_ctx *c, uint64_t *y_hat, const fss_quad_key *k, const uint64_t *x_hat, size_t N, int open)
{
    int b = k->sq.b;
    uint64_t *x2 = c->phantom ? NULL : xcalloc(N, 8), *s = c->phantom ? NULL : xcalloc(N, 8);
    if (!c->phantom)
        for (size_t i = 0; i < N; i++) x2[i] = (x_hat[i] + k->h) & fss_mask(b);
    fss_square(c, s, &k->sq, x2);
    if (open) fss_trfloor(c, y_hat, &k->tr, s, N);
    else fss_trfloor_sh(c, y_hat, &k->tr, s, N);
    if (!c->phantom && (open || c->self == NET_P0))
        for (size_t i = 0; i < N; i++) y_hat[i] = (y_hat[i] + k->c0) & fss_mask(b);
    free(x2);
    free(s);
}

void fss_quad(mpc_ctx *c, uint64_t *y_hat, const fss_quad_key *k, const uint64_t *x_hat, size_t N)
{
    quad_impl(c, y_hat, k, x_hat, N, 1);
}

void fss_quad_sh(mpc_ctx *c, uint64_t *y_sh, const fss_quad_key *k, const uint64_t *x_hat, size_t N)
{
    quad_impl(c, y_sh, k, x_hat, N, 0);
}

void fss_quad_key_free(fss_quad_key *k)
{
    fss_square_key_free(&k->sq);
    fss_trfloor_key_free(&k->tr);
}

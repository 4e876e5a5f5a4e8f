/* mpc_beaver.c -- Beaver multiplication, matmul, square and AND. See mpc_beaver.h. */
#include "mpc_beaver.h"

#include <string.h>

#include "mpc_tags.h"

static inline size_t bc_index(mpc_bcast bc, size_t r, size_t j, size_t L)
{
    return bc == MPC_BC_NONE ? r * L + j : bc == MPC_BC_ROW ? r : j;
}

static void mpc_mul_body_(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t R, size_t L,
             mpc_bcast bc, int trunc)
{
    size_t n = R * L, ny = mpc_bcast_len(bc, R, L);
    uint64_t *a = mpc_tmp(c, n), *b = mpc_tmp(c, ny), *ab = mpc_tmp(c, n);
    uint64_t *ed_own = mpc_tmp(c, n + ny), *ed_fb = mpc_tmp(c, n + ny);
    net_loan lo, ld;
    net_sendbuf sb;
    /* 1. Triple from the dealer. */
    dealer_mul(c, a, b, ab, R, L, bc);
    uint64_t *ed = mpc_send_open(c, &sb, ed_own, n + ny);
    /* 2. [e] = [x] - [a], [d] = [y] - [b], opened together in one exchange. */
    if (!c->phantom) {
        for (size_t i = 0; i < n; i++) ed[i] = x[i] - a[i];
        for (size_t i = 0; i < ny; i++) ed[n + i] = y[i] - b[i];
    }
    const uint64_t *ed_other = mpc_exchange_sent_lend(c, &sb, &lo, ed_fb, n + ny); /* read where it lies */
    const uint64_t *abm = dealer_collect_lend(c, &ld, ab);
    /* 3. [z] = [c] + e*[b] + [a]*d, and P0 adds e*d (e and d summed from both halves in the same
     *    pass). */
    mpc_work(c, 3 * n, 2 * (n + ny), 0);
    if (!c->phantom) {
        const uint64_t *e0 = ed, *e1 = ed_other, *d0 = ed + n, *d1 = ed_other + n;
        int p0 = c->self == NET_P0;
        for (size_t r = 0; r < R; r++)
            for (size_t j = 0; j < L; j++) {
                size_t i = r * L + j, k = bc_index(bc, r, j, L);
                uint64_t e = e0[i] + e1[i], d = d0[k] + d1[k];
                uint64_t v = abm[i] + e * b[k] + a[i] * d;
                if (p0) v += e * d;
                z[i] = v;
            }
    }
    mpc_loan_return(c, &lo);
    mpc_send_release(c, &sb);
    dealer_loan_return(c, &ld);
    mpc_tmp_free(a);
    mpc_tmp_free(b);
    mpc_tmp_free(ab);
    mpc_tmp_free(ed_own);
    mpc_tmp_free(ed_fb);
    /* 4. Truncate when both operands had scale 2^f. */
    if (trunc) mpc_trunc(c, z, z, n);
}

void mpc_mul(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t R, size_t L,
             mpc_bcast bc, int trunc)
{
    net_tag_push(c->net, MPC_TAG_MUL);
    mpc_mul_body_(c, z, x, y, R, L, bc, trunc);
    net_tag_pop(c->net, MPC_TAG_MUL);
}

void mpc_mul_n(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n, int trunc)
{
    mpc_mul(c, z, x, y, 1, n, MPC_BC_NONE, trunc);
}

static void mpc_matmul_body_(mpc_ctx *c, uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t B, size_t m,
                size_t k, size_t p, int y_shared)
{
    size_t nx = B * m * k, ny = (y_shared ? 1 : B) * k * p, nz = B * m * p;
    uint64_t *A = mpc_tmp(c, nx), *Bm = mpc_tmp(c, ny), *C = mpc_tmp(c, nz);
    int p0 = c->self == NET_P0;
    uint64_t *ed_own = mpc_tmp(c, nx + ny), *ed_fb = mpc_tmp(c, nx + ny);
    net_loan lo, ld;
    net_sendbuf sb;
    /* 1. Matrix triple. */
    dealer_matmul(c, A, Bm, C, B, m, k, p, y_shared);
    uint64_t *ed = mpc_send_open(c, &sb, ed_own, nx + ny);
    /* 2. Open E = X - A and D = Y - Bm together. */
    if (!c->phantom) {
        for (size_t i = 0; i < nx; i++) ed[i] = X[i] - A[i];
        for (size_t i = 0; i < ny; i++) ed[nx + i] = Y[i] - Bm[i];
    }
    const uint64_t *ed_other = mpc_exchange_sent_lend(c, &sb, &lo, ed_fb, nx + ny); /* read where it lies */
    const uint64_t *Cm = dealer_collect_lend(c, &ld, C);
    /* 3. [Z] = [C] + E @ [Bm] + [A] @ D, and P0 adds E @ D: on P0 as E @ ([Bm] + D), one ring matmul
     *    fewer and the same ring values (the compute model still charges CrypTen's three). E and D
     *    are the sums of both halves, which the ring kernel adds as it reads its operands. */
    mpc_work(c, (uint64_t)(p0 ? 3 : 2) * B * m * k * p, nx + ny + 3 * nz, 0);
    if (!c->phantom) {
        for (size_t bt = 0; bt < B; bt++) {
            size_t xo = bt * m * k, yo = y_shared ? 0 : bt * k * p;
            const uint64_t *D0 = ed + nx + yo, *D1 = ed_other + nx + yo;
            uint64_t *Zb = Z + bt * m * p;
            memcpy(Zb, Cm + bt * m * p, m * p * sizeof *Zb);
            mpc_ring_matmul_acc_sum(Zb, ed + xo, ed_other + xo, Bm + yo, p0 ? D0 : NULL, p0 ? D1 : NULL, m, k, p);
            mpc_ring_matmul_acc_sum(Zb, A + xo, NULL, D0, D1, NULL, m, k, p);
        }
    }
    mpc_loan_return(c, &lo);
    mpc_send_release(c, &sb);
    dealer_loan_return(c, &ld);
    mpc_tmp_free(A);
    mpc_tmp_free(Bm);
    mpc_tmp_free(C);
    mpc_tmp_free(ed_own);
    mpc_tmp_free(ed_fb);
    /* 4. Truncate. */
    mpc_trunc(c, Z, Z, nz);
}

void mpc_matmul(mpc_ctx *c, uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t B, size_t m,
                size_t k, size_t p, int y_shared)
{
    net_tag_push(c->net, MPC_TAG_MATMUL);
    mpc_matmul_body_(c, Z, X, Y, B, m, k, p, y_shared);
    net_tag_pop(c->net, MPC_TAG_MATMUL);
}

static void mpc_square_body_(mpc_ctx *c, uint64_t *z, const uint64_t *x, size_t n)
{
    uint64_t *r = mpc_tmp(c, n), *r2 = mpc_tmp(c, n), *e_own = mpc_tmp(c, n), *eo_fb = mpc_tmp(c, n);
    net_loan lo, ld;
    net_sendbuf sb;
    /* 1. Square pair. 2. Open e = x - r. */
    dealer_square(c, r, r2, n);
    uint64_t *e = mpc_send_open(c, &sb, e_own, n);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) e[i] = x[i] - r[i];
    const uint64_t *eo = mpc_exchange_sent_lend(c, &sb, &lo, eo_fb, n); /* read where it lies */
    const uint64_t *r2m = dealer_collect_lend(c, &ld, r2);
    /* 3. [x^2] = [r^2] + 2e[r], P0 adds e^2. */
    mpc_work(c, 2 * n, 3 * n, 0);
    if (!c->phantom) {
        int p0 = c->self == NET_P0;
        for (size_t i = 0; i < n; i++) {
            uint64_t ev = e[i] + eo[i];
            z[i] = r2m[i] + 2 * ev * r[i] + (p0 ? ev * ev : 0);
        }
    }
    mpc_loan_return(c, &lo);
    mpc_send_release(c, &sb);
    dealer_loan_return(c, &ld);
    mpc_tmp_free(r);
    mpc_tmp_free(r2);
    mpc_tmp_free(e_own);
    mpc_tmp_free(eo_fb);
    /* 4. Truncate. */
    mpc_trunc(c, z, z, n);
}

void mpc_square(mpc_ctx *c, uint64_t *z, const uint64_t *x, size_t n)
{
    net_tag_push(c->net, MPC_TAG_SQUARE);
    mpc_square_body_(c, z, x, n);
    net_tag_pop(c->net, MPC_TAG_SQUARE);
}

static void mpc_and_body_(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n)
{
    uint64_t *a = mpc_tmp(c, n), *b = mpc_tmp(c, n), *ab = mpc_tmp(c, n);
    uint64_t *ed_own = mpc_tmp(c, 2 * n), *edo_fb = mpc_tmp(c, 2 * n);
    net_loan lo, ld;
    net_sendbuf sb;
    /* 1. Binary triple. 2. Open e = x ^ a, d = y ^ b together. */
    dealer_and(c, a, b, ab, n);
    uint64_t *ed = mpc_send_open(c, &sb, ed_own, 2 * n);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) {
            ed[i] = x[i] ^ a[i];
            ed[n + i] = y[i] ^ b[i];
        }
    const uint64_t *edo = mpc_exchange_sent_lend(c, &sb, &lo, edo_fb, 2 * n); /* read where it lies */
    const uint64_t *abm = dealer_collect_lend(c, &ld, ab);
    /* 3. <z> = <c> ^ (e & <b>) ^ (<a> & d), P0 also XORs e & d. */
    mpc_work(c, 0, 6 * n, 0);
    if (!c->phantom) {
        int p0 = c->self == NET_P0;
        for (size_t i = 0; i < n; i++) {
            uint64_t e = ed[i] ^ edo[i], d = ed[n + i] ^ edo[n + i];
            z[i] = abm[i] ^ (e & b[i]) ^ (a[i] & d) ^ (p0 ? e & d : 0);
        }
    }
    mpc_loan_return(c, &lo);
    mpc_send_release(c, &sb);
    dealer_loan_return(c, &ld);
    mpc_tmp_free(a);
    mpc_tmp_free(b);
    mpc_tmp_free(ab);
    mpc_tmp_free(ed_own);
    mpc_tmp_free(edo_fb);
}

void mpc_and(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n)
{
    net_tag_push(c->net, MPC_TAG_AND);
    mpc_and_body_(c, z, x, y, n);
    net_tag_pop(c->net, MPC_TAG_AND);
}

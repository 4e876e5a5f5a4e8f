/* test_fss_arith.c -- multiply, square, max tree and Quad on masked wires (fss_arith.h): values
 * against exact ring or double references, exact rounds, bytes and key bytes, real == phantom. */
#include <math.h>

#include "../protocols/fss/fss_arith.h"
#include "fss_harness.h"

typedef struct ar_io {
    size_t N;
    const uint64_t *x_hat, *y_hat;
    uint64_t *z_hat[2];
    void *key[2];
} ar_io;

static void mul_party(mpc_ctx *c, void *a)
{
    ar_io *io = a;
    fss_mul(c, io->z_hat[c->self], io->key[c->self], io->x_hat, io->y_hat);
}

static void square_party(mpc_ctx *c, void *a)
{
    ar_io *io = a;
    fss_square(c, io->z_hat[c->self], io->key[c->self], io->x_hat);
}

static void max_party(mpc_ctx *c, void *a)
{
    ar_io *io = a;
    fss_max(c, io->z_hat[c->self], io->key[c->self], io->x_hat);
}

static void quad_party(mpc_ctx *c, void *a)
{
    ar_io *io = a;
    fss_quad(c, io->z_hat[c->self], io->key[c->self], io->x_hat, io->N);
}

Test(fss_arith, mul_and_square_exact_costs_phantom)
{
    size_t shapes[][2] = {{4, 9}, {12, 64}};
    for (int t = 0; t < 2; t++)
        for (int bc = 0; bc < 3; bc++) {
            size_t R = shapes[t][0], L = shapes[t][1], N = R * L, ny = bc == 1 ? R : bc == 2 ? L : N;
            int b = t ? 64 : 50;
            fss_dealer d;
            fss_dealer_init(&d, 60);
            uint64_t *x = calloc(N, 8), *y = calloc(ny, 8), *rx = calloc(N, 8), *ry = calloc(ny, 8), *xh = calloc(N, 8),
                     *yh = calloc(ny, 8), *rz = calloc(N, 8), *z0 = calloc(N, 8), *z1 = calloc(N, 8);
            fss_dealer_masks(&d, x, N, b);
            fss_dealer_masks(&d, y, ny, b);
            fss_dealer_masks(&d, rx, N, b);
            fss_dealer_masks(&d, ry, ny, b);
            for (size_t i = 0; i < N; i++) xh[i] = (x[i] + rx[i]) & fss_mask(b);
            for (size_t i = 0; i < ny; i++) yh[i] = (y[i] + ry[i]) & fss_mask(b);
            fss_mul_key k0, k1, p0, p1;
            fss_mul_keygen(&d, &k0, &k1, rz, rx, ry, b, R, L, bc);
            fss_mul_keygen(NULL, &p0, &p1, NULL, NULL, NULL, b, R, L, bc);
            ar_io io = {N, xh, yh, {z0, z1}, {&k0, &k1}}, ioph = {N, NULL, NULL, {NULL, NULL}, {&p0, &p1}};
            fh_check("mul", mul_party, &io, &ioph, fss_mul_cost(b, R, L, bc));
            size_t bad = 0;
            for (size_t i = 0; i < N; i++)
                bad += z0[i] != z1[i] || ((z0[i] - rz[i]) & fss_mask(b)) != ((x[i] * y[bc == 1 ? i / L : bc == 2 ? i % L : i]) & fss_mask(b));
            cr_expect_eq(bad, 0, "mul %zux%zu bcast %d: %zu wrong", R, L, bc, bad);
            fss_mul_key_free(&k0);
            fss_mul_key_free(&k1);
            if (!bc) {
                fss_square_key s0, s1, q0, q1;
                fss_square_keygen(&d, &s0, &s1, rz, rx, b, N);
                fss_square_keygen(NULL, &q0, &q1, NULL, NULL, b, N);
                ar_io sio = {N, xh, NULL, {z0, z1}, {&s0, &s1}}, sph = {N, NULL, NULL, {NULL, NULL}, {&q0, &q1}};
                fh_check("square", square_party, &sio, &sph, fss_square_cost(b, N));
                bad = 0;
                for (size_t i = 0; i < N; i++)
                    bad += z0[i] != z1[i] || ((z0[i] - rz[i]) & fss_mask(b)) != ((x[i] * x[i]) & fss_mask(b));
                cr_expect_eq(bad, 0, "square: %zu wrong", bad);
                fss_square_key_free(&s0);
                fss_square_key_free(&s1);
            }
            free(x), free(y), free(rx), free(ry), free(xh), free(yh), free(rz), free(z0), free(z1);
            fss_dealer_free(&d);
        }
    fss_cost c = fss_mul_cost(50, 12, 128, 1);
    cr_expect_eq(c.bytes, 12 * 128 * 50 / 8);
    cr_expect_eq(c.key_bytes, (2 * 12 * 128 + 12) * 50 / 8);
    c = fss_square_cost(50, 8);
    cr_expect_eq(c.bytes, 50);
    cr_expect_eq(c.key_bytes, 100);
}

Test(fss_arith, max_tree_values_costs_phantom)
{
    size_t shapes[][2] = {{3, 7}, {2, 128}, {5, 1}};
    for (int t = 0; t < 3; t++) {
        size_t R = shapes[t][0], L = shapes[t][1], N = R * L;
        int b = 50;
        fss_dealer d;
        fss_dealer_init(&d, 70);
        uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(R, 8), *y0 = calloc(R, 8),
                 *y1 = calloc(R, 8);
        rng g;
        rng_seed(&g, 8, t);
        for (size_t i = 0; i < N; i++) x[i] = (uint64_t)((int64_t)(rng_u64(&g) % 2000001) - 1000000) & fss_mask(b);
        if (N > 3) x[2] = x[1]; /* a tie */
        fss_dealer_masks(&d, r, N, b);
        for (size_t i = 0; i < N; i++) xh[i] = (x[i] + r[i]) & fss_mask(b);
        fss_max_key k0, k1, p0, p1;
        fss_max_keygen(&d, &k0, &k1, ro, r, b, R, L);
        fss_max_keygen(NULL, &p0, &p1, NULL, NULL, b, R, L);
        ar_io io = {N, xh, NULL, {y0, y1}, {&k0, &k1}}, ioph = {N, NULL, NULL, {NULL, NULL}, {&p0, &p1}};
        fh_check("max", max_party, &io, &ioph, fss_max_cost(b, R, L));
        for (size_t rr = 0; rr < R; rr++) {
            int64_t want = fh_signed(x[rr * L], b);
            for (size_t j = 1; j < L; j++)
                if (fh_signed(x[rr * L + j], b) > want) want = fh_signed(x[rr * L + j], b);
            cr_expect_eq(y0[rr], y1[rr]);
            cr_expect_eq(fh_signed(y0[rr] - ro[rr], b), want, "max row %zu of %zux%zu", rr, R, L);
        }
        fss_max_key_free(&k0);
        fss_max_key_free(&k1);
        free(x), free(r), free(xh), free(ro), free(y0), free(y1);
        fss_dealer_free(&d);
    }
    /* 2 log2 L rounds; L = 128: 64 + 32 + ... + 1 = 127 comparisons per row, each 1 + 50 bits */
    fss_cost c = fss_max_cost(50, 8, 128);
    cr_expect_eq(c.rounds, 14);
    uint64_t bytes = 0;
    for (size_t h = 64; h >= 1; h /= 2) bytes += (8 * h + 7) / 8 + 8 * h * 50 / 8;
    cr_expect_eq(c.bytes, bytes);
    cr_expect_eq(fss_max_cost(50, 1, 7).rounds, 6); /* 7 -> 4 -> 2 -> 1 */
}

Test(fss_arith, quad_values_costs_phantom)
{
    int bs[] = {50, 40};
    for (int t = 0; t < 2; t++) {
        int b = bs[t], f = 12;
        size_t N = 500;
        fss_dealer d;
        fss_dealer_init(&d, 80);
        uint64_t *x = calloc(N, 8), *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *y0 = calloc(N, 8),
                 *y1 = calloc(N, 8);
        double *xr = calloc(N, 8);
        for (size_t i = 0; i < N; i++) {
            xr[i] = -20 + 40.0 * (double)i / (double)(N - 1);
            x[i] = (uint64_t)(int64_t)llround(xr[i] * 4096) & fss_mask(b);
            xr[i] = (double)fh_signed(x[i], b) / 4096;
        }
        fss_dealer_masks(&d, r, N, b);
        for (size_t i = 0; i < N; i++) xh[i] = (x[i] + r[i]) & fss_mask(b);
        fss_quad_key k0, k1, p0, p1;
        /* b = 50: the default form (0.125, 0.5, 0.25); b = 40: MPCFormer's training form (0.125, 0.25, 0.5) */
        double qa = 0.125, qb = t ? 0.25 : 0.5, qc = t ? 0.5 : 0.25;
        fss_quad_abc_keygen(&d, &k0, &k1, ro, r, b, f, qa, qb, qc, N);
        fss_quad_abc_keygen(NULL, &p0, &p1, NULL, NULL, b, f, qa, qb, qc, N);
        ar_io io = {N, xh, NULL, {y0, y1}, {&k0, &k1}}, ioph = {N, NULL, NULL, {NULL, NULL}, {&p0, &p1}};
        fh_check("quad", quad_party, &io, &ioph, fss_quad_cost(b, f, N));
        double worst = 0;
        for (size_t i = 0; i < N; i++) {
            double got = (double)fh_signed(y0[i] - ro[i], b) / 4096, want = qa * xr[i] * xr[i] + qb * xr[i] + qc;
            if (fabs(got - want) > worst) worst = fabs(got - want);
        }
        /* exact inputs; the floor of the 1/8-scaled square loses < 1 ulp */
        cr_expect(worst < 1.0 / 4096, "quad b = %d: worst error %g", b, worst);
        fss_quad_key_free(&k0);
        fss_quad_key_free(&k1);
        free(x), free(r), free(xh), free(ro), free(y0), free(y1), free(xr);
        fss_dealer_free(&d);
    }
    fss_cost c = fss_quad_cost(50, 12, 8);
    cr_expect_eq(c.rounds, 5);
    cr_expect_eq(c.bytes, 50 + 2 * 50 - 15 + 2);
}

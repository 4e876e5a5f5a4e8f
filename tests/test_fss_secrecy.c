/* test_fss_secrecy.c -- what P1 sees of an fss gate is uniform whatever the input, for constant inputs:
 * chi-square against the uniform distribution of (a) the bytes P1 receives (P0's shares) and (b) the low
 * byte of each opened output y^; and the same statistic on the unmasked outputs (the "leaky double")
 * must fail, so the test can tell a leak from none. */
#include <math.h>

#include "../protocols/fss/fss_lut.h"
#include "fss_harness.h"

typedef struct view {
    uint64_t hist[256];
    size_t n;
} view;

/* Records the payload bytes P1 receives. */
static void view_sink(void *ud, const net_trace_rec *r)
{
    view *v = ud;
    if (r->dst != NET_P1 || !r->payload) return;
    const uint8_t *p = r->payload;
    for (uint64_t i = 0; i < r->bytes; i++) {
        v->hist[p[i]]++;
        v->n++;
    }
}

static double chi2(const uint64_t *hist, size_t n)
{
    double e = (double)n / 256, s = 0;
    for (int i = 0; i < 256; i++) s += ((double)hist[i] - e) * ((double)hist[i] - e) / e;
    return s;
}

/* 255 degrees of freedom: P(chi2 > 370) ~ 3e-6 */
#define CHI2_LIMIT 370.0

typedef struct sec_io {
    size_t N;
    const uint64_t *x_hat;
    uint64_t *y[2];
    void *key[2];
    int which;
} sec_io;

static void sec_party(mpc_ctx *c, void *a)
{
    sec_io *io = a;
    if (io->which == 0) fss_relu(c, io->y[c->self], io->key[c->self], io->x_hat, io->N);
    else if (io->which == 1) fss_gelu(c, io->y[c->self], io->key[c->self], io->x_hat, io->N);
    else fss_trfloor(c, io->y[c->self], io->key[c->self], io->x_hat, io->N);
}

static void fh_run_view(fh_fn fn, void *arg, view *v)
{
    fh_run r;
    memset(&r, 0, sizeof r);
    mpc_config_default(&r.cfg);
    r.fn = fn;
    r.arg = arg;
    nm_linkspec l = {.bps = 1000000000ull, .latency_ns = 1000000};
    nm_topology t;
    nm_topology_init(&t, 2, &l);
    net_sim *s = net_sim_create(&t);
    net_sim_add_trace(s, view_sink, v);
    net_party_fn f[2] = {fh_party, fh_party};
    void *a[2] = {&r, &r};
    cr_assert_eq(net_sim_run(s, f, a), NET_OK);
    net_sim_destroy(s);
}

Test(fss_secrecy, p1_view_is_uniform_for_constant_inputs)
{
    const int n = 50, f = 12;
    const size_t N = 4096;
    const char *names[] = {"relu", "gelu", "trfloor"};
    for (int w = 0; w < 3; w++) {
        fss_dealer d;
        fss_dealer_init(&d, 200 + (uint64_t)w);
        uint64_t *r = calloc(N, 8), *xh = calloc(N, 8), *ro = calloc(N, 8), *y0 = calloc(N, 8), *y1 = calloc(N, 8);
        fss_dealer_masks(&d, r, N, n);
        uint64_t x = (uint64_t)(3 << f); /* every element is 3.0 */
        for (size_t i = 0; i < N; i++) xh[i] = (x + r[i]) & fss_mask(n);
        fss_relu_key rk[2];
        fss_gelu_key gk[2];
        fss_trfloor_key tk[2];
        void *k0, *k1;
        if (w == 0) {
            fss_relu_keygen(&d, &rk[0], &rk[1], ro, r, n, N);
            k0 = &rk[0], k1 = &rk[1];
        } else if (w == 1) {
            fss_gelu_keygen(&d, &gk[0], &gk[1], ro, r, n, f, n - f, N);
            k0 = &gk[0], k1 = &gk[1];
        } else {
            fss_trfloor_keygen(&d, &tk[0], &tk[1], ro, r, n, f, N);
            k0 = &tk[0], k1 = &tk[1];
        }
        sec_io io = {N, xh, {y0, y1}, {k0, k1}, w};
        view v;
        memset(&v, 0, sizeof v);
        fh_run_view(sec_party, &io, &v);
        double s = chi2(v.hist, v.n);
        cr_expect(s < CHI2_LIMIT, "%s: P0's shares seen by P1 are not uniform (chi2 = %g over %zu bytes)", names[w], s,
                  v.n);
        /* what P1 learns: the opened output y^ (low byte of each value) */
        view o;
        memset(&o, 0, sizeof o);
        for (size_t i = 0; i < N; i++) {
            o.hist[y1[i] & 0xff]++;
            o.n++;
        }
        s = chi2(o.hist, o.n);
        cr_expect(s < CHI2_LIMIT, "%s: P1's opened outputs are not uniform (chi2 = %g)", names[w], s);
        /* the leaky double: the unmasked outputs, packed as they would travel, are far from uniform */
        uint64_t *yv = calloc(N, 8);
        for (size_t i = 0; i < N; i++) yv[i] = (y0[i] - ro[i]) & fss_mask(n);
        uint8_t *buf = calloc(fss_packed_bytes(N, n), 1);
        fss_pack(buf, yv, N, n);
        view leak;
        memset(&leak, 0, sizeof leak);
        for (size_t i = 0; i < fss_packed_bytes(N, n); i++) {
            leak.hist[buf[i]]++;
            leak.n++;
        }
        cr_expect(chi2(leak.hist, leak.n) > CHI2_LIMIT, "%s: the leaky view passes the test", names[w]);
        free(yv), free(buf);
        if (w == 0) fss_relu_key_free(&rk[0]), fss_relu_key_free(&rk[1]);
        else if (w == 1) fss_gelu_key_free(&gk[0]), fss_gelu_key_free(&gk[1]);
        else fss_trfloor_key_free(&tk[0]), fss_trfloor_key_free(&tk[1]);
        free(r), free(xh), free(ro), free(y0), free(y1);
        fss_dealer_free(&d);
    }
}

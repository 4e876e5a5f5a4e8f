/* fss_gate.c -- masked-wire gates of the fss family (see fss_gate.h). */
#include "fss_gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/chk.h"
#include "fss_bits.h"

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    CHECK(p != NULL, "fss_gate: out of memory (%zu x %zu bytes)", n, sz);
    return p;
}

/* ---- dealer, costs, transport ---- */

int fss_config_check(int n, int f, char *err, size_t errlen)
{
    if (n < 16 || n > 64) {
        snprintf(err, errlen, "fss: a ring of %d bits is out of range (16..64)", n);
        return -1;
    }
    if (f < 7) {
        snprintf(err, errlen, "fss: %d fractional bits are too few (GeLU needs at least 7)", f);
        return -1;
    }
    if (f > FSS_MAX_FRAC) {
        snprintf(err, errlen, "fss: %d fractional bits are too many (at most %d: the exponential's tables)", f,
                 FSS_MAX_FRAC);
        return -1;
    }
    if (2 * f + 4 > n) {
        snprintf(err, errlen, "fss: a ring of %d bits is too small for %d fractional bits (needs 2f + 4 = %d)", n, f,
                 2 * f + 4);
        return -1;
    }
    return 0;
}

void fss_dealer_init(fss_dealer *d, uint64_t seed)
{
    fss_prg_init(&d->prg);
    rng_seed(&d->r, seed, 0xf55);
    d->scratch = NULL;
    for (int p = 0; p < 2; p++) d->slots[p] = NULL, d->nslots[p] = d->islot[p] = d->cap[p] = 0, d->placing[p] = 0;
}

void fss_dealer_free(fss_dealer *d)
{
    fss_prg_free(&d->prg);
    for (int p = 0; p < 2; p++) free(d->slots[p]), d->slots[p] = NULL;
}

void fss_dealer_slots_reset(fss_dealer *d)
{
    for (int p = 0; p < 2; p++) d->nslots[p] = d->islot[p] = 0, d->placing[p] = 0;
}

void fss_dealer_slot_add(fss_dealer *d, int p, uint8_t *at, int n, size_t N)
{
    if (d->nslots[p] == d->cap[p]) {
        d->cap[p] = d->cap[p] ? 2 * d->cap[p] : 16;
        d->slots[p] = realloc(d->slots[p], d->cap[p] * sizeof *d->slots[p]);
        CHECK(d->slots[p] != NULL, "fss_dealer: out of memory");
    }
    fss_dpf_slot s = {at, n, N};
    d->slots[p][d->nslots[p]++] = s;
    d->placing[p] = 1;
}

void fss_dealer_dpf_alloc(fss_dealer *d, int p, fss_dpf_keys *k, int n, size_t N)
{
    if (d->placing[p] && d->islot[p] < d->nslots[p]) {
        const fss_dpf_slot *s = &d->slots[p][d->islot[p]];
        if (s->n == n && s->N == N) {
            fss_dpf_keys_place(k, n, N, s->at);
            d->islot[p]++;
            return;
        }
    }
    d->placing[p] = 0;
    fss_dpf_keys_alloc_in(k, n, N, d->scratch);
}

void fss_dealer_masks(fss_dealer *d, uint64_t *r, size_t N, int b)
{
    rng_fill_u64(&d->r, r, N);
    uint64_t m = fss_mask(b);
    for (size_t i = 0; i < N; i++) r[i] &= m;
}

void fss_dealer_bits(fss_dealer *d, uint8_t *c, size_t N)
{
    enum { CH = 4096 };
    uint64_t w[CH];
    for (size_t i0 = 0; i0 < N; i0 += CH) {
        size_t n = N - i0 < CH ? N - i0 : CH;
        rng_fill_u64(&d->r, w, n);
        for (size_t i = 0; i < n; i++) c[i0 + i] = (uint8_t)(w[i] & 1);
    }
}

void fss_dealer_share(fss_dealer *d, uint64_t *v0, uint64_t *v1, const uint64_t *v, size_t N, int b)
{
    uint64_t m = fss_mask(b);
    fss_dealer_masks(d, v0, N, b);
    for (size_t i = 0; i < N; i++) v1[i] = (v[i] - v0[i]) & m;
}

fss_cost fss_cost_add(fss_cost a, fss_cost b)
{
    fss_cost r = {a.rounds + b.rounds, a.bytes + b.bytes, a.key_bytes + b.key_bytes};
    return r;
}

static void xsend(mpc_ctx *c, const void *buf, size_t n)
{
    int peer = 1 - c->self;
    int rc = net_send(c->net, peer, c->phantom ? NULL : buf, n);
    CHECK(rc == NET_OK, "%s: send to %s failed: %s", net_party_names[c->self], net_party_names[peer], net_strerror(rc));
}

static void xrecv(mpc_ctx *c, void *buf, size_t n)
{
    int peer = 1 - c->self;
    int rc = net_recv(c->net, peer, c->phantom ? NULL : buf, n);
    CHECK(rc == NET_OK, "%s: receive from %s failed: %s", net_party_names[c->self], net_party_names[peer],
          net_strerror(rc));
}

void fss_open_segs(mpc_ctx *c, const fss_seg *segs, int nseg)
{
    size_t bits = 0;
    for (int s = 0; s < nseg; s++) bits += segs[s].N * (size_t)segs[s].b;
    size_t nb = (bits + 7) / 8;
    mpc_work(c, 0, 2 * bits / 8 + 1, 0); /* packing and unpacking */
    if (c->phantom) {
        xsend(c, NULL, nb);
        xrecv(c, NULL, nb);
        return;
    }
    uint8_t *mine = xcalloc(nb, 1), *theirs = xcalloc(nb, 1);
    fss_bitstream w = {mine, 0, nb, 0, 0};
    for (int s = 0; s < nseg; s++) fss_bs_put(&w, segs[s].sh, segs[s].N, segs[s].b);
    fss_bs_flush(&w);
    xsend(c, mine, nb);
    xrecv(c, theirs, nb);
    fss_bitstream r = {theirs, 0, nb, 0, 0};
    for (int s = 0; s < nseg; s++) { /* out may alias sh: read the other's values first */
        uint64_t m = fss_mask(segs[s].b), *o = segs[s].out;
        const uint64_t *sh = segs[s].sh;
        if (o == sh) {
            uint64_t *tmp = xcalloc(segs[s].N, 8);
            fss_bs_get(&r, tmp, segs[s].N, segs[s].b);
            for (size_t i = 0; i < segs[s].N; i++) o[i] = (sh[i] + tmp[i]) & m;
            free(tmp);
        } else {
            fss_bs_get(&r, o, segs[s].N, segs[s].b);
            for (size_t i = 0; i < segs[s].N; i++) o[i] = (sh[i] + o[i]) & m;
        }
    }
    free(mine);
    free(theirs);
}

void fss_open(mpc_ctx *c, uint64_t *out, const uint64_t *sh, size_t N, int b)
{
    fss_seg s = {out, sh, N, b};
    fss_open_segs(c, &s, 1);
}

void fss_input(mpc_ctx *c, uint64_t *x_hat, const uint64_t *x, const uint64_t *r, size_t N, int b, int owner)
{
    size_t nb = fss_packed_bytes(N, b);
    if (c->phantom) {
        if (c->self == owner) xsend(c, NULL, nb);
        else xrecv(c, NULL, nb);
        return;
    }
    uint8_t *buf = xcalloc(nb, 1);
    uint64_t m = fss_mask(b);
    if (c->self == owner) {
        for (size_t i = 0; i < N; i++) x_hat[i] = (x[i] + r[i]) & m;
        fss_pack(buf, x_hat, N, b);
        xsend(c, buf, nb);
    } else {
        xrecv(c, buf, nb);
        fss_unpack(x_hat, buf, N, b);
    }
    free(buf);
}

/* Work charged for n DPF comparisons on k bits (AES blocks, fss_dpf.h), the same in phantom mode. */
static void charge_dpf_lt(mpc_ctx *c, int k, size_t n)
{
    uint64_t blocks = k > FSS_DPF_NU ? (uint64_t)n * (2 * (uint64_t)fss_dpf_levels(k) + 1) : 0;
    mpc_work(c, 0, (uint64_t)n * (uint64_t)k, 16 * blocks);
}

static uint8_t *bits_share(fss_dealer *d, uint8_t *c1, const uint8_t *v, size_t N)
{
    /* XOR shares of bits: c0 uniform, c1 = c0 ^ v; returns c0 */
    uint8_t *c0 = xcalloc(N, 1);
    fss_dealer_bits(d, c0, N);
    for (size_t i = 0; i < N; i++) c1[i] = (uint8_t)(c0[i] ^ v[i]);
    return c0;
}

/* ---- DReLU ---- */

fss_cost fss_drelu_cost(int b, size_t N)
{
    fss_cost r = {1, fss_packed_bytes(N, 1), N * fss_dpf_key_bytes(b - 1) + fss_packed_bytes(N, 1)};
    return r;
}

void fss_drelu_keygen(fss_dealer *d, fss_drelu_key *k0, fss_drelu_key *k1, uint64_t *r_d, const uint64_t *r_in, int b,
                      size_t N)
{
    CHECK(b >= 9 && b <= 64, "fss_drelu: ring of %d bits (9..64)", b);
    fss_drelu_key *k[2] = {k0, k1};
    for (int p = 0; p < 2; p++) {
        memset(k[p], 0, sizeof *k[p]);
        k[p]->b = b;
        k[p]->N = N;
    }
    if (!d) return; /* phantom: the shape only */
    for (int p = 0; p < 2; p++) fss_dealer_dpf_alloc(d, p, &k[p]->dpf, b - 1, N);
    uint64_t *alpha = xcalloc(N, 8), lm = fss_mask(b - 1);
    uint8_t *v = xcalloc(N, 1);
    k1->c = xcalloc(N, 1);
    fss_dealer_masks(d, r_d, N, 1);
    for (size_t i = 0; i < N; i++) {
        alpha[i] = r_in[i] & lm;
        v[i] = (uint8_t)((((r_in[i] >> (b - 1)) & 1) ^ 1 ^ r_d[i]) & 1);
    }
    k0->c = bits_share(d, k1->c, v, N);
    fss_dpf_gen(&d->prg, &d->r, &k0->dpf, &k1->dpf, alpha, N);
    free(alpha);
    free(v);
}

/* d_sh[i] = this party's XOR share of d ^ r_d. */
static void drelu_local(mpc_ctx *c, uint64_t *d_sh, const fss_drelu_key *k, const uint64_t *x_hat, size_t N)
{
    int b = k->b;
    uint64_t *y = xcalloc(N, 8), lm = fss_mask(b - 1);
    uint8_t *lt = xcalloc(N, 1);
    for (size_t i = 0; i < N; i++) y[i] = x_hat[i] & lm;
    fss_prg g;
    fss_prg_init(&g);
    fss_dpf_eval_lt(&g, lt, c->self, &k->dpf, y, N);
    fss_prg_free(&g);
    for (size_t i = 0; i < N; i++) {
        unsigned v = lt[i] ^ k->c[i];
        if (c->self == NET_P0) v ^= (unsigned)(x_hat[i] >> (b - 1)) & 1;
        d_sh[i] = v & 1;
    }
    free(y);
    free(lt);
}

void fss_drelu(mpc_ctx *c, uint64_t *d_hat, const fss_drelu_key *k, const uint64_t *x_hat, size_t N)
{
    uint64_t *sh = NULL;
    charge_dpf_lt(c, k->b - 1, N);
    if (!c->phantom) {
        sh = xcalloc(N, 8);
        drelu_local(c, sh, k, x_hat, N);
    }
    fss_open(c, d_hat, sh, N, 1);
    free(sh);
}

void fss_drelu_key_free(fss_drelu_key *k)
{
    fss_dpf_keys_free(&k->dpf);
    free(k->c);
    k->c = NULL;
}

/* ---- select ---- */

fss_cost fss_select_cost(int b, size_t N)
{
    fss_cost r = {1, fss_packed_bytes(N, b), fss_packed_bytes(3 * N, b)};
    return r;
}

void fss_select_keygen(fss_dealer *d, fss_select_key *k0, fss_select_key *k1, uint64_t *r_out, const uint64_t *r_d,
                       const uint64_t *r_x, const uint64_t *r_y, int b, size_t N)
{
    uint64_t m = fss_mask(b);
    fss_select_key *k[2] = {k0, k1};
    for (int p = 0; p < 2; p++) {
        memset(k[p], 0, sizeof *k[p]);
        k[p]->b = b;
        k[p]->N = N;
    }
    if (!d) return; /* phantom: the shape only */
    for (int p = 0; p < 2; p++) {
        k[p]->rd = xcalloc(N, 8);
        k[p]->k0 = xcalloc(N, 8);
        k[p]->k1 = xcalloc(N, 8);
    }
    if (r_y) memmove(r_out, r_y, N * 8);
    else fss_dealer_masks(d, r_out, N, b);
    uint64_t *v = xcalloc(N, 8);
    for (size_t i = 0; i < N; i++) v[i] = r_d[i] & 1;
    fss_dealer_share(d, k0->rd, k1->rd, v, N, b);
    for (size_t i = 0; i < N; i++) v[i] = (r_out[i] - (r_d[i] & 1) * r_x[i]) & m;
    fss_dealer_share(d, k0->k0, k1->k0, v, N, b);
    for (size_t i = 0; i < N; i++) v[i] = (r_out[i] - r_x[i] + (r_d[i] & 1) * r_x[i]) & m;
    fss_dealer_share(d, k0->k1, k1->k1, v, N, b);
    free(v);
}

void fss_select_shares(mpc_ctx *c, uint64_t *y_sh, const fss_select_key *k, const uint64_t *d_hat,
                       const uint64_t *x_hat, size_t N)
{
    mpc_work(c, N, 3 * N, 0);
    if (c->phantom) return;
    uint64_t m = fss_mask(k->b);
    for (size_t i = 0; i < N; i++) {
        uint64_t x = x_hat[i] & m;
        if (d_hat[i] & 1) y_sh[i] = (k->k1[i] - k->rd[i] * x + (c->self == NET_P0 ? x : 0)) & m;
        else y_sh[i] = (k->k0[i] + k->rd[i] * x) & m;
    }
}

void fss_select(mpc_ctx *c, uint64_t *y_hat, const fss_select_key *k, const uint64_t *d_hat, const uint64_t *x_hat,
                size_t N)
{
    uint64_t *sh = c->phantom ? NULL : xcalloc(N, 8);
    fss_select_shares(c, sh, k, d_hat, x_hat, N);
    fss_open(c, y_hat, sh, N, k->b);
    free(sh);
}

void fss_select_key_free(fss_select_key *k)
{
    free(k->rd);
    free(k->k0);
    free(k->k1);
    k->rd = k->k0 = k->k1 = NULL;
}

/* ---- ReLU ---- */

fss_cost fss_relu_cost(int b, size_t N) { return fss_cost_add(fss_drelu_cost(b, N), fss_select_cost(b, N)); }

void fss_relu_keygen(fss_dealer *d, fss_relu_key *k0, fss_relu_key *k1, uint64_t *r_out, const uint64_t *r_in, int b,
                     size_t N)
{
    uint64_t *r_d = d ? xcalloc(N, 8) : NULL;
    fss_drelu_keygen(d, &k0->drelu, &k1->drelu, r_d, r_in, b, N);
    fss_select_keygen(d, &k0->sel, &k1->sel, r_out, r_d, r_in, NULL, b, N);
    free(r_d);
}

void fss_relu(mpc_ctx *c, uint64_t *y_hat, const fss_relu_key *k, const uint64_t *x_hat, size_t N)
{
    uint64_t *d_hat = c->phantom ? NULL : xcalloc(N, 8);
    fss_drelu(c, d_hat, &k->drelu, x_hat, N);
    fss_select(c, y_hat, &k->sel, d_hat, x_hat, N);
    free(d_hat);
}

void fss_relu_sh(mpc_ctx *c, uint64_t *y_sh, const fss_relu_key *k, const uint64_t *x_hat, size_t N)
{
    uint64_t *d_hat = c->phantom ? NULL : xcalloc(N, 8);
    fss_drelu(c, d_hat, &k->drelu, x_hat, N);
    fss_select_shares(c, y_sh, &k->sel, d_hat, x_hat, N);
    free(d_hat);
}

void fss_relu_key_free(fss_relu_key *k)
{
    fss_drelu_key_free(&k->drelu);
    fss_select_key_free(&k->sel);
}

/* ---- truncations ---- */

static int tr_cmp_bits(int kind, int bin, int s) { return kind == FSS_TR_SEXT ? bin : s; }

fss_cost fss_tr_cost(int kind, int bin, int s, int bout, size_t N)
{
    int ne = kind == FSS_TR_SLACK ? 3 : 2;
    fss_cost r = {2, fss_packed_bytes(N, 1) + fss_packed_bytes(N, bout),
                  N * fss_dpf_key_bytes(tr_cmp_bits(kind, bin, s)) + fss_packed_bytes(N, 1) +
                      fss_packed_bytes((size_t)ne * N, bout)};
    return r;
}

void fss_tr_keygen(fss_dealer *d, fss_tr_key *k0, fss_tr_key *k1, uint64_t *r_out, const uint64_t *r_in, int kind,
                   int bin, int s, int bout, size_t N)
{
    CHECK(bin >= 2 && bin <= 64 && bout >= 1 && bout <= 64, "fss_tr: rings of %d and %d bits", bin, bout);
    CHECK(kind == FSS_TR_SEXT || (s >= 1 && s < bin), "fss_tr: shift %d on %d bits", s, bin);
    CHECK(kind != FSS_TR_REDUCE || bout == bin - s, "fss_tr: TrReduce outputs bin - s bits");
    CHECK(kind != FSS_TR_SLACK || bin - 2 - s >= 0, "fss_tr: TrWithSlack needs s <= bin - 2");
    int cmp = tr_cmp_bits(kind, bin, s);
    fss_tr_key *k[2] = {k0, k1};
    for (int p = 0; p < 2; p++) {
        memset(k[p], 0, sizeof *k[p]);
        k[p]->kind = kind;
        k[p]->bin = bin;
        k[p]->s = kind == FSS_TR_SEXT ? 0 : s;
        k[p]->bout = bout;
        k[p]->N = N;
    }
    if (!d) return; /* phantom: the shape only */
    for (int p = 0; p < 2; p++) {
        fss_dealer_dpf_alloc(d, p, &k[p]->dpf, cmp, N);
        k[p]->corr = xcalloc(2 * N, 8);
        k[p]->extra = kind == FSS_TR_SLACK ? xcalloc(N, 8) : NULL;
    }
    uint64_t mi = fss_mask(bin), mo = fss_mask(bout), mc = fss_mask(cmp);
    uint64_t *alpha = xcalloc(N, 8), *rz = xcalloc(N, 8), *v = xcalloc(2 * N, 8), *v0 = xcalloc(2 * N, 8),
             *v1 = xcalloc(2 * N, 8);
    uint8_t *rzb = xcalloc(N, 1);
    k1->c = xcalloc(N, 1);
    fss_dealer_masks(d, r_out, N, bout);
    fss_dealer_masks(d, rz, N, 1);
    for (size_t i = 0; i < N; i++) {
        uint64_t r = r_in[i] & mi;
        alpha[i] = r & mc;
        rzb[i] = (uint8_t)rz[i];
        for (unsigned z = 0; z < 2; z++) {
            uint64_t w = z ^ rz[i], e;
            if (kind == FSS_TR_SEXT) e = 0 - r + (bin < 64 ? w << bin : 0); /* 2^m w (vanishes mod 2^64) */
            else e = 0 - (r >> s) - w;
            v[2 * i + z] = (e + r_out[i]) & mo;
        }
    }
    k0->c = bits_share(d, k1->c, rzb, N);
    fss_dealer_share(d, v0, v1, v, 2 * N, bout);
    memcpy(k0->corr, v0, 2 * N * 8);
    memcpy(k1->corr, v1, 2 * N * 8);
    if (kind == FSS_TR_SLACK) {
        for (size_t i = 0; i < N; i++) {
            uint64_t msb = ((r_in[i] & mi) >> (bin - 1)) & 1;
            v[i] = (bin - s < 64 ? msb << (bin - s) : 0) & mo;
        }
        fss_dealer_share(d, k0->extra, k1->extra, v, N, bout);
    }
    fss_dpf_gen(&d->prg, &d->r, &k0->dpf, &k1->dpf, alpha, N);
    free(alpha);
    free(rz);
    free(rzb);
    free(v);
    free(v0);
    free(v1);
}

/* The public parts of a truncation at x^: the DPF's comparison input, the public term, and (TrWithSlack)
 * whether the MSB(r) term applies. */
static void tr_public(const fss_tr_key *k, uint64_t x_in, uint64_t *y, uint64_t *pub, unsigned *z)
{
    int kind = k->kind, bin = k->bin, s = k->s;
    uint64_t mi = fss_mask(bin), mc = fss_mask(tr_cmp_bits(kind, bin, s)), x = x_in & mi;
    *z = 0;
    if (kind == FSS_TR_REDUCE) {
        *y = x & mc;
        *pub = x >> s;
    } else if (kind == FSS_TR_SEXT) {
        uint64_t yp = (x + ((uint64_t)1 << (bin - 1))) & mi;
        *y = yp;
        *pub = yp - ((uint64_t)1 << (bin - 1));
    } else {
        uint64_t x1 = (x + ((uint64_t)1 << (bin - 2))) & mi;
        *y = x1 & mc;
        *pub = (x1 >> s) - ((uint64_t)1 << (bin - 2 - s));
        *z = !((x1 >> (bin - 1)) & 1); /* wrap possible: add the MSB(r) term */
    }
}

void fss_tr_cmp(mpc_ctx *c, uint64_t *z_sh, const fss_tr_key *k, const uint64_t *x_hat, size_t N)
{
    int cmp = tr_cmp_bits(k->kind, k->bin, k->s);
    if (c->phantom) {
        charge_dpf_lt(c, cmp, N);
        return;
    }
    uint64_t *y = xcalloc(N, 8), pub;
    unsigned z;
    uint8_t *lt = xcalloc(N, 1);
    for (size_t i = 0; i < N; i++) tr_public(k, x_hat[i], &y[i], &pub, &z);
    fss_prg g;
    fss_prg_init(&g);
    fss_dpf_eval_lt(&g, lt, c->self, &k->dpf, y, N);
    fss_prg_free(&g);
    for (size_t i = 0; i < N; i++) z_sh[i] = (lt[i] ^ k->c[i]) & 1;
    charge_dpf_lt(c, cmp, N);
    free(y);
    free(lt);
}

void fss_tr_fin(const mpc_ctx *c, uint64_t *y_sh, const fss_tr_key *k, const uint64_t *x_hat, const uint64_t *z_hat,
                size_t N)
{
    if (c->phantom) return;
    uint64_t mo = fss_mask(k->bout);
    for (size_t i = 0; i < N; i++) {
        uint64_t y, pub;
        unsigned z;
        tr_public(k, x_hat[i], &y, &pub, &z);
        uint64_t v = k->corr[2 * i + z_hat[i]];
        if (c->self == NET_P0) v += pub;
        if (k->kind == FSS_TR_SLACK && z) v += k->extra[i];
        y_sh[i] = v & mo;
    }
}

static void tr_impl(mpc_ctx *c, uint64_t *y_hat, const fss_tr_key *k, const uint64_t *x_hat, size_t N, int open)
{
    int ph = c->phantom;
    uint64_t *zs = ph ? NULL : xcalloc(N, 8), *zh = ph ? NULL : xcalloc(N, 8), *sh = ph ? NULL : xcalloc(N, 8);
    fss_tr_cmp(c, zs, k, x_hat, N);
    fss_open(c, zh, zs, N, 1);
    fss_tr_fin(c, sh, k, x_hat, zh, N);
    if (open) fss_open(c, y_hat, sh, N, k->bout);
    else if (!ph) memcpy(y_hat, sh, N * sizeof *sh);
    free(zs);
    free(zh);
    free(sh);
}

void fss_tr(mpc_ctx *c, uint64_t *y_hat, const fss_tr_key *k, const uint64_t *x_hat, size_t N)
{
    tr_impl(c, y_hat, k, x_hat, N, 1);
}

void fss_tr_sh(mpc_ctx *c, uint64_t *y_sh, const fss_tr_key *k, const uint64_t *x_hat, size_t N)
{
    tr_impl(c, y_sh, k, x_hat, N, 0);
}

void fss_tr_key_free(fss_tr_key *k)
{
    fss_dpf_keys_free(&k->dpf);
    free(k->c);
    free(k->corr);
    free(k->extra);
    k->c = NULL;
    k->corr = k->extra = NULL;
}

/* ---- TrFloor ---- */

fss_cost fss_trfloor_cost(int n, int s, size_t N)
{
    return fss_cost_add(fss_tr_cost(FSS_TR_REDUCE, n, s, n - s, N), fss_tr_cost(FSS_TR_SEXT, n - s, 0, n, N));
}

void fss_trfloor_keygen(fss_dealer *d, fss_trfloor_key *k0, fss_trfloor_key *k1, uint64_t *r_out, const uint64_t *r_in,
                        int n, int s, size_t N)
{
    uint64_t *r_mid = d ? xcalloc(N, 8) : NULL;
    fss_tr_keygen(d, &k0->red, &k1->red, r_mid, r_in, FSS_TR_REDUCE, n, s, n - s, N);
    fss_tr_keygen(d, &k0->sext, &k1->sext, r_out, r_mid, FSS_TR_SEXT, n - s, 0, n, N);
    free(r_mid);
}

void fss_trfloor(mpc_ctx *c, uint64_t *y_hat, const fss_trfloor_key *k, const uint64_t *x_hat, size_t N)
{
    uint64_t *mid = c->phantom ? NULL : xcalloc(N, 8);
    fss_tr(c, mid, &k->red, x_hat, N);
    fss_tr(c, y_hat, &k->sext, mid, N);
    free(mid);
}

void fss_trfloor_sh(mpc_ctx *c, uint64_t *y_sh, const fss_trfloor_key *k, const uint64_t *x_hat, size_t N)
{
    uint64_t *mid = c->phantom ? NULL : xcalloc(N, 8);
    fss_tr(c, mid, &k->red, x_hat, N);
    fss_tr_sh(c, y_sh, &k->sext, mid, N);
    free(mid);
}

void fss_trfloor_key_free(fss_trfloor_key *k)
{
    fss_tr_key_free(&k->red);
    fss_tr_key_free(&k->sext);
}

/* ---- masked matmul ---- */

fss_cost fss_matmul_cost(int b, size_t m, size_t k, size_t p)
{
    fss_cost r = {1, fss_packed_bytes(m * p, b), fss_packed_bytes(m * k + k * p + m * p, b)};
    return r;
}

void fss_matmul_keygen(fss_dealer *d, fss_matmul_key *k0, fss_matmul_key *k1, uint64_t *r_z, const uint64_t *r_x,
                       const uint64_t *r_y, int b, size_t m, size_t k, size_t p)
{
    fss_matmul_key *kk[2] = {k0, k1};
    for (int q = 0; q < 2; q++) {
        memset(kk[q], 0, sizeof *kk[q]);
        kk[q]->b = b;
        kk[q]->m = m;
        kk[q]->k = k;
        kk[q]->p = p;
    }
    if (!d) return; /* phantom: the shape only */
    for (int q = 0; q < 2; q++) {
        kk[q]->rx = xcalloc(m * k, 8);
        kk[q]->ry = xcalloc(k * p, 8);
        kk[q]->rz = xcalloc(m * p, 8);
    }
    fss_dealer_share(d, k0->rx, k1->rx, r_x, m * k, b);
    fss_dealer_share(d, k0->ry, k1->ry, r_y, k * p, b);
    fss_dealer_masks(d, r_z, m * p, b);
    uint64_t *v = xcalloc(m * p, 8), mb = fss_mask(b);
    mpc_ring_matmul(v, r_x, r_y, m, k, p);
    for (size_t i = 0; i < m * p; i++) v[i] = (v[i] + r_z[i]) & mb;
    fss_dealer_share(d, k0->rz, k1->rz, v, m * p, b);
    free(v);
}

static void matmul_impl(mpc_ctx *c, uint64_t *Z_hat, const fss_matmul_key *key, const uint64_t *X_hat,
                        const uint64_t *Y_hat, int open)
{
    size_t m = key->m, k = key->k, p = key->p;
    mpc_work(c, 2 * m * k * p, m * p + k * p, 0);
    if (c->phantom) {
        if (open) fss_open(c, NULL, NULL, m * p, key->b);
        return;
    }
    uint64_t mb = fss_mask(key->b);
    uint64_t *Yd = xcalloc(k * p, 8), *Z = xcalloc(m * p, 8), *T = xcalloc(m * p, 8);
    /* Z = X^ (Y^ [P0] - [R_Y]) - [R_X] Y^ + [R_X R_Y + R_Z] */
    for (size_t i = 0; i < k * p; i++) Yd[i] = (c->self == NET_P0 ? Y_hat[i] : 0) - key->ry[i];
    mpc_ring_matmul(Z, X_hat, Yd, m, k, p);
    mpc_ring_matmul(T, key->rx, Y_hat, m, k, p);
    for (size_t i = 0; i < m * p; i++) Z[i] = (Z[i] - T[i] + key->rz[i]) & mb;
    if (open) fss_open(c, Z_hat, Z, m * p, key->b);
    else memcpy(Z_hat, Z, m * p * sizeof *Z);
    free(Yd);
    free(Z);
    free(T);
}

void fss_matmul(mpc_ctx *c, uint64_t *Z_hat, const fss_matmul_key *key, const uint64_t *X_hat, const uint64_t *Y_hat)
{
    matmul_impl(c, Z_hat, key, X_hat, Y_hat, 1);
}

void fss_matmul_sh(mpc_ctx *c, uint64_t *Z_sh, const fss_matmul_key *key, const uint64_t *X_hat, const uint64_t *Y_hat)
{
    matmul_impl(c, Z_sh, key, X_hat, Y_hat, 0);
}

void fss_matmul_key_free(fss_matmul_key *k)
{
    free(k->rx);
    free(k->ry);
    free(k->rz);
    k->rx = k->ry = k->rz = NULL;
}

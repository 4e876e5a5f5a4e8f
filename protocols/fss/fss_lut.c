/* fss_lut.c -- LUT by DPF full-domain evaluation, and GeLU (see fss_lut.h). */
#include "fss_lut.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/chk.h"
#include "fss_bits.h"

enum { GELU_CLIP_BITS = 8, GELU_FRAC = 6, FSS_LUT_CHUNK = 512 };

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    CHECK(p != NULL, "fss_lut: out of memory (%zu x %zu bytes)", n, sz);
    return p;
}

static void bits_share(fss_dealer *d, uint8_t *c0, uint8_t *c1, const uint64_t *v, size_t N)
{
    fss_dealer_bits(d, c0, N);
    for (size_t i = 0; i < N; i++) c1[i] = (uint8_t)((c0[i] ^ v[i]) & 1);
}

/* ---- LUT ---- */

fss_cost fss_lut_cost(int bin, int bout, size_t N)
{
    fss_cost r = {2, fss_packed_bytes(N, 1 + bout) + fss_packed_bytes(N, bout),
                  N * fss_dpf_key_bytes(bin) + fss_packed_bytes(N, 1) + fss_packed_bytes(N, bout) +
                      fss_packed_bytes(3 * N, bout)};
    return r;
}

void fss_lut_keygen(fss_dealer *d, fss_lut_key *k0, fss_lut_key *k1, uint64_t *r_out, const uint64_t *r_in, int bin,
                    int bout, size_t N)
{
    CHECK(bin >= 1 && bin <= 16 && bout >= 1 && bout <= 64, "fss_lut: %d input bits (1..16), %d output bits", bin,
          bout);
    fss_lut_key *k[2] = {k0, k1};
    for (int p = 0; p < 2; p++) {
        memset(k[p], 0, sizeof *k[p]);
        k[p]->bin = bin;
        k[p]->bout = bout;
        k[p]->N = N;
    }
    if (!d) {
        fss_select_keygen(NULL, &k0->sel, &k1->sel, NULL, NULL, NULL, NULL, bout, N);
        return;
    }
    uint64_t *ru = xcalloc(N, 8), *rv = xcalloc(N, 8), *rs = xcalloc(N, 8), *alpha = xcalloc(N, 8);
    for (int p = 0; p < 2; p++) {
        fss_dealer_dpf_alloc(d, p, &k[p]->dpf, bin, N);
        k[p]->u = xcalloc(N, 1);
        k[p]->v = xcalloc(N, 8);
    }
    for (size_t i = 0; i < N; i++) alpha[i] = r_in[i] & fss_mask(bin);
    fss_dpf_gen(&d->prg, &d->r, &k0->dpf, &k1->dpf, alpha, N);
    fss_dealer_masks(d, ru, N, 1);
    fss_dealer_masks(d, rv, N, bout);
    bits_share(d, k0->u, k1->u, ru, N);
    fss_dealer_share(d, k0->v, k1->v, rv, N, bout);
    fss_select_keygen(d, &k0->sel, &k1->sel, rs, ru, rv, NULL, bout, N);
    for (size_t i = 0; i < N; i++) r_out[i] = (2 * rs[i] - rv[i]) & fss_mask(bout);
    free(ru);
    free(rv);
    free(rs);
    free(alpha);
}

void fss_lut_uv(mpc_ctx *c, uint64_t *u_sh, uint64_t *v_sh, const fss_lut_key *k, const uint64_t *table,
                const uint64_t *x_hat, size_t N)
{
    int bin = k->bin, bout = k->bout;
    size_t D = (size_t)1 << bin;
    uint64_t W = bin > FSS_DPF_NU ? (uint64_t)1 << (bin - FSS_DPF_NU) : 0;
    mpc_work(c, (uint64_t)N * D, (uint64_t)N * D, 16 * (uint64_t)N * (W ? 3 * W - 2 : 0));
    if (c->phantom) return;
    uint64_t mo = fss_mask(bout), mi = fss_mask(bin);
    /* the full-domain expansion FSS_LUT_CHUNK keys at a time (each a view of the key array): the
     * expanded bits stay in cache */
    size_t C = N < FSS_LUT_CHUNK ? N : FSS_LUT_CHUNK;
    uint8_t *e = malloc(C * D);
    CHECK(e != NULL, "fss_lut: out of memory");
    fss_prg g;
    fss_prg_init(&g);
    for (size_t i = 0; i < N; i++) {
        if (i % C == 0) {
            fss_dpf_keys sub = k->dpf;
            sub.N = N - i < C ? N - i : C;
            sub.raw = k->dpf.raw + i * k->dpf.kb;
            sub.owned = 0;
            fss_dpf_eval_all(&g, e, c->self, &sub);
        }
        uint64_t acc = 0, cnt = 0, x = x_hat[i] & mi;
        const uint8_t *ei = e + (i % C) * D;
        for (size_t j = 0; j < D; j++) {
            uint64_t b = ei[j];
            cnt += b;
            acc += b * table[(x - j) & mi];
        }
        unsigned up = (unsigned)(cnt >> 1) & 1;
        if (c->self == NET_P0) up ^= (unsigned)cnt & 1;
        u_sh[i] = (up ^ k->u[i]) & 1;
        v_sh[i] = ((c->self == NET_P0 ? acc : 0 - acc) + k->v[i]) & mo;
    }
    fss_prg_free(&g);
    free(e);
}

void fss_lut_fin(mpc_ctx *c, uint64_t *y_sh, const fss_lut_key *k, const uint64_t *uh, const uint64_t *vh, size_t N)
{
    fss_select_shares(c, y_sh, &k->sel, uh, vh, N);
    if (c->phantom) return;
    uint64_t mo = fss_mask(k->bout);
    for (size_t i = 0; i < N; i++) y_sh[i] = (2 * y_sh[i] - (c->self == NET_P0 ? vh[i] : 0)) & mo;
}

void fss_lut_shares(mpc_ctx *c, uint64_t *y_sh, const fss_lut_key *k, const uint64_t *table, const uint64_t *x_hat,
                    size_t N)
{
    int ph = c->phantom;
    uint64_t *u = ph ? NULL : xcalloc(N, 8), *v = ph ? NULL : xcalloc(N, 8), *uh = ph ? NULL : xcalloc(N, 8),
             *vh = ph ? NULL : xcalloc(N, 8);
    fss_lut_uv(c, u, v, k, table, x_hat, N);
    fss_seg s[2] = {{uh, u, N, 1}, {vh, v, N, k->bout}};
    fss_open_segs(c, s, 2);
    fss_lut_fin(c, y_sh, k, uh, vh, N);
    free(u);
    free(v);
    free(uh);
    free(vh);
}

void fss_lut(mpc_ctx *c, uint64_t *y_hat, const fss_lut_key *k, const uint64_t *table, const uint64_t *x_hat, size_t N)
{
    uint64_t *sh = c->phantom ? NULL : xcalloc(N, 8);
    fss_lut_shares(c, sh, k, table, x_hat, N);
    fss_open(c, y_hat, sh, N, k->bout);
    free(sh);
}

void fss_lut_key_free(fss_lut_key *k)
{
    fss_dpf_keys_free(&k->dpf);
    free(k->u);
    free(k->v);
    k->u = NULL;
    k->v = NULL;
    fss_select_key_free(&k->sel);
}

/* ---- GeLU ---- */

static int gelu_bt(int f, int bin) { return bin - (f - GELU_FRAC) + 1; }

void fss_gelu_table(uint64_t *T, int n, int f) { fss_gelu_table_kind(T, n, f, FSS_GELU_ERF); }

void fss_gelu_table_kind(uint64_t *T, int n, int f, int kind)
{
    for (int i = 0; i < 1 << GELU_CLIP_BITS; i++) {
        double x = i / 64.0, g;
        if (kind == FSS_GELU_ERF) g = 0.5 * x * (1 + erf(x / sqrt(2.0)));
        else g = 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
        T[i] = (uint64_t)(int64_t)llround((x - g) * ldexp(1, f)) & fss_mask(n);
    }
}

fss_cost fss_gelu_cost(int n, int f, int bin, size_t N)
{
    int s = f - GELU_FRAC, bt = gelu_bt(f, bin);
    fss_cost c = fss_tr_cost(FSS_TR_SLACK, bin, s, bt, N);
    fss_cost dic = {1, fss_packed_bytes(2 * N, 1), N * fss_dpf_key_bytes(bt) + fss_packed_bytes(2 * N, 1)};
    fss_cost mux = {1, fss_packed_bytes(N, GELU_CLIP_BITS), fss_packed_bytes(8 * N, GELU_CLIP_BITS)};
    fss_cost lut = fss_lut_cost(GELU_CLIP_BITS, n, N);
    fss_cost sel = fss_select_cost(n, N);
    sel.rounds = 0; /* merged with the LUT's second opening */
    sel.bytes = 0;
    c = fss_cost_add(fss_cost_add(c, dic), fss_cost_add(mux, fss_cost_add(lut, sel)));
    return c;
}

void fss_gelu_keygen(fss_dealer *d, fss_gelu_key *k0, fss_gelu_key *k1, uint64_t *r_out, const uint64_t *r_in, int n,
                     int f, int bin, size_t N)
{
    int s = f - GELU_FRAC, bt = gelu_bt(f, bin);
    CHECK(f >= GELU_FRAC + 1 && bin <= n && bin >= s + 2 && bt >= 9 && bt <= 64,
          "fss_gelu: f = %d, bin = %d, n = %d out of range (f > 6, bin <= n, bin - f + 7 >= 9)", f, bin, n);
    fss_gelu_key *k[2] = {k0, k1};
    for (int p = 0; p < 2; p++) {
        memset(k[p], 0, sizeof *k[p]);
        k[p]->n = n;
        k[p]->f = f;
        k[p]->bin = bin;
        k[p]->N = N;
    }
    if (!d) {
        fss_tr_keygen(NULL, &k0->tr, &k1->tr, NULL, NULL, FSS_TR_SLACK, bin, s, bt, N);
        fss_lut_keygen(NULL, &k0->lut, &k1->lut, NULL, NULL, GELU_CLIP_BITS, n, N);
        fss_select_keygen(NULL, &k0->relu, &k1->relu, NULL, NULL, NULL, NULL, n, N);
        return;
    }
    uint64_t *rt = xcalloc(N, 8), *rd = xcalloc(N, 8), *ric = xcalloc(N, 8), *rc = xcalloc(N, 8),
             *rl = xcalloc(N, 8), *ry = xcalloc(N, 8), *v = xcalloc(4 * N, 8), *w = xcalloc(4 * N, 8);
    fss_tr_keygen(d, &k0->tr, &k1->tr, rt, r_in, FSS_TR_SLACK, bin, s, bt, N);
    /* d, ic from one DPF on bt bits at rt */
    for (int p = 0; p < 2; p++) {
        fss_dealer_dpf_alloc(d, p, &k[p]->dic, bt, N);
        k[p]->cd = xcalloc(N, 1);
        k[p]->cic = xcalloc(N, 1);
        k[p]->c0 = xcalloc(4 * N, 8);
        k[p]->c1 = xcalloc(4 * N, 8);
    }
    fss_dpf_gen(&d->prg, &d->r, &k0->dic, &k1->dic, rt, N);
    fss_dealer_masks(d, rd, N, 1);
    fss_dealer_masks(d, ric, N, 1);
    bits_share(d, k0->cd, k1->cd, rd, N);
    bits_share(d, k0->cic, k1->cic, ric, N);
    /* mux: entry j^ = j ^ (2 r_ic + r_d) holds L_j(Xt) = c1_j Xt + c0_j, j = 2 ic + d:
     * ic = 0: 255; (ic, d) = (1, 0): -Xt; (1, 1): Xt. Shares of c1_j and c0_j - c1_j rt + rc. */
    const uint64_t M = (1u << GELU_CLIP_BITS) - 1, cm = fss_mask(GELU_CLIP_BITS);
    const int64_t lc0[4] = {(int64_t)M, (int64_t)M, 0, 0}, lc1[4] = {0, 0, -1, 1};
    fss_dealer_masks(d, rc, N, GELU_CLIP_BITS);
    for (size_t i = 0; i < N; i++) {
        unsigned mm = (unsigned)(2 * ric[i] + rd[i]);
        for (unsigned j = 0; j < 4; j++) {
            size_t idx = 4 * i + (j ^ mm);
            w[idx] = (uint64_t)lc1[j] & cm;
            v[idx] = ((uint64_t)lc0[j] - (uint64_t)lc1[j] * rt[i] + rc[i]) & cm;
        }
    }
    fss_dealer_share(d, k0->c0, k1->c0, v, 4 * N, GELU_CLIP_BITS);
    fss_dealer_share(d, k0->c1, k1->c1, w, 4 * N, GELU_CLIP_BITS);
    fss_lut_keygen(d, &k0->lut, &k1->lut, rl, rc, GELU_CLIP_BITS, n, N);
    /* ReLU's select with output mask r_out + r_lut, so that relu - lut carries r_out */
    fss_dealer_masks(d, r_out, N, n);
    for (size_t i = 0; i < N; i++) ry[i] = (r_out[i] + rl[i]) & fss_mask(n);
    fss_select_keygen(d, &k0->relu, &k1->relu, ry, rd, r_in, ry, n, N);
    free(rt), free(rd), free(ric), free(rc), free(rl), free(ry), free(v), free(w);
}

static void gelu_impl(mpc_ctx *c, uint64_t *y_hat, const fss_gelu_key *k, const uint64_t *x_hat, size_t N, int open)
{
    int n = k->n, bt = gelu_bt(k->f, k->bin);
    int ph = c->phantom;
    uint64_t *xt = ph ? NULL : xcalloc(N, 8), *dh = ph ? NULL : xcalloc(N, 8), *ich = ph ? NULL : xcalloc(N, 8),
             *ds = ph ? NULL : xcalloc(N, 8), *ics = ph ? NULL : xcalloc(N, 8), *cl = ph ? NULL : xcalloc(N, 8),
             *ch = ph ? NULL : xcalloc(N, 8), *ysh = ph ? NULL : xcalloc(N, 8), *rsh = ph ? NULL : xcalloc(N, 8);
    /* 1. Xt = x at 6 fractional bits, bt bits */
    fss_tr(c, xt, &k->tr, x_hat, N);
    /* 2. d and ic from four comparisons against the DPF key */
    mpc_work(c, 0, 8 * (uint64_t)N, 16 * 4 * (uint64_t)N * (2 * (uint64_t)fss_dpf_levels(bt) + 1));
    if (!ph) {
        uint64_t mb = fss_mask(bt), H = (uint64_t)1 << (bt - 1);
        uint64_t *pt[4];
        uint8_t *lt[4];
        for (int q = 0; q < 4; q++) {
            pt[q] = xcalloc(N, 8);
            lt[q] = xcalloc(N, 1);
        }
        for (size_t i = 0; i < N; i++) {
            uint64_t y = xt[i] & mb, y3 = (y + 255) & mb;
            pt[0][i] = y;
            pt[1][i] = (y - H) & mb;
            pt[2][i] = y3;
            pt[3][i] = (y3 - 511) & mb;
        }
        fss_prg g;
        fss_prg_init(&g);
        for (int q = 0; q < 4; q++) fss_dpf_eval_lt(&g, lt[q], c->self, &k->dic, pt[q], N);
        fss_prg_free(&g);
        for (size_t i = 0; i < N; i++) {
            unsigned dv = lt[0][i] ^ lt[1][i] ^ k->cd[i], iv = lt[2][i] ^ lt[3][i] ^ k->cic[i];
            if (c->self == NET_P0) {
                dv ^= pt[0][i] < H;
                iv ^= pt[2][i] < 511;
            }
            ds[i] = dv & 1;
            ics[i] = iv & 1;
        }
        for (int q = 0; q < 4; q++) {
            free(pt[q]);
            free(lt[q]);
        }
    }
    fss_seg s2[2] = {{dh, ds, N, 1}, {ich, ics, N, 1}};
    fss_open_segs(c, s2, 2);
    /* 3. clip = min(|Xt|, 255) */
    mpc_work(c, N, 2 * (uint64_t)N, 0);
    if (!ph)
        for (size_t i = 0; i < N; i++) {
            size_t j = 4 * i + 2 * ich[i] + dh[i];
            cl[i] = (k->c1[j] * xt[i] + k->c0[j]) & fss_mask(GELU_CLIP_BITS);
        }
    fss_open(c, ch, cl, N, GELU_CLIP_BITS);
    /* 4. LUT of ReLU - GeLU (round 1 and local select) */
    uint64_t T[1 << GELU_CLIP_BITS];
    fss_gelu_table_kind(T, n, k->f, k->table);
    fss_lut_shares(c, ysh, &k->lut, T, ch, N);
    /* 5. ReLU by select, minus the LUT, one opening */
    fss_select_shares(c, rsh, &k->relu, dh, x_hat, N);
    if (!ph)
        for (size_t i = 0; i < N; i++) ysh[i] = (rsh[i] - ysh[i]) & fss_mask(n);
    if (open) fss_open(c, y_hat, ysh, N, n);
    else if (!ph) memcpy(y_hat, ysh, N * sizeof *ysh);
    free(xt), free(dh), free(ich), free(ds), free(ics), free(cl), free(ch), free(ysh), free(rsh);
}

void fss_gelu(mpc_ctx *c, uint64_t *y_hat, const fss_gelu_key *k, const uint64_t *x_hat, size_t N)
{
    gelu_impl(c, y_hat, k, x_hat, N, 1);
}

void fss_gelu_sh(mpc_ctx *c, uint64_t *y_sh, const fss_gelu_key *k, const uint64_t *x_hat, size_t N)
{
    gelu_impl(c, y_sh, k, x_hat, N, 0);
}

void fss_gelu_key_free(fss_gelu_key *k)
{
    fss_tr_key_free(&k->tr);
    fss_dpf_keys_free(&k->dic);
    free(k->cd), free(k->cic), free(k->c0), free(k->c1);
    k->cd = k->cic = NULL;
    k->c0 = k->c1 = NULL;
    fss_lut_key_free(&k->lut);
    fss_select_key_free(&k->relu);
}

/* fss_family.c -- the `fss` family's table and its dealer kinds. See fss_family.h for the protocol
 * and the costs. */
#include "fss_family.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/fx.h"
#include "../mpc_beaver.h"
#include "../mpc_tags.h"
#include "fss_bits.h"
#include "fss_keyio.h"

/* ---- dealer kinds ----
 * Shape words: s[0] = n | f << 8 | flag << 16 (flag: matmul's "Y is P0's weight"), and for the matmul
 * shift << 24 | K << 32 (the product times the public K, then TrFloor by shift bits), then
 *   relu, gelu, ltz, trunc: s[1] = N;  quad: s[1] = N, s[2..4] = a, b, c (double bits)
 *   softmax: s[1] = R, s[2] = L;  attn: + s[3] = kind (0 2Quad, 1 2ReLU), s[4] = 2Quad's c (double bits)
 *   layernorm: s[1] = R, s[2] = L, s[3] = eps (double bits);  batchnorm: s[1] = R, s[2] = L
 *   matmul: s[1] = B, s[2] = m, s[3] = k, s[4] = p. */
enum { K_RELU, K_GELU, K_QUAD, K_LTZ, K_TRUNC, K_SOFTMAX, K_ATTN, K_LN, K_MATMUL, K_BN, K_N };
#define FSS_MAX_ELEMS (1ull << 34)

typedef struct gkey {
    int kind;
    size_t B;
    union {
        fss_relu_key relu;
        fss_gelu_key gelu;
        fss_quad_key quad;
        fss_trfloor_key tf;
        fss_softmax_key sm;
        fss_attn_key attn;
        fss_layernorm_key ln;
        struct {
            fss_drelu_key dr;
            fss_select_key sel;
        } ltz;
        struct {
            fss_mul_key mul;
            fss_trfloor_key tf;
        } bn;
    } u;
    fss_matmul_key *mm; /* B keys (K_MATMUL; u.tf is its TrFloor) */
} gkey;

typedef struct gshape {
    int kind, n, f, wflag, shift;
    uint64_t K;
    uint64_t N, R, L, B, m, k, p, sub;
    double dv, qa, qb, qc;
    int ka; /* quad: a = 2^-ka */
    uint64_t nin, nout, nextra; /* opened inputs, outputs, P0's masked private inputs */
} gshape;

static double wdouble(uint64_t w)
{
    double d;
    memcpy(&d, &w, sizeof d);
    return d;
}

static uint64_t dword(double d)
{
    uint64_t w;
    memcpy(&w, &d, sizeof w);
    return w;
}

static int mul_ok(uint64_t a, uint64_t b, uint64_t *r)
{
    if (a == 0 || b == 0 || a > FSS_MAX_ELEMS || b > FSS_MAX_ELEMS || a * b > FSS_MAX_ELEMS) return 0;
    *r = a * b;
    return 1;
}

/* Decodes and checks a request's shape; NULL or a message. */
static const char *decode(int kind, const uint64_t *s, gshape *g)
{
    memset(g, 0, sizeof *g);
    g->kind = kind;
    g->n = (int)(s[0] & 0xff);
    g->f = (int)((s[0] >> 8) & 0xff);
    g->wflag = (int)((s[0] >> 16) & 1);
    g->shift = (int)((s[0] >> 24) & 0xff);
    g->K = s[0] >> 32;
    if (g->n < 16 || g->n > 64 || g->f < 7 || 2 * g->f + 4 > g->n) return "ring or fixed point out of range";
    switch (kind) {
    case K_RELU: case K_GELU: case K_QUAD: case K_LTZ: case K_TRUNC:
        g->N = s[1];
        if (g->N == 0 || g->N > FSS_MAX_ELEMS) return "bad element count";
        g->nin = g->nout = g->N;
        if (kind == K_QUAD) {
            g->qa = wdouble(s[2]), g->qb = wdouble(s[3]), g->qc = wdouble(s[4]);
            g->ka = fss_quad_ka(g->qa, g->f);
            if (g->ka < 0 || g->f + g->ka >= g->n - 2 || !(fabs(g->qb / (2 * g->qa)) < 1024) || !(fabs(g->qc) < 1024))
                return "bad Quad coefficients";
        }
        return NULL;
    case K_SOFTMAX: case K_ATTN: case K_LN: case K_BN:
        g->R = s[1], g->L = s[2];
        if (!mul_ok(g->R, g->L, &g->N)) return "bad rows x columns";
        g->nin = g->nout = g->N;
        if (kind == K_ATTN) {
            g->sub = s[3];
            g->dv = wdouble(s[4]);
            if (g->sub > 1 || !isfinite(g->dv)) return "bad attention kind";
        }
        if (kind == K_BN) g->nextra = g->L;
        if (kind == K_LN) {
            g->dv = wdouble(s[3]);
            g->nextra = 2 * g->L;
            if (!(g->dv > 0 && g->dv < 1)) return "bad epsilon";
        }
        return NULL;
    case K_MATMUL: {
        g->B = s[1], g->m = s[2], g->k = s[3], g->p = s[4];
        uint64_t a, b, c;
        if (!mul_ok(g->m, g->k, &a) || !mul_ok(g->k, g->p, &b) || !mul_ok(g->m, g->p, &c)) return "bad matrix shape";
        if (!mul_ok(g->B, a, &a) || !mul_ok(g->B, b, &b) || !mul_ok(g->B, c, &c)) return "bad batch";
        if (g->wflag && g->B != 1) return "a weight matmul has one batch";
        if (g->shift < 1 || g->shift >= g->n - 2 || g->K == 0) return "bad truncation";
        g->N = c;
        g->nin = a + (g->wflag ? 0 : b);
        g->nextra = g->wflag ? b : 0;
        g->nout = c;
        return NULL;
    }
    default: return "unknown kind";
    }
}

/* The gate's own cost (fss_*_cost): the masked-wire gate from its opened input to its opened output. */
static fss_cost gate_cost(const gshape *g)
{
    int n = g->n, f = g->f;
    switch (g->kind) {
    case K_RELU: return fss_relu_cost(n, g->N);
    case K_GELU: return fss_gelu_cost(n, f, n - f, g->N);
    case K_QUAD: return fss_quad_abc_cost(n, f, g->ka, g->N);
    case K_LTZ: return fss_relu_cost(n, g->N); /* DReLU + select: the same shapes */
    case K_TRUNC: return fss_trfloor_cost(n, f, g->N);
    case K_SOFTMAX: return fss_softmax_cost(n, f, g->R, g->L);
    case K_ATTN: return fss_attn_cost((int)g->sub, n, f, g->R, g->L);
    case K_LN: return fss_layernorm_cost(n, f, g->R, g->L);
    case K_BN: return fss_cost_add(fss_mul_cost(n, g->R, g->L, 2), fss_trfloor_cost(n, f, g->N));
    default: {
        fss_cost c = fss_matmul_cost(n, g->m, g->k, g->p);
        c.bytes = fss_packed_bytes(g->N, n); /* one opening of all B products */
        c.key_bytes *= g->B;
        return fss_cost_add(c, fss_trfloor_cost(n, g->shift, g->N));
    }
    }
}

/* Bits of the gate's last opening (skipped here), per output element. */
static int last_bits(const gshape *g) { return g->n; }

static const char *fss_sizes(int kind, const uint64_t *s, uint64_t bytes[2])
{
    gshape g;
    const char *why = decode(kind, s, &g);
    if (why) return why;
    fss_cost c = gate_cost(&g);
    bytes[0] = c.key_bytes + fss_packed_bytes(g.nout, g.n);
    bytes[1] = c.key_bytes;
    return NULL;
}

/* Key generation (fd = NULL: the shape only, for reading). r_in: nin masks (the matmul: X's then Y's);
 * r_x: P0's private-input masks (nextra); r_out: nout. */
static void keygen(fss_dealer *fd, const gshape *g, gkey *k0, gkey *k1, uint64_t *r_out, const uint64_t *r_in,
                   const uint64_t *r_x)
{
    int n = g->n, f = g->f;
    size_t N = (size_t)g->N;
    memset(k0, 0, sizeof *k0);
    memset(k1, 0, sizeof *k1);
    k0->kind = k1->kind = g->kind;
    switch (g->kind) {
    case K_RELU: fss_relu_keygen(fd, &k0->u.relu, &k1->u.relu, r_out, r_in, n, N); break;
    case K_GELU: fss_gelu_keygen(fd, &k0->u.gelu, &k1->u.gelu, r_out, r_in, n, f, n - f, N); break;
    case K_QUAD: fss_quad_abc_keygen(fd, &k0->u.quad, &k1->u.quad, r_out, r_in, n, f, g->qa, g->qb, g->qc, N); break;
    case K_TRUNC: fss_trfloor_keygen(fd, &k0->u.tf, &k1->u.tf, r_out, r_in, n, f, N); break;
    case K_SOFTMAX: fss_softmax_keygen(fd, &k0->u.sm, &k1->u.sm, r_out, r_in, n, f, g->R, g->L); break;
    case K_ATTN:
        fss_attn_keygen(fd, &k0->u.attn, &k1->u.attn, r_out, r_in, (int)g->sub, n, f, g->dv, g->R, g->L);
        break;
    case K_LN:
        fss_layernorm_keygen(fd, &k0->u.ln, &k1->u.ln, r_out, r_in, r_x, r_x ? r_x + g->L : NULL, n, f, g->dv, g->R,
                             g->L);
        break;
    case K_BN: {
        uint64_t *rz = fd ? chk_calloc(N, 8) : NULL;
        fss_mul_keygen(fd, &k0->u.bn.mul, &k1->u.bn.mul, rz, r_in, r_x, n, g->R, g->L, 2);
        fss_trfloor_keygen(fd, &k0->u.bn.tf, &k1->u.bn.tf, r_out, rz, n, f, N);
        free(rz);
        break;
    }
    case K_LTZ: {
        uint64_t *rd = fd ? chk_calloc(N, 8) : NULL, *zero = fd ? chk_calloc(N, 8) : NULL;
        fss_drelu_keygen(fd, &k0->u.ltz.dr, &k1->u.ltz.dr, rd, r_in, n, N);
        fss_select_keygen(fd, &k0->u.ltz.sel, &k1->u.ltz.sel, r_out, rd, zero, NULL, n, N);
        free(rd), free(zero);
        break;
    }
    default: {
        size_t B = g->B, a = g->m * g->k, b = g->k * g->p, c = g->m * g->p;
        k0->B = k1->B = B;
        k0->mm = chk_calloc(B, sizeof *k0->mm);
        k1->mm = chk_calloc(B, sizeof *k1->mm);
        uint64_t *rz = fd ? chk_calloc(B * c, 8) : NULL;
        for (size_t q = 0; q < B; q++) {
            const uint64_t *rx = fd ? r_in + q * a : NULL;
            const uint64_t *ry = fd ? (g->wflag ? r_x : r_in + B * a + q * b) : NULL;
            fss_matmul_keygen(fd, &k0->mm[q], &k1->mm[q], fd ? rz + q * c : NULL, rx, ry, n, g->m, g->k, g->p);
        }
        if (fd)
            for (size_t i = 0; i < B * c; i++) rz[i] = (rz[i] * g->K) & fss_mask(n);
        fss_trfloor_keygen(fd, &k0->u.tf, &k1->u.tf, r_out, rz, n, g->shift, B * c);
        free(rz);
        break;
    }
    }
}

static void kio(fss_keyio *io, gkey *k)
{
    switch (k->kind) {
    case K_RELU: fss_kio_relu(io, &k->u.relu); break;
    case K_GELU: fss_kio_gelu(io, &k->u.gelu); break;
    case K_QUAD: fss_kio_quad(io, &k->u.quad); break;
    case K_TRUNC: fss_kio_trfloor(io, &k->u.tf); break;
    case K_SOFTMAX: fss_kio_softmax(io, &k->u.sm); break;
    case K_ATTN: fss_kio_attn(io, &k->u.attn); break;
    case K_LN: fss_kio_layernorm(io, &k->u.ln); break;
    case K_BN:
        fss_kio_mul(io, &k->u.bn.mul);
        fss_kio_trfloor(io, &k->u.bn.tf);
        break;
    case K_LTZ:
        fss_kio_drelu(io, &k->u.ltz.dr);
        fss_kio_select(io, &k->u.ltz.sel);
        break;
    default:
        for (size_t q = 0; q < k->B; q++) fss_kio_matmul(io, &k->mm[q]);
        fss_kio_trfloor(io, &k->u.tf);
        break;
    }
}

static void key_free(gkey *k)
{
    switch (k->kind) {
    case K_RELU: fss_relu_key_free(&k->u.relu); break;
    case K_GELU: fss_gelu_key_free(&k->u.gelu); break;
    case K_QUAD: fss_quad_key_free(&k->u.quad); break;
    case K_TRUNC: fss_trfloor_key_free(&k->u.tf); break;
    case K_SOFTMAX: fss_softmax_key_free(&k->u.sm); break;
    case K_ATTN: fss_attn_key_free(&k->u.attn); break;
    case K_LN: fss_layernorm_key_free(&k->u.ln); break;
    case K_BN:
        fss_mul_key_free(&k->u.bn.mul);
        fss_trfloor_key_free(&k->u.bn.tf);
        break;
    case K_LTZ:
        fss_drelu_key_free(&k->u.ltz.dr);
        fss_select_key_free(&k->u.ltz.sel);
        break;
    default:
        for (size_t q = 0; q < k->B; q++) fss_matmul_key_free(&k->mm[q]);
        free(k->mm);
        k->mm = NULL;
        fss_trfloor_key_free(&k->u.tf);
        break;
    }
}

/* D's side: replays the parties' draws (input-mask shares, P0's private-input masks), generates the
 * two keys and writes them, P0's followed by r_out. */
static void fss_serve(int kind, dealer_ctx *d, const uint64_t *s, uint8_t *out[2])
{
    gshape g;
    CHECK(!decode(kind, s, &g), "fss dealer: bad shape"); /* sizes() refused it before */
    uint64_t mb = fss_mask(g.n);
    uint64_t *rin = chk_malloc((g.nin ? g.nin : 1) * 8), *t = chk_malloc((g.nin ? g.nin : 1) * 8);
    uint64_t *rx = g.nextra ? chk_malloc(g.nextra * 8) : NULL, *rout = chk_calloc(g.nout, 8);
    rng_fill_u64(&d->s[0], rin, g.nin);
    if (rx) rng_fill_u64(&d->s[0], rx, g.nextra);
    rng_fill_u64(&d->s[1], t, g.nin);
    for (uint64_t i = 0; i < g.nin; i++) rin[i] = (rin[i] + t[i]) & mb;
    for (uint64_t i = 0; i < g.nextra; i++) rx[i] &= mb;
    fss_dealer fd;
    fss_dealer_init(&fd, rng_u64(&d->local));
    fd.scratch = d->scratch;
    gkey k[2];
    /* the DPF arrays are generated where the written key will hold them (fss_keyio.h, PLACE) */
    keygen(NULL, &g, &k[0], &k[1], NULL, NULL, NULL);
    for (int p = 0; p < 2; p++) {
        fss_keyio io = {FSS_KIO_PLACE, out[p], 0, &fd, p};
        kio(&io, &k[p]);
        key_free(&k[p]);
    }
    keygen(&fd, &g, &k[0], &k[1], rout, rin, rx);
    for (int p = 0; p < 2; p++) {
        fss_keyio io = {FSS_KIO_WRITE, out[p], 0, NULL, 0};
        kio(&io, &k[p]);
        if (p == 0) fss_pack(out[0] + io.pos, rout, g.nout, g.n);
        key_free(&k[p]);
    }
    fss_dealer_free(&fd);
    free(rin), free(t), free(rx), free(rout);
}

#define KIND(K, NAME)                                                                                           \
    static const char *sizes_##K(const uint64_t s[DEALER_SHAPE_WORDS], uint64_t b[2]) { return fss_sizes(K, s, b); } \
    static void serve_##K(dealer_ctx *d, const uint64_t s[DEALER_SHAPE_WORDS], uint8_t *o[2]) { fss_serve(K, d, s, o); }
KIND(K_RELU, relu)
KIND(K_GELU, gelu)
KIND(K_QUAD, quad)
KIND(K_LTZ, ltz)
KIND(K_TRUNC, trunc)
KIND(K_SOFTMAX, softmax)
KIND(K_ATTN, attn)
KIND(K_LN, ln)
KIND(K_MATMUL, matmul)
KIND(K_BN, bn)
#undef KIND

#define ROW(K, NAME) {DEALER_KIND_FAMILY0 + K, NAME, DEALER_TO_P0 | DEALER_TO_P1, sizes_##K, serve_##K}
const dealer_kind_def fss_dealer_kinds[] = {
    ROW(K_RELU, "fss-relu"),       ROW(K_GELU, "fss-gelu"), ROW(K_QUAD, "fss-quad"),
    ROW(K_LTZ, "fss-ltz"),         ROW(K_TRUNC, "fss-trunc"), ROW(K_SOFTMAX, "fss-softmax"),
    ROW(K_ATTN, "fss-2quad-2relu"), ROW(K_LN, "fss-layernorm"), ROW(K_MATMUL, "fss-matmul"),
    ROW(K_BN, "fss-batchnorm"),
    {0, NULL, 0, NULL, NULL},
};
#undef ROW

/* ---- party side ---- */

static uint64_t shape0(const mpc_config *cfg, int wflag)
{
    return (uint64_t)cfg->ring_bits | (uint64_t)cfg->frac_bits << 8 | (uint64_t)wflag << 16;
}

/* The matmul's first shape word: a public scale k = 2^-j folds into the truncation (shift f + j,
 * K = 1); any other k multiplies the product by K = round(k 2^f) and truncates by 2f. */
static uint64_t mm_shape0(const mpc_config *cfg, int wflag, double scale)
{
    int f = cfg->frac_bits, e;
    double mant = frexp(scale, &e); /* scale = mant 2^e, mant in [0.5, 1) */
    uint64_t shift = (uint64_t)f, K = 1;
    if (scale != 1.0) {
        CHECK(scale > 0 && isfinite(scale), "fss: matmul scale %g", scale);
        if (mant == 0.5 && e <= 1 && f - (e - 1) < cfg->ring_bits - 2) shift = (uint64_t)(f - (e - 1));
        else {
            K = fx_encode(scale, f);
            CHECK(K >= 1 && K < ((uint64_t)1 << 31), "fss: matmul scale %g out of range", scale);
            shift = 2 * (uint64_t)f;
        }
    }
    return shape0(cfg, wflag) | shift << 24 | K << 32;
}

static void xsend(mpc_ctx *c, const void *buf, size_t n)
{
    if (n) mpc_send_bytes(c, 1 - c->self, c->phantom ? NULL : buf, n);
}

static void xrecv(mpc_ctx *c, void *buf, size_t n)
{
    if (n) mpc_recv_bytes(c, 1 - c->self, c->phantom ? NULL : buf, n);
}

/* Opens x + r (nin values of n bits) in one round; P0 also sends its nextra masked private inputs
 * px^ = px + rx (px NULL on P1) in the same round. xh: nin + nextra public values. */
static void open_in(mpc_ctx *c, uint64_t *xh, const uint64_t *x, const uint64_t *r, size_t nin, const uint64_t *px,
                    const uint64_t *rx, size_t nextra)
{
    int n = c->cfg->ring_bits, p0 = c->self == NET_P0;
    uint64_t mb = fss_mask(n);
    size_t b1 = fss_packed_bytes(nin, n), b2 = nextra ? fss_packed_bytes(nextra, n) : 0;
    mpc_work(c, 0, 2 * (b1 + b2) + 1, 0);
    uint8_t *mine = NULL, *theirs = NULL, *ext = NULL;
    uint64_t *sh = NULL;
    if (!c->phantom) {
        mine = chk_calloc(b1 + 1, 1);
        theirs = chk_calloc(b1 + 1, 1);
        sh = chk_malloc((nin + 1) * 8);
        for (size_t i = 0; i < nin; i++) sh[i] = (x[i] + r[i]) & mb;
        fss_pack(mine, sh, nin, n);
        if (nextra) {
            ext = chk_calloc(b2 + 1, 1);
            if (p0) {
                for (size_t i = 0; i < nextra; i++) xh[nin + i] = (px[i] + rx[i]) & mb;
                fss_pack(ext, xh + nin, nextra, n);
            }
        }
    }
    xsend(c, mine, b1);
    if (p0) xsend(c, ext, b2);
    xrecv(c, theirs, b1);
    if (!p0) xrecv(c, ext, b2);
    if (!c->phantom) {
        fss_unpack(xh, theirs, nin, n);
        for (size_t i = 0; i < nin; i++) xh[i] = (xh[i] + sh[i]) & mb;
        if (nextra && !p0) fss_unpack(xh + nin, ext, nextra, n);
    }
    free(mine), free(theirs), free(ext), free(sh);
}

/* One gate, steps 1-3 of fss_family.h: x (nin shares), px (P0's nextra plaintext ring values, NULL on
 * P1), y (nout shares out). */
typedef struct gate_run {
    gshape g;
    gkey k;
    uint64_t *xh;    /* opened inputs (nin + nextra) */
    uint8_t *mat;    /* this party's material */
    uint64_t keylen; /* bytes of the key in mat */
} gate_run;

static void gate_begin(mpc_ctx *c, gate_run *gr, int kind, const uint64_t *s, const uint64_t *x, const uint64_t *px)
{
    const char *why = decode(kind, s, &gr->g);
    CHECK(!why, "fss: gate shape: %s", why);
    const gshape *g = &gr->g;
    int ph = c->phantom, p0 = c->self == NET_P0;
    net_tag_push(c->net, MPC_TAG_FSS_RELU + kind);
    net_tag_push(c->net, MPC_TAG_FSS_OPEN);
    uint64_t bytes[2] = {0, 0};
    CHECK(!fss_sizes(kind, s, bytes), "fss: sizes");
    uint64_t *r = ph ? NULL : chk_malloc((g->nin + 1) * 8), *rx = NULL;
    dealer_draw(c, r, g->nin);
    if (p0 && g->nextra) {
        rx = ph ? NULL : chk_malloc(g->nextra * 8);
        dealer_draw(c, rx, g->nextra);
        if (rx)
            for (uint64_t i = 0; i < g->nextra; i++) rx[i] &= fss_mask(g->n);
    }
    if (r)
        for (uint64_t i = 0; i < g->nin; i++) r[i] &= fss_mask(g->n);
    gr->mat = ph ? NULL : (uint8_t *)mpc_tmp(c, bytes[c->self] / 8 + 1); /* reused pages (arena.h) */
    dealer_request(c, &fss_dealer_kinds[kind], s, gr->mat);
    gr->xh = ph ? NULL : chk_calloc(g->nin + g->nextra + 1, 8);
    open_in(c, gr->xh, x, r, (size_t)g->nin, px, rx, (size_t)g->nextra);
    dealer_collect(c);
    net_tag_pop(c->net, MPC_TAG_FSS_OPEN);
    net_tag_push(c->net, MPC_TAG_FSS_EVAL);
    free(r), free(rx);
    gkey other;
    keygen(NULL, g, &gr->k, &other, NULL, NULL, NULL);
    key_free(&other);
    gr->keylen = 0;
    if (!ph) {
        fss_keyio io = {FSS_KIO_READ, gr->mat, 0, NULL, 0};
        kio(&io, &gr->k);
        gr->keylen = io.pos;
    }
}

/* y (nout) = ysh - r_out on P0, ysh on P1; frees the run. */
static void gate_end(mpc_ctx *c, gate_run *gr, uint64_t *y, const uint64_t *ysh)
{
    const gshape *g = &gr->g;
    net_tag_pop(c->net, MPC_TAG_FSS_EVAL);
    net_tag_push(c->net, MPC_TAG_FSS_OUT);
    if (!c->phantom) {
        uint64_t mb = fss_mask(g->n);
        if (c->self == NET_P0) {
            uint64_t *ro = chk_malloc(g->nout * 8);
            fss_unpack(ro, gr->mat + gr->keylen, g->nout, g->n);
            for (uint64_t i = 0; i < g->nout; i++) y[i] = (ysh[i] - ro[i]) & mb;
            free(ro);
        } else
            for (uint64_t i = 0; i < g->nout; i++) y[i] = ysh[i] & mb;
    }
    mpc_work(c, 0, g->nout, 0);
    net_tag_pop(c->net, MPC_TAG_FSS_OUT);
    net_tag_pop(c->net, MPC_TAG_FSS_RELU + g->kind);
    key_free(&gr->k);
    free(gr->xh);
    mpc_tmp_free((uint64_t *)gr->mat);
}

/* A unary gate's shape: N, and for Quad its coefficients. */
static void unary_shape(const mpc_config *cfg, int kind, uint64_t N, uint64_t s[DEALER_SHAPE_WORDS])
{
    s[0] = shape0(cfg, 0), s[1] = N, s[2] = s[3] = s[4] = 0;
    if (kind == K_QUAD) s[2] = dword(cfg->quad_a), s[3] = dword(cfg->quad_b), s[4] = dword(cfg->quad_c);
}

static void unary(mpc_ctx *c, int kind, uint64_t *out, const uint64_t *x, size_t N, int table)
{
    uint64_t s[DEALER_SHAPE_WORDS];
    unary_shape(c->cfg, kind, N, s);
    gate_run gr;
    gate_begin(c, &gr, kind, s, x, NULL);
    uint64_t *ysh = c->phantom ? NULL : chk_calloc(N + 1, 8);
    switch (kind) {
    case K_RELU: fss_relu_sh(c, ysh, &gr.k.u.relu, gr.xh, N); break;
    case K_GELU:
        gr.k.u.gelu.table = table;
        fss_gelu_sh(c, ysh, &gr.k.u.gelu, gr.xh, N);
        break;
    case K_QUAD: fss_quad_sh(c, ysh, &gr.k.u.quad, gr.xh, N); break;
    case K_TRUNC: fss_trfloor_sh(c, ysh, &gr.k.u.tf, gr.xh, N); break;
    default: { /* K_LTZ: d = DReLU(x), shares of d * 1 */
        uint64_t *dh = c->phantom ? NULL : chk_calloc(N + 1, 8), *one = c->phantom ? NULL : chk_malloc((N + 1) * 8);
        fss_drelu(c, dh, &gr.k.u.ltz.dr, gr.xh, N);
        if (one)
            for (size_t i = 0; i < N; i++) one[i] = 1;
        fss_select_shares(c, ysh, &gr.k.u.ltz.sel, dh, one, N);
        free(dh), free(one);
        break;
    }
    }
    gate_end(c, &gr, out, ysh);
    free(ysh);
    if (kind == K_LTZ && !c->phantom) { /* 1{x < 0} = 1 - d */
        uint64_t mb = fss_mask(c->cfg->ring_bits);
        for (size_t i = 0; i < N; i++) out[i] = ((c->self == NET_P0 ? 1 : 0) - out[i]) & mb;
    }
}

static mpc_cost to_cost(uint64_t rounds, uint64_t s0, uint64_t s1, uint64_t k0, uint64_t k1)
{
    mpc_cost c = mpc_cost_times(mpc_cost_exchange_bytes(0), rounds);
    c.sent[0] = s0, c.sent[1] = s1;
    c.dealer_key_bytes[0] = k0, c.dealer_key_bytes[1] = k1;
    c.dealer_reqs = 1;
    return c;
}

/* The family cost of a gate of shape s (fss_family.h). */
static mpc_cost gate_mcost(int kind, const uint64_t *s)
{
    gshape g;
    const char *why = decode(kind, s, &g);
    CHECK(!why, "fss: cost shape: %s", why);
    fss_cost gc = gate_cost(&g);
    uint64_t in = fss_packed_bytes(g.nin, g.n), ext = g.nextra ? fss_packed_bytes(g.nextra, g.n) : 0;
    uint64_t on = gc.bytes + in - fss_packed_bytes(g.nout, last_bits(&g));
    uint64_t bytes[2] = {0, 0};
    fss_sizes(kind, s, bytes);
    return to_cost(gc.rounds, on + ext, on, bytes[0], bytes[1]);
}

static mpc_cost unary_cost(const mpc_config *cfg, int kind, uint64_t N)
{
    uint64_t s[DEALER_SHAPE_WORDS];
    unary_shape(cfg, kind, N, s);
    return gate_mcost(kind, s);
}

/* ---- the table's entries ---- */

static void f_gelu_erf(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n) { unary(c, K_GELU, out, x, n, FSS_GELU_ERF); }
static void f_gelu_tanh(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n) { unary(c, K_GELU, out, x, n, FSS_GELU_TANH); }
static void f_relu(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n) { unary(c, K_RELU, out, x, n, 0); }
static void f_quad(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n) { unary(c, K_QUAD, out, x, n, 0); }
static void f_ltz(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n) { unary(c, K_LTZ, out, x, n, 0); }
static void f_trunc(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n) { unary(c, K_TRUNC, out, x, n, 0); }
static mpc_cost c_gelu(const mpc_config *cfg, uint64_t n) { return unary_cost(cfg, K_GELU, n); }
static mpc_cost c_relu(const mpc_config *cfg, uint64_t n) { return unary_cost(cfg, K_RELU, n); }
static mpc_cost c_quad(const mpc_config *cfg, uint64_t n) { return unary_cost(cfg, K_QUAD, n); }
static mpc_cost c_ltz(const mpc_config *cfg, uint64_t n) { return unary_cost(cfg, K_LTZ, n); }
static mpc_cost c_trunc(const mpc_config *cfg, uint64_t n) { return unary_cost(cfg, K_TRUNC, n); }

/* Rows of a softmax-like gate. keymask (public, L entries, 0 = padded key): for softmax and 2ReLU, a
 * masked key gets -2^(n-4) (ring units) added on P0's share first, far below any score, so nExp (ReLU)
 * gives 0 (2ReLU then adds its ulp to every key, as the float model's eps/L); for 2Quad, a masked key's score is replaced
 * by the public -c (P0's share -c, P1's 0), so (x + c)^2 and its truncation are exactly 0, as the
 * plaintext model zeroes padded keys after squaring. Local, data-oblivious (the mask is public). */
static void rows(mpc_ctx *c, int kind, int sub, uint64_t *out, const uint64_t *x, const uint8_t *keymask, size_t R,
                 size_t L)
{
    uint64_t s[DEALER_SHAPE_WORDS] = {shape0(c->cfg, 0), R, L, (uint64_t)sub, dword(c->cfg->quad2_c)};
    int masked = 0;
    if (keymask)
        for (size_t j = 0; j < L; j++) masked |= !keymask[j];
    const uint64_t *xin = x;
    uint64_t *xm = NULL;
    if (masked && !c->phantom) {
        int p0 = c->self == NET_P0, n = c->cfg->ring_bits;
        xm = chk_malloc(R * L * 8);
        uint64_t big = (uint64_t)1 << (n - 4);
        uint64_t negc = (0 - ((uint64_t)(int64_t)llround(ldexp(c->cfg->quad2_c, c->cfg->frac_bits)))) & fss_mask(n);
        for (size_t i = 0; i < R * L; i++) {
            if (keymask[i % L]) xm[i] = x[i];
            else if (kind == K_ATTN && sub == 0) xm[i] = p0 ? negc : 0;
            else xm[i] = x[i] - (p0 ? big : 0);
        }
        xin = xm;
    }
    gate_run gr;
    gate_begin(c, &gr, kind, s, xin, NULL);
    uint64_t *ysh = c->phantom ? NULL : chk_calloc(R * L + 1, 8);
    if (kind == K_SOFTMAX) fss_softmax_sh(c, ysh, &gr.k.u.sm, gr.xh);
    else fss_attn_sh(c, ysh, &gr.k.u.attn, gr.xh);
    gate_end(c, &gr, out, ysh);
    free(ysh), free(xm);
}

static void f_softmax(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint8_t *km, size_t R, size_t L)
{
    rows(c, K_SOFTMAX, 0, out, x, km, R, L);
}
static void f_2quad(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint8_t *km, size_t R, size_t L)
{
    rows(c, K_ATTN, 0, out, x, km, R, L);
}
static void f_2relu(mpc_ctx *c, uint64_t *out, const uint64_t *x, const uint8_t *km, size_t R, size_t L)
{
    rows(c, K_ATTN, 1, out, x, km, R, L);
}
static mpc_cost rows_cost(const mpc_config *cfg, int kind, int sub, uint64_t R, uint64_t L)
{
    uint64_t s[DEALER_SHAPE_WORDS] = {shape0(cfg, 0), R, L, (uint64_t)sub, dword(cfg->quad2_c)};
    return gate_mcost(kind, s);
}
static mpc_cost c_softmax(const mpc_config *cfg, uint64_t R, uint64_t L) { return rows_cost(cfg, K_SOFTMAX, 0, R, L); }
static mpc_cost c_2quad(const mpc_config *cfg, uint64_t R, uint64_t L) { return rows_cost(cfg, K_ATTN, 0, R, L); }
static mpc_cost c_2relu(const mpc_config *cfg, uint64_t R, uint64_t L) { return rows_cost(cfg, K_ATTN, 1, R, L); }

/* tanh(x) = 2 softmax([x, -x])_0 - 1. */
static void f_tanh(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n)
{
    uint64_t *x2 = c->phantom ? NULL : chk_malloc(2 * n * 8), *y2 = c->phantom ? NULL : chk_malloc(2 * n * 8);
    if (x2)
        for (size_t i = 0; i < n; i++) x2[2 * i] = x[i], x2[2 * i + 1] = 0 - x[i];
    rows(c, K_SOFTMAX, 0, y2, x2, NULL, n, 2);
    if (!c->phantom) {
        uint64_t mb = fss_mask(c->cfg->ring_bits), one = (uint64_t)1 << c->cfg->frac_bits;
        for (size_t i = 0; i < n; i++) out[i] = (2 * y2[2 * i] - (c->self == NET_P0 ? one : 0)) & mb;
    }
    free(x2), free(y2);
}
static mpc_cost c_tanh(const mpc_config *cfg, uint64_t n) { return c_softmax(cfg, n, 2); }

static void f_layernorm(mpc_ctx *c, uint64_t *out, const uint64_t *x, const mpc_norm_params *p, size_t R, size_t H)
{
    uint64_t s[DEALER_SHAPE_WORDS] = {shape0(c->cfg, 0), R, H, dword(c->cfg->ln_eps), 0};
    int f = c->cfg->frac_bits, n = c->cfg->ring_bits;
    uint64_t *px = NULL;
    if (!c->phantom && c->self == NET_P0) {
        px = chk_malloc(2 * H * 8);
        for (size_t i = 0; i < H; i++) {
            px[i] = fx_encode(p->gamma[i], f) & fss_mask(n);
            px[H + i] = fx_encode(p->beta[i], f) & fss_mask(n);
        }
    }
    gate_run gr;
    gate_begin(c, &gr, K_LN, s, x, px);
    uint64_t *ysh = c->phantom ? NULL : chk_calloc(R * H + 1, 8);
    fss_layernorm_sh(c, ysh, &gr.k.u.ln, gr.xh, c->phantom ? NULL : gr.xh + R * H,
                     c->phantom ? NULL : gr.xh + R * H + H);
    gate_end(c, &gr, out, ysh);
    free(ysh), free(px);
}
/* eps enters as round(eps H 2^2f) added to the row's sum of squares at 2f bits (fss_norm.h) */
static double eps_layernorm(const mpc_config *cfg, uint64_t H) { return ldexp(1, -2 * cfg->frac_bits) / (double)H; }
static mpc_cost c_layernorm(const mpc_config *cfg, uint64_t R, uint64_t H)
{
    uint64_t s[DEALER_SHAPE_WORDS] = {shape0(cfg, 0), R, H, dword(cfg->ln_eps), 0};
    return gate_mcost(K_LN, s);
}

/* BatchNorm stand-in: y = x a + b per column, a = gamma / sqrt(var + eps), b = beta - mean a computed
 * by P0 from its plaintext running statistics (no MPC setup); a is P0's masked input, the product a
 * masked broadcast multiply (opened, n bits), TrFloor(n, f), and P0 adds b to its share. */
static void f_batchnorm(mpc_ctx *c, uint64_t *out, const uint64_t *x, const mpc_norm_params *p, size_t R, size_t H)
{
    uint64_t s[DEALER_SHAPE_WORDS] = {shape0(c->cfg, 0), R, H, 0, 0};
    int f = c->cfg->frac_bits, n = c->cfg->ring_bits, ph = c->phantom, p0 = c->self == NET_P0;
    uint64_t mb = fss_mask(n), *pa = NULL, *pb = NULL;
    if (!ph && p0) {
        pa = chk_malloc(H * 8);
        pb = chk_malloc(H * 8);
        for (size_t i = 0; i < H; i++) {
            double a = (double)p->gamma[i] / sqrt((double)p->var[i] + p->eps);
            pa[i] = fx_encode(a, f) & mb;
            pb[i] = fx_encode((double)p->beta[i] - (double)p->mean[i] * a, f) & mb;
        }
    }
    gate_run gr;
    gate_begin(c, &gr, K_BN, s, x, pa);
    uint64_t *zh = ph ? NULL : chk_calloc(R * H + 1, 8), *ysh = ph ? NULL : chk_calloc(R * H + 1, 8);
    fss_mul(c, zh, &gr.k.u.bn.mul, gr.xh, ph ? NULL : gr.xh + R * H);
    fss_trfloor_sh(c, ysh, &gr.k.u.bn.tf, zh, R * H);
    gate_end(c, &gr, out, ysh);
    if (!ph && p0)
        for (size_t i = 0; i < R * H; i++) out[i] = (out[i] + pb[i % H]) & mb;
    free(zh), free(ysh), free(pa), free(pb);
}
static mpc_cost c_batchnorm(const mpc_config *cfg, uint64_t R, uint64_t H)
{
    uint64_t s[DEALER_SHAPE_WORDS] = {shape0(cfg, 0), R, H, 0, 0};
    return gate_mcost(K_BN, s);
}

/* Masked matmul + TrFloor. X: B m k shares; Y: B k p shares (wflag 0) or P0's plaintext ring values
 * k p (wflag 1, NULL on P1); bias: P0's p ring values at scale f (NULL: none). */
static void mm(mpc_ctx *c, uint64_t *Z, const uint64_t *X, const uint64_t *Y, int wflag, const uint64_t *bias,
               size_t B, size_t m, size_t k, size_t p, double scale)
{
    uint64_t s[DEALER_SHAPE_WORDS] = {mm_shape0(c->cfg, wflag, scale), B, m, k, p};
    int ph = c->phantom, n = c->cfg->ring_bits, f = c->cfg->frac_bits;
    uint64_t mb = fss_mask(n);
    uint64_t *xy = NULL;
    if (!ph && !wflag) { /* X then Y, as the masks are drawn */
        xy = chk_malloc((B * m * k + B * k * p) * 8);
        memcpy(xy, X, B * m * k * 8);
        memcpy(xy + B * m * k, Y, B * k * p * 8);
    }
    gate_run gr;
    gate_begin(c, &gr, K_MATMUL, s, wflag ? X : xy, wflag ? Y : NULL);
    size_t N = B * m * p;
    uint64_t *zs = ph ? NULL : chk_calloc(N + 1, 8), *zh = ph ? NULL : chk_calloc(N + 1, 8);
    uint64_t *ysh = ph ? NULL : chk_calloc(N + 1, 8);
    for (size_t q = 0; q < B; q++) {
        const uint64_t *Xh = ph ? NULL : gr.xh + q * m * k;
        const uint64_t *Yh = ph ? NULL : gr.xh + B * m * k + q * k * p;
        fss_matmul_sh(c, ph ? NULL : zs + q * m * p, &gr.k.mm[q], Xh, Yh);
    }
    if (!ph && bias && c->self == NET_P0)
        for (size_t i = 0; i < N; i++) zs[i] = (zs[i] + (bias[i % p] << f)) & mb;
    if (!ph && gr.g.K != 1)
        for (size_t i = 0; i < N; i++) zs[i] = (zs[i] * gr.g.K) & mb;
    fss_open(c, zh, zs, N, n);
    fss_trfloor_sh(c, ysh, &gr.k.u.tf, zh, N);
    gate_end(c, &gr, Z, ysh);
    free(zs), free(zh), free(ysh), free(xy);
}

static mpc_cost mm_cost(const mpc_config *cfg, int wflag, uint64_t B, uint64_t m, uint64_t k, uint64_t p,
                        double scale)
{
    uint64_t s[DEALER_SHAPE_WORDS] = {mm_shape0(cfg, wflag, scale), B, m, k, p};
    return gate_mcost(K_MATMUL, s);
}

static void f_linear(mpc_ctx *c, uint64_t *y, const uint64_t *x, const float *W, const float *b, size_t T, size_t in,
                     size_t out)
{
    int f = c->cfg->frac_bits;
    uint64_t mb = fss_mask(c->cfg->ring_bits), *Wt = NULL, *bs = NULL;
    if (!c->phantom && c->self == NET_P0) {
        Wt = chk_malloc(in * out * 8);
        bs = chk_malloc(out * 8);
        for (size_t o = 0; o < out; o++) {
            for (size_t i = 0; i < in; i++) Wt[i * out + o] = fx_encode(W[o * in + i], f) & mb;
            bs[o] = b ? fx_encode(b[o], f) & mb : 0;
        }
    }
    mm(c, y, x, Wt, 1, bs, 1, T, in, out, 1.0);
    free(Wt), free(bs);
}
static mpc_cost c_linear(const mpc_config *cfg, uint64_t T, uint64_t in, uint64_t out)
{
    return mm_cost(cfg, 1, 1, T, in, out, 1.0);
}

static void f_matmul(mpc_ctx *c, uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t B, size_t m, size_t k,
                     size_t p)
{
    mm(c, Z, X, Y, 0, NULL, B, m, k, p, 1.0);
}
static void f_matmul_scaled(mpc_ctx *c, uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t B, size_t m,
                            size_t k, size_t p, double scale)
{
    mm(c, Z, X, Y, 0, NULL, B, m, k, p, scale);
}
static mpc_cost c_matmul_scaled(const mpc_config *cfg, uint64_t B, uint64_t m, uint64_t k, uint64_t p, double scale)
{
    return mm_cost(cfg, 0, B, m, k, p, scale);
}
static mpc_cost c_matmul(const mpc_config *cfg, uint64_t B, uint64_t m, uint64_t k, uint64_t p)
{
    return mm_cost(cfg, 0, B, m, k, p, 1.0);
}

/* z = x * round(k 2^f), then TrFloor(n, f). */
static void f_scale(mpc_ctx *c, uint64_t *z, const uint64_t *x, double k, size_t n)
{
    uint64_t K = fx_encode(k, c->cfg->frac_bits), *t = c->phantom ? NULL : chk_malloc((n + 1) * 8);
    mpc_work(c, n, 0, 0);
    if (t)
        for (size_t i = 0; i < n; i++) t[i] = x[i] * K;
    unary(c, K_TRUNC, z, t, n, 0);
    free(t);
}
static mpc_cost c_scale(const mpc_config *cfg, uint64_t n) { return unary_cost(cfg, K_TRUNC, n); }

/* Embedding: CrypTen's (one-hot of P1's tokens times P0's table by one Beaver matmul over Z_2^64),
 * reduced mod 2^n by the next gate. */
static void f_embed(mpc_ctx *c, uint64_t *h, const int *tokens, const float *table, const float *rows_, size_t T,
                    size_t V, size_t C)
{
    int f = c->cfg->frac_bits, real = !c->phantom, p0 = c->self == NET_P0;
    uint64_t *onehot = NULL, *oh = mpc_tmp(c, T * V), *enc = NULL, *tab = mpc_tmp(c, V * C);
    if (real && !p0) {
        onehot = chk_calloc(T * V, sizeof *onehot);
        for (size_t t = 0; t < T; t++) {
            CHECK(tokens[t] >= 0 && (size_t)tokens[t] < V, "token %d out of [0,%zu)", tokens[t], V);
            onehot[t * V + (size_t)tokens[t]] = fx_encode(1.0, f);
        }
    }
    mpc_share(c, oh, onehot, T * V, NET_P1);
    free(onehot);
    if (real && p0) {
        enc = chk_malloc(V * C * sizeof *enc);
        for (size_t i = 0; i < V * C; i++) enc[i] = fx_encode(table[i], f);
    }
    mpc_share_model(c, tab, enc, V * C);
    free(enc);
    mpc_matmul(c, h, oh, tab, 1, T, V, C, 1);
    mpc_tmp_free(oh), mpc_tmp_free(tab);
    mpc_work(c, 0, T * C, 0);
    if (real && p0)
        for (size_t i = 0; i < T * C; i++) h[i] += fx_encode(rows_[i], f);
}
static mpc_cost c_embed(const mpc_config *cfg, uint64_t T, uint64_t V, uint64_t C)
{
    return mpc_matmul_cost(1, T, V, C, 1);
}

/* Output to `to`: the other party sends its share (n bits packed, one way); the value is
 * sign-extended from n bits. */
static void f_reveal(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t n, int to)
{
    int b = c->cfg->ring_bits;
    size_t nb = fss_packed_bytes(n, b);
    uint8_t *buf = c->phantom ? NULL : chk_calloc(nb + 1, 1);
    mpc_work(c, 0, 2 * nb, 0);
    if (c->self != to) {
        if (buf) fss_pack(buf, x, n, b);
        xsend(c, buf, nb);
    } else {
        xrecv(c, buf, nb);
        if (buf) {
            fss_unpack(out, buf, n, b);
            for (size_t i = 0; i < n; i++) {
                uint64_t v = (out[i] + x[i]) & fss_mask(b);
                if (b < 64 && (v >> (b - 1)) & 1) v |= ~fss_mask(b);
                out[i] = v;
            }
        }
    }
    free(buf);
}
static mpc_cost c_reveal(const mpc_config *cfg, uint64_t n, int to)
{
    mpc_cost c = mpc_cost_zero();
    c.rounds = 1;
    c.sent[1 - to] = fss_packed_bytes(n, cfg->ring_bits);
    /* one-way: the receiver's label moves past the sender's */
    if (to == NET_P1) c.inl[1][0] = 1, c.inl[0][1] = MPC_MP_NEG;
    else c.inl[0][1] = 1, c.inl[1][0] = MPC_MP_NEG;
    return c;
}

static void fss_config_default_(mpc_config *cfg)
{
    mpc_config_default(cfg);
    snprintf(cfg->protocol, sizeof cfg->protocol, "%s", "fss");
    cfg->ring_bits = 50;
    cfg->frac_bits = 12;
}

static const char *fss_config_check_(const mpc_config *cfg)
{
    static char msg[200];
    if (fss_config_check(cfg->ring_bits, cfg->frac_bits, msg, sizeof msg) != 0) return msg;
    if (cfg->dealer_schedule != MPC_DEALER_OFFLINE)
        return "the fss family needs the offline dealer schedule (keys are preprocessing)";
    int ka = fss_quad_ka(cfg->quad_a, cfg->frac_bits);
    if (ka < 0 || cfg->frac_bits + ka >= cfg->ring_bits - 2)
        return "the fss family's Quad a x^2 + b x + c needs a = 2^-k (0 <= k <= frac bits; the power folds into a truncation)";
    if (!(fabs(cfg->quad_b / (2 * cfg->quad_a)) < 1024) || !(fabs(cfg->quad_c) < 1024))
        return "the fss family's Quad needs |b / 2a| and |c| below 1024";
    return NULL;
}

const mpc_family mpc_family_fss = {
    .name = "fss",
    .description = "SIGMA's function-secret-sharing gates: 2 parties + dealer keys to both, Z_2^50, f = 12",
    .config_default = fss_config_default_,
    .config_check = fss_config_check_,
    .dealer_kinds = fss_dealer_kinds,
    .linear = f_linear,
    .linear_cost = c_linear,
    .embed = f_embed,
    .embed_cost = c_embed,
    .matmul = f_matmul,
    .matmul_cost = c_matmul,
    .scale = f_scale,
    .scale_cost = c_scale,
    .matmul_scaled = f_matmul_scaled,
    .matmul_scaled_cost = c_matmul_scaled,
    .fused_qkv = 1,
    .activation = {
        [MPC_ACT_GELU_ERF] = {f_gelu_erf, c_gelu},
        [MPC_ACT_GELU_TANH] = {f_gelu_tanh, c_gelu},
        [MPC_ACT_RELU] = {f_relu, c_relu},
        [MPC_ACT_QUAD] = {f_quad, c_quad},
        [MPC_ACT_TANH] = {f_tanh, c_tanh},
    },
    .attn_norm = {
        [MPC_ATTN_SOFTMAX] = {f_softmax, c_softmax},
        [MPC_ATTN_2RELU] = {f_2relu, c_2relu},
        [MPC_ATTN_2QUAD] = {f_2quad, c_2quad},
    },
    .norm = {
        [MPC_NORM_LAYERNORM] = {f_layernorm, c_layernorm, NULL, eps_layernorm},
        [MPC_NORM_BATCHNORM] = {f_batchnorm, c_batchnorm, NULL, NULL},
    },
    .ltz = {f_ltz, c_ltz},
    .trunc = {f_trunc, c_trunc},
    .reveal = f_reveal,
    .reveal_cost = c_reveal,
};

/* fss_keyio.c -- key serialisation visitors (see fss_keyio.h). */
#include "fss_keyio.h"

#include <stdlib.h>
#include <string.h>

#include "../../common/chk.h"
#include "fss_bits.h"

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    CHECK(p != NULL, "fss_keyio: out of memory (%zu x %zu bytes)", n, sz);
    return p;
}

/* Keys travel in their in-memory form (fss_dpf.h): written with one copy, read as a view of the
 * received buffer (no copy; the buffer outlives the key). */
static void kio_dpf(fss_keyio *io, fss_dpf_keys *k, int n, size_t N)
{
    uint64_t kb = fss_dpf_key_bytes(n);
    uint8_t *at = io->buf ? io->buf + io->pos : NULL;
    if (io->mode == FSS_KIO_READ) fss_dpf_keys_view(k, n, N, at);
    else if (io->mode == FSS_KIO_PLACE) fss_dealer_slot_add(io->dealer, io->party, at, n, N);
    else if (io->mode == FSS_KIO_WRITE && k->raw != at) {
        CHECK(k->owned != FSS_DPF_PLACED, "fss_keyio: a DPF key was generated in another key's place");
        memcpy(at, k->raw, N * kb);
    }
    io->pos += N * kb;
}

static void kio_bits(fss_keyio *io, uint8_t **c, size_t N)
{
    size_t nb = fss_packed_bytes(N, 1);
    if (io->mode == FSS_KIO_READ || io->mode == FSS_KIO_WRITE) {
        if (io->mode == FSS_KIO_READ) *c = xcalloc(N, 1);
        uint64_t *v = xcalloc(N, 8);
        if (io->mode == FSS_KIO_WRITE) {
            for (size_t i = 0; i < N; i++) v[i] = (*c)[i];
            fss_pack(io->buf + io->pos, v, N, 1);
        } else {
            fss_unpack(v, io->buf + io->pos, N, 1);
            for (size_t i = 0; i < N; i++) (*c)[i] = (uint8_t)v[i];
        }
        free(v);
    }
    io->pos += nb;
}

static void kio_elems(fss_keyio *io, uint64_t **v, size_t N, int b)
{
    if (io->mode == FSS_KIO_READ) {
        *v = xcalloc(N, 8);
        fss_unpack(*v, io->buf + io->pos, N, b);
    } else if (io->mode == FSS_KIO_WRITE) {
        fss_pack(io->buf + io->pos, *v, N, b);
    }
    io->pos += fss_packed_bytes(N, b);
}

/* nv vectors of b-bit elements packed as one (ceil(sum len * b / 8) bytes, the bit string of their
 * concatenation): READ allocates each. */
static void kio_vecs(fss_keyio *io, int b, int nv, uint64_t **v[], const size_t len[])
{
    size_t tot = 0;
    for (int i = 0; i < nv; i++) tot += len[i];
    size_t nb = fss_packed_bytes(tot, b);
    fss_bitstream bs = {io->buf ? io->buf + io->pos : NULL, 0, nb, 0, 0};
    if (io->mode == FSS_KIO_READ) {
        for (int i = 0; i < nv; i++) {
            *v[i] = xcalloc(len[i], 8);
            fss_bs_get(&bs, *v[i], len[i], b);
        }
    } else if (io->mode == FSS_KIO_WRITE) {
        for (int i = 0; i < nv; i++) fss_bs_put(&bs, *v[i], len[i], b);
        fss_bs_flush(&bs);
    }
    io->pos += nb;
}

#define KIO_VECS(io, b, ...)                                                                                   \
    do {                                                                                                       \
        uint64_t **v_[] = {__VA_ARGS__};                                                                      \
        kio_vecs((io), (b), (int)(sizeof v_ / sizeof *v_), v_, len_);                                          \
    } while (0)

void fss_kio_drelu(fss_keyio *io, fss_drelu_key *k)
{
    kio_dpf(io, &k->dpf, k->b - 1, k->N);
    kio_bits(io, &k->c, k->N);
}

void fss_kio_select(fss_keyio *io, fss_select_key *k)
{
    /* three vectors packed as one: ceil(3 N b / 8) bytes */
    const size_t len_[] = {k->N, k->N, k->N};
    KIO_VECS(io, k->b, &k->rd, &k->k0, &k->k1);
}

void fss_kio_relu(fss_keyio *io, fss_relu_key *k)
{
    fss_kio_drelu(io, &k->drelu);
    fss_kio_select(io, &k->sel);
}

void fss_kio_tr(fss_keyio *io, fss_tr_key *k)
{
    int cmp = k->kind == FSS_TR_SEXT ? k->bin : k->s;
    size_t N = k->N;
    kio_dpf(io, &k->dpf, cmp, N);
    kio_bits(io, &k->c, N);
    /* corr (2N) and extra (N) packed as one vector */
    const size_t len_[] = {2 * N, N};
    if (k->kind == FSS_TR_SLACK) KIO_VECS(io, k->bout, &k->corr, &k->extra);
    else KIO_VECS(io, k->bout, &k->corr);
}

void fss_kio_trfloor(fss_keyio *io, fss_trfloor_key *k)
{
    fss_kio_tr(io, &k->red);
    fss_kio_tr(io, &k->sext);
}

void fss_kio_matmul(fss_keyio *io, fss_matmul_key *k)
{
    const size_t len_[] = {k->m * k->k, k->k * k->p, k->m * k->p};
    KIO_VECS(io, k->b, &k->rx, &k->ry, &k->rz);
}

void fss_kio_lut(fss_keyio *io, fss_lut_key *k)
{
    kio_dpf(io, &k->dpf, k->bin, k->N);
    kio_bits(io, &k->u, k->N);
    kio_elems(io, &k->v, k->N, k->bout);
    fss_kio_select(io, &k->sel);
}

void fss_kio_gelu(fss_keyio *io, fss_gelu_key *k)
{
    size_t N = k->N;
    int bt = k->bin - (k->f - 6) + 1;
    fss_kio_tr(io, &k->tr);
    kio_dpf(io, &k->dic, bt, N);
    /* d's and ic's mask bits as one 2N-bit vector */
    uint8_t *both = NULL;
    if (io->mode == FSS_KIO_WRITE) {
        both = xcalloc(2 * N, 1);
        memcpy(both, k->cd, N);
        memcpy(both + N, k->cic, N);
    }
    kio_bits(io, &both, 2 * N);
    if (io->mode == FSS_KIO_READ) {
        k->cd = xcalloc(N, 1);
        k->cic = xcalloc(N, 1);
        memcpy(k->cd, both, N);
        memcpy(k->cic, both + N, N);
    }
    free(both);
    const size_t len_[] = {4 * N, 4 * N};
    KIO_VECS(io, 8, &k->c0, &k->c1);
    fss_kio_lut(io, &k->lut);
    fss_kio_select(io, &k->relu);
}

void fss_kio_mul(fss_keyio *io, fss_mul_key *k)
{
    size_t N = k->R * k->L, ny = k->bcast == 1 ? k->R : k->bcast == 2 ? k->L : N;
    const size_t len_[] = {N, ny, N};
    KIO_VECS(io, k->b, &k->rx, &k->ry, &k->rz);
}

void fss_kio_square(fss_keyio *io, fss_square_key *k)
{
    const size_t len_[] = {k->N, k->N};
    KIO_VECS(io, k->b, &k->r, &k->c);
}

void fss_kio_max(fss_keyio *io, fss_max_key *k)
{
    for (int j = 0; j < k->levels; j++) {
        fss_kio_drelu(io, &k->drelu[j]);
        fss_kio_select(io, &k->sel[j]);
    }
}

void fss_kio_quad(fss_keyio *io, fss_quad_key *k)
{
    fss_kio_square(io, &k->sq);
    fss_kio_trfloor(io, &k->tr);
}

void fss_kio_clip(fss_keyio *io, fss_clip_key *k)
{
    size_t N = k->N;
    kio_dpf(io, &k->dpf, k->b, N);
    kio_bits(io, &k->c, N);
    const size_t len_[] = {2 * N, 2 * N};
    KIO_VECS(io, k->bout, &k->c0, &k->c1);
}

void fss_kio_nexp(fss_keyio *io, fss_nexp_key *k)
{
    fss_kio_clip(io, &k->clip);
    fss_kio_tr(io, &k->hi);
    fss_kio_lut(io, &k->lut_lo);
    fss_kio_lut(io, &k->lut_hi);
    fss_kio_mul(io, &k->mul);
    fss_kio_tr(io, &k->tr);
}

void fss_kio_inv(fss_keyio *io, fss_inv_key *k)
{
    fss_kio_tr(io, &k->tr);
    fss_kio_lut(io, &k->lut);
}

void fss_kio_softmax(fss_keyio *io, fss_softmax_key *k)
{
    fss_kio_max(io, &k->max);
    fss_kio_nexp(io, &k->nexp);
    fss_kio_inv(io, &k->inv);
    fss_kio_mul(io, &k->mul);
    fss_kio_tr(io, &k->tr);
}

void fss_kio_rsqrt(fss_keyio *io, fss_rsqrt_key *k)
{
    size_t N = k->N, T = (size_t)(k->n - 3) * N;
    kio_dpf(io, &k->dpf, k->n, N);
    kio_bits(io, &k->c, T);
    kio_elems(io, &k->e0, N, FSS_RSQRT_EBITS);
    kio_elems(io, &k->sh, 2 * T + 2 * N, k->n);
    fss_kio_tr(io, &k->tr);
    fss_kio_lut(io, &k->lr);
}

void fss_kio_layernorm(fss_keyio *io, fss_layernorm_key *k)
{
    size_t N = k->R * k->L;
    fss_kio_tr(io, &k->mu);
    const size_t len_[] = {N, k->R};
    KIO_VECS(io, k->n, &k->sr, &k->sc);
    fss_kio_rsqrt(io, &k->rs);
    fss_kio_mul(io, &k->m1);
    fss_kio_tr(io, &k->t1);
    fss_kio_mul(io, &k->m2);
    fss_kio_tr(io, &k->t2);
}

void fss_kio_attn(fss_keyio *io, fss_attn_key *k)
{
    if (k->kind) fss_kio_relu(io, &k->relu);
    else {
        fss_kio_square(io, &k->sq);
        fss_kio_trfloor(io, &k->tf);
    }
    fss_kio_rsqrt(io, &k->rc);
    fss_kio_mul(io, &k->mul);
    fss_kio_tr(io, &k->tr);
}

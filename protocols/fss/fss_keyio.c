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

void fss_kio_drelu(fss_keyio *io, fss_drelu_key *k)
{
    kio_dpf(io, &k->dpf, k->b - 1, k->N);
    kio_bits(io, &k->c, k->N);
}

void fss_kio_select(fss_keyio *io, fss_select_key *k)
{
    /* three vectors packed as one: ceil(3 N b / 8) bytes */
    size_t N = k->N;
    uint64_t *all = NULL;
    if (io->mode == FSS_KIO_WRITE) {
        all = xcalloc(3 * N, 8);
        memcpy(all, k->rd, N * 8);
        memcpy(all + N, k->k0, N * 8);
        memcpy(all + 2 * N, k->k1, N * 8);
    }
    kio_elems(io, &all, 3 * N, k->b);
    if (io->mode == FSS_KIO_READ) {
        k->rd = xcalloc(N, 8);
        k->k0 = xcalloc(N, 8);
        k->k1 = xcalloc(N, 8);
        memcpy(k->rd, all, N * 8);
        memcpy(k->k0, all + N, N * 8);
        memcpy(k->k1, all + 2 * N, N * 8);
    }
    free(all);
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
    size_t ne = k->kind == FSS_TR_SLACK ? 3 : 2;
    uint64_t *all = NULL;
    if (io->mode == FSS_KIO_WRITE) {
        all = xcalloc(ne * N, 8);
        memcpy(all, k->corr, 2 * N * 8);
        if (ne == 3) memcpy(all + 2 * N, k->extra, N * 8);
    }
    kio_elems(io, &all, ne * N, k->bout);
    if (io->mode == FSS_KIO_READ) {
        k->corr = xcalloc(2 * N, 8);
        memcpy(k->corr, all, 2 * N * 8);
        if (ne == 3) {
            k->extra = xcalloc(N, 8);
            memcpy(k->extra, all + 2 * N, N * 8);
        }
    }
    free(all);
}

void fss_kio_trfloor(fss_keyio *io, fss_trfloor_key *k)
{
    fss_kio_tr(io, &k->red);
    fss_kio_tr(io, &k->sext);
}

void fss_kio_matmul(fss_keyio *io, fss_matmul_key *k)
{
    size_t a = k->m * k->k, b = k->k * k->p, c = k->m * k->p;
    uint64_t *all = NULL;
    if (io->mode == FSS_KIO_WRITE) {
        all = xcalloc(a + b + c, 8);
        memcpy(all, k->rx, a * 8);
        memcpy(all + a, k->ry, b * 8);
        memcpy(all + a + b, k->rz, c * 8);
    }
    kio_elems(io, &all, a + b + c, k->b);
    if (io->mode == FSS_KIO_READ) {
        k->rx = xcalloc(a, 8);
        k->ry = xcalloc(b, 8);
        k->rz = xcalloc(c, 8);
        memcpy(k->rx, all, a * 8);
        memcpy(k->ry, all + a, b * 8);
        memcpy(k->rz, all + a + b, c * 8);
    }
    free(all);
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
    uint64_t *mux = NULL;
    if (io->mode == FSS_KIO_WRITE) {
        mux = xcalloc(8 * N, 8);
        memcpy(mux, k->c0, 4 * N * 8);
        memcpy(mux + 4 * N, k->c1, 4 * N * 8);
    }
    kio_elems(io, &mux, 8 * N, 8);
    if (io->mode == FSS_KIO_READ) {
        k->c0 = xcalloc(4 * N, 8);
        k->c1 = xcalloc(4 * N, 8);
        memcpy(k->c0, mux, 4 * N * 8);
        memcpy(k->c1, mux + 4 * N, 4 * N * 8);
    }
    free(mux);
    fss_kio_lut(io, &k->lut);
    fss_kio_select(io, &k->relu);
}

void fss_kio_mul(fss_keyio *io, fss_mul_key *k)
{
    size_t N = k->R * k->L, ny = k->bcast == 1 ? k->R : k->bcast == 2 ? k->L : N;
    uint64_t *all = NULL;
    if (io->mode == FSS_KIO_WRITE) {
        all = xcalloc(2 * N + ny, 8);
        memcpy(all, k->rx, N * 8);
        memcpy(all + N, k->ry, ny * 8);
        memcpy(all + N + ny, k->rz, N * 8);
    }
    kio_elems(io, &all, 2 * N + ny, k->b);
    if (io->mode == FSS_KIO_READ) {
        k->rx = xcalloc(N, 8);
        k->ry = xcalloc(ny, 8);
        k->rz = xcalloc(N, 8);
        memcpy(k->rx, all, N * 8);
        memcpy(k->ry, all + N, ny * 8);
        memcpy(k->rz, all + N + ny, N * 8);
    }
    free(all);
}

void fss_kio_square(fss_keyio *io, fss_square_key *k)
{
    size_t N = k->N;
    uint64_t *all = NULL;
    if (io->mode == FSS_KIO_WRITE) {
        all = xcalloc(2 * N, 8);
        memcpy(all, k->r, N * 8);
        memcpy(all + N, k->c, N * 8);
    }
    kio_elems(io, &all, 2 * N, k->b);
    if (io->mode == FSS_KIO_READ) {
        k->r = xcalloc(N, 8);
        k->c = xcalloc(N, 8);
        memcpy(k->r, all, N * 8);
        memcpy(k->c, all + N, N * 8);
    }
    free(all);
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
    uint64_t *all = NULL;
    if (io->mode == FSS_KIO_WRITE) {
        all = xcalloc(4 * N, 8);
        memcpy(all, k->c0, 2 * N * 8);
        memcpy(all + 2 * N, k->c1, 2 * N * 8);
    }
    kio_elems(io, &all, 4 * N, k->bout);
    if (io->mode == FSS_KIO_READ) {
        k->c0 = xcalloc(2 * N, 8);
        k->c1 = xcalloc(2 * N, 8);
        memcpy(k->c0, all, 2 * N * 8);
        memcpy(k->c1, all + 2 * N, 2 * N * 8);
    }
    free(all);
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
    uint64_t *all = NULL;
    if (io->mode == FSS_KIO_WRITE) {
        all = xcalloc(N + k->R, 8);
        memcpy(all, k->sr, N * 8);
        memcpy(all + N, k->sc, k->R * 8);
    }
    kio_elems(io, &all, N + k->R, k->n);
    if (io->mode == FSS_KIO_READ) {
        k->sr = xcalloc(N, 8);
        k->sc = xcalloc(k->R, 8);
        memcpy(k->sr, all, N * 8);
        memcpy(k->sc, all + N, k->R * 8);
    }
    free(all);
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

/* fss_keyio.h -- serialisation of the fss family's keys, so a dealer can send them and the key bytes
 * are counted from the bytes themselves: one visitor per key type walks its fields in a fixed order;
 * the same walk counts (FSS_KIO_COUNT), writes (FSS_KIO_WRITE) or reads (FSS_KIO_READ).
 *
 * Layout: DPF keys one after the other, each fss_dpf_key_bytes(n) bytes (fss_dpf_key_write); a vector
 * of N bits packed in ceil(N/8) bytes; a vector of N elements of b bits in ceil(N b / 8) bytes
 * (fss_bits.h). The count equals the gate's fss_*_cost().key_bytes (tests/test_fss_keyio.c).
 *
 * Reading: the receiver first builds the key's shape with the gate's keygen(NULL, ...) (phantom
 * keygen: parameters only), then reads into it; arrays are allocated by the read and freed by the
 * gate's key_free, except the DPF keys, which are views of buf (fss_dpf_keys_view): buf must outlive
 * the key. */
#ifndef FSS_KEYIO_H
#define FSS_KEYIO_H

#include <stddef.h>
#include <stdint.h>

#include "fss_norm.h"
#include "fss_softmax.h"

/* PLACE (on a shape-only key, before the dealer generates it): records in dealer the slots of
 * party's DPF arrays in buf, so they are generated in place (fss_dealer_dpf_alloc). */
enum { FSS_KIO_COUNT = 0, FSS_KIO_WRITE = 1, FSS_KIO_READ = 2, FSS_KIO_PLACE = 3 };

typedef struct fss_keyio {
    int mode;
    uint8_t *buf;  /* WRITE, PLACE: at least the counted bytes; READ: the bytes; COUNT: unused */
    uint64_t pos;  /* bytes so far */
    fss_dealer *dealer; /* PLACE */
    int party;          /* PLACE */
} fss_keyio;

void fss_kio_drelu(fss_keyio *io, fss_drelu_key *k);
void fss_kio_select(fss_keyio *io, fss_select_key *k);
void fss_kio_relu(fss_keyio *io, fss_relu_key *k);
void fss_kio_tr(fss_keyio *io, fss_tr_key *k);
void fss_kio_trfloor(fss_keyio *io, fss_trfloor_key *k);
void fss_kio_matmul(fss_keyio *io, fss_matmul_key *k);
void fss_kio_lut(fss_keyio *io, fss_lut_key *k);
void fss_kio_gelu(fss_keyio *io, fss_gelu_key *k);
void fss_kio_mul(fss_keyio *io, fss_mul_key *k);
void fss_kio_square(fss_keyio *io, fss_square_key *k);
void fss_kio_max(fss_keyio *io, fss_max_key *k);
void fss_kio_quad(fss_keyio *io, fss_quad_key *k);
void fss_kio_clip(fss_keyio *io, fss_clip_key *k);
void fss_kio_nexp(fss_keyio *io, fss_nexp_key *k);
void fss_kio_inv(fss_keyio *io, fss_inv_key *k);
void fss_kio_softmax(fss_keyio *io, fss_softmax_key *k);
void fss_kio_rsqrt(fss_keyio *io, fss_rsqrt_key *k);
void fss_kio_layernorm(fss_keyio *io, fss_layernorm_key *k);
void fss_kio_attn(fss_keyio *io, fss_attn_key *k);

#endif

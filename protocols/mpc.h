/* mpc.h -- 2-party additive secret sharing over Z_2^64 with a dealer: context, configuration,
 * shares, openings, local ops, truncation and the plaintext ring kernels. Beaver multiplication,
 * matrix multiplication, square and binary AND (the ops that consume dealer material) are in
 * mpc_beaver.h, above the dealer: mpc <- dealer <- mpc_beaver. The higher ops (comparisons, exp,
 * reciprocal, softmax, ...) build on these.
 *
 * Conventions (PROTOCOLS.md is the spec):
 *  - Shares are caller-allocated uint64_t arrays. Argument order: ctx, outputs, inputs, sizes.
 *    Outputs may alias inputs unless a function says otherwise.
 *  - Every op is vectorised: one call on n elements costs one batched exchange per protocol step.
 *  - Scale: ops on fixed-point values (scale 2^f) take/return scale 2^f; comparison results, bits
 *    and masks have scale 1. mpc_mul's `trunc` flag is 1 exactly when both operands have scale 2^f.
 *  - Phantom mode (ctx->phantom): the same messages (sizes, order, tags) flow, no arithmetic is done
 *    and share buffers are never read or written: callers may pass NULL.
 *  - Both parties call every op in the same order with the same public sizes; the dealer serves
 *    the correlated randomness through dealer_* (dealer.h). Message sizes and order never depend
 *    on secret values.
 *  - Costs are given per op as: rounds; bytes sent per party (online, P0<->P1); dealer bytes
 *    (correction words D->P0, 8 bytes each, plus one DEALER_REQ_BYTES request P0->D per
 *    correlation). Receivers get what the other party sends.
 */
#ifndef MPC_H
#define MPC_H

#include <stddef.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/chk.h"
#include "../common/rng.h"
#include "../net/net.h"

/* ---- configuration (CrypTen defaults) ---- */

enum { MPC_DEALER_OFFLINE = 0, MPC_DEALER_INLINE = 1 };
enum { MPC_MAX_CRYPTEN = 0, MPC_MAX_NOARGMAX = 1 };
/* Truncation (mpc_trunc_safe.h): local (2.3, CrypTen's 2-party default; wraps w.p. ~|x|/2^64) or
 * safe (dealer-assisted, exact to 1 ulp, no wrap for |x| < 2^62; one more round per truncation). */
enum { MPC_TRUNC_LOCAL = 0, MPC_TRUNC_SAFE = 1 };
/* The row-sum reciprocal of 2Quad and 2ReLU: CrypTen's sign variant of sum/K, or the range-normalised
 * one (mpc_reciprocal_wide, no K; needs f >= 16), which trained models' wide row sums need. */
enum { MPC_RECIP_CRYPTEN = 0, MPC_RECIP_WIDE = 1 };

enum { MPC_PROTOCOL_NAME_MAX = 24 };

typedef struct mpc_config {
    char protocol[MPC_PROTOCOL_NAME_MAX]; /* the protocol family (family.h) by name: "crypten" */
    int ring_bits;            /* n: shares live in Z_2^n (64; a family may support smaller rings) */
    int frac_bits;            /* f: fractional bits of the fixed-point encoding (16) */
    int exp_iters;            /* exp: (1 + x/2^d)^(2^d), d = 8 */
    int recip_nr_iters;       /* reciprocal Newton-Raphson iterations (10) */
    double recip_init_mul;    /* initial guess 3*exp(1-2x)+0.003: the 3 */
    double recip_init_add;    /*                                   the 0.003 */
    int sqrt_nr_iters;        /* inv_sqrt Newton-Raphson iterations (3) */
    int erf_iters;            /* erf Taylor terms (8) */
    int sigmoid_recip_iters;  /* sigmoid's reciprocal: 3 NR iterations, all-positive */
    double sigmoid_recip_init;/*                       initial value 0.75 */
    int max_method;           /* MPC_MAX_CRYPTEN (log reduction + argmax) or MPC_MAX_NOARGMAX */
    double quad_a, quad_b, quad_c; /* Quad: a x^2 + b x + c (benchmark form 0.125, 0.5, 0.25) */
    double quad2_c;           /* 2Quad: (x + c)^2, c = 5 */
    /* Public K per call site so that the reciprocal sees S/K inside its domain (4.2); the result is
     * num * reciprocal(S/K) / K. 0 = automatic, a power of two from the row length L (mpc_nn.h). */
    double softmax_recip_scale;
    double quad2_recip_scale;
    double relu2_recip_scale;
    double ln_eps;            /* LayerNorm epsilon; >= 2^-f to survive encoding (4.7) */
    int ln_rsqrt_shift;       /* LayerNorm rescale k so that the variance meets inv_sqrt's window (4.3):
                               * k > 0 divides v by 4^k (inv_sqrt(v/4^k)/2^k); k < 0 scales the centred
                               * input by 2^|k| before squaring (v*4^|k|, precision kept). Local. */
    int dealer_schedule;      /* MPC_DEALER_OFFLINE or MPC_DEALER_INLINE */
    int trunc;                /* MPC_TRUNC_LOCAL (default) or MPC_TRUNC_SAFE: mpc_trunc, mpc_div_int and
                               * mpc_mul_const divide through mpc_trunc_div (mpc_trunc_safe.h) */
    int attn_recip;           /* MPC_RECIP_CRYPTEN (default) or MPC_RECIP_WIDE: 2Quad's and 2ReLU's reciprocal */
    int embed_chunks;         /* the embedding's product in K Beaver matmuls over vocabulary slices of
                               * V/K rows (the last takes the rest), summed: 1 (default) or MPCFormer's
                               * benchmark's 250 (PAPER.md 6.2). Same bytes, K - 1 more rounds. */
} mpc_config;

/* CrypTen's defaults, protocol "crypten". A family's own defaults: mpc_family.config_default. */
void mpc_config_default(mpc_config *cfg);

/* ---- context ---- */

enum { MPC_DEALER_SEED_BYTES = 32, MPC_PAIR_SEED_BYTES = 32 };

typedef struct mpc_ctx {
    net_party *net;            /* borrowed; may be swapped between simulation phases */
    const mpc_config *cfg;     /* borrowed */
    int self;                  /* NET_P0 or NET_P1 */
    int phantom;
    rng pair;                  /* common stream shared with the other party (zero-sharing) */
    rng dealer;                /* this party's dealer stream (seed from D) */
    rng local;                 /* private randomness */
    uint64_t ncorr;            /* correlations consumed so far */
    void *corr;                /* offline schedule: where dealer_collect puts this party's pending material */
    size_t ncorr_bytes;        /* its length in bytes */
    int corr_pending;          /* a request's material is still to be read */
    struct mpc_audit *audit;   /* simulation-only measurement oracle (mpc_audit.h); NULL = off */
    arena *scratch;            /* borrowed: where mpc_tmp takes its buffers (NULL: malloc per buffer).
                                * The party's runner creates one per party and sets it after init,
                                * so ops reuse mapped pages instead of faulting fresh ones per op. */
    int scratch_probe;         /* phantom mode with a scratch arena: mpc_tmp still takes (untouched)
                                * blocks from it, so that a phantom run grows the arena as the real run
                                * will, and a party's setup can prefault it (arena_prefault) */
    uint64_t pair_bytes;       /* bytes drawn from `pair` so far (counted in phantom mode too) */
    uint64_t dealer_bytes;     /* bytes drawn from `dealer` so far (dealer_draw; phantom mode too) */
    struct mpc_wcache *wcache; /* borrowed: the model shares' zero-sharings drawn in setup (mpc_wcache.h);
                                * NULL = drawn when the ops share the model */
} mpc_ctx;

/* Initialises the non-network part. seed feeds only this party's private randomness. */
void mpc_ctx_init(mpc_ctx *c, net_party *net, const mpc_config *cfg, int phantom, uint64_t seed);
/* As mpc_ctx_init, the private randomness keyed by 32 secret bytes (a real deployment passes bytes
 * from the OS CSPRNG: then nothing this party draws, its pairwise seed included, follows from any
 * public value). */
void mpc_ctx_init_key(mpc_ctx *c, net_party *net, const mpc_config *cfg, int phantom, const uint8_t key[32]);
/* Setup phase: P0 and P1 each send the other a 32-byte random seed and derive the common stream
 * key = BLAKE2b(seed_P0 || seed_P1); D sends each party its 32-byte dealer seed (dealer_setup).
 * Cost: 1 round; 32 B sent per party to the other; 32 B D->P0 and D->P1. Setup, not online. */
int mpc_setup(mpc_ctx *c) WUR;

/* Scratch buffer of n words for the op in progress; NULL in phantom mode (unless scratch_probe). Free with mpc_tmp_free
 * (any order; the memory is reused once every later buffer is freed too: arena.h). From c->scratch
 * when set, else from malloc. Uninitialised. */
uint64_t *mpc_tmp(const mpc_ctx *c, size_t n);
void mpc_tmp_free(uint64_t *p);

/* Fatal on transport failure: protocol code is straight-line; an I/O error aborts the party with a
 * clear message (the TCP driver turns it into an exit code). */
void mpc_send(mpc_ctx *c, int peer, const uint64_t *buf, size_t nwords);
void mpc_recv(mpc_ctx *c, int peer, uint64_t *buf, size_t nwords);
/* Sends v (n words) to the other party and receives its n words into w: one round. */
void mpc_exchange(mpc_ctx *c, uint64_t *w, const uint64_t *v, size_t n);
/* The same with byte-sized messages (bit-packed values, keys): any length, not only whole words. */
void mpc_send_bytes(mpc_ctx *c, int peer, const void *buf, size_t nbytes);
void mpc_recv_bytes(mpc_ctx *c, int peer, void *buf, size_t nbytes);
void mpc_exchange_bytes(mpc_ctx *c, void *w, const void *v, size_t nbytes);
/* Receiving in place (net_recv_lend, net.h): the n words from peer as a read-only view, valid until
 * mpc_loan_return; NULL in phantom mode. fallback: n words of the caller's (mpc_tmp) that hold the
 * message where the transport cannot lend it (TCP). Same messages and counts as mpc_recv; on the
 * simulator one copy of 8n bytes fewer. Hold at most one loan per peer. */
const uint64_t *mpc_recv_lend(mpc_ctx *c, net_loan *l, int peer, uint64_t *fallback, size_t n);
/* mpc_exchange with the other party's words lent. */
const uint64_t *mpc_exchange_lend(mpc_ctx *c, net_loan *l, uint64_t *fallback, const uint64_t *v, size_t n);
void mpc_loan_return(mpc_ctx *c, net_loan *l); /* phantom-mode loans (NULL view) are returned too */
/* An exchange whose sent half is written where the transport sends it from (net_send_open, net.h):
 * mpc_send_open returns where to write the n words for the other party (the simulator's message
 * storage, else `fallback`, n words of the caller's; NULL in phantom mode); mpc_exchange_sent_lend
 * sends them and lends the other party's n words (as mpc_exchange_lend); the written words stay
 * readable, not writable, until mpc_send_release. Same messages and counts as mpc_exchange; on the
 * simulator one copy of 8n bytes fewer. */
uint64_t *mpc_send_open(mpc_ctx *c, net_sendbuf *s, uint64_t *fallback, size_t n);
const uint64_t *mpc_exchange_sent_lend(mpc_ctx *c, net_sendbuf *s, net_loan *l, uint64_t *fallback, size_t n);
void mpc_send_release(mpc_ctx *c, net_sendbuf *s);
/* Fused openings: send v, out = v + (the other party's n words), or XOR, in one pass over the lent
 * payload (out may alias v). Messages, counts and compute charge as mpc_exchange; no mpc_work here. */
void mpc_exchange_add(mpc_ctx *c, uint64_t *out, const uint64_t *v, size_t n);
void mpc_exchange_xor(mpc_ctx *c, uint64_t *out, const uint64_t *v, size_t n);

/* Bit packing of b-bit values (1 <= b <= 64) for the wire: N values take ceil(N*b/8) bytes, value i
 * at bits [i*b, (i+1)*b) of the little-endian byte string; pack keeps the low b bits of each value,
 * unpack zero-extends. Padding bits of the last byte are 0. */
size_t mpc_packed_bytes(size_t n, int b);
void mpc_pack_bits(uint8_t *out, const uint64_t *v, size_t n, int b);
void mpc_unpack_bits(uint64_t *v, const uint8_t *in, size_t n, int b);

/* Charges local work to the compute model. */
void mpc_work(mpc_ctx *c, uint64_t ring_macs, uint64_t elem_ops, uint64_t prg_bytes);

/* ---- sharing and opening (no dealer) ---- */

/* Secret-shares owner's plaintext ring values x (read only on the owner; ignored elsewhere) with a
 * fresh zero-sharing: [x]_owner = x + u, [x]_other = -u. Cost: 0 rounds, 0 bytes. */
void mpc_share(mpc_ctx *c, uint64_t *x_sh, const uint64_t *x, size_t n, int owner);
/* Model-setup sharing of P0's weights: as mpc_share with owner P0, but its PRG work is not charged
 * to the compute model (CrypTen shares the model once, when it is encrypted, not per inference). */
void mpc_share_model(mpc_ctx *c, uint64_t *x_sh, const uint64_t *x, size_t n);
/* Binary (XOR) version: <x>_owner = x ^ u, <x>_other = u. */
void mpc_share_bin(mpc_ctx *c, uint64_t *x_sh, const uint64_t *x, size_t n, int owner);
/* Zero-sharings: [0] and <0> of n words. */
void mpc_przs(mpc_ctx *c, uint64_t *z, size_t n);
void mpc_przs_bin(mpc_ctx *c, uint64_t *z, size_t n);

/* Opens to both: out = x. Cost: 1 round; 8n B sent per party. */
void mpc_open(mpc_ctx *c, uint64_t *out, const uint64_t *x_sh, size_t n);
/* Opens binary shares to both: out = XOR of shares. Cost: as mpc_open. */
void mpc_open_bin(mpc_ctx *c, uint64_t *out, const uint64_t *x_sh, size_t n);
/* Reveals to party `to` only (out written there). Cost: 1 round; 8n B sent by the other party. */
void mpc_reveal_to(mpc_ctx *c, uint64_t *out, const uint64_t *x_sh, size_t n, int to);

/* ---- local (public) operations: no messages ---- */

void mpc_add(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n);
void mpc_sub(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n);
void mpc_neg(mpc_ctx *c, uint64_t *z, const uint64_t *x, size_t n);
/* z = x + k for a public ring constant k (P0 adds). */
void mpc_add_const(mpc_ctx *c, uint64_t *z, const uint64_t *x, uint64_t k, size_t n);
/* z = k - x. */
void mpc_rsub_const(mpc_ctx *c, uint64_t *z, uint64_t k, const uint64_t *x, size_t n);
/* z = x * k for a public integer k (no truncation). */
void mpc_mul_int(mpc_ctx *c, uint64_t *z, const uint64_t *x, int64_t k, size_t n);
/* z = x / d, d > 0 public integer: each party divides its signed share (2.3). Here and in mpc_trunc
 * and mpc_mul_const, cfg->trunc = MPC_TRUNC_SAFE runs the safe truncation instead (mpc_trunc_safe.h:
 * +1 round, +8n B per party, +16n dealer B each), also inside mpc_mul, mpc_matmul and mpc_square; the
 * costs stated in this file are those of MPC_TRUNC_LOCAL. These three are defined in mpc_trunc_safe.c,
 * above dealer.h (the safe truncation consumes dealer material); mpc.c does not depend on them. */
void mpc_div_int(mpc_ctx *c, uint64_t *z, const uint64_t *x, int64_t d, size_t n);
/* z = trunc(x * encode(k)) / 2^f: multiply by a public real. */
void mpc_mul_const(mpc_ctx *c, uint64_t *z, const uint64_t *x, double k, size_t n);
/* z = x / 2^f (local truncation after a product of two fixed-point values). */
void mpc_trunc(mpc_ctx *c, uint64_t *z, const uint64_t *x, size_t n);
/* Lifts scale-1 values to scale 2^f: z = x << f (local, exact). */
void mpc_lift(mpc_ctx *c, uint64_t *z, const uint64_t *x, size_t n);
/* Sums each row of an R x L matrix: out[r] = sum_j x[r*L+j] (local). */
void mpc_rowsum(mpc_ctx *c, uint64_t *out, const uint64_t *x, size_t R, size_t L);

/* ---- broadcast shapes (Beaver multiplication is in mpc_beaver.h) ---- */

/* Broadcast of the second operand y against x of shape R x L. */
typedef enum mpc_bcast {
    MPC_BC_NONE = 0, /* y is R x L */
    MPC_BC_ROW = 1,  /* y is R x 1: one value per row (softmax's 1/sum) */
    MPC_BC_COL = 2,  /* y is 1 x L: one value per column (per-feature gamma) */
} mpc_bcast;

size_t mpc_bcast_len(mpc_bcast bc, size_t R, size_t L);

/* Local binary ops: XOR of shares, AND with a public mask, XOR with a public word (P0), shifts. */
void mpc_xor(mpc_ctx *c, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t n);
void mpc_and_const(mpc_ctx *c, uint64_t *z, const uint64_t *x, uint64_t mask, size_t n);
void mpc_xor_const(mpc_ctx *c, uint64_t *z, const uint64_t *x, uint64_t k, size_t n);


/* Plaintext ring kernels (also used by the dealer), mpc_ring.c: the naive reference, and the fast one
 * (register-blocked AVX-512, AVX2 or portable, picked at run time by the CPU). */
void mpc_ring_matmul_naive(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t m, size_t k, size_t p);
void mpc_ring_matmul(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t m, size_t k, size_t p);
/* Z += X @ Y (the same kernel without clearing Z; on all kernel threads, par.h). */
void mpc_ring_matmul_acc(uint64_t *Z, const uint64_t *X, const uint64_t *Y, size_t m, size_t k, size_t p);
/* Z += (X + X1) @ (Y + Y1 + Y2) mod 2^64; X1, Y1, Y2 may be NULL (absent). The same words as
 * summing first; the AMX kernel adds the parts while it packs the operands (no sum written out). */
void mpc_ring_matmul_acc_sum(uint64_t *Z, const uint64_t *X, const uint64_t *X1, const uint64_t *Y, const uint64_t *Y1,
                             const uint64_t *Y2, size_t m, size_t k, size_t p);

#endif

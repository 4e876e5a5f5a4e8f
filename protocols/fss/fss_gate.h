/* fss_gate.h -- the fss family's gates on masked wires (SIGMA, Gupta et al. PoPETs 2024; FSS.md 3).
 *
 * Masked wires. A secret value x of the ring Z_2^b carries a dealer mask r: both parties hold the
 * public x^ = x + r mod 2^b. A gate's key gives each party what it needs about r (DPF keys, additive
 * shares of ring elements, XOR shares of bits); the dealer picks the output mask r_out and keeps it for
 * the next gate's key. A gate evaluates its key locally on x^ and opens y^ = y + r_out.
 *
 * Conventions.
 *  - Keys go to BOTH parties (dealer bytes per direction = the key bytes below, per party). Key types
 *    are structs of arrays, one entry per element; keygen functions are the dealer's (fss_dealer), and
 *    they take the input masks and return the output masks they drew.
 *  - Openings are bit-packed: a message of N values of b bits is ceil(N*b/8) bytes, one message each
 *    way per round (both parties send, then receive). Several vectors opened in one round go in one
 *    message, packed one after the other (bytes = ceil(total bits / 8)).
 *  - "bits" below: online bits sent per element per party; bytes are exact for a batch of N.
 *  - Phantom mode (ctx->phantom): the same messages, no arithmetic; keys and value buffers may be NULL;
 *    key bytes are counted by the *_cost functions, never materialised.
 *  - Values are uint64_t reduced to the low b bits; a signed value is its two's complement in b bits.
 *  - Additive shares of an element: P0 holds v0 (uniform), P1 holds v - v0; XOR shares of a bit alike.
 *  - Gates create their own AES context per call (fss_prg.h), so keys and contexts stay per party. */
#ifndef FSS_GATE_H
#define FSS_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "../../common/rng.h"
#include "../mpc.h"
#include "fss_dpf.h"
#include "fss_prg.h"

/* ---- dealer, costs, transport ---- */

/* Where a gate's serialised key will hold a DPF key array (fss_keyio.h, FSS_KIO_PLACE). */
typedef struct fss_dpf_slot {
    uint8_t *at;
    int n;
    size_t N;
} fss_dpf_slot;

typedef struct fss_dealer {
    fss_prg prg;
    rng r;
    arena *scratch; /* borrowed: where DPF keys are allocated (NULL after fss_dealer_init: malloc) */
    /* Per party: the slots of the key being generated, in the order the key's visitor meets them;
     * fss_dealer_dpf_alloc places the i-th DPF array of party p in slot i while the shapes agree
     * (then the dealer's write is no copy), else allocates it (and stops placing for that party). */
    fss_dpf_slot *slots[2];
    size_t nslots[2], islot[2], cap[2];
    int placing[2];
} fss_dealer;
void fss_dealer_init(fss_dealer *d, uint64_t seed);
/* Party p's DPF key array of a keygen: placed (see fss_dealer) or from d->scratch. */
void fss_dealer_dpf_alloc(fss_dealer *d, int p, fss_dpf_keys *k, int n, size_t N);
/* Slots: forget them (placing off), add one (placing on for p). */
void fss_dealer_slots_reset(fss_dealer *d);
void fss_dealer_slot_add(fss_dealer *d, int p, uint8_t *at, int n, size_t N);
void fss_dealer_free(fss_dealer *d);
/* N uniform masks of b bits. */
void fss_dealer_masks(fss_dealer *d, uint64_t *r, size_t N, int b);
/* N uniform bits, c[i] = low bit of the i-th 64-bit word of d->r (the stream of N rng_u64 calls). */
void fss_dealer_bits(fss_dealer *d, uint8_t *c, size_t N);

/* Cost of a gate on N elements: online rounds (causal depth), bytes sent by each party to the other
 * (each also receives as much), and the key bytes each party receives from the dealer. */
typedef struct fss_cost {
    uint64_t rounds, bytes, key_bytes;
} fss_cost;
fss_cost fss_cost_add(fss_cost a, fss_cost b);

/* One vector to open: out[i] = sh[i] + other party's sh[i] mod 2^b (b = 1: XOR). */
typedef struct fss_seg {
    uint64_t *out;
    const uint64_t *sh;
    size_t N;
    int b;
} fss_seg;
/* Opens nseg vectors in one round: one message of ceil(sum N*b / 8) bytes each way. */
void fss_open_segs(mpc_ctx *c, const fss_seg *segs, int nseg);
void fss_open(mpc_ctx *c, uint64_t *out, const uint64_t *sh, size_t N, int b);

/* Input of a private value (the owner knows x and, from its key, the mask r in clear): the owner
 * sends x^ = x + r (b bits), the other receives it. 1 round (one-way); b bits per element sent by
 * the owner, 0 by the other. Key: the owner's N masks (b bits each); the other party gets nothing. */
void fss_input(mpc_ctx *c, uint64_t *x_hat, const uint64_t *x, const uint64_t *r, size_t N, int b, int owner);

/* ---- DReLU (sign): d = 1{x >= 0} for x signed in Z_2^b ----
 * MSB(x) = MSB(x^) ^ MSB(r) ^ 1{x^ mod 2^(b-1) < r mod 2^(b-1)}: one DPF comparison on b-1 bits
 * (fss_dpf.h). Opens d^ = d ^ r_d.
 * bits: 1; rounds: 1; key bytes: N (16(b-1) - 80) + ceil(N/8)   (the DPF key, the XOR share of
 * MSB(r) ^ 1 ^ r_d), e.g. 704 N + ceil(N/8) at b = 50. Needs b >= 9. */
typedef struct fss_drelu_key {
    int b;
    size_t N;
    fss_dpf_keys dpf;
    uint8_t *c; /* XOR share of MSB(r) ^ 1 ^ r_d */
} fss_drelu_key;
fss_cost fss_drelu_cost(int b, size_t N);
void fss_drelu_keygen(fss_dealer *d, fss_drelu_key *k0, fss_drelu_key *k1, uint64_t *r_d, const uint64_t *r_in, int b,
                      size_t N);
void fss_drelu(mpc_ctx *c, uint64_t *d_hat, const fss_drelu_key *k, const uint64_t *x_hat, size_t N);
void fss_drelu_key_free(fss_drelu_key *k);

/* ---- select: y = d * x for a masked bit d^ and a masked x^ in Z_2^b ----
 * With d = d^ ^ r_d:  d^ = 0: y^ = [r_d] x^ + [r_y - r_d r_x];
 *                     d^ = 1: y^ = x^ - [r_d] x^ + [r_y - r_x + r_d r_x]   (x^ added by P0).
 * bits: b; rounds: 1; key bytes: ceil(3 N b / 8) (shares of r_d, and of the two constants). */
typedef struct fss_select_key {
    int b;
    size_t N;
    uint64_t *rd, *k0, *k1; /* shares of r_d, r_y - r_d r_x, r_y - r_x + r_d r_x */
} fss_select_key;
fss_cost fss_select_cost(int b, size_t N);
/* r_y: the output masks to use, or NULL to draw them (returned in r_out). */
void fss_select_keygen(fss_dealer *d, fss_select_key *k0, fss_select_key *k1, uint64_t *r_out, const uint64_t *r_d,
                       const uint64_t *r_x, const uint64_t *r_y, int b, size_t N);
/* Local part: y_sh = this party's additive share of y + r_y (0 messages). */
void fss_select_shares(mpc_ctx *c, uint64_t *y_sh, const fss_select_key *k, const uint64_t *d_hat,
                       const uint64_t *x_hat, size_t N);
void fss_select(mpc_ctx *c, uint64_t *y_hat, const fss_select_key *k, const uint64_t *d_hat, const uint64_t *x_hat,
                size_t N);
void fss_select_key_free(fss_select_key *k);

/* ---- ReLU = DReLU then select ----
 * bits: 1 + b; rounds: 2; key bytes: DReLU's + select's = N (16(b-1) - 80) + ceil(N/8) + ceil(3 N b/8). */
typedef struct fss_relu_key {
    fss_drelu_key drelu;
    fss_select_key sel;
} fss_relu_key;
fss_cost fss_relu_cost(int b, size_t N);
void fss_relu_keygen(fss_dealer *d, fss_relu_key *k0, fss_relu_key *k1, uint64_t *r_out, const uint64_t *r_in, int b,
                     size_t N);
void fss_relu(mpc_ctx *c, uint64_t *y_hat, const fss_relu_key *k, const uint64_t *x_hat, size_t N);
void fss_relu_sh(mpc_ctx *c, uint64_t *y_sh, const fss_relu_key *k, const uint64_t *x_hat, size_t N);
void fss_relu_key_free(fss_relu_key *k);

/* ---- truncations (SIGMA's TrReduce, SignExtend, TrFloor = both, TrWithSlack) ----
 * All share one step: a DPF comparison w = 1{y < alpha} on `cmp` bits, opened masked as z^ = w ^ r_z
 * (1 bit), then a two-entry correction table indexed by z^ plus a public term, opened in `bout` bits.
 *  TrReduce(bin, s):      x in Z_2^bin -> floor(x / 2^s) in Z_2^(bin-s) (logical shift; signed values
 *                         keep their two's complement bits). cmp = s, bout = bin - s.
 *                         bits: 1 + bin - s; rounds 2; key: N (DPF(s)) + ceil(N/8) + ceil(2N(bin-s)/8).
 *  SignExtend(m, bout):   z signed in Z_2^m -> the same value in Z_2^bout. cmp = m.
 *                         bits: 1 + bout; rounds 2; key: N DPF(m) + ceil(N/8) + ceil(2 N bout / 8).
 *  TrFloor(n, s):         floor(x / 2^s) for x signed in Z_2^n, result in Z_2^n: TrReduce then SignExtend.
 *                         bits: 2n - s + 2; rounds 4; key: the two keys' sum
 *                         (n = 50, s = 12: 112 + 528 + bit-packed 1 + 1 + 76 + 100 bits per element).
 *  TrWithSlack(bin, s, bout): floor(x / 2^s) for x signed in Z_2^bin with |x| < 2^(bin-2), result in
 *                         Z_2^bout: adds the public slack 2^(bin-2), so the wrap of x^ is known from
 *                         MSB(r) and MSB(x^) (a third table element, 2^(bin-s) MSB(r)).
 *                         bits: 1 + bout; rounds 2; key: N DPF(s) + ceil(N/8) + ceil(3 N bout / 8).
 * DPF(k) = fss_dpf_key_bytes(k) (16k - 80 for k > 7; the table of 2^k bits for k <= 7). */
enum { FSS_TR_REDUCE = 0, FSS_TR_SEXT = 1, FSS_TR_SLACK = 2 };
typedef struct fss_tr_key {
    int kind, bin, s, bout;
    size_t N;
    fss_dpf_keys dpf;  /* on cmp bits */
    uint8_t *c;        /* XOR share of r_z */
    uint64_t *corr;    /* 2N: entries for z^ = 0, 1 */
    uint64_t *extra;   /* N (TrWithSlack): share of 2^(bin-s) MSB(r); else NULL */
} fss_tr_key;
fss_cost fss_tr_cost(int kind, int bin, int s, int bout, size_t N);
void fss_tr_keygen(fss_dealer *d, fss_tr_key *k0, fss_tr_key *k1, uint64_t *r_out, const uint64_t *r_in, int kind,
                   int bin, int s, int bout, size_t N);
/* x_hat in Z_2^bin (only its low bin bits are read); y_hat in Z_2^bout. */
void fss_tr(mpc_ctx *c, uint64_t *y_hat, const fss_tr_key *k, const uint64_t *x_hat, size_t N);
/* The same without the final opening: y_sh = this party's additive share of y + r_out (one round and
 * bout bits fewer; the fss family's share-output form, fss_family.c). */
void fss_tr_sh(mpc_ctx *c, uint64_t *y_sh, const fss_tr_key *k, const uint64_t *x_hat, size_t N);
/* Split form, for running a truncation in lockstep with another gate (their openings merged into one
 * message per round, fss_open_segs): fss_tr_cmp is the local first step (z_sh: this party's XOR share of
 * the masked comparison bit, to be opened in 1 bit); fss_tr_fin the local second step from the opened
 * z^ (y_sh: share of y + r_out, to be opened in bout bits). fss_tr = cmp, open, fin, open. */
void fss_tr_cmp(mpc_ctx *c, uint64_t *z_sh, const fss_tr_key *k, const uint64_t *x_hat, size_t N);
void fss_tr_fin(const mpc_ctx *c, uint64_t *y_sh, const fss_tr_key *k, const uint64_t *x_hat, const uint64_t *z_hat,
                size_t N);
void fss_tr_key_free(fss_tr_key *k);

typedef struct fss_trfloor_key {
    fss_tr_key red, sext;
} fss_trfloor_key;
fss_cost fss_trfloor_cost(int n, int s, size_t N);
void fss_trfloor_keygen(fss_dealer *d, fss_trfloor_key *k0, fss_trfloor_key *k1, uint64_t *r_out, const uint64_t *r_in,
                        int n, int s, size_t N);
void fss_trfloor(mpc_ctx *c, uint64_t *y_hat, const fss_trfloor_key *k, const uint64_t *x_hat, size_t N);
void fss_trfloor_sh(mpc_ctx *c, uint64_t *y_sh, const fss_trfloor_key *k, const uint64_t *x_hat, size_t N);
void fss_trfloor_key_free(fss_trfloor_key *k);

/* ---- masked matmul: Z (m x p) = X (m x k) @ Y (k x p), both operands masked wires of Z_2^b ----
 * Z^ = X^ Y^ - X^ [R_Y] - [R_X] Y^ + [R_X R_Y + R_Z]  (X^ Y^ added by P0), then Z^ is opened.
 * Who sends what (as SIGMA): the activation X is a wire (X^ public from the previous gate); the weight
 * Y is P0's private input, entered by fss_input with a mask the dealer gives P0 in clear: P0 sends
 * Y^ (k p b bits, one-way, once per inference since the mask is fresh) and the matmul then needs no
 * more weight traffic. The product is untruncated (scale 2^2f); a TrFloor(b, f) follows.
 * bits: b per output element; rounds: 1; key bytes: ceil((mk + kp + mp) b / 8) per party. */
typedef struct fss_matmul_key {
    int b;
    size_t m, k, p;
    uint64_t *rx, *ry, *rz; /* shares of R_X, R_Y and R_X R_Y + R_Z */
} fss_matmul_key;
fss_cost fss_matmul_cost(int b, size_t m, size_t k, size_t p);
void fss_matmul_keygen(fss_dealer *d, fss_matmul_key *k0, fss_matmul_key *k1, uint64_t *r_z, const uint64_t *r_x,
                       const uint64_t *r_y, int b, size_t m, size_t k, size_t p);
void fss_matmul(mpc_ctx *c, uint64_t *Z_hat, const fss_matmul_key *key, const uint64_t *X_hat, const uint64_t *Y_hat);
/* Without the opening: Z_sh = this party's share of Z + R_Z (0 rounds, 0 bytes). */
void fss_matmul_sh(mpc_ctx *c, uint64_t *Z_sh, const fss_matmul_key *key, const uint64_t *X_hat, const uint64_t *Y_hat);
void fss_matmul_key_free(fss_matmul_key *k);

/* The most fractional bits the gates' tables allow (nExp's high table has f - 4 index bits, at most 16). */
enum { FSS_MAX_FRAC = 20 };
/* Validates a ring and fixed-point choice for the fss family before any gate runs: 16 <= n <= 64,
 * 7 <= f <= FSS_MAX_FRAC (GeLU reads x at 6 fractional bits) and 2f + 4 <= n (a product of two
 * fixed-point values must fit with slack). Returns 0, or -1 with a message naming the problem in err. */
int fss_config_check(int n, int f, char *err, size_t errlen);

/* Dealer helper: additive shares v0 (uniform b bits) and v1 = v - v0 of N values. */
void fss_dealer_share(fss_dealer *d, uint64_t *v0, uint64_t *v1, const uint64_t *v, size_t N, int b);

#endif

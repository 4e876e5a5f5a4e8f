/* fss_arith.h -- products and reductions on masked wires of the fss family: elementwise multiply
 * (with a per-row operand), square, max along rows by a DReLU tree, and MPCFormer's Quad.
 * Conventions as fss_gate.h (keys to both parties, bit-packed openings, phantom keys by keygen(NULL)).
 *
 * Local operations on masked wires need no gate: x + y has mask r_x + r_y, x + c (public) keeps r_x,
 * k x (public integer) has mask k r_x; the dealer applies the same to the masks it tracks. */
#ifndef FSS_ARITH_H
#define FSS_ARITH_H

#include "fss_gate.h"

/* ---- multiply: z = x * y, x of R x L, y of R x L (bcast 0), R x 1 (bcast 1, one per row) or 1 x L
 * (bcast 2, one per column: LayerNorm's gamma) ----
 * z^ = x^ y^ - x^ [r_y] - [r_x] y^ + [r_x r_y + r_z]   (x^ y^ by P0); opened; untruncated (scale 2^2f).
 * bits: b per output; rounds 1; key bytes ceil((2 R L + len(y)) b / 8). */
typedef struct fss_mul_key {
    int b, bcast;
    size_t R, L;
    uint64_t *rx, *ry, *rz;
} fss_mul_key;
fss_cost fss_mul_cost(int b, size_t R, size_t L, int bcast);
void fss_mul_keygen(fss_dealer *d, fss_mul_key *k0, fss_mul_key *k1, uint64_t *r_z, const uint64_t *r_x,
                    const uint64_t *r_y, int b, size_t R, size_t L, int bcast);
void fss_mul(mpc_ctx *c, uint64_t *z_hat, const fss_mul_key *k, const uint64_t *x_hat, const uint64_t *y_hat);
void fss_mul_key_free(fss_mul_key *k);

/* ---- square: z = x^2 = x^2 - 2 x^ [r] + [r^2 + r_z] (x^2 by P0), opened, untruncated ----
 * bits: b; rounds 1; key bytes ceil(2 N b / 8). (SIGMA counts the square as local and its opening
 * with the truncation that follows; here the opening is the gate's.) */
typedef struct fss_square_key {
    int b;
    size_t N;
    uint64_t *r, *c;
} fss_square_key;
fss_cost fss_square_cost(int b, size_t N);
void fss_square_keygen(fss_dealer *d, fss_square_key *k0, fss_square_key *k1, uint64_t *r_z, const uint64_t *r_x,
                       int b, size_t N);
void fss_square(mpc_ctx *c, uint64_t *z_hat, const fss_square_key *k, const uint64_t *x_hat);
void fss_square_key_free(fss_square_key *k);

/* ---- max along each row of R x L (signed values of Z_2^b) by a tree ----
 * Level j halves the current length m: pairs (a, b) = (first half, second half), d = DReLU(a - b)
 * (a - b is local: mask r_a - r_b), max = b + select(d, a - b); an odd element is carried.
 * Levels: ceil(log2 L); each is 2 rounds, 1 + b bits per comparison (R floor(m/2) comparisons).
 * Key: the levels' DReLU and select keys. Needs b >= 9. */
enum { FSS_MAX_LEVELS = 40 };
typedef struct fss_max_key {
    int b, levels;
    size_t R, L;
    fss_drelu_key drelu[FSS_MAX_LEVELS];
    fss_select_key sel[FSS_MAX_LEVELS];
} fss_max_key;
fss_cost fss_max_cost(int b, size_t R, size_t L);
void fss_max_keygen(fss_dealer *d, fss_max_key *k0, fss_max_key *k1, uint64_t *r_out, const uint64_t *r_in, int b,
                    size_t R, size_t L);
/* y_hat: R masked maxima. */
void fss_max(mpc_ctx *c, uint64_t *y_hat, const fss_max_key *k, const uint64_t *x_hat);
void fss_max_key_free(fss_max_key *k);

/* ---- MPCFormer's Quad: a x^2 + b x + c with a = 2^-ka (0 <= ka <= f) ----
 * a x^2 + b x + c = a (x + h)^2 + c0 with h = b / (2a), c0 = c - a h^2 (both at f fractional bits,
 * public): square of x + h (local shift), TrFloor by f + ka (a folded into the shift), plus c0 (local).
 * The default form 0.125 x^2 + 0.5 x + 0.25 = ((x + 2)^2 - 2) / 8 (h = 2, c0 = -0.25); the training form
 * 0.125 x^2 + 0.25 x + 0.5 has h = 1, c0 = 0.375 (exact at f bits).
 * bits: b + 2b - (f + ka) + 2; rounds 5; key: square's + TrFloor(b, f + ka)'s. Error: the floor,
 * < 2^-f, plus the encodings of h and c0 (exact when they are multiples of 2^-f). */
typedef struct fss_quad_key {
    int f, ka;
    uint64_t h, c0; /* encoded at f bits, reduced mod 2^b (public; from the shape, not the key bytes) */
    fss_square_key sq;
    fss_trfloor_key tr;
} fss_quad_key;
/* ka of a = 2^-ka, or -1 when a is not such a power (0 <= ka <= f). */
int fss_quad_ka(double a, int f);
fss_cost fss_quad_cost(int b, int f, size_t N);
fss_cost fss_quad_abc_cost(int b, int f, int ka, size_t N);
void fss_quad_keygen(fss_dealer *d, fss_quad_key *k0, fss_quad_key *k1, uint64_t *r_out, const uint64_t *r_in, int b,
                     int f, size_t N);
/* The general form (qa must be 2^-ka, fss_quad_ka); fss_quad_keygen is qa, qb, qc = 0.125, 0.5, 0.25. */
void fss_quad_abc_keygen(fss_dealer *d, fss_quad_key *k0, fss_quad_key *k1, uint64_t *r_out, const uint64_t *r_in,
                         int b, int f, double qa, double qb, double qc, size_t N);
void fss_quad(mpc_ctx *c, uint64_t *y_hat, const fss_quad_key *k, const uint64_t *x_hat, size_t N);
/* Without the final opening: y_sh = this party's share of y + r_out (one round and b bits fewer). */
void fss_quad_sh(mpc_ctx *c, uint64_t *y_sh, const fss_quad_key *k, const uint64_t *x_hat, size_t N);
void fss_quad_key_free(fss_quad_key *k);

#endif

/* dealer.h -- correlated randomness from a trusted dealer D with the seed trick (PROTOCOLS.md 1.4).
 *
 * At setup D sends seed s0 to P0 and s1 to P1 and keeps both, so it can replay either stream.
 * For each correlation, in program order:
 *   P0 draws its operand masks from PRG(s0); P1 draws its operand masks AND its result share from
 *   PRG(s1); P0 sends D a DEALER_REQ_BYTES request naming the correlation and its shapes; D replays
 *   both streams, computes the result and sends P0 the correction (result - P1's result share),
 *   shaped like the result. P1 receives nothing after setup.
 * Every dealer_* call below is followed, after the caller's opening exchange, by dealer_collect,
 * which is where P0 reads the correction in the offline schedule: the request goes out before the
 * opening and its answer is read after, so a real dealer's round trip (over TCP: a request, two
 * process wake-ups and the correction's transfer) overlaps the opening instead of delaying P0's
 * first message. The correction is only needed after the opening, so nothing waits for it. In the
 * inline schedule (CrypTen's order) P0 reads it at once, before the opening.
 * In the offline schedule the D links are offline links (zero virtual time, no rounds): the bytes
 * are reported as dealer (offline) bytes. In the inline schedule (CrypTen's TTP) each request is a
 * round trip inside the latency. Requests are always real bytes (also in phantom mode): D needs the
 * shapes to answer.
 *
 * Correlations (what D sends P0; n = element count):
 *   mul     a (R x L), b (len(y)), c = a * bcast(b) (R x L)      c - [c]_1        8 R L bytes
 *   matmul  A (B x m x k), Bm (B x k x p | k x p), C = A @ Bm     C - [C]_1        8 B m p bytes
 *   square  r, r^2                                                r^2 - [r^2]_1    8 n bytes
 *   and     <a>, <b>, <c> = <a & b> (64-bit words)                (a&b) ^ <c>_1    8 n bytes
 *   b2a     <r> one bit (bit 0 of each word), [r] the same bit     r - [r]_1        8 n bytes
 *   trunc   [r] (r uniform mod 2^64), [q] = [floor(r/d)], [m] = [r >> 63] for a public d >= 2
 *           (mpc_trunc_safe.h); P0 draws [r]_0; P1 draws [r]_1, [q]_1, [m]_1   q - [q]_1, m - [m]_1  16 n bytes */
#ifndef DEALER_H
#define DEALER_H

#include "mpc.h"

enum { DEALER_REQ_BYTES = 48 };

typedef enum dealer_kind {
    DEALER_MUL = 1,
    DEALER_MATMUL = 2,
    DEALER_SQUARE = 3,
    DEALER_AND = 4,
    DEALER_B2A = 5,
    DEALER_TRUNC = 6,
} dealer_kind;

/* ---- party side (P0 and P1); outputs are this party's shares; all NULL-able in phantom ---- */

void dealer_mul(mpc_ctx *c, uint64_t *a, uint64_t *b, uint64_t *ab, size_t R, size_t L, mpc_bcast bc);
void dealer_matmul(mpc_ctx *c, uint64_t *A, uint64_t *Bm, uint64_t *C, size_t B, size_t m, size_t k,
                   size_t p, int y_shared);
void dealer_square(mpc_ctx *c, uint64_t *r, uint64_t *r2, size_t n);
void dealer_and(mpc_ctx *c, uint64_t *a, uint64_t *b, uint64_t *ab, size_t n);
/* rb: binary share of r in bit 0 (other bits 0); ra: arithmetic share of r (scale 1). */
void dealer_b2a(mpc_ctx *c, uint64_t *rb, uint64_t *ra, size_t n);
/* Truncation pair for the safe truncation by d (mpc_trunc_safe.h): r (n words), then qm (2n words:
 * [floor(r/d)] in qm[0..n), [r >> 63] in qm[n..2n)). */
void dealer_trunc(mpc_ctx *c, uint64_t *r, uint64_t *qm, size_t n, uint64_t d);
/* P0: reads the correction of the last request if it is still pending (offline schedule); a no-op
 * otherwise. Callers call it after their opening and before using the correlation's product. */
void dealer_collect(mpc_ctx *c);

/* ---- dealer side ---- */

typedef struct dealer_ctx {
    net_party *net;
    int phantom;
    rng local;
    rng s[2];           /* replicas of P0's and P1's dealer streams */
    uint64_t nreq;      /* correlations served */
    uint64_t words_out; /* correction words sent */
} dealer_ctx;

void dealer_init(dealer_ctx *d, net_party *net, int phantom, uint64_t seed);
/* Sends each party its 32-byte seed. Pairs with mpc_setup. */
int dealer_setup(dealer_ctx *d) WUR;
/* Serves P0's requests until P0 finishes (its channel closes). Returns NET_OK, or NET_EPROTO on a
 * malformed request (message printed). */
int dealer_serve(dealer_ctx *d) WUR;

#endif

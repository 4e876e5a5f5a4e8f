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
 * Kinds are a table (dealer_kind_def: wire id, recipients, sizes, server function): the core kinds
 * below are the Beaver family's, and a protocol family adds its own (mpc_family.dealer_kinds). A
 * kind's material may go to P0, to P1 or to both (FSS keys do): D sends each recipient its bytes
 * after P0's request, and each recipient reads them at dealer_collect. Dealer bytes are counted per
 * direction (D->P0, D->P1; mpc_cost_dealer_to, dealer_ctx.bytes_out). Under the inline schedule a
 * recipient reads at once, so P1 then waits for P0's request to reach D: the inline max-plus step of
 * such a kind is not mpc_cost_dealt_exchange's, and its family derives its own.
 *
 * Core correlations (what D sends P0; P1 receives nothing; n = element count):
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

enum { DEALER_REQ_BYTES = 48, DEALER_SHAPE_WORDS = 5 };

/* Wire ids of the core kinds (the Beaver family's correlations, served by every dealer). A family's
 * own kinds use ids from DEALER_KIND_FAMILY0 up (mpc_family.dealer_kinds). */
typedef enum dealer_kind {
    DEALER_MUL = 1,
    DEALER_MATMUL = 2,
    DEALER_SQUARE = 3,
    DEALER_AND = 4,
    DEALER_B2A = 5,
    DEALER_TRUNC = 6,
    DEALER_KIND_FAMILY0 = 64,
} dealer_kind;

/* Who receives a kind's material (bits). */
enum { DEALER_TO_P0 = 1, DEALER_TO_P1 = 2 };

struct dealer_ctx;

/* One kind of dealer material: a row of the kinds table. Each request is DEALER_REQ_BYTES on the
 * wire: the kind's id and DEALER_SHAPE_WORDS public shape words. */
typedef struct dealer_kind_def {
    uint64_t id;              /* wire id (dealer_kind) */
    const char *name;
    int to;                   /* DEALER_TO_P0 | DEALER_TO_P1: who receives material from D */
    /* Checks a request's shape words and gives the size in bytes of the material D sends P0
     * (bytes[0]) and P1 (bytes[1]); 0 for a party outside `to`. Returns NULL, or a message naming
     * what is wrong (D refuses the request; a party CHECK-fails). Any byte count is allowed: FSS keys
     * and bit-packed values are not whole words. */
    const char *(*sizes)(const uint64_t shape[DEALER_SHAPE_WORDS], uint64_t bytes[2]);
    /* D's side (real mode only): fills out[i] (bytes[i] bytes, NULL when 0) from D's replicas of the
     * parties' dealer streams (d->s[0], d->s[1]), drawn in the order the parties draw them, and its
     * own randomness (d->local). */
    void (*serve)(struct dealer_ctx *d, const uint64_t shape[DEALER_SHAPE_WORDS], uint8_t *out[2]);
} dealer_kind_def;

/* The core kinds (mul, matmul, square, and, b2a, trunc), terminated by an entry with name == NULL. */
extern const dealer_kind_def dealer_core_kinds[];

/* ---- party side (P0 and P1); outputs are this party's shares; all NULL-able in phantom ---- */

/* Draws n words of this party's dealer stream (PRG work charged; nothing drawn in phantom). */
void dealer_draw(mpc_ctx *c, uint64_t *buf, size_t n);
/* One correlation of kind k with shape `shape`, called by BOTH parties at the same point of the
 * program: P0 sends D the request; each party that receives material (k->to) gets its bytes into
 * `material` (this party's buffer; NULL in phantom), read at once under the inline schedule and by
 * dealer_collect under the offline one. Receivers read their material only after the request was
 * sent, so under the offline schedule a party collects after the opening that follows (nothing
 * waits for D). */
void dealer_request(mpc_ctx *c, const dealer_kind_def *k, const uint64_t shape[DEALER_SHAPE_WORDS], void *material);

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
/* Reads the material of the last request if it is still pending for this party (offline schedule);
 * a no-op otherwise. Callers call it after their opening and before using the material. */
void dealer_collect(mpc_ctx *c);
/* dealer_collect where a pass over the material follows: returns the material to read, either D's
 * message itself, lent (net_recv_lend: when it is pending; `material`, the buffer given to the
 * request, is then the fallback where the transport cannot lend), or `material` when nothing is
 * pending (P1's drawn share; the inline schedule, already read). Read-only until dealer_loan_return,
 * which must follow (a no-op when nothing was lent). NULL in phantom mode. Same messages and counts as
 * dealer_collect; one copy of the material fewer on the simulator. */
const uint64_t *dealer_collect_lend(mpc_ctx *c, net_loan *l, const uint64_t *material);
void dealer_loan_return(mpc_ctx *c, net_loan *l);

/* ---- dealer side ---- */

typedef struct dealer_ctx {
    net_party *net;
    int phantom;
    rng local;
    rng s[2];                       /* replicas of P0's and P1's dealer streams */
    const dealer_kind_def *kinds;   /* the family's own kinds (NULL-name terminated) or NULL */
    uint64_t nreq;                  /* correlations served */
    uint64_t bytes_out[2];          /* material sent to P0 and to P1, bytes */
    arena *scratch;                 /* borrowed: the serving buffers (NULL: malloc), as mpc_ctx.scratch */
} dealer_ctx;

void dealer_init(dealer_ctx *d, net_party *net, int phantom, uint64_t seed);
/* As dealer_init, with D's randomness (the parties' dealer seeds) keyed by 32 secret bytes (from the
 * OS CSPRNG in a real deployment). */
void dealer_init_key(dealer_ctx *d, net_party *net, int phantom, const uint8_t key[32]);
/* Adds the protocol family's own kinds (mpc_family.dealer_kinds; NULL = core kinds only). */
void dealer_set_kinds(dealer_ctx *d, const dealer_kind_def *kinds);
/* The kind with wire id `id`: a core kind, else one of `kinds` (may be NULL); NULL if unknown. */
const dealer_kind_def *dealer_kind_find(const dealer_kind_def *kinds, uint64_t id);
/* Sends each party its 32-byte seed. Pairs with mpc_setup. */
int dealer_setup(dealer_ctx *d) WUR;
/* Serves P0's requests until P0 finishes (its channel closes): each request's material goes to the
 * kind's recipients, P0's first. Returns NET_OK, or NET_EPROTO on a malformed request (message
 * printed). */
int dealer_serve(dealer_ctx *d) WUR;

#endif

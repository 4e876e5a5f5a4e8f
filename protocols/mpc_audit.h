/* mpc_audit.h -- a measurement oracle for simulated runs: sees both parties' shares of every value
 * that is truncated, and so the plaintext magnitudes, and reports
 *   - the analytic probability that the run fails silently: per local truncation of an element of
 *     value x (signed, the scale-2^2f product for mpc_trunc), the shares wrap with probability
 *     |x|/2^64 (one share is uniform and the other is x minus it); p_fail = 1 - prod(1 - p_i). A safe
 *     truncation (mpc_trunc_safe.h) contributes 0 inside its domain and counts as a certain failure
 *     outside it; a domain-limited op (exp, reciprocal, inv_sqrt: PROTOCOLS.md 4.1-4.3) whose input
 *     leaves the range where its approximation holds counts as a certain failure too;
 *   - the events that did happen: shares that wrapped, safe-truncation inputs outside the domain,
 *     each with the party's operator tag stack at that moment (model tags below 64, protocol tags
 *     from 64, mpc_tags.h), so a wrong value can be traced to the op where it went wrong.
 * It is NOT part of any protocol: in the simulator both parties run in one process (one at a time),
 * so the oracle pairs their calls by program order. It sends nothing and charges nothing; the TCP
 * driver never sets it. A party's truncation calls and the oracle's bookkeeping are deterministic.
 *
 * Test hook: force_call = k makes oracle call k, if it is a local truncation, wrap on element 0:
 * P1 sends its share of that element to P0, P0 picks a split that wraps and sends P1 its new share
 * (two one-way messages, only in this test mode), then both truncate as usual. */
#ifndef MPC_AUDIT_H
#define MPC_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "mpc.h"

enum { MPC_AUDIT_TAGS = 12, MPC_AUDIT_EVENTS = 8, MPC_AUDIT_SPARES = 8 };
enum { MPC_AUDIT_WRAP = 1, MPC_AUDIT_DOMAIN = 2 };

typedef struct mpc_audit_event {
    int kind;                    /* MPC_AUDIT_WRAP or MPC_AUDIT_DOMAIN */
    uint64_t call;               /* oracle call number (1-based, program order; truncations and domain
                                  * checks share the count) */
    size_t index;                /* element within the call */
    int64_t x;                   /* the value being divided (signed ring value) */
    int64_t d;                   /* the divisor */
    int tags[MPC_AUDIT_TAGS];    /* the party's tag stack, outermost first */
    int ntags;
} mpc_audit_event;

typedef struct mpc_audit_pending mpc_audit_pending;

/* One example's share of the results, when the run is a batch (mpc_audit_examples). */
typedef struct mpc_audit_example {
    double log_ok;               /* sum of log1p(-p_i) over its elements (-INFINITY after a domain violation) */
    uint64_t wraps, domain;
    mpc_audit_event ev;          /* its first event, when nev > 0 */
    int nev;
} mpc_audit_example;

typedef struct mpc_audit {
    uint64_t force_call;         /* test hook (see above); 0 = off */
    /* results, over the matched calls */
    uint64_t calls, elems_local, elems_safe, elems_domain;
    double p_sum;                /* sum of the per-element wrap probabilities */
    double log_ok;               /* sum of log1p(-p_i) (-INFINITY after a domain violation) */
    double max_abs_x;            /* largest |x| seen at a truncation, as a fraction of 2^63 */
    uint64_t wraps, domain;      /* events: wraps of local truncations; inputs outside a domain (safe
                                  * truncation's, or a domain-limited op's) */
    mpc_audit_event ev[MPC_AUDIT_EVENTS]; /* the first events, in program order */
    size_t nev;
    /* per example of a batch (mpc_audit_examples; NULL, 0 otherwise) */
    mpc_audit_example *ex;
    size_t nex;
    /* internal */
    uint64_t seq[2];
    size_t range_lo[2], range_n[2]; /* each party's current examples (range_n 0: all) */
    mpc_audit_pending *head;
    uint64_t *spare[MPC_AUDIT_SPARES]; /* pending copies' storage kept for the next ones (and across
                                        * resets), spare_cap[i] words each */
    size_t spare_cap[MPC_AUDIT_SPARES];
} mpc_audit;

void mpc_audit_init(mpc_audit *a);
/* Clears the results and the pending calls; keeps force_call (and spare storage). */
void mpc_audit_reset(mpc_audit *a);
void mpc_audit_free(mpc_audit *a);
/* Analytic probability that at least one truncation of the run failed: 1 - prod(1 - p_i). */
double mpc_audit_p_fail(const mpc_audit *a);

/* Batches (several examples in one run, batch-major: every oracle call's n elements are the examples'
 * equal blocks in order): keeps the results per example too, in a->ex[0..n); cleared by
 * mpc_audit_reset, which keeps n. n = 0 turns it off. The run's totals stay those of all examples. */
void mpc_audit_examples(mpc_audit *a, size_t n);
/* p_fail of example e alone (as mpc_audit_p_fail). */
double mpc_audit_example_p_fail(const mpc_audit *a, size_t e);
/* The calls this party makes next cover examples lo .. lo + n - 1 of the batch only (n = 0: all of
 * them again); e.g. an op run once per group of examples. No-op without c->audit. */
void mpc_audit_range(mpc_ctx *c, size_t lo, size_t n);

/* Called by each party just before it divides its shares x (n elements) by d: safe_bias = 0 for the
 * local truncation (wrap check), else the safe truncation's bias B (domain check: x + B < 2^63,
 * mpc_trunc_safe_bias). No-op without c->audit or in phantom. */
void mpc_audit_trunc(mpc_ctx *c, const uint64_t *x, int64_t d, size_t n, uint64_t safe_bias);
/* Called by each party at the start of a domain-limited op on its shares x (scale 2^f): an element
 * outside [lo, hi] (real values) is a domain event. No-op without c->audit or in phantom. */
void mpc_audit_domain(mpc_ctx *c, const uint64_t *x, size_t n, double lo, double hi);
/* The test hook: if this is the forced call, rewrites element 0 of this party's shares x (a scratch
 * copy) so that the split wraps. Sends two one-way messages. Returns 1 if it did. Local truncation only. */
int mpc_audit_force(mpc_ctx *c, uint64_t *x, size_t n);

/* The oracle's log1p(-p) (tests compare it with libm's log1p). */
double mpc_audit_log1p_neg_(double p);

#endif

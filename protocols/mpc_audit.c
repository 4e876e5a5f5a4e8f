/* mpc_audit.c -- the simulation-only truncation oracle. See mpc_audit.h. */
#include "mpc_audit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


/* One party's shares of one truncation call, waiting for the other party's. */
struct mpc_audit_pending {
    mpc_audit_pending *next;
    int party, safe, ntags; /* safe: 0 local truncation, 1 safe truncation, 2 domain check */
    size_t ex_lo, ex_n;      /* the examples the call covers (batches; ex_n 0: no batch) */
    uint64_t bias;           /* safe truncation: its bias B (inside the domain iff x + B < 2^63) */
    uint64_t seq;
    int64_t d;               /* divisor; for a domain check 2^f */
    double lo, hi;           /* domain check: the op's input domain (real values) */
    size_t n, cap;           /* elements; words of x's storage */
    int tags[MPC_AUDIT_TAGS];
    uint64_t *x;
};

void mpc_audit_init(mpc_audit *a)
{
    memset(a, 0, sizeof *a);
}

void mpc_audit_reset(mpc_audit *a)
{
    uint64_t force = a->force_call, *spare[MPC_AUDIT_SPARES];
    size_t nex = a->nex, spare_cap[MPC_AUDIT_SPARES];
    memcpy(spare, a->spare, sizeof spare), memcpy(spare_cap, a->spare_cap, sizeof spare_cap);
    memset(a->spare, 0, sizeof a->spare), memset(a->spare_cap, 0, sizeof a->spare_cap);
    mpc_audit_free(a);
    mpc_audit_init(a);
    a->force_call = force;
    memcpy(a->spare, spare, sizeof spare), memcpy(a->spare_cap, spare_cap, sizeof spare_cap);
    mpc_audit_examples(a, nex);
}

/* Storage for a pending copy of n words: the smallest spare that fits (a run's calls take the same
 * few sizes again and again, and a party may run several truncations ahead of the other; a fresh
 * malloc of megabytes is fresh pages), else malloc. */
static uint64_t *copy_get(mpc_audit *a, size_t n, size_t *cap)
{
    int best = -1;
    for (int i = 0; i < MPC_AUDIT_SPARES; i++)
        if (a->spare[i] && a->spare_cap[i] >= n && (best < 0 || a->spare_cap[i] < a->spare_cap[best])) best = i;
    if (best >= 0) {
        uint64_t *x = a->spare[best];
        *cap = a->spare_cap[best];
        a->spare[best] = NULL, a->spare_cap[best] = 0;
        return x;
    }
    *cap = n ? n : 1;
    return chk_malloc(*cap * sizeof(uint64_t));
}

/* Gives a copy's storage back: into an empty spare slot, else in place of the smallest spare if it
 * is larger, else freed. */
static void copy_put(mpc_audit *a, uint64_t *x, size_t cap)
{
    int slot = 0;
    for (int i = 0; i < MPC_AUDIT_SPARES; i++) {
        if (!a->spare[i]) {
            slot = i;
            break;
        }
        if (a->spare_cap[i] < a->spare_cap[slot]) slot = i;
    }
    if (a->spare[slot] && a->spare_cap[slot] >= cap) {
        free(x);
        return;
    }
    free(a->spare[slot]);
    a->spare[slot] = x, a->spare_cap[slot] = cap;
}

void mpc_audit_examples(mpc_audit *a, size_t n)
{
    free(a->ex);
    a->ex = n ? chk_calloc(n, sizeof *a->ex) : NULL;
    a->nex = n;
}

double mpc_audit_example_p_fail(const mpc_audit *a, size_t e)
{
    CHECK(e < a->nex, "audit: example %zu of %zu", e, a->nex);
    return -expm1(a->ex[e].log_ok) + 0.0;
}

void mpc_audit_range(mpc_ctx *c, size_t lo, size_t n)
{
    mpc_audit *a = c->audit;
    if (!a) return;
    a->range_lo[c->self] = lo, a->range_n[c->self] = n;
}

void mpc_audit_free(mpc_audit *a)
{
    free(a->ex);
    a->ex = NULL;
    a->nex = 0;
    while (a->head) {
        mpc_audit_pending *p = a->head;
        a->head = p->next;
        free(p->x);
        free(p);
    }
    for (int i = 0; i < MPC_AUDIT_SPARES; i++) {
        free(a->spare[i]);
        a->spare[i] = NULL, a->spare_cap[i] = 0;
    }
}

double mpc_audit_p_fail(const mpc_audit *a)
{
    return -expm1(a->log_ok) + 0.0; /* never -0 */
}

static void fill_event(mpc_audit_event *e, int kind, uint64_t call, size_t i, int64_t x, int64_t d, const int *tags,
                       int ntags)
{
    e->kind = kind, e->call = call, e->index = i, e->x = x, e->d = d, e->ntags = ntags;
    memcpy(e->tags, tags, (size_t)ntags * sizeof *tags);
}

/* An event of element i of the call; ex: its example's results (batches) or NULL. */
static void record(mpc_audit *a, mpc_audit_example *ex, int kind, uint64_t call, size_t i, int64_t x, int64_t d,
                   const int *tags, int ntags)
{
    if (ex) {
        if (kind == MPC_AUDIT_WRAP) ex->wraps++;
        else ex->domain++;
        if (!ex->nev++) fill_event(&ex->ev, kind, call, i, x, d, tags, ntags);
    }
    if (a->nev == MPC_AUDIT_EVENTS) return;
    fill_event(&a->ev[a->nev++], kind, call, i, x, d, tags, ntags);
}

/* log1p(-p) for a wrap probability 0 <= p <= 1. Below 2^-29 (|x| < 2^35, nearly every truncated
 * value) it is fdlibm's small-argument branch, which glibc's log1p takes there too: u - u^2/2 with
 * u = -p (u alone below 2^-54), where the neglected u^3/3 is far below half an ulp; the same double
 * as glibc 2.36's log1p (checked on 1.1e8 values), a fraction of its cost. Above, log1p itself. */
static inline double log1p_neg(double p)
{
    if (!(p < 0x1p-29)) return log1p(-p);
    double u = -p;
    return p < 0x1p-54 ? u : u - u * u * 0.5;
}

double mpc_audit_log1p_neg_(double p) { return log1p_neg(p); }

/* Both parties' shares of call `seq` are known: reconstruct and account. */
static void combine(mpc_audit *a, const mpc_audit_pending *p, const uint64_t *y)
{
    const uint64_t *x0 = p->party == NET_P0 ? p->x : y, *x1 = p->party == NET_P0 ? y : p->x;
    a->calls++;
    double lsum = 0.0, psum = 0.0, mx = a->max_abs_x;
    /* Batches: element i belongs to example ex_lo + i / per (the call's examples in equal blocks). */
    size_t per = 0;
    if (a->nex) {
        CHECK(p->ex_n > 0 && p->ex_lo + p->ex_n <= a->nex && p->n % p->ex_n == 0,
              "audit: call %llu of %zu elements over examples %zu..%zu of %zu: not batch-major",
              (unsigned long long)p->seq, p->n, p->ex_lo, p->ex_lo + p->ex_n, a->nex);
        per = p->n / p->ex_n;
    }
    for (size_t i = 0; i < p->n; i++) {
        uint64_t v = x0[i] + x1[i];
        int64_t x = (int64_t)v;
        double ax = fabs((double)x);
        mpc_audit_example *ex = per ? &a->ex[p->ex_lo + i / per] : NULL;
        if (p->safe == 2) {
            double xr = (double)x / (double)p->d;
            if (!(xr >= p->lo && xr <= p->hi)) {
                a->domain++;
                lsum = -INFINITY;
                if (ex) ex->log_ok = -INFINITY;
                record(a, ex, MPC_AUDIT_DOMAIN, p->seq, i, x, p->d, p->tags, p->ntags);
            }
            continue;
        }
        if (ax * 0x1p-63 > mx) mx = ax * 0x1p-63;
        if (p->safe) {
            if ((v + p->bias) >> 63) { /* mpc_trunc_safe_in_domain */
                a->domain++;
                lsum = -INFINITY;
                if (ex) ex->log_ok = -INFINITY;
                record(a, ex, MPC_AUDIT_DOMAIN, p->seq, i, x, p->d, p->tags, p->ntags);
            }
            continue;
        }
        /* The signed sum of the shares overflows: the local quotients are off by ~2^64/d. */
        __int128 s = (__int128)(int64_t)x0[i] + (__int128)(int64_t)x1[i];
        if (s != (__int128)x) {
            a->wraps++;
            record(a, ex, MPC_AUDIT_WRAP, p->seq, i, x, p->d, p->tags, p->ntags);
        }
        double pi = ax * 0x1p-64;
        psum += pi;
        double li = log1p_neg(pi);
        lsum += li;
        if (ex) ex->log_ok += li;
    }
    if (p->safe == 1) a->elems_safe += p->n;
    else if (p->safe == 0) a->elems_local += p->n;
    else a->elems_domain += p->n;
    a->p_sum += psum;
    a->log_ok += lsum;
    a->max_abs_x = mx;
}

static void observe(mpc_ctx *c, const uint64_t *x, int64_t d, size_t n, int safe, uint64_t bias, double lo, double hi);

void mpc_audit_trunc(mpc_ctx *c, const uint64_t *x, int64_t d, size_t n, uint64_t safe_bias)
{
    observe(c, x, d, n, safe_bias != 0, safe_bias, 0, 0);
}

void mpc_audit_domain(mpc_ctx *c, const uint64_t *x, size_t n, double lo, double hi)
{
    observe(c, x, (int64_t)1 << c->cfg->frac_bits, n, 2, 0, lo, hi);
}

static void observe(mpc_ctx *c, const uint64_t *x, int64_t d, size_t n, int safe, uint64_t bias, double lo, double hi)
{
    mpc_audit *a = c->audit;
    if (!a) return;
    int me = c->self;
    uint64_t seq = ++a->seq[me];
    if (c->phantom) return;
    /* The other party's record of the same call, if it got there first. */
    for (mpc_audit_pending **pp = &a->head; *pp; pp = &(*pp)->next) {
        mpc_audit_pending *p = *pp;
        if (p->party == me || p->seq != seq) continue;
        CHECK(p->n == n && p->d == d && p->safe == safe && p->ex_lo == a->range_lo[me] &&
                  p->ex_n == (a->range_n[me] ? a->range_n[me] : a->nex),
              "audit: call %llu differs between the parties", (unsigned long long)seq);
        combine(a, p, x);
        *pp = p->next;
        copy_put(a, p->x, p->cap);
        free(p);
        return;
    }
    mpc_audit_pending *p = chk_malloc(sizeof *p);
    memset(p, 0, sizeof *p);
    p->party = me, p->safe = safe, p->bias = bias, p->seq = seq, p->d = d, p->n = n, p->lo = lo, p->hi = hi;
    p->ex_lo = a->range_lo[me], p->ex_n = a->range_n[me] ? a->range_n[me] : a->nex;
    p->ntags = c->net->ntags < MPC_AUDIT_TAGS ? c->net->ntags : MPC_AUDIT_TAGS;
    memcpy(p->tags, c->net->tags, (size_t)p->ntags * sizeof *p->tags);
    p->x = copy_get(a, n, &p->cap);
    memcpy(p->x, x, n * sizeof *x);
    /* Append, so the list stays in program order. */
    mpc_audit_pending **tail = &a->head;
    while (*tail) tail = &(*tail)->next;
    *tail = p;
}

int mpc_audit_force(mpc_ctx *c, uint64_t *x, size_t n)
{
    mpc_audit *a = c->audit;
    /* The call number this truncation will get in mpc_audit_trunc. */
    if (!a || !a->force_call || n == 0 || a->seq[c->self] + 1 != a->force_call) return 0;
    uint64_t w = 0;
    if (c->self == NET_P1) {
        mpc_send(c, NET_P0, c->phantom ? NULL : x, 1);
        int rc = net_flush(c->net, NET_P0);
        CHECK(rc == NET_OK, "audit: flush failed: %s", net_strerror(rc));
        mpc_recv(c, NET_P0, c->phantom ? NULL : &w, 1);
        if (!c->phantom) x[0] = w;
        return 1;
    }
    mpc_recv(c, NET_P1, c->phantom ? NULL : &w, 1);
    uint64_t t = 0;
    if (!c->phantom) {
        uint64_t v = x[0] + w;
        /* P1's new share t: INT64_MIN for x >= 0, INT64_MAX for x < 0; P0's is x - t. The signed sum
         * (x - t) + t then leaves the int64 range: a wrap (for every x except -1). */
        t = (int64_t)v >= 0 ? UINT64_C(1) << 63 : (UINT64_C(1) << 63) - 1;
        x[0] = v - t;
    }
    mpc_send(c, NET_P1, c->phantom ? NULL : &t, 1);
    int rc = net_flush(c->net, NET_P1);
    CHECK(rc == NET_OK, "audit: flush failed: %s", net_strerror(rc));
    return 1;
}

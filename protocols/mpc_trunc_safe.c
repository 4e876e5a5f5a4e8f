/* mpc_trunc_safe.c -- the safe truncation, the local/safe switch, and mpc.h's three public divisions
 * (mpc_div_int, mpc_trunc, mpc_mul_const), which go through the switch. See mpc_trunc_safe.h. */
#include "mpc_trunc_safe.h"

#include <string.h>

#include "../common/fx.h"
#include "dealer.h"
#include "mpc_audit.h"
#include "mpc_tags.h"

uint64_t mpc_trunc_safe_bias(uint64_t d)
{
    return d * ((UINT64_C(1) << 62) / d);
}

int mpc_trunc_safe_in_domain(uint64_t x, uint64_t d)
{
    uint64_t xp = x + mpc_trunc_safe_bias(d);
    return xp >> 63 == 0;
}

static void mpc_trunc_safe_body_(mpc_ctx *c, uint64_t *z, const uint64_t *x, int64_t d, size_t n)
{
    CHECK(d >= 2, "safe truncation by %lld (needs d >= 2)", (long long)d);
    uint64_t ud = (uint64_t)d, B = mpc_trunc_safe_bias(ud), Bd = B / ud;
    uint64_t M = UINT64_MAX / ud + (UINT64_MAX % ud == ud - 1); /* floor(2^64 / d) */
    int p0 = c->self == NET_P0;
    mpc_audit_trunc(c, x, d, n, B);
    uint64_t *r = mpc_tmp(c, n), *qm = mpc_tmp(c, 2 * n), *cv = mpc_tmp(c, n), *co_fb = mpc_tmp(c, n);
    net_loan lo;
    /* 1-2. Dealer pair r, floor(r/d), r >> 63; [c] = [x] + B + [r] (P0 adds B). */
    dealer_trunc(c, r, qm, n, ud);
    mpc_work(c, 0, 2 * n, 0);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) cv[i] = x[i] + r[i] + (p0 ? B : 0);
    /* 3. Open c. */
    const uint64_t *co = mpc_exchange_lend(c, &lo, co_fb, cv, n); /* read where it lies */
    dealer_collect(c);
    /* 4-5. [w] = (1 - c>>63)[m]; [y] = floor(c/d) - [q] + M [w] - B/d (publics at P0). */
    mpc_work(c, 0, 4 * n, 0);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) {
            uint64_t cc = cv[i] + co[i];
            uint64_t w = cc >> 63 ? 0 : qm[n + i];
            z[i] = (p0 ? cc / ud - Bd : 0) - qm[i] + M * w;
        }
    mpc_loan_return(c, &lo);
    mpc_tmp_free(r);
    mpc_tmp_free(qm);
    mpc_tmp_free(cv);
    mpc_tmp_free(co_fb);
}

void mpc_trunc_safe(mpc_ctx *c, uint64_t *z, const uint64_t *x, int64_t d, size_t n)
{
    net_tag_push(c->net, MPC_TAG_TRUNC_SAFE);
    mpc_trunc_safe_body_(c, z, x, d, n);
    net_tag_pop(c->net, MPC_TAG_TRUNC_SAFE);
}

mpc_cost mpc_trunc_safe_cost(uint64_t n) { return mpc_cost_dealt_exchange(n, 2 * n); }

mpc_cost mpc_div_int_cost(const mpc_config *cfg, int64_t d, uint64_t n)
{
    return cfg->trunc == MPC_TRUNC_SAFE && d != 1 ? mpc_trunc_safe_cost(n) : mpc_cost_zero();
}

mpc_cost mpc_trunc_cost(const mpc_config *cfg, uint64_t n)
{
    return mpc_div_int_cost(cfg, (int64_t)1 << cfg->frac_bits, n);
}

mpc_cost mpc_mul_const_cost(const mpc_config *cfg, uint64_t n) { return mpc_trunc_cost(cfg, n); }

mpc_cost mpc_mul_trunc_cost(const mpc_config *cfg, uint64_t R, uint64_t L, mpc_bcast bc, int trunc)
{
    mpc_cost c = mpc_mul_cost(R, L, bc);
    if (trunc) mpc_cost_add(&c, mpc_trunc_cost(cfg, R * L));
    return c;
}

mpc_cost mpc_square_trunc_cost(const mpc_config *cfg, uint64_t n)
{
    mpc_cost c = mpc_square_cost(n);
    mpc_cost_add(&c, mpc_trunc_cost(cfg, n));
    return c;
}

void mpc_div_trunc_n_(uint64_t *z, const uint64_t *x, uint64_t k, int64_t d, size_t n)
{
    if (d > 1 && (d & (d - 1)) == 0) {
        int s = __builtin_ctzll((unsigned long long)d);
        uint64_t lo = (uint64_t)d - 1;
        for (size_t i = 0; i < n; i++) {
            int64_t v = (int64_t)(x[i] * k);
            z[i] = (uint64_t)((v + (int64_t)((uint64_t)(v >> 63) & lo)) >> s);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) z[i] = fx_div_trunc(x[i] * k, d);
}

/* Local truncation (2.3) under the oracle: the forced-wrap hook and the wrap check, then the same
 * division and the same work charge as without it. The hook rewrites element 0 of a scratch copy:
 * the input is copied only when it fires (a test hook). */
static void trunc_local_audited_(mpc_ctx *c, uint64_t *z, const uint64_t *x, int64_t d, size_t n)
{
    uint64_t first = !c->phantom && n ? x[0] : 0, *t = NULL;
    if (mpc_audit_force(c, c->phantom ? NULL : &first, n)) {
        t = mpc_tmp(c, n);
        if (!c->phantom) {
            memcpy(t, x, n * sizeof *t);
            t[0] = first;
        }
        x = t;
    }
    mpc_audit_trunc(c, x, d, n, 0); /* 0: a local truncation */
    mpc_work(c, 0, n, 0);
    if (!c->phantom) mpc_div_trunc_n_(z, x, 1, d, n);
    mpc_tmp_free(t);
}

void mpc_trunc_div(mpc_ctx *c, uint64_t *z, const uint64_t *x, int64_t d, size_t n)
{
    switch (c->cfg->trunc) {
    case MPC_TRUNC_SAFE:
        if (d == 1) { /* the identity (a public rescale K = 1): nothing to truncate */
            mpc_work(c, 0, n, 0);
            if (!c->phantom && z != x) memmove(z, x, n * sizeof *z);
            return;
        }
        mpc_trunc_safe(c, z, x, d, n);
        return;
    case MPC_TRUNC_LOCAL:
        if (c->audit) {
            trunc_local_audited_(c, z, x, d, n);
            return;
        }
        mpc_work(c, 0, n, 0);
        if (c->phantom) return;
        mpc_div_trunc_n_(z, x, 1, d, n);
        return;
    }
    CHECK(0, "unknown truncation %d", c->cfg->trunc);
}

void mpc_mul_const_trunc(mpc_ctx *c, uint64_t *z, const uint64_t *x, uint64_t kk, int64_t d, size_t n)
{
    uint64_t *t = mpc_tmp(c, n);
    if (!c->phantom)
        for (size_t i = 0; i < n; i++) t[i] = x[i] * kk;
    /* The local path charges one pass for multiply-and-divide, as mpc_mul_const always did; the safe
     * path charges the multiply, then the protocol's own work. */
    if (c->cfg->trunc == MPC_TRUNC_SAFE) mpc_work(c, 0, n, 0);
    mpc_trunc_div(c, z, t, d, n);
    mpc_tmp_free(t);
}

/* ---- mpc.h's public divisions ---- */

void mpc_div_int(mpc_ctx *c, uint64_t *z, const uint64_t *x, int64_t d, size_t n)
{
    CHECK(d > 0, "division by non-positive %lld", (long long)d);
    mpc_trunc_div(c, z, x, d, n);
}

void mpc_trunc(mpc_ctx *c, uint64_t *z, const uint64_t *x, size_t n)
{
    mpc_trunc_div(c, z, x, (int64_t)1 << c->cfg->frac_bits, n);
}

void mpc_mul_const(mpc_ctx *c, uint64_t *z, const uint64_t *x, double k, size_t n)
{
    uint64_t kk = fx_encode(k, c->cfg->frac_bits);
    int64_t d = (int64_t)1 << c->cfg->frac_bits;
    if (c->cfg->trunc == MPC_TRUNC_LOCAL && !c->audit) { /* one pass, as it always was */
        mpc_work(c, 0, n, 0);
        if (c->phantom) return;
        mpc_div_trunc_n_(z, x, kk, d, n);
        return;
    }
    mpc_mul_const_trunc(c, z, x, kk, d, n);
}

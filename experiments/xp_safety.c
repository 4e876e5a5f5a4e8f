/* xp_safety.c -- see xp_safety.h. */
#include "xp_safety.h"

#include <gsl/gsl_cdf.h>
#include <string.h>

#include "../models/sbert.h"
#include "../protocols/mpc_tags.h"

/* Smallest p with P(X >= k | p) >= a (increasing in p), or largest p with P(X <= k | p) >= a. */
static double bisect(size_t k, size_t n, double a, int upper)
{
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        double v = upper ? gsl_cdf_binomial_P((unsigned)k, mid, (unsigned)n) : gsl_cdf_binomial_Q((unsigned)(k - 1), mid, (unsigned)n);
        /* upper: P(X <= k) decreases with p; lower: P(X >= k) increases. */
        if (upper ? v > a : v < a) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

void xp_clopper_pearson(size_t k, size_t n, double conf, double *lo, double *hi)
{
    double a = (1.0 - conf) / 2;
    if (n == 0) {
        *lo = 0.0, *hi = 1.0;
        return;
    }
    *lo = k == 0 ? 0.0 : bisect(k, n, a, 0);
    *hi = k == n ? 1.0 : bisect(k, n, a, 1);
}

void xp_audit_where(char *buf, size_t len, const mpc_audit_event *e)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < e->ntags && used + 1 < len; i++) {
        int t = e->tags[i];
        const char *name = t >= MPC_TAG_FIRST ? mpc_tag_name(t) : sbert_tag_name(t);
        char num[16];
        if (!name) snprintf(num, sizeof num, "tag%d", t), name = num;
        int w = snprintf(buf + used, len - used, "%s%s", used ? "/" : "", name);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (!buf[0]) snprintf(buf, len, "?");
}

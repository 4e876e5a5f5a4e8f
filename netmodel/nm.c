/* nm.c -- link math, profiles and unit parsing. */
#include "nm.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const nm_profile nm_profiles[] = {
    {"lan", "datacenter LAN: 3 Gbit/s, 0.4 ms one way (0.8 ms RTT)", 3000000000ull, 400000},
    {"wan", "cross-region WAN: 200 Mbit/s, 20 ms one way (40 ms RTT)", 200000000ull, 20000000},
    {"local", "same rack / loopback-like: 10 Gbit/s, 0.05 ms one way", 10000000000ull, 50000},
    {"metro", "metro-area link: 1 Gbit/s, 2 ms one way", 1000000000ull, 2000000},
    /* Fitted by `mpcsim calibrate` to MPCFormer's five per-operator communication times (PAPER.md
     * 7.3); test_calibrate checks that the fit still gives these values. */
    {"paper", "fitted to MPCFormer's per-operator comm times: 6.21 Gbit/s, 1.082 ms one way", 6211000000ull, 1082000},
    {NULL, NULL, 0, 0},
};

int64_t nm_link_transmit(nm_link *l, int64_t now, uint64_t bytes, int64_t *depart)
{
    if (l->spec.offline) {
        *depart = now;
        return now;
    }
    if (l->spec.model == NM_MODEL_TCP) return nm_tcp_transmit(l, now, bytes, depart);
    CHECK(l->spec.model != NM_MODEL_PKT, "the packet model is event-driven: use nm_pkt_send");
    CHECK(l->spec.model == NM_MODEL_IDEAL, "unknown link model %d", l->spec.model);
    int64_t start = now > l->busy_until ? now : l->busy_until;
    uint64_t wire = bytes > UINT64_MAX - l->spec.overhead_bytes ? UINT64_MAX : bytes + l->spec.overhead_bytes;
    int64_t d = nm_time_add(start, nm_tx_time(l->spec.bps, wire));
    l->busy_until = d;
    *depart = d;
    return nm_time_add(d, l->spec.latency_ns);
}

const nm_profile *nm_profile_find(const char *name)
{
    for (const nm_profile *p = nm_profiles; p->name; p++)
        if (strcmp(p->name, name) == 0) return p;
    return NULL;
}

/* Parses a non-negative decimal number followed by a unit; returns the unit suffix. */
static int parse_number(const char *s, double *v, const char **unit)
{
    if (!s || !*s) return NM_EINVAL;
    while (isspace((unsigned char)*s)) s++;
    if (*s == '-' || *s == '+') return NM_EINVAL; /* no signs: negative values are errors */
    if (!isdigit((unsigned char)*s) && *s != '.') return NM_EINVAL;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno != 0 || end == s || !isfinite(x) || x < 0) return NM_EINVAL;
    while (isspace((unsigned char)*end)) end++;
    *v = x;
    *unit = end;
    return NM_OK;
}

int nm_parse_bandwidth(const char *s, uint64_t *bps)
{
    static const struct { const char *u; double mul; } units[] = {
        {"bit", 1}, {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}, {"tbit", 1e12},
        {"bps", 1}, {"kbps", 1e3}, {"mbps", 1e6}, {"gbps", 1e9}, {"tbps", 1e12},
        {"", 1},
    };
    double v;
    const char *unit;
    if (parse_number(s, &v, &unit) != NM_OK) return NM_EINVAL;
    char u[16];
    size_t len = strlen(unit);
    if (len >= 2 && strcmp(unit + len - 2, "/s") == 0) len -= 2;
    if (len >= sizeof u) return NM_EINVAL;
    memcpy(u, unit, len);
    u[len] = 0;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (strcasecmp(u, units[i].u) == 0) {
            double b = v * units[i].mul;
            if (!(b >= 1) || b > 1e15) return NM_EINVAL; /* at least 1 bit/s, at most 1 Pbit/s */
            *bps = (uint64_t)llround(b);
            return NM_OK;
        }
    }
    return NM_EINVAL;
}

int nm_parse_duration(const char *s, int64_t *ns)
{
    static const struct { const char *u; double mul; } units[] = {
        {"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9},
    };
    double v;
    const char *unit;
    if (parse_number(s, &v, &unit) != NM_OK) return NM_EINVAL;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (strcasecmp(unit, units[i].u) == 0) {
            double t = v * units[i].mul;
            if (t > 1e15) return NM_EINVAL; /* more than 11 days: surely a typo */
            *ns = (int64_t)llround(t);
            return NM_OK;
        }
    }
    return NM_EINVAL;
}

void nm_format_bandwidth(char *buf, size_t n, uint64_t bps)
{
    if (bps >= 1000000000ull) snprintf(buf, n, "%g Gbit/s", bps / 1e9);
    else if (bps >= 1000000ull) snprintf(buf, n, "%g Mbit/s", bps / 1e6);
    else if (bps >= 1000ull) snprintf(buf, n, "%g kbit/s", bps / 1e3);
    else snprintf(buf, n, "%llu bit/s", (unsigned long long)bps);
}

void nm_format_duration(char *buf, size_t n, int64_t ns)
{
    if (ns >= 1000000000) snprintf(buf, n, "%g s", ns / 1e9);
    else if (ns >= 1000000) snprintf(buf, n, "%g ms", ns / 1e6);
    else if (ns >= 1000) snprintf(buf, n, "%g us", ns / 1e3);
    else snprintf(buf, n, "%lld ns", (long long)ns);
}

int nm_parse_link_model(const char *s, int *model)
{
    if (!s) return NM_EINVAL;
    if (strcmp(s, "ideal") == 0) *model = NM_MODEL_IDEAL;
    else if (strcmp(s, "tcp") == 0) *model = NM_MODEL_TCP;
    else if (strcmp(s, "packet") == 0) *model = NM_MODEL_PKT;
    else return NM_EINVAL;
    return NM_OK;
}

int nm_parse_congestion(const char *s, int *cc)
{
    if (!s) return NM_EINVAL;
    if (strcmp(s, "cubic") == 0) *cc = NM_CC_CUBIC;
    else if (strcmp(s, "reno") == 0) *cc = NM_CC_RENO;
    else return NM_EINVAL;
    return NM_OK;
}

const char *nm_congestion_name(int cc) { return cc == NM_CC_RENO ? "reno" : "cubic"; }

const char *nm_link_model_name(int model)
{
    return model == NM_MODEL_TCP ? "tcp" : model == NM_MODEL_PKT ? "packet" : "ideal";
}

void nm_topology_init(nm_topology *t, int n, const nm_linkspec *spec)
{
    CHECK(n >= 2 && n <= NM_MAX_PARTIES, "topology of %d parties", n);
    memset(t, 0, sizeof *t);
    t->n = n;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) t->link[i][j].spec = *spec;
}

void nm_topology_set(nm_topology *t, int a, int b, const nm_linkspec *spec)
{
    CHECK(a >= 0 && b >= 0 && a < t->n && b < t->n && a != b, "bad link %d-%d", a, b);
    t->link[a][b].spec = *spec;
    t->link[b][a].spec = *spec;
}

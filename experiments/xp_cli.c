/* xp_cli.c -- argument scanning, network options and atomic CSV output. See xp.h. */
#include "xp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../netmodel/nm_tcp.h"

int xp_arg(int argc, char **argv, int *i, const char *name, int want_value, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=') {
        if (!want_value) {
            fprintf(stderr, "error: %s takes no value\n", name);
            return -1;
        }
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != 0) return 0;
    if (!want_value) {
        *val = NULL;
        return 1;
    }
    if (*i + 1 >= argc) {
        fprintf(stderr, "error: %s needs a value\n", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

int xp_arg_choice(int argc, char **argv, int *i, const char *name, const char *const *choices, int *which)
{
    const char *v;
    int r = xp_arg(argc, argv, i, name, 1, &v);
    if (r <= 0) return r;
    for (int k = 0; choices[k]; k++)
        if (strcmp(v, choices[k]) == 0) {
            *which = k;
            return 1;
        }
    fprintf(stderr, "error: %s: unknown value '%s' (", name, v);
    for (int k = 0; choices[k]; k++) fprintf(stderr, "%s%s", k ? ", " : "", choices[k]);
    fprintf(stderr, ")\n");
    return -1;
}

int xp_parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') goto bad;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi) goto bad;
    *out = v;
    return 0;
bad:
    fprintf(stderr, "error: %s: '%s' is not an integer in [%llu, %llu]\n", opt, s ? s : "",
            (unsigned long long)lo, (unsigned long long)hi);
    return -1;
}

void xp_net_defaults(xp_netopts *o)
{
    memset(o, 0, sizeof *o);
    const nm_profile *p = nm_profile_find("lan");
    snprintf(o->name, sizeof o->name, "%s", p->name);
    o->online.bps = p->bps;
    o->online.latency_ns = p->latency_ns;
    o->mss = NM_PCAP_DEFAULT_MSS;
}

static void list_profiles(FILE *f)
{
    for (const nm_profile *p = nm_profiles; p->name; p++) fprintf(f, "%s%s", p == nm_profiles ? "" : ", ", p->name);
}

static int bad_value(const char *opt, const char *val, const char *expect)
{
    fprintf(stderr, "error: %s: invalid value '%s' (%s)\n", opt, val, expect);
    return -1;
}

static const char BW_EXPECT[] = "expected a positive bandwidth like 5gbit, 200mbit, 100kbit or 1e9bit";
static const char DUR_EXPECT[] = "expected a non-negative duration with a unit: ns, us, ms or s, like 0.5ms";

int xp_net_arg(xp_netopts *o, int argc, char **argv, int *i)
{
    const char *v;
    int r;
    if ((r = xp_arg(argc, argv, i, "--net", 1, &v))) {
        if (r < 0) return -1;
        const nm_profile *p = nm_profile_find(v);
        if (!p) {
            fprintf(stderr, "error: --net: unknown network profile '%s' (known: ", v);
            list_profiles(stderr);
            fprintf(stderr, "; see mpcsim --help)\n");
            return -1;
        }
        snprintf(o->name, sizeof o->name, "%s", p->name);
        o->online.bps = p->bps;
        o->online.latency_ns = p->latency_ns;
        o->have_net = 1;
        return 1;
    }
    if ((r = xp_arg(argc, argv, i, "--bandwidth", 1, &v))) {
        if (r < 0) return -1;
        if (nm_parse_bandwidth(v, &o->online.bps) != NM_OK) return bad_value("--bandwidth", v, BW_EXPECT);
        o->have_bw = 1;
        return 1;
    }
    if ((r = xp_arg(argc, argv, i, "--latency", 1, &v))) {
        if (r < 0) return -1;
        if (nm_parse_duration(v, &o->online.latency_ns) != NM_OK) return bad_value("--latency", v, DUR_EXPECT);
        o->have_lat = 1;
        return 1;
    }
    if ((r = xp_arg(argc, argv, i, "--rtt", 1, &v))) {
        if (r < 0) return -1;
        int64_t rtt;
        if (nm_parse_duration(v, &rtt) != NM_OK) return bad_value("--rtt", v, DUR_EXPECT);
        o->online.latency_ns = rtt / 2;
        o->have_rtt = 1;
        return 1;
    }
    if ((r = xp_arg(argc, argv, i, "--overhead", 1, &v))) {
        if (r < 0) return -1;
        uint64_t b;
        if (xp_parse_u64("--overhead", v, 0, 65536, &b) != 0) return -1;
        o->online.overhead_bytes = (uint32_t)b;
        return 1;
    }
    if ((r = xp_arg(argc, argv, i, "--tcp-aead", 0, &v))) {
        if (r < 0) return -1;
        o->tcp_aead = 1;
        return 1;
    }
    if ((r = xp_arg(argc, argv, i, "--dealer-net", 1, &v))) {
        if (r < 0) return -1;
        const nm_profile *p = nm_profile_find(v);
        if (!p) {
            fprintf(stderr, "error: --dealer-net: unknown network profile '%s' (known: ", v);
            list_profiles(stderr);
            fprintf(stderr, ")\n");
            return -1;
        }
        o->dealer.bps = p->bps;
        o->dealer.latency_ns = p->latency_ns;
        o->dealer_custom |= 3;
        return 1;
    }
    if ((r = xp_arg(argc, argv, i, "--dealer-bandwidth", 1, &v))) {
        if (r < 0) return -1;
        if (nm_parse_bandwidth(v, &o->dealer.bps) != NM_OK) return bad_value("--dealer-bandwidth", v, BW_EXPECT);
        o->dealer_custom |= 1;
        return 1;
    }
    if ((r = xp_arg(argc, argv, i, "--dealer-latency", 1, &v))) {
        if (r < 0) return -1;
        if (nm_parse_duration(v, &o->dealer.latency_ns) != NM_OK) return bad_value("--dealer-latency", v, DUR_EXPECT);
        o->dealer_custom |= 2;
        return 1;
    }
    if ((r = xp_arg(argc, argv, i, "--mss", 1, &v))) {
        if (r < 0) return -1;
        uint64_t m;
        if (xp_parse_u64("--mss", v, 64, 65000, &m) != 0) return -1;
        o->mss = (uint32_t)m;
        return 1;
    }
    if ((r = xp_arg(argc, argv, i, "--link-model", 1, &v))) {
        if (r < 0) return -1;
        if (nm_parse_link_model(v, &o->online.model) != NM_OK)
            return bad_value("--link-model", v, "expected ideal, tcp or packet");
        return 1;
    }
    if ((r = xp_arg(argc, argv, i, "--congestion", 1, &v))) {
        if (r < 0) return -1;
        if (nm_parse_congestion(v, &o->online.cc) != NM_OK) return bad_value("--congestion", v, "expected cubic or reno");
        o->have_cc = 1;
        return 1;
    }
    if ((r = xp_arg(argc, argv, i, "--pcap", 1, &v))) {
        if (r < 0) return -1;
        o->pcap = v;
        return 1;
    }
    return 0;
}

int xp_net_finish(xp_netopts *o)
{
    if (o->have_lat && o->have_rtt) {
        fprintf(stderr, "error: give either --latency (one way) or --rtt, not both\n");
        return -1;
    }
    if (o->have_bw || o->have_lat || o->have_rtt) {
        if (o->have_net)
            snprintf(o->name + strlen(o->name), sizeof o->name - strlen(o->name), "+custom");
        else
            snprintf(o->name, sizeof o->name, "custom");
    }
    if (o->have_cc && o->online.model != NM_MODEL_PKT) {
        fprintf(stderr, "error: --congestion applies to --link-model packet (the %s model has no congestion control)\n",
                nm_link_model_name(o->online.model));
        return -1;
    }
    if (o->pcap && o->online.model == NM_MODEL_PKT) {
        fprintf(stderr, "error: --pcap is not available with --link-model packet (use ideal or tcp)\n");
        return -1;
    }
    if (o->tcp_aead && o->online.model == NM_MODEL_IDEAL) {
        fprintf(stderr, "error: --tcp-aead applies to --link-model tcp or packet (the ideal model has no frame header)\n");
        return -1;
    }
    if (o->online.model != NM_MODEL_IDEAL)
        snprintf(o->name + strlen(o->name), sizeof o->name - strlen(o->name), "+%s", nm_link_model_name(o->online.model));
    if (o->tcp_aead) { /* framing on the wire only: never in the byte counters */
        o->online.overhead_bytes += NM_TCP_AEAD_TAG;
        snprintf(o->name + strlen(o->name), sizeof o->name - strlen(o->name), "+aead");
    }
    if (o->online.model == NM_MODEL_PKT && o->online.cc != NM_CC_CUBIC)
        snprintf(o->name + strlen(o->name), sizeof o->name - strlen(o->name), "-%s", nm_congestion_name(o->online.cc));
    /* Dealer links: the online link's settings (link model included), with the dealer-specific ones on top. */
    nm_linkspec d = o->online;
    if (o->dealer_custom & 1) d.bps = o->dealer.bps;
    if (o->dealer_custom & 2) d.latency_ns = o->dealer.latency_ns;
    o->dealer = d;
    return 0;
}

void xp_net_topology(const xp_netopts *o, nm_topology *t, int dealer_offline)
{
    nm_topology_init(t, 3, &o->online);
    nm_linkspec d = o->dealer;
    d.offline = dealer_offline;
    nm_topology_set(t, 2, 0, &d);
    nm_topology_set(t, 2, 1, &d);
}

void xp_net_help(FILE *f)
{
    fprintf(f,
            "Network options (links are full-duplex store-and-forward FIFOs: a message of b bytes departs\n"
            "at max(now, link busy) + ceil((b + overhead) * 8e9 / bandwidth) ns and arrives one latency later):\n"
            "  --net PROFILE            named profile for the P0-P1 link (default lan):\n");
    for (const nm_profile *p = nm_profiles; p->name; p++) fprintf(f, "                             %-6s %s\n", p->name, p->description);
    fprintf(f,
            "  --bandwidth B            bandwidth: bit, kbit, mbit, gbit, tbit (per second), e.g. 5gbit\n"
            "  --latency L              one-way latency: ns, us, ms, s, e.g. 0.5ms\n"
            "  --rtt R                  round-trip time instead of --latency (one way = R/2)\n"
            "  --overhead N             framing bytes charged on the wire per message (default 0); never\n"
            "                           counted in the byte counters, which report payload only\n"
            "  --dealer-net PROFILE, --dealer-bandwidth B, --dealer-latency L\n"
            "                           the dealer's links D-P0 and D-P1 (default: same as P0-P1)\n"
            "  --link-model M           ideal (default: the FIFO above) or tcp: the real backend's 48-byte\n"
            "                           header per message, 1448-byte segments with 66 header bytes each,\n"
            "                           slow start from 10 segments (one round trip per window), the window\n"
            "                           kept across messages and halved per RTO (RTT + 200 ms) of idle;\n"
            "                           or packet: every segment and ACK an event, ACKs queued behind the\n"
            "                           other direction's data, delayed ACKs, slow start with HyStart and\n"
            "                           CUBIC's growth after it (netmodel/nm_pkt.h); slower to simulate\n"
            "  --tcp-aead               tcp and packet models: also the real backend's 16-byte AEAD tag per\n"
            "                           message (AES-256-GCM; its nonce is the frame counter, not sent),\n"
            "                           so a message is n + 48 + 16 bytes on the wire, as `mpcsim party` sends it\n"
            "  --congestion C           packet model only: cubic (default, Linux's and `mpcsim party`'s)\n"
            "                           or reno (no HyStart: slow start until the window bound)\n"
            "  --pcap FILE              write the simulated traffic as a pcap (virtual ns timestamps)\n"
            "  --mss N                  TCP segment payload size in the pcap (default 1448)\n");
}

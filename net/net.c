/* net.c -- the counting wrappers around a backend. See net.h for the conventions. */
#include "net.h"

#include <string.h>

const char *const net_party_names[NET_MAX_PARTIES] = {"P0", "P1", "D"};

const char *net_strerror(int code)
{
    switch (code) {
    case NET_OK: return "success";
    case NET_EIO: return "I/O error";
    case NET_ECLOSED: return "peer closed the connection";
    case NET_ETIMEOUT: return "timed out";
    case NET_EPROTO: return "protocol or configuration mismatch";
    case NET_ETIME: return "virtual time out of range (more than 2^63 ns, about 292 years)";
    default: return "unknown error";
    }
}

void net_party_init(net_party *p, const net_party_vt *vt, int self, int nparties)
{
    CHECK(nparties >= 2 && nparties <= NET_MAX_PARTIES && self >= 0 && self < nparties,
          "party %d of %d", self, nparties);
    memset(p, 0, sizeof *p);
    p->vt = vt;
    p->self = self;
    p->nparties = nparties;
}

void net_stats_reset(net_party *p)
{
    memset(&p->stats, 0, sizeof p->stats);
    memset(p->cp, 0, sizeof p->cp);
    p->depth = p->rmax = 0;
}

/* Applies f to the total and to every tag on the stack (inclusive accounting). */
#define FOR_COUNTERS(p, c, body)                                   \
    do {                                                           \
        net_counters *c = &(p)->stats.total;                       \
        body;                                                      \
        for (int i_ = 0; i_ < (p)->ntags; i_++) {                  \
            int t_ = (p)->tags[i_], dup_ = 0;                      \
            for (int j_ = 0; j_ < i_; j_++) dup_ |= (p)->tags[j_] == t_; \
            if (dup_) continue;                                    \
            c = &(p)->stats.tag[t_];                               \
            body;                                                  \
        }                                                          \
    } while (0)

static void bump_depth(net_party *p, uint64_t label)
{
    if (label > p->depth) {
        uint64_t k = label - p->depth;
        FOR_COUNTERS(p, c, c->rounds += k);
        p->depth = label;
    }
}

static void check_peer(const net_party *p, int peer)
{
    CHECK(peer >= 0 && peer < p->nparties && peer != p->self, "party %d cannot talk to peer %d",
          p->self, peer);
}

static void charge(net_party *p, int64_t ns)
{
    if (ns <= 0) return;
    p->vt->advance(p, ns);
    p->cp[NET_CP_COMPUTE] += ns;
    FOR_COUNTERS(p, c, c->compute_ns += ns);
}

void net_charge(net_party *p, int64_t ns, int kind)
{
    if (ns <= 0) return;
    if (kind == NET_CP_COMPUTE) {
        charge(p, ns);
        return;
    }
    p->vt->advance(p, ns);
    p->cp[NET_CP_TRANSFER] += ns;
    FOR_COUNTERS(p, c, c->transfer_ns += ns);
}

/* The runtime model applies to the link between the two compute parties. */
static int rt_link(const net_party *p, int peer)
{
    return p->rt && (p->self == NET_P0 || p->self == NET_P1) && (peer == NET_P0 || peer == NET_P1) &&
           !p->offline_peer[peer];
}

static int rt_settle(net_party *p)
{
    return p->rt ? p->rt_vt->settle(p) : NET_OK;
}

void net_measure_point(net_party *p)
{
    if (!p->cpu_clock) return;
    int64_t now = p->cpu_clock();
    if (p->cpu_mark) charge(p, now - p->cpu_mark);
    p->cpu_mark = p->cpu_clock(); /* exclude the simulator's own bookkeeping */
}

static int lending = 1;

void net_set_lending(int on) { lending = on; }

/* A send of buf's n bytes, or (commit) of the backend's open storage for peer. */
static int send_(net_party *p, int peer, const void *buf, size_t n, int commit)
{
    check_peer(p, peer);
    net_measure_point(p);
    net_msg_info meta = {0};
    if (!p->offline_peer[peer]) {
        meta.label = p->rmax + 1;
        bump_depth(p, meta.label);
    }
    memcpy(meta.cp, p->cp, sizeof meta.cp);
    FOR_COUNTERS(p, c, (c->sent_bytes[peer] += n, c->sent_msgs[peer]++));
    if (rt_link(p, peer)) return p->rt_vt->send(p, peer, buf, n, &meta);
    int rc = rt_settle(p);
    if (rc != NET_OK) return rc;
    return commit ? p->vt->send_commit(p, peer, n, &meta) : p->vt->send(p, peer, buf, n, &meta);
}

int net_send(net_party *p, int peer, const void *buf, size_t n)
{
    CHECK(p->sending[peer] != 1, "%s sends to %s while its opened send storage is not committed",
          net_party_names[p->self], net_party_names[peer]);
    return send_(p, peer, buf, n, 0);
}

void *net_send_open(net_party *p, net_sendbuf *s, int peer, void *fallback, size_t n)
{
    check_peer(p, peer);
    CHECK(!p->sending[peer], "%s opens a second send storage for %s (net_send_release first)", net_party_names[p->self],
          net_party_names[peer]);
    int backend = fallback && n && lending && p->vt->send_open && !rt_link(p, peer);
    s->bytes = backend ? p->vt->send_open(p, peer, n) : fallback;
    s->n = n;
    s->peer = peer;
    p->sending[peer] = 1;
    p->sending_backend[peer] = backend;
    return s->bytes;
}

int net_send_commit(net_party *p, net_sendbuf *s)
{
    int peer = s->peer;
    check_peer(p, peer);
    CHECK(p->sending[peer] == 1, "%s commits a send to %s it did not open", net_party_names[p->self], net_party_names[peer]);
    p->sending[peer] = 2;
    return send_(p, peer, s->bytes, s->n, p->sending_backend[peer]);
}

void net_send_release(net_party *p, net_sendbuf *s)
{
    int peer = s->peer;
    check_peer(p, peer);
    CHECK(p->sending[peer] == 2, "%s releases a send to %s it did not commit", net_party_names[p->self],
          net_party_names[peer]);
    if (p->sending_backend[peer]) p->vt->send_release(p, peer);
    p->sending[peer] = 0;
    p->sending_backend[peer] = 0;
    s->bytes = NULL;
}

static int64_t overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
    int64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0;
}

/* A receive: into buf (lend == NULL), or lent (*lend = the backend's view, or buf when the backend cannot
 * lend; *by_backend says which). */
static int recv_(net_party *p, int peer, void *buf, size_t n, const void **lend, int *by_backend)
{
    check_peer(p, peer);
    CHECK(!p->loan[peer], "%s receives from %s while it still holds a lent message from it (net_loan_return first)",
          net_party_names[p->self], net_party_names[peer]);
    net_measure_point(p);
    int64_t t0 = p->vt->now(p);
    net_msg_info info;
    memset(&info, 0, sizeof info);
    int rc = rt_link(p, peer) ? p->rt_vt->recv(p, peer, buf, n, &info) : rt_settle(p);
    if (rc == NET_OK && !rt_link(p, peer)) {
        if (lend && lending && p->vt->recv_lend) {
            rc = p->vt->recv_lend(p, peer, lend, buf != NULL, n, &info);
            *by_backend = 1;
        } else {
            rc = p->vt->recv(p, peer, buf, n, &info);
        }
    }
    if (rc != NET_OK) return rc;
    int64_t t1 = p->vt->now(p);
    if (info.label > p->rmax) p->rmax = info.label;
    bump_depth(p, info.label);
    int64_t other = overlap(t0, t1, INT64_MIN, info.t_send);
    int64_t xfer = overlap(t0, t1, info.t_send, info.t_depart);
    int64_t lat = overlap(t0, t1, info.t_depart, INT64_MAX);
    FOR_COUNTERS(p, c, (c->recv_bytes[peer] += n, c->recv_msgs[peer]++, c->other_ns += other,
                        c->transfer_ns += xfer, c->latency_ns += lat));
    if (t1 > t0) { /* this message determined our clock: inherit the sender's critical path */
        p->cp[NET_CP_COMPUTE] = info.cp[NET_CP_COMPUTE];
        p->cp[NET_CP_TRANSFER] = info.cp[NET_CP_TRANSFER] + (info.t_depart - info.t_send);
        p->cp[NET_CP_LATENCY] = info.cp[NET_CP_LATENCY] + (t1 - info.t_depart);
    }
    if (p->cpu_clock) p->cpu_mark = p->cpu_clock();
    return NET_OK;
}

int net_recv(net_party *p, int peer, void *buf, size_t n) { return recv_(p, peer, buf, n, NULL, NULL); }

int net_recv_lend(net_party *p, int peer, net_loan *l, void *fallback, size_t n)
{
    const void *view = fallback;
    int by_backend = 0;
    memset(l, 0, sizeof *l);
    int rc = recv_(p, peer, fallback, n, &view, &by_backend);
    if (rc != NET_OK) return rc;
    l->bytes = view;
    l->n = n;
    l->peer = peer;
    l->id = ++p->loan_ids;
    p->loan[peer] = l->id;
    p->loan_backend[peer] = by_backend;
    return NET_OK;
}

static void check_loan(const net_party *p, const net_loan *l)
{
    CHECK(l->id && l->peer >= 0 && l->peer < NET_MAX_PARTIES && p->loan[l->peer] == l->id,
          "%s uses a lent message that was returned (or never lent)", net_party_names[p->self]);
}

const void *net_loan_bytes(const net_party *p, const net_loan *l)
{
    check_loan(p, l);
    return l->bytes;
}

void net_loan_return(net_party *p, net_loan *l)
{
    check_loan(p, l);
    if (p->loan_backend[l->peer]) p->vt->lend_return(p, l->peer);
    p->loan[l->peer] = 0;
    p->loan_backend[l->peer] = 0;
    l->id = 0;
    l->bytes = NULL;
}

int net_flush(net_party *p, int peer)
{
    check_peer(p, peer);
    return p->vt->flush ? p->vt->flush(p, peer) : NET_OK;
}

int64_t net_now(net_party *p) { return p->vt->now(p); }

void net_compute(net_party *p, const net_work *w)
{
    if (p->rt) CHECK(p->rt_vt->settle(p) == NET_OK, "runtime: a held send failed");
    if (!p->cost || p->cpu_clock) return;
    int64_t ns = p->cost(p->cost_ud, w);
    CHECK(ns >= 0, "compute model returned %lld ns", (long long)ns);
    charge(p, ns);
}

void net_tag_push(net_party *p, int tag)
{
    CHECK(tag >= 0 && tag < NET_MAX_TAGS, "tag %d out of range", tag);
    CHECK(p->ntags < NET_TAG_DEPTH, "tag stack overflow (depth %d)", NET_TAG_DEPTH);
    if (p->rt) CHECK(p->rt_vt->settle(p) == NET_OK, "runtime: a held send failed");
    p->tags[p->ntags++] = tag;
    if (p->rt) p->rt_vt->op(p); /* host overhead of this op call, inside its own tag */
    if (p->tag_hook) p->tag_hook(p->tag_hook_ud, p, tag, 1);
}

void net_tag_pop(net_party *p, int tag)
{
    CHECK(p->ntags > 0 && p->tags[p->ntags - 1] == tag, "tag pop %d does not match the top of the stack",
          tag);
    if (p->rt) CHECK(p->rt_vt->settle(p) == NET_OK, "runtime: a held send failed");
    p->ntags--;
    if (p->tag_hook) p->tag_hook(p->tag_hook_ud, p, tag, 0);
}

uint64_t net_counters_sent(const net_counters *c, unsigned peer_mask)
{
    uint64_t s = 0;
    for (int i = 0; i < NET_MAX_PARTIES; i++)
        if (peer_mask & (1u << i)) s += c->sent_bytes[i];
    return s;
}

uint64_t net_counters_recv(const net_counters *c, unsigned peer_mask)
{
    uint64_t s = 0;
    for (int i = 0; i < NET_MAX_PARTIES; i++)
        if (peer_mask & (1u << i)) s += c->recv_bytes[i];
    return s;
}

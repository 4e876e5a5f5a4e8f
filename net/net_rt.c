/* net_rt.c -- the crypten-gloo runtime model. See net_rt.h. */
#include "net_rt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void net_rt_init(net_rt *rt, const net_rt_cfg *cfg)
{
    memset(rt, 0, sizeof *rt);
    rt->cfg = cfg;
}

void net_rt_free(net_rt *rt)
{
    free(rt->pend_buf);
    rt->pend_buf = NULL;
}

net_rt_ring net_rt_ring_plan(uint64_t T)
{
    uint64_t S = (T + NET_RT_MAX_SEGMENT - 1) / NET_RT_MAX_SEGMENT;
    if (S < 4) S = 4;
    S += S & 1;
    uint64_t seg = (T + S - 1) / S;
    seg = (seg + 7) / 8 * 8;
    net_rt_ring g = {(size_t)(S / 2), (size_t)seg};
    return g;
}

uint64_t net_rt_ring_len(const net_rt_ring *g, uint64_t T, int chunk, size_t i)
{
    uint64_t off = ((uint64_t)chunk * g->nseg_per_rank + i) * g->seg;
    if (off >= T) return 0;
    return T - off < g->seg ? T - off : g->seg;
}

static uint64_t ctl_bytes_(const net_rt_ring *g, uint64_t T, int sc, int rch, size_t s0, size_t s1)
{
    uint64_t b = 0;
    for (size_t i = s0; i < s1; i++)
        b += (net_rt_ring_len(g, T, rch, i) ? NET_RT_PREAMBLE : 0) + (net_rt_ring_len(g, T, sc, i) ? NET_RT_PREAMBLE : 0);
    return b;
}

static uint64_t data_bytes_(const net_rt_ring *g, uint64_t T, int sc, size_t s0, size_t s1)
{
    uint64_t b = 0;
    for (size_t i = s0; i < s1; i++) {
        uint64_t len = net_rt_ring_len(g, T, sc, i);
        b += len ? NET_RT_PREAMBLE + len : 0;
    }
    return b;
}

void net_rt_allreduce_cost(uint64_t T, double *cross, double *crit_bytes)
{
    /* Per step: the peer's notifications, then my data: rank r's data reaches q after ctl_q + data_r
     * bytes and two latencies; the step ends when both have arrived. */
    net_rt_ring g = net_rt_ring_plan(T);
    double c = 0, b = 0;
    for (int ph = 0; ph < 2; ph++)
        for (size_t s0 = 0; s0 < g.nseg_per_rank; s0 += 2) {
            size_t s1 = s0 + 2 < g.nseg_per_rank ? s0 + 2 : g.nseg_per_rank;
            /* phase 0: rank r sends chunk 1-r; phase 1: chunk r */
            int sc0 = ph == 0 ? 1 : 0, sc1 = 1 - sc0;
            double a = (double)(ctl_bytes_(&g, T, sc1, sc0, s0, s1) + data_bytes_(&g, T, sc0, s0, s1));
            double d = (double)(ctl_bytes_(&g, T, sc0, sc1, s0, s1) + data_bytes_(&g, T, sc1, s0, s1));
            c += 2;
            b += a > d ? a : d;
        }
    *cross = c;
    *crit_bytes = b;
}

void net_rt_oneway_cost(uint64_t n, double *cross, double *crit_bytes)
{
    *cross = 2;
    *crit_bytes = (double)(2 * NET_RT_PREAMBLE + n);
}

static void acc_add(net_party *p, double cross, double crit, uint64_t T, uint64_t calls, uint64_t tcalls)
{
    net_rt_stats *st = &p->rt->st;
    net_rt_acc *a = &st->total;
    a->cross += cross, a->crit_bytes += crit, a->coll += calls ? 0 : 1, a->coll_bytes += T, a->calls += calls;
    a->tag_calls += tcalls;
    for (int i = 0; i < p->ntags; i++) {
        int t = p->tags[i], dup = 0;
        for (int j = 0; j < i; j++) dup |= p->tags[j] == t;
        if (dup) continue;
        a = &st->tag[t];
        a->cross += cross, a->crit_bytes += crit, a->coll += calls ? 0 : 1, a->coll_bytes += T, a->calls += calls;
        a->tag_calls += tcalls;
    }
}

/* ---- wire ops ---- */

static int wire_send(net_party *p, int peer, const void *payload, size_t len, const net_msg_info *meta)
{
    size_t n = NET_RT_PREAMBLE + len;
    uint8_t *tmp = NULL;
    if (payload && len) { /* real mode: preamble (zeros) + payload */
        tmp = chk_calloc(1, n);
        memcpy(tmp + NET_RT_PREAMBLE, payload, len);
    }
    int rc = p->vt->send(p, peer, tmp, n, meta);
    free(tmp);
    p->rt->st.wire_msgs++;
    p->rt->st.wire_bytes += n;
    if (!len) p->rt->st.ctl_msgs++;
    return rc;
}

static int ctl_send(net_party *p, int peer)
{
    net_msg_info m = {0};
    memcpy(m.cp, p->cp, sizeof m.cp);
    return wire_send(p, peer, NULL, 0, &m);
}

static int ctl_recv(net_party *p, int peer)
{
    net_msg_info info;
    return p->vt->recv(p, peer, NULL, NET_RT_PREAMBLE, &info);
}

static int data_recv(net_party *p, int peer, void *dst, size_t len, net_msg_info *info)
{
    size_t n = NET_RT_PREAMBLE + len;
    uint8_t *tmp = dst ? chk_malloc(n) : NULL;
    int rc = p->vt->recv(p, peer, tmp, n, info);
    if (rc == NET_OK && dst) memcpy(dst, tmp + NET_RT_PREAMBLE, len);
    free(tmp);
    return rc;
}

/* Host time around a collective of T bytes: half before (dispatch, device-to-host copy), half after. */
static int64_t host_half(const net_rt_cfg *c, uint64_t T)
{
    double s = c->coll_ns * 1e-9 + (c->copy_Bps > 0 ? 2.0 * (double)T / c->copy_Bps : 0);
    return (int64_t)llround(s * 0.5e9);
}

/* ---- the collectives ---- */

/* One-way: sender SEND_READY, waits RECV_READY, data. */
static int oneway_send(net_party *p, int peer, const void *buf, size_t n, const net_msg_info *meta)
{
    int64_t h = host_half(p->rt->cfg, n);
    net_charge(p, h, NET_CP_TRANSFER);
    int rc = ctl_send(p, peer);
    if (rc == NET_OK) rc = ctl_recv(p, peer);
    if (rc == NET_OK) rc = wire_send(p, peer, buf, n, meta);
    net_charge(p, h, NET_CP_TRANSFER);
    p->rt->st.oneways++;
    double c, b;
    net_rt_oneway_cost(n, &c, &b);
    acc_add(p, c, b, n, 0, 0);
    return rc;
}

static int oneway_recv(net_party *p, int peer, void *buf, size_t n, net_msg_info *info)
{
    int64_t h = host_half(p->rt->cfg, n);
    net_charge(p, h, NET_CP_TRANSFER);
    int rc = ctl_send(p, peer);
    if (rc == NET_OK) rc = ctl_recv(p, peer);
    if (rc == NET_OK) rc = data_recv(p, peer, buf, n, info);
    net_charge(p, h, NET_CP_TRANSFER);
    double c, b;
    net_rt_oneway_cost(n, &c, &b);
    acc_add(p, c, b, n, 0, 0);
    return rc;
}

/* isend + irecv of unequal sizes: both rendezvous first, then one data op each way. */
static int sendrecv(net_party *p, int peer, const void *sbuf, size_t sn, const net_msg_info *meta, void *rbuf,
                    size_t rn, net_msg_info *info)
{
    int64_t h = host_half(p->rt->cfg, sn > rn ? sn : rn);
    net_charge(p, h, NET_CP_TRANSFER);
    int rc = ctl_send(p, peer); /* RECV_READY */
    if (rc == NET_OK) rc = ctl_send(p, peer); /* SEND_READY */
    if (rc == NET_OK) rc = ctl_recv(p, peer);
    if (rc == NET_OK) rc = ctl_recv(p, peer);
    if (rc == NET_OK) rc = wire_send(p, peer, sbuf, sn, meta);
    if (rc == NET_OK) rc = data_recv(p, peer, rbuf, rn, info);
    net_charge(p, h, NET_CP_TRANSFER);
    p->rt->st.sendrecvs++;
    acc_add(p, 2, (double)(3 * NET_RT_PREAMBLE + (sn > rn ? sn : rn)), sn > rn ? sn : rn, 0, 0);
    return rc;
}

/* One phase of the ring: send segments of chunk sc (from sbuf, the whole T-byte buffer), receive
 * segments of chunk rc_ into rbuf; two segments per step (see net_rt.h). */
static int ring_phase(net_party *p, int peer, const net_rt_ring *g, uint64_t T, int sc, int rch, const uint8_t *sbuf,
                      uint8_t *rbuf, const net_msg_info *meta, net_msg_info *info)
{
    int rc = NET_OK;
    for (size_t s0 = 0; s0 < g->nseg_per_rank && rc == NET_OK; s0 += 2) {
        size_t s1 = s0 + 2 < g->nseg_per_rank ? s0 + 2 : g->nseg_per_rank;
        for (size_t i = s0; i < s1 && rc == NET_OK; i++) { /* post recv, then send (gloo's order) */
            if (net_rt_ring_len(g, T, rch, i)) rc = ctl_send(p, peer);
            if (rc == NET_OK && net_rt_ring_len(g, T, sc, i)) rc = ctl_send(p, peer);
        }
        for (size_t i = s0; i < s1 && rc == NET_OK; i++) { /* the peer's: it receives sc, sends rch */
            if (net_rt_ring_len(g, T, sc, i)) rc = ctl_recv(p, peer);
            if (rc == NET_OK && net_rt_ring_len(g, T, rch, i)) rc = ctl_recv(p, peer);
        }
        for (size_t i = s0; i < s1 && rc == NET_OK; i++) {
            uint64_t len = net_rt_ring_len(g, T, sc, i), off = ((uint64_t)sc * g->nseg_per_rank + i) * g->seg;
            if (len) rc = wire_send(p, peer, sbuf ? sbuf + off : NULL, len, meta);
        }
        for (size_t i = s0; i < s1 && rc == NET_OK; i++) {
            uint64_t len = net_rt_ring_len(g, T, rch, i), off = ((uint64_t)rch * g->nseg_per_rank + i) * g->seg;
            if (len) rc = data_recv(p, peer, rbuf ? rbuf + off : NULL, len, info);
        }
    }
    return rc;
}

/* Our exchange as gloo's ring all_reduce. The data ops carry the peer's raw share bytes (the protocol
 * adds them itself); sizes and order are gloo's. */
static int allreduce(net_party *p, int peer, const uint8_t *sbuf, uint8_t *rbuf, size_t T, const net_msg_info *meta,
                     net_msg_info *info)
{
    int r = p->self == NET_P0 ? 0 : 1;
    net_rt_ring g = net_rt_ring_plan(T);
    int64_t h = host_half(p->rt->cfg, T);
    net_charge(p, h, NET_CP_TRANSFER);
    /* reduce-scatter: send the peer's chunk, receive mine; all-gather: send mine, receive the peer's */
    int rc = ring_phase(p, peer, &g, T, 1 - r, r, sbuf, rbuf, meta, info);
    net_msg_info m2 = *meta;
    memcpy(m2.cp, p->cp, sizeof m2.cp);
    if (rc == NET_OK) rc = ring_phase(p, peer, &g, T, r, 1 - r, sbuf, rbuf, &m2, info);
    net_charge(p, h, NET_CP_TRANSFER);
    p->rt->st.allreduces++;
    double c, b;
    net_rt_allreduce_cost(T, &c, &b);
    acc_add(p, c, b, T, 0, 0);
    return rc;
}

/* ---- the hook's entry points (net.h's net_rt_vt), called by net.c ---- */

/* Resolves a held send as a one-way transfer (called before any other transport call). */
static int rt_settle(net_party *p)
{
    net_rt *rt = p->rt;
    if (!rt || !rt->pend) return NET_OK;
    rt->pend = 0;
    int rc = oneway_send(p, rt->pend_peer, rt->pend_buf, rt->pend_n, &rt->pend_meta);
    free(rt->pend_buf);
    rt->pend_buf = NULL;
    return rc;
}

static int rt_send(net_party *p, int peer, const void *buf, size_t n, const net_msg_info *meta)
{
    int rc = rt_settle(p);
    if (rc != NET_OK) return rc;
    net_rt *rt = p->rt;
    rt->pend = 1;
    rt->pend_peer = peer;
    rt->pend_n = n;
    rt->pend_meta = *meta;
    if (buf && n) {
        rt->pend_buf = chk_malloc(n);
        memcpy(rt->pend_buf, buf, n);
    }
    return NET_OK;
}

/* Receives a protocol message of n bytes from peer; info is that of its last data op. */
static int rt_recv(net_party *p, int peer, void *buf, size_t n, net_msg_info *info)
{
    net_rt *rt = p->rt;
    if (rt->pend && rt->pend_peer == peer) {
        rt->pend = 0;
        uint8_t *sbuf = rt->pend_buf;
        rt->pend_buf = NULL;
        int rc = rt->pend_n == n ? allreduce(p, peer, sbuf, buf, n, &rt->pend_meta, info)
                                 : sendrecv(p, peer, sbuf, rt->pend_n, &rt->pend_meta, buf, n, info);
        free(sbuf);
        return rc;
    }
    int rc = rt_settle(p);
    if (rc != NET_OK) return rc;
    return oneway_recv(p, peer, buf, n, info);
}

/* Per op call host overhead (called on each tag push). */
static void rt_op(net_party *p)
{
    const net_rt_cfg *c = p->rt->cfg;
    int tc = c->call_tag > 0 && p->ntags > 0 && p->tags[p->ntags - 1] == c->call_tag;
    p->rt->st.op_calls++;
    acc_add(p, 0, 0, 0, 1, (uint64_t)tc);
    net_charge(p, c->op_ns + (tc ? c->call_ns : 0), NET_CP_COMPUTE);
}

static const net_rt_vt rt_hook = {rt_send, rt_recv, rt_settle, rt_op};

void net_rt_attach(net_party *p, net_rt *rt)
{
    p->rt = rt;
    p->rt_vt = rt ? &rt_hook : NULL;
}

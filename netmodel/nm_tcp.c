/* nm_tcp.c -- the TCP-aware link model. See nm_tcp.h for the equations and their sources. */
#include "nm_tcp.h"

#include <stddef.h>

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* Window after a round that used u segments (slow start, cwnd-limited growth only). */
static uint32_t grow(uint32_t cwnd, uint32_t u)
{
    uint64_t c = (uint64_t)cwnd + u, twice = 2 * (uint64_t)u;
    if (twice < c) c = twice;
    if (c < cwnd) c = cwnd;
    if (c > NM_TCP_WND_MAX) c = NM_TCP_WND_MAX;
    return (uint32_t)c;
}

uint32_t nm_tcp_restart_cwnd(uint32_t cwnd, int64_t idle, int64_t rtt)
{
    int64_t rto = nm_time_add(rtt, NM_TCP_RTO_MIN_NS);
    uint32_t lo = cwnd < NM_TCP_IW ? cwnd : NM_TCP_IW;
    if (idle <= rto) return cwnd;
    int64_t h = (idle - 1) / rto; /* whole RTOs strictly below idle: >= 1 here */
    uint32_t c = h >= 32 ? 0 : cwnd >> h;
    return c > lo ? c : lo;
}

int64_t nm_tcp_transmit(nm_link *l, int64_t now, uint64_t bytes, int64_t *depart)
{
    return nm_tcp_transmit_segs(l, now, bytes, depart, NULL, NULL);
}

int64_t nm_tcp_transmit_segs(nm_link *l, int64_t now, uint64_t bytes, int64_t *depart, nm_tcp_seg_fn fn,
                             void *ud)
{
    nm_tcp_state *st = &l->tcp;
    const int64_t lat = l->spec.latency_ns, rtt = nm_time_add(lat, lat);
    const uint64_t seg_wire = NM_TCP_MSS + NM_TCP_SEG_OVERHEAD;
    if (st->cwnd == 0) st->cwnd = NM_TCP_IW;

    /* The ACKs of the open round are back: the window grows by what they acknowledged. */
    if (st->used > 0 && now >= st->round_ack) {
        st->cwnd = grow(st->cwnd, st->used);
        st->used = 0;
    }
    /* Restart after idle, only with nothing in flight. */
    if (st->segments > 0 && now >= st->last_ack)
        st->cwnd = nm_tcp_restart_cwnd(st->cwnd, now - st->last_send, rtt);

    uint64_t B = bytes + NM_TCP_MSG_HDR + l->spec.overhead_bytes;
    uint64_t S = (B + NM_TCP_MSS - 1) / NM_TCP_MSS; /* >= 1: B >= 48 */
    uint64_t last_payload = B - (S - 1) * NM_TCP_MSS;
    uint64_t left = S;
    int64_t t = now, d = now;
    while (left > 0) {
        if (st->used >= st->cwnd) { /* window full: wait for the round's first ACK */
            t = max64(t, st->round_ack);
            st->cwnd = grow(st->cwnd, st->used);
            st->used = 0;
        }
        uint64_t k = st->cwnd - st->used;
        if (k > left) k = left;
        /* k segments, back to back at the bottleneck; the last one of the message may be short */
        uint64_t wire = k * seg_wire;
        if (k == left) wire = wire - NM_TCP_MSS + last_payload;
        int64_t start = max64(t, l->busy_until);
        if (st->used == 0) {
            uint64_t first = (k == left && k == 1) ? last_payload + NM_TCP_SEG_OVERHEAD : seg_wire;
            st->round_ack = nm_time_add(nm_time_add(start, nm_tx_time(l->spec.bps, first)), rtt);
            st->rounds++;
        }
        d = nm_time_add(start, nm_tx_time(l->spec.bps, wire));
        for (uint64_t j = 0; fn && j < k; j++) { /* segment j of the burst leaves after its cumulative bytes */
            int last = (j + 1 == left);
            uint64_t off = (S - left + j) * NM_TCP_MSS;
            uint64_t len = last ? last_payload : NM_TCP_MSS;
            fn(ud, off, (uint32_t)len, last ? d : nm_time_add(start, nm_tx_time(l->spec.bps, (j + 1) * seg_wire)));
        }
        l->busy_until = d;
        st->used += (uint32_t)k;
        st->segments += k;
        left -= k;
        st->last_send = t;
    }
    st->last_ack = nm_time_add(d, rtt);
    *depart = d;
    return nm_time_add(d, lat);
}

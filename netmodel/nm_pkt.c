/* nm_pkt.c -- the packet-level TCP link model. See nm_pkt.h for what it models and its sources. */
#include "nm_pkt.h"

#include <stdlib.h>
#include <string.h>

#include "../common/chk.h"
#include "nm_link.h"
#include "nm_tcp.h"

#define WND NM_TCP_WND_MAX /* in-flight bound, so the ring of send times has WND slots */

enum { EV_DATA, EV_ACK, EV_DELACK };

typedef struct pev {
    int64_t t;
    uint64_t seq; /* creation order: ties run first-come first-served */
    uint64_t x;   /* EV_DATA: segment index; EV_ACK: cumulative ACK (segments); EV_DELACK: generation */
    uint64_t ack; /* EV_DATA: 1 + the cumulative ACK of the reverse direction it carries, 0 if none */
    uint8_t kind, src, dst, ends; /* the connection direction src -> dst; ends: segment completes a message */
} pev;

typedef struct pmsg {
    void *msg;
    uint64_t bytes;   /* B: header, overhead and payload */
    nm_pkt_times t;
} pmsg;

/* One connection direction src -> dst: the sender at src, the receiver at dst. */
typedef struct pdir {
    int used;
    nm_linkspec spec;
    /* messages: [head, len) not yet delivered; [tx, len) not fully segmented; tx_off bytes of q[tx] are */
    pmsg *q;
    size_t head, tx, len, cap;
    uint64_t tx_off;
    /* sender */
    uint64_t snd_nxt, snd_una; /* segment indices */
    uint32_t cwnd, ssthresh, cwnd_cnt;
    uint64_t max_out, usage_seq; /* tcp_cwnd_validate's max_packets_out and cwnd_usage_seq */
    int cwnd_limited;
    int64_t last_send, srtt, delay_min;
    int64_t sendt[WND];
    /* HyStart */
    int found;
    int64_t round_start, train_last, curr_rtt, exit_t;
    uint64_t end_seq;
    uint32_t samples;
    /* receiver */
    uint64_t rcv_nxt, rcv_acked, delack_gen;
    uint32_t quick;
    /* statistics */
    uint64_t segments, acks, delivered;
} pdir;

struct nm_pkt {
    pdir d[NM_MAX_PARTIES][NM_MAX_PARTIES];
    int64_t busy[NM_MAX_PARTIES][NM_MAX_PARTIES]; /* the bottleneck FIFO of direction i -> j */
    pev *heap;
    size_t nheap, capheap;
    uint64_t seq;
    int64_t now; /* time of the event being processed (or of the last one) */
};

/* ---- event heap, ordered by (t, seq) ---- */

static int ev_less(const pev *a, const pev *b) { return a->t < b->t || (a->t == b->t && a->seq < b->seq); }

static void push_ev(nm_pkt *p, pev e);

static void push(nm_pkt *p, int64_t t, int kind, int src, int dst, uint64_t x, int ends)
{
    push_ev(p, (pev){.t = t, .x = x, .kind = (uint8_t)kind, .src = (uint8_t)src, .dst = (uint8_t)dst, .ends = (uint8_t)ends});
}

static void push_ev(nm_pkt *p, pev e)
{
    if (p->nheap == p->capheap) {
        p->capheap = p->capheap ? 2 * p->capheap : 64;
        p->heap = chk_realloc(p->heap, p->capheap * sizeof *p->heap);
    }
    e.seq = p->seq++;
    size_t i = p->nheap++;
    while (i > 0 && ev_less(&e, &p->heap[(i - 1) / 2])) {
        p->heap[i] = p->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    p->heap[i] = e;
}

static pev pop(nm_pkt *p)
{
    pev top = p->heap[0], last = p->heap[--p->nheap];
    size_t i = 0, n = p->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && ev_less(&p->heap[c + 1], &p->heap[c])) c++;
        if (!ev_less(&p->heap[c], &last)) break;
        p->heap[i] = p->heap[c];
        i = c;
    }
    if (n) p->heap[i] = last;
    return top;
}

/* ---- frames on the bottleneck ---- */

/* Puts a frame of `wire` bytes on the FIFO src -> dst at t; returns its departure. */
static int64_t put_frame(nm_pkt *p, int src, int dst, int64_t t, uint64_t wire)
{
    const nm_linkspec *s = &p->d[src][dst].spec;
    int64_t start = t > p->busy[src][dst] ? t : p->busy[src][dst];
    int64_t dep = nm_time_add(start, nm_tx_time(s->bps, wire));
    p->busy[src][dst] = dep;
    return dep;
}

/* ---- sender ---- */

static int cwnd_limited(const pdir *d)
{
    if (d->cwnd_limited) return 1;
    return d->cwnd < d->ssthresh && (uint64_t)d->cwnd < 2 * d->max_out;
}

/* Linux tcp_cwnd_validate after a transmit attempt. */
static void cwnd_validate(pdir *d, int limited)
{
    uint64_t out = d->snd_nxt - d->snd_una;
    if (d->snd_una >= d->usage_seq || limited || out > d->max_out) {
        d->cwnd_limited = limited;
        d->max_out = out;
        d->usage_seq = d->snd_nxt;
    }
}

static void try_send(nm_pkt *p, int src, int dst, int64_t t)
{
    pdir *d = &p->d[src][dst];
    int sent = 0, limited = 0;
    while (d->tx < d->len) {
        if (d->snd_nxt - d->snd_una >= d->cwnd) {
            limited = 1;
            break;
        }
        pmsg *m = &d->q[d->tx];
        uint64_t left = m->bytes - d->tx_off;
        uint64_t n = left < NM_TCP_MSS ? left : NM_TCP_MSS;
        int ends = n == left;
        if (d->tx_off == 0) m->t.t_tx_start = t;
        int64_t dep = put_frame(p, src, dst, t, n + NM_TCP_SEG_OVERHEAD);
        /* The segment carries src's cumulative ACK of the reverse direction: whatever src has
         * received and not yet ACKed rides on it (a pending delayed ACK is then void). */
        pdir *r = &p->d[dst][src];
        pev ev = {.t = nm_time_add(dep, d->spec.latency_ns), .x = d->snd_nxt, .kind = EV_DATA, .src = (uint8_t)src,
                  .dst = (uint8_t)dst, .ends = (uint8_t)ends};
        if (r->rcv_nxt > r->rcv_acked) {
            r->rcv_acked = r->rcv_nxt;
            r->delack_gen++;
            ev.ack = r->rcv_nxt + 1;
        }
        push_ev(p, ev);
        d->sendt[d->snd_nxt % WND] = t;
        d->snd_nxt++;
        d->segments++;
        sent = 1;
        if (ends) {
            m->t.t_depart = dep;
            d->tx++;
            d->tx_off = 0;
        } else {
            d->tx_off += n;
        }
    }
    if (sent || limited) cwnd_validate(d, limited);
    if (sent) d->last_send = t;
}

/* HyStart (tcp_cubic.c hystart_update) for an ACK at t with RTT sample `delay`. */
static void hystart(pdir *d, int64_t t, int64_t delay)
{
    if (d->snd_una > d->end_seq) { /* a new round */
        d->round_start = d->train_last = t;
        d->end_seq = d->snd_nxt;
        d->curr_rtt = INT64_MAX;
        d->samples = 0;
    }
    if (d->cwnd < NM_PKT_HYSTART_LOW) return;
    if (t - d->train_last <= NM_PKT_HYSTART_ACK_DELTA_NS) {
        d->train_last = t;
        /* ack_delay = 4 * GSO / pacing rate, the rate 2 * cwnd * MSS / srtt: 2 * GSO * srtt / (cwnd * MSS) ns,
         * capped at 1 ms */
        int64_t ack_delay = 1000000;
        uint64_t ad = 2ull * NM_PKT_GSO_MAX_SIZE * (uint64_t)d->srtt / ((uint64_t)d->cwnd * NM_TCP_MSS);
        if (ad < (uint64_t)ack_delay) ack_delay = (int64_t)ad;
        if (t - d->round_start > (d->delay_min + ack_delay) / 2) {
            d->found = 1;
            d->ssthresh = d->cwnd;
        }
    }
    if (d->curr_rtt > delay) d->curr_rtt = delay;
    if (d->samples < NM_PKT_HYSTART_MIN_SAMPLES) {
        d->samples++;
    } else {
        int64_t th = d->delay_min / 8;
        if (th < 4000000) th = 4000000;
        if (th > 16000000) th = 16000000;
        if (d->curr_rtt > d->delay_min + th) {
            d->found = 1;
            d->ssthresh = d->cwnd;
        }
    }
    if (d->found) d->exit_t = t;
}

static void cong_avoid(pdir *d, uint32_t acked)
{
    if (!cwnd_limited(d)) return;
    if (d->cwnd < d->ssthresh) { /* slow start, up to ssthresh */
        uint64_t c = (uint64_t)d->cwnd + acked;
        if (c > d->ssthresh) c = d->ssthresh;
        acked -= (uint32_t)(c - d->cwnd);
        d->cwnd = (uint32_t)c;
        if (!acked) goto clamp;
    }
    /* congestion avoidance (tcp_cong_avoid_ai): cubic's first epoch, or reno's one per window */
    uint32_t w = d->spec.cc == NM_CC_RENO ? d->cwnd : NM_PKT_CUBIC_CA_CNT;
    if (d->cwnd_cnt >= w) {
        d->cwnd_cnt = 0;
        d->cwnd++;
    }
    d->cwnd_cnt += acked;
    if (d->cwnd_cnt >= w) {
        uint32_t delta = d->cwnd_cnt / w;
        d->cwnd_cnt -= delta * w;
        d->cwnd += delta;
    }
clamp:
    if (d->cwnd > NM_TCP_WND_MAX) d->cwnd = NM_TCP_WND_MAX;
}

/* The sender of src -> dst reads a cumulative ACK x at t (window, RTT, HyStart); sending is the
 * caller's. */
static void ack_in(nm_pkt *p, int src, int dst, int64_t t, uint64_t x)
{
    pdir *d = &p->d[src][dst];
    d->acks++;
    if (x <= d->snd_una) return; /* nothing new (cannot happen on a FIFO, kept for safety) */
    uint32_t acked = (uint32_t)(x - d->snd_una);
    int64_t rtt = t - d->sendt[(x - 1) % WND];
    if (rtt < 1) rtt = 1;
    d->snd_una = x;
    d->srtt = d->srtt ? d->srtt + (rtt - d->srtt) / 8 : rtt;
    if (d->delay_min == 0 || d->delay_min > rtt) d->delay_min = rtt;
    if (d->spec.cc == NM_CC_CUBIC && !d->found && d->cwnd < d->ssthresh) hystart(d, t, rtt);
    cong_avoid(d, acked);
}

static void on_ack(nm_pkt *p, const pev *e)
{
    ack_in(p, e->src, e->dst, e->t, e->x);
    try_send(p, e->src, e->dst, e->t);
}

/* ---- receiver ---- */

static void send_ack(nm_pkt *p, int src, int dst, int64_t t)
{
    pdir *d = &p->d[src][dst];
    d->rcv_acked = d->rcv_nxt;
    d->delack_gen++; /* a pending delayed ACK is void */
    int64_t dep = put_frame(p, dst, src, t, NM_PKT_ACK_WIRE);
    push(p, dep + p->d[dst][src].spec.latency_ns, EV_ACK, src, dst, d->rcv_nxt, 0);
}

/* A data segment arrives, in tcp_rcv_established's order: the ACK it carries, then the data, then
 * whatever the receiver may now send (its new segments carry the ACK of this data), then an ACK of
 * its own only if one is still due. */
static void on_data(nm_pkt *p, const pev *e, nm_pkt_deliver_fn fn, void *ud)
{
    pdir *d = &p->d[e->src][e->dst];
    CHECK(e->x == d->rcv_nxt, "packet model: segment %llu out of order", (unsigned long long)e->x);
    if (e->ack) ack_in(p, e->dst, e->src, e->t, e->ack - 1);
    d->rcv_nxt++;
    if (e->ends) {
        pmsg *m = &d->q[d->head++];
        m->t.t_arrive = e->t;
        d->delivered++;
        void *msg = m->msg;
        nm_pkt_times tm = m->t;
        if (fn) fn(ud, msg, &tm);
    }
    try_send(p, e->dst, e->src, e->t);
    if (d->rcv_nxt == d->rcv_acked) return; /* it rode on new data */
    if (d->quick > 0 || d->rcv_nxt - d->rcv_acked >= 2) {
        if (d->quick > 0) d->quick--;
        send_ack(p, e->src, e->dst, e->t);
    } else {
        /* A completed message is ACKed as soon as the application has read it: 1 ns later, so
         * that a reply it sends at once carries the ACK instead (see try_send). */
        int64_t at = nm_time_add(e->t, e->ends ? NM_PKT_REPLY_NS : NM_PKT_DELACK_NS);
        push(p, at, EV_DELACK, e->src, e->dst, ++d->delack_gen, 0);
    }
}

/* ---- API ---- */

nm_pkt *nm_pkt_create(const nm_topology *t)
{
    nm_pkt *p = chk_calloc(1, sizeof *p);
    for (int i = 0; i < t->n; i++)
        for (int j = 0; j < t->n; j++) {
            if (i == j) continue;
            pdir *d = &p->d[i][j];
            d->spec = t->link[i][j].spec;
            d->used = d->spec.model == NM_MODEL_PKT && !d->spec.offline;
            d->cwnd = NM_TCP_IW;
            d->ssthresh = UINT32_MAX;
            d->exit_t = -1;
            d->quick = NM_PKT_QUICKACKS;
        }
    for (int i = 0; i < t->n; i++)
        for (int j = 0; j < t->n; j++)
            CHECK(i == j || p->d[i][j].used == p->d[j][i].used, "packet model on link %d-%d in one direction only", i, j);
    return p;
}

void nm_pkt_destroy(nm_pkt *p)
{
    if (!p) return;
    for (int i = 0; i < NM_MAX_PARTIES; i++)
        for (int j = 0; j < NM_MAX_PARTIES; j++) free(p->d[i][j].q);
    free(p->heap);
    free(p);
}

void nm_pkt_send(nm_pkt *p, int src, int dst, int64_t now, uint64_t bytes, void *msg)
{
    CHECK(src >= 0 && dst >= 0 && src < NM_MAX_PARTIES && dst < NM_MAX_PARTIES && src != dst, "bad link %d-%d", src, dst);
    pdir *d = &p->d[src][dst];
    CHECK(d->used, "link %d-%d does not use the packet model", src, dst);
    CHECK(d->spec.model == NM_MODEL_PKT && d->spec.latency_ns >= 0 && d->spec.bps > 0, "bad packet-model link");
    CHECK(now >= p->now, "packet model: send at %lld before the model's time %lld", (long long)now, (long long)p->now);
    /* restart after idle: nothing in flight and no send for longer than an RTO */
    if (d->segments > 0 && d->snd_una == d->snd_nxt) {
        uint32_t c = nm_tcp_restart_cwnd(d->cwnd, now - d->last_send, 2 * d->spec.latency_ns);
        if (c != d->cwnd) {
            uint32_t keep = (d->cwnd >> 1) + (d->cwnd >> 2);
            if (d->ssthresh != UINT32_MAX && d->ssthresh < keep) d->ssthresh = keep;
            d->cwnd = c;
        }
    }
    if (d->head > 0 && d->head * 2 >= d->len) { /* drop delivered messages from the queue */
        memmove(d->q, d->q + d->head, (d->len - d->head) * sizeof *d->q);
        d->len -= d->head, d->tx -= d->head, d->head = 0;
    }
    if (d->len == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 16;
        d->q = chk_realloc(d->q, d->cap * sizeof *d->q);
    }
    pmsg *m = &d->q[d->len++];
    memset(m, 0, sizeof *m);
    m->msg = msg;
    m->bytes = bytes + NM_TCP_MSG_HDR + d->spec.overhead_bytes;
    try_send(p, src, dst, now);
}

void nm_pkt_prelude(nm_pkt *p, int a, int b, uint64_t bytes)
{
    CHECK(a >= 0 && b >= 0 && a < NM_MAX_PARTIES && b < NM_MAX_PARTIES && a != b, "bad link %d-%d", a, b);
    pdir *ab = &p->d[a][b], *ba = &p->d[b][a];
    CHECK(ab->used && ba->used, "link %d-%d does not use the packet model", a, b);
    CHECK(p->now == 0 && ab->segments == 0 && ba->segments == 0, "packet model: prelude after the start");
    uint64_t bab = bytes + NM_TCP_MSG_HDR + ab->spec.overhead_bytes, bba = bytes + NM_TCP_MSG_HDR + ba->spec.overhead_bytes;
    CHECK(bab <= NM_TCP_MSS && bba <= NM_TCP_MSS, "packet model: a prelude message must fit one segment");
    /* sent one frame time and one latency before 0, on idle FIFOs */
    int64_t ta = nm_time_add(nm_tx_time(ab->spec.bps, bab + NM_TCP_SEG_OVERHEAD), ab->spec.latency_ns);
    int64_t tb = nm_time_add(nm_tx_time(ba->spec.bps, bba + NM_TCP_SEG_OVERHEAD), ba->spec.latency_ns);
    p->now = ta > tb ? -ta : -tb;
    p->busy[a][b] = p->busy[b][a] = p->now;
    nm_pkt_send(p, a, b, -ta, bytes, NULL);
    nm_pkt_send(p, b, a, -tb, bytes, NULL);
    ab->quick = ba->quick = 0;
    /* HyStart's round: the setup's last message was ACKed after the barrier went out (the barrier
     * follows the peer's last setup message, one one-way latency after that message's own), so the
     * round that began then ends with the barrier, and the first data ACK begins the next. */
    ab->end_seq = ab->snd_nxt, ba->end_seq = ba->snd_nxt;
    nm_pkt_run(p, 0, NULL, NULL);
    p->now = 0;
}

int64_t nm_pkt_next(const nm_pkt *p) { return p->nheap ? p->heap[0].t : INT64_MAX; }

void nm_pkt_run(nm_pkt *p, int64_t t, nm_pkt_deliver_fn fn, void *ud)
{
    while (p->nheap && p->heap[0].t <= t) {
        pev e = pop(p);
        p->now = e.t;
        switch (e.kind) {
        case EV_DATA: on_data(p, &e, fn, ud); break;
        case EV_ACK: on_ack(p, &e); break;
        case EV_DELACK: {
            pdir *d = &p->d[e.src][e.dst];
            if (e.x == d->delack_gen && d->rcv_nxt > d->rcv_acked) send_ack(p, e.src, e.dst, e.t);
            break;
        }
        }
    }
}

void nm_pkt_stats_get(const nm_pkt *p, int src, int dst, nm_pkt_stats *out)
{
    CHECK(src >= 0 && dst >= 0 && src < NM_MAX_PARTIES && dst < NM_MAX_PARTIES, "bad link %d-%d", src, dst);
    const pdir *d = &p->d[src][dst];
    out->cwnd = d->cwnd;
    out->ssthresh = d->ssthresh;
    out->hystart_exit_ns = d->found ? d->exit_t : -1;
    out->delay_min_ns = d->delay_min;
    out->srtt_ns = d->srtt;
    out->segments = d->segments;
    out->acks = d->acks;
    out->messages = d->delivered;
}

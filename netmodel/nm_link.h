/* nm_link.h -- one direction of a link: its settings (bandwidth, latency, per-message overhead,
 * link model), its state (busy until, the TCP model's window), the serialization time, and the full
 * mesh of links between the parties (nm_topology). The bottom
 * of netmodel/: nm_tcp.c builds on it, nm.c dispatches between the models (nm.h). */
#ifndef NM_LINK_H
#define NM_LINK_H

#include <stdint.h>

/* Parties of a topology (nm.h) and of the packet model (nm_pkt.h). */
#define NM_MAX_PARTIES 3

/* Link models (nm_linkspec.model). */
enum {
    NM_MODEL_IDEAL = 0, /* store-and-forward FIFO of whole messages (nm.h) */
    NM_MODEL_TCP = 1,   /* nm_tcp.h: round model of slow start */
    NM_MODEL_PKT = 2,   /* nm_pkt.h: packet-level TCP with ACKs, HyStart and CUBIC */
};

/* Congestion control of the packet model (nm_linkspec.cc). */
enum {
    NM_CC_CUBIC = 0, /* Linux's default, and the real backend's */
    NM_CC_RENO = 1,
};

typedef struct nm_linkspec {
    uint64_t bps;           /* bandwidth in bit/s, > 0 */
    int64_t latency_ns;     /* one-way propagation delay, >= 0 */
    uint32_t overhead_bytes; /* per-message framing charged on the wire, default 0 */
    int offline;            /* 1: zero-time link (offline dealer schedule) */
    int model;              /* NM_MODEL_IDEAL (0, default), NM_MODEL_TCP or NM_MODEL_PKT */
    int cc;                 /* NM_MODEL_PKT only: NM_CC_CUBIC (0, default) or NM_CC_RENO */
} nm_linkspec;

/* Per-direction connection state; all zero = a fresh connection (cwnd 0 means "not used yet"). */
typedef struct nm_tcp_state {
    uint32_t cwnd;     /* congestion window, segments */
    uint32_t used;     /* segments sent in the current round */
    int64_t round_ack; /* when the current round's first ACK returns (valid when used > 0) */
    int64_t last_send; /* release time of the last segment sent (Linux lsndtime) */
    int64_t last_ack;  /* when the ACK of the last segment sent returns: nothing in flight after */
    uint64_t segments; /* segments sent so far (statistics) */
    uint64_t rounds;   /* rounds (windows) opened so far (statistics) */
} nm_tcp_state;

typedef struct nm_link {
    nm_linkspec spec;
    int64_t busy_until;
    nm_tcp_state tcp; /* NM_MODEL_TCP only; all zero = fresh connection */
} nm_link;

/* A full mesh of n <= NM_MAX_PARTIES parties: link[i][j] is the direction i -> j. */
typedef struct nm_topology {
    int n;
    nm_link link[NM_MAX_PARTIES][NM_MAX_PARTIES];
} nm_topology;

/* ceil(bytes * 8e9 / bps) in ns, exact (128-bit intermediate); NM_TIME_MAX if it does not fit. */
int64_t nm_tx_time(uint64_t bps, uint64_t bytes);

/* Virtual times at or beyond NM_TIME_MAX (2^63 - 1 ns, about 292 years) are out of range: time
 * arithmetic saturates there instead of overflowing, and the simulator stops a run that schedules
 * an event at that time with a clear input error (sim.h, SIM_ETIME). */
#define NM_TIME_MAX INT64_MAX
/* a + b for a, b >= 0, saturating at NM_TIME_MAX. */
static inline int64_t nm_time_add(int64_t a, int64_t b)
{
    return a > NM_TIME_MAX - b ? NM_TIME_MAX : a + b;
}

#endif

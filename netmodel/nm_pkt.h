/* nm_pkt.h -- packet-level TCP link model: every segment and every ACK is an event.
 * Selected with nm_linkspec.model = NM_MODEL_PKT (`--link-model packet`), congestion control with
 * nm_linkspec.cc (`--congestion cubic|reno`, cubic by default as in the real backend).
 *
 * Why beside the round model of nm_tcp.h: Linux CUBIC's HyStart ends slow start as soon as a round's
 * ACK train outlasts about half the minimum RTT, at short delays long before the pipe is full, and
 * the window then grows by 5% per round trip; in an MPC exchange both parties send at once, so the
 * ACKs of one direction also wait at the bottleneck behind the other direction's data. Measured on
 * emulated links (scripts/validate.sh) cubic is up to 22% slower than reno at 2-5 ms one way; only a
 * model with real ACKs shows it.
 *
 * What is modelled, per party pair (one connection; both directions):
 *   - the stream: every message is B = n + NM_TCP_MSG_HDR (+ overhead_bytes) bytes, cut into
 *     NM_TCP_MSS-byte segments, each message starting a new segment (as in nm_tcp.h);
 *   - the bottleneck: one FIFO per direction, store and forward at the link's rate, shared by that
 *     direction's data frames (payload + NM_TCP_SEG_OVERHEAD) and the reverse connection's pure ACK
 *     frames (NM_PKT_ACK_WIRE bytes); a frame arrives one latency after it left; no loss;
 *   - the receiver (Linux): an ACK for the first NM_PKT_QUICKACKS segments of a connection, then for
 *     every second segment, and for the segment that completes a message as soon as the
 *     application has read it (NM_PKT_REPLY_NS later); a lone segment is ACKed by the delayed-ACK
 *     timer, NM_PKT_DELACK_NS later. Every data segment carries its sender's cumulative ACK of the
 *     reverse direction (piggybacking): what it has received and not yet ACKed goes with it, and no
 *     pure ACK follows for that. So a reply sent at once carries the ACK of the request. An arriving
 *     segment is handled in tcp_rcv_established's order: the ACK it carries, its data, whatever the
 *     host may now send (carrying the ACK of that data), and a pure ACK only if one is still due;
 *     a model that sent before reading the data would queue that ACK behind the new burst and bunch
 *     the ACK trains HyStart measures;
 *   - the sender (Linux): cwnd from NM_TCP_IW; at most cwnd segments in flight and at most
 *     NM_TCP_WND_MAX (the receive window bound of nm_tcp.h); slow start adds one segment per ACKed
 *     segment while the flow is cwnd-limited (tcp_is_cwnd_limited: grow while cwnd < 2 * the most
 *     segments in flight during the last window); RTT sample = now - send time of the newest ACKed
 *     segment; restart after idle as in nm_tcp.h (RTO = 2 * latency + 200 ms, ssthresh kept at
 *     least 3/4 of the old window);
 *   - cubic: HyStart (tcp_cubic.c): a round begins at the first ACK past the data that was sent when
 *     the previous round began; once cwnd >= NM_PKT_HYSTART_LOW, slow start ends (ssthresh = cwnd)
 *       (ack train) when ACKs spaced at most NM_PKT_HYSTART_ACK_DELTA_NS apart have kept coming for
 *           more than (delay_min + ack_delay) / 2 since the round began, where
 *           ack_delay = min(1 ms, 4 * NM_PKT_GSO_MAX_SIZE / pacing rate) and the pacing rate is
 *           2 * cwnd * MSS / srtt (bytes/s; srtt the 1/8 moving average of the samples), or
 *       (delay) when the smallest of the round's first NM_PKT_HYSTART_MIN_SAMPLES RTT samples and
 *           later ones exceeds delay_min + clamp(delay_min / 8, 4 ms, 16 ms);
 *     then congestion avoidance adds one segment per 20 ACKed segments: CUBIC's growth before any
 *     loss (bictcp_update caps its ACK count at 20 while no maximum window is known; the cubic term,
 *     0.4 segments/s^3, is negligible over a run); reno has no HyStart and, without loss, stays in
 *     slow start.
 * Not modelled: loss and retransmission, pacing, receive-window autotuning, TSO/GRO, the
 * connection's setup traffic (a connection starts fresh at its first message, or from the
 * nm_pkt_prelude below: the barrier that starts the TCP backend's online phase), host timing (the
 * model's parties react at once), and Linux's ping-pong mode: after request/response traffic the
 * kernel holds a completed message's ACK until its reader sends data (or the delayed-ACK timer), where
 * the model ACKs it NM_PKT_REPLY_NS after arrival. With zero compute the reply is immediate and the two
 * agree; when a party starts late they do not: captures showed P0's late start (0.26-0.41 ms, waiting
 * for the dealer) delaying the barrier's ACK, and with it P1's extra segments, by that much, which
 * put P1's ACK trains over HyStart's threshold at 200 Mbit/s, 2 ms.
 * All times are integer nanoseconds; events at equal times run in the order they were created, so a
 * run is deterministic. */
#ifndef NM_PKT_H
#define NM_PKT_H

#include <stdint.h>

#include "nm_tcp.h"

#define NM_PKT_ACK_WIRE 66u                  /* a pure ACK frame: Ethernet + IPv4 + TCP + timestamps */
#define NM_PKT_QUICKACKS 16u                 /* Linux TCP_MAX_QUICKACKS at a connection's first data */
#define NM_PKT_DELACK_NS 40000000            /* Linux TCP_DELACK_MIN, 40 ms */
#define NM_PKT_REPLY_NS 1                    /* the application's chance to reply before a message's ACK */
#define NM_PKT_HYSTART_LOW 16u               /* tcp_cubic hystart_low_window */
#define NM_PKT_HYSTART_ACK_DELTA_NS 2000000  /* tcp_cubic hystart_ack_delta_us, 2 ms */
#define NM_PKT_HYSTART_MIN_SAMPLES 8u        /* tcp_cubic HYSTART_MIN_SAMPLES */
#define NM_PKT_GSO_MAX_SIZE 65536u           /* sk_gso_max_size of a veth or common NIC */
#define NM_PKT_CUBIC_CA_CNT 20u              /* ACKed segments per window increment in CUBIC's first epoch */

struct nm_topology;
typedef struct nm_pkt nm_pkt;

/* What the receiver learns about a delivered message. */
typedef struct nm_pkt_times {
    int64_t t_tx_start; /* its first segment went to the bottleneck queue */
    int64_t t_depart;   /* its last segment left the sender (end of serialization) */
    int64_t t_arrive;   /* its last segment arrived: the message is available */
} nm_pkt_times;

typedef void (*nm_pkt_deliver_fn)(void *ud, void *msg, const nm_pkt_times *t);

/* A model of the links i -> j of `t` whose spec has model NM_MODEL_PKT and is not offline (the others
 * are never passed to nm_pkt_send). The specs are copied. */
nm_pkt *nm_pkt_create(const struct nm_topology *t);
void nm_pkt_destroy(nm_pkt *p); /* NULL: no-op */

/* Queues a message of `bytes` payload bytes from src to dst at `now` (>= the time of every event
 * processed so far) and sends what the window allows. `msg` comes back in the delivery callback. */
void nm_pkt_send(nm_pkt *p, int src, int dst, int64_t now, uint64_t bytes, void *msg);

/* Starts the connection a <-> b as the TCP backend starts its online phase (online_barrier in
 * runtime/rt_tcp.c): each side has sent the other a `bytes`-byte message, timed to arrive at 0,
 * where the application reads it. So at 0 each direction has that one segment in flight and unACKed:
 * the first window of the online phase is one segment short, and the ACK arrives with the peer's
 * first data, which then opens two more segments one one-way latency after the first burst. The
 * receivers are out of quickack mode: the setup's request-response exchange leaves a Linux
 * connection in its interactive ("pingpong") mode, and captures show ACKs for every second segment
 * from the first data on. Call once per pair, before any nm_pkt_send; runs the model to time 0 (the
 * prelude messages are never delivered to a callback, but count in nm_pkt_stats.messages). */
void nm_pkt_prelude(nm_pkt *p, int a, int b, uint64_t bytes);

/* Time of the next internal event (a frame arriving, a timer), INT64_MAX if none. */
int64_t nm_pkt_next(const nm_pkt *p);

/* Processes every event at or before `t`, in time order; calls fn for each message completed, in
 * the order they complete (per direction, the order they were sent). */
void nm_pkt_run(nm_pkt *p, int64_t t, nm_pkt_deliver_fn fn, void *ud);

/* State of the connection direction src -> dst, for tests, traces and `explain`. */
typedef struct nm_pkt_stats {
    uint32_t cwnd, ssthresh;   /* segments; ssthresh UINT32_MAX until slow start ends */
    int64_t hystart_exit_ns;   /* when HyStart ended slow start, -1 if it did not */
    int64_t delay_min_ns, srtt_ns;
    uint64_t segments, acks;   /* data segments sent, ACK frames received */
    uint64_t messages;         /* messages delivered */
} nm_pkt_stats;
void nm_pkt_stats_get(const nm_pkt *p, int src, int dst, nm_pkt_stats *out);

#endif

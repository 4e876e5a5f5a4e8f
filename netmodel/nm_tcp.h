/* nm_tcp.h -- a TCP-aware link model: segmentation, slow start, window carried across messages,
 * restart after idle. Selected per link with nm_linkspec.model = NM_MODEL_TCP (`--link-model tcp`);
 * the ideal FIFO of nm.h stays the default.
 *
 * What the real backend (net/net_tcp.c) puts on a connection, and what this model charges:
 *   - every message is a 48-byte frame header followed by its payload, written together, so one
 *     message is a byte stream of B = n + NM_TCP_MSG_HDR (+ the link's overhead_bytes) bytes;
 *   - the stream is cut into S = ceil(B / MSS) segments, MSS = 1448 (1500-byte MTU minus IPv4 20,
 *     TCP 20 and the timestamp option 12); each message starts a new segment (the backend flushes
 *     before it blocks in recv, and one MPC flight is normally one message per peer);
 *   - every segment costs NM_TCP_SEG_OVERHEAD = 66 extra bytes at the bottleneck: Ethernet 14 +
 *     IPv4 20 + TCP 20 + timestamps 12 (what tc's tbf/htb count per frame; preamble, FCS and the
 *     inter-frame gap are not charged).
 *
 * Congestion window, in whole segments, per link direction (one connection per peer pair):
 *   - cwnd starts at NM_TCP_IW = 10 (RFC 6928, Linux's default) at the first message;
 *   - round model of slow start with ACK clocking: a round opens with cwnd free slots; segments go
 *     out at their release time t (the message's send time, or the round's opening) and are
 *     serialized at the bottleneck:  start = max(t, busy), depart = start + ceil(8e9*wire/bps),
 *     busy = depart, arrive = depart + latency. The round's first ACK returns at
 *         ack1 = depart(first segment of the round) + 2 * latency
 *     (ACKs are immediate, never delayed, and cost no time on the reverse link), which opens the next
 *     round. Slow start adds one segment per ACKed segment (Linux counts ACKed segments, so delayed
 *     ACKs would not change this), so a round that used u segments ends with
 *         cwnd' = min(NM_TCP_WND_MAX, max(cwnd, min(cwnd + u, 2u)))
 *     which doubles a full window, and keeps an application-limited window from growing past twice
 *     what was in flight (Linux's tcp_is_cwnd_limited). Releasing the whole next round at ack1 is
 *     exact for ACK clocking when the previous round went out back to back (the k-th ACK releases
 *     segments 2k and 2k+1, never before the bottleneck could send them); it is optimistic when a
 *     round's segments were sent in bursts far apart.
 *   - no loss is modelled, so ssthresh is infinite and there is no congestion avoidance; the window
 *     is bounded by NM_TCP_WND_MAX segments instead (the receive window: Linux's tcp_rmem maximum of
 *     6 MiB advertises a few MB). HyStart, pacing and TSO/GSO burst limits are not modelled.
 *   - restart after idle (Linux tcp_slow_start_after_idle = 1): at a send with nothing in flight
 *     (now >= last ACK) and idle = now - (release time of the last segment) > RTO, where
 *         RTO = 2 * latency + NM_TCP_RTO_MIN_NS   (max(200 ms, srtt + 4 rttvar) simplified),
 *     cwnd is halved once for every whole RTO strictly below idle, h = (idle - 1) / RTO, but not below
 *     min(IW, cwnd) (tcp_cwnd_restart).
 * The message arrives when its last segment arrives: arrive = depart(last segment) + latency.
 * All arithmetic is integer nanoseconds and deterministic. */
#ifndef NM_TCP_H
#define NM_TCP_H

#include <stdint.h>

#include "nm_link.h"

#define NM_TCP_MSS 1448u            /* payload bytes per segment */
#define NM_TCP_SEG_OVERHEAD 66u     /* Ethernet + IPv4 + TCP + timestamps, per segment */
#define NM_TCP_MSG_HDR 48u          /* the real backend's frame header, per message */
#define NM_TCP_AEAD_TAG 16u         /* the real backend's Poly1305 tag per sealed frame (--tcp-aead adds it to overhead_bytes) */
#define NM_TCP_IW 10u               /* initial window, segments */
#define NM_TCP_WND_MAX 4096u        /* window bound, segments (about 5.9 MB of payload) */
#define NM_TCP_RTO_MIN_NS 200000000 /* 200 ms */

/* Puts a message of `bytes` payload bytes on a TCP-model link at `now` (see above). Returns the
 * arrival time of its last segment and stores that segment's departure in *depart. Updates the
 * link's busy_until and TCP state. The caller handles offline links. */
int64_t nm_tcp_transmit(nm_link *l, int64_t now, uint64_t bytes, int64_t *depart);

/* One segment of a message as the model sends it, for traces (nm_pcap): its offset and length in the
 * message's byte stream of B bytes (frame header and overhead bytes first, then the payload; every
 * segment NM_TCP_MSS bytes but the last) and its departure, when its last bit leaves the sender.
 * The segments of a round go out back to back, so segment j of a burst starting at `start` departs
 * at start + ceil(8e9 * (j+1) * (NM_TCP_MSS + NM_TCP_SEG_OVERHEAD) / bps), and the last segment of
 * the message departs at the message's departure. */
typedef void (*nm_tcp_seg_fn)(void *ud, uint64_t off, uint32_t len, int64_t depart);

/* nm_tcp_transmit that also calls fn (if not NULL) for every segment, in order. Same state changes
 * and result; O(segments) extra work when fn is set. */
int64_t nm_tcp_transmit_segs(nm_link *l, int64_t now, uint64_t bytes, int64_t *depart, nm_tcp_seg_fn fn,
                             void *ud);

/* The idle-restart window: cwnd after `idle` ns without sending on a link whose round trip is `rtt`
 * ns (exposed for tests and `explain`). */
uint32_t nm_tcp_restart_cwnd(uint32_t cwnd, int64_t idle, int64_t rtt);

#endif

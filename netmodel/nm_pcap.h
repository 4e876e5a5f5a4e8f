/* nm_pcap.h -- the simulated traffic as a pcap capture with virtual nanosecond timestamps.
 *
 * Each message becomes IPv4/TCP segments of at most `mss` payload bytes between per-party addresses
 * (P0 10.0.0.1, P1 10.0.0.2, D 10.0.0.3; party i talks to j from port 7000+10i+j), over Ethernet,
 * with the TCP timestamp option (32-byte TCP header), so a full segment is a 1514-byte frame at the
 * default MSS of 1448. A segment's timestamp is the moment its last bit leaves the sender under the
 * link model: tx_start + ceil((overhead + payload bytes up to the segment's end) * 8e9 / bps), so the
 * message's last segment carries its departure time. Offline (dealer) links stamp every segment at
 * the send time. Sequence numbers count payload bytes per direction from 1.
 *
 * Links of the tcp model (nm_tcp.h) are captured as that model sends them, whatever `mss`: the
 * message's stream (48-byte frame header and overhead bytes, then the payload) cut at NM_TCP_MSS,
 * the segments of each round back to back at line rate from the round's opening, the next round
 * after the ACK clock; each segment stamped with its departure (nm_tcp_transmit_segs), so the last
 * one carries the model's departure of the message (its arrival minus the latency, as with the
 * ideal model). Their payload totals are the counters plus 48 (+ overhead) bytes per message.
 *
 * Only the headers are captured (caplen 66, the frame's true length in `len`): payloads are
 * shares and would make captures as large as the traffic. Payload totals are
 * sum(ip_total_length - 52), which equals the transport's byte counters.
 * The capture streams with bounded memory: a segment waits only until the simulator's clock passes
 * its timestamp (messages must be recorded in clock order), then is written in (timestamp, record
 * order), to a mkstemp temporary beside PATH renamed into place at close (common/ofile.h). The
 * format is libpcap's (nanosecond magic, host byte order), written here rather than through
 * pcap_dump so that every write, the final flush and the close are checked: a full disk is an
 * error and leaves nothing at PATH. */
#ifndef NM_PCAP_H
#define NM_PCAP_H

#include <stdint.h>

#include "nm.h"

enum { NM_PCAP_HDR_BYTES = 14 + 20 + 32, NM_PCAP_DEFAULT_MSS = 1448 };

typedef struct nm_pcap nm_pcap;

/* Returns NM_OK, or NM_EINVAL if mss is out of [64, 65000] or the temporary beside PATH cannot be
 * created (message on stderr). */
int nm_pcap_open(nm_pcap **out, const char *path, uint32_t mss) WUR;
/* Records one message of `bytes` payload bytes from src to dst, sent at `now` on the link `before`
 * (borrowed; its state just BEFORE this message was put on it: busy_until, and the window under the
 * tcp model, which is replayed on a copy). */
void nm_pcap_message(nm_pcap *pc, int src, int dst, uint64_t bytes, int64_t now, const nm_link *before);
/* Writes what is left, commits the file and frees. Returns NM_OK, or NM_EINVAL with a message on
 * stderr if any write, the flush, the close or the rename failed (nothing is left at PATH then).
 * Closing NULL is a no-op. */
int nm_pcap_close(nm_pcap *pc) WUR;
/* The most segments that waited in memory at once (the bound the streaming keeps). */
size_t nm_pcap_peak_waiting(const nm_pcap *pc);
/* Frees and removes the temporary: nothing appears at PATH. */
void nm_pcap_discard(nm_pcap *pc);

#endif

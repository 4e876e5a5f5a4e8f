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
 * Only the headers are captured (caplen 66, the frame's true length in `len`): payloads are
 * shares and would make captures as large as the traffic. Payload totals are
 * sum(ip_total_length - 52), which equals the transport's byte counters.
 * Records are sorted by timestamp at close, written to PATH.tmp, then renamed to PATH. */
#ifndef NM_PCAP_H
#define NM_PCAP_H

#include <stdint.h>

#include "nm.h"

enum { NM_PCAP_HDR_BYTES = 14 + 20 + 32, NM_PCAP_DEFAULT_MSS = 1448 };

typedef struct nm_pcap nm_pcap;

/* Returns NM_OK or NM_EINVAL (mss out of [64, 65000]); the file is created at close. */
int nm_pcap_open(nm_pcap **out, const char *path, uint32_t mss) WUR;
/* Records one message from src to dst whose serialization starts at tx_start on a link `spec`. */
void nm_pcap_message(nm_pcap *pc, int src, int dst, uint64_t bytes, int64_t tx_start,
                     const nm_linkspec *spec);
/* Writes and frees. Returns NM_OK, or -errno-like NM_EINVAL with a message on stderr if the file
 * cannot be written (nothing is left at PATH then). Closing NULL is a no-op. */
int nm_pcap_close(nm_pcap *pc) WUR;
/* Frees without writing anything. */
void nm_pcap_discard(nm_pcap *pc);

#endif

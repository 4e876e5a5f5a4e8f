/* nm.h -- pure link math, named network profiles, unit parsing, topology.
 *
 * A link is one direction between two parties: store-and-forward FIFO, as ns-3's point-to-point
 * channel. A message of b payload bytes (plus the per-message overhead h) sent at time `now` on a
 * link that is busy until `busy`:
 *     depart = max(now, busy) + ceil((b + h) * 8e9 / bps)      busy = depart
 *     arrive = depart + latency
 * All times are int64 nanoseconds. Full duplex: each direction is its own link.
 * An `offline` link carries the dealer's preprocessing material in the offline schedule: its
 * messages take zero virtual time here, and their transfer time is reported separately.
 * This is the `ideal` link model (the default). The `tcp` model (nm_tcp.h: segmentation, headers,
 * slow start, restart after idle) is chosen per link with nm_linkspec.model; nm_link_transmit
 * dispatches on it. The `packet` model (nm_pkt.h) is event-driven and has its own interface. */
#ifndef NM_H
#define NM_H

#include <stddef.h>
#include <stdint.h>

#include "../common/chk.h"
#include "nm_link.h"
#include "nm_pkt.h"
#include "nm_tcp.h"

enum {
    NM_OK = 0,
    NM_EINVAL = -1, /* malformed or out-of-range value */
    NM_EUNKNOWN = -2, /* unknown profile name */
};

typedef struct nm_profile {
    const char *name;
    const char *description;
    uint64_t bps;
    int64_t latency_ns;
} nm_profile;

/* Puts `bytes` on the link at `now`; returns the arrival time and stores the departure time (end
 * of serialization; of the last segment under the tcp model) in *depart. Offline links return now
 * for both, whatever the model. */
int64_t nm_link_transmit(nm_link *l, int64_t now, uint64_t bytes, int64_t *depart);

/* The named profiles, terminated by a NULL name. */
extern const nm_profile nm_profiles[];
const nm_profile *nm_profile_find(const char *name);

/* "5gbit", "200mbit", "1.5Gbit/s", "100mbps", "800000bit": bits per second (bit, kbit, mbit, gbit,
 * tbit; "bps" as a synonym of "bit"; optional "/s"; decimal prefixes). Must be > 0. */
int nm_parse_bandwidth(const char *s, uint64_t *bps) WUR;
/* "0.4ms", "20ms", "50us", "100ns", "1s": nanoseconds, >= 0; the unit is required. */
int nm_parse_duration(const char *s, int64_t *ns) WUR;
/* Formats for humans: "3 Gbit/s", "0.4 ms". */
void nm_format_bandwidth(char *buf, size_t n, uint64_t bps);
void nm_format_duration(char *buf, size_t n, int64_t ns);
/* "ideal", "tcp" or "packet" -> NM_MODEL_*; NM_EINVAL otherwise. */
int nm_parse_link_model(const char *s, int *model) WUR;
const char *nm_link_model_name(int model);
/* "cubic" or "reno" -> NM_CC_*; NM_EINVAL otherwise. */
int nm_parse_congestion(const char *s, int *cc) WUR;
const char *nm_congestion_name(int cc);

/* Every link gets `spec`, busy_until = 0. */
void nm_topology_init(nm_topology *t, int n, const nm_linkspec *spec);
/* Sets both directions between a and b. */
void nm_topology_set(nm_topology *t, int a, int b, const nm_linkspec *spec);

#endif

/* net.h -- THE transport interface between protocol code and a backend (simulator or TCP).
 *
 * A net_party is one party's endpoint: its channels to the other parties, its statistics, its
 * operator-tag stack and its compute-time hook. Protocol code calls only net_send / net_recv /
 * net_compute / net_tag_push / net_tag_pop; the wrappers here do ALL counting, then call the
 * backend through the method table, so every backend reports the same numbers.
 *
 * Messages are exact-size: a recv of n bytes takes the next message from that peer, which must
 * have n bytes (a mismatch is a protocol desync and CHECK-fails). buf may be NULL in phantom mode:
 * the same sizes travel, no payload. send copies or finishes with buf before returning.
 *
 * Counting conventions (PROTOCOLS.md 5):
 *  - bytes and messages, sent and received, per peer and per tag; payload only (framing overhead
 *    is a link-model property and never counted here).
 *  - rounds are causal depth: every message carries a label; a send is labelled 1 + the largest
 *    label this party has received, and a party's depth is the largest label it has sent or
 *    received. Hence one exchange (both send, both receive) is one round for both, a one-way
 *    transfer is one round for sender and receiver, and a dealer request/response inside the
 *    online phase adds its two rounds to everyone who waits on it. Messages on offline links
 *    (dealer preprocessing) carry label 0 and add no rounds.
 *  - time, two views:
 *    (a) local: compute (net_compute), and each blocking recv's wait split into `other` (until the
 *        sender sent), `transfer` (until the message finished leaving the sender: queueing plus
 *        serialization) and `latency` (propagation). Kept per tag. On the simulator the four sum
 *        to the party's clock.
 *    (b) critical path: each party carries cp = {compute, transfer, latency}, summing to its clock.
 *        Every message carries the sender's cp at send; a recv that waits replaces the receiver's
 *        cp with the sender's plus the message's own transfer and latency. So cp at the end tells
 *        how much of the latency is computation, transmission and propagation along the chain of
 *        events that actually determined it (the simulator's answer to "where did the time go").
 * Per-tag numbers are inclusive: a message counts for every tag on the stack when it moves. */
#ifndef NET_H
#define NET_H

#include <stddef.h>
#include <stdint.h>

#include "../common/chk.h"

enum { NET_P0 = 0, NET_P1 = 1, NET_D = 2, NET_MAX_PARTIES = 3 };
enum { NET_MAX_TAGS = 128, NET_TAG_DEPTH = 12 };

/* Error codes returned by backends and net_send/net_recv (0 = success). */
enum {
    NET_OK = 0,
    NET_EIO = -1,      /* I/O error on the channel */
    NET_ECLOSED = -2,  /* peer closed or died */
    NET_ETIMEOUT = -3, /* deadline passed */
    NET_EPROTO = -4,   /* malformed frame or configuration mismatch */
    NET_ETIME = -8,    /* simulator: the run needs virtual time beyond 2^63 ns (bad input, see sim.h) */
};
const char *net_strerror(int code);

extern const char *const net_party_names[NET_MAX_PARTIES]; /* "P0", "P1", "D" */

typedef struct net_counters {
    uint64_t sent_bytes[NET_MAX_PARTIES]; /* to each peer */
    uint64_t recv_bytes[NET_MAX_PARTIES]; /* from each peer */
    uint64_t sent_msgs[NET_MAX_PARTIES];
    uint64_t recv_msgs[NET_MAX_PARTIES];
    uint64_t rounds;
    int64_t compute_ns, transfer_ns, latency_ns, other_ns;
} net_counters;

typedef struct net_stats {
    net_counters total;
    net_counters tag[NET_MAX_TAGS];
} net_stats;

/* Timing a backend reports with each received message. */
enum { NET_CP_COMPUTE = 0, NET_CP_TRANSFER = 1, NET_CP_LATENCY = 2, NET_CP_N = 3 };

typedef struct net_msg_info {
    uint64_t label;  /* causal round label (see above) */
    int64_t cp[NET_CP_N]; /* sender's critical path at send */
    int64_t t_send;  /* sender's clock at send */
    int64_t t_depart; /* last bit left the sender */
    int64_t t_arrive; /* available at the receiver */
} net_msg_info;

/* Work done locally, for compute models. */
typedef struct net_work {
    uint64_t ring_macs;  /* ring multiply-accumulates */
    uint64_t elem_ops;   /* elementwise ring ops (add, sub, shift, and, ...) */
    uint64_t prg_bytes;  /* PRG output consumed */
} net_work;

/* Compute model: work -> nanoseconds. NULL means the `zero` model. */
typedef int64_t (*net_cost_fn)(void *ud, const net_work *w);

typedef struct net_party net_party;
typedef struct net_rt net_rt; /* deployed-runtime model's state, net_rt.h */

/* The hook of a deployed-runtime model (net_rt.h implements it) on the link between the two compute
 * parties: net.c hands it the protocol's sends and receives on that link, lets it resolve a held send
 * before any other transport call (settle) and tells it of each op call (op). Declared here, in the
 * transport's own layer, so that net.c needs nothing from the model's module. */
typedef struct net_rt_vt {
    int (*send)(net_party *p, int peer, const void *buf, size_t n, const net_msg_info *meta);
    int (*recv)(net_party *p, int peer, void *buf, size_t n, net_msg_info *info);
    int (*settle)(net_party *p);
    void (*op)(net_party *p);
} net_rt_vt;

typedef struct net_party_vt {
    int iversion;
    /* meta: label and cp to carry with the message (t_* fields are the backend's business) */
    int (*send)(net_party *p, int peer, const void *buf, size_t n, const net_msg_info *meta);
    int (*recv)(net_party *p, int peer, void *buf, size_t n, net_msg_info *info);
    int (*flush)(net_party *p, int peer);
    int64_t (*now)(net_party *p);
    void (*advance)(net_party *p, int64_t ns); /* let ns of local computation pass */
    /* Optional (NULL: net_recv_lend receives into the caller's fallback through recv): as recv, but
     * *view = the next message's own payload storage (NULL if !want, phantom), kept valid until
     * lend_return(p, peer). net.c calls lend_return exactly once per successful recv_lend. */
    int (*recv_lend)(net_party *p, int peer, const void **view, int want, size_t n, net_msg_info *info);
    void (*lend_return)(net_party *p, int peer);
    /* Optional, all three or none (NULL: net_send_open hands out the caller's fallback and the commit
     * sends it through send): storage of n bytes for the next message to peer (send_open), queued as
     * it is with send's semantics (send_commit), read by the sender until send_release. net.c calls
     * them in that order, once each, at most one open per peer. */
    void *(*send_open)(net_party *p, int peer, size_t n);
    int (*send_commit)(net_party *p, int peer, size_t n, const net_msg_info *meta);
    void (*send_release)(net_party *p, int peer);
} net_party_vt;

struct net_party {
    const net_party_vt *vt;
    int self, nparties;
    int offline_peer[NET_MAX_PARTIES]; /* 1 if the link to that peer is an offline link */
    uint64_t depth, rmax;              /* causal round bookkeeping */
    int64_t cp[NET_CP_N];              /* critical path, sums to the clock on the simulator */
    int tags[NET_TAG_DEPTH];
    int ntags;
    net_stats stats;
    net_cost_fn cost;
    void *cost_ud;
    /* `measured` compute model (opt-in): a CPU clock; the CPU time spent between communication calls
     * is charged as compute. NULL = off. Work counts are then ignored. */
    int64_t (*cpu_clock)(void);
    int64_t cpu_mark;
    void *user; /* for the layer above (e.g. mpc_ctx); never touched here */
    /* Optional timeline hook: called on every tag push (enter = 1) and pop (enter = 0) with the
     * party's clock; for two-party timelines. NULL = off. */
    void (*tag_hook)(void *ud, net_party *p, int tag, int enter); /* p: read clock, counters, depth */
    void *tag_hook_ud;
    /* Deployed-runtime model (net_rt.h) for the link to the other compute party: NULL = lean (one
     * protocol message, one wire message; the default). Set with its hook by net_rt_attach from the
     * layer above; borrowed. */
    net_rt *rt;
    const net_rt_vt *rt_vt;
    /* Loans (net_recv_lend): the live loan's id per peer (0: none), whether the backend lent it, and
     * the last id handed out. */
    uint64_t loan[NET_MAX_PARTIES];
    int loan_backend[NET_MAX_PARTIES];
    uint64_t loan_ids;
    /* Send storage (net_send_open): per peer, 0 none, 1 open, 2 committed and still read; and whether
     * the backend's. */
    int sending[NET_MAX_PARTIES];
    int sending_backend[NET_MAX_PARTIES];
};

/* Initialises the common part; backends call it, then set vt. */
void net_party_init(net_party *p, const net_party_vt *vt, int self, int nparties);

int net_send(net_party *p, int peer, const void *buf, size_t n) WUR;
int net_recv(net_party *p, int peer, void *buf, size_t n) WUR;
int net_flush(net_party *p, int peer) WUR;

/* ---- receiving in place ----
 * net_recv_lend receives the next message from peer exactly as net_recv does (the same counting,
 * exact sizes, desync checks, phantom mode and error codes), but lends its payload instead of copying
 * it out: l->bytes is the message's own storage where the backend can lend it (the simulator), else
 * `fallback` (n bytes of the caller's), received into as by net_recv (TCP; the deployed-runtime
 * model's link). Pass fallback = NULL in phantom mode: then l->bytes is NULL. So a receiver that
 * combines the payload with its own data (an opening's add) reads it once where it lies: one copy of
 * n bytes fewer on the simulator, the same work as net_recv elsewhere.
 * Lifetime: the bytes are read-only and live until net_loan_return; a party holds at most one loan per
 * peer, and a receive from that peer while it holds one is a CHECK failure, as are returning a loan
 * twice and net_loan_bytes on a returned loan. A party's function must return its loans before it
 * ends. (Under AddressSanitizer the simulator poisons returned storage, so reads through a kept raw
 * pointer are reported too.) */
typedef struct net_loan {
    const void *bytes; /* as returned; prefer net_loan_bytes, which checks that the loan is live */
    size_t n;
    int peer;
    uint64_t id; /* 0: returned or never lent */
} net_loan;
int net_recv_lend(net_party *p, int peer, net_loan *l, void *fallback, size_t n) WUR;
const void *net_loan_bytes(const net_party *p, const net_loan *l); /* CHECKs that l is live */
void net_loan_return(net_party *p, net_loan *l);
/* ---- sending from the transport's storage ----
 * The mirror of the loans: net_send_open returns where to write the next message to peer, n bytes:
 * the message's own storage where the backend can hand it out (the simulator), else `fallback` (the
 * caller's n bytes; NULL in phantom mode, then NULL is returned). net_send_commit then sends exactly
 * as net_send(p, peer, those bytes, n) (the same counting, checks and error codes), without copying
 * them where they are the backend's. From the commit on, the bytes are read-only to the caller and
 * stay readable until net_send_release (a sender that combines its half with the peer's, as an
 * opening does, reads its own where it wrote it: one copy of n bytes fewer on the simulator). At most
 * one per peer; a party's function must release before it ends. */
typedef struct net_sendbuf {
    void *bytes;
    size_t n;
    int peer;
} net_sendbuf;
void *net_send_open(net_party *p, net_sendbuf *s, int peer, void *fallback, size_t n);
int net_send_commit(net_party *p, net_sendbuf *s) WUR;
void net_send_release(net_party *p, net_sendbuf *s);

/* Process-wide: 0 makes every net_recv_lend and net_send_open take the fallback path (a receive into
 * the caller's buffer, a send from it: the plain copying paths), so tests can run both and compare;
 * 1 (the default) lends. */
void net_set_lending(int on);

int64_t net_now(net_party *p);
/* Charges local work to the clock through the compute model. */
void net_compute(net_party *p, const net_work *w);
/* Lets ns of host time pass, counted as compute (kind NET_CP_COMPUTE) or as time in the
 * communicator (NET_CP_TRANSFER); for runtime models (net_rt.h). */
void net_charge(net_party *p, int64_t ns, int kind);
/* Measured model: charges the CPU time since the last mark (called by send/recv; call once at the
 * end of a party's work too). No-op without cpu_clock. */
void net_measure_point(net_party *p);

/* Operator tags: small integers < NET_MAX_TAGS defined by the layers above. */
void net_tag_push(net_party *p, int tag);
void net_tag_pop(net_party *p, int tag); /* CHECKs that `tag` is on top */

/* Resets the statistics and the round bookkeeping (not the clock). */
void net_stats_reset(net_party *p);

/* Sums of a counter set over the given peer mask (bit i = peer i). */
uint64_t net_counters_sent(const net_counters *c, unsigned peer_mask);
uint64_t net_counters_recv(const net_counters *c, unsigned peer_mask);

#endif

/* net_rt.h -- deployed-runtime models: how a framework's communicator turns the protocol's messages
 * into wire messages and host work. NULL (the default) is the lean transport: one protocol message is
 * one wire message and nothing else happens. Set on a party with net_rt_attach (P0 and P1 only).
 *
 * crypten-gloo: CrypTen (crypten/communicator/distributed_communicator.py) opens shares with
 * torch.distributed.all_reduce and sends one-way with point-to-point / broadcast, on the gloo backend
 * for two ranks. We model what gloo puts on its TCP pair for each (facebookincubator/gloo:
 * gloo/allreduce.cc `ring`, gloo/broadcast.cc, gloo/transport/tcp/pair.cc; read, not copied):
 *  - every gloo op on the pair starts with a 48-byte preamble (six size_t: nbytes, opcode, slot,
 *    offset, length, roffset);
 *  - rendezvous: posting a receive sends NOTIFY_RECV_READY (48 B) to the peer; posting a send sends
 *    NOTIFY_SEND_READY (48 B) and the data (48 + len B) goes only once the peer's RECV_READY has
 *    arrived (Pair::send / Pair::recv / handleRemotePendingRecv);
 *  - all_reduce of T bytes (ring, 2 ranks): S = max(ceil(T / 1 MiB), 4) rounded up to even segments
 *    of seg = roundup(ceil(T / S), 8) bytes; S/2 per rank ("chunk"). Reduce-scatter: each rank sends
 *    the peer's chunk segment by segment and receives its own; then all-gather: sends its own chunk,
 *    receives the peer's. Two operations in flight per phase (the loop waits for segment i-2 before
 *    posting i). Segments past T are shorter or empty (not sent).
 *  - broadcast / one-way send of n bytes (2 ranks): sender SEND_READY, receiver RECV_READY, then one
 *    data op of 48 + n bytes.
 * Our protocol's exchange (send v, receive w of the same size from the other party) is the
 * all_reduce; a send with no matching receive is a one-way transfer. The sender cannot know which
 * until its next call: a send is held and resolved at this party's next transport call (a receive
 * from the same peer makes it an exchange; anything else, or the end of the party, a one-way send).
 * The clock does not move in between, so timing is unaffected by the holding.
 * Modeling simplifications (stated): the two operations in flight per phase are posted and
 * completed in pairs (exact for S = 4, i.e. T <= 4 MiB; for larger T the second segment of a pair
 * waits for the first, at most one segment time per pair); an exchange of unequal sizes is an
 * isend/irecv pair (one rendezvous, one data op each way); CrypTen reveals a Beaver op's two masked
 * operands as two concurrent all_reduces (reveal_batch), our protocol sends them as one message, carried
 * as one all_reduce of the sum of the sizes; CrypTen's reveal(dst) uses gloo's reduce,
 * modeled as a one-way send; dealer links stay lean (CrypTen's default provider, TFP, has no
 * third-party traffic; an offline dealer takes no online time anyway).
 * Host costs (charged to the party's clock):
 *  - op_ns per protocol op call (every operator tag push): Python dispatch, tensor allocation;
 *  - plus call_ns per op call of tag call_tag (0 = none; the experiments layer names the Beaver
 *    matmul: CrypTen's nn.Linear path, TFP's triple product and its block-encoded GPU products);
 *  - coll_ns per collective, plus 2 T / copy_Bps for the device-to-host and host-to-device copies
 *    around it (GPU tensors over gloo; copy_Bps = 0: CPU tensors, no copies). Counted as transfer
 *    time (CrypTen's comm_time includes them: it times the communicator call). */
#ifndef NET_RT_H
#define NET_RT_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

enum { NET_RT_PREAMBLE = 48, NET_RT_MAX_SEGMENT = 1024 * 1024 };

typedef struct net_rt_cfg {
    char name[32];      /* "crypten-gloo" */
    int64_t op_ns;      /* host overhead per op call */
    int call_tag;       /* op calls of this tag (> 0) cost call_ns more; 0 = none */
    int64_t call_ns;
    int64_t coll_ns;    /* host overhead per collective */
    double copy_Bps;    /* host-device copy rate, bytes/s; 0 = none */
} net_rt_cfg;

/* Per operator tag (inclusive, as net.h's counters) and in total: what the collectives cost in the
 * symmetric case (both parties enter together), for fits: time = cross * latency + crit_bytes * s/B
 * + coll * coll_ns + 2 coll_bytes / copy_Bps; op calls * op_ns + tag_calls * call_ns. */
typedef struct net_rt_acc {
    double cross, crit_bytes;        /* one-way latencies and serialized bytes on the critical path */
    uint64_t coll, coll_bytes, calls;
    uint64_t tag_calls;              /* of the calls, those of cfg->call_tag */
} net_rt_acc;

typedef struct net_rt_stats {
    uint64_t wire_msgs, wire_bytes;  /* sent by this party, all gloo ops (preambles included) */
    uint64_t ctl_msgs;               /* of which notifications */
    uint64_t allreduces, oneways, sendrecvs, op_calls;
    net_rt_acc total, tag[NET_MAX_TAGS];
} net_rt_stats;

/* The symmetric-case cost of one collective (see net_rt_acc). */
void net_rt_allreduce_cost(uint64_t T, double *cross, double *crit_bytes);
void net_rt_oneway_cost(uint64_t n, double *cross, double *crit_bytes);

struct net_rt {
    const net_rt_cfg *cfg;
    net_rt_stats st;
    /* the held send */
    int pend;
    int pend_peer;
    size_t pend_n;
    uint8_t *pend_buf; /* owned copy, NULL in phantom mode */
    net_msg_info pend_meta;
};

/* One party's runtime state for cfg (borrowed). */
void net_rt_init(net_rt *rt, const net_rt_cfg *cfg);
void net_rt_free(net_rt *rt);

/* Segment plan of a 2-rank ring all_reduce of T bytes (8-byte elements) for rank r in {0,1}. */
typedef struct net_rt_ring {
    size_t nseg_per_rank, seg;
} net_rt_ring;
net_rt_ring net_rt_ring_plan(uint64_t T);
/* Length of segment i of chunk c (0 or 1): min(seg, T - offset), 0 if out of range. */
uint64_t net_rt_ring_len(const net_rt_ring *g, uint64_t T, int chunk, size_t i);

/* Sets rt (NULL: lean) as party p's runtime model, with the hook (net.h's net_rt_vt) through which
 * net.c calls it. */
void net_rt_attach(net_party *p, net_rt *rt);

#endif

/* net_sim.h -- the simulator backend of the transport: every party is a sim/ actor, every message
 * crosses an nm/ link in virtual time.
 *
 * send() computes the message's departure and arrival with nm_link_transmit at the sender's clock and
 * schedules a delivery event; recv() blocks the actor until the head message from that peer has
 * been delivered, or returns NET_ECLOSED if the peer's function has returned and nothing is queued
 * (how the dealer learns that P0 is done). Trace sinks see every message (sender, receiver, size, tag, label, times) in send
 * order, which is deterministic. */
#ifndef NET_SIM_H
#define NET_SIM_H

#include "../netmodel/nm.h"
#include "../netmodel/nm_pcap.h"
#include "../netmodel/nm_pkt.h"
#include "net.h"

typedef struct net_sim net_sim;
typedef void (*net_party_fn)(net_party *p, void *arg);

typedef struct net_trace_rec {
    int src, dst;
    uint64_t bytes;
    int tag;        /* sender's innermost tag, -1 if none */
    uint64_t label; /* causal round label */
    int64_t t_send, t_tx_start, t_depart, t_arrive;
    const nm_linkspec *link;
    const nm_link *link_before; /* the link's state just before this message (borrowed, callback only);
                                 * NULL under the packet model, whose records come when the message
                                 * arrives (ideal, tcp: when it is sent) */
    const void *payload; /* borrowed for the callback only; NULL in phantom mode */
} net_trace_rec;
typedef void (*net_trace_fn)(void *ud, const net_trace_rec *r);

enum { NET_SIM_MAX_SINKS = 4 };

/* The topology is copied; its link clocks start at 0. */
net_sim *net_sim_create(const nm_topology *topo);
void net_sim_destroy(net_sim *s);
net_party *net_sim_party(net_sim *s, int id);
/* Adds a trace sink (borrowed ud, must outlive the run). */
void net_sim_add_trace(net_sim *s, net_trace_fn fn, void *ud);
/* A ready-made sink: ud is an nm_pcap*; segments as the link's model sends them (nm_pcap.h). */
void net_sim_trace_pcap(void *ud, const net_trace_rec *r);

/* Message storage kept across simulations: a net_sim given a pool starts with the pool's message
 * buffers and hands all of its own back at net_sim_destroy, so a caller that runs one simulation
 * after another in real mode (an evaluation's examples, a batch's bigger messages) copies payloads
 * into pages that are already mapped instead of mapping (and the kernel clearing) fresh ones every
 * run. One net_sim at a time per pool. */
typedef struct net_sim_pool net_sim_pool;
net_sim_pool *net_sim_pool_create(void);
void net_sim_pool_destroy(net_sim_pool *p); /* NULL: no-op */
/* Before net_sim_run; p may be NULL (no pool). */
void net_sim_set_pool(net_sim *s, net_sim_pool *p);

/* Runs fn[i](party i, arg[i]) for every party with fn[i] != NULL, as actors. Returns NET_OK, or
 * NET_EPROTO after printing which parties deadlocked. Call once per net_sim. */
int net_sim_run(net_sim *s, net_party_fn fn[], void *arg[]) WUR;
/* The run starts as the TCP backend's online phase does: a and b have each sent the other a
 * `bytes`-byte message that arrives at time 0 (runtime/rt_tcp.c, online_barrier). The packet
 * model carries it (nm_pkt_prelude: one segment in flight, its ACK pending, at 0); for the ideal and
 * round models an idle link at 0 is the same thing, and nothing changes. Call before net_sim_run. */
void net_sim_barrier(net_sim *s, int a, int b, uint64_t bytes);
/* Virtual time at which party id's function returned. */
int64_t net_sim_end_time(const net_sim *s, int id);
/* Total number of messages sent. */
uint64_t net_sim_messages(const net_sim *s);
/* The packet model's state of the connection direction src -> dst after the run: 0, or -1 if that
 * link does not use the packet model. */
int net_sim_pkt_stats(const net_sim *s, int src, int dst, nm_pkt_stats *out);

#endif

/* rt.c -- what both backends share: the phase boundary and the result. See rt.h. */
#include "rt.h"

#include <inttypes.h>
#include <string.h>

void rt_phase_online(net_party *p, const mpc_config *cfg)
{
    net_stats_reset(p);
    int off = cfg->dealer_schedule == MPC_DEALER_OFFLINE;
    for (int i = 0; i < NET_MAX_PARTIES; i++) p->offline_peer[i] = 0;
    if (p->self == NET_D) p->offline_peer[NET_P0] = p->offline_peer[NET_P1] = off;
    else p->offline_peer[NET_D] = off;
}

void rt_result_assemble(rt_result *res, uint64_t dealer_requests)
{
    res->latency_ns = res->end_ns[0] > res->end_ns[1] ? res->end_ns[0] : res->end_ns[1];
    res->rounds = res->depth[0] > res->depth[1] ? res->depth[0] : res->depth[1];
    const net_counters *d = &res->stats[NET_D].total;
    res->dealer_bytes = d->sent_bytes[0] + d->sent_bytes[1] + d->recv_bytes[0] + d->recv_bytes[1];
    res->dealer_requests = dealer_requests;
    res->dealer_to[0] = d->sent_bytes[NET_P0];
    res->dealer_to[1] = d->sent_bytes[NET_P1];
}

uint64_t rt_online_sent(const rt_result *r, int i) { return r->stats[i].total.sent_bytes[1 - i]; }
uint64_t rt_online_recv(const rt_result *r, int i) { return r->stats[i].total.recv_bytes[1 - i]; }

void rt_pkt_summary(FILE *f, const rt_result *r)
{
    for (int i = 0; i < 2 && r->pk_valid; i++) {
        const nm_pkt_stats *k = &r->pk[i];
        fprintf(f, "packet model: P%d->P%d: ", i, 1 - i);
        if (k->hystart_exit_ns >= 0)
            fprintf(f, "HyStart ended slow start at %.3f ms with cwnd %u", k->hystart_exit_ns * 1e-6, k->ssthresh);
        else if (k->ssthresh != UINT32_MAX)
            fprintf(f, "slow start ended with ssthresh %u", k->ssthresh);
        else
            fprintf(f, "still in slow start");
        fprintf(f, "; cwnd %u at the end, delay_min %.3f ms, srtt %.3f ms, %" PRIu64 " segments, %" PRIu64 " ACKs\n",
                k->cwnd, k->delay_min_ns * 1e-6, k->srtt_ns * 1e-6, k->segments, k->acks);
    }
}

/* rt_tcp.h -- the TCP backend of the runtime (rt.h): runs a job as ONE party (P0, P1 or the dealer D)
 * of a real 3-process computation over net/net_tcp.h, or (rt_tcp_local) as three local processes.
 *
 * Randomness: by default every secret (the dealer's seeds for P0 and P1, the pairwise seed
 * contributions, every private mask) comes from the OS CSPRNG (randombytes_buf): two runs with the
 * same inputs have different transcripts, and nothing secret follows from the seed or any other
 * public value. `reproducible` (the CLI's --insecure-reproducible) derives them from the job's seed as
 * the simulator does instead: byte-identical transcripts, for benchmarks and debugging only -- anyone
 * who knows the seed can then unmask everything.
 *
 * Phases, per process:
 *   0. connect + handshake: the configuration hash (the job's description, mode, seed, randomness,
 *      output party, every mpc_config field) must agree, else every process refuses with both
 *      configurations in the message;
 *   1. setup: seed exchange (mpc_setup / dealer_setup), as in the simulator; with `dealer_plan`
 *      under the offline schedule, D then computes all its material (rt_plan.h: the job once in
 *      phantom mode in the simulator gives P0's requests); D ends its setup with a 1-byte 'ready'
 *      to P0 and to P1, which they wait for before the barrier (uncounted, like the barrier);
 *      with the party plan (default, real mode) P0 and P1 do their input-independent work meanwhile
 *      (rt_plan.h: rt_party_prepare, rt_party_fill; net_tcp_reserve_input);
 *   2. online: a barrier first (P0 and P1 exchange a 1-byte 'ready' and start when they have the
 *      peer's, so neither times the other's late start; the exchange precedes the phase boundary and
 *      is never counted); then rt_phase_online (statistics reset, dealer links offline under the
 *      offline schedule: rounds and byte counts match the simulator's); P0 and P1 run the job, D
 *      serves until P0 says BYE. Each of P0 and P1 measures its own wall time from leaving the
 *      barrier to its end; latency = the larger. Over TCP the dealer's round trips are real, so they
 *      are inside the measured time under both schedules (the schedule changes only how rounds are
 *      counted).
 *   3. report (not counted): the output party R (out_party: P0 or P1) receives the other party's
 *      counters, online time and (if the job has one) output share, and D's counters; nobody else
 *      receives any share. R cross-checks every byte counter pair and assembles the result.
 *   4. graceful close (BYE + EOF on every connection). R has results only if all of this worked.
 * A transport failure after phase 0 prints "error: <party>: <what happened>" and ends the process
 * with exit code 1 at once (protocol code cannot unwind); the peers then see the connection close
 * and fail the same way. */
#ifndef RT_TCP_H
#define RT_TCP_H

#include "../net/net_tcp.h"
#include "rt.h"

typedef struct rt_tcp_opts {
    int role;                          /* NET_P0, NET_P1 or NET_D */
    const char *addr[NET_MAX_PARTIES]; /* every party's listening address */
    const char *listen;                /* NULL = addr[role] */
    int64_t connect_timeout_ns, io_timeout_ns, stall_timeout_ns; /* 0 = net_tcp's defaults */
    const char *congestion;            /* NULL = system default */
    int congestion_strict;
    int fault_mode;                    /* NET_TCP_FAULT_* (tests) */
    uint64_t fault_after;
    const net_keypair *key;                   /* this party's long-term key pair */
    const uint8_t *peer_key[NET_MAX_PARTIES]; /* the others' public keys */
    int out_party;                            /* NET_P0 or NET_P1: who learns the output */
    int reproducible;                         /* 1: secrets from the seed (INSECURE); 0: OS CSPRNG */
    int dealer_plan;                          /* D, offline schedule: material computed in setup (rt_plan.h);
                                               * the job's arguments must be valid in phantom mode at D */
    int no_party_plan;                        /* 0 (default): P0 and P1 do their own setup work in real
                                               * mode (rt_plan.h, rt_party_prepare: scratch memory and
                                               * input buffers sized and touched, the model sharings'
                                               * draws made); the job's arguments must be valid in phantom
                                               * mode at P0 and P1. 1: not (everything happens online) */
    net_tcp_tap_fn tap;                       /* tests */
    void *tap_ud;
} rt_tcp_opts;

typedef struct rt_tcp_outcome {
    /* The output party only: the result as the simulator's (stats[i].total holds party i's counters as
     * it reported them; per-tag stats and time splits are R's own only; end_ns[i] = online wall time of
     * P0 and P1, latency_ns the larger). */
    rt_result res;
    uint64_t *other_share;  /* the other party's output share (job->nshare words, malloc'd) or NULL */
    char congestion[32];    /* algorithm in use on the P0-P1 connection */
} rt_tcp_outcome;

/* The handshake's configuration: a printable description (space-separated key=value pairs, which a
 * mismatch message compares one by one) and its BLAKE2b-256 hash (which also covers the raw
 * mpc_config bytes, so fields added later are checked too). */
void rt_tcp_config(const rt_tcp_opts *o, const rt_job *j, uint8_t hash[32], char *desc, size_t desclen);

/* Runs this process's party of job j. Returns 0, or -1 after printing why (setup failures, counter
 * mismatch); transport failures end the process (see above). Only the output party's *out is filled. */
int rt_tcp_run(const rt_tcp_opts *o, const rt_job *j, rt_tcp_outcome *out) WUR;
void rt_tcp_outcome_free(rt_tcp_outcome *o);

/* The job over real TCP on loopback with three local processes (fork: each child runs its party with
 * the caller's memory image, as the simulator's actors do, and uses only its own argument; ephemeral
 * key pairs, free ports). The output party's process sends its result and job->ret[out_party] back;
 * on return res (and that party's ret buffer) are filled as rt_sim_job fills them. `o` supplies the
 * timeouts, congestion, output party, randomness and faults (role, addresses and keys are ignored;
 * fault_mode applies to party `fault_role`). Returns 0, or -1 after printing how each party ended. */
int rt_tcp_local(const rt_tcp_opts *o, int fault_role, const rt_job *j, rt_result *res) WUR;

/* Three distinct free loopback ports, chosen by the kernel (bound, read, closed again: a tiny race with
 * other programs remains). 0, or -1 with errno set. */
int rt_tcp_free_ports(int port[3]) WUR;

/* CLOCK_MONOTONIC in ns (the barrier's and the launcher's clock). */
int64_t rt_mono_ns(void);

#endif

/* xp_tcp.h -- runs one registered op as ONE party (P0, P1 or the dealer D) of a real 3-process
 * computation over the TCP backend (net/net_tcp.h). The inputs are synthetic test data drawn from
 * the seed as xp_op_run draws them (input 0 is P1's, input 1 is P0's; each party uses only its own),
 * so the same seed gives the same output (to the fixed-point rounding the randomness decides) and the
 * same counters as `mpcsim op` in the simulator.
 *
 * Randomness: by default every secret (the dealer's seeds for P0 and P1, the pairwise seed
 * contributions, every private mask) comes from the OS CSPRNG (randombytes_buf): two runs with the
 * same inputs have different transcripts, and nothing secret follows from the seed or any other
 * public value. `reproducible` (the CLI's --insecure-reproducible) derives them from the seed as the
 * simulator does instead: byte-identical transcripts, for benchmarks and debugging only -- anyone who
 * knows the seed can then unmask everything.
 *
 * Phases, per process:
 *   0. connect + handshake: the configuration hash (op, shape, mode, seed, every mpc_config field)
 *      must agree, else every process refuses with both configurations in the message;
 *   1. setup: seed exchange (mpc_setup / dealer_setup), as in the simulator;
 *   2. online: a barrier first (P0 and P1 exchange a 1-byte 'ready' and start when they have the
 *      peer's, so neither times the other's late start; the exchange precedes the statistics reset
 *      and is never counted); then statistics reset, dealer links marked offline under the offline
 *      schedule (so rounds and byte counts match the simulator's); P0 and P1 run the op, D serves
 *      until P0 says BYE. Each of P0 and P1 measures its own wall time from leaving the barrier to
 *      its end; latency = the larger. Over TCP the dealer's round trips are real, so they are inside the
 *      measured time under both schedules (the schedule changes only how rounds are counted).
 *   3. report (not counted): the output party R (out_party: P0 or P1) receives the other party's
 *      counters, online time and output share, and D's counters; nobody else receives any share. R
 *      cross-checks every byte counter pair, reconstructs the output and computes the errors as
 *      xp_op_run does.
 *   4. graceful close (BYE + EOF on every connection). R has results only if all of this worked.
 * A transport failure after phase 0 prints "error: <party>: <what happened>" and ends the process
 * with exit code 1 at once (protocol code cannot unwind); the peers then see the connection close
 * and fail the same way. */
#ifndef XP_TCP_H
#define XP_TCP_H

#include "../net/net_tcp.h"
#include "xp_ops.h"

typedef struct xp_tcp_opts {
    int role;                          /* NET_P0, NET_P1 or NET_D */
    const char *addr[NET_MAX_PARTIES]; /* every party's listening address */
    const char *listen;                /* NULL = addr[role] */
    const xp_opdef *op;
    const xp_shape *shape;
    const mpc_config *cfg;
    int phantom;
    uint64_t seed;
    int64_t connect_timeout_ns, io_timeout_ns, stall_timeout_ns;
    const char *congestion; /* NULL = system default */
    int congestion_strict;
    int fault_mode; /* NET_TCP_FAULT_* (tests) */
    uint64_t fault_after;
    const net_keypair *key;                   /* this party's long-term key pair */
    const uint8_t *peer_key[NET_MAX_PARTIES]; /* the others' public keys */
    int out_party;                            /* NET_P0 or NET_P1: who learns the output */
    int reproducible;                         /* 1: secrets from the seed (INSECURE); 0: OS CSPRNG */
    net_tcp_tap_fn tap;                       /* tests */
    void *tap_ud;
} xp_tcp_opts;

typedef struct xp_tcp_outcome {
    /* The output party only. stats[i].total holds party i's byte/message counters and rounds (the
     * others' as they reported them; per-tag stats and time splits are its own only); end_ns[i] = online
     * wall time of P0 and P1; latency_ns, rounds, dealer_bytes, dealer_requests as in the simulator. */
    xp_result res;
    double max_abs_err, max_rel_err; /* NAN in phantom mode */
    double *got;                     /* real mode: the reconstructed output (malloc'd), nout values */
    size_t nout;
    char congestion[32];             /* algorithm in use on the P0-P1 connection */
} xp_tcp_outcome;

/* The handshake's configuration: a printable description and its BLAKE2b-256 hash (which also
 * covers the raw mpc_config bytes, so fields added later are checked too). */
void xp_tcp_config(const xp_tcp_opts *o, uint8_t hash[32], char *desc, size_t desclen);

/* Runs this process's party. Returns 0, or -1 after printing why (setup failures, counter
 * mismatch); transport failures end the process (see above). */
int xp_tcp_run(const xp_tcp_opts *o, xp_tcp_outcome *out) WUR;

/* CLOCK_MONOTONIC in ns (the barrier's and the launcher's clock). */
int64_t xp_mono_ns(void);
void xp_tcp_outcome_free(xp_tcp_outcome *o);

#endif

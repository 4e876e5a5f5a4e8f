/* xp.h -- command-line plumbing shared by the mpcsim subcommands: argument scanning, network
 * options; CSV output written atomically (xp_out.h, included).
 * This is the only layer that prints for users and decides exit codes. */
#ifndef XP_H
#define XP_H

#include <stdint.h>
#include <stdio.h>

#include "../netmodel/nm.h"
#include "../netmodel/nm_pcap.h"
#include "../protocols/mpc.h"
#include "xp_out.h" /* CSV output */

/* ---- arguments ---- */

/* Scans argv[*i]: if it is `--name` or `--name=value`, returns 1 and sets *val (NULL for a flag
 * without a value when want_value is 0). Advances *i past the value. Returns -1 (after printing an
 * error) if a required value is missing, 0 if argv[*i] is not --name. */
int xp_arg(int argc, char **argv, int *i, const char *name, int want_value, const char **val);
/* Like xp_arg for an option whose value is one of `choices` (NULL-terminated): stores the index in
 * *which. Returns 1, 0 (not this option) or -1 after printing "error: NAME: unknown VALUE (a, b, ...)". */
int xp_arg_choice(int argc, char **argv, int *i, const char *name, const char *const *choices, int *which);
/* Strict integer parsing with range; prints "error: OPT: ..." and returns -1 on failure. */
int xp_parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

/* ---- network options ---- */

typedef struct xp_netopts {
    char name[64];        /* profile name or "custom" */
    nm_linkspec online;   /* P0 <-> P1 */
    nm_linkspec dealer;   /* D <-> P0, D <-> P1 */
    int dealer_custom;    /* bit 0: bandwidth given, bit 1: latency given */
    uint32_t mss;
    const char *pcap;     /* path or NULL */
    /* internal: what was given, for conflict checks */
    int have_net, have_bw, have_lat, have_rtt, have_cc;
    int tcp_aead;         /* --tcp-aead: charge the real backend's 16-byte tag per message too */
} xp_netopts;

void xp_net_defaults(xp_netopts *o); /* lan */
/* Tries to consume one network option at argv[*i]. Returns 1 if consumed, 0 if not a network
 * option, -1 on error (message printed, naming the value). */
int xp_net_arg(xp_netopts *o, int argc, char **argv, int *i);
/* Checks combinations; fills the dealer links if not given. Returns 0 or -1 (message printed). */
int xp_net_finish(xp_netopts *o);
void xp_net_topology(const xp_netopts *o, nm_topology *t, int dealer_offline);
void xp_net_help(FILE *f);

/* ---- protocol configuration options shared by op/infer/explain/party/launch/eval (xp_cfg.c) ---- */

/* Starts a configuration from the defaults of the family named by `--protocol NAME` anywhere in argv
 * (crypten when absent). Returns 0, or -1 after "error: --protocol: unknown protocol 'X' (known:
 * crypten, ...)". xp_cfg_arg then consumes --protocol (checking it names the same family). */
int xp_cfg_init(mpc_config *cfg, int argc, char **argv);
/* The family's own check of the finished configuration (e.g. ring width against fractional bits):
 * 0, or -1 after printing the family's message. */
int xp_cfg_check(const mpc_config *cfg);
/* Consumes --protocol NAME (already applied by xp_cfg_init): 1, 0 not mine, -1 error (printed). */
int xp_protocol_arg(const mpc_config *cfg, int argc, char **argv, int *i);
/* Tries to consume one algorithm option (--frac-bits, --exp-iters, ...). 1 consumed, 0 not mine,
 * -1 error (printed). */
int xp_cfg_arg(mpc_config *cfg, int argc, char **argv, int *i);
void xp_cfg_help(FILE *f);

#endif

/* xp_compute.h -- compute models: how local computation advances a party's virtual clock.
 *   zero          no time (default for ops: latency = communication only)
 *   profile:NAME  analytic: time = ring MACs / mac_rate + elementwise ops / elem_rate + PRG bytes /
 *                 prg_rate, per party, from a table of device throughputs (modeled, not measured)
 *   measured      the CPU time each party's thread actually spends between communication calls
 *                 (opt-in; not deterministic)
 * Every output names the model it used. */
#ifndef XP_COMPUTE_H
#define XP_COMPUTE_H

#include <stdio.h>

#include "../net/net.h"

typedef struct xp_compute_profile {
    const char *name;
    const char *description; /* where the numbers come from */
    double mac_per_s, elem_per_s, prg_bytes_per_s;
} xp_compute_profile;

typedef struct xp_compute {
    char name[64];          /* "zero", "profile:zen5", "measured" */
    int measured;
    xp_compute_profile prof; /* for profile: */
    int have_prof;
} xp_compute;

/* Parses "zero", "profile:NAME" or "measured". "profile:local" reads results/compute_profile.csv,
 * written by the bench target. Returns 0 or -1 (message printed, naming the value). */
int xp_compute_parse(xp_compute *c, const char *s);
void xp_compute_help(FILE *f);
/* The cost function and its user data for net_party (NULL for zero and measured). */
net_cost_fn xp_compute_fn(const xp_compute *c);
int64_t xp_compute_cost(void *ud, const net_work *w);

#endif

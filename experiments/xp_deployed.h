/* xp_deployed.h -- the deployed-runtime model's named runtimes, its fit to the paper and its
 * predictions (`mpcsim fit-deployed`). See xp_deployed.c for every parameter's source. */
#ifndef XP_DEPLOYED_H
#define XP_DEPLOYED_H

#include "../net/net_rt.h"
#include "xp_session.h"

/* The fitted parameters (from `mpcsim fit-deployed`; tests/test_deployed.c checks they reproduce). */
#define XP_DEPLOYED_LATENCY_S 0.000266237724
#define XP_DEPLOYED_BANDWIDTH_BPS 8.99809802e+09
#define XP_DEPLOYED_COLL_S 0.0
#define XP_DEPLOYED_OP_S 0.00240478821
#define XP_DEPLOYED_MATMUL_S 0.00767734334

/* "crypten-gloo-gpu" or "crypten-gloo-cpu". Returns 0 or -1 (message printed, naming the value). */
int xp_runtime_parse(net_rt_cfg *c, const char *name);
/* Writes the per-operator collective costs of party `last` (runtime set). 0 or -1. */
int xp_runtime_acc_write(const char *path, const xp_result *r, int last, const net_rt_cfg *c);
int xp_cmd_fit_deployed(int argc, char **argv);

#endif

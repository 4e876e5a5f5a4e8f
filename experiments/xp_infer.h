/* xp_infer.h -- what `mpcsim infer`, `mpcsim party ... infer` and `mpcsim launch infer` share: the model
 * options (a built-in name or config.json, approximations, sequence length) turned into a checked
 * model and protocol configuration, and the `infer` schema's row. */
#ifndef XP_INFER_H
#define XP_INFER_H

#include <stdio.h>

#include "../models/tfm.h"
#include "../protocols/mpc.h"
#include "../runtime/rt.h"
#include "xp_schema.h"

typedef struct xp_model_opts {
    const char *model, *config, *gelu, *softmax, *norm;
    uint64_t seq;
} xp_model_opts;

/* Loads and checks the model (--model or --config; --model renames a config), its approximations and
 * the sequence length against the protocol family; then sets cfg's Quad coefficients and LayerNorm
 * epsilon from the model (PROTOCOLS.md 4.7). 0, or -1 after "error: CMD: ..." naming the option. */
int xp_model_setup(tfm_config *m, mpc_config *cfg, const xp_model_opts *o, const char *cmd);

/* The `infer` schema's row of one inference. net == NULL: over TCP (net "tcp", link columns empty,
 * compute_model "real", compute_s and comm_s empty: the time is measured). err < 0: no error column. */
typedef struct xp_infer_row {
    const tfm_config *m;
    int seq, phantom;
    const mpc_config *cfg;
    const rt_result *res;
    const char *net, *compute_model;
    uint64_t bandwidth_bps;
    int64_t one_way_latency_ns;
    double compute_s;
    double max_abs_logit_err;
    const struct mpc_audit *audit; /* the simulator's truncation oracle (mpc_audit.h): p_fail, wraps,
                                    * domain, first_event; NULL = those cells empty */
    int trunc_col;                 /* write the trunc column */
} xp_infer_row;
void xp_infer_write_row(xp_rows *w, const xp_infer_row *r);

#endif

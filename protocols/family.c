/* family.c -- the protocol-family seam's names and checks. See family.h (the registry: families.c). */
#include "family.h"

#include <math.h>
#include <string.h>

const char *const mpc_act_names[MPC_ACT_N] = {"gelu-erf", "gelu-tanh", "relu", "quad", "tanh"};
const char *const mpc_attn_names[MPC_ATTN_N] = {"softmax", "2relu", "2quad"};
const char *const mpc_norm_names[MPC_NORM_N] = {"layernorm", "batchnorm"};

const char *mpc_family_check(const mpc_family *fam, mpc_act act, mpc_attn attn, mpc_norm norm)
{
    static char msg[160];
    int act_ok = act >= 0 && act < MPC_ACT_N, attn_ok = attn >= 0 && attn < MPC_ATTN_N;
    int norm_ok = norm >= 0 && norm < MPC_NORM_N;
    const char *what = NULL, *name = "?";
    if (!act_ok || !fam->activation[act].run) what = "activation", name = act_ok ? mpc_act_names[act] : "?";
    else if (!attn_ok || !fam->attn_norm[attn].run) what = "attention normalisation", name = attn_ok ? mpc_attn_names[attn] : "?";
    else if (!norm_ok || !fam->norm[norm].run) what = "norm", name = norm_ok ? mpc_norm_names[norm] : "?";
    if (!what) return NULL;
    snprintf(msg, sizeof msg, "protocol '%s' has no %s '%s'", fam->name, what, name);
    return msg;
}

double mpc_family_ln_eps(const mpc_family *fam, const mpc_config *cfg, double model_eps, uint64_t H)
{
    const mpc_norm_op *ln = &fam->norm[MPC_NORM_LAYERNORM];
    double res = ln->eps_min ? ln->eps_min(cfg, H) : ldexp(1, -cfg->frac_bits);
    return cfg->ln_eps < res ? fmax(model_eps, res) : cfg->ln_eps;
}

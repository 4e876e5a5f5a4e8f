/* family.c -- the registry of protocol families. See family.h. A new family adds its header and one
 * line to mpc_families[]. */
#include "family.h"

#include <string.h>

#include "crypten/crypten.h"
#include "fss/fss_family.h"

const mpc_family *const mpc_families[] = {
    &mpc_family_crypten,
    &mpc_family_fss,
    NULL,
};

const char *const mpc_act_names[MPC_ACT_N] = {"gelu-erf", "gelu-tanh", "relu", "quad", "tanh"};
const char *const mpc_attn_names[MPC_ATTN_N] = {"softmax", "2relu", "2quad"};
const char *const mpc_norm_names[MPC_NORM_N] = {"layernorm", "batchnorm"};

const mpc_family *mpc_family_find(const char *name)
{
    for (const mpc_family *const *f = mpc_families; *f; f++)
        if (strcmp((*f)->name, name) == 0) return *f;
    return NULL;
}

const mpc_family *mpc_family_of(const mpc_config *cfg)
{
    const mpc_family *f = mpc_family_find(cfg->protocol);
    CHECK(f, "configuration names protocol '%.*s', which no family registers", (int)sizeof cfg->protocol,
          cfg->protocol);
    return f;
}

void mpc_family_names(FILE *f)
{
    for (const mpc_family *const *p = mpc_families; *p; p++)
        fprintf(f, "%s%s", p == mpc_families ? "" : ", ", (*p)->name);
}

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

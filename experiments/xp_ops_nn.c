/* xp_ops_nn.c -- registry entries for the ops of protocols/mpc_nn.h. */
#include "xp_ops.h"

const xp_opdef xp_ops_nn[] = {
    {NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL},
};

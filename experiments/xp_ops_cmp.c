/* xp_ops_cmp.c -- registry entries for the ops of protocols/mpc_cmp.h. */
#include "xp_ops.h"

const xp_opdef xp_ops_cmp[] = {
    {NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL},
};

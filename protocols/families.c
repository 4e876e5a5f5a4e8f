/* families.c -- the registry of protocol families. See families.h. */
#include "families.h"

#include <string.h>

#include "../common/chk.h"
#include "crypten/crypten.h"
#include "fss/fss_family.h"

const mpc_family *const mpc_families[] = {
    &mpc_family_crypten,
    &mpc_family_fss,
    NULL,
};

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

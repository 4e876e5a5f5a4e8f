/* families.h -- the registry of protocol families (family.h): every family the build has, by name.
 * It sits above the families (protocols/NAME/, which include family.h) and below their users (models,
 * runtime, commands); a new family adds its header and one line to families.c's mpc_families[]. */
#ifndef FAMILIES_H
#define FAMILIES_H

#include <stdio.h>

#include "family.h"

/* The registered families, NULL-terminated, in --help order. */
extern const mpc_family *const mpc_families[];
/* The family named `name`, or NULL. */
const mpc_family *mpc_family_find(const char *name);
/* The family of a configuration (cfg->protocol); CHECK-fails on a name no family has (the commands
 * validate --protocol first). */
const mpc_family *mpc_family_of(const mpc_config *cfg);
/* Writes the known names, comma-separated ("crypten, ..."). */
void mpc_family_names(FILE *f);

#endif

/* crypten.h -- the `crypten` protocol family: CrypTen's algorithms and defaults (PROTOCOLS.md), two
 * parties plus a dealer over Z_2^64, Beaver products (mpc_beaver.h), comparisons by A2B (mpc_cmp.h),
 * Newton iterations and series (mpc_math.h), MPCFormer's approximations (mpc_nn.h). */
#ifndef CRYPTEN_H
#define CRYPTEN_H

#include "../family.h"

extern const mpc_family mpc_family_crypten;

#endif

/* rt_refs.h -- double-precision references shared by the op registries of every protocol family
 * (rt_ops_*.c): the same function, whichever family computes it, is checked against the same double.
 * Signature of rt_opdef.ref; rows of R x L along the last dim where the op normalises rows. */
#ifndef RT_REFS_H
#define RT_REFS_H

#include "rt_ops.h"

#define RT_REF(name) void rt_ref_##name(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
RT_REF(relu);    /* max(x, 0) */
RT_REF(ltz);     /* 1 where x, as encoded at f fractional bits, is negative (exact 0/1) */
RT_REF(matmul);  /* B products X (m x k) @ Y (k x p); Y shared by the batch when s->y_shared */
RT_REF(quad);    /* cfg's Quad a x^2 + b x + c */
RT_REF(softmax); /* along rows */
RT_REF(2quad);   /* (x + cfg's c)^2 / row sum */
RT_REF(2relu);   /* relu(x) / row sum (0 where the row sum is 0) */
RT_REF(gelu_erf);
RT_REF(tanh);
#undef RT_REF

/* LayerNorm along rows with eps = cfg->ln_eps and P0's gamma(j, L), beta(j, L) as the op shares them. */
void rt_ref_layernorm(const mpc_config *cfg, double *out, const double *in, const rt_shape *s,
                      double (*gamma)(size_t j, size_t L), double (*beta)(size_t j, size_t L));

#endif

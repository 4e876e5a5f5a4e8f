/* rt_refs.c -- double references shared by the op registries. See rt_refs.h. */
#include "rt_refs.h"

#include <math.h>

#include "../common/fx.h"

void rt_ref_relu(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    (void)cfg;
    for (size_t i = 0; i < s->n; i++) out[i] = in[0][i] > 0 ? in[0][i] : 0;
}

void rt_ref_ltz(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    for (size_t i = 0; i < s->n; i++) out[i] = fx_decode(fx_encode(in[0][i], cfg->frac_bits), cfg->frac_bits) < 0;
}

void rt_ref_matmul(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    (void)cfg;
    for (size_t b = 0; b < s->B; b++) {
        const double *X = in[0] + b * s->m * s->k, *Y = in[1] + (s->y_shared ? 0 : b * s->k * s->p);
        double *Z = out + b * s->m * s->p;
        for (size_t i = 0; i < s->m; i++)
            for (size_t j = 0; j < s->p; j++) {
                double acc = 0;
                for (size_t t = 0; t < s->k; t++) acc += X[i * s->k + t] * Y[t * s->p + j];
                Z[i * s->p + j] = acc;
            }
    }
}

void rt_ref_quad(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    for (size_t i = 0; i < s->n; i++) {
        double x = in[0][i];
        out[i] = cfg->quad_a * x * x + cfg->quad_b * x + cfg->quad_c;
    }
}

void rt_ref_softmax(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    (void)cfg;
    for (size_t r = 0; r < s->R; r++) {
        const double *x = in[0] + r * s->L;
        double m = x[0], sum = 0;
        for (size_t j = 1; j < s->L; j++) m = fmax(m, x[j]);
        for (size_t j = 0; j < s->L; j++) sum += exp(x[j] - m);
        for (size_t j = 0; j < s->L; j++) out[r * s->L + j] = exp(x[j] - m) / sum;
    }
}

void rt_ref_2quad(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    for (size_t r = 0; r < s->R; r++) {
        double sum = 0;
        for (size_t j = 0; j < s->L; j++) sum += pow(in[0][r * s->L + j] + cfg->quad2_c, 2);
        for (size_t j = 0; j < s->L; j++) out[r * s->L + j] = pow(in[0][r * s->L + j] + cfg->quad2_c, 2) / sum;
    }
}

void rt_ref_2relu(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    (void)cfg;
    for (size_t r = 0; r < s->R; r++) {
        double sum = 0;
        for (size_t j = 0; j < s->L; j++) sum += fmax(in[0][r * s->L + j], 0);
        for (size_t j = 0; j < s->L; j++) out[r * s->L + j] = sum > 0 ? fmax(in[0][r * s->L + j], 0) / sum : 0;
    }
}

void rt_ref_gelu_erf(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    (void)cfg;
    for (size_t i = 0; i < s->n; i++) out[i] = 0.5 * in[0][i] * (1.0 + erf(in[0][i] / sqrt(2.0)));
}

void rt_ref_tanh(const mpc_config *cfg, double *out, const double *const in[2], const rt_shape *s)
{
    (void)cfg;
    for (size_t i = 0; i < s->n; i++) out[i] = tanh(in[0][i]);
}

void rt_ref_layernorm(const mpc_config *cfg, double *out, const double *in, const rt_shape *s,
                      double (*gamma)(size_t j, size_t L), double (*beta)(size_t j, size_t L))
{
    for (size_t r = 0; r < s->R; r++) {
        const double *x = in + r * s->L;
        double mu = 0, v = 0;
        for (size_t j = 0; j < s->L; j++) mu += x[j];
        mu /= (double)s->L;
        for (size_t j = 0; j < s->L; j++) v += (x[j] - mu) * (x[j] - mu);
        v /= (double)s->L;
        for (size_t j = 0; j < s->L; j++)
            out[r * s->L + j] = (x[j] - mu) / sqrt(v + cfg->ln_eps) * gamma(j, s->L) + beta(j, s->L);
    }
}

/* rt_ops.c -- op registry, shape parsing and the op runner. See rt_ops.h. */
#include "rt_ops.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/fx.h"

/* ---- shapes ---- */

static int parse_dims(const char *t, size_t *dims, int *nd, char *err, size_t errlen, const char *whole)
{
    *nd = 0;
    const char *p = t;
    for (;;) {
        if (*nd == 8) {
            snprintf(err, errlen, "shape '%s' has more than 8 dimensions", whole);
            return -1;
        }
        if (*p == '-') {
            snprintf(err, errlen, "shape '%s': dimensions must be positive integers", whole);
            return -1;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || errno) {
            snprintf(err, errlen, "shape '%s' is not like 1024, 12x128x128 or 128x768@768x768", whole);
            return -1;
        }
        if (v == 0) {
            snprintf(err, errlen, "shape '%s': dimensions must be positive (got 0)", whole);
            return -1;
        }
        if (v > (1ull << 31)) {
            snprintf(err, errlen, "shape '%s': dimension %llu is too large", whole, v);
            return -1;
        }
        dims[(*nd)++] = (size_t)v;
        p = end;
        if (*p == 'x' || *p == 'X') {
            p++;
            continue;
        }
        if (*p == 0 || *p == '@') break;
        snprintf(err, errlen, "shape '%s': unexpected '%c'", whole, *p);
        return -1;
    }
    return (int)(p - t);
}

int rt_shape_parse(rt_shape *s, const char *text, int matmul, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (!text || !*text) {
        snprintf(err, errlen, "missing --shape");
        return -1;
    }
    snprintf(s->text, sizeof s->text, "%s", text);
    int used = parse_dims(text, s->dims, &s->ndims, err, errlen, text);
    if (used < 0) return -1;
    const char *at = text + used;
    unsigned __int128 total = 1;
    for (int i = 0; i < s->ndims; i++) total *= s->dims[i];
    if (!matmul) {
        if (*at == '@') {
            snprintf(err, errlen, "shape '%s': '@' is only for matmul", text);
            return -1;
        }
        if (total > (1u << 30)) {
            snprintf(err, errlen, "shape '%s' has more than 2^30 elements", text);
            return -1;
        }
        s->n = (size_t)total;
        s->L = s->dims[s->ndims - 1];
        s->R = s->n / s->L;
        return 0;
    }
    if (*at != '@') {
        snprintf(err, errlen, "matmul shape '%s' must be like 128x768@768x768", text);
        return -1;
    }
    size_t yd[8];
    int ynd;
    if (parse_dims(at + 1, yd, &ynd, err, errlen, text) < 0) return -1;
    if (s->ndims < 2 || s->ndims > 3 || ynd < 2 || ynd > 3) {
        snprintf(err, errlen, "matmul shape '%s': operands must be 2-D or 3-D (batch x rows x cols)", text);
        return -1;
    }
    s->m = s->dims[s->ndims - 2];
    s->k = s->dims[s->ndims - 1];
    s->B = s->ndims == 3 ? s->dims[0] : 1;
    size_t yk = yd[ynd - 2], yB = ynd == 3 ? yd[0] : 1;
    s->p = yd[ynd - 1];
    if (yk != s->k) {
        snprintf(err, errlen, "matmul shape '%s': inner dimensions differ (%zu vs %zu)", text, s->k, yk);
        return -1;
    }
    if (ynd == 3 && yB != s->B) {
        snprintf(err, errlen, "matmul shape '%s': batch dimensions differ (%zu vs %zu)", text, s->B, yB);
        return -1;
    }
    s->y_shared = ynd == 2;
    if ((unsigned __int128)s->B * s->m * s->k > (1u << 30) || (unsigned __int128)s->B * s->k * s->p > (1u << 30) ||
        (unsigned __int128)s->B * s->m * s->p > (1u << 30)) {
        snprintf(err, errlen, "matmul shape '%s' is too large", text);
        return -1;
    }
    s->n = s->B * s->m * s->k;
    return 0;
}

/* ---- registry ---- */

/* Each protocol family's op tables (NULL-terminated), by family name; the first is the default
 * family's, which rt_op_count / rt_op_at / rt_op_find walk. A family adds one row. */
static const rt_opdef *const crypten_tables[] = {rt_ops_core, rt_ops_cmp, rt_ops_math, rt_ops_nn, NULL};

static const rt_opdef *const fss_tables[] = {rt_ops_fss, NULL};

static const struct {
    const char *protocol;
    const rt_opdef *const *tables;
} op_families[] = {
    {"crypten", crypten_tables},
    {"fss", fss_tables},
};

static const rt_opdef *const *tables_of(const char *protocol)
{
    for (size_t f = 0; f < sizeof op_families / sizeof *op_families; f++)
        if (strcmp(op_families[f].protocol, protocol) == 0) return op_families[f].tables;
    return NULL;
}

static size_t count_in(const rt_opdef *const *t)
{
    size_t n = 0;
    for (; t && *t; t++)
        for (const rt_opdef *d = *t; d->name; d++) n++;
    return n;
}

static const rt_opdef *at_in(const rt_opdef *const *t, size_t i)
{
    for (; t && *t; t++)
        for (const rt_opdef *d = *t; d->name; d++)
            if (i-- == 0) return d;
    return NULL;
}

size_t rt_op_count(void) { return count_in(op_families[0].tables); }
const rt_opdef *rt_op_at(size_t i) { return at_in(op_families[0].tables, i); }

const rt_opdef *rt_op_find_in(const char *protocol, const char *name)
{
    const rt_opdef *const *t = tables_of(protocol);
    for (size_t i = 0; i < count_in(t); i++)
        if (strcmp(at_in(t, i)->name, name) == 0) return at_in(t, i);
    return NULL;
}

const rt_opdef *rt_op_find(const char *name) { return rt_op_find_in(op_families[0].protocol, name); }

const char *rt_op_family(size_t f)
{
    return f < sizeof op_families / sizeof *op_families ? op_families[f].protocol : NULL;
}

size_t rt_op_count_in(const char *protocol) { return count_in(tables_of(protocol)); }
const rt_opdef *rt_op_at_in(const char *protocol, size_t i) { return at_in(tables_of(protocol), i); }

double rt_op_decode(const mpc_config *cfg, uint64_t a, uint64_t b)
{
    uint64_t v = a + b;
    int nb = cfg->ring_bits;
    if (nb < 64) {
        v &= ((uint64_t)1 << nb) - 1;
        if ((v >> (nb - 1)) & 1) v |= ~(((uint64_t)1 << nb) - 1);
    }
    return fx_decode(v, cfg->frac_bits);
}

size_t rt_op_in_len(const rt_opdef *op, const rt_shape *s, int which)
{
    if (op->kind == RT_SHAPE_MATMUL) return which == 0 ? s->B * s->m * s->k : (s->y_shared ? 1 : s->B) * s->k * s->p;
    return s->n;
}

size_t rt_op_out_len(const rt_opdef *op, const rt_shape *s)
{
    if (op->out_len) return op->out_len(s);
    if (op->kind == RT_SHAPE_MATMUL) return s->B * s->m * s->p;
    return s->n;
}

/* ---- runner ---- */

typedef struct op_party {
    const rt_opdef *op;
    const rt_shape *s;
    const uint64_t *plain[2]; /* owner's plaintext input (NULL where not the owner) */
    uint64_t *in_sh[2], *out_sh;
    size_t nin[2];
} op_party;

void rt_op_party(mpc_ctx *c, const rt_opdef *op, const rt_shape *s, uint64_t *const in_sh[2],
                 const uint64_t *const plain[2], const size_t nin[2], uint64_t *out_sh)
{
    mpc_share(c, in_sh[0], plain[0], nin[0], NET_P1);
    if (op->ninputs == 2) mpc_share(c, in_sh[1], plain[1], nin[1], NET_P0);
    op->run(c, out_sh, in_sh, s);
}

static void op_party_fn(mpc_ctx *c, void *arg)
{
    op_party *a = arg;
    rt_op_party(c, a->op, a->s, a->in_sh, a->plain, a->nin, a->out_sh);
}

void rt_op_inputs(const rt_opdef *op, const rt_shape *s, uint64_t seed, int f, double *in[2], uint64_t *enc[2])
{
    rng r;
    rng_seed(&r, seed, 0x1497);
    in[0] = in[1] = NULL;
    enc[0] = enc[1] = NULL;
    for (int k = 0; k < op->ninputs; k++) {
        size_t n = rt_op_in_len(op, s, k);
        in[k] = chk_malloc(n * sizeof(double));
        for (size_t i = 0; i < n; i++) in[k][i] = rng_range(&r, op->lo, op->hi);
    }
    if (op->prepare) op->prepare(in[0], in[1], s);
    for (int k = 0; k < op->ninputs; k++) {
        size_t n = rt_op_in_len(op, s, k);
        enc[k] = chk_malloc(n * sizeof(uint64_t));
        fx_encode_n(enc[k], in[k], n, f);
    }
}

int rt_op_run(const rt_opdef *op, const rt_shape *s, const rt_sim_opts *o, int keep, rt_op_outcome *out)
{
    memset(out, 0, sizeof *out);
    int real = !o->phantom;
    int f = o->cfg->frac_bits;
    size_t nin[2] = {rt_op_in_len(op, s, 0), op->ninputs == 2 ? rt_op_in_len(op, s, 1) : 0};
    size_t nout = rt_op_out_len(op, s);
    op_party pa[2];
    memset(pa, 0, sizeof pa);
    uint64_t *enc[2] = {NULL, NULL};
    double *in[2] = {NULL, NULL};
    if (real) rt_op_inputs(op, s, o->seed, f, in, enc);
    for (int i = 0; i < 2; i++) {
        pa[i].op = op;
        pa[i].s = s;
        for (int k = 0; k < 2; k++) pa[i].nin[k] = nin[k];
        if (real) {
            for (int k = 0; k < op->ninputs; k++) pa[i].in_sh[k] = chk_malloc(nin[k] * sizeof(uint64_t));
            pa[i].out_sh = chk_calloc(nout, sizeof(uint64_t));
        }
    }
    if (real) {
        pa[NET_P1].plain[0] = enc[0]; /* P1 owns the data input */
        pa[NET_P0].plain[1] = enc[1]; /* P0 owns the second (weight-like) input */
    }
    void *args[2] = {&pa[0], &pa[1]};
    int rc = rt_sim_run(o, op_party_fn, args, &out->res);
    out->max_abs_err = out->max_rel_err = NAN;
    out->nout = nout;
    if (rc == 0 && real) {
        double *got = chk_malloc(nout * sizeof(double)), *want = chk_malloc(nout * sizeof(double));
        for (size_t i = 0; i < nout; i++) got[i] = rt_op_decode(o->cfg, pa[0].out_sh[i], pa[1].out_sh[i]);
        const double *const cin[2] = {in[0], in[1]};
        op->ref(o->cfg, want, cin, s);
        double ma = 0, mr = 0;
        for (size_t i = 0; i < nout; i++) {
            double e = fabs(got[i] - want[i]);
            if (!(e <= ma)) ma = e; /* NaN-propagating max */
            double r = e / fmax(fabs(want[i]), 1e-3);
            if (!(r <= mr)) mr = r;
        }
        out->max_abs_err = ma;
        out->max_rel_err = mr;
        if (keep) {
            out->got = got;
            out->want = want;
            out->in[0] = in[0];
            out->in[1] = in[1];
            in[0] = in[1] = NULL;
        } else {
            free(got);
            free(want);
        }
    }
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 2; k++) free(pa[i].in_sh[k]);
        free(pa[i].out_sh);
    }
    for (int k = 0; k < 2; k++) {
        free(enc[k]);
        free(in[k]);
    }
    return rc;
}

void rt_op_outcome_free(rt_op_outcome *o)
{
    free(o->got);
    free(o->want);
    free(o->in[0]);
    free(o->in[1]);
    o->got = o->want = o->in[0] = o->in[1] = NULL;
}

/* xp_ops.c -- op registry, shape parsing, the op runner and the algorithm options. See xp_ops.h. */
#include "xp_ops.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/fx.h"
#include "xp.h"
#include "xp_schema.h"

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

int xp_shape_parse(xp_shape *s, const char *text, int matmul, char *err, size_t errlen)
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
 * family's, which xp_op_count / xp_op_at / xp_op_find walk. A family adds one row. */
static const xp_opdef *const crypten_tables[] = {xp_ops_core, xp_ops_cmp, xp_ops_math, xp_ops_nn, NULL};

static const xp_opdef *const fss_tables[] = {xp_ops_fss, NULL};

static const struct {
    const char *protocol;
    const xp_opdef *const *tables;
} op_families[] = {
    {"crypten", crypten_tables},
    {"fss", fss_tables},
};

static const xp_opdef *const *tables_of(const char *protocol)
{
    for (size_t f = 0; f < sizeof op_families / sizeof *op_families; f++)
        if (strcmp(op_families[f].protocol, protocol) == 0) return op_families[f].tables;
    return NULL;
}

static size_t count_in(const xp_opdef *const *t)
{
    size_t n = 0;
    for (; t && *t; t++)
        for (const xp_opdef *d = *t; d->name; d++) n++;
    return n;
}

static const xp_opdef *at_in(const xp_opdef *const *t, size_t i)
{
    for (; t && *t; t++)
        for (const xp_opdef *d = *t; d->name; d++)
            if (i-- == 0) return d;
    return NULL;
}

size_t xp_op_count(void) { return count_in(op_families[0].tables); }
const xp_opdef *xp_op_at(size_t i) { return at_in(op_families[0].tables, i); }

const xp_opdef *xp_op_find_in(const char *protocol, const char *name)
{
    const xp_opdef *const *t = tables_of(protocol);
    for (size_t i = 0; i < count_in(t); i++)
        if (strcmp(at_in(t, i)->name, name) == 0) return at_in(t, i);
    return NULL;
}

const xp_opdef *xp_op_find(const char *name) { return xp_op_find_in(op_families[0].protocol, name); }

const xp_opdef *xp_op_lookup(const mpc_config *cfg, const char *name, const char *cmd)
{
    const xp_opdef *op = xp_op_find_in(cfg->protocol, name);
    if (op) return op;
    for (size_t f = 0; f < sizeof op_families / sizeof *op_families; f++)
        if (xp_op_find_in(op_families[f].protocol, name)) {
            fprintf(stderr, "error: %s: protocol '%s' has no op '%s' (mpcsim op --protocol %s --list)\n", cmd,
                    cfg->protocol, name, cfg->protocol);
            return NULL;
        }
    fprintf(stderr, "error: %s: unknown op '%s' (mpcsim op --list shows the %zu ops)\n", cmd, name,
            count_in(tables_of(cfg->protocol)));
    return NULL;
}

void xp_op_list_in(FILE *f, const char *protocol)
{
    const xp_opdef *const *t = tables_of(protocol);
    for (size_t i = 0; i < count_in(t); i++) {
        const xp_opdef *d = at_in(t, i);
        fprintf(f, "%-15s %s\n", d->name, d->summary);
    }
}

void xp_op_list(FILE *f) { xp_op_list_in(f, op_families[0].protocol); }

double xp_op_decode(const mpc_config *cfg, uint64_t a, uint64_t b)
{
    uint64_t v = a + b;
    int nb = cfg->ring_bits;
    if (nb < 64) {
        v &= ((uint64_t)1 << nb) - 1;
        if ((v >> (nb - 1)) & 1) v |= ~(((uint64_t)1 << nb) - 1);
    }
    return fx_decode(v, cfg->frac_bits);
}

size_t xp_op_in_len(const xp_opdef *op, const xp_shape *s, int which)
{
    if (op->kind == XP_SHAPE_MATMUL) return which == 0 ? s->B * s->m * s->k : (s->y_shared ? 1 : s->B) * s->k * s->p;
    return s->n;
}

size_t xp_op_out_len(const xp_opdef *op, const xp_shape *s)
{
    if (op->out_len) return op->out_len(s);
    if (op->kind == XP_SHAPE_MATMUL) return s->B * s->m * s->p;
    return s->n;
}

/* ---- runner ---- */

typedef struct op_party {
    const xp_opdef *op;
    const xp_shape *s;
    const uint64_t *plain[2]; /* owner's plaintext input (NULL where not the owner) */
    uint64_t *in_sh[2], *out_sh;
    size_t nin[2];
} op_party;

void xp_op_party(mpc_ctx *c, const xp_opdef *op, const xp_shape *s, uint64_t *const in_sh[2],
                 const uint64_t *const plain[2], const size_t nin[2], uint64_t *out_sh)
{
    mpc_share(c, in_sh[0], plain[0], nin[0], NET_P1);
    if (op->ninputs == 2) mpc_share(c, in_sh[1], plain[1], nin[1], NET_P0);
    op->run(c, out_sh, in_sh, s);
}

static void op_party_fn(mpc_ctx *c, void *arg)
{
    op_party *a = arg;
    xp_op_party(c, a->op, a->s, a->in_sh, a->plain, a->nin, a->out_sh);
}

void xp_op_inputs(const xp_opdef *op, const xp_shape *s, uint64_t seed, int f, double *in[2], uint64_t *enc[2])
{
    rng r;
    rng_seed(&r, seed, 0x1497);
    in[0] = in[1] = NULL;
    enc[0] = enc[1] = NULL;
    for (int k = 0; k < op->ninputs; k++) {
        size_t n = xp_op_in_len(op, s, k);
        in[k] = chk_malloc(n * sizeof(double));
        for (size_t i = 0; i < n; i++) in[k][i] = rng_range(&r, op->lo, op->hi);
    }
    if (op->prepare) op->prepare(in[0], in[1], s);
    for (int k = 0; k < op->ninputs; k++) {
        size_t n = xp_op_in_len(op, s, k);
        enc[k] = chk_malloc(n * sizeof(uint64_t));
        fx_encode_n(enc[k], in[k], n, f);
    }
}

int xp_op_run(const xp_opdef *op, const xp_shape *s, const xp_session_opts *o, int keep, xp_op_outcome *out)
{
    memset(out, 0, sizeof *out);
    int real = !o->phantom;
    int f = o->cfg->frac_bits;
    size_t nin[2] = {xp_op_in_len(op, s, 0), op->ninputs == 2 ? xp_op_in_len(op, s, 1) : 0};
    size_t nout = xp_op_out_len(op, s);
    op_party pa[2];
    memset(pa, 0, sizeof pa);
    uint64_t *enc[2] = {NULL, NULL};
    double *in[2] = {NULL, NULL};
    if (real) xp_op_inputs(op, s, o->seed, f, in, enc);
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
    int rc = xp_session_run(o, op_party_fn, args, &out->res);
    out->max_abs_err = out->max_rel_err = NAN;
    out->nout = nout;
    if (rc == 0 && real) {
        double *got = chk_malloc(nout * sizeof(double)), *want = chk_malloc(nout * sizeof(double));
        for (size_t i = 0; i < nout; i++) got[i] = xp_op_decode(o->cfg, pa[0].out_sh[i], pa[1].out_sh[i]);
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

void xp_op_outcome_free(xp_op_outcome *o)
{
    free(o->got);
    free(o->want);
    free(o->in[0]);
    free(o->in[1]);
    o->got = o->want = o->in[0] = o->in[1] = NULL;
}

/* ---- algorithm options ---- */

static int parse_double(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = v ? strtod(v, &end) : NAN;
    if (!v || !*v || errno || *end || !isfinite(x) || x < lo || x > hi) {
        fprintf(stderr, "error: %s: '%s' is not a number in [%g, %g]\n", opt, v ? v : "", lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

static int parse_int(const char *opt, const char *v, int lo, int hi, int *out)
{
    uint64_t u;
    if (xp_parse_u64(opt, v, (uint64_t)lo, (uint64_t)hi, &u) != 0) return -1;
    *out = (int)u;
    return 0;
}

/* --protocol NAME -> the family, or NULL after printing the error with the known names. */
static const mpc_family *protocol_named(const char *v)
{
    const mpc_family *f = mpc_family_find(v);
    if (f) return f;
    fprintf(stderr, "error: --protocol: unknown protocol '%s' (known: ", v);
    mpc_family_names(stderr);
    fprintf(stderr, ")\n");
    return NULL;
}

int xp_cfg_init(mpc_config *cfg, int argc, char **argv)
{
    const mpc_family *fam = mpc_families[0]; /* the default family */
    for (int i = 0; i < argc; i++) {
        const char *v;
        int r = xp_arg(argc, argv, &i, "--protocol", 1, &v);
        if (r < 0) return -1;
        if (r > 0 && !(fam = protocol_named(v))) return -1;
    }
    CHECK(fam, "the default protocol family is not registered");
    fam->config_default(cfg);
    return 0;
}

int xp_cfg_check(const mpc_config *cfg)
{
    const mpc_family *fam = mpc_family_of(cfg);
    if (cfg->trunc == MPC_TRUNC_SAFE && strcmp(fam->name, "crypten") != 0) { /* mpc_trunc_safe.h: Z_2^64 */
        fprintf(stderr, "error: --trunc safe is the crypten family's (Z_2^64); --protocol %s truncates its own way\n",
                fam->name);
        return -1;
    }
    const char *why = fam->config_check ? fam->config_check(cfg) : NULL;
    if (!why) return 0;
    fprintf(stderr, "error: --protocol %s: %s\n", fam->name, why);
    return -1;
}

int xp_protocol_arg(const mpc_config *cfg, int argc, char **argv, int *i)
{
    const char *v;
    int r = xp_arg(argc, argv, i, "--protocol", 1, &v); /* applied by xp_cfg_init; must agree */
    if (r <= 0) return r;
    const mpc_family *f = protocol_named(v);
    if (!f) return -1;
    if (strcmp(f->name, cfg->protocol) != 0) {
        fprintf(stderr, "error: --protocol: given twice ('%s' and '%s')\n", cfg->protocol, f->name);
        return -1;
    }
    return 1;
}

int xp_cfg_arg(mpc_config *cfg, int argc, char **argv, int *i)
{
    static const struct { const char *name; int is_int; size_t off; double lo, hi; } opts[] = {
        {"--ring-bits", 1, offsetof(mpc_config, ring_bits), 16, 64},
        {"--frac-bits", 1, offsetof(mpc_config, frac_bits), 1, 30},
        {"--exp-iters", 1, offsetof(mpc_config, exp_iters), 1, 16},
        {"--recip-iters", 1, offsetof(mpc_config, recip_nr_iters), 1, 64},
        {"--recip-init-mul", 0, offsetof(mpc_config, recip_init_mul), 0, 1e3},
        {"--recip-init-add", 0, offsetof(mpc_config, recip_init_add), 0, 1e3},
        {"--sqrt-iters", 1, offsetof(mpc_config, sqrt_nr_iters), 1, 64},
        {"--erf-iters", 1, offsetof(mpc_config, erf_iters), 1, 16},
        {"--sigmoid-recip-iters", 1, offsetof(mpc_config, sigmoid_recip_iters), 1, 64},
        {"--sigmoid-recip-init", 0, offsetof(mpc_config, sigmoid_recip_init), 0, 1e3},
        {"--quad2-c", 0, offsetof(mpc_config, quad2_c), -1e3, 1e3},
        {"--softmax-recip-scale", 0, offsetof(mpc_config, softmax_recip_scale), 0, 1e9},
        {"--quad2-recip-scale", 0, offsetof(mpc_config, quad2_recip_scale), 0, 1e9},
        {"--relu2-recip-scale", 0, offsetof(mpc_config, relu2_recip_scale), 0, 1e9},
        {"--ln-eps", 0, offsetof(mpc_config, ln_eps), 0, 1},
        {"--ln-rsqrt-shift", 2, offsetof(mpc_config, ln_rsqrt_shift), -20, 20},
        {"--embed-chunks", 1, offsetof(mpc_config, embed_chunks), 1, 1000000},
    };
    const char *v;
    int r;
    if ((r = xp_protocol_arg(cfg, argc, argv, i))) return r;
    for (size_t k = 0; k < sizeof opts / sizeof *opts; k++) {
        if ((r = xp_arg(argc, argv, i, opts[k].name, 1, &v))) {
            if (r < 0) return -1;
            char *field = (char *)cfg + opts[k].off;
            if (opts[k].is_int == 2) { /* signed int */
                char *end;
                long x = strtol(v, &end, 10);
                if (!*v || *end || x < (long)opts[k].lo || x > (long)opts[k].hi) {
                    fprintf(stderr, "error: %s: '%s' is not an integer in [%g, %g]\n", opts[k].name, v, opts[k].lo, opts[k].hi);
                    return -1;
                }
                *(int *)field = (int)x;
                return 1;
            }
            if (opts[k].is_int) return parse_int(opts[k].name, v, (int)opts[k].lo, (int)opts[k].hi, (int *)field) ? -1 : 1;
            return parse_double(opts[k].name, v, opts[k].lo, opts[k].hi, (double *)field) ? -1 : 1;
        }
    }
    static const char *const maxm[] = {"crypten", "noargmax", NULL}; /* MPC_MAX_CRYPTEN, MPC_MAX_NOARGMAX */
    if ((r = xp_arg_choice(argc, argv, i, "--max-method", maxm, &cfg->max_method))) return r;
    if ((r = xp_arg(argc, argv, i, "--quad", 1, &v))) {
        if (r < 0) return -1;
        double a, b, cc;
        char extra;
        if (sscanf(v, "%lf,%lf,%lf%c", &a, &b, &cc, &extra) != 3 || !isfinite(a) || !isfinite(b) || !isfinite(cc)) {
            fprintf(stderr, "error: --quad: expected three coefficients a,b,c (a x^2 + b x + c), got '%s'\n", v);
            return -1;
        }
        cfg->quad_a = a, cfg->quad_b = b, cfg->quad_c = cc;
        return 1;
    }
    static const char *const sched[] = {"offline", "inline", NULL}; /* MPC_DEALER_OFFLINE, MPC_DEALER_INLINE */
    if ((r = xp_arg_choice(argc, argv, i, "--dealer", sched, &cfg->dealer_schedule))) return r;
    static const char *const trunc[] = {"local", "safe", NULL}; /* MPC_TRUNC_LOCAL, MPC_TRUNC_SAFE */
    if ((r = xp_arg_choice(argc, argv, i, "--trunc", trunc, &cfg->trunc))) return r;
    return 0;
}

void xp_cfg_help(FILE *f)
{
    mpc_config d;
    mpc_config_default(&d);
    fprintf(f,
            "Protocol options (CrypTen's defaults):\n"
            "  --protocol NAME          protocol family (crypten, the default); each has its own defaults\n"
            "  --dealer offline|inline  dealer schedule: material delivered before the input (offline,\n"
            "                           default; dealer bytes reported apart) or CrypTen-style requests\n"
            "                           during inference (inline: dealer round trips inside the latency)\n"
            "  --trunc local|safe       truncation after products and public divisions: local (each party\n"
            "                           divides its share; free, wraps w.p. ~|x|/2^64: default) or safe\n"
            "                           (dealer pair, exact to 1 ulp for |x| < 2^62; +1 round each)\n"
            "  --ring-bits N            ring width n of Z_2^n (%d; crypten: 64 only)\n"
            "  --frac-bits N            fixed-point fractional bits (%d)\n"
            "  --exp-iters N            exp as (1 + x/2^N)^(2^N) (%d)\n"
            "  --recip-iters N          reciprocal Newton iterations (%d)\n"
            "  --recip-init-mul A, --recip-init-add B  reciprocal guess A exp(1-2x) + B (%g, %g)\n"
            "  --sqrt-iters N           inv_sqrt Newton iterations (%d)\n"
            "  --erf-iters N            erf Taylor terms (%d)\n"
            "  --sigmoid-recip-iters N, --sigmoid-recip-init V  sigmoid's reciprocal (%d, %g)\n"
            "  --max-method M           crypten (log reduction + argmax, default) or noargmax\n"
            "  --quad a,b,c             Quad coefficients (%g,%g,%g)\n"
            "  --quad2-c C              2Quad shift (%g)\n"
            "  --softmax-recip-scale K, --quad2-recip-scale K, --relu2-recip-scale K\n"
            "                           public rescale K of row sums S: out = num * recip(S/K) / K keeps the\n"
            "                           reciprocal in its domain (PROTOCOLS.md 4.2); no extra traffic.\n"
            "                           0 = automatic power of two from the row length (default); 1 = CrypTen\n"
            "  --ln-eps E               LayerNorm epsilon (%g)\n"
            "  --ln-rsqrt-shift K       inv_sqrt(v) = inv_sqrt(v/4^K)/2^K in LayerNorm (%d)\n"
            "  --embed-chunks K         the embedding as K matmuls over vocabulary slices, summed (%d;\n"
            "                           MPCFormer's CrypTen benchmark: 250): same bytes, K - 1 more rounds\n",
            d.ring_bits, d.frac_bits, d.exp_iters, d.recip_nr_iters, d.recip_init_mul, d.recip_init_add, d.sqrt_nr_iters,
            d.erf_iters, d.sigmoid_recip_iters, d.sigmoid_recip_init, d.quad_a, d.quad_b, d.quad_c, d.quad2_c,
            d.ln_eps, d.ln_rsqrt_shift, d.embed_chunks);
}

void xp_op_write_row(FILE *f, int table, const xp_op_row *r)
{
    const xp_result *res = r->res;
    xp_rows w;
    xp_rows_open(&w, f, &xp_schema_op, table ? XP_ROWS_TABLE : XP_ROWS_CSV);
    xp_rows_str(&w, "op", r->op);
    xp_rows_str(&w, "shape", r->shape);
    xp_rows_str(&w, "mode", r->phantom ? "phantom" : "real");
    xp_rows_uint(&w, "rounds", res->rounds);
    xp_rows_uint(&w, "online_sent_bytes_p0", xp_online_sent(res, 0));
    xp_rows_uint(&w, "online_recv_bytes_p0", xp_online_recv(res, 0));
    xp_rows_uint(&w, "online_sent_bytes_p1", xp_online_sent(res, 1));
    xp_rows_uint(&w, "online_recv_bytes_p1", xp_online_recv(res, 1));
    xp_rows_uint(&w, "dealer_bytes", res->dealer_bytes);
    xp_rows_real(&w, "latency_s", res->latency_ns * 1e-9);
    if (!r->phantom) {
        xp_rows_real(&w, "max_abs_err", r->max_abs_err);
        xp_rows_real(&w, "max_rel_err", r->max_rel_err);
    }
    xp_rows_str(&w, "dealer", r->cfg->dealer_schedule == MPC_DEALER_INLINE ? "inline" : "offline");
    xp_rows_str(&w, "net", r->net ? r->net : "tcp");
    if (r->net) {
        xp_rows_uint(&w, "bandwidth_bps", r->bandwidth_bps);
        xp_rows_real(&w, "one_way_latency_s", r->one_way_latency_ns * 1e-9);
    }
    xp_rows_int(&w, "frac_bits", r->cfg->frac_bits);
    xp_rows_uint(&w, "seed", r->seed);
    xp_rows_end(&w);
}

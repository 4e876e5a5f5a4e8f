/* xp_cfg.c -- the command line's protocol configuration options (--protocol and the algorithm settings
 * of op, infer, explain, party, launch, eval and sweep): parsing and help. See xp.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../protocols/families.h"
#include "xp.h"

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
    if (cfg->attn_recip == MPC_RECIP_WIDE && (strcmp(fam->name, "crypten") != 0 || cfg->frac_bits < 16)) {
        fprintf(stderr, "error: --attn-recip wide is the crypten family's and needs --frac-bits >= 16 (its scale "
                        "factors reach 2^-16); got --protocol %s, --frac-bits %d\n", fam->name, cfg->frac_bits);
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
    static const char *const recip[] = {"crypten", "wide", NULL}; /* MPC_RECIP_CRYPTEN, MPC_RECIP_WIDE */
    if ((r = xp_arg_choice(argc, argv, i, "--attn-recip", recip, &cfg->attn_recip))) return r;
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
            "  --attn-recip crypten|wide  2Quad's and 2ReLU's row-sum reciprocal: CrypTen's sign variant of\n"
            "                           S/K (default) or range-normalised (any S in [2^-16, 2^18], no K; one ltz\n"
            "                           of 7 values per row instead of 1, same rounds). Calibrated runs (eval\n"
            "                           --calib-n) choose wide per layer where the row sums leave the window\n"
            "  --ln-eps E               LayerNorm epsilon (%g)\n"
            "  --ln-rsqrt-shift K       inv_sqrt(v) = inv_sqrt(v/4^K)/2^K in LayerNorm (%d)\n"
            "  --embed-chunks K         the embedding as K matmuls over vocabulary slices, summed (%d;\n"
            "                           MPCFormer's CrypTen benchmark: 250): same bytes, K - 1 more rounds\n",
            d.ring_bits, d.frac_bits, d.exp_iters, d.recip_nr_iters, d.recip_init_mul, d.recip_init_add, d.sqrt_nr_iters,
            d.erf_iters, d.sigmoid_recip_iters, d.sigmoid_recip_init, d.quad_a, d.quad_b, d.quad_c, d.quad2_c,
            d.ln_eps, d.ln_rsqrt_shift, d.embed_chunks);
}

/* xp_mem.c -- memory estimates of real-mode runs and the limit check. See xp_mem.h. */
#define _DEFAULT_SOURCE
#include "xp_mem.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "xp.h"

/* Peak resident bytes per element of the op's shape (input 0), real mode: the slope between the
 * measured peaks of --shape 64x1024 and 256x1024 (GNU time %M, 2026-12-07, this build), rounded up
 * by about 10%. Measured slopes (B/element): mul 216, square 122, relu 592, ltz 591, eq 372, max 673,
 * exp 184, reciprocal_pos 256, inv_sqrt 271, sqrt 271, erf 319, gelu_erf 336, reciprocal 591,
 * sigmoid 592, tanh 605, gelu_tanh 658, softmax 673, layer_norm 184, batchnorm 136, quad 199,
 * 2quad 199, 2relu 592; reciprocal_wide 4638 measured with the arenas (2026-12-07; its ltz runs on 7n
 * values), entered as 4638 / 1.4 + 10%. An op missing here gets PER_ELEM_MAX (the largest but
 * reciprocal_wide's, which no other op reaches). matmul: 72 B per element of
 * X, Y and the product (128^3 and 256^3 shapes), 80 with the margin. */
static const struct { const char *name; unsigned bytes; } per_elem[] = {
    {"mul", 240}, {"square", 136}, {"relu", 652}, {"ltz", 652}, {"eq", 410}, {"max", 740},
    {"exp", 204}, {"reciprocal_pos", 282}, {"inv_sqrt", 300}, {"sqrt", 300}, {"erf", 352},
    {"gelu_erf", 370}, {"reciprocal", 652}, {"sigmoid", 652}, {"tanh", 666}, {"gelu_tanh", 724},
    {"softmax", 740}, {"layer_norm", 204}, {"batchnorm", 150}, {"quad", 220}, {"2quad", 220},
    {"2relu", 652}, {"reciprocal_wide", 3650},
};
enum { PER_ELEM_MAX = 740, MATMUL_PER_ELEM = 80 };
/* Since the per-party scratch arenas and the simulator's retained message storage (issue 16), each
 * party keeps its high-water scratch and message buffers mapped for the run instead of returning them
 * to the system: peaks measured (GNU time %M, 2026-12-07) went from 48.1 to 65.5 MB for mul 200000 and
 * from 129.5 to 162.5 MB for softmax 200x1000 (x1.36, x1.25). The slopes above (measured before) are
 * scaled by 1.4 until they are refitted. */
enum { ARENA_RETENTION_10 = 14 };
/* The process itself (code, libraries, three actor threads): about 6 MB measured (the intercept of
 * the fits above); 16 MiB counted. */
static const uint64_t BASE = 16u << 20;

static uint64_t sat_mul(uint64_t a, uint64_t b) { return b && a > UINT64_MAX / b ? UINT64_MAX : a * b; }
static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

uint64_t xp_mem_op(const rt_opdef *op, const rt_shape *s)
{
    if (op->kind == RT_SHAPE_MATMUL) {
        uint64_t yb = s->y_shared ? 1 : s->B;
        uint64_t e = sat_add(sat_add(sat_mul(s->B, sat_mul(s->m, s->k)), sat_mul(yb, sat_mul(s->k, s->p))),
                             sat_mul(s->B, sat_mul(s->m, s->p)));
        return sat_add(BASE, sat_mul(MATMUL_PER_ELEM, e));
    }
    unsigned b = PER_ELEM_MAX;
    for (size_t i = 0; i < sizeof per_elem / sizeof *per_elem; i++)
        if (strcmp(per_elem[i].name, op->name) == 0) b = per_elem[i].bytes;
    return sat_add(BASE, sat_mul(b, s->n) / 10 * ARENA_RETENTION_10);
}

/* One real-mode private inference: a fit to measured peaks (GNU time %M, 2026-12-07, this build) of
 *   bert-mini (V 8192, C 256, 4 layers, F 1024, 4 heads) at T = 8, 32, 128, 256: 192, 208, 268, 381 MiB
 *     (least squares 198.7 MB + 513 kB T + 1060 B T^2, within 1%);
 *   a 1-layer BERT-base (V 28996, C 768, F 3072, 12 heads; --config) at T = 8: 1840 MiB;
 *   bert-tiny at T = 64: 11.3 MiB.
 * The two T = 8 points separate the parameters: about 74 B per embedding parameter (kept for the
 * whole run: float, encoded, shared, and the dealer material of the one-hot lookup) and 37 B per
 * parameter of ONE encoder layer (the layers are encoded and shared one at a time); then about 700 B
 * per token per intermediate unit F (one layer's feed-forward activations) and 300 B per attention
 * score of one layer (NH T^2), plus the process; 15% margin. Predicted / measured: bert-mini T=256
 * 1.37, T=8 1.25; 1-layer BERT-base T=8 1.19; bert-tiny T=64 2.2 (the process base dominates).
 * Not measured beyond these (a real bert-base inference takes hours here). */
uint64_t xp_mem_infer(const tfm_config *c, int T)
{
    double C = c->C, F = c->F, emb = ((double)c->V + c->P + c->TT) * C + 2 * C,
           layer = 4 * C * C + 4 * C + 2 * C * F + F + C + 4 * C, head = C * C + C + C * c->NL + c->NL;
    double b = 1.15 * ((double)BASE + 74.0 * emb + 37.0 * (layer + head) + 700.0 * F * T + 300.0 * c->NH * (double)T * T);
    return b >= 1.8e19 ? UINT64_MAX : (uint64_t)b;
}

/* ---- the limit ---- */

static uint64_t meminfo_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return UINT64_MAX;
    char line[256];
    unsigned long long kb = 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) found = sscanf(line, "MemAvailable: %llu kB", &kb) == 1;
    fclose(f);
    return found ? sat_mul(kb, 1024) : UINT64_MAX;
}

static uint64_t vm_size(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) found = sscanf(line, "VmSize: %llu kB", &kb) == 1;
    fclose(f);
    return found ? kb * 1024 : 0;
}

static uint64_t auto_limit(const char **source)
{
    uint64_t avail = meminfo_available(), lim = avail;
    *source = "the available memory (MemAvailable in /proc/meminfo)";
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        uint64_t used = vm_size() + (256u << 20), as = (uint64_t)rl.rlim_cur > used ? (uint64_t)rl.rlim_cur - used : 0;
        if (as < lim) {
            lim = as;
            *source = "the address-space limit (RLIMIT_AS, ulimit -v) minus what the process maps and 256 MiB";
        }
    }
    if (lim == UINT64_MAX) *source = "unknown";
    return lim;
}

static void fmt_bytes(char *buf, size_t n, uint64_t b)
{
    if (b >= (1ull << 30)) snprintf(buf, n, "%.1f GiB", (double)b / (double)(1ull << 30));
    else snprintf(buf, n, "%.0f MiB", ceil((double)b / (double)(1ull << 20)));
}

int xp_mem_check(const xp_mem *m, const char *what, uint64_t estimate)
{
    if (m->given == 2) return 0;
    const char *source = "--mem-limit";
    uint64_t lim = m->given == 1 ? m->limit : auto_limit(&source);
    if (estimate <= lim) return 0;
    char e[32], l[32];
    fmt_bytes(e, sizeof e, estimate);
    fmt_bytes(l, sizeof l, lim);
    fprintf(stderr,
            "error: %s needs about %s of memory (estimate, xp_mem.h), more than the limit of %s (%s): use a smaller "
            "size, --mode phantom (same traffic, no arithmetic), or --mem-limit SIZE|none to override\n",
            what, e, l, source);
    return -1;
}

int xp_mem_arg(xp_mem *m, int argc, char **argv, int *i)
{
    const char *v;
    int r = xp_arg(argc, argv, i, "--mem-limit", 1, &v);
    if (r <= 0) return r;
    if (strcmp(v, "none") == 0) {
        m->given = 2;
        return 1;
    }
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    double mul = 1;
    if (*end && !end[1]) {
        switch (*end) {
        case 'k': case 'K': mul = 1024.0; end++; break;
        case 'm': case 'M': mul = 1048576.0; end++; break;
        case 'g': case 'G': mul = 1073741824.0; end++; break;
        case 't': case 'T': mul = 1099511627776.0; end++; break;
        default: break;
        }
    }
    if (end == v || *end || errno || !(x > 0) || x * mul >= 1.8e19) {
        fprintf(stderr, "error: --mem-limit: invalid size '%s' (bytes with k, m, g or t, like 512m or 1.5g; or none)\n", v);
        return -1;
    }
    m->limit = (uint64_t)(x * mul);
    m->given = 1;
    return 1;
}

void xp_mem_help(FILE *f)
{
    fprintf(f, "  --mem-limit SIZE  real mode: refuse a run whose memory estimate exceeds SIZE (like 512m, 4g;\n"
               "                    default: the available memory and RLIMIT_AS; none: no check)\n");
}

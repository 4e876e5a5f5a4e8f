/* xp_compute.c -- compute models. See xp_compute.h. */
#include "xp_compute.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Built-in device profiles. zen5-2core: measured by `bench` (ring matmul, elementwise loop, ChaCha20
 * PRG, one core) on the development machine (AMD EPYC Zen 5; the ring matmul runs its x86-64-v4
 * clone, picked at run time).
 * v100: an ESTIMATE for a V100-class GPU as the paper used (CrypTen runs int64 matmuls as several
 * float64 GEMMs: ~7.8 TFLOP/s fp64 / ~16 flops per ring MAC; elementwise ops bound by 900 GB/s memory
 * at ~24 B each; PRG at ~100 GB/s). Treat v100 numbers as modeled estimates, not measurements. */
static const xp_compute_profile builtin[] = {
    {"zen5-2core", "measured by bench on the development machine, 2026-11-23 (1 core per party)", 7.4e9, 1.0e10, 2.4e9},
    {"v100", "estimate for a V100-class GPU (not measured)", 4.9e11, 3.7e10, 1.0e11},
    /* CrypTen as it computes (for --runtime crypten-gloo-*; sources in experiments/xp_deployed.c):
     * crypten-v100: CUDALongTensor splits int64 into 4 16-bit blocks and runs all 16 block products as
     * fp64 matmuls (crypten/cuda/cuda_tensor.py): 32 flops per ring MAC at 7.8 TFLOP/s fp64.
     * crypten-cpu: PyTorch's int matmul has no BLAS path: 1000^3 MACs in 328 ms (pytorch#72408);
     * int64 elementwise at ~12 GB/s read / 24 B per op (pytorch#37053); PRG ~1 GB/s (estimate). */
    {"crypten-v100", "CrypTen's 16-bit-limb fp64 matmuls on a V100 (estimate from the datasheet)", 2.4e11, 3.7e10, 1.0e11},
    {"crypten-cpu", "PyTorch int64 on CPU as CrypTen runs it (estimate from public issues)", 3.0e9, 5.0e8, 1.0e9},
    {NULL, NULL, 0, 0, 0},
};

static int load_local(xp_compute_profile *p)
{
    const char *path = "results/compute_profile.csv";
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "error: --compute profile:local needs %s; run `cmake --build build --target bench` first\n", path);
        return -1;
    }
    char line[512];
    int ok = 0;
    while (fgets(line, sizeof line, f)) {
        double a, b, c;
        if (sscanf(line, "local,%lf,%lf,%lf", &a, &b, &c) == 3 && a > 0 && b > 0 && c > 0) {
            p->name = "local";
            p->description = "calibrated by bench on this machine";
            p->mac_per_s = a, p->elem_per_s = b, p->prg_bytes_per_s = c;
            ok = 1;
        }
    }
    fclose(f);
    if (!ok) fprintf(stderr, "error: %s has no valid 'local,MAC/s,elem/s,PRG B/s' row\n", path);
    return ok ? 0 : -1;
}

int xp_compute_parse(xp_compute *c, const char *s)
{
    memset(c, 0, sizeof *c);
    if (strcmp(s, "zero") == 0) {
        snprintf(c->name, sizeof c->name, "zero");
        return 0;
    }
    if (strcmp(s, "measured") == 0) {
        snprintf(c->name, sizeof c->name, "measured");
        c->measured = 1;
        return 0;
    }
    if (strncmp(s, "profile:", 8) == 0) {
        const char *n = s + 8;
        snprintf(c->name, sizeof c->name, "profile:%s", n);
        if (strcmp(n, "local") == 0) {
            if (load_local(&c->prof) != 0) return -1;
            c->have_prof = 1;
            return 0;
        }
        for (const xp_compute_profile *p = builtin; p->name; p++)
            if (strcmp(p->name, n) == 0) {
                c->prof = *p;
                c->have_prof = 1;
                return 0;
            }
    }
    fprintf(stderr, "error: --compute: unknown compute model '%s' (zero, profile:zen5-2core, profile:v100, "
                    "profile:crypten-v100, profile:crypten-cpu, profile:local, measured)\n", s);
    return -1;
}

void xp_compute_help(FILE *f)
{
    fprintf(f, "Compute models (--compute): how local computation advances virtual time\n"
               "  zero                     none: latency is communication only\n");
    for (const xp_compute_profile *p = builtin; p->name; p++)
        fprintf(f, "  profile:%-15s %s: %.3g ring MAC/s, %.3g elementwise op/s, %.3g PRG B/s (modeled)\n", p->name,
                p->description, p->mac_per_s, p->elem_per_s, p->prg_bytes_per_s);
    fprintf(f, "  profile:local            calibrated on this machine by the bench target (results/compute_profile.csv)\n"
               "  measured                 the CPU time each party actually spends (opt-in, not deterministic)\n");
}

int64_t xp_compute_cost(void *ud, const net_work *w)
{
    const xp_compute_profile *p = ud;
    double s = (double)w->ring_macs / p->mac_per_s + (double)w->elem_ops / p->elem_per_s +
               (double)w->prg_bytes / p->prg_bytes_per_s;
    double ns = s * 1e9;
    /* Beyond int64 (or NaN from a corrupt profile) the run is out of virtual time: saturate, and the
     * simulator stops it with a clear error (sim.h, SIM_ETIME). */
    return ns >= 9.2e18 || ns != ns ? INT64_MAX : (int64_t)llround(ns);
}

net_cost_fn xp_compute_fn(const xp_compute *c) { return c->have_prof ? xp_compute_cost : NULL; }

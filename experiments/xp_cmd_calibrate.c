/* xp_cmd_calibrate.c -- `mpcsim calibrate`: fits the network the paper never published.
 *
 * MPCFormer reports the communication time of five operators of BERT-base in CrypTen (PAPER.md 7.3:
 * softmax 34.1 s, GeLU 9.6 s, Quad 0.4 s, 2ReLU 12.8 s, 2Quad 1.7 s, at seq 512). Our simulator gives
 * each operator's rounds R and bytes per party B exactly (phantom BERT-base, seq 512, as measured:
 * BatchNorm stand-in). On a link of bandwidth bw and one-way latency l, an operator whose exchanges
 * are full duplex and sequential needs about R l + 8 B / bw. A least-squares fit of (l, 1/bw) over
 * the five operators gives the `paper` network profile; the per-operator residuals say how well one
 * link explains all five numbers. Output: CSV with the fit and each operator's prediction. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xp.h"
#include "xp_cmds.h"

typedef struct op_point {
    const char *name, *gelu, *softmax, *tag;
    double paper_comm_s;
    double rounds, bytes;
} op_point;

static int breakdown_row(const char *path, const char *tag, double *rounds, double *bytes)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[1024], want[64];
    snprintf(want, sizeof want, "op,%s,", tag);
    int ok = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, want, strlen(want)) != 0) continue;
        unsigned long long r, b;
        if (sscanf(line + strlen(want), "%llu,%llu", &r, &b) == 2) {
            *rounds = (double)r;
            *bytes = (double)b;
            ok = 0;
        }
    }
    fclose(f);
    return ok;
}

int xp_cmd_calibrate(int argc, char **argv)
{
    const char *out = NULL, *v;
    for (int i = 0; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: mpcsim calibrate [--out FILE]\n"
                   "Fits one link (bandwidth, one-way latency) to MPCFormer's per-operator communication times\n"
                   "(BERT-base, seq 512) from our exact per-operator rounds and bytes; prints CSV: op, rounds,\n"
                   "bytes_per_party, paper_comm_s, predicted_comm_s, then the fit (bandwidth_bps,\n"
                   "one_way_latency_s). The `paper` network profile holds this fit. The paper measured CrypTen,\n"
                   "so the counts are the crypten family's (no --protocol: it does not apply here).\n");
            return 0;
        }
        if ((r = xp_arg(argc, argv, &i, "--out", 1, &v))) {
            if (r < 0) return 2;
            out = v;
            continue;
        }
        fprintf(stderr, "error: calibrate: unknown option '%s'\n", argv[i]);
        return 2;
    }
    op_point ops[] = {
        {"softmax", "gelu-erf", "softmax", "softmax", 34.1, 0, 0},
        {"gelu", "gelu-erf", "softmax", "act", 9.6, 0, 0},
        {"quad", "quad", "2quad", "act", 0.4, 0, 0},
        {"2quad", "quad", "2quad", "softmax", 1.7, 0, 0},
        {"2relu", "quad", "2relu", "softmax", 12.8, 0, 0},
    };
    enum { NOPS = sizeof ops / sizeof *ops };
    /* The per-operator breakdowns pass through a mkstemp file beside the output (the current
     * directory for stdout or a device): an unpredictable name, never a planted symlink. */
    char tmp[600];
    {
        const char *slash = out && strcmp(out, "-") ? strrchr(out, '/') : NULL;
        int dl = slash ? (int)(slash - out) + 1 : 0;
        if (dl > 500) dl = 0;
        snprintf(tmp, sizeof tmp, "%.*s.mpcsim-calibrate.XXXXXX", dl, out ? out : "");
        int fd = mkstemp(tmp);
        if (fd < 0) {
            fprintf(stderr, "error: calibrate: cannot create a temporary file '%s': %s\n", tmp, strerror(errno));
            return 1;
        }
        close(fd);
    }
    for (int k = 0; k < NOPS; k++) {
        /* The paper's times are CrypTen's: the fit is against the crypten family's counts. */
        char *args[] = {"--model", "bert-base", "--seq", "512", "--norm", "batchnorm", "--gelu", (char *)ops[k].gelu,
                        "--softmax", (char *)ops[k].softmax, "--out", "/dev/null", "--breakdown", tmp,
                        "--protocol", "crypten", NULL};
        if (xp_cmd_infer(16, args) != 0 || breakdown_row(tmp, ops[k].tag, &ops[k].rounds, &ops[k].bytes) != 0) {
            fprintf(stderr, "error: calibrate: could not measure operator %s\n", ops[k].name);
            remove(tmp);
            return 1;
        }
    }
    remove(tmp);
    /* Least squares for t = R l + B x (x = 8 / bw): 2x2 normal equations. */
    double a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0;
    for (int k = 0; k < NOPS; k++) {
        double R = ops[k].rounds, B = ops[k].bytes, t = ops[k].paper_comm_s;
        a11 += R * R, a12 += R * B, a22 += B * B, b1 += R * t, b2 += B * t;
    }
    double det = a11 * a22 - a12 * a12;
    double l = (b1 * a22 - b2 * a12) / det, x = (a11 * b2 - a12 * b1) / det;
    if (!(l > 0 && x > 0)) {
        fprintf(stderr, "error: calibrate: the fit is not physical (latency %g s, s/byte %g)\n", l, x);
        return 1;
    }
    double bw = 8.0 / x;
    xp_out o;
    if (xp_out_open(&o, out) != 0) return 1;
    fprintf(o.f, "op,rounds,bytes_per_party,paper_comm_s,predicted_comm_s,bandwidth_bps,one_way_latency_s\n");
    for (int k = 0; k < NOPS; k++)
        fprintf(o.f, "%s,%.0f,%.0f,%.1f,%.3f,%.0f,%.6f\n", ops[k].name, ops[k].rounds, ops[k].bytes, ops[k].paper_comm_s,
                ops[k].rounds * l + ops[k].bytes * x, bw, l);
    return xp_out_close(&o) == 0 ? 0 : 1;
}

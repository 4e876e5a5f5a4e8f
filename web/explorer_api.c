/* explorer_api.c -- the browser explorer's entry points (WebAssembly build only; see web/build.sh).
 * A recompute IS `mpcsim infer`: explorer_infer hands the page's options to xp_cmd_infer, the same
 * function the command line runs, with its CSV, breakdown and timeline written to the in-memory file
 * system, where the page reads them. Nothing here computes a cost. The catalog lists what the page
 * offers (models, named networks, compute models, protocol families), read from the C tables. */
#include <emscripten/emscripten.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../experiments/xp_cmds.h"
#include "../experiments/xp_compute.h"
#include "../models/tfm.h"
#include "../netmodel/nm.h"
#include "../sim/sim_ctx.h"
#if defined(__has_include)
#if __has_include("../protocols/families.h")
#include "../protocols/families.h" /* the protocol-family registry: mpc_families[] */
#define EXPLORER_HAVE_FAMILIES 1
#endif
#endif

#define OUT_DIR "/explorer"

int explorer_infer(const char *args);
const char *explorer_catalog(void);

/* Runs `mpcsim infer ARGS --out OUT_DIR/out.csv --breakdown OUT_DIR/breakdown.csv --timeline
 * OUT_DIR/timeline.csv`; ARGS are one per line. Returns infer's exit code (0, 1 or 2); messages go to
 * stderr, which the page shows. */
EMSCRIPTEN_KEEPALIVE int explorer_infer(const char *args)
{
    enum { MAX_ARGS = 64 };
    char *copy = strdup(args ? args : "");
    char *argv[MAX_ARGS + 7];
    int argc = 0;
    for (char *s = copy, *nl; *s && argc < MAX_ARGS; s = nl + 1) {
        nl = strchr(s, '\n');
        if (nl) *nl = 0;
        argv[argc++] = s;
        if (!nl) break;
    }
    static char out[] = "--out=" OUT_DIR "/out.csv", bd[] = "--breakdown=" OUT_DIR "/breakdown.csv",
                tl[] = "--timeline=" OUT_DIR "/timeline.csv";
    /* Emscripten's umask starts at 0777, so the outputs (created 0666 & ~umask, common/ofile.c) would be
     * unreadable to the page; a shell's 022 instead. */
    umask(022);
    remove(OUT_DIR "/out.csv"), remove(OUT_DIR "/breakdown.csv"), remove(OUT_DIR "/timeline.csv");
    argv[argc++] = out, argv[argc++] = bd, argv[argc++] = tl;
    argv[argc] = NULL;
    int rc = xp_cmd_infer(argc, argv);
    fflush(stdout), fflush(stderr);
    free(copy);
    return rc;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        if ((unsigned char)*s >= 0x20) fputc(*s, f);
    }
    fputc('"', f);
}

/* The page's choices, as JSON: {"models": [...], "networks": [{name, description, bps, latency_s}],
 * "compute": [...], "protocols": [...], "gelu": [...], "softmax": [...], "norm": [...], "backend": "fiber"}.
 * The returned string is static. */
EMSCRIPTEN_KEEPALIVE const char *explorer_catalog(void)
{
    static char *json;
    if (json) return json;
    size_t len;
    FILE *f = open_memstream(&json, &len);
    char zoo[512];
    tfm_config_list(zoo, sizeof zoo);
    fprintf(f, "{\"models\":[");
    int first = 1;
    for (char *tok = strtok(zoo, ", "); tok; tok = strtok(NULL, ", "), first = 0) {
        if (!first) fputc(',', f);
        json_str(f, tok);
    }
    fprintf(f, "],\"networks\":[");
    for (const nm_profile *p = nm_profiles; p->name; p++) {
        fprintf(f, "%s{\"name\":", p == nm_profiles ? "" : ",");
        json_str(f, p->name);
        fprintf(f, ",\"description\":");
        json_str(f, p->description);
        fprintf(f, ",\"bps\":%llu,\"latency_s\":%.9f}", (unsigned long long)p->bps, p->latency_ns * 1e-9);
    }
    /* Compute models: those of `infer --help` that are deterministic and need no local file (zero and
     * the built-in profiles; not profile:local, which reads results/, nor measured). */
    char *help;
    size_t hlen;
    FILE *h = open_memstream(&help, &hlen);
    xp_compute_help(h);
    fclose(h);
    fprintf(f, "],\"compute\":[\"zero\"");
    for (char *line = strtok(help, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64];
        if (sscanf(line, " profile:%63s", name) == 1 && strcmp(name, "local") != 0) {
            fprintf(f, ",\"profile:");
            fprintf(f, "%s\"", name);
        }
    }
    free(help);
    /* Protocol families: the registry's, in --help order, when the build has one (protocols/families.h);
     * before it, `infer` runs CrypTen's only (its CSV's protocol column). */
    fprintf(f, "],\"protocols\":[");
#ifdef EXPLORER_HAVE_FAMILIES
    for (int i = 0; mpc_families[i]; i++) {
        if (i) fputc(',', f);
        json_str(f, mpc_families[i]->name);
    }
#else
    fprintf(f, "\"crypten\"");
#endif
    fprintf(f, "],\"gelu\":[");
    for (int i = 0; i <= TFM_ACT_QUAD; i++) fprintf(f, "%s\"%s\"", i ? "," : "", tfm_act_name(i));
    fprintf(f, "],\"softmax\":[");
    for (int i = 0; i <= TFM_ATTN_2QUAD; i++) fprintf(f, "%s\"%s\"", i ? "," : "", tfm_attn_name(i));
    fprintf(f, "],\"norm\":[");
    for (int i = 0; i <= TFM_NORM_BATCHNORM; i++) fprintf(f, "%s\"%s\"", i ? "," : "", tfm_norm_name(i));
    fprintf(f, "],\"backend\":\"%s\"}", sim_ctx_backend());
    fclose(f);
    return json;
}

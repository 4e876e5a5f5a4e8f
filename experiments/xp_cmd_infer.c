/* xp_cmd_infer.c -- `mpcsim infer`: one private inference of a BERT/RoBERTa encoder through the
 * simulator; one CSV row, optionally a per-operator breakdown and a pcap. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/fx.h"
#include "../models/sbert.h"
#include "../models/tfm_io.h"
#include "xp.h"
#include "xp_cmds.h"
#include "xp_schema.h"
#include "xp_compute.h"
#include "xp_deployed.h"
#include "xp_mem.h"
#include "xp_infer.h"
#include "../runtime/rt_ops.h"
#include "../runtime/rt_infer.h"
#include "../runtime/rt_sim.h"
#include "xp_safety.h"

static void usage(FILE *f)
{
    char zoo[256];
    tfm_config_list(zoo, sizeof zoo);
    fprintf(f,
            "usage: mpcsim infer --model NAME --seq T [--batch 1] [--gelu A] [--softmax S] [--norm N]\n"
            "                    [--mode phantom|real] [--config config.json] [--weights FILE.safetensors]\n"
            "                    [--net ...] [--compute MODEL] [--dealer offline|inline] [--breakdown FILE.csv]\n"
            "                    [--pcap FILE] [--seed N] [--out FILE]\n\n"
            "One private inference: P0 holds the weights, P1 the tokens; logits revealed to P1.\n"
            "  --model NAME     %s (or --config with a Hugging Face config.json)\n"
            "  --seq T          sequence length (batch 1, no padding, as MPCFormer's benchmark)\n"
            "  --gelu A         gelu-erf (default; 'gelu'), gelu-tanh, relu, quad\n"
            "  --softmax S      softmax (default), 2relu, 2quad\n"
            "  --norm N         layernorm (default, real LayerNorm) or batchnorm (MPCFormer's stand-in)\n"
            "  --mode M         phantom (default: same messages, no arithmetic) or real (computes the shares,\n"
            "                   reports max_abs_logit_err against the plaintext forward of the same weights)\n"
            "  --weights FILE   real mode: safetensors with BERT tensor names (default: random init from --seed)\n"
            "  --breakdown FILE per-operator CSV: level, tag, rounds, online_sent_bytes_p0/_p1, dealer_bytes,\n"
            "                   time_s, compute_s, transfer_s, latency_wait_s, other_wait_s (seen by the party\n"
            "                   that finishes last; per-tag times are that party's local view)\n"
            "  --timeline FILE  two-party timeline CSV: party, layer (-1 outside layers), tag, start_s, end_s\n"
            "  --force-wrap K   real mode, test hook: the K-th truncation-oracle call, if a local truncation,\n"
            "                   gets shares that wrap (two extra one-way messages)\n"
            "  --runtime R      deployed-runtime model (default: none, the lean transport): crypten-gloo-gpu or\n"
            "                   crypten-gloo-cpu (CrypTen over torch.distributed/gloo: net/net_rt.h; see\n"
            "                   `mpcsim fit-deployed --help`); adds the columns of schema infer_runtime\n"
            "  --runtime-acc FILE  with --runtime: per-operator collective costs for fits (schema runtime_acc)\n"
            "  --op-overhead-ns N, --matmul-overhead-ns N  with --runtime: host overhead per op call and extra\n"
            "                   per Beaver matmul call instead of the fitted ones (xp_deployed.h)\n"
            "\nCSV columns: model, seq, gelu, softmax, norm, protocol, mode, net, bandwidth_bps,\n"
            "  one_way_latency_s, compute_model, latency_s, compute_s (critical path), comm_s (= latency_s -\n"
            "  compute_s), rounds, online_sent_bytes_p0, online_sent_bytes_p1, online_recv_bytes_p0,\n"
            "  online_recv_bytes_p1, dealer_bytes, dealer, [real mode: max_abs_logit_err, then from the\n"
            "  simulator's truncation oracle (mpc_audit.h): p_fail = analytic probability that this inference\n"
            "  failed silently (1 - prod(1 - |x|/2^64) over local truncations; 1 if a safe truncation or a\n"
            "  domain-limited op saw an input outside its domain), wraps (local truncations whose shares did\n"
            "  wrap), domain (inputs outside a domain), first_event (tag path of the first, or 'none')],\n"
            "  [trunc, with --trunc safe or in real mode]\n\n",
            zoo);
    xp_mem_help(f);
    fprintf(f, "\n");
    xp_net_help(f);
    fprintf(f, "\n");
    xp_compute_help(f);
    fprintf(f, "\n");
    xp_cfg_help(f);
}

static int tfm_file_exists_(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* Timeline: op-level tag spans per party, with the enclosing layer. */
typedef struct tl_span {
    int party, tag, layer;
    int64_t t0, t1;
} tl_span;
typedef struct timeline {
    tl_span *s;
    size_t n, cap;
    int layer[2];
    int64_t open_t[2][64];
} timeline;

static void tl_hook(void *ud, net_party *p, int tag, int enter)
{
    timeline *tl = ud;
    int party = p->self;
    int64_t t = net_now(p);
    if (party > 1) return;
    if (tag >= SB_TAG_LAYER0 && tag < SB_TAG_LAYER0 + 40) {
        tl->layer[party] = enter ? tag - SB_TAG_LAYER0 : -1;
        return;
    }
    if (tag <= 0 || tag >= SB_NTAGS_OPS) return; /* protocol-level steps are not drawn */
    if (enter) {
        tl->open_t[party][tag] = t;
        return;
    }
    if (tl->n == tl->cap) {
        tl->cap = tl->cap ? 2 * tl->cap : 256;
        tl->s = realloc(tl->s, tl->cap * sizeof *tl->s);
        CHECK(tl->s != NULL, "out of memory");
    }
    tl->s[tl->n++] = (tl_span){party, tag, tl->layer[party], tl->open_t[party][tag], t};
}

static void write_breakdown_row(xp_rows *w, const char *level, const char *tag, const net_counters *c,
                                const net_counters *c0, const net_counters *c1)
{
    /* Dealer traffic as P0 and P1 saw it within the tag (D pushes no tags). */
    uint64_t dealer = c0->sent_bytes[NET_D] + c0->recv_bytes[NET_D] + c1->sent_bytes[NET_D] + c1->recv_bytes[NET_D];
    int64_t t = c->compute_ns + c->transfer_ns + c->latency_ns + c->other_ns;
    xp_rows_str(w, "level", level);
    xp_rows_str(w, "tag", tag);
    xp_rows_uint(w, "rounds", c0->rounds > c1->rounds ? c0->rounds : c1->rounds);
    xp_rows_uint(w, "online_sent_bytes_p0", c0->sent_bytes[1]);
    xp_rows_uint(w, "online_sent_bytes_p1", c1->sent_bytes[0]);
    xp_rows_uint(w, "dealer_bytes", dealer);
    xp_rows_real(w, "time_s", t * 1e-9);
    xp_rows_real(w, "compute_s", c->compute_ns * 1e-9);
    xp_rows_real(w, "transfer_s", c->transfer_ns * 1e-9);
    xp_rows_real(w, "latency_wait_s", c->latency_ns * 1e-9);
    xp_rows_real(w, "other_wait_s", c->other_ns * 1e-9);
    xp_rows_end(w);
}

int xp_cmd_infer(int argc, char **argv)
{
    const char *model = NULL, *config = NULL, *weights = NULL, *out = NULL, *breakdown = NULL, *tlpath = NULL, *v;
    const char *gelu = "gelu-erf", *softmax = "softmax", *normname = "layernorm", *compute = "zero";
    const char *runtime = NULL, *rtacc = NULL;
    uint64_t force_wrap = 0, seq = 0, batch = 1, seed = 1, op_ns = UINT64_MAX, mm_ns = UINT64_MAX;
    int phantom = 1, check = 0;
    mpc_config cfg;
    if (xp_cfg_init(&cfg, argc, argv) != 0) return 2;
    xp_netopts net;
    xp_net_defaults(&net);
    xp_mem mem = {0};
    for (int i = 0; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if ((r = xp_net_arg(&net, argc, argv, &i)) || (r = xp_cfg_arg(&cfg, argc, argv, &i)) ||
            (r = xp_mem_arg(&mem, argc, argv, &i))) {
            if (r < 0) return 2;
            continue;
        }
        if (strcmp(argv[i], "--check") == 0) { /* validate the options only (used by sweep) */
            check = 1;
            continue;
        }
#define STR(opt, var)                                             \
        if ((r = xp_arg(argc, argv, &i, opt, 1, &var))) {        \
            if (r < 0) return 2;                                  \
            continue;                                             \
        }
        STR("--model", model) STR("--config", config) STR("--weights", weights) STR("--out", out)
        STR("--breakdown", breakdown) STR("--gelu", gelu) STR("--softmax", softmax) STR("--norm", normname)
        STR("--compute", compute) STR("--timeline", tlpath) STR("--runtime", runtime) STR("--runtime-acc", rtacc)
#undef STR
        if ((r = xp_arg(argc, argv, &i, "--seq", 1, &v))) {
            if (r < 0 || xp_parse_u64("--seq", v, 1, 65536, &seq) != 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--op-overhead-ns", 1, &v))) {
            if (r < 0 || xp_parse_u64("--op-overhead-ns", v, 0, 10000000000ull, &op_ns) != 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--matmul-overhead-ns", 1, &v))) {
            if (r < 0 || xp_parse_u64("--matmul-overhead-ns", v, 0, 10000000000ull, &mm_ns) != 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--batch", 1, &v))) {
            if (r < 0 || xp_parse_u64("--batch", v, 1, 1, &batch) != 0) {
                fprintf(stderr, "hint: only batch 1 is supported (as MPCFormer's benchmark)\n");
                return 2;
            }
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--force-wrap", 1, &v))) {
            if (r < 0 || xp_parse_u64("--force-wrap", v, 1, UINT64_MAX, &force_wrap) != 0) return 2;
            continue;
        }
        if ((r = xp_arg(argc, argv, &i, "--seed", 1, &v))) {
            if (r < 0 || xp_parse_u64("--seed", v, 0, UINT64_MAX, &seed) != 0) return 2;
            continue;
        }
        static const char *const modes[] = {"real", "phantom", NULL};
        if ((r = xp_arg_choice(argc, argv, &i, "--mode", modes, &phantom))) {
            if (r < 0) return 2;
            continue;
        }
        fprintf(stderr, "error: infer: unknown option '%s' (see mpcsim infer --help)\n", argv[i]);
        return 2;
    }
    /* Model. */
    tfm_config m;
    char err[512];
    if (xp_cfg_check(&cfg) != 0) return 2;
    xp_model_opts mo = {model, config, gelu, softmax, normname, seq};
    if (xp_model_setup(&m, &cfg, &mo, "infer") != 0) return 2;
    if (force_wrap && phantom) {
        fprintf(stderr, "error: --force-wrap needs --mode real (the truncation oracle reads values)\n");
        return 2;
    }
    if (weights && phantom) {
        fprintf(stderr, "error: --weights needs --mode real (phantom mode does no arithmetic)\n");
        return 2;
    }
    xp_compute cm;
    if (xp_compute_parse(&cm, compute) != 0) return 2;
    if (xp_net_finish(&net) != 0) return 2;
    net_rt_cfg rtc;
    if (runtime && xp_runtime_parse(&rtc, runtime) != 0) return 2;
    if ((rtacc || op_ns != UINT64_MAX || mm_ns != UINT64_MAX) && !runtime) {
        fprintf(stderr, "error: --runtime-acc, --op-overhead-ns and --matmul-overhead-ns need --runtime\n");
        return 2;
    }
    if (op_ns != UINT64_MAX) rtc.op_ns = (int64_t)op_ns;
    if (mm_ns != UINT64_MAX) rtc.call_ns = (int64_t)mm_ns;
    if (!phantom) {
        char what[160];
        snprintf(what, sizeof what, "a real-mode inference of %s at --seq %d", m.name, (int)seq);
        if (xp_mem_check(&mem, what, xp_mem_infer(&m, (int)seq)) != 0) return 2;
    }
    if (check) {
        if (weights && !tfm_file_exists_(weights)) {
            fprintf(stderr, "error: --weights: cannot read '%s'\n", weights);
            return 2;
        }
        return 0;
    }
    /* Real mode: weights, tokens, plaintext reference. */
    tfm_params w;
    memset(&w, 0, sizeof w);
    int *tokens = NULL;
    float *logits_ref = NULL;
    if (!phantom) {
        tfm_params_alloc(&w, &m);
        if (weights) {
            if (tfm_load_safetensors(weights, &m, &w, err, sizeof err) != TFM_OK ||
                tfm_params_check_fixed(&m, &w, fx_range(cfg.frac_bits), err, sizeof err) != TFM_OK) {
                fprintf(stderr, "error: --weights %s: %s\n", weights, err);
                tfm_params_free(&w);
                return 2;
            }
        } else {
            tfm_params_init(&w, &m, seed);
        }
        tokens = chk_malloc(seq * sizeof *tokens);
        rng r;
        rng_seed(&r, seed, 0x70c);
        for (uint64_t t = 0; t < seq; t++) tokens[t] = 1 + (int)(rng_u64(&r) % (uint64_t)(m.V - 1));
        logits_ref = chk_malloc((size_t)m.NL * sizeof *logits_ref);
        tfm_forward(&m, &w, tokens, NULL, NULL, 1, (int)seq, logits_ref, NULL, NULL);
    }
    rt_infer inf;
    rt_job job;
    rt_infer_job(&job, &inf, &cfg, phantom, seed, &m, (int)seq, phantom ? NULL : &w, tokens, NULL, NULL);
    rt_sim_opts so;
    memset(&so, 0, sizeof so);
    so.cost = xp_compute_fn(&cm);
    so.cost_ud = &cm.prof;
    so.measured = cm.measured;
    so.rt = runtime ? &rtc : NULL;
    timeline tl;
    memset(&tl, 0, sizeof tl);
    tl.layer[0] = tl.layer[1] = -1;
    if (tlpath) {
        so.tag_hook = tl_hook;
        so.tag_hook_ud = &tl;
    }
    mpc_audit audit;
    mpc_audit_init(&audit);
    audit.force_call = force_wrap;
    if (!phantom) so.audit = &audit;
    xp_net_topology(&net, &so.topo, 0);
    nm_pcap *pc = NULL;
    if (net.pcap) {
        if (nm_pcap_open(&pc, net.pcap, net.mss) != NM_OK) {
            rt_infer_free(&inf);
            return 2;
        }
        so.trace[0] = net_sim_trace_pcap;
        so.trace_ud[0] = pc;
    }
    fprintf(stderr, "infer: %s seq %" PRIu64 " %s+%s+%s, %s mode, net %s, compute %s ...\n", m.name, seq,
            tfm_act_name(m.act), tfm_attn_name(m.attn), tfm_norm_name(m.norm), phantom ? "phantom" : "real", net.name,
            cm.name);
    rt_result rr;
    int rc = rt_sim_job(&so, &job, &rr);
    if (rc != 0) {
        nm_pcap_discard(pc);
        mpc_audit_free(&audit);
        tfm_params_free(&w);
        free(tokens), free(logits_ref);
        rt_infer_free(&inf);
        return 1;
    }
    /* The capture is complete: commit it before any CSV, so a failed write leaves no CSV behind. */
    if (pc && nm_pcap_close(pc) != NM_OK) {
        mpc_audit_free(&audit);
        tfm_params_free(&w);
        free(tokens), free(logits_ref);
        rt_infer_free(&inf);
        return 1;
    }
    pc = NULL;
    int last = rr.end_ns[0] >= rr.end_ns[1] ? 0 : 1;
    double comp = rr.cp_ns[last][NET_CP_COMPUTE] * 1e-9;
    xp_out o;
    if (xp_out_open(&o, out) != 0) rc = -1;
    if (rc == 0) {
        xp_rows rw, rt;
        /* The optional columns: real mode (the logit error and the oracle's findings), and trunc with
         * --trunc safe or in real mode. */
        xp_rows_open(&rw, o.f, &xp_schema_infer,
                     (phantom && cfg.trunc == MPC_TRUNC_LOCAL ? XP_ROWS_CSV : XP_ROWS_OPTIONAL) | (runtime ? XP_ROWS_PREFIX : 0));
        if (runtime) xp_rows_open(&rt, o.f, &xp_schema_infer_runtime, XP_ROWS_CSV);
        double e = -1;
        for (int k = 0; k < m.NL && !phantom; k++) e = fmax(e, fabs(inf.logits[k] - (double)logits_ref[k]));
        xp_infer_row row = {&m, (int)seq, phantom, &cfg, &rr, net.name, cm.name, net.online.bps,
                            net.online.latency_ns, comp, e, phantom ? NULL : &audit,
                            !phantom || cfg.trunc != MPC_TRUNC_LOCAL};
        xp_infer_write_row(&rw, &row);
        if (runtime) {
            xp_rows_str(&rt, "runtime", rtc.name);
            xp_rows_uint(&rt, "wire_msgs_p0", rr.rt[0].wire_msgs);
            xp_rows_uint(&rt, "wire_bytes_p0", rr.rt[0].wire_bytes);
            xp_rows_uint(&rt, "allreduces_p0", rr.rt[0].allreduces);
            xp_rows_uint(&rt, "oneways_p0", rr.rt[0].oneways);
            xp_rows_uint(&rt, "op_calls_p0", rr.rt[0].op_calls);
            xp_rows_end(&rt);
        }
        rc = xp_out_close(&o);
        if (rr.pk_valid) rt_pkt_summary(stderr, &rr);
    }
    if (rc == 0 && breakdown) {
        xp_out b;
        if (xp_out_open(&b, breakdown) != 0) rc = -1;
        else {
            xp_rows rw;
            xp_rows_open(&rw, b.f, &xp_schema_breakdown, XP_ROWS_CSV);
            const net_stats *sl = &rr.stats[last];
            for (int t = 1; t < SB_NTAGS_OPS; t++)
                write_breakdown_row(&rw, "op", sbert_tag_name(t), &sl->tag[t], &rr.stats[0].tag[t], &rr.stats[1].tag[t]);
            for (int l = 0; l < m.L && l < 40; l++) {
                int t = SB_TAG_LAYER0 + l;
                write_breakdown_row(&rw, "layer", sbert_tag_name(t), &sl->tag[t], &rr.stats[0].tag[t], &rr.stats[1].tag[t]);
            }
            write_breakdown_row(&rw, "total", "total", &sl->total, &rr.stats[0].total, &rr.stats[1].total);
            rc = xp_out_close(&b);
        }
    }
    if (rc == 0 && tlpath) {
        xp_out t;
        if (xp_out_open(&t, tlpath) != 0) rc = -1;
        else {
            xp_rows rw;
            xp_rows_open(&rw, t.f, &xp_schema_timeline, XP_ROWS_CSV);
            for (size_t i = 0; i < tl.n; i++) {
                xp_rows_str(&rw, "party", tl.s[i].party ? "P1" : "P0");
                xp_rows_int(&rw, "layer", tl.s[i].layer);
                xp_rows_str(&rw, "tag", sbert_tag_name(tl.s[i].tag));
                xp_rows_real(&rw, "start_s", tl.s[i].t0 * 1e-9);
                xp_rows_real(&rw, "end_s", tl.s[i].t1 * 1e-9);
                xp_rows_end(&rw);
            }
            rc = xp_out_close(&t);
        }
    }
    if (rc == 0 && rtacc) rc = xp_runtime_acc_write(rtacc, &rr, last, &rtc) == 0 ? 0 : -1;
    free(tl.s);
    mpc_audit_free(&audit);
    tfm_params_free(&w);
    free(tokens), free(logits_ref);
    rt_infer_free(&inf);
    return rc == 0 ? 0 : 1;
}

/* xp_infer.c -- model options and the infer row. See xp_infer.h. */
#include "xp_infer.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "../models/tfm_io.h"
#include "../protocols/families.h"
#include "xp_safety.h"

int xp_model_setup(tfm_config *m, mpc_config *cfg, const xp_model_opts *o, const char *cmd)
{
    char err[512];
    if (o->config) {
        if (tfm_config_load_json(m, o->config, err, sizeof err) != TFM_OK) {
            fprintf(stderr, "error: --config %s: %s\n", o->config, err);
            return -1;
        }
        if (o->model) snprintf(m->name, sizeof m->name, "%s", o->model);
    } else {
        if (!o->model) {
            fprintf(stderr, "error: %s: --model is required (or --config); see mpcsim %s --help\n", cmd, cmd);
            return -1;
        }
        if (tfm_config_named(m, o->model) != TFM_OK) {
            char zoo[256];
            tfm_config_list(zoo, sizeof zoo);
            fprintf(stderr, "error: --model: unknown model '%s' (known: %s; or --config FILE)\n", o->model, zoo);
            return -1;
        }
    }
    if (!o->seq) {
        fprintf(stderr, "error: %s: --seq is required (e.g. --seq 128)\n", cmd);
        return -1;
    }
    if (o->gelu && (m->act = tfm_act_parse(o->gelu)) < 0) {
        fprintf(stderr, "error: --gelu: unknown activation '%s' (gelu-erf, gelu-tanh, relu, quad)\n", o->gelu);
        return -1;
    }
    if (o->softmax && (m->attn = tfm_attn_parse(o->softmax)) < 0) {
        fprintf(stderr, "error: --softmax: unknown attention '%s' (softmax, 2relu, 2quad)\n", o->softmax);
        return -1;
    }
    if (o->norm && (m->norm = tfm_norm_parse(o->norm)) < 0) {
        fprintf(stderr, "error: --norm: unknown norm '%s' (layernorm, batchnorm)\n", o->norm);
        return -1;
    }
    if (tfm_config_check(m, err, sizeof err) != TFM_OK) {
        fprintf(stderr, "error: model configuration: %s\n", err);
        return -1;
    }
    if ((int)o->seq + m->pos_offset > m->P) {
        fprintf(stderr, "error: --seq %" PRIu64 " exceeds the model's %d positions\n", o->seq, m->P - m->pos_offset);
        return -1;
    }
    if (cfg->embed_chunks > m->V) {
        fprintf(stderr, "error: --embed-chunks %d exceeds the vocabulary (%d)\n", cfg->embed_chunks, m->V);
        return -1;
    }
    const char *lacks = mpc_family_check(mpc_family_of(cfg), (mpc_act)m->act, (mpc_attn)m->attn, (mpc_norm)m->norm);
    if (lacks) {
        fprintf(stderr, "error: %s: %s\n", cmd, lacks);
        return -1;
    }
    /* The protocol follows the model's approximations. */
    cfg->quad_a = m->quad_a, cfg->quad_b = m->quad_b, cfg->quad_c = m->quad_c, cfg->quad2_c = m->quad2_c;
    cfg->ln_eps = mpc_family_ln_eps(mpc_family_of(cfg), cfg, m->ln_eps, (uint64_t)m->C); /* 4.7 */
    return 0;
}

void xp_infer_write_row(xp_rows *w, const xp_infer_row *r)
{
    const rt_result *rr = r->res;
    double latency = rr->latency_ns * 1e-9;
    xp_rows_str(w, "model", r->m->name);
    xp_rows_uint(w, "seq", (uint64_t)r->seq);
    xp_rows_str(w, "gelu", tfm_act_name(r->m->act));
    xp_rows_str(w, "softmax", tfm_attn_name(r->m->attn));
    xp_rows_str(w, "norm", tfm_norm_name(r->m->norm));
    xp_rows_str(w, "protocol", mpc_family_of(r->cfg)->name);
    xp_rows_str(w, "mode", r->phantom ? "phantom" : "real");
    xp_rows_str(w, "net", r->net ? r->net : "tcp");
    if (r->net) {
        xp_rows_uint(w, "bandwidth_bps", r->bandwidth_bps);
        xp_rows_real(w, "one_way_latency_s", r->one_way_latency_ns * 1e-9);
    }
    xp_rows_str(w, "compute_model", r->compute_model ? r->compute_model : "real");
    xp_rows_real(w, "latency_s", latency);
    if (r->net) {
        xp_rows_real(w, "compute_s", r->compute_s);
        xp_rows_real(w, "comm_s", latency - r->compute_s);
    }
    xp_rows_uint(w, "rounds", rr->rounds);
    xp_rows_uint(w, "online_sent_bytes_p0", rt_online_sent(rr, 0));
    xp_rows_uint(w, "online_sent_bytes_p1", rt_online_sent(rr, 1));
    xp_rows_uint(w, "online_recv_bytes_p0", rt_online_recv(rr, 0));
    xp_rows_uint(w, "online_recv_bytes_p1", rt_online_recv(rr, 1));
    xp_rows_uint(w, "dealer_bytes", rr->dealer_bytes);
    xp_rows_str(w, "dealer", r->cfg->dealer_schedule == MPC_DEALER_INLINE ? "inline" : "offline");
    if (r->max_abs_logit_err >= 0) xp_rows_real(w, "max_abs_logit_err", r->max_abs_logit_err);
    if (r->audit) {
        char where[160] = "none";
        if (r->audit->nev) xp_audit_where(where, sizeof where, &r->audit->ev[0]);
        xp_rows_real(w, "p_fail", mpc_audit_p_fail(r->audit) + 0.0);
        xp_rows_uint(w, "wraps", r->audit->wraps);
        xp_rows_uint(w, "domain", r->audit->domain);
        xp_rows_str(w, "first_event", where);
    }
    if (r->trunc_col) xp_rows_str(w, "trunc", r->cfg->trunc == MPC_TRUNC_SAFE ? "safe" : "local");
    xp_rows_end(w);
}

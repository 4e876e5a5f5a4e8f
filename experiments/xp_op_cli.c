/* xp_op_cli.c -- the command line's side of the op registry. See xp_op_cli.h. */
#include "xp_op_cli.h"

#include <string.h>

#include "xp_schema.h"

const rt_opdef *xp_op_lookup(const mpc_config *cfg, const char *name, const char *cmd)
{
    const rt_opdef *op = rt_op_find_in(cfg->protocol, name);
    if (op) return op;
    for (size_t f = 0; rt_op_family(f); f++)
        if (rt_op_find_in(rt_op_family(f), name)) {
            fprintf(stderr, "error: %s: protocol '%s' has no op '%s' (mpcsim op --protocol %s --list)\n", cmd,
                    cfg->protocol, name, cfg->protocol);
            return NULL;
        }
    fprintf(stderr, "error: %s: unknown op '%s' (mpcsim op --list shows the %zu ops)\n", cmd, name,
            rt_op_count_in(cfg->protocol));
    return NULL;
}

void xp_op_list_in(FILE *f, const char *protocol)
{
    for (size_t i = 0; i < rt_op_count_in(protocol); i++) {
        const rt_opdef *d = rt_op_at_in(protocol, i);
        fprintf(f, "%-15s %s\n", d->name, d->summary);
    }
}

void xp_op_write_row(FILE *f, int table, const xp_op_row *r)
{
    const rt_result *res = r->res;
    xp_rows w;
    xp_rows_open(&w, f, &xp_schema_op, table ? XP_ROWS_TABLE : XP_ROWS_CSV);
    xp_rows_str(&w, "op", r->op);
    xp_rows_str(&w, "shape", r->shape);
    xp_rows_str(&w, "mode", r->phantom ? "phantom" : "real");
    xp_rows_uint(&w, "rounds", res->rounds);
    xp_rows_uint(&w, "online_sent_bytes_p0", rt_online_sent(res, 0));
    xp_rows_uint(&w, "online_recv_bytes_p0", rt_online_recv(res, 0));
    xp_rows_uint(&w, "online_sent_bytes_p1", rt_online_sent(res, 1));
    xp_rows_uint(&w, "online_recv_bytes_p1", rt_online_recv(res, 1));
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

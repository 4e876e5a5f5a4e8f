/* xp_op_row.c -- the `op` schema's row of one op run. See xp_op_row.h. */
#include "xp_op_row.h"

#include "xp_schema.h"

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

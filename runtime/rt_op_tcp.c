/* rt_op_tcp.c -- one party of an op over TCP, as a job of the runtime's TCP backend. See rt_op_tcp.h. */
#include "rt_op_tcp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/fx.h"

/* ---- the op, as rt_op_run runs it (rt_ops.c: op_party_fn) ---- */

typedef struct op_io {
    const rt_opdef *op;
    const rt_shape *s;
    uint64_t *in_sh[2], *out_sh;
    const uint64_t *plain[2];
    size_t nin[2], nout;
} op_io;

static void run_op(mpc_ctx *c, void *arg)
{
    op_io *io = arg;
    rt_op_party(c, io->op, io->s, io->in_sh, io->plain, io->nin, io->out_sh);
}

int rt_op_tcp_run(const rt_op_tcp_opts *o, rt_op_tcp_outcome *out)
{
    memset(out, 0, sizeof *out);
    out->max_abs_err = out->max_rel_err = NAN;
    const rt_opdef *op = o->op;
    const rt_shape *s = o->shape;
    int real = !o->phantom, f = o->cfg->frac_bits;

    /* Inputs exactly as rt_op_run draws them (every party draws all; only owners use them). */
    op_io io;
    memset(&io, 0, sizeof io);
    io.op = op;
    io.s = s;
    io.nin[0] = rt_op_in_len(op, s, 0);
    io.nin[1] = op->ninputs == 2 ? rt_op_in_len(op, s, 1) : 0;
    io.nout = rt_op_out_len(op, s);
    double *in[2] = {NULL, NULL};
    uint64_t *enc[2] = {NULL, NULL};
    if (real && o->tcp.role != NET_D) {
        rt_op_inputs(op, s, o->seed, f, in, enc);
        for (int k = 0; k < op->ninputs; k++) io.in_sh[k] = chk_malloc(io.nin[k] * sizeof(uint64_t));
        io.out_sh = chk_calloc(io.nout, sizeof(uint64_t));
        if (o->tcp.role == NET_P1) io.plain[0] = enc[0]; /* P1 owns the data input */
        if (o->tcp.role == NET_P0) io.plain[1] = enc[1]; /* P0 owns the second input */
    }

    char desc[160];
    snprintf(desc, sizeof desc, "op=%s shape=%s", op->name, s->text);
    rt_job j;
    memset(&j, 0, sizeof j);
    j.cfg = o->cfg;
    j.phantom = o->phantom;
    j.seed = o->seed;
    j.fn = run_op;
    j.arg[0] = j.arg[1] = &io;
    j.share[0] = j.share[1] = io.out_sh;
    j.nshare = io.nout;
    j.desc = desc;
    rt_tcp_outcome oc;
    rt_tcp_opts to = o->tcp;
    to.dealer_plan = 1; /* D's op arguments (no inputs, no buffers) are valid in phantom mode */
    int ret = rt_tcp_run(&to, &j, &oc);
    if (ret == 0 && o->tcp.role == (o->tcp.out_party == NET_P1 ? NET_P1 : NET_P0)) {
        out->res = oc.res;
        snprintf(out->congestion, sizeof out->congestion, "%s", oc.congestion);
        if (real) {
            out->nout = io.nout;
            double *got = chk_malloc(io.nout * sizeof(double)), *want = chk_malloc(io.nout * sizeof(double));
            for (size_t i = 0; i < io.nout; i++) got[i] = rt_op_decode(o->cfg, io.out_sh[i], oc.other_share[i]);
            const double *const cin[2] = {in[0], in[1]};
            op->ref(o->cfg, want, cin, s);
            double ma = 0, mr = 0;
            for (size_t i = 0; i < io.nout; i++) {
                double e = fabs(got[i] - want[i]);
                if (!(e <= ma)) ma = e; /* NaN-propagating max */
                double q = e / fmax(fabs(want[i]), 1e-3);
                if (!(q <= mr)) mr = q;
            }
            out->max_abs_err = ma;
            out->max_rel_err = mr;
            out->got = got;
            free(want);
        }
    }
    rt_tcp_outcome_free(&oc);
    for (int k = 0; k < 2; k++) {
        free(in[k]);
        free(enc[k]);
        free(io.in_sh[k]);
    }
    free(io.out_sh);
    return ret;
}

void rt_op_tcp_outcome_free(rt_op_tcp_outcome *o)
{
    free(o->got);
    o->got = NULL;
}

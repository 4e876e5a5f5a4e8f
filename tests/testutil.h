/* testutil.h -- helpers shared by the Criterion tests: run the mpcsim binary, temp paths, files. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>
#include <string.h>

typedef struct tu_run {
    int status;   /* exit code, or 128+signal */
    char *out;    /* captured stdout (NUL-terminated, malloc'd) */
    char *err;    /* captured stderr */
} tu_run;

/* Runs `MPCSIM_BIN args...` (args is a shell-quoted string) and captures both streams. */
tu_run tu_mpcsim(const char *args);
void tu_run_free(tu_run *r);

/* A fresh empty directory under /tmp (malloc'd path). */
char *tu_tmpdir(void);
/* Whole file contents (malloc'd, NUL-terminated); NULL if unreadable. */
char *tu_read_file(const char *path, size_t *len);
int tu_file_exists(const char *path);

#endif

/* ---- protocol-op checks (tests of protocols/) ---- */
#include "../runtime/rt_ops.h"

/* A recorded message trace. */
typedef struct tu_trace {
    net_trace_rec *rec;
    size_t n, cap;
} tu_trace;
void tu_trace_sink(void *ud, const net_trace_rec *r);
void tu_trace_free(tu_trace *t);

/* Session options on a fixed test network (1 Gbit/s, 1 ms one way), zero compute model. */
rt_sim_opts tu_session(const mpc_config *cfg, int phantom, uint64_t seed);

/* Runs `name` on `shape` and asserts (with Criterion):
 *  - measured rounds, online bytes sent/received per party, dealer bytes and requests equal the
 *    op's closed form, under the offline AND the inline dealer schedule;
 *  - real and phantom runs produce identical traces (src, dst, size, tag, label, times) and equal
 *    latency.
 * Returns the real-mode outcome (offline schedule) with got/want arrays kept; free it. */
rt_op_outcome tu_check_op(const char *name, const char *shape, const mpc_config *cfg);
/* Expects a closed form derived by hand: rounds, bytes sent by each party (both equal), dealer words
 * and dealer requests; `what` names it in the failure message. */
void tu_expect_cost(const char *what, mpc_cost c, uint64_t rounds, uint64_t sent, uint64_t words, uint64_t reqs);

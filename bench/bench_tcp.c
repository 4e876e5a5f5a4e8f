/* bench_tcp.c -- what the TCP backend's encryption costs on loopback (issue 20): two parties in two
 * threads over a real loopback TCP connection (net_tcp_from_fds), plaintext frames against sealed ones
 * (AES-256-GCM through OpenSSL's EVP, the same framing `mpcsim party` uses after its handshake).
 * Two workloads:
 *   bulk:     one exchange of 16 MiB each way (throughput: the cipher's cost per byte);
 *   pingpong: 5000 round trips of one 8-byte message (latency: the cost per message).
 * Rows: mode, workload, message bytes, messages per direction, wire bytes per direction (the kernel's
 * count of what P1 received, TCP_INFO), wire bytes per message beyond the payload, median and min
 * wall time of 5 runs, and the CPU seconds (user + system) both threads spent in the fastest-CPU
 * run: unlike the wall time, that hardly depends on what else the machine runs.
 * Measured on this machine; the handshake (two X25519-heavy messages at setup) is not included.
 * Usage: mpcsim_bench_tcp [OUT.csv]   (default results/bench_tcp_aead.csv) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../experiments/xp_out.h"
#include "../experiments/xp_schema.h"
#include "../net/net_tcp.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int tcp_pair(int fd[2])
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&sa, &sl) != 0)
        return -1;
    fd[0] = socket(AF_INET, SOCK_STREAM, 0);
    if (fd[0] < 0 || connect(fd[0], (struct sockaddr *)&sa, sizeof sa) != 0) return -1;
    fd[1] = accept(l, NULL, NULL);
    close(l);
    return fd[1] < 0 ? -1 : 0;
}

typedef struct job {
    net_tcp *t;
    int pingpong;
    size_t n, reps;
    int rc;
    double cpu;
} job;

static double thread_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static void *party(void *arg)
{
    job *j = arg;
    net_party *p = net_tcp_party(j->t);
    int peer = 1 - p->self;
    uint8_t *out = calloc(1, j->n), *in = malloc(j->n);
    for (size_t i = 0; i < j->n; i++) out[i] = (uint8_t)i;
    memset(in, 0, j->n);
    double c0 = thread_cpu_s();
    int rc = NET_OK;
    for (size_t r = 0; r < j->reps && rc == NET_OK; r++) {
        if (!j->pingpong || p->self == 0) {
            rc = net_send(p, peer, out, j->n);
            if (rc == NET_OK) rc = net_flush(p, peer);
            if (rc == NET_OK) rc = net_recv(p, peer, in, j->n);
        } else {
            rc = net_recv(p, peer, in, j->n);
            if (rc == NET_OK) rc = net_send(p, peer, out, j->n);
            if (rc == NET_OK) rc = net_flush(p, peer);
        }
    }
    if (rc == NET_OK) rc = net_tcp_finish(j->t);
    j->rc = rc;
    j->cpu = thread_cpu_s() - c0;
    free(out);
    free(in);
    return NULL;
}

/* One run; returns the wall time, *wire = the bytes P1 received from P0 (the kernel's count, so
 * retransmissions, which loopback under load does see, are not counted twice). */
static double run(int sealed, int pingpong, size_t n, size_t reps, uint64_t *wire, double *cpu)
{
    static const uint8_t psk[32] = {1, 2, 3};
    int fd[2];
    if (tcp_pair(fd) != 0) {
        perror("bench_tcp: loopback pair");
        exit(1);
    }
    job j[2];
    for (int i = 0; i < 2; i++) {
        net_tcp_opts o;
        net_tcp_opts_default(&o);
        o.self = i;
        o.nparties = 2;
        o.psk = sealed ? psk : NULL;
        int f[NET_MAX_PARTIES] = {-1, -1, -1};
        f[1 - i] = fd[i];
        if (net_tcp_from_fds(&j[i].t, &o, f) != NET_OK) exit(1);
        j[i].pingpong = pingpong, j[i].n = n, j[i].reps = reps, j[i].rc = 0;
    }
    pthread_t th[2];
    double t0 = now_s();
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, party, &j[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    double dt = now_s() - t0;
    uint64_t s = 0, r = 0;
    for (int i = 0; i < 2; i++)
        if (j[i].rc != NET_OK) {
            fprintf(stderr, "bench_tcp: party %d: %s\n", i, net_tcp_error(j[i].t));
            exit(1);
        }
    *wire = net_tcp_wire_bytes(j[1].t, 0, &s, &r) == 0 ? r : 0;
    *cpu = j[0].cpu + j[1].cpu;
    for (int i = 0; i < 2; i++) net_tcp_destroy(j[i].t);
    return dt;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "results/bench_tcp_aead.csv";
    static const struct { const char *name; int pingpong; size_t n, reps; } w[] = {
        {"bulk", 0, 16u << 20, 1},
        {"pingpong", 1, 8, 5000},
    };
    xp_out o;
    if (xp_out_open(&o, path) != 0) return 1;
    xp_rows rw;
    xp_rows_open(&rw, o.f, &xp_schema_bench_tcp_aead, XP_ROWS_CSV);
    for (size_t k = 0; k < sizeof w / sizeof *w; k++)
        for (int sealed = 0; sealed < 2; sealed++) {
            double t[5], cpu = 0, cmin = 1e300;
            uint64_t wire = 0;
            for (int r = 0; r < 5; r++) {
                t[r] = run(sealed, w[k].pingpong, w[k].n, w[k].reps, &wire, &cpu);
                if (cpu < cmin) cmin = cpu;
            }
            qsort(t, 5, sizeof *t, cmp_d);
            /* P0's wire bytes: the frames and one goodbye frame */
            double per = wire ? ((double)wire - (double)(NET_TCP_HDR_BYTES + (sealed ? NET_TCP_TAG_BYTES : 0))) / (double)w[k].reps -
                                    (double)w[k].n
                              : 0;
            xp_rows_str(&rw, "mode", sealed ? "sealed" : "plaintext");
            xp_rows_str(&rw, "workload", w[k].name);
            xp_rows_uint(&rw, "msg_bytes", w[k].n);
            xp_rows_uint(&rw, "msgs_per_dir", w[k].reps);
            xp_rows_uint(&rw, "wire_bytes_per_dir", wire);
            xp_rows_real(&rw, "framing_bytes_per_msg", per);
            xp_rows_real(&rw, "wall_s_median", t[2]);
            xp_rows_real(&rw, "wall_s_min", t[0]);
            xp_rows_real(&rw, "cpu_s_min", cmin);
            xp_rows_end(&rw);
            fprintf(stderr, "bench_tcp: %-9s %-8s median %.4f s, cpu %.4f s (%" PRIu64 " wire bytes per direction)\n",
                    sealed ? "sealed" : "plaintext", w[k].name, t[2], cmin, wire);
        }
    return xp_out_close(&o) == 0 ? 0 : 1;
}

/* bench_relay.c -- how late the relay's delay queue (experiments/relay/relay_core.h) releases frames:
 * one direction over AF_UNIX seqpacket socketpairs (no root), a producer thread sending 1514-byte
 * frames at a fixed rate, a consumer thread reading them, the relay in its own thread recording
 * (write time - due) for every frame. Writes CSV (never part of the tests): delay_us, frames_per_s,
 * frame_bytes, frames, late_median_us, late_p99_us, late_max_us, dropped. Lateness is never negative
 * (tests/test_relay.c checks that); how large it gets depends on the machine and its load, which is
 * why it is measured here and not asserted anywhere. Takes about 5 s. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../experiments/relay/relay_core.h"
#include "../experiments/xp_out.h"
#include "../experiments/xp_schema.h"

enum { FRAME = 1514 };

typedef struct feed {
    int fd;
    long frames;
    double rate;
} feed;

/* Sends `frames` frames at `rate` per second, paced on the monotonic clock (sleep, no spin). */
static void *produce(void *arg)
{
    feed *f = arg;
    static const uint8_t b[FRAME];
    int64_t t0 = relay_now_ns(), gap = (int64_t)(1e9 / f->rate);
    for (long i = 0; i < f->frames; i++) {
        int64_t at = t0 + i * gap, now = relay_now_ns();
        if (at > now) {
            struct timespec ts = {(at - now) / 1000000000, (at - now) % 1000000000};
            nanosleep(&ts, NULL);
        }
        if (send(f->fd, b, sizeof b, 0) != (ssize_t)sizeof b) {
            perror("bench_relay: send");
            exit(1);
        }
    }
    return NULL;
}

static void *consume(void *arg)
{
    feed *f = arg;
    uint8_t b[RELAY_FRAME_MAX];
    for (long i = 0; i < f->frames; i++)
        if (recv(f->fd, b, sizeof b, 0) <= 0) {
            perror("bench_relay: recv");
            exit(1);
        }
    return NULL;
}

typedef struct relay_thread {
    relay_dir d;
    atomic_int stop;
    int rc;
} relay_thread;

static void *relay_main(void *arg)
{
    relay_thread *r = arg;
    r->rc = relay_dir_run(&r->d, &r->stop);
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* One configuration; returns 0 and prints a CSV row, or -1. */
static int run(xp_rows *out, int64_t delay_ns, double rate, double seconds)
{
    long n = (long)(rate * seconds);
    int in[2], outp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, in) != 0 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, outp) != 0) {
        perror("bench_relay: socketpair");
        return -1;
    }
    int64_t *late = malloc((size_t)n * sizeof *late);
    relay_thread r;
    memset(&r, 0, sizeof r);
    relay_opts o = {.in = in[1], .out = outp[0], .delay_ns = delay_ns, .slots = 1 << 16, .late_ns = late,
                    .late_cap = (size_t)n};
    int rc = late ? relay_dir_init(&r.d, &o) : RELAY_ENOMEM;
    if (rc != RELAY_OK) {
        fprintf(stderr, "bench_relay: %s\n", relay_strerror(rc));
        free(late);
        return -1;
    }
    feed fp = {in[0], n, rate}, fc = {outp[1], n, rate};
    pthread_t tr, tp, tc;
    pthread_create(&tr, NULL, relay_main, &r);
    pthread_create(&tc, NULL, consume, &fc);
    pthread_create(&tp, NULL, produce, &fp);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    atomic_store(&r.stop, 1);
    pthread_join(tr, NULL);
    size_t k = r.d.nlate;
    qsort(late, k, sizeof *late, cmp_i64);
    double med = k ? late[k / 2] / 1e3 : 0, p99 = k ? late[(k * 99) / 100] / 1e3 : 0, mx = k ? late[k - 1] / 1e3 : 0;
    xp_rows_real(out, "delay_us", delay_ns / 1e3);
    xp_rows_real(out, "frames_per_s", rate);
    xp_rows_int(out, "frame_bytes", FRAME);
    xp_rows_uint(out, "frames", k);
    xp_rows_real(out, "late_median_us", med);
    xp_rows_real(out, "late_p99_us", p99);
    xp_rows_real(out, "late_max_us", mx);
    xp_rows_uint(out, "dropped", r.d.dropped);
    xp_rows_end(out);
    fprintf(stderr, "bench_relay: delay %6.0f us, %6.0f frames/s: lateness median %.1f us, p99 %.1f us, max %.1f us\n",
            delay_ns / 1e3, rate, med, p99, mx);
    relay_dir_free(&r.d);
    free(late);
    close(in[0]), close(in[1]), close(outp[0]), close(outp[1]);
    return r.rc == RELAY_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "results/bench_relay.csv";
    static const struct { int64_t delay_ns; double rate; } cases[] = {
        {1000000, 1000}, {1000000, 16000}, {20000000, 1000}, {20000000, 16000}, /* 16000 x 1514 B = 194 Mbit/s */
    };
    xp_out o;
    if (xp_out_open(&o, path) != 0) return 1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    fprintf(o.f, "# mpcsim relay bench: one direction over AF_UNIX seqpacket socketpairs, %ld online CPUs; "
                 "lateness = write time - (read time + delay)\n", ncpu);
    xp_rows w;
    xp_rows_open(&w, o.f, &xp_schema_bench_relay, XP_ROWS_CSV);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        if (run(&w, cases[c].delay_ns, cases[c].rate, 1.0) != 0) {
            xp_out_abort(&o);
            return 1;
        }
    return xp_out_close(&o) == 0 ? 0 : 1;
}

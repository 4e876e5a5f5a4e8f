/* par.c -- persistent worker threads for the heavy kernels. See par.h. */
#include "par.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "chk.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER; /* held by the caller of a parallel par_for */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static int nthreads = 1, nworkers; /* workers started so far (nthreads - 1 at most are used) */
static unsigned long gen;          /* job generation */
static int pending;                /* parts still running */
static struct { par_fn fn; void *ud; size_t n, parts; } job;

/* A forked child has only the forking thread: it starts its own workers when it needs them. */
static void after_fork_child(void)
{
    nworkers = 0;
    pending = 0;
    pthread_mutex_init(&busy, NULL);
    pthread_mutex_init(&mu, NULL);
    pthread_cond_init(&go, NULL);
    pthread_cond_init(&done, NULL);
}

static void init_threads(void)
{
    pthread_atfork(NULL, NULL, after_fork_child);
    const char *e = getenv("MPCSIM_THREADS");
    long n = e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > PAR_MAX_THREADS) n = PAR_MAX_THREADS;
    nthreads = (int)n;
}

int par_threads(void)
{
    pthread_once(&once, init_threads);
    return nthreads;
}

void par_set_threads(int n)
{
    pthread_once(&once, init_threads);
    CHECK(n >= 1 && n <= PAR_MAX_THREADS, "par_set_threads(%d): 1..%d", n, PAR_MAX_THREADS);
    pthread_mutex_lock(&busy);
    nthreads = n;
    pthread_mutex_unlock(&busy);
}

static void part_range(size_t n, size_t parts, size_t k, size_t *lo, size_t *hi)
{
    *lo = n * k / parts;
    *hi = n * (k + 1) / parts;
}

static void *worker(void *arg)
{
    size_t id = (size_t)arg; /* part id: 1.. */
    unsigned long seen = 0;
    pthread_mutex_lock(&mu);
    for (;;) {
        while (gen == seen) pthread_cond_wait(&go, &mu);
        seen = gen;
        if (id >= job.parts) continue;
        par_fn fn = job.fn;
        void *ud = job.ud;
        size_t lo, hi;
        part_range(job.n, job.parts, id, &lo, &hi);
        pthread_mutex_unlock(&mu);
        fn(ud, lo, hi);
        pthread_mutex_lock(&mu);
        if (--pending == 0) pthread_cond_signal(&done);
    }
    return NULL;
}

void par_for(size_t n, size_t grain, par_fn fn, void *ud)
{
    int nt = par_threads();
    if (grain < 1) grain = 1;
    size_t parts = n / grain;
    if (parts > (size_t)nt) parts = (size_t)nt;
    if (parts < 2 || pthread_mutex_trylock(&busy) != 0) {
        fn(ud, 0, n);
        return;
    }
    pthread_mutex_lock(&mu);
    while (nworkers < (int)parts - 1) {
        pthread_t th;
        CHECK(pthread_create(&th, NULL, worker, (void *)(size_t)(nworkers + 1)) == 0, "starting a kernel thread");
        pthread_detach(th);
        nworkers++;
    }
    job.fn = fn, job.ud = ud, job.n = n, job.parts = parts;
    pending = (int)parts - 1;
    gen++;
    pthread_cond_broadcast(&go);
    pthread_mutex_unlock(&mu);
    size_t lo, hi;
    part_range(n, parts, 0, &lo, &hi);
    fn(ud, lo, hi);
    pthread_mutex_lock(&mu);
    while (pending > 0) pthread_cond_wait(&done, &mu);
    pthread_mutex_unlock(&mu);
    pthread_mutex_unlock(&busy);
}

/* relay_core.h -- the emulated link of experiments/relay (scripts/validate.sh), on any pair of
 * datagram descriptors: every frame read from `in` is written to `out` `delay_ns` after it was read
 * (a delay line), or, with a rate `bps`, `delay_ns` after it would have left a store-and-forward
 * FIFO of that rate (the simulator's link, netmodel/nm.h), in arrival order. relay.c wraps it around
 * two AF_PACKET sockets; the tests and the bench run it over AF_UNIX socketpairs, without root.
 *
 * One relay_dir is one direction, driven by one thread (relay_dir_run):
 *   - take: every frame ready on `in` is read without blocking, in batches (recvmmsg), all frames of
 *     a batch read at one time r (the clock after the read) and stamped due = r + delay_ns; with a
 *     rate, due = end + delay_ns where end = max(r, previous frame's end) + ceil(len * 8e9 / bps)
 *     (len the whole frame as read, link-layer header included); a full queue drops what waits, and
 *     with limit_bytes, so does a frame that finds more than limit_bytes - len bytes waiting for the
 *     serializer (tail drop);
 *   - release: every frame with due <= now is written (sendmmsg, batches) in queue order;
 *   - wait: ppoll on `in` until SPIN_NS before the head's due time (timer slack set to 1 ns), then
 *     spin on the clock for the rest, so a frame leaves a few microseconds late at most on an idle
 *     core instead of the scheduler's 50 us (and never early: release checks due <= now).
 * The serializer's times are computed, not waited for: a frame released late does not delay the
 * next one's due time, so the rate holds on a busy host (a kernel shaper such as tbf, which waits on a
 * timer per frame and caps its tokens at the burst, loses rate whenever that timer is late).
 * Cost: O(1) per frame plus one syscall per batch of up to RELAY_BATCH frames; memory
 * slots * sizeof(relay_frame) (about 1.6 kB a slot). Clock: CLOCK_MONOTONIC. */
#ifndef RELAY_CORE_H
#define RELAY_CORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum {
    RELAY_FRAME_MAX = 1600, /* largest frame (a 1500-byte MTU frame fits) */
    RELAY_BATCH = 64,       /* frames per recvmmsg / sendmmsg */
    RELAY_SPIN_NS = 20000,  /* spin the last 20 us before a due time */
    RELAY_SLOTS_MAX = 1 << 24,
    RELAY_LIMIT_MAX = 1 << 30, /* largest limit_bytes */
};
#define RELAY_BPS_MAX 1000000000000ull /* largest rate, 1 Tbit/s */

/* Result codes (0 = success). */
enum {
    RELAY_OK = 0,
    RELAY_EINVAL = -1,   /* bad argument: negative delay, queue size, rate above RELAY_BPS_MAX, byte
                          * limit (above RELAY_LIMIT_MAX or without a rate), in == out, lateness buffer */
    RELAY_EBADF = -2,    /* a descriptor is not open */
    RELAY_ENOTSOCK = -3, /* a descriptor is not a socket */
    RELAY_ESTREAM = -4,  /* a socket is a byte stream: frame boundaries would be lost */
    RELAY_ENOMEM = -5,   /* the queue cannot be allocated */
    RELAY_EIO = -6,      /* poll or the clock failed (errno has the reason) */
};
const char *relay_strerror(int code);

typedef struct relay_frame {
    int64_t due; /* CLOCK_MONOTONIC ns */
    uint32_t len;
    uint8_t b[RELAY_FRAME_MAX];
} relay_frame;

/* Called on every frame read (may rewrite it in place, e.g. a checksum): 1 keeps it, 0 skips it
 * silently. `from` is the sender's address as recvmmsg gives it (fromlen 0 on connected sockets). */
typedef int (*relay_filter_fn)(void *ud, const struct sockaddr *from, socklen_t fromlen, uint8_t *frame, size_t len);

typedef struct relay_opts {
    int in, out;       /* datagram, seqpacket or raw sockets; borrowed, never closed here */
    int64_t delay_ns;  /* >= 0 */
    uint64_t bps;      /* link rate in bit/s, <= RELAY_BPS_MAX; 0 = no serialization (a pure delay line) */
    uint64_t limit_bytes; /* with bps: the serializer's queue bound in bytes, <= RELAY_LIMIT_MAX (0 = only `slots`) */
    size_t slots;      /* queue capacity in frames, 1..RELAY_SLOTS_MAX */
    const struct sockaddr *to; /* destination of every write (borrowed); NULL for connected sockets */
    socklen_t tolen;
    relay_filter_fn filter; /* NULL = keep every frame */
    void *filter_ud;
    int64_t *late_ns;  /* optional (borrowed): release lateness (write time - due) of the first */
    size_t late_cap;   /* late_cap frames released, for benchmarks */
} relay_opts;

typedef struct relay_dir {
    relay_opts o;
    relay_frame *q; /* ring of o.slots */
    uint64_t head, tail;
    int eof;        /* `in` was closed by its peer: nothing more will come */
    uint64_t frames, bytes; /* queued */
    int64_t busy;       /* with bps: when the serializer finishes the last frame taken */
    uint64_t dropped;   /* discarded because the queue (slots, or limit_bytes) was full */
    uint64_t oversize;  /* longer than RELAY_FRAME_MAX, discarded */
    uint64_t send_err;  /* writes that failed (other than a full buffer), frame discarded */
    size_t nlate;       /* entries filled in o.late_ns */
} relay_dir;

/* Checks the options (both descriptors must be open non-stream sockets) and allocates the queue.
 * Returns RELAY_OK or an error code; on error nothing needs freeing. */
int relay_dir_init(relay_dir *d, const relay_opts *o) __attribute__((warn_unused_result));
void relay_dir_free(relay_dir *d);

/* Takes every frame ready on `in` without blocking, stamped with its due time (see above). Returns
 * the number queued. Zero-length datagrams are ignored (on a seqpacket socket they mean the peer closed). */
size_t relay_dir_take(relay_dir *d);
/* Writes every queued frame with due <= t, in order; waits out a momentarily full output buffer
 * (ENOBUFS/EAGAIN) unless *stop is set. Returns the number written. */
size_t relay_dir_release(relay_dir *d, int64_t t, const atomic_int *stop);
/* Frames queued and not yet written. */
size_t relay_dir_queued(const relay_dir *d);

/* The loop of one direction (take, release, wait; see above) until *stop is set (returns promptly,
 * within 100 ms) or, on a connection-oriented `in`, until its peer closed and every queued frame
 * went out. Returns RELAY_OK or RELAY_EIO. */
int relay_dir_run(relay_dir *d, const atomic_int *stop) __attribute__((warn_unused_result));

/* CLOCK_MONOTONIC in ns, the clock of `due`. */
int64_t relay_now_ns(void);

#endif

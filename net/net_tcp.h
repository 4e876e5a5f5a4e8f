/* net_tcp.h -- the TCP backend of the transport: each party (and the dealer) is its own process
 * (or host), connected to every other party by one TCP connection. The same protocol code runs
 * unchanged; the net_send/net_recv wrappers in net.c still do all the counting.
 *
 * ---- Connection setup ----
 * Parties are ordered P0 < P1 < D. For every pair i < j, j connects to i's listening address and i
 * accepts: P0 accepts P1 and D; P1 connects to P0, then accepts D; D connects to P0, then to P1.
 * A party listens (one socket) only if some higher party connects to it, and it listens before it
 * connects anywhere, so a connection attempt never waits on an accept that has not been posted.
 * Connects are retried every 50 ms until the setup deadline (connect_timeout_ns covers connecting,
 * accepting and the handshakes). Every socket gets TCP_NODELAY and, if asked, TCP_CONGESTION.
 * Addresses are numeric: "127.0.0.1:9000" or "[::1]:9000".
 *
 * ---- Handshake: authenticated, encrypted (net_tcp_sec.h) ----
 * Every party has a long-term X25519 key pair and knows every peer's public key. The connecting
 * side runs the initiator's part of a Noise-KK-like handshake (msg1, msg2, then a sealed CONFIRM
 * frame); its encrypted payload is {config hash, config description}. The acceptor runs every
 * pending connection's handshake CONCURRENTLY in one poll() loop under the one setup deadline
 * (at most NET_TCP_MAX_PENDING at once; when full, the oldest is dropped): a connection whose
 * msg1 is malformed, names the wrong roles, or does not open with the claimed peer's key is
 * closed WITHOUT ANY REPLY (a warning on our stderr), and a connection takes a peer's slot only
 * once its CONFIRM frame opens (a replayed msg1 never does). Idle or hostile connections thus
 * cannot stop the setup nor take the real peer's place. A configuration mismatch between
 * authenticated peers makes both fail with NET_EPROTO and both (encrypted) descriptions (the
 * acceptor only after the initiator's CONFIRM: a replayed msg1 of an old run with another
 * configuration is merely dropped). A
 * responder that does not prove it holds the expected key fails the initiator with NET_EPROTO.
 *
 * ---- Framing ----
 * Every message is one frame: a 48-byte little-endian header
 *     u32 magic "MPCT" | u32 type | u64 payload length | u64 round label | i64 cp[3]
 * followed by the payload, encrypted, and a 16-byte AES-256-GCM tag (the header is authenticated as
 * associated data; the nonce is the frame counter, implicit). Types: DATA (a protocol message), BYE
 * (the sender will send nothing more), CONFIRM (end of handshake). The header and the payload
 * always leave in the same sendmsg() call (a separate small header write would cost a round trip
 * in slow start); small frames are buffered and coalesced. recv() checks the magic, the type and
 * that the length equals the n the protocol asked for (else NET_EPROTO naming both sizes) BEFORE
 * any buffer is sized for it; a frame whose tag does not verify fails with NET_EPROTO ("failed
 * authentication"). Frames without tag (plaintext) exist only for net_tcp_from_fds without a key
 * (tests of the framing itself).
 * Phantom mode (buf == NULL): send() transmits n zero bytes, encrypted, so the traffic is real;
 * recv() verifies and discards the payload.
 *
 * ---- Deadlock avoidance: nonblocking sockets + poll() ----
 * In an exchange both parties send, then receive. With messages of megabytes, blocking write()s
 * on both sides would fill both socket buffers and deadlock. Here every socket is nonblocking and
 * one poll() loop (single-threaded) drives all connections: whenever the party has to wait -- to
 * flush output, to finish a large send, or for a frame to arrive -- it keeps reading whatever any
 * peer sends into that peer's input buffer while it writes. Incoming data is therefore always
 * drained, and both sides of an exchange make progress.
 *   - send(): a frame that fits in the 64 KiB output buffer is copied there and the call returns
 *     (the buffer goes out at the next flush or recv). A larger frame is written straight from the
 *     caller's buffer (after whatever is buffered, header included) -- sealed, 256 KiB at a time
 *     into a small staging buffer just before the kernel takes it (no frame-sized copy) -- and
 *     send() returns once the kernel has taken all of it; the caller's buffer is then free.
 *   - recv(): flushes the output to ALL peers (EzPC's flush-before-read), then waits for a
 *     complete frame from the peer. A sealed frame of 64 KiB or more is read straight into the
 *     caller's buffer once its header is in and checked (readv: the payload, its tag, then whatever
 *     follows into the input buffer) and decrypted there piece by piece as it arrives; its tag is
 *     checked at the end, and a frame that fails leaves the caller's buffer zeroed.
 *   - flush(peer): waits until everything buffered (for every peer) is in the kernel.
 * Invariant: whenever control is back in protocol code, every frame is either entirely in the
 * kernel or not started. So a receiver that sees half a frame and then nothing knows the sender is
 * stuck or dead, which is what the stall timeout detects.
 *
 * ---- Timeouts and failures ----
 *   - io_timeout_ns (idle): waiting for a frame to START, or for a peer to accept our bytes, fails
 *     with NET_ETIMEOUT after that long without progress on that connection. It must exceed the
 *     longest local computation of any peer (the peer may be busy, not dead).
 *   - stall_timeout_ns: a frame that has started but receives no byte for that long fails with
 *     NET_ETIMEOUT (the sender is never busy mid-frame, see the invariant).
 *   - EOF at a frame boundary without a BYE: NET_ECLOSED ("closed without a goodbye: it died or
 *     failed"); EOF or reset in the middle of a frame: NET_EPROTO ("truncated message"); reset
 *     while writing (EPIPE/ECONNRESET): NET_ECLOSED. A BYE makes recv() return NET_ECLOSED
 *     (a clean close: how the dealer learns P0 is done) and is not an error.
 * Every error except a clean BYE records a message (net_tcp_error) and, if set, calls on_error
 * (which may end the process: the experiments layer uses that to turn a dead peer into exit 1
 * with a clear message instead of a CHECK in protocol code). SIGPIPE is never raised
 * (MSG_NOSIGNAL).
 *
 * ---- Time ----
 * now() is CLOCK_MONOTONIC in ns since the party was created. advance() (compute models) is a
 * no-op: real computation already takes real time; the modelled compute_ns is still counted by
 * the wrappers. A received message reports t_send = t_depart = t_arrive = the receiver's clock
 * when the frame was complete, so the wrapper attributes the whole wait to `other` (TCP does not
 * tell transfer from propagation; the few ns between that instant and the wrapper's own clock read
 * land in `latency`); the critical path (cp) is carried but not meaningful over TCP.
 *
 * ---- Ending ----
 * net_tcp_finish(): sends BYE to every peer that has not had one, flushes, shuts down the write
 * side, then reads until each peer's BYE and EOF (a DATA frame still unread at that point is a
 * protocol desync, NET_EPROTO). Waiting for the peers' EOF before close() avoids resets that
 * could destroy data a peer has not read yet.
 */
#ifndef NET_TCP_H
#define NET_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "net_tcp_sec.h"

enum { NET_TCP_HDR_BYTES = 48, NET_TCP_MAX_HASH = 64, NET_TCP_MAX_DESC = 1024, NET_TCP_MAX_PENDING = 32 };
enum { NET_TCP_DATA = 1, NET_TCP_BYE = 2, NET_TCP_CONFIRM = 5 };
#define NET_TCP_MAGIC 0x5443504Du /* "MPCT" little-endian */

/* Fault injection for tests: after fault_after DATA frames (setup included), the next send ... */
enum {
    NET_TCP_FAULT_NONE = 0,
    NET_TCP_FAULT_DIE = 1,      /* ... flushes what came before, then SIGKILLs this process */
    NET_TCP_FAULT_TRUNCATE = 2, /* ... writes the header and half the payload, then SIGKILL */
    NET_TCP_FAULT_STALL = 3,    /* ... writes the header and half the payload, then sleeps (60 s, then exits 3) */
};

typedef struct net_tcp net_tcp;
/* Called on every failure except a clean BYE; msg names the parties involved. May not return. */
typedef void (*net_tcp_error_fn)(void *ud, int code, const char *msg);
/* Tests only (never set by the command line): sees every DATA payload in plaintext, as sent
 * (dir 0) or as received after authentication (dir 1); buf NULL in phantom mode. */
typedef void (*net_tcp_tap_fn)(void *ud, int self, int peer, int dir, const void *buf, size_t n);

/* Pointer fields (addresses, hash, desc, congestion) are borrowed during net_tcp_connect only. */
typedef struct net_tcp_opts {
    int self, nparties;
    const char *addr[NET_MAX_PARTIES]; /* each party's listening address (self's may be NULL if listen is set) */
    const char *listen;                /* where this party listens; NULL = addr[self] */
    const uint8_t *hash;               /* configuration hash checked in the handshake (<= 64 bytes) */
    size_t hash_len;
    const char *desc;                  /* printable configuration, shown on a mismatch */
    int64_t connect_timeout_ns;        /* whole setup: connects, accepts, handshakes (default 30 s) */
    int64_t io_timeout_ns;             /* idle wait (default 60 s) */
    int64_t stall_timeout_ns;          /* frame started, no progress (default 5 s) */
    const char *congestion;            /* TCP_CONGESTION for every socket; NULL = system default */
    int congestion_strict;             /* 1: failing to set it is an error; 0: warn once, keep the default */
    int fault_mode;                    /* NET_TCP_FAULT_* (tests) */
    uint64_t fault_after;
    net_tcp_error_fn on_error;
    void *on_error_ud;
    const net_keypair *key;                     /* this party's long-term key pair (net_tcp_connect: required) */
    const uint8_t *peer_key[NET_MAX_PARTIES];   /* every peer's public key, NET_KEY_BYTES each */
    const uint8_t *psk;                         /* net_tcp_from_fds only: a 32-byte key shared by all parties ->
                                                 * sealed frames without handshake (tests, bench); NULL = plaintext */
    net_tcp_tap_fn tap;                         /* tests */
    void *tap_ud;
} net_tcp_opts;

/* Defaults: 3 parties, timeouts as above, no congestion override, no fault, no hook. */
void net_tcp_opts_default(net_tcp_opts *o);

/* Listens, connects, accepts and runs the handshakes (see above). On failure returns a negative
 * NET_* code and writes a message into err; *out is then NULL. */
int net_tcp_connect(net_tcp **out, const net_tcp_opts *o, char *err, size_t errlen) WUR;
/* Builds a party from already-connected stream sockets (fd[peer], -1 for none; fd[self] ignored),
 * with no handshake: for tests and benchmarks (socketpair). Frames are sealed with keys derived
 * from o->psk per direction, or plaintext if psk is NULL. Takes ownership of the fds. */
int net_tcp_from_fds(net_tcp **out, const net_tcp_opts *o, const int fd[NET_MAX_PARTIES]) WUR;

net_party *net_tcp_party(net_tcp *t);
/* Tells peer that no more frames follow (its recv() returns NET_ECLOSED once it has read the rest). */
int net_tcp_send_bye(net_tcp *t, int peer) WUR;
/* Setup: grows peer's input buffer to hold `bytes` (frames that arrive before their recv(), e.g. the
 * peer's half of an exchange read while ours is being sent) and touches its pages, so that the online
 * phase neither regrows it (a copy) nor faults fresh pages. Call with the largest message expected
 * from peer (rt_party_prep.max_in): room for two such frames is made. */
void net_tcp_reserve_input(net_tcp *t, int peer, size_t bytes);
/* Graceful end (see above). */
int net_tcp_finish(net_tcp *t) WUR;
/* Closes the sockets (no goodbye) and frees. NULL is a no-op. */
void net_tcp_destroy(net_tcp *t);
/* The last failure's message ("" if none). */
const char *net_tcp_error(const net_tcp *t);
/* After net_tcp_finish: every TCP payload byte the connection to peer carried (frames with their
 * 48-byte headers, handshake, goodbye) as the kernel counted them (TCP_INFO bytes_sent, and
 * bytes_received less the FIN): what a capture of that connection shows. 0, or -1 if unknown.
 * Sealed frames are 48 + n + NET_TCP_TAG_BYTES bytes. */
int net_tcp_wire_bytes(const net_tcp *t, int peer, uint64_t *sent, uint64_t *recv);
/* The kernel's minimum RTT of the connection to peer (TCP_INFO tcpi_min_rtt, in ns at microsecond
 * resolution). 0, or -1 if unknown (no sample yet, or not a TCP socket). */
int net_tcp_min_rtt(const net_tcp *t, int peer, int64_t *ns);
/* The congestion control algorithm in use on the connection to peer (getsockopt), or "". */
void net_tcp_congestion(const net_tcp *t, int peer, char *buf, size_t n);

/* Encodes a frame header (NET_TCP_HDR_BYTES bytes); cp may be NULL. For tests and tools. */
void net_tcp_frame_header(uint8_t *out, int type, uint64_t len, uint64_t label, const int64_t *cp);

#endif

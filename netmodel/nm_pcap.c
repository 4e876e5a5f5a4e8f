/* nm_pcap.c -- pcap writer for simulated traffic. See nm_pcap.h. */
#define _DEFAULT_SOURCE
#include "nm_pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ofile.h"

typedef struct seg {
    int64_t ts;
    uint64_t order;
    uint32_t seq, ack, len;
    uint16_t ipid;
    uint8_t src, dst, psh;
} seg;

/* Segments wait in a min-heap on (ts, order) until the simulator's clock passes them: a message
 * recorded at `now` has segments stamped at or after `now`, so every waiting segment stamped at or
 * before `now` precedes all future ones and is written out. Memory is the traffic still in flight. */
struct nm_pcap {
    ofile of;
    uint32_t mss;
    seg *heap;
    size_t nsegs, cap, peak;
    uint64_t order;
    int64_t now;       /* the latest `now` seen: messages arrive in clock order */
    int werr;          /* errno of the first failed write (0: none) */
    uint32_t next_seq[NM_MAX_PARTIES][NM_MAX_PARTIES]; /* payload bytes sent per direction, +1 */
    uint16_t ipid[NM_MAX_PARTIES];
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* The pcap format (host byte order, as libpcap's pcap_dump writes it): a 24-byte file header with
 * the nanosecond magic, then per record ts_sec, ts_nsec, caplen, len and the captured bytes. */
static void put_raw(nm_pcap *pc, const void *buf, size_t n)
{
    if (pc->werr) return;
    errno = 0;
    if (fwrite(buf, 1, n, pc->of.f) != n) pc->werr = errno ? errno : EIO;
}

int nm_pcap_open(nm_pcap **out, const char *path, uint32_t mss)
{
    if (mss < 64 || mss > 65000) return NM_EINVAL;
    nm_pcap *pc = chk_calloc(1, sizeof *pc);
    char err[600];
    if (ofile_open(&pc->of, path, err, sizeof err) != 0) {
        fprintf(stderr, "error: --pcap: %s\n", err);
        free(pc);
        return NM_EINVAL;
    }
    pc->mss = mss;
    pc->now = INT64_MIN;
    for (int i = 0; i < NM_MAX_PARTIES; i++)
        for (int j = 0; j < NM_MAX_PARTIES; j++) pc->next_seq[i][j] = 1;
    struct {
        uint32_t magic;
        uint16_t major, minor;
        int32_t thiszone;
        uint32_t sigfigs, snaplen, linktype;
    } h = {0xa1b23c4d, 2, 4, 0, 0, 65535, 1 /* DLT_EN10MB */};
    put_raw(pc, &h, sizeof h);
    *out = pc;
    return NM_OK;
}

static int seg_less(const seg *x, const seg *y)
{
    return x->ts != y->ts ? x->ts < y->ts : x->order < y->order;
}

static void heap_push(nm_pcap *pc, const seg *s)
{
    if (pc->nsegs == pc->cap) {
        pc->cap = pc->cap ? 2 * pc->cap : 1024;
        pc->heap = chk_realloc(pc->heap, pc->cap * sizeof *pc->heap);
    }
    size_t i = pc->nsegs++;
    if (pc->nsegs > pc->peak) pc->peak = pc->nsegs;
    while (i > 0 && seg_less(s, &pc->heap[(i - 1) / 2])) {
        pc->heap[i] = pc->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    pc->heap[i] = *s;
}

static seg heap_pop(nm_pcap *pc)
{
    seg top = pc->heap[0], last = pc->heap[--pc->nsegs];
    size_t i = 0, n = pc->nsegs;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && seg_less(&pc->heap[c + 1], &pc->heap[c])) c++;
        if (!seg_less(&pc->heap[c], &last)) break;
        pc->heap[i] = pc->heap[c];
        i = c;
    }
    if (n) pc->heap[i] = last;
    return top;
}

static void build_frame(uint8_t *f, const seg *s);

static void write_seg(nm_pcap *pc, const seg *s)
{
    uint8_t rec[16 + NM_PCAP_HDR_BYTES];
    uint32_t h[4] = {(uint32_t)(s->ts / 1000000000), (uint32_t)(s->ts % 1000000000), NM_PCAP_HDR_BYTES,
                     NM_PCAP_HDR_BYTES + s->len};
    memcpy(rec, h, 16);
    build_frame(rec + 16, s);
    put_raw(pc, rec, sizeof rec);
}

/* Writes every waiting segment stamped at or before t. */
static void drain(nm_pcap *pc, int64_t t)
{
    while (pc->nsegs && pc->heap[0].ts <= t) {
        seg s = heap_pop(pc);
        write_seg(pc, &s);
    }
}

static void add_seg(nm_pcap *pc, int src, int dst, uint32_t len, int64_t ts, int psh)
{
    seg s;
    s.order = pc->order++;
    s.ts = ts;
    s.src = (uint8_t)src;
    s.dst = (uint8_t)dst;
    s.len = len;
    s.seq = pc->next_seq[src][dst];
    s.ack = pc->next_seq[dst][src];
    s.ipid = pc->ipid[src]++;
    s.psh = (uint8_t)psh;
    pc->next_seq[src][dst] += len;
    heap_push(pc, &s);
}

typedef struct tcp_seg_ctx {
    nm_pcap *pc;
    int src, dst;
    uint64_t total;
} tcp_seg_ctx;

static void on_tcp_seg(void *ud, uint64_t off, uint32_t len, int64_t depart)
{
    tcp_seg_ctx *c = ud;
    add_seg(c->pc, c->src, c->dst, len, depart, off + len == c->total);
}

void nm_pcap_message(nm_pcap *pc, int src, int dst, uint64_t bytes, int64_t now, const nm_link *before)
{
    CHECK(src >= 0 && src < NM_MAX_PARTIES && dst >= 0 && dst < NM_MAX_PARTIES && src != dst,
          "bad pcap endpoints %d->%d", src, dst);
    CHECK(now >= pc->now, "pcap message at %lld ns after one at %lld ns: messages must come in clock order",
          (long long)now, (long long)pc->now);
    pc->now = now;
    drain(pc, now);
    const nm_linkspec *spec = &before->spec;
    if (!spec->offline && spec->model == NM_MODEL_TCP) {
        /* Replay the model on a copy of the link: the same segments at the same times. */
        nm_link l = *before;
        tcp_seg_ctx c = {pc, src, dst, bytes + NM_TCP_MSG_HDR + spec->overhead_bytes};
        int64_t depart;
        (void)nm_tcp_transmit_segs(&l, now, bytes, &depart, on_tcp_seg, &c);
        return;
    }
    int64_t tx_start = spec->offline || now > before->busy_until ? now : before->busy_until;
    uint64_t off = 0;
    do { /* a zero-byte message still shows as one empty segment */
        uint32_t len = bytes - off > pc->mss ? pc->mss : (uint32_t)(bytes - off);
        int64_t ts = spec->offline ? tx_start : tx_start + nm_tx_time(spec->bps, spec->overhead_bytes + off + len);
        add_seg(pc, src, dst, len, ts, off + len == bytes);
        off += len;
    } while (off < bytes);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
    for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1) acc += (uint32_t)(p[n - 1] << 8);
    return acc;
}

static uint16_t fold(uint32_t acc)
{
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

/* Builds the 66 header bytes of one segment (payload is implied zeros). */
static void build_frame(uint8_t *f, const seg *s)
{
    memset(f, 0, NM_PCAP_HDR_BYTES);
    /* Ethernet: locally administered MACs 02:00:00:00:00:0(id+1). */
    f[0] = 0x02; f[5] = (uint8_t)(s->dst + 1);
    f[6] = 0x02; f[11] = (uint8_t)(s->src + 1);
    f[12] = 0x08; f[13] = 0x00;
    uint8_t *ip = f + 14, *tcp = f + 34;
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + 32 + s->len));
    put16(ip + 4, s->ipid);
    put16(ip + 6, 0x4000); /* DF */
    ip[8] = 64; ip[9] = 6;
    ip[12] = 10; ip[15] = (uint8_t)(s->src + 1);
    ip[16] = 10; ip[19] = (uint8_t)(s->dst + 1);
    put16(ip + 10, fold(sum16(ip, 20, 0)));
    put16(tcp + 0, (uint16_t)(7000 + 10 * s->src + s->dst));
    put16(tcp + 2, (uint16_t)(7000 + 10 * s->dst + s->src));
    put32(tcp + 4, s->seq);
    put32(tcp + 8, s->ack);
    tcp[12] = (uint8_t)(8 << 4); /* 32-byte header */
    tcp[13] = (uint8_t)(0x10 | (s->psh ? 0x08 : 0)); /* ACK (+PSH at message end) */
    put16(tcp + 14, 65535);
    tcp[20] = 1; tcp[21] = 1; tcp[22] = 8; tcp[23] = 10; /* NOP NOP TS(10) */
    put32(tcp + 24, (uint32_t)(s->ts / 1000000)); /* TSval: virtual ms */
    /* Checksum over pseudo-header + header; the zero payload adds nothing but its length. */
    uint8_t pseudo[12] = {0};
    memcpy(pseudo, ip + 12, 8);
    pseudo[9] = 6;
    put16(pseudo + 10, (uint16_t)(32 + s->len));
    put16(tcp + 16, fold(sum16(tcp, 32, sum16(pseudo, 12, 0))));
}

int nm_pcap_close(nm_pcap *pc)
{
    if (!pc) return NM_OK;
    drain(pc, INT64_MAX);
    int rc = NM_OK;
    if (pc->werr) {
        fprintf(stderr, "error: writing pcap '%s' failed: %s\n", pc->of.path, strerror(pc->werr));
        ofile_abort(&pc->of);
        rc = NM_EINVAL;
    } else {
        char err[600];
        if (ofile_commit(&pc->of, err, sizeof err) != 0) {
            fprintf(stderr, "error: pcap: %s\n", err);
            rc = NM_EINVAL;
        }
    }
    nm_pcap_discard(pc);
    return rc;
}

size_t nm_pcap_peak_waiting(const nm_pcap *pc) { return pc->peak; }

void nm_pcap_discard(nm_pcap *pc)
{
    if (!pc) return;
    ofile_abort(&pc->of);
    free(pc->heap);
    free(pc);
}

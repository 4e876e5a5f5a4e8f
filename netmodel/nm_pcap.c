/* nm_pcap.c -- pcap writer for simulated traffic. See nm_pcap.h. */
#define _DEFAULT_SOURCE
#include "nm_pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

typedef struct seg {
    int64_t ts;
    uint64_t order;
    uint32_t seq, ack, len;
    uint16_t ipid;
    uint8_t src, dst, psh;
} seg;

struct nm_pcap {
    char *path;
    uint32_t mss;
    seg *segs;
    size_t nsegs, cap;
    uint32_t next_seq[NM_MAX_PARTIES][NM_MAX_PARTIES]; /* payload bytes sent per direction, +1 */
    uint16_t ipid[NM_MAX_PARTIES];
};

int nm_pcap_open(nm_pcap **out, const char *path, uint32_t mss)
{
    if (mss < 64 || mss > 65000) return NM_EINVAL;
    nm_pcap *pc = chk_calloc(1, sizeof *pc);
    pc->path = chk_malloc(strlen(path) + 1);
    strcpy(pc->path, path);
    pc->mss = mss;
    for (int i = 0; i < NM_MAX_PARTIES; i++)
        for (int j = 0; j < NM_MAX_PARTIES; j++) pc->next_seq[i][j] = 1;
    *out = pc;
    return NM_OK;
}

static void add_seg(nm_pcap *pc, int src, int dst, uint32_t len, int64_t ts, int psh)
{
    if (pc->nsegs == pc->cap) {
        pc->cap = pc->cap ? 2 * pc->cap : 1024;
        pc->segs = realloc(pc->segs, pc->cap * sizeof *pc->segs);
        CHECK(pc->segs != NULL, "out of memory in pcap writer");
    }
    seg *s = &pc->segs[pc->nsegs];
    s->order = pc->nsegs++;
    s->ts = ts;
    s->src = (uint8_t)src;
    s->dst = (uint8_t)dst;
    s->len = len;
    s->seq = pc->next_seq[src][dst];
    s->ack = pc->next_seq[dst][src];
    s->ipid = pc->ipid[src]++;
    s->psh = (uint8_t)psh;
    pc->next_seq[src][dst] += len;
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

static int seg_cmp(const void *a, const void *b)
{
    const seg *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

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
    int rc = NM_OK;
    size_t tlen = strlen(pc->path) + 5;
    char *tmp = chk_malloc(tlen);
    snprintf(tmp, tlen, "%s.tmp", pc->path);
    /* An existing non-regular file (/dev/null, a FIFO) is written in place, never renamed over. */
    struct stat st;
    int in_place = stat(pc->path, &st) == 0 && !S_ISREG(st.st_mode);
    if (in_place) snprintf(tmp, tlen, "%s", pc->path);
    qsort(pc->segs, pc->nsegs, sizeof *pc->segs, seg_cmp);
    pcap_t *p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *d = p ? pcap_dump_open(p, tmp) : NULL;
    if (!d) {
        fprintf(stderr, "error: cannot write pcap '%s': %s\n", tmp, p ? pcap_geterr(p) : "pcap_open_dead failed");
        rc = NM_EINVAL;
    } else {
        uint8_t frame[NM_PCAP_HDR_BYTES];
        for (size_t i = 0; i < pc->nsegs; i++) {
            const seg *s = &pc->segs[i];
            build_frame(frame, s);
            struct pcap_pkthdr h;
            h.ts.tv_sec = (time_t)(s->ts / 1000000000);
            h.ts.tv_usec = (suseconds_t)(s->ts % 1000000000); /* nanoseconds with NANO precision */
            h.caplen = NM_PCAP_HDR_BYTES;
            h.len = NM_PCAP_HDR_BYTES + s->len;
            pcap_dump((u_char *)d, &h, frame);
        }
        if (pcap_dump_flush(d) != 0) {
            fprintf(stderr, "error: writing pcap '%s' failed\n", tmp);
            rc = NM_EINVAL;
        }
        pcap_dump_close(d);
        if (rc == NM_OK && !in_place && rename(tmp, pc->path) != 0) {
            fprintf(stderr, "error: cannot rename '%s' to '%s': %s\n", tmp, pc->path, strerror(errno));
            rc = NM_EINVAL;
        }
        if (rc != NM_OK && !in_place) remove(tmp);
    }
    if (p) pcap_close(p);
    free(tmp);
    nm_pcap_discard(pc);
    return rc;
}

void nm_pcap_discard(nm_pcap *pc)
{
    if (!pc) return;
    free(pc->segs);
    free(pc->path);
    free(pc);
}

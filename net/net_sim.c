/* net_sim.c -- simulator backend. See net_sim.h. */
#include "net_sim.h"

#include <stdlib.h>
#include <string.h>

#include "../common/arena.h"
#include "../sim/sim.h"

/* Returned loans' storage is poisoned under AddressSanitizer until the next send reuses it. */
#include "../common/poison.h"

typedef struct msg {
    struct msg *next;
    size_t n;
    void *payload; /* NULL in phantom mode; else buf */
    void *buf;     /* payload storage, kept with the message on the free list and reused */
    size_t cap;    /* bytes of buf */
    net_msg_info info;
    int src, dst, delivered, tag;
    int held;     /* the sender still reads it (net_send_commit until net_send_release) */
    int consumed; /* the receiver is done with it while the sender held it */
    net_sim *w;
} msg;

typedef struct mailbox {
    msg *head, *tail;
} mailbox;

typedef struct sim_party {
    net_party base; /* first: the backend casts net_party* to sim_party* */
    net_sim *w;
    sim_actor *actor;
    int waiting_on;
    int finished;
    int64_t end_time;
    net_party_fn fn;
    void *arg;
    struct msg *lent[NET_MAX_PARTIES]; /* the message lent from each peer (net_recv_lend), else NULL */
    struct msg *open[NET_MAX_PARTIES]; /* storage handed out for the next send to each peer (net_send_open) */
    struct msg *hold[NET_MAX_PARTIES]; /* the sent message to each peer its sender still reads */
} sim_party;

struct net_sim {
    sim_engine *e;
    nm_topology topo;
    sim_party party[NET_MAX_PARTIES];
    mailbox mb[NET_MAX_PARTIES][NET_MAX_PARTIES]; /* [src][dst] */
    msg *free_msgs;
    uint64_t nmsgs;
    struct { net_trace_fn fn; void *ud; } sink[NET_SIM_MAX_SINKS];
    int nsinks, ran;
    net_sim_pool *pool; /* where the messages go at destroy (NULL: freed) */
    nm_pkt *pk;       /* the packet-level model of the links that use it (NULL if none) */
    int64_t pk_armed; /* earliest pending engine event that runs the packet model */
};

/* A message for n payload bytes: the free one whose storage fits n most tightly, else the first. */
static msg *msg_alloc(net_sim *w, size_t n)
{
    msg **best = NULL;
    for (msg **pm = &w->free_msgs; *pm; pm = &(*pm)->next)
        if ((*pm)->cap >= n && (!best || (*pm)->cap < (*best)->cap)) best = pm;
    if (!best && w->free_msgs) best = &w->free_msgs;
    msg *m;
    if (best) {
        m = *best;
        *best = m->next;
    } else {
        m = chk_calloc(1, sizeof *m);
    }
    void *buf = m->buf;
    size_t cap = m->cap;
    if (buf) MEM_UNPOISON(buf, cap);
    memset(m, 0, sizeof *m);
    m->buf = buf, m->cap = cap;
    return m;
}

/* Free messages keep their payload storage: a session sends the same few sizes again and again, so
 * the copies land in pages already mapped instead of a fresh allocation per message. */
static void msg_free(net_sim *w, msg *m)
{
    m->payload = NULL;
    m->next = w->free_msgs;
    w->free_msgs = m;
}

/* The receiver is done with m: to the free list (poisoned under ASan), unless its sender still reads
 * it; then at the sender's release. */
static void msg_done(net_sim *w, msg *m)
{
    if (m->held) {
        m->consumed = 1;
        return;
    }
    if (m->buf) MEM_POISON(m->buf, m->cap);
    msg_free(w, m);
}

/* Payload storage for n bytes in m. */
static void msg_storage(msg *m, size_t n)
{
    if (m->cap < n) {
        free(m->buf);
        size_t cap = n;
        m->buf = arena_pages(&cap);
        m->cap = cap;
    }
}

static void ev_deliver(sim_engine *e, void *arg)
{
    (void)e;
    msg *m = arg;
    m->delivered = 1;
    sim_party *rp = &m->w->party[m->dst];
    if (rp->waiting_on == m->src) sim_wake(rp->actor);
}

static void trace(net_sim *w, const msg *m, int64_t t_tx_start, const nm_link *before)
{
    net_trace_rec r = {
        .src = m->src, .dst = m->dst, .bytes = m->n, .tag = m->tag, .label = m->info.label, .t_send = m->info.t_send,
        .t_tx_start = t_tx_start, .t_depart = m->info.t_depart, .t_arrive = m->info.t_arrive,
        .link = &w->topo.link[m->src][m->dst].spec, .link_before = before, .payload = m->payload,
    };
    for (int i = 0; i < w->nsinks; i++) w->sink[i].fn(w->sink[i].ud, &r);
}

/* ---- the packet model: its events run inside engine events, armed at its next event time ---- */

static void pk_deliver(void *ud, void *mp, const nm_pkt_times *t)
{
    net_sim *w = ud;
    msg *m = mp;
    if (!m) return; /* a prelude message (net_sim_barrier) */
    m->info.t_depart = t->t_depart;
    m->info.t_arrive = t->t_arrive;
    if (w->nsinks) trace(w, m, t->t_tx_start, NULL);
    ev_deliver(w->e, m);
}

static void pk_arm(net_sim *w);

static void ev_pkt(sim_engine *e, void *arg)
{
    net_sim *w = arg;
    int64_t now = sim_now(e);
    if (now == w->pk_armed) w->pk_armed = INT64_MAX;
    nm_pkt_run(w->pk, now, pk_deliver, w);
    pk_arm(w);
}

static void pk_arm(net_sim *w)
{
    int64_t t = nm_pkt_next(w->pk);
    if (t < w->pk_armed) {
        sim_schedule(w->e, t, ev_pkt, w);
        w->pk_armed = t;
    }
}

/* Queues m (its payload set) from p to peer: the link model times it. */
static int enqueue(sim_party *sp, int peer, msg *m, size_t n, const net_msg_info *meta)
{
    net_party *p = &sp->base;
    net_sim *w = sp->w;
    m->w = w;
    m->n = n;
    m->src = p->self;
    m->dst = peer;
    nm_link *l = &w->topo.link[p->self][peer];
    int64_t now = sim_now(w->e), depart;
    m->info = *meta;
    m->info.t_send = now;
    m->tag = p->ntags ? p->tags[p->ntags - 1] : -1;
    mailbox *mb = &w->mb[p->self][peer];
    if (mb->tail) mb->tail->next = m;
    else mb->head = m;
    mb->tail = m;
    w->nmsgs++;
    if (l->spec.model == NM_MODEL_PKT && !l->spec.offline) { /* times known when it arrives */
        m->info.t_depart = m->info.t_arrive = -1;
        nm_pkt_send(w->pk, p->self, peer, now, n, m);
        pk_arm(w);
        return NET_OK;
    }
    nm_link before = *l; /* for trace sinks: a pcap replays the tcp model's segments from it */
    m->info.t_arrive = nm_link_transmit(l, now, n, &depart);
    m->info.t_depart = depart;
    sim_schedule(w->e, m->info.t_arrive, ev_deliver, m);
    if (w->nsinks) trace(w, m, l->spec.offline ? now : (now > before.busy_until ? now : before.busy_until), &before);
    return NET_OK;
}

static int sp_send(net_party *p, int peer, const void *buf, size_t n, const net_msg_info *meta)
{
    sim_party *sp = (sim_party *)p;
    msg *m = msg_alloc(sp->w, buf ? n : 0);
    if (buf && n) {
        msg_storage(m, n);
        m->payload = m->buf;
        memcpy(m->payload, buf, n);
    }
    return enqueue(sp, peer, m, n, meta);
}

/* Sending from the message's own storage: handed out (open), queued as it is (commit), and read by
 * the sender until its release. */
static void *sp_send_open(net_party *p, int peer, size_t n)
{
    sim_party *sp = (sim_party *)p;
    CHECK(!sp->open[peer] && !sp->hold[peer], "%s: a second send storage for %s (net_send_release first)",
          net_party_names[p->self], net_party_names[peer]);
    msg *m = msg_alloc(sp->w, n);
    msg_storage(m, n);
    sp->open[peer] = m;
    return m->buf;
}

static int sp_send_commit(net_party *p, int peer, size_t n, const net_msg_info *meta)
{
    sim_party *sp = (sim_party *)p;
    msg *m = sp->open[peer];
    CHECK(m && m->cap >= n, "%s commits a send to %s it did not open", net_party_names[p->self], net_party_names[peer]);
    sp->open[peer] = NULL;
    m->payload = m->buf;
    m->held = 1;
    sp->hold[peer] = m;
    return enqueue(sp, peer, m, n, meta);
}

static void sp_send_release(net_party *p, int peer)
{
    sim_party *sp = (sim_party *)p;
    msg *m = sp->hold[peer];
    CHECK(m, "%s releases a send to %s it does not hold", net_party_names[p->self], net_party_names[peer]);
    sp->hold[peer] = NULL;
    m->held = 0;
    if (m->consumed) msg_done(sp->w, m);
}

/* The next message from peer, delivered and checked against n and want (a payload), taken off the
 * mailbox; NULL with *rc set when the peer has finished and nothing more will come. */
static msg *take(sim_party *sp, int peer, int want, size_t n, int *rc)
{
    net_sim *w = sp->w;
    int self = sp->base.self;
    mailbox *mb = &w->mb[peer][self];
    while (!(mb->head && mb->head->delivered)) {
        if (!mb->head && w->party[peer].finished) { /* nothing more will come */
            *rc = NET_ECLOSED;
            return NULL;
        }
        sp->waiting_on = peer;
        sim_block(sp->actor);
        sp->waiting_on = -1;
    }
    msg *m = mb->head;
    CHECK(m->n == n, "protocol desync: %s expects %zu bytes from %s, next message has %zu",
          net_party_names[self], n, net_party_names[peer], m->n);
    CHECK(!(want && n && !m->payload), "%s receives into a buffer but %s sent no payload (mixed real/phantom)",
          net_party_names[self], net_party_names[peer]);
    mb->head = m->next;
    if (!mb->head) mb->tail = NULL;
    return m;
}

static int sp_recv(net_party *p, int peer, void *buf, size_t n, net_msg_info *info)
{
    sim_party *sp = (sim_party *)p;
    int rc = NET_OK;
    msg *m = take(sp, peer, buf != NULL, n, &rc);
    if (!m) return rc;
    if (buf && n) memcpy(buf, m->payload, n);
    *info = m->info;
    msg_done(sp->w, m);
    return NET_OK;
}

/* Lends the message itself: it leaves the mailbox (so order and the end-of-run checks are as for
 * sp_recv) and goes to the free list at the return. */
static int sp_recv_lend(net_party *p, int peer, const void **view, int want, size_t n, net_msg_info *info)
{
    sim_party *sp = (sim_party *)p;
    CHECK(!sp->lent[peer], "%s: a second loan from %s", net_party_names[p->self], net_party_names[peer]);
    int rc = NET_OK;
    msg *m = take(sp, peer, want, n, &rc);
    if (!m) return rc;
    *view = want && n ? m->payload : NULL;
    *info = m->info;
    sp->lent[peer] = m;
    return NET_OK;
}

static void sp_lend_return(net_party *p, int peer)
{
    sim_party *sp = (sim_party *)p;
    msg *m = sp->lent[peer];
    CHECK(m, "%s returns a loan from %s it does not hold", net_party_names[p->self], net_party_names[peer]);
    sp->lent[peer] = NULL;
    msg_done(sp->w, m);
}

static int64_t sp_now(net_party *p) { return sim_now(((sim_party *)p)->w->e); }
static void sp_advance(net_party *p, int64_t ns) { sim_sleep(((sim_party *)p)->actor, ns); }

static const net_party_vt sim_vt = {
    .iversion = 1, .send = sp_send, .recv = sp_recv, .flush = NULL, .now = sp_now, .advance = sp_advance,
    .recv_lend = sp_recv_lend, .lend_return = sp_lend_return,
    .send_open = sp_send_open, .send_commit = sp_send_commit, .send_release = sp_send_release,
};

net_sim *net_sim_create(const nm_topology *topo)
{
    net_sim *w = chk_calloc(1, sizeof *w);
    w->topo = *topo;
    for (int i = 0; i < topo->n; i++) {
        for (int j = 0; j < topo->n; j++) w->topo.link[i][j].busy_until = 0;
        sim_party *sp = &w->party[i];
        net_party_init(&sp->base, &sim_vt, i, topo->n);
        for (int j = 0; j < topo->n; j++)
            sp->base.offline_peer[j] = (j != i) && topo->link[i][j].spec.offline;
        sp->w = w;
        sp->waiting_on = -1;
    }
    int pkt = 0;
    for (int i = 0; i < topo->n; i++)
        for (int j = 0; j < topo->n; j++)
            pkt |= i != j && topo->link[i][j].spec.model == NM_MODEL_PKT && !topo->link[i][j].spec.offline;
    if (pkt) w->pk = nm_pkt_create(&w->topo);
    w->pk_armed = INT64_MAX;
    return w;
}

struct net_sim_pool {
    msg *free; /* messages with their payload storage */
};

net_sim_pool *net_sim_pool_create(void) { return chk_calloc(1, sizeof(net_sim_pool)); }

static void msgs_free(msg *m)
{
    while (m) {
        msg *nx = m->next;
        if (m->buf) MEM_UNPOISON(m->buf, m->cap);
        free(m->buf);
        free(m);
        m = nx;
    }
}

void net_sim_pool_destroy(net_sim_pool *p)
{
    if (!p) return;
    msgs_free(p->free);
    free(p);
}

void net_sim_set_pool(net_sim *s, net_sim_pool *p)
{
    s->pool = p;
    if (!p) return;
    msg **tail = &s->free_msgs;
    while (*tail) tail = &(*tail)->next;
    *tail = p->free;
    p->free = NULL;
}

/* Into the pool (or freed): the list m, linked through next. */
static void msgs_release(net_sim *s, msg *m)
{
    if (!s->pool) {
        msgs_free(m);
        return;
    }
    while (m) {
        msg *nx = m->next;
        m->payload = NULL;
        m->next = s->pool->free;
        s->pool->free = m;
        m = nx;
    }
}

void net_sim_destroy(net_sim *s)
{
    if (!s) return;
    for (int i = 0; i < NET_MAX_PARTIES; i++) {
        for (int j = 0; j < NET_MAX_PARTIES; j++) msgs_release(s, s->mb[i][j].head);
        for (int j = 0; j < NET_MAX_PARTIES; j++)
            if (s->party[i].lent[j]) {
                s->party[i].lent[j]->next = NULL;
                msgs_release(s, s->party[i].lent[j]);
            }
        for (int j = 0; j < NET_MAX_PARTIES; j++) { /* an aborted run's storage not in a list above */
            msg *o = s->party[i].open[j], *h = s->party[i].hold[j];
            if (o) o->next = NULL, msgs_release(s, o);
            if (h && h->consumed) h->next = NULL, msgs_release(s, h);
        }
    }
    msgs_release(s, s->free_msgs);
    sim_destroy(s->e);
    nm_pkt_destroy(s->pk);
    free(s);
}

net_party *net_sim_party(net_sim *s, int id)
{
    CHECK(id >= 0 && id < s->topo.n, "no party %d", id);
    return &s->party[id].base;
}

void net_sim_add_trace(net_sim *s, net_trace_fn fn, void *ud)
{
    CHECK(s->nsinks < NET_SIM_MAX_SINKS, "too many trace sinks");
    s->sink[s->nsinks].fn = fn;
    s->sink[s->nsinks].ud = ud;
    s->nsinks++;
}

void net_sim_trace_pcap(void *ud, const net_trace_rec *r)
{
    CHECK(r->link_before, "pcap traces of the packet link model are not supported");
    nm_pcap_message(ud, r->src, r->dst, r->bytes, r->t_send, r->link_before);
}

static void party_main(sim_actor *a, void *arg)
{
    (void)a;
    sim_party *sp = arg;
    sp->fn(&sp->base, sp->arg);
    for (int i = 0; i < NET_MAX_PARTIES; i++)
        CHECK(!sp->lent[i] && !sp->open[i] && !sp->hold[i],
              "%s ends holding a %s %s (net_loan_return or net_send_release missing)", net_party_names[sp->base.self],
              sp->lent[i] ? "lent message from" : "send storage for", net_party_names[i]);
    if (sp->base.rt) CHECK(sp->base.rt_vt->settle(&sp->base) == NET_OK, "runtime: the last held send failed");
    sp->end_time = sim_now(sp->w->e);
    sp->finished = 1;
    /* Whoever waits on us learns that the channel is closed. */
    for (int i = 0; i < sp->w->topo.n; i++)
        if (sp->w->party[i].actor && sp->w->party[i].waiting_on == sp->base.self) sim_wake(sp->w->party[i].actor);
}

int net_sim_run(net_sim *s, net_party_fn fn[], void *arg[])
{
    CHECK(!s->ran, "net_sim_run called twice");
    s->ran = 1;
    s->e = sim_create();
    if (s->pk) pk_arm(s);
    for (int i = 0; i < s->topo.n; i++) {
        sim_party *sp = &s->party[i];
        if (!fn[i]) continue;
        sp->fn = fn[i];
        sp->arg = arg ? arg[i] : NULL;
        sp->actor = sim_spawn(s->e, net_party_names[i], party_main, sp);
    }
    int rc = sim_run(s->e);
    if (rc == SIM_ETIME) {
        fprintf(stderr, "error: the simulated run needs more virtual time than 2^63 ns (about 292 years): bad input "
                        "(a bandwidth too low, a latency or compute time too large for the traffic)\n");
        return NET_ETIME;
    }
    if (rc == SIM_EDEADLOCK) {
        fprintf(stderr, "error: simulation deadlock: %s blocked waiting for messages that never come\n",
                sim_blocked_names(s->e));
        return NET_EPROTO;
    }
    for (int i = 0; i < s->topo.n; i++)
        for (int j = 0; j < s->topo.n; j++)
            CHECK(s->mb[i][j].head == NULL, "protocol desync: unread message %s -> %s at the end",
                  net_party_names[i], net_party_names[j]);
    return NET_OK;
}

int64_t net_sim_end_time(const net_sim *s, int id) { return s->party[id].end_time; }
uint64_t net_sim_messages(const net_sim *s) { return s->nmsgs; }

int net_sim_pkt_stats(const net_sim *s, int src, int dst, nm_pkt_stats *out)
{
    if (!s->pk || src < 0 || dst < 0 || src >= s->topo.n || dst >= s->topo.n || src == dst) return -1;
    const nm_linkspec *l = &s->topo.link[src][dst].spec;
    if (l->model != NM_MODEL_PKT || l->offline) return -1;
    nm_pkt_stats_get(s->pk, src, dst, out);
    return 0;
}

void net_sim_barrier(net_sim *s, int a, int b, uint64_t bytes)
{
    CHECK(!s->ran, "net_sim_barrier after the run");
    if (!s->pk || s->topo.link[a][b].spec.model != NM_MODEL_PKT || s->topo.link[a][b].spec.offline) return;
    nm_pkt_prelude(s->pk, a, b, bytes); /* its pending events are armed when the run starts */
}

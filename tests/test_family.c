/* test_family.c -- the protocol-family seam (family.h) and its registry (families.h), the crypten table against the ops
 * it names and hand-derived costs, dealer material sent to BOTH parties counted per direction, and the
 * byte-sized transport (bit-packed openings). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../net/net_sim.h"
#include "../protocols/families.h"
#include "../protocols/mpc_beaver.h"
#include "testutil.h"

Test(family, registry_lists_crypten_first)
{
    cr_assert_not_null(mpc_families[0]);
    cr_expect_str_eq(mpc_families[0]->name, "crypten");
    cr_expect_eq(mpc_family_find("crypten"), mpc_families[0]);
    cr_expect_null(mpc_family_find("nope"));
    cr_expect_null(mpc_family_find(""));
    mpc_config cfg;
    mpc_config_default(&cfg);
    cr_expect_eq(mpc_family_of(&cfg), mpc_families[0], "the default configuration is crypten's");
    /* The known names, as the CLI lists them. */
    char buf[256] = "";
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    cr_assert_not_null(f);
    mpc_family_names(f);
    fclose(f);
    cr_expect(strstr(buf, "crypten") == buf, "names: '%s'", buf);
    /* Every family's defaults name it; names are unique. */
    for (const mpc_family *const *p = mpc_families; *p; p++) {
        mpc_config c;
        (*p)->config_default(&c);
        cr_expect_str_eq(c.protocol, (*p)->name);
        cr_expect_eq(mpc_family_find((*p)->name), *p);
    }
}

Test(family, crypten_has_every_layer)
{
    const mpc_family *f = mpc_family_find("crypten");
    cr_assert_not_null(f);
    cr_expect(f->linear && f->linear_cost && f->embed && f->embed_cost && f->matmul && f->matmul_cost && f->scale &&
              f->scale_cost && f->reveal && f->reveal_cost && f->ltz.run && f->ltz.cost && f->trunc.run && f->trunc.cost);
    for (int a = 0; a < MPC_ACT_N; a++) cr_expect(f->activation[a].run && f->activation[a].cost, "activation %d", a);
    for (int a = 0; a < MPC_ATTN_N; a++) cr_expect(f->attn_norm[a].run && f->attn_norm[a].cost, "attention %d", a);
    for (int n = 0; n < MPC_NORM_N; n++) cr_expect(f->norm[n].run && f->norm[n].cost, "norm %d", n);
    for (int a = 0; a < MPC_ACT_N; a++)
        for (int s = 0; s < MPC_ATTN_N; s++)
            for (int n = 0; n < MPC_NORM_N; n++) cr_expect_null(mpc_family_check(f, a, s, n));
    /* An out-of-range kind is named, not read past the table. */
    const char *why = mpc_family_check(f, MPC_ACT_N, MPC_ATTN_SOFTMAX, MPC_NORM_LAYERNORM);
    cr_assert_not_null(why);
    cr_expect(strstr(why, "crypten") && strstr(why, "activation"), "%s", why);
}

Test(family, crypten_cost_twins_by_hand)
{
    mpc_config cfg;
    mpc_config_default(&cfg);
    const mpc_family *f = mpc_family_of(&cfg);
    /* Linear 128 x 768 @ 768 x 768: one Beaver matmul re-opening the weight's mask:
     * 8 (128*768 + 768*768) = 5,505,024 B each way, 128*768 = 98,304 correction words, 1 request. */
    mpc_cost c = f->linear_cost(&cfg, 128, 768, 768);
    cr_expect_eq(c.rounds, 1);
    cr_expect_eq(c.sent[0], 5505024);
    cr_expect_eq(c.sent[1], 5505024);
    cr_expect_eq(c.dealer_words, 98304);
    cr_expect_eq(c.dealer_reqs, 1);
    cr_expect_eq(mpc_cost_dealer_to(c, 0), 8 * 98304);
    cr_expect_eq(mpc_cost_dealer_to(c, 1), 0, "crypten sends P1 nothing after setup");
    cr_expect_eq(mpc_cost_dealer_bytes(c), 8 * 98304 + 48);
    /* Embedding, 128 tokens, vocabulary 30522, hidden 768: the one-hot 128 x 30522 and the table
     * 30522 x 768 are opened: 8 (3,906,816 + 23,440,896) = 218,781,696 B. */
    c = f->embed_cost(&cfg, 128, 30522, 768);
    cr_expect_eq(c.rounds, 1);
    cr_expect_eq(c.sent[0], 218781696);
    cr_expect_eq(c.dealer_words, 98304);
    /* Scores 12 x 128 x 64 @ 12 x 64 x 128: 8 * 2 * 98,304 = 1,572,864 B; 196,608 words. */
    c = f->matmul_cost(&cfg, 12, 128, 64, 128);
    cr_expect_eq(c.sent[1], 1572864);
    cr_expect_eq(c.dealer_words, 196608);
    /* Local entries cost nothing; the output is one one-way round of 8n B from P0. */
    c = f->scale_cost(&cfg, 1000);
    cr_expect(c.rounds == 0 && c.sent[0] == 0 && c.dealer_words == 0);
    c = f->trunc.cost(&cfg, 1000);
    cr_expect(c.rounds == 0 && c.sent[0] == 0 && c.dealer_words == 0);
    c = f->reveal_cost(&cfg, 2, NET_P1);
    cr_expect(c.rounds == 1 && c.sent[0] == 16 && c.sent[1] == 0);
    /* The table's non-linear entries are the ops' own closed forms (pinned in test_mpc_*). */
    cr_expect_eq(f->ltz.cost(&cfg, 10).sent[0], 2160); /* ltz: 216 B per element (test_mpc_math) */
}

/* ---- dealer material to BOTH parties, counted per direction ---- */

/* A test kind (not registered by any family): n values of b bits. D sends P0 the packed sum of the
 * parties' masks (low b bits) plus a 16-byte "key", and P1 the packed XOR plus a 21-byte one: byte
 * counts that are not whole words. shape: n, b. */
static uint64_t pair_n_bytes(uint64_t n, uint64_t b) { return (n * b + 7) / 8; }

static const char *pair_sizes(const uint64_t s[DEALER_SHAPE_WORDS], uint64_t bytes[2])
{
    if (s[0] == 0 || s[0] > 1000000 || s[1] < 1 || s[1] > 64) return "bad pair shape";
    bytes[0] = pair_n_bytes(s[0], s[1]) + 16;
    bytes[1] = pair_n_bytes(s[0], s[1]) + 21;
    return NULL;
}

static void pair_serve(dealer_ctx *d, const uint64_t s[DEALER_SHAPE_WORDS], uint8_t *out[2])
{
    size_t n = s[0];
    int b = (int)s[1];
    uint64_t *r0 = malloc(n * 8), *r1 = malloc(n * 8), *v = malloc(n * 8);
    rng_fill_u64(&d->s[0], r0, n);
    rng_fill_u64(&d->s[1], r1, n);
    for (size_t i = 0; i < n; i++) v[i] = r0[i] + r1[i];
    mpc_pack_bits(out[0], v, n, b);
    memset(out[0] + pair_n_bytes(n, (uint64_t)b), 0xA0, 16);
    for (size_t i = 0; i < n; i++) v[i] = r0[i] ^ r1[i];
    mpc_pack_bits(out[1], v, n, b);
    memset(out[1] + pair_n_bytes(n, (uint64_t)b), 0xA1, 21);
    free(r0), free(r1), free(v);
}

static const dealer_kind_def pair_kinds[] = {
    {DEALER_KIND_FAMILY0, "test_pair", DEALER_TO_P0 | DEALER_TO_P1, pair_sizes, pair_serve},
    {0, NULL, 0, NULL, NULL},
};

enum { PN = 1000, PB = 13 };

typedef struct pair_run {
    mpc_config cfg;
    int phantom;
    uint64_t r[2][PN];                  /* each party's masks */
    uint8_t mat[2][PN * PB / 8 + 1 + 21]; /* each party's material */
    uint8_t opened[2][PN * PB / 8 + 1];
    net_counters before[3], after[3];
    int64_t t0[2], t1[2];
    uint64_t depth0[2], depth1[2];
    int rc_d;
    uint64_t d_out[2];
} pair_run;

static void pair_party(net_party *p, void *arg)
{
    pair_run *r = arg;
    int me = p->self;
    mpc_ctx c;
    mpc_ctx_init(&c, p, &r->cfg, r->phantom, 7);
    cr_assert_eq(mpc_setup(&c), NET_OK);
    r->t0[me] = net_now(p);
    r->before[me] = p->stats.total;
    r->depth0[me] = p->depth;
    /* Masks from the party's dealer stream, the request (P0 sends it), one bit-packed opening of b-bit
     * values, then the material. */
    dealer_draw(&c, r->phantom ? NULL : r->r[me], PN);
    const uint64_t shape[DEALER_SHAPE_WORDS] = {PN, PB, 0, 0, 0};
    dealer_request(&c, &pair_kinds[0], shape, r->phantom ? NULL : r->mat[me]);
    uint8_t mine[PN * PB / 8 + 1];
    memset(mine, me + 1, sizeof mine);
    mpc_exchange_bytes(&c, r->phantom ? NULL : r->opened[me], mine, mpc_packed_bytes(PN, PB));
    dealer_collect(&c);
    r->t1[me] = net_now(p);
    r->after[me] = p->stats.total;
    r->depth1[me] = p->depth;
}

static void pair_dealer(net_party *p, void *arg)
{
    pair_run *r = arg;
    dealer_ctx d;
    dealer_init(&d, p, r->phantom, 7);
    dealer_set_kinds(&d, pair_kinds);
    r->rc_d = dealer_setup(&d);
    r->before[NET_D] = p->stats.total;
    if (r->rc_d == NET_OK) r->rc_d = dealer_serve(&d);
    r->after[NET_D] = p->stats.total;
    r->d_out[0] = d.bytes_out[0], r->d_out[1] = d.bytes_out[1];
}

static void run_pair(pair_run *r, int phantom, int schedule)
{
    memset(r, 0, sizeof *r);
    mpc_config_default(&r->cfg);
    r->cfg.dealer_schedule = schedule;
    r->phantom = phantom;
    nm_linkspec pp = {.bps = 1000000000, .latency_ns = 1000000};
    nm_linkspec pd = {.bps = 1000000000, .latency_ns = 10000000, .offline = schedule == MPC_DEALER_OFFLINE};
    nm_topology t;
    nm_topology_init(&t, 3, &pp);
    nm_topology_set(&t, NET_P0, NET_D, &pd);
    nm_topology_set(&t, NET_P1, NET_D, &pd);
    net_sim *s = net_sim_create(&t);
    net_party_fn fn[3] = {pair_party, pair_party, pair_dealer};
    void *arg[3] = {r, r, r};
    cr_assert_eq(net_sim_run(s, fn, arg), NET_OK);
    net_sim_destroy(s);
    cr_assert_eq(r->rc_d, NET_OK);
}

Test(family, dealer_material_to_both_parties_counted_per_direction)
{
    const uint64_t packed = 1625; /* ceil(1000 * 13 / 8) */
    cr_assert_eq(mpc_packed_bytes(PN, PB), packed);
    for (int phantom = 0; phantom < 2; phantom++) {
        pair_run r;
        run_pair(&r, phantom, MPC_DEALER_OFFLINE);
        /* Per direction: D->P0 1625 + 16 B, D->P1 1625 + 21 B, P0->D one 48-byte request, P1->D nothing. */
        cr_expect_eq(r.after[NET_D].sent_bytes[NET_P0] - r.before[NET_D].sent_bytes[NET_P0], packed + 16);
        cr_expect_eq(r.after[NET_D].sent_bytes[NET_P1] - r.before[NET_D].sent_bytes[NET_P1], packed + 21);
        cr_expect_eq(r.after[NET_D].recv_bytes[NET_P0] - r.before[NET_D].recv_bytes[NET_P0], 48);
        cr_expect_eq(r.after[NET_D].recv_bytes[NET_P1] - r.before[NET_D].recv_bytes[NET_P1], 0);
        cr_expect_eq(r.d_out[0], packed + 16);
        cr_expect_eq(r.d_out[1], packed + 21);
        /* The opening: 1625 B each way, bit-packed. */
        for (int i = 0; i < 2; i++)
            cr_expect_eq(r.after[i].sent_bytes[1 - i] - r.before[i].sent_bytes[1 - i], packed, "P%d sent", i);
        /* The cost twin of this step says the same, per direction. */
        mpc_cost c = mpc_cost_exchange_bytes(packed);
        c.dealer_reqs = 1;
        c.dealer_key_bytes[0] = packed + 16;
        c.dealer_key_bytes[1] = packed + 21;
        cr_expect_eq(mpc_cost_dealer_to(c, 0), packed + 16);
        cr_expect_eq(mpc_cost_dealer_to(c, 1), packed + 21);
        cr_expect_eq(mpc_cost_dealer_bytes(c), 2 * packed + 16 + 21 + 48);
        cr_expect_eq(c.sent[0], packed);
        /* Offline links: one round, and nobody waits for D (P1 reads its key after the opening):
         * 1 ms latency + 1625 B at 1 Gbit/s (13 us). */
        for (int i = 0; i < 2; i++) {
            cr_expect_eq(r.depth1[i] - r.depth0[i], 1, "P%d rounds", i);
            cr_expect_eq(r.t1[i] - r.t0[i], 1000000 + 13000, "P%d time %lld", i, (long long)(r.t1[i] - r.t0[i]));
        }
        if (phantom) continue;
        /* Real mode: each party got its own material, computed from both parties' masks. */
        uint64_t v[PN];
        mpc_unpack_bits(v, r.mat[0], PN, PB);
        for (size_t i = 0; i < PN; i++) cr_assert_eq(v[i], (r.r[0][i] + r.r[1][i]) & ((1u << PB) - 1), "P0 value %zu", i);
        mpc_unpack_bits(v, r.mat[1], PN, PB);
        for (size_t i = 0; i < PN; i++) cr_assert_eq(v[i], (r.r[0][i] ^ r.r[1][i]) & ((1u << PB) - 1), "P1 value %zu", i);
        cr_expect_eq(r.mat[0][packed], 0xA0);
        cr_expect_eq(r.mat[1][packed + 20], 0xA1);
        cr_expect_eq(r.opened[0][0], 2, "P0 received P1's bytes");
        cr_expect_eq(r.opened[1][packed - 1], 1, "P1 received P0's bytes");
    }
}

/* ---- bit packing ---- */

Test(family, bit_packing_sizes_layout_and_round_trip)
{
    cr_expect_eq(mpc_packed_bytes(1, 1), 1);
    cr_expect_eq(mpc_packed_bytes(8, 1), 1);
    cr_expect_eq(mpc_packed_bytes(9, 1), 2);
    cr_expect_eq(mpc_packed_bytes(1, 64), 8);
    cr_expect_eq(mpc_packed_bytes(3, 50), 19); /* 150 bits */
    cr_expect_eq(mpc_packed_bytes(1179648, 50), 7372800);
    /* Layout: value i at bits [i b, (i+1) b), little-endian; high bits dropped; padding zero. */
    uint64_t v[3] = {1, 2, 0xFF};
    uint8_t out[8];
    mpc_pack_bits(out, v, 3, 2);
    cr_expect_eq(out[0], 0x39); /* 11 10 01 */
    mpc_pack_bits(out, v + 2, 1, 4);
    cr_expect_eq(out[0], 0x0F);
    const int widths[] = {1, 3, 8, 13, 37, 50, 63, 64};
    rng g;
    rng_seed(&g, 3, 4);
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
        int b = widths[w];
        size_t n = 257;
        uint64_t x[257], y[257];
        uint8_t buf[257 * 8];
        rng_fill_u64(&g, x, n);
        mpc_pack_bits(buf, x, n, b);
        mpc_unpack_bits(y, buf, n, b);
        uint64_t mask = b == 64 ? UINT64_MAX : ((uint64_t)1 << b) - 1;
        for (size_t i = 0; i < n; i++) cr_assert_eq(y[i], x[i] & mask, "b = %d, value %zu", b, i);
        size_t nb = mpc_packed_bytes(n, b), used = n * (size_t)b % 8;
        if (used) cr_expect_eq(buf[nb - 1] >> used, 0, "b = %d: padding bits are zero", b);
    }
}

Test(family, dealer_material_to_both_parties_inline_schedule)
{
    /* Inline: each recipient reads its material at once (P1 waits for P0's request to reach D over
     * 10 ms links); the same bytes per direction, the same values. */
    pair_run r;
    run_pair(&r, 0, MPC_DEALER_INLINE);
    cr_expect_eq(r.d_out[0], 1625 + 16);
    cr_expect_eq(r.d_out[1], 1625 + 21);
    uint64_t v[PN];
    mpc_unpack_bits(v, r.mat[1], PN, PB);
    for (size_t i = 0; i < PN; i++) cr_assert_eq(v[i], (r.r[0][i] ^ r.r[1][i]) & ((1u << PB) - 1), "P1 value %zu", i);
    /* P1 ends when P0's opening arrives: P0's request 48 B (384 ns) and its 1641 B (13,128 ns) on the
     * 10 ms links, then 1625 B (13 us) and 1 ms to P1. (P1's own 1646 B arrived 40 ns after P0's.) */
    cr_expect_eq(r.t1[1] - r.t0[1], 384 + 10000000 + 13128 + 10000000 + 13000 + 1000000, "P1 time %lld",
                 (long long)(r.t1[1] - r.t0[1]));
}

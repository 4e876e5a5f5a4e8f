/* mpc_wcache.h -- the model's zero-sharings drawn in setup (CrypTen's model.encrypt(): the weights are
 * shared before any input exists).
 *
 * The `crypten` family shares P0's weights at each use (mpc_share_model: a zero-sharing of the pair
 * stream plus P0's encoded weight), so the values depend on where in the pair stream each sharing
 * falls. That position is a function of the program alone (the protocol code is data-oblivious, and
 * phantom runs draw the same counts: mpc_ctx.pair_bytes), so a party can draw every model sharing's
 * zero-sharing before the online phase, at exactly the stream positions the online run will reach:
 *   1. record: the job once in phantom mode (rt_plan.h's rt_party_prepare) with c->wcache set and
 *      empty: each mpc_share_model_zero call appends (pair position, length);
 *   2. fill (after mpc_setup, before the barrier): the zero-sharing of each entry from a copy of the
 *      pair stream sought to its position (rng_skip), into memory touched here (no online faults);
 *   3. online: mpc_share_model_zero finds the next entry at the current position and length, hands out
 *      its buffer, and advances the pair stream by its length without computing it (rng_skip). A call
 *      that is not the next entry (another program) draws live, as without the cache: values are the
 *      same either way; hits and misses are counted.
 * P1's model shares are then entirely setup work; so are P0's when the recording run saw its weights
 * (mpc_share_model_enc: the fill adds their encoding), else P0 adds them online (crypten.c). The
 * compute model is charged as before (nothing: model setup is uncharged). Memory: every model
 * sharing of the job stays resident (8 bytes per weight, up to MPC_WCACHE_SHARES_MAX). One run: entries
 * are used once (a second run of the same context misses and draws live). */
/* The same for the party's own dealer stream (dealer.h: the masks and, on P1, the result shares of
 * every correlation, expanded from its dealer seed): every draw goes through dealer_draw, in program
 * order, so the stream's first bytes up to where the recording run stopped drawing are what the online
 * phase will draw. The fill expands them once (mpc_wcache_dealer_draw then copies a draw and skips the
 * stream past it), at most MPC_WCACHE_DEALER_MAX bytes of it (a longer job draws the rest live).
 */
#ifndef MPC_WCACHE_H
#define MPC_WCACHE_H

#include "mpc.h"

typedef struct mpc_wcache mpc_wcache;

/* Memory bounds of the setup work (per party): the model sharings kept (the first ones, in program
 * order; later ones are drawn live and counted as misses) and the dealer stream expanded. */
#define MPC_WCACHE_SHARES_MAX ((uint64_t)4 << 30)
#define MPC_WCACHE_DEALER_MAX ((uint64_t)2 << 30)

mpc_wcache *mpc_wcache_create(void);
void mpc_wcache_destroy(mpc_wcache *w);
/* Step 2: c is this party's context after mpc_setup (real mode), its pair stream not yet used past
 * the recorded positions. Fatal if the record is inconsistent (programming error). */
void mpc_wcache_fill(mpc_wcache *w, const mpc_ctx *c);
size_t mpc_wcache_entries(const mpc_wcache *w);
uint64_t mpc_wcache_hits(const mpc_wcache *w);
uint64_t mpc_wcache_misses(const mpc_wcache *w);
/* Dealer-stream bytes expanded by the fill, and the draws served from them. */
uint64_t mpc_wcache_dealer_bytes(const mpc_wcache *w);
uint64_t mpc_wcache_dealer_hits(const mpc_wcache *w);

/* dealer_draw's step: with a recording c->wcache, notes how far the stream is drawn (returns 0); with a
 * filled one that holds bytes [c->dealer_bytes, + 8n), copies them into buf, advances c->dealer past
 * them (rng_skip) and returns 1 (the caller counts c->dealer_bytes); else 0 (the caller draws). */
int mpc_wcache_dealer_draw(mpc_ctx *c, uint64_t *buf, size_t n);

/* Model-setup sharing in two steps, for an owner (P0) that adds its plaintext in place: returns this
 * party's share of zero for n words (u on P0, -u on P1, the pair stream's next 8n bytes: mpc_przs),
 * which P0 turns into its share of x by adding x. Together that is mpc_share_model(c, sh, x, n),
 * value for value. Not charged to the compute model (model setup). From c->wcache when its next entry
 * is this one, else scratch memory (mpc_tmp; NULL in phantom mode) and the PRG. Release with
 * mpc_share_model_release. */
uint64_t *mpc_share_model_zero(mpc_ctx *c, size_t n);
void mpc_share_model_release(mpc_ctx *c, uint64_t *sh);

/* Adds the encoding of P0's plaintext src (rows x cols floats, laid out as the function wants) to the n
 * words of sh, fixed point with f fractional bits: the family's layout of a weight (crypten.c). */
typedef void (*mpc_wcache_enc_fn)(uint64_t *sh, const float *src, size_t rows, size_t cols, int f);

/* The whole model sharing: this party's share of enc(src) (n words), i.e. mpc_share_model_zero plus, on
 * P0, enc's addition. The owner's plaintext src is read on P0 only (NULL elsewhere; may be given in
 * phantom mode, where nothing is read: a recording cache keeps the pointer, and the fill then adds the
 * encoding in setup too, so that the online phase hands out P0's finished share when the entry's src,
 * enc and shape are this call's). Release with mpc_share_model_release. */
uint64_t *mpc_share_model_enc(mpc_ctx *c, size_t n, mpc_wcache_enc_fn enc, const float *src, size_t rows,
                              size_t cols);

#endif

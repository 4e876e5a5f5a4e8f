/* test_mpc_nn.c -- softmax, LayerNorm, BatchNorm stand-in, Quad, 2Quad, 2ReLU: values against double
 * references, exact closed-form costs (both dealer schedules), real == phantom, and the numerical
 * pitfalls of PROTOCOLS.md 4.2/4.3 (reciprocal and inv_sqrt domains at realistic sizes). */
#include <criterion/criterion.h>
#include <math.h>

#include "../common/fx.h"
#include "../protocols/crypten/mpc_nn.h"
#include "testutil.h"

static mpc_config cfg;
static void setup(void) { mpc_config_default(&cfg); }

static double max_abs(const rt_op_outcome *o)
{
    double m = 0;
    for (size_t i = 0; i < o->nout; i++) m = fmax(m, fabs(o->got[i] - o->want[i]));
    return m;
}

/* Tolerances are absolute on outputs in [0,1] (probabilities) or O(1) (normalised values). */
Test(mpc_nn, softmax, .init = setup)
{
    /* exp's limit formula errs by ~5% at x-max = -5 (on values <= e^-5 = 0.0067), the reciprocal by
     * < 0.5% at S/K <= 16: probabilities within 0.01 absolute. */
    const char *shapes[] = {"3x7", "2x4x33", "1x1", "5x2"};
    for (int k = 0; k < 4; k++) {
        rt_op_outcome o = tu_check_op("softmax", shapes[k], &cfg);
        cr_expect(max_abs(&o) < 0.01, "softmax %s: max abs error %g", shapes[k], max_abs(&o));
        rt_op_outcome_free(&o);
    }
}

Test(mpc_nn, layer_norm, .init = setup)
{
    /* x in [-4,4]: variance ~5.3, inside inv_sqrt's 0.5% window; outputs O(1): 0.02 absolute. */
    const char *shapes[] = {"4x16", "3x64"};
    for (int k = 0; k < 2; k++) {
        rt_op_outcome o = tu_check_op("layer_norm", shapes[k], &cfg);
        cr_expect(max_abs(&o) < 0.02, "layer_norm %s: max abs error %g", shapes[k], max_abs(&o));
        rt_op_outcome_free(&o);
    }
}

Test(mpc_nn, batchnorm_quad_2quad_2relu, .init = setup)
{
    static const struct { const char *op, *shape; double tol; } cases[] = {
        {"batchnorm", "5x12", 1e-3}, {"batchnorm", "2x3x8", 1e-3},   /* two truncated products */
        {"quad", "100", 1e-3},       {"quad", "3x40", 1e-3},         /* one product of |x| <= 6 */
        {"2quad", "4x16", 2e-3},     {"2quad", "2x128", 2e-3},       /* reciprocal < 0.5% of ~1/L */
        {"2relu", "4x16", 5e-3},     {"2relu", "3x100", 5e-3},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        rt_op_outcome o = tu_check_op(cases[k].op, cases[k].shape, &cfg);
        cr_expect(max_abs(&o) < cases[k].tol, "%s %s: max abs error %g (tolerance %g)", cases[k].op, cases[k].shape,
                  max_abs(&o), cases[k].tol);
        rt_op_outcome_free(&o);
    }
}

/* Runs an op on given inputs (not the registry's random ones) and returns the max abs error. */
static double run_with(const char *name, const char *shape, const mpc_config *c, double lo, double hi)
{
    const rt_opdef *op = rt_op_find(name);
    rt_shape s;
    char err[128];
    cr_assert_eq(rt_shape_parse(&s, shape, 0, err, sizeof err), 0);
    rt_opdef tmp = *op;
    tmp.lo = lo;
    tmp.hi = hi;
    rt_sim_opts o = tu_session(c, 0, 3);
    rt_op_outcome oc;
    cr_assert_eq(rt_op_run(&tmp, &s, &o, 1, &oc), 0);
    double m = max_abs(&oc);
    rt_op_outcome_free(&oc);
    return m;
}

Test(mpc_nn, two_quad_on_realistic_row_sums_needs_the_rescale, .init = setup)
{
    /* Near-zero attention scores at L = 128: each row sum is about 25 L = 3200, far beyond the
     * reciprocal's domain (x < ~254). Without the rescale (K = 1, CrypTen as is) the output is
     * garbage; with the automatic K (here 512: S/K ~ 6) it is accurate. */
    mpc_config c1 = cfg;
    c1.quad2_recip_scale = 1;
    double bad = run_with("2quad", "2x128", &c1, -0.5, 0.5);
    double good = run_with("2quad", "2x128", &cfg, -0.5, 0.5);
    cr_expect(bad > 0.1, "K = 1 should diverge on row sums ~3200, max abs error only %g", bad);
    cr_expect(good < 1e-3, "automatic K: max abs error %g", good);
    cr_expect_eq(mpc_2quad_scale(&cfg, 128), 512);
}

Test(mpc_nn, wide_row_sums_need_the_range_normalised_reciprocal, .init = setup)
{
    /* Trained 2ReLU layers have row sums from ~L ulps (all-negative rows) to a few hundred, 2Quad ones
     * up to ~5e4: no single K fits both ends. Above the window the guess diverges: x in [0, 100] at
     * L = 128 gives S ~ 6400, S/K ~ 800 at the automatic K = 8 (2ReLU); x in [20, 40] gives 2Quad
     * sums ~ 1.2e5, S/K ~ 240..400 at K = 512. (Below it, 10 Newton steps still converge down to
     * S/K ~ 1e-3, where the inputs themselves keep only a few bits.) The range-normalised form is
     * accurate on both. */
    mpc_config w = cfg;
    w.attn_recip = MPC_RECIP_WIDE;
    static const struct { const char *op, *shape; double lo, hi, tol; } cases[] = {
        {"2relu", "2x128", 0, 100, 2e-4},
        {"2quad", "2x128", 20, 40, 2e-4},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        double bad = run_with(cases[k].op, cases[k].shape, &cfg, cases[k].lo, cases[k].hi);
        double good = run_with(cases[k].op, cases[k].shape, &w, cases[k].lo, cases[k].hi);
        cr_log_info("%s %s on [%g, %g]: CrypTen's reciprocal of S/K %.3g, range-normalised %.3g", cases[k].op,
                    cases[k].shape, cases[k].lo, cases[k].hi, bad, good);
        cr_expect(bad > 10 * cases[k].tol, "%s %s on [%g, %g]: CrypTen's form should fail, max abs error only %g",
                  cases[k].op, cases[k].shape, cases[k].lo, cases[k].hi, bad);
        cr_expect(good < cases[k].tol, "%s %s on [%g, %g]: range-normalised max abs error %g", cases[k].op,
                  cases[k].shape, cases[k].lo, cases[k].hi, good);
    }
    /* On ordinary inputs, where both work, they agree (the registry's random inputs). */
    const char *ops[] = {"2quad", "2relu"};
    for (int k = 0; k < 2; k++) {
        rt_op_outcome o = tu_check_op(ops[k], "4x16", &w);
        cr_expect(max_abs(&o) < 2e-3, "%s wide 4x16: max abs error %g", ops[k], max_abs(&o));
        rt_op_outcome_free(&o);
    }
}

Test(mpc_nn, flat_softmax_rows_at_long_sequences, .init = setup)
{
    /* Flat rows at L = 512: the softmax denominator is 512 > 254, out of the reciprocal's domain. */
    mpc_config c1 = cfg;
    c1.softmax_recip_scale = 1;
    double bad = run_with("softmax", "1x512", &c1, -0.01, 0.01);
    double good = run_with("softmax", "1x512", &cfg, -0.01, 0.01);
    cr_expect(bad > 0.01, "K = 1 at L = 512 should fail, max abs error only %g", bad);
    cr_expect(good < 2e-4, "automatic K (32): max abs error %g on outputs ~0.002", good);
}

Test(mpc_nn, layer_norm_large_variance_needs_the_inv_sqrt_rescale, .init = setup)
{
    /* x in [-40,40]: variance ~530, beyond inv_sqrt's window (~0.1-150). A shift of k = 2 divides the
     * variance by 16 (~33) and the result by 4. */
    double bad = run_with("layer_norm", "2x64", &cfg, -40, 40);
    mpc_config c2 = cfg;
    c2.ln_rsqrt_shift = 2;
    double good = run_with("layer_norm", "2x64", &c2, -40, 40);
    cr_expect(bad > 0.2, "no rescale at variance ~530 should be off, error only %g", bad);
    cr_expect(good < 0.03, "with the rescale: max abs error %g", good);
}

/* ---- closed forms, pinned by hand ----
 * Independent literals for every nn-level cost (not the *_cost() twins), composed from primitives
 * pinned in test_mpc_cmp.c and test_mpc_math.c (per element n; bytes are per party, both parties
 * send the same):
 *   mul (general)  1 round, 16n B, n words, 1 request   (opens x - a and y - b)
 *   mul ROW (R, L) 1 round, 8 (RL + R) B, RL words      (the broadcast operand opens R words)
 *   mul COL (R, L) 1 round, 8 (RL + L) B, RL words
 *   square         1 round, 8n B, n words               (one opening)
 *   exp            8 rounds, 64n B, 8n words, 8 requests (8 squarings)
 *   reciprocal_pos 28 rounds, 304n B, 28n words, 28 requests (exp + 10 x (square + mul))
 *   reciprocal     38 rounds, 552n B, 44n words, 38 requests (ltz + mul + reciprocal_pos + mul)
 *   inv_sqrt       17 rounds, 184n B, 17n words, 17 requests (exp + 3 x (square + 2 muls))
 *   ltz            8 rounds, 216n B, 14n words, 8 requests; relu = ltz + mul: 9, 232n B, 15n, 9
 *   max 1x3        46 rounds, 2392 B, 171 words, 46 requests (test_mpc_cmp.c) */
Test(mpc_nn, closed_forms_by_hand, .init = setup)
{
    /* Quad, n = 10: (a x) * x is one general mul: 1 round, 16 x 10 = 160 B, 10 words. */
    tu_expect_cost("quad 10", mpc_quad_cost(&cfg, 10), 1, 160, 10, 1);
    /* BatchNorm, R = 4, H = 8: two COL muls: 2 rounds, 2 x 8 (32 + 8) = 640 B, 2 x 32 = 64 words. */
    tu_expect_cost("batchnorm 4x8", mpc_batchnorm_cost(&cfg, 4, 8), 2, 640, 64, 2);
    /* Its setup, H = 8: inv_sqrt(8): 17 rounds, 184 x 8 = 1472 B, 136 words. */
    tu_expect_cost("batchnorm setup 8", mpc_batchnorm_setup_cost(&cfg, 8), 17, 1472, 136, 17);
    /* LayerNorm, R = 4, H = 8: square(32) 1 / 256 B / 32; inv_sqrt(4) 17 / 736 B / 68; ROW mul 1 /
     * 8 x 36 = 288 B / 32; COL mul 1 / 8 x 40 = 320 B / 32: 20 rounds, 1600 B, 164 words. */
    tu_expect_cost("layernorm 4x8", mpc_layernorm_cost(&cfg, 4, 8), 20, 1600, 164, 20);
    /* 2Quad, R = 4, L = 8: mul(32) 1 / 512 B / 32; reciprocal(4) 38 / 2208 B / 176; ROW mul 1 / 288 B
     * / 32: 40 rounds, 3008 B, 240 words. */
    tu_expect_cost("2quad 4x8", mpc_2quad_cost(&cfg, 4, 8), 40, 3008, 240, 40);
    /* 2ReLU, R = 4, L = 8: relu(32) 9 / 7424 B / 480; reciprocal(4) 38 / 2208 B / 176; ROW mul 1 /
     * 288 B / 32: 48 rounds, 9920 B, 688 words. */
    tu_expect_cost("2relu 4x8", mpc_2relu_cost(&cfg, 4, 8), 48, 9920, 688, 48);
    /* The range-normalised forms (attn_recip wide, K = 1): recip_norm(4) = ltz(28) 8 / 6048 B / 392 +
     * mul(4) 1 / 64 B / 4 + reciprocal_pos(4) 28 / 1216 B / 112 = 37 / 7328 B / 508, then two ROW
     * muls 2 / 576 B / 64. 2Quad: 1 + 37 + 2 = 40 rounds, 512 + 7328 + 576 = 8416 B, 32 + 508 + 64 =
     * 604 words. 2ReLU: 9 + 37 + 2 = 48 rounds, 7424 + 7328 + 576 = 15328 B, 480 + 508 + 64 = 1052. */
    mpc_config w = cfg;
    w.attn_recip = MPC_RECIP_WIDE;
    tu_expect_cost("2quad wide 4x8", mpc_2quad_cost(&w, 4, 8), 40, 8416, 604, 40);
    tu_expect_cost("2relu wide 4x8", mpc_2relu_cost(&w, 4, 8), 48, 15328, 1052, 48);
    /* Softmax, R = 1, L = 3: max 46 / 2392 B / 171; exp(3) 8 / 192 B / 24; reciprocal_pos(1) 28 /
     * 304 B / 28; ROW mul 1 / 8 x (3 + 1) = 32 B / 3: 83 rounds, 2920 B, 226 words. */
    tu_expect_cost("softmax 1x3", mpc_softmax_cost(&cfg, 1, 3), 83, 2920, 226, 83);
    /* A row of one: softmax is 1 without messages. */
    tu_expect_cost("softmax 5x1", mpc_softmax_cost(&cfg, 5, 1), 0, 0, 0, 0);
}

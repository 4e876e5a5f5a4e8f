/* test_trunc_safe_twins.c -- the crypten family's cost twins under --trunc safe (issue 21): every op's
 * twin equals its measured run (real and phantom, both dealer schedules, identical traces), each
 * changed op's safe cost pinned by hand-derived literals, and the whole inference's closed form
 * (sbert_cost, with and without per-site calibration) equal to the measured trace. The --trunc local
 * forms are pinned in test_mpc_math.c, test_mpc_nn.c and test_sbert.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "../models/sbert.h"
#include "../protocols/crypten/mpc_math.h"
#include "../protocols/crypten/mpc_nn.h"
#include "../protocols/mpc_trunc_safe.h"
#include "testutil.h"

static mpc_config cfg;
static void setup(void)
{
    mpc_config_default(&cfg);
    cfg.trunc = MPC_TRUNC_SAFE;
}

/* Every crypten op, and the configuration branches that change its number of truncations: the
 * public rescale K = 1 (no division), an integral K (mpc_div_int), a real K (mpc_mul_const); the
 * LayerNorm shift k > 0 (two more divisions) and k < 0 (an exact integer product); a non-integral
 * reciprocal guess factor (one more public-real product); a division by 1 (none). */
Test(safe_twins, every_op_measures_its_twin, .init = setup, .timeout = 600)
{
    static const struct { const char *op, *shape; } cases[] = {
        {"exp", "10"},      {"reciprocal_pos", "10"}, {"inv_sqrt", "10"}, {"sqrt", "10"},     {"erf", "10"},
        {"gelu_erf", "10"}, {"reciprocal", "10"},     {"sigmoid", "10"},  {"tanh", "10"},     {"gelu_tanh", "10"},
        {"quad", "10"},     {"batchnorm", "4x8"},     {"layer_norm", "4x8"},                  {"softmax", "1x3"},
        {"softmax", "2x40"}, /* K = 4 */              {"softmax", "3x1"}, {"2quad", "4x8"},   {"2relu", "4x8"},
        {"2relu", "2x40"},  {"relu", "10"},           {"ltz", "10"},      {"eq", "10"},       {"max", "3x7"},
        {"mul", "10"},      {"square", "10"},         {"matmul", "2x3x4@2x4x5"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        rt_op_outcome o = tu_check_op(cases[k].op, cases[k].shape, &cfg);
        rt_op_outcome_free(&o);
    }
    mpc_config c2 = cfg;
    c2.softmax_recip_scale = c2.quad2_recip_scale = c2.relu2_recip_scale = 2.5; /* a real K */
    const char *rows[] = {"softmax", "2quad", "2relu"};
    for (int k = 0; k < 3; k++) {
        rt_op_outcome o = tu_check_op(rows[k], "3x6", &c2);
        rt_op_outcome_free(&o);
    }
    for (int shift = -2; shift <= 2; shift += 4) {
        c2 = cfg;
        c2.ln_rsqrt_shift = shift;
        rt_op_outcome o = tu_check_op("layer_norm", "4x8", &c2);
        rt_op_outcome_free(&o);
    }
    c2 = cfg;
    c2.attn_recip = MPC_RECIP_WIDE; /* the range-normalised reciprocal, K = 1 */
    const char *wide[][2] = {{"reciprocal_wide", "10"}, {"2quad", "4x8"}, {"2relu", "4x8"}, {"2relu", "2x40"}};
    for (int k = 0; k < 4; k++) {
        rt_op_outcome o = tu_check_op(wide[k][0], wide[k][1], &c2);
        rt_op_outcome_free(&o);
    }
    c2 = cfg;
    c2.recip_init_mul = 2.5;
    rt_op_outcome o = tu_check_op("reciprocal_pos", "10", &c2);
    rt_op_outcome_free(&o);
    /* exp with 0 squarings divides by 2^0 = 1: the identity, no truncation. */
    c2 = cfg;
    c2.exp_iters = 0;
    o = tu_check_op("exp", "10", &c2);
    cr_expect_eq(o.res.rounds, 0);
    rt_op_outcome_free(&o);
}

/* ---- safe forms, by hand ----
 * A safe truncation of m values: 1 round, 8m B per party, 2m dealer words, 1 request
 * (test_mpc_trunc_safe.c). Each op's safe cost = its local form (test_mpc_math.c, test_mpc_nn.c)
 * plus one such truncation per mpc_trunc (after every truncated square and Beaver product), every
 * mpc_div_int by d >= 2 and every mpc_mul_const, counted from the algorithm (mpc_math.h, mpc_nn.h).
 * Defaults: exp_iters 8, recip_nr_iters 10 (guess factor 3: integral, no truncation), sqrt_nr_iters 3,
 * sigmoid_recip_iters 3, erf_iters 8, ln_rsqrt_shift 0. */
Test(safe_twins, closed_forms_by_hand, .init = setup)
{
    /* n = 10. exp: local 8 / 640 B / 80 words / 8; x/2^8 and 8 squarings: 9 truncations of 10
     * (+9 / 720 / 180 / 9). */
    tu_expect_cost("exp", mpc_exp_cost(&cfg, 10), 17, 1360, 260, 17);
    /* reciprocal_pos: local 28 / 3040 / 280; exp's 9 + 10 steps x (square, mul) = 29 (+29 / 2320 / 580). */
    tu_expect_cost("reciprocal_pos", mpc_reciprocal_pos_cost(&cfg, 10), 57, 5360, 860, 57);
    /* reciprocal: local 38 / 5520 / 440; reciprocal_pos' 29 (the sign products are not truncated). */
    tu_expect_cost("reciprocal", mpc_reciprocal_cost(&cfg, 10), 67, 7840, 1020, 67);
    /* inv_sqrt: local 17 / 1840 / 170; x/2, exp's 9, x2.2, x/1024, 3 x (square, 2 muls, /2) = 24
     * (+24 / 1920 / 480). */
    tu_expect_cost("inv_sqrt", mpc_inv_sqrt_cost(&cfg, 10), 41, 3760, 650, 41);
    /* sqrt: local 18 / 2000 / 180; inv_sqrt's 24 + the product = 25. */
    tu_expect_cost("sqrt", mpc_sqrt_cost(&cfg, 10), 43, 4000, 680, 43);
    /* sigmoid: local 23 / 3760 / 290; exp's 9, x y0^2, 2 steps x (square, mul) = 14 (+14 / 1120 / 280).
     * tanh: the same. */
    tu_expect_cost("sigmoid", mpc_sigmoid_cost(&cfg, 10), 37, 4880, 570, 37);
    tu_expect_cost("tanh", mpc_tanh_cost(&cfg, 10), 37, 4880, 570, 37);
    /* pow(x, 13): 3 squares + 2 muls (local 5 / 560 / 50), each truncated: +5 / 400 / 100. */
    tu_expect_cost("pow 13", mpc_pow_cost(&cfg, 10, 13), 10, 960, 150, 10);
    /* erf: local 34 / 3760 / 340; 34 products + 8 coefficients + 2/sqrt(pi) = 43 (+43 / 3440 / 860). */
    tu_expect_cost("erf", mpc_erf_cost(&cfg, 10), 77, 7200, 1200, 77);
    /* gelu_erf: local 35 / 3920 / 350; x/sqrt 2, erf's 43, the product, x0.5 = 46 (+46 / 3680 / 920). */
    tu_expect_cost("gelu_erf", mpc_gelu_erf_cost(&cfg, 10), 81, 7600, 1270, 81);
    /* gelu_tanh: local 26 / 4160 / 320; pow 3's 2, x0.044715, x sqrt(2/pi), tanh's 14, x0.5, the
     * product = 20 (+20 / 1600 / 400). */
    tu_expect_cost("gelu_tanh", mpc_gelu_tanh_cost(&cfg, 10), 46, 5760, 720, 46);
    /* quad: local 1 / 160 / 10; xa, the product, xb = 3 (+3 / 240 / 60). */
    tu_expect_cost("quad", mpc_quad_cost(&cfg, 10), 4, 400, 70, 4);
    /* BatchNorm 4x8: local 2 / 640 / 64; two products of 32 (+2 / 512 / 128). Setup on 8: inv_sqrt(8),
     * local 17 / 1472 / 136, + 24 truncations of 8 (+24 / 1536 / 384). */
    tu_expect_cost("batchnorm 4x8", mpc_batchnorm_cost(&cfg, 4, 8), 4, 1152, 192, 4);
    tu_expect_cost("batchnorm setup 8", mpc_batchnorm_setup_cost(&cfg, 8), 41, 3008, 520, 41);
    /* LayerNorm 4x8: local 20 / 1600 / 164; mu/H (4), the square (32), v/H (4), inv_sqrt(4)'s 24 (4
     * each), ROW and COL products (32 each): 29 truncations of 200 values (+29 / 1600 / 400). With
     * k = 2: v/4^k and inv/2^k (4 each) more (+2 / 64 / 16); with k = -2 an exact product, nothing. */
    tu_expect_cost("layernorm 4x8", mpc_layernorm_cost(&cfg, 4, 8), 49, 3200, 564, 49);
    mpc_config c2 = cfg;
    c2.ln_rsqrt_shift = 2;
    tu_expect_cost("layernorm 4x8 k=2", mpc_layernorm_cost(&c2, 4, 8), 51, 3264, 580, 51);
    c2.ln_rsqrt_shift = -2;
    tu_expect_cost("layernorm 4x8 k=-2", mpc_layernorm_cost(&c2, 4, 8), 49, 3200, 564, 49);
    /* 2Quad 4x8 (K = 256/8 = 32, integral): local 40 / 3008 / 240; the square-product (32), S/K (4),
     * reciprocal(4)'s 29 (4 each), the ROW product (32), /K (32): 33 truncations of 216 values
     * (+33 / 1728 / 432). */
    tu_expect_cost("2quad 4x8", mpc_2quad_cost(&cfg, 4, 8), 73, 4736, 672, 73);
    /* 2ReLU 4x8 (K = 1: no division): local 48 / 9920 / 688; reciprocal(4)'s 29 (4 each), the ROW
     * product (32): 30 truncations of 148 values (+30 / 1184 / 296). With K = 2.5 (a public-real
     * product of 1/K): S/K (4) and /K (32) more (+2 / 288 / 72). */
    tu_expect_cost("2relu 4x8", mpc_2relu_cost(&cfg, 4, 8), 78, 11104, 984, 78);
    c2 = cfg;
    c2.relu2_recip_scale = 2.5;
    tu_expect_cost("2relu 4x8 K=2.5", mpc_2relu_cost(&c2, 4, 8), 80, 11392, 1056, 80);
    /* The range-normalised forms (attn_recip wide, K = 1; local forms in test_mpc_math.c and
     * test_mpc_nn.c). reciprocal_wide on 10: local 38 / 18480 / 1280; the product x m, reciprocal_pos'
     * 29, the product m r: 31 truncations of 10 (+31 / 2480 / 620). 2Quad 4x8: local 40 / 8416 / 604;
     * the square-product (32), recip_norm's 30 (4 each), the two ROW products (32 each): 33 of 216
     * values (+33 / 1728 / 432). 2ReLU 4x8: local 48 / 15328 / 1052; recip_norm's 30 (4 each) and
     * the two ROW products: 32 of 184 values (+32 / 1472 / 368). */
    tu_expect_cost("reciprocal_wide", mpc_reciprocal_wide_cost(&cfg, 10), 69, 20960, 1900, 69);
    c2 = cfg;
    c2.attn_recip = MPC_RECIP_WIDE;
    tu_expect_cost("2quad wide 4x8", mpc_2quad_cost(&c2, 4, 8), 73, 10144, 1036, 73);
    tu_expect_cost("2relu wide 4x8", mpc_2relu_cost(&c2, 4, 8), 80, 16800, 1420, 80);
    /* Softmax 1x3 (K = 1): local 83 / 2920 / 226; exp(3)'s 9 (3 each), reciprocal_pos(1)'s 29 (1
     * each), the ROW product (3): 39 truncations of 59 values (+39 / 472 / 118). */
    tu_expect_cost("softmax 1x3", mpc_softmax_cost(&cfg, 1, 3), 122, 3392, 344, 122);
    tu_expect_cost("softmax 5x1", mpc_softmax_cost(&cfg, 5, 1), 0, 0, 0, 0);
    /* Under --trunc local the same twins are the local forms. */
    cfg.trunc = MPC_TRUNC_LOCAL;
    tu_expect_cost("exp local", mpc_exp_cost(&cfg, 10), 8, 640, 80, 8);
    tu_expect_cost("layernorm 4x8 local", mpc_layernorm_cost(&cfg, 4, 8), 20, 1600, 164, 20);
}

/* ---- the whole inference with per-site calibration ---- */

static void party(mpc_ctx *c, void *arg) { sbert_forward(c, arg); }

/* A phantom forward of model m (T tokens) with calibration cal under conf. */
static rt_result run_phantom(const tfm_config *m, int T, const mpc_config *conf, const sbert_calib *cal)
{
    sbert_job j[2];
    memset(j, 0, sizeof j);
    for (int i = 0; i < 2; i++) j[i].model = m, j[i].T = T, j[i].calib = cal;
    rt_sim_opts so = tu_session(conf, 1, 3);
    void *args[2] = {&j[0], &j[1]};
    rt_result r;
    cr_assert_eq(rt_sim_run(&so, party, args, &r), 0);
    return r;
}

Test(safe_twins, calibrated_inference_measures_sbert_cost_calib, .init = setup, .timeout = 600)
{
    /* bert-tiny (2 layers: LayerNorm sites 0..4, attention sites 0..1) with shifts of both signs and
     * rescales 2048 (integral), 2.5 (real): under --trunc safe they add truncations, so the
     * calibrated run costs more than sbert_cost and exactly sbert_cost_calib; under --trunc local
     * calibration changes nothing. A 2Quad or 2ReLU layer on the range-normalised reciprocal is
     * measured against the twin too (its rounds are CrypTen's form's under --trunc local). */
    sbert_calib cal;
    memset(&cal, 0, sizeof cal);
    const int shifts[5] = {-5, 2, 0, 3, -1};
    memcpy(cal.ln_shift, shifts, sizeof shifts);
    cal.recip_scale[0] = 2048, cal.recip_scale[1] = 2.5;
    for (int wide = 0; wide < 2; wide++) /* layer 1 on the range-normalised reciprocal */
    for (int attn = 0; attn < 3; attn++)
        for (int trunc = 0; trunc < 2; trunc++)
            for (int sched = 0; sched < 2; sched++) {
                tfm_config m;
                cr_assert_eq(tfm_config_named(&m, "bert-tiny"), TFM_OK);
                m.attn = attn;
                cal.recip_wide[1] = wide;
                mpc_config c = cfg;
                c.trunc = trunc ? MPC_TRUNC_SAFE : MPC_TRUNC_LOCAL;
                c.dealer_schedule = sched ? MPC_DEALER_INLINE : MPC_DEALER_OFFLINE;
                rt_result r = run_phantom(&m, 5, &c, &cal);
                mpc_cost tc = sbert_cost_calib(&c, &m, 5, &cal), plain = sbert_cost(&c, &m, 5);
                const char *what = tfm_attn_name(attn);
                uint64_t want = mpc_cost_rounds(tc, c.dealer_schedule);
                cr_expect_eq(r.rounds, want, "%s trunc %d sched %d: rounds %llu vs %llu", what, trunc, sched,
                             (unsigned long long)r.rounds, (unsigned long long)want);
                cr_expect_eq(rt_online_sent(&r, 0), tc.sent[0], "%s: P0 bytes", what);
                cr_expect_eq(rt_online_sent(&r, 1), tc.sent[1], "%s: P1 bytes", what);
                cr_expect_eq(r.dealer_bytes, mpc_cost_dealer_bytes(tc), "%s: dealer bytes", what);
                /* By hand: the shifts 2 and 3 add 2 truncations each (v/4^k, inv/2^k); under softmax
                 * and 2ReLU (automatic K = 1 at 5 keys) each of the rescales 2048 and 2.5 adds 2
                 * (S/K, out/K); 2Quad's automatic K = 16 already divides twice, so its count stays. */
                if (wide && attn != 0) { /* same rounds as CrypTen's form under local; more bytes */
                    if (!trunc)
                        cr_expect(tc.rounds == plain.rounds && tc.sent[0] > plain.sent[0], "%s wide: %llu rounds %llu B, "
                                  "plain %llu rounds %llu B", what, (unsigned long long)tc.rounds,
                                  (unsigned long long)tc.sent[0], (unsigned long long)plain.rounds,
                                  (unsigned long long)plain.sent[0]);
                    continue;
                }
                uint64_t extra = trunc ? 4 + (attn == 2 ? 0 : 4) : 0;
                cr_expect_eq(tc.rounds, plain.rounds + extra, "%s trunc %d: %llu rounds calibrated, %llu plain", what,
                             trunc, (unsigned long long)tc.rounds, (unsigned long long)plain.rounds);
            }
}

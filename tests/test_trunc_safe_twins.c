/* exploratory */
#include <criterion/criterion.h>
#include "../protocols/mpc_trunc_safe.h"
#include "testutil.h"

Test(safe_twins, every_crypten_op, .timeout = 600)
{
    static const struct { const char *op, *shape; } cases[] = {
        {"exp", "10"}, {"reciprocal_pos", "10"}, {"inv_sqrt", "10"}, {"sqrt", "10"}, {"erf", "10"},
        {"gelu_erf", "10"}, {"reciprocal", "10"}, {"sigmoid", "10"}, {"tanh", "10"}, {"gelu_tanh", "10"},
        {"softmax", "3x7"}, {"layer_norm", "4x16"}, {"batchnorm", "5x12"}, {"quad", "10"}, {"2quad", "4x16"},
        {"2relu", "4x16"}, {"relu", "10"}, {"ltz", "10"}, {"eq", "10"}, {"max", "3x7"},
    };
    mpc_config cfg;
    mpc_config_default(&cfg);
    cfg.trunc = MPC_TRUNC_SAFE;
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        xp_op_outcome o = tu_check_op(cases[k].op, cases[k].shape, &cfg);
        xp_op_outcome_free(&o);
    }
}

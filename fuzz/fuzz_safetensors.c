/* fuzz_safetensors.c -- libFuzzer target for the safetensors reader and the JSON under it.
 *
 * Each input is treated as a whole safetensors file and read against the bert-tiny configuration
 * (tfm_read_safetensors_buf), listed with tfm_safetensors_index, and also parsed as a config.json.
 * Beyond the sanitizers (ASan, UBSan with no recovery) it checks the readers' contracts: codes come
 * from the documented set with a message, an accepted index is in bounds, and a file the index
 * rejects is rejected by the loader with the same code. Build and run with scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../models/tfm_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUST(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tfm_config cfg;
    static tfm_params p;
    static int ready;
    if (!ready) {
        MUST(tfm_config_named(&cfg, "bert-tiny") == TFM_OK);
        tfm_params_alloc(&p, &cfg);
        ready = 1;
    }
    char err[512];

    err[0] = 0;
    int rc = tfm_read_safetensors_buf(data, size, &cfg, &p, err, sizeof err);
    MUST(rc == TFM_OK || rc == TFM_EFORMAT || rc == TFM_ESHAPE || rc == TFM_EMISSING || rc == TFM_EVALUE);
    MUST(rc == TFM_OK || err[0]);

    tfm_st_index ix;
    err[0] = 0;
    int rc2 = tfm_safetensors_index(&ix, data, size, err, sizeof err);
    MUST(rc2 == TFM_OK || (rc2 == TFM_EFORMAT && err[0]));
    MUST(rc2 != TFM_OK || rc == TFM_OK || rc == TFM_ESHAPE || rc == TFM_EMISSING || rc == TFM_EVALUE);
    MUST(rc2 == TFM_OK || rc == rc2);
    if (rc2 == TFM_OK) {
        MUST(ix.data_off + ix.data_len == size && ix.data_off == 8 + ix.header_len);
        for (size_t i = 0; i < ix.n; i++) {
            const tfm_st_tensor *t = &ix.t[i];
            MUST(t->name && t->dtype && t->begin <= t->end && t->end <= ix.data_len);
            MUST(t->ndim >= 0 && t->ndim <= TFM_ST_MAX_DIMS);
            MUST(!t->elem_size || t->numel * (uint64_t)t->elem_size == t->end - t->begin);
        }
        for (size_t i = 0; i < ix.n_meta; i++) MUST(ix.meta[i].key && ix.meta[i].value);
    }
    tfm_st_index_free(&ix);

    tfm_config c2;
    err[0] = 0;
    int rc3 = tfm_config_parse_json(&c2, (const char *)data, size, err, sizeof err);
    MUST(rc3 == TFM_OK || ((rc3 == TFM_EFORMAT || rc3 == TFM_EMISSING || rc3 == TFM_EVALUE) && err[0]));
    return 0;
}

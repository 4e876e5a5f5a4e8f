/* fuzz_seeds.c -- writes the fuzzer's seed corpus into a directory: a bert-tiny checkpoint from
 * the writer, a small hand-made file with every supported dtype, metadata and an unknown tensor,
 * and a config.json. Usage: fuzz_seeds DIR */
#include <stdio.h>
#include <string.h>

#include "../models/tfm_io.h"

static int put(const char *dir, const char *name, const void *buf, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "fuzz_seeds: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    tfm_config cfg;
    tfm_params p;
    char path[1024];
    if (tfm_config_named(&cfg, "bert-tiny") != TFM_OK) return 1;
    tfm_params_alloc(&p, &cfg);
    tfm_params_init(&p, &cfg, 1);
    snprintf(path, sizeof path, "%s/bert_tiny.safetensors", dir);
    int rc = tfm_save_safetensors(path, &cfg, &p, "{\"source\": \"fuzz_seeds\"}");
    tfm_params_free(&p);
    if (rc != TFM_OK) {
        fprintf(stderr, "fuzz_seeds: %s: %s\n", path, tfm_strerror(rc));
        return 1;
    }

    static const char hdr[] =
        "{\"__metadata__\":{\"format\":\"pt\",\"k\":\"\\u00e9\\ud83d\\ude00\"},"
        "\"a\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
        "\"c\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[16,24]},"
        "\"d\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[24,32]},"
        "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[32,32]}}";
    unsigned char img[8 + sizeof hdr - 1 + 32] = {0};
    img[0] = (unsigned char)(sizeof hdr - 1);
    memcpy(img + 8, hdr, sizeof hdr - 1);
    static const unsigned char data[32] = {0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x00, 0x7C, 0x80, 0x3F, 0x00, 0xC0,
                                           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 7};
    memcpy(img + 8 + sizeof hdr - 1, data, sizeof data);
    static const char config[] =
        "{\"model_type\": \"roberta\", \"hidden_size\": 32, \"num_hidden_layers\": 2, \"num_attention_heads\": 2,"
        " \"intermediate_size\": 64, \"vocab_size\": 100, \"max_position_embeddings\": 66, \"type_vocab_size\": 1,"
        " \"layer_norm_eps\": 1e-05, \"hidden_act\": \"gelu_new\", \"pad_token_id\": 1, \"num_labels\": 3,"
        " \"id2label\": {\"0\": \"a\", \"1\": \"b\", \"2\": \"c\"}, \"_name_or_path\": \"tiny\"}";
    return put(dir, "dtypes.safetensors", img, sizeof img) | put(dir, "config.json", config, sizeof config - 1);
}

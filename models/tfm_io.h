/* tfm_io.h -- model files: safetensors weights (read, write, inspect) and Hugging Face config.json.
 *
 * safetensors layout: an 8-byte little-endian u64 N, then N bytes of JSON header, then the data
 * buffer. The header maps each tensor name to {"dtype": "F32", "shape": [...], "data_offsets":
 * [begin, end]} (byte offsets relative to the data buffer) plus an optional "__metadata__" object of
 * string values. Tensor data is little-endian, row-major.
 *
 * Written files: F32 tensors in tfm_tensor_table order, contiguous from offset 0; the header is
 * compact JSON padded with spaces so the data starts at a multiple of 8; "__metadata__" always holds
 * "format": "pt" (transformers refuses safetensors files without it) plus the caller's entries.
 *
 * Read files: any tensor order and alignment. Validation (all before any parameter is written, so a
 * failed load leaves the block unchanged):
 *   TFM_EFORMAT  file shorter than 8 bytes; N over TFM_ST_MAX_HEADER (100 MB) or past the end of
 *                the file; header not valid JSON (message gives the header and file byte offsets)
 *                or not an object; a tensor entry without dtype/shape/data_offsets or with values of
 *                the wrong type; more than TFM_ST_MAX_DIMS dimensions; data_offsets with end < begin,
 *                end past the data buffer, a span that is not numel * element size, or overlapping
 *                another tensor; __metadata__ not an object of strings; NUL in a tensor name.
 *   TFM_EMISSING a tensor the configuration needs is absent (named in the message).
 *   TFM_ESHAPE   its dtype is not F32/F16/BF16/F64, or its shape differs from the configuration's
 *                (both shapes in the message).
 *   TFM_EVALUE   a value of a needed tensor is NaN or infinite after conversion (tensor and index
 *                in the message).
 * F16, BF16 and F64 tensors are converted to float32 (F64 beyond float range becomes +-inf, as
 * torch's .float() does). Tensors the configuration does not use (other heads, position_ids
 * buffers, ...) are ignored. A name the configuration wants as "bert.X" / "roberta.X" may also be
 * stored as plain "X" (checkpoints saved from BertModel rather than a task model). Gaps between
 * tensors and trailing bytes in the data buffer are tolerated. */
#ifndef TFM_IO_H
#define TFM_IO_H

#include <stddef.h>
#include <stdint.h>

#include "tfm.h"

#define TFM_ST_MAX_DIMS 8
#define TFM_ST_MAX_HEADER 100000000u /* bytes, as the reference implementation */

/* One tensor entry of a safetensors header. */
typedef struct tfm_st_tensor {
    const char *name;  /* owned by the index */
    const char *dtype; /* as written: "F32", "BF16", "I64", ...; owned by the index */
    int elem_size;     /* bytes per element; 0 if the dtype is unknown here (span not checked) */
    int ndim;          /* 0 = scalar */
    uint64_t shape[TFM_ST_MAX_DIMS];
    uint64_t numel;    /* product of shape (1 for a scalar) */
    uint64_t begin, end; /* byte range in the data buffer */
} tfm_st_tensor;

typedef struct tfm_st_meta {
    const char *key, *value; /* owned by the index */
} tfm_st_meta;

/* The parsed, validated header of a safetensors file. */
typedef struct tfm_st_index {
    tfm_st_tensor *t; /* n entries in header order */
    size_t n;
    tfm_st_meta *meta; /* n_meta entries of "__metadata__", in header order */
    size_t n_meta;
    uint64_t header_len; /* N */
    uint64_t data_off;   /* 8 + N: file offset of the data buffer */
    uint64_t data_len;   /* bytes after the header */
    char *strings_;      /* storage for names and metadata */
} tfm_st_index;

/* ---- safetensors ---- */

/* Writes every tensor of p (allocated for cfg) as F32 to `path`, via a mkstemp temporary beside it
 * and rename() (common/ofile.h), so the path never holds a partial file. metadata_json: NULL, or a JSON object whose values are all
 * strings, merged into "__metadata__" (its own "format" wins over "pt").
 * TFM_OK, TFM_EIO (nothing left at path, no temporary left), TFM_EVALUE (metadata_json invalid). */
int tfm_save_safetensors(const char *path, const tfm_config *cfg, const tfm_params *p,
                         const char *metadata_json) WUR;

/* Fills p (already tfm_params_alloc'ed for cfg) from the file, by tensor name; validation and codes
 * as above, plus TFM_EIO if the file cannot be opened or mapped. err gets a message naming the file
 * and the problem (may be NULL). On error p is unchanged. */
int tfm_load_safetensors(const char *path, const tfm_config *cfg, tfm_params *p, char *err,
                         size_t errlen) WUR;

/* The same from an in-memory file image buf[0..len) (need not be aligned or NUL-terminated). */
int tfm_read_safetensors_buf(const uint8_t *buf, size_t len, const tfm_config *cfg, tfm_params *p,
                             char *err, size_t errlen) WUR;

/* Parses and validates the header of any safetensors image (no configuration needed): every
 * TFM_EFORMAT check above. Fills ix (free it with tfm_st_index_free, also after a failure). */
int tfm_safetensors_index(tfm_st_index *ix, const uint8_t *buf, size_t len, char *err,
                          size_t errlen) WUR;
/* The same for a file; reads only its header. TFM_EIO if it cannot be read. */
int tfm_safetensors_index_file(tfm_st_index *ix, const char *path, char *err, size_t errlen) WUR;
void tfm_st_index_free(tfm_st_index *ix);

/* TFM_OK if every parameter is finite with |x| < limit (for fixed point with f fractional bits,
 * limit = fx_range(f)); else TFM_EVALUE naming the first offending tensor, index and value. */
int tfm_params_check_fixed(const tfm_config *cfg, const tfm_params *p, double limit, char *err, size_t errlen) WUR;

/* ---- Hugging Face config.json ---- */

/* Reads a Hugging Face BERT/RoBERTa config.json into cfg.
 * Required: model_type ("bert" or "roberta"), hidden_size, num_hidden_layers, num_attention_heads,
 * intermediate_size, vocab_size, max_position_embeddings (absent: TFM_EMISSING naming the field).
 * Optional, with transformers' defaults: type_vocab_size (2), layer_norm_eps (1e-12), hidden_act
 * ("gelu" -> erf; "gelu_new", "gelu_pytorch_tanh" -> tanh; "relu"), pad_token_id (1; RoBERTa's
 * positions start at pad_token_id + 1), num_labels or the size of id2label (2; both present must
 * agree), position_embedding_type (only "absolute"), _name_or_path (cfg->name, else "custom";
 * truncated to fit). null counts as absent. A wrong type, non-integral or out-of-range value is
 * TFM_EVALUE naming the field; malformed JSON is TFM_EFORMAT with its byte offset; then
 * tfm_config_check applies. Approximations get tfm_config_named's defaults (softmax, layernorm,
 * Quad 0.125/0.25/0.5, 2Quad shift 5). On error cfg's contents are unspecified. */
int tfm_config_load_json(tfm_config *cfg, const char *path, char *err, size_t errlen) WUR;
/* The same from buf[0..len). */
int tfm_config_parse_json(tfm_config *cfg, const char *buf, size_t len, char *err, size_t errlen) WUR;

#endif

/* fuzz_dataset.c -- libFuzzer target for the dataset reader (text/text_data.h) and the e-mail body
 * extractor.
 *
 * The first byte chooses the format (auto, TSV, JSONL) and whether a label set {ham, spam} is given;
 * the rest is the file, read through text_data_read from memory. Beyond the sanitizers it checks the
 * reader's contract: a documented code with a message on failure and nothing partial returned; on
 * success every example has a label in range and a text of the stated length without NUL bytes or
 * all-whitespace, and label names are unique. The whole input is also reduced to an e-mail body,
 * which must be NUL-terminated at the stated length. Build and run with scripts/fuzz.sh dataset. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../text/text_data.h"
#include "../text/text_mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUST(cond) do { if (!(cond)) abort(); } while (0)

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i])) return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const char *const labels[2] = {"ham", "spam"};
    text_data_load_opts o = {data[0] % 3, data[0] & 4 ? labels : NULL, data[0] & 4 ? 2 : 0, 1 << 20};
    FILE *f = fmemopen((void *)(data + 1), size - 1, "rb");
    if (f) {
        text_dataset ds;
        char err[512] = "";
        int rc = text_data_read(&ds, f, "fuzz.in", &o, err, sizeof err);
        fclose(f);
        MUST(rc == TEXT_DATA_OK || rc == TEXT_DATA_EFORMAT || rc == TEXT_DATA_EEMPTY || rc == TEXT_DATA_ELABEL ||
             rc == TEXT_DATA_EIO);
        if (rc != TEXT_DATA_OK) {
            MUST(err[0] && ds.n == 0 && ds.nlabels == 0 && ds.text == NULL);
        } else {
            MUST(ds.n > 0 && ds.nlabels > 0 && ds.nlabels <= TEXT_DATA_MAX_LABELS);
            for (size_t i = 0; i < ds.n; i++) {
                MUST(ds.label[i] >= 0 && (size_t)ds.label[i] < ds.nlabels);
                MUST(strlen(ds.text[i]) == ds.len[i] && !blank(ds.text[i], ds.len[i]));
            }
            for (size_t a = 0; a < ds.nlabels; a++)
                for (size_t b = a + 1; b < ds.nlabels; b++) MUST(strcmp(ds.label_name[a], ds.label_name[b]) != 0);
        }
        text_data_free(&ds);
    }
    size_t blen;
    char *body = text_mail_body((const char *)data, size, &blen);
    MUST(body != NULL && body[blen] == 0);
    free(body);
    return 0;
}

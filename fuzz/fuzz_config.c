/*
 * fuzz_config.c: libFuzzer target for the config loader's parsers (src/config_document.c and the
 * YAML, CloudFormation/SAM/CDK, serverless.yml and gateway.config.yaml converters it dispatches to).
 * The first input byte picks the file name the text is read as (which selects JSON or YAML and the
 * emulator's gateway.config.yaml); the rest is the file's text. Config files are trusted more than
 * network input, but a mistyped template must still give an error, never a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_document.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"fuzz.yaml", "fuzz.json", "gateway.config.yaml", "template"};
    if (size < 1)
        return 0;
    const char *path = names[data[0] % 4];
    char *text = malloc(size);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    wg_config_document_t doc;
    char err[512];
    if (wg_config_document_parse(path, text, size - 1, &doc, err, sizeof(err)) == 0) {
        char where[256];
        wg_config_document_where(&doc, doc.root, where, sizeof(where));
        wg_config_document_free(&doc);
    }
    free(text);
    return 0;
}

/*
 * fuzz_authorizer.c: libFuzzer target for the Lambda authorizer policy evaluator of
 * src/authorizer.c: wg_authorizer_evaluate (a result document from a user's function: untrusted
 * JSON) and wg_authorizer_glob_match (IAM wildcards from that document).
 *
 * Input: the whole input is the authorizer's result body, evaluated against a fixed method ARN.
 * Also, split at the first '\n' into pattern | value (NULs cut them), the glob matcher is compared
 * with an independent dynamic-programming matcher, both case modes. Properties (abort when one
 * breaks): evaluate returns 0, 403 or 500; on 0 the authorizer JSON is a JSON object (jansson
 * parses it) whose first key is principalId and whose values are all strings; otherwise it is NULL;
 * *why is set on a refusal; the glob matcher agrees with the reference.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "authorizer.h"

#define ARN "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/local/$connect"

/* Reference IAM wildcard match: '*' any run, '?' one character. O(n*m) table, short inputs only. */
static int reference_glob(const char *p, const char *v, int ignore_case)
{
    size_t n = strlen(p), m = strlen(v);
    unsigned char *row = calloc(m + 1, 1), *next = calloc(m + 1, 1);
    if (row == NULL || next == NULL)
        abort();
    row[0] = 1; /* empty pattern matches empty value */
    for (size_t i = 0; i < n; i++) {
        memset(next, 0, m + 1);
        for (size_t j = 0; j <= m; j++) {
            if (p[i] == '*')
                next[j] = row[j] || (j > 0 && next[j - 1]);
            else if (j > 0) {
                int same = p[i] == '?' || p[i] == v[j - 1] ||
                           (ignore_case && tolower((unsigned char)p[i]) == tolower((unsigned char)v[j - 1]));
                next[j] = row[j - 1] && same;
            }
        }
        unsigned char *t = row;
        row = next;
        next = t;
    }
    int match = row[m];
    free(row);
    free(next);
    return match;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *auth_json = NULL;
    const char *why = NULL;
    int rc = wg_authorizer_evaluate((const char *)data, size, ARN, &auth_json, &why);
    if (rc != 0 && rc != 403 && rc != 500)
        abort();
    if (rc == 0) {
        if (auth_json == NULL)
            abort();
        json_t *doc = json_loads(auth_json, JSON_ALLOW_NUL | JSON_PRESERVE_ORDER, NULL);
        if (!json_is_object(doc))
            abort();
        void *it = json_object_iter(doc);
        if (it == NULL || strcmp(json_object_iter_key(it), "principalId") != 0)
            abort();
        const char *key;
        json_t *value;
        json_object_foreach(doc, key, value) {
            if (!json_is_string(value))
                abort();
        }
        json_decref(doc);
    } else {
        if (auth_json != NULL || why == NULL)
            abort();
    }
    free(auth_json);

    const char *nl = memchr(data, '\n', size);
    if (nl != NULL && size < 512) {
        size_t plen = (size_t)(nl - (const char *)data);
        char *pattern = strndup((const char *)data, plen);
        char *value = strndup(nl + 1, size - plen - 1);
        if (pattern == NULL || value == NULL)
            abort();
        for (int ic = 0; ic <= 1; ic++)
            if (wg_authorizer_glob_match(pattern, value, ic) != reference_glob(pattern, value, ic))
                abort();
        free(pattern);
        free(value);
    }
    return 0;
}

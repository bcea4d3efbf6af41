/*
 * sigv4_sign.c: SigV4 signing the way the SDKs sign (the demo backend's and the Lambda Invoke
 * integration's outgoing requests): host, x-amz-content-sha256, x-amz-date and, with temporary
 * credentials, x-amz-security-token, over the execute-api canonical request (AWS-SIG-1..4).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "sigv4_internal.h"

int wg_sigv4_sign(const wg_sigv4_request_t *req, const wg_sigv4_credentials_t *creds, uint64_t now_ms,
                  wg_sigv4_signature_t *out)
{
    if (req == NULL || creds == NULL || out == NULL || creds->access_key_id == NULL ||
        creds->secret_access_key == NULL || creds->region == NULL || creds->service == NULL ||
        (req->headers == NULL && req->num_headers) || (req->query == NULL && req->query_len) ||
        (req->path == NULL && req->path_len) || req->method == NULL || (req->body == NULL && req->body_len))
        return -1;
    memset(out, 0, sizeof(*out));
    const wg_header_t *host = find_header(req, "Host");
    if (host == NULL)
        return -1;
    char date[32];
    wg_clock_format_basic((int64_t)(now_ms / 1000), date);
    if (strlen(date) != 16)
        return -1;
    memcpy(out->amz_date, date, 17);
    wg_sigv4_sha256_hex(req->body, req->body_len, out->content_sha256);

    wg_header_t headers[4] = {
        {"host", 4, host->value, host->value_len},
        {"x-amz-content-sha256", 20, out->content_sha256, 64},
        {"x-amz-date", 10, out->amz_date, 16},
        {"x-amz-security-token", 20, creds->session_token, creds->session_token ? strlen(creds->session_token) : 0},
    };
    const char *signed_list = creds->session_token ? "host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
                                                   : "host;x-amz-content-sha256;x-amz-date";
    size_t num_headers = creds->session_token ? 4 : 3;
    wg_buf_t creq = {0}, scope = {0};
    wg_sigv4_build_canonical(&creq, req->method, req->method_len, req->path, req->path_len, req->query, req->query_len,
                             headers, num_headers, signed_list, strlen(signed_list), out->content_sha256, 64,
                             WG_SIGV4_PATH_DOUBLE, 0);
    wg_buf_append(&scope, date, 8);
    wg_buf_append_char(&scope, '/');
    wg_buf_append_str(&scope, creds->region);
    wg_buf_append_char(&scope, '/');
    wg_buf_append_str(&scope, creds->service);
    wg_buf_append_str(&scope, "/aws4_request");
    char *sts = wg_sigv4_string_to_sign(out->amz_date, scope.data, creq.data);
    char date8[9];
    memcpy(date8, date, 8);
    date8[8] = '\0';
    char signature[65];
    wg_sigv4_compute_signature(creds->secret_access_key, date8, creds->region, creds->service, sts, signature);
    int n = snprintf(out->authorization, sizeof(out->authorization),
                     ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s", creds->access_key_id, scope.data,
                     signed_list, signature);
    free(sts);
    free(creq.data);
    free(scope.data);
    if (n < 0 || (size_t)n >= sizeof(out->authorization)) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    return 0;
}

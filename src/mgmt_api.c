/*
 * mgmt_api.c: `@connections` as execute-api serves it (see mgmt_api.h; AWS-MGMT, AWS-SIG).
 *
 * Order of checks, as the front door of execute-api does it: authentication (per --auth mode),
 * then payload size (413 over 131072 bytes), then the connection (410 when it is not OPEN: never
 * seen, still in $connect, closed or deleted). Errors carry `x-amzn-ErrorType` with the bare shape
 * name, which is what every SDK reads to raise its typed exception (AWS-MGMT-13).
 */
#include "mgmt_api.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conns.h"
#include "headers.h"
#include "http_reply.h"
#include "ids.h"
#include "limits.h"
#include "inspector.h"
#include "log.h"
#include "recorder.h"
#include "sigv4.h"
#include "urlcodec.h"

static const char *lookup_secret(void *ctx, const char *access_key_id)
{
    return wg_config_secret_for(ctx, access_key_id);
}

static const char *lookup_token(void *ctx, const char *access_key_id)
{
    return wg_config_session_token_for(ctx, access_key_id);
}

int wg_mgmt_api_authenticate(const wg_config_t *cfg, h2o_req_t *req)
{
    if (cfg->auth == WG_AUTH_NONE)
        return 0;
    size_t num_headers;
    wg_header_t *headers = wg_http_reply_request_headers(req, &num_headers);
    size_t path_len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    wg_sigv4_request_t sreq = {
        req->method.base,
        req->method.len,
        req->path.base,
        path_len,
        req->query_at != SIZE_MAX ? req->path.base + req->query_at + 1 : "",
        req->query_at != SIZE_MAX ? req->path.len - req->query_at - 1 : 0,
        headers,
        num_headers,
        req->entity.base ? req->entity.base : "",
        req->entity.len,
    };
    wg_sigv4_result_t result;
    /* strict: refuse what AWS refuses (another region, a token nobody issued, a body that is not
     * the one signed); sigv4: any well-formed, current signature */
    int is_strict = cfg->auth == WG_AUTH_STRICT;
    wg_sigv4_policy_t policy = {is_strict, is_strict ? cfg->region : NULL, is_strict ? lookup_token : NULL, is_strict};
    wg_sigv4_status_t status =
        wg_sigv4_verify_policy(&sreq, "execute-api", wg_clock_now_ms(), lookup_secret, (void *)cfg, &policy, &result);
    free(headers);
    if (status == WG_SIGV4_OK) {
        wg_sigv4_result_clear(&result);
        return 0;
    }
    wg_aws_error_t err;
    switch (status) {
    case WG_SIGV4_MISSING: err = WG_AWS_ERR_MISSING_AUTH_TOKEN; break;
    case WG_SIGV4_INCOMPLETE: err = WG_AWS_ERR_INCOMPLETE_SIGNATURE; break;
    case WG_SIGV4_UNKNOWN_KEY: err = WG_AWS_ERR_UNRECOGNIZED_CLIENT; break;
    default: err = WG_AWS_ERR_INVALID_SIGNATURE; break;
    }
    wg_inspector_note_signature(req, &result);
    wg_log_info("%.*s @connections: 403 %s (key '%s')", (int)req->method.len, req->method.base, wg_errors_shape(err),
                result.access_key_id);
    wg_http_reply_aws_error(req, err, result.message);
    wg_sigv4_result_clear(&result);
    return -1;
}

static void send_connection(h2o_req_t *req, wg_conn_t *conn)
{
    char connected_at[32], last_active_at[32];
    wg_clock_format_iso8601_ms(wg_conn_connected_at(conn), connected_at);
    wg_clock_format_iso8601_ms(wg_conn_last_active_at(conn), last_active_at);
    /* Wire names and order: connectedAt, identity{sourceIp, userAgent}, lastActiveAt (AWS-MGMT-8; the order is
     * inferred). The model marks userAgent as required; we send "" when the client sent none (AWS: unknown). */
    json_t *identity = json_object();
    json_object_set_new(identity, "sourceIp", json_string(wg_conn_source_ip(conn)));
    const char *ua = wg_conn_user_agent(conn);
    json_object_set_new(identity, "userAgent", json_string(ua ? ua : ""));
    json_t *doc = json_object();
    json_object_set_new(doc, "connectedAt", json_string(connected_at));
    json_object_set_new(doc, "identity", identity);
    json_object_set_new(doc, "lastActiveAt", json_string(last_active_at));
    char *body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (body == NULL)
        abort();
    wg_http_reply_add_request_id(req);
    wg_http_reply_send(req, 200, "application/json", body, strlen(body));
    free(body);
}

void wg_mgmt_api_handle(const wg_mgmt_api_t *api, h2o_req_t *req, const char *raw_id, size_t raw_id_len)
{
    int is_post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
    int is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"));
    int is_delete = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("DELETE"));
    if (wg_mgmt_api_authenticate(api->config, req) != 0)
        return;
    if (!is_post && !is_get && !is_delete) {
        /* execute-api answers an unknown method on a known resource like an unknown resource */
        wg_http_reply_aws_error(req, WG_AWS_ERR_MISSING_AUTH_TOKEN, NULL);
        return;
    }
    if (is_post && req->entity.len > WG_LIMIT_MESSAGE_BYTES) {
        wg_log_info("POST @connections: 413 (%zu bytes)", req->entity.len);
        wg_http_reply_aws_error(req, WG_AWS_ERR_PAYLOAD_TOO_LARGE, NULL);
        return;
    }
    char id[WG_ID_LEN * 3 + 1];
    size_t id_len;
    wg_conn_t *conn = NULL;
    if (raw_id_len < sizeof(id) && wg_urlcodec_decode(raw_id, raw_id_len, id, &id_len, 0) == 0)
        conn = wg_conns_find_open(api->conns, id);
    else
        snprintf(id, sizeof(id), "(malformed)");
    const char *method = is_post ? "POST" : is_get ? "GET" : "DELETE";
    if (conn == NULL) {
        wg_log_info("%s @connections/%s: 410 GoneException", method, id);
        wg_http_reply_aws_error(req, WG_AWS_ERR_GONE, NULL);
        return;
    }
    if (is_get) {
        if (wg_log_is_verbose())
            wg_log_debug("GET @connections/%s: 200", id);
        send_connection(req, conn);
        return;
    }
    if (is_delete) {
        wg_log_info("DELETE @connections/%s: 204", id);
        wg_conn_delete(conn);
        wg_http_reply_add_request_id(req);
        wg_http_reply_send(req, 204, NULL, NULL, 0);
        return;
    }
    wg_conn_post_result_t rv = wg_conn_post(conn, req->entity.base, req->entity.len);
    if (rv == WG_CONN_POST_LIMIT) {
        wg_log_warn("POST @connections/%s: 429 LimitExceededException (client not reading)", id);
        wg_http_reply_aws_error(req, WG_AWS_ERR_LIMIT_EXCEEDED, NULL);
        return;
    }
    if (rv == WG_CONN_POST_GONE) {
        wg_log_info("POST @connections/%s: 410 GoneException (closing)", id);
        wg_http_reply_aws_error(req, WG_AWS_ERR_GONE, NULL);
        return;
    }
    wg_recorder_side_effect(api->recorder, "postToConnection", id, req->entity.base, req->entity.len);
    if (wg_log_is_verbose())
        wg_log_debug("POST @connections/%s: 200 (%zu bytes)", id, req->entity.len);
    wg_http_reply_add_request_id(req);
    wg_http_reply_send(req, 200, NULL, NULL, 0);
}

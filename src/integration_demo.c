/*
 * integration_demo.c: the built-in demo backend, used when no backend is configured, so that the
 * first command of the README shows wsgate working at once.
 *
 * It accepts every $connect and echoes every message back to its sender through the management
 * API over HTTP (a signed PostToConnection to this very server), exactly the path a real backend
 * uses, so the demo also exercises @connections and SigV4.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "clock.h"
#include "integration.h"
#include "log.h"
#include "sigv4.h"

/* The demo signs with the first configured key, else with this made-up one (fine in sigv4 mode). */
#define DEMO_ACCESS_KEY "AKIDWSGATEDEMO000000"
#define DEMO_SECRET_KEY "wsgate-demo-secret"

static void on_echo_done(void *data, const wg_httpc_response_t *res)
{
    if (res->is_transport_error || res->is_timeout || res->status != 200)
        wg_log_warn("demo: PostToConnection answered %d %s", res->status, res->error ? res->error : "");
}

static void echo_back(wg_server_t *server, const char *connection_id, const char *body, size_t body_len)
{
    char host[64], path[256];
    snprintf(host, sizeof(host), "127.0.0.1:%d", server->port);
    /* '=' in the id is percent-encoded on the wire, as SDKs do (AWS-MGMT-6) */
    char encoded_id[64];
    size_t o = 0;
    for (const char *p = connection_id; *p && o + 4 < sizeof(encoded_id); p++) {
        if (*p == '=') {
            memcpy(encoded_id + o, "%3D", 3);
            o += 3;
        } else {
            encoded_id[o++] = *p;
        }
    }
    encoded_id[o] = '\0';
    if (server->config->is_custom_domain)
        snprintf(path, sizeof(path), "/@connections/%s", encoded_id);
    else
        snprintf(path, sizeof(path), "/%s/@connections/%s", server->config->stage, encoded_id);

    wg_httpc_request_t req;
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    size_t url_len = strlen(host) + strlen(path) + 16;
    req.url = malloc(url_len);
    if (req.url == NULL)
        abort();
    snprintf(req.url, url_len, "http://%s%s", host, path);
    req.body = malloc(body_len + 1);
    if (req.body == NULL)
        abort();
    memcpy(req.body, body, body_len);
    req.body_len = body_len;
    req.timeout_ms = 5000;
    req.on_done = on_echo_done;
    wg_httpc_add_header(&req, "Content-Type", H2O_STRLIT("application/octet-stream"));
    if (server->config->auth != WG_AUTH_NONE) {
        const wg_config_t *cfg = server->config;
        wg_sigv4_credentials_t creds = {
            cfg->num_credentials ? cfg->credentials[0].access_key_id : DEMO_ACCESS_KEY,
            cfg->num_credentials ? cfg->credentials[0].secret_access_key : DEMO_SECRET_KEY,
            cfg->num_credentials ? cfg->credentials[0].session_token : NULL,
            cfg->region,
            "execute-api",
        };
        wg_header_t host_header = {"Host", 4, host, strlen(host)};
        wg_sigv4_request_t sreq = {"POST", 4, path, strlen(path), "", 0, &host_header, 1, body, body_len};
        wg_sigv4_signature_t sig;
        if (wg_sigv4_sign(&sreq, &creds, wg_clock_now_ms(), &sig) == 0) {
            wg_httpc_add_header(&req, "X-Amz-Date", sig.amz_date, strlen(sig.amz_date));
            if (creds.session_token != NULL)
                wg_httpc_add_header(&req, "X-Amz-Security-Token", creds.session_token, strlen(creds.session_token));
            wg_httpc_add_header(&req, "x-amz-content-sha256", sig.content_sha256, strlen(sig.content_sha256));
            wg_httpc_add_header(&req, "Authorization", sig.authorization, strlen(sig.authorization));
        }
    }
    wg_integration_submit_http(server, "demo echo", &req);
}

void wg_integration_demo_invoke(wg_server_t *server, wg_integration_call_t *call, wg_integration_done_cb done,
                                void *data)
{
    const char *key = call->route->key;
    if (strcmp(key, "$connect") != 0 && strcmp(key, "$disconnect") != 0) {
        /* JSON_ALLOW_NUL: a message may hold U+0000 (the event carries it as \u0000); without the
         * flag jansson refuses the whole event and the echo was lost. */
        json_t *event = json_loadb(call->event_json, call->event_len, JSON_ALLOW_NUL, NULL);
        json_t *body = json_object_get(event, "body");
        if (json_is_string(body)) {
            wg_log_info("demo: echoing %zu bytes to %s", json_string_length(body), call->connection_id);
            echo_back(server, call->connection_id, json_string_value(body), json_string_length(body));
        }
        json_decref(event);
    }
    free(call->event_json);
    call->event_json = NULL;
    wg_integration_result_t result;
    memset(&result, 0, sizeof(result));
    result.outcome = WG_OUTCOME_OK;
    result.status = 200;
    result.http_status = 200;
    wg_integration_complete_later(server, &result, done, data);
}

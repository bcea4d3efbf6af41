/*
 * config_emulator.c: aws-apigw-ws-emulator's gateway.config.yaml (or .json), read as is.
 *
 * Its keys are wsgate's own (port, stage, routes.<key>.uri, routeSelectionExpression, idleTimeout
 * and hardTimeout in seconds, verbose), so most of the file passes through. What differs:
 * - the emulator serves the WebSocket and @connections at the root (ws://localhost:3001,
 *   POST /@connections/{id}), with no stage in the path: that is wsgate's customDomain;
 * - its apiId defaults to "local", which is not an AWS apiId (10 of [a-z0-9]): such a value is
 *   dropped (wsgate makes a random one); a valid one is kept;
 * - domainName has no wsgate equivalent (the Host header is used): dropped;
 * - integrationMode: "lambda_proxy" (its documented default; also "lambda-proxy", "lambda") is
 *   wsgate's own http integration (the Lambda proxy event POSTed as JSON). "http" (0.0.4+) sends
 *   the raw body with a connectionId header instead: an HTTP_PROXY integration whose request
 *   parameters are the headers the emulator sends (connectionId, X-Amzn-Apigateway-Api-Id,
 *   X-Amzn-Apigateway-Stage, X-Event-Type, X-Route-Key, X-Disconnect-Status-Code/-Reason on
 *   $disconnect), and on $connect the client's whole query string appended to the URI
 *   ("integration.request.querystring.*": "route.request.querystring.*", a wsgate extension).
 *   [I] The emulator also appends that query to every later call of the connection; AWS has
 *   route.request.querystring only on $connect, so wsgate forwards it there only.
 * - its management API is unsigned (its README: `curl -X POST .../@connections/{id}`): "auth"
 *   defaults to "none" for its files (config.c; an explicit --auth or "auth" key wins; start-up
 *   says so).
 * Units checked against the emulator's source: idleTimeout/hardTimeout are seconds (it multiplies
 * by 1000), the same as wsgate's keys.
 */
#include "config_convert.h"
#include "ids.h"

#include <stdbool.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

bool wg_config_is_emulator(const char *path, const json_t *root)
{
    if (!json_is_object(root))
        return 0;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(base, "gateway.config.", strlen("gateway.config.")) == 0)
        return 1;
    if (json_object_get(root, "domainName") != NULL || json_object_get(root, "integrationMode") != NULL)
        return 1;
    json_t *api_id = json_object_get(root, "apiId");
    return json_is_string(api_id) && !wg_ids_is_api_id(json_string_value(api_id));
}

/* -m / --integration-mode from the command line (config.c), NULL = the file's integrationMode. */
static const char *mode_override;

void wg_config_emulator_set_mode(const char *mode)
{
    mode_override = mode;
}

bool wg_config_emulator_is_mode(const char *mode)
{
    return mode != NULL && (strcmp(mode, "lambda_proxy") == 0 || strcmp(mode, "http") == 0 ||
                            strcmp(mode, "lambda-proxy") == 0 || strcmp(mode, "lambda") == 0);
}

/* An "http"-mode route: HTTP_PROXY with the headers the emulator's callBackendHttp sends. */
static void http_route(const char *route_key, json_t *route)
{
    json_t *params = json_pack("{ss ss ss ss ss}", "integration.request.header.connectionId", "context.connectionId",
                               "integration.request.header.X-Amzn-Apigateway-Api-Id", "context.apiId",
                               "integration.request.header.X-Amzn-Apigateway-Stage", "context.stage",
                               "integration.request.header.X-Event-Type", "context.eventType",
                               "integration.request.header.X-Route-Key", "context.routeKey");
    if (strcmp(route_key, "$disconnect") == 0) {
        json_object_set_new(params, "integration.request.header.X-Disconnect-Status-Code",
                            json_string("context.disconnectStatusCode"));
        json_object_set_new(params, "integration.request.header.X-Disconnect-Reason",
                            json_string("context.disconnectReason"));
    }
    if (strcmp(route_key, "$connect") == 0)
        json_object_set_new(params, "integration.request.querystring.*", json_string("route.request.querystring.*"));
    json_object_set_new(route, "integration", json_string("http_proxy"));
    json_object_set_new(route, "requestParameters", params);
}

json_t *wg_config_from_emulator(const char *path, json_t *source, wg_config_lines_t *lines, char *err, size_t err_size)
{
    json_t *out = json_deep_copy(source);
    wg_config_lines_copy_tree(lines, source, out);
    json_t *api_id = json_object_get(out, "apiId");
    if (json_is_string(api_id) && !wg_ids_is_api_id(json_string_value(api_id)))
        json_object_del(out, "apiId");
    json_object_del(out, "domainName");
    json_t *mode = json_object_get(out, "integrationMode");
    const char *m = json_string_value(mode);
    if (mode != NULL && !wg_config_emulator_is_mode(m)) {
        char where[512];
        snprintf(err, err_size, "%s: integrationMode must be \"lambda_proxy\" (the default) or \"http\"",
                 wg_config_lines_where_key(lines, path, out, "integrationMode", where, sizeof(where)));
        json_decref(out);
        return NULL;
    }
    if (mode_override != NULL)
        m = mode_override; /* -m on the command line wins over the file, as in the emulator's cli.ts */
    if (m != NULL && strcmp(m, "http") == 0) {
        json_t *routes = json_object_get(out, "routes");
        const char *key;
        json_t *route;
        json_object_foreach(routes, key, route) {
            if (json_is_object(route))
                http_route(key, route);
        }
    }
    json_object_del(out, "integrationMode");
    if (json_object_get(out, "customDomain") == NULL)
        json_object_set_new(out, "customDomain", json_true());
    return out;
}

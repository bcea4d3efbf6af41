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
 * - integrationMode "http" (newer versions) sends the raw body with a connectionId header instead
 *   of the Lambda proxy event: that is an HTTP_PROXY integration with a request parameter.
 * Units checked against the emulator's source: idleTimeout/hardTimeout are seconds (it multiplies
 * by 1000), the same as wsgate's keys.
 */
#include "config_convert.h"
#include "ids.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>


int wg_config_is_emulator(const char *path, const json_t *root)
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

json_t *wg_config_from_emulator(const char *path, json_t *source, wg_config_lines_t *lines, char *err,
                                size_t err_size)
{
    json_t *out = json_deep_copy(source);
    wg_config_lines_copy_tree(lines, source, out);
    json_t *api_id = json_object_get(out, "apiId");
    if (json_is_string(api_id) && !wg_ids_is_api_id(json_string_value(api_id)))
        json_object_del(out, "apiId");
    json_object_del(out, "domainName");
    json_t *mode = json_object_get(out, "integrationMode");
    if (mode != NULL) {
        const char *m = json_string_value(mode);
        if (m == NULL || (strcmp(m, "http") != 0 && strcmp(m, "lambda") != 0 && strcmp(m, "lambda-proxy") != 0)) {
            char where[512];
            snprintf(err, err_size, "%s: integrationMode must be \"http\" or \"lambda-proxy\"",
                     wg_config_lines_where_key(lines, path, out, "integrationMode", where, sizeof(where)));
            json_decref(out);
            return NULL;
        }
        int is_http = strcmp(m, "http") == 0;
        json_object_del(out, "integrationMode");
        json_t *routes = json_object_get(out, "routes");
        const char *key;
        json_t *route;
        json_object_foreach(routes, key, route) {
            if (!is_http || !json_is_object(route))
                continue;
            json_object_set_new(route, "integration", json_string("http_proxy"));
            json_object_set_new(route, "requestParameters",
                                json_pack("{ss}", "integration.request.header.connectionId", "context.connectionId"));
        }
    }
    if (json_object_get(out, "customDomain") == NULL)
        json_object_set_new(out, "customDomain", json_true());
    return out;
}

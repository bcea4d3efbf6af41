/*
 * config_cloudformation.c: a CloudFormation / SAM / CDK template's WebSocket API as wsgate's
 * canonical document (docs/config-formats.md has the mapping table).
 *
 * The entry point and the API Gateway v2 mapping: reads the one AWS::ApiGatewayV2::Api with
 * ProtocolType WEBSOCKET and the Routes, Integrations, RouteResponses, Authorizer and Stage that
 * point at it (ApiId: Ref), and AWS::ApiGateway::ApiKey values. Intrinsic functions are evaluated
 * only where those properties use them (config_cfn_intrinsics.c); the functions the routes name
 * become "functions" entries when their code is on disk (config_cfn_functions.c). Also owns the
 * conversion context's small helpers (errors with the file and line, keys with their lines).
 *
 * A Lambda integration (AWS_PROXY, or AWS with a Lambda URI) becomes "function": "<logical ID>":
 * Fn::GetAtt Fn.Arn evaluates to arn:aws:lambda:us-east-1:123456789012:function:<logical ID>, and
 * an ARN written out with a function's FunctionName is mapped back to that function's logical ID.
 * config.c then resolves the function through "functions" / --function.
 */
#include "config_cloudformation_internal.h"

#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_convert.h"

/* ---- the conversion context ---- */

const char *wg_cfn_resource_type(json_t *resource)
{
    return json_string_value(json_object_get(resource, "Type"));
}

json_t *wg_cfn_resource_properties(json_t *resource)
{
    json_t *p = json_object_get(resource, "Properties");
    return json_is_object(p) ? p : NULL;
}

bool wg_cfn_is_function_type(const char *type)
{
    return type != NULL &&
           (strcmp(type, "AWS::Lambda::Function") == 0 || strcmp(type, "AWS::Serverless::Function") == 0);
}

bool wg_cfn_is_type(json_t *resource, const char *type)
{
    const char *t = wg_cfn_resource_type(resource);
    return t != NULL && strcmp(t, type) == 0;
}

/* ---- the WebSocket API ---------------------------------------------------------------------- */

/* Whether the resource's ApiId refers to the API `api_id`. */
static int belongs_to(wg_cfn_t *c, json_t *props, const char *api_id)
{
    char *id = wg_cfn_prop_string(c, props, "ApiId");
    int yes = id != NULL && strcmp(id, api_id) == 0;
    free(id);
    return yes;
}

/*
 * The function a Lambda URI names: "arn:...:apigateway:REGION:lambda:path/2015-03-31/functions/
 * <function ARN>/invocations", or a function ARN itself. A function of this template is named by
 * its logical ID (even when the ARN carries its FunctionName). NULL if the URI is not Lambda's.
 */
static char *function_from_uri(wg_cfn_t *c, const char *uri)
{
    const char *arn = uri;
    const char *functions = strstr(uri, ":lambda:path/");
    if (functions != NULL) {
        functions = strstr(functions, "/functions/");
        if (functions == NULL)
            return NULL;
        arn = functions + strlen("/functions/");
    }
    const char *fn = strstr(arn, ":function:");
    if (strncmp(arn, "arn:", 4) != 0 || fn == NULL)
        return NULL;
    fn += strlen(":function:");
    size_t n = strcspn(fn, ":/"); /* stop at a :qualifier or at /invocations */
    char *name = strndup(fn, n);
    if (name == NULL)
        abort();
    if (*name == '\0') {
        free(name);
        return NULL;
    }
    /* Logical ID as it is, or a FunctionName written out: back to the logical ID. */
    const char *logical;
    json_t *resource;
    json_object_foreach(c->resources, logical, resource) {
        if (!wg_cfn_is_function_type(wg_cfn_resource_type(resource)))
            continue;
        if (strcmp(logical, name) == 0)
            return name;
        const char *fname = json_string_value(json_object_get(wg_cfn_resource_properties(resource), "FunctionName"));
        if (fname != NULL && strcmp(fname, name) == 0) {
            free(name);
            if ((name = strdup(logical)) == NULL)
                abort();
            return name;
        }
    }
    return name;
}

/* The canonical route fields of an AWS::ApiGatewayV2::Integration, added to `route`. */
static int convert_integration(wg_cfn_t *c, const char *logical, json_t *resource, json_t *route)
{
    json_t *props = wg_cfn_resource_properties(resource);
    char *type = wg_cfn_prop_string(c, props, "IntegrationType");
    char *uri = wg_cfn_prop_string(c, props, "IntegrationUri");
    int rc = -1;
    if (c->cv.has_error)
        goto out;
    if (type == NULL) {
        wg_config_convert_fail(&c->cv, resource, "integration %s has no IntegrationType", logical);
        goto out;
    }
    int uri_line = wg_config_convert_key_line(&c->cv, props, "IntegrationUri");
    if (strcmp(type, "AWS_PROXY") == 0 || strcmp(type, "AWS") == 0) {
        char *function = uri ? function_from_uri(c, uri) : NULL;
        if (function == NULL) {
            wg_config_convert_fail(
                &c->cv, uri ? json_object_get(props, "IntegrationUri") : resource,
                "integration %s: only Lambda functions are supported as %s integrations (IntegrationUri %s)", logical,
                type, uri ? uri : "missing");
            goto out;
        }
        wg_config_convert_put(&c->cv, route, "function", json_string(function), uri_line);
        free(function);
    } else if (strcmp(type, "HTTP_PROXY") == 0 || strcmp(type, "HTTP") == 0) {
        if (uri == NULL) {
            wg_config_convert_fail(&c->cv, resource, "integration %s (%s) has no IntegrationUri", logical, type);
            goto out;
        }
        wg_config_convert_put(&c->cv, route, "integration", json_string("http_proxy"),
                              wg_config_convert_key_line(&c->cv, props, "IntegrationType"));
        wg_config_convert_put(&c->cv, route, "uri", json_string(uri), uri_line);
        char *method = wg_cfn_prop_string(c, props, "IntegrationMethod");
        if (method != NULL && strcmp(method, "ANY") != 0)
            wg_config_convert_put(&c->cv, route, "method", json_string(method),
                                  wg_config_convert_key_line(&c->cv, props, "IntegrationMethod"));
        free(method);
        if (c->cv.has_error)
            goto out;
    } else if (strcmp(type, "MOCK") == 0) {
        wg_config_convert_put(&c->cv, route, "integration", json_string("mock"),
                              wg_config_convert_key_line(&c->cv, props, "IntegrationType"));
    } else {
        wg_config_convert_fail(&c->cv, json_object_get(props, "IntegrationType"),
                               "integration %s: unknown IntegrationType '%s'", logical, type);
        goto out;
    }
    json_t *params = wg_cfn_prop(c, props, "RequestParameters");
    if (params != NULL && json_object_size(params) > 0)
        wg_config_convert_put(&c->cv, route, "requestParameters", json_incref(params),
                              wg_config_convert_key_line(&c->cv, props, "RequestParameters"));
    json_decref(params);
    json_t *timeout = wg_cfn_prop(c, props, "TimeoutInMillis");
    if (json_is_string(timeout)) { /* a Number parameter's Default may be a string */
        json_t *n = json_integer(strtoll(json_string_value(timeout), NULL, 10));
        json_decref(timeout);
        timeout = n;
    }
    if (timeout != NULL)
        wg_config_convert_put(&c->cv, route, "timeout", json_incref(timeout),
                              wg_config_convert_key_line(&c->cv, props, "TimeoutInMillis"));
    json_decref(timeout);
    rc = c->cv.has_error ? -1 : 0;
out:
    free(type);
    free(uri);
    return rc;
}

static int convert_authorizer(wg_cfn_t *c, const char *logical, json_t *out)
{
    json_t *resource = json_object_get(c->resources, logical);
    if (resource == NULL || strcmp(wg_cfn_resource_type(resource) ? wg_cfn_resource_type(resource) : "",
                                   "AWS::ApiGatewayV2::Authorizer") != 0)
        return wg_config_convert_fail(
            &c->cv, resource, "AuthorizerId '%s' is not an AWS::ApiGatewayV2::Authorizer of this template", logical);
    json_t *props = wg_cfn_resource_properties(resource);
    char *type = wg_cfn_prop_string(c, props, "AuthorizerType");
    char *uri = wg_cfn_prop_string(c, props, "AuthorizerUri");
    json_t *identity = wg_cfn_prop(c, props, "IdentitySource");
    json_t *auth = NULL;
    int rc = -1;
    if (c->cv.has_error)
        goto out;
    /* A WebSocket API's Lambda authorizer is a REQUEST authorizer (AWS-AUTH-1). */
    if (type != NULL && strcmp(type, "REQUEST") != 0) {
        wg_config_convert_fail(&c->cv, json_object_get(props, "AuthorizerType"),
                               "authorizer %s: WebSocket APIs only have REQUEST "
                               "authorizers, not %s",
                               logical, type);
        goto out;
    }
    char *function = uri ? function_from_uri(c, uri) : NULL;
    if (function == NULL) {
        wg_config_convert_fail(&c->cv, uri ? json_object_get(props, "AuthorizerUri") : resource,
                               "authorizer %s: AuthorizerUri must invoke a Lambda function", logical);
        goto out;
    }
    auth = json_object();
    wg_config_lines_set(c->cv.lines, auth, wg_config_convert_key_line(&c->cv, c->resources, logical));
    wg_config_convert_put(&c->cv, auth, "function", json_string(function),
                          wg_config_convert_key_line(&c->cv, props, "AuthorizerUri"));
    free(function);
    if (identity != NULL)
        wg_config_convert_put(&c->cv, auth, "identitySource", json_incref(identity),
                              wg_config_convert_key_line(&c->cv, props, "IdentitySource"));
    wg_config_convert_put(&c->cv, out, "authorizer", auth, wg_config_convert_key_line(&c->cv, c->resources, logical));
    rc = 0;
out:
    free(type);
    free(uri);
    json_decref(identity);
    return rc;
}

/* One AWS::ApiGatewayV2::Route into routes[RouteKey]. */
static int convert_route(wg_cfn_t *c, const char *logical, json_t *resource, json_t *out, json_t *routes,
                         json_t *route_ids)
{
    json_t *props = wg_cfn_resource_properties(resource);
    char *key = wg_cfn_prop_string(c, props, "RouteKey");
    char *target = wg_cfn_prop_string(c, props, "Target");
    char *auth_type = wg_cfn_prop_string(c, props, "AuthorizationType");
    char *authorizer = wg_cfn_prop_string(c, props, "AuthorizerId");
    json_t *api_key = wg_cfn_prop(c, props, "ApiKeyRequired");
    int rc = -1;
    if (c->cv.has_error)
        goto out;
    if (key == NULL) {
        wg_config_convert_fail(&c->cv, resource, "route %s has no RouteKey", logical);
        goto out;
    }
    if (json_object_get(routes, key) != NULL) {
        wg_config_convert_fail(&c->cv, json_object_get(props, "RouteKey"), "route key '%s' is defined twice", key);
        goto out;
    }
    int line = wg_config_convert_key_line(&c->cv, c->resources, logical);
    json_t *route = json_object();
    wg_config_convert_put(&c->cv, routes, key, route, line);
    json_object_set_new(route_ids, logical, json_string(key));
    if (target != NULL) {
        if (strncmp(target, "integrations/", 13) != 0) {
            wg_config_convert_fail(&c->cv, json_object_get(props, "Target"),
                                   "route %s: Target must be integrations/<integration>", logical);
            goto out;
        }
        const char *integ = target + 13;
        json_t *integration = json_object_get(c->resources, integ);
        const char *t = wg_cfn_resource_type(integration);
        if (t == NULL || strcmp(t, "AWS::ApiGatewayV2::Integration") != 0) {
            wg_config_convert_fail(
                &c->cv, json_object_get(props, "Target"),
                "route %s: Target names '%s', which is not an AWS::ApiGatewayV2::Integration of this template", logical,
                integ);
            goto out;
        }
        if (convert_integration(c, integ, integration, route) != 0)
            goto out;
    }
    if (auth_type != NULL && strcmp(auth_type, "NONE") != 0)
        wg_config_convert_put(&c->cv, route, "authorizationType", json_string(auth_type),
                              wg_config_convert_key_line(&c->cv, props, "AuthorizationType"));
    if (authorizer != NULL && convert_authorizer(c, authorizer, out) != 0)
        goto out;
    if (json_is_true(api_key) || (json_is_string(api_key) && strcmp(json_string_value(api_key), "true") == 0))
        wg_config_convert_put(&c->cv, route, "apiKeyRequired", json_true(),
                              wg_config_convert_key_line(&c->cv, props, "ApiKeyRequired"));
    rc = 0;
out:
    free(key);
    free(target);
    free(auth_type);
    free(authorizer);
    json_decref(api_key);
    return rc;
}

static int convert_stage(wg_cfn_t *c, json_t *resource, json_t *out)
{
    json_t *props = wg_cfn_resource_properties(resource);
    char *name = wg_cfn_prop_string(c, props, "StageName");
    json_t *vars = wg_cfn_prop(c, props, "StageVariables");
    if (name != NULL)
        wg_config_convert_put(&c->cv, out, "stage", json_string(name),
                              wg_config_convert_key_line(&c->cv, props, "StageName"));
    if (json_is_object(vars) && json_object_size(vars) > 0) {
        /* Stage variable values are strings on AWS; numbers written in YAML become text. */
        json_t *strings = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(vars, k, v) {
            char *s = wg_cfn_scalar_text(v);
            wg_config_convert_put(&c->cv, strings, k, s ? json_string(s) : json_incref(v),
                                  wg_config_convert_key_line(&c->cv, json_object_get(props, "StageVariables"), k));
            free(s);
        }
        wg_config_convert_put(&c->cv, out, "stageVariables", strings,
                              wg_config_convert_key_line(&c->cv, props, "StageVariables"));
    }
    free(name);
    json_decref(vars);
    return c->cv.has_error ? -1 : 0;
}

bool wg_config_is_cloudformation(const json_t *root)
{
    if (!json_is_object(root))
        return 0;
    if (json_object_get(root, "AWSTemplateFormatVersion") != NULL || json_is_object(json_object_get(root, "Resources")))
        return 1;
    json_t *transform = json_object_get(root, "Transform");
    if (json_is_string(transform))
        return strncmp(json_string_value(transform), "AWS::Serverless", 15) == 0;
    size_t i;
    json_t *t;
    json_array_foreach(transform, i, t) {
        if (json_is_string(t) && strncmp(json_string_value(t), "AWS::Serverless", 15) == 0)
            return 1;
    }
    return 0;
}

json_t *wg_config_from_cloudformation(const char *path, json_t *source, wg_config_lines_t *lines,
                                      const json_t *parameters, char *err, size_t err_size)
{
    wg_cfn_t c = {.parameters = parameters, .tmpl = source, .cv = {path, lines, err, err_size, false}};
    c.resources = json_object_get(source, "Resources");
    c.no_value = json_object();
    json_t *out = json_object(), *routes = json_object(), *route_ids = json_object(), *api_keys = json_array();
    wg_config_lines_set(lines, out, 1);
    const char *logical, *api = NULL;
    json_t *resource, *api_resource = NULL;
    if (!json_is_object(c.resources)) {
        wg_config_convert_fail(&c.cv, source, "a template needs a Resources section");
        goto fail;
    }

    /* The WebSocket API: exactly one. */
    json_object_foreach(c.resources, logical, resource) {
        const char *type = wg_cfn_resource_type(resource);
        if (type == NULL || strcmp(type, "AWS::ApiGatewayV2::Api") != 0 || !wg_cfn_is_included(&c, resource))
            continue;
        char *protocol = wg_cfn_prop_string(&c, wg_cfn_resource_properties(resource), "ProtocolType");
        int is_ws = protocol != NULL && strcmp(protocol, "WEBSOCKET") == 0;
        free(protocol);
        if (!is_ws)
            continue;
        if (api != NULL) {
            wg_config_convert_fail(&c.cv, resource,
                                   "two WebSocket APIs (%s and %s): wsgate serves one per process; split the "
                                   "template or run two wsgates",
                                   api, logical);
            goto fail;
        }
        api = logical;
        api_resource = resource;
    }
    if (c.cv.has_error)
        goto fail;
    if (api == NULL) {
        wg_config_convert_fail(&c.cv, c.resources,
                               "no AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET in this template");
        goto fail;
    }
    json_t *api_props = wg_cfn_resource_properties(api_resource);
    char *rse = wg_cfn_prop_string(&c, api_props, "RouteSelectionExpression");
    if (rse != NULL)
        wg_config_convert_put(&c.cv, out, "routeSelectionExpression", json_string(rse),
                              wg_config_convert_key_line(&c.cv, api_props, "RouteSelectionExpression"));
    free(rse);

    /* Routes (with their integrations and the authorizer), then route responses, stage, keys. */
    int stage_seen = 0;
    json_object_foreach(c.resources, logical, resource) {
        const char *type = wg_cfn_resource_type(resource);
        json_t *props = wg_cfn_resource_properties(resource);
        if (type == NULL || strncmp(type, "AWS::ApiGateway", 15) != 0 || !wg_cfn_is_included(&c, resource))
            continue;
        if (strcmp(type, "AWS::ApiGatewayV2::Route") == 0 && belongs_to(&c, props, api)) {
            if (convert_route(&c, logical, resource, out, routes, route_ids) != 0)
                goto fail;
        } else if (strcmp(type, "AWS::ApiGatewayV2::Stage") == 0 && belongs_to(&c, props, api) && !stage_seen) {
            stage_seen = 1; /* several stages: the first one (wsgate serves one stage) */
            if (convert_stage(&c, resource, out) != 0)
                goto fail;
        } else if (strcmp(type, "AWS::ApiGateway::ApiKey") == 0) {
            json_t *enabled = wg_cfn_prop(&c, props, "Enabled");
            char *value = wg_cfn_prop_string(&c, props, "Value");
            if (value != NULL && !json_is_false(enabled)) {
                json_t *s = json_string(value);
                wg_config_lines_set(lines, s, wg_config_convert_key_line(&c.cv, props, "Value"));
                json_array_append_new(api_keys, s);
            }
            free(value);
            json_decref(enabled);
        }
        if (c.cv.has_error)
            goto fail;
    }
    json_object_foreach(c.resources, logical, resource) {
        const char *type = wg_cfn_resource_type(resource);
        json_t *props = wg_cfn_resource_properties(resource);
        if (type == NULL || strcmp(type, "AWS::ApiGatewayV2::RouteResponse") != 0 ||
            !wg_cfn_is_included(&c, resource) || !belongs_to(&c, props, api))
            continue;
        char *route_id = wg_cfn_prop_string(&c, props, "RouteId");
        char *response_key = wg_cfn_prop_string(&c, props, "RouteResponseKey");
        const char *route_key = route_id ? json_string_value(json_object_get(route_ids, route_id)) : NULL;
        json_t *route = route_key ? json_object_get(routes, route_key) : NULL;
        /* A route with a $default route response is two-way (AWS-INT-4). */
        if (route != NULL && response_key != NULL && strcmp(response_key, "$default") == 0)
            wg_config_convert_put(&c.cv, route, "twoWay", json_true(),
                                  wg_config_convert_key_line(&c.cv, c.resources, logical));
        free(route_id);
        free(response_key);
        if (c.cv.has_error)
            goto fail;
    }
    wg_config_convert_put(&c.cv, out, "routes", json_incref(routes),
                          wg_config_convert_key_line(&c.cv, c.resources, api));
    if (wg_cfn_convert_functions(&c, out, routes) != 0)
        goto fail;
    if (json_array_size(api_keys) > 0)
        wg_config_convert_put(&c.cv, out, "apiKeys", json_incref(api_keys),
                              wg_config_lines_line(lines, json_array_get(api_keys, 0)));
    json_decref(routes);
    json_decref(route_ids);
    json_decref(api_keys);
    json_decref(c.no_value);
    return out;
fail:
    json_decref(out);
    json_decref(routes);
    json_decref(route_ids);
    json_decref(api_keys);
    json_decref(c.no_value);
    return NULL;
}

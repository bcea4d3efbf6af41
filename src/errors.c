/* errors.c: the AWS error table (see errors.h) and the bodies built from it. */
#include "errors.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *shape;
    int status;
    const char *message;
} error_table[] = {
#define WG_ERR_ROW(code, shape, status, message) {shape, status, message},
    WG_AWS_ERRORS(WG_ERR_ROW)
#undef WG_ERR_ROW
};

const char *wg_errors_shape(wg_aws_error_t err)
{
    return error_table[err].shape;
}

int wg_errors_status(wg_aws_error_t err)
{
    return error_table[err].status;
}

const char *wg_errors_default_message(wg_aws_error_t err)
{
    return error_table[err].message;
}

const char *wg_errors_http_reason(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: break;
    }
    if (status >= 200 && status < 300)
        return "OK";
    if (status >= 400 && status < 500)
        return "Client Error";
    return "Server Error";
}

char *wg_errors_body(wg_aws_error_t err, const char *message, size_t *len_out)
{
    if (message == NULL)
        message = error_table[err].message;
    if (message == NULL) {
        *len_out = 0;
        char *empty = strdup("");
        if (empty == NULL)
            abort();
        return empty;
    }
    json_t *obj = json_object();
    json_object_set_new(obj, "message", json_string(message));
    char *body = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (body == NULL)
        abort();
    *len_out = strlen(body);
    return body;
}

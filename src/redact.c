/* redact.c: the credential names and their redaction in events (see redact.h). */
#include "redact.h"

#include <stdbool.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

bool wg_redact_is_secret_name(const char *name, size_t len)
{
    static const char *const secrets[] = {"authorization",        "cookie",          "x-api-key",
                                          "x-amz-security-token", "x-amz-signature", "x-amz-credential",
                                          "proxy-authorization"};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        if (strlen(secrets[i]) == len && strncasecmp(name, secrets[i], len) == 0)
            return 1;
    return 0;
}

static void redact_map(json_t *map)
{
    const char *name;
    json_t *value;
    json_object_foreach(map, name, value) {
        if (!wg_redact_is_secret_name(name, strlen(name)))
            continue;
        if (json_is_array(value)) {
            size_t i;
            json_t *item;
            json_array_foreach(value, i, item)
                json_array_set_new(value, i, json_string("(redacted)"));
        } else {
            json_object_set_new(map, name, json_string("(redacted)"));
        }
    }
}

void wg_redact_event(json_t *event)
{
    static const char *const maps[] = {"headers", "multiValueHeaders", "queryStringParameters",
                                       "multiValueQueryStringParameters"};
    if (!json_is_object(event))
        return;
    for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        json_t *map = json_object_get(event, maps[i]);
        if (json_is_object(map))
            redact_map(map);
    }
}

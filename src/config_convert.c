/*
 * config_convert.c: what the converters share (see config_convert.h): first-error reporting with
 * the source line, and output nodes that keep the lines of the source nodes they came from.
 */
#include "config_convert.h"

#include <stdarg.h>
#include <stdio.h>

int wg_config_convert_fail(wg_config_convert_t *cv, const json_t *node, const char *fmt, ...)
{
    if (cv->has_error)
        return -1;
    cv->has_error = true;
    char msg[600], where[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(cv->err, cv->err_size, "%s: %s", wg_config_lines_where(cv->lines, cv->path, node, where, sizeof(where)),
             msg);
    return -1;
}

int wg_config_convert_key_line(const wg_config_convert_t *cv, const json_t *object, const char *key)
{
    int line = wg_config_lines_key_line(cv->lines, object, key);
    return line > 0 ? line : wg_config_lines_line(cv->lines, object);
}

void wg_config_convert_put(wg_config_convert_t *cv, json_t *out, const char *key, json_t *value, int line)
{
    json_object_set_new(out, key, value);
    wg_config_lines_set_key(cv->lines, out, key, line);
    wg_config_lines_set(cv->lines, value, line);
}

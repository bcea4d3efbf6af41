/*
 * replay_compare.c: reading answers and comparing them with the recording (see replay_compare.h).
 *
 * Why match some values by format: a replay runs later, with fresh connection/request/message
 * IDs and a new clock, exactly as a second session on AWS would. A backend that echoes its
 * connectionId or stamps a time has not changed its behaviour; one that changes a field's type,
 * drops a key or answers another status has. So:
 * - keys named connectionId, requestId, extendedRequestId, messageId: both values are IDs in
 *   AWS's layout (ids.c);
 * - keys named requestTimeEpoch, connectedAt, or ending in "At", "Time", "time", "Epoch",
 *   "timestamp"/"Timestamp": the same JSON type, and for strings the same timestamp format;
 * - any string that is an ISO-8601 or API Gateway requestTime timestamp: the same format; any
 *   13-digit integer (epoch milliseconds): any other 13-digit integer;
 * - the recorded session's connection IDs are replaced by the replay's inside every recorded
 *   string (and text body) first, so a backend that echoes "you are <id>" still matches.
 */
#include "replay_compare.h"

#include <stdbool.h>
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "limits.h"

/* ---- answers ---- */

void wg_replay_answer_read(int http_status, const char *body, size_t len, wg_replay_answer_t *out)
{
    memset(out, 0, sizeof(*out));
    out->http_status = http_status;
    out->status = http_status;
    if (http_status == 0)
        return;
    int code = 0;
    out->kind = wg_replay_check_proxy_result(body, len, &code, out->why, sizeof(out->why));
    if (out->kind == WG_PROXY_RESULT_VALID) {
        out->status = code;
        json_t *doc = json_loadb(body, len, 0, NULL);
        json_t *b = json_object_get(doc, "body");
        if (json_is_string(b)) {
            out->body_len = json_string_length(b);
            out->body = malloc(out->body_len + 1);
            if (out->body == NULL)
                abort();
            memcpy(out->body, json_string_value(b), out->body_len + 1);
        }
        const char *name;
        json_t *v;
        json_object_foreach(json_object_get(doc, "headers"), name, v) {
            if (strcasecmp(name, "Sec-WebSocket-Protocol") == 0 && json_is_string(v) && out->subprotocol == NULL)
                out->subprotocol = strdup(json_string_value(v));
        }
        /* as integration.c reads it: multiValueHeaders when headers has none */
        json_object_foreach(json_object_get(doc, "multiValueHeaders"), name, v) {
            json_t *first = json_array_get(v, 0);
            if (strcasecmp(name, "Sec-WebSocket-Protocol") == 0 && json_is_string(first) && out->subprotocol == NULL)
                out->subprotocol = strdup(json_string_value(first));
        }
        json_decref(doc);
    } else if (out->kind == WG_PROXY_RESULT_NONE && len > 0) {
        out->body = malloc(len + 1);
        if (out->body == NULL)
            abort();
        memcpy(out->body, body, len);
        out->body[len] = '\0';
        out->body_len = len;
    }
}

void wg_replay_answer_free(wg_replay_answer_t *answer)
{
    free(answer->body);
    free(answer->subprotocol);
    memset(answer, 0, sizeof(*answer));
}

/* ---- diffs ---- */

void wg_replay_diff_add(wg_replay_diff_t *diff, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wg_buf_vappendf(&diff->text, fmt, ap);
    va_end(ap);
    wg_buf_append_char(&diff->text, '\n');
    diff->count++;
}

void wg_replay_diff_free(wg_replay_diff_t *diff)
{
    wg_buf_free(&diff->text);
    memset(diff, 0, sizeof(*diff));
}

/* A value for a diff line: compact JSON, cut to WG_LIMIT_REPLAY_DIFF_VALUE_CHARS. New string. */
static char *show(const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == NULL)
        abort();
    if (strlen(text) > WG_LIMIT_REPLAY_DIFF_VALUE_CHARS)
        strcpy(text + WG_LIMIT_REPLAY_DIFF_VALUE_CHARS - 3, "...");
    return text;
}

/* ---- formats ---- */

bool wg_replay_is_aws_id(const char *s, size_t len)
{
    if (len != 16 || s[15] != '=')
        return 0;
    for (size_t i = 0; i < 15; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return 0;
    return 1;
}

/* The shape of a string with digits replaced by '9' (e.g. "9999-99-99T99:99:99.999Z"). */
static void digit_shape(const char *s, char *out, size_t out_size)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < out_size; i++)
        out[i] = isdigit((unsigned char)s[i]) ? '9' : s[i];
    out[i] = '\0';
}

/* Like digit_shape, letters also replaced (by 'a'): "06/Dec/..." and "22/Nov/..." have one shape. */
static void time_shape(const char *s, char *out, size_t out_size)
{
    digit_shape(s, out, out_size);
    for (size_t i = 0; out[i] != '\0'; i++)
        if (isalpha((unsigned char)out[i]))
            out[i] = 'a';
}

/* 1 when `s` is a timestamp: ISO-8601 (2026-11-22T10:00:00[.mmm][Z|+hh:mm]) or API Gateway's
 * requestTime (22/Nov/2026:10:00:00 +0000). */
static bool is_timestamp(const char *s)
{
    char shape[64];
    size_t n = strlen(s);
    if (n < 19 || n > 40)
        return 0;
    digit_shape(s, shape, sizeof(shape));
    if (strncmp(shape, "9999-99-99T99:99:99", 19) == 0 || strncmp(shape, "9999-99-99 99:99:99", 19) == 0)
        return 1;
    return n == 26 && shape[2] == '/' && shape[6] == '/' && strcmp(shape + 11, ":99:99:99 +9999") == 0 &&
           isalpha((unsigned char)s[3]);
}

/* 1 for a 13-digit integer: milliseconds since 1970 (2001-09 to 2286-11), the epoch form of
 * requestTimeEpoch and connectedAt. Nothing else a backend counts has 13 digits. */
static bool is_epoch_ms(json_int_t v)
{
    return v >= 1000000000000LL && v < 10000000000000LL;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

static bool is_id_key(const char *key)
{
    return key != NULL && (strcmp(key, "connectionId") == 0 || strcmp(key, "requestId") == 0 ||
                           strcmp(key, "extendedRequestId") == 0 || strcmp(key, "messageId") == 0);
}

static bool is_time_key(const char *key)
{
    return key != NULL && (strcmp(key, "requestTimeEpoch") == 0 || strcmp(key, "connectedAt") == 0 ||
                           strcmp(key, "timestamp") == 0 || has_suffix(key, "At") || has_suffix(key, "Time") ||
                           has_suffix(key, "time") || has_suffix(key, "Epoch") || has_suffix(key, "Timestamp"));
}

/* ---- connection IDs of the recording ---- */

/* `s` with every recorded connection ID replaced by the replay's. New string; *out_len its length. */
static char *translate_ids(const char *s, size_t len, const wg_replay_compare_options_t *opt, size_t *out_len)
{
    wg_buf_t out = WG_BUF_INIT;
    wg_buf_reserve(&out, len);
    for (size_t i = 0; i < len;) {
        size_t k = 0;
        for (; k < opt->num_ids; k++) {
            size_t m = strlen(opt->ids_from[k]);
            if (m > 0 && i + m <= len && memcmp(s + i, opt->ids_from[k], m) == 0)
                break;
        }
        const char *piece = k < opt->num_ids ? opt->ids_to[k] : s + i;
        size_t piece_len = k < opt->num_ids ? strlen(opt->ids_to[k]) : 1;
        wg_buf_append(&out, piece, piece_len);
        i += k < opt->num_ids ? strlen(opt->ids_from[k]) : 1;
    }
    return wg_buf_take(&out, out_len);
}

/* ---- JSON ---- */

bool wg_replay_path_matches(const char *pattern, const char *path)
{
    /* Segment by segment; the pattern may stop early (the whole subtree is covered). */
    const char *p = pattern, *q = path;
    if (*p == '\0')
        return 1;
    while (*p == '/') {
        if (*q != '/')
            return 0;
        const char *pe = strchr(p + 1, '/'), *qe = strchr(q + 1, '/');
        size_t pl = pe ? (size_t)(pe - p - 1) : strlen(p + 1), ql = qe ? (size_t)(qe - q - 1) : strlen(q + 1);
        if (!(pl == 1 && p[1] == '*') && (pl != ql || memcmp(p + 1, q + 1, pl) != 0))
            return 0;
        p += 1 + pl;
        q += 1 + ql;
    }
    return *p == '\0';
}

static bool is_ignored(const wg_replay_compare_options_t *opt, const char *path)
{
    for (size_t i = 0; i < opt->num_ignore; i++)
        if (wg_replay_path_matches(opt->ignore[i], path))
            return 1;
    return 0;
}

/* `path` + "/" + segment (JSON Pointer escaping: ~ -> ~0, / -> ~1). New string. */
static char *child_path(const char *path, const char *segment)
{
    size_t n = strlen(path), m = strlen(segment), extra = 0;
    for (size_t i = 0; i < m; i++)
        extra += segment[i] == '~' || segment[i] == '/';
    char *out = malloc(n + m + extra + 2);
    if (out == NULL)
        abort();
    memcpy(out, path, n);
    size_t k = n;
    out[k++] = '/';
    for (size_t i = 0; i < m; i++) {
        if (segment[i] == '~' || segment[i] == '/') {
            out[k++] = '~';
            out[k++] = segment[i] == '~' ? '0' : '1';
        } else {
            out[k++] = segment[i];
        }
    }
    out[k] = '\0';
    return out;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

static int compare_json(const char *what, const char *path, const char *key, json_t *want, json_t *got,
                        const wg_replay_compare_options_t *opt, wg_replay_diff_t *diff);

static int differ(const char *what, const char *path, json_t *want, json_t *got, wg_replay_diff_t *diff)
{
    char *a = show(want), *b = show(got);
    wg_replay_diff_add(diff, "    %s%s: recorded %s, replayed %s", what, *path ? path : " (whole value)", a, b);
    free(a);
    free(b);
    return 0;
}

static int compare_strings(const char *what, const char *path, const char *key, json_t *want, json_t *got,
                           const wg_replay_compare_options_t *opt, wg_replay_diff_t *diff)
{
    const char *a = json_string_value(want), *b = json_string_value(got);
    size_t blen = json_string_length(got);
    if (is_id_key(key) && wg_replay_is_aws_id(a, json_string_length(want)) && wg_replay_is_aws_id(b, blen))
        return 1;
    if (is_timestamp(a) || is_timestamp(b)) {
        char sa[64], sb[64];
        time_shape(a, sa, sizeof(sa));
        time_shape(b, sb, sizeof(sb));
        if (is_timestamp(a) && is_timestamp(b) && strcmp(sa, sb) == 0)
            return 1;
    }
    if (is_time_key(key) && strpbrk(a, "0123456789") != NULL && strpbrk(b, "0123456789") != NULL) {
        char sa[64], sb[64];
        time_shape(a, sa, sizeof(sa));
        time_shape(b, sb, sizeof(sb));
        if (strcmp(sa, sb) == 0)
            return 1;
    }
    size_t tlen;
    char *t = translate_ids(a, json_string_length(want), opt, &tlen);
    int same = tlen == blen && memcmp(t, b, tlen) == 0;
    free(t);
    return same ? 1 : differ(what, path, want, got, diff);
}

static int compare_json(const char *what, const char *path, const char *key, json_t *want, json_t *got,
                        const wg_replay_compare_options_t *opt, wg_replay_diff_t *diff)
{
    if (is_ignored(opt, path))
        return 1;
    if (json_typeof(want) != json_typeof(got) && !(json_is_boolean(want) && json_is_boolean(got))) {
        char *a = show(want), *b = show(got);
        wg_replay_diff_add(diff, "    %s%s: recorded %s %s, replayed %s %s", what, *path ? path : " (whole value)",
                           type_name(want), a, type_name(got), b);
        free(a);
        free(b);
        return 0;
    }
    int same = 1;
    switch (json_typeof(want)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        json_object_foreach(want, k, v) {
            char *p = child_path(path, k);
            json_t *g = json_object_get(got, k);
            if (g == NULL && !is_ignored(opt, p)) {
                char *a = show(v);
                wg_replay_diff_add(diff, "    %s%s: missing in the replay (recorded %s)", what, p, a);
                free(a);
                same = 0;
            } else if (g != NULL) {
                same &= compare_json(what, p, k, v, g, opt, diff);
            }
            free(p);
        }
        json_object_foreach(got, k, v) {
            if (json_object_get(want, k) != NULL)
                continue;
            char *p = child_path(path, k);
            if (!is_ignored(opt, p)) {
                char *b = show(v);
                wg_replay_diff_add(diff, "    %s%s: not in the recording (replayed %s)", what, p, b);
                free(b);
                same = 0;
            }
            free(p);
        }
        return same;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(want), m = json_array_size(got);
        for (size_t i = 0; i < n && i < m; i++) {
            char index[32];
            snprintf(index, sizeof(index), "%zu", i);
            char *p = child_path(path, index);
            same &= compare_json(what, p, NULL, json_array_get(want, i), json_array_get(got, i), opt, diff);
            free(p);
        }
        if (n != m) {
            wg_replay_diff_add(diff, "    %s%s: recorded %zu items, replayed %zu", what,
                               *path ? path : " (whole value)", n, m);
            same = 0;
        }
        return same;
    }
    case JSON_STRING: return compare_strings(what, path, key, want, got, opt, diff);
    case JSON_INTEGER:
        if (is_time_key(key) || (is_epoch_ms(json_integer_value(want)) && is_epoch_ms(json_integer_value(got))))
            return 1;
        return json_integer_value(want) == json_integer_value(got) ? 1 : differ(what, path, want, got, diff);
    case JSON_REAL:
        if (is_time_key(key))
            return 1;
        return json_equal(want, got) ? 1 : differ(what, path, want, got, diff);
    default: return json_equal(want, got) ? 1 : differ(what, path, want, got, diff);
    }
}

/* A text payload for a diff line: cut, quoted, control characters escaped by jansson; bytes that
 * are not UTF-8 (a backend may send any) as \xNN. New string. */
char *wg_replay_show_text(const char *s, size_t len)
{
    size_t n = len > WG_LIMIT_REPLAY_DIFF_VALUE_CHARS ? WG_LIMIT_REPLAY_DIFF_VALUE_CHARS : len;
    json_t *v = json_stringn(s, n);
    if (v == NULL) {
        /* not UTF-8 (or cut inside a character): every byte >= 0x80 written as \xNN */
        char *ascii = malloc(n * 4 + 1);
        if (ascii == NULL)
            abort();
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c >= 0x80)
                k += (size_t)sprintf(ascii + k, "\\x%02X", c);
            else
                ascii[k++] = (char)c;
        }
        v = json_stringn(ascii, k);
        free(ascii);
    }
    char *out = show(v);
    json_decref(v);
    return out;
}

int wg_replay_compare_payload(const char *what, const char *want, size_t want_len, const char *got, size_t got_len,
                              const wg_replay_compare_options_t *opt, wg_replay_diff_t *diff)
{
    json_t *a = json_loadb(want != NULL ? want : "", want != NULL ? want_len : 0, JSON_DECODE_ANY, NULL);
    json_t *b = a != NULL ? json_loadb(got != NULL ? got : "", got != NULL ? got_len : 0, JSON_DECODE_ANY, NULL) : NULL;
    int same;
    if (a != NULL && b != NULL && (json_is_object(a) || json_is_array(a)) && (json_is_object(b) || json_is_array(b))) {
        same = compare_json(what, "", NULL, a, b, opt, diff);
    } else {
        size_t tlen;
        char *t = translate_ids(want != NULL ? want : "", want != NULL ? want_len : 0, opt, &tlen);
        same = tlen == got_len && (got_len == 0 || memcmp(t, got, got_len) == 0);
        if (!same) {
            char *sa = wg_replay_show_text(want != NULL ? want : "", want_len),
                 *sb = wg_replay_show_text(got != NULL ? got : "", got_len);
            wg_replay_diff_add(diff, "    %s: recorded %s, replayed %s", what, sa, sb);
            free(sa);
            free(sb);
        }
        free(t);
    }
    json_decref(a);
    json_decref(b);
    return same;
}

static const char *kind_name(const wg_replay_answer_t *a)
{
    if (a->http_status == 0)
        return "no HTTP answer";
    switch (a->kind) {
    case WG_PROXY_RESULT_VALID: return "a Lambda proxy result";
    case WG_PROXY_RESULT_INVALID: return "an invalid Lambda proxy result";
    default: return "a plain HTTP answer";
    }
}

int wg_replay_compare_answers(const wg_replay_answer_t *want, const wg_replay_answer_t *got, int is_connect,
                              int compare_body, const wg_replay_compare_options_t *opt, wg_replay_diff_t *diff)
{
    int same = 1;
    if ((want->http_status == 0) != (got->http_status == 0) || want->kind != got->kind) {
        wg_replay_diff_add(diff, "    answer: recorded %s (HTTP %d), replayed %s (HTTP %d)", kind_name(want),
                           want->http_status, kind_name(got), got->http_status);
        same = 0;
    } else if (want->status != got->status) {
        wg_replay_diff_add(diff, "    %s: recorded %d, replayed %d",
                           want->kind == WG_PROXY_RESULT_VALID ? "statusCode" : "HTTP status", want->status,
                           got->status);
        same = 0;
    }
    if (is_connect && ((want->subprotocol == NULL) != (got->subprotocol == NULL) ||
                       (want->subprotocol != NULL && strcmp(want->subprotocol, got->subprotocol) != 0))) {
        wg_replay_diff_add(diff, "    headers.Sec-WebSocket-Protocol: recorded %s, replayed %s",
                           want->subprotocol ? want->subprotocol : "(none)",
                           got->subprotocol ? got->subprotocol : "(none)");
        same = 0;
    }
    if (compare_body && !(want->body == NULL && got->body == NULL)) {
        if ((want->body == NULL) != (got->body == NULL)) {
            wg_replay_diff_add(diff, "    body: recorded %s, replayed %s", want->body ? "a body" : "none",
                               got->body ? "a body" : "none");
            same = 0;
        } else {
            same &= wg_replay_compare_payload("body", want->body, want->body_len, got->body, got->body_len, opt, diff);
        }
    }
    return same;
}

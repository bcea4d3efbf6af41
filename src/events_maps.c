/*
 * events_maps.c: the $connect event's header and query maps (see events_internal.h), with the
 * rules events.c's header comment lists: client spelling, case-insensitive order, repeated
 * headers and query names (last value / all values), AWS's added headers, bytes that are not
 * UTF-8 (AWS-HDR-1..8, AWS-QS-1..3).
 */
#include "events_internal.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "urlcodec.h"
#include "utf8.h"

/* --------------------------------------------------------------- keys ---- */

/* An object key as JSON holds it: bytes that are not UTF-8 replaced like values' are. Two keys
 * that differ only in such bytes become one key (a key set twice keeps its first place and its
 * last value). */
typedef struct json_key {
    const char *text;
    size_t len;
    char *owned; /* the repaired copy when the key was not UTF-8, else NULL */
} json_key_t;

/* Fills *key from s[0..len); returns 1 when it had to be repaired. */
static int key_init(json_key_t *key, const char *s, size_t len)
{
    key->text = s;
    key->len = len;
    key->owned = NULL;
    if (wg_utf8_is_valid(s, len))
        return 0;
    /* each bad byte becomes EF BF BD: 3 * len suffices */
    char *clean = malloc(3 * len + 1);
    if (clean == NULL)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = wg_utf8_sequence_length((const unsigned char *)s + i, len - i);
        if (n == 0) {
            memcpy(clean + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(clean + o, s + i, n);
            o += n;
            i += n;
        }
    }
    key->text = key->owned = clean;
    key->len = o;
    return 1;
}

static bool key_equal(const json_key_t *a, const json_key_t *b)
{
    return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* ------------------------------------------------------------- $connect ---- */

typedef struct header_entry {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
    size_t order; /* position received: ties keep it (a stable sort) */
} header_entry_t;

/* Java's String.CASE_INSENSITIVE_ORDER compares lower-cased characters; so does this (ASCII). */
static int compare_names(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++) {
        int ca = (unsigned char)a[i], cb = (unsigned char)b[i];
        if (ca >= 'A' && ca <= 'Z')
            ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z')
            cb += 'a' - 'A';
        if (ca != cb)
            return ca - cb;
    }
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int compare_entries(const void *pa, const void *pb)
{
    const header_entry_t *a = pa, *b = pb;
    int c = compare_names(a->name, a->name_len, b->name, b->name_len);
    if (c != 0)
        return c;
    return a->order < b->order ? -1 : a->order > b->order ? 1 : 0;
}

static void add_entry(header_entry_t *entries, size_t *count, const char *name, const char *value, size_t value_len)
{
    header_entry_t *e = &entries[*count];
    e->name = name;
    e->name_len = strlen(name);
    e->value = value;
    e->value_len = value_len;
    e->order = *count;
    (*count)++;
}

/* One header as written: entries[start..end) of the sorted list share its name. */
typedef struct header_group {
    json_key_t key; /* the first spelling received */
    size_t start, end;
    size_t source; /* the group whose values are written here (a later one with the same key) */
    int is_repeat; /* its key was written by an earlier group */
} header_group_t;

/* Writes `"headers":{...},"multiValueHeaders":{...}` for the $connect event (AWS-HDR-1..10), or
 * with `is_authorizer` for the authorizer event (AWS-AUTH-5: Connection and Upgrade kept,
 * content-length added). */
void wg_event_put_headers(wg_buf_t *buf, const wg_event_context_t *ctx, const wg_header_t *headers, size_t num_headers,
                          const wg_event_forwarding_t *fwd, int is_authorizer)
{
    header_entry_t *entries = malloc((num_headers + 7) * sizeof(*entries));
    header_group_t *groups = malloc((num_headers + 7) * sizeof(*groups));
    if (entries == NULL || groups == NULL)
        abort();
    size_t count = 0;
    wg_buf_t forwarded_for = WG_BUF_INIT;
    int has_connection = 0, has_upgrade = 0, has_content_length = 0;

    for (size_t i = 0; i < num_headers; i++) {
        const wg_header_t *h = &headers[i];
        if (is_authorizer) {
            has_connection |= wg_headers_ieq(h->name, h->name_len, "Connection");
            has_upgrade |= wg_headers_ieq(h->name, h->name_len, "Upgrade");
            has_content_length |= wg_headers_ieq(h->name, h->name_len, "Content-Length");
        }
        if ((!is_authorizer &&
             (wg_headers_ieq(h->name, h->name_len, "Connection") || wg_headers_ieq(h->name, h->name_len, "Upgrade"))) ||
            wg_headers_ieq(h->name, h->name_len, "X-Amzn-Trace-Id") ||
            wg_headers_ieq(h->name, h->name_len, "X-Forwarded-Port") ||
            wg_headers_ieq(h->name, h->name_len, "X-Forwarded-Proto"))
            continue;
        if (wg_headers_ieq(h->name, h->name_len, "X-Forwarded-For")) {
            if (forwarded_for.len > 0)
                PUT(&forwarded_for, ", ");
            wg_buf_append(&forwarded_for, h->value, h->value_len);
            continue;
        }
        entries[count] = (header_entry_t){h->name, h->name_len, h->value, h->value_len, count};
        count++;
    }
    if (forwarded_for.len > 0)
        PUT(&forwarded_for, ", ");
    wg_buf_append_str(&forwarded_for, ctx->source_ip != NULL ? ctx->source_ip : "");

    if (is_authorizer && !has_connection)
        add_entry(entries, &count, "Connection", "upgrade", 7);
    if (is_authorizer && !has_upgrade)
        add_entry(entries, &count, "Upgrade", "websocket", 9);
    if (is_authorizer && !has_content_length)
        add_entry(entries, &count, "content-length", "0", 1);
    if (fwd != NULL && fwd->trace_id != NULL)
        add_entry(entries, &count, "X-Amzn-Trace-Id", fwd->trace_id, strlen(fwd->trace_id));
    add_entry(entries, &count, "X-Forwarded-For", forwarded_for.data, forwarded_for.len);
    if (fwd != NULL && fwd->forwarded_port != NULL)
        add_entry(entries, &count, "X-Forwarded-Port", fwd->forwarded_port, strlen(fwd->forwarded_port));
    if (fwd != NULL && fwd->forwarded_proto != NULL)
        add_entry(entries, &count, "X-Forwarded-Proto", fwd->forwarded_proto, strlen(fwd->forwarded_proto));

    qsort(entries, count, sizeof(*entries), compare_entries);

    /* Names equal but for case are one group; groups differ, so their keys can only collide
     * once bytes that are not UTF-8 are replaced, and only then is the quadratic search run. */
    size_t num_groups = 0;
    int any_repaired = 0;
    for (size_t i = 0; i < count;) {
        size_t group_end = i + 1;
        while (group_end < count && compare_names(entries[i].name, entries[i].name_len, entries[group_end].name,
                                                  entries[group_end].name_len) == 0)
            group_end++;
        header_group_t *g = &groups[num_groups];
        any_repaired |= key_init(&g->key, entries[i].name, entries[i].name_len);
        g->start = i;
        g->end = group_end;
        g->source = num_groups;
        g->is_repeat = 0;
        num_groups++;
        i = group_end;
    }
    for (size_t i = 0; any_repaired && i < num_groups; i++) {
        for (size_t j = 0; j < i; j++) {
            if (!groups[j].is_repeat && key_equal(&groups[j].key, &groups[i].key)) {
                groups[j].source = i;
                groups[i].is_repeat = 1;
                break;
            }
        }
    }

    PUT(buf, "\"headers\":{");
    int first = 1;
    for (size_t i = 0; i < num_groups; i++) {
        if (groups[i].is_repeat)
            continue;
        const header_entry_t *last = &entries[groups[groups[i].source].end - 1];
        if (!first)
            put_char(buf, ',');
        first = 0;
        wg_json_text_put_string_lossy(buf, groups[i].key.text, groups[i].key.len);
        put_char(buf, ':');
        wg_json_text_put_string_lossy(buf, last->value, last->value_len);
    }
    PUT(buf, "},\"multiValueHeaders\":{");
    first = 1;
    for (size_t i = 0; i < num_groups; i++) {
        if (groups[i].is_repeat)
            continue;
        const header_group_t *source = &groups[groups[i].source];
        if (!first)
            put_char(buf, ',');
        first = 0;
        wg_json_text_put_string_lossy(buf, groups[i].key.text, groups[i].key.len);
        PUT(buf, ":[");
        for (size_t j = source->start; j < source->end; j++) {
            if (j > source->start)
                put_char(buf, ',');
            wg_json_text_put_string_lossy(buf, entries[j].value, entries[j].value_len);
        }
        put_char(buf, ']');
    }
    put_char(buf, '}');

    for (size_t i = 0; i < num_groups; i++)
        free(groups[i].key.owned);
    wg_buf_free(&forwarded_for);
    free(groups);
    free(entries);
}

/* One query parameter, by key: params sorted by (key, position) put repeats side by side. */
typedef struct query_entry {
    json_key_t key;
    const char *value;
    size_t position;
} query_entry_t;

static int compare_query_entries(const void *pa, const void *pb)
{
    const query_entry_t *a = pa, *b = pb;
    size_t n = a->key.len < b->key.len ? a->key.len : b->key.len;
    int c = memcmp(a->key.text, b->key.text, n);
    if (c != 0)
        return c;
    if (a->key.len != b->key.len)
        return a->key.len < b->key.len ? -1 : 1;
    return a->position < b->position ? -1 : a->position > b->position ? 1 : 0;
}

/* Writes `,"queryStringParameters":{...},"multiValueQueryStringParameters":{...}` when the query
 * has at least one parameter (AWS-QS-1, AWS-QS-2, AWS-QS-7); with `always`, also when it has none
 * ({} each, the authorizer event, AWS-QS-4). Keys in order of first appearance; the single map
 * holds a repeated key's last value, the multi map all its values. Names and values are C strings
 * (a decoded %00 ends them, as it always has). */
void wg_event_put_query(wg_buf_t *buf, const char *raw_query, size_t raw_query_len, int always)
{
    wg_query_t query;
    wg_urlcodec_query_parse(raw_query != NULL ? raw_query : "", raw_query != NULL ? raw_query_len : 0, &query);
    if (query.count == 0 && !always) {
        wg_urlcodec_query_free(&query);
        return;
    }
    size_t n = query.count;
    query_entry_t *sorted = malloc((n + 1) * sizeof(*sorted));
    size_t *group_of = malloc((n + 1) * 2 * sizeof(*group_of)); /* position -> [start, end) in sorted */
    if (sorted == NULL || group_of == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        const wg_query_param_t *p = &query.params[i];
        key_init(&sorted[i].key, p->name, strlen(p->name));
        sorted[i].value = p->value != NULL ? p->value : "";
        sorted[i].position = i;
    }
    if (n > 1)
        qsort(sorted, n, sizeof(*sorted), compare_query_entries);
    for (size_t i = 0; i < n;) {
        size_t end = i + 1;
        while (end < n && key_equal(&sorted[i].key, &sorted[end].key))
            end++;
        for (size_t j = i; j < end; j++) {
            group_of[2 * sorted[j].position] = i;
            group_of[2 * sorted[j].position + 1] = end;
        }
        i = end;
    }

    PUT(buf, ",\"queryStringParameters\":{");
    for (int multi = 0; multi <= 1; multi++) {
        int first = 1;
        for (size_t i = 0; i < n; i++) {
            size_t start = group_of[2 * i], end = group_of[2 * i + 1];
            if (sorted[start].position != i)
                continue; /* not the key's first appearance */
            if (!first)
                put_char(buf, ',');
            first = 0;
            wg_json_text_put_string_lossy(buf, sorted[start].key.text, sorted[start].key.len);
            put_char(buf, ':');
            if (!multi) {
                put_cstr(buf, sorted[end - 1].value);
                continue;
            }
            put_char(buf, '[');
            for (size_t j = start; j < end; j++) {
                if (j > start)
                    put_char(buf, ',');
                put_cstr(buf, sorted[j].value);
            }
            put_char(buf, ']');
        }
        if (multi)
            put_char(buf, '}');
        else
            PUT(buf, "},\"multiValueQueryStringParameters\":{");
    }
    for (size_t i = 0; i < n; i++)
        free(sorted[i].key.owned);
    free(group_of);
    free(sorted);
    wg_urlcodec_query_free(&query);
}

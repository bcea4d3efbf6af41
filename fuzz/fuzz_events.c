/*
 * fuzz_events.c: libFuzzer target for the $connect event builder (src/events.c), which copies
 * the client's handshake headers and query into JSON. Input: lines separated by '\n'; every line
 * but the last is a header "Name: value" (split at the first ':', one optional space skipped; a
 * line without ':' is a name with an empty value); the last line is the query: "?a=1&b" means the
 * URL had a query ("?" alone: an empty one), anything else means no '?' in the URL. The event
 * must always be valid JSON. Header names containing NUL are dropped (h2o never passes them).
 * The whole input, when it is UTF-8, is also written as one JSON string by the event writer and
 * must come out exactly as jansson writes it (the writer replaced jansson's json_dumps).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "events.h"
#include "json_text.h"
#include "utf8.h"

#define MAX_HEADERS 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *input = (const char *)data;
    wg_header_t headers[MAX_HEADERS];
    size_t num_headers = 0;
    size_t pos = 0;

    const char *last_newline = NULL;
    for (size_t i = size; i > 0; i--) {
        if (input[i - 1] == '\n') {
            last_newline = input + i - 1;
            break;
        }
    }
    size_t headers_end = last_newline ? (size_t)(last_newline - input) : 0;
    while (last_newline != NULL && pos <= headers_end && num_headers < MAX_HEADERS) {
        const char *line = input + pos;
        const char *eol = memchr(line, '\n', headers_end - pos + 1);
        size_t line_len = (size_t)(eol - line);
        const char *colon = memchr(line, ':', line_len);
        wg_header_t *h = &headers[num_headers++];
        h->name = line;
        if (colon != NULL) {
            h->name_len = (size_t)(colon - line);
            h->value = colon + 1;
            h->value_len = line_len - h->name_len - 1;
            if (h->value_len > 0 && h->value[0] == ' ') {
                h->value++;
                h->value_len--;
            }
        } else {
            h->name_len = line_len;
            h->value = line + line_len;
            h->value_len = 0;
        }
        pos += line_len + 1;
        /* h2o (picohttpparser) only passes token characters in header names, never NUL; jansson
         * cannot hold a NUL in an object key, so such a line would only test the oracle. */
        if (memchr(h->name, '\0', h->name_len) != NULL)
            num_headers--;
    }
    const char *query_line = last_newline ? last_newline + 1 : input;
    size_t query_len = size - (size_t)(query_line - input);
    int has_query = query_len > 0 && query_line[0] == '?';

    wg_event_context_t ctx = {
        .route_key = "$connect",
        .connection_id = "L0SM9cOFvHcCIhw=",
        .request_id = "L0SM9FRZvHcF9Cw=",
        .stage = "local",
        .domain_name = "127.0.0.1:3001",
        .api_id = "abcdefghij",
        .connected_at = 1588278633236ULL,
        .request_time_ms = 1588278633236ULL,
        .source_ip = "127.0.0.1",
        .user_agent = size % 2 ? "fuzz/1.0" : NULL,
    };
    wg_event_forwarding_t fwd = {
        .trace_id = "Root=1-5eab3f69-0123456789abcdef01234567",
        .forwarded_port = "443",
        .forwarded_proto = "https",
    };
    size_t len = 0;
    char *event = wg_event_connect(&ctx, headers, num_headers, has_query, has_query ? query_line + 1 : NULL,
                                   has_query ? query_len - 1 : 0, &fwd, &len);
    if (event == NULL)
        abort();
    if (strlen(event) != len)
        abort();
    json_error_t error;
    /* JSON_ALLOW_NUL: "\u0000" is valid JSON (a client may send %00 in the query). */
    json_t *parsed = json_loadb(event, len, JSON_ALLOW_NUL, &error);
    if (parsed == NULL || !json_is_object(parsed)) {
        /* the event must be valid JSON whatever the client sent */
        fprintf(stderr, "fuzz_events: invalid event JSON (%s at %d): %.*s\n", parsed ? "not an object" : error.text,
                error.position, (int)len, event);
        abort();
    }
    json_decref(parsed);
    free(event);

    if (wg_utf8_is_valid(data, size)) {
        wg_buf_t mine = WG_BUF_INIT;
        wg_json_text_put_string_lossy(&mine, input, size);
        json_t *str = json_stringn(input, size);
        char *theirs = str != NULL ? json_dumps(str, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        if (theirs == NULL || strlen(theirs) != mine.len || memcmp(theirs, mine.data, mine.len) != 0) {
            fprintf(stderr, "fuzz_events: string written as %.*s, jansson writes %s\n", (int)mine.len, mine.data,
                    theirs != NULL ? theirs : "(nothing)");
            abort();
        }
        free(theirs);
        json_decref(str);
        wg_buf_free(&mine);
    }
    return 0;
}

/*
 * events_internal.h: what events.c and events_maps.c share: the inline writers events are made of,
 * and the $connect header and query maps (events_maps.c) that wg_event_connect and
 * wg_event_authorizer put into their events.
 */
#ifndef WG_EVENTS_INTERNAL_H
#define WG_EVENTS_INTERNAL_H

#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "events.h"
#include "headers.h"
#include "json_text.h"

static inline void put_char(wg_buf_t *buf, char c)
{
    wg_buf_append(buf, &c, 1);
}

#define PUT(buf, literal) wg_buf_append((buf), (literal), sizeof(literal) - 1)

static inline void put_cstr(wg_buf_t *buf, const char *s)
{
    wg_json_text_put_string_lossy(buf, s, s != NULL ? strlen(s) : 0);
}

/** `headers` and `multiValueHeaders` of a $connect (or, `is_authorizer`, an authorizer) event:
 * the client's headers with AWS's rules (AWS-HDR-1..8) plus the AWS-added ones from `fwd`. */
void wg_event_put_headers(wg_buf_t *buf, const wg_event_context_t *ctx, const wg_header_t *headers, size_t num_headers,
                          const wg_event_forwarding_t *fwd, int is_authorizer);
/** `queryStringParameters` and `multiValueQueryStringParameters` of raw_query (AWS-QS-1..3);
 * `always`: write both even without a query (null), as the authorizer event does. */
void wg_event_put_query(wg_buf_t *buf, const char *raw_query, size_t raw_query_len, int always);

#endif

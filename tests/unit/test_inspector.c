/*
 * test_inspector.c: the inspector's ring (entry count and byte budget, lookup by seq) and its
 * hooks: nothing is recorded while no page watches, fields are cut at the field limit,
 * --inspector-history bounds the entries, credentials in events are redacted, entries written
 * directly escape text exactly as jansson does, the ring's arena keeps copies intact; a range of
 * kept entries is written as a JSON array body within a byte cap, and the live rate cap skips the
 * oldest entries over a page's budget but never its history.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "inspector.h"
#include "limits.h"
#include "server.h"

static char *dup_text(const char *s)
{
    char *p = strdup(s);
    ck_assert_ptr_nonnull(p);
    return p;
}

START_TEST(test_ring_capacity)
{
    wg_inspector_ring_t *ring = wg_inspector_ring_new(3, 1 << 20);
    ck_assert_uint_eq(wg_inspector_ring_next_seq(ring), 1);
    ck_assert_uint_eq(wg_inspector_ring_oldest_seq(ring), 1);
    const char *texts[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(wg_inspector_ring_push(ring, dup_text(texts[i]), 1), (uint64_t)i + 1);
    ck_assert_uint_eq(wg_inspector_ring_count(ring), 3);
    ck_assert_uint_eq(wg_inspector_ring_oldest_seq(ring), 3);
    ck_assert_uint_eq(wg_inspector_ring_next_seq(ring), 6);
    ck_assert_ptr_null(wg_inspector_ring_get(ring, 1));
    ck_assert_ptr_null(wg_inspector_ring_get(ring, 2));
    ck_assert_ptr_null(wg_inspector_ring_get(ring, 6));
    ck_assert_str_eq(wg_inspector_ring_get(ring, 3)->text, "c");
    ck_assert_str_eq(wg_inspector_ring_get(ring, 5)->text, "e");
    ck_assert_uint_eq(wg_inspector_ring_get(ring, 4)->seq, 4);
    ck_assert_uint_eq(wg_inspector_ring_bytes(ring), 3);
    wg_inspector_ring_free(ring);
}
END_TEST

START_TEST(test_ring_byte_budget)
{
    wg_inspector_ring_t *ring = wg_inspector_ring_new(100, 10);
    for (int i = 0; i < 5; i++) {
        wg_inspector_ring_push(ring, dup_text("1234"), 4);
        ck_assert_uint_le(wg_inspector_ring_bytes(ring), 10);
    }
    ck_assert_uint_eq(wg_inspector_ring_count(ring), 2);
    ck_assert_uint_eq(wg_inspector_ring_oldest_seq(ring), 4);
    /* an entry bigger than the whole budget is still kept, alone */
    wg_inspector_ring_push(ring, dup_text("0123456789abcdef"), 16);
    ck_assert_uint_eq(wg_inspector_ring_count(ring), 1);
    ck_assert_str_eq(wg_inspector_ring_get(ring, 6)->text, "0123456789abcdef");
    wg_inspector_ring_push(ring, dup_text("xy"), 2);
    ck_assert_uint_eq(wg_inspector_ring_count(ring), 1);
    ck_assert_uint_eq(wg_inspector_ring_bytes(ring), 2);
    wg_inspector_ring_free(ring);
}
END_TEST

static wg_config_t cfg;
static wg_server_t server;

static void start_inspector(uint32_t history)
{
    memset(&cfg, 0, sizeof(cfg));
    memset(&server, 0, sizeof(server));
    cfg.host = "127.0.0.1";
    cfg.inspector_history = history;
    server.config = &cfg;
    wg_inspector_watchers = 0;
    wg_inspector_init(&server);
}

START_TEST(test_nothing_recorded_without_a_page)
{
    start_inspector(0);
    ck_assert(wg_inspector_is_enabled());
    wg_inspector_note_frame("CONN", "in", NULL, "hello", 5);
    wg_inspector_note_rejected("CONN", 403, "no");
    ck_assert_uint_eq(wg_inspector_ring_count(wg_inspector_ring()), 0);
    wg_inspector_watchers = 1;
    wg_inspector_note_frame("CONN", "in", NULL, "<script>x</script>", 18);
    ck_assert_uint_eq(wg_inspector_ring_count(wg_inspector_ring()), 1);
    const char *text = wg_inspector_ring_get(wg_inspector_ring(), 1)->text;
    ck_assert_ptr_nonnull(strstr(text, "\"kind\":\"frame\""));
    ck_assert_ptr_nonnull(strstr(text, "\"conn\":\"CONN\""));
    ck_assert_ptr_nonnull(strstr(text, "\"data\":\"<script>x</script>\""));
    ck_assert_ptr_nonnull(strstr(text, "{\"seq\":1,"));
    wg_inspector_watchers = 0;
    wg_inspector_dispose();
}
END_TEST

START_TEST(test_history_and_field_limits)
{
    start_inspector(5);
    wg_inspector_watchers = 1;
    for (int i = 0; i < 10; i++)
        wg_inspector_note_frame("CONN", "out", "postToConnection", "x", 1);
    ck_assert_uint_eq(wg_inspector_ring_count(wg_inspector_ring()), 5);
    ck_assert_uint_eq(wg_inspector_ring_oldest_seq(wg_inspector_ring()), 6);
    size_t big = WG_LIMIT_INSPECTOR_FIELD_BYTES + 5000;
    char *data = malloc(big);
    ck_assert_ptr_nonnull(data);
    memset(data, 'a', big);
    data[WG_LIMIT_INSPECTOR_FIELD_BYTES - 1] = (char)0xC3; /* a 2-byte character across the cut */
    data[WG_LIMIT_INSPECTOR_FIELD_BYTES] = (char)0xA9;
    wg_inspector_note_frame("CONN", "in", NULL, data, big);
    free(data);
    const wg_inspector_entry_t *e = wg_inspector_ring_get(wg_inspector_ring(), 11);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_lt(e->len, WG_LIMIT_INSPECTOR_FIELD_BYTES + 300);
    ck_assert_uint_gt(e->len, WG_LIMIT_INSPECTOR_FIELD_BYTES - 10);
    ck_assert_ptr_nonnull(strstr(e->text, "\"truncated\":true"));
    ck_assert_ptr_null(strstr(e->text, "not UTF-8")); /* cut on the character boundary */
    wg_inspector_watchers = 0;
    wg_inspector_dispose();
}
END_TEST

START_TEST(test_event_credentials_redacted)
{
    start_inspector(0);
    wg_inspector_watchers = 1;
    wg_route_config_t route;
    memset(&route, 0, sizeof(route));
    route.key = "$connect";
    route.type = WG_INTEGRATION_HTTP;
    route.uri = "http://127.0.0.1:9/";
    const char *event = "{\"headers\":{\"Authorization\":\"Bearer SECRET1\",\"X-Ok\":\"visible\"},"
                        "\"multiValueHeaders\":{\"Cookie\":[\"SECRET2\"]},"
                        "\"queryStringParameters\":{\"X-Amz-Security-Token\":\"SECRET3\"}}";
    wg_inspector_note_call("CONN", "REQ", &route, event, strlen(event));
    const char *text = wg_inspector_ring_get(wg_inspector_ring(), 1)->text;
    ck_assert_ptr_null(strstr(text, "SECRET"));
    ck_assert_ptr_nonnull(strstr(text, "visible"));
    ck_assert_ptr_nonnull(strstr(text, "\"routeKey\":\"$connect\""));
    ck_assert_ptr_nonnull(strstr(text, "\"target\":\"http://127.0.0.1:9/\""));
    wg_inspector_watchers = 0;
    wg_inspector_dispose();
}
END_TEST

START_TEST(test_enabled_only_on_loopback_unless_asked)
{
    start_inspector(0);
    wg_inspector_dispose();
    cfg.host = "0.0.0.0";
    wg_inspector_init(&server);
    ck_assert(!wg_inspector_is_enabled());
    wg_inspector_dispose();
    cfg.inspector_mode = 1;
    wg_inspector_init(&server);
    ck_assert(wg_inspector_is_enabled());
    wg_inspector_dispose();
    /* an extra --listen on another address turns the default off */
    cfg.host = "127.0.0.1";
    cfg.inspector_mode = 0;
    char *listen[] = {"127.0.0.1:4443", "192.0.2.1:443"};
    cfg.listen = listen;
    cfg.num_listen = 1;
    wg_inspector_init(&server);
    ck_assert(wg_inspector_is_enabled());
    wg_inspector_dispose();
    cfg.num_listen = 2;
    wg_inspector_init(&server);
    ck_assert(!wg_inspector_is_enabled());
    wg_inspector_dispose();
    cfg.listen = NULL;
    cfg.num_listen = 0;
    cfg.inspector_mode = -1;
    wg_inspector_init(&server);
    ck_assert(!wg_inspector_is_enabled());
    wg_inspector_dispose();
}
END_TEST

START_TEST(test_ring_arena)
{
    /* copies kept in arena blocks: contents intact across block boundaries, blocks released as
     * entries go (ASan reports a leak or a use after free otherwise), big entries on their own */
    wg_inspector_ring_t *ring = wg_inspector_ring_new(50, 1 << 20);
    char text[WG_LIMIT_INSPECTOR_ARENA_BLOCK];
    for (int i = 0; i < 400; i++) {
        size_t len = (size_t)(i * 7919) % 3000 + 1;
        if (i % 97 == 0)
            len = sizeof(text) - 1; /* over a quarter block: allocated on its own */
        memset(text, 'a' + i % 26, len);
        ck_assert_uint_eq(wg_inspector_ring_push_copy(ring, text, len), (uint64_t)i + 1);
        const wg_inspector_entry_t *e = wg_inspector_ring_get(ring, (uint64_t)i + 1);
        ck_assert_uint_eq(e->len, len);
        ck_assert_int_eq(e->text[len], '\0');
        ck_assert_int_eq(e->text[0], 'a' + i % 26);
        ck_assert_int_eq(e->text[len - 1], 'a' + i % 26);
    }
    ck_assert_uint_eq(wg_inspector_ring_count(ring), 50);
    for (uint64_t s = wg_inspector_ring_oldest_seq(ring); s < wg_inspector_ring_next_seq(ring); s++) {
        const wg_inspector_entry_t *e = wg_inspector_ring_get(ring, s);
        for (size_t k = 0; k < e->len; k++)
            ck_assert_int_eq(e->text[k], (int)('a' + (s - 1) % 26));
    }
    /* mixed with taken texts */
    wg_inspector_ring_push(ring, dup_text("taken"), 5);
    wg_inspector_ring_push_copy(ring, "copied", 6);
    ck_assert_str_eq(wg_inspector_ring_get(ring, 401)->text, "taken");
    ck_assert_str_eq(wg_inspector_ring_get(ring, 402)->text, "copied");
    wg_inspector_ring_free(ring);
}
END_TEST

/* The frame entry's "data" member, as written directly, is what jansson writes for the same text. */
START_TEST(test_direct_entries_escape_like_jansson)
{
    static const struct {
        const char *s;
        size_t len;
    } cases[] = {
#define CASE(lit) {lit, sizeof(lit) - 1}
        CASE("plain"),
        CASE("q\"uote\\back/slash"),
        CASE("\b\f\n\r\t\x01\x1f\x7f"),
        CASE("nul\0byte"),
        CASE("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8"),
        CASE("<script>alert(1)</script>"),
        CASE(""),
#undef CASE
    };
    start_inspector(100);
    wg_inspector_watchers = 1;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wg_inspector_note_frame("CONN", "in", NULL, cases[i].s, cases[i].len);
        const wg_inspector_entry_t *e = wg_inspector_ring_get(wg_inspector_ring(), i + 1);
        json_t *str = json_stringn(cases[i].s, cases[i].len);
        ck_assert_ptr_nonnull(str);
        char *dumped = json_dumps(str, JSON_ENCODE_ANY | JSON_COMPACT);
        char expect[256];
        snprintf(expect, sizeof(expect), ",\"data\":%s}", dumped);
        ck_assert_msg(strstr(e->text, expect) != NULL, "case %zu: %s lacks %s", i, e->text, expect);
        json_t *doc = json_loadb(e->text, e->len, JSON_ALLOW_NUL, NULL);
        ck_assert(json_is_object(doc));
        ck_assert(json_equal(json_object_get(doc, "data"), str));
        json_decref(doc);
        free(dumped);
        json_decref(str);
    }
    /* not UTF-8 (a lone continuation byte, an overlong form, a surrogate): a note, as jansson refuses it */
    static const char *bad[] = {"a\x80z", "\xc0\xaf", "\xed\xa0\x80"};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_ptr_null(json_string(bad[i]));
        wg_inspector_note_frame("CONN", "in", NULL, bad[i], strlen(bad[i]));
        const char *text =
            wg_inspector_ring_get(wg_inspector_ring(), wg_inspector_ring_next_seq(wg_inspector_ring()) - 1)->text;
        ck_assert_ptr_nonnull(strstr(text, "bytes, not UTF-8 text)\""));
        json_t *doc = json_loads(text, 0, NULL);
        ck_assert(json_is_object(doc));
        json_decref(doc);
    }
    wg_inspector_watchers = 0;
    wg_inspector_dispose();
}
END_TEST

START_TEST(test_ring_write_range)
{
    wg_inspector_ring_t *ring = wg_inspector_ring_new(4, 1 << 20);
    const char *texts[] = {"{\"seq\":1}", "{\"seq\":2}", "{\"seq\":3}", "{\"seq\":4}", "{\"seq\":5}", "{\"seq\":6}"};
    for (int i = 0; i < 6; i++)
        wg_inspector_ring_push_copy(ring, texts[i], strlen(texts[i]));
    /* kept: 3..6; a start before the oldest is raised to it, an end past the newest lowered */
    wg_buf_t out = WG_BUF_INIT;
    ck_assert_uint_eq(wg_inspector_ring_write_range(ring, 1, 100, 1 << 20, &out), 7);
    ck_assert_str_eq(out.data, "{\"seq\":3},{\"seq\":4},{\"seq\":5},{\"seq\":6}");
    wg_buf_reset(&out);
    ck_assert_uint_eq(wg_inspector_ring_write_range(ring, 4, 6, 1 << 20, &out), 6);
    ck_assert_str_eq(out.data, "{\"seq\":4},{\"seq\":5}");
    /* the byte cap stops before the entry that would pass it: 9 + 1 + 9 = 19 fits, 29 does not */
    wg_buf_reset(&out);
    ck_assert_uint_eq(wg_inspector_ring_write_range(ring, 3, 7, 28, &out), 5);
    ck_assert_str_eq(out.data, "{\"seq\":3},{\"seq\":4}");
    /* the first entry is always written, even over the cap, so a caller always advances */
    wg_buf_reset(&out);
    ck_assert_uint_eq(wg_inspector_ring_write_range(ring, 5, 7, 1, &out), 6);
    ck_assert_str_eq(out.data, "{\"seq\":5}");
    /* an empty range writes nothing */
    wg_buf_reset(&out);
    ck_assert_uint_eq(wg_inspector_ring_write_range(ring, 7, 9, 1 << 20, &out), 7);
    ck_assert_uint_eq(out.len, 0);
    wg_buf_free(&out);
    wg_inspector_ring_free(ring);
}
END_TEST

START_TEST(test_pace_refill)
{
    wg_inspector_pace_t pace = {.budget = 0, .at_ms = 1000};
    /* 500 a second: 10 in 20 ms */
    wg_inspector_pace_refill(&pace, 1020, 500, 250);
    ck_assert_uint_eq(pace.budget, 10);
    /* 3 ms add one entry (2 ms' worth); the third millisecond is kept: one more makes the next */
    wg_inspector_pace_refill(&pace, 1023, 500, 250);
    ck_assert_uint_eq(pace.budget, 11);
    wg_inspector_pace_refill(&pace, 1024, 500, 250);
    ck_assert_uint_eq(pace.budget, 12);
    wg_inspector_pace_refill(&pace, 1025, 500, 250);
    ck_assert_uint_eq(pace.budget, 12);
    /* time going backwards (or standing still) adds nothing */
    wg_inspector_pace_refill(&pace, 900, 500, 250);
    ck_assert_uint_eq(pace.budget, 12);
    /* a long quiet time fills the bucket to the burst, and banks nothing beyond it */
    wg_inspector_pace_refill(&pace, 60000, 500, 250);
    ck_assert_uint_eq(pace.budget, 250);
    pace.budget = 0;
    wg_inspector_pace_refill(&pace, 60020, 500, 250);
    ck_assert_uint_eq(pace.budget, 10);
}
END_TEST

START_TEST(test_thin_skip)
{
    /* within the budget: nothing skipped */
    ck_assert_uint_eq(wg_inspector_thin_skip(100, 1, 105, 1, 10), 0);
    ck_assert_uint_eq(wg_inspector_thin_skip(100, 1, 110, 1, 10), 0);
    /* over it: the oldest go, the newest `budget` stay */
    ck_assert_uint_eq(wg_inspector_thin_skip(100, 1, 111, 1, 10), 1);
    ck_assert_uint_eq(wg_inspector_thin_skip(100, 1, 2100, 1, 10), 1990);
    /* an exhausted budget skips everything pending */
    ck_assert_uint_eq(wg_inspector_thin_skip(100, 1, 150, 1, 0), 50);
    /* nothing pending */
    ck_assert_uint_eq(wg_inspector_thin_skip(100, 1, 100, 1, 10), 0);
    /* the history sent on opening (before live_from) is never thinned */
    ck_assert_uint_eq(wg_inspector_thin_skip(5, 1, 5000, 1000, 10), 0);
    ck_assert_uint_eq(wg_inspector_thin_skip(1000, 1, 5000, 1000, 10), 3990);
    /* entries the ring dropped since the last flush are skipped too (a budget over a small history) */
    ck_assert_uint_eq(wg_inspector_thin_skip(100, 196, 200, 1, 10), 96);
    ck_assert_uint_eq(wg_inspector_thin_skip(100, 150, 200, 1, 10), 90);
}
END_TEST

Suite *wg_test_suite_inspector(void)
{
    Suite *s = suite_create("inspector");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_ring_capacity);
    tcase_add_test(tc, test_ring_byte_budget);
    tcase_add_test(tc, test_nothing_recorded_without_a_page);
    tcase_add_test(tc, test_history_and_field_limits);
    tcase_add_test(tc, test_event_credentials_redacted);
    tcase_add_test(tc, test_enabled_only_on_loopback_unless_asked);
    tcase_add_test(tc, test_ring_arena);
    tcase_add_test(tc, test_direct_entries_escape_like_jansson);
    tcase_add_test(tc, test_ring_write_range);
    tcase_add_test(tc, test_thin_skip);
    tcase_add_test(tc, test_pace_refill);
    suite_add_tcase(s, tc);
    return s;
}

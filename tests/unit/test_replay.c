/*
 * test_replay.c: the Lambda proxy result validator of `wsgate replay` and the fixture file
 * format of `wsgate --record` (replay.h, recorder.h). No sockets; the recorder writes into a
 * mkdtemp directory that each test removes.
 */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recorder.h"
#include "replay.h"
#include "replay_compare.h"

static wg_proxy_result_kind_t classify(const char *body, int *code, char *why)
{
    return wg_replay_check_proxy_result(body, strlen(body), code, why, 160);
}

START_TEST(test_proxy_valid)
{
    int code = 0;
    char why[160] = "";
    ck_assert_int_eq(classify("{\"statusCode\":200}", &code, why), WG_PROXY_RESULT_VALID);
    ck_assert_int_eq(code, 200);
    ck_assert_int_eq(classify("{\"statusCode\":403,\"body\":\"no\",\"headers\":{\"A\":\"b\"},"
                              "\"multiValueHeaders\":{\"A\":[\"b\",\"c\"]},\"isBase64Encoded\":false,"
                              "\"extra\":[1]}",
                              &code, why),
                     WG_PROXY_RESULT_VALID);
    ck_assert_int_eq(code, 403);
    /* null members are how many Lambda runtimes serialise unset fields */
    ck_assert_int_eq(classify("{\"statusCode\":200,\"body\":null,\"headers\":null}", &code, why),
                     WG_PROXY_RESULT_VALID);
}
END_TEST

START_TEST(test_proxy_invalid)
{
    char why[160];
    ck_assert_int_eq(classify("{\"statusCode\":\"200\"}", NULL, why), WG_PROXY_RESULT_INVALID);
    ck_assert_ptr_nonnull(strstr(why, "statusCode"));
    ck_assert_int_eq(classify("{\"statusCode\":42}", NULL, why), WG_PROXY_RESULT_INVALID);
    ck_assert_int_eq(classify("{\"statusCode\":200.5}", NULL, why), WG_PROXY_RESULT_INVALID);
    ck_assert_int_eq(classify("{\"statusCode\":200,\"body\":{\"a\":1}}", NULL, why), WG_PROXY_RESULT_INVALID);
    ck_assert_ptr_nonnull(strstr(why, "\"body\""));
    ck_assert_int_eq(classify("{\"statusCode\":200,\"headers\":{\"A\":1}}", NULL, why), WG_PROXY_RESULT_INVALID);
    ck_assert_int_eq(classify("{\"statusCode\":200,\"headers\":[]}", NULL, why), WG_PROXY_RESULT_INVALID);
    ck_assert_int_eq(classify("{\"statusCode\":200,\"multiValueHeaders\":{\"A\":\"b\"}}", NULL, why),
                     WG_PROXY_RESULT_INVALID);
    ck_assert_int_eq(classify("{\"statusCode\":200,\"multiValueHeaders\":{\"A\":[1]}}", NULL, why),
                     WG_PROXY_RESULT_INVALID);
    ck_assert_int_eq(classify("{\"statusCode\":200,\"isBase64Encoded\":\"false\"}", NULL, why),
                     WG_PROXY_RESULT_INVALID);
}
END_TEST

START_TEST(test_proxy_none)
{
    ck_assert_int_eq(classify("", NULL, NULL), WG_PROXY_RESULT_NONE);
    ck_assert_int_eq(classify("hello", NULL, NULL), WG_PROXY_RESULT_NONE);
    ck_assert_int_eq(classify("[1,2]", NULL, NULL), WG_PROXY_RESULT_NONE);
    ck_assert_int_eq(classify("{\"message\":\"hi\"}", NULL, NULL), WG_PROXY_RESULT_NONE);
    /* not NUL-terminated: only len bytes count */
    ck_assert_int_eq(wg_replay_check_proxy_result("{\"statusCode\":200}xyz", 18, NULL, NULL, 0), WG_PROXY_RESULT_VALID);
}
END_TEST

START_TEST(test_judge)
{
    char s[256];
    ck_assert_int_eq(wg_replay_judge(200, "", 0, s, sizeof(s)), 1);
    ck_assert_ptr_nonnull(strstr(s, "plain"));
    ck_assert_int_eq(wg_replay_judge(204, NULL, 0, s, sizeof(s)), 1);
    ck_assert_int_eq(wg_replay_judge(200, "{\"statusCode\":200}", 18, s, sizeof(s)), 1);
    ck_assert_str_eq(s, "Lambda proxy result, statusCode 200");
    ck_assert_int_eq(wg_replay_judge(200, "{\"statusCode\":401}", 18, s, sizeof(s)), 0);
    ck_assert_int_eq(wg_replay_judge(500, "{\"statusCode\":200}", 18, s, sizeof(s)), 0);
    ck_assert_str_eq(s, "HTTP status 500 is not 2xx");
    ck_assert_int_eq(wg_replay_judge(0, NULL, 0, s, sizeof(s)), 0);
    ck_assert_int_eq(wg_replay_judge(200, "{\"statusCode\":\"200\"}", 20, s, sizeof(s)), 0);
    ck_assert_ptr_nonnull(strstr(s, "invalid Lambda proxy result"));
}
END_TEST

START_TEST(test_file_name)
{
    char name[96];
    wg_recorder_file_name(1, "$connect", name, sizeof(name));
    ck_assert_str_eq(name, "0001-connect.json");
    wg_recorder_file_name(12, "$default", name, sizeof(name));
    ck_assert_str_eq(name, "0012-default.json");
    wg_recorder_file_name(3, "chat/join now", name, sizeof(name));
    ck_assert_str_eq(name, "0003-chat_join_now.json");
    wg_recorder_file_name(10000, "", name, sizeof(name));
    ck_assert_str_eq(name, "10000-_.json");
    wg_recorder_file_name(4, "$", name, sizeof(name));
    ck_assert_str_eq(name, "0004-_.json");
}
END_TEST

/* ---- recorder files ---- */

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/wg-test-replay-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char path[512];
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(tmpdir);
}

static json_t *load(const char *name)
{
    char path[512];
    json_error_t err;
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    json_t *doc = json_load_file(path, 0, &err);
    ck_assert_msg(doc != NULL, "cannot load %s: %s", path, err.text);
    return doc;
}

/* The keys of an object, joined by ',', in the file's order. */
static void keys_of(json_t *obj, char *out, size_t out_size)
{
    const char *key;
    json_t *v;
    out[0] = '\0';
    json_object_foreach(obj, key, v) {
        if (out[0] != '\0')
            strncat(out, ",", out_size - strlen(out) - 1);
        strncat(out, key, out_size - strlen(out) - 1);
    }
}

START_TEST(test_recorder_format)
{
    char err[256] = "", keys[512];
    make_tmpdir();
    wg_recorder_t *rec = wg_recorder_open(tmpdir, err, sizeof(err));
    ck_assert_msg(rec != NULL, "%s", err);

    /* keys deliberately not in alphabetical order: the file must keep the event's order */
    const char *event = "{\"requestContext\":{\"routeKey\":\"chat\",\"messageId\":\"BFaVtfGSIAMCKug=\","
                        "\"eventType\":\"MESSAGE\",\"connectedAt\":1731332735513},"
                        "\"body\":\"{\\\"action\\\": \\\"chat\\\"}\",\"isBase64Encoded\":false}";
    wg_recorder_event(rec, "$connect", 0, "BFaT_fALIAMCKug=", "{\"headers\":{}}", 14, 200, NULL, 0);
    wg_recorder_event(rec, "chat", 1, "BFaT_fALIAMCKug=", event, strlen(event), 200, "{\"statusCode\":200}", 18);
    wg_recorder_event(rec, "$default", 0, "BFaT_fALIAMCKug=", "not json", 8, 0, "\xff\xfe", 2);
    wg_recorder_close(rec);

    json_t *doc = load("0002-chat.json");
    keys_of(doc, keys, sizeof(keys));
    ck_assert_str_eq(keys, "routeKey,connectionId,twoWay,event,response");
    ck_assert(json_is_true(json_object_get(doc, "twoWay")));
    ck_assert_str_eq(json_string_value(json_object_get(doc, "routeKey")), "chat");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "connectionId")), "BFaT_fALIAMCKug=");
    json_t *ev = json_object_get(doc, "event");
    keys_of(ev, keys, sizeof(keys));
    ck_assert_str_eq(keys, "requestContext,body,isBase64Encoded");
    keys_of(json_object_get(ev, "requestContext"), keys, sizeof(keys));
    ck_assert_str_eq(keys, "routeKey,messageId,eventType,connectedAt");
    ck_assert(json_is_integer(json_object_get(json_object_get(ev, "requestContext"), "connectedAt")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ev, "requestContext"), "connectedAt")),
                     1731332735513LL);
    ck_assert_str_eq(json_string_value(json_object_get(ev, "body")), "{\"action\": \"chat\"}");
    json_t *resp = json_object_get(doc, "response");
    ck_assert_int_eq(json_integer_value(json_object_get(resp, "status")), 200);
    ck_assert_str_eq(json_string_value(json_object_get(resp, "body")), "{\"statusCode\":200}");
    /* the compact re-serialisation is the event as sent */
    char *again = json_dumps(ev, JSON_COMPACT);
    ck_assert_str_eq(again, event);
    free(again);
    json_decref(doc);

    doc = load("0001-connect.json");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "routeKey")), "$connect");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "response"), "body")), "");
    json_decref(doc);

    doc = load("0003-default.json");
    ck_assert_ptr_null(json_object_get(doc, "event"));
    ck_assert_str_eq(json_string_value(json_object_get(doc, "eventText")), "not json");
    resp = json_object_get(doc, "response");
    ck_assert_int_eq(json_integer_value(json_object_get(resp, "status")), 0);
    ck_assert_ptr_null(json_object_get(resp, "body"));
    ck_assert_str_eq(json_string_value(json_object_get(resp, "bodyBase64")), "//4=");
    json_decref(doc);

    /* reopening continues the numbering; no .tmp files are left */
    rec = wg_recorder_open(tmpdir, err, sizeof(err));
    ck_assert_ptr_nonnull(rec);
    wg_recorder_event(rec, "$disconnect", 0, "BFaT_fALIAMCKug=", "{}", 2, 200, "", 0);
    wg_recorder_side_effect(rec, "postToConnection", "BFaT_fALIAMCKug=", "bye", 3);
    wg_recorder_side_effect(rec, "postToConnection", "BFaT_fALIAMCKug=", "\xff", 1);
    wg_recorder_close(rec);
    doc = load("0005-postToConnection.json");
    keys_of(doc, keys, sizeof(keys));
    ck_assert_str_eq(keys, "postToConnection");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "postToConnection"), "connectionId")),
                     "BFaT_fALIAMCKug=");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "postToConnection"), "data")), "bye");
    json_decref(doc);
    doc = load("0006-postToConnection.json");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc, "postToConnection"), "dataBase64")),
                     "/w==");
    json_decref(doc);
    char path[512];
    snprintf(path, sizeof(path), "%s/0004-disconnect.json", tmpdir);
    ck_assert_int_eq(access(path, R_OK), 0);
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        files++;
        ck_assert_ptr_null(strstr(e->d_name, ".tmp"));
    }
    closedir(d);
    ck_assert_int_eq(files, 6);
    remove_tmpdir();
}
END_TEST

START_TEST(test_recorder_open_errors)
{
    char err[256] = "";
    ck_assert_ptr_null(wg_recorder_open("", err, sizeof(err)));
    ck_assert_str_ne(err, "");
    err[0] = '\0';
    ck_assert_ptr_null(wg_recorder_open("/nonexistent-parent-wg/x", err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "--record"));
    wg_recorder_close(NULL);
    wg_recorder_event(NULL, "$connect", 0, "x", "{}", 2, 200, NULL, 0); /* no-op, no crash */
}
END_TEST

/* ---- comparison with the recording (replay_compare.h) ---- */

static const char *const recorded_ids[] = {"BFaT_fALIAMCKug="};
static const char *const replayed_ids[] = {"H8fLFelyIAMCLgA="};

/* Compares want/got with the recorded->replayed id map and `ignore`; returns the diff text (static). */
static const char *compare(const char *want, const char *got, const char *const *ignore, size_t num_ignore, int *same)
{
    static char text[4096];
    wg_replay_diff_t diff = {0};
    wg_replay_compare_options_t opt = {ignore, num_ignore, recorded_ids, replayed_ids, 1};
    *same = wg_replay_compare_payload("body", want, strlen(want), got, strlen(got), &opt, &diff);
    snprintf(text, sizeof(text), "%s", diff.text.data != NULL ? diff.text.data : "");
    ck_assert_int_eq(*same, diff.count == 0);
    wg_replay_diff_free(&diff);
    return text;
}

START_TEST(test_compare_json_key_order_and_volatile_fields)
{
    int same;
    /* key order ignored; IDs, timestamps and epoch ms matched by format */
    compare("{\"a\":1,\"b\":{\"connectionId\":\"BFaT_fALIAMCKug=\",\"requestId\":\"BFaVtfGSIAMFxyz=\"}}",
            "{\"b\":{\"requestId\":\"H8fLFEfsIAMFJXg=\",\"connectionId\":\"AAAAAAAAAAAAAAA=\"},\"a\":1}", NULL, 0,
            &same);
    ck_assert_int_eq(same, 1);
    const char *d0 =
        compare("{\"t\":\"2026-11-22T10:00:00.123Z\",\"when\":\"22/Nov/2026:10:00:00 +0000\",\"at\":1796529844902,"
                "\"sentAt\":\"1700000000\",\"requestTimeEpoch\":1}",
                "{\"t\":\"2026-12-06T04:05:39.355Z\",\"when\":\"06/Dec/2026:04:05:39 +0000\",\"at\":1796529845093,"
                "\"sentAt\":\"1800000000\",\"requestTimeEpoch\":2}",
                NULL, 0, &same);
    ck_assert_msg(same == 1, "%s", d0);
    /* a timestamp's format is still checked, and small numbers by value */
    const char *d =
        compare("{\"t\":\"2026-11-22T10:00:00.123Z\",\"n\":1}", "{\"t\":\"2026-11-22 10:00\",\"n\":2}", NULL, 0, &same);
    ck_assert_int_eq(same, 0);
    ck_assert_ptr_nonnull(
        strstr(d, "    body/t: recorded \"2026-11-22T10:00:00.123Z\", replayed \"2026-11-22 10:00\"\n"));
    ck_assert_ptr_nonnull(strstr(d, "    body/n: recorded 1, replayed 2\n"));
    /* a time-named key holding words is compared by value */
    compare("{\"startTime\":\"morning\"}", "{\"startTime\":\"evening\"}", NULL, 0, &same);
    ck_assert_int_eq(same, 0);
    /* an ID-named key with a non-ID value is compared by value */
    compare("{\"connectionId\":\"x\"}", "{\"connectionId\":\"y\"}", NULL, 0, &same);
    ck_assert_int_eq(same, 0);
}
END_TEST

START_TEST(test_compare_json_structure)
{
    int same;
    const char *d = compare("{\"a\":{\"b\":[1,2,3]},\"gone\":true,\"s\":\"1\"}",
                            "{\"a\":{\"b\":[1,2]},\"new\":null,\"s\":1}", NULL, 0, &same);
    ck_assert_int_eq(same, 0);
    ck_assert_ptr_nonnull(strstr(d, "    body/a/b: recorded 3 items, replayed 2\n"));
    ck_assert_ptr_nonnull(strstr(d, "    body/gone: missing in the replay (recorded true)\n"));
    ck_assert_ptr_nonnull(strstr(d, "    body/new: not in the recording (replayed null)\n"));
    ck_assert_ptr_nonnull(strstr(d, "    body/s: recorded a string \"1\", replayed an integer 1\n"));
    /* keys needing JSON Pointer escapes */
    d = compare("{\"a/b\":{\"c~d\":1}}", "{\"a/b\":{\"c~d\":2}}", NULL, 0, &same);
    ck_assert_ptr_nonnull(strstr(d, "body/a~1b/c~0d: recorded 1, replayed 2"));
    /* booleans may flip type tag but not value */
    compare("{\"ok\":true}", "{\"ok\":false}", NULL, 0, &same);
    ck_assert_int_eq(same, 0);
}
END_TEST

START_TEST(test_compare_ignore_and_ids)
{
    int same;
    const char *const ignore[] = {"/meta/build", "/items/*/id"};
    compare("{\"meta\":{\"build\":\"b1\",\"v\":1},\"items\":[{\"id\":1,\"n\":\"x\"}]}",
            "{\"meta\":{\"build\":\"b2\",\"v\":1},\"items\":[{\"id\":7,\"n\":\"x\"}]}", ignore, 2, &same);
    ck_assert_int_eq(same, 1);
    const char *d =
        compare("{\"items\":[{\"id\":1,\"n\":\"x\"}]}", "{\"items\":[{\"id\":1,\"n\":\"y\"}]}", ignore, 2, &same);
    ck_assert_int_eq(same, 0);
    ck_assert_ptr_nonnull(strstr(d, "body/items/0/n"));
    /* an ignored key may also be missing or new */
    compare("{\"meta\":{\"build\":\"b1\"}}", "{\"meta\":{}}", ignore, 2, &same);
    ck_assert_int_eq(same, 1);
    /* the recorded connection's id inside text, and inside a JSON string, is the replay's */
    compare("welcome BFaT_fALIAMCKug=!", "welcome H8fLFelyIAMCLgA=!", NULL, 0, &same);
    ck_assert_int_eq(same, 1);
    compare("{\"to\":\"user BFaT_fALIAMCKug=\"}", "{\"to\":\"user H8fLFelyIAMCLgA=\"}", NULL, 0, &same);
    ck_assert_int_eq(same, 1);
    d = compare("welcome BFaT_fALIAMCKug=!", "welcome someone else", NULL, 0, &same);
    ck_assert_int_eq(same, 0);
    ck_assert_str_eq(d, "    body: recorded \"welcome BFaT_fALIAMCKug=!\", replayed \"welcome someone else\"\n");
    ck_assert_int_eq(wg_replay_path_matches("/a", "/a/b/c"), 1);
    ck_assert_int_eq(wg_replay_path_matches("/a/*/c", "/a/7/c"), 1);
    ck_assert_int_eq(wg_replay_path_matches("/a/*/c", "/a/7/d"), 0);
    ck_assert_int_eq(wg_replay_path_matches("/ab", "/a"), 0);
    ck_assert_int_eq(wg_replay_path_matches("/a/b", "/a"), 0);
}
END_TEST

START_TEST(test_compare_answers)
{
    wg_replay_answer_t want, got;
    wg_replay_diff_t diff = {0};
    wg_replay_compare_options_t opt = {NULL, 0, NULL, NULL, 0};
    const char *w =
        "{\"statusCode\":200,\"headers\":{\"Sec-WebSocket-Protocol\":\"chat.v1\"},\"body\":\"{\\\"n\\\":1}\"}";
    const char *g = "{\"statusCode\":200,\"body\":\"{\\\"n\\\":2}\"}";
    wg_replay_answer_read(200, "{\"statusCode\":200,\"multiValueHeaders\":{\"sec-websocket-protocol\":[\"b\"]}}", 71,
                          &got);
    ck_assert_str_eq(got.subprotocol, "b");
    wg_replay_answer_free(&got);
    wg_replay_answer_read(200, w, strlen(w), &want);
    wg_replay_answer_read(200, g, strlen(g), &got);
    ck_assert_str_eq(want.subprotocol, "chat.v1");
    ck_assert_str_eq(want.body, "{\"n\":1}");
    /* one-way: the body is not observable, so only the status counts */
    ck_assert_int_eq(wg_replay_compare_answers(&want, &got, 0, 0, &opt, &diff), 1);
    ck_assert_int_eq(wg_replay_compare_answers(&want, &got, 0, 1, &opt, &diff), 0);
    ck_assert_ptr_nonnull(strstr(diff.text.data, "body/n: recorded 1, replayed 2"));
    wg_replay_diff_free(&diff);
    ck_assert_int_eq(wg_replay_compare_answers(&want, &got, 1, 0, &opt, &diff), 0);
    ck_assert_ptr_nonnull(strstr(diff.text.data, "headers.Sec-WebSocket-Protocol: recorded chat.v1, replayed (none)"));
    wg_replay_diff_free(&diff);
    wg_replay_answer_free(&got);
    /* a rejection rejected the same way matches; another status does not */
    wg_replay_answer_free(&want);
    wg_replay_answer_read(200, "{\"statusCode\":401}", 18, &want);
    wg_replay_answer_read(200, "{\"statusCode\":401}", 18, &got);
    ck_assert_int_eq(wg_replay_compare_answers(&want, &got, 1, 0, &opt, &diff), 1);
    wg_replay_answer_free(&got);
    wg_replay_answer_read(200, "{\"statusCode\":403}", 18, &got);
    ck_assert_int_eq(wg_replay_compare_answers(&want, &got, 1, 0, &opt, &diff), 0);
    ck_assert_str_eq(diff.text.data, "    statusCode: recorded 401, replayed 403\n");
    wg_replay_diff_free(&diff);
    wg_replay_answer_free(&got);
    /* no answer, and a plain answer, are kinds of their own */
    wg_replay_answer_read(0, NULL, 0, &got);
    ck_assert_int_eq(wg_replay_compare_answers(&want, &got, 1, 0, &opt, &diff), 0);
    ck_assert_str_eq(diff.text.data,
                     "    answer: recorded a Lambda proxy result (HTTP 200), replayed no HTTP answer (HTTP 0)\n");
    wg_replay_diff_free(&diff);
    wg_replay_answer_free(&got);
    wg_replay_answer_read(401, "denied", 6, &got);
    ck_assert_int_eq(got.kind, WG_PROXY_RESULT_NONE);
    ck_assert_int_eq(got.status, 401);
    ck_assert_str_eq(got.body, "denied");
    wg_replay_answer_free(&got);
    wg_replay_answer_free(&want);
    ck_assert_int_eq(wg_replay_is_aws_id("BFaT_fALIAMCKug=", 16), 1);
    ck_assert_int_eq(wg_replay_is_aws_id("BFaT_fALIAMCKug", 15), 0);
    ck_assert_int_eq(wg_replay_is_aws_id("BFaT fALIAMCKug=", 16), 0);
}
END_TEST

Suite *wg_test_suite_replay(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("proxy_result");
    tcase_add_test(tc, test_proxy_valid);
    tcase_add_test(tc, test_proxy_invalid);
    tcase_add_test(tc, test_proxy_none);
    tcase_add_test(tc, test_judge);
    suite_add_tcase(s, tc);
    tc = tcase_create("recorder");
    tcase_add_test(tc, test_file_name);
    tcase_add_test(tc, test_recorder_format);
    tcase_add_test(tc, test_recorder_open_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("compare");
    tcase_add_test(tc, test_compare_json_key_order_and_volatile_fields);
    tcase_add_test(tc, test_compare_json_structure);
    tcase_add_test(tc, test_compare_ignore_and_ids);
    tcase_add_test(tc, test_compare_answers);
    suite_add_tcase(s, tc);
    return s;
}

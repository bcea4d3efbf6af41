/*
 * test_mgmt_api.c: the management API (mgmt_api.c) as wg_mgmt_api_handle answers it, on a whole
 * wsgate run inside the test (inproc_server.h): the path forms (@connections and %40connections,
 * the id percent-encoded once), GetConnection's document, PostToConnection reaching the client,
 * DeleteConnection's 204, and AWS's errors with their x-amzn-ErrorType and bodies: 410 Gone (empty
 * body) for an unknown or malformed id, 413 over the message cap, 403 for an unknown method and,
 * under --auth sigv4, for an unsigned request (MissingAuthenticationTokenException).
 */
#include <jansson.h>

#include "inproc_server.h"

#include "conns.h"
#include "ids.h"
#include "limits.h"

static void collect_id(wg_conn_t *conn, void *arg)
{
    snprintf((char *)arg, WG_ID_LEN + 1, "%s", wg_conn_id(conn));
}

/* Opens a client and writes /local/@connections/<id percent-encoded> into path. */
static int open_client(inproc_t *t, inproc_input_t *in, const char *user_agent, char *path, size_t path_size,
                       const char *at)
{
    int fd = inproc_ws_open(t, "local", user_agent, in);
    char id[WG_ID_LEN + 1] = "";
    wg_conns_foreach_open(t->server.conns, collect_id, id);
    ck_assert_uint_eq(strlen(id), WG_ID_LEN);
    ck_assert_int_eq(id[WG_ID_LEN - 1], '='); /* the one character SDKs percent-encode */
    id[WG_ID_LEN - 1] = '\0';
    snprintf(path, path_size, "/local/%sconnections/%s%%3D", at, id);
    return fd;
}

static int has_header(const inproc_input_t *in, const char *line)
{
    const char *end = strstr(in->data, "\r\n\r\n");
    const char *hit = strcasestr(in->data, line);
    return hit != NULL && hit < end;
}

static const char *const auth_none[] = {"--auth", "none", NULL};

START_TEST(test_get_connection_document)
{
    inproc_t *t = inproc_start(auth_none);
    inproc_input_t ws_in, in;
    char path[128];
    int fd = open_client(t, &ws_in, "unit-agent", path, sizeof(path), "@");
    ck_assert_int_eq(inproc_http(t, "GET", path, NULL, 0, &in), 200);
    ck_assert(has_header(&in, "\r\ncontent-type: application/json"));
    ck_assert(has_header(&in, "\r\nx-amzn-RequestId: "));
    json_error_t jerr;
    json_t *doc = json_loads(inproc_body(&in), 0, &jerr);
    ck_assert_msg(doc != NULL, "body is not JSON: %s", inproc_body(&in));
    /* wire names and order (AWS-MGMT-8): connectedAt, identity{sourceIp, userAgent}, lastActiveAt */
    const char *key;
    json_t *value;
    const char *order[] = {"connectedAt", "identity", "lastActiveAt"};
    int i = 0;
    json_object_foreach(doc, key, value) {
        ck_assert_int_lt(i, 3);
        ck_assert_str_eq(key, order[i++]);
    }
    ck_assert_int_eq(i, 3);
    const char *connected_at = json_string_value(json_object_get(doc, "connectedAt"));
    ck_assert_ptr_nonnull(connected_at);
    ck_assert_uint_eq(strlen(connected_at), strlen("2024-11-30T12:00:00.000Z"));
    ck_assert_int_eq(connected_at[23], 'Z');
    json_t *identity = json_object_get(doc, "identity");
    ck_assert_str_eq(json_string_value(json_object_get(identity, "sourceIp")), "127.0.0.1");
    ck_assert_str_eq(json_string_value(json_object_get(identity, "userAgent")), "unit-agent");
    json_decref(doc);
    close(fd);
    inproc_stop(t);
}
END_TEST

START_TEST(test_post_with_percent_40_path)
{
    inproc_t *t = inproc_start(auth_none);
    inproc_input_t ws_in, in;
    char path[128];
    int fd = open_client(t, &ws_in, NULL, path, sizeof(path), "%40");
    ck_assert_int_eq(inproc_http(t, "POST", path, "from the backend", 16, &in), 200);
    char payload[128];
    inproc_frame_t f = inproc_read_frame(t, fd, &ws_in, payload, sizeof(payload));
    ck_assert_int_eq(f.opcode, 0x1);
    ck_assert_str_eq(payload, "from the backend");
    close(fd);
    inproc_stop(t);
}
END_TEST

START_TEST(test_delete_then_gone)
{
    inproc_t *t = inproc_start(auth_none);
    inproc_input_t ws_in, in;
    char path[128];
    int fd = open_client(t, &ws_in, NULL, path, sizeof(path), "@");
    ck_assert_int_eq(inproc_http(t, "DELETE", path, NULL, 0, &in), 204);
    char payload[128];
    inproc_frame_t f = inproc_read_frame(t, fd, &ws_in, payload, sizeof(payload));
    ck_assert_int_eq(f.opcode, 0x8);
    /* the id is gone at once: GoneException, 410, with an empty body */
    ck_assert_int_eq(inproc_http(t, "POST", path, "late", 4, &in), 410);
    ck_assert(has_header(&in, "\r\nx-amzn-ErrorType: GoneException"));
    ck_assert_str_eq(inproc_body(&in), "");
    ck_assert_int_eq(inproc_http(t, "GET", path, NULL, 0, &in), 410);
    close(fd);
    inproc_stop(t);
}
END_TEST

START_TEST(test_unknown_and_malformed_ids_are_gone)
{
    inproc_t *t = inproc_start(auth_none);
    inproc_input_t in;
    ck_assert_int_eq(inproc_http(t, "GET", "/local/@connections/PbTkjcISoAMCJNQ%3D", NULL, 0, &in), 410);
    ck_assert(has_header(&in, "\r\nx-amzn-ErrorType: GoneException"));
    /* a bad escape and an id far too long: answered like an unknown id, not 400 or 500 */
    ck_assert_int_eq(inproc_http(t, "GET", "/local/@connections/%ZZ", NULL, 0, &in), 410);
    char path[256] = "/local/@connections/";
    memset(path + strlen(path), 'A', 100);
    ck_assert_int_eq(inproc_http(t, "DELETE", path, NULL, 0, &in), 410);
    inproc_stop(t);
}
END_TEST

START_TEST(test_post_over_cap_is_413)
{
    inproc_t *t = inproc_start(auth_none);
    inproc_input_t ws_in, in;
    char path[128];
    int fd = open_client(t, &ws_in, NULL, path, sizeof(path), "@");
    size_t len = WG_LIMIT_MESSAGE_BYTES + 1;
    char *big = malloc(len);
    memset(big, 'a', len);
    ck_assert_int_eq(inproc_http(t, "POST", path, big, len, &in), 413);
    ck_assert(has_header(&in, "\r\nx-amzn-ErrorType: PayloadTooLargeException"));
    /* at the cap it is delivered */
    ck_assert_int_eq(inproc_http(t, "POST", path, big, len - 1, &in), 200);
    free(big);
    close(fd);
    inproc_stop(t);
}
END_TEST

START_TEST(test_unknown_method_is_403)
{
    inproc_t *t = inproc_start(auth_none);
    inproc_input_t ws_in, in;
    char path[128];
    int fd = open_client(t, &ws_in, NULL, path, sizeof(path), "@");
    ck_assert_int_eq(inproc_http(t, "PUT", path, "x", 1, &in), 403);
    ck_assert(has_header(&in, "\r\nx-amzn-ErrorType: MissingAuthenticationTokenException"));
    json_t *doc = json_loads(inproc_body(&in), 0, NULL);
    ck_assert_ptr_nonnull(json_string_value(json_object_get(doc, "message")));
    json_decref(doc);
    close(fd);
    inproc_stop(t);
}
END_TEST

START_TEST(test_unsigned_request_refused_under_sigv4)
{
    static const char *const args[] = {"--auth", "sigv4", NULL};
    inproc_t *t = inproc_start(args);
    inproc_input_t ws_in, in;
    char path[128];
    int fd = open_client(t, &ws_in, NULL, path, sizeof(path), "@");
    ck_assert_int_eq(inproc_http(t, "POST", path, "x", 1, &in), 403);
    ck_assert(has_header(&in, "\r\nx-amzn-ErrorType: MissingAuthenticationTokenException"));
    /* authentication comes first: nothing reached the client */
    inproc_pump(t, 50);
    ck_assert_int_eq(recv(fd, ws_in.data, sizeof(ws_in.data), MSG_DONTWAIT), -1);
    /* a request with a malformed Authorization header is refused too, not crashed on */
    int cfd = inproc_connect(t);
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: AWS4-HMAC-SHA256 nonsense\r\n"
                     "Content-Length: 1\r\nConnection: close\r\n\r\nx",
                     path, t->server.port);
    inproc_send(cfd, req, (size_t)n);
    memset(&in, 0, sizeof(in));
    inproc_read_until(t, cfd, &in, has_eof, NULL, "complete HTTP response");
    ck_assert_msg(strncmp(in.data, "HTTP/1.1 403 ", 13) == 0, "answered: %.60s", in.data);
    ck_assert(has_header(&in, "\r\nx-amzn-ErrorType: "));
    close(cfd);
    close(fd);
    inproc_stop(t);
}
END_TEST

Suite *wg_test_suite_mgmt_api(void)
{
    Suite *s = suite_create("mgmt_api");
    TCase *tc = tcase_create("inproc");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_get_connection_document);
    tcase_add_test(tc, test_post_with_percent_40_path);
    tcase_add_test(tc, test_delete_then_gone);
    tcase_add_test(tc, test_unknown_and_malformed_ids_are_gone);
    tcase_add_test(tc, test_post_over_cap_is_413);
    tcase_add_test(tc, test_unknown_method_is_403);
    tcase_add_test(tc, test_unsigned_request_refused_under_sigv4);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_conns.c: the connection registry and lifecycle (conns.c) through its public functions, on a
 * whole wsgate run inside the test (inproc_server.h: its loop pumped by the test, a raw-socket
 * client, the built-in demo backend answering $connect): a handshake makes one OPEN connection
 * that can be found, listed and described; PostToConnection reaches the client; DeleteConnection
 * and close_all close it with their codes and it stops existing for the management API at once;
 * the sent-message log is kept only with --test-control.
 */
#include "inproc_server.h"

#include "clock.h"
#include "conns.h"
#include "ids.h"

static void collect_id(wg_conn_t *conn, void *arg)
{
    char *out = arg;
    snprintf(out, WG_ID_LEN + 1, "%s", wg_conn_id(conn));
}

/* The one OPEN connection's id (foreach), checked against find_open. */
static wg_conn_t *only_open_conn(inproc_t *t, char id[WG_ID_LEN + 1])
{
    id[0] = '\0';
    ck_assert_uint_eq(wg_conns_count_open(t->server.conns), 1);
    wg_conns_foreach_open(t->server.conns, collect_id, id);
    ck_assert_uint_eq(strlen(id), WG_ID_LEN);
    wg_conn_t *conn = wg_conns_find_open(t->server.conns, id);
    ck_assert_ptr_nonnull(conn);
    ck_assert_str_eq(wg_conn_id(conn), id);
    return conn;
}

static void count_id(wg_conn_t *conn, void *arg)
{
    (void)conn;
    (*(int *)arg)++;
}

static int close_code_of(const inproc_frame_t *f)
{
    ck_assert_int_eq(f->opcode, 0x8);
    ck_assert_uint_ge(f->len, 2);
    return ((unsigned char)f->payload[0] << 8) | (unsigned char)f->payload[1];
}

START_TEST(test_handshake_registers_open_connection)
{
    inproc_t *t = inproc_start(NULL);
    ck_assert_uint_eq(wg_conns_count_open(t->server.conns), 0);
    ck_assert_ptr_null(wg_conns_find_open(t->server.conns, "AAAAAAAAAAAAAAA="));
    uint64_t before = wg_clock_now_ms();
    inproc_input_t in;
    int fd = inproc_ws_open(t, "local", "unit-test-agent/1.0", &in);
    char id[WG_ID_LEN + 1];
    wg_conn_t *conn = only_open_conn(t, id);
    ck_assert_str_eq(wg_conn_source_ip(conn), "127.0.0.1");
    ck_assert_str_eq(wg_conn_user_agent(conn), "unit-test-agent/1.0");
    uint64_t at = wg_conn_connected_at(conn);
    ck_assert_msg(at >= before - 1000 && at <= wg_clock_now_ms(), "connectedAt %llu, test began %llu",
                  (unsigned long long)at, (unsigned long long)before);
    ck_assert_uint_ge(wg_conn_last_active_at(conn), at);
    ck_assert_uint_ge(wg_conns_count_alive(t->server.conns), 1);
    /* a second client is a second connection with another id */
    inproc_input_t in2;
    int fd2 = inproc_ws_open(t, "local", NULL, &in2);
    ck_assert_uint_eq(wg_conns_count_open(t->server.conns), 2);
    ck_assert_ptr_nonnull(wg_conns_find_open(t->server.conns, id));
    close(fd);
    close(fd2);
    inproc_stop(t);
}
END_TEST

START_TEST(test_no_user_agent)
{
    inproc_t *t = inproc_start(NULL);
    inproc_input_t in;
    int fd = inproc_ws_open(t, "local", NULL, &in);
    char id[WG_ID_LEN + 1];
    ck_assert_ptr_null(wg_conn_user_agent(only_open_conn(t, id)));
    close(fd);
    inproc_stop(t);
}
END_TEST

START_TEST(test_post_reaches_client)
{
    inproc_t *t = inproc_start(NULL);
    inproc_input_t in;
    int fd = inproc_ws_open(t, "local", NULL, &in);
    char id[WG_ID_LEN + 1];
    wg_conn_t *conn = only_open_conn(t, id);
    ck_assert_int_eq(wg_conn_post(conn, "pushed", 6), WG_CONN_POST_OK);
    char payload[128];
    inproc_frame_t f = inproc_read_frame(t, fd, &in, payload, sizeof(payload));
    ck_assert_int_eq(f.opcode, 0x1);
    ck_assert_str_eq(payload, "pushed");
    /* without --test-control nothing is kept */
    ck_assert_ptr_null(wg_conn_sent_messages(conn));
    close(fd);
    inproc_stop(t);
}
END_TEST

START_TEST(test_sent_messages_kept_with_test_control)
{
    static const char *const args[] = {"--test-control", NULL};
    inproc_t *t = inproc_start(args);
    inproc_input_t in;
    int fd = inproc_ws_open(t, "local", NULL, &in);
    char id[WG_ID_LEN + 1];
    wg_conn_t *conn = only_open_conn(t, id);
    ck_assert_int_eq(wg_conn_post(conn, "first", 5), WG_CONN_POST_OK);
    ck_assert_int_eq(wg_conn_post(conn, "second", 6), WG_CONN_POST_OK);
    const wg_conn_sent_t *sent = wg_conn_sent_messages(conn);
    ck_assert_ptr_nonnull(sent);
    ck_assert_str_eq(sent->source, "postToConnection");
    ck_assert_uint_eq(sent->len, 5);
    ck_assert_int_eq(memcmp(sent->data, "first", 5), 0);
    ck_assert_ptr_nonnull(sent->next);
    ck_assert_uint_eq(sent->next->len, 6);
    ck_assert_int_eq(memcmp(sent->next->data, "second", 6), 0);
    ck_assert_ptr_null(sent->next->next);
    close(fd);
    inproc_stop(t);
}
END_TEST

START_TEST(test_delete_closes_1000_and_is_gone_at_once)
{
    inproc_t *t = inproc_start(NULL);
    inproc_input_t in;
    int fd = inproc_ws_open(t, "local", NULL, &in);
    char id[WG_ID_LEN + 1];
    wg_conn_t *conn = only_open_conn(t, id);
    wg_conn_delete(conn);
    /* from now on the connection does not exist for the management API (410), as on AWS; it is
     * still counted by count_open until its close handshake ends */
    ck_assert_ptr_null(wg_conns_find_open(t->server.conns, id));
    int listed = 0;
    wg_conns_foreach_open(t->server.conns, count_id, &listed);
    ck_assert_int_eq(listed, 0);
    char payload[128];
    inproc_frame_t f = inproc_read_frame(t, fd, &in, payload, sizeof(payload));
    ck_assert_int_eq(close_code_of(&f), 1000);
    /* the client answers the close; the connection is then freed */
    static const unsigned char close_reply[] = {0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8};
    inproc_send(fd, close_reply, sizeof(close_reply));
    INPROC_PUMP_UNTIL(t, wg_conns_count_alive(t->server.conns) == 0, "the deleted connection is freed");
    ck_assert_uint_eq(wg_conns_count_open(t->server.conns), 0);
    close(fd);
    inproc_stop(t);
}
END_TEST

START_TEST(test_close_all_sends_code_and_reason)
{
    inproc_t *t = inproc_start(NULL);
    inproc_input_t in1, in2;
    int fd1 = inproc_ws_open(t, "local", NULL, &in1);
    int fd2 = inproc_ws_open(t, "local", NULL, &in2);
    ck_assert_uint_eq(wg_conns_count_open(t->server.conns), 2);
    wg_conns_close_all(t->server.conns, 1001, "Going away");
    int listed = 0;
    wg_conns_foreach_open(t->server.conns, count_id, &listed);
    ck_assert_int_eq(listed, 0);
    char payload[128];
    inproc_frame_t f = inproc_read_frame(t, fd1, &in1, payload, sizeof(payload));
    ck_assert_int_eq(close_code_of(&f), 1001);
    ck_assert_str_eq(payload + 2, "Going away");
    f = inproc_read_frame(t, fd2, &in2, payload, sizeof(payload));
    ck_assert_int_eq(close_code_of(&f), 1001);
    static const unsigned char close_reply[] = {0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE9};
    inproc_send(fd1, close_reply, sizeof(close_reply));
    inproc_send(fd2, close_reply, sizeof(close_reply));
    INPROC_PUMP_UNTIL(t, wg_conns_count_open(t->server.conns) == 0, "both connections closed");
    close(fd1);
    close(fd2);
    inproc_stop(t);
}
END_TEST

START_TEST(test_drop_frees_without_close_frame)
{
    static const char *const args[] = {"--test-control", NULL};
    inproc_t *t = inproc_start(args);
    inproc_input_t in;
    int fd = inproc_ws_open(t, "local", NULL, &in);
    char id[WG_ID_LEN + 1];
    wg_conn_drop(only_open_conn(t, id));
    /* the client sees the TCP connection end, with no close frame before it */
    inproc_read_until(t, fd, &in, has_eof, NULL, "end of the TCP connection");
    ck_assert_uint_eq(in.len, 0);
    INPROC_PUMP_UNTIL(t, wg_conns_count_alive(t->server.conns) == 0, "the dropped connection is freed");
    ck_assert_ptr_null(wg_conns_find_open(t->server.conns, id));
    close(fd);
    inproc_stop(t);
}
END_TEST

Suite *wg_test_suite_conns(void)
{
    Suite *s = suite_create("conns");
    TCase *tc = tcase_create("inproc");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_handshake_registers_open_connection);
    tcase_add_test(tc, test_no_user_agent);
    tcase_add_test(tc, test_post_reaches_client);
    tcase_add_test(tc, test_sent_messages_kept_with_test_control);
    tcase_add_test(tc, test_delete_closes_1000_and_is_gone_at_once);
    tcase_add_test(tc, test_close_all_sends_code_and_reason);
    tcase_add_test(tc, test_drop_frees_without_close_frame);
    suite_add_tcase(s, tc);
    return s;
}

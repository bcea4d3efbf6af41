/*
 * replay_run.c: running a `wsgate replay` session against the backend (docs/replay.md). Each step
 * is the recorded event with this run's identity (patch_event: one fresh connectionId per
 * recorded connection, connectedAt fixed, fresh request and message IDs and times; AWS-ID-2,
 * AWS-ID-3, AWS-ID-5, AWS-ID-9..12), POSTed to the backend like an API Gateway Lambda proxy
 * integration. Its answer, and each PostToConnection the backend makes meanwhile (replay_mgmt.c
 * answers those), is compared with the recording (replay_compare.c) or, without a recording,
 * judged alone (replay.c). One report line per event, a diff per mismatch, the JUnit case
 * (replay_junit.c).
 *
 * A CLI tool, so plain blocking libcurl easy calls are fine here (the server uses httpc.c).
 */
#include "replay_internal.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ids.h"
#include "limits.h"

/* ---- HTTP ---- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    wg_buf_t *buf = userdata;
    size_t n = size * nmemb;
    if (buf->len + n > WG_LIMIT_BACKEND_RESPONSE_BYTES)
        return 0; /* abort the transfer: the answer is larger than API Gateway accepts */
    wg_buf_append(buf, ptr, n);
    return n;
}

/* POSTs `event` to `url`. Returns the HTTP status, or 0 with `err` set on a transport error
 * (*is_timeout set when it was the timeout). */
static int post_event(CURL *curl, const char *url, const char *event, size_t len, long timeout_ms, wg_buf_t *out,
                      char *err, size_t errlen, int *is_timeout)
{
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    char curl_err[CURL_ERROR_SIZE] = "";
    long status = 0;
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, event);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode rc = curl_easy_perform(curl);
    *is_timeout = rc == CURLE_OPERATION_TIMEDOUT;
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(err, errlen, "%s", curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc));
    curl_slist_free_all(hdrs);
    return rc == CURLE_OK ? (int)status : 0;
}

/* ---- the connections and the events of this run ---- */

static wg_replay_conn_t *conn_for(wg_replay_run_t *run, const char *recorded)
{
    for (size_t i = 0; i < run->num_conns; i++)
        if (strcmp(run->conns[i].recorded, recorded) == 0)
            return &run->conns[i];
    run->conns = realloc(run->conns, (run->num_conns + 1) * sizeof(*run->conns));
    run->ids_from = realloc(run->ids_from, (run->num_conns + 1) * sizeof(*run->ids_from));
    run->ids_to = realloc(run->ids_to, (run->num_conns + 1) * sizeof(*run->ids_to));
    if (run->conns == NULL || run->ids_from == NULL || run->ids_to == NULL)
        abort();
    wg_replay_conn_t *c = &run->conns[run->num_conns];
    memset(c, 0, sizeof(*c));
    c->recorded = wg_replay_strdup(recorded);
    c->connected_at = wg_clock_now_ms();
    wg_ids_connection(run->ids, c->connected_at, c->id);
    c->number = (int)run->num_conns + 1;
    run->num_conns++;
    for (size_t i = 0; i < run->num_conns; i++) {
        run->ids_from[i] = run->conns[i].recorded;
        run->ids_to[i] = run->conns[i].id;
    }
    return c;
}

/* The recorded connection a replayed id belongs to ("c2"), for report lines. */
static int conn_number_of(const wg_replay_run_t *run, const char *id, int is_recorded)
{
    for (size_t i = 0; i < run->num_conns; i++)
        if (strcmp(is_recorded ? run->conns[i].recorded : run->conns[i].id, id) == 0)
            return run->conns[i].number;
    return 0;
}

static void set_string_member(json_t *obj, const char *key, const char *value)
{
    if (json_is_object(obj) && json_object_get(obj, key) != NULL)
        json_object_set_new(obj, key, json_string(value));
}

/* The recorded event with this run's identity: connectionId and connectedAt of the connection,
 * fresh requestId/extendedRequestId, messageId (sharing the connection's tail), requestTimeEpoch,
 * requestTime and X-Amzn-Trace-Id; --stage and --api-id when given. Everything else, and the key
 * order, stays as recorded. Returns the compact JSON (new string). */
static char *patch_event(wg_replay_run_t *run, wg_replay_step_t *step, wg_replay_conn_t *conn, size_t *len)
{
    json_t *ev = step->event;
    json_t *rc = json_object_get(ev, "requestContext");
    uint64_t now = wg_clock_now_ms();
    char request_id[WG_ID_LEN + 1], message_id[WG_ID_LEN + 1], trace_id[WG_TRACE_ID_LEN + 1], when[32];
    wg_ids_request(run->ids, now, request_id);
    wg_ids_trace_id(run->ids, now, trace_id);
    wg_clock_format_request_time(now, when);
    set_string_member(rc, "connectionId", conn->id);
    set_string_member(rc, "requestId", request_id);
    set_string_member(rc, "extendedRequestId", request_id);
    set_string_member(rc, "requestTime", when);
    if (json_is_string(json_object_get(rc, "messageId"))) {
        wg_ids_message(run->ids, now, conn->id, message_id);
        json_object_set_new(rc, "messageId", json_string(message_id));
    }
    if (json_is_integer(json_object_get(rc, "requestTimeEpoch")))
        json_object_set_new(rc, "requestTimeEpoch", json_integer((json_int_t)now));
    if (json_is_integer(json_object_get(rc, "connectedAt")))
        json_object_set_new(rc, "connectedAt", json_integer((json_int_t)conn->connected_at));
    if (run->opt->stage != NULL)
        set_string_member(rc, "stage", run->opt->stage);
    if (run->opt->api_id != NULL)
        set_string_member(rc, "apiId", run->opt->api_id);
    set_string_member(json_object_get(ev, "headers"), "X-Amzn-Trace-Id", trace_id);
    json_t *mv = json_object_get(json_object_get(ev, "multiValueHeaders"), "X-Amzn-Trace-Id");
    if (json_is_array(mv) && json_array_size(mv) == 1)
        json_array_set_new(mv, 0, json_string(trace_id));
    char *text = json_dumps(ev, JSON_COMPACT);
    if (text == NULL)
        abort();
    *len = strlen(text);
    return text;
}

/* Where an event of `route_key` goes: its --route KEY=URL, else --backend (NULL: neither). */
static const char *backend_for(const wg_replay_options_t *opt, const char *route_key)
{
    size_t n = strlen(route_key);
    for (size_t i = 0; i < opt->num_routes; i++)
        if (strncmp(opt->routes[i], route_key, n) == 0 && opt->routes[i][n] == '=')
            return opt->routes[i] + n + 1;
    return opt->backend;
}

static void print_text(const char *label, const char *s, size_t len)
{
    printf("    %s: %.*s%s\n", label, (int)(len > 2000 ? 2000 : len), s != NULL ? s : "", len > 2000 ? "..." : "");
}

/* Compares the PostToConnection calls of one step with the recorded ones. */
static int compare_posts(wg_replay_run_t *run, const wg_replay_step_t *step, wg_replay_post_t *got, size_t num_got,
                         const wg_replay_compare_options_t *copt, wg_replay_diff_t *diff)
{
    int same = 1;
    char *used = calloc(num_got + 1, 1);
    if (used == NULL)
        abort();
    if (step->num_posts != num_got) {
        wg_replay_diff_add(diff, "    postToConnection: recorded %zu call%s, replayed %zu", step->num_posts,
                           step->num_posts == 1 ? "" : "s", num_got);
        same = 0;
    }
    for (size_t w = 0; w < step->num_posts; w++) {
        const wg_replay_post_want_t *want = &step->posts[w];
        wg_replay_conn_t *target = NULL;
        for (size_t i = 0; i < run->num_conns; i++)
            if (strcmp(run->conns[i].recorded, want->connection_id) == 0)
                target = &run->conns[i];
        size_t match = num_got;
        /* first a call to the same connection with the same data (order of concurrent calls may vary) */
        for (size_t g = 0; g < num_got && match == num_got; g++) {
            wg_replay_diff_t quiet = {0};
            if (!used[g] && target != NULL && strcmp(got[g].connection_id, target->id) == 0 &&
                wg_replay_compare_payload("data", want->data, want->len, got[g].data, got[g].len, copt, &quiet))
                match = g;
            wg_replay_diff_free(&quiet);
        }
        if (match < num_got) {
            used[match] = 1;
            continue;
        }
        same = 0;
        for (size_t g = 0; g < num_got && match == num_got; g++)
            if (!used[g] && target != NULL && strcmp(got[g].connection_id, target->id) == 0)
                match = g;
        char label[64];
        snprintf(label, sizeof(label), "postToConnection #%zu to c%d data", w + 1, target ? target->number : 0);
        if (match < num_got) {
            used[match] = 1;
            wg_replay_compare_payload(label, want->data, want->len, got[match].data, got[match].len, copt, diff);
        } else {
            char *shown = wg_replay_show_text(want->data, want->len);
            wg_replay_diff_add(diff, "    postToConnection #%zu to c%d: recorded, not replayed (data %s)", w + 1,
                               target ? target->number : 0, shown);
            free(shown);
        }
    }
    for (size_t g = 0; g < num_got; g++) {
        if (used[g])
            continue;
        same = 0;
        char *shown = wg_replay_show_text(got[g].data, got[g].len);
        wg_replay_diff_add(diff, "    postToConnection to c%d: replayed, not in the recording (data %s)",
                           conn_number_of(run, got[g].connection_id, 0), shown);
        free(shown);
    }
    free(used);
    return same;
}

/* Replays one step: sends the event, collects the PostToConnection calls, compares or judges. */
static void run_step(wg_replay_run_t *run, size_t index, wg_replay_step_t *step)
{
    const wg_replay_options_t *opt = run->opt;
    wg_replay_conn_t *conn = conn_for(run, step->conn);
    int is_connect = strcmp(step->type, "CONNECT") == 0, is_disconnect = strcmp(step->type, "DISCONNECT") == 0;
    wg_replay_diff_t diff = {0};
    char summary[768] = "";
    int verdict; /* 1 pass, 0 fail, -1 skipped */
    uint64_t started = wg_clock_now_ms();

    if (conn->is_rejected && !step->has_response) {
        /* judged alone (scenarios, captures): AWS sends nothing more for a rejected connection */
        snprintf(summary, sizeof(summary), "skipped: this connection's $connect was rejected");
        printf("%3zu %-10s %-16s c%-2d -> skip  %s\n", index, step->type, step->route, conn->number, summary);
        wg_replay_junit_case(run, step, conn->number, -1, 0.0, summary, &diff);
        run->skipped++;
        return;
    }
    if (!conn->has_steps && !is_connect) /* no $connect in the fixtures (captures): open from its first event */
        wg_replay_mgmt_open(run->mgmt, conn->id, conn->connected_at);
    conn->has_steps = 1;
    if (is_disconnect) /* on AWS the connection is gone before $disconnect runs: 410 (AWS-LIFE-4, AWS-LIFE-5) */
        wg_replay_mgmt_close(run->mgmt, conn->id);

    size_t len;
    char *event = patch_event(run, step, conn, &len);
    wg_buf_t resp = WG_BUF_INIT;
    char err[CURL_ERROR_SIZE + 32] = "";
    int is_timeout = 0;
    int status = post_event(run->curl, backend_for(opt, step->route), event, len, opt->timeout_ms, &resp, err,
                            sizeof(err), &is_timeout);
    wg_replay_answer_t got;
    wg_replay_answer_read(status, resp.data, resp.len, &got);

    /* PostToConnection calls made while the backend handled this event: wait (bounded) for as
     * many as were recorded; later ones are reported with the next event. */
    wg_replay_mgmt_wait(run->mgmt, step->num_posts, (uint64_t)opt->settle_ms);
    size_t num_posts = 0;
    wg_replay_post_t *posts = wg_replay_mgmt_take(run->mgmt, &num_posts);

    wg_replay_compare_options_t copt = {opt->ignore, opt->num_ignore, run->ids_from, run->ids_to, run->num_conns};
    int accepted;
    if (step->has_response) {
        wg_replay_answer_t want;
        wg_replay_answer_read(step->status, step->body, step->body_len, &want);
        int compare_body = strcmp(step->type, "MESSAGE") == 0 && step->is_two_way != 0;
        int same = wg_replay_compare_answers(&want, &got, is_connect, compare_body, &copt, &diff);
        same &= compare_posts(run, step, posts, num_posts, &copt, &diff);
        verdict = same;
        char posts_text[48] = "";
        if (num_posts > 0)
            snprintf(posts_text, sizeof(posts_text), ", postToConnection x%zu", num_posts);
        if (got.http_status == 0)
            snprintf(summary, sizeof(summary), "no answer (%s)%s%s", err, posts_text,
                     same ? " (as recorded)" : ": differs from the recording");
        else
            snprintf(summary, sizeof(summary), "%s %d%s%s", got.kind == WG_PROXY_RESULT_VALID ? "statusCode" : "HTTP",
                     got.status, posts_text, same ? " (as recorded)" : ": differs from the recording");
        wg_replay_answer_free(&want);
        accepted =
            got.http_status != 0 && got.kind != WG_PROXY_RESULT_INVALID && got.status >= 200 && got.status <= 299;
    } else {
        verdict = wg_replay_aws_verdict(step->type, &got, is_timeout, err, summary, sizeof(summary));
        accepted = verdict && got.status >= 200 && got.status <= 299;
        if (num_posts > 0) {
            size_t n = strlen(summary);
            snprintf(summary + n, sizeof(summary) - n, "; PostToConnection x%zu", num_posts);
        }
    }
    if (is_connect) {
        conn->is_rejected = !accepted;
        if (accepted)
            wg_replay_mgmt_open(run->mgmt, conn->id, conn->connected_at);
    }

    printf("%3zu %-10s %-16s c%-2d -> %s  %s\n", index, step->type, step->route, conn->number,
           verdict ? "ok  " : "FAIL", summary);
    if (diff.text.data != NULL)
        fputs(diff.text.data, stdout);
    if (opt->is_verbose) {
        printf("    file:   %s%s%s\n", step->name, step->note ? " - " : "", step->note ? step->note : "");
        print_text("event ", event, len);
        print_text("answer", resp.data, resp.len);
        for (size_t i = 0; i < num_posts; i++)
            printf("    postToConnection to c%d: %.*s\n", conn_number_of(run, posts[i].connection_id, 0),
                   (int)(posts[i].len > 2000 ? 2000 : posts[i].len), posts[i].data);
    }
    wg_replay_junit_case(run, step, conn->number, verdict, (double)(wg_clock_now_ms() - started) / 1000.0, summary,
                         &diff);
    if (verdict)
        run->passed++;
    else
        run->failed++;

    for (size_t i = 0; i < num_posts; i++)
        wg_replay_post_free(&posts[i]);
    free(posts);
    wg_replay_diff_free(&diff);
    wg_replay_answer_free(&got);
    wg_buf_free(&resp);
    free(event);
}

/* The session itself, in wg_replay_mgmt_run's worker thread: every step, then the late calls. */
static int run_steps(void *arg)
{
    wg_replay_run_t *run = arg;
    size_t recorded = 0;
    for (size_t i = 0; i < run->plan->num_steps; i++) {
        recorded += run->plan->steps[i].has_response;
        run_step(run, i + 1, &run->plan->steps[i]);
        fflush(stdout);
    }
    /* A call that arrives after the last event's answer has no event left to be compared with. */
    size_t late = wg_replay_mgmt_wait(run->mgmt, SIZE_MAX, 100);
    int total = run->passed + run->failed + run->skipped;
    if (late > 0 && recorded > 0) {
        printf("replay: %zu PostToConnection call%s after the last event, not in the recording\n", late,
               late == 1 ? "" : "s");
        run->failed++;
    }
    printf("replay: %d events, %d ok, %d failed, %d skipped\n", total, run->passed, run->failed, run->skipped);
    return 0;
}

int wg_replay_run_session(const wg_replay_options_t *opt)
{
    wg_replay_plan_t plan = {0};
    const char *source = opt->dir;
    char err[512] = "";
    if (opt->is_aws_scenarios) {
        source = wg_replay_scenario_dir(opt->dir);
        char api_id[WG_API_ID_LEN + 1];
        wg_ids_t *ids = wg_ids_new(opt->region, NULL, NULL);
        if (ids == NULL)
            abort();
        if (opt->api_id != NULL)
            snprintf(api_id, sizeof(api_id), "%s", opt->api_id);
        else
            wg_ids_api_id(ids, api_id);
        wg_ids_free(ids);
        if (wg_replay_plan_scenarios(&plan, source, opt->stage != NULL ? opt->stage : "local", opt->region, api_id) !=
            0) {
            wg_replay_plan_free(&plan);
            return 2;
        }
    } else if (wg_replay_plan_load(&plan, opt->dir) != 0) {
        wg_replay_plan_free(&plan);
        return 2;
    }
    for (size_t i = 0; i < plan.num_steps; i++) {
        if (backend_for(opt, plan.steps[i].route) == NULL) {
            fprintf(stderr, "wsgate replay: %s: no --route %s=URL and no --backend URL for it\n", plan.steps[i].name,
                    plan.steps[i].route);
            wg_replay_plan_free(&plan);
            return 2;
        }
    }
    wg_replay_mgmt_t *mgmt = wg_replay_mgmt_start(opt->host, opt->port, err, sizeof(err));
    if (mgmt == NULL) {
        fprintf(stderr, "wsgate replay: %s\n", err);
        wg_replay_plan_free(&plan);
        return 2;
    }
    size_t recorded = 0;
    for (size_t i = 0; i < plan.num_steps; i++)
        recorded += plan.steps[i].has_response;
    printf("replay: %zu events from %s%s (%zu with a recorded answer, %zu recorded PostToConnection calls)\n",
           plan.num_steps, opt->is_aws_scenarios ? "the AWS scenarios built from " : "", source, recorded,
           plan.num_posts);
    printf("replay: backend %s%s; its PostToConnection calls: http://%s:%d/{stage}/@connections/{connectionId}\n",
           opt->backend != NULL ? opt->backend : "per --route",
           opt->backend != NULL && opt->num_routes > 0 ? " (and --route)" : "", opt->host, wg_replay_mgmt_port(mgmt));
    fflush(stdout);

    wg_replay_run_t run;
    memset(&run, 0, sizeof(run));
    run.opt = opt;
    run.mgmt = mgmt;
    run.plan = &plan;
    run.ids = wg_ids_new(opt->region, NULL, NULL);
    run.curl = curl_easy_init();
    if (run.ids == NULL || run.curl == NULL)
        abort();
    uint64_t started = wg_clock_now_ms();
    wg_replay_mgmt_run(mgmt, run_steps, &run);
    int status = run.failed == 0 ? 0 : 1;
    if (opt->junit != NULL && wg_replay_junit_write(&run, source, (double)(wg_clock_now_ms() - started) / 1000.0) != 0)
        status = 2;

    for (size_t i = 0; i < run.num_conns; i++)
        free(run.conns[i].recorded);
    free(run.conns);
    free(run.ids_from);
    free(run.ids_to);
    wg_buf_free(&run.junit_cases);
    curl_easy_cleanup(run.curl);
    wg_ids_free(run.ids);
    wg_replay_mgmt_stop(mgmt);
    wg_replay_plan_free(&plan);
    return status;
}

/*
 * replay.c: `wsgate replay` (see replay.h; the file format and the rules: docs/replay.md).
 *
 * A recording is replayed as sessions, not single events: every event file, in order, each
 * connection keeping its identity within the run (one fresh connectionId, connectedAt fixed) and
 * the connections their interleaving. The event is the recorded one with this run's IDs and
 * times (patch_event), so the backend sees what it saw when recording. Each answer, and each
 * PostToConnection the backend makes meanwhile (replay_mgmt.c answers those), is compared with
 * the recording (replay_compare.c). Events without a recorded answer (AWS's captures, and the
 * scripted --aws-scenarios session built by events.c from them) are judged alone: is the answer a
 * valid Lambda proxy result, and what would API Gateway do with it.
 *
 * A CLI tool, so plain blocking libcurl easy calls are fine here (the server uses httpc.c).
 */
#include "replay.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <stdarg.h>

#include "events.h"
#include "headers.h"
#include "ids.h"
#include "limits.h"
#include "replay_compare.h"
#include "replay_mgmt.h"

#ifndef WG_FIXTURES_DIR
#define WG_FIXTURES_DIR "fixtures"
#endif

/* Client headers taken from a captured $connect (a handshake has far fewer). */
#define WG_REPLAY_MAX_HEADERS 64

/* ---- the proxy-result validator ---- */

static void set_why(char *why, size_t why_len, const char *text)
{
    if (why != NULL && why_len > 0)
        snprintf(why, why_len, "%s", text);
}

wg_proxy_result_kind_t wg_replay_check_proxy_result(const char *body, size_t len, int *status_code, char *why,
                                                    size_t why_len)
{
    json_error_t jerr;
    json_t *doc = json_loadb(body != NULL ? body : "", body != NULL ? len : 0, 0, &jerr);
    wg_proxy_result_kind_t kind = WG_PROXY_RESULT_NONE;
    json_t *sc = json_is_object(doc) ? json_object_get(doc, "statusCode") : NULL;
    if (sc == NULL)
        goto out;

    kind = WG_PROXY_RESULT_INVALID;
    if (!json_is_integer(sc)) {
        set_why(why, why_len, "\"statusCode\" must be an integer");
        goto out;
    }
    json_int_t code = json_integer_value(sc);
    if (code < 100 || code > 599) {
        set_why(why, why_len, "\"statusCode\" must be an HTTP status (100-599)");
        goto out;
    }
    json_t *v = json_object_get(doc, "body");
    if (v != NULL && !json_is_string(v) && !json_is_null(v)) {
        set_why(why, why_len, "\"body\" must be a string (serialise objects with JSON.stringify/json.dumps)");
        goto out;
    }
    v = json_object_get(doc, "headers");
    if (v != NULL && !json_is_null(v)) {
        const char *key;
        json_t *hv;
        if (!json_is_object(v)) {
            set_why(why, why_len, "\"headers\" must be an object");
            goto out;
        }
        json_object_foreach(v, key, hv) {
            if (!json_is_string(hv)) {
                set_why(why, why_len, "\"headers\" values must be strings");
                goto out;
            }
        }
    }
    v = json_object_get(doc, "multiValueHeaders");
    if (v != NULL && !json_is_null(v)) {
        const char *key;
        json_t *hv;
        if (!json_is_object(v)) {
            set_why(why, why_len, "\"multiValueHeaders\" must be an object");
            goto out;
        }
        json_object_foreach(v, key, hv) {
            size_t i;
            json_t *item;
            if (!json_is_array(hv)) {
                set_why(why, why_len, "\"multiValueHeaders\" values must be arrays of strings");
                goto out;
            }
            json_array_foreach(hv, i, item) {
                if (!json_is_string(item)) {
                    set_why(why, why_len, "\"multiValueHeaders\" values must be arrays of strings");
                    goto out;
                }
            }
        }
    }
    v = json_object_get(doc, "isBase64Encoded");
    if (v != NULL && !json_is_boolean(v) && !json_is_null(v)) {
        set_why(why, why_len, "\"isBase64Encoded\" must be a boolean");
        goto out;
    }
    kind = WG_PROXY_RESULT_VALID;
    if (status_code != NULL)
        *status_code = (int)code;
out:
    json_decref(doc);
    return kind;
}

int wg_replay_judge(int http_status, const char *body, size_t len, char *summary, size_t summary_len)
{
    char why[160] = "";
    int code = 0;
    if (http_status == 0) {
        snprintf(summary, summary_len, "no HTTP answer");
        return 0;
    }
    if (http_status < 200 || http_status > 299) {
        snprintf(summary, summary_len, "HTTP status %d is not 2xx", http_status);
        return 0;
    }
    switch (wg_replay_check_proxy_result(body, len, &code, why, sizeof(why))) {
    case WG_PROXY_RESULT_VALID:
        if (code < 200 || code > 299) {
            snprintf(summary, summary_len, "Lambda proxy result with statusCode %d (not 2xx)", code);
            return 0;
        }
        snprintf(summary, summary_len, "Lambda proxy result, statusCode %d", code);
        return 1;
    case WG_PROXY_RESULT_INVALID: snprintf(summary, summary_len, "invalid Lambda proxy result: %s", why); return 0;
    case WG_PROXY_RESULT_NONE:
    default: snprintf(summary, summary_len, "plain %d answer (not a Lambda proxy result)", http_status); return 1;
    }
}

/* ---- building the session ---- */

static int is_aws_added_header(const char *name)
{
    /* API Gateway adds these itself (spec 1.4); events.c adds fresh ones. */
    return strcasecmp(name, "X-Amzn-Trace-Id") == 0 || strcasecmp(name, "X-Forwarded-For") == 0 ||
           strcasecmp(name, "X-Forwarded-Port") == 0 || strcasecmp(name, "X-Forwarded-Proto") == 0;
}

typedef struct connect_input {
    wg_header_t headers[WG_REPLAY_MAX_HEADERS];
    size_t num_headers;
    char ws_key[32];
    char *query; /* malloc'd raw query, or NULL */
    char user_agent[512];
    int has_user_agent;
} connect_input_t;

static void add_header(connect_input_t *in, const char *name, const char *value)
{
    if (in->num_headers == WG_REPLAY_MAX_HEADERS)
        return;
    wg_header_t *h = &in->headers[in->num_headers++];
    h->name = name;
    h->name_len = strlen(name);
    h->value = value;
    h->value_len = strlen(value);
}

/* Client headers from the fixture's CONNECT event (multiValueHeaders keeps repeats), with Host
 * and Sec-WebSocket-Key replaced. Strings are borrowed from the plan's JSON or `in`. */
static void connect_input_build(connect_input_t *in, json_t *connect_event, const char *host)
{
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        abort();
    EVP_EncodeBlock((unsigned char *)in->ws_key, raw, sizeof(raw));

    json_t *mv = json_object_get(connect_event, "multiValueHeaders");
    json_t *single = json_object_get(connect_event, "headers");
    const char *name;
    json_t *value;
    int has_host = 0, has_key = 0;
    if (json_is_object(mv)) {
        json_object_foreach(mv, name, value) {
            size_t i;
            json_t *item;
            if (is_aws_added_header(name))
                continue;
            if (strcasecmp(name, "Host") == 0) {
                add_header(in, name, host), has_host = 1;
                continue;
            }
            if (strcasecmp(name, "Sec-WebSocket-Key") == 0) {
                add_header(in, name, in->ws_key), has_key = 1;
                continue;
            }
            json_array_foreach(value, i, item) {
                if (json_is_string(item))
                    add_header(in, name, json_string_value(item));
            }
        }
    } else if (json_is_object(single)) {
        json_object_foreach(single, name, value) {
            if (is_aws_added_header(name) || !json_is_string(value))
                continue;
            if (strcasecmp(name, "Host") == 0)
                add_header(in, name, host), has_host = 1;
            else if (strcasecmp(name, "Sec-WebSocket-Key") == 0)
                add_header(in, name, in->ws_key), has_key = 1;
            else
                add_header(in, name, json_string_value(value));
        }
    }
    if (!has_host)
        add_header(in, "Host", host);
    if (!has_key) {
        /* What a wscat/ws client sends when the fixtures have no CONNECT event (spec 1.4 rule 6). */
        add_header(in, "Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits");
        add_header(in, "Sec-WebSocket-Key", in->ws_key);
        add_header(in, "Sec-WebSocket-Version", "13");
    }
    for (size_t i = 0; i < in->num_headers; i++) {
        if (wg_str_ieq(in->headers[i].name, in->headers[i].name_len, "User-Agent")) {
            snprintf(in->user_agent, sizeof(in->user_agent), "%s", in->headers[i].value);
            in->has_user_agent = 1;
        }
    }

    /* Rebuild the raw query from the decoded maps (the capture does not keep the raw URL). */
    json_t *mq = json_object_get(connect_event, "multiValueQueryStringParameters");
    if (json_is_object(mq) && json_object_size(mq) > 0) {
        size_t cap = 1, used = 0;
        char *q = calloc(1, 1);
        json_object_foreach(mq, name, value) {
            size_t i;
            json_t *item;
            json_array_foreach(value, i, item) {
                char *k = curl_easy_escape(NULL, name, 0);
                char *v = curl_easy_escape(NULL, json_is_string(item) ? json_string_value(item) : "", 0);
                size_t need = strlen(k) + strlen(v) + 3;
                q = realloc(q, cap + need);
                if (q == NULL || k == NULL || v == NULL)
                    abort();
                cap += need;
                used += (size_t)sprintf(q + used, "%s%s=%s", used > 0 ? "&" : "", k, v);
                curl_free(k);
                curl_free(v);
            }
        }
        in->query = q;
    }
}

/* ---- HTTP ---- */

typedef struct response_buf {
    char *data;
    size_t len;
} response_buf_t;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    response_buf_t *buf = userdata;
    size_t n = size * nmemb;
    if (buf->len + n > WG_LIMIT_BACKEND_RESPONSE_BYTES)
        return 0; /* abort the transfer: the answer is larger than API Gateway accepts */
    char *p = realloc(buf->data, buf->len + n + 1);
    if (p == NULL)
        abort();
    memcpy(p + buf->len, ptr, n);
    buf->data = p;
    buf->len += n;
    buf->data[buf->len] = '\0';
    return n;
}

/* POSTs `event` to `url`. Returns the HTTP status, or 0 with `err` set on a transport error
 * (*is_timeout set when it was the timeout). */
static int post_event(CURL *curl, const char *url, const char *event, size_t len, long timeout_ms, response_buf_t *out,
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

/* ---- the session: steps read from files or built from the captures ---- */

typedef struct replay_post_want {
    char *connection_id; /* recorded */
    char *data;
    size_t len;
} replay_post_want_t;

typedef struct replay_step {
    char *name; /* the fixture file's name, or the scenario's label */
    json_t *event; /* owned; patched per run */
    const char *type; /* "CONNECT", "MESSAGE", "DISCONNECT" (borrowed from event) */
    const char *route; /* routeKey (borrowed from event) */
    char *conn; /* the recorded connectionId (owned: patch_event replaces it in event) */
    int has_response; /* a recorded answer to compare with */
    int status;
    char *body; /* recorded answer body (owned), body_len bytes */
    size_t body_len;
    int is_two_way; /* 1, 0, or -1 when the recording does not say */
    replay_post_want_t *posts;
    size_t num_posts;
    const char *note; /* scenarios: what the step stands for (static) */
} replay_step_t;

typedef struct replay_plan {
    replay_step_t *steps;
    size_t num_steps, cap_steps;
    size_t files_read;
    size_t num_posts;
} replay_plan_t;

static char *dup_or_die(const char *s)
{
    char *d = strdup(s != NULL ? s : "");
    if (d == NULL)
        abort();
    return d;
}

static char *dup_bytes(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d == NULL)
        abort();
    if (len > 0)
        memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

/* Decodes base64 (OpenSSL EVP) into a new buffer; *len its length. NULL when invalid. */
static char *base64_decode(const char *s, size_t *len)
{
    size_t n = strlen(s);
    if (n % 4 != 0)
        return NULL;
    unsigned char *out = malloc(n / 4 * 3 + 1);
    if (out == NULL)
        abort();
    int got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (got < 0) {
        free(out);
        return NULL;
    }
    size_t pad = (n >= 1 && s[n - 1] == '=') + (n >= 2 && s[n - 2] == '=');
    *len = (size_t)got - pad;
    out[*len] = '\0';
    return (char *)out;
}

/* A string member, or the bytes of a "<key>Base64" member. New buffer, or NULL when neither. */
static char *text_or_base64(json_t *obj, const char *key, size_t *len)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_string(v)) {
        *len = json_string_length(v);
        return dup_bytes(json_string_value(v), *len);
    }
    char b64key[64];
    snprintf(b64key, sizeof(b64key), "%sBase64", key);
    v = json_object_get(obj, b64key);
    return json_is_string(v) ? base64_decode(json_string_value(v), len) : NULL;
}

/* The event inside a fixture file: a recorder file's "event", or a bare captured Lambda event
 * (authorizer inputs carry "type" and are not integration events). Borrowed from `doc`. */
static json_t *event_of(json_t *doc)
{
    json_t *ev = json_object_get(doc, "event");
    if (!json_is_object(ev)) {
        json_t *rc = json_object_get(doc, "requestContext");
        ev = json_is_object(rc) && json_object_get(doc, "type") == NULL ? doc : NULL;
    }
    if (ev == NULL)
        return NULL;
    json_t *rc = json_object_get(ev, "requestContext");
    const char *type = json_string_value(json_object_get(rc, "eventType"));
    if (type == NULL || !json_is_string(json_object_get(rc, "routeKey")) ||
        !json_is_string(json_object_get(rc, "connectionId")))
        return NULL;
    if (strcmp(type, "CONNECT") != 0 && strcmp(type, "MESSAGE") != 0 && strcmp(type, "DISCONNECT") != 0)
        return NULL;
    return ev;
}

static replay_step_t *plan_add_step(replay_plan_t *plan, const char *name, json_t *event)
{
    if (plan->num_steps == plan->cap_steps) {
        plan->cap_steps = plan->cap_steps ? plan->cap_steps * 2 : 16;
        plan->steps = realloc(plan->steps, plan->cap_steps * sizeof(*plan->steps));
        if (plan->steps == NULL)
            abort();
    }
    replay_step_t *step = &plan->steps[plan->num_steps++];
    memset(step, 0, sizeof(*step));
    step->name = dup_or_die(name);
    step->event = json_incref(event);
    json_t *rc = json_object_get(event, "requestContext");
    step->type = json_string_value(json_object_get(rc, "eventType"));
    step->route = json_string_value(json_object_get(rc, "routeKey"));
    step->conn = dup_or_die(json_string_value(json_object_get(rc, "connectionId")));
    step->is_two_way = -1;
    return step;
}

static void plan_free(replay_plan_t *plan)
{
    for (size_t i = 0; i < plan->num_steps; i++) {
        replay_step_t *s = &plan->steps[i];
        free(s->name);
        free(s->conn);
        json_decref(s->event);
        free(s->body);
        for (size_t j = 0; j < s->num_posts; j++) {
            free(s->posts[j].connection_id);
            free(s->posts[j].data);
        }
        free(s->posts);
    }
    free(plan->steps);
    memset(plan, 0, sizeof(*plan));
}

/* A side-effect file: one more expected PostToConnection for the step before it. */
static int plan_add_post(replay_plan_t *plan, const char *file, json_t *call)
{
    size_t len = 0;
    char *data = text_or_base64(call, "data", &len);
    const char *target = json_string_value(json_object_get(call, "connectionId"));
    if (data == NULL || target == NULL) {
        free(data);
        fprintf(stderr, "wsgate replay: %s: \"postToConnection\" needs \"connectionId\" and \"data\"\n", file);
        return -1;
    }
    if (plan->num_steps == 0) {
        fprintf(stderr, "wsgate replay: %s: a PostToConnection before any event is ignored\n", file);
        free(data);
        return 0;
    }
    replay_step_t *step = &plan->steps[plan->num_steps - 1];
    step->posts = realloc(step->posts, (step->num_posts + 1) * sizeof(*step->posts));
    if (step->posts == NULL)
        abort();
    step->posts[step->num_posts].connection_id = dup_or_die(target);
    step->posts[step->num_posts].data = data;
    step->posts[step->num_posts].len = len;
    step->num_posts++;
    plan->num_posts++;
    return 0;
}

static int type_rank(const char *type)
{
    return strcmp(type, "CONNECT") == 0 ? 0 : strcmp(type, "MESSAGE") == 0 ? 1 : 2;
}

static int json_name_filter(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 5 && strcmp(e->d_name + n - 5, ".json") == 0 && e->d_name[0] != '.';
}

/* Reads every *.json in `dir` in natural name order (0009 before 0010, 9999 before 10000).
 * Returns 0, or -1 after one line on stderr: the directory is missing, unreadable, empty, holds a
 * file that is not JSON, or holds no event (exit status 2: a fixture problem, not a backend one). */
static int plan_load(replay_plan_t *plan, const char *dir)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, json_name_filter, versionsort);
    if (n < 0) {
        fprintf(stderr, "wsgate replay: cannot read fixture directory %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (rc == 0 && i < WG_LIMIT_REPLAY_FILES) {
            char path[4096];
            json_error_t jerr;
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
            struct stat st;
            json_t *doc = NULL;
            if (stat(path, &st) != 0 || st.st_size > WG_LIMIT_REPLAY_FILE_BYTES) {
                fprintf(stderr, "wsgate replay: %s: unreadable or larger than %d bytes\n", path,
                        WG_LIMIT_REPLAY_FILE_BYTES);
                rc = -1;
            } else if ((doc = json_load_file(path, 0, &jerr)) == NULL) {
                fprintf(stderr, "wsgate replay: %s:%d: not a JSON fixture: %s\n", path, jerr.line, jerr.text);
                rc = -1;
            } else {
                plan->files_read++;
                json_t *post = json_object_get(doc, "postToConnection");
                json_t *ev = json_is_object(doc) ? event_of(doc) : NULL;
                if (json_is_object(post)) {
                    rc = plan_add_post(plan, path, post);
                } else if (ev != NULL) {
                    replay_step_t *step = plan_add_step(plan, names[i]->d_name, ev);
                    json_t *resp = json_object_get(doc, "response");
                    if (json_is_object(resp) && json_is_integer(json_object_get(resp, "status"))) {
                        step->has_response = 1;
                        step->status = (int)json_integer_value(json_object_get(resp, "status"));
                        step->body = text_or_base64(resp, "body", &step->body_len);
                    }
                    json_t *two_way = json_object_get(doc, "twoWay");
                    if (json_is_boolean(two_way))
                        step->is_two_way = json_is_true(two_way);
                }
            }
            json_decref(doc);
        }
        free(names[i]);
    }
    free(names);
    if (rc != 0)
        return -1;
    if (n == 0) {
        fprintf(stderr, "wsgate replay: no fixture files (*.json) in %s\n", dir);
        return -1;
    }
    int has_responses = 0;
    for (size_t i = 0; i < plan->num_steps; i++)
        has_responses |= plan->steps[i].has_response;
    if (!has_responses && plan->num_posts == 0) {
        /* AWS captures carry no sequence number: connect, then messages, then disconnects. */
        for (size_t i = 1; i < plan->num_steps; i++)
            for (size_t j = i; j > 0 && type_rank(plan->steps[j].type) < type_rank(plan->steps[j - 1].type); j--) {
                replay_step_t t = plan->steps[j];
                plan->steps[j] = plan->steps[j - 1];
                plan->steps[j - 1] = t;
            }
    }
    if (plan->num_steps == 0) {
        fprintf(stderr,
                "wsgate replay: none of the %zu files in %s holds an event (expected files written by "
                "`wsgate --record DIR` or AWS captures of Lambda events)\n",
                plan->files_read, dir);
        return -1;
    }
    return 0;
}

/* ---- the AWS scenarios: one scripted session from the captures in fixtures/ ---- */

static json_t *load_capture(const char *dir, const char *name)
{
    char path[4096];
    json_error_t jerr;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL)
        fprintf(stderr, "wsgate replay: --aws-scenarios needs the AWS captures: %s: %s\n", path, jerr.text);
    return doc;
}

/* Parses an event built by events.c and adds it as a step. Takes `text`. */
static void add_built_step(replay_plan_t *plan, const char *label, const char *note, char *text, size_t len)
{
    json_error_t jerr;
    json_t *ev = json_loadb(text, len, 0, &jerr);
    if (ev == NULL) {
        fprintf(stderr, "%s: %s\n%s\n", label, jerr.text, text);
        abort(); /* events.c always writes valid JSON */
    }
    free(text);
    replay_step_t *step = plan_add_step(plan, label, ev);
    step->note = note;
    json_decref(ev);
}

/* Builds the scripted session: connection A connects with the 2024 capture's headers and the 2019
 * capture's query, sends the chat capture's body on "chat", the same body on $default, a plain
 * text (non-JSON) body on $default, and closes without a status code (1005, the capture);
 * connection B connects and is closed by the idle timeout (1001 "Going away"). The events are
 * built by events.c, exactly as wsgate sends them. */
static int plan_scenarios(replay_plan_t *plan, const char *dir, const char *stage, const char *region,
                          const char *api_id)
{
    json_t *connect = load_capture(dir, "ws-connect-2024-11-us-east-1.json");
    json_t *query = load_capture(dir, "ws-connect-legacy-2019-03-us-west-2-query.json");
    json_t *message = load_capture(dir, "ws-message-2024-11-us-east-1.json");
    json_t *disconnect = load_capture(dir, "ws-disconnect-1005-2024-11-us-east-1.json");
    int rc = -1;
    if (connect == NULL || query == NULL || message == NULL || disconnect == NULL)
        goto out;
    char host[256];
    snprintf(host, sizeof(host), "%s.execute-api.%s.amazonaws.com", api_id, region);
    wg_ids_t *ids = wg_ids_new(region, NULL, NULL);
    if (ids == NULL)
        abort();
    const char *body = json_string_value(json_object_get(message, "body"));
    const char *text_body = "hello from a plain text client";
    json_t *drc = json_object_get(disconnect, "requestContext");
    const char *reason = json_string_value(json_object_get(drc, "disconnectReason"));
    json_t *code = json_object_get(drc, "disconnectStatusCode");

    for (int c = 0; c < 2; c++) {
        char connection_id[WG_ID_LEN + 1], request_id[WG_ID_LEN + 1], message_id[WG_ID_LEN + 1];
        char trace_id[WG_TRACE_ID_LEN + 1];
        uint64_t now = wg_now_ms();
        wg_ids_connection(ids, now, connection_id);
        connect_input_t in;
        memset(&in, 0, sizeof(in));
        connect_input_build(&in, connect, host);
        if (c == 0) {
            /* the 2019 capture's query (?sessionId=1234), on the modern event */
            connect_input_t q;
            memset(&q, 0, sizeof(q));
            connect_input_build(&q, query, host);
            in.query = q.query;
        }
        wg_event_context_t ctx = {
            .route_key = "$connect",
            .connection_id = connection_id,
            .request_id = request_id,
            .stage = stage,
            .domain_name = host,
            .api_id = api_id,
            .connected_at = now,
            .source_ip = "127.0.0.1",
            .user_agent = in.has_user_agent ? in.user_agent : NULL,
        };
        size_t len;
        ctx.request_time_ms = now;
        wg_ids_request(ids, now, request_id);
        wg_ids_trace_id(ids, now, trace_id);
        wg_event_forwarding_t fwd = {trace_id, "443", "https"};
        char *text = wg_event_connect(&ctx, in.headers, in.num_headers, in.query != NULL, in.query,
                                      in.query != NULL ? strlen(in.query) : 0, &fwd, &len);
        add_built_step(plan, c == 0 ? "aws: $connect with query and headers" : "aws: $connect (second client)",
                       "AWS: 2xx accepts the handshake (101); another statusCode is the handshake's status", text, len);
        free(in.query);
        if (c == 0) {
            static const struct {
                const char *route, *label, *note;
                int is_text;
            } messages[] = {
                {"chat", "aws: custom route chat", "AWS: a two-way route sends the result's body to the client", 0},
                {"$default", "aws: $default route", "AWS: a two-way route sends the result's body to the client", 0},
                {"$default", "aws: $default with a non-JSON body", "AWS: non-JSON text always goes to $default", 1},
            };
            for (size_t m = 0; m < sizeof(messages) / sizeof(messages[0]); m++) {
                const char *b = messages[m].is_text ? text_body : (body != NULL ? body : "{}");
                now = wg_now_ms();
                ctx.route_key = messages[m].route;
                ctx.request_time_ms = now;
                wg_ids_request(ids, now, request_id);
                wg_ids_message(ids, now, connection_id, message_id);
                ctx.message_id = message_id;
                text = wg_event_message(&ctx, b, strlen(b), &len);
                add_built_step(plan, messages[m].label, messages[m].note, text, len);
            }
        }
        now = wg_now_ms();
        ctx.route_key = "$disconnect";
        ctx.message_id = NULL;
        ctx.request_time_ms = now;
        ctx.disconnect_status_code = c == 0 ? (json_is_integer(code) ? (int)json_integer_value(code) : 1005) : 1001;
        ctx.disconnect_reason = c == 0 ? (reason != NULL ? reason : "") : "Going away";
        wg_ids_request(ids, now, request_id);
        text = wg_event_disconnect(&ctx, host, &len);
        add_built_step(
            plan, c == 0 ? "aws: $disconnect 1005 (closed without a code)" : "aws: $disconnect 1001 (idle timeout)",
            "AWS: the answer is ignored; the socket is already closed", text, len);
    }
    wg_ids_free(ids);
    rc = 0;
out:
    json_decref(connect);
    json_decref(query);
    json_decref(message);
    json_decref(disconnect);
    return rc;
}

/* Where --aws-scenarios finds the captures: the directory given, $WSGATE_FIXTURES, ./fixtures,
 * or the source tree's fixtures/ this binary was built from. */
static const char *scenario_dir(const char *given)
{
    struct stat st;
    if (given != NULL)
        return given;
    const char *env = getenv("WSGATE_FIXTURES");
    if (env != NULL && *env != '\0')
        return env;
    if (stat("fixtures/ws-connect-2024-11-us-east-1.json", &st) == 0)
        return "fixtures";
    return WG_FIXTURES_DIR;
}

/* ---- running one session ---- */

typedef struct replay_conn {
    char *recorded; /* the recorded connectionId */
    char id[WG_ID_LEN + 1]; /* this run's */
    uint64_t connected_at;
    int is_rejected; /* its $connect was rejected in this run */
    int number; /* c1, c2, ... in order of appearance */
    int has_steps; /* an event of it was replayed already */
} replay_conn_t;

typedef struct replay_options {
    const char *backend;
    const char *stage; /* NULL: as recorded */
    const char *region;
    const char *api_id; /* NULL: as recorded */
    const char *dir;
    const char *junit;
    const char **ignore;
    size_t num_ignore;
    const char **routes; /* --route KEY=URL, as given */
    size_t num_routes;
    const char *host;
    int port;
    long timeout_ms;
    long settle_ms;
    int is_verbose;
    int is_aws_scenarios;
} replay_options_t;

typedef struct replay_run {
    const replay_options_t *opt;
    wg_ids_t *ids;
    CURL *curl;
    wg_replay_mgmt_t *mgmt;
    replay_conn_t *conns;
    size_t num_conns;
    const char **ids_from, **ids_to; /* parallel views of conns, for the comparison */
    replay_plan_t *plan;
    char *junit_cases; /* the <testcase> elements, written after the counts are known */
    size_t junit_len;
    int passed, failed, skipped;
} replay_run_t;

static replay_conn_t *conn_for(replay_run_t *run, const char *recorded)
{
    for (size_t i = 0; i < run->num_conns; i++)
        if (strcmp(run->conns[i].recorded, recorded) == 0)
            return &run->conns[i];
    run->conns = realloc(run->conns, (run->num_conns + 1) * sizeof(*run->conns));
    run->ids_from = realloc(run->ids_from, (run->num_conns + 1) * sizeof(*run->ids_from));
    run->ids_to = realloc(run->ids_to, (run->num_conns + 1) * sizeof(*run->ids_to));
    if (run->conns == NULL || run->ids_from == NULL || run->ids_to == NULL)
        abort();
    replay_conn_t *c = &run->conns[run->num_conns];
    memset(c, 0, sizeof(*c));
    c->recorded = dup_or_die(recorded);
    c->connected_at = wg_now_ms();
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
static int conn_number_of(const replay_run_t *run, const char *id, int is_recorded)
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
static char *patch_event(replay_run_t *run, replay_step_t *step, replay_conn_t *conn, size_t *len)
{
    json_t *ev = step->event;
    json_t *rc = json_object_get(ev, "requestContext");
    uint64_t now = wg_now_ms();
    char request_id[WG_ID_LEN + 1], message_id[WG_ID_LEN + 1], trace_id[WG_TRACE_ID_LEN + 1], when[32];
    wg_ids_request(run->ids, now, request_id);
    wg_ids_trace_id(run->ids, now, trace_id);
    wg_format_request_time(now, when);
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
static const char *backend_for(const replay_options_t *opt, const char *route_key)
{
    size_t n = strlen(route_key);
    for (size_t i = 0; i < opt->num_routes; i++)
        if (strncmp(opt->routes[i], route_key, n) == 0 && opt->routes[i][n] == '=')
            return opt->routes[i] + n + 1;
    return opt->backend;
}

/* What API Gateway would do with an answer to this event, as a one-line `summary`; returns 1
 * when that is a success for the event (judged alone: no recording). */
static int aws_verdict(const char *type, const wg_replay_answer_t *a, int is_timeout, const char *err, char *summary,
                       size_t size)
{
    int is_connect = strcmp(type, "CONNECT") == 0, is_message = strcmp(type, "MESSAGE") == 0;
    if (a->http_status == 0) {
        snprintf(summary, size, "no answer (%s): on AWS %s", err,
                 is_connect   ? (is_timeout ? "the handshake fails with 504" : "the handshake fails with 502")
                 : is_message ? (is_timeout ? "the client gets {\"message\": \"Endpoint request timed out\", ...}"
                                            : "the client gets {\"message\": \"Internal server error\", ...}")
                              : "the Lambda would have failed");
        return 0;
    }
    if (a->kind == WG_PROXY_RESULT_INVALID) {
        snprintf(summary, size, "HTTP %d, invalid Lambda proxy result (%s): on AWS %s", a->http_status, a->why,
                 is_connect   ? "the handshake fails with 502"
                 : is_message ? "the client gets an \"Internal server error\" frame"
                              : "the Lambda would have failed");
        return 0;
    }
    if (a->http_status >= 500 && a->kind == WG_PROXY_RESULT_NONE) {
        snprintf(summary, size, "HTTP %d: a function error; on AWS %s", a->http_status,
                 is_connect   ? "the handshake fails with 502"
                 : is_message ? "the client gets an \"Internal server error\" frame"
                              : "the Lambda would have failed");
        return 0;
    }
    if (a->kind == WG_PROXY_RESULT_NONE) {
        if (is_connect) {
            /* [I] AWS-INT-12: AWS's answer to a Lambda $connect result without statusCode is not
             * known. The server takes the lenient reading (accepted); judged alone, replay takes
             * the strict one (REST APIs answer 502 "Malformed Lambda proxy response"), so a
             * backend relying on it is told before AWS tells it. */
            snprintf(summary, size,
                     "HTTP %d without a Lambda proxy result (no \"statusCode\"): on AWS, as a Lambda, "
                     "the handshake may fail (AWS-INT-12; REST APIs answer 502); return {\"statusCode\": 200}",
                     a->http_status);
            return 0;
        }
        if (a->http_status < 200 || a->http_status > 299) {
            snprintf(summary, size, "HTTP %d without a Lambda proxy result: a failed integration", a->http_status);
            return 0;
        }
        if (is_message)
            snprintf(summary, size,
                     "HTTP %d, no Lambda proxy result: fine on a one-way route (a two-way route would "
                     "send the raw body)",
                     a->http_status);
        else
            snprintf(summary, size, "HTTP %d, no Lambda proxy result (AWS ignores $disconnect answers)",
                     a->http_status);
        return 1;
    }
    int ok2xx = a->status >= 200 && a->status <= 299;
    if (is_connect)
        snprintf(summary, size, "Lambda proxy result, statusCode %d: on AWS %s%s%s", a->status,
                 ok2xx ? "the handshake succeeds (101)" : "the handshake fails with that status",
                 a->subprotocol ? ", Sec-WebSocket-Protocol: " : "", a->subprotocol ? a->subprotocol : "");
    else if (is_message)
        snprintf(summary, size, "Lambda proxy result, statusCode %d%s", a->status,
                 a->body != NULL ? " (a two-way route sends its body)" : "");
    else
        snprintf(summary, size, "Lambda proxy result, statusCode %d (AWS ignores $disconnect answers)", a->status);
    return 1;
}

static void print_text(const char *label, const char *s, size_t len)
{
    printf("    %s: %.*s%s\n", label, (int)(len > 2000 ? 2000 : len), s != NULL ? s : "", len > 2000 ? "..." : "");
}

/* Compares the PostToConnection calls of one step with the recorded ones. */
static int compare_posts(replay_run_t *run, const replay_step_t *step, wg_replay_post_t *got, size_t num_got,
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
        const replay_post_want_t *want = &step->posts[w];
        replay_conn_t *target = NULL;
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

/* XML text for JUnit: &, <, >, " and control characters escaped. New string. */
static char *xml_escape(const char *s, size_t len)
{
    size_t cap = len * 6 + 1, n = 0;
    char *out = malloc(cap);
    if (out == NULL)
        abort();
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&quot;" : NULL;
        if (rep != NULL) {
            memcpy(out + n, rep, strlen(rep));
            n += strlen(rep);
        } else if (c < 0x20 && c != '\n' && c != '\t') {
            out[n++] = '?'; /* XML 1.0 cannot carry other control characters, even escaped */
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    return out;
}

static void junit_append(replay_run_t *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void junit_append(replay_run_t *run, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    run->junit_cases = realloc(run->junit_cases, run->junit_len + (size_t)n + 1);
    if (run->junit_cases == NULL)
        abort();
    va_start(ap, fmt);
    vsnprintf(run->junit_cases + run->junit_len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    run->junit_len += (size_t)n;
}

static void junit_case(replay_run_t *run, const replay_step_t *step, int conn_number, int verdict, double seconds,
                       const char *summary, const wg_replay_diff_t *diff)
{
    if (run->opt->junit == NULL)
        return;
    char name[512];
    snprintf(name, sizeof(name), "%s: %s %s (c%d)", step->name, step->type, step->route, conn_number);
    char *ename = xml_escape(name, strlen(name)), *esummary = xml_escape(summary, strlen(summary));
    junit_append(run, "    <testcase classname=\"wsgate.replay\" name=\"%s\" time=\"%.3f\">\n", ename, seconds);
    if (verdict < 0) {
        junit_append(run, "      <skipped message=\"%s\"/>\n", esummary);
    } else if (verdict == 0) {
        char *etext =
            xml_escape(diff->text != NULL ? diff->text : summary, diff->text != NULL ? diff->len : strlen(summary));
        junit_append(run, "      <failure type=\"%s\" message=\"%s\">%s</failure>\n",
                     step->has_response ? "mismatch" : "invalid-answer", esummary, etext);
        free(etext);
    } else {
        junit_append(run, "      <system-out>%s</system-out>\n", esummary);
    }
    junit_append(run, "    </testcase>\n");
    free(ename);
    free(esummary);
}

/* Replays one step: sends the event, collects the PostToConnection calls, compares or judges. */
static void run_step(replay_run_t *run, size_t index, replay_step_t *step)
{
    const replay_options_t *opt = run->opt;
    replay_conn_t *conn = conn_for(run, step->conn);
    int is_connect = strcmp(step->type, "CONNECT") == 0, is_disconnect = strcmp(step->type, "DISCONNECT") == 0;
    wg_replay_diff_t diff = {0};
    char summary[768] = "";
    int verdict; /* 1 pass, 0 fail, -1 skipped */
    uint64_t started = wg_now_ms();

    if (conn->is_rejected && !step->has_response) {
        /* judged alone (scenarios, captures): AWS sends nothing more for a rejected connection */
        snprintf(summary, sizeof(summary), "skipped: this connection's $connect was rejected");
        printf("%3zu %-10s %-16s c%-2d -> skip  %s\n", index, step->type, step->route, conn->number, summary);
        junit_case(run, step, conn->number, -1, 0.0, summary, &diff);
        run->skipped++;
        return;
    }
    if (!conn->has_steps && !is_connect) /* no $connect in the fixtures (captures): open from its first event */
        wg_replay_mgmt_open(run->mgmt, conn->id, conn->connected_at);
    conn->has_steps = 1;
    if (is_disconnect) /* on AWS the connection is gone before $disconnect runs (spec 4): 410 */
        wg_replay_mgmt_close(run->mgmt, conn->id);

    size_t len;
    char *event = patch_event(run, step, conn, &len);
    response_buf_t resp = {NULL, 0};
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
        verdict = aws_verdict(step->type, &got, is_timeout, err, summary, sizeof(summary));
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
    if (diff.text != NULL)
        fputs(diff.text, stdout);
    if (opt->is_verbose) {
        printf("    file:   %s%s%s\n", step->name, step->note ? " - " : "", step->note ? step->note : "");
        print_text("event ", event, len);
        print_text("answer", resp.data, resp.len);
        for (size_t i = 0; i < num_posts; i++)
            printf("    postToConnection to c%d: %.*s\n", conn_number_of(run, posts[i].connection_id, 0),
                   (int)(posts[i].len > 2000 ? 2000 : posts[i].len), posts[i].data);
    }
    junit_case(run, step, conn->number, verdict, (double)(wg_now_ms() - started) / 1000.0, summary, &diff);
    if (verdict)
        run->passed++;
    else
        run->failed++;

    for (size_t i = 0; i < num_posts; i++)
        wg_replay_post_free(&posts[i]);
    free(posts);
    wg_replay_diff_free(&diff);
    wg_replay_answer_free(&got);
    free(resp.data);
    free(event);
}

static int write_junit(const replay_run_t *run, const char *suite, double seconds)
{
    FILE *f = fopen(run->opt->junit, "w");
    if (f == NULL) {
        fprintf(stderr, "wsgate replay: cannot write --junit %s: %s\n", run->opt->junit, strerror(errno));
        return -1;
    }
    char *esuite = xml_escape(suite, strlen(suite));
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(
        f,
        "<testsuites name=\"wsgate replay\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n",
        run->passed + run->failed + run->skipped, run->failed, run->skipped, seconds);
    fprintf(f, "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n",
            esuite, run->passed + run->failed + run->skipped, run->failed, run->skipped, seconds);
    if (run->junit_cases != NULL)
        fputs(run->junit_cases, f);
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    free(esuite);
    if (fclose(f) != 0) {
        fprintf(stderr, "wsgate replay: cannot write --junit %s: %s\n", run->opt->junit, strerror(errno));
        return -1;
    }
    return 0;
}

/* The session itself, in wg_replay_mgmt_run's worker thread: every step, then the late calls. */
static int run_steps(void *arg)
{
    replay_run_t *run = arg;
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

static int run_session(const replay_options_t *opt)
{
    replay_plan_t plan = {0};
    const char *source = opt->dir;
    char err[512] = "";
    if (opt->is_aws_scenarios) {
        source = scenario_dir(opt->dir);
        char api_id[WG_API_ID_LEN + 1];
        wg_ids_t *ids = wg_ids_new(opt->region, NULL, NULL);
        if (ids == NULL)
            abort();
        if (opt->api_id != NULL)
            snprintf(api_id, sizeof(api_id), "%s", opt->api_id);
        else
            wg_ids_api_id(ids, api_id);
        wg_ids_free(ids);
        if (plan_scenarios(&plan, source, opt->stage != NULL ? opt->stage : "local", opt->region, api_id) != 0) {
            plan_free(&plan);
            return 2;
        }
    } else if (plan_load(&plan, opt->dir) != 0) {
        plan_free(&plan);
        return 2;
    }
    for (size_t i = 0; i < plan.num_steps; i++) {
        if (backend_for(opt, plan.steps[i].route) == NULL) {
            fprintf(stderr, "wsgate replay: %s: no --route %s=URL and no --backend URL for it\n", plan.steps[i].name,
                    plan.steps[i].route);
            plan_free(&plan);
            return 2;
        }
    }
    wg_replay_mgmt_t *mgmt = wg_replay_mgmt_start(opt->host, opt->port, err, sizeof(err));
    if (mgmt == NULL) {
        fprintf(stderr, "wsgate replay: %s\n", err);
        plan_free(&plan);
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

    replay_run_t run;
    memset(&run, 0, sizeof(run));
    run.opt = opt;
    run.mgmt = mgmt;
    run.plan = &plan;
    run.ids = wg_ids_new(opt->region, NULL, NULL);
    run.curl = curl_easy_init();
    if (run.ids == NULL || run.curl == NULL)
        abort();
    uint64_t started = wg_now_ms();
    wg_replay_mgmt_run(mgmt, run_steps, &run);
    int status = run.failed == 0 ? 0 : 1;
    if (opt->junit != NULL && write_junit(&run, source, (double)(wg_now_ms() - started) / 1000.0) != 0)
        status = 2;

    for (size_t i = 0; i < run.num_conns; i++)
        free(run.conns[i].recorded);
    free(run.conns);
    free(run.ids_from);
    free(run.ids_to);
    free(run.junit_cases);
    curl_easy_cleanup(run.curl);
    wg_ids_free(run.ids);
    wg_replay_mgmt_stop(mgmt);
    plan_free(&plan);
    return status;
}

/* ---- the subcommand ---- */

static void usage(FILE *f)
{
    fprintf(f, "usage: wsgate replay --backend URL [options] [FIXTURE_DIR]\n"
               "       wsgate replay --backend URL --aws-scenarios [CAPTURES_DIR]\n"
               "Replays a recorded session (files written by `wsgate --record DIR`) against the backend\n"
               "URL, event by event and connection by connection, like an API Gateway Lambda proxy\n"
               "integration, and compares every answer and every PostToConnection the backend makes\n"
               "with the recording. Events without a recorded answer (AWS captures, --aws-scenarios)\n"
               "are judged alone: is the answer a valid Lambda proxy result, and what would AWS do.\n"
               "Without FIXTURE_DIR: --aws-scenarios.\n"
               "  --backend URL          the backend (required unless --route covers every route)\n"
               "  --route KEY=URL        events of route KEY go to URL instead (repeatable), for\n"
               "                         configs whose routes have their own uri\n"
               "  --aws-scenarios        a scripted session built from AWS's captures (fixtures/)\n"
               "  --ignore PATH          a JSON Pointer to skip in bodies and PostToConnection data\n"
               "                         (repeatable; a segment * matches any key or index)\n"
               "  --junit FILE           also write a JUnit XML report, one test case per event\n"
               "  --port N, --host ADDR  where the backend's PostToConnection calls go (127.0.0.1:3001)\n"
               "  --settle MS            how long to wait for recorded PostToConnection calls (1000)\n"
               "  --timeout MS           the backend's answer timeout (29000)\n"
               "  --stage NAME, --api-id ID   override the recorded stage and apiId\n"
               "  --region NAME          region of the fresh IDs (us-east-1)\n"
               "  --verbose              print every event, answer and PostToConnection\n"
               "Exit status: 0 every event matched (or was valid), 1 a difference or an invalid answer,\n"
               "2 usage, or a missing, empty or unreadable fixture directory. Format: docs/replay.md.\n");
}

static int parse_ms(const char *name, const char *text, long min, long *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < min || v > 3600000) {
        fprintf(stderr, "wsgate replay: --%s expects milliseconds (%ld or more), got '%s'\n", name, min, text);
        return -1;
    }
    *out = v;
    return 0;
}

int wg_replay_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"backend", required_argument, NULL, 'b'},
        {"stage", required_argument, NULL, 's'},
        {"region", required_argument, NULL, 'r'},
        {"api-id", required_argument, NULL, 'a'},
        {"timeout", required_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"junit", required_argument, NULL, 'j'},
        {"ignore", required_argument, NULL, 'i'},
        {"aws-scenarios", no_argument, NULL, 'S'},
        {"port", required_argument, NULL, 'p'},
        {"host", required_argument, NULL, 'H'},
        {"settle", required_argument, NULL, 'w'},
        {"route", required_argument, NULL, 'R'},
        {NULL, 0, NULL, 0},
    };
    replay_options_t opt = {.region = "us-east-1",
                            .host = "127.0.0.1",
                            .port = 3001,
                            .timeout_ms = WG_LIMIT_INTEGRATION_TIMEOUT_MS,
                            .settle_ms = 1000};
    const char **ignore = calloc((size_t)argc + 1, sizeof(*ignore));
    const char **routes = calloc((size_t)argc + 1, sizeof(*routes));
    if (ignore == NULL || routes == NULL)
        abort();
    opt.ignore = ignore;
    opt.routes = routes;

    /* Accept both ("replay", args...) and ("wsgate", "replay", args...). */
    if (argc > 1 && strcmp(argv[1], "replay") == 0) {
        argc--;
        argv++;
    }
    optind = 1;
    opterr = 0;
    int c, status = 2;
    while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': opt.backend = optarg; break;
        case 's': opt.stage = optarg; break;
        case 'r': opt.region = optarg; break;
        case 'a': opt.api_id = optarg; break;
        case 'v': opt.is_verbose = 1; break;
        case 'j': opt.junit = optarg; break;
        case 'S': opt.is_aws_scenarios = 1; break;
        case 'H': opt.host = optarg; break;
        case 'i':
            if (optarg[0] != '/') {
                fprintf(stderr, "wsgate replay: --ignore expects a JSON Pointer such as /data/serverTime, got '%s'\n",
                        optarg);
                goto out;
            }
            ignore[opt.num_ignore++] = optarg;
            break;
        case 'R': {
            const char *eq = strchr(optarg, '=');
            if (eq == NULL || eq == optarg ||
                (strncmp(eq + 1, "http://", 7) != 0 && strncmp(eq + 1, "https://", 8) != 0)) {
                fprintf(stderr, "wsgate replay: --route expects ROUTE_KEY=http(s)://URL, got '%s'\n", optarg);
                goto out;
            }
            routes[opt.num_routes++] = optarg;
            break;
        }
        case 'p': {
            long port;
            if (parse_ms("port", optarg, 0, &port) != 0 || port > 65535)
                goto out;
            opt.port = (int)port;
            break;
        }
        case 't':
            if (parse_ms("timeout", optarg, WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS, &opt.timeout_ms) != 0)
                goto out;
            break;
        case 'w':
            if (parse_ms("settle", optarg, 0, &opt.settle_ms) != 0)
                goto out;
            break;
        case 'h':
            usage(stdout);
            status = 0;
            goto out;
        default:
            fprintf(stderr, "wsgate replay: unknown or incomplete option %s\n", argv[optind - 1]);
            usage(stderr);
            goto out;
        }
    }
    if (optind < argc)
        opt.dir = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "wsgate replay: unexpected argument %s\n", argv[optind]);
        goto out;
    }
    if (opt.backend == NULL && opt.num_routes == 0) {
        fprintf(stderr, "wsgate replay: --backend URL (or --route KEY=URL) is required\n");
        usage(stderr);
        goto out;
    }
    if (opt.backend != NULL && strncmp(opt.backend, "http://", 7) != 0 && strncmp(opt.backend, "https://", 8) != 0) {
        fprintf(stderr, "wsgate replay: --backend must be an http:// or https:// URL\n");
        goto out;
    }
    if (opt.api_id != NULL && !wg_ids_is_api_id(opt.api_id)) {
        fprintf(stderr, "wsgate replay: --api-id must be 10 characters of a-z and 0-9, as on AWS\n");
        goto out;
    }
    if (opt.dir == NULL)
        opt.is_aws_scenarios = 1;
    status = run_session(&opt);
out:
    free(ignore);
    free(routes);
    return status;
}

/*
 * replay.c: `wsgate replay --backend URL [FIXTURE_DIR]` (see replay.h).
 *
 * The events are not the fixture bytes sent again: fixtures carry someone else's IDs, hosts and
 * times. Replay takes from them only what a client decides (handshake headers, query, route keys,
 * message bodies, close code) and builds each event with events.c and fresh IDs from ids.c, so
 * the backend sees exactly what wsgate (and, per spec sections 1-2, AWS) would send it. The
 * backend is called like an AWS_PROXY Lambda integration: the event JSON POSTed as the body.
 *
 * A CLI tool, so plain blocking libcurl easy calls are fine here (the server uses httpc.c).
 */
#include "replay.h"

#include <curl/curl.h>
#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "events.h"
#include "headers.h"
#include "ids.h"
#include "limits.h"

/* Caps for what replay reads: fixtures are small files; more than this is not a fixture dir. */
#define WG_REPLAY_MAX_FILES 1000
#define WG_REPLAY_MAX_HEADERS 64
#define WG_REPLAY_MAX_ROUTES 64

/* ---- the proxy-result validator ---- */

static void set_why(char *why, size_t why_len, const char *text)
{
    if (why != NULL && why_len > 0)
        snprintf(why, why_len, "%s", text);
}

wg_proxy_result_kind_t wg_replay_check_proxy_result(const char *body, size_t len, int *status_code,
                                                    char *why, size_t why_len)
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

int wg_replay_judge(int http_status, const char *body, size_t len, char *summary,
                    size_t summary_len)
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
    case WG_PROXY_RESULT_INVALID:
        snprintf(summary, summary_len, "invalid Lambda proxy result: %s", why);
        return 0;
    case WG_PROXY_RESULT_NONE:
    default:
        snprintf(summary, summary_len, "plain %d answer (not a Lambda proxy result)", http_status);
        return 1;
    }
}

/* ---- what the fixtures tell us ---- */

typedef struct replay_route {
    char *route_key;
    char *body;
    size_t body_len;
} replay_route_t;

typedef struct replay_plan {
    json_t *connect_event; /* first CONNECT event found (reference), or NULL */
    replay_route_t routes[WG_REPLAY_MAX_ROUTES];
    size_t num_routes;
    int disconnect_code;
    char *disconnect_reason;
    size_t files_read, events_found;
} replay_plan_t;

/* The event inside a fixture file: a recorder file's "event", or a bare captured Lambda event
 * (authorizer inputs carry "type" and are not integration events). Borrowed from `doc`. */
static json_t *event_of(json_t *doc)
{
    json_t *ev = json_object_get(doc, "event");
    if (json_is_object(ev))
        return ev;
    json_t *rc = json_object_get(doc, "requestContext");
    if (json_is_object(rc) && json_is_string(json_object_get(rc, "eventType")) &&
        json_object_get(doc, "type") == NULL)
        return doc;
    return NULL;
}

static int json_name_filter(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 5 && strcmp(e->d_name + n - 5, ".json") == 0 && e->d_name[0] != '.';
}

static void plan_add_event(replay_plan_t *plan, json_t *ev)
{
    json_t *rc = json_object_get(ev, "requestContext");
    const char *type = json_string_value(json_object_get(rc, "eventType"));
    const char *route = json_string_value(json_object_get(rc, "routeKey"));
    plan->events_found++;
    if (strcmp(type, "CONNECT") == 0) {
        if (plan->connect_event == NULL)
            plan->connect_event = json_incref(ev);
    } else if (strcmp(type, "DISCONNECT") == 0) {
        if (plan->disconnect_reason == NULL) {
            json_t *code = json_object_get(rc, "disconnectStatusCode");
            const char *reason = json_string_value(json_object_get(rc, "disconnectReason"));
            plan->disconnect_code = json_is_integer(code) ? (int)json_integer_value(code) : 1005;
            plan->disconnect_reason = strdup(reason != NULL ? reason : "");
        }
    } else if (strcmp(type, "MESSAGE") == 0 && route != NULL) {
        for (size_t i = 0; i < plan->num_routes; i++)
            if (strcmp(plan->routes[i].route_key, route) == 0)
                return;
        if (plan->num_routes == WG_REPLAY_MAX_ROUTES)
            return;
        json_t *body = json_object_get(ev, "body");
        replay_route_t *r = &plan->routes[plan->num_routes++];
        r->route_key = strdup(route);
        r->body_len = json_is_string(body) ? json_string_length(body) : 0;
        r->body = malloc(r->body_len + 1);
        if (r->route_key == NULL || r->body == NULL)
            abort();
        memcpy(r->body, json_is_string(body) ? json_string_value(body) : "", r->body_len);
        r->body[r->body_len] = '\0';
    }
}

/* Reads every *.json in `dir` in name order. Returns 0, or -1 with a message on stderr. */
static int plan_load(replay_plan_t *plan, const char *dir)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, json_name_filter, alphasort);
    if (n < 0) {
        fprintf(stderr, "wsgate replay: cannot read fixture directory %s\n", dir);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (i < WG_REPLAY_MAX_FILES) {
            char path[4096];
            json_error_t jerr;
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
            json_t *doc = json_load_file(path, 0, &jerr);
            plan->files_read++;
            json_t *ev = json_is_object(doc) ? event_of(doc) : NULL;
            if (ev != NULL)
                plan_add_event(plan, ev);
            json_decref(doc);
        }
        free(names[i]);
    }
    free(names);
    if (plan->disconnect_reason == NULL) {
        /* AWS's most common disconnect: a close frame without a status code (spec 1.9). */
        plan->disconnect_code = 1005;
        plan->disconnect_reason = strdup("Client-side close frame status not set");
    }
    return 0;
}

static void plan_free(replay_plan_t *plan)
{
    json_decref(plan->connect_event);
    for (size_t i = 0; i < plan->num_routes; i++) {
        free(plan->routes[i].route_key);
        free(plan->routes[i].body);
    }
    free(plan->disconnect_reason);
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

/* POSTs `event` to `url`. Returns the HTTP status, or 0 with `err` set on a transport error. */
static int post_event(CURL *curl, const char *url, const char *event, size_t len, long timeout_ms,
                      response_buf_t *out, char *err, size_t errlen)
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
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(err, errlen, "%s", curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc));
    curl_slist_free_all(hdrs);
    return rc == CURLE_OK ? (int)status : 0;
}

/* ---- the subcommand ---- */

typedef struct replay_options {
    const char *backend;
    const char *stage;
    const char *region;
    const char *api_id;
    const char *dir;
    long timeout_ms;
    int is_verbose;
} replay_options_t;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wsgate replay --backend URL [--stage NAME] [--region NAME] [--api-id ID]\n"
            "                     [--timeout MS] [--verbose] [FIXTURE_DIR]\n"
            "Sends a session of AWS-format WebSocket events ($connect, one message per route key\n"
            "found in FIXTURE_DIR (default: fixtures), $disconnect) to the backend URL as HTTP POSTs,\n"
            "like an API Gateway Lambda proxy integration, and checks every answer. FIXTURE_DIR holds\n"
            "AWS captures or files written by `wsgate --record DIR`. Exit status: 0 ok, 1 a failed\n"
            "answer, 2 usage.\n");
}

/* Sends one event and prints its line. Returns 1 when the answer is a success. */
static int send_one(CURL *curl, const replay_options_t *opt, int index, const char *route_key,
                    const char *type, char *event, size_t len)
{
    response_buf_t resp = {NULL, 0};
    char err[CURL_ERROR_SIZE + 32] = "", summary[256];
    int status = post_event(curl, opt->backend, event, len, opt->timeout_ms, &resp, err, sizeof(err));
    int is_ok = wg_replay_judge(status, resp.data, resp.len, summary, sizeof(summary));
    printf("%3d %-10s %-16s -> ", index, type, route_key);
    if (status == 0)
        printf("FAIL  %s (%s)\n", summary, err);
    else
        printf("%s  HTTP %d, %s\n", is_ok ? "ok  " : "FAIL", status, summary);
    if (opt->is_verbose) {
        printf("    event:  %.*s\n", (int)len, event);
        printf("    answer: %.*s\n", (int)resp.len, resp.data != NULL ? resp.data : "");
    }
    free(resp.data);
    return is_ok;
}

int wg_replay_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"backend", required_argument, NULL, 'b'}, {"stage", required_argument, NULL, 's'},
        {"region", required_argument, NULL, 'r'},  {"api-id", required_argument, NULL, 'a'},
        {"timeout", required_argument, NULL, 't'}, {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    replay_options_t opt = {NULL, "local", "us-east-1", NULL, "fixtures",
                            WG_LIMIT_INTEGRATION_TIMEOUT_MS, 0};
    int status = 2;

    /* Accept both ("replay", args...) and ("wsgate", "replay", args...). */
    if (argc > 1 && strcmp(argv[1], "replay") == 0) {
        argc--;
        argv++;
    }
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': opt.backend = optarg; break;
        case 's': opt.stage = optarg; break;
        case 'r': opt.region = optarg; break;
        case 'a': opt.api_id = optarg; break;
        case 'v': opt.is_verbose = 1; break;
        case 't': {
            char *end;
            opt.timeout_ms = strtol(optarg, &end, 10);
            if (*end != '\0' || opt.timeout_ms < WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS) {
                fprintf(stderr, "wsgate replay: --timeout must be a number of ms >= %d\n",
                        WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS);
                return 2;
            }
            break;
        }
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "wsgate replay: unknown or incomplete option %s\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc)
        opt.dir = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "wsgate replay: unexpected argument %s\n", argv[optind]);
        return 2;
    }
    if (opt.backend == NULL) {
        fprintf(stderr, "wsgate replay: --backend URL is required\n");
        usage(stderr);
        return 2;
    }
    if (strncmp(opt.backend, "http://", 7) != 0 && strncmp(opt.backend, "https://", 8) != 0) {
        fprintf(stderr, "wsgate replay: --backend must be an http:// or https:// URL\n");
        return 2;
    }

    replay_plan_t plan;
    memset(&plan, 0, sizeof(plan));
    if (plan_load(&plan, opt.dir) != 0) {
        plan_free(&plan);
        return 2;
    }
    printf("replay: %zu fixture files, %zu events in %s; %zu message route(s) to replay\n",
           plan.files_read, plan.events_found, opt.dir, plan.num_routes);

    wg_ids_t *ids = wg_ids_new(opt.region, NULL, NULL);
    CURL *curl = curl_easy_init();
    if (ids == NULL || curl == NULL)
        abort();
    char api_id[WG_API_ID_LEN + 1], host[256], connection_id[WG_ID_LEN + 1];
    char request_id[WG_ID_LEN + 1], message_id[WG_ID_LEN + 1], trace_id[WG_TRACE_ID_LEN + 1];
    if (opt.api_id != NULL)
        snprintf(api_id, sizeof(api_id), "%s", opt.api_id);
    else
        wg_ids_api_id(ids, api_id);
    snprintf(host, sizeof(host), "%s.execute-api.%s.amazonaws.com", api_id, opt.region);

    connect_input_t in;
    memset(&in, 0, sizeof(in));
    connect_input_build(&in, plan.connect_event, host);

    uint64_t connected_at = wg_now_ms();
    wg_ids_connection(ids, connected_at, connection_id);
    wg_event_context_t ctx = {
        .route_key = "$connect",
        .connection_id = connection_id,
        .request_id = request_id,
        .message_id = NULL,
        .stage = opt.stage,
        .domain_name = host,
        .api_id = api_id,
        .connected_at = connected_at,
        .source_ip = "127.0.0.1",
        .user_agent = in.has_user_agent ? in.user_agent : NULL,
        .authorizer_json = NULL,
    };
    int index = 0, failed = 0, total = 0;
    size_t len;
    char *event;

    /* $connect */
    ctx.request_time_ms = wg_now_ms();
    wg_ids_request(ids, ctx.request_time_ms, request_id);
    wg_ids_trace_id(ids, ctx.request_time_ms, trace_id);
    wg_event_forwarding_t fwd = {trace_id, "443", "https"};
    event = wg_event_connect(&ctx, in.headers, in.num_headers, in.query != NULL, in.query,
                             in.query != NULL ? strlen(in.query) : 0, &fwd, &len);
    total++;
    failed += !send_one(curl, &opt, ++index, "$connect", "CONNECT", event, len);
    free(event);

    /* one message per route key */
    for (size_t i = 0; i < plan.num_routes; i++) {
        ctx.route_key = plan.routes[i].route_key;
        ctx.request_time_ms = wg_now_ms();
        wg_ids_request(ids, ctx.request_time_ms, request_id);
        wg_ids_message(ids, ctx.request_time_ms, connection_id, message_id);
        ctx.message_id = message_id;
        event = wg_event_message(&ctx, plan.routes[i].body, plan.routes[i].body_len, &len);
        total++;
        failed += !send_one(curl, &opt, ++index, ctx.route_key, "MESSAGE", event, len);
        free(event);
    }

    /* $disconnect */
    ctx.route_key = "$disconnect";
    ctx.message_id = NULL;
    ctx.request_time_ms = wg_now_ms();
    ctx.disconnect_status_code = plan.disconnect_code;
    ctx.disconnect_reason = plan.disconnect_reason;
    wg_ids_request(ids, ctx.request_time_ms, request_id);
    event = wg_event_disconnect(&ctx, host, &len);
    total++;
    failed += !send_one(curl, &opt, ++index, "$disconnect", "DISCONNECT", event, len);
    free(event);

    printf("replay: %d events, %d ok, %d failed\n", total, total - failed, failed);
    status = failed == 0 ? 0 : 1;

    free(in.query);
    curl_easy_cleanup(curl);
    wg_ids_free(ids);
    plan_free(&plan);
    return status;
}

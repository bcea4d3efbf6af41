/*
 * replay.c: `wsgate replay`'s command line, and what API Gateway would do with a backend's answer
 * judged alone (see replay.h; the file format and the rules: docs/replay.md).
 *
 * A recording is replayed as sessions, not single events: every event file, in order, each
 * connection keeping its identity within the run and the connections their interleaving
 * (replay_plan.c reads the files, replay_run.c replays them). Events without a recorded answer
 * (AWS's captures, and the scripted --aws-scenarios session of replay_scenarios.c) are judged
 * alone, here: is the answer a valid Lambda proxy result (AWS-INT-11, AWS-INT-12), and what would
 * API Gateway do with it (AWS-INT-8, AWS-INT-13, AWS-INT-14, AWS-LIFE-4).
 */
#include "replay.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "ids.h"
#include "limits.h"
#include "replay_internal.h"

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

/* ---- an answer judged alone ---- */

/* What API Gateway would do with an answer to this event, as a one-line `summary`; returns 1
 * when that is a success for the event (judged alone: no recording). */
int wg_replay_aws_verdict(const char *type, const wg_replay_answer_t *a, int is_timeout, const char *err, char *summary,
                          size_t size)
{
    int is_connect = strcmp(type, "CONNECT") == 0, is_message = strcmp(type, "MESSAGE") == 0;
    if (a->http_status == 0) {
        snprintf(summary, size, "no answer (%s): on AWS %s", err,
                 is_connect   ? (is_timeout ? "the handshake fails with 504" : "the handshake fails with 502")
                 : is_message ? (is_timeout ? "the client gets {\"message\": \"" WG_FRAME_TIMED_OUT "\", ...}"
                                            : "the client gets {\"message\": \"" WG_FRAME_INTERNAL_ERROR "\", ...}")
                              : "the Lambda would have failed");
        return 0;
    }
    if (a->kind == WG_PROXY_RESULT_INVALID) {
        snprintf(summary, size, "HTTP %d, invalid Lambda proxy result (%s): on AWS %s", a->http_status, a->why,
                 is_connect   ? "the handshake fails with 502"
                 : is_message ? "the client gets an \"" WG_FRAME_INTERNAL_ERROR "\" frame"
                              : "the Lambda would have failed");
        return 0;
    }
    if (a->http_status >= 500 && a->kind == WG_PROXY_RESULT_NONE) {
        snprintf(summary, size, "HTTP %d: a function error; on AWS %s", a->http_status,
                 is_connect   ? "the handshake fails with 502"
                 : is_message ? "the client gets an \"" WG_FRAME_INTERNAL_ERROR "\" frame"
                              : "the Lambda would have failed");
        return 0;
    }
    if (a->kind == WG_PROXY_RESULT_NONE) {
        if (is_connect) {
            /* [I] inferred (AWS-INT-12): AWS's answer to a Lambda $connect result without
             * statusCode is not known. The server takes the lenient reading (accepted); judged
             * alone, replay takes the strict one (REST APIs answer 502 "Malformed Lambda proxy
             * response"), so a backend relying on it is told before AWS tells it. */
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
    wg_replay_options_t opt = {.region = "us-east-1",
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
    status = wg_replay_run_session(&opt);
out:
    free(ignore);
    free(routes);
    return status;
}

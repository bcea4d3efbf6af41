/*
 * replay_internal.h: what the pieces of `wsgate replay` share and nothing else calls (the public
 * interface is replay.h). A run reads a fixture directory, or builds the AWS scenarios, into a
 * plan of steps (replay_plan.c, replay_scenarios.c), replays the plan against the backend
 * (replay_run.c), judges answers without a recording (replay.c) and writes the JUnit report
 * (replay_junit.c); the command line (replay.c) fills the options.
 */
#ifndef WG_REPLAY_INTERNAL_H
#define WG_REPLAY_INTERNAL_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ids.h"
#include "replay_compare.h"
#include "replay_mgmt.h"

/* ---- the plan: the steps of a session, read from files or built from the captures ---- */

typedef struct wg_replay_post_want {
    char *connection_id; /* recorded */
    char *data;
    size_t len;
} wg_replay_post_want_t;

typedef struct wg_replay_step {
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
    wg_replay_post_want_t *posts;
    size_t num_posts;
    const char *note; /* scenarios: what the step stands for (static) */
} wg_replay_step_t;

typedef struct wg_replay_plan {
    wg_replay_step_t *steps;
    size_t num_steps, cap_steps;
    size_t files_read;
    size_t num_posts;
} wg_replay_plan_t;

/** strdup (NULL gives ""); aborts when out of memory, like the rest of this CLI tool. */
char *wg_replay_strdup(const char *s);
/** Appends a step for `event` (a new reference is taken), named `name`; its type, route and
 * recorded connectionId are read from the event, which event_of/events.c have checked. */
wg_replay_step_t *wg_replay_plan_add_step(wg_replay_plan_t *plan, const char *name, json_t *event);
void wg_replay_plan_free(wg_replay_plan_t *plan);
/** Reads every *.json of `dir` into `plan` (replay_plan.c). 0, or -1 after one line on stderr. */
int wg_replay_plan_load(wg_replay_plan_t *plan, const char *dir);

/** Builds the scripted --aws-scenarios session from the captures in `dir` (replay_scenarios.c).
 * 0, or -1 after one line on stderr (a capture is missing). */
int wg_replay_plan_scenarios(wg_replay_plan_t *plan, const char *dir, const char *stage, const char *region,
                             const char *api_id);
/** Where --aws-scenarios finds the captures (`given` when not NULL). */
const char *wg_replay_scenario_dir(const char *given);

/* ---- a run ---- */

typedef struct wg_replay_conn {
    char *recorded; /* the recorded connectionId */
    char id[WG_ID_LEN + 1]; /* this run's */
    uint64_t connected_at;
    int is_rejected; /* its $connect was rejected in this run */
    int number; /* c1, c2, ... in order of appearance */
    int has_steps; /* an event of it was replayed already */
} wg_replay_conn_t;

typedef struct wg_replay_options {
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
} wg_replay_options_t;

typedef struct wg_replay_run {
    const wg_replay_options_t *opt;
    wg_ids_t *ids;
    CURL *curl;
    wg_replay_mgmt_t *mgmt;
    wg_replay_conn_t *conns;
    size_t num_conns;
    const char **ids_from, **ids_to; /* parallel views of conns, for the comparison */
    wg_replay_plan_t *plan;
    wg_buf_t junit_cases; /* the <testcase> elements, written after the counts are known */
    int passed, failed, skipped;
} wg_replay_run_t;

/** Replays the session the options describe; returns the exit status (replay_run.c). */
int wg_replay_run_session(const wg_replay_options_t *opt);

/** What API Gateway would do with an answer to an event of `type` ("CONNECT", ...), as a one-line
 * `summary`; 1 when that is a success for the event (judged alone: no recording; replay.c). */
int wg_replay_aws_verdict(const char *type, const wg_replay_answer_t *a, int is_timeout, const char *err, char *summary,
                          size_t size);

/** Adds one <testcase> for a replayed step (verdict 1 pass, 0 fail, -1 skipped) when --junit was
 * given (replay_junit.c). */
void wg_replay_junit_case(wg_replay_run_t *run, const wg_replay_step_t *step, int conn_number, int verdict,
                          double seconds, const char *summary, const wg_replay_diff_t *diff);
/** Writes the --junit file: the counts, then the test cases. 0, or -1 after one line on stderr. */
int wg_replay_junit_write(const wg_replay_run_t *run, const char *suite, double seconds);

#endif

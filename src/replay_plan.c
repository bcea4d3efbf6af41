/*
 * replay_plan.c: loading a fixture directory into a session for `wsgate replay` (docs/replay.md):
 * recorder files (`wsgate --record DIR`: the event, the answer, the PostToConnection calls the
 * backend made) and bare AWS captures of Lambda events, in natural name order. The events keep
 * their recorded shape and key order (AWS-EV-2..4, AWS-EV-8..10); only IDs and times are replaced
 * when they are sent (replay_run.c).
 */
#include "replay_internal.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "limits.h"

char *wg_replay_strdup(const char *s)
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

wg_replay_step_t *wg_replay_plan_add_step(wg_replay_plan_t *plan, const char *name, json_t *event)
{
    if (plan->num_steps == plan->cap_steps) {
        plan->cap_steps = plan->cap_steps ? plan->cap_steps * 2 : 16;
        plan->steps = realloc(plan->steps, plan->cap_steps * sizeof(*plan->steps));
        if (plan->steps == NULL)
            abort();
    }
    wg_replay_step_t *step = &plan->steps[plan->num_steps++];
    memset(step, 0, sizeof(*step));
    step->name = wg_replay_strdup(name);
    step->event = json_incref(event);
    json_t *rc = json_object_get(event, "requestContext");
    step->type = json_string_value(json_object_get(rc, "eventType"));
    step->route = json_string_value(json_object_get(rc, "routeKey"));
    step->conn = wg_replay_strdup(json_string_value(json_object_get(rc, "connectionId")));
    step->is_two_way = -1;
    return step;
}

void wg_replay_plan_free(wg_replay_plan_t *plan)
{
    for (size_t i = 0; i < plan->num_steps; i++) {
        wg_replay_step_t *s = &plan->steps[i];
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
static int plan_add_post(wg_replay_plan_t *plan, const char *file, json_t *call)
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
    wg_replay_step_t *step = &plan->steps[plan->num_steps - 1];
    step->posts = realloc(step->posts, (step->num_posts + 1) * sizeof(*step->posts));
    if (step->posts == NULL)
        abort();
    step->posts[step->num_posts].connection_id = wg_replay_strdup(target);
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
int wg_replay_plan_load(wg_replay_plan_t *plan, const char *dir)
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
                    wg_replay_step_t *step = wg_replay_plan_add_step(plan, names[i]->d_name, ev);
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
                wg_replay_step_t t = plan->steps[j];
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

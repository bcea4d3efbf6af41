/*
 * recorder.c: `wsgate --record DIR`, one fixture file per backend call (format in recorder.h).
 *
 * Why files and not one log: a user can delete, reorder or hand-edit single events, commit them
 * next to their backend's tests, and `wsgate replay` reads them like the AWS captures in
 * fixtures/ (curl's one-file-per-case habit). The event is stored parsed (jansson keeps object
 * keys in insertion order), so the file shows AWS's key order (AWS-EV-2..4, AWS-EV-8..10) and
 * stays readable; replay re-serialises it compactly.
 */
#include "recorder.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* The longest route-key part of a file name; route keys are user-chosen and may be long. */
#define WG_RECORDER_ROUTE_CHARS 48

struct wg_recorder {
    char *dir;
    unsigned next_seq;
    pthread_mutex_t lock;
};

void wg_recorder_file_name(unsigned seq, const char *route_key, char *out, size_t out_size)
{
    char route[WG_RECORDER_ROUTE_CHARS + 1];
    size_t n = 0;
    const char *p = route_key != NULL ? route_key : "";
    if (*p == '$')
        p++;
    for (; *p != '\0' && n < WG_RECORDER_ROUTE_CHARS; p++) {
        unsigned char c = (unsigned char)*p;
        route[n++] = (isalnum(c) || c == '_' || c == '-') ? (char)c : '_';
    }
    if (n == 0)
        route[n++] = '_';
    route[n] = '\0';
    snprintf(out, out_size, "%04u-%s.json", seq, route);
}

/* The highest NNNN of the NNNN-*.json files already in `dir`, or 0. */
static unsigned highest_existing_seq(const char *dir)
{
    unsigned highest = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        size_t digits = 0;
        unsigned long v = 0;
        while (isdigit((unsigned char)name[digits]) && digits < 9) {
            v = v * 10 + (unsigned long)(name[digits] - '0');
            digits++;
        }
        if (digits >= 4 && name[digits] == '-' && v > highest)
            highest = (unsigned)v;
    }
    closedir(d);
    return highest;
}

wg_recorder_t *wg_recorder_open(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (dir == NULL || *dir == '\0') {
        snprintf(err, errlen, "--record: empty directory name");
        return NULL;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "--record: cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--record: %s is not a directory", dir);
        return NULL;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "--record: %s is not writable: %s", dir, strerror(errno));
        return NULL;
    }
    wg_recorder_t *rec = calloc(1, sizeof(*rec));
    if (rec == NULL || (rec->dir = strdup(dir)) == NULL)
        abort();
    rec->next_seq = highest_existing_seq(dir) + 1;
    pthread_mutex_init(&rec->lock, NULL);
    return rec;
}

/* A JSON string for bytes that are valid UTF-8, else NULL (jansson validates). */
static json_t *utf8_string_or_null(const char *s, size_t len)
{
    return json_stringn(s != NULL ? s : "", s != NULL ? len : 0);
}

static json_t *base64_string(const char *s, size_t len)
{
    size_t cap = 4 * ((len + 2) / 3) + 1;
    unsigned char *buf = malloc(cap);
    if (buf == NULL)
        abort();
    int n = EVP_EncodeBlock(buf, (const unsigned char *)s, (int)len);
    json_t *out = json_stringn((const char *)buf, n > 0 ? (size_t)n : 0);
    free(buf);
    return out;
}

/* Builds the fixture document; returns a new reference. */
static json_t *build_document(const char *route_key, int is_two_way, const char *connection_id, const char *event_json,
                              size_t len, int status, const char *response_body, size_t response_len)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "routeKey", json_string(route_key != NULL ? route_key : ""));
    json_object_set_new(doc, "connectionId", json_string(connection_id != NULL ? connection_id : ""));
    json_object_set_new(doc, "twoWay", json_boolean(is_two_way));

    json_error_t jerr;
    json_t *event = json_loadb(event_json != NULL ? event_json : "", event_json != NULL ? len : 0, 0, &jerr);
    if (json_is_object(event)) {
        json_object_set_new(doc, "event", event);
    } else {
        json_decref(event);
        json_t *text = utf8_string_or_null(event_json, len);
        json_object_set_new(doc, "eventText", text != NULL ? text : base64_string(event_json, len));
    }

    json_t *response = json_object();
    json_object_set_new(response, "status", json_integer(status));
    json_t *body = utf8_string_or_null(response_body, response_len);
    if (body != NULL)
        json_object_set_new(response, "body", body);
    else
        json_object_set_new(response, "bodyBase64", base64_string(response_body, response_len));
    json_object_set_new(doc, "response", response);
    return doc;
}

unsigned wg_recorder_reserve(wg_recorder_t *rec)
{
    pthread_mutex_lock(&rec->lock);
    unsigned seq = rec->next_seq++;
    pthread_mutex_unlock(&rec->lock);
    return seq;
}

void wg_recorder_event(wg_recorder_t *rec, const char *route_key, int is_two_way, const char *connection_id,
                       const char *event_json, size_t len, int status, const char *response_body, size_t response_len)
{
    if (rec == NULL)
        return;
    wg_recorder_event_at(rec, wg_recorder_reserve(rec), route_key, is_two_way, connection_id, event_json, len, status,
                         response_body, response_len);
}

static void write_document(wg_recorder_t *rec, unsigned seq, const char *name_part, json_t *doc);

void wg_recorder_event_at(wg_recorder_t *rec, unsigned seq, const char *route_key, int is_two_way,
                          const char *connection_id, const char *event_json, size_t len, int status,
                          const char *response_body, size_t response_len)
{
    if (rec == NULL)
        return;
    json_t *doc =
        build_document(route_key, is_two_way, connection_id, event_json, len, status, response_body, response_len);
    write_document(rec, seq, route_key, doc);
    json_decref(doc);
}

void wg_recorder_side_effect(wg_recorder_t *rec, const char *operation, const char *connection_id, const char *data,
                             size_t len)
{
    if (rec == NULL)
        return;
    json_t *call = json_object();
    json_object_set_new(call, "connectionId", json_string(connection_id != NULL ? connection_id : ""));
    json_t *text = utf8_string_or_null(data, len);
    if (text != NULL)
        json_object_set_new(call, "data", text);
    else
        json_object_set_new(call, "dataBase64", base64_string(data, len));
    json_t *doc = json_object();
    json_object_set_new(doc, operation, call);
    write_document(rec, wg_recorder_reserve(rec), operation, doc);
    json_decref(doc);
}

/* Writes `doc` as NNNN-<name_part>.json through a .tmp file and a rename. */
static void write_document(wg_recorder_t *rec, unsigned seq, const char *name_part, json_t *doc)
{
    char name[96], path[4096], tmp[4112];

    pthread_mutex_lock(&rec->lock);
    wg_recorder_file_name(seq, name_part, name, sizeof(name));
    snprintf(path, sizeof(path), "%s/%s", rec->dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    char *text = json_dumps(doc, JSON_INDENT(2));
    FILE *f = text != NULL ? fopen(tmp, "w") : NULL;
    int ok = f != NULL && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    free(text);
    if (!ok) {
        wg_log_warn("record: cannot write %s", tmp);
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        wg_log_warn("record: cannot rename %s: %s", tmp, strerror(errno));
        unlink(tmp);
    }
    pthread_mutex_unlock(&rec->lock);
}

void wg_recorder_close(wg_recorder_t *rec)
{
    if (rec == NULL)
        return;
    pthread_mutex_destroy(&rec->lock);
    free(rec->dir);
    free(rec);
}

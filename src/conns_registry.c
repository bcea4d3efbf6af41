/*
 * conns_registry.c: the connection table (see conns.h): ids to connections, the counts graceful
 * shutdown waits on, each connection's reference count and its one place of freeing, and the
 * read-only accessors the management API and the inspector use.
 *
 * AWS behaviour reproduced here: a connection is visible to @connections only while OPEN; one
 * still in $connect, or closing, is 410 (AWS-LIFE-3, AWS-MGMT-10).
 */
#include "conns_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "budget.h"

/* ---- registry ------------------------------------------------------------------------------- */

#define REGISTRY_MIN_BUCKETS 1024

static void registry_resize(wg_conns_t *conns, size_t n);

static size_t hash_id(const char *id)
{
    size_t h = 14695981039346656037ULL;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ULL;
    return h;
}

wg_conn_t *wg_conns_registry_find(wg_conns_t *conns, const char *id)
{
    for (wg_conn_t *c = conns->buckets[hash_id(id) & (conns->num_buckets - 1)]; c != NULL; c = c->hash_next)
        if (strcmp(c->id, id) == 0)
            return c;
    return NULL;
}

void wg_conns_registry_add(wg_conns_t *conns, wg_conn_t *conn)
{
    if (conns->num_registered + 1 > conns->num_buckets)
        registry_resize(conns, conns->num_buckets * 2);
    size_t b = hash_id(conn->id) & (conns->num_buckets - 1);
    conn->hash_next = conns->buckets[b];
    conns->buckets[b] = conn;
    conns->num_registered++;
}

/* Rehashes into `n` buckets (a power of two). */
static void registry_resize(wg_conns_t *conns, size_t n)
{
    wg_conn_t **buckets = calloc(n, sizeof(*buckets));
    if (buckets == NULL)
        abort();
    for (size_t i = 0; i < conns->num_buckets; i++) {
        wg_conn_t *c = conns->buckets[i];
        while (c != NULL) {
            wg_conn_t *next = c->hash_next;
            size_t b = hash_id(c->id) & (n - 1);
            c->hash_next = buckets[b];
            buckets[b] = c;
            c = next;
        }
    }
    free(conns->buckets);
    conns->buckets = buckets;
    conns->num_buckets = n;
}

static void registry_remove(wg_conns_t *conns, wg_conn_t *conn)
{
    wg_conn_t **p = &conns->buckets[hash_id(conn->id) & (conns->num_buckets - 1)];
    for (; *p != NULL; p = &(*p)->hash_next) {
        if (*p == conn) {
            *p = conn->hash_next;
            conn->hash_next = NULL;
            conns->num_registered--;
            /* after a mass departure the table shrinks back (it grew with the connections) */
            if (conns->num_buckets > REGISTRY_MIN_BUCKETS && conns->num_registered * 8 < conns->num_buckets &&
                !conns->is_iterating)
                registry_resize(conns, conns->num_buckets / 2);
            return;
        }
    }
}

/* ---- lifetime ------------------------------------------------------------------------------- */

void wg_conn_retain(wg_conn_t *conn)
{
    conn->refs++;
}

/* After a mass departure (e.g. 19,000 clients leaving at once) glibc keeps the freed heap: give it
 * back once three quarters of the connections seen since the last trim are gone. */
static void maybe_trim_heap(wg_conns_t *conns)
{
#ifdef __GLIBC__
    if (conns->alive_high_water >= 1024 && conns->num_alive * 4 <= conns->alive_high_water) {
        malloc_trim(0);
        conns->alive_high_water = conns->num_alive;
        conns->needs_final_trim = 1;
    } else if (conns->num_alive == 0 && conns->needs_final_trim) {
        /* the last of them is gone: what the earlier trims could not return (fragments between
         * connections that were still alive) can go now */
        malloc_trim(0);
        conns->needs_final_trim = 0;
    }
#else
    (void)conns;
#endif
}

void wg_conn_release(wg_conn_t *conn)
{
    if (--conn->refs > 0)
        return;
    conn->conns->num_alive--;
    maybe_trim_heap(conn->conns);
    free(conn->user_agent);
    free(conn->host);
    free(conn->authorizer_json);
    free(conn->identity_json);
    free(conn->handshake_headers);
    while (conn->sent_head != NULL) {
        wg_conn_sent_t *next = conn->sent_head->next;
        free(conn->sent_head);
        conn->sent_head = next;
    }
    free(conn);
}

/* Leaves OPEN/CONNECTING for good: unregistered, timers stopped. */
void wg_conn_detach(wg_conn_t *conn)
{
    if (conn->state == CONN_CLOSED)
        return;
    if (conn->state == CONN_OPEN)
        conn->conns->num_open--;
    conn->state = CONN_CLOSED;
    registry_remove(conn->conns, conn);
    if (h2o_timeout_is_linked(&conn->idle_timer))
        h2o_timeout_unlink(&conn->idle_timer);
    if (h2o_timeout_is_linked(&conn->hard_timer))
        h2o_timeout_unlink(&conn->hard_timer);
}

/* ---- public --------------------------------------------------------------------------------- */

wg_conns_t *wg_conns_new(wg_server_t *server)
{
    wg_conns_t *conns = calloc(1, sizeof(*conns));
    if (conns == NULL)
        abort();
    conns->server = server;
    conns->num_buckets = REGISTRY_MIN_BUCKETS;
    conns->buckets = calloc(conns->num_buckets, sizeof(*conns->buckets));
    if (conns->buckets == NULL)
        abort();
    h2o_timeout_init(server->loop, &conns->idle_timeout, server->config->idle_timeout_ms);
    h2o_timeout_init(server->loop, &conns->hard_timeout, server->config->hard_timeout_ms);
    return conns;
}

void wg_conns_free(wg_conns_t *conns)
{
    h2o_timeout_dispose(conns->server->loop, &conns->idle_timeout);
    h2o_timeout_dispose(conns->server->loop, &conns->hard_timeout);
    free(conns->buckets);
    free(conns);
}

wg_conn_t *wg_conns_find_open(wg_conns_t *conns, const char *id)
{
    wg_conn_t *c = wg_conns_registry_find(conns, id);
    return c != NULL && c->state == CONN_OPEN && c->ws != NULL && !wg_ws_is_closing(c->ws) ? c : NULL;
}

size_t wg_conns_count_open(const wg_conns_t *conns)
{
    return conns->num_open;
}

size_t wg_conns_count_alive(const wg_conns_t *conns)
{
    return conns->num_alive;
}

void wg_conns_foreach_open(wg_conns_t *conns, void (*fn)(wg_conn_t *conn, void *arg), void *arg)
{
    for (size_t i = 0; i < conns->num_buckets; i++)
        for (wg_conn_t *c = conns->buckets[i]; c != NULL; c = c->hash_next)
            if (c->state == CONN_OPEN && c->ws != NULL && !wg_ws_is_closing(c->ws))
                fn(c, arg);
}

void wg_conns_close_all(wg_conns_t *conns, int code, const char *reason)
{
    /* Shutdown: messages still waiting for a backend are dropped first (they would only delay the
     * $disconnect calls, which are served first anyway and never dropped). */
    if (conns->server->budget != NULL)
        wg_budget_drop_waiting(conns->server->budget);
    conns->is_iterating = 1;
    for (size_t i = 0; i < conns->num_buckets; i++) {
        wg_conn_t *c = conns->buckets[i];
        while (c != NULL) {
            wg_conn_t *next = c->hash_next;
            wg_conn_server_close(c, code, reason, code, reason);
            c = next;
        }
    }
    conns->is_iterating = 0;
}

const wg_conn_sent_t *wg_conn_sent_messages(const wg_conn_t *conn)
{
    return conn->sent_head;
}

const char *wg_conn_id(const wg_conn_t *conn)
{
    return conn->id;
}

uint64_t wg_conn_connected_at(const wg_conn_t *conn)
{
    return conn->connected_at;
}

uint64_t wg_conn_last_active_at(const wg_conn_t *conn)
{
    return conn->last_active_at;
}

const char *wg_conn_source_ip(const wg_conn_t *conn)
{
    return conn->source_ip;
}

const char *wg_conn_user_agent(const wg_conn_t *conn)
{
    return conn->user_agent;
}

/*
 * httpc_curl.c: httpc's libcurl transport: a curl multi handle on a worker thread, for every call
 * the loop transport (httpc_loop.c) does not take: https, host names (curl tries each address a
 * name resolves to), and all calls when a proxy is set in the environment.
 *
 * The worker touches only curl and its own jobs; all h2o and connection state stays on the loop
 * thread. CURLMOPT_MAXCONNECTS keeps finished connections for reuse (without it curl churns TCP
 * connections). How many calls run at once is not decided here: every caller
 * goes through its target's budget first (budget.h), which bounds the calls in flight per backend
 * and makes the rest wait with their deadline running. A job handed to the worker starts at once,
 * so a stuck backend can never hold a healthy one's calls back in a shared queue (issue 15).
 */
#include "httpc_internal.h"

#include <curl/curl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "limits.h"
#include "log.h"

typedef struct httpc_job {
    h2o_multithread_message_t super; /* completion message to the loop thread */
    struct httpc_job *next; /* worker's incoming queue */
    wg_httpc_request_t req;
    CURL *easy;
    struct curl_slist *header_list;
    wg_buf_t body; /* response, capped at WG_LIMIT_BACKEND_RESPONSE_BYTES */
    wg_buf_t headers; /* the last header block, capped at WG_LIMIT_BACKEND_HEADER_BYTES */
    int is_over_cap;
    CURLcode result;
    long status;
    char error[CURL_ERROR_SIZE];
} httpc_job_t;

/* Spare easy handles kept for reuse (curl_easy_reset keeps their buffers): as many as the pool
 * keeps connections. Each holds curl's 16 KB receive buffer, so keeping one per call in flight
 * would hold megabytes after a burst. */
/* Spare handles kept once the worker has had nothing to do for WG_LIMIT_HTTPC_IDLE_MS: none. After a burst
 * (19,000 $disconnect calls) they are freed and the heap trimmed instead of holding a megabyte of
 * receive buffers, allocated in the middle of the burst's heap, for the next burst (S1's memory
 * after close: 8 kept = +21 % over idle, none = +19 %); a busy worker keeps reusing them
 * (WG_LIMIT_HTTPC_IDLE_SPARE). */

struct wg_httpc_curl {
    CURLM *multi;
    /* worker thread only */
    CURL *spare[WG_LIMIT_BACKEND_POOL_CONNECTIONS];
    size_t num_spare;
    size_t num_active;
    pthread_t thread;
    pthread_mutex_t lock;
    httpc_job_t *incoming_head, *incoming_tail; /* guarded by lock */
    int is_stopping; /* guarded by lock */
    h2o_multithread_receiver_t receiver;
    h2o_multithread_queue_t *queue;
    size_t in_flight; /* loop thread only */
};

static int append_capped(wg_buf_t *buf, const char *data, size_t n, size_t limit)
{
    if (buf->len + n > limit)
        return -1;
    if (buf->cap == 0)
        wg_buf_reserve(buf, 1024 - 1); /* one 1 KB block (with buf.h's NUL) holds most answers */
    wg_buf_append(buf, data, n);
    return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    httpc_job_t *job = userp;
    size_t n = size * nmemb;
    if (append_capped(&job->body, data, n, WG_LIMIT_BACKEND_RESPONSE_BYTES) != 0) {
        job->is_over_cap = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    httpc_job_t *job = userp;
    size_t n = size * nmemb;
    /* A new status line (e.g. after a 100 Continue) starts a new header block. */
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
        wg_buf_reset(&job->headers);
    if (append_capped(&job->headers, data, n, WG_LIMIT_BACKEND_HEADER_BYTES) != 0) {
        job->is_over_cap = 1;
        return 0;
    }
    return n;
}

static void start_job(wg_httpc_curl_t *client, httpc_job_t *job)
{
    CURL *e = client->num_spare > 0 ? client->spare[--client->num_spare] : curl_easy_init();
    if (e == NULL)
        abort();
    client->num_active++;
    job->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, job->req.url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)job->req.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)job->req.timeout_ms);
    curl_easy_setopt(e, CURLOPT_PRIVATE, job);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, job->error);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, job);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, job);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    job->header_list = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; i < job->req.num_headers; i++)
        job->header_list = curl_slist_append(job->header_list, job->req.headers[i]);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, job->header_list);
    if (strcmp(job->req.method, "POST") == 0 || job->req.body != NULL) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, job->req.body ? job->req.body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)job->req.body_len);
    }
    if (strcmp(job->req.method, "POST") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, job->req.method);
    if (strcmp(job->req.method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    curl_multi_add_handle(client->multi, e);
}

static void finish_job(wg_httpc_curl_t *client, httpc_job_t *job, CURLcode result)
{
    job->result = result;
    curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &job->status);
    curl_multi_remove_handle(client->multi, job->easy);
    client->num_active--;
    if (client->num_spare < WG_LIMIT_BACKEND_POOL_CONNECTIONS) {
        curl_easy_reset(job->easy);
        client->spare[client->num_spare++] = job->easy;
    } else {
        curl_easy_cleanup(job->easy);
    }
    job->easy = NULL;
    curl_slist_free_all(job->header_list);
    job->header_list = NULL;
    h2o_multithread_send_message(&client->receiver, &job->super);
}

static void *worker_main(void *arg)
{
    wg_httpc_curl_t *client = arg;
    for (;;) {
        pthread_mutex_lock(&client->lock);
        httpc_job_t *jobs = client->incoming_head;
        client->incoming_head = client->incoming_tail = NULL;
        int is_stopping = client->is_stopping;
        pthread_mutex_unlock(&client->lock);
        while (jobs != NULL) {
            httpc_job_t *next = jobs->next;
            jobs->next = NULL;
            start_job(client, jobs);
            jobs = next;
        }
        int running = 0;
        curl_multi_perform(client->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(client->multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            httpc_job_t *job;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&job);
            finish_job(client, job, msg->data.result);
        }
        if (is_stopping && running == 0 && client->num_active == 0)
            break;
        int numfds;
        int has_extra_spares = client->num_active == 0 && client->num_spare > WG_LIMIT_HTTPC_IDLE_SPARE;
        curl_multi_poll(client->multi, NULL, 0, has_extra_spares ? WG_LIMIT_HTTPC_IDLE_MS : WG_LIMIT_HTTPC_POLL_MS,
                        &numfds);
        if (has_extra_spares && numfds == 0 && client->num_active == 0) {
            pthread_mutex_lock(&client->lock);
            int is_idle = client->incoming_head == NULL;
            pthread_mutex_unlock(&client->lock);
            if (is_idle) {
                while (client->num_spare > WG_LIMIT_HTTPC_IDLE_SPARE)
                    curl_easy_cleanup(client->spare[--client->num_spare]);
#ifdef __GLIBC__
                malloc_trim(0); /* every arena, this thread's included */
#endif
            }
        }
    }
    return NULL;
}

static void deliver(wg_httpc_curl_t *client, httpc_job_t *job)
{
    wg_httpc_response_t res;
    memset(&res, 0, sizeof(res));
    res.status = (int)job->status;
    res.body = job->body.data ? job->body.data : "";
    res.body_len = job->body.len;
    res.headers = job->headers.data ? job->headers.data : "";
    res.headers_len = job->headers.len;
    if (job->result == CURLE_OPERATION_TIMEDOUT) {
        res.is_timeout = 1;
        res.error = "timed out";
    } else if (job->result != CURLE_OK) {
        res.is_transport_error = 1;
        res.error = job->is_over_cap ? "response larger than the cap"
                                     : (job->error[0] ? job->error : curl_easy_strerror(job->result));
        res.status = 0;
    }
    client->in_flight--;
    job->req.on_done(job->req.data, &res);
    wg_httpc_request_dispose(&job->req);
    wg_buf_free(&job->body);
    wg_buf_free(&job->headers);
    free(job);
}

static void on_completions(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    wg_httpc_curl_t *client = H2O_STRUCT_FROM_MEMBER(wg_httpc_curl_t, receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        httpc_job_t *job = H2O_STRUCT_FROM_MEMBER(httpc_job_t, super.link, messages->next);
        h2o_linklist_unlink(&job->super.link);
        deliver(client, job);
    }
}

static void init_curl_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

wg_httpc_curl_t *wg_httpc_curl_new(h2o_multithread_queue_t *queue)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_curl_once);
    wg_httpc_curl_t *client = calloc(1, sizeof(*client));
    if (client == NULL)
        abort();
    client->multi = curl_multi_init();
    curl_multi_setopt(client->multi, CURLMOPT_MAXCONNECTS, (long)WG_LIMIT_BACKEND_POOL_CONNECTIONS);
    pthread_mutex_init(&client->lock, NULL);
    client->queue = queue;
    h2o_multithread_register_receiver(queue, &client->receiver, on_completions);
    if (pthread_create(&client->thread, NULL, worker_main, client) != 0)
        abort();
    return client;
}

void wg_httpc_curl_free(wg_httpc_curl_t *client)
{
    pthread_mutex_lock(&client->lock);
    client->is_stopping = 1;
    pthread_mutex_unlock(&client->lock);
    curl_multi_wakeup(client->multi);
    pthread_join(client->thread, NULL);
    h2o_multithread_unregister_receiver(client->queue, &client->receiver);
    for (size_t i = 0; i < client->num_spare; i++)
        curl_easy_cleanup(client->spare[i]);
    curl_multi_cleanup(client->multi);
    pthread_mutex_destroy(&client->lock);
    free(client);
}

void wg_httpc_curl_submit(wg_httpc_curl_t *client, wg_httpc_request_t *req)
{
    httpc_job_t *job = calloc(1, sizeof(*job));
    if (job == NULL)
        abort();
    job->req = *req;
    memset(req, 0, sizeof(*req));
    client->in_flight++;
    pthread_mutex_lock(&client->lock);
    /* The worker takes the whole list at once: only the call that makes it non-empty needs to
     * wake it (one write instead of one per call under load). */
    int is_first = client->incoming_head == NULL;
    if (client->incoming_tail)
        client->incoming_tail->next = job;
    else
        client->incoming_head = job;
    client->incoming_tail = job;
    pthread_mutex_unlock(&client->lock);
    if (is_first)
        curl_multi_wakeup(client->multi);
}

size_t wg_httpc_curl_in_flight(const wg_httpc_curl_t *client)
{
    return client->in_flight;
}

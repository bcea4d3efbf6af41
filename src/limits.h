/*
 * limits.h: every AWS limit and every internal cap, as one named constant each.
 *
 * The AWS values are the facts AWS-LIM-1..9 and AWS-MGMT-14 of docs/aws-behaviour.md (the API
 * Gateway WebSocket quotas table and the management API's service model). Internal caps
 * (queues, buffers) exist so that no input can grow memory without bound; each says why.
 *
 * Sizes bounded elsewhere, by what they hold (docs/reliability.md has the full list):
 * - connections and handshakes in progress: one socket each, so the process's file-descriptor
 *   limit (RLIMIT_NOFILE); AWS documents no per-API connection quota.
 * - the connection registry (conns_registry.c): one entry per connection; buckets double with them.
 * - backend calls in flight (httpc.c): at most WG_LIMIT_TARGET_CONCURRENCY per target, targets
 *   from the configuration (WG_LIMIT_BUDGET_TARGETS); spare curl handles WG_LIMIT_BACKEND_POOL_CONNECTIONS;
 *   idle pooled connections on the loop (httpc_loop.c): WG_LIMIT_BACKEND_POOL_CONNECTIONS per origin,
 *   WG_LIMIT_HTTPC_ORIGINS origins, each closed after WG_LIMIT_HTTPC_KEEPALIVE_MS idle.
 * - an HTTP request head: h2o's H2O_MAX_REQLEN (about 400 KB) and 100 header lines.
 * - a message being reassembled: WG_LIMIT_MESSAGE_BYTES; a frame: WG_LIMIT_FRAME_BYTES (ws.c).
 * - a log line: 2 KB (log.c), events logged with --verbose cut at 2,000 characters; throttled
 *   messages are logged at most once a second (conns_lifecycle.c).
 * - the SigV4 signing-key cache: WG_LIMIT_SIGNING_KEY_CACHE entries (sigv4_keys.c). wsgate keeps no authorizer
 *   result cache: every $connect calls the authorizer.
 * - waiting completions (integration.c): one per call, so the call caps above.
 */
#ifndef WG_LIMITS_H
#define WG_LIMITS_H

/* AWS: a single WebSocket frame may carry at most 32 KB; a bigger one closes with 1009 (AWS-LIM-1). */
#define WG_LIMIT_FRAME_BYTES (32 * 1024)
/* AWS: a message (after reassembly of fragments) may be at most 128 KB; bigger closes with 1009,
 * and PostToConnection over 131072 bytes is PayloadTooLargeException 413 (AWS-LIM-2, AWS-MGMT-14). */
#define WG_LIMIT_MESSAGE_BYTES (128 * 1024)
/* AWS: idle connection timeout, 10 minutes; closes with 1001 "Going away" (AWS-LIM-4). */
#define WG_LIMIT_IDLE_TIMEOUT_MS (10 * 60 * 1000)
/* AWS: maximum connection duration, 2 hours (AWS-LIM-5). */
#define WG_LIMIT_HARD_TIMEOUT_MS (2 * 60 * 60 * 1000)
/* AWS: integration timeout, 50 ms to 29 s; default and maximum 29 s (AWS-LIM-6). */
#define WG_LIMIT_INTEGRATION_TIMEOUT_MS 29000
#define WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS 50
/* AWS: the handshake URL may be at most 4096 characters (AWS-LIM-7). */
#define WG_LIMIT_URL_CHARS 4096
/* AWS: 500 new connections per second per account and region (AWS-LIM-8); off by default here. */
#define WG_LIMIT_CONNECT_RATE_AWS 500
/* A Lambda function's settings (Lambda quotas): Timeout 1..900 s (default 3), MemorySize 128..10240 MB
 * (default 128), ReservedConcurrentExecutions up to the default account concurrency of 1000. */
#define WG_LIMIT_FUNCTION_TIMEOUT_S_DEFAULT 3
#define WG_LIMIT_FUNCTION_TIMEOUT_S_MAX 900
#define WG_LIMIT_FUNCTION_MEMORY_MB_DEFAULT 128
#define WG_LIMIT_FUNCTION_MEMORY_MB_MIN 128
#define WG_LIMIT_FUNCTION_MEMORY_MB_MAX 10240
#define WG_LIMIT_FUNCTION_CONCURRENCY_MAX 1000
/* AWS: a Lambda authorizer's result may be at most 8 KB (AWS-LIM-9). */
#define WG_LIMIT_AUTHORIZER_RESULT_BYTES (8 * 1024)
/* AWS: SigV4 requests are accepted within 5 minutes of the server's clock, either way (AWS-SIG-17). */
#define WG_LIMIT_SIGV4_SKEW_MS (5 * 60 * 1000)
/* Internal: the most of a canonical request that an InvalidSignatureException message quotes
 * ([I] AWS quotes it whole; a request that big is hostile, and its 403 must stay small). */
#define WG_LIMIT_SIGV4_QUOTE_BYTES (16 * 1024)

/* Internal: bytes that may wait in one connection's outgoing queue before PostToConnection
 * answers 429 LimitExceededException (a client that stops reading must not grow memory). */
#define WG_LIMIT_SEND_QUEUE_BYTES (1024 * 1024)
/* Internal: the largest backend response body we keep (a Lambda proxy result is at most 6 MB on
 * AWS; a two-way route answer must still fit a 128 KB message, so 1 MB is generous). */
#define WG_LIMIT_BACKEND_RESPONSE_BYTES (1024 * 1024)
/* Internal: the largest total of backend response headers we keep. */
#define WG_LIMIT_BACKEND_HEADER_BYTES (16 * 1024)
/* Internal: how long a server-initiated close waits for the client's close frame. */
#define WG_LIMIT_CLOSE_HANDSHAKE_MS 5000
/* Internal: the largest request body h2o buffers (management API, test control): AWS's
 * PostToConnection limit itself, so a bigger body of any size or transfer encoding is refused
 * with the typed 413 before more than this is held (server.c). */
#define WG_LIMIT_REQUEST_BODY_BYTES WG_LIMIT_MESSAGE_BYTES
/* Internal: idle keep-alive backend connections kept, by libcurl's worker and per origin on the loop
 * (httpc_loop.c); without a pool every call would open a TCP connection. */
#define WG_LIMIT_BACKEND_POOL_CONNECTIONS 64
/* Internal (budget.c): backend calls one integration target (an HTTP origin, a Lambda function,
 * the authorizer, a function run by wsgate) may have in flight. A stuck backend holds at most this
 * many; every other target keeps its own. One more than the backend pool keeps a healthy target's
 * calls on reused connections. */
#define WG_LIMIT_TARGET_CONCURRENCY (WG_LIMIT_BACKEND_POOL_CONNECTIONS + WG_LIMIT_TARGET_PRIORITY_SLOTS)
/* Internal (budget.c): of those, the slots only $disconnect calls may use, so that a $disconnect
 * never waits for a slot behind message traffic stuck on the same target. */
#define WG_LIMIT_TARGET_PRIORITY_SLOTS 8
/* Internal (budget.c): calls waiting for a slot, over all targets, and the event bytes they hold.
 * Over either, a message is answered as a throttled integration (conns_lifecycle.c) and a $connect gets
 * 429. 32768 lets 2,000 clients x 10 messages wait for one stuck backend; each waits at most the
 * integration timeout. $disconnect calls are never refused (one per connection). */
#define WG_LIMIT_WAITING_CALLS 32768
#define WG_LIMIT_WAITING_BYTES (64 * 1024 * 1024)
/* Internal (conns_lifecycle.c): a connection's message calls not yet answered (waiting or in flight), and
 * the event bytes they hold. A client that sends faster than its backend answers gets the
 * throttled answer for the excess instead of growing memory. */
#define WG_LIMIT_CONN_CALLS 256
#define WG_LIMIT_CONN_CALL_BYTES (4 * 1024 * 1024)
/* Internal (budget.c): distinct integration targets with their own budget (they come from the
 * configuration; beyond this many they share one). */
#define WG_LIMIT_BUDGET_TARGETS 1024
/* Internal: how long graceful shutdown waits for in-flight backend calls. */
#define WG_LIMIT_SHUTDOWN_WAIT_MS 5000
/* Internal (test control): how many sent messages, and bytes, are kept per connection. */
#define WG_LIMIT_TEST_HISTORY_MESSAGES 1000
#define WG_LIMIT_TEST_HISTORY_BYTES (4 * 1024 * 1024)
/* Internal (--record): the most fixture files one run writes (disk, not memory: a load test with
 * --record must not fill the disk); one warning when reached. */
#define WG_LIMIT_RECORD_FILES 100000
/* Internal: the longest config file we read. */
#define WG_LIMIT_CONFIG_BYTES (4 * 1024 * 1024)
/* Internal (`wsgate replay`): files read from one fixture directory, each at most this size, and
 * PostToConnection calls kept between two events (more answers 429). */
#define WG_LIMIT_REPLAY_FILES 10000
#define WG_LIMIT_REPLAY_FILE_BYTES (4 * 1024 * 1024)
#define WG_LIMIT_REPLAY_POSTS 10000
/* Internal (routes.c; AWS's own limits are not documented, AWS-RT-9): the longest route selection
 * expression accepted, the most variables in one expression, the most path steps in one variable,
 * the deepest array/object nesting stringified, and the longest route key produced (a message is
 * at most 128 KB). */
#define WG_LIMIT_ROUTE_EXPRESSION_CHARS 1024
#define WG_LIMIT_ROUTE_VARIABLES 16
#define WG_LIMIT_ROUTE_STEPS 32
#define WG_LIMIT_ROUTE_DEPTH 64
#define WG_LIMIT_ROUTE_KEY_BYTES (256 * 1024)
/* Internal (ws.c): outgoing frame bytes gathered before a write (wslay's own chunk is 4 KB), and
 * how long a connection must be quiet before its wslay context and buffers are freed. */
#define WG_LIMIT_WS_FLUSH_BYTES (64 * 1024)
#define WG_LIMIT_WS_QUIET_MS 1000
/* Internal (httpc.c): spare curl handles kept once the worker has had nothing to do for
 * WG_LIMIT_HTTPC_IDLE_MS (none; see httpc.c), and how long the worker sleeps when it has no work. */
#define WG_LIMIT_HTTPC_IDLE_SPARE 0
#define WG_LIMIT_HTTPC_IDLE_MS 200
#define WG_LIMIT_HTTPC_POLL_MS 1000
/* Internal (httpc_loop.c): origins (address and port) with a keep-alive pool on the loop (they come
 * from the configuration; calls to more go through libcurl), how long an idle pooled connection is
 * kept (under the shortest common server keep-alive, gunicorn's 2 s; Node's is 5 s: a connection is
 * not reused just as its server closes it), and the bound of a call made without a timeout of its
 * own (every integration call has one). */
#define WG_LIMIT_HTTPC_ORIGINS 64
#define WG_LIMIT_HTTPC_KEEPALIVE_MS 1000
#define WG_LIMIT_HTTPC_UNTIMED_MS (10 * 60 * 1000)
/* Internal (httpc_loop.c): header lines of one backend answer; more is a malformed answer (as for
 * h2o's own client; picohttpparser takes a fixed array). */
#define WG_LIMIT_HTTPC_ANSWER_HEADERS 100
/* Internal (budget.c): after this many calls waited at once, the heap is trimmed this long after
 * the queues empty. */
#define WG_LIMIT_BUDGET_TRIM_AFTER_WAITING 1024
#define WG_LIMIT_BUDGET_TRIM_DELAY_MS 2000
/* Internal (listener.c): accept() calls per readiness event (drains a burst without starving the
 * rest of the loop), and the listen() backlog. */
#define WG_LIMIT_ACCEPTS_PER_EVENT 16
#define WG_LIMIT_LISTEN_BACKLOG 4096
/* Internal (inspector.c): request ids of calls in flight remembered for their latency; a
 * collision overwrites (the answer then carries no latency). */
#define WG_LIMIT_INSPECTOR_START_SLOTS 1024
/* Internal (tls_ca.c): the local CA certificate's lifetime. */
#define WG_LIMIT_TLS_CA_DAYS (10 * 365)
/* Internal (`wsgate replay`): how much of a mismatching value a diff line shows. */
#define WG_LIMIT_REPLAY_DIFF_VALUE_CHARS 200
/* Internal (runtime_api.c): the Runtime API's request timeout. A runtime waits on `next` for as
 * long as its function is idle, so in effect none: a day. */
#define WG_LIMIT_RUNTIME_API_REQ_TIMEOUT_MS (24ULL * 3600 * 1000)

/* Functions run by wsgate (functions.c). Lambda: a synchronous response is at most 6 MB
 * (6291556 bytes); initialization may take 10 s; unreserved concurrency here defaults to 10
 * (--max-concurrency). */
#define WG_LIMIT_FUNCTION_RESPONSE_BYTES 6291556
#define WG_LIMIT_FUNCTION_INIT_TIMEOUT_MS 10000
#define WG_LIMIT_FUNCTION_CONCURRENCY_DEFAULT 10
/* Internal: bodies the Runtime API accepts (over 6 MB, so an oversized response gets Lambda's answer). */
#define WG_LIMIT_RUNTIME_API_BODY_BYTES (16 * 1024 * 1024)
/* Internal [I]: how long an event over the concurrency cap waits for a process before it fails as
 * throttled (Lambda throttles at once; a short wait keeps bursts of $disconnect from being lost). */
#define WG_LIMIT_FUNCTION_THROTTLE_WAIT_MS 5000
/* Internal: a function's output kept in the log per invocation, and the longest logged line. */
#define WG_LIMIT_FUNCTION_LOG_BYTES (256 * 1024)
#define WG_LIMIT_FUNCTION_LOG_LINE_BYTES 1800
/* Internal: how long stopping waits after SIGTERM before SIGKILL. */
#define WG_LIMIT_FUNCTION_STOP_GRACE_MS 2000
/* Internal: directories watched for hot reload (all functions together), and how deep. */
#define WG_LIMIT_FUNCTION_WATCHES 4096
#define WG_LIMIT_FUNCTION_WATCH_DEPTH 8
/* Internal (TLS): how long an accepted connection may take to send its first byte (the byte
 * that tells TLS from plain HTTP), and a TLS handshake to complete, before it is dropped
 * (slowloris; h2o's own request timeout is 10 s too). */
#define WG_LIMIT_FIRST_BYTE_MS 10000
#define WG_LIMIT_TLS_HANDSHAKE_MS 10000
/* Internal (TLS): connections still in the TLS handshake at once; beyond it, a new ClientHello
 * is dropped (each costs an OpenSSL object of a few tens of KB). */
#define WG_LIMIT_TLS_HANDSHAKES 4096
/* Internal (TLS): the local leaf certificate's lifetime, and when it is renewed. Short, so a leaked
 * leaf key matters little; browsers accept at most 398 days. */
#define WG_LIMIT_TLS_LEAF_DAYS 30
#define WG_LIMIT_TLS_LEAF_RENEW_DAYS 7
/* Internal (TLS): the largest system CA file copied into ca-bundle.pem. */
#define WG_LIMIT_TLS_BUNDLE_BYTES (8 * 1024 * 1024)
/* Internal (inspector, /_wsgate/): entries kept by default (--inspector-history), the memory all
 * kept entries may use together, the longest string field one entry keeps (a whole 128 KB message
 * fits; longer backend answers are cut, marked "truncated"), how many pages may watch at once and
 * how much one page's stream sends per write. */
#define WG_LIMIT_INSPECTOR_HISTORY_DEFAULT 1000
#define WG_LIMIT_INSPECTOR_HISTORY_MAX 100000
#define WG_LIMIT_INSPECTOR_BYTES (32 * 1024 * 1024)
#define WG_LIMIT_INSPECTOR_FIELD_BYTES (128 * 1024)
#define WG_LIMIT_INSPECTOR_WATCHERS 16
#define WG_LIMIT_INSPECTOR_CHUNK_BYTES (256 * 1024)
/* inspector entry texts are kept in arena blocks of this size (a bigger entry gets its own) */
#define WG_LIMIT_INSPECTOR_ARENA_BLOCK (64 * 1024)
/* new inspector entries reach the pages in one write this long after the first of them */
#define WG_LIMIT_INSPECTOR_FLUSH_MS 20
/* Internal (inspector): the live rate cap of one page: new entries at most this many a second, after
 * a burst of at most this many (a handshake and a few messages pass whole). A person reads a few
 * lines a second, while a browser drawing what a PostToConnection flood records (~100,000 entries a
 * second) took a quarter of a 2-core machine, and still ~10 % at 500 a second (bench/README.md,
 * "Inspector"). Over the cap a page gets the newest entries and one "thinned" event per flush naming
 * the rest, which stay in the ring: the page fetches them (GET /_wsgate/api/entries) when its user
 * pauses. */
#define WG_LIMIT_INSPECTOR_LIVE_PER_S 200
#define WG_LIMIT_INSPECTOR_LIVE_BURST 250
/* Internal (inspector): a page whose stream was thinned is flushed this often instead of every
 * WG_LIMIT_INSPECTOR_FLUSH_MS (each write wakes the browser; its view is a sample anyway). */
#define WG_LIMIT_INSPECTOR_THINNED_FLUSH_MS 100
/* Internal (inspector): the most entry text one GET /_wsgate/api/entries answer carries (at least one
 * entry; the page asks again from where it stopped). */
#define WG_LIMIT_INSPECTOR_FETCH_BYTES (4 * 1024 * 1024)
/* Internal (inspector): a page's stream gets a comment line this often, so a closed tab is noticed. */
#define WG_LIMIT_INSPECTOR_HEARTBEAT_MS 15000

/* Internal (config_yaml.c): deeper YAML nesting than any config needs; keeps hostile input from
 * exhausting the stack. */
#define WG_LIMIT_YAML_DEPTH 64
/* Internal (config_yaml.c): anchors per YAML document (serverless files use a handful). */
#define WG_LIMIT_YAML_ANCHORS 1024
/* Internal (config_cfn_intrinsics.c): CloudFormation intrinsic functions nest a few levels at most;
 * this stops runaway recursion (Conditions referring to each other). */
#define WG_LIMIT_CFN_DEPTH 32
/* Internal (config_serverless.c): serverless.yml variables nest (${opt:stage, ${self:custom.stage}});
 * this bounds self-references. */
#define WG_LIMIT_SERVERLESS_VARIABLE_DEPTH 16

/* AWS: a presigned (query-string) SigV4 request may set X-Amz-Expires to at most 7 days
 * (AWS-SIG-14). */
#define WG_LIMIT_PRESIGN_EXPIRES_S 604800
/* Internal (sigv4_keys.c): derived signing keys cached, keyed by the SHA-256 of the secret; a few
 * keys cover every credential a session uses, and each cached key is wiped when replaced. */
#define WG_LIMIT_SIGNING_KEY_CACHE 4
/* Internal (httpc.h): extra request headers per backend call (events add at most a dozen). */
#define WG_LIMIT_HTTPC_HEADERS 24
/* Internal (replay_scenarios.c): client headers taken from a captured $connect (a handshake has
 * far fewer). */
#define WG_LIMIT_REPLAY_HEADERS 64
/* Internal (tls_ca.c, tls.c): the longest file path handled (Linux's PATH_MAX). */
#define WG_LIMIT_PATH_BYTES 4096

#endif

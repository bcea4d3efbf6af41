/*
 * limits.h: every AWS limit and every internal cap, as one named constant each.
 *
 * The AWS values come from ../shared/spec/aws-websocket-spec.md section 6 (the API Gateway
 * WebSocket quotas table) and section 7 (the management API's service model). Internal caps
 * (queues, buffers) exist so that no input can grow memory without bound; each says why.
 */
#ifndef WG_LIMITS_H
#define WG_LIMITS_H

/* AWS: a single WebSocket frame may carry at most 32 KB; a bigger one closes with 1009 (spec 6). */
#define WG_LIMIT_FRAME_BYTES (32 * 1024)
/* AWS: a message (after reassembly of fragments) may be at most 128 KB; bigger closes with 1009,
 * and PostToConnection over 131072 bytes is PayloadTooLargeException 413 (spec 6, 7.1). */
#define WG_LIMIT_MESSAGE_BYTES (128 * 1024)
/* AWS: idle connection timeout, 10 minutes; closes with 1001 "Going away" (spec 1.9, 6). */
#define WG_LIMIT_IDLE_TIMEOUT_MS (10 * 60 * 1000)
/* AWS: maximum connection duration, 2 hours (spec 6). */
#define WG_LIMIT_HARD_TIMEOUT_MS (2 * 60 * 60 * 1000)
/* AWS: integration timeout, 50 ms to 29 s; default and maximum 29 s (spec 6). */
#define WG_LIMIT_INTEGRATION_TIMEOUT_MS 29000
#define WG_LIMIT_INTEGRATION_TIMEOUT_MIN_MS 50
/* AWS: the handshake URL may be at most 4096 characters (spec 6). */
#define WG_LIMIT_URL_CHARS 4096
/* AWS: 500 new connections per second per account and region (spec 6); off by default here. */
#define WG_LIMIT_CONNECT_RATE_AWS 500
/* AWS: a Lambda authorizer's result may be at most 8 KB (spec 8.2). */
#define WG_LIMIT_AUTHORIZER_RESULT_BYTES (8 * 1024)
/* AWS: SigV4 requests are accepted within 5 minutes of the server's clock, either way (spec 7.5). */
#define WG_LIMIT_SIGV4_SKEW_MS (5 * 60 * 1000)

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
/* Internal: the largest request body h2o buffers (management API, test control). */
#define WG_LIMIT_REQUEST_BODY_BYTES (256 * 1024)
/* Internal: idle keep-alive backend connections kept by the HTTP client (toolchain notes 3). */
#define WG_LIMIT_BACKEND_POOL_CONNECTIONS 64
/* Internal: how long graceful shutdown waits for in-flight backend calls. */
#define WG_LIMIT_SHUTDOWN_WAIT_MS 5000
/* Internal (test control): how many sent messages, and bytes, are kept per connection. */
#define WG_LIMIT_TEST_HISTORY_MESSAGES 1000
#define WG_LIMIT_TEST_HISTORY_BYTES (4 * 1024 * 1024)
/* Internal: the longest config file we read. */
#define WG_LIMIT_CONFIG_BYTES (4 * 1024 * 1024)
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

#endif

/*
 * config.h: wsgate's settings, from the command line and a config file (JSON), flags winning.
 *
 * Owns every string it holds (free with wg_config_free). Routes are resolved here once: after
 * loading, every route has an integration type and, where it needs one, a URI; `--backend URL`
 * with no "routes" means one handler for $connect, $disconnect and $default (like one Lambda); no
 * backend and no routes means the built-in demo backend. A route's or the authorizer's "function"
 * is resolved through "functions" (and --function NAME=TARGET); every function left unmapped is
 * reported in one error. Keys: README.md, "Config file"; docs/integrations.md.
 */
#ifndef WG_CONFIG_H
#define WG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum wg_integration_type {
    WG_INTEGRATION_HTTP, /* Lambda proxy event POSTed as JSON to `uri` (AWS_PROXY over HTTP) */
    WG_INTEGRATION_DEMO, /* the built-in demo backend: echoes messages back via @connections */
    WG_INTEGRATION_LAMBDA, /* AWS_PROXY through the Lambda Invoke API at `uri` (SigV4 "lambda") */
    WG_INTEGRATION_HTTP_PROXY, /* HTTP_PROXY: the raw message forwarded with `method` (AWS-INT-15) */
    WG_INTEGRATION_MOCK, /* MOCK: a canned `response` */
    WG_INTEGRATION_FUNCTION, /* run by wsgate itself through the Lambda Runtime API (functions.c) */
} wg_integration_type_t;

/** Where a request parameter's value comes from (AWS-INT-2, AWS-INT-3). */
typedef enum wg_param_source_kind {
    WG_PARAM_STATIC, /* 'literal' */
    WG_PARAM_CONTEXT, /* context.<name> (name may be dotted: identity.sourceIp) */
    WG_PARAM_STAGE_VARIABLE, /* stageVariables.<name> */
    WG_PARAM_HEADER, /* route.request.header.<name> ($connect only) */
    WG_PARAM_QUERYSTRING, /* route.request.querystring.<name> ($connect only) */
    WG_PARAM_BODY, /* route.request.body.<json.path> (message routes only) */
} wg_param_source_kind_t;

/** One "requestParameters" entry of an HTTP_PROXY route. */
typedef struct wg_request_parameter {
    int is_header; /* integration.request.header.* (else .querystring.*) */
    char *name; /* the header or query parameter sent to the backend */
    wg_param_source_kind_t kind;
    char *source; /* the literal (STATIC) or the name/path after the prefix */
} wg_request_parameter_t;

typedef enum wg_authorization_type {
    WG_AUTHORIZATION_NONE,
    WG_AUTHORIZATION_AWS_IAM, /* SigV4 on the handshake (AWS-AUTH-16) */
    WG_AUTHORIZATION_CUSTOM, /* the Lambda REQUEST authorizer of "authorizer" (AWS-AUTH-3..13) */
} wg_authorization_type_t;

typedef struct wg_route_config {
    char *key; /* "$connect", "$disconnect", "$default" or a custom route key */
    wg_integration_type_t type;
    char *uri; /* NULL for DEMO and MOCK; the Invoke API base URL for LAMBDA */
    char *function; /* LAMBDA: the function name in the Invoke path; FUNCTION: the
                     * wg_config_function_target name; else NULL */
    char *method; /* HTTP_PROXY: "POST" unless configured */
    wg_request_parameter_t *params; /* HTTP_PROXY: requestParameters, in file order */
    size_t num_params;
    int mock_status; /* MOCK: response.statusCode (default 200) */
    char *mock_body; /* MOCK: response.body, or NULL */
    int is_two_way; /* the route has a $default route response (AWS-INT-4) */
    uint32_t timeout_ms; /* integration timeout; 0 = the global one */
    wg_authorization_type_t authorization; /* $connect only */
    int has_authorization_type; /* "authorizationType" was given */
    int is_api_key_required; /* $connect only */
} wg_route_config_t;

/** The Lambda REQUEST authorizer ("authorizer"); `type` is HTTP (event POSTed to uri), LAMBDA or
 * FUNCTION (run by wsgate; `function` names the wg_config_function_target). */
typedef struct wg_authorizer_config {
    int is_configured;
    wg_integration_type_t type;
    char *uri;
    char *function;
    char **identity_sources; /* "route.request.header.Authorization", ... */
    size_t num_identity_sources;
    uint32_t timeout_ms; /* 0 = the global integration timeout */
} wg_authorizer_config_t;

/** A "key": "value" string pair (stage variables). */
typedef struct wg_string_pair {
    char *key;
    char *value;
} wg_string_pair_t;

/** A function whose code wsgate runs itself (functions.c): from a template's function resource
 * (SAM/CloudFormation/CDK/serverless.yml) or a config file "functions" entry with "runtime". */
typedef struct wg_function_code {
    char *runtime; /* "nodejs20.x", "python3.12", "java21", "provided.al2023", "go1.x" */
    char *handler; /* "app.handler", "pkg.Class::method", "bootstrap" */
    char *code_path; /* absolute: the code directory, or a .jar/.zip file */
    uint32_t timeout_s; /* Timeout (default 3) */
    uint32_t memory_mb; /* MemorySize (default 128) */
    uint32_t reserved_concurrency; /* ReservedConcurrentExecutions; 0 = not set */
    wg_string_pair_t *env; /* Environment.Variables resolved, then --env-vars applied */
    size_t num_env;
} wg_function_code_t;

/** A "functions" entry (or --function NAME=TARGET): where a function logical ID / name runs. */
typedef struct wg_function_target {
    char *name;
    wg_integration_type_t type; /* HTTP, LAMBDA, or FUNCTION (run by wsgate: `code`) */
    char *uri;
    char *function; /* LAMBDA: the name in the Invoke path (default: `name`) */
    wg_function_code_t *code; /* FUNCTION: owned; NULL otherwise */
} wg_function_target_t;

typedef enum wg_auth_mode {
    WG_AUTH_NONE, /* unsigned management calls accepted (curl users) */
    WG_AUTH_SIGV4, /* a well-formed, current SigV4 signature from any key (default) */
    WG_AUTH_STRICT, /* a valid signature from a known key */
} wg_auth_mode_t;

typedef struct wg_credential {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* temporary credentials: the token issued with them; NULL when none */
} wg_credential_t;

/* The key wsgate signs its own AWS calls with (Lambda Invoke, the functions' environment) when no
 * credential is configured: local Invoke endpoints and emulators accept any key. */
#define WG_CONFIG_DUMMY_ACCESS_KEY "AKIDWSGATELOCAL00000"
#define WG_CONFIG_DUMMY_SECRET_KEY "wsgate-local-secret"

typedef struct wg_config {
    char *host;
    int port;
    char *stage;
    char *region;
    char *api_id; /* NULL until resolved: random when not configured */
    int is_custom_domain;
    char *backend;
    char *config_path;
    char *route_selection_expression;
    wg_auth_mode_t auth;
    int is_emulator_config; /* the config file is aws-apigw-ws-emulator's (config_emulator.c) */
    int is_auth_emulator_default; /* auth is none only because of that file (no --auth, no "auth") */
    wg_credential_t *credentials;
    size_t num_credentials;
    uint64_t idle_timeout_ms;
    uint64_t hard_timeout_ms;
    uint32_t integration_timeout_ms;
    uint32_t connect_rate_per_second; /* 0 = no limit (AWS: 500, adjustable) */
    int has_test_control;
    char *record_dir;
    char *domain_name; /* domainName in events; NULL = the Host the client used (AWS-ID-14) */
    int is_verbose;
    /* Functions wsgate runs itself (functions.c): --max-concurrency, --runtime NAME=PATH, --no-reload. */
    uint32_t max_concurrency; /* per function without ReservedConcurrentExecutions; 0 = 10 */
    wg_string_pair_t *runtime_overrides; /* "nodejs20.x" -> "/path/to/node" */
    size_t num_runtime_overrides;
    int is_reload_disabled;
    /* TLS on the listening ports (listener.c, tls.c, tls_ca.c; README "TLS and callback URLs") */
    int is_tls_off; /* --tls off: plain HTTP only; a ClientHello is logged and dropped */
    char *tls_cert_path; /* --tls-cert: the user's own certificate chain (PEM) */
    char *tls_key_path; /* --tls-key: its private key (PEM) */
    char *state_dir; /* --state-dir: the local CA; NULL = $XDG_DATA_HOME/wsgate or ~/.local/share/wsgate */
    char **listen; /* --listen ADDR:PORT, extra listening sockets (repeatable) */
    size_t num_listen;
    int inspector_mode; /* /_wsgate/ inspector: 0 on when bound to loopback, 1 --inspector, -1 --no-inspector */
    uint32_t inspector_history; /* --inspector-history: entries kept (default 1000) */
    wg_route_config_t *routes;
    size_t num_routes;
    wg_authorizer_config_t authorizer;
    char *account_id; /* for methodArn and IAM identities; default 123456789012 */
    char **api_keys; /* "apiKeys": valid x-api-key values */
    size_t num_api_keys;
    wg_string_pair_t *stage_variables;
    size_t num_stage_variables;
    wg_function_target_t *functions; /* "functions" plus --function flags (flags win) */
    size_t num_functions;
    wg_string_pair_t *function_names; /* a FUNCTION target's deployed name -> its `name` (--env-vars) */
    size_t num_function_names;
    /* $connect's authorization, resolved: the $connect route's settings (CUSTOM by default when
     * an "authorizer" is configured). */
    wg_authorization_type_t connect_authorization;
    int is_connect_api_key_required;
    /* TLS (tls_ca.c): the local CA certificate clients must trust, and a PEM bundle of the
     * system's CAs plus that CA; NULL when TLS is off or the user brought their own certificate. */
    char *tls_ca_file;
    char *tls_ca_bundle_file;
} wg_config_t;

/** Outcomes of wg_config_load. */
#define WG_CONFIG_OK 0
#define WG_CONFIG_EXIT 1 /* --help or --version was printed: exit 0 */
#define WG_CONFIG_ERROR -1 /* `err` holds a one-line message: exit 2 */

/**
 * Fills `cfg` from defaults, the config file named by --config (if any), the environment
 * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY add a credential) and then the flags. Returns one of
 * the outcomes above. On error `cfg` is still safe to free.
 */
int wg_config_load(wg_config_t *cfg, int argc, char **argv, char *err, size_t err_size);
void wg_config_free(wg_config_t *cfg);

/** The route with `key`, or NULL. */
const wg_route_config_t *wg_config_route(const wg_config_t *cfg, const char *key);

/** The "functions" entry (or --function) named `name` (a logical ID / function name), or NULL.
 * A FUNCTION target's `code` says how wsgate runs it. */
const wg_function_target_t *wg_config_function_target(const wg_config_t *cfg, const char *name);
/** True when `host` (a --host value) only accepts connections from this machine: "localhost",
 * 127.0.0.0/8, ::1 (and ::ffff:127.x). 0.0.0.0, :: and every other address are exposed. */
bool wg_config_is_loopback_host(const char *host);

/** The secret for an access key id among the configured credentials, or NULL. */
const char *wg_config_secret_for(const wg_config_t *cfg, const char *access_key_id);
/** The session token issued with an access key id (--credentials AKID:SECRET:TOKEN, a credentials
 * file's aws_session_token, AWS_SESSION_TOKEN), or NULL when it has none or is unknown. */
const char *wg_config_session_token_for(const wg_config_t *cfg, const char *access_key_id);

/** The value of stage variable `key`, or NULL. */
const char *wg_config_stage_variable(const wg_config_t *cfg, const char *key);

/** "http", "lambda", "http_proxy", "mock", "demo" or "function". */
const char *wg_config_integration_type_name(wg_integration_type_t type);

/** "none", "sigv4" or "strict". */
const char *wg_config_auth_mode_name(wg_auth_mode_t mode);

#endif

/*
 * config.h: wsgate's settings, from the command line and a config file (JSON), flags winning.
 *
 * Owns every string it holds (free with wg_config_free). Routes are resolved here once: after
 * loading, every route has an integration type and, where it needs one, a URI; `--backend URL`
 * with no "routes" means one handler for $connect, $disconnect and $default (like one Lambda); no
 * backend and no routes means the built-in demo backend.
 */
#ifndef WG_CONFIG_H
#define WG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef enum wg_integration_type {
    WG_INTEGRATION_HTTP, /* Lambda proxy event POSTed as JSON to `uri` (AWS_PROXY over HTTP) */
    WG_INTEGRATION_DEMO, /* the built-in demo backend: echoes messages back via @connections */
} wg_integration_type_t;

typedef struct wg_route_config {
    char *key;                  /* "$connect", "$disconnect", "$default" or a custom route key */
    wg_integration_type_t type;
    char *uri;                  /* NULL for DEMO */
    int is_two_way;             /* the route has a $default route response (spec 3) */
    uint32_t timeout_ms;        /* integration timeout; 0 = the global one */
} wg_route_config_t;

typedef enum wg_auth_mode {
    WG_AUTH_NONE,   /* unsigned management calls accepted (curl users) */
    WG_AUTH_SIGV4,  /* a well-formed, current SigV4 signature from any key (default) */
    WG_AUTH_STRICT, /* a valid signature from a known key */
} wg_auth_mode_t;

typedef struct wg_credential {
    char *access_key_id;
    char *secret_access_key;
} wg_credential_t;

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
    wg_credential_t *credentials;
    size_t num_credentials;
    uint64_t idle_timeout_ms;
    uint64_t hard_timeout_ms;
    uint32_t integration_timeout_ms;
    uint32_t connect_rate_per_second; /* 0 = no limit (AWS: 500, adjustable) */
    int has_test_control;
    char *record_dir;
    int is_verbose;
    wg_route_config_t *routes;
    size_t num_routes;
} wg_config_t;

/** Outcomes of wg_config_load. */
#define WG_CONFIG_OK 0
#define WG_CONFIG_EXIT 1   /* --help or --version was printed: exit 0 */
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

/** The secret for an access key id among the configured credentials, or NULL. */
const char *wg_config_secret_for(const wg_config_t *cfg, const char *access_key_id);

/** "none", "sigv4" or "strict". */
const char *wg_auth_mode_name(wg_auth_mode_t mode);

#endif

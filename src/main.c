/*
 * main.c: arguments, then the server. Nothing else lives here.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "replay.h"
#include "listener.h"
#include "server.h"
#include "tls_ca.h"
#include "sigv4.h"

/* Where each route goes, one line each, so a config file's effect is visible without --verbose. */
static void announce_routes(const wg_config_t *cfg)
{
    for (size_t i = 0; i < cfg->num_routes; i++) {
        const wg_route_config_t *r = &cfg->routes[i];
        const char *two_way = r->is_two_way ? " (two-way)" : "";
        switch (r->type) {
        case WG_INTEGRATION_HTTP:
            wg_log_info("route %-12s -> http: the Lambda proxy event POSTed to %s%s", r->key, r->uri, two_way);
            break;
        case WG_INTEGRATION_LAMBDA:
            wg_log_info("route %-12s -> lambda: function %s through the Invoke API at %s%s", r->key, r->function,
                        r->uri, two_way);
            break;
        case WG_INTEGRATION_HTTP_PROXY:
            wg_log_info("route %-12s -> http_proxy: %s %s (the raw message)%s", r->key, r->method, r->uri, two_way);
            break;
        case WG_INTEGRATION_MOCK:
            wg_log_info("route %-12s -> mock: statusCode %d%s", r->key, r->mock_status, two_way);
            break;
        case WG_INTEGRATION_DEMO: wg_log_info("route %-12s -> demo: the built-in echo backend", r->key); break;
        case WG_INTEGRATION_FUNCTION:
            wg_log_info("route %-12s -> function %s, run by wsgate%s", r->key, r->function, two_way);
            break;
        default:
            wg_log_info("route %-12s -> %s: %s%s", r->key, wg_config_integration_type_name(r->type),
                        r->function != NULL ? r->function
                        : r->uri != NULL    ? r->uri
                                            : "",
                        two_way);
            break;
        }
    }
    if (cfg->is_auth_emulator_default)
        wg_log_info("management API: --auth none because %s is an aws-apigw-ws-emulator config (its @connections is "
                    "unsigned); pass --auth sigv4 to require signatures",
                    cfg->config_path);
}

/* The functions wsgate runs itself (a template's functions with code on disk) and what uses them. */
static void announce_functions(const wg_config_t *cfg)
{
    for (size_t i = 0; i < cfg->num_functions; i++) {
        const wg_function_target_t *f = &cfg->functions[i];
        if (f->code == NULL)
            continue;
        char uses[512] = "";
        size_t len = 0;
        for (size_t j = 0; j < cfg->num_routes && len < sizeof(uses); j++)
            if (cfg->routes[j].type == WG_INTEGRATION_FUNCTION && strcmp(cfg->routes[j].function, f->name) == 0)
                len += (size_t)snprintf(uses + len, sizeof(uses) - len, "%s%s", len ? ", " : "", cfg->routes[j].key);
        if (cfg->authorizer.is_configured && cfg->authorizer.type == WG_INTEGRATION_FUNCTION &&
            strcmp(cfg->authorizer.function, f->name) == 0 && len < sizeof(uses))
            snprintf(uses + len, sizeof(uses) - len, "%sthe $connect authorizer", len ? ", " : "");
        wg_log_info("function %s (%s, %s, %s): %s", f->name, f->code->runtime, f->code->handler, f->code->code_path,
                    uses[0] ? uses : "no route");
    }
}

static void announce(const wg_server_t *server, const wg_config_t *cfg)
{
    const char *base = cfg->is_custom_domain ? "" : "/";
    const char *stage = cfg->is_custom_domain ? "" : cfg->stage;
    wg_log_info("wsgate %s listening on http://%s:%d (apiId %s, region %s)", WSGATE_VERSION, cfg->host, server->port,
                server->api_id, cfg->region);
    wg_log_info("WebSocket API:  ws://%s:%d%s%s", cfg->host, server->port, base, stage);
    wg_log_info("management API: http://%s:%d%s%s/@connections/{connectionId} (auth: %s)", cfg->host, server->port,
                base, stage, wg_config_auth_mode_name(cfg->auth));
    if (wg_listeners_has_tls(server->listeners)) {
        wg_log_info("over TLS too:   wss://%s:%d%s%s  https://%s:%d%s%s/@connections/{connectionId}", cfg->host,
                    server->port, base, stage, cfg->host, server->port, base, stage);
        if (cfg->tls_ca_file != NULL)
            wg_log_info("TLS certificate from wsgate's local CA %s (`wsgate ca` prints how to trust it)",
                        cfg->tls_ca_file);
        else
            wg_log_info("TLS certificate: %s", cfg->tls_cert_path);
    } else {
        wg_log_info("TLS is off: plain http:// and ws:// only");
    }
    for (size_t i = 1; i < wg_listeners_count(server->listeners); i++) {
        const char *addr = cfg->listen[i - 1];
        wg_log_info("also listening on %.*s:%d (plain%s, same paths)", (int)(strrchr(addr, ':') - addr), addr,
                    wg_listeners_port(server->listeners, i), wg_listeners_has_tls(server->listeners) ? " and TLS" : "");
    }
    int is_loopback = wg_config_is_loopback_host(cfg->host);
    if (!is_loopback && cfg->auth == WG_AUTH_NONE)
        wg_log_warn("listening on %s with --auth none: anyone who can reach this port can push to your clients",
                    cfg->host);
    if (!is_loopback && cfg->auth == WG_AUTH_SIGV4)
        wg_log_warn(
            "listening on %s with --auth sigv4: a signature from any made-up key is accepted, so anyone who can "
            "reach this port can push to and close your clients; use --auth strict with --credentials",
            cfg->host);
    if (!is_loopback && cfg->has_test_control)
        wg_log_warn("listening on %s with --test-control: anyone who can reach this port can close your clients",
                    cfg->host);
    announce_routes(cfg);
    announce_functions(cfg);
    for (size_t i = 0; i < cfg->num_routes; i++) {
        const wg_route_config_t *r = &cfg->routes[i];
        if (r->type == WG_INTEGRATION_DEMO) {
            wg_log_info("no backend configured: using the built-in demo backend (echo). Try:");
            wg_log_info("  npx wscat -c ws://%s:%d%s%s   then send {\"action\":\"echo\",\"message\":\"hi\"}", cfg->host,
                        server->port, base, stage);
            break;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "replay") == 0)
        return wg_replay_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "ca") == 0)
        return wg_tls_ca_main(argc - 1, argv + 1);
    wg_config_t cfg;
    char err[2048] = ""; /* room for an error listing every unmapped function */
    int rc = wg_config_load(&cfg, argc, argv, err, sizeof(err));
    if (rc == WG_CONFIG_EXIT) {
        wg_config_free(&cfg);
        return 0;
    }
    if (rc != WG_CONFIG_OK) {
        fprintf(stderr, "wsgate: %s\n", err);
        wg_config_free(&cfg);
        return 2;
    }
    wg_log_set_verbose(cfg.is_verbose);
    static wg_server_t server; /* static: reachable until exit (see wg_server_dispose) */
    if (wg_server_init(&server, &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "wsgate: %s\n", err);
        wg_config_free(&cfg);
        return 2;
    }
    announce(&server, &cfg);
    int status = wg_server_run(&server);
    wg_server_dispose(&server);
    wg_sigv4_forget_keys(); /* derived keys are as sensitive as a day's signatures */
    wg_config_free(&cfg); /* wipes the secrets */
    return status;
}

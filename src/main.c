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

static void announce(const wg_server_t *server, const wg_config_t *cfg)
{
    const char *base = cfg->is_custom_domain ? "" : "/";
    const char *stage = cfg->is_custom_domain ? "" : cfg->stage;
    wg_log_info("wsgate %s listening on http://%s:%d (apiId %s, region %s)", WSGATE_VERSION, cfg->host, server->port,
                server->api_id, cfg->region);
    wg_log_info("WebSocket API:  ws://%s:%d%s%s", cfg->host, server->port, base, stage);
    wg_log_info("management API: http://%s:%d%s%s/@connections/{connectionId} (auth: %s)", cfg->host, server->port, base,
                stage, wg_auth_mode_name(cfg->auth));
    if (wg_listeners_has_tls(server->listeners)) {
        wg_log_info("over TLS too:   wss://%s:%d%s%s  https://%s:%d%s%s/@connections/{connectionId}", cfg->host,
                    server->port, base, stage, cfg->host, server->port, base, stage);
        if (cfg->tls_ca_file != NULL)
            wg_log_info("TLS certificate from wsgate's local CA %s (`wsgate ca` prints how to trust it)", cfg->tls_ca_file);
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
    int is_loopback = strcmp(cfg->host, "127.0.0.1") == 0 || strcmp(cfg->host, "localhost") == 0 || strcmp(cfg->host, "::1") == 0;
    if (!is_loopback && cfg->auth == WG_AUTH_NONE)
        wg_log_warn("listening on %s with --auth none: anyone who can reach this port can push to your clients", cfg->host);
    if (!is_loopback && cfg->has_test_control)
        wg_log_warn("listening on %s with --test-control: anyone who can reach this port can close your clients", cfg->host);
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
    char err[512] = "";
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
    wg_config_free(&cfg);
    return status;
}

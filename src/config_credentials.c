/*
 * config_credentials.c: the access keys wsgate knows, for SigV4 on @connections and AWS_IAM
 * $connect: --credentials AKID:SECRET[:TOKEN], "credentials" in the config file,
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, WSGATE_CREDENTIALS, and AWS
 * shared credentials files (--credentials-file, AWS_SHARED_CREDENTIALS_FILE) read as the AWS SDKs
 * read them. A key given twice keeps its last secret.
 *
 * Secrets are wiped (OPENSSL_cleanse) wherever a copy is replaced or freed.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "str.h"

/* Replaces a secret (secret key or session token), wiping the old one first. */
static void set_secret(char **slot, const char *value)
{
    if (*slot != NULL)
        OPENSSL_cleanse(*slot, strlen(*slot));
    wg_config_set_string(slot, value);
}

/* Adds or updates a known key; `token` is the session token issued with it (NULL: none). */
void wg_config_add_credential(wg_config_t *cfg, const char *akid, const char *secret, const char *token)
{
    for (size_t i = 0; i < cfg->num_credentials; i++) {
        if (strcmp(cfg->credentials[i].access_key_id, akid) == 0) {
            set_secret(&cfg->credentials[i].secret_access_key, secret);
            set_secret(&cfg->credentials[i].session_token, token);
            return;
        }
    }
    cfg->credentials = realloc(cfg->credentials, (cfg->num_credentials + 1) * sizeof(*cfg->credentials));
    if (cfg->credentials == NULL)
        abort();
    cfg->credentials[cfg->num_credentials].access_key_id = wg_str_dup(akid);
    cfg->credentials[cfg->num_credentials].secret_access_key = wg_str_dup(secret);
    cfg->credentials[cfg->num_credentials].session_token = token ? wg_str_dup(token) : NULL;
    cfg->num_credentials++;
}

/* --credentials AKID:SECRET[:TOKEN] (neither a secret key nor a session token holds ':'). The
 * copies made here are wiped before they are freed. */
int wg_config_add_credential_pair(wg_config_t *cfg, const char *pair, char *err, size_t err_size)
{
    const char *colon = strchr(pair, ':');
    if (colon == NULL || colon == pair || colon[1] == '\0' || colon[1] == ':')
        return wg_str_fail(err, err_size, "--credentials expects AKID:SECRET or AKID:SECRET:TOKEN, got '%.*s...'", 4,
                           pair);
    const char *colon2 = strchr(colon + 1, ':');
    if (colon2 != NULL && colon2[1] == '\0')
        return wg_str_fail(err, err_size, "--credentials expects AKID:SECRET:TOKEN with a token, got '%.*s...'", 4,
                           pair);
    char *akid = strndup(pair, (size_t)(colon - pair));
    char *secret = strndup(colon + 1, colon2 ? (size_t)(colon2 - colon - 1) : strlen(colon + 1));
    if (akid == NULL || secret == NULL)
        abort();
    wg_config_add_credential(cfg, akid, secret, colon2 ? colon2 + 1 : NULL);
    OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
    free(akid);
    return WG_CONFIG_OK;
}

/* WSGATE_CREDENTIALS: "AKID:SECRET[:TOKEN]" items separated by commas or whitespace, read from the
 * environment so that secrets need not be command-line arguments (world-readable in /proc; the
 * container's entrypoint relies on this). The copy is wiped before it is freed. */
static int load_credentials_env(wg_config_t *cfg, char *err, size_t err_size)
{
    const char *env = getenv("WSGATE_CREDENTIALS");
    if (env == NULL || *env == '\0')
        return WG_CONFIG_OK;
    char *copy = wg_str_dup(env);
    size_t copy_len = strlen(copy);
    int rc = WG_CONFIG_OK;
    char *save = NULL;
    for (char *item = strtok_r(copy, ", \t\r\n", &save); item != NULL; item = strtok_r(NULL, ", \t\r\n", &save)) {
        if (wg_config_add_credential_pair(cfg, item, err, err_size) != WG_CONFIG_OK) {
            rc = WG_CONFIG_ERROR;
            break;
        }
    }
    OPENSSL_cleanse(copy, copy_len);
    free(copy);
    return rc;
}

/*
 * An AWS shared credentials file (~/.aws/credentials format): every profile's
 * aws_access_key_id / aws_secret_access_key pair becomes a known key.
 */
int wg_config_load_credentials_file(wg_config_t *cfg, const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return wg_str_fail(err, err_size, "credentials file %s: %s", path, strerror(errno));
    char line[4096], akid[256] = "", secret[256] = "", token[2048] = "";
    int line_no = 0, added = 0, rc = WG_CONFIG_OK;
    for (;;) {
        int is_eof = fgets(line, sizeof(line), f) == NULL;
        char *p = is_eof ? (char *)"" : line;
        line_no += !is_eof;
        while (isspace((unsigned char)*p))
            p++;
        if (is_eof || *p == '[') {
            /* a profile ends: keep its pair */
            if (akid[0] != '\0' && secret[0] != '\0') {
                wg_config_add_credential(cfg, akid, secret, token[0] ? token : NULL);
                added++;
            }
            akid[0] = secret[0] = token[0] = '\0';
            if (is_eof)
                break;
            continue;
        }
        if (*p == '#' || *p == ';' || *p == '\0')
            continue;
        char *eq = strchr(p, '=');
        if (eq == NULL) {
            rc = wg_str_fail(err, err_size, "credentials file %s:%d: expected 'name = value'", path, line_no);
            goto out;
        }
        char *name_end = eq;
        while (name_end > p && isspace((unsigned char)name_end[-1]))
            name_end--;
        char *value = eq + 1;
        while (isspace((unsigned char)*value))
            value++;
        size_t value_len = strcspn(value, "\r\n");
        while (value_len > 0 && isspace((unsigned char)value[value_len - 1]))
            value_len--;
        size_t name_len = (size_t)(name_end - p);
        char *slot = NULL;
        if (name_len == 17 && strncmp(p, "aws_access_key_id", 17) == 0)
            slot = akid;
        else if (name_len == 21 && strncmp(p, "aws_secret_access_key", 21) == 0)
            slot = secret;
        size_t slot_size = 256;
        if (name_len == 17 && strncmp(p, "aws_session_token", 17) == 0) {
            slot = token;
            slot_size = sizeof(token);
        }
        if (slot != NULL && value_len < slot_size) {
            memcpy(slot, value, value_len);
            slot[value_len] = '\0';
        }
    }
    if (added == 0)
        rc = wg_str_fail(err, err_size,
                         "credentials file %s: no profile with aws_access_key_id and aws_secret_access_key", path);
out:
    /* every path wipes what the file's secrets passed through */
    fclose(f);
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(token, sizeof(token));
    OPENSSL_cleanse(line, sizeof(line));
    return rc;
}

int wg_config_load_credentials_environment(wg_config_t *cfg, char *err, size_t err_size)
{
    const char *env_akid = getenv("AWS_ACCESS_KEY_ID"), *env_secret = getenv("AWS_SECRET_ACCESS_KEY");
    if (env_akid && *env_akid && env_secret && *env_secret) {
        const char *env_token = getenv("AWS_SESSION_TOKEN");
        wg_config_add_credential(cfg, env_akid, env_secret, env_token && *env_token ? env_token : NULL);
    }
    if (load_credentials_env(cfg, err, err_size) != WG_CONFIG_OK)
        return WG_CONFIG_ERROR;
    const char *env_file = getenv("AWS_SHARED_CREDENTIALS_FILE");
    if (env_file != NULL && *env_file != '\0')
        return wg_config_load_credentials_file(cfg, env_file, err, err_size);
    return WG_CONFIG_OK;
}

const char *wg_config_session_token_for(const wg_config_t *cfg, const char *access_key_id)
{
    for (size_t i = 0; i < cfg->num_credentials; i++)
        if (strcmp(cfg->credentials[i].access_key_id, access_key_id) == 0)
            return cfg->credentials[i].session_token;
    return NULL;
}

const char *wg_config_secret_for(const wg_config_t *cfg, const char *access_key_id)
{
    for (size_t i = 0; i < cfg->num_credentials; i++)
        if (strcmp(cfg->credentials[i].access_key_id, access_key_id) == 0)
            return cfg->credentials[i].secret_access_key;
    return NULL;
}

void wg_config_free_credentials(wg_config_t *cfg)
{
    for (size_t i = 0; i < cfg->num_credentials; i++) {
        free(cfg->credentials[i].access_key_id);
        set_secret(&cfg->credentials[i].secret_access_key, NULL);
        set_secret(&cfg->credentials[i].session_token, NULL);
    }
    free(cfg->credentials);
    cfg->credentials = NULL;
    cfg->num_credentials = 0;
}

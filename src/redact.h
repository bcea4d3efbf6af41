/*
 * redact.h: which request values are credentials, and replacing them with "(redacted)" wherever
 * wsgate shows a request or an event (the --verbose log, the inspector page). One list, so the log
 * and the page never disagree about what is a secret.
 */
#ifndef WG_REDACT_H
#define WG_REDACT_H

#include <stdbool.h>
#include <stddef.h>

struct json_t;

/** True when a header or query parameter named `name` (`len` bytes, any case) carries a credential:
 * Authorization, Cookie, x-api-key, a session token, a presigned URL's signature or credential. */
bool wg_redact_is_secret_name(const char *name, size_t len);

/** Replaces, in a Lambda proxy event document, the values of secret names in `headers`,
 * `multiValueHeaders`, `queryStringParameters` and `multiValueQueryStringParameters` (every
 * element of a multi-value array) with "(redacted)". Other keys are left alone; NULL is fine. */
void wg_redact_event(struct json_t *event);

#endif

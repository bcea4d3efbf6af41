/*
 * authorizer_decision.h: the authorizer's decision on a $connect handshake (wg_auth_decision_t), as
 * conns and the inspector read it. Type only: the inspector records decisions without depending on
 * the authorizer (which calls the integrations, which call the inspector's hooks), so the include
 * graph stays acyclic (scripts/check-includes.sh). Authorization itself is authorizer.h's.
 */
#ifndef WG_AUTHORIZER_DECISION_H
#define WG_AUTHORIZER_DECISION_H

typedef struct wg_auth_decision {
    int status; /* 0 = allowed; otherwise the handshake's HTTP status: 401, 403, 500 */
    const char *why; /* for the log line */
    char *authorizer_json; /* malloc'd requestContext.authorizer object text, or NULL; taken by the callee */
    char *identity_json; /* malloc'd extra identity members for IAM (AWS-AUTH-18), or NULL; taken */
} wg_auth_decision_t;

#endif

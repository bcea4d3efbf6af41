/* headers.c: lookups over borrowed header lists (see headers.h). */
#include "headers.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

bool wg_headers_ieq(const char *s, size_t len, const char *lit)
{
    size_t lit_len = strlen(lit);
    return len == lit_len && strncasecmp(s, lit, len) == 0;
}

const wg_header_t *wg_headers_find(const wg_header_t *headers, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (wg_headers_ieq(headers[i].name, headers[i].name_len, name))
            return &headers[i];
    return NULL;
}

/* config_serverless.c: serverless.yml into the canonical document (being written). */
#include "config_convert.h"

#include <stdio.h>

int wg_config_is_serverless(const json_t *root)
{
    return json_is_object(root) && json_object_get(root, "service") != NULL &&
           (json_object_get(root, "provider") != NULL || json_object_get(root, "functions") != NULL);
}

json_t *wg_config_from_serverless(const char *path, json_t *source, wg_config_lines_t *lines, char *err,
                                  size_t err_size)
{
    snprintf(err, err_size, "%s: serverless.yml files are not supported yet", path);
    return NULL;
}

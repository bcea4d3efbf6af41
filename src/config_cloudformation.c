/* config_cloudformation.c: CloudFormation / SAM / CDK templates (being written). */
#include "config_convert.h"

#include <stdio.h>

int wg_config_is_cloudformation(const json_t *root)
{
    return json_is_object(root) &&
           (json_object_get(root, "AWSTemplateFormatVersion") != NULL || json_is_object(json_object_get(root, "Resources")));
}

json_t *wg_config_from_cloudformation(const char *path, json_t *source, wg_config_lines_t *lines, char *err,
                                      size_t err_size)
{
    snprintf(err, err_size, "%s: templates are not supported yet", path);
    return NULL;
}

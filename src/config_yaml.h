/*
 * config_yaml.h: YAML text into a jansson tree, with the line of every node and key.
 *
 * Scalars follow the YAML 1.2 core schema, which is what js-yaml (serverless) and most users
 * expect: null / ~ / empty, true / false (any case of the first letter, or all caps), decimal,
 * 0x / 0o integers, floats, .inf / .nan. yes/no/on/off stay strings (YAML 1.1 would make them
 * booleans). Quoted scalars are always strings, and !!str / !!int / !!float / !!bool / !!null
 * force a type. Anchors, aliases and merge keys (<<) are supported. CloudFormation short tags
 * become their JSON forms: !Ref X -> {"Ref": "X"}, !GetAtt A.B -> {"Fn::GetAtt": ["A", "B"]},
 * !Condition X -> {"Condition": "X"}, !Sub/!Join/!If/... -> {"Fn::Sub": ...}. Any other tag is
 * an error. One document per file; keys must be scalars and unique.
 */
#ifndef WG_CONFIG_YAML_H
#define WG_CONFIG_YAML_H

#include <jansson.h>
#include <stddef.h>

#include "config_lines.h"

/**
 * Parses `text` (`length` bytes; `path` only names it in messages). Returns a new tree and records
 * lines in `lines` (may be NULL), or NULL with "path:line:col: problem" in err.
 */
json_t *wg_config_yaml_parse(const char *path, const char *text, size_t length, wg_config_lines_t *lines, char *err,
                             size_t err_size);

#endif

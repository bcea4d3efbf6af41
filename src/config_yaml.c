/*
 * config_yaml.c: YAML into jansson with line numbers (see config_yaml.h).
 *
 * Built on libyaml's event API rather than its document loader: the loader gives every untagged
 * scalar the default !!str tag, so `port: 3001` and `port: !!str 3001` would look the same.
 * Anchors are registered only once their node is complete, so an alias cannot refer to a node
 * that contains it (no cycles).
 */
#include "config_yaml.h"

#include <stdbool.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "limits.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

typedef struct anchor {
    char *name;
    json_t *node;
} anchor_t;

typedef struct yaml_ctx {
    yaml_parser_t parser;
    const char *path;
    wg_config_lines_t *lines;
    anchor_t *anchors;
    size_t num_anchors;
    char *err;
    size_t err_size;
    int has_error;
} yaml_ctx_t;

static void ctx_fail(yaml_ctx_t *ctx, const yaml_mark_t *mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ctx_fail(yaml_ctx_t *ctx, const yaml_mark_t *mark, const char *fmt, ...)
{
    if (ctx->has_error)
        return;
    ctx->has_error = 1;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(ctx->err, ctx->err_size, "%s:%zu:%zu: %s", ctx->path, mark->line + 1, mark->column + 1, msg);
}

/* The next event, or -1 with the parser's problem as the message. */
static int next_event(yaml_ctx_t *ctx, yaml_event_t *ev)
{
    if (yaml_parser_parse(&ctx->parser, ev))
        return 0;
    const yaml_parser_t *p = &ctx->parser;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->context != NULL)
        ctx_fail(ctx, &p->problem_mark, "%s (%s at line %zu)", problem, p->context, p->context_mark.line + 1);
    else
        ctx_fail(ctx, &p->problem_mark, "%s", problem);
    return -1;
}

static void record(yaml_ctx_t *ctx, json_t *node, const yaml_mark_t *mark)
{
    if (ctx->lines != NULL)
        wg_config_lines_set(ctx->lines, node, (int)mark->line + 1);
}

static int remember_anchor(yaml_ctx_t *ctx, const yaml_char_t *name, json_t *node, const yaml_mark_t *mark)
{
    if (name == NULL)
        return 0;
    if (ctx->num_anchors == WG_LIMIT_YAML_ANCHORS) {
        ctx_fail(ctx, mark, "more than %d anchors", WG_LIMIT_YAML_ANCHORS);
        return -1;
    }
    anchor_t *grown = realloc(ctx->anchors, (ctx->num_anchors + 1) * sizeof(*ctx->anchors));
    if (grown == NULL)
        abort();
    ctx->anchors = grown;
    anchor_t *a = &ctx->anchors[ctx->num_anchors++];
    a->name = strdup((const char *)name);
    if (a->name == NULL)
        abort();
    a->node = json_incref(node);
    return 0;
}

static json_t *find_anchor(yaml_ctx_t *ctx, const char *name)
{
    /* The latest definition wins: YAML lets an anchor be redefined. */
    for (size_t i = ctx->num_anchors; i-- > 0;)
        if (strcmp(ctx->anchors[i].name, name) == 0)
            return ctx->anchors[i].node;
    return NULL;
}

/* ---- scalars -------------------------------------------------------------------------------- */

static bool is_one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return 1;
    return 0;
}

static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"true", "True", "TRUE", NULL};
static const char *const false_words[] = {"false", "False", "FALSE", NULL};

/* A whole integer in the YAML 1.2 core forms: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+. */
static int parse_int(const char *s, json_int_t *out)
{
    const char *digits = s;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
        base = s[1] == 'x' ? 16 : 8;
        digits = s + 2;
    } else if (*s == '-' || *s == '+') {
        digits = s + 1;
    }
    if (*digits == '\0')
        return -1;
    for (const char *c = digits; *c; c++) {
        int ok = base == 16  ? (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || (*c >= 'A' && *c <= 'F')
                 : base == 8 ? (*c >= '0' && *c <= '7')
                             : (*c >= '0' && *c <= '9');
        if (!ok)
            return -1;
    }
    errno = 0;
    char *end;
    long long v = strtoll(base == 10 ? s : digits, &end, base);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (json_int_t)v;
    return 0;
}

/* A float in the YAML 1.2 core forms: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int parse_float(const char *s, double *out)
{
    const char *c = s;
    if (*c == '-' || *c == '+')
        c++;
    if (strcmp(c, ".inf") == 0 || strcmp(c, ".Inf") == 0 || strcmp(c, ".INF") == 0) {
        *out = *s == '-' ? -INFINITY : INFINITY;
        return 0;
    }
    if (c == s && (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0)) {
        *out = NAN;
        return 0;
    }
    size_t int_digits = 0, frac_digits = 0;
    while (*c >= '0' && *c <= '9')
        c++, int_digits++;
    if (*c == '.') {
        c++;
        while (*c >= '0' && *c <= '9')
            c++, frac_digits++;
    }
    if (int_digits == 0 && frac_digits == 0)
        return -1;
    if (*c == 'e' || *c == 'E') {
        c++;
        if (*c == '-' || *c == '+')
            c++;
        if (!(*c >= '0' && *c <= '9'))
            return -1;
        while (*c >= '0' && *c <= '9')
            c++;
    }
    if (*c != '\0')
        return -1;
    errno = 0;
    *out = strtod(s, NULL);
    return errno == ERANGE ? -1 : 0;
}

/* An untagged plain scalar: the YAML 1.2 core schema. */
static json_t *resolve_plain(const char *s)
{
    if (is_one_of(s, null_words))
        return json_null();
    if (is_one_of(s, true_words))
        return json_true();
    if (is_one_of(s, false_words))
        return json_false();
    json_int_t i;
    if (parse_int(s, &i) == 0)
        return json_integer(i);
    double d;
    if (parse_float(s, &d) == 0 && isfinite(d))
        return json_real(d); /* jansson has no inf/nan: those stay strings */
    return json_string(s);
}

/* A scalar with a standard tag (!!str, !!int, ...), or NULL with an error when it does not fit. */
static json_t *resolve_tagged(yaml_ctx_t *ctx, const char *tag, const char *s, const yaml_mark_t *mark)
{
    const char *type = tag + strlen(TAG_PREFIX);
    json_t *v = NULL;
    if (strcmp(type, "str") == 0) {
        v = json_string(s);
    } else if (strcmp(type, "null") == 0) {
        v = is_one_of(s, null_words) ? json_null() : NULL;
    } else if (strcmp(type, "bool") == 0) {
        v = is_one_of(s, true_words) ? json_true() : is_one_of(s, false_words) ? json_false() : NULL;
    } else if (strcmp(type, "int") == 0) {
        json_int_t i;
        v = parse_int(s, &i) == 0 ? json_integer(i) : NULL;
    } else if (strcmp(type, "float") == 0) {
        double d;
        json_int_t i;
        if (parse_float(s, &d) == 0 && isfinite(d))
            v = json_real(d);
        else if (parse_int(s, &i) == 0)
            v = json_real((double)i);
    } else {
        ctx_fail(ctx, mark, "unsupported tag !!%s", type);
        return NULL;
    }
    if (v == NULL)
        ctx_fail(ctx, mark, "'%s' is not a valid !!%s", s, type);
    return v;
}

/* ---- CloudFormation short tags -------------------------------------------------------------- */

static const char *const cfn_functions[] = {
    "Base64",    "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join",         "Select", "Split", "Sub",
    "Transform", "And",  "Equals",    "If",     "Not",    "Or",          "ToJsonString", "Length", NULL,
};

/*
 * Wraps `value` (taken) in the long form of a CloudFormation short tag. Returns the new node, or
 * NULL with an error for a tag that is not one of CloudFormation's.
 */
static json_t *wrap_cfn_tag(yaml_ctx_t *ctx, const char *tag, json_t *value, const yaml_mark_t *mark)
{
    const char *name = tag + 1;
    char key[64];
    if (strcmp(name, "Ref") == 0 || strcmp(name, "Condition") == 0) {
        snprintf(key, sizeof(key), "%s", name);
    } else if (is_one_of(name, cfn_functions)) {
        snprintf(key, sizeof(key), "Fn::%s", name);
    } else {
        json_decref(value);
        ctx_fail(ctx, mark,
                 "unknown tag '%s' (only CloudFormation's short tags such as !Ref, !GetAtt, "
                 "!Sub are understood)",
                 tag);
        return NULL;
    }
    if (strcmp(name, "GetAtt") == 0 && json_is_string(value)) {
        /* !GetAtt Resource.Attribute: the attribute may itself contain dots (Outputs.X). */
        const char *s = json_string_value(value);
        const char *dot = strchr(s, '.');
        if (dot == NULL || dot == s || dot[1] == '\0') {
            ctx_fail(ctx, mark, "!GetAtt expects Resource.Attribute, got '%s'", s);
            json_decref(value);
            return NULL;
        }
        json_t *pair = json_pack("[s#s]", s, (int)(dot - s), dot + 1);
        record(ctx, pair, mark);
        json_decref(value);
        value = pair;
    }
    json_t *wrapped = json_object();
    json_object_set_new(wrapped, key, value);
    record(ctx, wrapped, mark);
    if (ctx->lines != NULL)
        wg_config_lines_set_key(ctx->lines, wrapped, key, (int)mark->line + 1);
    return wrapped;
}

/* ---- nodes ---------------------------------------------------------------------------------- */

static json_t *build_node(yaml_ctx_t *ctx, yaml_event_t *ev, int depth);

/* Applies a tag on a collection or scalar already built: standard tags must match its kind. */
static json_t *apply_tag(yaml_ctx_t *ctx, const char *tag, json_t *node, const yaml_mark_t *mark)
{
    if (tag == NULL || strcmp(tag, "!") == 0)
        return node;
    if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) {
        const char *type = tag + strlen(TAG_PREFIX);
        if ((strcmp(type, "map") == 0 && json_is_object(node)) || (strcmp(type, "seq") == 0 && json_is_array(node)))
            return node;
        json_decref(node);
        ctx_fail(ctx, mark, "tag !!%s does not fit this node", type);
        return NULL;
    }
    if (tag[0] == '!')
        return wrap_cfn_tag(ctx, tag, node, mark);
    json_decref(node);
    ctx_fail(ctx, mark, "unknown tag '%s'", tag);
    return NULL;
}

static json_t *build_scalar(yaml_ctx_t *ctx, yaml_event_t *ev)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    const char *value = (const char *)ev->data.scalar.value;
    const yaml_mark_t *mark = &ev->start_mark;
    if (strlen(value) != ev->data.scalar.length) {
        ctx_fail(ctx, mark, "a NUL character in a scalar");
        return NULL;
    }
    json_t *node;
    if (tag != NULL && strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) {
        node = resolve_tagged(ctx, tag, value, mark);
        tag = NULL;
    } else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && tag == NULL) {
        node = resolve_plain(value);
    } else {
        node = json_string(value); /* quoted, block (| >) or under a CloudFormation tag */
    }
    if (node == NULL) {
        ctx_fail(ctx, mark, "a scalar that is not valid UTF-8");
        return NULL;
    }
    record(ctx, node, mark);
    return apply_tag(ctx, tag, node, mark);
}

static json_t *build_sequence(yaml_ctx_t *ctx, yaml_event_t *start, int depth)
{
    json_t *array = json_array();
    record(ctx, array, &start->start_mark);
    for (;;) {
        yaml_event_t ev;
        if (next_event(ctx, &ev) != 0)
            goto fail;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return array;
        }
        json_t *item = build_node(ctx, &ev, depth + 1);
        yaml_event_delete(&ev);
        if (item == NULL)
            goto fail;
        json_array_append_new(array, item);
    }
fail:
    json_decref(array);
    return NULL;
}

/* `<<: *base` or `<<: [*a, *b]`: keys of the merged mappings that the mapping does not set. */
static int collect_merge(yaml_ctx_t *ctx, json_t *merges, json_t *value, const yaml_mark_t *mark)
{
    if (json_is_object(value)) {
        json_array_append(merges, value);
        return 0;
    }
    if (json_is_array(value)) {
        size_t i;
        json_t *item;
        json_array_foreach(value, i, item) {
            if (!json_is_object(item))
                goto bad;
            json_array_append(merges, item);
        }
        return 0;
    }
bad:
    ctx_fail(ctx, mark, "a merge key (<<) needs a mapping or a list of mappings");
    return -1;
}

static json_t *build_mapping(yaml_ctx_t *ctx, yaml_event_t *start, int depth)
{
    json_t *object = json_object();
    json_t *merges = json_array();
    record(ctx, object, &start->start_mark);
    for (;;) {
        yaml_event_t key_ev, value_ev;
        if (next_event(ctx, &key_ev) != 0)
            goto fail;
        if (key_ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&key_ev);
            break;
        }
        yaml_mark_t key_mark = key_ev.start_mark;
        if (key_ev.type != YAML_SCALAR_EVENT) {
            yaml_event_delete(&key_ev);
            ctx_fail(ctx, &key_mark, "keys must be plain strings (not lists, mappings or aliases)");
            goto fail;
        }
        int is_merge = strcmp((const char *)key_ev.data.scalar.value, "<<") == 0 &&
                       key_ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && key_ev.data.scalar.tag == NULL;
        char *key = strdup((const char *)key_ev.data.scalar.value);
        yaml_event_delete(&key_ev);
        if (key == NULL)
            abort();
        if (next_event(ctx, &value_ev) != 0) {
            free(key);
            goto fail;
        }
        json_t *value = build_node(ctx, &value_ev, depth + 1);
        yaml_event_delete(&value_ev);
        if (value == NULL) {
            free(key);
            goto fail;
        }
        int rc = 0;
        if (is_merge) {
            rc = collect_merge(ctx, merges, value, &key_mark);
        } else if (json_object_get(object, key) != NULL) {
            ctx_fail(ctx, &key_mark, "duplicate key '%s'", key);
            rc = -1;
        } else if (json_object_set(object, key, value) != 0) {
            ctx_fail(ctx, &key_mark, "key '%s' is not valid UTF-8", key);
            rc = -1;
        } else if (ctx->lines != NULL) {
            wg_config_lines_set_key(ctx->lines, object, key, (int)key_mark.line + 1);
        }
        json_decref(value);
        free(key);
        if (rc != 0)
            goto fail;
    }
    /* Merged keys never override the mapping's own keys; earlier merges win over later ones. */
    size_t i;
    json_t *merged;
    json_array_foreach(merges, i, merged) {
        const char *k;
        json_t *v;
        json_object_foreach(merged, k, v) {
            if (json_object_get(object, k) != NULL)
                continue;
            json_object_set(object, k, v);
            if (ctx->lines != NULL)
                wg_config_lines_set_key(ctx->lines, object, k, wg_config_lines_key_line(ctx->lines, merged, k));
        }
    }
    json_decref(merges);
    return object;
fail:
    json_decref(merges);
    json_decref(object);
    return NULL;
}

static json_t *build_node(yaml_ctx_t *ctx, yaml_event_t *ev, int depth)
{
    const yaml_mark_t *mark = &ev->start_mark;
    if (depth > WG_LIMIT_YAML_DEPTH) {
        ctx_fail(ctx, mark, "nested more than %d levels deep", WG_LIMIT_YAML_DEPTH);
        return NULL;
    }
    json_t *node = NULL;
    const yaml_char_t *anchor = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT: {
        json_t *target = find_anchor(ctx, (const char *)ev->data.alias.anchor);
        if (target == NULL) {
            ctx_fail(ctx, mark, "unknown anchor '*%s' (or an alias inside its own anchor)", ev->data.alias.anchor);
            return NULL;
        }
        return json_incref(target);
    }
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        node = build_scalar(ctx, ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        node = build_sequence(ctx, ev, depth);
        if (node != NULL)
            node = apply_tag(ctx, (const char *)ev->data.sequence_start.tag, node, mark);
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        node = build_mapping(ctx, ev, depth);
        if (node != NULL)
            node = apply_tag(ctx, (const char *)ev->data.mapping_start.tag, node, mark);
        break;
    default: ctx_fail(ctx, mark, "unexpected YAML event"); return NULL;
    }
    if (node != NULL && remember_anchor(ctx, anchor, node, mark) != 0) {
        json_decref(node);
        return NULL;
    }
    return node;
}

/* Expects one event of `type`; fails with `what` otherwise. */
static int expect_event(yaml_ctx_t *ctx, yaml_event_type_t type, yaml_event_t *ev)
{
    if (next_event(ctx, ev) != 0)
        return -1;
    if (ev->type != type) {
        yaml_event_delete(ev);
        return 1;
    }
    return 0;
}

json_t *wg_config_yaml_parse(const char *path, const char *text, size_t length, wg_config_lines_t *lines, char *err,
                             size_t err_size)
{
    yaml_ctx_t ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.path = path;
    ctx.lines = lines;
    ctx.err = err;
    ctx.err_size = err_size;
    if (!yaml_parser_initialize(&ctx.parser))
        abort();
    yaml_parser_set_input_string(&ctx.parser, (const unsigned char *)text, length);

    json_t *root = NULL;
    yaml_event_t ev;
    int rc = expect_event(&ctx, YAML_STREAM_START_EVENT, &ev);
    if (rc != 0)
        goto out;
    yaml_event_delete(&ev);
    if (next_event(&ctx, &ev) != 0)
        goto out;
    if (ev.type != YAML_DOCUMENT_START_EVENT) {
        yaml_event_delete(&ev);
        snprintf(err, err_size, "%s: the file is empty", path);
        ctx.has_error = 1;
        goto out;
    }
    yaml_event_delete(&ev);
    if (next_event(&ctx, &ev) != 0)
        goto out;
    root = build_node(&ctx, &ev, 0);
    yaml_event_delete(&ev);
    if (root == NULL)
        goto out;
    if ((rc = expect_event(&ctx, YAML_DOCUMENT_END_EVENT, &ev)) != 0)
        goto fail;
    yaml_event_delete(&ev);
    if (next_event(&ctx, &ev) != 0)
        goto fail;
    if (ev.type != YAML_STREAM_END_EVENT) {
        ctx_fail(&ctx, &ev.start_mark, "only one YAML document per config file (found a second '---')");
        yaml_event_delete(&ev);
        goto fail;
    }
    yaml_event_delete(&ev);
    goto out;
fail:
    json_decref(root);
    root = NULL;
out:
    if (root == NULL && !ctx.has_error)
        snprintf(err, err_size, "%s: invalid YAML", path);
    for (size_t i = 0; i < ctx.num_anchors; i++) {
        free(ctx.anchors[i].name);
        json_decref(ctx.anchors[i].node);
    }
    free(ctx.anchors);
    yaml_parser_delete(&ctx.parser);
    return root;
}

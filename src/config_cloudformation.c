/*
 * config_cloudformation.c: a CloudFormation / SAM / CDK template's WebSocket API as wsgate's
 * canonical document (docs/config-formats.md has the mapping table).
 *
 * Reads the one AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET and the Routes, Integrations,
 * RouteResponses, Authorizer and Stage that point at it (ApiId: Ref), and AWS::ApiGateway::ApiKey
 * values. Intrinsic functions are evaluated only where those properties use them: Ref (parameters
 * with their Default, resources, pseudo parameters), Fn::GetAtt, Fn::Sub (both forms), Fn::Join,
 * Fn::Select, Fn::Split, Fn::If / Fn::Equals / Fn::Not / Fn::And / Fn::Or with Conditions,
 * Fn::FindInMap. The account is 123456789012, the region us-east-1 and the stack name "wsgate"
 * (the values wsgate itself uses), so ARNs still parse.
 *
 * A Lambda integration (AWS_PROXY, or AWS with a Lambda URI) becomes "function": "<logical ID>":
 * Fn::GetAtt Fn.Arn evaluates to arn:aws:lambda:us-east-1:123456789012:function:<logical ID>, and
 * an ARN written out with a function's FunctionName is mapped back to that function's logical ID.
 * config.c then resolves the function through "functions" / --function.
 */
#include "config_convert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CFN_REGION "us-east-1"
#define CFN_ACCOUNT "123456789012"
#define CFN_STACK "wsgate"
/* Intrinsic functions nest a few levels at most; this stops runaway recursion (Conditions). */
#define CFN_MAX_DEPTH 32

typedef struct cfn {
    const char *path;
    const json_t *parameters; /* --parameter-overrides: name -> string, winning over Default (borrowed) */
    wg_config_lines_t *lines;
    json_t *tmpl; /* the whole template (borrowed) */
    json_t *resources; /* tmpl.Resources (borrowed) */
    json_t *no_value; /* the marker AWS::NoValue evaluates to (owned) */
    char *err;
    size_t err_size;
    int has_error;
    int depth;
} cfn_t;

static int cfn_fail(cfn_t *c, const json_t *node, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int cfn_fail(cfn_t *c, const json_t *node, const char *fmt, ...)
{
    if (c->has_error)
        return -1;
    c->has_error = 1;
    char msg[600], where[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(c->err, c->err_size, "%s: %s", wg_config_lines_where(c->lines, c->path, node, where, sizeof(where)), msg);
    return -1;
}

static int key_line(cfn_t *c, const json_t *object, const char *key)
{
    int line = wg_config_lines_key_line(c->lines, object, key);
    return line > 0 ? line : wg_config_lines_line(c->lines, object);
}

/* Sets out[key] = value (taken), with the line of `src` (a source node) or `line`. */
static void put(cfn_t *c, json_t *out, const char *key, json_t *value, int line)
{
    json_object_set_new(out, key, value);
    wg_config_lines_set_key(c->lines, out, key, line);
    wg_config_lines_set(c->lines, value, line);
}

static const char *resource_type(json_t *resource)
{
    return json_string_value(json_object_get(resource, "Type"));
}

static json_t *resource_properties(json_t *resource)
{
    json_t *p = json_object_get(resource, "Properties");
    return json_is_object(p) ? p : NULL;
}

static int is_function_type(const char *type)
{
    return type != NULL &&
           (strcmp(type, "AWS::Lambda::Function") == 0 || strcmp(type, "AWS::Serverless::Function") == 0);
}

/* ---- intrinsic functions -------------------------------------------------------------------- */

static json_t *eval(cfn_t *c, json_t *v);
static int eval_condition(cfn_t *c, json_t *v, int *out);
static json_t *ref_of_service_resource(cfn_t *c, json_t *at, const char *logical, json_t *resource);

/* A scalar as text (numbers and booleans as CloudFormation writes them), or NULL. */
static char *scalar_text(json_t *v)
{
    char buf[64];
    const char *s = NULL;
    if (json_is_string(v))
        s = json_string_value(v);
    else if (json_is_integer(v))
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v)), s = buf;
    else if (json_is_real(v))
        snprintf(buf, sizeof(buf), "%g", json_real_value(v)), s = buf;
    else if (json_is_boolean(v))
        s = json_is_true(v) ? "true" : "false";
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        abort();
    return d;
}

static json_t *pseudo_parameter(cfn_t *c, const char *name)
{
    if (strcmp(name, "AWS::Region") == 0)
        return json_string(CFN_REGION);
    if (strcmp(name, "AWS::AccountId") == 0)
        return json_string(CFN_ACCOUNT);
    if (strcmp(name, "AWS::StackName") == 0)
        return json_string(CFN_STACK);
    if (strcmp(name, "AWS::StackId") == 0)
        return json_string("arn:aws:cloudformation:" CFN_REGION ":" CFN_ACCOUNT ":stack/" CFN_STACK
                           "/00000000-0000-0000-0000-000000000000");
    if (strcmp(name, "AWS::Partition") == 0)
        return json_string("aws");
    if (strcmp(name, "AWS::URLSuffix") == 0)
        return json_string("amazonaws.com");
    if (strcmp(name, "AWS::NotificationARNs") == 0)
        return json_array();
    if (strcmp(name, "AWS::NoValue") == 0)
        return json_incref(c->no_value);
    return NULL;
}

static json_t *eval_ref(cfn_t *c, json_t *at, json_t *arg)
{
    const char *name = json_string_value(arg);
    if (name == NULL) {
        cfn_fail(c, at, "Ref needs the name of a parameter or resource");
        return NULL;
    }
    json_t *v = pseudo_parameter(c, name);
    if (v != NULL)
        return v;
    json_t *param = json_object_get(json_object_get(c->tmpl, "Parameters"), name);
    if (param != NULL) {
        json_t *over = c->parameters ? json_object_get(c->parameters, name) : NULL;
        json_t *def = over ? over : json_object_get(param, "Default");
        if (def == NULL) {
            cfn_fail(c, at,
                     "parameter '%s' has no Default: give it one, or a value with --parameter-overrides "
                     "%s=VALUE",
                     name, name);
            return NULL;
        }
        const char *type = json_string_value(json_object_get(param, "Type"));
        if (type != NULL && (strcmp(type, "CommaDelimitedList") == 0 || strncmp(type, "List<", 5) == 0) &&
            json_is_string(def)) {
            json_t *list = json_array();
            char *copy = strdup(json_string_value(def)), *save = NULL;
            if (copy == NULL)
                abort();
            for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
                json_array_append_new(list, json_string(tok));
            free(copy);
            return list;
        }
        return json_incref(def);
    }
    json_t *resource = json_object_get(c->resources, name);
    if (resource != NULL) {
        /* A function's Ref is its name, a table's or bucket's its name, a queue's its URL, a
         * topic's its ARN (a function's environment uses them); everything else here only needs to
         * be recognised again (ApiId, Target, RouteId, AuthorizerId), so the logical ID stands for
         * the physical ID. */
        json_t *fname = json_object_get(resource_properties(resource), "FunctionName");
        if (is_function_type(resource_type(resource)) && json_is_string(fname))
            return json_incref(fname);
        return ref_of_service_resource(c, at, name, resource);
    }
    cfn_fail(c, at, "Ref to '%s', which is neither a parameter nor a resource of this template", name);
    return NULL;
}

/*
 * The physical name of a table, bucket, queue or topic: its name property when set, else the
 * logical ID ([I] inferred: CloudFormation would generate "stack-LogicalId-RANDOM"; the logical
 * ID is what a local DynamoDB/moto table is most likely called). New string, or NULL on error.
 */
static char *physical_name(cfn_t *c, const char *logical, json_t *resource)
{
    static const struct {
        const char *type, *property;
    } names[] = {
        {"AWS::DynamoDB::Table", "TableName"},
        {"AWS::Serverless::SimpleTable", "TableName"},
        {"AWS::DynamoDB::GlobalTable", "TableName"},
        {"AWS::S3::Bucket", "BucketName"},
        {"AWS::SQS::Queue", "QueueName"},
        {"AWS::SNS::Topic", "TopicName"},
        {"AWS::Kinesis::Stream", "Name"},
        {"AWS::Events::EventBus", "Name"},
        {"AWS::StepFunctions::StateMachine", "StateMachineName"},
    };
    const char *type = resource_type(resource);
    for (size_t i = 0; type != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(type, names[i].type) != 0)
            continue;
        json_t *raw = json_object_get(resource_properties(resource), names[i].property);
        if (raw == NULL)
            break;
        json_t *v = eval(c, raw);
        char *text = v && v != c->no_value ? scalar_text(v) : NULL;
        json_decref(v);
        if (text == NULL && !c->has_error)
            break; /* AWS::NoValue: the generated name */
        return text;
    }
    char *d = strdup(logical);
    if (d == NULL)
        abort();
    return d;
}

static int is_type(json_t *resource, const char *type)
{
    const char *t = resource_type(resource);
    return t != NULL && strcmp(t, type) == 0;
}

static json_t *ref_of_service_resource(cfn_t *c, json_t *at, const char *logical, json_t *resource)
{
    int is_queue = is_type(resource, "AWS::SQS::Queue"), is_topic = is_type(resource, "AWS::SNS::Topic");
    int is_named = is_queue || is_topic || is_type(resource, "AWS::DynamoDB::Table") ||
                   is_type(resource, "AWS::Serverless::SimpleTable") || is_type(resource, "AWS::S3::Bucket") ||
                   is_type(resource, "AWS::Kinesis::Stream") || is_type(resource, "AWS::Events::EventBus");
    if (!is_named)
        return json_string(logical);
    char *name = physical_name(c, logical, resource);
    if (name == NULL)
        return NULL;
    char buf[1024];
    if (is_queue)
        snprintf(buf, sizeof(buf), "https://sqs." CFN_REGION ".amazonaws.com/" CFN_ACCOUNT "/%s", name);
    else if (is_topic)
        snprintf(buf, sizeof(buf), "arn:aws:sns:" CFN_REGION ":" CFN_ACCOUNT ":%s", name);
    else
        snprintf(buf, sizeof(buf), "%s", name);
    free(name);
    return json_string(buf);
}

/* Fn::GetAtt of a resource a function's environment names: a plausible ARN / URL ([I] inferred:
 * the formats AWS documents, with this template's region and account). 0, or -1 when the resource
 * type or attribute is not one of these. */
static int service_attribute(cfn_t *c, const char *logical, json_t *resource, const char *attribute, char *buf,
                             size_t size)
{
    const char *type = resource_type(resource);
    if (type == NULL || strncmp(type, "AWS::", 5) != 0 || strncmp(type, "AWS::ApiGateway", 15) == 0)
        return -1;
    char *name = physical_name(c, logical, resource);
    if (name == NULL)
        return -1;
    int rc = 0;
    int is_table = is_type(resource, "AWS::DynamoDB::Table") || is_type(resource, "AWS::Serverless::SimpleTable");
    if (is_table && strcmp(attribute, "Arn") == 0)
        snprintf(buf, size, "arn:aws:dynamodb:" CFN_REGION ":" CFN_ACCOUNT ":table/%s", name);
    else if (is_table && strcmp(attribute, "StreamArn") == 0)
        snprintf(buf, size, "arn:aws:dynamodb:" CFN_REGION ":" CFN_ACCOUNT ":table/%s/stream/1970-01-01T00:00:00.000",
                 name);
    else if (is_type(resource, "AWS::SQS::Queue") && strcmp(attribute, "Arn") == 0)
        snprintf(buf, size, "arn:aws:sqs:" CFN_REGION ":" CFN_ACCOUNT ":%s", name);
    else if (is_type(resource, "AWS::SQS::Queue") && strcmp(attribute, "QueueUrl") == 0)
        snprintf(buf, size, "https://sqs." CFN_REGION ".amazonaws.com/" CFN_ACCOUNT "/%s", name);
    else if (is_type(resource, "AWS::SQS::Queue") && strcmp(attribute, "QueueName") == 0)
        snprintf(buf, size, "%s", name);
    else if (is_type(resource, "AWS::SNS::Topic") && strcmp(attribute, "TopicArn") == 0)
        snprintf(buf, size, "arn:aws:sns:" CFN_REGION ":" CFN_ACCOUNT ":%s", name);
    else if (is_type(resource, "AWS::SNS::Topic") && strcmp(attribute, "TopicName") == 0)
        snprintf(buf, size, "%s", name);
    else if (is_type(resource, "AWS::S3::Bucket") && strcmp(attribute, "Arn") == 0)
        snprintf(buf, size, "arn:aws:s3:::%s", name);
    else if (is_type(resource, "AWS::S3::Bucket") && strcmp(attribute, "DomainName") == 0)
        snprintf(buf, size, "%s.s3.amazonaws.com", name);
    else if (is_type(resource, "AWS::S3::Bucket") && strcmp(attribute, "RegionalDomainName") == 0)
        snprintf(buf, size, "%s.s3." CFN_REGION ".amazonaws.com", name);
    else if (strcmp(attribute, "Arn") == 0) {
        /* any other AWS::Service::Thing: arn:aws:service:region:account:thing/name */
        const char *svc = type + 5, *sep = strstr(svc, "::");
        char service[64], thing[64];
        snprintf(service, sizeof(service), "%.*s", sep ? (int)(sep - svc) : (int)strlen(svc), svc);
        snprintf(thing, sizeof(thing), "%s", sep ? sep + 2 : "resource");
        for (char *p = service; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        for (char *p = thing; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        snprintf(buf, size, "arn:aws:%s:" CFN_REGION ":" CFN_ACCOUNT ":%s/%s", service, thing, name);
    } else
        rc = -1;
    free(name);
    return rc;
}

static json_t *get_att(cfn_t *c, json_t *at, const char *name, const char *attribute)
{
    json_t *resource = json_object_get(c->resources, name);
    if (resource == NULL) {
        cfn_fail(c, at, "Fn::GetAtt of '%s', which is not a resource of this template", name);
        return NULL;
    }
    const char *type = resource_type(resource);
    char buf[512];
    if (is_function_type(type) && strcmp(attribute, "Arn") == 0)
        snprintf(buf, sizeof(buf), "arn:aws:lambda:" CFN_REGION ":" CFN_ACCOUNT ":function:%s", name);
    else if (type != NULL && strcmp(type, "AWS::ApiGatewayV2::Api") == 0 && strcmp(attribute, "ApiEndpoint") == 0)
        snprintf(buf, sizeof(buf), "wss://%s.execute-api." CFN_REGION ".amazonaws.com", name);
    else if (type != NULL && strcmp(type, "AWS::ApiGatewayV2::Api") == 0 && strcmp(attribute, "ApiId") == 0)
        snprintf(buf, sizeof(buf), "%s", name);
    else if (!is_function_type(type) && service_attribute(c, name, resource, attribute, buf, sizeof(buf)) == 0)
        ;
    else if (c->has_error)
        return NULL;
    else
        snprintf(buf, sizeof(buf), "%s.%s", name, attribute); /* unused by wsgate: a recognisable stand-in */
    return json_string(buf);
}

static json_t *eval_get_att(cfn_t *c, json_t *at, json_t *arg)
{
    json_t *args = eval(c, arg);
    if (args == NULL)
        return NULL;
    json_t *out = NULL;
    if (json_is_string(args)) {
        const char *s = json_string_value(args), *dot = strchr(s, '.');
        if (dot != NULL && dot != s) {
            char *name = strndup(s, (size_t)(dot - s));
            if (name == NULL)
                abort();
            out = get_att(c, at, name, dot + 1);
            free(name);
            json_decref(args);
            return out;
        }
    } else if (json_is_array(args) && json_array_size(args) == 2 && json_is_string(json_array_get(args, 0)) &&
               json_is_string(json_array_get(args, 1))) {
        out = get_att(c, at, json_string_value(json_array_get(args, 0)), json_string_value(json_array_get(args, 1)));
        json_decref(args);
        return out;
    }
    json_decref(args);
    cfn_fail(c, at, "Fn::GetAtt needs [Resource, Attribute] or \"Resource.Attribute\"");
    return NULL;
}

/* Fn::Sub: "${Name}", "${Res.Attr}", "${!Literal}", with optional variables. */
static json_t *eval_sub(cfn_t *c, json_t *at, json_t *arg)
{
    json_t *text = arg, *vars = NULL;
    if (json_is_array(arg)) {
        if (json_array_size(arg) != 2 || !json_is_object(json_array_get(arg, 1))) {
            cfn_fail(c, at, "Fn::Sub needs \"text\" or [\"text\", {variables}]");
            return NULL;
        }
        text = json_array_get(arg, 0);
        vars = json_array_get(arg, 1);
    }
    if (!json_is_string(text)) {
        cfn_fail(c, at, "Fn::Sub needs a string");
        return NULL;
    }
    const char *s = json_string_value(text);
    size_t cap = strlen(s) + 256, len = 0;
    char *out = malloc(cap);
    if (out == NULL)
        abort();
#define APPEND(p, n)                               \
    do {                                           \
        size_t n_ = (n);                           \
        while (len + n_ + 1 > cap) {               \
            cap *= 2;                              \
            if ((out = realloc(out, cap)) == NULL) \
                abort();                           \
        }                                          \
        memcpy(out + len, (p), n_);                \
        len += n_;                                 \
    } while (0)
    while (*s) {
        const char *open = strstr(s, "${");
        if (open == NULL) {
            APPEND(s, strlen(s));
            break;
        }
        APPEND(s, (size_t)(open - s));
        const char *close = strchr(open, '}');
        if (close == NULL) {
            APPEND(open, strlen(open));
            break;
        }
        if (open[2] == '!') { /* ${!Literal} is written as ${Literal} */
            APPEND("${", 2);
            APPEND(open + 3, (size_t)(close - open - 3) + 1);
            s = close + 1;
            continue;
        }
        char *name = strndup(open + 2, (size_t)(close - open - 2));
        if (name == NULL)
            abort();
        json_t *value = NULL;
        json_t *var = vars ? json_object_get(vars, name) : NULL;
        if (var != NULL) {
            value = eval(c, var);
        } else if (strchr(name, '.') != NULL && strncmp(name, "AWS::", 5) != 0) {
            char *dot = strchr(name, '.');
            *dot = '\0';
            value = get_att(c, at, name, dot + 1);
        } else {
            json_t *ref = json_string(name);
            value = eval_ref(c, at, ref);
            json_decref(ref);
        }
        char *piece = value ? scalar_text(value) : NULL;
        if (value != NULL && piece == NULL)
            cfn_fail(c, at, "Fn::Sub: ${%s} is not a single value", name);
        json_decref(value);
        free(name);
        if (piece == NULL) {
            free(out);
            return NULL;
        }
        APPEND(piece, strlen(piece));
        free(piece);
        s = close + 1;
    }
#undef APPEND
    out[len] = '\0';
    json_t *result = json_string(out);
    free(out);
    return result;
}

static json_t *eval_join(cfn_t *c, json_t *at, json_t *arg)
{
    json_t *args = eval(c, arg);
    if (args == NULL)
        return NULL;
    json_t *delim = json_array_get(args, 0), *list = json_array_get(args, 1);
    if (!json_is_array(args) || json_array_size(args) != 2 || !json_is_string(delim) || !json_is_array(list)) {
        json_decref(args);
        cfn_fail(c, at, "Fn::Join needs [\"delimiter\", [values]]");
        return NULL;
    }
    size_t cap = 256, len = 0;
    char *out = malloc(cap);
    if (out == NULL)
        abort();
    out[0] = '\0';
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        char *piece = scalar_text(item);
        if (piece == NULL) {
            free(out);
            json_decref(args);
            cfn_fail(c, at, "Fn::Join: item %zu is not a single value", i);
            return NULL;
        }
        const char *sep = i > 0 ? json_string_value(delim) : "";
        size_t need = len + strlen(sep) + strlen(piece) + 1;
        if (need > cap) {
            cap = need * 2;
            if ((out = realloc(out, cap)) == NULL)
                abort();
        }
        len += (size_t)sprintf(out + len, "%s%s", sep, piece);
        free(piece);
    }
    json_decref(args);
    json_t *result = json_string(out);
    free(out);
    return result;
}

static json_t *eval_select(cfn_t *c, json_t *at, json_t *arg)
{
    json_t *args = eval(c, arg);
    if (args == NULL)
        return NULL;
    json_t *index = json_array_get(args, 0), *list = json_array_get(args, 1);
    long long n = -1;
    if (json_is_integer(index))
        n = json_integer_value(index);
    else if (json_is_string(index))
        n = strtoll(json_string_value(index), NULL, 10);
    json_t *out = NULL;
    if (json_is_array(list) && n >= 0 && (size_t)n < json_array_size(list))
        out = json_incref(json_array_get(list, (size_t)n));
    else
        cfn_fail(c, at, "Fn::Select needs [index, [values]] with the index in range");
    json_decref(args);
    return out;
}

static json_t *eval_split(cfn_t *c, json_t *at, json_t *arg)
{
    json_t *args = eval(c, arg);
    if (args == NULL)
        return NULL;
    json_t *delim = json_array_get(args, 0), *text = json_array_get(args, 1);
    if (!json_is_string(delim) || json_string_length(delim) == 0 || !json_is_string(text)) {
        json_decref(args);
        cfn_fail(c, at, "Fn::Split needs [\"delimiter\", \"text\"]");
        return NULL;
    }
    json_t *out = json_array();
    const char *s = json_string_value(text), *d = json_string_value(delim);
    for (;;) {
        const char *hit = strstr(s, d);
        if (hit == NULL) {
            json_array_append_new(out, json_string(s));
            break;
        }
        json_array_append_new(out, json_stringn(s, (size_t)(hit - s)));
        s = hit + strlen(d);
    }
    json_decref(args);
    return out;
}

static json_t *eval_find_in_map(cfn_t *c, json_t *at, json_t *arg)
{
    json_t *args = eval(c, arg);
    if (args == NULL)
        return NULL;
    json_t *map = json_object_get(json_object_get(c->tmpl, "Mappings"), json_string_value(json_array_get(args, 0)));
    json_t *top = json_object_get(map, json_string_value(json_array_get(args, 1)));
    json_t *v = json_object_get(top, json_string_value(json_array_get(args, 2)));
    json_decref(args);
    if (v == NULL) {
        cfn_fail(c, at, "Fn::FindInMap: no such entry in Mappings");
        return NULL;
    }
    return eval(c, v);
}

static json_t *eval_if(cfn_t *c, json_t *at, json_t *arg)
{
    if (!json_is_array(arg) || json_array_size(arg) != 3 || !json_is_string(json_array_get(arg, 0))) {
        cfn_fail(c, at, "Fn::If needs [\"Condition\", value if true, value if false]");
        return NULL;
    }
    json_t *cond = json_pack("{sO}", "Condition", json_array_get(arg, 0));
    int truth;
    int rc = eval_condition(c, cond, &truth);
    json_decref(cond);
    if (rc != 0)
        return NULL;
    return eval(c, json_array_get(arg, truth ? 1 : 2));
}

/* A condition: {"Condition": name}, Fn::Equals / Not / And / Or, or a boolean. */
static int eval_condition(cfn_t *c, json_t *v, int *out)
{
    if (++c->depth > CFN_MAX_DEPTH) {
        c->depth--;
        return cfn_fail(c, v, "conditions nested more than %d levels (a Condition that refers to itself?)",
                        CFN_MAX_DEPTH);
    }
    int rc = -1;
    const char *key = json_is_object(v) && json_object_size(v) == 1 ? json_object_iter_key(json_object_iter(v)) : NULL;
    json_t *arg = key ? json_object_get(v, key) : NULL;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        rc = 0;
    } else if (key != NULL && strcmp(key, "Condition") == 0 && json_is_string(arg)) {
        json_t *def = json_object_get(json_object_get(c->tmpl, "Conditions"), json_string_value(arg));
        if (def == NULL)
            cfn_fail(c, v, "unknown condition '%s'", json_string_value(arg));
        else
            rc = eval_condition(c, def, out);
    } else if (key != NULL && strcmp(key, "Fn::Equals") == 0 && json_is_array(arg) && json_array_size(arg) == 2) {
        json_t *a = eval(c, json_array_get(arg, 0)), *b = a ? eval(c, json_array_get(arg, 1)) : NULL;
        if (b != NULL) {
            char *sa = scalar_text(a), *sb = scalar_text(b);
            *out = sa && sb ? strcmp(sa, sb) == 0 : json_equal(a, b);
            free(sa);
            free(sb);
            rc = 0;
        }
        json_decref(a);
        json_decref(b);
    } else if (key != NULL && strcmp(key, "Fn::Not") == 0 && json_is_array(arg) && json_array_size(arg) == 1) {
        rc = eval_condition(c, json_array_get(arg, 0), out);
        *out = !*out;
    } else if (key != NULL && (strcmp(key, "Fn::And") == 0 || strcmp(key, "Fn::Or") == 0) && json_is_array(arg)) {
        int is_and = strcmp(key, "Fn::And") == 0;
        *out = is_and;
        rc = 0;
        size_t i;
        json_t *item;
        json_array_foreach(arg, i, item) {
            int one;
            if ((rc = eval_condition(c, item, &one)) != 0)
                break;
            *out = is_and ? (*out && one) : (*out || one);
        }
    } else {
        cfn_fail(c, v, "a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or {\"Condition\": name}");
    }
    c->depth--;
    return rc;
}

static json_t *eval(cfn_t *c, json_t *v)
{
    if (++c->depth > CFN_MAX_DEPTH) {
        c->depth--;
        cfn_fail(c, v, "values nested more than %d levels", CFN_MAX_DEPTH);
        return NULL;
    }
    json_t *out = NULL;
    const char *key = json_is_object(v) && json_object_size(v) == 1 ? json_object_iter_key(json_object_iter(v)) : NULL;
    json_t *arg = key ? json_object_get(v, key) : NULL;
    if (key != NULL && strcmp(key, "Ref") == 0) {
        json_t *name = eval(c, arg);
        if (name != NULL)
            out = eval_ref(c, v, name);
        json_decref(name);
    } else if (key != NULL && strcmp(key, "Fn::GetAtt") == 0) {
        out = eval_get_att(c, v, arg);
    } else if (key != NULL && strcmp(key, "Fn::Sub") == 0) {
        out = eval_sub(c, v, arg);
    } else if (key != NULL && strcmp(key, "Fn::Join") == 0) {
        out = eval_join(c, v, arg);
    } else if (key != NULL && strcmp(key, "Fn::Select") == 0) {
        out = eval_select(c, v, arg);
    } else if (key != NULL && strcmp(key, "Fn::Split") == 0) {
        out = eval_split(c, v, arg);
    } else if (key != NULL && strcmp(key, "Fn::FindInMap") == 0) {
        out = eval_find_in_map(c, v, arg);
    } else if (key != NULL && strcmp(key, "Fn::If") == 0) {
        out = eval_if(c, v, arg);
    } else if (key != NULL && strncmp(key, "Fn::", 4) == 0) {
        cfn_fail(c, v,
                 "%s is not supported by wsgate here (supported: Ref, Fn::GetAtt, Fn::Sub, Fn::Join, "
                 "Fn::Select, Fn::Split, Fn::FindInMap, Fn::If)",
                 key);
    } else if (json_is_object(v)) {
        out = json_object();
        wg_config_lines_copy(c->lines, v, out);
        const char *k;
        json_t *item;
        json_object_foreach(v, k, item) {
            json_t *e = eval(c, item);
            if (e == NULL) {
                json_decref(out);
                out = NULL;
                break;
            }
            if (e != c->no_value) {
                json_object_set(out, k, e);
                wg_config_lines_set_key(c->lines, out, k, key_line(c, v, k));
            }
            json_decref(e);
        }
    } else if (json_is_array(v)) {
        out = json_array();
        wg_config_lines_copy(c->lines, v, out);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            json_t *e = eval(c, item);
            if (e == NULL) {
                json_decref(out);
                out = NULL;
                break;
            }
            if (e != c->no_value)
                json_array_append(out, e);
            json_decref(e);
        }
    } else {
        out = json_incref(v);
    }
    if (out != NULL && out != v && !json_is_boolean(out) && !json_is_null(out) && out != c->no_value &&
        wg_config_lines_line(c->lines, out) == 0)
        wg_config_lines_copy(c->lines, v, out);
    c->depth--;
    return out;
}

/* Evaluates property `name` of `props`: NULL when absent (no error) or on error (c->has_error). */
static json_t *prop(cfn_t *c, json_t *props, const char *name)
{
    json_t *v = json_object_get(props, name);
    if (v == NULL)
        return NULL;
    json_t *e = eval(c, v);
    if (e == c->no_value) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/* The value of a string property, or NULL (absent, not a string -> error, or error). */
static char *prop_string(cfn_t *c, json_t *props, const char *name)
{
    json_t *v = prop(c, props, name);
    if (v == NULL)
        return NULL;
    char *s = json_is_array(v) || json_is_object(v) ? NULL : scalar_text(v);
    if (s == NULL)
        cfn_fail(c, json_object_get(props, name), "%s must be a string", name);
    json_decref(v);
    return s;
}

/* ---- the WebSocket API ---------------------------------------------------------------------- */

/* Whether a resource is included: its Condition (if any) holds. */
static int is_included(cfn_t *c, json_t *resource)
{
    json_t *cond = json_object_get(resource, "Condition");
    if (cond == NULL)
        return 1;
    json_t *ref = json_pack("{sO}", "Condition", cond);
    int truth = 0;
    if (eval_condition(c, ref, &truth) != 0)
        truth = 0;
    json_decref(ref);
    return truth;
}

/* Whether the resource's ApiId refers to the API `api_id`. */
static int belongs_to(cfn_t *c, json_t *props, const char *api_id)
{
    char *id = prop_string(c, props, "ApiId");
    int yes = id != NULL && strcmp(id, api_id) == 0;
    free(id);
    return yes;
}

/*
 * The function a Lambda URI names: "arn:...:apigateway:REGION:lambda:path/2015-03-31/functions/
 * <function ARN>/invocations", or a function ARN itself. A function of this template is named by
 * its logical ID (even when the ARN carries its FunctionName). NULL if the URI is not Lambda's.
 */
static char *function_from_uri(cfn_t *c, const char *uri)
{
    const char *arn = uri;
    const char *functions = strstr(uri, ":lambda:path/");
    if (functions != NULL) {
        functions = strstr(functions, "/functions/");
        if (functions == NULL)
            return NULL;
        arn = functions + strlen("/functions/");
    }
    const char *fn = strstr(arn, ":function:");
    if (strncmp(arn, "arn:", 4) != 0 || fn == NULL)
        return NULL;
    fn += strlen(":function:");
    size_t n = strcspn(fn, ":/"); /* stop at a :qualifier or at /invocations */
    char *name = strndup(fn, n);
    if (name == NULL)
        abort();
    if (*name == '\0') {
        free(name);
        return NULL;
    }
    /* Logical ID as it is, or a FunctionName written out: back to the logical ID. */
    const char *logical;
    json_t *resource;
    json_object_foreach(c->resources, logical, resource) {
        if (!is_function_type(resource_type(resource)))
            continue;
        if (strcmp(logical, name) == 0)
            return name;
        const char *fname = json_string_value(json_object_get(resource_properties(resource), "FunctionName"));
        if (fname != NULL && strcmp(fname, name) == 0) {
            free(name);
            if ((name = strdup(logical)) == NULL)
                abort();
            return name;
        }
    }
    return name;
}

/* The canonical route fields of an AWS::ApiGatewayV2::Integration, added to `route`. */
static int convert_integration(cfn_t *c, const char *logical, json_t *resource, json_t *route)
{
    json_t *props = resource_properties(resource);
    char *type = prop_string(c, props, "IntegrationType");
    char *uri = prop_string(c, props, "IntegrationUri");
    int rc = -1;
    if (c->has_error)
        goto out;
    if (type == NULL) {
        cfn_fail(c, resource, "integration %s has no IntegrationType", logical);
        goto out;
    }
    int uri_line = key_line(c, props, "IntegrationUri");
    if (strcmp(type, "AWS_PROXY") == 0 || strcmp(type, "AWS") == 0) {
        char *function = uri ? function_from_uri(c, uri) : NULL;
        if (function == NULL) {
            cfn_fail(c, uri ? json_object_get(props, "IntegrationUri") : resource,
                     "integration %s: only Lambda functions are supported as %s integrations (IntegrationUri %s)",
                     logical, type, uri ? uri : "missing");
            goto out;
        }
        put(c, route, "function", json_string(function), uri_line);
        free(function);
    } else if (strcmp(type, "HTTP_PROXY") == 0 || strcmp(type, "HTTP") == 0) {
        if (uri == NULL) {
            cfn_fail(c, resource, "integration %s (%s) has no IntegrationUri", logical, type);
            goto out;
        }
        put(c, route, "integration", json_string("http_proxy"), key_line(c, props, "IntegrationType"));
        put(c, route, "uri", json_string(uri), uri_line);
        char *method = prop_string(c, props, "IntegrationMethod");
        if (method != NULL && strcmp(method, "ANY") != 0)
            put(c, route, "method", json_string(method), key_line(c, props, "IntegrationMethod"));
        free(method);
        if (c->has_error)
            goto out;
    } else if (strcmp(type, "MOCK") == 0) {
        put(c, route, "integration", json_string("mock"), key_line(c, props, "IntegrationType"));
    } else {
        cfn_fail(c, json_object_get(props, "IntegrationType"), "integration %s: unknown IntegrationType '%s'", logical,
                 type);
        goto out;
    }
    json_t *params = prop(c, props, "RequestParameters");
    if (params != NULL && json_object_size(params) > 0)
        put(c, route, "requestParameters", json_incref(params), key_line(c, props, "RequestParameters"));
    json_decref(params);
    json_t *timeout = prop(c, props, "TimeoutInMillis");
    if (json_is_string(timeout)) { /* a Number parameter's Default may be a string */
        json_t *n = json_integer(strtoll(json_string_value(timeout), NULL, 10));
        json_decref(timeout);
        timeout = n;
    }
    if (timeout != NULL)
        put(c, route, "timeout", json_incref(timeout), key_line(c, props, "TimeoutInMillis"));
    json_decref(timeout);
    rc = c->has_error ? -1 : 0;
out:
    free(type);
    free(uri);
    return rc;
}

static int convert_authorizer(cfn_t *c, const char *logical, json_t *out)
{
    json_t *resource = json_object_get(c->resources, logical);
    if (resource == NULL ||
        strcmp(resource_type(resource) ? resource_type(resource) : "", "AWS::ApiGatewayV2::Authorizer") != 0)
        return cfn_fail(c, resource, "AuthorizerId '%s' is not an AWS::ApiGatewayV2::Authorizer of this template",
                        logical);
    json_t *props = resource_properties(resource);
    char *type = prop_string(c, props, "AuthorizerType");
    char *uri = prop_string(c, props, "AuthorizerUri");
    json_t *identity = prop(c, props, "IdentitySource");
    json_t *auth = NULL;
    int rc = -1;
    if (c->has_error)
        goto out;
    if (type != NULL && strcmp(type, "REQUEST") != 0) {
        cfn_fail(c, json_object_get(props, "AuthorizerType"),
                 "authorizer %s: WebSocket APIs only have REQUEST "
                 "authorizers, not %s",
                 logical, type);
        goto out;
    }
    char *function = uri ? function_from_uri(c, uri) : NULL;
    if (function == NULL) {
        cfn_fail(c, uri ? json_object_get(props, "AuthorizerUri") : resource,
                 "authorizer %s: AuthorizerUri must invoke a Lambda function", logical);
        goto out;
    }
    auth = json_object();
    wg_config_lines_set(c->lines, auth, key_line(c, c->resources, logical));
    put(c, auth, "function", json_string(function), key_line(c, props, "AuthorizerUri"));
    free(function);
    if (identity != NULL)
        put(c, auth, "identitySource", json_incref(identity), key_line(c, props, "IdentitySource"));
    put(c, out, "authorizer", auth, key_line(c, c->resources, logical));
    rc = 0;
out:
    free(type);
    free(uri);
    json_decref(identity);
    return rc;
}

/* One AWS::ApiGatewayV2::Route into routes[RouteKey]. */
static int convert_route(cfn_t *c, const char *logical, json_t *resource, json_t *out, json_t *routes,
                         json_t *route_ids)
{
    json_t *props = resource_properties(resource);
    char *key = prop_string(c, props, "RouteKey");
    char *target = prop_string(c, props, "Target");
    char *auth_type = prop_string(c, props, "AuthorizationType");
    char *authorizer = prop_string(c, props, "AuthorizerId");
    json_t *api_key = prop(c, props, "ApiKeyRequired");
    int rc = -1;
    if (c->has_error)
        goto out;
    if (key == NULL) {
        cfn_fail(c, resource, "route %s has no RouteKey", logical);
        goto out;
    }
    if (json_object_get(routes, key) != NULL) {
        cfn_fail(c, json_object_get(props, "RouteKey"), "route key '%s' is defined twice", key);
        goto out;
    }
    int line = key_line(c, c->resources, logical);
    json_t *route = json_object();
    put(c, routes, key, route, line);
    json_object_set_new(route_ids, logical, json_string(key));
    if (target != NULL) {
        if (strncmp(target, "integrations/", 13) != 0) {
            cfn_fail(c, json_object_get(props, "Target"), "route %s: Target must be integrations/<integration>",
                     logical);
            goto out;
        }
        const char *integ = target + 13;
        json_t *integration = json_object_get(c->resources, integ);
        const char *t = resource_type(integration);
        if (t == NULL || strcmp(t, "AWS::ApiGatewayV2::Integration") != 0) {
            cfn_fail(c, json_object_get(props, "Target"),
                     "route %s: Target names '%s', which is not an AWS::ApiGatewayV2::Integration of this template",
                     logical, integ);
            goto out;
        }
        if (convert_integration(c, integ, integration, route) != 0)
            goto out;
    }
    if (auth_type != NULL && strcmp(auth_type, "NONE") != 0)
        put(c, route, "authorizationType", json_string(auth_type), key_line(c, props, "AuthorizationType"));
    if (authorizer != NULL && convert_authorizer(c, authorizer, out) != 0)
        goto out;
    if (json_is_true(api_key) || (json_is_string(api_key) && strcmp(json_string_value(api_key), "true") == 0))
        put(c, route, "apiKeyRequired", json_true(), key_line(c, props, "ApiKeyRequired"));
    rc = 0;
out:
    free(key);
    free(target);
    free(auth_type);
    free(authorizer);
    json_decref(api_key);
    return rc;
}

static int convert_stage(cfn_t *c, json_t *resource, json_t *out)
{
    json_t *props = resource_properties(resource);
    char *name = prop_string(c, props, "StageName");
    json_t *vars = prop(c, props, "StageVariables");
    if (name != NULL)
        put(c, out, "stage", json_string(name), key_line(c, props, "StageName"));
    if (json_is_object(vars) && json_object_size(vars) > 0) {
        /* Stage variable values are strings on AWS; numbers written in YAML become text. */
        json_t *strings = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(vars, k, v) {
            char *s = scalar_text(v);
            put(c, strings, k, s ? json_string(s) : json_incref(v),
                key_line(c, json_object_get(props, "StageVariables"), k));
            free(s);
        }
        put(c, out, "stageVariables", strings, key_line(c, props, "StageVariables"));
    }
    free(name);
    json_decref(vars);
    return c->has_error ? -1 : 0;
}

/* ---- functions whose code is on disk (config.h wg_function_code_t, run by functions.c) -------- */

/* A function property: the function's own, else (SAM) Globals.Function's. Raw, not evaluated. */
static json_t *function_raw(cfn_t *c, json_t *props, int is_sam, const char *name)
{
    json_t *v = json_object_get(props, name);
    if (v == NULL && is_sam)
        v = json_object_get(json_object_get(json_object_get(c->tmpl, "Globals"), "Function"), name);
    return v;
}

/* Evaluates a raw value: NULL when absent or AWS::NoValue (no error), or on error. */
static json_t *eval_raw(cfn_t *c, json_t *raw)
{
    if (raw == NULL)
        return NULL;
    json_t *e = eval(c, raw);
    if (e == c->no_value) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/* Whether `code` (relative to the template's directory, or absolute) exists. */
static int is_on_disk(cfn_t *c, const char *code)
{
    char *full = NULL;
    const char *slash = strrchr(c->path, '/');
    if (code[0] == '/' || slash == NULL)
        full = strdup(code);
    else if (asprintf(&full, "%.*s/%s", (int)(slash - c->path), c->path, code) < 0)
        full = NULL;
    if (full == NULL)
        abort();
    struct stat st;
    int yes = stat(full, &st) == 0;
    free(full);
    return yes;
}

/* Where a function's code is, as the template says it (relative to the template), or NULL: CDK's
 * aws:asset:path metadata, SAM's CodeUri (default "." as SAM CLI's), a CloudFormation Code string
 * (the local-path form `aws cloudformation package` reads). S3 objects, inline code and images
 * are not on this machine. Sets *line to the line that says it. */
static char *function_code_path(cfn_t *c, json_t *resource, json_t *props, int is_sam, int *line)
{
    json_t *meta = json_object_get(resource, "Metadata");
    json_t *asset = json_object_get(meta, "aws:asset:path");
    const char *asset_property = json_string_value(json_object_get(meta, "aws:asset:property"));
    if (json_is_string(asset) &&
        (asset_property == NULL || strcmp(asset_property, "Code") == 0 || strcmp(asset_property, "CodeUri") == 0)) {
        *line = key_line(c, meta, "aws:asset:path");
        return scalar_text(asset);
    }
    json_t *package_type = eval_raw(c, function_raw(c, props, is_sam, "PackageType"));
    int is_image = json_is_string(package_type) && strcmp(json_string_value(package_type), "Image") == 0;
    json_decref(package_type);
    if (is_image || c->has_error)
        return NULL;
    const char *key = is_sam ? "CodeUri" : "Code";
    json_t *raw = function_raw(c, props, is_sam, key);
    if (is_sam && raw == NULL && function_raw(c, props, is_sam, "InlineCode") != NULL)
        return NULL;
    *line = key_line(c, props, key);
    if (raw == NULL) {
        if (!is_sam)
            return NULL;
        char *dot = strdup(".");
        if (dot == NULL)
            abort();
        return dot;
    }
    json_t *v = eval_raw(c, raw);
    char *path = json_is_string(v) && json_string_length(v) > 0 ? scalar_text(v) : NULL;
    json_decref(v);
    return path;
}

/* A number property (a Number parameter's value may be a string): 1 set, 0 absent, -1 error. */
static int function_number(cfn_t *c, json_t *props, int is_sam, const char *name, json_int_t *out)
{
    json_t *raw = function_raw(c, props, is_sam, name);
    json_t *v = eval_raw(c, raw);
    if (v == NULL)
        return c->has_error ? -1 : 0;
    char *end = NULL;
    if (json_is_integer(v))
        *out = json_integer_value(v);
    else if (json_is_string(v))
        *out = strtoll(json_string_value(v), &end, 10);
    int ok = json_is_integer(v) || (end != NULL && end != json_string_value(v) && *end == '\0');
    json_decref(v);
    if (!ok)
        return cfn_fail(c, raw, "%s must be a whole number", name);
    return 1;
}

/* Environment.Variables evaluated (SAM: Globals.Function's, then the function's own over them),
 * every value as text, into `env`. A value that cannot be evaluated here (Fn::ImportValue, a
 * parameter without a value, ...) does not stop wsgate: its message goes into `unresolved`
 * (name -> "file:line: problem") and config.c logs it, since --env-vars can still give the value. */
static int function_environment(cfn_t *c, json_t *props, int is_sam, json_t *env, json_t *unresolved)
{
    json_t *layers[2] = {NULL, json_object_get(json_object_get(props, "Environment"), "Variables")};
    if (is_sam)
        layers[0] = json_object_get(
            json_object_get(json_object_get(json_object_get(c->tmpl, "Globals"), "Function"), "Environment"),
            "Variables");
    for (size_t i = 0; i < 2; i++) {
        if (layers[i] == NULL)
            continue;
        /* Variables written as one intrinsic (!If [...], !FindInMap ...) are evaluated whole. */
        const char *first = json_object_size(layers[i]) == 1 ? json_object_iter_key(json_object_iter(layers[i])) : NULL;
        int is_whole = first != NULL && (strcmp(first, "Ref") == 0 || strncmp(first, "Fn::", 4) == 0);
        json_t *vars = is_whole ? eval_raw(c, layers[i]) : json_incref(layers[i]);
        if (c->has_error)
            return -1;
        if (vars != NULL && !json_is_object(vars)) {
            json_decref(vars);
            return cfn_fail(c, layers[i], "Environment.Variables must be a map of NAME: value");
        }
        const char *k;
        json_t *raw;
        json_object_foreach(vars, k, raw) {
            json_t *v = is_whole ? json_incref(raw) : eval(c, raw);
            if (v == c->no_value) { /* !Ref AWS::NoValue: not set */
                json_decref(v);
                json_object_del(env, k);
                continue;
            }
            char *text = v == NULL || json_is_array(v) || json_is_object(v) ? NULL : scalar_text(v);
            json_decref(v);
            if (text == NULL && !c->has_error)
                cfn_fail(c, raw, "Environment.Variables.%s must be a single value", k);
            if (text == NULL) {
                json_object_del(env, k);
                json_t *why = json_string(c->err);
                put(c, unresolved, k, why ? why : json_string("cannot be evaluated"), key_line(c, layers[i], k));
                c->has_error = 0;
                continue;
            }
            json_object_del(unresolved, k);
            put(c, env, k, json_string(text), key_line(c, layers[i], k));
            free(text);
        }
        json_decref(vars);
    }
    return 0;
}

/* out.functions[logical] = {runtime, handler, codeUri, ...} when the function's code is on disk. */
static int convert_function(cfn_t *c, const char *logical, json_t *resource, json_t *functions)
{
    json_t *props = resource_properties(resource);
    int is_sam = is_type(resource, "AWS::Serverless::Function");
    int code_line = key_line(c, c->resources, logical);
    char *code = function_code_path(c, resource, props, is_sam, &code_line);
    json_t *runtime = code ? eval_raw(c, function_raw(c, props, is_sam, "Runtime")) : NULL;
    json_t *handler = NULL, *entry = NULL, *env = NULL, *unresolved = NULL;
    int rc = c->has_error ? -1 : 0;
    /* Not on disk, or no runtime (an image): it stays a function to map with --function. */
    if (rc != 0 || code == NULL || !json_is_string(runtime) || !is_on_disk(c, code))
        goto out;
    handler = eval_raw(c, function_raw(c, props, is_sam, "Handler"));
    if (c->has_error || (handler != NULL && !json_is_string(handler))) {
        rc = cfn_fail(c, function_raw(c, props, is_sam, "Handler"), "function %s: Handler must be a string", logical);
        goto out;
    }
    entry = json_object();
    int line = key_line(c, c->resources, logical);
    wg_config_lines_set(c->lines, entry, line);
    put(c, entry, "runtime", json_incref(runtime), key_line(c, props, "Runtime"));
    if (handler != NULL)
        put(c, entry, "handler", json_incref(handler), key_line(c, props, "Handler"));
    put(c, entry, "codeUri", json_string(code), code_line);
    /* its FunctionName: SAM CLI's --env-vars also finds a function by that name */
    json_t *fname = eval_raw(c, json_object_get(props, "FunctionName"));
    if (json_is_string(fname) && json_string_length(fname) > 0)
        put(c, entry, "functionName", json_incref(fname), key_line(c, props, "FunctionName"));
    json_decref(fname);
    if (c->has_error) {
        rc = -1;
        goto out;
    }
    static const struct {
        const char *property, *key;
    } numbers[] = {
        {"Timeout", "timeout"}, {"MemorySize", "memorySize"}, {"ReservedConcurrentExecutions", "reservedConcurrency"}};
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        json_int_t n = 0;
        int got = function_number(c, props, is_sam, numbers[i].property, &n);
        if (got < 0) {
            rc = -1;
            goto out;
        }
        if (got > 0)
            put(c, entry, numbers[i].key, json_integer(n), key_line(c, props, numbers[i].property));
    }
    env = json_object();
    unresolved = json_object();
    if (function_environment(c, props, is_sam, env, unresolved) != 0) {
        rc = -1;
        goto out;
    }
    if (json_object_size(env) > 0)
        put(c, entry, "environment", json_incref(env), key_line(c, props, "Environment"));
    if (json_object_size(unresolved) > 0)
        put(c, entry, "unresolvedEnvironment", json_incref(unresolved), key_line(c, props, "Environment"));
    put(c, functions, logical, json_incref(entry), line);
out:
    free(code);
    json_decref(runtime);
    json_decref(handler);
    json_decref(entry);
    json_decref(env);
    json_decref(unresolved);
    return rc;
}

/* The functions the routes and the authorizer name, when they are this template's and their code is
 * on disk, as "functions" entries wsgate runs itself. */
static int convert_functions(cfn_t *c, json_t *out, json_t *routes)
{
    json_t *functions = json_object();
    json_t *names = json_array();
    const char *key;
    json_t *route;
    json_object_foreach(routes, key, route) {
        json_t *f = json_object_get(route, "function");
        if (json_is_string(f))
            json_array_append(names, f);
    }
    json_t *af = json_object_get(json_object_get(out, "authorizer"), "function");
    if (json_is_string(af))
        json_array_append(names, af);
    size_t i;
    json_t *name;
    int rc = 0;
    json_array_foreach(names, i, name) {
        const char *logical = json_string_value(name);
        json_t *resource = json_object_get(c->resources, logical);
        if (json_object_get(functions, logical) != NULL || !is_function_type(resource_type(resource)) ||
            !is_included(c, resource))
            continue;
        if ((rc = convert_function(c, logical, resource, functions)) != 0)
            break;
    }
    if (rc == 0 && json_object_size(functions) > 0)
        put(c, out, "functions", json_incref(functions), key_line(c, c->tmpl, "Resources"));
    json_decref(names);
    json_decref(functions);
    return rc;
}

json_t *wg_config_cloudformation_eval(const char *path, json_t *tmpl, wg_config_lines_t *lines, json_t *value,
                                      char *err, size_t err_size)
{
    cfn_t c = {.path = path, .lines = lines, .tmpl = tmpl, .err = err, .err_size = err_size};
    c.resources = json_object_get(tmpl, "Resources");
    c.no_value = json_object();
    json_t *out = eval(&c, value);
    if (out == c.no_value) {
        json_decref(out);
        out = json_null();
    }
    json_decref(c.no_value);
    return out;
}

int wg_config_is_cloudformation(const json_t *root)
{
    if (!json_is_object(root))
        return 0;
    if (json_object_get(root, "AWSTemplateFormatVersion") != NULL || json_is_object(json_object_get(root, "Resources")))
        return 1;
    json_t *transform = json_object_get(root, "Transform");
    if (json_is_string(transform))
        return strncmp(json_string_value(transform), "AWS::Serverless", 15) == 0;
    size_t i;
    json_t *t;
    json_array_foreach(transform, i, t) {
        if (json_is_string(t) && strncmp(json_string_value(t), "AWS::Serverless", 15) == 0)
            return 1;
    }
    return 0;
}

json_t *wg_config_from_cloudformation(const char *path, json_t *source, wg_config_lines_t *lines,
                                      const json_t *parameters, char *err, size_t err_size)
{
    cfn_t c = {
        .path = path, .parameters = parameters, .lines = lines, .tmpl = source, .err = err, .err_size = err_size};
    c.resources = json_object_get(source, "Resources");
    c.no_value = json_object();
    json_t *out = json_object(), *routes = json_object(), *route_ids = json_object(), *api_keys = json_array();
    wg_config_lines_set(lines, out, 1);
    const char *logical, *api = NULL;
    json_t *resource, *api_resource = NULL;
    if (!json_is_object(c.resources)) {
        cfn_fail(&c, source, "a template needs a Resources section");
        goto fail;
    }

    /* The WebSocket API: exactly one. */
    json_object_foreach(c.resources, logical, resource) {
        const char *type = resource_type(resource);
        if (type == NULL || strcmp(type, "AWS::ApiGatewayV2::Api") != 0 || !is_included(&c, resource))
            continue;
        char *protocol = prop_string(&c, resource_properties(resource), "ProtocolType");
        int is_ws = protocol != NULL && strcmp(protocol, "WEBSOCKET") == 0;
        free(protocol);
        if (!is_ws)
            continue;
        if (api != NULL) {
            cfn_fail(&c, resource,
                     "two WebSocket APIs (%s and %s): wsgate serves one per process; split the "
                     "template or run two wsgates",
                     api, logical);
            goto fail;
        }
        api = logical;
        api_resource = resource;
    }
    if (c.has_error)
        goto fail;
    if (api == NULL) {
        cfn_fail(&c, c.resources, "no AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET in this template");
        goto fail;
    }
    json_t *api_props = resource_properties(api_resource);
    char *rse = prop_string(&c, api_props, "RouteSelectionExpression");
    if (rse != NULL)
        put(&c, out, "routeSelectionExpression", json_string(rse), key_line(&c, api_props, "RouteSelectionExpression"));
    free(rse);

    /* Routes (with their integrations and the authorizer), then route responses, stage, keys. */
    int stage_seen = 0;
    json_object_foreach(c.resources, logical, resource) {
        const char *type = resource_type(resource);
        json_t *props = resource_properties(resource);
        if (type == NULL || strncmp(type, "AWS::ApiGateway", 15) != 0 || !is_included(&c, resource))
            continue;
        if (strcmp(type, "AWS::ApiGatewayV2::Route") == 0 && belongs_to(&c, props, api)) {
            if (convert_route(&c, logical, resource, out, routes, route_ids) != 0)
                goto fail;
        } else if (strcmp(type, "AWS::ApiGatewayV2::Stage") == 0 && belongs_to(&c, props, api) && !stage_seen) {
            stage_seen = 1; /* several stages: the first one (wsgate serves one stage) */
            if (convert_stage(&c, resource, out) != 0)
                goto fail;
        } else if (strcmp(type, "AWS::ApiGateway::ApiKey") == 0) {
            json_t *enabled = prop(&c, props, "Enabled");
            char *value = prop_string(&c, props, "Value");
            if (value != NULL && !json_is_false(enabled)) {
                json_t *s = json_string(value);
                wg_config_lines_set(lines, s, key_line(&c, props, "Value"));
                json_array_append_new(api_keys, s);
            }
            free(value);
            json_decref(enabled);
        }
        if (c.has_error)
            goto fail;
    }
    json_object_foreach(c.resources, logical, resource) {
        const char *type = resource_type(resource);
        json_t *props = resource_properties(resource);
        if (type == NULL || strcmp(type, "AWS::ApiGatewayV2::RouteResponse") != 0 || !is_included(&c, resource) ||
            !belongs_to(&c, props, api))
            continue;
        char *route_id = prop_string(&c, props, "RouteId");
        char *response_key = prop_string(&c, props, "RouteResponseKey");
        const char *route_key = route_id ? json_string_value(json_object_get(route_ids, route_id)) : NULL;
        json_t *route = route_key ? json_object_get(routes, route_key) : NULL;
        if (route != NULL && response_key != NULL && strcmp(response_key, "$default") == 0)
            put(&c, route, "twoWay", json_true(), key_line(&c, c.resources, logical));
        free(route_id);
        free(response_key);
        if (c.has_error)
            goto fail;
    }
    put(&c, out, "routes", json_incref(routes), key_line(&c, c.resources, api));
    if (convert_functions(&c, out, routes) != 0)
        goto fail;
    if (json_array_size(api_keys) > 0)
        put(&c, out, "apiKeys", json_incref(api_keys), wg_config_lines_line(lines, json_array_get(api_keys, 0)));
    json_decref(routes);
    json_decref(route_ids);
    json_decref(api_keys);
    json_decref(c.no_value);
    return out;
fail:
    json_decref(out);
    json_decref(routes);
    json_decref(route_ids);
    json_decref(api_keys);
    json_decref(c.no_value);
    return NULL;
}

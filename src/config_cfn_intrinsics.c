/*
 * config_cfn_intrinsics.c: CloudFormation's intrinsic functions and Conditions, evaluated where a
 * template's WebSocket API (config_cloudformation.c) and its functions (config_cfn_functions.c)
 * use them, and for a serverless.yml's `resources` (wg_config_cloudformation_eval).
 *
 * Ref (parameters with their Default or --parameter-overrides, resources, pseudo parameters),
 * Fn::GetAtt, Fn::Sub (both forms), Fn::Join, Fn::Select, Fn::Split, Fn::If / Fn::Equals / Fn::Not /
 * Fn::And / Fn::Or with Conditions, Fn::FindInMap. The account is 123456789012, the region us-east-1
 * and the stack name "wsgate" (the values wsgate itself uses), so ARNs still parse: Fn::GetAtt Fn.Arn
 * is arn:aws:lambda:us-east-1:123456789012:function:<logical ID>, and a table's, queue's or topic's
 * Ref and Fn::GetAtt give its name, URL or ARN (a function's environment uses them).
 */
#include "config_cloudformation_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config_convert.h"
#include "limits.h"
#include "str.h"

#define CFN_REGION "us-east-1"
#define CFN_ACCOUNT "123456789012"
#define CFN_STACK "wsgate"

static int eval_condition(wg_cfn_t *c, json_t *v, int *out);
static json_t *ref_of_service_resource(wg_cfn_t *c, json_t *at, const char *logical, json_t *resource);

/* A scalar as text (numbers and booleans as CloudFormation writes them), or NULL. */
char *wg_cfn_scalar_text(json_t *v)
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
    return wg_str_dup(s);
}

static json_t *pseudo_parameter(wg_cfn_t *c, const char *name)
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

static json_t *eval_ref(wg_cfn_t *c, json_t *at, json_t *arg)
{
    const char *name = json_string_value(arg);
    if (name == NULL) {
        wg_config_convert_fail(&c->cv, at, "Ref needs the name of a parameter or resource");
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
            wg_config_convert_fail(&c->cv, at,
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
        json_t *fname = json_object_get(wg_cfn_resource_properties(resource), "FunctionName");
        if (wg_cfn_is_function_type(wg_cfn_resource_type(resource)) && json_is_string(fname))
            return json_incref(fname);
        return ref_of_service_resource(c, at, name, resource);
    }
    wg_config_convert_fail(&c->cv, at, "Ref to '%s', which is neither a parameter nor a resource of this template",
                           name);
    return NULL;
}

/*
 * The physical name of a table, bucket, queue or topic: its name property when set, else the
 * logical ID ([I] inferred: CloudFormation would generate "stack-LogicalId-RANDOM"; the logical
 * ID is what a local DynamoDB/moto table is most likely called). New string, or NULL on error.
 */
static char *physical_name(wg_cfn_t *c, const char *logical, json_t *resource)
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
    const char *type = wg_cfn_resource_type(resource);
    for (size_t i = 0; type != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(type, names[i].type) != 0)
            continue;
        json_t *raw = json_object_get(wg_cfn_resource_properties(resource), names[i].property);
        if (raw == NULL)
            break;
        json_t *v = wg_cfn_eval(c, raw);
        char *text = v && v != c->no_value ? wg_cfn_scalar_text(v) : NULL;
        json_decref(v);
        if (text == NULL && !c->cv.has_error)
            break; /* AWS::NoValue: the generated name */
        return text;
    }
    char *d = strdup(logical);
    if (d == NULL)
        abort();
    return d;
}

static json_t *ref_of_service_resource(wg_cfn_t *c, json_t *at, const char *logical, json_t *resource)
{
    int is_queue = wg_cfn_is_type(resource, "AWS::SQS::Queue"), is_topic = wg_cfn_is_type(resource, "AWS::SNS::Topic");
    int is_named = is_queue || is_topic || wg_cfn_is_type(resource, "AWS::DynamoDB::Table") ||
                   wg_cfn_is_type(resource, "AWS::Serverless::SimpleTable") ||
                   wg_cfn_is_type(resource, "AWS::S3::Bucket") || wg_cfn_is_type(resource, "AWS::Kinesis::Stream") ||
                   wg_cfn_is_type(resource, "AWS::Events::EventBus");
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
static int service_attribute(wg_cfn_t *c, const char *logical, json_t *resource, const char *attribute, char *buf,
                             size_t size)
{
    const char *type = wg_cfn_resource_type(resource);
    if (type == NULL || strncmp(type, "AWS::", 5) != 0 || strncmp(type, "AWS::ApiGateway", 15) == 0)
        return -1;
    char *name = physical_name(c, logical, resource);
    if (name == NULL)
        return -1;
    int rc = 0;
    int is_table =
        wg_cfn_is_type(resource, "AWS::DynamoDB::Table") || wg_cfn_is_type(resource, "AWS::Serverless::SimpleTable");
    if (is_table && strcmp(attribute, "Arn") == 0)
        snprintf(buf, size, "arn:aws:dynamodb:" CFN_REGION ":" CFN_ACCOUNT ":table/%s", name);
    else if (is_table && strcmp(attribute, "StreamArn") == 0)
        snprintf(buf, size, "arn:aws:dynamodb:" CFN_REGION ":" CFN_ACCOUNT ":table/%s/stream/1970-01-01T00:00:00.000",
                 name);
    else if (wg_cfn_is_type(resource, "AWS::SQS::Queue") && strcmp(attribute, "Arn") == 0)
        snprintf(buf, size, "arn:aws:sqs:" CFN_REGION ":" CFN_ACCOUNT ":%s", name);
    else if (wg_cfn_is_type(resource, "AWS::SQS::Queue") && strcmp(attribute, "QueueUrl") == 0)
        snprintf(buf, size, "https://sqs." CFN_REGION ".amazonaws.com/" CFN_ACCOUNT "/%s", name);
    else if (wg_cfn_is_type(resource, "AWS::SQS::Queue") && strcmp(attribute, "QueueName") == 0)
        snprintf(buf, size, "%s", name);
    else if (wg_cfn_is_type(resource, "AWS::SNS::Topic") && strcmp(attribute, "TopicArn") == 0)
        snprintf(buf, size, "arn:aws:sns:" CFN_REGION ":" CFN_ACCOUNT ":%s", name);
    else if (wg_cfn_is_type(resource, "AWS::SNS::Topic") && strcmp(attribute, "TopicName") == 0)
        snprintf(buf, size, "%s", name);
    else if (wg_cfn_is_type(resource, "AWS::S3::Bucket") && strcmp(attribute, "Arn") == 0)
        snprintf(buf, size, "arn:aws:s3:::%s", name);
    else if (wg_cfn_is_type(resource, "AWS::S3::Bucket") && strcmp(attribute, "DomainName") == 0)
        snprintf(buf, size, "%s.s3.amazonaws.com", name);
    else if (wg_cfn_is_type(resource, "AWS::S3::Bucket") && strcmp(attribute, "RegionalDomainName") == 0)
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

static json_t *get_att(wg_cfn_t *c, json_t *at, const char *name, const char *attribute)
{
    json_t *resource = json_object_get(c->resources, name);
    if (resource == NULL) {
        wg_config_convert_fail(&c->cv, at, "Fn::GetAtt of '%s', which is not a resource of this template", name);
        return NULL;
    }
    const char *type = wg_cfn_resource_type(resource);
    char buf[512];
    if (wg_cfn_is_function_type(type) && strcmp(attribute, "Arn") == 0)
        snprintf(buf, sizeof(buf), "arn:aws:lambda:" CFN_REGION ":" CFN_ACCOUNT ":function:%s", name);
    else if (type != NULL && strcmp(type, "AWS::ApiGatewayV2::Api") == 0 && strcmp(attribute, "ApiEndpoint") == 0)
        snprintf(buf, sizeof(buf), "wss://%s.execute-api." CFN_REGION ".amazonaws.com", name);
    else if (type != NULL && strcmp(type, "AWS::ApiGatewayV2::Api") == 0 && strcmp(attribute, "ApiId") == 0)
        snprintf(buf, sizeof(buf), "%s", name);
    else if (!wg_cfn_is_function_type(type) && service_attribute(c, name, resource, attribute, buf, sizeof(buf)) == 0)
        ;
    else if (c->cv.has_error)
        return NULL;
    else
        snprintf(buf, sizeof(buf), "%s.%s", name, attribute); /* unused by wsgate: a recognisable stand-in */
    return json_string(buf);
}

static json_t *eval_get_att(wg_cfn_t *c, json_t *at, json_t *arg)
{
    json_t *args = wg_cfn_eval(c, arg);
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
    wg_config_convert_fail(&c->cv, at, "Fn::GetAtt needs [Resource, Attribute] or \"Resource.Attribute\"");
    return NULL;
}

/* Fn::Sub: "${Name}", "${Res.Attr}", "${!Literal}", with optional variables. */
static json_t *eval_sub(wg_cfn_t *c, json_t *at, json_t *arg)
{
    json_t *text = arg, *vars = NULL;
    if (json_is_array(arg)) {
        if (json_array_size(arg) != 2 || !json_is_object(json_array_get(arg, 1))) {
            wg_config_convert_fail(&c->cv, at, "Fn::Sub needs \"text\" or [\"text\", {variables}]");
            return NULL;
        }
        text = json_array_get(arg, 0);
        vars = json_array_get(arg, 1);
    }
    if (!json_is_string(text)) {
        wg_config_convert_fail(&c->cv, at, "Fn::Sub needs a string");
        return NULL;
    }
    const char *s = json_string_value(text);
    wg_buf_t out = WG_BUF_INIT;
#define APPEND(p, n) wg_buf_append(&out, (p), (n))
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
            value = wg_cfn_eval(c, var);
        } else if (strchr(name, '.') != NULL && strncmp(name, "AWS::", 5) != 0) {
            char *dot = strchr(name, '.');
            *dot = '\0';
            value = get_att(c, at, name, dot + 1);
        } else {
            json_t *ref = json_string(name);
            value = eval_ref(c, at, ref);
            json_decref(ref);
        }
        char *piece = value ? wg_cfn_scalar_text(value) : NULL;
        if (value != NULL && piece == NULL)
            wg_config_convert_fail(&c->cv, at, "Fn::Sub: ${%s} is not a single value", name);
        json_decref(value);
        free(name);
        if (piece == NULL) {
            wg_buf_free(&out);
            return NULL;
        }
        APPEND(piece, strlen(piece));
        free(piece);
        s = close + 1;
    }
#undef APPEND
    wg_buf_reserve(&out, 0); /* "" for an empty template */
    json_t *result = json_string(out.data);
    wg_buf_free(&out);
    return result;
}

static json_t *eval_join(wg_cfn_t *c, json_t *at, json_t *arg)
{
    json_t *args = wg_cfn_eval(c, arg);
    if (args == NULL)
        return NULL;
    json_t *delim = json_array_get(args, 0), *list = json_array_get(args, 1);
    if (!json_is_array(args) || json_array_size(args) != 2 || !json_is_string(delim) || !json_is_array(list)) {
        json_decref(args);
        wg_config_convert_fail(&c->cv, at, "Fn::Join needs [\"delimiter\", [values]]");
        return NULL;
    }
    wg_buf_t out = WG_BUF_INIT;
    wg_buf_reserve(&out, 0); /* "" for an empty list */
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        char *piece = wg_cfn_scalar_text(item);
        if (piece == NULL) {
            wg_buf_free(&out);
            json_decref(args);
            wg_config_convert_fail(&c->cv, at, "Fn::Join: item %zu is not a single value", i);
            return NULL;
        }
        if (i > 0)
            wg_buf_append_str(&out, json_string_value(delim));
        wg_buf_append_str(&out, piece);
        free(piece);
    }
    json_decref(args);
    json_t *result = json_string(out.data);
    wg_buf_free(&out);
    return result;
}

static json_t *eval_select(wg_cfn_t *c, json_t *at, json_t *arg)
{
    json_t *args = wg_cfn_eval(c, arg);
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
        wg_config_convert_fail(&c->cv, at, "Fn::Select needs [index, [values]] with the index in range");
    json_decref(args);
    return out;
}

static json_t *eval_split(wg_cfn_t *c, json_t *at, json_t *arg)
{
    json_t *args = wg_cfn_eval(c, arg);
    if (args == NULL)
        return NULL;
    json_t *delim = json_array_get(args, 0), *text = json_array_get(args, 1);
    if (!json_is_string(delim) || json_string_length(delim) == 0 || !json_is_string(text)) {
        json_decref(args);
        wg_config_convert_fail(&c->cv, at, "Fn::Split needs [\"delimiter\", \"text\"]");
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

static json_t *eval_find_in_map(wg_cfn_t *c, json_t *at, json_t *arg)
{
    json_t *args = wg_cfn_eval(c, arg);
    if (args == NULL)
        return NULL;
    json_t *map = json_object_get(json_object_get(c->tmpl, "Mappings"), json_string_value(json_array_get(args, 0)));
    json_t *top = json_object_get(map, json_string_value(json_array_get(args, 1)));
    json_t *v = json_object_get(top, json_string_value(json_array_get(args, 2)));
    json_decref(args);
    if (v == NULL) {
        wg_config_convert_fail(&c->cv, at, "Fn::FindInMap: no such entry in Mappings");
        return NULL;
    }
    return wg_cfn_eval(c, v);
}

static json_t *eval_if(wg_cfn_t *c, json_t *at, json_t *arg)
{
    if (!json_is_array(arg) || json_array_size(arg) != 3 || !json_is_string(json_array_get(arg, 0))) {
        wg_config_convert_fail(&c->cv, at, "Fn::If needs [\"Condition\", value if true, value if false]");
        return NULL;
    }
    json_t *cond = json_pack("{sO}", "Condition", json_array_get(arg, 0));
    int truth;
    int rc = eval_condition(c, cond, &truth);
    json_decref(cond);
    if (rc != 0)
        return NULL;
    return wg_cfn_eval(c, json_array_get(arg, truth ? 1 : 2));
}

/* A condition: {"Condition": name}, Fn::Equals / Not / And / Or, or a boolean. */
static int eval_condition(wg_cfn_t *c, json_t *v, int *out)
{
    if (++c->depth > WG_LIMIT_CFN_DEPTH) {
        c->depth--;
        return wg_config_convert_fail(&c->cv, v,
                                      "conditions nested more than %d levels (a Condition that refers to itself?)",
                                      WG_LIMIT_CFN_DEPTH);
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
            wg_config_convert_fail(&c->cv, v, "unknown condition '%s'", json_string_value(arg));
        else
            rc = eval_condition(c, def, out);
    } else if (key != NULL && strcmp(key, "Fn::Equals") == 0 && json_is_array(arg) && json_array_size(arg) == 2) {
        json_t *a = wg_cfn_eval(c, json_array_get(arg, 0)), *b = a ? wg_cfn_eval(c, json_array_get(arg, 1)) : NULL;
        if (b != NULL) {
            char *sa = wg_cfn_scalar_text(a), *sb = wg_cfn_scalar_text(b);
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
        wg_config_convert_fail(&c->cv, v,
                               "a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or {\"Condition\": name}");
    }
    c->depth--;
    return rc;
}

json_t *wg_cfn_eval(wg_cfn_t *c, json_t *v)
{
    if (++c->depth > WG_LIMIT_CFN_DEPTH) {
        c->depth--;
        wg_config_convert_fail(&c->cv, v, "values nested more than %d levels", WG_LIMIT_CFN_DEPTH);
        return NULL;
    }
    json_t *out = NULL;
    const char *key = json_is_object(v) && json_object_size(v) == 1 ? json_object_iter_key(json_object_iter(v)) : NULL;
    json_t *arg = key ? json_object_get(v, key) : NULL;
    if (key != NULL && strcmp(key, "Ref") == 0) {
        json_t *name = wg_cfn_eval(c, arg);
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
        wg_config_convert_fail(&c->cv, v,
                               "%s is not supported by wsgate here (supported: Ref, Fn::GetAtt, Fn::Sub, Fn::Join, "
                               "Fn::Select, Fn::Split, Fn::FindInMap, Fn::If)",
                               key);
    } else if (json_is_object(v)) {
        out = json_object();
        wg_config_lines_copy(c->cv.lines, v, out);
        const char *k;
        json_t *item;
        json_object_foreach(v, k, item) {
            json_t *e = wg_cfn_eval(c, item);
            if (e == NULL) {
                json_decref(out);
                out = NULL;
                break;
            }
            if (e != c->no_value) {
                json_object_set(out, k, e);
                wg_config_lines_set_key(c->cv.lines, out, k, wg_config_convert_key_line(&c->cv, v, k));
            }
            json_decref(e);
        }
    } else if (json_is_array(v)) {
        out = json_array();
        wg_config_lines_copy(c->cv.lines, v, out);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            json_t *e = wg_cfn_eval(c, item);
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
        wg_config_lines_line(c->cv.lines, out) == 0)
        wg_config_lines_copy(c->cv.lines, v, out);
    c->depth--;
    return out;
}

/* Evaluates property `name` of `props`: NULL when absent (no error) or on error (c->cv.has_error). */
json_t *wg_cfn_prop(wg_cfn_t *c, json_t *props, const char *name)
{
    json_t *v = json_object_get(props, name);
    if (v == NULL)
        return NULL;
    json_t *e = wg_cfn_eval(c, v);
    if (e == c->no_value) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/* The value of a string property, or NULL (absent, not a string -> error, or error). */
char *wg_cfn_prop_string(wg_cfn_t *c, json_t *props, const char *name)
{
    json_t *v = wg_cfn_prop(c, props, name);
    if (v == NULL)
        return NULL;
    char *s = json_is_array(v) || json_is_object(v) ? NULL : wg_cfn_scalar_text(v);
    if (s == NULL)
        wg_config_convert_fail(&c->cv, json_object_get(props, name), "%s must be a string", name);
    json_decref(v);
    return s;
}

/* ---- Conditions on resources ---- */

/* Whether a resource is included: its Condition (if any) holds. */
bool wg_cfn_is_included(wg_cfn_t *c, json_t *resource)
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

json_t *wg_config_cloudformation_eval(const char *path, json_t *tmpl, wg_config_lines_t *lines, json_t *value,
                                      char *err, size_t err_size)
{
    wg_cfn_t c = {.tmpl = tmpl, .cv = {path, lines, err, err_size, false}};
    c.resources = json_object_get(tmpl, "Resources");
    c.no_value = json_object();
    json_t *out = wg_cfn_eval(&c, value);
    if (out == c.no_value) {
        json_decref(out);
        out = json_null();
    }
    json_decref(c.no_value);
    return out;
}

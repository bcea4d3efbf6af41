/*
 * routes.c: route selection expressions (AWS-RT in docs/aws-behaviour.md).
 *
 * AWS facts reproduced here, AWS-RT-1..5 (developer guide, "WebSocket selection expressions" and "Route
 * selection expressions"):
 *   - a variable starts with '$'; braces delimit it explicitly: "${request.body.version}-beta";
 *   - several variables mixed with literals are allowed, evaluated once (no recursive evaluation):
 *     "${request.body.service}/${request.body.action}" -> "chat/join";
 *   - '\$' is a literal dollar sign;
 *   - for WebSocket APIs the variables are $request.body.<JSON path>; the value is stringified, an
 *     array of two elements becoming "[item1, item2]";
 *   - a body that is not JSON, or an expression that cannot be evaluated, selects $default.
 *
 * Choices where AWS's behaviour is not documented or verified (AWS-unknown, listed in the README):
 *   - JSON path steps: `.name`, `[N]` (array index) and `['name']` / `["name"]` (names with dots).
 *     Without braces a name is [A-Za-z0-9_-] and bytes >= 0x80; any other character ends the
 *     variable and starts literal text (so "$request.body.a/x" is the variable a, then "/x").
 *   - Rejected at parse time (as a deploy-time BadRequest would be): an empty expression, one with
 *     no $request.body variable (a pure literal such as "action" is almost certainly a mistake),
 *     variables other than request.body (headers, query, context), "$request.body" without a path,
 *     empty names ("a..b", trailing '.'), unterminated "${", "[" or quotes, a stray '$', and
 *     expressions longer than WG_LIMIT_ROUTE_EXPRESSION_CHARS or with too many steps/variables.
 *   - null, like a missing field, makes the whole expression unevaluable (-> NULL, $default). In a
 *     template, one missing variable makes the whole result NULL rather than an empty piece.
 *   - Numbers: integers as written in decimal ("5", "-0" is "0"); reals in the shortest "%.*g" form
 *     that reads back to the same double, with ".0" added when it looks like an integer
 *     ("1.5", "1000.0" for 1e3, "1e+300"), i.e. jansson's format without its 17-digit noise.
 *     An integer jansson cannot hold (beyond 64 bits) makes the body unparsable -> $default.
 *   - Arrays: "[a, b]" with items stringified recursively and null items as "null" (Java's
 *     List.toString, which the AWS docs' "[item1, item2]" resembles); objects: "{k=v, k2=v2}" in
 *     document order (Java's Map.toString); nesting deeper than WG_LIMIT_ROUTE_DEPTH or a result
 *     longer than WG_LIMIT_ROUTE_KEY_BYTES -> NULL.
 *   - The empty string is a valid result ("" never names a route, so it ends at $default).
 *   - Duplicate keys in the body: the last one wins (jansson's behaviour, and Jackson's).
 */
#include "routes.h"

#include <stdbool.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

typedef enum step_kind { STEP_KEY, STEP_INDEX } step_kind_t;

typedef struct step {
    step_kind_t kind;
    char *key; /* STEP_KEY: NUL-terminated name (owned) */
    size_t index; /* STEP_INDEX */
} step_t;

typedef struct part {
    int is_variable;
    char *literal; /* !is_variable: owned, NUL-terminated */
    step_t *steps; /* is_variable: path under request.body */
    size_t num_steps;
} part_t;

struct wg_route_selector {
    part_t *parts;
    size_t num_parts;
};

/* The route key being built, with its hard cap (WG_LIMIT_ROUTE_KEY_BYTES): past it, `overflow`. */
typedef struct keybuf {
    wg_buf_t text;
    int overflow;
} keybuf_t;

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t err_size, const char *fmt, ...)
{
    if (err == NULL || err_size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (p == NULL)
        abort();
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *out = xrealloc(NULL, n + 1);
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

static void parts_free(part_t *parts, size_t num_parts)
{
    for (size_t i = 0; i < num_parts; i++) {
        free(parts[i].literal);
        for (size_t j = 0; j < parts[i].num_steps; j++)
            free(parts[i].steps[j].key);
        free(parts[i].steps);
    }
    free(parts);
}

void wg_route_selector_free(wg_route_selector_t *selector)
{
    if (selector == NULL)
        return;
    parts_free(selector->parts, selector->num_parts);
    free(selector);
}

/* ---- parsing ---------------------------------------------------------------------------------- */

typedef struct parser {
    const char *s;
    size_t len;
    size_t pos;
    part_t *parts;
    size_t num_parts;
    size_t num_variables;
    wg_buf_t literal; /* literal text being collected (bounded by the expression) */
    char *err;
    size_t err_size;
} parser_t;

static bool is_plain_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c >= 0x80;
}

/* Inside braces a name runs to the next '.', '[' or '}' (AWS-unknown: which characters AWS allows
 * in names; we forbid the path syntax characters, '$', '{', whitespace and controls). */
static bool is_braced_name_char(unsigned char c)
{
    return c > 0x20 && c != 0x7f && c != '.' && c != '[' && c != ']' && c != '{' && c != '}' && c != '$' && c != '\\';
}

static int literal_append(parser_t *p, const char *s, size_t n)
{
    wg_buf_append(&p->literal, s, n);
    return 0;
}

static part_t *add_part(parser_t *p)
{
    p->parts = xrealloc(p->parts, (p->num_parts + 1) * sizeof(*p->parts));
    part_t *part = &p->parts[p->num_parts++];
    memset(part, 0, sizeof(*part));
    return part;
}

static void flush_literal(parser_t *p)
{
    if (p->literal.len == 0)
        return;
    part_t *part = add_part(p);
    part->literal = xstrndup(p->literal.data, p->literal.len);
    wg_buf_reset(&p->literal);
}

static int add_step(parser_t *p, part_t *part, step_kind_t kind, const char *key, size_t key_len, size_t index)
{
    if (part->num_steps >= WG_LIMIT_ROUTE_STEPS) {
        set_err(p->err, p->err_size, "invalid route selection expression: more than %d path steps in one variable",
                WG_LIMIT_ROUTE_STEPS);
        return -1;
    }
    part->steps = xrealloc(part->steps, (part->num_steps + 1) * sizeof(*part->steps));
    step_t *st = &part->steps[part->num_steps++];
    st->kind = kind;
    st->key = kind == STEP_KEY ? xstrndup(key, key_len) : NULL;
    st->index = index;
    return 0;
}

/* Parses "[N]", "['name']" or "[\"name\"]" at p->pos (which is at '['). */
static int parse_bracket(parser_t *p, part_t *part)
{
    size_t start = p->pos;
    p->pos++; /* '[' */
    if (p->pos < p->len && (p->s[p->pos] == '\'' || p->s[p->pos] == '"')) {
        char quote = p->s[p->pos++];
        size_t name_start = p->pos;
        while (p->pos < p->len && p->s[p->pos] != quote)
            p->pos++;
        if (p->pos >= p->len || p->pos + 1 >= p->len || p->s[p->pos + 1] != ']') {
            set_err(p->err, p->err_size, "invalid route selection expression: unterminated [%c...%c] at offset %zu",
                    quote, quote, start);
            return -1;
        }
        size_t name_len = p->pos - name_start;
        if (name_len == 0 || memchr(p->s + name_start, '\0', name_len) != NULL) {
            set_err(p->err, p->err_size, "invalid route selection expression: empty name in [] at offset %zu", start);
            return -1;
        }
        p->pos += 2; /* quote and ']' */
        return add_step(p, part, STEP_KEY, p->s + name_start, name_len, 0);
    }
    size_t index = 0, digits = 0;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        if (digits >= 9) {
            set_err(p->err, p->err_size, "invalid route selection expression: array index too large at offset %zu",
                    start);
            return -1;
        }
        index = index * 10 + (size_t)(p->s[p->pos] - '0');
        digits++;
        p->pos++;
    }
    if (digits == 0 || p->pos >= p->len || p->s[p->pos] != ']') {
        set_err(p->err, p->err_size, "invalid route selection expression: expected [index] or ['name'] at offset %zu",
                start);
        return -1;
    }
    p->pos++;
    return add_step(p, part, STEP_INDEX, NULL, 0, index);
}

/*
 * Parses a variable at p->pos (just after '$' or '${'). With `braced`, the variable must end with
 * '}', which is consumed.
 */
static int parse_variable(parser_t *p, int braced, size_t dollar_at)
{
    static const char prefix[] = "request.body";
    const size_t prefix_len = sizeof(prefix) - 1;
    bool (*name_char)(unsigned char) = braced ? is_braced_name_char : is_plain_name_char;

    /* The variable's source must be request.body (not request.header, context, stageVariables). */
    size_t name_start = p->pos;
    int is_body = p->len - p->pos >= prefix_len && memcmp(p->s + p->pos, prefix, prefix_len) == 0 &&
                  (p->pos + prefix_len == p->len || !name_char((unsigned char)p->s[p->pos + prefix_len]));
    if (!is_body) {
        while (p->pos < p->len && (name_char((unsigned char)p->s[p->pos]) || p->s[p->pos] == '.'))
            p->pos++;
        size_t shown = p->pos - name_start;
        if (shown == 0) {
            set_err(p->err, p->err_size,
                    "invalid route selection expression: '$' at offset %zu starts no variable "
                    "(write '\\$' for a literal dollar sign)",
                    dollar_at);
        } else {
            set_err(p->err, p->err_size,
                    "invalid route selection expression: unsupported variable '$%.*s' at offset "
                    "%zu (WebSocket APIs select routes with $request.body.<path>)",
                    (int)(shown > 64 ? 64 : shown), p->s + name_start, dollar_at);
        }
        return -1;
    }
    p->pos += prefix_len;

    if (p->num_variables >= WG_LIMIT_ROUTE_VARIABLES) {
        set_err(p->err, p->err_size, "invalid route selection expression: more than %d variables",
                WG_LIMIT_ROUTE_VARIABLES);
        return -1;
    }
    flush_literal(p);
    part_t *part = add_part(p);
    part->is_variable = 1;
    p->num_variables++;

    for (;;) {
        if (p->pos < p->len && p->s[p->pos] == '.') {
            size_t dot = p->pos++;
            size_t key_start = p->pos;
            while (p->pos < p->len && name_char((unsigned char)p->s[p->pos]))
                p->pos++;
            if (p->pos == key_start) {
                set_err(p->err, p->err_size, "invalid route selection expression: empty name after '.' at offset %zu",
                        dot);
                return -1;
            }
            if (add_step(p, part, STEP_KEY, p->s + key_start, p->pos - key_start, 0) != 0)
                return -1;
        } else if (p->pos < p->len && p->s[p->pos] == '[') {
            if (parse_bracket(p, part) != 0)
                return -1;
        } else {
            break;
        }
    }
    if (part->num_steps == 0) {
        set_err(p->err, p->err_size,
                "invalid route selection expression: $request.body at offset %zu names no field "
                "(use $request.body.<field>)",
                dollar_at);
        return -1;
    }
    if (braced) {
        if (p->pos >= p->len || p->s[p->pos] != '}') {
            set_err(p->err, p->err_size, "invalid route selection expression: '${' at offset %zu is not closed by '}'",
                    dollar_at);
            return -1;
        }
        p->pos++;
    }
    return 0;
}

wg_route_selector_t *wg_route_selector_parse(const char *expression, char *err, size_t err_size)
{
    set_err(err, err_size, "%s", "");
    if (expression == NULL || expression[0] == '\0') {
        set_err(err, err_size, "invalid route selection expression: empty");
        return NULL;
    }
    size_t len = strlen(expression);
    if (len > WG_LIMIT_ROUTE_EXPRESSION_CHARS) {
        set_err(err, err_size, "invalid route selection expression: longer than %d characters",
                WG_LIMIT_ROUTE_EXPRESSION_CHARS);
        return NULL;
    }

    parser_t p = {.s = expression, .len = len, .err = err, .err_size = err_size};
    while (p.pos < p.len) {
        char c = p.s[p.pos];
        if (c == '\\' && p.pos + 1 < p.len && p.s[p.pos + 1] == '$') {
            literal_append(&p, "$", 1);
            p.pos += 2;
        } else if (c == '$') {
            size_t dollar_at = p.pos++;
            int braced = p.pos < p.len && p.s[p.pos] == '{';
            if (braced)
                p.pos++;
            if (parse_variable(&p, braced, dollar_at) != 0)
                goto fail;
        } else {
            literal_append(&p, &p.s[p.pos], 1);
            p.pos++;
        }
    }
    flush_literal(&p);
    if (p.num_variables == 0) {
        set_err(err, err_size, "invalid route selection expression: no $request.body variable in '%.64s'", expression);
        goto fail;
    }
    wg_buf_free(&p.literal);
    wg_route_selector_t *selector = xrealloc(NULL, sizeof(*selector));
    selector->parts = p.parts;
    selector->num_parts = p.num_parts;
    return selector;

fail:
    wg_buf_free(&p.literal);
    parts_free(p.parts, p.num_parts);
    return NULL;
}

/* ---- evaluation ------------------------------------------------------------------------------- */

static void out_append(keybuf_t *b, const char *s, size_t n)
{
    if (b->overflow)
        return;
    if (b->text.len + n + 1 > WG_LIMIT_ROUTE_KEY_BYTES) {
        b->overflow = 1;
        return;
    }
    wg_buf_append(&b->text, s, n);
}

static void out_str(keybuf_t *b, const char *s)
{
    out_append(b, s, strlen(s));
}

/*
 * Shortest "%.Ng" that reads back to the same double; positional (not exponent) form up to 17
 * integer digits, as "%.17g" would choose; ".0" added to integral-looking output.
 */
static void format_real(double v, char *buf, size_t size)
{
    int precision = 1;
    for (; precision < 17; precision++) {
        snprintf(buf, size, "%.*g", precision, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* %g switches to exponent form when the exponent is >= precision; widen up to 17 digits. */
    char exp_buf[64];
    snprintf(exp_buf, sizeof(exp_buf), "%.*e", precision - 1, v);
    const char *e = strchr(exp_buf, 'e');
    int exponent = e != NULL ? atoi(e + 1) : 0;
    if (exponent >= precision && exponent < 17)
        precision = exponent + 1;
    snprintf(buf, size, "%.*g", precision, v);
    if (strpbrk(buf, ".eEni") == NULL) /* no '.', exponent, inf or nan */
        strncat(buf, ".0", size - strlen(buf) - 1);
}

/* Stringifies `v` as described at the top of the file. Returns 0, or -1 for null / too deep. */
static int stringify(const json_t *v, keybuf_t *out, int depth, int is_item)
{
    char num[64];
    if (depth > WG_LIMIT_ROUTE_DEPTH)
        return -1;
    switch (json_typeof(v)) {
    case JSON_STRING: out_append(out, json_string_value(v), json_string_length(v)); return 0;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        out_str(out, num);
        return 0;
    case JSON_REAL:
        format_real(json_real_value(v), num, sizeof(num));
        out_str(out, num);
        return 0;
    case JSON_TRUE: out_str(out, "true"); return 0;
    case JSON_FALSE: out_str(out, "false"); return 0;
    case JSON_NULL:
        if (!is_item)
            return -1; /* a null field counts as missing */
        out_str(out, "null");
        return 0;
    case JSON_ARRAY: {
        out_str(out, "[");
        for (size_t i = 0; i < json_array_size(v) && !out->overflow; i++) {
            if (i > 0)
                out_str(out, ", ");
            if (stringify(json_array_get(v, i), out, depth + 1, 1) != 0)
                return -1;
        }
        out_str(out, "]");
        return 0;
    }
    case JSON_OBJECT: {
        const char *key;
        json_t *value;
        int first = 1;
        out_str(out, "{");
        json_object_foreach((json_t *)v, key, value) {
            if (out->overflow)
                break;
            if (!first)
                out_str(out, ", ");
            first = 0;
            out_str(out, key);
            out_str(out, "=");
            if (stringify(value, out, depth + 1, 1) != 0)
                return -1;
        }
        out_str(out, "}");
        return 0;
    }
    }
    return -1;
}

static const json_t *follow(const json_t *root, const part_t *part)
{
    const json_t *v = root;
    for (size_t i = 0; i < part->num_steps && v != NULL; i++) {
        const step_t *st = &part->steps[i];
        if (st->kind == STEP_KEY)
            v = json_is_object(v) ? json_object_get(v, st->key) : NULL;
        else
            v = json_is_array(v) ? json_array_get(v, st->index) : NULL;
    }
    return v;
}

char *wg_route_selector_eval(const wg_route_selector_t *selector, const char *body, size_t body_len)
{
    if (selector == NULL || body == NULL)
        return NULL;
    /* JSON_DECODE_ANY so that "5" or "\"x\"" parse (and are then refused as not an object);
     * without JSON_ALLOW_NUL a "\u0000" makes the body unparsable (keys are C strings). */
    json_t *root = json_loadb(body, body_len, JSON_DECODE_ANY, NULL);
    if (root == NULL)
        return NULL;
    keybuf_t out = {WG_BUF_INIT, 0};
    int failed = !json_is_object(root);
    for (size_t i = 0; i < selector->num_parts && !failed; i++) {
        const part_t *part = &selector->parts[i];
        if (!part->is_variable) {
            out_str(&out, part->literal);
            continue;
        }
        const json_t *v = follow(root, part);
        if (v == NULL || stringify(v, &out, 0, 0) != 0)
            failed = 1;
    }
    json_decref(root);
    if (failed || out.overflow) {
        wg_buf_free(&out.text);
        return NULL;
    }
    return wg_buf_take(&out.text, NULL);
}

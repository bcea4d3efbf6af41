"""The conformance rules engine: loads cases, compares what a session observed with the AWS capture
in fixtures/ (or an inline expectation), and prints the differences. It knows nothing about how
observations are made: that is sessions.py (scripted client/backend/management-API interactions).

Comparison (see README.md for the case format):
  * JSON documents: same keys in the same order at every level, same JSON types, and every leaf
    either equal to the fixture's value or - only where the case has a rule for that path -
    checked against the rule (format regex, layout, relations to other fields, session values,
    closeness to now). There is no "ignore" rule: variable values are masked by format.
  * Text (frames, bodies): byte-exact except masked "key":"value" spans, checked by rule.
  * Every rule is also run against the fixture itself ("self-check"), so a rule that AWS's own
    capture would fail is a broken case, not a passing test.
"""
import base64
import glob
import json
import os
import re
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FIXTURES = os.path.join(REPO, "fixtures")
CASES = os.path.join(HERE, "cases")

# ---------------------------------------------------------------------------------------------
# Formats (spec sections 1.3, 2.1, 2.2, 7.1)
# ---------------------------------------------------------------------------------------------
MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
FORMAT_RES = {
    "id": r"^[A-Za-z0-9_-]{15}=$",
    "request-time": r"^\d{2}/(" + MONTHS + r")/\d{4}:\d{2}:\d{2}:\d{2} \+0000$",
    "trace-id": r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$",
    "ipv4": r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$",
    "api-id": r"^[a-z0-9]{10}$",
    "ws-key": r"^[A-Za-z0-9+/]{22}==$",
    "iso8601-ms": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$",
    "uuid": r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
    "host": r"^[A-Za-z0-9.-]+(:\d{1,5})?$",
}
# chars 8-11 of IDs per AWS cell (AWS-ID-8): (connection/message, request)
CELLS = {
    "us-east-1": (("IAMC", "oAMC"), ("IAMF", "oAMF")),
    "us-west-2": (("PHcC", "vHcC"), ("PHcF", "vHcF")),
    "ap-northeast-1": (("NjMC", "tjMC"), ("NjMF", "tjMF")),
    "ap-northeast-2": (("IE0C", "oE0C"), ("IE0F", "oE0F")),
}
# AWS-ID-7 (inferred layout): decisecond counter = (floor(ms / 100) + K) mod 2^29, K = 421608448 (2019) .. 421608452 (2025)
ID_K = 421608452
ID_COUNTER_TOLERANCE = 12  # deciseconds: K drift (4) + clock/processing slack


def check_format(fmt, value, region):
    """Returns None when `value` has format `fmt`, else a reason."""
    if fmt == "epoch-ms":
        if type(value) is not int:
            return f"expected an integer epoch in ms, got {type_name(value)}"
        return None if 10**12 <= value < 10**13 else f"{value} is not a 13-digit epoch in ms"
    if fmt in ("id-connection", "id-message", "id-request"):
        why = check_format("id", value, region)
        if why:
            return why
        raw = base64.urlsafe_b64decode(value)
        v48 = int.from_bytes(raw[:6], "big")
        low18 = v48 & 0x3FFFF
        is_request = fmt == "id-request"
        if v48 >> 47:
            return f"{value}: bit 47 must be 0 (AWS-ID-7)"
        lo, hi = (0x4000, 0x7FFF) if is_request else (0x1C000, 0x1FFFF)
        if not lo <= low18 <= hi:
            return f"{value}: type tag bits 0x{low18:05x} outside 0x{lo:x}-0x{hi:x} (AWS-ID-7)"
        cells = CELLS.get(region)
        if cells:
            allowed = cells[1] if is_request else cells[0]
            if value[8:12] not in allowed:
                return (f"{value}: chars 8-11 {value[8:12]!r} are not the {region} "
                        f"{'request' if is_request else 'connection/message'} cell {allowed} (AWS-ID-8)")
        return None
    if fmt not in FORMAT_RES:
        return f"unknown format {fmt!r} (case error)"
    if not isinstance(value, str):
        return f"expected a string ({fmt}), got {type_name(value)}"
    return None if re.match(FORMAT_RES[fmt], value) else f"{value!r} does not match {fmt} {FORMAT_RES[fmt]}"


def request_time_of(ms):
    t = time.gmtime(ms // 1000)
    return time.strftime("%d/", t) + MONTHS.split("|")[t.tm_mon - 1] + time.strftime("/%Y:%H:%M:%S +0000", t)


def iso8601_of(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def type_name(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "real"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


# ---------------------------------------------------------------------------------------------
# JSON pointers, patches
# ---------------------------------------------------------------------------------------------
def ptr_split(ptr):
    if ptr in ("", "/"):
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in ptr.lstrip("/").split("/")]


def ptr_join(parts):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts) if parts else "/"


def ptr_get(doc, ptr):
    cur = doc
    for part in ptr_split(ptr):
        if isinstance(cur, list):
            cur = cur[int(part)]
        elif isinstance(cur, dict):
            cur = cur[part]
        else:
            raise KeyError(ptr)
    return cur


def apply_patch(doc, ops, case_name):
    """Ordered-dict patch ops. Every op must say why the expectation differs from the capture."""
    doc = json.loads(json.dumps(doc))
    for op in ops:
        if not op.get("why"):
            raise CaseError(f"{case_name}: patch op {op} has no 'why'")
        parts = ptr_split(op["path"])
        parent = ptr_get(doc, ptr_join(parts[:-1])) if op["op"] != "insert" else ptr_get(doc, op["path"])
        kind = op["op"]
        if kind == "remove":
            del parent[parts[-1]]
        elif kind == "replace":
            if isinstance(parent, list):
                parent[int(parts[-1])] = op["value"]
            else:
                if parts[-1] not in parent:
                    raise CaseError(f"{case_name}: replace of missing {op['path']}")
                parent[parts[-1]] = op["value"]
        elif kind in ("insert", "rename"):
            obj = parent
            items = list(obj.items())
            obj.clear()
            if kind == "insert":
                if op["after"] is not None and op["after"] not in dict(items):
                    raise CaseError(f"{case_name}: insert after missing key {op['after']}")
                if op["after"] is None:
                    obj[op["key"]] = op["value"]
                for k, v in items:
                    obj[k] = v
                    if k == op["after"]:
                        obj[op["key"]] = op["value"]
            else:
                if parts[-1] not in dict(items):
                    raise CaseError(f"{case_name}: rename of missing {op['path']}")
                for k, v in items:
                    obj[op["to"] if k == parts[-1] else k] = v
        else:
            raise CaseError(f"{case_name}: unknown patch op {kind}")
    return doc


class CaseError(Exception):
    """The case file itself is wrong (not the server)."""


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------
RULE_KEYS = {"format", "var", "same_as", "tail_of", "time_of", "trace_time_of", "near",
             "tolerance_ms", "near_now_ms", "id_time_of", "mirror_of", "iso8601_of_var",
             "not_before", "anonymised_in_fixture", "why"}


def run_rule(rule, value, doc, mode, ctx, path):
    """Checks one value. mode 'got' (server output) or 'fixture' (self-check). Returns reasons."""
    unknown = set(rule) - RULE_KEYS
    if unknown:
        raise CaseError(f"rule for {path} has unknown keys {sorted(unknown)}")
    if mode == "fixture" and rule.get("anonymised_in_fixture"):
        return []
    region = ctx["region"] if mode == "got" else ctx["fixture_region"]
    errs = []

    def ref(key):
        try:
            return ptr_get(doc, rule[key])
        except (KeyError, IndexError, ValueError):
            errs.append(f"{rule[key]} (named by {key}) is missing")
            return None

    if "format" in rule:
        why = check_format(rule["format"], value, region)
        if why:
            errs.append(why)
    if "var" in rule and mode == "got":
        want = ctx["vars"].get(rule["var"], "<unset session variable %s>" % rule["var"])
        if value != want:
            errs.append(f"expected session value {rule['var']} = {json.dumps(want)}, got {json.dumps(value)}")
    if "iso8601_of_var" in rule and mode == "got":
        ms = ctx["vars"].get(rule["iso8601_of_var"])
        if not isinstance(ms, int) or value != iso8601_of(ms):
            errs.append(f"expected {rule['iso8601_of_var']} as ISO-8601 "
                        f"({iso8601_of(ms) if isinstance(ms, int) else ms}), got {json.dumps(value)}")
    if "same_as" in rule:
        other = ref("same_as")
        if other is not None and other != value:
            errs.append(f"must equal {rule['same_as']} ({json.dumps(other)}), got {json.dumps(value)}")
    if "tail_of" in rule:
        other = ref("tail_of")
        if isinstance(other, str) and isinstance(value, str) and other[9:] != value[9:]:
            errs.append(f"chars 9-15 must equal those of {rule['tail_of']} ({other}): got {value} (AWS-ID-5)")
    if "time_of" in rule:
        ms = ref("time_of")
        if isinstance(ms, int) and value != request_time_of(ms):
            errs.append(f"must be {rule['time_of']} formatted ({request_time_of(ms)}), got {json.dumps(value)}")
    if "trace_time_of" in rule:
        ms = ref("trace_time_of")
        if isinstance(ms, int) and isinstance(value, str) and re.match(FORMAT_RES["trace-id"], value):
            secs = int(value[7:15], 16)
            if abs(secs - ms // 1000) > 1:
                errs.append(f"trace id seconds 0x{value[7:15]} = {secs} != {rule['trace_time_of']} "
                            f"seconds {ms // 1000} (AWS-ID-12)")
    if "near" in rule:
        other = ref("near")
        tol = rule.get("tolerance_ms", 1000)
        if isinstance(other, int) and isinstance(value, int) and abs(value - other) > tol:
            errs.append(f"{value} is {value - other} ms from {rule['near']} ({other}); allowed ±{tol}")
    if "not_before" in rule:
        other = ref("not_before")
        if isinstance(other, str) and isinstance(value, str) and value < other:
            errs.append(f"{value} is earlier than {rule['not_before']} ({other})")
    if "near_now_ms" in rule and mode == "got":
        now = ctx["vars"]["now_ms"]
        if isinstance(value, int) and abs(value - now) > rule["near_now_ms"]:
            errs.append(f"{value} is {value - now} ms from now; allowed ±{rule['near_now_ms']}")
    if "id_time_of" in rule:
        ms = ref("id_time_of")
        if isinstance(ms, int) and isinstance(value, str) and not check_format("id", value, None):
            v48 = int.from_bytes(base64.urlsafe_b64decode(value)[:6], "big")
            counter = (v48 >> 18) & ((1 << 29) - 1)
            delta = (counter - (ms // 100 + ID_K)) % (1 << 29)
            delta = delta - (1 << 29) if delta >= (1 << 28) else delta
            if abs(delta) > ID_COUNTER_TOLERANCE:
                errs.append(f"{value}: decisecond counter {counter} is {delta} ds away from "
                            f"{rule['id_time_of']} ({ms}) (AWS-ID-6)")
    if "mirror_of" in rule:
        other = ref("mirror_of")
        if isinstance(other, dict) and isinstance(value, dict):
            if list(value) != list(other):
                errs.append(f"keys {list(value)} != keys of {rule['mirror_of']} {list(other)}")
            for k, v in value.items():
                if k in other and v != [other[k]]:
                    errs.append(f"{k}: {json.dumps(v)} != [{rule['mirror_of']}/{k}] {json.dumps([other[k]])}")
    return errs


def compare_json(expected, got, rules, ctx, path=()):
    """Structural + literal comparison; returns a list of (pointer, message)."""
    p = ptr_join(path)
    rule = rules.get(p)
    if type_name(expected) != type_name(got):
        return [(p, f"type differs: expected {type_name(expected)} {short(expected)}, "
                    f"got {type_name(got)} {short(got)}")]
    if rule is not None:
        diffs = []
        if isinstance(expected, dict) and list(expected) != list(got):
            diffs.append((p, key_diff(expected, got)))
        for msg in run_rule(rule, got, ctx["doc"], "got", ctx, p):
            diffs.append((p, msg + f"\n      expected (fixture): {short(expected)}\n      got:                {short(got)}"))
        return diffs
    if isinstance(expected, dict):
        # Key order/set first (the first difference a reader needs), then every common key, so
        # that one run lists all the differences.
        out = [(p, key_diff(expected, got))] if list(expected) != list(got) else []
        for k in expected:
            if k in got:
                out += compare_json(expected[k], got[k], rules, ctx, path + (k,))
        return out
    if isinstance(expected, list):
        if len(expected) != len(got):
            return [(p, f"array length differs: expected {len(expected)} {short(expected)}, got {len(got)} {short(got)}")]
        out = []
        for i, (e, g) in enumerate(zip(expected, got)):
            out += compare_json(e, g, rules, ctx, path + (i,))
        return out
    if expected != got:
        return [(p, f"value differs (no rule: must equal the fixture)\n      expected: {json.dumps(expected)}\n"
                    f"      got:      {json.dumps(got)}")]
    return []


def key_diff(expected, got):
    e, g = list(expected), list(got)
    missing = [k for k in e if k not in g]
    extra = [k for k in g if k not in e]
    msg = "object keys differ"
    if missing:
        msg += f"; missing {missing}"
    if extra:
        msg += f"; unexpected {extra}"
    if not missing and not extra:
        i = next(i for i, (a, b) in enumerate(zip(e, g)) if a != b)
        msg += f"; order differs at index {i}: expected {e[i]!r}, got {g[i]!r}"
    return msg + f"\n      expected keys: {e}\n      got keys:      {g}"


def short(v, n=160):
    s = json.dumps(v)
    return s if len(s) <= n else s[:n] + "..."


def selfcheck_rules(expected, rules, ctx):
    """Runs every rule against the (patched) fixture: rules must hold for AWS's own output."""
    errs = []
    for p, rule in rules.items():
        try:
            value = ptr_get(expected, p)
        except (KeyError, IndexError, ValueError):
            errs.append(f"rule path {p} does not exist in the fixture")
            continue
        for msg in run_rule(rule, value, expected, "fixture", ctx, p):
            errs.append(f"{p}: {msg}")
    return errs


# ---------------------------------------------------------------------------------------------
# Text with masks (frames, bodies)
# ---------------------------------------------------------------------------------------------
def masked_template(text, masks):
    """Splits `text` into literal parts and masked values: each mask key K masks the value of
    the first "K":"value" in the text. Returns (regex, [keys in order])."""
    spans = []
    for key in masks:
        m = re.search(r'"%s":\s*"([^"]*)"' % re.escape(key), text)
        if not m:
            raise CaseError(f"mask {key!r} not found in fixture text")
        spans.append((m.start(1), m.end(1), key))
    spans.sort()
    regex, pos = "", 0
    for start, end, key in spans:
        regex += re.escape(text[pos:start]) + r'([^"]*)'
        pos = end
    regex += re.escape(text[pos:])
    return "^" + regex + "$", [k for _, _, k in spans]


def compare_text(expected, got, masks, ctx, label):
    if not masks:
        if expected == got:
            return []
        i = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(expected), len(got)))
        return [(label, f"bytes differ at offset {i}\n      expected: {expected!r}\n      got:      {got!r}")]
    regex, keys = masked_template(expected, masks)
    m = re.match(regex, got, re.S)
    if not m:
        shown = re.sub(r'"(%s)":(\s*)"[^"]*"' % "|".join(map(re.escape, keys)), r'"\1":\2"<masked>"', expected)
        return [(label, f"bytes differ outside the masked values\n      expected: {shown!r}\n      got:      {got!r}")]
    values = dict(zip(keys, m.groups()))
    diffs = []
    for key, value in values.items():
        for msg in run_rule(masks[key], value, values, "got", ctx, key):
            diffs.append((f"{label}:{key}", msg))
    return diffs


def selfcheck_text(expected, masks, ctx):
    regex, keys = masked_template(expected, masks)
    values = dict(zip(keys, re.match(regex, expected, re.S).groups()))
    errs = []
    for key, value in values.items():
        errs += [f"{key}: {m}" for m in run_rule(masks[key], value, values, "fixture", ctx, key)]
    return errs


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------
def load_fixture(name, as_json):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        data = f.read()
    return json.loads(data, object_pairs_hook=no_duplicates) if as_json else data.decode("utf-8")


def header_value(headers, name):
    values = [v for k, v in headers if k.lower() == name.lower()]
    return values[0] if values else None

def run_case(case, obs, var, region, base_vars):
    """Compares one case with its session's observations `obs` and variables `var`; `region` and
    `base_vars` (stage, apiId, client_ip) are what the server under test was configured with.
    Returns (diffs, case_errors)."""
    name = case["name"]
    ctx = {"region": region, "fixture_region": case.get("fixture_region", region),
           "vars": dict(var, now_ms=int(time.time() * 1000), **base_vars)}
    if case["observe"] not in obs:
        return [("/", f"session {case['session']} has no observation {case['observe']!r}")], []
    got = obs[case["observe"]]
    kind = case["type"]
    diffs, errs = [], []

    if kind == "json":
        expected = load_fixture(case["fixture"], True) if "fixture" in case else case["expect"]
        expected = apply_patch(expected, case.get("patch", []), name)
        rules = case.get("rules", {})
        errs += selfcheck_rules(expected, rules, ctx)
        ctx["doc"] = got
        diffs += compare_json(expected, got, rules, ctx)
    elif kind == "text":
        expected = load_fixture(case["fixture"], False) if "fixture" in case else case["expect"]
        masks = case.get("masks", {})
        errs += selfcheck_text(expected, masks, ctx) if masks else []
        diffs += compare_text(expected, got, masks, ctx, "frame")
    elif kind == "http":
        if got["status"] != case["status"]:
            diffs.append(("status", f"expected HTTP {case['status']}, got {got['status']} "
                                    f"(body {got['body'][:200]!r})"))
        for hname, want in case.get("headers", {}).items():
            have = header_value(got["headers"], hname)
            if isinstance(want, dict):
                if have is None:
                    diffs.append((f"header {hname}", "missing"))
                else:
                    diffs += [(f"header {hname}", m) for m in run_rule(want, have, {}, "got", ctx, hname)]
            elif have != want:
                diffs.append((f"header {hname}", f"expected {want!r}, got {have!r}"))
        body = got["body"].decode("utf-8", "replace")
        if "body_fixture" in case:
            diffs += compare_text(load_fixture(case["body_fixture"], False), body, {}, ctx, "body")
        elif "body" in case:
            diffs += compare_text(case["body"], body, {}, ctx, "body")
    else:
        raise CaseError(f"{name}: unknown type {kind!r}")
    return diffs, errs


def no_duplicates(pairs):
    """json object_pairs_hook: a key twice in one object is an error (AWS never sends that)."""
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def load_cases(paths, name_filter=None):
    """The cases in `paths` (default: conformance/cases/*.json) whose name contains name_filter."""
    files = paths or sorted(glob.glob(os.path.join(CASES, "*.json")))
    cases = []
    for path in files:
        with open(path) as f:
            case = json.load(f)
        case.setdefault("name", os.path.splitext(os.path.basename(path))[0])
        if not name_filter or name_filter in case["name"]:
            cases.append(case)
    return cases


def report(case, session_name, diffs, errs, observed, verbose):
    """Prints a case's verdict (ok / FAIL with its first differences / ERROR for a broken case);
    returns True when it passed."""
    if errs:
        print(f"ERROR {case['name']}: the case does not hold for its own fixture {case.get('fixture', '')}")
        for e in errs:
            print(f"    {e}")
        return False
    if diffs:
        print(f"FAIL  {case['name']}  ({case.get('fixture') or case.get('body_fixture') or 'inline expectation'}"
              f" vs {session_name}/{case['observe']})")
        first_path, first_msg = diffs[0]
        print(f"    first difference at {first_path}: {first_msg}")
        for p, m in diffs[1:6]:
            print(f"    also at {p}: {m}")
        if len(diffs) > 6:
            print(f"    ... {len(diffs) - 6} more")
        if verbose:
            print("    got: " + (json.dumps(observed, default=repr)[:2000]))
        return False
    print(f"ok    {case['name']}")
    return True

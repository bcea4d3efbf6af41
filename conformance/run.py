#!/usr/bin/env python3
"""Conformance runner: drives the real wsgate binary and compares what it produces with the AWS
captures in fixtures/.

The runner owns the *sessions* (scripted client/backend/management-API interactions, below);
the *cases* are data files, one per case, in conformance/cases/*.json (curl's one-file-per-case
idea). A case names a session, one observation of that session (an event the backend received,
a frame the client received, a management-API response), the fixture it must match and the
rules for the values that legitimately differ (IDs, times, hosts...).

Comparison (see README.md for the case format):
  * JSON documents: same keys in the same order at every level, same JSON types, and every leaf
    either equal to the fixture's value or - only where the case has a rule for that path -
    checked against the rule (format regex, layout, relations to other fields, session values,
    closeness to now). There is no "ignore" rule: variable values are masked by format.
  * Text (frames, bodies): byte-exact except masked "key":"value" spans, checked by rule.
  * Every rule is also run against the fixture itself ("self-check"), so a rule that AWS's own
    capture would fail is a broken case, not a passing test.

Usage:  WSGATE_BIN=build/wsgate .venv/bin/python conformance/run.py [-v] [-k SUBSTRING] [CASE.json...]
Prints one line per case, diffs for failures, and finally "N passed, N failed"; exit 1 on any
failure (2 when the binary cannot be started).
"""
import argparse
import base64
import calendar
import glob
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FIXTURES = os.path.join(REPO, "fixtures")
CASES = os.path.join(HERE, "cases")

LISTEN_RE = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
WAIT_S = 5.0  # how long to wait for an event or a frame

# What the server under test is configured with (a realistic AWS-looking API).
STAGE = "prod"
REGION = "us-east-1"
API_ID = "fjnq7njcv2"  # the real apiId visible in the Host header of ws-connect-2024-11
AWS_HOST = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHAT_BODY = '{"action": "chat", "message": "Hello from client"}'  # ws-message-2024-11 body

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
# chars 8-11 of IDs per AWS cell (spec 2.1 table): (connection/message, request)
CELLS = {
    "us-east-1": (("IAMC", "oAMC"), ("IAMF", "oAMF")),
    "us-west-2": (("PHcC", "vHcC"), ("PHcF", "vHcF")),
    "ap-northeast-1": (("NjMC", "tjMC"), ("NjMF", "tjMF")),
    "ap-northeast-2": (("IE0C", "oE0C"), ("IE0F", "oE0F")),
}
# spec 2.1: decisecond counter = (floor(ms / 100) + K) mod 2^29, K = 421608448 (2019) .. 421608452 (2025)
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
            return f"{value}: bit 47 must be 0 (spec 2.1)"
        lo, hi = (0x4000, 0x7FFF) if is_request else (0x1C000, 0x1FFFF)
        if not lo <= low18 <= hi:
            return f"{value}: type tag bits 0x{low18:05x} outside 0x{lo:x}-0x{hi:x} (spec 2.1)"
        cells = CELLS.get(region)
        if cells:
            allowed = cells[1] if is_request else cells[0]
            if value[8:12] not in allowed:
                return (f"{value}: chars 8-11 {value[8:12]!r} are not the {region} "
                        f"{'request' if is_request else 'connection/message'} cell {allowed} (spec 2.1)")
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
            errs.append(f"chars 9-15 must equal those of {rule['tail_of']} ({other}): got {value} (spec 2.1)")
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
                            f"seconds {ms // 1000} (spec 1.3)")
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
                            f"{rule['id_time_of']} ({ms}) (spec 2.1)")
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
# The recording backend
# ---------------------------------------------------------------------------------------------
class Backend:
    """An HTTP backend that records every request and answers like a Lambda proxy."""

    def __init__(self):
        self.requests = []
        self.cond = threading.Condition()
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                entry = {"path": self.path, "raw": body, "time_ms": int(time.time() * 1000)}
                try:
                    entry["json"] = json.loads(body, object_pairs_hook=no_duplicates)
                except ValueError as e:
                    entry["json_error"] = str(e)
                with backend.cond:
                    backend.requests.append(entry)
                    backend.cond.notify_all()
                answer = b'{"statusCode":200}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_event(self, event_type, connection_id=None, route_key=None, after=0, timeout=WAIT_S, path=None):
        """The first recorded event (index >= after) matching; raises SessionError on timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i, r in enumerate(self.requests[after:], after):
                    rc = (r.get("json") or {}).get("requestContext") if isinstance(r.get("json"), dict) else None
                    if not isinstance(rc, dict):
                        continue
                    if rc.get("eventType") != event_type:
                        continue
                    if connection_id and rc.get("connectionId") != connection_id:
                        continue
                    if route_key and rc.get("routeKey") != route_key:
                        continue
                    if path and r["path"] != path:
                        continue
                    return r
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SessionError(f"backend received no {event_type} event"
                                       f"{' for ' + connection_id if connection_id else ''} within {timeout} s "
                                       f"(received: {[r['path'] for r in self.requests[after:]]})")
                self.cond.wait(left)

    def mark(self):
        with self.cond:
            return len(self.requests)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


class SessionError(Exception):
    """The session could not produce an observation (server misbehaved or is incomplete)."""


# ---------------------------------------------------------------------------------------------
# The server under test
# ---------------------------------------------------------------------------------------------
class Server:
    def __init__(self, binary, config, workdir, name="wsgate", extra_args=()):
        self.cfg_path = os.path.join(workdir, name + "-config.json")
        with open(self.cfg_path, "w") as f:
            json.dump(config, f)
        self.log_path = os.path.join(workdir, name + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary, "--port", "0", "--host", "127.0.0.1", "--config", self.cfg_path]
                                     + list(extra_args),
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            m = LISTEN_RE.search(self.log_text())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"wsgate did not start (exit {self.proc.returncode}):\n{self.log_text()}")
            time.sleep(0.02)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------------------------------------
# Management API client (botocore SigV4, any key)
# ---------------------------------------------------------------------------------------------
def mgmt_request(port, method, path, body=b"", sign=True):
    """Sends one management-API request; returns {"status", "headers" (list of pairs), "body"}."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    url = f"http://127.0.0.1:{port}{path}"
    headers = {}
    if sign:
        req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body)
        creds = botocore.credentials.Credentials("AKIDCONFORMANCE", "conformance-secret-key")
        botocore.auth.SigV4Auth(creds, "execute-api", REGION).add_auth(req)
        headers = dict(req.headers.items())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_S)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return {"status": resp.status, "headers": resp.getheaders(), "body": data}
    finally:
        conn.close()


def conn_path(connection_id, stage=STAGE):
    return f"/{stage}/@connections/{urllib.parse.quote(connection_id, safe='')}"


def sdk_error_code(port, op, connection_id):
    """Calls the management API through boto3 and returns what the SDK makes of the answer."""
    import boto3
    import botocore.exceptions
    client = boto3.client("apigatewaymanagementapi", endpoint_url=f"http://127.0.0.1:{port}/{STAGE}",
                          region_name=REGION, aws_access_key_id="AKIDCONFORMANCE",
                          aws_secret_access_key="conformance-secret-key")
    try:
        if op == "post":
            client.post_to_connection(ConnectionId=connection_id, Data=b"x")
        else:
            client.get_connection(ConnectionId=connection_id)
        return {"error": None}
    except botocore.exceptions.ClientError as e:
        return {"error": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}


# ---------------------------------------------------------------------------------------------
# Sessions: each returns {observation label: value} and session variables
# ---------------------------------------------------------------------------------------------
def ws_connect(port, query="", host=None, user_agent=None):
    import websocket
    key = base64.b64encode(os.urandom(16)).decode()
    # The header set of ws-connect-2024-11 (a ws/wscat client): Host, Sec-WebSocket-Extensions,
    # Sec-WebSocket-Key, Sec-WebSocket-Version (+ Connection/Upgrade, which AWS drops).
    header = {"Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
              "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"}
    if user_agent:
        header["User-Agent"] = user_agent
    url = f"ws://127.0.0.1:{port}/{STAGE}" + (f"?{query}" if query else "")
    ws = websocket.create_connection(url, header=header, host=host, suppress_origin=True, timeout=WAIT_S)
    return ws, key


def recv_text(ws):
    import websocket
    opcode, data = ws.recv_data(control_frame=False)
    if opcode != websocket.ABNF.OPCODE_TEXT:
        raise SessionError(f"expected a text frame, got opcode {opcode} {data!r}")
    return data.decode("utf-8")


def close_without_code(ws):
    """Sends a close frame with an empty payload (no status code) and waits for the server's."""
    import websocket
    ws.send(b"", websocket.ABNF.OPCODE_CLOSE)
    try:
        ws.recv_data(control_frame=True)
    except Exception:
        pass
    ws.shutdown()


def wait_close(ws):
    """Waits for the server's close frame; returns {"code": int or None}."""
    import websocket
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        try:
            opcode, data = ws.recv_data(control_frame=True)
        except websocket.WebSocketConnectionClosedException:
            return {"code": None}
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            # Only the code is observed: AWS's close reason for DeleteConnection is not known
            # (spec 11, question 4), so there is nothing to compare it with.
            return {"code": int.from_bytes(data[:2], "big") if len(data) >= 2 else None}
    raise SessionError("no close frame from the server")


def session_capture_client(env, obs, var):
    """A wscat-like client on the AWS-looking host: connect, chat, unmatched route, failing
    route, chat again, close without status code, then the management API on the closed id."""
    port, be = env["port"], env["backend"]
    mark = be.mark()
    ws, key = ws_connect(port, host=AWS_HOST)
    var.update(host=AWS_HOST, ws_key=key)
    ev = be.wait_event("CONNECT", after=mark)
    obs["connect_event"] = ev["json"]
    cid = ev["json"]["requestContext"]["connectionId"]
    var.update(connectionId=cid, connectedAt=ev["json"]["requestContext"].get("connectedAt"))

    mark = be.mark()
    ws.send(CHAT_BODY)
    obs["chat_event"] = be.wait_event("MESSAGE", cid, "chat", after=mark)["json"]

    ws.send('{"action": "nosuch", "message": "no route for this"}')
    obs["forbidden_frame"] = recv_text(ws)
    ws.send('{"action": "fail", "message": "this backend is down"}')
    obs["internal_error_frame"] = recv_text(ws)

    mark = be.mark()
    ws.send(CHAT_BODY)
    obs["chat_event_after_errors"] = be.wait_event("MESSAGE", cid, "chat", after=mark)["json"]

    mark = be.mark()
    close_without_code(ws)
    obs["disconnect_event"] = be.wait_event("DISCONNECT", cid, after=mark)["json"]

    obs["gone_post"] = mgmt_request(port, "POST", conn_path(cid), b"too late")
    obs["gone_sdk"] = sdk_error_code(port, "post", cid)


def session_ua_query(env, obs, var):
    """A client with a User-Agent and a query (like the legacy ?sessionId=1234 capture), then
    GetConnection, PostToConnection and DeleteConnection on it."""
    port, be = env["port"], env["backend"]
    mark = be.mark()
    ws, key = ws_connect(port, query="sessionId=1234", user_agent=USER_AGENT)
    var.update(host=f"127.0.0.1:{port}", ws_key=key, user_agent=USER_AGENT)
    ev = be.wait_event("CONNECT", after=mark)
    obs["connect_event"] = ev["json"]
    cid = ev["json"]["requestContext"]["connectionId"]
    var.update(connectionId=cid, connectedAt=ev["json"]["requestContext"].get("connectedAt"))

    r = mgmt_request(port, "GET", conn_path(cid))
    obs["get_connection"] = r
    try:
        obs["get_connection_body"] = json.loads(r["body"], object_pairs_hook=no_duplicates)
    except ValueError as e:
        raise SessionError(f"GetConnection answered {r['status']} with a non-JSON body {r['body'][:200]!r}: {e}")

    obs["post_response"] = mgmt_request(port, "POST", conn_path(cid), b'{"from": "backend", "n": 1}')
    obs["post_frame"] = recv_text(ws)

    mark = be.mark()
    obs["delete_response"] = mgmt_request(port, "DELETE", conn_path(cid))
    obs["delete_client_close"] = wait_close(ws)
    obs["delete_disconnect_event"] = be.wait_event("DISCONNECT", cid, after=mark)["json"]
    ws.shutdown()


def session_close_codes(env, obs, var):
    """Two clients closing with a status code: 1001 with an empty reason (what a browser sends
    when a tab closes) and 4000 with a reason."""
    port, be = env["port"], env["backend"]
    for label, code, reason in (("close_1001", 1001, b""), ("close_4000", 4000, b"done for today")):
        mark = be.mark()
        ws, _ = ws_connect(port)
        ev = be.wait_event("CONNECT", after=mark)
        cid = ev["json"]["requestContext"]["connectionId"]
        var[label + "_connectionId"] = cid
        var[label + "_connectedAt"] = ev["json"]["requestContext"].get("connectedAt")
        mark = be.mark()
        ws.close(status=code, reason=reason)
        obs[label + "_disconnect_event"] = be.wait_event("DISCONNECT", cid, after=mark)["json"]
    var["host"] = f"127.0.0.1:{port}"


def session_mgmt_errors(env, obs, var):
    """Management-API requests that fail before any connection lookup, and an unknown id."""
    port = env["port"]
    obs["missing_stage"] = mgmt_request(port, "POST", "/@connections/" + urllib.parse.quote("PbTkjcISoAMCJNQ=", safe=""), b"hi")
    obs["unsigned"] = mgmt_request(port, "POST", conn_path("PbTkjcISoAMCJNQ="), b"hi", sign=False)
    obs["unknown_id"] = mgmt_request(port, "GET", conn_path("PbTkjcISoAMCJNQ="))


SESSIONS = {
    "capture_client": session_capture_client,
    "ua_query": session_ua_query,
    "close_codes": session_close_codes,
    "mgmt_errors": session_mgmt_errors,
}


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


def run_case(case, obs, var):
    """Returns (diffs, case_errors)."""
    name = case["name"]
    ctx = {"region": REGION, "fixture_region": case.get("fixture_region", REGION),
           "vars": dict(var, now_ms=int(time.time() * 1000), stage=STAGE, apiId=API_ID, client_ip="127.0.0.1")}
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


def main():
    ap = argparse.ArgumentParser(description="wsgate conformance runner")
    ap.add_argument("cases", nargs="*", help="case files (default: conformance/cases/*.json)")
    ap.add_argument("-k", dest="filter", help="only cases whose name contains this")
    ap.add_argument("-v", "--verbose", action="store_true", help="print observations of failing cases")
    args = ap.parse_args()

    binary = os.environ.get("WSGATE_BIN", os.path.join(REPO, "build", "wsgate"))
    files = args.cases or sorted(glob.glob(os.path.join(CASES, "*.json")))
    cases = []
    for path in files:
        with open(path) as f:
            case = json.load(f)
        case.setdefault("name", os.path.splitext(os.path.basename(path))[0])
        if not args.filter or args.filter in case["name"]:
            cases.append(case)

    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="wsgate-conformance-")
    backend = Backend()
    config = {
        "stage": STAGE, "region": REGION, "apiId": API_ID,
        "routeSelectionExpression": "$request.body.action",
        "routes": {
            "$connect": {"uri": backend.url("/connect")},
            "$disconnect": {"uri": backend.url("/disconnect")},
            "chat": {"uri": backend.url("/chat")},
            # spec 5: an unreachable backend -> "Internal server error" frame
            "fail": {"uri": f"http://127.0.0.1:{closed_port()}/fail"},
        },
    }
    try:
        server = Server(binary, config, workdir)
    except (RuntimeError, OSError) as e:
        print(f"conformance: cannot start {binary}: {e}")
        print(f"0 passed, {len(cases)} failed")
        return 2
    env = {"port": server.port, "backend": backend, "binary": binary, "config": config, "workdir": workdir}
    results = {}
    passed = failed = 0
    try:
        for case in cases:
            sname = case["session"]
            if sname not in results:
                obs, var = {}, {}
                try:
                    SESSIONS[sname](env, obs, var)
                    results[sname] = (obs, var, None)
                except Exception as e:  # the session broke: its remaining observations are missing
                    results[sname] = (obs, var, f"{type(e).__name__}: {e}")
            obs, var, session_error = results[sname]
            if session_error and case["observe"] not in obs:
                diffs, errs = [("/", f"session {sname} failed before this observation: {session_error}")], []
            else:
                try:
                    diffs, errs = run_case(case, obs, var)
                except CaseError as e:
                    diffs, errs = [], [str(e)]
            if errs:
                failed += 1
                print(f"ERROR {case['name']}: the case does not hold for its own fixture {case.get('fixture', '')}")
                for e in errs:
                    print(f"    {e}")
            elif diffs:
                failed += 1
                print(f"FAIL  {case['name']}  ({case.get('fixture') or case.get('body_fixture') or 'inline expectation'}"
                      f" vs {sname}/{case['observe']})")
                first_path, first_msg = diffs[0]
                print(f"    first difference at {first_path}: {first_msg}")
                for p, m in diffs[1:6]:
                    print(f"    also at {p}: {m}")
                if len(diffs) > 6:
                    print(f"    ... {len(diffs) - 6} more")
                if args.verbose:
                    print("    got: " + (json.dumps(obs.get(case["observe"]), default=repr)[:2000]))
            else:
                passed += 1
                print(f"ok    {case['name']}")
    finally:
        server.stop()
        backend.stop()
    problems = [m for m in ("AddressSanitizer", "runtime error:", "LeakSanitizer") if m in server.log_text()]
    if problems:
        print(f"conformance: the server log contains {problems}; see {server.log_path}")
        failed += 1
    elif failed:
        print(f"conformance: server logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"conformance: {time.monotonic() - started:.1f} s")
    print(f"{passed} passed, {failed} failed")
    if passed == 0:
        print("conformance: no case ran")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

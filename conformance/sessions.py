"""The conformance sessions: scripted client/backend/management-API interactions with the real
wsgate binary, each recording observations (an event the backend received, a frame the client
received, a management-API response) and session variables (the ids and times it saw), which the
cases in conformance/cases/ compare with the AWS captures (rules.py).

The server, the recording backend, the WebSocket client and the SigV4 signing are the shared test
kit's (tests/wsgatekit); this file adds only what the conformance sessions need on top: an
AWS-looking API (stage, region, apiId, host) and observations shaped for the rules engine.
"""
import base64
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
from rules import no_duplicates  # noqa: E402
from wsgatekit import mgmt, net, wsclient  # noqa: E402
from wsgatekit.backend import Answer, RecordingBackend  # noqa: E402
from wsgatekit.server import SANITIZER_MARKERS, WsgateServer  # noqa: E402

WAIT_S = 5.0  # how long to wait for an event or a frame

# What the server under test is configured with (a realistic AWS-looking API).
STAGE = "prod"
REGION = "us-east-1"
API_ID = "fjnq7njcv2"  # the real apiId visible in the Host header of ws-connect-2024-11
AWS_HOST = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHAT_BODY = '{"action": "chat", "message": "Hello from client"}'  # ws-message-2024-11 body
CREDENTIALS = ("AKIDCONFORMANCE", "conformance-secret-key")  # any key: the server runs --auth sigv4
# The session values every case may name besides what a session records.
BASE_VARS = {"stage": STAGE, "apiId": API_ID, "client_ip": "127.0.0.1"}


class SessionError(Exception):
    """The session could not produce an observation (server misbehaved or is incomplete)."""


# ---------------------------------------------------------------------------------------------
# The recording backend, the server under test
# ---------------------------------------------------------------------------------------------
class Backend:
    """The kit's RecordingBackend answering like a Lambda proxy ({"statusCode":200}), with events
    as the rules engine reads them: {"path", "raw", "time_ms", "json"} ("json_error" instead of
    "json" when the body is not JSON or repeats a key)."""

    def __init__(self):
        self.recorder = RecordingBackend(default=Answer(body={"statusCode": 200}))

    def url(self, path):
        return self.recorder.url(path)

    def mark(self):
        return self.recorder.mark()

    def wait_event(self, event_type, connection_id=None, route_key=None, after=0, timeout=WAIT_S, path=None):
        """The first recorded event (index >= after) matching; raises SessionError on timeout."""
        def match(r):
            rc = r.event.get("requestContext") if isinstance(r.event, dict) else None
            return (isinstance(rc, dict) and rc.get("eventType") == event_type
                    and (not connection_id or rc.get("connectionId") == connection_id)
                    and (not route_key or rc.get("routeKey") == route_key)
                    and (not path or r.path == path))
        try:
            record = self.recorder.wait_for(match, timeout, 1, after=after)[0]
        except AssertionError:
            raise SessionError(f"backend received no {event_type} event"
                               f"{' for ' + connection_id if connection_id else ''} within {timeout} s "
                               f"(received: {[r.path for r in self.recorder.records[after:]]})") from None
        entry = {"path": record.path, "raw": record.raw, "time_ms": int(record.received_at * 1000)}
        try:
            entry["json"] = json.loads(record.raw, object_pairs_hook=no_duplicates)
        except ValueError as e:
            entry["json_error"] = str(e)
        return entry

    def stop(self):
        self.recorder.close()


def start(binary, workdir):
    """Starts the recording backend and wsgate (configured as the AWS-looking API) on free
    loopback ports. Returns (env, server, backend); raises RuntimeError or OSError when wsgate
    cannot start (the backend is then stopped)."""
    backend = Backend()
    config = {
        "stage": STAGE, "region": REGION, "apiId": API_ID,
        "routeSelectionExpression": "$request.body.action",
        "routes": {
            "$connect": {"uri": backend.url("/connect")},
            "$disconnect": {"uri": backend.url("/disconnect")},
            "chat": {"uri": backend.url("/chat")},
            # AWS-FRM-3: an unreachable backend -> "Internal server error" frame
            "fail": {"uri": f"http://127.0.0.1:{net.unused_port()}/fail"},
        },
    }
    cfg_path = os.path.join(workdir, "wsgate-config.json")
    with open(cfg_path, "w") as f:
        json.dump(config, f)
    server = WsgateServer(["--config", cfg_path], os.path.join(workdir, "wsgate.log"), binary=binary)
    try:
        server.start()
    except (RuntimeError, OSError):
        server.stop()
        backend.stop()
        raise
    env = {"port": server.port, "backend": backend, "binary": binary, "config": config, "workdir": workdir}
    return env, server, backend


def sanitizer_reports(server):
    """The sanitizer markers found in the server's log."""
    text = server.log_text()
    return [m for m in SANITIZER_MARKERS if m in text]


# ---------------------------------------------------------------------------------------------
# Management API client (the kit's botocore SigV4 signing, any key)
# ---------------------------------------------------------------------------------------------
def mgmt_request(port, method, path, body=b"", sign=True):
    """Sends one management-API request; returns {"status", "headers" (list of pairs), "body"}."""
    resp = mgmt.raw_request(port, method, path, body, sign=sign, timeout=WAIT_S, credentials=CREDENTIALS,
                            region=REGION)
    return {"status": resp.status, "headers": resp.headers.items(), "body": resp.body}


def conn_path(connection_id, stage=STAGE):
    return mgmt.connection_path(connection_id, stage)


def sdk_error_code(port, op, connection_id):
    """Calls the management API through boto3 and returns what the SDK makes of the answer."""
    import botocore.exceptions
    client = mgmt.boto3_client(port, STAGE, credentials=CREDENTIALS, region=REGION)
    try:
        if op == "post":
            client.post_to_connection(ConnectionId=connection_id, Data=b"x")
        else:
            client.get_connection(ConnectionId=connection_id)
        return {"error": None}
    except botocore.exceptions.ClientError as e:
        return {"error": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}


# ---------------------------------------------------------------------------------------------
# WebSocket client (the kit's), as the captured clients behaved
# ---------------------------------------------------------------------------------------------
def ws_connect(port, query="", host=None, user_agent=None):
    key = base64.b64encode(os.urandom(16)).decode()
    # The header set of ws-connect-2024-11 (a ws/wscat client): Host, Sec-WebSocket-Extensions,
    # Sec-WebSocket-Key, Sec-WebSocket-Version (+ Connection/Upgrade, which AWS drops).
    header = {"Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
              "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"}
    if user_agent:
        header["User-Agent"] = user_agent
    url = f"ws://127.0.0.1:{port}/{STAGE}" + (f"?{query}" if query else "")
    ws = wsclient.connect(url, headers=header, timeout=WAIT_S, host=host, suppress_origin=True)
    return ws, key


def recv_text(ws):
    try:
        return wsclient.recv_text(ws, WAIT_S)
    except AssertionError as e:
        raise SessionError(str(e)) from None


def close_without_code(ws):
    """Sends a close frame with an empty payload (no status code) and waits for the server's."""
    wsclient.close_without_code(ws, WAIT_S)


def wait_close(ws):
    """Waits for the server's close frame; returns {"code": int or None}."""
    try:
        code, _, _ = wsclient.wait_close(ws, WAIT_S)
    except AssertionError:
        raise SessionError("no close frame from the server") from None
    # Only the code is observed: AWS's close reason for DeleteConnection is not known
    # (AWS-LIM-5, AWS-LIFE-11, inferred), so there is nothing to compare it with.
    return {"code": None if code == 1005 else code}


# ---------------------------------------------------------------------------------------------
# Sessions: each fills {observation label: value} and session variables
# ---------------------------------------------------------------------------------------------
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


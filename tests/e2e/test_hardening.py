"""Reliability and security, round 2 (issue 15, items 6-15): each test failed before its fix.

- SigV4 amplification: a 48 KB request must not cost more than a small multiple of its size.
- Strict mode refuses what AWS refuses (another region, unknown session tokens, a body that is not
  the signed one), with real boto3 clients where an SDK shows the behaviour.
- Log lines escape control bytes; /_wsgate/connections is guarded like @connections.
- Protocol: a 1-byte close payload fails with 1002; HTTP/1.0 handshakes get 400.
- The demo echo keeps U+0000; the test-control API range-checks `advance` and passes 123-byte
  close reasons whole; HTTP_PROXY header values with CR/LF are left out.
"""
import http.client
import json
import socket
import time

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from wsgatekit import mgmt, procstat, rawws, wsclient
from wsgatekit.rawws import OP_CLOSE, OP_TEXT, RawWs, build_frame

AKID, SECRET = mgmt.ACCESS_KEY, mgmt.SECRET_KEY


def send_raw_http(port, data, timeout=10.0):
    """Send raw request bytes; return (status, headers, body bytes) of the response."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        sock.sendall(data)
        status, headers, rest = rawws.read_http_response(sock, timeout=timeout)
        length = int(headers.get("content-length", "0"))
        deadline = time.monotonic() + timeout
        while len(rest) < length and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return status, headers, rest
    finally:
        sock.close()


def boto3_client(port, region="us-east-1", key=AKID, secret=SECRET, token=None):
    return boto3.client("apigatewaymanagementapi", endpoint_url=f"http://127.0.0.1:{port}/local",
                        region_name=region, aws_access_key_id=key, aws_secret_access_key=secret,
                        aws_session_token=token,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"},
                                      connect_timeout=5, read_timeout=10))


def error_of(call):
    with pytest.raises(Exception) as info:
        call()
    err = info.value.response["Error"]
    return err["Code"], err.get("Message", "")


# ---- item 6: canonical-request amplification ---------------------------------------------------

def amplification_request(port, names_repeated=True):
    """The issue's 48 KB request: a 40 KB header named 1,000 times in SignedHeaders (or once)."""
    big = "v" * (40 * 1024)
    signed = "host;x-amz-date;" + ";".join(["x-big"] * (1000 if names_repeated else 1))
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    auth = (f"AWS4-HMAC-SHA256 Credential={AKID}/{stamp[:8]}/us-east-1/execute-api/aws4_request, "
            f"SignedHeaders={signed}, Signature={'0' * 64}")
    head = (f"GET /local/@connections/abc HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Amz-Date: {stamp}\r\n"
            f"X-Big: {big}\r\nAuthorization: {auth}\r\n\r\n").encode()
    return head


@pytest.mark.parametrize("mode", ["sigv4", "strict"])
def test_signed_headers_amplification_is_bounded(wsgate, mode):
    server = wsgate("--auth", mode, "--credentials", f"{AKID}:{SECRET}")
    rss_before = procstat.rss_kb(server.proc.pid)
    for repeated in (True, False):
        request = amplification_request(server.port, repeated)
        assert len(request) < 52 * 1024 and (len(request) > 45 * 1024 or not repeated)
        status, headers, body = send_raw_http(server.port, request)
        assert status == 403
        # before: 160 MB of response for the repeated list; now a short refusal, and a capped quote
        assert len(body) < 20 * 1024, f"403 body of {len(body)} bytes for a {len(request)}-byte request"
        doc = json.loads(body)
        if repeated:
            assert headers.get("x-amzn-errortype", "").startswith("IncompleteSignatureException")
            assert "SignedHeaders must list each signed header once" in doc["message"]
        else:
            assert headers.get("x-amzn-errortype", "").startswith("InvalidSignatureException")
    rss_after = procstat.rss_kb(server.proc.pid)
    assert rss_after - rss_before < 64 * 1024, f"RSS grew {rss_after - rss_before} KB"


def test_unsorted_signed_headers_refused(wsgate, backend, open_client):
    server = wsgate("--backend", backend.url("/events"))
    _, connect = open_client(server, backend)
    cid = connect.context["connectionId"]
    request = AWSRequest(method="GET", url=f"http://{server.host}{mgmt.connection_path(cid)}",
                         headers={"Host": server.host})
    SigV4Auth(Credentials(AKID, SECRET), "execute-api", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    assert mgmt.raw_request(server.port, "GET", mgmt.connection_path(cid), headers=headers,
                            sign=False).status == 200
    headers["Authorization"] = headers["Authorization"].replace("SignedHeaders=host;x-amz-date",
                                                                "SignedHeaders=x-amz-date;host")
    resp = mgmt.raw_request(server.port, "GET", mgmt.connection_path(cid), headers=headers, sign=False)
    assert resp.status == 403
    assert resp.header("x-amzn-ErrorType").startswith("IncompleteSignatureException")


# ---- item 7: strict mode refuses what AWS refuses ----------------------------------------------

def test_strict_refuses_another_region(wsgate, backend, open_client):
    server = wsgate("--backend", backend.url("/events"), "--auth", "strict", "--credentials", f"{AKID}:{SECRET}")
    _, connect = open_client(server, backend)
    cid = connect.context["connectionId"]
    assert boto3_client(server.port).get_connection(ConnectionId=cid)["Identity"]["SourceIp"] == "127.0.0.1"
    code, message = error_of(lambda: boto3_client(server.port, region="eu-west-1").get_connection(ConnectionId=cid))
    assert code == "InvalidSignatureException"
    assert message == "Credential should be scoped to a valid region, not 'eu-west-1'. "


def test_strict_session_tokens(wsgate, backend, open_client, tmp_path):
    creds = tmp_path / "credentials"
    creds.write_text("[default]\naws_access_key_id = ASIAFILEKEY\naws_secret_access_key = file-secret\n"
                     "aws_session_token = file-token\n")
    server = wsgate("--backend", backend.url("/events"), "--auth", "strict",
                    "--credentials", "ASIAFLAGKEY:flag-secret:flag-token", "--credentials", f"{AKID}:{SECRET}",
                    "--credentials-file", str(creds))
    _, connect = open_client(server, backend)
    cid = connect.context["connectionId"]
    ok = [("ASIAFLAGKEY", "flag-secret", "flag-token"), ("ASIAFILEKEY", "file-secret", "file-token"),
          (AKID, SECRET, None)]
    for key, secret, token in ok:
        client = boto3_client(server.port, key=key, secret=secret, token=token)
        assert client.get_connection(ConnectionId=cid)["Identity"]["SourceIp"] == "127.0.0.1"
    bad = [("ASIAFLAGKEY", "flag-secret", "made-up-token"), ("ASIAFLAGKEY", "flag-secret", None),
           ("ASIAFILEKEY", "file-secret", "flag-token"), (AKID, SECRET, "any-token")]
    for key, secret, token in bad:
        client = boto3_client(server.port, key=key, secret=secret, token=token)
        code, message = error_of(lambda: client.get_connection(ConnectionId=cid))
        assert code == "UnrecognizedClientException", (key, token)
        assert message == "The security token included in the request is invalid."
    # sigv4 mode stays lenient: any well-formed signature
    lenient = wsgate("--backend", backend.url("/events"), "--auth", "sigv4")
    _, c2 = open_client(lenient, backend)
    boto3_client(lenient.port, token="made-up-token").get_connection(ConnectionId=c2.context["connectionId"])


def test_strict_refuses_a_body_other_than_the_signed_one(wsgate, backend, open_client):
    server = wsgate("--backend", backend.url("/events"), "--auth", "strict", "--credentials", f"{AKID}:{SECRET}")
    ws, connect = open_client(server, backend)
    cid = connect.context["connectionId"]
    path = mgmt.connection_path(cid)
    request = AWSRequest(method="POST", url=f"http://{server.host}{path}", data=b"signed body",
                         headers={"Host": server.host})
    SigV4Auth(Credentials(AKID, SECRET), "execute-api", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    assert "X-Amz-Content-SHA256" not in headers  # botocore's execute-api signer sends none ...
    tampered = b"tampered!!!"
    resp = mgmt.raw_request(server.port, "POST", path, tampered, headers=headers, sign=False)
    assert resp.status == 403 and resp.header("x-amzn-ErrorType").startswith("InvalidSignatureException")
    # ... and with the header naming the signed body's hash, the received body still counts
    import hashlib
    request = AWSRequest(method="POST", url=f"http://{server.host}{path}", data=b"signed body",
                         headers={"Host": server.host,
                                  "X-Amz-Content-SHA256": hashlib.sha256(b"signed body").hexdigest()})
    SigV4Auth(Credentials(AKID, SECRET), "execute-api", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    assert mgmt.raw_request(server.port, "POST", path, b"signed body", headers=headers, sign=False).status == 200
    assert wsclient.recv_text(ws) == "signed body"
    resp = mgmt.raw_request(server.port, "POST", path, tampered, headers=headers, sign=False)
    assert resp.status == 403
    assert hashlib.sha256(tampered).hexdigest() in resp.json()["message"]


# ---- item 8: log injection ---------------------------------------------------------------------

def test_log_lines_escape_control_bytes(gate, backend, open_client):
    """Client text reaches the log in many places; here a close reason (valid UTF-8, so AWS and
    wsgate accept it) carrying a newline, a forged timestamped line and a terminal escape."""
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    forged = "bye\n2026-01-01T00:00:00.000Z info  FORGED\x1b[31m"
    wsclient.close_with(ws, 4000, forged.encode())
    backend.wait_for_event("$disconnect", connection_id=cid)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "FORGED\\x1b" not in gate.log_text():
        time.sleep(0.05)
    text = gate.log_text()
    assert "\x1b" not in text
    for line in text.splitlines():
        assert not line.startswith("2026-01-01T00:00:00.000Z"), f"forged line: {line!r}"
    assert 'reason="bye\\n2026-01-01T00:00:00.000Z info  FORGED\\x1b[31m"' in text


# ---- item 9: who can reach the connection list -------------------------------------------------

def test_connection_list_is_guarded(wsgate, backend, open_client):
    server = wsgate("--backend", backend.url("/events"))
    open_client(server, backend)
    status, body, _ = server.get_json("/_wsgate/connections")
    assert status == 403 and body == {"message": "Missing Authentication Token"}
    assert len(server.connections()) == 1          # signed like a management call: listed
    strict = wsgate("--backend", backend.url("/events"), "--auth", "strict", "--credentials", f"{AKID}:{SECRET}")
    resp = mgmt.raw_request(strict.port, "GET", "/_wsgate/connections", credentials=("AKIDMADEUP", "x"))
    assert resp.status == 403 and resp.header("x-amzn-ErrorType").startswith("UnrecognizedClientException")
    assert strict.connections(credentials=(AKID, SECRET)) == []
    with_control = wsgate("--backend", backend.url("/events"), "--test-control")
    assert with_control.get_json("/_wsgate/connections")[0] == 200
    open_auth = wsgate("--backend", backend.url("/events"), "--auth", "none")
    assert open_auth.get_json("/_wsgate/connections")[0] == 200


def test_no_exposure_warning_on_loopback(wsgate):
    server = wsgate()
    assert "a signature from any made-up key is accepted" not in server.log_text()


# ---- item 11: HTTP_PROXY header values -----------------------------------------------------------

def test_http_proxy_header_injection_left_out(wsgate, backend):
    config = {"routes": {
        "$connect": {"integration": "http_proxy", "uri": backend.url("/proxy/connect")},
        "send": {"integration": "http_proxy", "uri": backend.url("/proxy/send"),
                 "requestParameters": {"integration.request.header.X-Name": "route.request.body.name",
                                       "integration.request.header.X-Safe": "route.request.body.safe",
                                       "integration.request.querystring.q": "route.request.body.name"}}}}
    server = wsgate(config=config)
    ws = wsclient.connect(server.ws_url())
    backend.wait_for(lambda r: r.path.startswith("/proxy/connect"), what="connect")
    ws.send(json.dumps({"action": "send", "name": "a\r\nX-Injected: 1", "safe": "tab\tok"}))
    req = backend.wait_for(lambda r: r.path.startswith("/proxy/send"), what="send")[0]
    assert req.header("X-Injected") is None
    assert req.header("X-Name") is None
    assert req.header("X-Safe") == "tab\tok"
    assert req.path == "/proxy/send?q=a%0D%0AX-Injected%3A%201"   # the query value is encoded
    assert "request parameter X-Name left out" in server.log_text()
    ws.close()


# ---- item 12: close frame with a 1-byte payload ------------------------------------------------

def test_close_with_one_byte_payload_fails_with_1002(gate, backend):
    client = RawWs.open(gate.port, headers=["X-E2e-Raw: one-byte-close"])
    rec = backend.wait_for_event("$connect", predicate=lambda r: (r.event.get("headers") or {}).get("X-E2e-Raw") == "one-byte-close")
    client.send_raw(build_frame(OP_CLOSE, b"\x03"))
    frame = client.read_frame(timeout=5)
    assert frame is not None and frame[1] == OP_CLOSE
    assert wsclient.parse_close(frame[2])[0] == 1002
    disc = backend.wait_for_event("$disconnect", connection_id=rec.connection_id)
    assert disc.context["disconnectStatusCode"] == 1002


# ---- item 13: HTTP/1.0 handshakes --------------------------------------------------------------

def test_http10_handshake_is_refused(gate, backend):
    request = rawws.handshake_request("/local", gate.host).replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    status, _, _ = send_raw_http(gate.port, request)
    assert status == 400
    assert backend.events("$connect") == []
    ws = wsclient.connect(gate.ws_url())  # HTTP/1.1 still upgrades
    ws.close()


# ---- item 14: the demo echo keeps U+0000 ---------------------------------------------------------

def test_demo_echo_keeps_nul(wsgate):
    server = wsgate()
    ws = wsclient.connect(server.ws_url())
    for text in ("a\u0000b", '{"action":"echo","message":"x\u0000y"}', "plain"):
        ws.send(text)
        assert wsclient.recv_text(ws) == text
    ws.close()


def test_demo_echo_in_strict_mode_with_a_session_token(wsgate):
    """The demo signs its PostToConnection with the first key, and its session token: strict mode
    (which now refuses a key used without its token) still echoes."""
    server = wsgate("--auth", "strict", "--credentials", "ASIADEMOKEY:demo-secret:demo-token")
    ws = wsclient.connect(server.ws_url())
    ws.send("through strict mode")
    assert wsclient.recv_text(ws) == "through strict mode"
    ws.close()


# ---- item 15: test control ---------------------------------------------------------------------

def _test_api(server, path, body):
    return mgmt.raw_request(server.port, "POST", "/_wsgate/test/" + path, body=json.dumps(body).encode(),
                            headers={"Content-Type": "application/json"}, sign=False)


def test_advance_range_checked(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--test-control")
    ws, connect = open_client(gate, backend)
    for bad in (1e300, 1e19, -1, 1e9 + 1):
        resp = _test_api(gate, "advance", {"seconds": bad})
        assert resp.status == 400, bad
    assert ws.connected
    assert _test_api(gate, "advance", {"seconds": 1e9}).status == 200   # the largest accepted
    code, _, _ = wsclient.wait_close(ws, timeout=5)
    assert code == 1001


def test_close_reason_of_123_bytes_reaches_disconnect(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--test-control")
    reason = "r" * 100 + "é" * 11 + "x"          # 123 bytes of UTF-8
    assert len(reason.encode()) == 123
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    assert _test_api(gate, f"connections/{cid}/close", {"code": 4000, "reason": reason}).status == 202
    assert wsclient.wait_close(ws, timeout=5)[:2] == (4000, reason)
    rec = backend.wait_for_event("$disconnect", connection_id=cid)
    assert rec.context["disconnectReason"] == reason
    # and from the client's own close frame
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    wsclient.close_with(ws, 4001, reason.encode())
    rec = backend.wait_for_event("$disconnect", connection_id=cid)
    assert (rec.context["disconnectStatusCode"], rec.context["disconnectReason"]) == (4001, reason)


# ---- item 9: the container's entrypoint keeps secrets out of the command line --------------------

def test_entrypoint_keeps_secrets_out_of_argv(tmp_path, backend):
    """docker/entrypoint.sh run directly (no container needed): WSGATE_CREDENTIALS reaches wsgate
    through its environment, never as an argument, and strict mode accepts the key."""
    import os
    import re
    import subprocess
    from wsgatekit.server import REPO_ROOT, wsgate_binary
    secret = "entrypoint-secret-value"
    env = dict(os.environ, WSGATE_BIN=str(wsgate_binary()), WSGATE_HOST="127.0.0.1", WSGATE_PORT="0",
               WSGATE_AUTH="strict", WSGATE_CREDENTIALS=f"AKIDENTRY:{secret}, AKIDTWO:two-secret:two-token",
               WSGATE_BACKEND=backend.url("/events"), TMPDIR=str(tmp_path))
    log_path = tmp_path / "entrypoint.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["sh", str(REPO_ROOT / "docker" / "entrypoint.sh")], env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        port = None
        while time.monotonic() < deadline and port is None:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", log_path.read_text(errors="replace"))
            port = int(m.group(1)) if m else None
            assert proc.poll() is None, log_path.read_text()
            time.sleep(0.05)
        assert port, log_path.read_text()
        cmdline = open(f"/proc/{proc.pid}/cmdline", "rb").read()   # exec'd: wsgate itself
        assert b"wsgate" in cmdline and b"--auth\x00strict" in cmdline
        assert secret.encode() not in cmdline and b"two-secret" not in cmdline
        assert b"--credentials" not in cmdline
        assert mgmt.raw_request(port, "GET", "/_wsgate/connections", credentials=("AKIDENTRY", secret)).status == 200
        resp = mgmt.raw_request(port, "GET", "/_wsgate/connections", credentials=("AKIDENTRY", "wrong"))
        assert resp.status == 403
    finally:
        proc.terminate()
        proc.wait(timeout=10)

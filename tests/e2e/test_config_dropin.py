"""Config files that drop in unchanged (issue 17, items 5-8): aws-apigw-ws-emulator's own
gateway.config.yaml as its repository ships it, its flags and its http integration mode; YAML
written into a .json file (`cdk synth > chat.template.json`); the unmapped-function error; the
start-up lines that list every route. The real binary, real clients, real backends, loopback only.
"""
import hashlib
import json
from pathlib import Path

import websocket

from wsgatekit import mgmt, wsclient
from wsgatekit.server import REPO_ROOT, run_cli

DATA = REPO_ROOT / "tests" / "data" / "config"
SHIPPED = DATA / "aws-apigw-ws-emulator" / "gateway.config.yaml"
# git's blob id of gateway.config.yaml at m1heng/aws-apigw-ws-emulator@7fb87e17 (see the README next to it)
SHIPPED_BLOB = "aeb62e1f0f709f3f291f175fd2e1c01643c47a65"


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_the_emulators_file_is_byte_for_byte_the_shipped_one():
    data = SHIPPED.read_bytes()
    assert git_blob_id(data) == SHIPPED_BLOB
    assert b"integrationMode: lambda_proxy" in data


def test_the_shipped_file_starts_unchanged_with_unsigned_management_calls(wsgate):
    """Its lambda_proxy mode is accepted, every route is listed at start-up, and its README's
    unsigned `curl -X POST .../@connections/{id}` is not refused (auth none, said at start-up)."""
    server = wsgate("-c", str(SHIPPED))
    log = server.log_text()
    for route, path in (("$connect", "connect"), ("$disconnect", "disconnect"), ("$default", "default")):
        assert f"route {route:<12} -> http: the Lambda proxy event POSTed to http://localhost:8080/ws/{path}" in log, log
    assert "--auth none because" in log and "aws-apigw-ws-emulator config" in log, log
    assert "(auth: none)" in log
    # served at the root like the emulator; unsigned: an unknown id is 410, not 403
    resp = mgmt.post(server.port, "AAAAAAAAAAAAAAA=", b"hi", stage="", sign=False)
    assert resp.status == 410, resp
    # an explicit --auth wins, and then no such line
    signed = wsgate("-c", str(SHIPPED), "--auth", "sigv4")
    assert "--auth none because" not in signed.log_text()
    resp = mgmt.post(signed.port, "AAAAAAAAAAAAAAA=", b"hi", stage="", sign=False)
    assert resp.status == 403 and resp.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"


def test_the_emulators_flags_keep_working(wsgate):
    """-p -s -m -c -v -h, --integration-mode, --idle-timeout, --hard-timeout (its cli.ts; it reads
    no environment variable)."""
    server = wsgate("-s", "dev", "-m", "lambda_proxy", "-c", str(SHIPPED), "-v", "--idle-timeout", "5",
                    "--hard-timeout", "60", "--integration-mode", "lambda_proxy")
    assert "route $default" in server.log_text()
    help_out = run_cli(["-h"])
    assert help_out.returncode == 0 and b"--integration-mode" in help_out.stdout
    bad = run_cli(["-c", str(SHIPPED), "-m", "soap"])
    assert bad.returncode == 2 and b"--integration-mode expects lambda_proxy or http" in bad.stderr
    not_emulator = run_cli(["-m", "http"])
    assert not_emulator.returncode == 2 and b"applies to an aws-apigw-ws-emulator config" in not_emulator.stderr


def emulator_copy(tmp_path, backend, mode=None):
    """The shipped file with only its backend URLs pointed at `backend` (and integrationMode set)."""
    text = SHIPPED.read_text().replace("http://localhost:8080/ws", backend.url("/ws"))
    if mode is not None:
        text = text.replace("integrationMode: lambda_proxy", f"integrationMode: {mode}")
    path = tmp_path / "gateway.config.yaml"
    path.write_text(text)
    return path


def test_http_mode_forwards_the_query_and_the_emulators_headers(wsgate, backend, tmp_path):
    for use_flag in (False, True):        # integrationMode: http in the file, or -m http
        path = emulator_copy(tmp_path, backend, None if use_flag else "http")
        server = wsgate("-c", str(path), *(["-m", "http"] if use_flag else []))
        before = sum(1 for r in backend.records if r.path.startswith("/ws/connect"))
        ws = wsclient.connect(f"ws://127.0.0.1:{server.port}/?token=abc&room=r%201")
        connect = backend.wait_for(lambda r: r.path.startswith("/ws/connect"), count=before + 1)[-1]
        assert connect.path == "/ws/connect?token=abc&room=r%201", connect.path
        cid = connect.header("connectionId")
        assert cid and connect.header("X-Event-Type") == "CONNECT" and connect.header("X-Route-Key") == "$connect"
        assert connect.header("X-Amzn-Apigateway-Stage") == "dev"
        ws.send("raw text")
        message = [r for r in backend.wait_for(lambda r: r.path == "/ws/default", count=before + 1)][-1]
        assert message.raw == b"raw text"
        assert message.header("connectionId") == cid and message.header("X-Event-Type") == "MESSAGE"
        # the emulator README's unsigned curl, at the root
        resp = mgmt.post(server.port, cid, b'{"type": "message", "data": "Hello!"}', stage="", sign=False)
        assert resp.status == 200
        assert wsclient.recv_text(ws) == '{"type": "message", "data": "Hello!"}'
        wsclient.close_with(ws, 1000, b"bye")
        gone = backend.wait_for(lambda r: r.path.startswith("/ws/disconnect") and r.header("connectionId") == cid)[0]
        assert gone.header("X-Disconnect-Status-Code") == "1000" and gone.header("X-Disconnect-Reason") == "bye"
        server.stop()


def test_yaml_written_into_a_json_file_is_read_as_yaml(wsgate, backend, tmp_path):
    """`cdk synth > chat.template.json` writes YAML: the content decides, not the name."""
    template = tmp_path / "chat.template.json"
    template.write_text((DATA / "sam-chat.template.yaml").read_text())
    functions = {"OnConnectFunction": "/connect", "OnDisconnectFunction": "/disconnect",
                 "DefaultFunction": "/default", "SendMessageFunction": "/sendmessage"}
    args = ["-c", str(template)]
    for name, path in functions.items():
        args += ["--function", f"{name}={backend.url(path)}"]
    server = wsgate(*args)
    assert f"route $connect     -> http: the Lambda proxy event POSTed to {backend.url('/connect')}" in server.log_text()
    ws = wsclient.connect(server.ws_url("Prod"))
    backend.wait_for(lambda r: r.path == "/connect")
    ws.close()
    broken = tmp_path / "broken.template.json"
    broken.write_text("Resources:\n  Api: [unclosed\n")
    out = run_cli(["-c", str(broken)])
    assert out.returncode == 2, out
    assert b"(read as YAML: the content does not start with '{' or '[')" in out.stderr, out.stderr
    assert str(broken).encode() + b":3:1:" in out.stderr, out.stderr


def test_unmapped_functions_are_counted_once_each(tmp_path):
    """Four routes backed by three functions: "3 functions", every route still named."""
    text = (DATA / "sam-chat.template.yaml").read_text()
    assert "!GetAtt DefaultFunction.Arn" in text
    template = tmp_path / "three.template.yaml"
    template.write_text(text.replace("!GetAtt DefaultFunction.Arn", "!GetAtt OnConnectFunction.Arn"))
    out = run_cli(["-c", str(template)])
    err = out.stderr.decode()
    assert out.returncode == 2 and "3 functions are not mapped to a target" in err, err
    assert "OnConnectFunction (routes.$connect)" in err and "OnConnectFunction (routes.$default)" in err, err
    assert err.rstrip().endswith("entry in the config file"), err   # the whole message, not cut


def test_start_up_lists_routes_without_verbose(wsgate, backend, tmp_path):
    config = {"backend": backend.url("/events"), "routes": {
        "$connect": {}, "ping": {"integration": "mock", "response": {"statusCode": 200, "body": "pong"}, "twoWay": True},
        "send": {"integration": "http_proxy", "uri": backend.url("/send"), "method": "PUT"},
        "fn": {"integration": "lambda", "uri": backend.url(""), "function": "chat-fn"}}}
    log = wsgate(config=config).log_text()
    assert f"route $connect     -> http: the Lambda proxy event POSTed to {backend.url('/events')}" in log, log
    assert "route ping         -> mock: statusCode 200 (two-way)" in log, log
    assert f"route send         -> http_proxy: PUT {backend.url('/send')} (the raw message)" in log, log
    assert f"route fn           -> lambda: function chat-fn through the Invoke API at {backend.url('')}" in log, log

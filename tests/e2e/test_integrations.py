"""Every integration type (issue 7; AWS-INT, AWS-FRM): Lambda Invoke, HTTP_PROXY with request
parameters, MOCK, and the "functions" / --function mapping."""
import json
import time

import pytest
import websocket

from wsgatekit import aws, wsclient
from wsgatekit.lambda_invoke import LambdaInvokeStub
from wsgatekit.server import run_cli

INTERNAL_ERROR = aws.error_frame_re("Internal server error")


@pytest.fixture
def lam():
    stub = LambdaInvokeStub()
    yield stub
    stub.close()


def proxy_echo(event):
    """A Lambda proxy handler: accepts $connect/$disconnect, echoes messages."""
    ctx = event["requestContext"]
    if ctx["eventType"] != "MESSAGE":
        return {"statusCode": 200}
    return {"statusCode": 200, "body": "echo:" + event["body"]}


def lambda_config(lam, function="function", **routes_extra):
    routes = {key: {"integration": "lambda", "uri": lam.url, "function": function}
              for key in ("$connect", "$disconnect", "$default")}
    routes["$default"]["twoWay"] = True
    routes.update(routes_extra)
    return {"routes": routes}


# ---- Lambda Invoke API ----------------------------------------------------------------------------

def test_lambda_invoke_rie_path_signed_and_proxy_result(wsgate, lam):
    lam.add_function("function", proxy_echo)   # aws-lambda-rie serves exactly this name
    server = wsgate("--credentials", "AKIDLAMBDATEST:secret", "--region", "eu-west-2",
                    config=lambda_config(lam))
    ws = wsclient.connect(server.ws_url())
    connect = lam.wait_for_route("function", "$connect")
    assert connect.path == "/2015-03-31/functions/function/invocations"
    assert connect.auth is not None, connect.header("Authorization")
    assert connect.auth["akid"] == "AKIDLAMBDATEST"
    assert connect.auth["service"] == "lambda"
    assert connect.auth["region"] == "eu-west-2"
    assert "host" in connect.auth["signed"].split(";") and "x-amz-date" in connect.auth["signed"].split(";")
    assert connect.header("X-Amz-Date")
    assert connect.header("Content-Type") == "application/json"
    assert list(connect.event["requestContext"]) == aws.CONNECT_CONTEXT_KEYS

    ws.send(json.dumps({"action": "x", "n": 1}))
    assert wsclient.recv_text(ws) == 'echo:{"action": "x", "n": 1}'
    message = lam.wait_for_route("function", "$default")
    assert list(message.event["requestContext"]) == aws.MESSAGE_CONTEXT_KEYS
    ws.close()
    disconnect = lam.wait_for_route("function", "$disconnect")
    assert disconnect.event["requestContext"]["disconnectStatusCode"] == 1000


def test_lambda_dummy_key_without_credentials(wsgate, lam, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    lam.add_function("function", proxy_echo)
    server = wsgate(config=lambda_config(lam))
    ws = wsclient.connect(server.ws_url())
    inv = lam.wait_for_route("function", "$connect")
    assert inv.auth is not None and inv.auth["region"] == "us-east-1"
    ws.close()


def test_lambda_function_error_on_connect_is_502(wsgate, lam):
    def boom(event):
        raise RuntimeError("handler crashed")
    lam.add_function("function", boom)
    server = wsgate(config=lambda_config(lam))
    assert wsclient.handshake_status(server.ws_url()) == 502


@pytest.mark.parametrize("without_header", [False, True], ids=["X-Amz-Function-Error", "error-document"])
def test_lambda_function_error_on_message_is_internal_server_error(wsgate, lam, without_header):
    def handler(event):
        if event["requestContext"]["eventType"] == "MESSAGE":
            raise ValueError("bad message")
        return {"statusCode": 200}
    lam.add_function("function", handler, error_without_header=without_header)
    server = wsgate(config=lambda_config(lam))
    ws = wsclient.connect(server.ws_url())
    ws.send("hello")
    frame = wsclient.recv_text(ws)
    match = INTERNAL_ERROR.match(frame)
    assert match, frame
    ws.send("again")   # the connection stays open
    assert INTERNAL_ERROR.match(wsclient.recv_text(ws))
    ws.close()


def test_lambda_status_code_rejects_connect(wsgate, lam):
    lam.add_function("function", lambda event: {"statusCode": 401, "body": "no"})
    server = wsgate(config=lambda_config(lam))
    assert wsclient.handshake_status(server.ws_url()) == 401


def test_lambda_subprotocol_header_on_101(wsgate, lam):
    lam.add_function("function", lambda event: {"statusCode": 200,
                                                "headers": {"Sec-WebSocket-Protocol": "chat.v1"}})
    server = wsgate(config=lambda_config(lam))
    ws = wsclient.connect(server.ws_url(), subprotocols=["chat.v1", "chat.v0"])
    assert ws.getsubprotocol() == "chat.v1"
    ws.close()


def test_lambda_unknown_function_is_502(wsgate, lam):
    server = wsgate(config=lambda_config(lam, function="missing"))
    assert wsclient.handshake_status(server.ws_url()) == 502


def test_lambda_unreachable_is_502(wsgate, unused_port):
    config = {"routes": {"$connect": {"integration": "lambda", "uri": f"http://127.0.0.1:{unused_port}",
                                      "function": "f"}}}
    server = wsgate(config=config)
    assert wsclient.handshake_status(server.ws_url()) == 502


# ---- functions / --function ---------------------------------------------------------------------

def test_function_flag_maps_logical_ids(wsgate, lam, backend):
    lam.add_function("function", proxy_echo)
    config = {"routes": {"$connect": {"function": "ConnectFn"},
                         "$default": {"function": "ChatFn", "twoWay": True}}}
    server = wsgate("--function", f"ChatFn=lambda:{lam.url}/function",
                    "--function", "ConnectFn=" + backend.url("/connect"), config=config)
    ws = wsclient.connect(server.ws_url())
    assert backend.wait_for_event("$connect").path == "/connect"   # an http function
    ws.send("hi")
    assert wsclient.recv_text(ws) == "echo:hi"                      # a lambda function
    ws.close()


def test_functions_section_in_config(wsgate, lam):
    lam.add_function("chat-handler", proxy_echo)
    config = {"functions": {"Chat": {"integration": "lambda", "uri": lam.url, "function": "chat-handler"}},
              "routes": {"$default": {"function": "Chat", "twoWay": True}}}
    server = wsgate(config=config)
    ws = wsclient.connect(server.ws_url())
    ws.send("x")
    assert wsclient.recv_text(ws) == "echo:x"
    ws.close()


def test_unmapped_functions_one_error_listing_all(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({
        "routes": {"$connect": {"function": "ConnectFn"}, "$default": {"function": "ChatFn"}},
        "authorizer": {"function": "AuthFn"}}))
    result = run_cli(["--config", str(path)])
    assert result.returncode == 2
    err = result.stderr.decode()
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for name in ("ConnectFn", "ChatFn", "AuthFn"):
        assert name in err
    assert "--function" in err and "lambda:http://" in err


@pytest.mark.parametrize("config, words", [
    ({"routes": {"$default": {"uri": "http://127.0.0.1:1/x", "colour": "red"}}}, ["routes.$default.colour"]),
    ({"routes": {"$default": {"integration": "mock", "response": {"statusCode": "200"}}}},
     ["routes.$default.response.statusCode"]),
    ({"routes": {"$default": {"integration": "http_proxy", "uri": "http://127.0.0.1:1/",
                              "requestParameters": {"integration.request.header.X": "route.request.header.Y"}}}},
     ["only on $connect"]),
    ({"routes": {"$default": {"integration": "http_proxy", "uri": "http://127.0.0.1:1/",
                              "requestParameters": {"integration.request.header.X": "context.nope"}}}},
     ["context.nope"]),
    ({"apiKeys": "k"}, ["apiKeys"]),
    ({"routes": {"$connect": {"uri": "http://127.0.0.1:1/", "authorizationType": "CUSTOM"}}}, ["authorizer"]),
], ids=["unknown-route-key", "mock-status-type", "header-on-message", "unknown-context", "apikeys-type",
        "custom-without-authorizer"])
def test_config_errors_name_file_and_key(tmp_path, config, words):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(config))
    result = run_cli(["--config", str(path)])
    assert result.returncode == 2
    err = result.stderr.decode()
    for word in words:
        assert word in err, err
    if "authorizer" not in words:
        assert "bad.json" in err, err


# ---- HTTP_PROXY --------------------------------------------------------------------------------

def http_proxy_config(backend, **extra):
    config = {
        "stageVariables": {"tenant": "acme"},
        "routes": {
            "$connect": {"integration": "http_proxy", "uri": backend.url("/proxy/connect"), "method": "GET",
                         "requestParameters": {
                             "integration.request.header.ConnectionId": "context.connectionId",
                             "integration.request.header.X-Auth": "route.request.header.Authorization",
                             "integration.request.querystring.token": "route.request.querystring.token",
                             "integration.request.querystring.missing": "route.request.header.X-Not-Sent"}},
            "$disconnect": {"integration": "http_proxy", "uri": backend.url("/proxy/disconnect"),
                            "requestParameters": {
                                "integration.request.header.ConnectionId": "context.connectionId",
                                "integration.request.header.X-Event": "context.eventType"}},
            "sendMessage": {"integration": "http_proxy", "uri": backend.url("/proxy/message?fixed=1"),
                            "method": "PUT", "twoWay": True,
                            "requestParameters": {
                                "integration.request.header.ConnectionId": "context.connectionId",
                                "integration.request.header.X-Message-Id": "context.messageId",
                                "integration.request.header.X-Source-Ip": "context.identity.sourceIp",
                                "integration.request.header.X-Static": "'fixed value'",
                                "integration.request.header.X-Tenant": "stageVariables.tenant",
                                "integration.request.querystring.room": "route.request.body.meta.room",
                                "integration.request.querystring.n": "route.request.body.n",
                                "integration.request.querystring.route": "context.routeKey"}},
        },
    }
    config.update(extra)
    return config


def wait_path(backend, prefix):
    return backend.wait_for(lambda r: r.path.startswith(prefix), what=prefix)[0]


# inferred: AWS-INT-15, AWS-INT-16, AWS-INT-17 (wsgate's choice, not a capture of AWS)
def test_http_proxy_connect_mapping_and_empty_body(wsgate, backend):
    server = wsgate(config=http_proxy_config(backend))
    ws = wsclient.connect(server.ws_url(query="token=t%20ok&x=1"), headers=["Authorization: Bearer abc"])
    req = wait_path(backend, "/proxy/connect")
    assert req.method == "GET"
    assert req.raw == b""
    assert aws.ID_RE.match(req.header("ConnectionId"))
    assert req.header("X-Auth") == "Bearer abc"
    assert req.path == "/proxy/connect?token=t%20ok"          # unresolvable mappings are left out
    ws.close()
    req = wait_path(backend, "/proxy/disconnect")
    assert req.method == "POST" and req.raw == b""
    assert req.header("X-Event") == "DISCONNECT"


# inferred: AWS-INT-15, AWS-INT-16, AWS-INT-17 (wsgate's choice, not a capture of AWS)
def test_http_proxy_message_raw_body_mapped_values_two_way(wsgate, backend):
    backend.set_answer("/proxy/message", status=200, body="plain answer", headers={"Content-Type": "text/plain"})
    server = wsgate(config=http_proxy_config(backend))
    ws = wsclient.connect(server.ws_url())
    conn_id = aws.ID_RE.match(wait_path(backend, "/proxy/connect").header("ConnectionId")).group(0)
    body = '{"action": "sendMessage", "n": 7, "meta": {"room": "r 1"}}'
    ws.send(body)
    assert wsclient.recv_text(ws) == "plain answer"
    req = wait_path(backend, "/proxy/message")
    assert req.method == "PUT"
    assert req.raw.decode() == body                            # forwarded unchanged
    assert req.event is not None and "requestContext" not in req.event
    assert req.header("ConnectionId") == conn_id
    assert aws.ID_RE.match(req.header("X-Message-Id"))
    assert req.header("X-Source-Ip") == "127.0.0.1"
    assert req.header("X-Static") == "fixed value"
    assert req.header("X-Tenant") == "acme"
    assert req.path == "/proxy/message?fixed=1&room=r%201&n=7&route=sendMessage"
    ws.close()


# inferred: AWS-INT-13 (wsgate's choice, not a capture of AWS)
def test_http_proxy_5xx_is_internal_server_error(wsgate, backend):
    backend.set_answer("/proxy/message", status=503, body="down")
    server = wsgate(config=http_proxy_config(backend))
    ws = wsclient.connect(server.ws_url())
    ws.send('{"action": "sendMessage"}')
    assert INTERNAL_ERROR.match(wsclient.recv_text(ws))
    ws.close()


# inferred: AWS-INT-16 (wsgate's choice, not a capture of AWS)
def test_http_proxy_connect_status_counts(wsgate, backend):
    backend.set_answer("/proxy/connect", status=403, body="go away")
    server = wsgate(config=http_proxy_config(backend))
    assert wsclient.handshake_status(server.ws_url()) == 403


# inferred: AWS-INT-16 (wsgate's choice, not a capture of AWS)
def test_http_proxy_body_not_read_as_proxy_result(wsgate, backend):
    backend.set_answer("/proxy/message", status=200, body={"statusCode": 500, "body": "x"})
    server = wsgate(config=http_proxy_config(backend))
    ws = wsclient.connect(server.ws_url())
    ws.send('{"action": "sendMessage"}')
    assert json.loads(wsclient.recv_text(ws)) == {"statusCode": 500, "body": "x"}
    ws.close()


# ---- MOCK --------------------------------------------------------------------------------------

def test_mock_connect_and_two_way_body(wsgate):
    config = {"routes": {
        "$connect": {"integration": "mock", "response": {"statusCode": 200}},
        "ping": {"integration": "mock", "twoWay": True, "response": {"statusCode": 200, "body": "pong"}},
        "json": {"integration": "mock", "twoWay": True, "response": {"body": {"ok": True}}},
        "$default": {"integration": "mock", "response": {"body": "one-way: never sent"}},
    }}
    server = wsgate(config=config)
    ws = wsclient.connect(server.ws_url())
    ws.send('{"action": "ping"}')
    assert wsclient.recv_text(ws) == "pong"
    ws.send('{"action": "json"}')
    assert wsclient.recv_text(ws) == '{"ok":true}'
    ws.send('{"action": "other"}')               # one-way: nothing comes back
    ws.send('{"action": "ping"}')
    assert wsclient.recv_text(ws) == "pong"
    ws.close()


def test_mock_connect_status_rejects(wsgate):
    config = {"routes": {"$connect": {"integration": "mock", "response": {"statusCode": 403}},
                         "$default": {"integration": "mock"}}}
    server = wsgate(config=config)
    assert wsclient.handshake_status(server.ws_url()) == 403


def test_demo_still_works_next_to_new_types(wsgate):
    config = {"routes": {"$default": {"integration": "demo"}, "ping": {"integration": "mock", "twoWay": True,
                                                                      "response": {"body": "pong"}}}}
    server = wsgate("--auth", "none", config=config)
    ws = wsclient.connect(server.ws_url())
    ws.send('{"action": "ping"}')
    assert wsclient.recv_text(ws) == "pong"
    ws.send("echo me")
    assert wsclient.recv_text(ws) == "echo me"
    ws.close()

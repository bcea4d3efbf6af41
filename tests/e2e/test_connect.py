"""$connect: the event the backend gets (AWS-EV-2, AWS-EV-8, AWS-HDR, AWS-QS) and the
handshake outcome (AWS-INT-7..14)."""
import pytest
import websocket

from wsgatekit import aws, wsclient
from wsgatekit.config import routes_config


# inferred: AWS-QS-5 (the decoding) (wsgate's choice, not a capture of AWS)
def test_connect_event_headers_and_query(gate, backend, open_client):
    ws, rec = open_client(gate, backend,
                          query="name=J%C3%BCrgen%20X&token=a%2Bb%3D",
                          headers=["X-Custom-Header: Hello World", "x-lower-spelling: yes"])
    event = rec.event
    assert rec.method == "POST"
    assert (rec.header("Content-Type") or "").startswith("application/json")
    assert list(event) == ["headers", "multiValueHeaders", "queryStringParameters",
                           "multiValueQueryStringParameters", "requestContext", "isBase64Encoded"]
    headers = event["headers"]
    # Client headers keep the client's spelling (AWS-HDR-3).
    assert headers["X-Custom-Header"] == "Hello World"
    assert headers["x-lower-spelling"] == "yes"
    assert headers["Host"] == gate.host
    assert headers["Sec-WebSocket-Version"] == "13"
    assert "Sec-WebSocket-Key" in headers
    # Connection and Upgrade are dropped (rule 1), in any spelling.
    lowered = {k.lower() for k in headers}
    assert "connection" not in lowered and "upgrade" not in lowered
    # AWS-added headers (rule 2).
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Port"].isdigit()
    assert headers["X-Forwarded-Proto"] in ("http", "https")
    trace = aws.TRACE_ID_RE.match(headers["X-Amzn-Trace-Id"])
    assert trace, headers["X-Amzn-Trace-Id"]
    assert abs(int(trace.group(1), 16) - event["requestContext"]["requestTimeEpoch"] // 1000) <= 1
    # Sorted case-insensitively (rule 4).
    keys = list(headers)
    assert keys == sorted(keys, key=str.lower), keys
    # multiValueHeaders: same keys, same order, one-element arrays (rule 5).
    assert list(event["multiValueHeaders"]) == keys
    assert all(event["multiValueHeaders"][k] == [v] for k, v in headers.items())
    # Query decoded (inferred: AWS-QS-5).
    assert event["queryStringParameters"] == {"name": "Jürgen X", "token": "a+b="}
    assert event["multiValueQueryStringParameters"] == {"name": ["Jürgen X"], "token": ["a+b="]}
    assert event["isBase64Encoded"] is False


def test_connect_request_context(gate, backend, open_client):
    ws, rec = open_client(gate, backend)
    event = rec.event
    # No query: both query keys absent (AWS-QS-1).
    assert list(event) == ["headers", "multiValueHeaders", "requestContext", "isBase64Encoded"]
    ctx = event["requestContext"]
    assert list(ctx) == aws.CONNECT_CONTEXT_KEYS
    aws.check_common_context(ctx)
    assert ctx["routeKey"] == "$connect"
    assert ctx["eventType"] == "CONNECT"
    assert len(ctx["connectionId"]) == 16 and ctx["connectionId"].endswith("=")
    assert ctx["connectionId"] != ctx["requestId"]
    assert abs(ctx["connectedAt"] - ctx["requestTimeEpoch"]) < 1000
    assert ctx["domainName"] in (gate.host, "127.0.0.1")
    # No User-Agent sent -> identity has sourceIp only (AWS-EV-13).
    assert ctx["identity"] == {"sourceIp": "127.0.0.1"}


def test_connect_identity_with_user_agent(gate, backend, open_client):
    ws, rec = open_client(gate, backend, headers=["User-Agent: e2e-agent/1.0"])
    identity = rec.event["requestContext"]["identity"]
    assert list(identity) == ["userAgent", "sourceIp"]
    assert identity == {"userAgent": "e2e-agent/1.0", "sourceIp": "127.0.0.1"}
    assert rec.event["headers"]["User-Agent"] == "e2e-agent/1.0"


def test_connection_ids_unique(gate, backend, open_client):
    ids = {open_client(gate, backend)[1].context["connectionId"] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("status,body", [
    (200, {"statusCode": 401}),                 # Lambda proxy result: its statusCode counts
    (200, {"statusCode": 403, "body": "no"}),
    (401, "denied"),                            # plain HTTP status
    (403, ""),
], ids=["proxy-401", "proxy-403", "http-401", "http-403"])
def test_connect_rejected(gate, backend, status, body):
    backend.set_answer("$connect", status=status, body=body)
    expected = body["statusCode"] if isinstance(body, dict) else status
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        wsclient.connect(gate.ws_url())
    assert info.value.status_code == expected
    backend.wait_for_event("$connect")
    assert gate.connections() == []


def test_connect_backend_unreachable_502(wsgate, unused_port):
    server = wsgate("--backend", f"http://127.0.0.1:{unused_port}/events")
    assert wsclient.handshake_status(server.ws_url()) == 502
    assert server.connections() == []


# inferred: AWS-INT-14 (wsgate's choice, not a capture of AWS)
def test_connect_timeout_504(wsgate, backend):
    backend.set_answer("$connect", body={"statusCode": 200}, delay=3.0)
    server = wsgate("--backend", backend.url(), "--integration-timeout", "300")
    assert wsclient.handshake_status(server.ws_url()) == 504


def test_subprotocol_echo(gate, backend):
    backend.set_answer("$connect", body={"statusCode": 200,
                                         "headers": {"Sec-WebSocket-Protocol": "chat"}})
    ws = wsclient.connect(gate.ws_url(), subprotocols=["chat", "json"])
    try:
        assert ws.getsubprotocol() == "chat"
        assert ws.getheaders().get("sec-websocket-protocol") == "chat"
        rec = backend.wait_for_event("$connect")
        # The offer reaches the backend unchanged (websocket-client sends "chat,json").
        assert rec.event["headers"]["Sec-WebSocket-Protocol"] == "chat,json"
    finally:
        ws.close()


def test_no_connect_route_accepts(wsgate, backend):
    server = wsgate(config=routes_config(backend, {"$default": {}}))
    ws = wsclient.connect(server.ws_url())
    try:
        ws.send("hi")
        rec = backend.wait_for_event("$default")
        assert rec.event["body"] == "hi"
        assert backend.events("$connect") == []
    finally:
        ws.close()


def test_wrong_stage_handshake_rejected(gate):
    status = wsclient.handshake_status(f"ws://127.0.0.1:{gate.port}/other")
    assert status == 403


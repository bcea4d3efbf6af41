"""Messages: route selection, the MESSAGE event (AWS-EV-3, AWS-EV-9, AWS-EV-16), two-way answers and the gateway
error frames (AWS-RT, AWS-FRM)."""
import json

import pytest

from wsgatekit import aws, wsclient
from wsgatekit.config import routes_config

ALL_ROUTES = {"$connect": {}, "$disconnect": {}, "$default": {}, "sendMessage": {}}


@pytest.fixture
def routed(wsgate, backend):
    """wsgate with a config file: $connect, $disconnect, $default and a custom route sendMessage."""
    return wsgate(config=routes_config(backend, ALL_ROUTES))


def test_custom_route_and_default(routed, backend, open_client):
    ws, connect = open_client(routed, backend)
    conn_id = connect.context["connectionId"]
    custom = '{"action":"sendMessage",  "text": "h\\u00e9llo",\n "n": 1}'
    ws.send(custom)
    rec = backend.wait_for_event("sendMessage", connection_id=conn_id)
    assert rec.path == "/sendMessage"
    assert rec.event["body"] == custom                     # unchanged, spacing kept
    assert rec.context["routeKey"] == "sendMessage"

    ws.send('{"action": "unknownAction"}')
    ws.send("__ping__")                                    # not JSON -> $default
    defaults = backend.wait_for_events("$default", 2, connection_id=conn_id)
    assert [r.path for r in defaults] == ["/default", "/default"]
    # two concurrent backend calls: either may arrive first (AWS promises no order either)
    assert sorted(r.event["body"] for r in defaults) == sorted(['{"action": "unknownAction"}', "__ping__"])
    assert all(r.context["routeKey"] == "$default" for r in defaults)


def test_message_event_shape(routed, backend, open_client):
    ws, connect = open_client(routed, backend)
    cctx = connect.context
    ws.send('{"action":"sendMessage","data":"Grüße ✓"}')
    first = backend.wait_for_event("sendMessage", connection_id=cctx["connectionId"])
    ws.send('{"action":"sendMessage","data":2}')
    second = backend.wait_for_events("sendMessage", 2, connection_id=cctx["connectionId"])[1]

    assert list(first.event) == ["requestContext", "body", "isBase64Encoded"]
    assert first.event["isBase64Encoded"] is False
    assert first.event["body"] == '{"action":"sendMessage","data":"Grüße ✓"}'
    for rec in (first, second):
        ctx = rec.context
        assert list(ctx) == aws.MESSAGE_CONTEXT_KEYS
        aws.check_common_context(ctx)
        assert ctx["eventType"] == "MESSAGE"
        assert aws.ID_RE.match(ctx["messageId"]), ctx["messageId"]
        assert ctx["connectionId"] == cctx["connectionId"]
        assert ctx["connectedAt"] == cctx["connectedAt"]     # constant per connection
        assert ctx["apiId"] == cctx["apiId"]
        assert ctx["requestTimeEpoch"] >= cctx["requestTimeEpoch"]
    ids = {first.context["messageId"], second.context["messageId"], first.context["requestId"],
           second.context["requestId"], cctx["requestId"], cctx["connectionId"]}
    assert len(ids) == 6, "message ids and request ids must be new per event"


def test_message_id_only_on_message(routed, backend, open_client):
    ws, connect = open_client(routed, backend)
    conn_id = connect.context["connectionId"]
    ws.send("x")
    message = backend.wait_for_event("$default", connection_id=conn_id)
    ws.close()
    disconnect = backend.wait_for_event("$disconnect", connection_id=conn_id)
    assert "messageId" in message.context
    assert "messageId" not in connect.context
    assert "messageId" not in disconnect.context
    assert "disconnectStatusCode" not in connect.context
    assert "disconnectStatusCode" not in message.context


def test_no_route_forbidden_frame_and_connection_stays_open(wsgate, backend, open_client):
    server = wsgate(config=routes_config(backend, {"$connect": {}, "sendMessage": {}}))
    ws, connect = open_client(server, backend)
    conn_id = connect.context["connectionId"]
    pattern = aws.error_frame_re("Forbidden")

    ws.send('{"action":"nothingHere"}')
    frame = wsclient.recv_text(ws)
    match = pattern.match(frame)
    assert match, f"Forbidden frame has the wrong bytes: {frame!r}"
    assert match.group(1) == conn_id
    assert match.group(2) != conn_id

    # The connection stays open: a matching message still reaches the backend...
    ws.send('{"action":"sendMessage"}')
    rec = backend.wait_for_event("sendMessage", connection_id=conn_id)
    assert rec.event["body"] == '{"action":"sendMessage"}'
    # ...and a second unmatched message gets a second Forbidden frame with a new requestId.
    ws.send("not json at all")
    second = pattern.match(wsclient.recv_text(ws))
    assert second and second.group(1) == conn_id and second.group(2) != match.group(2)
    assert backend.events("$default") == []
    assert conn_id in server.connections()


def test_two_way_route_returns_proxy_body(wsgate, backend, open_client):
    server = wsgate(config=routes_config(backend, {"$connect": {}, "$default": {"twoWay": True}}))
    backend.set_answer("$default", body={"statusCode": 200, "body": '{"reply": "pong ✓"}'})
    ws, _ = open_client(server, backend)
    ws.send('{"action":"ping"}')
    assert wsclient.recv_text(ws) == '{"reply": "pong ✓"}'
    ws.send('{"action":"ping"}')
    assert wsclient.recv_text(ws) == '{"reply": "pong ✓"}'


def test_two_way_route_returns_raw_body(wsgate, backend, open_client):
    server = wsgate(config=routes_config(backend, {"$connect": {}, "$default": {"twoWay": True}}))
    backend.set_answer("$default", body="plain text answer", headers={"Content-Type": "text/plain"})
    ws, _ = open_client(server, backend)
    ws.send("hello")
    assert wsclient.recv_text(ws) == "plain text answer"


@pytest.mark.parametrize("two_way", [False, True], ids=["one-way", "two-way"])
# inferred: AWS-INT-13 (wsgate's choice, not a capture of AWS)
def test_backend_500_internal_server_error_frame(wsgate, backend, open_client, two_way):
    routes = {"$connect": {}, "sendMessage": {"twoWay": True} if two_way else {}}
    server = wsgate(config=routes_config(backend, routes))
    backend.set_answer("sendMessage", status=500, body="boom")
    ws, connect = open_client(server, backend)
    conn_id = connect.context["connectionId"]
    ws.send('{"action":"sendMessage"}')
    frame = wsclient.recv_text(ws)
    rec = backend.wait_for_event("sendMessage", connection_id=conn_id)
    match = aws.error_frame_re("Internal server error").match(frame)
    assert match, f"Internal server error frame has the wrong bytes: {frame!r}"
    assert match.group(1) == conn_id
    assert match.group(2) == rec.context["requestId"]   # the failing MESSAGE event's request id
    assert conn_id in server.connections()


def test_message_backend_unreachable_internal_server_error(wsgate, backend, open_client, unused_port):
    config = routes_config(backend, {"$connect": {}})
    config["routes"]["$default"] = {"uri": f"http://127.0.0.1:{unused_port}/default"}
    server = wsgate(config=config)
    ws, connect = open_client(server, backend)
    ws.send("hello")
    match = aws.error_frame_re("Internal server error").match(wsclient.recv_text(ws))
    assert match and match.group(1) == connect.context["connectionId"]


def test_integration_timeout_frame(wsgate, backend, open_client):
    server = wsgate(config=routes_config(backend, {"$connect": {}, "$default": {}},
                                         integrationTimeout=300))
    backend.set_answer("$default", body={"statusCode": 200}, delay=2.0)
    ws, connect = open_client(server, backend)
    ws.send("slow")
    frame = wsclient.recv_text(ws, timeout=5)
    match = aws.error_frame_re("Endpoint request timed out").match(frame)
    assert match, f"timeout frame has the wrong bytes: {frame!r}"
    assert match.group(1) == connect.context["connectionId"]


def test_demo_backend_echo(wsgate):
    server = wsgate()
    ws = wsclient.connect(server.ws_url())
    try:
        ws.send("echo me ✓")
        assert wsclient.recv_text(ws) == "echo me ✓"
    finally:
        ws.close()


def test_route_selection_expression_option(wsgate, backend, open_client):
    config = routes_config(backend, {"$connect": {}, "$default": {}, "chat/join": {}},
                           routeSelectionExpression="${request.body.service}/${request.body.action}")
    server = wsgate(config=config)
    ws, connect = open_client(server, backend)
    ws.send(json.dumps({"service": "chat", "action": "join"}))
    rec = backend.wait_for_event("chat/join", connection_id=connect.context["connectionId"])
    assert rec.path == "/chat/join"

"""$disconnect: when it fires and what it carries (AWS-EV-4, AWS-EV-10, AWS-HDR-11, AWS-LIFE-7..12)."""
import socket

from wsgatekit import aws, wsclient


# inferred: AWS-LIFE-9 (wsgate's choice, not a capture of AWS)
def test_disconnect_with_client_code_and_reason(gate, backend, open_client):
    ws, connect = open_client(gate, backend, query="a=1", headers=["User-Agent: e2e-agent/3.0"])
    cctx = connect.context
    wsclient.close_with(ws, 4001, b"bye")
    rec = backend.wait_for_event("$disconnect", connection_id=cctx["connectionId"])
    event = rec.event
    # No query keys on DISCONNECT even though the connect URL had one (AWS-QS-3).
    assert list(event) == ["headers", "multiValueHeaders", "requestContext", "isBase64Encoded"]
    # Exactly four headers, in this order (AWS-HDR-11).
    assert list(event["headers"].items()) == [("Host", gate.host), ("x-api-key", ""),
                                              ("X-Forwarded-For", ""), ("x-restapi", "")]
    assert event["multiValueHeaders"] == {k: [v] for k, v in event["headers"].items()}
    assert list(event["multiValueHeaders"]) == list(event["headers"])
    ctx = rec.context
    assert list(ctx) == aws.DISCONNECT_CONTEXT_KEYS
    aws.check_common_context(ctx)
    assert ctx["routeKey"] == "$disconnect"
    assert ctx["eventType"] == "DISCONNECT"
    assert ctx["disconnectStatusCode"] == 4001
    assert ctx["disconnectReason"] == "bye"
    assert ctx["connectionId"] == cctx["connectionId"]
    assert ctx["connectedAt"] == cctx["connectedAt"]
    assert ctx["requestId"] != cctx["requestId"]
    # userAgent is kept for the whole connection (AWS-ID-17).
    assert ctx["identity"] == {"userAgent": "e2e-agent/3.0", "sourceIp": "127.0.0.1"}
    assert event["isBase64Encoded"] is False


def test_disconnect_normal_close_1000(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    wsclient.close_with(ws, 1000, b"")
    rec = backend.wait_for_event("$disconnect", connection_id=connect.context["connectionId"])
    assert rec.context["disconnectStatusCode"] == 1000
    assert rec.context["disconnectReason"] == ""


def test_disconnect_without_code_1005(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    wsclient.close_without_code(ws)
    rec = backend.wait_for_event("$disconnect", connection_id=connect.context["connectionId"])
    assert rec.context["disconnectStatusCode"] == 1005
    assert rec.context["disconnectReason"] == "Client-side close frame status not set"


# inferred: AWS-LIFE-11 (wsgate's choice, not a capture of AWS)
def test_disconnect_abrupt_tcp_drop_1006(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    ws.sock.shutdown(socket.SHUT_RDWR)
    ws.sock.close()
    rec = backend.wait_for_event("$disconnect", connection_id=connect.context["connectionId"])
    assert rec.context["disconnectStatusCode"] == 1006
    assert rec.context["disconnectReason"] == ""


def test_disconnect_fires_once_and_connection_is_removed(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    conn_id = connect.context["connectionId"]
    assert conn_id in gate.connections()
    wsclient.close_with(ws, 1000)
    backend.wait_for_event("$disconnect", connection_id=conn_id)
    assert conn_id not in gate.connections()
    # A second client still works, and the first one got exactly one $disconnect.
    ws2, connect2 = open_client(gate, backend)
    wsclient.close_with(ws2, 1000)
    backend.wait_for_event("$disconnect", connection_id=connect2.context["connectionId"])
    assert len(backend.events("$disconnect", connection_id=conn_id)) == 1


# inferred: AWS-LIFE-6 (wsgate's choice, not a capture of AWS)
def test_rejected_connect_has_no_disconnect(gate, backend):
    backend.set_answer("$connect", body={"statusCode": 403})
    assert wsclient.handshake_status(gate.ws_url()) == 403
    rec = backend.wait_for_event("$connect")
    # Give a $disconnect (which must not come) the chance to arrive: a later client's whole
    # lifecycle is awaited, and events are sent in order.
    backend.set_answer("$connect", body={"statusCode": 200})
    ws = wsclient.connect(gate.ws_url())
    second = backend.wait_for(lambda r: r.route_key == "$connect", count=2)[1]
    wsclient.close_with(ws, 1000)
    backend.wait_for_event("$disconnect", connection_id=second.connection_id)
    assert backend.events("$disconnect", connection_id=rec.connection_id) == []

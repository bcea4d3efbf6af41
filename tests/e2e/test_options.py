"""Server options that change behaviour: custom domain, api id, timeouts; plus ping and many clients."""
import threading

from websocket import ABNF

from wsgatekit import mgmt, wsclient
from wsgatekit.mgmt import raw_request


def test_custom_domain(wsgate, backend):
    server = wsgate("--backend", backend.url(), "--custom-domain")
    ws = wsclient.connect(f"ws://127.0.0.1:{server.port}/", headers=["X-E2e: cd"])
    try:
        rec = backend.wait_for_event("$connect")
        conn_id = rec.context["connectionId"]
        # Management API at the root: /@connections/{id} (no stage segment).
        resp = raw_request(server.port, "POST", mgmt.connection_path(conn_id, stage=None), b"cd")
        assert resp.status == 200, (resp.status, resp.body)
        assert wsclient.recv_text(ws) == "cd"
    finally:
        ws.close()


def test_api_id_option(wsgate, backend, open_client):
    server = wsgate("--backend", backend.url(), "--api-id", "abcde12345")
    ws, connect = open_client(server, backend)
    assert connect.context["apiId"] == "abcde12345"
    ws.send("m")
    assert backend.wait_for_event("$default").context["apiId"] == "abcde12345"


def test_idle_timeout_going_away(wsgate, backend, open_client):
    server = wsgate("--backend", backend.url(), "--idle-timeout", "1")
    ws, connect = open_client(server, backend)
    code, reason, _ = wsclient.wait_close(ws, timeout=5)
    assert (code, reason) == (1001, "Going away")
    rec = backend.wait_for_event("$disconnect", connection_id=connect.context["connectionId"])
    assert rec.context["disconnectStatusCode"] == 1001
    assert rec.context["disconnectReason"] == "Going away"


# inferred: AWS-LIFE-13 (wsgate's choice, not a capture of AWS)
def test_idle_timer_reset_by_messages(wsgate, backend, open_client):
    server = wsgate("--backend", backend.url(), "--idle-timeout", "1")
    ws, connect = open_client(server, backend)
    conn_id = connect.context["connectionId"]
    for i in range(4):                         # 4 x 0.4 s = 1.6 s > idle timeout, never idle 1 s
        ws.send(f"keepalive {i}")
        backend.wait_for_events("$default", i + 1, connection_id=conn_id)
        threading.Event().wait(0.4)
    assert conn_id in server.connections()


# inferred: AWS-LIM-5 (wsgate's choice, not a capture of AWS)
def test_hard_timeout_closes(wsgate, backend, open_client):
    server = wsgate("--backend", backend.url(), "--hard-timeout", "1")
    ws, connect = open_client(server, backend)
    ws.send("still active")
    code, _, _ = wsclient.wait_close(ws, timeout=5)
    assert code is not None
    backend.wait_for_event("$disconnect", connection_id=connect.context["connectionId"])
    assert connect.context["connectionId"] not in server.connections()


# inferred: AWS-LIM-11 (wsgate's choice, not a capture of AWS)
def test_ping_pong(gate, backend, open_client):
    ws, _ = open_client(gate, backend)
    ws.ping(b"are you there")
    ws.sock.settimeout(5)
    frame = ws.recv_frame()
    assert frame.opcode == ABNF.OPCODE_PONG
    assert frame.data == b"are you there"


def test_many_clients(gate, backend, open_client):
    clients = [open_client(gate, backend) for _ in range(20)]
    ids = [c.context["connectionId"] for _, c in clients]
    assert len(set(ids)) == 20
    for ws, connect in clients:
        ws.send("from " + connect.context["connectionId"])
    for ws, connect in clients:
        conn_id = connect.context["connectionId"]
        rec = backend.wait_for_event("$default", connection_id=conn_id)
        assert rec.event["body"] == "from " + conn_id
    for ws, connect in clients:
        resp = mgmt.post(gate.port, connect.context["connectionId"], "to " + connect.context["connectionId"])
        assert resp.status == 200
    for ws, connect in clients:
        assert wsclient.recv_text(ws) == "to " + connect.context["connectionId"]
    assert sorted(gate.connections()) == sorted(ids)


def test_connect_response_headers_on_101(gate, backend):
    backend.set_answer("$connect", body={"statusCode": 200, "headers": {"X-From-Backend": "yes"}})
    ws = wsclient.connect(gate.ws_url())
    try:
        assert ws.getstatus() == 101
        assert ws.getheaders().get("x-from-backend") == "yes"
    finally:
        ws.close()

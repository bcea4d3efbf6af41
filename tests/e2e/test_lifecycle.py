"""AWS's lifecycle and limits (AWS-LIFE, AWS-LIM) and wsgate's test-control API (not part of AWS).

Timeouts are tested with short --idle-timeout/--hard-timeout values or by advancing timers through
the test-control API, never with long sleeps.
"""
import json
import socket
import time

import websocket
from websocket import ABNF

from wsgatekit import aws, mgmt, wsclient


def _test_api(server, method, path, body=None):
    return mgmt.raw_request(server.port, method, "/_wsgate/test/" + path,
                            body=json.dumps(body).encode() if body is not None else b"",
                            headers={"Content-Type": "application/json"}, sign=False)


def test_idle_timeout_closes_with_1001_going_away(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--idle-timeout", "1")
    ws, connect = open_client(gate, backend)
    code, reason, _ = wsclient.wait_close(ws, timeout=5)
    assert (code, reason) == (1001, "Going away")
    rec = backend.wait_for_event("$disconnect", connection_id=connect.context["connectionId"])
    assert rec.context["disconnectStatusCode"] == 1001
    assert rec.context["disconnectReason"] == "Going away"


# inferred: AWS-LIFE-13 (wsgate's choice, not a capture of AWS)
def test_client_messages_reset_the_idle_timer(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--idle-timeout", "2")
    ws, connect = open_client(gate, backend)
    for i in range(4):  # 3 s of activity in all, longer than the 2 s idle timeout
        time.sleep(0.75)
        ws.send(json.dumps({"action": "keepalive", "n": i}))
    assert ws.connected
    got = mgmt.get(gate.port, connect.context["connectionId"])
    assert got.status == 200
    body = got.json()
    assert aws.iso_ms_to_epoch_ms(body["lastActiveAt"]) > aws.iso_ms_to_epoch_ms(body["connectedAt"]) + 2000
    code, reason, _ = wsclient.wait_close(ws, timeout=5)
    assert (code, reason) == (1001, "Going away")


# inferred: AWS-LIM-5 (wsgate's choice, not a capture of AWS)
def test_hard_timeout_closes_the_connection(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--hard-timeout", "1", "--idle-timeout", "60")
    ws, connect = open_client(gate, backend)
    code, reason, _ = wsclient.wait_close(ws, timeout=5)
    assert code == 1001
    rec = backend.wait_for_event("$disconnect", connection_id=connect.context["connectionId"])
    assert rec.context["disconnectStatusCode"] == 1001


# inferred: AWS-INT-14 (the 504) (wsgate's choice, not a capture of AWS)
def test_integration_timeout_gives_timed_out_frame_and_504(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--integration-timeout", "200")
    ws, connect = open_client(gate, backend)
    backend.set_answer("$default", status=200, body=b"{}", delay=1.0)
    ws.send("slow please")
    frame = wsclient.recv_text(ws, timeout=5)
    assert aws.error_frame_re("Endpoint request timed out").fullmatch(frame), frame
    assert json.loads(frame)["connectionId"] == connect.context["connectionId"]
    backend.set_answer("$connect", status=200, body=b"{}", delay=1.0)
    assert wsclient.handshake_status(gate.ws_url()) == 504


def test_test_control_advance_idle_timer(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--test-control")
    ws, connect = open_client(gate, backend)
    other, _ = open_client(gate, backend)
    cid = connect.context["connectionId"]
    resp = _test_api(gate, "POST", "advance", {"seconds": 601, "connectionId": cid})
    assert resp.status == 200 and resp.json() == {"advanced": 1}
    code, reason, _ = wsclient.wait_close(ws, timeout=5)
    assert (code, reason) == (1001, "Going away")
    rec = backend.wait_for_event("$disconnect", connection_id=cid)
    assert (rec.context["disconnectStatusCode"], rec.context["disconnectReason"]) == (1001, "Going away")
    # only the named connection was advanced
    other.send("still here")
    backend.wait_for_event("$default", predicate=lambda r: r.event.get("body") == "still here")


def test_test_control_advance_all_hard_timer(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--test-control", "--idle-timeout", "100000")
    clients = [open_client(gate, backend)[0] for _ in range(3)]
    resp = _test_api(gate, "POST", "advance", {"seconds": 7200})
    assert resp.json() == {"advanced": 3}
    for ws in clients:
        code, _, _ = wsclient.wait_close(ws, timeout=5)
        assert code == 1001
    backend.wait_for_events("$disconnect", 3)
    # advancing by less than what is left closes nothing
    ws, _ = open_client(gate, backend)
    assert _test_api(gate, "POST", "advance", {"seconds": 30}).json() == {"advanced": 1}
    ws.send("alive")
    backend.wait_for_event("$default", predicate=lambda r: r.event.get("body") == "alive")


def test_test_control_force_close_with_code(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--test-control")
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    resp = _test_api(gate, "POST", f"connections/{cid}/close", {"code": 4008, "reason": "policy test"})
    assert resp.status == 202
    code, reason, _ = wsclient.wait_close(ws, timeout=5)
    assert (code, reason) == (4008, "policy test")
    rec = backend.wait_for_event("$disconnect", connection_id=cid)
    assert (rec.context["disconnectStatusCode"], rec.context["disconnectReason"]) == (4008, "policy test")
    assert _test_api(gate, "POST", f"connections/{cid}/close", {"code": 4008}).status == 404
    assert _test_api(gate, "POST", "connections/x/close", {"code": 99}).status == 404


def test_test_control_rejects_bad_close_code(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--test-control")
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    for bad in ({"code": 1005}, {"code": 1006}, {"code": 99}, {"code": "x"}, {"reason": 5}):
        assert _test_api(gate, "POST", f"connections/{cid}/close", bad).status == 400, bad
    assert ws.connected


def test_test_control_drop_without_close_frame(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--test-control")
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    assert _test_api(gate, "POST", f"connections/{cid}/drop").status == 202
    # the TCP connection ends without a close frame: a reset (linger 0) or EOF
    ws.sock.settimeout(5)
    try:
        opcode, _ = ws.recv_data(control_frame=True)
        assert opcode != ABNF.OPCODE_CLOSE, "got a close frame; expected a dropped connection"
    except (ConnectionResetError, websocket.WebSocketConnectionClosedException):
        pass
    rec = backend.wait_for_event("$disconnect", connection_id=cid)
    assert rec.context["disconnectStatusCode"] == 1006


def test_test_control_lists_what_was_sent(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--test-control")
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    assert mgmt.post(gate.port, cid, "first").status == 200
    assert mgmt.post(gate.port, cid, "zweite Nachricht ✓").status == 200
    assert wsclient.recv_text(ws) == "first"
    resp = _test_api(gate, "GET", f"connections/{cid}/messages")
    assert resp.status == 200
    body = resp.json()
    assert body["connectionId"] == cid
    assert [m["data"] for m in body["messages"]] == ["first", "zweite Nachricht ✓"]
    assert {m["source"] for m in body["messages"]} == {"postToConnection"}
    assert all(m["at"].endswith("Z") for m in body["messages"])


def test_test_control_is_off_by_default(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    assert _test_api(gate, "POST", f"connections/{cid}/close", {"code": 4000}).status == 404
    assert _test_api(gate, "POST", "advance", {"seconds": 601}).status == 404
    assert ws.connected


# inferred: AWS-LIM-8 (wsgate's choice, not a capture of AWS)
def test_connect_rate_limit_answers_429(wsgate, backend):
    gate = wsgate("--backend", backend.url("/events"), "--connect-rate-limit", "2")
    statuses = []
    clients = []
    for _ in range(5):
        try:
            clients.append(wsclient.connect(gate.ws_url()))
            statuses.append(101)
        except websocket.WebSocketBadStatusException as e:
            statuses.append(e.status_code)
    assert statuses.count(429) >= 2, statuses
    assert statuses[0] == 101
    for ws in clients:
        ws.close()


# inferred: AWS-LIM-11 (wsgate's choice, not a capture of AWS)
def test_ping_is_answered_with_pong(gate, backend, open_client):
    ws, _ = open_client(gate, backend)
    ws.ping(b"are you there")
    ws.sock.settimeout(5)
    opcode, data = ws.recv_data(control_frame=True)
    assert opcode == ABNF.OPCODE_PONG
    assert data == b"are you there"


def test_fragmented_message_is_reassembled(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    text = json.dumps({"action": "frag", "data": "x" * 20000})
    parts = [text[i:i + 7000] for i in range(0, len(text), 7000)]
    ws.send_frame(ABNF.create_frame(parts[0], ABNF.OPCODE_TEXT, fin=0))
    for p in parts[1:-1]:
        ws.send_frame(ABNF.create_frame(p, ABNF.OPCODE_CONT, fin=0))
    ws.send_frame(ABNF.create_frame(parts[-1], ABNF.OPCODE_CONT, fin=1))
    rec = backend.wait_for_event("$default", connection_id=connect.context["connectionId"])
    assert rec.event["body"] == text


# inferred: AWS-LIM-12 (wsgate's choice, not a capture of AWS)
def test_permessage_deflate_is_declined_cleanly(gate, backend, open_client):
    ws, connect = open_client(gate, backend, headers=["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"])
    assert "sec-websocket-extensions" not in {k.lower() for k in (ws.getheaders() or {})}
    ws.send("plain text still works")
    rec = backend.wait_for_event("$default", connection_id=connect.context["connectionId"])
    assert rec.event["body"] == "plain text still works"
    # the client's offer is passed to $connect as AWS does (AWS-HDR-7)
    assert connect.event["headers"]["Sec-WebSocket-Extensions"].startswith("permessage-deflate")


def test_binary_frame_closes_with_1003(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    ws.send_binary(b"\x00\x01\x02")
    code, _, _ = wsclient.wait_close(ws, timeout=5)
    assert code == 1003
    rec = backend.wait_for_event("$disconnect", connection_id=connect.context["connectionId"])
    assert rec.context["disconnectStatusCode"] == 1003


def test_frame_over_32kb_closes_with_1009(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    ws.send("y" * (32 * 1024 + 1))
    code, _, _ = wsclient.wait_close(ws, timeout=5)
    assert code == 1009
    assert not backend.events("$default", connection_id=connect.context["connectionId"])


def test_message_over_128kb_in_fragments_closes_with_1009(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    chunk = "z" * (30 * 1024)
    frames = [ABNF.create_frame(chunk, ABNF.OPCODE_TEXT, fin=0)]
    frames += [ABNF.create_frame(chunk, ABNF.OPCODE_CONT, fin=0) for _ in range(4)]
    frames += [ABNF.create_frame(chunk, ABNF.OPCODE_CONT, fin=1)]
    for frame in frames:  # 180 KB in 30 KB frames: each frame is legal, the message is not
        ws.send_frame(frame)
    code, _, _ = wsclient.wait_close(ws, timeout=5)
    assert code == 1009
    assert not backend.events("$default", connection_id=connect.context["connectionId"])


# inferred: AWS-LIM-10, AWS-LIFE-12 (wsgate's choice, not a capture of AWS)
def test_invalid_utf8_closes_with_1007(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    ws.send_frame(ABNF.create_frame(b"\xc3\x28 not utf-8", ABNF.OPCODE_TEXT))
    code, _, _ = wsclient.wait_close(ws, timeout=5)
    assert code == 1007
    assert not backend.events("$default", connection_id=connect.context["connectionId"])


# inferred: AWS-MGMT-5 (wsgate's choice, not a capture of AWS)
def test_post_over_32kb_reaches_client_intact(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    payload = ("0123456789abcdef" * 6000)[:90000]
    assert mgmt.post(gate.port, connect.context["connectionId"], payload).status == 200
    assert wsclient.recv_text(ws, timeout=5) == payload


def test_verbose_log_never_shows_credentials(wsgate, backend, open_client):
    gate = wsgate("--backend", backend.url("/events"), "--verbose")
    ws, connect = open_client(gate, backend, query="X-Amz-Signature=feedface0123&token=ok",
                              headers=["Authorization: Bearer s3cr3t-t0ken", "Cookie: session=c00kie"])
    assert connect.event["headers"]["Authorization"] == "Bearer s3cr3t-t0ken"  # the backend gets it
    ws.send("hello")
    backend.wait_for_event("$default", connection_id=connect.context["connectionId"])
    log = gate.log_text()
    assert "event $connect" in log and "(redacted)" in log
    for secret in ("s3cr3t-t0ken", "c00kie", "feedface0123"):
        assert secret not in log


def test_connection_works_after_going_quiet(gate, backend, open_client):
    """wsgate frees a quiet connection's framing state after a second and rebuilds it on the next
    frame (issue 9): messages, pushes and a message fragmented across the quiet period still work."""
    ws, connect = open_client(gate, backend)
    cid = connect.context["connectionId"]
    ws.send("before")
    backend.wait_for_event("$default", predicate=lambda r: r.event.get("body") == "before")
    time.sleep(1.6)
    assert mgmt.post(gate.port, cid, "pushed after quiet").status == 200
    assert wsclient.recv_text(ws) == "pushed after quiet"
    time.sleep(1.6)
    ws.send("after")
    backend.wait_for_event("$default", predicate=lambda r: r.event.get("body") == "after")
    ws.send_frame(ABNF.create_frame("first half, ", ABNF.OPCODE_TEXT, fin=0))
    time.sleep(1.6)  # a message in progress keeps its state
    ws.send_frame(ABNF.create_frame("second half", ABNF.OPCODE_CONT, fin=1))
    backend.wait_for_event("$default", predicate=lambda r: r.event.get("body") == "first half, second half")
    ws.ping(b"still there")
    ws.sock.settimeout(5)
    opcode, data = ws.recv_data(control_frame=True)
    assert (opcode, data) == (ABNF.OPCODE_PONG, b"still there")

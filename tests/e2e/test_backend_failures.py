"""Backend failures (issue 10): refused, timed out, reset half-way, garbage, a body over the 1 MB
cap, a slow drip past the timeout. For $connect the handshake fails with 502 (504 for a timeout;
AWS-INT-9, AWS-INT-13, AWS-INT-14); for a message the client gets the gateway error frame, byte for byte
(AWS-FRM-3, AWS-FRM-4); each failure is logged once and the backend saw the event once (no silent retry); nothing
is left stuck (/health still answers with the right count) and the next call, once the backend is
back, succeeds (the keep-alive pool recovers).

wsgate runs with --integration-timeout 200 (ms) so the timeout cases are fast.
"""
import json
import time
import uuid

import pytest

from wsgatekit import aws, wsclient
from wsgatekit.config import routes_config
from wsgatekit.faultybackend import FaultyBackend

TIMEOUT_MS = 200
ROUTES = {"$connect": {}, "$disconnect": {}, "$default": {"twoWay": True}}
OK_ANSWER = {"statusCode": 200, "body": "pong"}

# kind: (backend mode, $connect status, error frame message, does the backend see the request?)
FAULTS = {
    "refused": ("refuse", 502, "Internal server error", False),
    "timeout": ("hang", 504, "Endpoint request timed out", True),
    "reset": ("reset", 502, "Internal server error", True),
    "garbage": ("garbage", 502, "Internal server error", True),
    "huge": ("huge", 502, "Internal server error", True),
    "drip": ("drip", 504, "Endpoint request timed out", True),
}
TIMED_OUT = {"timeout", "drip"}


@pytest.fixture
def faulty():
    backend = FaultyBackend()
    backend.set_mode("/default", "ok", OK_ANSWER)
    yield backend
    backend.close()


@pytest.fixture
def server(wsgate, faulty):
    return wsgate("--integration-timeout", str(TIMEOUT_MS), config=routes_config(faulty, ROUTES))


def apply_fault(backend, path, kind):
    mode = FAULTS[kind][0]
    if mode == "refuse":
        backend.refuse()
    else:
        backend.set_mode(path, mode)


def clear_fault(backend, path, kind):
    if FAULTS[kind][0] == "refuse":
        backend.restore()
    backend.set_mode(path, "ok", OK_ANSWER if path == "/default" else {"statusCode": 200})


_opened = []


@pytest.fixture(autouse=True)
def close_clients(server):
    """Clients a failing test left open are closed before the server is stopped (a client that
    does not answer the server's close would hold the shutdown for the close-handshake timeout)."""
    yield
    while _opened:
        ws = _opened.pop()
        try:
            ws.close(timeout=1)
        except Exception:
            pass


def connect(server, backend):
    tag = uuid.uuid4().hex
    ws = wsclient.connect(server.ws_url(), headers=[f"X-E2e-Client: {tag}"])
    _opened.append(ws)
    rec = backend.wait_for_event("$connect", predicate=lambda r: (r.event.get("headers") or {}).get("X-E2e-Client") == tag)
    return ws, rec.connection_id


def open_count(server):
    status, body, _ = server.get_json("/health")
    assert status == 200
    return body["connections"]


def log_lines(server, needle):
    return [line for line in server.log_text().splitlines() if needle in line]


@pytest.mark.parametrize("kind", list(FAULTS))
# inferred: AWS-INT-13, AWS-INT-14 (502 for HTTP faults, 504) (wsgate's choice, not a capture of AWS)
def test_connect_backend_failure(server, faulty, kind):
    _, status_expected, _, reaches = FAULTS[kind]
    control, control_id = connect(server, faulty)
    apply_fault(faulty, "/connect", kind)
    tag = uuid.uuid4().hex
    started = time.monotonic()
    status = wsclient.handshake_status(server.ws_url(), headers=[f"X-E2e-Client: {tag}"])
    elapsed = time.monotonic() - started
    assert status == status_expected, f"{kind}: handshake answered {status}, expected {status_expected}"
    assert elapsed < 3, f"{kind}: handshake took {elapsed:.1f} s"
    if kind in TIMED_OUT:
        assert elapsed >= TIMEOUT_MS / 1000 * 0.9, f"gave up after {elapsed:.3f} s, before the timeout"
    assert open_count(server) == 1
    if reaches:
        tagged = lambda r: r.route_key == "$connect" and (r.event.get("headers") or {}).get("X-E2e-Client") == tag  # noqa: E731
        rec = faulty.wait_for(tagged)[0]
        assert len([r for r in faulty.records if tagged(r)]) == 1, "the $connect event was sent more than once"
        lines = log_lines(server, rec.connection_id)
        assert len(lines) == 1 and f"rejected: {status_expected}" in lines[0], lines
        assert faulty.events("$disconnect", connection_id=rec.connection_id) == [], "$disconnect for a refused connection"
    else:
        assert len(log_lines(server, f"rejected: {status_expected}")) == 1
    # the backend comes back: the next handshake succeeds, the control client is still served
    clear_fault(faulty, "/connect", kind)
    ws, conn_id = connect(server, faulty)
    assert open_count(server) == 2
    ws.send("hello")
    assert wsclient.recv_text(ws) == "pong"
    control.send("hello")
    assert wsclient.recv_text(control) == "pong"
    ws.close()
    control.close()


@pytest.mark.parametrize("kind", list(FAULTS))
def test_message_backend_failure(server, faulty, kind):
    _, _, message, reaches = FAULTS[kind]
    ws, conn_id = connect(server, faulty)
    apply_fault(faulty, "/default", kind)
    body = json.dumps({"action": "sendMessage", "n": kind})
    started = time.monotonic()
    ws.send(body)
    frame = wsclient.recv_text(ws, timeout=5)
    elapsed = time.monotonic() - started
    match = aws.error_frame_re(message).match(frame)
    assert match, f"{kind}: frame {frame!r} is not the exact {message!r} error frame"
    assert match.group(1) == conn_id
    if kind in TIMED_OUT:
        assert elapsed >= TIMEOUT_MS / 1000 * 0.9, f"timed out after {elapsed:.3f} s, before the timeout"
    assert elapsed < 3
    if reaches:
        recs = [r for r in faulty.events("$default", connection_id=conn_id) if r.event["body"] == body]
        assert len(recs) == 1, f"the message event was sent {len(recs)} times"
        assert match.group(2) == recs[0].context["requestId"], "requestId is not the failing event's"
    lines = log_lines(server, f"$default {conn_id}")
    assert len(lines) == 1, f"failure logged {len(lines)} times: {lines}"
    # the connection stays open (AWS-FRM-3) and nothing else arrives
    assert open_count(server) == 1
    assert server.connections() == [conn_id]
    # the backend comes back: the next message succeeds on the same connection
    clear_fault(faulty, "/default", kind)
    ws.send("again")
    assert wsclient.recv_text(ws) == "pong"
    ws.close()


@pytest.mark.parametrize("kind", ["timeout", "reset"])
def test_disconnect_backend_failure(server, faulty, kind):
    """A failing $disconnect integration is logged once and leaves nothing behind."""
    ws, conn_id = connect(server, faulty)
    apply_fault(faulty, "/disconnect", kind)
    ws.close()
    faulty.wait_for_event("$disconnect", connection_id=conn_id)
    deadline = time.monotonic() + 3
    while not log_lines(server, f"$disconnect {conn_id}") and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(TIMEOUT_MS / 1000)
    assert len(log_lines(server, f"$disconnect {conn_id}")) == 1
    assert open_count(server) == 0
    clear_fault(faulty, "/disconnect", kind)
    ws2, id2 = connect(server, faulty)
    ws2.close()
    faulty.wait_for_event("$disconnect", connection_id=id2)
    assert open_count(server) == 0


def test_pool_recovers_after_many_concurrent_timeouts(server, faulty):
    """30 clients time out at once (30 hanging backend connections), then the backend answers
    again: every client's next message succeeds."""
    clients = [connect(server, faulty) for _ in range(30)]
    faulty.set_mode("/default", "hang")
    for ws, _ in clients:
        ws.send("slow")
    for ws, conn_id in clients:
        frame = wsclient.recv_text(ws, timeout=5)
        match = aws.error_frame_re("Endpoint request timed out").match(frame)
        assert match and match.group(1) == conn_id, frame
    faulty.set_mode("/default", "ok", OK_ANSWER)
    for ws, _ in clients:
        ws.send("fast")
    for ws, _ in clients:
        assert wsclient.recv_text(ws, timeout=5) == "pong"
    assert open_count(server) == 30
    for ws, _ in clients:
        ws.close()

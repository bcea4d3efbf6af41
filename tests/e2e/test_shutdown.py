"""Graceful shutdown (issue 10; wsgate-only behaviour in docs/aws-behaviour.md: SIGTERM stops accepting, closes every client with 1001,
delivers every $disconnect, waits a bounded time for backend calls in flight, exits 0).

SIGTERM arrives while clients are sending messages and the management API is pushing to them.
"""
import json
import signal
import threading
import time
import uuid

import pytest

from wsgatekit import mgmt, wsclient
from wsgatekit.server import SANITIZER_MARKERS

CLIENTS = 40
# limits.h: WG_LIMIT_CLOSE_HANDSHAKE_MS + WG_LIMIT_SHUTDOWN_WAIT_MS
SHUTDOWN_BOUND_S = 10.0


def _stop_and_time(server, timeout):
    """SIGTERM by PID; (exit status, seconds). The server is then marked stopped for the fixture,
    after the same sanitizer-report check it would make."""
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    try:
        code = server.proc.wait(timeout=timeout)
    except Exception:
        server.proc.kill()
        server.proc.wait(timeout=5)
        raise AssertionError(f"wsgate did not exit within {timeout} s of SIGTERM")
    took = time.monotonic() - started
    server.stopped = True
    server._log.close()
    text = server.log_text()
    for marker in SANITIZER_MARKERS:
        assert marker not in text, f"wsgate log contains {marker!r}"
    return code, took


def test_sigterm_during_traffic_closes_1001_and_delivers_every_disconnect(gate, backend, open_client):
    backend.set_answer("$disconnect", delay=0.2)       # slow $disconnect handler: must still be awaited
    clients = [open_client(gate, backend) for _ in range(CLIENTS)]
    ids = [connect.context["connectionId"] for _, connect in clients]
    closes = {}

    def reader(ws, conn_id):
        try:
            code, reason, _ = wsclient.wait_close(ws, timeout=15)   # websocket-client answers the close
            closes[conn_id] = (code, reason)
        except Exception as exc:                                    # recorded, asserted below
            closes[conn_id] = ("error", repr(exc))

    readers = [threading.Thread(target=reader, args=(ws, cid), daemon=True) for (ws, _), cid in zip(clients, ids)]
    for t in readers:
        t.start()
    stop_traffic = threading.Event()
    sent = {"messages": 0, "pushes": 0}

    def traffic():
        i = 0
        while not stop_traffic.is_set():
            ws, _ = clients[i % CLIENTS]
            try:
                ws.send(json.dumps({"action": "load", "i": i}))
                sent["messages"] += 1
                if i % 4 == 0:
                    mgmt.post(gate.port, ids[(i // 4) % CLIENTS], f"push {i}", timeout=2)
                    sent["pushes"] += 1
            except Exception:
                pass                                                # the server is going away
            i += 1
            time.sleep(0.002)

    pump = threading.Thread(target=traffic, daemon=True)
    pump.start()
    backend.wait_for(lambda r: r.route_key == "$default", count=50, what="$default under load")

    # a handshake whose $connect is still with the backend when the signal arrives
    backend.set_answer("$connect", delay=1.0)
    late_tag = uuid.uuid4().hex
    late = {}

    def late_handshake():
        late["status"] = wsclient.handshake_status(gate.ws_url(), headers=[f"X-E2e-Client: {late_tag}"], timeout=10)

    late_thread = threading.Thread(target=late_handshake, daemon=True)
    late_thread.start()
    late_connect = backend.wait_for_event(
        "$connect", predicate=lambda r: (r.event.get("headers") or {}).get("X-E2e-Client") == late_tag)

    code, took = _stop_and_time(gate, SHUTDOWN_BOUND_S + 5)
    # at the moment the process is gone, every $disconnect must already be at the backend
    delivered = {r.connection_id: r for r in backend.events("$disconnect")}
    stop_traffic.set()
    pump.join(5)
    for t in readers:
        t.join(5)
    late_thread.join(5)

    assert code == 0, f"exit status {code} after SIGTERM"
    assert took < SHUTDOWN_BOUND_S, f"shutdown took {took:.1f} s"
    assert sent["messages"] > 50
    bad = {cid: c for cid, c in closes.items() if c != (1001, "Going away")}
    assert len(closes) == CLIENTS and not bad, f"clients not closed with 1001 'Going away': {bad}"
    missing = [cid for cid in ids if cid not in delivered]
    assert not missing, f"{len(missing)} $disconnect events not delivered before exit"
    for cid in ids:
        ctx = delivered[cid].context
        assert (ctx["disconnectStatusCode"], ctx["disconnectReason"]) == (1001, "Going away")
    assert len(backend.events("$disconnect")) == CLIENTS, "a $disconnect was sent twice or for a stranger"
    assert late.get("status") == 503, f"handshake pending at SIGTERM answered {late.get('status')}"
    assert late_connect.connection_id not in delivered, "$disconnect for a connection that never opened"
    log = gate.log_text()
    assert "gave up waiting" not in log


def test_sigterm_with_a_client_that_never_answers_is_bounded(gate, backend, open_client):
    """A client that stops reading cannot answer the close: shutdown still ends, within the close
    handshake timeout plus the shutdown wait, with exit 0 and that client's $disconnect delivered."""
    from wsgatekit.rawws import RawWs
    stuck = RawWs.open(gate.port, headers=["X-E2e-Client: stuck"], rcvbuf=4096)
    try:
        rec = backend.wait_for_event("$connect", predicate=lambda r: (r.event.get("headers") or {}).get("X-E2e-Client") == "stuck")
        ws, connect = open_client(gate, backend)
        closes = {}
        t = threading.Thread(target=lambda: closes.update(ok=wsclient.wait_close(ws, timeout=15)), daemon=True)
        t.start()
        code, took = _stop_and_time(gate, SHUTDOWN_BOUND_S + 5)
        t.join(5)
        assert code == 0
        assert took < SHUTDOWN_BOUND_S + 1, f"shutdown took {took:.1f} s"
        assert closes["ok"][0] == 1001
        got = {r.connection_id for r in backend.events("$disconnect")}
        assert {rec.connection_id, connect.context["connectionId"]} <= got
    finally:
        stuck.close()

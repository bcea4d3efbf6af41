"""A well-behaved control client that must keep being served while a test attacks the server.

`round_trip()` sends a message (the backend must record it as a $default event) and pushes one back
through PostToConnection (it must arrive): both directions through the event loop, the integration
worker and the management API. The connection id is learnt from the $default event, so this works
with and without a $connect route.
"""
import json
import time
import uuid

from wsgatekit import mgmt, wsclient


class ControlClient:
    def __init__(self, server, backend, timeout=5.0):
        self.server = server
        self.backend = backend
        self.timeout = timeout
        self.ws = wsclient.connect(server.ws_url(), headers=[f"X-E2e-Control: {uuid.uuid4().hex}"])
        self.connection_id = None
        self.trips = 0
        self.round_trip()

    def round_trip(self):
        """One message in, one PostToConnection out; returns the elapsed seconds (bounded)."""
        start = time.monotonic()
        token = uuid.uuid4().hex
        self.ws.send(json.dumps({"action": "control", "token": token}))
        rec = self.backend.wait_for(lambda r: r.route_key == "$default" and token in (r.raw_text or ""),
                                    timeout=self.timeout, what=f"control message {token}")[0]
        if self.connection_id is None:
            self.connection_id = rec.connection_id
        assert rec.connection_id == self.connection_id
        resp = mgmt.post(self.server.port, self.connection_id, token, timeout=self.timeout)
        assert resp.status == 200, f"control PostToConnection answered {resp.status} {resp.body!r}"
        got = wsclient.recv_text(self.ws, timeout=self.timeout)
        assert got == token, f"control client got {got!r}, expected {token!r}"
        self.trips += 1
        return time.monotonic() - start

    def close(self):
        try:
            self.ws.close(timeout=1)
        except Exception:
            pass

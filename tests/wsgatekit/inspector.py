"""The inspector's HTTP side from a test: its event stream (SSE) and its actions."""
import http.client
import json
import threading
import time


class EventStream:
    """GET /_wsgate/api/events, read on a thread; entries (parsed JSON) collected in order."""

    def __init__(self, port, path="/_wsgate/api/events", headers=None, timeout=10.0):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.conn.request("GET", path, headers=headers or {})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = self.resp.headers
        self.raw = []       # every SSE block as text
        self.entries = []   # data of each block with an id
        self._cond = threading.Condition()
        self._closed = False
        if self.status == 200:
            self._thread = threading.Thread(target=self._read, daemon=True)
            self._thread.start()

    def _read(self):
        buf = b""
        try:
            while not self._closed:
                chunk = self.resp.read1(65536)
                if not chunk:
                    break
                buf += chunk
                while b"\n\n" in buf:
                    block, buf = buf.split(b"\n\n", 1)
                    text = block.decode("utf-8")
                    with self._cond:
                        self.raw.append(text)
                        data = [line[6:] for line in text.split("\n") if line.startswith("data: ")]
                        ids = [line[4:] for line in text.split("\n") if line.startswith("id: ")]
                        if data and ids:
                            entry = json.loads(data[0])
                            assert entry["seq"] == int(ids[0]), (entry, ids)
                            self.entries.append(entry)
                        self._cond.notify_all()
        except Exception:  # noqa: BLE001 - the stream ends when the test closes it
            pass

    def wait_for(self, predicate, timeout=5.0, what="entry"):
        """The first entry matching `predicate` (waits, bounded)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.entries:
                    if predicate(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {what} within {timeout} s; got {[(e['seq'], e['kind']) for e in self.entries]}")
                self._cond.wait(left)

    def close(self):
        self._closed = True
        try:
            self.conn.sock.shutdown(2)
        except (OSError, AttributeError):
            pass
        self.conn.close()


def act(port, path, body=None, header=True, timeout=5.0):
    """POST an inspector action; returns (status, parsed JSON)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        if header:
            headers["X-Wsgate-Inspector"] = "1"
        conn.request("POST", path, body=json.dumps(body or {}), headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, (json.loads(data) if data else None)
    finally:
        conn.close()


def conn_path(connection_id, action):
    from urllib.parse import quote
    return f"/_wsgate/api/connections/{quote(connection_id, safe='')}/{action}"


def flood_pushes(port, connection_id, seconds=None, stop=None, stage="local"):
    """PostToConnection as fast as one keep-alive connection goes (wsgate with --auth none), for
    `seconds` or until the threading.Event `stop` is set; returns how many were answered 200 (stops
    at the first other answer: the client stopped reading)."""
    from wsgatekit.mgmt import connection_path
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    path = connection_path(connection_id, stage)
    n = 0
    end = time.monotonic() + seconds if seconds is not None else None
    try:
        while not (stop is not None and stop.is_set()) and (end is None or time.monotonic() < end):
            conn.request("POST", path, body=b"flood", headers={"Content-Type": "text/plain"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                break
            n += 1
    finally:
        conn.close()
    return n

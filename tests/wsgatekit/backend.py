"""A real HTTP backend that records every integration request wsgate sends.

Each request is kept as a `Record` (method, path, headers, raw body and the body parsed as JSON) in a
thread-safe list guarded by a Condition, so tests wait for events instead of sleeping. The answer is
programmable per route key (the event's requestContext.routeKey, or the request path when the body
is not an event): HTTP status, body (a dict is sent as JSON, e.g. a Lambda proxy result
{"statusCode": 401}), extra headers and a delay before answering.

As a script (`python -m wsgatekit.backend PORT FILE`, used by scripts/podman-test.sh) it serves on
127.0.0.1:PORT, answers {"statusCode": 200} and appends every request body to FILE as one line.
"""
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    # http.server's default listen backlog is 5: a burst of $disconnect calls from wsgate's pool
    # would wait on TCP retransmits.
    request_queue_size = 128


@dataclass
class Record:
    method: str
    path: str
    headers: list          # [(name, value)] as received
    raw: bytes             # request body bytes
    raw_text: str          # request body decoded as UTF-8 (replacement on error)
    event: object          # body parsed as JSON (key order kept), or None
    received_at: float = field(default_factory=time.time)
    peer: tuple = None     # (address, port) of the connection it came on

    @property
    def route_key(self):
        if isinstance(self.event, dict):
            return (self.event.get("requestContext") or {}).get("routeKey")
        return None

    @property
    def connection_id(self):
        if isinstance(self.event, dict):
            return (self.event.get("requestContext") or {}).get("connectionId")
        return None

    @property
    def context(self):
        return self.event["requestContext"]

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Answer:
    status: int = 200
    body: object = b""     # bytes, str, or a JSON-serialisable dict/list
    headers: dict = field(default_factory=dict)
    delay: float = 0.0     # seconds to wait before answering


class RecordingBackend:
    def __init__(self, default=None, port=0, on_record=None):
        """`default`: the Answer for requests no set_answer matches (200, empty body). `on_record`:
        called with each Record as it arrives (on the request's thread)."""
        self._cond = threading.Condition()
        self._records = []
        self._answers = {}          # route key (or path) -> Answer
        self._default = default or Answer()
        self._on_record = on_record
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"   # keep-alive, as libcurl expects

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                text = raw.decode("utf-8", errors="replace")
                try:
                    event = json.loads(text) if text else None
                except ValueError:
                    event = None
                record = Record(self.command, self.path, list(self.headers.items()), raw, text, event,
                                peer=tuple(self.client_address))
                answer = backend._answer_for(record)
                if backend._on_record:
                    backend._on_record(record)
                with backend._cond:
                    backend._records.append(record)
                    backend._cond.notify_all()
                if answer.delay:
                    time.sleep(answer.delay)
                body = answer.body
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                elif isinstance(body, str):
                    body = body.encode()
                try:
                    self.send_response(answer.status)
                    has_type = any(k.lower() == "content-type" for k in answer.headers)
                    if not has_type:
                        self.send_header("Content-Type", "application/json")
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # wsgate gave up (integration timeout); nothing to answer

            do_POST = do_GET = do_PUT = do_DELETE = _handle

        self.httpd = _Server(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    # ---- programming answers --------------------------------------------------------------------
    def set_answer(self, key, status=200, body=b"", headers=None, delay=0.0):
        """Answer requests whose route key (or path) is `key`."""
        with self._cond:
            self._answers[key] = Answer(status, body, dict(headers or {}), delay)

    def _answer_for(self, record):
        with self._cond:
            if record.route_key in self._answers:
                return self._answers[record.route_key]
            path = record.path.split("?", 1)[0]
            return self._answers.get(path, self._default)

    # ---- inspecting -----------------------------------------------------------------------------
    def url(self, path="/events"):
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def records(self):
        with self._cond:
            return list(self._records)

    def events(self, route_key=None, connection_id=None):
        return [r for r in self.records
                if (route_key is None or r.route_key == route_key)
                and (connection_id is None or r.connection_id == connection_id)]

    def mark(self):
        """The number of records so far: pass it as wait_for's `after` to wait for newer ones."""
        with self._cond:
            return len(self._records)

    def wait_for(self, predicate, timeout=5.0, count=1, what="request", after=0):
        """Wait (bounded) until `count` records (from index `after` on) satisfy `predicate`; return
        them in arrival order."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [r for r in self._records[after:] if predicate(r)]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(r.method, r.path, r.route_key) for r in self._records[after:]]
                    raise AssertionError(f"timed out after {timeout} s waiting for {count} x {what}; "
                                         f"backend saw {seen}")
                self._cond.wait(left)

    def wait_for_event(self, route_key, timeout=5.0, connection_id=None, predicate=None):
        """The first event with this route key (and connection id, and predicate) - waits for it."""
        def match(r):
            return (r.route_key == route_key
                    and (connection_id is None or r.connection_id == connection_id)
                    and (predicate is None or predicate(r)))
        return self.wait_for(match, timeout, 1, f"{route_key} event")[0]

    def wait_for_events(self, route_key, count, timeout=5.0, connection_id=None):
        def match(r):
            return r.route_key == route_key and (connection_id is None or r.connection_id == connection_id)
        return self.wait_for(match, timeout, count, f"{route_key} event")

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv):
    """PORT FILE: record every request body as one line of FILE, answer {"statusCode": 200}."""
    port, path = int(argv[1]), argv[2]
    lock = threading.Lock()

    def append(record):
        with lock, open(path, "a") as f:
            f.write(record.raw_text.replace("\n", " ") + "\n")

    backend = RecordingBackend(default=Answer(body={"statusCode": 200}), port=port, on_record=append)
    try:
        backend._thread.join()
    except KeyboardInterrupt:
        pass
    backend.close()


if __name__ == "__main__":
    main(sys.argv)

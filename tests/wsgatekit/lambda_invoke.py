"""A small stand-in for the Lambda Invoke API (what aws-lambda-rie and Lambda itself serve).

    POST /2015-03-31/functions/{name}/invocations      body: the event JSON

Functions are Python callables `handler(event) -> result` registered by name; the result is sent
back as JSON (200). A handler that raises answers like Lambda does for an unhandled exception:
200, `X-Amz-Function-Error: Unhandled`, body {"errorMessage": str(exc), "errorType": class name}.
`error_without_header=True` sends that body without the header (as some emulators do). An unknown
function answers 404 ResourceNotFoundException. Every call is recorded with its path, headers, the
parsed event and whether its Authorization header has the SigV4 shape for service "lambda".
"""
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

PATH_RE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256 Credential=(?P<akid>[A-Za-z0-9]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/"
                     r"(?P<service>[a-z0-9-]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
                     r"Signature=(?P<sig>[0-9a-f]{64})$")


@dataclass
class Invocation:
    function: str
    path: str
    headers: dict
    event: object
    auth: object = None          # AUTH_RE match of the Authorization header, or None
    received_at: float = field(default_factory=time.time)

    def header(self, name):
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


class LambdaInvokeStub:
    def __init__(self):
        self._cond = threading.Condition()
        self._functions = {}   # name -> (handler, error_without_header)
        self.invocations = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body, headers=None):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                match = PATH_RE.match(self.path)
                if not match:
                    self._send(404, {"message": "unknown path " + self.path})
                    return
                name = unquote(match.group(1))
                try:
                    event = json.loads(raw) if raw else None
                except ValueError:
                    event = None
                inv = Invocation(name, self.path, dict(self.headers.items()), event,
                                 AUTH_RE.match(self.headers.get("Authorization") or ""))
                with stub._cond:
                    stub.invocations.append(inv)
                    stub._cond.notify_all()
                    entry = stub._functions.get(name)
                if entry is None:
                    self._send(404, {"Type": "User", "message": f"Function not found: {name}"},
                               {"x-amzn-ErrorType": "ResourceNotFoundException"})
                    return
                handler, error_without_header = entry
                try:
                    result = handler(event)
                except Exception as exc:  # the function "crashed"
                    body = {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": []}
                    headers = {} if error_without_header else {"X-Amz-Function-Error": "Unhandled"}
                    self._send(200, body, headers)
                    return
                self._send(200, json.dumps(result).encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def add_function(self, name, handler, error_without_header=False):
        with self._cond:
            self._functions[name] = (handler, error_without_header)

    def calls(self, function=None):
        with self._cond:
            return [i for i in self.invocations if function is None or i.function == function]

    def wait_for(self, predicate, timeout=5.0, what="invocation"):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for inv in self.invocations:
                    if predicate(inv):
                        return inv
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; saw "
                                         f"{[(i.function, i.path) for i in self.invocations]}")
                self._cond.wait(left)

    def wait_for_route(self, function, route_key, timeout=5.0):
        def match(inv):
            return (inv.function == function and isinstance(inv.event, dict)
                    and (inv.event.get("requestContext") or {}).get("routeKey") == route_key)
        return self.wait_for(match, timeout, f"{function} {route_key}")

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

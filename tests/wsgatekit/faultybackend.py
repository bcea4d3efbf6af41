"""A backend that misbehaves on purpose, on a raw TCP socket (http.server cannot send garbage or
reset half-way).

Requests are parsed by hand (request line, headers, Content-Length body) and recorded like the
RecordingBackend's (`.records`, `.wait_for(...)`); the answer depends on the mode set for the path:

    ok        200 with the configured body, keep-alive (a Lambda proxy result by default)
    hang      read the request, never answer (until wsgate gives up and closes)
    reset     send part of a response, then reset the TCP connection (SO_LINGER 0)
    garbage   send bytes that are not HTTP, then close
    huge      200 with a body larger than wsgate's 1 MB cap (2 MB)
    drip      a valid head announcing 100 bytes, then one byte every 50 ms

`refuse()` closes the listening socket (connections are refused); `restore()` listens again on the
same port. Everything runs on daemon threads; close() stops them.
"""
import json
import socket
import struct
import threading
import time

from wsgatekit.backend import Record


class FaultyBackend:
    def __init__(self):
        self._cond = threading.Condition()
        self._records = []
        self._modes = {}
        self._bodies = {}
        self._conns = set()
        self._closed = False
        self._listener = None
        self.port = None
        self._listen()

    # ---- control ----------------------------------------------------------------------------
    def url(self, path="/events"):
        return f"http://127.0.0.1:{self.port}{path}"

    def set_mode(self, path, mode, body=None):
        with self._cond:
            self._modes[path] = mode
            if body is not None:
                self._bodies[path] = body

    def refuse(self):
        """Stop listening: new connections are refused. Open keep-alive connections are cut too."""
        with self._cond:
            listener, self._listener = self._listener, None
            conns = list(self._conns)
        try:
            listener.shutdown(socket.SHUT_RDWR)   # wakes the accept() thread (Linux)
        except OSError:
            pass
        listener.close()
        for c in conns:
            _reset(c)

    def restore(self):
        self._listen(self.port)

    def close(self):
        self._closed = True
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
        for c in list(self._conns):
            _reset(c)

    # ---- records (same shape as RecordingBackend) -------------------------------------------
    @property
    def records(self):
        with self._cond:
            return list(self._records)

    def events(self, route_key=None, connection_id=None):
        return [r for r in self.records if (route_key is None or r.route_key == route_key)
                and (connection_id is None or r.connection_id == connection_id)]

    def wait_for(self, predicate, timeout=5.0, count=1, what="request"):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [r for r in self._records if predicate(r)]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout} s waiting for {count} x {what}; "
                                         f"backend saw {[(r.path, r.route_key) for r in self._records][-20:]}")
                self._cond.wait(left)

    def wait_for_event(self, route_key, timeout=5.0, connection_id=None, predicate=None):
        return self.wait_for(lambda r: r.route_key == route_key
                             and (connection_id is None or r.connection_id == connection_id)
                             and (predicate is None or predicate(r)), timeout, 1, f"{route_key} event")[0]

    # ---- server -----------------------------------------------------------------------------
    def _listen(self, port=0):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(128)
        self.port = s.getsockname()[1]
        with self._cond:
            self._listener = s
        threading.Thread(target=self._accept_loop, args=(s,), daemon=True).start()

    def _accept_loop(self, listener):
        while not self._closed:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with self._cond:
                self._conns.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        buf = b""
        try:
            conn.settimeout(30)
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:] if ":" in line]
                length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
                while len(buf) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                raw, buf = buf[:length], buf[length:]
                text = raw.decode("utf-8", errors="replace")
                try:
                    event = json.loads(text) if text else None
                except ValueError:
                    event = None
                with self._cond:
                    self._records.append(Record(method, path, headers, raw, text, event))
                    self._cond.notify_all()
                    mode = self._modes.get(path, "ok")
                    body = self._bodies.get(path, {"statusCode": 200})
                if not self._answer(conn, mode, body):
                    return
        except OSError:
            return
        finally:
            with self._cond:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def _answer(self, conn, mode, body):
        """Answers one request; returns False when the connection is finished."""
        if mode == "ok":
            data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body.encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(data)).encode() + b"\r\n\r\n" + data)
            return True
        if mode == "hang":
            conn.settimeout(30)
            while conn.recv(65536):
                pass
            return False
        if mode == "reset":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"statusCo")
            time.sleep(0.01)
            _reset(conn)
            return False
        if mode == "garbage":
            conn.sendall(b"\x00\x17\xffNOT HTTP AT ALL \x8f\r\n\r\n\x00garbage")
            time.sleep(0.05)
            return False
        if mode == "huge":
            size = 2 * 1024 * 1024
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(size).encode() + b"\r\n\r\n")
            chunk = b" " * 65536
            for _ in range(size // len(chunk)):
                conn.sendall(chunk)
            return True
        if mode == "drip":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
            for _ in range(100):
                time.sleep(0.05)
                conn.sendall(b" ")
            return True
        raise ValueError(mode)


def _reset(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass

"""A raw-socket WebSocket client that builds every frame by hand (RFC 6455 section 5).

websocket-client refuses to send malformed frames; hostile-client tests need exactly those: unmasked
frames, RSV bits, reserved opcodes, oversized control frames, lying 64-bit lengths, continuation
frames without a start, raw partial handshakes. Everything is bounded by socket timeouts.

    c = RawWs.open(port)                      # handshake on /local, raises on a non-101 answer
    c.send_frame(OP_TEXT, b"hi")              # masked, FIN set
    c.send_raw(build_frame(OP_TEXT, b"x", mask=False))
    code, reason = c.read_close()             # (None, None) if the TCP connection ended first
"""
import base64
import os
import socket
import struct
import time

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA


def build_frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length=None, mask_key=None):
    """One frame. `rsv` is the 3 RSV bits (0-7); `length` overrides the advertised payload length
    (the payload sent is still `payload`); the extended-length form follows the advertised length."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    n = len(payload) if length is None else length
    head = bytearray([(0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)])
    mbit = 0x80 if mask else 0
    if n < 126:
        head.append(mbit | n)
    elif n < 65536:
        head.append(mbit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(mbit | 127)
        head += struct.pack("!Q", n)
    if not mask:
        return bytes(head) + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    head += key
    masked = bytes(b ^ key[i & 3] for i, b in enumerate(payload)) if len(payload) < 4096 else _mask_fast(payload, key)
    return bytes(head) + masked


def _mask_fast(payload, key):
    n = len(payload)
    k = int.from_bytes((key * ((n + 3) // 4))[:n], "big")
    return (int.from_bytes(payload, "big") ^ k).to_bytes(n, "big")


def close_payload(code=None, reason=b""):
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode("utf-8")
    return struct.pack("!H", code) + reason


def handshake_request(path="/local", host="127.0.0.1", headers=None, key=None):
    """The bytes of an opening handshake (GET with Upgrade, 16-byte random key)."""
    key = key or base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    lines += list(headers or [])
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def read_http_response(sock, buf=b"", timeout=5.0):
    """Read one HTTP response head from sock. Returns (status, headers dict lowercased, rest bytes).
    status is None when the connection ended before a full head arrived."""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no HTTP response head within {timeout} s (got {buf[:200]!r})")
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return None, {}, buf
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, rest


class HandshakeRefused(Exception):
    def __init__(self, status, headers, body):
        super().__init__(f"handshake answered {status}")
        self.status = status
        self.headers = headers
        self.body = body


class RawWs:
    """One client connection on a plain socket."""

    def __init__(self, sock, buf=b""):
        self.sock = sock
        self.buf = buf

    @classmethod
    def open(cls, port, path="/local", headers=None, timeout=5.0, rcvbuf=None):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:     # before connect, so the TCP window stays small
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(timeout)
        sock.connect(("127.0.0.1", port))
        sock.sendall(handshake_request(path, f"127.0.0.1:{port}", headers))
        status, hdrs, rest = read_http_response(sock, timeout=timeout)
        if status != 101:
            sock.close()
            raise HandshakeRefused(status, hdrs, rest)
        return cls(sock, rest)

    # ---- sending --------------------------------------------------------------------------------
    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, opcode, payload=b"", **kw):
        self.sock.sendall(build_frame(opcode, payload, **kw))

    def send_text(self, text):
        self.send_frame(OP_TEXT, text)

    def send_close(self, code=None, reason=b""):
        self.send_frame(OP_CLOSE, close_payload(code, reason))

    # ---- receiving ------------------------------------------------------------------------------
    def _fill(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no complete frame before the deadline")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(max(65536, n - len(self.buf)))
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return False
            self.buf += chunk
        return True

    def read_frame(self, timeout=5.0):
        """(fin, opcode, payload), or None when the connection ended. Server frames are unmasked."""
        deadline = time.monotonic() + timeout
        if not self._fill(2, deadline):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        n = b1 & 0x7F
        off = 2
        if n == 126:
            if not self._fill(4, deadline):
                return None
            n = struct.unpack("!H", self.buf[2:4])[0]
            off = 4
        elif n == 127:
            if not self._fill(10, deadline):
                return None
            n = struct.unpack("!Q", self.buf[2:10])[0]
            off = 10
        if b1 & 0x80:
            raise AssertionError("server sent a masked frame")
        if not self._fill(off + n, deadline):
            return None
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def read_message(self, timeout=5.0):
        """One complete data message (opcode, bytes), reassembling fragments; control frames other
        than close are skipped. None when the connection ended or a close frame came."""
        deadline = time.monotonic() + timeout
        parts, opcode = [], None
        while True:
            frame = self.read_frame(max(0.0, deadline - time.monotonic()))
            if frame is None:
                return None
            fin, op, payload = frame
            if op == OP_CLOSE:
                self.last_close = payload
                return None
            if op in (OP_PING, OP_PONG):
                continue
            if opcode is None:
                opcode = op
            parts.append(payload)
            if fin:
                return opcode, b"".join(parts)

    def read_close(self, timeout=5.0):
        """Read until the close frame: (code, reason); (1005, '') for an empty close payload;
        (None, None) when the TCP connection ended without one. Data frames before it are kept in
        self.skipped."""
        deadline = time.monotonic() + timeout
        self.skipped = []
        while True:
            frame = self.read_frame(max(0.0, deadline - time.monotonic()))
            if frame is None:
                return None, None
            _, op, payload = frame
            if op == OP_CLOSE:
                if len(payload) < 2:
                    return 1005, ""
                return struct.unpack("!H", payload[:2])[0], payload[2:].decode("utf-8", "replace")
            self.skipped.append((op, payload))

    def wait_eof(self, timeout=5.0):
        """True when the server closes the TCP connection within `timeout` (after any frames)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
            if not chunk:
                return True

    def abort(self):
        """Drop the TCP connection with a reset (SO_LINGER 0), no close frame."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

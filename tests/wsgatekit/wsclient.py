"""WebSocket client utilities on top of websocket-client."""
import socket
import struct
import time

import websocket
from websocket import ABNF


def connect(url, headers=None, subprotocols=None, timeout=5, **options):
    """Open a WebSocket; raises websocket.WebSocketBadStatusException on a failed handshake.
    `headers`: a list of "Name: value" lines, or a dict (which replaces websocket-client's own
    handshake headers of those names); `options` go to websocket.create_connection (host=...)."""
    header = dict(headers) if isinstance(headers, dict) else list(headers or [])
    return websocket.create_connection(url, header=header, subprotocols=subprotocols,
                                       timeout=timeout, **options)


def handshake_status(url, headers=None, timeout=5):
    """The HTTP status of a handshake expected to fail (101 means it succeeded)."""
    try:
        ws = connect(url, headers=headers, timeout=timeout)
    except websocket.WebSocketBadStatusException as exc:
        return exc.status_code
    ws.close()
    return 101


def parse_close(payload):
    """(code, reason) from a close frame payload; (1005, '') when it has no code."""
    if len(payload) < 2:
        return 1005, ""
    return struct.unpack("!H", payload[:2])[0], payload[2:].decode("utf-8", errors="replace")


def wait_close(ws, timeout=5.0):
    """Read until the server's close frame arrives (bounded). Returns (code, reason, messages) where
    messages are the data frames that came before it. code is None if the TCP connection ended
    without a close frame."""
    deadline = time.monotonic() + timeout
    messages = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no close frame within {timeout} s (got messages {messages!r})")
        ws.sock.settimeout(left)
        try:
            opcode, data = ws.recv_data(control_frame=True)
        except websocket.WebSocketConnectionClosedException:
            return None, None, messages
        except (socket.timeout, websocket.WebSocketTimeoutException):
            raise AssertionError(f"no close frame within {timeout} s (got messages {messages!r})")
        if opcode == ABNF.OPCODE_CLOSE:
            code, reason = parse_close(data)
            return code, reason, messages
        if opcode in (ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY):
            messages.append(data)


def recv_text_bytes(ws, timeout=5.0):
    """One text message, as the bytes received, bounded."""
    ws.sock.settimeout(timeout)
    opcode, data = ws.recv_data()
    assert opcode == ABNF.OPCODE_TEXT, f"expected a text frame, got opcode {opcode}"
    return data


def recv_text(ws, timeout=5.0):
    """One text message (str), bounded."""
    return recv_text_bytes(ws, timeout).decode("utf-8")


def close_without_code(ws, timeout=3.0):
    """Send a close frame with an empty payload (no status code), wait for the reply, shut down."""
    ws.send(b"", ABNF.OPCODE_CLOSE)
    ws.connected = False
    ws.sock.settimeout(timeout)
    try:
        while True:
            frame = ws.recv_frame()
            if frame.opcode == ABNF.OPCODE_CLOSE:
                break
    except Exception:
        pass
    ws.shutdown()


def close_with(ws, code, reason=b"", timeout=3.0):
    """Send a close frame with code and reason; wait for the server's close (websocket-client does)."""
    ws.close(status=code, reason=reason, timeout=timeout)

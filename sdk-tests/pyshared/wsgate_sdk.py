"""Fixture helpers shared by the Python-based SDK suites (python: boto3, cli: the AWS CLI). wsgate must
already be running; sdk-tests/run.sh starts it and exports WSGATE_URL, WSGATE_STAGE, WSGATE_AUTH,
WSGATE_ACCESS_KEY_ID, WSGATE_SECRET_ACCESS_KEY."""
import json
import os
import time
import urllib.request

import pytest
import websocket


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        pytest.fail(f"{name} is not set: start wsgate and export it (see sdk-tests/README.md)")
    return value


def gate_settings():
    url = env("WSGATE_URL").rstrip("/")
    stage = env("WSGATE_STAGE", "local")
    return {
        "url": url,
        "endpoint": f"{url}/{stage}",
        "ws_url": "ws" + url[len("http"):] + f"/{stage}",  # http -> ws, https -> wss
        "auth": env("WSGATE_AUTH", "sigv4"),
        "region": env("WSGATE_REGION", "us-east-1"),
        "key": env("WSGATE_ACCESS_KEY_ID", "AKIDWSGATE"),
        "secret": env("WSGATE_SECRET_ACCESS_KEY", "wsgate-secret"),
    }


def open_connections(gate):
    with urllib.request.urlopen(gate["url"] + "/_wsgate/connections", timeout=5) as r:
        return set(json.load(r)["connections"])


class Peer:
    """A real WebSocket client connected to wsgate, with its connectionId."""

    def __init__(self, gate, user_agent):
        before = open_connections(gate)
        self.ws = websocket.create_connection(gate["ws_url"], timeout=10, header=[f"User-Agent: {user_agent}"])
        deadline = time.monotonic() + 5
        while True:
            new = open_connections(gate) - before
            if len(new) == 1:
                self.id = new.pop()
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"could not identify the new connection (new ids: {new})")
            time.sleep(0.05)

    def recv_text(self):
        opcode, data = self.ws.recv_data()
        assert opcode == websocket.ABNF.OPCODE_TEXT, f"expected a text message, got opcode {opcode}"
        return data

    def recv_close_code(self):
        """Reads until the server's close frame; returns its status code."""
        while True:
            opcode, data = self.ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass

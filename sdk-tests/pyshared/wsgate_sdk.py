"""Fixture helpers shared by the Python-based SDK suites (python: boto3, cli: the AWS CLI). wsgate must
already be running; sdk-tests/run.sh starts it and exports WSGATE_URL, WSGATE_STAGE, WSGATE_AUTH,
WSGATE_ACCESS_KEY_ID, WSGATE_SECRET_ACCESS_KEY. The WebSocket client is the shared test kit's
(tests/wsgatekit/wsclient.py)."""
import json
import os
import sys
import time
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests"))
from wsgatekit import wsclient  # noqa: E402


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
        self.ws = wsclient.connect(gate["ws_url"], timeout=10, headers=[f"User-Agent: {user_agent}"])
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
        """The next message, which must be text (bytes as received)."""
        return wsclient.recv_text_bytes(self.ws, timeout=10)

    def recv_close_code(self):
        """Reads until the server's close frame (bounded); returns its status code (1005: none)."""
        code, _, _ = wsclient.wait_close(self.ws, timeout=10)
        return code

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass

"""Fixtures for the wsgate end-to-end tests.

- `backend`: a recording HTTP backend on 127.0.0.1:0 (tests/wsgatekit/backend.py).
- `wsgate`: a factory; `wsgate("--backend", url)` or `wsgate(config={...})` starts the real binary on
  a free loopback port and returns a wsgatekit.server.WsgateServer. Every server started by a test is
  stopped by PID at teardown; the test fails if the server crashed, hung on SIGTERM or its log shows
  a sanitizer report. The server log is printed when a test fails.
- `gate`: wsgate started with `--backend <backend>` (one handler for $connect/$disconnect/$default).
- `open_client(server, backend, ...)`: open a WebSocket and wait for its $connect event; returns
  (ws, connect_event). The client is closed at teardown if the test left it open.
"""
import json
import os
import sys
import uuid

import pytest

# The test kit (tests/wsgatekit) is shared with conformance, the SDK suites, soak and the container
# test; it lives one level up.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from wsgatekit.backend import RecordingBackend
from wsgatekit.server import WsgateServer
from wsgatekit import net, wsclient


def _allowed_skips():
    """Node ids .ci/allowed-skips lets CI skip ("NAME: reason" lines)."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", ".ci", "allowed-skips")
    try:
        with open(path, encoding="utf-8") as f:
            return {line.split(":", 1)[0].strip() for line in f if ":" in line and not line.startswith("#")}
    except OSError:
        return set()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # CI fails closed: a skipped test is a failure unless .ci/allowed-skips names it.
    if report.skipped and os.environ.get("CI") == "true" and not hasattr(report, "wasxfail") \
            and item.nodeid not in _allowed_skips():
        report.outcome = "failed"
        report.longrepr = f"skipped in CI ({report.longrepr}); not in .ci/allowed-skips"
    setattr(item, "rep_" + report.when, report)


@pytest.fixture
def backend():
    server = RecordingBackend()
    yield server
    server.close()


@pytest.fixture
def wsgate(request, tmp_path, backend):
    # Depends on `backend` so that the backend is stopped after the servers: a $disconnect sent
    # while wsgate shuts down still reaches it.
    servers = []

    def start(*args, config=None, env=None):
        args = list(args)
        if config is not None:
            path = tmp_path / f"config-{len(servers)}.json"
            path.write_text(json.dumps(config, indent=2))
            args += ["--config", str(path)]
        server = WsgateServer(args, tmp_path / f"wsgate-{len(servers)}.log", env=env)
        servers.append(server)
        return server.start()

    yield start

    problems = []
    for server in servers:
        for problem in server.stop():
            problems.append((server, problem))
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed or problems:
        for server in servers:
            print(f"---- wsgate {' '.join(server.args)} log ({server.log_path}) ----")
            print(server.log_text()[-20000:])
    if problems:
        pytest.fail("; ".join(p for _, p in problems))


@pytest.fixture
def unused_port():
    """A loopback port nothing listens on (bound, then released): connecting to it is refused."""
    return net.unused_port()


@pytest.fixture
def gate(wsgate, backend):
    return wsgate("--backend", backend.url("/events"))


@pytest.fixture
def open_client():
    opened = []

    def open_(server, backend, query="", headers=None, subprotocols=None, stage="local"):
        tag = uuid.uuid4().hex
        all_headers = [f"X-E2e-Client: {tag}"] + list(headers or [])
        ws = wsclient.connect(server.ws_url(stage, query), headers=all_headers,
                              subprotocols=subprotocols)
        opened.append(ws)
        event = backend.wait_for_event(
            "$connect", predicate=lambda r: (r.event.get("headers") or {}).get("X-E2e-Client") == tag)
        return ws, event

    yield open_
    for ws in opened:
        try:
            if ws.connected:
                ws.close(timeout=1)
        except Exception:
            pass


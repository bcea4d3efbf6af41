"""Non-AWS endpoints (/health, /_wsgate/connections) and the command line (README.md "Command line")."""
import re
import socket

import pytest

from wsgatekit import mgmt, wsclient
from wsgatekit.server import LISTEN_RE, run_cli


def test_health(gate, backend, open_client):
    status, body, headers = gate.get_json("/health")
    assert status == 200
    assert (headers.get("Content-Type") or "").startswith("application/json")
    assert list(body) == ["status", "connections", "uptime"]
    assert body["status"] == "ok"
    assert body["connections"] == 0
    assert isinstance(body["uptime"], (int, float)) and 0 <= body["uptime"] < 60
    ws, _ = open_client(gate, backend)
    ws2, _ = open_client(gate, backend)
    assert gate.get_json("/health")[1]["connections"] == 2


def test_connections_listing(gate, backend, open_client):
    assert gate.connections() == []
    ws1, c1 = open_client(gate, backend)
    ws2, c2 = open_client(gate, backend)
    id1, id2 = c1.context["connectionId"], c2.context["connectionId"]
    resp = mgmt.raw_request(gate.port, "GET", "/_wsgate/connections")
    assert resp.status == 200
    body = resp.json()
    assert list(body) == ["connections"]
    assert sorted(body["connections"]) == sorted([id1, id2])
    wsclient.close_with(ws1, 1000)
    backend.wait_for_event("$disconnect", connection_id=id1)
    assert gate.connections() == [id2]


def test_port_0_logs_listening_line(wsgate):
    server = wsgate()
    lines = [line for line in server.log_text().splitlines() if "listening on http://" in line]
    assert len(lines) == 1, lines
    match = LISTEN_RE.search(lines[0])
    assert match and 0 < int(match.group(1)) < 65536 and int(match.group(1)) != 3001
    with socket.create_connection(("127.0.0.1", server.port), timeout=5):
        pass
    assert server.get_json("/health")[0] == 200


def test_stage_option(wsgate, backend, open_client):
    server = wsgate("--backend", backend.url(), "--stage", "Prod")
    ws, connect = open_client(server, backend, stage="Prod")
    assert connect.context["stage"] == "Prod"
    assert wsclient.handshake_status(server.ws_url("local")) == 403


def _check_one_line_error(result):
    assert result.returncode == 2, (result.returncode, result.stderr)
    err = result.stderr.decode("utf-8", errors="replace")
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected a one-line error, got {err!r}"
    assert len(lines[0]) < 400
    return lines[0]


@pytest.mark.parametrize("args", [
    ["--bogus-flag"],
    ["--port"],
    ["--port", "notaport"],
    ["--auth", "sometimes"],
], ids=["unknown-flag", "missing-value", "bad-port", "bad-auth"])
def test_cli_bad_arguments_exit_2(args):
    line = _check_one_line_error(run_cli(args))
    assert "listening on" not in line


def test_cli_missing_config_file_exit_2(tmp_path):
    missing = tmp_path / "does-not-exist.json"
    line = _check_one_line_error(run_cli(["--port", "0", "--config", str(missing)]))
    assert "does-not-exist.json" in line


@pytest.mark.parametrize("text", [
    '{"port": 3001, "routes": ',            # truncated JSON
    '{"port": "not a number"}',             # wrong type
    '{"routes": {"$default": {"uri": 5}}}',  # wrong type nested
], ids=["truncated", "port-type", "uri-type"])
def test_cli_bad_config_file_exit_2(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text)
    _check_one_line_error(run_cli(["--port", "0", "--config", str(path)]))


def test_cli_help_and_version():
    help_result = run_cli(["--help"])
    assert help_result.returncode == 0
    assert re.search(r"--port", (help_result.stdout + help_result.stderr).decode())
    version = run_cli(["--version"])
    assert version.returncode == 0
    assert re.search(r"\d+\.\d+\.\d+", (version.stdout + version.stderr).decode())

"""Config formats (issue 8, docs/config-formats.md): a CDK template (JSON), a SAM template (YAML with
short tags), a serverless.yml and an aws-apigw-ws-emulator gateway.config.yaml run the same routes as
their hand-written wsgate twins in tests/data/config/; bad YAML is refused with exit 2 and file:line."""
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from wsgatekit import wsclient
from wsgatekit.backend import RecordingBackend
from wsgatekit.server import REPO_ROOT, run_cli

DATA = REPO_ROOT / "tests" / "data" / "config"


@dataclass
class Format:
    name: str
    twin: str
    stage: str
    action_field: str                      # the route selection expression's $request.body.<field>
    custom_route: str = "sendmessage"
    functions: dict = field(default_factory=dict)   # function -> route it backs (path on the backend)
    authorizer: str = None                 # function name of the $connect authorizer
    query: str = ""                        # what the client sends on $connect (the identity source)
    emulator: bool = False                 # routes carry uris; served at the root (customDomain)


FORMATS = [
    Format("cdk-chat.template.json", "cdk-chat.wsgate.json", "dev", "action",
           functions={"ConnectHandler2FFD52D8": "/connect", "DisconnectHandlerCB7ED6F7": "/disconnect",
                      "DefaultHandler604DF7AC": "/default", "MessageHandler0A9F6F5B": "/sendmessage"},
           authorizer="AuthHandlerE4F1C0B1", query="token=t0k3n"),
    Format("sam-chat.template.yaml", "sam-chat.wsgate.yaml", "Prod", "message",
           functions={"OnConnectFunction": "/connect", "OnDisconnectFunction": "/disconnect",
                      "DefaultFunction": "/default", "SendMessageFunction": "/sendmessage"}),
    Format("serverless.yml", "serverless.wsgate.json", "dev", "action",
           functions={"connect": "/connect", "disconnect": "/disconnect", "default": "/default",
                      "sendMessage": "/sendmessage"},
           authorizer="auth", query="token=t0k3n"),
    Format("gateway.config.yaml", "emulator-gateway.wsgate.json", "", "action", emulator=True),
]


def allow_policy():
    return {"principalId": "user-1",
            "policyDocument": {"Version": "2012-10-17",
                               "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]}}


@pytest.fixture
def authz():
    """A second backend playing the authorizer function (answers keyed "$connect")."""
    server = RecordingBackend()
    server.set_answer("$connect", body=allow_policy())
    yield server
    server.close()


def config_args(fmt, file_name, backend, authz, tmp_path):
    """--config (and --function) arguments that point the file's functions/uris at the backends."""
    source = DATA / file_name
    if fmt.emulator:
        # The emulator's routes name their URLs: the same file with only the backend port changed.
        text = source.read_text().replace("http://localhost:8080/ws/send-message", backend.url("/sendmessage"))
        text = text.replace("http://localhost:8080/ws", backend.url(""))
        # Keep the file name the emulator documents, so detection by name is exercised too.
        copy = tmp_path / (file_name if file_name == "gateway.config.yaml" else "twin-" + file_name)
        copy.write_text(text)
        return ["--config", str(copy)]
    args = ["--config", str(source)]
    for function, path in fmt.functions.items():
        args += ["--function", f"{function}={backend.url(path)}"]
    if fmt.authorizer:
        args += ["--function", f"{fmt.authorizer}={authz.url('/authorize')}"]
    return args


def exercise(server, backend, fmt):
    """$connect, the custom route, $default, the two-way answer and $disconnect; returns what the
    backend and the client saw as comparable data."""
    backend.set_answer(fmt.custom_route, body={"statusCode": 200, "body": "pong from " + fmt.custom_route})
    url = server.ws_url(fmt.stage, fmt.query)
    ws = wsclient.connect(url, headers=["X-E2e: formats"])
    connect = backend.wait_for_event("$connect")
    conn_id = connect.context["connectionId"]
    ws.send(json.dumps({fmt.action_field: fmt.custom_route, "text": "hi"}))
    custom = backend.wait_for_event(fmt.custom_route, connection_id=conn_id)
    reply = wsclient.recv_text(ws) if not fmt.emulator else None
    ws.send("not json: goes to $default")
    default = backend.wait_for_event("$default", connection_id=conn_id)
    ws.close()
    disconnect = backend.wait_for_event("$disconnect", connection_id=conn_id)
    return {
        "paths": [(r.route_key, r.path) for r in (connect, custom, default, disconnect)],
        "stage": connect.context["stage"],
        "authorizer": (connect.context.get("authorizer") or {}).get("principalId"),
        "reply": reply,
        "custom_body": custom.event["body"],
    }


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
def test_format_runs_like_its_wsgate_twin(fmt, wsgate, tmp_path, authz):
    results = []
    for file_name in (fmt.name, fmt.twin):
        backend = RecordingBackend()
        try:
            server = wsgate(*config_args(fmt, file_name, backend, authz, tmp_path))
            results.append(exercise(server, backend, fmt))
        finally:
            backend.close()
    from_format, from_twin = results
    assert from_format == from_twin
    assert from_format["paths"] == [("$connect", "/connect"), (fmt.custom_route, "/sendmessage"),
                                    ("$default", "/default"), ("$disconnect", "/disconnect")]
    if not fmt.emulator:
        assert from_format["stage"] == fmt.stage
        assert from_format["reply"] == "pong from " + fmt.custom_route        # two-way route
    if fmt.authorizer:
        assert from_format["authorizer"] == "user-1"
        assert len(authz.events("$connect")) == 2                            # once per run


def test_authorizer_from_template_denies_without_token(wsgate, backend, authz):
    """The template's identity source (route.request.querystring.token) is enforced: no token -> 401
    without calling the authorizer (AWS-AUTH-8)."""
    fmt = FORMATS[0]
    server = wsgate(*config_args(fmt, fmt.name, backend, authz, None))
    assert wsclient.handshake_status(server.ws_url(fmt.stage)) == 401
    assert authz.events("$connect") == []


def test_emulator_timeouts_are_seconds(wsgate, backend, tmp_path):
    """gateway.config.yaml's idleTimeout is in seconds (the emulator multiplies by 1000): 1 closes an
    idle connection with 1001 about a second later."""
    copy = tmp_path / "gateway.config.yaml"
    copy.write_text("stage: local\nidleTimeout: 1\nroutes:\n"
                    f"  $connect:\n    uri: {backend.url('/connect')}\n"
                    f"  $disconnect:\n    uri: {backend.url('/disconnect')}\n")
    server = wsgate("--config", str(copy))
    ws = wsclient.connect(server.ws_url(""))
    code, _, _ = wsclient.wait_close(ws, timeout=5)
    assert code == 1001


# ---- errors: exit 2, one line naming file:line and the key ---------------------------------------

def cli_error(args):
    result = run_cli(args)
    assert result.returncode == 2, result
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_yaml_unknown_key_names_file_line_and_key(tmp_path):
    path = tmp_path / "wsgate.yaml"
    path.write_text("stage: dev\nroutes:\n  $default:\n    uri: http://127.0.0.1:1/x\n    twoway: true\n"
                    "    timeout: 1000\n")
    line = cli_error(["--config", str(path)])
    assert re.search(re.escape(str(path)) + r":5\b", line), line
    assert "twoway" in line


def test_yaml_wrong_type_names_file_line_and_key(tmp_path):
    path = tmp_path / "wsgate.yml"
    path.write_text("# idle timeout in seconds\nstage: dev\nidleTimeout: ten minutes\n")
    line = cli_error(["--config", str(path)])
    assert f"{path}:3" in line and "idleTimeout" in line, line


def test_yaml_quoted_number_is_a_string(tmp_path):
    path = tmp_path / "wsgate.yaml"
    path.write_text("port: '3001'\n")
    line = cli_error(["--config", str(path)])
    assert f"{path}:1" in line and "port" in line, line


def test_yaml_syntax_error_names_line_and_column(tmp_path):
    path = tmp_path / "wsgate.yaml"
    path.write_text("stage: dev\nroutes:\n  $default: {uri: http://127.0.0.1:1/x\n")
    line = cli_error(["--config", str(path)])
    assert re.search(re.escape(str(path)) + r":4:\d+: ", line), line


def test_template_error_names_line(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  Api:\n    Type: AWS::ApiGatewayV2::Api\n    Properties:\n"
                    "      ProtocolType: WEBSOCKET\n      RouteSelectionExpression: !ImportValue Expr\n")
    line = cli_error(["--config", str(path)])
    assert f"{path}:6" in line and "Fn::ImportValue" in line, line
